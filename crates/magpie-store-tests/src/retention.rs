//! [`RetentionStore`](magpie_core::ports::RetentionStore) and `Effect::Prune`: what a prune
//! deletes and what it keeps, the policies, the runs and the doomed blobs.

use magpie_core::chat::{AccountEvent, Effect};
use magpie_core::inbox::{NewNotifications, NotificationKind, Recipients};
use magpie_core::model::{ConversationId, Seq};
use magpie_core::retention::{RetentionRun, RunState};
use magpie_core::saved::{NewSaved, may_save};
use serde_json::json;

use crate::StoreFactory;
use crate::fixtures::{DAY_MS, T0, World, file, message, new_entry, notice, op};

/// A prune deletes the entries up to its seq with everything that hangs on them (mentions,
/// reactions, pins, saved copies, file refs) and the files only they used, whose blobs are
/// doomed; it keeps every newer entry and a file a newer message also uses; unread counts
/// stop counting what went; `pruned_through` moves to the seq, and a second prune of the same
/// entries is refused by its check.
pub async fn a_prune_deletes_old_entries_and_what_hangs_on_them<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (log, retention, files) = (&w.stores.log, &w.stores.retention, &w.stores.files);
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let only_old = file(&w, &a, &"a".repeat(64), 5000, T0).await;
    let shared = file(&w, &a, &"b".repeat(64), 5000, T0).await;
    let mut old = message(group.id, &a, &sa, "m1", "look @bob");
    old.entry.mentions = vec![b.addr.clone()];
    old.effects.extend([Effect::Mention(vec![b.id]), Effect::FileRefs(vec![only_old.id.clone(), shared.id.clone()])]);
    let old = new_entry(log.append(old).await);
    let reaction = op(
        group.id,
        &b,
        "reaction",
        json!({"emoji": "+1", "on": true}),
        old.seq,
        vec![Effect::React { account: b.id, emoji: "+1".into(), on: true }],
    );
    new_entry(log.append(reaction).await);
    let pin = op(group.id, &a, "system", json!({"event": "message_pinned"}), old.seq, vec![Effect::Pin(true)]);
    let pin = new_entry(log.append(pin).await);
    let domain = b.domain_id;
    let save = NewSaved {
        account: b.id,
        conversation: group.id,
        seq: old.seq,
        peer: None,
        note: None,
        at_ms: T0,
        check: Box::new(move |p| may_save(p, domain)),
    };
    w.stores.saved.save(save).await.unwrap().unwrap();
    let mention = NewNotifications {
        to: Recipients::Accounts(vec![b.id]),
        kind: NotificationKind::Mention,
        key: format!("mention:{}:{}", group.id.0, old.seq.0),
        actor: Some((a.id, a.addr.clone())),
        actor_name: None,
        conversation: Some(group.id),
        conversation_name: Some("Team".into()),
        direct: false,
        seq: Some(old.seq),
        thread: None,
        emoji: None,
        text: Some("look @bob".into()),
        at_ms: T0,
    };
    let added = w.stores.inbox.add_notifications(mention).await.unwrap();
    assert_eq!(added.len(), 1);
    let notification = added[0].1.id;
    let mut newer = message(group.id, &a, &sa, "m2", "still here");
    newer.entry.at_ms = T0 + DAY_MS;
    newer.effects.push(Effect::FileRefs(vec![shared.id.clone()]));
    let newer = new_entry(log.append(newer).await);
    assert_eq!(log.summary(group.id, b.id).await.unwrap().unwrap().unread, 2);

    assert_eq!(retention.prune_point(group.id, Seq(0), T0, 100).await.unwrap(), None, "nothing older than T0");
    assert_eq!(retention.prune_point(group.id, Seq(0), T0 + 1, 2).await.unwrap(), Some(Seq(2)), "at most 2");
    let through = retention.prune_point(group.id, Seq(0), T0 + 1, 100).await.unwrap();
    assert_eq!(through, Some(pin.seq), "up to the last entry older than the cutoff, not past a newer one");
    let through = pin.seq;
    let body = json!({"event": "history_pruned", "through_seq": through.0, "before_ms": T0 + 1});
    let mut prune = notice(group.id, &a, body.clone(), vec![Effect::Prune(through)]);
    prune.entry.at_ms = T0 + 2 * DAY_MS;
    prune.check = Box::new(move |p| {
        if p.conversation.pruned_through >= through {
            Err(magpie_core::Error::Conflict("pruned".into()))
        } else {
            Ok(())
        }
    });
    let told = new_entry(log.append(prune).await);

    let conversation = log.conversation(group.id).await.unwrap().unwrap();
    assert_eq!(conversation.pruned_through, through);
    for seq in 1..=through.0 {
        assert_eq!(log.entry(group.id, Seq(seq)).await.unwrap(), None, "entry {seq} is gone");
    }
    let left: Vec<Seq> = w.entries(group.id, &b).await.iter().map(|e| e.seq).collect();
    assert_eq!(left, [newer.seq, told.seq], "the newer message and the notice stay");
    let summary = log.summary(group.id, b.id).await.unwrap().unwrap();
    assert_eq!((summary.unread, summary.mentions), (1, 0), "what went is neither unread nor a mention");
    assert!(log.pins(group.id, Seq(1), None, b.id).await.unwrap().is_empty(), "its pin went");
    assert!(w.stores.saved.saved_items(b.id, None, 10).await.unwrap().is_empty(), "the saved copy went");
    let told = w.events(&b).await;
    assert!(
        told.iter().any(|e| matches!(e, AccountEvent::SavedChanged { .. })),
        "bob's devices hear that the copy went"
    );
    assert!(
        told.iter().any(|e| matches!(e, AccountEvent::NotificationsRemoved { ids } if ids == &[notification])),
        "and that the notification of the mention went: {told:?}"
    );
    assert!(w.stores.inbox.notifications(b.id, None, 10, false).await.unwrap().0.is_empty());
    assert_eq!(files.file(&only_old.id).await.unwrap(), None, "a file only pruned entries used is deleted");
    assert!(files.file(&shared.id).await.unwrap().is_some(), "a file a newer message uses stays");
    assert!(!files.blob_in_use(&only_old.sha256).await.unwrap());
    assert_eq!(retention.doomed_blobs(10).await.unwrap(), vec![only_old.sha256.clone()], "its blob is doomed");
    retention.forget_doomed_blobs(std::slice::from_ref(&only_old.sha256)).await.unwrap();
    assert!(retention.doomed_blobs(10).await.unwrap().is_empty());

    let again = notice(group.id, &a, body, vec![Effect::Prune(through)]);
    let mut again = again;
    again.check = Box::new(move |p| {
        if p.conversation.pruned_through >= through {
            Err(magpie_core::Error::Conflict("pruned".into()))
        } else {
            Ok(())
        }
    });
    assert!(log.append(again).await.unwrap().is_err(), "the check sees the raised pruned_through");
    assert_eq!(retention.prune_point(group.id, through, T0 + 1, 100).await.unwrap(), None);
    assert_eq!(
        retention.prune_point(group.id, through, i64::MAX, 100).await.unwrap(),
        Some(newer.seq),
        "a prune never ends at an earlier prune's notice"
    );

    let w = w.restart().await;
    let conversation = w.stores.log.conversation(group.id).await.unwrap().unwrap();
    assert_eq!(conversation.pruned_through, through, "kept across a restart");
}

