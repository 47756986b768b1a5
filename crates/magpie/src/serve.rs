//! `magpie serve`: open the store, build the core and the transports, run until a signal.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use magpie_blobs::LocalBlobs;
use magpie_blobs_s3::{S3Blobs, S3Config, S3Credentials};
use magpie_bus_redis::{RedisBusConfig, RedisCounters, RedisPresence, RedisPresenceConfig};
use magpie_core::Core;
use magpie_core::ports::{BlobStore, Bus, LocalBus, Stores, SystemClock};
use magpie_http::Dependency;
use magpie_http::logs::LogRing;
use magpie_http::{AppState, Registry};
use magpie_store_postgres::PgStore;
use magpie_store_sqlite::SqliteStore;
use magpie_wire::close_code;
use tracing_subscriber::EnvFilter;

use crate::config::{BusKind, Config, DatabaseKind, redact_url};

/// How often a node looks for directory syncs that are due.
const LDAP_SCHEDULE_CHECK_INTERVAL: Duration = Duration::from_secs(15);

/// Wakes a follower of the log may fall behind before it misses some (and reads the store
/// instead). Each holds one commit's items.
const BUS_WAKES_MAX: usize = 1024;
/// Reader connections in the SQLite pool.
const SQLITE_READERS: usize = 4;
/// How often the revocation log is polled for revocations made by other processes.
const REVOCATION_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often ended sessions are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// How often retention runs for the domains with a policy; the first run is a minute after
/// start, out of the way of the start itself.
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);
const RETENTION_FIRST_AFTER: Duration = Duration::from_secs(60);
/// How often compliance exports cut off by a stopped process are failed, and expired ones deleted.
const EXPORT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How long shutdown waits, after the HTTP server stopped, for WebSockets to send their
/// close frames (each connection bounds its own goodbye to 5 s).
const CLOSE_FRAMES_GRACE: Duration = Duration::from_secs(6);
/// Open files kept free of connections: the database and its WAL for each connection of the
/// pool, files being uploaded, read or thumbnailed, logs, the listener.
const OPEN_FILES_RESERVE: u64 = 256;
/// How long shutdown waits for connections to finish before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Logs to standard error as `log` and `log_format` say, and keeps the last lines at `info` and
/// above (events, not spans, so that a request costs nothing more) for the console, whatever
/// `log` says; both redacted.
pub fn init_logging(config: &Config) -> anyhow::Result<Arc<LogRing>> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = EnvFilter::try_new(&config.log).with_context(|| format!("invalid log filter {:?}", config.log))?;
    let stderr = tracing_subscriber::fmt::layer().with_writer(crate::redact::RedactingStderr);
    let stderr = match config.log_format.as_str() {
        "json" => stderr.json().boxed(),
        "text" => stderr.boxed(),
        other => anyhow::bail!("log_format must be \"text\" or \"json\", not {other:?}"),
    };
    let ring = Arc::new(LogRing::new());
    let console = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(crate::redact::RedactingInto(ring.clone()))
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.is_event() && *meta.level() <= tracing::Level::INFO
        }));
    tracing_subscriber::registry().with(stderr.with_filter(filter)).with(console).init();
    Ok(ring)
}

/// Opens the data directory's store, creating the directory if needed; it publishes its
/// commits on `bus`.
pub fn open_store(config: &Config, bus: Arc<dyn Bus>) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    Ok(SqliteStore::open(&config.database_path(), SQLITE_READERS, bus)?)
}

/// What a process of the deployment runs on, as configured: the bus, every store port, and
/// what `/readyz` asks about.
pub struct Backends {
    pub bus: Arc<dyn Bus>,
    pub stores: Stores,
    pub blobs: Arc<dyn BlobStore>,
    /// The key that signs file links and device keys: the database's in a cluster (every node
    /// the same), else the data directory's.
    pub server_key: [u8; 32],
    pub dependencies: Vec<Dependency>,
}

/// Which kind of process of the deployment this is (it decides how it uses the bus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// A server node: it follows the log and hears other nodes.
    Node,
    /// The admin CLI: it commits and leaves; nodes read what it wrote from the store.
    Cli,
}

