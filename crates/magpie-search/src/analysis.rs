//! Text analysis for messages: one tokenizer, registered with tantivy as
//! [`MESSAGE_TOKENIZER`] and used to index, to query and to highlight.
//!
//! # Normalisation
//!
//! Every character is folded before anything else looks at it, in this order: Unicode NFKC
//! (full-width `ＡＢＣ１２３` becomes `ABC123`, compatibility ideographs their unified forms),
//! lower case, and traditional → simplified Chinese, character by character, with OpenCC's
//! `TSCharacters` table (through `hanconv`): `開會` becomes `开会`. The folding is per
//! character (per base character with its combining marks, for NFKC), never per phrase, so
//! every folded character still knows which bytes of the original text it came from: a token's
//! offsets point into the text as the sender wrote it, and highlights land on the surface form.
//! The same folding runs on the query, so a folding that is imperfect Chinese (OpenCC's phrase
//! tables would pick another character in a few words) still matches itself on both sides.
//!
//! # Chinese: characters, bigrams and jieba's words at character positions
//!
//! A run of CJK characters (Han, kana, Hangul) is indexed three ways, all in the one `text`
//! field, and every token of the run takes the position of its first character:
//!
//! - each character (unigram) at its own position: `项` finds every message with `项`;
//! - each pair of neighbouring characters (bigram) at the first one's position;
//! - the words of three or more characters that jieba's search mode finds in the run (shorter
//!   words are already there as unigrams and bigrams).
//!
//! Because positions count characters, "the text contains the substring `项目进度`" is the
//! phrase of its bigrams `项目 目进 进度` at consecutive positions, whatever jieba made of the
//! text. A query's CJK run is cut by jieba into words; each word must be in the message, as its
//! unigram (one character), its bigram (two) or the phrase of its bigrams (more). A query word
//! of three or more characters is first split into the shorter dictionary words jieba's search
//! mode finds inside it, when they cover it (so `项目进度`, if the dictionary had it whole,
//! still finds `项目的进度`), and the whole word is a bonus. The whole run as a phrase is a
//! boosted optional clause: `项目进度` finds both `项目进度` and `项目的进度`, and ranks the
//! exact phrase first. So segmentation only ever decides ranking, never whether a message is
//! found: that is what fails in engines that index jieba's words alone.
//!
//! # Everything else
//!
//! A run of letters, digits and combining marks that are not CJK is a word, stemmed with the
//! Snowball English stemmer (`Meetings`, `meetings` and `meeting` are all `meet`), and takes
//! one position. Anything else (spaces, punctuation, symbols, emoji) separates tokens and takes
//! no position. Words longer than [`WORD_BYTES_MAX`] (hashes, base64) are not indexed.
//!
//! [`analyze_query`] turns a query into the clauses above: every word of the query is
//! required (`周五 release` needs both), the whole query as a phrase is a boosted bonus.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The name under which [`MessageTokenizer`] is registered with a tantivy index.
pub const MESSAGE_TOKENIZER: &str = "magpie_message";
/// Longest word (after folding) that is indexed, in bytes: longer ones are hashes, keys or
/// base64 that nobody types into a search box, and would bloat the term dictionary.
pub const WORD_BYTES_MAX: usize = 64;
/// Shortest jieba word indexed as a term of its own, in characters: shorter words are already
/// indexed as unigrams and bigrams.
const JIEBA_WORD_CHARS_MIN: usize = 3;

/// jieba's dictionary, loaded once per process (a few hundred milliseconds).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Traditional → simplified, one character to one character (OpenCC's `TSCharacters`; where
/// OpenCC offers several simplified forms, the first, which is its default).
static T2S: LazyLock<HashMap<char, char>> = LazyLock::new(|| {
    hanconv::RawDictionary::TSCharacters
        .iter()
        .filter_map(|(from, to)| Some((single_char(from)?, single_char(to)?)))
        .filter(|(from, to)| from != to)
        .collect()
});

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// Loads jieba's dictionary and the folding table now rather than on the first message.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&T2S);
}

/// One character of folded text and the bytes of the original text it came from.
#[derive(Debug, Clone, Copy)]
struct Folded {
    c: char,
    from: usize,
    to: usize,
}

/// Folds `text` as the index does (NFKC, lower case, traditional → simplified).
pub fn normalize(text: &str) -> String {
    let mut out = Vec::new();
    fold(text, &mut out);
    out.iter().map(|f| f.c).collect()
}

