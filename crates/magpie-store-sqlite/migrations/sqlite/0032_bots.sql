-- Bots (issue 18): accounts of apps that act with tokens. A bot's account is marked; its own row
-- says who made it (NULL: the operator, with the CLI) and what it is for. Its tokens are
-- sessions with a scope (JSON: the conversations they reach, read, send, and whether the token
-- is an incoming webhook's); a login's session has none. Domains say whether their members,
-- not only administrators, may make bots.
ALTER TABLE accounts ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domains ADD COLUMN members_make_bots INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scope TEXT;

CREATE TABLE bots (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id),
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    owner_id      INTEGER REFERENCES accounts(id),
    description   TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX bots_by_domain ON bots (domain_id, owner_id);
