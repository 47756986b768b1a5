//! Threads (see [`magpie_core::threads`]): counting a reply in its thread inside the reply's
//! append, each account's following and read mark, and reading a thread's replies.

use async_trait::async_trait;
use magpie_core::chat::{AccountEvent, Entry, Page, Thread, ThreadFollow, ThreadSummary};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::ports::ThreadStore;
use rusqlite::{Connection, OptionalExtension, params};

use crate::chat::{entries_of, log_events};
use crate::{SqliteStore, StoreResult, Tx};

/// Counts a reply in its root's thread, in the reply's transaction: the sender follows the
/// thread and has read it up to the reply; the root's sender and `followers` (those the reply
/// mentions) follow it unless they chose before whether to.
pub(crate) fn count_reply(
    tx: &Tx<'_>,
    conversation: ConversationId,
    root: &Entry,
    sender: AccountId,
    followers: &[AccountId],
    seq: Seq,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let (id, root_seq) = (conversation.0, root.seq.0);
    tx.prepare_cached(
        "INSERT INTO threads (conversation_id, root_seq, replies, last_seq, last_at_ms) VALUES (?1, ?2, 1, ?3, ?4) \
         ON CONFLICT (conversation_id, root_seq) DO UPDATE SET replies = replies + 1, last_seq = excluded.last_seq, \
         last_at_ms = excluded.last_at_ms",
    )?
    .execute(params![id, root_seq, seq.0, at_ms])?;
    tx.prepare_cached(
        "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
         VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (account_id, conversation_id, root_seq) \
         DO UPDATE SET following = 1, read_seq = max(read_seq, excluded.read_seq)",
    )?
    .execute(params![sender.0, id, root_seq, seq.0])?;
    let mut follow = tx.prepare_cached(
        "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
         VALUES (?1, ?2, ?3, 1, ?3) ON CONFLICT (account_id, conversation_id, root_seq) DO NOTHING",
    )?;
    for account in std::iter::once(root.sender).chain(followers.iter().copied()).filter(|a| *a != sender) {
        follow.execute(params![account.0, id, root_seq])?;
    }
    Ok(())
}

