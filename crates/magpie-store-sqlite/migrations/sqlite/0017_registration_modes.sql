-- Registration by invitation or with approval. `registration` stays 'closed' or 'open'; how
-- an open domain lets people in is `signup`: at once ('direct'), with an invitation code, or
-- once an administrator approves.
ALTER TABLE domains ADD COLUMN signup TEXT NOT NULL DEFAULT 'direct'
    CHECK (signup IN ('direct', 'invitation', 'approval'));

CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    -- SHA-256 of the code; the code itself is shown once, when it is made.
    code_hash     BLOB NOT NULL UNIQUE,
    created_by    INTEGER REFERENCES accounts(id),
    note          TEXT,
    uses          INTEGER NOT NULL DEFAULT 0,
    uses_max      INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;
CREATE INDEX invitations_by_domain ON invitations (domain_id, id);

-- Accounts that applied and wait for (or were refused) approval; an approved one has no row.
CREATE TABLE applications (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id),
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'rejected')),
    applied_at_ms INTEGER NOT NULL,
    decided_at_ms INTEGER
) STRICT;
CREATE INDEX applications_by_domain ON applications (domain_id, state, applied_at_ms);
