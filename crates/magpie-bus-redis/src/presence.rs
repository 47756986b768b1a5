//! [`RedisPresence`]: who is connected, shared by the nodes of a cluster.
//!
//! Under `magpie:<prefix>:presence:` it keeps, in Redis:
//!
//! - `node:<node>`, a hash per node: account id → that node's open connections of the account.
//!   The key expires [`RedisPresenceConfig::node_ttl`] after its last write unless the node's
//!   heartbeat refreshes it, so a node that dies takes its connections with it.
//! - `account:<id>:nodes`, a set per account: the nodes that may hold connections of it (a
//!   node whose count is gone is taken out when next seen).
//! - `account:<id>`, a hash per account: its address, the status it chose, its status text and
//!   when it was last seen. Kept, like [`MemoryPresence`](magpie_core::presence::MemoryPresence)
//!   keeps it, for as long as the deployment's Redis runs: bounded by the deployment's accounts.
//!
//! An account is online while the live nodes' counts of it add up to more than nothing. Each
//! method is one Lua script, so it reads and changes all of that atomically: two nodes racing
//! to connect an account's first two connections see one "came online" between them, and two
//! racing to close its last two see one "went offline".
//!
//! Each node also keeps its own counts in memory: its connections are real whatever Redis
//! knows. When Redis lost them (it restarted, or the node was cut off past the TTL and its key
//! expired) or when a script failed half-seen (the node cannot tell whether it ran), the next
//! heartbeat writes the node's counts again from memory. Nobody is told of the changes this
//! makes, nor of the accounts a dead node takes offline: presence is best-effort, and the next
//! change or query corrects what others see. An account whose node died shows as offline with
//! the last-seen time it had before, since no node saw it leave.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use magpie_core::StoreError;
use magpie_core::model::AccountId;
use magpie_core::names::AccountAddr;
use magpie_core::ports::PresenceStore;
use magpie_core::presence::{PresenceInfo, Status};
use redis::aio::ConnectionManager;
use tokio::task::JoinHandle;

use crate::{COMMAND_TIMEOUT, Error};

/// How long a node's connection counts outlive its last heartbeat, unless the config says
/// otherwise: how long a dead node's accounts may still show as online.
pub const NODE_TTL_DEFAULT: Duration = Duration::from_secs(30);
/// How often a node refreshes its counts, unless the config says otherwise: a third of the
/// TTL, so that two missed heartbeats in a row (a slow Redis, a pause) cost nothing.
pub const HEARTBEAT_PERIOD_DEFAULT: Duration = Duration::from_secs(10);
/// Accounts one script writes back when a node restores its counts: bounds how long that
/// script holds Redis (which runs nothing else meanwhile).
const RESTORE_BATCH_LEN_MAX: usize = 1000;

/// Shared by the scripts that read an account's presence. `KEYS[1]` is the account's set of
/// nodes, `KEYS[2]` its state; `ARGV[1]` the prefix of node keys, `ARGV[2]` the account id.
const PRELUDE: &str = r#"
local nodes_key, state_key = KEYS[1], KEYS[2]
local node_prefix, account = ARGV[1], ARGV[2]

-- The account's connections on live nodes. A node that holds none any more (it closed them,
-- or it died and its key expired) leaves the account's set.
local function connections()
  local total = 0
  for _, node in ipairs(redis.call('SMEMBERS', nodes_key)) do
    local n = tonumber(redis.call('HGET', node_prefix .. node, account) or '0') or 0
    if n > 0 then total = total + n else redis.call('SREM', nodes_key, node) end
  end
  return total
end

-- {news, online, addr, status, text, last seen}; a missing field is false (nil in the reply).
local function info(news, online)
  local s = redis.call('HMGET', state_key, 'addr', 'status', 'text', 'seen')
  return {news, online, s[1], s[2], s[3], s[4]}
end
"#;

