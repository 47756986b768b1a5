//! Following the log: the one way any part of Magpie acts on what was committed.
//!
//! A follower holds a [`LogCursor`] and hands a [`LogHandler`] every item committed after it,
//! in commit order (so, per conversation, in seq order), each exactly once per run. Wake-ups
//! from the [`Bus`] carry the items as an optimisation: a follower that stands exactly where a
//! wake starts takes its items as they are; one that does not (a wake lost, late, out of
//! order, or from another node) reads the store's tail instead, and so does every follower
//! once a second whatever the bus says. The store is the truth; the bus only saves reads.
//!
//! A durable follower saves its cursor (through [`CursorStore`]) after what it handled, and
//! resumes there after a restart or a `kill -9`: it sees every item at least once. The fan-out
//! to live connections is a follower that starts at the log's head and saves nothing (clients
//! catch up by sync).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::chat::Committed;
use crate::model::LogCursor;
use crate::ports::{Bus, ConversationLog, CursorStore, Received, Wake};

/// Items read from the store per read of the tail.
pub const TAIL_PAGE_LEN_MAX: usize = 512;
/// How often a follower reads the tail even without a wake: a lost wake delays its items by
/// at most this.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often a durable follower saves its cursor while it takes items from wakes (after a read
/// of the tail it saves at once): what a crash makes it handle again is at most this much.
pub const CURSOR_SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// How soon a follower reads the tail again when a wake named items that its last read did not
/// reach: an adapter whose commit line trails its commits (PostgreSQL's waits for every older
/// transaction to end) serves them a moment later. The wait doubles, up to [`POLL_INTERVAL`],
/// while reads get nowhere, and starts again from this when one moves the cursor.
pub const REREAD_FIRST: Duration = Duration::from_millis(2);
/// Wakes a follower takes at once when they arrive together (see `Follower::run`).
pub const WAKES_PER_BATCH_MAX: usize = 1024;
/// How long a follower waits after its handler or the store failed, before it tries again
/// from where it stood.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// What a follower does with the items it follows.
#[async_trait]
pub trait LogHandler: Send + 'static {
    /// Handles committed items, in commit order. An error leaves the cursor where it was: the
    /// same items come again (at least once).
    async fn handle(&mut self, items: &[Committed]) -> crate::Result<()>;

    /// Handles a wake that is not about the log (a signal, a profile); ignored by default.
    fn other(&mut self, _wake: &Wake) {}

    /// The follower has handed over everything up to `cursor` (called after each batch it
    /// handled, and on every poll): a handler that keeps its own cursor with what it wrote
    /// (the search index commits it in its writes' commit) saves it here, or later. `Err(at)`
    /// says that what it was handed after `at` is lost (its commit failed): the follower goes
    /// back to `at` and hands it over again. Nothing to do by default.
    async fn reached(&mut self, _cursor: LogCursor) -> Result<(), LogCursor> {
        Ok(())
    }
}

/// Where a follower stands, for `/metrics`: its cursor and the log's head as it last saw it.
#[derive(Debug)]
pub struct FollowerStatus {
    pub name: &'static str,
    state: Mutex<(LogCursor, LogCursor)>,
    started: tokio::sync::watch::Sender<bool>,
}

