//! TLS of `magpie serve` (the `[tls]` section of the configuration): the certificate comes
//! from files, read again whenever they change and on SIGHUP, or from an ACME certificate
//! authority, obtained by TLS-ALPN-01 on the server's own listener and renewed before it
//! expires. Either way it goes into the listener's [`Certificates`], which every new handshake
//! reads: nothing restarts, and open connections keep the certificate they started with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use magpie_http::tls::{CertificateSource, CertificateStatus, Certificates};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::config::Config;

/// How long after a failed ACME attempt the next one starts: the first retry soon (the CA
/// may have been starting too), doubling up to the longest.
const ACME_RETRY_FIRST: Duration = Duration::from_secs(30);
const ACME_RETRY_MAX: Duration = Duration::from_secs(15 * 60);
/// The least time between two orders, whatever the certificates say.
const ACME_ORDER_GAP_MIN: Duration = Duration::from_secs(60);
/// The longest the ACME task waits before it looks at the certificate again.
const ACME_CHECK_MAX: Duration = Duration::from_secs(12 * 60 * 60);
/// How long one ACME order may take, its validations and issuance included.
const ACME_ORDER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The listener's TLS, as configured.
pub struct Tls {
    pub certificates: Arc<Certificates>,
    pub server_config: Arc<rustls::ServerConfig>,
    source: Source,
}

enum Source {
    Files { cert: PathBuf, key: PathBuf, loaded: Loaded },
    Acme(AcmeSettings),
}

/// A certificate and key that load, with what the logs and the renewal need of the leaf.
#[derive(Clone)]
struct Loaded {
    key: Arc<CertifiedKey>,
    /// The leaf's DNS names.
    names: Vec<String>,
    /// The leaf's validity, in seconds since the epoch.
    not_before: i64,
    not_after: i64,
}

impl Loaded {
    fn same_chain(&self, other: &Loaded) -> bool {
        self.key.cert == other.key.cert
    }
}

/// Sets up TLS from `config.tls`: `None` for plain HTTP. Certificate files that do not load are
/// an error here (the server does not start); an ACME certificate kept from an earlier run is
/// presented at once, and a missing one is obtained once the server listens.
pub fn setup(config: &Config) -> anyhow::Result<Option<Tls>> {
    let tls = &config.tls;
    if !tls.enabled() {
        return Ok(None);
    }
    let names = tls.acme_names();
    let files = !tls.cert.as_os_str().is_empty() || !tls.key.as_os_str().is_empty();
    anyhow::ensure!(!files || names.is_empty(), "tls: set either cert and key, or acme_domains, not both");
    let certificates = Certificates::new();
    let server_config =
        certificates.server_config(!names.is_empty()).context("tls: cannot make the rustls configuration")?;
    let source = if files {
        anyhow::ensure!(
            !tls.cert.as_os_str().is_empty() && !tls.key.as_os_str().is_empty(),
            "tls: cert and key go together: set both"
        );
        let loaded = load_files(&tls.cert, &tls.key)?;
        log_loaded("TLS certificate loaded", &loaded);
        certificates.set(loaded.key.clone());
        certificates.set_status(status(CertificateSource::Files, Some(&loaded), None));
        Source::Files { cert: tls.cert.clone(), key: tls.key.clone(), loaded }
    } else {
        let settings = AcmeSettings {
            names,
            directory: tls.acme_directory.clone(),
            directory_ca: (!tls.acme_directory_ca.as_os_str().is_empty()).then(|| tls.acme_directory_ca.clone()),
            contact: tls.acme_contact.trim().to_owned(),
            renew_before: Duration::from_secs(tls.acme_renew_before_days.saturating_mul(24 * 60 * 60)),
            dir: config.data_dir.join("tls").join("acme"),
        };
        let kept = settings.kept();
        if let Some(kept) = &kept {
            log_loaded("TLS certificate loaded from the ACME cache", kept);
            certificates.set(kept.key.clone());
        }
        certificates.set_status(status(CertificateSource::Acme, kept.as_ref(), None));
        Source::Acme(settings)
    };
    Ok(Some(Tls { certificates, server_config, source }))
}

