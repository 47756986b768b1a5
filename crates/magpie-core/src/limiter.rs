//! Counting events per key (failed logins of an account, requests of an IP) over a rolling
//! window.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ports::{Counters, Limit};

/// A sliding-window event counter: the count in the current fixed window plus the previous
/// window's count weighted by how much of it still overlaps the rolling window. It keeps three
/// numbers per key, so a flood of distinct keys costs little; past `keys_max` keys, stale and
/// unlimited keys are dropped first.
pub struct WindowLimiter {
    events_max: u32,
    window_ms: i64,
    keys_max: usize,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    current: u32,
    previous: u32,
}

/// A window's state as a shared counter keeps it (see [`crate::ports::Counters`]): where the
/// current fixed window started, and the events of it and of the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub start_ms: i64,
    pub current: u32,
    pub previous: u32,
}

/// Whether a window in `state` lets one more event of a limit of `events_max` per `window_ms`
/// through at `now_ms`: `Err(retry_after_secs)` if not. The same rule as [`WindowLimiter`], for
/// counters kept elsewhere.
pub fn verdict(events_max: u32, window_ms: i64, state: WindowState, now_ms: i64) -> Result<(), u64> {
    let limiter = WindowLimiter::new(events_max, window_ms, 1);
    let w =
        limiter.rolled(Window { start_ms: state.start_ms, current: state.current, previous: state.previous }, now_ms);
    if limiter.estimate(&w, now_ms) < f64::from(events_max) {
        Ok(())
    } else {
        Err(limiter.retry_after_secs(&w, now_ms))
    }
}

