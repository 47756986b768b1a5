//! LDAP and Active Directory as a domain's directory source (docs/protocol.md §11.4): the
//! source's settings, the sync that makes the domain's accounts and departments follow the
//! directory, and login by binding as the person.
//!
//! **What the sync owns.** An account that a sync created, or took over, is *linked* to its
//! directory entry by the entry's stable key (`entryUUID` in OpenLDAP, `objectGUID` in Active
//! Directory; its DN where the server has neither), so that a rename or a move in the directory
//! is the same account in Magpie. A linked account's display name, email and phone and its
//! departments (with titles) are the directory's: the sync sets them and takes the account out
//! of departments the directory no longer puts it in. Accounts that are not linked, and
//! departments nobody is put in by the directory, are never touched.
//!
//! **Groups and managers.** With a [`GroupMap`], each directory group is followed by one Magpie
//! group, linked by the group entry's stable key and owned by the domain's organisation
//! account ([`crate::orgchat`]): its name is the group's, and its members from the directory
//! are exactly the linked, enabled accounts the group lists (by DN, or by login for
//! `memberUid`). Members that are not directory accounts (added by hand) are left alone. A
//! group gone from the directory is dissolved (its history stays with its members). A
//! linked account's own manager is the entry its `manager` attribute names.
//!
//! **Full and incremental.** A sync on demand reads everything. A scheduled sync reads only
//! the entries changed since the last one (`modifyTimestamp` at or after the newest the
//! directory showed before), except every [`SCHEDULED_RUNS_PER_FULL_SYNC`]th run, after the
//! source changed, and while the directory shows no timestamps: deletions (of people and of
//! groups) are only seen by a full read. Each real sync's report (or its error) is kept as
//! the domain's last sync ([`SyncState`]).
//!
//! **Invariants.** A sync computes a [`Plan`] from what the directory says and what the store
//! holds, and a dry run stops there; the real run applies the plan through the same paths as
//! any other change (a disabled account's sessions are revoked and its sockets closed at once).
//! Applying a plan and syncing again finds nothing to do: the plan compares the values the
//! store would hold after validation, not the raw attributes. Nothing here talks to the
//! network: the [`DirectoryConnector`] port does, in an adapter.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::accounts::{Accounts, ProfileUpdate, validate_patch};
use crate::audit;
use crate::model::{Account, AccountId, Actor, ConversationId, Domain, DomainId, ProfilePatch};
use crate::names::{DomainName, LoginName};
use crate::org::{DEPARTMENTS_PER_ACCOUNT_MAX, DEPARTMENTS_PER_DOMAIN_MAX, DEPTH_MAX, DepartmentId, NewDepartment};
use crate::orgchat::OrgChats;
use crate::ports::{AccountStore, LdapStore, OrgStore, Stores};
use crate::{Deps, Error, Result};

/// Most entries one search of a sync reads; a directory larger than this is refused with
/// `limit_exceeded` rather than read in part (a partial read would disable the rest).
pub const ENTRIES_PER_SEARCH_MAX: usize = 200_000;
/// Most changes a sync's report lists one by one (the counts cover them all).
pub const REPORT_CHANGES_MAX: usize = 200;
/// Most base DNs a source searches.
pub const BASE_DNS_MAX: usize = 16;
/// Longest setting of a source (a URL, a DN, a filter, an attribute name), in bytes.
pub const SETTING_BYTES_MAX: usize = 1024;
/// Shortest interval between scheduled syncs, in seconds (0 turns them off).
pub const SYNC_INTERVAL_SECS_MIN: u64 = 60;
/// Most groups one source maps (each is a Magpie group that the domain's organisation
/// account owns, and that account is in at most `groups_per_account_max` groups).
pub const GROUPS_PER_SOURCE_MAX: usize = 1_000;
/// Most attributes a group map reads members from.
pub const MEMBER_ATTRIBUTES_MAX: usize = 8;
/// A scheduled sync reads everything (and so sees deletions) every this many runs; the runs
/// between read only what changed.
pub const SCHEDULED_RUNS_PER_FULL_SYNC: u32 = 12;
/// The group filter when a group map names none: OpenLDAP's two group classes and Active
/// Directory's.
pub const GROUP_FILTER_DEFAULT: &str =
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))";
/// The operational attribute an incremental sync filters on.
const MODIFIED_ATTRIBUTE: &str = "modifyTimestamp";
/// How long a node that claimed a domain's scheduled sync holds it before another node may
/// take it over (a node that died mid-sync), in milliseconds.
pub const SYNC_LEASE_MS: i64 = 10 * 60 * 1000;

/// Which attribute holds what. The defaults suit OpenLDAP's `inetOrgPerson`; Active
/// Directory uses `sAMAccountName` and `displayName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttributeMap {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub manager: String,
    /// An attribute naming the person's department (a path of names with `/`); `None` puts
    /// people in the departments their organisational units make.
    pub department: Option<String>,
}

impl Default for AttributeMap {
    fn default() -> Self {
        AttributeMap {
            login: "uid".into(),
            display_name: "cn".into(),
            email: "mail".into(),
            phone: "telephoneNumber".into(),
            title: "title".into(),
            manager: "manager".into(),
            department: None,
        }
    }
}

/// Which directory groups become Magpie groups, and how their members are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupMap {
    /// Where groups are searched; empty: the source's `base_dns`.
    pub base_dns: Vec<String>,
    pub filter: String,
    /// Attributes listing members: by DN (`member`, `uniqueMember`) or by login (`memberUid`);
    /// a value with `=` in it is read as a DN.
    pub member_attributes: Vec<String>,
    /// The attribute that names the group.
    pub name: String,
}

impl Default for GroupMap {
    fn default() -> Self {
        GroupMap {
            base_dns: vec![],
            filter: GROUP_FILTER_DEFAULT.into(),
            member_attributes: vec!["member".into(), "uniqueMember".into(), "memberUid".into()],
            name: "cn".into(),
        }
    }
}

/// A domain's directory source, as its administrators set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapSource {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    pub bind_dn: String,
    /// Stored, never shown by any interface.
    pub bind_password: String,
    pub base_dns: Vec<String>,
    pub people_filter: String,
    /// Entries matched by this filter as well as the people filter are disabled in Magpie;
    /// Active Directory's disabled flag (`userAccountControl` bit 2) is honoured without it.
    pub disabled_filter: Option<String>,
    pub attributes: AttributeMap,
    /// Accounts from the directory log in by binding as their entry with their password.
    pub login_enabled: bool,
    /// Seconds between scheduled syncs; 0 syncs only on demand.
    pub sync_interval_secs: u64,
    /// Directory groups to follow with Magpie groups; `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<GroupMap>,
}

/// A Magpie group that follows a directory group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapGroupLink {
    pub domain_id: DomainId,
    /// The group entry's stable key (see [`DirEntry::key`]), else its DN in lower case.
    pub key: String,
    pub conversation: ConversationId,
    /// The group entry's DN at the last sync.
    pub dn: String,
}

/// What the store keeps of a source's syncs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncState {
    pub last_sync: Option<LastSync>,
    /// The newest `modifyTimestamp` a read of people showed (an incremental sync reads from
    /// there); `None`: the next scheduled sync is full.
    pub people_high_water: Option<String>,
    /// The same, for groups.
    pub groups_high_water: Option<String>,
    /// Scheduled incremental syncs since the last full one.
    pub runs_since_full: u32,
}

/// The last real (not dry) sync of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub at_ms: i64,
    pub incremental: bool,
    /// What it changed; `None` if it failed.
    pub report: Option<SyncReport>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A directory entry as a search returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirEntry {
    pub dn: String,
    /// Its stable key (`entryUUID`, `objectGUID` in hex), if the server has one.
    pub key: Option<String>,
    /// Values by attribute name, in lower case.
    pub attrs: HashMap<String, Vec<String>>,
}