/// Policies read back as set, per domain and per conversation; the domains with one are
/// listed; candidates are the domain's conversations with entries left, each with an author.
pub async fn retention_policies_and_candidates<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let retention = &w.stores.retention;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let domain = a.domain_id;
    assert_eq!(retention.retention_days(domain).await.unwrap(), None);
    assert!(!retention.domains_with_retention().await.unwrap().contains(&domain));
    retention.set_retention_days(domain, Some(30)).await.unwrap();
    assert_eq!(retention.retention_days(domain).await.unwrap(), Some(30));
    assert!(retention.domains_with_retention().await.unwrap().contains(&domain));
    let group = w.group_named(&a, &[&b], "Keep for ever").await;
    let (direct, _) = w.direct(&a, &b).await;
    retention.set_conversation_retention(group.id, Some(0)).await.unwrap();
    let own = retention.conversation_retention(domain).await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!((own[0].conversation, own[0].days, own[0].name.as_deref()), (group.id, 0, Some("Keep for ever")));
    retention.set_retention_days(domain, None).await.unwrap();
    assert!(!retention.domains_with_retention().await.unwrap().contains(&domain), "for ever is no policy");
    retention.set_conversation_retention(group.id, Some(7)).await.unwrap();
    assert!(retention.domains_with_retention().await.unwrap().contains(&domain));

    let sa = w.session(&a).await;
    w.send(direct.id, &a, &sa).await;
    let candidates = retention.prune_candidates(domain, ConversationId(0), 10).await.unwrap();
    let ids: Vec<ConversationId> = candidates.iter().map(|c| c.conversation).collect();
    assert_eq!(ids, [group.id, direct.id], "by id");
    assert_eq!(candidates[0].days, Some(7));
    assert_eq!(candidates[0].author, a.id, "a group's notice is its owner's");
    assert!([a.id, b.id].contains(&candidates[1].author), "a direct chat's is a member's");
    let after = retention.prune_candidates(domain, group.id, 10).await.unwrap();
    assert_eq!(after.iter().map(|c| c.conversation).collect::<Vec<_>>(), [direct.id], "paged by id");
    retention.set_conversation_retention(group.id, None).await.unwrap();
    assert!(retention.conversation_retention(domain).await.unwrap().is_empty());
}

