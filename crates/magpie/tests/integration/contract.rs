//! The protocol keeps its word: each test is written from a sentence of docs/protocol.md (quoted
//! or named above it), not from the code, and checks the server does what that sentence says.

use magpie_client::Incoming;
use magpie_client::wire::{self, ErrorBody, ErrorCode};
use reqwest::Method;
use serde_json::{Value, json};

use futures_util::{SinkExt as _, StreamExt as _};

use crate::harness::{EVENTUALLY, RawSocket, TestServer, User, group, next_entry};

/// A REST call with a raw JSON body (or none), answered as status and JSON.
async fn call(user: &User, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| serde_json::to_vec(&b).unwrap());
    let json = body.is_some().then_some("application/json");
    let (status, text) = user.client.raw(method, path, body, json).await.unwrap();
    let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, value)
}

/// The error of a REST answer: its code, its field and its message.
fn error_of(answer: &(u16, Value)) -> (ErrorCode, Option<String>, String) {
    let body: ErrorBody = serde_json::from_value(answer.1.clone())
        .unwrap_or_else(|e| panic!("not an error body ({e}): {} {}", answer.0, answer.1));
    (body.error.code, body.error.field, body.error.message)
}

/// §1: "In a request, sending `null` for an optional field is the same as leaving it out."
#[tokio::test]
async fn null_for_an_optional_field_is_the_same_as_leaving_it_out() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;

    let (status, created) = call(
        &alice,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "name": "Lunch", "members": null, "description": null})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["member_count"], 1);
    let id = created["id"].as_i64().unwrap();

    let send = json!({"client_msg_id": "n1", "kind": "text", "body": {"text": "hi"},
                      "mentions": null, "mention_all": null, "reply_to": null});
    let (status, ack) = call(&alice, Method::POST, &format!("/v1/conversations/{id}/messages"), Some(send)).await;
    assert_eq!(status, 200, "{ack}");
    let seq = ack["seq"].as_i64().unwrap();

    // A reaction's `on` left out or null adds it.
    let react = json!({"emoji": "👍", "on": null, "client_msg_id": null});
    let path = format!("/v1/conversations/{id}/messages/{seq}/reactions");
    let (status, answer) = call(&alice, Method::POST, &path, Some(react)).await;
    assert_eq!(status, 200, "{answer}");
    let page = alice.client.messages(id, wire::HistoryQuery::default()).await.unwrap();
    let message = page.entries.iter().find(|e| e.seq == seq).unwrap();
    assert_eq!(message.reactions.len(), 1, "the null `on` added the reaction");
    assert!(message.mentions.is_empty() && !message.mention_all);

    // The same over the WebSocket.
    let live = alice.connect().await;
    let data = json!({"conversation": id, "client_msg_id": "n2", "kind": "text", "body": {"text": "again"},
                      "mentions": null, "mention_all": null});
    live.request_raw("send", serde_json::value::to_raw_value(&data).unwrap()).await.unwrap();
    let data = json!({"kind": "group", "name": "Tea", "members": null});
    live.request_raw("create_conversation", serde_json::value::to_raw_value(&data).unwrap()).await.unwrap();
}

/// §1 "Pages": "Values below 1 count as 1 and values above the list's maximum as that maximum,
/// so `limit=0` and `limit=-3` both ask for one item."
#[tokio::test]
async fn a_limit_below_one_asks_for_one_item() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    server.user("carol").await;
    let lunch = group(&alice, "Lunch", &["bob@localhost"]).await;
    group(&alice, "Tea", &["carol@localhost"]).await;
    for i in 0..3 {
        alice.client.send_text(lunch.id, &format!("m{i}"), "hello").await.unwrap();
    }

    for limit in ["0", "-3"] {
        let (status, page) = call(&alice, Method::GET, &format!("/v1/accounts?limit={limit}"), None).await;
        assert_eq!((status, page["accounts"].as_array().unwrap().len()), (200, 1), "directory, limit={limit}");
        let (status, page) = call(&alice, Method::GET, &format!("/v1/conversations?limit={limit}"), None).await;
        assert_eq!((status, page["conversations"].as_array().unwrap().len()), (200, 1), "list, limit={limit}");
        let path = format!("/v1/conversations/{}/messages?limit={limit}", lunch.id);
        let (status, page) = call(&alice, Method::GET, &path, None).await;
        assert_eq!((status, page["entries"].as_array().unwrap().len()), (200, 1), "history, limit={limit}");
        let (status, page) = call(&alice, Method::GET, &format!("/v1/sync?limit={limit}"), None).await;
        assert_eq!(status, 200, "sync, limit={limit}: {page}");
        assert_eq!(page["conversations"].as_array().unwrap().len(), 1, "sync, limit={limit}");
        assert_eq!(page["more"], true, "two conversations changed, one was given");
    }
    let live = alice.connect().await;
    let data = serde_json::value::to_raw_value(&json!({"conversation": lunch.id, "limit": -3})).unwrap();
    let page: wire::EntryPage =
        serde_json::from_str(live.request_raw("get_messages", data).await.unwrap().get()).unwrap();
    assert_eq!(page.entries.len(), 1);
    // Not an integer at all is malformed, and says which parameter.
    let answer = call(&alice, Method::GET, "/v1/accounts?limit=lots", None).await;
    assert_eq!(error_of(&answer).0, ErrorCode::MalformedRequest);
    assert_eq!(error_of(&answer).1.as_deref(), Some("limit"));
}

