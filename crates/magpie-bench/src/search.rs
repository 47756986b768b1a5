//! `magpie bench search`: message search on a generated corpus ([`crate::corpus`]), through a
//! real server, or the same corpus and queries on PostgreSQL's full-text search and `pg_trgm`
//! (`--postgres`), the baseline a user might pick instead.
//!
//! Against Magpie it loads the corpus over the WebSocket as fast as the server takes it (every
//! sender online, a window of sends in flight on each connection), and meanwhile sends a probe
//! every [`PROBE_PERIOD`] and polls the search until the probe is found: the time from ack to
//! searchable under load. Once the last message is acked, a last probe found means everything
//! before it is indexed (the indexer follows the log in commit order): the indexing rate while
//! serving sends. Then probes on the idle server, the queries, and the index's size on disk.
//! With `--load-only` it stops after the load (a server with search off answers no search):
//! the send rate without the indexer, to compare with the send rate with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::stream::FuturesUnordered;
use futures_util::{StreamExt, TryStreamExt, stream};
use magpie_wire as wire;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::BenchArgs;
use crate::corpus::{Corpus, Message, Rng};
use crate::native::{self, Account, Conn};
use crate::stats::{Latency, LatencySummary, Usage, UsageReport};

/// How often a probe is sent while the corpus loads.
const PROBE_PERIOD: Duration = Duration::from_millis(500);
/// How often a probe's search is repeated until it finds the probe.
const PROBE_POLL: Duration = Duration::from_millis(5);
/// A probe not found by then counts as never found.
const PROBE_GIVE_UP: Duration = Duration::from_secs(120);
/// Messages queued per sender ahead of its window.
const SENDER_QUEUE_LEN: usize = 256;
/// Rows per insert into PostgreSQL.
pub(crate) const PG_BATCH_LEN: usize = 5_000;

/// What `magpie bench search` is asked.
#[derive(Debug, Clone)]
pub struct SearchBench {
    pub messages: u64,
    pub users: usize,
    pub groups: usize,
    pub window: usize,
    pub idle_probes: usize,
    pub repeats: usize,
    pub seed: u64,
    pub index_dir: Option<PathBuf>,
    pub postgres: Option<String>,
    pub load_only: bool,
}

/// One query of the set, run the same way on Magpie and on PostgreSQL.
pub(crate) struct QuerySpec {
    pub(crate) name: &'static str,
    /// Typical, or one of the worst.
    pub(crate) worst: bool,
    pub(crate) q: &'static str,
    pub(crate) newest: bool,
    /// Only messages from the corpus's user 1.
    pub(crate) from_user1: bool,
    pub(crate) has_file: bool,
    pub(crate) mentions_me: bool,
}

const fn spec(name: &'static str, worst: bool, q: &'static str) -> QuerySpec {
    QuerySpec { name, worst, q, newest: false, from_user1: false, has_file: false, mentions_me: false }
}

pub(crate) fn queries() -> Vec<QuerySpec> {
    vec![
        spec("zh word", false, "会议"),
        spec("zh word, inside longer text and file names", false, "报告"),
        spec("en word", false, "meeting"),
        spec("mixed zh + en", false, "项目 release"),
        spec("person name", false, "张伟"),
        QuerySpec { newest: true, ..spec("zh word, newest first", false, "会议") },
        QuerySpec { from_user1: true, ..spec("zh word, from one sender", false, "问题") },
        QuerySpec { has_file: true, ..spec("has a file", false, "报告") },
        QuerySpec { mentions_me: true, ..spec("mentions me", false, "我们") },
        spec("most common zh character", true, "的"),
        QuerySpec { newest: true, ..spec("most common zh character, newest first", true, "的") },
        spec("most common en word", true, "the"),
        spec("three most common zh words", true, "的 是 在"),
    ]
}

#[derive(Debug, Serialize)]
pub struct SearchReport {
    /// `magpie`, `postgres-simple` (to_tsvector 'simple') or `postgres-trgm`; one report per
    /// engine.
    pub engines: Vec<EngineReport>,
    pub messages: u64,
    pub users: usize,
    pub conversations: usize,
}

