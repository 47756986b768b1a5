//! Bots (issue 18): made by administrators (and members where the domain lets them), acting
//! with scoped tokens that stop at once when revoked, and posting through incoming webhooks in
//! Slack's format.

use magpie_client::Client;
use magpie_wire::{self as wire, ErrorCode};
use reqwest::Method;

use crate::harness::{EVENTUALLY, TestServer, group, next_entry, text_of};

fn new_bot(name: &str) -> wire::CreateBotRequest {
    wire::CreateBotRequest {
        name: name.into(),
        display_name: Some(format!("{name} bot")),
        description: Some("files leave requests".into()),
        ..Default::default()
    }
}

fn token_request(name: &str, conversations: Option<Vec<i64>>, read: bool, send: bool) -> wire::CreateBotTokenRequest {
    wire::CreateBotTokenRequest { name: name.into(), conversations, read, send, ttl_days: None }
}

/// The bot's client with a token.
fn as_bot(server: &TestServer, token: &wire::IssuedBotToken) -> Client {
    server.anonymous().with_token(token.token.clone())
}

#[tokio::test]
async fn administrators_make_bots_members_only_where_the_domain_lets_them_and_bots_wear_a_badge() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;

    // A member may not, until the domain lets members.
    let err = ann.client.create_bot(&new_bot("helper")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let bot = admin.client.create_bot(&new_bot("approvals")).await.unwrap();
    assert_eq!((bot.account.as_str(), bot.owner.as_deref()), ("approvals@localhost", Some("boss@localhost")));
    assert_eq!(
        (bot.display_name.as_str(), bot.description.as_str(), bot.disabled),
        ("approvals bot", "files leave requests", false)
    );
    let taken = admin.client.create_bot(&new_bot("approvals")).await.unwrap_err();
    assert_eq!(taken.code(), Some(ErrorCode::AlreadyExists), "{taken}");
    let bad = admin.client.create_bot(&new_bot("no spaces")).await.unwrap_err();
    assert_eq!((bad.code(), bad.field()), (Some(ErrorCode::InvalidField), Some("name")), "{bad}");

    let domain = admin.client.admin_set_members_make_bots("localhost", true).await.unwrap();
    assert!(domain.members_make_bots);
    let mine = ann.client.create_bot(&new_bot("ann-helper")).await.unwrap();
    assert_eq!(mine.owner.as_deref(), Some("ann@localhost"));
    // Each manager sees what they manage: the administrator all, the member her own.
    let all: Vec<_> = admin.client.bots(None).await.unwrap().bots.into_iter().map(|b| b.account).collect();
    assert_eq!(all, ["ann-helper@localhost", "approvals@localhost"]);
    let hers: Vec<_> = ann.client.bots(None).await.unwrap().bots.into_iter().map(|b| b.account).collect();
    assert_eq!(hers, ["ann-helper@localhost"]);
    let theirs = ann.client.bot("approvals@localhost").await.unwrap_err();
    assert_eq!(theirs.code(), Some(ErrorCode::NotFound), "not hers to manage: {theirs}");

    // A bot cannot log in: it has no password, nor can it be given one.
    let login = server.anonymous().login("approvals@localhost", "anything at all 123").await.unwrap_err();
    assert_eq!(login.code(), Some(ErrorCode::InvalidCredentials), "{login}");
    let reset =
        admin.client.admin_reset_password("approvals@localhost", Some("a fine long passphrase 42")).await.unwrap_err();
    assert_eq!((reset.code(), reset.field()), (Some(ErrorCode::InvalidField), Some("account")), "{reset}");
    // Its avatar is an image its manager uploaded, as for anyone's own (an avatar is public to
    // the domain); another's file is refused.
    let boss_file = admin.client.upload_once(b"quarterly numbers".to_vec(), "numbers.txt").await.unwrap();
    let sneaky = wire::UpdateBotRequest { avatar: Some(boss_file.id.clone()), ..Default::default() };
    let err = ann.client.update_bot("ann-helper@localhost", &sneaky).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("avatar")), "{err}");
    // Everyone of the domain sees the badge; the owner edits the bot.
    let profile = ann.client.account("approvals@localhost").await.unwrap();
    assert!(profile.bot, "a badge");
    assert!(!ann.client.account("boss@localhost").await.unwrap().bot, "people wear none");
    let update = wire::UpdateBotRequest { description: Some("asks ann".into()), ..Default::default() };
    assert_eq!(ann.client.update_bot("ann-helper@localhost", &update).await.unwrap().description, "asks ann");

    // Bots join groups like members, and post there with a token.
    let g = group(&ann, "team", &["approvals@localhost"]).await;
    let token =
        admin.client.create_bot_token("approvals@localhost", &token_request("ci", None, true, true)).await.unwrap();
    assert!(token.token.starts_with("mgp_") && token.info.expires_at_ms.is_none());
    let bot_client = as_bot(&server, &token);
    let ack = bot_client.send_text(g.id, "b1", "leave request #1 filed").await.unwrap();
    let page = ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap();
    let last = page.entries.iter().find(|e| e.seq == ack.seq).unwrap();
    assert_eq!((last.sender.as_str(), text_of(last)), ("approvals@localhost", "leave request #1 filed"));

    // Every action is in the audit log.
    let audit = admin.client.admin_audit(&wire::AuditQuery::default()).await.unwrap();
    let actions: Vec<_> = audit.records.iter().map(|r| r.action.as_str()).collect();
    for action in ["bot.create", "bot.token_create", "domain.members_make_bots", "bot.update"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn a_token_reaches_only_its_conversations_and_does_only_what_its_scope_says() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    admin.client.create_bot(&new_bot("approvals")).await.unwrap();
    let bot = "approvals@localhost";
    let inside = group(&ann, "inside", &[bot]).await;
    let outside = group(&ann, "outside", &[bot]).await;
    ann.client.send_text(outside.id, "o1", "secret plans").await.unwrap();

    let scoped = admin
        .client
        .create_bot_token(bot, &token_request("inside only", Some(vec![inside.id]), true, true))
        .await
        .unwrap();
    assert_eq!(scoped.info.scope.conversations, Some(vec![inside.id]));
    let b = as_bot(&server, &scoped);
    b.send_text(inside.id, "i1", "hello inside").await.unwrap();
    assert!(b.messages(inside.id, wire::HistoryQuery::default()).await.is_ok());
    // The other conversation is as if it did not exist, though the bot is a member.
    for err in [
        b.send_text(outside.id, "x1", "leak").await.unwrap_err(),
        b.messages(outside.id, wire::HistoryQuery::default()).await.unwrap_err(),
        b.conversation(outside.id).await.unwrap_err(),
        b.members(outside.id).await.unwrap_err(),
    ] {
        assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    }
    // What spans conversations is closed to it: lists, sync, search, the WebSocket.
    for err in [
        b.conversations(None, None).await.map(drop).unwrap_err(),
        b.sync(wire::SyncRequest::default()).await.map(drop).unwrap_err(),
        b.connect().await.map(drop).unwrap_err(),
    ] {
        assert!(matches!(err.code(), Some(ErrorCode::Forbidden)) || err.to_string().contains("403"), "{err}");
    }
    // And everything that is not a bot's business: its own sessions, the admin API, contacts.
    for (method, path) in [
        (Method::GET, "/v1/sessions"),
        (Method::GET, "/v1/admin/domains"),
        (Method::GET, "/v1/contacts"),
        (Method::GET, "/v1/bots"),
        (Method::GET, "/v1/notifications"),
    ] {
        let (status, body) = b.raw(method.clone(), path, None, None).await.unwrap();
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert!(body.contains("\"forbidden\""), "{body}");
    }

    // Read-only and send-only tokens.
    let reader = as_bot(
        &server,
        &admin.client.create_bot_token(bot, &token_request("reader", None, true, false)).await.unwrap(),
    );
    assert!(reader.messages(outside.id, wire::HistoryQuery::default()).await.is_ok(), "all conversations");
    let err = reader.send_text(inside.id, "r1", "no").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let sender = as_bot(
        &server,
        &admin.client.create_bot_token(bot, &token_request("sender", None, false, true)).await.unwrap(),
    );
    sender.send_text(inside.id, "s1", "yes").await.unwrap();
    let err = sender.messages(inside.id, wire::HistoryQuery::default()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let none = admin.client.create_bot_token(bot, &token_request("nothing", None, false, false)).await.unwrap_err();
    assert_eq!(none.code(), Some(ErrorCode::InvalidField), "{none}");

    // A send-only token opens no direct chat: the answer would show its last message.
    let err = sender.open_direct("ann@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    // A scoped token posts no file that another conversation shared, though the bot reads it there.
    let shared = ann.client.upload_once(b"minutes of the outside group".to_vec(), "minutes.txt").await.unwrap();
    ann.client
        .send_message(outside.id, &crate::harness::file_message(&shared.id, "minutes.txt", 28, "f1"))
        .await
        .unwrap();
    let err = b
        .send_message(inside.id, &crate::harness::file_message(&shared.id, "minutes.txt", 28, "f2"))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("body.file")), "{err}");

    // A full token takes the WebSocket and hears the bot's conversations; over it, it may do
    // what it may over REST and nothing more.
    let full =
        as_bot(&server, &admin.client.create_bot_token(bot, &token_request("full", None, true, true)).await.unwrap());
    let mut live = full.connect().await.unwrap();
    ann.client.send_text(outside.id, "o2", "to the bot").await.unwrap();
    assert_eq!(text_of(&next_entry(&mut live).await), "to the bot");
    live.send_text(inside.id, "w1", "over the socket").await.unwrap();
    let err = live.list_sessions().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let add = wire::Request::AddMembers(wire::InConversation {
        conversation: outside.id,
        data: wire::MembersRequest { members: vec!["boss@localhost".into()] },
    });
    let err = live.request(&add).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    assert!(!ann.client.members(outside.id).await.unwrap().iter().any(|m| m.account == "boss@localhost"));
}