/// §1 "Pages": "Cursors (...) are never negative; a negative one gets `invalid_field` naming it."
#[tokio::test]
async fn a_negative_cursor_is_refused_naming_it() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let lunch = group(&alice, "Lunch", &[]).await;
    let id = lunch.id;
    for (path, field) in [
        (format!("/v1/conversations/{id}/messages?after=-5"), "after"),
        (format!("/v1/conversations/{id}/messages?before=-5"), "before"),
        ("/v1/conversations?before=-1".to_owned(), "before"),
        ("/v1/sync?events_after=-1".to_owned(), "events_after"),
        ("/v1/sync?conversations_after=-1".to_owned(), "conversations_after"),
    ] {
        let answer = call(&alice, Method::GET, &path, None).await;
        assert_eq!(answer.0, 422, "{path}: {}", answer.1);
        let (code, named, _) = error_of(&answer);
        assert_eq!((code, named.as_deref()), (ErrorCode::InvalidField, Some(field)), "{path}");
    }
    // 0 is the start: after=0 gives the whole log, before=0 nothing.
    let (_, page) = call(&alice, Method::GET, &format!("/v1/conversations/{id}/messages?after=0"), None).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1, "the group's `created` entry");
    let (_, page) = call(&alice, Method::GET, &format!("/v1/conversations/{id}/messages?before=0"), None).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 0);
    let live = alice.connect().await;
    let data = serde_json::value::to_raw_value(&json!({"events_after": -2})).unwrap();
    let err = live.request_raw("sync", data).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
}

/// §7 mute: "`invalid_field` (422, `"field": "until_ms"`) for a time that is not in the future",
/// and such a mute shows nowhere.
#[tokio::test]
async fn a_mute_that_ended_before_it_began_is_refused() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let lunch = group(&alice, "Lunch", &["bob@localhost"]).await;
    for until in [-1, 0, 1_000] {
        let err = alice.client.mute_member(lunch.id, "bob@localhost", Some(until)).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "until_ms {until}");
        assert_eq!(err.detail().and_then(|d| d.field.as_deref()), Some("until_ms"));
    }
    let members = alice.client.members(lunch.id).await.unwrap();
    assert!(members.iter().all(|m| m.muted_until_ms.is_none()), "{members:?}");
    bob.client.send_text(lunch.id, "b1", "still here").await.unwrap();
}

/// §8.5: "A recalled message is the same tombstone on every device, whether it saw the edits
/// live, skipped them while catching up, or fetched the message afterwards."
#[tokio::test]
async fn a_message_edited_then_recalled_reads_the_same_on_every_path() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let lunch = group(&alice, "Lunch", &["bob@localhost"]).await;
    let mut online = bob.connect().await;

    let mut send = magpie_client::text_message("m1", "noodles @bob?");
    send.mentions = vec!["bob@localhost".into()];
    let seq = alice.client.send_message(lunch.id, &send).await.unwrap().seq;
    alice.client.edit_message(lunch.id, seq, json!({"text": "dumplings @bob?"}), None).await.unwrap();
    let recall = alice.client.recall(lunch.id, seq, None).await.unwrap();

    // The device that was online saw the message, its edit and its recall pushed in order
    // (after the group's creation, which the fan-out may still push to a socket opened since).
    let mut pushed: Vec<wire::Entry> = Vec::new();
    while pushed.len() < 3 {
        let entry = next_entry(&mut online).await;
        if entry.seq >= seq {
            pushed.push(entry);
        }
    }
    assert_eq!(pushed.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["text", "edit", "recall"]);

    // A device that was offline catches up from history: the edit has lost its body, and the
    // message is a tombstone that does not say it was ever edited, nor whom it mentioned.
    let page =
        bob.client.messages(lunch.id, wire::HistoryQuery { after: Some(0), ..Default::default() }).await.unwrap();
    let message = page.entries.iter().find(|e| e.seq == seq).unwrap();
    let edit = page.entries.iter().find(|e| e.kind == "edit").unwrap();
    assert_eq!(edit.body, None, "the edit's body went with the recall");
    assert_eq!(message.body, None);
    assert_eq!(message.recalled_at_ms, Some(recall.at_ms));
    assert_eq!(message.edited_at_ms, None, "when it was edited is gone with what it said");
    assert!(message.mentions.is_empty() && !message.mention_all);
    // Applying what was pushed to the message as first pushed gives the same (§8.5's rules,
    // as the online device applies them: a recall removes the body, the edited time, the
    // mentions and the reactions). In cluster mode the fan-out may read the message from the
    // store's tail after the edit committed, so that it comes already edited.
    let mut applied = pushed[0].clone();
    applied.body = None;
    applied.recalled_at_ms = Some(pushed[2].at_ms);
    applied.edited_at_ms = None;
    applied.mentions.clear();
    applied.mention_all = false;
    applied.reactions.clear();
    assert_eq!(applied, *message);
    // The conversation's preview shows the same tombstone.
    let summary = bob.client.conversation(lunch.id).await.unwrap();
    assert_eq!(summary.last_message.as_ref(), Some(message));
    assert_eq!(summary.mentions, 0);
}

