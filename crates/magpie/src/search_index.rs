//! The core's `SearchIndex` on `magpie-search`: a tantivy index in a directory of its own
//! (`<data dir>/search/` unless configured), each node its own, fed by the core's indexer. tantivy's work is CPU- and disk-bound, so
//! every call runs on the blocking pool; the one writer sits behind a mutex that only the
//! indexer's commits take.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use magpie_core::model::{AccountId, ConversationId, LogCursor, Seq};
use magpie_core::search::{Has, IndexHit, IndexPage, IndexQuery, IndexWrite, SearchIndex, SearchOrder, Snippet};
use magpie_core::{Error, StoreError, Unit};
use magpie_search::{Mentioning, MessageDoc, MessageIndex, MessageWriter, Order, SearchRequest, Span};

pub struct TantivyIndex {
    index: Arc<MessageIndex>,
    writer: Arc<Mutex<MessageWriter>>,
}

impl TantivyIndex {
    /// Opens (or creates, or rebuilds if its version is not this one's) the index in `dir` and
    /// takes its writer: one process at a time, so a second fails here.
    pub fn open(dir: &Path) -> anyhow::Result<TantivyIndex> {
        let index = MessageIndex::open_or_create(dir)?;
        if let magpie_search::Opened::Rebuilt { reason } = index.opened() {
            tracing::warn!(dir = %dir.display(), %reason, "the search index was rebuilt empty; indexing the log from its start");
        }
        let writer = index.writer()?;
        Ok(TantivyIndex { index: Arc::new(index), writer: Arc::new(Mutex::new(writer)) })
    }
}

fn store_error(e: magpie_search::Error) -> StoreError {
    StoreError::Other(format!("search index: {e}"))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Other(format!("search index task: {e}")))
}

fn doc(m: magpie_core::search::IndexedMessage) -> MessageDoc {
    MessageDoc {
        domain: m.domain.0,
        conversation: m.conversation.0,
        seq: m.seq.0,
        sender: m.sender.0,
        at_ms: m.at_ms,
        text: magpie_search::extract(&m.kind, &m.body),
        kind: m.kind,
        has_file: m.has_file,
        has_image: m.has_image,
        has_link: m.has_link,
        mentions: m.mentions.iter().map(|a| a.0).collect(),
        mention_all: m.mention_all,
        file_types: m.file_types.iter().map(|t| t.as_str().to_owned()).collect(),
    }
}

fn request(q: IndexQuery) -> SearchRequest {
    let readable = q
        .readable
        .iter()
        .map(|s| Span { conversation: s.conversation.0, from_seq: s.from.0, until_seq: s.until.map(|u| u.0) })
        .collect();
    let mut r = SearchRequest::new(q.domain.0, q.query, readable);
    r.excluded = q.excluded.iter().map(|(c, s)| (c.0, s.0)).collect();
    r.conversation = q.conversation.map(|c| c.0);
    r.sender = q.sender.map(|a| a.0);
    r.after_ms = q.after_ms;
    r.before_ms = q.before_ms;
    r.has_file = q.has == Some(Has::File);
    r.has_image = q.has == Some(Has::Image);
    r.has_link = q.has == Some(Has::Link);
    r.mentioning = q.mentioning.map(|a: AccountId| Mentioning { account: a.0, or_all: true });
    r.kind = q.kind;
    r.files = q.files.map(|t| t.map(|t| t.as_str().to_owned()));
    r.order = match q.order {
        SearchOrder::Relevance => Order::Relevance,
        SearchOrder::Newest => Order::Newest,
    };
    r.limit = q.limit;
    r.cursor = q.cursor;
    r
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    async fn cursor(&self) -> Result<Option<LogCursor>, StoreError> {
        let index = self.index.clone();
        let cursor = blocking(move || index.cursor()).await?.map_err(store_error)?;
        cursor
            .map(|c| c.parse::<LogCursor>().map_err(|e| StoreError::Corrupt(format!("search index cursor {c:?}: {e}"))))
            .transpose()
    }

    async fn commit(&self, writes: Vec<IndexWrite>, cursor: LogCursor) -> Result<(), StoreError> {
        let writer = self.writer.clone();
        blocking(move || {
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            let apply = || -> magpie_search::Result<()> {
                for write in writes {
                    match write {
                        IndexWrite::Put(m) => writer.put(&doc(m))?,
                        IndexWrite::Remove(c, s) => writer.remove(c.0, s.0),
                        IndexWrite::RemoveConversation(c) => writer.remove_conversation(c.0),
                        IndexWrite::RemoveThrough(c, s) => writer.remove_through(c.0, s.0)?,
                    }
                }
                writer.commit(&cursor.to_string())
            };
            let outcome = apply();
            if outcome.is_err() {
                // What was written since the last commit is dropped: the indexer writes it again.
                let _ = writer.rollback();
            }
            outcome
        })
        .await?
        .map_err(store_error)
    }

    async fn search(&self, query: IndexQuery) -> magpie_core::Result<IndexPage> {
        let index = self.index.clone();
        let request = request(query);
        let page = blocking(move || index.search(&request)).await?;
        let page = page.map_err(|e| match e {
            magpie_search::Error::QueryTooLong { chars_max } => {
                Error::TooLarge { field: "q", max: chars_max, unit: Unit::Characters }
            }
            magpie_search::Error::EmptyQuery => Error::invalid("q", "has no word to search for"),
            magpie_search::Error::BadCursor => Error::invalid("cursor", "is not one this search returned"),
            e if e.is_bad_request() => Error::invalid("q", e.to_string()),
            e => Error::Store(store_error(e)),
        })?;
        let hits = page
            .hits
            .into_iter()
            .map(|h| IndexHit {
                conversation: ConversationId(h.conversation),
                seq: Seq(h.seq),
                snippet: Snippet {
                    text: h.snippet.text,
                    highlights: h.snippet.highlights.into_iter().map(|r| (r.start, r.end)).collect(),
                    cut_start: h.snippet.cut_start,
                    cut_end: h.snippet.cut_end,
                },
            })
            .collect();
        Ok(IndexPage { hits, total: page.total, next: page.next })
    }
}
