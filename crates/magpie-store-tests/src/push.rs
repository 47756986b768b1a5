//! [`PushStore`](magpie_core::ports::PushStore): targets (bounded per account, one per device,
//! ending with their session), the audience of a message, and the outbox (one push per message
//! and target, claimed once, retried, given up, its target dropped).

use magpie_core::chat::MemberSettingsPatch;
use magpie_core::model::{RevokeReason, Seq, SessionSelector};
use magpie_core::notify::{Level, NotifyPrefs, Why};
use magpie_core::push::{NewPush, NewPushTarget, PushAddress, PushKind, PushNotice, PushOutcome};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn token(t: &str) -> PushAddress {
    PushAddress::Fcm { token: t.into() }
}

fn notice(conversation: magpie_core::model::ConversationId, seq: i64) -> PushNotice {
    PushNotice {
        event_key: format!("{}:{seq}", conversation.0),
        conversation,
        seq: Seq(seq),
        why: Why::Message,
        direct: false,
        kind: "text".into(),
        sender: "alice@example.com".into(),
        sender_name: "Alice 爱丽丝".into(),
        conversation_name: Some("Team".into()),
        preview: Some("hi".into()),
        at_ms: T0,
    }
}

/// An account holds at most its bound of targets; registering the same device again moves it
/// (to another session, or another account) instead of adding one; a target ends with its
/// session and can be deleted by its account only.
pub async fn targets_are_bounded_moved_and_end_with_their_session<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.push;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let (s1, s2, sb) = (w.session(&a).await, w.session(&a).await, w.session(&b).await);
    let new = |account: &magpie_core::model::Account, session: &magpie_core::model::Session, t: &str| NewPushTarget {
        account: account.id,
        session: session.id,
        address: token(t),
    };
    let one = store.put_push_target(&new(&a, &s1, "one"), T0, 2).await.unwrap().unwrap();
    assert_eq!((one.account, one.session, one.address.clone(), one.created_at_ms), (a.id, s1.id, token("one"), T0));
    let two = store.put_push_target(&new(&a, &s1, "two"), T0 + 1, 2).await.unwrap().unwrap();
    assert!(store.put_push_target(&new(&a, &s1, "three"), T0 + 2, 2).await.unwrap().is_none(), "at the bound");
    let again = store.put_push_target(&new(&a, &s2, "one"), T0 + 3, 2).await.unwrap().unwrap();
    assert_eq!((again.id, again.session), (one.id, s2.id), "the same device moves to the new session");
    let ids: Vec<i64> = store.push_targets(a.id).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(ids, [one.id, two.id]);

    let moved = store.put_push_target(&new(&b, &sb, "two"), T0 + 4, 2).await.unwrap().unwrap();
    assert_eq!((moved.id, moved.account), (two.id, b.id), "a device signed in as someone else moves over");
    assert_eq!(store.push_targets(a.id).await.unwrap().len(), 1);
    assert!(!store.delete_push_target(a.id, two.id).await.unwrap(), "not alice's any more");
    assert!(store.delete_push_target(b.id, two.id).await.unwrap());
    assert!(store.push_targets(b.id).await.unwrap().is_empty());

    w.stores.sessions.revoke_sessions(a.id, SessionSelector::One(s2.id), RevokeReason::Logout, T0 + 5).await.unwrap();
    assert!(store.push_targets(a.id).await.unwrap().is_empty(), "logging out ends the device's pushes");
}

/// The audience is the other active members with targets of live sessions, with their read
/// mark, mute, preferences and whether they blocked the sender.
pub async fn the_audience_is_who_could_be_told<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.push;
    let names = ["alice", "bob", "carol", "dave", "erin"];
    let mut people = Vec::new();
    for n in names {
        people.push(w.account(n).await);
    }
    let [a, b, c, d, e] = &people[..] else { unreachable!() };
    let g = w.group(a, &[b, c, d, e]).await;
    let now = T0 + 10;
    for (who, t) in [(a, "a"), (b, "b1"), (b, "b2"), (c, "c"), (d, "d")] {
        let s = w.session(who).await;
        store
            .put_push_target(&NewPushTarget { account: who.id, session: s.id, address: token(t) }, T0, 10)
            .await
            .unwrap();
    }
    // erin has no target; dave leaves.
    w.remove(g.id, a, &[d]).await;
    w.stores.contacts.set_block(c.id, a.id, true, T0, vec![]).await.unwrap();
    let patch = MemberSettingsPatch { muted: Some(true), ..Default::default() };
    w.stores.log.update_member_settings(g.id, b.id, patch, vec![], T0).await.unwrap();
    let prefs = NotifyPrefs { level: Level::Mentions, ..Default::default() };
    w.stores.notify.put_notify_prefs(c.id, &prefs, vec![], T0).await.unwrap();

    let audience = store.push_audience(g.id, a.id, now).await.unwrap();
    let who: Vec<_> = audience.iter().map(|m| m.addr.name.to_string()).collect();
    assert_eq!(who, ["bob", "carol"], "not the sender, not who left, not who has no device");
    let (bob, carol) = (&audience[0], &audience[1]);
    assert_eq!(bob.targets.len(), 2);
    assert!(bob.conversation.muted_until_ms.is_some_and(|u| u > now) && !bob.blocked_sender && bob.prefs.is_none());
    assert!(carol.blocked_sender && carol.conversation.muted_until_ms.is_none());
    assert_eq!(carol.prefs.as_ref().map(|p| p.level), Some(Level::Mentions));

    let later = T0 + 2 * 24 * 3600 * 1000;
    assert!(store.push_audience(g.id, a.id, later).await.unwrap().is_empty(), "expired sessions reach nobody");
}

