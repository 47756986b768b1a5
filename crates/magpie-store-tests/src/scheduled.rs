//! [`ScheduledStore`](magpie_core::ports::ScheduledStore): each account's scheduled messages,
//! bounded per account and its own; the claims through which senders take what falls due, one
//! sender per message however many race; how a claim ends; when a sender should look next;
//! and the files a scheduled message keeps.

use std::collections::BTreeSet;
use std::sync::Arc;

use magpie_core::Error;
use magpie_core::chat::AccountEvent;
use magpie_core::model::{Account, ConversationId, ScheduledId, Seq, SessionId};
use magpie_core::scheduled::{Failure, FailureCode, NewScheduled, ScheduledEdit, ScheduledMessage, Settled};
use serde_json::json;

use crate::StoreFactory;
use crate::fixtures::{DAY_MS, T0, World, file};

/// A text message of `account` scheduled into `conversation` for `send_at_ms`.
fn new(
    account: &Account,
    session: SessionId,
    conversation: ConversationId,
    text: &str,
    send_at_ms: i64,
) -> NewScheduled {
    NewScheduled {
        account: account.id,
        session,
        conversation,
        kind: "text".into(),
        body: json!({"text": text}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        send_at_ms,
        files: vec![],
        at_ms: T0,
    }
}

fn edit_to(text: &str, send_at_ms: i64, at_ms: i64) -> ScheduledEdit {
    ScheduledEdit {
        send_at_ms,
        body: json!({"text": text}),
        mentions: vec![],
        mention_all: false,
        files: vec![],
        at_ms,
    }
}

fn ids(messages: &[ScheduledMessage]) -> Vec<ScheduledId> {
    messages.iter().map(|m| m.id).collect()
}

fn failure() -> Failure {
    Failure { code: FailureCode::Forbidden, message: "not allowed".into(), at_ms: T0 + 9 }
}

/// A scheduled message reads back as scheduled, with `scheduled_changed` on its account's log;
/// an account lists its own by time (one conversation's or all), sees no other account's, and
/// holds at most its bound: one more is `limit_exceeded` and records nothing. All of it
/// survives a restart.
pub async fn scheduled_messages_are_each_accounts_own_and_bounded<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.scheduled;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let (sa, sb) = (w.session(&a).await, w.session(&b).await);
    let group = w.group(&a, &[&b]).await;
    let (direct, _) = w.direct(&a, &b).await;

    let mut rich = new(&a, sa.id, group.id, "later", T0 + 3 * DAY_MS);
    rich.mentions = vec!["bob@acme.example".into()];
    rich.mention_all = true;
    rich.reply_to = Some(Seq(1));
    let late = store.schedule(rich.clone(), 3).await.unwrap().unwrap();
    assert_eq!(
        (late.account, late.session, late.conversation, late.kind.as_str(), &late.body),
        (a.id, sa.id, group.id, "text", &json!({"text": "later"}))
    );
    assert_eq!((&late.mentions, late.mention_all, late.reply_to), (&rich.mentions, true, Some(Seq(1))));
    assert_eq!(
        (late.send_at_ms, late.created_at_ms, late.updated_at_ms, late.failure.clone()),
        (T0 + 3 * DAY_MS, T0, T0, None)
    );
    assert_eq!(late.client_msg_id(), format!("scheduled:{}", late.id.0));
    let soon = store.schedule(new(&a, sa.id, direct.id, "soon", T0 + DAY_MS), 3).await.unwrap().unwrap();
    let mid = store.schedule(new(&a, sa.id, group.id, "mid", T0 + 2 * DAY_MS), 3).await.unwrap().unwrap();
    assert!(soon.id > late.id && mid.id > soon.id, "ids grow");
    assert_eq!(
        w.events(&a)
            .await
            .into_iter()
            .filter(|e| matches!(e, AccountEvent::ScheduledChanged { .. }))
            .collect::<Vec<_>>(),
        [late.id, soon.id, mid.id].map(|id| AccountEvent::ScheduledChanged { id }),
        "each scheduled message is announced to its account"
    );

    let full = store.schedule(new(&a, sa.id, group.id, "one too many", T0 + DAY_MS), 3).await.unwrap();
    assert!(matches!(full, Err(Error::LimitExceeded(_))), "{full:?}");
    assert_eq!(ids(&store.scheduled_messages(a.id, None, 100).await.unwrap()), [soon.id, mid.id, late.id], "by time");
    assert_eq!(ids(&store.scheduled_messages(a.id, Some(group.id), 100).await.unwrap()), [mid.id, late.id]);
    assert_eq!(ids(&store.scheduled_messages(a.id, None, 2).await.unwrap()), [soon.id, mid.id], "at most limit");
    let bobs = store.schedule(new(&b, sb.id, group.id, "bob's", T0 + DAY_MS), 3).await.unwrap().unwrap();
    assert!(store.scheduled_messages(b.id, None, 100).await.unwrap().iter().all(|m| m.account == b.id));
    assert_eq!(store.scheduled_message(b.id, late.id).await.unwrap(), None, "not another account's");
    let edited = store.edit_scheduled(b.id, late.id, edit_to("mine now", T0 + DAY_MS, T0 + 1), vec![], T0 + 1);
    assert_eq!(edited.await.unwrap().unwrap(), None, "another account's message is not edited");
    assert!(!store.cancel_scheduled(b.id, late.id, vec![], T0 + 1).await.unwrap().unwrap());
    let claimed = store.claim_scheduled(b.id, late.id, T0 + 1, T0 + 2).await.unwrap();
    assert!(matches!(claimed, Err(Error::NotFound(_))), "{claimed:?}");

    let w = w.restart().await;
    let store = &w.stores.scheduled;
    assert_eq!(store.scheduled_message(a.id, late.id).await.unwrap(), Some(late.clone()), "it survives a restart");
    assert_eq!(store.scheduled_message(b.id, bobs.id).await.unwrap(), Some(bobs));
    assert_eq!(store.next_scheduled_due().await.unwrap(), Some(T0 + DAY_MS));
}

