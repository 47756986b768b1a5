//! Wallets (issue 21): the caller's wallet (`/v1/wallet`), administrators' credits, and a
//! domain's reconciliation.

use axum::Json;
use axum::extract::State;
use magpie_core::ledger::{Applied, Fen};
use magpie_core::model::Actor;
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

/// Lines per page of `GET /v1/wallet` when the client names none.
const WALLET_PAGE_LEN_DEFAULT: u32 = 20;

/// What moved the money, from the movement's key (`credit:…`, and later `packet:…`, …).
fn kind_of(key: &str) -> String {
    key.split_once(':').map_or(key, |(kind, _)| kind).to_owned()
}

/// `GET /v1/wallet`: the caller's balance and a page of its bill history, newest first.
#[utoipa::path(get, path = "/v1/wallet", tag = "wallets", security(("bearer" = [])),
    params(wire::WalletQuery),
    responses((status = 200, body = wire::Wallet), (status = 422, description = "invalid_field: limit", body = wire::ErrorBody)))]
pub async fn wallet(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<wire::WalletQuery>,
) -> Result<Json<wire::Wallet>, ApiError> {
    let limit = query.limit.unwrap_or(WALLET_PAGE_LEN_DEFAULT);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let wallet = state.core.wallets.mine(&caller, query.before, limit).await?;
    Ok(Json(wire::Wallet {
        balance_fen: wallet.balance.0,
        lines: wallet
            .lines
            .into_iter()
            .map(|l| wire::WalletLine {
                movement: l.movement,
                kind: kind_of(&l.key),
                amount_fen: l.amount,
                balance_after_fen: l.balance_after,
                at_ms: l.at_ms,
            })
            .collect(),
        more: wallet.more,
    }))
}

/// `POST /v1/admin/accounts/{account}/wallet/credits`: an administrator of the account's
/// domain credits its wallet from the internal provider, once under the request's key.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/wallet/credits", tag = "wallets", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::CreditRequest,
    responses((status = 200, body = wire::Credited),
        (status = 404, description = "not_found: no such account the caller administers", body = wire::ErrorBody),
        (status = 409, description = "already_exists: the key was used for another credit", body = wire::ErrorBody),
        (status = 413, description = "too_large: reason", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: amount_fen, key or account", body = wire::ErrorBody)))]
pub async fn admin_credit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreditRequest>,
) -> Result<Json<wire::Credited>, ApiError> {
    let actor = Actor::Account(&caller);
    let credited =
        state.core.wallets.credit(actor, &account, Fen(req.amount_fen), &req.key, req.reason.as_deref()).await?;
    Ok(Json(wire::Credited { moved: credited.applied == Applied::Moved, balance_fen: credited.balance.0 }))
}

/// `GET /v1/admin/domains/{domain}/ledger`: the domain's reconciliation.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/ledger", tag = "wallets", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::Reconciliation), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_ledger(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> Result<Json<wire::Reconciliation>, ApiError> {
    let (domain, held, net_in) = state.core.wallets.reconciliation(Actor::Account(&caller), &domain).await?;
    Ok(Json(wire::Reconciliation { domain, held_fen: held.0, net_in_fen: net_in.0, balanced: held == net_in }))
}
