//! Highlighted snippets: the part of a message's text around what a query matched.
//!
//! The text is analysed again with the index's own analyzer (less jieba's words, which no
//! query highlights), so a highlight is exactly a token that matched, at its offsets in the
//! text as written: the characters of a Chinese word (`進度` for the query `进度`), the
//! surface form of a stemmed English word (`Meetings` for `meeting`), the full-width form of
//! a half-width query. Offsets are in characters (Unicode scalar values), which is what
//! JavaScript's `Array.from(text)` counts, and what a client can slice without knowing UTF-8.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::analysis::analyze_for_highlights;

/// Longest snippet, in characters.
pub const SNIPPET_CHARS_MAX: usize = 160;
/// Characters of context kept before the first highlight of a snippet cut from a long text.
pub const SNIPPET_CONTEXT_CHARS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// A part of the message's text, at most [`SNIPPET_CHARS_MAX`] characters.
    pub text: String,
    /// What matched, as character ranges in `text`, in order and never overlapping.
    pub highlights: Vec<Range<usize>>,
    /// The message's text goes on before `text` (a client shows an ellipsis).
    pub cut_start: bool,
    /// The message's text goes on after `text`.
    pub cut_end: bool,
}

/// The snippet of `text` for the analysed terms `terms` (a query's
/// [`crate::analysis::QueryTerms::highlight`]): the window of [`SNIPPET_CHARS_MAX`] characters
/// with the most highlighted characters, starting a little before its first highlight.
pub fn snippet(text: &str, terms: &BTreeSet<String>) -> Snippet {
    let mut bytes: Vec<Range<usize>> = analyze_for_highlights(text)
        .into_iter()
        .filter(|t| terms.contains(&t.text))
        .map(|t| t.offset_from..t.offset_to)
        .collect();
    bytes.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(bytes.len());
    for r in bytes {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    // Byte offsets (all on character boundaries: tokens start and end on characters) to
    // character offsets.
    let starts: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
    let char_at = |byte: usize| starts.partition_point(|&at| at < byte);
    let chars: Vec<Range<usize>> = merged.into_iter().map(|r| char_at(r.start)..char_at(r.end)).collect();
    let len = starts.len();
    let window = best_window(&chars, len);
    let highlights = chars
        .iter()
        .filter(|r| r.start < window.end && r.end > window.start)
        .map(|r| r.start.max(window.start) - window.start..r.end.min(window.end) - window.start)
        .collect();
    let from = starts.get(window.start).copied().unwrap_or(text.len());
    let to = starts.get(window.end).copied().unwrap_or(text.len());
    Snippet {
        text: text.get(from..to).unwrap_or_default().to_owned(),
        highlights,
        cut_start: window.start > 0,
        cut_end: window.end < len,
    }
}

/// The window of at most [`SNIPPET_CHARS_MAX`] characters of a text of `len` characters that
/// holds the most highlighted characters (the earliest of equals).
fn best_window(highlights: &[Range<usize>], len: usize) -> Range<usize> {
    if len <= SNIPPET_CHARS_MAX {
        return 0..len;
    }
    let window_at = |start: usize| {
        let start = start.min(len - SNIPPET_CHARS_MAX);
        start..start + SNIPPET_CHARS_MAX
    };
    let covered = |w: &Range<usize>| -> usize {
        highlights.iter().map(|r| r.end.min(w.end).saturating_sub(r.start.max(w.start))).sum()
    };
    let mut best = window_at(0);
    let mut best_covered = covered(&best);
    for r in highlights {
        let w = window_at(r.start.saturating_sub(SNIPPET_CONTEXT_CHARS));
        let c = covered(&w);
        if c > best_covered {
            (best, best_covered) = (w, c);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze_query;

    fn highlighted(s: &Snippet) -> Vec<String> {
        let chars: Vec<char> = s.text.chars().collect();
        s.highlights.iter().map(|r| chars[r.clone()].iter().collect()).collect()
    }

    #[test]
    fn chinese_matches_are_highlighted_by_character() {
        let s = snippet("今天讨论項目的進度和预算", &analyze_query("项目进度").highlight);
        assert_eq!(highlighted(&s), ["項目", "進度"]);
        assert_eq!(s.highlights, [4..6, 7..9]);
        assert!(!s.cut_start && !s.cut_end);
    }

    #[test]
    fn english_matches_are_highlighted_in_their_surface_form() {
        let s = snippet("Two MEETINGS today, one meeting tomorrow", &analyze_query("meeting").highlight);
        assert_eq!(highlighted(&s), ["MEETINGS", "meeting"]);
    }

    #[test]
    fn a_long_text_is_cut_around_its_matches() {
        let text = format!("{}关键发布{}", "前".repeat(500), "后".repeat(500));
        let s = snippet(&text, &analyze_query("发布").highlight);
        assert_eq!(s.text.chars().count(), SNIPPET_CHARS_MAX);
        assert_eq!(highlighted(&s), ["发布"]);
        assert_eq!(s.highlights[0].start, SNIPPET_CONTEXT_CHARS);
        assert!(s.cut_start && s.cut_end);
    }

    #[test]
    fn a_text_without_matches_gives_its_start() {
        let s = snippet(&"x ".repeat(200), &analyze_query("nothing").highlight);
        assert!(s.highlights.is_empty());
        assert!(s.text.starts_with("x x"));
        assert!(!s.cut_start && s.cut_end);
    }
}