#[derive(Debug, Serialize)]
pub struct EngineReport {
    pub engine: String,
    /// How long the corpus took to load, and its rate (messages per second).
    pub load_secs: f64,
    pub load_rate: f64,
    pub acked: u64,
    pub failed: u64,
    /// Magpie: the server's CPU during the load, per message (µs); and the usage report.
    pub server_cpu_us_per_message: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageReport>,
    /// Magpie: from the first send until a probe sent after the last ack was found, and the
    /// corpus's size over that time.
    pub indexed_secs: Option<f64>,
    pub indexing_rate: Option<f64>,
    /// Magpie: ack to found by a search, while the corpus loads and on the idle server.
    pub ack_to_searchable_under_load: Option<LatencySummary>,
    pub ack_to_searchable_idle: Option<LatencySummary>,
    pub probes_never_found: u64,
    /// PostgreSQL: how long its index took to build.
    pub index_build_secs: Option<f64>,
    /// The index's size on disk, and per message.
    pub index_bytes: Option<u64>,
    pub index_bytes_per_message: Option<f64>,
    pub queries: Vec<QueryReport>,
}

#[derive(Debug, Serialize)]
pub struct QueryReport {
    pub name: String,
    pub q: String,
    pub worst: bool,
    pub latency: LatencySummary,
    /// How many messages match (Magpie's `total`; PostgreSQL's count, taken once, untimed).
    pub matches: u64,
}

pub async fn run(args: &BenchArgs, bench: &SearchBench) -> Result<SearchReport> {
    let corpus = Corpus::new(bench.seed, bench.users, bench.groups);
    let engines = match &bench.postgres {
        Some(url) => crate::baseline_pg::postgres(url, &corpus, bench).await?,
        None => vec![magpie(args, &corpus, bench).await?],
    };
    Ok(SearchReport { engines, messages: bench.messages, users: corpus.names.len(), conversations: corpus.chats.len() })
}

// ---- Magpie -------------------------------------------------------------------------------

/// A corpus user on the server.
struct Member {
    address: String,
    client: magpie_client::Client,
    /// Every user but the searcher is online.
    conn: Option<Arc<Conn>>,
    /// A file this user uploaded, which its file messages name.
    file: String,
}

