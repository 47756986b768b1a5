//! Contacts, friend requests and blocks: SQL in, core types out.

use async_trait::async_trait;
use magpie_core::ports::ContactStore;

use crate::{SqliteStore, StoreResult};
use magpie_core::chat::AccountEvent;
use magpie_core::contacts::{ContactState, FriendRequest};
use magpie_core::model::{Account, AccountId};
use rusqlite::{Connection, params};

use crate::Tx;
use crate::accounts::{ACCOUNT_COLUMNS, account_by_id, account_from_row};
use crate::chat::log_events;

type Events = Vec<(AccountId, AccountEvent)>;

pub(crate) fn contact_state(conn: &Connection, a: AccountId, b: AccountId) -> rusqlite::Result<ContactState> {
    // One statement: direct sends ask this on every message.
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM contacts WHERE account_id = ?1 AND contact_id = ?2), \
                EXISTS (SELECT 1 FROM friend_requests WHERE from_id = ?1 AND to_id = ?2), \
                EXISTS (SELECT 1 FROM friend_requests WHERE from_id = ?2 AND to_id = ?1), \
                (SELECT at_ms FROM blocks WHERE account_id = ?1 AND blocked_id = ?2), \
                EXISTS (SELECT 1 FROM blocks WHERE account_id = ?2 AND blocked_id = ?1)",
    )?
    .query_row(params![a.0, b.0], |r| {
        let blocks_since_ms: Option<i64> = r.get(3)?;
        Ok(ContactState {
            contacts: r.get(0)?,
            requested: r.get(1)?,
            requested_by: r.get(2)?,
            blocks: blocks_since_ms.is_some(),
            blocks_since_ms,
            blocked_by: r.get(4)?,
        })
    })
}

pub(crate) fn put_friend_request(
    tx: &Tx<'_>,
    from: AccountId,
    to: AccountId,
    message: Option<String>,
    at_ms: i64,
    events: Events,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO friend_requests (from_id, to_id, message, at_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message, at_ms = excluded.at_ms",
        params![from.0, to.0, message, at_ms],
    )?;
    log_events(tx, events, at_ms)
}

pub(crate) fn accept_friend_request(
    tx: &Tx<'_>,
    from: AccountId,
    to: AccountId,
    at_ms: i64,
    events: Events,
) -> rusqlite::Result<bool> {
    let deleted = tx.execute("DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2", params![from.0, to.0])?;
    if deleted == 0 {
        return Ok(false);
    }
    // A request the other way is answered by the friendship too.
    tx.execute("DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2", params![to.0, from.0])?;
    let mut stmt =
        tx.prepare_cached("INSERT OR IGNORE INTO contacts (account_id, contact_id, since_ms) VALUES (?1, ?2, ?3)")?;
    stmt.execute(params![from.0, to.0, at_ms])?;
    stmt.execute(params![to.0, from.0, at_ms])?;
    log_events(tx, events, at_ms)?;
    Ok(true)
}

pub(crate) fn delete_friend_request(
    tx: &Tx<'_>,
    from: AccountId,
    to: AccountId,
    at_ms: i64,
    events: Events,
) -> rusqlite::Result<bool> {
    let deleted = tx.execute("DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2", params![from.0, to.0])?;
    if deleted > 0 {
        log_events(tx, events, at_ms)?;
    }
    Ok(deleted > 0)
}

pub(crate) fn remove_contact(
    tx: &Tx<'_>,
    a: AccountId,
    b: AccountId,
    at_ms: i64,
    events: Events,
) -> rusqlite::Result<bool> {
    let deleted = tx.execute(
        "DELETE FROM contacts WHERE (account_id = ?1 AND contact_id = ?2) OR (account_id = ?2 AND contact_id = ?1)",
        params![a.0, b.0],
    )?;
    if deleted > 0 {
        log_events(tx, events, at_ms)?;
    }
    Ok(deleted > 0)
}

pub(crate) fn set_block(
    tx: &Tx<'_>,
    account: AccountId,
    blocked: AccountId,
    on: bool,
    at_ms: i64,
    events: Events,
) -> rusqlite::Result<bool> {
    let changed = if on {
        tx.execute(
            "INSERT OR IGNORE INTO blocks (account_id, blocked_id, at_ms) VALUES (?1, ?2, ?3)",
            params![account.0, blocked.0, at_ms],
        )?
    } else {
        tx.execute("DELETE FROM blocks WHERE account_id = ?1 AND blocked_id = ?2", params![account.0, blocked.0])?
    };
    if changed > 0 {
        log_events(tx, events, at_ms)?;
    }
    Ok(changed > 0)
}

