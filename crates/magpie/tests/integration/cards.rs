//! Interactive cards and slash commands (issue 18): an app's bot sends a card with buttons and
//! inputs; a member presses a button, the server asks the app at once (signed), and the app's
//! answer updates the card in place for every member and device, stamped with who acted.
//! Malformed cards are refused naming the field; people send no cards with buttons; an app that
//! fails leaves the card as it was and the member is told why. A bot's commands are offered in
//! its conversations, and an invocation's answer goes to the caller only or to everyone.

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
    actions: mpsc::UnboundedReceiver<AppRequest>,
    /// The port it listens on; it also serves an image at `/img.png`, counting the fetches.
    port: u16,
    /// While set, the app answers only once `release` lets it (one answer per `notify_one`).
    hold: Arc<std::sync::atomic::AtomicBool>,
    release: Arc<tokio::sync::Notify>,
    image_fetches: Arc<std::sync::atomic::AtomicUsize>,
}

impl CardApp {
    async fn start() -> CardApp {
        let (tx, actions) = mpsc::unbounded_channel();
        let secret: Arc<Mutex<String>> = Arc::default();
        let answer = Arc::new(Mutex::new(Answer::Nothing));
        let hold = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let release = Arc::new(tokio::sync::Notify::new());
        let (key, told, held, released) = (secret.clone(), answer.clone(), hold.clone(), release.clone());
        let handler = move |headers: HeaderMap, body: Bytes| {
            let (tx, key, told, held, released) =
                (tx.clone(), key.clone(), told.clone(), held.clone(), released.clone());
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
                let request = match checked {
                    Ok(request @ (AppRequest::CardAction(_) | AppRequest::Command(_))) => request,
                    _ => return (StatusCode::UNAUTHORIZED, "refused").into_response(),
                };
                let _ = tx.send(request);
                if held.load(std::sync::atomic::Ordering::SeqCst) {
                    released.notified().await;
                }
                let answer = told.lock().unwrap().clone();
                let response: Response = match answer {
                    Answer::Json(v) => Json(v).into_response(),
                    Answer::Nothing => StatusCode::OK.into_response(),
                    Answer::Status(status, text) => (status, text).into_response(),
                };
                response
            }
        };
        let image_fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let fetches = image_fetches.clone();
        let image = move || {
            fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { ([(axum::http::header::CONTENT_TYPE, "image/png")], png(64, 32)) }
        };
        let app =
            axum::Router::new().route("/img.png", axum::routing::get(image)).fallback(axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/magpie/cards");
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        CardApp { url, secret, answer, actions, port, hold, release, image_fetches }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// The action the app got last (it must have got one).
    fn took(&mut self) -> wire::CardActionEvent {
        match self.actions.try_recv().expect("the app got the action before the server answered") {
            AppRequest::CardAction(event) => *event,
            other => panic!("not a card's action: {other:?}"),
        }
    }

    /// The command the app got last (it must have got one).
    fn invoked(&mut self) -> wire::CommandEvent {
        match self.actions.try_recv().expect("the app got the command before the server answered") {
            AppRequest::Command(event) => *event,
            other => panic!("not a command: {other:?}"),
        }
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 4) as u8, (y * 8) as u8, 128]));
    let mut png = Vec::new();
    pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png)).unwrap();
    png
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

/// The next entry at `seq` or after on a connection: what committed just before it opened (the
/// group's own notices) may still be on its way to it.
async fn entry_from(live: &mut magpie_client::Connection, seq: i64) -> wire::Entry {
    loop {
        let entry = next_entry(live).await;
        if entry.seq >= seq {
            return entry;
        }
    }
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
    setup_for(app, &["card_action"]).await
}

async fn setup_for(app: &CardApp, events: &[&str]) -> (TestServer, User, Client) {
    let ports = format!("80,443,{}", app.port);
    let server = TestServer::start_with(&[
        ("MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED", "127.0.0.1"),
        // The app's own site serves the cards' images.
        ("MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED", "127.0.0.1/32"),
        ("MAGPIE_LINK_PREVIEW_PORTS_ALLOWED", &ports),
    ])
    .await;
    let admin = server.admin_user("boss").await;
    admin.client.create_bot(&wire::CreateBotRequest { name: "leave".into(), ..Default::default() }).await.unwrap();
    let token =
        wire::CreateBotTokenRequest { name: "app".into(), conversations: None, read: true, send: true, ttl_days: None };
    let token = admin.client.create_bot_token(BOT, &token).await.unwrap();
    let events = events.iter().map(|e| (*e).to_owned()).collect();
    let subscription = wire::CreateEventSubscriptionRequest { url: app.url.clone(), events };
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
    // Ann on two devices, Bob on one; each gets the card.
    let (mut phone, mut laptop, mut bobs) = (ann.connect().await, ann.connect().await, bob.connect().await);
    let sent = bot.send_message(team.id, &card("c1", approval("Ann"))).await.unwrap();
    for live in [&mut phone, &mut laptop, &mut bobs] {
        assert_eq!(entry_from(live, sent.seq).await.seq, sent.seq);
    }

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
        let edit = entry_from(live, updated_seq).await;
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
    // Nor do they edit buttons into one.
    let err = ann.client.edit_message(team.id, mine.seq, approval("Ann"), None).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("body.blocks")), "{err}");
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

