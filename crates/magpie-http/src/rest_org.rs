//! The organisation's handlers (docs/protocol.md §11): the tree, a department's people and a
//! person's departments for every member; changes for the domain's administrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::model::Actor;
use magpie_core::org::{DepartmentId, DepartmentPatchRequest};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState, ops};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `GET /v1/org/departments`: the caller's domain's departments, parents before children.
#[utoipa::path(get, path = "/v1/org/departments", tag = "org", security(("bearer" = [])),
    responses((status = 200, body = wire::DepartmentTree)))]
pub async fn department_tree(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::DepartmentTree> {
    Ok(Json(ops::department_tree(&state.core, &caller).await?))
}

/// `GET /v1/org/departments/{id}/members`: a department's people, by login name.
#[utoipa::path(get, path = "/v1/org/departments/{id}/members", tag = "org", security(("bearer" = [])),
    params(("id" = i64, Path), wire::DepartmentMembersQuery),
    responses((status = 200, body = wire::DepartmentMembers), (status = 404, body = wire::ErrorBody)))]
pub async fn department_members(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<wire::DepartmentMembersQuery>,
) -> ApiResult<wire::DepartmentMembers> {
    let req = wire::DepartmentMembersRequest { department: id, after: q.after, limit: q.limit };
    Ok(Json(ops::department_members(&state.core, &caller, req).await?))
}

/// `GET /v1/org/people/{account}`: the departments a person of the caller's domain is in.
#[utoipa::path(get, path = "/v1/org/people/{account}", tag = "org", security(("bearer" = [])),
    params(("account" = String, Path, description = "name@domain")),
    responses((status = 200, body = wire::Placements), (status = 404, body = wire::ErrorBody)))]
pub async fn placements(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::Placements> {
    Ok(Json(ops::placements(&state.core, &caller, &account).await?))
}

/// `GET /v1/search/departments`: the caller's domain's departments whose name, its pinyin or
/// initials matches `q`, best first.
#[utoipa::path(get, path = "/v1/search/departments", tag = "search", security(("bearer" = [])),
    params(wire::SearchNamesQuery),
    responses((status = 200, body = wire::DepartmentsFound),
        (status = 429, description = "too many name searches", body = wire::ErrorBody)))]
pub async fn search_departments(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SearchNamesQuery>,
) -> ApiResult<wire::DepartmentsFound> {
    Ok(Json(ops::search_departments(&state.core, &caller, q).await?))
}

/// `GET /v1/admin/domains/{domain}/departments`: a domain's tree, for its administrators.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/departments", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::DepartmentTree), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_department_tree(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::DepartmentTree> {
    let nodes = state.core.org.admin_tree(Actor::Account(&caller), &domain).await?;
    Ok(Json(ops::tree(&nodes)))
}

/// `POST /v1/admin/domains/{domain}/departments`: creates a department.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/departments", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::CreateDepartmentRequest,
    responses((status = 201, body = wire::Department), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
pub async fn admin_create_department(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateDepartmentRequest>,
) -> Result<(StatusCode, Json<wire::Department>), ApiError> {
    let department = state
        .core
        .org
        .create(
            Actor::Account(&caller),
            &domain,
            &req.name,
            req.parent.map(DepartmentId),
            req.position.unwrap_or(0),
            req.manager.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ops::department(&state.core, &department).await?)))
}

/// `PATCH /v1/admin/departments/{id}`: renames, moves, reorders a department or sets its
/// manager.
#[utoipa::path(patch, path = "/v1/admin/departments/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::UpdateDepartmentRequest,
    responses((status = 200, body = wire::Department), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody)))]
pub async fn admin_update_department(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::UpdateDepartmentRequest>,
) -> ApiResult<wire::Department> {
    let patch = DepartmentPatchRequest {
        name: req.name,
        parent: req.parent.map(|p| p.map(DepartmentId)),
        position: req.position,
        manager: req.manager,
        chat: req.chat,
    };
    let department = state.core.org.update(Actor::Account(&caller), DepartmentId(id), patch).await?;
    Ok(Json(ops::department(&state.core, &department).await?))
}

/// `DELETE /v1/admin/departments/{id}`: deletes a department with none under it.
#[utoipa::path(delete, path = "/v1/admin/departments/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
pub async fn admin_delete_department(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.org.delete(Actor::Account(&caller), DepartmentId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/departments/{id}/members/{account}`: puts a person in a department, or
/// changes their title.
#[utoipa::path(put, path = "/v1/admin/departments/{id}/members/{account}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path), ("account" = String, Path, description = "name@domain")),
    request_body = wire::SetDepartmentMemberRequest,
    responses((status = 204), (status = 404, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn admin_set_department_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, account)): ApiPath<(i64, String)>,
    ApiJson(req): ApiJson<wire::SetDepartmentMemberRequest>,
) -> Result<StatusCode, ApiError> {
    state.core.org.set_member(Actor::Account(&caller), DepartmentId(id), &account, req.title.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/people/{account}/manager`: sets a person's own manager, or clears it.
#[utoipa::path(put, path = "/v1/admin/people/{account}/manager", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path, description = "name@domain")),
    request_body = wire::SetManagerRequest,
    responses((status = 204), (status = 400, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_set_manager(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::SetManagerRequest>,
) -> Result<StatusCode, ApiError> {
    state.core.org.set_manager(Actor::Account(&caller), &account, req.manager.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/admin/departments/{id}/members/{account}`: takes a person out of a department.
#[utoipa::path(delete, path = "/v1/admin/departments/{id}/members/{account}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path), ("account" = String, Path, description = "name@domain")),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_remove_department_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, account)): ApiPath<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    state.core.org.remove_member(Actor::Account(&caller), DepartmentId(id), &account).await?;
    Ok(StatusCode::NO_CONTENT)
}
