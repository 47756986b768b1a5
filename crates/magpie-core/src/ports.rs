//! The traits through which the core reaches the world. Adapters implement them; the binary
//! chooses which at start-up.

use std::sync::Arc;

use async_trait::async_trait;

use crate::chat::{AccountEvent, Entry};
use crate::chat::{
    Append, Appended, Committed, Conversation, LoggedEvent, Member, MemberSettingsPatch, NewConversation, Page, Pin,
    SharedKind, Summary, Thread, ThreadFollow,
};
use crate::contacts::{ContactState, FriendRequest};
use crate::files::{ByteRange, FileId, FinishedBlob, StoredFile, Upload, Written};
use crate::model::{
    Account, AccountId, Application, ApplicationState, Domain, DomainId, Invitation, InvitationId, NewAccount,
    NewInvitation, NewSession, ProfilePatch, RegistrationMode, Revocation, RevokeReason, Role, Session, SessionId,
    SessionSelector,
};
use crate::model::{Activity, ConversationId, EventSeq, LogCursor, SavedId, ScheduledId, Seq};
use crate::names::{AccountAddr, DomainName, LoginName};
use crate::presence::{PresenceInfo, Signal, Status};
use crate::previews::{CachedPreview, FetchError, FetchedPage};
use crate::saved::{NewSaved, SavedItem};
use crate::scheduled::{NewScheduled, ScheduledEdit, ScheduledMessage, Settled};
use crate::search::ReadableSpan;
use crate::stickers::StickerPack;
use crate::{Error, StoreError};

type StoreResult<T> = Result<T, StoreError>;

/// The stores of one deployment, one port per area, as the binary builds them from one
/// adapter. Each service takes only the ports it uses.
#[derive(Clone)]
pub struct Stores {
    pub accounts: Arc<dyn AccountStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub log: Arc<dyn ConversationLog>,
    pub contacts: Arc<dyn ContactStore>,
    pub files: Arc<dyn FileStore>,
    pub stickers: Arc<dyn StickerStore>,
    pub cursors: Arc<dyn CursorStore>,
    pub saved: Arc<dyn SavedStore>,
    pub threads: Arc<dyn ThreadStore>,
    pub scheduled: Arc<dyn ScheduledStore>,
    pub previews: Arc<dyn PreviewStore>,
    pub org: Arc<dyn OrgStore>,
    pub ldap: Arc<dyn LdapStore>,
    pub mail: Arc<dyn MailStore>,
    pub notify: Arc<dyn NotifyStore>,
    pub push: Arc<dyn PushStore>,
    pub inbox: Arc<dyn InboxStore>,
    pub audit: Arc<dyn AuditStore>,
    pub moderation: Arc<dyn ModerationStore>,
    pub exports: Arc<dyn ExportStore>,
    pub retention: Arc<dyn RetentionStore>,
    pub bots: Arc<dyn BotStore>,
    pub ledger: Arc<dyn LedgerStore>,
    /// Who is connected: not durable, so not the adapter's; in memory unless a cluster
    /// shares it (see [`PresenceStore`]).
    pub presence: Arc<dyn PresenceStore>,
    /// The rate limits' counts: in memory unless a cluster shares them (see [`Counters`]).
    pub counters: Arc<dyn Counters>,
}

impl Stores {
    /// Every port from one adapter that implements them all.
    pub fn all<S>(store: Arc<S>) -> Stores
    where
        S: AccountStore
            + SessionStore
            + ConversationLog
            + ContactStore
            + FileStore
            + StickerStore
            + CursorStore
            + SavedStore
            + ThreadStore
            + ScheduledStore
            + PreviewStore
            + OrgStore
            + LdapStore
            + MailStore
            + NotifyStore
            + PushStore
            + InboxStore
            + AuditStore
            + ModerationStore
            + ExportStore
            + RetentionStore
            + BotStore
            + LedgerStore,
    {
        Stores {
            accounts: store.clone(),
            sessions: store.clone(),
            log: store.clone(),
            contacts: store.clone(),
            files: store.clone(),
            stickers: store.clone(),
            saved: store.clone(),
            threads: store.clone(),
            scheduled: store.clone(),
            cursors: store.clone(),
            previews: store.clone(),
            org: store.clone(),
            ldap: store.clone(),
            mail: store.clone(),
            notify: store.clone(),
            push: store.clone(),
            inbox: store.clone(),
            audit: store.clone(),
            moderation: store.clone(),
            bots: store.clone(),
            ledger: store.clone(),
            exports: store.clone(),
            retention: store,
            presence: Arc::new(crate::presence::MemoryPresence::default()),
            counters: Arc::new(crate::limiter::MemoryCounters::new(COUNTER_KEYS_MAX)),
        }
    }
}

/// Keys each limit of the in-process [`Counters`] tracks before it forgets those not limited.
pub const COUNTER_KEYS_MAX: usize = 100_000;

/// A limit on events per key over a rolling window (failed logins per account, sign-ups per
/// address), by a name of its own: the counters keep one set of windows per name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub events_max: u32,
    pub window_ms: i64,
}

/// Events counted per key over rolling windows, for the rate limits. One process counts in
/// memory ([`crate::limiter::MemoryCounters`]); the nodes of a cluster share their counts, so
/// that a limit holds for the cluster rather than per node. Counting never fails its caller:
/// an adapter that cannot reach its shared counts counts in its own memory meanwhile.
#[async_trait]
pub trait Counters: Send + Sync + 'static {
    /// `Err(retry_after_secs)` if `key` has reached `limit`.
    async fn check(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64>;
    /// Counts an event if `key` is under `limit`, else `Err(retry_after_secs)`: one step, so
    /// that attempts racing on several nodes cannot all pass.
    async fn hit(&self, limit: Limit, key: &str, now_ms: i64) -> Result<(), u64>;
    /// Counts one event against `key`.
    async fn record(&self, limit: Limit, key: &str, now_ms: i64);
    /// Takes back one event of `key` (an attempt that turned out not to count).
    async fn refund(&self, limit: Limit, key: &str, now_ms: i64);
}

/// Who is online, over the whole deployment: each account's open connections, the status it
/// chose and its status text. Presence is ephemeral: nothing here outlives the deployment's
/// processes. One process keeps it in memory ([`crate::presence::MemoryPresence`]); the nodes of
/// a cluster share one, so that an account connected to two nodes comes online with the first
/// connection and goes offline with the last, wherever they are.
#[async_trait]
pub trait PresenceStore: Send + Sync + 'static {
    /// A connection of `account` opened. Its presence if that was its first (it came online).
    async fn connected(&self, account: AccountId, addr: &AccountAddr) -> StoreResult<Option<PresenceInfo>>;
    /// A connection of `account` closed at `now_ms`. Its presence if that was its last (it went
    /// offline, last seen now).
    async fn disconnected(&self, account: AccountId, now_ms: i64) -> StoreResult<Option<PresenceInfo>>;
    /// Sets the status `account` chose, and its text if given (`""` clears it); its presence
    /// as it now is (offline while it has no connection).
    async fn choose(
        &self,
        account: AccountId,
        addr: &AccountAddr,
        status: Status,
        text: Option<String>,
    ) -> StoreResult<PresenceInfo>;
    /// The presence of an account seen since the deployment started, if any.
    async fn get(&self, account: AccountId) -> StoreResult<Option<PresenceInfo>>;
}

/// A page of the log's tail.
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    pub items: Vec<Committed>,
    /// Where to read on from.
    pub next: LogCursor,
}

/// What the bus carries: a nudge that something happened, never the truth about it. A
/// follower that misses one, or gets it twice or late, reads the store and loses nothing.
#[derive(Debug, Clone)]
pub enum Wake {
    /// These items committed, in this order, between the cursors `from` and `to`. `from` is
    /// the cursor just before them when the publisher knows it (a follower that stands there
    /// takes the items as they are; any other reads the store); `None` if it does not.
    Log { from: Option<LogCursor>, to: LogCursor, items: Arc<[Committed]> },
    /// An ephemeral signal for these accounts' connections, on every node.
    Signal { accounts: Arc<[AccountId]>, signal: Signal },
    /// An account's profile changed: its connections hear of it, on every node.
    Profile(Arc<Account>),
    /// A domain's organisation changed: its members' connections hear of it, on every node.
    Directory(DomainId),
}

/// How the nodes of a deployment (and the parts of one node) nudge each other: published wakes
/// reach every subscriber at most once, and a subscriber that falls behind loses wakes (and is
/// told so) rather than holding writers back. In-process by default; Redis in a cluster.
pub trait Bus: Send + Sync + 'static {
    fn publish(&self, wake: Wake);
    fn subscribe(&self) -> BusReceiver;
}

/// One subscriber's end of the [`Bus`].
pub struct BusReceiver {
    wakes: tokio::sync::broadcast::Receiver<Arc<Wake>>,
    /// Changes each time the bus may have lost wakes for every subscriber at once (a cluster
    /// bus cut off from the other nodes, and back); `None` for a bus that never does.
    losses: Option<tokio::sync::watch::Receiver<u64>>,
}

/// What a [`BusReceiver`] gets next.
#[derive(Debug)]
pub enum Received {
    Wake(Arc<Wake>),
    /// Wakes were lost (the subscriber fell behind, or the bus was cut off and came back):
    /// read the store to catch up.
    Missed,
    /// The bus is gone.
    Closed,
}

impl BusReceiver {
    pub fn new(receiver: tokio::sync::broadcast::Receiver<Arc<Wake>>) -> BusReceiver {
        BusReceiver { wakes: receiver, losses: None }
    }

    /// A receiver that is also told [`Received::Missed`] each time `losses` changes after it
    /// was made: how a bus that can lose wakes for all its subscribers at once (a node cut off
    /// from Redis, and back) tells each of them to read the store, through the path every
    /// subscriber already takes when it falls behind.
    pub fn with_losses(
        receiver: tokio::sync::broadcast::Receiver<Arc<Wake>>,
        losses: tokio::sync::watch::Receiver<u64>,
    ) -> BusReceiver {
        BusReceiver { wakes: receiver, losses: Some(losses) }
    }

