//! What a conversation and a person keep (issue 23): pinned messages, which every member sees
//! live and after a sync, and saved messages, which follow their owner's devices; and what a
//! recall, delete-for-me and leaving do to both.

use magpie_client::wire::{self, AccountEvent, ErrorCode, SystemNotice};
use serde_json::json;

use crate::harness::{TestServer, group, next_account_event_after, next_entry};

/// The seqs of a conversation's pinned messages as `user` sees them, the latest pin first.
async fn pinned(client: &magpie_client::Client, conversation: i64) -> Vec<i64> {
    client.pins(conversation).await.unwrap().iter().map(|p| p.entry.seq).collect()
}

/// The pushed entry at `seq`, skipping the others (pushes of entries committed before the
/// connection opened may still arrive).
async fn entry_at(live: &mut magpie_client::Connection, seq: i64) -> wire::Entry {
    loop {
        let entry = next_entry(live).await;
        if entry.seq == seq {
            return entry;
        }
    }
}

/// The newest event seq of an account's log.
async fn events_head(client: &magpie_client::Client) -> i64 {
    client.sync(wire::SyncRequest { limit: Some(1), ..Default::default() }).await.unwrap().events_head
}

/// The next account event above `after` that is about saved messages.
async fn next_saved_event(live: &mut magpie_client::Connection, after: i64) -> wire::AccountEventFrame {
    let mut after = after;
    loop {
        let event = next_account_event_after(live, after).await;
        if matches!(event.event, AccountEvent::SavedChanged { .. } | AccountEvent::SavedRemoved { .. }) {
            return event;
        }
        after = event.seq;
    }
}

