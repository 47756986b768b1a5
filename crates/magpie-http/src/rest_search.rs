//! Search handlers: messages (docs/protocol.md §7.14), people and groups by name (§7.15).

use axum::Json;
use axum::extract::State;
use magpie_wire as wire;

use crate::extract::{ApiQuery, Authed};
use crate::{ApiError, AppState, ops};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `GET /v1/search/messages`: messages the caller may read now that match `q`, with filters,
/// by relevance or newest first, a page at a time, with highlighted snippets.
#[utoipa::path(get, path = "/v1/search/messages", tag = "search", security(("bearer" = [])),
    params(wire::SearchMessagesQuery),
    responses((status = 200, body = wire::SearchMessagesPage),
        (status = 429, description = "too many searches", body = wire::ErrorBody),
        (status = 503, description = "search is not running", body = wire::ErrorBody)))]
pub async fn search_messages(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SearchMessagesQuery>,
) -> ApiResult<wire::SearchMessagesPage> {
    Ok(Json(ops::search_messages(&state.core, &caller, q).await?))
}

/// `GET /v1/search/files`: messages with files the caller may read now, by the files' names
/// and type, with the filters of a message search; without words, newest first.
#[utoipa::path(get, path = "/v1/search/files", tag = "search", security(("bearer" = [])),
    params(wire::SearchFilesQuery),
    responses((status = 200, body = wire::SearchMessagesPage),
        (status = 429, description = "too many searches", body = wire::ErrorBody),
        (status = 503, description = "search is not running", body = wire::ErrorBody)))]
pub async fn search_files(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SearchFilesQuery>,
) -> ApiResult<wire::SearchMessagesPage> {
    Ok(Json(ops::search_files(&state.core, &caller, q).await?))
}

/// `GET /v1/search/people`: enabled accounts of the caller's domain whose name, pinyin,
/// initials, login, email or phone matches `q`, best first.
#[utoipa::path(get, path = "/v1/search/people", tag = "search", security(("bearer" = [])),
    params(wire::SearchNamesQuery),
    responses((status = 200, body = wire::PeopleFound),
        (status = 429, description = "too many name searches", body = wire::ErrorBody)))]
pub async fn search_people(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SearchNamesQuery>,
) -> ApiResult<wire::PeopleFound> {
    Ok(Json(ops::search_people(&state.core, &caller, q).await?))
}

/// `GET /v1/search/groups`: groups and channels the caller is a member of whose name, its
/// pinyin or initials matches `q`, best first.
#[utoipa::path(get, path = "/v1/search/groups", tag = "search", security(("bearer" = [])),
    params(wire::SearchNamesQuery),
    responses((status = 200, body = wire::GroupsFound),
        (status = 429, description = "too many name searches", body = wire::ErrorBody)))]
pub async fn search_groups(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SearchNamesQuery>,
) -> ApiResult<wire::GroupsFound> {
    Ok(Json(ops::search_groups(&state.core, &caller, q).await?))
}
