//! What the bench measures, and how it reports it: latency histograms (HdrHistogram, in
//! microseconds), counters, and the memory and CPU time of the server's nodes and of the
//! processes it was told to watch, read from /proc.

use std::collections::HashMap;
use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::BenchArgs;

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
    let stat = Stat::read(pid)?;
    Some(ProcSample { rss_bytes: rss_kib * 1024, cpu_secs: (stat.utime + stat.stime) / clock_ticks() })
}

/// The CPU time, in seconds, that `pid` and everything it started have used so far: its own
/// and that of every live descendant, each with the time of its children that have ended
/// (`cutime` and `cstime`, which a parent gains when it reaps a child, the child's own
/// children included). So a PostgreSQL backend that exited between two samples still counts.
/// None when the process is not on this machine.
pub fn sample_tree(pid: u32) -> Option<f64> {
    let root = Stat::read(pid)?;
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut stats: HashMap<u32, Stat> = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(other) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        // A process may end while the list is read; it is simply not counted.
        if let Some(stat) = Stat::read(other) {
            children.entry(stat.ppid).or_default().push(other);
            stats.insert(other, stat);
        }
    }
    stats.insert(pid, root);
    let mut total = 0.0;
    let mut stack = vec![pid];
    // Bounded by the number of processes read: a pid is visited once, as a child of one parent.
    while let Some(next) = stack.pop() {
        if let Some(stat) = stats.get(&next) {
            total += stat.utime + stat.stime + stat.cutime + stat.cstime;
        }
        stack.extend(children.get(&next).into_iter().flatten().copied());
    }
    Some(total / clock_ticks())
}

/// The fields of /proc/<pid>/stat that the bench reads, in clock ticks.
struct Stat {
    ppid: u32,
    utime: f64,
    stime: f64,
    cutime: f64,
    cstime: f64,
}

impl Stat {
    fn read(pid: u32) -> Option<Stat> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which is in parentheses and may contain spaces:
        // field n of stat(5) is at n - 3 here (state, field 3, comes first).
        let after = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let tick = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
        Some(Stat {
            ppid: fields.get(1)?.parse().ok()?,
            utime: tick(14)?,
            stime: tick(15)?,
            cutime: tick(16)?,
            cstime: tick(17)?,
        })
    }
}

/// USER_HZ: 100 on every Linux architecture the bench runs on.
fn clock_ticks() -> f64 {
    100.0
}

/// A process to watch besides the server (`--watch NAME=PID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
}

impl std::str::FromStr for Watched {
    type Err = String;

    fn from_str(s: &str) -> Result<Watched, String> {
        let (name, pid) = s.split_once('=').ok_or_else(|| format!("{s:?} is not NAME=PID"))?;
        let pid = pid.parse().map_err(|_| format!("{pid:?} is not a process id"))?;
        if name.is_empty() {
            return Err(format!("{s:?} names no process"));
        }
        Ok(Watched { name: name.to_owned(), pid })
    }
}

/// What the bench reads, at one moment, of the server's nodes (`--server-pid`) and of the
/// watched processes (`--watch`).
pub struct Usage {
    nodes: Vec<(u32, Option<ProcSample>)>,
    watched: Vec<(String, Option<f64>)>,
}

impl Usage {
    pub fn sample(args: &BenchArgs) -> Usage {
        Usage {
            nodes: args.server_pid.iter().map(|&pid| (pid, sample(pid))).collect(),
            watched: args.watch.iter().map(|w| (w.name.clone(), sample_tree(w.pid))).collect(),
        }
    }

    /// The nodes' resident memory together; None unless every node could be read.
    pub fn rss_bytes(&self) -> Option<u64> {
        if self.nodes.is_empty() {
            return None;
        }
        self.nodes.iter().map(|(_, s)| s.map(|s| s.rss_bytes)).sum()
    }

    /// What was used from `before` until this sample, for `deliveries` deliveries.
    pub fn since(&self, before: &Usage, deliveries: u64) -> UsageReport {
        let per_million = |cpu: Option<f64>| cpu.filter(|_| deliveries > 0).map(|c| c * 1e6 / deliveries as f64);
        let nodes: Vec<NodeUsage> = self
            .nodes
            .iter()
            .zip(&before.nodes)
            .map(|((pid, after), (_, before))| {
                let cpu = before.zip(*after).map(|(b, a)| a.cpu_secs - b.cpu_secs);
                NodeUsage {
                    pid: *pid,
                    cpu_secs: cpu,
                    cpu_secs_per_million_deliveries: per_million(cpu),
                    rss_bytes: after.map(|s| s.rss_bytes),
                }
            })
            .collect();
        // The server's CPU is every node's, and is known only when each node's is.
        let cpu = if nodes.is_empty() { None } else { nodes.iter().map(|n| n.cpu_secs).sum() };
        let watched = self
            .watched
            .iter()
            .zip(&before.watched)
            .map(|((name, after), (_, before))| {
                let cpu = before.zip(*after).map(|(b, a)| a - b);
                WatchedUsage { name: name.clone(), cpu_secs: cpu, cpu_secs_per_million_deliveries: per_million(cpu) }
            })
            .collect();
        UsageReport {
            server_cpu_secs: cpu,
            server_cpu_secs_per_million_deliveries: per_million(cpu),
            server_rss_bytes: self.rss_bytes(),
            nodes: if nodes.len() > 1 { nodes } else { Vec::new() },
            watched,
        }
    }
}

/// The server's CPU and memory over a measured phase: all nodes together, and each node when
/// there are several; and each watched process's CPU.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UsageReport {
    pub server_cpu_secs: Option<f64>,
    pub server_cpu_secs_per_million_deliveries: Option<f64>,
    pub server_rss_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeUsage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watched: Vec<WatchedUsage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeUsage {
    pub pid: u32,
    pub cpu_secs: Option<f64>,
    pub cpu_secs_per_million_deliveries: Option<f64>,
    pub rss_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedUsage {
    pub name: String,
    pub cpu_secs: Option<f64>,
    pub cpu_secs_per_million_deliveries: Option<f64>,
}

impl std::fmt::Display for UsageReport {
    /// Lines to follow a scenario's summary; nothing when no process was read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = |p: Option<f64>| p.map_or("–".to_owned(), |p| format!("{p:.1}"));
        if let Some(cpu) = self.server_cpu_secs {
            let per_million = per(self.server_cpu_secs_per_million_deliveries);
            writeln!(f, "  server CPU {cpu:.2} s: {per_million} CPU-s per million deliveries")?;
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let cpu = node.cpu_secs.map_or("–".to_owned(), |c| format!("{c:.2}"));
            let per_million = per(node.cpu_secs_per_million_deliveries);
            writeln!(f, "    node {i} (pid {}): CPU {cpu} s, {per_million} CPU-s per million", node.pid)?;
        }
        for w in &self.watched {
            let cpu = w.cpu_secs.map_or("–".to_owned(), |c| format!("{c:.2}"));
            let per_million = per(w.cpu_secs_per_million_deliveries);
            writeln!(f, "  {} CPU {cpu} s: {per_million} CPU-s per million deliveries", w.name)?;
        }
        Ok(())
    }
}
