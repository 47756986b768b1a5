//! Contacts: friend requests, the friends list, blocks, and the domain's friendship policy.

use magpie_client::wire::{self, AccountEvent, ErrorCode, FriendRequestStatus};

use crate::harness::{TestServer, next_account_event};

#[tokio::test]
async fn a_friend_request_is_sent_accepted_listed_and_removed_on_every_device() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut bob_live = bob.connect().await;

    let status = alice.client.friend_request("bob@localhost", Some("我是 alice")).await.unwrap();
    assert_eq!(status, FriendRequestStatus::Requested);
    let event = next_account_event(&mut bob_live).await;
    assert_eq!(
        event.event,
        AccountEvent::FriendRequest { from: "alice@localhost".into(), message: Some("我是 alice".into()) }
    );
    let pending = bob.client.friend_requests().await.unwrap();
    assert_eq!(pending.incoming.len(), 1);
    assert_eq!(pending.incoming[0].from, "alice@localhost");
    assert_eq!(alice.client.friend_requests().await.unwrap().outgoing.len(), 1);

    bob.client.accept_friend_request("alice@localhost").await.unwrap();
    assert_eq!(
        next_account_event(&mut bob_live).await.event,
        AccountEvent::ContactAdded { account: "alice@localhost".into() }
    );
    let names = |list: Vec<magpie_client::wire::Profile>| list.into_iter().map(|p| p.account).collect::<Vec<_>>();
    assert_eq!(names(alice.client.contacts().await.unwrap()), vec!["bob@localhost"]);
    assert_eq!(names(bob.client.contacts().await.unwrap()), vec!["alice@localhost"]);
    assert!(bob.client.friend_requests().await.unwrap().incoming.is_empty());
    assert_eq!(
        alice.client.friend_request("bob@localhost", None).await.unwrap_err().code(),
        Some(ErrorCode::AlreadyExists)
    );
    assert_eq!(
        bob.client.accept_friend_request("alice@localhost").await.unwrap_err().code(),
        Some(ErrorCode::NotFound)
    );

    alice.client.remove_contact("bob@localhost").await.unwrap();
    assert_eq!(
        next_account_event(&mut bob_live).await.event,
        AccountEvent::ContactRemoved { account: "alice@localhost".into() }
    );
    assert!(bob.client.contacts().await.unwrap().is_empty());

    // Asking someone who already asked you makes you contacts at once.
    bob.client.friend_request("alice@localhost", None).await.unwrap();
    assert_eq!(alice.client.friend_request("bob@localhost", None).await.unwrap(), FriendRequestStatus::Added);
    assert_eq!(names(bob.client.contacts().await.unwrap()), vec!["alice@localhost"]);

    // Declining leaves no trace on either side.
    let carol = server.user("carol").await;
    carol.client.friend_request("alice@localhost", None).await.unwrap();
    alice.client.reject_friend_request("carol@localhost").await.unwrap();
    assert!(alice.client.friend_requests().await.unwrap().incoming.is_empty());
    assert!(carol.client.friend_requests().await.unwrap().outgoing.is_empty());
    assert_eq!(
        alice.client.friend_request("alice@localhost", None).await.unwrap_err().code(),
        Some(ErrorCode::InvalidField)
    );
}

#[tokio::test]
async fn a_blocked_account_cannot_message_or_befriend_you() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mallory = server.user("mallory").await;
    let chat = mallory.client.open_direct("alice@localhost").await.unwrap();
    // `@all` means nothing in a direct chat: it is not kept, and counts as no mention.
    let mut hello = magpie_client::text_message("m1", "hello");
    hello.mention_all = true;
    let first = mallory.client.send_message(chat.id, &hello).await.unwrap();
    let stored = alice.client.messages(chat.id, Default::default()).await.unwrap();
    assert!(!stored.entries.iter().find(|e| e.seq == first.seq).unwrap().mention_all);
    assert_eq!(alice.client.conversation(chat.id).await.unwrap().mentions, 0);

    let mut alice_live = alice.connect().await;
    alice.client.block("mallory@localhost", true).await.unwrap();
    assert_eq!(
        next_account_event(&mut alice_live).await.event,
        AccountEvent::BlockChanged { account: "mallory@localhost".into(), blocked: true }
    );
    assert_eq!(alice.client.blocked().await.unwrap()[0].account, "mallory@localhost");
    assert_eq!(mallory.client.send_text(chat.id, "m2", "hello?").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    // A retry of a send stored before the block still gets its ack.
    let retry = mallory.client.send_message(chat.id, &hello).await.unwrap();
    assert_eq!((retry.seq, retry.duplicate), (first.seq, true));
    let live = mallory.connect().await;
    assert_eq!(live.send_text(chat.id, "m3", "ws?").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    // A request to someone who blocks you looks sent but goes nowhere.
    assert_eq!(mallory.client.friend_request("alice@localhost", None).await.unwrap(), FriendRequestStatus::Requested);
    assert!(alice.client.friend_requests().await.unwrap().incoming.is_empty());
    assert_eq!(mallory.client.friend_requests().await.unwrap().outgoing.len(), 1, "the block shows nowhere");
    // Unblocking brings the waiting request to light, on alice's devices too.
    alice.client.block("mallory@localhost", false).await.unwrap();
    assert_eq!(alice.client.friend_requests().await.unwrap().incoming.len(), 1);
    let mut seen = vec![];
    while seen.len() < 2 {
        seen.push(next_account_event(&mut alice_live).await.event);
    }
    assert_eq!(seen[1], AccountEvent::FriendRequest { from: "mallory@localhost".into(), message: None });
    alice.client.reject_friend_request("mallory@localhost").await.unwrap();
    alice.client.block("mallory@localhost", true).await.unwrap();
    // A chat that does not exist yet cannot be opened by a blocked account.
    let carol = server.user("carol").await;
    carol.client.block("mallory@localhost", true).await.unwrap();
    assert_eq!(mallory.client.open_direct("carol@localhost").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    let spec = wire::GroupSpec { name: "trap".into(), members: vec!["carol@localhost".into()], ..Default::default() };
    let err = mallory.client.create_conversation(&wire::CreateConversationRequest::Group(spec)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert!(carol.client.conversations(None, None).await.unwrap().is_empty());
    // Alice may still write; unblocking lets mallory answer again.
    alice.client.send_text(chat.id, "a1", "stop").await.unwrap();
    alice.client.block("mallory@localhost", false).await.unwrap();
    mallory.client.send_text(chat.id, "m4", "sorry").await.unwrap();
    let page = alice.client.messages(chat.id, Default::default()).await.unwrap();
    assert_eq!(page.entries.len(), 3);
}

#[tokio::test]
async fn a_domain_may_require_friendship_for_direct_messages() {
    let server = TestServer::start().await;
    let admin = server.admin_user("admin").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    // The enterprise default: anyone in the domain may write to anyone.
    alice.client.send_text(chat.id, "a1", "hi bob").await.unwrap();

    let domain = admin.client.admin_set_direct_requires_friendship("localhost", true).await.unwrap();
    assert!(domain.direct_requires_friendship);
    assert_eq!(alice.client.send_text(chat.id, "a2", "hi again").await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    alice.client.friend_request("bob@localhost", None).await.unwrap();
    bob.client.accept_friend_request("alice@localhost").await.unwrap();
    alice.client.send_text(chat.id, "a3", "friends now").await.unwrap();
    // Groups are not affected.
    let team = crate::harness::group(&alice, "team", &["bob@localhost"]).await;
    bob.client.send_text(team.id, "b1", "in the group").await.unwrap();
}
