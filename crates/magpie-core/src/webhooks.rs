//! Outgoing webhooks (issue 18): event subscriptions of bots. An app subscribes its bot to
//! events of the conversations the bot is a member of, and Magpie POSTs them to the app's URL,
//! signed.
//!
//! **From the log.** A durable follower (`webhooks`) reads every committed entry once and, for
//! each enabled subscription of a bot that is an active member of the entry's conversation and
//! asked for the entry's [`EventKind`], writes an event row keyed by (subscription,
//! conversation, seq): a follower that handles an entry again after a crash writes nothing
//! twice. So whatever committed is delivered, even after a `kill -9` right after the commit.
//!
//! **In order per conversation, at least once.** The sender claims *streams*: the pending
//! events of one subscription in one conversation, from the first, at most
//! [`BATCH_LEN_MAX`] of them, held with a lease (longer than a request may take:
//! [`Settings::webhook_lease_ms`]); a stream whose first event is held or not due
//! yet is not claimed, so one conversation's events go one request after another, in seq
//! order, while different conversations go side by side. One request carries the batches of
//! the streams of one subscription that a claim took, up to [`EVENTS_PER_REQUEST_MAX`] events
//! (`{"events": [...]}`, each conversation's in seq order), so that an app whose bot is in many
//! busy conversations gets few large requests rather than one per conversation; a 2xx answer
//! delivers them all; anything else, or no answer within the timeout, retries them after a
//! backoff that doubles up to the configured bound. A
//! claim that runs out (the node died mid-request) is claimed again: the app may see a batch
//! twice, and tells by each event's `id`. What came of the requests that finished while the
//! last such write ran is written in one write, so that an app that keeps up (a request or
//! two per event) costs the store a write per batch of requests, not one per request.
//!
//! **Signed.** Every request carries `X-Magpie-Timestamp` (Unix seconds) and
//! `X-Magpie-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; an app refuses
//! a signature that does not match and a timestamp more than [`REPLAY_WINDOW_SECS`] away from
//! its clock. The secret is shown once, when the subscription is made or its secret rotated.
//!
//! **A failure budget.** A subscription whose requests fail [`Settings::webhook_failures_max`]
//! times in a row is disabled: its events stop being written, those waiting stay (up to
//! [`PENDING_PER_SUBSCRIPTION_MAX`]), and the bot's owner and the domain's administrators get
//! an item in their notification centre; enabling it again delivers what waited, in order.
//!
//! [`Settings::webhook_failures_max`]: crate::Settings::webhook_failures_max
//! [`Settings::webhook_lease_ms`]: crate::Settings::webhook_lease_ms

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::bots::Bots;
use crate::chat::{Committed, Entry, Page};
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::model::{AccountId, Actor, ConversationId, DomainId, Seq};
use crate::names::AccountAddr;
use crate::ports::{BotStore, ConversationLog, Stores};
use crate::{Deps, Error, Result};

/// The name the follower saves its cursor under.
pub const FOLLOWER: &str = "webhooks";
/// Most subscriptions one bot has.
pub const SUBSCRIPTIONS_PER_BOT_MAX: usize = 10;
/// Longest URL, in bytes.
pub const URL_BYTES_MAX: usize = 2_048;
/// Most events that wait for one subscription (not yet delivered); past it, its new events are
/// dropped and counted (`dropped`), never a message.
pub const PENDING_PER_SUBSCRIPTION_MAX: usize = 100_000;
/// Most events one stream (one subscription's events of one conversation, in order) gives a
/// request.
pub const BATCH_LEN_MAX: usize = 50;
/// Most events one request carries: the batches of several streams of one subscription.
pub const EVENTS_PER_REQUEST_MAX: usize = 500;
/// Most streams (subscription and conversation) one claim takes, and so held by requests in
/// flight per sender.
pub const STREAMS_PER_CLAIM_MAX: usize = 256;
/// How far an app's clock and a request's timestamp may be apart before the app refuses it.
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// How long delivered events are kept (so a follower that handles an entry again writes
/// nothing twice).
pub const KEEP_DELIVERED_MS: i64 = 24 * 3600 * 1000;
/// How often delivered events past [`KEEP_DELIVERED_MS`] are removed.
pub const PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// Outcomes of requests one write records at most.
const OUTCOMES_PER_WRITE_MAX: usize = 256;
/// Delivered events one prune deletes at most.
const PRUNE_BATCH_LEN: usize = 10_000;
/// Longest error kept for the subscription's managers to read, in characters.
pub const ERROR_CHARS_MAX: usize = 300;
/// Most the entries the follower hands the sender ([`Recent`]) hold, counted as each one's body
/// in JSON plus [`RECENT_ENTRY_OVERHEAD`].
pub const RECENT_BYTES_MAX: usize = 16 * 1024 * 1024;
/// What [`Recent`] counts for an entry besides its body.
const RECENT_ENTRY_OVERHEAD: usize = 512;

