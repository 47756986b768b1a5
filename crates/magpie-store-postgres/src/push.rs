//! Push targets, the push outbox and its failures (see [`magpie_core::push`]). Due pushes are
//! claimed with `FOR UPDATE SKIP LOCKED`, so nodes that look at once claim different pushes.

use async_trait::async_trait;
use magpie_core::model::{AccountId, ConversationId, DomainId, Seq, SessionId};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs};
use magpie_core::ports::PushStore;
use magpie_core::push::{
    Audience, NewPush, NewPushTarget, PushAddress, PushFailure, PushKind, PushNotice, PushOutcome, PushTarget,
    QueuedPush,
};
use tokio_postgres::Row;

use crate::chat::{addr, json_error, to_json};
use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

/// Longest error text kept.
const ERROR_CHARS_MAX: usize = 500;

const TARGET_COLUMNS: &str = "t.id, t.account_id, t.session_id, t.address, t.created_at_ms";

fn target_from_row(r: &Row, at: usize) -> PgResult<PushTarget> {
    let address: String = r.try_get(at + 3)?;
    Ok(PushTarget {
        id: r.try_get(at)?,
        account: AccountId(r.try_get(at + 1)?),
        session: SessionId(r.try_get(at + 2)?),
        address: serde_json::from_str::<PushAddress>(&address).map_err(json_error)?,
        created_at_ms: r.try_get(at + 4)?,
    })
}

