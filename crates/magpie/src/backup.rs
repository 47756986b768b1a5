//! `magpie admin backup DEST` and `magpie admin restore SRC`: a consistent copy of an embedded
//! deployment, taken while its server runs, and the way back.
//!
//! A backup is a new directory: the database as of one moment (SQLite's online backup, see
//! `magpie_store_sqlite::backup`), then the data directory's files (`files/`: the key that signs
//! file links, every stored file content, unfinished uploads), and last `backup.json`, which
//! says what the rest is and so marks the backup finished. File contents are named by their
//! SHA-256 and never change, so copying them after the database gives every file the copy
//! refers to; one the server deleted in between (an upload never shared, past its time) is
//! reported. The search index is not copied: a restored server builds it again from the log.
//!
//! A restore goes into a data directory without a database (stop the server and move the old
//! one aside first): files first, then the database, renamed into place last, so that a restore
//! that breaks off leaves no database and can be run again.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use magpie_core::backups::{BackupError, BackupInfo, BackupMaker};
use magpie_store_sqlite::backup::{copy_database, inspect};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::config::{Config, DatabaseKind};

/// The version of the backup layout this binary writes and reads.
pub const FORMAT: u32 = 1;
/// The file that describes a backup, written last.
const MANIFEST: &str = "backup.json";
const DATABASE: &str = "magpie.db";
/// The data directory's files, and under it what a backup copies.
const FILES: &str = "files";
const LINK_KEY: &str = "link.key";
const CONTENTS: &str = "sha256";
const UPLOADS: &str = "uploads";
/// The names the file store gives a content it is still writing (see `magpie_blobs`).
const WRITING_PREFIX: &str = "put-";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// The Magpie that wrote it.
    magpie: String,
    created_at_ms: i64,
    schema_version: i64,
    database: Digested,
    /// Without files when the deployment keeps them in a bucket (its own backups cover them).
    files: Option<FilesCopied>,
}

#[derive(Serialize, Deserialize)]
struct Digested {
    bytes: u64,
    sha256: String,
}

#[derive(Serialize, Deserialize, Default, Clone, Copy)]
pub struct FilesCopied {
    pub contents: u64,
    pub uploads: u64,
    pub bytes: u64,
}

/// What a backup or a restore did.
pub struct Report {
    pub schema_version: i64,
    pub database_bytes: u64,
    pub files: Option<FilesCopied>,
    /// Contents the database refers to that the data directory no longer had.
    pub missing: Vec<String>,
}

fn embedded_only(config: &Config, what: &str) -> anyhow::Result<()> {
    match config.database_kind()? {
        DatabaseKind::Sqlite => Ok(()),
        _ => anyhow::bail!(
            "`magpie admin {what}` is for the embedded deployment (SQLite in the data directory); \
             in cluster mode back up PostgreSQL and the bucket with their own tools (docs/cluster.md, \"Backups\")"
        ),
    }
}

/// What a backup reads of the configuration.
#[derive(Debug, Clone)]
pub struct Source {
    data_dir: PathBuf,
    database: PathBuf,
    local_files: bool,
}

impl Source {
    /// The deployment `config` names, if it is embedded (else the error says what to do).
    pub fn of(config: &Config) -> anyhow::Result<Source> {
        embedded_only(config, "backup")?;
        Ok(Source {
            data_dir: config.data_dir.clone(),
            database: config.database_path(),
            local_files: config.blobs_bucket()?.is_none(),
        })
    }
}

/// Makes a backup of the deployment `config` names in the new directory `dest`.
pub fn backup(config: &Config, dest: &Path) -> anyhow::Result<Report> {
    backup_of(&Source::of(config)?, dest)
}

/// Makes a backup of `source` in the new directory `dest`.
pub fn backup_of(source: &Source, dest: &Path) -> anyhow::Result<Report> {
    let local_files = source.local_files;
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        anyhow::bail!("{} is not empty: a backup goes into a new directory", dest.display());
    }
    // The database and the key are secrets: readable by the operator only.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dest)
        .with_context(|| format!("cannot create {}", dest.display()))?;
    let database = dest.join(DATABASE);
    let snapshot = copy_database(&source.database, &database)?;
    sync_file(&database)?;
    let files = if local_files { Some(copy_files(&source.data_dir.join(FILES), &dest.join(FILES))?) } else { None };
    let missing = if local_files { missing_contents(&dest.join(FILES), &snapshot.blobs) } else { Vec::new() };
    let digested = digest(&database)?;
    let manifest = Manifest {
        format: FORMAT,
        magpie: env!("CARGO_PKG_VERSION").to_owned(),
        created_at_ms: now_ms(),
        schema_version: snapshot.schema_version,
        database: Digested { bytes: digested.0, sha256: digested.1 },
        files,
    };
    write_new(&dest.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
    sync_dir(dest)?;
    Ok(Report { schema_version: snapshot.schema_version, database_bytes: digested.0, files, missing })
}