/// Opens the configured database and bus (and, in cluster mode, the shared presence).
pub async fn open_backends(config: &Config, process: Process) -> anyhow::Result<Backends> {
    let mut dependencies = vec![];
    let bus: Arc<dyn Bus> = match (config.bus_kind()?, process) {
        (BusKind::Redis(url), Process::Node) => {
            let bus = magpie_bus_redis::RedisBus::connect(&RedisBusConfig::new(url, &config.bus_prefix))
                .await
                .with_context(|| format!("cannot reach the bus at {}", redact_url(url)))?;
            let bus = Arc::new(bus);
            let probe = bus.clone();
            dependencies.push(Dependency::new("bus", false, move || {
                let bus = probe.clone();
                Box::pin(async move { bus.healthy() })
            }));
            bus
        }
        (BusKind::Local, _) | (BusKind::Redis(_), Process::Cli) => Arc::new(LocalBus::new(BUS_WAKES_MAX)),
    };
    let (mut stores, server_key) = match config.database_kind()? {
        DatabaseKind::Sqlite => (Stores::all(Arc::new(open_store(config, bus.clone())?)), file_link_key(config)?),
        DatabaseKind::Postgres(url) => {
            let store = PgStore::open(url, config.database_pool_size, bus.clone())
                .await
                .with_context(|| format!("cannot open the database at {}", redact_url(url)))?;
            let store = Arc::new(store);
            let probe = store.clone();
            dependencies.push(Dependency::new("database", true, move || {
                let store = probe.clone();
                Box::pin(async move { store.ping().await.is_ok() })
            }));
            let mut fresh = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut fresh);
            let server_key = store.server_key(fresh).await.context("cannot read the server key")?;
            (Stores::all(store), server_key)
        }
    };
    let blobs: Arc<dyn BlobStore> = match config.blobs_bucket()? {
        None => Arc::new(open_blobs(config)?),
        Some(url) => {
            let credentials = S3Credentials::from_env()?;
            let s3 = S3Config::from_url(url, credentials).with_context(|| format!("blobs: {url}"))?;
            let blobs = Arc::new(S3Blobs::open(&s3).with_context(|| format!("cannot open the bucket {url}"))?);
            blobs.check().await.with_context(|| format!("cannot reach the bucket {url}"))?;
            let probe = blobs.clone();
            dependencies.push(Dependency::new("blobs", false, move || {
                let blobs = probe.clone();
                Box::pin(async move { blobs.check().await.is_ok() })
            }));
            blobs
        }
    };
    if let (BusKind::Redis(url), Process::Node) = (config.bus_kind()?, process) {
        let presence = RedisPresence::connect(&RedisPresenceConfig::new(url, &config.bus_prefix))
            .await
            .with_context(|| format!("cannot reach the bus at {}", redact_url(url)))?;
        stores.presence = Arc::new(presence);
        let counters = RedisCounters::connect(url, &config.bus_prefix)
            .await
            .with_context(|| format!("cannot reach the bus at {}", redact_url(url)))?;
        stores.counters = Arc::new(counters);
    }
    Ok(Backends { bus, stores, blobs, server_key, dependencies })
}

/// The key that signs file links, made at first start and kept in the data directory (readable
/// by its owner only), so that links outlive restarts.
pub fn file_link_key(config: &Config) -> anyhow::Result<[u8; 32]> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = config.data_dir.join("files");
    let path = dir.join("link.key");
    if let Ok(bytes) = std::fs::read(&path) {
        return bytes.try_into().map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()));
    }
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&key)?;
    file.sync_all()?;
    Ok(key)
}

/// The SMTP sender the configuration names, if any.
pub fn mail_sender(config: &Config) -> anyhow::Result<Option<Arc<dyn magpie_core::mail::MailSender>>> {
    let url = config.mail.smtp_url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let timeout = std::time::Duration::from_secs(config.mail.timeout_secs.max(1));
    let sender = magpie_mail::SmtpSender::new(url, &config.mail.from, timeout).map_err(anyhow::Error::msg)?;
    Ok(Some(Arc::new(sender)))
}

/// The sender of outgoing webhooks, unless the configuration turns them off.
fn webhook_sender(config: &Config) -> anyhow::Result<Option<Arc<dyn magpie_core::webhooks::WebhookSender>>> {
    let w = &config.webhooks;
    if !w.enabled {
        return Ok(None);
    }
    let ranges = w
        .private_ranges_allowed
        .iter()
        .map(|r| r.parse().map_err(|e: String| anyhow::anyhow!("webhooks.private_ranges_allowed: {e}")))
        .collect::<anyhow::Result<_>>()?;
    let resolver = Arc::new(magpie_fetch::CheckedResolver::new(ranges));
    let timeout = std::time::Duration::from_secs(w.timeout_secs.max(1));
    Ok(Some(Arc::new(crate::webhook_sender::HttpWebhookSender::new(resolver, timeout)?)))
}

