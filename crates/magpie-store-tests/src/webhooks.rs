//! Outgoing webhooks' part of [`BotStore`](magpie_core::ports::BotStore): subscriptions
//! (bounded per bot, changed, disabled and enabled, deleted with their events), events written
//! once and bounded per subscription, streams claimed in order and by one holder at a time,
//! failures counted against a budget that disables once, the subscribers of conversations, and
//! pruning.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use magpie_core::model::{Account, ConversationId, Seq};
use magpie_core::webhooks::{
    EventKind, NewSubscription, NewWebhookEvent, Subscription, SubscriptionPatch, WebhookBatch,
};
use tokio::sync::Barrier;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

const MIN: i64 = 60_000;
/// The claims' hold, as the sender's.
const LEASE_MS: i64 = MIN;
/// Bounds large enough not to matter where a check is not about them.
const PENDING_MAX: usize = 1_000;
const STREAMS_MAX: usize = 100;
const BATCH_MAX: usize = 50;
const FAILURES_MAX: u32 = 3;

async fn bot<F: StoreFactory>(w: &World<'_, F>, name: &str) -> Account {
    let new = w.new_bot(name, None);
    w.stores.accounts.create_account(new).await.unwrap().expect("a new bot")
}

fn new_subscription(bot: &Account, app: &str) -> NewSubscription {
    NewSubscription {
        bot: bot.id,
        domain: bot.domain_id,
        url: format!("https://{app}.example/hook"),
        secret: format!("secret of {app}"),
        events: vec![EventKind::Message, EventKind::Mention],
        created_at_ms: T0,
    }
}

async fn subscribe<F: StoreFactory>(w: &World<'_, F>, bot: &Account, app: &str) -> Subscription {
    w.stores.bots.create_subscription(&new_subscription(bot, app), 10).await.unwrap().expect("room for it")
}

fn event(subscription: &Subscription, conversation: ConversationId, seq: i64) -> NewWebhookEvent {
    NewWebhookEvent { subscription: subscription.id, conversation, seq: Seq(seq), kind: EventKind::Message }
}

/// The events of a stream, `from..=to`.
fn events(
    subscription: &Subscription,
    conversation: ConversationId,
    seqs: std::ops::RangeInclusive<i64>,
) -> Vec<NewWebhookEvent> {
    seqs.map(|seq| event(subscription, conversation, seq)).collect()
}

async fn enqueue<F: StoreFactory>(w: &World<'_, F>, events: &[NewWebhookEvent], now_ms: i64) -> u64 {
    w.stores.bots.enqueue_webhook_events(events, now_ms, PENDING_MAX).await.unwrap()
}

async fn claim<F: StoreFactory>(w: &World<'_, F>, now_ms: i64, batch_max: usize) -> Vec<WebhookBatch> {
    w.stores.bots.claim_webhook_events(now_ms, LEASE_MS, STREAMS_MAX, batch_max).await.unwrap()
}

async fn get<F: StoreFactory>(w: &World<'_, F>, subscription: &Subscription) -> Subscription {
    w.stores.bots.subscription(subscription.id).await.unwrap().expect("the subscription is there")
}

/// What a claim handed out: (subscription, conversation, seqs) per batch, in its order.
fn streams(batches: &[WebhookBatch]) -> Vec<(i64, ConversationId, Vec<i64>)> {
    batches.iter().map(|b| (b.subscription, b.conversation, b.events.iter().map(|e| e.seq.0).collect())).collect()
}

fn ids(batch: &WebhookBatch) -> Vec<i64> {
    batch.events.iter().map(|e| e.id).collect()
}

