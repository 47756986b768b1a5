//! Push (issue 17): telling an account's devices of a message while no socket of theirs is
//! open: browsers by Web Push, phones through APNs, FCM or an operator's HTTP push gateway (which
//! bridges to the vendors' channels: Huawei, Xiaomi, OPPO, vivo…).
//!
//! **How.** A device registers a [`PushTarget`] (its subscription or token) under its session.
//! A durable follower of the log ([`Push::start`]) takes messages as they commit, asks the
//! store who of the conversation's members has a target ([`PushStore::push_audience`], once per
//! conversation and sender of what it handles at once), applies the one rule of
//! [`crate::notify::decide`] to each, and writes one **push job** per message and notice
//! (members told for the same reason, with the same preview, share one) holding the targets it
//! goes to, all in one write. A sender loop on every node claims due jobs, reads the targets of
//! one conversation's jobs and who has read how far there (who has read a message is skipped),
//! hands the rest to the channel's [`PushSender`] in batches, and finishes the jobs in one
//! write: the pushes to retry become rows of the push outbox, which the same loop claims and
//! sends one by one with backoff.
//!
//! Jobs rather than one outbox row per push: a message to a 10,000-member group would
//! otherwise cost some 9,000 row writes three times over (queued, claimed, done) on the store's
//! one writer that sends use too; a job costs a few (BENCHMARKS.md, "Pushes to a
//! 10,000-member group").
//!
//! **Invariants.**
//! - Push follows the log, never the live path: what committed is pushed even if the process
//!   died the moment after (the follower resumes at its saved cursor).
//! - At most one push per message and target, but for a send a crash interrupts: a message's
//!   jobs are written together, the first of them stands for all, and done jobs are kept for
//!   [`Settings::push_keep_secs`], so that a follower that handles a message again (after a
//!   crash, or on another node) adds nothing; a retried push is one outbox row per
//!   `(target, conversation, seq)`. A job or row whose sender a crash interrupts is claimed again
//!   after its claim ([`Settings::push_claim_secs`]) runs out and sent again: a gateway may see a
//!   push twice and tells them apart by [`PushNotice::event_key`].
//! - Never for a conversation the member may not read, never for a session that ended: the
//!   audience holds active members and live sessions only, read when the message is handled,
//!   and a member who joined after the message is not told of it; a target deleted or moved to
//!   another account before the send is skipped.
//! - A target the service says is gone (Web Push 404/410, APNs `Unregistered`, FCM
//!   `UNREGISTERED`, a gateway's `rejected`) is dropped; a push the service refuses for good
//!   (another 4xx) is given up; anything else is retried with exponential backoff up to
//!   [`Settings::push_attempts_max`]. Every give-up and drop is kept for the admin's view.
//! - Bounded: targets per account ([`Settings::push_targets_per_account_max`]); pushes waiting,
//!   the targets of pending jobs and the outbox's pending rows together
//!   ([`Settings::push_outbox_len_max`]: past it, once the sender made no room for
//!   [`OUTBOX_FULL_WAIT`], a message's new pushes are dropped and counted, a notification is not
//!   worth refusing a message for); what one pass of the sender holds
//!   ([`JOB_CLAIM_LEN_MAX`], [`JOB_CLAIM_TARGETS_MAX`], [`CLAIM_LEN_MAX`]) and what the follower
//!   keeps of the messages it handles at once ([`DECIDE_TARGETS_MAX`], [`AUDIENCE_MEMBERS_MAX`]).
//!
//! [`Settings::push_keep_secs`]: crate::Settings::push_keep_secs
//! [`Settings::push_claim_secs`]: crate::Settings::push_claim_secs
//! [`Settings::push_attempts_max`]: crate::Settings::push_attempts_max
//! [`Settings::push_targets_per_account_max`]: crate::Settings::push_targets_per_account_max
//! [`Settings::push_outbox_len_max`]: crate::Settings::push_outbox_len_max

use std::collections::hash_map::Entry::Vacant;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::ConversationKind;
use crate::chat::{Committed, Entry};
use crate::content::kind;
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::model::{AccountId, ConversationId, DomainId, Principal, Seq, SessionId};
use crate::names::AccountAddr;
use crate::notify::{ConversationPrefs, Message, NotifyPrefs, Recipient, Why};
use crate::ports::{PushStore, Stores};
use crate::{Deps, Error, Result};

/// Longest Web Push endpoint URL, in bytes.
pub const ENDPOINT_BYTES_MAX: usize = 2048;
/// Longest device token, gateway push key or app id, in bytes.
pub const TOKEN_BYTES_MAX: usize = 4096;
/// Longest gateway or app id name, in bytes.
pub const NAME_BYTES_MAX: usize = 128;
/// Characters of a message's text a push shows (when the account lets it).
pub const PREVIEW_CHARS_MAX: usize = 140;
/// Outbox rows (pushes being retried) one pass of the sender claims.
pub const CLAIM_LEN_MAX: usize = 2000;
/// Push jobs one pass of the sender claims.
pub const JOB_CLAIM_LEN_MAX: usize = 256;
/// Targets of the push jobs one pass of the sender claims, in all (a job with more is claimed
/// alone): some ten messages to a big group, whose targets are then read once.
pub const JOB_CLAIM_TARGETS_MAX: usize = 100_000;
/// Pushes the follower writes in one write, about: past it, the messages it handles at once go
/// in several.
pub const DECIDE_TARGETS_MAX: usize = 100_000;
/// Members of the audiences the follower keeps while it handles messages at once: past it, it
/// forgets them and reads them again.
pub const AUDIENCE_MEMBERS_MAX: usize = 100_000;
/// How long the follower waits for the sender to make room in a full outbox before it drops a
/// message's pushes.
pub const OUTBOX_FULL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Pushes one node hands to the services at the same time.
pub const SENDS_AT_ONCE: usize = 64;
/// Failures listed at most per request of the admin's view.
pub const FAILURES_PAGE_LEN_MAX: usize = 200;
/// The name the push follower saves its cursor under.
pub const FOLLOWER: &str = "push";