fn command(name: &str, hint: &str) -> wire::BotCommand {
    wire::BotCommand { name: name.into(), description: format!("{name} things"), hint: hint.into() }
}

#[tokio::test]
async fn a_bots_commands_are_offered_where_it_is_and_answered_to_the_caller_or_to_everyone() {
    let mut app = CardApp::start().await;
    let (server, admin, _bot) = setup_for(&app, &["command", "card_action"]).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let team = group(&ann, "team", &[BOT, "bob@localhost"]).await;
    let elsewhere = group(&ann, "elsewhere", &["bob@localhost"]).await;

    // Its managers set its commands; bad ones are refused naming the field, and another bot of
    // the domain cannot take a name.
    let set = admin.client.set_bot_commands(BOT, &[command("leave", "[days] [reason]"), command("balance", "")]).await;
    let names: Vec<_> = set.unwrap().commands.into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["leave", "balance"]);
    for (list, field) in [
        (vec![command("Leave", "")], "commands[0].name"),
        (vec![command("leave", ""), command("leave", "")], "commands[1].name"),
        (
            vec![
                command("ok", ""),
                wire::BotCommand { name: "x".into(), description: String::new(), hint: String::new() },
            ],
            "commands[1].description",
        ),
    ] {
        let err = admin.client.set_bot_commands(BOT, &list).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)), "{err}");
    }
    admin.client.create_bot(&wire::CreateBotRequest { name: "hr".into(), ..Default::default() }).await.unwrap();
    let err = admin.client.set_bot_commands("hr@localhost", &[command("leave", "")]).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("commands[0].name")), "{err}");
    let err = ann.client.set_bot_commands(BOT, &[command("mine", "")]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "not hers to manage: {err}");
    assert_eq!(admin.client.bot_commands(BOT).await.unwrap().commands.len(), 2, "unchanged");

    // A conversation offers the commands of its bots, to its members.
    let offered = ann.client.offered_commands(team.id).await.unwrap().commands;
    let seen: Vec<_> = offered.iter().map(|c| (c.name.as_str(), c.hint.as_str(), c.bot.as_str())).collect();
    assert_eq!(seen, [("balance", "", BOT), ("leave", "[days] [reason]", BOT)]);
    assert!(ann.client.offered_commands(elsewhere.id).await.unwrap().commands.is_empty());
    let outsider = server.user("eve").await;
    let err = outsider.client.offered_commands(team.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");

    // An ephemeral answer comes back to the caller only; nothing is posted.
    let (mut anns, mut bobs) = (ann.connect().await, bob.connect().await);
    app.answer(Answer::Json(json!({"text": "You have **12** days left"})));
    let answered = ann.client.invoke_command(team.id, "/balance", "").await.unwrap();
    let got = app.invoked();
    assert_eq!((got.kind.as_str(), got.command.as_str(), got.text.as_str()), ("command", "/balance", ""));
    assert_eq!((got.user.account.as_str(), got.conversation, got.bot.as_str()), ("ann@localhost", team.id, BOT));
    assert_eq!(
        (answered.response_type.as_str(), answered.kind.as_deref(), answered.seq),
        ("ephemeral", Some("markdown"), None)
    );
    assert_eq!(answered.body.unwrap()["text"], "You have **12** days left");

    // An in-channel answer is posted by the bot for everyone.
    app.answer(Answer::Json(json!({"response_type": "in_channel", "text": "Ann is off 2026-12-10 to 12-11"})));
    let posted = ann.client.invoke_command(team.id, "leave", "2 family").await.unwrap();
    assert_eq!(app.invoked().text, "2 family");
    let seq = posted.seq.expect("posted");
    for live in [&mut anns, &mut bobs] {
        let entry = entry_from(live, seq).await;
        assert_eq!((entry.seq, entry.sender.as_str(), entry.kind.as_str()), (seq, BOT, "markdown"));
        assert_eq!(entry.body.unwrap()["text"], "Ann is off 2026-12-10 to 12-11");
    }

    // Commands that are not here, and apps that fail, say so; nothing is posted.
    let err = ann.client.invoke_command(elsewhere.id, "leave", "").await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("command")), "{err}");
    let err = outsider.client.invoke_command(team.id, "leave", "").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    app.answer(Answer::Status(StatusCode::SERVICE_UNAVAILABLE, "on holiday"));
    let err = ann.client.invoke_command(team.id, "leave", "").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppFailed), "{err}");
    assert!(err.to_string().contains("on holiday"), "{err}");
    app.invoked();
    app.answer(Answer::Json(
        json!({"response_type": "in_channel", "kind": "card", "body": {"card": "interactive", "blocks": []}}),
    ));
    let err = ann.client.invoke_command(team.id, "leave", "").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppFailed), "{err}");
    app.invoked();
    // An answer the bot may not post (it names a file) is the app's failure too.
    app.answer(Answer::Json(
        json!({"response_type": "in_channel", "kind": "file", "body": {"file": "f1", "name": "a.pdf"}}),
    ));
    let err = ann.client.invoke_command(team.id, "leave", "").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AppFailed), "{err}");
    app.invoked();
    let page = ann.client.messages(team.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.last_seq, seq, "nothing posted after the in-channel answer");
    // A bot that leaves takes its commands with it.
    ann.client.remove_member(team.id, BOT).await.unwrap();
    assert!(ann.client.offered_commands(team.id).await.unwrap().commands.is_empty());
}

