//! `RedisCounters` counts as the in-process counters do, and two nodes count together.

use magpie_bus_redis::RedisCounters;
use magpie_core::limiter::MemoryCounters;
use magpie_core::ports::{Counters, Limit};

use crate::support::{prefix, redis_url};

const LIMIT: Limit = Limit { name: "test_failures", events_max: 3, window_ms: 10_000 };

/// One step of a scripted sequence, and what each adapter answered.
#[derive(Debug, Clone, Copy)]
enum Step {
    Check,
    Hit,
    Record,
    Refund,
}

#[tokio::test]
async fn shared_counters_answer_as_the_in_process_ones_step_by_step() {
    let redis = RedisCounters::connect(&redis_url(), &prefix()).await.unwrap();
    let memory = MemoryCounters::new(100);
    // Hits up to the limit and past it, a refund, rolling into the next window (half the old
    // counts still weigh) and past two windows (all forgotten), on two keys.
    let script: &[(Step, &str, i64)] = &[
        (Step::Check, "a", 0),
        (Step::Hit, "a", 1),
        (Step::Hit, "a", 2),
        (Step::Hit, "a", 3),
        (Step::Hit, "a", 4),
        (Step::Check, "a", 5),
        (Step::Check, "b", 5),
        (Step::Refund, "a", 6),
        (Step::Hit, "a", 7),
        (Step::Hit, "a", 8),
        (Step::Record, "b", 9),
        (Step::Check, "a", 12_000),
        (Step::Hit, "a", 15_000),
        (Step::Hit, "a", 15_001),
        (Step::Check, "a", 19_999),
        (Step::Check, "a", 40_000),
        (Step::Hit, "b", 40_000),
    ];
    for &(step, key, now) in script {
        let (from_redis, from_memory) = match step {
            Step::Check => (redis.check(LIMIT, key, now).await, memory.check(LIMIT, key, now).await),
            Step::Hit => (redis.hit(LIMIT, key, now).await, memory.hit(LIMIT, key, now).await),
            Step::Record => {
                redis.record(LIMIT, key, now).await;
                memory.record(LIMIT, key, now).await;
                (Ok(()), Ok(()))
            }
            Step::Refund => {
                redis.refund(LIMIT, key, now).await;
                memory.refund(LIMIT, key, now).await;
                (Ok(()), Ok(()))
            }
        };
        assert_eq!(from_redis, from_memory, "{step:?} {key} at {now}");
    }
}

#[tokio::test]
async fn two_nodes_count_together() {
    let prefix = prefix();
    let (one, two) = (
        RedisCounters::connect(&redis_url(), &prefix).await.unwrap(),
        RedisCounters::connect(&redis_url(), &prefix).await.unwrap(),
    );
    assert!(one.hit(LIMIT, "k", 0).await.is_ok());
    assert!(two.hit(LIMIT, "k", 1).await.is_ok());
    assert!(one.hit(LIMIT, "k", 2).await.is_ok());
    assert!(two.hit(LIMIT, "k", 3).await.is_err(), "the fourth hit, on either node, is over the limit of three");
    assert!(one.check(LIMIT, "k", 4).await.is_err());
    // Another deployment's counters are its own.
    let other = RedisCounters::connect(&redis_url(), &crate::support::prefix()).await.unwrap();
    assert!(other.check(LIMIT, "k", 4).await.is_ok());
}
