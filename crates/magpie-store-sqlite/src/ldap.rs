//! Each domain's directory source and the accounts that came from it (see
//! [`magpie_core::ldap`]). The source's settings are one JSON column: the core owns their shape.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::ldap::{LdapGroupLink, LdapLink, LdapSource, SyncState};
use magpie_core::model::{AccountId, ConversationId, DomainId};
use magpie_core::ports::LdapStore;
use rusqlite::{OptionalExtension, Row, params};

use crate::{SqliteStore, StoreResult};

fn link_from_row(row: &Row<'_>) -> rusqlite::Result<LdapLink> {
    Ok(LdapLink {
        account: AccountId(row.get(0)?),
        domain_id: DomainId(row.get(1)?),
        key: row.get(2)?,
        dn: row.get(3)?,
    })
}

const LINK_COLUMNS: &str = "account_id, domain_id, entry_key, dn";

#[async_trait]
impl LdapStore for SqliteStore {
    async fn ldap_source(&self, domain: DomainId) -> StoreResult<Option<LdapSource>> {
        let config: Option<String> = self
            .read(move |c| {
                c.prepare_cached("SELECT config FROM ldap_sources WHERE domain_id = ?1")?
                    .query_row(params![domain.0], |r| r.get(0))
                    .optional()
            })
            .await?;
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
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO ldap_sources (domain_id, config, next_sync_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (domain_id) DO UPDATE SET config = excluded.config, \
                 next_sync_at_ms = excluded.next_sync_at_ms",
                params![domain.0, config, next_sync_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_ldap_source(&self, domain: DomainId) -> StoreResult<bool> {
        self.write(move |tx| {
            tx.execute("DELETE FROM ldap_sync_state WHERE domain_id = ?1", params![domain.0])?;
            Ok(tx.execute("DELETE FROM ldap_sources WHERE domain_id = ?1", params![domain.0])? == 1)
        })
        .await
    }

    async fn ldap_links(&self, domain: DomainId) -> StoreResult<Vec<LdapLink>> {
        self.read(move |c| {
            let sql = format!("SELECT {LINK_COLUMNS} FROM ldap_accounts WHERE domain_id = ?1 ORDER BY account_id");
            c.prepare_cached(&sql)?.query_map(params![domain.0], link_from_row)?.collect()
        })
        .await
    }

    async fn ldap_link_of(&self, account: AccountId) -> StoreResult<Option<LdapLink>> {
        self.read(move |c| {
            let sql = format!("SELECT {LINK_COLUMNS} FROM ldap_accounts WHERE account_id = ?1");
            c.prepare_cached(&sql)?.query_row(params![account.0], link_from_row).optional()
        })
        .await
    }

    async fn put_ldap_link(&self, link: &LdapLink) -> StoreResult<()> {
        let link = link.clone();
        self.write(move |tx| {
            // The entry's key follows the newest account linked to it.
            tx.execute(
                "DELETE FROM ldap_accounts WHERE domain_id = ?1 AND entry_key = ?2 AND account_id <> ?3",
                params![link.domain_id.0, link.key, link.account.0],
            )?;
            tx.execute(
                "INSERT INTO ldap_accounts (account_id, domain_id, entry_key, dn) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET domain_id = excluded.domain_id, \
                 entry_key = excluded.entry_key, dn = excluded.dn",
                params![link.account.0, link.domain_id.0, link.key, link.dn],
            )?;
            Ok(())
        })
        .await
    }

    async fn claim_ldap_syncs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<DomainId>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
            // One writer: the read and the update see the same rows.
            let due: Vec<i64> = tx
                .prepare_cached(
                    "SELECT domain_id FROM ldap_sources WHERE next_sync_at_ms <= ?1 \
                     ORDER BY next_sync_at_ms LIMIT ?2",
                )?
                .query_map(params![now_ms, limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for domain in &due {
                tx.execute(
                    "UPDATE ldap_sources SET next_sync_at_ms = ?2 WHERE domain_id = ?1",
                    params![domain, now_ms.saturating_add(lease_ms)],
                )?;
            }
            Ok(due.into_iter().map(DomainId).collect())
        })
        .await
    }

    async fn set_ldap_next_sync(&self, domain: DomainId, at_ms: Option<i64>) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE ldap_sources SET next_sync_at_ms = ?2 WHERE domain_id = ?1", params![domain.0, at_ms])?;
            Ok(())
        })
        .await
    }

    async fn ldap_groups(&self, domain: DomainId) -> StoreResult<Vec<LdapGroupLink>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT domain_id, entry_key, conversation_id, dn FROM ldap_groups WHERE domain_id = ?1 \
                 ORDER BY entry_key",
            )?
            .query_map(params![domain.0], |r| {
                Ok(LdapGroupLink {
                    domain_id: DomainId(r.get(0)?),
                    key: r.get(1)?,
                    conversation: ConversationId(r.get(2)?),
                    dn: r.get(3)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn put_ldap_group(&self, link: &LdapGroupLink) -> StoreResult<()> {
        let link = link.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO ldap_groups (domain_id, entry_key, conversation_id, dn) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (domain_id, entry_key) DO UPDATE SET conversation_id = excluded.conversation_id, \
                 dn = excluded.dn",
                params![link.domain_id.0, link.key, link.conversation.0, link.dn],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_ldap_group(&self, domain: DomainId, key: &str) -> StoreResult<bool> {
        let key = key.to_owned();
        self.write(move |tx| {
            Ok(tx.execute("DELETE FROM ldap_groups WHERE domain_id = ?1 AND entry_key = ?2", params![domain.0, key])?
                == 1)
        })
        .await
    }

    async fn ldap_sync_state(&self, domain: DomainId) -> StoreResult<Option<SyncState>> {
        let state: Option<String> = self
            .read(move |c| {
                c.prepare_cached("SELECT state FROM ldap_sync_state WHERE domain_id = ?1")?
                    .query_row(params![domain.0], |r| r.get(0))
                    .optional()
            })
            .await?;
        state
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("ldap sync state: {e}"))))
            .transpose()
    }

    async fn put_ldap_sync_state(&self, domain: DomainId, state: &SyncState) -> StoreResult<()> {
        let state = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO ldap_sync_state (domain_id, state) VALUES (?1, ?2) \
                 ON CONFLICT (domain_id) DO UPDATE SET state = excluded.state",
                params![domain.0, state],
            )?;
            Ok(())
        })
        .await
    }
}
