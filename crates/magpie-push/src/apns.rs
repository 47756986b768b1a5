//! Apple's push service (APNs): one HTTP/2 POST per device token, authenticated with a JWT the
//! server signs with the team's `.p8` key (token-based authentication), renewed every 50
//! minutes (Apple refuses tokens older than an hour and renewals more often than every 20).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use magpie_core::notify::Why;
use magpie_core::push::{Device, PushAddress, PushError, PushNotice, PushSender};
use serde_json::json;
use web_push_native::jwt_simple::algorithms::{ECDSAP256KeyPairLike as _, ES256KeyPair};
use web_push_native::jwt_simple::claims::Claims;

/// Apple's production endpoint.
pub const APNS_ENDPOINT: &str = "https://api.push.apple.com";
/// How long one provider token is used.
const TOKEN_TTL: Duration = Duration::from_secs(50 * 60);
/// Time for one push, connecting included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// What an operator configures for APNs.
#[derive(Debug, Clone)]
pub struct ApnsConfig {
    /// The `.p8` key's PEM text.
    pub key_pem: String,
    pub key_id: String,
    pub team_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// [`APNS_ENDPOINT`], or Apple's sandbox, or (in tests) a fake.
    pub endpoint: String,
}

/// Pushes to iOS devices.
pub struct ApnsSender {
    client: reqwest::Client,
    key: ES256KeyPair,
    team_id: String,
    topic: String,
    endpoint: reqwest::Url,
    token: Mutex<Option<(String, Instant)>>,
}

impl ApnsSender {
    pub fn new(config: ApnsConfig) -> Result<ApnsSender, String> {
        let key = ES256KeyPair::from_pem(&config.key_pem)
            .map_err(|e| format!("the APNs key is not a P-256 key in PEM: {e}"))?
            .with_key_id(&config.key_id);
        let endpoint = config.endpoint.parse().map_err(|e| format!("the APNs endpoint: {e}"))?;
        let client = crate::client_builder(TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(ApnsSender { client, key, team_id: config.team_id, topic: config.topic, endpoint, token: Mutex::new(None) })
    }

    /// The provider token: the one in use while young enough, else a new one.
    fn token(&self) -> Result<String, PushError> {
        let mut held = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, at)) = held.as_ref()
            && at.elapsed() < TOKEN_TTL
        {
            return Ok(token.clone());
        }
        // Apple wants `iss` and `iat` only.
        let mut claims = Claims::create(TOKEN_TTL.into()).with_issuer(&self.team_id);
        claims.expires_at = None;
        claims.invalid_before = None;
        let token = self.key.sign(claims).map_err(|e| PushError::Retry(format!("cannot sign the APNs token: {e}")))?;
        *held = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

/// The notification's title and body as a phone shows it.
pub(crate) fn title_and_body(notice: &PushNotice) -> (String, String) {
    let title = match &notice.conversation_name {
        Some(name) if !notice.direct => format!("{} · {name}", notice.sender_name),
        _ => notice.sender_name.clone(),
    };
    let body = notice.preview.clone().unwrap_or_else(|| format!("[{}]", notice.kind));
    (title, body)
}

#[async_trait]
impl PushSender for ApnsSender {
    fn shows_badges(&self) -> bool {
        true
    }

    async fn send(&self, device: Device<'_>, notice: &PushNotice) -> Result<(), PushError> {
        let PushAddress::Apns { token } = &device.target.address else {
            return Err(PushError::Rejected("not an APNs device".into()));
        };
        let url = self
            .endpoint
            .join(&format!("/3/device/{token}"))
            .map_err(|_| PushError::Gone("the device token does not fit a URL".into()))?;
        let (title, body) = title_and_body(notice);
        let mut payload = json!({
            "aps": {
                "alert": {"title": title, "body": body},
                "sound": "default",
                "thread-id": notice.conversation.0.to_string(),
                "mutable-content": 1,
            },
            "magpie": notice,
        });
        if let Some(badge) = device.badge {
            payload["aps"]["badge"] = json!(badge);
        }
        let urgent = matches!(notice.why, Why::Direct | Why::Mention);
        let response = self
            .client
            .post(url)
            .bearer_auth(self.token()?)
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", if urgent { "10" } else { "5" })
            .header("apns-collapse-id", &notice.event_key)
            .json(&payload)
            .send()
            .await
            .map_err(|e| crate::unreachable("APNs", &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Apple names the reason in the body: a device token that is no longer (or never
        // was) valid for this topic is gone.
        let reason = response.json::<serde_json::Value>().await.ok();
        let reason = reason.as_ref().and_then(|r| r["reason"].as_str()).unwrap_or_default().to_owned();
        if status.as_u16() == 403 && reason.contains("Token") {
            // Our provider token was refused (expired or revoked): make a new one.
            *self.token.lock().unwrap_or_else(|e| e.into_inner()) = None;
            return Err(PushError::Retry(format!("APNs refused the provider token: {reason}")));
        }
        let gone = matches!(reason.as_str(), "BadDeviceToken" | "Unregistered" | "DeviceTokenNotForTopic");
        crate::by_status(status, gone, &format!("APNs ({reason})"))
    }
}
