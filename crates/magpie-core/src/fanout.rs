//! Fan-out: every committed entry and account event, in commit order, to the live
//! connections of the accounts that should see it.
//!
//! The store's commit feed is the one place that knows the order of commits, so one task
//! reads it and hands each item to the transport in that order: per conversation, entries
//! leave in seq order; per account, events leave in event order. Membership for an entry is
//! the store's at that entry's seq, cached per conversation and refreshed whenever an entry
//! that changes membership passes by (it passes in order too, so the cache is never stale).

use std::collections::HashMap;
use std::sync::Arc;

use crate::Deps;
use crate::chat::{Committed, Member};
use crate::model::{AccountId, ConversationId, Seq};
use crate::ports::ConversationLog;

/// Committed items the feed holds before writers wait for the fan-out to catch up.
pub const FEED_LEN_MAX: usize = 16_384;
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

/// Reads who receives a conversation's entries from `seq` on, retrying a failed read a few
/// times: the entry is stored either way, but a read that fails costs its live delivery.
async fn recipients(log: &dyn ConversationLog, id: ConversationId, seq: Seq) -> crate::Result<Vec<Member>> {
    let mut attempt = 1;
    loop {
        match log.recipients(id, seq).await {
            Ok(list) => return Ok(list),
            Err(e) if attempt >= RECIPIENT_READ_ATTEMPTS => return Err(e.into()),
            Err(_) => attempt += 1,
        }
    }
}

/// Starts the fan-out task, if this store's feed is still free.
pub(crate) fn spawn(deps: Arc<Deps>, log: Arc<dyn ConversationLog>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let Some(mut feed) = log.subscribe(FEED_LEN_MAX) else { return };
    runtime.spawn(async move {
        // Only what delivery needs: who, and the seqs their membership covers.
        let mut members: HashMap<ConversationId, Arc<Vec<Span>>> = HashMap::new();
        let mut cached = 0usize;
        while let Some(item) = feed.recv().await {
            match item {
                Committed::Entry { entry, membership_changed } => {
                    let id = entry.conversation;
                    if membership_changed && let Some(gone) = members.remove(&id) {
                        cached -= gone.len();
                    }
                    let list = match members.get(&id) {
                        Some(list) => list.clone(),
                        None => match recipients(log.as_ref(), id, entry.seq).await {
                            Ok(list) => {
                                if members.len() >= CACHED_CONVERSATIONS_MAX || cached + list.len() > CACHED_MEMBERS_MAX
                                {
                                    members.clear();
                                    cached = 0;
                                }
                                cached += list.len();
                                let list: Arc<Vec<Span>> = Arc::new(list.iter().map(Span::of).collect());
                                members.insert(id, list.clone());
                                list
                            }
                            Err(e) => {
                                // The entry is stored; its recipients catch up by sync.
                                tracing::error!(error = %e, conversation = id.0, "fan-out cannot read members");
                                continue;
                            }
                        },
                    };
                    let accounts: Vec<AccountId> =
                        list.iter().filter(|m| m.covers(entry.seq)).map(|m| m.account).collect();
                    deps.live.deliver_entry(&accounts, &entry);
                }
                Committed::Event(event) => deps.live.deliver_event(&event),
            }
        }
        tracing::error!("the commit feed closed: live delivery has stopped");
    });
}
