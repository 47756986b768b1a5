//! The scenarios over Magpie's native WebSocket protocol.

use magpie_wire as wire;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::stream::FuturesUnordered;
use futures_util::{StreamExt, TryStreamExt, stream};
use rand::Rng;
use serde::Serialize;
use tokio::sync::{Notify, mpsc};

use crate::link::{self, Dest, Link, User};
use crate::native::Pushed;
use crate::stats::{Clock, Latency, LatencySummary, Usage, UsageReport};
use crate::{BenchArgs, Target};

/// How long the bench waits, after the last send, for acks and deliveries still under way.
const DRAIN: Duration = Duration::from_secs(10);
/// How long a scenario's setup may take to reach every member before the measuring starts.
const SETTLE_MAX: Duration = Duration::from_secs(300);

/// Reads and drops a connection's pushes, for a connection whose pushes are not measured.
pub(crate) async fn drain(mut pushes: mpsc::Receiver<Pushed>) {
    while pushes.recv().await.is_some() {}
}

// ---- connect --------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ConnectReport {
    pub connections: usize,
    pub open_secs: f64,
    pub connect_latency: LatencySummary,
    pub server_rss_before_bytes: Option<u64>,
    pub server_rss_after_bytes: Option<u64>,
    pub server_bytes_per_connection: Option<f64>,
}

pub async fn connect(args: &BenchArgs, n: usize, rate: u32, hold: Duration) -> Result<ConnectReport> {
    let users = link::users(args, n).await?;
    let before = Usage::sample(args).rss_bytes();
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    let mut opening = FuturesUnordered::new();
    let mut open = Vec::with_capacity(n);
    let mut latency = Latency::default();
    let mut next = users.iter();
    loop {
        tokio::select! {
            _ = ticker.tick(), if next.len() > 0 => {
                if let Some(user) = next.next() {
                    opening.push(async move {
                        let at = Instant::now();
                        let link = Link::open(args, user).await;
                        (link, at.elapsed())
                    });
                }
            }
            Some((conn, took)) = opening.next() => {
                let (conn, pushes) = conn?;
                latency.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                open.push((conn, pushes));
            }
            else => break,
        }
        if open.len() == n {
            break;
        }
    }
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(hold).await;
    let after = Usage::sample(args).rss_bytes();
    for (conn, _) in &open {
        conn.close().await;
    }
    let per = match (before, after) {
        (Some(b), Some(a)) if n > 0 => Some((a as f64 - b as f64) / n as f64),
        _ => None,
    };
    Ok(ConnectReport {
        connections: open.len(),
        open_secs,
        connect_latency: latency.summary(),
        server_rss_before_bytes: before,
        server_rss_after_bytes: after,
        server_bytes_per_connection: per,
    })
}

impl std::fmt::Display for ConnectReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "connect: {} connections open in {:.2} s", self.connections, self.open_secs)?;
        writeln!(f, "  connect latency: {}", self.connect_latency)?;
        if let (Some(b), Some(a), Some(per)) =
            (self.server_rss_before_bytes, self.server_rss_after_bytes, self.server_bytes_per_connection)
        {
            writeln!(f, "  server RSS {} → {} KiB: {:.0} bytes per connection", b / 1024, a / 1024, per)?;
        }
        Ok(())
    }
}

// ---- direct and ramp ----------------------------------------------------------------------

/// Users online with their direct chats, reused across the phases of a ramp.
struct DirectRig {
    users: Vec<DirectUser>,
}

struct DirectUser {
    address: String,
    link: Arc<Link>,
    pushes: mpsc::Receiver<Pushed>,
    /// The direct chats this user sends into.
    chats: Vec<Dest>,
    /// Message numbers this user has used, across phases.
    sent: u64,
}

