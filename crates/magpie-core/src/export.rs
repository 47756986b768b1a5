//! Compliance exports: an account's or a conversation's messages and files over a period, as a
//! ZIP of JSON Lines, the files, and a readable HTML page. An administrator starts one (a
//! server administrator for any domain, a domain's administrators for theirs); it runs in the
//! background, its progress in the store, and its archive goes to the blob store, from where
//! those who may see the export download it until it expires. Starting one is audited, and so
//! is each download.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::audit::Change;
use crate::chat::{Conversation, Entry, Page};
use crate::model::{AccountId, Actor, ConversationId, DomainId, Seq};
use crate::names::AccountAddr;
use crate::ports::{AccountStore, ConversationLog, ExportStore, FileStore};
use crate::{Deps, Error, Result};

/// Exports one list shows at most.
pub const EXPORT_LIST_LEN_MAX: usize = 100;
/// Exports that may run at once in one process; more are refused with `conflict`.
pub const EXPORTS_RUNNING_MAX: usize = 2;
/// Entries read from the store at a time.
const EXPORT_PAGE_LEN: usize = 500;
/// Conversations of an account an export covers at most (its memberships, newest first).
pub const EXPORT_CONVERSATIONS_MAX: usize = 10_000;
/// How often a running export writes its progress, at least (also its heartbeat).
const PROGRESS_EVERY_MS: i64 = 1_000;
/// A running export not heard from for this long was cut off (its process stopped).
pub const EXPORT_STALE_MS: i64 = 60_000;

/// What an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    /// Everything the account could read while a member: what it sent and received.
    Account(AccountId),
    /// Everything in one conversation.
    Conversation(ConversationId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportState {
    Running,
    Done,
    Failed,
}

impl ExportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Running => "running",
            ExportState::Done => "done",
            ExportState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ExportState> {
        match s {
            "running" => Some(ExportState::Running),
            "done" => Some(ExportState::Done),
            "failed" => Some(ExportState::Failed),
            _ => None,
        }
    }
}

/// An export about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExport {
    pub domain: DomainId,
    /// Who asked: an account's address, or the operator's name.
    pub requested_by: String,
    pub scope: ExportScope,
    /// What the export covers, for people: the account's address, or the conversation's id
    /// and name.
    pub target: String,
    /// Messages at or after this moment (all, if `None`).
    pub from_ms: Option<i64>,
    /// Messages before this moment (all, if `None`).
    pub until_ms: Option<i64>,
    pub at_ms: i64,
}

/// An export as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub id: i64,
    pub domain: DomainId,
    /// The name of `domain`.
    pub domain_name: String,
    pub requested_by: String,
    pub scope: ExportScope,
    pub target: String,
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub state: ExportState,
    /// Conversations to go through, and those gone through so far.
    pub conversations_total: u64,
    pub conversations_done: u64,
    /// Entries and files written so far.
    pub messages: u64,
    pub files: u64,
    /// The archive's size and digest in the blob store, once done.
    pub bytes: u64,
    pub sha256: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// When a finished export and its archive are deleted.
    pub expires_at_ms: Option<i64>,
}

/// An export as an administrator asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRequest {
    pub account: Option<String>,
    pub conversation: Option<ConversationId>,
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// An export's archive, to download.
pub struct Archive {
    pub job: ExportJob,
    pub bytes: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
}

