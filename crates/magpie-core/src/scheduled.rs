//! Scheduled messages: a person writes a message now and the server sends it at a time they
//! choose, as them, into a conversation, even if the server restarted in between.
//!
//! **Checked twice.** Scheduling checks the message exactly as a send would check it now (the
//! same rules, the same typed errors: [`Messages::check_sendable`]), so that a message that
//! could never be sent is refused while its author is there to hear it. When it falls due it is
//! sent through the ordinary send path, whose rules are checked again at commit: an author who
//! left, was muted or whose group was dissolved meanwhile gets a *failed* scheduled message,
//! kept with the typed error code, instead of a message nobody may post.
//!
//! **Sent once.** The send is made as from the session (device) that scheduled the message,
//! with a `client_msg_id` derived from the scheduled message's id (`scheduled:<id>`, a prefix
//! clients may not use). Sends are idempotent by `(session, client_msg_id)`, so a sender that
//! sends and dies before it records the send, and the sender that tries again, store one
//! message between them.
//!
//! **Survives restarts, and clusters.** Waiting messages are rows of the store. Each node runs
//! a sender ([`Scheduled::spawn_sender`]) that sleeps until the earliest one falls due, claims
//! what is due for a while (`scheduled_claim_secs`) so that one node sends each, sends it and
//! settles the claim. A sender wakes early when a scheduled message changes: the change is an
//! account event, and every node's fan-out sees every account event ([`Scheduled::changed`]).
//! A node that dies while it holds a claim leaves it to lapse; the next sender to look takes the
//! message over, and idempotency makes the second try harmless.
//!
//! **Announced.** Every change to a person's scheduled messages is an event on their account's
//! log (`scheduled_changed`, `scheduled_removed`, `scheduled_sent`), carrying ids only, so that
//! all their devices keep the list current, live and after a reconnect.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::chat::AccountEvent;
use crate::files::FileId;
use crate::messages::{Ack, Messages, Outgoing, SERVER_CLIENT_MSG_ID_PREFIX};
use crate::model::{AccountId, ConversationId, Principal, ScheduledId, Seq, Session, SessionId};
use crate::ports::{AccountStore, ScheduledStore, Stores};
use crate::settings::millis;
use crate::{Deps, Error, Result};

/// Due messages a sender claims at once.
const CLAIM_BATCH_LEN: usize = 32;
/// The longest a sender sleeps without looking at the store, whatever it expects: a guard, not
/// the way it learns of anything.
const SLEEP_MAX: Duration = Duration::from_secs(3600);
/// After a failed read of the store a sender tries again after this long, doubling up to
/// [`RETRY_MAX`].
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// A message as its author writes it, to be sent later.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: String,
    pub body: Value,
    /// Addresses of members mentioned.
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
}

/// A change to a scheduled message; what is `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftPatch {
    pub send_at_ms: Option<i64>,
    pub body: Option<Value>,
    pub mentions: Option<Vec<String>>,
    pub mention_all: Option<bool>,
}

impl DraftPatch {
    fn is_empty(&self) -> bool {
        self.send_at_ms.is_none() && self.body.is_none() && self.mentions.is_none() && self.mention_all.is_none()
    }
}

/// Why a scheduled message could not be sent when it fell due: the typed error the send got,
/// by its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    InvalidField,
    TooLarge,
    Forbidden,
    NotFound,
    AlreadyExists,
    LimitExceeded,
    AccountDisabled,
    /// Something broke inside the server (the log says what); it was not tried again.
    Internal,
}

impl FailureCode {
    pub const ALL: [FailureCode; 8] = [
        FailureCode::InvalidField,
        FailureCode::TooLarge,
        FailureCode::Forbidden,
        FailureCode::NotFound,
        FailureCode::AlreadyExists,
        FailureCode::LimitExceeded,
        FailureCode::AccountDisabled,
        FailureCode::Internal,
    ];