/// §1 "Paragraphs": "line breaks of other systems (CR LF, a lone CR) are kept as newlines".
#[tokio::test]
async fn a_draft_pasted_from_windows_is_kept_with_newlines() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let lunch = group(&alice, "Lunch", &[]).await;
    let settings = wire::SettingsRequest { draft: Some("first line\r\nsecond\rthird".into()), ..Default::default() };
    let conversation = alice.client.update_settings(lunch.id, &settings).await.unwrap();
    assert_eq!(conversation.me.draft.as_deref(), Some("first line\nsecond\nthird"));
    let settings = wire::SettingsRequest { draft: Some("bell\u{7}".into()), ..Default::default() };
    let err = alice.client.update_settings(lunch.id, &settings).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    // Message text keeps what was sent, carriage returns included.
    let seq = alice.client.send_text(lunch.id, "crlf", "a\r\nb").await.unwrap().seq;
    let page = alice.client.messages(lunch.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(crate::harness::text_of(page.entries.iter().find(|e| e.seq == seq).unwrap()), "a\r\nb");
}

/// §7.1: a notes-to-self chat "has one member (`member_count` 1)", its `peer` the account itself.
#[tokio::test]
async fn notes_to_self_have_one_member() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let notes = alice.client.open_direct("alice@localhost").await.unwrap();
    assert_eq!((notes.peer.as_deref(), notes.member_count), (Some("alice@localhost"), 1));
    assert_eq!(alice.client.members(notes.id).await.unwrap().len(), 1);
}

/// §2 and §6.8: errors name the field and say what was expected, in words; a frame's `id` is
/// read however deep its data goes.
#[tokio::test]
async fn errors_name_the_field_in_words_not_the_parsers() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let lunch = group(&alice, "Lunch", &[]).await;
    let parser_words = ["Cannot parse", "Failed to deserialize", "i64", "usize", "invalid digit", "struct "];
    let cases = [
        (Method::GET, "/v1/conversations/abc".to_owned(), None, "id", "expected an integer"),
        (Method::GET, "/v1/conversations?limit=abc".to_owned(), None, "limit", "expected an integer"),
        (Method::GET, format!("/v1/conversations/{}/messages?after=x", lunch.id), None, "after", "expected an integer"),
        (
            Method::POST,
            format!("/v1/conversations/{}/messages", lunch.id),
            Some(json!({"client_msg_id": 5, "kind": "text", "body": {"text": "hi"}})),
            "client_msg_id",
            "expected a string",
        ),
        (
            Method::POST,
            format!("/v1/conversations/{}/messages", lunch.id),
            Some(json!({"client_msg_id": "x", "kind": "text", "body": {"text": "hi"}, "mentions": "bob"})),
            "mentions",
            "expected an array",
        ),
        (Method::PATCH, "/v1/me".to_owned(), Some(json!({"display_name": 7})), "display_name", "expected a string"),
    ];
    for (method, path, body, field, expected) in cases {
        let answer = call(&alice, method.clone(), &path, body).await;
        let (code, named, message) = error_of(&answer);
        assert_eq!((code, named.as_deref()), (ErrorCode::MalformedRequest, Some(field)), "{method} {path}: {message}");
        assert!(message.contains(expected), "{method} {path}: {message:?} does not say {expected:?}");
        for word in parser_words {
            assert!(!message.contains(word), "{method} {path}: {message:?} speaks the parser's {word:?}");
        }
    }

    // A request nested far deeper than the parser follows gets its answer by its id: no
    // id-less error arrives, and the connection goes on answering. (The server answers in
    // order, so by the time the ping's reply is read, an id-less error would already be here.)
    let mut live = alice.connect().await;
    let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    live.send_raw(format!(r#"{{"id":77,"type":"send","data":{{"conversation":1,"body":{deep}}}}}"#)).await.unwrap();
    live.ping().await.unwrap();
    // (Pushes of the group made before the socket opened may come too: the fan-out is late.)
    while let Some(frame) = live.next_incoming(std::time::Duration::ZERO).await {
        if let Incoming::Error(e) = frame {
            panic!("the deep request's error came without its id: {e:?}");
        }
    }
}

/// A WebSocket of `user` without the SDK, past its `hello`: the test decides when to read.
async fn raw_socket(server: &TestServer, user: &User) -> RawSocket {
    let mut socket = server.raw_websocket(&user.login.token).await;
    let hello = socket.next().await.unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("\"hello\""), "{hello:?}");
    socket
}

