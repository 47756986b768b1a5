//! Push targets, the push outbox and its failures (see [`magpie_core::push`]).

use async_trait::async_trait;
use magpie_core::model::{AccountId, ConversationId, DomainId, Seq, SessionId};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs};
use magpie_core::ports::PushStore;
use magpie_core::push::{
    Audience, NewPush, NewPushTarget, PushAddress, PushFailure, PushKind, PushNotice, PushOutcome, PushTarget,
    QueuedPush,
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
                   m.unmute_at_ms, m.notify_level \
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

    async fn enqueue_pushes(&self, pushes: &[NewPush], now_ms: i64, outbox_len_max: usize) -> StoreResult<Option<u64>> {
        let rows = pushes
            .iter()
            .map(|p| Ok((p.target, p.account.0, p.notice.conversation.0, p.notice.seq.0, to_json(&p.notice)?)))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| crate::store_error(&e))?;
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let waiting: i64 = tx.query_row("SELECT COUNT(*) FROM push_outbox WHERE done = 0", [], |r| r.get(0))?;
            if waiting >= max {
                return Ok(None);
            }
            let mut insert = tx.prepare_cached(
                // A target dropped since the audience was read is skipped.
                "INSERT INTO push_outbox (target_id, account_id, conversation_id, seq, notice, due_at_ms, created_at_ms) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6 WHERE EXISTS (SELECT 1 FROM push_targets WHERE id = ?1) \
                 ON CONFLICT (target_id, conversation_id, seq) DO NOTHING",
            )?;
            let mut written = 0_u64;
            for (target, account, conversation, seq, notice) in &rows {
                written += insert.execute(params![target, account, conversation, seq, notice, now_ms])? as u64;
            }
            Ok(Some(written))
        })
        .await
    }

    async fn claim_pushes(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<QueuedPush>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
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
        self.write(move |tx| {
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
        self.write(move |tx| {
            let n = tx.execute("DELETE FROM push_outbox WHERE done = 1 AND done_at_ms < ?1", params![before_ms])?;
            tx.execute("DELETE FROM push_failures WHERE at_ms < ?1", params![before_ms])?;
            Ok(n as u64)
        })
        .await
    }

    async fn push_outbox_len(&self) -> StoreResult<u64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM push_outbox WHERE done = 0", [], |r| r.get(0))).await
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
