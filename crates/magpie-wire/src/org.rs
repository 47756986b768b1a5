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

/// `GET /v1/org/people/{account}`: the departments a person is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placements {
    pub departments: Vec<Placement>,
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
