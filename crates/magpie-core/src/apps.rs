//! The workbench (工作台): a domain's apps, H5 pages that open inside the client, and how an
//! app learns who its user is and acts for them: OAuth 2.0's authorization code grant
//! (RFC 6749) with PKCE (RFC 7636, `S256` only), refresh tokens that rotate, and revocation
//! (RFC 7009).
//!
//! A domain's administrators install apps: a name, the page's URL, the redirect URIs the app
//! may be sent back to, the scopes it may ask for, and optionally the departments whose people
//! see it (and those of the departments below them). Each app gets a `client_id` and a secret,
//! shown once: every app has a server that keeps it (the API takes no cross-origin calls, so a
//! page with no server of its own could not use its tokens anyway), and PKCE besides.
//!
//! An app's access token is a session of its user with a [`TokenScope`] naming the app and the
//! scopes granted: checked, rate-limited, listed and revoked like any session, and good only
//! for the routes of those scopes (the HTTP layer's list). It lives [`ACCESS_TTL_SECS`]; its
//! refresh token [`REFRESH_TTL_MS`], and each use of it replaces both. A user's consent is
//! remembered per app (the grant); withdrawing it, or an administrator deleting the app, ends
//! every token it holds at once.
//!
//! A code and the pairs that follow from it are one *family* (RFC 9700 §2.2.2, §4.14.2): its
//! id, random, is written into the code and each refresh token, and only the family's current
//! pair is kept. So a code shown a second time, or a refresh token shown after it was
//! replaced, names a family whose secret has moved on: one of the two holders is not the app.
//! The family's pair is then revoked, and the user authorizes the app again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::Change;
use crate::auth::{TOKEN_PREFIX, token_hash};
use crate::model::{
    Account, AccountId, Actor, AppAccess, DomainId, NewSession, Principal, RevokeReason, SessionId, SessionSelector,
    TokenScope,
};
use crate::names::{self, AccountAddr};
use crate::org::DepartmentId;
use crate::ports::{AccountStore, BotStore, OrgStore, SessionStore, Stores};
use crate::{Deps, Error, Result};

/// Most apps one domain installs.
pub const APPS_PER_DOMAIN_MAX: usize = 100;
/// An app's name, in characters.
pub const APP_NAME_CHARS_MAX: usize = 64;
/// An app's description, in characters.
pub const APP_DESCRIPTION_CHARS_MAX: usize = 512;
/// An app's page, icon or redirect URI, in bytes.
pub const APP_URL_BYTES_MAX: usize = 2048;
/// Most redirect URIs of one app.
pub const REDIRECT_URIS_MAX: usize = 10;
/// Most departments an app is restricted to.
pub const APP_DEPARTMENTS_MAX: usize = 100;
/// How long an authorization code may wait to be exchanged (RFC 6749 §4.1.2: short).
pub const CODE_TTL_MS: i64 = 60_000;
/// How long an access token lives.
pub const ACCESS_TTL_SECS: i64 = 3600;
/// How long a refresh token lives unused.
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// Most codes waiting to be exchanged for one user and app; a new one past it forgets the
/// oldest.
pub const CODES_PER_GRANT_MAX: usize = 10;
/// Most live token pairs one user's grant to one app holds (its devices); a new one past it
/// ends the oldest.
pub const TOKENS_PER_GRANT_MAX: usize = 10;
/// The `state` an app passes through the authorization, in bytes.
pub const STATE_BYTES_MAX: usize = 1024;

const CLIENT_ID_PREFIX: &str = "mpa_";
const SECRET_PREFIX: &str = "mps_";
const CODE_PREFIX: &str = "mpc_";
const REFRESH_PREFIX: &str = "mpr_";

/// The id of a code and the token pairs that follow from it.
pub type Family = [u8; 16];

