//! `magpie admin …`: domain and account management straight on the data directory. It runs
//! the same core services as the server, as the all-powerful operator. Revocations it makes
//! reach a running server through the store's revocation log.

use std::io::Read;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use magpie_core::Core;
use magpie_core::chat::{Entry, LoggedEvent};
use magpie_core::model::{Account, AccountId, Actor, Domain, RegistrationMode, RevokeReason, Role, SessionId};
use magpie_core::ports::{LiveConnections, SystemClock};
use magpie_core::presence::Signal;

use crate::config::Config;
use crate::serve::{Backends, Process, open_backends};

/// Accounts listed per page by `user list`.
const LIST_PAGE_LEN: usize = 100;
/// How often `search reindex` prints its progress.
const REINDEX_PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Domains (tenants).
    Domain {
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The message search index of this node (under the data directory).
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Copy this embedded deployment (the data directory's SQLite database) into a new,
    /// empty PostgreSQL database for cluster mode, and check the copy table by table. Stop
    /// the server first. Files stay in the data directory, which the nodes then share.
    Migrate {
        /// The target database, e.g. postgres://magpie:secret@db.internal/magpie.
        #[arg(long)]
        to: String,
        /// The cluster's bucket, as the `blobs` setting names it (s3://…; its key from
        /// MAGPIE_S3_ACCESS_KEY_ID and MAGPIE_S3_SECRET_ACCESS_KEY): every file is copied into
        /// it. Without it, the files stay in the data directory for the nodes to share.
        #[arg(long)]
        blobs: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Delete this node's search index and build it again from the whole log, printing
    /// progress. Stop this node's server first (it holds the index); in a cluster, run it on
    /// each node whose index should be rebuilt.
    Reindex,
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain.
    Add { name: String },
    /// List domains.
    List,
    /// Change a domain's settings.
    Set {
        name: String,
        /// Whether anyone may register an account: open or closed.
        #[arg(long, value_parser = ["open", "closed"])]
        registration: Option<String>,
        /// Whether direct messages need friendship (the default, false, lets any member of
        /// the domain message any other).
        #[arg(long)]
        direct_requires_friendship: Option<bool>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        /// Login name, or name@domain.
        name: String,
        /// Domain of the account (default: the configured default domain).
        #[arg(long)]
        domain: Option<String>,
        /// Make the account an administrator of its domain.
        #[arg(long)]
        admin: bool,
        /// Make the account a server administrator (all domains).
        #[arg(long, conflicts_with = "admin")]
        server_admin: bool,
        /// Display name (free Unicode); defaults to the login name.
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input: its first line, without the line ending.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List the accounts of a domain.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Disable an account: it cannot log in and its live connections close.
    Disable {
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Enable a disabled account.
    Enable {
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
}

/// The CLI holds no connections; a running server learns of revocations from the store.
struct NoConnections;

impl LiveConnections for NoConnections {
    fn close_sessions(&self, _: &[SessionId], _: RevokeReason) {}
    fn profile_updated(&self, _: &Account) {}
    fn deliver_entry(&self, _: &[AccountId], _: &Entry) {}
    fn deliver_event(&self, _: &LoggedEvent) {}
    fn signal(&self, _: &[AccountId], _: &Signal) {}
}

fn print_domain(d: &Domain) {
    println!(
        "{}\tregistration={}\tdirect_requires_friendship={}",
        d.name,
        d.registration.as_str(),
        d.direct_requires_friendship
    );
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    if let AdminCommand::Migrate { to, blobs } = &command {
        let report = crate::migrate::run(&config, to, blobs.as_deref()).await?;
        let rows: u64 = report.tables.iter().map(|(_, d)| d.rows).sum();
        for (table, digest) in &report.tables {
            println!("{}\t{} rows\tidentical", table.name, digest.rows);
        }
        if let Some((files, bytes)) = report.files {
            println!("files\t{files} copied into the bucket ({bytes} bytes)\tidentical");
        }
        println!("migrated {rows} rows in {} tables; every table checked", report.tables.len());
        return Ok(());
    }
    // Nothing in this process follows the log: the wakes go nowhere, and the server reads what
    // the CLI commits from the store's tail.
    let Backends { bus, stores, blobs, .. } = open_backends(&config, Process::Cli).await?;
    if let AdminCommand::Search { command: SearchCommand::Reindex } = &command {
        return reindex(&config, &stores).await;
    }
    let core = Core::new(config.core_settings(), stores, blobs, bus, Arc::new(SystemClock), Arc::new(NoConnections))
        .with_name_matcher(Arc::new(crate::name_matcher::PinyinMatcher));
    // The default domain exists from the first use of the data directory, server or CLI.
    core.accounts.ensure_domain(&config.domain).await?;
    let addr = |name: &str, domain: &Option<String>| -> String {
        if name.contains('@') {
            name.to_owned()
        } else {
            format!("{name}@{}", domain.as_deref().unwrap_or(&config.domain))
        }
    };
    let op = Actor::Operator;
    match command {
        AdminCommand::Domain { command } => match command {
            DomainCommand::Add { name } => {
                let d = core.accounts.create_domain(op, &name).await?;
                println!("added domain {}", d.name);
            }
            DomainCommand::List => {
                for d in core.accounts.domains(op).await? {
                    print_domain(&d);
                }
            }
            DomainCommand::Set { name, registration, direct_requires_friendship } => {
                let mut d = core.accounts.domain(&name).await?;
                if let Some(mode) = registration.as_deref().and_then(RegistrationMode::parse) {
                    d = core.accounts.set_registration(op, &name, mode).await?;
                }
                if let Some(on) = direct_requires_friendship {
                    d = core.accounts.set_direct_requires_friendship(op, &name, on).await?;
                }
                print_domain(&d);
            }
        },
        // Handled before anything was opened, or before the core was built.
        AdminCommand::Migrate { .. } | AdminCommand::Search { .. } => {}
        AdminCommand::User { command } => match command {
            UserCommand::Add { name, domain, admin, server_admin, display_name, password_stdin: _ } => {
                let password = read_password()?;
                let role = match (admin, server_admin) {
                    (_, true) => Role::ServerAdmin,
                    (true, false) => Role::DomainAdmin,
                    (false, false) => Role::Member,
                };
                let a = core
                    .accounts
                    .create_account(op, &addr(&name, &domain), &password, display_name.as_deref(), role)
                    .await?;
                println!("created {} ({})", a.addr, a.role.as_str());
            }
            UserCommand::List { domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                let mut after: Option<String> = None;
                loop {
                    let page = core.accounts.list(op, &domain, after.as_deref(), LIST_PAGE_LEN).await?;
                    for a in &page {
                        let state = if a.disabled { "disabled" } else { "active" };
                        println!("{}\t{}\t{}\t{}", a.addr, a.role.as_str(), state, a.profile.display_name);
                    }
                    match page.last() {
                        Some(last) if page.len() == LIST_PAGE_LEN => after = Some(last.addr.name.to_string()),
                        _ => break,
                    }
                }
            }
            UserCommand::Disable { name, domain } => {
                let a = core.accounts.set_disabled(op, &addr(&name, &domain), true).await?;
                println!("disabled {}", a.addr);
            }
            UserCommand::Enable { name, domain } => {
                let a = core.accounts.set_disabled(op, &addr(&name, &domain), false).await?;
                println!("enabled {}", a.addr);
            }
        },
    }
    Ok(())
}

/// `admin search reindex`: deletes the index and follows the log from its start into a new
/// one, a commit per page of the tail, printing progress on standard error.
async fn reindex(config: &Config, stores: &magpie_core::ports::Stores) -> anyhow::Result<()> {
    let dir = config.search_index_dir();
    if dir.exists() {
        // Taking the writer first fails while a server holds it, before anything is deleted.
        let held = crate::search_index::TantivyIndex::open(&dir)
            .with_context(|| format!("cannot take the search index in {} (stop the server first)", dir.display()))?;
        drop(held);
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot delete {}", dir.display()))?;
    }
    let index = crate::search_index::TantivyIndex::open(&dir)
        .with_context(|| format!("cannot create the search index in {}", dir.display()))?;
    let started = std::time::Instant::now();
    let mut printed = std::time::Instant::now();
    let items = magpie_core::search::reindex(stores, Arc::new(index), |items, cursor, head| {
        if printed.elapsed() >= REINDEX_PROGRESS_INTERVAL {
            printed = std::time::Instant::now();
            let left = head.distance_from(cursor);
            eprintln!("indexed {items} log items; {left} to go");
        }
    })
    .await?;
    println!("reindexed {items} log items into {} in {:.1} s", dir.display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The password from standard input: the first line, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().take(64 * 1024).read_to_string(&mut input).context("cannot read the password from stdin")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (try: echo 'secret' | magpie admin user add …)");
    }
    Ok(password)
}
