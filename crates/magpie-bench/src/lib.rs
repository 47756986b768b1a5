//! `magpie bench`: Magpie's load generator. Each scenario is bounded in time and count, prints
//! a summary, and with `--json` prints the same as one JSON object. The scenarios and what
//! they measure are described in BENCHMARKS.md.

mod baseline_pg;
mod corpus;
mod link;
mod native;
mod push;
mod receiver;
mod scenarios;
mod search;
mod stats;
mod webhooks;
pub mod xmpp;

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

pub use stats::{Clock, Latency, LatencySummary, ProcSample, Watched, sample, sample_tree};

/// Options shared by every scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
    /// The kind of server to load: Magpie over its WebSocket, or an XMPP server over c2s.
    #[arg(long, global = true, value_enum, default_value = "magpie")]
    pub target: Target,
    /// The Magpie server to load: one node's URL, or the nodes of a cluster (`--url` repeated,
    /// or URLs separated by commas). Users are spread over the nodes round-robin: user i's
    /// logins, requests and connection go to node i mod N; accounts are created on the first.
    #[arg(long, global = true, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    pub url: Vec<String>,
    /// The XMPP server's c2s listener (plain TCP), for `--target xmpp`.
    #[arg(long, global = true, default_value = "127.0.0.1:5222")]
    pub xmpp_addr: String,
    /// The XMPP server's MUC service (default: conference.DOMAIN).
    #[arg(long, global = true)]
    pub muc: Option<String>,
    /// Register the XMPP accounts in band (XEP-0077) first; existing ones are kept.
    #[arg(long, global = true)]
    pub register: bool,
    /// The server's process id, to read its memory and CPU time from /proc; for a cluster, one
    /// per node (repeated, or separated by commas), reported per node and summed.
    #[arg(long, global = true, value_delimiter = ',')]
    pub server_pid: Vec<u32>,
    /// Another process whose CPU time to report per delivery, with its descendants', as
    /// `NAME=PID` (repeatable): a cluster's PostgreSQL (the postmaster's pid) and Redis, say.
    #[arg(long, global = true, value_name = "NAME=PID")]
    pub watch: Vec<Watched>,
    /// Print the result as one JSON object instead of the text summary.
    #[arg(long, global = true)]
    pub json: bool,
    /// The bench's accounts are PREFIX0@DOMAIN, PREFIX1@DOMAIN, …
    #[arg(long, global = true, default_value = "bench")]
    pub prefix: String,
    #[arg(long, global = true, default_value = "localhost")]
    pub domain: String,
    /// The password of every bench account.
    #[arg(long, global = true, default_value = "bench-password")]
    pub password: String,
    /// Create the accounts first, as this domain admin (`name@domain:password`).
    #[arg(long, global = true)]
    pub admin: Option<String>,
    /// How many logins, connections and setup requests run at once.
    #[arg(long, global = true, default_value_t = 64)]
    pub concurrency: usize,
    /// A scenario still running after this many seconds (setup included) is stopped and fails:
    /// a server that stalls does not stall the comparison.
    #[arg(long, global = true, default_value_t = 900)]
    pub max_secs: u64,
}

impl BenchArgs {
    /// How many Magpie nodes the users are spread over (at least one).
    pub fn nodes(&self) -> usize {
        self.url.len().max(1)
    }

    /// The URL of node `node` (of [`BenchArgs::node_of`]); the first node's if there is none such.
    pub fn node_url(&self, node: usize) -> &str {
        self.url.get(node).or(self.url.first()).map_or("http://127.0.0.1:8080", String::as_str)
    }

