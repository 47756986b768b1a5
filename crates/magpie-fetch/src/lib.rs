//! `HttpFetcher`, the core's [`LinkFetcher`]: it fetches the pages and images of link
//! previews, and is the one part of Magpie that opens connections to addresses a client names.
//!
//! What it will not do, whatever the URL or the site says:
//!
//! - connect to an address that is not public ([`addr::is_public`]: loopback, private,
//!   link-local, CGNAT, multicast, unspecified, documentation and reserved ranges, and the
//!   IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of those), unless the operator allowed
//!   its range ([`FetchConfig::private_ranges_allowed`], for tests and intranets). A name is
//!   resolved once per connection by [`CheckedResolver`], every address it resolves to is
//!   checked (one that is not public refuses the name), and the connection goes to the checked
//!   addresses, so a name that resolves differently a moment later (DNS rebinding) gains
//!   nothing. An address written in the URL is checked the same way before the request;
//! - follow more than [`FetchConfig::redirects_max`] redirects, each of them checked again
//!   (the URL's form by the core's [`UrlPolicy`], its address as above);
//! - read more than [`FetchConfig::page_bytes_max`] of a page (it parses what came) or the
//!   image bound of the core (more is refused), or take longer than
//!   [`FetchConfig::timeout`] for a whole fetch, redirects included;
//! - send cookies, credentials, a referrer, or go through a proxy from the environment; it
//!   asks for no compression (nothing is inflated), and says who it is in its `User-Agent`.

pub mod addr;
mod html;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::ports::LinkFetcher;
use magpie_core::previews::{FetchError, FetchedPage, UrlPolicy};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use url::{Host, Url};

pub use addr::IpRange;

/// The fetcher's rules, from the binary's configuration.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The core's policy for URLs, applied again at every redirect.
    pub policy: UrlPolicy,
    /// Ranges of addresses that are not public but may be fetched all the same (an intranet's
    /// wiki, a test's server on loopback). Empty by default.
    pub private_ranges_allowed: Vec<IpRange>,
    /// Redirects followed per fetch.
    pub redirects_max: usize,
    /// Bytes of a page read; the rest is not read (the tags that matter come first).
    pub page_bytes_max: u64,
    /// Time for a whole fetch: resolving, connecting, redirects and the body.
    pub timeout: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            policy: UrlPolicy::default(),
            private_ranges_allowed: vec![],
            redirects_max: 5,
            page_bytes_max: 512 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What the fetcher calls itself.
pub const USER_AGENT: &str = concat!("Magpie/", env!("CARGO_PKG_VERSION"), " (link preview)");

/// The [`LinkFetcher`] over HTTP(S), with reqwest on rustls.
pub struct HttpFetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
}

/// Why the client could not be built.
#[derive(Debug)]
pub struct BuildError(String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "link preview client: {}", self.0)
    }
}

impl std::error::Error for BuildError {}

impl HttpFetcher {
    pub fn new(config: FetchConfig) -> Result<HttpFetcher, BuildError> {
        let config = Arc::new(config);
        let resolver = CheckedResolver { config: config.clone() };
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(HttpFetcher { client, config })
    }

    /// Follows redirects from `url` to an answer that is not one, checking each hop, and
    /// answers that response and where it came from.
    async fn get(&self, url: &Url, accept: &'static str) -> Result<(reqwest::Response, Url), FetchError> {
        let mut url = url.clone();
        let mut redirects = 0;
        loop {
            self.check(&url)?;
            let response = self.client.get(url.clone()).header(ACCEPT, accept).send().await.map_err(failed)?;
            let status = response.status();
            if !status.is_redirection() {
                if !status.is_success() {
                    return Err(FetchError::Status(status.as_u16()));
                }
                return Ok((response, url));
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or(FetchError::Status(status.as_u16()))?;
            let mut next = url.join(location).map_err(|_| FetchError::Failed("a redirect to no URL".into()))?;
            next.set_fragment(None);
            redirects += 1;
            if redirects > self.config.redirects_max {
                return Err(FetchError::TooManyRedirects);
            }
            url = next;
        }
    }

    /// The URL's form by the policy, and an address written in it as an address.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        self.config.policy.check(url).map_err(|reason| FetchError::Refused(reason.into()))?;
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        match ip {
            Some(ip) if !allowed(&self.config, ip) => Err(FetchError::Refused(format!("{ip} is not a public address"))),
            _ => Ok(()),
        }
    }