/// A connection opened. `KEYS[3]` is this node's key; `ARGV[3]` this node, `ARGV[4]` the
/// account's address, `ARGV[5]` the TTL in ms. Adds this node's key's prior existence as a
/// seventh element.
const CONNECTED: &str = r#"
local before = connections()
local existed = redis.call('EXISTS', KEYS[3])
redis.call('HINCRBY', KEYS[3], account, 1)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('SADD', nodes_key, ARGV[3])
redis.call('HSETNX', state_key, 'addr', ARGV[4])
redis.call('HSETNX', state_key, 'status', 'online')
local result = info(before == 0 and 1 or 0, 1)
result[7] = existed
return result
"#;

/// A connection closed. `KEYS[3]` is this node's key; `ARGV[3]` the time in ms, `ARGV[4]` the
/// TTL in ms. An account never seen stays unseen; a count never goes below nothing.
const DISCONNECTED: &str = r#"
if redis.call('EXISTS', state_key) == 0 then return info(0, 0) end
local n = tonumber(redis.call('HGET', KEYS[3], account) or '0') or 0
if n > 1 then
  redis.call('HINCRBY', KEYS[3], account, -1)
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
elseif n == 1 then
  redis.call('HDEL', KEYS[3], account)
end
if connections() > 0 then return info(0, 1) end
redis.call('HSET', state_key, 'seen', ARGV[3])
return info(1, 0)
"#;

/// A status chosen. `ARGV[3]` the address, `ARGV[4]` the status, `ARGV[5]` whether a text
/// was given (`1`) and `ARGV[6]` the text (empty clears it).
const CHOOSE: &str = r#"
redis.call('HSETNX', state_key, 'addr', ARGV[3])
redis.call('HSET', state_key, 'status', ARGV[4])
if ARGV[5] == '1' then
  if ARGV[6] == '' then redis.call('HDEL', state_key, 'text') else redis.call('HSET', state_key, 'text', ARGV[6]) end
end
return info(0, connections() > 0 and 1 or 0)
"#;

/// An account's presence, if it was ever seen.
const GET: &str = r#"
if redis.call('EXISTS', state_key) == 0 then return info(0, 0) end
return info(0, connections() > 0 and 1 or 0)
"#;

/// Writes a node's counts back from its memory. `KEYS[1]` is the node's key; `ARGV[1]` the
/// deployment's presence prefix, `ARGV[2]` the node, `ARGV[3]` the TTL in ms, `ARGV[4]` `1` to
/// start from nothing (the first batch), then (account, count, address) triples.
const RESTORE: &str = r#"
if ARGV[4] == '1' then redis.call('DEL', KEYS[1]) end
for i = 5, #ARGV, 3 do
  local account, count, addr = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local state_key = ARGV[1] .. 'account:' .. account
  redis.call('HSET', KEYS[1], account, count)
  redis.call('SADD', state_key .. ':nodes', ARGV[2])
  redis.call('HSETNX', state_key, 'addr', addr)
  redis.call('HSETNX', state_key, 'status', 'online')
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"#;

/// How one node's [`RedisPresence`] reaches Redis.
#[derive(Debug, Clone)]
pub struct RedisPresenceConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The deployment's name in Redis, as for the bus: keys are `magpie:<prefix>:presence:…`.
    pub prefix: String,
    /// How long this node's counts outlive its last heartbeat.
    pub node_ttl: Duration,
    /// How often this node refreshes its counts; less than `node_ttl`.
    pub heartbeat_period: Duration,
}

impl RedisPresenceConfig {
    /// The config for `url` and `prefix` with the default TTL and heartbeat.
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> RedisPresenceConfig {
        RedisPresenceConfig {
            url: url.into(),
            prefix: prefix.into(),
            node_ttl: NODE_TTL_DEFAULT,
            heartbeat_period: HEARTBEAT_PERIOD_DEFAULT,
        }
    }
}

