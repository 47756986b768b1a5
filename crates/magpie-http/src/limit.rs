//! Guards in front of every route: the per-IP request rate, and a last line against panics.

use std::any::Any;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use magpie_core::ports::Limit;
use magpie_wire::ErrorCode;

use crate::extract::client_ip;
use crate::{ApiError, AppState};

/// Requests per second from one IP, over the whole deployment (the core's counters are shared
/// by a cluster's nodes).
pub(crate) fn requests_by_ip(state: &AppState) -> Limit {
    Limit { name: "requests_by_ip", events_max: state.settings.requests_per_ip_per_sec_max, window_ms: 1000 }
}

/// Requests per second of one session, over the whole deployment.
pub(crate) fn requests_by_session(state: &AppState) -> Limit {
    Limit { name: "requests_by_session", events_max: state.settings.requests_per_session_per_sec_max, window_ms: 1000 }
}

/// Middleware: refuses requests past `requests_per_ip_per_sec_max` from one IP.
pub async fn per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.settings.requests_per_ip_per_sec_max > 0
        && let Some(ip) = client_ip(request.headers(), request.extensions(), state.settings.trust_forwarded_for)
        && let Err(retry_after_secs) =
            state.core.counters.hit(requests_by_ip(&state), &ip, state.core.clock.now_ms()).await
    {
        let mut err = ApiError::new(ErrorCode::RateLimited, "too many requests from this address");
        err.0.retry_after_secs = Some(retry_after_secs);
        state.metrics.count_error(ErrorCode::RateLimited);
        return err.into_response();
    }
    next.run(request).await
}

/// A handler that panicked answers `internal` like any other failure; the panic is logged.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "a request handler panicked");
    ApiError::new(ErrorCode::Internal, "internal error; see the server log").into_response()
}
