//! REST handlers for conversations, messages and sync. Each extracts and calls [`ops`], which
//! the WebSocket dispatcher shares.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState, ops};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `POST /v1/conversations`: opens the direct chat with `peer` (the existing one if there is
/// one) or creates a group or channel owned by the caller.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = wire::CreateConversationRequest,
    responses((status = 200, body = wire::Conversation), (status = 404, description = "peer not found", body = wire::ErrorBody)))]
pub async fn create_conversation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateConversationRequest>,
) -> ApiResult<wire::Conversation> {
    Ok(Json(ops::create_conversation(&state.core, &caller, req).await?))
}

/// `GET /v1/conversations`: the caller's conversations, most recent activity first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", security(("bearer" = [])),
    params(wire::ListConversations), responses((status = 200, body = wire::ConversationList)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::ListConversations>,
) -> ApiResult<wire::ConversationList> {
    Ok(Json(ops::list_conversations(&state.core, &caller, q).await?))
}

/// `GET /v1/conversations/{id}`.
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::Conversation), (status = 404, body = wire::ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::Conversation> {
    Ok(Json(ops::get_conversation(&state.core, &caller, id).await?))
}

/// `PATCH /v1/conversations/{id}`: name, description, avatar, announcement, mute-all.
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::UpdateGroupRequest,
    responses((status = 200, body = wire::Ack), (status = 403, body = wire::ErrorBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::UpdateGroupRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::update_group(&state.core, &caller, id, req).await?))
}

/// `DELETE /v1/conversations/{id}`: dissolves a group (owner only).
#[utoipa::path(delete, path = "/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::Ack), (status = 403, body = wire::ErrorBody)))]
pub async fn dissolve(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::dissolve(&state.core, &caller, id).await?))
}

/// `GET /v1/conversations/{id}/members`.
#[utoipa::path(get, path = "/v1/conversations/{id}/members", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::MemberList)))]
pub async fn list_members(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::MemberList> {
    Ok(Json(ops::list_members(&state.core, &caller, id).await?))
}

/// `POST /v1/conversations/{id}/members`: adds accounts.
#[utoipa::path(post, path = "/v1/conversations/{id}/members", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::MembersRequest, responses((status = 200, body = wire::Ack)))]
pub async fn add_members(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::MembersRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::add_members(&state.core, &caller, id, req).await?))
}

/// `DELETE /v1/conversations/{id}/members/{account}`: removes one member.
#[utoipa::path(delete, path = "/v1/conversations/{id}/members/{account}", tag = "conversations",
    security(("bearer" = [])), params(("id" = i64, Path), ("account" = String, Path)),
    responses((status = 200, body = wire::Ack)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, account)): ApiPath<(i64, String)>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::remove_members(&state.core, &caller, id, wire::MembersRequest { members: vec![account] }).await?))
}

/// `PUT /v1/conversations/{id}/members/{account}/role`: admin or member (owner only).
#[utoipa::path(put, path = "/v1/conversations/{id}/members/{account}/role", tag = "conversations",
    security(("bearer" = [])), params(("id" = i64, Path), ("account" = String, Path)),
    request_body = wire::RoleRequest, responses((status = 200, body = wire::Ack)))]
pub async fn set_role(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, account)): ApiPath<(i64, String)>,
    ApiJson(req): ApiJson<wire::RoleRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::set_role(&state.core, &caller, id, &account, req.role).await?))
}

/// `PUT /v1/conversations/{id}/members/{account}/mute`: stops a member posting until then.
#[utoipa::path(put, path = "/v1/conversations/{id}/members/{account}/mute", tag = "conversations",
    security(("bearer" = [])), params(("id" = i64, Path), ("account" = String, Path)),
    request_body = wire::MuteMemberRequest, responses((status = 200, body = wire::Ack)))]
pub async fn mute_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, account)): ApiPath<(i64, String)>,
    ApiJson(req): ApiJson<wire::MuteMemberRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::mute_member(&state.core, &caller, id, &account, req.until_ms).await?))
}

