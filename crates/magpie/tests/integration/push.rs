//! Push (docs/protocol.md §5, "Push"), end to end against push services on this machine: a Web Push
//! service that checks the VAPID signature and decrypts the RFC 8291 payload with the
//! subscription's own keys, and an HTTP push gateway that answers as the test says (retry on
//! 5xx, give up on 4xx, drop the device on a rejection). Each push is awaited as it arrives;
//! "only once" is checked by the next push being the next message's.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magpie_client::wire::{self, ErrorCode, NotificationPrefs, NotifyLevel};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use web_push_native::jwt_simple::prelude::{
    ECDSAP256PublicKeyLike as _, ES256PublicKey, NoCustomClaims, VerificationOptions,
};
use web_push_native::p256::SecretKey;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint as _;

use crate::harness::{TestServer, User};

/// One request a fake push service received.
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A push service on 127.0.0.1: hands each request to the test and answers with the next of
/// `answers` (then with `fallback`).
struct FakeService {
    url: String,
    received: mpsc::UnboundedReceiver<Received>,
    answers: Arc<Mutex<VecDeque<(StatusCode, String)>>>,
}

impl FakeService {
    async fn start(fallback: StatusCode) -> FakeService {
        FakeService::answering(fallback, json!({})).await
    }

    /// A service that answers `fallback` with `body` unless told otherwise.
    async fn answering(fallback: StatusCode, body: Value) -> FakeService {
        let fallback_body = body.to_string();
        let (tx, received) = mpsc::unbounded_channel();
        let answers: Arc<Mutex<VecDeque<(StatusCode, String)>>> = Arc::default();
        let queue = answers.clone();
        let handler = move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            let queue = queue.clone();
            let fallback_body = fallback_body.clone();
            async move {
                let _ = tx.send(Received { path: uri.path().to_owned(), headers, body });
                let (status, body) = queue.lock().unwrap().pop_front().unwrap_or((fallback, fallback_body.clone()));
                (status, [("content-type", "application/json")], body).into_response()
            }
        };
        let app = axum::Router::new().fallback(axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeService { url, received, answers }
    }

    fn answer(&self, status: StatusCode, body: Value) {
        self.answers.lock().unwrap().push_back((status, body.to_string()));
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(std::time::Duration::from_secs(60), self.received.recv())
            .await
            .expect("a push within a minute")
            .expect("the service runs")
    }
}

/// A browser's subscription: its key pair and secret, as `PushManager.subscribe` makes them.
struct Browser {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Browser {
        let secret = SecretKey::random(&mut web_push_native::p256::elliptic_curve::rand_core::OsRng);
        Browser { secret, auth: rand::random() }
    }

    fn subscription(&self, endpoint: &str) -> wire::PushTargetRequest {
        let public = self.secret.public_key().to_encoded_point(false);
        wire::PushTargetRequest::WebPush {
            endpoint: endpoint.to_owned(),
            keys: wire::WebPushKeys {
                p256dh: URL_SAFE_NO_PAD.encode(public.as_bytes()),
                auth: URL_SAFE_NO_PAD.encode(self.auth),
            },
        }
    }

    /// What the service worker would read: the payload decrypted with this browser's keys.
    fn open(&self, body: &[u8]) -> Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain =
            web_push_native::decrypt(body.to_vec(), &self.secret, &auth).expect("decrypts with the browser's keys");
        serde_json::from_slice(&plain).unwrap()
    }
}

async fn direct(from: &User, to: &User) -> i64 {
    from.client.open_direct(&to.account).await.unwrap().id
}

