//! Denial of service and abuse, tried as an attacker would: each test is one finding of the
//! hardening review, against the real server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use magpie_client::wire::{ErrorCode, close_code};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{EVENTUALLY, FAST, PASSWORD, PROMPTLY, TestServer};

fn socket_addr(server: &TestServer) -> SocketAddr {
    server.url.strip_prefix("http://").and_then(|a| a.parse().ok()).unwrap()
}

/// Resolves once the server closes `stream` (end of stream or reset); panics after
/// [`EVENTUALLY`].
async fn closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the socket open for {EVENTUALLY:?}"),
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_and_a_slowloris_do_not_lock_out_a_client_that_logs_in() {
    // The server may hold 1,024 files, the usual default; the attacker opens more sockets than
    // that, from five addresses, and never sends a byte on them.
    rlimit::increase_nofile_limit(8192).unwrap();
    let mut env = FAST.to_vec();
    env.push(("MAGPIE_HEADER_READ_TIMEOUT_SECS", "2"));
    let server = TestServer::start_with_open_files(1024, &env).await;
    let account = server.create("alice", &[]).await;
    let addr = socket_addr(&server);
    let mut idle = Vec::with_capacity(1100);
    for i in 0..1100usize {
        let socket = TcpSocket::new_v4().unwrap();
        let from = Ipv4Addr::new(127, 0, 0, 2 + (i % 5) as u8);
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        idle.push(socket.connect(addr).await.unwrap());
    }
    // A slowloris: half a request head, then nothing.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: magpie\r\nX-Slow: ").await.unwrap();

    let login = tokio::time::timeout(PROMPTLY, server.anonymous().login(&account, PASSWORD)).await;
    assert!(login.expect("the login did not finish within 1 s").is_ok());
    let health = tokio::time::timeout(PROMPTLY, reqwest::get(format!("{}/healthz", server.url))).await;
    assert_eq!(health.expect("/healthz did not answer within 1 s").unwrap().status(), 200);

    // The half-sent head runs out of time, and the oldest idle sockets were closed for room.
    closed_by_server(&mut slow).await;
    closed_by_server(&mut idle[0]).await;
}

#[tokio::test]
async fn a_socket_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = TestServer::start_with(&[("MAGPIE_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut silent = TcpStream::connect(socket_addr(&server)).await.unwrap();
    closed_by_server(&mut silent).await;
    // A kept-alive connection that goes quiet after a request is closed the same way.
    let mut kept = TcpStream::connect(socket_addr(&server)).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: magpie\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 12];
    kept.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    closed_by_server(&mut kept).await;
}

#[tokio::test]
async fn pings_paced_a_millisecond_apart_are_cut_off() {
    let server = TestServer::start_with(&[("MAGPIE_WS_FRAMES_PER_SEC_MAX", "20")]).await;
    let alice = server.user("alice").await;
    let (mut sink, mut stream) = server.raw_websocket(&alice.login.token).await.split();
    let reader = tokio::spawn(async move {
        let mut pongs = 0u32;
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Pong(_) => pongs += 1,
                Message::Close(frame) => return (pongs, frame.map(|f| u16::from(f.code))),
                _ => {}
            }
        }
        (pongs, None)
    });
    // One ping a millisecond: fifty times the budget, but never two at once.
    let mut pace = tokio::time::interval(Duration::from_millis(1));
    let mut sent = 0u32;
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while !reader.is_finished() && tokio::time::Instant::now() < deadline {
        pace.tick().await;
        if sink.send(Message::Ping(Default::default())).await.is_err() {
            break;
        }
        sent += 1;
    }
    let (pongs, code) = tokio::time::timeout(EVENTUALLY, reader).await.unwrap().unwrap();
    assert_eq!(code, Some(close_code::RATE_LIMITED), "{sent} pings, {pongs} pongs");
    // The burst (twice the rate) and what it earns meanwhile are answered, nothing past it.
    assert!(pongs <= 60, "{pongs} of {sent} pings were answered");
}

