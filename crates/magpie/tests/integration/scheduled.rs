//! Scheduled messages (issue 23): checked as a send when scheduled, sent by the server at their
//! time as their author to every member, edited, cancelled or sent at once while they wait,
//! bounded per account, kept across restarts, failed (and kept, with why) when their author may
//! no longer post, and nobody's but their author's.
//!
//! The tests schedule for a moment ahead and wait on the pushed entry or account event, never
//! on a timer of their own; only the restart test lets the due time pass while no server runs,
//! which is the scenario itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use magpie_client::wire::{self, AccountEvent, ErrorCode};
use magpie_client::{Client, Connection};
use serde_json::json;

use crate::harness::{Cluster, FAST, TestServer, User, group, next_account_event_after, next_entry, text_of};

/// How far ahead the tests schedule what they only wait for.
const SOON_MS: i64 = 1_500;
/// How far ahead the tests schedule what they act on before it falls due (read it back, take
/// its author's right to post away): room for those requests on a loaded machine.
const AFTER_CHANGES_MS: i64 = 4_000;
/// A day, for messages scheduled to wait while a test acts on them.
const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

fn text(text: &str, send_at_ms: i64) -> wire::ScheduleRequest {
    wire::ScheduleRequest {
        kind: "text".into(),
        body: json!({"text": text}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        send_at_ms,
    }
}

fn send_request(req: &wire::ScheduleRequest, client_msg_id: &str) -> wire::SendRequest {
    wire::SendRequest {
        client_msg_id: client_msg_id.to_owned(),
        kind: req.kind.clone(),
        body: req.body.clone(),
        mentions: req.mentions.clone(),
        mention_all: req.mention_all,
        reply_to: req.reply_to,
        thread: None,
        broadcast: false,
    }
}

/// The newest event seq of an account's log.
async fn events_head(client: &Client) -> i64 {
    client.sync(wire::SyncRequest { limit: Some(1), ..Default::default() }).await.unwrap().events_head
}

/// The next account event above `after` about scheduled messages.
async fn next_scheduled_event(live: &mut Connection, after: i64) -> wire::AccountEventFrame {
    let mut after = after;
    loop {
        let event = next_account_event_after(live, after).await;
        if matches!(
            event.event,
            AccountEvent::ScheduledChanged { .. }
                | AccountEvent::ScheduledRemoved { .. }
                | AccountEvent::ScheduledSent { .. }
        ) {
            return event;
        }
        after = event.seq;
    }
}

/// The pushed entry whose `client_msg_id` is `id`, skipping the others.
async fn entry_with(live: &mut Connection, client_msg_id: &str) -> wire::Entry {
    loop {
        let entry = next_entry(live).await;
        if entry.client_msg_id.as_deref() == Some(client_msg_id) {
            return entry;
        }
    }
}

/// The entry of `conversation` whose `client_msg_id` is `id`, as history holds it, or as it is
/// pushed to `live` (opened before history was read, so that it misses nothing in between).
async fn arrival(user: &User, live: &mut Connection, conversation: i64, client_msg_id: &str) -> wire::Entry {
    let page = user.client.messages(conversation, wire::HistoryQuery::default()).await.unwrap();
    match page.entries.into_iter().find(|e| e.client_msg_id.as_deref() == Some(client_msg_id)) {
        Some(entry) => entry,
        None => entry_with(live, client_msg_id).await,
    }
}

/// The entries of a conversation that carry this `client_msg_id`, as `user` reads them.
async fn stored_with(user: &User, conversation: i64, client_msg_id: &str) -> Vec<wire::Entry> {
    let page = user.client.messages(conversation, wire::HistoryQuery { limit: Some(200), ..Default::default() });
    page.await.unwrap().entries.into_iter().filter(|e| e.client_msg_id.as_deref() == Some(client_msg_id)).collect()
}

fn scheduled_id(message: &wire::ScheduledMessage) -> String {
    format!("scheduled:{}", message.id)
}

/// Scheduling checks the message as a send would, with the same typed errors, and stores
/// nothing it refuses; the time must lie ahead (a minute behind is now) and not too far. The
/// server's own client ids are not a client's to use.
#[tokio::test]
async fn scheduling_checks_the_message_as_a_send_would() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let dave = server.user("dave").await;
    let team = group(&alice, "Launch", &[&bob.account]).await;
    let news = alice
        .client
        .create_conversation(&wire::CreateConversationRequest::Channel(wire::GroupSpec {
            name: "News".into(),
            members: vec![bob.account.clone()],
            ..Default::default()
        }))
        .await
        .unwrap();
    let at = now_ms() + DAY_MS;

    let with = |f: &dyn Fn(&mut wire::ScheduleRequest)| {
        let mut req = text("hello", at);
        f(&mut req);
        req
    };
    let long = "长".repeat(8_001);
    // (who, where, the message, what the send answers)
    let cases: Vec<(&User, i64, wire::ScheduleRequest, ErrorCode)> = vec![
        (&alice, team.id, with(&|r| r.body = json!({"text": "   "})), ErrorCode::InvalidField),
        (&alice, team.id, with(&|r| r.body = json!({"text": long.clone()})), ErrorCode::TooLarge),
        (&alice, team.id, with(&|r| r.kind = "forward".into()), ErrorCode::InvalidField),
        (&alice, team.id, with(&|r| r.kind = "image".into()), ErrorCode::InvalidField),
        (&alice, team.id, with(&|r| r.mentions = vec![dave.account.clone()]), ErrorCode::InvalidField),
        (&alice, team.id, with(&|r| r.reply_to = Some(99)), ErrorCode::InvalidField),
        (&bob, team.id, with(&|r| r.mention_all = true), ErrorCode::Forbidden),
        (&bob, news.id, with(&|_| ()), ErrorCode::Forbidden),
        (&dave, team.id, with(&|_| ()), ErrorCode::NotFound),
        (&alice, 9_999, with(&|_| ()), ErrorCode::NotFound),
    ];
    for (i, (user, conversation, req, code)) in cases.iter().enumerate() {
        let refused = user.client.schedule_message(*conversation, req).await.unwrap_err();
        assert_eq!(refused.code(), Some(*code), "case {i}: {refused:?}");
        let sent = user.client.send_message(*conversation, &send_request(req, &format!("c{i}"))).await.unwrap_err();
        assert_eq!(
            sent.detail().map(|d| (d.code, d.field.clone())),
            refused.detail().map(|d| (d.code, d.field.clone())),
            "case {i}: as a send"
        );
    }

    // A mute, and a peer that blocks: refused as their sends are.
    alice.client.mute_member(team.id, &bob.account, Some(now_ms() + DAY_MS)).await.unwrap();
    let muted = bob.client.schedule_message(team.id, &text("hi", at)).await.unwrap_err();
    assert_eq!(muted.code(), Some(ErrorCode::Forbidden));
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    bob.client.block(&alice.account, true).await.unwrap();
    let blocked = alice.client.schedule_message(chat.id, &text("hi", at)).await.unwrap_err();
    assert_eq!(blocked.code(), Some(ErrorCode::Forbidden), "a peer that blocks the author");

    // The time.
    for (send_at_ms, field) in [(now_ms() - 3_600_000, "send_at_ms"), (now_ms() + 367 * DAY_MS, "send_at_ms")] {
        let refused = alice.client.schedule_message(team.id, &text("hi", send_at_ms)).await.unwrap_err();
        assert_eq!(
            refused.detail().map(|d| (d.code, d.field.clone())),
            Some((ErrorCode::InvalidField, Some(field.into())))
        );
    }
    assert!(alice.client.scheduled(None).await.unwrap().is_empty(), "nothing refused was stored");
    assert!(bob.client.scheduled(None).await.unwrap().is_empty());

    // What passes is stored as scheduled, mentions in full.
    let mut ok = text("at noon", at);
    ok.mentions = vec![bob.account.clone()];
    ok.reply_to = Some(1);
    let scheduled = alice.client.schedule_message(team.id, &ok).await.unwrap();
    assert_eq!(
        (scheduled.conversation, scheduled.kind.as_str(), &scheduled.body, &scheduled.mentions, scheduled.reply_to),
        (team.id, "text", &json!({"text": "at noon"}), &vec![bob.account.clone()], Some(1))
    );
    assert_eq!(
        (scheduled.send_at_ms, scheduled.state, scheduled.failure.clone()),
        (at, wire::ScheduledState::Pending, None)
    );

    // `scheduled:` ids are the server's.
    let taken = alice.client.send_text(team.id, &scheduled_id(&scheduled), "mine").await.unwrap_err();
    assert_eq!(
        taken.detail().map(|d| (d.code, d.field.clone())),
        Some((ErrorCode::InvalidField, Some("client_msg_id".into())))
    );
}

