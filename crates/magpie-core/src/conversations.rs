//! Conversations and their membership: direct chats, groups and channels.
//!
//! Every membership or group change is a `system` entry in the conversation's log (so that
//! members see "alice added bob" in order with the messages) whose effects the store applies
//! in the same transaction, plus `conversation_joined` / `conversation_left` events on the
//! affected accounts' logs (so that their devices learn of it even with no entry to read).
//!
//! History rule: a member reads the log from the entry that added it (direct chats: from the
//! start). A member that left or was removed keeps reading what came before its end (through
//! `Conversations::readable`: history only) and reads and receives nothing from its end on;
//! every other request treats it as an outsider, to whom the conversation does not exist
//! (`not_found`).

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::chat::{
    AccountEvent, Append, Check, Conversation, ConversationKind, Effect, Entry, GroupInfo, GroupInfoPatch, LeaveReason,
    Member, MemberRole, MemberSettingsPatch, NewConversation, NewEntry, Precondition, Summary,
};
use crate::contacts::Contacts;
use crate::model::{AccountId, ConversationId, Principal, Seq};
use crate::names::{self, AccountAddr};
use crate::notice::Notice;
use crate::ports::{ContactStore, ConversationLog, FileStore, Stores};
use crate::{Deps, Error, Result};

/// Members read from the store per query when listing them all.
const MEMBER_PAGE_LEN: usize = 1000;
/// Groups one page of [`Conversations::admin_groups`] holds at most.
pub const ADMIN_GROUP_PAGE_LEN_MAX: usize = 200;
/// Longest group name, in characters.
pub const GROUP_NAME_CHARS_MAX: usize = 64;
/// Longest group description, in characters.
pub const GROUP_DESCRIPTION_CHARS_MAX: usize = 1024;
/// Longest group announcement, in characters.
pub const GROUP_ANNOUNCEMENT_CHARS_MAX: usize = 4096;
/// The longest a member mutes a conversation for until it unmutes by itself (a year).
pub const MUTE_FOR_MS_MAX: i64 = 366 * 24 * 3600 * 1000;

/// What a caller asks for when creating a group or channel, before validation.
#[derive(Debug, Clone, Default)]
pub struct GroupRequest {
    pub name: String,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub announcement: Option<String>,
    /// Addresses of the first members besides the creator.
    pub members: Vec<String>,
}

/// A requested change to a group's info; `Some("")` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub announcement: Option<String>,
    /// Only the owner and admins may post (made in the same entry as the rest).
    pub mute_all: Option<bool>,
}

#[derive(Clone)]
pub struct Conversations {
    deps: Arc<Deps>,
    log: Arc<dyn ConversationLog>,
    contact_store: Arc<dyn ContactStore>,
    /// Only to check that an avatar naming a file names an image of the caller's.
    file_store: Arc<dyn FileStore>,
    accounts: Accounts,
    contacts: Contacts,
}