/// Runs are recorded, read back newest first per domain, updated, and a run left `running`
/// by a stopped process is failed once it is stale.
pub async fn retention_runs_are_recorded<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let retention = &w.stores.retention;
    let a = w.account("alice").await;
    let new = |started_at_ms| RetentionRun {
        id: 0,
        domain: a.domain_id,
        state: RunState::Running,
        started_by: "schedule".into(),
        before_ms: None,
        conversations: 0,
        entries: 0,
        files: 0,
        error: None,
        started_at_ms,
        updated_at_ms: started_at_ms,
        finished_at_ms: None,
    };
    let first = retention.create_retention_run(&new(T0)).await.unwrap();
    let mut second =
        retention.create_retention_run(&RetentionRun { before_ms: Some(T0), ..new(T0 + 10) }).await.unwrap();
    assert!(second.id > first.id);
    assert_eq!(retention.retention_run(second.id).await.unwrap().as_ref(), Some(&second));
    second.state = RunState::Done;
    (second.conversations, second.entries, second.files) = (2, 40, 3);
    second.finished_at_ms = Some(T0 + 20);
    retention.update_retention_run(&second).await.unwrap();
    let runs = retention.retention_runs(a.domain_id, 10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [second.id, first.id], "newest first");
    assert_eq!(runs[0], second);
    assert_eq!(retention.fail_stale_retention_runs(T0, "cut off", T0 + 30).await.unwrap(), 0, "not stale yet");
    assert_eq!(retention.fail_stale_retention_runs(T0 + 1, "cut off", T0 + 30).await.unwrap(), 1);
    let failed = retention.retention_run(first.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.error.as_deref(), failed.finished_at_ms),
        (RunState::Failed, Some("cut off"), Some(T0 + 30))
    );
    assert_eq!(
        retention.retention_run(second.id).await.unwrap().unwrap().state,
        RunState::Done,
        "a finished run stays"
    );
}

/// A clock the test moves.
struct ManualClock(std::sync::atomic::AtomicI64);

impl magpie_core::ports::Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

struct NoConnections;

