//! Retention (magpie_core::retention): the policies, the runs, the doomed blobs, and the prune
//! that an append's `Effect::Prune` makes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::chat::{AccountEvent, ConversationKind};
use magpie_core::model::{AccountId, ConversationId, DomainId, SavedId, Seq};
use magpie_core::ports::RetentionStore;
use magpie_core::retention::{ConversationRetention, PruneCandidate, RetentionRun, RunState};
use tokio_postgres::Row;

use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, write_tx};

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

/// The accounts whose saved copies or notifications a prune of `from + 1..=through` deletes:
/// they get an event, so they are locked before the append's first write.
pub(crate) async fn pruned_accounts(
    c: &impl GenericClient,
    conversation: ConversationId,
    from: Seq,
    through: Seq,
) -> PgResult<Vec<AccountId>> {
    let sql = "SELECT account_id FROM saved WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 \
               UNION SELECT account_id FROM notifications WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 \
               ORDER BY account_id";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&conversation.0, &from.0, &through.0]).await?;
    Ok(rows.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<_, _>>()?)
}

/// Deletes the conversation's entries after `from` up to `through` with what hangs on them,
/// and the files only they referred to (their blobs, once unused, doomed); raises
/// `pruned_through`. Answers the events for the accounts whose saved copies or notifications
/// went.
pub(crate) async fn prune(
    tx: &Tx<'_>,
    conversation: ConversationId,
    from: Seq,
    through: Seq,
    at_ms: i64,
) -> PgResult<Vec<(AccountId, AccountEvent)>> {
    let c = tx.c();
    let (id, from, through) = (conversation.0, from.0, through.0);
    let sql = "SELECT coalesce((SELECT message_number FROM entries WHERE conversation_id = $1 AND seq <= $2 \
               ORDER BY seq DESC LIMIT 1), (SELECT pruned_messages FROM conversations WHERE id = $1))";
    let messages: i64 = c.query_one(&c.prepare_cached(sql).await?, &[&id, &through]).await?.try_get(0)?;
    let sql = "SELECT DISTINCT file_id FROM file_refs WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 \
               ORDER BY file_id";
    let files: Vec<String> = c
        .query(&c.prepare_cached(sql).await?, &[&id, &from, &through])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for table in BY_SEQ {
        let sql = format!("DELETE FROM {table} WHERE conversation_id = $1 AND seq > $2 AND seq <= $3");
        c.execute(&c.prepare_cached(&sql).await?, &[&id, &from, &through]).await?;
    }
    for table in ["threads", "thread_follows"] {
        let sql = format!("DELETE FROM {table} WHERE conversation_id = $1 AND root_seq > $2 AND root_seq <= $3");
        c.execute(&c.prepare_cached(&sql).await?, &[&id, &from, &through]).await?;
    }
    let sql = "DELETE FROM saved WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 RETURNING account_id, id";
    let mut saved = c
        .query(&c.prepare_cached(sql).await?, &[&id, &from, &through])
        .await?
        .iter()
        .map(|r| Ok((AccountId(r.try_get(0)?), SavedId(r.try_get(1)?))))
        .collect::<PgResult<Vec<_>>>()?;
    saved.sort();
    let sql = "DELETE FROM notifications WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 \
               RETURNING account_id, id";
    let mut notified: BTreeMap<AccountId, Vec<i64>> = BTreeMap::new();
    for r in c.query(&c.prepare_cached(sql).await?, &[&id, &from, &through]).await? {
        let account = AccountId(r.try_get(0)?);
        // An item written since the accounts were locked (by the notification centre, which
        // does not hold the conversation's lock) logs nothing without its account's lock: its
        // client drops the item when it lists again.
        if tx.holds_account(account) {
            notified.entry(account).or_default().push(r.try_get(1)?);
        }
    }
    let sql = "DELETE FROM entries WHERE conversation_id = $1 AND seq > $2 AND seq <= $3";
    c.execute(&c.prepare_cached(sql).await?, &[&id, &from, &through]).await?;
    let sql = "UPDATE conversations SET pruned_through = $2, pruned_messages = $3 WHERE id = $1";
    c.execute(&c.prepare_cached(sql).await?, &[&id, &through, &messages]).await?;
    for file in files {
        drop_file_if_unused(tx, &file, at_ms).await?;
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
async fn drop_file_if_unused(tx: &Tx<'_>, file: &str, at_ms: i64) -> PgResult<()> {
    let c = tx.c();
    let sql = "SELECT EXISTS (SELECT 1 FROM files WHERE id = $1) \
               AND NOT EXISTS (SELECT 1 FROM file_refs WHERE file_id = $1) \
               AND NOT EXISTS (SELECT 1 FROM stickers WHERE file_id = $1) \
               AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = $1) \
               AND NOT EXISTS (SELECT 1 FROM conversations WHERE avatar = $1) \
               AND NOT EXISTS (SELECT 1 FROM scheduled_files WHERE file_id = $1)";
    let unused: bool = c.query_one(&c.prepare_cached(sql).await?, &[&file]).await?.try_get(0)?;
    if !unused {
        return Ok(());
    }
    let sql = "SELECT sha256 FROM thumbnails WHERE file_id = $1";
    let mut blobs: Vec<String> = c
        .query(&c.prepare_cached(sql).await?, &[&file])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let sql = "DELETE FROM files WHERE id = $1 RETURNING sha256";
    c.execute("DELETE FROM thumbnails WHERE file_id = $1", &[&file]).await?;
    blobs.push(c.query_one(&c.prepare_cached(sql).await?, &[&file]).await?.try_get(0)?);
    for blob in blobs {
        if crate::files::drop_blob_ref(tx, &blob).await? {
            let sql = "INSERT INTO doomed_blobs (sha256, doomed_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING";
            c.execute(&c.prepare_cached(sql).await?, &[&blob, &at_ms]).await?;
        }
    }
    Ok(())
}

const RUN_COLUMNS: &str = "id, domain_id, state, started_by, before_ms, conversations, entries, files, error, \
     started_at_ms, updated_at_ms, finished_at_ms";

fn run_from(r: &Row) -> PgResult<RetentionRun> {
    let state: String = r.try_get(2)?;
    Ok(RetentionRun {
        id: r.try_get(0)?,
        domain: DomainId(r.try_get(1)?),
        state: RunState::parse(&state).ok_or_else(|| corrupt("retention run state"))?,
        started_by: r.try_get(3)?,
        before_ms: r.try_get(4)?,
        conversations: r.try_get(5)?,
        entries: r.try_get(6)?,
        files: r.try_get(7)?,
        error: r.try_get(8)?,
        started_at_ms: r.try_get(9)?,
        updated_at_ms: r.try_get(10)?,
        finished_at_ms: r.try_get(11)?,
    })
}

fn days_from(days: Option<i64>) -> Option<u32> {
    days.and_then(|d| u32::try_from(d).ok())
}

#[async_trait]
impl RetentionStore for PgStore {
    async fn retention_days(&self, domain: DomainId) -> StoreResult<Option<u32>> {
        read!(self, |c| {
            let sql = "SELECT retention_days FROM domains WHERE id = $1";
            let row = c.query_opt(&c.prepare_cached(sql).await?, &[&domain.0]).await?;
            days_from(row.map(|r| r.try_get::<_, Option<i64>>(0)).transpose()?.flatten())
        })
    }

    async fn set_retention_days(&self, domain: DomainId, days: Option<u32>) -> StoreResult<()> {
        let days = days.map(i64::from);
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE domains SET retention_days = $2 WHERE id = $1", &[&domain.0, &days]).await?;
        })
    }

    async fn conversation_retention(&self, domain: DomainId) -> StoreResult<Vec<ConversationRetention>> {
        read!(self, |c| {
            let sql = "SELECT id, kind, name, retention_days FROM conversations \
                       WHERE domain_id = $1 AND retention_days IS NOT NULL ORDER BY id";
            c.query(&c.prepare_cached(sql).await?, &[&domain.0])
                .await?
                .iter()
                .map(|r| {
                    let kind: String = r.try_get(1)?;
                    Ok(ConversationRetention {
                        conversation: ConversationId(r.try_get(0)?),
                        kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt("conversation kind"))?,
                        name: r.try_get(2)?,
                        days: days_from(r.try_get(3)?).unwrap_or(0),
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn set_conversation_retention(&self, conversation: ConversationId, days: Option<u32>) -> StoreResult<()> {
        let days = days.map(i64::from);
        write_tx!(self, |tx| {
            tx.c()
                .execute("UPDATE conversations SET retention_days = $2 WHERE id = $1", &[&conversation.0, &days])
                .await?;
        })
    }

    async fn domains_with_retention(&self) -> StoreResult<Vec<DomainId>> {
        read!(self, |c| {
            let sql = "SELECT id FROM domains d WHERE retention_days IS NOT NULL \
                       OR EXISTS (SELECT 1 FROM conversations c WHERE c.domain_id = d.id AND c.retention_days > 0) \
                       ORDER BY id";
            c.query(&c.prepare_cached(sql).await?, &[])
                .await?
                .iter()
                .map(|r| r.try_get(0).map(DomainId))
                .collect::<Result<Vec<_>, _>>()?
        })
    }

    async fn prune_candidates(
        &self,
        domain: DomainId,
        after: ConversationId,
        limit: usize,
    ) -> StoreResult<Vec<PruneCandidate>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let sql = "SELECT c.id, c.retention_days, c.pruned_through, coalesce(c.owner_id, \
                         (SELECT min(s.account_id) FROM member_spans s WHERE s.conversation_id = c.id)) \
                       FROM conversations c WHERE c.domain_id = $1 AND c.id > $2 AND c.last_seq > c.pruned_through \
                       ORDER BY c.id LIMIT $3";
            let mut found = vec![];
            for r in c.query(&c.prepare_cached(sql).await?, &[&domain.0, &after.0, &limit]).await? {
                // No one ever belonged to it: it has no entries to prune.
                let Some(author) = r.try_get::<_, Option<i64>>(3)? else { continue };
                found.push(PruneCandidate {
                    conversation: ConversationId(r.try_get(0)?),
                    days: days_from(r.try_get(1)?),
                    pruned_through: Seq(r.try_get(2)?),
                    author: AccountId(author),
                });
            }
            found
        })
    }

    async fn prune_point(
        &self,
        conversation: ConversationId,
        after: Seq,
        before_ms: i64,
        limit: i64,
    ) -> StoreResult<Option<Seq>> {
        read!(self, |c| {
            let sql = "SELECT seq, at_ms, \
                         coalesce(kind = 'system' AND strpos(body, '\"event\":\"history_pruned\"') > 0, false) \
                       FROM entries WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
            let mut through = None;
            for r in c.query(&c.prepare_cached(sql).await?, &[&conversation.0, &after.0, &limit]).await? {
                if r.try_get::<_, i64>(1)? >= before_ms {
                    break;
                }
                // A prune ends at an entry that is not an earlier prune's notice: a
                // conversation where nothing but that notice is old is left alone.
                if !r.try_get::<_, bool>(2)? {
                    through = Some(Seq(r.try_get(0)?));
                }
            }
            through
        })
    }

    async fn create_retention_run(&self, run: &RetentionRun) -> StoreResult<RetentionRun> {
        let run = run.clone();
        write_tx!(self, |tx| {
            let c = tx.c();
            let sql = format!(
                "INSERT INTO retention_runs (domain_id, state, started_by, before_ms, conversations, entries, files, \
                 error, started_at_ms, updated_at_ms, finished_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {RUN_COLUMNS}"
            );
            let row = c
                .query_one(
                    &c.prepare_cached(&sql).await?,
                    &[
                        &run.domain.0,
                        &run.state.as_str(),
                        &run.started_by,
                        &run.before_ms,
                        &run.conversations,
                        &run.entries,
                        &run.files,
                        &run.error,
                        &run.started_at_ms,
                        &run.updated_at_ms,
                        &run.finished_at_ms,
                    ],
                )
                .await?;
            run_from(&row)?
        })
    }

    async fn update_retention_run(&self, run: &RetentionRun) -> StoreResult<()> {
        let run = run.clone();
        write_tx!(self, |tx| {
            let c = tx.c();
            let sql = "UPDATE retention_runs SET state = $2, conversations = $3, entries = $4, files = $5, \
                       error = $6, updated_at_ms = $7, finished_at_ms = $8 WHERE id = $1";
            c.execute(
                &c.prepare_cached(sql).await?,
                &[
                    &run.id,
                    &run.state.as_str(),
                    &run.conversations,
                    &run.entries,
                    &run.files,
                    &run.error,
                    &run.updated_at_ms,
                    &run.finished_at_ms,
                ],
            )
            .await?;
        })
    }

    async fn retention_run(&self, id: i64) -> StoreResult<Option<RetentionRun>> {
        read!(self, |c| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE id = $1");
            c.query_opt(&c.prepare_cached(&sql).await?, &[&id]).await?.as_ref().map(run_from).transpose()?
        })
    }

    async fn retention_runs(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<RetentionRun>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let sql =
                format!("SELECT {RUN_COLUMNS} FROM retention_runs WHERE domain_id = $1 ORDER BY id DESC LIMIT $2");
            c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &limit])
                .await?
                .iter()
                .map(run_from)
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn fail_stale_retention_runs(&self, before_ms: i64, error: &str, now_ms: i64) -> StoreResult<u64> {
        let error = error.to_owned();
        write_tx!(self, |tx| {
            let sql = "UPDATE retention_runs SET state = 'failed', error = $2, updated_at_ms = $3, \
                       finished_at_ms = $3 WHERE state = 'running' AND updated_at_ms < $1";
            tx.c().execute(sql, &[&before_ms, &error, &now_ms]).await?
        })
    }

    async fn doomed_blobs(&self, limit: usize) -> StoreResult<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let sql = "SELECT sha256 FROM doomed_blobs ORDER BY doomed_at_ms, sha256 LIMIT $1";
            c.query(&c.prepare_cached(sql).await?, &[&limit])
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<Vec<String>, _>>()?
        })
    }

    async fn forget_doomed_blobs(&self, sha256s: &[String]) -> StoreResult<()> {
        let sha256s = sha256s.to_vec();
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM doomed_blobs WHERE sha256 = ANY($1)", &[&sha256s]).await?;
        })
    }
}
