//! The group chats that the organisation owns (docs/protocol.md §11.3): a department's chat,
//! which follows the department's people, and the groups that follow a directory's groups
//! ([`crate::ldap`]).
//!
//! **Who owns them.** Each domain has one passwordless account, made on first use and recorded
//! by the store ([`OrgStore::put_chat_owner`]), that owns every chat of its organisation: no
//! person becomes a member of hundreds of groups for owning them, nobody's departure orphans
//! one, and a scheduled sync needs nobody logged in. The account cannot log in (it has no
//! password and no directory link).
//!
//! **Same paths as anyone's.** Every change goes through [`Conversations`] as that account:
//! the `system` entries, the members' `conversation_joined` / `conversation_left` events and
//! the group limits are those of any group change. Only this module decides who is in such a
//! chat; it adds and removes in chunks of `members_per_change_max`, and an account that cannot
//! be added (disabled since, or blocking the owner) is left out and logged rather than failing
//! the rest.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::accounts::Accounts;
use crate::chat::{ConversationKind, MemberRole};
use crate::conversations::{Conversations, GroupRequest, GroupUpdate};
use crate::model::{Account, AccountId, ConversationId, Domain, DomainId, Principal, Session, SessionId};
use crate::names::{AccountAddr, LoginName};
use crate::org::{Department, DepartmentId, MEMBERS_PAGE_LEN_MAX};
use crate::ports::{AccountStore, ConversationLog, OrgStore, Stores};
use crate::{Deps, Error, Result};

/// The login name of the account that owns a domain's organisation chats (a suffix is added if
/// a person has it).
const OWNER_LOGIN: &str = "org-chats";
/// How many names [`OrgChats::owner`] tries before giving up.
const OWNER_LOGIN_TRIES_MAX: usize = 8;
/// The owner's display name.
const OWNER_DISPLAY_NAME: &str = "组织 Organisation";

/// The organisation's chats.
#[derive(Clone)]
pub struct OrgChats {
    deps: Arc<Deps>,
    org: Arc<dyn OrgStore>,
    accounts_store: Arc<dyn AccountStore>,
    log: Arc<dyn ConversationLog>,
    accounts: Accounts,
    conversations: Conversations,
}

/// What [`OrgChats::follow`] changed in one chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    pub added: Vec<AccountAddr>,
    pub removed: Vec<AccountAddr>,
}