    /// The next wake, or word that some were missed or that the bus is gone. Cancel-safe: a
    /// call dropped before it resolves loses nothing.
    pub async fn recv(&mut self) -> Received {
        use tokio::sync::broadcast::error::RecvError;
        /// What woke the receiver, taken out of the `select!` before acting on it.
        enum Next {
            Lost,
            LossesGone,
            Wake(Result<Arc<Wake>, RecvError>),
        }
        let next = match &mut self.losses {
            Some(losses) => tokio::select! {
                biased;
                changed = losses.changed() => if changed.is_ok() { Next::Lost } else { Next::LossesGone },
                received = self.wakes.recv() => Next::Wake(received),
            },
            None => Next::Wake(self.wakes.recv().await),
        };
        let received = match next {
            Next::Lost => return Received::Missed,
            Next::Wake(received) => received,
            Next::LossesGone => {
                // The bus is going: only the wakes it still holds are left to hear.
                self.losses = None;
                self.wakes.recv().await
            }
        };
        match received {
            Ok(wake) => Received::Wake(wake),
            Err(RecvError::Lagged(_)) => Received::Missed,
            Err(RecvError::Closed) => Received::Closed,
        }
    }

    /// What is waiting already, without waiting: `None` if nothing is.
    pub fn try_recv(&mut self) -> Option<Received> {
        use tokio::sync::broadcast::error::TryRecvError;
        if let Some(losses) = &mut self.losses
            && losses.has_changed().unwrap_or(false)
        {
            losses.mark_unchanged();
            return Some(Received::Missed);
        }
        match self.wakes.try_recv() {
            Ok(wake) => Some(Received::Wake(wake)),
            Err(TryRecvError::Lagged(_)) => Some(Received::Missed),
            Err(TryRecvError::Closed) => Some(Received::Closed),
            Err(TryRecvError::Empty) => None,
        }
    }
}

/// The in-process bus: one node, every part of it subscribed directly.
pub struct LocalBus(tokio::sync::broadcast::Sender<Arc<Wake>>);

impl LocalBus {
    /// A bus whose subscribers may fall `wakes_max` wakes behind before they miss some.
    pub fn new(wakes_max: usize) -> LocalBus {
        LocalBus(tokio::sync::broadcast::channel(wakes_max.max(1)).0)
    }
}

impl Bus for LocalBus {
    fn publish(&self, wake: Wake) {
        // No subscriber (the admin CLI) is not an error: the store is the truth.
        let _ = self.0.send(Arc::new(wake));
    }

    fn subscribe(&self) -> BusReceiver {
        BusReceiver::new(self.0.subscribe())
    }
}