/// How a device is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    /// A browser's Web Push subscription (RFC 8030, VAPID, RFC 8291).
    WebPush,
    /// An operator's HTTP push gateway (see protocol.md), by name from the configuration.
    Gateway,
    /// Apple's push service.
    Apns,
    /// Firebase Cloud Messaging (v1 API).
    Fcm,
}

impl PushKind {
    pub const ALL: [PushKind; 4] = [PushKind::WebPush, PushKind::Gateway, PushKind::Apns, PushKind::Fcm];

    pub fn as_str(self) -> &'static str {
        match self {
            PushKind::WebPush => "web_push",
            PushKind::Gateway => "gateway",
            PushKind::Apns => "apns",
            PushKind::Fcm => "fcm",
        }
    }

    pub fn parse(s: &str) -> Option<PushKind> {
        PushKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a device's pushes go, as its platform gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushAddress {
    /// A `PushSubscription`: the push service's URL and the browser's keys (base64url).
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
    /// A device known to gateway `gateway` as `pushkey` of app `app_id`.
    Gateway {
        gateway: String,
        app_id: String,
        pushkey: String,
    },
    Apns {
        token: String,
    },
    Fcm {
        token: String,
    },
}

impl PushAddress {
    pub fn kind(&self) -> PushKind {
        match self {
            PushAddress::WebPush { .. } => PushKind::WebPush,
            PushAddress::Gateway { .. } => PushKind::Gateway,
            PushAddress::Apns { .. } => PushKind::Apns,
            PushAddress::Fcm { .. } => PushKind::Fcm,
        }
    }

    /// What identifies the device to its service: one target per key (a browser that signs in
    /// as someone else moves its subscription over).
    pub fn key(&self) -> String {
        match self {
            PushAddress::WebPush { endpoint, .. } => format!("web_push:{endpoint}"),
            PushAddress::Gateway { gateway, app_id, pushkey } => format!("gateway:{gateway}:{app_id}:{pushkey}"),
            PushAddress::Apns { token } => format!("apns:{token}"),
            PushAddress::Fcm { token } => format!("fcm:{token}"),
        }
    }

    /// The address as kept: every field checked (`invalid_field` names the first broken one).
    fn validated(self, gateways: &[String]) -> Result<PushAddress> {
        match &self {
            PushAddress::WebPush { endpoint, p256dh, auth } => {
                if endpoint.len() > ENDPOINT_BYTES_MAX {
                    return Err(Error::too_large("endpoint", ENDPOINT_BYTES_MAX, crate::Unit::Bytes));
                }
                let url = url::Url::parse(endpoint).map_err(|_| Error::invalid("endpoint", "is not a URL"))?;
                if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
                    return Err(Error::invalid("endpoint", "must be an https URL"));
                }
                if decode_b64url(p256dh).is_none_or(|k| k.len() != 65 || k[0] != 4) {
                    return Err(Error::invalid("p256dh", "must be an uncompressed P-256 public key in base64url"));
                }
                if decode_b64url(auth).is_none_or(|k| k.len() != 16) {
                    return Err(Error::invalid("auth", "must be a 16-byte secret in base64url"));
                }
            }
            PushAddress::Gateway { gateway, app_id, pushkey } => {
                if !gateways.iter().any(|g| g == gateway) {
                    return Err(Error::invalid("gateway", "is not a push gateway of this server"));
                }
                check_token("app_id", app_id, NAME_BYTES_MAX)?;
                check_token("pushkey", pushkey, TOKEN_BYTES_MAX)?;
            }
            PushAddress::Apns { token } | PushAddress::Fcm { token } => check_token("token", token, TOKEN_BYTES_MAX)?,
        }
        Ok(self)
    }
}

fn check_token(field: &'static str, value: &str, bytes_max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > bytes_max {
        return Err(Error::too_large(field, bytes_max, crate::Unit::Bytes));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(field, "must not hold spaces or control characters"));
    }
    Ok(())
}

/// Base64url, with or without padding, as browsers hand out keys.
pub fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// A device's registration for pushes, under one of its account's sessions: it ends with the
/// session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub id: i64,
    pub account: AccountId,
    pub session: SessionId,
    pub address: PushAddress,
    pub created_at_ms: i64,
}

/// A target to keep.
#[derive(Debug, Clone)]
pub struct NewPushTarget {
    pub account: AccountId,
    pub session: SessionId,
    pub address: PushAddress,
}

/// What a push tells: enough for a notification (who, where, maybe what) and for opening the
/// conversation at the message. What services carry, so nothing else of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushNotice {
    /// `"<conversation>:<seq>"`: the same for every push of one message to one account, so
    /// that a receiver tells a repeat from a new message.
    pub event_key: String,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub why: Why,
    /// A direct chat (else a group or channel named `conversation_name`).
    pub direct: bool,
    /// The message's kind (`text`, `image`, …), for a client to say "[Image]" in its language.
    pub kind: String,
    /// The sender's address, `name@domain`.
    pub sender: String,
    pub sender_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_name: Option<String>,
    /// The start of the text, unless the account wants pushes without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    pub at_ms: i64,
}

/// A push in the outbox, with the target it goes to.
#[derive(Debug, Clone)]
pub struct QueuedPush {
    pub id: i64,
    pub target: PushTarget,
    pub notice: PushNotice,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Where the account has read up to in the conversation now.
    pub read_seq: Seq,
}

