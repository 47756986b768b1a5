//! The boundary's error table: core errors and request rejections become wire error bodies
//! with a stable code and the status that goes with it. Internal causes are logged, not sent.

use axum::Json;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use magpie_core::Error;
use magpie_wire::{ErrorBody, ErrorCode, ErrorDetail};

/// An error on its way to a client. Handlers return `Result<_, ApiError>`.
#[derive(Debug)]
pub struct ApiError(pub ErrorDetail);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(ErrorBody::new(code, message).error)
    }
}

/// The wire form of a core error. Store and internal failures are logged here, once.
pub fn detail(err: &Error) -> ErrorDetail {
    let mut d = ErrorBody::new(code(err), err.to_string()).error;
    match err {
        Error::InvalidField { field, .. } => d.field = Some(field.to_string()),
        Error::TooLarge { field, .. } => d.field = Some((*field).to_owned()),
        Error::RateLimited { retry_after_secs } => d.retry_after_secs = Some(*retry_after_secs),
        Error::Store(e) if e.is_transient() => {
            tracing::warn!(error = %err, "request failed for now");
            d.message = "the server is busy; retry shortly".to_owned();
        }
        Error::Store(_) | Error::Internal(_) => {
            tracing::error!(error = %err, "request failed");
            d.message = "internal error; see the server log".to_owned();
        }
        // Access control decisions that went against the caller are security events; the
        // request's span says which request it was.
        Error::Forbidden | Error::Unauthenticated | Error::AccountDisabled => {
            tracing::info!(target: "magpie::security", code = d.code.as_str(), "access refused");
        }
        _ => {}
    }
    d
}

fn code(err: &Error) -> ErrorCode {
    match err {
        Error::InvalidField { .. } => ErrorCode::InvalidField,
        Error::TooLarge { .. } => ErrorCode::TooLarge,
        Error::Unauthenticated => ErrorCode::Unauthenticated,
        Error::InvalidCredentials => ErrorCode::InvalidCredentials,
        Error::AccountDisabled => ErrorCode::AccountDisabled,
        Error::Forbidden => ErrorCode::Forbidden,
        Error::NotFound(_) => ErrorCode::NotFound,
        Error::AlreadyExists(_) => ErrorCode::AlreadyExists,
        Error::Conflict(_) => ErrorCode::Conflict,
        Error::ChecksumMismatch => ErrorCode::ChecksumMismatch,
        Error::RateLimited { .. } => ErrorCode::RateLimited,
        Error::RegistrationClosed => ErrorCode::RegistrationClosed,
        Error::ApprovalPending => ErrorCode::ApprovalPending,
        Error::RegistrationRejected => ErrorCode::RegistrationRejected,
        Error::LimitExceeded(_) => ErrorCode::LimitExceeded,
        Error::Unavailable(_) => ErrorCode::Unavailable,
        Error::AppFailed(_) => ErrorCode::AppFailed,
        Error::Store(e) if e.is_transient() => ErrorCode::Unavailable,
        Error::Store(_) | Error::Internal(_) => ErrorCode::Internal,
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError(detail(&err))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(ErrorCode::TooLarge, "the request body is larger than the server accepts");
        }
        ApiError::new(ErrorCode::MalformedRequest, rejection.body_text())
    }
}

/// A path parameter that did not parse: `malformed_request` naming it and what it should be,
/// in words ("`id`: expected an integer, got `abc`"), not the router's own text.
///
/// `name_of` names the parameter that holds a value, for errors axum reports without its name.
pub fn path_error(rejection: &PathRejection, name_of: impl Fn(&str) -> Option<String>) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
        return ApiError::new(ErrorCode::MalformedRequest, "the path does not name a resource");
    };
    let got = |value: &str| -> String { value.chars().take(64).collect() };
    let (key, message) = match failed.kind() {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
            (key.clone(), format!("expected {}, got `{}`", plain_type(expected_type), got(value)))
        }
        ErrorKind::ParseErrorAtIndex { value, expected_type, .. } | ErrorKind::ParseError { value, expected_type } => (
            name_of(value).unwrap_or_default(),
            format!("expected {}, got `{}`", plain_type(expected_type), got(value)),
        ),
        ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), "must be UTF-8".to_owned()),
        ErrorKind::DeserializeError { key, message, .. } => (key.clone(), value_message(message)),
        _ => (String::new(), "the path does not name a resource".to_owned()),
    };
    ApiError(field_error(&key, &message))
}

