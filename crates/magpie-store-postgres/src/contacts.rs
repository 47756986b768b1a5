//! Contacts, friend requests and blocks: SQL in, core types out.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::chat::AccountEvent;
use magpie_core::contacts::{ContactState, FriendRequest};
use magpie_core::model::{Account, AccountId};
use magpie_core::ports::ContactStore;

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::chat::{accounts_of, log_events};
use crate::{PgResult, PgStore, StoreResult, read, read_tx, write_tx};

type Events = Vec<(AccountId, AccountEvent)>;

pub(crate) async fn contact_state(c: &impl GenericClient, a: AccountId, b: AccountId) -> PgResult<ContactState> {
    // One statement: direct sends ask this on every message.
    let sql = "SELECT EXISTS (SELECT 1 FROM contacts WHERE account_id = $1 AND contact_id = $2), \
                EXISTS (SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2), \
                EXISTS (SELECT 1 FROM friend_requests WHERE from_id = $2 AND to_id = $1), \
                (SELECT at_ms FROM blocks WHERE account_id = $1 AND blocked_id = $2), \
                EXISTS (SELECT 1 FROM blocks WHERE account_id = $2 AND blocked_id = $1)";
    let r = c.query_one(&c.prepare_cached(sql).await?, &[&a.0, &b.0]).await?;
    let blocks_since_ms: Option<i64> = r.try_get(3)?;
    Ok(ContactState {
        contacts: r.try_get(0)?,
        requested: r.try_get(1)?,
        requested_by: r.try_get(2)?,
        blocks: blocks_since_ms.is_some(),
        blocks_since_ms,
        blocked_by: r.try_get(4)?,
    })
}

async fn accounts_where(c: &impl GenericClient, join: &str, account: AccountId) -> PgResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id {join} \
         ORDER BY a.name COLLATE \"C\""
    );
    let rows = c.query(&c.prepare_cached(&sql).await?, &[&account.0]).await?;
    rows.iter().map(|r| account_from_row(r, 0)).collect()
}

#[async_trait]
impl ContactStore for PgStore {
    async fn contact_state(&self, a: AccountId, b: AccountId) -> StoreResult<ContactState> {
        read!(self, |c| contact_state(c, a, b).await?)
    }

    async fn put_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        message: Option<String>,
        at_ms: i64,
        events: Events,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            tx.c()
                .execute(
                    "INSERT INTO friend_requests (from_id, to_id, message, at_ms) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message, at_ms = excluded.at_ms",
                    &[&from.0, &to.0, &message, &at_ms],
                )
                .await?;
            log_events(tx, &events, at_ms).await?;
        })
    }

    async fn accept_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Events,
    ) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            let c = tx.c();
            let deleted =
                c.execute("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2", &[&from.0, &to.0]).await?;
            if deleted == 0 {
                false
            } else {
                // A request the other way is answered by the friendship too.
                c.execute("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2", &[&to.0, &from.0]).await?;
                let insert = c
                    .prepare_cached(
                        "INSERT INTO contacts (account_id, contact_id, since_ms) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .await?;
                c.execute(&insert, &[&from.0, &to.0, &at_ms]).await?;
                c.execute(&insert, &[&to.0, &from.0, &at_ms]).await?;
                log_events(tx, &events, at_ms).await?;
                true
            }
        })
    }

    async fn delete_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Events,
    ) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            let deleted = tx
                .c()
                .execute("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2", &[&from.0, &to.0])
                .await?;
            if deleted > 0 {
                log_events(tx, &events, at_ms).await?;
            }
            deleted > 0
        })
    }

    async fn remove_contact(&self, a: AccountId, b: AccountId, at_ms: i64, events: Events) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            let deleted = tx
                .c()
                .execute(
                    "DELETE FROM contacts WHERE (account_id = $1 AND contact_id = $2) \
                     OR (account_id = $2 AND contact_id = $1)",
                    &[&a.0, &b.0],
                )
                .await?;
            if deleted > 0 {
                log_events(tx, &events, at_ms).await?;
            }
            deleted > 0
        })
    }

    async fn set_block(
        &self,
        account: AccountId,
        blocked: AccountId,
        on: bool,
        at_ms: i64,
        events: Events,
    ) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            let changed = if on {
                tx.c()
                    .execute(
                        "INSERT INTO blocks (account_id, blocked_id, at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[&account.0, &blocked.0, &at_ms],
                    )
                    .await?
            } else {
                tx.c()
                    .execute("DELETE FROM blocks WHERE account_id = $1 AND blocked_id = $2", &[&account.0, &blocked.0])
                    .await?
            };
            if changed > 0 {
                log_events(tx, &events, at_ms).await?;
            }
            changed > 0
        })
    }

    async fn contacts(&self, account: AccountId) -> StoreResult<Vec<Account>> {
        read!(self, |c| accounts_where(c, "JOIN contacts c ON c.contact_id = a.id AND c.account_id = $1", account)
            .await?)
    }

    async fn friend_requests(&self, account: AccountId) -> StoreResult<Vec<FriendRequest>> {
        let sql = format!(
            "SELECT r.message, r.at_ms, {ACCOUNT_COLUMNS}, {to_columns} FROM friend_requests r \
             JOIN accounts a ON a.id = r.from_id JOIN domains d ON d.id = a.domain_id \
             JOIN accounts t ON t.id = r.to_id JOIN domains td ON td.id = t.domain_id \
             WHERE r.from_id = $1 OR (r.to_id = $1 AND r.from_id NOT IN \
                 (SELECT blocked_id FROM blocks WHERE account_id = $1)) \
             ORDER BY r.at_ms",
            to_columns = ACCOUNT_COLUMNS.replace("a.", "t.").replace("d.", "td."),
        );
        read_tx!(self, |c| {
            let rows = c.query(&sql, &[&account.0]).await?;
            rows.iter()
                .map(|r| {
                    Ok(FriendRequest {
                        message: r.try_get(0)?,
                        at_ms: r.try_get(1)?,
                        from: account_from_row(r, 2)?,
                        to: account_from_row(r, 2 + crate::accounts::ACCOUNT_COLUMN_COUNT)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn blocked(&self, account: AccountId) -> StoreResult<Vec<Account>> {
        read!(self, |c| accounts_where(c, "JOIN blocks b ON b.blocked_id = a.id AND b.account_id = $1", account)
            .await?)
    }

    async fn presence_audience(&self, account: AccountId, group_members_max: usize) -> StoreResult<Vec<AccountId>> {
        let max = i64::try_from(group_members_max).unwrap_or(i64::MAX);
        read!(self, |c| {
            let sql = "SELECT contact_id FROM contacts WHERE account_id = $1 \
                 UNION \
                 SELECT other.account_id FROM members mine \
                 JOIN conversations c ON c.id = mine.conversation_id \
                 JOIN members other ON other.conversation_id = c.id \
                 WHERE mine.account_id = $1 AND mine.left_seq IS NULL AND other.left_seq IS NULL \
                   AND other.account_id != $1 AND c.dissolved_at_ms IS NULL \
                   AND (c.kind = 'direct' OR c.member_count <= $2) \
                 EXCEPT \
                 SELECT blocked_id FROM blocks WHERE account_id = $1";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &max]).await?;
            rows.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<Vec<_>, _>>()?
        })
    }
}