/// `POST /v1/conversations/{id}/owner`: hands the group to `member`.
#[utoipa::path(post, path = "/v1/conversations/{id}/owner", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::MemberChange, responses((status = 200, body = wire::Ack)))]
pub async fn transfer_ownership(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::MemberChange>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::transfer_ownership(&state.core, &caller, id, &req.member).await?))
}

/// `POST /v1/conversations/{id}/leave`.
#[utoipa::path(post, path = "/v1/conversations/{id}/leave", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::Ack)))]
pub async fn leave(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::leave(&state.core, &caller, id).await?))
}

/// `PATCH /v1/conversations/{id}/settings`: the caller's pinned, muted and draft.
#[utoipa::path(patch, path = "/v1/conversations/{id}/settings", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::SettingsRequest, responses((status = 200, body = wire::Conversation)))]
pub async fn update_settings(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::SettingsRequest>,
) -> ApiResult<wire::Conversation> {
    Ok(Json(ops::update_settings(&state.core, &caller, id, req).await?))
}

/// `POST /v1/conversations/{id}/messages`: sends a message; answered once it is durable.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::SendRequest,
    responses((status = 200, body = wire::Ack), (status = 403, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::SendRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::send(&state.core, &caller, id, req).await?))
}

/// `GET /v1/conversations/{id}/messages`: a page of the log by seq, oldest first.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), wire::HistoryQuery), responses((status = 200, body = wire::EntryPage)))]
pub async fn get_messages(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<wire::HistoryQuery>,
) -> ApiResult<wire::EntryPage> {
    Ok(Json(ops::get_messages(&state.core, &caller, id, q).await?))
}

/// `GET /v1/conversations/{id}/threads/{root}`: a page of one thread's replies, with its root.
#[utoipa::path(get, path = "/v1/conversations/{id}/threads/{root}", tag = "threads", security(("bearer" = [])),
    params(("id" = i64, Path), ("root" = i64, Path), wire::HistoryQuery),
    responses((status = 200, body = wire::ThreadPage), (status = 404, body = wire::ErrorBody)))]
pub async fn get_thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, root)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<wire::HistoryQuery>,
) -> ApiResult<wire::ThreadPage> {
    Ok(Json(ops::get_thread(&state.core, &caller, id, root, q).await?))
}

/// `PATCH /v1/conversations/{id}/threads/{root}`: follows or unfollows a thread, and reads it
/// up to a seq.
#[utoipa::path(patch, path = "/v1/conversations/{id}/threads/{root}", tag = "threads", security(("bearer" = [])),
    params(("id" = i64, Path), ("root" = i64, Path)), request_body = wire::UpdateThreadRequest,
    responses((status = 200, body = wire::Thread), (status = 404, body = wire::ErrorBody)))]
pub async fn update_thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, root)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<wire::UpdateThreadRequest>,
) -> ApiResult<wire::Thread> {
    Ok(Json(ops::update_thread(&state.core, &caller, id, root, req).await?))
}

/// `GET /v1/threads`: the threads the caller follows, the newest reply first.
#[utoipa::path(get, path = "/v1/threads", tag = "threads", security(("bearer" = [])),
    params(wire::ThreadsQuery), responses((status = 200, body = wire::ThreadList)))]
pub async fn list_threads(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::ThreadsQuery>,
) -> ApiResult<wire::ThreadList> {
    Ok(Json(ops::list_threads(&state.core, &caller, q).await?))
}

/// `GET /v1/conversations/{id}/shared`: what the conversation shares of one kind (images,
/// files or links), newest first, as the caller may read it.
#[utoipa::path(get, path = "/v1/conversations/{id}/shared", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), wire::SharedQuery), responses((status = 200, body = wire::SharedPage)))]
pub async fn get_shared(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<wire::SharedQuery>,
) -> ApiResult<wire::SharedPage> {
    Ok(Json(ops::shared(&state.core, &caller, id, q).await?))
}

