-- Email digests (issue 17): which accounts want them, and after how many minutes away (NULL:
-- none; kept beside the JSON preferences so that a message's audience is one indexed read),
-- and the messages each account's next digest holds until it goes or they are read.
ALTER TABLE notify_prefs ADD COLUMN digest_after_mins INTEGER;
UPDATE notify_prefs SET digest_after_mins = json_extract(prefs, '$.digest_after_mins')
 WHERE json_extract(prefs, '$.email_digest') = 1;

CREATE TABLE digest_items (
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    why             TEXT NOT NULL CHECK (why IN ('direct', 'mention', 'mention_all')),
    at_ms           INTEGER NOT NULL,
    -- When the digest may go: the message's time plus the account's wait, moved on while the
    -- account is seen, and held by a sender's claim while it writes the mail.
    due_at_ms       INTEGER NOT NULL,
    PRIMARY KEY (account_id, conversation_id, seq)
) STRICT;
CREATE INDEX digest_items_due ON digest_items (due_at_ms, account_id);
