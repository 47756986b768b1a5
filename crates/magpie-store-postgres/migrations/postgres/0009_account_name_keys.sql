-- The keys a person is found by in a name search (pinyin, initials, login, email, …): made by
-- the core (directory::NameMatcher::keys), one per line between new lines. NULL until the
-- core sets them; a profile change that alters them clears them in the same write.
ALTER TABLE accounts ADD COLUMN name_keys TEXT;
