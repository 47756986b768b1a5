-- Each domain's forbidden words (issue 22's moderation): what a message carrying one becomes
-- ('block' or 'mask'), and the words, as a JSON array of strings (TEXT, as the schema keeps
-- JSON elsewhere, so that `magpie admin migrate` copies it byte for byte).
CREATE TABLE moderation_rules (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id),
    action    TEXT NOT NULL CHECK (action IN ('block', 'mask')),
    words     TEXT NOT NULL
);
