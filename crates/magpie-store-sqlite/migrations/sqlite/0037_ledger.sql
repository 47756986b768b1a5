-- The ledger of money (issue 21, magpie_core::ledger): each pocket's balance per domain (a
-- wallet, a hold of money in flight, the outside world through a payment provider), and every
-- movement with its legs, each under an idempotency key unique in its domain. Amounts are whole
-- fen. Only an outside pocket may go below zero, so the balances of a domain always sum to zero.
CREATE TABLE ledger_pockets (
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    kind      TEXT NOT NULL CHECK (kind IN ('wallet', 'packet', 'transfer', 'collection', 'outside')),
    ref_id    INTEGER NOT NULL,
    balance   INTEGER NOT NULL CHECK (balance >= 0 OR kind = 'outside'),
    PRIMARY KEY (domain_id, kind, ref_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_movements (
    id        INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    key       TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    UNIQUE (domain_id, key)
) STRICT;

-- A movement's legs, with each pocket's balance right after it: the pocket's history.
CREATE TABLE ledger_legs (
    movement_id   INTEGER NOT NULL REFERENCES ledger_movements(id),
    domain_id     INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    ref_id        INTEGER NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount <> 0),
    balance_after INTEGER NOT NULL,
    PRIMARY KEY (movement_id, kind, ref_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_legs_by_pocket ON ledger_legs (domain_id, kind, ref_id, movement_id);
