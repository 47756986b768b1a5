//! Searching the message index: a query's words, the searcher's readable spans and the
//! filters, ranked by relevance or by time, a page at a time, with snippets.
//!
//! Permissions are the caller's to state and this module's to enforce: a request names the
//! domain and the spans of the conversations the searcher may read (from its memberships:
//! from its join, up to its leave), and a message outside them is never counted, scored or
//! returned. The domain and the span's conversations are terms of the query; the seq bounds
//! are checked on every candidate in the collector, before it counts.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

use crate::analysis::{Clause, QueryTerms, analyze_query};
use crate::index::{MessageIndex, flag};
use crate::snippet::{Snippet, snippet};
use crate::{Error, Result};

/// Longest query, in characters (before folding).
pub const QUERY_CHARS_MAX: usize = 256;
/// Most results per page.
pub const PAGE_LEN_MAX: usize = 100;
/// Results per page when a request does not say.
pub const PAGE_LEN_DEFAULT: usize = 20;
/// Most readable spans per request: a searcher's memberships, past ones included.
pub const SPANS_LEN_MAX: usize = 50_000;
/// Most messages a request may exclude (hidden for the searcher).
pub const EXCLUDED_LEN_MAX: usize = 50_000;
/// Weight of the whole query as a phrase, over the sum of its words: the exact phrase
/// `项目进度` ranks above `项目的进度`.
const PHRASE_BOOST: Score = 2.0;
/// Weight of a query word of three or more characters that the message has as a jieba word.
const WORD_BOOST: Score = 0.5;

/// Seqs of one conversation a searcher may read: from `from_seq` (its join; 0 or 1 for
/// everything) up to, not including, `until_seq` (the entry that ended its membership), or to
/// the end while it is a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub conversation: i64,
    pub from_seq: i64,
    pub until_seq: Option<i64>,
}

impl Span {
    pub fn covers(&self, seq: i64) -> bool {
        seq >= self.from_seq && self.until_seq.is_none_or(|until| seq < until)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Best match first (ties: newest conversation id, then newest seq first).
    #[default]
    Relevance,
    /// Newest first, by the message's time.
    Newest,
}

/// The "mentions" filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mentioning {
    pub account: i64,
    /// Messages that mention everyone (`@all`) count too.
    pub or_all: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The searcher's domain: nothing of another domain is ever found.
    pub domain: i64,
    /// What to look for, at most [`QUERY_CHARS_MAX`] characters with at least one word.
    pub query: String,
    /// Where the searcher may read (at most [`SPANS_LEN_MAX`]); nothing outside is found.
    pub readable: Vec<Span>,
    /// `(conversation, seq)` of messages the searcher hid for itself (delete-for-me), at most
    /// [`EXCLUDED_LEN_MAX`]: left out of results and counts.
    pub excluded: Vec<(i64, i64)>,
    /// Only this conversation.
    pub conversation: Option<i64>,
    /// Only messages from this account.
    pub sender: Option<i64>,
    /// Only messages at or after this time.
    pub after_ms: Option<i64>,
    /// Only messages before this time.
    pub before_ms: Option<i64>,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
    pub mentioning: Option<Mentioning>,
    /// Only messages of this kind.
    pub kind: Option<String>,
    /// Only messages that carry files ([`crate::MessageDoc::file_types`]), of this type if
    /// `Some`. A search for files may have no words: it then finds every message with files
    /// that the filters let through.
    pub files: Option<Option<String>>,
    pub order: Order,
    /// Results per page, 1 to [`PAGE_LEN_MAX`].
    pub limit: usize,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
}

