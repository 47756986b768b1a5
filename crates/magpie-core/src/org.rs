//! The organisation (docs/protocol.md §11): each domain's tree of departments, the people in
//! them with their titles, and a department's manager.
//!
//! **Who may do what.** Every member of a domain reads its tree, its departments' members and
//! anyone's departments; only the domain's administrators (and the operator's CLI) change
//! them. Nothing of another domain is found: a department id of another domain answers
//! `not_found`, exactly as one that does not exist.
//!
//! **The tree stays a tree.** A department's parent is in its domain, and a move never puts a
//! department under itself or one below it: the store checks it in the write that moves it
//! ([`OrgStore::update_department`]), so two moves at once cannot make a loop. Sibling names
//! are unique (as LDAP's organisational units are), so a path of names names one department.
//! A department with departments under it is not deleted; its people leave it with it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::audit::Change;
use crate::directory::{Directory, NameFields, NameSource};
use crate::model::{Account, AccountId, Actor, ConversationId, DomainId, Principal};
use crate::names::{self, AccountAddr, LoginName};
use crate::orgchat::OrgChats;
use crate::ports::{AccountStore, OrgStore, Stores};
use crate::{Deps, Error, Result, Unit};
use serde_json::json;

/// A department's id: unique across the deployment, never reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DepartmentId(pub i64);

/// Longest department name, in characters.
pub const DEPARTMENT_NAME_CHARS_MAX: usize = 64;
/// Longest title of a person in a department, in characters.
pub const TITLE_CHARS_MAX: usize = 64;
/// Most departments a domain holds.
pub const DEPARTMENTS_PER_DOMAIN_MAX: usize = 20_000;
/// Deepest a department may sit: a root is at depth 1.
pub const DEPTH_MAX: usize = 16;
/// Most departments one person is in.
pub const DEPARTMENTS_PER_ACCOUNT_MAX: usize = 20;
/// Most members a page of a department's members holds.
pub const MEMBERS_PAGE_LEN_MAX: usize = 200;
/// Members per page when a request does not say.
pub const MEMBERS_PAGE_LEN_DEFAULT: usize = 50;

/// A department as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub domain_id: DomainId,
    /// `None` for a department at the top of the tree.
    pub parent: Option<DepartmentId>,
    pub name: String,
    /// Where it sorts among its siblings (smaller first; then by name).
    pub position: i64,
    pub manager: Option<AccountId>,
    /// People in this department itself (not in those below it).
    pub member_count: u64,
    /// The group that follows its people and those of the departments below it, if it has one.
    pub chat: Option<ConversationId>,
}

/// A department to create.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub domain_id: DomainId,
    pub parent: Option<DepartmentId>,
    pub name: String,
    pub position: i64,
    pub manager: Option<AccountId>,
    pub created_at_ms: i64,
}

/// A change to a department: `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    /// `Some(None)` moves it to the top of the tree.
    pub parent: Option<Option<DepartmentId>>,
    pub position: Option<i64>,
    /// `Some(None)` clears the manager.
    pub manager: Option<Option<AccountId>>,
}

/// A person in a department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentMember {
    pub account: Account,
    pub title: Option<String>,
}

/// A department in the tree as a member reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub department: Department,
    pub manager: Option<AccountAddr>,
    /// People in it and in every department below it, each counted once per department.
    pub total_count: u64,
}

/// One department a person is in, with where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub department: Department,
    /// Its ancestors' and its own `(id, name)`, from the top of the tree down.
    pub path: Vec<(DepartmentId, String)>,
    pub title: Option<String>,
    pub manager: Option<AccountAddr>,
}

/// A department found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDepartment {
    pub department: Department,
    pub path: Vec<(DepartmentId, String)>,
    pub matched: NameSource,
}

/// The organisation service.
#[derive(Clone)]
pub struct Org {
    deps: Arc<Deps>,
    org: Arc<dyn OrgStore>,
    accounts: Arc<dyn AccountStore>,
    directory: Directory,
    chats: OrgChats,
}

