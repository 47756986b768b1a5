//! Retention: a domain keeps its conversations' entries for a number of days, and a
//! conversation may keep them for fewer or more days (or for ever) than its domain. Older
//! entries are deleted in the background with everything that hangs on them and the files that
//! only they referred to.
//!
//! A run walks a domain's conversations. In each whose oldest entries passed the limit it
//! appends one `history_pruned` system notice per batch of at most `retention_batch_entries`
//! entries, whose [`Effect::Prune`] deletes them in the append's transaction and raises the
//! conversation's `pruned_through`. So a prune is one commit to the log: it moves the
//! conversation's activity, sync and the fan-out tell every member's devices, which drop what
//! they hold up to the notice's `through_seq`, and a run cut off (`kill -9`) leaves no entry
//! half deleted; the next run goes on from `pruned_through`. Two runs of the same domain (two
//! nodes) cannot prune the same entries twice: the append's check refuses a prune that
//! `pruned_through` already passed.
//!
//! Each run is recorded with its progress ([`RetentionRun`]) and, when done, in the audit log
//! (`retention.run`); setting a policy is audited with its before and after (`retention.set`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::audit::Change;
use crate::chat::{Append, ConversationKind, Effect, NewEntry};
use crate::model::{AccountId, Actor, ConversationId, DomainId, Seq};
use crate::notice::Notice;
use crate::ports::{AccountStore, ConversationLog, FileStore, RetentionStore, Stores};
use crate::{Deps, Error, Result};

/// The longest retention a policy may name, in days (a hundred years).
pub const RETENTION_DAYS_MAX: u32 = 36_500;
/// Conversations a run reads at a time.
const CANDIDATES_PAGE_LEN: usize = 200;
/// Runs listed per domain, newest first.
pub const RUNS_LISTED_MAX: usize = 20;
/// Blobs of deleted files removed per sweep.
const DOOMED_BLOBS_PAGE_LEN: usize = 500;
/// A run records its progress at least this often while it works.
const RUN_HEARTBEAT_MS: i64 = 10_000;
/// A run not recorded again for this long is taken to have stopped with its process.
pub const RUN_STALE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a conversation keeps its entries, set apart from its domain's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRetention {
    pub conversation: ConversationId,
    pub kind: ConversationKind,
    pub name: Option<String>,
    /// Days; 0 keeps them for ever.
    pub days: u32,
}

/// A conversation a run looks at: its own policy (if any), how far it was pruned, and the
/// account a notice of its prune is appended as (its owner, or a member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneCandidate {
    pub conversation: ConversationId,
    pub days: Option<u32>,
    pub pruned_through: Seq,
    pub author: AccountId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Done,
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunState> {
        match s {
            "running" => Some(RunState::Running),
            "done" => Some(RunState::Done),
            "failed" => Some(RunState::Failed),
            _ => None,
        }
    }
}

/// One run of a domain's retention and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRun {
    pub id: i64,
    pub domain: DomainId,
    pub state: RunState,
    /// `schedule`, or who started it.
    pub started_by: String,
    /// The cutoff a run started by hand was given, for every conversation of the domain;
    /// `None`: each conversation's policy.
    pub before_ms: Option<i64>,
    /// Conversations it pruned, entries it deleted, blobs of files it removed.
    pub conversations: i64,
    pub entries: i64,
    pub files: i64,
    pub error: Option<String>,
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

/// A domain's policy, its conversations' own, and its latest runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionOverview {
    pub domain: String,
    /// Days; `None` keeps entries for ever.
    pub days: Option<u32>,
    pub conversations: Vec<ConversationRetention>,
    pub runs: Vec<RetentionRun>,
}

