//! The embedded SQLite store: one file under the data directory, WAL mode, `synchronous=FULL`
//! so that a committed transaction survives power loss.
//!
//! One writer thread owns the only writing connection and serialises all writes (SQLite
//! allows one writer at a time anyway). It commits in groups: it takes every write waiting
//! in its queue (when several wait, after a moment's wait for more: [`COMMIT_LINGER`]), up to
//! [`BATCH_LEN_MAX`], runs each inside its own savepoint of one
//! transaction, and commits them with one fsync. A write that fails rolls back to its
//! savepoint without touching the others; a failed commit fails them all. No caller hears
//! "done" before the commit, so durability costs one fsync per batch, not per write.
//!
//! After each commit the writer publishes what was committed (new entries, account events), in
//! commit order, as a wake on the bus; the log's tail (`tail`) serves the same items to any
//! follower that missed the wake.
//!
//! A small pool of reader connections serves reads concurrently with the writer, inline on the
//! calling task's thread, each read in one read transaction (see `SqliteStore::read`). Database
//! rows never leave this crate: they become core types here.

mod accounts;
mod apps;
mod audit;
pub mod backup;
mod bots;
mod chat;
mod contacts;
pub mod dump;
mod exports;
mod files;
mod inbox;
mod ldap;
mod ledger;
mod mail;
mod migrate;
mod notify;
mod org;
mod previews;
mod push;
mod retention;
mod saved;
mod scheduled;
mod threads;
mod webhooks;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use magpie_core::StoreError;
use magpie_core::chat::Committed;
use magpie_core::model::LogCursor;
use magpie_core::ports::{Bus, Wake};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// What every store method answers.
pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// How long a statement waits for another process's write lock (the admin CLI, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often, and how long apart, opening retries a database another process is setting up.
const OPEN_BUSY_RETRIES: u32 = 50;
const OPEN_BUSY_PAUSE: Duration = Duration::from_millis(100);
/// Writes committed together by one transaction and one fsync.
pub const BATCH_LEN_MAX: usize = 512;
/// How long the writer waits for more writes when it finds several waiting. Under load a
/// commit's cost is mostly per commit (the WAL write of every page it touched and the fsync),
/// so larger batches are cheaper per write: with 1,000 users sending 8,000 messages per
/// second, a commit held 6 sends without the wait and the server spent 94 µs of CPU per
/// message; with 1 ms, 72 µs, and `magpie bench ramp` on one core went from 12,000 to 14,000
/// messages per second. A lone write (the queue held only it) never waits.
const COMMIT_LINGER: Duration = Duration::from_millis(1);
/// How long a background write (see [`SqliteStore::write_background`]) waits at most for a
/// moment when no other write waits.
const BACKGROUND_WAIT_MAX: Duration = Duration::from_millis(100);
/// Writes waiting for the writer; past this, writers wait to queue.
const WRITE_QUEUE_LEN_MAX: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot migrate {path}: {source}")]
    Migrate { path: PathBuf, source: rusqlite::Error },
    #[error("cannot start the database writer thread: {0}")]
    Writer(std::io::Error),
    #[error("{path} was written by a newer Magpie (schema {found}, this binary knows {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
}

/// The SQLite implementation of every store port in [`magpie_core::ports`].
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writes: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Dropped with the store, which ends the checkpoint thread.
    _checkpoint_stop: std::sync::mpsc::Sender<()>,
}

/// The writing connection inside one write: SQL runs on it, and what the write commits for
/// live connections to hear about is recorded with [`Tx::publish`].
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    published: RefCell<Vec<Committed>>,
    clock: &'a ActivityClock,
}

impl Tx<'_> {
    /// Publishes `item` on the bus once (and only if) this write commits.
    pub(crate) fn publish(&self, item: Committed) {
        self.published.borrow_mut().push(item);
    }

    /// Moves the deployment-wide activity clock on and returns its new value (see
    /// [`ActivityClock`]): a conversation's activity, and an item's position in the log's tail.
    /// One writer, so the values follow commit order.
    pub(crate) fn tick_activity(&self) -> rusqlite::Result<i64> {
        self.clock.tick(self.conn)
    }
}

