//! Conversation domain types: conversations, members, log entries and account events, and
//! the shape of an atomic append that the store executes.
//!
//! A conversation is a log. Every entry (a message, or an edit, recall, reaction or system
//! notice about it) gets the next `seq`. Edits, recalls and reactions are entries of their own
//! so that every device converges by replaying the same log; their effect on the entry they
//! target is also applied in place, so that history shows each message as it is now.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use crate::files::FileId;
use crate::model::{
    AccountId, Activity, ConversationId, DomainId, EntryId, EventSeq, SavedId, ScheduledId, Seq, SessionId,
};
use crate::names::AccountAddr;
use crate::notify::{Level, LevelChoice};

/// Entry kinds that are operations on another entry or notices from the server, not
/// messages: they do not count as unread and cannot be sent with `send`.
pub mod op {
    pub const EDIT: &str = "edit";
    pub const RECALL: &str = "recall";
    pub const REACTION: &str = "reaction";
    pub const SYSTEM: &str = "system";
    pub const ALL: [&str; 4] = [EDIT, RECALL, REACTION, SYSTEM];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Exactly one per pair of accounts (or one account with itself: notes to self).
    Direct,
    /// Members with roles; everyone may post unless muted.
    Group,
    /// Many readers, few writers: only the owner and admins post.
    Channel,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
            ConversationKind::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<ConversationKind> {
        match s {
            "direct" => Some(ConversationKind::Direct),
            "group" => Some(ConversationKind::Group),
            "channel" => Some(ConversationKind::Channel),
            _ => None,
        }
    }
}

/// A member's role in a group or channel. Ordered: a higher role may act on a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Member,
    Admin,
    Owner,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Admin => "admin",
            MemberRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<MemberRole> {
        match s {
            "member" => Some(MemberRole::Member),
            "admin" => Some(MemberRole::Admin),
            "owner" => Some(MemberRole::Owner),
            _ => None,
        }
    }
}

/// Name, description, avatar and announcement of a group or channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub announcement: Option<String>,
}

/// A validated change to [`GroupInfo`]: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInfoPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub announcement: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub domain_id: DomainId,
    pub kind: ConversationKind,
    pub info: GroupInfo,
    pub owner: Option<AccountId>,
    /// Only the owner and admins may post.
    pub mute_all: bool,
    /// The newest entry's seq; 0 while empty.
    pub last_seq: Seq,
    /// Where the conversation stands on the activity clock, which its creation and every
    /// append move on: the cursor of `sync`.
    pub activity: Activity,
    pub last_activity_ms: i64,
    /// Active members.
    pub member_count: u32,
    pub created_at_ms: i64,
    pub dissolved: bool,
    /// Entries up to this seq were deleted by retention (0: none): nobody reads below it.
    pub pruned_through: Seq,
}

impl Conversation {
    /// The first seq `member` may read: after its join and after what retention deleted.
    pub fn readable_floor(&self, member: &Member) -> Seq {
        Seq(member.joined_seq.0.max(self.pruned_through.0 + 1).max(1))
    }
}

/// One account's membership of a conversation, and its own state there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub conversation: ConversationId,
    pub account: AccountId,
    pub addr: AccountAddr,
    pub role: MemberRole,
    /// The first entry this member may read: its join (0 in direct chats: everything).
    pub joined_seq: Seq,
    /// Set when the member left or was removed: it may read nothing from then on.
    pub left_seq: Option<Seq>,
    /// Muted by an admin (may not post) until this time.
    pub muted_until_ms: Option<i64>,
    pub read_seq: Seq,
    pub delivered_seq: Seq,
    pub pinned: bool,
    /// Notifications muted by the member: for good, or until `unmute_at_ms`.
    pub muted: bool,
    pub draft: Option<String>,
    /// Marked unread by the member (see [`MemberSettingsPatch::marked_unread`]).
    pub marked_unread: bool,
    /// When the member's mute ends by itself (`None`: when it unmutes).
    pub unmute_at_ms: Option<i64>,
    /// The member's notification level here, over its account's.
    pub notify_level: Option<Level>,
}