/// A sender claims the waiting messages that are due and that no live claim holds, the earliest
/// first, each once while its claim lives, and again once it lapses; a failed message is never
/// claimed. The next look is the earliest waiting time or the earliest end of a claim.
pub async fn claims_take_what_is_due_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.scheduled;
    let a = w.account("alice").await;
    let sa = w.session(&a).await;
    let group = w.group(&a, &[]).await;
    assert_eq!(store.next_scheduled_due().await.unwrap(), None, "nothing waits");
    assert!(store.claim_due(T0, T0 + 60_000, 10).await.unwrap().is_empty());

    let mut scheduled = vec![];
    for (i, at) in [T0 + 300, T0 + 100, T0 + 200, T0 + 5_000].into_iter().enumerate() {
        scheduled.push(store.schedule(new(&a, sa.id, group.id, &format!("m{i}"), at), 100).await.unwrap().unwrap());
    }
    let (m300, m100, m200, m5000) = (scheduled[0].id, scheduled[1].id, scheduled[2].id, scheduled[3].id);
    assert_eq!(store.next_scheduled_due().await.unwrap(), Some(T0 + 100));

    let first = store.claim_due(T0 + 250, T0 + 1_000, 1).await.unwrap();
    assert_eq!(ids(&first), [m100], "the earliest first, at most limit");
    let rest = store.claim_due(T0 + 250, T0 + 1_000, 10).await.unwrap();
    assert_eq!(ids(&rest), [m200], "only what is due, and what no claim holds");
    assert!(store.claim_due(T0 + 900, T0 + 2_000, 10).await.unwrap().iter().all(|m| m.id == m300));
    assert_eq!(store.next_scheduled_due().await.unwrap(), Some(T0 + 1_000), "the first claims end first");

    // m100's sender finished; m200's claim lapses and is taken over.
    assert!(store.settle_scheduled(m100, T0 + 1_000, Settled::Sent, vec![], T0 + 400).await.unwrap());
    let again = store.claim_due(T0 + 1_000, T0 + 3_000, 10).await.unwrap();
    assert_eq!(ids(&again), [m200], "a claim that lapsed is taken again");
    assert!(
        !store.settle_scheduled(m200, T0 + 1_000, Settled::Sent, vec![], T0 + 1_001).await.unwrap(),
        "an old claim settles nothing"
    );
    assert!(store.scheduled_message(a.id, m200).await.unwrap().is_some());

    // A failure waits no more, and is not claimed.
    let failed = Settled::Failed(failure());
    assert!(store.settle_scheduled(m200, T0 + 3_000, failed, vec![], T0 + 1_002).await.unwrap());
    assert_eq!(store.scheduled_message(a.id, m200).await.unwrap().unwrap().failure, Some(failure()));
    assert!(store.claim_due(T0 + 10 * DAY_MS, T0 + 11 * DAY_MS, 10).await.unwrap().iter().all(|m| m.id != m200));
    assert!(store.scheduled_message(a.id, m5000).await.unwrap().unwrap().failure.is_none());

    // A send now of the failed one whose sender went away: its lapsing claim is nothing to wake
    // for (it is not claimed again), while a waiting message's lapsing claim is.
    let later = T0 + 11 * DAY_MS;
    assert_eq!(ids(&store.claim_due(later, later + 500, 10).await.unwrap()), [m300, m5000], "their claims lapsed");
    assert_eq!(store.claim_scheduled(a.id, m200, later, later + 100).await.unwrap().unwrap().id, m200);
    assert_eq!(store.next_scheduled_due().await.unwrap(), Some(later + 500));
    assert!(store.claim_due(later + 200, later + 1_000, 10).await.unwrap().is_empty(), "a failed one is not claimed");
}

