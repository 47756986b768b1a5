//! [`RedisPresence`]: the store conformance suite's presence checks (on SQLite's stores with
//! Redis's presence), and what only a cluster has: two nodes, a node that dies, a Redis that
//! restarts.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use magpie_bus_redis::{RedisPresence, RedisPresenceConfig};
use magpie_core::model::AccountId;
use magpie_core::names::AccountAddr;
use magpie_core::ports::{Bus, PresenceStore, Stores};
use magpie_core::presence::{PresenceInfo, Status};
use magpie_store_sqlite::SqliteStore;
use magpie_store_tests::StoreFactory;

use crate::support::{PrivateRedis, prefix, redis_url, until, within};

/// A TTL short enough for a test to wait out, with a heartbeat well inside it.
const SHORT_TTL: Duration = Duration::from_millis(1500);
const SHORT_HEARTBEAT: Duration = Duration::from_millis(300);

/// SQLite's stores (which the checks use to make accounts) with presence in Redis, under a
/// prefix of its own per place.
struct SqliteWithRedisPresence;

#[async_trait]
impl StoreFactory for SqliteWithRedisPresence {
    type Place = tempfile::TempDir;

    async fn place(&self) -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    async fn open(&self, dir: &tempfile::TempDir, bus: Arc<dyn Bus>) -> Stores {
        let mut stores = Stores::all(Arc::new(SqliteStore::open(&dir.path().join("magpie.db"), 1, bus).unwrap()));
        let config = RedisPresenceConfig::new(redis_url(), prefix());
        stores.presence = Arc::new(RedisPresence::connect(&config).await.unwrap());
        stores
    }
}

#[test]
fn conformance_presence_comes_with_the_first_connection_and_goes_with_the_last() {
    magpie_store_tests::run(
        magpie_store_tests::presence::presence_comes_with_the_first_connection_and_goes_with_the_last(
            &SqliteWithRedisPresence,
        ),
    );
}

#[test]
fn conformance_a_chosen_status_shows_while_connected() {
    magpie_store_tests::run(magpie_store_tests::presence::a_chosen_status_shows_while_connected(
        &SqliteWithRedisPresence,
    ));
}

async fn node(url: &str, prefix: &str) -> RedisPresence {
    RedisPresence::connect(&RedisPresenceConfig::new(url, prefix)).await.unwrap()
}

async fn short_lived_node(url: &str, prefix: &str) -> RedisPresence {
    let config = RedisPresenceConfig {
        node_ttl: SHORT_TTL,
        heartbeat_period: SHORT_HEARTBEAT,
        ..RedisPresenceConfig::new(url, prefix)
    };
    RedisPresence::connect(&config).await.unwrap()
}

fn addr(s: &str) -> AccountAddr {
    AccountAddr::parse(s).unwrap()
}

async fn status(node: &RedisPresence, account: AccountId) -> Option<Status> {
    node.get(account).await.unwrap().map(|p| p.status)
}

/// An account connected to two nodes comes online with its first connection, wherever it
/// is, and goes offline with its last; every node sees the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_on_two_nodes_is_online_from_its_first_connection_to_its_last() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
        let (alice, at) = (AccountId(1), addr("alice@acme.example"));

        let first = a.connected(alice, &at).await.unwrap().expect("the first connection anywhere is news");
        assert_eq!(first, PresenceInfo { account: at.clone(), status: Status::Online, text: None, last_seen_ms: None });
        assert_eq!(b.connected(alice, &at).await.unwrap(), None, "a second, on another node, is not");
        assert_eq!(a.connected(alice, &at).await.unwrap(), None, "nor a third");
        assert_eq!(b.get(alice).await.unwrap(), Some(first.clone()));

        // A status chosen through one node shows through the other.
        let busy = b.choose(alice, &at, Status::Busy, Some("出差".into())).await.unwrap();
        assert_eq!((busy.status, busy.text.as_deref()), (Status::Busy, Some("出差")));
        assert_eq!(a.get(alice).await.unwrap(), Some(busy.clone()));

        assert_eq!(a.disconnected(alice, 1_000).await.unwrap(), None, "two are still open");
        assert_eq!(a.disconnected(alice, 2_000).await.unwrap(), None, "one is still open, on the other node");
        assert_eq!(status(&a, alice).await, Some(Status::Busy));
        // A node closing what it never opened changes nothing for the other's connection.
        assert_eq!(a.disconnected(alice, 2_500).await.unwrap(), None);
        let gone = b.disconnected(alice, 3_000).await.unwrap().expect("the last connection anywhere is news");
        assert_eq!(
            gone,
            PresenceInfo {
                account: at.clone(),
                status: Status::Offline,
                text: Some("出差".into()),
                last_seen_ms: Some(3_000)
            }
        );
        assert_eq!(a.get(alice).await.unwrap(), Some(gone));

        let back = b.connected(alice, &at).await.unwrap().expect("online again with one");
        assert_eq!((back.status, back.last_seen_ms), (Status::Busy, None), "the chosen status stays");
    })
    .await;
}

