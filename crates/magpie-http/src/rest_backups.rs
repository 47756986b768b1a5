//! Backups from the console: `GET` and `POST /v1/admin/backups` (server administrators, the
//! embedded deployment).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::backups::BackupInfo;
use magpie_core::model::Actor;
use magpie_wire as wire;

use crate::extract::Authed;
use crate::{ApiError, AppState};

fn info(b: &BackupInfo) -> wire::BackupInfo {
    wire::BackupInfo {
        name: b.name.clone(),
        created_at_ms: b.created_at_ms,
        finished: b.finished,
        database_bytes: b.database_bytes,
        files: b.files,
        files_bytes: b.files_bytes,
        missing: b.missing,
    }
}

/// `GET /v1/admin/backups`: the backups in the server's backups directory, newest first.
#[utoipa::path(get, path = "/v1/admin/backups", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = wire::BackupList), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_backups(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<wire::BackupList>, ApiError> {
    let backups = state.core.backups.list(Actor::Account(&caller)).await?;
    Ok(Json(wire::BackupList { backups: backups.iter().map(info).collect() }))
}

/// `POST /v1/admin/backups`: makes a backup now and answers it when it is finished.
#[utoipa::path(post, path = "/v1/admin/backups", tag = "admin", security(("bearer" = [])),
    responses((status = 201, body = wire::BackupInfo), (status = 403, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn admin_make_backup(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<(StatusCode, Json<wire::BackupInfo>), ApiError> {
    let made = state.core.backups.make(Actor::Account(&caller)).await?;
    Ok((StatusCode::CREATED, Json(info(&made))))
}
