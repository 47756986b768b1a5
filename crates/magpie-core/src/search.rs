//! Search of messages (docs/protocol.md §7.14): the indexer that follows the log into the
//! [`SearchIndex`], and [`Search`], which asks the index within what the caller may read.
//!
//! **The index is derived data.** The indexer is a [`Follower`] of the log whose handler turns
//! committed entries into index writes: a message is put, an edit puts its target as the log
//! has it now, a recall removes its target, a dissolution removes its conversation, a prune by
//! retention removes what it deleted. Writes are committed in batches together with the log
//! cursor they reach, in one commit of the index,
//! and the indexer starts from the index's cursor, not from a [`crate::ports::CursorStore`]: a
//! crash between two commits loses the writes since the last and the cursor with them, so they
//! are made again, and a put replaces by `(conversation, seq)`, so nothing is found twice.
//!
//! **Permissions are the core's to state.** [`Search::search`] hands the index the caller's
//! domain and every membership span it had (from its join, up to its leave), so that nothing
//! outside them is found or counted; then reads each hit's entry as the caller sees it now and
//! drops what is recalled or hidden for it since it was indexed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use crate::chat::{Committed, Entry, Page, op};
use crate::content;
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::model::{AccountId, ConversationId, DomainId, LogCursor, Principal, Seq};
use crate::names::AccountAddr;
use crate::ports::{AccountStore, ConversationLog, Counters, Limit, Stores};
use crate::{Deps, Error, Result, StoreError, Unit};

/// The indexer's name among the log's followers.
pub const NAME: &str = "search";
/// Index writes the indexer holds before it commits them, whatever the time.
pub const COMMIT_WRITES_MAX: usize = 1_000;
/// How long the indexer holds writes before it commits them: the most a message waits to be
/// searchable once the indexer has read it (a burst is committed at the next batch or poll).
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(100);
/// Index writes a rebuild ([`reindex`]) holds before it commits them: a tantivy commit writes
/// a segment and syncs it, so a rebuild commits rarely; a crash loses at most this much of it.
pub const REINDEX_COMMIT_WRITES: usize = 100_000;
/// How often the indexer commits its cursor alone when only entries it does not index passed
/// (reactions, notices): what a restart reads again is at most this much of the log.
pub const CURSOR_COMMIT_INTERVAL: Duration = Duration::from_secs(10);
/// Longest query, in characters.
pub const QUERY_CHARS_MAX: usize = 256;
/// Most results per page.
pub const PAGE_LEN_MAX: usize = 100;
/// Results per page when a request does not say.
pub const PAGE_LEN_DEFAULT: usize = 20;
/// Most membership spans a search reads (an account's memberships, past ones included); an
/// account with more searches the newest this many.
pub const SPANS_LEN_MAX: usize = 50_000;
/// Most hidden messages (delete-for-me) a search leaves out before it counts; an account that
/// hid more has the older ones left out when a page is read, and counted in `total`.
pub const EXCLUDED_LEN_MAX: usize = 50_000;
/// Conversations and mentioned addresses the indexer remembers; past this it starts over.
const CACHE_LEN_MAX: usize = 10_000;

/// A message as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedMessage {
    pub domain: DomainId,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub sender: AccountId,
    pub at_ms: i64,
    pub kind: String,
    /// The searchable text of the body (the adapter extracts it by kind).
    pub body: Value,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
    pub mentions: Vec<AccountId>,
    pub mention_all: bool,
    /// The types of the files it carries, one per file.
    pub file_types: Vec<content::FileType>,
}

/// One change to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexWrite {
    /// Index a message, replacing what the index had at its `(conversation, seq)`.
    Put(IndexedMessage),
    /// Forget a message (recalled).
    Remove(ConversationId, Seq),
    /// Forget every message of a conversation (dissolved).
    RemoveConversation(ConversationId),
    /// Forget a conversation's messages up to this seq (deleted by retention).
    RemoveThrough(ConversationId, Seq),
}

/// Seqs of a conversation the searcher may read: from `from` up to, not including, `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadableSpan {
    pub conversation: ConversationId,
    pub from: Seq,
    pub until: Option<Seq>,
}

