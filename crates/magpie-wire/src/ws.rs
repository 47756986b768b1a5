//! WebSocket frames on `/v1/ws`. Every frame is one JSON text message.
//!
//! A client request is `{"id": 7, "type": "ping", "data": {…}}`; the server answers with a
//! `reply` or an `error` frame carrying the same `id`, and pushes `event` frames on its own.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{ErrorDetail, Me, SessionInfo};

/// The subprotocol a client offers and the server selects.
pub const WS_PROTOCOL: &str = "magpie.v1";
/// Browsers cannot set headers on a WebSocket, so they offer a second subprotocol
/// `magpie.bearer.<token>` carrying the session token; the server never selects it.
pub const WS_BEARER_PROTOCOL_PREFIX: &str = "magpie.bearer.";

/// Close codes the server uses (the 4000–4999 range is for applications).
pub mod close_code {
    /// The server is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame exceeded the protocol size cap.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Something failed inside the server; reconnect after a back-off.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The server is at its connection limit; reconnect after a back-off.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The session was revoked (logout, revoke, password change).
    pub const SESSION_REVOKED: u16 = 4001;
    /// The account was disabled by an administrator.
    pub const ACCOUNT_DISABLED: u16 = 4003;
    /// Nothing was received from the client within the idle timeout.
    pub const IDLE_TIMEOUT: u16 = 4008;
    /// The client did not read fast enough and its send queue overflowed; catch up by sync.
    pub const SLOW_CONSUMER: u16 = 4009;
    /// The client sent frames faster than allowed for too long.
    pub const RATE_LIMITED: u16 = 4029;
}

/// A request frame from the client. `data` depends on `type`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientFrame {
    /// Chosen by the client; echoed in the answer. Unique among the client's pending requests.
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Request types understood by this server version.
pub mod request_type {
    /// Answered with `{}`; an application-level liveness check.
    pub const PING: &str = "ping";
    /// Answered with [`crate::Me`].
    pub const GET_ME: &str = "get_me";
    /// Answered with [`crate::SessionList`].
    pub const LIST_SESSIONS: &str = "list_sessions";

    /// [`crate::CreateConversationRequest`] → [`crate::Conversation`].
    pub const CREATE_CONVERSATION: &str = "create_conversation";
    /// [`crate::ConversationRef`] → [`crate::Conversation`].
    pub const GET_CONVERSATION: &str = "get_conversation";
    /// [`crate::ListConversations`] → [`crate::ConversationList`].
    pub const LIST_CONVERSATIONS: &str = "list_conversations";
    /// [`crate::ConversationRef`] → [`crate::MemberList`].
    pub const LIST_MEMBERS: &str = "list_members";
    /// `InConversation<MembersRequest>` → the `system` entry's [`crate::Ack`].
    pub const ADD_MEMBERS: &str = "add_members";
    /// `InConversation<MembersRequest>` → [`crate::Ack`].
    pub const REMOVE_MEMBERS: &str = "remove_members";
    /// [`crate::ConversationRef`] → [`crate::Ack`].
    pub const LEAVE: &str = "leave";
    /// `InConversation<UpdateGroupRequest>` → [`crate::Ack`].
    pub const UPDATE_GROUP: &str = "update_group";
    /// `InConversation<MemberChange>` with `role` → [`crate::Ack`].
    pub const SET_ROLE: &str = "set_role";
    /// `InConversation<MemberChange>` → [`crate::Ack`].
    pub const TRANSFER_OWNERSHIP: &str = "transfer_ownership";
    /// `InConversation<MemberChange>` with `until_ms` → [`crate::Ack`].
    pub const MUTE_MEMBER: &str = "mute_member";
    /// [`crate::ConversationRef`] → [`crate::Ack`].
    pub const DISSOLVE: &str = "dissolve";
    /// `InConversation<SettingsRequest>` → [`crate::Conversation`].
    pub const UPDATE_SETTINGS: &str = "update_settings";
    /// `InConversation<SendRequest>` → [`crate::Ack`].
    pub const SEND: &str = "send";
    /// `InConversation<ForwardRequest>` → [`crate::Ack`].
    pub const FORWARD: &str = "forward";
    /// `AtEntry<EditRequest>` → [`crate::Ack`].
    pub const EDIT: &str = "edit";
    /// `AtEntry<RecallRequest>` → [`crate::Ack`].
    pub const RECALL: &str = "recall";
    /// `AtEntry<ReactRequest>` → [`crate::Ack`].
    pub const REACT: &str = "react";
    /// `InConversation<HideRequest>` → `{}`.
    pub const HIDE: &str = "hide";
    /// `InConversation<HistoryQuery>` → [`crate::EntryPage`].
    pub const GET_MESSAGES: &str = "get_messages";
    /// `InConversation<MarkRequest>` → [`crate::Conversation`].
    pub const MARK_READ: &str = "mark_read";
    /// `InConversation<MarkRequest>` → [`crate::Conversation`].
    pub const MARK_DELIVERED: &str = "mark_delivered";
    /// [`crate::ConversationRef`] with `seq` → [`crate::Receipts`].
    pub const GET_RECEIPTS: &str = "get_receipts";
    /// [`crate::SyncRequest`] → [`crate::SyncResponse`].
    pub const SYNC: &str = "sync";
    /// `{}` → [`crate::ProfileList`].
    pub const LIST_CONTACTS: &str = "list_contacts";
    /// `{}` → [`crate::PendingRequestList`].
    pub const LIST_FRIEND_REQUESTS: &str = "list_friend_requests";
    /// [`crate::FriendRequestRequest`] → [`crate::FriendRequestAnswer`].
    pub const SEND_FRIEND_REQUEST: &str = "send_friend_request";
    /// [`crate::AccountRef`] (the requester) → `{}`.
    pub const ACCEPT_FRIEND_REQUEST: &str = "accept_friend_request";
    /// [`crate::AccountRef`] → `{}`: declines a request to you or withdraws yours.
    pub const REJECT_FRIEND_REQUEST: &str = "reject_friend_request";
    /// [`crate::AccountRef`] → `{}`.
    pub const REMOVE_CONTACT: &str = "remove_contact";
    /// `{}` → [`crate::ProfileList`].
    pub const LIST_BLOCKED: &str = "list_blocked";
    /// [`crate::AccountRef`] → `{}`.
    pub const BLOCK: &str = "block";
    /// [`crate::AccountRef`] → `{}`.
    pub const UNBLOCK: &str = "unblock";
    /// [`crate::ConversationRef`] → `{}`: the caller is typing (relayed at most every 2 s).
    pub const TYPING: &str = "typing";
    /// [`crate::SetPresenceRequest`] → [`crate::Presence`].
    pub const SET_PRESENCE: &str = "set_presence";
    /// [`crate::PresenceQuery`] → [`crate::PresenceList`].
    pub const GET_PRESENCE: &str = "get_presence";
    /// `{}` → [`crate::StickerPackList`].
    pub const LIST_STICKERS: &str = "list_stickers";

