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
use crate::mail::{CodeCheck, CodePurpose, EmailCodeKey, Lang, NewEmailCode};
use crate::model::{
    Account, AccountId, ApplicationState, NewSession, Principal, RegistrationMode, RevokeReason, Role, Session,
    SessionId, SessionSelector,
};
use crate::names::{self, AccountAddr};
use crate::password::HashPool;
use crate::ports::{AccountStore, Counters, Limit, MailStore, SessionStore, Stores};
use crate::{Deps, Error, Result};

/// Every token starts with this, so that secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "mgp_";
/// Longest token accepted for lookup; anything longer is not a token of ours.
pub const TOKEN_BYTES_MAX: usize = 128;
/// Longest device label, in characters.
pub const DEVICE_CHARS_MAX: usize = 128;
/// A session's last-seen time is written at most this often, to keep reads cheap.
const TOUCH_INTERVAL_MS: i64 = 60_000;
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
    /// Marks this device as known to the account at its next logins (see [`LoginLimits`]).
    pub device_key: String,
}

/// A login: the address and password, and what the client says of its device.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginRequest<'a> {
    pub account: &'a str,
    pub password: &'a str,
    /// A label for the session list.
    pub device: Option<&'a str>,
    /// The device key an earlier login of this account on this device returned.
    pub device_key: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A self-registration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterRequest<'a> {
    pub account: &'a str,
    pub password: &'a str,
    pub display_name: Option<&'a str>,
    pub device: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// The invitation code, where the domain's registration is by invitation.
    pub invitation: Option<&'a str>,
    /// The registrant's email address: needed where the domain asks for a verified one (or
    /// restricts email domains); kept as the account's email.
    pub email: Option<&'a str>,
    /// The code mailed to `email` ([`Auth::request_signup_code`]).
    pub email_code: Option<&'a str>,
    /// The language mail to the account is written in.
    pub lang: Option<crate::mail::Lang>,
}

/// What a domain asks of people who register, for the registration form.
#[derive(Debug, Clone)]
pub struct SignupInfo {
    pub domain: String,
    pub registration: RegistrationMode,
    pub email_verification: bool,
    pub email_domains: Vec<String>,
    /// Whether a forgotten password can be reset by a mailed code.
    pub password_reset: bool,
    /// Whether members may make invitation codes.
    pub members_invite: bool,
    /// Whether members may make bots.
    pub members_make_bots: bool,
}

/// A code was mailed: how long it stays good, and when another may be asked for.
#[derive(Debug, Clone, Copy)]
pub struct CodeSent {
    pub expires_in_secs: u64,
    pub resend_after_secs: u64,
}

/// What a registration made.
#[derive(Debug)]
pub enum Registered {
    /// The account, logged in.
    Session(LoginOutcome),
    /// The account applied, and may log in once a domain administrator approves it.
    Pending(Account),
}

#[derive(Clone)]
pub struct Auth {
    deps: Arc<Deps>,
    account_store: Arc<dyn AccountStore>,
    session_store: Arc<dyn SessionStore>,
    limits: Arc<LoginLimits>,
    accounts: Accounts,
    ldap: crate::ldap::Ldap,
    mail: crate::mail::Mail,
    mail_store: Arc<dyn MailStore>,
    inbox: crate::inbox::Inbox,
}

/// The counters that keep password guessing slow without letting it lock owners out.
///
/// An attempt comes either from a **known device**, one that presents a device key its
/// account was given at an earlier login, or from an **address**. A known device has a budget
/// of its own and nothing else touches it. An address is limited over all accounts, and per
/// account; once an account has collected too many failures from places it was never seen in,
/// attempts from such places are slowed to one per interval, while its known devices and the
/// addresses of its live sessions go on as before. So an attacker who guesses from many
/// addresses slows down the account's strangers, not its owner.
///
/// The counts are the deployment's ([`Counters`]): in a cluster they are shared, so that a limit
/// holds however the attempts are spread over the nodes.
struct LoginLimits {
    counters: Arc<dyn Counters>,
    by_device: Limit,
    by_ip: Limit,
    by_account_and_ip: Limit,
    by_account: Limit,
    /// One attempt per interval from unknown places, for an account past `by_account`.
    slowed: Limit,
    signups_by_ip: Limit,
    signups_by_domain: Limit,
    codes_by_address: Limit,
    codes_by_ip: Limit,
    code_resend: Limit,
}

