//! Nothing outside the searcher's readable spans and domain is found, and nothing outside
//! them is counted.

use magpie_search::{MessageDoc, SearchRequest, Span};

use crate::harness::{DOMAIN, TestIndex, message};

fn span(conversation: i64, from_seq: i64, until_seq: Option<i64>) -> Span {
    Span { conversation, from_seq, until_seq }
}

/// Conversation 1 with "季度预算" at seqs 1 to 10.
fn budget_talk() -> TestIndex {
    let mut t = TestIndex::new();
    for seq in 1..=10 {
        t.say(seq, "季度预算 budget");
    }
    t
}

fn found(t: &mut TestIndex, readable: Vec<Span>) -> (Vec<i64>, u64) {
    let mut request = SearchRequest::new(DOMAIN, "预算", readable);
    request.limit = 100;
    let page = t.search(&request);
    let mut seqs: Vec<i64> = page.hits.iter().map(|h| h.seq).collect();
    seqs.sort();
    (seqs, page.total)
}

#[test]
fn a_member_who_joined_late_finds_nothing_before_its_join() {
    let mut t = budget_talk();
    assert_eq!(found(&mut t, vec![span(1, 6, None)]), (vec![6, 7, 8, 9, 10], 5));
}

#[test]
fn a_removed_member_finds_what_it_could_read_and_nothing_from_its_removal_on() {
    let mut t = budget_talk();
    assert_eq!(found(&mut t, vec![span(1, 0, Some(4))]), (vec![1, 2, 3], 3));
}

#[test]
fn a_member_who_left_and_came_back_finds_both_spans_and_not_the_gap() {
    let mut t = budget_talk();
    assert_eq!(found(&mut t, vec![span(1, 0, Some(3)), span(1, 8, None)]), (vec![1, 2, 8, 9, 10], 5));
}

#[test]
fn a_conversation_without_a_span_is_not_searched() {
    let mut t = budget_talk();
    t.put(message(2, 1, "预算"));
    assert_eq!(found(&mut t, vec![span(2, 0, None)]), (vec![1], 1));
    assert_eq!(found(&mut t, vec![span(3, 0, None)]), (vec![], 0));
    assert_eq!(found(&mut t, vec![]), (vec![], 0));
}

#[test]
fn another_domains_messages_are_never_found_nor_counted() {
    let mut t = TestIndex::new();
    t.put(MessageDoc { domain: 2, ..message(1, 1, "季度预算") });
    t.put(MessageDoc { domain: 2, ..message(1, 2, "季度预算") });
    t.put(message(1, 3, "季度预算"));
    // Even spans that name the other domain's conversation do not reach its messages.
    assert_eq!(found(&mut t, vec![span(1, 0, None)]), (vec![3], 1));
}

#[test]
fn messages_hidden_for_the_searcher_are_neither_found_nor_counted() {
    let mut t = budget_talk();
    let mut request = SearchRequest::new(DOMAIN, "预算", vec![span(1, 0, None)]);
    request.excluded = vec![(1, 2), (1, 5)];
    request.limit = 100;
    let page = t.search(&request);
    assert_eq!(page.total, 8);
    assert!(page.hits.iter().all(|h| h.seq != 2 && h.seq != 5));
}

#[test]
fn a_conversation_filter_stays_within_the_spans() {
    let mut t = budget_talk();
    t.put(message(2, 1, "预算"));
    let mut request = SearchRequest::new(DOMAIN, "预算", vec![span(1, 9, None), span(2, 0, None)]);
    request.conversation = Some(1);
    let page = t.search(&request);
    assert_eq!(page.total, 2);
    assert!(page.hits.iter().all(|h| h.conversation == 1 && h.seq >= 9));
    // A conversation filter outside the spans finds nothing.
    request.conversation = Some(3);
    assert_eq!(t.search(&request).total, 0);
}