/// Compliance exports, for administrators.
#[derive(Clone)]
pub struct Exports {
    deps: Arc<Deps>,
    store: Arc<dyn ExportStore>,
    accounts: Arc<dyn AccountStore>,
    log: Arc<dyn ConversationLog>,
    files: Arc<dyn FileStore>,
    running: Arc<tokio::sync::Semaphore>,
    /// Bumped whenever an export this node makes is recorded again (progress, its end), so
    /// that [`Exports::get_changed`] answers at once.
    changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Exports {
    pub(crate) fn new(deps: Arc<Deps>, stores: &crate::ports::Stores) -> Exports {
        Exports {
            deps,
            store: stores.exports.clone(),
            accounts: stores.accounts.clone(),
            log: stores.log.clone(),
            files: stores.files.clone(),
            running: Arc::new(tokio::sync::Semaphore::new(EXPORTS_RUNNING_MAX)),
            changed: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Starts an export and answers it as recorded; the archive is made in the background.
    /// A domain administrator may export only their own domain's accounts and conversations
    /// (another's are `not_found`, as if there were none); members are refused.
    pub async fn start(&self, actor: Actor<'_>, req: ExportRequest) -> Result<ExportJob> {
        let (job, permit) = self.begin(actor, req).await?;
        let this = self.clone();
        let running = job.clone();
        tokio::spawn(async move {
            let _permit = permit;
            this.run(running).await;
        });
        Ok(job)
    }

    /// Makes an export here and now (the command line), and answers it finished or failed.
    pub async fn export_now(&self, actor: Actor<'_>, req: ExportRequest) -> Result<ExportJob> {
        let (job, _permit) = self.begin(actor, req).await?;
        let id = job.id;
        self.run(job).await;
        self.store.export(id).await?.ok_or(Error::NotFound("export"))
    }

    async fn begin(
        &self,
        actor: Actor<'_>,
        req: ExportRequest,
    ) -> Result<(ExportJob, tokio::sync::OwnedSemaphorePermit)> {
        if let Actor::Account(p) = actor
            && p.account.role == crate::model::Role::Member
        {
            return Err(Error::Forbidden);
        }
        if let (Some(from), Some(until)) = (req.from_ms, req.until_ms)
            && until <= from
        {
            return Err(Error::invalid("until_ms", "must be after from_ms"));
        }
        let (domain, scope, target) = match (&req.account, req.conversation) {
            (Some(addr), None) => {
                let addr = AccountAddr::parse(addr)?;
                let account = self
                    .accounts
                    .account_by_addr(&addr.domain, &addr.name)
                    .await?
                    .filter(|a| actor.may_administer(a.domain_id))
                    .ok_or(Error::NotFound("account"))?;
                (account.domain_id, ExportScope::Account(account.id), account.addr.to_string())
            }
            (None, Some(id)) => {
                let conversation = self
                    .log
                    .conversation(id)
                    .await?
                    .filter(|c| actor.may_administer(c.domain_id))
                    .ok_or(Error::NotFound("conversation"))?;
                (conversation.domain_id, ExportScope::Conversation(id), conversation_label(&conversation))
            }
            _ => return Err(Error::invalid("account", "give exactly one of account and conversation")),
        };
        let permit = self.running.clone().try_acquire_owned().map_err(|_| {
            Error::Conflict(format!("{EXPORTS_RUNNING_MAX} exports are being made; try again when one is done"))
        })?;
        let requested_by = match actor {
            Actor::Operator => self.deps.operator.get().cloned().unwrap_or_else(|| "operator".to_owned()),
            Actor::Account(p) => p.account.addr.to_string(),
        };
        let new = NewExport {
            domain,
            requested_by,
            scope,
            target: target.clone(),
            from_ms: req.from_ms,
            until_ms: req.until_ms,
            at_ms: self.deps.clock.now_ms(),
        };
        let job = self.store.create_export(&new).await?;
        let change = Change::new("export.create", Some(domain), target).after(serde_json::json!({
            "id": job.id,
            "from_ms": job.from_ms,
            "until_ms": job.until_ms,
        }));
        self.deps.audit(actor, change).await;
        Ok((job, permit))
    }

    /// The exports `actor` may see: a server administrator's of every domain (or of `domain`),
    /// a domain administrator's of their own. Newest first, at most [`EXPORT_LIST_LEN_MAX`].
    pub async fn list(&self, actor: Actor<'_>, domain: Option<&str>) -> Result<Vec<ExportJob>> {
        let scope = self.scope(actor, domain).await?;
        Ok(self.store.exports(scope, EXPORT_LIST_LEN_MAX).await?)
    }

    /// One export, if `actor` may see it.
    pub async fn get(&self, actor: Actor<'_>, id: i64) -> Result<ExportJob> {
        self.store.export(id).await?.filter(|j| actor.may_administer(j.domain)).ok_or(Error::NotFound("export"))
    }

    /// One export, as soon as it differs from what it is now (progress, or its end) or `wait`
    /// has passed, whichever comes first; at once if it is not running. A console following an
    /// export asks this again and again instead of polling. Exports this node makes answer at
    /// once; another node's are seen when the wait ends.
    pub async fn get_changed(&self, actor: Actor<'_>, id: i64, wait: std::time::Duration) -> Result<ExportJob> {
        // Subscribed before the first read: a change between the two is not missed.
        let mut changes = self.changed.subscribe();
        let first = self.get(actor, id).await?;
        if first.state != ExportState::Running || wait.is_zero() {
            return Ok(first);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let woke = tokio::time::timeout_at(deadline, changes.changed()).await;
            let now = self.get(actor, id).await?;
            if now != first || !matches!(woke, Ok(Ok(()))) {
                return Ok(now);
            }
        }
    }

    fn note_change(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A finished export's archive, for those who may see the export; each download is
    /// audited. `not_found` while it runs, once it failed and once it expired.
    pub async fn archive(&self, actor: Actor<'_>, id: i64) -> Result<Archive> {
        let job = self.get(actor, id).await?;
        let Some(sha256) = job.sha256.clone().filter(|_| job.state == ExportState::Done) else {
            return Err(Error::NotFound("export"));
        };
        let bytes = self.deps.blobs.read(&sha256, None).await?;
        let change = Change::new("export.download", Some(job.domain), job.target.clone())
            .after(serde_json::json!({ "id": job.id, "bytes": job.bytes }));
        self.deps.audit(actor, change).await;
        Ok(Archive { job, bytes })
    }

    /// Fails exports whose process stopped while making them, and deletes expired exports with
    /// their archives. Bounded per call; the server runs it periodically.
    pub async fn sweep(&self) -> Result<(u64, usize)> {
        let now = self.deps.clock.now_ms();
        let expires = now.saturating_add(crate::settings::millis(self.deps.settings.export_keep_secs));
        let failed = self
            .store
            .fail_stale_exports(now - EXPORT_STALE_MS, "cut off: the server stopped while making it", now, expires)
            .await?;
        if failed > 0 {
            self.note_change();
        }
        let expired = self.store.take_expired_exports(now, EXPORT_LIST_LEN_MAX).await?;
        for sha256 in &expired {
            if !self.files.blob_in_use(sha256).await? {
                self.deps.blobs.remove(sha256).await?;
            }
        }
        Ok((failed, expired.len()))
    }

    async fn scope(&self, actor: Actor<'_>, domain: Option<&str>) -> Result<Option<DomainId>> {
        let named = match (domain, actor) {
            (Some(name), _) => Some(crate::names::DomainName::parse(name)?),
            (None, Actor::Account(p)) if p.account.role != crate::model::Role::ServerAdmin => {
                Some(p.account.addr.domain.clone())
            }
            (None, _) => None,
        };
        if let Actor::Account(p) = actor
            && p.account.role == crate::model::Role::Member
        {
            return Err(Error::Forbidden);
        }
        let Some(name) = named else { return Ok(None) };
        let found = self.accounts.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))?;
        if !actor.may_administer(found.id) {
            return Err(Error::NotFound("domain"));
        }
        Ok(Some(found.id))
    }

    /// Makes the archive and records the outcome; never fails outright (a failure is the
    /// export's state).
    async fn run(&self, mut job: ExportJob) {
        let outcome = self.make(&mut job).await;
        let now = self.deps.clock.now_ms();
        job.updated_at_ms = now;
        job.finished_at_ms = Some(now);
        match outcome {
            Ok((sha256, bytes)) => {
                job.state = ExportState::Done;
                job.sha256 = Some(sha256);
                job.bytes = bytes;
                job.expires_at_ms =
                    Some(now.saturating_add(crate::settings::millis(self.deps.settings.export_keep_secs)));
            }
            Err(e) => {
                tracing::error!(export = job.id, error = %e, "a compliance export failed");
                job.state = ExportState::Failed;
                job.expires_at_ms =
                    Some(now.saturating_add(crate::settings::millis(self.deps.settings.export_keep_secs)));
                job.error = Some(match e {
                    Error::Store(_) | Error::Internal(_) => "the server could not make it; see its log".to_owned(),
                    e => e.to_string(),
                });
            }
        }
        let updated = self.store.update_export(&job).await;
        self.note_change();
        match updated {
            Ok(true) => {}
            Ok(false) => {
                // The sweep took it for cut off meanwhile: its archive is nobody's.
                if let Some(sha256) = &job.sha256 {
                    let _ = self.deps.blobs.remove(sha256).await;
                }
            }
            Err(e) => tracing::error!(export = job.id, error = %e, "a compliance export's outcome was not stored"),
        }
    }

    async fn make(&self, job: &mut ExportJob) -> Result<(String, u64)> {
        let spans = match job.scope {
            ExportScope::Conversation(id) => vec![Span { conversation: id, from: Seq(1), until: None }],
            ExportScope::Account(account) => {
                let mut spans: Vec<Span> = self
                    .log
                    .member_spans(account, EXPORT_CONVERSATIONS_MAX)
                    .await?
                    .into_iter()
                    .map(|s| Span { conversation: s.conversation, from: Seq(s.from.0.max(1)), until: s.until })
                    .collect();
                spans.sort_by_key(|s| (s.conversation, s.from));
                spans
            }
        };
        let conversations: Vec<ConversationId> = {
            let mut ids: Vec<ConversationId> = spans.iter().map(|s| s.conversation).collect();
            ids.dedup();
            ids
        };
        job.conversations_total = conversations.len() as u64;
        let maker = self.deps.archives.get().ok_or(Error::Unavailable("exports are not made by this process"))?;
        let sink = maker.start()?;
        let mut out = Progress { exports: self, job, sink, last_ms: 0 };
        out.heartbeat(true).await?;

        // The conversations, with their members.
        let mut lines = String::new();
        let mut infos = BTreeMap::new();
        for id in &conversations {
            let Some(conversation) = self.log.conversation(*id).await? else { continue };
            let members = self.all_members(*id).await?;
            lines.push_str(&json_line(&conversation_line(&conversation, &members, &spans))?);
            infos.insert(*id, conversation_label(&conversation));
        }
        text(&mut out.sink, "conversations.jsonl", lines).await?;

        // The entries, in the period, as JSON Lines; the files they name.
        let mut files: BTreeMap<String, Option<crate::files::StoredFile>> = BTreeMap::new();
        let (from_ms, until_ms) = (out.job.from_ms, out.job.until_ms);
        let covered = |e: &&Entry| from_ms.is_none_or(|f| e.at_ms >= f) && until_ms.is_none_or(|u| e.at_ms < u);
        out.sink.begin("messages.jsonl").await?;
        let mut current: Option<ConversationId> = None;
        for span in &spans {
            if current != Some(span.conversation) {
                if current.is_some() {
                    out.job.conversations_done += 1;
                }
                current = Some(span.conversation);
            }
            let mut after = Seq(span.from.0 - 1);
            loop {
                let page = self.page(span, after).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                let full = page.len() == EXPORT_PAGE_LEN;
                for entry in page.iter().filter(covered) {
                    let mut refs = vec![];
                    for id in entry.body.as_ref().map(|b| crate::content::file_refs(&entry.kind, b)).unwrap_or_default()
                    {
                        if !files.contains_key(&id) {
                            let found = match crate::files::FileId::parse(&id) {
                                Ok(fid) => self.files.file(&fid).await?,
                                Err(_) => None,
                            };
                            files.insert(id.clone(), found);
                        }
                        refs.push(file_line(&id, files.get(&id).and_then(Option::as_ref)));
                    }
                    out.sink.write(json_line(&entry_line(entry, refs))?.into_bytes()).await?;
                    out.job.messages += 1;
                }
                out.heartbeat(false).await?;
                if !full {
                    break;
                }
            }
        }
        if current.is_some() {
            out.job.conversations_done += 1;
        }

        // The files' contents.
        for (id, file) in &files {
            let Some(file) = file else { continue };
            let mut reader = self.deps.blobs.read(&file.sha256, None).await?;
            out.sink.begin(&file_path(id, file)).await?;
            loop {
                let mut buf = vec![0u8; 256 * 1024];
                let n = reader.read(&mut buf).await.map_err(|e| Error::Internal(format!("reading file {id}: {e}")))?;
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                out.sink.write(buf).await?;
            }
            out.job.files += 1;
            out.heartbeat(false).await?;
        }

        // The readable page: the same entries again, written as they are read, so that an
        // export's memory does not grow with its size.
        out.sink.begin("index.html").await?;
        let mut html = Html { open: false };
        out.sink.write(html.head(out.job).into_bytes()).await?;
        let mut current: Option<ConversationId> = None;
        for span in &spans {
            if current != Some(span.conversation) {
                current = Some(span.conversation);
                let label = infos.get(&span.conversation).map_or("", String::as_str);
                out.sink.write(html.conversation(label).into_bytes()).await?;
            }
            let mut after = Seq(span.from.0 - 1);
            loop {
                let page = self.page(span, after).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                let full = page.len() == EXPORT_PAGE_LEN;
                let mut rows = String::new();
                for entry in page.iter().filter(covered) {
                    rows.push_str(&html.entry(entry, files.get(&first_ref(entry)).and_then(Option::as_ref)));
                }
                out.sink.write(rows.into_bytes()).await?;
                out.heartbeat(false).await?;
                if !full {
                    break;
                }
            }
        }
        out.sink.write(html.finish().into_bytes()).await?;
        let about = serde_json::json!({
            "id": out.job.id,
            "domain": out.job.domain_name,
            "requested_by": out.job.requested_by,
            "target": out.job.target,
            "from_ms": out.job.from_ms,
            "until_ms": out.job.until_ms,
            "created_at_ms": out.job.created_at_ms,
            "conversations": out.job.conversations_total,
            "messages": out.job.messages,
            "files": out.job.files,
        });
        text(&mut out.sink, "export.json", format!("{about:#}\n")).await?;
        let Progress { sink, job, .. } = out;
        let archive = sink.finish().await?;
        let stored = self.store_archive(archive).await?;
        job.updated_at_ms = self.deps.clock.now_ms();
        Ok(stored)
    }

    /// The next page of a span's entries after `after`, as a viewer with nothing hidden.
    async fn page(&self, span: &Span, after: Seq) -> Result<Vec<Entry>> {
        let page = Page::After(after);
        Ok(self.log.entries(span.conversation, page, span.from, span.until, EXPORT_PAGE_LEN, AccountId(0)).await?)
    }

    /// Every member of a conversation, active ones, in pages.
    async fn all_members(&self, id: ConversationId) -> Result<Vec<crate::chat::Member>> {
        let mut all = vec![];
        loop {
            let page =
                self.log.members(id, all.last().map(|m: &crate::chat::Member| m.account), EXPORT_PAGE_LEN).await?;
            let full = page.len() == EXPORT_PAGE_LEN;
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    /// Moves the finished archive into the blob store; its digest and size.
    async fn store_archive(&self, archive: Box<dyn tokio::io::AsyncRead + Send + Unpin>) -> Result<(String, u64)> {
        let upload = crate::files::FileId::random();
        let blobs = &self.deps.blobs;
        blobs.start(&upload).await?;
        let written = blobs.append(&upload, 0, u64::MAX, false, archive).await;
        let written = match written {
            Ok(w) if !w.interrupted => w,
            Ok(_) => {
                let _ = blobs.discard(&upload).await;
                return Err(Error::Internal("the archive could not be read back".to_owned()));
            }
            Err(e) => {
                let _ = blobs.discard(&upload).await;
                return Err(e);
            }
        };
        let finished = blobs.finish(&upload).await?;
        Ok((finished.sha256, written.bytes))
    }
}

/// Seqs of one conversation an export reads: from `from`, before `until`.
#[derive(Debug, Clone, Copy)]
struct Span {
    conversation: ConversationId,
    from: Seq,
    until: Option<Seq>,
}

/// A running export's writer and its progress, written to the store now and then.
struct Progress<'a> {
    exports: &'a Exports,
    job: &'a mut ExportJob,
    sink: Box<dyn ArchiveWriter>,
    last_ms: i64,
}

impl Progress<'_> {
    /// Writes the progress if a second has passed (or `now`). An export the sweep failed
    /// meanwhile stops here.
    async fn heartbeat(&mut self, now: bool) -> Result<()> {
        let at = self.exports.deps.clock.now_ms();
        if !now && at - self.last_ms < PROGRESS_EVERY_MS {
            return Ok(());
        }
        self.last_ms = at;
        self.job.updated_at_ms = at;
        let updated = self.exports.store.update_export(self.job).await?;
        self.exports.note_change();
        if updated { Ok(()) } else { Err(Error::Conflict("the export was stopped".to_owned())) }
    }
}

fn conversation_label(c: &Conversation) -> String {
    match (&c.info.name, c.kind) {
        (Some(name), _) => format!("conversation {} ({name})", c.id.0),
        (None, kind) => format!("conversation {} ({})", c.id.0, kind.as_str()),
    }
}

fn json_line(value: &impl Serialize) -> Result<String> {
    let mut line = serde_json::to_string(value).map_err(|e| Error::Internal(format!("export line: {e}")))?;
    line.push('\n');
    Ok(line)
}

#[derive(Serialize)]
struct MemberLine {
    account: String,
    role: &'static str,
    joined_seq: i64,
}

#[derive(Serialize)]
struct SpanLine {
    from_seq: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    until_seq: Option<i64>,
}

#[derive(Serialize)]
struct ConversationLine<'a> {
    id: i64,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    created_at_ms: i64,
    dissolved: bool,
    /// Its active members now.
    members: Vec<MemberLine>,
    /// The seqs exported (an account's export: while it was a member).
    spans: Vec<SpanLine>,
}

fn conversation_line<'a>(c: &'a Conversation, members: &[crate::chat::Member], spans: &[Span]) -> ConversationLine<'a> {
    ConversationLine {
        id: c.id.0,
        kind: c.kind.as_str(),
        name: c.info.name.as_deref(),
        created_at_ms: c.created_at_ms,
        dissolved: c.dissolved,
        members: members
            .iter()
            .map(|m| MemberLine { account: m.addr.to_string(), role: m.role.as_str(), joined_seq: m.joined_seq.0 })
            .collect(),
        spans: spans
            .iter()
            .filter(|s| s.conversation == c.id)
            .map(|s| SpanLine { from_seq: s.from.0, until_seq: s.until.map(|u| u.0) })
            .collect(),
    }
}

