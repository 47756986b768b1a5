-- Conversations, their members and logs, and the per-account event log.

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id        INTEGER NOT NULL REFERENCES domains(id),
    kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
    -- "low:high" account ids of a direct chat: one chat per pair.
    direct_key       TEXT UNIQUE,
    name             TEXT,
    description      TEXT,
    avatar           TEXT,
    announcement     TEXT,
    owner_id         INTEGER REFERENCES accounts(id),
    mute_all         INTEGER NOT NULL DEFAULT 0 CHECK (mute_all IN (0, 1)),
    last_seq         INTEGER NOT NULL DEFAULT 0,
    -- Messages (not operations) so far: unread = this minus the count at the read mark.
    message_count    INTEGER NOT NULL DEFAULT 0,
    -- The seq of the newest message, for previews.
    last_message_seq INTEGER NOT NULL DEFAULT 0,
    -- The activity clock's value at the last append (or creation): the sync cursor.
    activity         INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL,
    member_count     INTEGER NOT NULL DEFAULT 0,
    created_at_ms    INTEGER NOT NULL,
    dissolved_at_ms  INTEGER
) STRICT;

CREATE INDEX conversations_by_activity ON conversations (activity);

-- One row: a counter that every append and every new conversation moves on. With one
-- writer its values follow commit order, so "activity after X" never misses a conversation.
CREATE TABLE activity_clock (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;
INSERT INTO activity_clock (id, value) VALUES (1, 0);

CREATE TABLE members (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    role            TEXT NOT NULL CHECK (role IN ('member', 'admin', 'owner')),
    joined_seq      INTEGER NOT NULL,
    left_seq        INTEGER,
    muted_until_ms  INTEGER,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    delivered_seq   INTEGER NOT NULL DEFAULT 0,
    pinned          INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    muted           INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    draft           TEXT,
    -- Order of joining, for stable member paging.
    joined_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, account_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX members_by_account ON members (account_id, conversation_id) WHERE left_seq IS NULL;

-- The log. id is the server id, unique across the deployment.
CREATE TABLE entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    seq              INTEGER NOT NULL,
    sender_id        INTEGER NOT NULL REFERENCES accounts(id),
    session_id       INTEGER,
    client_msg_id    TEXT,
    kind             TEXT NOT NULL,
    -- JSON; NULL once recalled.
    body             TEXT,
    target_seq       INTEGER,
    -- JSON array of addresses.
    mentions         TEXT,
    mention_all      INTEGER NOT NULL DEFAULT 0,
    reply_to         INTEGER,
    forwarded_from   TEXT,
    -- The conversation's message_count once this entry is in: unread counts come from it.
    message_number   INTEGER NOT NULL,
    at_ms            INTEGER NOT NULL,
    edited_at_ms     INTEGER,
    recalled_at_ms   INTEGER,
    UNIQUE (conversation_id, seq)
) STRICT;

-- Idempotent sends: one entry per (device, client_msg_id).
CREATE UNIQUE INDEX entries_by_client_id ON entries (session_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
CREATE INDEX entries_by_target ON entries (conversation_id, target_seq) WHERE target_seq IS NOT NULL;
-- Recalled messages, so that unread counts can leave them out without scanning the backlog.
CREATE INDEX entries_recalled ON entries (conversation_id, seq) WHERE recalled_at_ms IS NOT NULL;

-- Who is mentioned where; account_id NULL stands for @all.
CREATE TABLE mentions (
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    account_id      INTEGER
) STRICT;
CREATE INDEX mentions_by_account ON mentions (account_id, conversation_id, seq);
CREATE INDEX mentions_all ON mentions (conversation_id, seq) WHERE account_id IS NULL;

CREATE TABLE reactions (
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    emoji           TEXT NOT NULL,
    account_id      INTEGER NOT NULL,
    at_ms           INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq, emoji, account_id)
) STRICT, WITHOUT ROWID;

-- Delete-for-me.
CREATE TABLE hidden_entries (
    account_id      INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (account_id, conversation_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_events (
    account_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    -- JSON of the core's AccountEvent.
    event      TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
) STRICT, WITHOUT ROWID;
