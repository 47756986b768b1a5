//! [`PushStore`](magpie_core::ports::PushStore): targets (bounded per account, one per device,
//! ending with their session), the audience of a message, push jobs (a message's written once
//! within the bound, claimed with a lease, finished in one write) and the outbox of pushes being
//! retried (claimed once, retried, given up, its target dropped).

use magpie_core::chat::MemberSettingsPatch;
use magpie_core::model::AccountId;
use magpie_core::model::{RevokeReason, Seq, SessionSelector};
use magpie_core::notify::{Level, NotifyPrefs, Why};
use magpie_core::push::{
    FinishedJob, JobPushOutcome, NewPushJob, NewPushTarget, PushAddress, PushKind, PushNotice, PushOutcome,
};

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

/// The audience is the other active members with targets of live sessions, with where they
/// joined, their read mark, mute, preferences and whether they blocked the sender.
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
    assert_eq!((bob.joined_seq, carol.joined_seq), (Seq(1), Seq(1)), "since the group's start");

    let back = w.add(g.id, a, &[d]).await;
    let audience = store.push_audience(g.id, a.id, now).await.unwrap();
    let dave = audience.iter().find(|m| m.account == d.id).expect("dave is back");
    assert_eq!(dave.joined_seq, back.seq, "where his membership began again");

    let later = T0 + 2 * 24 * 3600 * 1000;
    assert!(store.push_audience(g.id, a.id, later).await.unwrap().is_empty(), "expired sessions reach nobody");
}

fn job(notice: PushNotice, targets: &[(i64, AccountId)]) -> NewPushJob {
    NewPushJob { notice, targets: targets.to_vec() }
}

fn retry(target: i64, account: AccountId, at_ms: i64, error: &str) -> JobPushOutcome {
    let outcome = PushOutcome::Retry { at_ms, error: error.into() };
    JobPushOutcome { target, account, kind: PushKind::Fcm, outcome }
}

/// A message's jobs are written once, all or none (the first stands for all of them, even if
/// the notices came out otherwise the second time), within the bound on pushes waiting; a job is
/// claimed by one claimer until its lease runs out, then again; claims are bounded by jobs and by
/// targets; the targets of claimed jobs are read as they are now, with who has read how far.
pub async fn push_jobs_are_queued_once_and_claimed_with_a_lease<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.push;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let g = w.group(&a, &[&b, &c]).await;
    let (sa, sb, sc) = (w.session(&a).await, w.session(&b).await, w.session(&c).await);
    let m = w.send(g.id, &a, &sa).await.seq.0;
    let mut ids = Vec::new();
    for (account, session, t) in [(&b, sb.id, "b1"), (&b, sb.id, "b2"), (&b, sb.id, "b3"), (&c, sc.id, "c1")] {
        let new = NewPushTarget { account: account.id, session, address: token(t) };
        ids.push(store.put_push_target(&new, T0, 10).await.unwrap().unwrap().id);
    }
    let [b1, b2, b3, c1] = ids[..] else { unreachable!() };
    let mention = PushNotice { why: Why::Mention, ..notice(g.id, m) };
    let jobs = [job(notice(g.id, m), &[(b1, b.id), (b2, b.id), (b3, b.id)]), job(mention.clone(), &[(c1, c.id)])];

    assert_eq!(store.enqueue_push_jobs(&jobs, T0, 100).await.unwrap(), Some(4));
    assert_eq!(store.push_outbox_len().await.unwrap(), 4, "a waiting job's targets count");
    assert_eq!(store.enqueue_push_jobs(&jobs, T0 + 1, 100).await.unwrap(), Some(0), "the same message again");
    let changed = [job(PushNotice { preview: None, ..notice(g.id, m) }, &[(b1, b.id)]), jobs[1].clone()];
    assert_eq!(store.enqueue_push_jobs(&changed, T0 + 1, 100).await.unwrap(), Some(0), "bob hid previews since");
    let next = [job(notice(g.id, m + 1), &[(b1, b.id)])];
    assert_eq!(store.enqueue_push_jobs(&next, T0 + 1, 4).await.unwrap(), None, "full");
    assert_eq!(store.push_outbox_len().await.unwrap(), 4);

    let (x, y) =
        tokio::join!(store.claim_push_jobs(T0 + 10, 1000, 10, 100), store.claim_push_jobs(T0 + 10, 1000, 10, 100));
    let mut claimed: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    claimed.sort_by_key(|j| j.id);
    assert_eq!(claimed.len(), 2, "each job claimed once");
    assert_eq!((&claimed[0].notice, &claimed[0].targets), (&jobs[0].notice, &jobs[0].targets));
    assert_eq!((&claimed[1].notice, &claimed[1].targets), (&mention, &jobs[1].targets));
    assert!(store.claim_push_jobs(T0 + 500, 1000, 10, 100).await.unwrap().is_empty(), "held");

    let again = store.claim_push_jobs(T0 + 1010, 1000, 10, 3).await.unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), [claimed[0].id], "after its lease; 3 targets at most");
    let again = store.claim_push_jobs(T0 + 1010, 1000, 10, 1).await.unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), [claimed[1].id], "a job past the bound comes alone");
    assert!(store.claim_push_jobs(T0 + 1010, 1000, 10, 100).await.unwrap().is_empty());

    // The targets as they are now: b3 deleted, bob has read the message, carol has not.
    assert!(store.delete_push_target(b.id, b3).await.unwrap());
    w.stores.log.mark(g.id, b.id, Some(Seq(m)), None, vec![], T0).await.unwrap();
    let ids: Vec<i64> = claimed.iter().flat_map(|j| j.targets.iter().map(|(t, _)| *t)).collect();
    let now = store.push_job_targets(g.id, &ids, Seq(m)).await.unwrap();
    let mut targets: Vec<_> = now.targets.iter().map(|t| (t.id, t.account, t.address.clone())).collect();
    targets.sort_by_key(|t| t.0);
    assert_eq!(targets, [(b1, b.id, token("b1")), (b2, b.id, token("b2")), (c1, c.id, token("c1"))]);
    assert!(now.read.contains(&(b.id, Seq(m))), "{:?}", now.read);
    assert!(!now.read.iter().any(|(who, _)| *who == c.id), "carol has not read it");
}