impl SearchRequest {
    /// A request for `query` in what `readable` spans, with no filter, by relevance.
    pub fn new(domain: i64, query: impl Into<String>, readable: Vec<Span>) -> SearchRequest {
        SearchRequest {
            domain,
            query: query.into(),
            readable,
            excluded: vec![],
            conversation: None,
            sender: None,
            after_ms: None,
            before_ms: None,
            has_file: false,
            has_image: false,
            has_link: false,
            mentioning: None,
            kind: None,
            files: None,
            order: Order::Relevance,
            limit: PAGE_LEN_DEFAULT,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub conversation: i64,
    pub seq: i64,
    pub sender: i64,
    pub at_ms: i64,
    /// The relevance score; `None` when ordered by time (no score is computed).
    pub score: Option<Score>,
    pub snippet: Snippet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    /// Messages that match, on every page, as the searcher may read them.
    pub total: u64,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

impl MessageIndex {
    /// Runs a search. A bad request (too long, no word, a page or list out of bounds, a cursor
    /// of another order) is refused before the index is read.
    ///
    /// Pages follow each other by a cursor that names the last hit's place in the order;
    /// commits between two pages may move a message (its score changes with the index's
    /// statistics), so a page can then repeat or skip one, never fail.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchPage> {
        if request.query.chars().count() > QUERY_CHARS_MAX {
            return Err(Error::QueryTooLong { chars_max: QUERY_CHARS_MAX });
        }
        if !(1..=PAGE_LEN_MAX).contains(&request.limit) {
            return Err(Error::PageLen { len_max: PAGE_LEN_MAX });
        }
        if request.readable.len() > SPANS_LEN_MAX {
            return Err(Error::TooManySpans);
        }
        if request.excluded.len() > EXCLUDED_LEN_MAX {
            return Err(Error::TooManyExcluded);
        }
        let terms = analyze_query(&request.query);
        if terms.is_empty() && request.files.is_none() {
            return Err(Error::EmptyQuery);
        }
        let after = request.cursor.as_deref().map(|c| SortKey::parse(c, request.order)).transpose()?;

        let mut spans: HashMap<i64, Vec<Span>> = HashMap::new();
        for span in &request.readable {
            if request.conversation.is_none_or(|c| c == span.conversation) {
                spans.entry(span.conversation).or_default().push(*span);
            }
        }
        if spans.is_empty() {
            return Ok(SearchPage { hits: vec![], total: 0, next: None });
        }

        let query = self.query(request, &terms, spans.keys().copied());
        let collector = TopCollector {
            spans: Arc::new(spans),
            excluded: Arc::new(request.excluded.iter().copied().collect()),
            order: request.order,
            after,
            len: request.limit,
        };
        let searcher = self.reader.searcher();
        let (mut top, total) = searcher.search(&query, &collector)?;
        let next = if top.len() > request.limit {
            top.truncate(request.limit);
            top.last().map(|c| c.key.cursor())
        } else {
            None
        };
        let mut hits = Vec::with_capacity(top.len());
        for c in top {
            let doc: TantivyDocument = searcher.doc(c.address)?;
            let text = doc.get_first(self.fields.text).and_then(|v| v.as_str()).unwrap_or_default();
            hits.push(Hit {
                conversation: c.key.conversation,
                seq: c.key.seq,
                sender: c.sender,
                at_ms: c.at_ms,
                score: match c.key.primary {
                    Primary::Score(s) => Some(s),
                    Primary::Time(_) => None,
                },
                snippet: snippet(text, &terms.highlight),
            });
        }
        Ok(SearchPage { hits, total, next })
    }

    /// The tantivy query: the text clauses scored, the filters as constant-score clauses that
    /// only narrow.
    fn query(
        &self,
        request: &SearchRequest,
        terms: &QueryTerms,
        conversations: impl Iterator<Item = i64>,
    ) -> BooleanQuery {
        let f = &self.fields;
        let text_term = |t: &str| Term::from_field_text(f.text, t);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &terms.required {
            let q: Box<dyn Query> = match clause {
                Clause::Term(t) => Box::new(TermQuery::new(text_term(t), IndexRecordOption::WithFreqs)),
                Clause::Phrase(ts) => Box::new(PhraseQuery::new(ts.iter().map(|t| text_term(t)).collect())),
            };
            clauses.push((Occur::Must, q));
        }
        for word in &terms.words {
            let q = TermQuery::new(text_term(word), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), WORD_BOOST))));
        }
        if terms.exact.len() >= 2 {
            let q = PhraseQuery::new_with_offset(terms.exact.iter().map(|(at, t)| (*at, text_term(t))).collect());
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), PHRASE_BOOST))));
        }

        let mut filter = |q: Box<dyn Query>| clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
        let term = |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
        filter(term(Term::from_field_i64(f.domain, request.domain)));
        filter(Box::new(TermSetQuery::new(conversations.map(|c| Term::from_field_i64(f.conversation, c)))));
        if let Some(sender) = request.sender {
            filter(term(Term::from_field_i64(f.sender, sender)));
        }
        if request.after_ms.is_some() || request.before_ms.is_some() {
            let lower =
                request.after_ms.map_or(Bound::Unbounded, |ms| Bound::Included(Term::from_field_i64(f.at_ms, ms)));
            let upper =
                request.before_ms.map_or(Bound::Unbounded, |ms| Bound::Excluded(Term::from_field_i64(f.at_ms, ms)));
            filter(Box::new(RangeQuery::new(lower, upper)));
        }
        for (wanted, name) in
            [(request.has_file, flag::FILE), (request.has_image, flag::IMAGE), (request.has_link, flag::LINK)]
        {
            if wanted {
                filter(term(Term::from_field_text(f.flags, name)));
            }
        }
        if let Some(kind) = &request.kind {
            filter(term(Term::from_field_text(f.kind, kind)));
        }
        match &request.files {
            None => {}
            Some(None) => filter(term(Term::from_field_text(f.flags, flag::ANY_FILE))),
            Some(Some(file_type)) => {
                filter(term(Term::from_field_text(f.flags, &format!("{}{file_type}", flag::FILE_TYPE_PREFIX))))
            }
        }
        if let Some(m) = request.mentioning {
            let mut either: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Should, term(Term::from_field_i64(f.mentions, m.account)))];
            if m.or_all {
                either.push((Occur::Should, term(Term::from_field_text(f.flags, flag::MENTION_ALL))));
            }
            filter(Box::new(BooleanQuery::new(either)));
        }
        BooleanQuery::new(clauses)
    }
}