impl Conversations {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts, contacts: Contacts) -> Conversations {
        Conversations {
            deps,
            log: stores.log.clone(),
            contact_store: stores.contacts.clone(),
            file_store: stores.files.clone(),
            accounts,
            contacts,
        }
    }

    /// The direct chat between the caller and `peer` (same domain), created on first use.
    /// Opening one with oneself gives a notes-to-self chat.
    pub async fn open_direct(&self, caller: &Principal, peer: &str) -> Result<Summary> {
        let peer = self.accounts.profile(caller, peer).await?;
        let me = caller.account.id;
        let (low, high) = if me <= peer.id { (me, peer.id) } else { (peer.id, me) };
        let key = format!("{}:{}", low.0, high.0);
        let existing = self.log.direct_conversation(&key).await?;
        let conversation = match existing {
            Some(c) => c,
            None => {
                // A chat that does not exist yet would land in the peer's list: only if the
                // peer accepts messages from the caller.
                self.contacts.may_message(caller, peer.id).await?;
                let mut members = vec![(low, MemberRole::Member)];
                if high != low {
                    members.push((high, MemberRole::Member));
                }
                let new = NewConversation {
                    domain_id: caller.account.domain_id,
                    kind: ConversationKind::Direct,
                    direct_key: Some(key),
                    info: GroupInfo::default(),
                    owner: None,
                    members,
                    opening: None,
                    at_ms: self.deps.clock.now_ms(),
                };
                self.log.create_conversation(new).await?.0
            }
        };
        self.summary(caller, conversation.id).await
    }

    /// Creates a group or channel owned by the caller, with these first members.
    pub async fn create_group(&self, caller: &Principal, kind: ConversationKind, req: GroupRequest) -> Result<Summary> {
        if kind == ConversationKind::Direct {
            return Err(Error::invalid("kind", "use open_direct for direct chats"));
        }
        let info = GroupInfo {
            name: Some(group_name(&req.name)?),
            description: optional_text("description", req.description.as_deref(), GROUP_DESCRIPTION_CHARS_MAX)?,
            avatar: optional_avatar(req.avatar.as_deref())?,
            announcement: optional_text("announcement", req.announcement.as_deref(), GROUP_ANNOUNCEMENT_CHARS_MAX)?,
        };
        if let Some(avatar) = &info.avatar {
            crate::files::check_avatar(self.file_store.as_ref(), caller, avatar).await?;
        }
        let settings = &self.deps.settings;
        if req.members.len() > settings.members_per_change_max {
            return Err(Error::LimitExceeded("too many accounts in one membership change"));
        }
        let mut members = vec![(caller.account.id, MemberRole::Owner)];
        let mut addrs = vec![];
        for addr in &req.members {
            let account = self.accounts.profile(caller, addr).await?;
            if self.contact_store.contact_state(account.id, caller.account.id).await?.blocks {
                return Err(Error::Forbidden);
            }
            if !members.iter().any(|(id, _)| *id == account.id) {
                members.push((account.id, MemberRole::Member));
                addrs.push(account.addr.to_string());
            }
        }
        if members.len() > settings.group_members_max {
            return Err(Error::LimitExceeded("the group would exceed its member limit"));
        }
        for (account, _) in &members {
            if self.log.group_count(*account).await? >= settings.groups_per_account_max {
                return Err(Error::LimitExceeded("an account is in too many groups"));
            }
        }
        let now = self.deps.clock.now_ms();
        let opening = system_entry(
            caller,
            ConversationId(0),
            Notice::Created { by: caller.account.addr.to_string(), kind, name: info.name.clone(), members: addrs },
            now,
        );
        let new = NewConversation {
            domain_id: caller.account.domain_id,
            kind,
            direct_key: None,
            info,
            owner: Some(caller.account.id),
            members,
            opening: Some(opening),
            at_ms: now,
        };
        let (conversation, _) = self.log.create_conversation(new).await?;
        self.summary(caller, conversation.id).await
    }

    /// The conversation as the caller sees it in its list.
    pub async fn summary(&self, caller: &Principal, id: ConversationId) -> Result<Summary> {
        if !caller.reaches(id) {
            return Err(NOT_FOUND);
        }
        let now = self.deps.clock.now_ms();
        let summary = self.log.summary(id, caller.account.id).await?.filter(|s| s.me.is_active()).ok_or(NOT_FOUND)?;
        Ok(summary.settled(now))
    }

    /// Active members, by account id.
    pub async fn members(&self, caller: &Principal, id: ConversationId) -> Result<Vec<Member>> {
        self.membership(caller, id).await?;
        self.all_members(id).await
    }

    /// Every active member, read a page at a time (at most `group_members_max`).
    pub(crate) async fn all_members(&self, id: ConversationId) -> Result<Vec<Member>> {
        let mut all = vec![];
        let mut after = None;
        while all.len() <= self.deps.settings.group_members_max {
            let page = self.log.members(id, after, MEMBER_PAGE_LEN).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.account);
            all.extend(page);
        }
        Ok(all)
    }

    /// Adds accounts of the caller's domain to a group. Owners and admins add to any group;
    /// in a group (not a channel) any member may add.
    pub async fn add_members(&self, caller: &Principal, id: ConversationId, addrs: &[String]) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        let needed =
            if conversation.kind == ConversationKind::Channel { MemberRole::Admin } else { MemberRole::Member };
        require_group(&conversation)?;
        require_role(&me, needed)?;
        let settings = &self.deps.settings;
        members_per_change(addrs, settings.members_per_change_max)?;
        let mut added: Vec<(AccountId, MemberRole)> = vec![];
        let mut shown = vec![];
        for addr in addrs {
            let account = self.accounts.profile(caller, addr).await?;
            let current = self.log.member(id, account.id).await?;
            if current.is_some_and(|m| m.is_active()) || added.iter().any(|(a, _)| *a == account.id) {
                continue;
            }
            if self.log.group_count(account.id).await? >= settings.groups_per_account_max {
                return Err(Error::LimitExceeded("an account is in too many groups"));
            }
            if self.contact_store.contact_state(account.id, caller.account.id).await?.blocks {
                return Err(Error::Forbidden);
            }
            added.push((account.id, MemberRole::Member));
            shown.push(account.addr.to_string());
        }
        if added.is_empty() {
            return Err(Error::AlreadyExists("member"));
        }
        let events = added.iter().map(|(a, _)| (*a, AccountEvent::ConversationJoined { conversation: id })).collect();
        let count = added.len();
        let max = settings.group_members_max;
        let notice = Notice::MembersAdded { by: caller.account.addr.to_string(), members: shown };
        let check: Check = Box::new(move |p| {
            check_role(p, needed)?;
            if usize::try_from(p.conversation.member_count).unwrap_or(usize::MAX) + count > max {
                return Err(Error::LimitExceeded("the group would exceed its member limit"));
            }
            Ok(())
        });
        self.change(
            caller,
            id,
            Change { notice, effects: vec![Effect::AddMembers(added)], events, subjects: vec![], check },
        )
        .await
    }

    /// Removes members. Admins remove members; the owner removes anyone but itself.
    pub async fn remove_members(&self, caller: &Principal, id: ConversationId, addrs: &[String]) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Admin)?;
        members_per_change(addrs, self.deps.settings.members_per_change_max)?;
        let mut removed = vec![];
        let mut shown = vec![];
        for addr in addrs {
            let target = self.active_member(caller, id, addr).await?;
            if target.role >= me.role {
                return Err(Error::Forbidden);
            }
            if !removed.contains(&target.account) {
                removed.push(target.account);
                shown.push(target.addr.to_string());
            }
        }
        let events = removed
            .iter()
            .map(|a| (*a, AccountEvent::ConversationLeft { conversation: id, reason: LeaveReason::Removed }))
            .collect();
        let notice = Notice::MembersRemoved { by: caller.account.addr.to_string(), members: shown };
        let subjects = removed.clone();
        let check: Check = Box::new(move |p| {
            let role = check_role(p, MemberRole::Admin)?;
            // Checked again at commit: a target may have left or been promoted since.
            for account in &subjects {
                let target = p.active_subject(*account).ok_or(Error::NotFound("member"))?;
                if target.role >= role {
                    return Err(Error::Forbidden);
                }
            }
            Ok(())
        });
        let subjects = removed.clone();
        self.change(
            caller,
            id,
            Change { notice, effects: vec![Effect::RemoveMembers(removed)], events, subjects, check },
        )
        .await
    }

    /// The caller leaves. An owner must hand the group over first (or dissolve it).
    pub async fn leave(&self, caller: &Principal, id: ConversationId) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        if me.role == MemberRole::Owner {
            return Err(Error::invalid("conversation", "the owner must transfer ownership or dissolve the group"));
        }
        let events =
            vec![(caller.account.id, AccountEvent::ConversationLeft { conversation: id, reason: LeaveReason::Left })];
        let notice = Notice::MemberLeft { member: caller.account.addr.to_string() };
        let check: Check = Box::new(|p| {
            if check_role(p, MemberRole::Member)? == MemberRole::Owner {
                return Err(Error::invalid("conversation", "the owner must transfer ownership or dissolve the group"));
            }
            Ok(())
        });
        let effects = vec![Effect::RemoveMembers(vec![caller.account.id])];
        self.change(caller, id, Change { notice, effects, events, subjects: vec![], check }).await
    }

    /// Changes name, description, avatar or announcement (owner and admins).
    pub async fn update_group(&self, caller: &Principal, id: ConversationId, update: GroupUpdate) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Admin)?;
        let patch = GroupInfoPatch {
            name: update.name.as_deref().map(group_name).transpose()?,
            description: update
                .description
                .as_deref()
                .map(|d| optional_text("description", Some(d), GROUP_DESCRIPTION_CHARS_MAX))
                .transpose()?,
            avatar: update.avatar.as_deref().map(|a| optional_avatar(Some(a))).transpose()?,
            announcement: update
                .announcement
                .as_deref()
                .map(|a| optional_text("announcement", Some(a), GROUP_ANNOUNCEMENT_CHARS_MAX))
                .transpose()?,
        };
        if let Some(Some(avatar)) = &patch.avatar {
            crate::files::check_avatar(self.file_store.as_ref(), caller, avatar).await?;
        }
        let info_changed = patch != GroupInfoPatch::default();
        if !info_changed && update.mute_all.is_none() {
            return Err(Error::invalid("group", "name at least one field to change"));
        }
        let by = caller.account.addr.to_string();
        let notice = match update.mute_all {
            Some(on) if !info_changed => Notice::MuteAll { by, on },
            mute_all => Notice::InfoChanged {
                by,
                name: patch.name.clone(),
                description: patch.description.clone(),
                avatar: patch.avatar.clone(),
                announcement: patch.announcement.clone(),
                mute_all,
            },
        };
        let mut effects = vec![];
        if let Some(on) = update.mute_all {
            effects.push(Effect::MuteAll(on));
        }
        if info_changed {
            effects.push(Effect::SetInfo(patch));
        }
        let check: Check = Box::new(|p| check_role(p, MemberRole::Admin).map(drop));
        self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![], check }).await
    }

    /// Makes a member an admin or a member again (owner only).
    pub async fn set_role(
        &self,
        caller: &Principal,
        id: ConversationId,
        addr: &str,
        role: MemberRole,
    ) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Owner)?;
        if role == MemberRole::Owner {
            return Err(Error::invalid("role", "use transfer_ownership to change the owner"));
        }
        let target = self.active_member(caller, id, addr).await?;
        if target.role == MemberRole::Owner {
            return Err(Error::Forbidden);
        }
        let notice = Notice::RoleChanged { by: caller.account.addr.to_string(), member: target.addr.to_string(), role };
        let subject = target.account;
        let check: Check = Box::new(move |p| {
            check_role(p, MemberRole::Owner)?;
            let target = p.active_subject(subject).ok_or(Error::NotFound("member"))?;
            if target.role == MemberRole::Owner { Err(Error::Forbidden) } else { Ok(()) }
        });
        let effects = vec![Effect::SetRole(subject, role)];
        self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![subject], check }).await
    }

    /// Hands the group to another member; the old owner becomes an admin.
    pub async fn transfer_ownership(&self, caller: &Principal, id: ConversationId, addr: &str) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Owner)?;
        let target = self.active_member(caller, id, addr).await?;
        if target.account == me.account {
            return Err(Error::invalid("member", "already the owner"));
        }
        let notice = Notice::OwnerChanged { from: caller.account.addr.to_string(), to: target.addr.to_string() };
        let effects = vec![
            Effect::SetRole(target.account, MemberRole::Owner),
            Effect::SetRole(me.account, MemberRole::Admin),
            Effect::SetOwner(target.account),
        ];
        let subject = target.account;
        let check: Check = Box::new(move |p| {
            check_role(p, MemberRole::Owner)?;
            p.active_subject(subject).map(drop).ok_or(Error::NotFound("member"))
        });
        self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![subject], check }).await
    }

    /// Stops a member from posting until `until_ms` (`None` lifts the mute). Admins mute
    /// members; the owner mutes anyone else.
    pub async fn mute_member(
        &self,
        caller: &Principal,
        id: ConversationId,
        addr: &str,
        until_ms: Option<i64>,
    ) -> Result<Entry> {
        if until_ms.is_some_and(|until| until <= self.deps.clock.now_ms()) {
            return Err(Error::invalid("until_ms", "must be in the future; send null to lift a mute"));
        }
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Admin)?;
        let target = self.active_member(caller, id, addr).await?;
        if target.role >= me.role {
            return Err(Error::Forbidden);
        }
        let notice =
            Notice::MemberMuted { by: caller.account.addr.to_string(), member: target.addr.to_string(), until_ms };
        let subject = target.account;
        let check: Check = Box::new(move |p| {
            let role = check_role(p, MemberRole::Admin)?;
            let target = p.active_subject(subject).ok_or(Error::NotFound("member"))?;
            if target.role >= role { Err(Error::Forbidden) } else { Ok(()) }
        });
        let effects = vec![Effect::MuteMember(subject, until_ms)];
        self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![subject], check }).await
    }

    /// Lets only the owner and admins post (`on`), or everyone again.
    pub async fn mute_all(&self, caller: &Principal, id: ConversationId, on: bool) -> Result<Entry> {
        self.update_group(caller, id, GroupUpdate { mute_all: Some(on), ..GroupUpdate::default() }).await
    }

    /// Ends the group for everyone (owner only). Members keep reading what came before; nobody
    /// can post or read anything after.
    pub async fn dissolve(&self, caller: &Principal, id: ConversationId) -> Result<Entry> {
        let (conversation, me) = self.membership(caller, id).await?;
        require_group(&conversation)?;
        require_role(&me, MemberRole::Owner)?;
        let notice = Notice::Dissolved { by: caller.account.addr.to_string() };
        let check: Check = Box::new(|p| check_role(p, MemberRole::Owner).map(drop));
        let effects = vec![Effect::Dissolve];
        self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![], check }).await
    }

    /// Changes the caller's own pinned, muted (for good or until a time), notification level
    /// or draft state; its other devices hear of it.
    pub async fn update_settings(
        &self,
        caller: &Principal,
        id: ConversationId,
        patch: MemberSettingsPatch,
    ) -> Result<Member> {
        self.membership(caller, id).await?;
        let mut patch = patch;
        if let Some(draft) = &patch.draft {
            patch.draft = Some(names::paragraph("draft", draft, self.deps.settings.message_text_chars_max)?);
        }
        if let Some(at) = patch.unmute_at_ms {
            let now = self.deps.clock.now_ms();
            if patch.muted != Some(true) {
                return Err(Error::invalid("unmute_at_ms", "goes with muted: true"));
            }
            if at <= now || at > now.saturating_add(MUTE_FOR_MS_MAX) {
                return Err(Error::invalid("unmute_at_ms", "must be in the future, at most a year ahead"));
            }
        }
        if patch == MemberSettingsPatch::default() {
            return Err(Error::invalid(
                "settings",
                "name at least one of pinned, muted, notify_level, draft, marked_unread",
            ));
        }
        let events =
            vec![(caller.account.id, AccountEvent::SettingsChanged { conversation: id, settings: patch.clone() })];
        self.log
            .update_member_settings(id, caller.account.id, patch, events, self.deps.clock.now_ms())
            .await?
            .ok_or(NOT_FOUND)
    }

    /// The conversation and the caller's active membership, or `not_found` (also for other
    /// domains, former members and conversations out of a bot token's scope, so that nothing
    /// leaks).
    pub(crate) async fn membership(&self, caller: &Principal, id: ConversationId) -> Result<(Conversation, Member)> {
        if !caller.reaches(id) {
            return Err(NOT_FOUND);
        }
        let conversation = self.log.conversation(id).await?.ok_or(NOT_FOUND)?;
        if conversation.domain_id != caller.account.domain_id || conversation.dissolved {
            return Err(NOT_FOUND);
        }
        let member = self.log.member(id, caller.account.id).await?.filter(Member::is_active).ok_or(NOT_FOUND)?;
        Ok((conversation, member))
    }

    pub(crate) fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// In a direct chat, does the other member take the caller's messages now (see
    /// [`Contacts::may_message`])? `forbidden` if not; always for notes to self.
    pub(crate) async fn peer_accepts(&self, caller: &Principal, conversation: &Conversation) -> Result<()> {
        let members = self.log.members(conversation.id, None, 2).await?;
        match members.iter().find(|m| m.account != caller.account.id) {
            Some(peer) => self.contacts.may_message(caller, peer.account).await,
            None => Ok(()),
        }
    }

    /// The conversation and the caller's membership, active or ended: what history may show.
    /// Other domains and accounts that were never members get `not_found`.
    pub(crate) async fn readable(&self, caller: &Principal, id: ConversationId) -> Result<(Conversation, Member)> {
        if !caller.reaches(id) {
            return Err(NOT_FOUND);
        }
        let conversation = self.log.conversation(id).await?.ok_or(NOT_FOUND)?;
        if conversation.domain_id != caller.account.domain_id {
            return Err(NOT_FOUND);
        }
        let member = self.log.member(id, caller.account.id).await?.ok_or(NOT_FOUND)?;
        Ok((conversation, member))
    }

    async fn active_member(&self, caller: &Principal, id: ConversationId, addr: &str) -> Result<Member> {
        let addr = AccountAddr::parse(addr)?;
        let account = self.accounts.in_callers_domain(caller, &addr).await?.ok_or(Error::NotFound("member"))?;
        self.log.member(id, account.id).await?.filter(Member::is_active).ok_or(Error::NotFound("member"))
    }

    /// A domain's groups and channels for its administrators (a server administrator's for any
    /// domain), newest first, before `before`, at most `limit` (1 to [`ADMIN_GROUP_PAGE_LEN_MAX`]);
    /// those whose name contains `q`, ignoring case; dissolved ones only if asked. Each with its
    /// owner's address.
    pub async fn admin_groups(
        &self,
        caller: &Principal,
        domain: &str,
        q: Option<&str>,
        dissolved: bool,
        before: Option<ConversationId>,
        limit: usize,
    ) -> Result<Vec<(Conversation, Option<AccountAddr>)>> {
        let actor = crate::model::Actor::Account(caller);
        if caller.account.role == crate::model::Role::Member {
            return Err(Error::Forbidden);
        }
        let name = names::DomainName::parse(domain)?;
        let domain = self.accounts.store().domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(domain.id) {
            return Err(Error::NotFound("domain"));
        }
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.chars().count() > GROUP_NAME_CHARS_MAX) {
            return Err(Error::too_large("q", GROUP_NAME_CHARS_MAX, crate::Unit::Characters));
        }
        let limit = limit.clamp(1, ADMIN_GROUP_PAGE_LEN_MAX);
        let groups = self.log.domain_groups(domain.id, q, dissolved, before, limit).await?;
        let mut listed = Vec::with_capacity(groups.len());
        for group in groups {
            let owner = match group.owner.filter(|_| !group.dissolved) {
                Some(id) => self.accounts.store().account_by_id(id).await?.map(|a| a.addr),
                None => None,
            };
            listed.push((group, owner));
        }
        Ok(listed)
    }

    /// A group or channel of a domain the caller administers, whether or not it is a member;
    /// `not_found` otherwise, as for one that does not exist.
    async fn administered(&self, caller: &Principal, id: ConversationId) -> Result<Conversation> {
        let conversation = self.log.conversation(id).await?.ok_or(NOT_FOUND)?;
        let actor = crate::model::Actor::Account(caller);
        if conversation.kind == ConversationKind::Direct
            || caller.account.role == crate::model::Role::Member
            || !actor.may_administer(conversation.domain_id)
        {
            return Err(NOT_FOUND);
        }
        Ok(conversation)
    }

    /// A group's active members, for its domain's administrators.
    pub async fn admin_members(&self, caller: &Principal, id: ConversationId) -> Result<Vec<Member>> {
        self.administered(caller, id).await?;
        self.all_members(id).await
    }

    /// Hands a group to another of its members, by its domain's administrator (who need not be
    /// a member); the old owner becomes an admin. Audited as `group.transfer`.
    pub async fn admin_transfer_ownership(&self, caller: &Principal, id: ConversationId, addr: &str) -> Result<Entry> {
        let conversation = self.administered(caller, id).await?;
        if conversation.dissolved {
            return Err(NOT_FOUND);
        }
        let addr = AccountAddr::parse(addr)?;
        let members = self.all_members(id).await?;
        let target = members.iter().find(|m| m.addr == addr).ok_or(Error::NotFound("member"))?;
        let owner = members.iter().find(|m| m.role == MemberRole::Owner);
        if target.role == MemberRole::Owner {
            return Err(Error::invalid("member", "already the owner"));
        }
        let from = owner.map_or_else(String::new, |o| o.addr.to_string());
        let notice = Notice::OwnerChanged { from: from.clone(), to: target.addr.to_string() };
        let mut effects = vec![Effect::SetRole(target.account, MemberRole::Owner), Effect::SetOwner(target.account)];
        let mut subjects = vec![target.account];
        if let Some(owner) = owner {
            effects.push(Effect::SetRole(owner.account, MemberRole::Admin));
            subjects.push(owner.account);
        }
        let (subject, previous) = (target.account, owner.map(|o| o.account));
        let check: Check = Box::new(move |p| {
            if p.conversation.dissolved {
                return Err(NOT_FOUND);
            }
            let target = p.active_subject(subject).ok_or(Error::NotFound("member"))?;
            if target.role == MemberRole::Owner {
                return Err(Error::invalid("member", "already the owner"));
            }
            // The owner read above is still the owner: nobody handed the group on meanwhile.
            match previous {
                Some(previous) if p.active_subject(previous).is_some_and(|o| o.role == MemberRole::Owner) => Ok(()),
                _ => Err(Error::Conflict("the group changed hands meanwhile; look again".to_owned())),
            }
        });
        let entry = self.change(caller, id, Change { notice, effects, events: vec![], subjects, check }).await?;
        let change =
            crate::audit::Change::new("group.transfer", Some(conversation.domain_id), group_label(&conversation))
                .before(serde_json::json!({ "owner": from }))
                .after(serde_json::json!({ "owner": target.addr.to_string() }));
        self.deps.audit(crate::model::Actor::Account(caller), change).await;
        Ok(entry)
    }

    /// Ends a group for everyone, by its domain's administrator (who need not be a member).
    /// Audited as `group.dissolve`.
    pub async fn admin_dissolve(&self, caller: &Principal, id: ConversationId) -> Result<Entry> {
        let conversation = self.administered(caller, id).await?;
        if conversation.dissolved {
            return Err(NOT_FOUND);
        }
        let notice = Notice::Dissolved { by: caller.account.addr.to_string() };
        let check: Check = Box::new(|p| if p.conversation.dissolved { Err(NOT_FOUND) } else { Ok(()) });
        let effects = vec![Effect::Dissolve];
        let entry =
            self.change(caller, id, Change { notice, effects, events: vec![], subjects: vec![], check }).await?;
        let change =
            crate::audit::Change::new("group.dissolve", Some(conversation.domain_id), group_label(&conversation))
                .before(serde_json::json!({ "dissolved": false, "member_count": conversation.member_count }))
                .after(serde_json::json!({ "dissolved": true }));
        self.deps.audit(crate::model::Actor::Account(caller), change).await;
        Ok(entry)
    }

    /// Appends a `system` entry with its effects.
    async fn change(&self, caller: &Principal, id: ConversationId, change: Change) -> Result<Entry> {
        let Change { notice, effects, events, subjects, check } = change;
        let entry = system_entry(caller, id, notice, self.deps.clock.now_ms());
        let append = Append { entry, effects, events, subjects, peer: false, check };
        let appended = self.log.append(append).await??;
        Ok(Entry::clone(appended.entry()))
    }
}