/// The activity clock within one batch. Every append moves the clock on, and it is one row:
/// instead of updating it once per write, the batch reads it at its first tick, counts in
/// memory, and stores where it stopped just before the commit. The batch holds the database's
/// write lock from `BEGIN IMMEDIATE` to `COMMIT`, so no other connection (nor another process,
/// the admin CLI) ticks it meanwhile. A write that rolls back to its savepoint leaves a gap in
/// the values, which is harmless: the clock only has to increase.
#[derive(Default)]
struct ActivityClock {
    value: std::cell::Cell<Option<i64>>,
    /// The value before the batch's first tick: where the batch's items start in the log.
    start: std::cell::Cell<Option<i64>>,
}

impl ActivityClock {
    fn tick(&self, conn: &Connection) -> rusqlite::Result<i64> {
        let now = match self.value.get() {
            Some(value) => value,
            None => {
                let value = conn
                    .prepare_cached("SELECT value FROM activity_clock WHERE id = 1")?
                    .query_row([], |r| r.get(0))?;
                self.start.set(Some(value));
                value
            }
        };
        self.value.set(Some(now + 1));
        Ok(now + 1)
    }

    /// The span of the log the batch wrote, if it ticked at all.
    fn span(&self) -> Option<(LogCursor, LogCursor)> {
        let (start, end) = (self.start.get()?, self.value.get()?);
        debug_assert!(start < end, "a batch's clock went back");
        Some((position(start), position(end)))
    }

    /// Stores the clock where the batch left it, inside the batch's transaction.
    fn store(&self, conn: &Connection) -> rusqlite::Result<()> {
        match self.value.get() {
            Some(value) => {
                conn.prepare_cached("UPDATE activity_clock SET value = ?1 WHERE id = 1")?.execute([value]).map(drop)
            }
            None => Ok(()),
        }
    }
}

impl Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// One queued write, type-erased so that writes of any result type share the queue.
trait WriteJob: Send {
    /// Runs the write inside a savepoint; keeps its result; returns what it publishes, or
    /// `Err` if the batch's transaction can no longer be trusted.
    fn run(&mut self, conn: &Connection, clock: &ActivityClock) -> Result<Vec<Committed>, TransactionLost>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
    /// A write that yields to the others (see [`SqliteStore::write_background`]).
    fn background(&self) -> bool;
}

/// The batch's transaction was rolled back under the writer (SQLite does that by itself on
/// some I/O and memory errors) or a savepoint could not be undone: nothing in it may count.
struct TransactionLost;

struct Job<T, F> {
    f: Option<F>,
    result: Option<rusqlite::Result<T>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    background: bool,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(&mut self, conn: &Connection, clock: &ActivityClock) -> Result<Vec<Committed>, TransactionLost> {
        let Some(f) = self.f.take() else { return Ok(vec![]) };
        if let Err(e) = run_cached(conn, "SAVEPOINT job") {
            self.result = Some(Err(e));
            return Err(TransactionLost);
        }
        let tx = Tx { conn, published: RefCell::new(vec![]), clock };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| f(&tx)));
        let mut result = match outcome {
            Ok(r) => r,
            Err(_) => Err(rusqlite::Error::ToSqlConversionFailure("a write panicked".into())),
        };
        let published = tx.published.into_inner();
        if result.is_ok()
            && let Err(e) = run_cached(conn, "RELEASE job")
        {
            result = Err(e);
        }
        let kept = result.is_ok();
        self.result = Some(result);
        if !kept && conn.execute_batch("ROLLBACK TO job; RELEASE job").is_err() {
            return Err(TransactionLost);
        }
        // Still inside the batch's transaction? If SQLite rolled it back by itself, later
        // savepoints would each commit on their own: stop here instead.
        if conn.is_autocommit() {
            return Err(TransactionLost);
        }
        Ok(if kept { published } else { vec![] })
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let answer = match (self.result, commit) {
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Err(e)), _) => Err(store_error(&e)),
            (_, Err(e)) => Err(e),
            (None, Ok(())) => Err(StoreError::Other("write was never run".into())),
        };
        let _ = self.reply.send(answer);
    }

    fn background(&self) -> bool {
        self.background
    }
}

