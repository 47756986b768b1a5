//! Each account's notification preferences (see [`magpie_core::notify`]): one JSON column whose
//! shape the core owns.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::chat::AccountEvent;
use magpie_core::model::AccountId;
use magpie_core::notify::NotifyPrefs;
use magpie_core::ports::NotifyStore;
use rusqlite::{OptionalExtension, params};

use crate::chat::{log_events, to_json};
use crate::{SqliteStore, StoreResult};

#[async_trait]
impl NotifyStore for SqliteStore {
    async fn notify_prefs(&self, account: AccountId) -> StoreResult<Option<NotifyPrefs>> {
        let json: Option<String> = self
            .read(move |c| {
                c.prepare_cached("SELECT prefs FROM notify_prefs WHERE account_id = ?1")?
                    .query_row(params![account.0], |r| r.get(0))
                    .optional()
            })
            .await?;
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
        let prefs = prefs.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO notify_prefs (account_id, prefs, updated_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (account_id) DO UPDATE SET prefs = excluded.prefs, updated_at_ms = excluded.updated_at_ms",
                params![account.0, to_json(&prefs)?, at_ms],
            )?;
            log_events(tx, events, at_ms)
        })
        .await
    }
}
