//! The crate's one error type, typed by what a caller can do: a bad request is the client's to
//! fix (and maps to `invalid_request` or `too_large` at the transport), a busy index is another
//! writer's, and the rest are the index's failures.

use std::path::PathBuf;

use crate::query::{EXCLUDED_LEN_MAX, SPANS_LEN_MAX};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the query is longer than {chars_max} characters")]
    QueryTooLong { chars_max: usize },
    #[error("the query has no word to search for")]
    EmptyQuery,
    #[error("a page holds 1 to {len_max} results")]
    PageLen { len_max: usize },
    #[error("at most {SPANS_LEN_MAX} readable spans")]
    TooManySpans,
    #[error("at most {EXCLUDED_LEN_MAX} excluded messages")]
    TooManyExcluded,
    #[error("the cursor is not one this search returned")]
    BadCursor,
    #[error("the name index holds at most {0} names")]
    NamesFull(usize),
    /// Another writer (in this process or another) holds the index.
    #[error("the search index in {0} is being written by another writer")]
    Locked(PathBuf),
    /// The commit payload is not one this crate wrote.
    #[error("the search index in {dir} has an unreadable commit payload: {reason}")]
    Payload { dir: PathBuf, reason: String },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Is this the caller's request at fault (and not the index)?
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            Error::QueryTooLong { .. }
                | Error::EmptyQuery
                | Error::PageLen { .. }
                | Error::TooManySpans
                | Error::TooManyExcluded
                | Error::BadCursor
        )
    }
}
