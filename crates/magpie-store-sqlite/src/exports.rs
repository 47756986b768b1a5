//! Compliance exports (see [`magpie_core::export`]): the jobs, their progress, and the digests
//! of the archives they left in the blob store until they expire.

use async_trait::async_trait;
use magpie_core::export::{ExportJob, ExportScope, ExportState, NewExport};
use magpie_core::model::{AccountId, ConversationId, DomainId};
use magpie_core::ports::ExportStore;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult, Tx};

const COLUMNS: &str = "e.id, e.domain_id, d.name, e.requested_by, e.account_id, e.conversation_id, e.target, \
     e.from_ms, e.until_ms, e.state, e.conversations_total, e.conversations_done, e.messages, e.files, e.bytes, \
     e.sha256, e.error, e.created_at_ms, e.updated_at_ms, e.finished_at_ms, e.expires_at_ms";
const FROM: &str = "FROM exports e JOIN domains d ON d.id = e.domain_id";

/// A count as SQLite stores it (an `INTEGER`, signed).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn counted(row: &Row<'_>, col: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(col)?).unwrap_or(0))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ExportJob> {
    let scope = match (row.get::<_, Option<i64>>(4)?, row.get::<_, Option<i64>>(5)?) {
        (Some(account), None) => ExportScope::Account(AccountId(account)),
        (None, Some(conversation)) => ExportScope::Conversation(ConversationId(conversation)),
        _ => return Err(corrupt(4, "export scope")),
    };
    let state: String = row.get(9)?;
    Ok(ExportJob {
        id: row.get(0)?,
        domain: DomainId(row.get(1)?),
        domain_name: row.get(2)?,
        requested_by: row.get(3)?,
        scope,
        target: row.get(6)?,
        from_ms: row.get(7)?,
        until_ms: row.get(8)?,
        state: ExportState::parse(&state).ok_or_else(|| corrupt(9, "export state"))?,
        conversations_total: counted(row, 10)?,
        conversations_done: counted(row, 11)?,
        messages: counted(row, 12)?,
        files: counted(row, 13)?,
        bytes: counted(row, 14)?,
        sha256: row.get(15)?,
        error: row.get(16)?,
        created_at_ms: row.get(17)?,
        updated_at_ms: row.get(18)?,
        finished_at_ms: row.get(19)?,
        expires_at_ms: row.get(20)?,
    })
}

fn job(c: &Connection, id: i64) -> rusqlite::Result<Option<ExportJob>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} {FROM} WHERE e.id = ?1"))?.query_row([id], from_row).optional()
}

fn create(tx: &Tx<'_>, new: &NewExport) -> rusqlite::Result<ExportJob> {
    let (account, conversation) = match new.scope {
        ExportScope::Account(a) => (Some(a.0), None),
        ExportScope::Conversation(c) => (None, Some(c.0)),
    };
    tx.prepare_cached(
        "INSERT INTO exports (domain_id, requested_by, account_id, conversation_id, target, from_ms, until_ms, \
         state, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?8)",
    )?
    .execute(params![
        new.domain.0,
        new.requested_by,
        account,
        conversation,
        new.target,
        new.from_ms,
        new.until_ms,
        new.at_ms
    ])?;
    job(tx, tx.last_insert_rowid())?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

fn update(tx: &Tx<'_>, j: &ExportJob) -> rusqlite::Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE exports SET state = ?2, conversations_total = ?3, conversations_done = ?4, messages = ?5, \
             files = ?6, bytes = ?7, sha256 = ?8, error = ?9, updated_at_ms = ?10, finished_at_ms = ?11, \
             expires_at_ms = ?12 WHERE id = ?1 AND state = 'running'",
        )?
        .execute(params![
            j.id,
            j.state.as_str(),
            count(j.conversations_total),
            count(j.conversations_done),
            count(j.messages),
            count(j.files),
            count(j.bytes),
            j.sha256,
            j.error,
            j.updated_at_ms,
            j.finished_at_ms,
            j.expires_at_ms,
        ])?;
    Ok(changed > 0)
}

/// Deletes up to `limit` finished exports expired at `now_ms`, those that expired first first;
/// returns the digests of their archives.
fn take_expired(tx: &Tx<'_>, now_ms: i64, limit: usize) -> rusqlite::Result<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = tx.prepare_cached(
        "DELETE FROM exports WHERE id IN (SELECT id FROM exports \
             WHERE expires_at_ms <= ?1 AND state <> 'running' ORDER BY expires_at_ms, id LIMIT ?2) \
         RETURNING sha256",
    )?;
    let digests = stmt.query_map(params![now_ms, limit], |r| r.get::<_, Option<String>>(0))?;
    digests.filter_map(Result::transpose).collect()
}

#[async_trait]
impl ExportStore for SqliteStore {
    async fn create_export(&self, new: &NewExport) -> StoreResult<ExportJob> {
        let new = new.clone();
        self.write(move |tx| create(tx, &new)).await
    }

    async fn export(&self, id: i64) -> StoreResult<Option<ExportJob>> {
        self.read(move |c| job(c, id)).await
    }

    async fn exports(&self, domain: Option<DomainId>, limit: usize) -> StoreResult<Vec<ExportJob>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| match domain {
            Some(domain) => c
                .prepare_cached(&format!("SELECT {COLUMNS} {FROM} WHERE e.domain_id = ?1 ORDER BY e.id DESC LIMIT ?2"))?
                .query_map(params![domain.0, limit], from_row)?
                .collect(),
            None => c
                .prepare_cached(&format!("SELECT {COLUMNS} {FROM} ORDER BY e.id DESC LIMIT ?1"))?
                .query_map([limit], from_row)?
                .collect(),
        })
        .await
    }

    async fn update_export(&self, job: &ExportJob) -> StoreResult<bool> {
        let job = job.clone();
        self.write(move |tx| update(tx, &job)).await
    }

    async fn fail_stale_exports(
        &self,
        before_ms: i64,
        error: &str,
        at_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<u64> {
        let error = error.to_owned();
        let failed = self
            .write(move |tx| {
                tx.prepare_cached(
                    "UPDATE exports SET state = 'failed', error = ?2, finished_at_ms = ?3, updated_at_ms = ?3, expires_at_ms = ?4 \
                     WHERE state = 'running' AND updated_at_ms < ?1",
                )?
                .execute(params![before_ms, error, at_ms, expires_at_ms])
            })
            .await?;
        Ok(u64::try_from(failed).unwrap_or(u64::MAX))
    }

    async fn take_expired_exports(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<String>> {
        self.write(move |tx| take_expired(tx, now_ms, limit)).await
    }
}