impl DirEntry {
    fn first(&self, attr: &str) -> Option<&str> {
        self.attrs.get(&attr.to_ascii_lowercase()).and_then(|v| v.first()).map(String::as_str)
    }
}

/// Why the directory could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// Not reachable, or it did not answer in time: try again later.
    #[error("directory unavailable: {0}")]
    Unavailable(String),
    /// It answered with a refusal (wrong service credentials, a bad filter or base).
    #[error("directory refused: {0}")]
    Refused(String),
    /// More entries than the sync reads.
    #[error("too many entries")]
    TooMany,
}

/// The network side of a directory source: the one place that speaks LDAP.
#[async_trait]
pub trait DirectoryConnector: Send + Sync + 'static {
    /// Binds as the source's service account and reads every entry under `base` that
    /// matches `filter` (paged), with `attrs` (and the entry's stable key); at most
    /// `entries_max` of them, else [`DirectoryError::TooMany`].
    async fn search(
        &self,
        source: &LdapSource,
        base: &str,
        filter: &str,
        attrs: &[String],
        entries_max: usize,
    ) -> std::result::Result<Vec<DirEntry>, DirectoryError>;

    /// Binds as `dn` with `password`: `Ok(true)` if the directory accepts it, `Ok(false)` if it
    /// refuses the credentials.
    async fn bind(&self, source: &LdapSource, dn: &str, password: &str) -> std::result::Result<bool, DirectoryError>;
}

/// An account that came from the directory, and the entry it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapLink {
    pub domain_id: DomainId,
    /// The entry's stable key (see [`DirEntry::key`]), else its DN in lower case.
    pub key: String,
    pub account: AccountId,
    /// The entry's DN at the last sync: what a login binds as.
    pub dn: String,
}

/// One change a sync makes (or would make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    CreateAccount {
        account: String,
        display_name: String,
    },
    /// The fields whose values change: `display_name`, `email`, `phone`.
    UpdateAccount {
        account: String,
        fields: Vec<String>,
    },
    /// `reason`: `disabled` in the directory, or `deleted` from it.
    DisableAccount {
        account: String,
        reason: String,
    },
    EnableAccount {
        account: String,
    },
    CreateDepartment {
        path: String,
    },
    /// Into a department, or a new title there.
    JoinDepartment {
        account: String,
        path: String,
        title: Option<String>,
    },
    LeaveDepartment {
        account: String,
        path: String,
    },
    /// A person's own manager set (or, `None`, cleared).
    SetManager {
        account: String,
        manager: Option<String>,
    },
    CreateGroup {
        group: String,
    },
    /// `group` is the new name.
    RenameGroup {
        group: String,
        from: String,
    },
    /// The directory group is gone.
    DissolveGroup {
        group: String,
    },
    JoinGroup {
        account: String,
        group: String,
    },
    LeaveGroup {
        account: String,
        group: String,
    },
    /// An entry the sync leaves alone, and why.
    Skip {
        dn: String,
        reason: String,
    },
}

/// A source as the audit log keeps it: its bind password never, only whether it changed.
fn redacted(source: &LdapSource, password_changed: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(source).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        fields.remove("bind_password");
        if password_changed {
            fields.insert("bind_password_changed".to_owned(), serde_json::Value::Bool(true));
        }
    }
    value
}

/// What a sync changed (or, for a dry run, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncReport {
    pub dry_run: bool,
    /// It read only the entries changed since the last sync.
    pub incremental: bool,
    pub people_seen: u64,
    pub accounts_created: u64,
    pub accounts_updated: u64,
    pub accounts_disabled: u64,
    pub accounts_enabled: u64,
    pub departments_created: u64,
    pub memberships_set: u64,
    pub memberships_removed: u64,
    pub managers_set: u64,
    pub groups_seen: u64,
    pub groups_created: u64,
    pub groups_renamed: u64,
    pub groups_dissolved: u64,
    pub group_members_added: u64,
    pub group_members_removed: u64,
    pub skipped: u64,
    /// The first [`REPORT_CHANGES_MAX`] changes, in the order they apply.
    pub changes: Vec<Change>,
}

impl SyncReport {
    fn count(&mut self, change: &Change) {
        match change {
            Change::CreateAccount { .. } => self.accounts_created += 1,
            Change::UpdateAccount { .. } => self.accounts_updated += 1,
            Change::DisableAccount { .. } => self.accounts_disabled += 1,
            Change::EnableAccount { .. } => self.accounts_enabled += 1,
            Change::CreateDepartment { .. } => self.departments_created += 1,
            Change::JoinDepartment { .. } => self.memberships_set += 1,
            Change::LeaveDepartment { .. } => self.memberships_removed += 1,
            Change::SetManager { .. } => self.managers_set += 1,
            Change::CreateGroup { .. } => self.groups_created += 1,
            Change::RenameGroup { .. } => self.groups_renamed += 1,
            Change::DissolveGroup { .. } => self.groups_dissolved += 1,
            Change::JoinGroup { .. } => self.group_members_added += 1,
            Change::LeaveGroup { .. } => self.group_members_removed += 1,
            Change::Skip { .. } => self.skipped += 1,
        }
        if self.changes.len() < REPORT_CHANGES_MAX {
            self.changes.push(change.clone());
        }
    }

    /// Whether the sync changed nothing (entries it skipped aside).
    pub fn is_empty(&self) -> bool {
        !self.org_changed()
            && self.groups_created
                + self.groups_renamed
                + self.groups_dissolved
                + self.group_members_added
                + self.group_members_removed
                == 0
    }

    /// Whether it changed people, departments or managers (what open clients re-read).
    fn org_changed(&self) -> bool {
        self.accounts_created
            + self.accounts_updated
            + self.accounts_disabled
            + self.accounts_enabled
            + self.departments_created
            + self.memberships_set
            + self.memberships_removed
            + self.managers_set
            > 0
    }
}

/// A person as the directory describes them, after the attribute map.
#[derive(Debug, Clone)]
struct Person {
    key: String,
    dn: String,
    login: LoginName,
    /// The validated profile the account should have.
    profile: ProfilePatch,
    /// Their department as a path of names from the top; empty for none.
    department: Vec<String>,
    title: Option<String>,
    /// The DN its `manager` attribute names.
    manager: Option<String>,
    disabled: bool,
}

/// A group as the directory describes it.
#[derive(Debug, Clone)]
struct DirGroup {
    key: String,
    dn: String,
    /// Its name, or why it has none that a group may have.
    name: std::result::Result<String, String>,
    /// The values of its member attributes.
    members: Vec<String>,
}

/// Who a DN or a login names among the directory's people.
#[derive(Debug, Clone)]
struct Known {
    login: LoginName,
    account: Option<AccountId>,
    enabled: bool,
}

/// One step of a plan, in the terms the store needs to apply it.
#[derive(Debug, Clone)]
enum Step {
    CreateDepartment(Vec<String>),
    CreateAccount(Box<Person>),
    Relink { account: AccountId, person: Box<Person> },
    UpdateAccount { account: AccountId, patch: ProfilePatch },
    SetDisabled { account: AccountId, disabled: bool },
    Join { login: LoginName, path: Vec<String>, title: Option<String> },
    Leave { account: AccountId, department: DepartmentId },
    SetManager { login: LoginName, manager: Option<LoginName> },
    CreateGroup { key: String, dn: String, name: String, members: Vec<LoginName> },
    RelinkGroup(LdapGroupLink),
    RenameGroup { conversation: ConversationId, name: String },
    JoinGroup { conversation: ConversationId, members: Vec<LoginName> },
    LeaveGroup { conversation: ConversationId, members: Vec<AccountId> },
    DissolveGroup { key: String, conversation: ConversationId },
}