/// The push services the configuration names: Web Push (with a VAPID key of its own or one
/// derived from the server key) and the HTTP push gateways.
pub fn push_channels(config: &Config, server_key: &[u8; 32]) -> anyhow::Result<magpie_core::push::PushChannels> {
    use magpie_core::push::{PushChannels, PushKind};
    let p = &config.push;
    let mut channels = PushChannels::default();
    if p.web_push {
        let key = if p.vapid_private_key.trim().is_empty() {
            magpie_push::vapid_key_from_secret(&magpie_core::derive_key(server_key, "magpie vapid v1"))
        } else {
            p.vapid_private_key.trim().to_owned()
        };
        let contact = if p.vapid_contact.trim().is_empty() {
            format!("mailto:postmaster@{}", config.domain)
        } else {
            p.vapid_contact.trim().to_owned()
        };
        let ranges = p
            .private_ranges_allowed
            .iter()
            .map(|r| r.parse().map_err(|e: String| anyhow::anyhow!("push.private_ranges_allowed: {e}")))
            .collect::<anyhow::Result<_>>()?;
        // Endpoints are URLs users hand in: reached, like link previews, only at public
        // addresses (and the ranges allowed).
        let resolver = Arc::new(magpie_fetch::CheckedResolver::new(ranges));
        let check = resolver.clone();
        let sender = magpie_push::WebPushSender::new(&key, &contact, resolver, move |ip| check.allows(ip))
            .map_err(|e| anyhow::anyhow!("push: {e}"))?;
        channels.vapid_public_key = Some(sender.public_key());
        channels.senders.insert(PushKind::WebPush, Arc::new(sender));
    }
    if !p.apns_key_file.is_empty() {
        let key_pem = std::fs::read_to_string(&p.apns_key_file)
            .with_context(|| format!("push.apns_key_file: cannot read {}", p.apns_key_file))?;
        let config = magpie_push::ApnsConfig {
            key_pem,
            key_id: p.apns_key_id.clone(),
            team_id: p.apns_team_id.clone(),
            topic: p.apns_topic.clone(),
            endpoint: p.apns_endpoint.clone(),
        };
        if config.key_id.is_empty() || config.team_id.is_empty() || config.topic.is_empty() {
            anyhow::bail!("push: APNs needs apns_key_id, apns_team_id and apns_topic with apns_key_file");
        }
        let sender = magpie_push::ApnsSender::new(config).map_err(|e| anyhow::anyhow!("push: {e}"))?;
        channels.senders.insert(PushKind::Apns, Arc::new(sender));
    }
    if !p.fcm_service_account_file.is_empty() {
        let json = std::fs::read_to_string(&p.fcm_service_account_file)
            .with_context(|| format!("push.fcm_service_account_file: cannot read {}", p.fcm_service_account_file))?;
        let account: magpie_push::ServiceAccount =
            serde_json::from_str(&json).context("push.fcm_service_account_file: not a service account key")?;
        let sender = magpie_push::FcmSender::new(account, &p.fcm_endpoint).map_err(|e| anyhow::anyhow!("push: {e}"))?;
        channels.senders.insert(PushKind::Fcm, Arc::new(sender));
    }
    if !p.gateways.is_empty() {
        let gateways = p
            .gateways
            .iter()
            .map(|g| magpie_push::Gateway::parse(g).map_err(|e| anyhow::anyhow!("push.gateways: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let sender = magpie_push::GatewaySender::new(gateways, Some(p.gateway_secret.clone()))
            .map_err(|e| anyhow::anyhow!("push: {e}"))?;
        channels.gateways = sender.names();
        channels.senders.insert(PushKind::Gateway, Arc::new(sender));
    }
    Ok(channels)
}

/// Opens the data directory's file store.
pub fn open_blobs(config: &Config) -> anyhow::Result<LocalBlobs> {
    let root = config.data_dir.join("files");
    LocalBlobs::open(&root).with_context(|| format!("cannot open the file store at {}", root.display()))
}

pub async fn serve(config: Config, logs: Arc<LogRing>) -> anyhow::Result<()> {
    let Backends { bus, stores, blobs, server_key, dependencies } = open_backends(&config, Process::Node).await?;
    let live = Arc::new(Registry::new());
    let mut settings = config.core_settings();
    settings.file_link_key = server_key;
    settings.device_key_secret = magpie_core::derive_key(&server_key, "magpie device keys v1");
    let fetcher = magpie_fetch::HttpFetcher::new(config.fetch_config()?)?;
    let mut core = Core::new(settings, stores, blobs, bus, Arc::new(SystemClock), live.clone())
        .with_link_fetcher(Arc::new(fetcher))
        .with_name_matcher(Arc::new(crate::name_matcher::PinyinMatcher))
        .with_directory_connector(Arc::new(magpie_ldap::LdapConnector::default()));
    if let Some(sender) = mail_sender(&config)? {
        core = core.with_mail_sender(sender);
    }
    core = core.with_push_channels(push_channels(&config, &server_key)?);
    core = core.with_backup_maker(Arc::new(crate::backup::ConsoleBackups::new(&config)));
    core = core.with_archive_maker(Arc::new(crate::archive::ZipArchives { dir: config.data_dir.clone() }));
    // Push follows the log from its saved cursor: started before the server listens, so that
    // nothing committed from now on escapes it; its follower counts among the core's, so that
    // `followers_started` waits for it.
    if let Some(status) = start_push(&core, std::time::Duration::from_millis(config.push.poll_interval_ms.max(10)))? {
        core.followers.push(status);
    }
    core.start_digests(std::time::Duration::from_millis(config.push.poll_interval_ms.max(10)));
    core.start_inbox(std::time::Duration::from_millis(config.push.poll_interval_ms.max(10)));
    if let Some(sender) = webhook_sender(&config)? {
        core = core.with_webhook_sender(sender);
        core.start_webhooks();
    }
    if config.search.enabled {
        let index_dir = config.search_index_dir();
        let index = crate::search_index::TantivyIndex::open(&index_dir)
            .with_context(|| format!("cannot open the search index in {}", index_dir.display()))?;
        core = core.with_search_index(Arc::new(index)).await?;
    }
    let domain = core.accounts.ensure_domain(&config.domain).await?;
    // Accounts written before name search existed (or by a process that stopped between a
    // profile change and its keys) get their name keys; until then they are found by login
    // and display name.
    let given = core.directory.backfill().await?;
    if given > 0 {
        tracing::info!(accounts = given, "gave accounts their name search keys");
    }
    core.followers_started().await;
    // TLS first: certificate files that do not load stop the start here, before anything
    // listens.
    let tls = crate::tls::setup(&config)?;
    let mut http = config.http_settings();
    fit_connections_to_open_files(&mut http);
    let mut state = AppState::new(core.clone(), live.clone(), http).with_dependencies(dependencies).with_log_ring(logs);
    if let Some(tls) = &tls {
        state = state.with_tls(tls.certificates.clone());
    }
    state.start_dashboard(Some(sizes_probe(&config)?));

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Read the revocation log's head now: a server that could not follow it would leave the
    // sockets of sessions revoked by the admin CLI open, so it does not start at all.
    let revocations_cursor = core.auth.revocations_head().await?;
    tokio::spawn(forward_revocations(core.clone(), revocations_cursor));
    // The first pruning pass runs before the server announces itself, so that what it
    // removes is gone for every request (each pass is bounded).
    prune(&core).await;
    // The only server on an embedded database: a retention run still recorded as running
    // stopped with the process before this one (a cluster's nodes wait for it to go stale).
    if matches!(config.database_kind()?, DatabaseKind::Sqlite) {
        match core.retention.cut_off_all().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(runs = n, "retention runs cut off by the last stop are failed"),
            Err(e) => tracing::warn!(error = %e, "cannot fail the retention runs cut off by the last stop"),
        }
    }
    tokio::spawn(prune_periodically(core.clone()));
    tokio::spawn(sweep_exports_periodically(core.clone()));
    tokio::spawn(retention_periodically(core.clone()));
    // Scheduled messages that fell due while no server ran are sent now; the rest at their time.
    core.scheduled.spawn_sender();
    // Scheduled directory syncs: each node looks for due ones; a claim in the store lets one
    // node sync a domain at a time.
    core.ldap.spawn_scheduler(LDAP_SCHEDULE_CHECK_INTERVAL);
    // The mail outbox: what this node queues goes out at once; retries, and mail other nodes
    // (or the admin CLI) queued, at the next look.
    core.mail.spawn_outbox(std::time::Duration::from_millis(config.mail.poll_interval_ms.max(10)));

    // Catch SIGTERM and SIGINT from now on: a signal that came between the line below and the
    // first poll of the server would otherwise kill the process without a shutdown.
    let stop = shutdown_signal()?;

    tracing::info!(%addr, data_dir = %config.data_dir.display(), default_domain = %domain.name, "magpie started");
    // One line on stdout for people and scripts (the test harness reads the port from it).
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("magpie listening on {scheme}://{addr}");
    // The certificate is kept current from now on: an ACME CA validates on this listener.
    let server_tls = tls.as_ref().map(|t| t.server_config.clone());
    if let Some(tls) = tls {
        tls.maintain()?;
    }
    state.set_ready(true);

    let shutdown_state = state.clone();
    let mut stopping = stop.clone();
    let shutdown = async move {
        let _ = stopping.wait_for(|s| *s).await;
        tracing::info!("shutting down");
        shutdown_state.set_ready(false);
        shutdown_state.live.close_all(close_code::GOING_AWAY, "server_shutdown");
    };
    // Serve until a signal; after it, open requests get a bounded time to finish.
    magpie_http::serve(listener, state.clone(), shutdown, server_tls, SHUTDOWN_GRACE).await?;
    // WebSockets outlive the HTTP server's own shutdown (upgraded connections are not
    // tracked by it): give them a moment more to send their close frames.
    if tokio::time::timeout(CLOSE_FRAMES_GRACE, state.live.emptied()).await.is_err() {
        tracing::warn!(connections = state.live.len(), "WebSockets still open after the grace period");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How much less CPU priority push's thread has than the rest of the server: the `nice`
/// increment, the largest (Linux weighs a thread at +19 at 15 against 1,024 at 0: while the
/// rest wants every core, push still gets about 1.5% of one, some 6,000 pushes a second).
const PUSH_NICE: i32 = 19;

/// Starts push's follower and sender (see [`magpie_core::push::Push::start`]) on a thread of
/// their own, with a runtime of its own, at a lower CPU priority than the rest of the server.
///
/// Telling away members of a message is worth less than taking the next message: a message to
/// a 10,000-member group with 9,000 members away asks push for some 25 ms of CPU (reading who
/// is told, deciding, reading their devices, handing 9,000 pushes to the services), several
/// times what taking and fanning out the message costs. At the same priority, a burst of such
/// messages on a busy two-core server took the send rate down to about a third
/// (BENCHMARKS.md, "Pushes to a 10,000-member group"); at the lowest the kernel runs push on
/// what the rest leaves (see [`PUSH_NICE`]), and at full speed when it leaves all. The store's
/// reads run on the calling thread, so push's reads yield too; its writes are the store's
/// background writes, which wait for a moment when no other write does (SQLite's writer; at
/// most 100 ms). Past `push.outbox_len_max` waiting pushes, a message's new ones are dropped and
/// counted. Where the kernel refuses the priority (not Linux, say) push runs at the same
/// priority, on its own thread.
fn start_push(
    core: &Core,
    poll: std::time::Duration,
) -> anyhow::Result<Option<Arc<magpie_core::follow::FollowerStatus>>> {
    let push = core.push.clone();
    let (started, status) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("magpie-push".into())
        .spawn(move || {
            if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), PUSH_NICE) {
                tracing::warn!(error = %e, "cannot lower push's CPU priority; it runs at the server's");
            }
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start push's runtime; no pushes");
                    let _ = started.send(None);
                    return;
                }
            };
            runtime.block_on(async move {
                let status = push.start(poll);
                let running = status.is_some();
                let _ = started.send(status);
                if running {
                    // The follower and the sender run until the process ends.
                    std::future::pending::<()>().await;
                }
            });
        })
        .context("cannot start push's thread")?;
    status.recv().context("push's thread ended before it started")
}