/// `GET /v1/link-preview?url=…`: what the page at `url` says of itself, fetched by the server
/// (from its cache when it can); `404` when the page gives no preview, `403` when previews are
/// off.
#[utoipa::path(get, path = "/v1/link-preview", tag = "messages", security(("bearer" = [])),
    params(wire::LinkPreviewQuery),
    responses((status = 200, body = wire::LinkPreview), (status = 404, body = wire::ErrorBody)))]
pub async fn link_preview(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::LinkPreviewQuery>,
) -> ApiResult<wire::LinkPreview> {
    Ok(Json(ops::link_preview(&state.core, &caller, q).await?))
}

/// `PATCH /v1/conversations/{id}/messages/{seq}`: edits one of the caller's messages.
#[utoipa::path(patch, path = "/v1/conversations/{id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("seq" = i64, Path)), request_body = wire::EditRequest,
    responses((status = 200, body = wire::Ack)))]
pub async fn edit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<wire::EditRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::edit(&state.core, &caller, id, seq, req).await?))
}

/// `DELETE /v1/conversations/{id}/messages/{seq}`: recalls a message.
#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("seq" = i64, Path), wire::RecallRequest), responses((status = 200, body = wire::Ack)))]
pub async fn recall(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
    ApiQuery(req): ApiQuery<wire::RecallRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::recall(&state.core, &caller, id, seq, req).await?))
}

/// `POST /v1/conversations/{id}/messages/{seq}/reactions`.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages/{seq}/reactions", tag = "messages",
    security(("bearer" = [])), params(("id" = i64, Path), ("seq" = i64, Path)), request_body = wire::ReactRequest,
    responses((status = 200, body = wire::Ack)))]
pub async fn react(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<wire::ReactRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::react(&state.core, &caller, id, seq, req).await?))
}

/// `POST /v1/conversations/{id}/messages/{seq}/actions`: presses a button of an app's
/// interactive card; the app's answer may update the card (an edit by its bot).
#[utoipa::path(post, path = "/v1/conversations/{id}/messages/{seq}/actions", tag = "messages",
    security(("bearer" = [])), params(("id" = i64, Path), ("seq" = i64, Path)), request_body = wire::CardActionRequest,
    responses((status = 200, body = wire::CardActionResult),
        (status = 404, description = "not_found: no such conversation or message for the caller", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: seq (not an interactive card, or not an app's), action (no such button), inputs.{id}", body = wire::ErrorBody),
        (status = 502, description = "app_failed: the app did not answer in time, answered an error, or answered a card that is not valid", body = wire::ErrorBody),
        (status = 503, description = "unavailable: too many actions wait for their apps", body = wire::ErrorBody)))]
pub async fn card_action(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
    ApiJson(req): ApiJson<wire::CardActionRequest>,
) -> ApiResult<wire::CardActionResult> {
    Ok(Json(ops::card_action(&state.core, &caller, id, seq, req).await?))
}

/// `GET /v1/conversations/{id}/messages/{seq}/receipts`: who has read a message.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages/{seq}/receipts", tag = "messages",
    security(("bearer" = [])), params(("id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, body = wire::Receipts)))]
pub async fn get_receipts(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
) -> ApiResult<wire::Receipts> {
    Ok(Json(ops::get_receipts(&state.core, &caller, id, seq).await?))
}

/// `POST /v1/conversations/{id}/forward`: forwards messages of another conversation here.
#[utoipa::path(post, path = "/v1/conversations/{id}/forward", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::ForwardRequest, responses((status = 200, body = wire::Ack)))]
pub async fn forward(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::ForwardRequest>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::forward(&state.core, &caller, id, req).await?))
}

