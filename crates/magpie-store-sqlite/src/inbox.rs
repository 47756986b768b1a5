//! The notification centre's items (see [`magpie_core::inbox`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use magpie_core::chat::AccountEvent;
use magpie_core::inbox::{NewNotifications, Notification, NotificationKind, ReadItems, Recipients};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::ports::InboxStore;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params};

use crate::chat::{corrupt, log_events};
use crate::{SqliteStore, StoreResult, Tx};

const COLUMNS: &str = "n.id, n.kind, n.at_ms, n.read_at_ms, aa.name, ad.name, n.actor_name, n.conversation_id, \
     n.conversation_name, n.direct, n.seq, n.emoji, n.text, n.thread";
const FROM: &str = "FROM notifications n LEFT JOIN accounts aa ON aa.id = n.actor_id \
     LEFT JOIN domains ad ON ad.id = aa.domain_id";
/// Items the account may see: none of a conversation it is no longer a member of.
const VISIBLE: &str = "(n.conversation_id IS NULL OR EXISTS (SELECT 1 FROM members m \
     WHERE m.conversation_id = n.conversation_id AND m.account_id = n.account_id AND m.left_seq IS NULL))";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Notification> {
    let kind: String = row.get(1)?;
    let read_at_ms: Option<i64> = row.get(3)?;
    let actor_name: Option<String> = row.get(4)?;
    let actor_domain: Option<String> = row.get(5)?;
    Ok(Notification {
        id: row.get(0)?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| corrupt(1, "notification kind"))?,
        at_ms: row.get(2)?,
        read: read_at_ms.is_some(),
        actor: actor_name.zip(actor_domain).map(|(name, domain)| format!("{name}@{domain}")),
        actor_name: row.get(6)?,
        conversation: row.get::<_, Option<i64>>(7)?.map(ConversationId),
        conversation_name: row.get(8)?,
        direct: row.get(9)?,
        seq: row.get::<_, Option<i64>>(10)?.map(Seq),
        emoji: row.get(11)?,
        text: row.get(12)?,
        thread: row.get::<_, Option<i64>>(13)?.map(Seq),
    })
}

/// The accounts `new` goes to, after the filters.
fn recipients(tx: &Tx<'_>, new: &NewNotifications) -> rusqlite::Result<Vec<AccountId>> {
    let actor = new.actor.as_ref().map(|(id, _)| id.0);
    let conversation = new.conversation.map(|c| c.0);
    let (from, arg) = match &new.to {
        Recipients::Accounts(ids) => (
            "SELECT DISTINCT value AS id FROM json_each(?3)",
            Value::Text(serde_json::to_string(&ids.iter().map(|a| a.0).collect::<Vec<_>>()).unwrap_or_default()),
        ),
        Recipients::Members => (
            "SELECT account_id AS id FROM members WHERE conversation_id = ?2 AND left_seq IS NULL AND ?3 IS NULL",
            Value::Null,
        ),
        Recipients::Domain(d) => ("SELECT id FROM accounts WHERE domain_id = ?3 AND disabled = 0", Value::Integer(d.0)),
        Recipients::Admins(d) => (
            "SELECT id FROM accounts WHERE disabled = 0 AND (role = 'server_admin' \
             OR (role = 'domain_admin' AND domain_id = ?3))",
            Value::Integer(d.0),
        ),
    };
    let sql = format!(
        "SELECT r.id FROM ({from}) r WHERE (?1 IS NULL OR r.id <> ?1) \
         AND (?1 IS NULL OR NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = r.id AND b.blocked_id = ?1)) \
         AND (?2 IS NULL OR EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = ?2 AND m.account_id = r.id \
              AND m.left_seq IS NULL)) ORDER BY r.id"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![actor, conversation, arg], |r| r.get(0).map(AccountId))?;
    rows.collect()
}

fn add(tx: &Tx<'_>, new: &NewNotifications) -> rusqlite::Result<Vec<(AccountId, Notification)>> {
    let accounts = recipients(tx, new)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO notifications (account_id, kind, key, actor_id, actor_name, conversation_id, conversation_name, \
         direct, seq, emoji, text, at_ms, thread) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (account_id, key) DO NOTHING",
    )?;
    let mut added = Vec::new();
    for account in accounts {
        let inserted = insert.execute(params![
            account.0,
            new.kind.as_str(),
            new.key,
            new.actor.as_ref().map(|(id, _)| id.0),
            new.actor_name,
            new.conversation.map(|c| c.0),
            new.conversation_name,
            new.direct,
            new.seq.map(|s| s.0),
            new.emoji,
            new.text,
            new.at_ms,
            new.thread.map(|t| t.0),
        ])?;
        if inserted == 1 {
            added.push((account, new.item(tx.last_insert_rowid())));
        }
    }
    let events = added
        .iter()
        .map(|(account, item)| (*account, AccountEvent::NotificationAdded { notification: item.clone() }))
        .collect();
    log_events(tx, events, new.at_ms)?;
    Ok(added)
}

fn unread(conn: &Connection, account: AccountId) -> rusqlite::Result<u32> {
    let sql =
        format!("SELECT count(*) FROM notifications n WHERE n.account_id = ?1 AND n.read_at_ms IS NULL AND {VISIBLE}");
    conn.prepare_cached(&sql)?.query_row([account.0], |r| r.get(0))
}

