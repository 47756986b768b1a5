//! English: case-folded and stemmed words, and English mixed with Chinese.

use crate::harness::TestIndex;

#[test]
fn a_word_finds_its_other_forms_in_any_case() {
    let mut t = TestIndex::new();
    t.say(1, "Two MEETINGS today").say(2, "Meetings moved").say(3, "the meeting room").say(4, "meat");
    let mut found = t.seqs("meeting");
    found.sort();
    assert_eq!(found, [1, 2, 3]);
    let mut found = t.seqs("Meetings");
    found.sort();
    assert_eq!(found, [1, 2, 3]);
}

#[test]
fn chinese_and_english_words_are_both_required() {
    let mut t = TestIndex::new();
    t.say(1, "周五release新版本").say(2, "Release 定在周五").say(3, "周五开会").say(4, "release today");
    let mut found = t.seqs("周五 release");
    found.sort();
    assert_eq!(found, [1, 2]);
}

#[test]
fn an_english_word_is_found_inside_chinese_text() {
    let mut t = TestIndex::new();
    t.say(1, "下周一deploy新版本");
    assert_eq!(t.seqs("deploy"), [1]);
    assert_eq!(t.seqs("Deploying"), [1]);
}

#[test]
fn every_word_of_the_query_is_required() {
    let mut t = TestIndex::new();
    t.say(1, "budget review on friday").say(2, "budget approved");
    assert_eq!(t.seqs("budget friday"), [1]);
}
