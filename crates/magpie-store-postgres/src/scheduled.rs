//! Scheduled messages and their senders' claims (see [`magpie_core::scheduled`]).
//!
//! Every node runs a sender, so claims must hold across nodes: a sender claims the due rows it
//! will send in one `UPDATE` whose rows are chosen `FOR UPDATE SKIP LOCKED` (senders claiming
//! at once skip each other's rows instead of waiting for them), and a row whose claim lies
//! ahead is left alone by every other claim. Edits, cancels and settlements lock the row
//! (`FOR UPDATE`) and look at its claim under that lock, so none of them slips in between a
//! claim and the claim's own check. Writes that log events lock their accounts' streams first,
//! as every write of this store does.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::Error;
use magpie_core::chat::AccountEvent;
use magpie_core::files::FileId;
use magpie_core::model::{AccountId, ConversationId, ScheduledId, Seq, SessionId};
use magpie_core::ports::ScheduledStore;
use magpie_core::scheduled::{Failure, FailureCode, NewScheduled, ScheduledEdit, ScheduledMessage, Settled};
use tokio_postgres::Row;

use crate::chat::{accounts_of, json_error, log_events, to_json};
use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, write_tx};

const COLUMNS: &str = "id, account_id, session_id, conversation_id, kind, body, mentions, mention_all, reply_to, \
     send_at_ms, created_at_ms, updated_at_ms, failed_code, failed_message, failed_at_ms";

fn from_row(row: &Row) -> PgResult<ScheduledMessage> {
    let body: String = row.try_get(5)?;
    let mentions: Option<String> = row.try_get(6)?;
    let code: Option<String> = row.try_get(12)?;
    let failure = match code {
        None => None,
        Some(code) => Some(Failure {
            code: FailureCode::parse(&code).ok_or_else(|| corrupt("failure code"))?,
            message: row.try_get::<_, Option<String>>(13)?.unwrap_or_default(),
            at_ms: row.try_get::<_, Option<i64>>(14)?.unwrap_or_default(),
        }),
    };
    Ok(ScheduledMessage {
        id: ScheduledId(row.try_get(0)?),
        account: AccountId(row.try_get(1)?),
        session: SessionId(row.try_get(2)?),
        conversation: ConversationId(row.try_get(3)?),
        kind: row.try_get(4)?,
        body: serde_json::from_str(&body).map_err(json_error)?,
        mentions: mentions.map(|m| serde_json::from_str(&m)).transpose().map_err(json_error)?.unwrap_or_default(),
        mention_all: row.try_get(7)?,
        reply_to: row.try_get::<_, Option<i64>>(8)?.map(Seq),
        send_at_ms: row.try_get(9)?,
        created_at_ms: row.try_get(10)?,
        updated_at_ms: row.try_get(11)?,
        failure,
    })
}

fn mentions_json(mentions: &[String]) -> PgResult<Option<String>> {
    if mentions.is_empty() { Ok(None) } else { to_json(&mentions).map(Some) }
}

fn being_sent() -> Error {
    Error::Conflict("this scheduled message is being sent".to_owned())
}

async fn by_id(c: &impl GenericClient, id: ScheduledId) -> PgResult<Option<ScheduledMessage>> {
    let sql = format!("SELECT {COLUMNS} FROM scheduled_messages WHERE id = $1");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0]).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// The account's message, locked for the rest of the transaction, and whether a live claim at
/// `now` holds it.
async fn lock_own(
    c: &impl GenericClient,
    account: AccountId,
    id: ScheduledId,
    now: i64,
) -> PgResult<Option<(ScheduledMessage, bool)>> {
    let sql = format!(
        "SELECT {COLUMNS}, claimed_until_ms IS NOT NULL AND claimed_until_ms > $3 FROM scheduled_messages \
         WHERE id = $1 AND account_id = $2 FOR UPDATE"
    );
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0, &account.0, &now]).await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get(15)?))).transpose()
}

async fn put_files(c: &impl GenericClient, id: ScheduledId, files: &[FileId]) -> PgResult<()> {
    c.execute(&c.prepare_cached("DELETE FROM scheduled_files WHERE scheduled_id = $1").await?, &[&id.0]).await?;
    let files: Vec<&str> = files.iter().map(FileId::as_str).collect();
    let insert = "INSERT INTO scheduled_files (scheduled_id, file_id) SELECT $1, f FROM unnest($2::text[]) AS f \
                  ON CONFLICT DO NOTHING";
    c.execute(&c.prepare_cached(insert).await?, &[&id.0, &files]).await?;
    Ok(())
}

