//! Saved messages (favourites, Qtalk's 收藏): a person keeps a copy of a message, with a note
//! of its own, and finds it again from any of its devices.
//!
//! **A copy, taken at commit.** The store copies the message (kind, body, sender, time) into
//! the saved item inside the transaction that checks the rules, so the copy is exactly what
//! the person could read at that moment: an active member, a message at or after its join,
//! not recalled. A later edit does not change the copy; leaving the conversation does not take
//! it away (it was saved while the person could read it), and nothing of the conversation
//! after the save is ever shown through it.
//!
//! **A recall erases it.** Recalling a message (its sender within the window, or a moderator)
//! erases the content of every saved copy too, in the recall's own transaction
//! ([`crate::chat::Effect::EraseSaved`]): a recall is how a company takes back what should not
//! have been sent, and a saved copy must not keep it. The item stays, marked recalled, with its
//! note, until its owner removes it.
//!
//! **Synced by the account's log.** Every change logs `saved_changed` or `saved_removed` on
//! the owner's event log, so its other devices hear of it live and after a reconnect; the
//! events carry ids only, never content, so that an erased copy leaves nothing behind in the
//! log.

use std::sync::Arc;

use serde_json::Value;

use crate::chat::{AccountEvent, Conversation, ConversationKind, Entry, Member};
use crate::conversations::{Conversations, NOT_FOUND, visible};
use crate::model::{AccountId, ConversationId, Principal, SavedId, Seq};
use crate::names::{self, AccountAddr};
use crate::ports::{ConversationLog, SavedStore, Stores};
use crate::{Deps, Error, Result};

/// Messages one account may keep saved at once.
pub const SAVED_PER_ACCOUNT_MAX: usize = 2_000;
/// Longest note on a saved message, in characters.
pub const SAVED_NOTE_CHARS_MAX: usize = 500;
/// Saved items one page lists at most.
pub const SAVED_PAGE_LEN_MAX: usize = 100;

/// A message one account saved, as it was when saved.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedItem {
    pub id: SavedId,
    pub account: AccountId,
    pub conversation: ConversationId,
    pub conversation_kind: ConversationKind,
    /// A group's or channel's name when the message was saved.
    pub conversation_name: Option<String>,
    /// The other member of a direct chat (the account itself in notes to self).
    pub peer: Option<AccountAddr>,
    pub seq: Seq,
    pub sender: AccountAddr,
    pub kind: String,
    /// The message's body when it was saved; `None` once its sender (or a moderator) recalled
    /// it.
    pub body: Option<Value>,
    /// When the message was sent.
    pub at_ms: i64,
    pub note: Option<String>,
    pub saved_at_ms: i64,
    /// When the message was recalled, if it was after the save.
    pub recalled_at_ms: Option<i64>,
}

/// What a save's check sees, read inside the save's transaction.
pub struct SavePrecondition<'a> {
    pub conversation: &'a Conversation,
    /// The saver's membership row, if it has one (active or not).
    pub member: Option<&'a Member>,
    /// The entry to save, if it exists.
    pub entry: Option<&'a Entry>,
    /// Items the account has saved now.
    pub saved: usize,
}

