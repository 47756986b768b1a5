//! docs/protocol.md's examples are sent to a real server, and each answer has the shape of the
//! example's answer.
//!
//! An example is marked in the document by HTML comments, invisible when it is read:
//!
//! - `<!-- example: METHOD PATH [as ACTOR] [after STEP…] -->` before a REST request. Its
//!   body, if it has one, is the next `json` block, or the `-d '…'` of the next `sh` block
//!   (curl). ACTOR is `alice` unless named (`nobody` sends no token); the STEPs happen first:
//!   `recall` (alice recalls seq 2), `react` (bob reacts to it), `pin` (alice pins it), `save`
//!   (bob saves it, his first saved message), `schedule` (alice schedules "Lunch is on me
//!   today" into the group for a day ahead, her first scheduled message), `requests` (carol
//!   asks alice to be contacts, alice asks bob).
//! - `<!-- example: ws [as ACTOR] [after STEP…] -->` before a WebSocket request frame (the
//!   next `json` block).
//! - `<!-- example: hello [as ACTOR] -->` before the `hello` frame a connection begins with.
//! - `<!-- answer -->` before the `json` block of the answer. An example without one only
//!   has to succeed.
//!
//! Each example runs on a new server holding the story the document tells (see [`World`]): alice
//! (the domain admin, "Alice Wang"), bob ("张三"), carol and dave; root, a server admin; a direct
//! chat of alice and bob (7 in the document) and the group "Lunch" of the three (12), whose seq 2
//! is alice's text mentioning bob, which bob has read; carol is muted in it. The document's 7
//! and 12 stand for their real ids, in paths and in the `conversation` and `from` fields; its
//! times to send a scheduled message at (`send_at_ms` from [`DOC_NOW_MS`] on) stand for as
//! long after the real now as they are after the document's.
//!
//! "The shape of the answer" means: every field the example shows is in the answer, with a
//! value of the same JSON type (and the same value for `type`, `kind`, `event` and `code`);
//! each item of an array the example shows has the shape of some item of the answer's; and
//! every field of the answer that the example leaves out is at least named in the document.

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Method;
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{EVENTUALLY, FAST, PASSWORD, RawSocket, TestServer};

const DOC: &str = include_str!("../../../../docs/protocol.md");

/// Alice's password in the document's examples (its login and password-change examples).
const ALICE_PASSWORD: &str = "plum-kettle-orbit-47";

/// Until when carol is muted in the group: 2100-01-01, as in the document's mute example.
const MUTED_UNTIL_MS: i64 = 4_102_444_800_000;

/// The moment the document's examples are told at: its `send_at_ms` values are this far ahead.
const DOC_NOW_MS: i64 = 1_795_466_010_000;

/// Fields whose value, not only its type, must be as the example shows.
const VALUE_FIELDS: [&str; 4] = ["type", "kind", "event", "code"];

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Rest { method: Method, path: String },
    Ws,
    Hello,
}

#[derive(Debug, Clone)]
struct Example {
    /// The line of the `example` comment, for messages.
    line: usize,
    target: Target,
    actor: String,
    steps: Vec<String>,
    body: Option<Value>,
    answer: Option<Value>,
}

/// The marked examples of the document, in order.
fn examples(doc: &str) -> Vec<Example> {
    let mut found: Vec<Example> = Vec::new();
    // What the next code block is for.
    enum Want {
        Nothing,
        Request,
        Answer,
    }
    let mut want = Want::Nothing;
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let line = line.trim();
        if let Some(tag) = line.strip_prefix("<!-- example:").and_then(|t| t.strip_suffix("-->")) {
            let words: Vec<&str> = tag.split_whitespace().collect();
            let (words, steps) = match words.iter().position(|w| *w == "after") {
                Some(at) => (&words[..at], words[at + 1..].iter().map(|w| (*w).to_owned()).collect()),
                None => (&words[..], Vec::new()),
            };
            let (what, actor) = match words.iter().position(|w| *w == "as") {
                Some(at) => (&words[..at], words[at + 1].to_owned()),
                None => (words, "alice".to_owned()),
            };
            let target = match what {
                ["ws"] => Target::Ws,
                ["hello"] => Target::Hello,
                [method, path] => Target::Rest { method: method.parse().unwrap(), path: (*path).to_owned() },
                _ => panic!("docs/protocol.md:{}: cannot read the example tag {line:?}", i + 1),
            };
            want = if target == Target::Hello { Want::Answer } else { Want::Request };
            found.push(Example { line: i + 1, target, actor, steps, body: None, answer: None });
        } else if line == "<!-- answer -->" {
            assert!(!found.is_empty(), "docs/protocol.md:{}: an answer without an example", i + 1);
            want = Want::Answer;
        } else if let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) {
            let mut block = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.trim_start().starts_with("```") {
                    break;
                }
                block.push_str(inner);
                block.push('\n');
            }
            let Some(example) = found.last_mut() else { continue };
            let at = format!("docs/protocol.md:{}", i + 1);
            match (&want, lang) {
                (Want::Request, "json") => {
                    example.body = Some(serde_json::from_str(&block).unwrap_or_else(|e| panic!("{at}: {e}")));
                    want = Want::Nothing;
                }
                (Want::Request, "sh") => {
                    if let Some(data) = curl_data(&block) {
                        example.body = Some(serde_json::from_str(data).unwrap_or_else(|e| panic!("{at}: {e}")));
                    }
                    want = Want::Nothing;
                }
                (Want::Answer, "json") => {
                    example.answer = Some(serde_json::from_str(&block).unwrap_or_else(|e| panic!("{at}: {e}")));
                    want = Want::Nothing;
                }
                _ => {}
            }
        }
    }
    found
}