/// Adds the writes waiting in the queue to the batch, up to [`BATCH_LEN_MAX`], without waiting;
/// background writes go aside (`deferred`) instead.
fn drain(
    writes: &mut mpsc::Receiver<Box<dyn WriteJob>>,
    batch: &mut Vec<Box<dyn WriteJob>>,
    deferred: &mut VecDeque<(Instant, Box<dyn WriteJob>)>,
) {
    while batch.len() < BATCH_LEN_MAX {
        match writes.try_recv() {
            Ok(job) => take(job, batch, deferred),
            Err(_) => break,
        }
    }
}

/// Puts a write into the batch, or aside if it is a background write.
fn take(
    job: Box<dyn WriteJob>,
    batch: &mut Vec<Box<dyn WriteJob>>,
    deferred: &mut VecDeque<(Instant, Box<dyn WriteJob>)>,
) {
    if job.background() {
        deferred.push_back((Instant::now(), job));
    } else {
        batch.push(job);
    }
}

/// Runs one statement of the writer's own, prepared once (they run for every write).
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// A clock value as a cursor of the log's tail.
pub(crate) fn position(value: i64) -> LogCursor {
    LogCursor(u128::try_from(value).unwrap_or(0))
}

/// The writer thread: batches, savepoints, one commit per batch, then the wake.
fn writer_loop(
    conn: Connection,
    mut writes: mpsc::Receiver<Box<dyn WriteJob>>,
    bus: Arc<dyn Bus>,
    restart_due: Arc<AtomicBool>,
) {
    // Background writes waiting for a moment when no other write does, oldest first. As many
    // as their writers have in flight: each awaits its write (push's follower and sender).
    let mut deferred: VecDeque<(Instant, Box<dyn WriteJob>)> = VecDeque::new();
    loop {
        let mut batch = Vec::new();
        if deferred.is_empty() {
            let Some(first) = writes.blocking_recv() else { break };
            take(first, &mut batch, &mut deferred);
        }
        // Between batches, when the checkpoint thread finds the WAL long: start it over here,
        // where no write competes for the lock (see `checkpoint_loop`).
        if restart_due.swap(false, Ordering::Relaxed)
            && let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "WAL restart failed");
        }
        drain(&mut writes, &mut batch, &mut deferred);
        debug_assert!(batch.len() <= BATCH_LEN_MAX, "a batch past its bound");
        // Several writes waiting means others are on their way: wait a moment for them, so
        // that one commit (one WAL write, one fsync) serves more of them (see `COMMIT_LINGER`).
        if batch.len() >= 2 && batch.len() < BATCH_LEN_MAX {
            std::thread::sleep(COMMIT_LINGER);
            drain(&mut writes, &mut batch, &mut deferred);
        }
        // Background writes go when nothing else waits, or once the oldest has waited
        // `BACKGROUND_WAIT_MAX` (a server that never rests still tells away members).
        if batch.is_empty() || deferred.front().is_some_and(|(at, _)| at.elapsed() >= BACKGROUND_WAIT_MAX) {
            while batch.len() < BATCH_LEN_MAX
                && let Some((_, job)) = deferred.pop_front()
            {
                batch.push(job);
            }
        }
        if batch.is_empty() {
            continue;
        }
        // A transaction left open by an earlier failure would swallow this batch.
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        if let Err(e) = run_cached(&conn, "BEGIN IMMEDIATE") {
            let e = store_error(&e);
            for job in batch {
                job.finish(Err(e.clone()));
            }
            continue;
        }
        let mut published = vec![];
        let mut lost = false;
        let clock = ActivityClock::default();
        for job in &mut batch {
            match job.run(&conn, &clock) {
                Ok(items) => published.extend(items),
                Err(TransactionLost) => {
                    lost = true;
                    break;
                }
            }
        }
        let commit = if lost {
            Err(StoreError::Other("the write transaction was lost; nothing in this batch was stored".to_owned()))
        } else {
            clock.store(&conn).and_then(|()| run_cached(&conn, "COMMIT")).map_err(|e| store_error(&e))
        };
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
            published.clear();
        }
        for job in batch {
            job.finish(commit.clone());
        }
        if commit.is_ok()
            && let Some((from, to)) = clock.span()
        {
            bus.publish(Wake::Log { from: Some(from), to, items: published.into() });
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Wakes go to `bus` after each commit.
    pub fn open(path: &Path, readers: usize, bus: Arc<dyn Bus>) -> Result<SqliteStore, OpenError> {
        let open = |path: &Path| -> Result<Connection, OpenError> {
            let conn = Connection::open(path).map_err(|source| OpenError::Open { path: path.into(), source })?;
            // Two processes opening a new data directory at once (the server and the admin CLI)
            // may both try to switch it to WAL; SQLite then answers "busy" at once, without its
            // busy handler, to avoid a deadlock. Retry for as long as the busy timeout.
            let mut attempts = 0;
            loop {
                match configure(&conn) {
                    Ok(()) => return Ok(conn),
                    Err(e) if is_busy(&e) && attempts < OPEN_BUSY_RETRIES => {
                        attempts += 1;
                        std::thread::sleep(OPEN_BUSY_PAUSE);
                    }
                    Err(source) => return Err(OpenError::Open { path: path.into(), source }),
                }
            }
        };
        let mut writer = open(path)?;
        migrate::run(&mut writer, path)?;
        // Checkpoints move the WAL into the database file. Run by the writer at a commit (the
        // default), one stalls every write behind it for as long as it copies and fsyncs; so
        // the writer never checkpoints, and a thread of its own does, without blocking anyone.
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|source| OpenError::Open { path: path.into(), source })?;
        // The writer's page cache is never invalidated by another connection's commit (it
        // makes them all), so it keeps the hot pages of every index a send touches; at the
        // default 2 MiB it re-read them from the file under load.
        writer
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(|source| OpenError::Open { path: path.into(), source })?;
        // Each job runs in a savepoint, whose undo SQLite keeps in a statement journal: the
        // first change to each page copies it there. Past 64 KiB (sixteen pages, which a send
        // into a group or a webhooks write soon passes) that journal was a temporary file, and
        // each copy a write(2) to it: a fifth of the writer's time under the webhooks
        // benchmark. In memory it is bounded by the pages one job changes.
        writer
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(|source| OpenError::Open { path: path.into(), source })?;
        let checkpointer = open(path)?;
        let (checkpoint_stop, stopped) = std::sync::mpsc::channel::<()>();
        let restart_due = Arc::new(AtomicBool::new(false));
        let checkpoint_restart_due = restart_due.clone();
        std::thread::Builder::new()
            .name("magpie-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped, &checkpoint_restart_due))
            .map_err(OpenError::Writer)?;
        let readers = (0..readers.max(1)).map(|_| open(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        let (writes, queue) = mpsc::channel(WRITE_QUEUE_LEN_MAX);
        // The thread ends when the last handle on the store is dropped (the queue closes).
        std::thread::Builder::new()
            .name("magpie-sqlite-writer".into())
            .spawn(move || writer_loop(writer, queue, bus, restart_due))
            .map_err(OpenError::Writer)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writes,
                readers,
                next_reader: AtomicUsize::new(0),
                _checkpoint_stop: checkpoint_stop,
            }),
        })
    }

    /// Runs a read on the calling task's thread, on a free reader connection.
    ///
    /// Reads run inline rather than on tokio's blocking pool: in WAL mode a reader never waits
    /// for the writer, and Magpie's reads are index lookups and bounded pages of the cached
    /// database, so one costs microseconds, while handing it to another thread and back cost
    /// more than the read (with reads on the blocking pool, `magpie bench ramp` on one core
    /// held 3,000 messages per second; inline, 6,000).
    ///
    /// The read runs in one read transaction: all its statements see the database as of one
    /// moment, so that a commit in between cannot give, say, an unread count built from two
    /// states. (In WAL mode that costs no lock: it only keeps one snapshot.)
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = &self.inner.readers;
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        // The first free connection; if every one is in use, wait for the round-robin one.
        let free = (0..readers.len()).find_map(|i| readers[(start + i) % readers.len()].try_lock().ok());
        let conn = match free {
            Some(conn) => conn,
            None => readers[start % readers.len()].lock().unwrap_or_else(|e| e.into_inner()),
        };
        // A transaction left open by a read that failed half-way would pin an old snapshot.
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        run_cached(&conn, "BEGIN DEFERRED").map_err(|e| store_error(&e))?;
        let result = f(&conn);
        let end = if result.is_ok() { run_cached(&conn, "COMMIT") } else { run_cached(&conn, "ROLLBACK") };
        let value = result.map_err(|e| store_error(&e))?;
        end.map_err(|e| store_error(&e))?;
        Ok(value)
    }

    /// Runs `f` on the writer: all of it commits, or none of it. Answers after the commit.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue_write(f, false).await
    }

    /// [`SqliteStore::write`] for work that follows the log behind the requests (push's jobs
    /// and outbox, the notification centre's items): the writer runs it when no other write
    /// waits, or after [`BACKGROUND_WAIT_MAX`], so that it never stands in front of a send.
    async fn write_background<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue_write(f, true).await
    }

    async fn queue_write<T, F>(&self, f: F, background: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job { f: Some(f), result: None, reply, background });
        self.inner.writes.send(job).await.map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer dropped a write".into()))?
    }
}

