//! Link previews: what a web page says of itself (its title, description, site name and
//! image), fetched by the server so that clients never contact the third-party site.
//!
//! A client asks for the preview of a URL it shows ([`LinkPreviews::preview`]). The URL is
//! checked here by its form ([`normalize`], [`UrlPolicy`]); the network's rules (public
//! addresses only, redirects, size and time) are the [`LinkFetcher`]'s, which applies this
//! policy again at every redirect. A preview is cached by URL for every account of the
//! deployment ([`PreviewStore`]), failures too (for less time); one fetch per URL runs at a
//! time in a process, and the accounts that start fetches are rate-limited. The page's image
//! is fetched under the same rules and kept as a thumbnail the server made (a JPEG without
//! metadata), served by [`LinkPreviews::image`].

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;
use url::Url;

use crate::content::URL_BYTES_MAX;
use crate::files::{Files, RASTER_TYPES, detect_media_type, image_size};
use crate::model::Principal;
use crate::ports::{Counters, Limit, LinkFetcher, PreviewStore, Stores};
use crate::{Deps, Error, Result};

/// Longest title kept, in characters.
pub const TITLE_CHARS_MAX: usize = 256;
/// Longest description kept, in characters.
pub const DESCRIPTION_CHARS_MAX: usize = 512;
/// Longest site name kept, in characters.
pub const SITE_NAME_CHARS_MAX: usize = 128;
/// The side of the preview image's thumbnail, in pixels (one of the file thumbnails' sides).
pub const IMAGE_SIDE: u32 = 256;

/// What may be fetched, by the URL's form: checked before a fetch and at every redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPolicy {
    /// If not empty, only these hosts (and their subdomains) are previewed.
    pub hosts_allowed: Vec<String>,
    /// These hosts (and their subdomains) are never previewed.
    pub hosts_denied: Vec<String>,
    /// Ports a URL may name (or imply: 80 for http, 443 for https).
    pub ports_allowed: Vec<u16>,
}

impl Default for UrlPolicy {
    fn default() -> Self {
        UrlPolicy { hosts_allowed: vec![], hosts_denied: vec![], ports_allowed: vec![80, 443] }
    }
}

impl UrlPolicy {
    /// Why `url` may not be fetched, if it may not: not http or https, credentials in it, no
    /// host, a port not allowed, a host denied or not allowed.
    pub fn check(&self, url: &Url) -> Result<(), &'static str> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("only http and https links are previewed");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("links with credentials are not previewed");
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err("the link has no host");
        };
        let port = url.port_or_known_default().unwrap_or(0);
        if !self.ports_allowed.contains(&port) {
            return Err("links to this port are not previewed");
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let covers = |entry: &String| {
            let entry = entry.trim_end_matches('.').to_ascii_lowercase();
            !entry.is_empty() && (host == entry || host.strip_suffix(&entry).is_some_and(|rest| rest.ends_with('.')))
        };
        if self.hosts_denied.iter().any(covers) {
            return Err("links to this host are not previewed");
        }
        if !self.hosts_allowed.is_empty() && !self.hosts_allowed.iter().any(covers) {
            return Err("links to this host are not previewed");
        }
        Ok(())
    }
}

/// The URL a client asked about, as the cache knows it: parsed, at most [`URL_BYTES_MAX`]
/// bytes, without its fragment (which never reaches the server it names).
pub fn normalize(raw: &str) -> Result<Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::invalid("url", "must not be empty"));
    }
    if raw.len() > URL_BYTES_MAX {
        return Err(Error::too_large("url", URL_BYTES_MAX, crate::Unit::Bytes));
    }
    let mut url = Url::parse(raw).map_err(|e| Error::invalid("url", format!("not a URL: {e}")))?;
    url.set_fragment(None);
    if url.as_str().len() > URL_BYTES_MAX {
        return Err(Error::too_large("url", URL_BYTES_MAX, crate::Unit::Bytes));
    }
    Ok(url)
}

/// What an HTML page says of itself, as the fetcher read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchedPage {
    /// Where the page was found, after redirects: relative image URLs resolve against it.
    pub url: Option<Url>,
    /// The text of its `<title>`.
    pub title: Option<String>,
    /// Its `<meta>` tags: (`property` or `name`, lower-cased; `content`), in document order.
    pub metas: Vec<(String, String)>,
}