/// A Rust type's name as the protocol calls such a value.
fn plain_type(rust: &str) -> &'static str {
    match rust {
        "i64" | "i32" | "i16" | "i8" | "isize" => "an integer",
        "u64" | "u32" | "u16" | "u8" | "usize" => "a non-negative integer",
        "f64" | "f32" => "a number",
        "bool" => "true or false",
        _ => "a valid value",
    }
}

/// A `multipart/form-data` body that is not one (no boundary): without this, the framework
/// would answer in plain text.
impl From<MultipartRejection> for ApiError {
    fn from(rejection: MultipartRejection) -> Self {
        ApiError::new(ErrorCode::MalformedRequest, rejection.body_text())
    }
}

/// A multipart body that breaks off, is malformed or passes the route's body limit.
impl From<MultipartError> for ApiError {
    fn from(err: MultipartError) -> Self {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(ErrorCode::TooLarge, "the request body is larger than the server accepts");
        }
        ApiError::new(ErrorCode::MalformedRequest, err.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.0.retry_after_secs;
        let mut response = (status, Json(ErrorBody { error: self.0 })).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        // The metrics middleware counts errors by code from this extension.
        response.extensions_mut().insert(code);
        response
    }
}

/// A JSON parser's complaint as a client may read it: what was expected where, without the
/// parser's own vocabulary (Rust's integer types) or its position in the text.
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C" once it knows where it was.
    let text = match text.rfind(" at line ") {
        Some(at) if text[at..].contains(" column ") => &text[..at],
        _ => &text,
    };
    plain_types(text)
}

/// Rust's names for the wire's types, in words.
fn plain_types(text: &str) -> String {
    let mut out = text.to_owned();
    for (rust, plain) in [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected u32", "expected a non-negative integer"),
        ("expected usize", "expected a non-negative integer"),
        ("expected i32", "expected an integer"),
        ("expected u16", "expected a non-negative integer"),
        ("expected u8", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected an object"),
        ("invalid type: map", "invalid type: an object"),
        ("invalid type: sequence", "invalid type: an array"),
    ] {
        out = out.replace(rust, plain);
    }
    // "expected struct SendRequest" and the like name a Rust type: an object is what is meant.
    if let Some(at) = out.find("expected struct ") {
        out.truncate(at);
        out.push_str("expected an object");
    }
    out
}

/// Why a WebSocket request's `data` was refused: `malformed_request`, naming the field (the
/// path into `data`) and what it should have been.
pub fn data_error(kind: &str, e: &magpie_wire::DataError) -> ErrorDetail {
    let shown: String = kind.chars().take(64).collect();
    match e {
        magpie_wire::DataError::NotAnObject => {
            ErrorBody::new(ErrorCode::MalformedRequest, format!("data of {shown:?} must be a JSON object")).error
        }
        magpie_wire::DataError::Invalid { path, error } => field_error(path, &json_message(error)),
    }
}

/// A query or path value's parse error (Rust's `str::parse` messages, serde's), in words.
pub fn value_message(text: &str) -> String {
    match text {
        "invalid digit found in string" | "cannot parse integer from empty string" => "expected an integer".to_owned(),
        "number too large to fit in target type" | "number too small to fit in target type" => {
            "the integer is out of range".to_owned()
        }
        "provided string was not `true` or `false`" => "expected true or false".to_owned(),
        "invalid float literal" => "expected a number".to_owned(),
        _ => plain_types(text),
    }
}

/// `malformed_request` about one field (its path; none when the whole value is at fault).
pub fn field_error(path: &str, message: &str) -> ErrorDetail {
    let whole = path.is_empty() || path == ".";
    let text = if whole { message.to_owned() } else { format!("{path}: {message}") };
    let mut detail = ErrorBody::new(ErrorCode::MalformedRequest, text).error;
    if !whole {
        detail.field = Some(path.to_owned());
    }
    detail
}