/// One message's pushes told for one reason: what the follower writes (see
/// [`PushStore::enqueue_push_jobs`]).
#[derive(Debug, Clone)]
pub struct NewPushJob {
    pub notice: PushNotice,
    /// The targets it goes to, each with its account.
    pub targets: Vec<(i64, AccountId)>,
}

/// A push job a sender claimed.
#[derive(Debug, Clone)]
pub struct PushJob {
    pub id: i64,
    pub notice: PushNotice,
    /// The targets it goes to, each with the account it had when the job was written.
    pub targets: Vec<(i64, AccountId)>,
}

/// What claimed jobs of one conversation go to, as it is now (see
/// [`PushStore::push_job_targets`]).
#[derive(Debug, Clone, Default)]
pub struct JobTargets {
    /// Their targets still kept.
    pub targets: Vec<PushTarget>,
    /// The members who have read the conversation up to the first job's message or further,
    /// with how far.
    pub read: Vec<(AccountId, Seq)>,
}

/// What became of one push of a job that was not simply sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPushOutcome {
    pub target: i64,
    pub account: AccountId,
    pub kind: PushKind,
    pub outcome: PushOutcome,
}

/// A claimed job, sent: what to write of it (see [`PushStore::finish_push_jobs`]).
#[derive(Debug, Clone)]
pub struct FinishedJob {
    pub id: i64,
    /// Its pushes that were not sent (a [`PushOutcome::Sent`] here is not written).
    pub outcomes: Vec<JobPushOutcome>,
}

/// What became of a claimed push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Handed to the service (or not needed any more: read meanwhile).
    Sent,
    /// Failed for now: due again at `at_ms`.
    Retry { at_ms: i64, error: String },
    /// Given up: refused for good, or out of attempts.
    Failed { error: String },
    /// The service says the device is gone: the target is dropped (its waiting pushes too).
    TargetGone { error: String },
}

/// A push given up or a target dropped, for the admin's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushFailure {
    pub id: i64,
    pub at_ms: i64,
    pub account: AccountAddr,
    pub kind: PushKind,
    /// The target was dropped (the service said it is gone).
    pub target_dropped: bool,
    pub error: String,
    pub attempts: u32,
}

/// A member who might be told, with what the rule needs: one row per member with at least one
/// target of a live session.
#[derive(Debug, Clone)]
pub struct Audience {
    pub account: AccountId,
    pub addr: AccountAddr,
    /// Where the member's current membership began.
    pub joined_seq: Seq,
    pub read_seq: Seq,
    pub conversation: ConversationPrefs,
    pub prefs: Option<NotifyPrefs>,
    pub blocked_sender: bool,
    pub targets: Vec<i64>,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// Worth another try later (a 5xx, 429, a timeout, no connection).
    Retry(String),
    /// Refused for good (a 4xx other than the target's end).
    Rejected(String),
    /// The device is gone (unsubscribed, uninstalled, token expired).
    Gone(String),
}

impl PushError {
    fn message(&self) -> &str {
        match self {
            PushError::Retry(m) | PushError::Rejected(m) | PushError::Gone(m) => m,
        }
    }
}

/// One push service, as an adapter reaches it.
#[async_trait]
pub trait PushSender: Send + Sync + 'static {
    /// Hands one notice to the service for one device; `Ok` once the service took it.
    async fn send(&self, device: Device<'_>, notice: &PushNotice) -> std::result::Result<(), PushError>;

    /// Whether the service shows a badge number on the app's icon: then each [`Device`] comes
    /// with its account's.
    fn shows_badges(&self) -> bool {
        false
    }

    /// The most targets one request to this service carries; 1 (the default) sends each alone.
    fn batch_len_max(&self) -> usize {
        1
    }

    /// Targets with the same key (and the same notice) may share a request: their service's
    /// endpoint, say.
    fn batch_key(&self, _target: &PushTarget) -> String {
        String::new()
    }

    /// Hands one notice to the service for each of `devices` (of one [`PushSender::batch_key`],
    /// at most [`PushSender::batch_len_max`]): each device's outcome, in order. By default one
    /// [`PushSender::send`] after another.
    async fn send_batch(&self, devices: &[Device<'_>], notice: &PushNotice) -> Vec<std::result::Result<(), PushError>> {
        let mut out = Vec::with_capacity(devices.len());
        for device in devices {
            out.push(self.send(*device, notice).await);
        }
        out
    }
}

/// One device a notice goes to, with the badge number its app shows when the service shows
/// badges ([`PushSender::shows_badges`]): how many of the account's conversations have unread
/// messages, muted ones aside (see [`crate::ports::InboxStore::badges`]).
#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    pub target: &'a PushTarget,
    pub badge: Option<u32>,
}

/// The push services this server reaches, from its configuration.
#[derive(Clone, Default)]
pub struct PushChannels {
    pub senders: HashMap<PushKind, Arc<dyn PushSender>>,
    /// The VAPID public key browsers subscribe with (base64url), when Web Push is on.
    pub vapid_public_key: Option<String>,
    /// The HTTP push gateways' names.
    pub gateways: Vec<String>,
}

/// What push has done since start, for `/metrics`.
#[derive(Debug, Default)]
pub struct PushStatus {
    /// Pushes written into jobs.
    pub queued: AtomicU64,
    /// Handed to a service.
    pub sent: AtomicU64,
    /// Not sent: the message was read first.
    pub read_first: AtomicU64,
    /// Attempts that failed and will be retried.
    pub retried: AtomicU64,
    /// Given up (refused, out of attempts) or the target dropped.
    pub failed: AtomicU64,
    /// Not queued: the outbox (pending jobs' targets and rows) was full.
    pub dropped: AtomicU64,
}

