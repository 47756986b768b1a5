//! The PostgreSQL store: every store port of [`magpie_core::ports`] on one PostgreSQL database
//! that any number of Magpie nodes share (cluster mode).
//!
//! **Writes.** Each write is one transaction (READ COMMITTED) on a pooled connection. Where
//! SQLite has one writer, PostgreSQL has locks: a write first takes an advisory lock per stream
//! of the log it appends to (its conversation, then the accounts it logs events for, in id
//! order), and an append gives the entry `last_seq + 1`; so seqs are dense and commit in order
//! per conversation and per account, and writes to different conversations never wait for each
//! other. Plain messages commit in batches, a node's many in one transaction and one WAL flush
//! (`chat::batch`); a batch waits for no lock while it holds one, and locks no account, so
//! writes do not deadlock each other. A transaction that still loses to a
//! concurrent one (a deadlock PostgreSQL broke, a serialisation failure, a unique key another
//! transaction took first) runs again whole, up to [`WRITE_ATTEMPTS_MAX`] times. That is why
//! the core's append checks are pure functions.
//!
//! **Commit order.** Every entry and account event records its transaction's id (`xid`) and a
//! position from one sequence. A reader takes only rows whose transaction id lies below the
//! oldest transaction still running when its snapshot was taken: all of those have ended, so
//! nothing can appear below that line later. The log's tail and its cursors follow
//! (xid, position), and the `sync` cursor (a conversation's activity) is its last writer's
//! transaction id (plus a base, see the schema), returned only below the line. See
//! `migrations/postgres/0001_schema.sql` for the whole argument.
//!
//! **Wakes.** After a commit the store publishes what it wrote on the [`Bus`] without a `from`
//! cursor: transaction ids do not follow commit order, so a follower always reads the tail to
//! learn where the new items stand.
//!
//! **Reads** of one statement run on any pooled connection; reads of several run in one
//! `REPEATABLE READ, READ ONLY` transaction, which sees one moment and never fails for a
//! conflict. Rows never leave this crate: they become core types here.
//!
//! The crate is `tokio-postgres` with `deadpool-postgres` for the pool (see ARCHITECTURE.md:
//! one async client with prepared statements cached per connection, no query macros that need
//! a database to build, and a small, well-kept pool).

mod accounts;
mod apps;
mod audit;
mod bots;
mod chat;
mod contacts;
mod dump;
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

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use magpie_core::StoreError;
use magpie_core::chat::Committed;
use magpie_core::model::{AccountId, ConversationId, LogCursor};
use magpie_core::ports::{Bus, Wake};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use dump::Import;
pub use migrate::MIGRATIONS;

/// What every store method answers.
pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// How often a write that lost to a concurrent transaction runs again before its caller hears
/// `conflict`.
pub const WRITE_ATTEMPTS_MAX: u32 = 5;
/// How long a request waits for a free pooled connection (or for a new one to connect) before
/// it fails as `unavailable`: a stopped database answers requests promptly instead of hanging.
pub const CONNECTION_WAIT: Duration = Duration::from_secs(5);
/// How long PostgreSQL lets a transaction sit idle before it ends it: a node that stalls inside
/// a transaction cannot hold the log's commit line (and its followers) back for longer.
const IDLE_IN_TRANSACTION_TIMEOUT_MS: u32 = 10_000;
/// Activities (the `sync` cursor) per transaction: a conversation's activity is
/// `(xid + activity_base) * ACTIVITY_SLOTS + slot`, where a lone write takes slot 0 and a batch
/// of messages ((`chat::batch`)) gives each of its conversations a slot of its own, so that no two
/// conversations share an activity (pages of `sync` and of the conversation list break ties
/// nowhere) and every activity of a transaction lies below those of any later one.
pub(crate) const ACTIVITY_SLOTS: i64 = 1024;
/// The `application_name` of every connection Magpie opens to PostgreSQL.
pub const APPLICATION_NAME: &str = "magpie";
/// Connections each node keeps for its followers of the log, besides the pool of `pool_size`.
pub const FOLLOWER_CONNECTIONS: usize = 2;
/// Other programs' transactions a node remembers for its reads of the commit line (the newest).
pub const KNOWN_FOREIGN_MAX: usize = 1024;
/// Connections per node when the configuration names none.
pub const POOL_SIZE_DEFAULT: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("invalid PostgreSQL URL: {0}")]
    Url(tokio_postgres::Error),
    #[error("cannot make the connection pool: {0}")]
    Pool(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(tokio_postgres::Error),
    #[error("the database was written by a newer Magpie (schema {found}, this binary knows {known})")]
    TooNew { found: i64, known: i64 },
}