/// Admins pin for everyone: the notice reaches every member live, an offline member finds it
/// in history, and the list follows pins, unpins, recalls, delete-for-me and joins. Members may
/// not pin in a group; bad targets change nothing.
#[tokio::test]
async fn pins_reach_every_member_live_and_after_sync() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let team = group(&alice, "Launch", &[&bob.account, &carol.account]).await;
    let a1 = alice.connect().await;
    let mut b1 = bob.connect().await;
    let m1 = a1.send_text(team.id, "m1", "the plan: ship on Friday").await.unwrap().seq;
    let m2 = bob.client.send_text(team.id, "m2", "checklist in the wiki").await.unwrap().seq;

    let ack = a1.pin(team.id, m1).await.unwrap();
    let notice = entry_at(&mut b1, ack.seq).await;
    assert_eq!((notice.seq, notice.kind.as_str(), notice.target), (ack.seq, "system", Some(m1)));
    assert_eq!(notice.notice(), Some(SystemNotice::MessagePinned { by: alice.account.clone(), seq: m1 }));
    let pins = bob.client.pins(team.id).await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!((pins[0].entry.seq, pins[0].pinned_by.as_str()), (m1, alice.account.as_str()));
    assert_eq!(pins[0].entry.body, Some(json!({"text": "the plan: ship on Friday"})));
    assert_eq!(pins[0].pinned_at_ms, notice.at_ms);

    // Refusals change nothing.
    let head = bob.client.conversation(team.id).await.unwrap().last_seq;
    let member = b1.pin(team.id, m2).await.unwrap_err();
    assert_eq!(member.code(), Some(ErrorCode::Forbidden), "a group's members do not pin");
    assert_eq!(alice.client.pin(team.id, m1).await.unwrap_err().code(), Some(ErrorCode::AlreadyExists));
    assert_eq!(alice.client.pin(team.id, 1).await.unwrap_err().code(), Some(ErrorCode::NotFound), "a notice");
    assert_eq!(alice.client.pin(team.id, 999).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(dave.client.pin(team.id, m1).await.unwrap_err().code(), Some(ErrorCode::NotFound), "an outsider");
    assert_eq!(dave.client.pins(team.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.unpin(team.id, m2).await.unwrap_err().code(), Some(ErrorCode::NotFound), "not pinned");
    assert_eq!(bob.client.conversation(team.id).await.unwrap().last_seq, head);

    // An admin pins too; the latest pin comes first.
    alice.client.set_role(team.id, &bob.account, wire::MemberRole::Admin).await.unwrap();
    b1.pin(team.id, m2).await.unwrap();
    assert_eq!(pinned(&carol.client, team.id).await, [m2, m1]);

    // Carol was never connected: history has the notices, and the list is the server's.
    let page = carol.client.messages(team.id, wire::HistoryQuery::default()).await.unwrap();
    let notices: Vec<SystemNotice> = page.entries.iter().filter_map(wire::Entry::notice).collect();
    assert!(notices.contains(&SystemNotice::MessagePinned { by: bob.account.clone(), seq: m2 }));

    // Unpinned, recalled or deleted for oneself, a message leaves the list.
    let unpin = alice.client.unpin(team.id, m2).await.unwrap();
    let notice = entry_at(&mut b1, unpin.seq).await;
    assert_eq!(notice.notice(), Some(SystemNotice::MessageUnpinned { by: alice.account.clone(), seq: m2 }));
    assert_eq!(pinned(&bob.client, team.id).await, [m1]);
    let m3 = carol.client.send_text(team.id, "m3", "mistake").await.unwrap().seq;
    alice.client.pin(team.id, m3).await.unwrap();
    carol.client.recall(team.id, m3, None).await.unwrap();
    assert_eq!(pinned(&alice.client, team.id).await, [m1], "a recalled message is no longer pinned");
    let m4 = carol.client.send_text(team.id, "m4", "agenda").await.unwrap().seq;
    alice.client.pin(team.id, m4).await.unwrap();
    bob.client.hide(team.id, &[m4]).await.unwrap();
    assert_eq!(pinned(&bob.client, team.id).await, [m1], "deleted for bob: not in his list");
    assert_eq!(pinned(&carol.client, team.id).await, [m4, m1], "still in everyone else's");

    // Dave joins after them: he reads none of the messages before his join, pinned or not.
    alice.client.add_members(team.id, &[&dave.account]).await.unwrap();
    assert!(pinned(&dave.client, team.id).await.is_empty());
    let m5 = dave.client.send_text(team.id, "m5", "hello all").await.unwrap().seq;
    alice.client.pin(team.id, m5).await.unwrap();
    assert_eq!(pinned(&dave.client, team.id).await, [m5]);

    // Left, the list is gone with the rest of the conversation's state.
    carol.client.leave(team.id).await.unwrap();
    assert_eq!(carol.client.pins(team.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
}

/// Either member of a direct chat pins; a conversation holds at most 50 pins, and the 51st is
/// `limit_exceeded` with nothing appended; an unpin makes room again.
#[tokio::test]
async fn direct_chats_pin_from_either_side_up_to_the_limit() {
    const PINS_MAX: i64 = 50;
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let a = alice.connect().await;
    let b = bob.connect().await;
    let mut seqs = vec![];
    for i in 0..=PINS_MAX {
        seqs.push(a.send_text(chat.id, &format!("n{i}"), &format!("note {i}")).await.unwrap().seq);
    }
    for (i, seq) in seqs.iter().take(usize::try_from(PINS_MAX).unwrap()).enumerate() {
        let pinner = if i % 2 == 0 { &a } else { &b };
        pinner.pin(chat.id, *seq).await.unwrap();
    }
    let last = seqs[seqs.len() - 1];
    let head = a.conversation(chat.id).await.unwrap().last_seq;
    let full = b.pin(chat.id, last).await.unwrap_err();
    assert_eq!(full.code(), Some(ErrorCode::LimitExceeded), "{full:?}");
    assert_eq!(a.conversation(chat.id).await.unwrap().last_seq, head, "nothing appended");
    assert_eq!(b.pins(chat.id).await.unwrap().len(), usize::try_from(PINS_MAX).unwrap());
    a.unpin(chat.id, seqs[0]).await.unwrap();
    b.pin(chat.id, last).await.unwrap();
    assert_eq!(a.pins(chat.id).await.unwrap()[0].entry.seq, last);

    // A peer that blocks you takes no pins from you, as it takes no messages.
    bob.client.block(&alice.account, true).await.unwrap();
    assert_eq!(a.unpin(chat.id, last).await.unwrap_err().code(), Some(ErrorCode::Forbidden));
}

/// Saved messages are the account's: saved on one device with a note, they reach its other
/// devices live (and a device that was away on its next sync), page newest first, keep their
/// content through later edits, and change and go on request. Bad input is refused.
#[tokio::test]
async fn saved_messages_follow_their_owner_across_devices() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let alice_phone = server.login("alice@localhost").await;
    let bob = server.user("bob").await;
    let team = group(&bob, "Design", &[&alice.account]).await;
    let spec = bob.client.send_text(team.id, "s1", "colours: #0a7 and #fc3").await.unwrap().seq;
    let head = events_head(&alice.client).await;
    let mut laptop = alice.connect().await;
    let mut phone = alice_phone.connect().await;

    let item = laptop.save_message(team.id, spec, Some(" for the deck ")).await.unwrap();
    assert_eq!((item.conversation, item.seq, item.sender.as_str()), (team.id, spec, bob.account.as_str()));
    assert_eq!(
        (item.conversation_kind, item.conversation_name.as_deref()),
        (wire::ConversationKind::Group, Some("Design"))
    );
    assert_eq!((item.kind.as_str(), item.body.clone()), ("text", Some(json!({"text": "colours: #0a7 and #fc3"}))));
    assert_eq!((item.note.as_deref(), item.recalled_at_ms), (Some("for the deck"), None));
    let event = next_saved_event(&mut phone, head).await;
    assert_eq!(event.event, AccountEvent::SavedChanged { id: item.id });
    assert_eq!(phone.saved_item(item.id).await.unwrap(), item, "the phone reads what the laptop saved");
    assert_eq!(bob.client.saved_item(item.id).await.unwrap_err().code(), Some(ErrorCode::NotFound), "alice's alone");
    let again = phone.save_message(team.id, spec, Some("other")).await.unwrap();
    assert_eq!(again, item, "saving it again answers the item as it is");

    // A later edit is not what was saved.
    bob.client.edit_message(team.id, spec, json!({"text": "colours: #0a7 only"}), None).await.unwrap();
    assert_eq!(alice.client.saved_item(item.id).await.unwrap().body, item.body);

    // Pages come newest first.
    let mut ids = vec![item.id];
    for i in 0..3 {
        let seq = bob.client.send_text(team.id, &format!("x{i}"), &format!("idea {i}")).await.unwrap().seq;
        ids.push(alice.client.save_message(team.id, seq, None).await.unwrap().id);
    }
    let first = alice.client.saved(None, Some(3)).await.unwrap();
    assert_eq!(first.items.iter().map(|i| i.id).collect::<Vec<_>>(), [ids[3], ids[2], ids[1]]);
    assert!(first.more);
    let rest = phone.saved(Some(ids[1]), Some(3)).await.unwrap();
    assert_eq!((rest.items.iter().map(|i| i.id).collect::<Vec<_>>(), rest.more), (vec![ids[0]], false));

    // The note changes on the phone; the laptop hears of it.
    let head = events_head(&alice.client).await;
    let noted = phone.update_saved(item.id, Some("for the deck, slide 3")).await.unwrap();
    assert_eq!(noted.note.as_deref(), Some("for the deck, slide 3"));
    assert_eq!(next_saved_event(&mut laptop, head).await.event, AccountEvent::SavedChanged { id: item.id });
    assert_eq!(laptop.saved_item(item.id).await.unwrap().note, noted.note);
    assert_eq!(alice.client.update_saved(item.id, Some("  ")).await.unwrap().note, None, "blank clears it");

    // Bad input gets a typed error and changes nothing.
    let long = "长".repeat(501);
    let too_long = alice.client.update_saved(item.id, Some(&long)).await.unwrap_err();
    assert_eq!(
        (too_long.code(), too_long.detail().and_then(|d| d.field.as_deref())),
        (Some(ErrorCode::TooLarge), Some("note"))
    );
    let no_seq = alice.client.save_message(team.id, 0, None).await.unwrap_err();
    assert_eq!(no_seq.code(), Some(ErrorCode::InvalidField));
    assert_eq!(alice.client.save_message(team.id, 999, None).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(
        alice.client.save_message(team.id, 1, None).await.unwrap_err().code(),
        Some(ErrorCode::NotFound),
        "a notice"
    );
    let elsewhere = bob.client.open_direct("bob@localhost").await.unwrap();
    let mine = bob.client.send_text(elsewhere.id, "self", "bob's own notes").await.unwrap().seq;
    assert_eq!(
        alice.client.save_message(elsewhere.id, mine, None).await.unwrap_err().code(),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(alice.client.update_saved(99_999, Some("x")).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.saved(None, None).await.unwrap().items.len(), 4);

    // Removed on the laptop while the phone is away: the phone learns it on its next sync.
    let head = events_head(&alice.client).await;
    phone.close().await.unwrap();
    laptop.remove_saved(ids[3]).await.unwrap();
    assert_eq!(laptop.remove_saved(ids[3]).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let synced = alice_phone.client.sync(wire::SyncRequest { events_after: head, ..Default::default() }).await.unwrap();
    let events: Vec<AccountEvent> = synced.events.into_iter().map(|e| e.event).collect();
    assert_eq!(events, [AccountEvent::SavedRemoved { id: ids[3] }]);
    assert_eq!(alice_phone.client.saved_item(ids[3]).await.unwrap_err().code(), Some(ErrorCode::NotFound));
}

/// A recall erases every saved copy of its message (the owners hear of it); a saved message
/// stays its owner's after it leaves the conversation, from which it then saves nothing.
#[tokio::test]
async fn a_recall_erases_saved_copies_and_leaving_keeps_them() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "Payroll", &[&bob.account, &carol.account]).await;
    let oops = carol.client.send_text(team.id, "c1", "the password is hunter2").await.unwrap().seq;
    let fine = carol.client.send_text(team.id, "c2", "pay day is the 25th").await.unwrap().seq;
    let bob_oops = bob.client.save_message(team.id, oops, Some("careful")).await.unwrap();
    let bob_fine = bob.client.save_message(team.id, fine, None).await.unwrap();
    let alice_oops = alice.client.save_message(team.id, oops, None).await.unwrap();
    let head = events_head(&bob.client).await;
    let mut b = bob.connect().await;

    carol.client.recall(team.id, oops, None).await.unwrap();
    assert_eq!(next_saved_event(&mut b, head).await.event, AccountEvent::SavedChanged { id: bob_oops.id });
    for (who, id) in [(&bob, bob_oops.id), (&alice, alice_oops.id)] {
        let erased = who.client.saved_item(id).await.unwrap();
        assert_eq!(erased.body, None, "the content is gone from every copy");
        assert!(erased.recalled_at_ms.is_some());
    }
    assert_eq!(bob.client.saved_item(bob_oops.id).await.unwrap().note.as_deref(), Some("careful"), "the note stays");
    assert_eq!(bob.client.saved_item(bob_fine.id).await.unwrap(), bob_fine, "another message's copy is untouched");
    let kept = bob.client.save_message(team.id, oops, None).await.unwrap();
    assert_eq!((kept.id, kept.body), (bob_oops.id, None), "saving it again finds its erased item");
    assert_eq!(carol.client.save_message(team.id, oops, None).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Removed from the group, bob keeps what he saved while he could read it, and nothing more.
    alice.client.remove_member(team.id, &bob.account).await.unwrap();
    let later = carol.client.send_text(team.id, "c3", "bonus list attached").await.unwrap().seq;
    assert_eq!(bob.client.saved_item(bob_fine.id).await.unwrap(), bob_fine);
    assert_eq!(bob.client.save_message(team.id, later, None).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let again = bob.client.save_message(team.id, fine, None).await.unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::NotFound), "he saves nothing of it any more");
    let list = bob.client.saved(None, None).await.unwrap();
    assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [bob_fine.id, bob_oops.id]);
}
