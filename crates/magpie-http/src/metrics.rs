//! Prometheus metrics at `/metrics`: connections, requests by route and status, errors by
//! code, request latency.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use magpie_wire::ErrorCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FollowerLabels {
    pub follower: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub errors: Family<CodeLabels, Counter>,
    pub ws_connections: Gauge,
    pub ws_frames_in: Counter,
    pub ws_frames_out: Counter,
    /// Entries of the log this node's fan-out handed to its connections (every node sees
    /// every entry): messages and their operations.
    pub log_entries: Counter,
    pub tcp_connections: Gauge,
    pub connections_evicted: Counter,
    pub connections_refused: Counter,
    follower_lags: Family<FollowerLabels, Gauge>,
    mail_outbox: Gauge,
    mail_sent: Counter,
    mail_retried: Counter,
    mail_dropped: Counter,
    push_outbox: Gauge,
    /// The expiry of the TLS certificate in service, when the server terminates TLS.
    tls_expiry: Gauge,
    /// What this node's push did since start, by outcome.
    pushes: Family<OutcomeLabels, Counter>,
    /// For the console's dashboard: requests and errors since start, each follower's lag, and
    /// the latencies since the dashboard last took them.
    requests: AtomicU64,
    error_count: AtomicU64,
    lags: Mutex<std::collections::HashMap<String, u128>>,
    interval: LatencyWindow,
}

/// Request latencies since they were last taken: their sum and count, and a count per
/// power-of-two bucket from 0.5 ms up.
#[derive(Default)]
struct LatencyWindow {
    sum_us: AtomicU64,
    count: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS],
}

