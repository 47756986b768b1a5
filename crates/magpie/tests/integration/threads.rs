//! Threads (docs/protocol.md §7.12): replies kept beside the chat, in the conversation's log,
//! with their own follow state and unread counts.

use magpie_client::wire::{self, AccountEvent, ErrorCode, HistoryQuery, SendRequest, UpdateThreadRequest};

use crate::harness::{TestServer, group, next_account_event_after, next_entry, text_of};

fn reply(id: &str, text: &str, root: i64, broadcast: bool) -> SendRequest {
    SendRequest { thread: Some(root), broadcast, ..magpie_client::text_message(id, text) }
}

fn page() -> HistoryQuery {
    HistoryQuery::default()
}

/// The next entry pushed at `seq` or later: an entry committed before the connection opened (the
/// group's `created` notice) may still be pushed first, and a client skips it by its seq.
async fn next_entry_from(live: &mut magpie_client::Connection, seq: i64) -> wire::Entry {
    loop {
        let entry = next_entry(live).await;
        if entry.seq >= seq {
            return entry;
        }
    }
}

#[tokio::test]
async fn a_thread_reply_is_in_the_log_but_not_in_the_chats_counts() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "team", &["bob@localhost", "carol@localhost"]).await;
    let mut carol_live = carol.connect().await;

    let root = alice.client.send_text(team.id, "r", "Noodles at 12?").await.unwrap().seq;
    assert_eq!(next_entry_from(&mut carol_live, root).await.seq, root);
    let before = carol.client.conversation(team.id).await.unwrap();
    assert_eq!(before.unread, 1);

    // Bob answers in the thread: everyone receives the entry, with its root.
    let only = bob.client.send_message(team.id, &reply("t1", "12:30 is better", root, false)).await.unwrap();
    let pushed = next_entry_from(&mut carol_live, only.seq).await;
    assert_eq!((pushed.seq, pushed.thread, pushed.broadcast), (only.seq, Some(root), false));

    // The chat's unread count, last message and Bob's read mark stay as they were.
    let carols = carol.client.conversation(team.id).await.unwrap();
    assert_eq!(carols.unread, 1, "a reply kept in its thread is not unread in the chat");
    assert_eq!(carols.last_message.as_ref().map(|m| m.seq), Some(root));
    assert_eq!(carols.last_seq, only.seq, "but it is an entry of the log: seqs stay dense");
    let bobs = bob.client.conversation(team.id).await.unwrap();
    assert!(bobs.me.read_seq < root, "replying in a thread does not read the chat");
    assert_eq!(bobs.unread, 1);

    // "Also send to the group": in the thread and in the chat.
    let both = bob.client.send_message(team.id, &reply("t2", "booked it", root, true)).await.unwrap();
    let pushed = next_entry_from(&mut carol_live, both.seq).await;
    assert_eq!((pushed.thread, pushed.broadcast), (Some(root), true));
    let carols = carol.client.conversation(team.id).await.unwrap();
    assert_eq!(carols.unread, 2);
    assert_eq!(carols.last_message.as_ref().map(|m| m.seq), Some(both.seq));

    // History shows the root with its thread's summary; the thread page its replies.
    let history = carol.client.messages(team.id, page()).await.unwrap();
    let shown = history.entries.iter().find(|e| e.seq == root).unwrap();
    let summary = shown.thread_summary.unwrap();
    assert_eq!((summary.replies, summary.last_seq), (2, both.seq));
    let thread = carol.client.thread(team.id, root, page()).await.unwrap();
    assert_eq!(thread.root.seq, root);
    assert_eq!(thread.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [only.seq, both.seq]);
    assert_eq!(text_of(&thread.entries[0]), "12:30 is better");
    assert_eq!((thread.following, thread.read_seq), (false, root), "Carol never followed it");

    // Paging a thread counts its replies only.
    let older = carol.client.thread(team.id, root, HistoryQuery { before: Some(both.seq), ..page() }).await.unwrap();
    assert_eq!(older.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [only.seq]);
    let newest = carol.client.thread(team.id, root, HistoryQuery { limit: Some(1), ..page() }).await.unwrap();
    assert_eq!(newest.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [both.seq]);
}

