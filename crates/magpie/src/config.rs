//! The one typed configuration. Layers, weakest first: defaults < TOML file (`--config`) <
//! environment (`MAGPIE_*`) < command-line flags. Every field's doc comment is its
//! documentation; `config.example.toml` is generated from them (`magpie config example`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use confique::Config as _;

#[derive(Debug, confique::Config)]
pub struct Config {
    /// Directory holding all of Magpie's state: the SQLite database and, later, files and the
    /// search index. Created if missing.
    #[config(default = "./magpie-data", env = "MAGPIE_DATA_DIR")]
    pub data_dir: PathBuf,

    /// Address and port the HTTP and WebSocket server listens on. Use port 0 for any free
    /// port (the chosen one is printed at start).
    #[config(default = "127.0.0.1:8080", env = "MAGPIE_LISTEN")]
    pub listen: SocketAddr,

    /// The domain created at first start; accounts are name@domain.
    #[config(default = "localhost", env = "MAGPIE_DOMAIN")]
    pub domain: String,

    /// Where the data lives: "sqlite" (the embedded default, a file in the data directory) or
    /// a PostgreSQL URL such as "postgres://magpie:secret@db.internal/magpie" for cluster
    /// mode, where every node of the deployment names the same database. The schema is
    /// created and migrated at start, once however many nodes start together.
    #[config(default = "sqlite", env = "MAGPIE_DATABASE")]
    pub database: String,

    /// Connections each node keeps to PostgreSQL (ignored for SQLite).
    #[config(default = 16, env = "MAGPIE_DATABASE_POOL_SIZE")]
    pub database_pool_size: usize,

    /// How the parts of the deployment wake each other: "local" (one process, the default)
    /// or a Redis URL such as "redis://redis.internal:6379" for cluster mode, which also
    /// shares presence. A node that loses Redis keeps serving; its live delivery resumes when
    /// Redis is back (until then its followers read the database once a second).
    #[config(default = "local", env = "MAGPIE_BUS")]
    pub bus: String,

    /// Where file bytes live: "local" (the default, `files/` in the data directory) or an
    /// S3-compatible bucket for cluster mode, as
    /// "s3://BUCKET[/PREFIX]?endpoint=https://s3.internal:3900&region=garage" (leave out
    /// `endpoint` for AWS S3 itself), with its key in the environment: MAGPIE_S3_ACCESS_KEY_ID
    /// and MAGPIE_S3_SECRET_ACCESS_KEY. Every node of a cluster names the same bucket.
    #[config(default = "local", env = "MAGPIE_BLOBS")]
    pub blobs: String,

    /// The deployment's name on a shared Redis: nodes with the same name form one cluster.
    /// Letters, digits, '_', '.' and '-'.
    #[config(default = "magpie", env = "MAGPIE_BUS_PREFIX")]
    pub bus_prefix: String,

    /// Log filter in tracing's EnvFilter syntax, e.g. "info" or "magpie_http=debug,info".
    #[config(default = "info", env = "MAGPIE_LOG")]
    pub log: String,

    /// Log format: "text" for people, "json" for log collectors.
    #[config(default = "text", env = "MAGPIE_LOG_FORMAT")]
    pub log_format: String,

    #[config(nested)]
    pub auth: AuthConfig,

    #[config(nested)]
    pub limits: LimitsConfig,

    #[config(nested)]
    pub messaging: MessagingConfig,

    #[config(nested)]
    pub files: FilesConfig,

    #[config(nested)]
    pub link_previews: LinkPreviewsConfig,

    #[config(nested)]
    pub scheduled: ScheduledConfig,

    #[config(nested)]
    pub search: SearchConfig,

    #[config(nested)]
    pub mail: MailConfig,

    #[config(nested)]
    pub push: PushConfig,

    #[config(nested)]
    pub webhooks: WebhooksConfig,

    #[config(nested)]
    pub backups: BackupsConfig,

    #[config(nested)]
    pub tls: TlsConfig,
}

/// TLS on Magpie's own listener (HTTPS and WSS, HTTP/2 by ALPN), from certificate files or
/// from an ACME certificate authority. Leave all of it empty to serve plain HTTP, behind a
/// reverse proxy that terminates TLS.
#[derive(Debug, confique::Config)]
pub struct TlsConfig {
    /// The certificate chain, PEM, leaf first. With `key`, the server speaks only TLS. The
    /// files are read again whenever they change (a renewal by certbot, say), and on SIGHUP;
    /// a pair that does not load keeps the previous one in service, with a warning.
    #[config(default = "", env = "MAGPIE_TLS_CERT")]
    pub cert: PathBuf,

    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[config(default = "", env = "MAGPIE_TLS_KEY")]
    pub key: PathBuf,

    /// Send `Strict-Transport-Security: max-age=N` with every answer, so that browsers come
    /// back only over HTTPS for N seconds (a year is 31536000). 0 sends none. Only once TLS
    /// works for good: browsers remember it.
    #[config(default = 0, env = "MAGPIE_TLS_HSTS_MAX_AGE_SECS")]
    pub hsts_max_age_secs: u64,

    /// DNS names to obtain a certificate for by ACME (RFC 8555), comma-separated, instead of
    /// `cert` and `key`. The CA validates by TLS-ALPN-01 (RFC 8737) on this listener, so it
    /// must reach these names on port 443 at `listen`.
    #[config(default = "", env = "MAGPIE_TLS_ACME_DOMAINS")]
    pub acme_domains: String,

    /// The ACME directory: Let's Encrypt by default; a company's own ACME CA (step-ca, say)
    /// here.
    #[config(default = "https://acme-v02.api.letsencrypt.org/directory", env = "MAGPIE_TLS_ACME_DIRECTORY")]
    pub acme_directory: String,

    /// A PEM root certificate to trust for the ACME directory's own HTTPS, for a private CA;
    /// empty for the usual web roots.
    #[config(default = "", env = "MAGPIE_TLS_ACME_DIRECTORY_CA")]
    pub acme_directory_ca: PathBuf,

    /// An address the CA may write to about the certificates ("admin@example.com"); empty for
    /// none.
    #[config(default = "", env = "MAGPIE_TLS_ACME_CONTACT")]
    pub acme_contact: String,

    /// Renew an ACME certificate this many days before it expires.
    #[config(default = 30, env = "MAGPIE_TLS_ACME_RENEW_BEFORE_DAYS")]
    pub acme_renew_before_days: u64,
}

