-- Scheduled messages (issue 23): messages a person wrote to be sent later, which the server
-- sends at their time as from the session that scheduled them (see magpie_core::scheduled).

-- One row per scheduled message that waits or failed; a message is deleted once sent.
-- `mentions` is a JSON array of addresses (NULL when none). A row is held by one node's sender
-- while `claimed_until_ms` lies ahead; `failed_code` (an error code of the protocol's table)
-- is set when its send failed for good.
CREATE TABLE scheduled_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts(id),
    session_id       INTEGER NOT NULL,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    kind             TEXT NOT NULL,
    body             TEXT NOT NULL,
    mentions         TEXT,
    mention_all      INTEGER NOT NULL DEFAULT 0 CHECK (mention_all IN (0, 1)),
    reply_to         INTEGER,
    send_at_ms       INTEGER NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    updated_at_ms    INTEGER NOT NULL,
    claimed_until_ms INTEGER,
    failed_code      TEXT,
    failed_message   TEXT,
    failed_at_ms     INTEGER
) STRICT;
CREATE INDEX scheduled_by_account ON scheduled_messages (account_id, send_at_ms, id);
-- What falls due next: waiting messages no claim holds, and the ends of claims.
CREATE INDEX scheduled_waiting ON scheduled_messages (send_at_ms)
    WHERE failed_code IS NULL AND claimed_until_ms IS NULL;
CREATE INDEX scheduled_claimed ON scheduled_messages (claimed_until_ms) WHERE claimed_until_ms IS NOT NULL;

-- The files a scheduled message refers to: kept from the retention of files that no message
-- refers to while it is scheduled.
CREATE TABLE scheduled_files (
    scheduled_id INTEGER NOT NULL REFERENCES scheduled_messages(id) ON DELETE CASCADE,
    file_id      TEXT NOT NULL,
    PRIMARY KEY (scheduled_id, file_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX scheduled_files_by_file ON scheduled_files (file_id);
