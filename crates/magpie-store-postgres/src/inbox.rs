//! The notification centre's items (see [`magpie_core::inbox`]). A write locks the event
//! streams of the accounts it logs to, as every write that logs account events does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::chat::AccountEvent;
use magpie_core::inbox::{NewNotifications, Notification, NotificationKind, ReadItems, Recipients};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::ports::InboxStore;
use tokio_postgres::Row;

use crate::chat::log_events;
use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, read_tx, write_tx};

const COLUMNS: &str = "n.id, n.kind, n.at_ms, n.read_at_ms, aa.name, ad.name, n.actor_name, n.conversation_id, \
     n.conversation_name, n.direct, n.seq, n.emoji, n.text, n.thread";
const FROM: &str = "FROM notifications n LEFT JOIN accounts aa ON aa.id = n.actor_id \
     LEFT JOIN domains ad ON ad.id = aa.domain_id";
/// Items the account may see: none of a conversation it is no longer a member of.
const VISIBLE: &str = "(n.conversation_id IS NULL OR EXISTS (SELECT 1 FROM members m \
     WHERE m.conversation_id = n.conversation_id AND m.account_id = n.account_id AND m.left_seq IS NULL))";

fn from_row(row: &Row) -> PgResult<Notification> {
    let kind: String = row.try_get(1)?;
    let read_at_ms: Option<i64> = row.try_get(3)?;
    let actor_name: Option<String> = row.try_get(4)?;
    let actor_domain: Option<String> = row.try_get(5)?;
    Ok(Notification {
        id: row.try_get(0)?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| corrupt("notification kind"))?,
        at_ms: row.try_get(2)?,
        read: read_at_ms.is_some(),
        actor: actor_name.zip(actor_domain).map(|(name, domain)| format!("{name}@{domain}")),
        actor_name: row.try_get(6)?,
        conversation: row.try_get::<_, Option<i64>>(7)?.map(ConversationId),
        conversation_name: row.try_get(8)?,
        direct: row.try_get(9)?,
        seq: row.try_get::<_, Option<i64>>(10)?.map(Seq),
        emoji: row.try_get(11)?,
        text: row.try_get(12)?,
        thread: row.try_get::<_, Option<i64>>(13)?.map(Seq),
    })
}

/// The accounts `new` goes to, after the filters.
async fn recipients(c: &impl GenericClient, new: &NewNotifications) -> PgResult<Vec<AccountId>> {
    let actor = new.actor.as_ref().map(|(id, _)| id.0);
    let conversation = new.conversation.map(|c| c.0);
    let (from, ids): (&str, Vec<i64>) = match &new.to {
        Recipients::Accounts(ids) => ("SELECT DISTINCT unnest($3::bigint[]) AS id", ids.iter().map(|a| a.0).collect()),
        Recipients::Members => (
            "SELECT account_id AS id FROM members WHERE conversation_id = $2 AND left_seq IS NULL \
             AND cardinality($3::bigint[]) = 0",
            Vec::new(),
        ),
        Recipients::Domain(d) => {
            ("SELECT id FROM accounts WHERE domain_id = ($3::bigint[])[1] AND NOT disabled", vec![d.0])
        }
        Recipients::Admins(d) => (
            "SELECT id FROM accounts WHERE NOT disabled AND (role = 'server_admin' \
             OR (role = 'domain_admin' AND domain_id = ($3::bigint[])[1]))",
            vec![d.0],
        ),
    };
    let sql = format!(
        "SELECT r.id FROM ({from}) r WHERE ($1::bigint IS NULL OR r.id <> $1) \
         AND ($1::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = r.id AND b.blocked_id = $1)) \
         AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = $2 \
              AND m.account_id = r.id AND m.left_seq IS NULL)) ORDER BY r.id"
    );
    let rows = c.query(&c.prepare_cached(&sql).await?, &[&actor, &conversation, &ids]).await?;
    rows.iter().map(|r| Ok(AccountId(r.try_get(0)?))).collect()
}