#[derive(Serialize)]
struct FileLine {
    id: String,
    /// Where its content is in the archive; left out for a file that is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

fn file_line(id: &str, file: Option<&crate::files::StoredFile>) -> FileLine {
    FileLine {
        id: id.to_owned(),
        path: file.map(|f| file_path(id, f)),
        name: file.and_then(|f| f.name.clone()),
        media_type: file.map(|f| f.media_type.clone()),
        size: file.map(|f| f.size),
    }
}

/// A file's place in the archive: `files/<id>/<its name, made safe>`.
fn file_path(id: &str, file: &crate::files::StoredFile) -> String {
    let name: String = file
        .name
        .as_deref()
        .unwrap_or("file")
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') { c } else { '_' })
        .collect();
    let name = name.trim_matches(|c| c == '.' || c == ' ');
    let name = if name.is_empty() { "file" } else { name };
    format!("files/{id}/{name}")
}

fn first_ref(entry: &Entry) -> String {
    entry.body.as_ref().and_then(|b| crate::content::file_refs(&entry.kind, b).into_iter().next()).unwrap_or_default()
}

#[derive(Serialize)]
struct ReactionLine {
    emoji: String,
    accounts: Vec<String>,
}

#[derive(Serialize)]
struct ForwardLine {
    conversation: i64,
    seq: i64,
    sender: String,
    at_ms: i64,
}

#[derive(Serialize)]
struct EntryLine<'a> {
    conversation: i64,
    seq: i64,
    id: i64,
    sender: String,
    kind: &'a str,
    /// `null` once recalled.
    body: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mentions: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    mention_all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarded_from: Option<ForwardLine>,
    at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    edited_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recalled_at_ms: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reactions: Vec<ReactionLine>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<FileLine>,
}

