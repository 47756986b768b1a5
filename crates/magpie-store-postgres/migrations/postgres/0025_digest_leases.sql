-- A digest is the account's: once one of its items is due, the claim takes all of them, so that
-- what arrived while the digest was held back (the account was connected, or seen lately) goes
-- in the same mail. The claim's hold is kept apart from the due time, so that the items another
-- pass holds are not taken twice.
ALTER TABLE digest_items ADD COLUMN leased_until_ms BIGINT NOT NULL DEFAULT 0;
