//! Retention (magpie_core::retention): the policies, the runs, the doomed blobs, and the prune
//! that an append's `Effect::Prune` makes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use magpie_core::chat::{AccountEvent, ConversationKind};
use magpie_core::model::{AccountId, ConversationId, DomainId, SavedId, Seq};
use magpie_core::ports::RetentionStore;
use magpie_core::retention::{ConversationRetention, PruneCandidate, RetentionRun, RunState};
use rusqlite::{OptionalExtension, Row, params};

use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult, Tx};

/// The tables whose rows hang on one entry by `(conversation_id, seq)`, deleted with it.
const BY_SEQ: [&str; 9] = [
    "mentions",
    "reactions",
    "hidden_entries",
    "shared_entries",
    "pins",
    "push_outbox",
    "push_jobs",
    "digest_items",
    "file_refs",
];

/// Deletes the conversation's entries after its `pruned_through` up to `through` with what
/// hangs on them, and the files only they referred to (their blobs, once unused, doomed);
/// raises `pruned_through`. Answers the events for the accounts whose saved copies or
/// notifications went.
pub(crate) fn prune(
    tx: &Tx<'_>,
    conversation: ConversationId,
    from: Seq,
    through: Seq,
    at_ms: i64,
) -> rusqlite::Result<Vec<(AccountId, AccountEvent)>> {
    let (id, from, through) = (conversation.0, from.0, through.0);
    let messages: i64 = tx
        .prepare_cached(
            "SELECT coalesce((SELECT message_number FROM entries WHERE conversation_id = ?1 AND seq <= ?2 \
             ORDER BY seq DESC LIMIT 1), (SELECT pruned_messages FROM conversations WHERE id = ?1))",
        )?
        .query_row(params![id, through], |r| r.get(0))?;
    let files: Vec<String> = tx
        .prepare_cached("SELECT DISTINCT file_id FROM file_refs WHERE conversation_id = ?1 AND seq > ?2 AND seq <= ?3")?
        .query_map(params![id, from, through], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in BY_SEQ {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE conversation_id = ?1 AND seq > ?2 AND seq <= ?3"))?
            .execute(params![id, from, through])?;
    }
    for table in ["threads", "thread_follows"] {
        tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE conversation_id = ?1 AND root_seq > ?2 AND root_seq <= ?3"
        ))?
        .execute(params![id, from, through])?;
    }
    let mut saved: Vec<(AccountId, SavedId)> = tx
        .prepare_cached(
            "DELETE FROM saved WHERE conversation_id = ?1 AND seq > ?2 AND seq <= ?3 RETURNING account_id, id",
        )?
        .query_map(params![id, from, through], |r| Ok((AccountId(r.get(0)?), SavedId(r.get(1)?))))?
        .collect::<rusqlite::Result<_>>()?;
    saved.sort();
    let mut notified: BTreeMap<AccountId, Vec<i64>> = BTreeMap::new();
    let mut stmt = tx.prepare_cached(
        "DELETE FROM notifications WHERE conversation_id = ?1 AND seq > ?2 AND seq <= ?3 RETURNING account_id, id",
    )?;
    for row in stmt.query_map(params![id, from, through], |r| Ok((AccountId(r.get(0)?), r.get::<_, i64>(1)?)))? {
        let (account, item) = row?;
        notified.entry(account).or_default().push(item);
    }
    drop(stmt);
    tx.prepare_cached("DELETE FROM entries WHERE conversation_id = ?1 AND seq > ?2 AND seq <= ?3")?
        .execute(params![id, from, through])?;
    tx.prepare_cached("UPDATE conversations SET pruned_through = ?2, pruned_messages = ?3 WHERE id = ?1")?
        .execute(params![id, through, messages])?;
    for file in files {
        drop_file_if_unused(tx, &file, at_ms)?;
    }
    let mut events: Vec<(AccountId, AccountEvent)> =
        saved.into_iter().map(|(account, id)| (account, AccountEvent::SavedChanged { id })).collect();
    events.extend(notified.into_iter().map(|(account, mut ids)| {
        ids.sort_unstable();
        (account, AccountEvent::NotificationsRemoved { ids })
    }));
    Ok(events)
}