impl ReadableSpan {
    pub fn covers(&self, seq: Seq) -> bool {
        seq >= self.from && self.until.is_none_or(|until| seq < until)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

/// What shared content a message must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Has {
    File,
    Image,
    Link,
}

/// The filters of a search, as the caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    pub conversation: Option<ConversationId>,
    /// Only messages from this account (an address in the caller's domain).
    pub sender: Option<String>,
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub has: Option<Has>,
    /// Only messages that mention the caller (by name or `@all`).
    pub mentions_me: bool,
    pub kind: Option<String>,
    /// Only messages that carry files ([`Search::search_files`]), of this type if `Some`.
    pub files: Option<Option<content::FileType>>,
}

/// What the index is asked: the query within the readable spans, with filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexQuery {
    pub domain: DomainId,
    pub query: String,
    pub readable: Vec<ReadableSpan>,
    /// Messages the searcher hid for itself: neither found nor counted.
    pub excluded: Vec<(ConversationId, Seq)>,
    pub conversation: Option<ConversationId>,
    pub sender: Option<AccountId>,
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub has: Option<Has>,
    /// Messages that mention this account, or everyone.
    pub mentioning: Option<AccountId>,
    pub kind: Option<String>,
    /// Only messages that carry files, of this type if `Some`; the query may then have no
    /// word.
    pub files: Option<Option<content::FileType>>,
    pub order: SearchOrder,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// Where a query matched in a message's text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// A part of the message's text.
    pub text: String,
    /// What matched, as `[start, end)` character offsets in `text`, in order.
    pub highlights: Vec<(usize, usize)>,
    /// The text goes on before `text`.
    pub cut_start: bool,
    /// The text goes on after `text`.
    pub cut_end: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexHit {
    pub conversation: ConversationId,
    pub seq: Seq,
    pub snippet: Snippet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexPage {
    pub hits: Vec<IndexHit>,
    /// Messages that match within the readable spans, on every page.
    pub total: u64,
    pub next: Option<String>,
}

/// The message index (the adapter is the binary's, on `magpie-search`). It is derived data
/// that the indexer alone writes; its commits carry the log cursor they reach.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// The log cursor of the last commit: where the indexer resumes. `None` for an index that
    /// never committed one (new, or rebuilt): from the start of the log.
    async fn cursor(&self) -> std::result::Result<Option<LogCursor>, StoreError>;
    /// Applies `writes` in order and commits them with `cursor`, atomically: after a crash the
    /// index holds all of them and `cursor`, or none of them and its cursor before.
    async fn commit(&self, writes: Vec<IndexWrite>, cursor: LogCursor) -> std::result::Result<(), StoreError>;
    /// Runs a query. Nothing outside `query.readable` and its domain is found or counted. A
    /// query without a word to search for, or a cursor it did not give, is `invalid_field`.
    async fn search(&self, query: IndexQuery) -> Result<IndexPage>;
}

/// One result, as the caller may see it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub snippet: Snippet,
    /// The message as it is now, as the caller sees it.
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub results: Vec<Found>,
    /// Matches within what the caller may read, on every page (less those this page found
    /// hidden or recalled since they were indexed).
    pub total: u64,
    pub next: Option<String>,
    /// The type of file asked for, in a search of files.
    pub file_type: Option<content::FileType>,
}

/// A search, as the caller asks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub query: String,
    pub filters: SearchFilters,
    pub order: SearchOrder,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// The search service.
#[derive(Clone)]
pub struct Search {
    deps: Arc<Deps>,
    stores: Stores,
    log: Arc<dyn ConversationLog>,
    accounts: Arc<dyn AccountStore>,
    counters: Arc<dyn Counters>,
    index: Option<Arc<dyn SearchIndex>>,
}

impl Search {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Search {
        Search {
            deps,
            stores: stores.clone(),
            log: stores.log.clone(),
            accounts: stores.accounts.clone(),
            counters: stores.counters.clone(),
            index: None,
        }
    }

