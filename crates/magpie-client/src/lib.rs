//! The Rust SDK for Magpie. It speaks the protocol of `docs/protocol.md`: REST for requests
//! and the WebSocket for live frames. Magpie's own tests, the bench and tools use it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), magpie_client::Error> {
//! let client = magpie_client::Client::new("http://127.0.0.1:8080")?;
//! let (alice, _login) = client.login("alice@localhost", "plum-kettle-orbit-47").await?;
//! let me = alice.me().await?;
//! let mut live = alice.connect().await?;
//! live.ping().await?;
//! # Ok(()) }
//! ```

pub mod apps;
mod bots;
pub mod cards;
mod chat;
mod files;
mod live;
mod org;
mod push;
mod replica;
mod rest;
mod wallets;
pub mod workbench;

pub use cards::Card;
pub use chat::text_message;
pub use files::RawResponse;
pub use live::{CloseInfo, Connection, Incoming};
pub use magpie_wire as wire;
pub use replica::{ConversationReplica, Replica};
pub use rest::{Client, Error};
pub use workbench::{OAuthClient, Pkce};
