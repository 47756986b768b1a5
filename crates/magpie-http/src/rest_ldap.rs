//! A domain's directory source (docs/protocol.md §11.4), for its administrators: its settings
//! (the bind password never leaves), a connection test, and syncs on demand with their report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::ldap::{AttributeMap, Change, GroupMap, LastSync, LdapSource, SyncReport};
use magpie_core::model::Actor;
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The people filter when a request names none.
pub const PEOPLE_FILTER_DEFAULT: &str = "(objectClass=inetOrgPerson)";

/// `GET /v1/admin/domains/{domain}/ldap`: the domain's directory source, without its password,
/// with its last sync's report.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/ldap", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::LdapSource), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_get_ldap_source(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::LdapSource> {
    let actor = Actor::Account(&caller);
    let mut source = source_to_wire(&state.core.ldap.source(actor, &domain).await?);
    source.last_sync = state.core.ldap.last_sync(actor, &domain).await?.as_ref().map(last_sync_to_wire);
    Ok(Json(source))
}

/// `PUT /v1/admin/domains/{domain}/ldap`: sets the domain's directory source.
#[utoipa::path(put, path = "/v1/admin/domains/{domain}/ldap", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::SetLdapSourceRequest,
    responses((status = 200, body = wire::LdapSource), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
pub async fn admin_set_ldap_source(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::SetLdapSourceRequest>,
) -> ApiResult<wire::LdapSource> {
    let (source, password) = source_from_wire(req);
    let actor = Actor::Account(&caller);
    let source = state.core.ldap.set_source(actor, &domain, source, password).await?;
    let mut source = source_to_wire(&source);
    source.last_sync = state.core.ldap.last_sync(actor, &domain).await?.as_ref().map(last_sync_to_wire);
    Ok(Json(source))
}

/// `DELETE /v1/admin/domains/{domain}/ldap`: forgets the domain's directory source.
#[utoipa::path(delete, path = "/v1/admin/domains/{domain}/ldap", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 204, description = "forgotten"), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_delete_ldap_source(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.ldap.delete_source(Actor::Account(&caller), &domain).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/domains/{domain}/ldap/test`: connects, binds and counts the people found.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/ldap/test", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::LdapTestResult), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 503, body = wire::ErrorBody)))]
pub async fn admin_test_ldap_source(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::LdapTestResult> {
    let people = state.core.ldap.test(Actor::Account(&caller), &domain).await?;
    Ok(Json(wire::LdapTestResult { people }))
}

/// `POST /v1/admin/domains/{domain}/ldap/sync`: syncs the domain with its directory now, or
/// with `dry_run=true` reports what a sync would change; `incremental=true` reads only what
/// changed since the last sync.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/ldap/sync", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path), wire::LdapSyncQuery),
    responses((status = 200, body = wire::LdapSyncReport), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 503, body = wire::ErrorBody)))]
pub async fn admin_sync_ldap(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiQuery(q): ApiQuery<wire::LdapSyncQuery>,
) -> ApiResult<wire::LdapSyncReport> {
    let (dry_run, incremental) = (q.dry_run.unwrap_or(false), q.incremental.unwrap_or(false));
    let report = state.core.ldap.sync(Actor::Account(&caller), &domain, dry_run, incremental).await?;
    Ok(Json(report_to_wire(&report)))
}

/// The source as the wire carries it (without its last sync, which the caller adds); the CLI
/// prints the same.
pub fn source_to_wire(s: &LdapSource) -> wire::LdapSource {
    let a = &s.attributes;
    wire::LdapSource {
        url: s.url.clone(),
        starttls: s.starttls,
        bind_dn: s.bind_dn.clone(),
        bind_password_set: !s.bind_password.is_empty(),
        base_dns: s.base_dns.clone(),
        people_filter: s.people_filter.clone(),
        disabled_filter: s.disabled_filter.clone(),
        attributes: wire::LdapAttributes {
            login: a.login.clone(),
            display_name: a.display_name.clone(),
            email: a.email.clone(),
            phone: a.phone.clone(),
            title: a.title.clone(),
            manager: a.manager.clone(),
            department: a.department.clone(),
        },
        login_enabled: s.login_enabled,
        sync_interval_secs: s.sync_interval_secs,
        groups: s.groups.as_ref().map(|g| wire::LdapGroupMap {
            base_dns: g.base_dns.clone(),
            filter: Some(g.filter.clone()),
            member_attributes: g.member_attributes.clone(),
            name: Some(g.name.clone()),
        }),
        last_sync: None,
    }
}

/// The last sync as the wire carries it.
pub fn last_sync_to_wire(l: &LastSync) -> wire::LdapLastSync {
    wire::LdapLastSync {
        at_ms: l.at_ms,
        incremental: l.incremental,
        report: l.report.as_ref().map(report_to_wire),
        error: l.error.clone(),
    }
}

