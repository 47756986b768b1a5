//! The push services Magpie reaches, each a [`PushSender`] of the core's push outbox (see
//! [`magpie_core::push`]):
//!
//! - [`WebPushSender`]: browsers, by Web Push (RFC 8030) with VAPID (RFC 8292) and the payload
//!   encrypted for the subscription (RFC 8291), through `web-push-native`; endpoints are
//!   addresses users name, so they are reached only at public addresses (as link previews).
//! - [`ApnsSender`]: iOS devices, by Apple's HTTP/2 API with a provider token (ES256).
//! - [`FcmSender`]: Android devices, by FCM's HTTP v1 API with an OAuth 2.0 token from the
//!   service account's key (RS256).
//! - [`GatewaySender`]: an operator's HTTP push gateway, a documented JSON POST (protocol.md,
//!   "Push gateways") that bridges to the vendors' channels (Huawei, Xiaomi, OPPO, vivo…).
//!
//! Every sender maps the service's answer the same way: taken (2xx) is `Ok`; the device gone
//! (404/410, or the service's own word for it) is [`PushError::Gone`]; another 4xx is
//! [`PushError::Rejected`] (given up); 429, 5xx, a timeout or no connection is
//! [`PushError::Retry`].

mod apns;
mod fcm;
mod gateway;
mod webpush;

pub use apns::{APNS_ENDPOINT, ApnsConfig, ApnsSender};
pub use fcm::{FCM_ENDPOINT, FcmSender, ServiceAccount};
pub use gateway::{Gateway, GatewaySender};
use magpie_core::push::PushError;
pub use webpush::{WebPushSender, generate_vapid_key, vapid_key_from_secret};

/// What Magpie calls itself to push services.
pub const USER_AGENT: &str = concat!("Magpie/", env!("CARGO_PKG_VERSION"), " (push)");

/// How every sender's HTTP client starts: Magpie's name, no redirects followed, and a bound on
/// one push, connecting included.
fn client_builder(timeout: std::time::Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(USER_AGENT).redirect(reqwest::redirect::Policy::none()).timeout(timeout)
}

/// A service's answer as the outbox sees it (see the crate's documentation); `gone` says
/// whether the service named the device gone in its body.
fn by_status(status: reqwest::StatusCode, gone: bool, what: &str) -> Result<(), PushError> {
    let code = status.as_u16();
    let message = format!("{what} answered {status}");
    match code {
        200..=299 => Ok(()),
        404 | 410 => Err(PushError::Gone(message)),
        _ if gone => Err(PushError::Gone(message)),
        429 => Err(PushError::Retry(message)),
        400..=499 => Err(PushError::Rejected(message)),
        _ => Err(PushError::Retry(message)),
    }
}

/// A request that got no answer: worth another try.
fn unreachable(what: &str, e: &reqwest::Error) -> PushError {
    PushError::Retry(format!("{what}: {e}"))
}
