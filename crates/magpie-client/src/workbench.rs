//! The workbench (docs/protocol.md, "Workbench apps"): the apps a member sees and the grants
//! they gave; a domain's apps for its administrators; and for an app's own server, OAuth 2.0's
//! code grant with PKCE: [`Pkce`], [`OAuthClient::exchange_code`], [`OAuthClient::refresh`],
//! [`OAuthClient::revoke`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magpie_wire as wire;
use reqwest::Method;
use sha2::{Digest, Sha256};

use crate::rest::{Client, Error, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/apps`: the apps of the caller's domain that the caller sees, in order.
    pub async fn workbench(&self) -> Result<wire::WorkbenchAppList> {
        self.call(Method::GET, "/v1/apps", NO_BODY).await
    }

    /// `GET /v1/apps/grants`: the apps the caller granted.
    pub async fn app_grants(&self) -> Result<wire::AppGrantList> {
        self.call(Method::GET, "/v1/apps/grants", NO_BODY).await
    }

    /// `DELETE /v1/apps/{id}/grant`: withdraws the caller's grant; the app's tokens for the
    /// caller stop at once.
    pub async fn revoke_app_grant(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/apps/{id}/grant"), NO_BODY).await
    }

    /// `GET /v1/oauth/authorize`: what the consent page shows of an authorization request.
    pub async fn authorize_info(&self, req: &wire::AuthorizeRequest) -> Result<wire::AuthorizeInfo> {
        let query = serde_urlencoded::to_string(req).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/oauth/authorize?{query}"), NO_BODY).await
    }

    /// `POST /v1/oauth/authorize`: the user allows; answers where to send the browser.
    pub async fn authorize(&self, req: &wire::AuthorizeRequest) -> Result<wire::AuthorizeRedirect> {
        self.call(Method::POST, "/v1/oauth/authorize", Some(req)).await
    }

    /// `GET /v1/admin/domains/{domain}/apps`.
    pub async fn admin_apps(&self, domain: &str) -> Result<wire::AppList> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/apps", encode(domain)), NO_BODY).await
    }

    /// `POST /v1/admin/domains/{domain}/apps`: the app and its secret, shown once.
    pub async fn admin_create_app(&self, domain: &str, req: &wire::CreateAppRequest) -> Result<wire::CreatedApp> {
        self.call(Method::POST, &format!("/v1/admin/domains/{}/apps", encode(domain)), Some(req)).await
    }

    /// `PATCH /v1/admin/apps/{id}`.
    pub async fn admin_update_app(&self, id: i64, req: &wire::UpdateAppRequest) -> Result<wire::App> {
        self.call(Method::PATCH, &format!("/v1/admin/apps/{id}"), Some(req)).await
    }

    /// `DELETE /v1/admin/apps/{id}`: every token of the app stops at once.
    pub async fn admin_delete_app(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/admin/apps/{id}"), NO_BODY).await
    }

    /// `PUT /v1/admin/domains/{domain}/apps/order`.
    pub async fn admin_order_apps(&self, domain: &str, apps: &[i64]) -> Result<wire::AppList> {
        let req = wire::AppOrderRequest { apps: apps.to_vec() };
        self.call(Method::PUT, &format!("/v1/admin/domains/{}/apps/order", encode(domain)), Some(&req)).await
    }

    /// `POST /v1/admin/apps/{id}/secret`: a new secret; the old one stops.
    pub async fn admin_rotate_app_secret(&self, id: i64) -> Result<wire::AppSecret> {
        self.call(Method::POST, &format!("/v1/admin/apps/{id}/secret"), NO_BODY).await
    }
}

/// A PKCE pair (RFC 7636): the verifier the app keeps, and the `S256` challenge it sends with
/// the user to `/oauth/authorize`.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair: 32 random bytes, base64url (43 characters).
    pub fn new() -> Pkce {
        let bytes: [u8; 32] = rand::random();
        Pkce::from_verifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The pair of a given verifier.
    pub fn from_verifier(verifier: String) -> Pkce {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce { verifier, challenge }
    }
}

impl Default for Pkce {
    fn default() -> Pkce {
        Pkce::new()
    }
}

/// An OAuth endpoint's refusal (RFC 6749 §5.2), or another failure.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{}: {}", .0.error, .0.error_description)]
    Refused(wire::OAuthError),
    #[error(transparent)]
    Client(#[from] Error),
}

/// An app's server talking to Magpie's token endpoints with its credentials.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    base: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
}

impl OAuthClient {
    /// `base_url` is the server's (`https://chat.example.com`).
    pub fn new(base_url: &str, client_id: &str, client_secret: &str) -> OAuthClient {
        OAuthClient {
            base: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Where to send the user's browser to ask for `scopes`: the web client's consent page.
    pub fn authorize_url(&self, redirect_uri: &str, scopes: &[&str], state: &str, pkce: &Pkce) -> String {
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", &scopes.join(" ")),
            ("state", state),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap_or_default();
        format!("{}/oauth/authorize?{query}", self.base)
    }

    /// `POST /oauth/token` with `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> std::result::Result<wire::OAuthToken, OAuthError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// `POST /oauth/token` with `grant_type=refresh_token`: a new pair; the old one ends.
    pub async fn refresh(&self, refresh_token: &str) -> std::result::Result<wire::OAuthToken, OAuthError> {
        self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    /// `POST /oauth/revoke`: ends the pair of an access or refresh token.
    pub async fn revoke(&self, token: &str) -> std::result::Result<(), OAuthError> {
        self.post("/oauth/revoke", &[("token", token)]).await.map(drop)
    }

    async fn token(&self, form: &[(&str, &str)]) -> std::result::Result<wire::OAuthToken, OAuthError> {
        let bytes = self.post("/oauth/token", form).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| OAuthError::Client(Error::Decode { what: "token response", reason: e.to_string() }))
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> std::result::Result<Vec<u8>, OAuthError> {
        let mut all: Vec<(&str, &str)> = form.to_vec();
        all.push(("client_id", &self.client_id));
        all.push(("client_secret", &self.client_secret));
        let res = self.http.post(format!("{}{path}", self.base)).form(&all).send().await.map_err(Error::from)?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(Error::from)?.to_vec();
        if status.is_success() {
            return Ok(bytes);
        }
        match serde_json::from_slice::<wire::OAuthError>(&bytes) {
            Ok(refusal) => Err(OAuthError::Refused(refusal)),
            Err(_) => Err(OAuthError::Client(Error::Unexpected {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636s_example() {
        // RFC 7636, Appendix B.
        let pair = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(pair.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new();
        assert_eq!(fresh.verifier.len(), 43);
        assert_ne!(fresh.verifier, Pkce::new().verifier);
    }
}