/// A hit's place in the order: greater is better.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SortKey {
    primary: Primary,
    conversation: i64,
    seq: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Primary {
    Score(Score),
    Time(i64),
}

impl SortKey {
    fn compare(&self, other: &SortKey) -> Ordering {
        let primary = match (self.primary, other.primary) {
            (Primary::Score(a), Primary::Score(b)) => a.total_cmp(&b),
            (Primary::Time(a), Primary::Time(b)) => a.cmp(&b),
            // One search has one order; a cursor of the other is refused when parsed.
            (Primary::Score(_), Primary::Time(_)) => Ordering::Less,
            (Primary::Time(_), Primary::Score(_)) => Ordering::Greater,
        };
        primary.then(self.conversation.cmp(&other.conversation)).then(self.seq.cmp(&other.seq))
    }

    /// `r.<score bits>.<conversation>.<seq>` or `t.<ms>.<conversation>.<seq>`.
    fn cursor(&self) -> String {
        match self.primary {
            Primary::Score(s) => format!("r.{:08x}.{}.{}", s.to_bits(), self.conversation, self.seq),
            Primary::Time(ms) => format!("t.{ms}.{}.{}", self.conversation, self.seq),
        }
    }

    fn parse(cursor: &str, order: Order) -> Result<SortKey> {
        let mut parts = cursor.split('.');
        let (Some(tag), Some(primary), Some(conversation), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::BadCursor);
        };
        let primary = match (tag, order) {
            ("r", Order::Relevance) => {
                Primary::Score(Score::from_bits(u32::from_str_radix(primary, 16).map_err(|_| Error::BadCursor)?))
            }
            ("t", Order::Newest) => Primary::Time(primary.parse().map_err(|_| Error::BadCursor)?),
            _ => return Err(Error::BadCursor),
        };
        Ok(SortKey {
            primary,
            conversation: conversation.parse().map_err(|_| Error::BadCursor)?,
            seq: seq.parse().map_err(|_| Error::BadCursor)?,
        })
    }
}