/// Two nodes racing to open an account's first connections (or close its last ones) agree:
/// exactly one of them says it came online (went offline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_nodes_see_one_first_and_one_last_connection() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let nodes = Arc::new([node(&url, &prefix).await, node(&url, &prefix).await]);
        let accounts = 50;
        let per_node = 3;
        let mut tasks = Vec::new();
        for i in 0..2 {
            let nodes = nodes.clone();
            tasks.push(tokio::spawn(async move {
                let mut news = 0;
                for account in 0..accounts {
                    let at = addr(&format!("user{account}@acme.example"));
                    for _ in 0..per_node {
                        news += usize::from(nodes[i].connected(AccountId(account), &at).await.unwrap().is_some());
                    }
                }
                news
            }));
        }
        let mut online = 0;
        for task in tasks.drain(..) {
            online += task.await.unwrap();
        }
        assert_eq!(online, accounts as usize, "one came-online per account");
        for i in 0..2 {
            let nodes = nodes.clone();
            tasks.push(tokio::spawn(async move {
                let mut news = 0;
                for account in 0..accounts {
                    for _ in 0..per_node {
                        news += usize::from(nodes[i].disconnected(AccountId(account), 5).await.unwrap().is_some());
                    }
                }
                news
            }));
        }
        let mut offline = 0;
        for task in tasks {
            offline += task.await.unwrap();
        }
        assert_eq!(offline, accounts as usize, "one went-offline per account");
        for account in 0..accounts {
            assert_eq!(status(&nodes[0], AccountId(account)).await, Some(Status::Offline));
        }
    })
    .await;
}

/// A node that stops heartbeating (here: dropped, as a dead node stops) has its connections
/// forgotten once its TTL runs out; other nodes' connections stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_nodes_connections_are_forgotten_after_its_ttl() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let dying = short_lived_node(&url, &prefix).await;
        let living = short_lived_node(&url, &prefix).await;
        let (alice, at) = (AccountId(1), addr("alice@acme.example"));
        let (bob, bt) = (AccountId(2), addr("bob@acme.example"));
        assert!(dying.connected(alice, &at).await.unwrap().is_some());
        assert!(dying.connected(bob, &bt).await.unwrap().is_some());
        assert!(living.connected(bob, &bt).await.unwrap().is_none());

        // Heartbeats keep the counts past their TTL while the node lives. Waiting out the TTL
        // is what this checks (that nothing happens), not a way to wait for something.
        tokio::time::sleep(SHORT_TTL * 2).await;
        assert_eq!(status(&living, alice).await, Some(Status::Online), "a live node's connections stay");

        drop(dying);
        until("the silent node's connections to expire", || async {
            status(&living, alice).await == Some(Status::Offline)
        })
        .await;
        assert_eq!(status(&living, bob).await, Some(Status::Online), "bob is still connected to a live node");
        let gone = living.disconnected(bob, 9_000).await.unwrap().expect("bob's last live connection");
        assert_eq!((gone.status, gone.last_seen_ms), (Status::Offline, Some(9_000)));
    })
    .await;
}

/// Redis restarts empty: each node writes its counts back at its next heartbeat, so its
/// accounts are online again without reconnecting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_writes_its_connections_back_after_redis_restarts() {
    within(async {
        let mut redis = PrivateRedis::start().await;
        let prefix = prefix();
        let a = short_lived_node(&redis.url(), &prefix).await;
        let b = short_lived_node(&redis.url(), &prefix).await;
        let (alice, at) = (AccountId(1), addr("alice@acme.example"));
        assert!(a.connected(alice, &at).await.unwrap().is_some());
        assert!(a.connected(alice, &at).await.unwrap().is_none());
        assert!(b.connected(alice, &at).await.unwrap().is_none());

        redis.kill();
        assert!(a.get(alice).await.is_err(), "no Redis, no presence");
        redis.restart().await;
        until("the nodes to write their counts back", || async {
            matches!(b.get(alice).await, Ok(Some(PresenceInfo { status: Status::Online, .. })))
        })
        .await;
        // The counts are whole again: two on one node, one on the other.
        assert_eq!(a.disconnected(alice, 1).await.unwrap(), None);
        assert_eq!(b.disconnected(alice, 2).await.unwrap(), None);
        let gone = a.disconnected(alice, 3).await.unwrap().expect("the last connection");
        assert_eq!((gone.account, gone.status, gone.last_seen_ms), (at, Status::Offline, Some(3)));
    })
    .await;
}

/// Construction refuses a heartbeat that would not come before the TTL ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_refuses_a_heartbeat_slower_than_the_ttl() {
    within(async {
        let config = RedisPresenceConfig {
            node_ttl: Duration::from_secs(1),
            heartbeat_period: Duration::from_secs(1),
            ..RedisPresenceConfig::new(redis_url(), prefix())
        };
        assert!(matches!(RedisPresence::connect(&config).await, Err(magpie_bus_redis::Error::Setting(_))));
    })
    .await;
}