fn group_map_from_wire(g: wire::LdapGroupMap) -> GroupMap {
    let defaults = GroupMap::default();
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    GroupMap {
        base_dns: g.base_dns,
        filter: given(g.filter).unwrap_or(defaults.filter),
        member_attributes: if g.member_attributes.is_empty() {
            defaults.member_attributes
        } else {
            g.member_attributes
        },
        name: given(g.name).unwrap_or(defaults.name),
    }
}

fn source_from_wire(r: wire::SetLdapSourceRequest) -> (LdapSource, Option<String>) {
    let attributes = match r.attributes {
        Some(a) => AttributeMap {
            login: a.login,
            display_name: a.display_name,
            email: a.email,
            phone: a.phone,
            title: a.title,
            manager: a.manager,
            department: a.department.filter(|d| !d.trim().is_empty()),
        },
        None => AttributeMap::default(),
    };
    let source = LdapSource {
        url: r.url,
        starttls: r.starttls,
        bind_dn: r.bind_dn,
        bind_password: String::new(),
        base_dns: r.base_dns,
        people_filter: r.people_filter.unwrap_or_else(|| PEOPLE_FILTER_DEFAULT.to_owned()),
        disabled_filter: r.disabled_filter.filter(|f| !f.trim().is_empty()),
        attributes,
        login_enabled: r.login_enabled,
        sync_interval_secs: r.sync_interval_secs,
        groups: r.groups.map(group_map_from_wire),
    };
    (source, r.bind_password)
}

/// The report as the wire carries it; the CLI prints the same.
pub fn report_to_wire(r: &SyncReport) -> wire::LdapSyncReport {
    wire::LdapSyncReport {
        dry_run: r.dry_run,
        incremental: r.incremental,
        people_seen: r.people_seen,
        accounts_created: r.accounts_created,
        accounts_updated: r.accounts_updated,
        accounts_disabled: r.accounts_disabled,
        accounts_enabled: r.accounts_enabled,
        departments_created: r.departments_created,
        memberships_set: r.memberships_set,
        memberships_removed: r.memberships_removed,
        managers_set: r.managers_set,
        groups_seen: r.groups_seen,
        groups_created: r.groups_created,
        groups_renamed: r.groups_renamed,
        groups_dissolved: r.groups_dissolved,
        group_members_added: r.group_members_added,
        group_members_removed: r.group_members_removed,
        skipped: r.skipped,
        changes: r.changes.iter().map(change_to_wire).collect(),
    }
}

fn change_to_wire(c: &Change) -> wire::LdapChange {
    let blank = |op: &str| wire::LdapChange {
        op: op.to_owned(),
        account: None,
        department: None,
        display_name: None,
        fields: vec![],
        title: None,
        reason: None,
        dn: None,
        group: None,
        from: None,
        manager: None,
    };
    match c {
        Change::CreateAccount { account, display_name } => wire::LdapChange {
            account: Some(account.clone()),
            display_name: Some(display_name.clone()),
            ..blank("create_account")
        },
        Change::UpdateAccount { account, fields } => {
            wire::LdapChange { account: Some(account.clone()), fields: fields.clone(), ..blank("update_account") }
        }
        Change::DisableAccount { account, reason } => wire::LdapChange {
            account: Some(account.clone()),
            reason: Some(reason.clone()),
            ..blank("disable_account")
        },
        Change::EnableAccount { account } => {
            wire::LdapChange { account: Some(account.clone()), ..blank("enable_account") }
        }
        Change::CreateDepartment { path } => {
            wire::LdapChange { department: Some(path.clone()), ..blank("create_department") }
        }
        Change::JoinDepartment { account, path, title } => wire::LdapChange {
            account: Some(account.clone()),
            department: Some(path.clone()),
            title: title.clone(),
            ..blank("join_department")
        },
        Change::LeaveDepartment { account, path } => wire::LdapChange {
            account: Some(account.clone()),
            department: Some(path.clone()),
            ..blank("leave_department")
        },
        Change::SetManager { account, manager } => {
            wire::LdapChange { account: Some(account.clone()), manager: manager.clone(), ..blank("set_manager") }
        }
        Change::CreateGroup { group } => wire::LdapChange { group: Some(group.clone()), ..blank("create_group") },
        Change::RenameGroup { group, from } => {
            wire::LdapChange { group: Some(group.clone()), from: Some(from.clone()), ..blank("rename_group") }
        }
        Change::DissolveGroup { group } => wire::LdapChange { group: Some(group.clone()), ..blank("dissolve_group") },
        Change::JoinGroup { account, group } => {
            wire::LdapChange { account: Some(account.clone()), group: Some(group.clone()), ..blank("join_group") }
        }
        Change::LeaveGroup { account, group } => {
            wire::LdapChange { account: Some(account.clone()), group: Some(group.clone()), ..blank("leave_group") }
        }
        Change::Skip { dn, reason } => {
            wire::LdapChange { dn: Some(dn.clone()), reason: Some(reason.clone()), ..blank("skip") }
        }
    }
}