fn entry_line(e: &Entry, files: Vec<FileLine>) -> EntryLine<'_> {
    EntryLine {
        conversation: e.conversation.0,
        seq: e.seq.0,
        id: e.id.0,
        sender: e.sender_addr.to_string(),
        kind: &e.kind,
        body: e.body.as_ref(),
        target: e.target.map(|t| t.0),
        mentions: e.mentions.iter().map(ToString::to_string).collect(),
        mention_all: e.mention_all,
        reply_to: e.reply_to.map(|s| s.0),
        thread: e.thread.map(|s| s.0),
        forwarded_from: e.forwarded_from.as_ref().map(|f| ForwardLine {
            conversation: f.conversation.0,
            seq: f.seq.0,
            sender: f.sender.clone(),
            at_ms: f.at_ms,
        }),
        at_ms: e.at_ms,
        edited_at_ms: e.edited_at_ms,
        recalled_at_ms: e.recalled_at_ms,
        reactions: e
            .reactions
            .iter()
            .map(|r| ReactionLine {
                emoji: r.emoji.clone(),
                accounts: r.accounts.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        files,
    }
}

/// The archive's readable view: one page, every text escaped, times in UTC, written a piece
/// at a time.
struct Html {
    /// A conversation's table is open.
    open: bool,
}

impl Html {
    fn head(&self, job: &ExportJob) -> String {
        let title = crate::mail::html_escape(&format!("Magpie export {} — {}", job.id, job.target));
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">\
             <style>body{{font:14px sans-serif;margin:2em}}td{{vertical-align:top;padding:2px 8px}}\
             .meta{{color:#666;white-space:nowrap}}</style></head><body>\n<h1>{title}</h1>\n<p>{} · {}</p>\n",
            crate::mail::html_escape(&job.domain_name),
            crate::mail::html_escape(&period(job.from_ms, job.until_ms))
        )
    }

    fn conversation(&mut self, label: &str) -> String {
        let mut piece = self.close();
        piece.push_str(&format!("<h2>{}</h2>\n<table>\n", crate::mail::html_escape(label)));
        self.open = true;
        piece
    }

    fn entry(&self, e: &Entry, file: Option<&crate::files::StoredFile>) -> String {
        let text = match (&e.body, file) {
            (None, _) => "(recalled)".to_owned(),
            (Some(_), Some(f)) => {
                let path = file_path(&first_ref(e), f);
                let name = f.name.as_deref().unwrap_or("file");
                format!(
                    "<a href=\"{}\">{}</a>",
                    crate::mail::html_escape(&path),
                    crate::mail::html_escape(&format!("[{}] {name}", e.kind))
                )
            }
            (Some(body), None) => match crate::push::body_text(&e.kind, Some(body)) {
                Some(text) => crate::mail::html_escape(text).replace('\n', "<br>"),
                None => crate::mail::html_escape(&format!("[{}] {}", e.kind, body)),
            },
        };
        format!(
            "<tr><td class=\"meta\">#{} {}</td><td class=\"meta\">{}</td><td>{text}</td></tr>\n",
            e.seq.0,
            crate::mail::html_escape(&utc(e.at_ms)),
            crate::mail::html_escape(&e.sender_addr.to_string()),
        )
    }

    fn close(&mut self) -> String {
        if std::mem::take(&mut self.open) { "</table>\n".to_owned() } else { String::new() }
    }

    fn finish(&mut self) -> String {
        let mut piece = self.close();
        piece.push_str("</body></html>\n");
        piece
    }
}