/// Finishing a job writes what its sends left in one write: the job done (not claimed again),
/// a retry as an outbox row with one attempt, a give-up recorded, a gone target recorded and
/// dropped; a second finish of the same job (its claim ran out and another sender finished
/// it) writes nothing more; done jobs are kept until pruned, so the message is not queued again.
pub async fn a_finished_job_leaves_retries_in_the_outbox<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.push;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let g = w.group(&a, &[&b]).await;
    let s = w.session(&b).await;
    let mut targets = Vec::new();
    for t in ["t1", "t2", "t3", "t4"] {
        let new = NewPushTarget { account: b.id, session: s.id, address: token(t) };
        targets.push((store.put_push_target(&new, T0, 10).await.unwrap().unwrap().id, b.id));
    }
    let jobs = [job(notice(g.id, 2), &targets)];
    assert_eq!(store.enqueue_push_jobs(&jobs, T0, 100).await.unwrap(), Some(4));
    let claimed = store.claim_push_jobs(T0, 1000, 10, 100).await.unwrap();
    let (t1, t2, t3) = (targets[1].0, targets[2].0, targets[3].0);
    let outcome =
        |target: i64, outcome: PushOutcome| JobPushOutcome { target, account: b.id, kind: PushKind::Fcm, outcome };
    let outcomes = vec![
        // targets[0] was sent: nothing to write.
        retry(t1, b.id, T0 + 5000, "503"),
        outcome(t2, PushOutcome::Failed { error: "400 bad payload".into() }),
        outcome(t3, PushOutcome::TargetGone { error: "410 Gone".into() }),
    ];
    let finished = [FinishedJob { id: claimed[0].id, outcomes }];
    store.finish_push_jobs(&finished, T0 + 20).await.unwrap();
    assert_eq!(store.push_outbox_len().await.unwrap(), 1, "only the retried push waits");
    assert!(store.claim_push_jobs(T0 + 2000, 1000, 10, 100).await.unwrap().is_empty(), "done");
    assert!(store.claim_pushes(T0 + 4999, 1000, 10).await.unwrap().is_empty(), "not due yet");
    let retried = store.claim_pushes(T0 + 5000, 1000, 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].target.id, retried[0].attempts, &retried[0].notice), (t1, 1, &jobs[0].notice));
    let ids: Vec<i64> = store.push_targets(b.id).await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(ids, [targets[0].0, t1, t2], "the gone target is dropped");
    let failures = store.push_failures(None, 10).await.unwrap();
    let seen: Vec<_> = failures.iter().map(|f| (f.target_dropped, f.attempts, f.error.as_str())).collect();
    assert_eq!(seen, [(true, 1, "410 Gone"), (false, 1, "400 bad payload")]);

    store.finish_push_jobs(&finished, T0 + 30).await.unwrap();
    assert_eq!(store.push_failures(None, 10).await.unwrap().len(), 2, "finished once");
    assert_eq!(store.push_outbox_len().await.unwrap(), 1);

    assert_eq!(store.enqueue_push_jobs(&jobs, T0 + 6000, 100).await.unwrap(), Some(0), "a done job is remembered");
    let two = [jobs[0].clone(), job(notice(g.id, 3), &targets[..1])];
    assert_eq!(store.enqueue_push_jobs(&two, T0 + 6000, 100).await.unwrap(), Some(1), "only the new message's");
    store.push_done(&[(retried[0].id, PushOutcome::Sent)], T0 + 6000).await.unwrap();
    assert_eq!(store.prune_pushes(T0 + 6001).await.unwrap(), 2, "the done job and the sent retry");
    assert!(store.push_failures(None, 10).await.unwrap().is_empty());
    let pushes = |n| store.enqueue_push_jobs(&jobs[..n], T0 + 7000, 100);
    assert_eq!(pushes(1).await.unwrap(), Some(4), "forgotten once pruned");
}

