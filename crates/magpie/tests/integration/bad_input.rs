//! Bad input gets a typed error, changes nothing and never brings the server down.

use magpie_client::wire::{ErrorBody, ErrorCode, close_code};
use magpie_client::{Error, Incoming};
use reqwest::Method;

use crate::harness::{EVENTUALLY, PROMPTLY, TestServer};

fn code_of(body: &str) -> ErrorCode {
    serde_json::from_str::<ErrorBody>(body).unwrap_or_else(|e| panic!("not an error body ({e}): {body}")).error.code
}

/// One bad request: who sends it, what, and the code it must get.
struct Case<'a> {
    client: &'a magpie_client::Client,
    method: Method,
    path: &'a str,
    body: Option<Vec<u8>>,
    json: bool,
    code: ErrorCode,
}

#[tokio::test]
async fn rest_answers_bad_requests_with_typed_errors() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let anon = server.anonymous();
    let case = |client, method, path, body: Option<&[u8]>, json, code| Case {
        client,
        method,
        path,
        body: body.map(<[u8]>::to_vec),
        json,
        code,
    };
    let long_name = format!("{{\"display_name\":\"{}\"}}", "长".repeat(65));
    let huge = vec![b' '; 70_000];
    let cases = [
        case(&anon, Method::POST, "/v1/auth/login", Some(b"{not json"), true, ErrorCode::MalformedRequest),
        case(&anon, Method::POST, "/v1/auth/login", Some(b"{\"account\":1}"), true, ErrorCode::MalformedRequest),
        case(&anon, Method::POST, "/v1/auth/login", Some(b"{}"), false, ErrorCode::MalformedRequest),
        case(&anon, Method::POST, "/v1/auth/login", Some(&huge), true, ErrorCode::TooLarge),
        case(&anon, Method::GET, "/v1/me", None, false, ErrorCode::Unauthenticated),
        case(&anon, Method::GET, "/v1/no/such/thing", None, false, ErrorCode::NotFound),
        case(&anon, Method::PUT, "/healthz", None, false, ErrorCode::MethodNotAllowed),
        case(&alice.client, Method::DELETE, "/v1/sessions/not-a-number", None, false, ErrorCode::MalformedRequest),
        case(&alice.client, Method::GET, "/v1/accounts?limit=lots", None, false, ErrorCode::MalformedRequest),
        case(&alice.client, Method::PATCH, "/v1/me", Some(long_name.as_bytes()), true, ErrorCode::TooLarge),
        // serde reads a struct from an array of its fields; the protocol's bodies are objects.
        case(&alice.client, Method::PATCH, "/v1/me", Some(b"[null, null]"), true, ErrorCode::MalformedRequest),
        case(&alice.client, Method::PATCH, "/v1/me", Some(b"\"alice\""), true, ErrorCode::MalformedRequest),
        case(
            &alice.client,
            Method::POST,
            "/v1/conversations",
            Some(b"[\"direct\", \"alice@localhost\"]"),
            true,
            ErrorCode::MalformedRequest,
        ),
        // A one-shot upload that is not multipart gets a JSON error body, not the framework's text.
        case(&alice.client, Method::POST, "/v1/files", None, false, ErrorCode::MalformedRequest),
        case(&alice.client, Method::POST, "/v1/files", Some(b"{}"), true, ErrorCode::MalformedRequest),
    ];
    for c in cases {
        let content_type = c.json.then_some("application/json");
        let (status, text) = c.client.raw(c.method.clone(), c.path, c.body, content_type).await.unwrap();
        // Statuses follow the error table, whatever the rejection inside the framework was.
        assert_eq!(status, c.code.http_status(), "{} {}: {text}", c.method, c.path);
        assert_eq!(code_of(&text), c.code, "{} {}: {text}", c.method, c.path);
    }
    // None of it changed anything.
    assert_eq!(alice.client.me().await.unwrap().profile.display_name, "alice");
    assert!(server.anonymous().healthz().await.is_ok());
}