/// What a sync would do.
struct Plan {
    steps: Vec<Step>,
    report: SyncReport,
}

/// The directory-source service.
#[derive(Clone)]
pub struct Ldap {
    deps: Arc<Deps>,
    ldap: Arc<dyn LdapStore>,
    accounts_store: Arc<dyn AccountStore>,
    org: Arc<dyn OrgStore>,
    accounts: Accounts,
    chats: OrgChats,
    /// One sync at a time on this node (a scheduled one and one on demand would otherwise
    /// both make the groups that a directory group needs).
    syncing: Arc<tokio::sync::Mutex<()>>,
}

/// Which kind of sync to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// On demand: read everything.
    Full,
    /// On schedule: incremental when it may be.
    Scheduled,
    /// On demand, incremental when it may be.
    Incremental,
}

impl Ldap {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts, chats: OrgChats) -> Ldap {
        Ldap {
            deps,
            ldap: stores.ldap.clone(),
            accounts_store: stores.accounts.clone(),
            org: stores.org.clone(),
            accounts,
            chats,
            syncing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn connector(&self) -> Result<&Arc<dyn DirectoryConnector>> {
        self.deps.directory.get().ok_or(Error::Unavailable("directory"))
    }

    /// The domain named `domain` if the actor administers it (else `not_found`).
    async fn administered(&self, actor: Actor<'_>, domain: &str) -> Result<Domain> {
        let name = DomainName::parse(domain)?;
        let domain = self.accounts_store.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(domain.id) {
            return Err(Error::NotFound("domain"));
        }
        Ok(domain)
    }

    /// The domain's source, for its administrators (the caller hides the password).
    pub async fn source(&self, actor: Actor<'_>, domain: &str) -> Result<LdapSource> {
        let domain = self.administered(actor, domain).await?;
        self.ldap.ldap_source(domain.id).await?.ok_or(Error::NotFound("ldap source"))
    }

    /// Sets the domain's source. A `bind_password` of `None` keeps the stored one.
    pub async fn set_source(
        &self,
        actor: Actor<'_>,
        domain: &str,
        mut source: LdapSource,
        bind_password: Option<String>,
    ) -> Result<LdapSource> {
        let domain = self.administered(actor, domain).await?;
        let before = self.ldap.ldap_source(domain.id).await?;
        let password_changed = bind_password.is_some();
        source.bind_password = match bind_password {
            Some(p) => p,
            None => before.as_ref().map(|s| s.bind_password.clone()).unwrap_or_default(),
        };
        check_source(&source)?;
        let next = (source.sync_interval_secs > 0).then(|| self.deps.clock.now_ms());
        self.ldap.put_ldap_source(domain.id, &source, next).await?;
        // New settings may select other entries: the next scheduled sync reads everything.
        let mut state = self.ldap.ldap_sync_state(domain.id).await?.unwrap_or_default();
        if state.people_high_water.is_some() || state.groups_high_water.is_some() {
            state.people_high_water = None;
            state.groups_high_water = None;
            self.ldap.put_ldap_sync_state(domain.id, &state).await?;
        }
        let mut change = audit::Change::new("ldap.source_set", Some(domain.id), domain.name.as_str());
        change.before = before.as_ref().map(|b| redacted(b, false));
        self.deps.audit(actor, change.after(redacted(&source, password_changed))).await;
        Ok(source)
    }

    /// Forgets the domain's source; accounts that came from it stay, and log in no more
    /// against the directory.
    pub async fn delete_source(&self, actor: Actor<'_>, domain: &str) -> Result<()> {
        let domain = self.administered(actor, domain).await?;
        let before = self.ldap.ldap_source(domain.id).await?;
        if !self.ldap.delete_ldap_source(domain.id).await? {
            return Err(Error::NotFound("ldap source"));
        }
        let mut change = audit::Change::new("ldap.source_delete", Some(domain.id), domain.name.as_str());
        change.before = before.as_ref().map(|b| redacted(b, false));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Connects, binds as the service account and counts the people the filter finds.
    pub async fn test(&self, actor: Actor<'_>, domain: &str) -> Result<u64> {
        let source = self.source(actor, domain).await?;
        let mut people = 0u64;
        for base in &source.base_dns {
            let found = self
                .connector()?
                .search(&source, base, &source.people_filter, &["1.1".to_owned()], ENTRIES_PER_SEARCH_MAX)
                .await
                .map_err(directory_error)?;
            people += found.len() as u64;
        }
        Ok(people)
    }

    /// Syncs the domain with its directory now (or, with `dry_run`, says what a sync would do):
    /// a full sync, or with `incremental` one that reads only what changed since the last sync
    /// (full all the same if there is no last sync to start from).
    pub async fn sync(&self, actor: Actor<'_>, domain: &str, dry_run: bool, incremental: bool) -> Result<SyncReport> {
        let domain = self.administered(actor, domain).await?;
        let source = self.ldap.ldap_source(domain.id).await?.ok_or(Error::NotFound("ldap source"))?;
        let mode = if incremental { Mode::Incremental } else { Mode::Full };
        let report = self.sync_domain(&domain, &source, dry_run, mode).await?;
        if !dry_run {
            let mut counts = serde_json::to_value(&report).unwrap_or_default();
            if let Some(fields) = counts.as_object_mut() {
                fields.remove("changes");
            }
            self.deps
                .audit(actor, audit::Change::new("ldap.sync", Some(domain.id), domain.name.as_str()).after(counts))
                .await;
        }
        Ok(report)
    }

    /// The domain's last real sync, for its administrators.
    pub async fn last_sync(&self, actor: Actor<'_>, domain: &str) -> Result<Option<LastSync>> {
        let domain = self.administered(actor, domain).await?;
        Ok(self.ldap.ldap_sync_state(domain.id).await?.and_then(|s| s.last_sync))
    }

    async fn sync_domain(&self, domain: &Domain, source: &LdapSource, dry_run: bool, mode: Mode) -> Result<SyncReport> {
        let _turn = self.syncing.lock().await;
        let mut state = self.ldap.ldap_sync_state(domain.id).await?.unwrap_or_default();
        let may = match mode {
            Mode::Full => false,
            Mode::Scheduled => state.runs_since_full + 1 < SCHEDULED_RUNS_PER_FULL_SYNC,
            Mode::Incremental => true,
        };
        let incremental =
            may && state.people_high_water.is_some() && (source.groups.is_none() || state.groups_high_water.is_some());
        let since = |hw: &Option<String>| if incremental { hw.clone() } else { None };
        let outcome = self
            .sync_once(domain, source, dry_run, since(&state.people_high_water), since(&state.groups_high_water))
            .await;
        if dry_run {
            return outcome.map(|(report, _, _)| report);
        }
        let at_ms = self.deps.clock.now_ms();
        let result = match outcome {
            Ok((report, people_hw, groups_hw)) => {
                state.people_high_water =
                    newest(if incremental { state.people_high_water.take() } else { None }, people_hw);
                state.groups_high_water =
                    newest(if incremental { state.groups_high_water.take() } else { None }, groups_hw);
                state.runs_since_full = if incremental { state.runs_since_full + 1 } else { 0 };
                state.last_sync = Some(LastSync { at_ms, incremental, report: Some(report.clone()), error: None });
                Ok(report)
            }
            Err(e) => {
                state.last_sync = Some(LastSync { at_ms, incremental, report: None, error: Some(failure_text(&e)) });
                Err(e)
            }
        };
        self.ldap.put_ldap_sync_state(domain.id, &state).await?;
        result
    }

    /// One read, plan and (unless `dry_run`) apply: the report and the newest timestamps of
    /// the people and the groups read.
    async fn sync_once(
        &self,
        domain: &Domain,
        source: &LdapSource,
        dry_run: bool,
        people_since: Option<String>,
        groups_since: Option<String>,
    ) -> Result<(SyncReport, Option<String>, Option<String>)> {
        let incremental = people_since.is_some();
        let (people, skipped, people_hw) = self.read_people(source, people_since.as_deref()).await?;
        let (groups, groups_hw) = match &source.groups {
            Some(map) => {
                let (groups, hw) = self.read_groups(source, map, groups_since.as_deref()).await?;
                (Some(groups), hw)
            }
            None => (None, None),
        };
        let plan = self.plan(domain, people, skipped, groups, incremental).await?;
        let mut report = plan.report;
        report.dry_run = dry_run;
        report.incremental = incremental;
        if !dry_run {
            self.apply(domain, plan.steps).await?;
            if report.org_changed() {
                // One nudge for the whole sync: open clients read the organisation again.
                self.deps.bus.publish(crate::ports::Wake::Directory(domain.id));
                self.chats.follow_departments(domain.id).await?;
            }
            tracing::info!(
                domain = %domain.name,
                incremental,
                created = report.accounts_created,
                updated = report.accounts_updated,
                disabled = report.accounts_disabled,
                enabled = report.accounts_enabled,
                departments = report.departments_created,
                groups_created = report.groups_created,
                group_members_added = report.group_members_added,
                group_members_removed = report.group_members_removed,
                "directory sync"
            );
        }
        Ok((report, people_hw, groups_hw))
    }

    /// Runs the scheduled syncs that are due, each claimed by one node (see
    /// [`LdapStore::claim_ldap_syncs`]); returns how many ran.
    pub async fn run_due_syncs(&self) -> Result<usize> {
        let now = self.deps.clock.now_ms();
        let due = self.ldap.claim_ldap_syncs(now, SYNC_LEASE_MS, 16).await?;
        let mut ran = 0;
        for domain_id in due {
            let Some(source) = self.ldap.ldap_source(domain_id).await? else { continue };
            let Some(domain) = self.accounts_store.domains().await?.into_iter().find(|d| d.id == domain_id) else {
                continue;
            };
            if let Err(e) = self.sync_domain(&domain, &source, false, Mode::Scheduled).await {
                tracing::warn!(domain = %domain.name, error = %e, "scheduled directory sync failed");
            }
            ran += 1;
            let interval_ms = crate::settings::millis(source.sync_interval_secs.max(SYNC_INTERVAL_SECS_MIN));
            self.ldap.set_ldap_next_sync(domain_id, Some(self.deps.clock.now_ms() + interval_ms)).await?;
        }
        Ok(ran)
    }

    /// Starts the task that runs scheduled syncs on this node, checking every `every`.
    pub fn spawn_scheduler(&self, every: std::time::Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = this.run_due_syncs().await {
                    tracing::warn!(error = %e, "directory sync schedule");
                }
            }
        });
    }

    /// The source and DN to bind as for a login of `account`, if it came from a directory
    /// whose domain logs in against it (else the password hash decides).
    pub(crate) async fn login_target(&self, account: &Account) -> Result<Option<(LdapSource, String)>> {
        let Some(link) = self.ldap.ldap_link_of(account.id).await? else { return Ok(None) };
        Ok(match self.ldap.ldap_source(link.domain_id).await? {
            Some(source) if source.login_enabled => Some((source, link.dn)),
            _ => None,
        })
    }

    /// Binds as `dn` with `password`: whether the directory accepts it, or `unavailable` if
    /// it cannot be asked (which is no failed attempt).
    pub(crate) async fn bind(&self, source: &LdapSource, dn: &str, password: &str) -> Result<bool> {
        // An empty password would be an anonymous bind, which many servers accept.
        if password.is_empty() {
            return Ok(false);
        }
        match self.connector()?.bind(source, dn, password).await {
            Ok(ok) => Ok(ok),
            Err(DirectoryError::Refused(_)) => Ok(false),
            Err(e) => {
                tracing::warn!(error = %e, "directory login");
                Err(Error::Unavailable("directory"))
            }
        }
    }

    /// The people under the source's bases (changed at or after `since`, if given), the
    /// entries skipped with why, and the newest `modifyTimestamp` among them.
    async fn read_people(
        &self,
        source: &LdapSource,
        since: Option<&str>,
    ) -> Result<(Vec<Person>, Vec<(String, String)>, Option<String>)> {
        let connector = self.connector()?;
        let a = &source.attributes;
        let mut attrs: Vec<String> = vec![
            a.login.clone(),
            a.display_name.clone(),
            a.email.clone(),
            a.phone.clone(),
            a.title.clone(),
            a.manager.clone(),
            "userAccountControl".into(),
            MODIFIED_ATTRIBUTE.into(),
        ];
        attrs.extend(a.department.clone());
        let filter = changed_since(&source.people_filter, since);
        let mut disabled: HashSet<String> = HashSet::new();
        let mut entries = vec![];
        for base in &source.base_dns {
            let found = connector
                .search(source, base, &filter, &attrs, ENTRIES_PER_SEARCH_MAX)
                .await
                .map_err(directory_error)?;
            entries.extend(found.into_iter().map(|e| (base.clone(), e)));
            if let Some(disabled_filter) = &source.disabled_filter {
                let both = format!("(&{}{})", wrap(&filter), wrap(disabled_filter));
                let found = connector
                    .search(source, base, &both, &["1.1".to_owned()], ENTRIES_PER_SEARCH_MAX)
                    .await
                    .map_err(directory_error)?;
                disabled.extend(found.into_iter().map(|e| normalise_dn(&e.dn)));
            }
        }
        let high_water = entries.iter().filter_map(|(_, e)| e.first(MODIFIED_ATTRIBUTE)).max().map(str::to_owned);
        let mut people = Vec::with_capacity(entries.len());
        let mut skipped = vec![];
        for (base, entry) in entries {
            match person(source, &base, &entry, &disabled) {
                Ok(p) => people.push(p),
                Err(reason) => skipped.push((entry.dn, reason)),
            }
        }
        Ok((people, skipped, high_water))
    }

    /// The groups the map selects (changed at or after `since`, if given), and the newest
    /// `modifyTimestamp` among them.
    async fn read_groups(
        &self,
        source: &LdapSource,
        map: &GroupMap,
        since: Option<&str>,
    ) -> Result<(Vec<DirGroup>, Option<String>)> {
        let connector = self.connector()?;
        let mut attrs = vec![map.name.clone(), MODIFIED_ATTRIBUTE.to_owned()];
        attrs.extend(map.member_attributes.iter().cloned());
        let filter = changed_since(&map.filter, since);
        let bases = if map.base_dns.is_empty() { &source.base_dns } else { &map.base_dns };
        let mut entries = vec![];
        for base in bases {
            let left = GROUPS_PER_SOURCE_MAX.saturating_sub(entries.len());
            let found = connector.search(source, base, &filter, &attrs, left).await.map_err(directory_error)?;
            entries.extend(found);
        }
        let high_water = entries.iter().filter_map(|e| e.first(MODIFIED_ATTRIBUTE)).max().map(str::to_owned);
        let groups = entries
            .into_iter()
            .map(|entry| {
                let name = match entry.first(&map.name).map(str::trim).filter(|n| !n.is_empty()) {
                    Some(n) => crate::names::free_text("name", n, crate::conversations::GROUP_NAME_CHARS_MAX)
                        .map_err(|e| e.to_string()),
                    None => Err(format!("no {}", map.name)),
                };
                let members = map
                    .member_attributes
                    .iter()
                    .flat_map(|a| entry.attrs.get(&a.to_ascii_lowercase()).cloned().unwrap_or_default())
                    .collect();
                DirGroup {
                    key: entry.key.clone().unwrap_or_else(|| normalise_dn(&entry.dn)),
                    dn: entry.dn,
                    name,
                    members,
                }
            })
            .collect();
        Ok((groups, high_water))
    }

    async fn plan(
        &self,
        domain: &Domain,
        people: Vec<Person>,
        skipped: Vec<(String, String)>,
        groups: Option<Vec<DirGroup>>,
        incremental: bool,
    ) -> Result<Plan> {
        let mut report = SyncReport::default();
        let mut steps = vec![];
        let step = |report: &mut SyncReport, steps: &mut Vec<Step>, change: Change, s: Option<Step>| {
            report.count(&change);
            steps.extend(s);
        };

        let links = self.ldap.ldap_links(domain.id).await?;
        let by_key: HashMap<&str, &LdapLink> = links.iter().map(|l| (l.key.as_str(), l)).collect();
        let departments = self.org.departments(domain.id).await?;
        let by_id: HashMap<DepartmentId, &crate::org::Department> = departments.iter().map(|d| (d.id, d)).collect();
        let mut paths: HashMap<Vec<String>, DepartmentId> = HashMap::new();
        for d in &departments {
            let path: Vec<String> = crate::org::path_of(&by_id, d.id).into_iter().map(|(_, n)| n).collect();
            paths.insert(path, d.id);
        }
        let path_text = |p: &[String]| p.join("/");
        let mut planned_departments: BTreeSet<Vec<String>> = BTreeSet::new();
        let mut seen_keys: HashSet<String> = HashSet::new();
        let mut seen_logins: HashSet<LoginName> = HashSet::new();
        let addr = |login: &LoginName| format!("{}@{}", login.as_str(), domain.name.as_str());
        // The people this read found, by DN and by login, for managers and groups.
        let mut known_dns: HashMap<String, Known> = HashMap::new();
        let mut known_logins: HashMap<String, Known> = HashMap::new();
        let mut know = |dn: &str, known: Known| {
            known_logins.insert(known.login.as_str().to_owned(), known.clone());
            known_dns.insert(normalise_dn(dn), known);
        };
        // (the person's login, their account if they have one, the DN their manager has).
        let mut manager_wants: Vec<(LoginName, Option<AccountId>, Option<String>)> = vec![];

        for (dn, reason) in skipped {
            step(&mut report, &mut steps, Change::Skip { dn, reason }, None);
        }
        for person in people {
            if !seen_keys.insert(person.key.clone()) {
                continue;
            }
            report.people_seen += 1;
            let linked = by_key.get(person.key.as_str()).copied();
            let existing = match linked {
                Some(link) => self.accounts_store.account_by_id(link.account).await?,
                None => None,
            };
            let login = match &existing {
                Some(a) => a.addr.name.clone(),
                None => person.login.clone(),
            };
            if !seen_logins.insert(login.clone()) {
                let reason = format!("login {} is another entry's", login.as_str());
                step(&mut report, &mut steps, Change::Skip { dn: person.dn.clone(), reason }, None);
                continue;
            }
            let account_addr = addr(&login);
            match &existing {
                None => {
                    if person.disabled {
                        continue;
                    }
                    if self.accounts_store.account_by_name(domain.id, &person.login).await?.is_some() {
                        let reason = format!("account {account_addr} exists and did not come from the directory");
                        step(&mut report, &mut steps, Change::Skip { dn: person.dn.clone(), reason }, None);
                        continue;
                    }
                    know(&person.dn, Known { login: login.clone(), account: None, enabled: true });
                    manager_wants.push((login.clone(), None, person.manager.clone()));
                    let display_name = person.profile.display_name.clone().unwrap_or_default();
                    step(
                        &mut report,
                        &mut steps,
                        Change::CreateAccount { account: account_addr.clone(), display_name },
                        Some(Step::CreateAccount(Box::new(person.clone()))),
                    );
                }
                Some(account) => {
                    let enabled = !person.disabled;
                    know(&person.dn, Known { login: login.clone(), account: Some(account.id), enabled });
                    if enabled {
                        manager_wants.push((login.clone(), Some(account.id), person.manager.clone()));
                    }
                    if linked.is_some_and(|l| l.dn != person.dn) {
                        steps.push(Step::Relink { account: account.id, person: Box::new(person.clone()) });
                    }
                    let patch = profile_diff(account, &person.profile);
                    if patch != ProfilePatch::default() {
                        let mut fields = vec![];
                        if patch.display_name.is_some() {
                            fields.push("display_name".to_owned());
                        }
                        if patch.email.is_some() {
                            fields.push("email".to_owned());
                        }
                        if patch.phone.is_some() {
                            fields.push("phone".to_owned());
                        }
                        step(
                            &mut report,
                            &mut steps,
                            Change::UpdateAccount { account: account_addr.clone(), fields },
                            Some(Step::UpdateAccount { account: account.id, patch }),
                        );
                    }
                    if account.disabled != person.disabled {
                        let change = if person.disabled {
                            Change::DisableAccount { account: account_addr.clone(), reason: "disabled".to_owned() }
                        } else {
                            Change::EnableAccount { account: account_addr.clone() }
                        };
                        let s = Step::SetDisabled { account: account.id, disabled: person.disabled };
                        step(&mut report, &mut steps, change, Some(s));
                    }
                    if person.disabled {
                        continue;
                    }
                }
            }
            if existing.is_none() && person.disabled {
                continue;
            }
            // Departments: the one the directory names (and those above it), and nothing else.
            for depth in 1..=person.department.len() {
                let prefix = person.department[..depth].to_vec();
                if !paths.contains_key(&prefix) && planned_departments.insert(prefix.clone()) {
                    let change = Change::CreateDepartment { path: path_text(&prefix) };
                    step(&mut report, &mut steps, change, Some(Step::CreateDepartment(prefix)));
                }
            }
            let current: Vec<(DepartmentId, Option<String>)> = match &existing {
                Some(a) => self.org.departments_of(a.id).await?,
                None => vec![],
            };
            let wanted = (!person.department.is_empty()).then(|| paths.get(&person.department).copied());
            let mut in_wanted_with_title = false;
            for (id, title) in &current {
                if wanted == Some(Some(*id)) {
                    in_wanted_with_title = *title == person.title;
                    continue;
                }
                let Some(account) = &existing else { continue };
                let path = by_id.get(id).map(|_| crate::org::path_of(&by_id, *id)).unwrap_or_default();
                let path = path.into_iter().map(|(_, n)| n).collect::<Vec<_>>();
                step(
                    &mut report,
                    &mut steps,
                    Change::LeaveDepartment { account: account_addr.clone(), path: path_text(&path) },
                    Some(Step::Leave { account: account.id, department: *id }),
                );
            }
            if !person.department.is_empty() && !in_wanted_with_title {
                step(
                    &mut report,
                    &mut steps,
                    Change::JoinDepartment {
                        account: account_addr.clone(),
                        path: path_text(&person.department),
                        title: person.title.clone(),
                    },
                    Some(Step::Join { login: login.clone(), path: person.department.clone(), title: person.title }),
                );
            }
        }
        // Linked accounts whose entries are gone (only a full read sees that).
        for link in links.iter().filter(|_| !incremental) {
            if seen_keys.contains(&link.key) {
                continue;
            }
            let Some(account) = self.accounts_store.account_by_id(link.account).await? else { continue };
            if !account.disabled {
                step(
                    &mut report,
                    &mut steps,
                    Change::DisableAccount { account: account.addr.to_string(), reason: "deleted".to_owned() },
                    Some(Step::SetDisabled { account: account.id, disabled: true }),
                );
            }
        }
        let mut resolver = Resolver {
            ldap: self,
            domain: domain.id,
            known_dns,
            known_logins,
            link_dns: links.iter().map(|l| (normalise_dn(&l.dn), l.account)).collect(),
            linked: links.iter().map(|l| l.account).collect(),
            accounts: HashMap::new(),
            incremental,
        };
        // Managers: the linked person's own manager is the entry the attribute names.
        let current: HashMap<AccountId, AccountId> = self.org.managers(domain.id).await?.into_iter().collect();
        for (login, account, manager_dn) in manager_wants {
            let want = match &manager_dn {
                Some(dn) => resolver.by_dn(dn).await?.filter(|k| k.enabled && k.login != login).map(|k| k.login),
                None => None,
            };
            let have = match account.and_then(|a| current.get(&a)) {
                Some(m) => resolver.account(*m).await?.map(|a| a.addr.name),
                None => None,
            };
            if want != have {
                let change = Change::SetManager { account: addr(&login), manager: want.as_ref().map(&addr) };
                step(&mut report, &mut steps, change, Some(Step::SetManager { login, manager: want }));
            }
        }
        if let Some(groups) = groups {
            self.plan_groups(domain, groups, incremental, &mut resolver, &mut report, &mut steps).await?;
        }
        Ok(Plan { steps, report })
    }

    /// The steps that make the Magpie groups follow the directory's `groups`.
    async fn plan_groups(
        &self,
        domain: &Domain,
        groups: Vec<DirGroup>,
        incremental: bool,
        resolver: &mut Resolver<'_>,
        report: &mut SyncReport,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let addr = |login: &LoginName| format!("{}@{}", login.as_str(), domain.name.as_str());
        let links = self.ldap.ldap_groups(domain.id).await?;
        let by_key: HashMap<&str, &LdapGroupLink> = links.iter().map(|l| (l.key.as_str(), l)).collect();
        let mut seen: HashSet<String> = HashSet::new();
        let members_max = self.deps.settings.group_members_max.saturating_sub(1);
        for group in groups {
            if !seen.insert(group.key.clone()) {
                continue;
            }
            report.groups_seen += 1;
            let name = match &group.name {
                Ok(n) => n.clone(),
                Err(reason) => {
                    report.count(&Change::Skip { dn: group.dn.clone(), reason: reason.clone() });
                    continue;
                }
            };
            // The enabled directory people it lists, by login.
            let mut wanted: BTreeMap<LoginName, Option<AccountId>> = BTreeMap::new();
            for value in &group.members {
                let found = if value.contains('=') {
                    // `uniqueMember` may end in `#` and an optional unique id.
                    let dn = value.split_once('#').map_or(value.as_str(), |(dn, _)| dn);
                    resolver.by_dn(dn).await?
                } else {
                    resolver.by_login(value).await?
                };
                if let Some(k) = found.filter(|k| k.enabled) {
                    wanted.insert(k.login, k.account);
                }
            }
            if wanted.len() > members_max {
                let reason = format!("more than {members_max} members");
                report.count(&Change::Skip { dn: group.dn.clone(), reason });
                continue;
            }
            let linked = by_key.get(group.key.as_str()).copied();
            let current = match linked {
                Some(link) => self.chats.members(link.conversation).await?.map(|m| (link, m)),
                None => None,
            };
            let Some((link, current)) = current else {
                report.count(&Change::CreateGroup { group: name.clone() });
                for login in wanted.keys() {
                    report.count(&Change::JoinGroup { account: addr(login), group: name.clone() });
                }
                let members = wanted.into_keys().collect();
                steps.push(Step::CreateGroup { key: group.key, dn: group.dn, name, members });
                continue;
            };
            if link.dn != group.dn {
                steps.push(Step::RelinkGroup(LdapGroupLink { dn: group.dn.clone(), ..link.clone() }));
            }
            let conversation = link.conversation;
            let now_named = self.chats.live_name(conversation).await?.unwrap_or_default();
            if now_named != name {
                report.count(&Change::RenameGroup { group: name.clone(), from: now_named });
                steps.push(Step::RenameGroup { conversation, name: name.clone() });
            }
            let joiners: Vec<LoginName> = wanted
                .iter()
                .filter(|(_, account)| !account.is_some_and(|a| current.contains_key(&a)))
                .map(|(login, _)| login.clone())
                .collect();
            let wanted_accounts: HashSet<AccountId> = wanted.values().flatten().copied().collect();
            // Only directory accounts leave; members added by hand stay.
            let leavers: Vec<AccountId> = current
                .keys()
                .copied()
                .filter(|a| resolver.linked.contains(a) && !wanted_accounts.contains(a))
                .collect();
            for login in &joiners {
                report.count(&Change::JoinGroup { account: addr(login), group: name.clone() });
            }
            for account in &leavers {
                if let Some(member) = current.get(account) {
                    report.count(&Change::LeaveGroup { account: member.to_string(), group: name.clone() });
                }
            }
            if !joiners.is_empty() {
                steps.push(Step::JoinGroup { conversation, members: joiners });
            }
            if !leavers.is_empty() {
                steps.push(Step::LeaveGroup { conversation, members: leavers });
            }
        }
        // Groups gone from the directory (only a full read sees that).
        for link in links.iter().filter(|l| !incremental && !seen.contains(&l.key)) {
            let Some(name) = self.chats.live_name(link.conversation).await? else {
                // Dissolved already: just forget the link.
                steps.push(Step::DissolveGroup { key: link.key.clone(), conversation: link.conversation });
                continue;
            };
            report.count(&Change::DissolveGroup { group: name });
            steps.push(Step::DissolveGroup { key: link.key.clone(), conversation: link.conversation });
        }
        Ok(())
    }

    async fn apply(&self, domain: &Domain, steps: Vec<Step>) -> Result<()> {
        let departments = self.org.departments(domain.id).await?;
        let by_id: HashMap<DepartmentId, &crate::org::Department> = departments.iter().map(|d| (d.id, d)).collect();
        let mut paths: BTreeMap<Vec<String>, DepartmentId> = departments
            .iter()
            .map(|d| (crate::org::path_of(&by_id, d.id).into_iter().map(|(_, n)| n).collect(), d.id))
            .collect();
        let now = self.deps.clock.now_ms();
        for s in steps {
            match s {
                Step::CreateDepartment(path) => {
                    let Some((name, above)) = path.split_last() else { continue };
                    let parent = if above.is_empty() { None } else { paths.get(above).copied() };
                    let new = NewDepartment {
                        domain_id: domain.id,
                        parent,
                        name: name.clone(),
                        position: 0,
                        manager: None,
                        created_at_ms: now,
                    };
                    let department = self.org.create_department(new, DEPARTMENTS_PER_DOMAIN_MAX, DEPTH_MAX).await??;
                    paths.insert(path, department.id);
                }
                Step::CreateAccount(person) => {
                    let display_name = person.profile.display_name.clone().unwrap_or_else(|| person.login.to_string());
                    let account =
                        self.accounts.insert_passwordless(domain, person.login.clone(), &display_name).await?;
                    let patch = ProfilePatch { display_name: None, ..person.profile.clone() };
                    if patch != ProfilePatch::default() {
                        self.accounts.apply_profile(account.id, &patch).await?;
                    }
                    let link = LdapLink { domain_id: domain.id, key: person.key, account: account.id, dn: person.dn };
                    self.ldap.put_ldap_link(&link).await?;
                }
                Step::Relink { account, person } => {
                    let link = LdapLink { domain_id: domain.id, key: person.key, account, dn: person.dn };
                    self.ldap.put_ldap_link(&link).await?;
                }
                Step::UpdateAccount { account, patch } => {
                    self.accounts.apply_profile(account, &patch).await?;
                }
                Step::SetDisabled { account, disabled } => {
                    if let Some(account) = self.accounts_store.account_by_id(account).await? {
                        self.accounts.apply_disabled(&account, disabled).await?;
                    }
                }
                Step::Join { login, path, title } => {
                    let Some(&department) = paths.get(&path) else { continue };
                    let Some(account) = self.accounts_store.account_by_name(domain.id, &login).await? else {
                        continue;
                    };
                    self.org
                        .set_department_member(department, account.id, title, DEPARTMENTS_PER_ACCOUNT_MAX)
                        .await??;
                }
                Step::Leave { account, department } => {
                    self.org.remove_department_member(department, account).await?;
                }
                Step::SetManager { login, manager } => {
                    let Some(account) = self.accounts_store.account_by_name(domain.id, &login).await? else {
                        continue;
                    };
                    let manager = match manager {
                        Some(m) => self.accounts_store.account_by_name(domain.id, &m).await?.map(|a| a.id),
                        None => None,
                    };
                    self.org.set_manager(domain.id, account.id, manager).await?;
                }
                Step::CreateGroup { key, dn, name, members } => {
                    let members = self.accounts_of(domain, &members).await?;
                    let made = self.chats.create(domain, &name, &members).await;
                    match made {
                        Ok(conversation) => {
                            let link = LdapGroupLink { domain_id: domain.id, key, conversation, dn };
                            self.ldap.put_ldap_group(&link).await?;
                        }
                        Err(e) => group_failed(e, &dn)?,
                    }
                }
                Step::RelinkGroup(link) => self.ldap.put_ldap_group(&link).await?,
                Step::RenameGroup { conversation, name } => {
                    if let Err(e) = self.chats.rename(domain, conversation, &name).await {
                        group_failed(e, &name)?;
                    }
                }
                Step::JoinGroup { conversation, members } => {
                    let members = self.accounts_of(domain, &members).await?;
                    let owner = self.chats.owner(domain).await?;
                    self.chats.add(&owner, conversation, &members).await?;
                }
                Step::LeaveGroup { conversation, members } => {
                    let owner = self.chats.owner(domain).await?;
                    if let Err(e) = self.chats.remove(&owner, conversation, &members).await {
                        group_failed(e, "a group's leavers")?;
                    }
                }
                Step::DissolveGroup { key, conversation } => {
                    self.chats.dissolve(domain, conversation).await?;
                    self.ldap.delete_ldap_group(domain.id, &key).await?;
                }
            }
        }
        Ok(())
    }

    /// The accounts of these logins (those that exist).
    async fn accounts_of(&self, domain: &Domain, logins: &[LoginName]) -> Result<Vec<AccountId>> {
        let mut out = Vec::with_capacity(logins.len());
        for login in logins {
            if let Some(a) = self.accounts_store.account_by_name(domain.id, login).await? {
                out.push(a.id);
            }
        }
        Ok(out)
    }
}

