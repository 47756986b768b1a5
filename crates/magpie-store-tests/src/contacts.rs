//! [`ContactStore`](magpie_core::ports::ContactStore): friend requests, contacts, blocks, and
//! who hears of an account's presence.

use std::collections::BTreeSet;

use magpie_core::chat::AccountEvent;
use magpie_core::contacts::ContactState;
use magpie_core::model::{Account, AccountId};
use serde_json::json;

use crate::StoreFactory;
use crate::fixtures::{T0, World, new_entry, notice};

fn event(account: &Account, about: &Account) -> Vec<(AccountId, AccountEvent)> {
    vec![(account.id, AccountEvent::ContactAdded { account: about.addr.to_string() })]
}

/// A request is recorded (renewing one replaces its message and time), listed to both sides,
/// and accepting it makes a friendship both ways that answers any request the other way too.
pub async fn friend_requests_and_acceptance<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let contacts = &w.stores.contacts;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let asked = vec![(b.id, AccountEvent::FriendRequest { from: a.addr.to_string(), message: Some("hi".into()) })];
    contacts.put_friend_request(a.id, b.id, Some("hi".into()), T0, asked.clone()).await.unwrap();
    assert_eq!(w.events(&b).await, [asked[0].1.clone()]);
    let state = contacts.contact_state(a.id, b.id).await.unwrap();
    assert_eq!(state, ContactState { requested: true, ..ContactState::default() });
    let state = contacts.contact_state(b.id, a.id).await.unwrap();
    assert_eq!(state, ContactState { requested_by: true, ..ContactState::default() });

    contacts.put_friend_request(a.id, b.id, Some("hello?".into()), T0 + 10, vec![]).await.unwrap();
    contacts.put_friend_request(c.id, b.id, None, T0 + 5, vec![]).await.unwrap();
    let listed = contacts.friend_requests(b.id).await.unwrap();
    let shown: Vec<(AccountId, AccountId, Option<&str>, i64)> =
        listed.iter().map(|r| (r.from.id, r.to.id, r.message.as_deref(), r.at_ms)).collect();
    assert_eq!(shown, [(c.id, b.id, None, T0 + 5), (a.id, b.id, Some("hello?"), T0 + 10)], "renewed, oldest first");
    let outgoing = contacts.friend_requests(a.id).await.unwrap();
    assert_eq!(outgoing.len(), 1, "the sender sees its own request");
    assert_eq!((outgoing[0].from.id, outgoing[0].to.id), (a.id, b.id));

    // Bob had asked alice too: accepting alice's request answers both.
    contacts.put_friend_request(b.id, a.id, None, T0 + 20, vec![]).await.unwrap();
    let events = [event(&a, &b), event(&b, &a)].concat();
    assert!(contacts.accept_friend_request(a.id, b.id, T0 + 30, events).await.unwrap());
    for (x, y) in [(&a, &b), (&b, &a)] {
        let state = contacts.contact_state(x.id, y.id).await.unwrap();
        assert_eq!(state, ContactState { contacts: true, ..ContactState::default() }, "both ways, no request left");
    }
    let ids = |list: Vec<Account>| list.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(contacts.contacts(a.id).await.unwrap()), [b.id]);
    assert_eq!(ids(contacts.contacts(b.id).await.unwrap()), [a.id]);
    let left: Vec<AccountId> = contacts.friend_requests(b.id).await.unwrap().iter().map(|r| r.from.id).collect();
    assert_eq!(left, [c.id], "carol's request is another matter");
    assert_eq!(w.events(&a).await.last(), Some(&event(&a, &b)[0].1));

    let before = w.events(&a).await.len();
    assert!(!contacts.accept_friend_request(a.id, b.id, T0, event(&a, &b)).await.unwrap(), "nothing to accept");
    assert_eq!(w.events(&a).await.len(), before, "nothing accepted, nothing logged");

    // Contacts are listed by login name.
    let d = w.account("aaron").await;
    contacts.put_friend_request(d.id, a.id, None, T0, vec![]).await.unwrap();
    assert!(contacts.accept_friend_request(d.id, a.id, T0, vec![]).await.unwrap());
    assert_eq!(ids(contacts.contacts(a.id).await.unwrap()), [d.id, b.id]);
}

/// Declining deletes a pending request; removing a contact ends the friendship both ways;
/// each logs its events only if there was something to end.
pub async fn declined_requests_and_removed_contacts<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let contacts = &w.stores.contacts;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    contacts.put_friend_request(a.id, b.id, None, T0, vec![]).await.unwrap();
    let closed = |who: &Account, about: &Account| {
        vec![(who.id, AccountEvent::FriendRequestClosed { account: about.addr.to_string() })]
    };
    assert!(contacts.delete_friend_request(a.id, b.id, T0, closed(&a, &b)).await.unwrap());
    assert!(contacts.friend_requests(b.id).await.unwrap().is_empty());
    assert!(!contacts.delete_friend_request(a.id, b.id, T0, closed(&a, &b)).await.unwrap());
    assert_eq!(w.events(&a).await.len(), 1, "logged once");

    contacts.put_friend_request(a.id, b.id, None, T0, vec![]).await.unwrap();
    assert!(contacts.accept_friend_request(a.id, b.id, T0, vec![]).await.unwrap());
    let removed = |who: &Account, about: &Account| {
        vec![(who.id, AccountEvent::ContactRemoved { account: about.addr.to_string() })]
    };
    assert!(contacts.remove_contact(b.id, a.id, T0, removed(&b, &a)).await.unwrap());
    assert!(contacts.contacts(a.id).await.unwrap().is_empty(), "ended both ways");
    assert!(contacts.contacts(b.id).await.unwrap().is_empty());
    assert!(!contacts.contact_state(a.id, b.id).await.unwrap().contacts);
    assert!(!contacts.remove_contact(a.id, b.id, T0, removed(&a, &b)).await.unwrap());
    assert_eq!(w.events(&b).await.len(), 1);
    assert_eq!(w.events(&a).await.len(), 1, "no event for a removal that removed nothing");
}

