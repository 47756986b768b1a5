//! Magpie's wire types: what travels over REST and the WebSocket.
//!
//! These types are the public protocol described in `docs/protocol.md`. They are kept apart
//! from the core's domain types and from database rows so that each can change on its own:
//! a field renamed here is a protocol change, a field renamed in the core is not.

mod chat;
mod error;
mod request;
mod rest;
mod ws;

pub use chat::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use request::*;
pub use rest::*;
pub use ws::*;
