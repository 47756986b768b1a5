//! Presence and typing: ephemeral, pushed to the right people only.

use magpie_client::wire::{self, PresenceStatus};
use magpie_client::{Connection, Incoming};

use crate::harness::{EVENTUALLY, TestServer};

/// The next pushed frame that is a presence change or typing signal (entries pass through).
async fn next_signal(live: &mut Connection) -> wire::Event {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match live.next_incoming(left).await {
            Some(Incoming::Event(event @ (wire::Event::Presence(_) | wire::Event::Typing(_)))) => return event,
            Some(Incoming::Event(event @ wire::Event::Entry(_))) => return event,
            Some(_) => continue,
            None => panic!("no signal arrived within {EVENTUALLY:?}"),
        }
    }
}

fn presence_of(event: wire::Event) -> wire::Presence {
    match event {
        wire::Event::Presence(p) => p,
        other => panic!("expected presence, got {other:?}"),
    }
}

#[tokio::test]
async fn presence_follows_connections_and_choices_and_reaches_chat_partners() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.client.open_direct("bob@localhost").await.unwrap();
    let mut bob_live = bob.connect().await;

    let alice_live = alice.connect().await;
    let p = presence_of(next_signal(&mut bob_live).await);
    assert_eq!((p.account.as_str(), p.status), ("alice@localhost", PresenceStatus::Online));

    alice_live.set_presence(PresenceStatus::Busy, Some("开会中")).await.unwrap();
    let p = presence_of(next_signal(&mut bob_live).await);
    assert_eq!((p.status, p.text.as_deref()), (PresenceStatus::Busy, Some("开会中")));
    let seen = bob.client.presence(&["alice@localhost"]).await.unwrap();
    assert_eq!(seen[0].status, PresenceStatus::Busy);

    drop(alice_live);
    let p = presence_of(next_signal(&mut bob_live).await);
    assert_eq!(p.status, PresenceStatus::Offline);
    assert!(p.last_seen_ms.is_some());
    let seen = bob.client.presence(&["alice@localhost"]).await.unwrap();
    assert_eq!(seen[0].status, PresenceStatus::Offline);
    assert!(seen[0].last_seen_ms.is_some());
    let err = alice.client.set_presence(PresenceStatus::Offline, None).await.unwrap_err();
    assert_eq!(err.code(), Some(wire::ErrorCode::InvalidField));
}

#[tokio::test]
async fn blocked_accounts_and_other_domains_see_no_presence() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    let eve = server.login(&server.create("eve@other.example", &[]).await).await;
    alice.client.open_direct("bob@localhost").await.unwrap();
    alice.client.block("bob@localhost", true).await.unwrap();
    let _alice_live = alice.connect().await;
    alice.client.set_presence(PresenceStatus::Away, Some("lunch")).await.unwrap();

    // Bob, blocked, sees alice as an ordinary offline account: since her last session.
    let seen = bob.client.presence(&["alice@localhost"]).await.unwrap();
    assert_eq!((seen[0].status, seen[0].text.as_deref()), (PresenceStatus::Offline, None));
    assert!(seen[0].last_seen_ms.is_some());
    // Another domain learns nothing at all, as for an account that does not exist.
    let seen = eve.client.presence(&["alice@localhost", "nobody@localhost"]).await.unwrap();
    for p in &seen {
        assert_eq!((p.status, p.text.as_deref(), p.last_seen_ms), (PresenceStatus::Offline, None, None));
    }
    // Bob, blocked, is not told either: the next thing he gets is a message, not presence.
    let mut bob_live = bob.connect().await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    alice.client.set_presence(PresenceStatus::Busy, None).await.unwrap();
    alice.client.send_text(chat.id, "a1", "hi").await.unwrap();
    assert!(matches!(next_signal(&mut bob_live).await, wire::Event::Entry(_)));
}

#[tokio::test]
async fn typing_reaches_the_other_members_once_per_interval() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let mut bob_live = bob.connect().await;
    let alice_live = alice.connect().await;
    // Bob first hears alice come online.
    presence_of(next_signal(&mut bob_live).await);

    alice_live.typing(chat.id).await.unwrap();
    alice_live.typing(chat.id).await.unwrap();
    alice.client.typing(chat.id).await.unwrap();
    alice.client.send_text(chat.id, "a1", "done typing").await.unwrap();
    match next_signal(&mut bob_live).await {
        wire::Event::Typing(t) => assert_eq!((t.conversation, t.account.as_str()), (chat.id, "alice@localhost")),
        other => panic!("expected typing, got {other:?}"),
    }
    // The repeats within the interval were dropped: next comes the message.
    assert!(matches!(next_signal(&mut bob_live).await, wire::Event::Entry(_)));
    // Outsiders cannot type into the chat.
    let carol = server.user("carol").await;
    assert_eq!(carol.client.typing(chat.id).await.unwrap_err().code(), Some(wire::ErrorCode::NotFound));
}
