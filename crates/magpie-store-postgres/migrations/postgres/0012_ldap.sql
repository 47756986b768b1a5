-- Each domain's directory source (LDAP / Active Directory), and the accounts that came from it.
CREATE TABLE ldap_sources (
    domain_id       BIGINT PRIMARY KEY REFERENCES domains(id),
    -- The source's settings as JSON (magpie_core::ldap::LdapSource), its bind password included.
    config          TEXT NOT NULL,
    -- When a scheduled sync is due next (a node that claims it moves it on); NULL: on demand only.
    next_sync_at_ms BIGINT
);
CREATE INDEX ldap_sources_due ON ldap_sources (next_sync_at_ms) WHERE next_sync_at_ms IS NOT NULL;

CREATE TABLE ldap_accounts (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    domain_id  BIGINT NOT NULL REFERENCES domains(id),
    -- The entry's stable key (entryUUID, objectGUID), else its DN in lower case.
    entry_key  TEXT NOT NULL,
    -- The entry's DN at the last sync: what a login binds as.
    dn         TEXT NOT NULL
);
CREATE UNIQUE INDEX ldap_accounts_by_key ON ldap_accounts (domain_id, entry_key);
