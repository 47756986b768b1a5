//! Push targets, push jobs, the push outbox (pushes being retried) and its failures (see
//! [`magpie_core::push`]). Due jobs and pushes are claimed with `FOR UPDATE SKIP LOCKED`, so
//! nodes that look at once claim different ones.

use async_trait::async_trait;
use magpie_core::model::{AccountId, ConversationId, DomainId, Seq, SessionId};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs};
use magpie_core::ports::PushStore;
use magpie_core::push::{
    Audience, FinishedJob, JobTargets, NewPushJob, NewPushTarget, PushAddress, PushFailure, PushJob, PushKind,
    PushNotice, PushOutcome, PushTarget, QueuedPush,
};
use tokio_postgres::Row;

use crate::chat::{addr, json_error, to_json};
use crate::{PgResult, PgStore, StoreResult, corrupt, read, read_tx, write_tx};

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

/// Pushes waiting: the targets of jobs not done and the outbox's rows not done.
const WAITING: &str = "SELECT (SELECT coalesce(sum(target_count), 0) FROM push_jobs WHERE NOT done)::bigint \
                         + (SELECT COUNT(*) FROM push_outbox WHERE NOT done)";

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
                   m.unmute_at_ms, m.notify_level, m.joined_seq \
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
                    joined_seq: Seq(r.try_get(10)?),
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

    async fn enqueue_push_jobs(
        &self,
        jobs: &[NewPushJob],
        now_ms: i64,
        outbox_len_max: usize,
    ) -> StoreResult<Option<u64>> {
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        let mut rows = Vec::with_capacity(jobs.len());
        for job in jobs {
            let pairs: Vec<[i64; 2]> = job.targets.iter().map(|(t, a)| [*t, a.0]).collect();
            rows.push((
                job.notice.conversation.0,
                job.notice.seq.0,
                to_json(&job.notice).map_err(crate::PgError::into_store)?,
                to_json(&pairs).map_err(crate::PgError::into_store)?,
                i64::try_from(pairs.len()).unwrap_or(i64::MAX),
            ));
        }
        write_tx!(self, |tx| {
            let waiting: i64 = tx.c().query_one(WAITING, &[]).await?.try_get(0)?;
            if waiting >= max {
                None
            } else {
                let insert = tx
                    .c()
                    .prepare_cached(
                        "INSERT INTO push_jobs (conversation_id, seq, variant, notice, targets, target_count, \
                           due_at_ms, held_until_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) \
                         ON CONFLICT (conversation_id, seq, variant) DO NOTHING",
                    )
                    .await?;
                let mut written = 0_u64;
                // Per message: its next variant, or None once its first job was found there.
                let mut message: Option<((i64, i64), Option<i64>)> = None;
                for (conversation, seq, notice, targets, count) in &rows {
                    let variant = match message {
                        Some((at, next)) if at == (*conversation, *seq) => next,
                        _ => Some(0),
                    };
                    let Some(variant) = variant else { continue };
                    // A second node handling the message at once waits here for the first's
                    // commit of the same variant 0, then finds it.
                    let fresh = tx
                        .c()
                        .execute(&insert, &[conversation, seq, &variant, notice, targets, count, &now_ms])
                        .await?
                        > 0;
                    // A message handled before: its first job stands for all of them.
                    message = Some(((*conversation, *seq), fresh.then_some(variant + 1)));
                    if fresh {
                        written += u64::try_from(*count).unwrap_or(0);
                    }
                }
                Some(written)
            }
        })
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
        let until = now_ms.saturating_add(lease_ms);
        write_tx!(self, |tx| {
            // The due jobs in order, each taken while the targets of those before it stay under
            // the bound (so the first always is). Those locked by another claimer are passed.
            let rows = tx
                .c()
                .query(
                    "WITH due AS ( \
                       SELECT id, due_at_ms, target_count FROM push_jobs \
                       WHERE NOT done AND due_at_ms <= $1 AND held_until_ms <= $1 \
                       ORDER BY due_at_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
                     picked AS ( \
                       SELECT id FROM ( \
                         SELECT id, (sum(target_count) OVER (ORDER BY due_at_ms, id))::bigint - target_count AS before \
                         FROM due) w \
                       WHERE before < $4::bigint) \
                     UPDATE push_jobs j SET held_until_ms = $3 FROM picked WHERE j.id = picked.id \
                     RETURNING j.id, j.notice, j.targets",
                    &[&now_ms, &jobs_max, &until, &targets_max],
                )
                .await?;
            let mut jobs = rows
                .iter()
                .map(|r| {
                    let notice: String = r.try_get(1)?;
                    let targets: String = r.try_get(2)?;
                    let pairs = serde_json::from_str::<Vec<[i64; 2]>>(&targets).map_err(json_error)?;
                    Ok(PushJob {
                        id: r.try_get(0)?,
                        notice: serde_json::from_str::<PushNotice>(&notice).map_err(json_error)?,
                        targets: pairs.into_iter().map(|[t, a]| (t, AccountId(a))).collect(),
                    })
                })
                .collect::<PgResult<Vec<_>>>()?;
            // RETURNING gives no order.
            jobs.sort_by_key(|job| job.id);
            jobs
        })
    }

    async fn push_job_targets(
        &self,
        conversation: ConversationId,
        targets: &[i64],
        read_from: Seq,
    ) -> StoreResult<JobTargets> {
        read_tx!(self, |c| {
            let sql = format!("SELECT {TARGET_COLUMNS} FROM push_targets t WHERE t.id = ANY($1)");
            let rows = c.query(&sql, &[&targets]).await?;
            let targets = rows.iter().map(|r| target_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?;
            let rows = c
                .query(
                    "SELECT account_id, read_seq FROM members WHERE conversation_id = $1 AND read_seq >= $2",
                    &[&conversation.0, &read_from.0],
                )
                .await?;
            let read = rows
                .iter()
                .map(|r| Ok((AccountId(r.try_get(0)?), Seq(r.try_get(1)?))))
                .collect::<PgResult<Vec<_>>>()?;
            JobTargets { targets, read }
        })
    }

    async fn finish_push_jobs(&self, jobs: &[FinishedJob], now_ms: i64) -> StoreResult<()> {
        let ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
        write_tx!(self, |tx| {
            let finished: Vec<i64> = tx
                .c()
                .query(
                    "UPDATE push_jobs SET done = TRUE, done_at_ms = $2, held_until_ms = 0, targets = '[]' \
                     WHERE id = ANY($1) AND NOT done RETURNING id",
                    &[&ids, &now_ms],
                )
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            // What to write of the jobs this finish marked done (one another sender finished
            // already keeps what that one wrote).
            let mut retry = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut failed = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut gone = Vec::new();
            for job in jobs.iter().filter(|job| finished.contains(&job.id)) {
                for o in &job.outcomes {
                    match &o.outcome {
                        PushOutcome::Sent => {}
                        PushOutcome::Retry { at_ms, error } => {
                            retry.0.push(job.id);
                            retry.1.push(o.target);
                            retry.2.push(o.account.0);
                            retry.3.push(*at_ms);
                            retry.4.push(short(error));
                        }
                        PushOutcome::Failed { error } | PushOutcome::TargetGone { error } => {
                            let dropped = matches!(o.outcome, PushOutcome::TargetGone { .. });
                            failed.0.push(o.account.0);
                            failed.1.push(o.kind.as_str());
                            failed.2.push(dropped);
                            failed.3.push(short(error));
                            if dropped {
                                gone.push(o.target);
                            }
                        }
                    }
                }
            }
            if !retry.0.is_empty() {
                // A target dropped meanwhile is skipped; a push the outbox has already (the job
                // sent twice, say) is not added again.
                tx.c()
                    .execute(
                        "INSERT INTO push_outbox (target_id, account_id, conversation_id, seq, notice, attempts, \
                           due_at_ms, last_error, created_at_ms) \
                         SELECT u.t, u.a, j.conversation_id, j.seq, j.notice, 1, u.at, u.e, $6 \
                         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) \
                           AS u(job, t, a, at, e) \
                         JOIN push_jobs j ON j.id = u.job JOIN push_targets pt ON pt.id = u.t \
                         ON CONFLICT (target_id, conversation_id, seq) DO NOTHING",
                        &[&retry.0, &retry.1, &retry.2, &retry.3, &retry.4, &now_ms],
                    )
                    .await?;
            }
            if !failed.0.is_empty() {
                tx.c()
                    .execute(
                        "INSERT INTO push_failures (at_ms, account_id, kind, target_dropped, error, attempts) \
                         SELECT $1, u.a, u.k, u.g, u.e, 1 \
                         FROM unnest($2::bigint[], $3::text[], $4::boolean[], $5::text[]) AS u(a, k, g, e)",
                        &[&now_ms, &failed.0, &failed.1, &failed.2, &failed.3],
                    )
                    .await?;
            }
            if !gone.is_empty() {
                tx.c().execute("DELETE FROM push_targets WHERE id = ANY($1)", &[&gone]).await?;
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
            let rows = tx.c().execute("DELETE FROM push_outbox WHERE done AND done_at_ms < $1", &[&before_ms]).await?;
            let jobs = tx.c().execute("DELETE FROM push_jobs WHERE done AND done_at_ms < $1", &[&before_ms]).await?;
            tx.c().execute("DELETE FROM push_failures WHERE at_ms < $1", &[&before_ms]).await?;
            rows + jobs
        })
    }

    async fn push_outbox_len(&self) -> StoreResult<u64> {
        read!(self, |c| {
            let n: i64 = c.query_one(WAITING, &[]).await?.try_get(0)?;
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