    async fn deadline<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        tokio::time::timeout(self.config.timeout, work).await.unwrap_or(Err(FetchError::Timeout))
    }
}

#[async_trait]
impl LinkFetcher for HttpFetcher {
    async fn page(&self, url: &Url) -> Result<FetchedPage, FetchError> {
        self.deadline(async {
            let (response, found_at) = self.get(url, "text/html,application/xhtml+xml;q=0.9").await?;
            let content_type =
                response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if !matches!(essence.as_str(), "text/html" | "application/xhtml+xml") {
                return Err(FetchError::WrongType("HTML"));
            }
            let (body, _) = read_at_most(response, self.config.page_bytes_max).await?;
            let charset = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("charset="))
                .next()
                .map(|c| c.trim_matches('"').to_owned());
            let mut page = html::read(&body, charset.as_deref());
            page.url = Some(found_at);
            Ok(page)
        })
        .await
    }

    async fn image(&self, url: &Url, bytes_max: u64) -> Result<Vec<u8>, FetchError> {
        self.deadline(async {
            let (response, _) = self.get(url, "image/png,image/jpeg,image/webp,image/gif;q=0.9").await?;
            let declared = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > bytes_max) {
                return Err(FetchError::TooLarge);
            }
            match read_at_most(response, bytes_max).await? {
                (_, true) => Err(FetchError::TooLarge),
                (bytes, false) => Ok(bytes),
            }
        })
        .await
    }
}

/// Reads a body up to `bytes_max` bytes; `true` if there was more (which is not read).
async fn read_at_most(mut response: reqwest::Response, bytes_max: u64) -> Result<(Vec<u8>, bool), FetchError> {
    let max = usize::try_from(bytes_max).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn failed(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // The resolver's refusal travels inside reqwest's error: find it to say so.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return FetchError::Refused(refused.0.clone());
        }
        source = err.source();
    }
    FetchError::Failed(format!("{e:#}"))
}

/// May the fetcher connect to `ip`?
fn allowed(config: &FetchConfig, ip: IpAddr) -> bool {
    addr::is_public(ip) || config.private_ranges_allowed.iter().any(|range| range.contains(addr::canonical(ip)))
}

/// A name that resolves to an address the fetcher may not connect to.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves a name once for a connection and hands the connector only addresses it checked:
/// if any address the name resolves to is not public (and not allowed), the name is refused.
pub struct CheckedResolver {
    config: Arc<FetchConfig>,
}

impl CheckedResolver {
    /// A resolver for other clients of addresses that users name (Web Push endpoints): public
    /// addresses, and those in `private_ranges_allowed`.
    pub fn new(private_ranges_allowed: Vec<IpRange>) -> CheckedResolver {
        CheckedResolver { config: Arc::new(FetchConfig { private_ranges_allowed, ..FetchConfig::default() }) }
    }

    /// Whether a connection to `ip` is allowed: for an address written in a URL, which
    /// reqwest connects to without resolving.
    pub fn allows(&self, ip: IpAddr) -> bool {
        allowed(&self.config, ip)
    }
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let config = self.config.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err(Box::new(Refused(format!("{host} resolves to no address"))) as _);
            }
            if let Some(bad) = found.iter().find(|a| !allowed(&config, a.ip())) {
                let refused = Refused(format!("{host} resolves to {}, which is not a public address", bad.ip()));
                return Err(Box::new(refused) as _);
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}
