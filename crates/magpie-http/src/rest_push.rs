//! Push's handlers (docs/protocol.md §5, "Push"): what the server pushes through, each device's
//! registration, and the failures a domain's administrators look at.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::model::{Actor, Principal};
use magpie_core::push::{PushAddress, PushTarget};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

fn target_info(t: &PushTarget, caller: &Principal) -> wire::PushTargetInfo {
    let tail = |token: &str| {
        let chars: Vec<char> = token.chars().collect();
        format!("…{}", chars[chars.len().saturating_sub(6)..].iter().collect::<String>())
    };
    let label = match &t.address {
        PushAddress::WebPush { endpoint, .. } => {
            url::Url::parse(endpoint).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
        }
        PushAddress::Gateway { gateway, app_id, .. } => format!("{gateway}/{app_id}"),
        PushAddress::Apns { token } | PushAddress::Fcm { token } => tail(token),
    };
    wire::PushTargetInfo {
        id: t.id,
        kind: t.address.kind().as_str().to_owned(),
        label,
        current: t.session == caller.session.id,
        created_at_ms: t.created_at_ms,
    }
}

/// `GET /v1/push/config`: the kinds of device this server pushes to and the VAPID key.
#[utoipa::path(get, path = "/v1/push/config", tag = "push", security(("bearer" = [])),
    responses((status = 200, body = wire::PushConfig), (status = 401, body = wire::ErrorBody)))]
pub async fn push_config(State(state): State<AppState>, Authed(_caller): Authed) -> ApiResult<wire::PushConfig> {
    let (kinds, vapid_public_key, gateways) = state.core.push.config();
    let kinds = kinds.into_iter().map(|k| k.as_str().to_owned()).collect();
    Ok(Json(wire::PushConfig { kinds, vapid_public_key, gateways }))
}

/// `GET /v1/me/push-targets`: the caller's devices registered for pushes.
#[utoipa::path(get, path = "/v1/me/push-targets", tag = "push", security(("bearer" = [])),
    responses((status = 200, body = wire::PushTargetList), (status = 401, body = wire::ErrorBody)))]
pub async fn list_push_targets(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<wire::PushTargetList> {
    let targets = state.core.push.targets(&caller).await?;
    Ok(Json(wire::PushTargetList { targets: targets.iter().map(|t| target_info(t, &caller)).collect() }))
}

/// `POST /v1/me/push-targets`: registers this device for pushes, under the calling session (so
/// that logging out ends them). Registering the same subscription or token again moves it here.
#[utoipa::path(post, path = "/v1/me/push-targets", tag = "push", security(("bearer" = [])),
    request_body = wire::PushTargetRequest,
    responses((status = 201, body = wire::PushTargetInfo), (status = 422, body = wire::ErrorBody),
        (status = 429, body = wire::ErrorBody)))]
pub async fn add_push_target(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::PushTargetRequest>,
) -> Result<(StatusCode, Json<wire::PushTargetInfo>), ApiError> {
    let address = match req {
        wire::PushTargetRequest::WebPush { endpoint, keys } => {
            PushAddress::WebPush { endpoint, p256dh: keys.p256dh, auth: keys.auth }
        }
        wire::PushTargetRequest::Gateway { gateway, app_id, pushkey } => {
            PushAddress::Gateway { gateway, app_id, pushkey }
        }
        wire::PushTargetRequest::Apns { token } => PushAddress::Apns { token },
        wire::PushTargetRequest::Fcm { token } => PushAddress::Fcm { token },
    };
    let target = state.core.push.register(&caller, address).await?;
    Ok((StatusCode::CREATED, Json(target_info(&target, &caller))))
}

/// `DELETE /v1/me/push-targets/{id}`: stops pushes to one of the caller's devices.
#[utoipa::path(delete, path = "/v1/me/push-targets/{id}", tag = "push", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn remove_push_target(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.push.unregister(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/admin/domains/{domain}/push-failures`: pushes given up and devices dropped for the
/// domain's accounts, newest first (the last 200, kept for `push.keep_secs`).
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/push-failures", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::PushFailureList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_push_failures(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::PushFailureList> {
    let domain = state.core.accounts.admin_domain(Actor::Account(&caller), &domain).await?;
    let failures = state.core.push.failures(Some(domain.id), magpie_core::push::FAILURES_PAGE_LEN_MAX).await?;
    let failures = failures
        .into_iter()
        .map(|f| wire::PushFailureInfo {
            id: f.id,
            at_ms: f.at_ms,
            account: f.account.to_string(),
            kind: f.kind.as_str().to_owned(),
            target_dropped: f.target_dropped,
            error: f.error,
            attempts: f.attempts,
        })
        .collect();
    Ok(Json(wire::PushFailureList { failures, outbox_len: state.core.push.outbox_len().await? }))
}