/// A bot has at most its bound of subscriptions, listed oldest first with their waiting
/// events; a change keeps what it leaves out; a person's disabling keeps the events waiting
/// and claims none; enabling again clears the failures and makes what waited due at once;
/// deleting forgets the subscription and its events.
pub async fn subscriptions_are_bounded_changed_and_deleted_with_their_events<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (ops, other) = (bot(&w, "ops").await, bot(&w, "other").await);
    let bots = &w.stores.bots;
    let first = bots.create_subscription(&new_subscription(&ops, "first"), 2).await.unwrap().unwrap();
    assert_eq!(
        (first.bot, first.domain, first.url.as_str(), first.events.as_slice()),
        (ops.id, w.domain.id, "https://first.example/hook", [EventKind::Message, EventKind::Mention].as_slice())
    );
    assert!(first.enabled && first.failures == 0 && first.last_error.is_none() && first.disabled_at_ms.is_none());
    assert_eq!((first.pending, first.dropped, first.created_at_ms), (0, 0, T0));
    let second = bots.create_subscription(&new_subscription(&ops, "second"), 2).await.unwrap().unwrap();
    assert!(bots.create_subscription(&new_subscription(&ops, "third"), 2).await.unwrap().is_none(), "bounded");
    assert_eq!(bots.subscriptions(ops.id).await.unwrap().len(), 2, "nothing written past the bound");
    let others = bots.create_subscription(&new_subscription(&other, "third"), 2).await.unwrap();
    assert!(others.is_some(), "the bound is per bot");
    assert_eq!(get(&w, &first).await, first, "read back as made");
    assert!(bots.subscription(first.id + 1_000_000).await.unwrap().is_none());

    let (c1, c2) = (ConversationId(9_001), ConversationId(9_002));
    let mut batch = events(&first, c1, 1..=3);
    batch.extend(events(&first, c2, 1..=1));
    assert_eq!(enqueue(&w, &batch, T0).await, 4);
    let listed: Vec<(i64, u64)> = bots.subscriptions(ops.id).await.unwrap().iter().map(|s| (s.id, s.pending)).collect();
    assert_eq!(listed, [(first.id, 4), (second.id, 0)], "oldest first, with their waiting events");

    // A change: what it names changes, the rest stays.
    let patch = SubscriptionPatch {
        url: Some("https://first.example/v2".into()),
        secret: Some("rotated".into()),
        events: Some(vec![EventKind::Member, EventKind::Update]),
        enabled: None,
    };
    let changed = bots.update_subscription(first.id, &patch).await.unwrap().unwrap();
    assert_eq!(
        (changed.url.as_str(), changed.events.as_slice()),
        ("https://first.example/v2", patch.events.as_deref().unwrap())
    );
    assert_eq!((changed.enabled, changed.pending, changed.created_at_ms), (true, 4, T0));
    assert_eq!(get(&w, &first).await, changed);
    let url_only = SubscriptionPatch { url: Some("https://first.example/v3".into()), ..SubscriptionPatch::default() };
    let changed = bots.update_subscription(first.id, &url_only).await.unwrap().unwrap();
    assert_eq!(changed.events, [EventKind::Member, EventKind::Update], "left as it was");
    assert!(bots.update_subscription(first.id + 1_000_000, &url_only).await.unwrap().is_none());
    let claimed = claim(&w, T0, BATCH_MAX).await;
    assert_eq!(streams(&claimed), [(first.id, c1, vec![1, 2, 3]), (first.id, c2, vec![1])]);
    assert!(claimed.iter().all(|b| b.url == "https://first.example/v3" && b.secret == "rotated" && b.bot == ops.id));

    // The app fails until its budget disables it; enabling it again starts it over.
    let c1_ids = ids(&claimed[0]);
    let failed = bots.webhook_failed(first.id, &c1_ids, "timed out", T0 + 60 * MIN, T0 + 1, 1).await.unwrap();
    assert!(failed.disabled_now);
    let disabled = failed.subscription.unwrap();
    assert_eq!((disabled.enabled, disabled.disabled_at_ms, disabled.failures), (false, Some(T0 + 1), 1));
    let on = SubscriptionPatch { enabled: Some(true), ..SubscriptionPatch::default() };
    let enabled = bots.update_subscription(first.id, &on).await.unwrap().unwrap();
    assert!(enabled.enabled);
    assert_eq!((enabled.failures, enabled.last_error, enabled.disabled_at_ms, enabled.pending), (0, None, None, 4));
    // Due at once: c1's retry (an hour away) and c2's hold (a minute) no longer count.
    let again = claim(&w, T0 + 2, BATCH_MAX).await;
    assert_eq!(streams(&again), [(first.id, c1, vec![1, 2, 3]), (first.id, c2, vec![1])]);
    assert_eq!(again[0].events.iter().map(|e| e.attempts).collect::<Vec<_>>(), [1, 1, 1], "its attempts kept");

    // A person disables it: its events wait, and no claim takes them.
    let off = SubscriptionPatch { enabled: Some(false), ..SubscriptionPatch::default() };
    let disabled = bots.update_subscription(first.id, &off).await.unwrap().unwrap();
    assert_eq!((disabled.enabled, disabled.disabled_at_ms, disabled.pending), (false, None, 4));
    assert!(claim(&w, T0 + 10 * LEASE_MS, BATCH_MAX).await.is_empty(), "a disabled subscription's events wait");
    let enabled = bots.update_subscription(first.id, &on).await.unwrap().unwrap();
    assert!(enabled.enabled && enabled.disabled_at_ms.is_none());
    assert_eq!(claim(&w, T0 + 3, BATCH_MAX).await.len(), 2, "enabled again: due at once, held by no one");

    // Deleted: the subscription and its events are gone; what a sender reports of them is
    // ignored.
    assert!(bots.delete_subscription(first.id).await.unwrap());
    assert!(!bots.delete_subscription(first.id).await.unwrap(), "once");
    assert!(bots.subscription(first.id).await.unwrap().is_none());
    let listed: Vec<i64> = bots.subscriptions(ops.id).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, [second.id]);
    assert!(claim(&w, T0 + 100 * LEASE_MS, BATCH_MAX).await.is_empty(), "its events went with it");
    bots.webhook_delivered(first.id, &c1_ids, T0 + 4).await.unwrap();
    let failed = bots.webhook_failed(first.id, &c1_ids, "gone", T0 + MIN, T0 + 4, FAILURES_MAX).await.unwrap();
    assert_eq!((failed.subscription, failed.disabled_now), (None, false));
    assert_eq!(enqueue(&w, &events(&first, c1, 4..=4), T0 + 5).await, 0, "nothing written for it");
    assert_eq!(get(&w, &second).await, second, "the other one untouched");
}

