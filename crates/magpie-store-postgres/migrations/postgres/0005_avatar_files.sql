-- An avatar may name an uploaded image: the same indexes as SQLite's 0011_avatar_files, whose
-- comment explains them.
CREATE INDEX accounts_by_avatar ON accounts (avatar) WHERE avatar IS NOT NULL;
CREATE INDEX conversations_by_avatar ON conversations (avatar) WHERE avatar IS NOT NULL;