/// A group step that failed for a reason of its own (a limit) is logged and the sync goes on;
/// a store failure stops it.
fn group_failed(e: Error, what: &str) -> Result<()> {
    match e {
        Error::Store(e) => Err(Error::Store(e)),
        e => {
            tracing::warn!(group = what, error = %e, "a directory group could not follow the directory");
            Ok(())
        }
    }
}

/// Finds the directory people that groups and managers name, by DN or by login: first among
/// the people this sync read, then (in an incremental sync, which reads only some) among the
/// accounts linked to the directory.
struct Resolver<'a> {
    ldap: &'a Ldap,
    domain: DomainId,
    known_dns: HashMap<String, Known>,
    known_logins: HashMap<String, Known>,
    link_dns: HashMap<String, AccountId>,
    linked: HashSet<AccountId>,
    accounts: HashMap<AccountId, Option<Account>>,
    incremental: bool,
}

impl Resolver<'_> {
    async fn account(&mut self, id: AccountId) -> Result<Option<Account>> {
        if let Some(a) = self.accounts.get(&id) {
            return Ok(a.clone());
        }
        let a = self.ldap.accounts_store.account_by_id(id).await?;
        self.accounts.insert(id, a.clone());
        Ok(a)
    }

    fn known(a: Account) -> Known {
        Known { login: a.addr.name, account: Some(a.id), enabled: !a.disabled }
    }

    async fn by_dn(&mut self, dn: &str) -> Result<Option<Known>> {
        let dn = normalise_dn(dn);
        if let Some(k) = self.known_dns.get(&dn) {
            return Ok(Some(k.clone()));
        }
        if !self.incremental {
            return Ok(None);
        }
        let Some(&id) = self.link_dns.get(&dn) else { return Ok(None) };
        Ok(self.account(id).await?.map(Self::known))
    }

    async fn by_login(&mut self, login: &str) -> Result<Option<Known>> {
        let login = login.trim().to_lowercase();
        if let Some(k) = self.known_logins.get(&login) {
            return Ok(Some(k.clone()));
        }
        if !self.incremental {
            return Ok(None);
        }
        let Ok(name) = LoginName::parse(&login) else { return Ok(None) };
        let found = self.ldap.accounts_store.account_by_name(self.domain, &name).await?;
        Ok(found.filter(|a| self.linked.contains(&a.id)).map(Self::known))
    }
}

