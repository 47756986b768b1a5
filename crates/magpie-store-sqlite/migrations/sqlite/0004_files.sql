-- Uploads in progress, complete files, and the content-addressed blobs they share.

CREATE TABLE uploads (
    id             TEXT PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    length         INTEGER NOT NULL CHECK (length >= 0),
    offset         INTEGER NOT NULL DEFAULT 0 CHECK (offset >= 0 AND offset <= length),
    name           TEXT,
    declared_type  TEXT,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX uploads_by_account ON uploads (account_id);
CREATE INDEX uploads_by_expiry ON uploads (expires_at_ms);

-- One row per stored content; refs counts the files that use it.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    refs   INTEGER NOT NULL CHECK (refs >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    sha256        TEXT NOT NULL REFERENCES blobs(sha256),
    size          INTEGER NOT NULL,
    media_type    TEXT NOT NULL,
    name          TEXT,
    created_at_ms INTEGER NOT NULL,
    -- Set once a message refers to the file; a file never shared is deleted after a while.
    shared        INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    -- An image's upright size, and a blurhash for a placeholder.
    width         INTEGER,
    height        INTEGER,
    blurhash      TEXT,
    -- The playing time of a video or audio file, when its header says it.
    duration_ms   INTEGER
) STRICT;
CREATE INDEX files_by_account ON files (account_id);
CREATE INDEX files_never_shared ON files (created_at_ms) WHERE shared = 0;

-- An image's thumbnails, each a JPEG blob.
CREATE TABLE thumbnails (
    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    side    INTEGER NOT NULL,
    sha256  TEXT NOT NULL REFERENCES blobs(sha256),
    size    INTEGER NOT NULL,
    width   INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    PRIMARY KEY (file_id, side)
) STRICT, WITHOUT ROWID;

-- Which messages refer to which files: their readers may read the files while they stand.
CREATE TABLE file_refs (
    file_id         TEXT NOT NULL,
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (file_id, conversation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX file_refs_by_entry ON file_refs (conversation_id, seq);

-- Sticker packs of a domain, made by its admins; each sticker is an image file.
CREATE TABLE sticker_packs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    name          TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sticker_packs_by_domain ON sticker_packs (domain_id);

CREATE TABLE stickers (
    pack_id  INTEGER NOT NULL REFERENCES sticker_packs(id),
    file_id  TEXT NOT NULL REFERENCES files(id),
    emoji    TEXT,
    position INTEGER NOT NULL,
    PRIMARY KEY (pack_id, file_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX stickers_by_file ON stickers (file_id);
