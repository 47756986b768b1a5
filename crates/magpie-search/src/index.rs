//! The message index: one tantivy index in a directory of its own, one document per message,
//! written by one [`MessageWriter`] and read by any number of searches.
//!
//! The index is derived data: it follows the log, and the log's cursor it has reached is
//! stored in tantivy's commit payload, in the same atomic write as the documents it covers
//! (tantivy replaces `meta.json` by a rename). After a crash the index is exactly its last
//! commit: [`MessageIndex::cursor`] says where to resume, what came after is gone, and
//! replaying it is harmless because [`MessageWriter::put`] replaces by `(conversation, seq)`.
//!
//! What the index does not know, and the caller decides at query time: who may read what
//! (the readable spans of [`crate::SearchRequest`]) and what a reader hid for itself
//! (delete-for-me, [`crate::SearchRequest::excluded`]). Recalls, dissolutions and retention
//! are removals ([`MessageWriter::remove`], [`MessageWriter::remove_conversation`],
//! [`MessageWriter::remove_through`]).

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use crate::analysis::{MESSAGE_TOKENIZER, MessageTokenizer};
use crate::{Error, Result};

/// The version of the index's layout: its fields and how text is analysed. Opening an index
/// written with another version deletes it and starts an empty one, which the caller fills
/// again from the start of the log. Change it whenever the schema or [`crate::analysis`]
/// changes what a text indexes as.
pub const SCHEMA_VERSION: u32 = 2;
/// Indexing memory of a writer, in bytes, by default: above it the writer writes a segment.
pub const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// A message as the index keeps it. The text is what [`crate::extract()`] gives for its body;
/// the flags come from the caller's reading of the body (`magpie-core`'s `shared_kind`), so
/// the rule "what is a link" lives in one place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageDoc {
    pub domain: i64,
    pub conversation: i64,
    pub seq: i64,
    /// The sender's account id.
    pub sender: i64,
    pub at_ms: i64,
    pub kind: String,
    pub text: String,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
    /// Account ids the message mentions.
    pub mentions: Vec<i64>,
    /// The message mentions everyone (`@all`).
    pub mention_all: bool,
    /// The types of the files the message carries (`image`, `document`, …: the caller's
    /// words), one per file; empty for a message without files. A search for files finds
    /// only messages with some, by type if it asks.
    pub file_types: Vec<String>,
}

/// How the index was found when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// There was none: a new, empty index.
    Created,
    /// An index of this version, at its last commit.
    Existing,
    /// An index this version cannot use (another schema version, or no payload of ours): it
    /// was deleted and an empty one made in its place.
    Rebuilt { reason: String },
}

/// The tuning of a writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Indexing memory over all threads, in bytes (at least 15 MB per thread).
    pub heap_bytes: usize,
    /// Threads that build segments.
    pub threads: usize,
    /// Threads that merge segments in the background.
    pub merge_threads: usize,
}

impl Default for WriterConfig {
    fn default() -> WriterConfig {
        WriterConfig { heap_bytes: WRITER_HEAP_BYTES, threads: 1, merge_threads: 1 }
    }
}

/// What the index keeps in its commit payload.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    cursor: Option<String>,
}

/// The index's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// `(conversation, seq)` as 16 big-endian bytes: the unique key a put replaces by.
    pub key: Field,
    pub domain: Field,
    pub conversation: Field,
    pub seq: Field,
    pub sender: Field,
    pub at_ms: Field,
    pub kind: Field,
    /// `file`, `image`, `link`, `all` (mentions everyone), `files` (carries a file) and
    /// `type:<t>` for each file's type.
    pub flags: Field,
    pub mentions: Field,
    pub text: Field,
}