async fn schedule(
    tx: &mut Tx<'_>,
    new: &NewScheduled,
    per_account_max: usize,
) -> PgResult<Result<ScheduledMessage, Error>> {
    // The account's lock also keeps two schedules racing for its last place apart.
    tx.lock_accounts([new.account]).await?;
    let c = tx.c();
    let held: i64 = c
        .query_one(
            &c.prepare_cached("SELECT count(*) FROM scheduled_messages WHERE account_id = $1").await?,
            &[&new.account.0],
        )
        .await?
        .try_get(0)?;
    if usize::try_from(held).unwrap_or(usize::MAX) >= per_account_max {
        return Ok(Err(Error::LimitExceeded(
            "you have as many scheduled messages as you may; send or cancel some first",
        )));
    }
    let row = c
        .query_one(
            &c.prepare_cached(
                "INSERT INTO scheduled_messages (account_id, session_id, conversation_id, kind, body, mentions, \
                 mention_all, reply_to, send_at_ms, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .await?,
            &[
                &new.account.0,
                &new.session.0,
                &new.conversation.0,
                &new.kind,
                &to_json(&new.body)?,
                &mentions_json(&new.mentions)?,
                &new.mention_all,
                &new.reply_to.map(|s| s.0),
                &new.send_at_ms,
                &new.at_ms,
            ],
        )
        .await?;
    let id = ScheduledId(row.try_get(0)?);
    put_files(c, id, &new.files).await?;
    log_events(tx, &[(new.account, AccountEvent::ScheduledChanged { id })], new.at_ms).await?;
    let scheduled = by_id(tx.c(), id).await?.ok_or_else(|| corrupt("scheduled message"))?;
    Ok(Ok(scheduled))
}

async fn edit(
    tx: &mut Tx<'_>,
    account: AccountId,
    id: ScheduledId,
    edit: &ScheduledEdit,
    events: &[(AccountId, AccountEvent)],
    now: i64,
) -> PgResult<Result<Option<ScheduledMessage>, Error>> {
    tx.lock_accounts(accounts_of(events)).await?;
    let c = tx.c();
    match lock_own(c, account, id, now).await? {
        None => return Ok(Ok(None)),
        Some((_, true)) => return Ok(Err(being_sent())),
        Some((_, false)) => {}
    }
    let sql = "UPDATE scheduled_messages SET send_at_ms = $2, body = $3, mentions = $4, mention_all = $5, \
               updated_at_ms = $6, claimed_until_ms = NULL, failed_code = NULL, failed_message = NULL, \
               failed_at_ms = NULL WHERE id = $1";
    c.execute(
        &c.prepare_cached(sql).await?,
        &[
            &id.0,
            &edit.send_at_ms,
            &to_json(&edit.body)?,
            &mentions_json(&edit.mentions)?,
            &edit.mention_all,
            &edit.at_ms,
        ],
    )
    .await?;
    put_files(c, id, &edit.files).await?;
    log_events(tx, events, edit.at_ms).await?;
    Ok(Ok(by_id(tx.c(), id).await?))
}

async fn cancel(
    tx: &mut Tx<'_>,
    account: AccountId,
    id: ScheduledId,
    events: &[(AccountId, AccountEvent)],
    now: i64,
) -> PgResult<Result<bool, Error>> {
    tx.lock_accounts(accounts_of(events)).await?;
    let c = tx.c();
    match lock_own(c, account, id, now).await? {
        None => return Ok(Ok(false)),
        Some((_, true)) => return Ok(Err(being_sent())),
        Some((_, false)) => {}
    }
    c.execute(&c.prepare_cached("DELETE FROM scheduled_messages WHERE id = $1").await?, &[&id.0]).await?;
    log_events(tx, events, now).await?;
    Ok(Ok(true))
}

async fn settle(
    tx: &mut Tx<'_>,
    id: ScheduledId,
    claimed_until: i64,
    outcome: &Settled,
    events: &[(AccountId, AccountEvent)],
    at_ms: i64,
) -> PgResult<bool> {
    tx.lock_accounts(accounts_of(events)).await?;
    let c = tx.c();
    let changed = match outcome {
        Settled::Sent => {
            let sql = "DELETE FROM scheduled_messages WHERE id = $1 AND claimed_until_ms = $2";
            c.execute(&c.prepare_cached(sql).await?, &[&id.0, &claimed_until]).await?
        }
        Settled::Failed(failure) => {
            let sql = "UPDATE scheduled_messages SET claimed_until_ms = NULL, failed_code = $3, failed_message = $4, \
                       failed_at_ms = $5 WHERE id = $1 AND claimed_until_ms = $2";
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                [&id.0, &claimed_until, &failure.code.as_str(), &failure.message, &failure.at_ms];
            c.execute(&c.prepare_cached(sql).await?, &params).await?
        }
        Settled::Released => {
            let sql = "UPDATE scheduled_messages SET claimed_until_ms = NULL WHERE id = $1 AND claimed_until_ms = $2";
            c.execute(&c.prepare_cached(sql).await?, &[&id.0, &claimed_until]).await?
        }
    };
    if changed == 0 {
        return Ok(false);
    }
    log_events(tx, events, at_ms).await?;
    Ok(true)
}

#[async_trait]
impl ScheduledStore for PgStore {
    async fn schedule(
        &self,
        new: NewScheduled,
        per_account_max: usize,
    ) -> StoreResult<Result<ScheduledMessage, Error>> {
        write_tx!(self, |tx| schedule(tx, &new, per_account_max).await?)
    }

    async fn scheduled_messages(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduledMessage>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_messages WHERE account_id = $1 \
             AND ($2::bigint IS NULL OR conversation_id = $2) ORDER BY send_at_ms, id LIMIT $3"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conversation = conversation.map(|c| c.0);
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&account.0, &conversation, &limit]).await?;
            rows.iter().map(from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn scheduled_message(&self, account: AccountId, id: ScheduledId) -> StoreResult<Option<ScheduledMessage>> {
        read!(self, |c| by_id(c, id).await?.filter(|m| m.account == account))
    }

    async fn edit_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        edit_to: ScheduledEdit,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<Option<ScheduledMessage>, Error>> {
        write_tx!(self, |tx| edit(tx, account, id, &edit_to, &events, now_ms).await?)
    }

    async fn cancel_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<bool, Error>> {
        write_tx!(self, |tx| cancel(tx, account, id, &events, now_ms).await?)
    }

    async fn claim_due(&self, now_ms: i64, until_ms: i64, limit: usize) -> StoreResult<Vec<ScheduledMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "UPDATE scheduled_messages SET claimed_until_ms = $2 WHERE id IN ( \
               SELECT id FROM scheduled_messages WHERE failed_code IS NULL \
                 AND ((claimed_until_ms IS NULL AND send_at_ms <= $1) OR claimed_until_ms <= $1) \
               ORDER BY send_at_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {COLUMNS}"
        );
        let mut claimed = write_tx!(self, |tx| {
            let c = tx.c();
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&now_ms, &until_ms, &limit]).await?;
            rows.iter().map(from_row).collect::<PgResult<Vec<_>>>()?
        })?;
        claimed.sort_by_key(|m| (m.send_at_ms, m.id));
        Ok(claimed)
    }

    async fn claim_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Result<ScheduledMessage, Error>> {
        write_tx!(self, |tx| {
            let c = tx.c();
            match lock_own(c, account, id, now_ms).await? {
                None => Err(Error::NotFound("scheduled message")),
                Some((_, true)) => Err(being_sent()),
                Some((message, false)) => {
                    let sql = "UPDATE scheduled_messages SET claimed_until_ms = $2 WHERE id = $1";
                    c.execute(&c.prepare_cached(sql).await?, &[&id.0, &until_ms]).await?;
                    Ok(message)
                }
            }
        })
    }

    async fn settle_scheduled(
        &self,
        id: ScheduledId,
        claimed_until_ms: i64,
        outcome: Settled,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool> {
        write_tx!(self, |tx| settle(tx, id, claimed_until_ms, &outcome, &events, at_ms).await?)
    }

    async fn next_scheduled_due(&self) -> StoreResult<Option<i64>> {
        read!(self, |c| {
            let sql = "SELECT LEAST( \
                         (SELECT min(send_at_ms) FROM scheduled_messages \
                           WHERE failed_code IS NULL AND claimed_until_ms IS NULL), \
                         (SELECT min(claimed_until_ms) FROM scheduled_messages \
                           WHERE claimed_until_ms IS NOT NULL AND failed_code IS NULL))";
            c.query_one(&c.prepare_cached(sql).await?, &[]).await?.try_get::<_, Option<i64>>(0)?
        })
    }
}