/// A code or refresh token: its prefix, its family's id and 32 random bytes, in base64url.
fn family_secret(prefix: &str, family: &Family) -> String {
    format!("{prefix}{}{}", URL_SAFE_NO_PAD.encode(family), URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

/// The family a code or refresh token names, if it is of [`family_secret`]'s form.
fn family_of(prefix: &str, secret: &str) -> Option<Family> {
    let rest = secret.strip_prefix(prefix)?;
    // 16 bytes are 22 base64url characters; the 32 random bytes, 43 more.
    if rest.len() != 22 + 43 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(rest.get(..22)?).ok()?.try_into().ok()
}

/// What an app may do for its user: each scope opens a list of routes (see docs/protocol.md,
/// "Workbench apps").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum AppScope {
    /// Who the user is: their account, name and avatar; other people's profiles and places.
    #[serde(rename = "profile")]
    Profile,
    /// The user's contacts, the directory and the organisation.
    #[serde(rename = "contacts:read")]
    ContactsRead,
    /// The user's conversations and their messages.
    #[serde(rename = "messages:read")]
    MessagesRead,
    /// Sending messages and files as the user.
    #[serde(rename = "messages:write")]
    MessagesWrite,
}

impl AppScope {
    pub const ALL: [AppScope; 4] =
        [AppScope::Profile, AppScope::ContactsRead, AppScope::MessagesRead, AppScope::MessagesWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            AppScope::Profile => "profile",
            AppScope::ContactsRead => "contacts:read",
            AppScope::MessagesRead => "messages:read",
            AppScope::MessagesWrite => "messages:write",
        }
    }

    pub fn parse(s: &str) -> Option<AppScope> {
        AppScope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Scopes as OAuth writes them: space-separated.
    pub fn join(scopes: &[AppScope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AppId(pub i64);

/// An installed app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: AppId,
    pub domain_id: DomainId,
    pub name: String,
    pub description: String,
    /// An `http(s)` URL of its icon.
    pub icon: Option<String>,
    /// Its page, opened in the workbench.
    pub url: String,
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    /// What it may ask its users for.
    pub scopes: Vec<AppScope>,
    /// Only people in these departments (or below them) see it; `None`: everyone.
    pub departments: Option<Vec<DepartmentId>>,
    /// Where it sorts in the workbench (smaller first).
    pub position: i64,
    pub created_at_ms: i64,
}

/// An app as the store keeps a new one (its position is the domain's last).
#[derive(Debug, Clone)]
pub struct NewApp {
    pub domain_id: DomainId,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    pub url: String,
    pub client_id: String,
    pub secret_hash: [u8; 32],
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<AppScope>,
    pub departments: Option<Vec<DepartmentId>>,
    pub created_at_ms: i64,
}

/// A change to an app, checked: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<Option<String>>,
    pub url: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<AppScope>>,
    pub departments: Option<Option<Vec<DepartmentId>>>,
}

/// An app to install, as an administrator asks for it.
#[derive(Debug, Clone, Default)]
pub struct AppRequest {
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub url: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub departments: Option<Vec<DepartmentId>>,
}

/// A change to an app, as an administrator asks for it.
#[derive(Debug, Clone, Default)]
pub struct AppUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<Option<String>>,
    pub url: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub departments: Option<Option<Vec<DepartmentId>>>,
}

/// An authorization code, kept by the hash of its secret until it is exchanged or expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCode {
    pub app: AppId,
    pub account: AccountId,
    pub scopes: Vec<AppScope>,
    /// The PKCE `code_challenge` (S256).
    pub challenge: String,
    pub redirect_uri: String,
    pub expires_at_ms: i64,
    /// The family of the pairs the code is exchanged for.
    pub family: Family,
}

/// A token pair: the refresh token's hash, and the session that is its access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppToken {
    pub refresh_hash: [u8; 32],
    /// Its code's family: each refresh hands it on.
    pub family: Family,
    pub app: AppId,
    pub account: AccountId,
    pub session: SessionId,
    pub scopes: Vec<AppScope>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// What a new token pair is given in exchange for, gone in the write that keeps the pair: the
/// hash of its authorization code, or of the refresh token it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spends {
    Code([u8; 32]),
    Refresh([u8; 32]),
}

/// How keeping a token pair went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Kept; the sessions of the older pairs it pushed out, to be revoked.
    Kept(Vec<SessionId>),
    /// What it was exchanged for was gone (used by another request, or revoked) while the
    /// grant stands: nothing was kept.
    Spent,
    /// The user withdrew the grant (with its codes and pairs): nothing was kept.
    Withdrawn,
}

/// A user's consent to an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub app: App,
    pub scopes: Vec<AppScope>,
    pub granted_at_ms: i64,
}

/// An authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3), as the app sent the browser.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Space-separated; none: `profile`.
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// What the consent page shows of a valid authorization request.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub app: App,
    pub scopes: Vec<AppScope>,
    /// The user granted all of these before: the page may go on without asking.
    pub granted: bool,
    /// Where a refusal sends the browser (`error=access_denied`).
    pub deny_redirect: String,
}

/// How an app authenticates at the token endpoint.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// What the token endpoint is asked for.
#[derive(Debug, Clone)]
pub enum TokenRequest {
    Code { code: String, redirect_uri: String, code_verifier: String },
    Refresh { refresh_token: String },
}

/// A token response (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in_secs: i64,
    pub refresh_token: String,
    pub scopes: Vec<AppScope>,
    /// Whose they are.
    pub account: AccountAddr,
}

/// The token and revocation endpoints' refusals (RFC 6749 §5.2): `invalid_request`,
/// `invalid_client`, `invalid_grant`, `unsupported_grant_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: &'static str,
    pub description: String,
}

impl Refusal {
    fn new(error: &'static str, description: impl Into<String>) -> Refusal {
        Refusal { error, description: description.into() }
    }
}

#[derive(Clone)]
pub struct Apps {
    deps: Arc<Deps>,
    store: Arc<dyn BotStore>,
    accounts: Arc<dyn AccountStore>,
    sessions: Arc<dyn SessionStore>,
    org: Arc<dyn OrgStore>,
}

impl Apps {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Apps {
        Apps {
            deps,
            store: stores.bots.clone(),
            accounts: stores.accounts.clone(),
            sessions: stores.sessions.clone(),
            org: stores.org.clone(),
        }
    }

    // Administrators.

