//! Logins, registration, sessions and their revocation.
//!
//! A session token is 256 random bits, shown to the client once; the store keeps only its
//! SHA-256. Revoking a session closes its live connections at once through
//! [`LiveConnections`]; revocations made by another process reach this one through the
//! store's revocation log, which [`Auth::forward_revocations`] tails.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::accounts::Accounts;
use crate::model::{
    Account, NewSession, Principal, RegistrationMode, RevokeReason, Role, Session, SessionId, SessionSelector,
};
use crate::names::{self, AccountAddr};
use crate::{Deps, Error, Result, WindowLimiter};

/// Every token starts with this, so that secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "mgp_";
/// Longest token accepted for lookup; anything longer is not a token of ours.
pub const TOKEN_BYTES_MAX: usize = 128;
/// Longest device label, in characters.
pub const DEVICE_CHARS_MAX: usize = 128;
/// A session's last-seen time is written at most this often, to keep reads cheap.
const TOUCH_INTERVAL_MS: i64 = 60_000;
/// Keys the failure limiters track before they start forgetting.
const LIMITER_KEYS_MAX: usize = 100_000;
/// How long a revoked or expired session stays listed in the database (for audits).
pub const ENDED_SESSION_RETENTION_MS: i64 = 7 * 24 * HOUR_MS;
/// How long revocation log entries are kept; processes tail the log every 200 ms.
pub const REVOCATION_LOG_RETENTION_MS: i64 = 24 * HOUR_MS;
/// The login limiters' window.
const HOUR_MS: i64 = 3_600_000;
/// Revocation log entries read per poll.
const REVOCATIONS_PAGE_LEN_MAX: usize = 1000;

/// A new session and the token that authenticates it.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub session: Session,
    pub account: Account,
}

#[derive(Clone)]
pub struct Auth {
    deps: Arc<Deps>,
    failures_by_account: Arc<WindowLimiter>,
    failures_by_ip: Arc<WindowLimiter>,
    accounts: Accounts,
}

impl Auth {
    pub(crate) fn new(deps: Arc<Deps>, accounts: Accounts) -> Auth {
        let settings = &deps.settings;
        let failures_by_account =
            Arc::new(WindowLimiter::new(settings.login_failures_per_account_per_hour_max, HOUR_MS, LIMITER_KEYS_MAX));
        let failures_by_ip =
            Arc::new(WindowLimiter::new(settings.login_failures_per_ip_per_hour_max, HOUR_MS, LIMITER_KEYS_MAX));
        Auth { deps, failures_by_account, failures_by_ip, accounts }
    }

    /// Checks a password and opens a session. Unknown accounts and wrong passwords get the
    /// same error after the same work; a disabled account is told so only after a correct
    /// password. Failures count against the account and the client IP.
    pub async fn login(
        &self,
        account: &str,
        password: &str,
        device: Option<&str>,
        ip: Option<&str>,
    ) -> Result<LoginOutcome> {
        self.deps.passwords.check_len_max(password)?;
        let addr = AccountAddr::parse(account)?;
        let device = device_label(device)?;
        let account_key = addr.to_string();
        let found = match self.deps.store.domain_by_name(&addr.domain).await? {
            Some(domain) => self.deps.store.account_by_name(domain.id, &addr.name).await?,
            None => None,
        };
        let hash = found.as_ref().and_then(|a| a.password_hash.as_deref());
        self.check_password(&account_key, ip, password, hash).await?;
        let account = found.ok_or(Error::InvalidCredentials)?;
        if account.disabled {
            return Err(Error::AccountDisabled);
        }
        self.open_session(account, device, ip).await
    }