/// Domains and accounts. Every write method is one transaction: it happens whole or not at
/// all.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates a domain; `None` if the name is taken.
    async fn create_domain(&self, name: &DomainName, now_ms: i64) -> StoreResult<Option<Domain>>;
    async fn domain_by_name(&self, name: &DomainName) -> StoreResult<Option<Domain>>;
    async fn domains(&self) -> StoreResult<Vec<Domain>>;
    async fn set_registration(&self, domain: DomainId, mode: RegistrationMode) -> StoreResult<()>;
    async fn set_direct_requires_friendship(&self, domain: DomainId, on: bool) -> StoreResult<()>;
    async fn set_members_invite(&self, domain: DomainId, on: bool) -> StoreResult<()>;
    async fn set_members_make_bots(&self, domain: DomainId, on: bool) -> StoreResult<()>;

    /// Creates an account; `None` if the name is taken in that domain.
    async fn create_account(&self, account: NewAccount) -> StoreResult<Option<Account>>;
    /// Creates every account of a batch, in order, or none: `None` if a name is taken. The
    /// batch holds each name once (the caller's to ensure; an error otherwise).
    async fn create_accounts(&self, accounts: Vec<NewAccount>) -> StoreResult<Option<Vec<Account>>>;
    /// Sets an account's role; whether the account exists.
    async fn set_role(&self, id: AccountId, role: Role) -> StoreResult<bool>;
    async fn account_by_name(&self, domain: DomainId, name: &LoginName) -> StoreResult<Option<Account>>;
    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// Accounts of one domain whose login or display name contains `query` (case-insensitive),
    /// ordered by login name, after `after` (a login name) for paging. Disabled accounts are
    /// left out unless `include_disabled`.
    async fn search_accounts(
        &self,
        domain: DomainId,
        query: &str,
        after: Option<&LoginName>,
        limit: usize,
        include_disabled: bool,
    ) -> StoreResult<Vec<Account>>;
    /// Enabled accounts of one domain that a name search for `folded` (a query folded by the
    /// [`crate::directory::NameMatcher`]) may find, at most `limit`: those whose `name_keys`
    /// contain `folded`, first those with a key equal to it, then those with a key starting
    /// with it, then the rest, each by shorter display name; and those without keys whose
    /// login or display name, in lower case, contains `raw`.
    async fn find_accounts(&self, domain: DomainId, folded: &str, raw: &str, limit: usize)
    -> StoreResult<Vec<Account>>;
    /// Accounts (of any domain, disabled too) that have no `name_keys`, at most `limit`.
    async fn accounts_without_name_keys(&self, limit: usize) -> StoreResult<Vec<Account>>;
    /// Sets an account's `name_keys`, only if its display name, email and phone are still
    /// those of `account` (the keys were made of them); whether it did.
    async fn set_name_keys(&self, account: &Account, keys: &str) -> StoreResult<bool>;
    /// Records an invitation.
    async fn create_invitation(&self, new: NewInvitation) -> StoreResult<Invitation>;
    /// A domain's invitations that are not revoked (only those `created_by` made, if given),
    /// newest first, at most `limit`.
    async fn invitations(
        &self,
        domain: DomainId,
        created_by: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Invitation>>;
    /// Revokes one of a domain's invitations; whether there was such a live one.
    async fn revoke_invitation(&self, domain: DomainId, id: InvitationId) -> StoreResult<bool>;
    /// Counts one use of the domain's invitation with this code hash, if it is not revoked,
    /// not expired at `now_ms` and not used up: in one write, so that racing registrations
    /// never use it more than `uses_max` times. Whether it did.
    async fn use_invitation(&self, domain: DomainId, code_hash: [u8; 32], now_ms: i64) -> StoreResult<bool>;
    /// Gives back a use counted by `use_invitation` (the registration then failed).
    async fn refund_invitation(&self, domain: DomainId, code_hash: [u8; 32]) -> StoreResult<()>;
    /// Where an account's application stands, if it applied and was not yet approved.
    async fn application_state(&self, account: AccountId) -> StoreResult<Option<ApplicationState>>;
    /// A domain's pending applications, oldest first, at most `limit`.
    async fn applications(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<Application>>;
    /// Decides a pending application: approving enables the account and forgets the
    /// application; rejecting keeps the account disabled and the application as rejected.
    /// Whether there was a pending application.
    async fn decide_application(&self, account: AccountId, approve: bool, now_ms: i64) -> StoreResult<bool>;
    /// Applies a validated patch; `None` if the account does not exist. A patch that changes
    /// the display name, email or phone clears `name_keys` in the same write.
    async fn update_profile(&self, id: AccountId, patch: &ProfilePatch) -> StoreResult<Option<Account>>;
    /// Sets the password hash and revokes every other session (logging each revocation),
    /// atomically. Returns the revoked sessions.
    async fn set_password_hash(
        &self,
        id: AccountId,
        hash: &str,
        keep: Option<SessionId>,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>>;
    /// Disables (revoking every session, atomically) or re-enables an account. Returns the
    /// revoked sessions.
    async fn set_disabled(&self, id: AccountId, disabled: bool, now_ms: i64) -> StoreResult<Vec<SessionId>>;

    /// The account at `name@domain`, if both exist.
    async fn account_by_addr(&self, domain: &DomainName, name: &LoginName) -> StoreResult<Option<Account>> {
        match self.domain_by_name(domain).await? {
            Some(domain) => self.account_by_name(domain.id, name).await,
            None => Ok(None),
        }
    }
}

/// Sessions and the revocation log that carries their ends to every process.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Creates a session, revoking the account's oldest ones past the per-account limit.
    /// Returns the session and the ids of those revoked to make room.
    async fn create_session(&self, session: NewSession) -> StoreResult<(Session, Vec<SessionId>)>;
    /// The live (not revoked) session with this token hash, and its account, read together.
    async fn session_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<(Session, Account)>>;
    async fn touch_session(&self, id: SessionId, now_ms: i64) -> StoreResult<()>;
    /// The account's live sessions that have not expired at `now_ms`, newest first.
    async fn sessions(&self, account: AccountId, now_ms: i64) -> StoreResult<Vec<Session>>;
    /// Revokes sessions of one account and logs each revocation. Returns those revoked.
    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: SessionSelector,
        reason: RevokeReason,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>>;
    /// Revocation log entries after `seq`, oldest first, at most `limit`.
    async fn revocations_after(&self, seq: i64, limit: usize) -> StoreResult<Vec<Revocation>>;
    /// The newest revocation log sequence number, 0 if none.
    async fn revocations_head(&self) -> StoreResult<i64>;
    /// Deletes sessions revoked or expired before `sessions_before_ms` and revocation log
    /// entries older than `revocations_before_ms`. Returns how many rows went.
    async fn prune(&self, sessions_before_ms: i64, revocations_before_ms: i64) -> StoreResult<u64>;
    /// The newest `last_seen` of the account's sessions.
    async fn last_seen(&self, account: AccountId) -> StoreResult<Option<i64>>;
}

/// Conversations and their logs: membership, the append that assigns seqs, history, marks,
/// per-member settings, the conversation list, and each account's event log.
///
/// **Seqs.** `append` gives the entry the conversation's next seq: dense, from 1, one more than
/// the last, assigned while the append holds the conversation exclusively (the single writer
/// in SQLite; a row lock in PostgreSQL), so that two appends racing on one conversation get
/// two consecutive seqs and never the same one. An account's event seqs follow the same rule
/// per account.
///
/// **Cursors.** [`Activity`] is the deployment's commit order as the adapter defines it: a
/// conversation's activity after an append is greater than that of every conversation whose
/// last append committed before it, so that "activity after X" (the `sync` cursor) never misses
/// a conversation.
///
/// **The tail.** Entries and account events are also one stream in commit order, which
/// followers of the log read from a [`LogCursor`] ([`ConversationLog::tail`]); after each
/// commit the adapter publishes a [`Wake::Log`] on the [`Bus`] so that they need not poll.
#[async_trait]
pub trait ConversationLog: Send + Sync + 'static {
    /// Entries and account events committed after `after`, in commit order, at most
    /// `limit`, and the cursor to read on from: the last item's, or the log's head when the
    /// page holds everything committed so far. Never skips a committed item: an item that
    /// commits later than another has a greater cursor.
    async fn tail(&self, after: LogCursor, limit: usize) -> StoreResult<LogPage>;
    /// Where the log stands now: a follower that starts here sees only what commits next.
    async fn log_head(&self) -> StoreResult<LogCursor>;

    /// Creates a conversation with its members and opening entry, and logs
    /// `conversation_joined` for every member. For a direct chat whose key exists already,
    /// returns the existing conversation and `false`.
    async fn create_conversation(&self, new: NewConversation) -> StoreResult<(Conversation, bool)>;
    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>>;
    async fn direct_conversation(&self, key: &str) -> StoreResult<Option<Conversation>>;
    /// One account's membership row (active or ended).
    async fn member(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Member>>;
    /// Active members, by account id, after `after` (an account id) for paging.
    async fn members(
        &self,
        conversation: ConversationId,
        after: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Member>>;
    /// Memberships that cover `seq` or later: the recipients of entries from `seq` on. One per
    /// span, with that span's `joined_seq` and `left_seq`: an account that left and came back
    /// is listed for each time it was a member, so that an entry goes to whoever was a member
    /// at its seq however late the fan-out reads this.
    async fn recipients(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Vec<Member>>;
    /// Every membership span the account has had, ended ones too (one per time it was a
    /// member: `from` its `joined_seq`, `until` its `left_seq`), the newest conversations
    /// first, at most `limit`: what it may search.
    async fn member_spans(&self, account: AccountId, limit: usize) -> StoreResult<Vec<ReadableSpan>>;
    /// A domain's groups and channels, newest first, before `before`, at most `limit`: those
    /// whose name contains `name` (ignoring case, literally), and dissolved ones only if
    /// `dissolved`.
    async fn domain_groups(
        &self,
        domain: DomainId,
        name: Option<&str>,
        dissolved: bool,
        before: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>>;
    /// Active group and channel memberships of an account.
    async fn group_count(&self, account: AccountId) -> StoreResult<usize>;

    /// Appends an entry, applies its effects and logs its events, all in one transaction,
    /// if the check passes at commit time. An append whose `(session, client_msg_id)` exists
    /// already returns that entry as a duplicate without checking or changing anything.
    async fn append(&self, append: Append) -> StoreResult<Result<Appended, Error>>;
    /// A page of the log as `viewer` sees it (reactions, hidden flags), oldest first, never
    /// before `floor` and, if given, only before `ceiling`.
    async fn entries(
        &self,
        conversation: ConversationId,
        page: Page,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>>;
    /// What the conversation shares of one kind, as `viewer` sees it, newest first: entries
    /// whose append (or latest edit) said [`crate::chat::Effect::Share`] of `kind`, never before
    /// `floor`, before `ceiling` and `before` if given, less those recalled or hidden for
    /// `viewer`; at most `limit`.
    #[allow(clippy::too_many_arguments)]
    async fn shared(
        &self,
        conversation: ConversationId,
        kind: SharedKind,
        before: Option<Seq>,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>>;
    async fn entry(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Entry>>;
    /// The entry a session appended with this `client_msg_id`, if any.
    async fn entry_by_client_id(&self, session: SessionId, client_msg_id: &str) -> StoreResult<Option<Entry>>;
    /// The conversation's pinned messages at seqs from `floor` and, if given, before
    /// `ceiling`, as `viewer` sees them (its hidden marks; no reactions), the latest pin first.
    async fn pins(
        &self,
        conversation: ConversationId,
        floor: Seq,
        ceiling: Option<Seq>,
        viewer: AccountId,
    ) -> StoreResult<Vec<Pin>>;

    /// Raises the member's read and delivered marks (never lowers them, never past the last
    /// seq) and logs `events` if anything moved. Returns the member as it is now.
    async fn mark(
        &self,
        conversation: ConversationId,
        account: AccountId,
        read: Option<Seq>,
        delivered: Option<Seq>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<Member>>;
    /// Changes pinned, muted or draft and logs `events`.
    async fn update_member_settings(
        &self,
        conversation: ConversationId,
        account: AccountId,
        patch: MemberSettingsPatch,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<Member>>;
    /// Hides entries for one account and logs `events`.
    async fn hide_entries(
        &self,
        conversation: ConversationId,
        account: AccountId,
        seqs: Vec<Seq>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<()>;

    /// The messages the account hid for itself (delete-for-me), newest conversation and seq
    /// first, at most `limit`.
    async fn hidden_entries(&self, account: AccountId, limit: usize) -> StoreResult<Vec<(ConversationId, Seq)>>;
    /// The groups and channels the account is a member of, with their names, most recently
    /// active first, at most `limit`.
    async fn named_conversations(
        &self,
        account: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<(ConversationId, crate::chat::ConversationKind, String)>>;
    /// The account's active conversations whose activity is above `after`, by activity
    /// ascending (`ascending`) or below `after` descending (the conversation list), at most
    /// `limit`. Each summary is read as of one moment.
    async fn summaries(
        &self,
        account: AccountId,
        after: Activity,
        ascending: bool,
        limit: usize,
    ) -> StoreResult<Vec<Summary>>;
    /// One conversation's summary for one member.
    async fn summary(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Summary>>;
    /// The account's events after `after`, oldest first, at most `limit`.
    async fn account_events(&self, account: AccountId, after: EventSeq, limit: usize) -> StoreResult<Vec<LoggedEvent>>;
    /// The account's newest event seq, 0 if none.
    async fn account_events_head(&self, account: AccountId) -> StoreResult<EventSeq>;
}

/// Each domain's departments and the people in them (see [`crate::org`]). Every write is
/// one transaction.
#[async_trait]
pub trait OrgStore: Send + Sync + 'static {
    /// Creates a department. `not_found` (department) if its parent is not a department of
    /// its domain; `already_exists` if a sibling has its name; `limit_exceeded` if the domain
    /// holds `per_domain_max` departments, or the parent sits at `depth_max`.
    async fn create_department(
        &self,
        new: crate::org::NewDepartment,
        per_domain_max: usize,
        depth_max: usize,
    ) -> StoreResult<Result<crate::org::Department, Error>>;
    async fn department(&self, id: crate::org::DepartmentId) -> StoreResult<Option<crate::org::Department>>;
    /// Every department of a domain, parents before children, siblings by position then name.
    async fn departments(&self, domain: DomainId) -> StoreResult<Vec<crate::org::Department>>;
    /// Applies a patch. A move checks, in the same write, that the new parent is a
    /// department of the same domain (`not_found`), not the department itself or one below it
    /// (`invalid_field` parent), and that the deepest department moved stays within
    /// `depth_max` (`limit_exceeded`); a name taken by a sibling is `already_exists`.
    async fn update_department(
        &self,
        id: crate::org::DepartmentId,
        patch: crate::org::DepartmentPatch,
        depth_max: usize,
    ) -> StoreResult<Result<crate::org::Department, Error>>;
    /// Deletes a department and its memberships; `conflict` if departments are under it,
    /// `not_found` if there is none.
    async fn delete_department(&self, id: crate::org::DepartmentId) -> StoreResult<Result<(), Error>>;
    /// Puts an account in a department with a title, or sets the title of one who is in it;
    /// `limit_exceeded` if it is in `per_account_max` departments already.
    async fn set_department_member(
        &self,
        id: crate::org::DepartmentId,
        account: AccountId,
        title: Option<String>,
        per_account_max: usize,
    ) -> StoreResult<Result<(), Error>>;
    /// Takes an account out of a department; whether it was in it.
    async fn remove_department_member(&self, id: crate::org::DepartmentId, account: AccountId) -> StoreResult<bool>;
    /// A department's people (enabled accounts), by login name after `after`, at most `limit`.
    async fn department_members(
        &self,
        id: crate::org::DepartmentId,
        after: Option<&LoginName>,
        limit: usize,
    ) -> StoreResult<Vec<crate::org::DepartmentMember>>;
    /// The departments an account is in, with its title in each, by department id.
    async fn departments_of(&self, account: AccountId) -> StoreResult<Vec<(crate::org::DepartmentId, Option<String>)>>;
    /// A person's own manager (not a department's), if they have one.
    async fn manager_of(&self, account: AccountId) -> StoreResult<Option<AccountId>>;
    /// Every `(person, manager)` of a domain, by person.
    async fn managers(&self, domain: DomainId) -> StoreResult<Vec<(AccountId, AccountId)>>;
    /// Sets (`Some`) or clears (`None`) a person's manager.
    async fn set_manager(&self, domain: DomainId, account: AccountId, manager: Option<AccountId>) -> StoreResult<()>;
    /// Records (`Some`) or forgets (`None`) the group that follows a department.
    async fn set_department_chat(
        &self,
        id: crate::org::DepartmentId,
        chat: Option<crate::model::ConversationId>,
    ) -> StoreResult<()>;
    /// The account that owns the domain's organisation chats, if one was made.
    async fn chat_owner(&self, domain: DomainId) -> StoreResult<Option<AccountId>>;
    /// Records `account` as the domain's chat owner unless one is recorded already; returns
    /// the recorded one (so that two nodes making one at once agree on the first).
    async fn put_chat_owner(&self, domain: DomainId, account: AccountId) -> StoreResult<AccountId>;
}

/// Each domain's directory source and the accounts that came from it (see [`crate::ldap`]).
#[async_trait]
pub trait LdapStore: Send + Sync + 'static {
    async fn ldap_source(&self, domain: DomainId) -> StoreResult<Option<crate::ldap::LdapSource>>;
    /// Sets the domain's source (replacing one), due for a scheduled sync at `next_sync_at_ms`
    /// (`None`: only on demand).
    async fn put_ldap_source(
        &self,
        domain: DomainId,
        source: &crate::ldap::LdapSource,
        next_sync_at_ms: Option<i64>,
    ) -> StoreResult<()>;
    /// Forgets the domain's source (its accounts' links stay); false if it had none.
    async fn delete_ldap_source(&self, domain: DomainId) -> StoreResult<bool>;
    /// Every account of the domain that came from its directory.
    async fn ldap_links(&self, domain: DomainId) -> StoreResult<Vec<crate::ldap::LdapLink>>;
    async fn ldap_link_of(&self, account: AccountId) -> StoreResult<Option<crate::ldap::LdapLink>>;
    /// Links an account to an entry, or moves the entry's link to its new DN: one link per
    /// `(domain, key)` and per account.
    async fn put_ldap_link(&self, link: &crate::ldap::LdapLink) -> StoreResult<()>;
    /// Claims up to `limit` domains whose scheduled sync is due at `now_ms`: each claimed one
    /// is due again only at `now_ms + lease_ms`, atomically, so that one node of a cluster
    /// syncs a domain at a time (until the claimer sets the next time, or its lease runs out).
    async fn claim_ldap_syncs(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<DomainId>>;
    async fn set_ldap_next_sync(&self, domain: DomainId, at_ms: Option<i64>) -> StoreResult<()>;
    /// Every directory group of the domain that a Magpie group follows.
    async fn ldap_groups(&self, domain: DomainId) -> StoreResult<Vec<crate::ldap::LdapGroupLink>>;
    /// Links a group to a directory group, or moves the link to the entry's new DN.
    async fn put_ldap_group(&self, link: &crate::ldap::LdapGroupLink) -> StoreResult<()>;
    /// Forgets a directory group's link; whether there was one.
    async fn delete_ldap_group(&self, domain: DomainId, key: &str) -> StoreResult<bool>;
    /// The source's sync state (last report, high-water mark), if a sync ran.
    async fn ldap_sync_state(&self, domain: DomainId) -> StoreResult<Option<crate::ldap::SyncState>>;
    async fn put_ldap_sync_state(&self, domain: DomainId, state: &crate::ldap::SyncState) -> StoreResult<()>;
}

/// Mail waiting to go out, and the one-time codes mail carries (see [`crate::mail`]). Every
/// write is one transaction.
#[async_trait]
pub trait MailStore: Send + Sync + 'static {
    /// Puts a mail in the outbox, due at once, unless it already holds `outbox_len_max`
    /// mails; whether it did.
    async fn enqueue_mail(
        &self,
        mail: &crate::mail::OutgoingMail,
        now_ms: i64,
        outbox_len_max: usize,
    ) -> StoreResult<bool>;
    /// Claims up to `limit` mails due at `now_ms` that no node holds, oldest first: each is
    /// held until `now_ms + lease_ms`, atomically, so that one node sends a mail at a time.
    async fn claim_mail(&self, now_ms: i64, lease_ms: i64, limit: usize) -> StoreResult<Vec<crate::mail::QueuedMail>>;
    /// Forgets a mail: sent, or given up on.
    async fn delete_mail(&self, id: i64) -> StoreResult<()>;
    /// Records a failed attempt: the mail is due again at `next_attempt_at_ms` and no longer
    /// held.
    async fn mail_failed(&self, id: i64, next_attempt_at_ms: i64, error: &str) -> StoreResult<()>;
    /// Mails in the outbox.
    async fn outbox_len(&self) -> StoreResult<u64>;
    /// Sets the live code of `(domain, purpose, subject)`, replacing the one before, with no
    /// attempts and unused.
    async fn put_email_code(&self, code: &crate::mail::NewEmailCode) -> StoreResult<()>;
    /// Uses the live code of `(domain, purpose, subject)` if its hash is `code_hash`, it is
    /// unused, unexpired at `now_ms` and has had fewer than `attempts_max` attempts; a wrong
    /// code counts an attempt. In one write, so that a code is used once however many try it
    /// at the same time.
    async fn use_email_code(
        &self,
        key: &crate::mail::EmailCodeKey,
        code_hash: [u8; 32],
        now_ms: i64,
        attempts_max: u32,
    ) -> StoreResult<crate::mail::CodeCheck>;
    /// Makes a code used by `use_email_code` usable again (what it was for then failed).
    async fn restore_email_code(&self, key: &crate::mail::EmailCodeKey, code_hash: [u8; 32]) -> StoreResult<()>;
    /// Forgets codes that expired before `before_ms`; how many.
    async fn prune_email_codes(&self, before_ms: i64) -> StoreResult<u64>;
    /// Sets the language mail to an account is written in.
    async fn set_locale(&self, account: AccountId, locale: &str) -> StoreResult<()>;
    /// The language mail to an account is written in, if it said.
    async fn locale(&self, account: AccountId) -> StoreResult<Option<String>>;
    /// Sets whether a domain's registrations need a verified email, and which email domains
    /// they may be of (empty: any).
    async fn set_signup_email(&self, domain: DomainId, verification: bool, email_domains: &[String])
    -> StoreResult<()>;
}

/// Each account's notification preferences (see [`crate::notify`]).
#[async_trait]
pub trait NotifyStore: Send + Sync + 'static {
    /// The account's preferences, if it ever set them.
    async fn notify_prefs(&self, account: AccountId) -> StoreResult<Option<crate::notify::NotifyPrefs>>;
    /// Sets them and logs `events`, in one write.
    async fn put_notify_prefs(
        &self,
        account: AccountId,
        prefs: &crate::notify::NotifyPrefs,
        events: Vec<(AccountId, crate::chat::AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<()>;
    /// The active members of `conversation` but `sender` whose accounts (enabled, with an
    /// email address) have email digests on, with what the rule needs.
    async fn digest_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
    ) -> StoreResult<Vec<crate::digest::DigestAudience>>;
    /// Notes messages for digests; one already noted is kept as it is, and an account with
    /// `per_account_max` items waiting gets no more until its digest goes.
    async fn add_digest_items(&self, items: &[crate::digest::DigestItem], per_account_max: usize) -> StoreResult<()>;
    /// Claims up to `limit` accounts with an item due at `now_ms`: every item of theirs that no
    /// other pass holds (also those not due yet: a digest is the account's) is held until
    /// `now_ms + lease_ms`, so that no other pass takes them meanwhile.
    async fn claim_digests(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> StoreResult<Vec<crate::digest::DueDigest>>;
    /// Makes the account's items due at `until_ms` (it was seen lately), held by no claim.
    async fn postpone_digest(&self, account: AccountId, until_ms: i64) -> StoreResult<()>;
    /// Forgets these items of the account: its digest went (or had nothing left to say).
    async fn finish_digest(&self, account: AccountId, items: &[(ConversationId, Seq)]) -> StoreResult<()>;
}

/// Push targets, push jobs and the push outbox (see [`crate::push`]).
#[async_trait]
pub trait PushStore: Send + Sync + 'static {
    /// Keeps a target: a new one, or the one with the same [`PushAddress::key`] moved to this
    /// account and session. `None` (nothing written) when the account already has
    /// `per_account_max` other targets.
    ///
    /// [`PushAddress::key`]: crate::push::PushAddress::key
    async fn put_push_target(
        &self,
        new: &crate::push::NewPushTarget,
        now_ms: i64,
        per_account_max: usize,
    ) -> StoreResult<Option<crate::push::PushTarget>>;
    /// The account's targets of live sessions, oldest first.
    async fn push_targets(&self, account: AccountId) -> StoreResult<Vec<crate::push::PushTarget>>;
    /// Forgets one of the account's targets and its waiting pushes; whether it had it.
    async fn delete_push_target(&self, account: AccountId, id: i64) -> StoreResult<bool>;
    /// The active members of `conversation` other than `sender`, of enabled accounts, that
    /// have targets of sessions live at `now_ms`: with where they joined, their read mark,
    /// settings here, preferences, whether they blocked `sender`, and those targets.
    async fn push_audience(
        &self,
        conversation: ConversationId,
        sender: AccountId,
        now_ms: i64,
    ) -> StoreResult<Vec<crate::push::Audience>>;
    /// Writes messages' push jobs (each one notice and the targets it goes to; a message's jobs
    /// next to each other) in one write, due at once; how many pushes it wrote. The first job of
    /// a message stands for all of them: when the message already has one (it was handled
    /// before, here or on another node), none of its jobs is written, even if its members'
    /// settings changed in between and the notices came out otherwise. `None` (nothing
    /// written) when `outbox_len_max` pushes already wait: the targets of jobs not done and the
    /// outbox's rows not done.
    async fn enqueue_push_jobs(
        &self,
        jobs: &[crate::push::NewPushJob],
        now_ms: i64,
        outbox_len_max: usize,
    ) -> StoreResult<Option<u64>>;
    /// Claims push jobs due at `now_ms` that no node holds, oldest first, each held until
    /// `now_ms + lease_ms`: at most `jobs_max`, and after the first only while their targets come
    /// to at most `targets_max` in all.
    async fn claim_push_jobs(
        &self,
        now_ms: i64,
        lease_ms: i64,
        jobs_max: usize,
        targets_max: usize,
    ) -> StoreResult<Vec<crate::push::PushJob>>;
    /// What claimed jobs of `conversation` go to now, in one read: those of `targets` still
    /// kept (a target deleted since is left out; the caller checks each one's account against
    /// the job's, as a device may have moved to another account), and the members who have
    /// read the conversation up to `read_from` or further.
    async fn push_job_targets(
        &self,
        conversation: ConversationId,
        targets: &[i64],
        read_from: Seq,
    ) -> StoreResult<crate::push::JobTargets>;
    /// Finishes claimed jobs in one write: each is marked done, and what became of its pushes
    /// that were not sent is written: a retry becomes an outbox row (1 attempt, due at its
    /// time, unless the outbox has that push already), a give-up or a gone target is recorded
    /// for the admin's view and a gone target dropped. A job already done (its claim ran out
    /// and another sender finished it) is left as it is, its outcomes unwritten.
    async fn finish_push_jobs(&self, jobs: &[crate::push::FinishedJob], now_ms: i64) -> StoreResult<()>;
    /// Claims up to `limit` outbox rows (pushes being retried) due at `now_ms` that no node
    /// holds, oldest first, each held until `now_ms + lease_ms`, with its target and where the
    /// account has read up to now.
    async fn claim_pushes(&self, now_ms: i64, lease_ms: i64, limit: usize)
    -> StoreResult<Vec<crate::push::QueuedPush>>;
    /// Records what became of claimed pushes, in one write (see [`crate::push::PushOutcome`]);
    /// failures and dropped targets are kept for the admin's view.
    async fn push_done(&self, outcomes: &[(i64, crate::push::PushOutcome)], now_ms: i64) -> StoreResult<()>;
    /// Forgets jobs and outbox rows done (sent or given up) and failures recorded before
    /// `before_ms`; how many jobs and rows.
    async fn prune_pushes(&self, before_ms: i64) -> StoreResult<u64>;
    /// Pushes waiting (due or not): the targets of jobs not done and the outbox's rows not done.
    async fn push_outbox_len(&self) -> StoreResult<u64>;
    /// Recorded failures, newest first, of accounts of `domain` (or all).
    async fn push_failures(&self, domain: Option<DomainId>, limit: usize)
    -> StoreResult<Vec<crate::push::PushFailure>>;
}

/// Where each durable follower of the log stands, so that it resumes there after a restart.
#[async_trait]
pub trait CursorStore: Send + Sync + 'static {
    /// The cursor `consumer` saved last, if any.
    async fn load_cursor(&self, consumer: &str) -> StoreResult<Option<LogCursor>>;
    /// Records that `consumer` has handled everything up to `cursor`.
    async fn save_cursor(&self, consumer: &str, cursor: LogCursor) -> StoreResult<()>;
}

/// Contacts, friend requests and blocks, and who hears of an account's presence.
#[async_trait]
pub trait ContactStore: Send + Sync + 'static {
    /// Where `a` and `b` stand, seen from `a`.
    async fn contact_state(&self, a: AccountId, b: AccountId) -> StoreResult<ContactState>;
    /// Records (or renews) a request and logs `events`.
    async fn put_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        message: Option<String>,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<()>;
    /// Turns a pending request into a friendship; logs `events` and returns `true` if there
    /// was one.
    async fn accept_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool>;
    /// Deletes a pending request; logs `events` and returns `true` if there was one.
    async fn delete_friend_request(
        &self,
        from: AccountId,
        to: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool>;
    /// Ends a friendship both ways; logs `events` and returns `true` if there was one.
    async fn remove_contact(
        &self,
        a: AccountId,
        b: AccountId,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool>;
    /// Blocks or unblocks; logs `events` if that changed anything.
    async fn set_block(
        &self,
        account: AccountId,
        blocked: AccountId,
        on: bool,
        at_ms: i64,
        events: Vec<(AccountId, AccountEvent)>,
    ) -> StoreResult<bool>;
    /// Contacts by login name.
    async fn contacts(&self, account: AccountId) -> StoreResult<Vec<Account>>;
    /// Pending requests to and from the account, oldest first.
    async fn friend_requests(&self, account: AccountId) -> StoreResult<Vec<FriendRequest>>;
    async fn blocked(&self, account: AccountId) -> StoreResult<Vec<Account>>;
    /// Who hears of an account's presence: its contacts and the members of its direct chats
    /// and of its groups with at most `group_members_max` members, less those it blocks.
    async fn presence_audience(&self, account: AccountId, group_members_max: usize) -> StoreResult<Vec<AccountId>>;
}

/// Uploads in progress and complete files (their rows; the bytes are the [`BlobStore`]'s).
#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Records an upload unless the account's usage with it (files and open uploads, each
    /// counted as at least [`crate::files::FILE_BYTES_MIN`]) would pass `quota_bytes`:
    /// `false` then, and nothing recorded. The check and the insert are one transaction.
    async fn create_upload(&self, upload: &Upload, quota_bytes: u64) -> StoreResult<bool>;
    async fn upload(&self, id: &FileId) -> StoreResult<Option<Upload>>;
    async fn set_upload_offset(&self, id: &FileId, offset: u64, expires_at_ms: i64) -> StoreResult<()>;
    async fn delete_upload(&self, id: &FileId) -> StoreResult<()>;
    /// Turns an upload into a file, atomically: the upload row goes, the file row comes, and
    /// the blob's reference count goes up.
    async fn complete_upload(&self, file: &StoredFile) -> StoreResult<()>;
    async fn file(&self, id: &FileId) -> StoreResult<Option<StoredFile>>;
    /// Bytes of the account's files plus the declared lengths of its open uploads, each
    /// counted as at least [`crate::files::FILE_BYTES_MIN`].
    async fn bytes_used(&self, account: AccountId) -> StoreResult<u64>;
    /// May `account` read the file through a message that refers to it: a message, not
    /// recalled, in a conversation of which the account is (or was, for what came before
    /// its end) a member that may read that message? Or a sticker of its domain? Or the avatar
    /// of an account or a conversation (while it is one), uploaded by an account of its domain?
    async fn file_shared_with(&self, file: &FileId, account: AccountId) -> StoreResult<bool>;
    /// Deletes up to `limit` uploads that expired before `now_ms`; returns their ids.
    async fn take_expired_uploads(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<FileId>>;
    /// Deletes up to `limit` files that no message ever referred to, no scheduled message
    /// refers to and no account or conversation has as its avatar, made before `before_ms`, and
    /// the blobs no file uses any more; returns those blobs' digests.
    async fn take_unshared_files(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<String>>;
    /// Does any file use this content?
    async fn blob_in_use(&self, sha256: &str) -> StoreResult<bool>;
}

/// Each account's saved messages: copies of messages taken at commit (see
/// [`crate::saved`]). Every write is one transaction that logs its account events.
#[async_trait]
pub trait SavedStore: Send + Sync + 'static {
    /// Saves a copy of the entry at (`conversation`, `seq`) for `new.account`, if `new.check`
    /// passes on what the transaction reads (the conversation, the account's membership, the
    /// entry as it is now, how many items the account has), and logs `saved_changed` with the
    /// new id on the account's log. The copy is the entry's kind, body, sender and time as the
    /// transaction reads them, so a recall that commits first leaves nothing to copy, and one
    /// that commits after erases the copy. If the account saved that entry before, returns that
    /// item and `false`, checking and changing nothing.
    async fn save(&self, new: NewSaved) -> StoreResult<Result<(SavedItem, bool), Error>>;
    /// The account's items with ids below `before` (all if `None`), newest first, at most
    /// `limit`.
    async fn saved_items(
        &self,
        account: AccountId,
        before: Option<SavedId>,
        limit: usize,
    ) -> StoreResult<Vec<SavedItem>>;
    /// One of the account's items.
    async fn saved_item(&self, account: AccountId, id: SavedId) -> StoreResult<Option<SavedItem>>;
    /// Sets an item's note (`None` clears it) and logs `events`; `None` if the account has no
    /// such item (and nothing is logged).
    async fn set_saved_note(
        &self,
        account: AccountId,
        id: SavedId,
        note: Option<String>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<SavedItem>>;
    /// Removes an item and logs `events`; `false` if the account has no such item (and nothing
    /// is logged).
    async fn remove_saved(
        &self,
        account: AccountId,
        id: SavedId,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool>;
}

/// Threads: their replies, and who follows which and how far it read it (see
/// [`crate::threads`]). Replies themselves are appended through [`ConversationLog::append`]
/// with [`crate::chat::Effect::ThreadReply`].
#[async_trait]
pub trait ThreadStore: Send + Sync + 'static {
    /// A page of the replies of the thread rooted at `root`, as `viewer` sees them
    /// (reactions, hidden flags), oldest first, [`Page`] counted over the replies' seqs, never
    /// before `floor` and, if given, only before `ceiling`.
    #[allow(clippy::too_many_arguments)]
    async fn thread_entries(
        &self,
        conversation: ConversationId,
        root: Seq,
        page: Page,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>>;
    /// The account's standing in one thread, if it ever followed it.
    async fn thread_follow(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
    ) -> StoreResult<Option<ThreadFollow>>;
    /// Sets whether the account follows the thread and raises its read mark there (never
    /// lowers it; an account that never followed it stands at the root, unfollowed), in one
    /// transaction that logs `thread_changed` with the outcome on the account's log when
    /// anything changed. Returns the standing as it is now.
    #[allow(clippy::too_many_arguments)]
    async fn update_thread_follow(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
        following: Option<bool>,
        read_seq: Option<Seq>,
        at_ms: i64,
    ) -> StoreResult<ThreadFollow>;
    /// Replies of the thread after `after` that others than `account` sent, less recalled ones
    /// and those `account` hid.
    async fn thread_unread(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
        after: Seq,
    ) -> StoreResult<u32>;
    /// The threads the account follows, in conversations where it is an active member and
    /// whose roots it can read (at or after its `joined_seq`), with `conversation` only that
    /// one's; the one with the newest reply first, at most `limit`.
    async fn followed_threads(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Thread>>;
}

/// Each account's scheduled messages, and the claims through which the senders of the
/// deployment's nodes take those that fall due (see [`crate::scheduled`]). A message *waits*
/// until it is sent (its row is deleted) or fails (it is kept, with why, until its owner edits,
/// sends or cancels it). A *claim* holds a message for one sender until a time; a message that a
/// live claim holds is being sent, and is neither claimed again nor edited nor cancelled. Every
/// write is one transaction that logs its account events.
#[async_trait]
pub trait ScheduledStore: Send + Sync + 'static {
    /// Records a waiting message and logs `scheduled_changed` with its id on its account's
    /// log, unless the account holds `per_account_max` scheduled messages (waiting or failed)
    /// already: `limit_exceeded`, and nothing is recorded.
    async fn schedule(&self, new: NewScheduled, per_account_max: usize)
    -> StoreResult<Result<ScheduledMessage, Error>>;
    /// The account's scheduled messages, in one conversation if given, by `send_at_ms` and then
    /// id, at most `limit`.
    async fn scheduled_messages(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduledMessage>>;
    /// One of the account's scheduled messages.
    async fn scheduled_message(&self, account: AccountId, id: ScheduledId) -> StoreResult<Option<ScheduledMessage>>;
    /// Replaces the message's time, body, mentions and files with `edit`'s (it waits again, its
    /// failure forgotten) and logs `events`; `None` if the account has no such message (and
    /// nothing is logged), `conflict` if a live claim at `now_ms` holds it.
    async fn edit_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        edit: ScheduledEdit,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<Option<ScheduledMessage>, Error>>;
    /// Deletes the message and logs `events`; `false` if the account has no such message (and
    /// nothing is logged), `conflict` if a live claim at `now_ms` holds it.
    async fn cancel_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        events: Vec<(AccountId, AccountEvent)>,
        now_ms: i64,
    ) -> StoreResult<Result<bool, Error>>;
    /// Claims until `until_ms` the waiting messages due at `now_ms` that no live claim holds,
    /// the earliest first, at most `limit`: those whose `send_at_ms` is at or before it, and
    /// those whose claim lapsed (a sender began to send them and did not settle), whatever their
    /// time. Of senders claiming at once, on any nodes, each message goes to one.
    async fn claim_due(&self, now_ms: i64, until_ms: i64, limit: usize) -> StoreResult<Vec<ScheduledMessage>>;
    /// Claims one of the account's messages until `until_ms`, waiting or failed and whatever
    /// its time (to send it now): `not_found` if it has no such message, `conflict` if a live
    /// claim at `now_ms` holds it.
    async fn claim_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<Result<ScheduledMessage, Error>>;
    /// Ends the claim that holds message `id` until `claimed_until_ms` as `outcome` says, and
    /// logs `events`; `false`, changing and logging nothing, if that claim no longer holds it
    /// (it lapsed and another was made, or the message was edited or cancelled after it lapsed).
    async fn settle_scheduled(
        &self,
        id: ScheduledId,
        claimed_until_ms: i64,
        outcome: Settled,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<bool>;
    /// When a sender should look next: the earliest `send_at_ms` of a waiting message that no
    /// claim holds, or the earliest end of a claim on a waiting message (a failed one is not
    /// claimed again when its claim ends); `None` while nothing waits.
    async fn next_scheduled_due(&self) -> StoreResult<Option<i64>>;
}

/// The audit log (see [`crate::audit`]): append-only. There is no way to change or remove a
/// record through this port.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends a record; returns its id, greater than every id before it.
    async fn append_audit(&self, record: &crate::audit::NewAuditRecord) -> StoreResult<i64>;
    /// Up to `limit` records `filter` selects: newest first, or oldest first when it pages
    /// with `after_id`.
    async fn audit_records(
        &self,
        filter: &crate::audit::AuditFilter,
        limit: usize,
    ) -> StoreResult<Vec<crate::audit::AuditRecord>>;
}

/// Compliance exports (see [`crate::export`]): the jobs, their progress and where their
/// archives are. Every write is one transaction.
#[async_trait]
pub trait ExportStore: Send + Sync + 'static {
    /// Records a new export, `running`, with no progress yet.
    async fn create_export(&self, new: &crate::export::NewExport) -> StoreResult<crate::export::ExportJob>;
    async fn export(&self, id: i64) -> StoreResult<Option<crate::export::ExportJob>>;
    /// Exports of one domain (or of every domain: `None`), newest first, at most `limit`.
    async fn exports(&self, domain: Option<DomainId>, limit: usize) -> StoreResult<Vec<crate::export::ExportJob>>;
    /// Writes a running export's progress and, when `job.state` is no longer `running`, its
    /// outcome (state, archive, error, finished and expiry times), from `job`. Only while it is
    /// running: `false`, and nothing written, once it is not (the sweep failed it meanwhile).
    async fn update_export(&self, job: &crate::export::ExportJob) -> StoreResult<bool>;
    /// Fails every running export last updated before `before_ms`, with `error`, finished at
    /// `at_ms` and expiring at `expires_at_ms`; returns how many.
    async fn fail_stale_exports(&self, before_ms: i64, error: &str, at_ms: i64, expires_at_ms: i64)
    -> StoreResult<u64>;
    /// Deletes up to `limit` finished exports that expired at or before `now_ms`; returns the
    /// digests of the archives they had.
    async fn take_expired_exports(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<String>>;
}

/// Retention (see [`crate::retention`]): the policies, what each conversation lost, the runs,
/// and the blobs of files a prune deleted until their bytes are gone. The prune itself is
/// [`crate::chat::Effect::Prune`] on an append.
#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// Days a domain keeps its entries; `None`: for ever.
    async fn retention_days(&self, domain: DomainId) -> StoreResult<Option<u32>>;
    async fn set_retention_days(&self, domain: DomainId, days: Option<u32>) -> StoreResult<()>;
    /// The domain's conversations that have their own policy, by id.
    async fn conversation_retention(
        &self,
        domain: DomainId,
    ) -> StoreResult<Vec<crate::retention::ConversationRetention>>;
    /// Sets a conversation's own policy (`Some(0)`: for ever), or drops it (`None`).
    async fn set_conversation_retention(&self, conversation: ConversationId, days: Option<u32>) -> StoreResult<()>;
    /// The domains with a policy, or a conversation with its own.
    async fn domains_with_retention(&self) -> StoreResult<Vec<DomainId>>;
    /// The domain's conversations after `after` by id that have entries left, at most `limit`.
    async fn prune_candidates(
        &self,
        domain: DomainId,
        after: ConversationId,
        limit: usize,
    ) -> StoreResult<Vec<crate::retention::PruneCandidate>>;
    /// Where a prune of the conversation after `after` may end: among the unbroken run of
    /// entries from `after + 1` that are older than `before_ms` (at most `limit` of them), the
    /// last that is not a `history_pruned` notice, so that a conversation in which only an
    /// earlier prune's notice is old is left alone; `None` if there is none.
    async fn prune_point(
        &self,
        conversation: ConversationId,
        after: Seq,
        before_ms: i64,
        limit: i64,
    ) -> StoreResult<Option<Seq>>;
    /// Records a new run (its `id` is ignored) and answers it with its id.
    async fn create_retention_run(
        &self,
        run: &crate::retention::RetentionRun,
    ) -> StoreResult<crate::retention::RetentionRun>;
    /// Records a run's progress or end.
    async fn update_retention_run(&self, run: &crate::retention::RetentionRun) -> StoreResult<()>;
    async fn retention_run(&self, id: i64) -> StoreResult<Option<crate::retention::RetentionRun>>;
    /// A domain's runs, newest first.
    async fn retention_runs(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<crate::retention::RetentionRun>>;
    /// Fails the runs still `running` that were last recorded before `before_ms`.
    async fn fail_stale_retention_runs(&self, before_ms: i64, error: &str, now_ms: i64) -> StoreResult<u64>;
    /// Blobs whose last file a prune deleted, whose bytes may still be stored.
    async fn doomed_blobs(&self, limit: usize) -> StoreResult<Vec<String>>;
    /// Their bytes are gone.
    async fn forget_doomed_blobs(&self, sha256s: &[String]) -> StoreResult<()>;
}

/// Each domain's forbidden words (see [`crate::moderation`]).
#[async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// A domain's rules; `None` if it never had any.
    async fn moderation_rules(&self, domain: DomainId) -> StoreResult<Option<crate::moderation::ModerationRules>>;
    /// Sets (replaces) a domain's rules.
    async fn set_moderation_rules(
        &self,
        domain: DomainId,
        rules: &crate::moderation::ModerationRules,
    ) -> StoreResult<()>;
}

/// A domain's sticker packs.
#[async_trait]
pub trait StickerStore: Send + Sync + 'static {
    async fn create_sticker_pack(&self, domain: DomainId, name: &str, at_ms: i64) -> StoreResult<StickerPack>;
    /// Adds a sticker at the end of a pack (again: nothing changes), and keeps its file from
    /// retention as if a message had shared it.
    async fn add_sticker(&self, pack: i64, file: &FileId, emoji: Option<&str>) -> StoreResult<()>;
    async fn sticker_pack(&self, id: i64) -> StoreResult<Option<StickerPack>>;
    /// The packs of a domain, oldest first.
    async fn sticker_packs(&self, domain: DomainId) -> StoreResult<Vec<StickerPack>>;
}

/// The cache of link previews, shared by every account of the deployment and keyed by the
/// URL as the core normalised it. A cache: entries expire, and losing one costs a fetch.
#[async_trait]
pub trait PreviewStore: Send + Sync + 'static {
    /// The cached preview of `url` (without its image's bytes), expired or not.
    async fn link_preview(&self, url: &str) -> StoreResult<Option<CachedPreview>>;
    /// Stores (or replaces) the preview of its URL, with its image's JPEG if it has one.
    async fn put_link_preview(&self, preview: &CachedPreview, image_jpeg: Option<&[u8]>) -> StoreResult<()>;
    /// The JPEG of the cached preview of `url`, if it has an image.
    async fn link_preview_image(&self, url: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes up to `limit` previews that expired before `before_ms`; returns how many.
    async fn prune_link_previews(&self, before_ms: i64, limit: usize) -> StoreResult<u64>;
}

/// Fetches what a client names by URL (link previews) from the network, under the network's
/// rules: only public addresses (checked after resolving, at every redirect, and connected to
/// as checked), bounded redirects, size and time, no cookies or credentials. The one port
/// through which a client can aim the server at a third party; the adapter is
/// `magpie-fetch`. Each URL it is handed, and each it is redirected to, passes
/// [`crate::previews::UrlPolicy::check`] first.
#[async_trait]
pub trait LinkFetcher: Send + Sync + 'static {
    /// An HTML page's title and `<meta>` tags (within the adapter's bounds), and where it
    /// was found after redirects.
    async fn page(&self, url: &url::Url) -> Result<FetchedPage, FetchError>;
    /// The bytes of an image, at most `bytes_max` (more is `TooLarge`).
    async fn image(&self, url: &url::Url, bytes_max: u64) -> Result<Vec<u8>, FetchError>;
}

/// Where file bytes live: partial uploads, and complete blobs keyed by their SHA-256. The
/// local-disk adapter keeps them under the data directory; the S3 adapter in a bucket that the
/// nodes of a cluster share, so that any node can go on with an upload another began.
///
/// `magpie_store_tests::blobs` holds the contract as checks that every adapter passes. A call
/// on an upload that was never started, or that `finish` or `discard` ended, fails with a
/// store error, except `discard` (nothing to do) and `start` (which begins it anew).
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Prepares an empty partial upload (emptying one that exists).
    async fn start(&self, upload: &FileId) -> StoreResult<()>;
    /// Appends what `data` yields to the upload, which must be at least `offset` bytes long
    /// (anything past that is cut first; a shorter upload is refused with a store error), and
    /// makes it durable. Refuses more than `room_bytes` with `TooLarge`, keeping none of the
    /// chunk. Computes the chunk's SHA-1 and SHA-256 if `digest`. If `data` fails, what it
    /// yielded before is kept and the result says `interrupted`.
    async fn append(
        &self,
        upload: &FileId,
        offset: u64,
        room_bytes: u64,
        digest: bool,
        data: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    ) -> Result<Written, Error>;
    /// The first `len` bytes of a partial upload (fewer if it is shorter).
    async fn upload_head(&self, upload: &FileId, len: usize) -> StoreResult<Vec<u8>>;
    /// Overwrites bytes of a partial upload in place (to blank out metadata), durably. The
    /// bytes must lie within the upload.
    async fn overwrite(&self, upload: &FileId, offset: u64, bytes: Vec<u8>) -> StoreResult<()>;
    /// Cuts the upload back to `offset` bytes (a shorter one stays as it is).
    async fn truncate(&self, upload: &FileId, offset: u64) -> StoreResult<()>;
    /// Turns a complete upload into a blob (or drops it if that content is stored already).
    async fn finish(&self, upload: &FileId) -> StoreResult<FinishedBlob>;
    /// Drops a partial upload.
    async fn discard(&self, upload: &FileId) -> StoreResult<()>;
    /// Stores a complete blob (a thumbnail) under its SHA-256, once; returns the digest.
    async fn put(&self, bytes: Vec<u8>) -> StoreResult<String>;
    /// Deletes a blob no file uses any more.
    async fn remove(&self, sha256: &str) -> StoreResult<()>;
    /// Reads a blob, all or one range (of what is there: a range past the end yields fewer
    /// bytes, or none).
    async fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> StoreResult<Box<dyn tokio::io::AsyncRead + Send + Unpin>>;
}

/// Wall-clock time, behind a trait so that tests of time-based rules need not wait.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
    }
}

/// What the core tells this node's live connections. The transport layer implements it; what
/// other nodes' connections must hear goes over the [`Bus`] first, and each node's follower
/// hands it here.
pub trait LiveConnections: Send + Sync + 'static {
    /// Closes every live connection of these sessions, telling the client why.
    fn close_sessions(&self, sessions: &[SessionId], reason: RevokeReason);
    /// The account's profile changed: tell its connected devices.
    fn profile_updated(&self, account: &Account);
    /// Queues a committed entry for every connection of these accounts.
    fn deliver_entry(&self, accounts: &[AccountId], entry: &Entry);
    /// Queues an account event for every connection of its account.
    fn deliver_event(&self, event: &LoggedEvent);
    /// Queues an ephemeral signal (typing, presence) for these accounts' connections; a full
    /// queue drops it instead of closing the connection.
    fn signal(&self, accounts: &[AccountId], signal: &Signal);
    /// A domain's organisation changed: tell every connection of its members (ephemeral).
    fn directory_changed(&self, domain: DomainId);
}

/// The notification centre's items (see [`crate::inbox`]).
#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// Writes `new`'s item for each of its recipients that passes the filters (not the actor;
    /// not an account that blocked the actor; for an item of a conversation, only its members
    /// now; for a domain, only enabled accounts) and has no item with `new.key` yet, and logs
    /// `notification_added` with each on its account's log: what was written, with its account.
    async fn add_notifications(
        &self,
        new: crate::inbox::NewNotifications,
    ) -> StoreResult<Vec<(AccountId, crate::inbox::Notification)>>;
    /// The account's items with ids below `before` (all if `None`), newest first, at most
    /// `limit`, unread ones only if asked, leaving out those of conversations it is not a
    /// member of now; and how many such items are unread in all.
    async fn notifications(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: usize,
        unread_only: bool,
    ) -> StoreResult<(Vec<crate::inbox::Notification>, u32)>;
    /// Marks the account's items read and, if that changed any, logs `notifications_read`;
    /// how many of its (listed) items stay unread.
    async fn read_notifications(
        &self,
        account: AccountId,
        items: crate::inbox::ReadItems,
        at_ms: i64,
    ) -> StoreResult<u32>;
    /// Removes every item that shows the message at (`conversation`, `seq`), logging
    /// `notifications_removed` for each account that had one; how many went.
    async fn remove_message_notifications(
        &self,
        conversation: ConversationId,
        seq: Seq,
        at_ms: i64,
    ) -> StoreResult<u64>;
    /// Removes items older than `before_ms`, and each account's beyond its newest
    /// `keep_per_account`; how many went. Logs nothing: clients keep what they listed.
    async fn prune_notifications(&self, keep_per_account: usize, before_ms: i64) -> StoreResult<u64>;
    /// Each account's badge at `now_ms`: how many of its conversations have messages it has
    /// not read (or are marked unread), those muted then aside. Accounts with none are left out.
    async fn badges(&self, accounts: Vec<AccountId>, now_ms: i64) -> StoreResult<Vec<(AccountId, u32)>>;
}

/// Bots' own rows (see [`crate::bots`]): who made each and what it is for. The bot's account
/// is written with its row by [`AccountStore::create_account`] (`NewAccount::bot`); its tokens
/// are sessions.
#[async_trait]
pub trait BotStore: Send + Sync + 'static {
    /// The domain's bots (only `owner`'s, if given), by name, at most `limit`.
    async fn bots(
        &self,
        domain: DomainId,
        owner: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<crate::bots::Bot>>;
    /// The bot with this account, if it is one.
    async fn bot(&self, account: AccountId) -> StoreResult<Option<crate::bots::Bot>>;
    async fn set_bot_description(&self, account: AccountId, description: &str) -> StoreResult<()>;

    // Outgoing webhooks (crate::webhooks): subscriptions and their events.

    /// Keeps a new subscription (enabled, no failures); `None` (nothing written) when the bot
    /// already has `per_bot_max`.
    async fn create_subscription(
        &self,
        new: &crate::webhooks::NewSubscription,
        per_bot_max: usize,
    ) -> StoreResult<Option<crate::webhooks::Subscription>>;
    /// The bot's subscriptions, oldest first, with their counts of waiting events.
    async fn subscriptions(&self, bot: AccountId) -> StoreResult<Vec<crate::webhooks::Subscription>>;
    async fn subscription(&self, id: i64) -> StoreResult<Option<crate::webhooks::Subscription>>;
    /// Replaces the bot's slash commands with `commands`, in that order. `Ok(Err(name))`, with
    /// nothing written, when another bot of the domain has a command of that name (the first
    /// such in `commands`' order).
    async fn set_bot_commands(
        &self,
        bot: AccountId,
        domain: DomainId,
        commands: &[crate::commands::NewCommand],
    ) -> StoreResult<Result<(), String>>;
    /// The bot's commands, in its order.
    async fn bot_commands(&self, bot: AccountId) -> StoreResult<Vec<crate::commands::Command>>;

    // Workbench apps (crate::apps) and their OAuth codes, grants and tokens.

    /// Installs an app last in its domain's order; `None` (nothing written) when the domain
    /// has `per_domain_max`.
    async fn create_app(
        &self,
        new: &crate::apps::NewApp,
        per_domain_max: usize,
    ) -> StoreResult<Option<crate::apps::App>>;
    /// The domain's apps, by position then id.
    async fn apps(&self, domain: DomainId) -> StoreResult<Vec<crate::apps::App>>;
    async fn app(&self, id: crate::apps::AppId) -> StoreResult<Option<crate::apps::App>>;
    /// The app of a `client_id`, with the hash of its secret.
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<(crate::apps::App, [u8; 32])>>;
    /// Applies a patch; `None` if there is no such app.
    async fn update_app(
        &self,
        id: crate::apps::AppId,
        patch: &crate::apps::AppPatch,
    ) -> StoreResult<Option<crate::apps::App>>;
    /// Sets the hash of an app's secret; whether the app is there.
    async fn set_app_secret(&self, id: crate::apps::AppId, hash: [u8; 32]) -> StoreResult<bool>;
    /// Uninstalls an app with its codes, grants and tokens, in one write; the sessions of its
    /// tokens, to be revoked (`None`: there is no such app).
    async fn delete_app(&self, id: crate::apps::AppId) -> StoreResult<Option<Vec<(AccountId, SessionId)>>>;
    /// Gives the domain's apps positions 1, 2, … in this order, in one write; `false` (nothing
    /// written) unless the list is exactly the domain's apps.
    async fn order_apps(&self, domain: DomainId, order: &[crate::apps::AppId]) -> StoreResult<bool>;
    /// Keeps an authorization code by its hash; past `per_grant_max` codes waiting for its
    /// (app, account), forgets the oldest.
    async fn put_oauth_code(
        &self,
        hash: &[u8; 32],
        code: &crate::apps::OAuthCode,
        per_grant_max: usize,
    ) -> StoreResult<()>;
    /// Takes an authorization code: answers it once and forgets it (two takes at once: one
    /// gets it).
    async fn take_oauth_code(&self, hash: &[u8; 32]) -> StoreResult<Option<crate::apps::OAuthCode>>;
    /// Records a user's consent to an app, adding `scopes` to those granted before.
    async fn put_app_grant(
        &self,
        app: crate::apps::AppId,
        account: AccountId,
        scopes: &[crate::apps::AppScope],
        at_ms: i64,
    ) -> StoreResult<()>;
    /// What the user granted the app, and when first.
    async fn app_grant(
        &self,
        app: crate::apps::AppId,
        account: AccountId,
    ) -> StoreResult<Option<(Vec<crate::apps::AppScope>, i64)>>;
    /// Every grant of a user: (app, scopes, granted at).
    async fn app_grants(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(crate::apps::AppId, Vec<crate::apps::AppScope>, i64)>>;
    /// Forgets a user's grant with its tokens, in one write; the sessions of those tokens
    /// (`None`: there was no grant).
    async fn delete_app_grant(
        &self,
        app: crate::apps::AppId,
        account: AccountId,
    ) -> StoreResult<Option<Vec<(AccountId, SessionId)>>>;
    /// An authorization code by its hash, left in place.
    async fn oauth_code(&self, hash: &[u8; 32]) -> StoreResult<Option<crate::apps::OAuthCode>>;
    /// Keeps a token pair in exchange for `spends`, in one write: only while that is still
    /// there (it goes) and the user still grants the app, so that a pair never outlives a
    /// withdrawn grant and a family always has its code or its one pair to revoke. Past
    /// `per_grant_max` pairs of its (app, account), forgets the oldest and answers their
    /// sessions, to be revoked.
    async fn put_app_token(
        &self,
        token: &crate::apps::AppToken,
        spends: crate::apps::Spends,
        per_grant_max: usize,
    ) -> StoreResult<crate::apps::Kept>;
    /// The pair of a refresh token's hash.
    async fn app_token(&self, refresh_hash: &[u8; 32]) -> StoreResult<Option<crate::apps::AppToken>>;
    /// Takes the pair of a refresh token's hash: answers it once and forgets it.
    async fn take_app_token(&self, refresh_hash: &[u8; 32]) -> StoreResult<Option<crate::apps::AppToken>>;
    /// Forgets the pairs of a family (one, unless a refresh raced another); their sessions, to
    /// be revoked.
    async fn take_app_family(&self, family: &crate::apps::Family) -> StoreResult<Vec<(AccountId, SessionId)>>;
    /// Deletes codes and token pairs expired before `now_ms`; how many rows went.
    async fn prune_oauth(&self, now_ms: i64) -> StoreResult<u64>;
    /// The commands of the bots that are active members of the conversation, by name.
    async fn conversation_commands(&self, conversation: ConversationId) -> StoreResult<Vec<crate::commands::Command>>;
    /// The secret that signs a subscription's requests, if it is there.
    async fn subscription_secret(&self, id: i64) -> StoreResult<Option<String>>;
    /// Changes a subscription (`None`: it is not there). Enabling it (from disabled) clears its
    /// failures, last error and `disabled_at_ms`, and makes its waiting events due at once;
    /// disabling it (a person does) leaves its events waiting.
    async fn update_subscription(
        &self,
        id: i64,
        patch: &crate::webhooks::SubscriptionPatch,
    ) -> StoreResult<Option<crate::webhooks::Subscription>>;
    /// Forgets a subscription and all its events; whether it had it.
    async fn delete_subscription(&self, id: i64) -> StoreResult<bool>;
    /// The enabled subscriptions of bots that are active members of these conversations, each
    /// with the conversation (a subscription whose bot is in two of them comes twice).
    async fn webhook_subscribers(
        &self,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, crate::webhooks::Subscription)>>;
    /// Writes events in one write, due at `now_ms`; how many it wrote. An event whose
    /// (subscription, conversation, seq) was written before, delivered or not, is not written
    /// again. A subscription with `pending_max` events waiting gets none more: each one it did
    /// not get adds 1 to its `dropped`.
    async fn enqueue_webhook_events(
        &self,
        events: &[crate::webhooks::NewWebhookEvent],
        now_ms: i64,
        pending_max: usize,
    ) -> StoreResult<u64>;
    /// Claims streams of enabled subscriptions: a stream is the waiting events of one
    /// subscription in one conversation, and is claimed only when its first (lowest seq) is due
    /// at `now_ms` and held by no one; then its first `batch_max` events, in seq order, are
    /// each held until `now_ms + lease_ms`. At most `streams_max` streams, those whose first
    /// event was written first before the others. So two claims never hold events of the same
    /// stream, and a stream's events are handed out in order.
    async fn claim_webhook_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        streams_max: usize,
        batch_max: usize,
    ) -> StoreResult<Vec<crate::webhooks::WebhookBatch>>;
    /// Records what came of requests, in one write, one outcome after another in the order
    /// given. A request that delivered its events: they are done (kept until pruned, so that
    /// they are not written again) and the subscription's failures go back to 0, its last
    /// success being `now_ms`. A request that failed: its events are no longer held, their
    /// attempts go up by 1 and they are due at its `retry_at_ms`; the subscription's failures go
    /// up by 1 and the error is its last error; when its failures reach `failures_max` and it is
    /// enabled, it is disabled (`disabled_at_ms` = `now_ms`). Events no longer there (the
    /// subscription was deleted, or another node delivered them) are ignored. Answers the
    /// subscriptions these failures disabled, each once, as they are after the write.
    async fn webhook_outcomes(
        &self,
        outcomes: &[crate::webhooks::WebhookOutcome],
        now_ms: i64,
        failures_max: u32,
    ) -> StoreResult<Vec<crate::webhooks::Subscription>>;
    /// [`BotStore::webhook_outcomes`] of one request that delivered its events.
    async fn webhook_delivered(&self, subscription: i64, events: &[i64], now_ms: i64) -> StoreResult<()> {
        let outcome = crate::webhooks::WebhookOutcome { subscription, events: events.to_vec(), result: Ok(()) };
        self.webhook_outcomes(&[outcome], now_ms, u32::MAX).await.map(drop)
    }
    /// [`BotStore::webhook_outcomes`] of one request that failed, and the subscription after.
    async fn webhook_failed(
        &self,
        subscription: i64,
        events: &[i64],
        error: &str,
        retry_at_ms: i64,
        now_ms: i64,
        failures_max: u32,
    ) -> StoreResult<crate::webhooks::Failed> {
        let retry = crate::webhooks::Retry { error: error.to_owned(), retry_at_ms };
        let outcome = crate::webhooks::WebhookOutcome { subscription, events: events.to_vec(), result: Err(retry) };
        let disabled = self.webhook_outcomes(&[outcome], now_ms, failures_max).await?;
        let disabled_now = !disabled.is_empty();
        Ok(crate::webhooks::Failed { subscription: self.subscription(subscription).await?, disabled_now })
    }
    /// Forgets at most `limit` delivered events delivered before `before_ms` (the oldest
    /// first); how many.
    async fn prune_webhook_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wake(n: u128) -> Wake {
        Wake::Log { from: None, to: LogCursor(n), items: Arc::from([]) }
    }

    fn to(received: Received) -> Option<u128> {
        match received {
            Received::Wake(wake) => match *wake {
                Wake::Log { to, .. } => Some(to.0),
                _ => None,
            },
            _ => None,
        }
    }

    /// A receiver with losses hears `Missed` once for the losses since it last looked (none
    /// from before it was made), between the wakes, and still hears the bus close.
    #[tokio::test]
    async fn a_receiver_hears_of_losses_after_it_was_made() {
        let wakes = tokio::sync::broadcast::channel(8).0;
        let losses = tokio::sync::watch::Sender::new(0_u64);
        losses.send_modify(|n| *n += 1);
        let mut receiver = BusReceiver::with_losses(wakes.subscribe(), losses.subscribe());
        let _ = wakes.send(Arc::new(wake(1)));
        assert_eq!(to(receiver.recv().await), Some(1), "a loss from before it was made is not news");

        losses.send_modify(|n| *n += 1);
        losses.send_modify(|n| *n += 1);
        assert!(matches!(receiver.recv().await, Received::Missed));
        let _ = wakes.send(Arc::new(wake(2)));
        assert_eq!(to(receiver.recv().await), Some(2), "two losses in a row are one piece of news");

        drop(losses);
        let _ = wakes.send(Arc::new(wake(3)));
        assert_eq!(to(receiver.recv().await), Some(3));
        drop(wakes);
        assert!(matches!(receiver.recv().await, Received::Closed));
    }
}

/// One line of a pocket's history: a movement that changed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PocketLine {
    /// The movement's id: increasing in the order movements were made.
    pub movement: i64,
    pub key: String,
    /// What it moved into the pocket (negative: out of it).
    pub amount: i64,
    /// The pocket's balance right after it.
    pub balance_after: i64,
    pub at_ms: i64,
}

/// A domain's ledger (see [`crate::ledger`]): each pocket's balance, and the movements that
/// made them, each under its idempotency key.
#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Applies a movement whole or not at all, in one write: the refusal of
    /// [`crate::ledger::check`] for a malformed one; `Moved`; `Again` (nothing moved) when its
    /// key made the same legs before;
    /// `KeyReused` when its key made other legs; `Insufficient` when a wallet or hold would go
    /// below zero. Movements at once on the same pockets are applied one after the other, never
    /// both on the same balance.
    async fn apply_movement(
        &self,
        domain: DomainId,
        movement: &crate::ledger::Movement,
        at_ms: i64,
    ) -> StoreResult<Result<crate::ledger::Applied, crate::ledger::MovementError>>;
    /// A pocket's balance: zero for one that never held money.
    async fn pocket_balance(&self, domain: DomainId, pocket: crate::ledger::Pocket) -> StoreResult<crate::ledger::Fen>;
    /// A pocket's history, newest first: up to `limit` lines of movements before `before` (a
    /// movement's id; `None`, from the newest).
    async fn pocket_history(
        &self,
        domain: DomainId,
        pocket: crate::ledger::Pocket,
        before: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<PocketLine>>;
    /// The domain's reconciliation as of one moment: the balances of its wallets and holds, and
    /// the money that came in less what went out (its outside pockets' balances, negated).
    async fn reconciliation(&self, domain: DomainId) -> StoreResult<(crate::ledger::Fen, crate::ledger::Fen)>;
}
