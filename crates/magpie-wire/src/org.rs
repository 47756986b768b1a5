//! The organisation (docs/protocol.md §11): departments, the people in them, and where a
//! person sits.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{NameMatch, Profile, present};

/// A department of the caller's domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Department {
    pub id: i64,
    /// Absent at the top of the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    pub name: String,
    /// Where it sorts among its siblings: smaller first, then by name.
    pub position: i64,
    /// The manager's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// People in this department itself.
    pub member_count: u64,
    /// People in it and in every department below it.
    pub total_count: u64,
    /// Its chat: the group that follows its people and those below it, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
}

/// `GET /v1/org/departments`: the whole tree, parents before children, siblings in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentTree {
    pub departments: Vec<Department>,
}

/// `GET /v1/org/departments/{id}/members`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentMembersQuery {
    /// Continue after this login name (the last of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// 1 to 200, 50 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A person in a department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentMember {
    pub profile: Profile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A page of a department's people, by login name; fewer than `limit` on the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentMembers {
    pub members: Vec<DepartmentMember>,
}

/// A department on the way down to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PathStep {
    pub id: i64,
    pub name: String,
}

/// One department a person is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placement {
    pub department: i64,
    /// From the top of the tree down to the department itself.
    pub path: Vec<PathStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The department's manager's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `GET /v1/org/people/{account}`: the departments a person is in, and their own manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placements {
    pub departments: Vec<Placement>,
    /// The person's own manager's address (from the directory's `manager`, or set by an
    /// administrator), beside each department's manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `PUT /v1/admin/people/{account}/manager`: sets a person's own manager, or (`null`) clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SetManagerRequest {
    /// The manager's address, in the person's domain; `null` clears it.
    pub manager: Option<String>,
}

/// A department found by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentFound {
    pub department: i64,
    pub path: Vec<PathStep>,
    pub matched: NameMatch,
}

/// `GET /v1/search/departments`: best match first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentsFound {
    pub results: Vec<DepartmentFound>,
}

/// `POST /v1/admin/domains/{domain}/departments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDepartmentRequest {
    /// 1 to 64 characters, no `/`; unique among its siblings.
    pub name: String,
    /// The department it is under; absent for the top of the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The manager's address, in the department's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `PATCH /v1/admin/departments/{id}`: absent fields stay; `parent` or `manager` `null` moves
/// it to the top of the tree or clears its manager.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateDepartmentRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub manager: Option<Option<String>>,
    /// `true` gives the department a chat that follows its people (and those of the
    /// departments below it); `false` dissolves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<bool>,
}

/// `PUT /v1/admin/departments/{id}/members/{account}`: puts a person in the department, or
/// changes their title there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SetDepartmentMemberRequest {
    /// At most 64 characters; absent or empty for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// WebSocket `data` naming one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DepartmentMembersRequest {
    pub department: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// Which directory attribute holds what (docs/protocol.md §11.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapAttributes {
    /// Default `uid` (Active Directory: `sAMAccountName`).
    pub login: String,
    /// Default `cn` (Active Directory: `displayName`).
    pub display_name: String,
    /// Default `mail`.
    pub email: String,
    /// Default `telephoneNumber` (or `mobile`).
    pub phone: String,
    /// Default `title`.
    pub title: String,
    /// Default `manager`.
    pub manager: String,
    /// An attribute naming the department as a path with `/`; absent: the entry's
    /// organisational units make its department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// Which directory groups become Magpie groups (docs/protocol.md §11.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapGroupMap {
    /// Where groups are searched; empty or absent: the source's `base_dns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_dns: Vec<String>,
    /// Default `(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Attributes listing members, by DN (`member`, `uniqueMember`) or by login
    /// (`memberUid`); default all three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_attributes: Vec<String>,
    /// The attribute naming the group; default `cn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET /v1/admin/domains/{domain}/ldap`: the domain's directory source, without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapSource {
    pub url: String,
    pub starttls: bool,
    pub bind_dn: String,
    /// Whether a bind password is stored (it is never shown).
    pub bind_password_set: bool,
    pub base_dns: Vec<String>,
    pub people_filter: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_filter: Option<String>,
    pub attributes: LdapAttributes,
    pub login_enabled: bool,
    pub sync_interval_secs: u64,
    /// Absent: directory groups are not followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<LdapGroupMap>,
    /// The last real (not dry) sync; absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<LdapLastSync>,
}

/// The last real sync of a domain with its directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapLastSync {
    /// When it ended, in ms since the Unix epoch.
    pub at_ms: i64,
    /// It read only the entries changed since the sync before (a scheduled sync).
    pub incremental: bool,
    /// What it changed; absent if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<LdapSyncReport>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `PUT /v1/admin/domains/{domain}/ldap`: sets the domain's directory source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SetLdapSourceRequest {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    #[serde(default)]
    pub bind_dn: String,
    /// Absent: keep the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_password: Option<String>,
    pub base_dns: Vec<String>,
    /// Default `(objectClass=inetOrgPerson)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_filter: Option<String>,
    /// People matched by it are disabled in Magpie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_filter: Option<String>,
    /// Absent: the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<LdapAttributes>,
    /// Accounts from the directory log in with their directory password.
    #[serde(default)]
    pub login_enabled: bool,
    /// 0 (the default): sync only on demand; else at least 60.
    #[serde(default)]
    pub sync_interval_secs: u64,
    /// Follow directory groups with Magpie groups; absent: do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<LdapGroupMap>,
}

/// `POST /v1/admin/domains/{domain}/ldap/test`: the directory answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapTestResult {
    /// People the filter finds under the base DNs.
    pub people: u64,
}

/// `POST /v1/admin/domains/{domain}/ldap/sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LdapSyncQuery {
    /// Report what a sync would change, and change nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Read only the entries changed since the last sync (full if there was none); deletions
    /// are seen only by a full sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<bool>,
}

/// One change of a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapChange {
    /// `create_account`, `update_account`, `disable_account`, `enable_account`,
    /// `create_department`, `join_department`, `leave_department`, `set_manager`,
    /// `create_group`, `rename_group`, `dissolve_group`, `join_group`, `leave_group` or `skip`.
    pub op: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A department's path of names, with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The profile fields an update changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Why: `disabled` or `deleted` for a disabled account, the cause of a skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The entry a skip is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dn: Option<String>,
    /// A group's name (for `rename_group`, the new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `rename_group`: the old name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `set_manager`: the new manager's address; absent: cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// What a sync changed (with `dry_run`, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LdapSyncReport {
    pub dry_run: bool,
    /// It read only the entries changed since the sync before.
    #[serde(default)]
    pub incremental: bool,
    pub people_seen: u64,
    pub accounts_created: u64,
    pub accounts_updated: u64,
    pub accounts_disabled: u64,
    pub accounts_enabled: u64,
    pub departments_created: u64,
    pub memberships_set: u64,
    pub memberships_removed: u64,
    #[serde(default)]
    pub managers_set: u64,
    #[serde(default)]
    pub groups_seen: u64,
    #[serde(default)]
    pub groups_created: u64,
    #[serde(default)]
    pub groups_renamed: u64,
    #[serde(default)]
    pub groups_dissolved: u64,
    #[serde(default)]
    pub group_members_added: u64,
    #[serde(default)]
    pub group_members_removed: u64,
    pub skipped: u64,
    /// The first 200 changes, in the order they apply.
    pub changes: Vec<LdapChange>,
}