/// How often the checkpoint thread moves the WAL into the database.
const CHECKPOINT_PERIOD: Duration = Duration::from_millis(500);

/// WAL frames (pages) past which the checkpoint thread starts the WAL over.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// Checkpoints the WAL every [`CHECKPOINT_PERIOD`] until the store is dropped.
///
/// `PASSIVE` copies what no reader still needs into the database and never waits for the
/// writer or the readers, so writes go on meanwhile. But under a steady stream of writes the
/// WAL is never copied completely at the moment a write begins, which is when SQLite starts
/// it over, so it would grow without end. Once it passes [`WAL_RESTART_FRAMES`], this asks
/// the writer (`restart_due`) to run a `RESTART` checkpoint between two batches: it copies
/// the little that `PASSIVE` left, waits for the readers to finish, and the WAL starts from
/// its beginning. Run from here instead, it would wait forever for a gap between the writer's
/// transactions.
fn checkpoint_loop(conn: &Connection, stop: &std::sync::mpsc::Receiver<()>, restart_due: &AtomicBool) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_PERIOD) {
        // The answer is (busy, frames in the WAL, frames copied).
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1)) {
            Ok(frames) if frames >= WAL_RESTART_FRAMES => restart_due.store(true, Ordering::Relaxed),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// The writer connection's page cache, in KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// Prepared statements kept per connection.
const STATEMENT_CACHE_LEN: usize = 256;

/// A SQLite failure as the core sees it: busy and locked databases are worth a retry; data
/// that does not convert is corrupt; the rest is a plain failure.
fn store_error(e: &rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as Code;
    match e {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => match e.sqlite_error_code() {
            Some(Code::DatabaseBusy | Code::DatabaseLocked) => StoreError::Busy(e.to_string()),
            Some(Code::DatabaseCorrupt | Code::NotADatabase) => StoreError::Corrupt(e.to_string()),
            Some(Code::CannotOpen | Code::DiskFull | Code::SystemIoFailure) => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        },
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Room for every statement the store prepares: rusqlite keeps 16 by default, fewer than
    // the hot path uses, and a statement that falls out is parsed again at its next use.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_LEN);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Plans that never look at the values bound. Without this SQLite reads a bound `LIMIT ?`
    // (and a WHERE term of parameters only, such as `?5 IS NULL`) while it plans, and marks
    // the statement to be parsed and planned again whenever that parameter is bound: every
    // run of every cached statement with a bound limit was a fresh prepare (about an eighth
    // of the server's CPU under the webhooks benchmark, BENCHMARKS.md). No plan here depends
    // on a bound value: the store keeps no statistics (no ANALYZE), and no partial index is
    // matched through a parameter.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// The writer's own rules, seen from inside: batches, savepoints, the commit, and the wake.
///
/// Each test first parks the writer in a write that waits for a signal ([`hold`]), queues the
/// writes it wants batched, then lets the writer go: everything queued meanwhile is the next
/// batch, whatever the timing.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use magpie_core::chat::{AccountEvent, LoggedEvent};
    use magpie_core::model::{AccountId, EventSeq};
    use magpie_core::ports::{BusReceiver, LocalBus, Received};

    use super::*;

    fn open() -> (tempfile::TempDir, SqliteStore, BusReceiver) {
        let dir = tempfile::tempdir().unwrap();
        let bus = Arc::new(LocalBus::new(4096));
        let wakes = bus.subscribe();
        let store = SqliteStore::open(&dir.path().join("magpie.db"), 2, bus).unwrap();
        (dir, store, wakes)
    }

    /// Queues a write without waiting for its answer.
    async fn queue<T, F>(store: &SqliteStore, f: F) -> oneshot::Receiver<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        queue_as(store, f, false).await
    }

    /// Queues a write, in the background or not, without waiting for its answer.
    async fn queue_as<T, F>(store: &SqliteStore, f: F, background: bool) -> oneshot::Receiver<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job { f: Some(f), result: None, reply, background });
        assert!(store.inner.writes.send(job).await.is_ok(), "the writer runs");
        answer
    }

    /// Parks the writer in a write of its own; the returned sender lets it go.
    async fn hold(store: &SqliteStore) -> (std::sync::mpsc::Sender<()>, oneshot::Receiver<Result<(), StoreError>>) {
        let (running, parked) = oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let done = queue(store, move |_tx| {
            let _ = running.send(());
            let _ = released.recv();
            Ok(())
        })
        .await;
        parked.await.unwrap();
        (release, done)
    }

    /// A write that adds a domain named `name` (a row to look for) and publishes one item, an
    /// event of account `n` (to tell the items apart).
    fn publishing(name: &str, n: i64) -> impl FnOnce(&Tx<'_>) -> rusqlite::Result<()> + Send + 'static {
        let name = name.to_owned();
        move |tx| {
            tx.execute("INSERT INTO domains (name, created_at_ms) VALUES (?1, 0)", [&name])?;
            tx.tick_activity()?;
            let event = AccountEvent::ContactAdded { account: name };
            tx.publish(Committed::Event(Arc::new(LoggedEvent {
                account: AccountId(n),
                seq: EventSeq(1),
                at_ms: 0,
                event,
            })));
            Ok(())
        }
    }

    async fn domains(store: &SqliteStore) -> Vec<String> {
        store
            .read(|c| c.prepare("SELECT name FROM domains ORDER BY name")?.query_map([], |r| r.get(0))?.collect())
            .await
            .unwrap()
    }

    /// The next wake about the log: its cursors and the accounts of the events it carries.
    async fn next_log(wakes: &mut BusReceiver) -> (Option<LogCursor>, LogCursor, Vec<i64>) {
        loop {
            match wakes.recv().await {
                Received::Wake(wake) => {
                    if let Wake::Log { from, to, items } = wake.as_ref() {
                        let accounts = items
                            .iter()
                            .map(|item| match item {
                                Committed::Event(e) => e.account.0,
                                Committed::Entry { entry, .. } => panic!("an entry in a writer test: {entry:?}"),
                            })
                            .collect();
                        return (*from, *to, accounts);
                    }
                }
                other => panic!("the bus said {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn writes_queued_together_share_one_commit() {
        let (_dir, store, mut wakes) = open();
        let (release, held) = hold(&store).await;
        let mut answers = vec![];
        for n in 0..20 {
            answers.push(queue(&store, publishing(&format!("d{n:02}.example"), n)).await);
        }
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        for answer in answers {
            answer.await.unwrap().unwrap();
        }
        // One commit: one wake, carrying every write's item in queue order, over one span.
        let (from, to, items) = next_log(&mut wakes).await;
        assert_eq!(items, (0..20).collect::<Vec<_>>());
        assert_eq!((from, to), (Some(LogCursor(0)), LogCursor(20)));
        // And nothing else was published for them: the next write's wake follows at once.
        queue(&store, publishing("after.example", 99)).await.await.unwrap().unwrap();
        assert_eq!(next_log(&mut wakes).await, (Some(LogCursor(20)), LogCursor(21), vec![99]));
        assert_eq!(domains(&store).await.len(), 21);
    }

    #[tokio::test]
    async fn batches_hold_at_most_their_bound() {
        let (_dir, store, mut wakes) = open();
        let (release, held) = hold(&store).await;
        let total = BATCH_LEN_MAX + 88;
        let mut answers = vec![];
        for n in 0..total {
            answers.push(queue(&store, publishing(&format!("d{n}.example"), i64::try_from(n).unwrap())).await);
        }
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        for answer in answers {
            answer.await.unwrap().unwrap();
        }
        let (_, first_end, first) = next_log(&mut wakes).await;
        assert_eq!(first.len(), BATCH_LEN_MAX, "a full batch, no more");
        let (from, _, second) = next_log(&mut wakes).await;
        assert_eq!(from, Some(first_end));
        assert_eq!(second.len(), total - BATCH_LEN_MAX, "the rest in the next");
        assert_eq!([first, second].concat(), (0..i64::try_from(total).unwrap()).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_failed_write_rolls_back_alone() {
        let (_dir, store, mut wakes) = open();
        let (release, held) = hold(&store).await;
        let first = queue(&store, publishing("a.example", 1)).await;
        let failing = queue(&store, |tx: &Tx<'_>| {
            publishing("b.example", 2)(tx)?;
            Err::<(), _>(rusqlite::Error::InvalidQuery)
        })
        .await;
        let third = queue(&store, publishing("c.example", 3)).await;
        let panicking = queue(&store, |tx: &Tx<'_>| -> rusqlite::Result<()> {
            publishing("d.example", 4)(tx)?;
            panic!("a bug in a write");
        })
        .await;
        let fifth = queue(&store, publishing("e.example", 5)).await;
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        first.await.unwrap().unwrap();
        assert!(matches!(failing.await.unwrap(), Err(StoreError::Other(_))), "the failure is its own answer");
        third.await.unwrap().unwrap();
        assert!(panicking.await.unwrap().is_err(), "a panic fails its write, not the writer");
        fifth.await.unwrap().unwrap();
        assert_eq!(domains(&store).await, ["a.example", "c.example", "e.example"], "only the failed writes undone");
        let (_, _, items) = next_log(&mut wakes).await;
        assert_eq!(items, [1, 3, 5], "what failed is not published");
        queue(&store, publishing("later.example", 6)).await.await.unwrap().unwrap();
        assert_eq!(next_log(&mut wakes).await.2, [6], "the writer goes on");
    }

    #[tokio::test]
    async fn a_lost_transaction_fails_the_whole_batch() {
        let (_dir, store, mut wakes) = open();
        queue(&store, publishing("before.example", 1)).await.await.unwrap().unwrap();
        let (_, head, _) = next_log(&mut wakes).await;
        let (release, held) = hold(&store).await;
        let first = queue(&store, publishing("a.example", 2)).await;
        // What SQLite does by itself on some I/O and memory errors: the transaction is gone.
        let losing = queue(&store, |tx: &Tx<'_>| tx.execute_batch("ROLLBACK")).await;
        let third = queue(&store, publishing("c.example", 3)).await;
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        assert!(first.await.unwrap().is_err(), "a write that ran well fails with its batch");
        assert!(losing.await.unwrap().is_err());
        assert!(third.await.unwrap().is_err(), "so does a write after it");
        assert_eq!(domains(&store).await, ["before.example"], "nothing of the batch is stored");

        // Nothing was published for it: the next wake starts where the last one ended.
        queue(&store, publishing("after.example", 4)).await.await.unwrap().unwrap();
        assert_eq!(next_log(&mut wakes).await, (Some(head), LogCursor(head.0 + 1), vec![4]));
        assert_eq!(domains(&store).await, ["after.example", "before.example"]);
    }

    #[tokio::test]
    async fn wakes_carry_exactly_each_commit_and_chain() {
        let (_dir, store, mut wakes) = open();
        let mut previous = LogCursor::START;
        for (n, ticks) in [(1, 1), (2, 3), (3, 2)] {
            queue(&store, move |tx: &Tx<'_>| {
                for k in 0..ticks {
                    tx.tick_activity()?;
                    let event = AccountEvent::ContactAdded { account: format!("{n}/{k}") };
                    let logged = LoggedEvent { account: AccountId(n), seq: EventSeq(k + 1), at_ms: 0, event };
                    tx.publish(Committed::Event(Arc::new(logged)));
                }
                Ok(())
            })
            .await
            .await
            .unwrap()
            .unwrap();
            // A write that moves no cursor publishes nothing and breaks no chain.
            let quiet = format!("q{n}.example");
            queue(&store, move |tx: &Tx<'_>| {
                tx.execute("INSERT INTO domains (name, created_at_ms) VALUES (?1, 0)", [quiet]).map(drop)
            })
            .await
            .await
            .unwrap()
            .unwrap();
            let (from, to, items) = next_log(&mut wakes).await;
            assert_eq!(from, Some(previous), "each wake starts where the last ended");
            assert_eq!(to.0 - previous.0, u128::try_from(ticks).unwrap(), "and spans what its commit wrote");
            assert_eq!(items, vec![n; usize::try_from(ticks).unwrap()]);
            previous = to;
        }
        let head = store.read(crate::chat::log_head).await.unwrap();
        assert_eq!(head, previous, "the last wake ends at the head");
    }

    #[tokio::test]
    async fn a_background_write_yields_to_the_writes_queued_after_it_and_then_commits() {
        let (_dir, store, mut wakes) = open();
        let (release, held) = hold(&store).await;
        // Queued while the writer is busy: the background write first, then two others.
        let background = queue_as(&store, publishing("b.example", 1), true).await;
        let first = queue(&store, publishing("f1.example", 2)).await;
        let second = queue(&store, publishing("f2.example", 3)).await;
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        // The others commit together before it; it commits next, on its own.
        let (_, _, accounts) = next_log(&mut wakes).await;
        assert_eq!(accounts, [2, 3]);
        let (_, _, accounts) = next_log(&mut wakes).await;
        assert_eq!(accounts, [1]);
        for answer in [background, first, second] {
            answer.await.unwrap().unwrap();
        }
        assert_eq!(domains(&store).await, ["b.example", "f1.example", "f2.example"]);
    }

    /// A cached statement is prepared once: binding its parameters again (a `LIMIT ?`, a term
    /// of parameters only) does not make SQLite parse and plan it again at its next step.
    #[tokio::test]
    async fn a_cached_statement_with_a_bound_limit_is_planned_once() {
        let (_dir, store, _wakes) = open();
        let reprepared = store
            .read(|c| {
                let sql = "SELECT seq FROM entries WHERE conversation_id = ?1 AND seq > ?2 AND ?4 IS NULL \
                           ORDER BY seq LIMIT ?3";
                for run in 0..5_i64 {
                    let mut statement = c.prepare_cached(sql)?;
                    let rows =
                        statement.query_map(rusqlite::params![run, run, run + 1, Option::<i64>::None], |_| Ok(()))?;
                    assert_eq!(rows.count(), 0);
                }
                Ok(c.prepare_cached(sql)?.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .await
            .unwrap();
        assert_eq!(reprepared, 0);
    }
}
