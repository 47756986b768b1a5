//! The notification centre (docs/protocol.md §5.4): mentions, replies, reactions, friend
//! requests and announcements as items, the same on every device, read once for all of them,
//! gone with a recalled message, and nothing of a conversation left behind.

use magpie_client::Connection;
use magpie_client::wire::{
    self, AccountEvent, ErrorCode, Notification, NotificationKind, NotificationsQuery, ReadNotificationsRequest,
    SendRequest,
};

use crate::harness::{TestServer, group, next_account_event_any as next_account_event};

/// The next item added to the connection's account.
async fn next_item(live: &mut Connection) -> Notification {
    loop {
        if let AccountEvent::NotificationAdded { notification } = next_account_event(live).await.event {
            return notification;
        }
    }
}

fn message(id: &str, text: &str) -> SendRequest {
    magpie_client::text_message(id, text)
}

fn all() -> NotificationsQuery {
    NotificationsQuery::default()
}

#[tokio::test]
async fn what_concerns_a_person_is_kept_for_it_and_read_on_every_device() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "Design", &["bob@localhost", "carol@localhost"]).await;
    let mut bob_live = bob.connect().await;
    let bob_phone = server.login("bob@localhost").await;
    let mut phone_live = bob_phone.connect().await;

    // Alice mentions Bob: one item, with who, where and what; Carol gets nothing.
    let mentioned = SendRequest { mentions: vec!["bob@localhost".into()], ..message("m1", "@bob can you look?") };
    let mention_seq = alice.client.send_message(team.id, &mentioned).await.unwrap().seq;
    let mention = next_item(&mut bob_live).await;
    assert_eq!(
        (mention.kind, mention.actor.as_deref(), mention.conversation, mention.seq),
        (NotificationKind::Mention, Some("alice@localhost"), Some(team.id), Some(mention_seq))
    );
    assert_eq!(
        (mention.conversation_name.as_deref(), mention.text.as_deref()),
        (Some("Design"), Some("@bob can you look?"))
    );
    assert_eq!(next_item(&mut phone_live).await, mention, "every device hears of it");

    // Bob answers; Carol replies to Bob's message and mentions him too: one item (a mention).
    let bobs = bob.client.send_text(team.id, "b1", "Looking now").await.unwrap().seq;
    let reply = SendRequest { reply_to: Some(bobs), ..message("c1", "thanks!") };
    carol.client.send_message(team.id, &reply).await.unwrap();
    let replied = next_item(&mut bob_live).await;
    assert_eq!((replied.kind, replied.actor.as_deref()), (NotificationKind::Reply, Some("carol@localhost")));
    let both =
        SendRequest { reply_to: Some(bobs), mentions: vec!["bob@localhost".into()], ..message("c2", "@bob and?") };
    carol.client.send_message(team.id, &both).await.unwrap();
    assert_eq!(next_item(&mut bob_live).await.kind, NotificationKind::Mention, "one item for the message");
    // A reply in the thread of Bob's message: the item names the thread to open.
    let in_thread = SendRequest { thread: Some(bobs), ..message("c3", "details in here") };
    let in_thread = carol.client.send_message(team.id, &in_thread).await.unwrap().seq;
    let threaded = next_item(&mut bob_live).await;
    assert_eq!((threaded.kind, threaded.seq, threaded.thread), (NotificationKind::Reply, Some(in_thread), Some(bobs)));

    // Alice reacts to Bob's message; taking it back and reacting again adds nothing new.
    alice.client.react(team.id, bobs, "👍", true, None).await.unwrap();
    let reacted = next_item(&mut bob_live).await;
    assert_eq!(
        (reacted.kind, reacted.emoji.as_deref(), reacted.seq, reacted.text.as_deref()),
        (NotificationKind::Reaction, Some("👍"), Some(bobs), Some("Looking now"))
    );
    alice.client.react(team.id, bobs, "👍", false, None).await.unwrap();
    alice.client.react(team.id, bobs, "👍", true, None).await.unwrap();
    // The group's announcement; then a friend request from someone outside it.
    let announcement = wire::UpdateGroupRequest { announcement: Some("Demo on Friday".into()), ..Default::default() };
    alice.client.update_group(team.id, &announcement).await.unwrap();
    let announced = next_item(&mut bob_live).await;
    assert_eq!(
        (announced.kind, announced.text.as_deref(), announced.conversation),
        (NotificationKind::Announcement, Some("Demo on Friday"), Some(team.id)),
        "the reaction taken back and given again added nothing"
    );
    let dave = server.user("dave").await;
    dave.client.friend_request("bob@localhost", Some("We met at the fair")).await.unwrap();
    let request = next_item(&mut bob_live).await;
    assert_eq!(
        (request.kind, request.actor.as_deref(), request.text.as_deref()),
        (NotificationKind::FriendRequest, Some("dave@localhost"), Some("We met at the fair"))
    );

    // Listed newest first, with the unread count; pages below `before`.
    let page = bob.client.notifications(&all()).await.unwrap();
    let kinds: Vec<_> = page.items.iter().map(|n| n.kind).collect();
    use NotificationKind::*;
    assert_eq!(kinds, [FriendRequest, Announcement, Reaction, Reply, Mention, Reply, Mention]);
    assert_eq!((page.unread, page.more), (7, false));
    let below = NotificationsQuery { before: Some(page.items[1].id), limit: Some(2), ..all() };
    let older = bob.client.notifications(&below).await.unwrap();
    assert_eq!((older.items.len(), older.more), (2, true));
    assert_eq!(older.items[0], page.items[2]);

    // Read on the phone (over its socket): the laptop hears which.
    let unread = phone_live.read_notifications(ReadNotificationsRequest { ids: Some(vec![mention.id]), up_to: None });
    let unread = unread.await.unwrap();
    assert_eq!(unread.unread, 6);
    loop {
        match next_account_event(&mut bob_live).await.event {
            AccountEvent::NotificationsRead { ids, up_to } => {
                assert_eq!((ids, up_to), (vec![mention.id], None));
                break;
            }
            AccountEvent::NotificationAdded { .. } => panic!("nothing else was added"),
            _ => {}
        }
    }
    let unread_only = bob.client.notifications(&NotificationsQuery { unread_only: Some(true), ..all() }).await;
    assert!(unread_only.unwrap().items.iter().all(|n| n.id != mention.id && !n.read));

    // Alice recalls her mention: the item goes, and Bob's devices hear of it.
    alice.client.recall(team.id, mention_seq, None).await.unwrap();
    loop {
        if let AccountEvent::NotificationsRemoved { ids } = next_account_event(&mut bob_live).await.event {
            assert_eq!(ids, [mention.id]);
            break;
        }
    }
    // Everything up to the newest read at once.
    let newest = page.items[0].id;
    let left = bob.client.read_notifications(&ReadNotificationsRequest { ids: None, up_to: Some(newest) }).await;
    assert_eq!(left.unwrap().unread, 0);
    let page = bob.client.notifications(&all()).await.unwrap();
    assert_eq!((page.items.len(), page.unread), (6, 0));
    assert!(page.items.iter().all(|n| n.read));

    // Bob leaves the group: its items are not listed any more; Dave's request stays.
    bob.client.leave(team.id).await.unwrap();
    let page = bob.client.notifications(&all()).await.unwrap();
    assert_eq!(page.items.iter().map(|n| n.kind).collect::<Vec<_>>(), [FriendRequest]);
    // Nobody else's items.
    assert!(dave.client.notifications(&all()).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn an_administrator_announces_to_the_whole_domain_and_bad_requests_change_nothing() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut bob_live = bob.connect().await;

    let sent = admin.client.announce("  The office is closed on Monday.  ", None).await.unwrap();
    assert_eq!(sent.notified, 2, "alice and bob, not its author");
    let item = next_item(&mut bob_live).await;
    assert_eq!(
        (item.kind, item.actor.as_deref(), item.conversation, item.text.as_deref()),
        (NotificationKind::Announcement, Some("boss@localhost"), None, Some("The office is closed on Monday."))
    );
    assert_eq!(alice.client.notifications(&all()).await.unwrap().unread, 1);

    // Only an administrator of the domain; text within bounds; a read names ids or up_to.
    let err = alice.client.announce("hello", None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    for text in ["   ", &"长".repeat(2001)] {
        let err = admin.client.announce(text, None).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("text")));
    }
    let bad = [
        ReadNotificationsRequest { ids: None, up_to: None },
        ReadNotificationsRequest { ids: Some(vec![item.id]), up_to: Some(item.id) },
        ReadNotificationsRequest { ids: Some(vec![]), up_to: None },
        ReadNotificationsRequest { ids: Some((1..=501).collect()), up_to: None },
    ];
    for req in bad {
        let err = bob.client.read_notifications(&req).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("ids")));
    }
    // Another's item is not read by naming it.
    let alices = alice.client.notifications(&all()).await.unwrap().items[0].id;
    bob.client.read_notifications(&ReadNotificationsRequest { ids: Some(vec![alices]), up_to: None }).await.unwrap();
    assert_eq!(alice.client.notifications(&all()).await.unwrap().unread, 1);
    assert_eq!(bob.client.notifications(&all()).await.unwrap().unread, 1);
}
