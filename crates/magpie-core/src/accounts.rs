//! Domains, accounts and profiles.
//!
//! Tenancy rule: an account sees accounts of its own domain only. A lookup across domains
//! answers `NotFound`, exactly as for a name that does not exist, so nothing leaks.

use std::sync::Arc;

use crate::audit::Change;
use crate::model::{
    Account, Actor, Application, Domain, Invitation, InvitationId, NewAccount, NewInvitation, Principal, ProfilePatch,
    RegistrationMode, RevokeReason, Role, Session, SessionId, SessionSelector,
};
use crate::names::{self, AccountAddr, DomainName, LoginName};
use crate::password::HashPool;
use crate::ports::{AccountStore, FileStore, SessionStore, Stores, Wake};
use crate::{Deps, Error, Result, Unit};
use serde_json::json;

/// Longest avatar reference (a URL or a file id), in bytes.
pub const AVATAR_BYTES_MAX: usize = 512;
/// Longest signature/status text, in characters.
pub const SIGNATURE_CHARS_MAX: usize = 256;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const EMAIL_BYTES_MAX: usize = 254;
/// Longest phone number, in bytes.
pub const PHONE_BYTES_MAX: usize = 32;
/// Longest directory search query, in characters.
pub const SEARCH_QUERY_CHARS_MAX: usize = 64;
/// What an invitation code starts with.
pub const INVITATION_PREFIX: &str = "inv_";
/// Most uses one invitation may allow.
pub const INVITATION_USES_MAX: u32 = 10_000;
/// Longest an invitation may live, in seconds (a year).
pub const INVITATION_TTL_SECS_MAX: u64 = 366 * 24 * 3600;
/// Longest note on an invitation, in characters.
pub const INVITATION_NOTE_CHARS_MAX: usize = 256;
/// Most registrations one invitation made by a member (not an administrator) lets in.
pub const MEMBER_INVITATION_USES_MAX: u32 = 10;
/// Longest time an invitation made by a member stays good: 30 days.
pub const MEMBER_INVITATION_TTL_SECS_MAX: u64 = 30 * 24 * 3600;
/// Most live invitations (unexpired, not used up, not revoked) one member holds at once.
pub const INVITATIONS_PER_MEMBER_MAX: usize = 20;
/// Most invitations and applications a list returns.
pub const ADMIN_LIST_LEN_MAX: usize = 500;
/// Rows one account import holds at most.
pub const IMPORT_ROWS_MAX: usize = 1_000;
/// Characters of a password the server makes for an account that got none.
pub const GENERATED_PASSWORD_CHARS: usize = 16;
/// What generated passwords are made of: no characters that read alike (0/O, 1/l/I).
const GENERATED_PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// One account of an import, as the administrator gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRow {
    /// A login name, or `name@domain` of the import's domain.
    pub account: String,
    pub display_name: Option<String>,
    /// `member` if not given.
    pub role: Option<Role>,
    /// Made by the server (and answered once) if not given.
    pub password: Option<String>,
}

/// What is wrong with one row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's place in the import, from 0.
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

/// An account an import made.
#[derive(Debug, Clone)]
pub struct Imported {
    pub account: Account,
    /// The password the server made for it, if the row gave none: shown only now.
    pub generated_password: Option<String>,
}

/// What an import did: every row's errors and nothing made, or (unless a dry run) every
/// account made.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub dry_run: bool,
    pub errors: Vec<RowError>,
    pub created: Vec<Imported>,
}

/// The hash an invitation code is kept and found by.
pub(crate) fn invitation_hash(code: &str) -> [u8; 32] {
    crate::auth::token_hash(code.trim())
}

/// What a caller asks to change in a profile, before validation. `Some("")` clears a field.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub avatar: Option<String>,
    pub signature: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// How a new account comes to be, beyond its name and role.
enum Creation {
    Plain,
    /// It applied to a domain whose registration needs approval: made disabled, with an
    /// application.
    PendingApproval,
    /// A bot, with its own row.
    Bot(crate::model::NewBot),
}

#[derive(Clone)]
pub struct Accounts {
    deps: Arc<Deps>,
    account_store: Arc<dyn AccountStore>,
    session_store: Arc<dyn SessionStore>,
    /// Only to check that an avatar naming a file names an image of the caller's.
    file_store: Arc<dyn FileStore>,
    mail_store: Arc<dyn crate::ports::MailStore>,
    /// Tells applicants an administrator's decision.
    mail: crate::mail::Mail,
}

