//! Each account's notification preferences (see [`magpie_core::notify`]): one JSON column whose
//! shape the core owns.

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::chat::AccountEvent;
use magpie_core::digest::{DigestAudience, DigestItem, DueDigest};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::notify::{ConversationPrefs, Level, NotifyPrefs, Why};
use magpie_core::ports::NotifyStore;

use crate::chat::{addr, json_error, log_events};
use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

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
        let digest_after: Option<i32> =
            prefs.email_digest.then(|| i32::try_from(prefs.digest_after_mins).unwrap_or(i32::MAX));
        write_tx!(self, |tx| {
            tx.lock_accounts(crate::chat::accounts_of(&events)).await?;
            tx.c()
                .execute(
                    "INSERT INTO notify_prefs (account_id, prefs, updated_at_ms, digest_after_mins) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id) DO UPDATE SET prefs = excluded.prefs, updated_at_ms = excluded.updated_at_ms, \
                       digest_after_mins = excluded.digest_after_mins",
                    &[&account.0, &json, &at_ms, &digest_after],
                )
                .await?;
            if digest_after.is_none() {
                tx.c().execute("DELETE FROM digest_items WHERE account_id = $1", &[&account.0]).await?;
            }
            log_events(tx, &events, at_ms).await?;
        })
    }

    async fn digest_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
    ) -> StoreResult<Vec<DigestAudience>> {
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT m.account_id, a.name, d.name, m.read_seq, m.muted, m.unmute_at_ms, m.notify_level, p.prefs, \
                       EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id AND b.blocked_id = $2) \
                     FROM members m \
                     JOIN notify_prefs p ON p.account_id = m.account_id AND p.digest_after_mins IS NOT NULL \
                     JOIN accounts a ON a.id = m.account_id AND NOT a.disabled AND coalesce(a.email, '') <> '' \
                     JOIN domains d ON d.id = a.domain_id \
                     WHERE m.conversation_id = $1 AND m.left_seq IS NULL AND m.account_id <> $2",
                    &[&conversation.0, &sender.0],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let muted: bool = r.try_get(4)?;
                    let unmute_at_ms: Option<i64> = r.try_get(5)?;
                    let level: Option<String> = r.try_get(6)?;
                    let prefs: String = r.try_get(7)?;
                    Ok(DigestAudience {
                        account: AccountId(r.try_get(0)?),
                        addr: addr(r, 1)?,
                        read_seq: Seq(r.try_get(3)?),
                        conversation: ConversationPrefs {
                            level: level.as_deref().and_then(Level::parse),
                            muted_until_ms: muted.then(|| unmute_at_ms.unwrap_or(i64::MAX)),
                        },
                        prefs: serde_json::from_str(&prefs).map_err(json_error)?,
                        blocked_sender: r.try_get(8)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn add_digest_items(&self, items: &[DigestItem], per_account_max: usize) -> StoreResult<()> {
        let accounts: Vec<i64> = items.iter().map(|i| i.account.0).collect();
        let conversations: Vec<i64> = items.iter().map(|i| i.conversation.0).collect();
        let seqs: Vec<i64> = items.iter().map(|i| i.seq.0).collect();
        let whys: Vec<&str> = items.iter().map(|i| i.why.as_str()).collect();
        let ats: Vec<i64> = items.iter().map(|i| i.at_ms).collect();
        let dues: Vec<i64> = items.iter().map(|i| i.due_at_ms).collect();
        let max = i64::try_from(per_account_max).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    // One statement sees the table as it was before it: the new items count
                    // against the bound by their place among the account's new ones.
                    "INSERT INTO digest_items (account_id, conversation_id, seq, why, at_ms, due_at_ms) \
                     SELECT n.a, n.c, n.s, n.w, n.t, n.d FROM ( \
                       SELECT i.*, row_number() OVER (PARTITION BY i.a ORDER BY i.o) AS k \
                       FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[]) \
                         WITH ORDINALITY AS i(a, c, s, w, t, d, o) \
                       WHERE NOT EXISTS (SELECT 1 FROM digest_items x \
                         WHERE x.account_id = i.a AND x.conversation_id = i.c AND x.seq = i.s)) n \
                     WHERE (SELECT COUNT(*) FROM digest_items x WHERE x.account_id = n.a) + n.k <= $7 \
                     ON CONFLICT (account_id, conversation_id, seq) DO NOTHING",
                    &[&accounts, &conversations, &seqs, &whys, &ats, &dues, &max],
                )
                .await?;
        })
    }

    async fn claim_digests(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<DueDigest>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now_ms.saturating_add(lease_ms);
        write_tx!(self, |tx| {
            // A row another pass claimed meanwhile is seen again once it commits, with its
            // lease: held, so not taken twice.
            let rows = tx
                .c()
                .query(
                    "WITH due AS (SELECT DISTINCT account_id FROM digest_items \
                       WHERE due_at_ms <= $1 AND leased_until_ms <= $1 LIMIT $2), \
                     claimed AS (UPDATE digest_items d SET leased_until_ms = $3 FROM due \
                       WHERE d.account_id = due.account_id AND d.leased_until_ms <= $1 \
                       RETURNING d.account_id, d.conversation_id, d.seq, d.why, d.at_ms, d.due_at_ms) \
                     SELECT * FROM claimed ORDER BY account_id, at_ms, conversation_id, seq",
                    &[&now_ms, &limit, &until],
                )
                .await?;
            let mut out: Vec<DueDigest> = Vec::new();
            for r in &rows {
                let why: String = r.try_get(3)?;
                let item = DigestItem {
                    account: AccountId(r.try_get(0)?),
                    conversation: ConversationId(r.try_get(1)?),
                    seq: Seq(r.try_get(2)?),
                    why: Why::parse(&why).ok_or_else(|| corrupt("digest reason"))?,
                    at_ms: r.try_get(4)?,
                    due_at_ms: r.try_get(5)?,
                };
                match out.last_mut() {
                    Some(last) if last.account == item.account => last.items.push(item),
                    _ => out.push(DueDigest { account: item.account, items: vec![item] }),
                }
            }
            out
        })
    }

    async fn postpone_digest(&self, account: AccountId, until_ms: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE digest_items SET due_at_ms = $2, leased_until_ms = 0 WHERE account_id = $1",
                    &[&account.0, &until_ms],
                )
                .await?;
        })
    }

    async fn finish_digest(&self, account: AccountId, items: &[(ConversationId, Seq)]) -> StoreResult<()> {
        let conversations: Vec<i64> = items.iter().map(|(c, _)| c.0).collect();
        let seqs: Vec<i64> = items.iter().map(|(_, s)| s.0).collect();
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "DELETE FROM digest_items WHERE account_id = $1 AND (conversation_id, seq) IN \
                       (SELECT * FROM unnest($2::bigint[], $3::bigint[]))",
                    &[&account.0, &conversations, &seqs],
                )
                .await?;
        })
    }
}
