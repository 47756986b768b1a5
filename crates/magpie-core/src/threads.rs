//! Threads: replies to a message kept beside the chat (docs/protocol.md §7.12).
//!
//! **In the conversation's log.** A thread reply is an ordinary entry of its conversation,
//! appended by [`crate::messages::Messages::send`] with a root: it takes the next seq, so sync,
//! live delivery, read marks, edits, recalls, reactions and receipts need nothing new. What
//! sets it apart is its effects: without `broadcast` it is not a message of the chat
//! ([`crate::chat::Effect::Message`] is left out), so the chat's unread and mention counts,
//! its last message and the sender's read mark stay as they were, and instead
//! [`crate::chat::Effect::ThreadReply`] counts it in its thread and moves who follows it.
//!
//! **Following is each account's own.** Whether an account follows a thread and how far it
//! read it is a row of its own, written in the reply's transaction when it replies (or is
//! mentioned, or sent the root) and by [`Threads::update`] when it chooses. A choice logs
//! `thread_changed` on the account's event log so that its devices converge; a reply's own
//! following is not logged, since every device sees the reply.

use std::sync::Arc;

use crate::chat::{Entry, Page, Thread, ThreadFollow};
use crate::conversations::Conversations;
use crate::model::{ConversationId, Principal, Seq};
use crate::ports::{ConversationLog, Stores, ThreadStore};
use crate::{Deps, Error, Result};

/// Followed threads one list gives at most.
pub const THREADS_LIST_MAX: usize = 100;
/// Followed threads a list gives when the caller does not say.
pub const THREADS_LIST_DEFAULT: usize = 50;

/// A page of one thread, as the caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadPage {
    /// The root as it is now, with its summary.
    pub root: Entry,
    /// Replies, as they are now, oldest first.
    pub entries: Vec<Entry>,
    /// The caller's standing in the thread.
    pub follow: ThreadFollow,
}

#[derive(Clone)]
pub struct Threads {
    deps: Arc<Deps>,
    store: Arc<dyn ThreadStore>,
    log: Arc<dyn ConversationLog>,
    conversations: Conversations,
}

impl Threads {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, conversations: Conversations) -> Threads {
        Threads { deps, store: stores.threads.clone(), log: stores.log.clone(), conversations }
    }

    /// A page of the thread rooted at `root`: replies after `Page::After(seq)` or before
    /// `Page::Before(seq)`, oldest first either way, within what the caller may read of the
    /// conversation (a former member reads up to the end of its membership).
    pub async fn page(
        &self,
        caller: &Principal,
        id: ConversationId,
        root: Seq,
        page: Page,
        limit: usize,
    ) -> Result<ThreadPage> {
        match page {
            Page::After(seq) if seq.0 < 0 => return Err(Error::invalid("after", "must not be negative")),
            Page::Before(seq) if seq.0 < 0 => return Err(Error::invalid("before", "must not be negative")),
            _ => {}
        }
        let (conversation, me) = self.conversations.readable(caller, id).await?;
        let floor = conversation.readable_floor(&me);
        let root_entry = self.root(caller, id, root, floor, me.left_seq).await?;
        let limit = limit.clamp(1, self.deps.settings.history_page_len_max.max(1));
        let entries = self.store.thread_entries(id, root, page, floor, me.left_seq, limit, caller.account.id).await?;
        let follow = self.follow_of(caller, id, root).await?;
        Ok(ThreadPage { root: root_entry, entries, follow })
    }

    /// Follows or unfollows a thread, and raises the caller's read mark in it (clamped to the
    /// conversation's last seq). The caller's other devices hear of a change.
    pub async fn update(
        &self,
        caller: &Principal,
        id: ConversationId,
        root: Seq,
        following: Option<bool>,
        read_seq: Option<Seq>,
    ) -> Result<Thread> {
        if read_seq.is_some_and(|seq| seq.0 < 0) {
            return Err(Error::invalid("read_seq", "must not be negative"));
        }
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        let floor = conversation.readable_floor(&me);
        let root_entry = self.root(caller, id, root, floor, None).await?;
        let read_seq = read_seq.map(|seq| seq.min(conversation.last_seq));
        let account = caller.account.id;
        let now = self.deps.clock.now_ms();
        let follow = self.store.update_thread_follow(account, id, root, following, read_seq, now).await?;
        let unread = self.store.thread_unread(account, id, root, follow.read_seq).await?;
        Ok(Thread { root: root_entry, follow, unread })
    }

    /// The threads the caller follows (only one conversation's with `conversation`), the one
    /// with the newest reply first.
    pub async fn list(
        &self,
        caller: &Principal,
        conversation: Option<ConversationId>,
        limit: Option<usize>,
    ) -> Result<Vec<Thread>> {
        if let Some(id) = conversation {
            self.conversations.membership(caller, id).await?;
        }
        let limit = limit.unwrap_or(THREADS_LIST_DEFAULT).clamp(1, THREADS_LIST_MAX);
        Ok(self.store.followed_threads(caller.account.id, conversation, limit).await?)
    }

    /// The root as the caller sees it now: a message it can read that is not a thread reply.
    async fn root(
        &self,
        caller: &Principal,
        id: ConversationId,
        root: Seq,
        floor: Seq,
        ceiling: Option<Seq>,
    ) -> Result<Entry> {
        if root.0 < 1 {
            return Err(Error::NotFound("message"));
        }
        let mut page = self.log.entries(id, Page::After(Seq(root.0 - 1)), floor, ceiling, 1, caller.account.id).await?;
        let entry = page.pop().filter(|e| e.seq == root && e.is_message()).ok_or(Error::NotFound("message"))?;
        if entry.thread.is_some() {
            return Err(Error::invalid("root", "is a thread reply; its thread is that of its root"));
        }
        Ok(entry)
    }

    /// The caller's standing in a thread: at the root, unfollowed, if it never followed it.
    async fn follow_of(&self, caller: &Principal, id: ConversationId, root: Seq) -> Result<ThreadFollow> {
        let follow = self.store.thread_follow(caller.account.id, id, root).await?;
        Ok(follow.unwrap_or(ThreadFollow { following: false, read_seq: root }))
    }
}