pub(crate) mod flag {
    pub const FILE: &str = "file";
    pub const IMAGE: &str = "image";
    pub const LINK: &str = "link";
    pub const MENTION_ALL: &str = "all";
    /// The message carries a file of any type.
    pub const ANY_FILE: &str = "files";
    /// The message carries a file of the type that follows.
    pub const FILE_TYPE_PREFIX: &str = "type:";
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(MESSAGE_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        key: b.add_bytes_field("key", INDEXED),
        domain: b.add_i64_field("domain", INDEXED),
        conversation: b.add_i64_field("conversation", INDEXED | FAST),
        seq: b.add_i64_field("seq", FAST),
        sender: b.add_i64_field("sender", INDEXED | FAST),
        at_ms: b.add_i64_field("at_ms", INDEXED | FAST),
        kind: b.add_text_field("kind", STRING),
        flags: b.add_text_field("flags", STRING),
        mentions: b.add_i64_field("mentions", INDEXED),
        text: b.add_text_field("text", text_options | STORED),
    };
    (b.build(), fields)
}

pub(crate) fn key(conversation: i64, seq: i64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&conversation.to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// A message index in a directory that belongs to it alone.
pub struct MessageIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    dir: PathBuf,
    opened: Opened,
}

impl std::fmt::Debug for MessageIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageIndex").field("dir", &self.dir).field("opened", &self.opened).finish()
    }
}

impl MessageIndex {
    /// Opens the index in `dir`, or creates it (and `dir`). The directory is the index's: an
    /// index of another schema version is deleted with everything in the directory.
    pub fn open_or_create(dir: &Path) -> Result<MessageIndex> {
        fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let existing = Index::exists(&MmapDirectory::open(dir)?).map_err(TantivyError::from)?;
        let opened = if existing {
            let index = Index::open_in_dir(dir)?;
            match Self::check(&index, &schema) {
                Ok(()) => return Self::ready(index, fields, dir, Opened::Existing),
                Err(reason) => {
                    drop(index);
                    fs::remove_dir_all(dir)?;
                    fs::create_dir_all(dir)?;
                    Opened::Rebuilt { reason }
                }
            }
        } else {
            Opened::Created
        };
        let index = Index::create_in_dir(dir, schema)?;
        // The first commit writes the payload, so that every index on disk says its version.
        let ready = Self::ready(index, fields, dir, opened)?;
        ready.writer()?.commit_payload(None)?;
        Ok(ready)
    }

    /// Why an existing index cannot be used as it is, if it cannot.
    fn check(index: &Index, schema: &Schema) -> Result<(), String> {
        let metas = index.load_metas().map_err(|e| format!("unreadable meta.json: {e}"))?;
        let payload = metas.payload.ok_or("no payload")?;
        let payload: Payload = serde_json::from_str(&payload).map_err(|e| format!("payload {payload:?}: {e}"))?;
        if payload.schema != SCHEMA_VERSION {
            return Err(format!("schema version {}, this is {SCHEMA_VERSION}", payload.schema));
        }
        if index.schema() != *schema {
            return Err(format!("schema version {SCHEMA_VERSION} with other fields"));
        }
        Ok(())
    }

    fn ready(index: Index, fields: Fields, dir: &Path, opened: Opened) -> Result<MessageIndex> {
        index.tokenizers().register(MESSAGE_TOKENIZER, MessageTokenizer);
        // Commits by this process's writer are made visible at once (`MessageWriter::commit`);
        // the watch on meta.json picks up the commits of a writer in another process.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(MessageIndex { index, reader, fields, dir: dir.to_owned(), opened })
    }

    /// How the index was found when it was opened.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log cursor of the last commit: where to resume following the log. `None` for an
    /// index that has never committed one (new or rebuilt): follow from the start.
    pub fn cursor(&self) -> Result<Option<String>> {
        let metas = self.index.load_metas()?;
        let payload = metas.payload.unwrap_or_default();
        let payload: Payload = serde_json::from_str(&payload)
            .map_err(|e| Error::Payload { dir: self.dir.clone(), reason: e.to_string() })?;
        Ok(payload.cursor)
    }

    /// The writer, with the default tuning. There is one at a time per index, across
    /// processes: a second is [`Error::Locked`].
    pub fn writer(&self) -> Result<MessageWriter> {
        self.writer_with(WriterConfig::default())
    }