/// While a live claim holds a message it is not edited, cancelled or claimed again (`conflict`);
/// once the claim lapses, an edit makes it wait afresh (a failure forgotten, the old claim void);
/// a cancel deletes it. Each logs what it was given.
pub async fn a_held_message_is_left_alone<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.scheduled;
    let a = w.account("alice").await;
    let sa = w.session(&a).await;
    let group = w.group(&a, &[]).await;
    let m = store.schedule(new(&a, sa.id, group.id, "hello", T0 + DAY_MS), 100).await.unwrap().unwrap();

    let held = store.claim_scheduled(a.id, m.id, T0, T0 + 1_000).await.unwrap().unwrap();
    assert_eq!(held, m, "a claim by hand takes a message whatever its time");
    assert!(store.claim_due(T0 + 500, T0 + 1_500, 10).await.unwrap().is_empty(), "not claimed twice");
    let edit =
        store.edit_scheduled(a.id, m.id, edit_to("changed", T0 + DAY_MS, T0 + 1), vec![], T0 + 500).await.unwrap();
    assert!(matches!(edit, Err(Error::Conflict(_))), "{edit:?}");
    assert!(matches!(store.cancel_scheduled(a.id, m.id, vec![], T0 + 500).await.unwrap(), Err(Error::Conflict(_))));
    assert!(matches!(store.claim_scheduled(a.id, m.id, T0 + 500, T0 + 900).await.unwrap(), Err(Error::Conflict(_))));
    assert_eq!(store.scheduled_message(a.id, m.id).await.unwrap(), Some(m.clone()), "nothing changed");

    // Failed by its claim; after that, an edit makes it wait again.
    assert!(store.settle_scheduled(m.id, T0 + 1_000, Settled::Failed(failure()), vec![], T0 + 600).await.unwrap());
    let events = vec![(a.id, AccountEvent::ScheduledChanged { id: m.id })];
    let edited = store.edit_scheduled(a.id, m.id, edit_to("changed", T0 + 2 * DAY_MS, T0 + 700), events, T0 + 700);
    let edited = edited.await.unwrap().unwrap().unwrap();
    assert_eq!(
        (&edited.body, edited.send_at_ms, edited.updated_at_ms),
        (&json!({"text": "changed"}), T0 + 2 * DAY_MS, T0 + 700)
    );
    assert_eq!((edited.failure.clone(), edited.created_at_ms), (None, T0), "its failure is forgotten");
    assert_eq!(store.next_scheduled_due().await.unwrap(), Some(T0 + 2 * DAY_MS));

    // An edit after a claim lapsed voids that claim.
    let lapsed = store.claim_scheduled(a.id, m.id, T0 + 800, T0 + 900).await.unwrap().unwrap();
    assert_eq!(lapsed.id, m.id);
    let edited = store.edit_scheduled(a.id, m.id, edit_to("again", T0 + 2 * DAY_MS, T0 + 950), vec![], T0 + 950).await;
    assert!(edited.unwrap().unwrap().is_some());
    assert!(
        !store.settle_scheduled(m.id, T0 + 900, Settled::Sent, vec![], T0 + 960).await.unwrap(),
        "the old claim is void"
    );
    assert!(store.scheduled_message(a.id, m.id).await.unwrap().is_some(), "so it was not deleted");

    let events = vec![(a.id, AccountEvent::ScheduledRemoved { id: m.id })];
    assert!(store.cancel_scheduled(a.id, m.id, events, T0 + 970).await.unwrap().unwrap());
    assert_eq!(store.scheduled_message(a.id, m.id).await.unwrap(), None);
    assert!(!store.cancel_scheduled(a.id, m.id, vec![], T0 + 980).await.unwrap().unwrap(), "cancelled once");
    let tail: Vec<AccountEvent> = w.events(&a).await.into_iter().rev().take(2).collect();
    assert_eq!(
        tail,
        [AccountEvent::ScheduledRemoved { id: m.id }, AccountEvent::ScheduledChanged { id: m.id }],
        "an edit and a cancel log what they were given"
    );
    assert_eq!(store.next_scheduled_due().await.unwrap(), None);
}

