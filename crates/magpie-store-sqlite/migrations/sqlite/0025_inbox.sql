-- The notification centre (issue 17): each account's items, with their read state.
CREATE TABLE notifications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        INTEGER NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL,
    -- magpie_core::inbox::NewNotifications::key: one item per key and account.
    key               TEXT NOT NULL,
    actor_id          INTEGER REFERENCES accounts(id),
    actor_name        TEXT,
    conversation_id   INTEGER REFERENCES conversations(id),
    conversation_name TEXT,
    direct            INTEGER NOT NULL DEFAULT 0 CHECK (direct IN (0, 1)),
    seq               INTEGER,
    -- The root of the thread the message is a reply in.
    thread            INTEGER,
    emoji             TEXT,
    text              TEXT,
    at_ms             INTEGER NOT NULL,
    read_at_ms        INTEGER,
    UNIQUE (account_id, key)
) STRICT;
CREATE INDEX notifications_by_account ON notifications (account_id, id);
CREATE INDEX notifications_unread ON notifications (account_id, id) WHERE read_at_ms IS NULL;
CREATE INDEX notifications_by_message ON notifications (conversation_id, seq) WHERE conversation_id IS NOT NULL;
CREATE INDEX notifications_by_time ON notifications (at_ms);
