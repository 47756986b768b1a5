-- Workbench apps (issue 18, magpie_core::apps): each domain's apps in the workbench's order,
-- and OAuth 2.0's authorization codes, users' grants and token pairs. Codes and refresh tokens
-- are kept by the SHA-256 of their secret; an access token is a session (`session_id`, not a
-- reference: an ended session's row is pruned while its refresh token may still be used).
CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    icon          TEXT,
    url           TEXT NOT NULL,
    client_id     TEXT NOT NULL UNIQUE,
    secret_hash   BLOB NOT NULL,
    -- JSON arrays: the redirect URIs; the scopes it may ask for; the departments whose people
    -- see it (NULL: everyone).
    redirect_uris TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    departments   TEXT,
    position      INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX apps_by_domain ON apps (domain_id, position);

CREATE TABLE oauth_codes (
    code_hash     BLOB PRIMARY KEY,
    app_id        INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL,
    challenge     TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_codes_by_expiry ON oauth_codes (expires_at_ms);

CREATE TABLE app_grants (
    app_id        INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL,
    granted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, app_id)
) STRICT;
CREATE INDEX app_grants_by_app ON app_grants (app_id);

CREATE TABLE app_tokens (
    refresh_hash  BLOB PRIMARY KEY,
    app_id        INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_id    INTEGER NOT NULL,
    scopes        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX app_tokens_by_grant ON app_tokens (app_id, account_id, created_at_ms);
CREATE INDEX app_tokens_by_session ON app_tokens (session_id);
CREATE INDEX app_tokens_by_expiry ON app_tokens (expires_at_ms);
