//! `LdapConnector`, the core's [`DirectoryConnector`] on the `ldap3` crate: the one part of
//! Magpie that speaks LDAP. Every call opens its own connection (a sync's few searches and a
//! login's one bind do not need a pool), with bounded time for connecting and for each
//! operation; TLS is rustls (`ldaps://`, or StartTLS on `ldap://`). Searches are paged (RFC
//! 2696), so a directory's size limit per page does not cut a large result.

use std::time::Duration;

use async_trait::async_trait;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use magpie_core::ldap::{DirEntry, DirectoryConnector, DirectoryError, LdapSource};

/// Entries per page of a search.
const PAGE_LEN: i32 = 500;
/// The LDAP result code for wrong credentials.
const RC_INVALID_CREDENTIALS: u32 = 49;

/// Reaches LDAP servers, within the given times.
#[derive(Debug, Clone)]
pub struct LdapConnector {
    /// Longest wait for a connection (and its TLS handshake).
    pub connect_timeout: Duration,
    /// Longest wait for one operation's answer (a bind, a page of a search).
    pub operation_timeout: Duration,
}

impl Default for LdapConnector {
    fn default() -> Self {
        LdapConnector { connect_timeout: Duration::from_secs(5), operation_timeout: Duration::from_secs(30) }
    }
}

impl LdapConnector {
    async fn connect(&self, source: &LdapSource) -> Result<Ldap, DirectoryError> {
        let settings = LdapConnSettings::new().set_conn_timeout(self.connect_timeout).set_starttls(source.starttls);
        let (conn, ldap) = LdapConnAsync::with_settings(settings, source.url.trim()).await.map_err(unavailable)?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Binds: `Ok(false)` if the server refuses the credentials.
    async fn bind_as(&self, ldap: &mut Ldap, dn: &str, password: &str) -> Result<bool, DirectoryError> {
        let result = ldap.with_timeout(self.operation_timeout).simple_bind(dn, password).await.map_err(unavailable)?;
        match result.rc {
            0 => Ok(true),
            RC_INVALID_CREDENTIALS => Ok(false),
            rc => Err(DirectoryError::Refused(format!("bind: result code {rc}: {}", result.text))),
        }
    }
}

/// A failure to reach the server or to hear from it in time.
fn unavailable(e: LdapError) -> DirectoryError {
    match e {
        LdapError::LdapResult { result } => {
            DirectoryError::Refused(format!("result code {}: {}", result.rc, result.text))
        }
        other => DirectoryError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl DirectoryConnector for LdapConnector {
    async fn search(
        &self,
        source: &LdapSource,
        base: &str,
        filter: &str,
        attrs: &[String],
        entries_max: usize,
    ) -> Result<Vec<DirEntry>, DirectoryError> {
        let mut ldap = self.connect(source).await?;
        if !self.bind_as(&mut ldap, &source.bind_dn, &source.bind_password).await? {
            return Err(DirectoryError::Refused("the service account's credentials".into()));
        }
        let mut wanted: Vec<String> = attrs.iter().filter(|a| !a.is_empty()).cloned().collect();
        let keys_only = wanted.iter().all(|a| a == "1.1");
        if !keys_only {
            // The stable keys are operational attributes: returned only when asked for.
            wanted.push("entryUUID".into());
            wanted.push("objectGUID".into());
        }
        let adapters: Vec<Box<dyn Adapter<_, _>>> =
            vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(PAGE_LEN))];
        let mut stream = ldap
            .with_timeout(self.operation_timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, wanted)
            .await
            .map_err(unavailable)?;
        let mut out = vec![];
        loop {
            let next = tokio::time::timeout(self.operation_timeout, stream.next())
                .await
                .map_err(|_| DirectoryError::Unavailable("search timed out".into()))?
                .map_err(unavailable)?;
            let Some(entry) = next else { break };
            if out.len() >= entries_max {
                return Err(DirectoryError::TooMany);
            }
            let entry = SearchEntry::construct(entry);
            let mut key = entry.attrs.get("entryUUID").and_then(|v| v.first()).cloned();
            if key.is_none() {
                key = entry
                    .bin_attrs
                    .get("objectGUID")
                    .and_then(|v| v.first())
                    .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect());
            }
            let attrs = entry.attrs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
            out.push(DirEntry { dn: entry.dn, key, attrs });
        }
        let result = stream.finish().await;
        if result.rc != 0 {
            return Err(DirectoryError::Refused(format!("search: result code {}: {}", result.rc, result.text)));
        }
        let _ = ldap.unbind().await;
        Ok(out)
    }

    async fn bind(&self, source: &LdapSource, dn: &str, password: &str) -> Result<bool, DirectoryError> {
        let mut ldap = self.connect(source).await?;
        let ok = self.bind_as(&mut ldap, dn, password).await?;
        let _ = ldap.unbind().await;
        Ok(ok)
    }
}
