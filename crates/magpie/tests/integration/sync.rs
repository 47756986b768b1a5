//! The delivery contract under disconnects and crashes: catch-up with no gap and no
//! duplicate, acked means stored (also across `kill -9`), retried sends converge.

use std::collections::{BTreeMap, HashMap, HashSet};

use magpie_client::{Replica, wire};
use proptest::prelude::*;

use crate::harness::{EVENTUALLY, FAST, TestServer, User, next_entry, text_of};

/// Reads a conversation's whole log through REST, oldest first.
async fn whole_log(user: &User, id: i64) -> Vec<wire::Entry> {
    let mut all = vec![];
    let mut after = 0;
    loop {
        let q = wire::HistoryQuery { after: Some(after), before: None, limit: Some(200) };
        let page = user.client.messages(id, q).await.unwrap();
        let Some(last) = page.entries.last() else { return all };
        after = last.seq;
        all.extend(page.entries);
    }
}

/// Drains what a connection has pushed into the replica until `done` holds.
async fn follow_until(replica: &mut Replica, live: &mut magpie_client::Connection, done: impl Fn(&Replica) -> bool) {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while !done(replica) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let incoming = live.next_incoming(left).await.expect("the replica did not converge in time");
        replica.handle(live, incoming).await.unwrap();
    }
}

#[tokio::test]
async fn a_client_that_was_away_gets_exactly_what_it_missed_in_order() {
    let server = TestServer::start_with(FAST).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();

    let mut replica = Replica::new();
    let mut live = bob.connect().await;
    replica.catch_up(&live).await.unwrap();
    alice.client.send_text(chat.id, "first", "before the break").await.unwrap();
    follow_until(&mut replica, &mut live, |r| r.seqs(chat.id) == vec![1]).await;
    live.close().await.unwrap();
    drop(live);

    for i in 2..=41 {
        alice.client.send_text(chat.id, &format!("away{i}"), &format!("while away {i}")).await.unwrap();
    }
    // Reconnect; more messages arrive while the catch-up runs.
    let mut live = bob.connect().await;
    let sender = alice.client.clone();
    let more = tokio::spawn(async move {
        for i in 42..=61 {
            sender.send_text(chat.id, &format!("during{i}"), &format!("during catch-up {i}")).await.unwrap();
        }
    });
    replica.catch_up(&live).await.unwrap();
    more.await.unwrap();
    follow_until(&mut replica, &mut live, |r| r.conversations.get(&chat.id).is_some_and(|c| c.seq_cursor == 61)).await;
    assert_eq!(replica.seqs(chat.id), (1..=61).collect::<Vec<_>>());
    let texts: Vec<String> = replica.conversations[&chat.id].entries.values().map(|e| text_of(e).to_owned()).collect();
    assert_eq!(texts[1], "while away 2");
    assert_eq!(texts[60], "during catch-up 61");
}

#[tokio::test]
async fn after_kill_9_every_acked_message_is_there_once_and_retries_converge() {
    let mut server = TestServer::start_with(FAST).await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let live = alice.connect().await;

    const SENDERS: usize = 8;
    const PER_SENDER: usize = 60;
    let ids = |s: usize| (0..PER_SENDER).map(move |i| format!("s{s}-{i}"));
    let mut tasks = vec![];
    for s in 0..SENDERS {
        let client = alice.client.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = vec![];
            for id in ids(s) {
                match client.send_text(chat.id, &id, &id).await {
                    Ok(ack) => acked.push((id, ack)),
                    Err(_) => break,
                }
            }
            acked
        }));
    }
    // Kill the server in the middle of the burst, once some sends have been acked.
    let mut ws_acked = vec![];
    for i in 0.. {
        match live.send_text(chat.id, &format!("ws-{i}"), "over the socket").await {
            Ok(ack) => ws_acked.push((format!("ws-{i}"), ack)),
            Err(_) => break,
        }
        if i == 20 {
            server.kill().await;
        }
    }
    let mut acked: Vec<(String, wire::Ack)> = ws_acked;
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    assert!(acked.len() >= 21, "the burst was cut before anything was acked");

    server.restart_stopped().await;
    let log = whole_log(&alice, chat.id).await;
    let by_id: HashMap<&str, &wire::Entry> =
        log.iter().map(|e| (e.client_msg_id.as_deref().unwrap_or_default(), e)).collect();
    assert_eq!(by_id.len(), log.len(), "a client_msg_id is stored twice");
    for (id, ack) in &acked {
        let entry = by_id.get(id.as_str()).unwrap_or_else(|| panic!("acked {id} is lost"));
        assert_eq!((entry.seq, entry.id), (ack.seq, ack.id), "{id} moved");
    }
    // The same session retries everything it sent with the same ids: one copy of each.
    let client = server.anonymous().with_token(alice.client.token().unwrap());
    let mut all_ids: Vec<String> = (0..SENDERS).flat_map(ids).collect();
    all_ids.extend(acked.iter().filter(|(id, _)| id.starts_with("ws-")).map(|(id, _)| id.clone()));
    for id in &all_ids {
        let text = if id.starts_with("ws-") { "over the socket" } else { id.as_str() };
        client.send_text(chat.id, id, text).await.unwrap();
    }
    let log = whole_log(&alice, chat.id).await;
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=log.len() as i64).collect::<Vec<_>>(), "seqs are dense");
    let unique: HashSet<&str> = log.iter().filter_map(|e| e.client_msg_id.as_deref()).collect();
    assert_eq!(unique.len(), log.len());
    assert!(all_ids.iter().all(|id| unique.contains(id.as_str())));
}

