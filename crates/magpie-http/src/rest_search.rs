//! Search handlers (docs/protocol.md §7.14).

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
