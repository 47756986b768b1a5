//! Push (docs/protocol.md §5, "Push"): registering this device for pushes while its socket is
//! closed, and the failures a domain's administrators look at.

use magpie_wire as wire;
use reqwest::Method;

use crate::rest::{Client, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/push/config`: the kinds of device this server pushes to, and the VAPID key.
    pub async fn push_config(&self) -> Result<wire::PushConfig> {
        self.call(Method::GET, "/v1/push/config", NO_BODY).await
    }

    /// `GET /v1/me/push-targets`: the caller's devices registered for pushes.
    pub async fn push_targets(&self) -> Result<wire::PushTargetList> {
        self.call(Method::GET, "/v1/me/push-targets", NO_BODY).await
    }

    /// `POST /v1/me/push-targets`: registers this device (this session) for pushes.
    pub async fn add_push_target(&self, req: &wire::PushTargetRequest) -> Result<wire::PushTargetInfo> {
        self.call(Method::POST, "/v1/me/push-targets", Some(req)).await
    }

    /// `DELETE /v1/me/push-targets/{id}`.
    pub async fn remove_push_target(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/me/push-targets/{id}"), NO_BODY).await
    }

    /// `GET /v1/admin/domains/{domain}/push-failures`.
    pub async fn admin_push_failures(&self, domain: &str) -> Result<wire::PushFailureList> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/push-failures", encode(domain)), NO_BODY).await
    }
}
