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

/// The certificate the server presents, replaceable at any time: a handshake uses the one that
/// is current when it starts.
#[derive(Default)]
pub struct Certificates {
    current: RwLock<Option<Arc<CertifiedKey>>>,
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
    /// certificates, ALPN h2 then http/1.1 (and acme-tls/1 for validators).
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP1.to_vec(), ALPN_ACME.to_vec()];
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = hello.alpn().is_some_and(|mut offered| offered.any(|p| p == ALPN_ACME));
        if acme {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.read().unwrap_or_else(|e| e.into_inner()).get(&name).cloned();
        }
        self.current()
    }
}