impl OrgChats {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts, conversations: Conversations) -> OrgChats {
        OrgChats {
            deps,
            org: stores.org.clone(),
            accounts_store: stores.accounts.clone(),
            log: stores.log.clone(),
            accounts,
            conversations,
        }
    }

    /// The domain's chat owner, acting: made on first use.
    pub(crate) async fn owner(&self, domain: &Domain) -> Result<Principal> {
        let account = match self.org.chat_owner(domain.id).await? {
            Some(id) => self.accounts_store.account_by_id(id).await?,
            None => None,
        };
        let mut account = match account {
            Some(a) => a,
            None => self.make_owner(domain).await?,
        };
        // The owner is no person: disabled, so that nobody finds it in the directory or people
        // search, messages it, or logs in as it (it has no password either). Owners made
        // before this are disabled at their next use.
        if !account.disabled {
            self.accounts.apply_disabled(&account, true).await?;
            account.disabled = true;
        }
        let session = Session {
            id: SessionId(0),
            account_id: account.id,
            device: None,
            ip: None,
            created_at_ms: account.created_at_ms,
            last_seen_at_ms: account.created_at_ms,
            expires_at_ms: i64::MAX,
            scope: None,
        };
        Ok(Principal { account, session, from_ip: None })
    }

    async fn make_owner(&self, domain: &Domain) -> Result<Account> {
        for attempt in 0..OWNER_LOGIN_TRIES_MAX {
            let name = if attempt == 0 { OWNER_LOGIN.to_owned() } else { format!("{OWNER_LOGIN}-{attempt}") };
            let login = LoginName::parse(&name)?;
            let made = match self.accounts.insert_passwordless(domain, login, OWNER_DISPLAY_NAME).await {
                Ok(a) => a,
                // A person has the name, or another node made the owner just now.
                Err(Error::AlreadyExists(_)) => match self.org.chat_owner(domain.id).await? {
                    Some(id) => return self.accounts_store.account_by_id(id).await?.ok_or(Error::NotFound("account")),
                    None => continue,
                },
                Err(e) => return Err(e),
            };
            let recorded = self.org.put_chat_owner(domain.id, made.id).await?;
            return self.accounts_store.account_by_id(recorded).await?.ok_or(Error::NotFound("account"));
        }
        Err(Error::Conflict(format!("no free login name for the organisation's chat owner ({OWNER_LOGIN}-…)")))
    }

    /// The domain of `id`.
    pub(crate) async fn domain(&self, id: DomainId) -> Result<Domain> {
        self.accounts_store.domains().await?.into_iter().find(|d| d.id == id).ok_or(Error::NotFound("domain"))
    }

    /// Makes a group named `name` owned by the domain's owner, with these members.
    pub(crate) async fn create(&self, domain: &Domain, name: &str, members: &[AccountId]) -> Result<ConversationId> {
        let owner = self.owner(domain).await?;
        let summary = self
            .conversations
            .create_group(&owner, ConversationKind::Group, GroupRequest { name: name.to_owned(), ..Default::default() })
            .await?;
        let id = summary.conversation.id;
        self.add(&owner, id, members).await?;
        Ok(id)
    }

    /// Renames a chat if its name differs.
    pub(crate) async fn rename(&self, domain: &Domain, id: ConversationId, name: &str) -> Result<()> {
        let Some(conversation) = self.log.conversation(id).await? else { return Ok(()) };
        if conversation.dissolved || conversation.info.name.as_deref() == Some(name) {
            return Ok(());
        }
        let owner = self.owner(domain).await?;
        let update = GroupUpdate { name: Some(name.to_owned()), ..GroupUpdate::default() };
        self.conversations.update_group(&owner, id, update).await?;
        Ok(())
    }

    /// Ends a chat for everyone (its members keep its history).
    pub(crate) async fn dissolve(&self, domain: &Domain, id: ConversationId) -> Result<()> {
        match self.log.conversation(id).await? {
            Some(c) if !c.dissolved => {}
            _ => return Ok(()),
        }
        let owner = self.owner(domain).await?;
        self.conversations.dissolve(&owner, id).await?;
        Ok(())
    }

    /// The chat's active members other than its owner, if the chat is live.
    pub(crate) async fn members(&self, id: ConversationId) -> Result<Option<HashMap<AccountId, AccountAddr>>> {
        match self.log.conversation(id).await? {
            Some(c) if !c.dissolved => {}
            _ => return Ok(None),
        }
        let members = self.conversations.all_members(id).await?;
        Ok(Some(members.into_iter().filter(|m| m.role != MemberRole::Owner).map(|m| (m.account, m.addr)).collect()))
    }

    /// Makes the chat's members (its owner aside) exactly `wanted`.
    pub(crate) async fn follow(&self, domain: &Domain, id: ConversationId, wanted: &[AccountId]) -> Result<Followed> {
        let Some(current) = self.members(id).await? else { return Ok(Followed::default()) };
        let wanted_set: BTreeSet<AccountId> = wanted.iter().copied().collect();
        let owner = self.owner(domain).await?;
        let joiners: Vec<AccountId> = wanted_set.iter().copied().filter(|a| !current.contains_key(a)).collect();
        let leavers: Vec<AccountId> = current.keys().copied().filter(|a| !wanted_set.contains(a)).collect();
        let added = self.add(&owner, id, &joiners).await?;
        let removed = self.remove(&owner, id, &leavers).await?;
        Ok(Followed { added, removed })
    }

    /// Adds accounts, a chunk at a time; those that cannot be added are left out.
    pub(crate) async fn add(
        &self,
        owner: &Principal,
        id: ConversationId,
        accounts: &[AccountId],
    ) -> Result<Vec<AccountAddr>> {
        let mut addrs = Vec::with_capacity(accounts.len());
        for account in accounts {
            if let Some(a) = self.accounts_store.account_by_id(*account).await?
                && !a.disabled
            {
                addrs.push(a.addr);
            }
        }
        let mut added = vec![];
        for chunk in addrs.chunks(self.deps.settings.members_per_change_max.max(1)) {
            let texts: Vec<String> = chunk.iter().map(ToString::to_string).collect();
            match self.conversations.add_members(owner, id, &texts).await {
                Ok(_) => added.extend(chunk.iter().cloned()),
                Err(Error::AlreadyExists(_)) => {}
                Err(Error::Store(e)) => return Err(Error::Store(e)),
                Err(_) => {
                    // One account spoils the chunk: add them one by one.
                    for (addr, text) in chunk.iter().zip(texts) {
                        match self.conversations.add_members(owner, id, std::slice::from_ref(&text)).await {
                            Ok(_) => added.push(addr.clone()),
                            Err(Error::Store(e)) => return Err(Error::Store(e)),
                            Err(e) => tracing::warn!(account = %text, error = %e, "not added to an organisation chat"),
                        }
                    }
                }
            }
        }
        Ok(added)
    }

    /// Removes these accounts (those that are members), a chunk at a time.
    pub(crate) async fn remove(
        &self,
        owner: &Principal,
        id: ConversationId,
        accounts: &[AccountId],
    ) -> Result<Vec<AccountAddr>> {
        let mut addrs = Vec::with_capacity(accounts.len());
        for account in accounts {
            if let Some(a) = self.accounts_store.account_by_id(*account).await? {
                addrs.push(a.addr);
            }
        }
        let mut removed = vec![];
        for chunk in addrs.chunks(self.deps.settings.members_per_change_max.max(1)) {
            let texts: Vec<String> = chunk.iter().map(ToString::to_string).collect();
            self.conversations.remove_members(owner, id, &texts).await?;
            removed.extend(chunk.iter().cloned());
        }
        Ok(removed)
    }

    /// The chat's name, if it is live.
    pub(crate) async fn live_name(&self, id: ConversationId) -> Result<Option<String>> {
        Ok(self.log.conversation(id).await?.filter(|c| !c.dissolved).map(|c| c.info.name.unwrap_or_default()))
    }

    /// The enabled people of a department and of every department below it.
    pub(crate) async fn department_people(
        &self,
        all: &[Department],
        department: DepartmentId,
    ) -> Result<Vec<AccountId>> {
        let mut below: BTreeSet<DepartmentId> = BTreeSet::from([department]);
        // Parents come before children in `all`, so one pass finds the whole subtree.
        for d in all {
            if d.parent.is_some_and(|p| below.contains(&p)) {
                below.insert(d.id);
            }
        }
        let mut people = BTreeSet::new();
        for id in below {
            let mut after: Option<LoginName> = None;
            loop {
                let page = self.org.department_members(id, after.as_ref(), MEMBERS_PAGE_LEN_MAX).await?;
                let full = page.len() == MEMBERS_PAGE_LEN_MAX;
                after = page.last().map(|m| m.account.addr.name.clone());
                people.extend(page.into_iter().filter(|m| !m.account.disabled).map(|m| m.account.id));
                if !full {
                    break;
                }
            }
        }
        Ok(people.into_iter().collect())
    }

    /// Brings every department chat of the domain in step with its department (after any
    /// change to the tree or to who is in it); a chat that cannot be is logged, not fatal.
    pub(crate) async fn follow_departments(&self, domain: DomainId) -> Result<()> {
        let all = self.org.departments(domain).await?;
        if all.iter().all(|d| d.chat.is_none()) {
            return Ok(());
        }
        let domain = self.domain(domain).await?;
        for d in all.iter().filter(|d| d.chat.is_some()) {
            let Some(chat) = d.chat else { continue };
            let people = self.department_people(&all, d.id).await?;
            if let Err(e) = self.rename(&domain, chat, &d.name).await {
                tracing::warn!(department = d.id.0, error = %e, "cannot rename a department chat");
            }
            if let Err(e) = self.follow(&domain, chat, &people).await {
                tracing::warn!(department = d.id.0, error = %e, "cannot bring a department chat in step");
            }
        }
        Ok(())
    }
}