    /// The code as the error table names it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::InvalidField => "invalid_field",
            FailureCode::TooLarge => "too_large",
            FailureCode::Forbidden => "forbidden",
            FailureCode::NotFound => "not_found",
            FailureCode::AlreadyExists => "already_exists",
            FailureCode::LimitExceeded => "limit_exceeded",
            FailureCode::AccountDisabled => "account_disabled",
            FailureCode::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A scheduled message's failed send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: FailureCode,
    /// The error's message, as a client would have got it.
    pub message: String,
    pub at_ms: i64,
}

impl Failure {
    /// The failure a send's error means, or `None` if the error may pass (the store busy or
    /// unreachable, the server overloaded): then the send is tried again.
    pub fn of(error: &Error, at_ms: i64) -> Option<Failure> {
        let code = match error {
            Error::InvalidField { .. } => FailureCode::InvalidField,
            Error::TooLarge { .. } => FailureCode::TooLarge,
            Error::Forbidden => FailureCode::Forbidden,
            Error::NotFound(_) => FailureCode::NotFound,
            Error::AlreadyExists(_) => FailureCode::AlreadyExists,
            Error::LimitExceeded(_) => FailureCode::LimitExceeded,
            Error::AccountDisabled | Error::Unauthenticated | Error::InvalidCredentials => FailureCode::AccountDisabled,
            Error::Store(e) if e.is_transient() => return None,
            Error::RateLimited { .. } | Error::Unavailable(_) => return None,
            Error::Store(_)
            | Error::Internal(_)
            | Error::AppFailed(_)
            | Error::Conflict(_)
            | Error::ChecksumMismatch
            | Error::RegistrationClosed
            | Error::ApprovalPending
            | Error::RegistrationRejected => FailureCode::Internal,
        };
        let message = match code {
            // Internal causes stay in the log.
            FailureCode::Internal => "internal error; see the server log".to_owned(),
            _ => error.to_string(),
        };
        Some(Failure { code, message, at_ms })
    }
}

/// A message one account scheduled, waiting to be sent or failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledMessage {
    pub id: ScheduledId,
    pub account: AccountId,
    /// The session (device) that scheduled it: the message is sent as from it.
    pub session: SessionId,
    pub conversation: ConversationId,
    pub kind: String,
    pub body: Value,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
    /// When it is to be sent.
    pub send_at_ms: i64,
    pub created_at_ms: i64,
    /// When it was scheduled or last edited.
    pub updated_at_ms: i64,
    /// Set when its send failed; it is not tried again unless edited or sent by hand.
    pub failure: Option<Failure>,
}

impl ScheduledMessage {
    /// The `client_msg_id` its send is made with, the same on every try.
    pub fn client_msg_id(&self) -> String {
        format!("{SERVER_CLIENT_MSG_ID_PREFIX}{}", self.id.0)
    }

    fn outgoing(&self) -> Outgoing {
        Outgoing {
            client_msg_id: self.client_msg_id(),
            kind: self.kind.clone(),
            body: self.body.clone(),
            mentions: self.mentions.clone(),
            mention_all: self.mention_all,
            reply_to: self.reply_to,
            thread: None,
            broadcast: false,
        }
    }
}

/// A message to schedule, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScheduled {
    pub account: AccountId,
    pub session: SessionId,
    pub conversation: ConversationId,
    pub kind: String,
    pub body: Value,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
    pub send_at_ms: i64,
    /// The files it refers to: kept from the retention of files no message refers to while it
    /// waits.
    pub files: Vec<FileId>,
    pub at_ms: i64,
}

/// A scheduled message's new state after an edit, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledEdit {
    pub send_at_ms: i64,
    pub body: Value,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub files: Vec<FileId>,
    pub at_ms: i64,
}

/// How a claim ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The message was sent: it is deleted.
    Sent,
    /// Its send failed for good: it is kept with why, and waits no more.
    Failed(Failure),
    /// Nothing happened to it (a send by hand that was refused): it is as it was.
    Released,
}

