//! Group receipts as they happen. When a member's read or delivery mark passes messages of
//! others in a group or channel, the senders of those messages hear of it: an ephemeral
//! `marks` signal with the member's marks as they now are. A sender gets at most one signal per
//! conversation every [`MARKS_INTERVAL`]: marks that move meanwhile wait and go together, each
//! member with its newest marks, so a busy group costs each sender one signal a second, not one
//! per reader per message.
//!
//! Like typing, the signal is never stored and may be lost (a full queue, a reconnect): the
//! marks themselves are in the store, and `list_members` reads them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::{AccountId, ConversationId, Seq};
use crate::names::AccountAddr;
use crate::ports::{Bus, Wake};
use crate::presence::Signal;

/// How long marks wait for others before they are told together.
pub const MARKS_INTERVAL: Duration = Duration::from_secs(1);
/// Groups and channels up to this many members tell senders of their members' marks; in larger
/// ones senders ask with `get_receipts`.
pub const MARKS_GROUP_MEMBERS_MAX: u32 = 100;
/// The most entries read, newest first, to find whose messages a mark passed.
pub const MARKS_SCAN_MAX: usize = 200;
/// The most (sender, conversation) pairs waiting at once; past it, new ones are not told.
const MARKS_PENDING_MAX: usize = 100_000;

/// One member's marks in a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMarks {
    pub account: AccountAddr,
    pub read_seq: Seq,
    pub delivered_seq: Seq,
}

type Pending = HashMap<(AccountId, ConversationId), BTreeMap<AccountId, MemberMarks>>;

pub(crate) struct MarkSignals {
    bus: Arc<dyn Bus>,
    pending: Mutex<Pending>,
}

impl MarkSignals {
    pub(crate) fn new(bus: Arc<dyn Bus>) -> Arc<MarkSignals> {
        Arc::new(MarkSignals { bus, pending: Mutex::new(HashMap::new()) })
    }

    /// `member`'s marks moved past messages of `senders` in `conversation`: tell them, once the
    /// interval has passed.
    pub(crate) fn note(
        self: &Arc<Self>,
        conversation: ConversationId,
        member: AccountId,
        marks: &MemberMarks,
        senders: &[AccountId],
    ) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for sender in senders {
            let key = (*sender, conversation);
            if let Some(waiting) = pending.get_mut(&key) {
                waiting.insert(member, marks.clone());
                continue;
            }
            if pending.len() >= MARKS_PENDING_MAX {
                continue;
            }
            pending.insert(key, BTreeMap::from([(member, marks.clone())]));
            let this = Arc::clone(self);
            tokio::spawn(async move {
                tokio::time::sleep(MARKS_INTERVAL).await;
                this.flush(key);
            });
        }
    }

    fn flush(&self, key: (AccountId, ConversationId)) {
        let waiting = self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        let Some(members) = waiting else { return };
        let signal = Signal::Marks { conversation: key.1, members: members.into_values().collect() };
        self.bus.publish(Wake::Signal { accounts: Arc::from([key.0]), signal });
    }
}