    /// The node of the bench's `i`-th user: round-robin, so that consecutive users, who share
    /// the direct chats of `direct` and `ramp`, are on different nodes.
    pub fn node_of(&self, i: usize) -> usize {
        i % self.nodes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Magpie,
    Xmpp,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Scenario {
    /// Open N authenticated connections at a given arrival rate and hold them: server memory
    /// per connection.
    Connect {
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// New connections per second.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Seconds to hold them once all are open.
        #[arg(long, default_value_t = 5)]
        hold: u64,
    },
    /// N online users send 1:1 messages to random peers at an aggregate rate.
    Direct {
        #[arg(long, default_value_t = 100)]
        users: usize,
        /// Messages per second, all users together.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        /// Seconds of sending.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Direct chats per user, among which each message picks one at random.
        #[arg(long, default_value_t = 4)]
        peers: usize,
    },
    /// A group of M members, all online; one member posts: fan-out latency to every member.
    Group {
        #[arg(long, default_value_t = 100)]
        members: usize,
        #[arg(long, default_value_t = 50)]
        messages: u64,
        /// Messages per second.
        #[arg(long, default_value_t = 10)]
        rate: u32,
    },
    /// K clients go offline, L messages arrive for each, they reconnect and catch up.
    Sync {
        #[arg(long, default_value_t = 10)]
        clients: usize,
        #[arg(long, default_value_t = 100)]
        messages: u64,
    },
    /// Raise the `direct` rate step by step until loss appears or p99 passes a bound.
    Ramp {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 1000)]
        start: u32,
        #[arg(long, default_value_t = 1000)]
        step: u32,
        #[arg(long, default_value_t = 100_000)]
        max_rate: u32,
        /// Seconds per step.
        #[arg(long, default_value_t = 5)]
        step_secs: u64,
        /// The p99 send→delivery bound, in milliseconds.
        #[arg(long, default_value_t = 100.0)]
        p99_ms: f64,
        #[arg(long, default_value_t = 4)]
        peers: usize,
        /// Attempts per rate: a step that does not hold is run again, up to this many times in
        /// all, before the ramp stops (every attempt is reported). More than one keeps a
        /// moment's noise on a shared machine from ending the ramp.
        #[arg(long, default_value_t = 1)]
        tries: u32,
    },
    /// Message search on a generated Chinese and English corpus: load it as fast as the server
    /// takes it, then ack→searchable, the indexing rate, query latency and the index's size;
    /// or (`--postgres`) the same corpus and queries on PostgreSQL's full-text search and
    /// pg_trgm. BENCHMARKS.md's "Search" says how `bench/search.sh` runs it.
    Search {
        /// Messages in the corpus.
        #[arg(long, default_value_t = 100_000)]
        messages: u64,
        /// Users (user 0 searches; it is in every group).
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Groups, and as many direct chats.
        #[arg(long, default_value_t = 100)]
        groups: usize,
        /// Sends in flight per connection while loading.
        #[arg(long, default_value_t = 32)]
        window: usize,
        /// Probes on the idle server after the load (ack→searchable).
        #[arg(long, default_value_t = 50)]
        idle_probes: usize,
        /// Times each query is run.
        #[arg(long, default_value_t = 100)]
        repeats: usize,
        /// The corpus's seed: the same seed, the same messages.
        #[arg(long, default_value_t = 16)]
        seed: u64,
        /// The server's search index directory, to report its size.
        #[arg(long)]
        index_dir: Option<std::path::PathBuf>,
        /// Run the PostgreSQL baseline on this database instead of loading a Magpie server.
        #[arg(long)]
        postgres: Option<String>,
        /// Only load the corpus (for a server with search off): the send rate alone.
        #[arg(long)]
        load_only: bool,
    },
    /// A group of M members of whom A are away with a device registered at an HTTP push gateway
    /// that the bench runs; one online member posts: sends taken per second, and how long until
    /// the gateway has every push (pushes per second).
    Push {
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Members with no connection open, each with one gateway device.
        #[arg(long, default_value_t = 9_000)]
        away: usize,
        #[arg(long, default_value_t = 20)]
        messages: u64,
        /// Where the bench's gateway listens; the server's `push.gateways` names it.
        #[arg(long, default_value = "127.0.0.1:18991")]
        gateway_listen: std::net::SocketAddr,
        /// The gateway's name in the server's `push.gateways`.
        #[arg(long, default_value = "bench")]
        gateway_name: String,
        /// Register no devices: the baseline for the send rate without push.
        #[arg(long)]
        no_devices: bool,
    },
    /// Outgoing webhooks: a bot in N groups (two users and the bot each) subscribed to their
    /// `message` events at an HTTP app that the bench runs; the groups' owners post
    /// round-robin. Sends taken per second (with the subscription and, `--no-subscription`,
    /// without), events per second at the app, commit→delivery latency, and whether every
    /// event came once, in order, signed. Needs `--admin` (it makes the bot and the
    /// accounts), and a server that may call the app on the loopback address:
    /// `MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED=127.0.0.1` (bench/webhooks.sh starts one so).
    Webhooks {
        /// Groups the bot is in and subscribed to (at most the server's
        /// `groups_per_account_max`, 1,000 by default, for the bot is in each).
        #[arg(long, default_value_t = 1000)]
        conversations: usize,
        /// Messages in all, spread round-robin over the groups (after one each to warm up).
        #[arg(long, default_value_t = 20_000)]
        messages: u64,
        /// Where the bench's app listens: an address the server reaches, as
        /// `http://LISTEN/events`.
        #[arg(long, default_value = "127.0.0.1:18992")]
        listen: std::net::SocketAddr,
        /// Subscribe nothing: the baseline for the send rate without webhooks (the same bot
        /// in the same groups).
        #[arg(long)]
        no_subscription: bool,
        /// Sends in flight at once, over all the owners' connections.
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
        /// The app holds its answers while the messages are sent, then answers all: how fast
        /// a backlog is delivered, apart from the send rate.
        #[arg(long)]
        drain: bool,
    },
}

