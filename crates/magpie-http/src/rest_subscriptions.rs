//! Outgoing webhooks (`/v1/bots/{account}/subscriptions`): the event subscriptions of a bot,
//! made by the people who manage it; and the body of the requests Magpie sends to apps.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use magpie_core::model::Actor;
use magpie_core::webhooks::{Delivery, IssuedSubscription, Subscription, SubscriptionChange, SubscriptionRequest};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, Authed};
use crate::{ApiError, AppState, convert};

type ApiResult<T> = Result<Json<T>, ApiError>;

fn subscription(s: &Subscription) -> wire::EventSubscription {
    wire::EventSubscription {
        id: s.id,
        url: s.url.clone(),
        events: s.events.iter().map(|k| k.as_str().to_owned()).collect(),
        enabled: s.enabled,
        failures: s.failures,
        last_error: s.last_error.clone(),
        last_success_ms: s.last_success_ms,
        disabled_at_ms: s.disabled_at_ms,
        pending: s.pending,
        dropped: s.dropped,
        created_at_ms: s.created_at_ms,
    }
}

fn issued(made: IssuedSubscription) -> wire::IssuedEventSubscription {
    wire::IssuedEventSubscription { secret: made.secret, info: subscription(&made.subscription) }
}

/// The JSON body of one request to an app ([`wire::WebhookDelivery`]).
pub fn webhook_body(delivery: &Delivery<'_>) -> Vec<u8> {
    let body = wire::WebhookDelivery {
        subscription: delivery.subscription,
        bot: delivery.bot.to_string(),
        events: delivery
            .events
            .iter()
            .map(|e| wire::WebhookEvent {
                id: e.id.clone(),
                kind: e.kind.as_str().to_owned(),
                conversation: e.conversation.0,
                seq: e.seq.0,
                entry: e.entry.as_ref().map(convert::entry),
            })
            .collect(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `GET /v1/bots/{account}/subscriptions`: the bot's event subscriptions, oldest first.
#[utoipa::path(get, path = "/v1/bots/{account}/subscriptions", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)),
    responses((status = 200, body = wire::EventSubscriptionList), (status = 404, body = wire::ErrorBody)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::EventSubscriptionList> {
    let list = state.core.webhooks.list(Actor::Account(&caller), &account).await?;
    Ok(Json(wire::EventSubscriptionList { subscriptions: list.iter().map(subscription).collect() }))
}

/// `POST /v1/bots/{account}/subscriptions`: subscribes the bot's app to events; the secret
/// that signs them is answered now and never again.
#[utoipa::path(post, path = "/v1/bots/{account}/subscriptions", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::CreateEventSubscriptionRequest,
    responses((status = 201, body = wire::IssuedEventSubscription), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "invalid_field (url, events), or limit_exceeded: 10 per bot", body = wire::ErrorBody),
        (status = 503, description = "unavailable: this server sends no webhooks", body = wire::ErrorBody)))]
pub async fn create_subscription(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateEventSubscriptionRequest>,
) -> Result<(StatusCode, Json<wire::IssuedEventSubscription>), ApiError> {
    let request = SubscriptionRequest { url: req.url, events: req.events };
    let made = state.core.webhooks.create(Actor::Account(&caller), &account, request).await?;
    Ok((StatusCode::CREATED, Json(issued(made))))
}

/// `PATCH /v1/bots/{account}/subscriptions/{id}`: changes the URL or events, or enables or
/// disables it.
#[utoipa::path(patch, path = "/v1/bots/{account}/subscriptions/{id}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)), request_body = wire::UpdateEventSubscriptionRequest,
    responses((status = 200, body = wire::EventSubscription), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn update_subscription(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<wire::UpdateEventSubscriptionRequest>,
) -> ApiResult<wire::EventSubscription> {
    let change = SubscriptionChange { url: req.url, events: req.events, enabled: req.enabled };
    let after = state.core.webhooks.update(Actor::Account(&caller), &account, id, change).await?;
    Ok(Json(subscription(&after)))
}

/// `DELETE /v1/bots/{account}/subscriptions/{id}`: ends it; its waiting events are dropped.
#[utoipa::path(delete, path = "/v1/bots/{account}/subscriptions/{id}", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn delete_subscription(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state.core.webhooks.delete(Actor::Account(&caller), &account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/bots/{account}/subscriptions/{id}/rotate`: a new secret; the old one stops
/// signing at once.
#[utoipa::path(post, path = "/v1/bots/{account}/subscriptions/{id}/rotate", tag = "bots", security(("bearer" = [])),
    params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 201, body = wire::IssuedEventSubscription), (status = 404, body = wire::ErrorBody)))]
pub async fn rotate_subscription(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<(StatusCode, Json<wire::IssuedEventSubscription>), ApiError> {
    let made = state.core.webhooks.rotate_secret(Actor::Account(&caller), &account, id).await?;
    Ok((StatusCode::CREATED, Json(issued(made))))
}