impl Member {
    pub fn is_active(&self) -> bool {
        self.left_seq.is_none()
    }

    /// Whether the member's notifications here are muted at `now_ms`.
    pub fn is_muted(&self, now_ms: i64) -> bool {
        self.muted && self.unmute_at_ms.is_none_or(|at| at > now_ms)
    }

    /// The member as of `now_ms`: a mute whose time has passed is over.
    pub fn settled(mut self, now_ms: i64) -> Member {
        if !self.is_muted(now_ms) {
            self.muted = false;
            self.unmute_at_ms = None;
        }
        self
    }
}

/// Where a forwarded message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedFrom {
    pub conversation: ConversationId,
    pub seq: Seq,
    pub sender: String,
    pub at_ms: i64,
}

/// Accounts that reacted with one emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    pub accounts: Vec<AccountAddr>,
}

/// One entry of a conversation's log, as it is now (edited, recalled, reacted to).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub conversation: ConversationId,
    pub seq: Seq,
    pub id: EntryId,
    pub sender: AccountId,
    pub sender_addr: AccountAddr,
    /// The sending session (device); `None` for entries the server made.
    pub session: Option<SessionId>,
    pub client_msg_id: Option<String>,
    /// A message kind (`text`, `image`, … or one this server does not know) or an [`op`].
    pub kind: String,
    /// `None` once recalled: the content is erased and a tombstone remains.
    pub body: Option<Value>,
    /// The entry an edit, recall or reaction applies to, or that a pin notice names.
    pub target: Option<Seq>,
    pub mentions: Vec<AccountAddr>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
    /// A thread reply: the seq of its root (see [`ThreadPlace`]).
    pub thread: Option<Seq>,
    /// A thread reply that was also sent to the chat: it counts and shows as a message there.
    pub broadcast: bool,
    /// On a thread's root, read as it is now: its replies so far.
    pub thread_summary: Option<ThreadSummary>,
    pub forwarded_from: Option<ForwardedFrom>,
    pub at_ms: i64,
    pub edited_at_ms: Option<i64>,
    pub recalled_at_ms: Option<i64>,
    pub reactions: Vec<Reaction>,
    /// Deleted for the viewing account only (delete-for-me); its body is not shown.
    pub hidden: bool,
}

impl Entry {
    /// Does this entry change who receives the conversation's entries (a system notice of
    /// members joining or leaving)? What the append's effects say, read back from the entry.
    pub fn changes_membership(&self) -> bool {
        self.kind == op::SYSTEM
            && self
                .body
                .as_ref()
                .and_then(|b| b.get("event"))
                .and_then(Value::as_str)
                .is_some_and(|event| crate::notice::MEMBERSHIP_EVENTS.contains(&event))
    }

    /// Is this a message (counted as unread, shown as a bubble), not an operation or notice?
    pub fn is_message(&self) -> bool {
        !op::ALL.contains(&self.kind.as_str())
    }

    /// Is this a thread reply kept out of the chat (not also sent to it)?
    pub fn in_thread_only(&self) -> bool {
        self.thread.is_some() && !self.broadcast
    }
}

/// A thread's replies as its root shows them: how many (recalled ones too, whose tombstones
/// stay in the thread) and the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadSummary {
    pub replies: u32,
    pub last_seq: Seq,
    pub last_at_ms: i64,
}

/// Where a new message goes in a thread: the root's seq, and whether it is also sent to the
/// chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadPlace {
    pub root: Seq,
    pub broadcast: bool,
}

/// One account's standing in one thread: whether it follows it, and how far it read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadFollow {
    pub following: bool,
    pub read_seq: Seq,
}

/// A thread as one account sees it in its list of followed threads.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    /// The root as it is now, with its [`ThreadSummary`].
    pub root: Entry,
    pub follow: ThreadFollow,
    /// Replies after `follow.read_seq` that others sent, less recalled and hidden ones.
    pub unread: u32,
}

