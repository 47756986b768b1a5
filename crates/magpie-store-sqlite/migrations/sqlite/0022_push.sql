-- Push (issue 17): the devices registered for pushes, the outbox pushes wait in until a push
-- service takes them, and the failures an administrator looks at.

-- One device's subscription or token, under one session: it ends with the session.
CREATE TABLE push_targets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    -- magpie_core::push::PushAddress::key: one target per subscription or token.
    address_key   TEXT NOT NULL UNIQUE,
    -- The address as JSON (magpie_core::push::PushAddress).
    address       TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX push_targets_by_account ON push_targets (account_id);
CREATE INDEX push_targets_by_session ON push_targets (session_id);

-- One push of one message to one target. A row stays after it is done (sent or given up)
-- until it is pruned, so that a message handled again is not pushed again.
CREATE TABLE push_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id       INTEGER NOT NULL REFERENCES push_targets(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    -- What the push tells, as JSON (magpie_core::push::PushNotice).
    notice          TEXT NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at_ms       INTEGER NOT NULL,
    held_until_ms   INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at_ms   INTEGER NOT NULL,
    done_at_ms      INTEGER,
    UNIQUE (target_id, conversation_id, seq)
) STRICT;
CREATE INDEX push_outbox_due ON push_outbox (due_at_ms, id) WHERE done = 0;
CREATE INDEX push_outbox_done ON push_outbox (done_at_ms) WHERE done = 1;

-- Pushes given up and targets dropped, for the admin's view; pruned with the outbox.
CREATE TABLE push_failures (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms          INTEGER NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    kind           TEXT NOT NULL,
    target_dropped INTEGER NOT NULL CHECK (target_dropped IN (0, 1)),
    error          TEXT NOT NULL,
    attempts       INTEGER NOT NULL
) STRICT;
CREATE INDEX push_failures_by_time ON push_failures (at_ms);
