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

#[tokio::test]
async fn a_tus_upload_begun_on_one_node_is_resumed_on_another() {
    let cluster = Cluster::start(2, FAST).await;
    let [a, b] = &cluster.nodes[..] else { unreachable!() };
    let alice = user_on(a, "alice").await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    // The first half through node A.
    let headers = [("tus-resumable", "1.0.0".to_owned()), ("upload-length", data.len().to_string())];
    let created = alice.client.request_with(reqwest::Method::POST, "/v1/uploads", &headers, None).await.unwrap();
    assert_eq!(created.status, 201);
    let location = created.header("location").unwrap().to_owned();
    let patch = |offset: usize| {
        [
            ("tus-resumable", "1.0.0".to_owned()),
            ("upload-offset", offset.to_string()),
            ("content-type", "application/offset+octet-stream".to_owned()),
        ]
    };
    let half = data.len() / 2;
    let body = reqwest::Body::from(data[..half].to_vec());
    let first = alice.client.request_with(reqwest::Method::PATCH, &location, &patch(0), Some(body)).await.unwrap();
    assert_eq!(first.status, 204);
    // The rest through node B, with the same session, from the offset node B reports.
    let on_b = magpie_client::Client::new(&b.url).unwrap().with_token(alice.client.token().unwrap().to_owned());
    assert_eq!(on_b.upload_offset(&location).await.unwrap(), half, "node B knows how far node A got");
    let body = reqwest::Body::from(data[half..].to_vec());
    let second = on_b.request_with(reqwest::Method::PATCH, &location, &patch(half), Some(body)).await.unwrap();
    assert_eq!(second.status, 204);
    let id = location.rsplit('/').next().unwrap();
    // Downloaded whole through either node.
    assert_eq!(alice.client.download(id).await.unwrap(), data);
    assert_eq!(on_b.download(id).await.unwrap(), data);
}