fn directory_error(e: DirectoryError) -> Error {
    match e {
        DirectoryError::Unavailable(cause) => {
            tracing::warn!(%cause, "directory unavailable");
            Error::Unavailable("directory")
        }
        DirectoryError::Refused(cause) => Error::invalid("ldap", format!("the directory refused: {cause}")),
        DirectoryError::TooMany => Error::LimitExceeded("directory entries"),
    }
}

/// Why a sync failed, as its administrators read it (a store's own failure stays in the log).
fn failure_text(e: &Error) -> String {
    match e {
        Error::Unavailable(what) => format!("{what} unavailable"),
        Error::LimitExceeded(what) => format!("limit exceeded: {what}"),
        Error::Store(_) | Error::Internal(_) => "internal error (see the server's log)".to_owned(),
        e => e.to_string(),
    }
}

/// The later of two directory timestamps (GeneralizedTime, which sorts as text).
fn newest(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// `filter`, narrowed to entries changed at or after `since` if given.
fn changed_since(filter: &str, since: Option<&str>) -> String {
    match since {
        Some(t) => format!("(&{}({MODIFIED_ATTRIBUTE}>={}))", wrap(filter), escape_filter_value(t)),
        None => filter.to_owned(),
    }
}

/// A value for an LDAP filter, with RFC 4515's escapes.
fn escape_filter_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// `filter` with parentheses around it, as `(&…)` needs its parts.
fn wrap(filter: &str) -> String {
    let f = filter.trim();
    if f.starts_with('(') { f.to_owned() } else { format!("({f})") }
}

fn check_source(source: &LdapSource) -> Result<()> {
    let url = source.url.trim();
    if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
        return Err(Error::invalid("url", "must start with ldap:// or ldaps://"));
    }
    if source.starttls && url.starts_with("ldaps://") {
        return Err(Error::invalid("starttls", "is for ldap:// URLs; ldaps:// is TLS from the start"));
    }
    if source.base_dns.is_empty() || source.base_dns.len() > BASE_DNS_MAX {
        return Err(Error::invalid("base_dns", format!("must name 1 to {BASE_DNS_MAX} base DNs")));
    }
    let a = &source.attributes;
    let texts = [
        ("url", url),
        ("bind_dn", source.bind_dn.as_str()),
        ("people_filter", source.people_filter.as_str()),
        ("attributes.login", a.login.as_str()),
        ("attributes.display_name", a.display_name.as_str()),
        ("attributes.email", a.email.as_str()),
        ("attributes.phone", a.phone.as_str()),
        ("attributes.title", a.title.as_str()),
        ("attributes.manager", a.manager.as_str()),
    ];
    for (field, value) in texts.into_iter().chain(source.base_dns.iter().map(|b| ("base_dns", b.as_str()))) {
        if value.trim().is_empty() && field != "bind_dn" {
            return Err(Error::invalid(field, "must not be empty"));
        }
        if value.len() > SETTING_BYTES_MAX || value.chars().any(char::is_control) {
            return Err(Error::invalid(field, format!("at most {SETTING_BYTES_MAX} bytes, no control characters")));
        }
    }
    if let Some(g) = &source.groups {
        if g.base_dns.len() > BASE_DNS_MAX {
            return Err(Error::invalid("groups.base_dns", format!("at most {BASE_DNS_MAX} base DNs")));
        }
        if g.member_attributes.is_empty() || g.member_attributes.len() > MEMBER_ATTRIBUTES_MAX {
            let reason = format!("must name 1 to {MEMBER_ATTRIBUTES_MAX} attributes");
            return Err(Error::invalid("groups.member_attributes", reason));
        }
        let texts = [("groups.filter", g.filter.as_str()), ("groups.name", g.name.as_str())]
            .into_iter()
            .chain(g.base_dns.iter().map(|b| ("groups.base_dns", b.as_str())))
            .chain(g.member_attributes.iter().map(|m| ("groups.member_attributes", m.as_str())));
        for (field, value) in texts {
            if value.trim().is_empty() {
                return Err(Error::invalid(field, "must not be empty"));
            }
            if value.len() > SETTING_BYTES_MAX || value.chars().any(char::is_control) {
                return Err(Error::invalid(field, format!("at most {SETTING_BYTES_MAX} bytes, no control characters")));
            }
        }
    }
    if source.sync_interval_secs != 0 && source.sync_interval_secs < SYNC_INTERVAL_SECS_MIN {
        return Err(Error::invalid("sync_interval_secs", format!("0 (off) or at least {SYNC_INTERVAL_SECS_MIN}")));
    }
    Ok(())
}

