//! For apps that receive Magpie's outgoing webhooks (docs/apps.md): checking a request's
//! signature and reading its events.
//!
//! ```no_run
//! # fn handle(secret: &str, timestamp: &str, signature: &str, body: &[u8]) {
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//! match magpie_client::apps::verify_webhook(secret, timestamp, signature, body, now) {
//!     Ok(delivery) => {
//!         for event in delivery.events {
//!             // skip `event.id` if seen already (delivery is at least once)
//!         }
//!     }
//!     Err(_) => { /* answer 401 */ }
//! }
//! # }
//! ```

use hmac::Mac as _;
use magpie_wire as wire;

/// How far a request's timestamp and the app's clock may be apart, in seconds (as the server
/// documents): older requests are replays.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Why a request is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("the timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the request is older (or newer) than the replay window")]
    Stale,
    #[error("the signature does not match the secret")]
    BadSignature,
    #[error("the body is not a delivery: {0}")]
    BadBody(String),
}

/// Checks `X-Magpie-Signature` (`signature`) against the subscription's `secret`, the
/// `X-Magpie-Timestamp` (`timestamp`) and the raw `body`, and the timestamp against the app's
/// clock (`now_secs`); then reads the body.
pub fn verify_webhook(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<wire::WebhookDelivery, WebhookError> {
    verify_signature(secret, timestamp, signature, body, now_secs)?;
    serde_json::from_slice(body).map_err(|e| WebhookError::BadBody(e.to_string()))
}

/// A request from Magpie to an app: events from the log, a card's action or a slash command,
/// the last two waiting for the app's answer ([`wire::CardActionAnswer`],
/// [`wire::CommandAnswer`]).
#[derive(Debug, Clone)]
pub enum AppRequest {
    Delivery(wire::WebhookDelivery),
    CardAction(Box<wire::CardActionEvent>),
    Command(Box<wire::CommandEvent>),
}

/// [`verify_webhook`] for an app that also takes card actions: checks the signature and the
/// timestamp the same way, then tells the request's kind by its `type`.
pub fn verify_request(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<AppRequest, WebhookError> {
    verify_signature(secret, timestamp, signature, body, now_secs)?;
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| WebhookError::BadBody(e.to_string()))?;
    let bad = |e: serde_json::Error| WebhookError::BadBody(e.to_string());
    match value.get("type").and_then(serde_json::Value::as_str) {
        Some("card_action") => Ok(AppRequest::CardAction(Box::new(serde_json::from_value(value).map_err(bad)?))),
        Some("command") => Ok(AppRequest::Command(Box::new(serde_json::from_value(value).map_err(bad)?))),
        _ => Ok(AppRequest::Delivery(serde_json::from_value(value).map_err(bad)?)),
    }
}

/// Checks a request's signature and timestamp only (see [`verify_webhook`]).
pub fn verify_signature(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), WebhookError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| WebhookError::BadTimestamp)?;
    if now_secs.abs_diff(ts) > REPLAY_WINDOW_SECS.unsigned_abs() {
        return Err(WebhookError::Stale);
    }
    let given = signature.trim().strip_prefix("v1=").and_then(from_hex).ok_or(WebhookError::BadSignature)?;
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| WebhookError::BadSignature)?;
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| WebhookError::BadSignature)
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"subscription":1,"bot":"b@x","events":[]}"#;

    fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("v1={hex}")
    }

    #[test]
    fn a_request_is_believed_only_signed_with_the_secret_and_fresh() {
        let sig = sign("whsec_a", 1_700_000_000, BODY);
        let delivery = verify_webhook("whsec_a", "1700000000", &sig, BODY, 1_700_000_100).unwrap();
        assert_eq!((delivery.subscription, delivery.bot.as_str()), (1, "b@x"));
        let refused = |secret, ts, sig: &str, body, now| verify_webhook(secret, ts, sig, body, now).unwrap_err();
        assert_eq!(refused("whsec_b", "1700000000", &sig, BODY, 1_700_000_100), WebhookError::BadSignature);
        assert_eq!(refused("whsec_a", "1700000001", &sig, BODY, 1_700_000_100), WebhookError::BadSignature);
        assert_eq!(refused("whsec_a", "1700000000", &sig, b"{}", 1_700_000_100), WebhookError::BadSignature);
        assert_eq!(refused("whsec_a", "1700000000", "v1=zz", BODY, 1_700_000_100), WebhookError::BadSignature);
        assert_eq!(refused("whsec_a", "soon", &sig, BODY, 1_700_000_100), WebhookError::BadTimestamp);
        let late = 1_700_000_000 + REPLAY_WINDOW_SECS + 1;
        assert_eq!(refused("whsec_a", "1700000000", &sig, BODY, late), WebhookError::Stale, "a replay");
    }
}
