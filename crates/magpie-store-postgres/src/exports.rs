//! Compliance exports (see [`magpie_core::export`]): the jobs, their progress, and the digests
//! of the archives they left in the blob store until they expire.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::export::{ExportJob, ExportScope, ExportState, NewExport};
use magpie_core::model::{AccountId, ConversationId, DomainId};
use magpie_core::ports::ExportStore;
use tokio_postgres::Row;

use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

const COLUMNS: &str = "e.id, e.domain_id, d.name, e.requested_by, e.account_id, e.conversation_id, e.target, \
     e.from_ms, e.until_ms, e.state, e.conversations_total, e.conversations_done, e.messages, e.files, e.bytes, \
     e.sha256, e.error, e.created_at_ms, e.updated_at_ms, e.finished_at_ms, e.expires_at_ms";
const FROM: &str = "FROM exports e JOIN domains d ON d.id = e.domain_id";

/// A count as the schema keeps it (a `BIGINT`, signed).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn counted(row: &Row, col: usize) -> PgResult<u64> {
    Ok(u64::try_from(row.try_get::<_, i64>(col)?).unwrap_or(0))
}

fn from_row(row: &Row) -> PgResult<ExportJob> {
    let scope = match (row.try_get::<_, Option<i64>>(4)?, row.try_get::<_, Option<i64>>(5)?) {
        (Some(account), None) => ExportScope::Account(AccountId(account)),
        (None, Some(conversation)) => ExportScope::Conversation(ConversationId(conversation)),
        _ => return Err(corrupt("export scope")),
    };
    let state: String = row.try_get(9)?;
    Ok(ExportJob {
        id: row.try_get(0)?,
        domain: DomainId(row.try_get(1)?),
        domain_name: row.try_get(2)?,
        requested_by: row.try_get(3)?,
        scope,
        target: row.try_get(6)?,
        from_ms: row.try_get(7)?,
        until_ms: row.try_get(8)?,
        state: ExportState::parse(&state).ok_or_else(|| corrupt("export state"))?,
        conversations_total: counted(row, 10)?,
        conversations_done: counted(row, 11)?,
        messages: counted(row, 12)?,
        files: counted(row, 13)?,
        bytes: counted(row, 14)?,
        sha256: row.try_get(15)?,
        error: row.try_get(16)?,
        created_at_ms: row.try_get(17)?,
        updated_at_ms: row.try_get(18)?,
        finished_at_ms: row.try_get(19)?,
        expires_at_ms: row.try_get(20)?,
    })
}

async fn job(c: &impl GenericClient, id: i64) -> PgResult<Option<ExportJob>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE e.id = $1");
    c.query_opt(&c.prepare_cached(&sql).await?, &[&id]).await?.as_ref().map(from_row).transpose()
}

#[async_trait]
impl ExportStore for PgStore {
    async fn create_export(&self, new: &NewExport) -> StoreResult<ExportJob> {
        let (account, conversation) = match new.scope {
            ExportScope::Account(a) => (Some(a.0), None),
            ExportScope::Conversation(c) => (None, Some(c.0)),
        };
        write_tx!(self, |tx| {
            let c = tx.c();
            let sql = "INSERT INTO exports (domain_id, requested_by, account_id, conversation_id, target, from_ms, \
                       until_ms, state, created_at_ms, updated_at_ms) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $8) RETURNING id";
            let row = c
                .query_one(
                    &c.prepare_cached(sql).await?,
                    &[
                        &new.domain.0,
                        &new.requested_by,
                        &account,
                        &conversation,
                        &new.target,
                        &new.from_ms,
                        &new.until_ms,
                        &new.at_ms,
                    ],
                )
                .await?;
            let id: i64 = row.try_get(0)?;
            job(c, id).await?.ok_or_else(|| corrupt("export just written"))?
        })
    }

    async fn export(&self, id: i64) -> StoreResult<Option<ExportJob>> {
        read!(self, |c| job(c, id).await?)
    }

    async fn exports(&self, domain: Option<DomainId>, limit: usize) -> StoreResult<Vec<ExportJob>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let rows = match domain {
                Some(domain) => {
                    let sql = format!("SELECT {COLUMNS} {FROM} WHERE e.domain_id = $1 ORDER BY e.id DESC LIMIT $2");
                    c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &limit]).await?
                }
                None => {
                    let sql = format!("SELECT {COLUMNS} {FROM} ORDER BY e.id DESC LIMIT $1");
                    c.query(&c.prepare_cached(&sql).await?, &[&limit]).await?
                }
            };
            rows.iter().map(from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn update_export(&self, job: &ExportJob) -> StoreResult<bool> {
        let counts = [job.conversations_total, job.conversations_done, job.messages, job.files, job.bytes].map(count);
        write_tx!(self, |tx| {
            let c = tx.c();
            let sql = "UPDATE exports SET state = $2, conversations_total = $3, conversations_done = $4, \
                       messages = $5, files = $6, bytes = $7, sha256 = $8, error = $9, updated_at_ms = $10, \
                       finished_at_ms = $11, expires_at_ms = $12 WHERE id = $1 AND state = 'running'";
            let changed = c
                .execute(
                    &c.prepare_cached(sql).await?,
                    &[
                        &job.id,
                        &job.state.as_str(),
                        &counts[0],
                        &counts[1],
                        &counts[2],
                        &counts[3],
                        &counts[4],
                        &job.sha256,
                        &job.error,
                        &job.updated_at_ms,
                        &job.finished_at_ms,
                        &job.expires_at_ms,
                    ],
                )
                .await?;
            changed > 0
        })
    }

    async fn fail_stale_exports(
        &self,
        before_ms: i64,
        error: &str,
        at_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<u64> {
        write_tx!(self, |tx| {
            let c = tx.c();
            let sql = "UPDATE exports SET state = 'failed', error = $2, finished_at_ms = $3, updated_at_ms = $3, expires_at_ms = $4 \
                       WHERE state = 'running' AND updated_at_ms < $1";
            c.execute(&c.prepare_cached(sql).await?, &[&before_ms, &error, &at_ms, &expires_at_ms]).await?
        })
    }

    async fn take_expired_exports(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let c = tx.c();
            // SKIP LOCKED: sweeps on several nodes at once take different exports, and none
            // waits for another's.
            let sql = "DELETE FROM exports WHERE id IN (SELECT id FROM exports \
                           WHERE expires_at_ms <= $1 AND state <> 'running' ORDER BY expires_at_ms, id LIMIT $2 \
                           FOR UPDATE SKIP LOCKED) \
                       RETURNING sha256";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&now_ms, &limit]).await?;
            let digests: Vec<Option<String>> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
            digests.into_iter().flatten().collect::<Vec<String>>()
        })
    }
}
