//! [`RedisBus`]: two buses on one Redis are two nodes of one deployment.

use std::sync::Arc;
use std::time::Duration;

use magpie_bus_redis::{RedisBus, RedisBusConfig};
use magpie_core::chat::{AccountEvent, Committed, LoggedEvent};
use magpie_core::marks::MemberMarks;
use magpie_core::model::{Account, AccountId, ConversationId, DomainId, EventSeq, LogCursor, ProfileFields, Role, Seq};
use magpie_core::names::AccountAddr;
use magpie_core::ports::{Bus, BusReceiver, Received, Wake};
use magpie_core::presence::{PresenceInfo, Signal, Status};

use crate::support::{PrivateRedis, WAIT_MAX, prefix, redis_url, until, within};

/// How long a test waits for one marker wake while it publishes again and again after a
/// restart (the first `PUBLISH`es on a broken connection are lost, as the bus allows).
const MARKER_WAIT: Duration = Duration::from_millis(500);

async fn node(url: &str, prefix: &str) -> RedisBus {
    RedisBus::connect(&RedisBusConfig::new(url, prefix)).await.unwrap()
}

fn addr(s: &str) -> AccountAddr {
    AccountAddr::parse(s).unwrap()
}

/// A wake that says which it is: a typing signal for account `n` in conversation `n`.
fn marker(n: i64) -> Wake {
    Wake::Signal {
        accounts: Arc::from([AccountId(n)]),
        signal: Signal::Typing { conversation: ConversationId(n), account: addr("marker@acme.example") },
    }
}

/// Which marker a wake is.
fn marker_of(wake: &Wake) -> Option<i64> {
    match wake {
        Wake::Signal { signal: Signal::Typing { conversation, .. }, .. } => Some(conversation.0),
        _ => None,
    }
}

/// The next thing `receiver` gets, within [`WAIT_MAX`].
async fn next(receiver: &mut BusReceiver) -> Received {
    tokio::time::timeout(WAIT_MAX, receiver.recv()).await.expect("nothing reached the subscriber in time")
}

async fn next_wake(receiver: &mut BusReceiver) -> Arc<Wake> {
    match next(receiver).await {
        Received::Wake(wake) => wake,
        other => panic!("expected a wake, got {other:?}"),
    }
}

async fn expect_marker(receiver: &mut BusReceiver, n: i64) {
    let wake = next_wake(receiver).await;
    assert_eq!(marker_of(&wake), Some(n), "expected marker {n}, got {wake:?}");
}

/// A wake published on one node reaches every subscriber of every node once: the publisher's
/// own subscribers directly, the others through Redis, and the publisher skips its own echo.
///
/// Redis delivers a channel's messages in the order it took the `PUBLISH`es, and each node
/// publishes its marker only after it received the previous one, so an echo that a node did
/// not skip would arrive before the next marker and break the sequence each subscriber sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_reaches_each_subscriber_of_each_node_once() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
        assert_ne!(a.node(), b.node());
        let (mut a1, mut a2, mut b1) = (a.subscribe(), a.subscribe(), b.subscribe());

        a.publish(marker(1));
        expect_marker(&mut b1, 1).await;
        b.publish(marker(2));
        expect_marker(&mut a1, 1).await;
        expect_marker(&mut a1, 2).await;
        a.publish(marker(3));
        expect_marker(&mut b1, 2).await;
        expect_marker(&mut b1, 3).await;
        b.publish(marker(4));
        expect_marker(&mut a1, 3).await;
        expect_marker(&mut a1, 4).await;
        for n in 1..=4 {
            expect_marker(&mut a2, n).await;
        }
        expect_marker(&mut b1, 4).await;

        // Another deployment on the same Redis hears none of it.
        let other = node(&url, &crate::support::prefix()).await;
        let mut o1 = other.subscribe();
        a.publish(marker(5));
        other.publish(marker(6));
        expect_marker(&mut o1, 6).await;
        expect_marker(&mut b1, 5).await;
        assert!(a.healthy() && b.healthy() && other.healthy());
        assert_eq!(a.stats().messages_refused + b.stats().messages_refused, 0);
    })
    .await;
}

