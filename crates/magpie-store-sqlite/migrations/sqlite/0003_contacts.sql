-- Contacts (friends), friend requests and blocks; the domain's direct-message policy.

ALTER TABLE domains ADD COLUMN direct_requires_friendship INTEGER NOT NULL DEFAULT 0
    CHECK (direct_requires_friendship IN (0, 1));

-- Friendship is mutual: one row each way.
CREATE TABLE contacts (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    contact_id INTEGER NOT NULL REFERENCES accounts(id),
    since_ms   INTEGER NOT NULL,
    PRIMARY KEY (account_id, contact_id)
) STRICT, WITHOUT ROWID;

-- Pending requests only: accepting or rejecting deletes the row.
CREATE TABLE friend_requests (
    from_id INTEGER NOT NULL REFERENCES accounts(id),
    to_id   INTEGER NOT NULL REFERENCES accounts(id),
    message TEXT,
    at_ms   INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX friend_requests_to ON friend_requests (to_id);

CREATE TABLE blocks (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    blocked_id INTEGER NOT NULL REFERENCES accounts(id),
    at_ms      INTEGER NOT NULL,
    PRIMARY KEY (account_id, blocked_id)
) STRICT, WITHOUT ROWID;
