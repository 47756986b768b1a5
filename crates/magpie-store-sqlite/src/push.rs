//! Push targets, push jobs, the push outbox (pushes being retried) and its failures (see
//! [`magpie_core::push`]).

use async_trait::async_trait;
use magpie_core::model::{AccountId, ConversationId, DomainId, Seq, SessionId};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs};
use magpie_core::ports::PushStore;
use magpie_core::push::{
    Audience, FinishedJob, JobTargets, NewPushJob, NewPushTarget, PushAddress, PushFailure, PushJob, PushKind,
    PushNotice, PushOutcome, PushTarget, QueuedPush,
};
use rusqlite::{OptionalExtension, Row, params};

use crate::chat::{addr, corrupt, json_error, to_json};
use crate::{SqliteStore, StoreResult};

/// Longest error text kept.
const ERROR_CHARS_MAX: usize = 500;

const TARGET_COLUMNS: &str = "t.id, t.account_id, t.session_id, t.address, t.created_at_ms";

fn target_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<PushTarget> {
    let address: String = r.get(at + 3)?;
    Ok(PushTarget {
        id: r.get(at)?,
        account: AccountId(r.get(at + 1)?),
        session: SessionId(r.get(at + 2)?),
        address: serde_json::from_str::<PushAddress>(&address).map_err(|e| json_error(at + 3, e))?,
        created_at_ms: r.get(at + 4)?,
    })
}

/// Pushes waiting: the targets of jobs not done and the outbox's rows not done.
fn waiting(c: &rusqlite::Connection) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "SELECT (SELECT coalesce(sum(target_count), 0) FROM push_jobs WHERE done = 0) \
              + (SELECT COUNT(*) FROM push_outbox WHERE done = 0)",
    )?
    .query_row([], |r| r.get(0))
}

fn short(error: &str) -> String {
    error.chars().take(ERROR_CHARS_MAX).collect()
}