/// Why a fetch gave nothing. For the log: clients are told only that there is no preview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The policy refuses the URL or the address it leads to.
    #[error("refused: {0}")]
    Refused(String),
    #[error("the answer is larger than allowed")]
    TooLarge,
    #[error("timed out")]
    Timeout,
    #[error("answered with status {0}")]
    Status(u16),
    #[error("not {0}")]
    WrongType(&'static str),
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("{0}")]
    Failed(String),
}

/// A preview's image: a thumbnail the server made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewImage {
    pub width: u32,
    pub height: u32,
    pub blurhash: Option<String>,
    /// The SHA-256 of the thumbnail's JPEG, hex.
    pub sha256: String,
}

/// What a page says of itself, cleaned and bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewCard {
    pub title: Option<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    pub image: Option<PreviewImage>,
}

/// One URL's entry in the cache: its card, or `None` if the fetch gave none (cached for
/// less time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPreview {
    pub url: String,
    pub fetched_at_ms: i64,
    pub expires_at_ms: i64,
    pub card: Option<PreviewCard>,
}

/// A preview as a client gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    pub url: String,
    pub fetched_at_ms: i64,
    pub card: PreviewCard,
}

/// The outcome of one fetch, shared by every request that waited for it.
type Outcome = Option<Result<CachedPreview, String>>;

#[derive(Clone)]
pub struct LinkPreviews {
    deps: Arc<Deps>,
    store: Arc<dyn PreviewStore>,
    counters: Arc<dyn Counters>,
    files: Files,
    fetcher: Option<Arc<dyn LinkFetcher>>,
    /// Fetches running in this process, by URL: a second request for the same URL waits for
    /// the first's outcome. Bounded by `link_preview_fetches_max`.
    inflight: Arc<std::sync::Mutex<HashMap<String, watch::Receiver<Outcome>>>>,
}

const NO_PREVIEW: Error = Error::NotFound("link preview");

