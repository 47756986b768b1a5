//! Backups from the console: a server administrator starts a backup of the running embedded
//! deployment and lists those made. The copying is the binary's (see [`BackupMaker`]); the core
//! decides who may, and records each in the audit log.

use std::sync::Arc;

use async_trait::async_trait;

use crate::audit::Change;
use crate::model::Actor;
use crate::{Deps, Error, Result};

/// A backup in the backups directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// Its directory's name (the moment it began, in UTC).
    pub name: String,
    pub created_at_ms: i64,
    /// `false` for a backup that broke off (it has no description and will not restore).
    pub finished: bool,
    /// The database's bytes and the files copied (contents, unfinished uploads, their bytes);
    /// zero for an unfinished backup, and files zero where the deployment keeps them in a
    /// bucket.
    pub database_bytes: u64,
    pub files: u64,
    pub files_bytes: u64,
    /// Contents the database named that the data directory no longer had when copied.
    pub missing: u64,
}

/// What makes and lists backups: the binary's, on the data directory.
#[async_trait]
pub trait BackupMaker: Send + Sync + 'static {
    /// Makes a new backup now (one at a time: `Err(Busy)` while another runs) and describes it.
    async fn make(&self) -> std::result::Result<BackupInfo, BackupError>;
    /// The backups made, newest first.
    async fn list(&self) -> std::result::Result<Vec<BackupInfo>, BackupError>;
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("a backup is being made")]
    Busy,
    /// This deployment cannot be backed up from here (cluster mode: PostgreSQL and a bucket).
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Failed(String),
}

/// Backups, for server administrators.
#[derive(Clone)]
pub struct Backups {
    deps: Arc<Deps>,
}

impl Backups {
    pub(crate) fn new(deps: Arc<Deps>) -> Backups {
        Backups { deps }
    }

    fn maker(&self, actor: Actor<'_>) -> Result<&Arc<dyn BackupMaker>> {
        if !actor.is_server_admin() {
            return Err(Error::Forbidden);
        }
        self.deps.backups.get().ok_or(Error::Unavailable("backups are not made by this process"))
    }

    /// Makes a backup now. The copy goes on, and is recorded, if the caller goes away.
    pub async fn make(&self, actor: Actor<'_>) -> Result<BackupInfo> {
        let maker = self.maker(actor)?.clone();
        let deps = self.deps.clone();
        let who = match actor {
            Actor::Operator => None,
            Actor::Account(p) => Some(p.clone()),
        };
        tokio::spawn(async move {
            let made = maker.make().await.map_err(backup_error)?;
            let change = Change::new("backup.create", None, made.name.clone()).after(serde_json::json!({
                "database_bytes": made.database_bytes,
                "files": made.files,
                "files_bytes": made.files_bytes,
                "missing": made.missing,
            }));
            deps.audit(who.as_ref().map_or(Actor::Operator, Actor::Account), change).await;
            Ok(made)
        })
        .await
        .map_err(|e| Error::Internal(format!("the backup task ended: {e}")))?
    }

    /// The backups made, newest first.
    pub async fn list(&self, actor: Actor<'_>) -> Result<Vec<BackupInfo>> {
        self.maker(actor)?.list().await.map_err(backup_error)
    }
}

fn backup_error(e: BackupError) -> Error {
    match e {
        BackupError::Busy => Error::Conflict("a backup is being made; try again when it is done".to_owned()),
        BackupError::Unsupported(why) => Error::invalid("backup", why),
        BackupError::Failed(why) => Error::Internal(why),
    }
}