    /// Checks a password under the failure limits. The attempt is counted against the account
    /// and the IP before the (slow) check, so that guesses sent in parallel cannot all slip
    /// under the limit; it is given back unless the password turns out wrong, so neither a
    /// correct password nor a refusal for load (`Unavailable`) counts as a failure.
    async fn check_password(
        &self,
        account_key: &str,
        ip: Option<&str>,
        password: &str,
        hash: Option<&str>,
    ) -> Result<()> {
        let attempt = self.take_attempt(account_key, ip)?;
        match self.deps.passwords.verify(password, hash).await {
            Ok(false) => Err(Error::InvalidCredentials),
            other => {
                attempt.refund(self);
                other.map(drop)
            }
        }
    }

    /// Counts a password attempt against the account and the IP.
    fn take_attempt<'k>(&self, account_key: &'k str, ip: Option<&'k str>) -> Result<Attempt<'k>> {
        let now = self.deps.clock.now_ms();
        let limited = |s| Error::RateLimited { retry_after_secs: s };
        self.failures_by_account.hit(account_key, now).map_err(limited)?;
        if let Some(ip) = ip
            && let Err(s) = self.failures_by_ip.hit(ip, now)
        {
            self.failures_by_account.refund(account_key, now);
            return Err(limited(s));
        }
        Ok(Attempt { account_key, ip })
    }

    /// Creates an account by self-registration, where the domain allows it, and logs it in.
    pub async fn register(
        &self,
        account: &str,
        password: &str,
        display_name: Option<&str>,
        device: Option<&str>,
        ip: Option<&str>,
    ) -> Result<LoginOutcome> {
        self.deps.passwords.check_len_max(password)?;
        let addr = AccountAddr::parse(account)?;
        let device = device_label(device)?;
        let domain = self.deps.store.domain_by_name(&addr.domain).await?.ok_or(Error::RegistrationClosed)?;
        if domain.registration != RegistrationMode::Open {
            return Err(Error::RegistrationClosed);
        }
        let account = self.accounts.insert_account(&domain, addr.name, password, display_name, Role::Member).await?;
        self.open_session(account, device, ip).await
    }

