//! Contacts: friend requests, the friends list, and blocks.
//!
//! Friendship is mutual and needs the other side's consent; a request to someone who has
//! already asked you makes you friends at once. Blocking is one-sided: a blocked account
//! may not send you direct messages or friend requests (nor, once presence exists, see
//! yours). Whether direct messages need friendship at all is a domain setting; the
//! enterprise default is that any member of a domain may message any other.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::chat::{AccountEvent, DirectPeer};
use crate::model::{Account, AccountId, Principal};
use crate::names;
use crate::ports::{ContactStore, Stores};
use crate::{Deps, Error, Result};

/// Longest friend request message, in characters.
pub const REQUEST_MESSAGE_CHARS_MAX: usize = 256;

/// Where two accounts stand, seen from the first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactState {
    pub contacts: bool,
    /// The first asked the second.
    pub requested: bool,
    /// The second asked the first.
    pub requested_by: bool,
    /// The first blocks the second.
    pub blocks: bool,
    /// Since when the first blocks the second.
    pub blocks_since_ms: Option<i64>,
    /// The second blocks the first.
    pub blocked_by: bool,
}

/// A pending friend request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    pub from: Account,
    pub to: Account,
    pub message: Option<String>,
    pub at_ms: i64,
}

/// What a friend request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Waiting for the other side.
    Requested,
    /// The other side had asked too: you are contacts now.
    Added,
}

#[derive(Clone)]
pub struct Contacts {
    deps: Arc<Deps>,
    contact_store: Arc<dyn ContactStore>,
    accounts: Accounts,
}

