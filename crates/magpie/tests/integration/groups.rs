//! Groups and channels: membership, roles, unread and mention counts, group read receipts,
//! and who is refused what.

use magpie_client::wire::{self, AccountEvent, ErrorCode, LeaveReason};
use serde_json::json;

use crate::harness::{FAST, TestServer, group, next_account_event, next_entry, text_of};

#[tokio::test]
async fn a_group_of_a_hundred_counts_unread_and_mentions_and_knows_who_read() {
    let server = TestServer::start_with(FAST).await;
    let owner = server.admin_user("owner").await;
    let members = server.crowd(&owner, "m", 99).await;
    let addrs: Vec<&str> = members.iter().map(|m| m.account.as_str()).collect();
    let chat = group(&owner, "全员群", &addrs).await;
    assert_eq!(chat.member_count, 100);
    assert_eq!(chat.me.role, wire::MemberRole::Owner);

    // A few members are online and see every entry live.
    let mut online = vec![];
    for m in &members[..5] {
        online.push(m.connect().await);
    }

    let mut seqs = vec![];
    for i in 0..5 {
        let mut msg = magpie_client::text_message(&format!("g{i}"), &format!("message {i}"));
        if i == 1 {
            msg.mentions = vec![members[0].account.clone()];
        }
        if i == 2 {
            msg.mention_all = true;
        }
        if i == 3 {
            // Named and @all at once: one mention, not two.
            msg.mentions = vec![members[0].account.clone()];
            msg.mention_all = true;
        }
        seqs.push(owner.client.send_message(chat.id, &msg).await.unwrap().seq);
    }
    for live in &mut online {
        for (i, seq) in seqs.iter().enumerate() {
            // The group's creation notice was committed before these connections opened; it
            // may still be pushed to them (the fan-out runs after the commit's ack), or not.
            let mut entry = next_entry(live).await;
            while entry.seq < seqs[0] {
                entry = next_entry(live).await;
            }
            assert_eq!((entry.seq, text_of(&entry)), (*seq, format!("message {i}").as_str()));
        }
    }

    for (i, m) in members.iter().enumerate() {
        let view = m.client.conversation(chat.id).await.unwrap();
        assert_eq!(view.unread, 5, "member {i}");
        assert_eq!(view.mentions, if i == 0 { 3 } else { 2 }, "member {i}");
        assert_eq!(view.last_message.as_ref().map(text_of), Some("message 4"));
    }
    assert_eq!(owner.client.conversation(chat.id).await.unwrap().unread, 0, "own messages are read");

    // Thirty members read everything; one reads up to the third message.
    for m in &members[..30] {
        let view = m.client.mark_read(chat.id, seqs[4]).await.unwrap();
        assert_eq!((view.unread, view.mentions), (0, 0));
    }
    let view = members[30].client.mark_read(chat.id, seqs[2]).await.unwrap();
    assert_eq!((view.unread, view.mentions), (2, 1));

    let receipts = owner.client.receipts(chat.id, seqs[4]).await.unwrap();
    assert_eq!(receipts.read.len(), 30);
    assert_eq!(receipts.unread.len() + receipts.delivered.len(), 69);
    assert!(!receipts.read.iter().chain(&receipts.unread).any(|a| a == &owner.account), "the sender is not listed");
    let receipts = owner.client.receipts(chat.id, seqs[2]).await.unwrap();
    assert_eq!(receipts.read.len(), 31);
    // Who read a message is for its sender (and the group's moderators) to know.
    let err = members[5].client.receipts(chat.id, seqs[2]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    // Read marks never move backwards.
    let view = members[0].client.mark_read(chat.id, seqs[0]).await.unwrap();
    assert_eq!(view.me.read_seq, seqs[4]);
}

#[tokio::test]
async fn a_removed_member_receives_and_reads_nothing_from_then_on() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    // Connected before the group exists, so that each receives everything from its creation.
    let mut bob_live = bob.connect().await;
    let mut carol_live = carol.connect().await;
    let chat = group(&alice, "team", &["bob@localhost", "carol@localhost"]).await;
    assert_eq!(next_entry(&mut bob_live).await.kind, "system");
    assert_eq!(next_entry(&mut carol_live).await.kind, "system");
    alice.client.send_text(chat.id, "a1", "before").await.unwrap();
    let bobs = bob.client.send_text(chat.id, "b0", "me too").await.unwrap();
    assert_eq!(text_of(&next_entry(&mut bob_live).await), "before");
    assert_eq!(text_of(&next_entry(&mut bob_live).await), "me too");
    assert_eq!(text_of(&next_entry(&mut carol_live).await), "before");
    assert_eq!(text_of(&next_entry(&mut carol_live).await), "me too");

    alice.client.remove_member(chat.id, "bob@localhost").await.unwrap();
    let left = loop {
        let event = next_account_event(&mut bob_live).await;
        if let AccountEvent::ConversationLeft { conversation, reason } = event.event {
            break (conversation, reason);
        }
    };
    assert_eq!(left, (chat.id, LeaveReason::Removed));
    alice.client.send_text(chat.id, "a2", "after").await.unwrap();
    // Carol sees the removal notice and the message; bob sees neither.
    let notice = next_entry(&mut carol_live).await;
    assert_eq!(
        notice.notice(),
        Some(wire::SystemNotice::MembersRemoved { by: alice.account.clone(), members: vec![bob.account.clone()] })
    );
    next_entry(&mut carol_live).await;
    bob_live.ping().await.unwrap();
    assert!(bob_live.next_incoming(crate::harness::PROMPTLY).await.is_none(), "bob got something after removal");

    // What bob could read before, he still can (his other devices catch up); nothing after.
    let page = bob.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.entries.iter().map(text_of).collect::<Vec<_>>(), vec!["", "before", "me too"]);
    assert_eq!(page.last_seq, 3);
    // A retry of a send that was stored before the removal still gets its ack.
    let retry = bob.client.send_text(chat.id, "b0", "me too").await.unwrap();
    assert_eq!((retry.seq, retry.id, retry.duplicate), (bobs.seq, bobs.id, true));
    for err in [
        bob.client.send_text(chat.id, "b1", "let me in").await.unwrap_err(),
        bob.client.conversation(chat.id).await.unwrap_err(),
        bob.client.mark_read(chat.id, 1).await.unwrap_err(),
        bob_live.send_text(chat.id, "b2", "ws too").await.unwrap_err(),
    ] {
        assert_eq!(err.code(), Some(ErrorCode::NotFound));
    }
    assert!(bob.client.conversations(None, None).await.unwrap().iter().all(|c| c.id != chat.id));
    // Only admins remove; nobody removes the owner.
    assert_eq!(
        carol.client.remove_member(chat.id, "alice@localhost").await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
}

