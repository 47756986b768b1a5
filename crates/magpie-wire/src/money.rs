//! Wallets and the ledger (issue 21): a member's wallet and bill history, administrators'
//! credits, and a domain's reconciliation. Amounts are whole fen (0.01 yuan).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/wallet`: a page of the caller's bill history, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletQuery {
    /// Lines before this movement (a line's `movement`); absent: from the newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Lines per page, 1 to 100 (20 if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One line of a wallet's bill history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WalletLine {
    /// The movement's id: increasing in the order movements were made.
    pub movement: i64,
    /// What moved the money: `credit` (an administrator's), and later `packet`, `grab`,
    /// `refund`, `transfer`, `aa`.
    pub kind: String,
    /// Into the wallet (positive) or out of it (negative), in fen.
    pub amount_fen: i64,
    /// The wallet's balance right after it, in fen.
    pub balance_after_fen: i64,
    pub at_ms: i64,
}

/// `GET /v1/wallet`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Wallet {
    pub balance_fen: i64,
    pub lines: Vec<WalletLine>,
    /// Older lines come before the last one here.
    pub more: bool,
}

/// `POST /v1/admin/accounts/{account}/wallet/credits`: money from the internal provider into
/// the account's wallet (a bonus), once under `key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// 1 to 10,000,000 fen (100,000 yuan).
    pub amount_fen: i64,
    /// The credit's idempotency key, 1 to 64 bytes: the same key again moves nothing more; used
    /// for another amount or account, it is `already_exists`.
    pub key: String,
    /// Why, kept in the audit log (up to 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Credited {
    /// `false` when the key had moved the money before (a retry): nothing moved now.
    pub moved: bool,
    pub balance_fen: i64,
}

/// `GET /v1/admin/domains/{domain}/ledger`: the domain's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reconciliation {
    pub domain: String,
    /// The balances of its wallets and of the money held in flight (red packets, transfers,
    /// AA collections), in fen.
    pub held_fen: i64,
    /// The money that came in less the money that went out, in fen.
    pub net_in_fen: i64,
    /// `held_fen == net_in_fen`: the ledger lost nothing.
    pub balanced: bool,
}