impl Contacts {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts) -> Contacts {
        Contacts { deps, contact_store: stores.contacts.clone(), accounts }
    }

    /// Asks `addr` to become a contact. A request to someone who blocks you is stored and
    /// goes nowhere, so that a block cannot be probed. Asking again renews the request
    /// without telling the peer again.
    pub async fn request(&self, caller: &Principal, addr: &str, message: Option<&str>) -> Result<RequestOutcome> {
        let peer = self.peer(caller, addr).await?;
        let message = message
            .map(|m| names::free_text("message", m, REQUEST_MESSAGE_CHARS_MAX))
            .transpose()?
            .filter(|m| !m.is_empty());
        let me = caller.account.id;
        let state = self.contact_store.contact_state(me, peer.id).await?;
        if state.contacts {
            return Err(Error::AlreadyExists("contact"));
        }
        if state.blocks {
            return Err(Error::invalid("account", "unblock this account first"));
        }
        if state.requested_by && !state.blocked_by {
            self.accept(caller, addr).await?;
            return Ok(RequestOutcome::Added);
        }
        let (me_addr, peer_addr) = (caller.account.addr.to_string(), peer.addr.to_string());
        let mut events = vec![(me, AccountEvent::FriendRequestSent { to: peer_addr })];
        // To someone who blocks the caller, the request is stored like any other (so the
        // caller's devices cannot tell) but the blocker neither hears of nor lists it.
        if !state.blocked_by && !state.requested {
            events.push((peer.id, AccountEvent::FriendRequest { from: me_addr, message: message.clone() }));
        }
        self.contact_store.put_friend_request(me, peer.id, message, self.deps.clock.now_ms(), events).await?;
        Ok(RequestOutcome::Requested)
    }

    /// Accepts `addr`'s pending request.
    pub async fn accept(&self, caller: &Principal, addr: &str) -> Result<()> {
        let peer = self.peer(caller, addr).await?;
        let events = vec![
            (caller.account.id, AccountEvent::ContactAdded { account: peer.addr.to_string() }),
            (peer.id, AccountEvent::ContactAdded { account: caller.account.addr.to_string() }),
        ];
        let accepted = self
            .contact_store
            .accept_friend_request(peer.id, caller.account.id, self.deps.clock.now_ms(), events)
            .await?;
        if accepted { Ok(()) } else { Err(Error::NotFound("friend request")) }
    }

    /// Declines `addr`'s pending request (or withdraws the caller's own to `addr`). The other
    /// side gets no event; the request just leaves both lists.
    pub async fn reject(&self, caller: &Principal, addr: &str) -> Result<()> {
        let peer = self.peer(caller, addr).await?;
        let me = caller.account.id;
        let now = self.deps.clock.now_ms();
        let closed = |who: &Account| vec![(me, AccountEvent::FriendRequestClosed { account: who.addr.to_string() })];
        let incoming = self.contact_store.delete_friend_request(peer.id, me, now, closed(&peer)).await?;
        let outgoing = self.contact_store.delete_friend_request(me, peer.id, now, closed(&peer)).await?;
        if incoming || outgoing { Ok(()) } else { Err(Error::NotFound("friend request")) }
    }

    /// Ends a friendship, for both sides.
    pub async fn remove(&self, caller: &Principal, addr: &str) -> Result<()> {
        let peer = self.peer(caller, addr).await?;
        let events = vec![
            (caller.account.id, AccountEvent::ContactRemoved { account: peer.addr.to_string() }),
            (peer.id, AccountEvent::ContactRemoved { account: caller.account.addr.to_string() }),
        ];
        let removed =
            self.contact_store.remove_contact(caller.account.id, peer.id, self.deps.clock.now_ms(), events).await?;
        if removed { Ok(()) } else { Err(Error::NotFound("contact")) }
    }

    /// Blocks (`on`) or unblocks `addr`. Only the caller's own devices hear of it.
    pub async fn block(&self, caller: &Principal, addr: &str, on: bool) -> Result<()> {
        let peer = self.peer(caller, addr).await?;
        let mut events =
            vec![(caller.account.id, AccountEvent::BlockChanged { account: peer.addr.to_string(), blocked: on })];
        // A request the peer made while blocked was never announced: announce it now.
        if !on && self.contact_store.contact_state(caller.account.id, peer.id).await?.requested_by {
            let event = AccountEvent::FriendRequest { from: peer.addr.to_string(), message: None };
            events.push((caller.account.id, event));
        }
        self.contact_store.set_block(caller.account.id, peer.id, on, self.deps.clock.now_ms(), events).await?;
        Ok(())
    }

    pub async fn list(&self, caller: &Principal) -> Result<Vec<Account>> {
        Ok(self.contact_store.contacts(caller.account.id).await?)
    }

    /// Pending requests to and from the caller.
    pub async fn requests(&self, caller: &Principal) -> Result<Vec<FriendRequest>> {
        Ok(self.contact_store.friend_requests(caller.account.id).await?)
    }

    pub async fn blocked(&self, caller: &Principal) -> Result<Vec<Account>> {
        Ok(self.contact_store.blocked(caller.account.id).await?)
    }

    /// May `sender` send a direct message to `peer`? Refused when the peer blocks the sender,
    /// or when the domain wants friendship and they are not contacts.
    pub(crate) async fn may_message(&self, sender: &Principal, peer: AccountId) -> Result<()> {
        if peer == sender.account.id {
            return Ok(());
        }
        let state = self.contact_store.contact_state(sender.account.id, peer).await?;
        let friendship_required = !state.contacts
            && !state.blocked_by
            && self.accounts.domain(sender.account.addr.domain.as_str()).await?.direct_requires_friendship;
        let peer = DirectPeer { blocks_author: state.blocked_by, contacts: state.contacts, friendship_required };
        if !peer.accepts() {
            return Err(Error::Forbidden);
        }
        Ok(())
    }

    async fn peer(&self, caller: &Principal, addr: &str) -> Result<Account> {
        let peer = self.accounts.profile(caller, addr).await?;
        if peer.id == caller.account.id {
            return Err(Error::invalid("account", "that is you"));
        }
        Ok(peer)
    }
}