#[tokio::test]
async fn websockets_are_bounded_per_account_and_per_address() {
    let mut env = FAST.to_vec();
    env.extend([("MAGPIE_WS_CONNECTIONS_PER_ACCOUNT_MAX", "3"), ("MAGPIE_WS_CONNECTIONS_PER_IP_MAX", "5")]);
    let server = TestServer::start_with(&env).await;
    // Alice's two devices share the account's three connections.
    let laptop = server.user("alice").await;
    let phone = server.login(&laptop.account).await;
    let mut alice = vec![laptop.connect().await, laptop.connect().await, phone.connect().await];
    let err = phone.client.connect().await.err().unwrap();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded), "{err}");

    // Bob, from the same address, gets the two places the address has left.
    let bob = server.user("bob").await;
    let _bob = [bob.connect().await, bob.connect().await];
    let err = bob.client.connect().await.err().unwrap();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded), "{err}");

    // A closed connection gives its place back.
    let first = alice.remove(0);
    first.close().await.unwrap();
    drop(first);
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        match bob.client.connect().await {
            Ok(_) => break,
            Err(e) if e.code() == Some(ErrorCode::LimitExceeded) && tokio::time::Instant::now() < deadline => {
                tokio::task::yield_now().await;
            }
            Err(e) => panic!("the freed place was not given back: {e}"),
        }
    }
}

/// A 16-bit RGB PNG of `side`×`side` black pixels: a few hundred KiB that decode to
/// `side² × 6` bytes. Streamed row by row, so the test never holds the pixels.
fn heavy_png(side: u32) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.set_compression(png::Compression::Fastest);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; side as usize * 6];
        for _ in 0..side {
            stream.write_all(&row).unwrap();
        }
        stream.finish().unwrap();
    }
    out
}