/// The [`PresenceStore`] of one node of a cluster; see the module's documentation. Dropping it
/// stops its heartbeat: its counts expire a TTL later, as if the node had died.
pub struct RedisPresence {
    inner: Arc<Inner>,
    heartbeat: JoinHandle<()>,
}

/// One of this node's accounts, as it counts it.
#[derive(Debug)]
struct Local {
    connections: u64,
    addr: AccountAddr,
}

struct Inner {
    connection: ConnectionManager,
    node: String,
    /// `magpie:<prefix>:presence:`.
    base: String,
    /// This node's key: `<base>node:<node>`.
    node_key: String,
    ttl_ms: u64,
    /// This node's connections, by account: the truth its heartbeat restores Redis from.
    local: Mutex<HashMap<AccountId, Local>>,
    /// Redis may not hold what `local` says: the next heartbeat writes it all again.
    dirty: AtomicBool,
    /// Held shared by the scripts that change this node's counts and exclusively by a
    /// restore, so that a restore writes counts no script is changing at the same time.
    counts: tokio::sync::RwLock<()>,
    connected: redis::Script,
    disconnected: redis::Script,
    choose: redis::Script,
    get: redis::Script,
    restore: redis::Script,
}

/// What the presence scripts answer: came online or went offline, online now, and the
/// account's state (no address: never seen).
type Answer = (i64, i64, Option<String>, Option<String>, Option<String>, Option<String>);

impl RedisPresence {
    /// Connects to Redis and starts this node's heartbeat. Fails if Redis cannot be reached
    /// now, or if the heartbeat would not come before the TTL ends. Must be called within a
    /// tokio runtime, which runs the heartbeat.
    pub async fn connect(config: &RedisPresenceConfig) -> Result<RedisPresence, Error> {
        crate::check_prefix(&config.prefix)?;
        if config.heartbeat_period.is_zero() || config.heartbeat_period >= config.node_ttl {
            return Err(Error::Setting("heartbeat_period must be more than nothing and less than node_ttl"));
        }
        if config.node_ttl < Duration::from_millis(1) {
            return Err(Error::Setting("node_ttl must be at least a millisecond (Redis's unit)"));
        }
        let ttl_ms = u64::try_from(config.node_ttl.as_millis()).unwrap_or(u64::MAX);
        let client = crate::client(&config.url)?;
        let connection = crate::connection_manager(&client).await?;
        let node = format!("{:032x}", rand::random::<u128>());
        let base = format!("magpie:{}:presence:", config.prefix);
        let script = |body: &str| redis::Script::new(&format!("{PRELUDE}{body}"));
        let inner = Arc::new(Inner {
            connection,
            node_key: format!("{base}node:{node}"),
            node,
            base,
            ttl_ms,
            local: Mutex::new(HashMap::new()),
            dirty: AtomicBool::new(false),
            counts: tokio::sync::RwLock::new(()),
            connected: script(CONNECTED),
            disconnected: script(DISCONNECTED),
            choose: script(CHOOSE),
            get: script(GET),
            restore: redis::Script::new(RESTORE),
        });
        let heartbeat = tokio::spawn(heartbeat(inner.clone(), config.heartbeat_period));
        Ok(RedisPresence { inner, heartbeat })
    }

    /// This node's id in Redis (random per [`RedisPresence`]).
    pub fn node(&self) -> &str {
        &self.inner.node
    }
}

impl Drop for RedisPresence {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// Refreshes this node's counts every `period`, restoring them when Redis lost them, until
/// the presence is dropped.
async fn heartbeat(inner: Arc<Inner>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tick.tick().await;
        match inner.beat().await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("presence heartbeats reach Redis again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "a presence heartbeat failed; retrying each period");
            }
            Err(_) => {}
        }
    }
}

