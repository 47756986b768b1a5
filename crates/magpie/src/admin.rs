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
    /// Invitation codes, for domains whose registration is by invitation.
    Invite {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// Departments: each domain's organisation tree and the people in it. A department is
    /// named by its id or by its path of names from the top, e.g. "总部/研发部".
    Dept {
        #[command(subcommand)]
        command: DeptCommand,
    },
    /// A domain's LDAP / Active Directory source: its settings, a connection test, and syncs
    /// (creating, updating and disabling accounts, departments from OUs, groups, managers).
    Ldap {
        // Boxed: its `Set` is by far the largest command.
        #[command(subcommand)]
        command: Box<LdapCommand>,
    },
    /// The audit log: every administrative action, by whom, when, from where, and the changed
    /// fields before and after.
    Audit {
        #[command(subcommand)]
        command: crate::audit::AuditCommand,
    },
    /// Export an account's or a conversation's messages and files over a period, for
    /// compliance: a ZIP of JSON Lines, the files and a readable HTML page, written to OUT.
    /// Recorded in the audit log, as from the console.
    Export {
        /// Everything this account could read while a member: what it sent and received.
        #[arg(long, conflicts_with = "conversation", required_unless_present = "conversation")]
        account: Option<String>,
        /// Everything in this conversation (its id).
        #[arg(long)]
        conversation: Option<i64>,
        /// Only entries stored at or after this moment: an RFC 3339 time or a date (YYYY-MM-DD,
        /// from its start in UTC).
        #[arg(long, value_parser = crate::audit::parse_moment)]
        from: Option<i64>,
        /// Only entries stored before this moment (the same forms as --from).
        #[arg(long, value_parser = crate::audit::parse_moment)]
        until: Option<i64>,
        /// Where to write the ZIP; it must not exist yet.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Retention: how long a domain keeps its messages (and a conversation, apart from its
    /// domain), and runs that delete what is older, with the files only those messages used.
    /// The server runs it every hour; every run and change is in the audit log.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Bots: accounts of apps that act with tokens, their tokens and incoming webhooks.
    Bot {
        #[command(subcommand)]
        command: crate::bots::BotCommand,
    },
    /// The message search index of this node (under the data directory).
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Copy this embedded deployment into the new directory DEST while its server runs: the
    /// database as of one moment (SQLite's online backup), then the data directory's files.
    /// `magpie admin restore DEST` brings it back.
    Backup {
        /// A directory that does not exist yet, or is empty.
        dest: std::path::PathBuf,
    },
    /// Restore a backup made by `magpie admin backup` into this data directory, which must have
    /// no database: stop the server and move the old data directory aside first. The search
    /// index is built again from the restored log when the server starts.
    Restore {
        /// The backup's directory.
        src: std::path::PathBuf,
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
pub enum RetentionCommand {
    /// The domain's policy, the conversations with their own, and its latest runs.
    Show {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Keep the domain's messages for DAYS days (1 to 36500), or for ever.
    Set {
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, conflicts_with = "forever", required_unless_present = "forever")]
        days: Option<u32>,
        #[arg(long)]
        forever: bool,
    },
    /// Keep one conversation's messages for DAYS days (0: for ever), or as its domain.
    SetConversation {
        /// The conversation's id.
        id: i64,
        #[arg(long, conflicts_with = "as_domain", required_unless_present = "as_domain")]
        days: Option<u32>,
        #[arg(long)]
        as_domain: bool,
    },
    /// Run the domain's retention now and wait for it to end. With --before, every conversation
    /// of the domain loses its messages stored before that moment, whatever its policy.
    Run {
        #[arg(long)]
        domain: Option<String>,
        /// An RFC 3339 time or a date (YYYY-MM-DD, from its start in UTC), not in the future.
        #[arg(long, value_parser = crate::audit::parse_moment)]
        before: Option<i64>,
    },
}

// Parsed once per process from the command line: the size of `Set` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum LdapCommand {
    /// Set the domain's directory source (replacing the settings it had; the bind password is
    /// kept unless --bind-password-stdin gives a new one).
    Set {
        /// ldap://host:port or ldaps://host:port.
        #[arg(long)]
        url: String,
        /// Upgrade an ldap:// connection with StartTLS.
        #[arg(long)]
        starttls: bool,
        #[arg(long, default_value = "")]
        bind_dn: String,
        /// Read the bind password from standard input.
        #[arg(long)]
        bind_password_stdin: bool,
        /// A base DN to search under (repeat for more).
        #[arg(long = "base", required = true)]
        base_dns: Vec<String>,
        #[arg(long, default_value = "(objectClass=inetOrgPerson)")]
        people_filter: String,
        /// People matched by this filter too are disabled in Magpie.
        #[arg(long)]
        disabled_filter: Option<String>,
        /// The login name's attribute (uid; sAMAccountName for Active Directory).
        #[arg(long, default_value = "uid")]
        login_attribute: String,
        /// The display name's attribute (cn; displayName for Active Directory).
        #[arg(long, default_value = "cn")]
        display_name_attribute: String,
        /// An attribute naming the department (a path with /) instead of the OUs.
        #[arg(long)]
        department_attribute: Option<String>,
        /// Accounts from the directory log in with their directory password.
        #[arg(long)]
        login: bool,
        /// Seconds between scheduled syncs (0: only on demand; else at least 60).
        #[arg(long, default_value_t = 0)]
        sync_interval_secs: u64,
        /// Follow the directory's groups with Magpie groups.
        #[arg(long)]
        groups: bool,
        /// The groups' filter (with --groups; default: groupOfNames, groupOfUniqueNames,
        /// posixGroup and Active Directory's group).
        #[arg(long)]
        group_filter: Option<String>,
        /// A base DN to search groups under (repeat for more; default: the people's).
        #[arg(long = "group-base")]
        group_base_dns: Vec<String>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Show the domain's directory source (never its password) and its last sync's report.
    Show {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Forget the domain's directory source (its accounts stay).
    Rm {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Connect, bind and count the people the filter finds.
    Test {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Sync the domain with its directory now, and print what changed (JSON).
    Sync {
        /// Print what a sync would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Read only the entries changed since the last sync (deletions need a full sync).
        #[arg(long)]
        incremental: bool,
        #[arg(long)]
        domain: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeptCommand {
    /// List a domain's departments as a tree: id, path, people (in it / with those below it),
    /// manager.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Add a department.
    Add {
        /// Its name (1 to 64 characters, no /), unique among its siblings.
        name: String,
        /// The department it goes under (id or path); the top of the tree without it.
        #[arg(long)]
        parent: Option<String>,
        /// Where it sorts among its siblings (smaller first).
        #[arg(long, default_value_t = 0)]
        position: i64,
        /// Its manager: login name or name@domain.
        #[arg(long)]
        manager: Option<String>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Change a department: rename, move, reorder, set or clear its manager.
    Set {
        /// The department (id or path).
        department: String,
        #[arg(long)]
        name: Option<String>,
        /// The department to move it under (id or path), or "/" for the top of the tree.
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        position: Option<i64>,
        /// Its manager (login name or name@domain), or "-" to clear it.
        #[arg(long)]
        manager: Option<String>,
        /// Give it a chat that follows its people (true), or dissolve its chat (false).
        #[arg(long)]
        chat: Option<bool>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Delete a department with no departments under it; its people leave it.
    Rm {
        department: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Put a person in a department, or change their title there.
    Join {
        department: String,
        /// Login name or name@domain.
        account: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Take a person out of a department.
    Leave {
        department: String,
        account: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// List a department's people with their titles.
    Members {
        department: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Set a person's own manager (shown on their card), or clear it with "-". For a person
    /// from the directory, the next sync sets the directory's again.
    Manager {
        /// Login name or name@domain.
        account: String,
        /// The manager's login name or name@domain, or "-" to clear it.
        manager: String,
        #[arg(long)]
        domain: Option<String>,
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
        /// Who may register an account: closed (administrators make accounts), open (anyone),
        /// invitation (anyone with an invitation code) or approval (anyone may apply; an
        /// administrator approves).
        #[arg(long, value_parser = ["open", "closed", "invitation", "approval"])]
        registration: Option<String>,
        /// Whether direct messages need friendship (the default, false, lets any member of
        /// the domain message any other).
        #[arg(long)]
        direct_requires_friendship: Option<bool>,
        /// Whether members (not only administrators) may make invitation codes.
        #[arg(long)]
        members_invite: Option<bool>,
        /// Whether members (not only administrators) may make bots.
        #[arg(long)]
        members_make_bots: Option<bool>,
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
    /// Create many accounts from a CSV file, all or none: a header row naming the columns
    /// `account` (login name), and optionally `display_name`, `role` (member, domain_admin,
    /// server_admin) and `password` (made by the server and printed if empty). Every row is
    /// checked first; with any error nothing is made and each row's errors are printed.
    Import {
        /// The CSV file (UTF-8; "-" for standard input).
        file: std::path::PathBuf,
        #[arg(long)]
        domain: Option<String>,
        /// Only check the rows.
        #[arg(long)]
        dry_run: bool,
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
    /// Enable a disabled account (an applicant: approve it).
    Enable {
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// List the accounts waiting for approval.
    Pending {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Approve an applicant: its account opens.
    Approve {
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Decline an applicant: its account stays closed, and it is told so when it logs in.
    Reject {
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Make an invitation code (printed once) for a domain whose registration is by invitation.
    Add {
        /// How many registrations it lets in.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How many days it lives.
        #[arg(long, default_value_t = 7)]
        days: u64,
        /// Whom it is for (for the administrators).
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// List a domain's live invitations: id, uses, expiry, note.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Revoke an invitation by its id.
    Rm {
        id: i64,
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
    fn directory_changed(&self, _: magpie_core::model::DomainId) {}
}

fn print_backup(done: &str, report: &crate::backup::Report) {
    println!("database\t{} bytes\tschema {}\tchecked", report.database_bytes, report.schema_version);
    match report.files {
        Some(f) => println!("files\t{} contents, {} unfinished uploads\t{} bytes", f.contents, f.uploads, f.bytes),
        None => println!("files\tin the bucket (not copied: back it up with its own tools)"),
    }
    for sha256 in &report.missing {
        println!("missing\t{sha256}\tthe database names this content, which the data directory no longer had");
    }
    println!("{done}");
}

fn print_domain(d: &Domain) {
    println!(
        "{}\tregistration={}\tdirect_requires_friendship={}\tmembers_invite={}\tmembers_make_bots={}\temail_verification={}\temail_domains={}",
        d.name,
        d.registration.as_str(),
        d.direct_requires_friendship,
        d.members_invite,
        d.members_make_bots,
        d.email_verification,
        d.email_domains.join(",")
    );
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    match &command {
        AdminCommand::Backup { dest } => {
            let dest = dest.clone();
            let report = tokio::task::spawn_blocking(move || crate::backup::backup(&config, &dest)).await??;
            print_backup("backed up", &report);
            return Ok(());
        }
        AdminCommand::Restore { src } => {
            let src = src.clone();
            let report = tokio::task::spawn_blocking(move || crate::backup::restore(&config, &src)).await??;
            print_backup("restored", &report);
            return Ok(());
        }
        _ => {}
    }
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
    let mut core =
        Core::new(config.core_settings(), stores, blobs, bus, Arc::new(SystemClock), Arc::new(NoConnections))
            .with_name_matcher(Arc::new(crate::name_matcher::PinyinMatcher))
            .with_directory_connector(Arc::new(magpie_ldap::LdapConnector::default()))
            .with_archive_maker(Arc::new(crate::archive::ZipArchives { dir: config.data_dir.clone() }));
    // Mail the CLI queues (an application's decision) waits in the outbox for a server to send.
    if let Some(sender) = crate::serve::mail_sender(&config)? {
        core = core.with_mail_sender(sender);
    }
    core.audit.set_operator(&crate::audit::operator_name());
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
            DomainCommand::Set {
                name,
                registration,
                direct_requires_friendship,
                members_invite,
                members_make_bots,
            } => {
                let mut d = core.accounts.domain(&name).await?;
                if let Some(mode) = registration.as_deref().and_then(RegistrationMode::parse) {
                    d = core.accounts.set_registration(op, &name, mode).await?;
                }
                if let Some(on) = direct_requires_friendship {
                    d = core.accounts.set_direct_requires_friendship(op, &name, on).await?;
                }
                if let Some(on) = members_invite {
                    d = core.accounts.set_members_invite(op, &name, on).await?;
                }
                if let Some(on) = members_make_bots {
                    d = core.accounts.set_members_make_bots(op, &name, on).await?;
                }
                print_domain(&d);
            }
        },
        AdminCommand::Dept { command } => dept(&core, &config.domain, command).await?,
        AdminCommand::Ldap { command } => ldap(&core, &config.domain, *command).await?,
        AdminCommand::Audit { command } => crate::audit::run(&core, command).await?,
        AdminCommand::Retention { command } => retention(&core, &config.domain, command).await?,
        AdminCommand::Bot { command } => crate::bots::run(&core, &config.domain, command).await?,
        AdminCommand::Export { account, conversation, from, until, out } => {
            export(&core, account.map(|a| addr(&a, &None)), conversation, from, until, &out).await?;
        }
        // Handled before anything was opened, or before the core was built.
        AdminCommand::Migrate { .. }
        | AdminCommand::Search { .. }
        | AdminCommand::Backup { .. }
        | AdminCommand::Restore { .. } => {}
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
            UserCommand::Import { file, domain, dry_run } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                let rows = read_import_csv(&file)?;
                let report = core.accounts.import(op, &domain, &rows, dry_run).await?;
                for e in &report.errors {
                    // Line numbers as an editor shows them: the header is line 1.
                    println!("line {}\t{}\t{}", e.row + 2, e.field, e.message);
                }
                if !report.errors.is_empty() {
                    anyhow::bail!("{} error(s) in {} rows: no account was made", report.errors.len(), rows.len());
                }
                for c in &report.created {
                    println!(
                        "{}\t{}\t{}",
                        c.account.addr,
                        c.account.role.as_str(),
                        c.generated_password.as_deref().unwrap_or("-")
                    );
                }
                if dry_run {
                    println!("{} rows checked: no errors (nothing made: a dry run)", rows.len());
                } else {
                    eprintln!(
                        "created {} accounts (the third column: passwords made now, shown only once)",
                        report.created.len()
                    );
                }
            }
            UserCommand::List { domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                let mut after: Option<String> = None;
                loop {
                    let page = core.accounts.list(op, &domain, "", after.as_deref(), LIST_PAGE_LEN).await?;
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
                core.org.account_changed(&a).await?;
                println!("disabled {}", a.addr);
            }
            UserCommand::Enable { name, domain } => {
                let a = core.accounts.set_disabled(op, &addr(&name, &domain), false).await?;
                core.org.account_changed(&a).await?;
                println!("enabled {}", a.addr);
            }
            UserCommand::Pending { domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                for a in core.accounts.applications(op, &domain).await? {
                    println!(
                        "{}\t{}\tapplied_at_ms={}",
                        a.account.addr, a.account.profile.display_name, a.applied_at_ms
                    );
                }
            }
            UserCommand::Approve { name, domain } => {
                let a = core.accounts.decide_application(op, &addr(&name, &domain), true).await?;
                println!("approved {}", a.addr);
            }
            UserCommand::Reject { name, domain } => {
                let a = core.accounts.decide_application(op, &addr(&name, &domain), false).await?;
                println!("declined {}", a.addr);
            }
        },
        AdminCommand::Invite { command } => match command {
            InviteCommand::Add { uses, days, note, domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                let ttl_secs = days.saturating_mul(24 * 3600);
                let (invitation, code) =
                    core.accounts.create_invitation(op, &domain, uses, ttl_secs, note.as_deref()).await?;
                println!("{code}");
                eprintln!("invitation {} to {domain}: {uses} use(s), for {days} day(s)", invitation.id.0);
            }
            InviteCommand::List { domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                for i in core.accounts.invitations(op, &domain).await? {
                    let note = i.note.as_deref().unwrap_or("");
                    println!("{}\t{}/{}\texpires_at_ms={}\t{note}", i.id.0, i.uses, i.uses_max, i.expires_at_ms);
                }
            }
            InviteCommand::Rm { id, domain } => {
                let domain = domain.unwrap_or_else(|| config.domain.clone());
                core.accounts.revoke_invitation(op, &domain, magpie_core::model::InvitationId(id)).await?;
                println!("revoked invitation {id}");
            }
        },
    }
    Ok(())
}

/// `admin ldap …`.
async fn ldap(core: &Core, default_domain: &str, command: LdapCommand) -> anyhow::Result<()> {
    let op = Actor::Operator;
    let domain_of = |d: Option<String>| d.unwrap_or_else(|| default_domain.to_owned());
    let show = |s: &magpie_core::ldap::LdapSource| -> anyhow::Result<()> {
        // The password is never printed: only whether one is stored.
        let mut shown = s.clone();
        let set = !shown.bind_password.is_empty();
        shown.bind_password = if set { "(set)".into() } else { String::new() };
        println!("{}", serde_json::to_string_pretty(&shown)?);
        Ok(())
    };
    match command {
        LdapCommand::Set {
            url,
            starttls,
            bind_dn,
            bind_password_stdin,
            base_dns,
            people_filter,
            disabled_filter,
            login_attribute,
            display_name_attribute,
            department_attribute,
            login,
            sync_interval_secs,
            groups,
            group_filter,
            group_base_dns,
            domain,
        } => {
            let password = if bind_password_stdin { Some(read_password()?) } else { None };
            let attributes = magpie_core::ldap::AttributeMap {
                login: login_attribute,
                display_name: display_name_attribute,
                department: department_attribute,
                ..Default::default()
            };
            let source = magpie_core::ldap::LdapSource {
                url,
                starttls,
                bind_dn,
                bind_password: String::new(),
                base_dns,
                people_filter,
                disabled_filter,
                attributes,
                login_enabled: login,
                sync_interval_secs,
                groups: groups.then(|| {
                    let defaults = magpie_core::ldap::GroupMap::default();
                    magpie_core::ldap::GroupMap {
                        base_dns: group_base_dns,
                        filter: group_filter.unwrap_or(defaults.filter),
                        ..defaults
                    }
                }),
            };
            show(&core.ldap.set_source(op, &domain_of(domain), source, password).await?)?;
        }
        LdapCommand::Show { domain } => {
            // As `GET /v1/admin/domains/{domain}/ldap` answers: no password, the last sync.
            let domain = domain_of(domain);
            let mut shown = magpie_http::rest_ldap::source_to_wire(&core.ldap.source(op, &domain).await?);
            shown.last_sync =
                core.ldap.last_sync(op, &domain).await?.as_ref().map(magpie_http::rest_ldap::last_sync_to_wire);
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        LdapCommand::Rm { domain } => {
            let domain = domain_of(domain);
            core.ldap.delete_source(op, &domain).await?;
            println!("forgot the directory source of {domain}");
        }
        LdapCommand::Test { domain } => {
            let people = core.ldap.test(op, &domain_of(domain)).await?;
            println!("connected: {people} people found");
        }
        LdapCommand::Sync { dry_run, incremental, domain } => {
            let report = core.ldap.sync(op, &domain_of(domain), dry_run, incremental).await?;
            println!("{}", serde_json::to_string_pretty(&magpie_http::rest_ldap::report_to_wire(&report))?);
        }
    }
    Ok(())
}

/// `admin dept …`.
async fn dept(core: &Core, default_domain: &str, command: DeptCommand) -> anyhow::Result<()> {
    use magpie_core::org::DepartmentPatchRequest;
    let op = Actor::Operator;
    let domain_of = |d: &Option<String>| d.clone().unwrap_or_else(|| default_domain.to_owned());
    let addr = |name: &str, domain: &str| if name.contains('@') { name.to_owned() } else { format!("{name}@{domain}") };
    match command {
        DeptCommand::List { domain } => {
            let tree = core.org.admin_tree(op, &domain_of(&domain)).await?;
            for node in &tree {
                let d = &node.department;
                let manager = node.manager.as_ref().map(ToString::to_string).unwrap_or_default();
                println!(
                    "{}\t{}\t{}/{}\t{}",
                    d.id.0,
                    tree_path(&tree, d.id),
                    d.member_count,
                    node.total_count,
                    manager
                );
            }
        }
        DeptCommand::Add { name, parent, position, manager, domain } => {
            let domain = domain_of(&domain);
            let parent = match parent {
                Some(p) => Some(resolve_dept(core, &domain, &p).await?),
                None => None,
            };
            let manager = manager.map(|m| addr(&m, &domain));
            let d = core.org.create(op, &domain, &name, parent, position, manager.as_deref()).await?;
            println!("added department {} ({})", d.name, d.id.0);
        }
        DeptCommand::Set { department, name, parent, position, manager, chat, domain } => {
            let domain = domain_of(&domain);
            let id = resolve_dept(core, &domain, &department).await?;
            let parent = match parent.as_deref() {
                None => None,
                Some("/") => Some(None),
                Some(p) => Some(Some(resolve_dept(core, &domain, p).await?)),
            };
            let manager = match manager.as_deref() {
                None => None,
                Some("-") => Some(None),
                Some(m) => Some(Some(addr(m, &domain))),
            };
            let d = core.org.update(op, id, DepartmentPatchRequest { name, parent, position, manager, chat }).await?;
            println!("changed department {} ({})", d.name, d.id.0);
        }
        DeptCommand::Rm { department, domain } => {
            let id = resolve_dept(core, &domain_of(&domain), &department).await?;
            core.org.delete(op, id).await?;
            println!("deleted department {}", id.0);
        }
        DeptCommand::Join { department, account, title, domain } => {
            let domain = domain_of(&domain);
            let id = resolve_dept(core, &domain, &department).await?;
            core.org.set_member(op, id, &addr(&account, &domain), title.as_deref()).await?;
            println!("{} is in department {}", addr(&account, &domain), id.0);
        }
        DeptCommand::Leave { department, account, domain } => {
            let domain = domain_of(&domain);
            let id = resolve_dept(core, &domain, &department).await?;
            core.org.remove_member(op, id, &addr(&account, &domain)).await?;
            println!("{} left department {}", addr(&account, &domain), id.0);
        }
        DeptCommand::Manager { account, manager, domain } => {
            let domain = domain_of(&domain);
            let person = addr(&account, &domain);
            let manager = (manager != "-").then(|| addr(&manager, &domain));
            core.org.set_manager(op, &person, manager.as_deref()).await?;
            match manager {
                Some(m) => println!("{person} reports to {m}"),
                None => println!("{person} has no manager"),
            }
        }
        DeptCommand::Members { department, domain } => {
            let id = resolve_dept(core, &domain_of(&domain), &department).await?;
            let mut after: Option<String> = None;
            loop {
                let page = core.org.admin_members(op, id, after.as_deref(), LIST_PAGE_LEN).await?;
                for m in &page {
                    println!(
                        "{}\t{}\t{}",
                        m.account.addr,
                        m.account.profile.display_name,
                        m.title.as_deref().unwrap_or("")
                    );
                }
                match page.last() {
                    Some(last) if page.len() == LIST_PAGE_LEN => after = Some(last.account.addr.name.to_string()),
                    _ => break,
                }
            }
        }
    }
    Ok(())
}

/// A department's path of names, `总部/研发部/前端组`.
fn tree_path(tree: &[magpie_core::org::TreeNode], id: magpie_core::org::DepartmentId) -> String {
    let mut names = vec![];
    let mut at = Some(id);
    while let Some(id) = at
        && names.len() <= magpie_core::org::DEPTH_MAX
    {
        let Some(node) = tree.iter().find(|n| n.department.id == id) else { break };
        names.push(node.department.name.as_str());
        at = node.department.parent;
    }
    names.reverse();
    names.join("/")
}

/// A department named by its id or by its path of names in `domain`.
async fn resolve_dept(core: &Core, domain: &str, named: &str) -> anyhow::Result<magpie_core::org::DepartmentId> {
    let tree = core.org.admin_tree(Actor::Operator, domain).await?;
    if let Ok(id) = named.parse::<i64>()
        && let Some(node) = tree.iter().find(|n| n.department.id.0 == id)
    {
        return Ok(node.department.id);
    }
    let wanted = named.trim_matches('/');
    tree.iter()
        .find(|n| tree_path(&tree, n.department.id) == wanted)
        .map(|n| n.department.id)
        .ok_or_else(|| anyhow::anyhow!("no department {named:?} in {domain}"))
}

/// `admin search reindex`: deletes the index and follows the log from its start into a new
/// one, committing every [`magpie_core::search::REINDEX_COMMIT_WRITES`] writes, printing
/// progress on standard error.
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
/// The rows of an account import's CSV file, by its header's column names.
fn read_import_csv(path: &std::path::Path) -> anyhow::Result<Vec<magpie_core::accounts::ImportRow>> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?)
    };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let headers = reader.headers().context("reading the header row")?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let account = column("account").context("the header row names no `account` column")?;
    let (display, role, password) = (column("display_name"), column("role"), column("password"));
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("reading line {}", i + 2))?;
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|v| !v.is_empty()).map(str::to_owned);
        let role =
            match field(role) {
                Some(r) => Some(Role::parse(&r).with_context(|| {
                    format!("line {}: role {r:?} is not member, domain_admin or server_admin", i + 2)
                })?),
                None => None,
            };
        rows.push(magpie_core::accounts::ImportRow {
            account: record.get(account).unwrap_or_default().to_owned(),
            display_name: field(display),
            role,
            password: field(password),
        });
    }
    Ok(rows)
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().take(64 * 1024).read_to_string(&mut input).context("cannot read the password from stdin")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (try: echo 'secret' | magpie admin user add …)");
    }
    Ok(password)
}

/// `magpie admin export`: makes the export here, then copies its archive to `out`.
async fn retention(core: &Core, default_domain: &str, command: RetentionCommand) -> anyhow::Result<()> {
    let op = Actor::Operator;
    let r = &core.retention;
    let domain = |d: Option<String>| d.unwrap_or_else(|| default_domain.to_owned());
    match command {
        RetentionCommand::Show { domain: d } => {
            let o = r.overview(op, &domain(d)).await?;
            match o.days {
                Some(days) => println!("{}: messages are kept {days} days", o.domain),
                None => println!("{}: messages are kept for ever", o.domain),
            }
            for c in &o.conversations {
                let name = c.name.as_deref().unwrap_or("-");
                let days = if c.days == 0 { "for ever".to_owned() } else { format!("{} days", c.days) };
                println!("conversation {}\t{}\t{}\t{days}", c.conversation.0, c.kind.as_str(), name);
            }
            for run in &o.runs {
                print_run(run);
            }
        }
        RetentionCommand::Set { domain: d, days, forever: _ } => {
            let d = domain(d);
            r.set_domain_days(op, &d, days).await?;
            match days {
                Some(days) => println!("{d}: messages are kept {days} days"),
                None => println!("{d}: messages are kept for ever"),
            }
        }
        RetentionCommand::SetConversation { id, days, as_domain: _ } => {
            r.set_conversation_days(op, magpie_core::model::ConversationId(id), days).await?;
            match days {
                Some(0) => println!("conversation {id}: messages are kept for ever"),
                Some(days) => println!("conversation {id}: messages are kept {days} days"),
                None => println!("conversation {id}: messages are kept as its domain says"),
            }
        }
        RetentionCommand::Run { domain: d, before } => {
            let run = r.run_now(op, &domain(d), before).await?;
            print_run(&run);
            if let Some(error) = &run.error {
                anyhow::bail!("retention run {} failed: {error}", run.id);
            }
        }
    }
    Ok(())
}

fn print_run(run: &magpie_core::retention::RetentionRun) {
    println!(
        "run {}\t{}\tby {}\t{} conversations\t{} entries\t{} files",
        run.id,
        run.state.as_str(),
        run.started_by,
        run.conversations,
        run.entries,
        run.files
    );
}

async fn export(
    core: &Core,
    account: Option<String>,
    conversation: Option<i64>,
    from_ms: Option<i64>,
    until_ms: Option<i64>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .await
        .with_context(|| format!("cannot create {}", out.display()))?;
    let req = magpie_core::export::ExportRequest {
        account,
        conversation: conversation.map(magpie_core::model::ConversationId),
        from_ms,
        until_ms,
    };
    let job = core.exports.export_now(Actor::Operator, req).await?;
    if let Some(error) = &job.error {
        drop(file);
        let _ = tokio::fs::remove_file(out).await;
        anyhow::bail!("export {} failed: {error}", job.id);
    }
    let mut archive = core.exports.archive(Actor::Operator, job.id).await?;
    tokio::io::copy(&mut archive.bytes, &mut file).await.context("writing the archive")?;
    file.sync_all().await.context("writing the archive")?;
    println!(
        "export {}: {} conversations, {} entries, {} files, {} bytes in {}",
        job.id,
        job.conversations_total,
        job.messages,
        job.files,
        job.bytes,
        out.display()
    );
    Ok(())
}
