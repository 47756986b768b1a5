//! The audit log: records appended in id order, and read back through a filter built of
//! parameters (never of the filter's text).

use async_trait::async_trait;
use magpie_core::audit::{AuditActor, AuditFilter, AuditRecord, NewAuditRecord};
use magpie_core::model::{AccountId, DomainId, SessionId};
use magpie_core::moderation::{ModerationAction, ModerationRules};
use magpie_core::ports::{AuditStore, ModerationStore};
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::chat::{json_error, to_json};
use crate::{PgError, PgResult, PgStore, StoreResult, read, write_tx};

/// The advisory lock every append takes: appends commit one at a time, so that ids commit in
/// order and a reader that has seen a record never later finds one with a smaller id (an
/// export paging with `after_id` would skip it). A sequence alone hands out ids in the order
/// the appends ask, not the order they commit. No conversation (a positive id) and no account
/// (the negative of a positive id) ever locks `i64::MIN` (see `Tx::advisory_locks`).
const AUDIT_APPEND_LOCK: i64 = i64::MIN;

const AUDIT_COLUMNS: &str = "a.id, a.at_ms, a.domain_id, d.name, a.actor_account_id, a.actor_name, a.actor_role, \
                             a.actor_session_id, a.ip, a.action, a.target, a.\"before\", a.\"after\"";

fn json(row: &Row, col: usize) -> PgResult<Option<Value>> {
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| serde_json::from_str(&t)).transpose().map_err(json_error)
}

fn record_from_row(r: &Row) -> PgResult<AuditRecord> {
    Ok(AuditRecord {
        id: r.try_get(0)?,
        domain_name: r.try_get(3)?,
        record: NewAuditRecord {
            at_ms: r.try_get(1)?,
            domain: r.try_get::<_, Option<i64>>(2)?.map(DomainId),
            actor: AuditActor {
                account: r.try_get::<_, Option<i64>>(4)?.map(AccountId),
                name: r.try_get(5)?,
                role: r.try_get(6)?,
                session: r.try_get::<_, Option<i64>>(7)?.map(SessionId),
            },
            ip: r.try_get(8)?,
            action: r.try_get(9)?,
            target: r.try_get(10)?,
            before: json(r, 11)?,
            after: json(r, 12)?,
        },
    })
}

/// An `ILIKE … ESCAPE '\'` pattern that matches text containing `text`, its wildcards (`%`,
/// `_`) and escape character taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The conditions of a read, with the parameters they refer to by number.
#[derive(Default)]
struct Conditions<'a> {
    sql: Vec<String>,
    params: Vec<&'a (dyn ToSql + Sync)>,
}

