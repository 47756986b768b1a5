//! The WebSocket: authentication, hello, requests and replies, heartbeats and idle timeout.

use std::time::Duration;

use magpie_client::wire::{ErrorCode, close_code};

use crate::harness::{EVENTUALLY, TestServer};

#[tokio::test]
async fn a_socket_opens_with_the_bearer_header_and_answers_requests() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let live = alice.connect().await;
    let hello = live.hello();
    assert_eq!(hello.me.profile.account, "alice@localhost");
    assert_eq!(hello.session.id, alice.login.session.id);
    assert!(hello.session.current);
    assert_eq!(hello.frame_bytes_max, 65536);

    live.ping().await.unwrap();
    assert_eq!(live.get_me().await.unwrap().profile.account, "alice@localhost");
    let sessions = live.list_sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    // Requests in flight at once are answered each under its own id.
    let (a, b, c) = tokio::join!(live.get_me(), live.list_sessions(), live.ping());
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
}

#[tokio::test]
async fn a_browser_passes_the_token_as_a_subprotocol() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let live = alice.client.connect_with_subprotocol().await.unwrap();
    assert_eq!(live.hello().me.profile.account, "alice@localhost");
    live.ping().await.unwrap();
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_refused_before_the_upgrade() {
    let server = TestServer::start().await;
    let forged = server.anonymous().with_token("mgp_not-a-real-token");
    let err = forged.connect().await.err().unwrap();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
}

#[tokio::test]
async fn an_idle_socket_is_closed_after_the_idle_timeout() {
    // The client below answers the server's pings (tungstenite does), so it stays; a raw TCP
    // peer that never reads would be closed. Here the heartbeat is slower than the timeout,
    // so nothing arrives from the client in time and the server closes the socket.
    let server =
        TestServer::start_with(&[("MAGPIE_WS_IDLE_TIMEOUT_SECS", "1"), ("MAGPIE_WS_HEARTBEAT_INTERVAL_SECS", "30")])
            .await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    let closed = live.closed(EVENTUALLY).await.expect("idle socket was not closed");
    assert_eq!(closed.code, close_code::IDLE_TIMEOUT);
}

#[tokio::test]
async fn heartbeats_keep_a_quiet_socket_open() {
    let server =
        TestServer::start_with(&[("MAGPIE_WS_IDLE_TIMEOUT_SECS", "2"), ("MAGPIE_WS_HEARTBEAT_INTERVAL_SECS", "1")])
            .await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    // Three idle timeouts pass; the client's pongs to the server's pings keep it alive.
    assert_eq!(live.closed(Duration::from_secs(6)).await, None);
    live.ping().await.unwrap();
}

#[tokio::test]
async fn a_client_flooding_frames_is_rate_limited_then_disconnected() {
    let server = TestServer::start_with(&[("MAGPIE_WS_FRAMES_PER_SEC_MAX", "5")]).await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    let mut limited = 0;
    for _ in 0..40 {
        match live.ping().await {
            Ok(()) => {}
            Err(e) if e.code() == Some(ErrorCode::RateLimited) => limited += 1,
            Err(magpie_client::Error::Closed { .. }) => break,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert!(limited > 0, "40 frames at once against a burst budget of 10 were all accepted");
    let closed = live.closed(EVENTUALLY).await.expect("a persistent flood was not disconnected");
    assert_eq!(closed.code, close_code::RATE_LIMITED);
}

#[tokio::test]
async fn a_close_from_the_client_is_answered_cleanly() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    live.close().await.unwrap();
    let closed = live.closed(crate::harness::PROMPTLY).await.expect("no answer to the close frame");
    assert_eq!(closed.code, 1000, "{closed:?}");
}
