//! Outgoing webhooks (issue 18): an app subscribes its bot to events and gets them as signed
//! POSTs, in order per conversation, at least once: through its own outage, a failure budget
//! that disables the subscription (and tells its managers), and a `kill -9` of the server.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use magpie_client::apps::verify_webhook;
use magpie_wire::{self as wire, ErrorCode};
use tokio::sync::mpsc;

use crate::harness::{TestServer, User, group, next_account_event_any, text_of};

/// An app listening for webhooks on the loopback interface: it checks every request's
/// signature with the secret it was given, answers with the status it is told to, and hands
/// the test each request it believed.
struct App {
    url: String,
    secret: Arc<Mutex<String>>,
    status: Arc<AtomicU16>,
    received: mpsc::UnboundedReceiver<Result<wire::WebhookDelivery, String>>,
}

impl App {
    async fn start() -> App {
        let (tx, received) = mpsc::unbounded_channel();
        let secret: Arc<Mutex<String>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (key, answer) = (secret.clone(), status.clone());
        let handler = move |headers: HeaderMap, body: Bytes| {
            let (tx, key, answer) = (tx.clone(), key.clone(), answer.clone());
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let secret = key.lock().unwrap().clone();
                let checked = verify_webhook(
                    &secret,
                    &header("x-magpie-timestamp"),
                    &header("x-magpie-signature"),
                    &body,
                    i64::try_from(now).unwrap(),
                )
                .map_err(|e| e.to_string());
                let _ = tx.send(checked);
                StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap().into_response()
            }
        };
        let app = axum::Router::new().fallback(axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/magpie/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        App { url, secret, status, received }
    }

    fn answer(&self, status: StatusCode) {
        self.status.store(status.as_u16(), Ordering::SeqCst);
    }

    /// The next request, signed with the secret (else the test fails).
    async fn next(&mut self) -> wire::WebhookDelivery {
        let got = tokio::time::timeout(Duration::from_secs(60), self.received.recv())
            .await
            .expect("a request within a minute")
            .expect("the app runs");
        got.expect("signed with the subscription's secret")
    }

    /// Requests until their events (once each, by id) reach `len`: the events, in the order
    /// they came.
    async fn events(&mut self, seen: &mut HashSet<String>, len: usize) -> Vec<wire::WebhookEvent> {
        let mut out = Vec::new();
        while out.len() < len {
            for e in self.next().await.events {
                if seen.insert(e.id.clone()) {
                    out.push(e);
                }
            }
        }
        out
    }
}

const FAST: [(&str, &str); 5] = [
    ("MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED", "127.0.0.1"),
    // A claim the kill interrupts is taken over after 2 × 1 + 5 s.
    ("MAGPIE_WEBHOOKS_TIMEOUT_SECS", "1"),
    ("MAGPIE_WEBHOOKS_RETRY_INITIAL_MS", "50"),
    ("MAGPIE_WEBHOOKS_RETRY_MAX_MS", "200"),
    ("MAGPIE_WEBHOOKS_POLL_MS", "50"),
];

fn bot(name: &str) -> wire::CreateBotRequest {
    wire::CreateBotRequest { name: name.into(), ..Default::default() }
}

fn subscribe(url: &str, events: &[&str]) -> wire::CreateEventSubscriptionRequest {
    wire::CreateEventSubscriptionRequest { url: url.into(), events: events.iter().map(|e| (*e).to_owned()).collect() }
}

/// The subscription as its manager reads it.
async fn read(manager: &User, bot: &str, id: i64) -> wire::EventSubscription {
    let list = manager.client.bot_subscriptions(bot).await.unwrap().subscriptions;
    list.into_iter().find(|s| s.id == id).expect("the subscription")
}

/// The next item added to the notification centre of the connection's account.
async fn next_item(live: &mut magpie_client::Connection) -> wire::Notification {
    loop {
        if let wire::AccountEvent::NotificationAdded { notification } = next_account_event_any(live).await.event {
            return notification;
        }
    }
}