/// The `-d '…'` of a curl command.
fn curl_data(command: &str) -> Option<&str> {
    let start = command.find("-d '")? + 4;
    let len = command[start..].find('\'')?;
    Some(&command[start..start + len])
}

/// The story the document's examples are told in, on a new server.
struct World {
    server: TestServer,
    /// The real ids of the document's direct chat (7) and group (12).
    direct: i64,
    group: i64,
}

impl World {
    async fn new() -> World {
        let server = TestServer::start_with(FAST).await;
        let admin = |name: &'static str, flag: &'static str, password: &'static str| {
            let server = &server;
            async move {
                let out =
                    server.admin(&["user", "add", name, "--password-stdin", flag], &format!("{password}\n")).await;
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            }
        };
        admin("alice", "--admin", ALICE_PASSWORD).await;
        admin("root", "--server-admin", PASSWORD).await;
        let (alice, _) = login(&server, "alice", ALICE_PASSWORD).await;
        let ok = |answer: (u16, String)| -> Value {
            assert!(answer.0 < 300, "setting up the world: {} {}", answer.0, answer.1);
            if answer.1.is_empty() { Value::Null } else { serde_json::from_str(&answer.1).unwrap() }
        };
        let post = |client: &magpie_client::Client, method: Method, path: &str, body: Value| {
            let client = client.clone();
            let path = path.to_owned();
            async move {
                client
                    .raw(method, &path, Some(serde_json::to_vec(&body).unwrap()), Some("application/json"))
                    .await
                    .unwrap()
            }
        };
        for (name, display) in [("bob", "张三"), ("carol", "Carol"), ("dave", "Dave")] {
            let account =
                json!({"account": format!("{name}@localhost"), "password": PASSWORD, "display_name": display});
            ok(post(&alice, Method::POST, "/v1/admin/accounts", account).await);
        }
        let profile = json!({"display_name": "Alice Wang", "signature": "在开会", "email": "alice@example.com"});
        ok(post(&alice, Method::PATCH, "/v1/me", profile).await);
        ok(post(&alice, Method::PATCH, "/v1/admin/domains/localhost", json!({"registration": "open"})).await);
        // Bob's sessions: the document's examples revoke bob's session 2.
        let (bob, _) = login(&server, "bob", PASSWORD).await;
        ok(post(&bob, Method::PATCH, "/v1/me", json!({"signature": "hi"})).await);
        let direct =
            ok(post(&alice, Method::POST, "/v1/conversations", json!({"kind": "direct", "peer": "bob@localhost"}))
                .await);
        let lunch = json!({"kind": "group", "name": "Lunch", "description": "where and when",
                           "members": ["bob@localhost", "carol@localhost"]});
        let group = ok(post(&alice, Method::POST, "/v1/conversations", lunch).await);
        let (direct, group) = (direct["id"].as_i64().unwrap(), group["id"].as_i64().unwrap());
        let text = json!({"client_msg_id": "0b6f0e1c-4d1e-4c43-9d1a-3f7f2b9f6a10", "kind": "text",
                          "body": {"text": "Noodles at 12?"}, "mentions": ["bob@localhost"], "reply_to": 1});
        let sent = ok(post(&alice, Method::POST, &format!("/v1/conversations/{group}/messages"), text).await);
        assert_eq!(sent["seq"], 2);
        ok(post(&bob, Method::POST, &format!("/v1/conversations/{group}/read"), json!({"seq": 2})).await);
        let mute = json!({"until_ms": MUTED_UNTIL_MS});
        ok(post(&alice, Method::PUT, &format!("/v1/conversations/{group}/members/carol@localhost/mute"), mute).await);
        World { server, direct, group }
    }

    /// Does what the example's `after` names, before the example.
    async fn step(&self, step: &str) {
        let group = self.group;
        let (actor, method, path, body) = match step {
            "recall" => {
                ("alice", Method::DELETE, format!("/v1/conversations/{group}/messages/2?client_msg_id=r-77a0"), None)
            }
            "react" => (
                "bob",
                Method::POST,
                format!("/v1/conversations/{group}/messages/2/reactions"),
                Some(json!({"emoji": "👍"})),
            ),
            "pin" => ("alice", Method::PUT, format!("/v1/conversations/{group}/pins/2"), None),
            "schedule" => (
                "alice",
                Method::POST,
                format!("/v1/conversations/{group}/scheduled"),
                Some(json!({"kind": "text", "body": {"text": "Lunch is on me today"},
                            "send_at_ms": now_ms() + 24 * 3600 * 1000})),
            ),
            "save" => (
                "bob",
                Method::POST,
                "/v1/saved".to_owned(),
                Some(json!({"conversation": group, "seq": 2, "note": "the lunch plan"})),
            ),
            "requests" => {
                let carol = self.client("carol").await.unwrap();
                let ask = json!({"account": "alice@localhost"});
                let (status, text) = carol
                    .raw(
                        Method::POST,
                        "/v1/contacts/requests",
                        Some(ask.to_string().into_bytes()),
                        Some("application/json"),
                    )
                    .await
                    .unwrap();
                assert!(status < 300, "{status} {text}");
                let ask = json!({"account": "bob@localhost", "message": "Hi, it is Alice from sales"});
                ("alice", Method::POST, "/v1/contacts/requests".to_owned(), Some(ask))
            }
            other => panic!("no step {other:?}"),
        };
        let client = self.client(actor).await.unwrap();
        let body = body.map(|b| b.to_string().into_bytes());
        let json = body.is_some().then_some("application/json");
        let (status, text) = client.raw(method, &path, body, json).await.unwrap();
        assert!(status < 300, "step {step}: {status} {text}");
    }

    /// The document's conversation id as this world's.
    fn id(&self, doc: i64) -> i64 {
        match doc {
            7 => self.direct,
            12 => self.group,
            other => other,
        }
    }

    /// A path of the document with this world's conversation ids.
    fn path(&self, path: &str) -> String {
        let mut out = String::new();
        let mut after_conversations = false;
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            match segment.parse::<i64>() {
                Ok(doc) if after_conversations => out.push_str(&self.id(doc).to_string()),
                _ => out.push_str(segment),
            }
            after_conversations = segment == "conversations";
        }
        out
    }

    /// A request body or frame of the document with this world's conversation ids.
    fn body(&self, value: &Value) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| {
                        let v = match (k.as_str(), v.as_i64()) {
                            ("conversation" | "from", Some(doc)) => json!(self.id(doc)),
                            ("send_at_ms", Some(doc)) if doc >= DOC_NOW_MS => json!(now_ms() + (doc - DOC_NOW_MS)),
                            _ => self.body(v),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.body(v)).collect()),
            other => other.clone(),
        }
    }

    async fn client(&self, actor: &str) -> Option<magpie_client::Client> {
        let password = if actor == "alice" { ALICE_PASSWORD } else { PASSWORD };
        match actor {
            "nobody" => None,
            name => Some(login(&self.server, name, password).await.0),
        }
    }

    /// Sends the example's request; its answer (for a REST request, `null` for an empty body).
    async fn run(&self, example: &Example) -> Result<Value, String> {
        let client = self.client(&example.actor).await;
        match &example.target {
            Target::Rest { method, path } => {
                let client = client.unwrap_or_else(|| self.server.anonymous());
                let body = example.body.as_ref().map(|b| serde_json::to_vec(&self.body(b)).unwrap());
                let json = body.is_some().then_some("application/json");
                let (status, text) = client.raw(method.clone(), &self.path(path), body, json).await.unwrap();
                let answer = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
                let wants_error = example.answer.as_ref().is_some_and(|a| a.get("error").is_some());
                if (status >= 400) != wants_error {
                    return Err(format!("answered {status}: {text}"));
                }
                Ok(answer)
            }
            Target::Ws | Target::Hello => {
                let token =
                    client.as_ref().and_then(|c| c.token()).expect("a WebSocket example needs an actor").to_owned();
                let mut socket = self.server.raw_websocket(&token).await;
                let hello = next_frame(&mut socket).await;
                if example.target == Target::Hello {
                    return Ok(hello);
                }
                let frame = self.body(example.body.as_ref().expect("a ws example shows its frame"));
                socket.send(Message::text(frame.to_string())).await.unwrap();
                loop {
                    let answer = next_frame(&mut socket).await;
                    if answer["type"] != "event" && answer["id"] == frame["id"] {
                        return Ok(answer);
                    }
                }
            }
        }
    }
}