#[tokio::test]
async fn who_follows_a_thread_and_what_is_unread_there() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let team = group(&alice, "team", &["bob@localhost", "carol@localhost", "dave@localhost"]).await;
    let root = alice.client.send_text(team.id, "r", "Release on Friday?").await.unwrap().seq;

    // Bob replies (he follows, read up to his reply); Alice sent the root (she follows);
    // Carol is mentioned (she follows); Dave is neither.
    let mut first = reply("t1", "@carol can QA make it?", root, false);
    first.mentions = vec!["carol@localhost".into()];
    let first = bob.client.send_message(team.id, &first).await.unwrap().seq;
    let second = bob.client.send_message(team.id, &reply("t2", "I can do the notes", root, false)).await.unwrap().seq;

    let followed = |threads: Vec<wire::Thread>| {
        threads.iter().map(|t| (t.conversation, t.root.seq, t.unread, t.read_seq)).collect::<Vec<_>>()
    };
    assert_eq!(followed(alice.client.threads(None, None).await.unwrap()), [(team.id, root, 2, root)]);
    assert_eq!(followed(bob.client.threads(None, None).await.unwrap()), [(team.id, root, 0, second)]);
    assert_eq!(followed(carol.client.threads(Some(team.id), None).await.unwrap()), [(team.id, root, 2, root)]);
    assert!(dave.client.threads(None, None).await.unwrap().is_empty());
    let listed = &alice.client.threads(None, None).await.unwrap()[0];
    assert_eq!(listed.root.thread_summary.map(|s| s.replies), Some(2));

    // Reading moves the mark; the account's other devices hear of it.
    let mut alice_other = alice.connect().await;
    let head = alice.client.sync(wire::SyncRequest::default()).await.unwrap().events_head;
    let read = UpdateThreadRequest { following: None, read_seq: Some(first) };
    let thread = alice.client.update_thread(team.id, root, read).await.unwrap();
    assert_eq!((thread.unread, thread.read_seq, thread.following), (1, first, true));
    let event = next_account_event_after(&mut alice_other, head).await;
    assert_eq!(
        event.event,
        AccountEvent::ThreadChanged { conversation: team.id, root, following: true, read_seq: first }
    );
    // A read mark never goes back.
    let back = UpdateThreadRequest { following: None, read_seq: Some(root) };
    assert_eq!(alice.client.update_thread(team.id, root, back).await.unwrap().read_seq, first);

    // Dave follows on purpose, then Carol unfollows: the lists follow their choices.
    let follow = UpdateThreadRequest { following: Some(true), read_seq: None };
    assert_eq!(dave.client.update_thread(team.id, root, follow).await.unwrap().unread, 2);
    assert_eq!(followed(dave.client.threads(None, None).await.unwrap()), [(team.id, root, 2, root)]);
    let unfollow = UpdateThreadRequest { following: Some(false), read_seq: None };
    assert!(!carol.client.update_thread(team.id, root, unfollow).await.unwrap().following);
    assert!(carol.client.threads(None, None).await.unwrap().is_empty());
    // A later mention does not follow for her again: she chose.
    let mut again = reply("t3", "@carol never mind", root, false);
    again.mentions = vec!["carol@localhost".into()];
    bob.client.send_message(team.id, &again).await.unwrap();
    assert!(carol.client.threads(None, None).await.unwrap().is_empty());

    // A recalled reply, and one deleted for oneself, are no longer unread.
    assert_eq!(alice.client.threads(None, None).await.unwrap()[0].unread, 2);
    bob.client.recall(team.id, second, None).await.unwrap();
    assert_eq!(alice.client.threads(None, None).await.unwrap()[0].unread, 1);
    let last = alice.client.thread(team.id, root, page()).await.unwrap().entries.last().unwrap().seq;
    alice.client.hide(team.id, &[last]).await.unwrap();
    assert_eq!(alice.client.threads(None, None).await.unwrap()[0].unread, 0);
    // The root keeps counting the recalled reply: its tombstone stays in the thread.
    let summary = alice.client.thread(team.id, root, page()).await.unwrap().root.thread_summary.unwrap();
    assert_eq!(summary.replies, 3);
}

