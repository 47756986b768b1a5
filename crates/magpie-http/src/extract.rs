//! Extractors that turn rejections into typed errors and find the caller.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use magpie_core::apps::AppScope;
use magpie_core::model::Principal;
use magpie_wire::ErrorCode;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::{ApiError, AppState, error};

/// A JSON body whose rejections are `malformed_request` or `too_large`. Every request body is
/// a JSON object: serde would also read a struct from an array of its fields in order
/// (`[null, null]` as an empty profile update), which the protocol does not allow. A field of
/// the wrong shape is named in `field`, with what was expected in words.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        // The framework checks the content type, the size bound and the JSON syntax.
        let axum::Json(raw) = axum::Json::<Box<RawValue>>::from_request(request, state).await?;
        if !raw.get().starts_with('{') {
            return Err(ApiError::new(ErrorCode::MalformedRequest, "the request body must be a JSON object"));
        }
        let mut reader = serde_json::Deserializer::from_str(raw.get());
        serde_path_to_error::deserialize(&mut reader).map(ApiJson).map_err(|e| {
            let path = e.path().to_string();
            ApiError(error::field_error(&path, &error::json_message(e.inner())))
        })
    }
}

/// Query parameters whose rejections are `malformed_request`, naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let reader = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(reader).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            ApiError(error::field_error(&path, &error::value_message(&e.inner().to_string())))
        })
    }
}

/// Path parameters whose rejections are `malformed_request`, naming the parameter.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => {
                // A path of one value is read without its name; the route's raw parameters
                // give the name of the one that did not parse.
                let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await.ok();
                let name_of = |value: &str| raw.as_ref()?.iter().find(|(_, v)| *v == value).map(|(k, _)| k.to_owned());
                Err(error::path_error(&rejection, name_of))
            }
        }
    }
}

/// A `multipart/form-data` body whose rejections are `malformed_request`.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiMultipart(axum::extract::Multipart::from_request(request, state).await?))
    }
}

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Authed(pub Principal);

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "send Authorization: Bearer <session token>"))?;
        let mut principal = state.core.auth.authenticate(token).await?;
        if let Some(scope) = &principal.session.scope {
            let path = parts.extensions.get::<axum::extract::MatchedPath>().map_or("", |p| p.as_str());
            scope_allows(scope, &parts.method, path)?;
        }
        principal.from_ip = client_ip(&parts.headers, &parts.extensions, state.settings.trust_forwarded_for);
        per_session_limit(state, &principal).await?;
        Ok(Authed(principal))
    }
}

/// Refuses a request past `requests_per_session_per_sec_max` of its session (a login's, a bot
/// token's or an incoming webhook's).
pub(crate) async fn per_session_limit(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    if state.settings.requests_per_session_per_sec_max > 0
        && let Err(retry_after_secs) = state
            .core
            .counters
            .hit(
                crate::limit::requests_by_session(state),
                &principal.session.id.0.to_string(),
                state.core.clock.now_ms(),
            )
            .await
    {
        let mut err = ApiError::new(ErrorCode::RateLimited, "too many requests from this session");
        err.0.retry_after_secs = Some(retry_after_secs);
        return Err(err);
    }
    Ok(())
}

/// What a bot's token needs for a route it may call at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nothing more than the token: its own account, signing out.
    Token,
    Read,
    Send,
    /// Both: what answers with what it wrote, as opening a direct chat answers its last message.
    ReadSend,
}

/// The routes a bot's token may call (any other is `forbidden`), what each needs, and whether
/// it spans conversations (then only a token that reaches all of the bot's conversations may
/// call it: a list, sync, a search or a file by id would show the others). A route of one
/// conversation is checked against the token's conversations by the core.
const BOT_ROUTES: &[(&str, &str, Needs, bool)] = &[
    ("GET", "/v1/me", Needs::Token, false),
    ("POST", "/v1/auth/logout", Needs::Token, false),
    ("GET", "/v1/accounts", Needs::Read, false),
    ("GET", "/v1/accounts/{account}", Needs::Read, false),
    // An office app finds a person's departments and manager (whom to ask for an approval).
    ("GET", "/v1/org/people/{account}", Needs::Read, false),
    ("GET", "/v1/conversations", Needs::Read, true),
    ("POST", "/v1/conversations", Needs::ReadSend, true),
    ("GET", "/v1/conversations/{id}", Needs::Read, false),
    ("GET", "/v1/conversations/{id}/members", Needs::Read, false),
    ("GET", "/v1/conversations/{id}/messages", Needs::Read, false),
    ("POST", "/v1/conversations/{id}/messages", Needs::Send, false),
    ("PATCH", "/v1/conversations/{id}/messages/{seq}", Needs::Send, false),
    ("DELETE", "/v1/conversations/{id}/messages/{seq}", Needs::Send, false),
    ("POST", "/v1/conversations/{id}/messages/{seq}/reactions", Needs::Send, false),
    ("GET", "/v1/conversations/{id}/threads/{root}", Needs::Read, false),
    ("GET", "/v1/conversations/{id}/pins", Needs::Read, false),
    ("POST", "/v1/conversations/{id}/read", Needs::Read, false),
    ("POST", "/v1/conversations/{id}/typing", Needs::Send, false),
    ("GET", "/v1/sync", Needs::Read, true),
    ("GET", "/v1/search/messages", Needs::Read, true),
    ("POST", "/v1/files", Needs::Send, false),
    ("POST", "/v1/uploads", Needs::Send, false),
    ("HEAD", "/v1/uploads/{id}", Needs::Send, false),
    ("PATCH", "/v1/uploads/{id}", Needs::Send, false),
    ("DELETE", "/v1/uploads/{id}", Needs::Send, false),
    ("GET", "/v1/files/{id}", Needs::Read, true),
    ("GET", "/v1/files/{id}/info", Needs::Read, true),
    ("GET", "/v1/files/{id}/thumbnail", Needs::Read, true),
];

