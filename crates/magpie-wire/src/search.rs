//! Search of messages (docs/protocol.md §7.14): the query with its filters, and the results
//! with their highlighted snippets.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Entry, SharedKind};

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchOrder {
    /// Best match first (the exact phrase above its words apart).
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

/// `GET /v1/search/messages`: messages the caller may read that match `q`, with filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchMessagesQuery {
    /// What to look for: 1 to 256 characters with at least one word (Chinese, English or
    /// both).
    pub q: String,
    /// Only this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// Only messages from this account (`name@domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Only messages sent at or after this time (ms since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<i64>,
    /// Only messages sent before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<i64>,
    /// Only messages that share this: a file, an image or a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has: Option<SharedKind>,
    /// Only messages that mention the caller, by name or with `@all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions_me: Option<bool>,
    /// Only messages of this kind (`text`, `file`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SearchOrder>,
    /// Results per page: 1 to 100, 20 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// The `next` of the previous page, with the same query, filters and order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// What a file is, by its message's kind or its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Image,
    Video,
    /// Voice messages and audio files.
    Audio,
    /// `pdf`, `doc(x)`, `txt`, `md`, `rtf`, `odt`, `pages`, `wps`, `epub`, `tex`.
    Document,
    /// `xls(x)`, `csv`, `tsv`, `ods`, `numbers`, `et`.
    Spreadsheet,
    /// `ppt(x)`, `odp`, `key`, `dps`.
    Presentation,
    /// `zip`, `rar`, `7z`, `tar`, `gz`, `tgz`, `bz2`, `xz`, `zst`.
    Archive,
    Other,
}

/// `GET /v1/search/files`: messages with files that the caller may read, by the files' names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchFilesQuery {
    /// Words of the file's name, at most 256 characters; empty or absent for every file the
    /// filters let through, newest first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// Only files of this type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// Only this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// Only files from this account (`name@domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Only files sent at or after this time (ms since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<i64>,
    /// Only files sent before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<i64>,
    /// `relevance` (the default with words) or `newest` (always without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SearchOrder>,
    /// Results per page: 1 to 100, 20 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// The `next` of the previous page, with the same query, filters and order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Where the query matched in a message's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Snippet {
    /// A part of the message's searchable text, at most 160 characters.
    pub text: String,
    /// What matched: `[start, end)` offsets in `text`, in characters (Unicode scalar values,
    /// as JavaScript's `Array.from(text)` counts them), in order, never overlapping.
    pub highlights: Vec<[u32; 2]>,
    /// The text goes on before `text`.
    pub cut_start: bool,
    /// The text goes on after `text`.
    pub cut_end: bool,
}

/// One message found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    pub conversation: i64,
    pub seq: i64,
    /// The sender's address.
    pub sender: String,
    pub at_ms: i64,
    pub snippet: Snippet,
    /// The message as it is now (edited: its new body), as the caller sees it.
    pub entry: Entry,
    /// The type of the message's first file (of the type asked for, in a search of files);
    /// absent for a message without files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchMessagesPage {
    pub results: Vec<SearchResult>,
    /// Messages that match, on every page, within what the caller may read.
    pub total: u64,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /v1/search/people` and `GET /v1/search/groups` (and their WebSocket twins): a name as
/// someone types it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchNamesQuery {
    /// A name, or its beginning, in characters, pinyin (`zhangsan`) or initials (`zs`); a
    /// login name, email or phone number: 1 to 64 characters with a letter, digit or
    /// character to look for.
    pub q: String,
    /// Results: 1 to 100, 20 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// Which of a name's forms matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// The display name (or title), or a word of it.
    Name,
    /// The login name.
    Login,
    /// The full pinyin of a Chinese name.
    Pinyin,
    /// The initials of its pinyin.
    Initials,
    Email,
    Phone,
}

/// A person found by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonFound {
    pub profile: crate::Profile,
    pub matched: NameMatch,
}

/// `GET /v1/search/people`: best match first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PeopleFound {
    pub results: Vec<PersonFound>,
}

/// A group or channel found by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupFound {
    pub conversation: i64,
    pub kind: crate::ConversationKind,
    pub title: String,
    pub matched: NameMatch,
}

/// `GET /v1/search/groups`: best match first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupsFound {
    pub results: Vec<GroupFound>,
}