impl TlsConfig {
    /// The names to obtain by ACME, trimmed, without empty entries.
    pub fn acme_names(&self) -> Vec<String> {
        self.acme_domains.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_ascii_lowercase).collect()
    }

    /// Whether the server terminates TLS itself.
    pub fn enabled(&self) -> bool {
        !self.cert.as_os_str().is_empty() || !self.key.as_os_str().is_empty() || !self.acme_names().is_empty()
    }
}

/// Backups made from the web console (Administration → Backups) by server administrators, of
/// the embedded deployment. `magpie admin backup DEST` makes one anywhere, whatever these say.
#[derive(Debug, confique::Config)]
pub struct BackupsConfig {
    /// Where the console's backups go, each in a directory of its own; empty for `backups/`
    /// in the data directory. Better on another disk: a backup on the disk it copies does not
    /// survive that disk.
    #[config(default = "", env = "MAGPIE_BACKUPS_DIR")]
    pub dir: PathBuf,

    /// Finished backups kept in that directory: the oldest beyond this many are deleted once a
    /// new one is finished.
    #[config(default = 7, env = "MAGPIE_BACKUPS_KEEP")]
    pub keep: usize,
}

/// Outgoing mail: registration and password-reset codes and application decisions go out
/// through the company's SMTP server. Mail waits in an outbox in the database until the server
/// takes it, so a mail-server outage neither loses mail nor holds requests.
#[derive(Debug, confique::Config)]
pub struct MailConfig {
    /// The SMTP server, as "smtp://relay.internal:25" (plain), "smtp://mail.example.com:587?tls=required"
    /// (STARTTLS) or "smtps://user:password@mail.example.com:465" (TLS). Empty: this server
    /// sends no mail, and email verification and password resets are off.
    #[config(default = "", env = "MAGPIE_MAIL_SMTP_URL")]
    pub smtp_url: String,

    /// The sender of every mail, as "Name <address>".
    #[config(default = "Magpie <noreply@localhost>", env = "MAGPIE_MAIL_FROM")]
    pub from: String,

    /// Seconds one exchange with the SMTP server may take before the attempt counts as failed.
    #[config(default = 30, env = "MAGPIE_MAIL_TIMEOUT_SECS")]
    pub timeout_secs: u64,

    /// Mails the outbox holds while the SMTP server is away; past this, requests that must
    /// mail are refused with unavailable (503) rather than dropping mail.
    #[config(default = 10000, env = "MAGPIE_MAIL_OUTBOX_LEN_MAX")]
    pub outbox_len_max: usize,

    /// Attempts to send one mail before it is given up (and logged as an error).
    #[config(default = 12, env = "MAGPIE_MAIL_ATTEMPTS_MAX")]
    pub attempts_max: u32,

    /// Seconds to wait after a mail's first failed attempt; the wait doubles with each failure.
    #[config(default = 5, env = "MAGPIE_MAIL_RETRY_INITIAL_SECS")]
    pub retry_initial_secs: u64,

    /// The longest wait between two attempts at one mail, in seconds.
    #[config(default = 3600, env = "MAGPIE_MAIL_RETRY_MAX_SECS")]
    pub retry_max_secs: u64,

    /// How often a node looks for due mail (retries, and mail other nodes queued), in
    /// milliseconds. Mail this node queues goes out at once.
    #[config(default = 1000, env = "MAGPIE_MAIL_POLL_INTERVAL_MS")]
    pub poll_interval_ms: u64,

    /// The least an account may choose to be away before its email digest (unread direct
    /// messages and mentions) is mailed, in minutes; 15 at most.
    #[config(default = 15, env = "MAGPIE_MAIL_DIGEST_AFTER_MINS_MIN")]
    pub digest_after_mins_min: u32,

    /// How often a node looks for email digests that fell due, in milliseconds.
    #[config(default = 60000, env = "MAGPIE_MAIL_DIGEST_POLL_MS")]
    pub digest_poll_ms: u64,

    /// Messages one account's next digest holds at most; later ones wait for the one after.
    #[config(default = 200, env = "MAGPIE_MAIL_DIGEST_ITEMS_MAX")]
    pub digest_items_max: usize,

    /// Seconds a mailed code (registration, password reset) stays good.
    #[config(default = 600, env = "MAGPIE_MAIL_CODE_TTL_SECS")]
    pub code_ttl_secs: u64,

    /// Wrong tries of one code before it is dead (a new one must be asked for).
    #[config(default = 5, env = "MAGPIE_MAIL_CODE_ATTEMPTS_MAX")]
    pub code_attempts_max: u32,

    /// Codes mailed to one address (or for one account's password reset) in a rolling hour.
    #[config(default = 5, env = "MAGPIE_MAIL_CODES_PER_ADDRESS_PER_HOUR_MAX")]
    pub codes_per_address_per_hour_max: u32,

    /// Codes asked for from one client IP in a rolling hour.
    #[config(default = 20, env = "MAGPIE_MAIL_CODES_PER_IP_PER_HOUR_MAX")]
    pub codes_per_ip_per_hour_max: u32,

    /// Seconds between two codes to one address.
    #[config(default = 60, env = "MAGPIE_MAIL_CODE_RESEND_SECS")]
    pub code_resend_secs: u64,
}

/// Outgoing webhooks: the events bots' apps subscribe to, POSTed to their URLs, signed, from a
/// durable queue in the database (docs/apps.md).
#[derive(Debug, confique::Config)]
pub struct WebhooksConfig {
    /// Whether apps may subscribe to events at all.
    #[config(default = true, env = "MAGPIE_WEBHOOKS_ENABLED")]
    pub enabled: bool,

    /// Seconds one request to an app may take, connecting included; past it, it failed. Events
    /// a node claimed are held for twice this and 5 s more: if the node dies mid-request, they
    /// go again after that.
    #[config(default = 10, env = "MAGPIE_WEBHOOKS_TIMEOUT_SECS")]
    pub timeout_secs: u64,

    /// Requests to one subscription that may fail in a row before it is disabled (and its
    /// bot's owner and the domain's administrators are told).
    #[config(default = 100, env = "MAGPIE_WEBHOOKS_FAILURES_MAX")]
    pub failures_max: u32,

    /// Milliseconds to wait after a request's first failure; the wait doubles with each
    /// failure in a row.
    #[config(default = 1000, env = "MAGPIE_WEBHOOKS_RETRY_INITIAL_MS")]
    pub retry_initial_ms: u64,

    /// The longest wait between two attempts at one batch of events, in milliseconds.
    #[config(default = 600000, env = "MAGPIE_WEBHOOKS_RETRY_MAX_MS")]
    pub retry_max_ms: u64,

