//! Fan-out: every committed entry and account event to the live connections of this node's
//! accounts that should see it, and the bus's signals and profile changes to theirs.
//!
//! It is a [`Follower`] of the log that starts at the head and saves no cursor: it sees what
//! commits, on any node, in commit order (so, per conversation, in seq order, whatever order
//! the wakes arrive in), and a connection that was away catches up by sync. Who receives an
//! entry is decided by membership as of the entry's seq: the members of a conversation are
//! cached as spans (joined, left), and the cache is dropped when an entry that changes
//! membership passes by. Entries pass in seq order, so the cache is never older than the
//! entry it serves.
//!
//! It also tells this node's sender of scheduled messages when one changed anywhere (a
//! `scheduled_changed` account event passing by), so that the sender's timer follows edits
//! made on other nodes too.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::chat::{AccountEvent, Committed, Entry, Member};
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::model::{AccountId, ConversationId, Seq};
use crate::ports::{Bus, ConversationLog, LiveConnections, Wake};
use crate::scheduled::Scheduled;

/// The fan-out's name among the log's followers.
pub const NAME: &str = "fanout";
/// Conversations whose members are cached; past this the cache starts over.
const CACHED_CONVERSATIONS_MAX: usize = 4_096;
/// Reads of a conversation's members tried before its entry goes undelivered live.
const RECIPIENT_READ_ATTEMPTS: u32 = 3;
/// Memberships cached in all; past this the cache starts over.
const CACHED_MEMBERS_MAX: usize = 1_000_000;

/// One membership as delivery sees it.
struct Span {
    account: AccountId,
    joined: Seq,
    left: Option<Seq>,
}

impl Span {
    fn of(m: &Member) -> Span {
        Span { account: m.account, joined: m.joined_seq, left: m.left_seq }
    }

    fn covers(&self, seq: Seq) -> bool {
        self.joined <= seq && self.left.is_none_or(|left| seq < left)
    }
}

/// Starts the fan-out on the current tokio runtime; returns its status for `/metrics`.
pub(crate) fn spawn(
    log: Arc<dyn ConversationLog>,
    bus: Arc<dyn Bus>,
    live: Arc<dyn LiveConnections>,
    scheduled: Scheduled,
    poll_interval: std::time::Duration,
) -> Option<Arc<FollowerStatus>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let deliver =
        Deliver { log: log.clone(), live, scheduled, members: HashMap::new(), cached: 0, delivered: HashMap::new() };
    let follower = Follower::new(NAME, log, None, bus, deliver).with_poll_interval(poll_interval);
    let status = follower.status();
    runtime.spawn(follower.run(Start::Head));
    Some(status)
}

/// Hands what the log brings to this node's live connections.
struct Deliver {
    log: Arc<dyn ConversationLog>,
    live: Arc<dyn LiveConnections>,
    /// Told when a scheduled message changed (scheduled or edited, on any node), so that this
    /// node's sender sets its timer again: the account's log is how that news reaches every
    /// node.
    scheduled: Scheduled,
    /// Only what delivery needs: who, and the seqs their membership covers.
    members: HashMap<ConversationId, Arc<Vec<Span>>>,
    cached: usize,
    /// The last seq delivered per conversation (cleared with the member cache): delivery
    /// never goes back in a conversation.
    delivered: HashMap<ConversationId, Seq>,
}

impl Deliver {
    /// Reads who receives a conversation's entries from `seq` on, retrying a failed read a
    /// few times: the entry is stored either way, but a read that fails costs its live
    /// delivery.
    async fn recipients(&self, id: ConversationId, seq: Seq) -> crate::Result<Vec<Member>> {
        let mut attempt = 1;
        loop {
            match self.log.recipients(id, seq).await {
                Ok(list) => return Ok(list),
                Err(e) if attempt >= RECIPIENT_READ_ATTEMPTS => return Err(e.into()),
                Err(_) => attempt += 1,
            }
        }
    }

    async fn members(&mut self, entry: &Entry) -> Option<Arc<Vec<Span>>> {
        let id = entry.conversation;
        if let Some(list) = self.members.get(&id) {
            return Some(list.clone());
        }
        match self.recipients(id, entry.seq).await {
            Ok(list) => {
                if self.members.len() >= CACHED_CONVERSATIONS_MAX || self.cached + list.len() > CACHED_MEMBERS_MAX {
                    self.members.clear();
                    self.delivered.clear();
                    self.cached = 0;
                }
                self.cached += list.len();
                let list: Arc<Vec<Span>> = Arc::new(list.iter().map(Span::of).collect());
                self.members.insert(id, list.clone());
                Some(list)
            }
            Err(e) => {
                // The entry is stored; its recipients catch up by sync.
                tracing::error!(error = %e, conversation = id.0, "fan-out cannot read members");
                None
            }
        }
    }

    async fn entry(&mut self, entry: &Entry, membership_changed: bool) {
        let id = entry.conversation;
        let previous = self.delivered.insert(id, entry.seq);
        if let Some(previous) = previous
            && previous >= entry.seq
        {
            tracing::error!(conversation = id.0, seq = entry.seq.0, previous = previous.0, "fan-out went back");
            debug_assert!(previous < entry.seq, "the fan-out went back in a conversation");
            return;
        }
        if membership_changed && let Some(gone) = self.members.remove(&id) {
            self.cached -= gone.len();
        }
        let Some(list) = self.members(entry).await else { return };
        let accounts: Vec<AccountId> = list.iter().filter(|m| m.covers(entry.seq)).map(|m| m.account).collect();
        self.live.deliver_entry(&accounts, entry);
    }
}

#[async_trait]
impl LogHandler for Deliver {
    async fn handle(&mut self, items: &[Committed]) -> crate::Result<()> {
        for item in items {
            match item {
                Committed::Entry { entry, membership_changed } => self.entry(entry, *membership_changed).await,
                Committed::Event(event) => {
                    if matches!(event.event, AccountEvent::ScheduledChanged { .. }) {
                        self.scheduled.changed();
                    }
                    self.live.deliver_event(event);
                }
            }
        }
        Ok(())
    }

    fn other(&mut self, wake: &Wake) {
        match wake {
            Wake::Signal { accounts, signal } => self.live.signal(accounts, signal),
            Wake::Profile(account) => self.live.profile_updated(account),
            Wake::Directory(domain) => self.live.directory_changed(*domain),
            Wake::Log { .. } => {}
        }
    }
}