/// A membership or group change: the `system` entry's notice, what it does, whom it tells,
/// whose rows its check reads, and the check.
struct Change {
    notice: Notice,
    effects: Vec<Effect>,
    events: Vec<(AccountId, AccountEvent)>,
    subjects: Vec<AccountId>,
    check: Check,
}

pub(crate) const NOT_FOUND: Error = Error::NotFound("conversation");

fn system_entry(caller: &Principal, conversation: ConversationId, notice: Notice, at_ms: i64) -> NewEntry {
    NewEntry::notice(conversation, caller.account.id, &notice, at_ms)
}

/// A membership change names at least one account and at most `max`.
fn members_per_change(addrs: &[String], max: usize) -> Result<()> {
    if addrs.is_empty() {
        return Err(Error::invalid("members", "name at least one account"));
    }
    if addrs.len() > max {
        return Err(Error::LimitExceeded("too many accounts in one membership change"));
    }
    Ok(())
}

/// A group for the audit log: its id and name.
fn group_label(c: &Conversation) -> String {
    format!("group {} ({})", c.id.0, c.info.name.as_deref().unwrap_or_default())
}

fn require_group(c: &Conversation) -> Result<()> {
    if c.kind == ConversationKind::Direct {
        return Err(Error::invalid("conversation", "direct chats have no membership to manage"));
    }
    Ok(())
}

