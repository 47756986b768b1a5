//! [`RedisBus`]: the [`Bus`] of a cluster, over Redis pub/sub.
//!
//! Each node's bus is a local broadcast, exactly as [`magpie_core::ports::LocalBus`], plus two
//! background tasks:
//!
//! - the **publisher** takes the wakes that [`Bus::publish`] queued (a bounded queue: when it
//!   is full the wake is dropped and counted, since publish may neither block nor fail) and
//!   `PUBLISH`es them on the deployment's channel through a self-reconnecting connection;
//! - the **listener** holds one connection in `SUBSCRIBE` mode and feeds what other nodes
//!   published into the local broadcast. Every message carries its node's random id, and a
//!   node skips its own: its subscribers had those wakes directly, at once.
//!
//! When the listener's connection drops (or stops answering pings) it reconnects with
//! exponential backoff, and once subscribed again tells every subscriber that wakes may have
//! been missed ([`Received::Missed`](magpie_core::ports::Received::Missed)), so that each reads
//! the store. Meanwhile the node keeps working on its own: local wakes still reach local
//! subscribers, and followers poll the store anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use magpie_core::ports::{Bus, BusReceiver, Wake};
use redis::aio::{ConnectionManager, PubSubSink, PubSubStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::{COMMAND_TIMEOUT, CONNECT_TIMEOUT, Error, wire};

/// Wakes waiting for the publisher; past this, [`Bus::publish`] drops the wake (and counts it).
/// A few seconds of a busy node's commits: enough to ride out a slow `PUBLISH`, small enough
/// that an outage does not pile up memory.
pub const PUBLISH_QUEUE_LEN_MAX: usize = 4096;
/// Wakes a subscriber may fall behind before it misses some, unless the config says otherwise
/// (as the binary's `LocalBus`).
pub const WAKES_MAX_DEFAULT: usize = 4096;
/// Longest message the bus publishes or accepts; a larger wake is dropped (and counted), and
/// followers find what it was about in the store.
pub const WAKE_BYTES_MAX: usize = 4 * 1024 * 1024;
/// First pause before the listener tries to reconnect; it doubles per failed attempt.
pub const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(100);
/// Longest pause between the listener's attempts to reconnect.
pub const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(5);
/// How often the listener pings Redis on its subscription: a connection that died without
/// closing (a network cut) is noticed within this plus [`COMMAND_TIMEOUT`].
const PING_INTERVAL: Duration = Duration::from_secs(5);

/// How one node's [`RedisBus`] reaches Redis.
#[derive(Debug, Clone)]
pub struct RedisBusConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The deployment's name in Redis: the channel is `magpie:<prefix>:wakes`. Nodes of one
    /// deployment share it; nothing else may.
    pub prefix: String,
    /// Wakes a subscriber on this node may fall behind before it misses some.
    pub wakes_max: usize,
    /// Wakes waiting to be published before more are dropped.
    pub publish_queue_len_max: usize,
}

impl RedisBusConfig {
    /// The config for `url` and `prefix` with the default bounds.
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> RedisBusConfig {
        RedisBusConfig {
            url: url.into(),
            prefix: prefix.into(),
            wakes_max: WAKES_MAX_DEFAULT,
            publish_queue_len_max: PUBLISH_QUEUE_LEN_MAX,
        }
    }
}

/// What a [`RedisBus`] has counted since it started, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisBusStats {
    /// Wakes dropped unpublished: the queue was full, or the wake was too large.
    pub wakes_dropped: u64,
    /// `PUBLISH`es that failed or timed out (their wakes are lost to other nodes).
    pub publish_failures: u64,
    /// Messages on the channel that were not a wake this version understands.
    pub messages_refused: u64,
    /// Times the listener subscribed again after losing its connection.
    pub resubscriptions: u64,
}

/// What the bus and its tasks share.
#[derive(Debug)]
struct Shared {
    /// The listener is subscribed now.
    subscribed: AtomicBool,
    /// The last `PUBLISH` went through (or none failed yet).
    publishing: AtomicBool,
    wakes_dropped: AtomicU64,
    publish_failures: AtomicU64,
    messages_refused: AtomicU64,
    /// Moves on each time the listener subscribes again: every subscriber hears it as
    /// `Received::Missed`. Its value is the count of resubscriptions.
    losses: watch::Sender<u64>,
}

/// The [`Bus`] of one node of a cluster; see the module's documentation.
pub struct RedisBus {
    /// This node's random id, on every message it publishes.
    node: Arc<str>,
    local: broadcast::Sender<Arc<Wake>>,
    outbox: mpsc::Sender<Arc<Wake>>,
    shared: Arc<Shared>,
    publisher: JoinHandle<()>,
    listener: JoinHandle<()>,
}

