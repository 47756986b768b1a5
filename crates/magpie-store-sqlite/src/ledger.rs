//! The ledger's rows (magpie_core::ledger): pockets' balances, movements and their legs. The
//! single writer applies each movement whole, so a balance is read and written with nothing in
//! between.

use async_trait::async_trait;
use magpie_core::ledger::{Applied, Fen, Leg, Movement, MovementError, Pocket, check, same_legs};
use magpie_core::model::DomainId;
use magpie_core::ports::{LedgerStore, PocketLine};
use rusqlite::{Connection, OptionalExtension, params};

use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult};

fn balance_of(c: &Connection, domain: DomainId, pocket: Pocket) -> rusqlite::Result<i64> {
    let (kind, id) = pocket.parts();
    Ok(c.prepare_cached("SELECT balance FROM ledger_pockets WHERE domain_id = ?1 AND kind = ?2 AND ref_id = ?3")?
        .query_row(params![domain.0, kind, id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The legs a movement made, in the order it gave them.
fn legs_of(c: &Connection, movement: i64) -> rusqlite::Result<Vec<Leg>> {
    c.prepare_cached("SELECT kind, ref_id, amount FROM ledger_legs WHERE movement_id = ?1")?
        .query_map([movement], |r| {
            let kind: String = r.get(0)?;
            let pocket = Pocket::from_parts(&kind, r.get(1)?).ok_or_else(|| corrupt(0, "ledger pocket"))?;
            Ok(Leg { pocket, amount: r.get(2)? })
        })?
        .collect()
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn apply_movement(
        &self,
        domain: DomainId,
        movement: &Movement,
        at_ms: i64,
    ) -> StoreResult<Result<Applied, MovementError>> {
        if let Err(e) = check(movement) {
            return Ok(Err(e));
        }
        let movement = movement.clone();
        self.write(move |tx| {
            let made: Option<i64> = tx
                .prepare_cached("SELECT id FROM ledger_movements WHERE domain_id = ?1 AND key = ?2")?
                .query_row(params![domain.0, movement.key], |r| r.get(0))
                .optional()?;
            if let Some(id) = made {
                let before = legs_of(tx, id)?;
                return Ok(if same_legs(&before, &movement.legs) {
                    Ok(Applied::Again)
                } else {
                    Err(MovementError::KeyReused)
                });
            }
            let mut after = Vec::with_capacity(movement.legs.len());
            for leg in &movement.legs {
                let next = balance_of(tx, domain, leg.pocket)?.checked_add(leg.amount);
                match next {
                    Some(next) if next >= 0 || leg.pocket.may_go_negative() => after.push((leg, next)),
                    _ => return Ok(Err(MovementError::Insufficient(leg.pocket))),
                }
            }
            tx.prepare_cached("INSERT INTO ledger_movements (domain_id, key, at_ms) VALUES (?1, ?2, ?3)")?
                .execute(params![domain.0, movement.key, at_ms])?;
            let id = tx.last_insert_rowid();
            let mut set = tx.prepare_cached(
                "INSERT INTO ledger_pockets (domain_id, kind, ref_id, balance) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (domain_id, kind, ref_id) DO UPDATE SET balance = excluded.balance",
            )?;
            let mut line = tx.prepare_cached(
                "INSERT INTO ledger_legs (movement_id, domain_id, kind, ref_id, amount, balance_after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (leg, balance) in after {
                let (kind, ref_id) = leg.pocket.parts();
                set.execute(params![domain.0, kind, ref_id, balance])?;
                line.execute(params![id, domain.0, kind, ref_id, leg.amount, balance])?;
            }
            Ok(Ok(Applied::Moved))
        })
        .await
    }

    async fn pocket_balance(&self, domain: DomainId, pocket: Pocket) -> StoreResult<Fen> {
        self.read(move |c| balance_of(c, domain, pocket).map(Fen)).await
    }

    async fn pocket_history(
        &self,
        domain: DomainId,
        pocket: Pocket,
        before: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<PocketLine>> {
        let (kind, ref_id) = pocket.parts();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(
                "SELECT l.movement_id, m.key, l.amount, l.balance_after, m.at_ms \
                 FROM ledger_legs l JOIN ledger_movements m ON m.id = l.movement_id \
                 WHERE l.domain_id = ?1 AND l.kind = ?2 AND l.ref_id = ?3 AND l.movement_id < ?4 \
                 ORDER BY l.movement_id DESC LIMIT ?5",
            )?
            .query_map(params![domain.0, kind, ref_id, before.unwrap_or(i64::MAX), limit], |r| {
                Ok(PocketLine {
                    movement: r.get(0)?,
                    key: r.get(1)?,
                    amount: r.get(2)?,
                    balance_after: r.get(3)?,
                    at_ms: r.get(4)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn reconciliation(&self, domain: DomainId) -> StoreResult<(Fen, Fen)> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT coalesce(sum(CASE WHEN kind <> 'outside' THEN balance END), 0), \
                        coalesce(-sum(CASE WHEN kind = 'outside' THEN balance END), 0) \
                 FROM ledger_pockets WHERE domain_id = ?1",
            )?
            .query_row([domain.0], |r| Ok((Fen(r.get(0)?), Fen(r.get(1)?))))
        })
        .await
    }
}