impl magpie_core::ports::LiveConnections for NoConnections {
    fn close_sessions(&self, _: &[magpie_core::model::SessionId], _: magpie_core::model::RevokeReason) {}
    fn profile_updated(&self, _: &magpie_core::model::Account) {}
    fn deliver_entry(&self, _: &[magpie_core::model::AccountId], _: &magpie_core::chat::Entry) {}
    fn deliver_event(&self, _: &magpie_core::chat::LoggedEvent) {}
    fn signal(&self, _: &[magpie_core::model::AccountId], _: &magpie_core::presence::Signal) {}
    fn directory_changed(&self, _: magpie_core::model::DomainId) {}
}

/// The server's schedule through the core: each conversation keeps its entries as long as its
/// own policy or else its domain's says, measured from the clock; a run that deleted nothing
/// is not recorded; one that did is, with its counts, and audited.
pub async fn scheduled_runs_follow_each_policy<F: StoreFactory>(f: &F) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use magpie_core::audit::AuditFilter;
    use magpie_core::model::Actor;

    let w = World::new(f).await;
    let clock = Arc::new(ManualClock(AtomicI64::new(T0)));
    let core = magpie_core::Core::new(
        magpie_core::Settings::default(),
        w.stores.clone(),
        Arc::new(crate::delivery::NoBlobs),
        w.bus.clone(),
        clock.clone(),
        Arc::new(NoConnections),
    );
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let sa = w.session(&a).await;
    let (domain, op) = (w.domain.name.to_string(), Actor::Operator);
    let short = w.group_named(&a, &[&b], "short").await;
    let kept = w.group_named(&a, &[&b], "kept").await;
    let usual = w.group_named(&a, &[&b], "usual").await;
    for (group, at) in [(short.id, T0), (kept.id, T0), (usual.id, T0), (usual.id, T0 + 20 * DAY_MS)] {
        let mut send = message(group, &a, &sa, &format!("m{}", w.unique()), "hello");
        send.entry.at_ms = at;
        new_entry(w.stores.log.append(send).await);
    }
    core.retention.set_domain_days(op, &domain, Some(30)).await.unwrap();
    core.retention.set_conversation_days(op, short.id, Some(7)).await.unwrap();
    core.retention.set_conversation_days(op, kept.id, Some(0)).await.unwrap();

    clock.0.store(T0 + 6 * DAY_MS, Ordering::SeqCst);
    assert!(core.retention.run_due().await.unwrap().is_empty(), "nothing is due: nothing recorded");
    clock.0.store(T0 + 8 * DAY_MS, Ordering::SeqCst);
    let runs = core.retention.run_due().await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].state, runs[0].conversations, runs[0].started_by.as_str()), (RunState::Done, 1, "schedule"));
    let log = w.stores.log.clone();
    let pruned = |id| {
        let log = log.clone();
        async move { log.conversation(id).await.unwrap().unwrap().pruned_through }
    };
    assert!(pruned(short.id).await > Seq(0), "seven days passed for the short group");
    assert_eq!(pruned(usual.id).await, Seq(0), "thirty have not for the others");

    clock.0.store(T0 + 31 * DAY_MS, Ordering::SeqCst);
    let runs = core.retention.run_due().await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].conversations, 1, "only the usual group: the short one is done, the kept one kept");
    assert_eq!(pruned(kept.id).await, Seq(0), "kept for ever");
    let left: Vec<i64> = w.entries(usual.id, &b).await.iter().filter(|e| e.is_message()).map(|e| e.at_ms).collect();
    assert_eq!(left, [T0 + 20 * DAY_MS], "the message of day 20 stays");

    let filter = AuditFilter { action: Some("retention.run".into()), ..AuditFilter::default() };
    assert_eq!(w.stores.audit.audit_records(&filter, 10).await.unwrap().len(), 2, "each recorded run is audited");
    let overview = core.retention.overview(op, &domain).await.unwrap();
    assert_eq!(overview.runs.len(), 2);
    assert_eq!(overview.days, Some(30));
}
