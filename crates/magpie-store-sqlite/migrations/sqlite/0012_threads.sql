-- Threads (issue 23, docs/protocol.md §7.12).

-- A thread reply names its root; `thread_broadcast` is 1 when it was also sent to the chat.
-- A reply that is not is no message of the chat: it leaves `message_number` alone, so that
-- unread counts leave it out.
ALTER TABLE entries ADD COLUMN thread_root INTEGER;
ALTER TABLE entries ADD COLUMN thread_broadcast INTEGER NOT NULL DEFAULT 0;
CREATE INDEX entries_by_thread ON entries (conversation_id, thread_root, seq) WHERE thread_root IS NOT NULL;

-- One row per root that has replies: how many (recalled ones too) and the newest, written by
-- each reply's append.
CREATE TABLE threads (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    root_seq        INTEGER NOT NULL,
    replies         INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    last_at_ms      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, root_seq)
) STRICT, WITHOUT ROWID;

-- Each account's standing in a thread: whether it follows it, and how far it has read it. A
-- reply's append writes its sender's (following, read up to the reply) and adds rows for the
-- root's sender and those it mentions; a row that says `following = 0` was the account's
-- choice and a reply leaves it alone.
CREATE TABLE thread_follows (
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    root_seq        INTEGER NOT NULL,
    following       INTEGER NOT NULL,
    read_seq        INTEGER NOT NULL,
    PRIMARY KEY (account_id, conversation_id, root_seq)
) STRICT, WITHOUT ROWID;