async fn direct_rig(args: &BenchArgs, n: usize, peers: usize) -> Result<DirectRig> {
    if n < 2 {
        bail!("direct needs at least 2 users");
    }
    let accounts = link::users(args, n).await?;
    let links = link::open_all(args, &accounts).await?;
    let mut users: Vec<DirectUser> = accounts
        .iter()
        .zip(links)
        .map(|(a, (link, pushes))| DirectUser { address: a.address.clone(), link, pushes, chats: Vec::new(), sent: 0 })
        .collect();
    // User i opens chats with the next `peers` users (fewer when there are not that many).
    let peers = peers.clamp(1, n - 1);
    let opens = (0..n).flat_map(|i| (1..=peers).map(move |k| (i, (i + k) % n)));
    let opened: Vec<(usize, usize, Dest)> = stream::iter(opens.map(|(i, j)| {
        let link = users[i].link.clone();
        let peer = &accounts[j];
        async move { Ok::<_, anyhow::Error>((i, j, link.direct_with(peer).await?)) }
    }))
    .buffer_unordered(args.concurrency)
    .try_collect()
    .await?;
    for (i, j, dest) in opened {
        // The peer answers in the same chat, so both directions carry load.
        let back = match &dest {
            Dest::Conversation(id) => Dest::Conversation(*id),
            _ => Dest::Jid(users[i].address.clone()),
        };
        users[i].chats.push(dest);
        users[j].chats.push(back);
    }
    Ok(DirectRig { users })
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectReport {
    pub users: usize,
    pub target_rate: u32,
    pub duration_secs: f64,
    pub sent: u64,
    pub acked: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub failed: u64,
    /// Deliveries per second over the sending time.
    pub throughput: f64,
    pub send_to_ack: LatencySummary,
    pub send_to_delivery: LatencySummary,
    /// The server's CPU (per node too, in a cluster) and memory, and the watched processes' CPU.
    #[serde(flatten)]
    pub usage: UsageReport,
}

struct PhaseTotals {
    acked: AtomicU64,
    delivered: AtomicU64,
    /// Sends whose ack (or failure) has not come back yet, over all users.
    outstanding: AtomicU64,
    sending: AtomicBool,
    /// Wakes the users that wait for the phase to settle, once it has.
    settle: Notify,
}

impl PhaseTotals {
    /// The send phase is over, every send everywhere has its answer, and every acked message
    /// has arrived. Once true it stays true: nothing is sent any more.
    fn settled(&self) -> bool {
        !self.sending.load(Ordering::SeqCst)
            && self.outstanding.load(Ordering::SeqCst) == 0
            && self.delivered.load(Ordering::SeqCst) >= self.acked.load(Ordering::SeqCst)
    }

    /// Call after every change that may settle the phase.
    fn changed(&self) {
        if self.settled() {
            self.settle.notify_waiters();
        }
    }
}

/// One phase at `rate` messages per second for `duration`, on a rig already online.
async fn direct_phase(
    args: &BenchArgs,
    rig: DirectRig,
    rate: u32,
    duration: Duration,
) -> Result<(DirectRig, DirectReport)> {
    let n = rig.users.len();
    let clock = Clock::start();
    let totals = Arc::new(PhaseTotals {
        acked: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        outstanding: AtomicU64::new(0),
        sending: AtomicBool::new(true),
        settle: Notify::new(),
    });
    let before = Usage::sample(args);
    let per_user = f64::from(rate.max(1)) / n as f64;
    let period = Duration::from_secs_f64(1.0 / per_user);
    let started = Instant::now();

    let tasks: Vec<_> = rig
        .users
        .into_iter()
        .enumerate()
        .map(|(i, user)| {
            let totals = totals.clone();
            // Spread the users' first sends over one period, so that they do not send in step.
            let offset = period.mul_f64(i as f64 / n as f64);
            tokio::spawn(direct_user(user, clock, totals, offset, period, duration))
        })
        .collect();

    // The send phase ends after `duration`; then acks and deliveries get DRAIN to arrive.
    tokio::time::sleep(duration).await;
    totals.sending.store(false, Ordering::SeqCst);
    totals.changed();
    let send_secs = started.elapsed().as_secs_f64();

    let mut users = Vec::with_capacity(n);
    let (mut sent, mut failed, mut delivered, mut duplicated) = (0, 0, 0, 0);
    let (mut ack_latency, mut delivery_latency) = (Latency::default(), Latency::default());
    let mut acked = 0;
    for task in tasks {
        let (user, outcome) = task.await?;
        sent += outcome.sent;
        acked += outcome.acked;
        failed += outcome.failed;
        delivered += outcome.delivered;
        duplicated += outcome.duplicated;
        ack_latency.merge(&outcome.ack_latency);
        delivery_latency.merge(&outcome.delivery_latency);
        users.push(user);
    }
    let usage = Usage::sample(args).since(&before, delivered);
    let report = DirectReport {
        users: n,
        target_rate: rate,
        duration_secs: send_secs,
        sent,
        acked,
        delivered,
        lost: acked.saturating_sub(delivered),
        duplicated,
        failed,
        throughput: delivered as f64 / send_secs,
        send_to_ack: ack_latency.summary(),
        send_to_delivery: delivery_latency.summary(),
        usage,
    };
    Ok((DirectRig { users }, report))
}

#[derive(Default)]
struct UserOutcome {
    sent: u64,
    acked: u64,
    failed: u64,
    delivered: u64,
    duplicated: u64,
    ack_latency: Latency,
    delivery_latency: Latency,
}

async fn direct_user(
    mut user: DirectUser,
    clock: Clock,
    totals: Arc<PhaseTotals>,
    offset: Duration,
    period: Duration,
    duration: Duration,
) -> (DirectUser, UserOutcome) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = tokio::time::Instant::now() + duration;
    let mut acks = FuturesUnordered::new();
    let mut seen: HashSet<(String, u64)> = HashSet::new();
    let mut out = UserOutcome::default();
    let drain_until = deadline + DRAIN;
    loop {
        let sending = tokio::time::Instant::now() < deadline;
        // After its own sends are answered, a user keeps listening until the whole phase has
        // settled. It registers for the wake-up before it looks, so that none falls between.
        let draining = !sending && acks.is_empty();
        let settle = totals.settle.notified();
        tokio::pin!(settle);
        if draining {
            settle.as_mut().enable();
            if totals.settled() {
                break;
            }
        }
        tokio::select! {
            _ = ticker.tick(), if sending => {
                // The tick may come after the deadline it was armed before: send nothing then,
                // since the other users may have stopped listening.
                if tokio::time::Instant::now() >= deadline || !totals.sending.load(Ordering::SeqCst) {
                    continue;
                }
                let dest = &user.chats[rand::rng().random_range(0..user.chats.len())];
                user.sent += 1;
                let stamp = clock.now_us();
                match user.link.send(dest, &format!("b{}", user.sent), stamp, user.sent).await {
                    Ok(answer) => {
                        out.sent += 1;
                        totals.outstanding.fetch_add(1, Ordering::SeqCst);
                        acks.push(async move { (stamp, answer.await) });
                    }
                    Err(_) => out.failed += 1,
                }
            }
            Some((stamp, answer)) = acks.next() => {
                if answer {
                    out.acked += 1;
                    totals.acked.fetch_add(1, Ordering::SeqCst);
                    out.ack_latency.record(clock.now_us().saturating_sub(stamp));
                } else {
                    out.failed += 1;
                }
                // Counted as acked before it stops being outstanding, so that no user stops
                // listening while a message is between the two.
                totals.outstanding.fetch_sub(1, Ordering::SeqCst);
                totals.changed();
            }
            pushed = user.pushes.recv() => {
                let Some(pushed) = pushed else { break };
                if pushed.sender == user.address {
                    continue;
                }
                if let Some((stamp, n)) = pushed.stamp {
                    if seen.insert((pushed.sender, n)) {
                        out.delivered += 1;
                        totals.delivered.fetch_add(1, Ordering::SeqCst);
                        totals.changed();
                        out.delivery_latency.record(clock.now_us().saturating_sub(stamp));
                    } else {
                        out.duplicated += 1;
                    }
                }
            }
            // What never arrives by then is lost.
            _ = tokio::time::sleep_until(drain_until) => break,
            _ = &mut settle, if draining => break,
        }
    }
    (user, out)
}

