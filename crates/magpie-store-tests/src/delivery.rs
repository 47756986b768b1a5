//! The delivery property: whatever order writers commit in and whatever the bus does to the
//! wake-ups, live connections get each entry they may read exactly once, in seq order, and
//! nothing else, and every durable consumer sees every committed item.
//!
//! One case is a random [`Schedule`]: accounts, two or three groups owned by the first
//! account, and chunks of operations (sends, additions, removals, departures) that run
//! concurrently, several writers at once, through the core's services on the adapter under
//! test. The store publishes its wakes to a [`ChaosBus`], which drops some, doubles some,
//! holds some back and lets them go later in reverse order; the core's fan-out and two durable
//! consumers (a [`Follower`] with a [`CursorStore`](magpie_core::ports::CursorStore), started
//! at the beginning) listen to it. Between chunks a consumer is killed (its task aborted) or
//! started again. At the end every held wake is let go (late), and the case waits, on the
//! recorders' own notifications, until live delivery and every consumer have caught up with
//! what the log holds.
//!
//! Then it checks against the membership history that the log itself records (the `system`
//! entries `created`, `members_added`, `members_removed`, `member_left`, `dissolved`): an
//! account may read the entry at `seq` if one of its memberships covers it, joined ≤ seq <
//! left (an added member reads its own addition; a removed one neither its removal nor
//! anything after).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::chat::{Committed, ConversationKind, Entry, LoggedEvent, Page};
use magpie_core::conversations::GroupRequest;
use magpie_core::files::{ByteRange, FileId, FinishedBlob, Written};
use magpie_core::follow::{Follower, FollowerStatus, LogHandler, Start};
use magpie_core::messages::Outgoing;
use magpie_core::model::{
    Account, AccountId, ConversationId, EventSeq, NewAccount, NewSession, Principal, RevokeReason, Role, Seq, SessionId,
};
use magpie_core::names::{DomainName, LoginName};
use magpie_core::ports::{BlobStore, Bus, BusReceiver, LiveConnections, LocalBus, Stores, SystemClock, Wake};
use magpie_core::presence::Signal;
use magpie_core::{Core, Error, Settings, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::StoreFactory;
use crate::fixtures::Item;

/// Cases per run: enough schedules to meet the races, few enough to stay well under a minute.
const CASES: u32 = 64;
/// Accounts in a case, at most; the first owns every group.
const ACCOUNTS_MAX: usize = 6;
/// Groups in a case, at most.
const GROUPS_MAX: usize = 3;
/// Chunks of concurrent operations in a case, at most.
const CHUNKS_MAX: usize = 16;
/// Operations run at once in one chunk, at most.
const CHUNK_LEN_MAX: usize = 6;
/// The durable consumers' names (their cursors' keys).
const CONSUMERS: [&str; 2] = ["conformance-consumer-a", "conformance-consumer-b"];
/// How often followers read the tail without a wake: short, so that lost wakes cost little.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How long a case may wait for delivery to catch up before it fails.
const CATCH_UP_TIME_MAX: Duration = Duration::from_secs(15);
/// How long proptest may spend shrinking a failure, in milliseconds: a case that fails by not
/// catching up takes [`CATCH_UP_TIME_MAX`] each time.
const SHRINK_TIME_MAX_MS: u32 = 120_000;
/// Wakes the bus holds per subscriber.
const BUS_WAKES_MAX: usize = 4096;

/// One operation of a schedule. Account and group numbers are taken modulo what the case has.
#[derive(Debug, Clone, Copy)]
enum Op {
    Send {
        sender: usize,
        group: usize,
    },
    /// The owner adds a member.
    Add {
        member: usize,
        group: usize,
    },
    /// The owner removes a member.
    Remove {
        member: usize,
        group: usize,
    },
    /// A member leaves.
    Leave {
        member: usize,
        group: usize,
    },
}

/// What the chaos bus does with one wake of the log.
#[derive(Debug, Clone, Copy)]
enum Chaos {
    Deliver,
    Drop,
    Twice,
    /// Holds it back until a `Release` or the end of the case.
    Hold,
    /// Delivers it, then every held one, newest first (late, out of order).
    Release,
}

#[derive(Debug, Clone)]
struct Chunk {
    ops: Vec<Op>,
    /// Kill this consumer if it runs, start it again if not, while the chunk runs.
    toggle: Option<usize>,
}

#[derive(Debug, Clone)]
struct Schedule {
    accounts: usize,
    /// Per group, which of the other accounts are among its first members.
    groups: Vec<Vec<bool>>,
    chunks: Vec<Chunk>,
    chaos: Vec<Chaos>,
}

fn op() -> impl Strategy<Value = Op> {
    let pick = || (0..ACCOUNTS_MAX, 0..GROUPS_MAX);
    prop_oneof![
        5 => pick().prop_map(|(sender, group)| Op::Send { sender, group }),
        2 => pick().prop_map(|(member, group)| Op::Add { member, group }),
        2 => pick().prop_map(|(member, group)| Op::Remove { member, group }),
        1 => pick().prop_map(|(member, group)| Op::Leave { member, group }),
    ]
}

fn chaos() -> impl Strategy<Value = Chaos> {
    prop_oneof![
        4 => Just(Chaos::Deliver),
        2 => Just(Chaos::Drop),
        1 => Just(Chaos::Twice),
        2 => Just(Chaos::Hold),
        1 => Just(Chaos::Release),
    ]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    let chunk =
        (proptest::collection::vec(op(), 1..=CHUNK_LEN_MAX), proptest::option::weighted(0.3, 0..CONSUMERS.len()))
            .prop_map(|(ops, toggle)| Chunk { ops, toggle });
    (
        3..=ACCOUNTS_MAX,
        proptest::collection::vec(proptest::collection::vec(any::<bool>(), ACCOUNTS_MAX - 1), 2..=GROUPS_MAX),
        proptest::collection::vec(chunk, 1..=CHUNKS_MAX),
        proptest::collection::vec(chaos(), 1..32),
    )
        .prop_map(|(accounts, groups, chunks, chaos)| Schedule { accounts, groups, chunks, chaos })
}

/// Runs the property over [`CASES`] random schedules (or `PROPTEST_CASES`) against the adapter
/// `factory` opens.
/// Panics with the smallest failing schedule proptest finds.
pub fn property<F: StoreFactory>(factory: &F) {
    // `PROPTEST_CASES` runs more (or fewer) cases, to soak the property.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        max_shrink_time: SHRINK_TIME_MAX_MS,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&schedule(), |schedule| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| TestCaseError::fail(format!("no runtime: {e}")))?;
        runtime.block_on(run_case(factory, schedule)).map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("the delivery property failed: {e}");
    }
}

