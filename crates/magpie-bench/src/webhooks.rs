//! `magpie bench webhooks`: outgoing webhooks (issue 18) to an app that the bench itself runs.
//! A bot is a member of many small groups (two bench users and the bot each) and subscribed to
//! their `message` events; the groups' owners post round-robin. Measured: how fast the sends
//! are taken (with the subscription and without it, the send path's share of the cost), how
//! many events a second reach the app, and how long from a message's commit until the app has
//! it. The app checks what the server promises: every request signed with the subscription's
//! secret, every event once (by id; a repeat is counted, as delivery is at least once), and each
//! conversation's events in seq order.
//!
//! With `--drain` the app holds its answers while the measured messages are sent (the server's
//! requests wait in flight and the events pile up in the store), then answers everything: the
//! rate at which the backlog reaches the app is the delivery capacity, apart from the rate the
//! sends allow.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use futures_util::{StreamExt, TryStreamExt, stream};
use magpie_wire as wire;
use serde::Serialize;
use tokio::sync::{Mutex, Notify};

use crate::native::{self, Conn};
use crate::stats::{Latency, LatencySummary, Usage, UsageReport};
use crate::{BenchArgs, Target, link, receiver};

/// How long the bench waits for the events of what it sent before it counts the rest as lost.
const EVENTS_MAX_WAIT: Duration = Duration::from_secs(300);
/// The event kind the app subscribes to.
const EVENT_KIND: &str = "message";

/// The subscription the app answers for: its id and the secret that signs its requests.
struct Subscribed {
    id: i64,
    secret: String,
}

/// What the app keeps of the events it was given, bounded by [`App::events_max`].
#[derive(Default)]
struct Arrivals {
    /// The id of every event it has had.
    seen: HashSet<String>,
    /// The highest seq each conversation's events have reached.
    last_seq: HashMap<i64, i64>,
    /// Each new event's conversation and seq, and when the request that brought it came.
    times: Vec<(i64, i64, Instant)>,
    /// When the last new event came.
    last_event: Option<Instant>,
}

/// The bench's app: what it has been sent, and what was wrong with it.
struct App {
    /// Set once the subscription exists; until then every request is another's.
    subscription: OnceLock<Subscribed>,
    /// Most events it keeps (the warm-up's and the measured messages'); past it, new events
    /// are counted in `beyond_bound` and dropped, as a server that sends too much must not
    /// make the bench grow without end.
    events_max: usize,
    /// Requests of the subscription that checked out.
    requests: AtomicU64,
    /// Requests of another subscription: answered 200 unread, so that they stop, and not
    /// counted as this subscription's. An earlier run's last request comes again this way when
    /// that run ended before its answer went out.
    foreign_requests: AtomicU64,
    /// Requests whose signature or timestamp did not check out with the secret (answered 401).
    bad_signatures: AtomicU64,
    /// Events in the requests it believed, repeats included.
    delivered: AtomicU64,
    /// Events it had not seen before.
    events: AtomicU64,
    /// Events it had seen before (by id).
    duplicates: AtomicU64,
    /// New events whose seq was not above every seq of their conversation seen before.
    order_violations: AtomicU64,
    beyond_bound: AtomicU64,
    arrivals: Mutex<Arrivals>,
    changed: Notify,
    /// Whether the app answers (false: requests wait, `--drain`'s backlog).
    open: tokio::sync::watch::Sender<bool>,
}