/// At its time the message reaches every member, from its author (sent as from the device that
/// scheduled it, with `scheduled:<id>` as its client id, its mentions and reply), and the
/// author's devices hear that it was scheduled and then sent.
#[tokio::test]
async fn a_scheduled_message_reaches_every_member_at_its_time() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "Launch", &[&bob.account, &carol.account]).await;
    let first = alice.client.send_text(team.id, "first", "the plan").await.unwrap();
    let phone = server.login(&alice.account).await;
    let mut alice_phone = phone.connect().await;
    let (mut bob_live, mut carol_live) = (bob.connect().await, carol.connect().await);
    let after = events_head(&phone.client).await;

    let mut req = text("standup in 5", now_ms() + AFTER_CHANGES_MS);
    req.mentions = vec![bob.account.clone()];
    req.reply_to = Some(first.seq);
    let scheduled = alice.client.schedule_message(team.id, &req).await.unwrap();
    let changed = next_scheduled_event(&mut alice_phone, after).await;
    assert_eq!(changed.event, AccountEvent::ScheduledChanged { id: scheduled.id }, "the other device hears of it");
    assert_eq!(phone.client.scheduled(Some(team.id)).await.unwrap(), vec![scheduled.clone()]);

    let client_msg_id = scheduled_id(&scheduled);
    let to_bob = entry_with(&mut bob_live, &client_msg_id).await;
    let to_carol = entry_with(&mut carol_live, &client_msg_id).await;
    assert_eq!(to_bob, to_carol);
    assert_eq!(
        (to_bob.sender.as_str(), to_bob.kind.as_str(), text_of(&to_bob)),
        (alice.account.as_str(), "text", "standup in 5")
    );
    assert_eq!((to_bob.mentions.clone(), to_bob.reply_to), (vec![bob.account.clone()], Some(first.seq)));
    assert!(to_bob.at_ms >= scheduled.send_at_ms, "not before its time");
    let own = entry_with(&mut alice_phone, &client_msg_id).await;
    assert_eq!(own.seq, to_bob.seq, "the author's devices receive it too");

    let sent = next_scheduled_event(&mut alice_phone, changed.seq).await;
    assert_eq!(sent.event, AccountEvent::ScheduledSent { id: scheduled.id, conversation: team.id, seq: to_bob.seq });
    assert!(alice.client.scheduled(None).await.unwrap().is_empty(), "sent, it is no longer scheduled");
    assert_eq!(alice.client.scheduled_message(scheduled.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(bob.client.conversation(team.id).await.unwrap().mentions, 1, "its mention counts");
    assert_eq!(stored_with(&bob, team.id, &client_msg_id).await.len(), 1, "sent once");
}

/// While it waits a scheduled message may be edited (text, time, mentions: checked as anew),
/// cancelled, or sent at once; each change reaches the author's other devices. Over the
/// WebSocket as over REST.
#[tokio::test]
async fn a_waiting_message_is_edited_cancelled_or_sent_now() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let ws = alice.connect().await;
    let phone = server.login(&alice.account).await;
    let mut alice_phone = phone.connect().await;
    let mut bob_live = bob.connect().await;
    let at = now_ms() + DAY_MS;
    let mut after = events_head(&phone.client).await;

    let first = ws.schedule_message(chat.id, text("draft", at)).await.unwrap();
    let second = alice.client.schedule_message(chat.id, &text("later", at + 1)).await.unwrap();
    after = next_scheduled_event(&mut alice_phone, after).await.seq;
    after = next_scheduled_event(&mut alice_phone, after).await.seq;

    // Edited: the text and the time; a bad edit changes nothing.
    let patch = wire::UpdateScheduledRequest {
        send_at_ms: Some(at + 60_000),
        body: Some(json!({"text": "final"})),
        ..Default::default()
    };
    let edited = ws.update_scheduled(first.id, patch).await.unwrap();
    assert_eq!(
        (&edited.body, edited.send_at_ms, edited.created_at_ms),
        (&json!({"text": "final"}), at + 60_000, first.created_at_ms)
    );
    assert!(edited.updated_at_ms >= first.updated_at_ms);
    let event = next_scheduled_event(&mut alice_phone, after).await;
    assert_eq!(event.event, AccountEvent::ScheduledChanged { id: first.id });
    after = event.seq;
    assert_eq!(phone.client.scheduled_message(first.id).await.unwrap(), edited);
    for (patch, field) in [
        (wire::UpdateScheduledRequest { body: Some(json!({"text": ""})), ..Default::default() }, "body.text"),
        (wire::UpdateScheduledRequest { send_at_ms: Some(now_ms() - 3_600_000), ..Default::default() }, "send_at_ms"),
        (wire::UpdateScheduledRequest::default(), "scheduled"),
    ] {
        let refused = alice.client.update_scheduled(first.id, &patch).await.unwrap_err();
        assert_eq!(
            refused.detail().map(|d| (d.code, d.field.clone())),
            Some((ErrorCode::InvalidField, Some(field.into())))
        );
    }
    assert_eq!(alice.client.scheduled_message(first.id).await.unwrap(), edited, "refused edits change nothing");
    let listed: Vec<i64> = ws.scheduled(None).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(listed, [second.id, first.id], "the earliest first");

    // Cancelled.
    ws.cancel_scheduled(second.id).await.unwrap();
    let event = next_scheduled_event(&mut alice_phone, after).await;
    assert_eq!(event.event, AccountEvent::ScheduledRemoved { id: second.id });
    after = event.seq;
    assert_eq!(alice.client.cancel_scheduled(second.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(ws.scheduled_message(second.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Sent now: the ack is the message's, which bob gets; then it is no longer scheduled.
    let ack = alice.client.send_scheduled(first.id).await.unwrap();
    let entry = entry_with(&mut bob_live, &scheduled_id(&first)).await;
    assert_eq!((entry.seq, text_of(&entry), entry.sender.as_str()), (ack.seq, "final", alice.account.as_str()));
    let event = next_scheduled_event(&mut alice_phone, after).await;
    assert_eq!(event.event, AccountEvent::ScheduledSent { id: first.id, conversation: chat.id, seq: ack.seq });
    assert!(ws.scheduled(Some(chat.id)).await.unwrap().is_empty());
    assert_eq!(ws.send_scheduled(first.id).await.unwrap_err().code(), Some(ErrorCode::NotFound), "sent once");

    // Sent now over the WebSocket too, whatever its time.
    let third = alice.client.schedule_message(chat.id, &text("right away", at)).await.unwrap();
    let ack = ws.send_scheduled(third.id).await.unwrap();
    assert_eq!(text_of(&entry_with(&mut bob_live, &scheduled_id(&third)).await), "right away");
    assert_eq!(
        stored_with(&bob, chat.id, &scheduled_id(&third)).await.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [ack.seq]
    );
}

/// An account holds at most `scheduled.per_account_max` scheduled messages, waiting or failed;
/// one more is `limit_exceeded` and stores nothing, and cancelling or sending one makes room.
#[tokio::test]
async fn an_account_holds_at_most_its_bound() {
    let server = TestServer::start_with(&[("MAGPIE_SCHEDULED_PER_ACCOUNT_MAX", "3")]).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let notes = alice.client.open_direct(&alice.account).await.unwrap();
    let at = now_ms() + DAY_MS;
    let mut held = vec![];
    for (i, conversation) in [chat.id, notes.id, chat.id].into_iter().enumerate() {
        held.push(alice.client.schedule_message(conversation, &text(&format!("m{i}"), at)).await.unwrap());
    }
    let over = alice.client.schedule_message(notes.id, &text("one more", at)).await.unwrap_err();
    assert_eq!(over.code(), Some(ErrorCode::LimitExceeded), "the bound is per account, over every conversation");
    assert_eq!(alice.client.scheduled(None).await.unwrap().len(), 3);
    assert!(bob.client.schedule_message(chat.id, &text("bob's own", at)).await.is_ok(), "another account has its own");

    alice.client.cancel_scheduled(held[0].id).await.unwrap();
    let again = alice.client.schedule_message(notes.id, &text("room again", at)).await.unwrap();
    alice.client.send_scheduled(held[1].id).await.unwrap();
    alice.client.schedule_message(notes.id, &text("and again", at)).await.unwrap();
    assert_eq!(
        alice.client.schedule_message(notes.id, &text("full", at)).await.unwrap_err().code(),
        Some(ErrorCode::LimitExceeded)
    );
    assert!(alice.client.scheduled(None).await.unwrap().iter().any(|m| m.id == again.id));
}

/// Waiting messages are kept in the store: a message whose time passes while no server runs is
/// sent when one starts again, once.
#[tokio::test]
async fn a_scheduled_message_survives_a_restart() {
    let mut server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let later = alice.client.schedule_message(chat.id, &text("still here", now_ms() + DAY_MS)).await.unwrap();
    let due = alice.client.schedule_message(chat.id, &text("while you were away", now_ms() + SOON_MS)).await.unwrap();
    let status = server.stop().await;
    assert!(status.success());
    // Let the due time pass with no server running: the scenario, not a wait for the server.
    let left = due.send_at_ms - now_ms();
    if left > 0 {
        tokio::time::sleep(Duration::from_millis(u64::try_from(left).unwrap() + 100)).await;
    }
    server.restart_stopped().await;

    let (mut alice_live, mut bob_live) = (alice.connect().await, bob.connect().await);
    let entry = arrival(&bob, &mut bob_live, chat.id, &scheduled_id(&due)).await;
    assert_eq!((text_of(&entry), entry.sender.as_str()), ("while you were away", alice.account.as_str()));
    // The sender settles the message a moment after it committed the entry.
    if alice.client.scheduled(None).await.unwrap().iter().any(|m| m.id == due.id) {
        let mut after = 0;
        loop {
            let event = next_scheduled_event(&mut alice_live, after).await;
            after = event.seq;
            if matches!(event.event, AccountEvent::ScheduledSent { id, .. } if id == due.id) {
                break;
            }
        }
    }
    let left: Vec<i64> = alice.client.scheduled(None).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(left, [later.id], "the one not yet due still waits");
    assert_eq!(stored_with(&bob, chat.id, &scheduled_id(&due)).await.len(), 1, "sent once");
}

/// A message whose author may no longer post when it falls due (muted, removed, the group
/// dissolved) is not sent: it is kept, failed, with the send's typed error, and the author's
/// devices hear of it. Sending it at once is refused the same way and changes nothing; it can
/// still be cancelled.
#[tokio::test]
async fn a_send_no_longer_allowed_fails_and_is_kept() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let muted_in = group(&alice, "Muted", &[&bob.account]).await;
    let removed_from = group(&alice, "Removed", &[&bob.account]).await;
    let dissolved = group(&alice, "Dissolved", &[&bob.account, &carol.account]).await;
    let mut bob_live = bob.connect().await;
    let mut after = events_head(&bob.client).await;

    let at = now_ms() + AFTER_CHANGES_MS;
    let to_muted = bob.client.schedule_message(muted_in.id, &text("muted", at)).await.unwrap();
    let to_removed = bob.client.schedule_message(removed_from.id, &text("removed", at)).await.unwrap();
    let to_dissolved = bob.client.schedule_message(dissolved.id, &text("dissolved", at)).await.unwrap();
    alice.client.mute_member(muted_in.id, &bob.account, Some(now_ms() + DAY_MS)).await.unwrap();
    alice.client.remove_member(removed_from.id, &bob.account).await.unwrap();
    alice.client.dissolve(dissolved.id).await.unwrap();

    let mut failed = std::collections::BTreeMap::new();
    while failed.len() < 3 {
        let event = next_scheduled_event(&mut bob_live, after).await;
        after = event.seq;
        if let AccountEvent::ScheduledChanged { id } = event.event {
            let message = bob.client.scheduled_message(id).await.unwrap();
            if message.state == wire::ScheduledState::Failed {
                failed.insert(id, message);
            }
        }
    }
    let code = |id: i64| failed[&id].failure.as_ref().map(|f| f.code);
    assert_eq!(code(to_muted.id), Some(ErrorCode::Forbidden));
    assert_eq!(code(to_removed.id), Some(ErrorCode::NotFound));
    assert_eq!(code(to_dissolved.id), Some(ErrorCode::NotFound));
    let muted = &failed[&to_muted.id];
    assert_eq!((&muted.body, muted.send_at_ms), (&json!({"text": "muted"}), at), "kept as it was");
    assert!(muted.failure.as_ref().is_some_and(|f| f.at_ms >= at && !f.message.is_empty()));
    assert!(stored_with(&alice, muted_in.id, &scheduled_id(&to_muted)).await.is_empty(), "nothing was posted");
    assert_eq!(bob.client.scheduled(None).await.unwrap().len(), 3, "failed ones are kept for their author");

    let again = bob.client.send_scheduled(to_muted.id).await.unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::Forbidden));
    assert_eq!(bob.client.scheduled_message(to_muted.id).await.unwrap(), *muted, "a refused send now changes nothing");

    // Once bob may post again, sending it now works; the others are cancelled.
    alice.client.mute_member(muted_in.id, &bob.account, None).await.unwrap();
    let ack = bob.client.send_scheduled(to_muted.id).await.unwrap();
    assert_eq!(stored_with(&alice, muted_in.id, &scheduled_id(&to_muted)).await[0].seq, ack.seq);
    bob.client.cancel_scheduled(to_removed.id).await.unwrap();
    bob.client.cancel_scheduled(to_dissolved.id).await.unwrap();
    assert!(bob.client.scheduled(None).await.unwrap().is_empty());
}

/// A failed message waits again once edited to a time ahead, and is then sent at that time.
#[tokio::test]
async fn an_edited_failed_message_waits_again() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "Launch", &[&bob.account]).await;
    let mut bob_live = bob.connect().await;
    let mut after = events_head(&bob.client).await;
    let scheduled =
        bob.client.schedule_message(team.id, &text("first try", now_ms() + AFTER_CHANGES_MS)).await.unwrap();
    alice.client.mute_member(team.id, &bob.account, Some(now_ms() + DAY_MS)).await.unwrap();
    loop {
        let event = next_scheduled_event(&mut bob_live, after).await;
        after = event.seq;
        if bob.client.scheduled_message(scheduled.id).await.unwrap().state == wire::ScheduledState::Failed {
            break;
        }
    }
    alice.client.mute_member(team.id, &bob.account, None).await.unwrap();
    let patch = wire::UpdateScheduledRequest { send_at_ms: Some(now_ms() + SOON_MS), ..Default::default() };
    let edited = bob.client.update_scheduled(scheduled.id, &patch).await.unwrap();
    assert_eq!((edited.state, edited.failure), (wire::ScheduledState::Pending, None));
    let entry = entry_with(&mut bob_live, &scheduled_id(&scheduled)).await;
    assert_eq!(text_of(&entry), "first try");
}

