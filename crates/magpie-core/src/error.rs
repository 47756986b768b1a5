//! The core's error type. Transports map each variant to a stable wire code.

/// A failure inside a store adapter, by what the caller can do about it. The message is for
/// the log, never for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store is busy (a lock held elsewhere): the same call may well succeed shortly.
    #[error("store busy: {0}")]
    Busy(String),
    /// The transaction lost to a concurrent one (a serialisation failure): retry it whole.
    #[error("store conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached or has stopped serving.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// What is stored breaks the schema's rules: a bug or damage, never retried.
    #[error("store data corrupt: {0}")]
    Corrupt(String),
    /// Anything else.
    #[error("store: {0}")]
    Other(String),
}

impl StoreError {
    /// Whether running the same call again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Busy(_) | StoreError::Conflict(_) | StoreError::Unavailable(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field breaks its rules; `field` names it, `reason` says which rule.
    #[error("{field}: {reason}")]
    InvalidField { field: std::borrow::Cow<'static, str>, reason: String },
    /// A field is longer than its limit of `max` `unit`s (bytes or characters).
    #[error("{field} is larger than {max} {unit}")]
    TooLarge { field: &'static str, max: usize, unit: Unit },
    #[error("no valid session")]
    Unauthenticated,
    #[error("unknown account or wrong password")]
    InvalidCredentials,
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("not allowed")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// The request does not fit the current state; `0` says how.
    #[error("{0}")]
    Conflict(String),
    #[error("the checksum does not match the content")]
    ChecksumMismatch,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("registration is closed in this domain")]
    RegistrationClosed,
    #[error("the application to join this domain waits for an administrator's approval")]
    ApprovalPending,
    #[error("an administrator declined the application to join this domain")]
    RegistrationRejected,
    #[error("{0}")]
    LimitExceeded(&'static str),
    /// The server is too busy for this request right now; retrying later may succeed.
    #[error("{0}")]
    Unavailable(&'static str),
    /// An app the request went to (a card's action, a slash command) did not answer, or
    /// answered an error or something that is not valid; `0` says which.
    #[error("{0}")]
    AppFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A background task (password hashing) failed; a bug or shutdown.
    #[error("internal: {0}")]
    Internal(String),
}

/// What a length limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    /// Unicode scalar values.
    Characters,
    /// Pixels of an image (width times height).
    Pixels,
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unit::Bytes => "bytes",
            Unit::Characters => "characters",
            Unit::Pixels => "pixels",
        })
    }
}

impl Error {
    pub fn too_large(field: &'static str, max: usize, unit: Unit) -> Error {
        Error::TooLarge { field, max, unit }
    }

    /// `field` is the field's path: a name (`"body"`) or, in a nested body, where it is
    /// (`"body.blocks[2].label"`).
    pub fn invalid(field: impl Into<std::borrow::Cow<'static, str>>, reason: impl Into<String>) -> Error {
        Error::InvalidField { field: field.into(), reason: reason.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
