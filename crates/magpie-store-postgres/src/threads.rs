//! Threads (see [`magpie_core::threads`]): counting a reply in its thread inside the reply's
//! append (under its conversation's lock), each account's following and read mark (under the
//! account's lock, as every write to its event log), and reading a thread's replies.
//!
//! A reply's append and an account's own change may write the same `thread_follows` row at
//! once, under different locks: both write with `INSERT … ON CONFLICT`, and a read mark only
//! ever rises in SQL (`GREATEST`), so neither undoes the other.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::chat::{AccountEvent, Entry, Page, Thread, ThreadFollow, ThreadSummary};
use magpie_core::model::{AccountId, ConversationId, Seq};
use magpie_core::ports::ThreadStore;

use crate::chat::{entries_of, log_events};
use crate::{PgResult, PgStore, StoreResult, Tx, read, read_tx, write_tx};

/// Counts a reply in its root's thread, in the reply's transaction: the sender follows the
/// thread and has read it up to the reply; the root's sender and `followers` (those the reply
/// mentions) follow it unless they chose before whether to.
pub(crate) async fn count_reply(
    c: &impl GenericClient,
    conversation: ConversationId,
    root: &Entry,
    sender: AccountId,
    followers: &[AccountId],
    seq: Seq,
    at_ms: i64,
) -> PgResult<()> {
    let (id, root_seq) = (conversation.0, root.seq.0);
    let sql = "INSERT INTO threads (conversation_id, root_seq, replies, last_seq, last_at_ms) VALUES ($1, $2, 1, $3, $4) \
               ON CONFLICT (conversation_id, root_seq) DO UPDATE SET replies = threads.replies + 1, \
               last_seq = excluded.last_seq, last_at_ms = excluded.last_at_ms";
    c.execute(&c.prepare_cached(sql).await?, &[&id, &root_seq, &seq.0, &at_ms]).await?;
    let sql = "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
               VALUES ($1, $2, $3, TRUE, $4) ON CONFLICT (account_id, conversation_id, root_seq) \
               DO UPDATE SET following = TRUE, read_seq = GREATEST(thread_follows.read_seq, excluded.read_seq)";
    c.execute(&c.prepare_cached(sql).await?, &[&sender.0, &id, &root_seq, &seq.0]).await?;
    let others: Vec<i64> =
        std::iter::once(root.sender).chain(followers.iter().copied()).filter(|a| *a != sender).map(|a| a.0).collect();
    let sql = "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
               SELECT a, $2, $3, TRUE, $3 FROM unnest($1::bigint[]) AS a \
               ON CONFLICT (account_id, conversation_id, root_seq) DO NOTHING";
    c.execute(&c.prepare_cached(sql).await?, &[&others, &id, &root_seq]).await?;
    Ok(())
}

/// Gives the roots among `list` (entries `first` to `last` of one conversation) their thread
/// summaries.
pub(crate) async fn summarise(
    c: &impl GenericClient,
    conversation: ConversationId,
    list: &mut [Entry],
    first: Seq,
    last: Seq,
) -> PgResult<()> {
    let sql = "SELECT root_seq, replies, last_seq, last_at_ms FROM threads \
               WHERE conversation_id = $1 AND root_seq BETWEEN $2 AND $3";
    for r in c.query(&c.prepare_cached(sql).await?, &[&conversation.0, &first.0, &last.0]).await? {
        let root = Seq(r.try_get(0)?);
        if let Some(entry) = list.iter_mut().find(|e| e.seq == root) {
            entry.thread_summary = Some(ThreadSummary {
                replies: u32::try_from(r.try_get::<_, i64>(1)?).unwrap_or(u32::MAX),
                last_seq: Seq(r.try_get(2)?),
                last_at_ms: r.try_get(3)?,
            });
        }
    }
    Ok(())
}

async fn follow(
    c: &impl GenericClient,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
    lock: bool,
) -> PgResult<Option<ThreadFollow>> {
    let sql = if lock {
        "SELECT following, read_seq FROM thread_follows \
         WHERE account_id = $1 AND conversation_id = $2 AND root_seq = $3 FOR UPDATE"
    } else {
        "SELECT following, read_seq FROM thread_follows WHERE account_id = $1 AND conversation_id = $2 AND root_seq = $3"
    };
    let row = c.query_opt(&c.prepare_cached(sql).await?, &[&account.0, &conversation.0, &root.0]).await?;
    row.map(|r| Ok(ThreadFollow { following: r.try_get(0)?, read_seq: Seq(r.try_get(1)?) })).transpose()
}