/// The PostgreSQL implementation of every store port in [`magpie_core::ports`].
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// Connections of the log's followers alone, so that reading the tail never waits behind
    /// the requests' writes for a pooled connection (delivery would fall behind under load).
    followers: Pool,
    bus: Arc<dyn Bus>,
    /// Added to transaction ids to make activities (`store_meta.activity_base`).
    activity_base: i64,
    /// Commits plain messages together (see `chat::batch`).
    batcher: chat::batch::Batcher,
    /// Transactions that reads of the commit line found working for someone else and that may
    /// still run (ids at or above the last line read), at most [`KNOWN_FOREIGN_MAX`]: see
    /// `chat::line_query`.
    known_foreign: std::sync::Mutex<Vec<i64>>,
}

/// A failure inside this crate, before it becomes a [`StoreError`].
#[derive(Debug)]
pub(crate) enum PgError {
    Db(tokio_postgres::Error),
    Pool(String),
    Corrupt(String),
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> PgError {
        PgError::Db(e)
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> PgError {
        PgError::Pool(e.to_string())
    }
}

pub(crate) type PgResult<T> = Result<T, PgError>;

/// A stored value that breaks the core's rules: the database was edited by hand or is damaged.
pub(crate) fn corrupt(what: &str) -> PgError {
    PgError::Corrupt(format!("invalid {what} in database"))
}

impl PgError {
    /// Whether the transaction lost to a concurrent one and may simply run again.
    fn is_retryable(&self) -> bool {
        let PgError::Db(e) = self else { return false };
        match e.code() {
            Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED => {
                true
            }
            // Two transactions inserted the same key (a direct chat's pair, a client message
            // id): the loser runs again and finds the winner's row.
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => true,
            _ => false,
        }
    }

    fn into_store(self) -> StoreError {
        match self {
            PgError::Pool(e) => StoreError::Unavailable(e),
            PgError::Corrupt(e) => StoreError::Corrupt(e),
            PgError::Db(e) => store_error(&e),
        }
    }
}

/// A PostgreSQL failure as the core sees it.
fn store_error(e: &tokio_postgres::Error) -> StoreError {
    let text = match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{}: {}", db.code().code(), db.message()),
        (None, Some(source)) => format!("{e}: {source}"),
        (None, None) => e.to_string(),
    };
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection broke, or a value did not convert (a bug or bad data).
        let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
        return if e.is_closed() || io {
            StoreError::Unavailable(text)
        } else if text.contains("error deserializing") {
            StoreError::Corrupt(text)
        } else {
            StoreError::Other(text)
        };
    };
    let class = &code.code()[..2];
    if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::UNIQUE_VIOLATION
    {
        StoreError::Conflict(text)
    } else if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
        StoreError::Busy(text)
    } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        StoreError::Corrupt(text)
    } else if matches!(class, "08" | "57" | "53" | "58") || *code == SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT {
        // Connection exceptions, operator intervention (shutdown), insufficient resources,
        // system errors.
        StoreError::Unavailable(text)
    } else {
        StoreError::Other(text)
    }
}

/// One write transaction: SQL runs on it, and what it commits for followers of the log to
/// hear of is recorded with [`Tx::publish`].
pub(crate) struct Tx<'a> {
    tx: deadpool_postgres::Transaction<'a>,
    published: Vec<Committed>,
    /// The largest (xid, position) this transaction wrote to the log.
    last: Option<(i64, i64)>,
    pub(crate) activity_base: i64,
    /// The streams this transaction locked (see [`Tx::lock_streams`]), once it has.
    locked: Option<Streams>,
}

