//! The console's view of the server's log: the last [`LOG_LINES_MAX`] lines this process wrote
//! (at `info` and above, whatever the log filter of standard error), as the binary's
//! formatter wrote them in JSON and its redaction masked them, kept in memory and read by
//! server administrators with `GET /v1/admin/logs`, which waits for new lines when asked to.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use magpie_core::model::Actor;
use magpie_wire as wire;
use serde_json::Value;

use crate::extract::{ApiQuery, Authed};
use crate::{ApiError, AppState};

/// Lines kept.
pub const LOG_LINES_MAX: usize = 5_000;
/// Bytes of one line kept; a longer one is cut.
pub const LOG_LINE_BYTES_MAX: usize = 8 * 1024;
/// Lines one answer holds at most.
pub const LOG_PAGE_LEN_MAX: usize = 500;
/// How long a request that waits for new lines waits at most.
pub const LOG_WAIT_SECS_MAX: u64 = 25;

/// The last lines, numbered from 1 in the order written.
#[derive(Default)]
pub struct LogRing {
    lines: Mutex<Ring>,
    written: tokio::sync::Notify,
}

#[derive(Default)]
struct Ring {
    lines: VecDeque<(u64, wire::LogLine)>,
    last: u64,
}

impl LogRing {
    pub fn new() -> LogRing {
        LogRing::default()
    }

    /// Keeps one line the formatter wrote (a JSON object); one that does not parse is kept as
    /// its text.
    pub fn push(&self, json: &[u8]) {
        let json = &json[..json.len().min(LOG_LINE_BYTES_MAX)];
        let text = String::from_utf8_lossy(json);
        let line = match serde_json::from_str::<Value>(text.trim_end()) {
            Ok(Value::Object(mut map)) => {
                let field = |map: &mut serde_json::Map<String, Value>, key: &str| match map.remove(key) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let at = field(&mut map, "timestamp");
                let level = field(&mut map, "level");
                let target = field(&mut map, "target");
                let mut fields = match map.remove("fields") {
                    Some(Value::Object(f)) => f,
                    _ => serde_json::Map::new(),
                };
                let message = field(&mut fields, "message");
                // Spans, if the formatter wrote them, stay with the fields.
                fields.extend(map);
                wire::LogLine { id: 0, at, level, target, message, fields: Value::Object(fields) }
            }
            _ => wire::LogLine {
                id: 0,
                at: String::new(),
                level: String::new(),
                target: String::new(),
                message: text.trim_end().to_owned(),
                fields: Value::Object(serde_json::Map::new()),
            },
        };
        let mut ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        ring.last += 1;
        let id = ring.last;
        if ring.lines.len() == LOG_LINES_MAX {
            ring.lines.pop_front();
        }
        ring.lines.push_back((id, wire::LogLine { id, ..line }));
        drop(ring);
        self.written.notify_waiters();
    }

    /// Wakes every request waiting for lines (the server is stopping: they answer now).
    pub fn wake_all(&self) {
        self.written.notify_waiters();
    }

    /// Up to `limit` lines after `after` that `keep` selects, oldest first, and the id of the
    /// last line read.
    fn read(&self, after: u64, limit: usize, keep: &dyn Fn(&wire::LogLine) -> bool) -> (Vec<wire::LogLine>, u64) {
        let ring = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let lines: Vec<wire::LogLine> =
            ring.lines.iter().filter(|(id, l)| *id > after && keep(l)).take(limit).map(|(_, l)| l.clone()).collect();
        let last = lines.last().map_or(ring.last.max(after), |l| l.id);
        (lines, last)
    }
}

fn level_rank(level: &str) -> u8 {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => 0,
        "DEBUG" => 1,
        "INFO" => 2,
        "WARN" => 3,
        "ERROR" => 4,
        _ => 2,
    }
}

/// `GET /v1/admin/logs`: the server's recent log lines, oldest first (server administrators).
#[utoipa::path(get, path = "/v1/admin/logs", tag = "admin", security(("bearer" = [])), params(wire::LogQuery),
    responses((status = 200, body = wire::LogLines), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_logs(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<wire::LogQuery>,
) -> Result<Json<wire::LogLines>, ApiError> {
    state.core.console.logs(Actor::Account(&caller))?;
    let Some(ring) = state.logs.clone() else {
        return Ok(Json(wire::LogLines { lines: vec![], last: 0 }));
    };
    let min = q.level.as_deref().map_or(0, level_rank);
    let target = q.target.clone().unwrap_or_default();
    let text = q.q.as_deref().unwrap_or_default().to_lowercase();
    let keep = move |l: &wire::LogLine| {
        level_rank(&l.level) >= min
            && l.target.starts_with(&target)
            && (text.is_empty()
                || l.message.to_lowercase().contains(&text)
                || l.fields.to_string().to_lowercase().contains(&text))
    };
    let limit = q.limit.map_or(LOG_PAGE_LEN_MAX, |l| usize::try_from(l).unwrap_or(0)).clamp(1, LOG_PAGE_LEN_MAX);
    let after = q.after.map_or(0, |a| u64::try_from(a).unwrap_or(0));
    let wait = Duration::from_secs(u64::try_from(q.wait_secs.unwrap_or(0)).unwrap_or(0).min(LOG_WAIT_SECS_MAX));
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Registered before the read, so that a line written in between still wakes us.
        let written = ring.written.notified();
        tokio::pin!(written);
        written.as_mut().enable();
        let (lines, last) = ring.read(after, limit, &keep);
        // A stopping server answers at once rather than hold its shutdown for a wait.
        if !lines.is_empty() || tokio::time::Instant::now() >= deadline || !state.is_ready() {
            return Ok(Json(wire::LogLines { lines, last }));
        }
        if tokio::time::timeout_at(deadline, written).await.is_err() {
            let (lines, last) = ring.read(after, limit, &keep);
            return Ok(Json(wire::LogLines { lines, last }));
        }
    }
}