/// Another account's scheduled messages are as if they did not exist, in its domain or another:
/// not listed, not read, edited, cancelled or sent; and a conversation of another domain is
/// not found for scheduling.
#[tokio::test]
async fn scheduled_messages_are_their_authors_alone() {
    let server = TestServer::start().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server.create("carol@acme.example", &[]).await;
    let carol = server.login("carol@acme.example").await;
    let team = group(&alice, "Launch", &[&bob.account]).await;
    let theirs = group(&carol, "Acme", &[]).await;
    let at = now_ms() + DAY_MS;
    let mine = alice.client.schedule_message(team.id, &text("alice's", at)).await.unwrap();

    for outsider in [&bob, &carol] {
        assert!(outsider.client.scheduled(None).await.unwrap().is_empty());
        let missing = outsider.client.scheduled_message(mine.id + 1_000).await.unwrap_err();
        let err = outsider.client.scheduled_message(mine.id).await.unwrap_err();
        assert_eq!(err.detail(), missing.detail(), "the same answer as for one that does not exist");
        let patch = wire::UpdateScheduledRequest { body: Some(json!({"text": "hijacked"})), ..Default::default() };
        assert_eq!(
            outsider.client.update_scheduled(mine.id, &patch).await.unwrap_err().code(),
            Some(ErrorCode::NotFound)
        );
        assert_eq!(outsider.client.cancel_scheduled(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
        assert_eq!(outsider.client.send_scheduled(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
        let ws = outsider.connect().await;
        assert_eq!(ws.scheduled_message(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
        assert_eq!(ws.send_scheduled(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    }
    assert!(bob.client.scheduled(Some(team.id)).await.unwrap().is_empty(), "a member sees only its own");
    assert_eq!(carol.client.scheduled(Some(team.id)).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(
        carol.client.schedule_message(team.id, &text("across", at)).await.unwrap_err().code(),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(
        alice.client.schedule_message(theirs.id, &text("across", at)).await.unwrap_err().code(),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(alice.client.scheduled_message(mine.id).await.unwrap(), mine, "untouched");
}

/// In a cluster every node runs a sender: messages that fall due together are each sent once,
/// by one node, whichever node scheduled them.
#[tokio::test]
async fn a_cluster_sends_each_scheduled_message_once() {
    let cluster = Cluster::start(3, FAST).await;
    let [a, b, c] = &cluster.nodes[..] else { unreachable!() };
    let alice = a.login(&a.create("alice", &[]).await).await;
    let bob = b.login(&b.create("bob", &[]).await).await;
    let on_c = c.login(&alice.account).await;
    let team = group(&alice, "Launch", &[&bob.account]).await;
    let (mut alice_live, mut bob_live) = (alice.connect().await, bob.connect().await);
    let after = events_head(&alice.client).await;
    let at = now_ms() + AFTER_CHANGES_MS;
    let mut expected = std::collections::BTreeSet::new();
    for (i, client) in [&alice.client, &on_c.client].into_iter().cycle().take(12).enumerate() {
        let scheduled = client.schedule_message(team.id, &text(&format!("m{i}"), at)).await.unwrap();
        expected.insert(scheduled_id(&scheduled));
    }
    let mut arrived = std::collections::BTreeSet::new();
    while arrived.len() < expected.len() {
        let entry = next_entry(&mut bob_live).await;
        // Live delivery is at least once (a client drops a repeat by its seq); that each was
        // stored once is what history shows below.
        if let Some(id) = entry.client_msg_id.clone().filter(|id| expected.contains(id)) {
            arrived.insert(id);
        }
    }
    let page =
        bob.client.messages(team.id, wire::HistoryQuery { limit: Some(200), ..Default::default() }).await.unwrap();
    let stored: Vec<&str> = page.entries.iter().filter_map(|e| e.client_msg_id.as_deref()).collect();
    assert_eq!(stored.len(), expected.len(), "each stored once: {stored:?}");
    // Each is settled once, by the node that sent it: one scheduled_sent each.
    let (mut settled, mut after) = (std::collections::BTreeSet::new(), after);
    while settled.len() < expected.len() {
        let event = next_scheduled_event(&mut alice_live, after).await;
        after = event.seq;
        if let AccountEvent::ScheduledSent { id, .. } = event.event {
            assert!(settled.insert(format!("scheduled:{id}")), "settled twice: {id}");
        }
    }
    assert_eq!(settled, expected);
    assert!(alice.client.scheduled(None).await.unwrap().is_empty());
}