/// The push service: registrations, the follower that decides, the outbox's sender.
#[derive(Clone)]
pub struct Push {
    deps: Arc<Deps>,
    stores: Stores,
    store: Arc<dyn PushStore>,
    wake: Arc<tokio::sync::Notify>,
    /// Told when the sender finished what it claimed (room may have come free).
    finished: Arc<tokio::sync::Notify>,
    pub status: Arc<PushStatus>,
}

impl Push {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Push {
        Push {
            deps,
            stores: stores.clone(),
            store: stores.push.clone(),
            wake: Arc::new(tokio::sync::Notify::new()),
            finished: Arc::new(tokio::sync::Notify::new()),
            status: Arc::new(PushStatus::default()),
        }
    }

    fn channels(&self) -> Option<&PushChannels> {
        self.deps.push.get()
    }

    /// The channels this server pushes through, and the VAPID key browsers need.
    pub fn config(&self) -> (Vec<PushKind>, Option<String>, Vec<String>) {
        let Some(ch) = self.channels() else { return (vec![], None, vec![]) };
        let kinds = PushKind::ALL.into_iter().filter(|k| ch.senders.contains_key(k)).collect();
        (kinds, ch.vapid_public_key.clone(), ch.gateways.clone())
    }

    /// Registers the caller's device for pushes (under the caller's session, so it ends with
    /// it); registering the same subscription or token again moves it to this session.
    /// `invalid_field` (`kind`) when this server does not push through that channel: that is
    /// its configuration, not a passing state, so a retry would not help.
    pub async fn register(&self, caller: &Principal, address: PushAddress) -> Result<PushTarget> {
        let kind = address.kind();
        let ch = self.channels().filter(|ch| ch.senders.contains_key(&kind));
        let Some(ch) = ch else {
            return Err(Error::invalid("kind", format!("this server does not push to {}", kind.as_str())));
        };
        let address = address.validated(&ch.gateways)?;
        let new = NewPushTarget { account: caller.account.id, session: caller.session.id, address };
        let max = self.deps.settings.push_targets_per_account_max;
        match self.store.put_push_target(&new, self.deps.clock.now_ms(), max).await? {
            Some(target) => Ok(target),
            None => Err(Error::LimitExceeded("push targets per account")),
        }
    }

    /// The caller's devices registered for pushes, oldest first.
    pub async fn targets(&self, caller: &Principal) -> Result<Vec<PushTarget>> {
        Ok(self.store.push_targets(caller.account.id).await?)
    }

