-- Push jobs (issue 17): one row per message and notice (members told for the same reason,
-- with or without the preview, share one) naming the devices it goes to, instead of one
-- push_outbox row per device: a message to a 10,000-member group was some 9,000 row writes
-- three times over (queued, claimed, done). What a job's send leaves to retry becomes
-- push_outbox rows; push_outbox keeps only those.
CREATE TABLE push_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    -- The job's place among its message's jobs, from 0; the message's jobs are written in one
    -- write, so variant 0 stands for all of them when the message is handled again.
    variant         INTEGER NOT NULL,
    -- How many pairs `targets` held when written (the outbox's bound counts them while the job
    -- waits).
    target_count    INTEGER NOT NULL CHECK (target_count >= 0),
    done            INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    due_at_ms       INTEGER NOT NULL,
    -- A sender's claim: the job is not due to another one before this. Written as the job's
    -- creation time rather than 0, so that on SQLite a claim changes the row's size in no
    -- column and is rewritten in place, not whole with its targets (some 170 KB of WAL for
    -- 9,000 targets).
    held_until_ms   INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    done_at_ms      INTEGER,
    -- Last, being long: a row's other columns are read without its overflow pages.
    -- What the push tells, as JSON (magpie_core::push::PushNotice).
    notice          TEXT NOT NULL,
    -- The devices it goes to: a JSON array of [target_id, account_id] pairs; '[]' once the
    -- job is done (a done job is kept only to tell its message was handled).
    targets         TEXT NOT NULL,
    UNIQUE (conversation_id, seq, variant)
) STRICT;
CREATE INDEX push_jobs_due ON push_jobs (due_at_ms, id) WHERE done = 0;
CREATE INDEX push_jobs_done ON push_jobs (done_at_ms) WHERE done = 1;