impl RedisBus {
    /// Connects to Redis and subscribes to the deployment's channel, then returns: from then
    /// on, what other nodes publish reaches this node's subscribers. Fails if Redis cannot be
    /// reached now (a node should not start on a bus it has never seen); once running, it
    /// rides out outages. Must be called within a tokio runtime, which runs its tasks.
    pub async fn connect(config: &RedisBusConfig) -> Result<RedisBus, Error> {
        crate::check_prefix(&config.prefix)?;
        if config.wakes_max == 0 || config.publish_queue_len_max == 0 {
            return Err(Error::Setting("wakes_max and publish_queue_len_max must be at least 1"));
        }
        let client = crate::client(&config.url)?;
        let channel = format!("magpie:{}:wakes", config.prefix);
        let connection = crate::connection_manager(&client).await?;
        let subscription = subscribe(&client, &channel).await?;

        let node: Arc<str> = Arc::from(format!("{:032x}", rand::random::<u128>()));
        let local = broadcast::channel(config.wakes_max).0;
        let (outbox, queued) = mpsc::channel(config.publish_queue_len_max);
        let shared = Arc::new(Shared {
            subscribed: AtomicBool::new(true),
            publishing: AtomicBool::new(true),
            wakes_dropped: AtomicU64::new(0),
            publish_failures: AtomicU64::new(0),
            messages_refused: AtomicU64::new(0),
            losses: watch::Sender::new(0),
        });
        let publisher = tokio::spawn(publish(connection, channel.clone(), node.clone(), shared.clone(), queued));
        let listener = Listener { client, channel, node: node.clone(), shared: shared.clone(), local: local.clone() };
        let listener = tokio::spawn(listener.run(subscription));
        tracing::info!(%node, prefix = config.prefix, "joined the Redis bus");
        Ok(RedisBus { node, local, outbox, shared, publisher, listener })
    }

    /// Whether this node is connected to the other nodes now: subscribed to the channel, and
    /// its last `PUBLISH` went through. For `/readyz`: a node that is not still serves its own
    /// connections, but other nodes' wakes reach it only through its polls of the store.
    pub fn healthy(&self) -> bool {
        self.shared.subscribed.load(Ordering::Relaxed) && self.shared.publishing.load(Ordering::Relaxed)
    }

    /// This node's id on the bus (random per [`RedisBus`]).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// What this bus has counted since it started.
    pub fn stats(&self) -> RedisBusStats {
        RedisBusStats {
            wakes_dropped: self.shared.wakes_dropped.load(Ordering::Relaxed),
            publish_failures: self.shared.publish_failures.load(Ordering::Relaxed),
            messages_refused: self.shared.messages_refused.load(Ordering::Relaxed),
            resubscriptions: *self.shared.losses.borrow(),
        }
    }
}

