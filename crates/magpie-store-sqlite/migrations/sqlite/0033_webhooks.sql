-- Outgoing webhooks (issue 18, magpie_core::webhooks): bots' subscriptions to the events of
-- their conversations, and the events that wait for delivery or were delivered.
CREATE TABLE bot_subscriptions (
    -- AUTOINCREMENT: an id is never given twice, since an app tells events apart by
    -- "{subscription}.{conversation}.{seq}".
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id          INTEGER NOT NULL REFERENCES accounts(id),
    domain_id       INTEGER NOT NULL REFERENCES domains(id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    -- The kinds subscribed to, comma-separated (magpie_core::webhooks::EventKind::as_str).
    events          TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- Requests that failed in a row.
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_error      TEXT,
    last_success_ms INTEGER,
    -- Set when the failure budget disabled it (NULL when a person did, or while enabled).
    disabled_at_ms  INTEGER,
    -- Its events not delivered yet, counted in the writes that add and deliver them: the
    -- bound on them is checked at every write of events, which a count of the rows would
    -- make as slow as the backlog is long.
    pending         INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
    -- Events not written because `pending` was at its bound.
    dropped         INTEGER NOT NULL DEFAULT 0 CHECK (dropped >= 0),
    created_at_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX bot_subscriptions_by_bot ON bot_subscriptions (bot_id);

-- One row per (subscription, conversation, seq), written once: a delivered event is kept until
-- pruned, so that a follower handling its entry again does not write it again.
CREATE TABLE webhook_events (
    -- Increasing in write order: the claim serves the stream whose first event came first.
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES bot_subscriptions(id),
    -- Not a reference (as in push_jobs): the dump copies these tables before conversations.
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    -- Requests that carried it before.
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    due_ms          INTEGER NOT NULL,
    -- A sender's claim: not to be claimed again before this.
    leased_until_ms INTEGER NOT NULL DEFAULT 0,
    -- NULL while it waits.
    delivered_at_ms INTEGER,
    UNIQUE (subscription_id, conversation_id, seq)
) STRICT;
CREATE INDEX webhook_events_waiting ON webhook_events (subscription_id, conversation_id, seq)
    WHERE delivered_at_ms IS NULL;
CREATE INDEX webhook_events_delivered ON webhook_events (delivered_at_ms) WHERE delivered_at_ms IS NOT NULL;

-- One row per stream (a subscription's waiting events in one conversation), kept by every write
-- of those events, so that a claim reads the streams it may take instead of every waiting
-- event: the first waiting event (`head_id`), and when the stream may next be claimed
-- (`ready_ms`: the later of that event's due time and its hold; NULL while the subscription is
-- disabled). A stream with no waiting event has no row.
CREATE TABLE webhook_streams (
    subscription_id INTEGER NOT NULL REFERENCES bot_subscriptions(id),
    conversation_id INTEGER NOT NULL,
    head_id         INTEGER NOT NULL,
    ready_ms        INTEGER,
    PRIMARY KEY (subscription_id, conversation_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_streams_ready ON webhook_streams (ready_ms) WHERE ready_ms IS NOT NULL;
