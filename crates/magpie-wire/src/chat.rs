//! Conversations, messages, receipts and sync: bodies shared by REST and the WebSocket.
//!
//! Over REST the conversation (and the message seq) are in the path; over the WebSocket the
//! same bodies carry them as `conversation` (and `seq`) fields next to the others.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two accounts (or one, for notes to self); exactly one per pair.
    Direct,
    /// Everyone may post unless muted.
    Group,
    /// Only the owner and admins post.
    Channel,
}

/// A member's role in a group or channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Member,
    Admin,
    Owner,
}

/// `POST /v1/conversations`: a direct chat (`{"kind": "direct", "peer": "bob@localhost"}`,
/// returned as it is if it exists) or a new group or channel owned by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CreateConversationRequest {
    Direct { peer: String },
    Group(GroupSpec),
    Channel(GroupSpec),
}

/// What a new group or channel starts with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupSpec {
    /// 1–64 characters.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    /// `name@domain` of the first members besides the creator (same domain only).
    #[serde(default, deserialize_with = "crate::null_as_default")]
    #[schema(nullable = true)]
    pub members: Vec<String>,
}

/// The caller's own state in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MyMembership {
    pub role: MemberRole,
    /// The first seq the caller may read (its join; 0 in direct chats).
    pub joined_seq: i64,
    pub read_seq: i64,
    pub delivered_seq: i64,
    pub pinned: bool,
    /// Notifications muted (only mentions of the caller get through): for good, or until
    /// `unmute_at_ms`. A mute whose time has passed reads as not muted.
    pub muted: bool,
    /// When the mute ends by itself; left out for a mute for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmute_at_ms: Option<i64>,
    /// The caller's notification level here; left out when it follows the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_level: Option<crate::rest::NotifyLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// Muted by an admin: may not post until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until_ms: Option<i64>,
    /// The caller marked it unread ("mark as unread"); reading it clears the mark. Left out
    /// when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub marked_unread: bool,
}

/// A conversation as the caller sees it in its list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    pub kind: ConversationKind,
    /// The other party of a direct chat (the caller itself for notes to self).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    pub mute_all: bool,
    pub member_count: u32,
    /// The newest seq in the log. Entries `me.joined_seq..=last_seq` are readable, less those
    /// up to `pruned_through`.
    pub last_seq: i64,
    /// Retention deleted the entries up to this seq: nobody reads them any more. Absent while
    /// nothing was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_through: Option<i64>,
    /// The conversation's place on the server's activity clock, which every append and every
    /// new conversation moves on: the cursor of `sync` and of the conversation list.
    pub activity: i64,
    pub last_activity_ms: i64,
    pub created_at_ms: i64,
    pub me: MyMembership,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Entry>,
    /// Messages after `me.read_seq`.
    pub unread: u32,
    /// Of those, the ones that mention the caller or `@all`.
    pub mentions: u32,
}

/// `GET /v1/conversations`: most recent activity first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<Conversation>,
}

/// A member as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub account: String,
    pub role: MemberRole,
    pub joined_seq: i64,
    pub read_seq: i64,
    pub delivered_seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// Where a forwarded message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForwardedFrom {
    pub conversation: i64,
    pub seq: i64,
    pub sender: String,
    pub at_ms: i64,
}

/// Accounts that reacted with one emoji.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reaction {
    pub emoji: String,
    pub accounts: Vec<String>,
}

/// One entry of a conversation's log: a message, or an `edit`, `recall`, `reaction` or
/// `system` entry. Fetched history shows each message as it is now (edited, recalled,
/// reacted to); pushed entries show it as it was appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    pub conversation: i64,
    pub seq: i64,
    /// The server id: unique across the deployment.
    pub id: i64,
    pub sender: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    pub kind: String,
    /// `null` once recalled, or when deleted for the caller.
    pub body: Option<Value>,
    /// The seq an `edit`, `recall` or `reaction` applies to, or that a `message_pinned` or
    /// `message_unpinned` notice names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mention_all: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// On a thread reply: the seq of its root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// A thread reply that was also sent to the chat.
    #[serde(default, skip_serializing_if = "is_false")]
    pub broadcast: bool,
    /// On a thread's root, in fetched history: its replies so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_summary: Option<ThreadSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<ForwardedFrom>,
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalled_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Deleted for the caller only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hidden: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A thread's replies as its root shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    /// Replies so far, recalled ones too.
    pub replies: u32,
    /// The newest reply's seq and time.
    pub last_seq: i64,
    pub last_at_ms: i64,
}

