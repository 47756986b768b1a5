-- What each conversation shares, for its "files" tab: images, files (video too) and messages
-- with links, by the rule of the core's content::shared_kind, recorded as each message is
-- appended (and again when an edit changes its links, or a recall takes it away).
CREATE TABLE shared_entries (
    conversation_id INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('image', 'file', 'link')),
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, kind, seq)
) STRICT, WITHOUT ROWID;

-- Messages stored before this step, by a simpler rule for links (the text names http:// or
-- https:// anywhere).
INSERT INTO shared_entries (conversation_id, kind, seq)
SELECT conversation_id,
       CASE WHEN kind = 'image' THEN 'image' WHEN kind IN ('file', 'video') THEN 'file' ELSE 'link' END,
       seq
FROM entries
WHERE body IS NOT NULL AND recalled_at_ms IS NULL AND (
    kind IN ('image', 'file', 'video')
    OR (kind = 'card' AND json_extract(body, '$.card') = 'link')
    OR (kind IN ('text', 'markdown')
        AND (json_extract(body, '$.text') LIKE '%http://%' OR json_extract(body, '$.text') LIKE '%https://%'))
);

-- Link previews, a cache shared by every account and keyed by the normalised URL: what the
-- page said of itself (found = 1), or that it gave nothing (found = 0, kept for less time),
-- with the thumbnail of its image that the server made.
CREATE TABLE link_previews (
    url            TEXT PRIMARY KEY,
    fetched_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    found          INTEGER NOT NULL CHECK (found IN (0, 1)),
    title          TEXT,
    description    TEXT,
    site_name      TEXT,
    image_width    INTEGER,
    image_height   INTEGER,
    image_blurhash TEXT,
    image_sha256   TEXT,
    image_jpeg     BLOB
) STRICT;
CREATE INDEX link_previews_by_expiry ON link_previews (expires_at_ms);
