-- The audit log (issue 22): one row per administrative action, appended once the action has
-- committed. Append-only: the triggers below refuse to change or remove a row, so that no
-- code path (and no mistake) rewrites history.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms            INTEGER NOT NULL,
    -- NULL for deployment-wide actions (a new domain).
    domain_id        INTEGER REFERENCES domains (id),
    -- Who acted, as they were then: no foreign key, the account may go but the record stays.
    -- NULL for the operator at the server's command line.
    actor_account_id INTEGER,
    actor_name       TEXT NOT NULL,
    actor_role       TEXT NOT NULL,
    actor_session_id INTEGER,
    ip               TEXT,
    action           TEXT NOT NULL,
    target           TEXT NOT NULL,
    -- The changed fields before and after, as JSON objects.
    before           TEXT,
    after            TEXT
) STRICT;
CREATE INDEX audit_log_domain ON audit_log (domain_id, id);
CREATE INDEX audit_log_at ON audit_log (at_ms);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