async fn add(tx: &mut Tx<'_>, new: &NewNotifications) -> PgResult<Vec<(AccountId, Notification)>> {
    let accounts = recipients(tx.c(), new).await?;
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    tx.lock_accounts(accounts.iter().copied()).await?;
    let c = tx.c();
    let insert = c
        .prepare_cached(
            "INSERT INTO notifications (account_id, kind, key, actor_id, actor_name, conversation_id, \
             conversation_name, direct, seq, emoji, text, at_ms, thread) \
             SELECT a, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM unnest($1::bigint[]) AS a \
             ON CONFLICT (account_id, key) DO NOTHING RETURNING account_id, id",
        )
        .await?;
    let ids: Vec<i64> = accounts.iter().map(|a| a.0).collect();
    let rows = c
        .query(
            &insert,
            &[
                &ids,
                &new.kind.as_str(),
                &new.key,
                &new.actor.as_ref().map(|(id, _)| id.0),
                &new.actor_name,
                &new.conversation.map(|c| c.0),
                &new.conversation_name,
                &new.direct,
                &new.seq.map(|s| s.0),
                &new.emoji,
                &new.text,
                &new.at_ms,
                &new.thread.map(|t| t.0),
            ],
        )
        .await?;
    let mut added =
        rows.iter().map(|r| Ok((AccountId(r.try_get(0)?), new.item(r.try_get(1)?)))).collect::<PgResult<Vec<_>>>()?;
    added.sort_by_key(|(account, _)| *account);
    let events: Vec<_> = added
        .iter()
        .map(|(account, item)| (*account, AccountEvent::NotificationAdded { notification: item.clone() }))
        .collect();
    log_events(tx, &events, new.at_ms).await?;
    Ok(added)
}

async fn unread(c: &impl GenericClient, account: AccountId) -> PgResult<u32> {
    let sql =
        format!("SELECT count(*) FROM notifications n WHERE n.account_id = $1 AND n.read_at_ms IS NULL AND {VISIBLE}");
    let n: i64 = c.query_one(&c.prepare_cached(&sql).await?, &[&account.0]).await?.try_get(0)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

async fn read(tx: &mut Tx<'_>, account: AccountId, items: ReadItems, at_ms: i64) -> PgResult<u32> {
    tx.lock_accounts([account]).await?;
    let c = tx.c();
    let event = match items {
        ReadItems::Ids(ids) => {
            let sql = "UPDATE notifications SET read_at_ms = $3 WHERE account_id = $1 AND id = ANY($2) \
                       AND read_at_ms IS NULL RETURNING id";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &ids, &at_ms]).await?;
            let mut changed = rows.iter().map(|r| r.try_get(0)).collect::<Result<Vec<i64>, _>>()?;
            changed.sort_unstable();
            (!changed.is_empty()).then_some(AccountEvent::NotificationsRead { ids: changed, up_to: None })
        }
        ReadItems::UpTo(up_to) => {
            let sql = "UPDATE notifications SET read_at_ms = $3 WHERE account_id = $1 AND id <= $2 \
                       AND read_at_ms IS NULL";
            let n = c.execute(&c.prepare_cached(sql).await?, &[&account.0, &up_to, &at_ms]).await?;
            (n > 0).then_some(AccountEvent::NotificationsRead { ids: Vec::new(), up_to: Some(up_to) })
        }
    };
    if let Some(event) = event {
        log_events(tx, &[(account, event)], at_ms).await?;
    }
    unread(tx.c(), account).await
}