impl FollowerStatus {
    fn new(name: &'static str) -> FollowerStatus {
        FollowerStatus {
            name,
            state: Mutex::new((LogCursor::START, LogCursor::START)),
            started: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Resolves once the follower knows where it starts and listens to the bus: whatever
    /// commits from then on reaches it.
    pub async fn started(&self) {
        let mut started = self.started.subscribe();
        let _ = started.wait_for(|s| *s).await;
    }

    fn set(&self, cursor: LogCursor, head: LogCursor) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = (cursor, head.max(cursor));
    }

    /// How far behind the head this follower is (0 when it has handled everything it saw).
    pub fn lag(&self) -> u128 {
        let (cursor, head) = *self.state.lock().unwrap_or_else(|e| e.into_inner());
        head.distance_from(cursor)
    }

    pub fn cursor(&self) -> LogCursor {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// Where a follower starts when it has no saved cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the head: only what commits from now on.
    Head,
    /// At the start of the tail: everything it holds.
    Beginning,
    /// Exactly here, whatever a [`CursorStore`] says: for a follower whose handler keeps its
    /// own cursor (the search index).
    At(LogCursor),
}

/// A follower of the log; see the module's documentation.
pub struct Follower<H: LogHandler> {
    log: Arc<dyn ConversationLog>,
    /// Present for a durable follower, which saves its cursor under its name.
    cursors: Option<Arc<dyn CursorStore>>,
    bus: Arc<dyn Bus>,
    handler: H,
    poll_interval: Duration,
    cursor: LogCursor,
    status: Arc<FollowerStatus>,
    /// When the cursor was last saved, and whether it moved since.
    saved_at: Instant,
    unsaved: bool,
    /// The furthest cursor a wake said the log reached.
    wanted: LogCursor,
    /// When to read the tail again because it had not reached `wanted`, the wait before, and
    /// where the cursor stood when that read was planned.
    reread: Option<(tokio::time::Instant, Duration, LogCursor)>,
}

impl<H: LogHandler> Follower<H> {
    /// A follower of `log` named `name`, durable if given `cursors`; it finds its cursor and
    /// subscribes to `bus` when it runs.
    pub fn new(
        name: &'static str,
        log: Arc<dyn ConversationLog>,
        cursors: Option<Arc<dyn CursorStore>>,
        bus: Arc<dyn Bus>,
        handler: H,
    ) -> Follower<H> {
        Follower {
            log,
            cursors,
            bus,
            handler,
            poll_interval: POLL_INTERVAL,
            cursor: LogCursor::START,
            status: Arc::new(FollowerStatus::new(name)),
            saved_at: Instant::now(),
            unsaved: false,
            wanted: LogCursor::START,
            reread: None,
        }
    }

    pub fn status(&self) -> Arc<FollowerStatus> {
        self.status.clone()
    }

    /// Reads the tail this often without a wake (the default is [`POLL_INTERVAL`]).
    pub fn with_poll_interval(mut self, interval: Duration) -> Follower<H> {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Finds where to start (the saved cursor, or `start`), then follows until the bus closes.
    ///
    /// It finds its cursor first and subscribes after: what commits in between is after the
    /// cursor, so the first read of the tail brings it. (Subscribed first, it could miss an
    /// item that committed before it read the head but after the wake it would have ignored.)
    pub async fn run(mut self, start: Start) {
        self.cursor = loop {
            match self.initial_cursor(start).await {
                Ok(cursor) => break cursor,
                Err(e) => {
                    tracing::error!(follower = self.status.name, error = %e, "cannot find where to start; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        };
        self.status.set(self.cursor, self.cursor);
        let mut wakes = self.bus.subscribe();
        self.status.started.send_replace(true);
        self.catch_up().await;
        let period = self.poll_interval;
        let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let reread_at = self.reread.map(|(at, _, _)| at);
            let reread = async move {
                match reread_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = wakes.recv() => match received {
                    Received::Wake(wake) => {
                        // Take every wake already waiting too, so that a burst of wakes that
                        // each need a read of the tail costs one read, not one each.
                        let mut batch = vec![wake];
                        let mut missed = false;
                        let mut closed = false;
                        while batch.len() < WAKES_PER_BATCH_MAX {
                            match wakes.try_recv() {
                                Some(Received::Wake(wake)) => batch.push(wake),
                                Some(Received::Missed) => missed = true,
                                Some(Received::Closed) => {
                                    closed = true;
                                    break;
                                }
                                None => break,
                            }
                        }
                        self.on_wakes(&batch, missed).await;
                        if closed {
                            break;
                        }
                    }
                    Received::Missed => self.catch_up().await,
                    Received::Closed => break,
                },
                _ = poll.tick() => {
                    self.catch_up().await;
                    self.save(true).await;
                }
                () = reread => self.catch_up().await,
            }
            self.plan_reread();
        }
        self.save(true).await;
    }

    async fn initial_cursor(&self, start: Start) -> crate::Result<LogCursor> {
        if let Start::At(cursor) = start {
            return Ok(cursor);
        }
        if let Some(cursors) = &self.cursors
            && let Some(saved) = cursors.load_cursor(self.status.name).await?
        {
            return Ok(saved);
        }
        let first = match start {
            Start::Head => self.log.log_head().await?,
            Start::Beginning | Start::At(_) => LogCursor::START,
        };
        // A durable follower's first start is saved at once: one killed before it saved a
        // cursor of its own would otherwise start again at the head then, past what was
        // committed in between and never handled.
        if let Some(cursors) = &self.cursors {
            cursors.save_cursor(self.status.name, first).await?;
        }
        Ok(first)
    }

    /// Reads the tail again soon while it has not reached what a wake announced (see
    /// [`REREAD_FIRST`]); stops once it has.
    fn plan_reread(&mut self) {
        if self.cursor >= self.wanted {
            self.reread = None;
            return;
        }
        let now = tokio::time::Instant::now();
        match self.reread {
            // Still waiting for the planned read.
            Some((at, _, _)) if at > now => {}
            // The last read got nowhere: wait longer before the next.
            Some((_, wait, from)) if self.cursor <= from => {
                let wait = (wait * 2).min(self.poll_interval);
                self.reread = Some((now + wait, wait, self.cursor));
            }
            // The first, or the last read moved on (a busy log, where new items keep coming):
            // read again soon.
            _ => self.reread = Some((now + REREAD_FIRST, REREAD_FIRST, self.cursor)),
        }
    }

    /// Handles wakes that arrived together, in order, reading the tail at most once for all of
    /// them (or once because wakes were `missed`).
    async fn on_wakes(&mut self, batch: &[Arc<Wake>], missed: bool) {
        let mut read = false;
        for wake in batch {
            read |= self.on_wake(wake, !read).await;
        }
        if missed && !read {
            self.catch_up().await;
        }
    }

    /// Handles one wake; reads the tail for it only if `may_read` (else leaves that to the
    /// planned re-read). Whether it read the tail.
    async fn on_wake(&mut self, wake: &Wake, may_read: bool) -> bool {
        let Wake::Log { from, to, items } = wake else {
            self.handler.other(wake);
            return false;
        };
        self.wanted = self.wanted.max(*to);
        if *to <= self.cursor {
            // Already handled: a duplicate, or a wake about what a read of the tail brought.
            return false;
        }
        if *from != Some(self.cursor) {
            // Something committed between here and this wake that this follower has not seen.
            if may_read {
                self.catch_up().await;
            }
            return may_read;
        }
        match self.handler.handle(items).await {
            Ok(()) => {
                self.advance(*to, *to);
                self.save(false).await;
                false
            }
            Err(e) => {
                tracing::warn!(follower = self.status.name, error = %e, "handling failed; reading the tail again");
                tokio::time::sleep(RETRY_PAUSE).await;
                self.catch_up().await;
                true
            }
        }
    }

    /// Reads and handles the tail until it is empty (or something fails: the next wake or
    /// poll tries again from where this stopped).
    async fn catch_up(&mut self) {
        loop {
            let page = match self.log.tail(self.cursor, TAIL_PAGE_LEN_MAX).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(follower = self.status.name, error = %e, "cannot read the log's tail");
                    return;
                }
            };
            debug_assert!(page.items.len() <= TAIL_PAGE_LEN_MAX, "a tail page longer than asked for");
            if !page.items.is_empty()
                && let Err(e) = self.handler.handle(&page.items).await
            {
                tracing::warn!(follower = self.status.name, error = %e, "handling failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
                return;
            }
            let full = page.items.len() >= TAIL_PAGE_LEN_MAX;
            self.advance(page.next, page.next);
            self.save(true).await;
            if !full {
                return;
            }
        }
    }

    fn advance(&mut self, cursor: LogCursor, head: LogCursor) {
        // A follower never goes back: what it handled stays handled.
        if cursor < self.cursor {
            tracing::error!(follower = self.status.name, %cursor, current = %self.cursor, "the log's tail went back");
            debug_assert!(cursor >= self.cursor, "a follower's cursor went back");
            return;
        }
        if cursor != self.cursor {
            self.unsaved = true;
        }
        self.cursor = cursor;
        self.status.set(cursor, head);
    }

    /// Saves the cursor of a durable follower: `now`, or if the last save is old enough.
    async fn save(&mut self, now: bool) {
        if let Err(back) = self.handler.reached(self.cursor).await {
            tracing::warn!(follower = self.status.name, cursor = %back, "the handler lost what it was handed; following again from its cursor");
            tokio::time::sleep(RETRY_PAUSE).await;
            // The one way back: the handler says its writes after `back` are gone.
            self.cursor = back.min(self.cursor);
            self.status.set(self.cursor, self.cursor);
            return;
        }
        let Some(cursors) = &self.cursors else { return };
        if !self.unsaved || (!now && self.saved_at.elapsed() < CURSOR_SAVE_INTERVAL) {
            return;
        }
        match cursors.save_cursor(self.status.name, self.cursor).await {
            Ok(()) => {
                self.unsaved = false;
                self.saved_at = Instant::now();
            }
            // Handled again after a restart, at worst: at least once.
            Err(e) => tracing::warn!(follower = self.status.name, error = %e, "cannot save the cursor"),
        }
    }
}