#[derive(Clone)]
pub struct Scheduled {
    deps: Arc<Deps>,
    store: Arc<dyn ScheduledStore>,
    accounts: Arc<dyn AccountStore>,
    messages: Messages,
    /// Wakes this node's sender: a scheduled message changed, here or on another node.
    wake: Arc<tokio::sync::Notify>,
}

impl Scheduled {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, messages: Messages) -> Scheduled {
        Scheduled {
            deps,
            store: stores.scheduled.clone(),
            accounts: stores.accounts.clone(),
            messages,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Schedules a message into a conversation for `send_at_ms`. The message is checked as a
    /// send would check it now; the time must lie ahead, at most `scheduled_ahead_secs_max`,
    /// or behind by at most `scheduled_past_grace_secs` (then it is due at once); an account
    /// holds at most `scheduled_per_account_max` scheduled messages.
    pub async fn schedule(
        &self,
        caller: &Principal,
        conversation: ConversationId,
        draft: Draft,
        send_at_ms: i64,
    ) -> Result<ScheduledMessage> {
        let now = self.deps.clock.now_ms();
        self.check_time(send_at_ms, now)?;
        let outgoing = Outgoing {
            client_msg_id: SERVER_CLIENT_MSG_ID_PREFIX.to_owned(),
            kind: draft.kind,
            body: draft.body,
            mentions: draft.mentions,
            mention_all: draft.mention_all,
            reply_to: draft.reply_to,
            thread: None,
            broadcast: false,
        };
        let sendable = self.messages.check_sendable(caller, conversation, &outgoing).await?;
        let new = NewScheduled {
            account: caller.account.id,
            session: caller.session.id,
            conversation,
            kind: outgoing.kind,
            body: outgoing.body,
            mentions: sendable.mentions,
            mention_all: outgoing.mention_all,
            reply_to: outgoing.reply_to,
            send_at_ms,
            files: sendable.files,
            at_ms: now,
        };
        let scheduled = self.store.schedule(new, self.deps.settings.scheduled_per_account_max).await??;
        self.changed();
        Ok(scheduled)
    }

    /// The caller's scheduled messages (in one conversation it is a member of, if given), the
    /// earliest first: all of them, at most `scheduled_per_account_max`.
    pub async fn list(
        &self,
        caller: &Principal,
        conversation: Option<ConversationId>,
    ) -> Result<Vec<ScheduledMessage>> {
        if let Some(id) = conversation {
            self.messages.conversations().membership(caller, id).await?;
        }
        let limit = self.deps.settings.scheduled_per_account_max.max(1);
        Ok(self.store.scheduled_messages(caller.account.id, conversation, limit).await?)
    }

    /// One of the caller's scheduled messages.
    pub async fn get(&self, caller: &Principal, id: ScheduledId) -> Result<ScheduledMessage> {
        self.store.scheduled_message(caller.account.id, id).await?.ok_or(NOT_FOUND)
    }

    /// Changes a scheduled message's time, body or mentions. The message as changed is checked
    /// as a new one would be (the time included, whether it changes or not); a failed one waits
    /// again. `conflict` while it is being sent.
    pub async fn edit(&self, caller: &Principal, id: ScheduledId, patch: DraftPatch) -> Result<ScheduledMessage> {
        if patch.is_empty() {
            return Err(Error::invalid("scheduled", "change at least one of send_at_ms, body, mentions, mention_all"));
        }
        let current = self.get(caller, id).await?;
        let now = self.deps.clock.now_ms();
        let send_at_ms = patch.send_at_ms.unwrap_or(current.send_at_ms);
        self.check_time(send_at_ms, now)?;
        let outgoing = Outgoing {
            client_msg_id: current.client_msg_id(),
            kind: current.kind.clone(),
            body: patch.body.unwrap_or(current.body),
            mentions: patch.mentions.unwrap_or(current.mentions),
            mention_all: patch.mention_all.unwrap_or(current.mention_all),
            reply_to: current.reply_to,
            thread: None,
            broadcast: false,
        };
        let sendable = self.messages.check_sendable(caller, current.conversation, &outgoing).await?;
        let edit = ScheduledEdit {
            send_at_ms,
            body: outgoing.body,
            mentions: sendable.mentions,
            mention_all: outgoing.mention_all,
            files: sendable.files,
            at_ms: now,
        };
        let account = caller.account.id;
        let events = vec![(account, AccountEvent::ScheduledChanged { id })];
        let edited = self.store.edit_scheduled(account, id, edit, events, now).await??.ok_or(NOT_FOUND)?;
        self.changed();
        Ok(edited)
    }

    /// Cancels a scheduled message (waiting or failed). `conflict` while it is being sent.
    pub async fn cancel(&self, caller: &Principal, id: ScheduledId) -> Result<()> {
        let account = caller.account.id;
        let events = vec![(account, AccountEvent::ScheduledRemoved { id })];
        let now = self.deps.clock.now_ms();
        if self.store.cancel_scheduled(account, id, events, now).await?? { Ok(()) } else { Err(NOT_FOUND) }
    }

    /// Sends a scheduled message (waiting or failed) at once, as its due time would: the ack
    /// of the message, which is no longer scheduled. A refused send is answered with its error
    /// and leaves the scheduled message as it was. `conflict` while it is being sent already.
    pub async fn send_now(&self, caller: &Principal, id: ScheduledId) -> Result<Ack> {
        let now = self.deps.clock.now_ms();
        let until = now.saturating_add(self.claim_ms());
        let claimed = self.store.claim_scheduled(caller.account.id, id, now, until).await??;
        match self.send(&claimed).await {
            Ok(ack) => {
                self.settle(&claimed, until, Ok(&ack)).await?;
                Ok(ack)
            }
            Err(refused) => {
                let at = self.deps.clock.now_ms();
                self.store.settle_scheduled(id, until, Settled::Released, vec![], at).await?;
                // It may have fallen due while it was held.
                self.changed();
                Err(refused)
            }
        }
    }

    /// Starts this node's sender on the current tokio runtime: it sends each scheduled message
    /// when it falls due, until the runtime ends. The server starts one; the admin CLI none.
    pub fn spawn_sender(&self) -> Option<tokio::task::JoinHandle<()>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let sender = self.clone();
        Some(runtime.spawn(async move { sender.run_sender().await }))
    }