/// Raises the process's open-file limit to its hard limit and lowers the connection bounds to
/// fit under it, keeping [`OPEN_FILES_RESERVE`] descriptors for the database, files being read
/// and written, and the listener. A connection bound that the limit cannot hold would turn
/// into `accept` failures at the worst moment.
fn fit_connections_to_open_files(http: &mut magpie_http::HttpSettings) {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit; connection bounds stay as configured");
            return;
        }
    };
    let room = usize::try_from(limit.saturating_sub(OPEN_FILES_RESERVE)).unwrap_or(usize::MAX).max(1);
    if http.connections_max > room {
        http.connections_max = room;
        if room < http.ws_connections_max {
            tracing::warn!(
                open_files_max = limit,
                connections_max = room,
                "the open-file limit holds fewer connections than configured; raise it (ulimit -n) to serve more"
            );
            http.ws_connections_max = room;
        } else {
            tracing::info!(
                open_files_max = limit,
                connections_max = room,
                "connections bounded by the open-file limit"
            );
        }
    }
}

/// Tails the store's revocation log so that sessions revoked by another process (the admin
/// CLI, another node) lose their live connections here too.
async fn forward_revocations(core: Core, mut cursor: i64) {
    let mut tick = tokio::time::interval(REVOCATION_POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = core.auth.forward_revocations(&mut cursor).await {
            tracing::warn!(error = %e, "reading the revocation log failed; retrying");
        }
    }
}