/// Gives the roots among `list` (entries `first` to `last` of one conversation) their thread
/// summaries.
pub(crate) fn summarise(
    conn: &Connection,
    conversation: ConversationId,
    list: &mut [Entry],
    first: Seq,
    last: Seq,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT root_seq, replies, last_seq, last_at_ms FROM threads \
         WHERE conversation_id = ?1 AND root_seq BETWEEN ?2 AND ?3",
    )?;
    let rows = stmt.query_map(params![conversation.0, first.0, last.0], |r| {
        Ok((
            Seq(r.get(0)?),
            ThreadSummary {
                replies: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                last_seq: Seq(r.get(2)?),
                last_at_ms: r.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (root, summary) = row?;
        if let Some(entry) = list.iter_mut().find(|e| e.seq == root) {
            entry.thread_summary = Some(summary);
        }
    }
    Ok(())
}

fn follow(
    conn: &Connection,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
) -> rusqlite::Result<Option<ThreadFollow>> {
    conn.prepare_cached(
        "SELECT following, read_seq FROM thread_follows \
         WHERE account_id = ?1 AND conversation_id = ?2 AND root_seq = ?3",
    )?
    .query_row(params![account.0, conversation.0, root.0], |r| {
        Ok(ThreadFollow { following: r.get(0)?, read_seq: Seq(r.get(1)?) })
    })
    .optional()
}

fn update_follow(
    tx: &Tx<'_>,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
    following: Option<bool>,
    read_seq: Option<Seq>,
    at_ms: i64,
) -> rusqlite::Result<ThreadFollow> {
    let before = follow(tx, account, conversation, root)?;
    let was = before.unwrap_or(ThreadFollow { following: false, read_seq: root });
    let now = ThreadFollow {
        following: following.unwrap_or(was.following),
        read_seq: read_seq.map_or(was.read_seq, |seq| seq.max(was.read_seq)),
    };
    // An unfollow of a thread never followed is kept too: a later mention leaves it alone.
    if now == was && !(before.is_none() && following.is_some()) {
        return Ok(now);
    }
    tx.prepare_cached(
        "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id, conversation_id, root_seq) \
         DO UPDATE SET following = excluded.following, read_seq = excluded.read_seq",
    )?
    .execute(params![account.0, conversation.0, root.0, now.following, now.read_seq.0])?;
    if now != was {
        let event =
            AccountEvent::ThreadChanged { conversation, root, following: now.following, read_seq: now.read_seq };
        log_events(tx, vec![(account, event)], at_ms)?;
    }
    Ok(now)
}

fn unread(
    conn: &Connection,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
    after: Seq,
) -> rusqlite::Result<u32> {
    let count: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM entries e WHERE e.conversation_id = ?1 AND e.thread_root = ?2 AND e.seq > ?3 \
             AND e.sender_id != ?4 AND e.recalled_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                 WHERE h.account_id = ?4 AND h.conversation_id = ?1 AND h.seq = e.seq)",
        )?
        .query_row(params![conversation.0, root.0, after.0, account.0], |r| r.get(0))?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

fn followed(
    conn: &Connection,
    account: AccountId,
    conversation: Option<ConversationId>,
    limit: usize,
) -> rusqlite::Result<Vec<Thread>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<(ConversationId, Seq, Seq, ThreadFollow)> = conn
        .prepare_cached(
            "SELECT f.conversation_id, f.root_seq, m.joined_seq, f.read_seq FROM thread_follows f \
             JOIN members m ON m.conversation_id = f.conversation_id AND m.account_id = f.account_id \
             LEFT JOIN threads t ON t.conversation_id = f.conversation_id AND t.root_seq = f.root_seq \
             WHERE f.account_id = ?1 AND f.following AND m.left_seq IS NULL AND f.root_seq >= m.joined_seq \
             AND (?2 IS NULL OR f.conversation_id = ?2) \
             ORDER BY coalesce(t.last_at_ms, 0) DESC, f.conversation_id DESC, f.root_seq DESC LIMIT ?3",
        )?
        .query_map(params![account.0, conversation.map(|c| c.0), limit], |r| {
            Ok((
                ConversationId(r.get(0)?),
                Seq(r.get(1)?),
                Seq(r.get(2)?),
                ThreadFollow { following: true, read_seq: Seq(r.get(3)?) },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut threads = Vec::with_capacity(rows.len());
    for (conversation, root, joined, follow) in rows {
        let floor = Seq(joined.0.max(1));
        let page = entries_of(conn, conversation, None, Page::After(Seq(root.0 - 1)), floor, None, 1, account)?;
        let Some(root_entry) = page.into_iter().next().filter(|e| e.seq == root && e.is_message()) else {
            continue;
        };
        let unread = unread(conn, account, conversation, root, follow.read_seq)?;
        threads.push(Thread { root: root_entry, follow, unread });
    }
    Ok(threads)
}

#[async_trait]
impl ThreadStore for SqliteStore {
    async fn thread_entries(
        &self,
        conversation: ConversationId,
        root: Seq,
        page: Page,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>> {
        self.read(move |c| entries_of(c, conversation, Some(root), page, floor, ceiling, limit, viewer)).await
    }

    async fn thread_follow(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
    ) -> StoreResult<Option<ThreadFollow>> {
        self.read(move |c| follow(c, account, conversation, root)).await
    }

    async fn update_thread_follow(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
        following: Option<bool>,
        read_seq: Option<Seq>,
        at_ms: i64,
    ) -> StoreResult<ThreadFollow> {
        self.write(move |tx| update_follow(tx, account, conversation, root, following, read_seq, at_ms)).await
    }

    async fn thread_unread(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
        after: Seq,
    ) -> StoreResult<u32> {
        self.read(move |c| unread(c, account, conversation, root, after)).await
    }

    async fn followed_threads(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Thread>> {
        self.read(move |c| followed(c, account, conversation, limit)).await
    }
}