    /// Forgets one of the caller's targets; `not_found` if it has no such target.
    pub async fn unregister(&self, caller: &Principal, id: i64) -> Result<()> {
        if self.store.delete_push_target(caller.account.id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("push target"))
        }
    }

    /// Pushes given up and targets dropped, newest first, of one domain or (`None`) all.
    pub async fn failures(&self, domain: Option<DomainId>, limit: usize) -> Result<Vec<PushFailure>> {
        Ok(self.store.push_failures(domain, limit.clamp(1, FAILURES_PAGE_LEN_MAX)).await?)
    }

    /// Pushes waiting: the devices of jobs not sent yet and the pushes being retried.
    pub async fn outbox_len(&self) -> Result<u64> {
        Ok(self.store.push_outbox_len().await?)
    }

    /// Starts the follower that decides who is told (from its saved cursor, or the log's head
    /// the first time: history is not pushed) and the outbox's sender, on the current tokio
    /// runtime. Nothing without a push channel.
    pub fn start(&self, poll: std::time::Duration) -> Option<Arc<FollowerStatus>> {
        self.channels().filter(|ch| !ch.senders.is_empty())?;
        let decider = Decider { push: self.clone() };
        let follower = Follower::new(
            FOLLOWER,
            self.stores.log.clone(),
            Some(self.stores.cursors.clone()),
            self.deps.bus.clone(),
            decider,
        )
        .with_poll_interval(poll);
        let status = follower.status();
        tokio::spawn(follower.run(Start::Head));
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(poll);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pruned_at = 0_i64;
            loop {
                let jobs_full = match this.send_due_jobs().await {
                    Ok(full) => full,
                    Err(e) => {
                        tracing::warn!(error = %e, "push jobs");
                        false
                    }
                };
                let rows_full = match this.send_due().await {
                    Ok(n) => n == CLAIM_LEN_MAX,
                    Err(e) => {
                        tracing::warn!(error = %e, "push outbox");
                        false
                    }
                };
                let now = this.deps.clock.now_ms();
                if now - pruned_at > 60_000 {
                    pruned_at = now;
                    let before = now - crate::settings::millis(this.deps.settings.push_keep_secs);
                    if let Err(e) = this.store.prune_pushes(before).await {
                        tracing::warn!(error = %e, "cannot prune the push outbox");
                    }
                }
                // A full claim means more may be due: take the next at once.
                if jobs_full || rows_full {
                    continue;
                }
                tokio::select! {
                    () = this.wake.notified() => {}
                    _ = ticks.tick() => {}
                }
            }
        });
        Some(status)
    }

    /// Decides who is told of `entries` (messages, in log order) and queues their pushes in one
    /// write: per message, one job per notice. The audience is read once per conversation and
    /// sender of the batch, so that a burst of messages to a big group costs one read of its
    /// members, not one each; a member who joined after a message is not told of it.
    async fn decide(&self, entries: &[&Entry]) -> Result<()> {
        let now = self.deps.clock.now_ms();
        let mut audiences: HashMap<(ConversationId, AccountId), Vec<Audience>> = HashMap::new();
        let mut conversations: HashMap<ConversationId, Option<crate::chat::Conversation>> = HashMap::new();
        let mut sender_names: HashMap<AccountId, String> = HashMap::new();
        let mut audience_members = 0_usize;
        let mut jobs: Vec<NewPushJob> = Vec::new();
        let mut job_targets = 0_usize;
        for entry in entries {
            // Bounded: past so many pushes they are written, and past so many members kept the
            // audiences are read again.
            if job_targets >= DECIDE_TARGETS_MAX {
                self.enqueue(&std::mem::take(&mut jobs), now).await?;
                job_targets = 0;
            }
            if audience_members >= AUDIENCE_MEMBERS_MAX {
                audiences.clear();
                audience_members = 0;
            }
            let key = (entry.conversation, entry.sender);
            if let Vacant(slot) = audiences.entry(key) {
                let audience = self.store.push_audience(entry.conversation, entry.sender, now).await?;
                audience_members += audience.len();
                slot.insert(audience);
            }
            let audience = audiences.get(&key).map(Vec::as_slice).unwrap_or_default();
            if audience.is_empty() {
                continue;
            }
            if let Vacant(slot) = conversations.entry(entry.conversation) {
                slot.insert(self.stores.log.conversation(entry.conversation).await?);
            }
            let Some(Some(conversation)) = conversations.get(&entry.conversation) else { continue };
            let told = self.told(entry, conversation, audience, now);
            if told.is_empty() {
                continue;
            }
            if let Vacant(slot) = sender_names.entry(entry.sender) {
                let account = self.stores.accounts.account_by_id(entry.sender).await?;
                slot.insert(account.map_or_else(|| entry.sender_addr.name.to_string(), |a| a.profile.display_name));
            }
            let sender_name = sender_names.get(&entry.sender).cloned().unwrap_or_default();
            let direct = conversation.kind == ConversationKind::Direct;
            let text = body_text(&entry.kind, entry.body.as_ref());
            for ((why, shown), targets) in told {
                let notice = PushNotice {
                    event_key: format!("{}:{}", entry.conversation.0, entry.seq.0),
                    conversation: entry.conversation,
                    seq: entry.seq,
                    why,
                    direct,
                    kind: entry.kind.clone(),
                    sender: entry.sender_addr.to_string(),
                    sender_name: sender_name.clone(),
                    conversation_name: if direct { None } else { conversation.info.name.clone() },
                    preview: text.filter(|_| shown).map(preview),
                    at_ms: entry.at_ms,
                };
                job_targets += targets.len();
                jobs.push(NewPushJob { notice, targets });
            }
        }
        self.enqueue(&jobs, now).await
    }

    /// Writes `jobs` (see [`PushStore::enqueue_push_jobs`]). While the outbox is full it waits
    /// for the sender to finish what it holds, up to [`OUTBOX_FULL_WAIT`], and tries again: a
    /// burst of messages to big groups fills it faster than the sender (which gets the CPU the
    /// rest of the server leaves, and waits on the services) empties it. Still full after that,
    /// the pushes are dropped and counted.
    async fn enqueue(&self, jobs: &[NewPushJob], now: i64) -> Result<()> {
        let wanted: u64 = jobs.iter().map(|job| job.targets.len() as u64).sum();
        if wanted == 0 {
            return Ok(());
        }
        let max = self.deps.settings.push_outbox_len_max;
        let until = tokio::time::Instant::now() + OUTBOX_FULL_WAIT;
        let queued = loop {
            // Made before the try, so that a finish in between is not missed.
            let finished = self.finished.notified();
            let queued = self.store.enqueue_push_jobs(jobs, now, max).await?;
            if queued.is_some() || tokio::time::Instant::now() >= until {
                break queued;
            }
            // Another node's sender makes room unseen here: the last try is at the deadline.
            let _ = tokio::time::timeout_at(until, finished).await;
        };
        match queued {
            Some(n) => {
                self.status.queued.fetch_add(n, Ordering::Relaxed);
                self.wake.notify_one();
            }
            None => {
                tracing::warn!(
                    pushes = wanted,
                    outbox_len_max = self.deps.settings.push_outbox_len_max,
                    "push outbox full; pushes dropped"
                );
                self.status.dropped.fetch_add(wanted, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Who of `audience` is told of `entry`, by the one rule: their targets, grouped by what
    /// their notice says (why they are told, whether it shows the preview), in the order met.
    fn told(&self, entry: &Entry, conversation: &crate::chat::Conversation, audience: &[Audience], now: i64) -> Told {
        let direct = conversation.kind == ConversationKind::Direct;
        let text = body_text(&entry.kind, entry.body.as_ref());
        let mentioned: HashSet<&AccountAddr> = entry.mentions.iter().collect();
        let defaults = NotifyPrefs::default();
        // A handful of groups per message, found by a look along the list.
        let mut told: Told = Vec::new();
        for member in audience {
            // Read now, the audience holds who joined since the message too.
            if member.joined_seq > entry.seq {
                continue;
            }
            let mentions = if mentioned.contains(&member.addr) { std::slice::from_ref(&member.account) } else { &[] };
            let message = Message {
                seq: entry.seq.0,
                sender: entry.sender,
                direct,
                text: text.unwrap_or_default(),
                mentions,
                mentions_all: entry.mention_all,
                thread_only: entry.in_thread_only(),
            };
            let prefs = member.prefs.as_ref().unwrap_or(&defaults);
            let to = Recipient {
                account: member.account,
                member: true,
                blocked_sender: member.blocked_sender,
                read_seq: member.read_seq.0,
                prefs,
                conversation: member.conversation,
            };
            let Ok(why) = crate::notify::decide(&message, &to, now) else { continue };
            let key = (why, text.is_some() && prefs.preview);
            let targets = member.targets.iter().map(|&t| (t, member.account));
            match told.iter_mut().find(|(k, _)| *k == key) {
                Some((_, group)) => group.extend(targets),
                None => told.push((key, targets.collect())),
            }
        }
        told
    }

    /// Sends the due push jobs, one claim's worth: the targets of the jobs of one conversation
    /// read at once, with who has read how far (those who read a job's message are skipped),
    /// batched by notice and sender, every job's batches [`SENDS_AT_ONCE`] at a time; then every
    /// job finished in one write, its pushes to retry moved to the outbox. Whether the claim was
    /// full (more may be due).
    pub async fn send_due_jobs(&self) -> Result<bool> {
        use futures_util::StreamExt as _;
        let Some(channels) = self.channels() else { return Ok(false) };
        let now = self.deps.clock.now_ms();
        let lease_ms = crate::settings::millis(self.deps.settings.push_claim_secs.max(1));
        let jobs = self.store.claim_push_jobs(now, lease_ms, JOB_CLAIM_LEN_MAX, JOB_CLAIM_TARGETS_MAX).await?;
        if jobs.is_empty() {
            return Ok(false);
        }
        let claimed_targets: usize = jobs.iter().map(|job| job.targets.len()).sum();
        let full = jobs.len() == JOB_CLAIM_LEN_MAX || claimed_targets >= JOB_CLAIM_TARGETS_MAX;
        // The jobs by conversation, in the order claimed.
        let mut conversations: Vec<(ConversationId, Vec<usize>)> = Vec::new();
        for (at, job) in jobs.iter().enumerate() {
            match conversations.iter_mut().find(|(c, _)| *c == job.notice.conversation) {
                Some((_, of)) => of.push(at),
                None => conversations.push((job.notice.conversation, vec![at])),
            }
        }
        let mut finished: Vec<FinishedJob> =
            jobs.iter().map(|job| FinishedJob { id: job.id, outcomes: vec![] }).collect();
        // Per job: the targets it goes to by id, to name a failed push's account and kind.
        let mut sent_to: Vec<HashMap<i64, (AccountId, PushKind)>> = vec![HashMap::new(); jobs.len()];
        let mut batches: Vec<Batch> = Vec::new();
        let mut read_first = 0_u64;
        for (conversation, of) in conversations {
            let mut ids: Vec<i64> = of.iter().flat_map(|&at| jobs[at].targets.iter().map(|(t, _)| *t)).collect();
            ids.sort_unstable();
            ids.dedup();
            let read_from = of.iter().map(|&at| jobs[at].notice.seq).min().unwrap_or_default();
            let now_targets = self.store.push_job_targets(conversation, &ids, read_from).await?;
            let targets: HashMap<i64, Arc<PushTarget>> =
                now_targets.targets.into_iter().map(|t| (t.id, Arc::new(t))).collect();
            let read: HashMap<AccountId, Seq> = now_targets.read.into_iter().collect();
            for at in of {
                let job = &jobs[at];
                let notice = Arc::new(job.notice.clone());
                let mut pushes = Vec::with_capacity(job.targets.len());
                for (id, account) in &job.targets {
                    // A target deleted since the job was written is skipped, and so is a
                    // device that moved to another account: it is not this push's any more.
                    let Some(target) = targets.get(id).filter(|t| t.account == *account) else { continue };
                    if read.get(account).is_some_and(|&seq| seq >= notice.seq) {
                        read_first += 1;
                        continue;
                    }
                    pushes.push(Outgoing { id: *id, target: target.clone(), attempts: 0, notice: notice.clone() });
                }
                sent_to[at] = pushes.iter().map(|p| (p.id, (p.target.account, p.target.address.kind()))).collect();
                let mut outcomes = Vec::new();
                self.batches(channels, at, pushes, &mut batches, &mut outcomes);
                finished[at].outcomes = job_outcomes(&sent_to[at], outcomes);
            }
        }
        self.status.read_first.fetch_add(read_first, Ordering::Relaxed);
        let send_by = now + lease_ms / 2;
        let sends: Vec<_> = batches.into_iter().map(|batch| self.send_batch(batch, send_by)).collect();
        let sent: Vec<(usize, Vec<(i64, PushOutcome)>)> =
            futures_util::stream::iter(sends).buffer_unordered(SENDS_AT_ONCE).collect().await;
        for (at, outcomes) in sent {
            finished[at].outcomes.extend(job_outcomes(&sent_to[at], outcomes));
        }
        self.store.finish_push_jobs(&finished, self.deps.clock.now_ms()).await?;
        self.finished.notify_waiters();
        Ok(full)
    }

    /// Sends what is due in the outbox (pushes being retried), one claim's worth, batched by
    /// notice and sender, [`SENDS_AT_ONCE`] requests at a time; how many pushes it
    /// claimed.
    pub async fn send_due(&self) -> Result<usize> {
        use futures_util::StreamExt as _;
        let Some(channels) = self.channels() else { return Ok(0) };
        let now = self.deps.clock.now_ms();
        let lease_ms = crate::settings::millis(self.deps.settings.push_claim_secs.max(1));
        let claimed = self.store.claim_pushes(now, lease_ms, CLAIM_LEN_MAX).await?;
        let count = claimed.len();
        let mut outcomes: Vec<(i64, PushOutcome)> = Vec::with_capacity(count);
        // The same notice once, so that the pushes of one message told for one reason can share
        // a request.
        let mut notices: HashMap<String, Arc<PushNotice>> = HashMap::new();
        let mut pushes = Vec::with_capacity(count);
        for queued in claimed {
            if queued.read_seq >= queued.notice.seq {
                self.status.read_first.fetch_add(1, Ordering::Relaxed);
                outcomes.push((queued.id, PushOutcome::Sent));
                continue;
            }
            let key = serde_json::to_string(&queued.notice).unwrap_or_default();
            let notice = notices.entry(key).or_insert_with(|| Arc::new(queued.notice)).clone();
            let target = Arc::new(queued.target);
            pushes.push(Outgoing { id: queued.id, target, attempts: queued.attempts, notice });
        }
        let mut batches = Vec::new();
        self.batches(channels, 0, pushes, &mut batches, &mut outcomes);
        let send_by = now + lease_ms / 2;
        let sends: Vec<_> = batches.into_iter().map(|batch| self.send_batch(batch, send_by)).collect();
        let sent: Vec<(usize, Vec<(i64, PushOutcome)>)> =
            futures_util::stream::iter(sends).buffer_unordered(SENDS_AT_ONCE).collect().await;
        outcomes.extend(sent.into_iter().flat_map(|(_, outcomes)| outcomes));
        if !outcomes.is_empty() {
            self.store.push_done(&outcomes, self.deps.clock.now_ms()).await?;
            self.finished.notify_waiters();
        }
        Ok(count)
    }

    /// Adds `pushes` to `batches`, in their order: pushes of one notice (the same
    /// [`Arc`]) to targets of one sender and [`PushSender::batch_key`] share a batch, up to the
    /// sender's [`PushSender::batch_len_max`]. A push whose channel this server no longer has is
    /// given up into `outcomes`. `group` tags the batches, so that their outcomes find their
    /// job.
    fn batches(
        &self,
        channels: &PushChannels,
        group: usize,
        pushes: Vec<Outgoing>,
        batches: &mut Vec<Batch>,
        outcomes: &mut Vec<(i64, PushOutcome)>,
    ) {
        let mut open: HashMap<(PushKind, String, *const PushNotice), usize> = HashMap::new();
        for push in pushes {
            let kind = push.target.address.kind();
            let Some(sender) = channels.senders.get(&kind) else {
                self.status.failed.fetch_add(1, Ordering::Relaxed);
                let error = format!("this server no longer pushes through {}", kind.as_str());
                outcomes.push((push.id, PushOutcome::Failed { error }));
                continue;
            };
            let key = (kind, sender.batch_key(&push.target), Arc::as_ptr(&push.notice));
            match open.get(&key) {
                Some(&at) if batches[at].pushes.len() < sender.batch_len_max().max(1) => batches[at].pushes.push(push),
                _ => {
                    open.insert(key, batches.len());
                    batches.push(Batch { group, sender: sender.clone(), pushes: vec![push] });
                }
            }
        }
    }

    /// Sends one batch of claimed pushes of one notice, unless `send_by` (half the claim)
    /// passed: the batch's group and each push's outcome.
    async fn send_batch(&self, batch: Batch, send_by: i64) -> (usize, Vec<(i64, PushOutcome)>) {
        let Batch { group, sender, pushes } = batch;
        let Some(first) = pushes.first() else { return (group, Vec::new()) };
        // A slow service must not outlast the claim: past half of it, the rest is left to be
        // claimed again rather than sent twice.
        if self.deps.clock.now_ms() > send_by {
            let at_ms = self.deps.clock.now_ms();
            let retry = |p: &Outgoing| (p.id, PushOutcome::Retry { at_ms, error: "claim ran out".into() });
            return (group, pushes.iter().map(retry).collect());
        }
        let badges = if sender.shows_badges() { self.badges(&pushes).await } else { HashMap::new() };
        let devices: Vec<Device<'_>> = pushes
            .iter()
            .map(|p| Device {
                target: &p.target,
                badge: sender.shows_badges().then(|| badges.get(&p.target.account).copied().unwrap_or(0)),
            })
            .collect();
        let results = sender.send_batch(&devices, &first.notice).await;
        let mut results = results.into_iter();
        let outcomes = pushes
            .iter()
            .map(|push| {
                let result =
                    results.next().unwrap_or_else(|| Err(PushError::Retry("no answer for this device".into())));
                (push.id, self.outcome(push, result))
            })
            .collect();
        (group, outcomes)
    }

    /// The badge numbers of the pushes' accounts, in one read; none if the read fails (a push
    /// without its badge beats no push).
    async fn badges(&self, pushes: &[Outgoing]) -> HashMap<AccountId, u32> {
        let mut accounts: Vec<AccountId> = pushes.iter().map(|p| p.target.account).collect();
        accounts.sort_unstable();
        accounts.dedup();
        match self.stores.inbox.badges(accounts, self.deps.clock.now_ms()).await {
            Ok(badges) => badges.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot count the badges of pushes");
                HashMap::new()
            }
        }
    }

    /// What one push's send came to: sent, retried later with backoff, given up, or the
    /// target dropped.
    fn outcome(&self, push: &Outgoing, result: std::result::Result<(), PushError>) -> PushOutcome {
        let kind = push.target.address.kind();
        let s = &self.deps.settings;
        match result {
            Ok(()) => {
                self.status.sent.fetch_add(1, Ordering::Relaxed);
                PushOutcome::Sent
            }
            Err(PushError::Gone(error)) => {
                tracing::info!(target_id = push.target.id, kind = kind.as_str(), %error, "push target gone; dropped");
                self.status.failed.fetch_add(1, Ordering::Relaxed);
                PushOutcome::TargetGone { error }
            }
            Err(e) if matches!(e, PushError::Rejected(_)) || push.attempts + 1 >= s.push_attempts_max => {
                tracing::warn!(target_id = push.target.id, kind = kind.as_str(), attempts = push.attempts + 1,
                    error = %e.message(), "push given up");
                self.status.failed.fetch_add(1, Ordering::Relaxed);
                PushOutcome::Failed { error: e.message().to_owned() }
            }
            Err(e) => {
                let backoff =
                    crate::mail::retry_delay_ms(s.push_retry_initial_secs, s.push_retry_max_secs, push.attempts);
                self.status.retried.fetch_add(1, Ordering::Relaxed);
                PushOutcome::Retry { at_ms: self.deps.clock.now_ms() + backoff, error: e.message().to_owned() }
            }
        }
    }
}

/// The targets told of one message, grouped by what their notice says: why they are told, and
/// whether it shows the preview.
type Told = Vec<((Why, bool), Vec<(i64, AccountId)>)>;

/// A job's push outcomes as the store writes them: all but the sent ones, each with its
/// target's account and kind.
fn job_outcomes(
    targets: &HashMap<i64, (AccountId, PushKind)>,
    outcomes: Vec<(i64, PushOutcome)>,
) -> Vec<JobPushOutcome> {
    outcomes
        .into_iter()
        .filter(|(_, outcome)| *outcome != PushOutcome::Sent)
        .filter_map(|(target, outcome)| {
            let &(account, kind) = targets.get(&target)?;
            Some(JobPushOutcome { target, account, kind, outcome })
        })
        .collect()
}

/// One push about to be sent: an outbox row's (`id` the row's) or a job's (`id` the target's).
struct Outgoing {
    id: i64,
    target: Arc<PushTarget>,
    /// Failed attempts so far.
    attempts: u32,
    notice: Arc<PushNotice>,
}

/// Pushes of one notice that go in one request to one sender; `group` is the job they belong
/// to (0 for outbox rows).
struct Batch {
    group: usize,
    sender: Arc<dyn PushSender>,
    pushes: Vec<Outgoing>,
}

/// The follower's handler: every message, decided as it commits.
struct Decider {
    push: Push,
}

#[async_trait]
impl LogHandler for Decider {
    async fn handle(&mut self, items: &[Committed]) -> Result<()> {
        let messages: Vec<&Entry> = items
            .iter()
            .filter_map(|item| match item {
                Committed::Entry { entry, .. } if entry.is_message() && entry.body.is_some() => Some(&**entry),
                _ => None,
            })
            .collect();
        if messages.is_empty() {
            return Ok(());
        }
        self.push.decide(&messages).await
    }
}

/// The text of a message that keywords are looked for in and a preview shows: a text's or
/// markdown's words, a file's name; nothing for other kinds (the client names
/// the kind in its language).
pub(crate) fn body_text<'a>(kind: &str, body: Option<&'a Value>) -> Option<&'a str> {
    let body = body?;
    let field = match kind {
        kind::TEXT | kind::MARKDOWN => "text",
        kind::FILE => "name",
        _ => return None,
    };
    body.get(field).and_then(Value::as_str).filter(|t| !t.trim().is_empty())
}

