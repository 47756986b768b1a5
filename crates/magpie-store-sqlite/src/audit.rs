//! The audit log (see [`magpie_core::audit`]): appended to, read, never changed; and each
//! domain's forbidden words (see [`magpie_core::moderation`]).

use async_trait::async_trait;
use magpie_core::audit::{AuditActor, AuditFilter, AuditRecord, NewAuditRecord};
use magpie_core::model::{AccountId, DomainId, SessionId};
use magpie_core::moderation::{ModerationAction, ModerationRules};
use magpie_core::ports::{AuditStore, ModerationStore};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult, Tx};

const COLUMNS: &str = "a.id, a.at_ms, a.domain_id, d.name, a.actor_account_id, a.actor_name, a.actor_role, \
     a.actor_session_id, a.ip, a.action, a.target, a.before, a.after";

fn json_of(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(serde_json::Value::to_string)
}

fn json_from(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.get(col)?;
    text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt(col, "audit JSON"))).transpose()
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: row.get(0)?,
        domain_name: row.get(3)?,
        record: NewAuditRecord {
            at_ms: row.get(1)?,
            domain: row.get::<_, Option<i64>>(2)?.map(DomainId),
            actor: AuditActor {
                account: row.get::<_, Option<i64>>(4)?.map(AccountId),
                name: row.get(5)?,
                role: row.get(6)?,
                session: row.get::<_, Option<i64>>(7)?.map(SessionId),
            },
            ip: row.get(8)?,
            action: row.get(9)?,
            target: row.get(10)?,
            before: json_from(row, 11)?,
            after: json_from(row, 12)?,
        },
    })
}

fn append(tx: &Tx<'_>, r: &NewAuditRecord) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at_ms, domain_id, actor_account_id, actor_name, actor_role, actor_session_id, ip, \
         action, target, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        r.at_ms,
        r.domain.map(|d| d.0),
        r.actor.account.map(|a| a.0),
        r.actor.name,
        r.actor.role,
        r.actor.session.map(|s| s.0),
        r.ip,
        r.action,
        r.target,
        json_of(&r.before),
        json_of(&r.after),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// `text` as a `LIKE` pattern that matches it literally anywhere (`\` escapes).
pub(crate) fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn records(c: &Connection, f: &AuditFilter, limit: usize) -> rusqlite::Result<Vec<AuditRecord>> {
    // Each clause with its arguments, in the order of its `?`s.
    let mut clauses: Vec<(&str, Vec<Value>)> = Vec::new();
    if f.deployment_only {
        clauses.push(("a.domain_id IS NULL", vec![]));
    } else if let Some(d) = f.domain {
        clauses.push(("a.domain_id = ?", vec![Value::Integer(d.0)]));
    }
    // SQLite's LIKE ignores the case of ASCII letters only; lower() on both sides goes as far
    // as SQLite's lower() does.
    if let Some(actor) = &f.actor {
        clauses.push(("lower(a.actor_name) LIKE lower(?) ESCAPE '\\'", vec![Value::Text(contains(actor))]));
    }
    if let Some(action) = &f.action {
        let prefix = format!("{action}.");
        let chars = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
        clauses.push((
            "(a.action = ? OR substr(a.action, 1, ?) = ?)",
            vec![Value::Text(action.clone()), Value::Integer(chars), Value::Text(prefix)],
        ));
    }
    if let Some(target) = &f.target {
        clauses.push(("lower(a.target) LIKE lower(?) ESCAPE '\\'", vec![Value::Text(contains(target))]));
    }
    if let Some(since) = f.since_ms {
        clauses.push(("a.at_ms >= ?", vec![Value::Integer(since)]));
    }
    if let Some(until) = f.until_ms {
        clauses.push(("a.at_ms < ?", vec![Value::Integer(until)]));
    }
    let order = match (f.after_id, f.before_id) {
        (Some(after), _) => {
            clauses.push(("a.id > ?", vec![Value::Integer(after)]));
            "ASC"
        }
        (None, Some(before)) => {
            clauses.push(("a.id < ?", vec![Value::Integer(before)]));
            "DESC"
        }
        (None, None) => "DESC",
    };
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log a LEFT JOIN domains d ON d.id = a.domain_id");
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.iter().map(|(clause, _)| *clause).collect::<Vec<_>>().join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY a.id {order} LIMIT {}", i64::try_from(limit).unwrap_or(i64::MAX)));
    let args = clauses.into_iter().flat_map(|(_, args)| args);
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), from_row)?;
    rows.collect()
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, record: &NewAuditRecord) -> StoreResult<i64> {
        let record = record.clone();
        self.write(move |tx| append(tx, &record)).await
    }

    async fn audit_records(&self, filter: &AuditFilter, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        let filter = filter.clone();
        self.read(move |c| records(c, &filter, limit)).await
    }
}

fn rules_from(action: &str, words: &str) -> rusqlite::Result<ModerationRules> {
    Ok(ModerationRules {
        action: ModerationAction::parse(action).ok_or_else(|| corrupt(0, "moderation action"))?,
        words: serde_json::from_str(words).map_err(|_| corrupt(1, "moderation words"))?,
    })
}

#[async_trait]
impl ModerationStore for SqliteStore {
    async fn moderation_rules(&self, domain: DomainId) -> StoreResult<Option<ModerationRules>> {
        self.read(move |c| {
            let row = c
                .prepare_cached("SELECT action, words FROM moderation_rules WHERE domain_id = ?1")?
                .query_row([domain.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .optional()?;
            row.map(|(action, words)| rules_from(&action, &words)).transpose()
        })
        .await
    }

    async fn set_moderation_rules(&self, domain: DomainId, rules: &ModerationRules) -> StoreResult<()> {
        let (action, words) = (rules.action.as_str(), serde_json::to_string(&rules.words).unwrap_or_default());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO moderation_rules (domain_id, action, words) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (domain_id) DO UPDATE SET action = excluded.action, words = excluded.words",
                params![domain.0, action, words],
            )
            .map(drop)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use magpie_core::ports::LocalBus;

    use super::*;

    #[tokio::test]
    async fn the_table_refuses_to_change_or_remove_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("magpie.db"), 1, Arc::new(LocalBus::new(16))).unwrap();
        let record = NewAuditRecord {
            at_ms: 1,
            domain: None,
            actor: AuditActor { account: None, name: "root".into(), role: "operator".into(), session: None },
            ip: None,
            action: "domain.create".into(),
            target: "acme.example".into(),
            before: None,
            after: Some(serde_json::json!({ "name": "acme.example" })),
        };
        let id = store.append_audit(&record).await.unwrap();
        let edit = store.write(move |tx| tx.execute("UPDATE audit_log SET target = 'x' WHERE id = ?1", [id])).await;
        assert!(edit.unwrap_err().to_string().contains("append-only"));
        let delete = store.write(move |tx| tx.execute("DELETE FROM audit_log WHERE id = ?1", [id])).await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        let read = store.audit_records(&AuditFilter::default(), 10).await.unwrap();
        assert_eq!((read.len(), &read[0].record), (1, &record));
    }
}
