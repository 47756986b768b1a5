//! Order, pages, bounds and snippets of results.

use magpie_search::query::{PAGE_LEN_MAX, QUERY_CHARS_MAX};
use magpie_search::{Error, Order, SearchRequest};

use crate::harness::{DOMAIN, TestIndex, everything};

#[test]
fn the_exact_phrase_ranks_above_its_words_apart() {
    let mut t = TestIndex::new();
    // Same length, so only the phrase tells them apart.
    t.say(1, "项目的进度更新").say(2, "更新了项目进度").say(3, "进度和项目都好");
    assert_eq!(t.seqs("项目进度")[0], 2);
    assert_eq!(t.seqs("项目进度").len(), 3);
}

#[test]
fn an_english_phrase_ranks_above_its_words_apart() {
    let mut t = TestIndex::new();
    t.say(1, "notes about the release").say(2, "release notes for today");
    assert_eq!(t.seqs("release notes"), [2, 1]);
}

#[test]
fn by_time_the_newest_comes_first_and_has_no_score() {
    let mut t = TestIndex::new();
    t.say(3, "周报 周报 周报").say(1, "周报").say(2, "本周周报");
    let mut request = SearchRequest::new(DOMAIN, "周报", everything());
    request.order = Order::Newest;
    let page = t.search(&request);
    let seqs: Vec<i64> = page.hits.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, [3, 2, 1]);
    assert!(page.hits.iter().all(|h| h.score.is_none()));
}

fn all_pages(t: &mut TestIndex, order: Order) -> Vec<Vec<i64>> {
    let mut request = SearchRequest::new(DOMAIN, "日报", everything());
    request.order = order;
    request.limit = 4;
    let mut pages = vec![];
    loop {
        let page = t.search(&request);
        assert_eq!(page.total, 10);
        pages.push(page.hits.iter().map(|h| h.seq).collect());
        match page.next {
            Some(next) => request.cursor = Some(next),
            None => return pages,
        }
    }
}

#[test]
fn pages_follow_each_other_without_gaps_or_repeats() {
    let mut t = TestIndex::new();
    for seq in 1..=10 {
        t.say(seq, &format!("日报 {}", "字".repeat(seq as usize)));
    }
    for order in [Order::Relevance, Order::Newest] {
        let pages = all_pages(&mut t, order);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2], "{order:?}");
        let mut all: Vec<i64> = pages.concat();
        if order == Order::Newest {
            assert_eq!(all, (1..=10).rev().collect::<Vec<_>>());
        }
        all.sort();
        assert_eq!(all, (1..=10).collect::<Vec<_>>(), "{order:?}");
    }
}

#[test]
fn requests_out_of_bounds_are_refused_with_typed_errors() {
    let t = TestIndex::new();
    let search = |edit: &dyn Fn(&mut SearchRequest)| {
        let mut request = SearchRequest::new(DOMAIN, "ok", everything());
        edit(&mut request);
        t.index.search(&request).err()
    };
    assert!(matches!(search(&|r| r.query = "长".repeat(QUERY_CHARS_MAX + 1)), Some(Error::QueryTooLong { .. })));
    assert!(matches!(search(&|r| r.query = " ？！…… ".into()), Some(Error::EmptyQuery)));
    assert!(matches!(search(&|r| r.limit = 0), Some(Error::PageLen { .. })));
    assert!(matches!(search(&|r| r.limit = PAGE_LEN_MAX + 1), Some(Error::PageLen { .. })));
    assert!(matches!(search(&|r| r.cursor = Some("nonsense".into())), Some(Error::BadCursor)));
    assert!(matches!(
        search(&|r| {
            r.order = Order::Newest;
            r.cursor = Some("r.3f800000.1.1".into());
        }),
        Some(Error::BadCursor)
    ));
    assert!(search(&|r| r.query = "长".repeat(QUERY_CHARS_MAX)).is_none());
}

fn marked(snippet: &magpie_search::Snippet) -> String {
    let mut out = String::new();
    for (i, c) in snippet.text.chars().enumerate() {
        if snippet.highlights.iter().any(|r| r.start == i) {
            out.push('[');
        }
        out.push(c);
        if snippet.highlights.iter().any(|r| r.end == i + 1) {
            out.push(']');
        }
    }
    out
}

#[test]
fn snippets_highlight_chinese_characters_and_english_surface_forms() {
    let mut t = TestIndex::new();
    t.say(1, "關於項目的進度：MEETINGS moved to 周五");
    let page = t.search(&SearchRequest::new(DOMAIN, "项目进度 meeting", everything()));
    assert_eq!(marked(&page.hits[0].snippet), "關於[項目]的[進度]：[MEETINGS] moved to 周五");
}

#[test]
fn a_snippet_of_a_long_message_is_bounded_and_around_the_match() {
    let mut t = TestIndex::new();
    let text = format!("{}预算超支{}", "无关内容".repeat(100), "后续讨论".repeat(100));
    t.say(1, &text);
    let page = t.search(&SearchRequest::new(DOMAIN, "预算", everything()));
    let snippet = &page.hits[0].snippet;
    assert!(snippet.text.chars().count() <= magpie_search::snippet::SNIPPET_CHARS_MAX);
    assert!(marked(snippet).contains("[预算]超支"), "{}", marked(snippet));
    assert!(snippet.cut_start && snippet.cut_end);
}
