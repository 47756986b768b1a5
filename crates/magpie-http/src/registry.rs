//! Live WebSocket connections, by session and by account. Implements the core's
//! [`LiveConnections`] port: the core closes sessions and pushes events through it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::ws::Utf8Bytes;
use magpie_core::chat::{Entry, LoggedEvent};
use magpie_core::model::{Account, AccountId, DomainId, RevokeReason, SessionId};
use magpie_core::ports::LiveConnections;
use magpie_core::presence::Signal;
use magpie_wire::{Event, ServerFrame, close_code};
use tokio::sync::{mpsc, watch};

use crate::{Metrics, convert};

/// One encoded frame on its way to connections: encoded once and shared by every connection
/// it goes to (a pointer each in their queues; the socket write takes the bytes without a
/// copy).
pub type Frame = Arc<Utf8Bytes>;

/// A frame of this text.
pub fn frame(text: String) -> Frame {
    Arc::new(Utf8Bytes::from(text))
}

/// How a connection is told to close: the close code, its reason, and an event to send first.
#[derive(Debug, Clone)]
pub struct CloseCommand {
    pub code: u16,
    pub reason: &'static str,
    pub last_frame: Option<Box<ServerFrame>>,
}

/// A live connection, as administrators see it.
#[derive(Debug, Clone)]
pub struct LiveConn {
    pub session: SessionId,
    pub account: AccountId,
    pub domain: DomainId,
    pub ip: Option<IpAddr>,
    pub device: Option<String>,
    pub connected_at_ms: i64,
}

/// The registry's handle on one connection.
struct Conn {
    id: u64,
    account: AccountId,
    domain: DomainId,
    ip: Option<IpAddr>,
    device: Option<String>,
    connected_at_ms: i64,
    frames: mpsc::Sender<Frame>,
    close: watch::Sender<Option<CloseCommand>>,
}

/// What a connection task holds: the receiving ends of its queue and close signal.
pub struct ConnHandle {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    pub close: watch::Receiver<Option<CloseCommand>>,
    /// Lets the connection queue frames for itself (replies), through the same bounded queue.
    pub sender: mpsc::Sender<Frame>,
}

/// Bounds on live connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub per_session_max: usize,
    pub per_account_max: usize,
    /// 0: no bound per IP.
    pub per_ip_max: usize,
    pub total_max: usize,
}

/// Which connection limit a new connection would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnLimit {
    /// The session already has `per_session_max` connections.
    Session,
    /// The account already has `per_account_max` connections.
    Account,
    /// The client IP already has `per_ip_max` connections.
    Ip,
    /// The server holds `total_max` connections.
    Server,
}

/// Connections by session, and their count per client IP.
#[derive(Default)]
struct Conns {
    by_session: HashMap<SessionId, Vec<Conn>>,
    per_ip: HashMap<IpAddr, usize>,
}