impl<'a> Conditions<'a> {
    /// Binds `value` as the next parameter; returns its placeholder.
    fn bind(&mut self, value: &'a (dyn ToSql + Sync)) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    /// Adds the condition that `condition` writes around the placeholder of `value`.
    fn and(&mut self, value: &'a (dyn ToSql + Sync), condition: impl FnOnce(&str) -> String) {
        let placeholder = self.bind(value);
        self.sql.push(condition(&placeholder));
    }

    fn clause(&self) -> String {
        if self.sql.is_empty() { String::new() } else { format!("WHERE {}", self.sql.join(" AND ")) }
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, record: &NewAuditRecord) -> StoreResult<i64> {
        let encoded = |v: &Option<Value>| v.as_ref().map(to_json).transpose().map_err(PgError::into_store);
        let (before, after) = (encoded(&record.before)?, encoded(&record.after)?);
        let domain = record.domain.map(|d| d.0);
        let account = record.actor.account.map(|a| a.0);
        let session = record.actor.session.map(|s| s.0);
        let id: i64 = write_tx!(self, |tx| {
            let c = tx.c();
            c.query(&c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?, &[&AUDIT_APPEND_LOCK]).await?;
            let sql = "INSERT INTO audit_log (at_ms, domain_id, actor_account_id, actor_name, actor_role, \
                       actor_session_id, ip, action, target, \"before\", \"after\") \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
            let row = c
                .query_one(
                    &c.prepare_cached(sql).await?,
                    &[
                        &record.at_ms,
                        &domain,
                        &account,
                        &record.actor.name,
                        &record.actor.role,
                        &session,
                        &record.ip,
                        &record.action,
                        &record.target,
                        &before,
                        &after,
                    ],
                )
                .await?;
            row.try_get(0)?
        })?;
        Ok(id)
    }

    async fn audit_records(&self, filter: &AuditFilter, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        let texts = [&filter.actor, &filter.action, &filter.target];
        if texts.iter().any(|t| t.as_deref().is_some_and(|t| t.contains('\0'))) {
            // PostgreSQL's text holds no NUL, so no record contains one (and binding one fails).
            return Ok(vec![]);
        }
        let domain = filter.domain.map(|d| d.0);
        let actor = filter.actor.as_deref().map(contains_pattern);
        let target = filter.target.as_deref().map(contains_pattern);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut w = Conditions::default();
        if filter.deployment_only {
            w.sql.push("a.domain_id IS NULL".to_owned());
        } else if let Some(domain) = &domain {
            w.and(domain, |p| format!("a.domain_id = {p}"));
        }
        if let Some(actor) = &actor {
            w.and(actor, |p| format!("a.actor_name ILIKE {p} ESCAPE '\\'"));
        }
        if let Some(action) = &filter.action {
            // The action itself, or one below it: `account` is `account` and `account.*`.
            w.and(action, |p| format!("(a.action = {p} OR starts_with(a.action, {p} || '.'))"));
        }
        if let Some(target) = &target {
            w.and(target, |p| format!("a.target ILIKE {p} ESCAPE '\\'"));
        }
        if let Some(since) = &filter.since_ms {
            w.and(since, |p| format!("a.at_ms >= {p}"));
        }
        if let Some(until) = &filter.until_ms {
            w.and(until, |p| format!("a.at_ms < {p}"));
        }
        let ascending = match (&filter.after_id, &filter.before_id) {
            (Some(after), _) => {
                w.and(after, |p| format!("a.id > {p}"));
                true
            }
            (None, Some(before)) => {
                w.and(before, |p| format!("a.id < {p}"));
                false
            }
            (None, None) => false,
        };
        let order = if ascending { "ASC" } else { "DESC" };
        let limit_param = w.bind(&limit);
        // The SQL varies only with which filters are set (a few hundred shapes at most), so
        // each shape is prepared once per connection.
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log a LEFT JOIN domains d ON d.id = a.domain_id {} \
             ORDER BY a.id {order} LIMIT {limit_param}",
            w.clause()
        );
        let records = read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &w.params).await?;
            rows.iter().map(record_from_row).collect::<PgResult<Vec<_>>>()?
        })?;
        debug_assert!(
            records.windows(2).all(|p| if ascending { p[0].id < p[1].id } else { p[0].id > p[1].id }),
            "audit records out of order"
        );
        Ok(records)
    }
}

#[async_trait]
impl ModerationStore for PgStore {
    async fn moderation_rules(&self, domain: DomainId) -> StoreResult<Option<ModerationRules>> {
        read!(self, |c| {
            let row =
                c.query_opt("SELECT action, words FROM moderation_rules WHERE domain_id = $1", &[&domain.0]).await?;
            match row {
                None => None,
                Some(row) => {
                    let (action, words): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                    Some(ModerationRules {
                        action: ModerationAction::parse(&action).ok_or_else(|| crate::corrupt("moderation action"))?,
                        words: serde_json::from_str(&words).map_err(|_| crate::corrupt("moderation words"))?,
                    })
                }
            }
        })
    }

    async fn set_moderation_rules(&self, domain: DomainId, rules: &ModerationRules) -> StoreResult<()> {
        let (action, words) = (rules.action.as_str(), serde_json::to_string(&rules.words).unwrap_or_default());
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO moderation_rules (domain_id, action, words) VALUES ($1, $2, $3) \
                     ON CONFLICT (domain_id) DO UPDATE SET action = excluded.action, words = excluded.words",
                    &[&domain.0, &action, &words],
                )
                .await?;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("bob"), "%bob%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
