-- The key that signs file links and device keys, shared by every node of the deployment (an
-- embedded deployment keeps it in its data directory instead): made by the first node to start,
-- or copied in by `magpie admin migrate`.

CREATE TABLE server_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BYTEA NOT NULL CHECK (length(key) = 32)
);
