//! Bots (`/v1/bots`): making and managing them, their tokens and their incoming webhooks; and
//! the webhooks themselves (`POST /v1/hooks/{token}`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use magpie_core::bots::{self, Bot, BotRequest, BotUpdate, IssuedToken, TokenRequest};
use magpie_core::model::{Actor, ConversationId, Session, SessionId};
use magpie_wire as wire;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState, ops};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The longest body `POST /v1/hooks/{token}` reads (a Slack payload with a long text).
pub const HOOK_BODY_BYTES_MAX: usize = 256 * 1024;

fn bot(b: &Bot) -> wire::Bot {
    wire::Bot {
        account: b.account.addr.to_string(),
        display_name: b.account.profile.display_name.clone(),
        avatar: b.account.profile.avatar.clone(),
        description: b.description.clone(),
        owner: b.owner_addr.as_ref().map(ToString::to_string),
        disabled: b.account.disabled,
        created_at_ms: b.account.created_at_ms,
    }
}

fn token(s: &Session) -> wire::BotToken {
    let scope = s.scope.clone().unwrap_or(magpie_core::model::TokenScope {
        conversations: None,
        read: true,
        send: true,
        hook: false,
        app: None,
    });
    wire::BotToken {
        id: s.id.0,
        name: s.device.clone().unwrap_or_default(),
        scope: wire::TokenScope {
            conversations: scope.conversations.map(|c| c.into_iter().map(|c| c.0).collect()),
            read: scope.read,
            send: scope.send,
        },
        created_at_ms: s.created_at_ms,
        last_used_at_ms: s.last_seen_at_ms,
        expires_at_ms: (s.expires_at_ms != i64::MAX).then_some(s.expires_at_ms),
    }
}

fn webhook(s: &Session) -> wire::IncomingWebhook {
    let conversation = s.scope.as_ref().and_then(|sc| sc.conversations.as_ref()).and_then(|c| c.first());
    wire::IncomingWebhook {
        id: s.id.0,
        name: s.device.clone().unwrap_or_default(),
        conversation: conversation.map_or(0, |c| c.0),
        created_at_ms: s.created_at_ms,
        last_used_at_ms: s.last_seen_at_ms,
    }
}

fn issued(t: IssuedToken) -> wire::IssuedBotToken {
    wire::IssuedBotToken { info: token(&t.session), token: t.token }
}

fn created_hook(t: IssuedToken) -> wire::CreatedWebhook {
    wire::CreatedWebhook { path: format!("/v1/hooks/{}", t.token), webhook: webhook(&t.session) }
}

