//! Scheduled messages and their senders' claims (see [`magpie_core::scheduled`]). One writer
//! makes every write here, so a claim is one `UPDATE` in the writer's transaction: no two
//! senders of this store can claim one message.

use async_trait::async_trait;
use magpie_core::Error;
use magpie_core::chat::AccountEvent;
use magpie_core::files::FileId;
use magpie_core::model::{AccountId, ConversationId, ScheduledId, Seq, SessionId};
use magpie_core::ports::ScheduledStore;
use magpie_core::scheduled::{Failure, FailureCode, NewScheduled, ScheduledEdit, ScheduledMessage, Settled};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::chat::{corrupt, json_error, log_events, to_json};
use crate::{SqliteStore, StoreResult, Tx};

const COLUMNS: &str = "id, account_id, session_id, conversation_id, kind, body, mentions, mention_all, reply_to, \
     send_at_ms, created_at_ms, updated_at_ms, failed_code, failed_message, failed_at_ms";

/// What a live claim is: one that ends after `now`.
const HELD: &str = "claimed_until_ms IS NOT NULL AND claimed_until_ms > ?";

fn from_row(row: &Row<'_>) -> rusqlite::Result<ScheduledMessage> {
    let body: String = row.get(5)?;
    let mentions: Option<String> = row.get(6)?;
    let code: Option<String> = row.get(12)?;
    let failure = match code {
        None => None,
        Some(code) => Some(Failure {
            code: FailureCode::parse(&code).ok_or_else(|| corrupt(12, "failure code"))?,
            message: row.get::<_, Option<String>>(13)?.unwrap_or_default(),
            at_ms: row.get::<_, Option<i64>>(14)?.unwrap_or_default(),
        }),
    };
    Ok(ScheduledMessage {
        id: ScheduledId(row.get(0)?),
        account: AccountId(row.get(1)?),
        session: SessionId(row.get(2)?),
        conversation: ConversationId(row.get(3)?),
        kind: row.get(4)?,
        body: serde_json::from_str(&body).map_err(|e| json_error(5, e))?,
        mentions: mentions
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| json_error(6, e))?
            .unwrap_or_default(),
        mention_all: row.get(7)?,
        reply_to: row.get::<_, Option<i64>>(8)?.map(Seq),
        send_at_ms: row.get(9)?,
        created_at_ms: row.get(10)?,
        updated_at_ms: row.get(11)?,
        failure,
    })
}

fn mentions_json(mentions: &[String]) -> rusqlite::Result<Option<String>> {
    if mentions.is_empty() { Ok(None) } else { to_json(&mentions).map(Some) }
}

fn by_id(conn: &Connection, id: ScheduledId) -> rusqlite::Result<Option<ScheduledMessage>> {
    let sql = format!("SELECT {COLUMNS} FROM scheduled_messages WHERE id = ?1");
    conn.prepare_cached(&sql)?.query_row([id.0], from_row).optional()
}

fn of_account(conn: &Connection, account: AccountId, id: ScheduledId) -> rusqlite::Result<Option<ScheduledMessage>> {
    Ok(by_id(conn, id)?.filter(|m| m.account == account))
}

/// Whether a live claim at `now` holds message `id`.
fn held(conn: &Connection, id: ScheduledId, now: i64) -> rusqlite::Result<bool> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM scheduled_messages WHERE id = ? AND {HELD})");
    conn.prepare_cached(&sql)?.query_row(params![id.0, now], |r| r.get(0))
}

fn being_sent() -> Error {
    Error::Conflict("this scheduled message is being sent".to_owned())
}

fn put_files(tx: &Tx<'_>, id: ScheduledId, files: &[FileId]) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM scheduled_files WHERE scheduled_id = ?1")?.execute([id.0])?;
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO scheduled_files (scheduled_id, file_id) VALUES (?1, ?2)")?;
    for file in files {
        insert.execute(params![id.0, file.as_str()])?;
    }
    Ok(())
}