#[tokio::test]
async fn a_thread_reply_must_answer_a_message_one_can_read() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let eve = server.user("eve").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let early = alice.client.send_text(team.id, "e", "before Eve").await.unwrap().seq;
    alice.client.add_members(team.id, &["eve@localhost"]).await.unwrap();
    let root = alice.client.send_text(team.id, "r", "root").await.unwrap().seq;
    let answer = bob.client.send_message(team.id, &reply("t1", "in the thread", root, false)).await.unwrap().seq;
    let recalled = alice.client.send_text(team.id, "x", "oops").await.unwrap().seq;
    alice.client.recall(team.id, recalled, None).await.unwrap();
    let last_seq = alice.client.conversation(team.id).await.unwrap().last_seq;

    let refused = |r: Result<wire::Ack, magpie_client::Error>| {
        let err = r.expect_err("a refusal");
        let detail = err.detail().expect("a typed error").clone();
        (detail.code, detail.field)
    };
    let thread_field = (ErrorCode::InvalidField, Some("thread".to_owned()));
    // Before Eve joined, a thread reply, the system notice that added her, a recalled
    // message, a seq past the end, and 0.
    for (i, (id, root)) in
        [("a", early), ("b", answer), ("c", early + 1), ("d", recalled), ("e", last_seq + 5)].into_iter().enumerate()
    {
        let got = refused(eve.client.send_message(team.id, &reply(id, "no", root, false)).await);
        assert_eq!(got, thread_field, "case {i}");
    }
    let zero = refused(eve.client.send_message(team.id, &reply("z", "no", 0, false)).await);
    assert_eq!(zero, thread_field);
    let mut loose = magpie_client::text_message("l", "broadcast alone");
    loose.broadcast = true;
    assert_eq!(refused(eve.client.send_message(team.id, &loose).await).1.as_deref(), Some("broadcast"));
    assert_eq!(alice.client.conversation(team.id).await.unwrap().last_seq, last_seq, "nothing was stored");

    // Reading: a reply is no root, and a stranger learns nothing.
    let err = bob.client.thread(team.id, answer, page()).await.unwrap_err();
    assert_eq!(err.detail().and_then(|d| d.field.as_deref()), Some("root"));
    let stranger = server.user("mallory").await;
    for result in [
        stranger.client.thread(team.id, root, page()).await.map(drop),
        stranger.client.update_thread(team.id, root, UpdateThreadRequest::default()).await.map(drop),
        stranger.client.threads(Some(team.id), None).await.map(drop),
        eve.client.thread(team.id, early, page()).await.map(drop),
    ] {
        assert_eq!(result.unwrap_err().code(), Some(ErrorCode::NotFound));
    }
}

#[tokio::test]
async fn a_former_member_stops_seeing_the_threads_it_followed() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let root = alice.client.send_text(team.id, "r", "root").await.unwrap().seq;
    bob.client.send_message(team.id, &reply("t1", "mine", root, false)).await.unwrap();
    assert_eq!(bob.client.threads(None, None).await.unwrap().len(), 1);
    bob.client.leave(team.id).await.unwrap();
    assert!(bob.client.threads(None, None).await.unwrap().is_empty());
    // Over the WebSocket the same requests answer the same.
    let live = alice.connect().await;
    let page = live.thread(team.id, root, page()).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    let threads = live.threads(Some(team.id), None).await.unwrap();
    assert_eq!(threads.len(), 1);
    let marked = live.update_thread(team.id, root, UpdateThreadRequest { following: None, read_seq: Some(99) });
    assert_eq!(marked.await.unwrap().read_seq, alice.client.conversation(team.id).await.unwrap().last_seq);
}