/// A bus that does to the log's wakes what a network and a busy node might: loses them,
/// doubles them, delivers them late and out of order. Other wakes pass as they are.
struct ChaosBus {
    inner: LocalBus,
    state: Mutex<ChaosState>,
}

struct ChaosState {
    moves: Vec<Chaos>,
    next: usize,
    held: Vec<Wake>,
}

impl ChaosBus {
    fn new(moves: Vec<Chaos>) -> ChaosBus {
        ChaosBus { inner: LocalBus::new(BUS_WAKES_MAX), state: Mutex::new(ChaosState { moves, next: 0, held: vec![] }) }
    }

    /// Lets every held wake go, newest first.
    fn release(&self) {
        let held: Vec<Wake> = std::mem::take(&mut self.state.lock().unwrap().held);
        for wake in held.into_iter().rev() {
            self.inner.publish(wake);
        }
    }
}

impl Bus for ChaosBus {
    fn publish(&self, wake: Wake) {
        if !matches!(wake, Wake::Log { .. }) {
            self.inner.publish(wake);
            return;
        }
        let mut out = vec![];
        {
            let mut state = self.state.lock().unwrap();
            let chaos = state.moves[state.next % state.moves.len()];
            state.next += 1;
            match chaos {
                Chaos::Deliver => out.push(wake),
                Chaos::Drop => {}
                Chaos::Twice => out.extend([wake.clone(), wake]),
                Chaos::Hold => state.held.push(wake),
                Chaos::Release => {
                    out.push(wake);
                    out.extend(state.held.drain(..).rev());
                }
            }
        }
        for wake in out {
            self.inner.publish(wake);
        }
    }