/// An entry to append; the store assigns its seq, id and place.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub conversation: ConversationId,
    pub sender: AccountId,
    pub session: Option<SessionId>,
    pub client_msg_id: Option<String>,
    pub kind: String,
    pub body: Value,
    pub target: Option<Seq>,
    pub mentions: Vec<AccountAddr>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
    /// A thread reply: its root and whether it also goes to the chat.
    pub thread: Option<ThreadPlace>,
    pub forwarded_from: Option<ForwardedFrom>,
    pub at_ms: i64,
}

impl NewEntry {
    /// The server's `system` notice in a conversation, appended as `sender`'s.
    pub fn notice(
        conversation: ConversationId,
        sender: AccountId,
        notice: &crate::notice::Notice,
        at_ms: i64,
    ) -> NewEntry {
        NewEntry {
            conversation,
            sender,
            session: None,
            client_msg_id: None,
            kind: op::SYSTEM.to_owned(),
            body: notice.body(),
            target: None,
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            forwarded_from: None,
            at_ms,
        }
    }

    /// The rules of an entry that depend on its conversation, which a store applies once it
    /// has read the conversation inside the append's transaction: `@all` means nothing in a
    /// direct chat.
    pub fn fit_to(&mut self, conversation: &Conversation) {
        self.mention_all &= conversation.kind != ConversationKind::Direct;
    }
}

/// A change that an appended entry makes to the conversation's state, applied by the store
/// in the same transaction as the append.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A message: it counts as unread for everyone but the sender, who has read up to it.
    Message,
    /// These accounts are mentioned (in addition to `@all`, recorded on the entry).
    Mention(Vec<AccountId>),
    /// The message refers to these files: its readers may read them while it stands.
    FileRefs(Vec<FileId>),
    /// The message is one of the conversation's shared items of this kind (an image, a file,
    /// a link), listed by [`crate::ports::ConversationLog::shared`].
    Share(SharedKind),
    /// Replace the target's body.
    EditTarget(Value),
    /// The target is now a shared item of this kind, or of none: an edit may add or take away
    /// a link, and a recall takes the message out of the shared items.
    ReshareTarget(Option<SharedKind>),
    /// Mark the target recalled at this entry's time, its body gone.
    RecallTarget,
    /// Erase the bodies of the target's edits, and when it was edited.
    EraseEdits,
    /// Forget whom the target mentioned (`@all` too): it no longer counts as a mention.
    ClearMentions,
    /// Take back every reaction to the target.
    ClearReactions,
    /// The target no longer lends its files to its readers.
    ReleaseFiles,
    /// Pin the target (`true`) for every member, by this entry's sender at its time and seq;
    /// or unpin it (`false`). Pinning a pinned message or unpinning one that is not pinned
    /// changes nothing: the check decides whether that is an error.
    Pin(bool),
    /// The copies of the target that accounts saved lose their content (its body) and are
    /// marked recalled at this entry's time; each of those accounts gets `saved_changed` on its
    /// log (made by the store, which knows at commit who saved it).
    EraseSaved,
    /// A thread reply: the root's thread counts one more reply, the sender follows the thread
    /// and has read it up to this reply, and these accounts (the root's sender and those the
    /// reply mentions) follow it unless they chose before whether to.
    ThreadReply(Vec<AccountId>),
    /// Add (`on`) or remove an account's reaction on the target.
    React {
        account: AccountId,
        emoji: String,
        on: bool,
    },
    /// Add members (or re-add former ones), reading from this entry on.
    AddMembers(Vec<(AccountId, MemberRole)>),
    /// End these memberships at this entry.
    RemoveMembers(Vec<AccountId>),
    SetRole(AccountId, MemberRole),
    SetOwner(AccountId),
    MuteMember(AccountId, Option<i64>),
    MuteAll(bool),
    SetInfo(GroupInfoPatch),
    /// End every membership and close the conversation for good; every member's log gets
    /// `conversation_left` (made by the store, which knows who was a member at commit).
    Dissolve,
    /// Retention: delete the conversation's entries up to this seq with everything that hangs
    /// on them (mentions, reactions, pins, saved copies, thread rows, shared items, file refs,
    /// notifications, pushes), raise `pruned_through` to it, and delete the files that only
    /// those entries referred to, their blobs left in the store's doomed list (see
    /// [`crate::ports::RetentionStore::take_doomed_blobs`]). Each account whose saved copy
    /// went gets `saved_changed`.
    Prune(Seq),
}

