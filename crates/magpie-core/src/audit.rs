//! The audit log: who did which administrative action, when, from where, to what, and how the
//! thing acted on was before and after. Every administrative change the core makes (whether
//! asked for by the console, the REST API or the `magpie admin` command line) appends one
//! record once it has committed and before it answers; nothing updates or deletes a record.
//!
//! Server administrators read the whole log; a domain's administrators read the records of
//! their own domain (not the deployment-wide ones, such as a new domain); members read nothing.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::model::{AccountId, Actor, DomainId, Role, SessionId};
use crate::names::DomainName;
use crate::ports::AuditStore;
use crate::{Deps, Error, Result};

/// Records one page of [`Audit::list`] holds at most.
pub const AUDIT_PAGE_LEN_MAX: usize = 200;
/// Records one read of the store holds while an export pages through the log.
pub const AUDIT_EXPORT_PAGE_LEN: usize = 1_000;
/// Characters of a filter's text (actor, action, target) the store is asked to match.
pub const AUDIT_FILTER_CHARS_MAX: usize = 200;

/// Who acted, as the record keeps it: the name and role at that moment, so that renaming,
/// demoting or deleting the account later does not rewrite history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditActor {
    /// The account that acted; `None` for the operator at the server's command line.
    pub account: Option<AccountId>,
    /// The account's address, or the operating-system user that ran `magpie admin`.
    pub name: String,
    /// `server_admin`, `domain_admin`, `member` or `operator`.
    pub role: String,
    /// The session the request came with (none for the command line).
    pub session: Option<SessionId>,
}

/// A record about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditRecord {
    pub at_ms: i64,
    /// The domain the action was in; `None` for deployment-wide actions (a new domain).
    pub domain: Option<DomainId>,
    pub actor: AuditActor,
    /// The address the request came from, as the transport saw it.
    pub ip: Option<String>,
    /// A stable name: `account.create`, `account.disable`, `domain.registration`, ….
    pub action: String,
    /// What was acted on, for people: an address, a domain, `department 7 (Sales)`.
    pub target: String,
    /// The fields the action changed, as they were (`None`: the thing did not exist).
    pub before: Option<Value>,
    /// The fields the action changed, as they are now (`None`: the thing is gone).
    pub after: Option<Value>,
}

/// A record of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Increases with each record: the log's order.
    pub id: i64,
    /// The name of [`NewAuditRecord::domain`], if the record has one.
    pub domain_name: Option<String>,
    pub record: NewAuditRecord,
}

/// Which records to read. Every field narrows; none reads all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub domain: Option<DomainId>,
    /// Only deployment-wide records (no domain); wins over `domain`.
    pub deployment_only: bool,
    /// Records of actors whose name contains this (case-insensitively).
    pub actor: Option<String>,
    /// Records whose action is this, or starts with it followed by `.` (`account` matches
    /// `account.disable`).
    pub action: Option<String>,
    /// Records whose target contains this (case-insensitively).
    pub target: Option<String>,
    /// At or after this moment.
    pub since_ms: Option<i64>,
    /// Before this moment.
    pub until_ms: Option<i64>,
    /// Newest first, older than this record ([`Audit::list`]'s paging).
    pub before_id: Option<i64>,
    /// Oldest first, newer than this record (an export's paging); wins over `before_id`.
    pub after_id: Option<i64>,
}

/// What an action did, for its record.
pub(crate) struct Change {
    pub action: &'static str,
    pub domain: Option<DomainId>,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn new(action: &'static str, domain: Option<DomainId>, target: impl Into<String>) -> Change {
        Change { action, domain, target: target.into(), before: None, after: None }
    }

    pub fn before(mut self, before: Value) -> Change {
        self.before = Some(before);
        self
    }

    pub fn after(mut self, after: Value) -> Change {
        self.after = Some(after);
        self
    }
}