/// An event is written once, whether it still waits or was delivered; past its bound a
/// subscription gets no more, each one it did not get counted as dropped (not one it had).
pub async fn events_are_written_once_and_bounded<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let (a, b) = (subscribe(&w, &ops, "a").await, subscribe(&w, &ops, "b").await);
    let bots = &w.stores.bots;
    let c = ConversationId(7);
    let twice = [event(&a, c, 1), event(&a, c, 2), event(&a, c, 1)];
    assert_eq!(enqueue(&w, &twice, T0).await, 2, "one of the same event in a call");
    assert_eq!(enqueue(&w, &events(&a, c, 1..=2), T0).await, 0, "nor again while it waits");
    assert_eq!(get(&w, &a).await.pending, 2);
    let claimed = claim(&w, T0, BATCH_MAX).await;
    assert_eq!(streams(&claimed), [(a.id, c, vec![1, 2])]);
    bots.webhook_delivered(a.id, &ids(&claimed[0]), T0 + 1).await.unwrap();
    assert_eq!(get(&w, &a).await.pending, 0);
    assert_eq!(enqueue(&w, &events(&a, c, 1..=2), T0 + 2).await, 0, "nor once delivered");
    assert_eq!(get(&w, &a).await.pending, 0);

    // The bound: a with 3 free places, b with all of them, in one call.
    let mut mixed = events(&a, c, 3..=7);
    mixed.extend(events(&b, c, 1..=2));
    assert_eq!(bots.enqueue_webhook_events(&mixed, T0 + 3, 3).await.unwrap(), 5);
    let (a_now, b_now) = (get(&w, &a).await, get(&w, &b).await);
    assert_eq!((a_now.pending, a_now.dropped), (3, 2), "the first three written, the other two dropped");
    assert_eq!((b_now.pending, b_now.dropped), (2, 0), "per subscription");
    // Full: a waiting one is had, not dropped; a new one is dropped.
    let again = [event(&a, c, 3), event(&a, c, 8)];
    assert_eq!(bots.enqueue_webhook_events(&again, T0 + 4, 3).await.unwrap(), 0);
    assert_eq!(get(&w, &a).await.dropped, 3);
    let claimed = claim(&w, T0 + 5, BATCH_MAX).await;
    assert_eq!(streams(&claimed), [(a.id, c, vec![3, 4, 5]), (b.id, c, vec![1, 2])], "what was dropped is not there");
    bots.webhook_delivered(a.id, &ids(&claimed[0]), T0 + 6).await.unwrap();
    assert_eq!(bots.enqueue_webhook_events(&events(&a, c, 8..=8), T0 + 7, 3).await.unwrap(), 1, "room again");
    let a_now = get(&w, &a).await;
    assert_eq!((a_now.pending, a_now.dropped), (1, 3));
}

