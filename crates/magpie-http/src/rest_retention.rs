//! Retention: a domain's policy and runs (`/v1/admin/domains/{domain}/retention`), a
//! conversation's own policy, and one run followed as it goes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::model::{Actor, ConversationId};
use magpie_core::retention::{RetentionOverview, RetentionRun};
use magpie_wire as wire;

use crate::convert::conversation_kind;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

/// The longest `GET /v1/admin/retention/runs/{id}` waits for a running run to change.
pub const RUN_WAIT_SECS_MAX: u64 = 25;

fn run_info(run: &RetentionRun) -> wire::RetentionRunInfo {
    wire::RetentionRunInfo {
        id: run.id,
        state: run.state.as_str().to_owned(),
        started_by: run.started_by.clone(),
        before_ms: run.before_ms,
        conversations: run.conversations,
        entries: run.entries,
        files: run.files,
        error: run.error.clone(),
        started_at_ms: run.started_at_ms,
        updated_at_ms: run.updated_at_ms,
        finished_at_ms: run.finished_at_ms,
    }
}

fn overview(o: RetentionOverview) -> wire::Retention {
    wire::Retention {
        domain: o.domain,
        days: o.days,
        conversations: o
            .conversations
            .into_iter()
            .map(|c| wire::ConversationRetention {
                conversation: c.conversation.0,
                kind: conversation_kind(c.kind),
                name: c.name,
                days: c.days,
            })
            .collect(),
        runs: o.runs.iter().map(run_info).collect(),
    }
}

/// `GET /v1/admin/domains/{domain}/retention`: the domain's policy, its conversations' own,
/// and its latest runs.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/retention", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::Retention), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> Result<Json<wire::Retention>, ApiError> {
    Ok(Json(overview(state.core.retention.overview(Actor::Account(&caller), &domain).await?)))
}

/// `PUT /v1/admin/domains/{domain}/retention`: how many days the domain keeps its entries.
#[utoipa::path(put, path = "/v1/admin/domains/{domain}/retention", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::RetentionPolicy,
    responses((status = 200, body = wire::Retention), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn admin_set_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::RetentionPolicy>,
) -> Result<Json<wire::Retention>, ApiError> {
    let actor = Actor::Account(&caller);
    state.core.retention.set_domain_days(actor, &domain, req.days).await?;
    Ok(Json(overview(state.core.retention.overview(actor, &domain).await?)))
}

/// `PUT /v1/admin/conversations/{id}/retention`: how many days one conversation keeps its
/// entries apart from its domain.
#[utoipa::path(put, path = "/v1/admin/conversations/{id}/retention", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::RetentionPolicy,
    responses((status = 204, description = "Set"), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn admin_set_conversation_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::RetentionPolicy>,
) -> Result<StatusCode, ApiError> {
    state.core.retention.set_conversation_days(Actor::Account(&caller), ConversationId(id), req.days).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/domains/{domain}/retention/runs`: runs the domain's retention now, in the
/// background; answers the run as recorded.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/retention/runs", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::StartRetentionRun,
    responses((status = 202, body = wire::RetentionRunInfo), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn admin_start_retention_run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::StartRetentionRun>,
) -> Result<(StatusCode, Json<wire::RetentionRunInfo>), ApiError> {
    let run = state.core.retention.start(Actor::Account(&caller), &domain, req.before_ms).await?;
    Ok((StatusCode::ACCEPTED, Json(run_info(&run))))
}

/// `GET /v1/admin/retention/runs/{id}`: one run and how far it got; with `wait_secs`, as soon
/// as a running run changes (or that many seconds passed).
#[utoipa::path(get, path = "/v1/admin/retention/runs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path), wire::ExportWaitQuery),
    responses((status = 200, body = wire::RetentionRunInfo), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_retention_run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<wire::ExportWaitQuery>,
) -> Result<Json<wire::RetentionRunInfo>, ApiError> {
    let wait =
        std::time::Duration::from_secs(u64::try_from(q.wait_secs.unwrap_or(0)).unwrap_or(0).min(RUN_WAIT_SECS_MAX));
    Ok(Json(run_info(&state.core.retention.run_changed(Actor::Account(&caller), id, wait).await?)))
}
