//! A domain's forbidden words: `GET` and `PUT /v1/admin/domains/{domain}/moderation`.

use axum::Json;
use axum::extract::State;
use magpie_core::model::Actor;
use magpie_core::moderation::{ModerationAction, ModerationRules};
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, Authed};
use crate::{ApiError, AppState};

fn to_wire(rules: ModerationRules) -> wire::ModerationRules {
    let action = match rules.action {
        ModerationAction::Block => wire::ModerationAction::Block,
        ModerationAction::Mask => wire::ModerationAction::Mask,
    };
    wire::ModerationRules { action, words: rules.words }
}

/// `GET /v1/admin/domains/{domain}/moderation`: the domain's forbidden words (its admins).
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/moderation", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::ModerationRules), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_moderation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> Result<Json<wire::ModerationRules>, ApiError> {
    Ok(Json(to_wire(state.core.moderation.rules(Actor::Account(&caller), &domain).await?)))
}

/// `PUT /v1/admin/domains/{domain}/moderation`: replaces the domain's forbidden words.
#[utoipa::path(put, path = "/v1/admin/domains/{domain}/moderation", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::ModerationRules,
    responses((status = 200, body = wire::ModerationRules), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn admin_set_moderation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::ModerationRules>,
) -> Result<Json<wire::ModerationRules>, ApiError> {
    let action = match req.action {
        wire::ModerationAction::Block => ModerationAction::Block,
        wire::ModerationAction::Mask => ModerationAction::Mask,
    };
    let rules = ModerationRules { action, words: req.words };
    Ok(Json(to_wire(state.core.moderation.set_rules(Actor::Account(&caller), &domain, rules).await?)))
}
