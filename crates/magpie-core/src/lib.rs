//! Magpie's core: the domain rules, the services that apply them, and the port traits through
//! which the core reaches storage, time and live connections.
//!
//! The core knows no HTTP, no JSON wire types and no SQL. Transports call the services here;
//! adapters implement the traits in [`ports`].

pub mod accounts;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod bots;
pub mod cards;
pub mod chat;
pub mod commands;
pub mod console;
pub mod contacts;
pub mod content;
pub mod conversations;
pub mod digest;
pub mod directory;
pub mod dump;
mod error;
pub mod export;
mod fanout;
pub mod files;
pub mod follow;
pub mod images;
pub mod inbox;
pub mod ldap;
pub mod ledger;
pub mod limiter;
pub mod mail;
pub mod marks;
pub mod messages;
pub mod model;
pub mod moderation;
pub mod names;
pub mod notice;
pub mod notify;
pub mod org;
pub mod orgchat;
mod password;
pub mod ports;
pub mod presence;
pub mod previews;
pub mod push;
pub mod retention;
pub mod saved;
pub mod scheduled;
pub mod search;
mod settings;
pub mod stickers;
pub mod threads;
pub mod wallets;
pub mod webhooks;

pub use error::{Error, Result, StoreError, Unit};
pub use limiter::WindowLimiter;
pub use password::Passwords;
pub use settings::{Settings, derive_key};

use std::sync::Arc;

use ports::{BlobStore, Bus, Clock, LinkFetcher, LiveConnections, Stores};

/// Everything a transport needs: the services, built once at start-up and shared.
#[derive(Clone)]
pub struct Core {
    pub accounts: accounts::Accounts,
    pub apps: apps::Apps,
    pub audit: audit::Audit,
    pub backups: backups::Backups,
    pub bots: bots::Bots,
    pub cards: cards::Cards,
    pub commands: commands::Commands,
    pub exports: export::Exports,
    pub console: console::Console,
    pub auth: auth::Auth,
    pub contacts: contacts::Contacts,
    pub files: files::Files,
    pub conversations: conversations::Conversations,
    pub directory: directory::Directory,
    pub org: org::Org,
    pub ldap: ldap::Ldap,
    pub mail: mail::Mail,
    pub notifications: notify::Notifications,
    pub inbox: inbox::Inbox,
    pub digests: digest::Digests,
    pub push: push::Push,
    pub messages: messages::Messages,
    pub moderation: moderation::Moderation,
    pub presence: presence::Presence,
    pub previews: previews::LinkPreviews,
    pub retention: retention::Retention,
    pub saved: saved::Saved,
    pub scheduled: scheduled::Scheduled,
    pub search: search::Search,
    pub stickers: stickers::Stickers,
    pub threads: threads::Threads,
    pub wallets: wallets::Wallets,
    pub webhooks: webhooks::Webhooks,
    pub settings: Arc<Settings>,
    /// The rate limits' counts (shared by a cluster's nodes): also the transport's request
    /// limits.
    pub counters: Arc<dyn ports::Counters>,
    /// The clock every service reads; transports read it too, so that one fake drives all.
    pub clock: Arc<dyn Clock>,
    /// The followers of the log this core runs, for `/metrics`.
    pub followers: Vec<Arc<follow::FollowerStatus>>,
}

impl Core {
    /// Resolves once every follower of the log this core runs listens: from then on, nothing
    /// that commits escapes live delivery. The server waits for it before it listens.
    pub async fn followers_started(&self) {
        for follower in &self.followers {
            follower.started().await;
        }
    }