/// Signals and profiles reach other nodes whole: every field of every kind of signal, every
/// field of the account but its password hash, which stays home.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_and_profiles_cross_whole() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
        let mut b1 = b.subscribe();

        let signals = [
            Signal::Typing { conversation: ConversationId(42), account: addr("li.si@acme.example") },
            Signal::Presence(PresenceInfo {
                account: addr("wang-wu@acme.example"),
                status: Status::Busy,
                text: Some("在开会 🗓".into()),
                last_seen_ms: Some(1_700_000_000_001),
            }),
            Signal::Presence(PresenceInfo {
                account: addr("wang-wu@acme.example"),
                status: Status::Offline,
                text: None,
                last_seen_ms: None,
            }),
            Signal::Presence(PresenceInfo {
                account: addr("zhao@acme.example"),
                status: Status::Away,
                text: Some(String::new()),
                last_seen_ms: Some(-1),
            }),
            Signal::Marks {
                conversation: ConversationId(i64::MAX),
                members: vec![
                    MemberMarks { account: addr("a@acme.example"), read_seq: Seq(7), delivered_seq: Seq(9) },
                    MemberMarks { account: addr("b@acme.example"), read_seq: Seq(0), delivered_seq: Seq(i64::MAX) },
                ],
            },
            Signal::Marks { conversation: ConversationId(1), members: vec![] },
        ];
        let audience: Arc<[AccountId]> = Arc::from([AccountId(1), AccountId(-3), AccountId(i64::MAX)]);
        for signal in &signals {
            a.publish(Wake::Signal { accounts: audience.clone(), signal: signal.clone() });
        }
        for signal in &signals {
            match &*next_wake(&mut b1).await {
                Wake::Signal { accounts, signal: got } => {
                    assert_eq!(accounts, &audience);
                    assert_eq!(got, signal);
                }
                other => panic!("expected a signal, got {other:?}"),
            }
        }

        let full = Account {
            id: AccountId(77),
            domain_id: DomainId(5),
            addr: addr("zhang.san@dept.acme.example"),
            role: Role::ServerAdmin,
            disabled: true,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into()),
            profile: ProfileFields {
                display_name: "张三 (Zhang San)".into(),
                avatar: Some("f_0123456789".into()),
                signature: Some("“签名” with quotes \" and \\".into()),
                email: Some("zs@acme.example".into()),
                phone: Some("+86 10 8888 8888".into()),
            },
            created_at_ms: 1_600_000_000_000,
            bot: false,
        };
        let bare = Account {
            id: AccountId(78),
            domain_id: DomainId(5),
            addr: addr("bot@acme.example"),
            role: Role::Member,
            disabled: false,
            password_hash: None,
            profile: ProfileFields::default(),
            created_at_ms: 0,
            bot: true,
        };
        let domain_admin = Account { role: Role::DomainAdmin, ..bare.clone() };
        for account in [&full, &bare, &domain_admin] {
            a.publish(Wake::Profile(Arc::new(account.clone())));
        }
        for account in [&full, &bare, &domain_admin] {
            match &*next_wake(&mut b1).await {
                Wake::Profile(got) => assert_eq!(**got, Account { password_hash: None, ..account.clone() }),
                other => panic!("expected a profile, got {other:?}"),
            }
        }
    })
    .await;
}

/// A log wake reaches other nodes as its `to` cursor alone (no items, no `from`: they read
/// the store), and this node's subscribers as it was published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_wakes_cross_without_their_items() {
    within(async {
        let (url, prefix) = (redis_url(), prefix());
        let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
        let (mut a1, mut b1) = (a.subscribe(), b.subscribe());
        let item = Committed::Event(Arc::new(LoggedEvent {
            account: AccountId(3),
            seq: EventSeq(12),
            at_ms: 1_700_000_000_000,
            event: AccountEvent::ConversationJoined { conversation: ConversationId(8) },
        }));
        // Past what a u64 or a JSON number holds exactly.
        let cursors = [LogCursor((1 << 100) + 5), LogCursor(u128::MAX), LogCursor(1)];
        for to in cursors {
            a.publish(Wake::Log { from: Some(LogCursor(4)), to, items: Arc::from([item.clone()]) });
        }
        for to in cursors {
            match &*next_wake(&mut b1).await {
                Wake::Log { from, to: got, items } => assert_eq!((*from, *got, items.len()), (None, to, 0)),
                other => panic!("expected a log wake, got {other:?}"),
            }
            match &*next_wake(&mut a1).await {
                Wake::Log { from, to: got, items } => {
                    assert_eq!((*from, *got, items.len()), (Some(LogCursor(4)), to, 1))
                }
                other => panic!("expected a log wake, got {other:?}"),
            }
        }
    })
    .await;
}

