//! A typed harness: an index in a temporary directory, messages put by conversation, seq and
//! text, and searches that read like the scenario.

use magpie_search::{MessageDoc, MessageIndex, MessageWriter, SearchPage, SearchRequest, Span};
use tempfile::TempDir;

/// The domain every message of the harness is in, unless a test says otherwise.
pub const DOMAIN: i64 = 1;
/// The sender of the harness's messages, unless a test says otherwise.
pub const SENDER: i64 = 100;

pub struct TestIndex {
    _dir: TempDir,
    pub index: MessageIndex,
    writer: Option<MessageWriter>,
    dirty: bool,
}

/// A text message of the harness's domain and sender, at `seq` seconds.
pub fn message(conversation: i64, seq: i64, text: &str) -> MessageDoc {
    MessageDoc {
        domain: DOMAIN,
        conversation,
        seq,
        sender: SENDER,
        at_ms: seq * 1000,
        kind: "text".into(),
        text: text.into(),
        ..MessageDoc::default()
    }
}

/// Every conversation from 1 to 20, from its start.
pub fn everything() -> Vec<Span> {
    (1..=20).map(|conversation| Span { conversation, from_seq: 0, until_seq: None }).collect()
}

impl TestIndex {
    pub fn new() -> TestIndex {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let index = MessageIndex::open_or_create(dir.path()).expect("a new index");
        let writer = Some(index.writer().expect("the writer"));
        TestIndex { _dir: dir, index, writer, dirty: false }
    }

    pub fn writer(&mut self) -> &mut MessageWriter {
        self.dirty = true;
        self.writer.as_mut().expect("the harness holds the writer")
    }

    /// Puts a text message in conversation 1.
    pub fn say(&mut self, seq: i64, text: &str) -> &mut TestIndex {
        self.put(message(1, seq, text))
    }

    pub fn put(&mut self, doc: MessageDoc) -> &mut TestIndex {
        self.writer().put(&doc).expect("put");
        self
    }

    pub fn commit(&mut self) {
        if self.dirty {
            self.writer().commit("test").expect("commit");
            self.dirty = false;
        }
    }

    /// Commits what was written and runs `request`.
    pub fn search(&mut self, request: &SearchRequest) -> SearchPage {
        self.commit();
        self.index.search(request).expect("search")
    }

    /// The `(conversation, seq)` of the first page for `query` over everything, best first.
    pub fn find(&mut self, query: &str) -> Vec<(i64, i64)> {
        let page = self.search(&SearchRequest::new(DOMAIN, query, everything()));
        page.hits.iter().map(|h| (h.conversation, h.seq)).collect()
    }

    /// The seqs of conversation 1 found for `query`, best first.
    pub fn seqs(&mut self, query: &str) -> Vec<i64> {
        self.find(query).into_iter().map(|(_, seq)| seq).collect()
    }
}
