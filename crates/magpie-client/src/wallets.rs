//! Wallets (docs/protocol.md §5, "Wallets"): the caller's wallet and bill history,
//! administrators' credits, and a domain's reconciliation.

use magpie_wire as wire;
use reqwest::Method;

use crate::rest::{Client, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/wallet`: the caller's balance and a page of its bill history, newest first.
    pub async fn wallet(&self, q: &wire::WalletQuery) -> Result<wire::Wallet> {
        let mut path = "/v1/wallet?".to_owned();
        if let Some(b) = q.before {
            path.push_str(&format!("before={b}&"));
        }
        if let Some(l) = q.limit {
            path.push_str(&format!("limit={l}&"));
        }
        self.call(Method::GET, path.trim_end_matches(['?', '&']), NO_BODY).await
    }

    /// `POST /v1/admin/accounts/{account}/wallet/credits`: credit the account's wallet from the
    /// internal provider, once under the request's key.
    pub async fn admin_credit(&self, account: &str, credit: &wire::CreditRequest) -> Result<wire::Credited> {
        self.call(Method::POST, &format!("/v1/admin/accounts/{}/wallet/credits", encode(account)), Some(credit)).await
    }

    /// `GET /v1/admin/domains/{domain}/ledger`: the domain's reconciliation.
    pub async fn admin_ledger(&self, domain: &str) -> Result<wire::Reconciliation> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/ledger", encode(domain)), NO_BODY).await
    }
}
