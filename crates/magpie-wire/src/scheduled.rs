//! Scheduled messages: a message the server sends at a time its author chose (see
//! docs/protocol.md, section 7.12). REST names the conversation, or the scheduled message, in
//! the path; the WebSocket carries them as `conversation` and `id` fields next to the others.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::ErrorCode;

/// `POST /v1/conversations/{id}/scheduled`: a message, as a send takes it (without a
/// `client_msg_id`: the server makes one), and when to send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduleRequest {
    /// A message kind, as for a send.
    #[schema(pattern = "^[a-z][a-z0-9_.]{0,31}$")]
    pub kind: String,
    /// A JSON object whose shape depends on `kind`.
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
    /// When to send it, in milliseconds since the Unix epoch: ahead of now (a minute behind is
    /// taken as now), at most `scheduled.ahead_secs_max` (366 days) ahead.
    pub send_at_ms: i64,
}

/// `PATCH /v1/scheduled/{id}`: what to change; at least one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateScheduledRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_at_ms: Option<i64>,
    /// A new body of the message's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    /// The mentions, replaced as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_all: Option<bool>,
}

/// Whether a scheduled message still waits for its time, or its send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    /// It will be sent at `send_at_ms`.
    Pending,
    /// Its send failed when it fell due (`failure` says why): it is not tried again unless
    /// edited or sent now.
    Failed,
}

/// Why a scheduled message's send failed: the error the send got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledFailure {
    pub code: ErrorCode,
    pub message: String,
    pub at_ms: i64,
}

/// A message the caller scheduled. Once sent it is no longer scheduled: it is the message
/// whose `client_msg_id` is `scheduled:<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledMessage {
    pub id: i64,
    pub conversation: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub body: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mention_all: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    pub send_at_ms: i64,
    pub created_at_ms: i64,
    /// When it was scheduled or last edited.
    pub updated_at_ms: i64,
    pub state: ScheduledState,
    /// Why its send failed; only when `state` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ScheduledFailure>,
}

/// `GET /v1/scheduled` and `GET /v1/conversations/{id}/scheduled`: the caller's scheduled
/// messages, the earliest first; all of them (an account has at most
/// `scheduled.per_account_max`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledList {
    pub scheduled: Vec<ScheduledMessage>,
}

/// WebSocket `data` of `list_scheduled`: one conversation's, or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
}

/// WebSocket `data` naming one of the caller's scheduled messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledRef {
    pub id: i64,
}

/// WebSocket `data` of a request about one scheduled message: its id beside the REST body's
/// fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InScheduled<T> {
    pub id: i64,
    #[serde(flatten)]
    pub data: T,
}

fn is_false(b: &bool) -> bool {
    !*b
}
