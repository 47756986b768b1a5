//! The console's dashboard and live connections: what this node is doing now and over the last
//! hour and day, sampled from its own metrics, and who is connected to it.
//!
//! A sampler takes a [`wire::DashboardSample`] every [`SAMPLE_SECS`] and keeps the last hour of
//! them, and one every [`DAY_SAMPLE_EVERY`] of those for the last day: about 1,800 small
//! samples, in memory (a restart starts the charts afresh; Prometheus keeps the long view).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use magpie_core::model::Actor;
use magpie_wire as wire;
use prometheus_client::metrics::counter::Counter;

use crate::extract::{ApiQuery, Authed};
use crate::{ApiError, AppState};

/// Seconds between samples.
pub const SAMPLE_SECS: u64 = 10;
/// Samples of the hour's chart.
const HOUR_SAMPLES: usize = 360;
/// Every how many samples one goes into the day's chart (one a minute).
const DAY_SAMPLE_EVERY: usize = 6;
/// Samples of the day's chart.
const DAY_SAMPLES: usize = 1_440;
/// Connections one answer of `GET /v1/admin/connections` lists at most.
pub const CONNECTIONS_LIST_MAX: usize = 500;
/// How often the sizes of the database and the stored files are measured (a walk of the
/// files' directory is not free).
const SIZES_EVERY: usize = 30;

/// The sizes of what the deployment stores, measured by the binary: `(database bytes, stored
/// files' bytes)`, each `None` where this node cannot tell (a cluster's database or bucket).
pub type SizesProbe = Arc<dyn Fn() -> (Option<u64>, Option<u64>) + Send + Sync>;

/// The samples kept.
#[derive(Default)]
pub struct Dashboard {
    hour: VecDeque<wire::DashboardSample>,
    day: VecDeque<wire::DashboardSample>,
    taken: usize,
    /// The sizes last measured; `None` until the first measure.
    sizes: Option<(Option<u64>, Option<u64>)>,
    probe: Option<SizesProbe>,
}

impl Dashboard {
    pub(crate) fn set_probe(&mut self, probe: Option<SizesProbe>) {
        self.probe = probe;
    }
}

async fn measure(probe: Option<SizesProbe>) -> (Option<u64>, Option<u64>) {
    match probe {
        Some(probe) => tokio::task::spawn_blocking(move || probe()).await.unwrap_or((None, None)),
        None => (None, None),
    }
}

/// Cumulative figures, as read at one moment; a sample is the difference of two.
#[derive(Clone, Copy, Default)]
struct Totals {
    at_ms: i64,
    entries: u64,
    requests: u64,
    errors: u64,
    /// Seconds of CPU this process used since it started.
    cpu_secs: f64,
}

fn counter(c: &Counter) -> u64 {
    c.get()
}

/// This process's CPU seconds (user and system) and resident bytes, from `/proc` (Linux);
/// zero where there is none.
fn process_usage() -> (f64, u64) {
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // The fields after the command's closing parenthesis; utime and stime are the 12th
            // and 13th of them.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / ticks)
        })
        .unwrap_or(0.0);
    let page = rustix::param::page_size() as u64;
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page);
    (cpu, rss)
}

impl AppState {
    fn totals(&self) -> Totals {
        let m = &self.metrics;
        Totals {
            at_ms: self.core.clock.now_ms(),
            entries: counter(&m.log_entries),
            requests: m.requests_total(),
            errors: m.errors_total(),
            cpu_secs: process_usage().0,
        }
    }

    /// A sample of now, against `before`.
    fn sample(&self, before: &Totals, now: &Totals, sizes: (Option<u64>, Option<u64>)) -> wire::DashboardSample {
        let secs = ((now.at_ms - before.at_ms) as f64 / 1000.0).max(0.001);
        let per_min = |a: u64, b: u64| (b.saturating_sub(a) as f64) * 60.0 / secs;
        let (latency_ms_mean, latency_ms_max_bucket) = self.metrics.take_latency();
        wire::DashboardSample {
            at_ms: now.at_ms,
            connections: self.live.len() as u64,
            accounts_online: self.live.accounts_online() as u64,
            entries_per_min: per_min(before.entries, now.entries),
            requests_per_min: per_min(before.requests, now.requests),
            errors_per_min: per_min(before.errors, now.errors),
            latency_ms_mean,
            latency_ms_p99: latency_ms_max_bucket,
            cpu_percent: ((now.cpu_secs - before.cpu_secs).max(0.0) / secs * 100.0),
            memory_bytes: process_usage().1,
            database_bytes: sizes.0,
            files_bytes: sizes.1,
            follower_lag_max: self.metrics.follower_lag_max(),
        }
    }
}