/// The streams of the log that one write has locked: at most one conversation's entries, and
/// the event logs of some accounts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Streams {
    conversation: Option<ConversationId>,
    accounts: std::collections::BTreeSet<AccountId>,
}

impl<'a> Tx<'a> {
    fn new(tx: deadpool_postgres::Transaction<'a>, activity_base: i64) -> Tx<'a> {
        Tx { tx, published: vec![], last: None, activity_base, locked: None }
    }

    /// Records that this write locks a conversation's log for the rest of the transaction, before
    /// it writes anything, with `SELECT pg_advisory_xact_lock(<conversation id>)` that the caller
    /// sends (with what it reads under the lock): appends to one conversation wait for each
    /// other there.
    ///
    /// The log's streams (a conversation's entries, an account's events) are locked with
    /// advisory locks, taken before the first write, and always in one order: at most one
    /// conversation, then accounts in id order ([`Tx::lock_accounts`]), so that no two writes
    /// wait for each other in a circle. Why advisory locks, and why first: a transaction's id is
    /// given at its first write, and the log's tail is read in transaction-id order. A
    /// transaction that waits here has no id yet, so it gets a larger one than the transaction
    /// it waited for: within one stream, a later seq always has a larger transaction id, and
    /// the tail serves every stream in seq order. (A row lock would give the waiter its id
    /// before it waits.)
    pub(crate) fn lock_conversation_with(&mut self, conversation: ConversationId) {
        let locked = self.locked.get_or_insert_default();
        debug_assert!(locked.conversation.is_none() && locked.accounts.is_empty(), "streams locked out of order");
        debug_assert!(self.last.is_none(), "a write locked a stream after writing to the log");
        locked.conversation = Some(conversation);
    }

    /// Locks the event logs of these accounts, in id order, before the write writes anything
    /// (see [`Tx::lock_conversation_with`]).
    pub(crate) async fn lock_accounts(&mut self, accounts: impl IntoIterator<Item = AccountId>) -> PgResult<()> {
        let accounts: std::collections::BTreeSet<AccountId> = accounts.into_iter().collect();
        let locked = self.locked.get_or_insert_default();
        debug_assert!(locked.accounts.is_empty(), "account streams locked twice");
        debug_assert!(self.last.is_none(), "a write locked a stream after writing to the log");
        locked.accounts.clone_from(&accounts);
        let keys: Vec<i64> = accounts.iter().map(|a| -a.0).collect();
        self.advisory_locks(&keys).await
    }

    /// Takes advisory locks on `keys`, in this order. Conversations lock their id, accounts the
    /// negative of theirs: two key spaces that never meet.
    async fn advisory_locks(&self, keys: &[i64]) -> PgResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let sql = "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS s(k, n) ORDER BY n";
        let stmt = self.tx.prepare_cached(sql).await?;
        self.tx.query(&stmt, &[&keys]).await?;
        Ok(())
    }

    /// Whether this write holds the lock of an account's event log.
    pub(crate) fn holds_account(&self, account: AccountId) -> bool {
        self.locked.as_ref().is_some_and(|s| s.accounts.contains(&account))
    }

    /// Whether this write holds the lock of a conversation's log.
    pub(crate) fn holds_conversation(&self, conversation: ConversationId) -> bool {
        self.locked.as_ref().is_some_and(|s| s.conversation == Some(conversation))
    }

    /// The transaction, to run SQL on.
    pub(crate) fn c(&self) -> &deadpool_postgres::Transaction<'a> {
        &self.tx
    }

    /// Records that this transaction wrote to the log at (xid, position).
    pub(crate) fn wrote(&mut self, xid: i64, position: i64) {
        debug_assert!(self.last.is_none_or(|last| last < (xid, position)), "the log went back inside a transaction");
        self.last = Some(self.last.map_or((xid, position), |last| last.max((xid, position))));
    }

    /// Publishes `item` once (and only if) this write commits, after what it published before.
    pub(crate) fn publish(&mut self, item: Committed) {
        self.published.push(item);
    }

    async fn commit(self) -> PgResult<(Vec<Committed>, Option<(i64, i64)>)> {
        self.tx.commit().await?;
        Ok((self.published, self.last))
    }
}