/// A stream is claimed from its first waiting event, at most a batch at a time in seq order,
/// and while that is held (until its hold runs out) nothing more of it is; streams go side by
/// side, the one written first first; a stream whose first event is not due is left alone,
/// and so are disabled subscriptions'.
pub async fn streams_are_claimed_in_order_by_one_holder_at_a_time<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let bots = &w.stores.bots;
    let (a, off) = (subscribe(&w, &ops, "a").await, subscribe(&w, &ops, "off").await);
    let (c1, c2, c3) = (ConversationId(1), ConversationId(2), ConversationId(3));
    // Written in this order: c2's first, then c1's, then off's.
    assert_eq!(enqueue(&w, &events(&a, c2, 1..=2), T0).await, 2);
    assert_eq!(enqueue(&w, &[events(&a, c1, 1..=5), events(&off, c1, 1..=1)].concat(), T0).await, 6);
    let disable = SubscriptionPatch { enabled: Some(false), ..SubscriptionPatch::default() };
    bots.update_subscription(off.id, &disable).await.unwrap();
    assert!(claim(&w, T0 - 1, 3).await.is_empty(), "nothing due before it was written");

    let first = claim(&w, T0, 3).await;
    assert_eq!(streams(&first), [(a.id, c2, vec![1, 2]), (a.id, c1, vec![1, 2, 3])], "by their first events");
    assert!(first.iter().all(|b| b.url == a.url && b.secret == "secret of a" && b.bot == ops.id));
    assert!(first.iter().flat_map(|b| &b.events).all(|e| e.kind == EventKind::Message && e.attempts == 0));
    // Held: c1's 4 and 5 are not, but its first waiting event is.
    assert!(claim(&w, T0 + 1, 3).await.is_empty(), "a held stream is not claimed again");
    assert!(claim(&w, T0 + LEASE_MS - 1, 3).await.is_empty(), "until its hold runs out");
    // c1's batch delivered: its next one goes at once; c2's hold runs out, and it goes again.
    bots.webhook_delivered(a.id, &ids(&first[1]), T0 + 2).await.unwrap();
    let next = claim(&w, T0 + 3, 3).await;
    assert_eq!(streams(&next), [(a.id, c1, vec![4, 5])]);
    let retaken = claim(&w, T0 + LEASE_MS, 3).await;
    assert_eq!(streams(&retaken), [(a.id, c2, vec![1, 2])], "a hold that ran out (its node died)");
    assert_eq!(retaken[0].events.iter().map(|e| e.attempts).collect::<Vec<_>>(), [0, 0], "not a failed attempt");

    // c2 fails: not due before its retry, and events written meanwhile wait behind it.
    let failed = bots.webhook_failed(a.id, &ids(&retaken[0]), "503", T0 + 10 * MIN, T0 + LEASE_MS, 5).await.unwrap();
    assert!(!failed.disabled_now);
    bots.webhook_delivered(a.id, &ids(&next[0]), T0 + LEASE_MS).await.unwrap();
    assert_eq!(enqueue(&w, &events(&a, c2, 3..=3), T0 + 2 * MIN).await, 1);
    assert_eq!(enqueue(&w, &events(&a, c3, 1..=1), T0 + 2 * MIN).await, 1);
    let side = claim(&w, T0 + 3 * MIN, 3).await;
    assert_eq!(streams(&side), [(a.id, c3, vec![1])], "c2's first event is not due, so none of c2 is");
    bots.webhook_delivered(a.id, &ids(&side[0]), T0 + 3 * MIN).await.unwrap();
    let retry = claim(&w, T0 + 10 * MIN, 3).await;
    assert_eq!(streams(&retry), [(a.id, c2, vec![1, 2, 3])]);
    assert_eq!(retry[0].events.iter().map(|e| e.attempts).collect::<Vec<_>>(), [1, 1, 0]);

    // At most `streams_max` streams, the earliest first.
    bots.webhook_delivered(a.id, &ids(&retry[0]), T0 + 10 * MIN).await.unwrap();
    for conversation in [c3, c1, c2] {
        assert_eq!(enqueue(&w, &events(&a, conversation, 10..=11), T0 + 11 * MIN).await, 2);
    }
    let two = bots.claim_webhook_events(T0 + 11 * MIN, LEASE_MS, 2, 1).await.unwrap();
    assert_eq!(streams(&two), [(a.id, c3, vec![10]), (a.id, c1, vec![10])]);
    assert!(bots.claim_webhook_events(T0 + 11 * MIN, LEASE_MS, 0, 1).await.unwrap().is_empty());
    assert_eq!(get(&w, &a).await.pending, 6);
    assert_eq!(get(&w, &off).await.pending, 1, "the disabled one's event still waits");
}