/// Takes samples until the process ends.
pub fn spawn_sampler(state: AppState, sizes: Option<SizesProbe>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(SAMPLE_SECS));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut measured = measure(sizes.clone()).await;
        state.dashboard.lock().unwrap_or_else(|e| e.into_inner()).sizes = Some(measured);
        ticks.tick().await;
        let mut before = state.totals();
        loop {
            ticks.tick().await;
            let taken = state.dashboard.lock().unwrap_or_else(|e| e.into_inner()).taken;
            if taken % SIZES_EVERY == SIZES_EVERY - 1 {
                measured = measure(sizes.clone()).await;
            }
            let now = state.totals();
            let sample = state.sample(&before, &now, measured);
            before = now;
            let mut d = state.dashboard.lock().unwrap_or_else(|e| e.into_inner());
            d.sizes = Some(measured);
            if d.taken.is_multiple_of(DAY_SAMPLE_EVERY) {
                if d.day.len() == DAY_SAMPLES {
                    d.day.pop_front();
                }
                d.day.push_back(sample.clone());
            }
            if d.hour.len() == HOUR_SAMPLES {
                d.hour.pop_front();
            }
            d.hour.push_back(sample);
            d.taken += 1;
        }
    });
}

/// `GET /v1/admin/dashboard`: this node now, and its samples over the last hour and day
/// (server administrators).
#[utoipa::path(get, path = "/v1/admin/dashboard", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = wire::Dashboard), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_dashboard(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<wire::Dashboard>, ApiError> {
    state.core.console.dashboard(Actor::Account(&caller))?;
    let (hour, day, last, sizes, probe) = {
        let d = state.dashboard.lock().unwrap_or_else(|e| e.into_inner());
        let (hour, day) = (d.hour.iter().cloned().collect::<Vec<_>>(), d.day.iter().cloned().collect::<Vec<_>>());
        (hour, day, d.hour.back().cloned(), d.sizes, d.probe.clone())
    };
    // Asked before the sampler's first measure: measure now.
    let sizes = match sizes {
        Some(sizes) => sizes,
        None => measure(probe).await,
    };
    // Now: the live gauges read afresh over the last sample's rates.
    let mut now = last.unwrap_or_default();
    now.at_ms = state.core.clock.now_ms();
    now.connections = state.live.len() as u64;
    now.accounts_online = state.live.accounts_online() as u64;
    now.memory_bytes = process_usage().1;
    (now.database_bytes, now.files_bytes) = sizes;
    let tls = state.tls.as_ref().and_then(|t| t.status()).map(|s| wire::TlsStatus {
        source: s.source.as_str().to_owned(),
        names: s.names,
        expires_at_ms: (s.not_after > 0).then(|| s.not_after.saturating_mul(1000)),
        error: s.error.as_ref().map(|(e, _)| e.clone()),
        error_at_ms: s.error.map(|(_, at)| at),
    });
    Ok(Json(wire::Dashboard { sample_secs: SAMPLE_SECS, now, hour, day, tls }))
}

/// `GET /v1/admin/connections`: who is connected to this node, newest first (a domain's
/// administrators: their domain's).
#[utoipa::path(get, path = "/v1/admin/connections", tag = "admin", security(("bearer" = [])),
    params(wire::ConnectionsQuery),
    responses((status = 200, body = wire::ConnectionList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_connections(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::ConnectionsQuery>,
) -> Result<Json<wire::ConnectionList>, ApiError> {
    let domain = state.core.console.connections_scope(Actor::Account(&caller), q.domain.as_deref()).await?;
    let limit =
        q.limit.map_or(CONNECTIONS_LIST_MAX, |l| usize::try_from(l).unwrap_or(0)).clamp(1, CONNECTIONS_LIST_MAX);
    let (total, live) = state.live.connections(domain, limit);
    let mut connections = Vec::with_capacity(live.len());
    let mut names = std::collections::HashMap::new();
    for c in live {
        let account = match names.get(&c.account) {
            Some(name) => Clone::clone(name),
            None => {
                let name = state.core.accounts.address_of(c.account).await?.map(|a| a.to_string()).unwrap_or_default();
                names.insert(c.account, name.clone());
                name
            }
        };
        connections.push(wire::ConnectionInfo {
            account,
            session: c.session.0,
            device: c.device,
            ip: c.ip.map(|ip| ip.to_string()),
            connected_at_ms: c.connected_at_ms,
        });
    }
    Ok(Json(wire::ConnectionList { total: total as u64, connections }))
}