impl App {
    /// Starts the app on `listen` ([`receiver::serve`]): `POST /events` is checked, counted and
    /// answered 200 (401 when its signature is wrong).
    fn start(listen: SocketAddr, events_max: usize) -> Result<Arc<App>> {
        let app = Arc::new(App {
            subscription: OnceLock::new(),
            events_max,
            requests: AtomicU64::new(0),
            foreign_requests: AtomicU64::new(0),
            bad_signatures: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            events: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            order_violations: AtomicU64::new(0),
            beyond_bound: AtomicU64::new(0),
            arrivals: Mutex::default(),
            changed: Notify::new(),
            open: tokio::sync::watch::Sender::new(true),
        });
        let state = app.clone();
        let handler = move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { state.receive(&headers, &body).await }
        };
        let router = axum::Router::new().route("/events", axum::routing::post(handler));
        receiver::serve(listen, router, "bench-webhooks-app")?;
        Ok(app)
    }

    async fn receive(&self, headers: &HeaderMap, body: &[u8]) -> StatusCode {
        // A closed app answers once it opens; the open sender lives as long as the app.
        let _ = self.open.subscribe().wait_for(|open| *open).await;
        // When the request came (or the app opened), before the app's own work on it.
        let at = Instant::now();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let Some(ours) = self.subscription.get().filter(|s| header("x-magpie-subscription").trim() == s.id.to_string())
        else {
            self.foreign_requests.fetch_add(1, Ordering::Relaxed);
            return StatusCode::OK;
        };
        let now_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let checked = magpie_client::apps::verify_webhook(
            &ours.secret,
            header("x-magpie-timestamp"),
            header("x-magpie-signature"),
            body,
            now_secs,
        );
        let Ok(delivery) = checked else {
            self.bad_signatures.fetch_add(1, Ordering::Relaxed);
            return StatusCode::UNAUTHORIZED;
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut arrivals = self.arrivals.lock().await;
        for event in delivery.events {
            self.delivered.fetch_add(1, Ordering::Relaxed);
            if arrivals.seen.contains(&event.id) {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if arrivals.seen.len() >= self.events_max {
                self.beyond_bound.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let last = arrivals.last_seq.entry(event.conversation).or_insert(i64::MIN);
            if event.seq <= *last {
                self.order_violations.fetch_add(1, Ordering::Relaxed);
            }
            *last = event.seq.max(*last);
            arrivals.times.push((event.conversation, event.seq, at));
            arrivals.last_event = Some(at);
            arrivals.seen.insert(event.id);
            self.events.fetch_add(1, Ordering::Relaxed);
        }
        drop(arrivals);
        self.changed.notify_waiters();
        StatusCode::OK
    }

    /// Waits until the app has had `events` events in all, or `until` passes.
    async fn wait_for(&self, events: u64, until: Instant) -> bool {
        loop {
            let changed = self.changed.notified();
            if self.events.load(Ordering::Relaxed) >= events {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, changed).await.is_err() {
                return self.events.load(Ordering::Relaxed) >= events;
            }
        }
    }
}

/// Sends message `n` to `conversation`; its conversation and seq as the ack names them, and
/// when the ack came (the commit, as the sender learns of it).
async fn send(conn: &Conn, conversation: i64, client_msg_id: String, n: u64) -> Result<(i64, i64, Instant)> {
    let send = wire::SendRequest {
        client_msg_id,
        kind: "text".to_owned(),
        body: native::body(0, n),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    let answer = conn.start(&wire::Request::Send(wire::InConversation { conversation, data: send })).await?;
    let data = answer
        .await
        .map_err(|_| anyhow!("send: connection closed"))?
        .map_err(|e| anyhow!("send: {} ({})", e.message, e.code.as_str()))?;
    let at = Instant::now();
    let ack: wire::Ack = serde_json::from_str(data.get()).context("send: the ack")?;
    if ack.duplicate {
        bail!("send: message {n} was taken for an earlier one (a client_msg_id used twice)");
    }
    Ok((ack.conversation, ack.seq, at))
}

/// Group i, made by `owners[i]`, with `members[i]` and the bot in it; the groups' ids.
async fn make_groups<'a>(
    args: &BenchArgs,
    owners: &[&Conn],
    members: impl Iterator<Item = &'a str>,
    bot: &str,
) -> Result<Vec<i64>> {
    let groups = owners.iter().zip(members).enumerate().map(|(i, (conn, member))| {
        let spec = wire::GroupSpec {
            name: format!("bench webhooks {i}"),
            members: vec![member.to_owned(), bot.to_owned()],
            ..Default::default()
        };
        let create = wire::Request::CreateConversation(wire::CreateConversationRequest::Group(spec));
        async move { conn.request::<wire::Conversation>(&create).await.map(|c| c.id) }
    });
    stream::iter(groups).buffered(args.concurrency).try_collect().await
}

#[derive(Debug, Serialize)]
pub struct WebhooksReport {
    pub conversations: usize,
    pub messages: u64,
    /// Whether the bot was subscribed (false: the baseline, the same sends without webhooks).
    pub subscription: bool,
    pub sends_in_flight: usize,
    /// Sends taken per second by the server (acknowledged), `sends_in_flight` in flight.
    pub sends_per_sec: f64,
    /// Events of the measured messages that reached the app (once each), and how many were
    /// expected.
    pub events: u64,
    pub events_expected: u64,
    /// Over the whole run, the warm-up included: events had before (by id), new events not
    /// above their conversation's last seq, requests that failed the signature check, requests
    /// of other subscriptions, and events past the app's bound.
    pub duplicates: u64,
    pub order_violations: u64,
    pub bad_signatures: u64,
    pub foreign_requests: u64,
    pub events_beyond_bound: u64,
    /// From the first measured send until the app had the last event.
    pub event_secs: f64,
    pub events_per_sec: f64,
    /// From the last send's ack until the app had the last event.
    pub event_tail_secs: f64,
    /// `--drain`: the app held its answers while the messages were sent; from when it opened
    /// until it had the last event, and the events it had per second in that time.
    pub drain: bool,
    pub drain_secs: f64,
    pub drain_events_per_sec: f64,
    /// Requests the app got for the measured messages, and events per request (repeats in).
    pub requests: u64,
    pub events_per_request: f64,
    /// From each measured message's ack to its event's request at the app (an event that came
    /// before its ack counts as 0).
    pub commit_to_delivery: LatencySummary,
    #[serde(flatten)]
    pub usage: UsageReport,
}

pub struct WebhooksBench {
    pub conversations: usize,
    pub messages: u64,
    pub listen: SocketAddr,
    pub no_subscription: bool,
    pub in_flight: usize,
    /// Hold the app's answers while sending, then measure the backlog's delivery.
    pub drain: bool,
}

pub async fn run(args: &BenchArgs, b: &WebhooksBench) -> Result<WebhooksReport> {
    if args.target != Target::Magpie {
        bail!("webhooks are Magpie's: run this scenario with --target magpie");
    }
    if b.conversations == 0 {
        bail!("--conversations must be at least 1");
    }
    if b.drain && b.no_subscription {
        bail!("--drain measures a subscription's backlog: not with --no-subscription");
    }
    let in_flight = b.in_flight.max(1);
    let subscribed = !b.no_subscription;
    let events_max = b.conversations.saturating_add(usize::try_from(b.messages).unwrap_or(usize::MAX));
    let app = App::start(b.listen, events_max)?;
    let admin = link::admin(args).await?;
    let users = link::users(args, 2 * b.conversations).await?;
    // A bot of this run's own, so that earlier runs' groups and subscriptions are not its.
    let bot = wire::CreateBotRequest {
        name: format!("{}bot{}", args.prefix, native::run_id()),
        domain: Some(args.domain.clone()),
        display_name: None,
        description: Some("magpie bench webhooks".to_owned()),
    };
    let bot = admin.create_bot(&bot).await.context("create the bench's bot (POST /v1/bots)")?.account;

    // Group i: user 2i owns it and posts, user 2i + 1 (never connected) and the bot are members.
    let owners: Vec<link::User> = users.iter().step_by(2).cloned().collect();
    let (links, pushes): (Vec<_>, Vec<_>) = link::open_all(args, &owners).await?.into_iter().unzip();
    // The owners' own pushes are read and dropped: they are not what this measures.
    for p in pushes {
        tokio::spawn(crate::scenarios::drain(p));
    }
    let conns: Vec<&Conn> =
        links.iter().map(|l| l.native().context("not a Magpie connection")).collect::<Result<_>>()?;
    let members = users.iter().skip(1).step_by(2).map(|u| u.address.as_str());
    let conversations = make_groups(args, &conns, members, &bot).await?;
    let targets: Vec<(&Conn, i64)> = conns.iter().copied().zip(conversations.iter().copied()).collect();

    if subscribed {
        let url = format!("http://{}/events", b.listen);
        let req = wire::CreateEventSubscriptionRequest { url, events: vec![EVENT_KIND.to_owned()] };
        let made = admin.create_subscription(&bot, &req).await.context(
            "subscribe the bot (a server for this bench runs with MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED=127.0.0.1)",
        )?;
        if app.subscription.set(Subscribed { id: made.info.id, secret: made.secret }).is_err() {
            bail!("the app was given a subscription twice");
        }
    }

    // One message per conversation settles the setup: each stream's first request is made.
    let warm_started = Instant::now();
    stream::iter(targets.iter().enumerate().map(|(i, (conn, c))| send(conn, *c, format!("w{i}"), i as u64)))
        .buffer_unordered(in_flight)
        .try_collect::<Vec<_>>()
        .await?;
    if subscribed && !app.wait_for(targets.len() as u64, warm_started + EVENTS_MAX_WAIT).await {
        bail!(
            "the warm-up's events did not all reach the app within {EVENTS_MAX_WAIT:?}: {} of {} ({} bad signatures)",
            app.events.load(Ordering::Relaxed),
            targets.len(),
            app.bad_signatures.load(Ordering::Relaxed)
        );
    }

    let (events_before, requests_before, delivered_before) = (
        app.events.load(Ordering::Relaxed),
        app.requests.load(Ordering::Relaxed),
        app.delivered.load(Ordering::Relaxed),
    );
    if b.drain {
        app.open.send_replace(false);
    }
    let before = Usage::sample(args);
    let started = Instant::now();
    let mut acks: HashMap<(i64, i64), Instant> = HashMap::with_capacity(usize::try_from(b.messages).unwrap_or(0));
    let targets = &targets;
    stream::iter(0..b.messages)
        .map(|n| {
            let (conn, conversation) = targets[(n % targets.len() as u64) as usize];
            send(conn, conversation, format!("m{n}"), n)
        })
        .buffer_unordered(in_flight)
        .try_for_each(|(conversation, seq, at)| {
            acks.insert((conversation, seq), at);
            async { Ok(()) }
        })
        .await?;
    let sent = started.elapsed();
    let opened = Instant::now();
    app.open.send_replace(true);
    let expected = if subscribed { b.messages } else { 0 };
    app.wait_for(events_before + expected, started + EVENTS_MAX_WAIT).await;
    let events = app.events.load(Ordering::Relaxed) - events_before;
    let usage = Usage::sample(args).since(&before, events);
    let requests = app.requests.load(Ordering::Relaxed) - requests_before;
    let delivered = app.delivered.load(Ordering::Relaxed) - delivered_before;

    let mut latency = Latency::default();
    let last_event = {
        let arrivals = app.arrivals.lock().await;
        for (conversation, seq, at) in &arrivals.times {
            if let Some(acked) = acks.get(&(*conversation, *seq)) {
                latency.record(u64::try_from(at.saturating_duration_since(*acked).as_micros()).unwrap_or(u64::MAX));
            }
        }
        arrivals.last_event
    };
    let event_time = last_event.map_or(Duration::ZERO, |t| t.saturating_duration_since(started));
    let event_secs = event_time.as_secs_f64();
    let drain_secs = last_event.map_or(0.0, |t| t.saturating_duration_since(opened).as_secs_f64());
    Ok(WebhooksReport {
        conversations: b.conversations,
        messages: b.messages,
        subscription: subscribed,
        sends_in_flight: in_flight,
        sends_per_sec: acks.len() as f64 / sent.as_secs_f64(),
        events,
        events_expected: expected,
        duplicates: app.duplicates.load(Ordering::Relaxed),
        order_violations: app.order_violations.load(Ordering::Relaxed),
        bad_signatures: app.bad_signatures.load(Ordering::Relaxed),
        foreign_requests: app.foreign_requests.load(Ordering::Relaxed),
        events_beyond_bound: app.beyond_bound.load(Ordering::Relaxed),
        event_secs,
        events_per_sec: if events == 0 || event_secs == 0.0 { 0.0 } else { events as f64 / event_secs },
        event_tail_secs: event_time.saturating_sub(sent).as_secs_f64(),
        drain: b.drain,
        drain_secs: if b.drain { drain_secs } else { 0.0 },
        drain_events_per_sec: if b.drain && drain_secs > 0.0 { events as f64 / drain_secs } else { 0.0 },
        requests,
        events_per_request: if requests == 0 { 0.0 } else { delivered as f64 / requests as f64 },
        commit_to_delivery: latency.summary(),
        usage,
    })
}

/// Whether the run broke a promise of the server's: events lost, out of order, signed wrongly,
/// or more than were sent. Repeats are reported, not failed: delivery is at least once.
pub fn failed(r: &WebhooksReport) -> bool {
    r.events < r.events_expected || r.order_violations + r.bad_signatures + r.events_beyond_bound > 0
}

impl std::fmt::Display for WebhooksReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "webhooks: {} conversations, {} messages, {}",
            self.conversations,
            self.messages,
            if self.subscription { "the bot subscribed to their messages" } else { "no subscription" }
        )?;
        writeln!(f, "  sends taken: {:.1}/s ({} in flight)", self.sends_per_sec, self.sends_in_flight)?;
        if self.subscription {
            writeln!(
                f,
                "  events at the app: {} of {} in {} requests ({:.1} events per request)",
                self.events, self.events_expected, self.requests, self.events_per_request
            )?;
            writeln!(
                f,
                "  all there {:.2} s after the first send ({:.2} s after the last ack): {:.0} events/s",
                self.event_secs, self.event_tail_secs, self.events_per_sec
            )?;
            if self.drain {
                writeln!(
                    f,
                    "  the app held its answers while sending; then the backlog in {:.2} s: {:.0} events/s",
                    self.drain_secs, self.drain_events_per_sec
                )?;
            }
            writeln!(f, "  commit→delivery: {}", self.commit_to_delivery)?;
        }
        writeln!(
            f,
            "  duplicates {}, out of order {}, bad signatures {}, past the app's bound {}",
            self.duplicates, self.order_violations, self.bad_signatures, self.events_beyond_bound
        )?;
        if self.foreign_requests > 0 {
            writeln!(f, "  requests of other subscriptions (answered unread): {}", self.foreign_requests)?;
        }
        write!(f, "{}", self.usage)
    }
}