pub async fn direct(args: &BenchArgs, n: usize, peers: usize, rate: u32, duration: Duration) -> Result<DirectReport> {
    let rig = direct_rig(args, n, peers).await?;
    let (_, report) = direct_phase(args, rig, rate, duration).await?;
    Ok(report)
}

impl std::fmt::Display for DirectReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "direct: {} users at {} msg/s for {:.1} s", self.users, self.target_rate, self.duration_secs)?;
        writeln!(
            f,
            "  sent {}, acked {}, delivered {}, lost {}, duplicated {}, failed {}",
            self.sent, self.acked, self.delivered, self.lost, self.duplicated, self.failed
        )?;
        writeln!(f, "  throughput {:.0} deliveries/s", self.throughput)?;
        writeln!(f, "  send→ack:      {}", self.send_to_ack)?;
        writeln!(f, "  send→delivery: {}", self.send_to_delivery)?;
        write!(f, "{}", self.usage)
    }
}

#[derive(Debug, Serialize)]
pub struct RampReport {
    pub steps: Vec<DirectReport>,
    /// The highest rate whose step lost nothing and kept p99 send→delivery within the bound.
    pub sustainable_rate: Option<u32>,
    pub p99_bound_ms: f64,
}

/// How a ramp climbs: from `start` by `step` up to `max_rate` messages per second, each step
/// `step_time` long, with `users` users of `peers` direct chats each.
pub struct Ramp {
    pub users: usize,
    pub peers: usize,
    pub start: u32,
    pub step: u32,
    pub max_rate: u32,
    pub step_time: Duration,
    /// The p99 send→delivery bound, in milliseconds.
    pub p99_ms: f64,
    /// Attempts per rate before the ramp stops (at least one).
    pub tries: u32,
}