/// The server's resident memory now and at its peak, in bytes (`/proc/PID/status`).
fn server_memory(server: &TestServer) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let kib = |key: &str| {
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_heavy_pngs_at_once_are_shrunk_row_by_row() {
    // A budget far below one whole decode (294 MB): the PNGs still get their thumbnails.
    const BUDGET_MIB: u64 = 160;
    let budget = BUDGET_MIB.to_string();
    let server = TestServer::start_with(&[("MAGPIE_IMAGE_DECODE_MEMORY_MIB_MAX", &budget)]).await;
    let alice = server.user("alice").await;
    let png = heavy_png(7000);
    assert!(png.len() < 4 << 20, "{} bytes", png.len());
    let (before, _) = server_memory(&server);
    let uploads = (0..8).map(|i| {
        let (client, png) = (alice.client.clone(), png.clone());
        tokio::spawn(async move { client.upload(&png, Some(&format!("heavy-{i}.png")), 1 << 20).await })
    });
    for upload in futures_util::future::join_all(uploads).await {
        let id = upload.unwrap().unwrap();
        let info = alice.client.file_info(&id).await.unwrap();
        assert_eq!((info.width, info.height), (Some(7000), Some(7000)));
        assert_eq!(info.thumbnails.len(), 2, "each still gets its thumbnails");
    }
    let (_, peak) = server_memory(&server);
    // A whole decode holds 294 MB of pixels; each was read row by row into its thumbnail. What
    // the server holds beyond the decodes (eight uploads' chunks in flight) fits in 64 MiB.
    let grown_mib = peak.saturating_sub(before) >> 20;
    assert!(grown_mib < BUDGET_MIB + 64, "the server grew by {grown_mib} MiB");
}

/// A 7000×7000 grey JPEG: 49 MB once decoded, which the decoder cannot stream.
fn heavy_jpeg() -> Vec<u8> {
    let pixels = vec![128u8; 7000 * 7000];
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 50);
    encoder.encode(&pixels, 7000, 7000, image::ExtendedColorType::L8).unwrap();
    jpeg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_images_that_must_be_decoded_whole_take_turns_within_the_budget() {
    // Each decode holds about 80 MB at its peak; the budget holds one at a time, and only the
    // budget: eight may decode at once by count.
    const BUDGET_MIB: u64 = 150;
    let budget = BUDGET_MIB.to_string();
    let server = TestServer::start_with(&[
        ("MAGPIE_IMAGE_DECODE_MEMORY_MIB_MAX", &budget),
        ("MAGPIE_IMAGE_DECODE_CONCURRENCY_MAX", "8"),
    ])
    .await;
    let alice = server.user("alice").await;
    let jpeg = heavy_jpeg();
    let (before, _) = server_memory(&server);
    let uploads = (0..8).map(|i| {
        let (client, jpeg) = (alice.client.clone(), jpeg.clone());
        tokio::spawn(async move { client.upload(&jpeg, Some(&format!("heavy-{i}.jpg")), 1 << 20).await })
    });
    for upload in futures_util::future::join_all(uploads).await {
        let info = alice.client.file_info(&upload.unwrap().unwrap()).await.unwrap();
        assert_eq!(info.thumbnails.len(), 2);
    }
    let (_, peak) = server_memory(&server);
    let grown_mib = peak.saturating_sub(before) >> 20;
    assert!(grown_mib < BUDGET_MIB + 128, "the server grew by {grown_mib} MiB");
}

/// A JPEG that says it is `width`×`height`, after `padding` bytes of metadata segments.
fn jpeg_claiming(width: u16, height: u16, padding: usize) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(16, 16, |x, _| image::Rgb([(x * 16) as u8, 90, 200]));
    let mut small = Vec::new();
    pixels.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut small, 90)).unwrap();
    let mut jpeg = small[..2].to_vec();
    let mut left = padding;
    while left > 0 {
        let len = left.min(60_000);
        jpeg.extend_from_slice(&[0xff, 0xe2]);
        jpeg.extend_from_slice(&u16::try_from(len + 2).unwrap().to_be_bytes());
        jpeg.extend(std::iter::repeat_n(0x20, len));
        left -= len;
    }
    jpeg.extend_from_slice(&small[2..]);
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

#[tokio::test]
async fn a_jpeg_whose_size_lies_past_its_first_128_kib_is_still_held_to_the_pixel_bound() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bomb = jpeg_claiming(9000, 9000, 200 * 1024);
    let err = alice.client.upload(&bomb, Some("bomb.jpg"), 1 << 20).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge), "{err}");
    let fine = jpeg_claiming(16, 16, 200 * 1024);
    let id = alice.client.upload(&fine, Some("fine.jpg"), 1 << 20).await.unwrap();
    let info = alice.client.file_info(&id).await.unwrap();
    assert_eq!((info.media_type.as_str(), info.width, info.height), ("image/jpeg", Some(16), Some(16)));
}

fn tus_headers() -> Vec<(&'static str, String)> {
    vec![("tus-resumable", "1.0.0".to_owned())]
}

#[tokio::test]
async fn uploads_created_at_once_never_pass_the_quota() {
    let server = TestServer::start_with(&[("MAGPIE_QUOTA_MIB_PER_ACCOUNT", "1")]).await;
    let alice = server.user("alice").await;
    const LENGTH: u64 = 256 * 1024;
    let creations = (0..20).map(|_| {
        let client = alice.client.clone();
        tokio::spawn(async move {
            let mut headers = tus_headers();
            headers.push(("upload-length", LENGTH.to_string()));
            client.request_with(reqwest::Method::POST, "/v1/uploads", &headers, None).await.unwrap()
        })
    });
    let mut created = 0;
    for answer in futures_util::future::join_all(creations).await {
        let answer = answer.unwrap();
        match answer.status {
            201 => created += 1,
            422 => assert!(String::from_utf8_lossy(&answer.body).contains("limit_exceeded")),
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&answer.body)),
        }
    }
    assert_eq!(created, 4, "1 MiB holds exactly four uploads of 256 KiB");
}

