-- Threads (issue 23, docs/protocol.md §7.12): the same columns and tables as SQLite's
-- 0012_threads. A reply's append writes `threads` and `thread_follows` under its
-- conversation's lock, as every append's effects are.

ALTER TABLE entries ADD COLUMN thread_root BIGINT;
ALTER TABLE entries ADD COLUMN thread_broadcast BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX entries_by_thread ON entries (conversation_id, thread_root, seq) WHERE thread_root IS NOT NULL;

CREATE TABLE threads (
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    root_seq        BIGINT NOT NULL,
    replies         BIGINT NOT NULL,
    last_seq        BIGINT NOT NULL,
    last_at_ms      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, root_seq)
);

CREATE TABLE thread_follows (
    account_id      BIGINT NOT NULL REFERENCES accounts(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    root_seq        BIGINT NOT NULL,
    following       BOOLEAN NOT NULL,
    read_seq        BIGINT NOT NULL,
    PRIMARY KEY (account_id, conversation_id, root_seq)
);