/// The routes a workbench app's token may call, each with the scope that opens it (any other
/// is `forbidden`). The token acts for its user: within these routes, it reaches what the user
/// reaches.
const APP_ROUTES: &[(&str, &str, AppScope)] = &[
    ("GET", "/v1/me", AppScope::Profile),
    ("GET", "/v1/accounts/{account}", AppScope::Profile),
    ("GET", "/v1/org/people/{account}", AppScope::Profile),
    ("GET", "/v1/accounts", AppScope::ContactsRead),
    ("GET", "/v1/contacts", AppScope::ContactsRead),
    ("GET", "/v1/search/people", AppScope::ContactsRead),
    ("GET", "/v1/org/departments", AppScope::ContactsRead),
    ("GET", "/v1/org/departments/{id}/members", AppScope::ContactsRead),
    ("GET", "/v1/conversations", AppScope::MessagesRead),
    ("GET", "/v1/conversations/{id}", AppScope::MessagesRead),
    ("GET", "/v1/conversations/{id}/members", AppScope::MessagesRead),
    ("GET", "/v1/conversations/{id}/messages", AppScope::MessagesRead),
    ("GET", "/v1/conversations/{id}/threads/{root}", AppScope::MessagesRead),
    ("GET", "/v1/sync", AppScope::MessagesRead),
    ("GET", "/v1/files/{id}", AppScope::MessagesRead),
    ("GET", "/v1/files/{id}/info", AppScope::MessagesRead),
    ("GET", "/v1/files/{id}/thumbnail", AppScope::MessagesRead),
    ("POST", "/v1/conversations", AppScope::MessagesWrite),
    ("POST", "/v1/conversations/{id}/messages", AppScope::MessagesWrite),
    ("POST", "/v1/files", AppScope::MessagesWrite),
];

/// Whether a token of `scope` may call `method` on the route `path` (as the router matched it).
pub(crate) fn scope_allows(
    scope: &magpie_core::model::TokenScope,
    method: &axum::http::Method,
    path: &str,
) -> Result<(), ApiError> {
    let refuse = |why: &str| Err(ApiError::new(ErrorCode::Forbidden, format!("this token may not {why}")));
    if let Some(app) = &scope.app {
        let Some(&(_, _, needs)) = APP_ROUTES.iter().find(|(m, p, _)| *m == method.as_str() && *p == path) else {
            return refuse("call this endpoint (see docs/protocol.md, Workbench apps)");
        };
        if !app.scopes.contains(&needs) {
            return refuse(&format!("call this endpoint without the scope {}", needs.as_str()));
        }
        return Ok(());
    }
    if scope.hook {
        return refuse("be used but to post to its webhook");
    }
    let Some(&(_, _, needs, spans)) = BOT_ROUTES.iter().find(|(m, p, _, _)| *m == method.as_str() && *p == path) else {
        return refuse("call this endpoint (see docs/protocol.md, Bots)");
    };
    match needs {
        Needs::Read | Needs::ReadSend if !scope.read => return refuse("read"),
        Needs::Send | Needs::ReadSend if !scope.send => return refuse("send"),
        _ => {}
    }
    if spans && scope.conversations.is_some() {
        return refuse("reach beyond its conversations");
    }
    Ok(())
}

/// The client's IP: the peer address, or behind a trusted proxy the last `X-Forwarded-For`
/// entry (the one the proxy itself appended).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.headers, &parts.extensions, state.settings.trust_forwarded_for)))
    }
}

/// See [`ClientIp`].
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|ip| ip.trim().to_owned())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}
