//! The embedded SQLite store: one file under the data directory, WAL mode, `synchronous=FULL`
//! so that a committed transaction survives power loss.
//!
//! One writer connection serialises all writes (SQLite allows one writer at a time anyway);
//! a small pool of reader connections serves reads concurrently with it. Every call runs on
//! tokio's blocking pool. Database rows never leave this crate: they become core types here.

mod migrate;
mod queries;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use magpie_core::StoreError;
use rusqlite::Connection;

/// How long a statement waits for another process's write lock (the admin CLI, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot migrate {path}: {source}")]
    Migrate { path: PathBuf, source: rusqlite::Error },
    #[error("{path} was written by a newer Magpie (schema {found}, this binary knows {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
}

/// The SQLite implementation of [`magpie_core::ports::Store`].
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, readers: usize) -> Result<SqliteStore, OpenError> {
        let open = |path: &Path| -> Result<Connection, OpenError> {
            let conn = Connection::open(path).map_err(|source| OpenError::Open { path: path.into(), source })?;
            configure(&conn).map_err(|source| OpenError::Open { path: path.into(), source })?;
            Ok(conn)
        };
        let mut writer = open(path)?;
        migrate::run(&mut writer, path)?;
        let readers = (0..readers.max(1)).map(|_| open(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner { writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0) }),
        })
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let n = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[n].lock().unwrap_or_else(|e| e.into_inner());
            f(&conn)
        })
        .await
    }

    /// Runs `f` inside one write transaction: all of it commits, or none of it.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> rusqlite::Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(StoreError(e.to_string())),
        Err(e) => Err(StoreError(format!("store task: {e}"))),
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}
