//! The notification centre's store ([`InboxStore`](magpie_core::ports::InboxStore)): items
//! written once per key and account, to whom the filters let through, listed with the unread
//! count, read on every device, removed with their message, and pruned.

use magpie_core::chat::AccountEvent;
use magpie_core::inbox::{NewNotifications, Notification, NotificationKind, ReadItems, Recipients};
use magpie_core::model::{Account, NewAccount, Role, Seq};
use magpie_core::names::LoginName;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn about(to: Recipients, kind: NotificationKind, key: &str, actor: &Account, group: Option<i64>) -> NewNotifications {
    NewNotifications {
        to,
        kind,
        key: key.to_owned(),
        actor: Some((actor.id, actor.addr.clone())),
        actor_name: Some(actor.profile.display_name.clone()),
        conversation: group.map(magpie_core::model::ConversationId),
        conversation_name: group.map(|_| "Design".to_owned()),
        direct: false,
        seq: group.map(|_| Seq(1)),
        thread: None,
        emoji: None,
        text: Some("hello @bob".to_owned()),
        at_ms: T0,
    }
}

fn added_events(events: &[AccountEvent]) -> Vec<&Notification> {
    events
        .iter()
        .filter_map(|e| match e {
            AccountEvent::NotificationAdded { notification } => Some(notification),
            _ => None,
        })
        .collect()
}

/// Written once per key and account, never to the actor, to one who blocked it, or to one who
/// is not a member of the item's conversation; listed newest first with the unread count and
/// without the items of a conversation left; read by ids or up to an id, once; removed with
/// their message; a domain's items go to its enabled accounts, an application's to admins.
pub async fn items_are_kept_once_read_and_removed<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.inbox;
    let (a, b, c, d, e) = (
        w.account("ann").await,
        w.account("bob").await,
        w.account("cai").await,
        w.account("dan").await,
        w.account("eve").await,
    );
    let group = w.group(&a, &[&b, &c, &d]).await;
    w.stores.contacts.set_block(c.id, a.id, true, T0, vec![]).await.unwrap();
    let g = Some(group.id.0);

    let mention = about(Recipients::Members, NotificationKind::Mention, "message:1", &a, g);
    let added = store.add_notifications(mention.clone()).await.unwrap();
    let who: Vec<_> = added.iter().map(|(account, _)| *account).collect();
    assert_eq!(who, [b.id, d.id], "members but the actor and the one who blocked it");
    assert!(store.add_notifications(mention).await.unwrap().is_empty(), "a key is written once");
    let reply = about(Recipients::Accounts(vec![b.id, a.id, e.id]), NotificationKind::Reply, "message:1", &a, g);
    assert!(store.add_notifications(reply).await.unwrap().is_empty(), "bob has that key; eve is no member");
    let mut reaction = about(Recipients::Accounts(vec![b.id]), NotificationKind::Reaction, "reaction:1", &a, g);
    reaction.emoji = Some("👍".to_owned());
    let (_, reacted) = store.add_notifications(reaction).await.unwrap().pop().expect("bob's reaction item");

    let logged = w.events(&b).await;
    let told = added_events(&logged);
    assert_eq!(told.len(), 2, "each new item logged on its account");
    assert_eq!(*told[1], reacted);
    let (items, unread) = store.notifications(b.id, None, 10, false).await.unwrap();
    assert_eq!(unread, 2);
    assert_eq!(items, [told[1].clone(), told[0].clone()], "newest first, as logged");
    assert_eq!(items[0].actor.as_deref(), Some(a.addr.to_string().as_str()));
    assert_eq!((items[0].emoji.as_deref(), items[1].kind), (Some("👍"), NotificationKind::Mention));
    let (page, _) = store.notifications(b.id, Some(items[0].id), 10, false).await.unwrap();
    assert_eq!(page, [items[1].clone()], "below `before`");

    // Read by ids (another account's id is ignored), then up to an id; a read that changes
    // nothing logs nothing.
    let dans = store.notifications(d.id, None, 10, false).await.unwrap().0;
    let unread = store.read_notifications(b.id, ReadItems::Ids(vec![items[1].id, dans[0].id]), T0).await.unwrap();
    assert_eq!(unread, 1);
    assert_eq!(store.notifications(d.id, None, 10, false).await.unwrap().1, 1, "dan's item left unread");
    store.read_notifications(b.id, ReadItems::Ids(vec![items[1].id]), T0).await.unwrap();
    assert_eq!(store.read_notifications(b.id, ReadItems::UpTo(items[0].id), T0).await.unwrap(), 0);
    let reads: Vec<_> =
        w.events(&b).await.into_iter().filter(|e| matches!(e, AccountEvent::NotificationsRead { .. })).collect();
    assert_eq!(
        reads,
        [
            AccountEvent::NotificationsRead { ids: vec![items[1].id], up_to: None },
            AccountEvent::NotificationsRead { ids: vec![], up_to: Some(items[0].id) },
        ]
    );
    let (listed, unread) = store.notifications(b.id, None, 10, false).await.unwrap();
    assert!(listed.iter().all(|n| n.read) && unread == 0);
    assert!(store.notifications(b.id, None, 10, true).await.unwrap().0.is_empty(), "unread only");

    // Dan leaves: his item of the group is not listed any more.
    w.remove(group.id, &a, &[&d]).await;
    assert_eq!(store.notifications(d.id, None, 10, false).await.unwrap(), (vec![], 0));

    // The message is recalled: its items go, and bob hears of it.
    let removed = store.remove_message_notifications(group.id, Seq(1), T0).await.unwrap();
    assert_eq!(removed, 3, "bob's mention and reaction, dan's mention");
    assert!(store.notifications(b.id, None, 10, false).await.unwrap().0.is_empty());
    let mut ids = vec![items[0].id, items[1].id];
    ids.sort_unstable();
    assert!(w.events(&b).await.contains(&AccountEvent::NotificationsRemoved { ids }));

    // A domain's announcement: every enabled account but its author, whatever their groups.
    let announced = store.add_notifications(about(
        Recipients::Domain(w.domain.id),
        NotificationKind::Announcement,
        "a:1",
        &a,
        None,
    ));
    let who: Vec<_> = announced.await.unwrap().into_iter().map(|(account, _)| account).collect();
    assert_eq!(who, [b.id, d.id, e.id], "not ann (the author), not cai (blocks her)");
    // An application: the domain's administrators only.
    let admin = NewAccount {
        domain_id: w.domain.id,
        domain: w.domain.name.clone(),
        name: LoginName::parse("boss").unwrap(),
        role: Role::DomainAdmin,
        password_hash: None,
        display_name: "Boss".into(),
        name_keys: None,
        pending_approval: false,
        bot: None,
        created_at_ms: T0,
    };
    let admin = w.stores.accounts.create_account(admin).await.unwrap().unwrap();
    let applied = store
        .add_notifications(about(Recipients::Admins(w.domain.id), NotificationKind::Application, "app:5", &e, None))
        .await
        .unwrap();
    assert_eq!(applied.iter().map(|(account, _)| *account).collect::<Vec<_>>(), [admin.id]);
}

