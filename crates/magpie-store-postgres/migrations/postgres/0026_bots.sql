-- Bots (issue 18): accounts of apps that act with tokens. A bot's account is marked; its own row
-- says who made it (NULL: the operator, with the CLI) and what it is for. Its tokens are
-- sessions with a scope (JSON: the conversations they reach, read, send, and whether the token
-- is an incoming webhook's); a login's session has none. Domains say whether their members,
-- not only administrators, may make bots.
ALTER TABLE accounts ADD COLUMN bot BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE domains ADD COLUMN members_make_bots BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN scope TEXT;

CREATE TABLE bots (
    account_id    BIGINT PRIMARY KEY REFERENCES accounts(id),
    domain_id     BIGINT NOT NULL REFERENCES domains(id),
    owner_id      BIGINT REFERENCES accounts(id),
    description   TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX bots_by_domain ON bots (domain_id, owner_id);