#[derive(Default)]
pub struct Registry {
    conns: Mutex<Conns>,
    accounts: Mutex<HashMap<AccountId, Vec<SessionId>>>,
    next_id: AtomicU64,
    total: AtomicUsize,
    metrics: OnceLock<Arc<Metrics>>,
    /// Woken whenever a connection goes, so that shutdown can wait for the last one.
    gone: tokio::sync::Notify,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub(crate) fn attach_metrics(&self, metrics: Arc<Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    /// Whether a new connection of `session` would fit within the limits (checked before the
    /// upgrade so that the client gets an HTTP error; [`Registry::register`] checks again).
    pub fn admits(
        &self,
        session: SessionId,
        account: AccountId,
        ip: Option<IpAddr>,
        limits: ConnLimits,
    ) -> Result<(), ConnLimit> {
        let conns = self.lock_conns();
        self.check(&conns, session, account, ip, limits)
    }

    fn check(
        &self,
        conns: &Conns,
        session: SessionId,
        account: AccountId,
        ip: Option<IpAddr>,
        limits: ConnLimits,
    ) -> Result<(), ConnLimit> {
        if self.total.load(Ordering::Relaxed) >= limits.total_max {
            return Err(ConnLimit::Server);
        }
        let of_session = |s: &SessionId| conns.by_session.get(s).map_or(0, Vec::len);
        if of_session(&session) >= limits.per_session_max {
            return Err(ConnLimit::Session);
        }
        let of_account: usize = {
            let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            accounts.get(&account).map_or(0, |sessions| sessions.iter().map(of_session).sum())
        };
        if of_account >= limits.per_account_max {
            return Err(ConnLimit::Account);
        }
        if limits.per_ip_max > 0
            && let Some(ip) = ip
            && conns.per_ip.get(&ip).copied().unwrap_or(0) >= limits.per_ip_max
        {
            return Err(ConnLimit::Ip);
        }
        Ok(())
    }

    /// Registers a new connection with a send queue of `queue_len_max` frames, if it fits
    /// within the limits.
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        &self,
        session: SessionId,
        account: AccountId,
        domain: DomainId,
        ip: Option<IpAddr>,
        device: Option<String>,
        connected_at_ms: i64,
        queue_len_max: usize,
        limits: ConnLimits,
    ) -> Result<ConnHandle, ConnLimit> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(queue_len_max.max(1));
        let (close_tx, close_rx) = watch::channel(None);
        let conn = Conn { id, account, domain, ip, device, connected_at_ms, frames: tx.clone(), close: close_tx };
        {
            let mut conns = self.lock_conns();
            self.check(&conns, session, account, ip, limits)?;
            conns.by_session.entry(session).or_default().push(conn);
            if let Some(ip) = ip {
                *conns.per_ip.entry(ip).or_default() += 1;
            }
            self.total.fetch_add(1, Ordering::Relaxed);
            // Under the connection lock, so that a racing check sees the account's sessions.
            let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            let sessions = accounts.entry(account).or_default();
            if !sessions.contains(&session) {
                sessions.push(session);
            }
        }
        if let Some(m) = self.metrics.get() {
            m.ws_connections.inc();
        }
        Ok(ConnHandle { id, frames: rx, close: close_rx, sender: tx })
    }

    /// Forgets a connection once its task has ended.
    pub fn unregister(&self, session: SessionId, id: u64) {
        let mut conns = self.lock_conns();
        let Some(list) = conns.by_session.get_mut(&session) else { return };
        let Some(pos) = list.iter().position(|c| c.id == id) else { return };
        let conn = list.swap_remove(pos);
        let emptied = list.is_empty();
        self.total.fetch_sub(1, Ordering::Relaxed);
        self.gone.notify_waiters();
        if let Some(ip) = conn.ip
            && let Some(n) = conns.per_ip.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                conns.per_ip.remove(&ip);
            }
        }
        if emptied {
            conns.by_session.remove(&session);
            let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(sessions) = accounts.get_mut(&conn.account) {
                sessions.retain(|s| *s != session);
                if sessions.is_empty() {
                    accounts.remove(&conn.account);
                }
            }
        }
        drop(conns);
        if let Some(m) = self.metrics.get() {
            m.ws_connections.dec();
        }
    }

    /// Resolves once no connection is left.
    pub async fn emptied(&self) {
        loop {
            // Registered before the check, so that a connection leaving in between still wakes us.
            let gone = self.gone.notified();
            if self.is_empty() {
                return;
            }
            gone.await;
        }
    }

    /// This node's live connections (of `domain`, if given), at most `limit`, newest first;
    /// and how many there are in all.
    pub fn connections(&self, domain: Option<DomainId>, limit: usize) -> (usize, Vec<LiveConn>) {
        let conns = self.lock_conns();
        let mut all: Vec<LiveConn> = conns
            .by_session
            .iter()
            .flat_map(|(session, list)| list.iter().map(move |c| (session, c)))
            .filter(|(_, c)| domain.is_none_or(|d| c.domain == d))
            .map(|(session, c)| LiveConn {
                session: *session,
                account: c.account,
                domain: c.domain,
                ip: c.ip,
                device: c.device.clone(),
                connected_at_ms: c.connected_at_ms,
            })
            .collect();
        drop(conns);
        let total = all.len();
        all.sort_by(|a, b| b.connected_at_ms.cmp(&a.connected_at_ms).then(b.session.0.cmp(&a.session.0)));
        all.truncate(limit);
        (total, all)
    }

    /// Accounts with at least one live connection to this node.
    pub fn accounts_online(&self) -> usize {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Number of live connections.
    pub fn len(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tells every connection to close (server shutdown).
    pub fn close_all(&self, code: u16, reason: &'static str) {
        for conn in self.lock_conns().by_session.values().flatten() {
            conn.close.send_replace(Some(CloseCommand { code, reason, last_frame: None }));
        }
    }

    /// Queues a frame for every connection of these accounts, encoded once. A connection
    /// whose queue is full is closed as a slow consumer instead of growing its queue; its
    /// client catches up by sync.
    fn push_to_accounts(&self, accounts: &[AccountId], frame: &ServerFrame) {
        self.push(accounts, frame, true);
    }

    /// Queues a frame for these accounts' connections; on a full queue either closes the
    /// connection (`close_when_full`, for what sync would replay) or drops the frame (for
    /// ephemeral signals, which sync never replays and which must not cost a reconnect).
    fn push(&self, accounts: &[AccountId], frame: &ServerFrame, close_when_full: bool) {
        let Ok(text) = serde_json::to_string(frame) else { return };
        let text = self::frame(text);
        let sessions: Vec<SessionId> = {
            let by_account = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
            accounts.iter().filter_map(|a| by_account.get(a)).flatten().copied().collect()
        };
        if sessions.is_empty() {
            return;
        }
        let conns = self.lock_conns();
        for conn in sessions.iter().filter_map(|s| conns.by_session.get(s)).flatten() {
            if conn.frames.try_send(text.clone()).is_err() && close_when_full {
                conn.close.send_replace(Some(slow_consumer()));
            }
        }
    }

    fn lock_conns(&self) -> std::sync::MutexGuard<'_, Conns> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The close of a session that ended, preceded by a `session_revoked` event saying why.
pub fn revoked(reason: RevokeReason) -> CloseCommand {
    let code = match reason {
        RevokeReason::AccountDisabled => close_code::ACCOUNT_DISABLED,
        _ => close_code::SESSION_REVOKED,
    };
    let frame = ServerFrame::Event(Event::SessionRevoked { reason: convert::revoke_reason(reason) });
    CloseCommand { code, reason: reason.as_str(), last_frame: Some(Box::new(frame)) }
}

pub fn slow_consumer() -> CloseCommand {
    CloseCommand { code: close_code::SLOW_CONSUMER, reason: "slow_consumer", last_frame: None }
}

impl LiveConnections for Registry {
    fn close_sessions(&self, sessions: &[SessionId], reason: RevokeReason) {
        if sessions.is_empty() {
            return;
        }
        let cmd = revoked(reason);
        let conns = self.lock_conns();
        for conn in sessions.iter().filter_map(|s| conns.by_session.get(s)).flatten() {
            conn.close.send_replace(Some(cmd.clone()));
        }
    }

    fn profile_updated(&self, account: &Account) {
        self.push_to_accounts(&[account.id], &ServerFrame::Event(Event::ProfileUpdated(convert::me(account))));
    }

    fn deliver_entry(&self, accounts: &[AccountId], entry: &Entry) {
        if let Some(m) = self.metrics.get() {
            m.log_entries.inc();
        }
        self.push_to_accounts(accounts, &ServerFrame::Event(Event::Entry(Box::new(convert::entry(entry)))));
    }

    fn signal(&self, accounts: &[AccountId], signal: &Signal) {
        self.push(accounts, &ServerFrame::Event(convert::signal(signal)), false);
    }

    fn directory_changed(&self, domain: DomainId) {
        let Ok(text) = serde_json::to_string(&ServerFrame::Event(Event::DirectoryChanged {})) else { return };
        let text = self::frame(text);
        let conns = self.lock_conns();
        for conn in conns.by_session.values().flatten().filter(|c| c.domain == domain) {
            // Ephemeral: a full queue drops it (the client reads the tree when it next looks).
            let _ = conn.frames.try_send(text.clone());
        }
    }

    fn deliver_event(&self, event: &LoggedEvent) {
        self.push_to_accounts(&[event.account], &ServerFrame::Event(Event::Account(convert::account_event(event))));
    }
}