impl Tls {
    /// Starts what keeps the certificate current: the watcher of the files and SIGHUP, or the
    /// ACME task. Call once the server listens (the CA validates on the listener).
    pub fn maintain(self) -> anyhow::Result<()> {
        match self.source {
            Source::Files { cert, key, loaded } => watch_files(self.certificates, cert, key, loaded),
            Source::Acme(settings) => {
                tokio::spawn(acme_task(settings, self.certificates));
                Ok(())
            }
        }
    }
}

/// What the console shows: the certificate in service (if any) and the last failure.
fn status(source: CertificateSource, loaded: Option<&Loaded>, error: Option<String>) -> CertificateStatus {
    CertificateStatus {
        source,
        names: loaded.map(|l| l.names.clone()).unwrap_or_default(),
        not_after: loaded.map_or(0, |l| l.not_after),
        error: error.map(|e| (e, jiff::Timestamp::now().as_millisecond())),
    }
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn load_files(cert: &Path, key: &Path) -> anyhow::Result<Loaded> {
    let cert_pem =
        std::fs::read(cert).with_context(|| format!("tls: cannot read the certificate {}", cert.display()))?;
    let key_pem = std::fs::read(key).with_context(|| format!("tls: cannot read the key {}", key.display()))?;
    parse_pair(&cert_pem, &key_pem).with_context(|| format!("tls: {} and {}", cert.display(), key.display()))
}

/// A PEM certificate chain (leaf first) and its PEM private key, checked to belong together.
fn parse_pair(cert_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<Loaded> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .context("the certificate file is not PEM")?;
    let leaf = chain.first().context("the certificate file holds no certificate")?.clone();
    let key = PrivateKeyDer::from_pem_slice(key_pem).context("the key file holds no PEM private key")?;
    let key = CertifiedKey::from_der(chain, key, &provider()).context("the key does not fit the certificate")?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf).context("the certificate does not parse")?;
    let names = parsed
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let validity = parsed.validity();
    Ok(Loaded {
        key: Arc::new(key),
        names,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
    })
}

fn log_loaded(what: &str, loaded: &Loaded) {
    let expires = jiff::Timestamp::from_second(loaded.not_after).map(|t| t.to_string()).unwrap_or_default();
    tracing::info!(names = %loaded.names.join(","), %expires, "{what}");
}

/// Reads the files again on every change the file system reports in their directories (a
/// renewal usually replaces them by renaming, which a watch of the files themselves would
/// miss) and on SIGHUP. A pair that does not load (half written, or wrong) keeps the previous
/// one in service.
fn watch_files(
    certificates: Arc<Certificates>,
    cert: PathBuf,
    key: PathBuf,
    mut current: Loaded,
) -> anyhow::Result<()> {
    use notify::Watcher as _;
    use tokio::signal::unix::{SignalKind, signal};
    // One pending look is enough: a look reads both files as they are then.
    let (changed, mut changes) = tokio::sync::mpsc::channel::<()>(1);
    let on_change = changed.clone();
    let names: Vec<std::ffi::OsString> =
        [&cert, &key].iter().filter_map(|p| p.file_name().map(ToOwned::to_owned)).collect();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && changes_a_file(&event)
            && event.paths.iter().any(|p| p.file_name().is_some_and(|n| names.iter().any(|m| m == n) || n == "..data"))
        {
            let _ = on_change.try_send(());
        }
    })
    .context("tls: cannot watch the certificate files")?;
    let mut dirs: Vec<PathBuf> = [&cert, &key].iter().map(|p| directory_of(p)).collect();
    dirs.dedup();
    for dir in &dirs {
        watcher
            .watch(dir, notify::RecursiveMode::NonRecursive)
            .with_context(|| format!("tls: cannot watch {}", dir.display()))?;
    }
    let mut hangup = signal(SignalKind::hangup()).context("tls: cannot catch SIGHUP")?;
    tokio::spawn(async move {
        let _watcher = watcher;
        loop {
            tokio::select! {
                look = changes.recv() => if look.is_none() { return },
                _ = hangup.recv() => {},
            }
            match load_files(&cert, &key) {
                Ok(loaded) if loaded.same_chain(&current) => {
                    certificates.set_status(status(CertificateSource::Files, Some(&current), None));
                }
                Ok(loaded) => {
                    certificates.set(loaded.key.clone());
                    certificates.set_status(status(CertificateSource::Files, Some(&loaded), None));
                    log_loaded("TLS certificate reloaded", &loaded);
                    current = loaded;
                }
                Err(e) => {
                    // The status first: the log line tells that it is there.
                    let error = format!("{e:#}");
                    certificates.set_status(status(CertificateSource::Files, Some(&current), Some(error.clone())));
                    tracing::warn!(%error, "TLS certificate not reloaded; the previous one stays");
                }
            }
        }
    });
    // Keep the sender alive with the task's receiver: the watcher holds a clone.
    drop(changed);
    Ok(())
}