async fn update_follow(
    tx: &mut Tx<'_>,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
    following: Option<bool>,
    read_seq: Option<Seq>,
    at_ms: i64,
) -> PgResult<ThreadFollow> {
    tx.lock_accounts(std::iter::once(account)).await?;
    let c = tx.c();
    let before = follow(c, account, conversation, root, true).await?;
    let was = before.unwrap_or(ThreadFollow { following: false, read_seq: root });
    let wanted = ThreadFollow {
        following: following.unwrap_or(was.following),
        read_seq: read_seq.map_or(was.read_seq, |seq| seq.max(was.read_seq)),
    };
    // An unfollow of a thread never followed is kept too: a later mention leaves it alone.
    if wanted == was && !(before.is_none() && following.is_some()) {
        return Ok(was);
    }
    let sql = "INSERT INTO thread_follows (account_id, conversation_id, root_seq, following, read_seq) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, conversation_id, root_seq) \
               DO UPDATE SET following = excluded.following, \
               read_seq = GREATEST(thread_follows.read_seq, excluded.read_seq) RETURNING following, read_seq";
    let row = c
        .query_one(
            &c.prepare_cached(sql).await?,
            &[&account.0, &conversation.0, &root.0, &wanted.following, &wanted.read_seq.0],
        )
        .await?;
    let now = ThreadFollow { following: row.try_get(0)?, read_seq: Seq(row.try_get(1)?) };
    if now != was {
        let event =
            AccountEvent::ThreadChanged { conversation, root, following: now.following, read_seq: now.read_seq };
        log_events(tx, &[(account, event)], at_ms).await?;
    }
    Ok(now)
}

async fn unread(
    c: &impl GenericClient,
    account: AccountId,
    conversation: ConversationId,
    root: Seq,
    after: Seq,
) -> PgResult<u32> {
    let sql = "SELECT count(*) FROM entries e WHERE e.conversation_id = $1 AND e.thread_root = $2 AND e.seq > $3 \
               AND e.sender_id != $4 AND e.recalled_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                   WHERE h.account_id = $4 AND h.conversation_id = $1 AND h.seq = e.seq)";
    let row = c.query_one(&c.prepare_cached(sql).await?, &[&conversation.0, &root.0, &after.0, &account.0]).await?;
    Ok(u32::try_from(row.try_get::<_, i64>(0)?).unwrap_or(u32::MAX))
}

async fn followed(
    c: &impl GenericClient,
    account: AccountId,
    conversation: Option<ConversationId>,
    limit: usize,
) -> PgResult<Vec<Thread>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = "SELECT f.conversation_id, f.root_seq, m.joined_seq, f.read_seq FROM thread_follows f \
               JOIN members m ON m.conversation_id = f.conversation_id AND m.account_id = f.account_id \
               LEFT JOIN threads t ON t.conversation_id = f.conversation_id AND t.root_seq = f.root_seq \
               WHERE f.account_id = $1 AND f.following AND m.left_seq IS NULL AND f.root_seq >= m.joined_seq \
               AND ($2::bigint IS NULL OR f.conversation_id = $2) \
               ORDER BY coalesce(t.last_at_ms, 0) DESC, f.conversation_id DESC, f.root_seq DESC LIMIT $3";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &conversation.map(|c| c.0), &limit]).await?;
    let mut threads = Vec::with_capacity(rows.len());
    for r in rows {
        let conversation = ConversationId(r.try_get(0)?);
        let root = Seq(r.try_get(1)?);
        let floor = Seq(r.try_get::<_, i64>(2)?.max(1));
        let follow = ThreadFollow { following: true, read_seq: Seq(r.try_get(3)?) };
        let page = entries_of(c, conversation, None, Page::After(Seq(root.0 - 1)), floor, None, 1, account).await?;
        let Some(root_entry) = page.into_iter().next().filter(|e| e.seq == root && e.is_message()) else {
            continue;
        };
        let unread = unread(c, account, conversation, root, follow.read_seq).await?;
        threads.push(Thread { root: root_entry, follow, unread });
    }
    Ok(threads)
}

#[async_trait]
impl ThreadStore for PgStore {
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
        read_tx!(self, |c| entries_of(c, conversation, Some(root), page, floor, ceiling, limit, viewer).await?)
    }

    async fn thread_follow(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
    ) -> StoreResult<Option<ThreadFollow>> {
        read!(self, |c| follow(c, account, conversation, root, false).await?)
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
        write_tx!(self, |tx| update_follow(tx, account, conversation, root, following, read_seq, at_ms).await?)
    }

    async fn thread_unread(
        &self,
        account: AccountId,
        conversation: ConversationId,
        root: Seq,
        after: Seq,
    ) -> StoreResult<u32> {
        read!(self, |c| unread(c, account, conversation, root, after).await?)
    }

    async fn followed_threads(
        &self,
        account: AccountId,
        conversation: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Thread>> {
        read_tx!(self, |c| followed(c, account, conversation, limit).await?)
    }
}