fn utc(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| ms.to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

fn period(from_ms: Option<i64>, until_ms: Option<i64>) -> String {
    match (from_ms, until_ms) {
        (None, None) => "all time".to_owned(),
        (Some(f), None) => format!("from {}", utc(f)),
        (None, Some(u)) => format!("before {}", utc(u)),
        (Some(f), Some(u)) => format!("{} – {}", utc(f), utc(u)),
    }
}

/// Writes an export's archive, one member after another: the binary's (a ZIP in a temporary
/// file), so that the core does no IO of its own.
#[async_trait::async_trait]
pub trait ArchiveWriter: Send {
    /// Ends the member being written, if any, and begins the member `name`.
    async fn begin(&mut self, name: &str) -> Result<()>;
    /// Appends to the member being written.
    async fn write(&mut self, bytes: Vec<u8>) -> Result<()>;
    /// Ends the archive; answers its bytes, from the start.
    async fn finish(self: Box<Self>) -> Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>>;
}

/// Starts archives ([`crate::Core::with_archive_maker`]).
pub trait ArchiveMaker: Send + Sync + 'static {
    fn start(&self) -> Result<Box<dyn ArchiveWriter>>;
}

/// Writes a whole member.
async fn text(sink: &mut Box<dyn ArchiveWriter>, name: &str, text: String) -> Result<()> {
    sink.begin(name).await?;
    sink.write(text.into_bytes()).await
}

impl ExportScope {
    pub fn conversation(self) -> Option<ConversationId> {
        match self {
            ExportScope::Conversation(c) => Some(c),
            ExportScope::Account(_) => None,
        }
    }
}
