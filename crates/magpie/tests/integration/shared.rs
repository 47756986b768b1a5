//! A conversation's shared items (its "files" tab): images, files and links, listed as each
//! member may read them.

use magpie_client::wire::{self, ErrorCode, SendRequest, SharedKind, SharedQuery};
use serde_json::{Value, json};

use crate::harness::{TestServer, User, group};

fn message(id: &str, kind: &str, body: Value) -> SendRequest {
    SendRequest {
        client_msg_id: id.into(),
        kind: kind.into(),
        body,
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    }
}

fn small_png() -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(32, 16, |x, y| image::Rgba([x as u8 * 8, y as u8 * 16, 0, 255]));
    let mut png = Vec::new();
    pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png)).unwrap();
    png
}

async fn seqs(user: &User, conversation: i64, kind: SharedKind) -> Vec<i64> {
    let page = user.client.shared(conversation, SharedQuery { kind, before: None, limit: None }).await.unwrap();
    page.entries.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn a_conversation_lists_its_images_files_and_links_as_each_member_may_read_them() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let c = &alice.client;

    let link1 = c.send_text(team.id, "l1", "the plan: https://wiki.example/plan.").await.unwrap().seq;
    let photo = c.upload(&small_png(), Some("photo.png"), 1 << 20).await.unwrap();
    let image = c.send_message(team.id, &message("i1", "image", json!({"file": photo}))).await.unwrap().seq;
    let doc = c.upload(b"%PDF-1.4 a report", Some("report.pdf"), 1 << 20).await.unwrap();
    let file_body = json!({"file": doc, "name": "report.pdf", "size": 17});
    let file = c.send_message(team.id, &message("f1", "file", file_body)).await.unwrap().seq;
    let plain = c.send_text(team.id, "p1", "no link, just words about http").await.unwrap().seq;
    let card_body = json!({"card": "link", "url": "https://news.example/a", "title": "News"});
    let card = c.send_message(team.id, &message("c1", "card", card_body)).await.unwrap().seq;

    assert_eq!(seqs(&bob, team.id, SharedKind::Link).await, [card, link1], "links, newest first");
    assert_eq!(seqs(&bob, team.id, SharedKind::Image).await, [image]);
    assert_eq!(seqs(&bob, team.id, SharedKind::File).await, [file]);
    let page = bob.client.shared(team.id, SharedQuery { kind: SharedKind::Image, before: None, limit: None }).await;
    let entry = &page.unwrap().entries[0];
    assert_eq!((entry.kind.as_str(), entry.sender.as_str()), ("image", "alice@localhost"));
    assert_eq!(entry.body.as_ref().unwrap()["width"], 32, "whole entries, as history shows them");

    // Pages: newest first, `next_before` until the last.
    let first = bob.client.shared(team.id, SharedQuery { kind: SharedKind::Link, before: None, limit: Some(1) });
    let first = first.await.unwrap();
    assert_eq!((first.entries.len(), first.next_before), (1, Some(card)));
    let rest = SharedQuery { kind: SharedKind::Link, before: first.next_before, limit: Some(1) };
    let second = bob.client.shared(team.id, rest).await.unwrap();
    assert_eq!(second.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [link1]);
    let after = SharedQuery { kind: SharedKind::Link, before: Some(link1), limit: Some(1) };
    let last = bob.client.shared(team.id, after).await.unwrap();
    assert!(last.entries.is_empty() && last.next_before.is_none());

    // An edit that adds a link lists the message; one that takes it away unlists it.
    c.edit_message(team.id, plain, json!({"text": "now with https://x.example"}), None).await.unwrap();
    c.edit_message(team.id, link1, json!({"text": "the plan is in the wiki"}), None).await.unwrap();
    assert_eq!(seqs(&bob, team.id, SharedKind::Link).await, [card, plain]);

    // Delete-for-me hides an item from its reader only; a recall from everyone.
    bob.client.hide(team.id, &[card]).await.unwrap();
    assert_eq!(seqs(&bob, team.id, SharedKind::Link).await, [plain]);
    assert_eq!(seqs(&alice, team.id, SharedKind::Link).await, [card, plain]);
    c.recall(team.id, image, None).await.unwrap();
    assert_eq!(seqs(&alice, team.id, SharedKind::Image).await, Vec::<i64>::new());

    // A member added later reads from its join; a member removed, up to its removal.
    c.add_members(team.id, &["carol@localhost"]).await.unwrap();
    let later = c.send_text(team.id, "l2", "https://later.example").await.unwrap().seq;
    c.remove_member(team.id, "bob@localhost").await.unwrap();
    let after_bob = c.send_text(team.id, "l3", "https://after-bob.example").await.unwrap().seq;
    assert_eq!(seqs(&carol, team.id, SharedKind::Link).await, [after_bob, later]);
    assert_eq!(seqs(&carol, team.id, SharedKind::File).await, Vec::<i64>::new(), "nothing from before carol");
    assert_eq!(seqs(&bob, team.id, SharedKind::Link).await, [later, plain], "nothing after bob left");
    assert_eq!(seqs(&bob, team.id, SharedKind::File).await, [file]);

    // Someone who was never a member learns nothing; bad input gets a typed error.
    let q = SharedQuery { kind: SharedKind::Link, before: None, limit: None };
    assert_eq!(dave.client.shared(team.id, q).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let negative = SharedQuery { kind: SharedKind::Link, before: Some(-1), limit: None };
    let err = alice.client.shared(team.id, negative).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let (status, body) = alice
        .client
        .raw(reqwest::Method::GET, &format!("/v1/conversations/{}/shared?kind=video", team.id), None, None)
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    let (status, body) = alice
        .client
        .raw(reqwest::Method::GET, &format!("/v1/conversations/{}/shared", team.id), None, None)
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    let error: wire::ErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(error.error.code, ErrorCode::MalformedRequest);
}