    /// How often the sender looks for events that fell due, in milliseconds (it looks at once
    /// when there are new ones).
    #[config(default = 1000, env = "MAGPIE_WEBHOOKS_POLL_MS")]
    pub poll_ms: u64,

    /// For tests and intranets only: address ranges that are not public where apps may
    /// listen ("10.20.0.0/16", "127.0.0.1"). Empty by default: requests go only to public
    /// addresses, so that a subscription cannot reach into the server's own network.
    #[config(default = [], env = "MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED", parse_env = confique::env::parse::list_by_comma)]
    pub private_ranges_allowed: Vec<String>,
}

/// Push: telling devices whose sockets are closed of the messages that concern them (each
/// account's notification preferences decide which), through Web Push to browsers and through
/// APNs, FCM or an HTTP push gateway to phones. Pushes wait in an outbox in the database, so a
/// push service's outage loses none.
#[derive(Debug, confique::Config)]
pub struct PushConfig {
    /// Whether browsers may subscribe to Web Push (VAPID, RFC 8291).
    #[config(default = true, env = "MAGPIE_PUSH_WEB_PUSH")]
    pub web_push: bool,

    /// The VAPID private key (a P-256 scalar, base64url) that signs Web Push requests. Empty:
    /// one derived from the server key, the same on every node of a cluster and across
    /// restarts. Browsers subscribed under one key must subscribe again after it changes.
    #[config(default = "", env = "MAGPIE_PUSH_VAPID_PRIVATE_KEY")]
    pub vapid_private_key: String,

    /// Who runs this server, for push services to contact ("mailto:ops@example.com"). Empty:
    /// postmaster of the default domain.
    #[config(default = "", env = "MAGPIE_PUSH_VAPID_CONTACT")]
    pub vapid_contact: String,

    /// For tests and intranets only: address ranges that are not public where Web Push
    /// endpoints may be all the same ("10.20.0.0/16", "127.0.0.1"). Empty by default: the
    /// server pushes only to public addresses, as browsers' push services are.
    #[config(default = [], env = "MAGPIE_PUSH_PRIVATE_RANGES_ALLOWED", parse_env = confique::env::parse::list_by_comma)]
    pub private_ranges_allowed: Vec<String>,

    /// HTTP push gateways, as "name=url" ("huawei=https://push-gw.internal/huawei"): devices
    /// register with a gateway's name, and Magpie POSTs their pushes there (docs/protocol.md,
    /// "Push gateways").
    #[config(default = [], env = "MAGPIE_PUSH_GATEWAYS", parse_env = confique::env::parse::list_by_comma)]
    pub gateways: Vec<String>,

    /// Sent to the gateways as "Authorization: Bearer <secret>" when set.
    #[config(default = "", env = "MAGPIE_PUSH_GATEWAY_SECRET")]
    pub gateway_secret: String,

    /// APNs: the path of the team's `.p8` signing key. Empty: no APNs.
    #[config(default = "", env = "MAGPIE_PUSH_APNS_KEY_FILE")]
    pub apns_key_file: String,

    /// APNs: the key's id (ten characters, from Apple's developer account).
    #[config(default = "", env = "MAGPIE_PUSH_APNS_KEY_ID")]
    pub apns_key_id: String,

    /// APNs: the team id the key belongs to.
    #[config(default = "", env = "MAGPIE_PUSH_APNS_TEAM_ID")]
    pub apns_team_id: String,

    /// APNs: the iOS app's bundle id.
    #[config(default = "", env = "MAGPIE_PUSH_APNS_TOPIC")]
    pub apns_topic: String,

    /// APNs: Apple's endpoint ("https://api.sandbox.push.apple.com" for development builds).
    #[config(default = "https://api.push.apple.com", env = "MAGPIE_PUSH_APNS_ENDPOINT")]
    pub apns_endpoint: String,

    /// FCM: the path of the Firebase project's service account key (JSON). Empty: no FCM.
    #[config(default = "", env = "MAGPIE_PUSH_FCM_SERVICE_ACCOUNT_FILE")]
    pub fcm_service_account_file: String,

    /// FCM: Google's endpoint.
    #[config(default = "https://fcm.googleapis.com", env = "MAGPIE_PUSH_FCM_ENDPOINT")]
    pub fcm_endpoint: String,

    /// Devices one account may register for pushes.
    #[config(default = 20, env = "MAGPIE_PUSH_TARGETS_PER_ACCOUNT_MAX")]
    pub targets_per_account_max: usize,

    /// Pushes the outbox holds while the push services are away; past this, new pushes are
    /// dropped (and counted in /metrics).
    #[config(default = 1000000, env = "MAGPIE_PUSH_OUTBOX_LEN_MAX")]
    pub outbox_len_max: usize,

    /// Attempts at one push before it is given up.
    #[config(default = 8, env = "MAGPIE_PUSH_ATTEMPTS_MAX")]
    pub attempts_max: u32,

    /// Seconds to wait after a push's first failed attempt; the wait doubles with each failure.
    #[config(default = 2, env = "MAGPIE_PUSH_RETRY_INITIAL_SECS")]
    pub retry_initial_secs: u64,

    /// The longest wait between two attempts at one push, in seconds.
    #[config(default = 600, env = "MAGPIE_PUSH_RETRY_MAX_SECS")]
    pub retry_max_secs: u64,

    /// Seconds a node holds the pushes it claimed while it sends them; past this another node
    /// (or this one after a restart) sends what it did not finish.
    #[config(default = 60, env = "MAGPIE_PUSH_CLAIM_SECS")]
    pub claim_secs: u64,

    /// Seconds a push done, and a failure, are kept: a message handled again within this is
    /// not pushed again, and the admin's view lists the failures.
    #[config(default = 172800, env = "MAGPIE_PUSH_KEEP_SECS")]
    pub keep_secs: u64,

    /// How often a node looks for due pushes (retries, and what other nodes queued), in
    /// milliseconds. What this node queues goes out at once.
    #[config(default = 1000, env = "MAGPIE_PUSH_POLL_INTERVAL_MS")]
    pub poll_interval_ms: u64,
}

/// Message search: each node keeps its own index of the log (derived data, rebuilt from the
/// log when missing) and answers searches from it.
#[derive(Debug, confique::Config)]
pub struct SearchConfig {
    /// Whether this node indexes the log and answers searches. A node with search off
    /// answers every search with unavailable, and keeps no index.
    #[config(default = true, env = "MAGPIE_SEARCH_ENABLED")]
    pub enabled: bool,