impl Effect {
    /// What a recall does to its target: its content goes (the body and what its edits said),
    /// with whom it mentioned, its reactions, its readers' access to its files, its place
    /// among the shared items, its pin and the content of the copies accounts saved. A recalled message is the same tombstone
    /// whichever way a device learns of it (docs/protocol.md §8.5).
    pub fn recall() -> Vec<Effect> {
        vec![
            Effect::RecallTarget,
            Effect::EraseEdits,
            Effect::ClearMentions,
            Effect::ClearReactions,
            Effect::ReleaseFiles,
            Effect::ReshareTarget(None),
            Effect::Pin(false),
            Effect::EraseSaved,
        ]
    }

    /// Does this effect change who receives the conversation's entries?
    pub fn changes_membership(&self) -> bool {
        matches!(self, Effect::AddMembers(_) | Effect::RemoveMembers(_) | Effect::Dissolve)
    }
}

/// What the core's precondition sees, read inside the append's transaction.
pub struct Precondition<'a> {
    pub conversation: &'a Conversation,
    /// The author's membership row, if there is one (active or not).
    pub author: Option<&'a Member>,
    /// The entry that `target` names, if the append has one and it exists (with its
    /// reactions).
    pub target: Option<&'a Entry>,
    /// The root that a thread reply names, if it exists.
    pub root: Option<&'a Entry>,
    /// The membership rows of the append's `subjects` that exist (active or not).
    pub subjects: &'a [Member],
    /// In a direct chat, how the other member stands towards the author; read only when the
    /// append asks for it ([`Append::peer`]).
    pub peer: Option<DirectPeer>,
    /// The conversation's pins as they stand; read only when an effect pins or unpins
    /// ([`Append::reads_pins`]).
    pub pins: Option<Pins>,
    pub now_ms: i64,
}

/// A conversation's pinned messages as the check of a pin or unpin sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pins {
    /// Messages pinned now.
    pub count: usize,
    /// The append's target is one of them.
    pub target_pinned: bool,
}

/// A pinned message, as one member sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    /// The message as it is now (edited; `hidden` if the viewer deleted it for itself).
    pub entry: Entry,
    /// Who pinned it.
    pub by: AccountAddr,
    pub at_ms: i64,
    /// The seq of the notice that pinned it: a later pin has a greater one.
    pub notice_seq: Seq,
}

/// The other member of a direct chat, as the author's messages concern it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectPeer {
    /// The peer blocks the author.
    pub blocks_author: bool,
    /// The two are contacts.
    pub contacts: bool,
    /// The domain lets only contacts message each other directly.
    pub friendship_required: bool,
}

impl DirectPeer {
    /// Does the peer take messages from the author? The one rule of who may message whom
    /// directly: the send path asks it inside the append, `Contacts::may_message` before a
    /// direct chat exists.
    pub fn accepts(&self) -> bool {
        !self.blocks_author && (self.contacts || !self.friendship_required)
    }
}

impl Precondition<'_> {
    /// The active membership of one subject.
    pub fn active_subject(&self, account: AccountId) -> Option<&Member> {
        self.subjects.iter().find(|m| m.account == account && m.is_active())
    }
}