/// Redis dies and comes back. Meanwhile publishing neither blocks nor fails and this node's
/// subscribers still get its wakes; once back, every subscriber is told it may have missed
/// wakes (`Received::Missed`, so that it reads the store) and wakes cross nodes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_rides_out_a_redis_restart() {
    within(async {
        let mut redis = PrivateRedis::start().await;
        let prefix = prefix();
        // A short queue, so that the outage shows in the count of dropped wakes.
        let config = RedisBusConfig { publish_queue_len_max: 4, ..RedisBusConfig::new(redis.url(), &prefix) };
        let a = Arc::new(RedisBus::connect(&config).await.unwrap());
        let b = RedisBus::connect(&config).await.unwrap();
        let (mut a1, mut b1) = (a.subscribe(), b.subscribe());
        a.publish(marker(1));
        expect_marker(&mut a1, 1).await;
        expect_marker(&mut b1, 1).await;

        redis.kill();
        until("both nodes to notice", || async { !a.healthy() && !b.healthy() }).await;
        let outage_wakes = 100;
        let publisher = a.clone();
        let publishing = tokio::task::spawn_blocking(move || {
            for n in 0..outage_wakes {
                publisher.publish(marker(100 + n));
            }
        });
        tokio::time::timeout(WAIT_MAX, publishing).await.expect("publish blocked while Redis was down").unwrap();
        for n in 0..outage_wakes {
            expect_marker(&mut a1, 100 + n).await;
        }
        assert!(a.stats().wakes_dropped > 0, "a full queue drops wakes: {:?}", a.stats());

        redis.restart().await;
        for (name, subscriber) in [("a", &mut a1), ("b", &mut b1)] {
            // Wakes queued during the outage may cross first; the news comes after them.
            loop {
                match next(subscriber).await {
                    Received::Missed => break,
                    Received::Wake(_) => continue,
                    Received::Closed => panic!("{name}'s bus closed"),
                }
            }
        }
        until("both nodes to be healthy again", || async {
            // A node finds out it can publish by publishing (or by its probe).
            a.publish(marker(0));
            b.publish(marker(0));
            a.healthy() && b.healthy()
        })
        .await;
        assert!(a.stats().resubscriptions >= 1 && b.stats().resubscriptions >= 1);

        // Wakes cross again: publish markers until one arrives, then the next arrives too.
        let mut n = 1000;
        let arrived = loop {
            a.publish(marker(n));
            let seen = tokio::time::timeout(MARKER_WAIT, async {
                loop {
                    if let Received::Wake(wake) = b1.recv().await
                        && marker_of(&wake) == Some(n)
                    {
                        return;
                    }
                }
            })
            .await;
            if seen.is_ok() {
                break n;
            }
            assert!(n < 1000 + 60, "no wake crossed nodes after the restart");
            n += 1;
        };
        b.publish(marker(arrived + 1));
        loop {
            let wake = next_wake(&mut a1).await;
            if marker_of(&wake) == Some(arrived + 1) {
                break;
            }
        }
    })
    .await;
}

/// A bus that is dropped closes its subscribers' ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_bus_closes_its_subscribers() {
    within(async {
        let bus = node(&redis_url(), &prefix()).await;
        let mut subscriber = bus.subscribe();
        bus.publish(marker(1));
        drop(bus);
        expect_marker(&mut subscriber, 1).await;
        assert!(matches!(next(&mut subscriber).await, Received::Closed));
    })
    .await;
}

/// Construction refuses a bad prefix and a Redis that is not there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_refuses_what_cannot_work() {
    within(async {
        let bad = RedisBus::connect(&RedisBusConfig::new(redis_url(), "has space")).await;
        assert!(matches!(bad, Err(magpie_bus_redis::Error::Prefix(_))));
        let mut redis = PrivateRedis::start().await;
        let url = redis.url();
        redis.kill();
        let down = RedisBus::connect(&RedisBusConfig::new(url, prefix())).await;
        assert!(down.is_err(), "connected to a Redis that is down");
    })
    .await;
}