async fn remove_message(tx: &mut Tx<'_>, conversation: ConversationId, seq: Seq, at_ms: i64) -> PgResult<u64> {
    let c = tx.c();
    let sql = "SELECT DISTINCT account_id FROM notifications WHERE conversation_id = $1 AND seq = $2 \
               AND kind IN ('mention', 'reply', 'reaction')";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&conversation.0, &seq.0]).await?;
    let accounts = rows.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<Vec<_>, _>>()?;
    if accounts.is_empty() {
        return Ok(0);
    }
    tx.lock_accounts(accounts.iter().copied()).await?;
    let c = tx.c();
    let sql = "DELETE FROM notifications WHERE conversation_id = $1 AND seq = $2 \
               AND kind IN ('mention', 'reply', 'reaction') RETURNING account_id, id";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&conversation.0, &seq.0]).await?;
    let mut by_account: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in &rows {
        let account: i64 = row.try_get(0)?;
        // An account the first read did not see (an item written meanwhile) logs nothing
        // without its lock: its client drops the item when it lists again.
        if accounts.contains(&AccountId(account)) {
            by_account.entry(account).or_default().push(row.try_get(1)?);
        }
    }
    let events: Vec<_> = by_account
        .into_iter()
        .map(|(account, mut ids)| {
            ids.sort_unstable();
            (AccountId(account), AccountEvent::NotificationsRemoved { ids })
        })
        .collect();
    log_events(tx, &events, at_ms).await?;
    Ok(rows.len() as u64)
}

#[async_trait]
impl InboxStore for PgStore {
    async fn add_notifications(&self, new: NewNotifications) -> StoreResult<Vec<(AccountId, Notification)>> {
        write_tx!(self, |tx| add(tx, &new).await?)
    }

    async fn notifications(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: usize,
        unread_only: bool,
    ) -> StoreResult<(Vec<Notification>, u32)> {
        let sql = format!(
            "SELECT {COLUMNS} {FROM} WHERE n.account_id = $1 AND n.id < $2 AND (NOT $3 OR n.read_at_ms IS NULL) \
             AND {VISIBLE} ORDER BY n.id DESC LIMIT $4"
        );
        let before = before.unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read_tx!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&account.0, &before, &unread_only, &limit]).await?;
            let items = rows.iter().map(from_row).collect::<PgResult<Vec<_>>>()?;
            (items, unread(c, account).await?)
        })
    }

    async fn read_notifications(&self, account: AccountId, items: ReadItems, at_ms: i64) -> StoreResult<u32> {
        write_tx!(self, |tx| read(tx, account, items.clone(), at_ms).await?)
    }

    async fn remove_message_notifications(
        &self,
        conversation: ConversationId,
        seq: Seq,
        at_ms: i64,
    ) -> StoreResult<u64> {
        write_tx!(self, |tx| remove_message(tx, conversation, seq, at_ms).await?)
    }

    async fn prune_notifications(&self, keep_per_account: usize, before_ms: i64) -> StoreResult<u64> {
        let keep = i64::try_from(keep_per_account).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let c = tx.c();
            let old = c
                .execute(&c.prepare_cached("DELETE FROM notifications WHERE at_ms < $1").await?, &[&before_ms])
                .await?;
            let over = c
                .execute(
                    &c.prepare_cached(
                        "DELETE FROM notifications WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER \
                         (PARTITION BY account_id ORDER BY id DESC) AS place FROM notifications) s WHERE place > $1)",
                    )
                    .await?,
                    &[&keep],
                )
                .await?;
            old + over
        })
    }

    async fn badges(&self, accounts: Vec<AccountId>, now_ms: i64) -> StoreResult<Vec<(AccountId, u32)>> {
        let ids: Vec<i64> = accounts.iter().map(|a| a.0).collect();
        let sql = "SELECT m.account_id, count(*) FROM members m JOIN conversations c ON c.id = m.conversation_id \
                   WHERE m.account_id = ANY($1) AND m.left_seq IS NULL \
                   AND (c.last_message_seq > m.read_seq OR m.marked_unread) \
                   AND NOT (m.muted AND (m.unmute_at_ms IS NULL OR m.unmute_at_ms > $2)) GROUP BY m.account_id";
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(sql).await?, &[&ids, &now_ms]).await?;
            rows.iter()
                .map(|r| Ok((AccountId(r.try_get(0)?), u32::try_from(r.try_get::<_, i64>(1)?).unwrap_or(u32::MAX))))
                .collect::<PgResult<Vec<_>>>()?
        })
    }
}