pub async fn ramp(args: &BenchArgs, ramp: &Ramp) -> Result<RampReport> {
    let mut rig = direct_rig(args, ramp.users, ramp.peers).await?;
    let mut steps = Vec::new();
    let mut sustainable = None;
    let mut rate = ramp.start.max(1);
    'rates: while rate <= ramp.max_rate {
        for _ in 0..ramp.tries.max(1) {
            let (next, report) = direct_phase(args, rig, rate, ramp.step_time).await?;
            rig = next;
            // A step holds when nothing was lost or failed, p99 stayed within the bound, and the
            // server kept up with the offered rate (within 5 %).
            let holds = report.lost == 0
                && report.failed == 0
                && report.send_to_delivery.p99_ms <= ramp.p99_ms
                && report.throughput >= f64::from(rate) * 0.95;
            steps.push(report);
            if holds {
                sustainable = Some(rate);
                rate = rate.saturating_add(ramp.step.max(1));
                continue 'rates;
            }
        }
        break;
    }
    Ok(RampReport { steps, sustainable_rate: sustainable, p99_bound_ms: ramp.p99_ms })
}

impl std::fmt::Display for RampReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "ramp (p99 bound {} ms):", self.p99_bound_ms)?;
        writeln!(f, "  {:>8} {:>10} {:>6} {:>10} {:>10}", "rate", "delivered/s", "lost", "p50 ms", "p99 ms")?;
        for s in &self.steps {
            writeln!(
                f,
                "  {:>8} {:>10.0} {:>6} {:>10.2} {:>10.2}",
                s.target_rate, s.throughput, s.lost, s.send_to_delivery.p50_ms, s.send_to_delivery.p99_ms
            )?;
        }
        match self.sustainable_rate {
            Some(rate) => writeln!(f, "  highest sustainable rate: {rate} msg/s"),
            None => writeln!(f, "  no step was sustainable"),
        }
    }
}

// ---- group ----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct GroupReport {
    pub members: usize,
    pub messages: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Per message: from its send until the last member had it.
    pub fan_out: LatencySummary,
    /// Every single delivery.
    pub send_to_delivery: LatencySummary,
    pub deliveries_per_sec: f64,
    #[serde(flatten)]
    pub usage: UsageReport,
}

