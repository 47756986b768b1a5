-- What each conversation shares, for its "files" tab, and the link-preview cache: the same
-- tables as SQLite's 0009_shared_and_link_previews, whose comments explain them.
CREATE TABLE shared_entries (
    conversation_id BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('image', 'file', 'link')),
    seq             BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, kind, seq)
);

INSERT INTO shared_entries (conversation_id, kind, seq)
SELECT conversation_id,
       CASE WHEN kind = 'image' THEN 'image' WHEN kind IN ('file', 'video') THEN 'file' ELSE 'link' END,
       seq
FROM entries
WHERE body IS NOT NULL AND recalled_at_ms IS NULL AND (
    kind IN ('image', 'file', 'video')
    OR (kind = 'card' AND body::jsonb ->> 'card' = 'link')
    OR (kind IN ('text', 'markdown')
        AND (body::jsonb ->> 'text' ILIKE '%http://%' OR body::jsonb ->> 'text' ILIKE '%https://%'))
);

CREATE TABLE link_previews (
    url            TEXT PRIMARY KEY,
    fetched_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    found          BOOLEAN NOT NULL,
    title          TEXT,
    description    TEXT,
    site_name      TEXT,
    image_width    BIGINT,
    image_height   BIGINT,
    image_blurhash TEXT,
    image_sha256   TEXT,
    image_jpeg     BYTEA
);
CREATE INDEX link_previews_by_expiry ON link_previews (expires_at_ms);