impl Bus for RedisBus {
    /// Hands the wake to this node's subscribers at once and queues it for the other nodes;
    /// never waits, never fails (a full queue drops the wake for other nodes, who find it in
    /// the store at their next poll).
    fn publish(&self, wake: Wake) {
        let wake = Arc::new(wake);
        // No local subscriber (a node that only writes) is not an error.
        let _ = self.local.send(wake.clone());
        if self.outbox.try_send(wake).is_err() {
            self.shared.wakes_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn subscribe(&self) -> BusReceiver {
        BusReceiver::with_losses(self.local.subscribe(), self.shared.losses.subscribe())
    }
}

impl Drop for RedisBus {
    /// Stops both tasks, so that the local broadcast closes (subscribers get `Closed`) and the
    /// node leaves the channel.
    fn drop(&mut self) {
        self.publisher.abort();
        self.listener.abort();
    }
}

/// The publisher task: `PUBLISH`es queued wakes until the bus is dropped. After a failure it
/// also pings Redis every [`PING_INTERVAL`], so that an idle node finds out it can publish
/// again (and says so in [`RedisBus::healthy`]) without waiting for a wake.
async fn publish(
    mut connection: ConnectionManager,
    channel: String,
    node: Arc<str>,
    shared: Arc<Shared>,
    mut queued: mpsc::Receiver<Arc<Wake>>,
) {
    let mut probe = tokio::time::interval(PING_INTERVAL);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let failing = !shared.publishing.load(Ordering::Relaxed);
        let (command, publishing) = tokio::select! {
            wake = queued.recv() => {
                let Some(wake) = wake else { return };
                match wire::encode(&node, &wake) {
                    Ok(message) if message.len() <= WAKE_BYTES_MAX => {
                        let mut command = redis::cmd("PUBLISH");
                        command.arg(&channel).arg(message);
                        (command, true)
                    }
                    Ok(message) => {
                        tracing::warn!(bytes = message.len(), "a wake too large to publish; dropped");
                        shared.wakes_dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot encode a wake; dropped");
                        shared.wakes_dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
            }
            _ = probe.tick(), if failing => (redis::cmd("PING"), false),
        };
        let failure =
            match tokio::time::timeout(COMMAND_TIMEOUT, command.query_async::<redis::Value>(&mut connection)).await {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some(format!("no answer within {COMMAND_TIMEOUT:?}")),
            };
        match failure {
            None => {
                if !shared.publishing.swap(true, Ordering::Relaxed) {
                    tracing::info!("can publish on the Redis bus again");
                }
            }
            Some(error) => {
                if publishing {
                    shared.publish_failures.fetch_add(1, Ordering::Relaxed);
                }
                // Said once per outage, not once per wake.
                if shared.publishing.swap(false, Ordering::Relaxed) {
                    tracing::warn!(%error, "cannot publish on the Redis bus; other nodes rely on their polls");
                }
            }
        }
    }
}

/// Subscribes a new connection to `channel`, within [`CONNECT_TIMEOUT`].
async fn subscribe(client: &redis::Client, channel: &str) -> Result<(PubSubSink, PubSubStream), Error> {
    let subscribe = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        sink.subscribe(channel).await?;
        Ok::<_, redis::RedisError>((sink, stream))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, subscribe).await {
        Ok(subscribed) => Ok(subscribed?),
        Err(_) => Err(Error::Timeout(CONNECT_TIMEOUT)),
    }
}

/// The listener task's state.
struct Listener {
    client: redis::Client,
    channel: String,
    node: Arc<str>,
    shared: Arc<Shared>,
    local: broadcast::Sender<Arc<Wake>>,
}

impl Listener {
    /// Forwards what other nodes publish, reconnecting whenever the subscription is lost,
    /// until the bus is dropped (which aborts this task).
    async fn run(self, first: (PubSubSink, PubSubStream)) {
        let mut subscription = Some(first);
        let mut delay = RECONNECT_DELAY_MIN;
        loop {
            let (sink, stream) = match subscription.take() {
                Some(subscribed) => subscribed,
                None => match subscribe(&self.client, &self.channel).await {
                    Ok(subscribed) => {
                        tracing::info!("subscribed to the Redis bus again; subscribers read the store");
                        self.shared.subscribed.store(true, Ordering::Relaxed);
                        // Whatever was published while this node was away is lost to it.
                        self.shared.losses.send_modify(|n| *n += 1);
                        delay = RECONNECT_DELAY_MIN;
                        subscribed
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, ?delay, "cannot subscribe to the Redis bus yet");
                        tokio::time::sleep(jittered(delay)).await;
                        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
                        continue;
                    }
                },
            };
            let why = self.forward(sink, stream).await;
            self.shared.subscribed.store(false, Ordering::Relaxed);
            tracing::warn!(why, "lost the Redis bus; this node carries on alone and reconnects");
            tokio::time::sleep(jittered(delay)).await;
        }
    }

    /// Forwards messages until the connection is lost; says how it was.
    async fn forward(&self, mut sink: PubSubSink, mut stream: PubSubStream) -> &'static str {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.reset();
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else { return "the connection closed" };
                    self.deliver(message.get_payload_bytes());
                }
                _ = ping.tick() => {
                    match tokio::time::timeout(COMMAND_TIMEOUT, sink.ping::<redis::Value>()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(_)) => return "a ping failed",
                        Err(_) => return "a ping went unanswered",
                    }
                }
            }
        }
    }

    /// Hands another node's wake to this node's subscribers.
    fn deliver(&self, message: &[u8]) {
        if message.len() > WAKE_BYTES_MAX {
            tracing::warn!(bytes = message.len(), "a message too large for a wake; ignored");
            self.shared.messages_refused.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match wire::decode(message) {
            Ok((node, _)) if *node == *self.node => {}
            Ok((_, wake)) => {
                let _ = self.local.send(Arc::new(wake));
            }
            Err(e) => {
                // Another version of Magpie, or a stranger on the channel: not worth more.
                tracing::warn!(error = %e, "a message on the bus that is not a wake; ignored");
                self.shared.messages_refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// `delay` less up to half of it, at random, so that nodes cut off together do not all come
/// back in the same instant.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(1.0 - rand::random::<f64>() / 2.0)
}