/// Folds `text` into `out`, one entry per folded character.
fn fold(text: &str, out: &mut Vec<Folded>) {
    out.clear();
    out.reserve(text.len());
    let mut chars = text.char_indices().peekable();
    let mut cluster = String::new();
    while let Some((from, c)) = chars.next() {
        // A base character and the combining marks after it are normalised together, so
        // that a decomposed `e` + U+0301 composes into `é`.
        cluster.clear();
        cluster.push(c);
        while let Some(&(_, next)) = chars.peek() {
            if !is_combining_mark(next) {
                break;
            }
            cluster.push(next);
            chars.next();
        }
        let to = chars.peek().map_or(text.len(), |&(at, _)| at);
        let mut push = |c: char| {
            for lower in c.to_lowercase() {
                let simple = if lower.is_ascii() { lower } else { T2S.get(&lower).copied().unwrap_or(lower) };
                out.push(Folded { c: simple, from, to });
            }
        };
        if cluster.len() == 1 {
            // ASCII, the common case: NFKC leaves it alone.
            push(c);
        } else if cluster.len() == c.len_utf8() && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
            push(c);
        } else {
            cluster.nfkc().for_each(&mut push);
        }
    }
}

/// Han ideographs (with their extensions and compatibility forms), kana and Hangul: scripts
/// written without spaces between words, indexed by character and bigram.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x323AF // CJK Extensions B to H
    )
}

fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || is_combining_mark(c)) && !is_cjk(c)
}

/// A run of folded characters of one class.
enum Run<'a> {
    Cjk(&'a [Folded]),
    Word(&'a [Folded]),
}

/// Splits folded text into CJK runs and words, dropping separators.
fn runs(folded: &[Folded]) -> impl Iterator<Item = Run<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < folded.len() && !is_cjk(folded[at].c) && !is_word_char(folded[at].c) {
            at += 1;
        }
        let start = at;
        let first = folded.get(start)?.c;
        let cjk = is_cjk(first);
        while at < folded.len() && (if cjk { is_cjk(folded[at].c) } else { is_word_char(folded[at].c) }) {
            at += 1;
        }
        let run = &folded[start..at];
        Some(if cjk { Run::Cjk(run) } else { Run::Word(run) })
    })
}

fn stem(stemmer: &frostem::Stemmer, word: &str) -> String {
    stemmer.stem(word).into_owned()
}

fn english() -> frostem::Stemmer {
    frostem::Stemmer::new(frostem::Algorithm::English)
}

fn token(text: String, position: usize, from: &Folded, to: &Folded) -> Token {
    Token { offset_from: from.from, offset_to: to.to, position, text, position_length: 1 }
}

/// The tokens the index stores for `text`, sorted by position, with byte offsets into `text`.
pub fn analyze(text: &str) -> Vec<Token> {
    tokens(text, JiebaWords::Indexed)
}

/// The tokens of `text` that a highlight can match: [`analyze`]'s without jieba's words, which
/// no query highlights (they only add to a score), and which cost most of the analysis.
pub(crate) fn analyze_for_highlights(text: &str) -> Vec<Token> {
    tokens(text, JiebaWords::Skipped)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JiebaWords {
    Indexed,
    Skipped,
}

fn tokens(text: &str, jieba: JiebaWords) -> Vec<Token> {
    let mut folded = Vec::new();
    fold(text, &mut folded);
    let stemmer = english();
    let mut tokens = Vec::with_capacity(folded.len() * 2);
    let mut position = 0;
    let mut run_text = String::new();
    for run in runs(&folded) {
        match run {
            Run::Word(chars) => {
                let word: String = chars.iter().map(|f| f.c).collect();
                if word.len() <= WORD_BYTES_MAX {
                    tokens.push(token(stem(&stemmer, &word), position, &chars[0], &chars[chars.len() - 1]));
                }
                position += 1;
            }
            Run::Cjk(chars) => {
                for (i, f) in chars.iter().enumerate() {
                    tokens.push(token(f.c.to_string(), position + i, f, f));
                    if let Some(next) = chars.get(i + 1) {
                        tokens.push(token([f.c, next.c].iter().collect(), position + i, f, next));
                    }
                }
                if jieba == JiebaWords::Indexed && chars.len() >= JIEBA_WORD_CHARS_MIN {
                    run_text.clear();
                    run_text.extend(chars.iter().map(|f| f.c));
                    for word in JIEBA.cut_for_search(&run_text, true) {
                        if word.end - word.start >= JIEBA_WORD_CHARS_MIN {
                            let (first, last) = (&chars[word.start], &chars[word.end - 1]);
                            tokens.push(token(word.word.to_owned(), position + word.start, first, last));
                        }
                    }
                }
                position += chars.len();
            }
        }
    }
    // A term's positions must not go backwards within a document (tantivy stores their deltas),
    // and jieba lists a long word after its parts.
    tokens.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.text.cmp(&b.text)));
    tokens.dedup_by(|a, b| a.position == b.position && a.text == b.text);
    tokens
}

