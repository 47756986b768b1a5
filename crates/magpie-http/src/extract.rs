//! Extractors that turn rejections into typed errors and find the caller.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
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
        principal.from_ip = client_ip(&parts.headers, &parts.extensions, state.settings.trust_forwarded_for);
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
        Ok(Authed(principal))
    }
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