/// Where a password attempt comes from, as far as the limits care.
enum Source<'a> {
    /// A device that presented a valid device key for the account: the key's nonce.
    KnownDevice(String),
    /// A logged-in session (changing its password).
    Session(SessionId),
    /// Anything else: the client IP, if known.
    Address(Option<&'a str>),
}

impl Auth {
    pub(crate) fn new(
        deps: Arc<Deps>,
        stores: &Stores,
        accounts: Accounts,
        ldap: crate::ldap::Ldap,
        mail: crate::mail::Mail,
        inbox: crate::inbox::Inbox,
    ) -> Auth {
        let s = &deps.settings;
        let hourly = |name, events_max| Limit { name, events_max, window_ms: HOUR_MS };
        let slow_ms = crate::settings::millis(s.login_slow_interval_secs).max(1);
        let limits = Arc::new(LoginLimits {
            counters: stores.counters.clone(),
            by_device: hourly("login_failures_per_device", s.login_failures_per_device_per_hour_max),
            by_ip: hourly("login_failures_per_ip", s.login_failures_per_ip_per_hour_max),
            by_account_and_ip: hourly(
                "login_failures_per_account_per_ip",
                s.login_failures_per_account_per_ip_per_hour_max,
            ),
            by_account: hourly("login_failures_per_account", s.login_failures_per_account_per_hour_max),
            slowed: Limit { name: "login_slowed", events_max: 1, window_ms: slow_ms },
            signups_by_ip: hourly("registrations_per_ip", s.registrations_per_ip_per_hour_max),
            signups_by_domain: hourly("registrations_per_domain", s.registrations_per_domain_per_hour_max),
            codes_by_address: hourly("email_codes_per_address", s.email_codes_per_address_per_hour_max),
            codes_by_ip: hourly("email_codes_per_ip", s.email_codes_per_ip_per_hour_max),
            code_resend: Limit {
                name: "email_code_resend",
                events_max: 1,
                window_ms: crate::settings::millis(s.email_code_resend_secs),
            },
        });
        Auth {
            deps,
            account_store: stores.accounts.clone(),
            session_store: stores.sessions.clone(),
            limits,
            accounts,
            ldap,
            mail,
            mail_store: stores.mail.clone(),
            inbox,
        }
    }

    /// Checks a password and opens a session. Unknown accounts and wrong passwords get the
    /// same error after the same work; a disabled account is told so only after a correct
    /// password. Failures count as [`LoginLimits`] says; `device_key`, from an earlier login
    /// of this account on this device, makes the device a known one.
    pub async fn login(&self, request: LoginRequest<'_>) -> Result<LoginOutcome> {
        self.deps.passwords.check_len_max(request.password)?;
        let addr = AccountAddr::parse(request.account)?;
        let device = device_label(request.device)?;
        let account_key = addr.to_string();
        let found = match self.account_store.domain_by_name(&addr.domain).await? {
            Some(domain) => self.account_store.account_by_name(domain.id, &addr.name).await?,
            None => None,
        };
        // A bot never logs in (it acts with tokens): to a login, it is no account at all.
        let found = found.filter(|a| !a.bot);
        let known_device = match (&found, request.device_key) {
            (Some(account), Some(key)) => self.device_keys().verify(key, account.id, self.deps.clock.now_ms()),
            _ => None,
        };
        let source = match known_device {
            Some(nonce) => Source::KnownDevice(nonce),
            None => Source::Address(request.ip),
        };
        let hash = found.as_ref().and_then(|a| a.password_hash.as_deref());
        let known = matches!(source, Source::KnownDevice(_));
        // An account from a directory whose domain logs in against it: the directory checks the
        // password, under the same limits.
        let directory = match found.as_ref().filter(|a| a.password_hash.is_none()) {
            Some(account) => self.ldap.login_target(account).await?,
            None => None,
        };
        let checked = match directory {
            Some((dir, dn)) => {
                let attempt = self.take_attempt(&account_key, found.as_ref(), source).await;
                match attempt {
                    Err(e) => Err(e),
                    Ok(attempt) => match self.ldap.bind(&dir, &dn, request.password).await {
                        Ok(false) => Err(Error::InvalidCredentials),
                        other => {
                            attempt.refund(self).await;
                            other.map(drop)
                        }
                    },
                }
            }
            None => self.check_password(&account_key, found.as_ref(), source, request.password, hash).await,
        };
        // Every authentication decision is logged (never the password), with where it came
        // from; values are written with `?` so that a crafted one cannot forge log lines.
        let log = |outcome: &str| {
            tracing::info!(target: "magpie::security", account = ?account_key, ip = ?request.ip, known_device = known, outcome, "login");
        };
        if let Err(e) = checked {
            log(match e {
                Error::RateLimited { .. } => "rate_limited",
                Error::Unavailable(_) => "unavailable",
                _ => "invalid_credentials",
            });
            return Err(e);
        }
        let Some(account) = found else {
            log("invalid_credentials");
            return Err(Error::InvalidCredentials);
        };
        if account.disabled {
            // An applicant is told where its application stands, not that it is disabled.
            let (outcome, error) = match self.account_store.application_state(account.id).await? {
                Some(ApplicationState::Pending) => ("approval_pending", Error::ApprovalPending),
                Some(ApplicationState::Rejected) => ("registration_rejected", Error::RegistrationRejected),
                None => ("account_disabled", Error::AccountDisabled),
            };
            log(outcome);
            return Err(error);
        }
        log("ok");
        self.open_session(account, device, request.ip).await
    }

