//! Prometheus metrics at `/metrics`: connections, requests by route and status, errors by
//! code, request latency.

use std::sync::Mutex;
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
    pub tcp_connections: Gauge,
    pub connections_evicted: Counter,
    pub connections_refused: Counter,
    follower_lags: Family<FollowerLabels, Gauge>,
    mail_outbox: Gauge,
    mail_sent: Counter,
    mail_retried: Counter,
    mail_dropped: Counter,
    push_outbox: Gauge,
    /// What this node's push did since start, by outcome.
    pushes: Family<OutcomeLabels, Counter>,
}

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
        registry.register("http_requests", "HTTP requests by method, route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", http_latency.clone());
        registry.register("errors", "Errors sent to clients, by code (REST and WebSocket)", errors.clone());
        registry.register("ws_connections", "Open WebSocket connections", ws_connections.clone());
        registry.register("ws_frames_received", "WebSocket frames received", ws_frames_in.clone());
        registry.register("ws_frames_sent", "WebSocket frames sent", ws_frames_out.clone());
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
            tcp_connections,
            connections_evicted,
            connections_refused,
            follower_lags,
            mail_outbox,
            mail_sent,
            mail_retried,
            mail_dropped,
            push_outbox,
            pushes,
        }
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
    }

    pub fn count_error(&self, code: ErrorCode) {
        self.errors.get_or_create(&CodeLabels { code: code.as_str().to_owned() }).inc();
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
    m.http_latency.get_or_create(&RouteLabels { route }).observe(start.elapsed().as_secs_f64());
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        m.count_error(*code);
    }
    response
}