async fn magpie(args: &BenchArgs, corpus: &Corpus, bench: &SearchBench) -> Result<EngineReport> {
    let url = args.node_url(0).to_owned();
    let address = |i: usize| format!("{}s{i}@{}", args.prefix, args.domain);
    if let Some(admin) = &args.admin {
        let (who, password) = admin.split_once(':').ok_or_else(|| anyhow!("--admin is name@domain:password"))?;
        let (client, _) = magpie_client::Client::new(&url)?.login(who, password).await?;
        let client = &client;
        stream::iter(corpus.names.iter().enumerate().map(|(i, name)| async move {
            let req = wire::CreateAccountRequest {
                account: address(i),
                password: args.password.clone(),
                display_name: Some(name.clone()),
                role: None,
            };
            match client.admin_create_account(&req).await {
                Ok(_) => Ok(()),
                Err(magpie_client::Error::Api { detail, .. }) if detail.code == wire::ErrorCode::AlreadyExists => {
                    Ok(())
                }
                Err(e) => Err(anyhow!("create {}: {e}", req.account)),
            }
        }))
        .buffer_unordered(args.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    }
    let members: Vec<Member> = stream::iter((0..corpus.names.len()).map(|i| {
        let url = url.clone();
        async move {
            let (client, login) = magpie_client::Client::new(&url)?.login(&address(i), &args.password).await?;
            let account = Account { address: address(i), token: login.token };
            // The searcher (user 0) sends nothing and searches over REST: it stays offline.
            let conn = if i == 0 {
                None
            } else {
                let (conn, pushes) = Conn::open(&native::ws_url(&url), &account).await?;
                // Pushes are not measured; reading them keeps the connection's replies flowing.
                tokio::spawn(async move {
                    let mut pushes = pushes;
                    while pushes.recv().await.is_some() {}
                });
                Some(Arc::new(conn))
            };
            let file = client.upload_once(b"%PDF-1.4 bench\n".to_vec(), "bench.pdf").await?.id;
            Ok::<_, anyhow::Error>(Member { address: account.address, client, conn, file })
        }
    }))
    .buffered(args.concurrency)
    .try_collect()
    .await?;

    // The conversations, each made by its first member.
    let chat_ids: Vec<i64> = stream::iter(corpus.chats.iter().enumerate().map(|(k, chat)| {
        let creator = &members[chat.members[0]].client;
        let others: Vec<String> = chat.members[1..].iter().map(|&m| members[m].address.clone()).collect();
        async move {
            let req = if chat.group {
                wire::CreateConversationRequest::Group(wire::GroupSpec {
                    name: format!("项目组 {k}"),
                    members: others,
                    ..Default::default()
                })
            } else {
                wire::CreateConversationRequest::Direct { peer: others.into_iter().next().unwrap_or_default() }
            };
            Ok::<_, anyhow::Error>(creator.create_conversation(&req).await.with_context(|| format!("chat {k}"))?.id)
        }
    }))
    .buffered(args.concurrency)
    .try_collect()
    .await?;

    // The load: one task per sender keeps up to `window` sends in flight.
    let started = Instant::now();
    let before = Usage::sample(args);
    let mut queues = Vec::with_capacity(members.len());
    let mut senders = Vec::with_capacity(members.len());
    for member in &members {
        let (tx, rx) = mpsc::channel::<(u64, Message)>(SENDER_QUEUE_LEN);
        queues.push(tx);
        let Some(conn) = &member.conn else { continue };
        let ctx = SendCtx {
            conn: conn.clone(),
            file: member.file.clone(),
            chat_ids: chat_ids.clone(),
            addresses: members.iter().map(|m| m.address.clone()).collect(),
        };
        senders.push(tokio::spawn(sender(ctx, rx, bench.window.max(1))));
    }
    let probing = Arc::new(std::sync::atomic::AtomicBool::new(!bench.load_only));
    let searcher = members[0].client.clone();
    let probe_chat = chat_ids.first().copied().context("no conversations")?;
    let probe_conn = members[corpus.chats[0].members[1]].conn.clone().context("the prober is offline")?;
    let probes = {
        let probing = probing.clone();
        let (searcher, probe_conn) = (searcher.clone(), probe_conn.clone());
        tokio::spawn(async move {
            let mut latency = Latency::default();
            let mut lost = 0;
            let mut n = 0;
            while probing.load(std::sync::atomic::Ordering::SeqCst) {
                let next = tokio::time::Instant::now() + PROBE_PERIOD;
                n += 1;
                match probe(&probe_conn, &searcher, probe_chat, n).await {
                    Ok(Some(took)) => latency.record(took),
                    _ => lost += 1,
                }
                tokio::time::sleep_until(next).await;
            }
            (latency, lost, n)
        })
    };
    for i in 0..bench.messages {
        let message = corpus.message(i);
        queues[message.sender].send((i, message)).await.map_err(|_| anyhow!("a sender stopped"))?;
    }
    drop(queues);
    let (mut acked, mut failed) = (0, 0);
    for s in senders {
        let (a, f) = s.await?;
        acked += a;
        failed += f;
    }
    let load_secs = started.elapsed().as_secs_f64();
    let usage = Usage::sample(args).since(&before, acked);
    let cpu_us = usage.server_cpu_secs.map(|s| s * 1e6 / acked.max(1) as f64);
    let mut report = EngineReport {
        engine: "magpie".to_owned(),
        load_secs,
        load_rate: acked as f64 / load_secs,
        acked,
        failed,
        server_cpu_us_per_message: cpu_us,
        usage: Some(usage),
        indexed_secs: None,
        indexing_rate: None,
        ack_to_searchable_under_load: None,
        ack_to_searchable_idle: None,
        probes_never_found: 0,
        index_build_secs: None,
        index_bytes: None,
        index_bytes_per_message: None,
        queries: Vec::new(),
    };
    if bench.load_only {
        return Ok(report);
    }
    probing.store(false, std::sync::atomic::Ordering::SeqCst);
    let (under_load, mut never, probe_n) = probes.await?;
    // Everything committed before this probe is indexed once it is found.
    let last = probe(&probe_conn, &searcher, probe_chat, probe_n + 1).await?;
    if last.is_none() {
        bail!("the index did not catch up within {PROBE_GIVE_UP:?} of the last ack");
    }
    let indexed_secs = started.elapsed().as_secs_f64();
    report.indexed_secs = Some(indexed_secs);
    report.indexing_rate = Some(acked as f64 / indexed_secs);
    let mut idle = Latency::default();
    // On the idle server, a probe every PROBE_PERIOD as under load (one sent right as the
    // previous is found would often wait for the indexer's next poll, not its commit timer).
    for k in 0..bench.idle_probes as u64 {
        tokio::time::sleep(PROBE_PERIOD).await;
        match probe(&probe_conn, &searcher, probe_chat, probe_n + 2 + k).await? {
            Some(took) => idle.record(took),
            None => never += 1,
        }
    }
    report.ack_to_searchable_under_load = Some(under_load.summary());
    report.ack_to_searchable_idle = Some(idle.summary());
    report.probes_never_found = never;

    let user1 = members[1].address.clone();
    for spec in queries() {
        let q = wire::SearchMessagesQuery {
            q: spec.q.to_owned(),
            sender: spec.from_user1.then(|| user1.clone()),
            has: spec.has_file.then_some(wire::SharedKind::File),
            mentions_me: spec.mentions_me.then_some(true),
            order: Some(if spec.newest { wire::SearchOrder::Newest } else { wire::SearchOrder::Relevance }),
            ..Default::default()
        };
        let mut latency = Latency::default();
        let mut matches = 0;
        for _ in 0..bench.repeats {
            let at = Instant::now();
            let page = searcher.search_messages(&q).await.with_context(|| format!("search {:?}", spec.q))?;
            latency.record(micros(at.elapsed()));
            matches = page.total;
        }
        report.queries.push(QueryReport {
            name: spec.name.to_owned(),
            q: spec.q.to_owned(),
            worst: spec.worst,
            latency: latency.summary(),
            matches,
        });
    }
    if let Some(dir) = &bench.index_dir {
        let bytes = dir_bytes(dir)?;
        report.index_bytes = Some(bytes);
        report.index_bytes_per_message = Some(bytes as f64 / acked.max(1) as f64);
    }
    Ok(report)
}

struct SendCtx {
    conn: Arc<Conn>,
    file: String,
    chat_ids: Vec<i64>,
    addresses: Vec<String>,
}

/// Sends one user's share of the corpus, `window` at a time; its acked and failed counts.
async fn sender(ctx: SendCtx, mut queue: mpsc::Receiver<(u64, Message)>, window: usize) -> (u64, u64) {
    let mut in_flight = FuturesUnordered::new();
    let (mut acked, mut failed) = (0, 0);
    let run = native::run_id();
    loop {
        tokio::select! {
            next = queue.recv(), if in_flight.len() < window => {
                let Some((i, m)) = next else { break };
                let (kind, body) = match &m.file_name {
                    Some(name) => ("file", serde_json::json!({"file": ctx.file, "name": name, "size": 15})),
                    None => ("text", serde_json::json!({"text": m.text})),
                };
                let send = wire::SendRequest {
                    client_msg_id: format!("c{run}-{i}"),
                    kind: kind.to_owned(),
                    body,
                    mentions: m.mentions.iter().map(|&u| ctx.addresses[u].clone()).collect(),
                    mention_all: false,
                    reply_to: None,
                    thread: None,
                    broadcast: false,
                };
                let request = wire::Request::Send(wire::InConversation { conversation: ctx.chat_ids[m.chat], data: send });
                match ctx.conn.start(&request).await {
                    Ok(answer) => in_flight.push(answer),
                    Err(_) => failed += 1,
                }
            }
            Some(answer) = in_flight.next() => {
                if matches!(answer, Ok(Ok(_))) { acked += 1 } else { failed += 1 }
            }
            else => break,
        }
    }
    while let Some(answer) = in_flight.next().await {
        if matches!(answer, Ok(Ok(_))) { acked += 1 } else { failed += 1 }
    }
    (acked, failed)
}

/// Sends a message with a word found nowhere else, and searches for it as `searcher` until it
/// is found: the time from its ack until then, in µs (`None`: not found in time).
async fn probe(conn: &Conn, searcher: &magpie_client::Client, chat: i64, n: u64) -> Result<Option<u64>> {
    let mut rng = Rng::new(native::run_id(), n ^ 0xABCD_0000_0000);
    let token: String = (0..12).map(|_| char::from(b'a' + rng.below(26) as u8)).collect();
    let token = format!("zq{token}");
    let send = wire::SendRequest {
        client_msg_id: format!("probe-{}-{n}", native::run_id()),
        kind: "text".to_owned(),
        body: serde_json::json!({"text": format!("探针 {token}")}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    let request = wire::Request::Send(wire::InConversation { conversation: chat, data: send });
    let _: wire::Ack = conn.request(&request).await?;
    let acked = Instant::now();
    let q = wire::SearchMessagesQuery { q: token, conversation: Some(chat), limit: Some(1), ..Default::default() };
    while acked.elapsed() < PROBE_GIVE_UP {
        if searcher.search_messages(&q).await?.total > 0 {
            return Ok(Some(micros(acked.elapsed())));
        }
        tokio::time::sleep(PROBE_POLL).await;
    }
    Ok(None)
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The bytes of the files under `dir`.
fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_bytes(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

impl std::fmt::Display for SearchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "search: {} messages, {} users, {} conversations", self.messages, self.users, self.conversations)?;
        for e in &self.engines {
            writeln!(f, "[{}]", e.engine)?;
            writeln!(
                f,
                "  load: {} acked, {} failed in {:.1} s: {:.0} msg/s",
                e.acked, e.failed, e.load_secs, e.load_rate
            )?;
            if let Some(cpu) = e.server_cpu_us_per_message {
                writeln!(f, "  server CPU during the load: {cpu:.0} µs per message")?;
            }
            if let (Some(secs), Some(rate)) = (e.indexed_secs, e.indexing_rate) {
                writeln!(f, "  all indexed {secs:.1} s after the first send: {rate:.0} msg/s")?;
            }
            if let Some(l) = &e.ack_to_searchable_under_load {
                writeln!(f, "  ack→searchable under load: {l}")?;
            }
            if let Some(l) = &e.ack_to_searchable_idle {
                writeln!(f, "  ack→searchable idle:       {l}")?;
            }
            if e.probes_never_found > 0 {
                writeln!(f, "  probes never found: {}", e.probes_never_found)?;
            }
            if let Some(secs) = e.index_build_secs {
                writeln!(f, "  index built in {secs:.1} s")?;
            }
            if let (Some(b), Some(per)) = (e.index_bytes, e.index_bytes_per_message) {
                writeln!(f, "  index: {:.1} MiB, {per:.0} bytes per message", b as f64 / 1048576.0)?;
            }
            for q in &e.queries {
                writeln!(
                    f,
                    "  {:<5} {:<44} p50 {:>8.2} ms  p99 {:>8.2} ms  {:>9} matches",
                    if q.worst { "worst" } else { "" },
                    format!("{} ({})", q.name, q.q),
                    q.latency.p50_ms,
                    q.latency.p99_ms,
                    q.matches
                )?;
            }
        }
        Ok(())
    }
}

/// Sends that failed and probes never found, over every engine: a run with any fails.
pub fn failed(report: &SearchReport) -> u64 {
    report.engines.iter().map(|e| e.failed + e.probes_never_found).sum()
}
