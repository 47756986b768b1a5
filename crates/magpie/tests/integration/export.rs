//! Compliance exports (issue 22) through the real server: the ZIP holds exactly the entries
//! the period covers and the files they name, an account's export holds what it could read
//! while a member, a domain's administrators export only their own domain, members nothing,
//! and starting and downloading are audited.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::Duration;

use magpie_client::wire::{self, ErrorCode};
use serde_json::Value;

use crate::harness::{TestServer, User, file_message, group};

/// How long an export of a few messages may take on a loaded machine.
const EVENTUALLY: Duration = Duration::from_secs(60);

/// Waits for an export to be done (or failed) and answers it: each ask returns as soon as the
/// export changes.
async fn finished(admin: &User, id: i64) -> wire::ExportInfo {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let export = admin.client.admin_export_wait(id, 5).await.unwrap();
        if export.state != "running" {
            return export;
        }
        assert!(tokio::time::Instant::now() < deadline, "export {id} still running: {export:?}");
    }
}

/// The archive's members, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut members = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = vec![];
        file.read_to_end(&mut content).unwrap();
        members.insert(file.name().unwrap().into_owned(), content);
    }
    members
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    std::str::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn every_entry(user: &User, conversation: i64) -> Vec<wire::Entry> {
    let q = wire::HistoryQuery { after: Some(0), before: None, limit: Some(500) };
    user.client.messages(conversation, q).await.unwrap().entries
}

#[tokio::test]
async fn an_export_holds_exactly_the_period_and_its_files() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let team = group(&alice, "团队 <b>team</b>", &["bob@localhost"]).await;

    // Before the period: a message and a file.
    alice.client.send_text(team.id, "before-1", "too early").await.unwrap();
    let early = alice.client.upload(b"early bytes", Some("early.txt"), 1 << 20).await.unwrap();
    let first = alice.client.send_message(team.id, &file_message(&early, "early.txt", 11, "before-2")).await.unwrap();
    // The period starts after the last entry before it.
    let mut from_ms = first.at_ms + 1;
    while alice.client.send_text(team.id, &format!("gap-{from_ms}"), "gap").await.unwrap().at_ms < from_ms {}
    from_ms = every_entry(&alice, team.id).await.last().unwrap().at_ms + 1;

    // In the period: text with markup, and a file with an odd name.
    let inside = alice.client.upload(b"inside bytes", Some("../plan <1>.bin"), 1 << 20).await.unwrap();
    let mut in_period = vec![];
    loop {
        let ack = alice
            .client
            .send_text(team.id, &format!("in-{}", in_period.len()), "<script>alert(1)</script> 你好")
            .await
            .unwrap();
        if ack.at_ms >= from_ms {
            in_period.push(ack);
            break;
        }
    }
    let with_file =
        alice.client.send_message(team.id, &file_message(&inside, "../plan <1>.bin", 12, "in-file")).await.unwrap();
    let until_ms = with_file.at_ms + 1;
    // After the period.
    loop {
        if alice.client.send_text(team.id, &format!("after-{until_ms}"), "later").await.unwrap().at_ms >= until_ms {
            break;
        }
    }

    let req = wire::NewExportRequest {
        conversation: Some(team.id),
        from_ms: Some(from_ms),
        until_ms: Some(until_ms),
        ..Default::default()
    };
    let started = admin.client.admin_start_export(&req).await.unwrap();
    assert_eq!(started.state, "running");
    assert_eq!(started.conversation, Some(team.id));
    let done = finished(&admin, started.id).await;
    assert_eq!(done.state, "done", "{done:?}");

    let expected: Vec<(i64, i64)> = every_entry(&alice, team.id)
        .await
        .iter()
        .filter(|e| e.at_ms >= from_ms && e.at_ms < until_ms)
        .map(|e| (e.conversation, e.seq))
        .collect();
    assert!(expected.len() >= 2, "the period holds the two messages sent in it");
    assert_eq!(done.messages, expected.len() as u64);
    assert_eq!(done.files, 1);
    assert_eq!(done.conversations_done, 1);

    let bytes = admin.client.admin_export_archive(done.id).await.unwrap();
    assert_eq!(bytes.len() as u64, done.bytes);
    let members = unzip(&bytes);
    let messages = lines(&members["messages.jsonl"]);
    let got: Vec<(i64, i64)> =
        messages.iter().map(|m| (m["conversation"].as_i64().unwrap(), m["seq"].as_i64().unwrap())).collect();
    assert_eq!(got, expected, "exactly the entries of the period, in order");
    // The file in the period is there, byte for byte, at the place its message names; the one
    // before is not.
    let files: Vec<&String> = members.keys().filter(|k| k.starts_with("files/")).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let named = messages.iter().find(|m| m["seq"] == with_file.seq).unwrap();
    let path = named["files"][0]["path"].as_str().unwrap();
    assert_eq!(members[path], b"inside bytes");
    assert!(path.starts_with(&format!("files/{inside}/")) && !path.contains(".."), "{path}");
    assert!(!members.keys().any(|k| k.contains(&early)));
    // The conversation, and the readable page with every text escaped.
    let conversations = lines(&members["conversations.jsonl"]);
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0]["id"], team.id);
    let html = String::from_utf8(members["index.html"].clone()).unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; 你好"));
    assert!(!html.contains("<script>") && !html.contains("<b>team</b>"));
    assert!(!html.contains("too early"));
    let about: Value = serde_json::from_slice(&members["export.json"]).unwrap();
    assert_eq!(about["messages"], expected.len());

    // Starting and downloading are audited, once each, as the admin.
    let q = wire::AuditQuery { action: Some("export".into()), ..Default::default() };
    let records = admin.client.admin_audit(&q).await.unwrap().records;
    let actions: Vec<(&str, &str)> = records.iter().map(|r| (r.action.as_str(), r.actor.name.as_str())).collect();
    assert_eq!(actions, [("export.download", "boss@localhost"), ("export.create", "boss@localhost")]);
}