/// Deletes a file that no message, sticker, avatar or scheduled message uses any more, with its
/// thumbnails; a blob left unused is doomed.
fn drop_file_if_unused(tx: &Tx<'_>, file: &str, at_ms: i64) -> rusqlite::Result<()> {
    let unused: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM files WHERE id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM file_refs WHERE file_id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM stickers WHERE file_id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = ?1) \
             AND NOT EXISTS (SELECT 1 FROM conversations WHERE avatar = ?1) \
             AND NOT EXISTS (SELECT 1 FROM scheduled_files WHERE file_id = ?1)",
        )?
        .query_row([file], |r| r.get(0))?;
    if !unused {
        return Ok(());
    }
    let mut blobs: Vec<String> = tx
        .prepare_cached("SELECT sha256 FROM thumbnails WHERE file_id = ?1")?
        .query_map([file], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    blobs.push(tx.prepare_cached("SELECT sha256 FROM files WHERE id = ?1")?.query_row([file], |r| r.get(0))?);
    tx.prepare_cached("DELETE FROM thumbnails WHERE file_id = ?1")?.execute([file])?;
    tx.prepare_cached("DELETE FROM files WHERE id = ?1")?.execute([file])?;
    for blob in blobs {
        if crate::files::drop_blob_ref(tx, &blob)? {
            tx.prepare_cached("INSERT OR IGNORE INTO doomed_blobs (sha256, doomed_at_ms) VALUES (?1, ?2)")?
                .execute(params![blob, at_ms])?;
        }
    }
    Ok(())
}

const RUN_COLUMNS: &str = "id, domain_id, state, started_by, before_ms, conversations, entries, files, error, \
     started_at_ms, updated_at_ms, finished_at_ms";

fn run_from(r: &Row<'_>) -> rusqlite::Result<RetentionRun> {
    let state: String = r.get(2)?;
    Ok(RetentionRun {
        id: r.get(0)?,
        domain: DomainId(r.get(1)?),
        state: RunState::parse(&state).ok_or_else(|| corrupt(2, "retention run state"))?,
        started_by: r.get(3)?,
        before_ms: r.get(4)?,
        conversations: r.get(5)?,
        entries: r.get(6)?,
        files: r.get(7)?,
        error: r.get(8)?,
        started_at_ms: r.get(9)?,
        updated_at_ms: r.get(10)?,
        finished_at_ms: r.get(11)?,
    })
}

