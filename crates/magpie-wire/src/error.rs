//! The error code table. Codes are stable: clients match on them, so a code is never renamed
//! or reused for a different meaning.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A stable, machine-readable error code. The HTTP status that goes with each code is given
/// by [`ErrorCode::http_status`]; over the WebSocket the code travels in an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter is not valid JSON or not of the expected shape.
    MalformedRequest,
    /// A field has a value outside its rules (length, charset, range).
    InvalidField,
    /// No valid session token was presented.
    Unauthenticated,
    /// The account does not exist or the password is wrong (deliberately not told apart).
    InvalidCredentials,
    /// The account has been disabled by an administrator.
    AccountDisabled,
    /// The caller is authenticated but may not do this.
    Forbidden,
    /// The thing does not exist, or the caller may not know that it exists.
    NotFound,
    /// The endpoint exists but not with this HTTP method.
    MethodNotAllowed,
    /// The thing already exists (an account name, a domain).
    AlreadyExists,
    /// The request does not fit the resource's current state (an upload offset that moved on).
    Conflict,
    /// An upload chunk's checksum does not match its content; the chunk was discarded.
    ChecksumMismatch,
    /// Too many attempts; `retry_after_secs` says when to try again.
    RateLimited,
    /// Self-registration is closed in this domain.
    RegistrationClosed,
    /// The account applied to join a domain whose registration needs approval, and no
    /// administrator has decided yet.
    ApprovalPending,
    /// An administrator declined the account's application.
    RegistrationRejected,
    /// A body, frame or field is larger than its configured limit.
    TooLarge,
    /// A count limit (connections of a session, items in a list) would be exceeded.
    LimitExceeded,
    /// A WebSocket frame is not valid JSON or lacks `type`.
    MalformedFrame,
    /// A WebSocket frame has a `type` this server does not know.
    UnknownFrameType,
    /// The server is starting, shutting down or overloaded; retry later.
    Unavailable,
    /// Something failed inside the server; the cause is in the server's log, never here.
    Internal,
    /// The app that was asked (a card's action, a slash command) did not answer, or answered
    /// an error or something that is not valid; `message` says which.
    AppFailed,
    /// A code this client version does not know (sent by a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code, in table order; used by the docs test that keeps `docs/protocol.md` true.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::MalformedRequest,
        ErrorCode::InvalidField,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::AccountDisabled,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::AlreadyExists,
        ErrorCode::Conflict,
        ErrorCode::ChecksumMismatch,
        ErrorCode::RateLimited,
        ErrorCode::RegistrationClosed,
        ErrorCode::ApprovalPending,
        ErrorCode::RegistrationRejected,
        ErrorCode::TooLarge,
        ErrorCode::LimitExceeded,
        ErrorCode::MalformedFrame,
        ErrorCode::UnknownFrameType,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::AppFailed,
    ];

    /// The snake_case code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ChecksumMismatch => "checksum_mismatch",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::RegistrationClosed => "registration_closed",
            ErrorCode::ApprovalPending => "approval_pending",
            ErrorCode::RegistrationRejected => "registration_rejected",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::LimitExceeded => "limit_exceeded",
            ErrorCode::MalformedFrame => "malformed_frame",
            ErrorCode::UnknownFrameType => "unknown_frame_type",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::AppFailed => "app_failed",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The HTTP status a REST response with this code carries.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedRequest | ErrorCode::MalformedFrame | ErrorCode::UnknownFrameType => 400,
            ErrorCode::InvalidField | ErrorCode::LimitExceeded => 422,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::AccountDisabled
            | ErrorCode::Forbidden
            | ErrorCode::RegistrationClosed
            | ErrorCode::ApprovalPending
            | ErrorCode::RegistrationRejected => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::AlreadyExists | ErrorCode::Conflict => 409,
            // The tus checksum extension's status for a chunk whose checksum does not match.
            ErrorCode::ChecksumMismatch => 460,
            ErrorCode::TooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::AppFailed => 502,
            ErrorCode::Internal | ErrorCode::Unknown => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error response: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`, `field`, `retry_after_secs`) and people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A human-readable sentence; never contains internal causes.
    pub message: String,
    /// The offending field, for `invalid_field` and `too_large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rate_limited`: seconds until another attempt may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody { error: ErrorDetail { code, message: message.into(), field: None, retry_after_secs: None } }
    }
}
