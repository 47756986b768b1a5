//! Messages between devices and accounts: delivery to every session, edits, recalls,
//! reactions, read marks, history paging and idempotent sends.

use magpie_client::wire::{self, AccountEvent, ErrorCode};
use serde_json::json;

use crate::harness::{TestServer, next_account_event, next_account_event_after, next_entry, text_of};

#[tokio::test]
async fn every_message_edit_recall_reaction_and_read_mark_reaches_every_device() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let alice_phone = server.login("alice@localhost").await;
    let bob = server.user("bob").await;
    let mut a1 = alice.connect().await;
    let mut a2 = alice_phone.connect().await;
    let mut b1 = bob.connect().await;

    let chat = a1
        .create_conversation(&wire::CreateConversationRequest::Direct { peer: "bob@localhost".into() })
        .await
        .unwrap();
    assert_eq!(chat.kind, wire::ConversationKind::Direct);
    assert_eq!(chat.peer.as_deref(), Some("bob@localhost"));
    // Opening it again finds the same chat, from either side.
    assert_eq!(bob.client.open_direct("alice@localhost").await.unwrap().id, chat.id);

    let ack = a1.send_text(chat.id, "m1", "你好 bob").await.unwrap();
    assert_eq!(ack.seq, 1);
    assert!(!ack.duplicate);
    for live in [&mut a1, &mut a2, &mut b1] {
        let entry = next_entry(live).await;
        assert_eq!((entry.seq, entry.sender.as_str(), text_of(&entry)), (1, "alice@localhost", "你好 bob"));
        assert_eq!(entry.client_msg_id.as_deref(), Some("m1"));
    }

    let edit = a2.edit_message(chat.id, 1, json!({"text": "你好, bob"}), None).await.unwrap();
    assert_eq!(edit.seq, 2);
    let react = b1.react(chat.id, 1, "👍", true, None).await.unwrap();
    assert_eq!(react.seq, 3);
    let recall = a1.recall(chat.id, 1, None).await.unwrap();
    assert_eq!(recall.seq, 4);
    for live in [&mut a1, &mut a2, &mut b1] {
        let kinds: Vec<(i64, String, Option<i64>)> =
            [next_entry(live).await, next_entry(live).await, next_entry(live).await]
                .into_iter()
                .map(|e| (e.seq, e.kind, e.target))
                .collect();
        assert_eq!(
            kinds,
            vec![(2, "edit".into(), Some(1)), (3, "reaction".into(), Some(1)), (4, "recall".into(), Some(1))]
        );
    }
    // History shows the message as it is now: recalled, its content (and its edit's) erased.
    let page = bob.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.last_seq, 4);
    let first = &page.entries[0];
    assert!(first.recalled_at_ms.is_some());
    assert_eq!(first.body, None);
    assert_eq!(page.entries[1].body, None, "the edit carried the content: erased too");

    // Bob reads on one device: his other devices (none here) and alice's devices hear of it.
    bob.client.mark_read(chat.id, 4).await.unwrap();
    let event = next_account_event(&mut b1).await;
    assert_eq!(event.event, AccountEvent::Read { conversation: chat.id, seq: 4 });
    for live in [&mut a1, &mut a2] {
        loop {
            let event = next_account_event(live).await;
            if let AccountEvent::PeerRead { conversation, account, seq } = event.event {
                assert_eq!((conversation, account.as_str(), seq), (chat.id, "bob@localhost", 4));
                break;
            }
        }
    }
    // Alice reads on her phone; her laptop learns her read mark.
    alice_phone.client.mark_read(chat.id, 3).await.unwrap();
    loop {
        let event = next_account_event(&mut a1).await;
        if let AccountEvent::Read { conversation, seq } = event.event {
            assert_eq!((conversation, seq), (chat.id, 3));
            break;
        }
    }
}

#[tokio::test]
async fn reactions_are_bounded_per_account_and_message() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    alice.client.send_text(chat.id, "m1", "react to me").await.unwrap();
    for emoji in ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆"] {
        alice.client.react(chat.id, 1, emoji, true, None).await.unwrap();
    }
    let err = alice.client.react(chat.id, 1, "😇", true, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded));
    // Taking one back makes room; the same one twice is one reaction.
    alice.client.react(chat.id, 1, "😀", false, None).await.unwrap();
    alice.client.react(chat.id, 1, "😇", true, None).await.unwrap();
    alice.client.react(chat.id, 1, "😇", true, None).await.unwrap();
    let page = alice.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap();
    let reactions = &page.entries[0].reactions;
    assert_eq!(reactions.len(), 8);
    assert!(reactions.iter().any(|r| r.emoji == "😇" && r.accounts == vec!["alice@localhost".to_owned()]));

    // Operations with a client_msg_id are retried safely, like sends.
    let edit = alice.client.edit_message(chat.id, 1, json!({"text": "fixed"}), Some("e1")).await.unwrap();
    let again = alice.client.edit_message(chat.id, 1, json!({"text": "fixed"}), Some("e1")).await.unwrap();
    assert_eq!((again.seq, again.duplicate), (edit.seq, true));
    let recall = alice.client.recall(chat.id, 1, Some("r1")).await.unwrap();
    let again = alice.client.recall(chat.id, 1, Some("r1")).await.unwrap();
    assert_eq!((again.seq, again.duplicate), (recall.seq, true));
    // An operation's id is not a message's: reusing it for a send is refused.
    let err = alice.client.send_text(chat.id, "r1", "hi").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AlreadyExists));
}