#[tokio::test]
async fn an_app_gets_signed_events_of_its_bots_conversations_in_order_and_what_it_missed_while_down() {
    let mut app = App::start().await;
    let server = TestServer::start_with(&FAST).await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    let name = "approvals@localhost";
    admin.client.create_bot(&bot("approvals")).await.unwrap();
    let team = group(&ann, "team", &[name]).await;
    let elsewhere = group(&ann, "elsewhere", &[]).await;

    // Bad subscriptions are refused, each naming its field; nothing is kept.
    for (req, field) in [
        (subscribe("ftp://example.com/x", &["message"]), "url"),
        (subscribe("http://10.1.2.3/hook", &["message"]), "url"),
        (subscribe(&app.url, &["message", "typing"]), "events"),
        (subscribe(&app.url, &[]), "events"),
    ] {
        let err = admin.client.create_subscription(name, &req).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)), "{err}");
    }
    let other = ann.client.create_subscription(name, &subscribe(&app.url, &["message"])).await.unwrap_err();
    assert_eq!(other.code(), Some(ErrorCode::NotFound), "not hers to manage: {other}");
    assert!(admin.client.bot_subscriptions(name).await.unwrap().subscriptions.is_empty());

    let made = admin.client.create_subscription(name, &subscribe(&app.url, &["message", "member"])).await.unwrap();
    assert!(made.secret.starts_with("whsec_"));
    assert_eq!((made.info.events.clone(), made.info.enabled), (vec!["message".to_owned(), "member".to_owned()], true));
    *app.secret.lock().unwrap() = made.secret.clone();

    let mut seen = HashSet::new();
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(ann.client.send_text(team.id, &format!("a{i}"), &format!("request {i}")).await.unwrap().seq);
    }
    // Not the bot's conversation: nothing of it goes out.
    ann.client.send_text(elsewhere.id, "x1", "not for the bot").await.unwrap();
    let got = app.events(&mut seen, 5).await;
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), sent, "in order, each once");
    for (i, e) in got.iter().enumerate() {
        assert_eq!((e.kind.as_str(), e.conversation), ("message", team.id));
        let entry = e.entry.as_ref().expect("the message");
        assert_eq!((entry.sender.as_str(), text_of(entry)), ("ann@localhost", format!("request {i}").as_str()));
    }

    // The app is down: nothing is lost, and what waited goes out in order once it is back.
    app.answer(StatusCode::SERVICE_UNAVAILABLE);
    let mut later = Vec::new();
    for i in 5..10 {
        later.push(ann.client.send_text(team.id, &format!("a{i}"), &format!("request {i}")).await.unwrap().seq);
    }
    app.next().await;
    // A batch is tried again only after its failure was recorded.
    app.next().await;
    let down = read(&admin, name, made.info.id).await;
    assert!(down.failures >= 1 && down.enabled, "{down:?}");
    assert!(down.last_error.as_deref().unwrap_or("").contains("503"), "{down:?}");
    assert!(down.pending >= 1, "{down:?}");
    app.answer(StatusCode::OK);
    let got = app.events(&mut seen, 5).await;
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), later, "what waited, in order");

    // The bot's own messages are not its events; a member joining is.
    let token =
        wire::CreateBotTokenRequest { name: "app".into(), conversations: None, read: true, send: true, ttl_days: None };
    let token = admin.client.create_bot_token(name, &token).await.unwrap();
    let as_bot = server.anonymous().with_token(token.token);
    as_bot.send_text(team.id, "b1", "filed").await.unwrap();
    server.user("bob").await;
    let joined = ann.client.add_members(team.id, &["bob@localhost"]).await.unwrap();
    let got = app.events(&mut seen, 1).await;
    assert_eq!((got[0].kind.as_str(), got[0].seq), ("member", joined.seq), "the bot's own message was skipped");
    // A conversation's next batch goes only once the one before was delivered: by now the
    // success that ended the outage is recorded.
    let up = read(&admin, name, made.info.id).await;
    assert_eq!((up.failures, up.last_error.as_deref()), (0, None), "{up:?}");

    // Rotating the secret: the next request is signed with the new one (the app checks).
    let rotated = admin.client.rotate_subscription(name, made.info.id).await.unwrap();
    assert_ne!(rotated.secret, made.secret);
    *app.secret.lock().unwrap() = rotated.secret;
    let m = ann.client.send_text(team.id, "a10", "after rotation").await.unwrap();
    let got = app.events(&mut seen, 1).await;
    assert_eq!(got[0].seq, m.seq);

    let audit = admin.client.admin_audit(&wire::AuditQuery::default()).await.unwrap();
    let actions: Vec<_> = audit.records.iter().map(|r| r.action.as_str()).collect();
    for action in ["bot.subscription_create", "bot.subscription_rotate"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    admin.client.delete_subscription(name, made.info.id).await.unwrap();
    assert!(admin.client.bot_subscriptions(name).await.unwrap().subscriptions.is_empty());
}