/// Whether an event changes what a file holds: made, written and closed, renamed or removed.
/// Not opening, reading or closing after a read, which the reload itself does (a watcher that
/// took those for changes would reload for ever).
fn changes_a_file(event: &notify::Event) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What the ACME task needs of the configuration.
struct AcmeSettings {
    names: Vec<String>,
    directory: String,
    directory_ca: Option<PathBuf>,
    contact: String,
    renew_before: Duration,
    /// Where the account and the certificate are kept between runs (`tls/acme/` in the data
    /// directory).
    dir: PathBuf,
}

/// The account's credentials as kept, with the directory they belong to.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptAccount {
    directory: String,
    credentials: instant_acme::AccountCredentials,
}

impl AcmeSettings {
    fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// The certificate kept from an earlier run, if it came from this directory (not a staging
    /// CA's, after a move to production), loads, and covers every name asked for.
    fn kept(&self) -> Option<Loaded> {
        let from = std::fs::read_to_string(self.dir.join("directory")).ok()?;
        if from != self.directory {
            return None;
        }
        let loaded = load_files(&self.cert_path(), &self.key_path()).ok()?;
        self.names.iter().all(|n| loaded.names.contains(n)).then_some(loaded)
    }

    /// When `loaded` should be renewed: `renew_before` ahead of its expiry, but never before
    /// two thirds of its lifetime, so that a short-lived certificate (a day, from a company's
    /// CA) is not ordered again the moment it arrives.
    fn renew_at(&self, loaded: &Loaded) -> i64 {
        let lifetime = loaded.not_after.saturating_sub(loaded.not_before).max(0);
        let margin = i64::try_from(self.renew_before.as_secs()).unwrap_or(i64::MAX).min(lifetime / 3);
        loaded.not_after.saturating_sub(margin)
    }

    async fn account(&self) -> anyhow::Result<instant_acme::Account> {
        use instant_acme::{Account, NewAccount};
        let builder = || match &self.directory_ca {
            Some(ca) => Account::builder_with_root(ca),
            None => Account::builder(),
        };
        let path = self.dir.join("account.json");
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(kept) = serde_json::from_slice::<KeptAccount>(&bytes)
            && kept.directory == self.directory
        {
            match builder()?.from_credentials(kept.credentials).await {
                Ok(account) => return Ok(account),
                // The CA forgot it (a reset test CA, a deactivated account): make another.
                Err(e) => tracing::warn!(error = %e, "ACME: the kept account does not work; making a new one"),
            }
        }
        let contact = format!("mailto:{}", self.contact);
        let contacts: Vec<&str> = if self.contact.is_empty() { vec![] } else { vec![&contact] };
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, credentials) = builder()?.create(&new, self.directory.clone(), None).await?;
        let kept = KeptAccount { directory: self.directory.clone(), credentials };
        write_private(&path, &serde_json::to_vec(&kept)?)?;
        Ok(account)
    }
}