#[async_trait]
impl PushStore for SqliteStore {
    async fn put_push_target(
        &self,
        new: &NewPushTarget,
        now_ms: i64,
        per_account_max: usize,
    ) -> StoreResult<Option<PushTarget>> {
        let new = new.clone();
        let max = i64::try_from(per_account_max).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let key = new.address.key();
            let others: i64 = tx.query_row(
                "SELECT COUNT(*) FROM push_targets WHERE account_id = ?1 AND address_key <> ?2",
                params![new.account.0, key],
                |r| r.get(0),
            )?;
            if others >= max {
                return Ok(None);
            }
            // The same device again: it moves to this account and session, and what was
            // waiting for the account before is not its business any more.
            let moved: Option<i64> = tx
                .query_row(
                    "SELECT id FROM push_targets WHERE address_key = ?1 AND account_id <> ?2",
                    params![key, new.account.0],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = moved {
                tx.execute("DELETE FROM push_outbox WHERE target_id = ?1 AND done = 0", params![id])?;
            }
            let sql = format!(
                "INSERT INTO push_targets (account_id, session_id, address_key, address, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (address_key) DO UPDATE SET account_id = excluded.account_id, \
                   session_id = excluded.session_id, address = excluded.address \
                 RETURNING {}",
                TARGET_COLUMNS.replace("t.", "")
            );
            tx.query_row(&sql, params![new.account.0, new.session.0, key, to_json(&new.address)?, now_ms], |r| {
                target_from_row(r, 0)
            })
            .map(Some)
        })
        .await
    }

    async fn push_targets(&self, account: AccountId) -> StoreResult<Vec<PushTarget>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {TARGET_COLUMNS} FROM push_targets t JOIN sessions s ON s.id = t.session_id \
                 WHERE t.account_id = ?1 AND s.revoked_at_ms IS NULL ORDER BY t.id"
            );
            c.prepare_cached(&sql)?.query_map(params![account.0], |r| target_from_row(r, 0))?.collect()
        })
        .await
    }

    async fn delete_push_target(&self, account: AccountId, id: i64) -> StoreResult<bool> {
        self.write(move |tx| {
            tx.execute("DELETE FROM push_targets WHERE id = ?1 AND account_id = ?2", params![id, account.0])
                .map(|n| n > 0)
        })
        .await
    }

    async fn push_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
        now_ms: i64,
    ) -> StoreResult<Vec<Audience>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.account_id, a.name, d.name, m.read_seq, m.muted, p.prefs, \
                   EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id AND b.blocked_id = ?2), t.id, \
                   m.unmute_at_ms, m.notify_level, m.joined_seq \
                 FROM members m \
                 JOIN push_targets t ON t.account_id = m.account_id \
                 JOIN sessions s ON s.id = t.session_id AND s.revoked_at_ms IS NULL AND s.expires_at_ms > ?3 \
                 JOIN accounts a ON a.id = m.account_id AND a.disabled = 0 \
                 JOIN domains d ON d.id = a.domain_id \
                 LEFT JOIN notify_prefs p ON p.account_id = m.account_id \
                 WHERE m.conversation_id = ?1 AND m.left_seq IS NULL AND m.account_id <> ?2 \
                 ORDER BY m.account_id, t.id",
            )?;
            let mut rows = stmt.query(params![conversation.0, sender.0, now_ms])?;
            let mut out: Vec<Audience> = Vec::new();
            while let Some(r) = rows.next()? {
                let account = AccountId(r.get(0)?);
                let target: i64 = r.get(7)?;
                if let Some(last) = out.last_mut()
                    && last.account == account
                {
                    last.targets.push(target);
                    continue;
                }
                let prefs: Option<String> = r.get(5)?;
                let prefs =
                    prefs.map(|p| serde_json::from_str::<NotifyPrefs>(&p).map_err(|e| json_error(5, e))).transpose()?;
                let muted: bool = r.get(4)?;
                let unmute_at_ms: Option<i64> = r.get(8)?;
                let notify_level: Option<String> = r.get(9)?;
                out.push(Audience {
                    account,
                    addr: addr(r, 1)?,
                    joined_seq: Seq(r.get(10)?),
                    read_seq: Seq(r.get(3)?),
                    conversation: ConversationPrefs {
                        level: notify_level.as_deref().and_then(Level::parse),
                        muted_until_ms: muted.then(|| unmute_at_ms.unwrap_or(i64::MAX)),
                    },
                    prefs,
                    blocked_sender: r.get(6)?,
                    targets: vec![target],
                });
            }
            Ok(out)
        })
        .await
    }

    async fn enqueue_push_jobs(
        &self,
        jobs: &[NewPushJob],
        now_ms: i64,
        outbox_len_max: usize,
    ) -> StoreResult<Option<u64>> {
        let rows = jobs
            .iter()
            .map(|job| {
                let pairs: Vec<[i64; 2]> = job.targets.iter().map(|(t, a)| [*t, a.0]).collect();
                let count = i64::try_from(pairs.len()).unwrap_or(i64::MAX);
                Ok((job.notice.conversation.0, job.notice.seq.0, to_json(&job.notice)?, to_json(&pairs)?, count))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| crate::store_error(&e))?;
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        self.write_background(move |tx| {
            if waiting(tx)? >= max {
                return Ok(None);
            }
            let mut insert = tx.prepare_cached(
                // Held until now, not 0: a claim then changes the row's size in no column, so
                // that SQLite rewrites it in place rather than whole, targets and all.
                "INSERT INTO push_jobs (conversation_id, seq, variant, notice, targets, target_count, due_at_ms, \
                   held_until_ms, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7) \
                 ON CONFLICT (conversation_id, seq, variant) DO NOTHING",
            )?;
            let mut written = 0_u64;
            // Per message: its next variant, or None once its first job was found there.
            let mut message: Option<((i64, i64), Option<i64>)> = None;
            for (conversation, seq, notice, targets, count) in &rows {
                let variant = match message {
                    Some((at, next)) if at == (*conversation, *seq) => next,
                    _ => Some(0),
                };
                let Some(variant) = variant else { continue };
                let fresh = insert.execute(params![conversation, seq, variant, notice, targets, count, now_ms])? > 0;
                // A message handled before: its first job stands for all of them.
                message = Some(((*conversation, *seq), fresh.then_some(variant + 1)));
                if fresh {
                    written += u64::try_from(*count).unwrap_or(0);
                }
            }
            Ok(Some(written))
        })
        .await
    }

    async fn claim_push_jobs(
        &self,
        now_ms: i64,
        lease_ms: i64,
        jobs_max: usize,
        targets_max: usize,
    ) -> StoreResult<Vec<PushJob>> {
        let jobs_max = i64::try_from(jobs_max).unwrap_or(i64::MAX);
        let targets_max = i64::try_from(targets_max).unwrap_or(i64::MAX);
        self.write_background(move |tx| {
            // The due jobs in order, each taken while the targets of those before it stay under
            // the bound (so the first always is).
            let mut claim = tx.prepare_cached(
                "UPDATE push_jobs SET held_until_ms = ?2 WHERE id IN ( \
                   SELECT id FROM ( \
                     SELECT id, sum(target_count) OVER (ORDER BY due_at_ms, id) - target_count AS before \
                     FROM (SELECT id, due_at_ms, target_count FROM push_jobs \
                           WHERE done = 0 AND due_at_ms <= ?1 AND held_until_ms <= ?1 \
                           ORDER BY due_at_ms, id LIMIT ?3)) \
                   WHERE before < ?4) \
                 RETURNING id, notice, targets",
            )?;
            let mut jobs = claim
                .query_map(params![now_ms, now_ms.saturating_add(lease_ms), jobs_max, targets_max], |r| {
                    let notice: String = r.get(1)?;
                    let targets: String = r.get(2)?;
                    let pairs = serde_json::from_str::<Vec<[i64; 2]>>(&targets).map_err(|e| json_error(2, e))?;
                    Ok(PushJob {
                        id: r.get(0)?,
                        notice: serde_json::from_str::<PushNotice>(&notice).map_err(|e| json_error(1, e))?,
                        targets: pairs.into_iter().map(|[t, a]| (t, AccountId(a))).collect(),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // RETURNING gives no order.
            jobs.sort_by_key(|job| job.id);
            Ok(jobs)
        })
        .await
    }

    async fn push_job_targets(
        &self,
        conversation: ConversationId,
        targets: &[i64],
        read_from: Seq,
    ) -> StoreResult<JobTargets> {
        let ids = to_json(&targets).map_err(|e| crate::store_error(&e))?;
        self.read(move |c| {
            let sql =
                format!("SELECT {TARGET_COLUMNS} FROM push_targets t WHERE t.id IN (SELECT value FROM json_each(?1))");
            let targets = c
                .prepare_cached(&sql)?
                .query_map(params![ids], |r| target_from_row(r, 0))?
                .collect::<rusqlite::Result<_>>()?;
            let read = c
                .prepare_cached(
                    "SELECT account_id, read_seq FROM members WHERE conversation_id = ?1 AND read_seq >= ?2",
                )?
                .query_map(params![conversation.0, read_from.0], |r| Ok((AccountId(r.get(0)?), Seq(r.get(1)?))))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(JobTargets { targets, read })
        })
        .await
    }

    async fn finish_push_jobs(&self, jobs: &[FinishedJob], now_ms: i64) -> StoreResult<()> {
        let jobs = jobs.to_vec();
        self.write_background(move |tx| {
            let mut done = tx.prepare_cached(
                // A done job keeps what tells it from a new one, not its targets.
                "UPDATE push_jobs SET done = 1, done_at_ms = ?2, held_until_ms = 0, targets = '[]' \
                 WHERE id = ?1 AND done = 0",
            )?;
            let mut retry = tx.prepare_cached(
                // A target dropped meanwhile is skipped; a push the outbox has already (the job
                // sent twice, say) is not added again.
                "INSERT INTO push_outbox (target_id, account_id, conversation_id, seq, notice, attempts, due_at_ms, \
                   last_error, created_at_ms) \
                 SELECT ?2, ?3, j.conversation_id, j.seq, j.notice, 1, ?4, ?5, ?6 FROM push_jobs j \
                 WHERE j.id = ?1 AND EXISTS (SELECT 1 FROM push_targets WHERE id = ?2) \
                 ON CONFLICT (target_id, conversation_id, seq) DO NOTHING",
            )?;
            let mut failure = tx.prepare_cached(
                "INSERT INTO push_failures (at_ms, account_id, kind, target_dropped, error, attempts) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)",
            )?;
            let mut drop_target = tx.prepare_cached("DELETE FROM push_targets WHERE id = ?1")?;
            for job in &jobs {
                if done.execute(params![job.id, now_ms])? == 0 {
                    continue;
                }
                for o in &job.outcomes {
                    match &o.outcome {
                        PushOutcome::Sent => {}
                        PushOutcome::Retry { at_ms, error } => {
                            retry.execute(params![job.id, o.target, o.account.0, at_ms, short(error), now_ms])?;
                        }
                        PushOutcome::Failed { error } => {
                            failure.execute(params![now_ms, o.account.0, o.kind.as_str(), false, short(error)])?;
                        }
                        PushOutcome::TargetGone { error } => {
                            failure.execute(params![now_ms, o.account.0, o.kind.as_str(), true, short(error)])?;
                            drop_target.execute(params![o.target])?;
                        }
                    }
                }
            }
            Ok(())
        })
        .await
    }

    async fn claim_pushes(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<QueuedPush>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write_background(move |tx| {
            let ids: Vec<i64> = tx
                .prepare_cached(
                    "UPDATE push_outbox SET held_until_ms = ?2 WHERE id IN ( \
                       SELECT id FROM push_outbox WHERE done = 0 AND due_at_ms <= ?1 AND held_until_ms <= ?1 \
                       ORDER BY due_at_ms, id LIMIT ?3) RETURNING id",
                )?
                .query_map(params![now_ms, now_ms.saturating_add(lease_ms), limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let sql = format!(
                "SELECT o.id, o.notice, o.attempts, coalesce(m.read_seq, 0), {TARGET_COLUMNS} \
                 FROM push_outbox o JOIN push_targets t ON t.id = o.target_id \
                 LEFT JOIN members m ON m.conversation_id = o.conversation_id AND m.account_id = o.account_id \
                 WHERE o.id = ?1"
            );
            let mut read = tx.prepare_cached(&sql)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row = read
                    .query_row(params![id], |r| {
                        let notice: String = r.get(1)?;
                        Ok(QueuedPush {
                            id: r.get(0)?,
                            notice: serde_json::from_str::<PushNotice>(&notice).map_err(|e| json_error(1, e))?,
                            attempts: r.get(2)?,
                            read_seq: Seq(r.get(3)?),
                            target: target_from_row(r, 4)?,
                        })
                    })
                    .optional()?;
                out.extend(row);
            }
            Ok(out)
        })
        .await
    }

    async fn push_done(&self, outcomes: &[(i64, PushOutcome)], now_ms: i64) -> StoreResult<()> {
        let outcomes = outcomes.to_vec();
        self.write_background(move |tx| {
            for (id, outcome) in &outcomes {
                match outcome {
                    PushOutcome::Sent => {
                        tx.prepare_cached(
                            "UPDATE push_outbox SET done = 1, done_at_ms = ?2, held_until_ms = 0 WHERE id = ?1",
                        )?
                        .execute(params![id, now_ms])?;
                    }
                    PushOutcome::Retry { at_ms, error } => {
                        tx.prepare_cached(
                            "UPDATE push_outbox SET attempts = attempts + 1, due_at_ms = ?2, held_until_ms = 0, \
                               last_error = ?3 WHERE id = ?1",
                        )?
                        .execute(params![id, at_ms, short(error)])?;
                    }
                    PushOutcome::Failed { error } | PushOutcome::TargetGone { error } => {
                        let gone = matches!(outcome, PushOutcome::TargetGone { .. });
                        let found: Option<(i64, i64, String, i64)> = tx
                            .query_row(
                                "SELECT o.account_id, o.target_id, t.address, o.attempts FROM push_outbox o \
                                 JOIN push_targets t ON t.id = o.target_id WHERE o.id = ?1",
                                params![id],
                                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                            )
                            .optional()?;
                        let Some((account, target, address, attempts)) = found else { continue };
                        let kind = serde_json::from_str::<PushAddress>(&address).map_err(|e| json_error(2, e))?.kind();
                        tx.execute(
                            "INSERT INTO push_failures (at_ms, account_id, kind, target_dropped, error, attempts) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![now_ms, account, kind.as_str(), gone, short(error), attempts + 1],
                        )?;
                        if gone {
                            tx.execute("DELETE FROM push_targets WHERE id = ?1", params![target])?;
                        } else {
                            tx.execute(
                                "UPDATE push_outbox SET done = 1, done_at_ms = ?2, held_until_ms = 0, \
                                   attempts = attempts + 1, last_error = ?3 WHERE id = ?1",
                                params![id, now_ms, short(error)],
                            )?;
                        }
                    }
                }
            }
            Ok(())
        })
        .await
    }

    async fn prune_pushes(&self, before_ms: i64) -> StoreResult<u64> {
        self.write_background(move |tx| {
            let rows = tx.execute("DELETE FROM push_outbox WHERE done = 1 AND done_at_ms < ?1", params![before_ms])?;
            let jobs = tx.execute("DELETE FROM push_jobs WHERE done = 1 AND done_at_ms < ?1", params![before_ms])?;
            tx.execute("DELETE FROM push_failures WHERE at_ms < ?1", params![before_ms])?;
            Ok((rows + jobs) as u64)
        })
        .await
    }

    async fn push_outbox_len(&self) -> StoreResult<u64> {
        self.read(|c| waiting(c).map(|n| u64::try_from(n).unwrap_or(0))).await
    }

    async fn push_failures(&self, domain: Option<DomainId>, limit: usize) -> StoreResult<Vec<PushFailure>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(
                "SELECT f.id, f.at_ms, a.name, d.name, f.kind, f.target_dropped, f.error, f.attempts \
                 FROM push_failures f JOIN accounts a ON a.id = f.account_id JOIN domains d ON d.id = a.domain_id \
                 WHERE ?1 IS NULL OR a.domain_id = ?1 ORDER BY f.id DESC LIMIT ?2",
            )?
            .query_map(params![domain.map(|d| d.0), limit], |r| {
                let kind: String = r.get(4)?;
                Ok(PushFailure {
                    id: r.get(0)?,
                    at_ms: r.get(1)?,
                    account: addr(r, 2)?,
                    kind: PushKind::parse(&kind).ok_or_else(|| corrupt(4, "push kind"))?,
                    target_dropped: r.get(5)?,
                    error: r.get(6)?,
                    attempts: r.get(7)?,
                })
            })?
            .collect()
        })
        .await
    }
}