impl Org {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, directory: Directory, chats: OrgChats) -> Org {
        Org { deps, org: stores.org.clone(), accounts: stores.accounts.clone(), directory, chats }
    }

    /// The caller's domain's departments, each with its manager and its total of people.
    pub async fn tree(&self, caller: &Principal) -> Result<Vec<TreeNode>> {
        let departments = self.org.departments(caller.account.domain_id).await?;
        self.nodes(departments).await
    }

    /// The people of one of the caller's domain's departments, by position of their name,
    /// `limit` at a time after the login name `after`.
    pub async fn members(
        &self,
        caller: &Principal,
        id: DepartmentId,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<DepartmentMember>> {
        // A department of the caller's domain; a server administrator's, of any domain.
        match self.org.department(id).await? {
            Some(d)
                if d.domain_id == caller.account.domain_id || Actor::Account(caller).may_administer(d.domain_id) => {}
            _ => return Err(Error::NotFound("department")),
        }
        let after = after.map(LoginName::parse).transpose()?;
        let limit = limit.unwrap_or(MEMBERS_PAGE_LEN_DEFAULT);
        if !(1..=MEMBERS_PAGE_LEN_MAX).contains(&limit) {
            return Err(Error::invalid("limit", format!("must be 1 to {MEMBERS_PAGE_LEN_MAX}")));
        }
        Ok(self.org.department_members(id, after.as_ref(), limit).await?)
    }

    /// The departments of a person of the caller's domain, with their paths, titles and
    /// managers.
    pub async fn placements(&self, caller: &Principal, addr: &str) -> Result<Vec<Placement>> {
        let account = self.person_of_callers_domain(caller, addr).await?;
        let mine = self.org.departments_of(account.id).await?;
        if mine.is_empty() {
            return Ok(vec![]);
        }
        let all = self.org.departments(account.domain_id).await?;
        let by_id: HashMap<DepartmentId, &Department> = all.iter().map(|d| (d.id, d)).collect();
        let mut out = Vec::with_capacity(mine.len());
        for (id, title) in mine {
            let Some(department) = by_id.get(&id) else { continue };
            let manager = self.addr_of(department.manager).await?;
            out.push(Placement { department: (*department).clone(), path: path(&by_id, id), title, manager });
        }
        Ok(out)
    }

    /// An account of the caller's domain by its address; `not_found` for any other.
    async fn person_of_callers_domain(&self, caller: &Principal, addr: &str) -> Result<Account> {
        let addr = AccountAddr::parse(addr)?;
        if addr.domain != caller.account.addr.domain {
            return Err(Error::NotFound("account"));
        }
        self.accounts.account_by_name(caller.account.domain_id, &addr.name).await?.ok_or(Error::NotFound("account"))
    }

    /// A person's own manager (the directory's `manager`, or what an administrator set), for
    /// the person's card beside their departments' managers.
    pub async fn manager_of(&self, caller: &Principal, addr: &str) -> Result<Option<AccountAddr>> {
        let account = self.person_of_callers_domain(caller, addr).await?;
        let manager = self.org.manager_of(account.id).await?;
        self.addr_of(manager).await
    }

    /// Sets (or with `None` clears) a person's own manager; both of the domain.
    pub async fn set_manager(&self, actor: Actor<'_>, addr: &str, manager: Option<&str>) -> Result<()> {
        let parsed = AccountAddr::parse(addr)?;
        let domain = self.administered(actor, parsed.domain.as_str()).await?;
        let account = self.account_in(domain, addr, "account").await?;
        let manager = match manager {
            Some(m) => {
                let m = self.account_in(domain, m, "manager").await?;
                if m == account {
                    return Err(Error::invalid("manager", "a person is not their own manager"));
                }
                Some(m)
            }
            None => None,
        };
        let before = self.org.manager_of(account).await?;
        self.org.set_manager(domain, account, manager).await?;
        self.changed(domain).await;
        let (before, after) = (self.addr_of(before).await?, self.addr_of(manager).await?);
        let change = Change::new("person.manager", Some(domain), parsed.to_string())
            .before(json!({ "manager": before.map(|a| a.to_string()) }))
            .after(json!({ "manager": after.map(|a| a.to_string()) }));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Departments of the caller's domain whose name matches `query`, best first.
    pub async fn find(&self, caller: &Principal, query: &str, limit: Option<usize>) -> Result<Vec<FoundDepartment>> {
        let (matcher, _, limit) = self.directory.begin(caller, query, limit).await?;
        let all = self.org.departments(caller.account.domain_id).await?;
        let names: Vec<NameFields<'_>> =
            all.iter().map(|d| NameFields { display_name: &d.name, ..NameFields::default() }).collect();
        let ranked = matcher.rank(query, &names, limit);
        let by_id: HashMap<DepartmentId, &Department> = all.iter().map(|d| (d.id, d)).collect();
        Ok(ranked
            .into_iter()
            .map(|(i, matched)| FoundDepartment { department: all[i].clone(), path: path(&by_id, all[i].id), matched })
            .collect())
    }

    /// Creates a department in `domain` (a name), under `parent` if given.
    pub async fn create(
        &self,
        actor: Actor<'_>,
        domain: &str,
        name: &str,
        parent: Option<DepartmentId>,
        position: i64,
        manager: Option<&str>,
    ) -> Result<Department> {
        let domain = self.administered(actor, domain).await?;
        let name = department_name(name)?;
        let manager = match manager {
            Some(m) => Some(self.account_in(domain, m, "manager").await?),
            None => None,
        };
        let new = NewDepartment {
            domain_id: domain,
            parent,
            name,
            position,
            manager,
            created_at_ms: self.deps.clock.now_ms(),
        };
        let created = self.org.create_department(new, DEPARTMENTS_PER_DOMAIN_MAX, DEPTH_MAX).await??;
        self.changed(domain).await;
        let change = Change::new("department.create", Some(domain), department_target(&created))
            .after(self.snapshot(&created).await?);
        self.deps.audit(actor, change).await;
        Ok(created)
    }

    /// Changes a department (rename, move, reorder, manager).
    pub async fn update(
        &self,
        actor: Actor<'_>,
        id: DepartmentId,
        patch: DepartmentPatchRequest,
    ) -> Result<Department> {
        let department = self.administered_department(actor, id).await?;
        let manager = match patch.manager {
            None => None,
            Some(None) => Some(None),
            Some(Some(m)) => Some(Some(self.account_in(department.domain_id, &m, "manager").await?)),
        };
        let patch_chat = patch.chat;
        let patch = DepartmentPatch {
            name: patch.name.as_deref().map(department_name).transpose()?,
            parent: patch.parent,
            position: patch.position,
            manager,
        };
        let mut updated = department.clone();
        if patch != DepartmentPatch::default() {
            updated = self.org.update_department(id, patch, DEPTH_MAX).await??;
        }
        if let Some(on) = patch_chat {
            updated = self.set_chat(&updated, on).await?;
        }
        if updated != department {
            self.changed(updated.domain_id).await;
            let change = Change::new("department.update", Some(updated.domain_id), department_target(&updated))
                .before(self.snapshot(&department).await?)
                .after(self.snapshot(&updated).await?);
            self.deps.audit(actor, change).await;
        }
        Ok(updated)
    }

    /// Gives a department its chat (made now, with the people of the department and of those
    /// below it) or, with `on` false, dissolves it.
    async fn set_chat(&self, department: &Department, on: bool) -> Result<Department> {
        let domain = self.chats.domain(department.domain_id).await?;
        match (on, department.chat) {
            (true, None) => {
                let all = self.org.departments(department.domain_id).await?;
                let people = self.chats.department_people(&all, department.id).await?;
                if people.len() >= self.deps.settings.group_members_max {
                    return Err(Error::LimitExceeded("the department has more people than a group holds"));
                }
                let chat = self.chats.create(&domain, &department.name, &people).await?;
                self.org.set_department_chat(department.id, Some(chat)).await?;
            }
            (false, Some(chat)) => {
                self.org.set_department_chat(department.id, None).await?;
                self.chats.dissolve(&domain, chat).await?;
            }
            _ => {}
        }
        self.org.department(department.id).await?.ok_or(Error::NotFound("department"))
    }

    /// Deletes a department with nothing under it; its people leave it, and its chat is
    /// dissolved.
    pub async fn delete(&self, actor: Actor<'_>, id: DepartmentId) -> Result<()> {
        let department = self.administered_department(actor, id).await?;
        self.org.delete_department(id).await??;
        if let Some(chat) = department.chat {
            let domain = self.chats.domain(department.domain_id).await?;
            self.chats.dissolve(&domain, chat).await?;
        }
        self.changed(department.domain_id).await;
        let change = Change::new("department.delete", Some(department.domain_id), department_target(&department))
            .before(self.snapshot(&department).await?);
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Puts a person of the department's domain in it with `title` (or changes the title of
    /// one who is in it).
    pub async fn set_member(&self, actor: Actor<'_>, id: DepartmentId, addr: &str, title: Option<&str>) -> Result<()> {
        let department = self.administered_department(actor, id).await?;
        let account = self.account_in(department.domain_id, addr, "account").await?;
        let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(names::free_text("title", t, TITLE_CHARS_MAX)?),
            None => None,
        };
        self.org.set_department_member(id, account, title.clone(), DEPARTMENTS_PER_ACCOUNT_MAX).await??;
        self.changed(department.domain_id).await;
        let change = Change::new("department.member_set", Some(department.domain_id), department_target(&department))
            .after(json!({ "member": addr, "title": title }));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Takes a person out of a department; `not_found` if they were not in it.
    pub async fn remove_member(&self, actor: Actor<'_>, id: DepartmentId, addr: &str) -> Result<()> {
        let department = self.administered_department(actor, id).await?;
        let account = self.account_in(department.domain_id, addr, "account").await?;
        if !self.org.remove_department_member(id, account).await? {
            return Err(Error::NotFound("member"));
        }
        self.changed(department.domain_id).await;
        let change =
            Change::new("department.member_remove", Some(department.domain_id), department_target(&department))
                .before(json!({ "member": addr }));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// After an account was disabled or enabled: the department chats of its departments follow
    /// (a disabled person leaves them, an enabled one comes back), and the domain's open
    /// clients hear that the organisation changed. Nothing for someone in no department.
    pub async fn account_changed(&self, account: &Account) -> Result<()> {
        if !self.org.departments_of(account.id).await?.is_empty() {
            self.changed(account.domain_id).await;
        }
        Ok(())
    }

    /// Tells the domain's members' connections, on every node, that its organisation changed,
    /// and brings the domain's department chats in step with it. The change is committed
    /// already: a chat that cannot be brought in step is logged, and the next change retries.
    async fn changed(&self, domain: DomainId) {
        self.deps.bus.publish(crate::ports::Wake::Directory(domain));
        if let Err(e) = self.chats.follow_departments(domain).await {
            tracing::warn!(error = %e, "cannot bring department chats in step");
        }
    }

    /// A department's people, for its domain's administrators: as [`Org::members`].
    pub async fn admin_members(
        &self,
        actor: Actor<'_>,
        id: DepartmentId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DepartmentMember>> {
        self.administered_department(actor, id).await?;
        let after = after.map(LoginName::parse).transpose()?;
        Ok(self.org.department_members(id, after.as_ref(), limit.clamp(1, MEMBERS_PAGE_LEN_MAX)).await?)
    }

    /// The departments of a domain, for its administrators: as [`Org::tree`].
    pub async fn admin_tree(&self, actor: Actor<'_>, domain: &str) -> Result<Vec<TreeNode>> {
        let domain = self.administered(actor, domain).await?;
        let departments = self.org.departments(domain).await?;
        self.nodes(departments).await
    }

    /// A department as the tree shows it (its manager's address, its total of people).
    pub async fn node_of(&self, department: &Department) -> Result<TreeNode> {
        let all = self.org.departments(department.domain_id).await?;
        let nodes = self.nodes(all).await?;
        nodes.into_iter().find(|n| n.department.id == department.id).ok_or(Error::NotFound("department"))
    }

    async fn nodes(&self, departments: Vec<Department>) -> Result<Vec<TreeNode>> {
        let mut totals: HashMap<DepartmentId, u64> = HashMap::new();
        let by_id: HashMap<DepartmentId, &Department> = departments.iter().map(|d| (d.id, d)).collect();
        for d in &departments {
            // Each department's own people count in it and in every department above it.
            let mut at = Some(d.id);
            let mut steps = 0;
            while let Some(id) = at
                && steps <= DEPTH_MAX
            {
                *totals.entry(id).or_default() += d.member_count;
                at = by_id.get(&id).and_then(|d| d.parent);
                steps += 1;
            }
        }
        let mut managers: HashMap<AccountId, Option<AccountAddr>> = HashMap::new();
        let mut out = Vec::with_capacity(departments.len());
        for d in &departments {
            let manager = match d.manager {
                None => None,
                Some(m) => match managers.get(&m) {
                    Some(addr) => addr.clone(),
                    None => {
                        let addr = self.addr_of(Some(m)).await?;
                        managers.insert(m, addr.clone());
                        addr
                    }
                },
            };
            out.push(TreeNode { department: d.clone(), manager, total_count: totals.get(&d.id).copied().unwrap_or(0) });
        }
        Ok(out)
    }

    /// A department's fields as the audit log keeps them.
    async fn snapshot(&self, d: &Department) -> Result<serde_json::Value> {
        Ok(json!({
            "name": d.name,
            "parent": d.parent.map(|p| p.0),
            "position": d.position,
            "manager": self.addr_of(d.manager).await?.map(|a| a.to_string()),
            "chat": d.chat.map(|c| c.0),
        }))
    }

    async fn addr_of(&self, account: Option<AccountId>) -> Result<Option<AccountAddr>> {
        Ok(match account {
            Some(id) => self.accounts.account_by_id(id).await?.map(|a| a.addr),
            None => None,
        })
    }

    /// The domain named `domain`, if the actor administers it (else `not_found`, as for a
    /// domain that does not exist).
    async fn administered(&self, actor: Actor<'_>, domain: &str) -> Result<DomainId> {
        let name = crate::names::DomainName::parse(domain)?;
        let domain = self.accounts.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(domain.id) {
            return Err(Error::NotFound("domain"));
        }
        Ok(domain.id)
    }

    async fn administered_department(&self, actor: Actor<'_>, id: DepartmentId) -> Result<Department> {
        let department = self.org.department(id).await?.ok_or(Error::NotFound("department"))?;
        if !actor.may_administer(department.domain_id) {
            return Err(Error::NotFound("department"));
        }
        Ok(department)
    }

    /// An account of `domain` by its address; `not_found` naming `what` otherwise.
    async fn account_in(&self, domain: DomainId, addr: &str, what: &'static str) -> Result<AccountId> {
        let addr = AccountAddr::parse(addr)?;
        let domain_row = self.accounts.domain_by_name(&addr.domain).await?;
        match domain_row {
            Some(d) if d.id == domain => {}
            _ => return Err(Error::NotFound(what)),
        }
        Ok(self.accounts.account_by_name(domain, &addr.name).await?.ok_or(Error::NotFound(what))?.id)
    }
}

/// How the audit log names a department.
fn department_target(d: &Department) -> String {
    format!("department {} ({})", d.id.0, d.name)
}

/// A department change as an administrator asks it, before the manager's address is looked up.
#[derive(Debug, Clone, Default)]
pub struct DepartmentPatchRequest {
    pub name: Option<String>,
    pub parent: Option<Option<DepartmentId>>,
    pub position: Option<i64>,
    /// `Some(None)` clears the manager; `Some(Some(addr))` sets it.
    pub manager: Option<Option<String>>,
    /// Gives the department its chat, or dissolves it.
    pub chat: Option<bool>,
}

/// A department's name: 1 to [`DEPARTMENT_NAME_CHARS_MAX`] characters, trimmed, no control
/// characters, no `/` (paths of names are written with it).
fn department_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if name.chars().count() > DEPARTMENT_NAME_CHARS_MAX {
        return Err(Error::TooLarge { field: "name", max: DEPARTMENT_NAME_CHARS_MAX, unit: Unit::Characters });
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(Error::invalid("name", "must not contain control characters or /"));
    }
    Ok(name.to_owned())
}

/// The `(id, name)`s from the top of the tree down to `id`.
pub(crate) fn path_of(by_id: &HashMap<DepartmentId, &Department>, id: DepartmentId) -> Vec<(DepartmentId, String)> {
    path(by_id, id)
}

fn path(by_id: &HashMap<DepartmentId, &Department>, id: DepartmentId) -> Vec<(DepartmentId, String)> {
    let mut path = vec![];
    let mut at = Some(id);
    while let Some(id) = at
        && path.len() <= DEPTH_MAX
    {
        let Some(d) = by_id.get(&id) else { break };
        path.push((d.id, d.name.clone()));
        at = d.parent;
    }
    path.reverse();
    path
}