/// A place in the log's commit order as a cursor: the transaction id in the high half, the
/// position in the low.
pub(crate) fn cursor(xid: i64, position: i64) -> LogCursor {
    let high = u128::from(u64::try_from(xid).unwrap_or(0));
    let low = u128::from(u64::try_from(position).unwrap_or(0));
    LogCursor(high << 64 | low)
}

/// The (xid, position) of a cursor.
pub(crate) fn uncursor(cursor: LogCursor) -> (i64, i64) {
    let high = i64::try_from(cursor.0 >> 64).unwrap_or(i64::MAX);
    let low = i64::try_from(cursor.0 & u128::from(u64::MAX)).unwrap_or(i64::MAX);
    (high, low)
}

/// Runs `$body` in a write transaction bound to `$tx` (a `&mut Tx`), commits, publishes, and
/// runs it all again if the transaction lost to a concurrent one. The body may use `?` on
/// [`PgError`] and must be safe to run again (it is: nothing in it outlives a rolled-back try).
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let store: &$crate::PgStore = $store;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome: $crate::PgResult<_> = async {
                let mut client = store.client().await?;
                let inner = client.transaction().await?;
                let mut tx = $crate::Tx::new(inner, store.activity_base());
                #[allow(unused_mut)]
                let $tx = &mut tx;
                let value = $body;
                let (published, last) = tx.commit().await?;
                Ok((value, published, last))
            }
            .await;
            match outcome {
                Ok((value, published, last)) => {
                    store.publish(published, last);
                    break Ok(value);
                }
                Err(e) if e.is_retryable() && attempt < $crate::WRITE_ATTEMPTS_MAX => {
                    tracing::debug!(attempt, error = ?e, "a write lost to a concurrent one; running it again");
                }
                Err(e) => break Err(e.into_store()),
            }
        }
    }};
}

/// Runs `$body` in one `REPEATABLE READ, READ ONLY` transaction bound to `$c`: every statement
/// sees the database as of one moment.
macro_rules! read_tx {
    ($store:expr, |$c:ident| $body:expr) => {{
        let store: &$crate::PgStore = $store;
        let outcome: $crate::PgResult<_> = async {
            let mut client = store.client().await?;
            let inner = $crate::read_only(&mut client).await?;
            let $c = &inner;
            let value = $body;
            inner.commit().await?;
            Ok(value)
        }
        .await;
        outcome.map_err($crate::PgError::into_store)
    }};
}

/// Starts a `REPEATABLE READ, READ ONLY` transaction: its statements see one moment, and it
/// never fails for a conflict.
pub(crate) async fn read_only(client: &mut deadpool_postgres::Object) -> PgResult<deadpool_postgres::Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Runs `$body` (one statement) on a pooled connection bound to `$c`.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {{
        let store: &$crate::PgStore = $store;
        let outcome: $crate::PgResult<_> = async {
            let client = store.client().await?;
            let $c = &client;
            Ok($body)
        }
        .await;
        outcome.map_err($crate::PgError::into_store)
    }};
}

pub(crate) use {read, read_tx, write_tx};

