//! Message search (docs/protocol.md §7.14) through the real server: Chinese and English as
//! people write them, only what the searcher may read now, and an index that follows the log
//! through `kill -9` and a rebuild.
//!
//! The index trails the log by a moment, so a test waits for what it expects by asking again
//! until [`EVENTUALLY`]; a claim that something is *not* found is made after a later message
//! was found (the index applies the log in commit order, so everything before it is applied).

use std::time::Duration;

use magpie_client::wire::{self, ErrorCode, SearchMessagesQuery};
use serde_json::json;

use crate::harness::{EVENTUALLY, TestServer, User, group};

/// No rate limit in the way of tests that ask again until the index caught up, or send many.
const UNLIMITED: &[(&str, &str)] = &[
    ("MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX", "1000000"),
    ("MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX", "0"),
    ("MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX", "0"),
];
/// How long a test waits before asking the index again.
const ASK_AGAIN: Duration = Duration::from_millis(25);

pub(crate) fn query(q: &str) -> SearchMessagesQuery {
    SearchMessagesQuery { q: q.to_owned(), limit: Some(100), ..Default::default() }
}

/// `(conversation, seq)` of what the search finds (sorted), and its total.
pub(crate) async fn found(user: &User, q: SearchMessagesQuery) -> (Vec<(i64, i64)>, u64) {
    let page = user.client.search_messages(&q).await.unwrap();
    let mut found: Vec<_> = page.results.iter().map(|r| (r.conversation, r.seq)).collect();
    found.sort();
    (found, page.total)
}

/// Asks until `user` finds exactly `expected` for `q` (and counts as many); panics after
/// [`EVENTUALLY`].
pub(crate) async fn until_found(user: &User, q: SearchMessagesQuery, expected: &[(i64, i64)]) {
    let mut expected = expected.to_vec();
    expected.sort();
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let (got, total) = found(user, q.clone()).await;
        if got == expected && total == expected.len() as u64 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} searching {:?}: found {got:?} (total {total}), expected {expected:?}",
            user.account,
            q.q
        );
        tokio::time::sleep(ASK_AGAIN).await;
    }
}

