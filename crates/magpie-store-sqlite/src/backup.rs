//! Copies of the database as of one moment, taken while a server writes it: what `magpie admin
//! backup` and `magpie admin restore` build on.
//!
//! The copy is SQLite's online backup of every page in one step, so in one read transaction:
//! in WAL mode the server's writes go on meanwhile and the copy holds exactly what was committed
//! when it began. The copy is then made a file of its own (a rollback journal, not WAL) and
//! checked.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// How long the copy waits for a lock the server holds for a moment (a WAL restart).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}")]
    Missing(PathBuf),
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path} is damaged: {problem}")]
    Damaged { path: PathBuf, problem: String },
    #[error("{path} was written by a newer Magpie (schema {found}, this binary knows {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
}

/// What a database copy holds, as far as a backup cares.
#[derive(Debug)]
pub struct Snapshot {
    /// Its migrations' version (`PRAGMA user_version`).
    pub schema_version: i64,
    /// The SHA-256 digests of the file contents its files refer to (the `blobs` table).
    pub blobs: Vec<String>,
}

/// The schema version this binary's migrations reach.
pub fn schema_version() -> i64 {
    crate::migrate::known_version()
}

/// Copies the database at `src` into a new file at `dst` as of one moment, while servers may
/// write it, and checks the copy ([`inspect`]).
pub fn copy_database(src: &Path, dst: &Path) -> Result<Snapshot, BackupError> {
    if !src.exists() {
        return Err(BackupError::Missing(src.to_owned()));
    }
    fn at(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
        move |source| BackupError::Sqlite { path: path.to_owned(), source }
    }
    // Opened for reading and writing as the server opens it (a read-only connection cannot
    // always read a WAL database), but nothing is written through it.
    let source = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(at(src))?;
    source.busy_timeout(BUSY_TIMEOUT).map_err(at(src))?;
    let mut target = Connection::open_with_flags(
        dst,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(at(dst))?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut target).map_err(at(dst))?;
        // Every page in one step: one read transaction, so one moment, however the server
        // writes meanwhile (copied in several steps, each write would start the copy over).
        // In WAL mode a reader is not locked out; a lock met anyway (a recovery in progress)
        // is an error to try again, after the busy handler waited `BUSY_TIMEOUT`.
        loop {
            match backup.step(-1).map_err(at(src))? {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::Busy | rusqlite::backup::StepResult::Locked => {
                    return Err(BackupError::Sqlite {
                        path: src.to_owned(),
                        source: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            None,
                        ),
                    });
                }
                _ => {}
            }
        }
    }
    drop(source);
    // One file, whatever the server's journal mode: the server sets WAL again when it opens it.
    target.pragma_update(None, "journal_mode", "DELETE").map_err(at(dst))?;
    drop(target);
    inspect(dst)
}

/// Checks a database copy (SQLite's integrity check, a schema this binary knows) and says what
/// it holds.
pub fn inspect(path: &Path) -> Result<Snapshot, BackupError> {
    if !path.exists() {
        return Err(BackupError::Missing(path.to_owned()));
    }
    let at = |source| BackupError::Sqlite { path: path.to_owned(), source };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(at)?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |row| row.get::<_, String>(0))?.collect())
        .map_err(at)?;
    if problems != ["ok"] {
        return Err(BackupError::Damaged { path: path.to_owned(), problem: problems.join("; ") });
    }
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(at)?;
    let known = schema_version();
    if found > known {
        return Err(BackupError::TooNew { path: path.to_owned(), found, known });
    }
    // A database from before the files' migration names none.
    let has_blobs: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs')", [], |r| {
            r.get(0)
        })
        .map_err(at)?;
    let blobs = if has_blobs {
        conn.prepare("SELECT sha256 FROM blobs WHERE refs > 0 ORDER BY sha256")
            .and_then(|mut s| s.query_map([], |row| row.get::<_, String>(0))?.collect())
            .map_err(at)?
    } else {
        Vec::new()
    };
    Ok(Snapshot { schema_version: found, blobs })
}
