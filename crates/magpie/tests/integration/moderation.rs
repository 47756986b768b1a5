//! Forbidden words (issue 22's moderation) through the real server: a domain's administrators
//! list words; messages and edits carrying one are refused or masked, as the domain chose; each
//! decision is in the audit log; other domains are untouched.

use magpie_client::wire::{self, ErrorCode};
use serde_json::json;

use crate::harness::{TestServer, group, text_of};

fn rules(action: wire::ModerationAction, words: &[&str]) -> wire::ModerationRules {
    wire::ModerationRules { action, words: words.iter().map(|w| (*w).to_owned()).collect() }
}

#[tokio::test]
async fn messages_with_forbidden_words_are_refused_or_masked_and_each_decision_is_recorded() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    root.client.admin_create_domain("example.com").await.unwrap();
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let room = group(&alice, "Lunch", &["bob@localhost"]).await;

    // Words trimmed, blanks and repeats (ignoring ASCII case) dropped.
    let set = rules(wire::ModerationAction::Block, &[" 赌博 ", "", "Spam", "SPAM"]);
    let saved = admin.client.admin_set_moderation("localhost", &set).await.unwrap();
    assert_eq!(saved, rules(wire::ModerationAction::Block, &["赌博", "Spam"]));
    assert_eq!(admin.client.admin_moderation("localhost").await.unwrap(), saved);

    // Block: refused, nothing stored; a clean message goes.
    let refused = alice.client.send_text(room.id, "m1", "周末去赌博吗").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::InvalidField), "{refused}");
    let ok = alice.client.send_text(room.id, "m2", "周末去打球吗").await.unwrap();
    // An edit that brings a word in is refused too.
    let edit = alice.client.edit_message(room.id, ok.seq, json!({ "text": "买点 spam 吧" }), None).await.unwrap_err();
    assert_eq!(edit.code(), Some(ErrorCode::InvalidField));

    // Mask: sent with the words starred, character for character.
    admin
        .client
        .admin_set_moderation("localhost", &rules(wire::ModerationAction::Mask, &["赌博", "spam"]))
        .await
        .unwrap();
    alice.client.send_text(room.id, "m3", "别赌博，也别发 SPAM").await.unwrap();
    let history =
        alice.client.messages(room.id, wire::HistoryQuery { limit: Some(10), ..Default::default() }).await.unwrap();
    let texts: Vec<&str> = history.entries.iter().filter(|e| e.kind == "text").map(text_of).collect();
    assert_eq!(texts, ["周末去打球吗", "别**，也别发 ****"]);

    // Each decision, with the sender as the actor and the words found.
    let q = wire::AuditQuery { action: Some("moderation".into()), ..Default::default() };
    let records = admin.client.admin_audit(&q).await.unwrap().records;
    let seen: Vec<(&str, &str)> = records.iter().map(|r| (r.action.as_str(), r.actor.name.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("moderation.mask", "alice@localhost"),
            ("moderation.set", "boss@localhost"),
            ("moderation.block", "alice@localhost"),
            ("moderation.block", "alice@localhost"),
            ("moderation.set", "boss@localhost"),
        ]
    );
    assert_eq!(records[0].after.as_ref().unwrap()["words"], json!(["赌博", "SPAM"]));
    assert_eq!(records[0].target, format!("conversation {}", room.id));

    // Another domain's members and rules are their own; members cannot read or set the rules.
    let chief = server.login(&server.create("chief@example.com", &["--admin"]).await).await;
    server.create("erin@example.com", &[]).await;
    let theirs = group(&chief, "Ops", &["erin@example.com"]).await;
    chief.client.send_text(theirs.id, "x1", "别赌博").await.unwrap();
    assert_eq!(chief.client.admin_moderation("example.com").await.unwrap(), rules(wire::ModerationAction::Block, &[]));
    assert_eq!(chief.client.admin_moderation("localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.admin_moderation("localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let long = rules(wire::ModerationAction::Block, &[&"长".repeat(33)]);
    assert_eq!(
        admin.client.admin_set_moderation("localhost", &long).await.unwrap_err().code(),
        Some(ErrorCode::InvalidField)
    );
}