/// The domain's push failures once `done` says they are complete: the outcome of a push is
/// written just after the service answers, so the admin's view is read again until then
/// (each read a request; no timer). A read the session's rate limit refuses is made again when
/// the server says to (`retry_after_secs`), as any client does: a loaded machine writes the
/// outcome later, and the reads come quickly.
async fn failures_until(admin: &User, done: impl Fn(&[wire::PushFailureInfo]) -> bool) -> Vec<wire::PushFailureInfo> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let list = match admin.client.admin_push_failures("localhost").await {
            Err(magpie_client::Error::Api { detail, .. }) if detail.code == wire::ErrorCode::RateLimited => {
                let wait = std::time::Duration::from_secs(detail.retry_after_secs.unwrap_or(1));
                tokio::time::sleep(wait).await;
                continue;
            }
            other => other.unwrap(),
        };
        if done(&list.failures) {
            return list.failures;
        }
        assert!(tokio::time::Instant::now() < deadline, "push failures never came: {:?}", list.failures);
    }
}

fn send_request(id: &str, text: &str, mentions: &[&str]) -> wire::SendRequest {
    serde_json::from_value(json!({"client_msg_id": id, "kind": "text", "body": {"text": text}, "mentions": mentions}))
        .unwrap()
}

#[tokio::test]
async fn web_push_is_signed_encrypted_for_the_browser_and_stops_when_the_browser_is_gone() {
    let mut service = FakeService::start(StatusCode::CREATED).await;
    let server = TestServer::start_with(&[
        ("MAGPIE_PUSH_PRIVATE_RANGES_ALLOWED", "127.0.0.1"),
        ("MAGPIE_PUSH_VAPID_CONTACT", "mailto:ops@acme.example"),
        ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50"),
    ])
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let config = bob.client.push_config().await.unwrap();
    assert!(config.kinds.contains(&"web_push".to_owned()));
    let vapid = config.vapid_public_key.expect("a VAPID key");

    let browser = Browser::new();
    let endpoint = format!("{}/wpush/bob-laptop", service.url);
    let target = bob.client.add_push_target(&browser.subscription(&endpoint)).await.unwrap();
    assert_eq!((target.kind.as_str(), target.label.as_str(), target.current), ("web_push", "127.0.0.1", true));

    let chat = direct(&alice, &bob).await;
    let sent = alice.client.send_text(chat, "m1", "晚上一起吃饭吗？ dinner tonight?").await.unwrap();
    let push = service.next().await;
    assert_eq!(push.path, "/wpush/bob-laptop");
    let header = |name: &str| push.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("urgency"), "high", "a direct message is urgent");
    assert!(header("ttl").parse::<u64>().unwrap() > 0);
    // VAPID (RFC 8292): a JWT signed with the key the server hands browsers, for this origin.
    let auth = header("authorization");
    let (token, key) =
        auth.strip_prefix("vapid t=").and_then(|rest| rest.split_once(", k=")).expect("a vapid authorization");
    assert_eq!(key, vapid, "signed with the key browsers subscribe with");
    let public = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
    let for_this_origin = VerificationOptions {
        allowed_audiences: Some(std::collections::HashSet::from(["http://127.0.0.1".to_owned()])),
        ..VerificationOptions::default()
    };
    let claims =
        public.verify_token::<NoCustomClaims>(token, Some(for_this_origin)).expect("a valid signature for this origin");
    assert_eq!(claims.subject.as_deref(), Some("mailto:ops@acme.example"));
    // RFC 8291: only the browser's keys open it.
    let notice = browser.open(&push.body);
    assert_eq!(notice["conversation"], json!(chat));
    assert_eq!(notice["seq"], json!(sent.seq));
    assert_eq!(notice["event_key"], json!(format!("{chat}:{}", sent.seq)));
    assert_eq!((notice["why"].as_str(), notice["direct"].as_bool()), (Some("direct"), Some(true)));
    assert_eq!(notice["sender"], json!("alice@localhost"));
    assert_eq!(notice["preview"], json!("晚上一起吃饭吗？ dinner tonight?"));
    assert!(Browser::new().open_fails(&push.body), "another browser's keys do not open it");

    // Without previews, the text stays on the server.
    let prefs = NotificationPrefs { preview: false, ..NotificationPrefs::default() };
    bob.client.set_notification_prefs(&prefs).await.unwrap();
    let second = alice.client.send_text(chat, "m2", "the secret plan").await.unwrap();
    let notice = browser.open(&service.next().await.body);
    assert_eq!(notice["seq"], json!(second.seq), "the next push is the next message: the first was pushed once");
    assert!(notice.get("preview").is_none());

    // The browser unsubscribed: its service answers 410, and the server forgets it.
    service.answer(StatusCode::GONE, json!({}));
    alice.client.send_text(chat, "m3", "still there?").await.unwrap();
    service.next().await;
    let admin = server.admin_user("root").await;
    let failures = failures_until(&admin, |f| !f.is_empty()).await;
    let failure = &failures[0];
    assert_eq!(
        (failure.account.as_str(), failure.kind.as_str(), failure.target_dropped),
        ("bob@localhost", "web_push", true)
    );
    assert!(failure.error.contains("410"), "{}", failure.error);
    assert!(bob.client.push_targets().await.unwrap().targets.is_empty(), "the gone subscription is dropped");
}

