//! Compliance exports over REST: `POST` and `GET /v1/admin/exports`, one export, and its
//! archive (see [`magpie_core::export`]).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use magpie_core::export::{ExportJob, ExportRequest, ExportScope};
use magpie_core::model::{Actor, ConversationId};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

fn info(j: &ExportJob, account: Option<String>) -> wire::ExportInfo {
    wire::ExportInfo {
        id: j.id,
        domain: j.domain_name.clone(),
        requested_by: j.requested_by.clone(),
        account,
        conversation: j.scope.conversation().map(|c| c.0),
        target: j.target.clone(),
        from_ms: j.from_ms,
        until_ms: j.until_ms,
        state: j.state.as_str().to_owned(),
        conversations_total: j.conversations_total,
        conversations_done: j.conversations_done,
        messages: j.messages,
        files: j.files,
        bytes: j.bytes,
        error: j.error.clone(),
        created_at_ms: j.created_at_ms,
        finished_at_ms: j.finished_at_ms,
        expires_at_ms: j.expires_at_ms,
    }
}

/// An account's export names its account by the address it had when the export began.
fn export_info(j: &ExportJob) -> wire::ExportInfo {
    let account = matches!(j.scope, ExportScope::Account(_)).then(|| j.target.clone());
    info(j, account)
}

/// `POST /v1/admin/exports`: starts a compliance export of an account's or a conversation's
/// messages and files; answers it at once, running.
#[utoipa::path(post, path = "/v1/admin/exports", tag = "admin", security(("bearer" = [])),
    request_body = wire::NewExportRequest,
    responses((status = 202, body = wire::ExportInfo), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn admin_start_export(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::NewExportRequest>,
) -> Result<(StatusCode, Json<wire::ExportInfo>), ApiError> {
    let req = ExportRequest {
        account: req.account,
        conversation: req.conversation.map(ConversationId),
        from_ms: req.from_ms,
        until_ms: req.until_ms,
    };
    let job = state.core.exports.start(Actor::Account(&caller), req).await?;
    Ok((StatusCode::ACCEPTED, Json(export_info(&job))))
}

/// `GET /v1/admin/exports`: the exports the caller may see, newest first.
#[utoipa::path(get, path = "/v1/admin/exports", tag = "admin", security(("bearer" = [])), params(wire::ExportQuery),
    responses((status = 200, body = wire::ExportList), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
pub async fn admin_exports(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::ExportQuery>,
) -> Result<Json<wire::ExportList>, ApiError> {
    let jobs = state.core.exports.list(Actor::Account(&caller), q.domain.as_deref()).await?;
    Ok(Json(wire::ExportList { exports: jobs.iter().map(export_info).collect() }))
}

/// The longest `GET /v1/admin/exports/{id}` waits for a running export to change.
pub const EXPORT_WAIT_SECS_MAX: u64 = 25;

/// `GET /v1/admin/exports/{id}`: one export and how far it has got; with `wait_secs`, as soon
/// as a running export changes (or that many seconds passed).
#[utoipa::path(get, path = "/v1/admin/exports/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path), wire::ExportWaitQuery),
    responses((status = 200, body = wire::ExportInfo), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_export(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<wire::ExportWaitQuery>,
) -> Result<Json<wire::ExportInfo>, ApiError> {
    let wait =
        std::time::Duration::from_secs(u64::try_from(q.wait_secs.unwrap_or(0)).unwrap_or(0).min(EXPORT_WAIT_SECS_MAX));
    Ok(Json(export_info(&state.core.exports.get_changed(Actor::Account(&caller), id, wait).await?)))
}

/// A ZIP archive's bytes, for the OpenAPI document: a binary string.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Never built: it only describes the body.
struct ZipBytes(Vec<u8>);

/// `GET /v1/admin/exports/{id}/archive`: a finished export's ZIP.
#[utoipa::path(get, path = "/v1/admin/exports/{id}/archive", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "The export's ZIP archive", content_type = "application/zip",
        body = ZipBytes), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_export_archive(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let archive = state.core.exports.archive(Actor::Account(&caller), id).await?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(archive.bytes)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(len) = HeaderValue::from_str(&archive.job.bytes.to_string()) {
        headers.insert(header::CONTENT_LENGTH, len);
    }
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"magpie-export-{}.zip\"", archive.job.id))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response.into_response())
}