/// That `id` is one of the bot's tokens (`hook` false) or incoming webhooks (`hook` true), for
/// someone who manages the bot: a token's id does not name a webhook, nor the other way.
async fn one_of_the_bots(
    state: &AppState,
    caller: &magpie_core::model::Principal,
    account: &str,
    id: i64,
    hook: bool,
) -> Result<(), ApiError> {
    let actor = Actor::Account(caller);
    let live = if hook {
        state.core.bots.hooks(actor, account).await?
    } else {
        state.core.bots.tokens(actor, account).await?
    };
    if live.iter().any(|t| t.id.0 == id) {
        Ok(())
    } else {
        Err(magpie_core::Error::NotFound(if hook { "webhook" } else { "token" }).into())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BotListParams {
    /// The domain whose bots to list (a server administrator's); the caller's own by default.
    domain: Option<String>,
}

/// `GET /v1/bots`: the bots the caller manages: all of the domain's for its administrators,
/// a member's own otherwise.
#[utoipa::path(get, path = "/v1/bots", tag = "bots", security(("bearer" = [])), params(BotListParams),
    responses((status = 200, body = wire::BotList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_bots(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<BotListParams>,
) -> ApiResult<wire::BotList> {
    let bots = state.core.bots.list(Actor::Account(&caller), q.domain.as_deref()).await?;
    Ok(Json(wire::BotList { bots: bots.iter().map(bot).collect() }))
}

/// `POST /v1/bots`: makes a bot (domain administrators; members where the domain lets them).
#[utoipa::path(post, path = "/v1/bots", tag = "bots", security(("bearer" = [])), request_body = wire::CreateBotRequest,
    responses((status = 201, body = wire::Bot), (status = 403, body = wire::ErrorBody),
        (status = 409, description = "already_exists: the name is taken", body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn create_bot(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateBotRequest>,
) -> Result<(StatusCode, Json<wire::Bot>), ApiError> {
    let request =
        BotRequest { name: req.name, domain: req.domain, display_name: req.display_name, description: req.description };
    let made = state.core.bots.create(Actor::Account(&caller), request).await?;
    Ok((StatusCode::CREATED, Json(bot(&made))))
}

/// `GET /v1/bots/{account}`: one bot, for those who manage it.
#[utoipa::path(get, path = "/v1/bots/{account}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::Bot), (status = 404, body = wire::ErrorBody)))]
pub async fn get_bot(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::Bot> {
    Ok(Json(bot(&state.core.bots.get(Actor::Account(&caller), &account).await?)))
}

/// `PATCH /v1/bots/{account}`: its name, description or avatar; turns it off or on.
#[utoipa::path(patch, path = "/v1/bots/{account}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::UpdateBotRequest,
    responses((status = 200, body = wire::Bot), (status = 404, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
pub async fn update_bot(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::UpdateBotRequest>,
) -> ApiResult<wire::Bot> {
    let actor = Actor::Account(&caller);
    let update = BotUpdate { display_name: req.display_name, description: req.description, avatar: req.avatar };
    let mut updated = state.core.bots.update(actor, &account, update).await?;
    if let Some(disabled) = req.disabled
        && disabled != updated.account.disabled
    {
        updated = state.core.bots.set_disabled(actor, &account, disabled).await?;
    }
    Ok(Json(bot(&updated)))
}

/// `GET /v1/bots/{account}/tokens`: the bot's live tokens, newest first (not the secrets).
#[utoipa::path(get, path = "/v1/bots/{account}/tokens", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::BotTokenList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::BotTokenList> {
    let tokens = state.core.bots.tokens(Actor::Account(&caller), &account).await?;
    Ok(Json(wire::BotTokenList { tokens: tokens.iter().map(token).collect() }))
}

/// `POST /v1/bots/{account}/tokens`: makes a token; its secret is answered now and never again.
#[utoipa::path(post, path = "/v1/bots/{account}/tokens", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::CreateBotTokenRequest,
    responses((status = 201, body = wire::IssuedBotToken), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "invalid_field; limit_exceeded: 50 tokens and webhooks", body = wire::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateBotTokenRequest>,
) -> Result<(StatusCode, Json<wire::IssuedBotToken>), ApiError> {
    let request = TokenRequest {
        name: req.name,
        conversations: req.conversations.map(|c| c.into_iter().map(ConversationId).collect()),
        read: req.read,
        send: req.send,
        ttl_days: req.ttl_days,
    };
    let made = state.core.bots.issue_token(Actor::Account(&caller), &account, request).await?;
    Ok((StatusCode::CREATED, Json(issued(made))))
}

/// `DELETE /v1/bots/{account}/tokens/{id}`: revokes a token; it stops at once, and its
/// WebSockets close.
#[utoipa::path(delete, path = "/v1/bots/{account}/tokens/{id}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    one_of_the_bots(&state, &caller, &account, id, false).await?;
    state.core.bots.revoke_token(Actor::Account(&caller), &account, SessionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/bots/{account}/tokens/{id}/rotate`: a new secret of the same name and scope; the
/// old one stops at once.
#[utoipa::path(post, path = "/v1/bots/{account}/tokens/{id}/rotate", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 201, body = wire::IssuedBotToken), (status = 404, body = wire::ErrorBody)))]
pub async fn rotate_token(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<(StatusCode, Json<wire::IssuedBotToken>), ApiError> {
    one_of_the_bots(&state, &caller, &account, id, false).await?;
    let made = state.core.bots.rotate_token(Actor::Account(&caller), &account, SessionId(id)).await?;
    Ok((StatusCode::CREATED, Json(issued(made))))
}

/// `GET /v1/bots/{account}/webhooks`: the bot's incoming webhooks, newest first.
#[utoipa::path(get, path = "/v1/bots/{account}/webhooks", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)),
    responses((status = 200, body = wire::IncomingWebhookList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::IncomingWebhookList> {
    let hooks = state.core.bots.hooks(Actor::Account(&caller), &account).await?;
    Ok(Json(wire::IncomingWebhookList { webhooks: hooks.iter().map(webhook).collect() }))
}

/// `POST /v1/bots/{account}/webhooks`: makes an incoming webhook to a conversation the bot is a
/// member of; its path is answered now and never again.
#[utoipa::path(post, path = "/v1/bots/{account}/webhooks", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::CreateWebhookRequest,
    responses((status = 201, body = wire::CreatedWebhook), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateWebhookRequest>,
) -> Result<(StatusCode, Json<wire::CreatedWebhook>), ApiError> {
    let made = state
        .core
        .bots
        .create_hook(Actor::Account(&caller), &account, ConversationId(req.conversation), &req.name)
        .await?;
    Ok((StatusCode::CREATED, Json(created_hook(made))))
}

/// `DELETE /v1/bots/{account}/webhooks/{id}`: the webhook's URL stops at once.
#[utoipa::path(delete, path = "/v1/bots/{account}/webhooks/{id}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    one_of_the_bots(&state, &caller, &account, id, true).await?;
    state.core.bots.revoke_token(Actor::Account(&caller), &account, SessionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/bots/{account}/webhooks/{id}/rotate`: a new URL for the webhook; the old one stops.
#[utoipa::path(post, path = "/v1/bots/{account}/webhooks/{id}/rotate", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 201, body = wire::CreatedWebhook), (status = 404, body = wire::ErrorBody)))]
pub async fn rotate_webhook(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<(StatusCode, Json<wire::CreatedWebhook>), ApiError> {
    one_of_the_bots(&state, &caller, &account, id, true).await?;
    let made = state.core.bots.rotate_token(Actor::Account(&caller), &account, SessionId(id)).await?;
    Ok((StatusCode::CREATED, Json(created_hook(made))))
}

/// `POST /v1/hooks/{token}`: posts a message to the webhook's conversation as its bot, from
/// Slack's incoming-webhook format or Magpie's own (see [`wire::HookMessage`]); answers `ok`
/// as Slack does, once the message is durable. The token is the secret: no other credential.
#[utoipa::path(post, path = "/v1/hooks/{token}", tag = "bots",
    params(("token" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = wire::HookMessage, content_type = "application/json"),
    responses((status = 200, description = "`ok` (text/plain)", body = String),
        (status = 404, description = "not_found: no such webhook (or it was deleted)", body = wire::ErrorBody),
        (status = 403, description = "forbidden: the bot may not post there now (a channel, mute, a forbidden word)", body = wire::ErrorBody),
        (status = 409, description = "already_exists: the key was used for another message", body = wire::ErrorBody),
        (status = 413, description = "too_large: the text or body is over its limit", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: no text, or a bad body for its kind", body = wire::ErrorBody),
        (status = 429, description = "rate_limited: the webhook's requests per second", body = wire::ErrorBody)))]
pub async fn post_hook(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, [(header::HeaderName, &'static str); 1], &'static str), ApiError> {
    let (principal, conversation) = state.core.bots.hook(&token).await?;
    crate::extract::per_session_limit(&state, &principal).await?;
    let message = hook_message(&headers, &body)?;
    let client_msg_id = match headers.get("idempotency-key").map(|v| v.to_str()) {
        Some(Ok(key)) => Some(key.to_owned()),
        Some(Err(_)) => return Err(magpie_core::Error::invalid("Idempotency-Key", "must be ASCII").into()),
        None => message.client_msg_id.clone(),
    };
    let client_msg_id =
        client_msg_id.unwrap_or_else(|| format!("hook:{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>()));
    let (kind, body) = match (&message.kind, &message.body, &message.text) {
        (Some(kind), Some(body), _) => (kind.clone(), body.clone()),
        (Some(_), None, _) => return Err(magpie_core::Error::invalid("body", "a kind needs its body").into()),
        (None, _, Some(text)) if message.mrkdwn == Some(false) => {
            ("text".to_owned(), serde_json::json!({ "text": text }))
        }
        (None, _, Some(text)) => {
            // Bounded before it is converted (the conversion may lengthen it; the send checks
            // the result again).
            let max = state.core.settings.message_text_chars_max;
            if text.chars().count() > max {
                return Err(magpie_core::Error::too_large("text", max, magpie_core::Unit::Characters).into());
            }
            ("markdown".to_owned(), serde_json::json!({ "text": bots::slack_to_markdown(text) }))
        }
        (None, _, None) => return Err(magpie_core::Error::invalid("text", "give text, or kind and body").into()),
    };
    let send = wire::SendRequest {
        client_msg_id,
        kind,
        body,
        mentions: Vec::new(),
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    ops::send(&state.core, &principal, conversation.0, send).await?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok"))
}

/// The webhook's message: JSON, or a form whose `payload` field is the JSON (Slack takes both).
fn hook_message(headers: &HeaderMap, body: &[u8]) -> Result<wire::HookMessage, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let json: std::borrow::Cow<'_, [u8]> = if form {
        let payload = form_urlencoded::parse(body).find(|(k, _)| k == "payload").map(|(_, v)| v.into_owned());
        match payload {
            Some(p) => p.into_bytes().into(),
            None => return Err(magpie_core::Error::invalid("payload", "a form posts its JSON in `payload`").into()),
        }
    } else {
        body.into()
    };
    serde_json::from_slice(&json).map_err(|e| {
        ApiError::new(wire::ErrorCode::MalformedRequest, format!("the message is not valid JSON of its shape: {e}"))
    })
}