pub async fn group(args: &BenchArgs, members: usize, messages: u64, rate: u32) -> Result<GroupReport> {
    if members < 2 {
        bail!("group needs at least 2 members");
    }
    let users = link::users(args, members).await?;
    let links = link::open_all(args, &users).await?;
    let dest = make_group(args, &users, &links).await?;

    let clock = Clock::start();
    let fan_out: Arc<Vec<AtomicU64>> = Arc::new((0..=messages).map(|_| AtomicU64::new(0)).collect());
    let mut links = links.into_iter();
    let Some((owner, owner_pushes)) = links.next() else { bail!("no owner") };
    tokio::spawn(drain(owner_pushes));
    let owner_sender = sender_of(args, &users[0]);
    let expected = messages * (members as u64 - 1);
    // Setting the group up pushes every membership change to every member online; message 0
    // goes to everyone first, and the measured messages follow once all have it, so that
    // they do not queue behind the setup's pushes.
    let settled = Arc::new((AtomicU64::new(0), Notify::new()));
    let receivers: Vec<_> = links
        .map(|(link, mut pushes)| {
            let fan_out = fan_out.clone();
            let owner_sender = owner_sender.clone();
            let settled = settled.clone();
            tokio::spawn(async move {
                let _link = link;
                while let Ok(Some(pushed)) = tokio::time::timeout(SETTLE_MAX, pushes.recv()).await {
                    if pushed.sender == owner_sender && pushed.stamp.is_some_and(|(_, n)| n == 0) {
                        break;
                    }
                }
                settled.0.fetch_add(1, Ordering::Relaxed);
                settled.1.notify_one();
                let (mut delivered, mut duplicated) = (0u64, 0u64);
                let mut latency = Latency::default();
                let mut seen = HashSet::new();
                while delivered < messages {
                    let Ok(Some(pushed)) = tokio::time::timeout(DRAIN * 3, pushes.recv()).await else { break };
                    if pushed.sender != owner_sender {
                        continue;
                    }
                    let Some((stamp, n)) = pushed.stamp else { continue };
                    if !seen.insert(n) {
                        duplicated += 1;
                        continue;
                    }
                    delivered += 1;
                    let took = clock.now_us().saturating_sub(stamp);
                    latency.record(took);
                    if let Some(slot) = fan_out.get(usize::try_from(n).unwrap_or(usize::MAX)) {
                        slot.fetch_max(took, Ordering::Relaxed);
                    }
                }
                (delivered, duplicated, latency)
            })
        })
        .collect();

    owner.send(&dest, "g0", clock.now_us(), 0).await?.await;
    let others = members as u64 - 1;
    let settling = async {
        while settled.0.load(Ordering::Relaxed) < others {
            settled.1.notified().await;
        }
    };
    if tokio::time::timeout(SETTLE_MAX, settling).await.is_err() {
        bail!("the group did not settle: message 0 did not reach every member within {SETTLE_MAX:?}");
    }
    let before = Usage::sample(args);
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    let mut acks = Vec::new();
    for n in 1..=messages {
        ticker.tick().await;
        acks.push(owner.send(&dest, &format!("g{n}"), clock.now_us(), n).await?);
    }
    for ack in acks {
        ack.await;
    }
    let (mut delivered, mut duplicated, mut latency) = (0, 0, Latency::default());
    for receiver in receivers {
        let (d, dup, l) = receiver.await?;
        delivered += d;
        duplicated += dup;
        latency.merge(&l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let usage = Usage::sample(args).since(&before, delivered);
    let mut per_message = Latency::default();
    for slot in fan_out.iter().skip(1) {
        per_message.record(slot.load(Ordering::Relaxed));
    }
    Ok(GroupReport {
        members,
        messages,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated,
        fan_out: per_message.summary(),
        send_to_delivery: latency.summary(),
        deliveries_per_sec: delivered as f64 / elapsed,
        usage,
    })
}

/// How a user's messages name their sender: Magpie's address, or the user's nick in a room.
fn sender_of(args: &BenchArgs, user: &User) -> String {
    match args.target {
        Target::Magpie => user.address.clone(),
        Target::Xmpp => user.name.clone(),
    }
}

/// Makes the bench's group with every user in it, user 0 owning it: a Magpie group, or a MUC
/// room that every user has joined.
pub(crate) async fn make_group(
    args: &BenchArgs,
    users: &[User],
    links: &[(Arc<Link>, mpsc::Receiver<Pushed>)],
) -> Result<Dest> {
    let owner = &links.first().context("no members")?.0;
    if let Some(conn) = owner.native() {
        // As many members as one change may name, then the rest in further changes.
        let others: Vec<&str> = users[1..].iter().map(|u| u.address.as_str()).collect();
        let mut chunks = others.chunks(500);
        let first: Vec<&str> = chunks.next().map(<[&str]>::to_vec).unwrap_or_default();
        let spec = wire::GroupSpec {
            name: "bench".to_owned(),
            members: first.iter().map(|m| (*m).to_owned()).collect(),
            ..Default::default()
        };
        let created: wire::Conversation =
            conn.request(&wire::Request::CreateConversation(wire::CreateConversationRequest::Group(spec))).await?;
        let conversation = created.id;
        for chunk in chunks {
            let members = wire::MembersRequest { members: chunk.iter().map(|m| (*m).to_owned()).collect() };
            let add = wire::Request::AddMembers(wire::InConversation { conversation, data: members });
            conn.request::<wire::Ack>(&add).await?;
        }
        return Ok(Dest::Conversation(conversation));
    }
    let room = format!("{}room{}@{}", args.prefix, users.len(), link::xmpp_server(args).muc);
    let xmpp = owner.xmpp().context("not an XMPP link")?;
    xmpp.join(&room, &users[0].name).await?;
    xmpp.unlock(&room).await?;
    stream::iter(users.iter().zip(links).skip(1).map(|(user, (link, _))| {
        let room = room.clone();
        async move { link.xmpp().context("not an XMPP link")?.join(&room, &user.name).await }
    }))
    .buffer_unordered(args.concurrency)
    .try_collect::<Vec<()>>()
    .await?;
    Ok(Dest::Room(room))
}

impl std::fmt::Display for GroupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "group: {} members, {} messages", self.members, self.messages)?;
        writeln!(f, "  delivered {}, lost {}, duplicated {}", self.delivered, self.lost, self.duplicated)?;
        writeln!(f, "  every member has it: {}", self.fan_out)?;
        writeln!(f, "  each delivery:       {}", self.send_to_delivery)?;
        writeln!(f, "  {:.0} deliveries/s", self.deliveries_per_sec)?;
        write!(f, "{}", self.usage)
    }
}

