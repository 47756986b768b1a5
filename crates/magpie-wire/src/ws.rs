//! WebSocket frames on `/v1/ws`. Every frame is one JSON text message.
//!
//! A client request is `{"id": 7, "type": "ping", "data": {…}}`; the server answers with a
//! `reply` or an `error` frame carrying the same `id`, and pushes `event` frames on its own.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
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

/// WebSocket `data` of a request about one thread: its conversation and root beside the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AtRoot<T> {
    pub conversation: i64,
    pub root: i64,
    #[serde(flatten)]
    pub data: T,
}

/// WebSocket `data` naming one of the caller's saved messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SavedRef {
    pub id: i64,
}

/// WebSocket `data` of a request about one saved message: its id beside the REST body's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InSaved<T> {
    pub id: i64,
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
    pub limit: Option<i64>,
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame on every connection.
    Hello(Hello),
    /// A successful answer to the request with this `id`; `data`'s type is the request's.
    Reply {
        id: u64,
        #[schema(value_type = Object)]
        data: Box<RawValue>,
    },
    /// A failed request (`id` set), or a frame that could not be read at all (`id` null).
    Error { id: Option<u64>, error: ErrorDetail },
    /// Something happened that the client did not ask about.
    Event(Event),
}

impl ServerFrame {
    /// Reads a frame from its JSON text. Use this rather than `serde_json::from_str`: a
    /// `reply`'s `data` is kept raw, and serde reads an internally tagged enum through a
    /// buffer that raw JSON cannot come out of.
    pub fn from_json(text: &str) -> serde_json::Result<ServerFrame> {
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(rename = "type", borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        #[derive(Deserialize)]
        struct Reply<'a> {
            id: u64,
            #[serde(borrow)]
            data: &'a RawValue,
        }
        if serde_json::from_str::<Kind<'_>>(text)?.kind == "reply" {
            let reply: Reply<'_> = serde_json::from_str(text)?;
            return Ok(ServerFrame::Reply { id: reply.id, data: reply.data.to_owned() });
        }
        serde_json::from_str(text)
    }
}

impl PartialEq for ServerFrame {
    fn eq(&self, other: &ServerFrame) -> bool {
        match (self, other) {
            (ServerFrame::Hello(a), ServerFrame::Hello(b)) => a == b,
            (ServerFrame::Reply { id: a, data: x }, ServerFrame::Reply { id: b, data: y }) => {
                a == b && x.get() == y.get()
            }
            (ServerFrame::Error { id: a, error: x }, ServerFrame::Error { id: b, error: y }) => a == b && x == y,
            (ServerFrame::Event(a), ServerFrame::Event(b)) => a == b,
            _ => false,
        }
    }
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
    /// Members' read or delivery marks passed the receiver's messages in a group or channel.
    /// Ephemeral: may be dropped, never replayed; `list_members` reads the marks.
    Marks(crate::Marks),
    /// The organisation of the account's domain changed (departments, their people, titles or
    /// managers): a client that shows it reads it again. Ephemeral: may be dropped, never
    /// replayed. `data` is `{}`.
    DirectoryChanged {},
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