/// A body that sends `first`, waits for `go`, then sends `rest`.
fn held_body(first: Vec<u8>, rest: Vec<u8>, go: tokio::sync::oneshot::Receiver<()>) -> reqwest::Body {
    let chunks = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
        futures_util::stream::once(async move {
            let _ = go.await;
            Ok(rest)
        }),
    );
    reqwest::Body::wrap_stream(chunks)
}

#[tokio::test]
async fn two_patches_at_one_offset_store_one_body_whole() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    const LENGTH: usize = 256 * 1024;
    let mut headers = tus_headers();
    headers.push(("upload-length", LENGTH.to_string()));
    let created = alice.client.request_with(reqwest::Method::POST, "/v1/uploads", &headers, None).await.unwrap();
    let location = created.header("location").unwrap().to_owned();
    let patch = |body: reqwest::Body| {
        let (client, location) = (alice.client.clone(), location.clone());
        tokio::spawn(async move {
            let mut headers = tus_headers();
            headers.push(("upload-offset", "0".to_owned()));
            headers.push(("content-type", "application/offset+octet-stream".to_owned()));
            client.request_with(reqwest::Method::PATCH, &location, &headers, Some(body)).await.unwrap().status
        })
    };
    let (a, b) = (vec![b'a'; LENGTH], vec![b'b'; LENGTH]);
    // A sends half its body and holds; B sends all of its body meanwhile; then A finishes.
    let (go_a, hold_a) = tokio::sync::oneshot::channel();
    let first = patch(held_body(a[..LENGTH / 2].to_vec(), a[LENGTH / 2..].to_vec(), hold_a));
    let second = patch(reqwest::Body::from(b.clone()));
    let second = second.await.unwrap();
    let _ = go_a.send(());
    let first = first.await.unwrap();
    let statuses = [first, second];
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [204, 404, 409].contains(s)), "{statuses:?}");
    let id = location.rsplit('/').next().unwrap();
    let stored = alice.client.download(id).await.unwrap();
    let winner = if first == 204 { &a } else { &b };
    assert!(stored == *winner, "the stored file is not one body whole");
}

fn small_png() -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(32, 32, |x, y| image::Rgba([x as u8 * 8, y as u8 * 8, 0, 255]));
    let mut png = Vec::new();
    pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png)).unwrap();
    png
}

