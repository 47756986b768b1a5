-- Each account's notification preferences (issue 17), as one JSON value whose shape the core
-- owns (magpie_core::notify::NotifyPrefs); an account without a row has the defaults.
CREATE TABLE notify_prefs (
    account_id    BIGINT PRIMARY KEY REFERENCES accounts(id),
    prefs         TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