#[derive(Clone)]
pub struct Retention {
    deps: Arc<Deps>,
    store: Arc<dyn RetentionStore>,
    accounts: Arc<dyn AccountStore>,
    log: Arc<dyn ConversationLog>,
    files: Arc<dyn FileStore>,
    /// Bumped whenever a run this node makes is recorded again, so that
    /// [`Retention::run_changed`] answers at once.
    changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Retention {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Retention {
        Retention {
            deps,
            store: stores.retention.clone(),
            accounts: stores.accounts.clone(),
            log: stores.log.clone(),
            files: stores.files.clone(),
            changed: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// A domain's policy, the conversations that have their own, and its latest runs.
    pub async fn overview(&self, actor: Actor<'_>, domain: &str) -> Result<RetentionOverview> {
        let (id, name) = self.administered(actor, domain).await?;
        Ok(RetentionOverview {
            domain: name,
            days: self.store.retention_days(id).await?,
            conversations: self.store.conversation_retention(id).await?,
            runs: self.store.retention_runs(id, RUNS_LISTED_MAX).await?,
        })
    }

    /// Sets how many days a domain keeps its entries (`None`: for ever).
    pub async fn set_domain_days(&self, actor: Actor<'_>, domain: &str, days: Option<u32>) -> Result<()> {
        check_days(days, 1)?;
        let (id, name) = self.administered(actor, domain).await?;
        let before = self.store.retention_days(id).await?;
        self.store.set_retention_days(id, days).await?;
        if before != days {
            let change = Change::new("retention.set", Some(id), name)
                .before(json!({ "days": before }))
                .after(json!({ "days": days }));
            self.deps.audit(actor, change).await;
        }
        Ok(())
    }

    /// Sets how many days a group or channel (or a direct chat) keeps its entries apart from
    /// its domain: `Some(0)` for ever, `None` as the domain.
    pub async fn set_conversation_days(&self, actor: Actor<'_>, id: ConversationId, days: Option<u32>) -> Result<()> {
        check_days(days, 0)?;
        let conversation =
            self.log.conversation(id).await?.filter(|c| actor.may_administer(c.domain_id)).ok_or(NOT_FOUND)?;
        let before = self
            .store
            .conversation_retention(conversation.domain_id)
            .await?
            .into_iter()
            .find(|c| c.conversation == id)
            .map(|c| c.days);
        self.store.set_conversation_retention(id, days).await?;
        if before != days {
            let label = conversation.info.name.clone().unwrap_or_else(|| format!("conversation {}", id.0));
            let change = Change::new("retention.set", Some(conversation.domain_id), label)
                .before(json!({ "conversation": id.0, "days": before }))
                .after(json!({ "conversation": id.0, "days": days }));
            self.deps.audit(actor, change).await;
        }
        Ok(())
    }

    /// Starts a run of a domain's retention in the background and answers it as recorded.
    /// With `before_ms`, every conversation of the domain loses its entries older than that,
    /// whatever its policy (a one-off purge); without, each keeps what its policy says.
    pub async fn start(&self, actor: Actor<'_>, domain: &str, before_ms: Option<i64>) -> Result<RetentionRun> {
        let run = self.begin(actor, domain, before_ms).await?;
        let this = self.clone();
        let running = run.clone();
        // Its end is audited as the act of whoever started it.
        let starter = match actor {
            Actor::Account(p) => Some(p.clone()),
            Actor::Operator => None,
        };
        tokio::spawn(async move {
            let actor = starter.as_ref().map_or(Actor::Operator, Actor::Account);
            this.finish(actor, running).await
        });
        Ok(run)
    }

    /// Runs a domain's retention here and now (the command line), and answers the run ended.
    pub async fn run_now(&self, actor: Actor<'_>, domain: &str, before_ms: Option<i64>) -> Result<RetentionRun> {
        let run = self.begin(actor, domain, before_ms).await?;
        Ok(self.finish(actor, run).await)
    }

    /// Runs the retention of every domain that has a policy (or a conversation with its own),
    /// for the server's schedule. A domain is recorded as a run only when it pruned something.
    pub async fn run_due(&self) -> Result<Vec<RetentionRun>> {
        let mut runs = vec![];
        for domain in self.store.domains_with_retention().await? {
            let mut run = RetentionRun {
                id: 0,
                domain,
                state: RunState::Running,
                started_by: "schedule".to_owned(),
                before_ms: None,
                conversations: 0,
                entries: 0,
                files: 0,
                error: None,
                started_at_ms: self.deps.clock.now_ms(),
                updated_at_ms: self.deps.clock.now_ms(),
                finished_at_ms: None,
            };
            let outcome = self.prune_domain(&mut run).await;
            if run.id == 0 && outcome.is_ok() {
                continue;
            }
            if run.id == 0 {
                run = self.store.create_retention_run(&run).await?;
            }
            runs.push(self.end(Actor::Operator, run, outcome).await);
        }
        Ok(runs)
    }

    /// One run, as soon as it differs from what it is now or `wait` has passed; at once if it
    /// is not running.
    pub async fn run_changed(&self, actor: Actor<'_>, id: i64, wait: Duration) -> Result<RetentionRun> {
        let mut changes = self.changed.subscribe();
        let first = self.run(actor, id).await?;
        if first.state != RunState::Running || wait.is_zero() {
            return Ok(first);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let woke = tokio::time::timeout_at(deadline, changes.changed()).await;
            let now = self.run(actor, id).await?;
            if now != first || !matches!(woke, Ok(Ok(()))) {
                return Ok(now);
            }
        }
    }

    /// One run, if `actor` administers its domain.
    pub async fn run(&self, actor: Actor<'_>, id: i64) -> Result<RetentionRun> {
        self.store.retention_run(id).await?.filter(|r| actor.may_administer(r.domain)).ok_or(Error::NotFound("run"))
    }

    /// Fails every run still recorded as running: at the start of a server that is the only
    /// one on its database, they all stopped with the process before it.
    pub async fn cut_off_all(&self) -> Result<u64> {
        let now = self.deps.clock.now_ms();
        let failed = self.store.fail_stale_retention_runs(i64::MAX, CUT_OFF, now).await?;
        if failed > 0 {
            self.note_change();
        }
        Ok(failed)
    }

    /// Fails runs whose process stopped while making them, and removes the bytes of files a
    /// prune deleted. Bounded per call; the server runs it periodically.
    pub async fn sweep(&self) -> Result<(u64, usize)> {
        let now = self.deps.clock.now_ms();
        let failed = self.store.fail_stale_retention_runs(now - RUN_STALE_MS, CUT_OFF, now).await?;
        if failed > 0 {
            self.note_change();
        }
        Ok((failed, self.remove_doomed_blobs().await?))
    }

    async fn begin(&self, actor: Actor<'_>, domain: &str, before_ms: Option<i64>) -> Result<RetentionRun> {
        let (id, _) = self.administered(actor, domain).await?;
        let now = self.deps.clock.now_ms();
        if before_ms.is_some_and(|b| b > now) {
            return Err(Error::invalid("before_ms", "must not be in the future"));
        }
        // A run whose process stopped is not one under way.
        self.store.fail_stale_retention_runs(now - RUN_STALE_MS, CUT_OFF, now).await?;
        if self.store.retention_runs(id, 1).await?.first().is_some_and(|r| r.state == RunState::Running) {
            return Err(Error::Conflict("a run of this domain's retention is under way".to_owned()));
        }
        let started_by = match actor {
            Actor::Operator => self.deps.operator.get().cloned().unwrap_or_else(|| "operator".to_owned()),
            Actor::Account(p) => p.account.addr.to_string(),
        };
        let new = RetentionRun {
            id: 0,
            domain: id,
            state: RunState::Running,
            started_by,
            before_ms,
            conversations: 0,
            entries: 0,
            files: 0,
            error: None,
            started_at_ms: now,
            updated_at_ms: now,
            finished_at_ms: None,
        };
        Ok(self.store.create_retention_run(&new).await?)
    }

    async fn finish(&self, actor: Actor<'_>, mut run: RetentionRun) -> RetentionRun {
        let outcome = self.prune_domain(&mut run).await;
        self.end(actor, run, outcome).await
    }

    /// Audits the run's end, then records it: whoever sees the run ended finds it audited.
    async fn end(&self, actor: Actor<'_>, mut run: RetentionRun, outcome: Result<()>) -> RetentionRun {
        let outcome = match outcome {
            Ok(()) => self.remove_doomed_blobs().await.map(|files| run.files += i64::try_from(files).unwrap_or(0)),
            Err(e) => Err(e),
        };
        let now = self.deps.clock.now_ms();
        run.state = if outcome.is_ok() { RunState::Done } else { RunState::Failed };
        run.error = outcome.err().map(|e| e.to_string());
        run.updated_at_ms = now;
        run.finished_at_ms = Some(now);
        let name = match self.accounts.domains().await {
            Ok(domains) => domains.into_iter().find(|d| d.id == run.domain).map(|d| d.name.to_string()),
            Err(_) => None,
        };
        let name = name.unwrap_or_else(|| format!("domain {}", run.domain.0));
        let change = Change::new("retention.run", Some(run.domain), name).after(json!({
            "run": run.id,
            "state": run.state.as_str(),
            "before_ms": run.before_ms,
            "conversations": run.conversations,
            "entries": run.entries,
            "files": run.files,
            "error": run.error,
        }));
        self.deps.audit(actor, change).await;
        if let Err(e) = self.store.update_retention_run(&run).await {
            tracing::warn!(error = %e, run = run.id, "cannot record the end of a retention run");
        }
        self.note_change();
        run
    }

    /// Prunes every conversation of the run's domain that is due, recording progress after
    /// each batch and at least every [`RUN_HEARTBEAT_MS`] while it looks for work. A
    /// scheduled run (id 0) is recorded from its first prune.
    async fn prune_domain(&self, run: &mut RetentionRun) -> Result<()> {
        let domain_days = self.store.retention_days(run.domain).await?;
        let mut after = ConversationId(0);
        loop {
            let page = self.store.prune_candidates(run.domain, after, CANDIDATES_PAGE_LEN).await?;
            let Some(last) = page.last() else { return Ok(()) };
            after = last.conversation;
            for candidate in page {
                let now = self.deps.clock.now_ms();
                let before_ms = match (run.before_ms, candidate.days, domain_days) {
                    (Some(before), _, _) => before,
                    (None, Some(0), _) | (None, None, None) => continue,
                    (None, Some(days), _) | (None, None, Some(days)) => now - i64::from(days) * DAY_MS,
                };
                if self.prune_conversation(run, &candidate, before_ms).await? {
                    run.conversations += 1;
                    self.progress(run).await?;
                } else if run.id != 0 && now - run.updated_at_ms >= RUN_HEARTBEAT_MS {
                    self.progress(run).await?;
                }
            }
        }
    }

    /// Records how far the run got (a scheduled run from its first prune on).
    async fn progress(&self, run: &mut RetentionRun) -> Result<()> {
        run.updated_at_ms = self.deps.clock.now_ms();
        if run.id == 0 {
            *run = self.store.create_retention_run(run).await?;
        } else {
            self.store.update_retention_run(run).await?;
        }
        self.note_change();
        Ok(())
    }

    /// Deletes a conversation's entries older than `before_ms`, a batch per append, counting
    /// them in the run after each; answers whether any went.
    async fn prune_conversation(&self, run: &mut RetentionRun, c: &PruneCandidate, before_ms: i64) -> Result<bool> {
        let batch = i64::try_from(self.deps.settings.retention_batch_entries.max(1)).unwrap_or(i64::MAX);
        let mut pruned = c.pruned_through;
        let mut any = false;
        while let Some(through) = self.store.prune_point(c.conversation, pruned, before_ms, batch).await? {
            let notice = Notice::HistoryPruned { through_seq: through.0, before_ms };
            let entry = NewEntry::notice(c.conversation, c.author, &notice, self.deps.clock.now_ms());
            let append = Append {
                entry,
                effects: vec![Effect::Prune(through)],
                events: vec![],
                subjects: vec![],
                peer: false,
                // Another run (another node) got there first: nothing of this batch is left.
                check: Box::new(move |p| {
                    if p.conversation.pruned_through >= through {
                        Err(Error::Conflict("already pruned".to_owned()))
                    } else {
                        Ok(())
                    }
                }),
            };
            match self.log.append(append).await? {
                Ok(_) => {
                    run.entries += through.0 - pruned.0;
                    any = true;
                    self.progress(run).await?;
                }
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            let Some(now) = self.log.conversation(c.conversation).await? else { break };
            pruned = now.pruned_through;
        }
        Ok(any)
    }

    async fn remove_doomed_blobs(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let doomed = self.store.doomed_blobs(DOOMED_BLOBS_PAGE_LEN).await?;
            if doomed.is_empty() {
                return Ok(removed);
            }
            for sha256 in &doomed {
                // The same bytes may have been uploaded again since.
                if !self.files.blob_in_use(sha256).await? {
                    self.deps.blobs.remove(sha256).await?;
                    removed += 1;
                }
            }
            self.store.forget_doomed_blobs(&doomed).await?;
        }
    }

    async fn administered(&self, actor: Actor<'_>, domain: &str) -> Result<(DomainId, String)> {
        crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await
    }

    fn note_change(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

const NOT_FOUND: Error = Error::NotFound("conversation");
const CUT_OFF: &str = "cut off: the server stopped while it ran";

fn check_days(days: Option<u32>, min: u32) -> Result<()> {
    match days {
        Some(d) if d < min || d > RETENTION_DAYS_MAX => {
            Err(Error::invalid("days", format!("must be between {min} and {RETENTION_DAYS_MAX}")))
        }
        _ => Ok(()),
    }
}