fn days_from(days: Option<i64>) -> Option<u32> {
    days.and_then(|d| u32::try_from(d).ok())
}

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn retention_days(&self, domain: DomainId) -> StoreResult<Option<u32>> {
        self.read(move |c| {
            let days: Option<Option<i64>> = c
                .prepare_cached("SELECT retention_days FROM domains WHERE id = ?1")?
                .query_row([domain.0], |r| r.get(0))
                .optional()?;
            Ok(days_from(days.flatten()))
        })
        .await
    }

    async fn set_retention_days(&self, domain: DomainId, days: Option<u32>) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE domains SET retention_days = ?2 WHERE id = ?1", params![domain.0, days]).map(drop)
        })
        .await
    }

    async fn conversation_retention(&self, domain: DomainId) -> StoreResult<Vec<ConversationRetention>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, kind, name, retention_days FROM conversations \
                 WHERE domain_id = ?1 AND retention_days IS NOT NULL ORDER BY id",
            )?
            .query_map([domain.0], |r| {
                let kind: String = r.get(1)?;
                Ok(ConversationRetention {
                    conversation: ConversationId(r.get(0)?),
                    kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt(1, "conversation kind"))?,
                    name: r.get(2)?,
                    days: days_from(r.get(3)?).unwrap_or(0),
                })
            })?
            .collect()
        })
        .await
    }

    async fn set_conversation_retention(&self, conversation: ConversationId, days: Option<u32>) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE conversations SET retention_days = ?2 WHERE id = ?1", params![conversation.0, days])
                .map(drop)
        })
        .await
    }

    async fn domains_with_retention(&self) -> StoreResult<Vec<DomainId>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id FROM domains d WHERE retention_days IS NOT NULL \
                 OR EXISTS (SELECT 1 FROM conversations c WHERE c.domain_id = d.id AND c.retention_days > 0) \
                 ORDER BY id",
            )?
            .query_map([], |r| Ok(DomainId(r.get(0)?)))?
            .collect()
        })
        .await
    }

    async fn prune_candidates(
        &self,
        domain: DomainId,
        after: ConversationId,
        limit: usize,
    ) -> StoreResult<Vec<PruneCandidate>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(
                "SELECT c.id, c.retention_days, c.pruned_through, coalesce(c.owner_id, \
                   (SELECT min(s.account_id) FROM member_spans s WHERE s.conversation_id = c.id)) \
                 FROM conversations c WHERE c.domain_id = ?1 AND c.id > ?2 AND c.last_seq > c.pruned_through \
                 ORDER BY c.id LIMIT ?3",
            )?
            .query_map(params![domain.0, after.0, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?))
            })?
            .filter_map(|row| match row {
                Ok((id, days, pruned, Some(author))) => Some(Ok(PruneCandidate {
                    conversation: ConversationId(id),
                    days: days_from(days),
                    pruned_through: Seq(pruned),
                    author: AccountId(author),
                })),
                // No one ever belonged to it: it has no entries to prune.
                Ok((_, _, _, None)) => None,
                Err(e) => Some(Err(e)),
            })
            .collect()
        })
        .await
    }

    async fn prune_point(
        &self,
        conversation: ConversationId,
        after: Seq,
        before_ms: i64,
        limit: i64,
    ) -> StoreResult<Option<Seq>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, at_ms, coalesce(kind = 'system' AND instr(body, '\"event\":\"history_pruned\"') > 0, 0) \
                 FROM entries WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![conversation.0, after.0, limit])?;
            let mut through = None;
            while let Some(row) = rows.next()? {
                if row.get::<_, i64>(1)? >= before_ms {
                    break;
                }
                // A prune ends at an entry that is not an earlier prune's notice: a
                // conversation where nothing but that notice is old is left alone.
                if !row.get::<_, bool>(2)? {
                    through = Some(Seq(row.get(0)?));
                }
            }
            Ok(through)
        })
        .await
    }

    async fn create_retention_run(&self, run: &RetentionRun) -> StoreResult<RetentionRun> {
        let run = run.clone();
        self.write(move |tx| {
            let sql = format!(
                "INSERT INTO retention_runs (domain_id, state, started_by, before_ms, conversations, entries, files, \
                 error, started_at_ms, updated_at_ms, finished_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING {RUN_COLUMNS}"
            );
            tx.prepare_cached(&sql)?.query_row(
                params![
                    run.domain.0,
                    run.state.as_str(),
                    run.started_by,
                    run.before_ms,
                    run.conversations,
                    run.entries,
                    run.files,
                    run.error,
                    run.started_at_ms,
                    run.updated_at_ms,
                    run.finished_at_ms
                ],
                run_from,
            )
        })
        .await
    }

    async fn update_retention_run(&self, run: &RetentionRun) -> StoreResult<()> {
        let run = run.clone();
        self.write(move |tx| {
            tx.prepare_cached(
                "UPDATE retention_runs SET state = ?2, conversations = ?3, entries = ?4, files = ?5, error = ?6, \
                 updated_at_ms = ?7, finished_at_ms = ?8 WHERE id = ?1",
            )?
            .execute(params![
                run.id,
                run.state.as_str(),
                run.conversations,
                run.entries,
                run.files,
                run.error,
                run.updated_at_ms,
                run.finished_at_ms
            ])
            .map(drop)
        })
        .await
    }

    async fn retention_run(&self, id: i64) -> StoreResult<Option<RetentionRun>> {
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE id = ?1"))?
                .query_row([id], run_from)
                .optional()
        })
        .await
    }

    async fn retention_runs(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<RetentionRun>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM retention_runs WHERE domain_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![domain.0, limit], run_from)?
            .collect()
        })
        .await
    }

    async fn fail_stale_retention_runs(&self, before_ms: i64, error: &str, now_ms: i64) -> StoreResult<u64> {
        let error = error.to_owned();
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE retention_runs SET state = 'failed', error = ?2, updated_at_ms = ?3, finished_at_ms = ?3 \
                 WHERE state = 'running' AND updated_at_ms < ?1",
                params![before_ms, error, now_ms],
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn doomed_blobs(&self, limit: usize) -> StoreResult<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached("SELECT sha256 FROM doomed_blobs ORDER BY doomed_at_ms, sha256 LIMIT ?1")?
                .query_map([limit], |r| r.get(0))?
                .collect()
        })
        .await
    }

    async fn forget_doomed_blobs(&self, sha256s: &[String]) -> StoreResult<()> {
        let sha256s = sha256s.to_vec();
        self.write(move |tx| {
            let mut stmt = tx.prepare_cached("DELETE FROM doomed_blobs WHERE sha256 = ?1")?;
            for sha256 in &sha256s {
                stmt.execute([sha256])?;
            }
            Ok(())
        })
        .await
    }
}