/// `POST /v1/conversations/{id}/hide`: deletes entries for the caller only.
#[utoipa::path(post, path = "/v1/conversations/{id}/hide", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::HideRequest, responses((status = 204)))]
pub async fn hide(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::HideRequest>,
) -> Result<StatusCode, ApiError> {
    ops::hide(&state.core, &caller, id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/conversations/{id}/pins`: the pinned messages the caller may read, the latest pin
/// first.
#[utoipa::path(get, path = "/v1/conversations/{id}/pins", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::PinList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_pins(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::PinList> {
    Ok(Json(ops::list_pins(&state.core, &caller, id).await?))
}

/// `PUT /v1/conversations/{id}/pins/{seq}`: pins a message for every member (both members of a
/// direct chat; the owner and admins of a group or channel).
#[utoipa::path(put, path = "/v1/conversations/{id}/pins/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, description = "the `message_pinned` notice's place", body = wire::Ack),
        (status = 403, body = wire::ErrorBody), (status = 409, description = "already pinned", body = wire::ErrorBody),
        (status = 422, description = "as many pins as the conversation may have", body = wire::ErrorBody)))]
pub async fn pin(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::pin(&state.core, &caller, id, seq, true).await?))
}

/// `DELETE /v1/conversations/{id}/pins/{seq}`: unpins a message.
#[utoipa::path(delete, path = "/v1/conversations/{id}/pins/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, description = "the `message_unpinned` notice's place", body = wire::Ack),
        (status = 404, description = "not pinned", body = wire::ErrorBody)))]
pub async fn unpin(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq)): ApiPath<(i64, i64)>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::pin(&state.core, &caller, id, seq, false).await?))
}

/// `POST /v1/conversations/{id}/read`: marks the conversation read up to `seq`.
#[utoipa::path(post, path = "/v1/conversations/{id}/read", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::MarkRequest, responses((status = 200, body = wire::Conversation)))]
pub async fn mark_read(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::MarkRequest>,
) -> ApiResult<wire::Conversation> {
    Ok(Json(ops::mark_read(&state.core, &caller, id, req).await?))
}

/// `POST /v1/conversations/{id}/delivered`: marks entries up to `seq` as received.
#[utoipa::path(post, path = "/v1/conversations/{id}/delivered", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::MarkRequest, responses((status = 200, body = wire::Conversation)))]
pub async fn mark_delivered(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::MarkRequest>,
) -> ApiResult<wire::Conversation> {
    Ok(Json(ops::mark_delivered(&state.core, &caller, id, req).await?))
}

/// `GET /v1/sync`: account events and conversation activity after the caller's cursors.
#[utoipa::path(get, path = "/v1/sync", tag = "messages", security(("bearer" = [])),
    params(wire::SyncRequest), responses((status = 200, body = wire::SyncResponse)))]
pub async fn sync(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SyncRequest>,
) -> ApiResult<wire::SyncResponse> {
    Ok(Json(ops::sync(&state.core, &caller, q).await?))
}

/// `POST /v1/saved`: saves a copy of a message the caller can read; a message saved before
/// answers its item as it is.
#[utoipa::path(post, path = "/v1/saved", tag = "saved", security(("bearer" = [])),
    request_body = wire::SaveRequest,
    responses((status = 200, body = wire::SavedItem), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "as many saved messages as an account may have", body = wire::ErrorBody)))]
pub async fn save_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::SaveRequest>,
) -> ApiResult<wire::SavedItem> {
    Ok(Json(ops::save_message(&state.core, &caller, req).await?))
}

/// `GET /v1/saved`: the caller's saved messages, newest first.
#[utoipa::path(get, path = "/v1/saved", tag = "saved", security(("bearer" = [])),
    params(wire::SavedQuery), responses((status = 200, body = wire::SavedPage)))]
pub async fn list_saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::SavedQuery>,
) -> ApiResult<wire::SavedPage> {
    Ok(Json(ops::list_saved(&state.core, &caller, q).await?))
}

/// `GET /v1/saved/{id}`.
#[utoipa::path(get, path = "/v1/saved/{id}", tag = "saved", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::SavedItem), (status = 404, body = wire::ErrorBody)))]
pub async fn get_saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::SavedItem> {
    Ok(Json(ops::get_saved(&state.core, &caller, id).await?))
}

/// `PATCH /v1/saved/{id}`: sets or clears the note.
#[utoipa::path(patch, path = "/v1/saved/{id}", tag = "saved", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::UpdateSavedRequest,
    responses((status = 200, body = wire::SavedItem), (status = 404, body = wire::ErrorBody)))]
pub async fn update_saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::UpdateSavedRequest>,
) -> ApiResult<wire::SavedItem> {
    Ok(Json(ops::update_saved(&state.core, &caller, id, req).await?))
}

/// `DELETE /v1/saved/{id}`: removes a saved message.
#[utoipa::path(delete, path = "/v1/saved/{id}", tag = "saved", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn remove_saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    ops::remove_saved(&state.core, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/conversations/{id}/scheduled`: schedules a message, checked as a send would be
/// now, to be sent at `send_at_ms`.
#[utoipa::path(post, path = "/v1/conversations/{id}/scheduled", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::ScheduleRequest,
    responses((status = 200, body = wire::ScheduledMessage), (status = 404, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody),
        (status = 422, description = "an invalid message or time, or as many scheduled messages as an account may have", body = wire::ErrorBody)))]