    /// Every request type, for the docs test.
    pub const ALL: [&str; 40] = [
        PING,
        GET_ME,
        LIST_SESSIONS,
        CREATE_CONVERSATION,
        GET_CONVERSATION,
        LIST_CONVERSATIONS,
        LIST_MEMBERS,
        ADD_MEMBERS,
        REMOVE_MEMBERS,
        LEAVE,
        UPDATE_GROUP,
        SET_ROLE,
        TRANSFER_OWNERSHIP,
        MUTE_MEMBER,
        DISSOLVE,
        UPDATE_SETTINGS,
        SEND,
        FORWARD,
        EDIT,
        RECALL,
        REACT,
        HIDE,
        GET_MESSAGES,
        MARK_READ,
        MARK_DELIVERED,
        GET_RECEIPTS,
        SYNC,
        LIST_CONTACTS,
        LIST_FRIEND_REQUESTS,
        SEND_FRIEND_REQUEST,
        ACCEPT_FRIEND_REQUEST,
        REJECT_FRIEND_REQUEST,
        REMOVE_CONTACT,
        LIST_BLOCKED,
        BLOCK,
        UNBLOCK,
        TYPING,
        SET_PRESENCE,
        GET_PRESENCE,
        LIST_STICKERS,
    ];
}

/// WebSocket `data` of a request about one conversation: its id beside the REST body's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InConversation<T> {
    pub conversation: i64,
    #[serde(flatten)]
    pub data: T,
}

/// WebSocket `data` of a request about one entry: conversation and seq beside the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AtEntry<T> {
    pub conversation: i64,
    pub seq: i64,
    #[serde(flatten)]
    pub data: T,
}

/// WebSocket `data` naming a conversation (and, for `get_receipts`, a seq).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationRef {
    pub conversation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// `list_conversations`: a page of the conversation list, most recent activity first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListConversations {
    /// The `activity` of the last conversation of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// `set_role`, `transfer_ownership` and `mute_member` over the WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberChange {
    /// `name@domain`.
    pub member: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::MemberRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

/// A frame from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame on every connection.
    Hello(Hello),
    /// A successful answer to the request with this `id`.
    Reply { id: u64, data: Value },
    /// A failed request (`id` set), or a frame that could not be read at all (`id` null).
    Error { id: Option<u64>, error: ErrorDetail },
    /// Something happened that the client did not ask about.
    Event(Event),
}

/// Sent once when the connection opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hello {
    pub session: SessionInfo,
    pub me: Me,
    /// The server pings this often; any frame from the client counts as a sign of life.
    pub heartbeat_interval_secs: u64,
    /// The connection is closed when nothing arrives from the client for this long.
    pub idle_timeout_secs: u64,
    /// Larger text frames are answered with a `too_large` error.
    pub frame_bytes_max: usize,
}

/// Server-pushed events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The account's profile changed (on this or another device).
    ProfileUpdated(Me),
    /// This session ends now; the server closes the socket right after this frame.
    SessionRevoked { reason: RevokeReason },
    /// A new entry in a conversation the account is a member of, in seq order.
    Entry(Box<crate::Entry>),
    /// A new event on the account's event log, in event seq order.
    Account(crate::AccountEventFrame),
    /// A member of a conversation is typing. Ephemeral: may be dropped, never replayed.
    Typing(crate::Typing),
    /// A contact's or co-member's presence changed. Ephemeral: may be dropped, never replayed.
    Presence(crate::Presence),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    Logout,
    Revoked,
    PasswordChanged,
    AccountDisabled,
    Expired,
}
