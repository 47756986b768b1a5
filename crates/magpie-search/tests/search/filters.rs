//! Filters: in a conversation, from a sender, before and after a time, has a file, an image or
//! a link, mentions an account, of a kind.

use magpie_search::{Mentioning, MessageDoc, SearchRequest, extract};
use serde_json::json;

use crate::harness::{DOMAIN, TestIndex, everything, message};

fn seqs(t: &mut TestIndex, edit: impl FnOnce(&mut SearchRequest)) -> Vec<i64> {
    let mut request = SearchRequest::new(DOMAIN, "report", everything());
    edit(&mut request);
    let mut seqs: Vec<i64> = t.search(&request).hits.iter().map(|h| h.seq).collect();
    seqs.sort();
    seqs
}

/// Conversation 1: six messages about the report, each with something to filter on.
fn reports() -> TestIndex {
    let mut t = TestIndex::new();
    t.put(message(1, 1, "report draft"));
    t.put(MessageDoc { sender: 200, ..message(1, 2, "report from bob") });
    let file = json!({"file": "f_1", "name": "Q3 report.pdf", "size": 1024});
    t.put(MessageDoc { kind: "file".into(), text: extract("file", &file), has_file: true, ..message(1, 3, "") });
    t.put(MessageDoc { kind: "image".into(), has_image: true, ..message(1, 4, "report chart.png") });
    t.put(MessageDoc { has_link: true, ..message(1, 5, "report at https://docs.example/r") });
    t.put(MessageDoc { mentions: vec![300], ..message(1, 6, "@carol the report") });
    t.put(MessageDoc { mention_all: true, ..message(1, 7, "@all report due") });
    t
}

#[test]
fn by_sender() {
    assert_eq!(seqs(&mut reports(), |r| r.sender = Some(200)), [2]);
}

#[test]
fn by_time() {
    let mut t = reports();
    assert_eq!(seqs(&mut t, |r| r.after_ms = Some(6000)), [6, 7]);
    assert_eq!(seqs(&mut t, |r| r.before_ms = Some(2000)), [1]);
    assert_eq!(seqs(&mut t, |r| (r.after_ms, r.before_ms) = (Some(3000), Some(5000))), [3, 4]);
}

#[test]
fn by_what_a_message_has() {
    let mut t = reports();
    assert_eq!(seqs(&mut t, |r| r.has_file = true), [3]);
    assert_eq!(seqs(&mut t, |r| r.has_image = true), [4]);
    assert_eq!(seqs(&mut t, |r| r.has_link = true), [5]);
}

#[test]
fn files_by_type_with_or_without_words() {
    let mut t = TestIndex::new();
    let pdf = json!({"file": "f_1", "name": "季度报告.pdf"});
    t.put(MessageDoc {
        kind: "file".into(),
        text: extract("file", &pdf),
        file_types: vec!["document".into()],
        ..message(1, 1, "")
    });
    let sheet = json!({"file": "f_2", "name": "季度预算.xlsx"});
    t.put(MessageDoc {
        kind: "file".into(),
        text: extract("file", &sheet),
        file_types: vec!["spreadsheet".into()],
        ..message(1, 2, "")
    });
    t.put(MessageDoc { kind: "image".into(), file_types: vec!["image".into()], ..message(1, 3, "季度 chart.png") });
    t.put(message(1, 4, "季度 review, no file"));
    let found = |t: &mut TestIndex, query: &str, files: Option<Option<&str>>| {
        let mut request = SearchRequest::new(DOMAIN, query, everything());
        request.files = files.map(|f| f.map(str::to_owned));
        let mut seqs: Vec<i64> = t.search(&request).hits.iter().map(|h| h.seq).collect();
        seqs.sort();
        seqs
    };
    assert_eq!(found(&mut t, "季度", None), [1, 2, 3, 4]);
    assert_eq!(found(&mut t, "季度", Some(None)), [1, 2, 3], "files of any type");
    assert_eq!(found(&mut t, "季度", Some(Some("spreadsheet"))), [2]);
    // No words: every file the filters let through, its name as the snippet.
    assert_eq!(found(&mut t, "", Some(None)), [1, 2, 3]);
    assert_eq!(found(&mut t, " ", Some(Some("document"))), [1]);
    let mut request = SearchRequest::new(DOMAIN, "", everything());
    request.files = Some(Some("document".into()));
    let page = t.search(&request);
    assert_eq!(page.hits[0].snippet.text, "季度报告.pdf");
    assert!(page.hits[0].snippet.highlights.is_empty());
    // Without the files filter, a query needs a word.
    let err = t.index.search(&SearchRequest::new(DOMAIN, " ", everything())).unwrap_err();
    assert!(matches!(err, magpie_search::Error::EmptyQuery), "{err:?}");
}

#[test]
fn by_mention_with_or_without_everyone() {
    let mut t = reports();
    assert_eq!(seqs(&mut t, |r| r.mentioning = Some(Mentioning { account: 300, or_all: false })), [6]);
    assert_eq!(seqs(&mut t, |r| r.mentioning = Some(Mentioning { account: 300, or_all: true })), [6, 7]);
    assert_eq!(seqs(&mut t, |r| r.mentioning = Some(Mentioning { account: 999, or_all: false })), Vec::<i64>::new());
}

#[test]
fn by_kind() {
    assert_eq!(seqs(&mut reports(), |r| r.kind = Some("file".into())), [3]);
}

#[test]
fn by_conversation() {
    let mut t = reports();
    t.put(message(2, 1, "report in another chat"));
    let mut request = SearchRequest::new(DOMAIN, "report", everything());
    request.conversation = Some(2);
    let page = t.search(&request);
    assert_eq!(page.total, 1);
    assert_eq!((page.hits[0].conversation, page.hits[0].seq), (2, 1));
}