    /// Checks a password under the failure limits. The attempt is counted before the (slow)
    /// check, so that guesses sent in parallel cannot all slip under a limit; it is given back
    /// unless the password turns out wrong, so neither a correct password nor a refusal for
    /// load (`Unavailable`) counts as a failure.
    async fn check_password(
        &self,
        account_key: &str,
        account: Option<&Account>,
        source: Source<'_>,
        password: &str,
        hash: Option<&str>,
    ) -> Result<()> {
        let attempt = self.take_attempt(account_key, account, source).await?;
        match self.deps.passwords.verify(password, hash).await {
            Ok(false) => Err(Error::InvalidCredentials),
            other => {
                attempt.refund(self).await;
                other.map(drop)
            }
        }
    }

    /// Counts a password attempt as its source says (see [`LoginLimits`]).
    async fn take_attempt(&self, account_key: &str, account: Option<&Account>, source: Source<'_>) -> Result<Attempt> {
        let now = self.deps.clock.now_ms();
        let limited = |s| Error::RateLimited { retry_after_secs: s };
        let l = &self.limits;
        let c = &l.counters;
        let ip = match source {
            Source::KnownDevice(nonce) => {
                let key = format!("d:{nonce}");
                c.hit(l.by_device, &key, now).await.map_err(limited)?;
                return Ok(Attempt { counted: vec![(l.by_device, key)] });
            }
            Source::Session(id) => {
                let key = format!("s:{}", id.0);
                c.hit(l.by_device, &key, now).await.map_err(limited)?;
                return Ok(Attempt { counted: vec![(l.by_device, key)] });
            }
            Source::Address(ip) => ip.unwrap_or("unknown"),
        };
        let mut attempt = Attempt { counted: Vec::with_capacity(3) };
        c.hit(l.by_ip, ip, now).await.map_err(limited)?;
        attempt.counted.push((l.by_ip, ip.to_owned()));
        let pair = format!("{account_key} {ip}");
        if let Err(s) = c.hit(l.by_account_and_ip, &pair, now).await {
            attempt.refund(self).await;
            return Err(limited(s));
        }
        attempt.counted.push((l.by_account_and_ip, pair));
        if c.check(l.by_account, account_key, now).await.is_err() && !self.is_known_address(account, ip).await {
            // Under attack: strangers take turns, one attempt per interval.
            if let Err(s) = c.hit(l.slowed, account_key, now).await {
                attempt.refund(self).await;
                return Err(limited(s));
            }
        }
        c.record(l.by_account, account_key, now).await;
        attempt.counted.push((l.by_account, account_key.to_owned()));
        Ok(attempt)
    }