/// A claim ends as its sender says: sent (the message is gone), failed (kept with why), or
/// released (as it was); each logs its events, and a settlement that finds another claim (or
/// none) changes and logs nothing.
pub async fn a_claim_ends_as_its_sender_says<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.scheduled;
    let a = w.account("alice").await;
    let sa = w.session(&a).await;
    let group = w.group(&a, &[]).await;
    let mut messages = vec![];
    for text in ["sent", "failed", "released"] {
        messages.push(store.schedule(new(&a, sa.id, group.id, text, T0 + 10), 100).await.unwrap().unwrap());
    }
    let claimed = store.claim_due(T0 + 10, T0 + 100, 10).await.unwrap();
    assert_eq!(ids(&claimed), ids(&messages));
    let logged_before = w.events(&a).await.len();

    let sent = AccountEvent::ScheduledSent { id: messages[0].id, conversation: group.id, seq: Seq(2) };
    assert!(
        !store
            .settle_scheduled(messages[0].id, T0 + 99, Settled::Sent, vec![(a.id, sent.clone())], T0 + 20)
            .await
            .unwrap()
    );
    assert_eq!(w.events(&a).await.len(), logged_before, "a settlement of another claim logs nothing");
    assert!(
        store
            .settle_scheduled(messages[0].id, T0 + 100, Settled::Sent, vec![(a.id, sent.clone())], T0 + 20)
            .await
            .unwrap()
    );
    assert_eq!(store.scheduled_message(a.id, messages[0].id).await.unwrap(), None, "a sent message is gone");

    let changed = AccountEvent::ScheduledChanged { id: messages[1].id };
    let failed = Settled::Failed(failure());
    assert!(
        store.settle_scheduled(messages[1].id, T0 + 100, failed, vec![(a.id, changed.clone())], T0 + 21).await.unwrap()
    );
    let kept = store.scheduled_message(a.id, messages[1].id).await.unwrap().unwrap();
    assert_eq!((kept.failure, kept.body), (Some(failure()), messages[1].body.clone()), "a failed one is kept with why");

    assert!(store.settle_scheduled(messages[2].id, T0 + 100, Settled::Released, vec![], T0 + 22).await.unwrap());
    assert_eq!(store.scheduled_message(a.id, messages[2].id).await.unwrap(), Some(messages[2].clone()), "as it was");
    assert_eq!(ids(&store.claim_due(T0 + 23, T0 + 200, 10).await.unwrap()), [messages[2].id], "and claimable");
    assert!(!store.settle_scheduled(messages[0].id, T0 + 100, Settled::Sent, vec![], T0 + 24).await.unwrap(), "gone");
    let events = w.events(&a).await;
    assert_eq!(events[logged_before..], [sent, changed]);
}