/// One push per message and target however often it is queued; a due push is claimed by one
/// claimer until its lease runs out; a retried one is due again later; a given-up one is done
/// and listed; a gone target is dropped with what waits for it; done pushes are pruned.
pub async fn the_outbox_sends_each_push_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.push;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let g = w.group(&a, &[&b]).await;
    let s = w.session(&b).await;
    let mut targets = Vec::new();
    for t in ["t1", "t2", "t3"] {
        let new = NewPushTarget { account: b.id, session: s.id, address: token(t) };
        targets.push(store.put_push_target(&new, T0, 10).await.unwrap().unwrap().id);
    }
    let pushes: Vec<NewPush> =
        targets.iter().map(|&target| NewPush { target, account: b.id, notice: notice(g.id, 1) }).collect();
    assert_eq!(store.enqueue_pushes(&pushes, T0, 100).await.unwrap(), Some(3));
    assert_eq!(store.enqueue_pushes(&pushes, T0 + 1, 100).await.unwrap(), Some(0), "the same message again");
    assert_eq!(store.enqueue_pushes(&[], T0 + 1, 3).await.unwrap(), None, "full");
    assert_eq!(store.push_outbox_len().await.unwrap(), 3);

    let (x, y) = tokio::join!(store.claim_pushes(T0 + 10, 1000, 10), store.claim_pushes(T0 + 10, 1000, 10));
    let claimed: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    assert_eq!(claimed.len(), 3, "each push claimed once");
    assert!(claimed.iter().all(|p| p.notice == notice(g.id, 1) && p.attempts == 0 && p.target.account == b.id));
    assert!(store.claim_pushes(T0 + 500, 1000, 10).await.unwrap().is_empty(), "held");
    let by_target = |t: i64| claimed.iter().find(|p| p.target.id == t).unwrap().id;
    let outcomes = vec![
        (by_target(targets[0]), PushOutcome::Sent),
        (by_target(targets[1]), PushOutcome::Retry { at_ms: T0 + 5000, error: "503".into() }),
        (by_target(targets[2]), PushOutcome::Failed { error: "400 bad payload".into() }),
    ];
    store.push_done(&outcomes, T0 + 20).await.unwrap();
    assert_eq!(store.push_outbox_len().await.unwrap(), 1, "only the retried one waits");
    assert!(store.claim_pushes(T0 + 4999, 1000, 10).await.unwrap().is_empty(), "not due yet");
    let retried = store.claim_pushes(T0 + 5000, 1000, 10).await.unwrap();
    assert_eq!((retried.len(), retried[0].attempts), (1, 1));
    store.push_done(&[(retried[0].id, PushOutcome::TargetGone { error: "410 Gone".into() })], T0 + 5001).await.unwrap();
    assert_eq!(store.push_targets(b.id).await.unwrap().len(), 2, "the gone target is dropped");
    assert_eq!(store.push_outbox_len().await.unwrap(), 0);

    let failures = store.push_failures(None, 10).await.unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!((failures[0].target_dropped, failures[0].attempts, failures[0].kind), (true, 2, PushKind::Fcm));
    assert_eq!((failures[1].target_dropped, failures[1].error.as_str()), (false, "400 bad payload"));
    assert_eq!(failures[0].account.name.as_str(), "bob");
    assert_eq!(store.push_failures(Some(b.domain_id), 1).await.unwrap().len(), 1);

    assert_eq!(store.enqueue_pushes(&pushes[..1], T0 + 6000, 100).await.unwrap(), Some(0), "sent is remembered");
    assert_eq!(store.prune_pushes(T0 + 6000).await.unwrap(), 2, "the sent and the given-up push");
    assert!(store.push_failures(None, 10).await.unwrap().is_empty());
    assert_eq!(store.enqueue_pushes(&pushes[..1], T0 + 7000, 100).await.unwrap(), Some(1), "forgotten once pruned");
}