    /// Whether the account has a live session from this address.
    async fn is_known_address(&self, account: Option<&Account>, ip: &str) -> bool {
        let Some(account) = account else { return false };
        match self.session_store.sessions(account.id, self.deps.clock.now_ms()).await {
            Ok(sessions) => sessions.iter().any(|s| s.ip.as_deref() == Some(ip)),
            // Unknown, then: the attempt is slowed, which a store failure makes no worse.
            Err(_) => false,
        }
    }

    fn device_keys(&self) -> DeviceKeys<'_> {
        DeviceKeys { secret: &self.deps.settings.device_key_secret, ttl_secs: self.deps.settings.device_key_ttl_secs }
    }

    /// Creates an account by self-registration, where the domain allows it, and logs it in.
    /// Sign-ups are limited per client IP and per domain, checked before any hashing, and hash
    /// in a pool of their own. What a registration takes (an invitation's use, a mailed code)
    /// is given back when it fails.
    pub async fn register(&self, request: RegisterRequest<'_>) -> Result<Registered> {
        self.deps.passwords.check_len_max(request.password)?;
        let addr = AccountAddr::parse(request.account)?;
        let device = device_label(request.device)?;
        let domain = self.account_store.domain_by_name(&addr.domain).await?.ok_or(Error::RegistrationClosed)?;
        if domain.registration == RegistrationMode::Closed {
            return Err(Error::RegistrationClosed);
        }
        let invitation = match (domain.registration, request.invitation) {
            (RegistrationMode::Invitation, None) => {
                return Err(Error::invalid("invitation", "this domain's registration is by invitation"));
            }
            (RegistrationMode::Invitation, Some(code)) => Some(crate::accounts::invitation_hash(code)),
            _ => None,
        };
        let email = signup_email(&domain, request.email)?;
        let code = match (&email, domain.email_verification) {
            (Some(email), true) => {
                let code = request.email_code.ok_or_else(|| {
                    Error::invalid("email_code", "this domain's registration needs the code mailed to the address")
                })?;
                let key = EmailCodeKey { domain: domain.id, purpose: CodePurpose::Register, subject: email.clone() };
                Some((key, crate::mail::code_hash(code)))
            }
            _ => None,
        };
        let display = request.display_name.unwrap_or_default();
        self.deps.passwords.check_new(request.password, &[addr.name.as_str(), addr.domain.as_str(), display])?;
        let now = self.deps.clock.now_ms();
        let limited = |s| Error::RateLimited { retry_after_secs: s };
        let ip = request.ip.unwrap_or("unknown");
        let (l, c) = (&self.limits, &self.limits.counters);
        c.hit(l.signups_by_ip, ip, now).await.map_err(limited)?;
        let mut taken = Taken { auth: self, ip, domain: &domain, signups: 1, invitation: None, code: None };
        if let Err(s) = c.hit(l.signups_by_domain, domain.name.as_str(), now).await {
            taken.undo().await?;
            return Err(limited(s));
        }
        taken.signups = 2;
        if let Some(hash) = invitation {
            if !self.account_store.use_invitation(domain.id, hash, now).await? {
                taken.undo().await?;
                return Err(Error::invalid(
                    "invitation",
                    "is not a live invitation of this domain (unknown, expired, used up or revoked)",
                ));
            }
            taken.invitation = Some(hash);
        }
        if let Some((key, hash)) = code {
            let attempts_max = self.deps.settings.email_code_attempts_max;
            match self.mail_store.use_email_code(&key, hash, now, attempts_max).await? {
                CodeCheck::Used => taken.code = Some((key, hash)),
                CodeCheck::Wrong | CodeCheck::Missing => {
                    taken.undo().await?;
                    return Err(Error::invalid(
                        "email_code",
                        "is not the live code mailed to this address (wrong, expired, used or tried too often)",
                    ));
                }
            }
        }
        let pending = domain.registration == RegistrationMode::Approval;
        let inserted = self
            .accounts
            .insert_account(
                &domain,
                addr.name,
                request.password,
                request.display_name,
                Role::Member,
                HashPool::Signup,
                pending,
            )
            .await;
        let mut account = match inserted {
            Ok(account) => account,
            Err(e) => {
                taken.signups = 0;
                taken.undo().await?;
                return Err(e);
            }
        };
        if let Some(email) = email {
            let patch = crate::model::ProfilePatch { email: Some(Some(email)), ..Default::default() };
            account = self.accounts.apply_profile(account.id, &patch).await?;
        }
        if let Some(lang) = request.lang {
            self.mail_store.set_locale(account.id, lang.as_str()).await?;
        }
        if pending {
            tracing::info!(target: "magpie::security", account = %account.addr, ip = ?request.ip, "applied");
            self.inbox.note_application(&account).await;
            return Ok(Registered::Pending(account));
        }
        tracing::info!(target: "magpie::security", account = %account.addr, ip = ?request.ip, "registered");
        Ok(Registered::Session(self.open_session(account, device, request.ip).await?))
    }

    /// What `domain` asks of registrations. A domain that does not exist answers as a closed
    /// one, so that the answer tells nobody which domains exist.
    pub async fn signup_info(&self, domain: &str) -> Result<SignupInfo> {
        let name = crate::names::DomainName::parse(domain)?;
        let found = self.account_store.domain_by_name(&name).await?;
        let password_reset = self.mail.enabled();
        Ok(match found {
            Some(d) => SignupInfo {
                domain: d.name.to_string(),
                registration: d.registration,
                email_verification: d.email_verification && d.registration != RegistrationMode::Closed,
                email_domains: d.email_domains,
                password_reset,
                members_invite: d.members_invite,
                members_make_bots: d.members_make_bots,
            },
            None => SignupInfo {
                domain: name.to_string(),
                registration: RegistrationMode::Closed,
                email_verification: false,
                email_domains: Vec::new(),
                password_reset,
                members_invite: false,
                members_make_bots: false,
            },
        })
    }

    /// Mails a registration code to `email`, for a domain whose registration needs one. Codes
    /// are limited per address (one per `email_code_resend_secs`, a few an hour) and per client
    /// IP; a new code replaces the one before.
    pub async fn request_signup_code(
        &self,
        domain: &str,
        email: &str,
        lang: Lang,
        ip: Option<&str>,
    ) -> Result<CodeSent> {
        let name = crate::names::DomainName::parse(domain)?;
        let domain = self.account_store.domain_by_name(&name).await?.ok_or(Error::RegistrationClosed)?;
        if domain.registration == RegistrationMode::Closed {
            return Err(Error::RegistrationClosed);
        }
        if !domain.email_verification {
            return Err(Error::invalid("domain", "this domain's registration does not ask for an email code"));
        }
        let email = signup_email(&domain, Some(email))?.unwrap_or_default();
        let key = EmailCodeKey { domain: domain.id, purpose: CodePurpose::Register, subject: email.clone() };
        self.mail_code(key, &email, &domain, lang, ip).await
    }

    /// Mails a password-reset code to the email of `account`. The answer is the same whether
    /// or not the account exists, has an email, or may reset its password (a directory's
    /// account changes its password in the directory): only the mail says.
    pub async fn request_reset_code(&self, account: &str, lang: Lang, ip: Option<&str>) -> Result<CodeSent> {
        let addr = AccountAddr::parse(account)?;
        // A server without a mail server resets no passwords: for good, not for now.
        if !self.mail.enabled() {
            return Err(Error::Forbidden);
        }
        let domain = self.account_store.domain_by_name(&addr.domain).await?;
        let found = match &domain {
            Some(d) => self.account_store.account_by_name(d.id, &addr.name).await?,
            None => None,
        };
        let target = found.filter(|a| !a.disabled && a.password_hash.is_some()).and_then(|a| {
            let email = a.profile.email.clone()?;
            Some((a, email))
        });
        let settings = &self.deps.settings;
        let sent = CodeSent {
            expires_in_secs: settings.email_code_ttl_secs,
            resend_after_secs: settings.email_code_resend_secs,
        };
        match (target, domain) {
            (Some((account, email)), Some(domain)) => {
                let key =
                    EmailCodeKey { domain: domain.id, purpose: CodePurpose::Reset, subject: account.id.0.to_string() };
                self.mail_code(key, &email, &domain, lang, ip).await
            }
            _ => {
                // Count the request as if a code went out, so that the limits say nothing either.
                let now = self.deps.clock.now_ms();
                let (l, c) = (&self.limits, &self.limits.counters);
                c.hit(l.codes_by_ip, ip.unwrap_or("unknown"), now)
                    .await
                    .map_err(|s| Error::RateLimited { retry_after_secs: s })?;
                tracing::info!(target: "magpie::security", account = %addr, ip = ?ip, "password reset asked for an account without a reset");
                Ok(sent)
            }
        }
    }

    /// Sets a new password with a code mailed by [`Auth::request_reset_code`]. Every session
    /// of the account is revoked (its open sockets close), as after a password change.
    pub async fn reset_password(&self, account: &str, code: &str, new_password: &str) -> Result<()> {
        self.deps.passwords.check_len_max(new_password)?;
        let addr = AccountAddr::parse(account)?;
        let wrong = || {
            Error::invalid(
                "code",
                "is not the live code mailed for this account (wrong, expired, used or tried too often)",
            )
        };
        let domain = self.account_store.domain_by_name(&addr.domain).await?.ok_or_else(wrong)?;
        let account = self.account_store.account_by_name(domain.id, &addr.name).await?.ok_or_else(wrong)?;
        if account.disabled || account.password_hash.is_none() {
            return Err(wrong());
        }
        let context = [addr.name.as_str(), addr.domain.as_str(), account.profile.display_name.as_str()];
        self.deps.passwords.check_new(new_password, &context)?;
        let key = EmailCodeKey { domain: domain.id, purpose: CodePurpose::Reset, subject: account.id.0.to_string() };
        let hash = crate::mail::code_hash(code);
        let now = self.deps.clock.now_ms();
        match self.mail_store.use_email_code(&key, hash, now, self.deps.settings.email_code_attempts_max).await? {
            CodeCheck::Used => {}
            CodeCheck::Wrong | CodeCheck::Missing => return Err(wrong()),
        }
        let password_hash = match self.deps.passwords.hash(new_password, HashPool::Login).await {
            Ok(h) => h,
            Err(e) => {
                self.mail_store.restore_email_code(&key, hash).await?;
                return Err(e);
            }
        };
        let revoked = self.account_store.set_password_hash(account.id, &password_hash, None, now).await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::PasswordChanged);
        tracing::info!(target: "magpie::security", account = %addr, revoked = revoked.len(), "password reset by mailed code");
        Ok(())
    }

    /// Makes, keeps and mails a code for `key` to `to`, under the code limits.
    async fn mail_code(
        &self,
        key: EmailCodeKey,
        to: &str,
        domain: &crate::model::Domain,
        lang: Lang,
        ip: Option<&str>,
    ) -> Result<CodeSent> {
        if !self.mail.enabled() {
            return Err(Error::Forbidden);
        }
        let settings = &self.deps.settings;
        let now = self.deps.clock.now_ms();
        let limited = |s| Error::RateLimited { retry_after_secs: s };
        let (l, c) = (&self.limits, &self.limits.counters);
        let ip = ip.unwrap_or("unknown");
        let subject = format!("{}:{}:{}", key.purpose.as_str(), key.domain.0, key.subject);
        // No wait between two codes when it is set to 0.
        let resend = (l.code_resend.window_ms > 0).then_some(l.code_resend);
        if let Some(resend) = resend {
            c.check(resend, &subject, now).await.map_err(limited)?;
        }
        c.check(l.codes_by_address, &subject, now).await.map_err(limited)?;
        c.hit(l.codes_by_ip, ip, now).await.map_err(limited)?;
        if let Some(resend) = resend {
            c.record(resend, &subject, now).await;
        }
        c.record(l.codes_by_address, &subject, now).await;
        let code = crate::mail::new_code();
        let ttl = settings.email_code_ttl_secs;
        let purpose = key.purpose;
        let new = NewEmailCode {
            key,
            code_hash: crate::mail::code_hash(&code),
            expires_at_ms: now.saturating_add(crate::settings::millis(ttl)),
        };
        self.mail_store.put_email_code(&new).await?;
        let mail = crate::mail::code_mail(lang, purpose, to, domain.name.as_str(), &code, ttl);
        self.mail.enqueue(mail).await?;
        tracing::info!(target: "magpie::security", purpose = purpose.as_str(), domain = %domain.name, ip = ?ip, "email code sent");
        Ok(CodeSent { expires_in_secs: ttl, resend_after_secs: settings.email_code_resend_secs })
    }

    /// Forgets mailed codes that expired (a day ago, so that a late try still reads as
    /// expired rather than unknown in the logs).
    pub async fn prune_codes(&self) -> Result<u64> {
        let now = self.deps.clock.now_ms();
        Ok(self.mail_store.prune_email_codes(now - 24 * HOUR_MS).await?)
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
            scope: None,
        };
        let (session, evicted) = self.session_store.create_session(new).await?;
        self.deps.live.close_sessions(&evicted, RevokeReason::Revoked);
        let device_key = self.device_keys().issue(account.id, now);
        Ok(LoginOutcome { token, session, account, device_key })
    }

    /// The caller behind a token: a live, unexpired session of an enabled account.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        if token.len() > TOKEN_BYTES_MAX || !token.starts_with(TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let (mut session, account) =
            self.session_store.session_by_token_hash(&token_hash(token)).await?.ok_or(Error::Unauthenticated)?;
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
            match self.session_store.touch_session(session.id, now).await {
                Ok(()) => session.last_seen_at_ms = now,
                Err(e) => tracing::warn!(error = %e, session = session.id.0, "could not record last-seen time"),
            }
        }
        Ok(Principal { account, session, from_ip: None })
    }

    /// The caller's live sessions, newest first.
    pub async fn sessions(&self, caller: &Principal) -> Result<Vec<Session>> {
        Ok(self.session_store.sessions(caller.account.id, self.deps.clock.now_ms()).await?)
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
        let addr = &caller.account.addr;
        let context = [addr.name.as_str(), addr.domain.as_str(), caller.account.profile.display_name.as_str()];
        self.deps.passwords.check_new(new, &context)?;
        // Read the hash afresh: the principal may be older than a concurrent change.
        let account = self.account_store.account_by_id(caller.account.id).await?.ok_or(Error::Unauthenticated)?;
        let key = addr.to_string();
        let source = Source::Session(caller.session.id);
        self.check_password(&key, Some(&account), source, current, account.password_hash.as_deref()).await?;
        let hash = self.deps.passwords.hash(new, HashPool::Login).await?;
        let revoked = self
            .account_store
            .set_password_hash(account.id, &hash, Some(caller.session.id), self.deps.clock.now_ms())
            .await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::PasswordChanged);
        tracing::info!(target: "magpie::security", account = %addr, revoked = revoked.len(), "password changed");
        Ok(())
    }

    async fn revoke(&self, caller: &Principal, which: SessionSelector, reason: RevokeReason) -> Result<Vec<SessionId>> {
        let revoked =
            self.session_store.revoke_sessions(caller.account.id, which, reason, self.deps.clock.now_ms()).await?;
        self.deps.live.close_sessions(&revoked, reason);
        let account = &caller.account.addr;
        tracing::info!(target: "magpie::security", %account, revoked = revoked.len(), reason = reason.as_str(), "sessions revoked");
        Ok(revoked)
    }

    /// Forgets sessions that ended more than [`ENDED_SESSION_RETENTION_MS`] ago and
    /// revocation log entries older than [`REVOCATION_LOG_RETENTION_MS`] (every process has
    /// long since read them).
    pub async fn prune(&self) -> Result<u64> {
        let now = self.deps.clock.now_ms();
        Ok(self.session_store.prune(now - ENDED_SESSION_RETENTION_MS, now - REVOCATION_LOG_RETENTION_MS).await?)
    }

    /// The revocation log's head: where a new process starts tailing it.
    pub async fn revocations_head(&self) -> Result<i64> {
        Ok(self.session_store.revocations_head().await?)
    }

    /// Closes live connections of sessions revoked since `cursor` (by this process, another
    /// node or the offline admin CLI) and advances the cursor. Closing an already closed
    /// session does nothing, so entries this process made itself are harmless.
    pub async fn forward_revocations(&self, cursor: &mut i64) -> Result<usize> {
        let entries = self.session_store.revocations_after(*cursor, REVOCATIONS_PAGE_LEN_MAX).await?;
        for entry in &entries {
            self.deps.live.close_sessions(&[entry.session_id], entry.reason);
            *cursor = (*cursor).max(entry.seq);
        }
        Ok(entries.len())
    }
}