fn require_role(member: &Member, role: MemberRole) -> Result<()> {
    if member.role < role { Err(Error::Forbidden) } else { Ok(()) }
}

/// The author must be an active member of a live conversation with at least `role`.
pub(crate) fn check_role(p: &Precondition<'_>, role: MemberRole) -> Result<MemberRole> {
    if p.conversation.dissolved {
        return Err(NOT_FOUND);
    }
    let member = p.author.filter(|m| m.is_active()).ok_or(NOT_FOUND)?;
    require_role(member, role)?;
    Ok(member.role)
}

fn group_name(name: &str) -> Result<String> {
    let name = names::free_text("name", name, GROUP_NAME_CHARS_MAX)?;
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    Ok(name)
}

/// Text of several lines that may be empty; empty means absent.
fn optional_text(field: &'static str, text: Option<&str>, chars_max: usize) -> Result<Option<String>> {
    let text = text.map(|t| names::paragraph(field, t, chars_max)).transpose()?;
    Ok(text.filter(|t| !t.is_empty()))
}

/// An avatar that may be empty; empty means absent.
fn optional_avatar(avatar: Option<&str>) -> Result<Option<String>> {
    Ok(avatar.map(crate::accounts::avatar).transpose()?.filter(|a| !a.is_empty()))
}

/// Is `seq` within what `member` may read?
pub(crate) fn visible(member: &Member, seq: Seq) -> bool {
    member.is_active() && seq >= member.joined_seq
}
