//! Cluster mode: three nodes on one PostgreSQL and one Redis (docs/cluster.md). Any node serves
//! anyone; what one node commits reaches the others' connections once, in seq order; a node's
//! death loses nothing acknowledged.

use std::collections::BTreeMap;

use magpie_client::wire::{self, PresenceStatus, RevokeReason, close_code};
use magpie_client::{Connection, Incoming};

use crate::harness::{Cluster, EVENTUALLY, FAST, PROMPTLY, TestServer, User, next_entry};

/// Creates `name` through `node`'s admin CLI (any node's would do: they share the database)
/// and logs it in on `node`.
async fn user_on(node: &TestServer, name: &str) -> User {
    let account = node.create(name, &[]).await;
    node.login(&account).await
}

/// Collects the entries of `conversation` pushed to `live` until it has seq `last`; panics on
/// a gap, a duplicate or a seq out of order.
async fn entries_until(live: &mut Connection, conversation: i64, last: i64) -> Vec<wire::Entry> {
    let mut got: Vec<wire::Entry> = vec![];
    while got.last().is_none_or(|e| e.seq < last) {
        let entry = next_entry(live).await;
        if entry.conversation != conversation {
            continue;
        }
        if let Some(previous) = got.last() {
            assert_eq!(entry.seq, previous.seq + 1, "pushed in seq order, once each, without a gap");
        }
        got.push(entry);
    }
    got
}

