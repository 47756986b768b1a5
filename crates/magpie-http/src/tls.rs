//! TLS on the server's own listener: rustls, with the certificate held in a [`Certificates`]
//! that the binary replaces while connections keep coming (a renewed file, a certificate from
//! ACME), and ALPN offering HTTP/2 before HTTP/1.1.
//!
//! The same resolver answers ACME's TLS-ALPN-01 validation (RFC 8737): a handshake that offers
//! only `acme-tls/1` gets the challenge certificate for the name it asks for, and the
//! connection ends after the handshake.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// ALPN protocol names, in the server's order of preference.
pub const ALPN_H2: &[u8] = b"h2";
pub const ALPN_HTTP1: &[u8] = b"http/1.1";
/// ACME's TLS-ALPN-01 validation protocol (RFC 8737).
pub const ALPN_ACME: &[u8] = b"acme-tls/1";

/// Where the certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateSource {
    Files,
    Acme,
}

impl CertificateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateSource::Files => "files",
            CertificateSource::Acme => "acme",
        }
    }
}

/// What the console and the metrics show of the certificate in service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStatus {
    pub source: CertificateSource,
    /// The DNS names of the certificate in service; empty while there is none yet.
    pub names: Vec<String>,
    /// Its expiry, in seconds since the epoch; 0 while there is none.
    pub not_after: i64,
    /// The last failure to load or obtain one, and when (ms since the epoch), until one
    /// succeeds again.
    pub error: Option<(String, i64)>,
}

/// The certificate the server presents, replaceable at any time: a handshake uses the one that
/// is current when it starts.
#[derive(Default)]
pub struct Certificates {
    current: RwLock<Option<Arc<CertifiedKey>>>,
    status: RwLock<Option<CertificateStatus>>,
    /// TLS-ALPN-01 challenge certificates by the DNS name being validated.
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").field("loaded", &self.current().is_some()).finish_non_exhaustive()
    }
}

impl Certificates {
    pub fn new() -> Arc<Certificates> {
        Arc::new(Certificates::default())
    }

    /// Presents `key` from the next handshake on.
    pub fn set(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(key);
    }

    /// Records what is in service (after [`Certificates::set`]) or what failed.
    pub fn set_status(&self, status: CertificateStatus) {
        *self.status.write().unwrap_or_else(|e| e.into_inner()) = Some(status);
    }

    pub fn status(&self) -> Option<CertificateStatus> {
        self.status.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Answers TLS-ALPN-01 validation of `name` with `key` until [`Certificates::end_challenge`].
    pub fn start_challenge(&self, name: &str, key: Arc<CertifiedKey>) {
        self.challenges.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_ascii_lowercase(), key);
    }

    pub fn end_challenge(&self, name: &str) {
        self.challenges.write().unwrap_or_else(|e| e.into_inner()).remove(&name.to_ascii_lowercase());
    }

    /// The rustls configuration of the listener: TLS 1.2 and 1.3 on ring, no client
    /// certificates, ALPN h2 then http/1.1, and acme-tls/1 for validators when `acme`.
    pub fn server_config(self: &Arc<Self>, acme: bool) -> Result<Arc<ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP1.to_vec()];
        if acme {
            config.alpn_protocols.push(ALPN_ACME.to_vec());
        }
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A validator offers acme-tls/1 and nothing else (RFC 8737 §3); a client that offers
        // it among others is an ordinary client.
        let acme = hello.alpn().is_some_and(|offered| offered.eq([ALPN_ACME]));
        if acme {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.read().unwrap_or_else(|e| e.into_inner()).get(&name).cloned();
        }
        self.current()
    }
}