fn schedule(
    tx: &Tx<'_>,
    new: NewScheduled,
    per_account_max: usize,
) -> rusqlite::Result<Result<ScheduledMessage, Error>> {
    let held: i64 = tx
        .prepare_cached("SELECT count(*) FROM scheduled_messages WHERE account_id = ?1")?
        .query_row([new.account.0], |r| r.get(0))?;
    if usize::try_from(held).unwrap_or(usize::MAX) >= per_account_max {
        return Ok(Err(Error::LimitExceeded(
            "you have as many scheduled messages as you may; send or cancel some first",
        )));
    }
    tx.prepare_cached(
        "INSERT INTO scheduled_messages (account_id, session_id, conversation_id, kind, body, mentions, mention_all, \
         reply_to, send_at_ms, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        new.account.0,
        new.session.0,
        new.conversation.0,
        new.kind,
        to_json(&new.body)?,
        mentions_json(&new.mentions)?,
        new.mention_all,
        new.reply_to.map(|s| s.0),
        new.send_at_ms,
        new.at_ms,
    ])?;
    let id = ScheduledId(tx.last_insert_rowid());
    put_files(tx, id, &new.files)?;
    log_events(tx, vec![(new.account, AccountEvent::ScheduledChanged { id })], new.at_ms)?;
    let scheduled = by_id(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(Ok(scheduled))
}

fn edit(
    tx: &Tx<'_>,
    account: AccountId,
    id: ScheduledId,
    edit: ScheduledEdit,
    events: Vec<(AccountId, AccountEvent)>,
    now: i64,
) -> rusqlite::Result<Result<Option<ScheduledMessage>, Error>> {
    if of_account(tx, account, id)?.is_none() {
        return Ok(Ok(None));
    }
    if held(tx, id, now)? {
        return Ok(Err(being_sent()));
    }
    tx.prepare_cached(
        "UPDATE scheduled_messages SET send_at_ms = ?2, body = ?3, mentions = ?4, mention_all = ?5, \
         updated_at_ms = ?6, claimed_until_ms = NULL, failed_code = NULL, failed_message = NULL, \
         failed_at_ms = NULL WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        edit.send_at_ms,
        to_json(&edit.body)?,
        mentions_json(&edit.mentions)?,
        edit.mention_all,
        edit.at_ms
    ])?;
    put_files(tx, id, &edit.files)?;
    log_events(tx, events, edit.at_ms)?;
    Ok(Ok(by_id(tx, id)?))
}

fn cancel(
    tx: &Tx<'_>,
    account: AccountId,
    id: ScheduledId,
    events: Vec<(AccountId, AccountEvent)>,
    now: i64,
) -> rusqlite::Result<Result<bool, Error>> {
    if of_account(tx, account, id)?.is_none() {
        return Ok(Ok(false));
    }
    if held(tx, id, now)? {
        return Ok(Err(being_sent()));
    }
    tx.prepare_cached("DELETE FROM scheduled_messages WHERE id = ?1")?.execute([id.0])?;
    log_events(tx, events, now)?;
    Ok(Ok(true))
}

fn claim_due(tx: &Tx<'_>, now: i64, until: i64, limit: usize) -> rusqlite::Result<Vec<ScheduledMessage>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Waiting messages due now that no claim holds, and those whose claim lapsed.
    let sql = format!(
        "SELECT {COLUMNS} FROM scheduled_messages WHERE id IN ( \
           SELECT id FROM scheduled_messages WHERE failed_code IS NULL AND claimed_until_ms IS NULL \
             AND send_at_ms <= ?1 \
           UNION SELECT id FROM scheduled_messages WHERE claimed_until_ms IS NOT NULL AND claimed_until_ms <= ?1 \
             AND failed_code IS NULL) \
         ORDER BY send_at_ms, id LIMIT ?2"
    );
    let due: Vec<ScheduledMessage> =
        tx.prepare_cached(&sql)?.query_map(params![now, limit], from_row)?.collect::<rusqlite::Result<_>>()?;
    let mut claim = tx.prepare_cached("UPDATE scheduled_messages SET claimed_until_ms = ?2 WHERE id = ?1")?;
    for message in &due {
        claim.execute(params![message.id.0, until])?;
    }
    Ok(due)
}

