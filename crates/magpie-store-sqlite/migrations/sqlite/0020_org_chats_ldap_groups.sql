-- The organisation's chats and what a directory sync keeps: each person's own manager, the
-- department chats, the account that owns the chats the organisation makes, the directory's
-- groups and each source's sync state (its last report and its high-water mark).
CREATE TABLE account_managers (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    domain_id  INTEGER NOT NULL REFERENCES domains(id),
    manager_id INTEGER NOT NULL REFERENCES accounts(id)
) STRICT;
CREATE INDEX account_managers_by_domain ON account_managers (domain_id);

-- A department's chat: the group that follows its people (and those of the departments below it).
CREATE TABLE department_chats (
    department_id   INTEGER PRIMARY KEY REFERENCES departments(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id)
) STRICT;

-- The passwordless account that owns a domain's department and directory group chats.
CREATE TABLE org_chat_owners (
    domain_id  INTEGER PRIMARY KEY REFERENCES domains(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id)
) STRICT;

-- A directory group and the Magpie group that follows it.
CREATE TABLE ldap_groups (
    domain_id       INTEGER NOT NULL REFERENCES domains(id),
    -- The group entry's stable key (entryUUID, objectGUID), else its DN in lower case.
    entry_key       TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    dn              TEXT NOT NULL,
    PRIMARY KEY (domain_id, entry_key)
) STRICT;

-- A source's sync state as JSON (magpie_core::ldap::SyncState): the last report, the
-- high-water mark of incremental syncs and how many ran since the last full one.
CREATE TABLE ldap_sync_state (
    domain_id INTEGER PRIMARY KEY REFERENCES domains(id),
    state     TEXT NOT NULL
) STRICT;
