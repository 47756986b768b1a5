-- Every membership of an account in a conversation, one row per time it joined: `members` holds
-- only the latest (a former member that comes back gets its row overwritten), but live delivery
-- decides who receives an entry by membership as of the entry's seq, and a fan-out that reads
-- memberships after an account left and came back must still find that it was a member then.
CREATE TABLE member_spans (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    joined_seq      INTEGER NOT NULL,
    left_seq        INTEGER,
    PRIMARY KEY (conversation_id, account_id, joined_seq)
) STRICT, WITHOUT ROWID;

-- Earlier spans of a member that came back before this step were overwritten; its latest is kept.
INSERT INTO member_spans (conversation_id, account_id, joined_seq, left_seq)
    SELECT conversation_id, account_id, joined_seq, left_seq FROM members;
