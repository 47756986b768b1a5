//! Web Push: the notice, encrypted for the browser's subscription, POSTed to its push service
//! with a VAPID signature.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magpie_core::notify::Why;
use magpie_core::push::{Device, PushAddress, PushError, PushNotice, PushSender, decode_b64url};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike as _, ES256KeyPair};
use web_push_native::p256::PublicKey;
use web_push_native::{Auth, WebPushBuilder};

/// The most a push service takes in one message (RFC 8291: 4096 bytes of which the header,
/// the padding delimiter and the tag take 103).
const PLAINTEXT_BYTES_MAX: usize = 3993;
/// How long a push service keeps a push for a browser that is away.
const TTL: Duration = Duration::from_secs(24 * 3600);
/// Time for one push, connecting included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A fresh VAPID private key (a P-256 scalar, base64url), for an operator to keep in the
/// configuration (`magpie push vapid-key`).
pub fn generate_vapid_key() -> String {
    URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes())
}

/// A VAPID private key (base64url) made from 32 bytes of secret: the server derives it from its
/// own key, so that every node and every restart signs with the same one.
pub fn vapid_key_from_secret(secret: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(secret)
}

/// Pushes to browsers.
pub struct WebPushSender {
    client: reqwest::Client,
    allows: Box<dyn Fn(IpAddr) -> bool + Send + Sync>,
    key: ES256KeyPair,
    /// Who runs this server, for push services (`mailto:` or `https:`).
    contact: String,
}

impl WebPushSender {
    /// A sender signing with `private_key` (base64url P-256 scalar) as `contact`. Endpoints
    /// are URLs users hand in: their names are resolved by `resolver`, which must refuse
    /// addresses the server may not reach, and an address written in a URL is checked with
    /// `allows` (the binary gives both from `magpie-fetch`).
    pub fn new<R: reqwest::dns::Resolve + 'static>(
        private_key: &str,
        contact: &str,
        resolver: Arc<R>,
        allows: impl Fn(IpAddr) -> bool + Send + Sync + 'static,
    ) -> Result<WebPushSender, String> {
        let bytes = decode_b64url(private_key.trim()).ok_or("the VAPID private key is not base64url")?;
        let key = ES256KeyPair::from_bytes(&bytes).map_err(|e| format!("the VAPID private key: {e}"))?;
        if !(contact.starts_with("mailto:") || contact.starts_with("https://")) {
            return Err("the VAPID contact must be a mailto: or https: URL".into());
        }
        let client =
            crate::client_builder(TIMEOUT).no_proxy().dns_resolver(resolver).build().map_err(|e| e.to_string())?;
        Ok(WebPushSender { client, allows: Box::new(allows), key, contact: contact.to_owned() })
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.public_key().public_key().to_bytes_uncompressed())
    }

    /// Whether `endpoint` is at an address this sender may reach (an address written in the
    /// URL is not resolved, so it is checked here).
    fn reachable(&self, endpoint: &url::Url) -> bool {
        match endpoint.host() {
            Some(url::Host::Ipv4(ip)) => (self.allows)(ip.into()),
            Some(url::Host::Ipv6(ip)) => (self.allows)(ip.into()),
            Some(url::Host::Domain(_)) => true,
            None => false,
        }
    }
}

/// The notice as the service worker reads it, within what a push service takes: without
/// its preview if it would not fit.
pub(crate) fn payload(notice: &PushNotice, bytes_max: usize) -> Vec<u8> {
    let body = serde_json::to_vec(notice).unwrap_or_default();
    if body.len() <= bytes_max {
        return body;
    }
    let without = PushNotice { preview: None, ..notice.clone() };
    serde_json::to_vec(&without).unwrap_or_default()
}

#[async_trait]
impl PushSender for WebPushSender {
    async fn send(&self, device: Device<'_>, notice: &PushNotice) -> Result<(), PushError> {
        let target = device.target;
        let PushAddress::WebPush { endpoint, p256dh, auth } = &target.address else {
            return Err(PushError::Rejected("not a Web Push subscription".into()));
        };
        let url = url::Url::parse(endpoint).map_err(|_| PushError::Gone("the endpoint is not a URL".into()))?;
        if !self.reachable(&url) {
            return Err(PushError::Gone("the endpoint is not at a public address".into()));
        }
        let uri = endpoint.parse().map_err(|_| PushError::Gone("the endpoint is not a URL".into()))?;
        let key = decode_b64url(p256dh)
            .and_then(|k| PublicKey::from_sec1_bytes(&k).ok())
            .ok_or_else(|| PushError::Gone("the subscription's key is not a P-256 key".into()))?;
        let secret = decode_b64url(auth)
            .filter(|a| a.len() == 16)
            .ok_or_else(|| PushError::Gone("the subscription's secret is not 16 bytes".into()))?;
        let request = WebPushBuilder::new(uri, key, Auth::clone_from_slice(&secret))
            .with_valid_duration(TTL)
            .with_vapid(&self.key, &self.contact)
            .build(payload(notice, PLAINTEXT_BYTES_MAX))
            .map_err(|e| PushError::Rejected(format!("cannot encrypt the push: {e}")))?;
        let urgency = if matches!(notice.why, Why::Direct | Why::Mention) { "high" } else { "normal" };
        let (parts, body) = request.into_parts();
        let mut req = self.client.post(url).body(body).header("Urgency", urgency);
        for (name, value) in &parts.headers {
            req = req.header(name, value);
        }
        let response = req.send().await.map_err(|e| crate::unreachable("the push service", &e))?;
        crate::by_status(response.status(), false, "the push service")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use magpie_core::model::{ConversationId, Seq};

    #[test]
    fn a_payload_too_large_loses_its_preview() {
        let notice = PushNotice {
            event_key: "1:2".into(),
            conversation: ConversationId(1),
            seq: Seq(2),
            why: Why::Message,
            direct: true,
            kind: "text".into(),
            sender: "bob@acme.com".into(),
            sender_name: "Bob".into(),
            conversation_name: None,
            preview: Some("x".repeat(500)),
            at_ms: 0,
        };
        let full: PushNotice = serde_json::from_slice(&payload(&notice, 4000)).unwrap();
        assert_eq!(full, notice);
        let cut: PushNotice = serde_json::from_slice(&payload(&notice, 300)).unwrap();
        assert_eq!(cut.preview, None);
        assert_eq!(cut.sender_name, "Bob");
    }

    #[test]
    fn keys_round_trip() {
        let new = |key: &str, contact: &str| WebPushSender::new(key, contact, Arc::new(NoNames), |_| false);
        let sender = new(&generate_vapid_key(), "mailto:ops@acme.com").unwrap();
        assert_eq!(decode_b64url(&sender.public_key()).map(|k| k.len()), Some(65));
        assert!(new("not a key!", "mailto:ops@acme.com").is_err());
        assert!(new(&generate_vapid_key(), "ops@acme.com").is_err());
    }

    /// A resolver that resolves nothing (these tests connect nowhere).
    struct NoNames;

    impl reqwest::dns::Resolve for NoNames {
        fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async { Err("no names here".into()) })
        }
    }
}
