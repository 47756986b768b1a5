//! The HTTP push gateway: Magpie POSTs each push as JSON to the operator's gateway, which
//! hands it to the device's vendor channel (protocol.md, "Push gateways").

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::push::{Device, PushAddress, PushError, PushNotice, PushSender, PushTarget};
use serde::{Deserialize, Serialize};

/// Time for one request, connecting included.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Devices one request to a gateway names at most (of one notice; the vendors' channels take
/// up to 1,000 tokens a call).
pub const DEVICES_PER_REQUEST_MAX: usize = 500;

/// One gateway, by the name devices register with.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub name: String,
    pub url: reqwest::Url,
}

impl Gateway {
    /// `name=url`, as the configuration lists gateways.
    pub fn parse(spec: &str) -> Result<Gateway, String> {
        let (name, url) = spec.split_once('=').ok_or_else(|| format!("{spec:?} is not name=url"))?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("{name:?}: a gateway's name is letters, digits, - and _"));
        }
        let url: reqwest::Url = url.trim().parse().map_err(|e| format!("{name}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{name}: the gateway's URL must be http or https"));
        }
        Ok(Gateway { name: name.to_owned(), url })
    }
}

/// What Magpie POSTs to a gateway.
#[derive(Debug, Serialize, Deserialize)]
pub struct GatewayRequest {
    pub notification: GatewayNotification,
}

/// The notice and the devices it is for: one or more, of one or more accounts, each told of
/// the same message for the same reason.
#[derive(Debug, Serialize, Deserialize)]
pub struct GatewayNotification {
    #[serde(flatten)]
    pub notice: PushNotice,
    pub devices: Vec<GatewayDevice>,
}

/// A device as it registered: the app and its vendor's push key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayDevice {
    pub app_id: String,
    pub pushkey: String,
    /// The number the app's icon shows: the account's conversations with unread messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<u32>,
}

/// What a gateway answers: the push keys its vendor refused for good (uninstalled, expired),
/// which Magpie forgets.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GatewayResponse {
    #[serde(default)]
    pub rejected: Vec<String>,
}

/// Pushes through the configured gateways.
pub struct GatewaySender {
    client: reqwest::Client,
    gateways: Vec<Gateway>,
    /// Sent as `Authorization: Bearer …` when set, so that a gateway knows it is Magpie.
    secret: Option<String>,
}

impl GatewaySender {
    pub fn new(gateways: Vec<Gateway>, secret: Option<String>) -> Result<GatewaySender, String> {
        let client = crate::client_builder(TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(GatewaySender { client, gateways, secret: secret.filter(|s| !s.is_empty()) })
    }

    /// The gateways' names, which devices register with.
    pub fn names(&self) -> Vec<String> {
        self.gateways.iter().map(|g| g.name.clone()).collect()
    }
}

#[async_trait]
impl PushSender for GatewaySender {
    async fn send(&self, device: Device<'_>, notice: &PushNotice) -> Result<(), PushError> {
        self.send_batch(&[device], notice).await.pop().unwrap_or(Ok(()))
    }

    fn shows_badges(&self) -> bool {
        true
    }

    fn batch_len_max(&self) -> usize {
        DEVICES_PER_REQUEST_MAX
    }

    fn batch_key(&self, target: &PushTarget) -> String {
        match &target.address {
            PushAddress::Gateway { gateway, .. } => gateway.clone(),
            _ => String::new(),
        }
    }

    /// One POST with every device (all of one gateway); a failed request fails each alike,
    /// and the push keys the gateway rejects are gone.
    async fn send_batch(&self, targets: &[Device<'_>], notice: &PushNotice) -> Vec<Result<(), PushError>> {
        let mut devices = Vec::with_capacity(targets.len());
        let mut gateway_name = None;
        for device in targets {
            let PushAddress::Gateway { gateway, app_id, pushkey } = &device.target.address else {
                return targets.iter().map(|_| Err(PushError::Rejected("not a gateway device".into()))).collect();
            };
            gateway_name.get_or_insert(gateway);
            devices.push(GatewayDevice { app_id: app_id.clone(), pushkey: pushkey.clone(), badge: device.badge });
        }
        let Some(gateway) = gateway_name else { return Vec::new() };
        let Some(gw) = self.gateways.iter().find(|g| &g.name == gateway) else {
            return targets.iter().map(|_| Err(PushError::Gone(format!("no gateway {gateway} any more")))).collect();
        };
        let all = |e: PushError| targets.iter().map(|_| Err(e.clone())).collect::<Vec<_>>();
        let body = GatewayRequest { notification: GatewayNotification { notice: notice.clone(), devices } };
        let mut request = self.client.post(gw.url.clone()).json(&body);
        if let Some(secret) = &self.secret {
            request = request.bearer_auth(secret);
        }
        let what = format!("push gateway {gateway}");
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return all(crate::unreachable(&what, &e)),
        };
        let status = response.status();
        if !status.is_success() {
            let error = match crate::by_status(status, false, &what) {
                // The gateway's own 404 or 410 says nothing of the devices: they are dropped
                // only when it names them rejected.
                Err(PushError::Gone(message)) => PushError::Rejected(message),
                Err(e) => e,
                Ok(()) => PushError::Retry(format!("{what} answered {status}")),
            };
            return all(error);
        }
        // A body that is not the documented one is taken as "nothing rejected".
        let answer: GatewayResponse = response.json().await.unwrap_or_default();
        let rejected: HashSet<&str> = answer.rejected.iter().map(String::as_str).collect();
        body.notification
            .devices
            .iter()
            .map(|d| {
                if rejected.contains(d.pushkey.as_str()) {
                    Err(PushError::Gone(format!("{what} rejected the push key")))
                } else {
                    Ok(())
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_are_name_equals_url() {
        let g = Gateway::parse(" huawei = https://gw.acme.internal/push ").map_err(|e| e.to_string());
        assert_eq!(
            g.map(|g| (g.name, g.url.to_string())),
            Ok(("huawei".into(), "https://gw.acme.internal/push".into()))
        );
        assert!(Gateway::parse("https://gw.acme.internal/push").is_err());
        assert!(Gateway::parse("hua wei=https://gw").is_err());
        assert!(Gateway::parse("x=ftp://gw").is_err());
    }
}