/// Obtains a certificate when there is none, or it does not cover the names, or its renewal
/// time has come; then waits for the next renewal time. A failure is retried after
/// a pause that grows from [`ACME_RETRY_FIRST`] to [`ACME_RETRY_MAX`], the certificate in
/// service (if any) staying.
async fn acme_task(settings: AcmeSettings, certificates: Arc<Certificates>) {
    let mut current = settings.kept();
    let mut retry = ACME_RETRY_FIRST;
    loop {
        let now = jiff::Timestamp::now().as_second();
        let due = current.as_ref().is_none_or(|c| settings.renew_at(c) <= now);
        let wait = if due {
            match tokio::time::timeout(ACME_ORDER_TIMEOUT, obtain(&settings, &certificates)).await {
                Ok(Ok(loaded)) => {
                    certificates.set(loaded.key.clone());
                    certificates.set_status(status(CertificateSource::Acme, Some(&loaded), None));
                    log_loaded("TLS certificate obtained by ACME", &loaded);
                    current = Some(loaded);
                    retry = ACME_RETRY_FIRST;
                    ACME_ORDER_GAP_MIN
                }
                Ok(Err(e)) => {
                    let error = format!("{e:#}");
                    certificates.set_status(status(CertificateSource::Acme, current.as_ref(), Some(error.clone())));
                    tracing::warn!(%error, names = %settings.names.join(","), "ACME: no certificate this time; trying again later");
                    next_retry(&mut retry)
                }
                Err(_) => {
                    let error = "the ACME order took too long".to_owned();
                    certificates.set_status(status(CertificateSource::Acme, current.as_ref(), Some(error)));
                    tracing::warn!(names = %settings.names.join(","), "ACME: the order took too long; trying again later");
                    next_retry(&mut retry)
                }
            }
        } else {
            let until = current.as_ref().map_or(0, |c| settings.renew_at(c)).saturating_sub(now);
            Duration::from_secs(u64::try_from(until).unwrap_or(0)).min(ACME_CHECK_MAX)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The pause before the next attempt after a failure, doubling the one after it.
fn next_retry(retry: &mut Duration) -> Duration {
    let now = *retry;
    *retry = (now * 2).min(ACME_RETRY_MAX);
    now
}

/// One ACME order for every name: TLS-ALPN-01 answered on the listener, then a new key, the
/// CSR and the chain, written to the cache (key first, owner-only) before it is presented.
async fn obtain(settings: &AcmeSettings, certificates: &Certificates) -> anyhow::Result<Loaded> {
    use instant_acme::{AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy};
    std::fs::create_dir_all(&settings.dir).with_context(|| format!("cannot make {}", settings.dir.display()))?;
    let account = settings.account().await.context("ACME account")?;
    let identifiers: Vec<Identifier> = settings.names.iter().map(|n| Identifier::Dns(n.clone())).collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await.context("ACME order")?;
    // Challenge certificates are withdrawn however this ends, a timeout's drop included.
    let mut answered = Challenges { certificates, names: Vec::new() };
    let mut authorizations = order.authorizations();
    let result: anyhow::Result<()> = async {
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            match authorization.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => anyhow::bail!("an authorization is {other:?}"),
            }
            let mut challenge =
                authorization.challenge(ChallengeType::TlsAlpn01).context("the CA offers no tls-alpn-01 challenge")?;
            let name = challenge.identifier().to_string();
            let digest = challenge.key_authorization().digest();
            certificates.start_challenge(&name, challenge_certificate(&name, digest.as_ref())?);
            answered.names.push(name);
            challenge.set_ready().await?;
        }
        Ok(())
    }
    .await;
    let ready = match result {
        Ok(()) => order.poll_ready(&RetryPolicy::default()).await.map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    drop(answered);
    let status = ready.context("ACME validation")?;
    anyhow::ensure!(status == OrderStatus::Ready, "the order is {status:?} after validation");
    let key_pem = order.finalize().await.context("ACME finalize")?;
    let chain_pem = order.poll_certificate(&RetryPolicy::default()).await.context("ACME certificate")?;
    let loaded = parse_pair(chain_pem.as_bytes(), key_pem.as_bytes()).context("the issued certificate")?;
    write_private(&settings.key_path(), key_pem.as_bytes())?;
    write_private(&settings.cert_path(), chain_pem.as_bytes())?;
    write_private(&settings.dir.join("directory"), settings.directory.as_bytes())?;
    Ok(loaded)
}

/// The TLS-ALPN-01 challenges answered for an order, withdrawn when it is dropped.
struct Challenges<'a> {
    certificates: &'a Certificates,
    names: Vec<String>,
}

impl Drop for Challenges<'_> {
    fn drop(&mut self) {
        for name in &self.names {
            self.certificates.end_challenge(name);
        }
    }
}