impl Accounts {
    /// The account store, for services that read accounts and domains by id or name.
    pub(crate) fn store(&self) -> &Arc<dyn AccountStore> {
        &self.account_store
    }

    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, mail: crate::mail::Mail) -> Accounts {
        Accounts {
            deps,
            account_store: stores.accounts.clone(),
            session_store: stores.sessions.clone(),
            file_store: stores.files.clone(),
            mail_store: stores.mail.clone(),
            mail,
        }
    }

    /// The domain with this name, created if missing (the default domain at first start).
    pub async fn ensure_domain(&self, name: &str) -> Result<Domain> {
        let name = DomainName::parse(name)?;
        if let Some(d) = self.account_store.domain_by_name(&name).await? {
            return Ok(d);
        }
        match self.account_store.create_domain(&name, self.deps.clock.now_ms()).await? {
            Some(d) => Ok(d),
            // Created concurrently by someone else: read theirs.
            None => self.account_store.domain_by_name(&name).await?.ok_or(Error::NotFound("domain")),
        }
    }

    pub async fn create_domain(&self, actor: Actor<'_>, name: &str) -> Result<Domain> {
        if !actor.is_server_admin() {
            return Err(Error::Forbidden);
        }
        let name = DomainName::parse(name)?;
        let domain = self
            .account_store
            .create_domain(&name, self.deps.clock.now_ms())
            .await?
            .ok_or(Error::AlreadyExists("domain"))?;
        let change =
            Change::new("domain.create", None, domain.name.as_str()).after(json!({ "name": domain.name.as_str() }));
        self.deps.audit(actor, change).await;
        Ok(domain)
    }

    pub async fn domains(&self, actor: Actor<'_>) -> Result<Vec<Domain>> {
        if !actor.is_server_admin() {
            return Err(Error::Forbidden);
        }
        Ok(self.account_store.domains().await?)
    }

    pub async fn domain(&self, name: &str) -> Result<Domain> {
        let name = DomainName::parse(name)?;
        self.account_store.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))
    }

    /// A domain as its administrators see it.
    pub async fn admin_domain(&self, actor: Actor<'_>, name: &str) -> Result<Domain> {
        let domain = self.domain(name).await?;
        if !actor.may_administer(domain.id) {
            return Err(Error::NotFound("domain"));
        }
        Ok(domain)
    }

    pub async fn set_registration(&self, actor: Actor<'_>, domain: &str, mode: RegistrationMode) -> Result<Domain> {
        let domain = self.admin_domain(actor, domain).await?;
        self.account_store.set_registration(domain.id, mode).await?;
        if mode != domain.registration {
            let change = Change::new("domain.registration", Some(domain.id), domain.name.as_str())
                .before(json!({ "registration": domain.registration.as_str() }))
                .after(json!({ "registration": mode.as_str() }));
            self.deps.audit(actor, change).await;
        }
        Ok(Domain { registration: mode, ..domain })
    }

    /// Sets whether registrations in `domain` need an email address proven by a mailed code,
    /// and which email domains their addresses may be of (empty: any). Either needs this
    /// server to send mail.
    pub async fn set_signup_email(
        &self,
        actor: Actor<'_>,
        domain: &str,
        verification: Option<bool>,
        email_domains: Option<&[String]>,
    ) -> Result<Domain> {
        let domain = self.admin_domain(actor, domain).await?;
        let verification = verification.unwrap_or(domain.email_verification);
        let email_domains = match email_domains {
            Some(given) => crate::mail::parse_email_domains(given)?,
            None => domain.email_domains.clone(),
        };
        if verification && !self.mail.enabled() {
            return Err(Error::invalid(
                "email_verification",
                "this server sends no mail (no mail server is configured)",
            ));
        }
        self.mail_store.set_signup_email(domain.id, verification, &email_domains).await?;
        if verification != domain.email_verification || email_domains != domain.email_domains {
            let change = Change::new("domain.signup_email", Some(domain.id), domain.name.as_str())
                .before(
                    json!({ "email_verification": domain.email_verification, "email_domains": domain.email_domains }),
                )
                .after(json!({ "email_verification": verification, "email_domains": email_domains }));
            self.deps.audit(actor, change).await;
        }
        Ok(Domain { email_verification: verification, email_domains, ..domain })
    }

    /// Decides whether direct messages in `domain` need friendship (default: they do not).
    pub async fn set_direct_requires_friendship(&self, actor: Actor<'_>, domain: &str, on: bool) -> Result<Domain> {
        let domain = self.admin_domain(actor, domain).await?;
        self.account_store.set_direct_requires_friendship(domain.id, on).await?;
        if on != domain.direct_requires_friendship {
            let change = Change::new("domain.direct_requires_friendship", Some(domain.id), domain.name.as_str())
                .before(json!({ "direct_requires_friendship": domain.direct_requires_friendship }))
                .after(json!({ "direct_requires_friendship": on }));
            self.deps.audit(actor, change).await;
        }
        Ok(Domain { direct_requires_friendship: on, ..domain })
    }

    /// Creates an account with a password. Domain admins create accounts in their own domain
    /// and cannot hand out a role above their own.
    pub async fn create_account(
        &self,
        actor: Actor<'_>,
        addr: &str,
        password: &str,
        display_name: Option<&str>,
        role: Role,
    ) -> Result<Account> {
        let addr = AccountAddr::parse(addr)?;
        let domain = self.account_store.domain_by_name(&addr.domain).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(domain.id) {
            return Err(Error::NotFound("domain"));
        }
        if let Actor::Account(p) = actor
            && role > p.account.role
        {
            return Err(Error::Forbidden);
        }
        let account =
            self.insert_account(&domain, addr.name, password, display_name, role, HashPool::Login, false).await?;
        let change = Change::new("account.create", Some(domain.id), account.addr.to_string()).after(json!({
            "display_name": account.profile.display_name,
            "role": crate::audit::role_name(account.role),
        }));
        self.deps.audit(actor, change).await;
        Ok(account)
    }

    /// Creates an account after all permission checks: shared by admin creation and
    /// self-registration.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_account(
        &self,
        domain: &Domain,
        name: LoginName,
        password: &str,
        display_name: Option<&str>,
        role: Role,
        pool: HashPool,
        pending_approval: bool,
    ) -> Result<Account> {
        let display_name = match display_name {
            Some(d) => names::display_name(d)?,
            None => name.as_str().to_owned(),
        };
        self.deps.passwords.check_new(password, &[name.as_str(), domain.name.as_str(), &display_name])?;
        // Refuse a taken name before spending a hash on it; the insert re-checks atomically.
        if self.account_store.account_by_name(domain.id, &name).await?.is_some() {
            return Err(Error::AlreadyExists("account"));
        }
        let password_hash = Some(self.deps.passwords.hash(password, pool).await?);
        let how = if pending_approval { Creation::PendingApproval } else { Creation::Plain };
        self.create(domain, name, display_name, role, password_hash, how).await
    }

    /// Writes a new account with its name's keys; `already_exists` if the name is taken.
    async fn create(
        &self,
        domain: &Domain,
        name: LoginName,
        display_name: String,
        role: Role,
        password_hash: Option<String>,
        how: Creation,
    ) -> Result<Account> {
        let (pending_approval, bot) = match how {
            Creation::Plain => (false, None),
            Creation::PendingApproval => (true, None),
            Creation::Bot(bot) => (false, Some(bot)),
        };
        let name_keys = crate::directory::keys_of(
            &self.deps,
            &crate::directory::NameFields {
                display_name: &display_name,
                login: Some(name.as_str()),
                ..Default::default()
            },
        );
        let new = NewAccount {
            domain_id: domain.id,
            domain: domain.name.clone(),
            name,
            role,
            password_hash,
            name_keys,
            pending_approval,
            display_name,
            bot,
            created_at_ms: self.deps.clock.now_ms(),
        };
        self.account_store.create_account(new).await?.ok_or(Error::AlreadyExists("account"))
    }

    /// Creates an account that has no password, of a member of `domain`: one a directory
    /// source (LDAP) brings, whose owner logs in against the directory. The caller checked who
    /// may.
    pub(crate) async fn insert_passwordless(
        &self,
        domain: &Domain,
        name: LoginName,
        display_name: &str,
    ) -> Result<Account> {
        let display_name = names::display_name(display_name)?;
        self.create(domain, name, display_name, Role::Member, None, Creation::Plain).await
    }

    /// Creates a bot account (no password: it acts with tokens) with its `bots` row. The
    /// caller checked who may.
    pub(crate) async fn insert_bot(
        &self,
        domain: &Domain,
        name: LoginName,
        display_name: String,
        bot: crate::model::NewBot,
    ) -> Result<Account> {
        self.create(domain, name, display_name, Role::Member, None, Creation::Bot(bot)).await
    }

    /// Disables or enables `account` after the caller checked who may: its sessions are
    /// revoked and its live connections closed at once, as [`Accounts::set_disabled`] does.
    pub(crate) async fn apply_disabled(&self, account: &Account, disabled: bool) -> Result<()> {
        let revoked = self.account_store.set_disabled(account.id, disabled, self.deps.clock.now_ms()).await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::AccountDisabled);
        Ok(())
    }

    /// The accounts of a domain, for administrators, `limit` at a time after `after`.
    /// Only those whose login or display name contains `query` (ignoring case), if it is not
    /// empty; disabled accounts included.
    pub async fn list(
        &self,
        actor: Actor<'_>,
        domain: &str,
        query: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Account>> {
        let domain = self.admin_domain(actor, domain).await?;
        let query = query.trim();
        if query.chars().count() > SEARCH_QUERY_CHARS_MAX {
            return Err(Error::invalid("q", format!("at most {SEARCH_QUERY_CHARS_MAX} characters")));
        }
        let after = after.map(LoginName::parse).transpose()?;
        let limit = limit.clamp(1, self.deps.settings.directory_page_len_max.max(1));
        Ok(self.account_store.search_accounts(domain.id, query, after.as_ref(), limit, true).await?)
    }

    /// An account by address, for administrators of its domain.
    pub async fn admin_get(&self, actor: Actor<'_>, addr: &str) -> Result<Account> {
        let addr = AccountAddr::parse(addr)?;
        let account = self.find(&addr).await?;
        if !actor.may_administer(account.domain_id) {
            return Err(Error::NotFound("account"));
        }
        Ok(account)
    }

    /// Changes an account's display name or role, for its administrators. Nobody changes their
    /// own role or hands out one above their own.
    pub async fn admin_update(
        &self,
        actor: Actor<'_>,
        addr: &str,
        display_name: Option<&str>,
        role: Option<Role>,
    ) -> Result<Account> {
        let before = self.admin_target(actor, addr).await?;
        let display_name = display_name.map(names::display_name).transpose()?;
        if let (Some(role), Actor::Account(p)) = (role, actor)
            && (role > p.account.role || (p.account.id == before.id && role != before.role))
        {
            return Err(Error::Forbidden);
        }
        let mut account = before.clone();
        if let Some(name) = display_name.filter(|n| *n != before.profile.display_name) {
            let patch = ProfilePatch { display_name: Some(name), ..ProfilePatch::default() };
            account = self.apply_profile(before.id, &patch).await?;
        }
        if let Some(role) = role.filter(|r| *r != before.role) {
            if !self.account_store.set_role(before.id, role).await? {
                return Err(Error::NotFound("account"));
            }
            account.role = role;
            self.deps.bus.publish(Wake::Profile(Arc::new(account.clone())));
        }
        if account != before {
            let fields = |a: &Account| json!({ "display_name": a.profile.display_name, "role": crate::audit::role_name(a.role) });
            let change = Change::new("account.update", Some(before.domain_id), before.addr.to_string())
                .before(fields(&before))
                .after(fields(&account));
            self.deps.audit(actor, change).await;
        }
        Ok(account)
    }

    /// Sets an account's password for it (one the administrator gives, or one made now and
    /// returned, shown only this once) and signs it out everywhere. Not one's own: that is
    /// `change_password`, which asks for the current one.
    pub async fn admin_reset_password(
        &self,
        actor: Actor<'_>,
        addr: &str,
        password: Option<&str>,
    ) -> Result<Option<String>> {
        let account = self.admin_target(actor, addr).await?;
        refuse_self(actor, &account)?;
        if account.bot {
            return Err(Error::invalid("account", "a bot has no password: it acts with tokens"));
        }
        let generated = password.is_none().then(generate_password);
        let password = password.or(generated.as_deref()).unwrap_or_default();
        let context = [account.addr.name.as_str(), account.addr.domain.as_str(), account.profile.display_name.as_str()];
        self.deps.passwords.check_new(password, &context)?;
        let hash = self.deps.passwords.hash(password, HashPool::Login).await?;
        let now = self.deps.clock.now_ms();
        let revoked = self.account_store.set_password_hash(account.id, &hash, None, now).await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::PasswordChanged);
        tracing::info!(target: "magpie::security", account = %account.addr, revoked = revoked.len(), "password reset by an administrator");
        let change = Change::new("account.password_reset", Some(account.domain_id), account.addr.to_string())
            .after(json!({ "generated": generated.is_some(), "sessions_revoked": revoked.len() }));
        self.deps.audit(actor, change).await;
        Ok(generated)
    }

    /// Creates many accounts in `domain` at once, all or none: every row is checked first
    /// (name, display name, role, password, a name twice or taken), and one bad row leaves
    /// every account unmade, with each row's errors in the report. A dry run only checks.
    pub async fn import(
        &self,
        actor: Actor<'_>,
        domain: &str,
        rows: &[ImportRow],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let domain = self.admin_domain(actor, domain).await?;
        if rows.is_empty() || rows.len() > IMPORT_ROWS_MAX {
            return Err(Error::invalid("rows", format!("must be 1 to {IMPORT_ROWS_MAX}")));
        }
        let mut errors = Vec::new();
        let mut checked: Vec<(LoginName, String, Role)> = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let mut fail = |field: &'static str, message: String| errors.push(RowError { row: i, field, message });
            let raw = row.account.trim();
            let name = match raw.split_once('@') {
                Some((_, d)) if !d.eq_ignore_ascii_case(domain.name.as_str()) => {
                    fail("account", format!("is not of the domain {}", domain.name));
                    None
                }
                Some((n, _)) => Some(n),
                None => Some(raw),
            };
            let name = match name.map(LoginName::parse) {
                Some(Ok(n)) => Some(n),
                Some(Err(e)) => {
                    fail("account", e.to_string());
                    None
                }
                None => None,
            };
            let display = match row.display_name.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                Some(d) => match names::display_name(d) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        fail("display_name", e.to_string());
                        None
                    }
                },
                None => name.as_ref().map(|n| n.as_str().to_owned()),
            };
            let role = row.role.unwrap_or(Role::Member);
            if let Actor::Account(p) = actor
                && role > p.account.role
            {
                fail("role", format!("{} is above your own role", role.as_str()));
            }
            if let (Some(password), Some(n), Some(d)) = (row.password.as_deref(), &name, &display)
                && let Err(e) = self.deps.passwords.check_new(password, &[n.as_str(), domain.name.as_str(), d])
            {
                fail("password", e.to_string());
            }
            let Some(name) = name else { continue };
            if let Some(first) = seen.insert(name.clone(), i) {
                fail("account", format!("{name} is on row {} already", first + 1));
                continue;
            }
            if self.account_store.account_by_name(domain.id, &name).await?.is_some() {
                fail("account", format!("{name}@{} exists already", domain.name));
                continue;
            }
            if let Some(display) = display {
                checked.push((name, display, role));
            }
        }
        if !errors.is_empty() || dry_run {
            return Ok(ImportReport { dry_run, errors, created: Vec::new() });
        }
        // Every row checked: hash the passwords (a few at a time, as the pool allows), then
        // write every account in one transaction.
        let now = self.deps.clock.now_ms();
        let concurrency = self.deps.settings.password_hash_concurrency_max.max(1);
        let plain: Vec<(String, Option<String>)> = rows
            .iter()
            .map(|row| match &row.password {
                Some(p) => (p.clone(), None),
                None => {
                    let made = generate_password();
                    (made.clone(), Some(made))
                }
            })
            .collect();
        let mut hashed = Vec::with_capacity(plain.len());
        for chunk in plain.chunks(concurrency) {
            let mut hashes = Vec::with_capacity(chunk.len());
            for (password, _) in chunk {
                hashes.push(self.deps.passwords.hash(password, HashPool::Login));
            }
            hashed.extend(futures_util::future::try_join_all(hashes).await?);
        }
        let hashed = hashed.into_iter().zip(plain.into_iter().map(|(_, made)| made));
        let mut generated = Vec::with_capacity(rows.len());
        let new: Vec<NewAccount> = checked
            .into_iter()
            .zip(hashed)
            .map(|((name, display_name, role), (hash, made))| {
                generated.push(made);
                let name_keys = crate::directory::keys_of(
                    &self.deps,
                    &crate::directory::NameFields {
                        display_name: &display_name,
                        login: Some(name.as_str()),
                        ..Default::default()
                    },
                );
                NewAccount {
                    domain_id: domain.id,
                    domain: domain.name.clone(),
                    name,
                    role,
                    password_hash: Some(hash),
                    name_keys,
                    pending_approval: false,
                    display_name,
                    bot: None,
                    created_at_ms: now,
                }
            })
            .collect();
        let Some(made) = self.account_store.create_accounts(new).await? else {
            // A name was taken between the check and the write: nothing was made.
            return Err(Error::AlreadyExists("account"));
        };
        let mut created = Vec::with_capacity(made.len());
        for (account, generated_password) in made.into_iter().zip(generated) {
            self.deps.bus.publish(Wake::Profile(Arc::new(account.clone())));
            let change = Change::new("account.create", Some(domain.id), account.addr.to_string()).after(json!({
                "display_name": account.profile.display_name,
                "role": crate::audit::role_name(account.role),
                "import": true,
            }));
            self.deps.audit(actor, change).await;
            created.push(Imported { account, generated_password });
        }
        Ok(ImportReport { dry_run, errors, created })
    }

    /// An account an administrator means to act on: in a domain they administer, and of a
    /// role no higher than their own.
    async fn admin_target(&self, actor: Actor<'_>, addr: &str) -> Result<Account> {
        let account = self.admin_get(actor, addr).await?;
        if let Actor::Account(p) = actor
            && account.role > p.account.role
        {
            return Err(Error::Forbidden);
        }
        Ok(account)
    }

    /// Disables an account (closing all its sessions at once) or enables it again. Nobody
    /// disables themselves or an account of a higher role.
    pub async fn set_disabled(&self, actor: Actor<'_>, addr: &str, disabled: bool) -> Result<Account> {
        let account = self.admin_target(actor, addr).await?;
        refuse_self(actor, &account)?;
        let now = self.deps.clock.now_ms();
        let change = Change::new(
            if disabled { "account.disable" } else { "account.enable" },
            Some(account.domain_id),
            account.addr.to_string(),
        )
        .before(json!({ "disabled": account.disabled }));
        // Enabling an applicant approves its application (which enables it).
        if !disabled && self.account_store.decide_application(account.id, true, now).await? {
            self.deps.audit(actor, change.after(json!({ "disabled": false, "application": "approved" }))).await;
            return Ok(Account { disabled, ..account });
        }
        let revoked = self.account_store.set_disabled(account.id, disabled, now).await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::AccountDisabled);
        let after = json!({ "disabled": disabled, "sessions_revoked": revoked.len() });
        self.deps.audit(actor, change.after(after)).await;
        Ok(Account { disabled, ..account })
    }

    /// Revokes every session of an account (an administrator signing it out everywhere).
    /// Accounts of a higher role than the administrator's are out of reach.
    pub async fn revoke_all_sessions(&self, actor: Actor<'_>, addr: &str) -> Result<usize> {
        let account = self.admin_target(actor, addr).await?;
        let revoked = self
            .session_store
            .revoke_sessions(
                account.id,
                SessionSelector::AllExcept(None),
                RevokeReason::Revoked,
                self.deps.clock.now_ms(),
            )
            .await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::Revoked);
        let change = Change::new("account.sessions_revoke", Some(account.domain_id), account.addr.to_string())
            .after(json!({ "sessions_revoked": revoked.len() }));
        self.deps.audit(actor, change).await;
        Ok(revoked.len())
    }

    /// The caller's own account, read afresh.
    pub async fn me(&self, caller: &Principal) -> Result<Account> {
        self.account_store.account_by_id(caller.account.id).await?.ok_or(Error::Unauthenticated)
    }

    /// An account's live sessions, for its administrators.
    pub async fn sessions_of(&self, actor: Actor<'_>, addr: &str) -> Result<Vec<Session>> {
        let account = self.admin_target(actor, addr).await?;
        Ok(self.session_store.sessions(account.id, self.deps.clock.now_ms()).await?)
    }

    /// Revokes one session of an account, for its administrators.
    pub async fn revoke_session_of(&self, actor: Actor<'_>, addr: &str, session: SessionId) -> Result<()> {
        let account = self.admin_target(actor, addr).await?;
        let now = self.deps.clock.now_ms();
        let revoked = self
            .session_store
            .revoke_sessions(account.id, SessionSelector::One(session), RevokeReason::Revoked, now)
            .await?;
        if revoked.is_empty() {
            return Err(Error::NotFound("session"));
        }
        self.deps.live.close_sessions(&revoked, RevokeReason::Revoked);
        let change = Change::new("account.session_revoke", Some(account.domain_id), account.addr.to_string())
            .before(json!({ "session": session }));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Another account's profile, if it is in the caller's domain and enabled.
    pub async fn profile(&self, caller: &Principal, addr: &str) -> Result<Account> {
        let addr = AccountAddr::parse(addr)?;
        if addr.domain != caller.account.addr.domain {
            return Err(Error::NotFound("account"));
        }
        let account = self.find(&addr).await?;
        if account.disabled && account.id != caller.account.id {
            return Err(Error::NotFound("account"));
        }
        Ok(account)
    }

    /// The account at `addr` if it is in the caller's own domain (disabled ones included);
    /// `None` for other domains and unknown names alike.
    pub(crate) async fn in_callers_domain(&self, caller: &Principal, addr: &AccountAddr) -> Result<Option<Account>> {
        if addr.domain != caller.account.addr.domain {
            return Ok(None);
        }
        Ok(self.account_store.account_by_name(caller.account.domain_id, &addr.name).await?)
    }

    /// The caller's domain directory: accounts whose name or display name contains `query`.
    pub async fn search(
        &self,
        caller: &Principal,
        query: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Account>> {
        let query = names::free_text("q", query, SEARCH_QUERY_CHARS_MAX)?;
        let after = after.map(LoginName::parse).transpose()?;
        let limit = limit.clamp(1, self.deps.settings.directory_page_len_max.max(1));
        Ok(self.account_store.search_accounts(caller.account.domain_id, &query, after.as_ref(), limit, false).await?)
    }

    /// Changes the caller's own profile and tells the caller's other devices.
    pub async fn update_profile(&self, caller: &Principal, update: ProfileUpdate) -> Result<Account> {
        let patch = validate_patch(update)?;
        if patch == ProfilePatch::default() {
            return Ok(caller.account.clone());
        }
        if let Some(Some(avatar)) = &patch.avatar {
            crate::files::check_avatar(self.file_store.as_ref(), caller, avatar).await?;
        }
        self.apply_profile(caller.account.id, &patch).await
    }

    /// Writes a validated profile change (no avatar checks: the caller made them), renews the
    /// name keys and tells the account's devices: what a change by the owner does.
    pub(crate) async fn apply_profile(&self, id: crate::model::AccountId, patch: &ProfilePatch) -> Result<Account> {
        let account = self.account_store.update_profile(id, patch).await?.ok_or(Error::NotFound("account"))?;
        // The update cleared the keys if it changed what they are made of; a failure here
        // leaves the account found by login and display name until the next backfill.
        let name_changed = patch.display_name.is_some() || patch.email.is_some() || patch.phone.is_some();
        if name_changed
            && let Some(keys) =
                crate::directory::keys_of(&self.deps, &crate::directory::NameFields::of_account(&account))
        {
            self.account_store.set_name_keys(&account, &keys).await?;
        }
        self.deps.bus.publish(Wake::Profile(Arc::new(account.clone())));
        Ok(account)
    }

    /// Makes an invitation to a domain the actor administers: `uses_max` registrations at
    /// most, for `ttl_secs`. Returns it with its code, which is shown only now.
    pub async fn create_invitation(
        &self,
        actor: Actor<'_>,
        domain: &str,
        uses_max: u32,
        ttl_secs: u64,
        note: Option<&str>,
    ) -> Result<(Invitation, String)> {
        let domain = self.admin_domain(actor, domain).await?;
        if !(1..=INVITATION_USES_MAX).contains(&uses_max) {
            return Err(Error::invalid("uses_max", format!("must be 1 to {INVITATION_USES_MAX}")));
        }
        if !(1..=INVITATION_TTL_SECS_MAX).contains(&ttl_secs) {
            return Err(Error::invalid("ttl_secs", format!("must be 1 to {INVITATION_TTL_SECS_MAX}")));
        }
        let by = match actor {
            Actor::Account(p) => Some(p.account.id),
            Actor::Operator => None,
        };
        let (invitation, code) = self.mint_invitation(&domain, by, uses_max, ttl_secs, note).await?;
        let change = Change::new("invitation.create", Some(domain.id), format!("invitation {}", invitation.id.0))
            .after(json!({ "uses_max": uses_max, "expires_at_ms": invitation.expires_at_ms, "note": invitation.note }));
        self.deps.audit(actor, change).await;
        Ok((invitation, code))
    }

    /// Writes an invitation whose bounds the caller checked; returns it with its code.
    async fn mint_invitation(
        &self,
        domain: &Domain,
        created_by: Option<crate::model::AccountId>,
        uses_max: u32,
        ttl_secs: u64,
        note: Option<&str>,
    ) -> Result<(Invitation, String)> {
        if ttl_secs == 0 {
            return Err(Error::invalid("ttl_secs", "must be at least 1"));
        }
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(names::free_text("note", n, INVITATION_NOTE_CHARS_MAX)?),
            None => None,
        };
        let bytes: [u8; 16] = rand::random();
        let code = format!(
            "{INVITATION_PREFIX}{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
        );
        let now = self.deps.clock.now_ms();
        let new = NewInvitation {
            domain_id: domain.id,
            code_hash: invitation_hash(&code),
            created_by,
            note,
            uses_max,
            expires_at_ms: now.saturating_add(crate::settings::millis(ttl_secs)),
            created_at_ms: now,
        };
        Ok((self.account_store.create_invitation(new).await?, code))
    }

    /// A domain's live invitations (not revoked), newest first.
    pub async fn invitations(&self, actor: Actor<'_>, domain: &str) -> Result<Vec<Invitation>> {
        let domain = self.admin_domain(actor, domain).await?;
        Ok(self.account_store.invitations(domain.id, None, ADMIN_LIST_LEN_MAX).await?)
    }

    /// Lets members (not only administrators) of `domain` make invitation codes, or not.
    pub async fn set_members_invite(&self, actor: Actor<'_>, domain: &str, on: bool) -> Result<Domain> {
        let domain = self.admin_domain(actor, domain).await?;
        self.account_store.set_members_invite(domain.id, on).await?;
        if on != domain.members_invite {
            let change = Change::new("domain.members_invite", Some(domain.id), domain.name.as_str())
                .before(json!({ "members_invite": domain.members_invite }))
                .after(json!({ "members_invite": on }));
            self.deps.audit(actor, change).await;
        }
        Ok(Domain { members_invite: on, ..domain })
    }

    /// Lets members (not only administrators) of `domain` make bots, or not.
    pub async fn set_members_make_bots(&self, actor: Actor<'_>, domain: &str, on: bool) -> Result<Domain> {
        let domain = self.admin_domain(actor, domain).await?;
        self.account_store.set_members_make_bots(domain.id, on).await?;
        if on != domain.members_make_bots {
            let change = Change::new("domain.members_make_bots", Some(domain.id), domain.name.as_str())
                .before(json!({ "members_make_bots": domain.members_make_bots }))
                .after(json!({ "members_make_bots": on }));
            self.deps.audit(actor, change).await;
        }
        Ok(Domain { members_make_bots: on, ..domain })
    }

    /// Makes an invitation to the caller's own domain, as a member where the domain lets
    /// members invite (an administrator may always): at most [`MEMBER_INVITATION_USES_MAX`]
    /// uses and [`MEMBER_INVITATION_TTL_SECS_MAX`], and at most [`INVITATIONS_PER_MEMBER_MAX`]
    /// of a member's invitations live at once.
    pub async fn create_member_invitation(
        &self,
        caller: &Principal,
        uses_max: u32,
        ttl_secs: u64,
        note: Option<&str>,
    ) -> Result<(Invitation, String)> {
        let domain = self.caller_domain(caller).await?;
        let actor = Actor::Account(caller);
        if actor.may_administer(domain.id) {
            return self.create_invitation(actor, domain.name.as_str(), uses_max, ttl_secs, note).await;
        }
        if !domain.members_invite {
            return Err(Error::Forbidden);
        }
        if !(1..=MEMBER_INVITATION_USES_MAX).contains(&uses_max) {
            return Err(Error::invalid("uses_max", format!("must be 1 to {MEMBER_INVITATION_USES_MAX}")));
        }
        if ttl_secs > MEMBER_INVITATION_TTL_SECS_MAX {
            return Err(Error::invalid("ttl_secs", format!("must be 1 to {MEMBER_INVITATION_TTL_SECS_MAX}")));
        }
        let now = self.deps.clock.now_ms();
        let mine = self.account_store.invitations(domain.id, Some(caller.account.id), ADMIN_LIST_LEN_MAX).await?;
        if mine.iter().filter(|i| i.expires_at_ms > now && i.uses < i.uses_max).count() >= INVITATIONS_PER_MEMBER_MAX {
            return Err(Error::LimitExceeded("live invitations per member"));
        }
        self.mint_invitation(&domain, Some(caller.account.id), uses_max, ttl_secs, note).await
    }

    /// The caller's own invitations that are not revoked, newest first.
    pub async fn my_invitations(&self, caller: &Principal) -> Result<Vec<Invitation>> {
        let domain = caller.account.domain_id;
        Ok(self.account_store.invitations(domain, Some(caller.account.id), ADMIN_LIST_LEN_MAX).await?)
    }

    /// Revokes one of the caller's own invitations.
    pub async fn revoke_my_invitation(&self, caller: &Principal, id: InvitationId) -> Result<()> {
        let domain = caller.account.domain_id;
        let mine = self.account_store.invitations(domain, Some(caller.account.id), ADMIN_LIST_LEN_MAX).await?;
        if !mine.iter().any(|i| i.id == id) || !self.account_store.revoke_invitation(domain, id).await? {
            return Err(Error::NotFound("invitation"));
        }
        Ok(())
    }

    async fn caller_domain(&self, caller: &Principal) -> Result<Domain> {
        self.account_store.domain_by_name(&caller.account.addr.domain).await?.ok_or(Error::NotFound("domain"))
    }

    /// Revokes one of a domain's invitations: its code lets nobody in any more.
    pub async fn revoke_invitation(&self, actor: Actor<'_>, domain: &str, id: InvitationId) -> Result<()> {
        let domain = self.admin_domain(actor, domain).await?;
        if !self.account_store.revoke_invitation(domain.id, id).await? {
            return Err(Error::NotFound("invitation"));
        }
        self.deps.audit(actor, Change::new("invitation.revoke", Some(domain.id), format!("invitation {}", id.0))).await;
        Ok(())
    }

    /// A domain's pending applications, oldest first.
    pub async fn applications(&self, actor: Actor<'_>, domain: &str) -> Result<Vec<Application>> {
        let domain = self.admin_domain(actor, domain).await?;
        Ok(self.account_store.applications(domain.id, ADMIN_LIST_LEN_MAX).await?)
    }

    /// Approves or declines an account's pending application; `not_found` if it has none
    /// (or is not of a domain the actor administers).
    pub async fn decide_application(&self, actor: Actor<'_>, addr: &str, approve: bool) -> Result<Account> {
        let account = self.find(&AccountAddr::parse(addr)?).await?;
        if !actor.may_administer(account.domain_id) {
            return Err(Error::NotFound("account"));
        }
        let now = self.deps.clock.now_ms();
        if !self.account_store.decide_application(account.id, approve, now).await? {
            return Err(Error::NotFound("application"));
        }
        tracing::info!(target: "magpie::security", account = %account.addr, approve, "application decided");
        let change = Change::new(
            if approve { "application.approve" } else { "application.reject" },
            Some(account.domain_id),
            account.addr.to_string(),
        )
        .before(json!({ "application": "pending", "disabled": account.disabled }));
        self.mail_decision(&account, approve).await;
        let decided = self.account_store.account_by_id(account.id).await?.ok_or(Error::NotFound("account"))?;
        let after =
            json!({ "application": if approve { "approved" } else { "rejected" }, "disabled": decided.disabled });
        self.deps.audit(actor, change.after(after)).await;
        Ok(decided)
    }

    /// Mails an applicant the decision, if it gave an address and this server sends mail. The
    /// decision stands whether or not the mail can be queued (the applicant also learns it at
    /// its next login).
    async fn mail_decision(&self, account: &Account, approved: bool) {
        let Some(to) = account.profile.email.as_deref() else { return };
        if !self.mail.enabled() {
            return;
        }
        let lang = match self.mail_store.locale(account.id).await {
            Ok(locale) => locale.as_deref().map(crate::mail::Lang::parse).unwrap_or_default(),
            Err(_) => crate::mail::Lang::default(),
        };
        let addr = account.addr.to_string();
        let mail = crate::mail::decision_mail(lang, approved, to, &addr, account.addr.domain.as_str());
        if let Err(e) = self.mail.enqueue(mail).await {
            tracing::warn!(account = %addr, error = %e, "could not queue the application decision mail");
        }
    }

    /// An account's address by its id, if it exists.
    pub async fn address_of(&self, id: crate::model::AccountId) -> Result<Option<AccountAddr>> {
        Ok(self.account_store.account_by_id(id).await?.map(|a| a.addr))
    }

    async fn find(&self, addr: &AccountAddr) -> Result<Account> {
        let domain = self.account_store.domain_by_name(&addr.domain).await?.ok_or(Error::NotFound("account"))?;
        self.account_store.account_by_name(domain.id, &addr.name).await?.ok_or(Error::NotFound("account"))
    }
}