/// Pruning keeps each account's newest items and none older than the cut.
pub async fn pruning_keeps_the_newest<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.inbox;
    let (a, b, c) = (w.account("ann").await, w.account("bob").await, w.account("cai").await);
    for i in 0..5_i64 {
        let mut new =
            about(Recipients::Accounts(vec![b.id, c.id]), NotificationKind::FriendRequest, &format!("f:{i}"), &a, None);
        new.at_ms = T0 + i;
        store.add_notifications(new).await.unwrap();
    }
    let removed = store.prune_notifications(3, T0 + 1).await.unwrap();
    assert_eq!(removed, 4, "one too old each, then one past the bound each");
    for account in [&b, &c] {
        let (items, unread) = store.notifications(account.id, None, 10, false).await.unwrap();
        let times: Vec<_> = items.iter().map(|n| n.at_ms).collect();
        assert_eq!((times, unread), (vec![T0 + 4, T0 + 3, T0 + 2], 3));
    }
}

/// A badge counts the conversations with unread messages (or marked unread), muted ones aside
/// while muted.
pub async fn badges_count_unread_conversations<F: StoreFactory>(f: &F) {
    use magpie_core::chat::MemberSettingsPatch;
    let w = World::new(f).await;
    let (a, b, c) = (w.account("ann").await, w.account("bob").await, w.account("cai").await);
    let (a_session, c_session) = (w.session(&a).await, w.session(&c).await);
    let group = w.group(&a, &[&b, &c]).await;
    let (direct, _) = w.direct(&a, &b).await;
    let badges = |accounts: Vec<magpie_core::model::AccountId>, now| w.stores.inbox.badges(accounts, now);
    // The group's creation notice is no message: nothing unread yet.
    assert_eq!(badges(vec![a.id, b.id], T0).await.unwrap(), []);
    let said = w.send(group.id, &a, &a_session).await;
    w.send(direct.id, &a, &a_session).await;
    w.send(group.id, &c, &c_session).await;
    let mut got = badges(vec![a.id, b.id, c.id], T0).await.unwrap();
    got.sort();
    assert_eq!(got, [(a.id, 1), (b.id, 2)], "per conversation, not per message; a sender has read its own");
    // Read, muted (until a time), marked unread.
    w.stores.log.mark(group.id, b.id, Some(said.seq), None, vec![], T0).await.unwrap();
    assert_eq!(badges(vec![b.id], T0).await.unwrap(), [(b.id, 2)], "read up to ann's, not cai's");
    let last = w.entries(group.id, &b).await.last().unwrap().seq;
    w.stores.log.mark(group.id, b.id, Some(last), None, vec![], T0).await.unwrap();
    let mute = MemberSettingsPatch { muted: Some(true), unmute_at_ms: Some(T0 + 60_000), ..Default::default() };
    w.stores.log.update_member_settings(direct.id, b.id, mute, vec![], T0).await.unwrap();
    assert_eq!(badges(vec![b.id], T0).await.unwrap(), [], "read, and muted");
    assert_eq!(badges(vec![b.id], T0 + 60_000).await.unwrap(), [(b.id, 1)], "the mute ended");
    let marked = MemberSettingsPatch { marked_unread: Some(true), ..Default::default() };
    w.stores.log.update_member_settings(group.id, b.id, marked, vec![], T0).await.unwrap();
    assert_eq!(badges(vec![b.id], T0 + 60_000).await.unwrap(), [(b.id, 2)]);
}