    /// Where this node keeps its search index; empty for `search/` in the data directory.
    /// Nodes of a cluster that share a data directory must each name a directory of their own.
    #[config(default = "", env = "MAGPIE_SEARCH_INDEX_DIR")]
    pub index_dir: PathBuf,

    /// Searches one account may make per rolling minute; more are refused with rate_limited.
    #[config(default = 120, env = "MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX")]
    pub queries_per_account_per_min_max: u32,

    /// People and group searches (by name, as someone types) one account may make per
    /// rolling minute; more are refused with rate_limited.
    #[config(default = 600, env = "MAGPIE_SEARCH_NAME_QUERIES_PER_ACCOUNT_PER_MIN_MAX")]
    pub name_queries_per_account_per_min_max: u32,
}

/// Scheduled messages: people write a message now and the server sends it, as them, at a time
/// they choose; waiting messages are kept in the database and survive restarts.
#[derive(Debug, confique::Config)]
pub struct ScheduledConfig {
    /// Scheduled messages one account may hold at once, waiting or failed; one more is refused
    /// with limit_exceeded.
    #[config(default = 100, env = "MAGPIE_SCHEDULED_PER_ACCOUNT_MAX")]
    pub per_account_max: usize,

    /// How far ahead a message may be scheduled, in seconds (default 366 days).
    #[config(default = 31622400, env = "MAGPIE_SCHEDULED_AHEAD_SECS_MAX")]
    pub ahead_secs_max: u64,

    /// How far in the past a scheduled time may lie, in seconds (a client's clock a little
    /// behind the server's); such a message is sent at once. Earlier times are refused.
    #[config(default = 60, env = "MAGPIE_SCHEDULED_PAST_GRACE_SECS")]
    pub past_grace_secs: u64,

    /// Seconds a node holds a due message while it sends it. A node that dies meanwhile leaves
    /// it to another node (or to itself, restarted) after this long; the send is idempotent, so
    /// a message is never sent twice.
    #[config(default = 60, env = "MAGPIE_SCHEDULED_CLAIM_SECS")]
    pub claim_secs: u64,
}

/// Link previews: the server fetches the pages that messages link to (only from public
/// addresses, with bounded redirects, size and time, no cookies or credentials) and shares
/// what they say of themselves with every account, cached by URL.
#[derive(Debug, confique::Config)]
pub struct LinkPreviewsConfig {
    /// Whether the server makes link previews at all. Off, `GET /v1/link-preview` answers
    /// `forbidden` and the server fetches nothing.
    #[config(default = true, env = "MAGPIE_LINK_PREVIEWS")]
    pub enabled: bool,

    /// Seconds a preview is kept and shared before the page is fetched again.
    #[config(default = 86400, env = "MAGPIE_LINK_PREVIEW_TTL_SECS")]
    pub ttl_secs: u64,

    /// Seconds a link that gave no preview is left alone before it is tried again.
    #[config(default = 600, env = "MAGPIE_LINK_PREVIEW_FAILURE_TTL_SECS")]
    pub failure_ttl_secs: u64,

    /// Previews one account may have fetched (not found in the cache) per rolling minute.
    #[config(default = 30, env = "MAGPIE_LINK_PREVIEW_FETCHES_PER_ACCOUNT_PER_MIN_MAX")]
    pub fetches_per_account_per_min_max: u32,

    /// Previews one node fetches at once; more are refused with `unavailable`.
    #[config(default = 16, env = "MAGPIE_LINK_PREVIEW_FETCHES_AT_ONCE_MAX")]
    pub fetches_at_once_max: usize,

    /// Seconds one fetch may take in all: resolving, connecting, redirects and the body.
    #[config(default = 10, env = "MAGPIE_LINK_PREVIEW_FETCH_TIMEOUT_SECS")]
    pub fetch_timeout_secs: u64,

    /// Redirects followed per fetch, each checked like the first URL.
    #[config(default = 5, env = "MAGPIE_LINK_PREVIEW_REDIRECTS_MAX")]
    pub redirects_max: usize,

    /// Bytes of a page read for its title and tags; the rest is not read.
    #[config(default = 524288, env = "MAGPIE_LINK_PREVIEW_PAGE_BYTES_MAX")]
    pub page_bytes_max: u64,

    /// Largest image fetched for a preview's thumbnail, in bytes; a larger one is left out.
    #[config(default = 5242880, env = "MAGPIE_LINK_PREVIEW_IMAGE_BYTES_MAX")]
    pub image_bytes_max: u64,

    /// Ports a link may name (80 and 443 are those of http and https).
    #[config(default = [80, 443], env = "MAGPIE_LINK_PREVIEW_PORTS_ALLOWED", parse_env = confique::env::parse::list_by_comma)]
    pub ports_allowed: Vec<u16>,

    /// If not empty, only these hosts (and their subdomains) are previewed.
    #[config(default = [], env = "MAGPIE_LINK_PREVIEW_HOSTS_ALLOWED", parse_env = confique::env::parse::list_by_comma)]
    pub hosts_allowed: Vec<String>,

    /// Hosts (and their subdomains) never previewed.
    #[config(default = [], env = "MAGPIE_LINK_PREVIEW_HOSTS_DENIED", parse_env = confique::env::parse::list_by_comma)]
    pub hosts_denied: Vec<String>,

    /// For tests and intranets only: address ranges that are not public but may be fetched
    /// all the same, in CIDR form ("10.20.0.0/16", "127.0.0.1"). Empty by default: the server
    /// fetches only public addresses. Anyone who can send a link can then make the server
    /// fetch from these ranges.
    #[config(default = [], env = "MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED", parse_env = confique::env::parse::list_by_comma)]
    pub private_ranges_allowed: Vec<String>,
}

/// Passwords, sessions and login throttling.
#[derive(Debug, confique::Config)]
pub struct AuthConfig {
    /// How long a session lives after login, in seconds (default 30 days).
    #[config(default = 2592000, env = "MAGPIE_SESSION_TTL_SECS")]
    pub session_ttl_secs: u64,

    /// Sessions one account may hold at once; logging in past this revokes the oldest.
    #[config(default = 100, env = "MAGPIE_SESSIONS_PER_ACCOUNT_MAX")]
    pub sessions_per_account_max: usize,

    /// Password hashes computed at the same time; each holds argon2_memory_kib of memory.
    #[config(default = 2, env = "MAGPIE_PASSWORD_HASH_CONCURRENCY_MAX")]
    pub password_hash_concurrency_max: usize,