/// Runs one scenario and prints its result.
pub async fn run(args: BenchArgs) -> Result<()> {
    let limit = Duration::from_secs(args.max_secs);
    let Ok(result) = tokio::time::timeout(limit, scenario(&args)).await else {
        anyhow::bail!("the scenario did not finish within {} s (--max-secs)", args.max_secs);
    };
    let result = result?;
    // A reader that went away (a pipe into `head`, say) is no reason to fail the run.
    let mut out = std::io::stdout().lock();
    let _ = if args.json { writeln!(out, "{}", serde_json::to_string(&result)?) } else { write!(out, "{result}") };
    result.check()
}

async fn scenario(args: &BenchArgs) -> Result<Report> {
    Ok(match &args.scenario {
        Scenario::Connect { connections, rate, hold } => {
            Report::Connect(scenarios::connect(args, *connections, *rate, Duration::from_secs(*hold)).await?)
        }
        Scenario::Direct { users, rate, duration, peers } => {
            Report::Direct(scenarios::direct(args, *users, *peers, *rate, Duration::from_secs(*duration)).await?)
        }
        Scenario::Group { members, messages, rate } => {
            Report::Group(scenarios::group(args, *members, *messages, *rate).await?)
        }
        Scenario::Sync { clients, messages } => Report::Sync(scenarios::sync(args, *clients, *messages).await?),
        Scenario::Ramp { users, start, step, max_rate, step_secs, p99_ms, peers, tries } => {
            let ramp = scenarios::Ramp {
                users: *users,
                peers: *peers,
                start: *start,
                step: *step,
                max_rate: *max_rate,
                step_time: Duration::from_secs(*step_secs),
                p99_ms: *p99_ms,
                tries: *tries,
            };
            Report::Ramp(scenarios::ramp(args, &ramp).await?)
        }
        Scenario::Search {
            messages,
            users,
            groups,
            window,
            idle_probes,
            repeats,
            seed,
            index_dir,
            postgres,
            load_only,
        } => {
            let bench = search::SearchBench {
                messages: *messages,
                users: *users,
                groups: *groups,
                window: *window,
                idle_probes: *idle_probes,
                repeats: *repeats,
                seed: *seed,
                index_dir: index_dir.clone(),
                postgres: postgres.clone(),
                load_only: *load_only,
            };
            Report::Search(search::run(args, &bench).await?)
        }
        Scenario::Push { members, away, messages, gateway_listen, gateway_name, no_devices } => {
            let bench = push::PushBench {
                members: *members,
                away: *away,
                messages: *messages,
                gateway_listen: *gateway_listen,
                gateway_name: gateway_name.clone(),
                no_devices: *no_devices,
            };
            Report::Push(push::run(args, &bench).await?)
        }
        Scenario::Webhooks { conversations, messages, listen, no_subscription, in_flight, drain } => {
            let bench = webhooks::WebhooksBench {
                conversations: *conversations,
                messages: *messages,
                listen: *listen,
                no_subscription: *no_subscription,
                in_flight: *in_flight,
                drain: *drain,
            };
            Report::Webhooks(webhooks::run(args, &bench).await?)
        }
    })
}

