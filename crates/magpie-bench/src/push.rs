//! `magpie bench push`: a large group where most members are away and registered for pushes
//! through an HTTP push gateway that the bench itself runs. One online member posts: how fast
//! the sends are taken (with push on and off, the send path's share of the cost), how long until
//! the gateway has every away member's push, and how many pushes a second it was handed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use magpie_wire as wire;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify};

use crate::BenchArgs;
use crate::link;
use crate::receiver;
use crate::stats::{Usage, UsageReport};

/// How long the bench waits for the pushes of what it sent before it counts the rest as lost.
const PUSHES_MAX_WAIT: Duration = Duration::from_secs(300);
/// Sends the owner keeps in flight at once.
const SENDS_IN_FLIGHT: usize = 32;

/// What the bench's gateway has been handed.
#[derive(Default)]
struct Handed {
    /// Devices per message (`event_key`).
    per_event: Mutex<HashMap<String, u64>>,
    /// Devices in all.
    devices: AtomicU64,
    requests: AtomicU64,
    /// The same device twice for one message.
    duplicated: AtomicU64,
    /// A hash of each (message, device) handed: 4.5 million pairs as strings would cost the
    /// gateway more than the server's side of the pushes.
    seen: Mutex<std::collections::HashSet<u64>>,
    changed: Notify,
}

#[derive(Deserialize)]
struct GatewayBody<'a> {
    #[serde(borrow)]
    notification: GatewayNotification<'a>,
}

#[derive(Deserialize)]
struct GatewayNotification<'a> {
    #[serde(borrow)]
    event_key: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    devices: Vec<GatewayDevice<'a>>,
}

#[derive(Deserialize)]
struct GatewayDevice<'a> {
    #[serde(borrow)]
    pushkey: std::borrow::Cow<'a, str>,
}

