//! Outgoing webhooks' rows (magpie_core::webhooks): bots' subscriptions, their events, and one
//! row per stream (a subscription's waiting events in one conversation) that every write of
//! those events keeps right (`webhook_streams`, see migration 0027), so that a claim reads the
//! streams it may take rather than every waiting event. A subscription counts its waiting
//! events itself (`pending`), in the writes that add and deliver them, so that the bound on
//! them costs no count of a backlog. The [`BotStore`](magpie_core::ports::BotStore) methods in
//! `bots.rs` call these.
//!
//! **Locks.** Rows of streams are locked before the subscription's row, always: a claim locks
//! the stream rows it takes (`FOR UPDATE SKIP LOCKED`: nodes claiming at once take different
//! streams, and a claim waits for no one) and changes only their events; the other writes of
//! events lock the rows of the streams they touch first, then the subscription's row if they
//! need it. So two claims never hold one stream, and the hot writes (enqueue, claim, the
//! outcomes of requests) never wait for each other in a circle. An acknowledgement changes the subscription's
//! row last, holding it only to its commit: one subscription's acknowledgements all write it.
//! (A stream opened while a person enables or deletes the subscription may still close such a
//! circle with an acknowledgement; PostgreSQL breaks it, and `write_tx!` runs the loser again.)
//!
//! A stream row is put right by each write from what it sees with the stream locked; it can
//! only lag behind a claim or a disabling that committed meanwhile, which makes it say "ready"
//! too early, never too late: a claim checks the events under every row it takes (and its
//! subscription's being enabled), and puts the row right.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use deadpool_postgres::GenericClient;
use magpie_core::model::{AccountId, ConversationId, DomainId, Seq};
use magpie_core::webhooks::{
    EventKind, NewSubscription, NewWebhookEvent, Subscription, SubscriptionPatch, WebhookBatch, WebhookEvent,
    WebhookOutcome,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.bot_id, s.domain_id, s.url, s.events, s.enabled, s.failures, \
     s.last_error, s.last_success_ms, s.disabled_at_ms, s.pending, s.dropped, s.created_at_ms";

/// Runs a statement prepared once per connection; its rows.
async fn query(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> PgResult<Vec<Row>> {
    Ok(c.query(&c.prepare_cached(sql).await?, params).await?)
}

/// Runs a statement prepared once per connection; how many rows it changed.
async fn execute(c: &impl GenericClient, sql: &str, params: &[&(dyn ToSql + Sync)]) -> PgResult<u64> {
    Ok(c.execute(&c.prepare_cached(sql).await?, params).await?)
}

/// The kinds as stored: their names, comma-separated.
fn kinds_text(kinds: &[EventKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
}

fn kinds_from_text(text: &str) -> PgResult<Vec<EventKind>> {
    if text.is_empty() {
        return Ok(vec![]);
    }
    text.split(',').map(|k| EventKind::parse(k).ok_or_else(|| corrupt("webhook event kind"))).collect()
}

fn count(r: &Row, col: usize) -> PgResult<u64> {
    u64::try_from(r.try_get::<_, i64>(col)?).map_err(|_| corrupt("count"))
}

/// A subscription from [`SUBSCRIPTION_COLUMNS`] from `at` on.
fn subscription_from_row(r: &Row, at: usize) -> PgResult<Subscription> {
    let events: String = r.try_get(at + 4)?;
    Ok(Subscription {
        id: r.try_get(at)?,
        bot: AccountId(r.try_get(at + 1)?),
        domain: DomainId(r.try_get(at + 2)?),
        url: r.try_get(at + 3)?,
        events: kinds_from_text(&events)?,
        enabled: r.try_get(at + 5)?,
        failures: u32::try_from(r.try_get::<_, i64>(at + 6)?).map_err(|_| corrupt("failure count"))?,
        last_error: r.try_get(at + 7)?,
        last_success_ms: r.try_get(at + 8)?,
        disabled_at_ms: r.try_get(at + 9)?,
        pending: count(r, at + 10)?,
        dropped: count(r, at + 11)?,
        created_at_ms: r.try_get(at + 12)?,
    })
}

/// The subscription, locking its row for the transaction when `lock` (see the module's doc).
async fn read_subscription(c: &impl GenericClient, id: i64, lock: bool) -> PgResult<Option<Subscription>> {
    let sql = if lock {
        format!("SELECT {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s WHERE s.id = $1 FOR NO KEY UPDATE")
    } else {
        format!("SELECT {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s WHERE s.id = $1")
    };
    query(c, &sql, &[&id]).await?.first().map(|r| subscription_from_row(r, 0)).transpose()
}

/// Locks the rows of all the subscription's streams, in conversation order.
async fn lock_all_streams(c: &impl GenericClient, subscription: i64) -> PgResult<()> {
    query(
        c,
        "SELECT conversation_id FROM webhook_streams WHERE subscription_id = $1 ORDER BY conversation_id FOR UPDATE",
        &[&subscription],
    )
    .await?;
    Ok(())
}

/// Takes the subscription's streams out of the claims' way once it is disabled, those not
/// locked by another write (a row left behind says "ready" too early, which the claim's check
/// of the subscription covers).
async fn park_streams(c: &impl GenericClient, subscription: i64) -> PgResult<()> {
    execute(
        c,
        "UPDATE webhook_streams SET ready_ms = NULL WHERE subscription_id = $1 AND conversation_id IN ( \
           SELECT conversation_id FROM webhook_streams WHERE subscription_id = $1 AND ready_ms IS NOT NULL \
           FOR UPDATE SKIP LOCKED)",
        &[&subscription],
    )
    .await?;
    Ok(())
}

/// Puts the rows of these streams right after a write of their events: each one's first
/// waiting event and when it may next be claimed (the later of that event's due time and
/// hold; never while its subscription is disabled), or no row once nothing waits.
async fn refresh_streams(c: &impl GenericClient, subscriptions: &[i64], conversations: &[i64]) -> PgResult<()> {
    if subscriptions.is_empty() {
        return Ok(());
    }
    execute(
        c,
        "WITH s AS (SELECT DISTINCT sub, conv FROM unnest($1::bigint[], $2::bigint[]) AS u(sub, conv)), \
         heads AS ( \
           SELECT s.sub, s.conv, h.id, CASE WHEN b.enabled THEN GREATEST(h.due_ms, h.leased_until_ms) END AS ready \
           FROM s JOIN bot_subscriptions b ON b.id = s.sub \
           CROSS JOIN LATERAL ( \
             SELECT e.id, e.due_ms, e.leased_until_ms FROM webhook_events e \
             WHERE e.subscription_id = s.sub AND e.conversation_id = s.conv AND e.delivered_at_ms IS NULL \
             ORDER BY e.seq LIMIT 1) h), \
         gone AS ( \
           DELETE FROM webhook_streams w USING s \
           WHERE w.subscription_id = s.sub AND w.conversation_id = s.conv \
             AND NOT EXISTS (SELECT 1 FROM heads WHERE heads.sub = s.sub AND heads.conv = s.conv)) \
         INSERT INTO webhook_streams (subscription_id, conversation_id, head_id, ready_ms) \
         SELECT sub, conv, id, ready FROM heads ORDER BY sub, conv \
         ON CONFLICT (subscription_id, conversation_id) DO UPDATE \
         SET head_id = excluded.head_id, ready_ms = excluded.ready_ms \
         WHERE webhook_streams.head_id IS DISTINCT FROM excluded.head_id \
            OR webhook_streams.ready_ms IS DISTINCT FROM excluded.ready_ms",
        &[&subscriptions, &conversations],
    )
    .await?;
    Ok(())
}

pub(crate) async fn create_subscription(
    store: &PgStore,
    new: &NewSubscription,
    per_bot_max: usize,
) -> StoreResult<Option<Subscription>> {
    let max = i64::try_from(per_bot_max).unwrap_or(i64::MAX);
    let events = kinds_text(&new.events);
    write_tx!(store, |tx| {
        // One subscription of a bot at a time, so that two at once cannot pass the bound
        // together.
        execute(tx.c(), "SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE", &[&new.bot.0]).await?;
        let have: i64 = query(tx.c(), "SELECT count(*) FROM bot_subscriptions WHERE bot_id = $1", &[&new.bot.0])
            .await?
            .first()
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        if have >= max {
            None
        } else {
            let row = tx
                .c()
                .query_one(
                    "INSERT INTO bot_subscriptions (bot_id, domain_id, url, secret, events, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[&new.bot.0, &new.domain.0, &new.url, &new.secret, &events, &new.created_at_ms],
                )
                .await?;
            Some(Subscription {
                id: row.try_get(0)?,
                bot: new.bot,
                domain: new.domain,
                url: new.url.clone(),
                events: new.events.clone(),
                enabled: true,
                failures: 0,
                last_error: None,
                last_success_ms: None,
                disabled_at_ms: None,
                pending: 0,
                dropped: 0,
                created_at_ms: new.created_at_ms,
            })
        }
    })
}

pub(crate) async fn subscriptions(store: &PgStore, bot: AccountId) -> StoreResult<Vec<Subscription>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s WHERE s.bot_id = $1 ORDER BY s.id");
    read!(store, |c| {
        query(c, &sql, &[&bot.0]).await?.iter().map(|r| subscription_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
    })
}

pub(crate) async fn subscription(store: &PgStore, id: i64) -> StoreResult<Option<Subscription>> {
    read!(store, |c| read_subscription(c, id, false).await?)
}

pub(crate) async fn subscription_secret(store: &PgStore, id: i64) -> StoreResult<Option<String>> {
    read!(store, |c| {
        let rows = query(c, "SELECT secret FROM bot_subscriptions WHERE id = $1", &[&id]).await?;
        rows.first().map(|r| r.try_get::<_, String>(0)).transpose()?
    })
}

pub(crate) async fn update_subscription(
    store: &PgStore,
    id: i64,
    patch: &SubscriptionPatch,
) -> StoreResult<Option<Subscription>> {
    let events = patch.events.as_deref().map(kinds_text);
    write_tx!(store, |tx| {
        let c = tx.c();
        if patch.enabled == Some(true) {
            // Enabling changes every stream of it: their rows first (see the module's doc).
            lock_all_streams(c, id).await?;
        }
        match read_subscription(c, id, true).await? {
            None => None,
            Some(before) => {
                execute(
                    c,
                    "UPDATE bot_subscriptions SET url = coalesce($2, url), secret = coalesce($3, secret), \
                       events = coalesce($4, events) WHERE id = $1",
                    &[&id, &patch.url, &patch.secret, &events],
                )
                .await?;
                match patch.enabled {
                    Some(true) if !before.enabled => {
                        // A fresh start: what waited goes at once, in order.
                        execute(
                            c,
                            "UPDATE bot_subscriptions SET enabled = TRUE, failures = 0, last_error = NULL, \
                               disabled_at_ms = NULL WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                        execute(c, "UPDATE webhook_streams SET ready_ms = 0 WHERE subscription_id = $1", &[&id])
                            .await?;
                        execute(
                            c,
                            "UPDATE webhook_events SET due_ms = 0, leased_until_ms = 0 \
                             WHERE subscription_id = $1 AND delivered_at_ms IS NULL",
                            &[&id],
                        )
                        .await?;
                    }
                    Some(false) if before.enabled => {
                        // By a person: no `disabled_at_ms`, which tells the failure budget's
                        // doing.
                        execute(c, "UPDATE bot_subscriptions SET enabled = FALSE WHERE id = $1", &[&id]).await?;
                        park_streams(c, id).await?;
                    }
                    _ => {}
                }
                read_subscription(c, id, false).await?
            }
        }
    })
}

pub(crate) async fn delete_subscription(store: &PgStore, id: i64) -> StoreResult<bool> {
    write_tx!(store, |tx| {
        let c = tx.c();
        lock_all_streams(c, id).await?;
        let had = !query(c, "SELECT 1 FROM bot_subscriptions WHERE id = $1 FOR UPDATE", &[&id]).await?.is_empty();
        if had {
            // Rows made before the lock on the subscription went in are seen here too.
            execute(c, "DELETE FROM webhook_streams WHERE subscription_id = $1", &[&id]).await?;
            execute(c, "DELETE FROM webhook_events WHERE subscription_id = $1", &[&id]).await?;
            execute(c, "DELETE FROM bot_subscriptions WHERE id = $1", &[&id]).await?;
        }
        had
    })
}

pub(crate) async fn webhook_subscribers(
    store: &PgStore,
    conversations: &[ConversationId],
) -> StoreResult<Vec<(ConversationId, Subscription)>> {
    let ids: Vec<i64> = conversations.iter().map(|c| c.0).collect();
    let sql = format!(
        "SELECT m.conversation_id, {SUBSCRIPTION_COLUMNS} FROM bot_subscriptions s \
         JOIN members m ON m.account_id = s.bot_id AND m.left_seq IS NULL \
         WHERE s.enabled AND m.conversation_id = ANY($1) ORDER BY m.conversation_id, s.id"
    );
    read!(store, |c| {
        query(c, &sql, &[&ids])
            .await?
            .iter()
            .map(|r| Ok((ConversationId(r.try_get(0)?), subscription_from_row(r, 1)?)))
            .collect::<PgResult<Vec<_>>>()?
    })
}

/// What one enqueue knows of a subscription: its waiting events as the call goes, and what
/// the call adds and drops.
#[derive(Default)]
struct Room {
    pending: i64,
    added: i64,
    dropped: i64,
}

pub(crate) async fn enqueue_webhook_events(
    store: &PgStore,
    events: &[NewWebhookEvent],
    now_ms: i64,
    pending_max: usize,
) -> StoreResult<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    let max = i64::try_from(pending_max).unwrap_or(i64::MAX);
    let subscriptions: Vec<i64> = events.iter().map(|e| e.subscription).collect::<BTreeSet<_>>().into_iter().collect();
    let keys: (Vec<i64>, Vec<i64>, Vec<i64>) = (
        events.iter().map(|e| e.subscription).collect(),
        events.iter().map(|e| e.conversation.0).collect(),
        events.iter().map(|e| e.seq.0).collect(),
    );
    write_tx!(store, |tx| {
        let c = tx.c();
        // The rows of the streams there are, then of the subscriptions, each in order (see the
        // module's doc); a subscription deleted meanwhile took its events with it.
        query(
            c,
            "SELECT st.conversation_id FROM webhook_streams st \
             JOIN unnest($1::bigint[], $2::bigint[]) AS u(sub, conv) \
               ON st.subscription_id = u.sub AND st.conversation_id = u.conv \
             ORDER BY st.subscription_id, st.conversation_id FOR UPDATE OF st",
            &[&keys.0, &keys.1],
        )
        .await?;
        let mut rooms: BTreeMap<i64, Room> = BTreeMap::new();
        for r in query(
            c,
            "SELECT id, pending FROM bot_subscriptions WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            &[&subscriptions],
        )
        .await?
        {
            rooms.insert(r.try_get(0)?, Room { pending: r.try_get(1)?, ..Room::default() });
        }
        // Those written before are had already, neither written again nor dropped.
        let mut had: HashSet<(i64, i64, i64)> = HashSet::new();
        for r in query(
            c,
            "SELECT e.subscription_id, e.conversation_id, e.seq FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) \
               AS u(sub, conv, seq) \
             JOIN webhook_events e ON e.subscription_id = u.sub AND e.conversation_id = u.conv AND e.seq = u.seq",
            &[&keys.0, &keys.1, &keys.2],
        )
        .await?
        {
            had.insert((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
        let mut new: (Vec<i64>, Vec<i64>, Vec<i64>, Vec<&str>) = Default::default();
        for e in events {
            let Some(room) = rooms.get_mut(&e.subscription) else { continue };
            if !had.insert((e.subscription, e.conversation.0, e.seq.0)) {
                continue;
            }
            if room.pending >= max {
                room.dropped += 1;
                continue;
            }
            room.pending += 1;
            new.0.push(e.subscription);
            new.1.push(e.conversation.0);
            new.2.push(e.seq.0);
            new.3.push(e.kind.as_str());
        }
        let written = query(
            c,
            "INSERT INTO webhook_events (subscription_id, conversation_id, seq, kind, due_ms) \
             SELECT u.sub, u.conv, u.seq, u.kind, $5 \
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u(sub, conv, seq, kind) \
             ON CONFLICT (subscription_id, conversation_id, seq) DO NOTHING RETURNING subscription_id, conversation_id",
            &[&new.0, &new.1, &new.2, &new.3, &now_ms],
        )
        .await?;
        let mut streams: (Vec<i64>, Vec<i64>) = Default::default();
        for r in &written {
            let subscription: i64 = r.try_get(0)?;
            if let Some(room) = rooms.get_mut(&subscription) {
                room.added += 1;
            }
            streams.0.push(subscription);
            streams.1.push(r.try_get(1)?);
        }
        let counted: Vec<(&i64, &Room)> = rooms.iter().filter(|(_, r)| r.added > 0 || r.dropped > 0).collect();
        if !counted.is_empty() {
            let ids: Vec<i64> = counted.iter().map(|(id, _)| **id).collect();
            let added: Vec<i64> = counted.iter().map(|(_, r)| r.added).collect();
            let dropped: Vec<i64> = counted.iter().map(|(_, r)| r.dropped).collect();
            execute(
                c,
                "UPDATE bot_subscriptions b SET pending = b.pending + u.added, dropped = b.dropped + u.dropped \
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, added, dropped) WHERE b.id = u.id",
                &[&ids, &added, &dropped],
            )
            .await?;
        }
        refresh_streams(c, &streams.0, &streams.1).await?;
        u64::try_from(written.len()).unwrap_or(u64::MAX)
    })
}

pub(crate) async fn claim_webhook_events(
    store: &PgStore,
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
    write_tx!(store, |tx| {
        let c = tx.c();
        // The streams that may be claimed, by their first event's id (the index on `ready_ms`
        // holds only those of enabled subscriptions), locked; those another node is claiming
        // or acknowledging are passed.
        let streams = query(
            c,
            "SELECT st.subscription_id, st.conversation_id, s.bot_id, s.url, s.secret \
             FROM webhook_streams st JOIN bot_subscriptions s ON s.id = st.subscription_id \
             WHERE st.ready_ms <= $1 AND s.enabled ORDER BY st.head_id LIMIT $2 FOR UPDATE OF st SKIP LOCKED",
            &[&now_ms, &streams_max],
        )
        .await?;
        let mut batches: Vec<WebhookBatch> = Vec::with_capacity(streams.len());
        for r in &streams {
            batches.push(WebhookBatch {
                subscription: r.try_get(0)?,
                conversation: ConversationId(r.try_get(1)?),
                bot: AccountId(r.try_get(2)?),
                url: r.try_get(3)?,
                secret: r.try_get(4)?,
                events: vec![],
            });
        }
        let subs: Vec<i64> = batches.iter().map(|b| b.subscription).collect();
        let convs: Vec<i64> = batches.iter().map(|b| b.conversation.0).collect();
        // Each stream's first events, and the first one's due time and hold.
        let mut heads: Vec<Option<(i64, i64)>> = vec![None; batches.len()];
        for r in query(
            c,
            "SELECT u.n, e.id, e.seq, e.kind, e.attempts, e.due_ms, e.leased_until_ms \
             FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(sub, conv, n) \
             CROSS JOIN LATERAL ( \
               SELECT id, seq, kind, attempts, due_ms, leased_until_ms FROM webhook_events \
               WHERE subscription_id = u.sub AND conversation_id = u.conv AND delivered_at_ms IS NULL \
               ORDER BY seq LIMIT $3) e \
             ORDER BY u.n, e.seq",
            &[&subs, &convs, &batch_max],
        )
        .await?
        {
            let n: i64 = r.try_get(0)?;
            let at = usize::try_from(n - 1).map_err(|_| corrupt("stream number"))?;
            let batch = batches.get_mut(at).ok_or_else(|| corrupt("stream number"))?;
            let head = heads.get_mut(at).ok_or_else(|| corrupt("stream number"))?;
            let kind: String = r.try_get(3)?;
            batch.events.push(WebhookEvent {
                id: r.try_get(1)?,
                seq: Seq(r.try_get(2)?),
                kind: EventKind::parse(&kind).ok_or_else(|| corrupt("webhook event kind"))?,
                attempts: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(u32::MAX),
            });
            if head.is_none() {
                *head = Some((r.try_get(5)?, r.try_get(6)?));
            }
        }
        // Claimed: its events held, its row ready when the hold ends. Not claimable (its row
        // lagged behind): its row put right. Empty: its row gone.
        let mut held: Vec<i64> = vec![];
        let mut set: (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) = Default::default();
        let mut empty: (Vec<i64>, Vec<i64>) = Default::default();
        let mut claimed = Vec::with_capacity(batches.len());
        for (batch, head) in batches.into_iter().zip(heads) {
            let (Some(first), Some((due_ms, leased_until_ms))) = (batch.events.first(), head) else {
                empty.0.push(batch.subscription);
                empty.1.push(batch.conversation.0);
                continue;
            };
            set.0.push(batch.subscription);
            set.1.push(batch.conversation.0);
            set.2.push(first.id);
            if due_ms > now_ms || leased_until_ms > now_ms {
                set.3.push(due_ms.max(leased_until_ms));
            } else {
                set.3.push(until);
                held.extend(batch.events.iter().map(|e| e.id));
                claimed.push(batch);
            }
        }
        if !held.is_empty() {
            execute(
                c,
                "UPDATE webhook_events SET leased_until_ms = $2 WHERE id = ANY($1) AND delivered_at_ms IS NULL",
                &[&held, &until],
            )
            .await?;
        }
        if !set.0.is_empty() {
            execute(
                c,
                "UPDATE webhook_streams st SET head_id = u.head, ready_ms = u.ready \
                 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(sub, conv, head, ready) \
                 WHERE st.subscription_id = u.sub AND st.conversation_id = u.conv",
                &[&set.0, &set.1, &set.2, &set.3],
            )
            .await?;
        }
        if !empty.0.is_empty() {
            execute(
                c,
                "DELETE FROM webhook_streams st USING unnest($1::bigint[], $2::bigint[]) AS u(sub, conv) \
                 WHERE st.subscription_id = u.sub AND st.conversation_id = u.conv",
                &[&empty.0, &empty.1],
            )
            .await?;
        }
        claimed
    })
}

pub(crate) async fn webhook_outcomes(
    store: &PgStore,
    outcomes: &[WebhookOutcome],
    now_ms: i64,
    failures_max: u32,
) -> StoreResult<Vec<Subscription>> {
    write_tx!(store, |tx| apply_outcomes(tx.c(), outcomes, now_ms, failures_max).await?)
}

/// A subscription as the outcomes of one write leave it.
struct Acked {
    enabled: bool,
    failures: i64,
    last_error: Option<String>,
    succeeded: bool,
    disabled_now: bool,
}

/// `webhook_outcomes` in one transaction: the streams of every outcome's events locked first,
/// in one order, then their subscriptions, in id order (the order every write of events takes,
/// see the module's doc); the events changed in two statements and the subscriptions in one.
async fn apply_outcomes(
    c: &impl GenericClient,
    outcomes: &[WebhookOutcome],
    now_ms: i64,
    failures_max: u32,
) -> PgResult<Vec<Subscription>> {
    // The waiting events named, each with its stream: only those of the outcome's own
    // subscription count. They are looked up by id alone: with the subscription in the same
    // condition, a planner without statistics of the table (a new one) went through the
    // subscription's every waiting event instead.
    let named: Vec<i64> = outcomes.iter().flat_map(|o| o.events.iter().copied()).collect();
    let mut waiting: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in query(
        c,
        "SELECT id, subscription_id, conversation_id FROM webhook_events WHERE id = ANY($1) AND delivered_at_ms IS NULL",
        &[&named],
    )
    .await?
    {
        waiting.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
    }
    let mut streams: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut delivered: Vec<i64> = vec![];
    let mut retried: (Vec<i64>, Vec<i64>) = (vec![], vec![]);
    for o in outcomes {
        for id in &o.events {
            let Some(&(sub, conv)) = waiting.get(id) else { continue };
            if sub != o.subscription {
                continue;
            }
            streams.insert((sub, conv));
            match &o.result {
                Ok(()) => delivered.push(*id),
                Err(retry) => {
                    retried.0.push(*id);
                    retried.1.push(retry.retry_at_ms);
                }
            }
        }
    }
    let (stream_subs, stream_convs): (Vec<i64>, Vec<i64>) = streams.iter().copied().unzip();
    query(
        c,
        "SELECT 1 FROM webhook_streams st JOIN unnest($1::bigint[], $2::bigint[]) AS u(sub, conv) \
           ON st.subscription_id = u.sub AND st.conversation_id = u.conv \
         ORDER BY st.subscription_id, st.conversation_id FOR UPDATE OF st",
        &[&stream_subs, &stream_convs],
    )
    .await?;
    let ids: Vec<i64> = outcomes.iter().map(|o| o.subscription).collect::<BTreeSet<_>>().into_iter().collect();
    let mut acked: BTreeMap<i64, Acked> = BTreeMap::new();
    for r in query(
        c,
        "SELECT id, enabled, failures FROM bot_subscriptions WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &[&ids],
    )
    .await?
    {
        let state = Acked {
            enabled: r.try_get(1)?,
            failures: r.try_get(2)?,
            last_error: None,
            succeeded: false,
            disabled_now: false,
        };
        acked.insert(r.try_get(0)?, state);
    }
    // One outcome after another, as given.
    for o in outcomes {
        let Some(state) = acked.get_mut(&o.subscription) else { continue };
        match &o.result {
            Ok(()) => {
                state.failures = 0;
                state.last_error = None;
                state.succeeded = true;
            }
            Err(retry) => {
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(retry.error.clone());
                if state.enabled && state.failures >= i64::from(failures_max) {
                    state.enabled = false;
                    state.disabled_now = true;
                }
            }
        }
    }
    let mut done: BTreeMap<i64, i64> = BTreeMap::new();
    for r in query(
        c,
        "UPDATE webhook_events SET delivered_at_ms = $2, leased_until_ms = 0 \
         WHERE id = ANY($1) AND delivered_at_ms IS NULL RETURNING subscription_id",
        &[&delivered, &now_ms],
    )
    .await?
    {
        *done.entry(r.try_get(0)?).or_default() += 1;
    }
    execute(
        c,
        "UPDATE webhook_events e SET leased_until_ms = 0, attempts = e.attempts + 1, due_ms = u.at \
         FROM unnest($1::bigint[], $2::bigint[]) AS u(id, at) WHERE e.id = u.id AND e.delivered_at_ms IS NULL",
        &[&retried.0, &retried.1],
    )
    .await?;
    refresh_streams(c, &stream_subs, &stream_convs).await?;
    let subs: Vec<i64> = acked.keys().copied().collect();
    let failures: Vec<i64> = acked.values().map(|a| a.failures).collect();
    let errors: Vec<Option<String>> = acked.values().map(|a| a.last_error.clone()).collect();
    let succeeded: Vec<bool> = acked.values().map(|a| a.succeeded).collect();
    let delivered_n: Vec<i64> = acked.keys().map(|id| done.get(id).copied().unwrap_or(0)).collect();
    let disabling: Vec<bool> = acked.values().map(|a| a.disabled_now).collect();
    execute(
        c,
        "UPDATE bot_subscriptions s SET failures = u.failures, last_error = u.error, \
           last_success_ms = CASE WHEN u.ok THEN $7 ELSE s.last_success_ms END, pending = s.pending - u.n, \
           enabled = s.enabled AND NOT u.off, disabled_at_ms = CASE WHEN u.off THEN $7 ELSE s.disabled_at_ms END \
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::boolean[], $5::bigint[], $6::boolean[]) \
           AS u(id, failures, error, ok, n, off) \
         WHERE s.id = u.id",
        &[&subs, &failures, &errors, &succeeded, &delivered_n, &disabling, &now_ms],
    )
    .await?;
    let mut disabled = vec![];
    for (id, state) in &acked {
        if state.disabled_now {
            park_streams(c, *id).await?;
            disabled.extend(read_subscription(c, *id, false).await?);
        }
    }
    Ok(disabled)
}

pub(crate) async fn prune_webhook_events(store: &PgStore, before_ms: i64, limit: usize) -> StoreResult<u64> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    write_tx!(store, |tx| {
        execute(
            tx.c(),
            "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events \
             WHERE delivered_at_ms IS NOT NULL AND delivered_at_ms < $1 ORDER BY delivered_at_ms LIMIT $2)",
            &[&before_ms, &limit],
        )
        .await?
    })
}