/// The email a registration gives, normalised: required where the domain verifies emails or
/// restricts their domains, and then of an allowed email domain.
fn signup_email(domain: &crate::model::Domain, email: Option<&str>) -> Result<Option<String>> {
    let needed = domain.email_verification || !domain.email_domains.is_empty();
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => crate::mail::normalise_email("email", e)?,
        None if needed => return Err(Error::invalid("email", "this domain's registration needs an email address")),
        None => return Ok(None),
    };
    if !crate::mail::email_domain_allowed(&email, &domain.email_domains) {
        return Err(Error::invalid(
            "email",
            format!("this domain accepts addresses at {} only", domain.email_domains.join(", ")),
        ));
    }
    Ok(Some(email))
}

/// What a registration took so far, to give back if it fails: the sign-up counts (0, 1 or
/// both), an invitation's use, a mailed code.
struct Taken<'a> {
    auth: &'a Auth,
    ip: &'a str,
    domain: &'a crate::model::Domain,
    signups: u8,
    invitation: Option<[u8; 32]>,
    code: Option<(EmailCodeKey, [u8; 32])>,
}

impl Taken<'_> {
    async fn undo(self) -> Result<()> {
        let now = self.auth.deps.clock.now_ms();
        let (l, c) = (&self.auth.limits, &self.auth.limits.counters);
        if self.signups >= 1 {
            c.refund(l.signups_by_ip, self.ip, now).await;
        }
        if self.signups >= 2 {
            c.refund(l.signups_by_domain, self.domain.name.as_str(), now).await;
        }
        if let Some(hash) = self.invitation {
            self.auth.account_store.refund_invitation(self.domain.id, hash).await?;
        }
        if let Some((key, hash)) = self.code {
            self.auth.mail_store.restore_email_code(&key, hash).await?;
        }
        Ok(())
    }
}