    /// Searches `index`, and starts the indexer that follows the log into it, from its cursor,
    /// on the current tokio runtime; returns the indexer's status.
    pub(crate) async fn start(&mut self, index: Arc<dyn SearchIndex>) -> Result<Arc<FollowerStatus>> {
        let cursor = index.cursor().await?.unwrap_or(LogCursor::START);
        let mut indexer = Indexer::new(&self.stores, index.clone());
        indexer.committed = cursor;
        // Polled at least as often as it commits: writes held after the last batch of a burst
        // are committed by the next poll, within about two commit intervals of their ack.
        let poll = Duration::from_millis(self.deps.settings.log_poll_interval_ms).min(COMMIT_INTERVAL);
        let follower =
            Follower::new(NAME, self.stores.log.clone(), None, self.deps.bus.clone(), indexer).with_poll_interval(poll);
        let status = follower.status();
        tokio::spawn(follower.run(Start::At(cursor)));
        self.index = Some(index);
        Ok(status)
    }

    /// Messages that match `q` among those the caller may read now: in its domain, within its
    /// membership spans, not recalled, not hidden for it.
    pub async fn search(&self, caller: &Principal, q: SearchQuery) -> Result<Results> {
        let index = self.index.as_ref().ok_or(Error::Unavailable("search is not running on this server"))?;
        let chars = q.query.chars().count();
        if chars > QUERY_CHARS_MAX {
            return Err(Error::TooLarge { field: "q", max: QUERY_CHARS_MAX, unit: Unit::Characters });
        }
        if q.query.trim().is_empty() && q.filters.files.is_none() {
            return Err(Error::invalid("q", "must not be empty"));
        }
        let limit = q.limit.unwrap_or(PAGE_LEN_DEFAULT);
        if !(1..=PAGE_LEN_MAX).contains(&limit) {
            return Err(Error::invalid("limit", format!("must be 1 to {PAGE_LEN_MAX}")));
        }
        let f = &q.filters;
        if let (Some(after), Some(before)) = (f.after_ms, f.before_ms)
            && after >= before
        {
            return Err(Error::invalid("after_ms", "must be before before_ms"));
        }
        let account = caller.account.id;
        let now = self.deps.clock.now_ms();
        let limit_rule = Limit {
            name: "searches_per_account",
            events_max: self.deps.settings.searches_per_account_per_min_max,
            window_ms: 60_000,
        };
        if let Err(retry_after_secs) = self.counters.hit(limit_rule, &account.0.to_string(), now).await {
            return Err(Error::RateLimited { retry_after_secs });
        }
        let file_type = q.filters.files.flatten();
        let empty = Results { results: vec![], total: 0, next: None, file_type };
        let sender = match &f.sender {
            None => None,
            Some(addr) => {
                let addr = AccountAddr::parse(addr).map_err(|_| Error::invalid("sender", "must be name@domain"))?;
                if addr.domain != caller.account.addr.domain {
                    return Ok(empty);
                }
                match self.accounts.account_by_name(caller.account.domain_id, &addr.name).await? {
                    Some(a) => Some(a.id),
                    None => return Ok(empty),
                }
            }
        };
        let mut readable = self.log.member_spans(account, SPANS_LEN_MAX).await?;
        // The history rule (protocol.md §7.1): a member reads from its latest join on, and a
        // former member up to the end of its last membership; an earlier span of one who was
        // added again is no longer readable. The spans come newest first per conversation.
        readable.dedup_by_key(|s| s.conversation);
        if let Some(c) = f.conversation {
            readable.retain(|s| s.conversation == c);
        }
        if readable.is_empty() {
            return Ok(empty);
        }
        let mut excluded = self.log.hidden_entries(account, EXCLUDED_LEN_MAX).await?;
        if let Some(c) = f.conversation {
            excluded.retain(|(conversation, _)| *conversation == c);
        }
        let query = IndexQuery {
            domain: caller.account.domain_id,
            query: q.query.clone(),
            readable: readable.clone(),
            excluded,
            conversation: f.conversation,
            sender,
            after_ms: f.after_ms,
            before_ms: f.before_ms,
            has: f.has,
            mentioning: f.mentions_me.then_some(account),
            kind: f.kind.clone(),
            files: f.files,
            order: q.order,
            limit,
            cursor: q.cursor.clone(),
        };
        let page = index.search(query).await?;
        let mut results = Vec::with_capacity(page.hits.len());
        let mut dropped = 0;
        for hit in page.hits {
            // The index may lag the log by a moment: the entry as the caller reads it now
            // decides (recalled or hidden since it was indexed: left out).
            let span = readable.iter().find(|s| s.conversation == hit.conversation && s.covers(hit.seq));
            let entry = match span {
                Some(span) => self.entry_as_seen(caller, hit.conversation, hit.seq, span).await?,
                None => None,
            };
            match entry {
                Some(entry) => results.push(Found { snippet: hit.snippet, entry }),
                None => dropped += 1,
            }
        }
        Ok(Results { results, total: page.total.saturating_sub(dropped), next: page.next, file_type })
    }