/// Restores the backup in `src` into the data directory `config` names, which must have no
/// database.
pub fn restore(config: &Config, src: &Path) -> anyhow::Result<Report> {
    embedded_only(config, "restore")?;
    let manifest: Manifest = {
        let path = src.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a finished Magpie backup: cannot read its {MANIFEST} ({e}); a backup that broke off has none",
                src.display()
            )
        })?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a Magpie backup's manifest", path.display()))?
    };
    if manifest.format != FORMAT {
        anyhow::bail!("{} is a backup of format {}; this Magpie reads format {FORMAT}", src.display(), manifest.format);
    }
    // The backup's database, checked before anything is written.
    let database = src.join(DATABASE);
    let (bytes, sha256) = digest(&database)?;
    if (bytes, sha256.as_str()) != (manifest.database.bytes, manifest.database.sha256.as_str()) {
        anyhow::bail!("{} is damaged: it is not the database the backup's {MANIFEST} describes", database.display());
    }
    let snapshot = inspect(&database)?;
    let target = config.database_path();
    for path in [target.clone(), PathBuf::from(format!("{}-wal", target.display()))] {
        if path.exists() {
            anyhow::bail!(
                "{} already has a database ({}): stop its server and move the data directory aside, \
                 then restore into a new one",
                config.data_dir.display(),
                path.display()
            );
        }
    }
    let files_dir = config.data_dir.join(FILES);
    let key = files_dir.join(LINK_KEY);
    if manifest.files.is_some()
        && key.exists()
        && std::fs::read(&key)? != std::fs::read(src.join(FILES).join(LINK_KEY)).unwrap_or_default()
    {
        anyhow::bail!(
            "{} holds another deployment's files ({} differs): restore into a new data directory",
            config.data_dir.display(),
            key.display()
        );
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let files = match manifest.files {
        Some(_) => Some(copy_files(&src.join(FILES), &files_dir)?),
        None => None,
    };
    let missing = if files.is_some() { missing_contents(&files_dir, &snapshot.blobs) } else { Vec::new() };
    // An index of what was there before: the server builds it again from the restored log.
    let index = config.search_index_dir();
    if index.exists() {
        std::fs::remove_dir_all(&index)
            .with_context(|| format!("cannot remove the old search index {}", index.display()))?;
    }
    // The database last, complete before it has its name.
    copy_file(&database, &target)?;
    sync_dir(&config.data_dir)?;
    Ok(Report { schema_version: snapshot.schema_version, database_bytes: bytes, files, missing })
}

/// Copies the file store's key, contents and unfinished uploads from `from` into `to`.
fn copy_files(from: &Path, to: &Path) -> anyhow::Result<FilesCopied> {
    let mut copied = FilesCopied::default();
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(to.join(CONTENTS))?;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(to.join(UPLOADS))?;
    if from.join(LINK_KEY).exists() && !to.join(LINK_KEY).exists() {
        copy_file(&from.join(LINK_KEY), &to.join(LINK_KEY))?;
    }
    for shard in read_dir(&from.join(CONTENTS))? {
        if !shard.is_dir() {
            continue;
        }
        let into = to.join(CONTENTS).join(shard.file_name().unwrap_or_default());
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&into)?;
        for content in read_dir(&shard)? {
            let Some(name) = content.file_name() else { continue };
            if content.is_file() && !into.join(name).exists() {
                copied.bytes += copy_file(&content, &into.join(name))?;
                copied.contents += 1;
            }
        }
        sync_dir(&into)?;
    }
    for upload in read_dir(&from.join(UPLOADS))? {
        let Some(name) = upload.file_name() else { continue };
        // A content still being written has no name yet; the server writes it again if needed.
        if upload.is_file() && !name.to_string_lossy().starts_with(WRITING_PREFIX) {
            copied.bytes += copy_file(&upload, &to.join(UPLOADS).join(name))?;
            copied.uploads += 1;
        }
    }
    sync_dir(&to.join(UPLOADS))?;
    sync_dir(&to.join(CONTENTS))?;
    sync_dir(to)?;
    Ok(copied)
}

/// The contents in `blobs` that the file store at `files` does not have.
fn missing_contents(files: &Path, blobs: &[String]) -> Vec<String> {
    blobs
        .iter()
        .filter(|sha256| sha256.len() < 2 || !files.join(CONTENTS).join(&sha256[..2]).join(sha256.as_str()).is_file())
        .cloned()
        .collect()
}

