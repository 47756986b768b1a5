-- An avatar may name an uploaded image (a file id): reading such a file, and keeping it from
-- the retention of files no message refers to, look accounts and conversations up by avatar.
CREATE INDEX accounts_by_avatar ON accounts (avatar) WHERE avatar IS NOT NULL;
CREATE INDEX conversations_by_avatar ON conversations (avatar) WHERE avatar IS NOT NULL;
