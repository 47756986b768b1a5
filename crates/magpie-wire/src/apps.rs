//! The workbench's apps and OAuth 2.0 (docs/protocol.md, "Workbench apps").

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::present;

/// An app as the workbench shows it to members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WorkbenchApp {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// An `http(s)` URL of its icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Its page, opened in the workbench.
    pub url: String,
}

/// `GET /v1/apps`: the apps of the caller's domain that the caller sees, in the workbench's
/// order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct WorkbenchAppList {
    pub apps: Vec<WorkbenchApp>,
}

/// An installed app, as its domain's administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct App {
    pub id: i64,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    pub url: String,
    /// Its OAuth 2.0 `client_id`.
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    /// What it may ask its users for: `profile`, `contacts:read`, `messages:read`,
    /// `messages:write`.
    pub scopes: Vec<String>,
    /// Only people in these departments (or below them) see it; absent: everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departments: Option<Vec<i64>>,
    pub position: i64,
    pub created_at_ms: i64,
}

/// `GET /v1/admin/domains/{domain}/apps`: the domain's apps, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AppList {
    pub apps: Vec<App>,
}

/// `POST /v1/admin/domains/{domain}/apps`: installs an app, last in the workbench.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateAppRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// An `http(s)` URL: the page the workbench opens.
    pub url: String,
    /// Where the app may be sent back with a code: 1 to 10 absolute `http(s)` URLs, matched
    /// exactly.
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// Department ids; absent or `null`: everyone sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departments: Option<Vec<i64>>,
}

/// An app just installed: its secret is shown now and never again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedApp {
    pub app: App,
    pub client_secret: String,
}

/// `PATCH /v1/admin/apps/{id}`: absent fields stay; `icon` `null` clears it, `departments`
/// `null` shows the app to everyone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateAppRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub icon: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    #[schema(value_type = Option<Vec<i64>>)]
    pub departments: Option<Option<Vec<i64>>>,
}

/// `PUT /v1/admin/domains/{domain}/apps/order`: every app of the domain, once, in the new
/// order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AppOrderRequest {
    pub apps: Vec<i64>,
}

/// `POST /v1/admin/apps/{id}/secret`: the app's new secret, shown once; the old one stops.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppSecret {
    pub client_secret: String,
}

/// An OAuth 2.0 authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636): the query of
/// `GET /v1/oauth/authorize` and the body of `POST /v1/oauth/authorize`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeRequest {
    /// `code`.
    pub response_type: String,
    pub client_id: String,
    /// One of the app's redirect URIs, exactly.
    pub redirect_uri: String,
    /// Space-separated scopes; absent: `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Passed back to the app unchanged (at most 1024 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)), 43 characters.
    pub code_challenge: String,
    /// `S256`.
    pub code_challenge_method: String,
}

/// `GET /v1/oauth/authorize`: what the consent page shows of a valid request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorizeInfo {
    pub app: WorkbenchApp,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The user granted all of them to this app before: the page may go on without asking.
    pub granted: bool,
    /// Where to send the browser if the user refuses (`error=access_denied`).
    pub deny_redirect: String,
}

/// `POST /v1/oauth/authorize`: where to send the browser: the redirect URI with `code` and
/// `state`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorizeRedirect {
    pub redirect: String,
}

/// A user's consent to an app.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppGrant {
    pub app: WorkbenchApp,
    pub scopes: Vec<String>,
    pub granted_at_ms: i64,
}

/// `GET /v1/apps/grants`: the apps the caller granted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AppGrantList {
    pub grants: Vec<AppGrant>,
}

/// `POST /oauth/token` (`application/x-www-form-urlencoded`, RFC 6749 §4.1.3 and §6). The
/// client authenticates with `client_id` and `client_secret` in the body, or with HTTP Basic.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OAuthTokenRequest {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OAuthToken {
    /// A bearer token for the API, good for the granted scopes' routes.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    /// Good once, for a new pair; each use replaces both.
    pub refresh_token: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// Whose tokens they are: `name@domain`.
    pub account: String,
}

/// `POST /oauth/revoke` (`application/x-www-form-urlencoded`, RFC 7009): ends the pair of an
/// access or refresh token.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OAuthRevokeRequest {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// An OAuth endpoint's refusal (RFC 6749 §5.2): `invalid_request`, `invalid_client`,
/// `invalid_grant`, `unsupported_grant_type`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    pub error: String,
    pub error_description: String,
}
