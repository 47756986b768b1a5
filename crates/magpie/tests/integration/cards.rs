//! Interactive cards (issue 18): an app's bot sends a card with buttons and inputs; a member
//! presses a button, the server asks the app at once (signed), and the app's answer updates the
//! card in place for every member and device, stamped with who acted. Malformed cards are
//! refused naming the field; people send no cards with buttons; an app that fails leaves the
//! card as it was and the member is told why.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use magpie_client::Client;
use magpie_client::apps::{AppRequest, verify_request};
use magpie_wire::{self as wire, ErrorCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::harness::{TestServer, User, group, next_entry};

const BOT: &str = "leave@localhost";

/// How the app answers a card's action.
#[derive(Clone)]
enum Answer {
    /// 200 with this JSON.
    Json(Value),
    /// 200 with nothing.
    Nothing,
    /// This status, with a text.
    Status(StatusCode, &'static str),
}

/// An app on loopback that believes only requests signed with its secret, hands the test each
/// card action it got, and answers as it is told.
struct CardApp {
    url: String,
    secret: Arc<Mutex<String>>,
    answer: Arc<Mutex<Answer>>,
    actions: mpsc::UnboundedReceiver<wire::CardActionEvent>,
}

impl CardApp {
    async fn start() -> CardApp {
        let (tx, actions) = mpsc::unbounded_channel();
        let secret: Arc<Mutex<String>> = Arc::default();
        let answer = Arc::new(Mutex::new(Answer::Nothing));
        let (key, told) = (secret.clone(), answer.clone());
        let handler = move |headers: HeaderMap, body: Bytes| {
            let (tx, key, told) = (tx.clone(), key.clone(), told.clone());
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let secret = key.lock().unwrap().clone();
                let checked = verify_request(
                    &secret,
                    &header("x-magpie-timestamp"),
                    &header("x-magpie-signature"),
                    &body,
                    i64::try_from(now).unwrap(),
                );
                let Ok(AppRequest::CardAction(event)) = checked else {
                    return (StatusCode::UNAUTHORIZED, "refused").into_response();
                };
                let _ = tx.send(*event);
                let answer = told.lock().unwrap().clone();
                let response: Response = match answer {
                    Answer::Json(v) => Json(v).into_response(),
                    Answer::Nothing => StatusCode::OK.into_response(),
                    Answer::Status(status, text) => (status, text).into_response(),
                };
                response
            }
        };
        let app = axum::Router::new().fallback(axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/magpie/cards", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        CardApp { url, secret, answer, actions }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// The action the app got last (it must have got one).
    fn took(&mut self) -> wire::CardActionEvent {
        self.actions.try_recv().expect("the app got the action before the server answered")
    }
}

/// A leave request for `who`, to approve or reject, with a note.
fn approval(who: &str) -> Value {
    json!({
        "card": "interactive",
        "title": "Leave request",
        "blocks": [
            {"type": "text", "text": format!("**{who}** asks for two days off")},
            {"type": "fields", "fields": [{"label": "From", "value": "2026-12-10"}, {"label": "Days", "value": "2"}]},
            {"type": "actions", "elements": [
                {"type": "input", "id": "note", "label": "Note", "max_chars": 100},
                {"type": "select", "id": "cover", "options": [{"label": "Bob", "value": "bob"}, {"label": "Nobody", "value": "none"}]},
                {"type": "button", "id": "approve", "label": "Approve", "style": "primary", "value": "req-17"},
                {"type": "button", "id": "reject", "label": "Reject", "style": "danger"}
            ]}
        ]
    })
}

fn card(client_msg_id: &str, body: Value) -> wire::SendRequest {
    wire::SendRequest {
        client_msg_id: client_msg_id.into(),
        kind: "card".into(),
        body,
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    }
}

fn press(action: &str, inputs: &[(&str, &str)]) -> wire::CardActionRequest {
    wire::CardActionRequest {
        action: action.into(),
        inputs: inputs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

/// A server whose apps are on loopback; its administrator; a bot with a token that reads and
/// sends; the app subscribed to the bot's card actions.
async fn setup(app: &CardApp) -> (TestServer, User, Client) {
    let server = TestServer::start_with(&[("MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED", "127.0.0.1")]).await;
    let admin = server.admin_user("boss").await;
    admin.client.create_bot(&wire::CreateBotRequest { name: "leave".into(), ..Default::default() }).await.unwrap();
    let token =
        wire::CreateBotTokenRequest { name: "app".into(), conversations: None, read: true, send: true, ttl_days: None };
    let token = admin.client.create_bot_token(BOT, &token).await.unwrap();
    let subscription =
        wire::CreateEventSubscriptionRequest { url: app.url.clone(), events: vec!["card_action".into()] };
    let issued = admin.client.create_subscription(BOT, &subscription).await.unwrap();
    *app.secret.lock().unwrap() = issued.secret;
    let bot = server.anonymous().with_token(token.token);
    (server, admin, bot)
}

#[tokio::test]
async fn a_press_goes_to_the_app_signed_and_its_answer_updates_the_card_on_every_device() {
    let mut app = CardApp::start().await;
    let (server, _admin, bot) = setup(&app).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let team = group(&ann, "team", &[BOT, "bob@localhost"]).await;
    let sent = bot.send_message(team.id, &card("c1", approval("Ann"))).await.unwrap();

    // Ann on two devices, Bob on one.
    let (mut phone, mut laptop, mut bobs) = (ann.connect().await, ann.connect().await, bob.connect().await);

    // A press that names no button of the card, or an input it lacks or a value it does not
    // offer, is refused naming the field, and the app hears nothing.
    for (req, field) in [
        (press("delete", &[]), "action"),
        (press("note", &[]), "action"),
        (press("approve", &[("cover", "carol")]), "inputs.cover"),
        (press("approve", &[("color", "red")]), "inputs.color"),
        (press("approve", &[("note", &"x".repeat(101))]), "inputs.note"),
    ] {
        let err = ann.client.card_action(team.id, sent.seq, &req).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)), "{err}");
    }
    assert!(app.actions.try_recv().is_err(), "nothing reached the app");

    // Ann approves with a note: the app gets it, signed, with who and what.
    let decided = json!({
        "update": {
            "title": "Leave request",
            "blocks": [
                {"type": "text", "text": "**Ann** asks for two days off"},
                {"type": "fields", "fields": [{"label": "Decision", "value": "Approved by Ann: enjoy"}]}
            ]
        },
        "toast": "Approved"
    });
    app.answer(Answer::Json(decided));
    let result = ann
        .client
        .card_action(team.id, sent.seq, &press("approve", &[("note", "enjoy"), ("cover", "bob")]))
        .await
        .unwrap();
    let got = app.took();
    assert_eq!(
        (got.kind.as_str(), got.bot.as_str(), got.conversation, got.seq),
        ("card_action", BOT, team.id, sent.seq)
    );
    assert_eq!((got.user.account.as_str(), got.action.id.as_str()), ("ann@localhost", "approve"));
    assert_eq!((got.action.label.as_str(), got.action.value.as_deref()), ("Approve", Some("req-17")));
    assert_eq!(got.inputs.get("note").map(String::as_str), Some("enjoy"));
    assert_eq!(got.inputs.get("cover").map(String::as_str), Some("bob"));
    assert_eq!(got.card["title"], "Leave request");
    assert_eq!(result.toast.as_deref(), Some("Approved"));
    let updated_seq = result.updated_seq.expect("the card was updated");

    // The update is an edit by the bot, in the log: every device of every member gets it, with
    // who acted stamped by the server.
    for live in [&mut phone, &mut laptop, &mut bobs] {
        let edit = next_entry(live).await;
        assert_eq!((edit.kind.as_str(), edit.seq, edit.target), ("edit", updated_seq, Some(sent.seq)));
        assert_eq!(edit.sender, BOT);
        let body = edit.body.expect("the new card");
        assert_eq!(body["card"], "interactive");
        assert_eq!(body["blocks"][1]["fields"][0]["value"], "Approved by Ann: enjoy");
        assert_eq!(body["acted"]["by"], "ann@localhost");
        assert_eq!(
            (body["acted"]["action"].as_str(), body["acted"]["label"].as_str()),
            (Some("approve"), Some("Approve"))
        );
    }
    // History shows the card as it is now; its buttons are gone, so another press is refused.
    let page = bob.client.messages(team.id, wire::HistoryQuery::default()).await.unwrap();
    let now = page.entries.iter().find(|e| e.seq == sent.seq).unwrap();
    assert_eq!(now.body.as_ref().unwrap()["acted"]["name"], "ann");
    assert!(now.edited_at_ms.is_some());
    let again = bob.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!((again.code(), again.field()), (Some(ErrorCode::InvalidField), Some("action")), "{again}");

    // An app that answers nothing leaves the card as it is.
    let second = bot.send_message(team.id, &card("c2", approval("Bob"))).await.unwrap();
    app.answer(Answer::Nothing);
    let quiet = bob.client.card_action(team.id, second.seq, &press("reject", &[])).await.unwrap();
    assert_eq!((quiet.updated_seq, quiet.toast), (None, None));
    assert_eq!(app.took().user.account, "bob@localhost");
}

#[tokio::test]
async fn an_app_that_fails_leaves_the_card_as_it_was_and_the_member_is_told_why() {
    let mut app = CardApp::start().await;
    let (server, admin, bot) = setup(&app).await;
    let ann = server.user("ann").await;
    let team = group(&ann, "team", &[BOT]).await;
    let sent = bot.send_message(team.id, &card("c1", approval("Ann"))).await.unwrap();
    let failed = |err: &magpie_client::Error| (err.code(), err.to_string());

    app.answer(Answer::Status(StatusCode::INTERNAL_SERVER_ERROR, "database down"));
    let err = ann.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    let (code, message) = failed(&err);
    assert_eq!(code, Some(ErrorCode::AppFailed), "{err}");
    assert!(message.contains("500") && message.contains("database down"), "{message}");
    app.took();

    // A new card that is not valid is the app's failure too, naming what is wrong.
    app.answer(Answer::Json(json!({"update": {"blocks": [{"type": "button", "id": "x"}]}})));
    let err = ann.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    let (code, message) = failed(&err);
    assert_eq!(code, Some(ErrorCode::AppFailed), "{err}");
    assert!(message.contains("update.blocks[0].type"), "{message}");
    app.took();
    app.answer(Answer::Json(json!({"update": {"card": "link", "url": "https://x.example"}})));
    let err = ann.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppFailed), "{err}");
    app.took();

    // Through all that, the card is as the bot sent it.
    let page = ann.client.messages(team.id, wire::HistoryQuery::default()).await.unwrap();
    let now = page.entries.iter().find(|e| e.seq == sent.seq).unwrap();
    assert_eq!(now.body.as_ref(), Some(&approval("Ann")));
    assert!(now.edited_at_ms.is_none());

    // An app with no subscription that takes card actions is not asked: the member hears so.
    let subs = admin.client.bot_subscriptions(BOT).await.unwrap().subscriptions;
    let change = wire::UpdateEventSubscriptionRequest { events: Some(vec!["message".into()]), ..Default::default() };
    admin.client.update_subscription(BOT, subs[0].id, &change).await.unwrap();
    let err = ann.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppFailed), "{err}");
    assert!(err.to_string().contains("card actions"), "{err}");
    assert!(app.actions.try_recv().is_err(), "nothing reached the app");
}

