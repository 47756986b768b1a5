//! Serves the web client (the `magpie-web` crate's embedded build) for every path the API does
//! not own: a built file by its path, and the app's page for any other path that has no file
//! extension, so that the app's own routes survive a reload.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::rest;

/// What the app's page may load: only itself, with images and media from `blob:` (files are
/// fetched with the session token and shown through object URLs) and inline styles (the app
/// sets element styles for layout). The WebSocket and REST calls go to the same origin. Frames
/// are the workbench's apps, whose origins the administrators choose: any `http(s)` page, framed
/// in a sandbox by the client, which frames nothing else.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; \
frame-src https: http:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/v1" || path.starts_with("/v1/") {
        return rest::not_found().await.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return rest::not_found().await.into_response();
    }
    let relative = path.trim_start_matches('/');
    let (name, asset) = match magpie_web::asset(relative) {
        Some(asset) if !relative.is_empty() => (relative, asset),
        // A path with an extension names a file; a missing one is a 404, not the page.
        _ if has_extension(relative) => return rest::not_found().await.into_response(),
        _ => match magpie_web::asset(magpie_web::INDEX) {
            Some(asset) => (magpie_web::INDEX, asset),
            None => return rest::not_found().await.into_response(),
        },
    };

    let etag = format!("\"{}\"", asset.sha256);
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|tags| matches(tags, &etag)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(asset.bytes.len()));
        response
    } else {
        Response::new(Body::from(asset.bytes))
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if asset.immutable {
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    } else {
        // Revalidate the page every time, so that a new binary's app loads at once.
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if name == magpie_web::INDEX {
        out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
        out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

fn has_extension(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

fn matches(tags: &HeaderValue, etag: &str) -> bool {
    tags.to_str().is_ok_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
}
