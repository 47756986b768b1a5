//! The audit log over REST: `GET /v1/admin/audit` (a page, newest first) and
//! `GET /v1/admin/audit/export` (all of a filter's records as JSON Lines, oldest first).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use magpie_core::audit::{AuditFilter, AuditRecord};
use magpie_core::model::{Actor, Principal};
use magpie_wire as wire;

use crate::extract::{ApiQuery, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Records a page holds unless `limit` says otherwise.
const AUDIT_PAGE_LEN_DEFAULT: usize = 50;

fn filter_of(q: &wire::AuditQuery) -> AuditFilter {
    AuditFilter {
        domain: None,
        deployment_only: q.deployment_only,
        actor: q.actor.clone(),
        action: q.action.clone(),
        target: q.target.clone(),
        since_ms: q.since,
        until_ms: q.until,
        before_id: q.before,
        after_id: None,
    }
}

pub fn record_info(r: &AuditRecord) -> wire::AuditRecordInfo {
    wire::AuditRecordInfo {
        id: r.id,
        at_ms: r.record.at_ms,
        domain: r.domain_name.clone(),
        actor: wire::AuditActorInfo {
            name: r.record.actor.name.clone(),
            role: r.record.actor.role.clone(),
            session: r.record.actor.session.map(|s| s.0),
        },
        ip: r.record.ip.clone(),
        action: r.record.action.clone(),
        target: r.record.target.clone(),
        before: r.record.before.clone(),
        after: r.record.after.clone(),
    }
}

/// `GET /v1/admin/audit`: the audit log's records the caller may read (server administrators
/// all, a domain's administrators their domain's), newest first.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(wire::AuditQuery),
    responses((status = 200, body = wire::AuditRecordList), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
pub async fn admin_audit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(params): ApiQuery<wire::AuditQuery>,
) -> ApiResult<wire::AuditRecordList> {
    // As other lists: a limit out of range is brought into it.
    let limit = params
        .limit
        .map_or(AUDIT_PAGE_LEN_DEFAULT, |n| usize::try_from(n).unwrap_or(0))
        .clamp(1, magpie_core::audit::AUDIT_PAGE_LEN_MAX);
    let records =
        state.core.audit.list(Actor::Account(&caller), params.domain.as_deref(), filter_of(&params), limit).await?;
    let next_before = (records.len() == limit).then(|| records.last().map(|r| r.id)).flatten();
    Ok(Json(wire::AuditRecordList { records: records.iter().map(record_info).collect(), next_before }))
}

/// `GET /v1/admin/audit/export`: every record the filter selects that the caller may read, as
/// JSON Lines (one `AuditRecordInfo` per line), oldest first, streamed.
#[utoipa::path(get, path = "/v1/admin/audit/export", tag = "admin", security(("bearer" = [])), params(wire::AuditQuery),
    responses((status = 200, description = "JSON Lines: one AuditRecordInfo per line, oldest first",
        content_type = "application/x-ndjson", body = String),
        (status = 403, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_audit_export(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(params): ApiQuery<wire::AuditQuery>,
) -> Result<Response, ApiError> {
    let filter = AuditFilter { before_id: None, ..filter_of(&params) };
    let domain = params.domain.clone();
    // The first page before answering, so that a caller who may not read gets its error.
    let first = state.core.audit.export_page(Actor::Account(&caller), domain.as_deref(), filter.clone(), 0).await?;
    let pages = Pages { state, caller, domain, filter, next: Next::Page(first) };
    let body = Body::from_stream(futures_util::stream::unfold(pages, Pages::next_chunk));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"magpie-audit.jsonl\""));
    Ok(response)
}

/// An export's walk through the log, a page at a time.
struct Pages {
    state: AppState,
    caller: Principal,
    domain: Option<String>,
    filter: AuditFilter,
    next: Next,
}

enum Next {
    /// A page read and not yet sent.
    Page(Vec<AuditRecord>),
    /// Reading the next page failed: the body ends in an error, which the client sees as a
    /// broken download rather than a short file.
    Failed,
    Done,
}

impl Pages {
    async fn next_chunk(mut self) -> Option<(Result<Bytes, std::io::Error>, Pages)> {
        let page = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Page(page) if !page.is_empty() => page,
            Next::Page(_) | Next::Done => return None,
            Next::Failed => return Some((Err(std::io::Error::other("the audit export stopped")), self)),
        };
        let mut chunk = Vec::new();
        for record in &page {
            if let Err(e) = serde_json::to_writer(&mut chunk, &record_info(record)) {
                return Some((Err(std::io::Error::other(e)), self));
            }
            chunk.push(b'\n');
        }
        if page.len() == magpie_core::audit::AUDIT_EXPORT_PAGE_LEN {
            let last = page.last().map_or(0, |r| r.id);
            let read = self
                .state
                .core
                .audit
                .export_page(Actor::Account(&self.caller), self.domain.as_deref(), self.filter.clone(), last)
                .await;
            self.next = match read {
                Ok(next) => Next::Page(next),
                Err(e) => {
                    tracing::warn!(error = %e, "audit export stopped");
                    Next::Failed
                }
            };
        }
        Some((Ok(Bytes::from(chunk)), self))
    }
}