#[tokio::test]
async fn roles_decide_who_posts_in_channels_and_muted_groups() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let spec = wire::GroupSpec { name: "公告".into(), members: vec!["bob@localhost".into()], ..Default::default() };
    let channel = alice.client.create_conversation(&wire::CreateConversationRequest::Channel(spec)).await.unwrap();
    assert_eq!(channel.kind, wire::ConversationKind::Channel);
    assert_eq!(bob.client.send_text(channel.id, "b1", "hi").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    alice.client.set_role(channel.id, "bob@localhost", wire::MemberRole::Admin).await.unwrap();
    bob.client.send_text(channel.id, "b2", "now I may").await.unwrap();

    let team = group(&alice, "team", &["bob@localhost"]).await;
    bob.client.send_text(team.id, "t1", "hello").await.unwrap();
    let mute_all = wire::UpdateGroupRequest { mute_all: Some(true), ..Default::default() };
    alice.client.update_group(team.id, &mute_all).await.unwrap();
    assert_eq!(bob.client.send_text(team.id, "t2", "hello?").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    alice
        .client
        .update_group(team.id, &wire::UpdateGroupRequest { mute_all: Some(false), ..Default::default() })
        .await
        .unwrap();
    alice.client.mute_member(team.id, "bob@localhost", Some(i64::MAX)).await.unwrap();
    assert_eq!(bob.client.send_text(team.id, "t3", "hello??").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    alice.client.mute_member(team.id, "bob@localhost", None).await.unwrap();
    bob.client.send_text(team.id, "t4", "back").await.unwrap();
    // @all is for owners and admins.
    let mut all = magpie_client::text_message("t5", "everyone!");
    all.mention_all = true;
    assert_eq!(bob.client.send_message(team.id, &all).await.unwrap_err().code(), Some(ErrorCode::Forbidden));

    // Ownership moves; the old owner may then leave, the new one may not.
    alice.client.transfer_ownership(team.id, "bob@localhost").await.unwrap();
    assert_eq!(bob.client.leave(team.id).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
    alice.client.leave(team.id).await.unwrap();
    let members = bob.client.members(team.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, wire::MemberRole::Owner);

    // Renames show in the log; dissolving ends it for everyone.
    // A rename and mute-all together make one entry; dissolving ends it for everyone.
    let before = bob.client.conversation(team.id).await.unwrap().last_seq;
    let rename = wire::UpdateGroupRequest { name: Some("new name".into()), mute_all: Some(true), ..Default::default() };
    let ack = bob.client.update_group(team.id, &rename).await.unwrap();
    assert_eq!(ack.seq, before + 1);
    let view = bob.client.conversation(team.id).await.unwrap();
    assert_eq!((view.name.as_deref(), view.mute_all, view.last_seq), (Some("new name"), true, ack.seq));
    let mut bob_live = bob.connect().await;
    bob.client.dissolve(team.id).await.unwrap();
    let left = loop {
        if let AccountEvent::ConversationLeft { conversation, reason } = next_account_event(&mut bob_live).await.event {
            break (conversation, reason);
        }
    };
    assert_eq!(left, (team.id, LeaveReason::Dissolved));
    assert_eq!(bob.client.conversation(team.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn moderators_recall_what_members_sent_but_not_their_betters() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let chat = group(&alice, "team", &["bob@localhost", "carol@localhost"]).await;
    alice.client.set_role(chat.id, "bob@localhost", wire::MemberRole::Admin).await.unwrap();
    let from_carol = carol.client.send_text(chat.id, "c1", "oops").await.unwrap();
    let from_alice = alice.client.send_text(chat.id, "a1", "from the owner").await.unwrap();
    bob.client.recall(chat.id, from_carol.seq, None).await.unwrap();
    assert_eq!(bob.client.recall(chat.id, from_alice.seq, None).await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    assert_eq!(
        carol.client.recall(chat.id, from_alice.seq, None).await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
    // The recalled message no longer counts as unread.
    let view = bob.client.conversation(chat.id).await.unwrap();
    assert_eq!(view.unread, 1);
}

#[tokio::test]
async fn other_domains_cannot_reach_anything() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let out = server.admin(&["domain", "add", "other.example"], "").await;
    assert!(out.status.success());
    let mallory_addr = server.create("mallory@other.example", &[]).await;
    let mallory = server.login(&mallory_addr).await;
    let chat = group(&alice, "private", &[]).await;
    alice.client.send_text(chat.id, "a1", "secret").await.unwrap();

    assert_eq!(mallory.client.open_direct("alice@localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.open_direct("mallory@other.example").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(
        alice.client.add_members(chat.id, &["mallory@other.example"]).await.unwrap_err().code(),
        Some(ErrorCode::NotFound)
    );
    let spec = wire::GroupSpec { name: "x".into(), members: vec!["alice@localhost".into()], ..Default::default() };
    let err = mallory.client.create_conversation(&wire::CreateConversationRequest::Group(spec)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    for err in [
        mallory.client.conversation(chat.id).await.unwrap_err(),
        mallory.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap_err(),
        mallory.client.send_text(chat.id, "m1", "hi").await.unwrap_err(),
        mallory.client.receipts(chat.id, 1).await.unwrap_err(),
    ] {
        assert_eq!(err.code(), Some(ErrorCode::NotFound));
    }
    let mut msg = magpie_client::text_message("a2", "hey");
    msg.mentions = vec![mallory_addr.clone()];
    assert_eq!(alice.client.send_message(chat.id, &msg).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
}

#[tokio::test]
async fn bad_messages_get_typed_errors_and_change_nothing() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let cases: Vec<(wire::SendRequest, ErrorCode)> = vec![
        (
            wire::SendRequest {
                kind: "text".into(),
                body: json!({"text": ""}),
                ..magpie_client::text_message("x1", "")
            },
            ErrorCode::InvalidField,
        ),
        (
            wire::SendRequest {
                kind: "image".into(),
                body: json!({"file": "../../etc/passwd"}),
                ..magpie_client::text_message("x2", "")
            },
            ErrorCode::InvalidField,
        ),
        (
            wire::SendRequest { kind: "system".into(), body: json!({}), ..magpie_client::text_message("x3", "") },
            ErrorCode::InvalidField,
        ),
        (magpie_client::text_message("", "no id"), ErrorCode::InvalidField),
        (magpie_client::text_message(&"x".repeat(65), "long id"), ErrorCode::TooLarge),
        (magpie_client::text_message("x4", &"长".repeat(8001)), ErrorCode::TooLarge),
        (
            wire::SendRequest { reply_to: Some(99), ..magpie_client::text_message("x5", "reply") },
            ErrorCode::InvalidField,
        ),
    ];
    for (req, code) in cases {
        let err = alice.client.send_message(chat.id, &req).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{req:?}");
    }
    assert_eq!(alice.client.send_text(999_999, "x6", "nowhere").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    // A kind this server does not know is stored and relayed as it is.
    let poll = wire::SendRequest {
        kind: "x.poll".into(),
        body: json!({"question": "午饭?"}),
        ..magpie_client::text_message("x7", "")
    };
    alice.client.send_message(chat.id, &poll).await.unwrap();
    let page = alice.client.messages(chat.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].body, Some(json!({"question": "午饭?"})));
    // A client id reused for another conversation is a client bug, not a retry.
    let notes = alice.client.open_direct("alice@localhost").await.unwrap();
    assert_eq!(
        alice.client.send_text(notes.id, "x7", "again").await.unwrap_err().code(),
        Some(ErrorCode::AlreadyExists)
    );
}

/// The next `marks` event on a connection, skipping other pushes.
async fn next_marks(live: &mut magpie_client::Connection) -> wire::Marks {
    loop {
        match live.next_incoming(crate::harness::EVENTUALLY).await {
            Some(magpie_client::Incoming::Event(wire::Event::Marks(marks))) => return marks,
            Some(_) => continue,
            None => panic!("no marks event came"),
        }
    }
}

/// §7.7: in a group, the senders of the messages a member's marks pass hear of the marks,
/// without asking; members whose messages were not passed hear nothing.
#[tokio::test]
async fn senders_hear_when_group_members_read_their_messages() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let lunch = group(&alice, "Lunch", &[&bob.account, &carol.account]).await;
    let mut alice_live = alice.connect().await;
    let mut carol_live = carol.connect().await;

    let first = alice.client.send_text(lunch.id, "a1", "noodles?").await.unwrap().seq;
    let second = alice.client.send_text(lunch.id, "a2", "or dumplings?").await.unwrap().seq;
    bob.client.mark_delivered(lunch.id, first).await.unwrap();
    bob.client.mark_read(lunch.id, second).await.unwrap();
    // One event for both moves: bob's marks as they now are.
    let marks = next_marks(&mut alice_live).await;
    let bob_marks = wire::MemberMarks { account: bob.account.clone(), read_seq: second, delivered_seq: second };
    assert_eq!(marks, wire::Marks { conversation: lunch.id, members: vec![bob_marks] });

    // Carol's messages were not among those bob read: her first marks event is about her own.
    let hers = carol.client.send_text(lunch.id, "c1", "dumplings").await.unwrap().seq;
    bob.client.mark_read(lunch.id, hers).await.unwrap();
    let marks = next_marks(&mut carol_live).await;
    assert_eq!(marks.members.len(), 1);
    assert_eq!((marks.members[0].account.as_str(), marks.members[0].read_seq), (bob.account.as_str(), hers));
}