/// A block is one account's: the blocker blocks, the blocked is blocked by; requests from an
/// account one blocks are not listed to the blocker.
pub async fn blocks_are_one_sided<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let contacts = &w.stores.contacts;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    contacts.put_friend_request(b.id, a.id, None, T0, vec![]).await.unwrap();
    let change = |on: bool| vec![(a.id, AccountEvent::BlockChanged { account: b.addr.to_string(), blocked: on })];
    assert!(contacts.set_block(a.id, b.id, true, T0 + 7, change(true)).await.unwrap());
    assert!(!contacts.set_block(a.id, b.id, true, T0 + 8, change(true)).await.unwrap(), "already blocked");
    assert_eq!(w.events(&a).await.len(), 1);
    let state = contacts.contact_state(a.id, b.id).await.unwrap();
    assert!(state.blocks && !state.blocked_by);
    assert_eq!(state.blocks_since_ms, Some(T0 + 7), "since the first block");
    let state = contacts.contact_state(b.id, a.id).await.unwrap();
    assert!(state.blocked_by && !state.blocks && state.blocks_since_ms.is_none());
    assert_eq!(contacts.blocked(a.id).await.unwrap().iter().map(|x| x.id).collect::<Vec<_>>(), [b.id]);
    assert!(contacts.blocked(b.id).await.unwrap().is_empty());
    assert!(contacts.friend_requests(a.id).await.unwrap().is_empty(), "hidden from the blocker");
    assert_eq!(contacts.friend_requests(b.id).await.unwrap().len(), 1, "the sender still sees its own");

    assert!(contacts.set_block(a.id, b.id, false, T0, change(false)).await.unwrap());
    assert!(!contacts.set_block(a.id, b.id, false, T0, change(false)).await.unwrap());
    assert!(contacts.blocked(a.id).await.unwrap().is_empty());
    assert_eq!(contacts.friend_requests(a.id).await.unwrap().len(), 1, "listed again");
    assert_eq!(w.events(&a).await.len(), 2);
}

/// Presence reaches contacts and the members of direct chats and of groups up to a size,
/// never a former member, a dissolved group's members, or an account one blocks.
pub async fn presence_audience<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let contacts = &w.stores.contacts;
    let log = &w.stores.log;
    let mut people = vec![];
    for name in ["me", "friend", "chat", "small", "big1", "big2", "big3", "former", "gone", "blocked"] {
        people.push(w.account(name).await);
    }
    let [me, friend, chat, small, big1, big2, big3, former, gone, blocked]: [Account; 10] =
        people.try_into().expect("ten accounts");
    let (me, friend, chat, small, big1, big2, big3, former, gone, blocked) =
        (&me, &friend, &chat, &small, &big1, &big2, &big3, &former, &gone, &blocked);
    contacts.put_friend_request(me.id, friend.id, None, T0, vec![]).await.unwrap();
    contacts.accept_friend_request(me.id, friend.id, T0, vec![]).await.unwrap();
    w.direct(me, chat).await;
    let group = w.group(me, &[small, former]).await;
    w.remove(group.id, me, &[former]).await;
    w.group(me, &[big1, big2, big3]).await;
    let doomed = w.group(me, &[gone]).await;
    new_entry(
        log.append(notice(doomed.id, me, json!({"event": "dissolved"}), vec![magpie_core::chat::Effect::Dissolve]))
            .await,
    );
    w.direct(me, blocked).await;
    contacts.set_block(me.id, blocked.id, true, T0, vec![]).await.unwrap();

    let audience: BTreeSet<AccountId> = contacts.presence_audience(me.id, 3).await.unwrap().into_iter().collect();
    assert_eq!(audience, BTreeSet::from([friend.id, chat.id, small.id]), "groups of at most 3 members");
    let audience: BTreeSet<AccountId> = contacts.presence_audience(me.id, 4).await.unwrap().into_iter().collect();
    assert_eq!(audience, BTreeSet::from([friend.id, chat.id, small.id, big1.id, big2.id, big3.id]));
    let theirs: BTreeSet<AccountId> = contacts.presence_audience(small.id, 10).await.unwrap().into_iter().collect();
    assert_eq!(theirs, BTreeSet::from([me.id]), "a member hears of the others, not of itself");
}
