-- A recalled message is the same tombstone on every path: the recall already erased its body,
-- reactions and the bodies of its edits; from now on it also erases when it was last edited and
-- whom it mentioned (a device that catches up skips the edits of a recalled message and could
-- never learn the one, and clears the other itself). Messages recalled before this step lose
-- them here.
UPDATE entries SET edited_at_ms = NULL, mentions = NULL, mention_all = 0 WHERE recalled_at_ms IS NOT NULL;
