//! What the bench measures, and how it reports it: latency histograms (HdrHistogram, in
//! microseconds), counters, and the server's memory and CPU read from /proc.

use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The bench's clock: microseconds since the bench started. Send stamps and arrival times are
/// read from it in the same process, so latencies need no clock synchronisation.
#[derive(Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn now_us(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// A latency distribution, microseconds from 1 µs to 10 minutes at 3 significant digits.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Latency {
        // The bounds are constants that HdrHistogram accepts.
        #[allow(clippy::expect_used)]
        Latency(Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Latency {
    pub fn record(&mut self, us: u64) {
        self.0.saturating_record(us.max(1));
    }

    pub fn merge(&mut self, other: &Latency) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        LatencySummary {
            count: self.0.len(),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: self.0.max() as f64 / 1000.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl std::fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms (n={})",
            self.p50_ms, self.p99_ms, self.p999_ms, self.max_ms, self.count
        )
    }
}

/// A process's resident memory and CPU time, from /proc/<pid>.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcSample {
    pub rss_bytes: u64,
    pub cpu_secs: f64,
}

/// Reads /proc/<pid>/status (VmRSS) and /proc/<pid>/stat (utime + stime). None when the
/// process is not on this machine or /proc cannot be read.
pub fn sample(pid: u32) -> Option<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; here at 11 and 12 (state is field 3).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(ProcSample { rss_bytes: rss_kib * 1024, cpu_secs: (utime + stime) / clock_ticks() })
}

/// USER_HZ: 100 on every Linux architecture the bench runs on.
fn clock_ticks() -> f64 {
    100.0
}
