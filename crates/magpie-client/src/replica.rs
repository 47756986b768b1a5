//! A client-side replica that follows the sync algorithm of `docs/protocol.md`: cursors per
//! conversation and for the account log, catch-up by `sync` and `get_messages`, and the seq
//! rule for pushed entries (apply the next one, drop duplicates, fill gaps from history).
//!
//! It keeps every entry in memory, which suits tests, tools and the bench; an app would keep
//! the same cursors next to its own storage.

use std::collections::{BTreeMap, HashMap};

use magpie_wire::{self as wire, AccountEvent, Event};

use crate::live::{Connection, Incoming};
use crate::rest::Result;

/// Entries fetched per history request while catching up.
const PAGE_LEN: i64 = 200;

/// What the replica holds of one conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationReplica {
    /// The highest seq applied with nothing missing below it (from the member's first seq).
    pub seq_cursor: i64,
    /// Entries by seq, as received (pushed entries as appended, fetched ones as they were then).
    pub entries: BTreeMap<i64, wire::Entry>,
    /// The membership ended: nothing more will come.
    pub left: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Replica {
    pub events_cursor: i64,
    pub conversations_cursor: i64,
    pub conversations: HashMap<i64, ConversationReplica>,
    /// Account events applied, in order.
    pub events: Vec<wire::AccountEventFrame>,
}

impl Replica {
    pub fn new() -> Replica {
        Replica::default()
    }

    /// Runs `sync` until nothing more is pending, fetching every conversation's missed entries.
    pub async fn catch_up(&mut self, live: &Connection) -> Result<()> {
        loop {
            let page = live
                .sync(wire::SyncRequest {
                    events_after: self.events_cursor,
                    conversations_after: self.conversations_cursor,
                    limit: None,
                })
                .await?;
            for event in page.events {
                self.apply_event(live, event).await?;
            }
            for conversation in &page.conversations {
                self.fetch(live, conversation.id, conversation.last_seq).await?;
            }
            self.conversations_cursor = self.conversations_cursor.max(page.conversations_cursor);
            if !page.more {
                return Ok(());
            }
        }
    }

    /// Applies one pushed frame; a gap is filled from history before the pushed entry.
    pub async fn handle(&mut self, live: &Connection, incoming: Incoming) -> Result<()> {
        match incoming {
            Incoming::Event(Event::Entry(entry)) => self.apply_entry(live, *entry).await,
            Incoming::Event(Event::Account(event)) => {
                if event.seq > self.events_cursor + 1 {
                    // A gap in the account log: sync fills it (and applies this event too).
                    return self.catch_up(live).await;
                }
                self.apply_event(live, event).await
            }
            _ => Ok(()),
        }
    }

    /// Applies a pushed entry by the seq rule.
    pub async fn apply_entry(&mut self, live: &Connection, entry: wire::Entry) -> Result<()> {
        let id = entry.conversation;
        let cursor = self.conversations.get(&id).map_or(0, |c| c.seq_cursor);
        if entry.seq <= cursor {
            return Ok(());
        }
        if entry.seq > cursor + 1 {
            self.fetch(live, id, entry.seq - 1).await?;
        }
        let conversation = self.conversations.entry(id).or_default();
        if entry.seq == conversation.seq_cursor + 1 {
            conversation.seq_cursor = entry.seq;
        }
        conversation.entries.entry(entry.seq).or_insert(entry);
        Ok(())
    }

    async fn apply_event(&mut self, live: &Connection, event: wire::AccountEventFrame) -> Result<()> {
        if event.seq <= self.events_cursor {
            return Ok(());
        }
        match &event.event {
            AccountEvent::ConversationLeft { conversation, .. } => {
                // What came before the end may still be missing here (another device got it
                // live). Fetched before the cursor moves, so that a failure is retried.
                let id = *conversation;
                self.fetch(live, id, i64::MAX).await?;
                self.conversations.entry(id).or_default().left = true;
            }
            AccountEvent::ConversationJoined { conversation } => {
                self.conversations.entry(*conversation).or_default().left = false;
            }
            _ => {}
        }
        self.events_cursor = event.seq;
        self.events.push(event);
        Ok(())
    }

    /// Fetches entries after the conversation's cursor up to `last_seq`.
    async fn fetch(&mut self, live: &Connection, id: i64, last_seq: i64) -> Result<()> {
        loop {
            let cursor = self.conversations.get(&id).map_or(0, |c| c.seq_cursor);
            if cursor >= last_seq {
                return Ok(());
            }
            let query = wire::HistoryQuery { after: Some(cursor), before: None, limit: Some(PAGE_LEN) };
            let page = live.messages(id, query).await?;
            if page.entries.is_empty() {
                return Ok(());
            }
            let conversation = self.conversations.entry(id).or_default();
            for entry in page.entries {
                conversation.seq_cursor = conversation.seq_cursor.max(entry.seq);
                conversation.entries.insert(entry.seq, entry);
            }
        }
    }

    /// The seqs held for a conversation, in order.
    pub fn seqs(&self, id: i64) -> Vec<i64> {
        self.conversations.get(&id).map(|c| c.entries.keys().copied().collect()).unwrap_or_default()
    }
}