/// Senders that claim at once, from as many connections as the adapter serves, take every due
/// message exactly once between them.
pub async fn racing_claims_take_each_message_once<F: StoreFactory>(f: &F) {
    const MESSAGES: usize = 60;
    const SENDERS: usize = 6;
    let w = World::new(f).await;
    let a = w.account("alice").await;
    let sa = w.session(&a).await;
    let group = w.group(&a, &[]).await;
    let mut all = BTreeSet::new();
    for i in 0..MESSAGES {
        let at = T0 + i64::try_from(i % 7).unwrap();
        all.insert(w.stores.scheduled.schedule(new(&a, sa.id, group.id, "race", at), 1_000).await.unwrap().unwrap().id);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(SENDERS));
    let mut senders = vec![];
    for _ in 0..SENDERS {
        let (store, barrier) = (w.stores.scheduled.clone(), barrier.clone());
        senders.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut mine = vec![];
            loop {
                let claimed = store.claim_due(T0 + 100, T0 + 60_000, 4).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut taken = vec![];
    for sender in senders {
        taken.extend(sender.await.unwrap());
    }
    let distinct: BTreeSet<ScheduledId> = taken.iter().copied().collect();
    assert_eq!(taken.len(), distinct.len(), "a message claimed twice");
    assert_eq!(distinct, all, "every due message claimed");
}

/// The files a scheduled message refers to are not taken as files no message refers to while it
/// is scheduled; an edit replaces them, and once it is gone they are unshared files again.
pub async fn scheduled_files_are_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (files, store) = (&w.stores.files, &w.stores.scheduled);
    let a = w.account("alice").await;
    let sa = w.session(&a).await;
    let group = w.group(&a, &[]).await;
    let first = file(&w, &a, &"1".repeat(64), 100, T0).await;
    let mut image = new(&a, sa.id, group.id, "", T0 + DAY_MS);
    image.kind = "image".into();
    image.body = json!({"file": first.id.to_string()});
    image.files = vec![first.id.clone()];
    let m = store.schedule(image, 100).await.unwrap().unwrap();
    assert!(files.take_unshared_files(T0 + DAY_MS, 100).await.unwrap().is_empty(), "kept by the message");
    assert!(files.file(&first.id).await.unwrap().is_some());

    let second = file(&w, &a, &"2".repeat(64), 100, T0).await;
    let mut edit = edit_to("", T0 + DAY_MS, T0 + 1);
    edit.body = json!({"file": second.id.to_string()});
    edit.files = vec![second.id.clone()];
    store.edit_scheduled(a.id, m.id, edit, vec![], T0 + 1).await.unwrap().unwrap();
    let taken = files.take_unshared_files(T0 + DAY_MS, 100).await.unwrap();
    assert_eq!(taken, vec!["1".repeat(64)], "the file the edit let go");
    assert!(files.file(&second.id).await.unwrap().is_some());
    assert!(store.cancel_scheduled(a.id, m.id, vec![], T0 + 2).await.unwrap().unwrap());
    assert_eq!(files.take_unshared_files(T0 + DAY_MS, 100).await.unwrap(), vec!["2".repeat(64)]);
}