/// `GET /v1/conversations/{id}/threads/{root}`: a page of one thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadPage {
    /// The root as it is now, with its `thread_summary`.
    pub root: Entry,
    /// Replies as they are now, oldest first.
    pub entries: Vec<Entry>,
    /// The caller follows the thread.
    pub following: bool,
    /// The caller's read mark in the thread (the root's seq while it read none).
    pub read_seq: i64,
}

/// `PATCH /v1/conversations/{id}/threads/{root}`: follow or unfollow, and read up to a seq.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateThreadRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Raises the caller's read mark in the thread (never lowers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<i64>,
}

/// A thread the caller follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Thread {
    pub conversation: i64,
    /// The root as it is now, with its `thread_summary`.
    pub root: Entry,
    pub following: bool,
    pub read_seq: i64,
    /// Replies after `read_seq` that others sent, less recalled and hidden ones.
    pub unread: u32,
}

/// `GET /v1/threads`: the threads the caller follows, the newest reply first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadsQuery {
    /// Only this conversation's threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// At most this many; clamped to 1 – 100, 50 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadList {
    pub threads: Vec<Thread>,
}

impl Entry {
    /// The body of a `system` entry as a typed notice; `None` for other entries, and for a
    /// notice this version does not know (read its `event` from `body`).
    pub fn notice(&self) -> Option<SystemNotice> {
        if self.kind != "system" {
            return None;
        }
        SystemNotice::deserialize(self.body.as_ref()?).ok()
    }
}

/// The body of a `system` entry: what changed in a conversation, and by whom (`by` is the
/// account that made the change). Tagged by `event`; newer servers may add events and fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemNotice {
    /// The group or channel was made; `members` are its first members besides `by`.
    Created {
        by: String,
        kind: ConversationKind,
        name: Option<String>,
        members: Vec<String>,
    },
    MembersAdded {
        by: String,
        members: Vec<String>,
    },
    MembersRemoved {
        by: String,
        members: Vec<String>,
    },
    MemberLeft {
        member: String,
    },
    /// Only the fields that changed are present (`null` for one that was cleared); `mute_all`
    /// when the same change switched it.
    InfoChanged {
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        description: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        avatar: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        announcement: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mute_all: Option<bool>,
    },
    /// Only mute-all changed: `on` means only the owner and admins may post.
    MuteAll {
        by: String,
        on: bool,
    },
    RoleChanged {
        by: String,
        member: String,
        role: MemberRole,
    },
    OwnerChanged {
        from: String,
        to: String,
    },
    /// `until_ms` is `null` when the mute was lifted.
    MemberMuted {
        by: String,
        member: String,
        until_ms: Option<i64>,
    },
    Dissolved {
        by: String,
    },
    /// `by` pinned the message at `seq` for every member; the entry's `target` is that seq.
    MessagePinned {
        by: String,
        seq: i64,
    },
    /// `by` unpinned the message at `seq`.
    MessageUnpinned {
        by: String,
        seq: i64,
    },
    /// The domain's retention deleted the entries up to `through_seq` (those older than
    /// `before_ms`): a device drops what it holds of them. The conversation's
    /// `pruned_through` says the same.
    HistoryPruned {
        through_seq: i64,
        before_ms: i64,
    },
}

use crate::present;

/// The body of a `forward` message: several messages forwarded as one, as they were then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForwardBody {
    /// The conversation they came from.
    pub conversation: i64,
    pub messages: Vec<ForwardedMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForwardedMessage {
    pub sender: String,
    pub kind: String,
    pub body: Option<Value>,
    pub at_ms: i64,
}

