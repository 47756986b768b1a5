//! A domain's groups and channels for its administrators, who need not be members:
//! `GET /v1/admin/domains/{domain}/groups`, a group's members, handing it to another member,
//! and dissolving it (see `magpie_core::conversations::Conversations::admin_groups`).

use axum::Json;
use axum::extract::State;
use magpie_core::conversations::ADMIN_GROUP_PAGE_LEN_MAX;
use magpie_core::model::ConversationId;
use magpie_wire as wire;

use crate::convert;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Groups a page holds unless `limit` says otherwise.
const GROUP_PAGE_LEN_DEFAULT: usize = 50;

/// `GET /v1/admin/domains/{domain}/groups`: the domain's groups and channels, newest first.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/groups", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path), wire::AdminGroupQuery),
    responses((status = 200, body = wire::AdminGroupList), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
pub async fn admin_groups(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiQuery(q): ApiQuery<wire::AdminGroupQuery>,
) -> ApiResult<wire::AdminGroupList> {
    // As other lists: a limit out of range is brought into it.
    let limit =
        q.limit.map_or(GROUP_PAGE_LEN_DEFAULT, |n| usize::try_from(n).unwrap_or(0)).clamp(1, ADMIN_GROUP_PAGE_LEN_MAX);
    let groups = state
        .core
        .conversations
        .admin_groups(&caller, &domain, q.q.as_deref(), q.dissolved, q.before.map(ConversationId), limit)
        .await?;
    let next_before = (groups.len() == limit).then(|| groups.last().map(|(g, _)| g.id.0)).flatten();
    let groups = groups
        .iter()
        .map(|(g, owner)| wire::AdminGroupInfo {
            id: g.id.0,
            kind: g.kind.as_str().to_owned(),
            name: g.info.name.clone().unwrap_or_default(),
            owner: owner.as_ref().map(ToString::to_string),
            member_count: g.member_count,
            created_at_ms: g.created_at_ms,
            last_activity_ms: g.last_activity_ms,
            dissolved: g.dissolved,
        })
        .collect();
    Ok(Json(wire::AdminGroupList { groups, next_before }))
}

/// `GET /v1/admin/groups/{id}/members`: a group's active members.
#[utoipa::path(get, path = "/v1/admin/groups/{id}/members", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = wire::MemberList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_group_members(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::MemberList> {
    let members = state.core.conversations.admin_members(&caller, ConversationId(id)).await?;
    Ok(Json(wire::MemberList { members: members.iter().map(convert::member).collect() }))
}

/// `POST /v1/admin/groups/{id}/owner`: hands the group to `member`; the old owner becomes an
/// admin.
#[utoipa::path(post, path = "/v1/admin/groups/{id}/owner", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::MemberChange,
    responses((status = 200, body = wire::Ack), (status = 404, body = wire::ErrorBody),
        (status = 409, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn admin_transfer_group(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::MemberChange>,
) -> ApiResult<wire::Ack> {
    let entry = state.core.conversations.admin_transfer_ownership(&caller, ConversationId(id), &req.member).await?;
    Ok(Json(convert::entry_ack(&entry)))
}

/// `POST /v1/admin/groups/{id}/dissolve`: ends the group for everyone.
#[utoipa::path(post, path = "/v1/admin/groups/{id}/dissolve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = wire::Ack), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_dissolve_group(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::Ack> {
    let entry = state.core.conversations.admin_dissolve(&caller, ConversationId(id)).await?;
    Ok(Json(convert::entry_ack(&entry)))
}