impl Deps {
    /// Appends the record of an administrative action that has committed. Also written to the
    /// log (target `magpie::audit`), so that a record the store could not take is not lost
    /// without a trace: the action stands either way, and its caller is answered as done.
    pub(crate) async fn audit(&self, actor: Actor<'_>, change: Change) {
        let (who, ip) = match actor {
            Actor::Operator => {
                let name = self.operator.get().cloned().unwrap_or_else(|| "operator".to_owned());
                (AuditActor { account: None, name, role: "operator".to_owned(), session: None }, None)
            }
            Actor::Account(p) => (
                AuditActor {
                    account: Some(p.account.id),
                    name: p.account.addr.to_string(),
                    role: role_name(p.account.role).to_owned(),
                    session: Some(p.session.id),
                },
                p.from_ip.clone(),
            ),
        };
        let record = NewAuditRecord {
            at_ms: self.clock.now_ms(),
            domain: change.domain,
            actor: who,
            ip,
            action: change.action.to_owned(),
            target: change.target,
            before: change.before,
            after: change.after,
        };
        tracing::info!(target: "magpie::audit", action = %record.action, actor = %record.actor.name,
            target_ = %record.target, ip = ?record.ip, "administrative action");
        if let Err(e) = self.audit.append_audit(&record).await {
            tracing::error!(target: "magpie::audit", action = %record.action, actor = %record.actor.name,
                target_ = %record.target, before = ?record.before, after = ?record.after, error = %e,
                "the audit log could not take this record");
        }
    }
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::ServerAdmin => "server_admin",
        Role::DomainAdmin => "domain_admin",
        Role::Member => "member",
    }
}

/// Reads the audit log, for those allowed to.
#[derive(Clone)]
pub struct Audit {
    deps: Arc<Deps>,
    store: Arc<dyn AuditStore>,
    accounts: Arc<dyn crate::ports::AccountStore>,
}

impl Audit {
    pub(crate) fn new(deps: Arc<Deps>, stores: &crate::ports::Stores) -> Audit {
        Audit { deps, store: stores.audit.clone(), accounts: stores.accounts.clone() }
    }

    /// Names the operator that runs the command line (its operating-system user), for the
    /// records of what it does. Set once; later calls are ignored.
    pub fn set_operator(&self, name: &str) {
        let _ = self.deps.operator.set(name.to_owned());
    }

    /// The records `filter` selects that `actor` may read, newest first, at most `limit` (up
    /// to [`AUDIT_PAGE_LEN_MAX`]). `domain` names the domain to read; a domain administrator
    /// reads only their own, whether or not they name it. Members are refused.
    pub async fn list(
        &self,
        actor: Actor<'_>,
        domain: Option<&str>,
        filter: AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRecord>> {
        let filter = AuditFilter { after_id: None, ..filter };
        self.read(actor, domain, filter, limit.clamp(1, AUDIT_PAGE_LEN_MAX)).await
    }

    /// The next [`AUDIT_EXPORT_PAGE_LEN`] records of an export, oldest first, after the record
    /// `after_id` (from the start: 0). The same rules as [`Audit::list`].
    pub async fn export_page(
        &self,
        actor: Actor<'_>,
        domain: Option<&str>,
        filter: AuditFilter,
        after_id: i64,
    ) -> Result<Vec<AuditRecord>> {
        let filter = AuditFilter { after_id: Some(after_id), before_id: None, ..filter };
        self.read(actor, domain, filter, AUDIT_EXPORT_PAGE_LEN).await
    }

    async fn read(
        &self,
        actor: Actor<'_>,
        domain: Option<&str>,
        mut filter: AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRecord>> {
        filter.domain = self.readable_domain(actor, domain).await?;
        // A domain's administrators never read the deployment-wide records.
        filter.deployment_only &= filter.domain.is_none();
        for (field, text) in
            [("actor", &mut filter.actor), ("action", &mut filter.action), ("target", &mut filter.target)]
        {
            if let Some(t) = text.as_deref().map(str::trim) {
                if t.chars().count() > AUDIT_FILTER_CHARS_MAX {
                    return Err(Error::invalid(field, format!("at most {AUDIT_FILTER_CHARS_MAX} characters")));
                }
                *text = (!t.is_empty()).then(|| t.to_owned());
            }
        }
        if let (Some(since), Some(until)) = (filter.since_ms, filter.until_ms)
            && since > until
        {
            return Err(Error::invalid("until", "must not be before since"));
        }
        Ok(self.store.audit_records(&filter, limit).await?)
    }

    /// The domain an actor's read is confined to: a domain administrator's own (naming another
    /// is `not_found`, as if it did not exist), the named one for a server administrator, or
    /// none (the whole log).
    async fn readable_domain(&self, actor: Actor<'_>, domain: Option<&str>) -> Result<Option<DomainId>> {
        let named = match domain {
            Some(name) => {
                let name = DomainName::parse(name)?;
                let found = self.accounts.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
                if !actor.may_administer(found.id) {
                    return Err(Error::NotFound("domain"));
                }
                Some(found.id)
            }
            None => None,
        };
        match actor {
            Actor::Operator => Ok(named),
            Actor::Account(p) => match p.account.role {
                Role::ServerAdmin => Ok(named),
                Role::DomainAdmin => Ok(Some(p.account.domain_id)),
                Role::Member => Err(Error::Forbidden),
            },
        }
    }
}