/// At most [`PREVIEW_CHARS_MAX`] characters of `text`, on one line, with an ellipsis if cut.
fn preview(text: &str) -> String {
    one_line(text, PREVIEW_CHARS_MAX)
}

/// At most `chars_max` characters of `text`, its whitespace runs as single spaces, with an
/// ellipsis if cut.
pub(crate) fn one_line(text: &str, chars_max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = flat.chars();
    let mut out: String = chars.by_ref().take(chars_max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("  hello\n\n world "), "hello world");
        let long = "字".repeat(PREVIEW_CHARS_MAX + 5);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS_MAX + 1);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn only_words_are_previewed() {
        assert_eq!(body_text("text", Some(&json!({"text": "hi"}))), Some("hi"));
        assert_eq!(body_text("file", Some(&json!({"name": "q3.pdf"}))), Some("q3.pdf"));
        assert_eq!(body_text("image", Some(&json!({"file": "f1"}))), None);
        assert_eq!(body_text("text", Some(&json!({"text": "  "}))), None);
        assert_eq!(body_text("text", None), None);
    }

    #[test]
    fn addresses_are_checked() {
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([4u8; 65]);
        let auth = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 16]);
        let web = |endpoint: &str, p256dh: &str, auth: &str| PushAddress::WebPush {
            endpoint: endpoint.into(),
            p256dh: p256dh.into(),
            auth: auth.into(),
        };
        assert!(web("https://push.example/x", &key, &auth).validated(&[]).is_ok());
        let padded = format!("{auth}==");
        assert!(web("https://push.example/x", &key, &padded).validated(&[]).is_ok(), "padding is allowed");
        assert!(web("ftp://push.example/x", &key, &auth).validated(&[]).is_err());
        assert!(web("https://push.example/x", &auth, &auth).validated(&[]).is_err(), "a short key");
        assert!(web("https://push.example/x", &key, &key).validated(&[]).is_err(), "a long secret");
        let long = format!("https://push.example/{}", "a".repeat(ENDPOINT_BYTES_MAX));
        assert!(web(&long, &key, &auth).validated(&[]).is_err());
        let gw = |g: &str, key: &str| PushAddress::Gateway {
            gateway: g.into(),
            app_id: "com.acme.chat".into(),
            pushkey: key.into(),
        };
        let gateways = ["huawei".to_owned()];
        assert!(gw("huawei", "tok").validated(&gateways).is_ok());
        assert!(gw("xiaomi", "tok").validated(&gateways).is_err(), "only configured gateways");
        assert!(gw("huawei", "a b").validated(&gateways).is_err());
        assert!(PushAddress::Apns { token: String::new() }.validated(&[]).is_err());
        assert_eq!(PushAddress::Fcm { token: "t".into() }.key(), "fcm:t");
    }
}
