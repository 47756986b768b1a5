//! Firebase Cloud Messaging, HTTP v1 API: one POST per registration token, authenticated with
//! an OAuth 2.0 access token the server gets from Google's token endpoint with its service
//! account's key (a signed JWT, RFC 7523), kept until shortly before it expires.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use magpie_core::notify::Why;
use magpie_core::push::{Device, PushAddress, PushError, PushNotice, PushSender};
use serde::Deserialize;
use serde_json::json;
use web_push_native::jwt_simple::algorithms::{RS256KeyPair, RSAKeyPairLike as _};
use web_push_native::jwt_simple::claims::Claims;

/// Google's endpoint.
pub const FCM_ENDPOINT: &str = "https://fcm.googleapis.com";
/// What the access token may do.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Time for one request, connecting included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The fields of a service account's JSON key file that FCM needs.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    pub token_uri: String,
}

/// Pushes to Android (and other FCM) devices.
pub struct FcmSender {
    client: reqwest::Client,
    key: RS256KeyPair,
    account: ServiceAccount,
    send_url: reqwest::Url,
    access: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct AccessToken {
    access_token: String,
    expires_in: u64,
}

impl FcmSender {
    /// A sender for the service account's project, at `endpoint` ([`FCM_ENDPOINT`], or a fake
    /// in tests).
    pub fn new(account: ServiceAccount, endpoint: &str) -> Result<FcmSender, String> {
        let key = RS256KeyPair::from_pem(&account.private_key)
            .map_err(|e| format!("the service account's private key is not an RSA key in PEM: {e}"))?;
        let endpoint: reqwest::Url = endpoint.parse().map_err(|e| format!("the FCM endpoint: {e}"))?;
        let send_url = endpoint
            .join(&format!("/v1/projects/{}/messages:send", account.project_id))
            .map_err(|e| format!("the FCM endpoint: {e}"))?;
        let client = crate::client_builder(TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(FcmSender { client, key, account, send_url, access: Mutex::new(None) })
    }

    /// An access token: the one held while it has a minute left, else a new one.
    async fn access_token(&self) -> Result<String, PushError> {
        if let Some((token, until)) = self.access.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Scope {
            scope: String,
        }
        let claims = Claims::with_custom_claims(Scope { scope: SCOPE.into() }, Duration::from_secs(3600).into())
            .with_issuer(&self.account.client_email)
            .with_audience(&self.account.token_uri);
        let assertion =
            self.key.sign(claims).map_err(|e| PushError::Retry(format!("cannot sign the FCM assertion: {e}")))?;
        let response = self
            .client
            .post(&self.account.token_uri)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(|e| crate::unreachable("Google's token endpoint", &e))?;
        if !response.status().is_success() {
            // Not the device's fault, whatever the status: retried (and logged) until the
            // operator fixes the service account.
            return Err(PushError::Retry(format!("Google's token endpoint answered {}", response.status())));
        }
        let token: AccessToken =
            response.json().await.map_err(|e| PushError::Retry(format!("Google's token endpoint: {e}")))?;
        let until = Instant::now() + Duration::from_secs(token.expires_in.saturating_sub(60));
        *self.access.lock().unwrap_or_else(|e| e.into_inner()) = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }
}

#[async_trait]
impl PushSender for FcmSender {
    fn shows_badges(&self) -> bool {
        true
    }

    async fn send(&self, device: Device<'_>, notice: &PushNotice) -> Result<(), PushError> {
        let PushAddress::Fcm { token } = &device.target.address else {
            return Err(PushError::Rejected("not an FCM device".into()));
        };
        let (title, body) = crate::apns::title_and_body(notice);
        // FCM's data values are strings: the notice as JSON, for the app to read.
        let data = serde_json::to_string(notice).unwrap_or_default();
        let urgent = matches!(notice.why, Why::Direct | Why::Mention);
        let mut message = json!({"message": {
            "token": token,
            "notification": {"title": title, "body": body},
            "data": {"magpie": data, "event_key": notice.event_key},
            "android": {"priority": if urgent { "high" } else { "normal" }, "collapse_key": notice.event_key},
        }});
        if let Some(badge) = device.badge {
            // Android's launchers show the notification's count; the app reads `badge` too.
            message["message"]["android"]["notification"] = json!({"notification_count": badge});
            message["message"]["data"]["badge"] = json!(badge.to_string());
        }
        let response = self
            .client
            .post(self.send_url.clone())
            .bearer_auth(self.access_token().await?)
            .json(&message)
            .send()
            .await
            .map_err(|e| crate::unreachable("FCM", &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status.as_u16() == 401 {
            *self.access.lock().unwrap_or_else(|e| e.into_inner()) = None;
            return Err(PushError::Retry("FCM refused the access token".into()));
        }
        // FCM names a token that is no longer valid `UNREGISTERED` (404).
        let error = response.json::<serde_json::Value>().await.ok();
        let code = error
            .as_ref()
            .and_then(|e| e["error"]["details"].as_array())
            .and_then(|d| d.iter().find_map(|d| d["errorCode"].as_str()))
            .unwrap_or_default()
            .to_owned();
        crate::by_status(status, code == "UNREGISTERED", &format!("FCM ({code})"))
    }
}
