//! Magpie's search: messages, and people, groups and departments by name, in Chinese and
//! English.
//!
//! - [`analysis`]: how text becomes terms. NFKC, lower case and traditional → simplified
//!   folding; Chinese as characters, bigrams and jieba's words at character positions, so a
//!   query finds its words however the text was segmented; English words stemmed. One
//!   tokenizer for indexing, querying and highlighting.
//! - [`extract()`]: the searchable text of a message body, by kind.
//! - [`MessageIndex`] and [`MessageWriter`]: a tantivy index in a directory, one document per
//!   message, replaced by `(conversation, seq)`, with the log cursor it has reached committed
//!   atomically with the documents.
//! - [`MessageIndex::search`]: a query within the spans the searcher may read, with filters,
//!   by relevance or time, paged by cursor, with highlighted [`Snippet`]s.
//! - [`names`]: the in-memory index of names, by characters, pinyin, initials, login and email.
//!
//! Everything here is synchronous and CPU- or disk-bound: an async caller runs searches and
//! writes on a blocking thread. One [`MessageIndex`] is shared (it is `Send + Sync`) by every
//! search; its one [`MessageWriter`] belongs to the follower that feeds it.
//!
//! The crate knows ids (`i64` domains, conversations, seqs and accounts) and message bodies as
//! JSON, not the store or the server: who may read what is the caller's to say, in each
//! [`SearchRequest`], and this crate's to enforce.

pub mod analysis;
mod error;
pub mod extract;
pub mod index;
pub mod names;
pub mod query;
pub mod snippet;

pub use error::{Error, Result};
pub use extract::extract;
pub use index::{MessageDoc, MessageIndex, MessageWriter, Opened, SCHEMA_VERSION, WriterConfig};
pub use query::{Hit, Mentioning, Order, SearchPage, SearchRequest, Span};
pub use snippet::Snippet;