impl WindowLimiter {
    /// At most `events_max` events per key in any rolling window of `window_ms`.
    pub fn new(events_max: u32, window_ms: i64, keys_max: usize) -> WindowLimiter {
        WindowLimiter {
            events_max,
            window_ms: window_ms.max(1),
            keys_max: keys_max.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after_secs)` if `key` has reached its limit.
    pub fn check(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = windows.get(key) else { return Ok(()) };
        let w = self.rolled(*w, now_ms);
        if self.estimate(&w, now_ms) < f64::from(self.events_max) {
            return Ok(());
        }
        Err(self.retry_after_secs(&w, now_ms))
    }

    /// Counts an event if `key` is under its limit, else `Err(retry_after_secs)`.
    pub fn hit(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        self.check(key, now_ms)?;
        self.record(key, now_ms);
        Ok(())
    }

    /// Counts one event against `key`.
    pub fn record(&self, key: &str, now_ms: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= self.keys_max && !windows.contains_key(key) {
            self.evict(&mut windows, now_ms);
        }
        let w = windows.entry(key.to_owned()).or_insert(Window { start_ms: now_ms, current: 0, previous: 0 });
        *w = self.rolled(*w, now_ms);
        w.current = w.current.saturating_add(1);
    }

    /// Takes back one event of `key` (an attempt that turned out not to count).
    pub fn refund(&self, key: &str, now_ms: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = windows.get_mut(key) {
            *w = self.rolled(*w, now_ms);
            if w.current > 0 {
                w.current -= 1;
            } else {
                w.previous = w.previous.saturating_sub(1);
            }
        }
    }

    fn rolled(&self, w: Window, now_ms: i64) -> Window {
        let elapsed = now_ms - w.start_ms;
        if elapsed < self.window_ms {
            w
        } else if elapsed < 2 * self.window_ms {
            Window { start_ms: w.start_ms + self.window_ms, current: 0, previous: w.current }
        } else {
            Window { start_ms: now_ms, current: 0, previous: 0 }
        }
    }

    fn estimate(&self, w: &Window, now_ms: i64) -> f64 {
        let overlap = 1.0 - (now_ms - w.start_ms) as f64 / self.window_ms as f64;
        f64::from(w.previous) * overlap.clamp(0.0, 1.0) + f64::from(w.current)
    }

    /// Seconds until the estimate falls below the limit, assuming no further failures.
    fn retry_after_secs(&self, w: &Window, now_ms: i64) -> u64 {
        let max = f64::from(self.events_max);
        let window = self.window_ms as f64;
        let into = (now_ms - w.start_ms) as f64;
        let wait_ms = if f64::from(w.current) < max && w.previous > 0 {
            // Still inside this window: the previous window's weight has to fall far enough.
            let target = window * (1.0 - (max - f64::from(w.current)) / f64::from(w.previous));
            target - into
        } else {
            // Only after this window ends, as this window's count becomes the weighted one.
            let after_end = window * (1.0 - max / f64::from(w.current.max(1)));
            (window - into) + after_end.max(0.0)
        };
        (wait_ms.max(0.0) / 1000.0).ceil() as u64 + 1
    }

    fn evict(&self, windows: &mut HashMap<String, Window>, now_ms: i64) {
        let max = f64::from(self.events_max);
        windows.retain(|_, w| {
            let w = self.rolled(*w, now_ms);
            self.estimate(&w, now_ms) >= max
        });
        if windows.len() >= self.keys_max {
            // Every tracked key is limited: forget them all rather than grow without bound.
            windows.clear();
        }
    }
}

/// The in-process [`Counters`]: a [`WindowLimiter`] per limit. One process's counts; a cluster
/// shares counters instead (the Redis adapter), so that a limit holds for the cluster.
pub struct MemoryCounters {
    keys_max: usize,
    limiters: Mutex<HashMap<&'static str, std::sync::Arc<WindowLimiter>>>,
}

impl MemoryCounters {
    /// Counters that track at most `keys_max` keys per limit.
    pub fn new(keys_max: usize) -> MemoryCounters {
        MemoryCounters { keys_max, limiters: Mutex::new(HashMap::new()) }
    }

    fn limiter(&self, limit: Limit) -> std::sync::Arc<WindowLimiter> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        limiters
            .entry(limit.name)
            .or_insert_with(|| {
                std::sync::Arc::new(WindowLimiter::new(limit.events_max, limit.window_ms, self.keys_max))
            })
            .clone()
    }
}

#[async_trait::async_trait]
impl Counters for MemoryCounters {
    async fn check(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64> {
        self.limiter(limit).check(key, now_ms)
    }

    async fn hit(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64> {
        self.limiter(limit).hit(key, now_ms)
    }

    async fn record(&self, limit: Limit, key: &str, now_ms: i64) {
        self.limiter(limit).record(key, now_ms);
    }

    async fn refund(&self, limit: Limit, key: &str, now_ms: i64) {
        self.limiter(limit).refund(key, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    #[test]
    fn limits_after_the_maximum_and_recovers_as_the_window_rolls() {
        let limiter = WindowLimiter::new(3, HOUR_MS, 100);
        for _ in 0..3 {
            assert!(limiter.check("a", 0).is_ok());
            limiter.record("a", 0);
        }
        let retry = limiter.check("a", 0).err();
        assert!(retry.is_some_and(|s| s > 3600 && s <= 7201), "{retry:?}");
        assert!(limiter.check("b", 0).is_ok(), "other keys are not affected");
        // Half-way into the next window, half of the old failures still count: 1.5 < 3.
        assert!(limiter.check("a", HOUR_MS + HOUR_MS / 2).is_ok());
        assert!(limiter.check("a", 3 * HOUR_MS).is_ok());
    }

    #[test]
    fn a_refund_gives_back_one_event() {
        let limiter = WindowLimiter::new(2, HOUR_MS, 100);
        assert!(limiter.hit("a", 0).is_ok());
        assert!(limiter.hit("a", 0).is_ok());
        assert!(limiter.hit("a", 0).is_err());
        limiter.refund("a", 0);
        assert!(limiter.hit("a", 0).is_ok());
        assert!(limiter.hit("a", 0).is_err());
    }

    #[test]
    fn stays_bounded_under_a_flood_of_keys() {
        let limiter = WindowLimiter::new(1, HOUR_MS, 10);
        for i in 0..1000 {
            limiter.record(&format!("k{i}"), 0);
        }
        let len = limiter.windows.lock().map(|w| w.len()).unwrap_or(usize::MAX);
        assert!(len <= 10, "{len} keys tracked");
    }
}