/// Deletes ended sessions, old revocation log entries, expired uploads, files never shared
/// expired link previews, OAuth codes and app tokens. Failures are logged: the next pass tries again.
async fn prune(core: &Core) {
    match core.auth.prune().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned ended sessions"),
        Err(e) => tracing::warn!(error = %e, "pruning ended sessions failed"),
    }
    match core.files.prune().await {
        Ok((0, 0)) => {}
        Ok((uploads, blobs)) => tracing::info!(uploads, blobs, "pruned expired uploads and unshared files"),
        Err(e) => tracing::warn!(error = %e, "pruning files failed"),
    }
    match core.auth.prune_codes().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned expired mailed codes"),
        Err(e) => tracing::warn!(error = %e, "pruning mailed codes failed"),
    }
    match core.apps.prune().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned expired OAuth codes and app tokens"),
        Err(e) => tracing::warn!(error = %e, "pruning OAuth codes and app tokens failed"),
    }
    match core.previews.prune().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned expired link previews"),
        Err(e) => tracing::warn!(error = %e, "pruning link previews failed"),
    }
}

/// Fails compliance exports whose process stopped while making them, and deletes expired ones,
/// every minute from start.
async fn sweep_exports_periodically(core: Core) {
    let mut tick = tokio::time::interval(EXPORT_SWEEP_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match core.exports.sweep().await {
            Ok((0, 0)) => {}
            Ok((failed, expired)) => tracing::info!(failed, expired, "swept compliance exports"),
            Err(e) => tracing::warn!(error = %e, "sweeping compliance exports failed"),
        }
    }
}