#[tokio::test]
async fn a_subscription_that_keeps_failing_is_disabled_its_managers_are_told_and_enabling_it_delivers_what_waited() {
    let mut app = App::start().await;
    let mut env = FAST.to_vec();
    env.push(("MAGPIE_WEBHOOKS_FAILURES_MAX", "3"));
    let server = TestServer::start_with(&env).await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    admin.client.admin_set_members_make_bots("localhost", true).await.unwrap();
    let name = "helper@localhost";
    ann.client.create_bot(&bot("helper")).await.unwrap();
    let team = group(&ann, "team", &[name]).await;
    let made = ann.client.create_subscription(name, &subscribe(&app.url, &["mention"])).await.unwrap();
    let (mut ann_live, mut admin_live) = (ann.client.connect().await.unwrap(), admin.client.connect().await.unwrap());
    *app.secret.lock().unwrap() = made.secret.clone();

    app.answer(StatusCode::INTERNAL_SERVER_ERROR);
    // Only mentions of the bot are its events here.
    ann.client.send_text(team.id, "p1", "plain talk").await.unwrap();
    let mention = |id: &str| wire::SendRequest {
        mentions: vec![name.to_owned()],
        ..magpie_client::text_message(id, "@helper please file this")
    };
    let m1 = ann.client.send_message(team.id, &mention("m1")).await.unwrap();
    for _ in 0..3 {
        let delivery = app.next().await;
        assert_eq!(delivery.events.iter().map(|e| (e.kind.as_str(), e.seq)).collect::<Vec<_>>(), [("mention", m1.seq)]);
    }
    // The owner and the domain's administrators hear of it (after it was disabled), once.
    for (who, live) in [(&ann, &mut ann_live), (&admin, &mut admin_live)] {
        let item = next_item(live).await;
        assert_eq!(item.kind, wire::NotificationKind::AppDisabled, "{item:?}");
        let items = who.client.notifications(&wire::NotificationsQuery::default()).await.unwrap().items;
        let told: Vec<_> = items.iter().filter(|n| n.kind == wire::NotificationKind::AppDisabled).collect();
        assert_eq!(told.len(), 1, "{items:?}");
        assert_eq!(told[0].actor.as_deref(), Some(name));
        assert!(told[0].text.as_deref().unwrap_or("").contains(&app.url), "{told:?}");
    }
    let disabled = read(&ann, name, made.info.id).await;
    assert!(!disabled.enabled && disabled.disabled_at_ms.is_some() && disabled.failures == 3, "{disabled:?}");

    // Enabled again, what waited goes out, then the new. (A message sent while it is disabled
    // may come too, if the follower handles it after the enabling: the subscription is read
    // when an entry is handled.)
    app.answer(StatusCode::OK);
    let enable = wire::UpdateEventSubscriptionRequest { enabled: Some(true), ..Default::default() };
    let enabled = ann.client.update_subscription(name, made.info.id, &enable).await.unwrap();
    assert!(enabled.enabled && enabled.failures == 0 && enabled.disabled_at_ms.is_none(), "{enabled:?}");
    let m3 = ann.client.send_message(team.id, &mention("m3")).await.unwrap();
    let mut seen = HashSet::new();
    let got = app.events(&mut seen, 2).await;
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), [m1.seq, m3.seq]);
}

#[tokio::test]
async fn events_committed_before_a_kill_are_delivered_after_the_restart() {
    let mut app = App::start().await;
    let mut server = TestServer::start_with(&FAST).await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    let name = "approvals@localhost";
    admin.client.create_bot(&bot("approvals")).await.unwrap();
    let team = group(&ann, "team", &[name]).await;
    let made = admin.client.create_subscription(name, &subscribe(&app.url, &["message"])).await.unwrap();
    *app.secret.lock().unwrap() = made.secret.clone();

    app.answer(StatusCode::SERVICE_UNAVAILABLE);
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(ann.client.send_text(team.id, &format!("k{i}"), &format!("before the kill {i}")).await.unwrap().seq);
    }
    app.next().await;
    server.kill().await;
    // Requests the dying server made are forgotten: only what comes after the restart counts.
    while app.received.try_recv().is_ok() {}
    app.answer(StatusCode::OK);
    server.restart_stopped().await;
    let ann = server.login("ann@localhost").await;
    sent.push(ann.client.send_text(team.id, "k3", "after the restart").await.unwrap().seq);
    let mut seen = HashSet::new();
    let got = app.events(&mut seen, 4).await;
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), sent, "every message, in order");
}

#[tokio::test]
async fn mentions_scattered_through_a_busy_group_go_out_together_each_with_its_message() {
    let mut app = App::start().await;
    let server = TestServer::start_with(&FAST).await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    let name = "helper@localhost";
    admin.client.create_bot(&bot("helper")).await.unwrap();
    let team = group(&ann, "team", &[name]).await;
    let made = admin.client.create_subscription(name, &subscribe(&app.url, &["mention"])).await.unwrap();
    *app.secret.lock().unwrap() = made.secret.clone();
    let mention = |id: &str, text: &str| wire::SendRequest {
        mentions: vec![name.to_owned()],
        ..magpie_client::text_message(id, text)
    };

    // The app is down while a mention, much talk, and another mention come: the two wait in
    // one stream, far apart in the conversation.
    app.answer(StatusCode::SERVICE_UNAVAILABLE);
    let first = ann.client.send_message(team.id, &mention("m1", "@helper first")).await.unwrap();
    app.next().await;
    for i in 0..40 {
        ann.client.send_text(team.id, &format!("t{i}"), "talk").await.unwrap();
    }
    let second = ann.client.send_message(team.id, &mention("m2", "@helper second")).await.unwrap();
    // Retries go on until one carries both; then the app is back.
    loop {
        if app.next().await.events.len() == 2 {
            break;
        }
    }
    app.answer(StatusCode::OK);
    let delivery = loop {
        let d = app.next().await;
        if d.events.len() == 2 {
            break d;
        }
    };
    let got: Vec<_> = delivery.events.iter().map(|e| (e.seq, e.entry.as_ref().map(text_of))).collect();
    assert_eq!(got, [(first.seq, Some("@helper first")), (second.seq, Some("@helper second"))]);
}