/// Claims racing from several tasks (as nodes do) never hold events of one stream at once:
/// each stream's events are handed out once, in seq order, each batch after the one before
/// it was delivered.
pub async fn racing_claims_never_hold_one_stream<F: StoreFactory>(f: &F) {
    const CLAIMERS: usize = 6;
    const STREAMS: i64 = 12;
    const PER_STREAM: i64 = 9;
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let (a, b) = (subscribe(&w, &ops, "a").await, subscribe(&w, &ops, "b").await);
    let mut all = vec![];
    for conversation in 1..=STREAMS / 2 {
        for subscription in [&a, &b] {
            all.extend(events(subscription, ConversationId(conversation), 1..=PER_STREAM));
        }
    }
    assert_eq!(enqueue(&w, &all, T0).await, u64::try_from(all.len()).unwrap());
    let total = all.len();

    // A stream: (subscription, conversation).
    type Stream = (i64, ConversationId);
    let held: Arc<Mutex<HashSet<Stream>>> = Arc::default();
    let handed: Arc<Mutex<BTreeMap<Stream, Vec<i64>>>> = Arc::default();
    let delivered = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(CLAIMERS));
    let mut tasks = vec![];
    for _ in 0..CLAIMERS {
        let (bots, held, handed, delivered, start) =
            (w.stores.bots.clone(), held.clone(), handed.clone(), delivered.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            while delivered.load(Ordering::SeqCst) < total {
                // One clock for all: only the holds keep the claimers apart.
                let batches = bots.claim_webhook_events(T0, 10 * LEASE_MS, 3, 2).await.unwrap();
                if batches.is_empty() {
                    tokio::task::yield_now().await;
                }
                for batch in batches {
                    let stream = (batch.subscription, batch.conversation);
                    assert!(held.lock().unwrap().insert(stream), "{stream:?} held by two claims at once");
                    handed.lock().unwrap().entry(stream).or_default().extend(batch.events.iter().map(|e| e.seq.0));
                    // Let go before the store does: no claim takes it until delivery commits.
                    held.lock().unwrap().remove(&stream);
                    bots.webhook_delivered(batch.subscription, &ids(&batch), T0).await.unwrap();
                    delivered.fetch_add(batch.events.len(), Ordering::SeqCst);
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let handed = handed.lock().unwrap().clone();
    assert_eq!(handed.len(), usize::try_from(STREAMS).unwrap());
    for (stream, seqs) in handed {
        assert_eq!(seqs, (1..=PER_STREAM).collect::<Vec<_>>(), "{stream:?}: each event once, in order");
    }
    assert_eq!(delivered.load(Ordering::SeqCst), total);
    assert_eq!((get(&w, &a).await.pending, get(&w, &b).await.pending), (0, 0));
    assert!(w.stores.bots.claim_webhook_events(T0 + 100 * LEASE_MS, LEASE_MS, 10, 10).await.unwrap().is_empty());
}

/// A failed request counts against the budget: its events are tried again later and counted;
/// at the budget the subscription is disabled, once; a delivery clears the failures.
pub async fn failures_disable_once_and_a_delivery_resets_them<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let a = subscribe(&w, &ops, "a").await;
    let bots = &w.stores.bots;
    let (c1, c2) = (ConversationId(1), ConversationId(2));
    assert_eq!(enqueue(&w, &[events(&a, c1, 1..=2), events(&a, c2, 1..=1)].concat(), T0).await, 3);
    let claimed = claim(&w, T0, BATCH_MAX).await;
    let (one, two) = (ids(&claimed[0]), ids(&claimed[1]));

    // Retried before c2's hold runs out, so that c2 stays out of the way.
    let retry_at = T0 + LEASE_MS / 2;
    let failed = bots.webhook_failed(a.id, &one, "HTTP 503", retry_at, T0 + 1, FAILURES_MAX).await.unwrap();
    assert!(!failed.disabled_now);
    let after = failed.subscription.unwrap();
    assert_eq!((after.failures, after.last_error.as_deref(), after.enabled), (1, Some("HTTP 503"), true));
    assert_eq!((after.last_success_ms, after.pending), (None, 3));
    assert!(claim(&w, retry_at - 1, BATCH_MAX).await.is_empty(), "not before its retry");
    let retry = claim(&w, retry_at, BATCH_MAX).await;
    assert_eq!(streams(&retry), [(a.id, c1, vec![1, 2])]);
    assert_eq!(retry[0].events.iter().map(|e| e.attempts).collect::<Vec<_>>(), [1, 1]);

    let failed = bots.webhook_failed(a.id, &one, "timed out", T0 + 3 * MIN, T0 + MIN, FAILURES_MAX).await.unwrap();
    assert_eq!(failed.subscription.unwrap().failures, 2);
    // c2's request went through meanwhile.
    bots.webhook_delivered(a.id, &two, T0 + MIN + 1).await.unwrap();
    let after = get(&w, &a).await;
    assert_eq!((after.failures, after.last_error, after.last_success_ms), (0, None, Some(T0 + MIN + 1)));
    assert_eq!(after.pending, 2);

    // Three in a row spend the budget: the third disables it, and only the third says so.
    let mut told = vec![];
    for n in 1..=3 {
        let batch = claim(&w, T0 + 10 * n * MIN, BATCH_MAX).await;
        assert_eq!(streams(&batch), [(a.id, c1, vec![1, 2])]);
        let now = T0 + 10 * n * MIN + 1;
        let failed = bots.webhook_failed(a.id, &one, "refused", now + MIN, now, FAILURES_MAX).await.unwrap();
        told.push(failed.disabled_now);
        let s = failed.subscription.unwrap();
        assert_eq!(s.failures, u32::try_from(n).unwrap());
        assert_eq!(s.enabled, n < 3);
        assert_eq!(s.disabled_at_ms, (n == 3).then_some(now));
    }
    assert_eq!(told, [false, false, true], "disabled exactly once");
    // A request that was in flight fails too: no second telling, the first time kept.
    let late = bots.webhook_failed(a.id, &one, "late", T0 + 50 * MIN, T0 + 40 * MIN, FAILURES_MAX).await.unwrap();
    assert!(!late.disabled_now);
    let s = late.subscription.unwrap();
    assert_eq!((s.failures, s.enabled, s.disabled_at_ms), (4, false, Some(T0 + 30 * MIN + 1)));
    assert!(claim(&w, T0 + 100 * MIN, BATCH_MAX).await.is_empty(), "disabled: nothing claimed");
    assert_eq!(get(&w, &a).await.pending, 2, "what waited still waits");
}

/// The subscribers of conversations are the enabled subscriptions of bots that are active
/// members of them, once per conversation, with their waiting events.
pub async fn subscribers_are_enabled_subscriptions_of_member_bots<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ann = w.account("ann").await;
    let (ops, helper, stranger) = (bot(&w, "ops").await, bot(&w, "helper").await, bot(&w, "stranger").await);
    let g1 = w.group(&ann, &[&ops, &helper]).await.id;
    let g2 = w.group(&ann, &[&ops]).await.id;
    let g3 = w.group(&ann, &[&helper]).await.id;
    let (ops_on, ops_off) = (subscribe(&w, &ops, "ops-on").await, subscribe(&w, &ops, "ops-off").await);
    let helper_on = subscribe(&w, &helper, "helper").await;
    let off = SubscriptionPatch { enabled: Some(false), ..SubscriptionPatch::default() };
    w.stores.bots.update_subscription(ops_off.id, &off).await.unwrap();
    assert_eq!(enqueue(&w, &events(&ops_on, g1, 2..=3), T0).await, 2);
    subscribe(&w, &stranger, "stranger").await;

    let listed = |found: Vec<(ConversationId, Subscription)>| -> Vec<(ConversationId, i64, u64)> {
        let mut out: Vec<_> = found.into_iter().map(|(c, s)| (c, s.id, s.pending)).collect();
        out.sort();
        out
    };
    let mut want = vec![(g1, ops_on.id, 2), (g1, helper_on.id, 0), (g2, ops_on.id, 2)];
    want.sort();
    let found = w.stores.bots.webhook_subscribers(&[g1, g2]).await.unwrap();
    assert!(found.iter().all(|(_, s)| s.enabled), "only enabled ones");
    assert_eq!(listed(found), want, "not the disabled one, nor the stranger's, whose bot is in neither");
    assert_eq!(listed(w.stores.bots.webhook_subscribers(&[g3]).await.unwrap()), [(g3, helper_on.id, 0)]);
    assert!(w.stores.bots.webhook_subscribers(&[]).await.unwrap().is_empty());

    // A bot that left is no subscriber of that conversation any more.
    w.remove(g1, &ann, &[&helper]).await;
    let mut want = vec![(g1, ops_on.id, 2), (g2, ops_on.id, 2)];
    want.sort();
    assert_eq!(listed(w.stores.bots.webhook_subscribers(&[g1, g2]).await.unwrap()), want);
    assert_eq!(listed(w.stores.bots.webhook_subscribers(&[g3]).await.unwrap()), [(g3, helper_on.id, 0)]);
}

/// Pruning forgets delivered events delivered before the time given, and only those: an event
/// forgotten may be written again, one kept may not, and waiting ones stay.
pub async fn delivered_events_are_pruned<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let a = subscribe(&w, &ops, "a").await;
    let bots = &w.stores.bots;
    let (c1, c2) = (ConversationId(1), ConversationId(2));
    assert_eq!(enqueue(&w, &[events(&a, c1, 1..=1), events(&a, c2, 1..=2)].concat(), T0).await, 3);
    let claimed = bots.claim_webhook_events(T0, LEASE_MS, STREAMS_MAX, 1).await.unwrap();
    assert_eq!(streams(&claimed), [(a.id, c1, vec![1]), (a.id, c2, vec![1])]);
    bots.webhook_delivered(a.id, &ids(&claimed[0]), T0 + 10).await.unwrap();
    bots.webhook_delivered(a.id, &ids(&claimed[1]), T0 + 20).await.unwrap();
    assert_eq!(bots.prune_webhook_events(T0 + 10, 100).await.unwrap(), 0, "delivered at, not before");
    assert_eq!(bots.prune_webhook_events(T0 + 11, 100).await.unwrap(), 1);
    assert_eq!(bots.prune_webhook_events(T0 + 11, 100).await.unwrap(), 0);
    assert_eq!(enqueue(&w, &events(&a, c1, 1..=1), T0 + 30).await, 1, "forgotten: written again");
    assert_eq!(enqueue(&w, &events(&a, c2, 1..=1), T0 + 30).await, 0, "kept: not written again");
    // At most `limit` at once, the oldest first.
    let (c3, c4) = (ConversationId(3), ConversationId(4));
    assert_eq!(enqueue(&w, &[events(&a, c3, 1..=1), events(&a, c4, 1..=1)].concat(), T0 + 40).await, 2);
    let got = bots.claim_webhook_events(T0 + 40, LEASE_MS, STREAMS_MAX, 1).await.unwrap();
    for (c, at) in [(c3, T0 + 50), (c4, T0 + 60)] {
        let mine = got.iter().find(|b| b.conversation == c).expect("its stream");
        bots.webhook_delivered(a.id, &ids(mine), at).await.unwrap();
    }
    assert_eq!(bots.prune_webhook_events(T0 + 1_000, 2).await.unwrap(), 2, "c2's and c3's, delivered first");
    assert_eq!(enqueue(&w, &events(&a, c4, 1..=1), T0 + 70).await, 0, "c4's is still kept");
    assert_eq!(bots.prune_webhook_events(T0 + 1_000, 100).await.unwrap(), 1, "the delivered one, not the waiting ones");
    assert_eq!(get(&w, &a).await.pending, 2);
    // (c1's and c2's heads were held by the claim above.)
    let rest = claim(&w, T0 + 40 + LEASE_MS, BATCH_MAX).await;
    assert_eq!(streams(&rest), [(a.id, c2, vec![2]), (a.id, c1, vec![1])]);
}

