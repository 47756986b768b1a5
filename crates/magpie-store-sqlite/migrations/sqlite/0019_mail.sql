-- Email in onboarding: a domain may ask registrations for a verified email (a code mailed to
-- it) and accept only some email domains; accounts remember the language mail to them is
-- written in; one-time codes for registration and password reset; and the outbox that
-- mail waits in until the mail server takes it.
ALTER TABLE domains ADD COLUMN email_verification INTEGER NOT NULL DEFAULT 0;
-- The email domains a registration's email may be of, one per line; empty for any.
ALTER TABLE domains ADD COLUMN email_domains TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN locale TEXT;
-- Members (not only administrators) may make invitation codes to their domain.
ALTER TABLE domains ADD COLUMN members_invite INTEGER NOT NULL DEFAULT 0;

-- The live code of each (domain, purpose, subject): an email address for registration, an
-- account id for a password reset. A new code replaces the one before.
CREATE TABLE email_codes (
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('register', 'reset')),
    subject       TEXT NOT NULL,
    -- SHA-256 of the code; the code itself only goes out by mail.
    code_hash     BLOB NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER,
    PRIMARY KEY (domain_id, purpose, subject)
) STRICT;
CREATE INDEX email_codes_by_expiry ON email_codes (expires_at_ms);

CREATE TABLE mail_outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr            TEXT NOT NULL,
    subject            TEXT NOT NULL,
    body_text          TEXT NOT NULL,
    body_html          TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    -- A node sending it holds it until then; another may take it over after.
    claimed_until_ms   INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT
) STRICT;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at_ms);