    /// The domain's apps, in the workbench's order.
    pub async fn list(&self, actor: Actor<'_>, domain: &str) -> Result<Vec<App>> {
        let (domain, _) = crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await?;
        Ok(self.store.apps(domain).await?)
    }

    /// Installs an app, last in the workbench; answers its secret, shown once.
    pub async fn create(&self, actor: Actor<'_>, domain: &str, request: AppRequest) -> Result<(App, String)> {
        let (domain, _) = crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await?;
        let departments = match request.departments {
            Some(list) => Some(self.departments_of_domain(domain, list).await?),
            None => None,
        };
        let secret = new_secret();
        let new = NewApp {
            domain_id: domain,
            name: app_name(&request.name)?,
            description: app_description(request.description.as_deref().unwrap_or(""))?,
            icon: request.icon.as_deref().map(|u| web_url("icon", u)).transpose()?,
            url: web_url("url", &request.url)?,
            client_id: format!("{CLIENT_ID_PREFIX}{}", hex(&rand::random::<[u8; 12]>())),
            secret_hash: token_hash(&secret),
            redirect_uris: redirect_uris(&request.redirect_uris)?,
            scopes: scopes("scopes", &request.scopes)?,
            departments,
            created_at_ms: self.deps.clock.now_ms(),
        };
        let app = self
            .store
            .create_app(&new, APPS_PER_DOMAIN_MAX)
            .await?
            .ok_or(Error::LimitExceeded("a domain installs at most 100 apps"))?;
        let change = Change::new("app.create", Some(domain), app.client_id.clone()).after(snapshot(&app));
        self.deps.audit(actor, change).await;
        Ok((app, secret))
    }