#[derive(Debug, Serialize)]
#[serde(tag = "scenario", rename_all = "snake_case")]
pub enum Report {
    Connect(scenarios::ConnectReport),
    Direct(scenarios::DirectReport),
    Group(scenarios::GroupReport),
    Sync(scenarios::SyncReport),
    Ramp(scenarios::RampReport),
    Search(search::SearchReport),
    Push(push::PushReport),
    Webhooks(webhooks::WebhooksReport),
}

impl Report {
    /// A run that lost or duplicated messages (or, in `search`, had a send fail or a probe never
    /// found; in `webhooks`, lost events or had them out of order or signed wrongly) fails, so
    /// that a smoke run catches it.
    fn check(&self) -> Result<()> {
        let broken = match self {
            Report::Direct(d) => d.lost + d.duplicated > 0,
            Report::Group(g) => g.lost + g.duplicated > 0,
            Report::Sync(s) => !s.gap_free,
            Report::Search(s) => search::failed(s) > 0,
            Report::Push(p) => p.pushes < p.pushes_expected || p.duplicated > 0,
            Report::Webhooks(w) => webhooks::failed(w),
            Report::Connect(_) | Report::Ramp(_) => false,
        };
        if broken {
            anyhow::bail!("the run lost, duplicated or failed messages");
        }
        Ok(())
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Report::Connect(r) => r.fmt(f),
            Report::Direct(r) => r.fmt(f),
            Report::Group(r) => r.fmt(f),
            Report::Sync(r) => r.fmt(f),
            Report::Ramp(r) => r.fmt(f),
            Report::Search(r) => r.fmt(f),
            Report::Push(r) => r.fmt(f),
            Report::Webhooks(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(args: &[&str]) -> BenchArgs {
        Cli::try_parse_from([&["magpie-bench"], args].concat()).unwrap().bench
    }

    #[test]
    fn one_url_is_one_node() {
        let args = parse(&["--url", "http://a:1", "direct"]);
        assert_eq!(args.url, ["http://a:1"]);
        assert_eq!(args.nodes(), 1);
        assert_eq!((0..3).map(|i| args.node_of(i)).collect::<Vec<_>>(), [0, 0, 0]);
        assert!(args.server_pid.is_empty());
    }

    #[test]
    fn several_urls_repeated_or_comma_separated_spread_users_round_robin() {
        let args = parse(&[
            "--url",
            "http://a:1,http://b:2",
            "--url",
            "http://c:3",
            "--server-pid",
            "10,11",
            "--server-pid",
            "12",
            "--watch",
            "postgres=20",
            "--watch",
            "redis=21",
            "direct",
        ]);
        assert_eq!(args.url, ["http://a:1", "http://b:2", "http://c:3"]);
        assert_eq!(args.server_pid, [10, 11, 12]);
        let watched: Vec<(&str, u32)> = args.watch.iter().map(|w| (w.name.as_str(), w.pid)).collect();
        assert_eq!(watched, [("postgres", 20), ("redis", 21)]);
        let nodes: Vec<&str> = (0..7).map(|i| args.node_url(args.node_of(i))).collect();
        assert_eq!(
            nodes,
            ["http://a:1", "http://b:2", "http://c:3", "http://a:1", "http://b:2", "http://c:3", "http://a:1"]
        );
    }

    #[test]
    fn a_watched_process_is_name_equals_pid() {
        assert_eq!("redis=5".parse(), Ok(Watched { name: "redis".to_owned(), pid: 5 }));
        for bad in ["redis", "=5", "redis=", "redis=x"] {
            assert!(bad.parse::<Watched>().is_err(), "{bad}");
        }
        assert!(Cli::try_parse_from(["magpie-bench", "--watch", "redis", "direct"]).is_err());
    }

    #[test]
    fn a_process_tree_has_used_at_least_its_root_s_cpu() {
        // Burn a little CPU so that the process has ticks to its name.
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let pid = std::process::id();
        let own = sample(pid).unwrap().cpu_secs;
        let tree = sample_tree(pid).unwrap();
        assert!(tree >= own, "tree {tree} < own {own}");
        assert!(sample_tree(u32::MAX).is_none());
    }
}