/// The rule an append must pass at commit time; refusing aborts the append and nothing
/// changes. Checking inside the transaction closes the race with a concurrent removal. A
/// pure function of what it is shown, so that an adapter may run it again when it retries a
/// transaction that lost to a concurrent one.
pub type Check = Box<dyn Fn(&Precondition<'_>) -> Result<(), Error> + Send + Sync>;

/// One atomic append: the entry, its effects, the account events it causes, and its rule.
pub struct Append {
    pub entry: NewEntry,
    pub effects: Vec<Effect>,
    pub events: Vec<(AccountId, AccountEvent)>,
    /// Accounts whose membership rows the check needs (the members acted on).
    pub subjects: Vec<AccountId>,
    /// The check needs [`Precondition::peer`] (only read in direct chats).
    pub peer: bool,
    pub check: Check,
}

impl Append {
    /// Does the check need [`Precondition::pins`]?
    pub fn reads_pins(&self) -> bool {
        self.effects.iter().any(|e| matches!(e, Effect::Pin(_)))
    }
}

/// The outcome of an append that passed its check.
#[derive(Debug, Clone)]
pub enum Appended {
    New(Arc<Entry>),
    /// The same `(session, client_msg_id)` was appended before: this is that entry.
    Duplicate(Arc<Entry>),
}

impl Appended {
    pub fn entry(&self) -> &Arc<Entry> {
        match self {
            Appended::New(e) | Appended::Duplicate(e) => e,
        }
    }
}

/// A conversation to create with its first members.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub domain_id: DomainId,
    pub kind: ConversationKind,
    /// For direct chats: the pair's key, unique, so that a pair has one chat.
    pub direct_key: Option<String>,
    pub info: GroupInfo,
    pub owner: Option<AccountId>,
    pub members: Vec<(AccountId, MemberRole)>,
    /// The `system` entry that opens a group (seq 1); members read from it on. Direct chats
    /// have none and their members read everything.
    pub opening: Option<NewEntry>,
    pub at_ms: i64,
}

/// What a conversation shares, as its members browse it apart from the chat (a "files" tab):
/// images, files (video included) and messages with links. Which kind a message is comes from
/// [`crate::content::shared_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedKind {
    Image,
    File,
    Link,
}

impl SharedKind {
    pub const ALL: [SharedKind; 3] = [SharedKind::Image, SharedKind::File, SharedKind::Link];

    pub fn as_str(self) -> &'static str {
        match self {
            SharedKind::Image => "image",
            SharedKind::File => "file",
            SharedKind::Link => "link",
        }
    }

    pub fn parse(s: &str) -> Option<SharedKind> {
        SharedKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a membership ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Removed,
    Dissolved,
}

/// Per-account settings of one conversation, synced across the account's devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Mutes (`true`, until `unmute_at_ms` if given, else for good) or unmutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// With `muted: true`: when the mute ends by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmute_at_ms: Option<i64>,
    /// The member's notification level here (`default`: the account's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_level: Option<LevelChoice>,
    /// `Some("")` clears the draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// Marked unread by its member ("mark as unread"); reading the conversation clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_unread: Option<bool>,
}

