//! The core's error type. Transports map each variant to a stable wire code.

/// A failure inside a store adapter. The message is for the log, never for clients.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field breaks its rules; `field` names it, `reason` says which rule.
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// A field is longer than its limit.
    #[error("{field} is longer than {max} bytes")]
    TooLarge { field: &'static str, max: usize },
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
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("registration is closed in this domain")]
    RegistrationClosed,
    #[error("{0}")]
    LimitExceeded(&'static str),
    /// The server is too busy for this request right now; retrying later may succeed.
    #[error("{0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A background task (password hashing) failed; a bug or shutdown.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidField { field, reason: reason.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