    /// Password hashes waiting for their turn; past this, logins are refused with
    /// unavailable (503) at once rather than queueing without bound.
    #[config(default = 64, env = "MAGPIE_PASSWORD_HASH_QUEUE_LEN_MAX")]
    pub password_hash_queue_len_max: usize,

    /// Argon2id memory cost in KiB (OWASP recommends 19456 with 2 iterations).
    #[config(default = 19456, env = "MAGPIE_ARGON2_MEMORY_KIB")]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations.
    #[config(default = 2, env = "MAGPIE_ARGON2_ITERATIONS")]
    pub argon2_iterations: u32,

    /// Shortest new password, in characters. NIST SP 800-63B asks for at least 15 where a
    /// password is the only factor, and at least 8 otherwise.
    #[config(default = 12, env = "MAGPIE_PASSWORD_CHARS_MIN")]
    pub password_chars_min: usize,

    /// Least strength of a new password as zxcvbn scores it (0 to 4): 2 refuses common
    /// passwords, dictionary words, keyboard patterns, repeats and sequences, and the
    /// account's own name. 0 turns the check off.
    #[config(default = 2, env = "MAGPIE_PASSWORD_SCORE_MIN")]
    pub password_score_min: u8,

    /// Longest password accepted, in bytes; longer ones are refused before hashing.
    #[config(default = 1024, env = "MAGPIE_PASSWORD_BYTES_MAX")]
    pub password_bytes_max: usize,

    /// Failed logins of one account from one client IP in a rolling hour, after which that IP
    /// may not log in to that account (rate_limited) until the window rolls on.
    #[config(default = 10, env = "MAGPIE_LOGIN_FAILURES_PER_ACCOUNT_PER_IP_PER_HOUR_MAX")]
    pub login_failures_per_account_per_ip_per_hour_max: u32,

    /// Failed logins of one account from places it was never seen in, in a rolling hour,
    /// after which logins from such places are slowed to one per login_slow_interval_secs.
    /// Its own devices and the addresses of its sessions are not slowed: an attack on an
    /// account does not lock its owner out.
    #[config(default = 20, env = "MAGPIE_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR_MAX")]
    pub login_failures_per_account_per_hour_max: u32,

    /// Failed logins per client IP, over all accounts, in a rolling hour before logins from it
    /// are refused with rate_limited.
    #[config(default = 100, env = "MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX")]
    pub login_failures_per_ip_per_hour_max: u32,

    /// Failed logins through one known device (one device key) in a rolling hour.
    #[config(default = 10, env = "MAGPIE_LOGIN_FAILURES_PER_DEVICE_PER_HOUR_MAX")]
    pub login_failures_per_device_per_hour_max: u32,

    /// Seconds between two logins tried from unknown places while an account is under attack.
    #[config(default = 10, env = "MAGPIE_LOGIN_SLOW_INTERVAL_SECS")]
    pub login_slow_interval_secs: u64,

    /// Seconds a device key (given at login) marks its device as known to its account.
    #[config(default = 15552000, env = "MAGPIE_DEVICE_KEY_TTL_SECS")]
    pub device_key_ttl_secs: u64,

    /// Self-registrations from one client IP in a rolling hour.
    #[config(default = 10, env = "MAGPIE_REGISTRATIONS_PER_IP_PER_HOUR_MAX")]
    pub registrations_per_ip_per_hour_max: u32,

    /// Self-registrations in one domain in a rolling hour.
    #[config(default = 200, env = "MAGPIE_REGISTRATIONS_PER_DOMAIN_PER_HOUR_MAX")]
    pub registrations_per_domain_per_hour_max: u32,

    /// Password hashes for self-registration computed at once. They have a pool of their own,
    /// so that sign-ups never take the hashes logins need.
    #[config(default = 1, env = "MAGPIE_SIGNUP_HASH_CONCURRENCY_MAX")]
    pub signup_hash_concurrency_max: usize,

    /// Self-registrations waiting for a hash; more are refused with unavailable (503).
    #[config(default = 8, env = "MAGPIE_SIGNUP_HASH_QUEUE_LEN_MAX")]
    pub signup_hash_queue_len_max: usize,
}

/// Bounds on what clients may send and on what the server buffers for them.
#[derive(Debug, confique::Config)]
pub struct LimitsConfig {
    /// Largest REST request body, in bytes.
    #[config(default = 65536, env = "MAGPIE_REQUEST_BODY_BYTES_MAX")]
    pub request_body_bytes_max: usize,

    /// Largest WebSocket frame answered normally, in bytes; larger ones get a too_large error,
    /// and frames over four times this close the connection.
    #[config(default = 65536, env = "MAGPIE_WS_FRAME_BYTES_MAX")]
    pub ws_frame_bytes_max: usize,

    /// Frames queued for one WebSocket connection before it is closed as a slow consumer.
    #[config(default = 256, env = "MAGPIE_WS_SEND_QUEUE_LEN_MAX")]
    pub ws_send_queue_len_max: usize,

    /// Seconds between the server's WebSocket pings.
    #[config(default = 25, env = "MAGPIE_WS_HEARTBEAT_INTERVAL_SECS")]
    pub ws_heartbeat_interval_secs: u64,

    /// Seconds without any frame from the client after which its connection is closed.
    #[config(default = 60, env = "MAGPIE_WS_IDLE_TIMEOUT_SECS")]
    pub ws_idle_timeout_secs: u64,

    /// Live WebSocket connections of one session (a device's tabs and windows).
    #[config(default = 16, env = "MAGPIE_WS_CONNECTIONS_PER_SESSION_MAX")]
    pub ws_connections_per_session_max: usize,

    /// Live WebSocket connections of the whole server. Each holds one open file; keep this
    /// under the process's open-file limit (ulimit -n) with room for the database and listener.
    #[config(default = 19500, env = "MAGPIE_WS_CONNECTIONS_MAX")]
    pub ws_connections_max: usize,

    /// Live WebSocket connections of one account, over all its sessions and devices.
    #[config(default = 32, env = "MAGPIE_WS_CONNECTIONS_PER_ACCOUNT_MAX")]
    pub ws_connections_per_account_max: usize,

    /// Live WebSocket connections from one client IP; 0 turns the bound off. Behind a company
    /// NAT many people share one IP: raise it there.
    #[config(default = 1000, env = "MAGPIE_WS_CONNECTIONS_PER_IP_MAX")]
    pub ws_connections_per_ip_max: usize,