    /// Messages with files that the caller may read now, by the files' names (`q`, which may
    /// be empty: then every file the filters let through, newest first), of one type if
    /// `file_type` is given; otherwise as [`Search::search`].
    pub async fn search_files(
        &self,
        caller: &Principal,
        mut q: SearchQuery,
        file_type: Option<content::FileType>,
    ) -> Result<Results> {
        q.filters.files = Some(file_type);
        if q.query.trim().is_empty() {
            q.order = SearchOrder::Newest;
        }
        self.search(caller, q).await
    }

    /// The message at `seq` as the caller reads it now, if it still shows as a message.
    async fn entry_as_seen(
        &self,
        caller: &Principal,
        conversation: ConversationId,
        seq: Seq,
        span: &ReadableSpan,
    ) -> Result<Option<Entry>> {
        let floor = Seq(span.from.0.max(1));
        let page = Page::After(Seq(seq.0 - 1));
        let mut entries = self.log.entries(conversation, page, floor, span.until, 1, caller.account.id).await?;
        Ok(entries.pop().filter(|e| e.seq == seq && e.is_message() && e.body.is_some() && !e.hidden))
    }
}

/// Builds the index again from the start of the log into `index` (an empty one), committing
/// every [`REINDEX_COMMIT_WRITES`] writes and at the end; `progress` hears the items read so
/// far and where the log stood.
pub async fn reindex(
    stores: &Stores,
    index: Arc<dyn SearchIndex>,
    mut progress: impl FnMut(u64, LogCursor, LogCursor),
) -> Result<u64> {
    let head = stores.log.log_head().await?;
    let mut indexer = Indexer::new(stores, index.clone());
    let mut cursor = index.cursor().await?.unwrap_or(LogCursor::START);
    let mut items = 0_u64;
    loop {
        let page = stores.log.tail(cursor, crate::follow::TAIL_PAGE_LEN_MAX).await?;
        if page.items.is_empty() {
            break;
        }
        indexer.handle(&page.items).await?;
        items += page.items.len() as u64;
        cursor = page.next;
        if indexer.pending.len() >= REINDEX_COMMIT_WRITES {
            let writes = std::mem::take(&mut indexer.pending);
            index.commit(writes, cursor).await?;
        }
        progress(items, cursor, head);
    }
    let writes = std::mem::take(&mut indexer.pending);
    index.commit(writes, cursor).await?;
    Ok(items)
}

/// The follower's handler: committed entries into index writes.
struct Indexer {
    log: Arc<dyn ConversationLog>,
    accounts: Arc<dyn AccountStore>,
    index: Arc<dyn SearchIndex>,
    /// Writes not yet committed, in the order they were made.
    pending: Vec<IndexWrite>,
    /// The cursor of the index's last commit, and when it was made.
    committed: LogCursor,
    committed_at: Instant,
    /// Each conversation's domain.
    domains: HashMap<ConversationId, DomainId>,
    /// Mentioned addresses' accounts (`None`: no such account).
    mentioned: HashMap<String, Option<AccountId>>,
}

impl Indexer {
    fn new(stores: &Stores, index: Arc<dyn SearchIndex>) -> Indexer {
        Indexer {
            log: stores.log.clone(),
            accounts: stores.accounts.clone(),
            index,
            pending: vec![],
            committed: LogCursor::START,
            committed_at: Instant::now(),
            domains: HashMap::new(),
            mentioned: HashMap::new(),
        }
    }

    async fn domain(&mut self, conversation: ConversationId) -> Result<Option<DomainId>> {
        if let Some(domain) = self.domains.get(&conversation) {
            return Ok(Some(*domain));
        }
        let Some(c) = self.log.conversation(conversation).await? else { return Ok(None) };
        if self.domains.len() >= CACHE_LEN_MAX {
            self.domains.clear();
        }
        self.domains.insert(conversation, c.domain_id);
        Ok(Some(c.domain_id))
    }

