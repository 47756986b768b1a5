//! Group commit of plain messages: a node's messages share transactions.
//!
//! On its own an append is one transaction, and every transaction pays PostgreSQL's fixed costs
//! once: a round trip per step, `BEGIN` and `COMMIT`, and a WAL flush at the commit. Most
//! appends are plain messages (a text, a sticker: the effect [`Effect::Message`] and nothing
//! else), and those all do the same thing, so one task per node, the batcher, commits them
//! together: it takes every plain message waiting (at most [`BATCH_LEN_MAX`], at most one per
//! conversation), and in one transaction
//!
//! 1. locks their conversations' streams and in the same round trip reads what every check
//!    needs: the conversations, the authors' memberships, earlier copies of the same client
//!    message ids, the direct chats' peers (one statement each for the whole batch);
//! 2. runs each append's check in turn, as [`super::append`] would;
//! 3. inserts the entries that passed, moves their conversations' counters and their senders'
//!    marks, in one statement; and commits.
//!
//! The locks come before the first write, as for any write (see `Tx::lock_conversation_with`).
//! A batch waits for one lock alone, its oldest message's conversation, before it holds any;
//! the others it only tries (`pg_try_advisory_xact_lock`), and a message whose conversation
//! another write holds waits for the next batch, first in line. So a batch never waits while it
//! holds a lock (no two writes wait for each other in a circle, whatever order they lock in),
//! batches of several nodes never queue behind one another's commits, and every batch commits
//! at least its oldest message. It locks no account's stream.
//! Every entry of a batch has its transaction's id and a position in insertion order, so the
//! log's tail serves them like any transaction's writes.
//!
//! A caller hears nothing before the commit. If the batch fails before it commits (a conflict, a
//! value the database refuses), nothing of it was stored, and each of its appends runs again
//! alone, so that one bad append fails only itself; if the commit's answer is lost with the
//! connection, every append of the batch fails as `unavailable`, as a lone one would.
//! A batch runs while the next one gathers, so under load batches grow with the commit's
//! latency, and a lone message never waits for company.

use std::collections::{HashMap, HashSet, VecDeque};

use magpie_core::StoreError;
use tokio::sync::{mpsc, oneshot};

use super::*;

/// Plain messages committed by one transaction (and one WAL flush); each takes an activity slot
/// of its transaction's (from 1: slot 0 is a lone write's).
pub const BATCH_LEN_MAX: usize = 256;
const _: () = assert!((BATCH_LEN_MAX as i64) < ACTIVITY_SLOTS, "a batch's conversations each need an activity slot");
/// Plain messages waiting for the batcher, beyond those it holds; past this, appends wait to
/// queue.
pub const QUEUE_LEN_MAX: usize = 4096;

/// What a queued append hears: its outcome, or itself back to run alone.
type Reply = Result<StoreResult<Result<Appended, Error>>, Box<Append>>;

/// A plain message waiting for the batcher.
pub(crate) struct Queued {
    append: Append,
    reply: oneshot::Sender<Reply>,
}

/// The handle that queues plain messages for the batcher; the batcher ends when it is dropped.
#[derive(Clone)]
pub(crate) struct Batcher {
    queue: mpsc::Sender<Queued>,
}

/// What the batcher needs of the store (not the store itself: the store holds the batcher).
pub(crate) struct Writer {
    pub(crate) pool: deadpool_postgres::Pool,
    pub(crate) bus: Arc<dyn magpie_core::ports::Bus>,
    pub(crate) activity_base: i64,
}

/// Whether `append` is a plain message, which the batcher can commit with others: a message
/// that mentions nobody, refers to no file and targets no entry.
pub(crate) fn batchable(append: &Append) -> bool {
    let Append { entry, effects, events, subjects, peer: _, check: _ } = append;
    let plain = |e: &Effect| match e {
        Effect::Message => true,
        Effect::Mention(accounts) => accounts.is_empty(),
        Effect::FileRefs(files) => files.is_empty(),
        _ => false,
    };
    effects.iter().filter(|e| matches!(e, Effect::Message)).count() == 1
        && effects.iter().all(plain)
        && events.is_empty()
        && subjects.is_empty()
        && entry.target.is_none()
        && entry.thread.is_none()
        && entry.mentions.is_empty()
        && !entry.mention_all
}