/// What an app subscribes to, for the conversations its bot is a member of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Every new message (not the bot's own).
    Message,
    /// New messages that mention the bot, by name or `@all` (a subscription to `message` gets
    /// these as `message`).
    Mention,
    /// Members joined or left (the system notices that say so).
    Member,
    /// Messages edited, recalled or reacted to.
    Update,
    /// Someone pressed a button of one of the bot's interactive cards ([`crate::cards`]): not
    /// from the log but asked at once, and the app's answer awaited.
    CardAction,
    /// Someone invoked one of the bot's slash commands ([`crate::commands`]): asked at once, as
    /// card actions are.
    Command,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::Message,
        EventKind::Mention,
        EventKind::Member,
        EventKind::Update,
        EventKind::CardAction,
        EventKind::Command,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Mention => "mention",
            EventKind::Member => "member",
            EventKind::Update => "update",
            EventKind::CardAction => "card_action",
            EventKind::Command => "command",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One subscription, as its managers see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub bot: AccountId,
    pub domain: DomainId,
    pub url: String,
    pub events: Vec<EventKind>,
    pub enabled: bool,
    /// Requests that failed in a row (0 after one that succeeded).
    pub failures: u32,
    /// The last failure's reason, if the last request failed.
    pub last_error: Option<String>,
    pub last_success_ms: Option<i64>,
    /// When it was disabled by its failure budget (not by a person), if it is.
    pub disabled_at_ms: Option<i64>,
    /// Events waiting (not yet delivered).
    pub pending: u64,
    /// Events dropped because too many waited.
    pub dropped: u64,
    pub created_at_ms: i64,
}

/// A subscription to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub bot: AccountId,
    pub domain: DomainId,
    pub url: String,
    pub secret: String,
    pub events: Vec<EventKind>,
    pub created_at_ms: i64,
}

/// A change to a subscription: `None` leaves a field as it is. Enabling one clears its
/// failures and makes its waiting events due at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub events: Option<Vec<EventKind>>,
    pub enabled: Option<bool>,
}

/// An event to write for a subscription (see [`crate::ports::BotStore::enqueue_webhook_events`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewWebhookEvent {
    pub subscription: i64,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub kind: EventKind,
}

/// One event of a claimed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: i64,
    pub seq: Seq,
    pub kind: EventKind,
    /// Requests that carried it before.
    pub attempts: u32,
}

/// A claimed stream: the first pending events of one subscription in one conversation, in seq
/// order, with where and how to deliver them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookBatch {
    pub subscription: i64,
    pub bot: AccountId,
    pub url: String,
    pub secret: String,
    pub conversation: ConversationId,
    pub events: Vec<WebhookEvent>,
}

/// What came of one request to an app, as the store records it (see
/// [`crate::ports::BotStore::webhook_outcomes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOutcome {
    pub subscription: i64,
    /// The events the request carried.
    pub events: Vec<i64>,
    /// `Err` when it failed: why, and when its events are due again.
    pub result: std::result::Result<(), Retry>,
}

/// A failed request's events go again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub error: String,
    pub retry_at_ms: i64,
}

/// What the store did with a failed request (see [`crate::ports::BotStore::webhook_failed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The subscription after it, if it is still there.
    pub subscription: Option<Subscription>,
    /// This failure spent the budget: the subscription was disabled by it (and by nothing
    /// before), so whoever manages it is to be told, once.
    pub disabled_now: bool,
}

/// An event as it goes out: the entry as it is now (as the bot sees it), or `None` when it is
/// gone (removed by retention).
#[derive(Debug, Clone)]
pub struct OutgoingEvent {
    /// Unique per subscription: `"{subscription}.{conversation}.{seq}"`; the same on a retry.
    pub id: String,
    pub kind: EventKind,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub entry: Option<Entry>,
}

/// One request to an app.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub subscription: i64,
    pub bot: &'a AccountAddr,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [OutgoingEvent],
}

/// A request to an app that waits for its answer (a card's action): signed as deliveries are,
/// with the subscription's secret.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub subscription: i64,
    pub url: &'a str,
    pub secret: &'a str,
    pub body: &'a serde_json::Value,
    pub timeout: std::time::Duration,
}

/// The longest answer of an app to a [`Call`] that is read, in bytes.
pub const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// How requests reach apps: the adapter writes the body (the wire's JSON), signs it and POSTs.
#[async_trait]
pub trait WebhookSender: Send + Sync + 'static {
    /// POSTs the events; `Ok` on a 2xx answer, else why not (kept for the managers to read).
    async fn deliver(&self, delivery: Delivery<'_>) -> std::result::Result<(), String>;

    /// POSTs a request that waits for the app's answer ([`Call`]): `Ok(Some(json))` for a 2xx
    /// answer with a JSON body, `Ok(None)` for one with an empty body, else why not (no answer
    /// within `timeout`, another status, a body that is not JSON or is longer than
    /// [`ANSWER_BYTES_MAX`]).
    async fn call(&self, call: Call<'_>) -> std::result::Result<Option<serde_json::Value>, String>;

    /// Why an app's URL may not be used (not `http(s)`, not a public address where only those
    /// are allowed), checked when a subscription is made or changed.
    fn check_url(&self, url: &str) -> std::result::Result<(), String>;
}

/// A subscription asked for.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionRequest {
    pub url: String,
    /// Kinds by name (`message`, `mention`, `member`, `update`); at least one.
    pub events: Vec<String>,
}