#[tokio::test]
async fn a_revoked_or_rotated_token_stops_at_once_and_another_domains_bot_sees_nothing_here() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    admin.client.create_bot(&new_bot("approvals")).await.unwrap();
    let bot = "approvals@localhost";
    let g = group(&ann, "team", &[bot]).await;
    let issued = admin.client.create_bot_token(bot, &token_request("ci", None, true, true)).await.unwrap();
    let b = as_bot(&server, &issued);
    let mut live = b.connect().await.unwrap();
    b.send_text(g.id, "t1", "before").await.unwrap();

    let tokens = admin.client.bot_tokens(bot).await.unwrap().tokens;
    assert_eq!(tokens.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["ci"]);
    admin.client.revoke_bot_token(bot, issued.info.id).await.unwrap();
    let err = b.send_text(g.id, "t2", "after").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    // Its WebSocket was closed, as a revoked session's is.
    let closed = live.closed(EVENTUALLY).await.expect("the bot's socket closed");
    assert_eq!(closed.code, wire::close_code::SESSION_REVOKED);
    assert!(admin.client.bot_tokens(bot).await.unwrap().tokens.is_empty());

    // Rotating: the same name and scope, a new secret; the old one is dead.
    let scoped =
        admin.client.create_bot_token(bot, &token_request("scoped", Some(vec![g.id]), true, false)).await.unwrap();
    let rotated = admin.client.rotate_bot_token(bot, scoped.info.id).await.unwrap();
    assert_ne!(rotated.token, scoped.token);
    assert_eq!((rotated.info.name.as_str(), &rotated.info.scope), ("scoped", &scoped.info.scope));
    let err = as_bot(&server, &scoped).messages(g.id, wire::HistoryQuery::default()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    as_bot(&server, &rotated).messages(g.id, wire::HistoryQuery::default()).await.unwrap();

    // Turning the bot off ends every token.
    let off = admin
        .client
        .update_bot(bot, &wire::UpdateBotRequest { disabled: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert!(off.disabled);
    let err = as_bot(&server, &rotated).messages(g.id, wire::HistoryQuery::default()).await.unwrap_err();
    assert!(matches!(err.code(), Some(ErrorCode::Unauthenticated | ErrorCode::AccountDisabled)), "{err}");

    // Another domain's bot: its administrator cannot manage ours, and it cannot reach ours.
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let other_admin = server.create("zed@acme.example", &["--admin"]).await;
    let zed = server.login(&other_admin).await;
    let theirs = zed.client.create_bot(&new_bot("spy")).await.unwrap();
    assert_eq!(theirs.account, "spy@acme.example");
    let err = zed.client.bot(bot).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    let spy = as_bot(
        &server,
        &zed.client.create_bot_token("spy@acme.example", &token_request("t", None, true, true)).await.unwrap(),
    );
    for err in [
        spy.messages(g.id, wire::HistoryQuery::default()).await.unwrap_err(),
        spy.send_text(g.id, "s", "hi").await.unwrap_err(),
        spy.account("ann@localhost").await.map(drop).unwrap_err(),
    ] {
        assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    }
    let err = ann.client.add_members(g.id, &["spy@acme.example"]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
}

#[tokio::test]
async fn an_incoming_webhook_posts_slacks_format_as_the_bot_and_nothing_else() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let ann = server.user("ann").await;
    admin.client.create_bot(&new_bot("ci")).await.unwrap();
    let bot = "ci@localhost";
    let g = group(&ann, "builds", &[bot]).await;
    let elsewhere = group(&ann, "elsewhere", &[]).await;
    let err = admin
        .client
        .create_webhook(bot, &wire::CreateWebhookRequest { name: "x".into(), conversation: elsewhere.id })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "the bot is no member there: {err}");
    let hook = admin
        .client
        .create_webhook(bot, &wire::CreateWebhookRequest { name: "builds".into(), conversation: g.id })
        .await
        .unwrap();
    assert!(hook.path.starts_with("/v1/hooks/mgp_"), "{}", hook.path);
    assert_eq!(hook.webhook.conversation, g.id);

    // Slack's simple format, with its mrkdwn: a markdown message from the bot.
    let slack = serde_json::json!({
        "text": "*Build 42* passed: <https://ci.example/42|details> &amp; more",
        "username": "ignored", "icon_emoji": ":ghost:"
    });
    let script = server.anonymous();
    assert_eq!(script.post_webhook(&hook.path, &slack).await.unwrap(), "ok");
    let page = ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap();
    let posted = page.entries.last().unwrap();
    assert_eq!((posted.sender.as_str(), posted.kind.as_str()), (bot, "markdown"));
    assert_eq!(posted.body.as_ref().unwrap()["text"], "**Build 42** passed: [details](https://ci.example/42) & more");
    // Slack's form encoding too, and plain text when mrkdwn is off.
    // `payload={"text":"*as is*","mrkdwn":false}`, form-encoded.
    let form = "payload=%7B%22text%22%3A%22*as+is*%22%2C%22mrkdwn%22%3Afalse%7D".to_owned();
    let (status, body) = script
        .raw(Method::POST, &hook.path, Some(form.into_bytes()), Some("application/x-www-form-urlencoded"))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "ok"));
    let page = ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap();
    let posted = page.entries.last().unwrap();
    assert_eq!((posted.kind.as_str(), text_of(posted)), ("text", "*as is*"));
    // Magpie's own kinds, idempotent by key: the same key twice posts once.
    let native = serde_json::json!({"kind": "text", "body": {"text": "once"}, "client_msg_id": "deploy-7"});
    script.post_webhook(&hook.path, &native).await.unwrap();
    script.post_webhook(&hook.path, &native).await.unwrap();
    let page = ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(page.entries.iter().filter(|e| e.kind == "text" && text_of(e) == "once").count(), 1);

    // Bad payloads are typed errors and post nothing.
    let before = ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap().last_seq;
    let err = script.post_webhook(&hook.path, &serde_json::json!({"username": "only"})).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("text")), "{err}");
    let err = script.post_webhook(&hook.path, &serde_json::json!({"kind": "image", "body": {}})).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{err}");
    let (status, _) =
        script.raw(Method::POST, &hook.path, Some(b"{not json".to_vec()), Some("application/json")).await.unwrap();
    assert_eq!(status, 400);
    assert_eq!(ann.client.messages(g.id, wire::HistoryQuery::default()).await.unwrap().last_seq, before);

    // The webhook's secret is good for nothing else, and the bot's tokens are no webhooks.
    let secret = hook.path.strip_prefix("/v1/hooks/").unwrap();
    let (status, _) = server
        .anonymous()
        .with_token(secret)
        .raw(Method::GET, &format!("/v1/conversations/{}/messages", g.id), None, None)
        .await
        .unwrap();
    assert_eq!(status, 403);
    let token = admin.client.create_bot_token(bot, &token_request("api", None, true, true)).await.unwrap();
    let err = script.post_webhook(&format!("/v1/hooks/{}", token.token), &slack).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    assert_eq!(admin.client.bot_webhooks(bot).await.unwrap().webhooks.len(), 1);
    assert_eq!(admin.client.bot_tokens(bot).await.unwrap().tokens.len(), 1, "webhooks are listed apart");

    // Rotated, the old URL is dead; deleted, the new one too.
    let rotated = admin.client.rotate_webhook(bot, hook.webhook.id).await.unwrap();
    let err = script.post_webhook(&hook.path, &slack).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    script.post_webhook(&rotated.path, &slack).await.unwrap();
    admin.client.delete_webhook(bot, rotated.webhook.id).await.unwrap();
    let err = script.post_webhook(&rotated.path, &slack).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    // A bot that left the conversation posts there no more.
    let again = admin
        .client
        .create_webhook(bot, &wire::CreateWebhookRequest { name: "again".into(), conversation: g.id })
        .await
        .unwrap();
    ann.client.remove_member(g.id, bot).await.unwrap();
    let err = script.post_webhook(&again.path, &slack).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
}