    /// Open TCP connections of the whole server, WebSockets included. The server lowers it at
    /// start to fit the process's open-file limit (which it raises to the hard limit), keeping
    /// room for the database and files. At the bound, the oldest connection that is between
    /// requests is closed to make room; only when all are busy is a new one turned away.
    #[config(default = 20000, env = "MAGPIE_CONNECTIONS_MAX")]
    pub connections_max: usize,

    /// Open connections of one client IP that are not WebSockets; past it the IP's oldest idle
    /// one is closed to make room. 0 turns the bound off; it is off with trust_forwarded_for.
    #[config(default = 256, env = "MAGPIE_HTTP_CONNECTIONS_PER_IP_MAX")]
    pub http_connections_per_ip_max: usize,

    /// Seconds a client has to send a whole request head, counted from the connection's start
    /// and, on a kept-alive connection, from the end of the previous request.
    #[config(default = 15, env = "MAGPIE_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: u64,

    /// Seconds a request body (an upload, say) may deliver nothing before it fails.
    #[config(default = 30, env = "MAGPIE_BODY_IDLE_TIMEOUT_SECS")]
    pub body_idle_timeout_secs: u64,

    /// Seconds a response may make no progress (a client that stopped reading) before its
    /// connection is closed.
    #[config(default = 30, env = "MAGPIE_WRITE_STALL_TIMEOUT_SECS")]
    pub write_stall_timeout_secs: u64,

    /// Frames per second one WebSocket connection may send on average.
    #[config(default = 50, env = "MAGPIE_WS_FRAMES_PER_SEC_MAX")]
    pub ws_frames_per_sec_max: u32,

    /// Accounts returned by one directory page.
    #[config(default = 100, env = "MAGPIE_DIRECTORY_PAGE_LEN_MAX")]
    pub directory_page_len_max: usize,

    /// Trust the last X-Forwarded-For entry as the client IP (only behind a reverse proxy
    /// that sets it).
    #[config(default = false, env = "MAGPIE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Authenticated REST requests per second of one session; 0 turns the limit off.
    #[config(default = 50, env = "MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX")]
    pub requests_per_session_per_sec_max: u32,

    /// HTTP requests (REST calls and WebSocket upgrades) per second from one client IP; 0
    /// turns the limit off. Behind a company NAT many people share one IP: raise it there.
    #[config(default = 200, env = "MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX")]
    pub requests_per_ip_per_sec_max: u32,
}

/// Conversations and messages: sizes, windows and page lengths.
#[derive(Debug, confique::Config)]
pub struct MessagingConfig {
    /// Active members of one group or channel.
    #[config(default = 10000, env = "MAGPIE_GROUP_MEMBERS_MAX")]
    pub group_members_max: usize,

    /// Groups and channels one account may belong to.
    #[config(default = 1000, env = "MAGPIE_GROUPS_PER_ACCOUNT_MAX")]
    pub groups_per_account_max: usize,

    /// Largest message body (its JSON encoding), in bytes.
    #[config(default = 32768, env = "MAGPIE_MESSAGE_BODY_BYTES_MAX")]
    pub message_body_bytes_max: usize,

    /// Longest text of a text, markdown or code message, in characters.
    #[config(default = 8000, env = "MAGPIE_MESSAGE_TEXT_CHARS_MAX")]
    pub message_text_chars_max: usize,

    /// Accounts one message may mention.
    #[config(default = 100, env = "MAGPIE_MENTIONS_PER_MESSAGE_MAX")]
    pub mentions_per_message_max: usize,

    /// Seconds after sending during which the sender may edit a message.
    #[config(default = 86400, env = "MAGPIE_EDIT_WINDOW_SECS")]
    pub edit_window_secs: u64,

    /// Seconds after sending during which the sender may recall a message; group owners and
    /// admins may recall any message at any time.
    #[config(default = 120, env = "MAGPIE_RECALL_WINDOW_SECS")]
    pub recall_window_secs: u64,

    /// Let every member mention @all, not only owners and admins.
    #[config(default = false, env = "MAGPIE_MEMBERS_MAY_MENTION_ALL")]
    pub members_may_mention_all: bool,

    /// Entries returned by one history page.
    #[config(default = 200, env = "MAGPIE_HISTORY_PAGE_LEN_MAX")]
    pub history_page_len_max: usize,

    /// Account events or conversations returned by one sync page.
    #[config(default = 500, env = "MAGPIE_SYNC_PAGE_LEN_MAX")]
    pub sync_page_len_max: usize,

    /// Messages one forward may carry.
    #[config(default = 100, env = "MAGPIE_FORWARD_MESSAGES_MAX")]
    pub forward_messages_max: usize,

    /// Accounts one membership change may name.
    #[config(default = 500, env = "MAGPIE_MEMBERS_PER_CHANGE_MAX")]
    pub members_per_change_max: usize,

    /// Groups up to this many members carry presence changes between their members (larger
    /// ones would flood everyone); contacts and direct chats always do.
    #[config(default = 100, env = "MAGPIE_PRESENCE_GROUP_MEMBERS_MAX")]
    pub presence_group_members_max: usize,

    /// Entries that retention deletes in one transaction (one `history_pruned` notice each):
    /// larger batches finish sooner, smaller ones hold the database for less time.
    #[config(default = 5000, env = "MAGPIE_RETENTION_BATCH_ENTRIES")]
    pub retention_batch_entries: usize,
}

/// Files: upload sizes, quotas, expiry.
#[derive(Debug, confique::Config)]
pub struct FilesConfig {
    /// Largest file one upload may make, in bytes.
    #[config(default = 104857600, env = "MAGPIE_UPLOAD_BYTES_MAX")]
    pub upload_bytes_max: u64,

    /// Mebibytes of files, and of uploads in progress, one account may hold.
    #[config(default = 10240, env = "MAGPIE_QUOTA_MIB_PER_ACCOUNT")]
    pub quota_mib_per_account: u64,

    /// Seconds an upload that receives nothing stays resumable.
    #[config(default = 86400, env = "MAGPIE_UPLOAD_EXPIRY_SECS")]
    pub upload_expiry_secs: u64,

    /// Seconds after which a file that no message ever referred to is deleted (checked at
    /// start and hourly).
    #[config(default = 604800, env = "MAGPIE_UNSHARED_FILE_RETENTION_SECS")]
    pub unshared_file_retention_secs: u64,

    /// Seconds a finished compliance export's archive is kept for download (Administration →
    /// Exports) before it is deleted (checked at start and hourly).
    #[config(default = 604800, env = "MAGPIE_EXPORT_KEEP_SECS")]
    pub export_keep_secs: u64,

