-- Each domain's forbidden words (issue 22's moderation): what a message carrying one becomes
-- ('block' or 'mask'), and the words, as a JSON array of strings.
CREATE TABLE moderation_rules (
    domain_id INTEGER PRIMARY KEY REFERENCES domains (id),
    action    TEXT NOT NULL CHECK (action IN ('block', 'mask')),
    words     TEXT NOT NULL
) STRICT;