    /// A scheduled message changed, on this node or another: this node's sender looks again.
    pub(crate) fn changed(&self) {
        self.wake.notify_one();
    }

    async fn run_sender(self) {
        let mut retry = RETRY_MIN;
        loop {
            let pause = match self.send_due().await {
                Ok(next) => {
                    retry = RETRY_MIN;
                    let now = self.deps.clock.now_ms();
                    next.map_or(SLEEP_MAX, |at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the scheduled messages' sender cannot read the store; trying again");
                    let pause = retry;
                    retry = (retry * 2).min(RETRY_MAX);
                    pause
                }
            };
            // A change made while this sender was busy left a permit: `notified` returns at once.
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause.min(SLEEP_MAX)) => {}
            }
        }
    }

    /// Sends what is due now, and answers when to look next.
    async fn send_due(&self) -> Result<Option<i64>> {
        loop {
            let now = self.deps.clock.now_ms();
            let until = now.saturating_add(self.claim_ms());
            let claimed = self.store.claim_due(now, until, CLAIM_BATCH_LEN).await?;
            if claimed.is_empty() {
                break;
            }
            for message in &claimed {
                let outcome = self.send(message).await;
                if let Err(e) = self.settle(message, until, outcome.as_ref()).await {
                    // The claim lapses, and the message is sent again: idempotently.
                    tracing::warn!(error = %e, id = message.id.0, "cannot record a scheduled message's send");
                }
            }
        }
        Ok(self.store.next_scheduled_due().await?)
    }

    /// Sends a scheduled message as its author, from the session that scheduled it.
    async fn send(&self, message: &ScheduledMessage) -> Result<Ack> {
        let account = self.accounts.account_by_id(message.account).await?.ok_or(Error::AccountDisabled)?;
        if account.disabled {
            return Err(Error::AccountDisabled);
        }
        let session = Session {
            id: message.session,
            account_id: account.id,
            device: None,
            ip: None,
            created_at_ms: message.created_at_ms,
            last_seen_at_ms: message.created_at_ms,
            expires_at_ms: i64::MAX,
            scope: None,
        };
        let author = Principal { account, session, from_ip: None };
        self.messages.send_scheduled(&author, message.conversation, message.outgoing()).await
    }

    /// Records how a claimed message's send ended: sent, or failed for good; a failure that may
    /// pass leaves the claim to lapse, after which the message is tried again.
    async fn settle(&self, message: &ScheduledMessage, until: i64, outcome: Result<&Ack, &Error>) -> Result<()> {
        let (id, account) = (message.id, message.account);
        let at = self.deps.clock.now_ms();
        let (settled, event) = match outcome {
            Ok(ack) => {
                let event = AccountEvent::ScheduledSent { id, conversation: message.conversation, seq: ack.entry.seq };
                (Settled::Sent, event)
            }
            Err(error) => match Failure::of(error, at) {
                Some(failure) => {
                    if failure.code == FailureCode::Internal {
                        tracing::error!(%error, id = id.0, "a scheduled message failed");
                    }
                    (Settled::Failed(failure), AccountEvent::ScheduledChanged { id })
                }
                None => {
                    tracing::warn!(%error, id = id.0, "a scheduled message could not be sent yet; it is tried again");
                    return Ok(());
                }
            },
        };
        self.store.settle_scheduled(id, until, settled, vec![(account, event)], at).await?;
        Ok(())
    }

    fn claim_ms(&self) -> i64 {
        millis(self.deps.settings.scheduled_claim_secs.max(1))
    }

    /// A send time must lie ahead (a little behind is due at once), and not too far.
    fn check_time(&self, send_at_ms: i64, now: i64) -> Result<()> {
        let settings = &self.deps.settings;
        if send_at_ms < now.saturating_sub(millis(settings.scheduled_past_grace_secs)) {
            return Err(Error::invalid("send_at_ms", "must not lie in the past"));
        }
        if send_at_ms > now.saturating_add(millis(settings.scheduled_ahead_secs_max)) {
            return Err(Error::invalid("send_at_ms", "lies further ahead than messages may be scheduled"));
        }
        Ok(())
    }
}

