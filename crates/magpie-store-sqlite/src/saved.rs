//! Saved messages: each account's copies of messages, taken inside the transaction that checks
//! the save (see [`magpie_core::saved`]).

use async_trait::async_trait;
use magpie_core::Error;
use magpie_core::chat::{AccountEvent, ConversationKind};
use magpie_core::model::{AccountId, ConversationId, SavedId, Seq};
use magpie_core::ports::SavedStore;
use magpie_core::saved::{NewSaved, SavePrecondition, SavedItem};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::chat::{addr, corrupt, json_error, log_events, to_json};
use crate::{SqliteStore, StoreResult, Tx};

const SAVED_COLUMNS: &str = "s.id, s.account_id, s.conversation_id, c.kind, s.conversation_name, pa.name, pd.name, \
     s.seq, sa.name, sd.name, s.kind, s.body, s.at_ms, s.note, s.saved_at_ms, s.recalled_at_ms";
const SAVED_FROM: &str = "FROM saved s JOIN conversations c ON c.id = s.conversation_id \
     JOIN accounts sa ON sa.id = s.sender_id JOIN domains sd ON sd.id = sa.domain_id \
     LEFT JOIN accounts pa ON pa.id = s.peer_id LEFT JOIN domains pd ON pd.id = pa.domain_id";

fn saved_from_row(row: &Row<'_>) -> rusqlite::Result<SavedItem> {
    let kind: String = row.get(3)?;
    let peer: Option<String> = row.get(5)?;
    let body: Option<String> = row.get(11)?;
    Ok(SavedItem {
        id: SavedId(row.get(0)?),
        account: AccountId(row.get(1)?),
        conversation: ConversationId(row.get(2)?),
        conversation_kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt(3, "conversation kind"))?,
        conversation_name: row.get(4)?,
        peer: peer.map(|_| addr(row, 5)).transpose()?,
        seq: Seq(row.get(7)?),
        sender: addr(row, 8)?,
        kind: row.get(10)?,
        body: body.map(|b| serde_json::from_str(&b)).transpose().map_err(|e| json_error(11, e))?,
        at_ms: row.get(12)?,
        note: row.get(13)?,
        saved_at_ms: row.get(14)?,
        recalled_at_ms: row.get(15)?,
    })
}

fn saved_item(conn: &Connection, account: AccountId, id: SavedId) -> rusqlite::Result<Option<SavedItem>> {
    let sql = format!("SELECT {SAVED_COLUMNS} {SAVED_FROM} WHERE s.account_id = ?1 AND s.id = ?2");
    conn.prepare_cached(&sql)?.query_row(params![account.0, id.0], saved_from_row).optional()
}

fn saved_items(
    conn: &Connection,
    account: AccountId,
    before: Option<SavedId>,
    limit: usize,
) -> rusqlite::Result<Vec<SavedItem>> {
    let sql = format!(
        "SELECT {SAVED_COLUMNS} {SAVED_FROM} WHERE s.account_id = ?1 AND s.id < ?2 ORDER BY s.id DESC LIMIT ?3"
    );
    let before = before.map_or(i64::MAX, |b| b.0);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(&sql)?.query_map(params![account.0, before, limit], saved_from_row)?.collect()
}

fn save(tx: &Tx<'_>, new: NewSaved) -> rusqlite::Result<Result<(SavedItem, bool), Error>> {
    let NewSaved { account, conversation, seq, peer, note, at_ms, check } = new;
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM saved WHERE account_id = ?1 AND conversation_id = ?2 AND seq = ?3")?
        .query_row(params![account.0, conversation.0, seq.0], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        let item = saved_item(tx, account, SavedId(id))?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        return Ok(Ok((item, false)));
    }
    let Some(conv) = crate::chat::conversation(tx, conversation)? else {
        return Ok(Err(Error::NotFound("conversation")));
    };
    let member = crate::chat::member(tx, conversation, account)?;
    let entry = crate::chat::entry(tx, conversation, seq)?;
    let saved: i64 =
        tx.prepare_cached("SELECT count(*) FROM saved WHERE account_id = ?1")?.query_row([account.0], |r| r.get(0))?;
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
    tx.prepare_cached(
        "INSERT INTO saved (account_id, conversation_id, seq, conversation_name, peer_id, sender_id, kind, body, \
         at_ms, note, saved_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        account.0,
        conversation.0,
        seq.0,
        conv.info.name,
        peer.map(|p| p.0),
        entry.sender.0,
        entry.kind,
        body,
        entry.at_ms,
        note,
        at_ms,
    ])?;
    let id = SavedId(tx.last_insert_rowid());
    log_events(tx, vec![(account, AccountEvent::SavedChanged { id })], at_ms)?;
    let item = saved_item(tx, account, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(Ok((item, true)))
}

fn set_note(
    tx: &Tx<'_>,
    account: AccountId,
    id: SavedId,
    note: Option<String>,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<Option<SavedItem>> {
    let changed = tx
        .prepare_cached("UPDATE saved SET note = ?3 WHERE account_id = ?1 AND id = ?2")?
        .execute(params![account.0, id.0, note])?;
    if changed == 0 {
        return Ok(None);
    }
    log_events(tx, events, at_ms)?;
    saved_item(tx, account, id)
}

fn remove(
    tx: &Tx<'_>,
    account: AccountId,
    id: SavedId,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<bool> {
    let removed =
        tx.prepare_cached("DELETE FROM saved WHERE account_id = ?1 AND id = ?2")?.execute(params![account.0, id.0])?;
    if removed == 0 {
        return Ok(false);
    }
    log_events(tx, events, at_ms)?;
    Ok(true)
}

#[async_trait]
impl SavedStore for SqliteStore {
    async fn save(&self, new: NewSaved) -> StoreResult<Result<(SavedItem, bool), Error>> {
        self.write(move |tx| save(tx, new)).await
    }

    async fn saved_items(
        &self,
        account: AccountId,
        before: Option<SavedId>,
        limit: usize,
    ) -> StoreResult<Vec<SavedItem>> {
        self.read(move |c| saved_items(c, account, before, limit)).await
    }

    async fn saved_item(&self, account: AccountId, id: SavedId) -> StoreResult<Option<SavedItem>> {
        self.read(move |c| saved_item(c, account, id)).await
    }

    async fn set_saved_note(
        &self,
        account: AccountId,
        id: SavedId,
        note: Option<String>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<SavedItem>> {
        self.write(move |tx| set_note(tx, account, id, note, events, at_ms)).await
    }

    async fn remove_saved(
        &self,
        account: AccountId,
        id: SavedId,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| remove(tx, account, id, events, at_ms)).await
    }
}
