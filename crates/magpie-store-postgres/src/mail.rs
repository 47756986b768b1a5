//! The mail outbox, mailed codes, accounts' mail language and domains' email rules (see
//! [`magpie_core::mail`]). Due mail is claimed with `FOR UPDATE SKIP LOCKED`, so nodes that
//! look at once claim different mails; a code is read `FOR UPDATE`, so that it is used once.

use async_trait::async_trait;
use magpie_core::mail::{CodeCheck, EmailCodeKey, NewEmailCode, OutgoingMail, QueuedMail};
use magpie_core::model::{AccountId, DomainId};
use magpie_core::ports::MailStore;

use crate::{PgResult, PgStore, StoreResult, read, write_tx};

#[async_trait]
impl MailStore for PgStore {
    async fn enqueue_mail(&self, mail: &OutgoingMail, now_ms: i64, outbox_len_max: usize) -> StoreResult<bool> {
        let max = i64::try_from(outbox_len_max).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let len: i64 = tx.c().query_one("SELECT COUNT(*) FROM mail_outbox", &[]).await?.try_get(0)?;
            if len >= max {
                false
            } else {
                tx.c()
                    .execute(
                        "INSERT INTO mail_outbox (to_addr, subject, body_text, body_html, created_at_ms, next_attempt_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $5)",
                        &[&mail.to, &mail.subject, &mail.text, &mail.html, &now_ms],
                    )
                    .await?;
                true
            }
        })
    }

    async fn claim_mail(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<QueuedMail>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let until = now_ms.saturating_add(lease_ms);
        write_tx!(self, |tx| {
            let rows = tx
                .c()
                .query(
                    "UPDATE mail_outbox SET claimed_until_ms = $3 WHERE id IN ( \
                       SELECT id FROM mail_outbox WHERE next_attempt_at_ms <= $1 AND claimed_until_ms <= $1 \
                       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, to_addr, subject, body_text, body_html, attempts, created_at_ms",
                    &[&now_ms, &limit, &until],
                )
                .await?;
            let mut mails = rows
                .iter()
                .map(|r| {
                    Ok(QueuedMail {
                        id: r.try_get(0)?,
                        mail: OutgoingMail {
                            to: r.try_get(1)?,
                            subject: r.try_get(2)?,
                            text: r.try_get(3)?,
                            html: r.try_get(4)?,
                        },
                        attempts: u32::try_from(r.try_get::<_, i64>(5)?).unwrap_or(u32::MAX),
                        created_at_ms: r.try_get(6)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?;
            mails.sort_by_key(|m| m.id);
            mails
        })
    }

    async fn delete_mail(&self, id: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM mail_outbox WHERE id = $1", &[&id]).await?;
        })
    }

    async fn mail_failed(&self, id: i64, next_attempt_at_ms: i64, error: &str) -> StoreResult<()> {
        let error: String = error.chars().take(1000).collect();
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at_ms = $2, claimed_until_ms = 0, \
                       last_error = $3 WHERE id = $1",
                    &[&id, &next_attempt_at_ms, &error],
                )
                .await?;
        })
    }

    async fn outbox_len(&self) -> StoreResult<u64> {
        read!(self, |c| {
            let n: i64 = c.query_one("SELECT COUNT(*) FROM mail_outbox", &[]).await?.try_get(0)?;
            u64::try_from(n).unwrap_or(0)
        })
    }

    async fn put_email_code(&self, code: &NewEmailCode) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO email_codes (domain_id, purpose, subject, code_hash, attempts, expires_at_ms, used_at_ms) \
                     VALUES ($1, $2, $3, $4, 0, $5, NULL) \
                     ON CONFLICT (domain_id, purpose, subject) DO UPDATE SET code_hash = excluded.code_hash, \
                       attempts = 0, expires_at_ms = excluded.expires_at_ms, used_at_ms = NULL",
                    &[
                        &code.key.domain.0,
                        &code.key.purpose.as_str(),
                        &code.key.subject,
                        &&code.code_hash[..],
                        &code.expires_at_ms,
                    ],
                )
                .await?;
        })
    }

    async fn use_email_code(
        &self,
        key: &EmailCodeKey,
        code_hash: [u8; 32],
        now_ms: i64,
        attempts_max: u32,
    ) -> StoreResult<CodeCheck> {
        let attempts_max = i64::from(attempts_max);
        write_tx!(self, |tx| {
            let live = tx
                .c()
                .query_opt(
                    "SELECT code_hash FROM email_codes WHERE domain_id = $1 AND purpose = $2 AND subject = $3 \
                       AND used_at_ms IS NULL AND expires_at_ms > $4 AND attempts < $5 FOR UPDATE",
                    &[&key.domain.0, &key.purpose.as_str(), &key.subject, &now_ms, &attempts_max],
                )
                .await?;
            match live {
                None => CodeCheck::Missing,
                Some(row) => {
                    let stored: Vec<u8> = row.try_get(0)?;
                    if stored == code_hash {
                        tx.c()
                            .execute(
                                "UPDATE email_codes SET used_at_ms = $4 \
                                 WHERE domain_id = $1 AND purpose = $2 AND subject = $3",
                                &[&key.domain.0, &key.purpose.as_str(), &key.subject, &now_ms],
                            )
                            .await?;
                        CodeCheck::Used
                    } else {
                        tx.c()
                            .execute(
                                "UPDATE email_codes SET attempts = attempts + 1 \
                                 WHERE domain_id = $1 AND purpose = $2 AND subject = $3",
                                &[&key.domain.0, &key.purpose.as_str(), &key.subject],
                            )
                            .await?;
                        CodeCheck::Wrong
                    }
                }
            }
        })
    }

    async fn restore_email_code(&self, key: &EmailCodeKey, code_hash: [u8; 32]) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE email_codes SET used_at_ms = NULL \
                     WHERE domain_id = $1 AND purpose = $2 AND subject = $3 AND code_hash = $4",
                    &[&key.domain.0, &key.purpose.as_str(), &key.subject, &&code_hash[..]],
                )
                .await?;
        })
    }

    async fn prune_email_codes(&self, before_ms: i64) -> StoreResult<u64> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM email_codes WHERE expires_at_ms < $1", &[&before_ms]).await?
        })
    }

    async fn set_locale(&self, account: AccountId, locale: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE accounts SET locale = $2 WHERE id = $1", &[&account.0, &locale]).await?;
        })
    }

    async fn locale(&self, account: AccountId) -> StoreResult<Option<String>> {
        read!(self, |c| {
            let row = c.query_opt("SELECT locale FROM accounts WHERE id = $1", &[&account.0]).await?;
            match row {
                Some(r) => r.try_get::<_, Option<String>>(0)?,
                None => None,
            }
        })
    }

    async fn set_signup_email(
        &self,
        domain: DomainId,
        verification: bool,
        email_domains: &[String],
    ) -> StoreResult<()> {
        let joined = email_domains.join("\n");
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE domains SET email_verification = $2, email_domains = $3 WHERE id = $1",
                    &[&domain.0, &verification, &joined],
                )
                .await?;
        })
    }
}