#[tokio::test]
async fn fifty_concurrent_sends_of_one_client_msg_id_make_one_message() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let live = alice.connect().await;
    let rest_sends = (0..25).map(|_| alice.client.send_text(chat.id, "same-id", "once"));
    let ws_sends = (0..25).map(|_| live.send_text(chat.id, "same-id", "once"));
    let (rest, ws) = tokio::join!(futures_util::future::join_all(rest_sends), futures_util::future::join_all(ws_sends));
    let acks: Vec<wire::Ack> = rest.into_iter().chain(ws).map(Result::unwrap).collect();
    assert!(acks.iter().all(|a| a.seq == acks[0].seq && a.id == acks[0].id));
    assert_eq!(acks.iter().filter(|a| !a.duplicate).count(), 1);
    let page = alice.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(text_of(&page.entries[0]), "once");
}

#[tokio::test]
async fn history_pages_both_ways_by_seq_and_is_bounded() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    for i in 1..=30 {
        alice.client.send_text(chat.id, &format!("c{i}"), &format!("message {i}")).await.unwrap();
    }
    let newest =
        alice.client.messages(chat.id, wire::HistoryQuery { limit: Some(10), ..Default::default() }).await.unwrap();
    let seqs: Vec<i64> = newest.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (21..=30).collect::<Vec<_>>());
    let older = alice
        .client
        .messages(chat.id, wire::HistoryQuery { before: Some(21), limit: Some(10), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(older.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (11..=20).collect::<Vec<_>>());
    let newer = alice
        .client
        .messages(chat.id, wire::HistoryQuery { after: Some(5), limit: Some(3), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(newer.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 7, 8]);
    let capped = alice
        .client
        .messages(chat.id, wire::HistoryQuery { after: Some(0), limit: Some(100_000), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(capped.entries.len(), 30);
    let both = alice
        .client
        .messages(chat.id, wire::HistoryQuery { after: Some(1), before: Some(5), limit: None })
        .await
        .unwrap_err();
    assert_eq!(both.code(), Some(ErrorCode::InvalidField));
}

#[tokio::test]
async fn the_conversation_list_is_sorted_by_activity_and_settings_follow_the_account() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let alice_phone = server.login("alice@localhost").await;
    server.user("bob").await;
    server.user("carol").await;
    let with_bob = alice.client.open_direct("bob@localhost").await.unwrap();
    let with_carol = alice.client.open_direct("carol@localhost").await.unwrap();
    let team = crate::harness::group(&alice, "team", &["bob@localhost"]).await;
    alice.client.send_text(with_bob.id, "a1", "first").await.unwrap();
    let ids = |list: Vec<wire::Conversation>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
    // Newest activity first: bob's chat had the last message; the empty chats by creation.
    assert_eq!(ids(alice.client.conversations(None, None).await.unwrap()), vec![with_bob.id, team.id, with_carol.id]);
    let first_page = alice.client.conversations(None, Some(2)).await.unwrap();
    let rest = alice.client.conversations(Some(first_page[1].activity), Some(2)).await.unwrap();
    assert_eq!(ids(rest), vec![with_carol.id]);
    let top = &alice.client.conversations(None, Some(1)).await.unwrap()[0];
    assert_eq!(top.last_message.as_ref().map(text_of), Some("first"));

    // Pinned, muted and a draft set on one device reach the other and survive in the list.
    let mut phone = alice_phone.connect().await;
    let settings = wire::SettingsRequest {
        pinned: Some(true),
        muted: Some(true),
        draft: Some("写到一半".into()),
        ..Default::default()
    };
    let view = alice.client.update_settings(with_carol.id, &settings).await.unwrap();
    assert!(view.me.pinned && view.me.muted);
    // In cluster mode a connection may also get the events committed just before it opened
    // (the group's join): the change is the first event of another kind.
    let event = loop {
        let event = next_account_event(&mut phone).await;
        if !matches!(event.event, AccountEvent::ConversationJoined { .. }) {
            break event;
        }
    };
    assert_eq!(
        event.event,
        AccountEvent::SettingsChanged {
            conversation: with_carol.id,
            pinned: Some(true),
            muted: Some(true),
            unmute_at_ms: None,
            notify_level: None,
            draft: Some("写到一半".into()),
            marked_unread: None,
        }
    );
    let seen = alice_phone.client.conversation(with_carol.id).await.unwrap();
    assert_eq!((seen.me.pinned, seen.me.muted, seen.me.draft.as_deref()), (true, true, Some("写到一半")));
    // Clearing the draft reads back the same way live and from sync.
    alice
        .client
        .update_settings(with_carol.id, &wire::SettingsRequest { draft: Some(String::new()), ..Default::default() })
        .await
        .unwrap();
    let live = next_account_event(&mut phone).await;
    let synced =
        alice_phone.client.sync(wire::SyncRequest { events_after: live.seq - 1, ..Default::default() }).await.unwrap();
    assert_eq!(synced.events[0], live);
    assert_eq!(alice_phone.client.conversation(with_carol.id).await.unwrap().me.draft, None);
}

#[tokio::test]
async fn messages_forward_alone_or_merged_and_delete_for_me_stays_mine() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server.user("carol").await;
    let with_bob = alice.client.open_direct("bob@localhost").await.unwrap();
    let with_carol = alice.client.open_direct("carol@localhost").await.unwrap();
    bob.client.send_text(with_bob.id, "b1", "meeting at 3").await.unwrap();
    bob.client.send_text(with_bob.id, "b2", "room 5").await.unwrap();

    let one = wire::ForwardRequest { client_msg_id: "f1".into(), from: with_bob.id, seqs: vec![1] };
    alice.client.forward(with_carol.id, &one).await.unwrap();
    let merged = wire::ForwardRequest { client_msg_id: "f2".into(), from: with_bob.id, seqs: vec![1, 2] };
    alice.client.forward(with_carol.id, &merged).await.unwrap();
    let page = alice.client.messages(with_carol.id, wire::HistoryQuery::default()).await.unwrap();
    let copy = &page.entries[0];
    assert_eq!((copy.kind.as_str(), text_of(copy), copy.sender.as_str()), ("text", "meeting at 3", "alice@localhost"));
    let from = copy.forwarded_from.as_ref().unwrap();
    assert_eq!((from.conversation, from.seq, from.sender.as_str()), (with_bob.id, 1, "bob@localhost"));
    let bundle = &page.entries[1];
    assert_eq!(bundle.kind, "forward");
    let texts: Vec<&str> = bundle.body.as_ref().unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["meeting at 3", "room 5"]);
    // Only what the forwarder can read may be forwarded.
    let carol = server.login("carol@localhost").await;
    let err = carol
        .client
        .forward(with_carol.id, &wire::ForwardRequest { client_msg_id: "f3".into(), from: with_bob.id, seqs: vec![1] })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));

    // Delete-for-me hides an entry from its owner's devices only.
    alice.client.hide(with_bob.id, &[2]).await.unwrap();
    let mine = alice.client.messages(with_bob.id, wire::HistoryQuery::default()).await.unwrap();
    assert!(mine.entries[1].hidden && mine.entries[1].body.is_none());
    let theirs = bob.client.messages(with_bob.id, wire::HistoryQuery::default()).await.unwrap();
    assert!(!theirs.entries[1].hidden);
    assert_eq!(text_of(&theirs.entries[1]), "room 5");
    let view = alice.client.conversation(with_bob.id).await.unwrap();
    assert_eq!(view.last_message.as_ref().map(text_of), Some("meeting at 3"), "the preview skips what I deleted");
}

