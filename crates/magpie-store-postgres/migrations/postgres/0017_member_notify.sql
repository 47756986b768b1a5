-- A member's own notification settings for one conversation (issue 17): a mute that ends by
-- itself at `unmute_at_ms` (NULL: when the member unmutes), and a level over its account's
-- (NULL: the account's).
ALTER TABLE members ADD COLUMN unmute_at_ms BIGINT;
ALTER TABLE members ADD COLUMN notify_level TEXT CHECK (notify_level IN ('all', 'mentions', 'nothing'));