/// `POST /v1/conversations/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SendRequest {
    /// Chosen by the client, unique per device: a retry with the same id never makes a
    /// second message. 1–64 bytes of `A-Z a-z 0-9 - _ . :`.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub client_msg_id: String,
    /// `text`, `markdown`, `image`, `file`, `voice`, `video`, `location`, `sticker`, `code`,
    /// `card`, `red_packet`, `payment_request`, `call`, `encrypted`, or a kind of your own:
    /// 1–32 bytes of `a-z 0-9 _ .`, starting with a letter.
    #[schema(pattern = "^[a-z][a-z0-9_.]{0,31}$")]
    pub kind: String,
    /// A JSON object whose shape depends on `kind` (see docs/protocol.md).
    #[schema(value_type = Object)]
    pub body: Value,
    /// `name@domain` of members mentioned.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "crate::null_as_default")]
    #[schema(nullable = true)]
    pub mentions: Vec<String>,
    /// `@all` (owners and admins, unless the server allows every member).
    #[serde(default, skip_serializing_if = "is_false", deserialize_with = "crate::null_as_default")]
    #[schema(nullable = true)]
    pub mention_all: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// The seq of a thread's root: the message is a reply in that thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// With `thread`: also send the reply to the chat.
    #[serde(default, skip_serializing_if = "is_false", deserialize_with = "crate::null_as_default")]
    #[schema(nullable = true)]
    pub broadcast: bool,
}

/// The answer to a send, forward, edit, recall or reaction: the stored entry's place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ack {
    pub conversation: i64,
    pub seq: i64,
    pub id: i64,
    pub at_ms: i64,
    /// An earlier request with the same `client_msg_id` stored it; nothing new was stored.
    pub duplicate: bool,
}

/// `POST /v1/conversations/{id}/forward`: copies messages from another conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForwardRequest {
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub client_msg_id: String,
    /// The conversation the messages are in.
    pub from: i64,
    /// One seq forwards that message as it is; several are merged into one `forward` message.
    pub seqs: Vec<i64>,
}

/// `PATCH /v1/conversations/{id}/messages/{seq}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EditRequest {
    /// The new body, a JSON object of the message's kind.
    #[schema(value_type = Object)]
    pub body: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub client_msg_id: Option<String>,
}

/// `DELETE /v1/conversations/{id}/messages/{seq}` (recall); over REST in the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecallRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub client_msg_id: Option<String>,
}

/// `POST /v1/conversations/{id}/messages/{seq}/reactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactRequest {
    pub emoji: String,
    /// `true` adds the caller's reaction, `false` takes it back; left out or `null`, `true`.
    #[serde(default = "yes", deserialize_with = "null_as_yes")]
    #[schema(nullable = true)]
    pub on: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub client_msg_id: Option<String>,
}

fn yes() -> bool {
    true
}

fn null_as_yes<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(true))
}

/// `POST /v1/conversations/{id}/hide`: delete-for-me.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HideRequest {
    pub seqs: Vec<i64>,
}

/// `POST /v1/conversations/{id}/read` and `/delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MarkRequest {
    pub seq: i64,
}

/// `GET /v1/conversations/{id}/messages`: `after` pages forwards, `before` backwards;
/// neither gives the newest page. Entries come oldest first either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// The page size; clamped to 1 – `history_page_len_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EntryPage {
    pub entries: Vec<Entry>,
    /// The newest seq the caller may read when the page was read (for a former member, the
    /// last one before its membership ended).
    pub last_seq: i64,
}

/// What a conversation shares, as its "files" tab lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SharedKind {
    /// `image` messages.
    Image,
    /// `file` and `video` messages.
    File,
    /// `text` and `markdown` messages with a link, and link cards.
    Link,
}

/// `GET /v1/conversations/{id}/shared`: what the conversation shares of one kind, newest
/// first, `before` a seq for the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SharedQuery {
    pub kind: SharedKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// The page size; clamped to 1 – `history_page_len_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SharedPage {
    /// Newest first: messages the caller may read, not recalled, not deleted for the caller.
    pub entries: Vec<Entry>,
    /// Pass as `before` for the next page; absent when this page is the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// `GET /v1/link-preview` and `GET /v1/link-preview/image`: the link, as a message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkPreviewQuery {
    /// An `http` or `https` URL of at most 2048 bytes.
    pub url: String,
}

/// What a web page says of itself, fetched by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LinkPreview {
    /// The URL as the server keys it (without its fragment).
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The page's own name for its site, or its host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// The page's image, as a thumbnail the server made: `GET /v1/link-preview/image?url=…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<LinkPreviewImage>,
    /// When the server fetched the page.
    pub fetched_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LinkPreviewImage {
    pub width: u32,
    pub height: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
}

/// `GET /v1/conversations/{id}/messages/{seq}/receipts`: who of the members present at
/// `seq` has read it, has only received it, or neither. The sender is not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Receipts {
    pub read: Vec<String>,
    pub delivered: Vec<String>,
    pub unread: Vec<String>,
}

/// `POST /v1/conversations/{id}/members` (add) and `DELETE` (remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MembersRequest {
    pub members: Vec<String>,
}

/// `PATCH /v1/conversations/{id}`: `""` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_all: Option<bool>,
}

/// `PUT /v1/conversations/{id}/members/{account}/role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// `admin` or `member`; use transfer for `owner`.
    pub role: MemberRole,
}

