-- The notification centre (issue 17): each account's items, with their read state.
CREATE TABLE notifications (
    id                BIGSERIAL PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL,
    -- magpie_core::inbox::NewNotifications::key: one item per key and account.
    key               TEXT NOT NULL,
    actor_id          BIGINT REFERENCES accounts(id),
    actor_name        TEXT,
    conversation_id   BIGINT REFERENCES conversations(id),
    conversation_name TEXT,
    direct            BOOLEAN NOT NULL DEFAULT FALSE,
    seq               BIGINT,
    -- The root of the thread the message is a reply in.
    thread            BIGINT,
    emoji             TEXT,
    text              TEXT,
    at_ms             BIGINT NOT NULL,
    read_at_ms        BIGINT,
    UNIQUE (account_id, key)
);
CREATE INDEX notifications_by_account ON notifications (account_id, id);
CREATE INDEX notifications_unread ON notifications (account_id, id) WHERE read_at_ms IS NULL;
CREATE INDEX notifications_by_message ON notifications (conversation_id, seq) WHERE conversation_id IS NOT NULL;
CREATE INDEX notifications_by_time ON notifications (at_ms);
