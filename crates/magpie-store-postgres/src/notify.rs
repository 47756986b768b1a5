//! Each account's notification preferences (see [`magpie_core::notify`]): one JSON column whose
//! shape the core owns.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::chat::AccountEvent;
use magpie_core::model::AccountId;
use magpie_core::notify::NotifyPrefs;
use magpie_core::ports::NotifyStore;

use crate::chat::log_events;
use crate::{PgStore, StoreResult, read, write_tx};

#[async_trait]
impl NotifyStore for PgStore {
    async fn notify_prefs(&self, account: AccountId) -> StoreResult<Option<NotifyPrefs>> {
        let json: Option<String> = read!(self, |c| {
            let row = c.query_opt("SELECT prefs FROM notify_prefs WHERE account_id = $1", &[&account.0]).await?;
            row.map(|r| r.try_get::<_, String>(0)).transpose()?
        })?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(format!("notify prefs: {e}"))))
            .transpose()
    }

    async fn put_notify_prefs(
        &self,
        account: AccountId,
        prefs: &NotifyPrefs,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(prefs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write_tx!(self, |tx| {
            tx.lock_accounts(crate::chat::accounts_of(&events)).await?;
            tx.c()
                .execute(
                    "INSERT INTO notify_prefs (account_id, prefs, updated_at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id) DO UPDATE SET prefs = excluded.prefs, updated_at_ms = excluded.updated_at_ms",
                    &[&account.0, &json, &at_ms],
                )
                .await?;
            log_events(tx, &events, at_ms).await?;
        })
    }
}