/// `PUT /v1/conversations/{id}/members/{account}/mute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MuteMemberRequest {
    /// Muted until then; `null` lifts the mute.
    pub until_ms: Option<i64>,
}

/// `PATCH /v1/conversations/{id}/settings`: the caller's own flags and draft, synced to its
/// other devices. `""` clears the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettingsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Mutes the conversation's notifications (only mentions of the caller get through) or
    /// unmutes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// With `muted: true`: when the mute ends by itself (in the future, at most a year
    /// ahead); without it the mute lasts until unmuted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmute_at_ms: Option<i64>,
    /// The caller's notification level here; `default` follows the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_level: Option<crate::rest::NotifyLevelChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// `true` marks the conversation unread; `false` takes the mark away. Reading it
    /// (`mark_read`) takes it away too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_unread: Option<bool>,
}

/// A pinned message as the caller sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pin {
    /// The message as it is now.
    pub entry: Entry,
    /// Who pinned it.
    pub pinned_by: String,
    pub pinned_at_ms: i64,
}

/// `GET /v1/conversations/{id}/pins`: the pinned messages the caller may read, the latest pin
/// first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PinList {
    pub pins: Vec<Pin>,
}

/// `POST /v1/saved`: saves a copy of a message the caller can read, with an optional note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaveRequest {
    pub conversation: i64,
    pub seq: i64,
    /// Up to 500 characters; empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `PATCH /v1/saved/{id}`: the note; `null` or `""` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateSavedRequest {
    #[serde(default)]
    pub note: Option<String>,
}

/// `GET /v1/saved`: the newest page, or the page below `before` (the `id` of the last item of
/// the page before).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SavedQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// The page size; clamped to 1 – 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A message the caller saved, as it was when saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SavedItem {
    pub id: i64,
    /// Where it was said, and its seq there.
    pub conversation: i64,
    pub conversation_kind: ConversationKind,
    /// A group's or channel's name when the message was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_name: Option<String>,
    /// The other member of a direct chat (the caller in notes to self).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    pub seq: i64,
    pub sender: String,
    pub kind: String,
    /// The body when it was saved; `null` once the message was recalled.
    pub body: Option<Value>,
    /// When the message was sent.
    pub at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub saved_at_ms: i64,
    /// When its sender (or a moderator) recalled it; its content was erased then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalled_at_ms: Option<i64>,
}

/// A page of saved messages, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SavedPage {
    pub items: Vec<SavedItem>,
    /// Older items remain: ask again with `before` the last item's `id`.
    pub more: bool,
}

/// What a notification centre item tells of (§5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The caller (or `@all`) was mentioned.
    Mention,
    /// A message replied to one of the caller's (a quote, or a thread reply to its root).
    Reply,
    /// Someone reacted to one of the caller's messages.
    Reaction,
    /// Someone asks to become the caller's contact.
    FriendRequest,
    /// Someone applied for an account of a domain the caller administers.
    Application,
    /// A group's announcement was set (with `conversation`), or an administrator's to the
    /// whole domain (without).
    Announcement,
    /// An app's event subscription was disabled after its requests kept failing: `actor` is
    /// the bot, `text` the URL and the last error (to the bot's owner and the domain's
    /// administrators).
    AppDisabled,
}

/// One item of the caller's notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub at_ms: i64,
    pub read: bool,
    /// Who did it, `name@domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Their display name then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// A group's or channel's name then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_name: Option<String>,
    /// The conversation is a direct chat.
    #[serde(default)]
    pub direct: bool,
    /// The message: the new one for a mention or reply, the caller's own for a reaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// The root of the thread the message is a reply in: open the thread there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// One line: the message's start, the request's message, the announcement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `GET /v1/notifications`: the newest page, or the page below `before` (the `id` of the last