/// A counted password attempt: each limit that counted it, with its key; see
/// [`Auth::take_attempt`].
struct Attempt {
    counted: Vec<(Limit, String)>,
}

impl Attempt {
    async fn refund(self, auth: &Auth) {
        let now = auth.deps.clock.now_ms();
        for (limit, key) in &self.counted {
            auth.limits.counters.refund(*limit, key, now).await;
        }
    }
}

/// Device keys: `mgd_` and a random nonce, the key's expiry and an HMAC-SHA256 over the
/// account id, the nonce and the expiry. A client keeps the key its login returned and sends
/// it with its next login of that account; nothing is stored on the server.
struct DeviceKeys<'a> {
    secret: &'a [u8; 32],
    ttl_secs: u64,
}

/// Every device key starts with this.
pub const DEVICE_KEY_PREFIX: &str = "mgd_";

impl DeviceKeys<'_> {
    fn mac(&self, account: AccountId, nonce: &str, expires_at_ms: i64) -> Option<hmac::Hmac<Sha256>> {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(self.secret).ok()?;
        mac.update(format!("device key\n{}\n{nonce}\n{expires_at_ms}", account.0).as_bytes());
        Some(mac)
    }

    fn issue(&self, account: AccountId, now_ms: i64) -> String {
        use hmac::Mac;
        let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let expires_at_ms = now_ms.saturating_add(crate::settings::millis(self.ttl_secs));
        let tag =
            self.mac(account, &nonce, expires_at_ms).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
        format!("{DEVICE_KEY_PREFIX}{nonce}.{expires_at_ms}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The key's nonce, if the key is this account's, unexpired and unforged.
    fn verify(&self, key: &str, account: AccountId, now_ms: i64) -> Option<String> {
        use hmac::Mac;
        if key.len() > TOKEN_BYTES_MAX {
            return None;
        }
        let mut parts = key.strip_prefix(DEVICE_KEY_PREFIX)?.split('.');
        let (nonce, expires, tag) = (parts.next()?, parts.next()?, parts.next()?);
        let expires_at_ms: i64 = expires.parse().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(account, nonce, expires_at_ms)?.verify_slice(&tag).ok()?;
        (expires_at_ms > now_ms).then(|| nonce.to_owned())
    }
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn device_label(device: Option<&str>) -> Result<Option<String>> {
    device.map(|d| names::free_text("device", d, DEVICE_CHARS_MAX)).transpose().map(|d| d.filter(|d| !d.is_empty()))
}