    fn subscribe(&self) -> BusReceiver {
        self.inner.subscribe()
    }
}

/// Live connections that record what the fan-out hands them.
struct Recorder {
    entries: Mutex<Vec<(Vec<AccountId>, ConversationId, Seq)>>,
    events: Mutex<Vec<(AccountId, EventSeq)>>,
    changed: watch::Sender<u64>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder { entries: Mutex::default(), events: Mutex::default(), changed: watch::Sender::new(0) }
    }

    fn has_all(&self, truth: &BTreeSet<Item>) -> bool {
        let mut seen: BTreeSet<Item> =
            self.entries.lock().unwrap().iter().map(|(_, c, s)| Item::Entry(*c, *s)).collect();
        seen.extend(self.events.lock().unwrap().iter().map(|(a, s)| Item::Event(*a, *s)));
        truth.is_subset(&seen)
    }
}

impl LiveConnections for Recorder {
    fn close_sessions(&self, _sessions: &[SessionId], _reason: RevokeReason) {}
    fn profile_updated(&self, _account: &Account) {}
    fn signal(&self, _accounts: &[AccountId], _signal: &Signal) {}
    fn directory_changed(&self, _domain: magpie_core::model::DomainId) {}

    fn deliver_entry(&self, accounts: &[AccountId], entry: &Entry) {
        self.entries.lock().unwrap().push((accounts.to_vec(), entry.conversation, entry.seq));
        self.changed.send_modify(|n| *n += 1);
    }

    fn deliver_event(&self, event: &LoggedEvent) {
        self.events.lock().unwrap().push((event.account, event.seq));
        self.changed.send_modify(|n| *n += 1);
    }
}

/// What one durable consumer saw: each item with the run (start) it came in.
struct Consumed {
    items: Mutex<Vec<(usize, Item)>>,
    changed: watch::Sender<u64>,
}

impl Consumed {
    fn has_all(&self, truth: &BTreeSet<Item>) -> bool {
        let seen: BTreeSet<Item> = self.items.lock().unwrap().iter().map(|(_, item)| *item).collect();
        truth.is_subset(&seen)
    }
}

struct Consumer {
    run: usize,
    seen: Arc<Consumed>,
}

#[async_trait]
impl LogHandler for Consumer {
    async fn handle(&mut self, items: &[Committed]) -> magpie_core::Result<()> {
        self.seen.items.lock().unwrap().extend(items.iter().map(|item| (self.run, Item::of(item))));
        self.seen.changed.send_modify(|n| *n += 1);
        Ok(())
    }
}

/// A durable consumer's current run, if it runs.
struct Running {
    task: JoinHandle<()>,
    _status: Arc<FollowerStatus>,
}

fn start_consumer(
    stores: &Stores,
    bus: &Arc<ChaosBus>,
    name: &'static str,
    run: usize,
    seen: &Arc<Consumed>,
) -> Running {
    let handler = Consumer { run, seen: seen.clone() };
    let follower = Follower::new(name, stores.log.clone(), Some(stores.cursors.clone()), bus.clone(), handler)
        .with_poll_interval(POLL_INTERVAL);
    let status = follower.status();
    Running { task: tokio::spawn(follower.run(Start::Beginning)), _status: status }
}

/// Blobs are not part of this property.
pub(crate) struct NoBlobs;