    /// Builds the services and starts the fan-out on the current tokio runtime (none without
    /// one: the admin CLI's core only writes).
    pub fn new(
        settings: Settings,
        stores: Stores,
        blobs: Arc<dyn BlobStore>,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        live: Arc<dyn LiveConnections>,
    ) -> Core {
        let settings = Arc::new(settings);
        let passwords = Passwords::new(&settings);
        let deps = Arc::new(Deps {
            settings: settings.clone(),
            blobs,
            bus: bus.clone(),
            clock: clock.clone(),
            passwords,
            live: live.clone(),
            names: std::sync::OnceLock::new(),
            directory: std::sync::OnceLock::new(),
            mailer: std::sync::OnceLock::new(),
            push: std::sync::OnceLock::new(),
            audit: stores.audit.clone(),
            operator: std::sync::OnceLock::new(),
            backups: std::sync::OnceLock::new(),
            archives: std::sync::OnceLock::new(),
            webhooks: std::sync::OnceLock::new(),
        });
        let s = &stores;
        let mail = mail::Mail::new(deps.clone(), s);
        let accounts = accounts::Accounts::new(deps.clone(), s, mail.clone());
        let contacts = contacts::Contacts::new(deps.clone(), s, accounts.clone());
        let conversations = conversations::Conversations::new(deps.clone(), s, accounts.clone(), contacts.clone());
        let chats = orgchat::OrgChats::new(deps.clone(), s, accounts.clone(), conversations.clone());
        let ldap = ldap::Ldap::new(deps.clone(), s, accounts.clone(), chats.clone());
        let inbox = inbox::Inbox::new(deps.clone(), s);
        let auth = auth::Auth::new(deps.clone(), s, accounts.clone(), ldap.clone(), mail.clone(), inbox.clone());
        let bots = bots::Bots::new(deps.clone(), s, accounts.clone(), auth.clone());
        let webhooks = webhooks::Webhooks::new(deps.clone(), s, bots.clone());
        let notifications = notify::Notifications::new(deps.clone(), s);
        let push = push::Push::new(deps.clone(), s);
        let digests = digest::Digests::new(deps.clone(), s, mail.clone());
        let files = files::Files::new(deps.clone(), s);
        let moderation = moderation::Moderation::new(deps.clone(), s);
        let messages =
            messages::Messages::new(deps.clone(), s, conversations.clone(), files.clone(), moderation.clone());
        let cards = cards::Cards::new(deps.clone(), s, messages.clone());
        let commands = commands::Commands::new(deps.clone(), s, bots.clone(), messages.clone());
        let apps = apps::Apps::new(deps.clone(), s);
        let presence = presence::Presence::new(deps.clone(), s, accounts.clone(), conversations.clone());
        let stickers = stickers::Stickers::new(deps.clone(), s, files.clone());
        let previews = previews::LinkPreviews::new(deps.clone(), s, files.clone());
        let saved = saved::Saved::new(deps.clone(), s, conversations.clone());
        let threads = threads::Threads::new(deps.clone(), s, conversations.clone());
        let scheduled = scheduled::Scheduled::new(deps.clone(), s, messages.clone());
        let search = search::Search::new(deps.clone(), s);
        let directory = directory::Directory::new(deps.clone(), s);
        let org = org::Org::new(deps.clone(), s, directory.clone(), chats);
        let poll = std::time::Duration::from_millis(settings.log_poll_interval_ms);
        let followers = fanout::spawn(stores.log.clone(), bus, live, scheduled.clone(), poll).into_iter().collect();
        let audit = audit::Audit::new(deps.clone(), s);
        let backups = backups::Backups::new(deps.clone());
        let console = console::Console::new(s);
        let exports = export::Exports::new(deps.clone(), s);
        let retention = retention::Retention::new(deps.clone(), s);
        let wallets = wallets::Wallets::new(deps.clone(), s);
        Core {
            accounts,
            apps,
            audit,
            backups,
            bots,
            cards,
            commands,
            exports,
            console,
            auth,
            contacts,
            files,
            conversations,
            directory,
            org,
            ldap,
            mail,
            notifications,
            inbox,
            digests,
            push,
            messages,
            moderation,
            presence,
            previews,
            retention,
            saved,
            scheduled,
            search,
            stickers,
            threads,
            wallets,
            webhooks,
            settings,
            counters: stores.counters.clone(),
            clock,
            followers,
        }
    }
}

impl Core {
    /// Lets the core fetch link previews through `fetcher` (without one, previews are off).
    pub fn with_link_fetcher(mut self, fetcher: Arc<dyn LinkFetcher>) -> Core {
        self.previews = self.previews.with_fetcher(fetcher);
        self
    }

    /// Lets the core reach LDAP directories through `connector` (directory sync and login;
    /// without one, they answer `unavailable`). A second connector is ignored.
    pub fn with_directory_connector(self, connector: Arc<dyn ldap::DirectoryConnector>) -> Core {
        let _ = self.directory.deps().directory.set(connector);
        self
    }

    /// Lets the core send mail through `sender` (registration codes, password resets,
    /// application decisions); without one, what needs mail answers `unavailable`. A second
    /// sender is ignored. Start the outbox with [`mail::Mail::spawn_outbox`].
    pub fn with_mail_sender(self, sender: Arc<dyn mail::MailSender>) -> Core {
        let _ = self.directory.deps().mailer.set(sender);
        self
    }

    /// Lets the core write compliance exports' archives through `maker`; without it, exports
    /// fail with `unavailable`.
    pub fn with_archive_maker(self, maker: Arc<dyn export::ArchiveMaker>) -> Core {
        let _ = self.directory.deps().archives.set(maker);
        self
    }