/// The wall clock, in milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// Logs an account of `localhost` in from a device labelled `curl`, as the document's examples do.
async fn login(
    server: &TestServer,
    name: &str,
    password: &str,
) -> (magpie_client::Client, magpie_client::wire::LoginResponse) {
    let request = magpie_client::wire::LoginRequest {
        account: format!("{name}@localhost"),
        password: password.to_owned(),
        device: Some("curl".to_owned()),
        device_key: None,
    };
    server.anonymous().login_with(&request).await.unwrap()
}

/// The next text frame of a WebSocket, as JSON.
async fn next_frame(socket: &mut RawSocket) -> Value {
    loop {
        match tokio::time::timeout(EVENTUALLY, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).unwrap(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

/// Where `actual` lacks the shape of `example`, one line each.
fn shape_differences(example: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (example, actual) {
        (Value::Object(ex), Value::Object(ac)) => {
            for (key, value) in ex {
                let here = format!("{at}.{key}");
                match ac.get(key) {
                    None => out.push(format!("{here}: the example shows it, the answer has none")),
                    Some(got) => {
                        if VALUE_FIELDS.contains(&key.as_str()) && value.is_string() && value != got {
                            out.push(format!("{here}: the example says {value}, the answer {got}"));
                        }
                        shape_differences(value, got, &here, out);
                    }
                }
            }
            undocumented(ex, ac, at, out);
        }
        (Value::Array(ex), Value::Array(ac)) => {
            for (i, e) in ex.iter().enumerate() {
                let here = format!("{at}[{i}]");
                // The item of the answer this one is most like: one of the same shape, if any.
                let closest = ac
                    .iter()
                    .map(|a| {
                        let mut differences = Vec::new();
                        shape_differences(e, a, &here, &mut differences);
                        differences
                    })
                    .min_by_key(Vec::len);
                match closest {
                    None => out.push(format!("{here}: the example shows an item, the answer has none")),
                    Some(differences) => out.extend(differences),
                }
            }
        }
        (e, a) if json_type(e) != json_type(a) => {
            out.push(format!("{at}: the example has {}, the answer {} ({a})", json_type(e), json_type(a)));
        }
        _ => {}
    }
}

/// Fields of the answer the example leaves out must be described somewhere in the document.
fn undocumented(example: &Map<String, Value>, actual: &Map<String, Value>, at: &str, out: &mut Vec<String>) {
    for key in actual.keys().filter(|k| !example.contains_key(*k)) {
        if !DOC.contains(&format!("`{key}`")) && !DOC.contains(&format!("\"{key}\"")) {
            out.push(format!("{at}.{key}: the answer has it, the document never names it"));
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[test]
fn the_example_tags_are_read() {
    let found = examples(DOC);
    assert!(found.len() >= 40, "only {} examples are marked", found.len());
    for example in &found {
        if let Target::Rest { method, .. } = &example.target
            && [Method::GET, Method::DELETE].contains(method)
        {
            assert!(example.body.is_none(), "docs/protocol.md:{}: a {method} with a body", example.line);
        }
        if example.target == Target::Ws {
            let frame = example.body.as_ref().unwrap_or_else(|| panic!("docs/protocol.md:{}: no frame", example.line));
            assert!(frame["id"].is_u64() && frame["type"].is_string(), "docs/protocol.md:{}: {frame}", example.line);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_of_the_protocol_gets_an_answer_of_its_shape() {
    let found = examples(DOC);
    // Four worlds at a time: each is its own server.
    let results = futures_util::stream::iter(found.into_iter().map(|example| async move {
        let world = World::new().await;
        for step in &example.steps {
            world.step(step).await;
        }
        let outcome = world.run(&example).await;
        let mut problems = Vec::new();
        match (&outcome, &example.answer) {
            (Err(e), _) => problems.push(e.clone()),
            (Ok(actual), Some(expected)) => shape_differences(expected, actual, "answer", &mut problems),
            (Ok(_), None) => {}
        }
        problems
            .into_iter()
            .map(move |p| format!("docs/protocol.md:{} {:?}: {p}", example.line, example.target))
            .collect::<Vec<_>>()
    }))
    .buffer_unordered(4)
    .collect::<Vec<_>>()
    .await;
    let problems: Vec<String> = results.into_iter().flatten().collect();
    assert!(problems.is_empty(), "{} examples do not hold:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_shape_check_finds_what_differs() {
    let example = json!({"type": "reply", "id": 1, "data": {"sessions": [{"id": 1, "current": true}]}});
    let mut out = Vec::new();
    shape_differences(
        &example,
        &json!({"type": "reply", "id": 9, "data": {"sessions": [{"id": 3, "current": false}]}}),
        "a",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    shape_differences(&example, &json!({"type": "error", "id": "1", "data": {"sessions": []}}), "a", &mut out);
    assert_eq!(out.len(), 3, "{out:?}");
    out.clear();
    shape_differences(&json!({}), &json!({"no_such_field_anywhere_42": 1}), "a", &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}