#[async_trait]
impl BlobStore for NoBlobs {
    async fn start(&self, _upload: &FileId) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn append(
        &self,
        _upload: &FileId,
        _offset: u64,
        _room_bytes: u64,
        _digest: bool,
        _data: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    ) -> Result<Written, Error> {
        Err(Error::Unavailable("no blobs here"))
    }
    async fn upload_head(&self, _upload: &FileId, _len: usize) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn overwrite(&self, _upload: &FileId, _offset: u64, _bytes: Vec<u8>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn truncate(&self, _upload: &FileId, _offset: u64) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn finish(&self, _upload: &FileId) -> Result<FinishedBlob, StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn discard(&self, _upload: &FileId) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn put(&self, _bytes: Vec<u8>) -> Result<String, StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn remove(&self, _sha256: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
    async fn read(
        &self,
        _sha256: &str,
        _range: Option<ByteRange>,
    ) -> Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>, StoreError> {
        Err(StoreError::Unavailable("no blobs here".into()))
    }
}

/// Waits until `done` holds, woken by `changed`; fails after [`CATCH_UP_TIME_MAX`].
async fn wait_until(changed: &watch::Sender<u64>, what: &str, done: impl Fn() -> bool) -> Result<(), String> {
    let mut rx = changed.subscribe();
    let wait = async {
        while !done() {
            // A change between the test and this wait is not lost: it marks the value unseen.
            if rx.changed().await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(CATCH_UP_TIME_MAX, wait).await.map_err(|_| format!("{what} did not catch up"))?;
    if done() { Ok(()) } else { Err(format!("{what} stopped before catching up")) }
}

async fn run_case<F: StoreFactory>(factory: &F, s: Schedule) -> Result<(), String> {
    let place = factory.place().await;
    let bus = Arc::new(ChaosBus::new(s.chaos.clone()));
    let stores = factory.open(&place, bus.clone()).await;
    let live = Arc::new(Recorder::new());
    let settings = Settings {
        log_poll_interval_ms: u64::try_from(POLL_INTERVAL.as_millis()).unwrap_or(20),
        argon2_memory_kib: 256,
        argon2_iterations: 1,
        ..Settings::default()
    };
    let core = Core::new(settings, stores.clone(), Arc::new(NoBlobs), bus.clone(), Arc::new(SystemClock), live.clone());
    core.followers_started().await;

    // The cast: accounts (with a session each) and groups owned by the first.
    let domain_name = DomainName::parse("acme.example").unwrap();
    let domain = stores.accounts.create_domain(&domain_name, 0).await.unwrap().unwrap();
    let mut people: Vec<Principal> = vec![];
    for i in 0..s.accounts {
        let new = NewAccount {
            domain_id: domain.id,
            domain: domain.name.clone(),
            name: LoginName::parse(&format!("user{i}")).unwrap(),
            role: Role::Member,
            password_hash: None,
            display_name: format!("user {i}"),
            name_keys: None,
            pending_approval: false,
            bot: None,
            created_at_ms: 0,
        };
        let account = stores.accounts.create_account(new).await.unwrap().unwrap();
        let mut token_hash = [0u8; 32];
        token_hash[0] = u8::try_from(i).unwrap();
        let session = NewSession {
            account_id: account.id,
            token_hash,
            device: None,
            ip: None,
            created_at_ms: 0,
            expires_at_ms: i64::MAX,
            sessions_per_account_max: 10,
            scope: None,
        };
        let (session, _) = stores.sessions.create_session(session).await.unwrap();
        people.push(Principal { account, session, from_ip: None });
    }
    let owner = people[0].clone();
    let mut groups = vec![];
    for (g, first) in s.groups.iter().enumerate() {
        let members = people[1..].iter().zip(first).filter(|(_, on)| **on).map(|(p, _)| p.account.addr.to_string());
        let request =
            GroupRequest { name: format!("group {g}"), members: members.collect(), ..GroupRequest::default() };
        let summary = core.conversations.create_group(&owner, ConversationKind::Group, request).await.unwrap();
        groups.push(summary.conversation.id);
    }

    // The consumers, then the chunks.
    let consumed: Vec<Arc<Consumed>> = CONSUMERS
        .iter()
        .map(|_| Arc::new(Consumed { items: Mutex::default(), changed: watch::Sender::new(0) }))
        .collect();
    let mut runs = [0usize; CONSUMERS.len()];
    let mut running: Vec<Option<Running>> =
        (0..CONSUMERS.len()).map(|i| Some(start_consumer(&stores, &bus, CONSUMERS[i], 0, &consumed[i]))).collect();
    let mut sent = 0usize;
    let mut failures = vec![];
    for chunk in &s.chunks {
        let mut tasks = vec![];
        for op in &chunk.ops {
            let core = core.clone();
            let (owner, people, groups) = (owner.clone(), people.clone(), groups.clone());
            sent += 1;
            let cmid = format!("c{sent}");
            let op = *op;
            tasks.push(tokio::spawn(async move { apply(&core, &owner, &people, &groups, op, cmid).await }));
        }
        if let Some(i) = chunk.toggle {
            match running[i].take() {
                Some(run) => {
                    run.task.abort();
                    let _ = run.task.await;
                }
                None => {
                    runs[i] += 1;
                    running[i] = Some(start_consumer(&stores, &bus, CONSUMERS[i], runs[i], &consumed[i]));
                }
            }
        }
        for task in tasks {
            if let Err(e) = task.await.map_err(|e| e.to_string()).and_then(|r| r) {
                failures.push(e);
            }
        }
    }
    if !failures.is_empty() {
        return Err(format!("operations failed in the store: {failures:?}"));
    }
    for i in 0..CONSUMERS.len() {
        if running[i].is_none() {
            runs[i] += 1;
            running[i] = Some(start_consumer(&stores, &bus, CONSUMERS[i], runs[i], &consumed[i]));
        }
    }
    bus.release();

    // The truth: every entry of every group, every event of every account.
    let mut log: BTreeMap<ConversationId, Vec<Entry>> = BTreeMap::new();
    let mut truth = BTreeSet::new();
    for id in &groups {
        let entries =
            stores.log.entries(*id, Page::After(Seq(0)), Seq(1), None, 100_000, owner.account.id).await.unwrap();
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq.0).collect();
        let dense: Vec<i64> = (1..=i64::try_from(entries.len()).unwrap()).collect();
        if seqs != dense {
            return Err(format!("conversation {} has seqs {seqs:?}", id.0));
        }
        truth.extend(entries.iter().map(|e| Item::Entry(e.conversation, e.seq)));
        log.insert(*id, entries);
    }
    let mut event_heads = BTreeMap::new();
    for p in &people {
        let events = stores.log.account_events(p.account.id, EventSeq(0), 100_000).await.unwrap();
        event_heads.insert(p.account.id, events.len());
        truth.extend(events.iter().map(|e| Item::Event(e.account, e.seq)));
    }

    wait_until(&live.changed, "live delivery", || live.has_all(&truth)).await?;
    for (i, seen) in consumed.iter().enumerate() {
        wait_until(&seen.changed, CONSUMERS[i], || seen.has_all(&truth)).await?;
    }

    let names: HashMap<String, AccountId> = people.iter().map(|p| (p.account.addr.to_string(), p.account.id)).collect();
    check_live(&log, &names, &event_heads, &live)?;
    for (i, seen) in consumed.iter().enumerate() {
        check_consumer(CONSUMERS[i], &truth, &seen.items.lock().unwrap())?;
    }
    for run in running.into_iter().flatten() {
        run.task.abort();
    }
    Ok(())
}

/// Runs one operation through the core's services. Refusals by the rules (not a member, not
/// allowed, already one) are part of the game; a store failure is not.
async fn apply(
    core: &Core,
    owner: &Principal,
    people: &[Principal],
    groups: &[ConversationId],
    op: Op,
    cmid: String,
) -> Result<(), String> {
    let n = people.len();
    let member = |i: usize| &people[1 + i % (n - 1)];
    let group = |g: usize| groups[g % groups.len()];
    let outcome = match op {
        Op::Send { sender, group: g } => {
            let text = Outgoing {
                client_msg_id: cmid,
                kind: "text".into(),
                body: json!({"text": "hello"}),
                mentions: vec![],
                mention_all: false,
                reply_to: None,
                thread: None,
                broadcast: false,
            };
            core.messages.send(&people[sender % n], group(g), text).await.map(drop)
        }
        Op::Add { member: m, group: g } => {
            let addr = member(m).account.addr.to_string();
            core.conversations.add_members(owner, group(g), &[addr]).await.map(drop)
        }
        Op::Remove { member: m, group: g } => {
            let addr = member(m).account.addr.to_string();
            core.conversations.remove_members(owner, group(g), &[addr]).await.map(drop)
        }
        Op::Leave { member: m, group: g } => core.conversations.leave(member(m), group(g)).await.map(drop),
    };
    match outcome {
        Ok(()) | Err(Error::NotFound(_) | Error::AlreadyExists(_) | Error::Forbidden) => Ok(()),
        Err(e) => Err(format!("{op:?}: {e}")),
    }
}

/// Who may read each entry of a conversation, from the membership notices in its log.
fn readers(
    entries: &[Entry],
    names: &HashMap<String, AccountId>,
) -> Result<BTreeMap<Seq, BTreeSet<AccountId>>, String> {
    let account = |v: &Value| -> Result<AccountId, String> {
        let addr = v.as_str().ok_or_else(|| format!("not an address: {v}"))?;
        names.get(addr).copied().ok_or_else(|| format!("unknown account {addr}"))
    };
    let list = |body: &Value, key: &str| -> Result<Vec<AccountId>, String> {
        let items = body.get(key).and_then(Value::as_array).ok_or_else(|| format!("no `{key}` in {body}"))?;
        items.iter().map(account).collect()
    };
    let mut active: BTreeSet<AccountId> = BTreeSet::new();
    let mut readers = BTreeMap::new();
    for entry in entries {
        if entry.changes_membership() {
            let body = entry.body.as_ref().ok_or("a membership notice without a body")?;
            match body.get("event").and_then(Value::as_str) {
                Some("created") => {
                    active.insert(account(body.get("by").ok_or("no `by`")?)?);
                    active.extend(list(body, "members")?);
                }
                // An account added while active (two additions raced) stays as it was.
                Some("members_added") => active.extend(list(body, "members")?),
                Some("members_removed") => {
                    for gone in list(body, "members")? {
                        active.remove(&gone);
                    }
                }
                Some("member_left") => {
                    active.remove(&account(body.get("member").ok_or("no `member`")?)?);
                }
                Some("dissolved") => active.clear(),
                other => return Err(format!("an unknown membership notice {other:?}")),
            }
        }
        // The membership an entry starts covers it; the one it ends does not.
        readers.insert(entry.seq, active.clone());
    }
    Ok(readers)
}

/// Live delivery: each entry handed over once; each account got exactly the entries it may
/// read, each once, in seq order per conversation; each account event once, in order.
fn check_live(
    log: &BTreeMap<ConversationId, Vec<Entry>>,
    names: &HashMap<String, AccountId>,
    event_heads: &BTreeMap<AccountId, usize>,
    live: &Recorder,
) -> Result<(), String> {
    let delivered = live.entries.lock().unwrap().clone();
    let mut handed: BTreeMap<(ConversationId, Seq), usize> = BTreeMap::new();
    let mut got: BTreeMap<(AccountId, ConversationId), Vec<Seq>> = BTreeMap::new();
    for (accounts, conversation, seq) in &delivered {
        *handed.entry((*conversation, *seq)).or_default() += 1;
        let unique: BTreeSet<&AccountId> = accounts.iter().collect();
        if unique.len() != accounts.len() {
            return Err(format!("entry {}#{} listed an account twice: {accounts:?}", conversation.0, seq.0));
        }
        for account in accounts {
            got.entry((*account, *conversation)).or_default().push(*seq);
        }
    }
    let mut expected: BTreeMap<(AccountId, ConversationId), Vec<Seq>> = BTreeMap::new();
    for (conversation, entries) in log {
        for (seq, accounts) in readers(entries, names)? {
            match handed.get(&(*conversation, seq)) {
                Some(1) => {}
                times => {
                    return Err(format!("entry {}#{} handed to live delivery {times:?} times", conversation.0, seq.0));
                }
            }
            for account in accounts {
                expected.entry((account, *conversation)).or_default().push(seq);
            }
        }
    }
    let committed: BTreeSet<(ConversationId, Seq)> =
        log.iter().flat_map(|(c, entries)| entries.iter().map(|e| (*c, e.seq))).collect();
    if let Some(extra) = handed.keys().find(|k| !committed.contains(k)) {
        return Err(format!("live delivery of entry {}#{}, which is not in the log", extra.0.0, extra.1.0));
    }
    let keys: BTreeSet<_> = expected.keys().chain(got.keys()).copied().collect();
    for key in keys {
        let (want, have) =
            (expected.get(&key).cloned().unwrap_or_default(), got.get(&key).cloned().unwrap_or_default());
        if want != have {
            let (account, conversation) = key;
            return Err(format!(
                "account {} in conversation {}: may read {:?}, got {:?}",
                account.0,
                conversation.0,
                want.iter().map(|s| s.0).collect::<Vec<_>>(),
                have.iter().map(|s| s.0).collect::<Vec<_>>()
            ));
        }
    }
    let mut events: BTreeMap<AccountId, Vec<i64>> = BTreeMap::new();
    for (account, seq) in live.events.lock().unwrap().iter() {
        events.entry(*account).or_default().push(seq.0);
    }
    for (account, head) in event_heads {
        let want: Vec<i64> = (1..=i64::try_from(*head).unwrap()).collect();
        let have = events.remove(account).unwrap_or_default();
        if have != want {
            return Err(format!("account {}'s events: {want:?} committed, {have:?} delivered", account.0));
        }
    }
    if !events.is_empty() {
        return Err(format!("events delivered to unknown accounts: {events:?}"));
    }
    Ok(())
}

/// A durable consumer: within one run, per conversation (and per account's events) it sees
/// consecutive seqs, and a run starts no later than where the runs before it stopped (so a
/// restart may repeat, never skip); over all runs it saw every committed item, and nothing else.
fn check_consumer(name: &str, truth: &BTreeSet<Item>, seen: &[(usize, Item)]) -> Result<(), String> {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy, Debug)]
    enum Stream {
        Conversation(ConversationId),
        Account(AccountId),
    }
    let split = |item: &Item| match item {
        Item::Entry(c, s) => (Stream::Conversation(*c), s.0),
        Item::Event(a, s) => (Stream::Account(*a), s.0),
    };
    // Highest seq seen per stream over all earlier runs, and in the current run.
    let mut before: BTreeMap<Stream, i64> = BTreeMap::new();
    let mut current: BTreeMap<Stream, i64> = BTreeMap::new();
    let mut run = 0;
    for (r, item) in seen {
        if !truth.contains(item) {
            return Err(format!("{name} saw {item:?}, which is not in the log"));
        }
        if *r != run {
            for (stream, seq) in std::mem::take(&mut current) {
                let top = before.entry(stream).or_default();
                *top = (*top).max(seq);
            }
            run = *r;
        }
        let (stream, seq) = split(item);
        match current.get(&stream) {
            Some(last) if seq != last + 1 => {
                return Err(format!("{name} run {run}: {stream:?} went from {last} to {seq}"));
            }
            Some(_) => {}
            None => {
                let resumed = before.get(&stream).copied().unwrap_or(0);
                if seq > resumed + 1 {
                    return Err(format!("{name} run {run}: {stream:?} resumed at {seq}, after {resumed}"));
                }
            }
        }
        current.insert(stream, seq);
    }
    let all: BTreeSet<Item> = seen.iter().map(|(_, item)| *item).collect();
    if let Some(missed) = truth.difference(&all).next() {
        return Err(format!("{name} never saw {missed:?}"));
    }
    Ok(())
}