/// The person an entry describes, or why it is skipped.
fn person(
    source: &LdapSource,
    base: &str,
    entry: &DirEntry,
    disabled: &HashSet<String>,
) -> std::result::Result<Person, String> {
    let a = &source.attributes;
    let login_value = entry.first(&a.login).ok_or_else(|| format!("no {}", a.login))?;
    let login =
        LoginName::parse(&login_value.to_lowercase()).map_err(|_| format!("{login_value:?} is no login name"))?;
    let update = ProfileUpdate {
        display_name: Some(entry.first(&a.display_name).unwrap_or(login.as_str()).to_owned()),
        email: Some(entry.first(&a.email).unwrap_or_default().to_owned()),
        phone: Some(entry.first(&a.phone).unwrap_or_default().to_owned()),
        ..ProfileUpdate::default()
    };
    let profile = validate_patch(update).map_err(|e| e.to_string())?;
    let department = match &a.department {
        Some(attr) => entry
            .first(attr)
            .map(|v| v.split('/').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        None => ou_path(&entry.dn, base),
    };
    if department.len() > DEPTH_MAX {
        return Err(format!("department deeper than {DEPTH_MAX}"));
    }
    if department.iter().any(|n| n.chars().count() > crate::org::DEPARTMENT_NAME_CHARS_MAX || n.contains('/')) {
        return Err("department name too long or with /".into());
    }
    let title = entry
        .first(&a.title)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| crate::names::free_text("title", t, crate::org::TITLE_CHARS_MAX))
        .transpose()
        .map_err(|e| e.to_string())?;
    let uac_disabled =
        entry.first("userAccountControl").and_then(|v| v.parse::<u64>().ok()).is_some_and(|v| v & 2 != 0);
    let key = entry.key.clone().unwrap_or_else(|| normalise_dn(&entry.dn));
    Ok(Person {
        key,
        dn: entry.dn.clone(),
        login,
        profile,
        department,
        title,
        manager: entry.first(&a.manager).map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned),
        disabled: uac_disabled || disabled.contains(&normalise_dn(&entry.dn)),
    })
}