/// Outcomes of many requests are written at once, one after another as given: a delivery and
/// then a failure of one subscription leave it failing once, with its last success; a
/// subscription whose failures reach the bound is disabled and answered once; another
/// subscription's events named in an outcome are left as they are.
pub async fn outcomes_of_many_requests_are_written_at_once<F: StoreFactory>(f: &F) {
    use magpie_core::webhooks::{Retry, WebhookOutcome};
    let w = World::new(f).await;
    let ops = bot(&w, "ops").await;
    let (a, b) = (subscribe(&w, &ops, "a").await, subscribe(&w, &ops, "b").await);
    let bots = &w.stores.bots;
    let (c1, c2) = (ConversationId(1), ConversationId(2));
    let all = [events(&a, c1, 1..=2), events(&a, c2, 1..=1), events(&b, c1, 1..=1)].concat();
    assert_eq!(enqueue(&w, &all, T0).await, 4);
    // b failed once before.
    let before = claim(&w, T0, BATCH_MAX).await;
    let b_batch = before.iter().find(|x| x.subscription == b.id).unwrap();
    bots.webhook_failed(b.id, &ids(b_batch), "first", T0 + 1, T0, 2).await.unwrap();
    let a_batches: Vec<&WebhookBatch> = before.iter().filter(|x| x.subscription == a.id).collect();
    let a_c1 = a_batches.iter().find(|x| x.conversation == c1).unwrap();
    let a_c2 = a_batches.iter().find(|x| x.conversation == c2).unwrap();
    let b_again = claim(&w, T0 + 1, BATCH_MAX).await;
    assert_eq!(streams(&b_again), [(b.id, c1, vec![1])]);

    let retry = |error: &str, at| Err(Retry { error: error.into(), retry_at_ms: at });
    let outcomes = [
        // Another subscription's events named by mistake: not a's to deliver.
        WebhookOutcome { subscription: a.id, events: ids(&b_again[0]), result: Ok(()) },
        WebhookOutcome { subscription: a.id, events: ids(a_c1), result: Ok(()) },
        WebhookOutcome { subscription: a.id, events: ids(a_c2), result: retry("503", T0 + 100) },
        WebhookOutcome { subscription: b.id, events: ids(&b_again[0]), result: retry("second", T0 + 100) },
    ];
    let disabled = bots.webhook_outcomes(&outcomes, T0 + 2, 2).await.unwrap();
    assert_eq!(disabled.iter().map(|s| (s.id, s.enabled)).collect::<Vec<_>>(), [(b.id, false)], "b, once");
    assert_eq!(disabled[0].disabled_at_ms, Some(T0 + 2));

    let a_now = get(&w, &a).await;
    assert_eq!((a_now.failures, a_now.last_error.as_deref()), (1, Some("503")), "the failure came last");
    assert_eq!((a_now.last_success_ms, a_now.pending, a_now.enabled), (Some(T0 + 2), 1, true));
    let b_now = get(&w, &b).await;
    assert_eq!((b_now.failures, b_now.pending, b_now.last_error.as_deref()), (2, 1, Some("second")));
    // a's failed stream is due at its retry; b's is parked while b is disabled.
    assert!(claim(&w, T0 + 99, BATCH_MAX).await.is_empty());
    assert_eq!(streams(&claim(&w, T0 + 100, BATCH_MAX).await), [(a.id, c2, vec![1])]);
    let patch = SubscriptionPatch { enabled: Some(true), ..SubscriptionPatch::default() };
    bots.update_subscription(b.id, &patch).await.unwrap();
    assert_eq!(streams(&claim(&w, T0 + 101, BATCH_MAX).await), [(b.id, c1, vec![1])], "nothing of b was delivered");
}