const LATENCY_BUCKETS: usize = 16;

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("magpie");
        let http_requests = Family::<RequestLabels, Counter>::default();
        let http_latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let errors = Family::<CodeLabels, Counter>::default();
        let ws_connections = Gauge::default();
        let ws_frames_in = Counter::default();
        let ws_frames_out = Counter::default();
        let log_entries = Counter::default();
        let tcp_connections = Gauge::default();
        let connections_evicted = Counter::default();
        let connections_refused = Counter::default();
        let follower_lags = Family::<FollowerLabels, Gauge>::default();
        let (mail_outbox, mail_sent, mail_retried, mail_dropped) =
            (Gauge::default(), Counter::default(), Counter::default(), Counter::default());
        registry.register("mail_outbox", "Mails waiting in the outbox (every node's)", mail_outbox.clone());
        registry.register("mail_sent", "Mails this node handed to the SMTP server", mail_sent.clone());
        registry.register("mail_retried", "Failed attempts at a mail that will be retried", mail_retried.clone());
        registry.register("mail_dropped", "Mails given up: refused for good or out of attempts", mail_dropped.clone());
        let push_outbox = Gauge::default();
        let pushes = Family::<OutcomeLabels, Counter>::default();
        registry.register("push_outbox", "Pushes waiting in the outbox (every node's)", push_outbox.clone());
        registry.register(
            "pushes",
            "Pushes by outcome: queued, sent, read_first (read before it went out), retried, failed (given up or the device gone), dropped (the outbox was full)",
            pushes.clone(),
        );
        let tls_expiry = Gauge::default();
        registry.register(
            "tls_certificate_expiry_timestamp_seconds",
            "When the TLS certificate in service expires, in seconds since the epoch; 0 when Magpie does not terminate TLS or has no certificate yet",
            tls_expiry.clone(),
        );
        registry.register("http_requests", "HTTP requests by method, route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", http_latency.clone());
        registry.register("errors", "Errors sent to clients, by code (REST and WebSocket)", errors.clone());
        registry.register("ws_connections", "Open WebSocket connections", ws_connections.clone());
        registry.register("ws_frames_received", "WebSocket frames received", ws_frames_in.clone());
        registry.register("ws_frames_sent", "WebSocket frames sent", ws_frames_out.clone());
        registry.register(
            "log_entries",
            "Entries of the log (messages and their operations) this node's fan-out handled",
            log_entries.clone(),
        );
        registry.register("tcp_connections", "Open TCP connections (HTTP and WebSocket)", tcp_connections.clone());
        registry.register(
            "connections_evicted",
            "Idle connections closed to make room at a connection bound",
            connections_evicted.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections turned away because every connection was busy at a bound",
            connections_refused.clone(),
        );
        registry.register(
            "log_follower_lag",
            "How far each follower of the log is behind the head it last saw, in commits",
            follower_lags.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            http_requests,
            http_latency,
            errors,
            ws_connections,
            ws_frames_in,
            ws_frames_out,
            log_entries,
            tcp_connections,
            connections_evicted,
            connections_refused,
            follower_lags,
            mail_outbox,
            mail_sent,
            mail_retried,
            mail_dropped,
            push_outbox,
            tls_expiry,
            pushes,
            requests: AtomicU64::new(0),
            error_count: AtomicU64::new(0),
            lags: Mutex::new(std::collections::HashMap::new()),
            interval: LatencyWindow::default(),
        }
    }

    /// Requests answered since start.
    pub fn requests_total(&self) -> u64 {
        self.requests.load(Relaxed)
    }

    /// Errors sent to clients since start.
    pub fn errors_total(&self) -> u64 {
        self.error_count.load(Relaxed)
    }

    /// The certificate in service's expiry (seconds since the epoch; 0 for none).
    pub fn tls_expiry(&self, not_after: i64) {
        self.tls_expiry.set(not_after);
    }

    /// The largest lag of this node's followers, in commits.
    pub fn follower_lag_max(&self) -> u64 {
        let lags = self.lags.lock().unwrap_or_else(|e| e.into_inner());
        lags.values().max().map_or(0, |l| u64::try_from(*l).unwrap_or(u64::MAX))
    }

    fn observe_latency(&self, secs: f64) {
        let us = (secs * 1_000_000.0) as u64;
        let w = &self.interval;
        w.sum_us.fetch_add(us, Relaxed);
        w.count.fetch_add(1, Relaxed);
        // Bucket i holds latencies up to 0.5 ms × 2^i; the last, everything above.
        let halves = us / 500;
        let i = (u64::BITS - halves.leading_zeros()) as usize;
        w.buckets[i.min(LATENCY_BUCKETS - 1)].fetch_add(1, Relaxed);
    }

    /// The mean request latency since the last take, and the upper bound of the bucket that
    /// holds its 99th percentile, in ms (zero without requests); starts a new window.
    pub fn take_latency(&self) -> (f64, f64) {
        let w = &self.interval;
        let (sum, count) = (w.sum_us.swap(0, Relaxed), w.count.swap(0, Relaxed));
        let buckets: Vec<u64> = w.buckets.iter().map(|b| b.swap(0, Relaxed)).collect();
        if count == 0 {
            return (0.0, 0.0);
        }
        let wanted = count.saturating_mul(99).div_ceil(100);
        let mut seen = 0;
        let mut p99 = 0.0;
        for (i, n) in buckets.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                p99 = 0.5 * f64::from(1u32 << i);
                break;
            }
        }
        (sum as f64 / count as f64 / 1000.0, p99)
    }

    /// Records the push outbox's length and what this node's push did since start.
    pub fn push(&self, outbox_len: Option<u64>, status: &magpie_core::push::PushStatus) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(len) = outbox_len {
            self.push_outbox.set(i64::try_from(len).unwrap_or(i64::MAX));
        }
        for (outcome, total) in [
            ("queued", status.queued.load(Relaxed)),
            ("sent", status.sent.load(Relaxed)),
            ("read_first", status.read_first.load(Relaxed)),
            ("retried", status.retried.load(Relaxed)),
            ("failed", status.failed.load(Relaxed)),
            ("dropped", status.dropped.load(Relaxed)),
        ] {
            let counter = self.pushes.get_or_create(&OutcomeLabels { outcome });
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }

    /// Records the mail outbox's length and what this node's outbox did since start.
    pub fn mail(&self, outbox_len: Option<u64>, status: &magpie_core::mail::MailStatus) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(len) = outbox_len {
            self.mail_outbox.set(i64::try_from(len).unwrap_or(i64::MAX));
        }
        for (counter, total) in [
            (&self.mail_sent, status.sent.load(Relaxed)),
            (&self.mail_retried, status.retried.load(Relaxed)),
            (&self.mail_dropped, status.dropped.load(Relaxed)),
        ] {
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }

    /// Records where a follower of the log stands.
    pub fn follower_lag(&self, follower: &str, lag: u128) {
        let gauge = self.follower_lags.get_or_create(&FollowerLabels { follower: follower.to_owned() });
        gauge.set(i64::try_from(lag).unwrap_or(i64::MAX));
        self.lags.lock().unwrap_or_else(|e| e.into_inner()).insert(follower.to_owned(), lag);
    }

    pub fn count_error(&self, code: ErrorCode) {
        self.errors.get_or_create(&CodeLabels { code: code.as_str().to_owned() }).inc();
        self.error_count.fetch_add(1, Relaxed);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Middleware: counts and times every routed request, and counts error codes.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let m = &state.metrics;
    m.http_requests
        .get_or_create(&RequestLabels { method, route: route.clone(), status: response.status().as_u16() })
        .inc();
    let secs = start.elapsed().as_secs_f64();
    m.http_latency.get_or_create(&RouteLabels { route }).observe(secs);
    m.requests.fetch_add(1, Relaxed);
    m.observe_latency(secs);
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        m.count_error(*code);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latency_window_gives_the_mean_and_the_bucket_of_the_99th_percentile_then_starts_afresh() {
        let m = Metrics::new();
        assert_eq!(m.take_latency(), (0.0, 0.0), "no requests: zero");
        // 99 fast requests (0.3 ms) and one slow (40 ms): the mean is 0.697 ms, and the 99th
        // percentile is in the first bucket (up to 0.5 ms).
        for _ in 0..99 {
            m.observe_latency(0.0003);
        }
        m.observe_latency(0.040);
        let (mean, p99) = m.take_latency();
        assert!((mean - 0.697).abs() < 1e-9, "{mean}");
        assert_eq!(p99, 0.5);
        // Two slow ones among ten: the 99th percentile is in the bucket that holds 40 ms
        // (32 to 64 ms).
        for _ in 0..8 {
            m.observe_latency(0.0003);
        }
        m.observe_latency(0.040);
        m.observe_latency(0.040);
        assert_eq!(m.take_latency().1, 64.0);
        assert_eq!(m.take_latency(), (0.0, 0.0), "taken: the window starts afresh");
    }
}