/// item of the page before).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// The page size; clamped to 1 – 100 (50 if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Only unread items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_only: Option<bool>,
}

/// A page of the notification centre, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Older items remain: ask again with `before` the last item's `id`.
    pub more: bool,
    /// Unread items in all: the badge.
    pub unread: u32,
}

/// `POST /v1/notifications/read`: the items named (1 – 500), or every one up to `up_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadNotificationsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<i64>,
}

/// Unread items left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationsUnread {
    pub unread: u32,
}

/// `POST /v1/admin/announcements`: an announcement to every enabled account of `domain` (the
/// caller's if absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AnnounceRequest {
    /// 1 – 2000 characters.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// How many accounts an announcement reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Announced {
    pub notified: u32,
}

/// `GET /v1/sync`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncRequest {
    /// The newest account event seq the client has applied (0 at first).
    #[serde(default)]
    pub events_after: i64,
    /// The `conversations_cursor` of the last sync (0 at first).
    #[serde(default)]
    pub conversations_after: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SyncResponse {
    /// Account events after `events_after`, oldest first.
    pub events: Vec<AccountEventFrame>,
    /// The newest account event seq when the page was read.
    pub events_head: i64,
    /// Conversations with activity after `conversations_after`, oldest activity first. Fetch
    /// each one's entries after the seq you hold with `get_messages`.
    pub conversations: Vec<Conversation>,
    /// Send as `conversations_after` next time.
    pub conversations_cursor: i64,
    /// More remain: sync again with the new cursors at once.
    pub more: bool,
}

/// One event of the caller's account log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountEventFrame {
    pub seq: i64,
    pub at_ms: i64,
    pub event: AccountEvent,
}

/// Why a membership ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Removed,
    Dissolved,
}

/// Changes to the caller's account that are not conversation entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountEvent {
    /// The caller became a member: fetch the conversation.
    ConversationJoined {
        conversation: i64,
    },
    /// The caller's membership ended; the conversation is gone for it.
    ConversationLeft {
        conversation: i64,
        reason: LeaveReason,
    },
    /// The caller read up to `seq` (on any device).
    Read {
        conversation: i64,
        seq: i64,
    },
    /// The other party of a direct chat read up to `seq`.
    PeerRead {
        conversation: i64,
        account: String,
        seq: i64,
    },
    /// The other party of a direct chat received up to `seq`.
    PeerDelivered {
        conversation: i64,
        account: String,
        seq: i64,
    },
    /// The caller's pinned, muted, notification level or draft changed; only the named fields.
    SettingsChanged {
        conversation: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pinned: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        muted: Option<bool>,
        /// With `muted: true`: when the mute ends by itself (absent: a mute for good).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unmute_at_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notify_level: Option<crate::rest::NotifyLevelChoice>,
        /// `""` means the draft was cleared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        draft: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        marked_unread: Option<bool>,
    },
    /// Entries deleted for the caller only.
    Hidden {
        conversation: i64,
        seqs: Vec<i64>,
    },
    /// Someone asks to become the caller's contact.
    FriendRequest {
        from: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The caller asked someone (on another of its devices).
    FriendRequestSent {
        to: String,
    },
    /// A pending request between the caller and `account` was declined or withdrawn.
    FriendRequestClosed {
        account: String,
    },
    ContactAdded {
        account: String,
    },
    ContactRemoved {
        account: String,
    },
    /// The caller blocked or unblocked `account`.
    BlockChanged {
        account: String,
        blocked: bool,
    },
    /// One of the caller's saved messages was saved, its note changed, or its content was
    /// erased by a recall: read it again (`get_saved`; `not_found` if it was removed since).
    SavedChanged {
        id: i64,
    },
    /// One of the caller's saved messages was removed.
    SavedRemoved {
        id: i64,
    },
    /// The caller followed or unfollowed a thread, or read it up to `read_seq`.
    ThreadChanged {
        conversation: i64,
        root: i64,
        following: bool,
        read_seq: i64,
    },
    /// One of the caller's scheduled messages was scheduled, edited, or failed when it fell
    /// due: read it again (`get_scheduled`; `not_found` if it is gone since).
    ScheduledChanged {
        id: i64,
    },
    /// One of the caller's scheduled messages was cancelled.
    ScheduledRemoved {
        id: i64,
    },
    /// One of the caller's scheduled messages was sent: it is the message at `seq` of
    /// `conversation`, and no longer scheduled.
    ScheduledSent {
        id: i64,
        conversation: i64,
        seq: i64,
    },
    /// The caller's notification preferences changed (on another device): read them again
    /// (`GET /v1/me/notifications`).
    NotifyPrefsChanged,
    /// A new item in the caller's notification centre.
    NotificationAdded {
        notification: Notification,
    },
    /// Items were read (on any of the caller's devices): those in `ids`, or every one up to
    /// `up_to`.
    NotificationsRead {
        #[serde(default)]
        ids: Vec<i64>,
        #[serde(default)]
        up_to: Option<i64>,
    },
    /// Items went (the message they showed was recalled).
    NotificationsRemoved {
        ids: Vec<i64>,
    },
    /// An event this client version does not know.
    #[serde(other)]
    Unknown,
}