/// The fields of `want` whose values differ from the account's.
fn profile_diff(account: &Account, want: &ProfilePatch) -> ProfilePatch {
    let p = &account.profile;
    ProfilePatch {
        display_name: want.display_name.clone().filter(|d| *d != p.display_name),
        email: want.email.clone().filter(|e| *e != p.email),
        phone: want.phone.clone().filter(|v| *v != p.phone),
        ..ProfilePatch::default()
    }
}

/// A DN's relative names, unescaped only as far as splitting needs: `a=b,c=d` → `["a=b", "c=d"]`.
fn rdns(dn: &str) -> Vec<String> {
    let mut out = vec![];
    let mut current = String::new();
    let mut escaped = false;
    for c in dn.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            current.push(c);
            escaped = true;
        } else if c == ',' {
            out.push(current.trim().to_owned());
            current.clear();
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// A DN in one form for comparing: relative names trimmed, attribute names in lower case.
pub fn normalise_dn(dn: &str) -> String {
    rdns(dn)
        .iter()
        .map(|r| match r.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim().to_ascii_lowercase(), v.trim().to_lowercase()),
            None => r.to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The organisational units between an entry and `base`, from the top down: the department
/// path an entry's place in the tree makes.
fn ou_path(dn: &str, base: &str) -> Vec<String> {
    let names = rdns(dn);
    let base_len = rdns(base).len();
    if names.len() <= base_len + 1 {
        return vec![];
    }
    names[1..names.len() - base_len]
        .iter()
        .rev()
        .filter_map(|r| {
            let (k, v) = r.split_once('=')?;
            k.trim().eq_ignore_ascii_case("ou").then(|| unescape(v.trim()))
        })
        .collect()
}

/// A DN value with its backslash escapes (`\,`, `\2C`) read.
fn unescape(v: &str) -> String {
    let mut out = Vec::with_capacity(v.len());
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3).unwrap_or_default()).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
            } else {
                out.push(bytes[i + 1]);
                i += 2;
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_come_from_the_ous_between_an_entry_and_its_base() {
        let base = "ou=t1,dc=acme,dc=example";
        assert_eq!(ou_path("uid=a,ou=Team A,ou=Eng,ou=t1,dc=acme,dc=example", base), vec!["Eng", "Team A"]);
        assert_eq!(ou_path("uid=a,ou=t1,dc=acme,dc=example", base), Vec::<String>::new());
        assert_eq!(ou_path("uid=a,ou=R\\2CD,ou=t1,dc=acme,dc=example", base), vec!["R,D"]);
        assert_eq!(normalise_dn("UID=A, OU=X,dc=Acme"), "uid=a,ou=x,dc=acme");
    }

    #[test]
    fn an_incremental_read_narrows_the_filter_by_the_high_water_mark() {
        assert_eq!(changed_since("(objectClass=person)", None), "(objectClass=person)");
        assert_eq!(
            changed_since("objectClass=person", Some("20261205195100Z")),
            "(&(objectClass=person)(modifyTimestamp>=20261205195100Z))"
        );
        assert_eq!(changed_since("(a=b)", Some("x*)(")), "(&(a=b)(modifyTimestamp>=x\\2a\\29\\28))");
        assert_eq!(newest(Some("20260101000000Z".into()), None), Some("20260101000000Z".into()));
        assert_eq!(
            newest(Some("20260101000000Z".into()), Some("20270101000000Z".into())),
            Some("20270101000000Z".into())
        );
    }
}