    /// Lets server administrators make backups through `maker` (the embedded deployment's
    /// server). A second maker is ignored.
    pub fn with_backup_maker(self, maker: Arc<dyn backups::BackupMaker>) -> Core {
        let _ = self.directory.deps().backups.set(maker);
        self
    }

    /// Lets the core push through `channels` (Web Push, APNs, FCM, HTTP gateways); without
    /// them, registering for pushes answers `unavailable`. Second channels are ignored. Start
    /// the follower and the sender with [`push::Push::start`].
    pub fn with_push_channels(self, channels: push::PushChannels) -> Core {
        let _ = self.directory.deps().push.set(channels);
        self
    }

    /// Lets the core deliver outgoing webhooks through `sender`; without it, event
    /// subscriptions answer `unavailable`. A second sender is ignored.
    pub fn with_webhook_sender(self, sender: Arc<dyn webhooks::WebhookSender>) -> Core {
        let _ = self.directory.deps().webhooks.set(sender);
        self
    }

    /// Starts outgoing webhooks' follower and sender (see [`webhooks::Webhooks::start`]); the
    /// follower counts among the core's. Nothing without a sender.
    pub fn start_webhooks(&mut self) {
        if let Some(status) = self.webhooks.start() {
            self.followers.push(status);
        }
    }

    /// Starts the notification centre's follower (see [`inbox::Inbox::start`]); it counts
    /// among the core's.
    pub fn start_inbox(&mut self, poll: std::time::Duration) {
        let status = self.inbox.start(poll);
        self.followers.push(status);
    }

    /// Starts email digests (see [`digest::Digests::start`]): their follower counts among the
    /// core's. Nothing without a mail server.
    pub fn start_digests(&mut self, poll: std::time::Duration) {
        if let Some(status) = self.digests.start(poll) {
            self.followers.push(status);
        }
    }

    /// Lets the core find people and groups by name with `matcher`, and give accounts the
    /// keys it makes (from now on; [`directory::Directory::backfill`] gives them to those
    /// written before). A second matcher is ignored.
    pub fn with_name_matcher(self, matcher: Arc<dyn directory::NameMatcher>) -> Core {
        let _ = self.directory.deps().names.set(matcher);
        self
    }

    /// Lets the core search messages in `index`, and starts the indexer that follows the log
    /// into it (from the index's own cursor) on the current tokio runtime. Without it, search
    /// answers `unavailable`. The server calls it; the admin CLI does not.
    pub async fn with_search_index(mut self, index: Arc<dyn search::SearchIndex>) -> Result<Core> {
        let status = self.search.start(index).await?;
        self.followers.push(status);
        Ok(self)
    }
}

/// What every service reaches the world through, built once and shared.
pub(crate) struct Deps {
    pub(crate) settings: Arc<Settings>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) passwords: Passwords,
    pub(crate) live: Arc<dyn LiveConnections>,
    /// How names are found ([`Core::with_name_matcher`]); without it, people and group
    /// search are unavailable and accounts keep no name keys.
    pub(crate) names: std::sync::OnceLock<Arc<dyn directory::NameMatcher>>,
    /// How LDAP directories are reached ([`Core::with_directory_connector`]).
    pub(crate) directory: std::sync::OnceLock<Arc<dyn ldap::DirectoryConnector>>,
    /// How mail leaves ([`Core::with_mail_sender`]).
    pub(crate) mailer: std::sync::OnceLock<Arc<dyn mail::MailSender>>,
    /// The push services ([`Core::with_push_channels`]).
    pub(crate) push: std::sync::OnceLock<push::PushChannels>,
    /// Where administrative actions are recorded ([`Deps::audit`]).
    pub(crate) audit: Arc<dyn ports::AuditStore>,
    /// The operating-system user the command line runs as ([`audit::Audit::set_operator`]).
    pub(crate) operator: std::sync::OnceLock<String>,
    /// How exports' archives are written ([`Core::with_archive_maker`]); without it, none here.
    pub(crate) archives: std::sync::OnceLock<Arc<dyn export::ArchiveMaker>>,
    /// How outgoing webhooks are delivered ([`Core::with_webhook_sender`]).
    pub(crate) webhooks: std::sync::OnceLock<Arc<dyn webhooks::WebhookSender>>,
    /// How backups are made ([`Core::with_backup_maker`]); without it, none from here.
    pub(crate) backups: std::sync::OnceLock<Arc<dyn backups::BackupMaker>>,
}
