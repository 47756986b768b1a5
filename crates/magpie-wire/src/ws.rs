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