#[tokio::test]
async fn a_cards_image_is_fetched_by_the_server_once_and_shown_only_to_those_who_may_read_the_card() {
    let app = CardApp::start().await;
    let (server, _admin, bot) = setup(&app).await;
    let ann = server.user("ann").await;
    let bob = server.user("bob").await;
    let eve = server.user("eve").await;
    let team = group(&ann, "team", &[BOT, "bob@localhost"]).await;
    let body = json!({"card": "interactive", "title": "New office", "blocks": [
        {"type": "text", "text": "We move on Monday"},
        {"type": "image", "url": format!("http://127.0.0.1:{}/img.png", app.port), "alt": "The floor plan"},
        {"type": "image", "url": format!("http://127.0.0.1:{}/missing.png", app.port)}
    ]});
    let sent = bot.send_message(team.id, &card("office", body)).await.unwrap();
    let fetches = || app.image_fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(fetches(), 0, "nothing is fetched before someone looks");

    // The members get a JPEG the server made; the site is asked once.
    let jpeg = ann.client.card_image(team.id, sent.seq, 1).await.unwrap();
    assert!(jpeg.starts_with(&[0xff, 0xd8]), "a JPEG");
    assert_eq!(bob.client.card_image(team.id, sent.seq, 1).await.unwrap(), jpeg);
    assert_eq!(fetches(), 1, "fetched once, kept");

    // Not an image block, no such block, an image that cannot be had, someone outside: not found.
    for (who, block) in [(&ann, 0), (&ann, 7), (&ann, 2), (&eve, 1)] {
        let err = who.client.card_image(team.id, sent.seq, block).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    }
    assert_eq!(fetches(), 1);
}

#[tokio::test]
async fn an_answer_to_a_press_never_overwrites_a_card_that_changed_while_the_app_answered() {
    let mut app = CardApp::start().await;
    let (server, _admin, bot) = setup(&app).await;
    let ann = server.user("ann").await;
    let team = group(&ann, "team", &[BOT]).await;
    let sent = bot.send_message(team.id, &card("c1", approval("Ann"))).await.unwrap();

    // Ann presses; while the app thinks, the app's own edit (or another press's answer) lands.
    app.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    app.answer(Answer::Json(json!({"update": {"blocks": [{"type": "note", "text": "stale"}]}, "toast": "Noted"})));
    let press = {
        let client = ann.client.clone();
        tokio::spawn(async move { client.card_action(team.id, sent.seq, &press("approve", &[])).await })
    };
    let got = tokio::time::timeout(crate::harness::EVENTUALLY, app.actions.recv()).await.unwrap().unwrap();
    assert!(matches!(got, AppRequest::CardAction(_)));
    let mut newer = approval("Ann");
    newer["title"] = json!("Leave request (withdrawn)");
    bot.edit_message(team.id, sent.seq, newer.clone(), None).await.unwrap();
    app.release.notify_one();
    let result = press.await.unwrap().unwrap();
    assert_eq!((result.updated_seq, result.toast.as_deref()), (None, Some("Noted")), "the stale answer is dropped");
    let page = ann.client.messages(team.id, wire::HistoryQuery::default()).await.unwrap();
    let now = page.entries.iter().find(|e| e.seq == sent.seq).unwrap();
    assert_eq!(now.body.as_ref(), Some(&newer), "the newer card stays");
}