impl Inner {
    /// One heartbeat: extends this node's key, or writes its counts again if Redis lost them
    /// (or may not hold them).
    async fn beat(&self) -> Result<(), StoreError> {
        let mut command = redis::cmd("PEXPIRE");
        command.arg(&self.node_key).arg(self.ttl_ms);
        let mut connection = self.connection.clone();
        let refreshed: i64 = timed(command.query_async(&mut connection)).await?;
        let dirty = self.dirty.load(Ordering::Relaxed);
        if refreshed == 1 && !dirty {
            return Ok(());
        }
        if !dirty && self.lock_local().is_empty() {
            // Nothing here to count, and nothing in Redis to forget.
            return Ok(());
        }
        let _restoring = self.counts.write().await;
        // Cleared first: a script that fails from here on sets it again.
        self.dirty.store(false, Ordering::Relaxed);
        let snapshot: Vec<(AccountId, u64, String)> = self
            .lock_local()
            .iter()
            .map(|(account, local)| (*account, local.connections, local.addr.to_string()))
            .collect();
        let mut batches: Vec<&[(AccountId, u64, String)]> = snapshot.chunks(RESTORE_BATCH_LEN_MAX).collect();
        if batches.is_empty() {
            batches.push(&[]);
        }
        for (i, batch) in batches.into_iter().enumerate() {
            let mut invocation = self.restore.key(&self.node_key);
            invocation.arg(&self.base).arg(&self.node).arg(self.ttl_ms).arg(if i == 0 { "1" } else { "0" });
            for (account, connections, addr) in batch {
                invocation.arg(account.0).arg(*connections).arg(addr);
            }
            if let Err(e) = timed(invocation.invoke_async::<i64>(&mut connection)).await {
                self.dirty.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        tracing::info!(accounts = snapshot.len(), "wrote this node's presence counts to Redis again");
        Ok(())
    }

    fn lock_local(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, Local>> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An invocation of `script` for `account`, with the prelude's keys and arguments.
    fn invocation<'a>(&self, script: &'a redis::Script, account: AccountId) -> redis::ScriptInvocation<'a> {
        let state_key = format!("{}account:{}", self.base, account.0);
        let mut invocation = script.key(format!("{state_key}:nodes"));
        invocation.key(state_key).arg(format!("{}node:", self.base)).arg(account.0);
        invocation
    }

    /// Changes this node's count of an account in memory (`change`) and runs the script that
    /// changes it in Redis, both under the shared lock, so that a restore sees either both or
    /// neither. A failure leaves Redis unsure, so the next heartbeat writes the counts again.
    async fn change_counts(
        &self,
        change: impl FnOnce(&mut HashMap<AccountId, Local>),
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<Vec<redis::Value>, StoreError> {
        let _counting = self.counts.read().await;
        change(&mut self.lock_local());
        let mut connection = self.connection.clone();
        let answer = timed(invocation.invoke_async::<Vec<redis::Value>>(&mut connection)).await;
        if answer.is_err() {
            self.dirty.store(true, Ordering::Relaxed);
        }
        answer
    }
}

#[async_trait]
impl PresenceStore for RedisPresence {
    async fn connected(&self, account: AccountId, addr: &AccountAddr) -> Result<Option<PresenceInfo>, StoreError> {
        let inner = &self.inner;
        let mut invocation = inner.invocation(&inner.connected, account);
        invocation.key(&inner.node_key).arg(&inner.node).arg(addr.to_string()).arg(inner.ttl_ms);
        let count = |local: &mut HashMap<AccountId, Local>| {
            local.entry(account).or_insert_with(|| Local { connections: 0, addr: addr.clone() }).connections += 1;
        };
        let mut answer = inner.change_counts(count, &invocation).await?;
        let existed = answer.pop().map(redis::from_redis_value::<i64>).transpose().map_err(corrupt)?;
        if existed != Some(1) {
            // A new key: this node had no counts in Redis. If it counts other connections,
            // Redis lost them (a restart, an expiry); the next heartbeat writes them back.
            let local = inner.lock_local();
            if local.len() > 1 || local.get(&account).is_some_and(|l| l.connections > 1) {
                inner.dirty.store(true, Ordering::Relaxed);
            }
        }
        let info = presence(redis::from_redis_value(redis::Value::Array(answer)).map_err(corrupt)?)?;
        Ok(info.and_then(|(news, info)| news.then_some(info)))
    }

    async fn disconnected(&self, account: AccountId, now_ms: i64) -> Result<Option<PresenceInfo>, StoreError> {
        let inner = &self.inner;
        let mut invocation = inner.invocation(&inner.disconnected, account);
        invocation.key(&inner.node_key).arg(now_ms).arg(inner.ttl_ms);
        let count = |local: &mut HashMap<AccountId, Local>| {
            if let Some(entry) = local.get_mut(&account) {
                entry.connections = entry.connections.saturating_sub(1);
                if entry.connections == 0 {
                    local.remove(&account);
                }
            }
        };
        let answer = inner.change_counts(count, &invocation).await?;
        let info = presence(redis::from_redis_value(redis::Value::Array(answer)).map_err(corrupt)?)?;
        Ok(info.and_then(|(news, info)| news.then_some(info)))
    }

    async fn choose(
        &self,
        account: AccountId,
        addr: &AccountAddr,
        status: Status,
        text: Option<String>,
    ) -> Result<PresenceInfo, StoreError> {
        let inner = &self.inner;
        let mut invocation = inner.invocation(&inner.choose, account);
        invocation.arg(addr.to_string()).arg(status.as_str());
        match text {
            Some(text) => invocation.arg("1").arg(text),
            None => invocation.arg("0").arg(""),
        };
        let mut connection = inner.connection.clone();
        let answer = timed(invocation.invoke_async::<Answer>(&mut connection)).await?;
        match presence(answer)? {
            Some((_, info)) => Ok(info),
            None => Err(StoreError::Corrupt("a chosen status left no presence behind".into())),
        }
    }

    async fn get(&self, account: AccountId) -> Result<Option<PresenceInfo>, StoreError> {
        let inner = &self.inner;
        let invocation = inner.invocation(&inner.get, account);
        let mut connection = inner.connection.clone();
        let answer = timed(invocation.invoke_async::<Answer>(&mut connection)).await?;
        Ok(presence(answer)?.map(|(_, info)| info))
    }
}

/// Whether a script's answer is news, and the presence it describes; `None` for an account
/// never seen.
fn presence(answer: Answer) -> Result<Option<(bool, PresenceInfo)>, StoreError> {
    let (news, online, addr, status, text, seen) = answer;
    let Some(addr) = addr else { return Ok(None) };
    let account = AccountAddr::parse(&addr).map_err(|e| StoreError::Corrupt(format!("presence address: {e}")))?;
    let online = online == 1;
    let status = match status.as_deref() {
        _ if !online => Status::Offline,
        Some("online") => Status::Online,
        Some("away") => Status::Away,
        Some("busy") => Status::Busy,
        Some("offline") => Status::Offline,
        other => return Err(StoreError::Corrupt(format!("presence status {other:?}"))),
    };
    let last_seen_ms = match seen {
        Some(_) if online => None,
        Some(seen) => Some(seen.parse().map_err(|e| StoreError::Corrupt(format!("presence last seen: {e}")))?),
        None => None,
    };
    Ok(Some((news == 1, PresenceInfo { account, status, text, last_seen_ms })))
}

/// A Redis call bounded by [`COMMAND_TIMEOUT`], its failure as the store port's error.
async fn timed<T>(call: impl Future<Output = redis::RedisResult<T>>) -> Result<T, StoreError> {
    match tokio::time::timeout(COMMAND_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() => {
            Err(StoreError::Unavailable(format!("Redis: {e}")))
        }
        Ok(Err(e)) => Err(StoreError::Other(format!("Redis: {e}"))),
        Err(_) => Err(StoreError::Unavailable(format!("Redis did not answer within {COMMAND_TIMEOUT:?}"))),
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("a presence script's answer: {e}"))
}