impl Batcher {
    /// Starts the batcher on the current runtime.
    pub(crate) fn start(writer: Writer) -> Batcher {
        let (queue, waiting) = mpsc::channel(QUEUE_LEN_MAX);
        tokio::spawn(run(writer, waiting));
        Batcher { queue }
    }

    /// Commits `append` with others: its outcome, or the append back when it must run alone.
    pub(crate) async fn append(&self, append: Append) -> Reply {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError(queued)) = self.queue.send(Queued { append, reply }).await {
            return Err(Box::new(queued.append));
        }
        answer.await.unwrap_or_else(|_| Ok(Err(StoreError::Unavailable("the message batcher stopped".into()))))
    }
}

/// The batcher: gathers what waits, commits it, and again.
async fn run(writer: Writer, mut waiting: mpsc::Receiver<Queued>) {
    // Appends taken from the queue but left for a later batch, oldest first.
    let mut held: VecDeque<Queued> = VecDeque::new();
    loop {
        if held.is_empty() {
            match waiting.recv().await {
                Some(queued) => held.push_back(queued),
                None => return,
            }
        }
        while held.len() < 2 * BATCH_LEN_MAX {
            match waiting.try_recv() {
                Ok(queued) => held.push_back(queued),
                Err(_) => break,
            }
        }
        let batch = take_batch(&mut held);
        // What found its conversation locked goes first into the next batch, in its order.
        for queued in commit_batch(&writer, batch).await.into_iter().rev() {
            held.push_front(queued);
        }
    }
}

/// The next batch from `held`: in queue order, at most one append per conversation (a later
/// one to the same conversation waits for the next batch, behind the earlier), at most
/// [`BATCH_LEN_MAX`].
fn take_batch(held: &mut VecDeque<Queued>) -> Vec<Queued> {
    let mut batch = Vec::new();
    let mut seen = HashSet::new();
    let mut rest = VecDeque::new();
    for queued in held.drain(..) {
        let first = seen.insert(queued.append.entry.conversation);
        if first && batch.len() < BATCH_LEN_MAX {
            batch.push(queued);
        } else {
            rest.push_back(queued);
        }
    }
    *held = rest;
    batch
}

/// Commits a batch and answers its messages; answers what must wait for the next batch (its
/// conversation's lock was taken).
async fn commit_batch(writer: &Writer, batch: Vec<Queued>) -> Vec<Queued> {
    let (appends, replies): (Vec<Append>, Vec<oneshot::Sender<Reply>>) =
        batch.into_iter().map(|q| (q.append, q.reply)).unzip();
    let mut later = vec![];
    match commit(writer, &appends).await {
        Ok((outcomes, published, last)) => {
            publish(writer, published, last);
            for ((reply, outcome), append) in replies.into_iter().zip(outcomes).zip(appends) {
                match outcome {
                    Some(outcome) => {
                        let _ = reply.send(Ok(Ok(outcome)));
                    }
                    None => later.push(Queued { append, reply }),
                }
            }
        }
        Err(Failure::RolledBack(e)) => {
            tracing::debug!(error = ?e, appends = appends.len(), "a batch of messages failed; each runs again alone");
            for (reply, append) in replies.into_iter().zip(appends) {
                let _ = reply.send(Err(Box::new(append)));
            }
        }
        Err(Failure::Unknown(e)) => {
            let e = e.into_store();
            for reply in replies {
                let _ = reply.send(Ok(Err(e.clone())));
            }
        }
    }
    later
}

/// Publishes what a batch committed, as [`crate::PgStore`] does for a lone write.
fn publish(writer: &Writer, published: Vec<Committed>, last: Option<(i64, i64)>) {
    let Some((xid, position)) = last else { return };
    if published.is_empty() {
        return;
    }
    writer.bus.publish(magpie_core::ports::Wake::Log {
        from: None,
        to: cursor(xid, position),
        items: published.into(),
    });
}