/// A `client_msg_id` no other send of this test binary uses.
fn next_id() -> String {
    static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("s{}", SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

async fn send(user: &User, conversation: i64, text: &str) -> (i64, i64) {
    let id = next_id();
    let ack = user.client.send_text(conversation, &id, text).await.unwrap();
    (conversation, ack.seq)
}

#[tokio::test]
async fn chinese_and_english_are_found_however_they_were_written() {
    let server = TestServer::start_with(UNLIMITED).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let progress = send(&alice, team.id, "本周项目进度更新").await;
    let apart = send(&alice, team.id, "项目的进度还要再看").await;
    let meeting = send(&alice, team.id, "明天下午开会").await;
    let english = send(&alice, team.id, "The weekly Meetings move to Friday").await;
    let mixed = send(&alice, team.id, "周五发 release 说明").await;
    let full_width = send(&alice, team.id, "ＱＡ组发来的Ｒｅｐｏｒｔ，共１２３页").await;

    // A word inside a sentence, whatever jieba made of it.
    until_found(&bob, query("进度"), &[progress, apart]).await;
    // One character finds the words that hold it.
    until_found(&bob, query("会"), &[meeting]).await;
    // Chinese and English in one query.
    until_found(&bob, query("周五 release"), &[mixed]).await;
    // Half-width finds full-width.
    until_found(&bob, query("qa report 123"), &[full_width]).await;
    // Traditional finds simplified; English is case-folded and stemmed.
    until_found(&bob, query("開會"), &[meeting]).await;
    until_found(&bob, query("meeting"), &[english]).await;
    until_found(&bob, query("MEETINGS friday"), &[english]).await;
    // The exact phrase ranks above its words apart.
    let page = bob.client.search_messages(&query("项目进度")).await.unwrap();
    let order: Vec<_> = page.results.iter().map(|r| (r.conversation, r.seq)).collect();
    assert_eq!(order, vec![progress, apart]);
    // Snippets highlight what matched, in characters of the text as written.
    let hit = &page.results[0];
    assert_eq!(hit.snippet.text, "本周项目进度更新");
    let highlighted: String = hit
        .snippet
        .highlights
        .iter()
        .map(|[a, b]| hit.snippet.text.chars().skip(*a as usize).take((*b - *a) as usize).collect::<String>())
        .collect();
    assert_eq!(highlighted, "项目进度");
    assert_eq!((hit.sender.as_str(), hit.entry.seq), ("alice@localhost", progress.1));

    // The same over the WebSocket, newest first.
    let live = bob.connect().await;
    let newest = live
        .search_messages(SearchMessagesQuery { order: Some(wire::SearchOrder::Newest), ..query("进度") })
        .await
        .unwrap();
    assert_eq!(newest.results.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![apart.1, progress.1]);
}

#[tokio::test]
async fn filters_narrow_what_is_found() {
    let server = TestServer::start_with(UNLIMITED).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let other = group(&alice, "other", &["bob@localhost"]).await;
    let plain = send(&alice, team.id, "release notes draft").await;
    let link = send(&bob, team.id, "release notes at https://example.com/notes").await;
    let elsewhere = send(&alice, other.id, "release notes elsewhere").await;
    let mention = wire::SendRequest {
        mentions: vec!["bob@localhost".to_owned()],
        ..magpie_client::text_message("m1", "@bob release notes please")
    };
    let mentioned = (team.id, alice.client.send_message(team.id, &mention).await.unwrap().seq);
    until_found(&bob, query("release"), &[plain, link, elsewhere, mentioned]).await;

    let q = query("release");
    until_found(&bob, SearchMessagesQuery { conversation: Some(elsewhere.0), ..q.clone() }, &[elsewhere]).await;
    until_found(&bob, SearchMessagesQuery { sender: Some("bob@localhost".into()), ..q.clone() }, &[link]).await;
    until_found(&bob, SearchMessagesQuery { has: Some(wire::SharedKind::Link), ..q.clone() }, &[link]).await;
    until_found(&bob, SearchMessagesQuery { mentions_me: Some(true), ..q.clone() }, &[mentioned]).await;
    until_found(&bob, SearchMessagesQuery { kind: Some("image".into()), ..q.clone() }, &[]).await;
    until_found(&bob, SearchMessagesQuery { sender: Some("nobody@localhost".into()), ..q }, &[]).await;

    // Pages follow each other by cursor, every result once.
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let page = bob
            .client
            .search_messages(&SearchMessagesQuery { limit: Some(1), cursor: cursor.clone(), ..query("release") })
            .await
            .unwrap();
        assert_eq!(page.total, 4);
        seen.extend(page.results.iter().map(|r| (r.conversation, r.seq)));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    seen.sort();
    let mut all = vec![plain, link, elsewhere, mentioned];
    all.sort();
    assert_eq!(seen, all);
}

#[tokio::test]
async fn a_search_is_bounded_and_checked() {
    let server = TestServer::start_with(&[("MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX", "3")]).await;
    let alice = server.user("alice").await;
    let err = alice.client.search_messages(&query(&"字".repeat(257))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    let err = alice.client.search_messages(&query("  ")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let err = alice.client.search_messages(&SearchMessagesQuery { limit: Some(101), ..query("x") }).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    // Three searches a minute: the fourth waits.
    for _ in 0..3 {
        alice.client.search_messages(&query("hello")).await.unwrap();
    }
    let err = alice.client.search_messages(&query("hello")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
}

#[tokio::test]
async fn only_what_the_searcher_may_read_now_is_found() {
    let server = TestServer::start_with(UNLIMITED).await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    server.create("eve@acme.example", &[]).await;
    let eve = server.login("eve@acme.example").await;

    let team = group(&alice, "team", &["bob@localhost", "carol@localhost"]).await;
    let before = send(&alice, team.id, "alpha budget plan").await;
    alice.client.remove_member(team.id, "carol@localhost").await.unwrap();
    let after_carol = send(&alice, team.id, "alpha budget after carol left").await;
    alice.client.add_members(team.id, &["dave@localhost"]).await.unwrap();
    let with_dave = send(&alice, team.id, "alpha budget with dave").await;
    let recalled = send(&alice, team.id, "alpha secret soon recalled").await;
    alice.client.recall(team.id, recalled.1, None).await.unwrap();
    let hidden = send(&alice, team.id, "alpha hidden by bob").await;
    bob.client.hide(team.id, &[hidden.1]).await.unwrap();
    let edited = send(&alice, team.id, "alpha original wording").await;
    alice.client.edit_message(team.id, edited.1, json!({"text": "alpha revised wording"}), None).await.unwrap();
    let theirs = group(&eve, "acme", &[]).await;
    let eves = send(&eve, theirs.id, "alpha budget of another domain").await;
    let marker = send(&alice, team.id, "omega marker").await;
    until_found(&dave, query("omega"), &[marker]).await;

    // Everything before the marker is applied now: each sees what the rule says, counts too.
    until_found(&alice, query("alpha"), &[before, after_carol, with_dave, hidden, edited]).await;
    until_found(&bob, query("alpha"), &[before, after_carol, with_dave, edited]).await;
    // What bob hid is not counted on any page, not only left out of the page it was on.
    let first = bob.client.search_messages(&SearchMessagesQuery { limit: Some(1), ..query("alpha") }).await.unwrap();
    assert_eq!((first.results.len(), first.total), (1, 4));
    until_found(&carol, query("alpha"), &[before]).await;
    until_found(&dave, query("alpha"), &[with_dave, hidden, edited]).await;
    until_found(&eve, query("alpha"), &[eves]).await;
    until_found(&eve, query("budget"), &[eves]).await;
    until_found(&alice, SearchMessagesQuery { conversation: Some(theirs.id), ..query("alpha") }, &[]).await;
    // An edited message is found by its new words, not its old ones; a recalled one not at all.
    until_found(&alice, query("revised"), &[edited]).await;
    until_found(&alice, query("original"), &[]).await;
    until_found(&alice, query("secret"), &[]).await;
    let page = alice.client.search_messages(&query("revised")).await.unwrap();
    assert_eq!(page.results[0].entry.body, Some(json!({"text": "alpha revised wording"})));

    // Carol, added again, reads from her new join on (the history rule), not what she could
    // read before she was removed.
    alice.client.add_members(team.id, &["carol@localhost"]).await.unwrap();
    let back = send(&alice, team.id, "alpha budget with carol back").await;
    until_found(&carol, query("alpha"), &[back]).await;

    // A dissolved group's messages are gone for everyone.
    alice.client.dissolve(team.id).await.unwrap();
    let peer = wire::CreateConversationRequest::Direct { peer: "bob@localhost".into() };
    let direct = alice.client.create_conversation(&peer).await.unwrap();
    let later = send(&alice, direct.id, "omega later").await;
    until_found(&bob, query("omega"), &[later]).await;
    until_found(&alice, query("alpha"), &[]).await;
}

#[tokio::test]
async fn kill_during_indexing_loses_nothing_and_doubles_nothing() {
    let mut server = TestServer::start_with(UNLIMITED).await;
    let alice = server.user("alice").await;
    let team = group(&alice, "team", &[]).await;
    let mut acked = vec![];
    for i in 0..150 {
        acked.push(send(&alice, team.id, &format!("batch item {i}")).await);
    }
    // Killed while the indexer is still at it (or just done): no shutdown at all.
    server.kill().await;
    server.restart_stopped().await;
    let alice = server.login("alice@localhost").await;
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let mut seen = vec![];
        let mut cursor = None;
        let mut total;
        loop {
            let q = SearchMessagesQuery { cursor: cursor.clone(), ..query("batch") };
            let page = alice.client.search_messages(&q).await.unwrap();
            total = page.total;
            seen.extend(page.results.iter().map(|r| (r.conversation, r.seq)));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        seen.sort();
        // Every acked message once, and the index counts no more: none twice. While the
        // indexer still catches up, pages by relevance may shift between requests (a result
        // seen on two pages), so only a settled index is judged.
        if seen == acked && total == acked.len() as u64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after the restart: {} results ({} in all, {} distinct) for {} acked messages",
            seen.len(),
            total,
            {
                let mut unique = seen.clone();
                unique.dedup();
                unique.len()
            },
            acked.len()
        );
        tokio::time::sleep(ASK_AGAIN).await;
    }
}

#[tokio::test]
async fn reindex_gives_the_same_results_as_the_live_index() {
    let mut server = TestServer::start_with(UNLIMITED).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    send(&alice, team.id, "项目进度 weekly meetings").await;
    let edited = send(&bob, team.id, "开会 notes draft").await;
    bob.client.edit_message(team.id, edited.1, json!({"text": "开会 notes final"}), None).await.unwrap();
    let recalled = send(&alice, team.id, "项目 secret").await;
    alice.client.recall(team.id, recalled.1, None).await.unwrap();
    let marker = send(&alice, team.id, "omega").await;
    until_found(&bob, query("omega"), &[marker]).await;

    let queries = ["进度", "開會", "meeting", "notes", "项目", "final", "draft", "secret"];
    // Scores may move with the index's statistics (a rebuilt index holds no deleted
    // documents), so what is compared is what was found, with its snippet, and the total.
    async fn results(user: &User, q: &str) -> (Vec<(i64, i64, wire::Snippet)>, u64) {
        let page = user.client.search_messages(&query(q)).await.unwrap();
        let mut found: Vec<_> = page.results.into_iter().map(|r| (r.conversation, r.seq, r.snippet)).collect();
        found.sort_by_key(|(c, s, _)| (*c, *s));
        (found, page.total)
    }
    let mut live = vec![];
    for q in queries {
        live.push(results(&bob, q).await);
    }
    assert_eq!(live[0].0.len(), 1);
    assert_eq!(live[5].0.len(), 1);
    assert!(live[6].0.is_empty() && live[7].0.is_empty());

    // The index is rebuilt from the log while the server is stopped (it holds the index).
    server.stop().await;
    let out = server.admin(&["search", "reindex"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("reindexed "));
    server.restart_stopped().await;
    let bob = server.login("bob@localhost").await;
    for (q, before) in queries.iter().zip(live) {
        assert_eq!(results(&bob, q).await, before, "{q:?}");
    }
}

#[tokio::test]
async fn a_server_with_search_off_says_so_and_keeps_no_index() {
    let server = TestServer::start_with(&[("MAGPIE_SEARCH_ENABLED", "false")]).await;
    let alice = server.user("alice").await;
    let err = alice.client.search_messages(&query("hello")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unavailable));
    assert!(!server.path("search").exists(), "a server with search off made an index");
}

/// A file message of `name`, uploaded by `user` into `conversation`.
async fn send_file(user: &User, conversation: i64, name: &str) -> (i64, i64) {
    let file = user.client.upload(b"some bytes of a file", Some(name), 1 << 20).await.unwrap();
    let send = wire::SendRequest {
        client_msg_id: next_id(),
        kind: "file".into(),
        body: json!({"file": file, "name": name, "size": 20}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    (conversation, user.client.send_message(conversation, &send).await.unwrap().seq)
}

/// `(conversation, seq, file type)` of a files search's first page, in its order.
async fn files(user: &User, q: wire::SearchFilesQuery) -> Vec<(i64, i64, Option<wire::FileType>)> {
    let page = user.client.search_files(&q).await.unwrap();
    page.results.iter().map(|r| (r.conversation, r.seq, r.file_type)).collect()
}

#[tokio::test]
async fn files_are_found_by_name_and_type_among_what_the_searcher_may_read() {
    let server = TestServer::start_with(UNLIMITED).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let report = send_file(&alice, team.id, "季度报告.pdf").await;
    let budget = send_file(&bob, team.id, "季度预算.xlsx").await;
    let talk = send(&alice, team.id, "季度报告写好了吗").await;
    let theirs = group(&carol, "carol's", &[]).await;
    send_file(&carol, theirs.id, "季度报告-carol.pdf").await;
    let marker = send(&alice, team.id, "omega marker").await;
    until_found(&bob, query("omega"), &[marker]).await;

    use wire::FileType::{Document, Spreadsheet};
    let by_name = |q: &str| wire::SearchFilesQuery { q: q.into(), limit: Some(100), ..Default::default() };
    // By the file's name, in Chinese: files only, not the message that talks about one.
    let mut found = files(&bob, by_name("季度")).await;
    found.sort_by_key(|f| (f.0, f.1));
    assert_eq!(found, [(report.0, report.1, Some(Document)), (budget.0, budget.1, Some(Spreadsheet))]);
    assert!(!found.iter().any(|f| (f.0, f.1) == talk));
    // By type, with or without words; without, newest first.
    let sheets = wire::SearchFilesQuery { file_type: Some(Spreadsheet), ..by_name("季度") };
    assert_eq!(files(&bob, sheets).await, [(budget.0, budget.1, Some(Spreadsheet))]);
    let every = wire::SearchFilesQuery { conversation: Some(team.id), ..by_name("") };
    assert_eq!(
        files(&bob, every).await,
        [(budget.0, budget.1, Some(Spreadsheet)), (report.0, report.1, Some(Document))]
    );
    let docs = wire::SearchFilesQuery { file_type: Some(Document), ..by_name("") };
    assert_eq!(files(&bob, docs).await, [(report.0, report.1, Some(Document))], "not carol's");
    // From a sender, over the WebSocket too.
    let ws = bob.client.connect().await.unwrap();
    let from_bob = wire::SearchFilesQuery { sender: Some("bob@localhost".into()), ..by_name("") };
    let page = ws.search_files(from_bob).await.unwrap();
    assert_eq!(page.results.iter().map(|r| r.seq).collect::<Vec<_>>(), [budget.1]);
    // A message search names a file's type too.
    let page = bob.client.search_messages(&query("预算")).await.unwrap();
    assert_eq!(page.results.iter().map(|r| r.file_type).collect::<Vec<_>>(), [Some(Spreadsheet)]);
}