impl LinkPreviews {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, files: Files) -> LinkPreviews {
        LinkPreviews {
            deps,
            store: stores.previews.clone(),
            counters: stores.counters.clone(),
            files,
            fetcher: None,
            inflight: Arc::default(),
        }
    }

    pub(crate) fn with_fetcher(mut self, fetcher: Arc<dyn LinkFetcher>) -> LinkPreviews {
        self.fetcher = Some(fetcher);
        self
    }

    fn fetcher(&self) -> Result<&Arc<dyn LinkFetcher>> {
        match &self.fetcher {
            Some(fetcher) if self.deps.settings.link_previews_enabled => Ok(fetcher),
            _ => Err(Error::Forbidden),
        }
    }

    /// The URL as the cache keys it, if the policy lets it be previewed.
    fn checked(&self, raw: &str) -> Result<Url> {
        let url = normalize(raw)?;
        self.deps.settings.link_preview_policy.check(&url).map_err(|reason| Error::invalid("url", reason))?;
        Ok(url)
    }

    /// The preview of `raw` (a URL), from the cache or fetched now. `not_found` if the page
    /// gave none (unreachable, refused by the network's rules, not HTML, nothing to show);
    /// `forbidden` if previews are off.
    pub async fn preview(&self, caller: &Principal, raw: &str) -> Result<LinkPreview> {
        self.fetcher()?;
        let url = self.checked(raw)?;
        let key = url.as_str().to_owned();
        let now = self.deps.clock.now_ms();
        if let Some(cached) = self.store.link_preview(&key).await?
            && cached.expires_at_ms > now
        {
            return answer(cached);
        }
        let mut outcome = match self.joined(&key) {
            Some(outcome) => outcome,
            None => {
                let limit = Limit {
                    name: "link_previews_per_account",
                    events_max: self.deps.settings.link_previews_per_account_per_min_max,
                    window_ms: 60_000,
                };
                let account = caller.account.id.0.to_string();
                if let Err(retry_after_secs) = self.counters.hit(limit, &account, now).await {
                    return Err(Error::RateLimited { retry_after_secs });
                }
                self.lead(url)?
            }
        };
        let done = outcome.wait_for(Option::is_some).await.map_err(|_| Error::Internal("preview fetch".into()))?;
        match done.clone() {
            Some(Ok(cached)) => answer(cached),
            Some(Err(e)) => Err(Error::Internal(format!("link preview: {e}"))),
            None => Err(Error::Internal("link preview: no outcome".into())),
        }
    }

    /// The outcome of a fetch of `key` already running in this process, if one is.
    fn joined(&self, key: &str) -> Option<watch::Receiver<Outcome>> {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    /// Starts fetching `url` (or joins a fetch that started meanwhile), in a task of its own
    /// so that a request that goes away does not cancel it for those waiting with it.
    fn lead(&self, url: Url) -> Result<watch::Receiver<Outcome>> {
        let key = url.as_str().to_owned();
        let (sender, receiver) = watch::channel(None);
        {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(running) = inflight.get(&key) {
                return Ok(running.clone());
            }
            if inflight.len() >= self.deps.settings.link_preview_fetches_max.max(1) {
                return Err(Error::Unavailable("too many link previews are being fetched; retry shortly"));
            }
            inflight.insert(key.clone(), receiver.clone());
        }
        let this = self.clone();
        tokio::spawn(async move {
            let cached = this.fetch(&url).await;
            let stored = match cached {
                Ok((cached, jpeg)) => match this.store.put_link_preview(&cached, jpeg.as_deref()).await {
                    Ok(()) => Ok(cached),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            this.inflight.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            let _ = sender.send(Some(stored));
        });
        Ok(receiver)
    }

    /// Fetches a page and its image, and makes the cache's entry: a card (with the image's
    /// JPEG) or, if the page gave nothing to show, an entry that says so for a shorter time.
    async fn fetch(&self, url: &Url) -> Result<(CachedPreview, Option<Vec<u8>>)> {
        let settings = &self.deps.settings;
        let fetcher = self.fetcher()?.clone();
        let fetched_at_ms = self.deps.clock.now_ms();
        let failed = CachedPreview {
            url: url.as_str().to_owned(),
            fetched_at_ms,
            expires_at_ms: fetched_at_ms
                .saturating_add(crate::settings::millis(settings.link_preview_failure_ttl_secs)),
            card: None,
        };
        let page = match fetcher.page(url).await {
            Ok(page) => page,
            Err(e) => {
                tracing::info!(url = %url, error = %e, "no link preview");
                return Ok((failed, None));
            }
        };
        let (mut card, image_url) = card(&page, url);
        let mut jpeg = None;
        if let Some(image_url) = image_url {
            match self.image_of(&fetcher, &image_url).await? {
                Some((image, bytes)) => {
                    card.image = Some(image);
                    jpeg = Some(bytes);
                }
                None => tracing::debug!(url = %image_url, "link preview without its image"),
            }
        }
        if card.title.is_none() && card.description.is_none() && card.image.is_none() {
            tracing::info!(url = %url, "no link preview: the page says nothing of itself");
            return Ok((failed, None));
        }
        let expires_at_ms = fetched_at_ms.saturating_add(crate::settings::millis(settings.link_preview_ttl_secs));
        Ok((CachedPreview { url: url.as_str().to_owned(), fetched_at_ms, expires_at_ms, card: Some(card) }, jpeg))
    }

    /// Fetches a page's image under the same rules and makes its thumbnail; `None` if it
    /// cannot be had or is not a raster image this server decodes.
    async fn image_of(&self, fetcher: &Arc<dyn LinkFetcher>, url: &Url) -> Result<Option<(PreviewImage, Vec<u8>)>> {
        let settings = &self.deps.settings;
        if settings.link_preview_policy.check(url).is_err() {
            return Ok(None);
        }
        let bytes = match fetcher.image(url, settings.link_preview_image_bytes_max).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::debug!(url = %url, error = %e, "no image for a link preview");
                return Ok(None);
            }
        };
        let head = &bytes[..bytes.len().min(crate::files::SNIFF_BYTES)];
        let media_type = detect_media_type(head);
        if !RASTER_TYPES.contains(&media_type.as_str()) {
            return Ok(None);
        }
        match image_size(&media_type, &bytes) {
            Some((w, h)) if u64::from(w) * u64::from(h) <= settings.image_pixels_max => {}
            _ => return Ok(None),
        }
        let Some(processed) = self.files.process_image(bytes).await? else { return Ok(None) };
        let Some(thumbnail) = processed.thumbnails.into_iter().find(|t| t.side == IMAGE_SIDE) else {
            return Ok(None);
        };
        let sha256 = crate::files::sha256_hex(&thumbnail.jpeg);
        let image =
            PreviewImage { width: thumbnail.width, height: thumbnail.height, blurhash: processed.blurhash, sha256 };
        Ok(Some((image, thumbnail.jpeg)))
    }

    /// The image at `url` (an `https://` URL an interactive card shows), as a JPEG the server
    /// made and its SHA-256 (hex): fetched under the link previews' rules (public addresses,
    /// the size bounds, raster images only) the first time, and kept as long as a preview is, so
    /// that clients never contact the image's site. `not_found` if it cannot be had (kept as
    /// long as a failed preview is). The caller has checked that the card is the caller's to see.
    pub(crate) async fn card_image(&self, caller: &Principal, url: &str) -> Result<(Vec<u8>, String)> {
        const NO_IMAGE: Error = Error::NotFound("image");
        let fetcher = self.fetcher()?.clone();
        let url = self.checked(url)?;
        // Kept beside the previews, under a key no page's URL has.
        let key = format!("card-image:{url}");
        let now = self.deps.clock.now_ms();
        if let Some(jpeg) = self.store.link_preview_image(&key).await? {
            let sha256 = crate::files::sha256_hex(&jpeg);
            return Ok((jpeg, sha256));
        }
        if self.store.link_preview(&key).await?.is_some_and(|c| c.expires_at_ms > now) {
            return Err(NO_IMAGE);
        }
        // A fetch counts against the caller as a link preview's does.
        let limit = Limit {
            name: "link_previews_per_account",
            events_max: self.deps.settings.link_previews_per_account_per_min_max,
            window_ms: 60_000,
        };
        if let Err(retry_after_secs) = self.counters.hit(limit, &caller.account.id.0.to_string(), now).await {
            return Err(Error::RateLimited { retry_after_secs });
        }
        let settings = &self.deps.settings;
        let got = self.image_of(&fetcher, &url).await?;
        let ttl_secs =
            if got.is_some() { settings.link_preview_ttl_secs } else { settings.link_preview_failure_ttl_secs };
        let card = got.as_ref().map(|(image, _)| PreviewCard {
            title: None,
            description: None,
            site_name: None,
            image: Some(image.clone()),
        });
        let expires_at_ms = now.saturating_add(crate::settings::millis(ttl_secs));
        let cached = CachedPreview { url: key, fetched_at_ms: now, expires_at_ms, card };
        self.store.put_link_preview(&cached, got.as_ref().map(|(_, jpeg)| jpeg.as_slice())).await?;
        let (image, jpeg) = got.ok_or(NO_IMAGE)?;
        Ok((jpeg, image.sha256))
    }

    /// The image of the cached preview of `raw`: its JPEG and the JPEG's SHA-256 (hex).
    /// Nothing is fetched: `not_found` unless a preview with an image is cached.
    pub async fn image(&self, _caller: &Principal, raw: &str) -> Result<(Vec<u8>, String)> {
        self.fetcher()?;
        let url = self.checked(raw)?;
        let jpeg = self.store.link_preview_image(url.as_str()).await?.ok_or(NO_PREVIEW)?;
        let sha256 = crate::files::sha256_hex(&jpeg);
        Ok((jpeg, sha256))
    }

    /// Deletes expired previews, a batch at a time; returns how many.
    pub async fn prune(&self) -> Result<u64> {
        const BATCH: usize = 1000;
        let now = self.deps.clock.now_ms();
        let mut pruned = 0;
        loop {
            let n = self.store.prune_link_previews(now, BATCH).await?;
            pruned += n;
            if n < BATCH as u64 {
                return Ok(pruned);
            }
        }
    }
}

