//! Presence and typing: ephemeral signals, kept in memory and never stored.
//!
//! An account is online while it has a live connection, with the status it chose (online,
//! away, busy) and a status text; offline with its last-seen time otherwise. Changes go to
//! its audience: its contacts and the members of its direct chats and small groups (up to
//! `presence_group_members_max` members), all in its own domain by construction, minus the
//! accounts it blocks. Typing goes to the other members of one conversation, at most once per
//! [`TYPING_INTERVAL_MS`] per account and conversation. Both may be dropped; neither is
//! replayed by sync. Who is connected, and with what status, is kept by the
//! [`PresenceStore`] port: [`MemoryPresence`], one process's memory, by default; in a cluster
//! a store the nodes share, so that an account connected to two nodes is online until both of
//! its connections close. The signals travel on the [`Bus`](crate::ports::Bus).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::StoreError;
use crate::accounts::Accounts;
use crate::chat::ConversationKind;
use crate::conversations::Conversations;
use crate::model::{AccountId, ConversationId, Principal};
use crate::names::{self, AccountAddr};
use crate::ports::{ContactStore, PresenceStore, SessionStore, Stores, Wake};
use crate::{Deps, Error, Result};

/// Typing signals relayed per account and conversation: one per this many milliseconds.
pub const TYPING_INTERVAL_MS: i64 = 2_000;
/// Groups larger than this get no typing signals (nobody reads "37 people are typing").
pub const TYPING_GROUP_MEMBERS_MAX: u32 = 500;
/// Longest status text, in characters.
pub const STATUS_TEXT_CHARS_MAX: usize = 128;
/// Accounts one presence query may name.
pub const PRESENCE_QUERY_LEN_MAX: usize = 500;
/// Typing windows remembered before the oldest are forgotten.
const TYPING_KEYS_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Away,
    Busy,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Busy => "busy",
            Status::Offline => "offline",
        }
    }
}

/// What others see of an account's presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceInfo {
    pub account: AccountAddr,
    pub status: Status,
    pub text: Option<String>,
    /// When it was last connected; `None` while online or if never seen.
    pub last_seen_ms: Option<i64>,
}

/// An ephemeral signal for live connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Typing {
        conversation: ConversationId,
        account: AccountAddr,
    },
    Presence(PresenceInfo),
    /// Members' marks moved past the receiver's messages (see [`crate::marks`]).
    Marks {
        conversation: ConversationId,
        members: Vec<crate::marks::MemberMarks>,
    },
}

#[derive(Debug, Clone)]
struct State {
    addr: AccountAddr,
    connections: usize,
    /// The status chosen while connected (online, away or busy).
    chosen: Status,
    text: Option<String>,
    last_seen_ms: Option<i64>,
}

impl State {
    fn new(addr: &AccountAddr) -> State {
        State { addr: addr.clone(), connections: 0, chosen: Status::Online, text: None, last_seen_ms: None }
    }

    fn info(&self) -> PresenceInfo {
        let online = self.connections > 0;
        PresenceInfo {
            account: self.addr.clone(),
            status: if online { self.chosen } else { Status::Offline },
            text: self.text.clone(),
            last_seen_ms: if online { None } else { self.last_seen_ms },
        }
    }
}

/// [`PresenceStore`] in this process's memory: an account's state is kept from its first
/// connection (or chosen status) for as long as the process runs, so the map is bounded by the
/// domain's accounts.
#[derive(Default)]
pub struct MemoryPresence {
    states: Mutex<HashMap<AccountId, State>>,
}

#[async_trait::async_trait]
impl PresenceStore for MemoryPresence {
    async fn connected(&self, account: AccountId, addr: &AccountAddr) -> Result<Option<PresenceInfo>, StoreError> {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        let state = states.entry(account).or_insert_with(|| State::new(addr));
        state.connections += 1;
        Ok((state.connections == 1).then(|| state.info()))
    }

    async fn disconnected(&self, account: AccountId, now_ms: i64) -> Result<Option<PresenceInfo>, StoreError> {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        let Some(state) = states.get_mut(&account) else { return Ok(None) };
        state.connections = state.connections.saturating_sub(1);
        if state.connections > 0 {
            return Ok(None);
        }
        state.last_seen_ms = Some(now_ms);
        Ok(Some(state.info()))
    }

    async fn choose(
        &self,
        account: AccountId,
        addr: &AccountAddr,
        status: Status,
        text: Option<String>,
    ) -> Result<PresenceInfo, StoreError> {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        let state = states.entry(account).or_insert_with(|| State::new(addr));
        state.chosen = status;
        if let Some(text) = text {
            state.text = if text.is_empty() { None } else { Some(text) };
        }
        Ok(state.info())
    }

    async fn get(&self, account: AccountId) -> Result<Option<PresenceInfo>, StoreError> {
        Ok(self.states.lock().unwrap_or_else(|e| e.into_inner()).get(&account).map(State::info))
    }
}

#[derive(Clone)]
pub struct Presence {
    deps: Arc<Deps>,
    contact_store: Arc<dyn ContactStore>,
    session_store: Arc<dyn SessionStore>,
    store: Arc<dyn PresenceStore>,
    accounts: Accounts,
    conversations: Conversations,
    typing: Arc<Mutex<HashMap<(AccountId, ConversationId), i64>>>,
}

