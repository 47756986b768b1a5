//! The [`WebhookSender`] over HTTP(S): outgoing webhooks' requests to apps, with reqwest on
//! rustls. The body is the wire's [`magpie_wire::WebhookDelivery`]; each request is signed
//! (`X-Magpie-Timestamp`, `X-Magpie-Signature`, see [`magpie_core::webhooks::signature`]).
//! Apps' URLs are addresses people name, so, like link previews and Web Push endpoints, they
//! are reached only at public addresses (and the ranges the operator allows): a subscription
//! cannot reach into the server's own network. No redirects are followed.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::webhooks::{ANSWER_BYTES_MAX, Call, Delivery, WebhookSender, signature};
use magpie_fetch::CheckedResolver;

/// What Magpie calls itself to apps.
pub const USER_AGENT: &str = concat!("Magpie/", env!("CARGO_PKG_VERSION"), " (webhooks)");
/// Most bytes of an app's answer kept to say why it failed.
const ANSWER_CHARS_MAX: usize = 200;

pub struct HttpWebhookSender {
    client: reqwest::Client,
    resolver: Arc<CheckedResolver>,
}

impl HttpWebhookSender {
    pub fn new(resolver: Arc<CheckedResolver>, timeout: Duration) -> anyhow::Result<HttpWebhookSender> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .no_proxy()
            .dns_resolver(resolver.clone())
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(HttpWebhookSender { client, resolver })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn deliver(&self, delivery: Delivery<'_>) -> Result<(), String> {
        // An address written in the URL is connected to without resolving: checked here.
        self.check_url(delivery.url)?;
        let body = magpie_http::webhook_body(&delivery);
        let timestamp = jiff::Timestamp::now().as_second();
        let response = self
            .client
            .post(delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Magpie-Timestamp", timestamp.to_string())
            .header("X-Magpie-Signature", signature(delivery.secret, timestamp, &body))
            .header("X-Magpie-Subscription", delivery.subscription.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {}", error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer = response.text().await.unwrap_or_default();
        let answer: String = answer.chars().take(ANSWER_CHARS_MAX).collect();
        Err(format!("answered {status}: {}", answer.trim()))
    }

    async fn call(&self, call: Call<'_>) -> Result<Option<serde_json::Value>, String> {
        self.check_url(call.url)?;
        let body = serde_json::to_vec(call.body).map_err(|e| format!("the request could not be written: {e}"))?;
        let timestamp = jiff::Timestamp::now().as_second();
        let mut response = self
            .client
            .post(call.url)
            .timeout(call.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Magpie-Timestamp", timestamp.to_string())
            .header("X-Magpie-Signature", signature(call.secret, timestamp, &body))
            .header("X-Magpie-Subscription", call.subscription.to_string())
            .body(body)
            .send()
            .await
            // The member who pressed or invoked reads this: never the app's URL (it may hold a
            // token of the app's).
            .map_err(|e| format!("no answer: {}", error_chain(&e.without_url())))?;
        let status = response.status();
        // Read up to the bound, and no further: an app that sends more is refused.
        let mut answer = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| format!("the answer broke off: {}", error_chain(&e.without_url())))?
        {
            if answer.len() + chunk.len() > ANSWER_BYTES_MAX {
                return Err(format!("answered more than {ANSWER_BYTES_MAX} bytes"));
            }
            answer.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&answer);
            let text: String = text.chars().take(ANSWER_CHARS_MAX).collect();
            return Err(format!("answered {status}: {}", text.trim()));
        }
        if answer.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&answer).map(Some).map_err(|e| format!("answered something that is not JSON: {e}"))
    }

    fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err("must be http:// or https://".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        let ip = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err("names no host".into()),
        };
        match ip {
            Some(ip) if !self.resolver.allows(ip) => Err(format!("{ip} is not a public address")),
            _ => Ok(()),
        }
    }
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