pub async fn schedule_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::ScheduleRequest>,
) -> ApiResult<wire::ScheduledMessage> {
    Ok(Json(ops::schedule_message(&state.core, &caller, id, req).await?))
}

/// `GET /v1/conversations/{id}/scheduled`: the caller's scheduled messages in one
/// conversation, the earliest first.
#[utoipa::path(get, path = "/v1/conversations/{id}/scheduled", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::ScheduledList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_conversation_scheduled(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::ScheduledList> {
    Ok(Json(ops::list_scheduled(&state.core, &caller, Some(id)).await?))
}

/// `GET /v1/scheduled`: all the caller's scheduled messages, the earliest first.
#[utoipa::path(get, path = "/v1/scheduled", tag = "scheduled", security(("bearer" = [])),
    responses((status = 200, body = wire::ScheduledList)))]
pub async fn list_scheduled(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::ScheduledList> {
    Ok(Json(ops::list_scheduled(&state.core, &caller, None).await?))
}

/// `GET /v1/scheduled/{id}`.
#[utoipa::path(get, path = "/v1/scheduled/{id}", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::ScheduledMessage), (status = 404, body = wire::ErrorBody)))]
pub async fn get_scheduled(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::ScheduledMessage> {
    Ok(Json(ops::get_scheduled(&state.core, &caller, id).await?))
}

/// `PATCH /v1/scheduled/{id}`: changes a scheduled message's time, body or mentions; a failed
/// one waits again.
#[utoipa::path(patch, path = "/v1/scheduled/{id}", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::UpdateScheduledRequest,
    responses((status = 200, body = wire::ScheduledMessage), (status = 404, body = wire::ErrorBody),
        (status = 409, description = "it is being sent", body = wire::ErrorBody)))]
pub async fn update_scheduled(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::UpdateScheduledRequest>,
) -> ApiResult<wire::ScheduledMessage> {
    Ok(Json(ops::update_scheduled(&state.core, &caller, id, req).await?))
}

/// `DELETE /v1/scheduled/{id}`: cancels a scheduled message.
#[utoipa::path(delete, path = "/v1/scheduled/{id}", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody),
        (status = 409, description = "it is being sent", body = wire::ErrorBody)))]