/// A hit before its stored text is read.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    key: SortKey,
    address: DocAddress,
    sender: i64,
    at_ms: i64,
}

/// Orders a min-heap of the best: the worst candidate on top, to be dropped first.
struct Worst(Candidate);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.key.compare(&self.0.key)
    }
}

/// Keeps the best `len + 1` candidates after the cursor (one more than a page, to know
/// whether another page follows) and counts every match the searcher may read.
struct TopCollector {
    spans: Arc<HashMap<i64, Vec<Span>>>,
    excluded: Arc<HashSet<(i64, i64)>>,
    order: Order,
    after: Option<SortKey>,
    len: usize,
}

struct SegmentTop {
    segment: SegmentOrdinal,
    conversation: Column<i64>,
    seq: Column<i64>,
    sender: Column<i64>,
    at_ms: Column<i64>,
    spans: Arc<HashMap<i64, Vec<Span>>>,
    excluded: Arc<HashSet<(i64, i64)>>,
    order: Order,
    after: Option<SortKey>,
    keep: usize,
    heap: BinaryHeap<Worst>,
    total: u64,
}

fn push_bounded(heap: &mut BinaryHeap<Worst>, keep: usize, candidate: Candidate) {
    if heap.len() < keep {
        heap.push(Worst(candidate));
    } else if heap.peek().is_some_and(|worst| candidate.key.compare(&worst.0.key) == Ordering::Greater) {
        heap.pop();
        heap.push(Worst(candidate));
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = (Vec<Candidate>, u64);

    fn collect(&mut self, doc: DocId, score: Score) {
        let (Some(conversation), Some(seq)) = (self.conversation.first(doc), self.seq.first(doc)) else {
            return;
        };
        let readable = self.spans.get(&conversation).is_some_and(|spans| spans.iter().any(|s| s.covers(seq)));
        if !readable || self.excluded.contains(&(conversation, seq)) {
            return;
        }
        self.total += 1;
        let at_ms = self.at_ms.first(doc).unwrap_or_default();
        let primary = match self.order {
            Order::Relevance => Primary::Score(score),
            Order::Newest => Primary::Time(at_ms),
        };
        let key = SortKey { primary, conversation, seq };
        if self.after.is_some_and(|after| key.compare(&after) != Ordering::Less) {
            return;
        }
        let candidate = Candidate {
            key,
            address: DocAddress::new(self.segment, doc),
            sender: self.sender.first(doc).unwrap_or_default(),
            at_ms,
        };
        push_bounded(&mut self.heap, self.keep, candidate);
    }

    fn harvest(self) -> Self::Fruit {
        (self.heap.into_iter().map(|w| w.0).collect(), self.total)
    }
}

impl Collector for TopCollector {
    type Fruit = (Vec<Candidate>, u64);
    type Child = SegmentTop;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        let fast = reader.fast_fields();
        Ok(SegmentTop {
            segment,
            conversation: fast.i64("conversation")?,
            seq: fast.i64("seq")?,
            sender: fast.i64("sender")?,
            at_ms: fast.i64("at_ms")?,
            spans: Arc::clone(&self.spans),
            excluded: Arc::clone(&self.excluded),
            order: self.order,
            after: self.after,
            keep: self.len + 1,
            heap: BinaryHeap::new(),
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.order == Order::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<(Vec<Candidate>, u64)>) -> tantivy::Result<(Vec<Candidate>, u64)> {
        let mut heap = BinaryHeap::new();
        let mut total = 0;
        for (candidates, count) in fruits {
            total += count;
            for c in candidates {
                push_bounded(&mut heap, self.len + 1, c);
            }
        }
        let mut best: Vec<Candidate> = heap.into_iter().map(|w| w.0).collect();
        best.sort_by(|a, b| b.key.compare(&a.key));
        Ok((best, total))
    }
}