/// The tantivy tokenizer of message text: [`analyze`] as a token stream.
#[derive(Clone, Default)]
pub struct MessageTokenizer;

/// The tokens of one text, handed out one by one.
pub struct AnalyzedStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl TokenStream for AnalyzedStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

impl Tokenizer for MessageTokenizer {
    type TokenStream<'a> = AnalyzedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzedStream {
        AnalyzedStream { tokens: analyze(text).into_iter(), current: Token::default() }
    }
}

/// One required part of a query: a single term, or terms at consecutive positions (the bigrams
/// of a CJK word of three or more characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Clause {
    Term(String),
    Phrase(Vec<String>),
}

/// What a query asks of the `text` field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryTerms {
    /// Every one must match (the words of the query).
    pub required: Vec<Clause>,
    /// jieba words of three or more characters that the query's words were split from: a
    /// message that has one as an indexed word gets a small bonus.
    pub words: Vec<String>,
    /// The whole query as a phrase, term by term with its position relative to the first; set
    /// only when it has two terms or more. A message that has it gets the phrase bonus.
    pub exact: Vec<(usize, String)>,
    /// The terms whose tokens are highlighted in snippets.
    pub highlight: BTreeSet<String>,
}

impl QueryTerms {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }
}

/// Turns a query into the clauses of the index's scheme (see the module doc).
pub fn analyze_query(query: &str) -> QueryTerms {
    let mut folded = Vec::new();
    fold(query, &mut folded);
    let stemmer = english();
    let mut terms = QueryTerms::default();
    let mut position = 0;
    for run in runs(&folded) {
        match run {
            Run::Word(chars) => {
                let word: String = chars.iter().map(|f| f.c).collect();
                if word.len() <= WORD_BYTES_MAX {
                    let stemmed = stem(&stemmer, &word);
                    terms.exact.push((position, stemmed.clone()));
                    terms.highlight.insert(stemmed.clone());
                    terms.required.push(Clause::Term(stemmed));
                }
                position += 1;
            }
            Run::Cjk(chars) => {
                let run: Vec<char> = chars.iter().map(|f| f.c).collect();
                if run.len() == 1 {
                    terms.exact.push((position, run[0].to_string()));
                } else {
                    for (i, pair) in run.windows(2).enumerate() {
                        terms.exact.push((position + i, pair.iter().collect()));
                    }
                }
                for part in query_words(&run, &mut terms.words) {
                    let clause = cjk_clause(&part);
                    match &clause {
                        Clause::Term(t) => {
                            terms.highlight.insert(t.clone());
                        }
                        Clause::Phrase(ts) => terms.highlight.extend(ts.iter().cloned()),
                    }
                    terms.required.push(clause);
                }
                position += run.len();
            }
        }
    }
    terms.required.sort();
    terms.required.dedup();
    terms.words.sort();
    terms.words.dedup();
    if terms.exact.len() < 2 {
        terms.exact.clear();
    }
    if let Some(&(first, _)) = terms.exact.first() {
        for (at, _) in &mut terms.exact {
            *at -= first;
        }
    }
    terms
}

/// The words a query's CJK run must contain: jieba's words of the run, each word of three or
/// more characters split into shorter dictionary words when they cover it (the long word goes
/// to `long_words`, for the bonus).
fn query_words(run: &[char], long_words: &mut Vec<String>) -> Vec<Vec<char>> {
    let text: String = run.iter().collect();
    let mut parts = Vec::new();
    for word in JIEBA.cut(&text, true) {
        let chars = &run[word.start..word.end];
        if chars.len() < JIEBA_WORD_CHARS_MIN {
            parts.push(chars.to_vec());
            continue;
        }
        long_words.push(word.word.to_owned());
        match cover(word.word, chars.len()) {
            Some(spans) => parts.extend(spans.into_iter().map(|(from, to)| chars[from..to].to_vec())),
            None => parts.push(chars.to_vec()),
        }
    }
    parts
}