fn list(
    conn: &Connection,
    account: AccountId,
    before: Option<i64>,
    limit: usize,
    unread_only: bool,
) -> rusqlite::Result<(Vec<Notification>, u32)> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE n.account_id = ?1 AND n.id < ?2 AND (?3 = 0 OR n.read_at_ms IS NULL) \
         AND {VISIBLE} ORDER BY n.id DESC LIMIT ?4"
    );
    let before = before.unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let items = conn
        .prepare_cached(&sql)?
        .query_map(params![account.0, before, unread_only, limit], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((items, unread(conn, account)?))
}

fn read(tx: &Tx<'_>, account: AccountId, items: ReadItems, at_ms: i64) -> rusqlite::Result<u32> {
    let (event, changed) = match items {
        ReadItems::Ids(ids) => {
            let mut stmt = tx.prepare_cached(
                "UPDATE notifications SET read_at_ms = ?3 WHERE account_id = ?1 AND id = ?2 AND read_at_ms IS NULL",
            )?;
            let mut changed = Vec::new();
            for id in ids {
                if stmt.execute(params![account.0, id, at_ms])? == 1 {
                    changed.push(id);
                }
            }
            let any = !changed.is_empty();
            (AccountEvent::NotificationsRead { ids: changed, up_to: None }, any)
        }
        ReadItems::UpTo(up_to) => {
            let n = tx
                .prepare_cached(
                    "UPDATE notifications SET read_at_ms = ?3 WHERE account_id = ?1 AND id <= ?2 \
                     AND read_at_ms IS NULL",
                )?
                .execute(params![account.0, up_to, at_ms])?;
            (AccountEvent::NotificationsRead { ids: Vec::new(), up_to: Some(up_to) }, n > 0)
        }
    };
    if changed {
        log_events(tx, vec![(account, event)], at_ms)?;
    }
    unread(tx, account)
}

fn remove_message(tx: &Tx<'_>, conversation: ConversationId, seq: Seq, at_ms: i64) -> rusqlite::Result<u64> {
    let mut by_account: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut stmt = tx.prepare_cached(
        "DELETE FROM notifications WHERE conversation_id = ?1 AND seq = ?2 AND kind IN ('mention', 'reply', 'reaction') \
         RETURNING account_id, id",
    )?;
    let rows = stmt.query_map(params![conversation.0, seq.0], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    let mut count = 0;
    for row in rows {
        let (account, id) = row?;
        by_account.entry(account).or_default().push(id);
        count += 1;
    }
    let events = by_account
        .into_iter()
        .map(|(account, mut ids)| {
            ids.sort_unstable();
            (AccountId(account), AccountEvent::NotificationsRemoved { ids })
        })
        .collect();
    log_events(tx, events, at_ms)?;
    Ok(count)
}

fn prune(tx: &Tx<'_>, keep_per_account: usize, before_ms: i64) -> rusqlite::Result<u64> {
    let old = tx.prepare_cached("DELETE FROM notifications WHERE at_ms < ?1")?.execute([before_ms])?;
    let keep = i64::try_from(keep_per_account).unwrap_or(i64::MAX);
    let over = tx
        .prepare_cached(
            "DELETE FROM notifications WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER \
             (PARTITION BY account_id ORDER BY id DESC) AS place FROM notifications) WHERE place > ?1)",
        )?
        .execute([keep])?;
    Ok((old + over) as u64)
}

fn badges(conn: &Connection, accounts: &[AccountId], now_ms: i64) -> rusqlite::Result<Vec<(AccountId, u32)>> {
    let ids = serde_json::to_string(&accounts.iter().map(|a| a.0).collect::<Vec<_>>()).unwrap_or_default();
    let mut stmt = conn.prepare_cached(
        "SELECT m.account_id, count(*) FROM members m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.account_id IN (SELECT value FROM json_each(?1)) AND m.left_seq IS NULL \
         AND (c.last_message_seq > m.read_seq OR m.marked_unread) \
         AND NOT (m.muted AND (m.unmute_at_ms IS NULL OR m.unmute_at_ms > ?2)) GROUP BY m.account_id",
    )?;
    let rows = stmt.query_map(params![ids, now_ms], |r| Ok((AccountId(r.get(0)?), r.get(1)?)))?;
    rows.collect()
}

#[async_trait]
impl InboxStore for SqliteStore {
    async fn add_notifications(&self, new: NewNotifications) -> StoreResult<Vec<(AccountId, Notification)>> {
        self.write_background(move |tx| add(tx, &new)).await
    }

    async fn notifications(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: usize,
        unread_only: bool,
    ) -> StoreResult<(Vec<Notification>, u32)> {
        self.read(move |c| list(c, account, before, limit, unread_only)).await
    }

    async fn read_notifications(&self, account: AccountId, items: ReadItems, at_ms: i64) -> StoreResult<u32> {
        self.write(move |tx| read(tx, account, items, at_ms)).await
    }

    async fn remove_message_notifications(
        &self,
        conversation: ConversationId,
        seq: Seq,
        at_ms: i64,
    ) -> StoreResult<u64> {
        self.write(move |tx| remove_message(tx, conversation, seq, at_ms)).await
    }

    async fn prune_notifications(&self, keep_per_account: usize, before_ms: i64) -> StoreResult<u64> {
        self.write_background(move |tx| prune(tx, keep_per_account, before_ms)).await
    }

    async fn badges(&self, accounts: Vec<AccountId>, now_ms: i64) -> StoreResult<Vec<(AccountId, u32)>> {
        self.read(move |c| badges(c, &accounts, now_ms)).await
    }
}
