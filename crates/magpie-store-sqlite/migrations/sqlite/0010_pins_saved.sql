-- Pinned messages and saved messages (issue 23).

-- The messages pinned in a conversation now, one row each. A pin or unpin is a `system` entry
-- of the log (`message_pinned`, `message_unpinned`) whose effect writes here in the same
-- transaction; `notice_seq` is the seq of the pinning notice, which orders the list. A recall
-- deletes its message's row.
CREATE TABLE pins (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    pinned_by       INTEGER NOT NULL REFERENCES accounts(id),
    pinned_at_ms    INTEGER NOT NULL,
    notice_seq      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;

-- Each account's saved messages: a copy of the message (kind, body, sender, time) taken in the
-- transaction that saved it, and a note of the account's own. `body` is NULL and
-- `recalled_at_ms` set once the message was recalled. `conversation_name` is a group's name
-- when saved; `peer_id` the other member of a direct chat.
CREATE TABLE saved (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        INTEGER NOT NULL REFERENCES accounts(id),
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id),
    seq               INTEGER NOT NULL,
    conversation_name TEXT,
    peer_id           INTEGER REFERENCES accounts(id),
    sender_id         INTEGER NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL,
    body              TEXT,
    at_ms             INTEGER NOT NULL,
    note              TEXT,
    saved_at_ms       INTEGER NOT NULL,
    recalled_at_ms    INTEGER,
    UNIQUE (account_id, conversation_id, seq)
) STRICT;
CREATE INDEX saved_by_account ON saved (account_id, id);
CREATE INDEX saved_by_message ON saved (conversation_id, seq);