/// How a batch failed.
enum Failure {
    /// Before its commit took effect: nothing of it was stored.
    RolledBack(PgError),
    /// Nobody knows whether it committed (the connection broke, or no connection at all).
    Unknown(PgError),
}

impl From<PgError> for Failure {
    fn from(e: PgError) -> Failure {
        // An answer from the database (an SQLSTATE) ended the transaction; a broken connection
        // or a pool that has none to give says nothing either way.
        match &e {
            PgError::Db(db) if db.code().is_some() => Failure::RolledBack(e),
            PgError::Corrupt(_) => Failure::RolledBack(e),
            _ => Failure::Unknown(e),
        }
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        PgError::from(e).into()
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(e: deadpool_postgres::PoolError) -> Failure {
        PgError::from(e).into()
    }
}

/// One append of a batch that passed its check, on its way in.
struct Accepted {
    /// Its place in the batch.
    at: usize,
    entry: NewEntry,
    seq: Seq,
    /// The author's address, when the author is a member (else the entry is read back).
    sender_addr: Option<AccountAddr>,
}

/// What a batch committed: each append's outcome in batch order (none for one whose
/// conversation another write had locked), what to publish, and the last place it wrote in the
/// log.
type BatchOutcome = (Vec<Option<Result<Appended, Error>>>, Vec<Committed>, Option<(i64, i64)>);

/// Runs a batch of plain messages, each to a different conversation, in one transaction.
async fn commit(writer: &Writer, appends: &[Append]) -> Result<BatchOutcome, Failure> {
    debug_assert!(appends.iter().all(batchable), "a batch holds plain messages alone");
    let mut client = writer.pool.get().await?;
    let tx = client.transaction().await?;
    let statements = Statements::prepare(&tx).await?;

    let Some(oldest) = appends.first().map(|a| a.entry.conversation.0) else {
        return Ok((vec![], vec![], None));
    };
    let locks: Vec<i64> = appends.iter().map(|a| a.entry.conversation.0).collect();
    debug_assert!(locks.iter().collect::<HashSet<_>>().len() == locks.len(), "one append per conversation");
    let tries: Vec<i64> = locks[1..].to_vec();
    let conversations: Vec<i64> = appends.iter().map(|a| a.entry.conversation.0).collect();
    let senders: Vec<i64> = appends.iter().map(|a| a.entry.sender.0).collect();
    // Client message ids and direct peers, for the appends that have them, by place in the batch.
    let mut replays: (Vec<i64>, Vec<i64>, Vec<String>) = Default::default();
    let mut peers: (Vec<i64>, Vec<i64>, Vec<i64>) = Default::default();
    for (at, a) in appends.iter().enumerate() {
        let at = i64::try_from(at).unwrap_or(i64::MAX);
        if let (Some(session), Some(id)) = (a.entry.session, &a.entry.client_msg_id) {
            replays.0.push(at);
            replays.1.push(session.0);
            replays.2.push(id.clone());
        }
        if a.peer {
            peers.0.push(at);
            peers.1.push(a.entry.conversation.0);
            peers.2.push(a.entry.sender.0);
        }
    }
    // One round trip: the locks, then every read, each on a snapshot taken after the locks were
    // granted (see `super::append`).
    type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
    let first: [Param<'_>; 1] = [&oldest];
    let others: [Param<'_>; 1] = [&tries];
    let by_id: [Param<'_>; 1] = [&locks];
    let replay_keys: [Param<'_>; 3] = [&replays.0, &replays.1, &replays.2];
    let member_keys: [Param<'_>; 2] = [&conversations, &senders];
    let peer_keys: [Param<'_>; 3] = [&peers.0, &peers.1, &peers.2];
    let (_, tried, conversation_rows, replay_rows, author_rows, peer_rows) = tokio::try_join!(
        tx.query(&statements.lock, &first),
        tx.query(&statements.try_locks, &others),
        tx.query(&statements.conversations, &by_id),
        tx.query(&statements.replays, &replay_keys),
        tx.query(&statements.members, &member_keys),
        tx.query(&statements.peers, &peer_keys),
    )?;
    let mut locked: HashSet<ConversationId> = HashSet::from([ConversationId(oldest)]);
    for row in &tried {
        if row.try_get::<_, bool>(1).map_err(PgError::from)? {
            locked.insert(ConversationId(row.try_get(0).map_err(PgError::from)?));
        }
    }
    let conversations: HashMap<ConversationId, Conversation> =
        conversation_rows.iter().map(|r| conversation_from_row(r, 0).map(|c| (c.id, c))).collect::<PgResult<_>>()?;
    let replays = by_place(&replay_rows, |r| entry_from_row(r, 0))?;
    let authors = by_place(&author_rows, |r| member_from_row(r, 0))?;
    let peers = by_place(&peer_rows, direct_peer_from_row)?;

    let mut outcomes: Vec<Option<Result<Appended, Error>>> = Vec::with_capacity(appends.len());
    let mut accepted = Vec::new();
    for (at, append) in appends.iter().enumerate() {
        if !locked.contains(&append.entry.conversation) {
            outcomes.push(None);
            continue;
        }
        if let Some(existing) = replays.get(&at) {
            outcomes.push(Some(Ok(Appended::Duplicate(Arc::new(existing.clone())))));
            continue;
        }
        let Some(conversation) = conversations.get(&append.entry.conversation) else {
            outcomes.push(Some(Err(Error::NotFound("conversation"))));
            continue;
        };
        let mut new = append.entry.clone();
        new.fit_to(conversation);
        let author = authors.get(&at);
        let peer = if conversation.kind == ConversationKind::Direct { peers.get(&at).copied() } else { None };
        let pre = Precondition {
            conversation,
            author,
            target: None,
            root: None,
            subjects: &[],
            peer,
            pins: None,
            now_ms: new.at_ms,
        };
        if let Err(refusal) = (append.check)(&pre) {
            outcomes.push(Some(Err(refusal)));
            continue;
        }
        outcomes.push(None);
        let seq = Seq(conversation.last_seq.0 + 1);
        accepted.push(Accepted { at, entry: new, seq, sender_addr: author.map(|a| a.addr.clone()) });
    }

    let mut published = Vec::with_capacity(accepted.len());
    let mut last = None;
    if !accepted.is_empty() {
        let rows = insert(&tx, &statements, &accepted, writer.activity_base).await?;
        if rows.len() != accepted.len() {
            return Err(Failure::RolledBack(PgError::Corrupt("a conversation's last seq moved under its lock".into())));
        }
        let mut written: HashMap<ConversationId, (EntryId, i64, i64)> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let read = |i| row.try_get::<_, i64>(i).map_err(PgError::from);
            written.insert(ConversationId(read(0)?), (EntryId(read(1)?), read(2)?, read(3)?));
        }
        let mut entries = Vec::with_capacity(accepted.len());
        for a in accepted {
            let Some(&(id, xid, position)) = written.get(&a.entry.conversation) else {
                return Err(Failure::RolledBack(corrupt("batch insert")));
            };
            let entry = match a.sender_addr {
                Some(addr) => inserted_entry(&a.entry, a.seq, id, addr),
                None => entry_at(&tx, a.entry.conversation, a.seq).await?.ok_or_else(|| corrupt("new entry"))?,
            };
            last = last.max(Some((xid, position)));
            entries.push((position, a.at, Arc::new(entry)));
        }
        entries.sort_by_key(|(position, _, _)| *position);
        for (_, at, entry) in entries {
            outcomes[at] = Some(Ok(Appended::New(entry.clone())));
            published.push(Committed::Entry { entry, membership_changed: false });
        }
    }
    tx.commit().await.map_err(|e| match e.code() {
        Some(_) => Failure::RolledBack(e.into()),
        None => Failure::Unknown(e.into()),
    })?;
    Ok((outcomes, published, last))
}

/// Rows whose last column is their append's place in the batch (from 0), read by `read`, by
/// place.
fn by_place<T>(rows: &[Row], read: impl Fn(&Row) -> PgResult<T>) -> PgResult<HashMap<usize, T>> {
    rows.iter()
        .map(|r| {
            let place: i64 = r.try_get(r.len().saturating_sub(1))?;
            Ok((usize::try_from(place).map_err(|_| corrupt("batch place"))?, read(r)?))
        })
        .collect()
}

/// Inserts the accepted entries, moves their conversations' counters and activity and their
/// senders' marks, in one statement (as [`insert_entry`] does for one message); answers
/// (conversation, entry id, xid, position) for each entry inserted.
async fn insert(
    tx: &deadpool_postgres::Transaction<'_>,
    statements: &Statements,
    accepted: &[Accepted],
    activity_base: i64,
) -> Result<Vec<Row>, Failure> {
    let mut columns = Columns::default();
    for a in accepted {
        let e = &a.entry;
        columns.conversation.push(e.conversation.0);
        columns.seq.push(a.seq.0);
        columns.sender.push(e.sender.0);
        columns.session.push(e.session.map(|s| s.0));
        columns.client_msg_id.push(e.client_msg_id.clone());
        columns.kind.push(e.kind.clone());
        columns.body.push(to_json(&e.body)?);
        columns.reply_to.push(e.reply_to.map(|r| r.0));
        columns.forwarded.push(e.forwarded_from.as_ref().map(to_json).transpose()?);
        columns.at_ms.push(e.at_ms);
    }
    let c = &columns;
    Ok(tx
        .query(
            &statements.insert,
            &[
                &c.conversation,
                &c.seq,
                &c.sender,
                &c.session,
                &c.client_msg_id,
                &c.kind,
                &c.body,
                &c.reply_to,
                &c.forwarded,
                &c.at_ms,
                &activity_base,
            ],
        )
        .await?)
}

/// The accepted entries' columns, as arrays for `unnest`.
#[derive(Default)]
struct Columns {
    conversation: Vec<i64>,
    seq: Vec<i64>,
    sender: Vec<i64>,
    session: Vec<Option<i64>>,
    client_msg_id: Vec<Option<String>>,
    kind: Vec<String>,
    body: Vec<String>,
    reply_to: Vec<Option<i64>>,
    forwarded: Vec<Option<String>>,
    at_ms: Vec<i64>,
}

/// The batch's statements, prepared (or found in the connection's cache) before any is sent.
struct Statements {
    lock: tokio_postgres::Statement,
    try_locks: tokio_postgres::Statement,
    conversations: tokio_postgres::Statement,
    replays: tokio_postgres::Statement,
    members: tokio_postgres::Statement,
    peers: tokio_postgres::Statement,
    insert: tokio_postgres::Statement,
}

impl Statements {
    async fn prepare(c: &impl GenericClient) -> PgResult<Statements> {
        Ok(Statements {
            lock: c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?,
            // Each key tried once, in the array's order: (key, taken).
            try_locks: c
                .prepare_cached(
                    "SELECT k, pg_try_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS s(k, n) \
                     ORDER BY n",
                )
                .await?,
            conversations: c
                .prepare_cached(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ANY($1::bigint[])"
                ))
                .await?,
            // Each key is looked up on its own (`LATERAL … LIMIT 1` keeps the planner from
            // joining the keys to a scan of the whole table, which a generic plan, made when the
            // tables were small, did); `IS NOT NULL` names the partial index of client ids.
            replays: c
                .prepare_cached(&format!(
                    "SELECT x.*, k.n FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(n, s, m) \
                     CROSS JOIN LATERAL (SELECT {ENTRY_COLUMNS} {ENTRY_FROM} \
                       WHERE e.session_id = k.s AND e.client_msg_id = k.m AND e.client_msg_id IS NOT NULL \
                       LIMIT 1) AS x"
                ))
                .await?,
            members: c
                .prepare_cached(&format!(
                    "SELECT x.*, k.n - 1 FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(c, a, n) \
                     CROSS JOIN LATERAL (SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} \
                       WHERE m.conversation_id = k.c AND m.account_id = k.a LIMIT 1) AS x"
                ))
                .await?,
            // As `Reads::direct_peer`, for each (place, conversation, author).
            peers: c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM contacts WHERE account_id = k.a AND contact_id = p.account_id), \
                            EXISTS (SELECT 1 FROM blocks WHERE account_id = p.account_id AND blocked_id = k.a), \
                            d.direct_requires_friendship, k.n \
                     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS k(n, c, a) \
                     JOIN LATERAL (SELECT account_id FROM members \
                                   WHERE conversation_id = k.c AND account_id != k.a LIMIT 1) p ON TRUE \
                     JOIN conversations c ON c.id = k.c JOIN domains d ON d.id = c.domain_id",
                )
                .await?,
            // Each conversation's seq rises by one from the last one read under its lock; a
            // conversation that moved finds no row, and the batch fails whole (see `commit`).
            insert: c
                .prepare_cached(&format!(
                    "WITH v AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], \
                         $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::bigint[]) \
                         WITH ORDINALITY AS v(conversation_id, seq, sender_id, session_id, client_msg_id, kind, \
                         body, reply_to, forwarded_from, at_ms, n)), \
                     c AS (UPDATE conversations SET last_seq = v.seq, \
                         activity = GREATEST(conversations.activity, ({XID} + $11) * {ACTIVITY_SLOTS} + v.n), last_activity_ms = v.at_ms, \
                         message_count = conversations.message_count + 1, last_message_seq = v.seq \
                         FROM v WHERE conversations.id = v.conversation_id AND conversations.last_seq = v.seq - 1 \
                         RETURNING conversations.id, conversations.message_count), \
                     e AS (INSERT INTO entries (conversation_id, seq, sender_id, session_id, client_msg_id, kind, \
                         body, mention_all, reply_to, forwarded_from, message_number, at_ms, xid) \
                         SELECT v.conversation_id, v.seq, v.sender_id, v.session_id, v.client_msg_id, v.kind, \
                             v.body, FALSE, v.reply_to, v.forwarded_from, c.message_count, v.at_ms, {XID} \
                         FROM v JOIN c ON c.id = v.conversation_id ORDER BY v.n \
                         RETURNING conversation_id, id, xid, position), \
                     m AS (UPDATE members SET read_seq = v.seq, delivered_seq = GREATEST(members.delivered_seq, v.seq) \
                         FROM v WHERE members.conversation_id = v.conversation_id AND members.account_id = v.sender_id \
                         AND v.conversation_id IN (SELECT conversation_id FROM e)) \
                     SELECT conversation_id, id, xid, position FROM e"
                ))
                .await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use magpie_core::files::FileId;

    fn append(effects: Vec<Effect>, target: Option<Seq>) -> Append {
        Append {
            entry: NewEntry {
                conversation: ConversationId(1),
                sender: AccountId(1),
                session: None,
                client_msg_id: Some("c-1".into()),
                kind: if target.is_some() { "system".into() } else { "text".into() },
                body: serde_json::json!({"text": "hi"}),
                target,
                mentions: vec![],
                mention_all: false,
                reply_to: None,
                thread: None,
                forwarded_from: None,
                at_ms: 0,
            },
            effects,
            events: vec![],
            subjects: vec![],
            peer: false,
            check: Box::new(|_| Ok(())),
        }
    }

    /// The batch's check sees no pins (`Precondition::pins` is `None`), and its insert applies no
    /// effect but the message's: an append that pins, unpins, recalls (erasing saved copies) or
    /// shares must run alone.
    #[test]
    fn only_plain_messages_are_batchable() {
        let plain = vec![Effect::Message, Effect::Mention(vec![]), Effect::FileRefs(vec![])];
        assert!(batchable(&append(plain.clone(), None)));
        assert!(batchable(&append(vec![Effect::Message], None)));
        for extra in [
            Effect::Pin(true),
            Effect::Pin(false),
            Effect::EraseSaved,
            Effect::Share(SharedKind::Link),
            Effect::Mention(vec![AccountId(2)]),
            Effect::FileRefs(vec![FileId::random()]),
        ] {
            let mut effects = plain.clone();
            effects.push(extra.clone());
            assert!(!batchable(&append(effects, None)), "{extra:?}");
        }
        for pin in [true, false] {
            assert!(!batchable(&append(vec![Effect::Pin(pin)], Some(Seq(2)))), "a pin notice");
        }
        assert!(!batchable(&append(Effect::recall(), Some(Seq(2)))), "a recall");
    }
}