#[tokio::test]
async fn the_operator_makes_bots_tokens_and_webhooks_with_the_cli() {
    let server = TestServer::start().await;
    let ann = server.user("ann").await;
    let run = |args: Vec<String>| {
        let server = &server;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = server.admin(&args, "").await;
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let made = run(["bot", "create", "deploys", "--display-name", "Deploys"].map(String::from).to_vec()).await;
    assert_eq!(made.trim(), "deploys@localhost\tDeploys\towner=-\tenabled");
    let g = group(&ann, "ops", &["deploys@localhost"]).await;
    let token = run(["bot", "token", "deploys", "--name", "ci", "--conversation", &g.id.to_string()]
        .map(String::from)
        .to_vec())
    .await;
    let bot = server.anonymous().with_token(token.trim());
    bot.send_text(g.id, "d1", "deployed").await.unwrap();
    let path = run(["bot", "webhook", "deploys", "--name", "alerts", "--conversation", &g.id.to_string()]
        .map(String::from)
        .to_vec())
    .await;
    server.anonymous().post_webhook(path.trim(), &serde_json::json!({"text": "from a hook"})).await.unwrap();
    let listed = run(["bot", "tokens", "deploys"].map(String::from).to_vec()).await;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with("token ")
            && lines[0].contains("\tci\tconversations=")
            && lines[0].ends_with("read=true\tsend=true"),
        "{listed}"
    );
    assert!(lines[1].starts_with("webhook ") && lines[1].contains("\talerts\t"), "{listed}");
    // Revoked by the CLI, the running server refuses the token at once.
    let id = lines[0].strip_prefix("token ").unwrap().split('\t').next().unwrap();
    run(["bot", "revoke", "deploys", id].map(String::from).to_vec()).await;
    let err = bot.send_text(g.id, "d2", "again").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    let texts: Vec<String> = ann
        .client
        .messages(g.id, wire::HistoryQuery::default())
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| text_of(e).to_owned())
        .collect();
    assert!(texts.contains(&"deployed".to_owned()) && texts.contains(&"from a hook".to_owned()), "{texts:?}");
    let list = run(["bot", "list"].map(String::from).to_vec()).await;
    assert_eq!(list.trim(), "deploys@localhost\tDeploys\towner=-\tenabled");
}
