-- Retention (magpie_core::retention): how long a domain keeps its entries, and a conversation
-- if it differs; how far each conversation was pruned; the blobs whose last file a prune
-- deleted, until their bytes are gone; and each run's progress.

-- Days a domain keeps its entries; NULL keeps them for ever.
ALTER TABLE domains ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days > 0);

-- NULL: as the domain; 0: for ever, whatever the domain says; N: N days.
ALTER TABLE conversations ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days >= 0);
-- Entries up to this seq are gone (0: none), and the messages among them were this many (the
-- `message_number` of the last one): unread counts start from it when the read mark is below.
-- Raised by each prune in the transaction that deletes the entries.
ALTER TABLE conversations ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN pruned_messages INTEGER NOT NULL DEFAULT 0;

-- Blobs whose last file a prune deleted: the retention sweep deletes their bytes, then the row.
-- Written in the transaction that deleted the file.
CREATE TABLE doomed_blobs (
    sha256       TEXT PRIMARY KEY,
    doomed_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per run of a domain's retention.
CREATE TABLE retention_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id      INTEGER NOT NULL REFERENCES domains (id),
    state          TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    -- "schedule", an account's address, or the operator's name.
    started_by     TEXT NOT NULL,
    -- A run started by hand with a cutoff for every conversation; NULL: each one's policy.
    before_ms      INTEGER,
    conversations  INTEGER NOT NULL DEFAULT 0,
    entries        INTEGER NOT NULL DEFAULT 0,
    files          INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    started_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER
) STRICT;
CREATE INDEX retention_runs_by_domain ON retention_runs (domain_id, id);
CREATE INDEX retention_runs_running ON retention_runs (updated_at_ms) WHERE state = 'running';

-- A prune deletes what hangs on its entries by (conversation_id, seq): the tables whose keys
-- do not start there get an index that does, so that a batch never scans a whole table.
CREATE INDEX mentions_by_entry ON mentions (conversation_id, seq);
CREATE INDEX hidden_entries_by_entry ON hidden_entries (conversation_id, seq);
CREATE INDEX thread_follows_by_root ON thread_follows (conversation_id, root_seq);
CREATE INDEX push_outbox_by_entry ON push_outbox (conversation_id, seq);
CREATE INDEX digest_items_by_entry ON digest_items (conversation_id, seq);