#[tokio::test]
async fn malformed_oversized_and_unknown_frames_get_typed_errors_and_the_socket_lives_on() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;

    live.send_raw("{this is not json".into()).await.unwrap();
    match live.next_incoming(PROMPTLY).await {
        Some(Incoming::Error(e)) => assert_eq!(e.code, ErrorCode::MalformedFrame),
        other => panic!("expected a malformed_frame error, got {other:?}"),
    }
    live.send_raw(r#"{"type":"ping"}"#.into()).await.unwrap();
    match live.next_incoming(PROMPTLY).await {
        Some(Incoming::Error(e)) => assert_eq!(e.code, ErrorCode::MalformedFrame, "a request without an id"),
        other => panic!("expected a malformed_frame error, got {other:?}"),
    }
    live.send_binary(vec![0, 159, 146, 150]).await.unwrap();
    match live.next_incoming(PROMPTLY).await {
        Some(Incoming::Error(e)) => assert_eq!(e.code, ErrorCode::MalformedFrame),
        other => panic!("expected a malformed_frame error, got {other:?}"),
    }

    let err = live.request(&magpie_client::wire::Request::Unknown("launch_missiles".into())).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UnknownFrameType));

    let big = serde_json::value::to_raw_value(&serde_json::json!({ "blob": "x".repeat(70_000) })).unwrap();
    let err = live.request_raw("ping", big).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));

    live.ping().await.unwrap();
}

#[tokio::test]
async fn a_frame_far_over_the_limit_closes_the_socket() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    let _ = live.send_raw("x".repeat(300_000)).await;
    let closed = live.closed(EVENTUALLY).await.expect("the socket stayed open");
    assert_eq!(closed.code, close_code::MESSAGE_TOO_BIG, "{closed:?}");
    // The server itself is fine.
    assert!(alice.client.me().await.is_ok());
    assert!(matches!(live.ping().await, Err(Error::Closed { .. })));
}

#[tokio::test]
async fn one_address_sending_too_many_requests_is_rate_limited() {
    let server = TestServer::start_with(&[("MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX", "5")]).await;
    let anon = server.anonymous();
    let mut limited = None;
    for _ in 0..50 {
        let (status, body) = anon.raw(Method::GET, "/healthz", None, None).await.unwrap();
        if status == 429 {
            limited = Some(body);
            break;
        }
    }
    let body = limited.expect("50 requests at once against a limit of 5 a second all passed");
    let err = serde_json::from_str::<ErrorBody>(&body).unwrap().error;
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.retry_after_secs.is_some());
}

#[tokio::test]
async fn a_login_storm_beyond_the_hash_queue_is_refused_rather_than_queued() {
    let server = TestServer::start_with(&[
        ("MAGPIE_PASSWORD_HASH_CONCURRENCY_MAX", "1"),
        ("MAGPIE_PASSWORD_HASH_QUEUE_LEN_MAX", "1"),
    ])
    .await;
    server.create("alice", &[]).await;
    let anon = server.anonymous();
    let logins = (0..12).map(|_| anon.login("alice@localhost", crate::harness::PASSWORD));
    let results = futures_util::future::join_all(logins).await;
    // Refused for the queue (`unavailable`), or, when the limit per account and address is
    // reached by attempts still in flight (each counts until it is found not to be a wrong
    // password; with the cluster's shared counters that takes a round trip to Redis), for the
    // rate (`rate_limited`). Either way refused at once, not queued.
    let refusal = |r: &Result<_, Error>| {
        matches!(r.as_ref().err().and_then(Error::code), Some(ErrorCode::Unavailable | ErrorCode::RateLimited))
    };
    let refused = results.iter().filter(|r| refusal(r)).count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(refused > 0, "12 logins at once against one hasher and a queue of one were all served");
    assert!(ok > 0, "every login was refused");
    assert_eq!(ok + refused, 12, "{results:?}");
}

#[tokio::test]
async fn a_one_shot_upload_over_the_body_limit_is_too_large_whichever_part_carries_it() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    // A part the handler skips, so that the route's body limit (16 MiB and 64 KiB) stops it
    // rather than the handler's own count of the file's bytes.
    let boundary = "magpie-test-boundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\n").into_bytes();
    body.resize(body.len() + (16 << 20) + (64 << 10), b'x');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, text) = alice.client.raw(Method::POST, "/v1/files", Some(body), Some(&content_type)).await.unwrap();
    assert_eq!(code_of(&text), ErrorCode::TooLarge, "{text}");
    assert_eq!(status, 413);
}
