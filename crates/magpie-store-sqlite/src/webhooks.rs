//! Outgoing webhooks' rows (magpie_core::webhooks): bots' subscriptions, their events, and one
//! row per stream (a subscription's waiting events in one conversation) that every write of
//! those events keeps right (`webhook_streams`, see migration 0033), so that a claim reads the
//! streams it may take rather than every waiting event. A subscription counts its waiting
//! events itself (`pending`), in the writes that add and deliver them, so that the bound on
//! them costs no count of a backlog. The single writer makes each claim whole: no two claims
//! hold events of one stream. The [`BotStore`](magpie_core::ports::BotStore) methods in
//! `bots.rs` call these.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use magpie_core::model::{AccountId, ConversationId, DomainId, Seq};
use magpie_core::webhooks::{
    EventKind, NewSubscription, NewWebhookEvent, Retry, Subscription, SubscriptionPatch, WebhookBatch, WebhookEvent,
    WebhookOutcome,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult};

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.bot_id, s.domain_id, s.url, s.events, s.enabled, s.failures, \
     s.last_error, s.last_success_ms, s.disabled_at_ms, s.pending, s.dropped, s.created_at_ms";

/// The kinds as stored: their names, comma-separated.
fn kinds_text(kinds: &[EventKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
}

fn kinds_from_text(text: &str, col: usize) -> rusqlite::Result<Vec<EventKind>> {
    if text.is_empty() {
        return Ok(vec![]);
    }
    text.split(',').map(|k| EventKind::parse(k).ok_or_else(|| corrupt(col, "webhook event kind"))).collect()
}

fn count(r: &Row<'_>, col: usize) -> rusqlite::Result<u64> {
    u64::try_from(r.get::<_, i64>(col)?).map_err(|_| corrupt(col, "count"))
}

/// A subscription from [`SUBSCRIPTION_COLUMNS`] at the start of `r`.
fn subscription_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Subscription> {
    let events: String = r.get(at + 4)?;
    Ok(Subscription {
        id: r.get(at)?,
        bot: AccountId(r.get(at + 1)?),
        domain: DomainId(r.get(at + 2)?),
        url: r.get(at + 3)?,
        events: kinds_from_text(&events, at + 4)?,
        enabled: r.get(at + 5)?,
        failures: u32::try_from(r.get::<_, i64>(at + 6)?).map_err(|_| corrupt(at + 6, "failure count"))?,
        last_error: r.get(at + 7)?,
        last_success_ms: r.get(at + 8)?,
        disabled_at_ms: r.get(at + 9)?,
        pending: count(r, at + 10)?,
        dropped: count(r, at + 11)?,
        created_at_ms: r.get(at + 12)?,
    })
}

fn read_subscription(c: &Connection, id: i64) -> rusqlite::Result<Option<Subscription>> {
    c.prepare_cached(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s WHERE s.id = ?1"))?
        .query_row([id], |r| subscription_from_row(r, 0))
        .optional()
}

/// Puts the row of one stream right after a write of its events: its first waiting event and
/// when it may next be claimed (the later of that event's due time and hold; never while the
/// subscription is disabled), or no row once nothing waits.
fn refresh_stream(c: &Connection, subscription: i64, conversation: i64) -> rusqlite::Result<()> {
    let head: Option<(i64, Option<i64>)> = c
        .prepare_cached(
            "SELECT e.id, CASE WHEN s.enabled = 1 THEN max(e.due_ms, e.leased_until_ms) END \
             FROM webhook_events e JOIN bot_subscriptions s ON s.id = e.subscription_id \
             WHERE e.subscription_id = ?1 AND e.conversation_id = ?2 AND e.delivered_at_ms IS NULL \
             ORDER BY e.seq LIMIT 1",
        )?
        .query_row(params![subscription, conversation], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match head {
        Some((head, ready)) => c
            .prepare_cached(
                "INSERT INTO webhook_streams (subscription_id, conversation_id, head_id, ready_ms) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (subscription_id, conversation_id) DO UPDATE \
                 SET head_id = excluded.head_id, ready_ms = excluded.ready_ms \
                 WHERE head_id IS NOT excluded.head_id OR ready_ms IS NOT excluded.ready_ms",
            )?
            .execute(params![subscription, conversation, head, ready])?,
        None => c
            .prepare_cached("DELETE FROM webhook_streams WHERE subscription_id = ?1 AND conversation_id = ?2")?
            .execute(params![subscription, conversation])?,
    };
    Ok(())
}

pub(crate) async fn create_subscription(
    store: &SqliteStore,
    new: &NewSubscription,
    per_bot_max: usize,
) -> StoreResult<Option<Subscription>> {
    let new = new.clone();
    let max = i64::try_from(per_bot_max).unwrap_or(i64::MAX);
    store
        .write(move |tx| {
            let have: i64 = tx
                .prepare_cached("SELECT count(*) FROM bot_subscriptions WHERE bot_id = ?1")?
                .query_row([new.bot.0], |r| r.get(0))?;
            if have >= max {
                return Ok(None);
            }
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO bot_subscriptions (bot_id, domain_id, url, secret, events, created_at_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                )?
                .query_row(
                    params![new.bot.0, new.domain.0, new.url, new.secret, kinds_text(&new.events), new.created_at_ms],
                    |r| r.get(0),
                )?;
            Ok(Some(Subscription {
                id,
                bot: new.bot,
                domain: new.domain,
                url: new.url,
                events: new.events,
                enabled: true,
                failures: 0,
                last_error: None,
                last_success_ms: None,
                disabled_at_ms: None,
                pending: 0,
                dropped: 0,
                created_at_ms: new.created_at_ms,
            }))
        })
        .await
}

pub(crate) async fn subscriptions(store: &SqliteStore, bot: AccountId) -> StoreResult<Vec<Subscription>> {
    store
        .read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s WHERE s.bot_id = ?1 ORDER BY s.id"
            ))?
            .query_map([bot.0], |r| subscription_from_row(r, 0))?
            .collect()
        })
        .await
}