/// An avatar reference (a URL, or the id of an image the setter uploaded: see
/// [`crate::files::check_avatar`]): at most [`AVATAR_BYTES_MAX`], no control characters.
/// Profiles and groups share the rule.
pub(crate) fn avatar(v: &str) -> Result<String> {
    let v = v.trim();
    if v.len() > AVATAR_BYTES_MAX {
        return Err(Error::too_large("avatar", AVATAR_BYTES_MAX, Unit::Bytes));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid("avatar", "must not contain control characters"));
    }
    Ok(v.to_owned())
}

pub(crate) fn validate_patch(update: ProfileUpdate) -> Result<ProfilePatch> {
    fn optional(value: Option<String>, check: impl FnOnce(&str) -> Result<String>) -> Result<Option<Option<String>>> {
        match value {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(Some(None)),
            Some(v) => Ok(Some(Some(check(&v)?))),
        }
    }
    Ok(ProfilePatch {
        display_name: update.display_name.as_deref().map(names::display_name).transpose()?,
        avatar: optional(update.avatar, avatar)?,
        signature: optional(update.signature, |v| names::free_text("signature", v, SIGNATURE_CHARS_MAX))?,
        email: optional(update.email, |v| {
            let v = v.trim();
            if v.len() > EMAIL_BYTES_MAX {
                return Err(Error::too_large("email", EMAIL_BYTES_MAX, Unit::Bytes));
            }
            let valid = v
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'))
                && !v.chars().any(|c| c.is_whitespace() || c.is_control());
            if !valid {
                return Err(Error::invalid("email", "must look like name@example.com"));
            }
            Ok(v.to_owned())
        })?,
        phone: optional(update.phone, |v| {
            let v = v.trim();
            if v.len() > PHONE_BYTES_MAX {
                return Err(Error::too_large("phone", PHONE_BYTES_MAX, Unit::Bytes));
            }
            let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')');
            if !v.chars().all(allowed) || !v.chars().any(|c| c.is_ascii_digit()) {
                return Err(Error::invalid("phone", "only digits, '+', '-', spaces and parentheses"));
            }
            Ok(v.to_owned())
        })?,
    })
}

