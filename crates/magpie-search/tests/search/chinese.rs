//! Chinese as people search it: words inside words, words apart, single characters,
//! traditional and simplified, full-width and half-width.

use crate::harness::TestIndex;

#[test]
fn a_word_finds_the_longer_words_that_contain_it() {
    let mut t = TestIndex::new();
    t.say(1, "请大家更新项目进度").say(2, "明天开会");
    assert_eq!(t.seqs("进度"), [1]);
}

#[test]
fn a_phrase_finds_its_words_apart() {
    let mut t = TestIndex::new();
    t.say(1, "项目的进度怎么样了").say(2, "项目组聚餐").say(3, "进度条卡住了");
    assert_eq!(t.seqs("项目进度"), [1]);
}

#[test]
fn a_single_character_finds_every_word_that_contains_it() {
    let mut t = TestIndex::new();
    t.say(1, "项目启动").say(2, "待办事项").say(3, "今天下雨");
    let mut found = t.seqs("项");
    found.sort();
    assert_eq!(found, [1, 2]);
}

#[test]
fn a_word_is_not_found_in_text_that_only_shares_characters_with_it() {
    let mut t = TestIndex::new();
    t.say(1, "进行中的度假计划");
    assert!(t.seqs("进度").is_empty());
}

#[test]
fn traditional_and_simplified_find_each_other() {
    let mut t = TestIndex::new();
    t.say(1, "下午三点开会").say(2, "會議記錄已上傳");
    assert_eq!(t.seqs("開會"), [1]);
    assert_eq!(t.seqs("会议记录"), [2]);
}

#[test]
fn full_width_and_half_width_find_each_other() {
    let mut t = TestIndex::new();
    t.say(1, "工单 abc123 已关闭").say(2, "ＸＹＺ７８９ 待处理");
    assert_eq!(t.seqs("ＡＢＣ１２３"), [1]);
    assert_eq!(t.seqs("xyz789"), [2]);
}

#[test]
fn a_name_unknown_to_the_dictionary_is_found() {
    // jieba's dictionary does not know the name; bigrams find it whatever it made of the text.
    let mut t = TestIndex::new();
    t.say(1, "王小明说周五交付").say(2, "小明天再来");
    assert_eq!(t.seqs("王小明"), [1]);
}

#[test]
fn a_long_query_word_finds_its_parts_apart() {
    let mut t = TestIndex::new();
    t.say(1, "中华人民共和国成立").say(2, "中华的人民和共和国");
    let found = t.seqs("中华人民共和国");
    assert_eq!(found, [1, 2], "the exact phrase first, then its words apart");
}