#[tokio::test]
async fn cards_are_checked_and_only_members_press_the_buttons_of_an_apps_cards() {
    let mut app = CardApp::start().await;
    let (server, _admin, bot) = setup(&app).await;
    let ann = server.user("ann").await;
    let eve = server.user("eve").await;
    let team = group(&ann, "team", &[BOT]).await;

    // A malformed card is refused with the field named, by its path.
    for (edit, field) in [
        (json!({"card": "interactive", "blocks": []}), "body.blocks"),
        (
            json!({"card": "interactive", "blocks": [{"type": "fields", "fields": [{"label": "", "value": "x"}]}]}),
            "body.blocks[0].fields[0].label",
        ),
        (
            json!({"card": "interactive", "blocks": [{"type": "actions", "elements": [{"type": "button", "id": "a", "label": "A", "style": "loud"}]}]}),
            "body.blocks[0].elements[0].style",
        ),
        (
            json!({"card": "interactive", "blocks": [{"type": "image", "url": "javascript:alert(1)"}]}),
            "body.blocks[0].url",
        ),
        (
            json!({"card": "interactive", "blocks": [{"type": "divider"}], "acted": {"by": "boss@localhost"}}),
            "body.acted",
        ),
    ] {
        let err = bot.send_message(team.id, &card("bad", edit)).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)), "{err}");
    }

    // People send cards to read, not cards with buttons (their presses would go nowhere).
    let err = ann.client.send_message(team.id, &card("p1", approval("Ann"))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("body.blocks")), "{err}");
    let plain = json!({"card": "interactive", "title": "Lunch", "blocks": [{"type": "text", "text": "Noodles at 12"}]});
    let mine = ann.client.send_message(team.id, &card("p2", plain)).await.unwrap();
    let err = ann.client.card_action(team.id, mine.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{err}");
    let text = ann.client.send_text(team.id, "t1", "hello").await.unwrap();
    let err = ann.client.card_action(team.id, text.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("seq")), "{err}");

    // Someone outside the conversation cannot press, and learns nothing of it.
    let sent = bot.send_message(team.id, &card("c1", approval("Ann"))).await.unwrap();
    let err = eve.client.card_action(team.id, sent.seq, &press("approve", &[])).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    assert!(app.actions.try_recv().is_err(), "nothing reached the app");

    // The app keeps its card up to date later with its token, as an edit; no one else may.
    let mut later = approval("Ann");
    later["title"] = json!("Leave request (reminder sent)");
    bot.edit_message(team.id, sent.seq, later.clone(), None).await.unwrap();
    let err = ann.client.edit_message(team.id, sent.seq, later, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let err = bot.edit_message(team.id, sent.seq, json!({"text": "not a card"}), None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{err}");
    // A press after that sends the app the card as it is now.
    app.answer(Answer::Nothing);
    ann.client.card_action(team.id, sent.seq, &press("reject", &[])).await.unwrap();
    assert_eq!(app.took().card["title"], "Leave request (reminder sent)");
}