fn claim_one(
    tx: &Tx<'_>,
    account: AccountId,
    id: ScheduledId,
    now: i64,
    until: i64,
) -> rusqlite::Result<Result<ScheduledMessage, Error>> {
    let Some(message) = of_account(tx, account, id)? else {
        return Ok(Err(Error::NotFound("scheduled message")));
    };
    if held(tx, id, now)? {
        return Ok(Err(being_sent()));
    }
    tx.prepare_cached("UPDATE scheduled_messages SET claimed_until_ms = ?2 WHERE id = ?1")?
        .execute(params![id.0, until])?;
    Ok(Ok(message))
}

fn settle(
    tx: &Tx<'_>,
    id: ScheduledId,
    claimed_until: i64,
    outcome: Settled,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<bool> {
    let changed = match outcome {
        Settled::Sent => tx
            .prepare_cached("DELETE FROM scheduled_messages WHERE id = ?1 AND claimed_until_ms = ?2")?
            .execute(params![id.0, claimed_until])?,
        Settled::Failed(failure) => tx
            .prepare_cached(
                "UPDATE scheduled_messages SET claimed_until_ms = NULL, failed_code = ?3, failed_message = ?4, \
                 failed_at_ms = ?5 WHERE id = ?1 AND claimed_until_ms = ?2",
            )?
            .execute(params![id.0, claimed_until, failure.code.as_str(), failure.message, failure.at_ms])?,
        Settled::Released => tx
            .prepare_cached(
                "UPDATE scheduled_messages SET claimed_until_ms = NULL WHERE id = ?1 AND claimed_until_ms = ?2",
            )?
            .execute(params![id.0, claimed_until])?,
    };
    if changed == 0 {
        return Ok(false);
    }
    log_events(tx, events, at_ms)?;
    Ok(true)
}

fn next_due(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT min(at) FROM ( \
           SELECT min(send_at_ms) AS at FROM scheduled_messages WHERE failed_code IS NULL AND claimed_until_ms IS NULL \
           UNION ALL SELECT min(claimed_until_ms) FROM scheduled_messages \
             WHERE claimed_until_ms IS NOT NULL AND failed_code IS NULL)",
    )?
    .query_row([], |r| r.get(0))
}

#[async_trait]
impl ScheduledStore for SqliteStore {
    async fn schedule(
        &self,
        new: NewScheduled,
        per_account_max: usize,
    ) -> StoreResult<Result<ScheduledMessage, Error>> {
        self.write(move |tx| schedule(tx, new, per_account_max)).await
    }

    async fn scheduled_messages(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduledMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let sql = format!(
                "SELECT {COLUMNS} FROM scheduled_messages WHERE account_id = ?1 \
                 AND (?2 IS NULL OR conversation_id = ?2) ORDER BY send_at_ms, id LIMIT ?3"
            );
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(params![account.0, conversation.map(|c| c.0), limit], from_row)?;
            rows.collect()
        })
        .await
    }

    async fn scheduled_message(&self, account: AccountId, id: ScheduledId) -> StoreResult<Option<ScheduledMessage>> {
        self.read(move |c| of_account(c, account, id)).await
    }

    async fn edit_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        edit_to: ScheduledEdit,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<Option<ScheduledMessage>, Error>> {
        self.write(move |tx| edit(tx, account, id, edit_to, events, now_ms)).await
    }

    async fn cancel_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<bool, Error>> {
        self.write(move |tx| cancel(tx, account, id, events, now_ms)).await
    }

    async fn claim_due(&self, now_ms: i64, until_ms: i64, limit: usize) -> StoreResult<Vec<ScheduledMessage>> {
        self.write(move |tx| claim_due(tx, now_ms, until_ms, limit)).await
    }

    async fn claim_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Result<ScheduledMessage, Error>> {
        self.write(move |tx| claim_one(tx, account, id, now_ms, until_ms)).await
    }

    async fn settle_scheduled(
        &self,
        id: ScheduledId,
        claimed_until_ms: i64,
        outcome: Settled,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| settle(tx, id, claimed_until_ms, outcome, events, at_ms)).await
    }

    async fn next_scheduled_due(&self) -> StoreResult<Option<i64>> {
        self.read(next_due).await
    }
}