/// Runs retention every hour: fails runs cut off by a stopped process, prunes what is due, and
/// removes the bytes of the files pruning deleted.
async fn retention_periodically(core: Core) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + RETENTION_FIRST_AFTER, RETENTION_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match core.retention.sweep().await {
            Ok((0, 0)) => {}
            Ok((failed, blobs)) => tracing::info!(failed, blobs, "swept retention runs and pruned files"),
            Err(e) => tracing::warn!(error = %e, "sweeping retention failed"),
        }
        match core.retention.run_due().await {
            Ok(runs) => {
                for run in runs {
                    tracing::info!(
                        run = run.id,
                        domain = run.domain.0,
                        state = run.state.as_str(),
                        conversations = run.conversations,
                        entries = run.entries,
                        files = run.files,
                        "retention ran"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "running retention failed"),
        }
    }
}

/// Prunes every hour; the first pass ran at start, before the server announced itself.
async fn prune_periodically(core: Core) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PRUNE_INTERVAL, PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        prune(&core).await;
    }
}

/// Installs the SIGTERM and SIGINT handlers now and returns a flag that turns true on the
/// first of them.
fn shutdown_signal() -> anyhow::Result<tokio::sync::watch::Receiver<bool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        let _ = tx.send(true);
    });
    Ok(rx)
}

/// What the console's dashboard shows of the storage: the SQLite database's bytes (with its
/// write-ahead log) and the stored files' in the data directory, where this deployment keeps
/// them there; nothing for PostgreSQL or a bucket, which have their own tools.
fn sizes_probe(config: &Config) -> anyhow::Result<magpie_http::SizesProbe> {
    let database = matches!(config.database_kind()?, DatabaseKind::Sqlite).then(|| config.database_path());
    let files = config.blobs_bucket()?.is_none().then(|| config.data_dir.join("files"));
    Ok(Arc::new(move || {
        let database_bytes = database.as_ref().map(|db| {
            let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
            let mut wal = db.clone().into_os_string();
            wal.push("-wal");
            size(db) + size(std::path::Path::new(&wal))
        });
        (database_bytes, files.as_deref().map(dir_bytes))
    }))
}

/// The bytes of the files under `dir`, however deep.
fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(_) => total += entry.metadata().map_or(0, |m| m.len()),
                Err(_) => {}
            }
        }
    }
    total
}