    pub fn writer_with(&self, config: WriterConfig) -> Result<MessageWriter> {
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .memory_budget_per_thread(config.heap_bytes / config.threads.max(1))
            .num_worker_threads(config.threads.max(1))
            .num_merge_threads(config.merge_threads.max(1))
            .build();
        let writer = self.index.writer_with_options(options).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => Error::Locked(self.dir.clone()),
            e => Error::Index(e),
        })?;
        Ok(MessageWriter { writer, reader: self.reader.clone(), fields: self.fields })
    }

    /// Messages searchable now (as of the last reload).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Makes every commit so far searchable now, without waiting for the watch on meta.json
    /// (for commits by another process).
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }
}

/// The one writer of an index. Puts and removals are batched in memory (and in segments not
/// yet committed) until [`MessageWriter::commit`]; dropping the writer, or a crash, loses
/// what was not committed and nothing else.
pub struct MessageWriter {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
}

impl MessageWriter {
    /// Indexes a message, replacing any earlier version of it (an edit, or the same message
    /// again after a resume): there is never more than one document per `(conversation, seq)`.
    pub fn put(&mut self, message: &MessageDoc) -> Result<()> {
        debug_assert!(message.seq >= 1, "seqs start at 1");
        let f = &self.fields;
        self.writer.delete_term(Term::from_field_bytes(f.key, &key(message.conversation, message.seq)));
        let mut doc = TantivyDocument::default();
        doc.add_bytes(f.key, &key(message.conversation, message.seq));
        doc.add_i64(f.domain, message.domain);
        doc.add_i64(f.conversation, message.conversation);
        doc.add_i64(f.seq, message.seq);
        doc.add_i64(f.sender, message.sender);
        doc.add_i64(f.at_ms, message.at_ms);
        doc.add_text(f.kind, &message.kind);
        let flags = [
            (message.has_file, flag::FILE),
            (message.has_image, flag::IMAGE),
            (message.has_link, flag::LINK),
            (message.mention_all, flag::MENTION_ALL),
        ];
        for (_, name) in flags.iter().filter(|(set, _)| *set) {
            doc.add_text(f.flags, name);
        }
        if !message.file_types.is_empty() {
            doc.add_text(f.flags, flag::ANY_FILE);
        }
        for file_type in &message.file_types {
            doc.add_text(f.flags, format!("{}{file_type}", flag::FILE_TYPE_PREFIX));
        }
        for account in &message.mentions {
            doc.add_i64(f.mentions, *account);
        }
        doc.add_text(f.text, &message.text);
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a message (recalled, or deleted for everyone).
    pub fn remove(&mut self, conversation: i64, seq: i64) {
        self.writer.delete_term(Term::from_field_bytes(self.fields.key, &key(conversation, seq)));
    }

    /// Removes every message of a conversation (dissolved).
    pub fn remove_conversation(&mut self, conversation: i64) {
        self.writer.delete_term(Term::from_field_i64(self.fields.conversation, conversation));
    }

    /// Removes a conversation's messages up to `through` (deleted by retention): the keys from
    /// `(conversation, 0)` to `(conversation, through)`, which sort together.
    pub fn remove_through(&mut self, conversation: i64, through: i64) -> Result<()> {
        let (from, to) = (key(conversation, 0), key(conversation, through));
        let range = tantivy::query::RangeQuery::new(
            std::ops::Bound::Included(Term::from_field_bytes(self.fields.key, &from)),
            std::ops::Bound::Included(Term::from_field_bytes(self.fields.key, &to)),
        );
        self.writer.delete_query(Box::new(range))?;
        Ok(())
    }

    /// Makes everything written so far durable and searchable, with `cursor` (the log's
    /// position up to which everything has been written) in the same atomic commit.
    pub fn commit(&mut self, cursor: &str) -> Result<()> {
        self.commit_payload(Some(cursor.to_owned()))
    }

    fn commit_payload(&mut self, cursor: Option<String>) -> Result<()> {
        let payload = serde_json::to_string(&Payload { schema: SCHEMA_VERSION, cursor })
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Drops everything written since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_and_its_writer_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<MessageIndex>();
        shareable::<MessageWriter>();
    }

    #[test]
    fn keys_tell_every_conversation_and_seq_apart() {
        assert_ne!(key(1, 23), key(12, 3));
        assert_ne!(key(1, 2), key(2, 1));
        assert_eq!(key(7, 9), key(7, 9));
    }
}