impl Browser {
    fn open_fails(&self, body: &[u8]) -> bool {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        web_push_native::decrypt(body.to_vec(), &self.secret, &auth).is_err()
    }
}

#[tokio::test]
async fn registrations_are_checked_bounded_and_end_with_the_session() {
    let server = TestServer::start_with(&[
        ("MAGPIE_PUSH_TARGETS_PER_ACCOUNT_MAX", "2"),
        ("MAGPIE_PUSH_GATEWAYS", "huawei=http://127.0.0.1:9/gw"),
    ])
    .await;
    let bob = server.user("bob").await;
    let phone = server.login("bob@localhost").await;
    let config = bob.client.push_config().await.unwrap();
    assert_eq!(config.gateways, ["huawei"]);
    assert_eq!(config.kinds, ["web_push", "gateway"]);

    let refused = [
        (
            wire::PushTargetRequest::Gateway {
                gateway: "xiaomi".into(),
                app_id: "com.acme".into(),
                pushkey: "k".into(),
            },
            "gateway",
        ),
        (
            wire::PushTargetRequest::Gateway {
                gateway: "huawei".into(),
                app_id: "com.acme".into(),
                pushkey: "".into(),
            },
            "pushkey",
        ),
        (Browser::new().subscription("ftp://push.example/x"), "endpoint"),
        (
            wire::PushTargetRequest::WebPush {
                endpoint: "https://push.example/x".into(),
                keys: wire::WebPushKeys { p256dh: "AAAA".into(), auth: URL_SAFE_NO_PAD.encode([1u8; 16]) },
            },
            "p256dh",
        ),
    ];
    for (req, field) in refused {
        let err = bob.client.add_push_target(&req).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)));
    }
    let apns = wire::PushTargetRequest::Apns { token: "a1b2c3d4e5f6".into() };
    let err = bob.client.add_push_target(&apns).await.unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        (Some(ErrorCode::InvalidField), Some("kind")),
        "this server does not push to APNs"
    );

    let gw = |key: &str| wire::PushTargetRequest::Gateway {
        gateway: "huawei".into(),
        app_id: "com.acme".into(),
        pushkey: key.into(),
    };
    let first = phone.client.add_push_target(&gw("phone-key-123456")).await.unwrap();
    assert_eq!((first.label.as_str(), first.current), ("huawei/com.acme", true));
    bob.client.add_push_target(&Browser::new().subscription("https://push.example/bob")).await.unwrap();
    let err = bob.client.add_push_target(&gw("third")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded));
    // The same device again is the same target, not a third.
    let again = bob.client.add_push_target(&gw("phone-key-123456")).await.unwrap();
    assert_eq!((again.id, again.current), (first.id, true));
    let listed = phone.client.push_targets().await.unwrap().targets;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|t| !t.current), "both are bob's other session's now");

    bob.client.logout().await.unwrap();
    assert!(phone.client.push_targets().await.unwrap().targets.is_empty(), "logging out ends the device's pushes");
    let err = phone.client.remove_push_target(first.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn the_gateway_is_retried_on_5xx_given_up_on_4xx_and_a_rejected_device_is_dropped() {
    let mut gateway = FakeService::start(StatusCode::OK).await;
    let url = format!("huawei={}/push", gateway.url);
    let server = TestServer::start_with(&[
        ("MAGPIE_PUSH_GATEWAYS", url.as_str()),
        ("MAGPIE_PUSH_GATEWAY_SECRET", "s3cret"),
        ("MAGPIE_PUSH_RETRY_INITIAL_SECS", "1"),
        ("MAGPIE_PUSH_RETRY_MAX_SECS", "1"),
        ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50"),
    ])
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let device = wire::PushTargetRequest::Gateway {
        gateway: "huawei".into(),
        app_id: "com.acme.chat".into(),
        pushkey: "hw-token-1".into(),
    };
    bob.client.add_push_target(&device).await.unwrap();
    let group = alice
        .client
        .create_conversation(&wire::CreateConversationRequest::Group(wire::GroupSpec {
            name: "发布组 release".into(),
            members: vec![bob.account.clone(), carol.account.clone()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .id;

    // Two 503s, then taken: the same push three times, with the same event key.
    gateway.answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    gateway.answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    let m1 = alice.client.send_text(group, "g1", "build is green").await.unwrap();
    let mut keys = Vec::new();
    for _ in 0..3 {
        let push = gateway.next().await;
        assert_eq!(push.path, "/push");
        assert_eq!(push.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer s3cret"));
        let body: Value = serde_json::from_slice(&push.body).unwrap();
        let n = &body["notification"];
        // The badge: one conversation with unread messages.
        assert_eq!(n["devices"], json!([{"app_id": "com.acme.chat", "pushkey": "hw-token-1", "badge": 1}]));
        assert_eq!((n["conversation_name"].as_str(), n["why"].as_str()), (Some("发布组 release"), Some("message")));
        keys.push(n["event_key"].as_str().unwrap().to_owned());
    }
    assert_eq!(keys, vec![format!("{group}:{}", m1.seq); 3]);

    // A 400 is given up at once; the next push is the next message's.
    gateway.answer(StatusCode::BAD_REQUEST, json!({"error": "bad payload"}));
    let m2 = alice.client.send_text(group, "g2", "deploying").await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(push["notification"]["seq"], json!(m2.seq));
    let m3 = alice.client.send_text(group, "g3", "deployed").await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(push["notification"]["seq"], json!(m3.seq), "the given-up push is not retried");

    // The level: bob wants only mentions now; a plain message is not pushed, a mention is.
    let prefs = NotificationPrefs { level: NotifyLevel::Mentions, ..NotificationPrefs::default() };
    bob.client.set_notification_prefs(&prefs).await.unwrap();
    alice.client.send_text(group, "g4", "lunch?").await.unwrap();
    let m5 =
        alice.client.send_message(group, &send_request("g5", "@bob please review", &[&bob.account])).await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(
        (push["notification"]["seq"].clone(), push["notification"]["why"].clone()),
        (json!(m5.seq), json!("mention"))
    );

    // The gateway's vendor rejects the token: the device is dropped.
    gateway.answer(StatusCode::OK, json!({"rejected": ["hw-token-1"]}));
    alice.client.send_message(group, &send_request("g6", "@bob ping", &[&bob.account])).await.unwrap();
    gateway.next().await;
    let admin = server.admin_user("root").await;
    let failures = failures_until(&admin, |f| f.iter().any(|f| f.target_dropped)).await;
    assert_eq!(failures.len(), 2, "the 400 and the rejection");
    assert!(!failures[1].target_dropped && failures[1].error.contains("400"), "{:?}", failures[1]);
    assert!(bob.client.push_targets().await.unwrap().targets.is_empty());
}

#[tokio::test]
async fn a_push_pending_at_a_kill_is_sent_once_after_the_restart() {
    let mut gateway = FakeService::start(StatusCode::OK).await;
    let url = format!("huawei={}/push", gateway.url);
    let env = [
        ("MAGPIE_PUSH_GATEWAYS", url.as_str()),
        ("MAGPIE_PUSH_RETRY_INITIAL_SECS", "1"),
        ("MAGPIE_PUSH_RETRY_MAX_SECS", "1"),
        ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50"),
        // A push the kill interrupts mid-send is taken over once its claim runs out.
        ("MAGPIE_PUSH_CLAIM_SECS", "2"),
    ];
    let mut server = TestServer::start_with(&env).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let device = wire::PushTargetRequest::Gateway {
        gateway: "huawei".into(),
        app_id: "com.acme.chat".into(),
        pushkey: "hw-bob".into(),
    };
    bob.client.add_push_target(&device).await.unwrap();
    let chat = direct(&alice, &bob).await;

    // The gateway is down (503) when the message is sent: the push waits in the outbox.
    for _ in 0..100 {
        gateway.answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    }
    let m1 = alice.client.send_text(chat, "k1", "are you there?").await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(push["notification"]["seq"], json!(m1.seq));
    server.kill().await;
    gateway.answers.lock().unwrap().clear();
    while gateway.received.try_recv().is_ok() {}

    server.restart_stopped().await;
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(push["notification"]["event_key"], json!(format!("{chat}:{}", m1.seq)), "pushed after the restart");
    let alice = server.login("alice@localhost").await;
    let m2 = alice.client.send_text(chat, "k2", "hello again").await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(push["notification"]["seq"], json!(m2.seq), "the first message was pushed once, not again");
}

#[tokio::test]
async fn apns_and_fcm_devices_get_signed_pushes_and_are_dropped_when_gone() {
    use web_push_native::jwt_simple::prelude::{ES256KeyPair, RS256KeyPair, RSAPublicKeyLike as _, Token};
    let mut apns = FakeService::start(StatusCode::OK).await;
    let mut fcm =
        FakeService::answering(StatusCode::OK, json!({"access_token": "ya29.magpie-test", "expires_in": 3600})).await;
    let dir = tempfile::tempdir().unwrap();
    // The keys Apple and Google would hand the operator: a .p8 key, a service account's file.
    let apns_key = ES256KeyPair::generate();
    let p8 = dir.path().join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&p8, apns_key.to_pem().unwrap()).unwrap();
    let google_key = RS256KeyPair::generate(2048).unwrap();
    let account = dir.path().join("service-account.json");
    let token_uri = format!("{}/token", fcm.url);
    let account_json = json!({
        "type": "service_account", "project_id": "acme-chat", "client_email": "magpie@acme-chat.iam.gserviceaccount.com",
        "private_key": google_key.to_pem().unwrap(), "token_uri": token_uri,
    });
    std::fs::write(&account, account_json.to_string()).unwrap();
    let server = TestServer::start_with(&[
        ("MAGPIE_PUSH_APNS_KEY_FILE", p8.to_str().unwrap()),
        ("MAGPIE_PUSH_APNS_KEY_ID", "ABC123DEFG"),
        ("MAGPIE_PUSH_APNS_TEAM_ID", "TEAM123456"),
        ("MAGPIE_PUSH_APNS_TOPIC", "com.acme.chat"),
        ("MAGPIE_PUSH_APNS_ENDPOINT", apns.url.as_str()),
        ("MAGPIE_PUSH_FCM_SERVICE_ACCOUNT_FILE", account.to_str().unwrap()),
        ("MAGPIE_PUSH_FCM_ENDPOINT", fcm.url.as_str()),
        ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50"),
    ])
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    assert_eq!(bob.client.push_config().await.unwrap().kinds, ["web_push", "apns", "fcm"]);
    let iphone =
        bob.client.add_push_target(&wire::PushTargetRequest::Apns { token: "a1b2c3d4e5f60718".into() }).await.unwrap();
    assert_eq!(iphone.label, "…f60718", "the token's end, never the token");
    bob.client
        .add_push_target(&wire::PushTargetRequest::Fcm { token: "fcm-token-of-bobs-android".into() })
        .await
        .unwrap();
    let chat = direct(&alice, &bob).await;
    let sent = alice.client.send_text(chat, "a1", "下午三点开会 meeting at 3").await.unwrap();

    // APNs: the device's path, the app's topic, an alert, and a provider token Apple can check.
    let push = apns.next().await;
    assert_eq!(push.path, "/3/device/a1b2c3d4e5f60718");
    let header = |name: &str| push.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(
        (header("apns-topic"), header("apns-push-type"), header("apns-priority")),
        ("com.acme.chat".into(), "alert".into(), "10".into())
    );
    assert_eq!(header("apns-collapse-id"), format!("{chat}:{}", sent.seq));
    let jwt = header("authorization").strip_prefix("Bearer ").unwrap().to_owned();
    assert_eq!(Token::decode_metadata(&jwt).unwrap().key_id(), Some("ABC123DEFG"));
    let claims = apns_key.public_key().verify_token::<NoCustomClaims>(&jwt, None).expect("signed with the team's key");
    assert_eq!(claims.issuer.as_deref(), Some("TEAM123456"));
    let body: Value = serde_json::from_slice(&push.body).unwrap();
    assert_eq!(body["aps"]["alert"]["body"], json!("下午三点开会 meeting at 3"));
    assert_eq!(body["aps"]["badge"], json!(1), "one conversation with unread messages");
    assert_eq!(body["magpie"]["event_key"], json!(format!("{chat}:{}", sent.seq)));

    // FCM: an access token for the service account first, then the message with it.
    let grant = fcm.next().await;
    assert_eq!(grant.path, "/token");
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&grant.body).unwrap();
    assert!(form.contains(&("grant_type".into(), "urn:ietf:params:oauth:grant-type:jwt-bearer".into())));
    let assertion = &form.iter().find(|(k, _)| k == "assertion").unwrap().1;
    let for_google = VerificationOptions {
        allowed_audiences: Some(std::collections::HashSet::from([token_uri.clone()])),
        ..VerificationOptions::default()
    };
    let claims = google_key
        .public_key()
        .verify_token::<Value>(assertion, Some(for_google))
        .expect("signed with the account's key");
    assert_eq!(claims.issuer.as_deref(), Some("magpie@acme-chat.iam.gserviceaccount.com"));
    assert_eq!(claims.custom["scope"], json!("https://www.googleapis.com/auth/firebase.messaging"));
    let send = fcm.next().await;
    assert_eq!(send.path, "/v1/projects/acme-chat/messages:send");
    assert_eq!(send.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer ya29.magpie-test"));
    let message: Value = serde_json::from_slice(&send.body).unwrap();
    assert_eq!(message["message"]["token"], json!("fcm-token-of-bobs-android"));
    assert_eq!(message["message"]["android"]["priority"], json!("high"));
    assert_eq!(message["message"]["android"]["notification"]["notification_count"], json!(1));
    let data: Value = serde_json::from_str(message["message"]["data"]["magpie"].as_str().unwrap()).unwrap();
    assert_eq!((data["conversation"].clone(), data["seq"].clone()), (json!(chat), json!(sent.seq)));

    // The app was deleted: Apple says Unregistered, Google UNREGISTERED; both devices go.
    apns.answer(StatusCode::GONE, json!({"reason": "Unregistered"}));
    fcm.answer(
        StatusCode::NOT_FOUND,
        json!({"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}}),
    );
    alice.client.send_text(chat, "a2", "are you coming?").await.unwrap();
    apns.next().await;
    assert_eq!(fcm.next().await.path, "/v1/projects/acme-chat/messages:send", "the access token is kept");
    let admin = server.admin_user("root").await;
    let failures = failures_until(&admin, |f| f.iter().filter(|f| f.target_dropped).count() == 2).await;
    let mut kinds: Vec<&str> = failures.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["apns", "fcm"]);
    assert!(bob.client.push_targets().await.unwrap().targets.is_empty());
}

#[tokio::test]
async fn a_conversation_level_and_a_timed_mute_decide_over_the_account_level() {
    let mut gateway = FakeService::start(StatusCode::OK).await;
    let url = format!("xiaomi={}/push", gateway.url);
    let server =
        TestServer::start_with(&[("MAGPIE_PUSH_GATEWAYS", url.as_str()), ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50")]).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let bob_phone = server.login(&bob.account).await;
    let device =
        wire::PushTargetRequest::Gateway { gateway: "xiaomi".into(), app_id: "chat".into(), pushkey: "mi-bob".into() };
    bob.client.add_push_target(&device).await.unwrap();
    let group = crate::harness::group(&alice, "ops", &[&bob.account]).await.id;
    let chat = direct(&alice, &bob).await;
    let seq_of = |r: Received| serde_json::from_slice::<Value>(&r.body).unwrap()["notification"]["seq"].clone();

    // Nothing from the group; the direct chat still pushes (the next push is its message's).
    let nothing = wire::SettingsRequest { notify_level: Some(wire::NotifyLevelChoice::Nothing), ..Default::default() };
    let view = bob.client.update_settings(group, &nothing).await.unwrap();
    assert_eq!(view.me.notify_level, Some(NotifyLevel::Nothing));
    assert_eq!(bob_phone.client.conversation(group).await.unwrap().me.notify_level, Some(NotifyLevel::Nothing));
    alice.client.send_text(group, "n1", "standup moved").await.unwrap();
    let d1 = alice.client.send_text(chat, "n2", "see the group?").await.unwrap();
    assert_eq!(seq_of(gateway.next().await), json!(d1.seq));

    // The account wants only mentions, the group everything: the group's level wins.
    let prefs = NotificationPrefs { level: NotifyLevel::Mentions, ..NotificationPrefs::default() };
    bob.client.set_notification_prefs(&prefs).await.unwrap();
    let all = wire::SettingsRequest { notify_level: Some(wire::NotifyLevelChoice::All), ..Default::default() };
    bob.client.update_settings(group, &all).await.unwrap();
    let g1 = alice.client.send_text(group, "a1", "release at five").await.unwrap();
    assert_eq!(seq_of(gateway.next().await), json!(g1.seq));

    // Muted for an hour: a plain message is held back, a mention of bob gets through.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let hour = wire::SettingsRequest { muted: Some(true), unmute_at_ms: Some(now + 3_600_000), ..Default::default() };
    let view = bob.client.update_settings(group, &hour).await.unwrap();
    assert!(view.me.muted);
    assert_eq!(view.me.unmute_at_ms, Some(now + 3_600_000));
    alice.client.send_text(group, "m1", "anyone for lunch").await.unwrap();
    let g2 = alice.client.send_message(group, &send_request("m2", "@bob the build", &[&bob.account])).await.unwrap();
    let push: Value = serde_json::from_slice(&gateway.next().await.body).unwrap();
    assert_eq!(
        (push["notification"]["seq"].clone(), push["notification"]["why"].clone()),
        (json!(g2.seq), json!("mention"))
    );

    // A mute that has already ended, or a time without muting, is refused and changes nothing.
    for bad in [
        wire::SettingsRequest { muted: Some(true), unmute_at_ms: Some(now - 1), ..Default::default() },
        wire::SettingsRequest { unmute_at_ms: Some(now + 60_000), ..Default::default() },
        wire::SettingsRequest { muted: Some(true), unmute_at_ms: Some(now + 400 * 86_400_000), ..Default::default() },
    ] {
        let err = bob.client.update_settings(group, &bad).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{bad:?}");
    }
    assert_eq!(bob.client.conversation(group).await.unwrap().me.unmute_at_ms, Some(now + 3_600_000));

    // Unmuted and back to the account's level (mentions): a plain message is held, a mention is not.
    let back = wire::SettingsRequest {
        muted: Some(false),
        notify_level: Some(wire::NotifyLevelChoice::Default),
        ..Default::default()
    };
    let view = bob.client.update_settings(group, &back).await.unwrap();
    assert_eq!((view.me.muted, view.me.unmute_at_ms, view.me.notify_level), (false, None, None));
    alice.client.send_text(group, "b1", "plain again").await.unwrap();
    let g3 = alice.client.send_message(group, &send_request("b2", "@bob one more", &[&bob.account])).await.unwrap();
    assert_eq!(seq_of(gateway.next().await), json!(g3.seq));
}

#[tokio::test]
async fn a_group_message_reaches_a_gateway_as_one_request_for_all_its_devices() {
    let mut gateway = FakeService::start(StatusCode::OK).await;
    let url = format!("oppo={}/push", gateway.url);
    let server =
        TestServer::start_with(&[("MAGPIE_PUSH_GATEWAYS", url.as_str()), ("MAGPIE_PUSH_POLL_INTERVAL_MS", "50")]).await;
    let alice = server.user("alice").await;
    let mut members = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let user = server.user(name).await;
        let device = wire::PushTargetRequest::Gateway {
            gateway: "oppo".into(),
            app_id: "chat".into(),
            pushkey: format!("op-{name}"),
        };
        user.client.add_push_target(&device).await.unwrap();
        members.push(user);
    }
    let addrs: Vec<&str> = members.iter().map(|u| u.account.as_str()).collect();
    let group = crate::harness::group(&alice, "产品 product", &addrs).await.id;
    let devices_of = |r: &Received| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let mut keys: Vec<String> = body["notification"]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["pushkey"].as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        (body["notification"]["why"].as_str().unwrap().to_owned(), keys)
    };

    // One message, told for one reason: one request names every device.
    alice.client.send_text(group, "o1", "spec is out").await.unwrap();
    let one = gateway.next().await;
    assert_eq!(devices_of(&one), ("message".into(), vec!["op-bob".into(), "op-carol".into(), "op-dave".into()]));

    // A mention of bob is told for another reason: his device goes in a request of its own.
    // The gateway's vendor rejects carol's key in the other: only her device is dropped.
    gateway.answer(StatusCode::OK, json!({"rejected": ["op-carol"]}));
    gateway.answer(StatusCode::OK, json!({"rejected": ["op-carol"]}));
    alice.client.send_message(group, &send_request("o2", "@bob look", &[&members[0].account])).await.unwrap();
    let mut got = vec![devices_of(&gateway.next().await), devices_of(&gateway.next().await)];
    got.sort();
    assert_eq!(
        got,
        vec![("mention".into(), vec!["op-bob".into()]), ("message".into(), vec!["op-carol".into(), "op-dave".into()])]
    );
    let admin = server.admin_user("root").await;
    let failures = failures_until(&admin, |f| !f.is_empty()).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].target_dropped && failures[0].account == members[1].account);
    assert!(members[1].client.push_targets().await.unwrap().targets.is_empty());
    assert_eq!(members[2].client.push_targets().await.unwrap().targets.len(), 1, "dave's device stays");

    // A gateway that answers 404 gives the request up without dropping its devices.
    gateway.answer(StatusCode::NOT_FOUND, json!({}));
    alice.client.send_text(group, "o3", "moved the doc").await.unwrap();
    assert_eq!(devices_of(&gateway.next().await).1, vec!["op-bob".to_owned(), "op-dave".to_owned()]);
    let failures = failures_until(&admin, |f| f.len() == 3).await;
    assert!(failures[..2].iter().all(|f| !f.target_dropped && f.error.contains("404")), "{failures:?}");
    assert_eq!(members[0].client.push_targets().await.unwrap().targets.len(), 1);
}