#[tokio::test]
async fn an_accounts_export_holds_what_it_could_read_while_a_member() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server.user("carol").await;
    let team = group(&alice, "team", &["carol@localhost"]).await;
    alice.client.send_text(team.id, "t1", "before bob").await.unwrap();
    alice.client.add_members(team.id, &["bob@localhost"]).await.unwrap();
    bob.client.send_text(team.id, "t2", "bob here").await.unwrap();
    bob.client.leave(team.id).await.unwrap();
    alice.client.send_text(team.id, "t3", "after bob").await.unwrap();
    let direct = bob.client.open_direct("carol@localhost").await.unwrap();
    bob.client.send_text(direct.id, "d1", "hi carol").await.unwrap();
    let elsewhere = group(&alice, "others", &["carol@localhost"]).await;
    alice.client.send_text(elsewhere.id, "o1", "not bob's").await.unwrap();

    let req = wire::NewExportRequest { account: Some("bob@localhost".into()), ..Default::default() };
    let started = admin.client.admin_start_export(&req).await.unwrap();
    assert_eq!(started.account.as_deref(), Some("bob@localhost"));
    let done = finished(&admin, started.id).await;
    assert_eq!(done.state, "done", "{done:?}");
    assert_eq!(done.conversations_total, 2);
    let members = unzip(&admin.client.admin_export_archive(done.id).await.unwrap());
    let texts: BTreeSet<String> = lines(&members["messages.jsonl"])
        .iter()
        .filter_map(|m| m["body"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(texts, BTreeSet::from(["bob here".to_owned(), "hi carol".to_owned()]));
}

#[tokio::test]
async fn a_domain_admin_exports_only_their_domain_and_members_nothing() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    root.client.admin_create_domain("other.example").await.unwrap();
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let team = group(&alice, "team", &[]).await;
    alice.client.send_text(team.id, "m1", "hello").await.unwrap();
    let outsider = server.login(&server.create("eve@other.example", &["--admin"]).await).await;

    // Another domain's administrator: as if there were no such account or conversation.
    for req in [
        wire::NewExportRequest { conversation: Some(team.id), ..Default::default() },
        wire::NewExportRequest { account: Some("alice@localhost".into()), ..Default::default() },
    ] {
        let err = outsider.client.admin_start_export(&req).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::NotFound), "{req:?}");
    }
    // A member: refused.
    let req = wire::NewExportRequest { conversation: Some(team.id), ..Default::default() };
    assert_eq!(alice.client.admin_start_export(&req).await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    assert_eq!(alice.client.admin_exports(&Default::default()).await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    // Bad requests change nothing.
    let both = wire::NewExportRequest {
        conversation: Some(team.id),
        account: Some("alice@localhost".into()),
        ..Default::default()
    };
    assert_eq!(admin.client.admin_start_export(&both).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
    let backwards = wire::NewExportRequest {
        conversation: Some(team.id),
        from_ms: Some(10),
        until_ms: Some(5),
        ..Default::default()
    };
    assert_eq!(admin.client.admin_start_export(&backwards).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
    assert!(root.client.admin_exports(&Default::default()).await.unwrap().exports.is_empty());

    // The domain's own administrator exports it; the other domain's sees none of it.
    let mine = admin.client.admin_start_export(&req).await.unwrap();
    finished(&admin, mine.id).await;
    assert!(outsider.client.admin_exports(&Default::default()).await.unwrap().exports.is_empty());
    let other = wire::ExportQuery { domain: Some("localhost".into()) };
    assert_eq!(outsider.client.admin_exports(&other).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(outsider.client.admin_export(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(outsider.client.admin_export_archive(mine.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    // The server's administrators see every domain's.
    let all = root.client.admin_exports(&Default::default()).await.unwrap().exports;
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), [mine.id]);
    assert_eq!(all[0].domain, "localhost");
    assert_eq!(all[0].requested_by, "boss@localhost");
}

#[tokio::test]
async fn the_command_line_writes_the_same_archive() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let team = group(&alice, "team", &[]).await;
    alice.client.send_text(team.id, "m1", "one").await.unwrap();
    alice.client.send_text(team.id, "m2", "two").await.unwrap();
    let out = server.path("team.zip");
    let output =
        server.admin(&["export", "--conversation", &team.id.to_string(), "--out", out.to_str().unwrap()], "").await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let members = unzip(&std::fs::read(&out).unwrap());
    let texts: Vec<String> = lines(&members["messages.jsonl"])
        .iter()
        .filter_map(|m| m["body"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(texts, ["one", "two"]);
    // A second run never overwrites what is there.
    let again =
        server.admin(&["export", "--conversation", &team.id.to_string(), "--out", out.to_str().unwrap()], "").await;
    assert!(!again.status.success());
}