fn group(name: &str, members: &[&str]) -> wire::CreateConversationRequest {
    wire::CreateConversationRequest::Group(wire::GroupSpec {
        name: name.to_owned(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        ..wire::GroupSpec::default()
    })
}

#[tokio::test]
async fn members_on_different_nodes_get_every_message_once_in_seq_order() {
    let cluster = Cluster::start(3, FAST).await;
    let [a, b, c] = &cluster.nodes[..] else { unreachable!() };
    let (alice, bob, carol) = (user_on(a, "alice").await, user_on(b, "bob").await, user_on(c, "carol").await);
    let (mut alice_live, mut bob_live, mut carol_live) =
        (alice.connect().await, bob.connect().await, carol.connect().await);

    // A direct chat between nodes A and B: both send, both see the same log.
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    for i in 0..10 {
        alice.client.send_text(chat.id, &format!("a{i}"), &format!("from alice {i}")).await.unwrap();
        bob.client.send_text(chat.id, &format!("b{i}"), &format!("from bob {i}")).await.unwrap();
    }
    let last = bob.client.conversation(chat.id).await.unwrap().last_seq;
    let on_a = entries_until(&mut alice_live, chat.id, last).await;
    let on_b = entries_until(&mut bob_live, chat.id, last).await;
    let texts = |list: &[wire::Entry]| list.iter().map(|e| (e.seq, e.body.clone())).collect::<Vec<_>>();
    assert_eq!(texts(&on_a), texts(&on_b), "both ends hold the same log");
    assert_eq!(on_a.iter().filter(|e| e.kind == "text").count(), 20);

    // A group with a member on each node; all three send at once.
    let room = alice.client.create_conversation(&group("room", &[&bob.account, &carol.account])).await.unwrap();
    let sends = [(&alice, "a"), (&bob, "b"), (&carol, "c")].map(|(user, tag)| {
        let client = user.client.clone();
        tokio::spawn(async move {
            for i in 0..15 {
                client.send_text(room.id, &format!("{tag}-room-{i}"), &format!("{tag} {i}")).await.unwrap();
            }
        })
    });
    for send in sends {
        send.await.unwrap();
    }
    let last = carol.client.conversation(room.id).await.unwrap().last_seq;
    let mut logs = vec![];
    for live in [&mut alice_live, &mut bob_live, &mut carol_live] {
        logs.push(texts(&entries_until(live, room.id, last).await));
    }
    assert!(logs.windows(2).all(|w| w[0] == w[1]), "every member on every node holds the same log");
    let history = a.login(&carol.account).await.client.messages(room.id, wire::HistoryQuery::default()).await.unwrap();
    assert_eq!(history.entries.iter().filter(|e| e.kind == "text").count(), 45, "every send stored once");
}

#[tokio::test]
async fn a_member_removed_through_one_node_gets_nothing_more_on_another() {
    let cluster = Cluster::start(2, FAST).await;
    let [a, b] = &cluster.nodes[..] else { unreachable!() };
    let (alice, bob) = (user_on(a, "alice").await, user_on(b, "bob").await);
    let carol = user_on(a, "carol").await;
    let mut bob_live = bob.connect().await;
    let room = alice.client.create_conversation(&group("room", &[&bob.account, &carol.account])).await.unwrap();
    // Carol keeps sending through node A while alice removes bob through node A.
    let sender = carol.client.clone();
    let sending = tokio::spawn(async move {
        for i in 0..40 {
            sender.send_text(room.id, &format!("c{i}"), "still here").await.unwrap();
        }
    });
    let removal = alice.client.remove_member(room.id, &bob.account).await.unwrap();
    sending.await.unwrap();
    // Bob, on node B, hears everything before his removal, then nothing (the removal itself
    // reaches him as his `conversation_left` event, not as an entry).
    let got = entries_until(&mut bob_live, room.id, removal.seq - 1).await;
    assert_eq!(got.last().map(|e| e.seq), Some(removal.seq - 1));
    let last = alice.client.conversation(room.id).await.unwrap().last_seq;
    assert!(last > removal.seq, "carol sent after the removal too");
    // Something after the last entry that bob may see (none), and a marker to wait for: a
    // direct message from alice proves node B's fan-out has passed the room's last entry.
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    alice.client.send_text(chat.id, "marker", "marker").await.unwrap();
    loop {
        let entry = next_entry(&mut bob_live).await;
        assert_ne!(entry.conversation, room.id, "an entry at or after the removal: seq {}", entry.seq);
        if entry.conversation == chat.id && entry.kind == "text" {
            break;
        }
    }
}

#[tokio::test]
async fn a_session_revoked_through_one_node_is_closed_on_another_and_signals_cross_nodes() {
    let cluster = Cluster::start(3, FAST).await;
    let [a, b, c] = &cluster.nodes[..] else { unreachable!() };
    let alice = user_on(a, "alice").await;
    let alice_phone = c.login(&alice.account).await;
    let bob = user_on(b, "bob").await;
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let mut bob_live = bob.connect().await;

    // Presence: alice connects on node C; bob, on node B, sees her come online.
    let mut phone_live = alice_phone.connect().await;
    let online = next_signal(&mut bob_live).await;
    assert!(matches!(&online, wire::Event::Presence(p) if p.status == PresenceStatus::Online), "{online:?}");
    // Typing from node C reaches node B.
    phone_live.typing(chat.id).await.unwrap();
    let typing = next_signal(&mut bob_live).await;
    assert!(matches!(&typing, wire::Event::Typing(t) if t.account == alice.account), "{typing:?}");

    // Alice revokes her phone's session through node A: its socket on node C closes at once.
    alice.client.revoke_session(alice_phone.login.session.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + PROMPTLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match phone_live.next_incoming(left).await {
            Some(Incoming::Event(wire::Event::SessionRevoked { reason })) => {
                assert_eq!(reason, RevokeReason::Revoked);
                break;
            }
            // Bob's presence may come first, and so may pushes of what committed before the
            // phone connected (delivery is at least once; the client's sync cursors skip them).
            Some(Incoming::Event(wire::Event::Presence(_) | wire::Event::Account(_) | wire::Event::Entry(_))) => {
                continue;
            }
            other => panic!("expected session_revoked, got {other:?}"),
        }
    }
    let closed = phone_live.closed(PROMPTLY).await.expect("closed within a second");
    assert_eq!(closed.code, close_code::SESSION_REVOKED);
    // Her last connection is gone: bob sees her go offline.
    let offline = next_signal(&mut bob_live).await;
    assert!(matches!(&offline, wire::Event::Presence(p) if p.status == PresenceStatus::Offline), "{offline:?}");
}

/// The next presence or typing push, skipping others; panics after [`EVENTUALLY`].
async fn next_signal(live: &mut Connection) -> wire::Event {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match live.next_incoming(left).await {
            Some(Incoming::Event(event @ (wire::Event::Presence(_) | wire::Event::Typing(_)))) => return event,
            Some(_) => continue,
            None => panic!("no presence or typing push within {EVENTUALLY:?}"),
        }
    }
}