/// Runs the bench's push gateway on `listen` ([`receiver::serve`]): every POST is counted and
/// answered 200.
async fn gateway(listen: SocketAddr) -> Result<Arc<Handed>> {
    let handed = Arc::new(Handed::default());
    let state = handed.clone();
    let handler = move |body: Bytes| {
        let state = state.clone();
        async move {
            let Ok(body) = serde_json::from_slice::<GatewayBody<'_>>(&body) else {
                return (axum::http::StatusCode::BAD_REQUEST, "{}");
            };
            let notification = body.notification;
            let n = notification.devices.len() as u64;
            {
                use std::hash::{Hash, Hasher};
                let mut seen = state.seen.lock().await;
                for d in &notification.devices {
                    let mut hasher = std::hash::DefaultHasher::new();
                    (&*notification.event_key, &*d.pushkey).hash(&mut hasher);
                    if !seen.insert(hasher.finish()) {
                        state.duplicated.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            *state.per_event.lock().await.entry(notification.event_key.into_owned()).or_default() += n;
            state.requests.fetch_add(1, Ordering::Relaxed);
            state.devices.fetch_add(n, Ordering::Relaxed);
            state.changed.notify_waiters();
            (axum::http::StatusCode::OK, "{}")
        }
    };
    let app = axum::Router::new().fallback(axum::routing::post(handler));
    receiver::serve(listen, app, "bench-gateway")?;
    Ok(handed)
}

impl Handed {
    /// Waits until the gateway has been handed `devices` devices in all, or `until` passes.
    async fn wait_for(&self, devices: u64, until: Instant) -> bool {
        loop {
            let changed = self.changed.notified();
            if self.devices.load(Ordering::Relaxed) >= devices {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, changed).await.is_err() {
                return self.devices.load(Ordering::Relaxed) >= devices;
            }
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PushReport {
    pub members: usize,
    pub away: usize,
    pub messages: u64,
    /// Whether the away members registered devices (false: the baseline without push).
    pub devices: bool,
    /// Sends taken per second by the server (acknowledged), the owner keeping
    /// [`SENDS_IN_FLIGHT`] in flight.
    pub sends_per_sec: f64,
    /// Pushes the gateway was handed for the measured messages, and how many were expected.
    pub pushes: u64,
    pub pushes_expected: u64,
    pub duplicated: u64,
    /// From the first measured send until the gateway had the last push.
    pub push_secs: f64,
    pub pushes_per_sec: f64,
    /// Requests the gateway got for them (devices are batched per request).
    pub gateway_requests: u64,
    /// From the last send's acknowledgement until the last push was handed.
    pub push_tail_secs: f64,
    #[serde(flatten)]
    pub usage: UsageReport,
}

pub struct PushBench {
    pub members: usize,
    pub away: usize,
    pub messages: u64,
    pub gateway_listen: SocketAddr,
    pub gateway_name: String,
    pub no_devices: bool,
}

pub async fn run(args: &BenchArgs, b: &PushBench) -> Result<PushReport> {
    if b.away >= b.members {
        bail!("--away must be fewer than --members: the one who posts is online");
    }
    let handed = gateway(b.gateway_listen).await?;
    let users = link::users(args, b.members).await?;
    let online = b.members - b.away;
    let links = link::open_all(args, &users[..online]).await?;
    if !b.no_devices {
        let base = magpie_client::Client::new(args.node_url(0))?;
        stream::iter(users[online..].iter().enumerate().map(|(i, user)| {
            let client = base.with_token(user.token().unwrap_or_default());
            let device = wire::PushTargetRequest::Gateway {
                gateway: b.gateway_name.clone(),
                app_id: "bench".into(),
                pushkey: format!("bench-{i}"),
            };
            async move { client.add_push_target(&device).await.map(drop).context("register a device") }
        }))
        .buffer_unordered(args.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    }
    let dest = crate::scenarios::make_group(args, &users, &links).await?;
    // The online members' pushes are read and dropped: they are not what this measures.
    let mut links = links.into_iter();
    let (owner, owner_pushes) = links.next().context("no owner")?;
    let mut keep = vec![tokio::spawn(crate::scenarios::drain(owner_pushes))];
    for (link, pushes) in links {
        keep.push(tokio::spawn(async move {
            let _link = link;
            crate::scenarios::drain(pushes).await;
        }));
    }
    let away = b.away as u64;
    // Message 0 settles the setup: the group's changes reach those online, its push the away.
    let started = Instant::now();
    owner.send(&dest, "p0", 0, 0).await?.await;
    if !b.no_devices && !handed.wait_for(away, started + PUSHES_MAX_WAIT).await {
        bail!("the first message's pushes did not all reach the gateway within {PUSHES_MAX_WAIT:?}");
    }
    let (devices_before, requests_before) =
        (handed.devices.load(Ordering::Relaxed), handed.requests.load(Ordering::Relaxed));
    let before = Usage::sample(args);
    let started = Instant::now();
    let acked = AtomicU64::new(0);
    let owner = &owner;
    let dest = &dest;
    stream::iter(1..=b.messages)
        .map(|n| async move { owner.send(dest, &format!("p{n}"), 0, n).await?.await.then_some(()).context("a send") })
        .buffered(SENDS_IN_FLIGHT)
        .try_for_each(|()| {
            acked.fetch_add(1, Ordering::Relaxed);
            async { Ok(()) }
        })
        .await?;
    let sent = started.elapsed();
    let expected = if b.no_devices { 0 } else { away * b.messages };
    handed.wait_for(devices_before + expected, started + PUSHES_MAX_WAIT).await;
    let until_pushed = started.elapsed();
    let pushes = handed.devices.load(Ordering::Relaxed) - devices_before;
    let usage = Usage::sample(args).since(&before, pushes);
    let push_secs = until_pushed.as_secs_f64();
    Ok(PushReport {
        members: b.members,
        away: b.away,
        messages: b.messages,
        devices: !b.no_devices,
        sends_per_sec: acked.load(Ordering::Relaxed) as f64 / sent.as_secs_f64(),
        pushes,
        pushes_expected: expected,
        duplicated: handed.duplicated.load(Ordering::Relaxed),
        push_secs,
        pushes_per_sec: if pushes == 0 { 0.0 } else { pushes as f64 / push_secs },
        gateway_requests: handed.requests.load(Ordering::Relaxed) - requests_before,
        push_tail_secs: (until_pushed.saturating_sub(sent)).as_secs_f64(),
        usage,
    })
}

impl std::fmt::Display for PushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "push: {} members, {} away{}, {} messages",
            self.members,
            self.away,
            if self.devices { " with devices" } else { " without devices" },
            self.messages
        )?;
        writeln!(f, "  sends taken: {:.1}/s", self.sends_per_sec)?;
        writeln!(
            f,
            "  pushes handed to the gateway: {} of {} ({} duplicated) in {} requests",
            self.pushes, self.pushes_expected, self.duplicated, self.gateway_requests
        )?;
        writeln!(
            f,
            "  all handed {:.2} s after the first send ({:.2} s after the last ack): {:.0} pushes/s",
            self.push_secs, self.push_tail_secs, self.pushes_per_sec
        )?;
        write!(f, "{}", self.usage)
    }
}