/// §7.7 "Mark as unread": a member marks a conversation it has read as unread, its other
/// devices hear of it, and reading the conversation takes the mark away everywhere, even when
/// the read mark does not move.
#[tokio::test]
async fn a_conversation_marked_unread_stays_so_until_it_is_read() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let alice_phone = server.login(&alice.account).await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let seq = bob.client.send_text(chat.id, "b1", "lunch?").await.unwrap().seq;
    alice.client.mark_read(chat.id, seq).await.unwrap();
    let head = alice.client.sync(wire::SyncRequest { limit: Some(1), ..Default::default() }).await.unwrap().events_head;
    let mut phone = alice_phone.connect().await;

    let mark = wire::SettingsRequest { marked_unread: Some(true), ..Default::default() };
    let view = alice.client.update_settings(chat.id, &mark).await.unwrap();
    assert!(view.me.marked_unread);
    assert_eq!((view.unread, view.me.read_seq), (0, seq), "the mark is not a count: nothing became unread");
    let event = next_account_event_after(&mut phone, head).await;
    let marked = AccountEvent::SettingsChanged {
        conversation: chat.id,
        pinned: None,
        muted: None,
        unmute_at_ms: None,
        notify_level: None,
        draft: None,
        marked_unread: Some(true),
    };
    assert_eq!(event.event, marked);
    assert!(alice_phone.client.conversation(chat.id).await.unwrap().me.marked_unread);
    assert!(!bob.client.conversation(chat.id).await.unwrap().me.marked_unread, "the mark is alice's own");

    // Opened on the phone and read to where it already was: the mark goes, on both devices.
    let read = alice_phone.client.mark_read(chat.id, seq).await.unwrap();
    assert!(!read.me.marked_unread);
    let cleared = loop {
        let event = next_account_event(&mut phone).await;
        if let AccountEvent::SettingsChanged { marked_unread: Some(false), .. } = event.event {
            break event;
        }
    };
    assert!(!alice.client.conversation(chat.id).await.unwrap().me.marked_unread);
    let synced =
        alice.client.sync(wire::SyncRequest { events_after: cleared.seq - 1, ..Default::default() }).await.unwrap();
    assert_eq!(synced.events[0], cleared, "sync tells it as the push did");
}