// ---- sync -----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct SyncReport {
    pub clients: usize,
    pub messages_each: u64,
    pub caught_up_secs: f64,
    pub entries: u64,
    pub entries_per_sec: f64,
    /// Every client got exactly seqs 1..=L of its chat, once each.
    pub gap_free: bool,
}

pub async fn sync(args: &BenchArgs, clients: usize, messages: u64) -> Result<SyncReport> {
    // User 0 writes; users 1..=K are the clients that go away and come back.
    let users = link::users(args, clients + 1).await?;
    let (writer, writer_pushes) = Link::open(args, &users[0]).await?;
    // The writer's own messages come back to it as pushes: drain them, or its connection
    // would stop reading once the queue is full, and its acks with it.
    tokio::spawn(drain(writer_pushes));
    // Each chat, with where its log stood before: earlier runs may have used it.
    let mut chats = Vec::with_capacity(clients);
    for client in &users[1..] {
        let chat = writer.direct_with(client).await?;
        let seq_before = match (&writer, &chat) {
            (Link::Native(conn), Dest::Conversation(id)) => {
                let get = wire::Request::GetConversation(wire::ConversationRef { conversation: *id, seq: None });
                let c: wire::Conversation = conn.request(&get).await?;
                c.last_seq
            }
            _ => 0,
        };
        chats.push((chat, seq_before));
    }
    // Each client connects once and notes where its logs stand, as a client that was online
    // until now would hold them, then goes away.
    let cursors: Vec<u64> = stream::iter(users[1..].iter().map(|u| async move {
        let (link, _) = Link::open(args, u).await?;
        let head = match link.native() {
            Some(conn) => {
                let sync = wire::SyncRequest { events_after: 0, conversations_after: 0, limit: None };
                let synced: wire::SyncResponse = conn.request(&wire::Request::Sync(sync)).await?;
                u64::try_from(synced.events_head).unwrap_or(0)
            }
            None => 0,
        };
        link.close().await;
        Ok::<_, anyhow::Error>(head)
    }))
    .buffered(args.concurrency)
    .try_collect()
    .await?;

    // L messages for each, while they are away; a window of acks keeps the writer paced.
    let mut acks = Vec::new();
    for n in 1..=messages {
        for (i, (chat, _)) in chats.iter().enumerate() {
            acks.push(writer.send(chat, &format!("s{i}-{n}"), 0, n).await?);
            if acks.len() >= 40 {
                for ack in acks.drain(..) {
                    if !ack.await {
                        bail!("the writer's message was not acknowledged");
                    }
                }
            }
        }
    }
    for ack in acks {
        if !ack.await {
            bail!("the writer's message was not acknowledged");
        }
    }

    // They all come back at once and catch up.
    let writer_sender = users[0].address.clone();
    let started = Instant::now();
    let results: Vec<(u64, bool)> = stream::iter(users[1..].iter().zip(chats.iter()).zip(cursors).map(
        |((user, (chat, seq_before)), events_after)| {
            let writer_sender = writer_sender.clone();
            async move {
                let (link, pushes) = Link::open(args, user).await?;
                let outcome = match (&link, chat) {
                    (Link::Native(conn), Dest::Conversation(conversation)) => {
                        catch_up_native(conn, *conversation, *seq_before, events_after, messages).await?
                    }
                    _ => catch_up_xmpp(pushes, &writer_sender, messages).await,
                };
                link.close().await;
                Ok::<_, anyhow::Error>(outcome)
            }
        },
    ))
    .buffer_unordered(args.concurrency)
    .try_collect()
    .await?;
    let secs = started.elapsed().as_secs_f64();
    let entries: u64 = results.iter().map(|(n, _)| n).sum();
    Ok(SyncReport {
        clients,
        messages_each: messages,
        caught_up_secs: secs,
        entries,
        entries_per_sec: entries as f64 / secs,
        gap_free: results.iter().all(|(_, ok)| *ok),
    })
}