/// A change asked for: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A subscription with its secret, just made or rotated: shown now and never again.
#[derive(Debug, Clone)]
pub struct IssuedSubscription {
    pub subscription: Subscription,
    pub secret: String,
}

/// The prefix of every subscription's secret, so that one is recognised where it leaks.
pub const SECRET_PREFIX: &str = "whsec_";

/// Outgoing webhooks: the subscriptions their bots' managers make, the follower that writes
/// their events and the sender that delivers them (see the module's documentation).
#[derive(Clone)]
pub struct Webhooks {
    deps: Arc<Deps>,
    bots: Bots,
    store: Arc<dyn BotStore>,
    log: Arc<dyn ConversationLog>,
    stores: Stores,
    /// Woken when the follower wrote events, so the sender looks at once.
    wake: Arc<tokio::sync::Notify>,
    recent: Arc<Mutex<Recent>>,
}

/// The entries the follower wrote events for, as they committed, so that the sender delivers
/// an app that keeps up without reading them back from the log: the most recent, up to
/// [`RECENT_BYTES_MAX`], the oldest dropped first. An entry that changes another (an edit, a
/// recall, a reaction, a card's update: its `target`; a reply in a thread: its root) takes the
/// other out when the follower passes it, so that the sender reads the changed one from the
/// log. An event whose entry is not here (dropped, changed, or from before a restart) is read
/// from the log as it is now.
#[derive(Default)]
struct Recent {
    /// Each entry with what it counts for.
    entries: HashMap<(ConversationId, Seq), (Entry, usize)>,
    /// Keys oldest first. A key whose entry was forgotten stays until it comes round.
    order: VecDeque<(ConversationId, Seq)>,
    bytes: usize,
}

impl Recent {
    fn keep(&mut self, entry: &Entry) {
        let key = (entry.conversation, entry.seq);
        if self.entries.contains_key(&key) {
            return;
        }
        let body = entry.body.as_ref().map_or(0, |b| serde_json::to_string(b).map_or(usize::MAX, |j| j.len()));
        let cost = body.saturating_add(RECENT_ENTRY_OVERHEAD);
        if cost > RECENT_BYTES_MAX {
            return;
        }
        self.entries.insert(key, (entry.clone(), cost));
        self.order.push_back(key);
        self.bytes += cost;
        while self.bytes > RECENT_BYTES_MAX {
            let Some(old) = self.order.pop_front() else { break };
            self.forget(old);
        }
    }

    fn forget(&mut self, key: (ConversationId, Seq)) {
        if let Some((_, cost)) = self.entries.remove(&key) {
            self.bytes -= cost;
        }
    }

    /// The follower passed `entry`: what it changes is no longer as it committed.
    fn forget_changed_by(&mut self, entry: &Entry) {
        for seq in [entry.target, entry.thread].into_iter().flatten() {
            self.forget((entry.conversation, seq));
        }
    }

    /// The entries of `batch`, if every one is here.
    fn batch(&self, batch: &WebhookBatch) -> Option<HashMap<Seq, Entry>> {
        batch
            .events
            .iter()
            .map(|e| self.entries.get(&(batch.conversation, e.seq)).map(|(entry, _)| (e.seq, entry.clone())))
            .collect()
    }
}

