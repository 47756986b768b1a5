//! Each domain's directory source and the accounts that came from it (see
//! [`magpie_core::ldap`]). The source's settings are one JSON column: the core owns their shape.
//! A scheduled sync is claimed with `FOR UPDATE SKIP LOCKED`, so nodes that look at once claim
//! different domains, and each domain on one node only.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::ldap::{LdapGroupLink, LdapLink, LdapSource, SyncState};
use magpie_core::model::{AccountId, ConversationId, DomainId};
use magpie_core::ports::LdapStore;
use tokio_postgres::Row;

use crate::{PgResult, PgStore, StoreResult, read, write_tx};

const LINK_COLUMNS: &str = "account_id, domain_id, entry_key, dn";

fn link_from_row(row: &Row) -> PgResult<LdapLink> {
    Ok(LdapLink {
        account: AccountId(row.try_get(0)?),
        domain_id: DomainId(row.try_get(1)?),
        key: row.try_get(2)?,
        dn: row.try_get(3)?,
    })
}

#[async_trait]
impl LdapStore for PgStore {
    async fn ldap_source(&self, domain: DomainId) -> StoreResult<Option<LdapSource>> {
        let config: Option<String> = read!(self, |c| {
            let row = c.query_opt("SELECT config FROM ldap_sources WHERE domain_id = $1", &[&domain.0]).await?;
            row.map(|r| r.try_get::<_, String>(0)).transpose()?
        })?;
        config
            .map(|c| serde_json::from_str(&c).map_err(|e| StoreError::Corrupt(format!("ldap source: {e}"))))
            .transpose()
    }

    async fn put_ldap_source(
        &self,
        domain: DomainId,
        source: &LdapSource,
        next_sync_at_ms: Option<i64>,
    ) -> StoreResult<()> {
        let config = serde_json::to_string(source).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO ldap_sources (domain_id, config, next_sync_at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (domain_id) DO UPDATE SET config = excluded.config, \
                     next_sync_at_ms = excluded.next_sync_at_ms",
                    &[&domain.0, &config, &next_sync_at_ms],
                )
                .await?;
        })
    }

    async fn delete_ldap_source(&self, domain: DomainId) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM ldap_sync_state WHERE domain_id = $1", &[&domain.0]).await?;
            tx.c().execute("DELETE FROM ldap_sources WHERE domain_id = $1", &[&domain.0]).await? == 1
        })
    }

    async fn ldap_links(&self, domain: DomainId) -> StoreResult<Vec<LdapLink>> {
        read!(self, |c| {
            let sql = format!("SELECT {LINK_COLUMNS} FROM ldap_accounts WHERE domain_id = $1 ORDER BY account_id");
            let rows = c.query(&sql, &[&domain.0]).await?;
            rows.iter().map(link_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn ldap_link_of(&self, account: AccountId) -> StoreResult<Option<LdapLink>> {
        read!(self, |c| {
            let sql = format!("SELECT {LINK_COLUMNS} FROM ldap_accounts WHERE account_id = $1");
            let row = c.query_opt(&sql, &[&account.0]).await?;
            row.as_ref().map(link_from_row).transpose()?
        })
    }

    async fn put_ldap_link(&self, link: &LdapLink) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let c = tx.c();
            // The entry's key follows the newest account linked to it.
            c.execute(
                "DELETE FROM ldap_accounts WHERE domain_id = $1 AND entry_key = $2 AND account_id <> $3",
                &[&link.domain_id.0, &link.key, &link.account.0],
            )
            .await?;
            c.execute(
                "INSERT INTO ldap_accounts (account_id, domain_id, entry_key, dn) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id) DO UPDATE SET domain_id = excluded.domain_id, \
                 entry_key = excluded.entry_key, dn = excluded.dn",
                &[&link.account.0, &link.domain_id.0, &link.key, &link.dn],
            )
            .await?;
        })
    }

    async fn claim_ldap_syncs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<DomainId>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now_ms.saturating_add(lease_ms);
        write_tx!(self, |tx| {
            let rows = tx
                .c()
                .query(
                    "UPDATE ldap_sources SET next_sync_at_ms = $3 WHERE domain_id IN ( \
                       SELECT domain_id FROM ldap_sources WHERE next_sync_at_ms <= $1 \
                       ORDER BY next_sync_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING domain_id",
                    &[&now_ms, &limit, &until],
                )
                .await?;
            rows.iter().map(|r| Ok(DomainId(r.try_get(0)?))).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn set_ldap_next_sync(&self, domain: DomainId, at_ms: Option<i64>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute("UPDATE ldap_sources SET next_sync_at_ms = $2 WHERE domain_id = $1", &[&domain.0, &at_ms])
                .await?;
        })
    }

    async fn ldap_groups(&self, domain: DomainId) -> StoreResult<Vec<LdapGroupLink>> {
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT domain_id, entry_key, conversation_id, dn FROM ldap_groups WHERE domain_id = $1 \
                     ORDER BY entry_key COLLATE \"C\"",
                    &[&domain.0],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(LdapGroupLink {
                        domain_id: DomainId(r.try_get(0)?),
                        key: r.try_get(1)?,
                        conversation: ConversationId(r.try_get(2)?),
                        dn: r.try_get(3)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn put_ldap_group(&self, link: &LdapGroupLink) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO ldap_groups (domain_id, entry_key, conversation_id, dn) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (domain_id, entry_key) DO UPDATE SET conversation_id = excluded.conversation_id, \
                     dn = excluded.dn",
                    &[&link.domain_id.0, &link.key, &link.conversation.0, &link.dn],
                )
                .await?;
        })
    }

    async fn delete_ldap_group(&self, domain: DomainId, key: &str) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c()
                .execute("DELETE FROM ldap_groups WHERE domain_id = $1 AND entry_key = $2", &[&domain.0, &key])
                .await?
                == 1
        })
    }

    async fn ldap_sync_state(&self, domain: DomainId) -> StoreResult<Option<SyncState>> {
        let state: Option<String> = read!(self, |c| {
            let row = c.query_opt("SELECT state FROM ldap_sync_state WHERE domain_id = $1", &[&domain.0]).await?;
            row.map(|r| r.try_get::<_, String>(0)).transpose()?
        })?;
        state
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("ldap sync state: {e}"))))
            .transpose()
    }

    async fn put_ldap_sync_state(&self, domain: DomainId, state: &SyncState) -> StoreResult<()> {
        let state = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO ldap_sync_state (domain_id, state) VALUES ($1, $2) \
                     ON CONFLICT (domain_id) DO UPDATE SET state = excluded.state",
                    &[&domain.0, &state],
                )
                .await?;
        })
    }
}