    async fn account(&mut self, addr: &AccountAddr) -> Result<Option<AccountId>> {
        let key = addr.to_string();
        if let Some(id) = self.mentioned.get(&key) {
            return Ok(*id);
        }
        let id = self.accounts.account_by_addr(&addr.domain, &addr.name).await?.map(|a| a.id);
        if self.mentioned.len() >= CACHE_LEN_MAX {
            self.mentioned.clear();
        }
        self.mentioned.insert(key, id);
        Ok(id)
    }

    /// The index's copy of a message as the log has it now (`None` for a recalled one).
    async fn message(&mut self, entry: &Entry) -> Result<Option<IndexedMessage>> {
        let Some(body) = &entry.body else { return Ok(None) };
        let Some(domain) = self.domain(entry.conversation).await? else { return Ok(None) };
        let shared = content::shared_kind(&entry.kind, body);
        let mut mentions = Vec::with_capacity(entry.mentions.len());
        for addr in &entry.mentions {
            if let Some(id) = self.account(addr).await? {
                mentions.push(id);
            }
        }
        use crate::chat::SharedKind;
        Ok(Some(IndexedMessage {
            domain,
            conversation: entry.conversation,
            seq: entry.seq,
            sender: entry.sender,
            at_ms: entry.at_ms,
            kind: entry.kind.clone(),
            body: body.clone(),
            has_file: shared == Some(SharedKind::File) || !content::file_refs(&entry.kind, body).is_empty(),
            has_image: shared == Some(SharedKind::Image),
            has_link: shared == Some(SharedKind::Link),
            mentions,
            mention_all: entry.mention_all,
            file_types: content::file_types(&entry.kind, body),
        }))
    }

    async fn entry(&mut self, entry: &Entry) -> Result<()> {
        if entry.is_message() {
            if let Some(message) = self.message(entry).await? {
                self.pending.push(IndexWrite::Put(message));
            }
            return Ok(());
        }
        match entry.kind.as_str() {
            op::EDIT => {
                let Some(target) = entry.target else { return Ok(()) };
                // The target as it is now: a later edit or a recall may have passed it since.
                let now = self.log.entry(entry.conversation, target).await?;
                let write = match now {
                    Some(now) if now.is_message() => match self.message(&now).await? {
                        Some(message) => IndexWrite::Put(message),
                        None => IndexWrite::Remove(entry.conversation, target),
                    },
                    _ => IndexWrite::Remove(entry.conversation, target),
                };
                self.pending.push(write);
            }
            op::RECALL => {
                if let Some(target) = entry.target {
                    self.pending.push(IndexWrite::Remove(entry.conversation, target));
                }
            }
            op::SYSTEM => {
                let event = entry.body.as_ref().and_then(|b| b.get("event")).and_then(Value::as_str);
                if event == Some("dissolved") {
                    self.pending.push(IndexWrite::RemoveConversation(entry.conversation));
                }
                if event == Some("history_pruned")
                    && let Some(through) =
                        entry.body.as_ref().and_then(|b| b.get("through_seq")).and_then(Value::as_i64)
                {
                    self.pending.push(IndexWrite::RemoveThrough(entry.conversation, Seq(through)));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[async_trait]
impl LogHandler for Indexer {
    async fn handle(&mut self, items: &[Committed]) -> Result<()> {
        for item in items {
            if let Committed::Entry { entry, .. } = item {
                self.entry(entry).await?;
            }
        }
        Ok(())
    }

    async fn reached(&mut self, cursor: LogCursor) -> std::result::Result<(), LogCursor> {
        let due = self.pending.len() >= COMMIT_WRITES_MAX
            || (!self.pending.is_empty() && self.committed_at.elapsed() >= COMMIT_INTERVAL)
            || (cursor != self.committed && self.committed_at.elapsed() >= CURSOR_COMMIT_INTERVAL);
        if !due {
            return Ok(());
        }
        let writes = std::mem::take(&mut self.pending);
        match self.index.commit(writes, cursor).await {
            Ok(()) => {
                self.committed = cursor;
                self.committed_at = Instant::now();
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot commit the search index; indexing again from its last commit");
                Err(self.committed)
            }
        }
    }
}