pub async fn cancel_scheduled(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    ops::cancel_scheduled(&state.core, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/scheduled/{id}/send`: sends a scheduled message now.
#[utoipa::path(post, path = "/v1/scheduled/{id}/send", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = wire::Ack), (status = 404, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody),
        (status = 409, description = "it is being sent", body = wire::ErrorBody)))]
pub async fn send_scheduled(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::Ack> {
    Ok(Json(ops::send_scheduled(&state.core, &caller, id).await?))
}

/// `GET /v1/contacts`: the caller's contacts, by login name.
#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = wire::ProfileList)))]
pub async fn list_contacts(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::ProfileList> {
    Ok(Json(ops::list_contacts(&state.core, &caller).await?))
}

/// `DELETE /v1/contacts/{account}`: ends a friendship for both sides.
#[utoipa::path(delete, path = "/v1/contacts/{account}", tag = "contacts", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn remove_contact(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.contacts.remove(&caller, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/contacts/requests`: pending requests to and from the caller.
#[utoipa::path(get, path = "/v1/contacts/requests", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = wire::PendingRequestList)))]
pub async fn list_friend_requests(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<wire::PendingRequestList> {
    Ok(Json(ops::list_friend_requests(&state.core, &caller).await?))
}

/// `POST /v1/contacts/requests`: asks an account of the caller's domain to become a contact.
#[utoipa::path(post, path = "/v1/contacts/requests", tag = "contacts", security(("bearer" = [])),
    request_body = wire::FriendRequestRequest, responses((status = 200, body = wire::FriendRequestAnswer)))]
pub async fn send_friend_request(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::FriendRequestRequest>,
) -> ApiResult<wire::FriendRequestAnswer> {
    Ok(Json(ops::send_friend_request(&state.core, &caller, req).await?))
}

/// `POST /v1/contacts/requests/{account}/accept`: accepts `account`'s request.
#[utoipa::path(post, path = "/v1/contacts/requests/{account}/accept", tag = "contacts", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn accept_friend_request(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.contacts.accept(&caller, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/contacts/requests/{account}`: declines `account`'s request or withdraws the
/// caller's own.
#[utoipa::path(delete, path = "/v1/contacts/requests/{account}", tag = "contacts", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn reject_friend_request(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.contacts.reject(&caller, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/blocks`: accounts the caller blocks.
#[utoipa::path(get, path = "/v1/blocks", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = wire::ProfileList)))]
pub async fn list_blocked(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::ProfileList> {
    Ok(Json(ops::list_blocked(&state.core, &caller).await?))
}

/// `PUT /v1/blocks/{account}`: blocks an account.
#[utoipa::path(put, path = "/v1/blocks/{account}", tag = "contacts", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204)))]
pub async fn block(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.contacts.block(&caller, &account, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/blocks/{account}`: unblocks an account.
#[utoipa::path(delete, path = "/v1/blocks/{account}", tag = "contacts", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204)))]
pub async fn unblock(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.contacts.block(&caller, &account, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/conversations/{id}/typing`: the caller is typing (relayed at most every 2 s).
#[utoipa::path(post, path = "/v1/conversations/{id}/typing", tag = "presence", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn typing(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.presence.typing(&caller, magpie_core::model::ConversationId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/me/presence`: the caller's status and status text.
#[utoipa::path(put, path = "/v1/me/presence", tag = "presence", security(("bearer" = [])),
    request_body = wire::SetPresenceRequest, responses((status = 200, body = wire::Presence)))]
pub async fn set_presence(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::SetPresenceRequest>,
) -> ApiResult<wire::Presence> {
    Ok(Json(ops::set_presence(&state.core, &caller, req).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceParams {
    /// Comma-separated `name@domain` list.
    accounts: String,
}

/// `GET /v1/presence?accounts=a@d,b@d`: presence of accounts of the caller's domain.
#[utoipa::path(get, path = "/v1/presence", tag = "presence", security(("bearer" = [])),
    params(PresenceParams), responses((status = 200, body = wire::PresenceList)))]
pub async fn get_presence(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<PresenceParams>,
) -> ApiResult<wire::PresenceList> {
    let accounts: Vec<String> =
        q.accounts.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
    Ok(Json(ops::get_presence(&state.core, &caller, &accounts).await?))
}

/// `GET /v1/stickers`: the sticker packs of the caller's domain.
#[utoipa::path(get, path = "/v1/stickers", tag = "files", security(("bearer" = [])),
    responses((status = 200, body = wire::StickerPackList)))]
pub async fn list_stickers(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::StickerPackList> {
    Ok(Json(ops::list_stickers(&state.core, &caller).await?))
}

/// `POST /v1/admin/stickers`: a new, empty sticker pack in the caller's domain (domain admins).
#[utoipa::path(post, path = "/v1/admin/stickers", tag = "files", security(("bearer" = [])),
    request_body = wire::CreateStickerPackRequest, responses((status = 200, body = wire::StickerPackInfo)))]