/// How a raw socket ended once read to its end: its close code, or `None` for a reset or an end
/// without a close frame. Also the text frames read before.
async fn read_to_end(socket: &mut RawSocket) -> (Option<u16>, Vec<Value>) {
    use tokio_tungstenite::tungstenite::Message;
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(EVENTUALLY, socket.next()).await.expect("the server never ended the connection") {
            Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => return (frame.map(|f| u16::from(f.code)), frames),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (None, frames),
        }
    }
}

/// §6.8 "Send queue": a client that stops reading while its queue fills is cut off (`4009`),
/// or, when the close frame itself waits behind the unread data, sees the connection end
/// without it. Either way the connection ends: the server does not hold more for it.
#[tokio::test]
async fn a_socket_that_never_reads_is_cut_off() {
    let server = TestServer::start_with(&[
        ("MAGPIE_WS_SEND_QUEUE_LEN_MAX", "8"),
        crate::harness::FAST[2],
        crate::harness::FAST[3],
    ])
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let lunch = group(&alice, "Lunch", &[&bob.account]).await;
    let mut reader = raw_socket(&server, &bob).await;
    // Far more than the socket buffers and the queue hold: 600 entries of about 24 KB each.
    let long = "长".repeat(8000);
    for i in 0..600 {
        alice.client.send_text(lunch.id, &format!("flood-{i}"), &long).await.unwrap();
    }
    let (code, frames) = read_to_end(&mut reader).await;
    assert!(frames.len() < 600, "all {} entries were kept for a reader that did not read", frames.len());
    assert!(code.is_none() || code == Some(wire::close_code::SLOW_CONSUMER), "closed with {code:?}");
    // Nothing is lost: the entries wait in the log for the reconnect.
    let page =
        bob.client.messages(lunch.id, wire::HistoryQuery { after: Some(1), ..Default::default() }).await.unwrap();
    assert_eq!(page.last_seq, 601);
}

/// §6.8 "Rate limit": a `4029` close drops the answers that waited in the send queue, so sends
/// within the budget may be stored unanswered; reissued with the same `client_msg_id` after
/// reconnecting, each is stored once.
#[tokio::test]
async fn after_a_flood_is_cut_off_reissued_sends_are_stored_once() {
    use tokio_tungstenite::tungstenite::Message;
    let server = TestServer::start_with(&[
        ("MAGPIE_WS_FRAMES_PER_SEC_MAX", "20"),
        crate::harness::FAST[2],
        crate::harness::FAST[3],
    ])
    .await;
    let alice = server.user("alice").await;
    let lunch = group(&alice, "Lunch", &[]).await;
    let mut socket = raw_socket(&server, &alice).await;
    let frames: Vec<String> = (0..300)
        .map(|i| {
            json!({"id": i, "type": "send", "data": {"conversation": lunch.id, "client_msg_id": format!("f-{i}"),
                   "kind": "text", "body": {"text": format!("flood {i}")}}})
            .to_string()
        })
        .collect();
    for frame in &frames {
        if socket.send(Message::text(frame.clone())).await.is_err() {
            break;
        }
    }
    let (code, answers) = read_to_end(&mut socket).await;
    assert_eq!(code, Some(wire::close_code::RATE_LIMITED));
    let acked: Vec<i64> = answers.iter().filter(|a| a["type"] == "reply").map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(acked.len() < 300, "the flood was not refused");

    // Reconnected (the same session), the client sends every one again.
    for i in 0..300 {
        let ack = alice.client.send_text(lunch.id, &format!("f-{i}"), &format!("flood {i}")).await.unwrap();
        if acked.contains(&i) {
            assert!(ack.duplicate, "f-{i} was acked before the close, and stored again");
        }
    }
    let mut entries = Vec::new();
    loop {
        let after = entries.last().map_or(1, |e: &wire::Entry| e.seq);
        let page = alice.client.messages(lunch.id, wire::HistoryQuery { after: Some(after), ..Default::default() });
        let page = page.await.unwrap();
        if page.entries.is_empty() {
            break;
        }
        entries.extend(page.entries);
    }
    let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.client_msg_id.as_deref()).collect();
    assert_eq!(ids.len(), 300, "each send stored once");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 300);
}
