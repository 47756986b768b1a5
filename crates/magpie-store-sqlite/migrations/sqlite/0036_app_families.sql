-- OAuth token families (magpie_core::apps): a code and the pairs that follow from it share a
-- random id, written into the code and each refresh token, so that a code or refresh token
-- shown again after it was used revokes the family's pair. Codes waiting (they live a minute)
-- are forgotten: their holders authorize again. Each pair kept is a family of its own.
DELETE FROM oauth_codes;
ALTER TABLE oauth_codes ADD COLUMN family BLOB NOT NULL DEFAULT x'';
ALTER TABLE app_tokens ADD COLUMN family BLOB NOT NULL DEFAULT x'';
UPDATE app_tokens SET family = substr(refresh_hash, 1, 16);
CREATE INDEX app_tokens_by_family ON app_tokens (family);