/// A change to one account that is not a conversation entry, logged on that account's event
/// log so that all its devices converge. Stored as JSON; variants are only ever added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountEvent {
    /// The account became a member (created, added, or opened a direct chat).
    ConversationJoined { conversation: ConversationId },
    /// The account's membership ended; it can read nothing of the conversation any more.
    ConversationLeft { conversation: ConversationId, reason: LeaveReason },
    /// The account read up to `seq` (on any of its devices).
    Read { conversation: ConversationId, seq: Seq },
    /// The other party of a direct chat read up to `seq`.
    PeerRead { conversation: ConversationId, account: String, seq: Seq },
    /// The other party of a direct chat received up to `seq`.
    PeerDelivered { conversation: ConversationId, account: String, seq: Seq },
    /// Pinned, muted or draft changed.
    SettingsChanged { conversation: ConversationId, settings: MemberSettingsPatch },
    /// Entries deleted for this account only.
    Hidden { conversation: ConversationId, seqs: Vec<Seq> },
    /// Someone asks to become a contact.
    FriendRequest { from: String, message: Option<String> },
    /// This account asked someone to become a contact (on another of its devices).
    FriendRequestSent { to: String },
    /// A pending request between this account and `account` ended without friendship.
    FriendRequestClosed { account: String },
    /// `account` is now a contact.
    ContactAdded { account: String },
    /// `account` is no longer a contact.
    ContactRemoved { account: String },
    /// This account blocked (or unblocked) `account`.
    BlockChanged { account: String, blocked: bool },
    /// A message this account saved was saved, its note changed, or its content erased by a
    /// recall: read the item again.
    SavedChanged { id: SavedId },
    /// A message this account saved was removed from its saved messages.
    SavedRemoved { id: SavedId },
    /// This account followed or unfollowed a thread, or read it up to `read_seq`.
    ThreadChanged { conversation: ConversationId, root: Seq, following: bool, read_seq: Seq },
    /// One of this account's scheduled messages was scheduled, edited, or failed when it fell
    /// due: read it again.
    ScheduledChanged { id: ScheduledId },
    /// One of this account's scheduled messages was cancelled.
    ScheduledRemoved { id: ScheduledId },
    /// One of this account's scheduled messages was sent: it is the message at `seq`.
    ScheduledSent { id: ScheduledId, conversation: ConversationId, seq: Seq },
    /// This account's notification preferences changed: read them again.
    NotifyPrefsChanged,
    /// A new item in this account's notification centre.
    NotificationAdded { notification: crate::inbox::Notification },
    /// Items of this account's notification centre were read (on any of its devices): those
    /// named, or every one up to `up_to`.
    NotificationsRead {
        #[serde(default)]
        ids: Vec<i64>,
        #[serde(default)]
        up_to: Option<i64>,
    },
    /// Items of this account's notification centre went (the message they showed was recalled).
    NotificationsRemoved { ids: Vec<i64> },
}

/// An account event as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub account: AccountId,
    pub seq: EventSeq,
    pub at_ms: i64,
    pub event: AccountEvent,
}

/// A conversation as one member sees it in its list.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub conversation: Conversation,
    pub me: Member,
    /// The other party of a direct chat.
    pub peer: Option<AccountAddr>,
    /// The newest message (not operation) this member may read.
    pub last_message: Option<Entry>,
    /// Messages after the member's read mark.
    pub unread: u32,
    /// Of those, the ones that mention the member or `@all`.
    pub mentions: u32,
}

impl Summary {
    /// The summary as of `now_ms` (see [`Member::settled`]).
    pub fn settled(mut self, now_ms: i64) -> Summary {
        self.me = self.me.settled(now_ms);
        self
    }
}

/// Which page of a conversation's log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Entries with seq greater than this, oldest first.
    After(Seq),
    /// Entries with seq less than this, newest first.
    Before(Seq),
}

/// Something committed that live connections should hear about, in commit order.
#[derive(Debug, Clone)]
pub enum Committed {
    Entry { entry: Arc<Entry>, membership_changed: bool },
    Event(Arc<LoggedEvent>),
}

/// Who has read and received a message of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipts {
    pub read: Vec<AccountAddr>,
    pub delivered: Vec<AccountAddr>,
    pub unread: Vec<AccountAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_mute_ends_by_itself_and_a_mute_for_good_does_not() {
        let member = |muted: bool, unmute_at_ms: Option<i64>| Member {
            conversation: ConversationId(1),
            account: AccountId(2),
            addr: AccountAddr::parse("bob@acme.example").unwrap(),
            role: MemberRole::Member,
            joined_seq: Seq(0),
            left_seq: None,
            muted_until_ms: None,
            read_seq: Seq(0),
            delivered_seq: Seq(0),
            pinned: false,
            muted,
            draft: None,
            marked_unread: false,
            unmute_at_ms,
            notify_level: Some(Level::Mentions),
        };
        let now = 1_000_000;
        let until = member(true, Some(now + 1)).settled(now);
        assert!(until.muted && until.unmute_at_ms == Some(now + 1), "still muted just before the time");
        let over = member(true, Some(now)).settled(now);
        assert!(!over.muted && over.unmute_at_ms.is_none(), "over at the time itself");
        assert_eq!(over.notify_level, Some(Level::Mentions), "the level is not part of the mute");
        assert!(member(true, None).settled(i64::MAX).muted, "a mute for good lasts");
        assert!(!member(false, None).is_muted(now));
    }
}