#[tokio::test]
async fn the_sending_device_and_the_others_see_one_order() {
    let server = TestServer::start_with(FAST).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let mut a_live = alice.connect().await;
    let mut b_live = bob.connect().await;
    let sends = (0..40).map(|i| {
        let (alice, bob) = (alice.client.clone(), bob.client.clone());
        async move {
            if i % 2 == 0 {
                alice.send_text(chat.id, &format!("o{i}"), "x").await
            } else {
                bob.send_text(chat.id, &format!("o{i}"), "x").await
            }
        }
    });
    for result in futures_util::future::join_all(sends).await {
        result.unwrap();
    }
    for live in [&mut a_live, &mut b_live] {
        let mut seqs = vec![];
        for _ in 0..40 {
            seqs.push(next_entry(live).await.seq);
        }
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "pushed out of order");
    }
}

/// One step of a random schedule.
#[derive(Debug, Clone)]
enum Step {
    /// Device `device` sends `count` messages to conversation `conversation`.
    Send { device: usize, conversation: usize, count: usize },
    /// Device `device` drops its connection.
    Disconnect { device: usize },
    /// Device `device` reconnects and catches up.
    Reconnect { device: usize },
    /// The server stops (gracefully or by SIGKILL) and starts again.
    Restart { kill: bool },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..3usize, 0..2usize, 1..6usize).prop_map(|(device, conversation, count)| Step::Send { device, conversation, count }),
        2 => (0..3usize).prop_map(|device| Step::Disconnect { device }),
        2 => (0..3usize).prop_map(|device| Step::Reconnect { device }),
        1 => any::<bool>().prop_map(|kill| Step::Restart { kill }),
    ]
}

/// Runs a schedule against a real server and checks the contract: every replica ends with
/// every conversation's log whole (no gap, no duplicate, in seq order), every acked send is
/// stored exactly once where its ack said, and retried sends converge.
async fn run_schedule(steps: Vec<Step>) {
    let mut server = TestServer::start_with(FAST).await;
    // Devices 0 and 1 are alice's laptop and phone; device 2 is bob.
    let alice = server.user("alice").await;
    let alice_phone = server.login("alice@localhost").await;
    let bob = server.user("bob").await;
    let users = [&alice, &alice_phone, &bob];
    let direct = alice.client.open_direct("bob@localhost").await.unwrap().id;
    let team = crate::harness::group(&alice, "team", &["bob@localhost"]).await.id;
    let conversations = [direct, team];

    let mut replicas: Vec<Replica> = (0..3).map(|_| Replica::new()).collect();
    let mut lives: Vec<Option<magpie_client::Connection>> = vec![None, None, None];
    let mut acked: BTreeMap<String, wire::Ack> = BTreeMap::new();
    let mut unacked: Vec<(usize, i64, String)> = vec![];
    let mut counter = 0;
    for step in steps {
        match step {
            Step::Send { device, conversation, count } => {
                for _ in 0..count {
                    counter += 1;
                    let id = format!("p{counter}");
                    let conv = conversations[conversation];
                    match users[device].client.send_text(conv, &id, &id).await {
                        Ok(ack) => drop(acked.insert(id, ack)),
                        Err(_) => unacked.push((device, conv, id)),
                    }
                }
            }
            Step::Disconnect { device } => drop(lives[device].take()),
            Step::Reconnect { device } => {
                if lives[device].is_none() {
                    let live = users[device].connect().await;
                    replicas[device].catch_up(&live).await.unwrap();
                    lives[device] = Some(live);
                }
            }
            Step::Restart { kill } => {
                lives.iter_mut().for_each(|l| drop(l.take()));
                if kill {
                    server.kill().await;
                    server.restart_stopped().await;
                } else {
                    server.restart().await;
                }
            }
        }
        // Connected replicas apply whatever has been pushed so far.
        for (device, live) in lives.iter_mut().enumerate() {
            if let Some(live) = live {
                while let Some(incoming) = live.next_incoming(std::time::Duration::from_millis(1)).await {
                    replicas[device].handle(live, incoming).await.unwrap();
                }
            }
        }
    }
    // Retry every unacked send with its id from its device; then everyone catches up.
    let users = [
        server.anonymous().with_token(alice.client.token().unwrap()),
        server.anonymous().with_token(alice_phone.client.token().unwrap()),
        server.anonymous().with_token(bob.client.token().unwrap()),
    ];
    for (device, conv, id) in &unacked {
        let ack = users[*device].send_text(*conv, id, id).await.unwrap();
        acked.insert(id.clone(), ack);
    }
    for (device, replica) in replicas.iter_mut().enumerate() {
        let live = users[device].connect().await.unwrap();
        replica.catch_up(&live).await.unwrap();
    }
    let mut stored: HashMap<String, (i64, i64)> = HashMap::new();
    for conv in conversations {
        let log = whole_log(&alice, conv).await;
        let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
        let first = seqs.first().copied().unwrap_or(1);
        assert_eq!(seqs, (first..first + seqs.len() as i64).collect::<Vec<_>>(), "a gap in the log");
        for replica in &replicas {
            assert_eq!(replica.seqs(conv), seqs, "a replica differs from the log");
        }
        for entry in log.iter().filter(|e| e.kind == "text") {
            let id = entry.client_msg_id.clone().unwrap();
            assert!(stored.insert(id.clone(), (conv, entry.seq)).is_none(), "{id} stored twice");
        }
    }
    for (id, ack) in &acked {
        assert_eq!(stored.get(id), Some(&(ack.conversation, ack.seq)), "{id} is not where its ack said");
    }
    assert_eq!(stored.len(), acked.len(), "something was stored that no one sent");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, max_shrink_iters: 0, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_schedules_keep_the_delivery_contract(steps in proptest::collection::vec(step(), 4..24)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(run_schedule(steps));
    }
}