    /// Images with more pixels than this (width times height) are refused before anything
    /// decodes them: decompression bombs.
    #[config(default = 50000000, env = "MAGPIE_IMAGE_PIXELS_MAX")]
    pub image_pixels_max: u64,

    /// Largest image file, in bytes (by the type detected from its content).
    #[config(default = 20971520, env = "MAGPIE_IMAGE_BYTES_MAX")]
    pub image_bytes_max: u64,

    /// Mebibytes of memory that decoding images for thumbnails may hold at once, over all
    /// uploads. Each decode reserves what its header says it will need at its peak and waits
    /// for room; an image that needs more than all of it gets no thumbnails (a 48-megapixel
    /// photo needs about 180 MiB).
    #[config(default = 512, env = "MAGPIE_IMAGE_DECODE_MEMORY_MIB_MAX")]
    pub image_decode_memory_mib_max: u64,

    /// Images decoded for thumbnails at once (each keeps a CPU busy).
    #[config(default = 2, env = "MAGPIE_IMAGE_DECODE_CONCURRENCY_MAX")]
    pub image_decode_concurrency_max: usize,

    /// Largest audio file (voice messages), in bytes.
    #[config(default = 20971520, env = "MAGPIE_AUDIO_BYTES_MAX")]
    pub audio_bytes_max: u64,

    /// Largest video file, in bytes.
    #[config(default = 104857600, env = "MAGPIE_VIDEO_BYTES_MAX")]
    pub video_bytes_max: u64,

    /// Seconds a signed file link (for places that cannot send a token) keeps working.
    #[config(default = 300, env = "MAGPIE_FILE_LINK_TTL_SECS")]
    pub file_link_ttl_secs: u64,
}