/// The rule a save must pass at commit; a refusal saves nothing.
pub type SaveCheck = Box<dyn Fn(&SavePrecondition<'_>) -> Result<()> + Send + Sync>;

/// A save to make: the store copies the entry at (`conversation`, `seq`) if `check` passes.
pub struct NewSaved {
    pub account: AccountId,
    pub conversation: ConversationId,
    pub seq: Seq,
    /// The other member of a direct chat, as the item will name it.
    pub peer: Option<AccountId>,
    pub note: Option<String>,
    pub at_ms: i64,
    pub check: SaveCheck,
}

/// The rule of a save: the saver may read the message now, the message stands, and the account
/// has room for one more item.
pub fn may_save(p: &SavePrecondition<'_>, domain: crate::model::DomainId) -> Result<()> {
    if p.conversation.domain_id != domain || p.conversation.dissolved {
        return Err(NOT_FOUND);
    }
    let me = p.member.filter(|m| m.is_active()).ok_or(NOT_FOUND)?;
    let entry = p.entry.filter(|e| e.is_message() && visible(me, e.seq)).ok_or(Error::NotFound("message"))?;
    if entry.recalled_at_ms.is_some() || entry.body.is_none() {
        return Err(Error::NotFound("message"));
    }
    if p.saved >= SAVED_PER_ACCOUNT_MAX {
        return Err(Error::LimitExceeded("you have saved as many messages as you may; remove some first"));
    }
    Ok(())
}

#[derive(Clone)]
pub struct Saved {
    deps: Arc<Deps>,
    store: Arc<dyn SavedStore>,
    log: Arc<dyn ConversationLog>,
    conversations: Conversations,
}

impl Saved {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, conversations: Conversations) -> Saved {
        Saved { deps, store: stores.saved.clone(), log: stores.log.clone(), conversations }
    }

    /// Saves a copy of a message the caller can read, with an optional note. Saving a message
    /// saved before answers that item, unchanged (`false`): a retry is safe.
    pub async fn save(
        &self,
        caller: &Principal,
        id: ConversationId,
        seq: Seq,
        note: Option<&str>,
    ) -> Result<(SavedItem, bool)> {
        if seq.0 < 1 {
            return Err(Error::invalid("seq", "must be a seq of this conversation"));
        }
        let note = note_text(note)?;
        let (conversation, _) = self.conversations.membership(caller, id).await?;
        let peer = match conversation.kind {
            ConversationKind::Direct => {
                let members = self.log.members(id, None, 2).await?;
                let other = members.iter().find(|m| m.account != caller.account.id);
                Some(other.map_or(caller.account.id, |m| m.account))
            }
            ConversationKind::Group | ConversationKind::Channel => None,
        };
        let domain = caller.account.domain_id;
        let check: SaveCheck = Box::new(move |p| may_save(p, domain));
        let new = NewSaved {
            account: caller.account.id,
            conversation: id,
            seq,
            peer,
            note,
            at_ms: self.deps.clock.now_ms(),
            check,
        };
        self.store.save(new).await?
    }

    /// The caller's saved messages, newest first, below `before` for paging; and whether more
    /// remain.
    pub async fn list(
        &self,
        caller: &Principal,
        before: Option<SavedId>,
        limit: usize,
    ) -> Result<(Vec<SavedItem>, bool)> {
        if before.is_some_and(|b| b.0 < 0) {
            return Err(Error::invalid("before", "must not be negative"));
        }
        let limit = limit.clamp(1, SAVED_PAGE_LEN_MAX);
        let mut items = self.store.saved_items(caller.account.id, before, limit + 1).await?;
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more))
    }

    /// One of the caller's saved messages.
    pub async fn get(&self, caller: &Principal, id: SavedId) -> Result<SavedItem> {
        self.store.saved_item(caller.account.id, id).await?.ok_or(Error::NotFound("saved message"))
    }

    /// Sets (or, with `None` or nothing but spaces, clears) the note of a saved message.
    pub async fn set_note(&self, caller: &Principal, id: SavedId, note: Option<&str>) -> Result<SavedItem> {
        let note = note_text(note)?;
        let account = caller.account.id;
        let events = vec![(account, AccountEvent::SavedChanged { id })];
        let now = self.deps.clock.now_ms();
        self.store.set_saved_note(account, id, note, events, now).await?.ok_or(Error::NotFound("saved message"))
    }

    /// Removes a saved message.
    pub async fn remove(&self, caller: &Principal, id: SavedId) -> Result<()> {
        let account = caller.account.id;
        let events = vec![(account, AccountEvent::SavedRemoved { id })];
        let removed = self.store.remove_saved(account, id, events, self.deps.clock.now_ms()).await?;
        if removed { Ok(()) } else { Err(Error::NotFound("saved message")) }
    }
}

/// A note as stored: several lines, at most [`SAVED_NOTE_CHARS_MAX`]; empty means none.
fn note_text(note: Option<&str>) -> Result<Option<String>> {
    let note = note.map(|n| names::paragraph("note", n, SAVED_NOTE_CHARS_MAX)).transpose()?;
    Ok(note.filter(|n| !n.is_empty()))
}

