//! Saved messages: each account's copies of messages, taken inside the transaction that checks
//! the save (see [`magpie_core::saved`]).
//!
//! A save locks the stream of the conversation whose message it copies, as an append does,
//! before its account's: a recall of that message holds the same lock, so the two commit one
//! after the other, and the recall's list of copies to erase is complete.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::Error;
use magpie_core::chat::{AccountEvent, ConversationKind};
use magpie_core::model::{AccountId, ConversationId, SavedId, Seq};
use magpie_core::ports::SavedStore;
use magpie_core::saved::{NewSaved, SavePrecondition, SavedItem};
use tokio_postgres::Row;

use crate::chat::{addr, json_error, log_events, to_json};
use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, read_tx, write_tx};

const SAVED_COLUMNS: &str = "s.id, s.account_id, s.conversation_id, c.kind, s.conversation_name, pa.name, pd.name, \
     s.seq, sa.name, sd.name, s.kind, s.body, s.at_ms, s.note, s.saved_at_ms, s.recalled_at_ms";
const SAVED_FROM: &str = "FROM saved s JOIN conversations c ON c.id = s.conversation_id \
     JOIN accounts sa ON sa.id = s.sender_id JOIN domains sd ON sd.id = sa.domain_id \
     LEFT JOIN accounts pa ON pa.id = s.peer_id LEFT JOIN domains pd ON pd.id = pa.domain_id";

fn saved_from_row(row: &Row) -> PgResult<SavedItem> {
    let kind: String = row.try_get(3)?;
    let peer: Option<String> = row.try_get(5)?;
    let body: Option<String> = row.try_get(11)?;
    Ok(SavedItem {
        id: SavedId(row.try_get(0)?),
        account: AccountId(row.try_get(1)?),
        conversation: ConversationId(row.try_get(2)?),
        conversation_kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt("conversation kind"))?,
        conversation_name: row.try_get(4)?,
        peer: peer.map(|_| addr(row, 5)).transpose()?,
        seq: Seq(row.try_get(7)?),
        sender: addr(row, 8)?,
        kind: row.try_get(10)?,
        body: body.map(|b| serde_json::from_str(&b)).transpose().map_err(json_error)?,
        at_ms: row.try_get(12)?,
        note: row.try_get(13)?,
        saved_at_ms: row.try_get(14)?,
        recalled_at_ms: row.try_get(15)?,
    })
}

async fn saved_item(c: &impl GenericClient, account: AccountId, id: SavedId) -> PgResult<Option<SavedItem>> {
    let sql = format!("SELECT {SAVED_COLUMNS} {SAVED_FROM} WHERE s.account_id = $1 AND s.id = $2");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&account.0, &id.0]).await?;
    row.map(|r| saved_from_row(&r)).transpose()
}

async fn save(tx: &mut Tx<'_>, new: &NewSaved) -> PgResult<Result<(SavedItem, bool), Error>> {
    let NewSaved { account, conversation, seq, peer, note, at_ms, check } = new;
    tx.lock_conversation_with(*conversation);
    let lock = tx.c().prepare_cached("SELECT pg_advisory_xact_lock($1)").await?;
    tx.c().query(&lock, &[&conversation.0]).await?;
    tx.lock_accounts([*account]).await?;
    let c = tx.c();
    let existing = c
        .query_opt(
            &c.prepare_cached("SELECT id FROM saved WHERE account_id = $1 AND conversation_id = $2 AND seq = $3")
                .await?,
            &[&account.0, &conversation.0, &seq.0],
        )
        .await?;
    if let Some(row) = existing {
        let item = saved_item(c, *account, SavedId(row.try_get(0)?)).await?.ok_or_else(|| corrupt("saved item"))?;
        return Ok(Ok((item, false)));
    }
    let Some(conv) = crate::chat::conversation(c, *conversation).await? else {
        return Ok(Err(Error::NotFound("conversation")));
    };
    let member = crate::chat::member(c, *conversation, *account).await?;
    let entry = crate::chat::entry(c, *conversation, *seq).await?;
    let saved: i64 = c
        .query_one(&c.prepare_cached("SELECT count(*) FROM saved WHERE account_id = $1").await?, &[&account.0])
        .await?
        .try_get(0)?;
    let pre = SavePrecondition {
        conversation: &conv,
        member: member.as_ref(),
        entry: entry.as_ref(),
        saved: usize::try_from(saved).unwrap_or(usize::MAX),
    };
    if let Err(refusal) = check(&pre) {
        return Ok(Err(refusal));
    }
    let Some(entry) = entry else { return Ok(Err(Error::NotFound("message"))) };
    let body = entry.body.as_ref().map(to_json).transpose()?;
    let row = c
        .query_one(
            &c.prepare_cached(
                "INSERT INTO saved (account_id, conversation_id, seq, conversation_name, peer_id, sender_id, kind, \
                 body, at_ms, note, saved_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .await?,
            &[
                &account.0,
                &conversation.0,
                &seq.0,
                &conv.info.name,
                &peer.map(|p| p.0),
                &entry.sender.0,
                &entry.kind,
                &body,
                &entry.at_ms,
                note,
                at_ms,
            ],
        )
        .await?;
    let id = SavedId(row.try_get(0)?);
    log_events(tx, &[(*account, AccountEvent::SavedChanged { id })], *at_ms).await?;
    let item = saved_item(tx.c(), *account, id).await?.ok_or_else(|| corrupt("saved item"))?;
    Ok(Ok((item, true)))
}

#[async_trait]
impl SavedStore for PgStore {
    async fn save(&self, new: NewSaved) -> StoreResult<Result<(SavedItem, bool), Error>> {
        write_tx!(self, |tx| save(tx, &new).await?)
    }

    async fn saved_items(
        &self,
        account: AccountId,
        before: Option<SavedId>,
        limit: usize,
    ) -> StoreResult<Vec<SavedItem>> {
        let sql = format!(
            "SELECT {SAVED_COLUMNS} {SAVED_FROM} WHERE s.account_id = $1 AND s.id < $2 ORDER BY s.id DESC LIMIT $3"
        );
        let before = before.map_or(i64::MAX, |b| b.0);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read_tx!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&account.0, &before, &limit]).await?;
            rows.iter().map(saved_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn saved_item(&self, account: AccountId, id: SavedId) -> StoreResult<Option<SavedItem>> {
        read!(self, |c| saved_item(c, account, id).await?)
    }

    async fn set_saved_note(
        &self,
        account: AccountId,
        id: SavedId,
        note: Option<String>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<SavedItem>> {
        write_tx!(self, |tx| {
            tx.lock_accounts(crate::chat::accounts_of(&events)).await?;
            let c = tx.c();
            let sql = "UPDATE saved SET note = $3 WHERE account_id = $1 AND id = $2";
            let changed = c.execute(&c.prepare_cached(sql).await?, &[&account.0, &id.0, &note]).await?;
            if changed == 0 {
                None
            } else {
                log_events(tx, &events, at_ms).await?;
                saved_item(tx.c(), account, id).await?
            }
        })
    }

    async fn remove_saved(
        &self,
        account: AccountId,
        id: SavedId,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.lock_accounts(crate::chat::accounts_of(&events)).await?;
            let c = tx.c();
            let sql = "DELETE FROM saved WHERE account_id = $1 AND id = $2";
            let removed = c.execute(&c.prepare_cached(sql).await?, &[&account.0, &id.0]).await?;
            if removed > 0 {
                log_events(tx, &events, at_ms).await?;
            }
            removed > 0
        })
    }
}
