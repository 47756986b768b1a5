-- The log's tail: entries and account events in one commit order, which followers of the log
-- read from a cursor. A position is the activity clock's value when the item was written (the
-- clock moves on for every item; one writer, so positions follow commit order). Items written
-- before this step have none: the tail starts here.

ALTER TABLE entries ADD COLUMN position INTEGER;
CREATE INDEX entries_by_position ON entries (position) WHERE position IS NOT NULL;

ALTER TABLE account_events ADD COLUMN position INTEGER;
CREATE INDEX account_events_by_position ON account_events (position) WHERE position IS NOT NULL;

-- Where each durable follower of the log stands.
CREATE TABLE log_cursors (
    consumer      TEXT PRIMARY KEY,
    cursor        TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