impl Webhooks {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, bots: Bots) -> Webhooks {
        Webhooks {
            deps,
            bots,
            store: stores.bots.clone(),
            log: stores.log.clone(),
            stores: stores.clone(),
            wake: Arc::new(tokio::sync::Notify::new()),
            recent: Arc::default(),
        }
    }

    fn sender(&self) -> Result<&Arc<dyn WebhookSender>> {
        self.deps.webhooks.get().ok_or(Error::Unavailable("outgoing webhooks are not set up on this server"))
    }

    /// The bot's subscriptions, for those who manage it.
    pub async fn list(&self, actor: Actor<'_>, bot: &str) -> Result<Vec<Subscription>> {
        let bot = self.bots.get(actor, bot).await?;
        Ok(self.store.subscriptions(bot.account.id).await?)
    }

    /// Subscribes the bot's app at `url` to events; the secret that signs them is answered
    /// now and never again.
    pub async fn create(
        &self,
        actor: Actor<'_>,
        bot: &str,
        request: SubscriptionRequest,
    ) -> Result<IssuedSubscription> {
        let bot = self.bots.get(actor, bot).await?;
        // As for its tokens: a bot that is turned off gets nothing new (and no events).
        if bot.account.disabled {
            return Err(Error::AccountDisabled);
        }
        let url = self.url(&request.url)?;
        let events = events(&request.events)?;
        let secret = new_secret();
        let new = NewSubscription {
            bot: bot.account.id,
            domain: bot.account.domain_id,
            url,
            secret: secret.clone(),
            events,
            created_at_ms: self.deps.clock.now_ms(),
        };
        let subscription = self
            .store
            .create_subscription(&new, SUBSCRIPTIONS_PER_BOT_MAX)
            .await?
            .ok_or(Error::LimitExceeded("a bot has at most 10 event subscriptions"))?;
        let change = crate::audit::Change::new(
            "bot.subscription_create",
            Some(bot.account.domain_id),
            bot.account.addr.to_string(),
        )
        .after(described(&subscription));
        self.deps.audit(actor, change).await;
        Ok(IssuedSubscription { subscription, secret })
    }

    /// Changes a subscription's URL, events, or whether it is enabled (enabling one disabled
    /// by its failures delivers what waited).
    pub async fn update(
        &self,
        actor: Actor<'_>,
        bot: &str,
        id: i64,
        change: SubscriptionChange,
    ) -> Result<Subscription> {
        let (bot, before) = self.one(actor, bot, id).await?;
        let patch = SubscriptionPatch {
            url: change.url.as_deref().map(|u| self.url(u)).transpose()?,
            secret: None,
            events: change.events.as_deref().map(events).transpose()?,
            enabled: change.enabled,
        };
        let after = self.store.update_subscription(id, &patch).await?.ok_or(Error::NotFound("subscription"))?;
        let change = crate::audit::Change::new(
            "bot.subscription_update",
            Some(bot.account.domain_id),
            bot.account.addr.to_string(),
        )
        .before(described(&before))
        .after(described(&after));
        self.deps.audit(actor, change).await;
        if after.enabled && !before.enabled {
            self.wake.notify_one();
        }
        Ok(after)
    }

    /// Gives a subscription a new secret (the old one stops signing at once), answered now and
    /// never again.
    pub async fn rotate_secret(&self, actor: Actor<'_>, bot: &str, id: i64) -> Result<IssuedSubscription> {
        let (bot, _) = self.one(actor, bot, id).await?;
        let secret = new_secret();
        let patch = SubscriptionPatch { secret: Some(secret.clone()), ..SubscriptionPatch::default() };
        let subscription = self.store.update_subscription(id, &patch).await?.ok_or(Error::NotFound("subscription"))?;
        let change = crate::audit::Change::new(
            "bot.subscription_rotate",
            Some(bot.account.domain_id),
            bot.account.addr.to_string(),
        )
        .after(serde_json::json!({ "subscription": id }));
        self.deps.audit(actor, change).await;
        Ok(IssuedSubscription { subscription, secret })
    }

    /// Ends a subscription; its waiting events are dropped.
    pub async fn delete(&self, actor: Actor<'_>, bot: &str, id: i64) -> Result<()> {
        let (bot, before) = self.one(actor, bot, id).await?;
        self.store.delete_subscription(id).await?;
        let change = crate::audit::Change::new(
            "bot.subscription_delete",
            Some(bot.account.domain_id),
            bot.account.addr.to_string(),
        )
        .before(described(&before));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// One of the bot's subscriptions, for those who manage the bot.
    async fn one(&self, actor: Actor<'_>, bot: &str, id: i64) -> Result<(crate::bots::Bot, Subscription)> {
        let bot = self.bots.get(actor, bot).await?;
        match self.store.subscription(id).await? {
            Some(s) if s.bot == bot.account.id => Ok((bot, s)),
            _ => Err(Error::NotFound("subscription")),
        }
    }

    fn url(&self, url: &str) -> Result<String> {
        let url = url.trim();
        if url.is_empty() || url.len() > URL_BYTES_MAX {
            return Err(Error::invalid("url", format!("must be 1 to {URL_BYTES_MAX} bytes")));
        }
        self.sender()?.check_url(url).map_err(|why| Error::invalid("url", why))?;
        Ok(url.to_owned())
    }

    /// Starts the follower that writes events and the sender that delivers them, when the
    /// server can send; the follower's status counts among the core's.
    pub fn start(&self) -> Option<Arc<FollowerStatus>> {
        let sender = self.deps.webhooks.get()?.clone();
        let poll = std::time::Duration::from_millis(self.deps.settings.webhook_poll_ms.max(10));
        let follower = Follower::new(
            FOLLOWER,
            self.stores.log.clone(),
            Some(self.stores.cursors.clone()),
            self.deps.bus.clone(),
            Writer { hooks: self.clone(), addrs: HashMap::new(), read_at: std::time::Instant::now() },
        )
        .with_poll_interval(poll);
        let status = follower.status();
        tokio::spawn(follower.run(Start::Head));
        tokio::spawn(self.clone().send_loop(sender, poll));
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let before = this.deps.clock.now_ms() - KEEP_DELIVERED_MS;
                // In bounded deletes, so that a day of events at full rate never holds the
                // writer for long.
                loop {
                    match this.store.prune_webhook_events(before, PRUNE_BATCH_LEN).await {
                        Ok(n) if n >= PRUNE_BATCH_LEN as u64 => tokio::task::yield_now().await,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot prune delivered webhook events");
                            break;
                        }
                    }
                }
            }
        });
        Some(status)
    }

    /// The sender: claims as many streams as it has room for requests, delivers each on a
    /// task of its own, and claims again when one finishes, when the follower wrote events,
    /// or every `poll`.
    async fn send_loop(self, sender: Arc<dyn WebhookSender>, poll: std::time::Duration) {
        let room = Arc::new(tokio::sync::Semaphore::new(STREAMS_PER_CLAIM_MAX));
        let lease_ms = i64::try_from(self.deps.settings.webhook_lease_ms.max(1)).unwrap_or(i64::MAX);
        let (outcomes, written) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(self.clone().write_outcomes(written));
        loop {
            let free = room.available_permits();
            let mut claimed = 0;
            if free > 0 {
                let now = self.deps.clock.now_ms();
                match self.store.claim_webhook_events(now, lease_ms, free, BATCH_LEN_MAX).await {
                    Ok(batches) => {
                        claimed = batches.len();
                        for request in requests_of(batches) {
                            // A request holds a place per stream: the claim took no more
                            // streams than there were places.
                            let streams = u32::try_from(request.len()).unwrap_or(u32::MAX);
                            let Ok(permit) = room.clone().try_acquire_many_owned(streams) else { break };
                            let (this, sender, outcomes) = (self.clone(), sender.clone(), outcomes.clone());
                            tokio::spawn(async move {
                                match this.deliver(sender.as_ref(), request).await {
                                    // The room is given back once the outcome is written.
                                    Ok(Some((outcome, bot))) => {
                                        let _ = outcomes.send(Done { outcome, bot, _permit: permit });
                                    }
                                    Ok(None) => this.wake.notify_one(),
                                    Err(e) => {
                                        tracing::warn!(error = %e, "outgoing webhooks");
                                        this.wake.notify_one();
                                    }
                                }
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim webhook events"),
                }
            }
            if claimed > 0 && claimed == free {
                continue;
            }
            let _ = tokio::time::timeout(poll, self.wake.notified()).await;
        }
    }

    /// Writes what came of requests: all those that finished while the last write ran, in
    /// one write (so that an app that keeps up, one or two events a request, costs the store
    /// a write per batch of requests, not one per request). A write that fails leaves their
    /// events held until the lease ends; then they go again.
    async fn write_outcomes(self, mut written: tokio::sync::mpsc::UnboundedReceiver<Done>) {
        let failures_max = self.deps.settings.webhook_failures_max.max(1);
        while let Some(first) = written.recv().await {
            let mut done = vec![first];
            while done.len() < OUTCOMES_PER_WRITE_MAX {
                match written.try_recv() {
                    Ok(d) => done.push(d),
                    Err(_) => break,
                }
            }
            let outcomes: Vec<WebhookOutcome> = done.iter().map(|d| d.outcome.clone()).collect();
            let now = self.deps.clock.now_ms();
            match self.store.webhook_outcomes(&outcomes, now, failures_max).await {
                Ok(disabled) => {
                    for subscription in &disabled {
                        if let Some(d) = done.iter().find(|d| d.outcome.subscription == subscription.id) {
                            self.tell_disabled(&d.bot, subscription).await;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot record what came of webhook requests"),
            }
            drop(done);
            self.wake.notify_one();
        }
    }

    /// Delivers one request: the claimed batches of one subscription's streams. Answers what
    /// came of it, to be written, and its bot.
    async fn deliver(
        &self,
        sender: &dyn WebhookSender,
        request: Vec<WebhookBatch>,
    ) -> Result<Option<(WebhookOutcome, crate::model::Account)>> {
        let Some(head) = request.first() else { return Ok(None) };
        let Some(bot) = self.stores.accounts.account_by_id(head.bot).await? else { return Ok(None) };
        let mut events: Vec<OutgoingEvent> = Vec::with_capacity(request.iter().map(|b| b.events.len()).sum());
        for batch in &request {
            events.extend(self.outgoing(batch).await?);
        }
        let ids: Vec<i64> = request.iter().flat_map(|b| b.events.iter().map(|e| e.id)).collect();
        let delivery = Delivery {
            subscription: head.subscription,
            bot: &bot.addr,
            url: &head.url,
            secret: &head.secret,
            events: &events,
        };
        let result = sender.deliver(delivery).await.map_err(|why| {
            let attempts = request.iter().flat_map(|b| b.events.iter().map(|e| e.attempts)).max().unwrap_or(0);
            let retry_at_ms = self.deps.clock.now_ms().saturating_add(self.backoff_ms(attempts));
            Retry { error: why.chars().take(ERROR_CHARS_MAX).collect(), retry_at_ms }
        });
        Ok(Some((WebhookOutcome { subscription: head.subscription, events: ids, result }, bot)))
    }

    /// A stream's claimed batch as it goes out: each event with its entry as it is now.
    async fn outgoing(&self, batch: &WebhookBatch) -> Result<Vec<OutgoingEvent>> {
        let Some(first) = batch.events.first() else { return Ok(vec![]) };
        let kept = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).batch(batch);
        let mut by_seq = match kept {
            Some(kept) => kept,
            None => self.read_batch(batch, first.seq).await?.into_iter().map(|e| (e.seq, e)).collect(),
        };
        Ok(batch
            .events
            .iter()
            .map(|e| OutgoingEvent {
                id: format!("{}.{}.{}", batch.subscription, batch.conversation.0, e.seq.0),
                kind: e.kind,
                conversation: batch.conversation,
                seq: e.seq,
                entry: by_seq.remove(&e.seq),
            })
            .collect())
    }

    /// A batch's entries from the log, as they are now (those still there).
    async fn read_batch(&self, batch: &WebhookBatch, first: Seq) -> Result<Vec<Entry>> {
        let last = batch.events.last().map_or(first, |e| e.seq);
        let span = usize::try_from(last.0.saturating_sub(first.0)).unwrap_or(usize::MAX).saturating_add(1);
        // The batch's entries in one read of their span when they lie close together (a
        // `message` subscription's); one by one when they are scattered (a `mention` one's in a
        // busy group), so that a batch never reads more than about twice its own entries.
        if span <= batch.events.len().saturating_mul(2).saturating_add(16) {
            Ok(self
                .log
                .entries(
                    batch.conversation,
                    Page::After(Seq(first.0.saturating_sub(1))),
                    Seq(0),
                    Some(Seq(last.0.saturating_add(1))),
                    span,
                    batch.bot,
                )
                .await?)
        } else {
            let mut found = Vec::with_capacity(batch.events.len());
            for e in &batch.events {
                found.extend(self.log.entry(batch.conversation, e.seq).await?);
            }
            Ok(found)
        }
    }

    /// The wait before the next attempt at a batch that failed after `attempts` before.
    fn backoff_ms(&self, attempts: u32) -> i64 {
        let s = &self.deps.settings;
        let wait = s.webhook_retry_initial_ms.max(1).saturating_mul(1u64 << attempts.min(30));
        i64::try_from(wait.min(s.webhook_retry_max_ms.max(1))).unwrap_or(i64::MAX)
    }

    /// A subscription spent its failure budget: whoever manages its bot (its owner, the
    /// domain's administrators) is told in their notification centre, and it is recorded.
    async fn tell_disabled(&self, bot: &crate::model::Account, subscription: &Subscription) {
        use crate::inbox::{NewNotifications, NotificationKind, Recipients};
        tracing::warn!(target: "magpie::security", bot = %bot.addr, url = %subscription.url,
            failures = subscription.failures, "an event subscription was disabled after failing");
        let key = format!("app_disabled:{}:{}", subscription.id, subscription.disabled_at_ms.unwrap_or(0));
        let text = format!("{} — {}", subscription.url, subscription.last_error.as_deref().unwrap_or(""));
        let now = self.deps.clock.now_ms();
        let mut to = vec![Recipients::Admins(bot.domain_id)];
        match self.store.bot(bot.id).await {
            Ok(Some(b)) => to.extend(b.owner.map(|o| Recipients::Accounts(vec![o]))),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read a bot's owner"),
        }
        for to in to {
            let new = NewNotifications {
                text: Some(text.chars().take(crate::inbox::TEXT_CHARS_MAX).collect()),
                ..NewNotifications::by(to, NotificationKind::AppDisabled, key.clone(), bot, now)
            };
            if let Err(e) = self.stores.inbox.add_notifications(new).await {
                tracing::warn!(error = %e, bot = %bot.addr, "cannot tell of a disabled event subscription");
            }
        }
        let change = crate::audit::Change::new("bot.subscription_disabled", Some(bot.domain_id), bot.addr.to_string())
            .after(described(subscription));
        self.deps.audit(Actor::Operator, change).await;
    }
}

/// A claim's batches as requests: those of one subscription together, in the order claimed,
/// each request at most [`EVENTS_PER_REQUEST_MAX`] events (a batch is never split, so each
/// conversation's events stay in one request, in order).
fn requests_of(batches: Vec<WebhookBatch>) -> Vec<Vec<WebhookBatch>> {
    let mut requests: Vec<(usize, Vec<WebhookBatch>)> = Vec::new();
    // The request each subscription is filling.
    let mut open: HashMap<i64, usize> = HashMap::new();
    for batch in batches {
        let len = batch.events.len();
        match open.get(&batch.subscription) {
            Some(&at) if requests[at].0 + len <= EVENTS_PER_REQUEST_MAX => {
                requests[at].0 += len;
                requests[at].1.push(batch);
            }
            _ => {
                open.insert(batch.subscription, requests.len());
                requests.push((len, vec![batch]));
            }
        }
    }
    requests.into_iter().map(|(_, request)| request).collect()
}

/// A request finished, its outcome waiting to be written; the room it took in the sender is
/// given back with it.
struct Done {
    outcome: WebhookOutcome,
    bot: crate::model::Account,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// The follower's handler: events for the subscriptions each entry concerns.
struct Writer {
    hooks: Webhooks,
    /// Bots' addresses, to tell their mentions (`None`: turned off, so given no events); read
    /// afresh every [`BOTS_REREAD`].
    addrs: HashMap<AccountId, Option<AccountAddr>>,
    read_at: std::time::Instant,
}

/// How long the follower trusts what it read of the subscribed bots (whether each is turned
/// off).
const BOTS_REREAD: std::time::Duration = std::time::Duration::from_secs(30);

#[async_trait]
impl LogHandler for Writer {
    async fn handle(&mut self, items: &[Committed]) -> Result<()> {
        let entries: Vec<&Entry> = items
            .iter()
            .filter_map(|i| match i {
                Committed::Entry { entry, .. } => Some(entry.as_ref()),
                Committed::Event(_) => None,
            })
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        let conversations: Vec<ConversationId> =
            entries.iter().map(|e| e.conversation).collect::<HashSet<_>>().into_iter().collect();
        // With no subscriber here, the loop below only forgets what these entries change.
        let subscribers = self.hooks.store.webhook_subscribers(&conversations).await?;
        let mut by_conversation: HashMap<ConversationId, Vec<&Subscription>> = HashMap::new();
        for (conversation, subscription) in &subscribers {
            by_conversation.entry(*conversation).or_default().push(subscription);
        }
        if self.read_at.elapsed() > BOTS_REREAD {
            self.addrs.clear();
            self.read_at = std::time::Instant::now();
        }
        for (_, s) in &subscribers {
            if !self.addrs.contains_key(&s.bot) {
                let account = self.hooks.stores.accounts.account_by_id(s.bot).await?;
                self.addrs.insert(s.bot, account.filter(|a| !a.disabled).map(|a| a.addr));
            }
        }
        let mut events = Vec::new();
        {
            let mut recent = self.hooks.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for entry in entries {
                recent.forget_changed_by(entry);
                let before = events.len();
                for subscription in by_conversation.get(&entry.conversation).into_iter().flatten() {
                    let Some(Some(bot)) = self.addrs.get(&subscription.bot) else { continue };
                    if let Some(kind) = kind_for(entry, subscription, bot) {
                        events.push(NewWebhookEvent {
                            subscription: subscription.id,
                            conversation: entry.conversation,
                            seq: entry.seq,
                            kind,
                        });
                    }
                }
                if events.len() > before {
                    recent.keep(entry);
                }
            }
        }
        if events.is_empty() {
            return Ok(());
        }
        let now = self.hooks.deps.clock.now_ms();
        let written = self.hooks.store.enqueue_webhook_events(&events, now, PENDING_PER_SUBSCRIPTION_MAX).await?;
        if written > 0 {
            self.hooks.wake.notify_one();
        }
        Ok(())
    }
}

/// The event `entry` is for `subscription` (of the bot at `bot`), if any: never the bot's own.
fn kind_for(entry: &Entry, subscription: &Subscription, bot: &AccountAddr) -> Option<EventKind> {
    use crate::chat::op;
    if entry.sender == subscription.bot {
        return None;
    }
    let wants = |k: EventKind| subscription.events.contains(&k);
    match entry.kind.as_str() {
        op::SYSTEM => (entry.changes_membership() && wants(EventKind::Member)).then_some(EventKind::Member),
        op::EDIT | op::RECALL | op::REACTION => wants(EventKind::Update).then_some(EventKind::Update),
        _ if wants(EventKind::Message) => Some(EventKind::Message),
        _ if wants(EventKind::Mention) && (entry.mention_all || entry.mentions.contains(bot)) => {
            Some(EventKind::Mention)
        }
        _ => None,
    }
}

/// Kinds by name: at least one, each known, each once.
fn events(names: &[String]) -> Result<Vec<EventKind>> {
    let mut kinds = Vec::new();
    for name in names {
        let kind = EventKind::parse(name).ok_or_else(|| {
            Error::invalid(
                "events",
                format!("unknown event {name:?} (message, mention, member, update, card_action, command)"),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(Error::invalid("events", "name at least one event"));
    }
    kinds.sort();
    Ok(kinds)
}

fn new_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A subscription as the audit log records it (never its secret).
fn described(s: &Subscription) -> serde_json::Value {
    serde_json::json!({
        "subscription": s.id,
        "url": s.url,
        "events": s.events.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "enabled": s.enabled,
    })
}

/// The `X-Magpie-Signature` of a request: `v1=` and the hex HMAC-SHA256, keyed by the
/// subscription's secret, of the timestamp (`X-Magpie-Timestamp`, Unix seconds), a `.` and the
/// body.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac as _;
    let mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes());
    let Ok(mut mac) = mac else { return String::new() };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + digest.len() * 2);
    out.push_str("v1=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(subscription: i64, conversation: i64, len: usize) -> WebhookBatch {
        let events = (1..=len)
            .map(|i| WebhookEvent {
                id: conversation * 1000 + i as i64,
                seq: Seq(i as i64),
                kind: EventKind::Message,
                attempts: 0,
            })
            .collect();
        WebhookBatch {
            subscription,
            bot: AccountId(subscription),
            url: format!("https://app.example/{subscription}"),
            secret: "s".into(),
            conversation: ConversationId(conversation),
            events,
        }
    }

    #[test]
    fn a_claims_streams_go_out_as_one_request_per_subscription_each_stream_whole() {
        let claimed = vec![batch(1, 10, 3), batch(2, 20, 1), batch(1, 11, 2), batch(2, 21, 4), batch(1, 12, 1)];
        let requests = requests_of(claimed);
        let shape: Vec<Vec<(i64, i64)>> =
            requests.iter().map(|r| r.iter().map(|b| (b.subscription, b.conversation.0)).collect()).collect();
        assert_eq!(shape, vec![vec![(1, 10), (1, 11), (1, 12)], vec![(2, 20), (2, 21)]], "in the order claimed");
        // Full requests: a stream that would take one past the bound starts the next; none is split.
        let big = BATCH_LEN_MAX;
        let many: Vec<WebhookBatch> =
            (0..(EVENTS_PER_REQUEST_MAX / big + 1) as i64).map(|c| batch(1, c, big)).collect();
        let requests = requests_of(many);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].iter().map(|b| b.events.len()).sum::<usize>(), EVENTS_PER_REQUEST_MAX);
        assert_eq!(requests[1].len(), 1);
        assert!(requests.iter().flatten().all(|b| b.events.len() == big));
    }

    fn entry(seq: i64, kind: &str, target: Option<i64>, thread: Option<i64>) -> Entry {
        Entry {
            conversation: ConversationId(1),
            seq: Seq(seq),
            id: crate::model::EntryId(seq),
            sender: AccountId(7),
            sender_addr: AccountAddr::parse("author@acme.example").unwrap(),
            session: None,
            client_msg_id: None,
            kind: kind.to_owned(),
            body: Some(serde_json::json!({"text": "hi"})),
            target: target.map(Seq),
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: thread.map(Seq),
            broadcast: false,
            thread_summary: None,
            forwarded_from: None,
            at_ms: 0,
            edited_at_ms: None,
            recalled_at_ms: None,
            reactions: vec![],
            hidden: false,
        }
    }

    #[test]
    fn the_sender_is_handed_entries_as_they_committed_until_something_changes_them() {
        let mut recent = Recent::default();
        let key = |seq| (ConversationId(1), Seq(seq));
        for seq in 1..=4 {
            recent.keep(&entry(seq, "text", None, None));
        }
        // An edit of 1 and a reply in 2's thread: both read from the log from now on.
        recent.forget_changed_by(&entry(5, crate::chat::op::EDIT, Some(1), None));
        recent.forget_changed_by(&entry(6, "text", None, Some(2)));
        assert!(!recent.entries.contains_key(&key(1)) && !recent.entries.contains_key(&key(2)));
        assert!(recent.entries.contains_key(&key(3)) && recent.entries.contains_key(&key(4)));
        let cost = recent.entries[&key(3)].1;
        assert_eq!(recent.bytes, 2 * cost, "what is forgotten no longer counts");
        // Kept twice is kept once; past the bound the oldest go first.
        recent.keep(&entry(3, "text", None, None));
        assert_eq!(recent.bytes, 2 * cost);
        let fit = RECENT_BYTES_MAX / cost;
        for seq in 10..10 + fit as i64 {
            recent.keep(&entry(seq, "text", None, None));
        }
        assert!(recent.bytes <= RECENT_BYTES_MAX);
        assert_eq!(recent.entries.len(), fit);
        assert!(!recent.entries.contains_key(&key(3)) && recent.entries.contains_key(&key(10)));
        // An entry larger than the whole bound is not kept (it is read from the log).
        let mut huge = entry(1, "text", None, None);
        huge.body = Some(serde_json::json!({"text": "x".repeat(RECENT_BYTES_MAX)}));
        recent.keep(&huge);
        assert!(!recent.entries.contains_key(&key(1)) && recent.bytes <= RECENT_BYTES_MAX);
    }

    #[test]
    fn events_are_named_known_and_kept_once() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            events(&names(&["mention", "message", "mention"])).unwrap(),
            [EventKind::Message, EventKind::Mention]
        );
        assert!(matches!(events(&[]), Err(Error::InvalidField { ref field, .. }) if field == "events"));
        assert!(matches!(events(&names(&["typing"])), Err(Error::InvalidField { ref field, .. }) if field == "events"));
    }

    #[test]
    fn a_signature_is_the_hmac_of_the_timestamp_and_body() {
        // What Python's `hmac.new(b"whsec_a", b'1700000000.{"events":[]}', "sha256").hexdigest()` says.
        let expected = "v1=f19002bc1bd3404714ccdbb20142c9d941c375df20fb4f84d053f4ed52003afe";
        assert_eq!(signature("whsec_a", 1_700_000_000, br#"{"events":[]}"#), expected);
        assert_ne!(signature("whsec_b", 1_700_000_000, br#"{"events":[]}"#), expected);
    }
}