#[tokio::test]
async fn an_embedded_deployment_migrates_into_a_cluster_with_everything_readable_and_the_same_seqs() {
    let mut server = TestServer::start_embedded(FAST).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    // A direct chat with an edit, a reaction and a recall; a group with a removal; a file.
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    for i in 0..5 {
        alice.client.send_text(chat.id, &format!("d{i}"), &format!("hello {i}")).await.unwrap();
    }
    let edited = bob.client.send_text(chat.id, "b0", "typo").await.unwrap();
    bob.client.edit_message(chat.id, edited.seq, serde_json::json!({"text": "fixed"}), Some("e0")).await.unwrap();
    alice.client.react(chat.id, edited.seq, "👍", true, Some("r0")).await.unwrap();
    let recalled = alice.client.send_text(chat.id, "d-oops", "oops").await.unwrap();
    alice.client.recall(chat.id, recalled.seq, Some("x0")).await.unwrap();
    let room = alice.client.create_conversation(&group("room", &[&bob.account, &carol.account])).await.unwrap();
    alice.client.send_text(room.id, "g0", "welcome").await.unwrap();
    alice.client.remove_member(room.id, &carol.account).await.unwrap();
    let file = alice.client.upload_once(b"the quarterly plan".to_vec(), "plan.txt").await.unwrap();
    let msg = wire::SendRequest {
        client_msg_id: "f0".into(),
        kind: "file".into(),
        body: serde_json::json!({"file": file.id, "name": "plan.txt"}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    alice.client.send_message(room.id, &msg).await.unwrap();
    // A pinned message and a saved one, with a note.
    alice.client.pin(chat.id, 2).await.unwrap();
    let kept = bob.client.save_message(chat.id, 3, Some("for later")).await.unwrap();
    // A scheduled message that refers to the file, due tomorrow.
    let tomorrow =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap()
            + 24 * 3600 * 1000;
    let schedule = wire::ScheduleRequest {
        kind: "file".into(),
        body: serde_json::json!({"file": file.id, "name": "plan.txt"}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        send_at_ms: tomorrow,
    };
    let waiting = alice.client.schedule_message(chat.id, &schedule).await.unwrap();
    // An administrator's department and invitation, and the audit log's records of them.
    let boss = server.admin_user("boss").await;
    let dept = wire::CreateDepartmentRequest { name: "总部".into(), ..Default::default() };
    let hq = boss.client.admin_create_department("localhost", &dept).await.unwrap();
    let invite = wire::CreateInvitationRequest::default();
    let invited = boss.client.admin_create_invitation("localhost", &invite).await.unwrap();
    let audit_before = boss.client.admin_audit_export(&wire::AuditQuery::default()).await.unwrap();
    let sync_before = bob.client.sync(wire::SyncRequest { limit: Some(500), ..Default::default() }).await.unwrap();
    assert!(!sync_before.more);
    let all = wire::HistoryQuery { limit: Some(500), ..Default::default() };
    let before = (
        alice.client.conversations(None, None).await.unwrap(),
        alice.client.messages(chat.id, all).await.unwrap(),
        bob.client.messages(room.id, all).await.unwrap(),
        carol.client.messages(room.id, all).await.unwrap(),
        (bob.client.pins(chat.id).await.unwrap(), bob.client.saved(None, None).await.unwrap()),
        alice.client.scheduled(None).await.unwrap(),
    );
    assert!(server.stop().await.success());

    // Into a new PostgreSQL database and a bucket.
    let backend = crate::harness::Backend::fresh().await;
    let setting = |name: &str| backend.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let (database, bucket) = (setting("MAGPIE_DATABASE"), setting("MAGPIE_BLOBS"));
    let key: Vec<(String, String)> = backend.iter().filter(|(k, _)| k.starts_with("MAGPIE_S3_")).cloned().collect();
    let out = server.admin_with(&["migrate", "--to", &database, "--blobs", &bucket], "", &key).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "migrate failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("entries\t") && stdout.contains("every table checked"), "{stdout}");
    assert!(stdout.contains("files\t1 copied into the bucket"), "{stdout}");
    // A second migration into the same database is refused.
    let again = server.admin(&["migrate", "--to", &database], "").await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // Now on PostgreSQL, Redis and the bucket, with the data directory's files gone: the old
    // sessions work, everyone reads what they read before at the same seqs, and the file comes
    // from the bucket.
    let files = server.path("files");
    for entry in std::fs::read_dir(&files).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        }
    }
    server.start_on(backend).await;
    let after = (
        alice.client.conversations(None, None).await.unwrap(),
        alice.client.messages(chat.id, all).await.unwrap(),
        bob.client.messages(room.id, all).await.unwrap(),
        carol.client.messages(room.id, all).await.unwrap(),
        (bob.client.pins(chat.id).await.unwrap(), bob.client.saved(None, None).await.unwrap()),
        alice.client.scheduled(None).await.unwrap(),
    );
    assert_eq!(
        serde_json::to_value(&after).unwrap(),
        serde_json::to_value(&before).unwrap(),
        "the same conversations, logs, pins, saved and scheduled messages"
    );
    assert_eq!(before.5, std::slice::from_ref(&waiting));
    assert_eq!(before.4.0.len(), 1);
    assert_eq!(before.4.1.items, std::slice::from_ref(&kept));
    assert_eq!(bob.client.download(&file.id).await.unwrap(), b"the quarterly plan");
    // Sync from where bob stood brings nothing old; what comes next follows on.
    let resumed = bob
        .client
        .sync(wire::SyncRequest {
            events_after: sync_before.events_head,
            conversations_after: sync_before.conversations_cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(resumed.conversations.is_empty() && resumed.events.is_empty(), "nothing new: {resumed:?}");
    let mut bob_live = bob.connect().await;
    let last = before.1.entries.last().unwrap().seq;
    let next = alice.client.send_text(chat.id, "after", "on the cluster now").await.unwrap();
    assert_eq!(next.seq, last + 1, "the log goes on from its last seq");
    let saved_next = bob.client.save_message(chat.id, 4, None).await.unwrap();
    assert!(saved_next.id > kept.id, "saved ids go on past what came in");
    let scheduled_next = alice
        .client
        .schedule_message(chat.id, &wire::ScheduleRequest { send_at_ms: tomorrow, ..schedule })
        .await
        .unwrap();
    assert!(scheduled_next.id > waiting.id, "scheduled ids go on past what came in");
    // Every table's ids go on past what came in, and the audit log came whole.
    let sales = wire::CreateDepartmentRequest { name: "销售部".into(), ..Default::default() };
    assert!(boss.client.admin_create_department("localhost", &sales).await.unwrap().id > hq.id);
    let next_invite = boss.client.admin_create_invitation("localhost", &invite).await.unwrap();
    assert!(next_invite.invitation.id > invited.invitation.id);
    let audit_after = boss.client.admin_audit_export(&wire::AuditQuery::default()).await.unwrap();
    assert_eq!(audit_after[..audit_before.len()], audit_before[..]);
    assert_eq!(audit_after.len(), audit_before.len() + 2);
    assert!(audit_after[audit_before.len()].id > audit_before.last().unwrap().id);
    let pushed = next_entry(&mut bob_live).await;
    assert_eq!((pushed.conversation, pushed.seq), (chat.id, next.seq));
    let moved_on = bob
        .client
        .sync(wire::SyncRequest {
            events_after: sync_before.events_head,
            conversations_after: sync_before.conversations_cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        moved_on.conversations.iter().map(|c| c.id).collect::<Vec<_>>(),
        [chat.id],
        "sync sees the new activity"
    );
}

#[tokio::test]
async fn login_failures_count_for_the_cluster_not_per_node() {
    let cluster = Cluster::start(3, FAST).await;
    let account = cluster.nodes[0].create("alice", &[]).await;
    // Ten wrong passwords from one address (the shipped limit per account and address is ten
    // an hour), spread over the three nodes.
    for i in 0..10 {
        let err = cluster.nodes[i % 3].anonymous().login(&account, "not the password").await.unwrap_err();
        assert_eq!(err.code(), Some(wire::ErrorCode::InvalidCredentials), "attempt {i}: {err}");
    }
    // Counted per node (four, three, three) no node would refuse yet; counted for the cluster,
    // every node refuses the next attempt, even with the right password.
    for node in &cluster.nodes {
        let err = node.anonymous().login(&account, crate::harness::PASSWORD).await.unwrap_err();
        assert_eq!(err.code(), Some(wire::ErrorCode::RateLimited), "{err}");
    }
}

#[tokio::test]
async fn nodes_starting_together_on_a_new_database_migrate_it_once() {
    // Cluster::start starts its nodes at the same moment.
    let backend = crate::harness::Backend::fresh().await;
    let database = backend.iter().find(|(k, _)| k == "MAGPIE_DATABASE").unwrap().1.clone();
    let cluster = Cluster::start_on(3, FAST, backend).await;
    let bus = std::sync::Arc::new(magpie_core::ports::LocalBus::new(1));
    let store = magpie_store_postgres::PgStore::open(&database, 1, bus).await.unwrap();
    let applied = store.applied_migrations().await.unwrap();
    let known: Vec<(i64, String)> =
        (1..).zip(magpie_store_postgres::MIGRATIONS.iter().map(|(name, _)| (*name).to_owned())).collect();
    assert_eq!(applied, known, "each step applied once");
    // And every node serves.
    for (i, node) in cluster.nodes.iter().enumerate() {
        user_on(node, &format!("user{i}")).await.client.me().await.unwrap();
    }
}

#[tokio::test]
async fn request_limits_count_for_the_cluster_not_per_node() {
    // Three requests a second per session, counted in Redis by every node.
    let cluster = Cluster::start(3, &[FAST, &[("MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX", "3")]].concat()).await;
    let alice = user_on(&cluster.nodes[0], "alice").await;
    let token = alice.client.token().expect("a logged-in client").to_owned();
    let clients: Vec<magpie_client::Client> =
        cluster.nodes.iter().map(|n| magpie_client::Client::new(&n.url).unwrap().with_token(token.clone())).collect();
    // Three requests on each node: none would be refused if each node counted its own (three is
    // the limit); counted for the cluster, the nine of them, sent within a second or two, cannot
    // all pass a limit of three in any rolling second.
    let mut refused = 0;
    for round in 0..3 {
        for (i, client) in clients.iter().enumerate() {
            match client.me().await {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.code(), Some(wire::ErrorCode::RateLimited), "round {round}, node {i}: {e}");
                    refused += 1;
                }
            }
        }
    }
    assert!(refused > 0, "nine requests of one session over three nodes all passed a limit of three a second");
}

#[tokio::test]
async fn every_node_searches_what_any_node_committed_and_a_new_node_builds_its_index() {
    let unlimited = [FAST, &[("MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX", "1000000")]].concat();
    let mut cluster = Cluster::start(2, &unlimited).await;
    let [a, b] = &cluster.nodes[..] else { unreachable!() };
    let (alice, bob) = (user_on(a, "alice").await, user_on(b, "bob").await);
    let team = alice.client.create_conversation(&group("team", &[&bob.account])).await.unwrap();

    // Sent through node A, found through node B's own index.
    let ack = alice.client.send_text(team.id, "m1", "集群里的季度计划").await.unwrap();
    crate::search::until_found(&bob, crate::search::query("季度计划"), &[(team.id, ack.seq)]).await;

    // A rename through node A is found by name through node B at once: names are in the store.
    let rename = wire::UpdateProfileRequest { display_name: Some("王小明".into()), ..Default::default() };
    alice.client.update_me(&rename).await.unwrap();
    let found = bob.client.search_people(&wire::SearchNamesQuery { q: "wxm".into(), limit: None }).await.unwrap();
    assert_eq!(found.results.iter().map(|r| r.profile.account.as_str()).collect::<Vec<_>>(), [alice.account.as_str()]);

    // A node that starts with no index builds it from the log and answers like the others.
    let c = cluster.add_node().await;
    let bob_on_c = c.login(&bob.account).await;
    crate::search::until_found(&bob_on_c, crate::search::query("季度计划"), &[(team.id, ack.seq)]).await;
}