/// Splits a word of `len` characters into the shorter dictionary words jieba's search mode
/// finds inside it, longest first from the left; `None` when they leave a gap.
fn cover(word: &str, len: usize) -> Option<Vec<(usize, usize)>> {
    let inner: Vec<(usize, usize)> = JIEBA
        .cut_for_search(word, false)
        .into_iter()
        .map(|t| (t.start, t.end))
        .filter(|&(from, to)| to - from >= 2 && to - from < len)
        .collect();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < len {
        let next = inner.iter().filter(|&&(from, _)| from == at).max_by_key(|&&(_, to)| to)?;
        spans.push(*next);
        at = next.1;
    }
    (spans.len() > 1).then_some(spans)
}

/// The clause that finds a CJK word as a substring.
fn cjk_clause(word: &[char]) -> Clause {
    match word.len() {
        0..=2 => Clause::Term(word.iter().collect()),
        _ => Clause::Phrase(word.windows(2).map(|pair| pair.iter().collect()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(usize, String)> {
        analyze(text).into_iter().map(|t| (t.position, t.text)).collect()
    }

    #[test]
    fn folding_is_nfkc_lower_case_and_simplified() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("開會 Meeting"), "开会 meeting");
        assert_eq!(normalize("cafe\u{301}"), "café");
        assert_eq!(normalize("㈱"), "(株)");
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Ｍｅｅｔｉｎｇｓ 開會";
        let tokens = analyze(text);
        let meet = tokens.iter().find(|t| t.text == "meet").expect("the stemmed word");
        assert_eq!(&text[meet.offset_from..meet.offset_to], "Ｍｅｅｔｉｎｇｓ");
        let kaihui = tokens.iter().find(|t| t.text == "开会").expect("the folded bigram");
        assert_eq!(&text[kaihui.offset_from..kaihui.offset_to], "開會");
    }

    #[test]
    fn cjk_runs_give_unigrams_bigrams_and_long_words_at_character_positions() {
        let got = terms("中华人民共和国 ok");
        for expected in [(0, "中"), (0, "中华"), (0, "中华人民共和国"), (4, "共和国"), (6, "国"), (7, "ok")]
        {
            assert!(got.contains(&(expected.0, expected.1.to_owned())), "{expected:?} missing from {got:?}");
        }
        assert!(!got.iter().any(|(_, t)| t == "国 "), "{got:?}");
    }

    #[test]
    fn english_words_are_stemmed_and_long_ones_dropped() {
        assert_eq!(terms("Meetings, meeting!"), [(0, "meet".to_owned()), (1, "meet".to_owned())]);
        let long = "a".repeat(WORD_BYTES_MAX + 1);
        assert_eq!(terms(&format!("{long} ok")), [(1, "ok".to_owned())]);
    }

    #[test]
    fn a_query_requires_its_words_and_keeps_the_whole_as_a_phrase() {
        let q = analyze_query("项目进度");
        assert!(q.required.contains(&Clause::Term("项目".into())), "{q:?}");
        assert!(q.required.contains(&Clause::Term("进度".into())), "{q:?}");
        assert_eq!(q.exact, [(0, "项目".into()), (1, "目进".into()), (2, "进度".into())]);

        let q = analyze_query("周五 Release");
        assert_eq!(q.required, [Clause::Term("releas".into()), Clause::Term("周五".into())]);
        assert_eq!(q.exact, [(0, "周五".into()), (2, "releas".into())]);

        let q = analyze_query("项");
        assert_eq!(q.required, [Clause::Term("项".into())]);
        assert!(q.exact.is_empty());

        assert!(analyze_query(" ，。!! ").is_empty());
    }

    #[test]
    fn a_long_query_word_is_split_into_the_words_inside_it() {
        let q = analyze_query("中华人民共和国");
        assert!(q.required.contains(&Clause::Term("中华".into())), "{q:?}");
        assert!(q.words.contains(&"中华人民共和国".to_owned()), "{q:?}");
    }
}