#[tokio::test]
async fn killing_a_node_mid_burst_loses_nothing_acknowledged() {
    let mut cluster = Cluster::start(3, FAST).await;
    let users = [
        user_on(&cluster.nodes[0], "u0").await,
        user_on(&cluster.nodes[1], "u1").await,
        user_on(&cluster.nodes[2], "u2").await,
    ];
    let members: Vec<&str> = users[1..].iter().map(|u| u.account.as_str()).collect();
    let room = users[0].client.create_conversation(&group("burst", &members)).await.unwrap();
    // Each user sends a numbered burst through its own node, remembering what was acked.
    const SENDS: usize = 60;
    let bursts: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(n, user)| {
            let client = user.client.clone();
            tokio::spawn(async move {
                let mut acked = BTreeMap::new();
                for i in 0..SENDS {
                    let id = format!("u{n}-{i}");
                    if let Ok(ack) = client.send_text(room.id, &id, &id).await {
                        acked.insert(id, ack.seq);
                    }
                }
                acked
            })
        })
        .collect();
    // Node 1 dies without a word in the middle of it: once a third of the burst is in.
    let watcher = &users[0].client;
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while watcher.conversation(room.id).await.unwrap().last_seq < i64::try_from(SENDS).unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "the burst did not get going");
        tokio::task::yield_now().await;
    }
    cluster.nodes[1].kill().await;
    let mut acked = BTreeMap::new();
    for burst in bursts {
        acked.extend(burst.await.unwrap());
    }
    // u1's client goes to a live node with its session and retries every send with the same
    // ids: those acked before converge on their first seq, the rest are stored once.
    let survivor = &cluster.nodes[2];
    let token = users[1].client.token().unwrap().to_owned();
    let u1 = User {
        account: users[1].account.clone(),
        client: magpie_client::Client::new(&survivor.url).unwrap().with_token(token),
        login: users[1].login.clone(),
    };
    for i in 0..SENDS {
        let id = format!("u1-{i}");
        let ack = u1.client.send_text(room.id, &id, &id).await.unwrap();
        if let Some(seq) = acked.get(&id) {
            assert_eq!(ack.seq, *seq, "a retry of {id} converges on its first ack");
        }
        acked.insert(id, ack.seq);
    }
    // The other two also retry what failed when their node was fine but the cluster was busy.
    for (n, user) in [(0, &users[0]), (2, &users[2])] {
        for i in 0..SENDS {
            let id = format!("u{n}-{i}");
            let ack = user.client.send_text(room.id, &id, &id).await.unwrap();
            assert_eq!(*acked.entry(id.clone()).or_insert(ack.seq), ack.seq, "{id} converges");
        }
    }
    let page =
        u1.client.messages(room.id, wire::HistoryQuery { limit: Some(500), ..Default::default() }).await.unwrap();
    let texts: Vec<(i64, String)> = page
        .entries
        .iter()
        .filter(|e| e.kind == "text")
        .map(|e| (e.seq, e.body.as_ref().and_then(|b| b["text"].as_str()).unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(texts.len(), 3 * SENDS, "every send stored once: {}", texts.len());
    for (seq, text) in &texts {
        assert_eq!(acked.get(text), Some(seq), "{text} is at the seq its ack named");
    }
    let seqs: Vec<i64> = page.entries.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "no gap in the log");
}
