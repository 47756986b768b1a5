//! Link previews, against a web site of the test's own on loopback: what a page says of
//! itself reaches clients, fetched once and shared; loopback and other private addresses are
//! refused by default, after redirects too; redirects, time and size are bounded; the
//! accounts that fetch are rate-limited; previews can be turned off.

use std::collections::HashMap;
use std::sync::Arc;

use magpie_client::wire::ErrorCode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::harness::{EVENTUALLY, TestServer};

/// What the site saw: each request's path and headers, and connections the client closed
/// while the site was still answering (or holding) them.
#[derive(Debug, Default, Clone)]
struct Seen {
    requests: Vec<(String, HashMap<String, String>)>,
    hung_up: Vec<String>,
}

/// A small web site on a loopback address: pages with OpenGraph tags, an image, redirects,
/// a page that never answers and one that never ends.
struct Site {
    addr: std::net::SocketAddr,
    seen: watch::Receiver<Seen>,
}

impl Site {
    async fn start(ip: &str) -> Site {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, seen) = watch::channel(Seen::default());
        let tx = Arc::new(tx);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, addr, tx.clone()));
            }
        });
        Site { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self, path: &str) -> usize {
        self.seen.borrow().requests.iter().filter(|(p, _)| p == path).count()
    }

    /// Waits until the client hung up on `path`.
    async fn until_hung_up(&mut self, path: &str) {
        let wait = self.seen.wait_for(|s| s.hung_up.iter().any(|p| p == path));
        tokio::time::timeout(EVENTUALLY, wait).await.expect("the client hangs up").unwrap();
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut png = Vec::new();
    pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png)).unwrap();
    png
}

const PAGE: &str = r#"<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="喜鹊 &amp; friends">
<meta property="og:description" content="A page about magpies.">
<meta property="og:site_name" content="Magpie Test Site">
<meta property="og:image" content="/img.png">
</head><body><p>Hello</p></body></html>"#;

async fn serve(socket: TcpStream, addr: std::net::SocketAddr, seen: Arc<watch::Sender<Seen>>) {
    let mut reader = BufReader::new(socket);
    let mut line = String::new();
    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await.unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    seen.send_modify(|s| s.requests.push((path.clone(), headers)));
    let mut socket = reader.into_inner();
    let html = |body: &str| {
        format!("HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
            .into_bytes()
    };
    let redirect = |to: &str| {
        format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes()
    };
    let answer = match path.as_str() {
        "/slow" => {
            // Never answers: waits for the client to hang up.
            let mut rest = [0u8; 64];
            while socket.read(&mut rest).await.map(|n| n > 0).unwrap_or(false) {}
            seen.send_modify(|s| s.hung_up.push(path.clone()));
            return;
        }
        "/endless" => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n\
                        <html><head><meta property=\"og:title\" content=\"A page without end\"></head><body>";
            if socket.write_all(head.as_bytes()).await.is_ok() {
                let filler = "<p>more</p>".repeat(1000);
                while socket.write_all(filler.as_bytes()).await.is_ok() {}
            }
            seen.send_modify(|s| s.hung_up.push(path.clone()));
            return;
        }
        "/img.png" => {
            let body = png(640, 320);
            let mut r = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend(body);
            r
        }
        "/huge.png" => {
            // Noise, which compresses badly: far over the test's image bound.
            let noise = image::RgbImage::from_fn(600, 600, |x, y| {
                let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).rotate_left(x % 17) as u8;
                image::Rgb([v, v.wrapping_mul(3), v ^ 0x5a])
            });
            let mut body = Vec::new();
            noise.write_with_encoder(image::codecs::png::PngEncoder::new(&mut body)).unwrap();
            assert!(body.len() > 100_000);
            let mut r = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend(body);
            r
        }
        "/huge-image" => html(&PAGE.replace("/img.png", "/huge.png")),
        "/plain.txt" => {
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"
                .to_vec()
        }
        "/to-private" => redirect(&format!("http://127.0.0.2:{}/page", addr.port())),
        "/to-mapped" => redirect(&format!("http://[::ffff:127.0.0.2]:{}/page", addr.port())),
        "/loop" => redirect("/loop"),
        "/hop" => redirect("/page?from=hop"),
        p if p.starts_with("/page") => html(PAGE),
        _ => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    };
    let _ = socket.write_all(&answer).await;
    let _ = socket.shutdown().await;
}

/// Settings that let the server reach the site on 127.0.0.1 (and nothing else private).
fn allowing(site: &Site) -> Vec<(&'static str, String)> {
    vec![
        ("MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED", "127.0.0.1/32".to_owned()),
        ("MAGPIE_LINK_PREVIEW_PORTS_ALLOWED", format!("80,443,{}", site.addr.port())),
    ]
}