/// The entries of a directory, none if it does not exist.
fn read_dir(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

/// Copies a file to `to` (readable by its owner only), durably, and under its name only once
/// complete, so that a copy that broke off is never taken for a whole one; its length.
fn copy_file(from: &Path, to: &Path) -> anyhow::Result<u64> {
    let mut source = std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let partial = PathBuf::from(format!("{}.copying", to.display()));
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let bytes = std::io::copy(&mut source, &mut target).with_context(|| format!("cannot copy {}", from.display()))?;
    target.sync_all()?;
    std::fs::rename(&partial, to).with_context(|| format!("cannot rename {} into place", partial.display()))?;
    Ok(bytes)
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    Ok(())
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)?.sync_all().with_context(|| format!("cannot sync {}", dir.display()))
}

/// A file's length and SHA-256.
fn digest(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Backups made from the console (see [`magpie_core::backups`]): each in a new directory under
/// `dir`, named by the moment it began; the newest `keep` finished ones are kept, older ones
/// deleted once a new one is finished.
pub struct ConsoleBackups {
    source: Result<Source, String>,
    dir: PathBuf,
    keep: usize,
    making: tokio::sync::Mutex<()>,
}

impl ConsoleBackups {
    pub fn new(config: &Config) -> ConsoleBackups {
        let dir = if config.backups.dir.as_os_str().is_empty() {
            config.data_dir.join("backups")
        } else {
            config.backups.dir.clone()
        };
        ConsoleBackups {
            source: Source::of(config).map_err(|e| e.to_string()),
            dir,
            keep: config.backups.keep.max(1),
            making: tokio::sync::Mutex::new(()),
        }
    }

    /// Deletes finished backups beyond the newest `keep`; never one without a description (it
    /// may be one being made, or not Magpie's).
    fn prune(&self) -> anyhow::Result<()> {
        let finished: Vec<BackupInfo> = list_in(&self.dir)?.into_iter().filter(|b| b.finished).collect();
        for old in finished.iter().skip(self.keep) {
            let path = self.dir.join(&old.name);
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot delete the old backup {}", path.display()))?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl BackupMaker for ConsoleBackups {
    async fn make(&self) -> Result<BackupInfo, BackupError> {
        let source = self.source.clone().map_err(BackupError::Unsupported)?;
        let _one = self.making.try_lock().map_err(|_| BackupError::Busy)?;
        let started = jiff::Timestamp::now();
        let name = format!("magpie-{}", started.strftime("%Y%m%dT%H%M%S%.3fZ"));
        let dest = self.dir.join(&name);
        let report = tokio::task::spawn_blocking(move || backup_of(&source, &dest))
            .await
            .map_err(|e| BackupError::Failed(e.to_string()))?
            .map_err(|e| BackupError::Failed(format!("{e:#}")))?;
        if let Err(e) = self.prune() {
            tracing::warn!(error = %format!("{e:#}"), "cannot delete old backups");
        }
        let files = report.files.unwrap_or_default();
        Ok(BackupInfo {
            name,
            created_at_ms: started.as_millisecond(),
            finished: true,
            database_bytes: report.database_bytes,
            files: files.contents + files.uploads,
            files_bytes: files.bytes,
            missing: report.missing.len() as u64,
        })
    }

    async fn list(&self) -> Result<Vec<BackupInfo>, BackupError> {
        self.source.as_ref().map_err(|e| BackupError::Unsupported(e.clone()))?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || list_in(&dir))
            .await
            .map_err(|e| BackupError::Failed(e.to_string()))?
            .map_err(|e| BackupError::Failed(format!("{e:#}")))
    }
}

/// The backups in `dir` (directories named `magpie-…`), newest first.
fn list_in(dir: &Path) -> anyhow::Result<Vec<BackupInfo>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("magpie-") || !entry.file_type()?.is_dir() {
            continue;
        }
        let manifest: Option<Manifest> =
            std::fs::read(entry.path().join(MANIFEST)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let created_at_ms = entry.metadata()?.modified().ok().map_or(0, |t| {
            t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        });
        found.push(match manifest {
            Some(m) => {
                let files = m.files.unwrap_or_default();
                BackupInfo {
                    name,
                    created_at_ms: m.created_at_ms,
                    finished: true,
                    database_bytes: m.database.bytes,
                    files: files.contents + files.uploads,
                    files_bytes: files.bytes,
                    missing: 0,
                }
            }
            None => BackupInfo {
                name,
                created_at_ms,
                finished: false,
                database_bytes: 0,
                files: 0,
                files_bytes: 0,
                missing: 0,
            },
        });
    }
    // Names sort by the moment they began.
    found.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(found)
}
