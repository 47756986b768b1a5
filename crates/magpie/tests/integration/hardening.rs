//! Denial of service and abuse, tried as an attacker would: each test is one finding of the
//! hardening review, against the real server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use magpie_client::wire::{ErrorCode, close_code};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

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
    let url = format!("ws://{}/v1/ws", server.url.strip_prefix("http://").unwrap());
    let mut request = url.into_client_request().unwrap();
    let bearer = format!("Bearer {}", alice.login.token);
    request.headers_mut().insert("authorization", bearer.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let (mut sink, mut stream) = socket.split();
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
async fn eight_heavy_images_at_once_are_decoded_within_the_memory_bound() {
    const BUDGET_MIB: u64 = 400;
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
    // Each decode holds 294 MB of pixels; without the bound all eight held theirs at once.
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