/// `POST /v1/contacts/requests`: asks `account` to become a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FriendRequestRequest {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What a friend request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    /// Waiting for the other side.
    Requested,
    /// The other side had asked too: you are contacts now.
    Added,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FriendRequestAnswer {
    pub status: FriendRequestStatus,
}

/// A pending friend request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingRequest {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub at_ms: i64,
}

/// `GET /v1/contacts/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingRequestList {
    /// Requests to the caller.
    pub incoming: Vec<PendingRequest>,
    /// Requests the caller made.
    pub outgoing: Vec<PendingRequest>,
}

/// `GET /v1/contacts` and `GET /v1/blocks`: profiles, by login name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProfileList {
    pub accounts: Vec<crate::Profile>,
}

/// WebSocket `data` naming one account (contacts and blocks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountRef {
    pub account: String,
}

/// A presence status. `offline` only ever comes from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Busy,
    Offline,
}

/// An account's presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Presence {
    pub account: String,
    pub status: PresenceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// When the account was last connected (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_ms: Option<i64>,
}

/// `PUT /v1/me/presence`: `online`, `away` or `busy`, and a status text (`""` clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SetPresenceRequest {
    pub status: PresenceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `get_presence` over the WebSocket; over REST `GET /v1/presence?accounts=a@d,b@d`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceQuery {
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresenceList {
    pub presence: Vec<Presence>,
}

/// Members' marks, as they now are, that moved past the receiver's messages (ephemeral): at
/// most one such event per conversation a second, with every member whose marks moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Marks {
    pub conversation: i64,
    pub members: Vec<MemberMarks>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberMarks {
    pub account: String,
    pub read_seq: i64,
    pub delivered_seq: i64,
}

/// A member of a conversation is typing (ephemeral).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Typing {
    pub conversation: i64,
    pub account: String,
}

/// `GET /v1/files/{id}/info`: what is known of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    pub id: String,
    pub size: u64,
    /// Detected from the content.
    pub media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Lower-case hex; also the download's ETag.
    pub sha256: String,
    pub created_at_ms: i64,
    /// An image's size in pixels, upright.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A blurhash of an image, for a placeholder while it loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
    /// An image's thumbnails, at `GET /v1/files/{id}/thumbnail?side=…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thumbnails: Vec<ThumbnailInfo>,
    /// A video's or audio file's playing time, when its header says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// One thumbnail of an image: a JPEG whose longest side is at most `side`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThumbnailInfo {
    pub side: u32,
    pub width: u32,
    pub height: u32,
}

/// `POST /v1/files/{id}/link`: a link that works without a session until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileLink {
    /// A path on this server, with `expires` and `sig` in its query.
    pub url: String,
    pub expires_at_ms: i64,
}

/// A sticker: send it as `{"kind":"sticker","body":{"pack":…,"sticker":…}}`; its image is
/// `GET /v1/files/{id}` (and its thumbnails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StickerInfo {
    /// The sticker's image file id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StickerPackInfo {
    /// `p` and a number, e.g. `p3`.
    pub id: String,
    pub name: String,
    pub stickers: Vec<StickerInfo>,
}

/// `GET /v1/stickers`: the packs of the caller's domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StickerPackList {
    pub packs: Vec<StickerPackInfo>,
}

/// `POST /v1/admin/stickers`: a new, empty pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateStickerPackRequest {
    pub name: String,
}

/// `POST /v1/admin/stickers/{pack}/stickers`: adds one of the caller's image files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddStickerRequest {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}
