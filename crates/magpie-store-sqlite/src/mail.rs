//! The mail outbox, mailed codes, accounts' mail language and domains' email rules (see
//! [`magpie_core::mail`]).

use async_trait::async_trait;
use magpie_core::mail::{CodeCheck, EmailCodeKey, NewEmailCode, OutgoingMail, QueuedMail};
use magpie_core::model::{AccountId, DomainId};
use magpie_core::ports::MailStore;
use rusqlite::{OptionalExtension, params};

use crate::{SqliteStore, StoreResult};

#[async_trait]
impl MailStore for SqliteStore {
    async fn enqueue_mail(&self, mail: &OutgoingMail, now_ms: i64, outbox_len_max: usize) -> StoreResult<bool> {
        let mail = mail.clone();
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let len: i64 = tx.query_row("SELECT COUNT(*) FROM mail_outbox", [], |r| r.get(0))?;
            if len >= max {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO mail_outbox (to_addr, subject, body_text, body_html, created_at_ms, next_attempt_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![mail.to, mail.subject, mail.text, mail.html, now_ms],
            )?;
            Ok(true)
        })
        .await
    }

    async fn claim_mail(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<QueuedMail>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
            tx.prepare(
                "UPDATE mail_outbox SET claimed_until_ms = ?2 WHERE id IN ( \
                   SELECT id FROM mail_outbox WHERE next_attempt_at_ms <= ?1 AND claimed_until_ms <= ?1 \
                   ORDER BY id LIMIT ?3) \
                 RETURNING id, to_addr, subject, body_text, body_html, attempts, created_at_ms",
            )?
            .query_map(params![now_ms, now_ms.saturating_add(lease_ms), limit], |r| {
                Ok(QueuedMail {
                    id: r.get(0)?,
                    mail: OutgoingMail { to: r.get(1)?, subject: r.get(2)?, text: r.get(3)?, html: r.get(4)? },
                    attempts: r.get(5)?,
                    created_at_ms: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map(|mut v| {
                v.sort_by_key(|m| m.id);
                v
            })
        })
        .await
    }

    async fn delete_mail(&self, id: i64) -> StoreResult<()> {
        self.write(move |tx| tx.execute("DELETE FROM mail_outbox WHERE id = ?1", params![id]).map(drop)).await
    }

    async fn mail_failed(&self, id: i64, next_attempt_at_ms: i64, error: &str) -> StoreResult<()> {
        let error: String = error.chars().take(1000).collect();
        self.write(move |tx| {
            tx.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at_ms = ?2, claimed_until_ms = 0, \
                   last_error = ?3 WHERE id = ?1",
                params![id, next_attempt_at_ms, error],
            )
            .map(drop)
        })
        .await
    }

    async fn outbox_len(&self) -> StoreResult<u64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM mail_outbox", [], |r| r.get(0))).await
    }

    async fn put_email_code(&self, code: &NewEmailCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO email_codes (domain_id, purpose, subject, code_hash, attempts, expires_at_ms, used_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, NULL) \
                 ON CONFLICT (domain_id, purpose, subject) DO UPDATE SET code_hash = excluded.code_hash, \
                   attempts = 0, expires_at_ms = excluded.expires_at_ms, used_at_ms = NULL",
                params![
                    code.key.domain.0,
                    code.key.purpose.as_str(),
                    code.key.subject,
                    &code.code_hash[..],
                    code.expires_at_ms
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn use_email_code(
        &self,
        key: &EmailCodeKey,
        code_hash: [u8; 32],
        now_ms: i64,
        attempts_max: u32,
    ) -> StoreResult<CodeCheck> {
        let key = key.clone();
        self.write(move |tx| {
            let live: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT code_hash FROM email_codes WHERE domain_id = ?1 AND purpose = ?2 AND subject = ?3 \
                       AND used_at_ms IS NULL AND expires_at_ms > ?4 AND attempts < ?5",
                    params![key.domain.0, key.purpose.as_str(), key.subject, now_ms, attempts_max],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(stored) = live else { return Ok(CodeCheck::Missing) };
            let right = stored == code_hash;
            let k = params![key.domain.0, key.purpose.as_str(), key.subject];
            if right {
                tx.execute(
                    "UPDATE email_codes SET used_at_ms = ?4 WHERE domain_id = ?1 AND purpose = ?2 AND subject = ?3",
                    params![key.domain.0, key.purpose.as_str(), key.subject, now_ms],
                )?;
            } else {
                tx.execute(
                    "UPDATE email_codes SET attempts = attempts + 1 \
                     WHERE domain_id = ?1 AND purpose = ?2 AND subject = ?3",
                    k,
                )?;
            }
            Ok(if right { CodeCheck::Used } else { CodeCheck::Wrong })
        })
        .await
    }

    async fn restore_email_code(&self, key: &EmailCodeKey, code_hash: [u8; 32]) -> StoreResult<()> {
        let key = key.clone();
        self.write(move |tx| {
            tx.execute(
                "UPDATE email_codes SET used_at_ms = NULL \
                 WHERE domain_id = ?1 AND purpose = ?2 AND subject = ?3 AND code_hash = ?4",
                params![key.domain.0, key.purpose.as_str(), key.subject, &code_hash[..]],
            )
            .map(drop)
        })
        .await
    }

    async fn prune_email_codes(&self, before_ms: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            tx.execute("DELETE FROM email_codes WHERE expires_at_ms < ?1", params![before_ms]).map(|n| n as u64)
        })
        .await
    }

    async fn set_locale(&self, account: AccountId, locale: &str) -> StoreResult<()> {
        let locale = locale.to_owned();
        self.write(move |tx| {
            tx.execute("UPDATE accounts SET locale = ?2 WHERE id = ?1", params![account.0, locale]).map(drop)
        })
        .await
    }

    async fn locale(&self, account: AccountId) -> StoreResult<Option<String>> {
        self.read(move |c| {
            c.prepare_cached("SELECT locale FROM accounts WHERE id = ?1")?
                .query_row(params![account.0], |r| r.get::<_, Option<String>>(0))
                .optional()
                .map(Option::flatten)
        })
        .await
    }

    async fn set_signup_email(
        &self,
        domain: DomainId,
        verification: bool,
        email_domains: &[String],
    ) -> StoreResult<()> {
        let joined = email_domains.join("\n");
        self.write(move |tx| {
            tx.execute(
                "UPDATE domains SET email_verification = ?2, email_domains = ?3 WHERE id = ?1",
                params![domain.0, verification, joined],
            )
            .map(drop)
        })
        .await
    }
}
