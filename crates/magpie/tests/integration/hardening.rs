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