impl Presence {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts, conversations: Conversations) -> Presence {
        Presence {
            deps,
            contact_store: stores.contacts.clone(),
            session_store: stores.sessions.clone(),
            store: stores.presence.clone(),
            accounts,
            conversations,
            typing: Arc::default(),
        }
    }

    /// A connection of the caller opened.
    pub async fn connected(&self, caller: &Principal) {
        match self.store.connected(caller.account.id, &caller.account.addr).await {
            Ok(Some(info)) => self.announce(caller.account.id, info).await,
            Ok(None) => {}
            // Presence is best-effort: the next change or query corrects it.
            Err(e) => tracing::warn!(error = %e, "cannot record a connection's presence"),
        }
    }

    /// A connection of the caller closed.
    pub async fn disconnected(&self, caller: &Principal) {
        match self.store.disconnected(caller.account.id, self.deps.clock.now_ms()).await {
            Ok(Some(info)) => self.announce(caller.account.id, info).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot record a connection's end"),
        }
    }

    /// Sets the caller's status (online, away or busy) and status text (`""` clears it).
    pub async fn set(&self, caller: &Principal, status: Status, text: Option<&str>) -> Result<PresenceInfo> {
        if status == Status::Offline {
            return Err(Error::invalid("status", "must be online, away or busy; offline follows from disconnecting"));
        }
        let text = text.map(|t| names::free_text("text", t, STATUS_TEXT_CHARS_MAX)).transpose()?;
        let info = self.store.choose(caller.account.id, &caller.account.addr, status, text).await?;
        self.announce(caller.account.id, info.clone()).await;
        Ok(info)
    }

    /// The presence of accounts of the caller's domain. Accounts that block the caller, and
    /// accounts of other domains, show as offline with nothing more.
    pub async fn get(&self, caller: &Principal, addrs: &[String]) -> Result<Vec<PresenceInfo>> {
        if addrs.len() > PRESENCE_QUERY_LEN_MAX {
            return Err(Error::LimitExceeded("too many accounts in one presence query"));
        }
        let mut out = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let addr = AccountAddr::parse(addr)?;
            let account = self.accounts.in_callers_domain(caller, &addr).await?;
            let Some(account) = account.filter(|a| !a.disabled) else {
                out.push(PresenceInfo { account: addr, status: Status::Offline, text: None, last_seen_ms: None });
                continue;
            };
            // To an account it blocks, an account looks offline, last seen no later than the
            // block: frozen, as for an account that has not been back since.
            let block = self.contact_store.contact_state(account.id, caller.account.id).await?;
            let known = if block.blocks { None } else { self.store.get(account.id).await? };
            let info = match known {
                Some(info) => info,
                None => {
                    let seen = self.session_store.last_seen(account.id).await?;
                    let seen = match (seen, block.blocks_since_ms) {
                        (Some(seen), Some(since)) => Some(seen.min(since)),
                        (seen, _) => seen,
                    };
                    PresenceInfo {
                        account: account.addr.clone(),
                        status: Status::Offline,
                        text: None,
                        last_seen_ms: seen,
                    }
                }
            };
            out.push(info);
        }
        Ok(out)
    }

    /// Tells the other members of a conversation that the caller is typing, at most once per
    /// [`TYPING_INTERVAL_MS`]; more often is accepted and dropped.
    pub async fn typing(&self, caller: &Principal, id: ConversationId) -> Result<()> {
        let (conversation, _) = self.conversations.membership(caller, id).await?;
        if conversation.kind != ConversationKind::Direct && conversation.member_count > TYPING_GROUP_MEMBERS_MAX {
            return Ok(());
        }
        let now = self.deps.clock.now_ms();
        {
            let mut typing = self.typing.lock().unwrap_or_else(|e| e.into_inner());
            let key = (caller.account.id, id);
            if typing.get(&key).is_some_and(|last| now - last < TYPING_INTERVAL_MS) {
                return Ok(());
            }
            if typing.len() >= TYPING_KEYS_MAX {
                typing.retain(|_, last| now - *last < TYPING_INTERVAL_MS);
                if typing.len() >= TYPING_KEYS_MAX {
                    // All fresh: forget them all; the worst is an extra typing signal.
                    typing.clear();
                }
            }
            typing.insert(key, now);
        }
        let members = self.conversations.all_members(id).await?;
        let mut others: Vec<AccountId> =
            members.iter().map(|m| m.account).filter(|a| *a != caller.account.id).collect();
        // In a direct chat, a peer that blocks the caller does not see it typing.
        if conversation.kind == ConversationKind::Direct {
            let mut open = Vec::with_capacity(others.len());
            for peer in others {
                if !self.contact_store.contact_state(peer, caller.account.id).await?.blocks {
                    open.push(peer);
                }
            }
            others = open;
        }
        let signal = Signal::Typing { conversation: id, account: caller.account.addr.clone() };
        self.deps.bus.publish(Wake::Signal { accounts: others.into(), signal });
        Ok(())
    }

    async fn announce(&self, account: AccountId, info: PresenceInfo) {
        let max = self.deps.settings.presence_group_members_max;
        match self.contact_store.presence_audience(account, max).await {
            Ok(audience) => {
                self.deps.bus.publish(Wake::Signal { accounts: audience.into(), signal: Signal::Presence(info) })
            }
            // Presence is best-effort: a lost announcement is corrected by the next query.
            Err(e) => tracing::warn!(error = %e, "cannot read the presence audience"),
        }
    }
}