fn answer(cached: CachedPreview) -> Result<LinkPreview> {
    let card = cached.card.ok_or(NO_PREVIEW)?;
    Ok(LinkPreview { url: cached.url, fetched_at_ms: cached.fetched_at_ms, card })
}

/// The card a page's tags make, and the URL of its image: OpenGraph first, then Twitter's
/// tags, then the page's `<title>` and `description`; the site name falls back to the host.
pub fn card(page: &FetchedPage, asked: &Url) -> (PreviewCard, Option<Url>) {
    let meta = |names: &[&str]| {
        names.iter().find_map(|name| {
            page.metas.iter().find(|(n, c)| n == name && !c.trim().is_empty()).map(|(_, c)| c.as_str())
        })
    };
    let base = page.url.as_ref().unwrap_or(asked);
    let title = meta(&["og:title", "twitter:title"]).or(page.title.as_deref()).and_then(|t| clean(t, TITLE_CHARS_MAX));
    let description =
        meta(&["og:description", "twitter:description", "description"]).and_then(|d| clean(d, DESCRIPTION_CHARS_MAX));
    let site_name = meta(&["og:site_name", "application-name"])
        .and_then(|s| clean(s, SITE_NAME_CHARS_MAX))
        .or_else(|| base.host_str().map(|h| h.trim_start_matches("www.").to_owned()));
    let image = meta(&["og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"])
        .and_then(|src| base.join(decode_entities(src.trim()).as_str()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    (PreviewCard { title, description, site_name, image: None }, image)
}

/// Text from a page as a label: entities decoded, whitespace collapsed, control and
/// direction-changing characters gone, at most `chars_max` characters (an ellipsis marks a
/// cut). `None` if nothing is left.
pub fn clean(text: &str, chars_max: usize) -> Option<String> {
    let decoded = decode_entities(text);
    let mut out = String::with_capacity(decoded.len().min(chars_max * 4));
    let mut count = 0;
    for word in decoded.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|&c| !c.is_control() && (!crate::names::is_format(c) || matches!(c, '\u{200C}' | '\u{200D}')))
            .collect();
        if word.is_empty() {
            continue;
        }
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= chars_max {
                out.pop();
                out.push('…');
                return Some(out);
            }
            out.push(c);
            count += 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Decodes the character references pages put in titles and attributes: the five of XML,
/// `&nbsp;`, and numeric ones. Others stay as they are.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_policy_refuses_other_schemes_credentials_ports_and_listed_hosts() {
        let policy = UrlPolicy {
            hosts_allowed: vec![],
            hosts_denied: vec!["intra.example".into()],
            ports_allowed: vec![80, 443, 8080],
        };
        assert!(policy.check(&url("https://example.com/a")).is_ok());
        assert!(policy.check(&url("http://example.com:8080/a")).is_ok());
        assert!(policy.check(&url("ftp://example.com/a")).is_err());
        assert!(policy.check(&url("file:///etc/passwd")).is_err());
        assert!(policy.check(&url("https://user:pw@example.com/")).is_err());
        assert!(policy.check(&url("https://example.com:22/")).is_err());
        assert!(policy.check(&url("https://intra.example/")).is_err());
        assert!(policy.check(&url("https://wiki.INTRA.example./")).is_err());
        assert!(policy.check(&url("https://notintra.example/")).is_ok());
        let only = UrlPolicy { hosts_allowed: vec!["example.com".into()], ..UrlPolicy::default() };
        assert!(only.check(&url("https://docs.example.com/")).is_ok());
        assert!(only.check(&url("https://example.org/")).is_err());
    }

    #[test]
    fn urls_are_bounded_and_lose_their_fragment() {
        assert_eq!(normalize(" https://example.com/a#b ").unwrap().as_str(), "https://example.com/a");
        assert!(matches!(normalize(""), Err(Error::InvalidField { ref field, .. }) if field == "url"));
        assert!(matches!(normalize("not a url"), Err(Error::InvalidField { ref field, .. }) if field == "url"));
        let long = format!("https://example.com/{}", "a".repeat(URL_BYTES_MAX));
        assert!(matches!(normalize(&long), Err(Error::TooLarge { field: "url", .. })));
    }

    #[test]
    fn cards_prefer_opengraph_then_twitter_then_the_page() {
        let page = FetchedPage {
            url: Some(url("https://www.example.com/post/1")),
            title: Some("  Page &amp; title ".into()),
            metas: vec![
                ("description".into(), "plain description".into()),
                ("twitter:title".into(), "Twitter title".into()),
                ("og:image".into(), "/img/a.png?x=1&amp;y=2".into()),
            ],
        };
        let (made, image) = card(&page, &url("https://example.com/p"));
        assert_eq!(made.title.as_deref(), Some("Twitter title"));
        assert_eq!(made.description.as_deref(), Some("plain description"));
        assert_eq!(made.site_name.as_deref(), Some("example.com"));
        assert_eq!(image.unwrap().as_str(), "https://www.example.com/img/a.png?x=1&y=2");
        let bare = FetchedPage { url: None, title: Some("A &lt;b&gt; &#x4e2d;&#25991;".into()), metas: vec![] };
        let (made, image) = card(&bare, &url("https://example.com/p"));
        assert_eq!(made.title.as_deref(), Some("A <b> 中文"));
        assert!(image.is_none());
    }

    #[test]
    fn labels_are_cleaned_and_cut() {
        assert_eq!(clean(" a\n\t b\u{202e}c ", 100).as_deref(), Some("a bc"));
        assert_eq!(clean("abcdef", 4).as_deref(), Some("abc…"));
        assert_eq!(clean(" \u{0} ", 4), None);
    }
}
