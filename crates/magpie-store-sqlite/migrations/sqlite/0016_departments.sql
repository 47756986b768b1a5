-- The organisation: each domain's tree of departments, and the people in them with a title.
CREATE TABLE departments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    -- NULL at the top of the tree; always a department of the same domain (the store checks
    -- it: no foreign key, so that a copy of the table may insert a child before its parent).
    parent_id     INTEGER,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL DEFAULT 0,
    manager_id    INTEGER REFERENCES accounts(id),
    created_at_ms INTEGER NOT NULL
) STRICT;
-- Sibling names are unique (the top of the tree is parent 0).
CREATE UNIQUE INDEX departments_by_parent_name ON departments (domain_id, coalesce(parent_id, 0), name);
CREATE INDEX departments_by_parent ON departments (parent_id);

CREATE TABLE department_members (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    title         TEXT,
    PRIMARY KEY (department_id, account_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX department_members_by_account ON department_members (account_id, department_id);
