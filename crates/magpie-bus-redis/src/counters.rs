//! [`RedisCounters`]: the rate limits' counts, shared by the nodes of one deployment, so that
//! a limit holds for the cluster: twenty wrong passwords spread over three nodes count as
//! twenty, not as seven on each.
//!
//! Each (limit, key) is one hash, `magpie:<prefix>:count:<limit>:<key>`, holding the same
//! sliding window as the in-process counters (`magpie_core::limiter`): the start of the current
//! fixed window and the counts of it and of the one before. One Lua script rolls the window
//! and counts in one step, so attempts racing on several nodes cannot all pass a limit, and the
//! hash expires two windows after its last count. While Redis cannot be reached, each node
//! counts in its own memory (a limit then holds per node) rather than refuse or wave through
//! every attempt.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use magpie_core::limiter::{MemoryCounters, WindowState, verdict};
use magpie_core::ports::{COUNTER_KEYS_MAX, Counters, Limit};
use redis::aio::ConnectionManager;

use crate::{COMMAND_TIMEOUT, Error};

/// Rolls the window of `KEYS[1]` to `now`, then does `op`: `check` (nothing), `hit` (counts if
/// under the limit), `record` (counts), `refund` (takes one back). Answers the window as it is
/// now and whether a hit was counted.
const SCRIPT: &str = r"
local now, window, op, max = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local saved = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start, cur, prev = tonumber(saved[1]) or now, tonumber(saved[2]) or 0, tonumber(saved[3]) or 0
local elapsed = now - start
if elapsed >= 2 * window then
  start, cur, prev = now, 0, 0
elseif elapsed >= window then
  start, prev, cur = start + window, cur, 0
end
local counted = 0
if op == 'hit' then
  local overlap = 1 - (now - start) / window
  if overlap < 0 then overlap = 0 elseif overlap > 1 then overlap = 1 end
  if prev * overlap + cur < max then
    cur = cur + 1
    counted = 1
  end
elseif op == 'record' then
  cur = cur + 1
elseif op == 'refund' then
  if cur > 0 then cur = cur - 1 elseif prev > 0 then prev = prev - 1 end
end
if op ~= 'check' then
  redis.call('HSET', KEYS[1], 's', start, 'c', cur, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], 2 * window)
end
return {start, cur, prev, counted}
";

/// The deployment's shared counters on Redis.
pub struct RedisCounters {
    connection: ConnectionManager,
    /// `magpie:<prefix>:count:`.
    base: String,
    script: redis::Script,
    /// Where this node counts while Redis is away.
    fallback: MemoryCounters,
    /// Whether the last call reached Redis (to log a change once, not every call).
    reachable: AtomicBool,
}

/// What the script answers.
type Answer = (i64, i64, i64, i64);

impl RedisCounters {
    /// Counters on the Redis at `url`, under the deployment's `prefix` (as the bus's).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisCounters, Error> {
        crate::check_prefix(prefix)?;
        let client = crate::client(url)?;
        let connection = crate::connection_manager(&client).await?;
        Ok(RedisCounters {
            connection,
            base: format!("magpie:{prefix}:count:"),
            script: redis::Script::new(SCRIPT),
            fallback: MemoryCounters::new(COUNTER_KEYS_MAX),
            reachable: AtomicBool::new(true),
        })
    }

    /// Runs the script; `None` if Redis could not be asked (the caller counts locally).
    async fn run(&self, limit: Limit, key: &str, now_ms: i64, op: &str) -> Option<Answer> {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!("{}{}:{key}", self.base, limit.name))
            .arg(now_ms)
            .arg(limit.window_ms.max(1))
            .arg(op)
            .arg(limit.events_max);
        let answer = tokio::time::timeout(COMMAND_TIMEOUT, invocation.invoke_async::<Answer>(&mut connection)).await;
        match answer {
            Ok(Ok(answer)) => {
                if !self.reachable.swap(true, Ordering::Relaxed) {
                    tracing::info!("the shared rate-limit counters are back on Redis");
                }
                Some(answer)
            }
            failed => {
                if self.reachable.swap(false, Ordering::Relaxed) {
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("no answer within {COMMAND_TIMEOUT:?}"),
                    };
                    tracing::warn!(%error, "cannot reach Redis for the rate limits; counting on this node meanwhile");
                }
                None
            }
        }
    }
}

fn state((start_ms, current, previous, _): Answer) -> WindowState {
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    WindowState { start_ms, current: count(current), previous: count(previous) }
}

#[async_trait]
impl Counters for RedisCounters {
    async fn check(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64> {
        match self.run(limit, key, now_ms, "check").await {
            Some(answer) => verdict(limit.events_max, limit.window_ms, state(answer), now_ms),
            None => self.fallback.check(limit, key, now_ms).await,
        }
    }

    async fn hit(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64> {
        match self.run(limit, key, now_ms, "hit").await {
            Some(answer) if answer.3 == 1 => Ok(()),
            Some(answer) => match verdict(limit.events_max, limit.window_ms, state(answer), now_ms) {
                // Refused by the script, so over the limit whatever the rounding: wait a second.
                Ok(()) => Err(1),
                refused => refused,
            },
            None => self.fallback.hit(limit, key, now_ms).await,
        }
    }

    async fn record(&self, limit: Limit, key: &str, now_ms: i64) {
        if self.run(limit, key, now_ms, "record").await.is_none() {
            self.fallback.record(limit, key, now_ms).await;
        }
    }

    async fn refund(&self, limit: Limit, key: &str, now_ms: i64) {
        if self.run(limit, key, now_ms, "refund").await.is_none() {
            self.fallback.refund(limit, key, now_ms).await;
        }
    }
}