fn short(error: &str) -> String {
    error.chars().take(ERROR_CHARS_MAX).collect()
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[async_trait]
impl PushStore for PgStore {
    async fn put_push_target(
        &self,
        new: &NewPushTarget,
        now_ms: i64,
        per_account_max: usize,
    ) -> StoreResult<Option<PushTarget>> {
        let max = i64::try_from(per_account_max).unwrap_or(i64::MAX);
        let key = new.address.key();
        let address = to_json(&new.address).map_err(crate::PgError::into_store)?;
        write_tx!(self, |tx| {
            // One registration of an account at a time, so that two at once cannot pass the
            // bound together.
            tx.c().execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", &[&new.account.0]).await?;
            let others: i64 = tx
                .c()
                .query_one(
                    "SELECT COUNT(*) FROM push_targets WHERE account_id = $1 AND address_key <> $2",
                    &[&new.account.0, &key],
                )
                .await?
                .try_get(0)?;
            if others >= max {
                None
            } else {
                // The same device again: it moves to this account and session, and what was
                // waiting for the account before is not its business any more.
                tx.c()
                    .execute(
                        "DELETE FROM push_outbox WHERE NOT done AND target_id IN ( \
                           SELECT id FROM push_targets WHERE address_key = $1 AND account_id <> $2)",
                        &[&key, &new.account.0],
                    )
                    .await?;
                let sql = format!(
                    "INSERT INTO push_targets AS t (account_id, session_id, address_key, address, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (address_key) DO UPDATE SET account_id = excluded.account_id, \
                       session_id = excluded.session_id, address = excluded.address \
                     RETURNING {TARGET_COLUMNS}"
                );
                let row = tx.c().query_one(&sql, &[&new.account.0, &new.session.0, &key, &address, &now_ms]).await?;
                Some(target_from_row(&row, 0)?)
            }
        })
    }

    async fn push_targets(&self, account: AccountId) -> StoreResult<Vec<PushTarget>> {
        read!(self, |c| {
            let sql = format!(
                "SELECT {TARGET_COLUMNS} FROM push_targets t JOIN sessions s ON s.id = t.session_id \
                 WHERE t.account_id = $1 AND s.revoked_at_ms IS NULL ORDER BY t.id"
            );
            let rows = c.query(&sql, &[&account.0]).await?;
            rows.iter().map(|r| target_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn delete_push_target(&self, account: AccountId, id: i64) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM push_targets WHERE id = $1 AND account_id = $2", &[&id, &account.0]).await? > 0
        })
    }

    async fn push_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
        now_ms: i64,
    ) -> StoreResult<Vec<Audience>> {
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT m.account_id, a.name, d.name, m.read_seq, m.muted, p.prefs, \
                       EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id AND b.blocked_id = $2), t.id, \
                   m.unmute_at_ms, m.notify_level \
                     FROM members m \
                     JOIN push_targets t ON t.account_id = m.account_id \
                     JOIN sessions s ON s.id = t.session_id AND s.revoked_at_ms IS NULL AND s.expires_at_ms > $3 \
                     JOIN accounts a ON a.id = m.account_id AND NOT a.disabled \
                     JOIN domains d ON d.id = a.domain_id \
                     LEFT JOIN notify_prefs p ON p.account_id = m.account_id \
                     WHERE m.conversation_id = $1 AND m.left_seq IS NULL AND m.account_id <> $2 \
                     ORDER BY m.account_id, t.id",
                    &[&conversation.0, &sender.0, &now_ms],
                )
                .await?;
            let mut out: Vec<Audience> = Vec::new();
            for r in &rows {
                let account = AccountId(r.try_get(0)?);
                let target: i64 = r.try_get(7)?;
                if let Some(last) = out.last_mut()
                    && last.account == account
                {
                    last.targets.push(target);
                    continue;
                }
                let prefs: Option<String> = r.try_get(5)?;
                let prefs = prefs.map(|p| serde_json::from_str::<NotifyPrefs>(&p).map_err(json_error)).transpose()?;
                let muted: bool = r.try_get(4)?;
                let unmute_at_ms: Option<i64> = r.try_get(8)?;
                let notify_level: Option<String> = r.try_get(9)?;
                out.push(Audience {
                    account,
                    addr: addr(r, 1)?,
                    read_seq: Seq(r.try_get(3)?),
                    conversation: ConversationPrefs {
                        level: notify_level.as_deref().and_then(Level::parse),
                        muted_until_ms: muted.then(|| unmute_at_ms.unwrap_or(i64::MAX)),
                    },
                    prefs,
                    blocked_sender: r.try_get(6)?,
                    targets: vec![target],
                });
            }
            out
        })
    }

    async fn enqueue_pushes(&self, pushes: &[NewPush], now_ms: i64, outbox_len_max: usize) -> StoreResult<Option<u64>> {
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        let mut targets = Vec::with_capacity(pushes.len());
        let mut accounts = Vec::with_capacity(pushes.len());
        let mut conversations = Vec::with_capacity(pushes.len());
        let mut seqs = Vec::with_capacity(pushes.len());
        let mut notices = Vec::with_capacity(pushes.len());
        for p in pushes {
            targets.push(p.target);
            accounts.push(p.account.0);
            conversations.push(p.notice.conversation.0);
            seqs.push(p.notice.seq.0);
            notices.push(to_json(&p.notice).map_err(crate::PgError::into_store)?);
        }
        write_tx!(self, |tx| {
            let waiting: i64 =
                tx.c().query_one("SELECT COUNT(*) FROM push_outbox WHERE NOT done", &[]).await?.try_get(0)?;
            if waiting >= max {
                None
            } else {
                // One statement for the whole message; a push already there (this message
                // handled before, here or on another node) is skipped.
                let written = tx
                    .c()
                    .execute(
                        "INSERT INTO push_outbox (target_id, account_id, conversation_id, seq, notice, due_at_ms, created_at_ms) \
                         SELECT u.t, u.a, u.c, u.s, u.n, $6, $6 \
                         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS u(t, a, c, s, n) \
                         JOIN push_targets pt ON pt.id = u.t \
                         ON CONFLICT (target_id, conversation_id, seq) DO NOTHING",
                        &[&targets, &accounts, &conversations, &seqs, &notices, &now_ms],
                    )
                    .await?;
                Some(written)
            }
        })
    }

    async fn claim_pushes(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<QueuedPush>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now_ms.saturating_add(lease_ms);
        write_tx!(self, |tx| {
            let sql = format!(
                "WITH claimed AS ( \
                   UPDATE push_outbox SET held_until_ms = $3 WHERE id IN ( \
                     SELECT id FROM push_outbox WHERE NOT done AND due_at_ms <= $1 AND held_until_ms <= $1 \
                     ORDER BY due_at_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                   RETURNING id, target_id, account_id, conversation_id, notice, attempts) \
                 SELECT o.id, o.notice, o.attempts, coalesce(m.read_seq, 0), {TARGET_COLUMNS} \
                 FROM claimed o JOIN push_targets t ON t.id = o.target_id \
                 LEFT JOIN members m ON m.conversation_id = o.conversation_id AND m.account_id = o.account_id \
                 ORDER BY o.id"
            );
            let rows = tx.c().query(&sql, &[&now_ms, &limit, &until]).await?;
            rows.iter()
                .map(|r| {
                    let notice: String = r.try_get(1)?;
                    Ok(QueuedPush {
                        id: r.try_get(0)?,
                        notice: serde_json::from_str::<PushNotice>(&notice).map_err(json_error)?,
                        attempts: count(r.try_get(2)?),
                        read_seq: Seq(r.try_get(3)?),
                        target: target_from_row(r, 4)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn push_done(&self, outcomes: &[(i64, PushOutcome)], now_ms: i64) -> StoreResult<()> {
        let mut sent = Vec::new();
        let mut retry = (Vec::new(), Vec::new(), Vec::new());
        let mut failed = (Vec::new(), Vec::new(), Vec::new());
        for (id, outcome) in outcomes {
            match outcome {
                PushOutcome::Sent => sent.push(*id),
                PushOutcome::Retry { at_ms, error } => {
                    retry.0.push(*id);
                    retry.1.push(*at_ms);
                    retry.2.push(short(error));
                }
                PushOutcome::Failed { error } => {
                    failed.0.push(*id);
                    failed.1.push(false);
                    failed.2.push(short(error));
                }
                PushOutcome::TargetGone { error } => {
                    failed.0.push(*id);
                    failed.1.push(true);
                    failed.2.push(short(error));
                }
            }
        }
        write_tx!(self, |tx| {
            if !sent.is_empty() {
                tx.c()
                    .execute(
                        "UPDATE push_outbox SET done = TRUE, done_at_ms = $2, held_until_ms = 0 WHERE id = ANY($1)",
                        &[&sent, &now_ms],
                    )
                    .await?;
            }
            if !retry.0.is_empty() {
                tx.c()
                    .execute(
                        "UPDATE push_outbox o SET attempts = o.attempts + 1, due_at_ms = u.at, held_until_ms = 0, \
                           last_error = u.e \
                         FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, at, e) WHERE o.id = u.id",
                        &[&retry.0, &retry.1, &retry.2],
                    )
                    .await?;
            }
            if !failed.0.is_empty() {
                let rows = tx
                    .c()
                    .query(
                        "SELECT o.account_id, o.target_id, t.address, o.attempts, u.gone, u.e \
                         FROM unnest($1::bigint[], $2::boolean[], $3::text[]) AS u(id, gone, e) \
                         JOIN push_outbox o ON o.id = u.id JOIN push_targets t ON t.id = o.target_id",
                        &[&failed.0, &failed.1, &failed.2],
                    )
                    .await?;
                for r in &rows {
                    let (account, target, address, attempts, gone, error): (i64, i64, String, i64, bool, String) =
                        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
                    let kind = serde_json::from_str::<PushAddress>(&address).map_err(json_error)?.kind();
                    tx.c()
                        .execute(
                            "INSERT INTO push_failures (at_ms, account_id, kind, target_dropped, error, attempts) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                            &[&now_ms, &account, &kind.as_str(), &gone, &error, &(attempts + 1)],
                        )
                        .await?;
                    if gone {
                        tx.c().execute("DELETE FROM push_targets WHERE id = $1", &[&target]).await?;
                    }
                }
                tx.c()
                    .execute(
                        "UPDATE push_outbox o SET done = TRUE, done_at_ms = $4, held_until_ms = 0, \
                           attempts = o.attempts + 1, last_error = u.e \
                         FROM unnest($1::bigint[], $2::boolean[], $3::text[]) AS u(id, gone, e) \
                         WHERE o.id = u.id AND NOT u.gone",
                        &[&failed.0, &failed.1, &failed.2, &now_ms],
                    )
                    .await?;
            }
        })
    }

    async fn prune_pushes(&self, before_ms: i64) -> StoreResult<u64> {
        write_tx!(self, |tx| {
            let n = tx.c().execute("DELETE FROM push_outbox WHERE done AND done_at_ms < $1", &[&before_ms]).await?;
            tx.c().execute("DELETE FROM push_failures WHERE at_ms < $1", &[&before_ms]).await?;
            n
        })
    }

    async fn push_outbox_len(&self) -> StoreResult<u64> {
        read!(self, |c| {
            let n: i64 = c.query_one("SELECT COUNT(*) FROM push_outbox WHERE NOT done", &[]).await?.try_get(0)?;
            u64::try_from(n).unwrap_or(0)
        })
    }

    async fn push_failures(&self, domain: Option<DomainId>, limit: usize) -> StoreResult<Vec<PushFailure>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let domain = domain.map(|d| d.0);
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT f.id, f.at_ms, a.name, d.name, f.kind, f.target_dropped, f.error, f.attempts \
                     FROM push_failures f JOIN accounts a ON a.id = f.account_id JOIN domains d ON d.id = a.domain_id \
                     WHERE $1::bigint IS NULL OR a.domain_id = $1 ORDER BY f.id DESC LIMIT $2",
                    &[&domain, &limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let kind: String = r.try_get(4)?;
                    Ok(PushFailure {
                        id: r.try_get(0)?,
                        at_ms: r.try_get(1)?,
                        account: addr(r, 2)?,
                        kind: PushKind::parse(&kind).ok_or_else(|| corrupt("push kind"))?,
                        target_dropped: r.try_get(5)?,
                        error: r.try_get(6)?,
                        attempts: count(r.try_get(7)?),
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }
}