#[tokio::test]
async fn a_file_only_sent_to_an_admin_cannot_become_a_sticker() {
    let server = TestServer::start().await;
    let admin = server.admin_user("admin").await;
    let bob = server.user("bob").await;
    // Bob sends the admin a private image; the admin can read it, as the chat's member.
    let private = bob.client.upload_once(small_png(), "private.png").await.unwrap();
    let chat = bob.client.open_direct(&admin.account).await.unwrap();
    let mut msg = magpie_client::text_message("img-1", "");
    msg.kind = "image".into();
    msg.body = serde_json::json!({"file": private.id});
    bob.client.send_message(chat.id, &msg).await.unwrap();
    assert_eq!(admin.client.download(&private.id).await.unwrap(), small_png());

    let json = |v: serde_json::Value| Some(reqwest::Body::from(v.to_string()));
    let ct = || vec![("content-type", "application/json".to_owned())];
    let pack = admin
        .client
        .request_with(reqwest::Method::POST, "/v1/admin/stickers", &ct(), json(serde_json::json!({"name": "p"})))
        .await
        .unwrap();
    let pack: magpie_client::wire::StickerPackInfo = serde_json::from_slice(&pack.body).unwrap();
    let path = format!("/v1/admin/stickers/{}/stickers", pack.id);
    let refused = admin
        .client
        .request_with(reqwest::Method::POST, &path, &ct(), json(serde_json::json!({"file": private.id})))
        .await
        .unwrap();
    assert_eq!(refused.status, 422);
    assert!(String::from_utf8_lossy(&refused.body).contains("invalid_field"));
    // Carol, another member of the domain, still cannot read Bob's file.
    let carol = server.user("carol").await;
    assert_eq!(carol.client.download(&private.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    // The admin's own upload is fine.
    let own = admin.client.upload_once(small_png(), "own.png").await.unwrap();
    let added = admin
        .client
        .request_with(reqwest::Method::POST, &path, &ct(), json(serde_json::json!({"file": own.id})))
        .await
        .unwrap();
    assert_eq!(added.status, 200);
}

#[tokio::test]
async fn api_answers_are_never_cached_and_private_files_are_revalidated() {
    let server = TestServer::start().await;
    let account = server.create("alice", &[]).await;
    let login = reqwest::Client::new()
        .post(format!("{}/v1/auth/login", server.url))
        .json(&serde_json::json!({"account": account, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store", "the login answer carries the token");
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    assert_eq!(login.headers()["referrer-policy"], "no-referrer");
    assert_eq!(login.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    let alice = server.login(&account).await;
    let me = alice.client.request_with(reqwest::Method::GET, "/v1/me", &[], None).await.unwrap();
    assert_eq!((me.header("cache-control"), me.header("x-content-type-options")), (Some("no-store"), Some("nosniff")));
    let missing = alice.client.request_with(reqwest::Method::GET, "/v1/nothing-here", &[], None).await.unwrap();
    assert_eq!(missing.header("cache-control"), Some("no-store"));

    // A download through the session is revalidated every time, by its ETag.
    let file = alice.client.upload_once(small_png(), "a.png").await.unwrap();
    let path = format!("/v1/files/{}", file.id);
    let got = alice.client.request_with(reqwest::Method::GET, &path, &[], None).await.unwrap();
    assert_eq!(got.header("cache-control"), Some("private, no-cache"));
    let etag = got.header("etag").unwrap().to_owned();
    let again = alice.client.request_with(reqwest::Method::GET, &path, &[("if-none-match", etag)], None).await.unwrap();
    assert_eq!(again.status, 304);
    // A signed link may be cached while it works, and no longer.
    let link = alice.client.request_with(reqwest::Method::POST, &format!("{path}/link"), &[], None).await.unwrap();
    let link: magpie_client::wire::FileLink = serde_json::from_slice(&link.body).unwrap();
    let linked = reqwest::get(format!("{}{}", server.url, link.url)).await.unwrap();
    let cache = linked.headers()["cache-control"].to_str().unwrap().to_owned();
    let max_age: i64 =
        cache.strip_prefix("private, max-age=").and_then(|r| r.strip_suffix(", immutable")).unwrap().parse().unwrap();
    assert!((0..=300).contains(&max_age), "{cache}");
}

#[tokio::test]
async fn names_that_read_otherwise_than_they_are_are_refused_and_file_names_cleaned() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let spoofed = magpie_client::wire::UpdateProfileRequest {
        display_name: Some("invoice\u{202e}fdp.exe".into()),
        ..Default::default()
    };
    let err = alice.client.update_me(&spoofed).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{err}");
    assert_eq!(err.detail().and_then(|d| d.field.as_deref()), Some("display_name"));
    let spec = magpie_client::wire::GroupSpec { name: "ad\u{200b}mins".into(), ..Default::default() };
    let err = alice
        .client
        .create_conversation(&magpie_client::wire::CreateConversationRequest::Group(spec))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{err}");
    // An emoji sequence keeps its joiners.
    let family = magpie_client::wire::UpdateProfileRequest {
        display_name: Some("王👨\u{200d}👩\u{200d}👧".into()),
        ..Default::default()
    };
    assert_eq!(alice.client.update_me(&family).await.unwrap().profile.display_name, "王👨\u{200d}👩\u{200d}👧");
    // A file keeps its name without the override, so it reads as what it is.
    let file = alice.client.upload_once(b"MZ not really".to_vec(), "invoice\u{202e}fdp.exe").await.unwrap();
    assert_eq!(file.name.as_deref(), Some("invoicefdp.exe"));
}

#[tokio::test]
async fn no_log_line_carries_a_token_or_a_link_signature_even_at_trace() {
    let server = TestServer::start_logging(&[("MAGPIE_LOG", "trace")]).await;
    let alice = server.user("alice").await;
    let token = alice.login.token.clone();
    let mut live = alice.client.connect_with_subprotocol().await.unwrap();
    live.ping().await.unwrap();
    let file = alice.client.upload_once(small_png(), "a.png").await.unwrap();
    let link = alice
        .client
        .request_with(reqwest::Method::POST, &format!("/v1/files/{}/link", file.id), &[], None)
        .await
        .unwrap();
    let link: magpie_client::wire::FileLink = serde_json::from_slice(&link.body).unwrap();
    assert_eq!(reqwest::get(format!("{}{}", server.url, link.url)).await.unwrap().status(), 200);
    live.close().await.unwrap();
    live.closed(EVENTUALLY).await;
    let sig = link.url.split("sig=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let secret = token.strip_prefix("mgp_").unwrap();
    let log = server.log();
    assert!(log.contains(&format!("/v1/files/{}", file.id)), "the request log is written at trace");
    assert!(!log.contains(secret), "a log line carries the session token");
    assert!(!log.contains(&sig), "a log line carries the link's signature");
    assert!(!log.contains(PASSWORD), "a log line carries the password");
}

/// Logs in through `X-Forwarded-For: from` (the server trusts it in these tests) and returns
/// the status and body.
async fn login_from(
    server: &TestServer,
    from: &str,
    account: &str,
    password: &str,
    device_key: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut body = serde_json::json!({"account": account, "password": password});
    if let Some(key) = device_key {
        body["device_key"] = key.into();
    }
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/auth/login", server.url))
        .header("x-forwarded-for", from)
        .json(&body)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn the_owner_logs_in_from_a_known_device_or_address_while_others_guess_the_password() {
    let mut env = FAST.to_vec();
    env.push(("MAGPIE_TRUST_FORWARDED_FOR", "true"));
    let server = TestServer::start_with(&env).await;
    let alice = server.create("alice", &[]).await;
    // Her laptop logs in from the office and keeps its device key; her phone stays logged in
    // from home.
    let (status, laptop) = login_from(&server, "10.0.0.1", &alice, PASSWORD, None).await;
    assert_eq!(status, 200);
    let device_key = laptop["device_key"].as_str().unwrap().to_owned();
    assert!(device_key.starts_with("mgd_"));
    assert_eq!(login_from(&server, "10.0.0.2", &alice, PASSWORD, None).await.0, 200);

    // Others guess her password from forty addresses.
    let mut refused = 0;
    for i in 0..40 {
        let (status, _) = login_from(&server, &format!("203.0.113.{i}"), &alice, "guess-guess-guess", None).await;
        assert!(status == 401 || status == 429, "{status}");
        refused += usize::from(status == 429);
    }
    assert!(refused >= 15, "past 20 failures, strangers are slowed ({refused} of 40 refused)");

    // Her laptop, now on a hotel's network, and her phone at home log in as ever.
    assert_eq!(login_from(&server, "198.51.100.7", &alice, PASSWORD, Some(&device_key)).await.0, 200);
    assert_eq!(login_from(&server, "10.0.0.2", &alice, PASSWORD, None).await.0, 200);
    // A new place is slowed, not locked out: it is told to retry within seconds, not an hour.
    let (status, body) = login_from(&server, "198.51.100.8", &alice, PASSWORD, None).await;
    assert_eq!(status, 429);
    let retry = body["error"]["retry_after_secs"].as_u64().unwrap();
    assert!(retry <= 11, "retry after {retry} s");
    // A device key is the account's own: another account's key counts for nothing.
    let bob = server.create("bob", &[]).await;
    let (status, _) = login_from(&server, "10.0.0.1", &bob, PASSWORD, None).await;
    assert_eq!(status, 200);
    let forged = format!("{device_key}x");
    for key in [device_key.as_str(), forged.as_str()] {
        let (_, body) = login_from(&server, "10.0.0.1", &bob, PASSWORD, Some(key)).await;
        assert_ne!(body["device_key"].as_str(), Some(key), "a foreign key was taken as bob's");
    }
}

#[tokio::test]
async fn a_flood_of_sign_ups_is_bounded_and_never_starves_logins() {
    // Real password hashing, open registration, and sign-ups far past the limit per address.
    let server = TestServer::start_with(&[
        ("MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX", "0"),
        ("MAGPIE_REGISTRATIONS_PER_IP_PER_HOUR_MAX", "1000"),
    ])
    .await;
    let out = server.admin(&["domain", "set", "localhost", "--registration", "open"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bob = server.create("bob", &[]).await;
    let anon = server.anonymous();
    let signups = (0..100).map(|i| {
        let anon = anon.clone();
        tokio::spawn(async move {
            let req = magpie_client::wire::RegisterRequest {
                account: format!("flood{i}@localhost"),
                password: PASSWORD.into(),
                ..Default::default()
            };
            anon.register(&req).await.map(drop).map_err(|e| e.code())
        })
    });
    let logins = (0..10).map(|_| {
        let (anon, bob) = (anon.clone(), bob.clone());
        tokio::spawn(async move { anon.login(&bob, PASSWORD).await.map(drop).map_err(|e| e.code()) })
    });
    let signups = futures_util::future::join_all(signups).await;
    let logins = futures_util::future::join_all(logins).await;
    assert!(logins.iter().all(|l| matches!(l, Ok(Ok(())))), "logins failed during the flood: {logins:?}");
    let created = signups.iter().filter(|s| matches!(s, Ok(Ok(())))).count();
    assert!(signups.iter().all(|s| matches!(s, Ok(Ok(()) | Err(Some(ErrorCode::Unavailable))))), "{signups:?}");
    assert!(created < 20, "{created} sign-ups went through at once");

    // With the default limit per address, a few sign-ups an hour and no more.
    let server = TestServer::start_with(&[("MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX", "0")]).await;
    assert!(server.admin(&["domain", "set", "localhost", "--registration", "open"], "").await.status.success());
    let anon = server.anonymous();
    let mut outcomes = Vec::new();
    for i in 0..15 {
        let req = magpie_client::wire::RegisterRequest {
            account: format!("flood{i}@localhost"),
            password: PASSWORD.into(),
            ..Default::default()
        };
        outcomes.push(anon.register(&req).await.map(drop).map_err(|e| e.code()));
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 10, "{outcomes:?}");
    assert!(outcomes[10..].iter().all(|o| *o == Err(Some(ErrorCode::RateLimited))), "{outcomes:?}");
}

#[tokio::test]
async fn new_passwords_must_be_long_and_hard_to_guess() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    for weak in ["12345678", "123456789012", "passwordpassword", "qwertyuiop123", "short"] {
        let err = alice.client.change_password(PASSWORD, weak).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{weak:?}: {err}");
        assert_eq!(err.detail().and_then(|d| d.field.as_deref()), Some("password"));
    }
    let out = server.admin(&["user", "add", "carol", "--password-stdin"], "12345678\n").await;
    assert!(!out.status.success(), "the admin CLI holds new accounts to the same policy");
    alice.client.change_password(PASSWORD, "plum lantern orbit 鹊桥").await.unwrap();
}