/// An outbox row (a push being retried) is claimed by one claimer until its lease runs out; a
/// retried one is due again later; a given-up one is done and listed; a gone target is dropped
/// with what waits for it; done rows are pruned.
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
    // Three pushes of a job, each to be retried at T0 + 10: three outbox rows.
    let pairs: Vec<_> = targets.iter().map(|&t| (t, b.id)).collect();
    assert_eq!(store.enqueue_push_jobs(&[job(notice(g.id, 1), &pairs)], T0, 100).await.unwrap(), Some(3));
    let claimed = store.claim_push_jobs(T0, 1000, 10, 100).await.unwrap();
    let outcomes = targets.iter().map(|&t| retry(t, b.id, T0 + 10, "503")).collect();
    store.finish_push_jobs(&[FinishedJob { id: claimed[0].id, outcomes }], T0 + 1).await.unwrap();
    assert_eq!(store.push_outbox_len().await.unwrap(), 3);
    assert!(store.claim_pushes(T0 + 9, 1000, 10).await.unwrap().is_empty(), "not due yet");

    let (x, y) = tokio::join!(store.claim_pushes(T0 + 10, 1000, 10), store.claim_pushes(T0 + 10, 1000, 10));
    let claimed: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    assert_eq!(claimed.len(), 3, "each push claimed once");
    assert!(claimed.iter().all(|p| p.notice == notice(g.id, 1) && p.attempts == 1 && p.target.account == b.id));
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
    assert_eq!((retried.len(), retried[0].attempts), (1, 2));
    store.push_done(&[(retried[0].id, PushOutcome::TargetGone { error: "410 Gone".into() })], T0 + 5001).await.unwrap();
    assert_eq!(store.push_targets(b.id).await.unwrap().len(), 2, "the gone target is dropped");
    assert_eq!(store.push_outbox_len().await.unwrap(), 0);

    let failures = store.push_failures(None, 10).await.unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!((failures[0].target_dropped, failures[0].attempts, failures[0].kind), (true, 3, PushKind::Fcm));
    assert_eq!((failures[1].target_dropped, failures[1].error.as_str()), (false, "400 bad payload"));
    assert_eq!(failures[0].account.name.as_str(), "bob");
    assert_eq!(store.push_failures(Some(b.domain_id), 1).await.unwrap().len(), 1);

    assert_eq!(store.prune_pushes(T0 + 6000).await.unwrap(), 3, "the job, the sent and the given-up push");
    assert!(store.push_failures(None, 10).await.unwrap().is_empty());
}
