//! Cluster mode when its services fail: Redis stopped and started again during traffic, and
//! PostgreSQL stopped and started again. Each test runs its own Redis or PostgreSQL, so that it
//! can stop it.

use std::collections::BTreeMap;

use magpie_client::wire;

use crate::harness::{Backend, Cluster, EVENTUALLY, FAST, PrivatePostgres, PrivateRedis, TestServer, User};

async fn user_on(node: &TestServer, name: &str) -> User {
    let account = node.create(name, &[]).await;
    node.login(&account).await
}

/// Asks `node`'s `/readyz` until its status is `status`, for at most [`EVENTUALLY`].
async fn until_ready_says(node: &TestServer, status: &str, http: u16) -> wire::HealthResponse {
    let url = format!("{}/readyz", node.url);
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let response = reqwest::get(&url).await.unwrap();
        let code = response.status().as_u16();
        let body: wire::HealthResponse = response.json().await.unwrap();
        if body.status == status && code == http {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "readyz still says {} ({code}), not {status}", body.status);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The texts of a conversation's messages, by seq, as `user` reads them.
async fn texts(user: &User, conversation: i64) -> BTreeMap<i64, String> {
    let page = user
        .client
        .messages(conversation, wire::HistoryQuery { limit: Some(500), ..Default::default() })
        .await
        .unwrap();
    page.entries
        .iter()
        .filter(|e| e.kind == "text")
        .map(|e| (e.seq, e.body.as_ref().and_then(|b| b["text"].as_str()).unwrap_or_default().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_cluster_rides_out_redis_stopping_and_coming_back() {
    let mut redis = PrivateRedis::start().await;
    let postgres = std::env::var("MAGPIE_TEST_POSTGRES_URL").expect("MAGPIE_TEST_POSTGRES_URL (run scripts/test)");
    let cluster = Cluster::start_on(2, FAST, Backend::on(&postgres, &redis.url()).await).await;
    let [a, b] = &cluster.nodes[..] else { unreachable!() };
    let (alice, bob) = (user_on(a, "alice").await, user_on(b, "bob").await);
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let mut bob_live = bob.connect().await;
    let ready = until_ready_says(a, "ok", 200).await;
    assert_eq!(ready.dependencies.get("bus").map(String::as_str), Some("ok"));

    // Redis dies. The nodes keep committing and acknowledging, say they are degraded, and bob
    // (on the other node) still gets every message: his node reads the database on its own.
    redis.kill();
    let mut acked = BTreeMap::new();
    for i in 0..20 {
        let text = format!("while redis is down {i}");
        let ack = alice.client.send_text(chat.id, &format!("down-{i}"), &text).await.unwrap();
        acked.insert(ack.seq, text);
    }
    let degraded = until_ready_says(a, "degraded", 200).await;
    assert_eq!(degraded.dependencies.get("bus").map(String::as_str), Some("down"));
    assert_eq!(degraded.dependencies.get("database").map(String::as_str), Some("ok"));
    let last = *acked.keys().last().unwrap();
    let mut pushed = BTreeMap::new();
    while pushed.keys().last().is_none_or(|seq| *seq < last) {
        let entry = crate::harness::next_entry(&mut bob_live).await;
        if entry.kind == "text" {
            assert!(pushed.insert(entry.seq, ()).is_none(), "seq {} pushed twice", entry.seq);
        }
    }

    // Redis comes back (empty): the nodes say so, and live delivery goes on.
    redis.restart().await;
    until_ready_says(a, "ok", 200).await;
    until_ready_says(b, "ok", 200).await;
    for i in 0..5 {
        let text = format!("redis is back {i}");
        let ack = alice.client.send_text(chat.id, &format!("back-{i}"), &text).await.unwrap();
        acked.insert(ack.seq, text);
    }
    let last = *acked.keys().last().unwrap();
    while pushed.keys().last().is_none_or(|seq| *seq < last) {
        let entry = crate::harness::next_entry(&mut bob_live).await;
        if entry.kind == "text" {
            assert!(pushed.insert(entry.seq, ()).is_none(), "seq {} pushed twice", entry.seq);
        }
    }
    assert_eq!(pushed.keys().copied().collect::<Vec<_>>(), acked.keys().copied().collect::<Vec<_>>());
    assert_eq!(texts(&bob, chat.id).await, acked, "nothing acknowledged is lost, nothing is stored twice");
}

#[tokio::test]
async fn a_cluster_answers_unavailable_while_postgres_is_down_and_resumes() {
    let mut postgres = PrivatePostgres::start().await;
    let redis = std::env::var("MAGPIE_TEST_REDIS_URL").expect("MAGPIE_TEST_REDIS_URL (run scripts/test)");
    let cluster = Cluster::start_on(1, FAST, Backend::on(&postgres.url(), &redis).await).await;
    let node = &cluster.nodes[0];
    let (alice, bob) = (user_on(node, "alice").await, user_on(node, "bob").await);
    let chat = alice.client.open_direct(&bob.account).await.unwrap();
    let before = alice.client.send_text(chat.id, "before", "before the outage").await.unwrap();

    postgres.stop();
    let err = alice.client.send_text(chat.id, "during", "during the outage").await.unwrap_err();
    assert_eq!(err.code(), Some(wire::ErrorCode::Unavailable), "{err}");
    let err = bob.client.conversations(None, None).await.unwrap_err();
    assert_eq!(err.code(), Some(wire::ErrorCode::Unavailable), "{err}");
    let down = until_ready_says(node, "unavailable", 503).await;
    assert_eq!(down.dependencies.get("database").map(String::as_str), Some("down"));

    postgres.start_again().await;
    until_ready_says(node, "ok", 200).await;
    // The send that failed was not half-done: its retry is stored once, right after the last.
    let retried = alice.client.send_text(chat.id, "during", "during the outage").await.unwrap();
    assert_eq!(retried.seq, before.seq + 1);
    assert!(!retried.duplicate, "the failed send stored nothing");
    let again = alice.client.send_text(chat.id, "during", "during the outage").await.unwrap();
    assert!(again.duplicate && again.seq == retried.seq);
    let texts = texts(&bob, chat.id).await;
    assert_eq!(texts.values().collect::<Vec<_>>(), ["before the outage", "during the outage"]);
}
