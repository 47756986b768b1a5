//! Wallets (issue 21): each member's balance and bill history in the domain's ledger
//! ([`crate::ledger`]), administrators' credits through the internal provider (a holiday bonus,
//! each audited), and the domain's reconciliation. Red packets, AA collections and transfers
//! will move money between these wallets and their holds.

use std::sync::Arc;

use serde_json::json;

use crate::audit::Change;
use crate::ledger::{Applied, Fen, Movement, MovementError, Pocket};
use crate::model::{Actor, Principal};
use crate::names::AccountAddr;
use crate::ports::{AccountStore, LedgerStore, PocketLine, Stores};
use crate::{Deps, Error, Result};

/// The internal provider: the domain's administrators credit wallets from it (money that comes
/// from the company, not through a payment provider).
pub const INTERNAL: Pocket = Pocket::Outside(0);
/// The most one credit moves: 100,000 yuan.
pub const CREDIT_FEN_MAX: i64 = 10_000_000;
/// The longest idempotency key a client gives, in bytes.
pub const CLIENT_KEY_BYTES_MAX: usize = 64;
/// The longest reason an administrator gives for a credit, in characters (kept in the audit log).
pub const REASON_CHARS_MAX: usize = 200;
/// Lines of bill history per page, at most.
pub const HISTORY_PAGE_LEN_MAX: usize = 100;

/// A wallet as its owner sees it: the balance and a page of its history, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wallet {
    pub balance: Fen,
    pub lines: Vec<PocketLine>,
    /// Whether older lines come before the last one here.
    pub more: bool,
}

/// What a credit did: whether it moved money now (`Again`: its key did before), and the
/// wallet's balance after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credited {
    pub applied: Applied,
    pub balance: Fen,
}

#[derive(Clone)]
pub struct Wallets {
    deps: Arc<Deps>,
    ledger: Arc<dyn LedgerStore>,
    accounts: Arc<dyn AccountStore>,
}

impl Wallets {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Wallets {
        Wallets { deps, ledger: stores.ledger.clone(), accounts: stores.accounts.clone() }
    }

    /// The caller's wallet: its balance and up to `limit` lines of history before movement
    /// `before` (the newest when `None`).
    pub async fn mine(&self, caller: &Principal, before: Option<i64>, limit: usize) -> Result<Wallet> {
        if !(1..=HISTORY_PAGE_LEN_MAX).contains(&limit) {
            return Err(Error::invalid("limit", format!("is 1 to {HISTORY_PAGE_LEN_MAX}")));
        }
        let (domain, pocket) = (caller.account.domain_id, Pocket::Wallet(caller.account.id));
        let mut lines = self.ledger.pocket_history(domain, pocket, before, limit + 1).await?;
        // The first page's newest line holds the balance (each movement writes the balance
        // after it), as of the same read; an older page reads it apart.
        let balance = match (before, lines.first()) {
            (None, Some(newest)) => Fen(newest.balance_after),
            (None, None) => Fen::ZERO,
            (Some(_), _) => self.ledger.pocket_balance(domain, pocket).await?,
        };
        let more = lines.len() > limit;
        lines.truncate(limit);
        Ok(Wallet { balance, lines, more })
    }

    /// An administrator of the account's domain credits its wallet `amount` from the internal
    /// provider, once under `key` (a retry answers `Again` and moves nothing; the key used for
    /// another amount or account is `already_exists`). Audited as `wallet.credit`.
    pub async fn credit(
        &self,
        actor: Actor<'_>,
        account: &str,
        amount: Fen,
        key: &str,
        reason: Option<&str>,
    ) -> Result<Credited> {
        if !(1..=CREDIT_FEN_MAX).contains(&amount.0) {
            return Err(Error::invalid("amount_fen", format!("is 1 to {CREDIT_FEN_MAX} fen")));
        }
        if key.is_empty() || key.len() > CLIENT_KEY_BYTES_MAX || key.chars().any(char::is_control) {
            return Err(Error::invalid(
                "key",
                format!("is 1 to {CLIENT_KEY_BYTES_MAX} bytes without control characters"),
            ));
        }
        if let Some(reason) = reason
            && reason.chars().count() > REASON_CHARS_MAX
        {
            return Err(Error::too_large("reason", REASON_CHARS_MAX, crate::Unit::Characters));
        }
        let addr = AccountAddr::parse(account)
            .map_err(|_| Error::invalid("account", "is an address such as bob@example.com"))?;
        let holder =
            self.accounts.account_by_addr(&addr.domain, &addr.name).await?.ok_or(Error::NotFound("account"))?;
        // Another domain's account is not found, as if there were none.
        if !actor.may_administer(holder.domain_id) {
            return Err(Error::NotFound("account"));
        }
        let wallet = Pocket::Wallet(holder.id);
        let movement = Movement::transfer(format!("credit:{key}"), INTERNAL, wallet, amount);
        let now = self.deps.clock.now_ms();
        let applied = match self.ledger.apply_movement(holder.domain_id, &movement, now).await? {
            Ok(applied) => applied,
            Err(MovementError::KeyReused) => return Err(Error::AlreadyExists("idempotency key")),
            Err(e) => return Err(Error::Internal(format!("a credit was refused by the ledger: {e}"))),
        };
        if applied == Applied::Moved {
            let change = Change::new("wallet.credit", Some(holder.domain_id), holder.addr.to_string())
                .after(json!({ "amount_fen": amount.0, "key": key, "reason": reason }));
            self.deps.audit(actor, change).await;
        }
        let balance = self.ledger.pocket_balance(holder.domain_id, wallet).await?;
        Ok(Credited { applied, balance })
    }

    /// The domain's reconciliation: its wallets and holds, and the money that came in less what
    /// went out. Equal in a ledger that lost nothing.
    pub async fn reconciliation(&self, actor: Actor<'_>, domain: &str) -> Result<(String, Fen, Fen)> {
        let (id, name) = crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await?;
        let (held, net_in) = self.ledger.reconciliation(id).await?;
        Ok((name, held, net_in))
    }
}