const NOT_FOUND: Error = Error::NotFound("scheduled message");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::StoreError;

    #[test]
    fn failure_codes_read_back() {
        for code in FailureCode::ALL {
            assert_eq!(FailureCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(FailureCode::parse("unavailable"), None);
    }

    /// Which errors of a send end a scheduled message, and which it outlives (tried again).
    #[test]
    fn what_a_failed_send_means() {
        let code = |e: Error| Failure::of(&e, 7).map(|f| f.code);
        assert_eq!(code(Error::Forbidden), Some(FailureCode::Forbidden));
        assert_eq!(code(Error::NotFound("conversation")), Some(FailureCode::NotFound));
        assert_eq!(code(Error::invalid("mentions", "gone")), Some(FailureCode::InvalidField));
        assert_eq!(code(Error::AccountDisabled), Some(FailureCode::AccountDisabled));
        assert_eq!(code(Error::Store(StoreError::Corrupt("x".into()))), Some(FailureCode::Internal));
        assert_eq!(code(Error::Store(StoreError::Busy("x".into()))), None);
        assert_eq!(code(Error::Store(StoreError::Unavailable("x".into()))), None);
        assert_eq!(code(Error::Unavailable("busy")), None);
        assert_eq!(code(Error::RateLimited { retry_after_secs: 1 }), None);
        let forbidden = Failure::of(&Error::Forbidden, 7).unwrap();
        assert_eq!((forbidden.message.as_str(), forbidden.at_ms), ("not allowed", 7));
        let internal = Failure::of(&Error::Internal("secret cause".into()), 7).unwrap();
        assert!(!internal.message.contains("secret"), "internal causes stay in the log");
    }
}