fn accounts_where(conn: &Connection, join: &str, account: AccountId) -> rusqlite::Result<Vec<Account>> {
    let sql =
        format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id {join} ORDER BY a.name");
    conn.prepare_cached(&sql)?.query_map([account.0], account_from_row)?.collect()
}

pub(crate) fn contacts(conn: &Connection, account: AccountId) -> rusqlite::Result<Vec<Account>> {
    accounts_where(conn, "JOIN contacts c ON c.contact_id = a.id AND c.account_id = ?1", account)
}

pub(crate) fn blocked(conn: &Connection, account: AccountId) -> rusqlite::Result<Vec<Account>> {
    accounts_where(conn, "JOIN blocks b ON b.blocked_id = a.id AND b.account_id = ?1", account)
}

pub(crate) fn friend_requests(conn: &Connection, account: AccountId) -> rusqlite::Result<Vec<FriendRequest>> {
    let rows = conn
        .prepare_cached(
            "SELECT from_id, to_id, message, at_ms FROM friend_requests \
             WHERE from_id = ?1 OR (to_id = ?1 AND from_id NOT IN (SELECT blocked_id FROM blocks WHERE account_id = ?1)) \
             ORDER BY at_ms",
        )?
        .query_map([account.0], |r| {
            Ok((AccountId(r.get(0)?), AccountId(r.get(1)?), r.get::<_, Option<String>>(2)?, r.get::<_, i64>(3)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = vec![];
    for (from, to, message, at_ms) in rows {
        if let (Some(from), Some(to)) = (account_by_id(conn, from)?, account_by_id(conn, to)?) {
            out.push(FriendRequest { from, to, message, at_ms });
        }
    }
    Ok(out)
}

pub(crate) fn presence_audience(
    conn: &Connection,
    account: AccountId,
    group_members_max: usize,
) -> rusqlite::Result<Vec<AccountId>> {
    let max = i64::try_from(group_members_max).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "SELECT contact_id FROM contacts WHERE account_id = ?1 \
         UNION \
         SELECT other.account_id FROM members mine \
         JOIN conversations c ON c.id = mine.conversation_id \
         JOIN members other ON other.conversation_id = c.id \
         WHERE mine.account_id = ?1 AND mine.left_seq IS NULL AND other.left_seq IS NULL \
           AND other.account_id != ?1 AND c.dissolved_at_ms IS NULL \
           AND (c.kind = 'direct' OR c.member_count <= ?2) \
         EXCEPT \
         SELECT blocked_id FROM blocks WHERE account_id = ?1",
    )?
    .query_map(params![account.0, max], |r| r.get(0).map(AccountId))?
    .collect()
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn contact_state(&self, a: AccountId, b: AccountId) -> StoreResult<ContactState> {
        self.read(move |c| contact_state(c, a, b)).await
    }

    async fn put_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        message: Option<String>,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<()> {
        self.write(move |tx| put_friend_request(tx, from, to, message, at_ms, events)).await
    }

    async fn accept_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool> {
        self.write(move |tx| accept_friend_request(tx, from, to, at_ms, events)).await
    }

    async fn delete_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool> {
        self.write(move |tx| delete_friend_request(tx, from, to, at_ms, events)).await
    }

    async fn remove_contact(
        &self,
        a: AccountId,
        b: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool> {
        self.write(move |tx| remove_contact(tx, a, b, at_ms, events)).await
    }

    async fn set_block(
        &self,
        account: AccountId,
        blocked: AccountId,
        on: bool,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool> {
        self.write(move |tx| set_block(tx, account, blocked, on, at_ms, events)).await
    }

    async fn contacts(&self, account: AccountId) -> StoreResult<Vec<Account>> {
        self.read(move |c| contacts(c, account)).await
    }

    async fn friend_requests(&self, account: AccountId) -> StoreResult<Vec<FriendRequest>> {
        self.read(move |c| friend_requests(c, account)).await
    }

    async fn blocked(&self, account: AccountId) -> StoreResult<Vec<Account>> {
        self.read(move |c| blocked(c, account)).await
    }

    async fn presence_audience(&self, account: AccountId, group_members_max: usize) -> StoreResult<Vec<AccountId>> {
        self.read(move |c| presence_audience(c, account, group_members_max)).await
    }
}
