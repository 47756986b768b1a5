//! Magpie's cluster adapters on Redis: [`RedisBus`], the [`Bus`](magpie_core::ports::Bus) over
//! pub/sub; [`RedisPresence`], the [`PresenceStore`](magpie_core::ports::PresenceStore) that the
//! nodes of one deployment share; and [`RedisCounters`], the rate limits' shared
//! [`Counters`](magpie_core::ports::Counters).
//!
//! In cluster mode N nodes share one PostgreSQL and one Redis. The store is the truth; Redis
//! carries only what may be lost: wake-ups (a follower that misses one reads the store's tail)
//! and presence (who is connected, which nobody stores). So neither adapter ever holds a
//! caller up for Redis: the bus publishes from a background task and keeps delivering to this
//! node's own subscribers while Redis is away, and presence answers with a typed error that
//! the core treats as best-effort.
//!
//! Everything one deployment keeps in Redis is named under `magpie:<prefix>:`, the prefix
//! given at construction, so that deployments (and tests) share a Redis without meeting:
//! `magpie:<prefix>:wakes` is the bus's channel, `magpie:<prefix>:presence:…` presence's keys.
//! The adapters talk to the one Redis server the URL names, not to Redis Cluster: presence's
//! scripts reach keys they compute, which a cluster's slots forbid.
//!
//! # The client crate
//!
//! The adapters use the `redis` crate (redis-rs 1.x; features `tokio-comp`,
//! `connection-manager` and `script`, default features off) rather than `fred`. It is the most
//! widely used Redis client in Rust, on a stable 1.x API, and brings eleven small crates into
//! the workspace on top of tokio. It gives exactly the three pieces these adapters need: a
//! dedicated RESP2 pub/sub connection that we drive ourselves (so that we see it drop,
//! reconnect it with our own backoff, and tell subscribers to read the store once it is back,
//! all in a few lines this crate owns and tests), a `ConnectionManager` that multiplexes
//! commands and reconnects by itself for publishing and presence, and `Script`, which runs Lua
//! by `EVALSHA` and loads it again when a restarted Redis has forgotten it. `fred` would serve
//! too (it has reconnect policies and a reconnect event to resync on), but does much more that
//! we do not use (pools, cluster and sentinel routing, client-side caching, its own
//! resubscription) behind a larger API and dependency tree.

mod bus;
mod counters;
mod presence;
mod wire;

use std::time::Duration;

pub use bus::{
    PUBLISH_QUEUE_LEN_MAX, RECONNECT_DELAY_MAX, RECONNECT_DELAY_MIN, RedisBus, RedisBusConfig, RedisBusStats,
    WAKE_BYTES_MAX, WAKES_MAX_DEFAULT,
};
pub use counters::RedisCounters;
pub use presence::{HEARTBEAT_PERIOD_DEFAULT, NODE_TTL_DEFAULT, RedisPresence, RedisPresenceConfig};

/// Longest deployment prefix, in bytes.
pub const PREFIX_BYTES_MAX: usize = 64;
/// How long connecting to Redis may take before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one command (a `PUBLISH`, a presence script) may wait for Redis's answer.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Why an adapter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Redis URL does not parse.
    #[error("invalid Redis URL: {0}")]
    Url(#[source] redis::RedisError),
    /// The prefix is empty, too long, or has characters other than `A-Z a-z 0-9 _ - .`.
    #[error("invalid prefix {0:?}: 1 to 64 of A-Z, a-z, 0-9, '_', '-' and '.'")]
    Prefix(String),
    /// A setting is out of its range; the message says which and why.
    #[error("invalid setting: {0}")]
    Setting(&'static str),
    /// Redis could not be reached or refused what was asked.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer in time.
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
}

/// Checks a deployment prefix: it goes into channel and key names, so it is kept to characters
/// that need no quoting anywhere (`redis-cli`, logs, `SCAN` patterns).
fn check_prefix(prefix: &str) -> Result<(), Error> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if prefix.is_empty() || prefix.len() > PREFIX_BYTES_MAX || !prefix.bytes().all(allowed) {
        return Err(Error::Prefix(prefix.to_owned()));
    }
    Ok(())
}

/// A client for `url` (which connects nothing yet).
fn client(url: &str) -> Result<redis::Client, Error> {
    redis::Client::open(url).map_err(Error::Url)
}

/// A self-reconnecting, multiplexed connection for commands, connected before it is returned
/// (so that a wrong URL or a Redis that is down fails at start-up, not at the first use).
async fn connection_manager(client: &redis::Client) -> Result<redis::aio::ConnectionManager, Error> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(COMMAND_TIMEOUT))
        .set_number_of_retries(MANAGER_RETRIES)
        .set_min_delay(RECONNECT_DELAY_MIN)
        .set_max_delay(RECONNECT_DELAY_MAX);
    let connect = client.get_connection_manager_with_config(config);
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, connect).await {
        Ok(manager) => Ok(manager?),
        Err(_) => Err(Error::Timeout(CONNECT_TIMEOUT * 2)),
    }
}

/// Attempts the connection manager makes to reconnect before it fails the commands waiting on
/// it (the next command starts again): few, so that a command during an outage fails quickly
/// instead of waiting out a long backoff.
const MANAGER_RETRIES: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_plain_names() {
        for good in ["prod", "acme-eu.1", "t_0123456789abcdef", &"x".repeat(PREFIX_BYTES_MAX)] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a:b", "a*", "日本", &"x".repeat(PREFIX_BYTES_MAX + 1)] {
            assert!(matches!(check_prefix(bad), Err(Error::Prefix(_))), "{bad}");
        }
    }
}
