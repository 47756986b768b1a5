-- Compliance exports (magpie_core::export): one row per export an administrator started, its
-- progress while it runs (also its heartbeat, updated_at_ms), and once it is done the archive
-- it left in the blob store (by SHA-256) until the row expires.
CREATE TABLE exports (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id           INTEGER NOT NULL REFERENCES domains (id),
    -- Who asked: an account's address, or the operator's name.
    requested_by        TEXT NOT NULL,
    -- What it covers: one account's messages, or one conversation's.
    account_id          INTEGER REFERENCES accounts (id),
    conversation_id     INTEGER REFERENCES conversations (id),
    -- The account or conversation as people read it.
    target              TEXT NOT NULL,
    -- Messages at or after from_ms and before until_ms (no bound when NULL).
    from_ms             INTEGER,
    until_ms            INTEGER,
    state               TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    conversations_total INTEGER NOT NULL DEFAULT 0,
    conversations_done  INTEGER NOT NULL DEFAULT 0,
    messages            INTEGER NOT NULL DEFAULT 0,
    files               INTEGER NOT NULL DEFAULT 0,
    -- The archive's size and digest, once done.
    bytes               INTEGER NOT NULL DEFAULT 0,
    sha256              TEXT,
    -- Why it failed.
    error               TEXT,
    created_at_ms       INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL,
    finished_at_ms      INTEGER,
    expires_at_ms       INTEGER,
    CHECK ((account_id IS NULL) <> (conversation_id IS NULL))
) STRICT;
-- A domain's exports, newest first.
CREATE INDEX exports_domain ON exports (domain_id, id);
-- The running exports, by their last heartbeat (the sweep of those cut off).
CREATE INDEX exports_running ON exports (updated_at_ms) WHERE state = 'running';
-- The finished exports, by when they expire.
CREATE INDEX exports_expiry ON exports (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