/// The self-signed certificate that answers TLS-ALPN-01 for `name`: its only name, and the
/// critical acmeIdentifier extension holding the key authorization's SHA-256 (RFC 8737 §3).
fn challenge_certificate(name: &str, digest: &[u8]) -> anyhow::Result<Arc<CertifiedKey>> {
    let mut params = rcgen::CertificateParams::new(vec![name.to_owned()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| anyhow::anyhow!("challenge key: {e}"))?;
    // Not from_der: its check of the pair parses the certificate with webpki, which refuses the
    // critical extension that only validators understand.
    let signer = provider().key_provider.load_private_key(der)?;
    Ok(Arc::new(CertifiedKey::new(vec![cert.der().clone()], signer)))
}

/// Writes `bytes` to `path` whole (a temporary file renamed over it), readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    // A leftover from a crash goes first: the file is made anew, owner-only, never reused.
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    // The rename itself survives a power loss once the directory is on disk.
    std::fs::File::open(directory_of(path))?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_pair_loads_with_its_names_and_expiry() {
        let (cert, key) = pair(&["chat.example.com", "Magpie.Example.com"]);
        let loaded = parse_pair(cert.as_bytes(), key.as_bytes()).unwrap();
        assert_eq!(loaded.names, ["chat.example.com", "magpie.example.com"]);
        assert!(loaded.not_after > jiff::Timestamp::now().as_second());
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (cert, _) = pair(&["a.example.com"]);
        let (_, other_key) = pair(&["a.example.com"]);
        let e = parse_pair(cert.as_bytes(), other_key.as_bytes()).err().unwrap();
        assert!(format!("{e:#}").contains("does not fit"), "{e:#}");
    }

    #[test]
    fn garbage_is_refused_with_what_is_wrong() {
        let (cert, key) = pair(&["a.example.com"]);
        let e = parse_pair(b"not a certificate", key.as_bytes()).err().unwrap();
        assert!(format!("{e:#}").contains("no certificate"), "{e:#}");
        let e = parse_pair(cert.as_bytes(), b"").err().unwrap();
        assert!(format!("{e:#}").contains("no PEM private key"), "{e:#}");
    }

    #[test]
    fn the_watcher_takes_changes_for_changes_and_its_own_reads_for_nothing() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RenameMode};
        use notify::{Event, EventKind};
        let is = |kind| changes_a_file(&Event::new(kind));
        assert!(is(EventKind::Create(CreateKind::File)));
        assert!(is(EventKind::Modify(ModifyKind::Name(RenameMode::To))));
        assert!(is(EventKind::Modify(ModifyKind::Data(DataChange::Content))));
        assert!(is(EventKind::Access(AccessKind::Close(AccessMode::Write))));
        // What loading the files does: opening, reading and closing them.
        assert!(!is(EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!is(EventKind::Access(AccessKind::Read)));
        assert!(!is(EventKind::Access(AccessKind::Close(AccessMode::Read))));
    }

    #[test]
    fn a_short_lived_certificate_is_renewed_after_two_thirds_of_its_life_not_at_once() {
        let settings = AcmeSettings {
            names: vec![],
            directory: String::new(),
            directory_ca: None,
            contact: String::new(),
            renew_before: Duration::from_secs(30 * 24 * 3600),
            dir: PathBuf::new(),
        };
        let (cert, key) = pair(&["a.example.com"]);
        let mut loaded = parse_pair(cert.as_bytes(), key.as_bytes()).unwrap();
        // A day-long certificate: renewed 16 hours in, not 30 days before it ends.
        (loaded.not_before, loaded.not_after) = (1_000_000, 1_000_000 + 24 * 3600);
        assert_eq!(settings.renew_at(&loaded), 1_000_000 + 16 * 3600);
        // A 90-day one: 30 days ahead.
        loaded.not_after = 1_000_000 + 90 * 24 * 3600;
        assert_eq!(settings.renew_at(&loaded), 1_000_000 + 60 * 24 * 3600);
    }

    #[test]
    fn the_challenge_certificate_names_the_domain_and_carries_the_digest() {
        let digest = [7u8; 32];
        let key = challenge_certificate("chat.example.com", &digest).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&key.cert[0]).unwrap();
        let acme = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("the acmeIdentifier extension");
        assert!(acme.critical);
        // An OCTET STRING of the 32 bytes.
        assert_eq!(&acme.value[2..], &digest);
    }
}