impl Config {
    /// Defaults < file < environment. Flags are applied by the caller afterwards.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut builder = Config::builder().env();
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("config file {} does not exist", file.display());
            }
            builder = builder.file(file);
        }
        Ok(builder.load()?)
    }

    /// Which URLs may be previewed, by their form.
    pub fn link_preview_policy(&self) -> magpie_core::previews::UrlPolicy {
        let p = &self.link_previews;
        magpie_core::previews::UrlPolicy {
            hosts_allowed: p.hosts_allowed.clone(),
            hosts_denied: p.hosts_denied.clone(),
            ports_allowed: p.ports_allowed.clone(),
        }
    }

    /// The link-preview fetcher's rules; an address range that does not parse is an error.
    pub fn fetch_config(&self) -> anyhow::Result<magpie_fetch::FetchConfig> {
        let p = &self.link_previews;
        let private_ranges_allowed = p
            .private_ranges_allowed
            .iter()
            .map(|r| r.parse().map_err(|e: String| anyhow::anyhow!("link_previews.private_ranges_allowed: {e}")))
            .collect::<anyhow::Result<_>>()?;
        Ok(magpie_fetch::FetchConfig {
            policy: self.link_preview_policy(),
            private_ranges_allowed,
            redirects_max: p.redirects_max,
            page_bytes_max: p.page_bytes_max,
            timeout: std::time::Duration::from_secs(p.fetch_timeout_secs.max(1)),
        })
    }

    pub fn core_settings(&self) -> magpie_core::Settings {
        let a = &self.auth;
        let m = &self.messaging;
        magpie_core::Settings {
            session_ttl_secs: a.session_ttl_secs,
            sessions_per_account_max: a.sessions_per_account_max,
            password_hash_concurrency_max: a.password_hash_concurrency_max,
            password_hash_queue_len_max: a.password_hash_queue_len_max,
            argon2_memory_kib: a.argon2_memory_kib,
            argon2_iterations: a.argon2_iterations,
            password_chars_min: a.password_chars_min,
            password_score_min: a.password_score_min,
            password_bytes_max: a.password_bytes_max,
            login_failures_per_account_per_ip_per_hour_max: a.login_failures_per_account_per_ip_per_hour_max,
            login_failures_per_account_per_hour_max: a.login_failures_per_account_per_hour_max,
            login_failures_per_ip_per_hour_max: a.login_failures_per_ip_per_hour_max,
            login_failures_per_device_per_hour_max: a.login_failures_per_device_per_hour_max,
            login_slow_interval_secs: a.login_slow_interval_secs,
            device_key_ttl_secs: a.device_key_ttl_secs,
            registrations_per_ip_per_hour_max: a.registrations_per_ip_per_hour_max,
            registrations_per_domain_per_hour_max: a.registrations_per_domain_per_hour_max,
            signup_hash_concurrency_max: a.signup_hash_concurrency_max,
            signup_hash_queue_len_max: a.signup_hash_queue_len_max,
            directory_page_len_max: self.limits.directory_page_len_max,
            group_members_max: m.group_members_max,
            groups_per_account_max: m.groups_per_account_max,
            message_body_bytes_max: m.message_body_bytes_max,
            message_text_chars_max: m.message_text_chars_max,
            mentions_per_message_max: m.mentions_per_message_max,
            edit_window_secs: m.edit_window_secs,
            recall_window_secs: m.recall_window_secs,
            members_may_mention_all: m.members_may_mention_all,
            history_page_len_max: m.history_page_len_max,
            sync_page_len_max: m.sync_page_len_max,
            forward_messages_max: m.forward_messages_max,
            members_per_change_max: m.members_per_change_max,
            presence_group_members_max: m.presence_group_members_max,
            retention_batch_entries: m.retention_batch_entries,
            upload_bytes_max: self.files.upload_bytes_max,
            quota_bytes_per_account: self.files.quota_mib_per_account.saturating_mul(1024 * 1024),
            upload_expiry_secs: self.files.upload_expiry_secs,
            unshared_file_retention_secs: self.files.unshared_file_retention_secs,
            export_keep_secs: self.files.export_keep_secs,
            image_pixels_max: self.files.image_pixels_max,
            file_link_ttl_secs: self.files.file_link_ttl_secs,
            image_bytes_max: self.files.image_bytes_max,
            image_decode_memory_bytes_max: self.files.image_decode_memory_mib_max.saturating_mul(1024 * 1024),
            image_decode_concurrency_max: self.files.image_decode_concurrency_max,
            audio_bytes_max: self.files.audio_bytes_max,
            video_bytes_max: self.files.video_bytes_max,
            link_previews_enabled: self.link_previews.enabled,
            link_preview_ttl_secs: self.link_previews.ttl_secs,
            link_preview_failure_ttl_secs: self.link_previews.failure_ttl_secs,
            link_previews_per_account_per_min_max: self.link_previews.fetches_per_account_per_min_max,
            link_preview_fetches_max: self.link_previews.fetches_at_once_max,
            link_preview_image_bytes_max: self.link_previews.image_bytes_max,
            link_preview_policy: self.link_preview_policy(),
            searches_per_account_per_min_max: self.search.queries_per_account_per_min_max,
            name_searches_per_account_per_min_max: self.search.name_queries_per_account_per_min_max,
            scheduled_per_account_max: self.scheduled.per_account_max,
            scheduled_ahead_secs_max: self.scheduled.ahead_secs_max,
            scheduled_past_grace_secs: self.scheduled.past_grace_secs,
            scheduled_claim_secs: self.scheduled.claim_secs,
            mail_outbox_len_max: self.mail.outbox_len_max,
            mail_attempts_max: self.mail.attempts_max.max(1),
            mail_retry_initial_secs: self.mail.retry_initial_secs,
            mail_retry_max_secs: self.mail.retry_max_secs,
            email_code_ttl_secs: self.mail.code_ttl_secs,
            email_code_attempts_max: self.mail.code_attempts_max,
            email_codes_per_address_per_hour_max: self.mail.codes_per_address_per_hour_max,
            email_codes_per_ip_per_hour_max: self.mail.codes_per_ip_per_hour_max,
            email_code_resend_secs: self.mail.code_resend_secs,
            push_targets_per_account_max: self.push.targets_per_account_max,
            push_outbox_len_max: self.push.outbox_len_max,
            push_attempts_max: self.push.attempts_max.max(1),
            push_retry_initial_secs: self.push.retry_initial_secs,
            push_retry_max_secs: self.push.retry_max_secs,
            push_claim_secs: self.push.claim_secs,
            push_keep_secs: self.push.keep_secs,
            digest_after_mins_min: self.mail.digest_after_mins_min,
            digest_poll_ms: self.mail.digest_poll_ms,
            digest_items_per_account_max: self.mail.digest_items_max,
            webhook_failures_max: self.webhooks.failures_max.max(1),
            webhook_retry_initial_ms: self.webhooks.retry_initial_ms.max(1),
            webhook_retry_max_ms: self.webhooks.retry_max_ms.max(1),
            webhook_poll_ms: self.webhooks.poll_ms.max(10),
            // Twice the longest request and some: a claim outlives its request.
            webhook_lease_ms: (self.webhooks.timeout_secs.max(1) * 2 + 5) * 1000,
            ..magpie_core::Settings::default()
        }
    }

    pub fn http_settings(&self) -> magpie_http::HttpSettings {
        let l = &self.limits;
        magpie_http::HttpSettings {
            request_body_bytes_max: l.request_body_bytes_max,
            ws_frame_bytes_max: l.ws_frame_bytes_max,
            ws_send_queue_len_max: l.ws_send_queue_len_max,
            ws_heartbeat_interval_secs: l.ws_heartbeat_interval_secs,
            ws_idle_timeout_secs: l.ws_idle_timeout_secs,
            ws_frames_per_sec_max: l.ws_frames_per_sec_max,
            trust_forwarded_for: l.trust_forwarded_for,
            requests_per_ip_per_sec_max: l.requests_per_ip_per_sec_max,
            requests_per_session_per_sec_max: l.requests_per_session_per_sec_max,
            ws_connections_per_session_max: l.ws_connections_per_session_max,
            ws_connections_max: l.ws_connections_max,
            ws_connections_per_account_max: l.ws_connections_per_account_max,
            ws_connections_per_ip_max: l.ws_connections_per_ip_max,
            connections_max: l.connections_max,
            http_connections_per_ip_max: l.http_connections_per_ip_max,
            header_read_timeout_secs: l.header_read_timeout_secs,
            body_idle_timeout_secs: l.body_idle_timeout_secs,
            write_stall_timeout_secs: l.write_stall_timeout_secs,
            hsts_max_age_secs: if self.tls.enabled() { self.tls.hsts_max_age_secs } else { 0 },
        }
    }

    /// This node's search index directory.
    pub fn search_index_dir(&self) -> PathBuf {
        if self.search.index_dir.as_os_str().is_empty() {
            self.data_dir.join("search")
        } else {
            self.search.index_dir.clone()
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("magpie.db")
    }

    /// Which database `database` names.
    pub fn database_kind(&self) -> anyhow::Result<DatabaseKind<'_>> {
        let value = self.database.trim();
        if value == "sqlite" {
            Ok(DatabaseKind::Sqlite)
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres(value))
        } else {
            anyhow::bail!("database must be \"sqlite\" or a postgres:// URL, not {:?}", redact_url(value))
        }
    }

    /// Whether `blobs` names the data directory (`None`) or a bucket (its URL).
    pub fn blobs_bucket(&self) -> anyhow::Result<Option<&str>> {
        let value = self.blobs.trim();
        if value == "local" {
            Ok(None)
        } else if value.starts_with("s3://") {
            Ok(Some(value))
        } else {
            anyhow::bail!("blobs must be \"local\" or an s3:// URL, not {value:?}")
        }
    }

    /// Which bus `bus` names.
    pub fn bus_kind(&self) -> anyhow::Result<BusKind<'_>> {
        let value = self.bus.trim();
        if value == "local" {
            Ok(BusKind::Local)
        } else if value.starts_with("redis://") || value.starts_with("rediss://") {
            Ok(BusKind::Redis(value))
        } else {
            anyhow::bail!("bus must be \"local\" or a redis:// URL, not {:?}", redact_url(value))
        }
    }
}

/// The database of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind<'a> {
    Sqlite,
    Postgres(&'a str),
}

/// The bus of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind<'a> {
    Local,
    Redis(&'a str),
}

/// A URL with its password (if any) masked, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return url.to_owned() };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    let slash = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{user}:***@{host}{slash}{path}")
}

/// The annotated example configuration, generated from the doc comments above.
pub fn example() -> String {
    let body = confique::toml::template::<Config>(confique::toml::FormatOptions::default());
    format!(
        "# Magpie configuration. Generated by `magpie config example`; do not edit by hand.\n\
         # Every option can also be set by the environment variable shown, which wins over\n\
         # this file; command-line flags win over both.\n\n{body}"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_example_toml_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config.example.toml");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::example(),
            "config.example.toml is out of date: run `cargo run -q -- config example > config.example.toml`"
        );
    }
}