/// Table tests of the save rule, each row a state the store may find at commit.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;
    use crate::chat::{GroupInfo, MemberRole};
    use crate::model::{Activity, DomainId, EntryId};

    fn conversation(domain: i64, dissolved: bool) -> Conversation {
        Conversation {
            id: ConversationId(1),
            domain_id: DomainId(domain),
            kind: ConversationKind::Group,
            info: GroupInfo::default(),
            owner: None,
            mute_all: false,
            last_seq: Seq(10),
            activity: Activity(1),
            last_activity_ms: 0,
            member_count: 2,
            created_at_ms: 0,
            dissolved,
            pruned_through: Seq(0),
        }
    }

    fn member(joined: i64, active: bool) -> Member {
        Member {
            conversation: ConversationId(1),
            account: AccountId(7),
            addr: AccountAddr::parse("saver@acme.example").unwrap(),
            role: MemberRole::Member,
            joined_seq: Seq(joined),
            left_seq: if active { None } else { Some(Seq(9)) },
            muted_until_ms: None,
            read_seq: Seq(0),
            delivered_seq: Seq(0),
            pinned: false,
            muted: false,
            draft: None,
            marked_unread: false,
            unmute_at_ms: None,
            notify_level: None,
        }
    }

    fn entry(kind: &str, seq: i64, recalled: bool) -> Entry {
        Entry {
            conversation: ConversationId(1),
            seq: Seq(seq),
            id: EntryId(seq),
            sender: AccountId(8),
            sender_addr: AccountAddr::parse("sender@acme.example").unwrap(),
            session: None,
            client_msg_id: None,
            kind: kind.to_owned(),
            body: if recalled { None } else { Some(json!({"text": "keep this"})) },
            target: None,
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            broadcast: false,
            thread_summary: None,
            forwarded_from: None,
            at_ms: 0,
            edited_at_ms: None,
            recalled_at_ms: recalled.then_some(1),
            reactions: vec![],
            hidden: false,
        }
    }

    #[test]
    fn who_may_save_what() {
        let max = SAVED_PER_ACCOUNT_MAX;
        // (domain, dissolved, member: (joined, active), entry: (kind, seq, recalled), saved, answer)
        type Row = (i64, bool, Option<(i64, bool)>, Option<(&'static str, i64, bool)>, usize, &'static str);
        let rows: &[Row] = &[
            (1, false, Some((1, true)), Some(("text", 5, false)), 0, "ok"),
            (1, false, Some((1, true)), Some(("newer_kind", 5, false)), max - 1, "ok"),
            (1, false, Some((1, true)), Some(("text", 5, false)), max, "limit_exceeded"),
            (2, false, Some((1, true)), Some(("text", 5, false)), 0, "not_found"),
            (1, true, Some((1, true)), Some(("text", 5, false)), 0, "not_found"),
            (1, false, None, Some(("text", 5, false)), 0, "not_found"),
            (1, false, Some((1, false)), Some(("text", 5, false)), 0, "not_found"),
            (1, false, Some((6, true)), Some(("text", 5, false)), 0, "not_found"),
            (1, false, Some((1, true)), Some(("text", 5, true)), 0, "not_found"),
            (1, false, Some((1, true)), Some(("system", 5, false)), 0, "not_found"),
            (1, false, Some((1, true)), Some(("reaction", 5, false)), 0, "not_found"),
            (1, false, Some((1, true)), None, 0, "not_found"),
        ];
        for (i, (domain, dissolved, me, target, saved, answer)) in rows.iter().enumerate() {
            let conversation = conversation(*domain, *dissolved);
            let me = me.map(|(joined, active)| member(joined, active));
            let target = target.map(|(kind, seq, recalled)| entry(kind, seq, recalled));
            let p = SavePrecondition {
                conversation: &conversation,
                member: me.as_ref(),
                entry: target.as_ref(),
                saved: *saved,
            };
            let got = match may_save(&p, DomainId(1)) {
                Ok(()) => "ok",
                Err(Error::NotFound(_)) => "not_found",
                Err(Error::LimitExceeded(_)) => "limit_exceeded",
                Err(_) => "other",
            };
            assert_eq!(got, *answer, "row {i}");
        }
    }

    #[test]
    fn a_note_is_trimmed_and_an_empty_one_is_none() {
        assert_eq!(note_text(Some("  for Friday \r\n ")).unwrap(), Some("for Friday".into()));
        assert_eq!(note_text(Some("   ")).unwrap(), None);
        assert_eq!(note_text(None).unwrap(), None);
        assert!(note_text(Some(&"长".repeat(SAVED_NOTE_CHARS_MAX))).is_ok());
        assert!(matches!(
            note_text(Some(&"长".repeat(SAVED_NOTE_CHARS_MAX + 1))),
            Err(Error::TooLarge { field: "note", .. })
        ));
        assert!(matches!(note_text(Some("a\u{7}b")), Err(Error::InvalidField { ref field, .. }) if field == "note"));
    }
}