impl PgStore {
    /// Connects to the database at `url` with a pool of `pool_size` connections, brings its
    /// schema up to date (once, however many nodes start at the same time) and checks that it
    /// answers. Wakes go to `bus` after each commit.
    pub async fn open(url: &str, pool_size: usize, bus: Arc<dyn Bus>) -> Result<PgStore, OpenError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(OpenError::Url)?;
        // Every connection of Magpie's is named so (whatever the URL says): the log's commit line
        // tells Magpie's transactions from everyone else's by it (see `chat::line`).
        config.application_name(APPLICATION_NAME);
        let options = format!(
            "{} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}",
            config.get_options().unwrap_or_default()
        );
        config.options(options.trim());
        config.connect_timeout(CONNECTION_WAIT);
        let pool = |size: usize| {
            let manager =
                Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
            Pool::builder(manager)
                .max_size(size.max(1))
                .runtime(Runtime::Tokio1)
                .wait_timeout(Some(CONNECTION_WAIT))
                .create_timeout(Some(CONNECTION_WAIT))
                .recycle_timeout(Some(CONNECTION_WAIT))
                .build()
                .map_err(|e| OpenError::Pool(e.to_string()))
        };
        let (followers, pool) = (pool(FOLLOWER_CONNECTIONS)?, pool(pool_size)?);
        let mut client = pool.get().await.map_err(|e| OpenError::Connect(e.to_string()))?;
        migrate::run(&mut client).await?;
        let activity_base: i64 = client
            .query_one("SELECT activity_base FROM store_meta WHERE id = 1", &[])
            .await
            .map_err(OpenError::Migrate)?
            .get(0);
        drop(client);
        let batcher =
            chat::batch::Batcher::start(chat::batch::Writer { pool: pool.clone(), bus: bus.clone(), activity_base });
        Ok(PgStore {
            inner: Arc::new(Inner { pool, followers, bus, activity_base, batcher, known_foreign: Default::default() }),
        })
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> PgResult<deadpool_postgres::Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// A connection of the followers' own pool.
    pub(crate) async fn follower_client(&self) -> PgResult<deadpool_postgres::Object> {
        Ok(self.inner.followers.get().await?)
    }

    pub(crate) fn batcher(&self) -> &chat::batch::Batcher {
        &self.inner.batcher
    }

    /// The transactions known to be someone else's, for a read of the commit line.
    pub(crate) fn known_foreign(&self) -> Vec<i64> {
        self.inner.known_foreign.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Remembers what a read of the commit line found to be someone else's, and forgets what
    /// lies below its line (ended, whoever's it was).
    pub(crate) fn learn_foreign(&self, line: i64, found: Vec<i64>) {
        let Ok(mut known) = self.inner.known_foreign.lock() else { return };
        known.extend(found);
        known.retain(|x| *x >= line);
        known.sort_unstable();
        known.dedup();
        let excess = known.len().saturating_sub(KNOWN_FOREIGN_MAX);
        known.drain(..excess);
    }

    pub(crate) fn activity_base(&self) -> i64 {
        self.inner.activity_base
    }

    /// The deployment's server key (it signs file links and device keys), the same for every
    /// node: `key` becomes it if the database has none yet (the first node to ask makes it),
    /// else the one stored wins.
    pub async fn server_key(&self, key: [u8; 32]) -> Result<[u8; 32], StoreError> {
        let stored: Vec<u8> = write_tx!(self, |tx| {
            let c = tx.c();
            c.execute(
                "INSERT INTO server_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&key.as_slice()],
            )
            .await?;
            c.query_one("SELECT key FROM server_key WHERE id = 1", &[]).await?.try_get(0)?
        })?;
        stored.try_into().map_err(|_| StoreError::Corrupt("the server key is not 32 bytes".into()))
    }

    /// The schema steps applied to this database, in order: (version, name).
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>, StoreError> {
        read!(self, |c| {
            let rows = c.query("SELECT version, name FROM magpie_migrations ORDER BY version", &[]).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<PgResult<Vec<_>>>()?
        })
    }

    /// Whether the database answers now (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        read!(self, |c| c.simple_query("SELECT 1").await?)?;
        Ok(())
    }

    /// Publishes what a committed write wrote to the log.
    fn publish(&self, published: Vec<Committed>, last: Option<(i64, i64)>) {
        let Some((xid, position)) = last else { return };
        if published.is_empty() {
            return;
        }
        self.inner.bus.publish(Wake::Log { from: None, to: cursor(xid, position), items: published.into() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_by_transaction_then_position() {
        let pairs = [(0, 0), (0, 1), (1, 0), (700, 12), (700, 13), (701, 1), (i64::MAX, i64::MAX)];
        for pair in pairs {
            assert_eq!(uncursor(cursor(pair.0, pair.1)), pair);
        }
        let cursors: Vec<LogCursor> = pairs.iter().map(|&(x, p)| cursor(x, p)).collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "cursors follow (xid, position)");
    }
}
