//! Puts, edits, removals, commits and crashes.

use std::process::Command;

use magpie_search::{Error, MessageIndex, Opened, SearchRequest};

use crate::harness::{DOMAIN, TestIndex, everything, message};

#[test]
fn an_edit_is_found_by_its_new_words_and_not_its_old_ones() {
    let mut t = TestIndex::new();
    t.say(1, "周三发布");
    assert_eq!(t.seqs("周三"), [1]);
    t.say(1, "改到周四发布");
    assert!(t.seqs("周三").is_empty());
    assert_eq!(t.seqs("周四"), [1]);
    assert_eq!(t.index.num_docs(), 1);
}

#[test]
fn an_edit_in_the_same_batch_replaces_the_first_version() {
    let mut t = TestIndex::new();
    t.say(1, "draft one").say(1, "final version");
    assert!(t.seqs("draft").is_empty());
    assert_eq!(t.seqs("final"), [1]);
    assert_eq!(t.index.num_docs(), 1);
}

#[test]
fn a_removed_message_is_not_found() {
    let mut t = TestIndex::new();
    t.say(1, "撤回这条").say(2, "撤回之后");
    t.writer().remove(1, 1);
    assert_eq!(t.seqs("撤回"), [2]);
}

#[test]
fn a_removed_conversation_is_gone_and_others_stay() {
    let mut t = TestIndex::new();
    t.say(1, "群聊消息").say(2, "群聊消息");
    t.put(message(2, 1, "群聊消息"));
    t.writer().remove_conversation(1);
    assert_eq!(t.find("群聊"), [(2, 1)]);
}

#[test]
fn messages_up_to_a_seq_go_and_later_ones_and_other_conversations_stay() {
    let mut t = TestIndex::new();
    t.say(1, "保留 retention").say(2, "保留 retention").say(3, "保留 retention").say(4, "保留 retention");
    t.put(message(2, 1, "保留 retention"));
    t.put(message(2, 9, "保留 retention"));
    t.writer().remove_through(1, 3).unwrap();
    let mut found = t.find("保留");
    found.sort();
    assert_eq!(found, [(1, 4), (2, 1), (2, 9)]);
    assert_eq!(t.find("retention").len(), 3);
}

#[test]
fn a_new_index_has_no_cursor_and_a_commit_stores_one() {
    let mut t = TestIndex::new();
    assert_eq!(t.index.opened(), &Opened::Created);
    assert_eq!(t.index.cursor().unwrap(), None);
    t.say(1, "hello");
    t.writer().commit("cursor-1").unwrap();
    assert_eq!(t.index.cursor().unwrap().as_deref(), Some("cursor-1"));
}

#[test]
fn a_second_writer_is_refused() {
    let t = TestIndex::new();
    assert!(matches!(t.index.writer(), Err(Error::Locked(_))));
}

/// Writes 1..=3 and commits them with `c3`, then writes 4..=6 and removes 1 without a commit.
fn committed_then_more(index: &MessageIndex) -> magpie_search::MessageWriter {
    let mut writer = index.writer().unwrap();
    for seq in 1..=3 {
        writer.put(&message(1, seq, "恢复 resume")).unwrap();
    }
    writer.commit("c3").unwrap();
    for seq in 4..=6 {
        writer.put(&message(1, seq, "恢复 resume")).unwrap();
    }
    writer.remove(1, 1);
    writer
}

/// After a crash: the cursor is the committed one, the uncommitted writes are absent, and
/// replaying from the cursor never duplicates a message.
fn check_resumed(dir: &std::path::Path) {
    let index = MessageIndex::open_or_create(dir).unwrap();
    assert_eq!(index.opened(), &Opened::Existing);
    assert_eq!(index.cursor().unwrap().as_deref(), Some("c3"));
    let search = |index: &MessageIndex| {
        let mut request = SearchRequest::new(DOMAIN, "恢复", everything());
        request.limit = 100;
        let page = index.search(&request).unwrap();
        let mut seqs: Vec<i64> = page.hits.iter().map(|h| h.seq).collect();
        seqs.sort();
        (seqs, page.total)
    };
    assert_eq!(search(&index), (vec![1, 2, 3], 3));
    // The follower resumes at c3 and sees everything after it again; a real log would also
    // give 1..=3 again if its cursor were older, so replay all of it.
    let mut writer = index.writer().unwrap();
    for seq in 1..=6 {
        writer.put(&message(1, seq, "恢复 resume")).unwrap();
    }
    writer.remove(1, 1);
    writer.commit("c6").unwrap();
    assert_eq!(search(&index), (vec![2, 3, 4, 5, 6], 5));
    assert_eq!(index.num_docs(), 5);
}

#[test]
fn after_a_writer_is_dropped_uncommitted_writes_are_gone_and_replay_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = MessageIndex::open_or_create(dir.path()).unwrap();
        drop(committed_then_more(&index));
    }
    check_resumed(dir.path());
}

const CRASH_DIR: &str = "MAGPIE_SEARCH_CRASH_DIR";

/// The crashing half of the next test: run by it in a child process, a no-op otherwise.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR) else {
        return;
    };
    let index = MessageIndex::open_or_create(std::path::Path::new(&dir)).unwrap();
    let writer = committed_then_more(&index);
    // Dies with the writer's buffers and lock held, without unwinding or dropping anything.
    let _ = &writer;
    std::process::abort();
}

#[test]
fn after_the_process_is_killed_uncommitted_writes_are_gone_and_replay_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "writes::crash_child", "--test-threads=1", "--nocapture"])
        .env(CRASH_DIR, dir.path())
        .status()
        .unwrap();
    assert!(!status.success(), "the child was to abort");
    check_resumed(dir.path());
}

#[test]
fn an_index_of_another_schema_is_rebuilt_empty() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut schema = tantivy::schema::Schema::builder();
        schema.add_text_field("something_else", tantivy::schema::TEXT);
        tantivy::Index::create_in_dir(dir.path(), schema.build()).unwrap();
    }
    let index = MessageIndex::open_or_create(dir.path()).unwrap();
    assert!(matches!(index.opened(), Opened::Rebuilt { .. }), "{:?}", index.opened());
    assert_eq!(index.cursor().unwrap(), None);
    let mut writer = index.writer().unwrap();
    writer.put(&message(1, 1, "rebuilt")).unwrap();
    writer.commit("c1").unwrap();
    drop(writer);
    drop(index);
    let index = MessageIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.opened(), &Opened::Existing);
    assert_eq!(index.num_docs(), 1);
}