pub async fn create_sticker_pack(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateStickerPackRequest>,
) -> ApiResult<wire::StickerPackInfo> {
    Ok(Json(crate::convert::sticker_pack(&state.core.stickers.create_pack(&caller, &req.name).await?)))
}

/// `POST /v1/admin/stickers/{pack}/stickers`: adds one of the caller's image files to a pack.
#[utoipa::path(post, path = "/v1/admin/stickers/{pack}/stickers", tag = "files", security(("bearer" = [])),
    params(("pack" = String, Path)), request_body = wire::AddStickerRequest,
    responses((status = 200, body = wire::StickerPackInfo)))]
pub async fn add_sticker(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(pack): ApiPath<String>,
    ApiJson(req): ApiJson<wire::AddStickerRequest>,
) -> ApiResult<wire::StickerPackInfo> {
    let pack = magpie_core::stickers::parse_pack_id(&pack).ok_or(magpie_core::Error::NotFound("sticker pack"))?;
    let file = magpie_core::files::FileId::parse(&req.file)
        .map_err(|_| magpie_core::Error::invalid("file", "no such file"))?;
    let pack = state.core.stickers.add(&caller, pack, &file, req.emoji.as_deref()).await?;
    Ok(Json(crate::convert::sticker_pack(&pack)))
}

/// `GET /v1/notifications`: the caller's notification centre, newest first, with the unread
/// count.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(wire::NotificationsQuery), responses((status = 200, body = wire::NotificationPage)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::NotificationsQuery>,
) -> ApiResult<wire::NotificationPage> {
    Ok(Json(ops::list_notifications(&state.core, &caller, q).await?))
}

/// `POST /v1/notifications/read`: marks items read (those named, or every one up to `up_to`);
/// the caller's devices hear `notifications_read`. Answers the unread count left.
#[utoipa::path(post, path = "/v1/notifications/read", tag = "notifications", security(("bearer" = [])),
    request_body = wire::ReadNotificationsRequest,
    responses((status = 200, body = wire::NotificationsUnread), (status = 400, body = wire::ErrorBody)))]
pub async fn read_notifications(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::ReadNotificationsRequest>,
) -> ApiResult<wire::NotificationsUnread> {
    Ok(Json(ops::read_notifications(&state.core, &caller, req).await?))
}

/// `POST /v1/admin/announcements`: an administrator's announcement, an item in the
/// notification centre of every enabled account of the domain (the caller's if none is named).
#[utoipa::path(post, path = "/v1/admin/announcements", tag = "admin", security(("bearer" = [])),
    request_body = wire::AnnounceRequest,
    responses((status = 200, body = wire::Announced), (status = 400, body = wire::ErrorBody),
        (status = 404, description = "not a domain the caller administers", body = wire::ErrorBody)))]
pub async fn announce(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::AnnounceRequest>,
) -> ApiResult<wire::Announced> {
    let name = req.domain.unwrap_or_else(|| caller.account.addr.domain.to_string());
    let actor = magpie_core::model::Actor::Account(&caller);
    let domain = state.core.accounts.admin_domain(actor, &name).await?;
    let notified = state.core.inbox.announce(&caller, &domain, &req.text).await?;
    Ok(Json(wire::Announced { notified }))
}
