//! The REST half of the SDK.

use magpie_wire::{self as wire, ErrorCode, ErrorDetail};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What can go wrong talking to a Magpie server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a typed error.
    #[error("{status} {}: {}", .detail.code, .detail.message)]
    Api { status: u16, detail: ErrorDetail },
    /// The server answered with an error that is not in Magpie's error format.
    #[error("unexpected response {status}: {body}")]
    Unexpected { status: u16, body: String },
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("websocket: {0}")]
    WebSocket(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("invalid server URL {0:?}")]
    BadUrl(String),
    /// The WebSocket connection is closed.
    #[error("connection closed ({code}: {reason})")]
    Closed { code: u16, reason: String },
    #[error("not logged in")]
    NoToken,
}

impl Error {
    /// The server's error code, if the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { detail, .. } => Some(detail.code),
            _ => None,
        }
    }

    /// The field the server named (`invalid_field`, `too_large`), if any.
    pub fn field(&self) -> Option<&str> {
        self.detail().and_then(|d| d.field.as_deref())
    }

    /// For `rate_limited`: seconds until another attempt may succeed.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.detail().and_then(|d| d.retry_after_secs)
    }

    /// The full error detail, if the server sent one.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            Error::Api { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A handle on one server, optionally logged in. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base_url` (`http://host:port`), not logged in.
    pub fn new(base_url: &str) -> Result<Client> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::BadUrl(base_url.to_owned()));
        }
        Ok(Client { http: reqwest::Client::new(), base, token: None })
    }

    /// The same server, authenticated by `token`.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client { token: Some(token.into()), ..self.clone() }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Logs in; returns a client authenticated with the new session, and the login answer.
    pub async fn login(&self, account: &str, password: &str) -> Result<(Client, wire::LoginResponse)> {
        self.login_with(&wire::LoginRequest {
            account: account.into(),
            password: password.into(),
            device: None,
            device_key: None,
        })
        .await
    }

    /// Logs in with a full request (a device label, say).
    pub async fn login_with(&self, req: &wire::LoginRequest) -> Result<(Client, wire::LoginResponse)> {
        let res: wire::LoginResponse = self.call(Method::POST, "/v1/auth/login", Some(req)).await?;
        Ok((self.with_token(res.token.clone()), res))
    }

    /// Registers an account where the domain allows it; logs it in.
    pub async fn register(&self, req: &wire::RegisterRequest) -> Result<(Client, wire::LoginResponse)> {
        let res: wire::LoginResponse = self.call(Method::POST, "/v1/auth/register", Some(req)).await?;
        Ok((self.with_token(res.token.clone()), res))
    }

    /// `POST /v1/auth/register` in a domain whose registration needs approval: the account
    /// applied (`202`), and logs in once an administrator approves it.
    pub async fn apply(&self, req: &wire::RegisterRequest) -> Result<wire::ApplicationPending> {
        self.call(Method::POST, "/v1/auth/register", Some(req)).await
    }

    /// `GET /v1/invitations`: the caller's own invitations.
    pub async fn my_invitations(&self) -> Result<wire::InvitationList> {
        self.call(Method::GET, "/v1/invitations", None::<&()>).await
    }

    /// `POST /v1/invitations`: an invitation to the caller's domain (members, where the domain
    /// lets them invite).
    pub async fn create_invitation(&self, req: &wire::CreateInvitationRequest) -> Result<wire::CreatedInvitation> {
        self.call(Method::POST, "/v1/invitations", Some(req)).await
    }

    /// `DELETE /v1/invitations/{id}`: revokes one of the caller's invitations.
    pub async fn revoke_invitation(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/invitations/{id}"), None::<&()>).await
    }

    /// `PATCH /v1/admin/domains/{domain}` with whether members may make invitation codes.
    pub async fn admin_set_members_invite(&self, domain: &str, on: bool) -> Result<wire::DomainInfo> {
        let req = wire::UpdateDomainRequest { members_invite: Some(on), ..Default::default() };
        self.call(Method::PATCH, &format!("/v1/admin/domains/{}", encode(domain)), Some(&req)).await
    }

    /// `PATCH /v1/admin/domains/{domain}`: lets members make bots, or not.
    pub async fn admin_set_members_make_bots(&self, domain: &str, on: bool) -> Result<wire::DomainInfo> {
        let req = wire::UpdateDomainRequest { members_make_bots: Some(on), ..Default::default() };
        self.call(Method::PATCH, &format!("/v1/admin/domains/{}", encode(domain)), Some(&req)).await
    }

    /// `GET /v1/me/notifications`: the caller's notification preferences.
    pub async fn notification_prefs(&self) -> Result<wire::NotificationPrefs> {
        self.call(Method::GET, "/v1/me/notifications", None::<&()>).await
    }

    /// `PUT /v1/me/notifications`: sets them whole.
    pub async fn set_notification_prefs(&self, prefs: &wire::NotificationPrefs) -> Result<wire::NotificationPrefs> {
        self.call(Method::PUT, "/v1/me/notifications", Some(prefs)).await
    }

    /// `GET /v1/auth/domains/{domain}`: what the domain asks of people who register.
    pub async fn signup_info(&self, domain: &str) -> Result<wire::SignupInfo> {
        self.call(Method::GET, &format!("/v1/auth/domains/{}", encode(domain)), None::<&()>).await
    }

    /// `POST /v1/auth/email-code`: mails a registration code to `email`.
    pub async fn request_email_code(&self, domain: &str, email: &str, lang: Option<&str>) -> Result<wire::CodeSent> {
        let req = wire::EmailCodeRequest { domain: domain.into(), email: email.into(), lang: lang.map(str::to_owned) };
        self.call(Method::POST, "/v1/auth/email-code", Some(&req)).await
    }

    /// `POST /v1/auth/password-reset/code`: mails a password-reset code to the account's email
    /// (the answer is the same whether or not it has one).
    pub async fn request_password_reset(&self, account: &str, lang: Option<&str>) -> Result<wire::CodeSent> {
        let req = wire::PasswordResetCodeRequest { account: account.into(), lang: lang.map(str::to_owned) };
        self.call(Method::POST, "/v1/auth/password-reset/code", Some(&req)).await
    }

    /// `POST /v1/auth/password-reset`: sets a new password with the mailed code; every session
    /// of the account ends.
    pub async fn reset_password(&self, account: &str, code: &str, new_password: &str) -> Result<()> {
        let req = wire::PasswordResetRequest {
            account: account.into(),
            code: code.into(),
            new_password: new_password.into(),
        };
        self.call_empty(Method::POST, "/v1/auth/password-reset", Some(&req)).await
    }

    /// `GET /v1/admin/domains/{domain}/invitations`.
    pub async fn admin_invitations(&self, domain: &str) -> Result<wire::InvitationList> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/invitations", encode(domain)), None::<&()>).await
    }

    /// `POST /v1/admin/domains/{domain}/invitations`: the invitation with its code.
    pub async fn admin_create_invitation(
        &self,
        domain: &str,
        req: &wire::CreateInvitationRequest,
    ) -> Result<wire::CreatedInvitation> {
        self.call(Method::POST, &format!("/v1/admin/domains/{}/invitations", encode(domain)), Some(req)).await
    }

    /// `DELETE /v1/admin/domains/{domain}/invitations/{id}`.
    pub async fn admin_revoke_invitation(&self, domain: &str, id: i64) -> Result<()> {
        let path = format!("/v1/admin/domains/{}/invitations/{id}", encode(domain));
        self.call_empty(Method::DELETE, &path, None::<&()>).await
    }

    /// `GET /v1/admin/domains/{domain}/applications`.
    pub async fn admin_applications(&self, domain: &str) -> Result<wire::ApplicationList> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/applications", encode(domain)), None::<&()>).await
    }

    /// `POST /v1/admin/accounts/{account}/approve` or `…/reject`.
    pub async fn admin_decide(&self, account: &str, approve: bool) -> Result<wire::AdminAccount> {
        let decision = if approve { "approve" } else { "reject" };
        self.call(Method::POST, &format!("/v1/admin/accounts/{}/{decision}", encode(account)), None::<&()>).await
    }

    pub async fn logout(&self) -> Result<()> {
        self.call_empty(Method::POST, "/v1/auth/logout", None::<&()>).await
    }

    pub async fn me(&self) -> Result<wire::Me> {
        self.call(Method::GET, "/v1/me", None::<&()>).await
    }

    pub async fn update_me(&self, req: &wire::UpdateProfileRequest) -> Result<wire::Me> {
        self.call(Method::PATCH, "/v1/me", Some(req)).await
    }

    pub async fn change_password(&self, current: &str, new: &str) -> Result<()> {
        let req = wire::ChangePasswordRequest { current_password: current.into(), new_password: new.into() };
        self.call_empty(Method::POST, "/v1/me/password", Some(&req)).await
    }

    pub async fn sessions(&self) -> Result<Vec<wire::SessionInfo>> {
        let list: wire::SessionList = self.call(Method::GET, "/v1/sessions", None::<&()>).await?;
        Ok(list.sessions)
    }

    pub async fn revoke_session(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/sessions/{id}"), None::<&()>).await
    }

    /// The caller's domain directory: accounts matching `query` (empty for all).
    pub async fn search_accounts(
        &self,
        query: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<wire::Profile>> {
        let mut path = format!("/v1/accounts?q={}", encode(query));
        if let Some(after) = after {
            path.push_str(&format!("&after={}", encode(after)));
        }
        if let Some(limit) = limit {
            path.push_str(&format!("&limit={limit}"));
        }
        let list: wire::AccountList = self.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.accounts)
    }

    pub async fn account(&self, account: &str) -> Result<wire::Profile> {
        self.call(Method::GET, &format!("/v1/accounts/{}", encode(account)), None::<&()>).await
    }

    pub async fn admin_domains(&self) -> Result<Vec<wire::DomainInfo>> {
        let list: wire::DomainList = self.call(Method::GET, "/v1/admin/domains", None::<&()>).await?;
        Ok(list.domains)
    }

    pub async fn admin_create_domain(&self, name: &str) -> Result<wire::DomainInfo> {
        self.call(Method::POST, "/v1/admin/domains", Some(&wire::CreateDomainRequest { name: name.into() })).await
    }

    /// `GET /v1/admin/domains/{domain}`: the domain's settings.
    pub async fn admin_domain(&self, domain: &str) -> Result<wire::DomainInfo> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}", encode(domain)), None::<&()>).await
    }

    pub async fn admin_set_registration(&self, domain: &str, mode: wire::RegistrationMode) -> Result<wire::DomainInfo> {
        let req = wire::UpdateDomainRequest { registration: Some(mode), ..Default::default() };
        self.call(Method::PATCH, &format!("/v1/admin/domains/{}", encode(domain)), Some(&req)).await
    }

    /// `PATCH /v1/admin/domains/{domain}` with the email rules of its registrations: whether
    /// they need a mailed code, and which email domains they may be of (`Some(&[])` for any).
    pub async fn admin_set_signup_email(
        &self,
        domain: &str,
        verification: Option<bool>,
        email_domains: Option<&[&str]>,
    ) -> Result<wire::DomainInfo> {
        let req = wire::UpdateDomainRequest {
            email_verification: verification,
            email_domains: email_domains.map(|d| d.iter().map(|s| (*s).to_owned()).collect()),
            ..Default::default()
        };
        self.call(Method::PATCH, &format!("/v1/admin/domains/{}", encode(domain)), Some(&req)).await
    }

    pub async fn admin_set_direct_requires_friendship(&self, domain: &str, on: bool) -> Result<wire::DomainInfo> {
        let req = wire::UpdateDomainRequest { direct_requires_friendship: Some(on), ..Default::default() };
        self.call(Method::PATCH, &format!("/v1/admin/domains/{}", encode(domain)), Some(&req)).await
    }

    pub async fn admin_accounts(&self, domain: Option<&str>) -> Result<Vec<wire::AdminAccount>> {
        let path = match domain {
            Some(d) => format!("/v1/admin/accounts?domain={}", encode(d)),
            None => "/v1/admin/accounts".to_owned(),
        };
        let list: wire::AdminAccountList = self.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.accounts)
    }

    /// `GET /v1/admin/accounts?q=…`: a page of a domain's accounts (disabled ones too) whose
    /// login or display name contains `query`, by login name, after `after`.
    pub async fn admin_search_accounts(
        &self,
        domain: Option<&str>,
        query: &str,
        after: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<wire::AdminAccount>> {
        let mut path = format!("/v1/admin/accounts?q={}", encode(query));
        if let Some(d) = domain {
            path.push_str(&format!("&domain={}", encode(d)));
        }
        if let Some(a) = after {
            path.push_str(&format!("&after={}", encode(a)));
        }
        if let Some(l) = limit {
            path.push_str(&format!("&limit={l}"));
        }
        let list: wire::AdminAccountList = self.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.accounts)
    }

    pub async fn admin_create_account(&self, req: &wire::CreateAccountRequest) -> Result<wire::AdminAccount> {
        self.call(Method::POST, "/v1/admin/accounts", Some(req)).await
    }

    pub async fn admin_account(&self, account: &str) -> Result<wire::AdminAccount> {
        self.call(Method::GET, &format!("/v1/admin/accounts/{}", encode(account)), None::<&()>).await
    }

    /// `PATCH /v1/admin/accounts/{account}`: a new display name or role.
    pub async fn admin_update_account(
        &self,
        account: &str,
        req: &wire::UpdateAccountRequest,
    ) -> Result<wire::AdminAccount> {
        self.call(Method::PATCH, &format!("/v1/admin/accounts/{}", encode(account)), Some(req)).await
    }

    /// `POST /v1/admin/accounts/{account}/password`: sets the password (or, with `None`, has the
    /// server make one, which it answers) and signs the account out everywhere.
    pub async fn admin_reset_password(&self, account: &str, password: Option<&str>) -> Result<wire::PasswordReset> {
        let req = wire::ResetPasswordRequest { password: password.map(str::to_owned) };
        self.call(Method::POST, &format!("/v1/admin/accounts/{}/password", encode(account)), Some(&req)).await
    }

    /// `POST /v1/admin/accounts/import`: many accounts at once, all or none.
    pub async fn admin_import_accounts(&self, req: &wire::ImportAccountsRequest) -> Result<wire::ImportAccountsReport> {
        self.call(Method::POST, "/v1/admin/accounts/import", Some(req)).await
    }

    pub async fn admin_disable(&self, account: &str) -> Result<wire::AdminAccount> {
        self.call(Method::POST, &format!("/v1/admin/accounts/{}/disable", encode(account)), None::<&()>).await
    }

    pub async fn admin_enable(&self, account: &str) -> Result<wire::AdminAccount> {
        self.call(Method::POST, &format!("/v1/admin/accounts/{}/enable", encode(account)), None::<&()>).await
    }

    pub async fn admin_revoke_sessions(&self, account: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/admin/accounts/{}/sessions", encode(account)), None::<&()>).await
    }

    pub async fn admin_sessions(&self, account: &str) -> Result<Vec<wire::SessionInfo>> {
        let path = format!("/v1/admin/accounts/{}/sessions", encode(account));
        let list: wire::SessionList = self.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.sessions)
    }

    pub async fn admin_revoke_session(&self, account: &str, id: i64) -> Result<()> {
        let path = format!("/v1/admin/accounts/{}/sessions/{id}", encode(account));
        self.call_empty(Method::DELETE, &path, None::<&()>).await
    }

    pub async fn healthz(&self) -> Result<wire::HealthResponse> {
        self.call(Method::GET, "/healthz", None::<&()>).await
    }

    pub async fn readyz(&self) -> Result<wire::HealthResponse> {
        self.call(Method::GET, "/readyz", None::<&()>).await
    }

    /// The Prometheus exposition text.
    pub async fn metrics(&self) -> Result<String> {
        let (status, body) = self.raw(Method::GET, "/metrics", None, None).await?;
        if status != 200 {
            return Err(Error::Unexpected { status, body });
        }
        Ok(body)
    }

    /// The OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.call(Method::GET, "/v1/openapi.json", None::<&()>).await
    }

    /// Sends any body to any path and returns the status and body as they are: for tools and
    /// for tests of how the server treats bad input.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: Option<&str>,
    ) -> Result<(u16, String)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        Ok((status, res.text().await?))
    }

    pub(crate) async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        if res.status().is_success() {
            return Ok(res);
        }
        Err(api_error(res.status(), res.text().await?))
    }

    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let res = self.send(method, path, body).await?;
        let bytes = res.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode { what: "response body", reason: e.to_string() })
    }

    pub(crate) async fn call_empty<B: Serialize>(&self, method: Method, path: &str, body: Option<&B>) -> Result<()> {
        self.send(method, path, body).await.map(drop)
    }
}

fn api_error(status: StatusCode, body: String) -> Error {
    match serde_json::from_str::<wire::ErrorBody>(&body) {
        Ok(b) => Error::Api { status: status.as_u16(), detail: b.error },
        Err(_) => Error::Unexpected { status: status.as_u16(), body },
    }
}

/// Percent-encodes a path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