/// Refuses an administrator acting on their own account where that is not for the admin path
/// (disabling oneself, resetting one's own password).
fn refuse_self(actor: Actor<'_>, account: &Account) -> Result<()> {
    match actor {
        Actor::Account(p) if p.account.id == account.id => Err(Error::Forbidden),
        _ => Ok(()),
    }
}

/// A password for an account that was given none: [`GENERATED_PASSWORD_CHARS`] characters that
/// do not read alike.
fn generate_password() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..GENERATED_PASSWORD_CHARS)
        .map(|_| char::from(GENERATED_PASSWORD_ALPHABET[rng.random_range(0..GENERATED_PASSWORD_ALPHABET.len())]))
        .collect()
}

/// The domain named `domain`, with its name as stored, if `actor` administers it; another
/// domain is `not_found`, as if there were none.
pub(crate) async fn administered_domain(
    accounts: &dyn AccountStore,
    actor: Actor<'_>,
    domain: &str,
) -> Result<(crate::model::DomainId, String)> {
    let name = DomainName::parse(domain)?;
    let found = accounts.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
    if !actor.may_administer(found.id) {
        return Err(Error::NotFound("domain"));
    }
    Ok((found.id, found.name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_updates_are_validated_and_empty_strings_clear() {
        let patch = validate_patch(ProfileUpdate {
            display_name: Some("  李四 ".into()),
            email: Some("".into()),
            phone: Some("+86 138-0000-0000".into()),
            ..ProfileUpdate::default()
        });
        let patch = patch.ok();
        assert_eq!(patch.as_ref().and_then(|p| p.display_name.clone()), Some("李四".into()));
        assert_eq!(patch.as_ref().and_then(|p| p.email.clone()), Some(None));
        assert!(validate_patch(ProfileUpdate { email: Some("nope".into()), ..Default::default() }).is_err());
        assert!(validate_patch(ProfileUpdate { phone: Some("call me".into()), ..Default::default() }).is_err());
        let long = "x".repeat(AVATAR_BYTES_MAX + 1);
        assert!(matches!(
            validate_patch(ProfileUpdate { avatar: Some(long), ..Default::default() }),
            Err(Error::TooLarge { field: "avatar", .. })
        ));
    }
}
