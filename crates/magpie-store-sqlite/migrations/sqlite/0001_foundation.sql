-- Domains, accounts, sessions and the revocation log.
-- Timestamps are Unix milliseconds.

CREATE TABLE domains (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    registration  TEXT NOT NULL DEFAULT 'closed' CHECK (registration IN ('closed', 'open')),
    created_at_ms INTEGER NOT NULL
) STRICT;

-- AUTOINCREMENT: account and session ids are never reused, even after rows are deleted.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('member', 'domain_admin', 'server_admin')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    password_hash TEXT,
    display_name  TEXT NOT NULL,
    avatar        TEXT,
    signature     TEXT,
    email         TEXT,
    phone         TEXT,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (domain_id, name)
) STRICT;

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    token_hash      BLOB NOT NULL UNIQUE,
    device          TEXT,
    ip              TEXT,
    created_at_ms   INTEGER NOT NULL,
    last_seen_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL,
    revoked_at_ms   INTEGER,
    revoke_reason   TEXT
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id) WHERE revoked_at_ms IS NULL;

-- Every revocation, in order, so that every server process (and, in cluster mode, every
-- node) can close the live connections of sessions revoked elsewhere.
CREATE TABLE session_revocations (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
) STRICT;
