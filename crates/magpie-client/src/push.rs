//! Push (docs/protocol.md §5, "Push"): registering this device for pushes while its socket is
//! closed, and the failures a domain's administrators look at; the notification centre and
//! administrators' announcements.

use magpie_wire as wire;
use reqwest::Method;

use crate::rest::{Client, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/notifications`: the caller's notification centre, newest first.
    pub async fn notifications(&self, q: &wire::NotificationsQuery) -> Result<wire::NotificationPage> {
        let mut path = "/v1/notifications?".to_owned();
        if let Some(b) = q.before {
            path.push_str(&format!("before={b}&"));
        }
        if let Some(l) = q.limit {
            path.push_str(&format!("limit={l}&"));
        }
        if let Some(u) = q.unread_only {
            path.push_str(&format!("unread_only={u}"));
        }
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// `POST /v1/notifications/read`: the unread count left.
    pub async fn read_notifications(&self, req: &wire::ReadNotificationsRequest) -> Result<wire::NotificationsUnread> {
        self.call(Method::POST, "/v1/notifications/read", Some(req)).await
    }

    /// `POST /v1/admin/announcements`: how many accounts it reached.
    pub async fn announce(&self, text: &str, domain: Option<&str>) -> Result<wire::Announced> {
        let req = wire::AnnounceRequest { text: text.to_owned(), domain: domain.map(str::to_owned) };
        self.call(Method::POST, "/v1/admin/announcements", Some(&req)).await
    }

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

    /// `GET /v1/admin/audit`: a page of the audit log's records the caller may read, newest
    /// first.
    pub async fn admin_audit(&self, q: &wire::AuditQuery) -> Result<wire::AuditRecordList> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/admin/audit?{query}"), NO_BODY).await
    }

    /// `GET /v1/admin/audit/export`: every record the query selects that the caller may read,
    /// oldest first (the JSON Lines parsed).
    pub async fn admin_audit_export(&self, q: &wire::AuditQuery) -> Result<Vec<wire::AuditRecordInfo>> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        let body = self.send(Method::GET, &format!("/v1/admin/audit/export?{query}"), NO_BODY).await?.text().await?;
        body.lines()
            .map(|line| {
                serde_json::from_str(line)
                    .map_err(|e| crate::Error::Decode { what: "audit export line", reason: e.to_string() })
            })
            .collect()
    }

    /// `GET /v1/admin/backups`: the console's backups, newest first (server administrators).
    pub async fn admin_backups(&self) -> Result<wire::BackupList> {
        self.call(Method::GET, "/v1/admin/backups", NO_BODY).await
    }

    /// `POST /v1/admin/backups`: makes a backup now; answers when it is finished.
    pub async fn admin_make_backup(&self) -> Result<wire::BackupInfo> {
        self.call(Method::POST, "/v1/admin/backups", NO_BODY).await
    }

    /// `POST /v1/admin/exports`: starts a compliance export; answers it running.
    pub async fn admin_start_export(&self, req: &wire::NewExportRequest) -> Result<wire::ExportInfo> {
        self.call(Method::POST, "/v1/admin/exports", Some(req)).await
    }

    /// `GET /v1/admin/exports`: the exports the caller may see, newest first.
    pub async fn admin_exports(&self, q: &wire::ExportQuery) -> Result<wire::ExportList> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/admin/exports?{query}"), NO_BODY).await
    }

    /// `GET /v1/admin/exports/{id}`: one export and how far it has got.
    pub async fn admin_export(&self, id: i64) -> Result<wire::ExportInfo> {
        self.call(Method::GET, &format!("/v1/admin/exports/{id}"), NO_BODY).await
    }

    /// `GET /v1/admin/exports/{id}?wait_secs=`: the export as soon as it changes while it
    /// runs, or after `wait_secs`.
    pub async fn admin_export_wait(&self, id: i64, wait_secs: i64) -> Result<wire::ExportInfo> {
        self.call(Method::GET, &format!("/v1/admin/exports/{id}?wait_secs={wait_secs}"), NO_BODY).await
    }

    /// `GET /v1/admin/exports/{id}/archive`: a finished export's ZIP.
    pub async fn admin_export_archive(&self, id: i64) -> Result<Vec<u8>> {
        Ok(self.send(Method::GET, &format!("/v1/admin/exports/{id}/archive"), NO_BODY).await?.bytes().await?.to_vec())
    }

    /// `GET /v1/admin/domains/{domain}/groups`: the domain's groups and channels, newest first.
    pub async fn admin_groups(&self, domain: &str, q: &wire::AdminGroupQuery) -> Result<wire::AdminGroupList> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/admin/domains/{}/groups?{query}", encode(domain)), NO_BODY).await
    }

    /// `GET /v1/admin/groups/{id}/members`: a group's active members, for its domain's admins.
    pub async fn admin_group_members(&self, id: i64) -> Result<Vec<wire::Member>> {
        let list: wire::MemberList = self.call(Method::GET, &format!("/v1/admin/groups/{id}/members"), NO_BODY).await?;
        Ok(list.members)
    }

    /// `POST /v1/admin/groups/{id}/owner`: hands the group to `member`.
    pub async fn admin_transfer_group(&self, id: i64, member: &str) -> Result<wire::Ack> {
        let req = wire::MemberChange { member: member.to_owned(), role: None, until_ms: None };
        self.call(Method::POST, &format!("/v1/admin/groups/{id}/owner"), Some(&req)).await
    }

    /// `POST /v1/admin/groups/{id}/dissolve`: ends the group for everyone.
    pub async fn admin_dissolve_group(&self, id: i64) -> Result<wire::Ack> {
        self.call(Method::POST, &format!("/v1/admin/groups/{id}/dissolve"), NO_BODY).await
    }

    /// `GET /v1/admin/dashboard`: this node now and over the last hour and day.
    pub async fn admin_dashboard(&self) -> Result<wire::Dashboard> {
        self.call(Method::GET, "/v1/admin/dashboard", NO_BODY).await
    }

    /// `GET /v1/admin/connections`: who is connected to this node, newest first.
    pub async fn admin_connections(&self, q: &wire::ConnectionsQuery) -> Result<wire::ConnectionList> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/admin/connections?{query}"), NO_BODY).await
    }

    /// `GET /v1/admin/domains/{domain}/moderation`: the domain's forbidden words.
    pub async fn admin_moderation(&self, domain: &str) -> Result<wire::ModerationRules> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/moderation", encode(domain)), NO_BODY).await
    }

    /// `PUT /v1/admin/domains/{domain}/moderation`: replaces the domain's forbidden words.
    pub async fn admin_set_moderation(
        &self,
        domain: &str,
        rules: &wire::ModerationRules,
    ) -> Result<wire::ModerationRules> {
        self.call(Method::PUT, &format!("/v1/admin/domains/{}/moderation", encode(domain)), Some(rules)).await
    }

    /// `GET /v1/admin/domains/{domain}/retention`: the domain's policy, its conversations' own,
    /// and its latest runs.
    pub async fn admin_retention(&self, domain: &str) -> Result<wire::Retention> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/retention", encode(domain)), NO_BODY).await
    }

    /// `PUT /v1/admin/domains/{domain}/retention`: keep the domain's entries `days` days
    /// (`None`: for ever).
    pub async fn admin_set_retention(&self, domain: &str, days: Option<u32>) -> Result<wire::Retention> {
        let body = wire::RetentionPolicy { days };
        self.call(Method::PUT, &format!("/v1/admin/domains/{}/retention", encode(domain)), Some(&body)).await
    }

    /// `PUT /v1/admin/conversations/{id}/retention`: keep one conversation's entries `days`
    /// days (`Some(0)`: for ever; `None`: as its domain).
    pub async fn admin_set_conversation_retention(&self, id: i64, days: Option<u32>) -> Result<()> {
        let body = wire::RetentionPolicy { days };
        self.call_empty(Method::PUT, &format!("/v1/admin/conversations/{id}/retention"), Some(&body)).await
    }

    /// `POST /v1/admin/domains/{domain}/retention/runs`: run the domain's retention now.
    pub async fn admin_start_retention_run(
        &self,
        domain: &str,
        before_ms: Option<i64>,
    ) -> Result<wire::RetentionRunInfo> {
        let body = wire::StartRetentionRun { before_ms };
        self.call(Method::POST, &format!("/v1/admin/domains/{}/retention/runs", encode(domain)), Some(&body)).await
    }

    /// `GET /v1/admin/retention/runs/{id}?wait_secs=`: one run, as soon as it changes while it
    /// runs (or `wait_secs` passed).
    pub async fn admin_retention_run_wait(&self, id: i64, wait_secs: i64) -> Result<wire::RetentionRunInfo> {
        self.call(Method::GET, &format!("/v1/admin/retention/runs/{id}?wait_secs={wait_secs}"), NO_BODY).await
    }

    /// `GET /v1/admin/logs`: the server's recent log lines, oldest first.
    pub async fn admin_logs(&self, q: &wire::LogQuery) -> Result<wire::LogLines> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/admin/logs?{query}"), NO_BODY).await
    }
}
