//! The ledger's rows (magpie_core::ledger): pockets' balances, movements and their legs. A
//! movement locks the rows of its pockets that exist, one by one in the pockets' order (so two
//! movements on the same pockets queue, and never deadlock), checks that none would go below
//! zero, and only then writes; a pocket that had no row is added to, as another movement may
//! make its row meanwhile. Two movements under one key at once: the second's insert fails on the key, and
//! it runs again and finds the first.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::ledger::{Applied, Fen, Leg, Movement, MovementError, Pocket, check, same_legs};
use magpie_core::model::DomainId;
use magpie_core::ports::{LedgerStore, PocketLine};

use crate::{PgResult, PgStore, StoreResult, corrupt, read, read_tx, write_tx};

#[async_trait]
impl LedgerStore for PgStore {
    async fn apply_movement(
        &self,
        domain: DomainId,
        movement: &Movement,
        at_ms: i64,
    ) -> StoreResult<Result<Applied, MovementError>> {
        if let Err(e) = check(movement) {
            return Ok(Err(e));
        }
        let mut legs = movement.legs.clone();
        legs.sort_unstable_by_key(|l| l.pocket.parts());
        let key = movement.key.clone();
        write_tx!(self, |tx| {
            let c = tx.c();
            let made = c
                .query_opt("SELECT id FROM ledger_movements WHERE domain_id = $1 AND key = $2", &[&domain.0, &key])
                .await?;
            if let Some(row) = made {
                let id: i64 = row.try_get(0)?;
                let rows =
                    c.query("SELECT kind, ref_id, amount FROM ledger_legs WHERE movement_id = $1", &[&id]).await?;
                let before = rows
                    .iter()
                    .map(|r| {
                        let kind: String = r.try_get(0)?;
                        let pocket =
                            Pocket::from_parts(&kind, r.try_get(1)?).ok_or_else(|| corrupt("ledger pocket"))?;
                        Ok(Leg { pocket, amount: r.try_get(2)? })
                    })
                    .collect::<PgResult<Vec<_>>>()?;
                if same_legs(&before, &legs) { Ok(Applied::Again) } else { Err(MovementError::KeyReused) }
            } else {
                // The balances as they are, each row locked until the commit, in the pockets' order.
                let mut held: HashMap<Pocket, Option<i64>> = HashMap::new();
                for leg in &legs {
                    let (kind, ref_id) = leg.pocket.parts();
                    let row = c
                        .query_opt(
                            "SELECT balance FROM ledger_pockets WHERE domain_id = $1 AND kind = $2 AND ref_id = $3 \
                             FOR UPDATE",
                            &[&domain.0, &kind, &ref_id],
                        )
                        .await?;
                    held.insert(leg.pocket, row.map(|r| r.try_get(0)).transpose()?);
                }
                let short = legs.iter().find(|l| {
                    let next = held.get(&l.pocket).copied().flatten().unwrap_or(0).checked_add(l.amount);
                    !matches!(next, Some(n) if n >= 0 || l.pocket.may_go_negative())
                });
                match short {
                    Some(leg) => Err(MovementError::Insufficient(leg.pocket)),
                    None => {
                        let id: i64 = c
                            .query_one(
                                "INSERT INTO ledger_movements (domain_id, key, at_ms) VALUES ($1, $2, $3) RETURNING id",
                                &[&domain.0, &key, &at_ms],
                            )
                            .await?
                            .try_get(0)?;
                        for leg in &legs {
                            let (kind, ref_id) = leg.pocket.parts();
                            // A row locked above is set; one that was not there is added to, as
                            // another movement may have made it meanwhile.
                            let balance: i64 = match held.get(&leg.pocket).copied().flatten() {
                                Some(before) => {
                                    let next = before + leg.amount;
                                    c.execute(
                                        "UPDATE ledger_pockets SET balance = $4 \
                                         WHERE domain_id = $1 AND kind = $2 AND ref_id = $3",
                                        &[&domain.0, &kind, &ref_id, &next],
                                    )
                                    .await?;
                                    next
                                }
                                None => c
                                    .query_one(
                                        "INSERT INTO ledger_pockets (domain_id, kind, ref_id, balance) \
                                         VALUES ($1, $2, $3, $4) ON CONFLICT (domain_id, kind, ref_id) \
                                         DO UPDATE SET balance = ledger_pockets.balance + excluded.balance \
                                         RETURNING balance",
                                        &[&domain.0, &kind, &ref_id, &leg.amount],
                                    )
                                    .await?
                                    .try_get(0)?,
                            };
                            c.execute(
                                "INSERT INTO ledger_legs (movement_id, domain_id, kind, ref_id, amount, balance_after) \
                                 VALUES ($1, $2, $3, $4, $5, $6)",
                                &[&id, &domain.0, &kind, &ref_id, &leg.amount, &balance],
                            )
                            .await?;
                        }
                        Ok(Applied::Moved)
                    }
                }
            }
        })
    }

    async fn pocket_balance(&self, domain: DomainId, pocket: Pocket) -> StoreResult<Fen> {
        let (kind, ref_id) = pocket.parts();
        read!(self, |c| {
            let sql = "SELECT balance FROM ledger_pockets WHERE domain_id = $1 AND kind = $2 AND ref_id = $3";
            let row = c.query_opt(&c.prepare_cached(sql).await?, &[&domain.0, &kind, &ref_id]).await?;
            Fen(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
        })
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
        let before = before.unwrap_or(i64::MAX);
        read!(self, |c| {
            let sql = "SELECT l.movement_id, m.key, l.amount, l.balance_after, m.at_ms \
                       FROM ledger_legs l JOIN ledger_movements m ON m.id = l.movement_id \
                       WHERE l.domain_id = $1 AND l.kind = $2 AND l.ref_id = $3 AND l.movement_id < $4 \
                       ORDER BY l.movement_id DESC LIMIT $5";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&domain.0, &kind, &ref_id, &before, &limit]).await?;
            rows.iter()
                .map(|r| {
                    Ok(PocketLine {
                        movement: r.try_get(0)?,
                        key: r.try_get(1)?,
                        amount: r.try_get(2)?,
                        balance_after: r.try_get(3)?,
                        at_ms: r.try_get(4)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn reconciliation(&self, domain: DomainId) -> StoreResult<(Fen, Fen)> {
        read_tx!(self, |c| {
            let row = c
                .query_one(
                    "SELECT coalesce(sum(CASE WHEN kind <> 'outside' THEN balance END), 0)::BIGINT, \
                            coalesce(-sum(CASE WHEN kind = 'outside' THEN balance END), 0)::BIGINT \
                     FROM ledger_pockets WHERE domain_id = $1",
                    &[&domain.0],
                )
                .await?;
            (Fen(row.try_get(0)?), Fen(row.try_get(1)?))
        })
    }
}