async fn start(env: &[(&'static str, String)]) -> TestServer {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestServer::start_with(&env).await
}

#[tokio::test]
async fn a_page_is_previewed_from_its_tags_fetched_once_and_shared_by_every_account() {
    let site = Site::start("127.0.0.1").await;
    let server = start(&allowing(&site)).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let url = site.url("/page");

    // Several accounts asking at once, and again later: the site is asked once.
    let asks = (0..4).map(|i| {
        let client = if i % 2 == 0 { alice.client.clone() } else { bob.client.clone() };
        let url = url.clone();
        tokio::spawn(async move { client.link_preview(&url).await })
    });
    for ask in asks {
        let preview = ask.await.unwrap().unwrap();
        assert_eq!(preview.url, url);
        assert_eq!(preview.title.as_deref(), Some("喜鹊 & friends"));
        assert_eq!(preview.description.as_deref(), Some("A page about magpies."));
        assert_eq!(preview.site_name.as_deref(), Some("Magpie Test Site"));
        let image = preview.image.expect("the page's image");
        assert_eq!((image.width, image.height), (256, 128), "a thumbnail the server made");
    }
    let again = bob.client.link_preview(&format!("{url}#section")).await.unwrap();
    assert_eq!(again.url, url, "the fragment never reaches the site");
    assert_eq!((site.hits("/page"), site.hits("/img.png")), (1, 1), "one fetch, shared");

    // The image comes from the server, a JPEG of its own.
    let jpeg = alice.client.link_preview_image(&url).await.unwrap();
    assert!(jpeg.starts_with(&[0xff, 0xd8]), "a JPEG");
    assert_eq!(site.hits("/img.png"), 1);

    // It said who it is, and sent no cookies or credentials.
    let seen = site.seen.borrow().clone();
    for (_, headers) in &seen.requests {
        assert!(headers.get("user-agent").is_some_and(|ua| ua.starts_with("Magpie/")), "{headers:?}");
        assert!(!headers.contains_key("cookie") && !headers.contains_key("authorization"), "{headers:?}");
        assert!(!headers.contains_key("referer"));
    }

    // A redirect within the allowed range is followed; a page that is not HTML has no preview.
    let hop = alice.client.link_preview(&site.url("/hop")).await.unwrap();
    assert_eq!(hop.title.as_deref(), Some("喜鹊 & friends"));
    assert_eq!(site.hits("/page?from=hop"), 1);
    let text = alice.client.link_preview(&site.url("/plain.txt")).await.unwrap_err();
    assert_eq!(text.code(), Some(ErrorCode::NotFound));
    let none = alice.client.link_preview_image(&site.url("/plain.txt")).await.unwrap_err();
    assert_eq!(none.code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn loopback_and_other_private_addresses_are_refused_by_default_and_bad_links_are_typed_errors() {
    let site = Site::start("127.0.0.1").await;
    let port = site.addr.port();
    let server = start(&[("MAGPIE_LINK_PREVIEW_PORTS_ALLOWED", format!("80,443,{port}"))]).await;
    let alice = server.user("alice").await;
    for url in [
        site.url("/page"),
        format!("http://localhost:{port}/page"),
        format!("http://[::ffff:127.0.0.1]:{port}/page"),
        format!("http://[::1]:{port}/page"),
        format!("http://0.0.0.0:{port}/page"),
        format!("http://2130706433:{port}/page"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://100.64.0.1/".to_owned(),
    ] {
        let err = alice.client.link_preview(&url).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::NotFound), "{url}: {err:?}");
    }
    assert!(site.seen.borrow().requests.is_empty(), "the site on loopback was never reached");

    for (url, code) in [
        ("ftp://example.com/file".to_owned(), ErrorCode::InvalidField),
        ("file:///etc/passwd".to_owned(), ErrorCode::InvalidField),
        ("https://user:secret@example.com/".to_owned(), ErrorCode::InvalidField),
        ("https://example.com:22/".to_owned(), ErrorCode::InvalidField),
        ("not a link".to_owned(), ErrorCode::InvalidField),
        (format!("https://example.com/{}", "a".repeat(2048)), ErrorCode::TooLarge),
    ] {
        let err = alice.client.link_preview(&url).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{url}: {err:?}");
    }
    let (status, _) = alice.client.raw(reqwest::Method::GET, "/v1/link-preview", None, None).await.unwrap();
    assert_eq!(status, 400, "a request without a url");
    let (status, _) = server
        .anonymous()
        .raw(reqwest::Method::GET, "/v1/link-preview?url=https%3A%2F%2Fexample.com", None, None)
        .await
        .unwrap();
    assert_eq!(status, 401, "previews are for accounts");
}

#[tokio::test]
async fn redirects_to_private_addresses_redirect_loops_slow_and_endless_pages_and_big_images_are_bounded() {
    let mut site = Site::start("127.0.0.1").await;
    let other = Site::start("127.0.0.2").await;
    let mut env = allowing(&site);
    env[1].1 = format!("80,443,{},{}", site.addr.port(), other.addr.port());
    env.extend([
        ("MAGPIE_LINK_PREVIEW_REDIRECTS_MAX", "3".to_owned()),
        ("MAGPIE_LINK_PREVIEW_FETCH_TIMEOUT_SECS", "2".to_owned()),
        ("MAGPIE_LINK_PREVIEW_PAGE_BYTES_MAX", "65536".to_owned()),
        ("MAGPIE_LINK_PREVIEW_IMAGE_BYTES_MAX", "100000".to_owned()),
    ]);
    let server = start(&env).await;
    let alice = server.user("alice").await;
    let not_found = |r: Result<magpie_client::wire::LinkPreview, magpie_client::Error>| r.unwrap_err().code();

    // A public-looking start that redirects to another loopback address (not allowed).
    for path in ["/to-private", "/to-mapped"] {
        assert_eq!(not_found(alice.client.link_preview(&site.url(path)).await), Some(ErrorCode::NotFound), "{path}");
        assert_eq!(site.hits(path), 1);
    }
    assert!(other.seen.borrow().requests.is_empty(), "127.0.0.2 was never reached");

    // Redirects stop at the bound: the first request and three redirects.
    assert_eq!(not_found(alice.client.link_preview(&site.url("/loop")).await), Some(ErrorCode::NotFound));
    assert_eq!(site.hits("/loop"), 4);

    // A page that never answers: the fetch gives up and hangs up.
    assert_eq!(not_found(alice.client.link_preview(&site.url("/slow")).await), Some(ErrorCode::NotFound));
    site.until_hung_up("/slow").await;
    // The failure is cached: asking again fetches nothing.
    assert_eq!(not_found(alice.client.link_preview(&site.url("/slow")).await), Some(ErrorCode::NotFound));
    assert_eq!(site.hits("/slow"), 1);

    // A page that never ends: read up to the bound, its tags kept.
    let endless = alice.client.link_preview(&site.url("/endless")).await.unwrap();
    assert_eq!(endless.title.as_deref(), Some("A page without end"));
    site.until_hung_up("/endless").await;

    // An image larger than the bound is left out; the rest of the preview stays.
    let big = alice.client.link_preview(&site.url("/huge-image")).await.unwrap();
    assert_eq!(big.title.as_deref(), Some("喜鹊 & friends"));
    assert!(big.image.is_none());
    assert_eq!(site.hits("/huge.png"), 1);
}

#[tokio::test]
async fn fetches_are_rate_limited_per_account_and_previews_can_be_turned_off_or_hosts_denied() {
    let site = Site::start("127.0.0.1").await;
    let mut env = allowing(&site);
    env.push(("MAGPIE_LINK_PREVIEW_FETCHES_PER_ACCOUNT_PER_MIN_MAX", "2".to_owned()));
    let mut server = start(&env).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.client.link_preview(&site.url("/page?1")).await.unwrap();
    alice.client.link_preview(&site.url("/page?2")).await.unwrap();
    let err = alice.client.link_preview(&site.url("/page?3")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
    assert_eq!(site.hits("/page?3"), 0);
    alice.client.link_preview(&site.url("/page?1")).await.expect("the cache costs nothing");
    bob.client.link_preview(&site.url("/page?3")).await.expect("another account has its own budget");

    let mut denied = env.clone();
    denied.push(("MAGPIE_LINK_PREVIEW_HOSTS_DENIED", "127.0.0.1".to_owned()));
    let denied: Vec<(&str, &str)> = denied.iter().map(|(k, v)| (*k, v.as_str())).collect();
    server.restart_with(&denied).await;
    let alice = server.login("alice@localhost").await;
    let err = alice.client.link_preview(&site.url("/page?4")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));

    let mut off = env.clone();
    off.push(("MAGPIE_LINK_PREVIEWS", "false".to_owned()));
    let off: Vec<(&str, &str)> = off.iter().map(|(k, v)| (*k, v.as_str())).collect();
    server.restart_with(&off).await;
    let alice = server.login("alice@localhost").await;
    let err = alice.client.link_preview(&site.url("/page?5")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    let err = alice.client.link_preview_image(&site.url("/page?1")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert_eq!(site.hits("/page?4") + site.hits("/page?5"), 0);
}
