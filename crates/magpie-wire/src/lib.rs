//! Magpie's wire types: what travels over REST and the WebSocket.
//!
//! These types are the public protocol described in `docs/protocol.md`. They are kept apart
//! from the core's domain types and from database rows so that each can change on its own:
//! a field renamed here is a protocol change, a field renamed in the core is not.

mod apps;
mod bots;
mod chat;
mod error;
mod money;
mod org;
mod request;
mod rest;
mod scheduled;
mod search;
mod ws;

pub use apps::*;
pub use bots::*;
pub use chat::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use money::*;
pub use org::*;
pub use request::*;
pub use rest::*;
pub use scheduled::*;
pub use search::*;
pub use ws::*;

/// For request fields that have a default: `null` reads as the default, as leaving the field
/// out does (protocol.md §1: `null` for an optional field is the same as leaving it out).
/// `Option` fields need nothing: serde reads `null` as `None`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

/// A field that may be absent (`None`), `null` (`Some(None)`: cleared) or set.
pub(crate) fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}