pub(crate) async fn subscription(store: &SqliteStore, id: i64) -> StoreResult<Option<Subscription>> {
    store.read(move |c| read_subscription(c, id)).await
}

pub(crate) async fn subscription_secret(store: &SqliteStore, id: i64) -> StoreResult<Option<String>> {
    store
        .read(move |c| {
            c.prepare_cached("SELECT secret FROM bot_subscriptions WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()
        })
        .await
}

pub(crate) async fn update_subscription(
    store: &SqliteStore,
    id: i64,
    patch: &SubscriptionPatch,
) -> StoreResult<Option<Subscription>> {
    let patch = patch.clone();
    store
        .write(move |tx| {
            let Some(before) = read_subscription(tx, id)? else { return Ok(None) };
            tx.prepare_cached(
                "UPDATE bot_subscriptions SET url = coalesce(?2, url), secret = coalesce(?3, secret), \
                   events = coalesce(?4, events) WHERE id = ?1",
            )?
            .execute(params![id, patch.url, patch.secret, patch.events.as_deref().map(kinds_text)])?;
            match patch.enabled {
                Some(true) if !before.enabled => {
                    // A fresh start: what waited goes at once, in order.
                    tx.prepare_cached(
                        "UPDATE bot_subscriptions SET enabled = 1, failures = 0, last_error = NULL, \
                           disabled_at_ms = NULL WHERE id = ?1",
                    )?
                    .execute([id])?;
                    tx.prepare_cached(
                        "UPDATE webhook_events SET due_ms = 0, leased_until_ms = 0 \
                         WHERE subscription_id = ?1 AND delivered_at_ms IS NULL",
                    )?
                    .execute([id])?;
                    tx.prepare_cached("UPDATE webhook_streams SET ready_ms = 0 WHERE subscription_id = ?1")?
                        .execute([id])?;
                }
                Some(false) if before.enabled => {
                    // By a person: no `disabled_at_ms`, which tells the failure budget's doing.
                    tx.prepare_cached("UPDATE bot_subscriptions SET enabled = 0 WHERE id = ?1")?.execute([id])?;
                    tx.prepare_cached("UPDATE webhook_streams SET ready_ms = NULL WHERE subscription_id = ?1")?
                        .execute([id])?;
                }
                _ => {}
            }
            read_subscription(tx, id)
        })
        .await
}

pub(crate) async fn delete_subscription(store: &SqliteStore, id: i64) -> StoreResult<bool> {
    store
        .write(move |tx| {
            tx.prepare_cached("DELETE FROM webhook_streams WHERE subscription_id = ?1")?.execute([id])?;
            tx.prepare_cached("DELETE FROM webhook_events WHERE subscription_id = ?1")?.execute([id])?;
            Ok(tx.prepare_cached("DELETE FROM bot_subscriptions WHERE id = ?1")?.execute([id])? > 0)
        })
        .await
}

pub(crate) async fn webhook_subscribers(
    store: &SqliteStore,
    conversations: &[ConversationId],
) -> StoreResult<Vec<(ConversationId, Subscription)>> {
    let ids = crate::chat::to_json(&conversations.iter().map(|c| c.0).collect::<Vec<_>>())
        .map_err(|e| crate::store_error(&e))?;
    store
        .read(move |c| {
            // From the enabled subscriptions (few) to their bots' memberships, one key lookup
            // per subscription and conversation, rather than through every member of the
            // conversations (a large group has thousands).
            c.prepare_cached(&format!(
                "SELECT j.value, {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s CROSS JOIN json_each(?1) j \
                 CROSS JOIN members m ON m.conversation_id = j.value AND m.account_id = s.bot_id \
                 WHERE s.enabled = 1 AND m.left_seq IS NULL ORDER BY j.value, s.id"
            ))?
            .query_map([ids], |r| Ok((ConversationId(r.get(0)?), subscription_from_row(r, 1)?)))?
            .collect()
        })
        .await
}

/// What one enqueue knows of a subscription: its waiting events as the call goes, and what
/// the call added and dropped.
struct Room {
    pending: i64,
    added: i64,
    dropped: i64,
}

pub(crate) async fn enqueue_webhook_events(
    store: &SqliteStore,
    events: &[NewWebhookEvent],
    now_ms: i64,
    pending_max: usize,
) -> StoreResult<u64> {
    let events = events.to_vec();
    let max = i64::try_from(pending_max).unwrap_or(i64::MAX);
    store
        .write_background(move |tx| {
            let mut pending = tx.prepare_cached("SELECT pending FROM bot_subscriptions WHERE id = ?1")?;
            let mut had = tx.prepare_cached(
                "SELECT 1 FROM webhook_events WHERE subscription_id = ?1 AND conversation_id = ?2 AND seq = ?3",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO webhook_events (subscription_id, conversation_id, seq, kind, due_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subscription_id, conversation_id, seq) DO NOTHING",
            )?;
            // `None`: the subscription is gone (deleted meanwhile), and so are its events.
            let mut rooms: BTreeMap<i64, Option<Room>> = BTreeMap::new();
            // Each stream this call added to, with the first event it added there.
            let mut streams: BTreeMap<(i64, i64), i64> = BTreeMap::new();
            let mut seen = HashSet::new();
            let mut written = 0_u64;
            for e in &events {
                // The same event twice in one call is one event.
                if !seen.insert((e.subscription, e.conversation.0, e.seq.0)) {
                    continue;
                }
                let room = match rooms.entry(e.subscription) {
                    Entry::Occupied(o) => o.into_mut(),
                    Entry::Vacant(v) => {
                        let found: Option<i64> = pending.query_row([e.subscription], |r| r.get(0)).optional()?;
                        v.insert(found.map(|pending| Room { pending, added: 0, dropped: 0 }))
                    }
                };
                let Some(room) = room else { continue };
                if room.pending >= max {
                    // One written before is had already, not dropped.
                    if !had.exists(params![e.subscription, e.conversation.0, e.seq.0])? {
                        room.dropped += 1;
                    }
                    continue;
                }
                if insert.execute(params![e.subscription, e.conversation.0, e.seq.0, e.kind.as_str(), now_ms])? > 0 {
                    room.pending += 1;
                    room.added += 1;
                    written += 1;
                    streams.entry((e.subscription, e.conversation.0)).or_insert_with(|| tx.last_insert_rowid());
                }
            }
            let mut count = tx.prepare_cached(
                "UPDATE bot_subscriptions SET pending = pending + ?2, dropped = dropped + ?3 WHERE id = ?1",
            )?;
            for (id, room) in &rooms {
                if let Some(room) = room.as_ref().filter(|r| r.added > 0 || r.dropped > 0) {
                    count.execute(params![id, room.added, room.dropped])?;
                }
            }
            // The follower writes a conversation's entries in seq order, so what this call added
            // comes after whatever waited: a stream that has a row keeps its head; one that had
            // none starts at the first event added, ready now (unless its subscription was
            // disabled meanwhile).
            let mut open = tx.prepare_cached(
                "INSERT INTO webhook_streams (subscription_id, conversation_id, head_id, ready_ms) \
                 SELECT ?1, ?2, ?3, CASE WHEN enabled = 1 THEN ?4 END FROM bot_subscriptions WHERE id = ?1 \
                 ON CONFLICT (subscription_id, conversation_id) DO NOTHING",
            )?;
            for ((subscription, conversation), head) in streams {
                open.execute(params![subscription, conversation, head, now_ms])?;
            }
            Ok(written)
        })
        .await
}

/// One waiting event as a claim reads it, with its due time and hold.
struct Waiting {
    event: WebhookEvent,
    due_ms: i64,
    leased_until_ms: i64,
}

pub(crate) async fn claim_webhook_events(
    store: &SqliteStore,
    now_ms: i64,
    lease_ms: i64,
    streams_max: usize,
    batch_max: usize,
) -> StoreResult<Vec<WebhookBatch>> {
    if streams_max == 0 || batch_max == 0 {
        return Ok(vec![]);
    }
    let streams_max = i64::try_from(streams_max).unwrap_or(i64::MAX);
    let batch_max = i64::try_from(batch_max).unwrap_or(i64::MAX);
    let until = now_ms.saturating_add(lease_ms);
    store
        .write_background(move |tx| {
            // The streams that may be claimed, by their first event's id: the index on
            // `ready_ms` holds only those of enabled subscriptions.
            let streams: Vec<(i64, i64, i64, String, String)> = tx
                .prepare_cached(
                    "SELECT st.subscription_id, st.conversation_id, s.bot_id, s.url, s.secret \
                     FROM webhook_streams st JOIN bot_subscriptions s ON s.id = st.subscription_id \
                     WHERE st.ready_ms <= ?1 AND s.enabled = 1 ORDER BY st.head_id LIMIT ?2",
                )?
                .query_map(params![now_ms, streams_max], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut first = tx.prepare_cached(
                "SELECT id, seq, kind, attempts, due_ms, leased_until_ms FROM webhook_events \
                 WHERE subscription_id = ?1 AND conversation_id = ?2 AND delivered_at_ms IS NULL \
                 ORDER BY seq LIMIT ?3",
            )?;
            let mut hold = tx.prepare_cached(
                "UPDATE webhook_events SET leased_until_ms = ?4 \
                 WHERE subscription_id = ?1 AND conversation_id = ?2 AND delivered_at_ms IS NULL AND seq <= ?3",
            )?;
            let mut set_stream = tx.prepare_cached(
                "UPDATE webhook_streams SET head_id = ?3, ready_ms = ?4 \
                 WHERE subscription_id = ?1 AND conversation_id = ?2",
            )?;
            let mut drop_stream =
                tx.prepare_cached("DELETE FROM webhook_streams WHERE subscription_id = ?1 AND conversation_id = ?2")?;
            let mut batches = Vec::with_capacity(streams.len());
            for (subscription, conversation, bot, url, secret) in streams {
                let waiting = first
                    .query_map(params![subscription, conversation, batch_max], |r| {
                        let kind: String = r.get(2)?;
                        Ok(Waiting {
                            event: WebhookEvent {
                                id: r.get(0)?,
                                seq: Seq(r.get(1)?),
                                kind: EventKind::parse(&kind).ok_or_else(|| corrupt(2, "webhook event kind"))?,
                                attempts: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(u32::MAX),
                            },
                            due_ms: r.get(4)?,
                            leased_until_ms: r.get(5)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let (Some(head), Some(last)) = (waiting.first(), waiting.last()) else {
                    // Kept right by every write, so not expected; but a stream row is only a
                    // guide, and the events are what counts.
                    drop_stream.execute(params![subscription, conversation])?;
                    continue;
                };
                if head.due_ms > now_ms || head.leased_until_ms > now_ms {
                    set_stream.execute(params![
                        subscription,
                        conversation,
                        head.event.id,
                        head.due_ms.max(head.leased_until_ms)
                    ])?;
                    continue;
                }
                hold.execute(params![subscription, conversation, last.event.seq.0, until])?;
                set_stream.execute(params![subscription, conversation, head.event.id, until])?;
                batches.push(WebhookBatch {
                    subscription,
                    bot: AccountId(bot),
                    url,
                    secret,
                    conversation: ConversationId(conversation),
                    events: waiting.into_iter().map(|w| w.event).collect(),
                });
            }
            Ok(batches)
        })
        .await
}

/// Marks `events` of `subscription` (those still waiting) with `set`, whose `?1` is the event
/// and `?2` the subscription; how many it marked, and their streams' conversations.
fn mark_events(
    c: &Connection,
    set: &str,
    subscription: i64,
    events: &[i64],
    value: i64,
) -> rusqlite::Result<(i64, BTreeSet<i64>)> {
    let mut mark = c.prepare_cached(&format!(
        "UPDATE webhook_events SET {set} WHERE id = ?1 AND subscription_id = ?2 AND delivered_at_ms IS NULL \
         RETURNING conversation_id"
    ))?;
    let mut marked = 0;
    let mut streams = BTreeSet::new();
    for id in events {
        if let Some(conversation) = mark.query_row(params![id, subscription, value], |r| r.get(0)).optional()? {
            marked += 1;
            streams.insert(conversation);
        }
    }
    Ok((marked, streams))
}

pub(crate) async fn webhook_outcomes(
    store: &SqliteStore,
    outcomes: &[WebhookOutcome],
    now_ms: i64,
    failures_max: u32,
) -> StoreResult<Vec<Subscription>> {
    let outcomes = outcomes.to_vec();
    store
        .write_background(move |tx| {
            let mut disabled = vec![];
            for outcome in &outcomes {
                let sub = outcome.subscription;
                match &outcome.result {
                    Ok(()) => delivered(tx, sub, &outcome.events, now_ms)?,
                    Err(retry) => {
                        if failed(tx, sub, &outcome.events, retry, now_ms, failures_max)? {
                            disabled.push(sub);
                        }
                    }
                }
            }
            disabled.into_iter().filter_map(|id| read_subscription(tx, id).transpose()).collect()
        })
        .await
}

/// One request's events delivered (see `webhook_outcomes`).
fn delivered(tx: &Connection, subscription: i64, events: &[i64], now_ms: i64) -> rusqlite::Result<()> {
    let (n, streams) = mark_events(tx, "delivered_at_ms = ?3, leased_until_ms = 0", subscription, events, now_ms)?;
    tx.prepare_cached(
        "UPDATE bot_subscriptions SET failures = 0, last_error = NULL, last_success_ms = ?2, \
           pending = pending - ?3 WHERE id = ?1",
    )?
    .execute(params![subscription, now_ms, n])?;
    for conversation in streams {
        refresh_stream(tx, subscription, conversation)?;
    }
    Ok(())
}

/// One request failed (see `webhook_outcomes`): whether this disabled its subscription.
fn failed(
    tx: &Connection,
    subscription: i64,
    events: &[i64],
    retry: &Retry,
    now_ms: i64,
    failures_max: u32,
) -> rusqlite::Result<bool> {
    let set = "leased_until_ms = 0, attempts = attempts + 1, due_ms = ?3";
    let (_, streams) = mark_events(tx, set, subscription, events, retry.retry_at_ms)?;
    let found: Option<(bool, i64)> = tx
        .prepare_cached("SELECT enabled, failures FROM bot_subscriptions WHERE id = ?1")?
        .query_row([subscription], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((enabled, failures)) = found else { return Ok(false) };
    let failures = failures.saturating_add(1);
    let disable = enabled && failures >= i64::from(failures_max);
    tx.prepare_cached("UPDATE bot_subscriptions SET failures = ?2, last_error = ?3 WHERE id = ?1")?
        .execute(params![subscription, failures, retry.error])?;
    if disable {
        tx.prepare_cached("UPDATE bot_subscriptions SET enabled = 0, disabled_at_ms = ?2 WHERE id = ?1")?
            .execute(params![subscription, now_ms])?;
        tx.prepare_cached("UPDATE webhook_streams SET ready_ms = NULL WHERE subscription_id = ?1")?
            .execute([subscription])?;
    }
    for conversation in streams {
        refresh_stream(tx, subscription, conversation)?;
    }
    Ok(disable)
}

pub(crate) async fn prune_webhook_events(store: &SqliteStore, before_ms: i64, limit: usize) -> StoreResult<u64> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .write_background(move |tx| {
            let gone = tx
                .prepare_cached(
                    "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events \
                     WHERE delivered_at_ms IS NOT NULL AND delivered_at_ms < ?1 ORDER BY delivered_at_ms LIMIT ?2)",
                )?
                .execute(rusqlite::params![before_ms, limit])?;
            Ok(u64::try_from(gone).unwrap_or(u64::MAX))
        })
        .await
}