/// Magpie's catch-up (protocol.md §8.3): `sync` from the stored cursor, then history pages
/// from the conversation's seq cursor, which stood at `seq_before` when the client left.
async fn catch_up_native(
    conn: &crate::native::Conn,
    conversation: i64,
    seq_before: i64,
    events_after: u64,
    messages: u64,
) -> Result<(u64, bool)> {
    let sync = wire::SyncRequest {
        events_after: i64::try_from(events_after).unwrap_or(i64::MAX),
        conversations_after: 0,
        limit: None,
    };
    let synced: wire::SyncResponse = conn.request(&wire::Request::Sync(sync)).await?;
    let mut last_seq = synced.conversations.iter().find(|c| c.id == conversation).map_or(0, |c| c.last_seq);
    if last_seq < seq_before + i64::try_from(messages).unwrap_or(i64::MAX) {
        // In cluster mode a change shows in `sync` once every write that began before it has
        // ended (protocol.md §7.8): on a busy database the newest may not show yet. A client
        // that holds the conversation reads where it stands now, as it would on opening it.
        let get = wire::Request::GetConversation(wire::ConversationRef { conversation, seq: None });
        let now: wire::Conversation = conn.request(&get).await?;
        last_seq = last_seq.max(now.last_seq);
    }
    let (mut cursor, mut got, mut dense) = (seq_before, 0u64, true);
    while cursor < last_seq {
        let query = wire::HistoryQuery { after: Some(cursor), ..Default::default() };
        let get = wire::Request::GetMessages(wire::InConversation { conversation, data: query });
        let page: wire::EntryPage = conn.request(&get).await?;
        if page.entries.is_empty() {
            break;
        }
        for entry in &page.entries {
            let seq = entry.seq;
            dense &= seq == cursor + 1;
            cursor = seq;
            got += 1;
        }
    }
    Ok((got, dense && got == messages))
}

/// XMPP's catch-up: the server delivers the stored offline messages after the initial
/// presence. Complete when every number 1..=L arrived exactly once.
async fn catch_up_xmpp(mut pushes: mpsc::Receiver<Pushed>, writer: &str, messages: u64) -> (u64, bool) {
    let mut seen = HashSet::new();
    let mut duplicated = false;
    while (seen.len() as u64) < messages {
        let Ok(Some(pushed)) = tokio::time::timeout(DRAIN, pushes.recv()).await else { break };
        if pushed.sender != writer {
            continue;
        }
        if let Some((_, n)) = pushed.stamp {
            duplicated |= !seen.insert(n);
        }
    }
    let got = seen.len() as u64;
    (got, !duplicated && got == messages && (1..=messages).all(|n| seen.contains(&n)))
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "sync: {} clients, {} messages each", self.clients, self.messages_each)?;
        writeln!(
            f,
            "  all caught up in {:.2} s: {} entries, {:.0} entries/s, {}",
            self.caught_up_secs,
            self.entries,
            self.entries_per_sec,
            if self.gap_free { "no gap, no duplicate" } else { "GAPS OR DUPLICATES" }
        )
    }
}
