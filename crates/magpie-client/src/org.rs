//! The organisation (docs/protocol.md §11): departments, their people and where a person sits;
//! the changes a domain's administrators make.

use magpie_wire::{self as wire, Request};
use reqwest::Method;

use crate::live::Connection;
use crate::rest::{Client, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/org/departments`: the caller's domain's tree.
    pub async fn departments(&self) -> Result<wire::DepartmentTree> {
        self.call(Method::GET, "/v1/org/departments", NO_BODY).await
    }

    /// `GET /v1/org/departments/{id}/members`: a department's people, by login name.
    pub async fn department_members(
        &self,
        id: i64,
        q: &wire::DepartmentMembersQuery,
    ) -> Result<wire::DepartmentMembers> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/org/departments/{id}/members?{query}"), NO_BODY).await
    }

    /// `GET /v1/org/people/{account}`: the departments a person is in.
    pub async fn placements(&self, account: &str) -> Result<wire::Placements> {
        self.call(Method::GET, &format!("/v1/org/people/{}", encode(account)), NO_BODY).await
    }

    /// `GET /v1/search/departments`: departments by name, pinyin or initials.
    pub async fn search_departments(&self, q: &wire::SearchNamesQuery) -> Result<wire::DepartmentsFound> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/search/departments?{query}"), NO_BODY).await
    }

    /// `GET /v1/admin/domains/{domain}/departments`.
    pub async fn admin_departments(&self, domain: &str) -> Result<wire::DepartmentTree> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/departments", encode(domain)), NO_BODY).await
    }

    /// `POST /v1/admin/domains/{domain}/departments`.
    pub async fn admin_create_department(
        &self,
        domain: &str,
        req: &wire::CreateDepartmentRequest,
    ) -> Result<wire::Department> {
        self.call(Method::POST, &format!("/v1/admin/domains/{}/departments", encode(domain)), Some(req)).await
    }

    /// `PATCH /v1/admin/departments/{id}`.
    pub async fn admin_update_department(
        &self,
        id: i64,
        req: &wire::UpdateDepartmentRequest,
    ) -> Result<wire::Department> {
        self.call(Method::PATCH, &format!("/v1/admin/departments/{id}"), Some(req)).await
    }

    /// `DELETE /v1/admin/departments/{id}`.
    pub async fn admin_delete_department(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/admin/departments/{id}"), NO_BODY).await
    }

    /// `PUT /v1/admin/departments/{id}/members/{account}`.
    pub async fn admin_set_department_member(&self, id: i64, account: &str, title: Option<&str>) -> Result<()> {
        let req = wire::SetDepartmentMemberRequest { title: title.map(str::to_owned) };
        let path = format!("/v1/admin/departments/{id}/members/{}", encode(account));
        self.call_empty(Method::PUT, &path, Some(&req)).await
    }

    /// `DELETE /v1/admin/departments/{id}/members/{account}`.
    pub async fn admin_remove_department_member(&self, id: i64, account: &str) -> Result<()> {
        let path = format!("/v1/admin/departments/{id}/members/{}", encode(account));
        self.call_empty(Method::DELETE, &path, NO_BODY).await
    }

    /// `PATCH /v1/admin/departments/{id}` with `chat`: gives the department a chat that follows
    /// its people, or (`false`) dissolves it. The department's `chat` is the group's id.
    pub async fn admin_set_department_chat(&self, id: i64, on: bool) -> Result<wire::Department> {
        let req = wire::UpdateDepartmentRequest { chat: Some(on), ..Default::default() };
        self.admin_update_department(id, &req).await
    }

    /// `PUT /v1/admin/people/{account}/manager`: sets (or with `None` clears) a person's own
    /// manager.
    pub async fn admin_set_manager(&self, account: &str, manager: Option<&str>) -> Result<()> {
        let req = wire::SetManagerRequest { manager: manager.map(str::to_owned) };
        self.call_empty(Method::PUT, &format!("/v1/admin/people/{}/manager", encode(account)), Some(&req)).await
    }

    /// `GET /v1/admin/domains/{domain}/ldap`: the domain's directory source (no password) and
    /// its last sync.
    pub async fn admin_ldap_source(&self, domain: &str) -> Result<wire::LdapSource> {
        self.call(Method::GET, &format!("/v1/admin/domains/{}/ldap", encode(domain)), NO_BODY).await
    }

    /// `PUT /v1/admin/domains/{domain}/ldap`: sets the domain's directory source.
    pub async fn admin_set_ldap_source(
        &self,
        domain: &str,
        req: &wire::SetLdapSourceRequest,
    ) -> Result<wire::LdapSource> {
        self.call(Method::PUT, &format!("/v1/admin/domains/{}/ldap", encode(domain)), Some(req)).await
    }

    /// `DELETE /v1/admin/domains/{domain}/ldap`: forgets the source (its accounts stay).
    pub async fn admin_delete_ldap_source(&self, domain: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/admin/domains/{}/ldap", encode(domain)), NO_BODY).await
    }

    /// `POST /v1/admin/domains/{domain}/ldap/test`: connects, binds, counts the people.
    pub async fn admin_test_ldap_source(&self, domain: &str) -> Result<wire::LdapTestResult> {
        self.call(Method::POST, &format!("/v1/admin/domains/{}/ldap/test", encode(domain)), NO_BODY).await
    }

    /// `POST /v1/admin/domains/{domain}/ldap/sync`: syncs now, or with `dry_run` reports what a
    /// sync would change.
    pub async fn admin_sync_ldap(&self, domain: &str, q: &wire::LdapSyncQuery) -> Result<wire::LdapSyncReport> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::POST, &format!("/v1/admin/domains/{}/ldap/sync?{query}", encode(domain)), NO_BODY).await
    }
}

impl Connection {
    /// `get_departments`: as [`Client::departments`], over the WebSocket.
    pub async fn departments(&self) -> Result<wire::DepartmentTree> {
        self.request_as(&Request::GetDepartments(wire::Empty {})).await
    }

    /// `list_department_members`: as [`Client::department_members`], over the WebSocket.
    pub async fn department_members(&self, req: wire::DepartmentMembersRequest) -> Result<wire::DepartmentMembers> {
        self.request_as(&Request::ListDepartmentMembers(req)).await
    }

    /// `get_placements`: as [`Client::placements`], over the WebSocket.
    pub async fn placements(&self, account: &str) -> Result<wire::Placements> {
        self.request_as(&Request::GetPlacements(wire::AccountRef { account: account.to_owned() })).await
    }

    /// `search_departments`: as [`Client::search_departments`], over the WebSocket.
    pub async fn search_departments(&self, q: wire::SearchNamesQuery) -> Result<wire::DepartmentsFound> {
        self.request_as(&Request::SearchDepartments(q)).await
    }
}