    async fn open_session(&self, account: Account, device: Option<String>, ip: Option<&str>) -> Result<LoginOutcome> {
        let token_bytes: [u8; 32] = rand::random();
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(token_bytes));
        let now = self.deps.clock.now_ms();
        let ttl_ms = crate::settings::millis(self.deps.settings.session_ttl_secs);
        let new = NewSession {
            account_id: account.id,
            token_hash: token_hash(&token),
            device,
            ip: ip.map(str::to_owned),
            created_at_ms: now,
            expires_at_ms: now.saturating_add(ttl_ms),
            sessions_per_account_max: self.deps.settings.sessions_per_account_max,
        };
        let (session, evicted) = self.deps.store.create_session(new).await?;
        self.deps.live.close_sessions(&evicted, RevokeReason::Revoked);
        Ok(LoginOutcome { token, session, account })
    }

    /// The caller behind a token: a live, unexpired session of an enabled account.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        if token.len() > TOKEN_BYTES_MAX || !token.starts_with(TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let (mut session, account) =
            self.deps.store.session_by_token_hash(&token_hash(token)).await?.ok_or(Error::Unauthenticated)?;
        let now = self.deps.clock.now_ms();
        if session.expires_at_ms <= now {
            return Err(Error::Unauthenticated);
        }
        if account.disabled {
            return Err(Error::AccountDisabled);
        }
        // Last-seen is bookkeeping: a failure to record it (a busy database) is logged, and the
        // request it rode on goes ahead.
        if now - session.last_seen_at_ms > TOUCH_INTERVAL_MS {
            match self.deps.store.touch_session(session.id, now).await {
                Ok(()) => session.last_seen_at_ms = now,
                Err(e) => tracing::warn!(error = %e, session = session.id.0, "could not record last-seen time"),
            }
        }
        Ok(Principal { account, session })
    }

    /// The caller's live sessions, newest first.
    pub async fn sessions(&self, caller: &Principal) -> Result<Vec<Session>> {
        Ok(self.deps.store.sessions(caller.account.id, self.deps.clock.now_ms()).await?)
    }

    /// Revokes one of the caller's sessions (possibly the current one).
    pub async fn revoke_session(&self, caller: &Principal, id: SessionId) -> Result<()> {
        let reason = if id == caller.session.id { RevokeReason::Logout } else { RevokeReason::Revoked };
        self.revoke(caller, SessionSelector::One(id), reason)
            .await
            .and_then(|revoked| if revoked.is_empty() { Err(Error::NotFound("session")) } else { Ok(()) })
    }

    /// Ends the caller's current session.
    pub async fn logout(&self, caller: &Principal) -> Result<()> {
        self.revoke(caller, SessionSelector::One(caller.session.id), RevokeReason::Logout).await.map(drop)
    }

    /// Changes the caller's password after checking the current one; every other session of
    /// the account is revoked in the same transaction.
    pub async fn change_password(&self, caller: &Principal, current: &str, new: &str) -> Result<()> {
        self.deps.passwords.check_len_max(current)?;
        self.deps.passwords.check_new(new)?;
        // Read the hash afresh: the principal may be older than a concurrent change.
        let account = self.deps.store.account_by_id(caller.account.id).await?.ok_or(Error::Unauthenticated)?;
        let key = caller.account.addr.to_string();
        self.check_password(&key, None, current, account.password_hash.as_deref()).await?;
        let hash = self.deps.passwords.hash(new).await?;
        let revoked = self
            .deps
            .store
            .set_password_hash(account.id, &hash, Some(caller.session.id), self.deps.clock.now_ms())
            .await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::PasswordChanged);
        Ok(())
    }

    async fn revoke(&self, caller: &Principal, which: SessionSelector, reason: RevokeReason) -> Result<Vec<SessionId>> {
        let revoked =
            self.deps.store.revoke_sessions(caller.account.id, which, reason, self.deps.clock.now_ms()).await?;
        self.deps.live.close_sessions(&revoked, reason);
        Ok(revoked)
    }

    /// Forgets sessions that ended more than [`ENDED_SESSION_RETENTION_MS`] ago and
    /// revocation log entries older than [`REVOCATION_LOG_RETENTION_MS`] (every process has
    /// long since read them).
    pub async fn prune(&self) -> Result<u64> {
        let now = self.deps.clock.now_ms();
        Ok(self.deps.store.prune(now - ENDED_SESSION_RETENTION_MS, now - REVOCATION_LOG_RETENTION_MS).await?)
    }

    /// The revocation log's head: where a new process starts tailing it.
    pub async fn revocations_head(&self) -> Result<i64> {
        Ok(self.deps.store.revocations_head().await?)
    }

    /// Closes live connections of sessions revoked since `cursor` (by this process, another
    /// node or the offline admin CLI) and advances the cursor. Closing an already closed
    /// session does nothing, so entries this process made itself are harmless.
    pub async fn forward_revocations(&self, cursor: &mut i64) -> Result<usize> {
        let entries = self.deps.store.revocations_after(*cursor, REVOCATIONS_PAGE_LEN_MAX).await?;
        for entry in &entries {
            self.deps.live.close_sessions(&[entry.session_id], entry.reason);
            *cursor = (*cursor).max(entry.seq);
        }
        Ok(entries.len())
    }
}

/// A counted password attempt; see [`Auth::take_attempt`].
struct Attempt<'k> {
    account_key: &'k str,
    ip: Option<&'k str>,
}

impl Attempt<'_> {
    fn refund(self, auth: &Auth) {
        let now = auth.deps.clock.now_ms();
        auth.failures_by_account.refund(self.account_key, now);
        if let Some(ip) = self.ip {
            auth.failures_by_ip.refund(ip, now);
        }
    }
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn device_label(device: Option<&str>) -> Result<Option<String>> {
    device.map(|d| names::free_text("device", d, DEVICE_CHARS_MAX)).transpose().map(|d| d.filter(|d| !d.is_empty()))
}