    /// Changes an app. Narrowing its scopes or departments leaves the access tokens already
    /// issued as they are (an hour at most); their next refresh gets only what still holds.
    /// Deleting the app ends them at once.
    pub async fn update(&self, actor: Actor<'_>, id: AppId, update: AppUpdate) -> Result<App> {
        let app = self.administered(actor, id).await?;
        let departments = match update.departments {
            Some(Some(list)) => Some(Some(self.departments_of_domain(app.domain_id, list).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let patch = AppPatch {
            name: update.name.as_deref().map(app_name).transpose()?,
            description: update.description.as_deref().map(app_description).transpose()?,
            icon: update.icon.map(|icon| icon.as_deref().map(|u| web_url("icon", u)).transpose()).transpose()?,
            url: update.url.as_deref().map(|u| web_url("url", u)).transpose()?,
            redirect_uris: update.redirect_uris.as_deref().map(redirect_uris).transpose()?,
            scopes: update.scopes.as_deref().map(|s| scopes("scopes", s)).transpose()?,
            departments,
        };
        let updated = self.store.update_app(id, &patch).await?.ok_or(Error::NotFound("app"))?;
        let change = Change::new("app.update", Some(app.domain_id), app.client_id.clone())
            .before(snapshot(&app))
            .after(snapshot(&updated));
        self.deps.audit(actor, change).await;
        Ok(updated)
    }

    /// Uninstalls an app: every token it holds ends at once, everywhere.
    pub async fn delete(&self, actor: Actor<'_>, id: AppId) -> Result<()> {
        let app = self.administered(actor, id).await?;
        let ended = self.store.delete_app(id).await?.ok_or(Error::NotFound("app"))?;
        self.end_sessions(&ended).await?;
        let change = Change::new("app.delete", Some(app.domain_id), app.client_id.clone()).before(snapshot(&app));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Puts the domain's apps in this order: every one of them, once.
    pub async fn order(&self, actor: Actor<'_>, domain: &str, order: &[AppId]) -> Result<Vec<App>> {
        let (domain, name) = crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await?;
        let current: HashSet<AppId> = self.store.apps(domain).await?.into_iter().map(|a| a.id).collect();
        let asked: HashSet<AppId> = order.iter().copied().collect();
        if asked.len() != order.len() || asked != current {
            return Err(Error::invalid("apps", "name every app of the domain once, in the new order"));
        }
        if !self.store.order_apps(domain, order).await? {
            return Err(Error::Conflict("the domain's apps changed meanwhile; read them and order again".into()));
        }
        let change = Change::new("app.order", Some(domain), name)
            .after(json!({"apps": order.iter().map(|a| a.0).collect::<Vec<_>>()}));
        self.deps.audit(actor, change).await;
        Ok(self.store.apps(domain).await?)
    }

    /// Gives an app a new secret: the old one stops at once.
    pub async fn rotate_secret(&self, actor: Actor<'_>, id: AppId) -> Result<String> {
        let app = self.administered(actor, id).await?;
        let secret = new_secret();
        if !self.store.set_app_secret(id, token_hash(&secret)).await? {
            return Err(Error::NotFound("app"));
        }
        let change = Change::new("app.secret_rotate", Some(app.domain_id), app.client_id.clone());
        self.deps.audit(actor, change).await;
        Ok(secret)
    }

    // Members.

    /// The apps of the caller's domain that the caller sees, in the workbench's order.
    pub async fn workbench(&self, caller: &Principal) -> Result<Vec<App>> {
        let apps = self.store.apps(caller.account.domain_id).await?;
        if apps.iter().all(|a| a.departments.is_none()) {
            return Ok(apps);
        }
        let places = self.places_of(caller).await?;
        Ok(apps.into_iter().filter(|a| sees(a, &places)).collect())
    }

    /// An app's icon as a JPEG the server fetched and made (see
    /// [`crate::previews::LinkPreviews::card_image`]): the web client's pages load no image of
    /// another origin. Only for those who see the app.
    pub async fn icon(
        &self,
        previews: &crate::previews::LinkPreviews,
        caller: &Principal,
        id: AppId,
    ) -> Result<(Vec<u8>, String)> {
        let app = match self.store.app(id).await? {
            Some(app) if app.domain_id == caller.account.domain_id => app,
            _ => return Err(Error::NotFound("app")),
        };
        // One who does not see the app learns nothing of it, not even that it is there.
        if app.departments.is_some() && !sees(&app, &self.places_of(caller).await?) {
            return Err(Error::NotFound("app"));
        }
        let url = app.icon.ok_or(Error::NotFound("icon"))?;
        previews.card_image(caller, &url).await
    }

    /// The apps the caller granted, in the workbench's order.
    pub async fn grants(&self, caller: &Principal) -> Result<Vec<Grant>> {
        let grants = self.store.app_grants(caller.account.id).await?;
        let mut apps: HashMap<AppId, App> =
            self.store.apps(caller.account.domain_id).await?.into_iter().map(|a| (a.id, a)).collect();
        let mut out: Vec<Grant> = grants
            .into_iter()
            .filter_map(|(app, scopes, granted_at_ms)| {
                apps.remove(&app).map(|app| Grant { app, scopes, granted_at_ms })
            })
            .collect();
        out.sort_by_key(|g| (g.app.position, g.app.id));
        Ok(out)
    }

    /// Withdraws the caller's grant to an app: its tokens for the caller end at once.
    pub async fn revoke_grant(&self, caller: &Principal, id: AppId) -> Result<()> {
        let ended = self.store.delete_app_grant(id, caller.account.id).await?.ok_or(Error::NotFound("grant"))?;
        self.end_sessions(&ended).await
    }

    // OAuth 2.0.

    /// Checks an authorization request for the consent page. Nothing here redirects: a
    /// request whose client or redirect URI is not right is refused to the user (RFC 6749
    /// §4.1.2.1), never sent on.
    pub async fn authorization(&self, caller: &Principal, request: &AuthorizeRequest) -> Result<Authorization> {
        let app = self.app_by_client(caller, &request.client_id).await?;
        if !app.redirect_uris.contains(&request.redirect_uri) {
            return Err(Error::invalid("redirect_uri", "is not one of the app's redirect URIs"));
        }
        if request.response_type != "code" {
            return Err(Error::invalid("response_type", "only code is supported"));
        }
        if request.code_challenge_method != "S256" {
            return Err(Error::invalid("code_challenge_method", "only S256 is supported (PKCE is required)"));
        }
        // BASE64URL(SHA-256(verifier)) without padding is always 43 characters.
        let challenge = &request.code_challenge;
        if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Error::invalid("code_challenge", "is the base64url SHA-256 of the verifier: 43 characters"));
        }
        if request.state.as_ref().is_some_and(|s| s.len() > STATE_BYTES_MAX) {
            return Err(Error::invalid("state", format!("is at most {STATE_BYTES_MAX} bytes")));
        }
        let asked: Vec<String> = match &request.scope {
            Some(s) if !s.trim().is_empty() => s.split_ascii_whitespace().map(str::to_owned).collect(),
            _ => vec![AppScope::Profile.as_str().to_owned()],
        };
        let wanted = scopes("scope", &asked)?;
        if let Some(beyond) = wanted.iter().find(|s| !app.scopes.contains(s)) {
            return Err(Error::invalid("scope", format!("the app may not ask for {}", beyond.as_str())));
        }
        let granted = self
            .store
            .app_grant(app.id, caller.account.id)
            .await?
            .is_some_and(|(had, _)| wanted.iter().all(|s| had.contains(s)));
        let mut deny_redirect =
            url::Url::parse(&request.redirect_uri).map_err(|_| Error::invalid("redirect_uri", "is not a URL"))?;
        deny_redirect.query_pairs_mut().append_pair("error", "access_denied");
        if let Some(state) = &request.state {
            deny_redirect.query_pairs_mut().append_pair("state", state);
        }
        Ok(Authorization { app, scopes: wanted, granted, deny_redirect: deny_redirect.into() })
    }

    /// The user allows the request: remembers the grant and answers where to send the browser,
    /// with a code good once for [`CODE_TTL_MS`].
    pub async fn authorize(&self, caller: &Principal, request: &AuthorizeRequest) -> Result<String> {
        let authorization = self.authorization(caller, request).await?;
        let now = self.deps.clock.now_ms();
        let family: Family = rand::random();
        let code = family_secret(CODE_PREFIX, &family);
        let kept = OAuthCode {
            app: authorization.app.id,
            account: caller.account.id,
            scopes: authorization.scopes.clone(),
            challenge: request.code_challenge.clone(),
            redirect_uri: request.redirect_uri.clone(),
            expires_at_ms: now + CODE_TTL_MS,
            family,
        };
        self.store.put_app_grant(authorization.app.id, caller.account.id, &authorization.scopes, now).await?;
        self.store.put_oauth_code(&token_hash(&code), &kept, CODES_PER_GRANT_MAX).await?;
        let mut to =
            url::Url::parse(&request.redirect_uri).map_err(|_| Error::invalid("redirect_uri", "is not a URL"))?;
        to.query_pairs_mut().append_pair("code", &code);
        if let Some(state) = &request.state {
            to.query_pairs_mut().append_pair("state", state);
        }
        Ok(to.into())
    }

    /// The token endpoint: a code (with its PKCE verifier) or a refresh token for a new pair.
    /// The outer error is the server's; the inner, what OAuth tells the app.
    pub async fn token(
        &self,
        client: &ClientAuth,
        request: TokenRequest,
    ) -> Result<std::result::Result<Tokens, Refusal>> {
        let app = match self.client(client).await? {
            Ok(app) => app,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let now = self.deps.clock.now_ms();
        // What is exchanged is only looked at here: it goes in the write that keeps the new pair
        // (or when the request is refused), so that at every moment a family has its code or its
        // one pair for a replay to revoke.
        let (account, scopes, replaced, family, spends) = match request {
            TokenRequest::Code { code, redirect_uri, code_verifier } => {
                let hash = token_hash(&code);
                let Some(kept) = self.store.oauth_code(&hash).await? else {
                    // A code shown again after it was exchanged: the pair it gave is revoked
                    // (RFC 6749 §4.1.2), whoever holds it.
                    if self.end_family(family_of(CODE_PREFIX, &code)).await? {
                        return Ok(Err(Refusal::new(
                            "invalid_grant",
                            "the code was used before: the tokens issued for it are revoked",
                        )));
                    }
                    return Ok(Err(Refusal::new("invalid_grant", "the code is not valid (unknown, used or expired)")));
                };
                let verified = (43..=128).contains(&code_verifier.len())
                    && code_verifier.bytes().all(is_pkce_char)
                    && URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes())) == kept.challenge;
                let refusal = if kept.app != app.id || kept.expires_at_ms <= now {
                    Some("the code is not valid (unknown, used or expired)")
                } else if kept.redirect_uri != redirect_uri {
                    Some("redirect_uri is not the one the code was given for")
                } else if !verified {
                    Some("code_verifier does not match the code_challenge")
                } else {
                    None
                };
                if let Some(why) = refusal {
                    // A code is good for one try: a wrong one spends it.
                    self.store.take_oauth_code(&hash).await?;
                    return Ok(Err(Refusal::new("invalid_grant", why)));
                }
                (kept.account, kept.scopes, None, kept.family, Spends::Code(hash))
            }
            TokenRequest::Refresh { refresh_token } => {
                let hash = token_hash(&refresh_token);
                let Some(kept) = self.store.app_token(&hash).await? else {
                    // A refresh token shown after it was replaced: its family's current pair is
                    // revoked (RFC 9700 §4.14.2), whoever holds it.
                    if self.end_family(family_of(REFRESH_PREFIX, &refresh_token)).await? {
                        return Ok(Err(Refusal::new(
                            "invalid_grant",
                            "the refresh token was replaced before: its successors are revoked",
                        )));
                    }
                    return Ok(Err(Refusal::new(
                        "invalid_grant",
                        "the refresh token is not valid (unknown, used or revoked)",
                    )));
                };
                if kept.app != app.id || kept.expires_at_ms <= now {
                    // Spent all the same: a refresh token shown to the wrong client is revoked.
                    self.spend(Spends::Refresh(hash), Some((kept.account, kept.session))).await?;
                    return Ok(Err(Refusal::new(
                        "invalid_grant",
                        "the refresh token is not valid (unknown, used or revoked)",
                    )));
                }
                (kept.account, kept.scopes, Some((kept.account, kept.session)), kept.family, Spends::Refresh(hash))
            }
        };
        let refused = |why: &'static str| Ok(Err(Refusal::new("invalid_grant", why)));
        let (holder, scopes) = match self.holder_and_scopes(&app, account, scopes).await? {
            Ok(found) => found,
            Err(why) => {
                self.spend(spends, replaced).await?;
                return refused(why);
            }
        };
        let access_token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
        let refresh_token = family_secret(REFRESH_PREFIX, &family);
        let scope = TokenScope {
            conversations: None,
            read: false,
            send: false,
            hook: false,
            app: Some(AppAccess { app: app.id, scopes: scopes.clone() }),
        };
        let new = NewSession {
            account_id: account,
            token_hash: token_hash(&access_token),
            device: Some(format!("app: {}", app.name)),
            ip: None,
            created_at_ms: now,
            expires_at_ms: now + ACCESS_TTL_SECS * 1000,
            // An app's tokens never push the user's own logins out; they have a bound of their own.
            sessions_per_account_max: usize::MAX,
            scope: Some(scope),
        };
        let (session, _) = self.sessions.create_session(new).await?;
        let pair = AppToken {
            refresh_hash: token_hash(&refresh_token),
            family,
            app: app.id,
            account,
            session: session.id,
            scopes: scopes.clone(),
            created_at_ms: now,
            expires_at_ms: now + REFRESH_TTL_MS,
        };
        let mut ended: Vec<(AccountId, SessionId)> = replaced.into_iter().collect();
        let refusal = match self.store.put_app_token(&pair, spends, TOKENS_PER_GRANT_MAX).await? {
            Kept::Kept(evicted) => {
                ended.extend(evicted.into_iter().map(|s| (account, s)));
                None
            }
            // Another request exchanged the same code or refresh token first: a replay racing
            // the client, so the family's pair is revoked as for one that came later.
            Kept::Spent => {
                self.end_family(Some(family)).await?;
                ended.push((account, session.id));
                Some("the code or refresh token was used by another request: the tokens issued for it are revoked")
            }
            Kept::Withdrawn => {
                ended.push((account, session.id));
                Some("the user withdrew the grant")
            }
        };
        self.end_sessions(&ended).await?;
        if let Some(why) = refusal {
            return refused(why);
        }
        Ok(Ok(Tokens { access_token, expires_in_secs: ACCESS_TTL_SECS, refresh_token, scopes, account: holder.addr }))
    }

    /// The revocation endpoint (RFC 7009): ends the pair of an access or refresh token of this
    /// app. A token that is not (or no longer) the app's is no error: there is nothing to end.
    pub async fn revoke(&self, client: &ClientAuth, token: &str) -> Result<std::result::Result<(), Refusal>> {
        let app = match self.client(client).await? {
            Ok(app) => app,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let hash = token_hash(token);
        if let Some(pair) = self.store.app_token(&hash).await? {
            // Another client's token is not this one's to end.
            if pair.app == app.id && self.store.take_app_token(&hash).await?.is_some() {
                self.end_sessions(&[(pair.account, pair.session)]).await?;
            }
            return Ok(Ok(()));
        }
        if let Some((session, _)) = self.sessions.session_by_token_hash(&hash).await?
            && session.scope.as_ref().and_then(|s| s.app.as_ref()).is_some_and(|a| a.app == app.id)
        {
            // Ending the session forgets its refresh token in the same write.
            self.end_sessions(&[(session.account_id, session.id)]).await?;
        }
        Ok(Ok(()))
    }

    /// Deletes authorization codes and token pairs that expired; how many.
    pub async fn prune(&self) -> Result<u64> {
        Ok(self.store.prune_oauth(self.deps.clock.now_ms()).await?)
    }

    async fn client(&self, client: &ClientAuth) -> Result<std::result::Result<App, Refusal>> {
        let refused = || Ok(Err(Refusal::new("invalid_client", "unknown client, or a wrong secret")));
        let Some((app, expected)) = self.store.app_by_client_id(&client.client_id).await? else {
            return refused();
        };
        let Some(given) = &client.client_secret else { return refused() };
        // Both are SHA-256 digests of high-entropy secrets: comparing them leaks nothing about
        // the secret.
        if token_hash(given) != expected {
            return refused();
        }
        Ok(Ok(app))
    }

    /// The user a token request is for, and the scopes asked that the app may still have and
    /// the user still grants; or why the request is refused. An administrator's narrowing of
    /// the app holds from the next refresh, and so does a move out of its departments.
    async fn holder_and_scopes(
        &self,
        app: &App,
        account: AccountId,
        asked: Vec<AppScope>,
    ) -> Result<std::result::Result<(Account, Vec<AppScope>), &'static str>> {
        let Some(holder) = self.accounts.account_by_id(account).await? else {
            return Ok(Err("the user is gone"));
        };
        if holder.domain_id != app.domain_id {
            return Ok(Err("the user is not of the app's domain"));
        }
        if holder.disabled {
            return Ok(Err("the user's account is disabled"));
        }
        let Some((granted, _)) = self.store.app_grant(app.id, account).await? else {
            return Ok(Err("the user withdrew the grant"));
        };
        let scopes: Vec<AppScope> =
            asked.into_iter().filter(|s| app.scopes.contains(s) && granted.contains(s)).collect();
        if scopes.is_empty() {
            return Ok(Err("the app may no longer have any of the scopes granted"));
        }
        if app.departments.is_some() && !sees(app, &self.places(holder.id, holder.domain_id).await?) {
            return Ok(Err("the app is not for the user's departments"));
        }
        Ok(Ok((holder, scopes)))
    }

    /// Spends what a refused token request was for: the code, or the refresh token with the
    /// session of its pair.
    async fn spend(&self, spends: Spends, session: Option<(AccountId, SessionId)>) -> Result<()> {
        let taken = match spends {
            Spends::Code(hash) => self.store.take_oauth_code(&hash).await?.is_some(),
            Spends::Refresh(hash) => self.store.take_app_token(&hash).await?.is_some(),
        };
        if taken && let Some(session) = session {
            self.end_sessions(&[session]).await?;
        }
        Ok(())
    }

    /// Revokes the pair of a family, if it has one; whether it had.
    async fn end_family(&self, family: Option<Family>) -> Result<bool> {
        let Some(family) = family else { return Ok(false) };
        let ended = self.store.take_app_family(&family).await?;
        self.end_sessions(&ended).await?;
        Ok(!ended.is_empty())
    }

    async fn end_sessions(&self, sessions: &[(AccountId, SessionId)]) -> Result<()> {
        let now = self.deps.clock.now_ms();
        for &(account, session) in sessions {
            let revoked = self
                .sessions
                .revoke_sessions(account, SessionSelector::One(session), RevokeReason::Revoked, now)
                .await?;
            self.deps.live.close_sessions(&revoked, RevokeReason::Revoked);
        }
        Ok(())
    }

    /// The app of `client_id` in the caller's domain, if the caller sees it.
    async fn app_by_client(&self, caller: &Principal, client_id: &str) -> Result<App> {
        let app = match self.store.app_by_client_id(client_id).await? {
            Some((app, _)) if app.domain_id == caller.account.domain_id => app,
            _ => return Err(Error::invalid("client_id", "names no app of this domain")),
        };
        if app.departments.is_some() && !sees(&app, &self.places_of(caller).await?) {
            return Err(Error::Forbidden);
        }
        Ok(app)
    }

    async fn administered(&self, actor: Actor<'_>, id: AppId) -> Result<App> {
        match self.store.app(id).await? {
            Some(app) if actor.may_administer(app.domain_id) => Ok(app),
            _ => Err(Error::NotFound("app")),
        }
    }

    /// The caller's departments and every department above them.
    async fn places_of(&self, caller: &Principal) -> Result<HashSet<DepartmentId>> {
        self.places(caller.account.id, caller.account.domain_id).await
    }

    /// An account's departments and every department above them.
    async fn places(&self, account: AccountId, domain: DomainId) -> Result<HashSet<DepartmentId>> {
        let own = self.org.departments_of(account).await?;
        if own.is_empty() {
            return Ok(HashSet::new());
        }
        let parents: HashMap<DepartmentId, Option<DepartmentId>> =
            self.org.departments(domain).await?.into_iter().map(|d| (d.id, d.parent)).collect();
        let mut places = HashSet::new();
        for (id, _) in own {
            let mut at = Some(id);
            while let Some(d) = at
                && places.insert(d)
            {
                at = parents.get(&d).copied().flatten();
            }
        }
        Ok(places)
    }

    /// Checks that each department is the domain's; answers them without repeats.
    async fn departments_of_domain(&self, domain: DomainId, list: Vec<DepartmentId>) -> Result<Vec<DepartmentId>> {
        if list.len() > APP_DEPARTMENTS_MAX {
            return Err(Error::invalid("departments", format!("at most {APP_DEPARTMENTS_MAX}")));
        }
        let known: HashSet<DepartmentId> = self.org.departments(domain).await?.into_iter().map(|d| d.id).collect();
        let mut out = Vec::with_capacity(list.len());
        for (i, d) in list.into_iter().enumerate() {
            if !known.contains(&d) {
                return Err(Error::invalid(format!("departments[{i}]"), "is not a department of this domain"));
            }
            if !out.contains(&d) {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// Does someone in these departments (with those above them) see the app?
fn sees(app: &App, places: &HashSet<DepartmentId>) -> bool {
    app.departments.as_ref().is_none_or(|list| list.iter().any(|d| places.contains(d)))
}

fn snapshot(app: &App) -> serde_json::Value {
    json!({
        "name": app.name,
        "url": app.url,
        "redirect_uris": app.redirect_uris,
        "scopes": app.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "departments": app.departments.as_ref().map(|l| l.iter().map(|d| d.0).collect::<Vec<_>>()),
    })
}

fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 7636 §4.1: `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn is_pkce_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn app_name(name: &str) -> Result<String> {
    let name = names::free_text("name", name, APP_NAME_CHARS_MAX)?;
    if name.is_empty() {
        return Err(Error::invalid("name", "an app needs a name"));
    }
    Ok(name)
}

fn app_description(description: &str) -> Result<String> {
    names::free_text("description", description, APP_DESCRIPTION_CHARS_MAX)
}

/// An absolute `http(s)` URL with a host and no credentials or fragment.
fn web_url(field: &str, raw: &str) -> Result<String> {
    parsed_web_url(field, raw).map(|_| raw.to_owned())
}

/// [`web_url`]'s checks, answering the URL as parsed.
fn parsed_web_url(field: &str, raw: &str) -> Result<url::Url> {
    let bad = |why: &str| Error::invalid(field.to_owned(), why.to_owned());
    if raw.len() > APP_URL_BYTES_MAX {
        return Err(bad("is longer than 2048 bytes"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("is not an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("may not carry a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(bad("may not have a fragment"));
    }
    Ok(url)
}

fn redirect_uris(uris: &[String]) -> Result<Vec<String>> {
    if uris.is_empty() || uris.len() > REDIRECT_URIS_MAX {
        return Err(Error::invalid("redirect_uris", format!("an app has 1 to {REDIRECT_URIS_MAX}")));
    }
    let mut out: Vec<String> = Vec::with_capacity(uris.len());
    for (i, uri) in uris.iter().enumerate() {
        let field = format!("redirect_uris[{i}]");
        let parsed = parsed_web_url(&field, uri)?;
        // A code sent back over plain HTTP could be read on the way; only a loopback address
        // keeps it on the machine (RFC 9700 §2.6, RFC 8252 §7.3).
        if parsed.scheme() == "http" && !is_loopback(&parsed) {
            return Err(Error::invalid(field, "is https, or http only on a loopback address"));
        }
        if !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    Ok(out)
}

/// Whether a URL's host is this machine: `localhost`, `127.0.0.0/8` or `[::1]`.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn scopes(field: &str, raw: &[String]) -> Result<Vec<AppScope>> {
    let mut out: Vec<AppScope> = Vec::with_capacity(raw.len());
    for s in raw {
        let scope = AppScope::parse(s).ok_or_else(|| {
            Error::invalid(
                field.to_owned(),
                format!("{s:?} is not profile, contacts:read, messages:read or messages:write"),
            )
        })?;
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_sort_and_refuse_the_unknown() {
        let asked = ["messages:write".to_owned(), "profile".to_owned(), "profile".to_owned()];
        assert_eq!(scopes("scope", &asked).unwrap(), vec![AppScope::Profile, AppScope::MessagesWrite]);
        let err = scopes("scope", &["admin".to_owned()]).unwrap_err();
        assert!(matches!(err, Error::InvalidField { ref field, .. } if field == "scope"), "{err:?}");
        assert_eq!(AppScope::join(&[AppScope::Profile, AppScope::ContactsRead]), "profile contacts:read");
    }

    #[test]
    fn urls_are_absolute_http_without_credentials_or_fragments() {
        assert!(web_url("url", "https://oa.example.com/leave?x=1").is_ok());
        assert!(web_url("url", "http://127.0.0.1:8080/cb").is_ok());
        for bad in
            ["/relative", "javascript:alert(1)", "ftp://x.example/", "https://u:p@x.example/", "https://x.example/#a"]
        {
            assert!(web_url("url", bad).is_err(), "{bad} was let through");
        }
        assert!(redirect_uris(&[]).is_err(), "an app needs a redirect URI");
        for loopback in ["http://127.0.0.1:8080/cb", "http://localhost/cb", "http://[::1]:9/cb", "https://x.example/cb"]
        {
            assert!(redirect_uris(&[loopback.to_owned()]).is_ok(), "{loopback} was refused");
        }
        let err = redirect_uris(&["https://a.example/cb".into(), "http://oa.example.com/cb".into()]).unwrap_err();
        assert!(matches!(err, Error::InvalidField { ref field, .. } if field == "redirect_uris[1]"), "{err:?}");
        assert!(redirect_uris(&["http://10.0.0.1/cb".to_owned()]).is_err(), "a private address is not loopback");
        let many: Vec<String> = (0..=REDIRECT_URIS_MAX).map(|i| format!("https://x.example/{i}")).collect();
        assert!(redirect_uris(&many).is_err());
    }

    #[test]
    fn codes_and_refresh_tokens_name_their_family() {
        let family: Family = rand::random();
        let code = family_secret(CODE_PREFIX, &family);
        assert_eq!(family_of(CODE_PREFIX, &code), Some(family));
        let (a, b) = (family_secret(REFRESH_PREFIX, &family), family_secret(REFRESH_PREFIX, &family));
        assert_ne!(a, b, "each secret of a family is its own");
        assert_eq!(family_of(REFRESH_PREFIX, &a), Some(family));
        assert_eq!(family_of(REFRESH_PREFIX, &code), None, "a code is no refresh token");
        assert_eq!(family_of(CODE_PREFIX, &code[..code.len() - 1]), None);
        assert_eq!(family_of(CODE_PREFIX, &format!("{CODE_PREFIX}{}", "!".repeat(65))), None);
    }

    #[test]
    fn pkce_verifier_characters() {
        assert!(b"AZaz09-._~".iter().all(|b| is_pkce_char(*b)));
        assert!(!is_pkce_char(b'+') && !is_pkce_char(b'/') && !is_pkce_char(b'='));
    }

    #[test]
    fn departments_restrict_who_sees() {
        let app = App {
            id: AppId(1),
            domain_id: DomainId(1),
            name: "Leave".into(),
            description: String::new(),
            icon: None,
            url: "https://oa.example.com".into(),
            client_id: "mpa_x".into(),
            redirect_uris: vec![],
            scopes: vec![AppScope::Profile],
            departments: Some(vec![DepartmentId(7)]),
            position: 1,
            created_at_ms: 0,
        };
        assert!(sees(&app, &HashSet::from([DepartmentId(3), DepartmentId(7)])));
        assert!(!sees(&app, &HashSet::from([DepartmentId(3)])));
        assert!(sees(&App { departments: None, ..app }, &HashSet::new()));
    }
}
