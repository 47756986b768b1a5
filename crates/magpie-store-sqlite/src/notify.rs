//! Each account's notification preferences (see [`magpie_core::notify`]): one JSON column whose
//! shape the core owns.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::chat::AccountEvent;
use magpie_core::digest::{DigestAudience, DigestItem, DueDigest};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs, Why};
use magpie_core::ports::NotifyStore;
use rusqlite::{OptionalExtension, params};

use crate::chat::{addr, corrupt, json_error, log_events, to_json};
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
            let digest_after = prefs.email_digest.then_some(prefs.digest_after_mins);
            tx.execute(
                "INSERT INTO notify_prefs (account_id, prefs, updated_at_ms, digest_after_mins) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET prefs = excluded.prefs, updated_at_ms = excluded.updated_at_ms, \
                   digest_after_mins = excluded.digest_after_mins",
                params![account.0, to_json(&prefs)?, at_ms, digest_after],
            )?;
            if digest_after.is_none() {
                tx.execute("DELETE FROM digest_items WHERE account_id = ?1", params![account.0])?;
            }
            log_events(tx, events, at_ms)
        })
        .await
    }

    async fn digest_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
    ) -> StoreResult<Vec<DigestAudience>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.account_id, a.name, d.name, m.read_seq, m.muted, m.unmute_at_ms, m.notify_level, p.prefs, \
                   EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id AND b.blocked_id = ?2) \
                 FROM members m \
                 JOIN notify_prefs p ON p.account_id = m.account_id AND p.digest_after_mins IS NOT NULL \
                 JOIN accounts a ON a.id = m.account_id AND a.disabled = 0 AND coalesce(a.email, '') <> '' \
                 JOIN domains d ON d.id = a.domain_id \
                 WHERE m.conversation_id = ?1 AND m.left_seq IS NULL AND m.account_id <> ?2",
            )?;
            stmt.query_map(params![conversation.0, sender.0], |r| {
                let muted: bool = r.get(4)?;
                let unmute_at_ms: Option<i64> = r.get(5)?;
                let level: Option<String> = r.get(6)?;
                let prefs: String = r.get(7)?;
                Ok(DigestAudience {
                    account: AccountId(r.get(0)?),
                    addr: addr(r, 1)?,
                    read_seq: Seq(r.get(3)?),
                    conversation: ConversationPrefs {
                        level: level.as_deref().and_then(Level::parse),
                        muted_until_ms: muted.then(|| unmute_at_ms.unwrap_or(i64::MAX)),
                    },
                    prefs: serde_json::from_str(&prefs).map_err(|e| json_error(7, e))?,
                    blocked_sender: r.get(8)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn add_digest_items(&self, items: &[DigestItem], per_account_max: usize) -> StoreResult<()> {
        let items = items.to_vec();
        let max = i64::try_from(per_account_max).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO digest_items (account_id, conversation_id, seq, why, at_ms, due_at_ms) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE (SELECT COUNT(*) FROM digest_items WHERE account_id = ?1) < ?7 \
                 ON CONFLICT (account_id, conversation_id, seq) DO NOTHING",
            )?;
            for i in &items {
                insert.execute(params![
                    i.account.0,
                    i.conversation.0,
                    i.seq.0,
                    i.why.as_str(),
                    i.at_ms,
                    i.due_at_ms,
                    max
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn claim_digests(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<DueDigest>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let accounts: Vec<i64> = tx
                .prepare_cached(
                    "SELECT DISTINCT account_id FROM digest_items WHERE due_at_ms <= ?1 AND leased_until_ms <= ?1 \
                     LIMIT ?2",
                )?
                .query_map(params![now_ms, limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::with_capacity(accounts.len());
            for account in accounts {
                let items = tx
                    .prepare_cached(
                        "UPDATE digest_items SET leased_until_ms = ?3 WHERE account_id = ?1 AND leased_until_ms <= ?2 \
                         RETURNING account_id, conversation_id, seq, why, at_ms, due_at_ms",
                    )?
                    .query_map(params![account, now_ms, now_ms.saturating_add(lease_ms)], |r| {
                        let why: String = r.get(3)?;
                        Ok(DigestItem {
                            account: AccountId(r.get(0)?),
                            conversation: ConversationId(r.get(1)?),
                            seq: Seq(r.get(2)?),
                            why: Why::parse(&why).ok_or_else(|| corrupt(3, "digest reason"))?,
                            at_ms: r.get(4)?,
                            due_at_ms: r.get(5)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut items = items;
                items.sort_by_key(|i| (i.at_ms, i.conversation.0, i.seq.0));
                out.push(DueDigest { account: AccountId(account), items });
            }
            Ok(out)
        })
        .await
    }

    async fn postpone_digest(&self, account: AccountId, until_ms: i64) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE digest_items SET due_at_ms = ?2, leased_until_ms = 0 WHERE account_id = ?1",
                params![account.0, until_ms],
            )
            .map(drop)
        })
        .await
    }

    async fn finish_digest(&self, account: AccountId, items: &[(ConversationId, Seq)]) -> StoreResult<()> {
        let items = items.to_vec();
        self.write(move |tx| {
            let mut delete = tx.prepare_cached(
                "DELETE FROM digest_items WHERE account_id = ?1 AND conversation_id = ?2 AND seq = ?3",
            )?;
            for (conversation, seq) in &items {
                delete.execute(params![account.0, conversation.0, seq.0])?;
            }
            Ok(())
        })
        .await
    }
}
