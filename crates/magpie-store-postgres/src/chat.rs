//! Conversations, members, log entries and account events: SQL in, core types out.
//!
//! Writes take their locks in one order: the conversation's row, then member rows, then the
//! event heads of the accounts they log events for (in account order, all at once), so that
//! two writes never wait for each other in a circle.

pub(crate) mod batch;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::Error;
use magpie_core::chat::{
    AccountEvent, Append, Appended, Committed, Conversation, ConversationKind, DirectPeer, Effect, Entry,
    ForwardedFrom, GroupInfo, LeaveReason, LoggedEvent, Member, MemberRole, MemberSettingsPatch, NewConversation,
    NewEntry, Page, Pin, Pins, Precondition, Reaction, SharedKind, Summary, op,
};
use magpie_core::model::{
    AccountId, Activity, ConversationId, DomainId, EntryId, EventSeq, LogCursor, SavedId, Seq, SessionId,
};
use magpie_core::names::{AccountAddr, DomainName, LoginName};
use magpie_core::notify::Level;
use magpie_core::ports::{ConversationLog, CursorStore, LogPage};
use magpie_core::search::ReadableSpan;
use tokio_postgres::Row;

use crate::{
    ACTIVITY_SLOTS, PgError, PgResult, PgStore, StoreResult, Tx, corrupt, cursor, read, read_tx, uncursor, write_tx,
};

/// The kinds that are not messages, as the core names them: the queries that count and show
/// messages leave these out.
const OPS: [&str; 4] = op::ALL;
const CONVERSATION_COLUMNS: &str = "c.id, c.domain_id, c.kind, c.name, c.description, c.avatar, c.announcement, \
     c.owner_id, c.mute_all, c.last_seq, c.activity, c.last_activity_ms, c.member_count, c.created_at_ms, \
     c.dissolved_at_ms, c.pruned_through";
const CONVERSATION_COLUMN_COUNT: usize = 16;
const MEMBER_COLUMNS: &str = "m.conversation_id, m.account_id, a.name, d.name, m.role, m.joined_seq, m.left_seq, \
     m.muted_until_ms, m.read_seq, m.delivered_seq, m.pinned, m.muted, m.draft, m.marked_unread, \
     m.unmute_at_ms, m.notify_level";
const MEMBER_COLUMN_COUNT: usize = 16;
const MEMBER_JOINS: &str = "JOIN accounts a ON a.id = m.account_id JOIN domains d ON d.id = a.domain_id";
const ENTRY_COLUMNS: &str = "e.conversation_id, e.seq, e.id, e.sender_id, a.name, d.name, e.session_id, \
     e.client_msg_id, e.kind, e.body, e.target_seq, e.mentions, e.mention_all, e.reply_to, e.forwarded_from, e.at_ms, \
     e.edited_at_ms, e.recalled_at_ms, e.thread_root, e.thread_broadcast";
const ENTRY_COLUMN_COUNT: usize = 20;
const ENTRY_FROM: &str = "FROM entries e JOIN accounts a ON a.id = e.sender_id JOIN domains d ON d.id = a.domain_id";
/// The writing transaction's id, as stored in `xid` columns.
const XID: &str = "pg_current_xact_id()::text::bigint";
/// The commit line of the statement's snapshot, as a query of one row, (`line`, `foreign`):
/// every transaction of Magpie's in this database with an id below `line` has ended (see the
/// schema). It is the snapshot's oldest running transaction (or its first unassigned id if none
/// runs), leaving out the transactions of someone else: another database's, or another
/// program's in this one (autovacuum's `ANALYZE`, an operator's `psql`: a connection not named
/// [`crate::APPLICATION_NAME`]), which write no rows of Magpie's and must not hold its followers
/// back.
///
/// Whose a transaction is comes from two places: `pg_stat_activity`, read by the same statement
/// just after its snapshot was taken (and only if the snapshot has running transactions at
/// all), whose finds come back as `foreign`; and the parameter `$known` (`bigint[]`), the ids
/// that earlier reads found to be someone else's ([`crate::PgStore::known_foreign`]: an id is
/// never reused, so once someone else's, always). A transaction that cannot be placed (it ended
/// between the snapshot and the read of `pg_stat_activity`, and no earlier read saw it) counts
/// as Magpie's: leaving it out could let the line pass rows that this snapshot cannot see, and
/// counting it only holds the line back until the next read.
pub(crate) fn line_query(known: usize) -> String {
    let app = crate::APPLICATION_NAME;
    format!(
        "WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s), \
           running AS MATERIALIZED (SELECT x::text::bigint AS x FROM snap, pg_snapshot_xip(snap.s) AS x), \
           foreign_now AS MATERIALIZED ( \
             SELECT coalesce(array_agg(backend_xid::text::bigint), '{{}}') AS f FROM pg_stat_activity \
             WHERE EXISTS (SELECT 1 FROM running) AND backend_xid IS NOT NULL \
               AND (datname IS DISTINCT FROM current_database() OR application_name IS DISTINCT FROM '{app}')) \
         SELECT LEAST(pg_snapshot_xmax(snap.s)::text::bigint, \
                  (SELECT min(x) FROM running WHERE NOT x = ANY(foreign_now.f) AND NOT x = ANY(${known}::bigint[]))) \
                  AS line, \
                foreign_now.f AS foreign \
         FROM snap, foreign_now"
    )
}

/// The transactions working now for someone else (another database, or a connection not named
/// [`crate::APPLICATION_NAME`]): read before a snapshot, they are left out of its commit line
/// (see [`line_query`]).
async fn foreign_xids(c: &impl GenericClient) -> PgResult<Vec<i64>> {
    let sql = "SELECT coalesce(array_agg(backend_xid::text::bigint), '{}') FROM pg_stat_activity \
               WHERE backend_xid IS NOT NULL \
                 AND (datname IS DISTINCT FROM current_database() OR application_name IS DISTINCT FROM $1)";
    Ok(c.query_one(&c.prepare_cached(sql).await?, &[&crate::APPLICATION_NAME]).await?.try_get(0)?)
}

pub(crate) fn json_error(e: serde_json::Error) -> PgError {
    PgError::Corrupt(format!("invalid JSON in database: {e}"))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> PgResult<String> {
    serde_json::to_string(value).map_err(|e| PgError::Corrupt(format!("cannot encode JSON: {e}")))
}

pub(crate) fn addr(row: &Row, name_col: usize) -> PgResult<AccountAddr> {
    let name: String = row.try_get(name_col)?;
    let domain: String = row.try_get(name_col + 1)?;
    Ok(AccountAddr {
        name: LoginName::parse(&name).map_err(|_| corrupt("login name"))?,
        domain: DomainName::parse(&domain).map_err(|_| corrupt("domain name"))?,
    })
}

fn conversation_from_row(row: &Row, at: usize) -> PgResult<Conversation> {
    let kind: String = row.try_get(at + 2)?;
    let dissolved: Option<i64> = row.try_get(at + 14)?;
    let member_count: i64 = row.try_get(at + 12)?;
    Ok(Conversation {
        id: ConversationId(row.try_get(at)?),
        domain_id: DomainId(row.try_get(at + 1)?),
        kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt("conversation kind"))?,
        info: GroupInfo {
            name: row.try_get(at + 3)?,
            description: row.try_get(at + 4)?,
            avatar: row.try_get(at + 5)?,
            announcement: row.try_get(at + 6)?,
        },
        owner: row.try_get::<_, Option<i64>>(at + 7)?.map(AccountId),
        mute_all: row.try_get(at + 8)?,
        last_seq: Seq(row.try_get(at + 9)?),
        activity: Activity(row.try_get(at + 10)?),
        last_activity_ms: row.try_get(at + 11)?,
        member_count: u32::try_from(member_count).map_err(|_| corrupt("member count"))?,
        created_at_ms: row.try_get(at + 13)?,
        dissolved: dissolved.is_some(),
        pruned_through: Seq(row.try_get(at + 15)?),
    })
}

fn member_from_row(row: &Row, at: usize) -> PgResult<Member> {
    let role: String = row.try_get(at + 4)?;
    Ok(Member {
        conversation: ConversationId(row.try_get(at)?),
        account: AccountId(row.try_get(at + 1)?),
        addr: addr(row, at + 2)?,
        role: MemberRole::parse(&role).ok_or_else(|| corrupt("member role"))?,
        joined_seq: Seq(row.try_get(at + 5)?),
        left_seq: row.try_get::<_, Option<i64>>(at + 6)?.map(Seq),
        muted_until_ms: row.try_get(at + 7)?,
        read_seq: Seq(row.try_get(at + 8)?),
        delivered_seq: Seq(row.try_get(at + 9)?),
        pinned: row.try_get(at + 10)?,
        muted: row.try_get(at + 11)?,
        draft: row.try_get(at + 12)?,
        marked_unread: row.try_get(at + 13)?,
        unmute_at_ms: row.try_get(at + 14)?,
        notify_level: row
            .try_get::<_, Option<String>>(at + 15)?
            .map(|l| Level::parse(&l).ok_or_else(|| corrupt("notify level")))
            .transpose()?,
    })
}

/// An entry from [`ENTRY_COLUMNS`] starting at column `at`.
fn entry_from_row(row: &Row, at: usize) -> PgResult<Entry> {
    let body: Option<String> = row.try_get(at + 9)?;
    let mentions: Option<String> = row.try_get(at + 11)?;
    let forwarded: Option<String> = row.try_get(at + 14)?;
    let mentions: Vec<String> = match mentions {
        Some(m) => serde_json::from_str(&m).map_err(json_error)?,
        None => vec![],
    };
    Ok(Entry {
        conversation: ConversationId(row.try_get(at)?),
        seq: Seq(row.try_get(at + 1)?),
        id: EntryId(row.try_get(at + 2)?),
        sender: AccountId(row.try_get(at + 3)?),
        sender_addr: addr(row, at + 4)?,
        session: row.try_get::<_, Option<i64>>(at + 6)?.map(SessionId),
        client_msg_id: row.try_get(at + 7)?,
        kind: row.try_get(at + 8)?,
        body: body.map(|b| serde_json::from_str(&b)).transpose().map_err(json_error)?,
        target: row.try_get::<_, Option<i64>>(at + 10)?.map(Seq),
        mentions: mentions
            .iter()
            .map(|m| AccountAddr::parse(m).map_err(|_| corrupt("mention")))
            .collect::<PgResult<_>>()?,
        mention_all: row.try_get(at + 12)?,
        reply_to: row.try_get::<_, Option<i64>>(at + 13)?.map(Seq),
        forwarded_from: forwarded.map(|f| serde_json::from_str::<ForwardedFrom>(&f)).transpose().map_err(json_error)?,
        at_ms: row.try_get(at + 15)?,
        edited_at_ms: row.try_get(at + 16)?,
        recalled_at_ms: row.try_get(at + 17)?,
        thread: row.try_get::<_, Option<i64>>(at + 18)?.map(Seq),
        broadcast: row.try_get(at + 19)?,
        thread_summary: None,
        reactions: vec![],
        hidden: false,
    })
}

pub(crate) async fn conversation(c: &impl GenericClient, id: ConversationId) -> PgResult<Option<Conversation>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = $1");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0]).await?;
    row.map(|r| conversation_from_row(&r, 0)).transpose()
}

/// The accounts that `events` go to.
pub(crate) fn accounts_of(events: &[(AccountId, AccountEvent)]) -> impl Iterator<Item = AccountId> + '_ {
    events.iter().map(|(account, _)| *account)
}

async fn direct_conversation(c: &impl GenericClient, key: &str) -> PgResult<Option<Conversation>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.direct_key = $1");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&key]).await?;
    row.map(|r| conversation_from_row(&r, 0)).transpose()
}

pub(crate) async fn member(c: &impl GenericClient, id: ConversationId, account: AccountId) -> PgResult<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} WHERE m.conversation_id = $1 AND m.account_id = $2"
    );
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0, &account.0]).await?;
    row.map(|r| member_from_row(&r, 0)).transpose()
}

/// The member's row, locked until the commit (marks and settings change it).
async fn lock_member(tx: &Tx<'_>, id: ConversationId, account: AccountId) -> PgResult<Option<Member>> {
    let c = tx.c();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} WHERE m.conversation_id = $1 AND m.account_id = $2 \
         FOR NO KEY UPDATE OF m"
    );
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0, &account.0]).await?;
    row.map(|r| member_from_row(&r, 0)).transpose()
}

pub(crate) async fn entry(c: &impl GenericClient, id: ConversationId, seq: Seq) -> PgResult<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = $1 AND e.seq = $2");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0, &seq.0]).await?;
    row.map(|r| entry_from_row(&r, 0)).transpose()
}

async fn entry_by_client_id(
    c: &impl GenericClient,
    session: SessionId,
    client_msg_id: &str,
) -> PgResult<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.session_id = $1 AND e.client_msg_id = $2");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&session.0, &client_msg_id]).await?;
    row.map(|r| entry_from_row(&r, 0)).transpose()
}

fn add_reaction(reactions: &mut Vec<Reaction>, emoji: String, who: AccountAddr) {
    match reactions.iter_mut().find(|r| r.emoji == emoji) {
        Some(r) => r.accounts.push(who),
        None => reactions.push(Reaction { emoji, accounts: vec![who] }),
    }
}

/// Loads one entry's reactions.
async fn reactions_of(c: &impl GenericClient, entry: &mut Entry) -> PgResult<()> {
    let sql = "SELECT r.emoji, a.name, d.name FROM reactions r JOIN accounts a ON a.id = r.account_id \
               JOIN domains d ON d.id = a.domain_id WHERE r.conversation_id = $1 AND r.seq = $2 \
               ORDER BY r.emoji COLLATE \"C\", r.at_ms";
    for r in c.query(&c.prepare_cached(sql).await?, &[&entry.conversation.0, &entry.seq.0]).await? {
        add_reaction(&mut entry.reactions, r.try_get(0)?, addr(&r, 1)?);
    }
    Ok(())
}

/// A page of the log, oldest first, with reactions and the viewer's hidden marks.
async fn entries(
    c: &impl GenericClient,
    id: ConversationId,
    page: Page,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> PgResult<Vec<Entry>> {
    entries_of(c, id, None, page, floor, ceiling, limit, viewer).await
}

/// A page of the log, or with `thread` of that thread's replies only, oldest first, with
/// reactions, the viewer's hidden marks and the roots' thread summaries.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn entries_of(
    c: &impl GenericClient,
    id: ConversationId,
    thread: Option<Seq>,
    page: Page,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> PgResult<Vec<Entry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ceiling = ceiling.map_or(i64::MAX, |c| c.0);
    // Two statements, not one with an optional filter, so that each is planned on its index.
    let only = if thread.is_some() { "AND e.thread_root = $5" } else { "AND $5::bigint IS NULL" };
    let root = thread.map(|t| t.0);
    let mut list: Vec<Entry> = match page {
        Page::After(after) => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = $1 AND e.seq > $2 AND e.seq < $4 \
                 {only} ORDER BY e.seq LIMIT $3"
            );
            let after = after.0.max(floor.0 - 1);
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&id.0, &after, &limit, &ceiling, &root]).await?;
            rows.iter().map(|r| entry_from_row(r, 0)).collect::<PgResult<_>>()?
        }
        Page::Before(before) => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = $1 AND e.seq < $2 AND e.seq >= $3 \
                 {only} ORDER BY e.seq DESC LIMIT $4"
            );
            let rows = c
                .query(&c.prepare_cached(&sql).await?, &[&id.0, &before.0.min(ceiling), &floor.0, &limit, &root])
                .await?;
            let mut list = rows.iter().map(|r| entry_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?;
            list.reverse();
            list
        }
    };
    let (Some(first), Some(last)) = (list.first().map(|e| e.seq), list.last().map(|e| e.seq)) else {
        return Ok(list);
    };
    let sql = "SELECT r.seq, r.emoji, a.name, d.name FROM reactions r JOIN accounts a ON a.id = r.account_id \
               JOIN domains d ON d.id = a.domain_id WHERE r.conversation_id = $1 AND r.seq BETWEEN $2 AND $3 \
               ORDER BY r.seq, r.emoji COLLATE \"C\", r.at_ms";
    for r in c.query(&c.prepare_cached(sql).await?, &[&id.0, &first.0, &last.0]).await? {
        let seq = Seq(r.try_get(0)?);
        if let Some(entry) = list.iter_mut().find(|e| e.seq == seq) {
            add_reaction(&mut entry.reactions, r.try_get(1)?, addr(&r, 2)?);
        }
    }
    let sql = "SELECT seq FROM hidden_entries WHERE account_id = $1 AND conversation_id = $2 AND seq BETWEEN $3 AND $4";
    for r in c.query(&c.prepare_cached(sql).await?, &[&viewer.0, &id.0, &first.0, &last.0]).await? {
        let seq = Seq(r.try_get(0)?);
        if let Some(entry) = list.iter_mut().find(|e| e.seq == seq) {
            entry.hidden = true;
            entry.body = None;
        }
    }
    crate::threads::summarise(c, id, &mut list, first, last).await?;
    Ok(list)
}

/// The conversation's pins at seqs in `[floor, ceiling)`, the latest pin first, with the
/// viewer's hidden marks.
async fn pins(
    c: &impl GenericClient,
    id: ConversationId,
    floor: Seq,
    ceiling: Option<Seq>,
    viewer: AccountId,
) -> PgResult<Vec<Pin>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, pa.name, pd.name, p.pinned_at_ms, p.notice_seq {ENTRY_FROM} \
         JOIN pins p ON p.conversation_id = e.conversation_id AND p.seq = e.seq \
         JOIN accounts pa ON pa.id = p.pinned_by JOIN domains pd ON pd.id = pa.domain_id \
         WHERE e.conversation_id = $1 AND e.seq >= $2 AND e.seq < $3 ORDER BY p.notice_seq DESC"
    );
    let ceiling = ceiling.map_or(i64::MAX, |c| c.0);
    let rows = c.query(&c.prepare_cached(&sql).await?, &[&id.0, &floor.0, &ceiling]).await?;
    let mut pins = rows
        .iter()
        .map(|r| {
            Ok(Pin {
                entry: entry_from_row(r, 0)?,
                by: addr(r, ENTRY_COLUMN_COUNT)?,
                at_ms: r.try_get(ENTRY_COLUMN_COUNT + 2)?,
                notice_seq: Seq(r.try_get(ENTRY_COLUMN_COUNT + 3)?),
            })
        })
        .collect::<PgResult<Vec<Pin>>>()?;
    let seqs: Vec<i64> = pins.iter().map(|p| p.entry.seq.0).collect();
    let sql = "SELECT seq FROM hidden_entries WHERE account_id = $1 AND conversation_id = $2 AND seq = ANY($3)";
    for r in c.query(&c.prepare_cached(sql).await?, &[&viewer.0, &id.0, &seqs]).await? {
        let seq = Seq(r.try_get(0)?);
        if let Some(pin) = pins.iter_mut().find(|p| p.entry.seq == seq) {
            pin.entry.hidden = true;
            pin.entry.body = None;
        }
    }
    Ok(pins)
}

/// The pins of a conversation as the check of a pin or unpin of `target` sees them.
async fn pin_state(c: &impl GenericClient, id: ConversationId, target: Option<Seq>) -> PgResult<Pins> {
    let sql = "SELECT count(*), coalesce(bool_or(seq = $2), FALSE) FROM pins WHERE conversation_id = $1";
    let row = c.query_one(&c.prepare_cached(sql).await?, &[&id.0, &target.map_or(0, |t| t.0)]).await?;
    let count: i64 = row.try_get(0)?;
    Ok(Pins { count: usize::try_from(count).unwrap_or(0), target_pinned: row.try_get(1)? })
}

/// The accounts holding a copy of the message at `seq` that a recall would erase, by account.
async fn savers(c: &impl GenericClient, id: ConversationId, seq: Option<Seq>) -> PgResult<Vec<AccountId>> {
    let sql = "SELECT DISTINCT account_id FROM saved \
               WHERE conversation_id = $1 AND seq = $2 AND recalled_at_ms IS NULL ORDER BY account_id";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&id.0, &seq.map_or(0, |s| s.0)]).await?;
    Ok(rows.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<_, _>>()?)
}

/// What a conversation shares of one kind, as `viewer` may see it, newest first.
#[allow(clippy::too_many_arguments)]
async fn shared(
    c: &impl GenericClient,
    id: ConversationId,
    kind: SharedKind,
    before: Option<Seq>,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> PgResult<Vec<Entry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let below = before.map_or(i64::MAX, |b| b.0).min(ceiling.map_or(i64::MAX, |c| c.0));
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM shared_entries s \
         JOIN entries e ON e.conversation_id = s.conversation_id AND e.seq = s.seq \
         JOIN accounts a ON a.id = e.sender_id JOIN domains d ON d.id = a.domain_id \
         WHERE s.conversation_id = $1 AND s.kind = $2 AND s.seq < $3 AND s.seq >= $4 \
           AND e.recalled_at_ms IS NULL AND e.body IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                           WHERE h.account_id = $5 AND h.conversation_id = s.conversation_id AND h.seq = s.seq) \
         ORDER BY s.seq DESC LIMIT $6"
    );
    let rows =
        c.query(&c.prepare_cached(&sql).await?, &[&id.0, &kind.as_str(), &below, &floor.0, &viewer.0, &limit]).await?;
    let mut list = rows.iter().map(|r| entry_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?;
    for entry in &mut list {
        reactions_of(c, entry).await?;
    }
    Ok(list)
}

/// Appends to the event logs of the accounts named and publishes the events, in the order
/// given. The accounts' heads are locked first, in account order.
pub(crate) async fn log_events(tx: &mut Tx<'_>, events: &[(AccountId, AccountEvent)], at_ms: i64) -> PgResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    for (account, _) in events {
        debug_assert!(tx.holds_account(*account), "an event logged without its account's lock");
        *counts.entry(account.0).or_default() += 1;
    }
    let head = tx
        .c()
        .prepare_cached(
            "INSERT INTO event_heads (account_id, last_seq) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO UPDATE SET last_seq = event_heads.last_seq + excluded.last_seq \
             RETURNING last_seq",
        )
        .await?;
    let mut next: HashMap<i64, i64> = HashMap::with_capacity(counts.len());
    for (account, count) in counts {
        let last: i64 = tx.c().query_one(&head, &[&account, &count]).await?.try_get(0)?;
        next.insert(account, last - count + 1);
    }
    let insert = tx
        .c()
        .prepare_cached(&format!(
            "INSERT INTO account_events (account_id, seq, at_ms, event, xid) VALUES ($1, $2, $3, $4, {XID}) \
             RETURNING xid, position"
        ))
        .await?;
    for (account, event) in events {
        let slot = next.get_mut(&account.0).ok_or_else(|| corrupt("event head"))?;
        let seq = *slot;
        *slot += 1;
        let row = tx.c().query_one(&insert, &[&account.0, &seq, &at_ms, &to_json(event)?]).await?;
        tx.wrote(row.try_get(0)?, row.try_get(1)?);
        let logged = LoggedEvent { account: *account, seq: EventSeq(seq), at_ms, event: event.clone() };
        tx.publish(Committed::Event(Arc::new(logged)));
    }
    Ok(())
}

async fn account_events(
    c: &impl GenericClient,
    account: AccountId,
    after: EventSeq,
    limit: usize,
) -> PgResult<Vec<LoggedEvent>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = "SELECT seq, at_ms, event FROM account_events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &after.0, &limit]).await?;
    rows.iter()
        .map(|r| {
            let event: String = r.try_get(2)?;
            Ok(LoggedEvent {
                account,
                seq: EventSeq(r.try_get(0)?),
                at_ms: r.try_get(1)?,
                event: serde_json::from_str(&event).map_err(json_error)?,
            })
        })
        .collect()
}

/// Inserts an entry at the conversation's next seq and moves the conversation's counters and
/// activity, in one statement; for a message (`message`), the sender's read and delivery marks
/// move to it too.
async fn insert_entry(
    tx: &mut Tx<'_>,
    conversation: &Conversation,
    entry: &NewEntry,
    message: bool,
) -> PgResult<(Seq, EntryId)> {
    debug_assert!(
        tx.holds_conversation(conversation.id) || conversation.last_seq.0 == 0,
        "an entry appended without its conversation's lock"
    );
    let seq = conversation.last_seq.0 + 1;
    let mentions = if entry.mentions.is_empty() {
        None
    } else {
        Some(to_json(&entry.mentions.iter().map(ToString::to_string).collect::<Vec<_>>())?)
    };
    let forwarded = entry.forwarded_from.as_ref().map(to_json).transpose()?;
    // The seq rises by one from the last one as this transaction sees it under the stream's
    // lock; a conversation read before another write of this transaction changed it finds no
    // row, nothing is inserted, and the write fails whole rather than write a seq twice or leave
    // a hole.
    let insert = tx
        .c()
        .prepare_cached(&format!(
            "WITH c AS (UPDATE conversations SET last_seq = $2, activity = GREATEST(activity, ({XID} + $14) * {ACTIVITY_SLOTS}), \
                 last_activity_ms = $13, message_count = message_count + CASE WHEN $15 THEN 1 ELSE 0 END, \
                 last_message_seq = CASE WHEN $15 THEN $2 ELSE last_message_seq END \
                 WHERE id = $1 AND last_seq = $2::bigint - 1 RETURNING message_count), \
             e AS (INSERT INTO entries (conversation_id, seq, sender_id, session_id, client_msg_id, kind, body, \
                 target_seq, mentions, mention_all, reply_to, forwarded_from, message_number, at_ms, xid, \
                 thread_root, thread_broadcast) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, c.message_count, $13, {XID}, $16, $17 \
                 FROM c \
                 RETURNING id, xid, position), \
             m AS (UPDATE members SET read_seq = $2, delivered_seq = GREATEST(delivered_seq, $2) \
                 WHERE $15 AND conversation_id = $1 AND account_id = $3 AND EXISTS (SELECT 1 FROM e)) \
             SELECT id, xid, position FROM e"
        ))
        .await?;
    let row = tx
        .c()
        .query_opt(
            &insert,
            &[
                &conversation.id.0,
                &seq,
                &entry.sender.0,
                &entry.session.map(|s| s.0),
                &entry.client_msg_id,
                &entry.kind,
                &to_json(&entry.body)?,
                &entry.target.map(|t| t.0),
                &mentions,
                &entry.mention_all,
                &entry.reply_to.map(|r| r.0),
                &forwarded,
                &entry.at_ms,
                &tx.activity_base,
                &message,
                &entry.thread.map(|t| t.root.0),
                &entry.thread.is_some_and(|t| t.broadcast),
            ],
        )
        .await?
        .ok_or_else(|| PgError::Corrupt("a conversation's last seq moved under its lock".into()))?;
    tx.wrote(row.try_get(1)?, row.try_get(2)?);
    Ok((Seq(seq), EntryId(row.try_get(0)?)))
}

/// The statements an append reads with before it writes, prepared (or found in the
/// connection's cache) before any of them is sent.
struct Reads {
    lock: tokio_postgres::Statement,
    conversation: tokio_postgres::Statement,
    by_client_id: tokio_postgres::Statement,
    member: tokio_postgres::Statement,
    direct_peer: tokio_postgres::Statement,
}

impl Reads {
    async fn prepare(c: &impl GenericClient) -> PgResult<Reads> {
        Ok(Reads {
            lock: c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?,
            conversation: c
                .prepare_cached(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = $1"))
                .await?,
            by_client_id: c
                .prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.session_id = $1 AND e.client_msg_id = $2"
                ))
                .await?,
            member: c
                .prepare_cached(&format!(
                    "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} \
                     WHERE m.conversation_id = $1 AND m.account_id = $2"
                ))
                .await?,
            // The other member of a direct chat and how it stands towards the author (`$2`).
            direct_peer: c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM contacts WHERE account_id = $2 AND contact_id = p.account_id), \
                            EXISTS (SELECT 1 FROM blocks WHERE account_id = p.account_id AND blocked_id = $2), \
                            d.direct_requires_friendship \
                     FROM members p JOIN conversations c ON c.id = p.conversation_id \
                     JOIN domains d ON d.id = c.domain_id \
                     WHERE p.conversation_id = $1 AND p.account_id != $2 LIMIT 1",
                )
                .await?,
        })
    }
}

/// A direct chat's peer as [`Reads::direct_peer`] reads it.
fn direct_peer_from_row(row: &Row) -> PgResult<DirectPeer> {
    let contacts: bool = row.try_get(0)?;
    let blocks_author: bool = row.try_get(1)?;
    let required: bool = row.try_get(2)?;
    Ok(DirectPeer { blocks_author, contacts, friendship_required: !contacts && required })
}

/// The entry just inserted, as [`entry`] would read it back (a new entry has no reactions,
/// edit or recall yet), built from what was inserted instead of read again.
fn inserted_entry(new: &NewEntry, seq: Seq, id: EntryId, sender_addr: AccountAddr) -> Entry {
    Entry {
        conversation: new.conversation,
        seq,
        id,
        sender: new.sender,
        sender_addr,
        session: new.session,
        client_msg_id: new.client_msg_id.clone(),
        kind: new.kind.clone(),
        body: Some(new.body.clone()),
        target: new.target,
        mentions: new.mentions.clone(),
        mention_all: new.mention_all,
        reply_to: new.reply_to,
        thread: new.thread.map(|t| t.root),
        broadcast: new.thread.is_some_and(|t| t.broadcast),
        thread_summary: None,
        forwarded_from: new.forwarded_from.clone(),
        at_ms: new.at_ms,
        edited_at_ms: None,
        recalled_at_ms: None,
        reactions: vec![],
        hidden: false,
    }
}

async fn insert_member(
    tx: &Tx<'_>,
    id: ConversationId,
    account: AccountId,
    role: MemberRole,
    seq: Seq,
    at_ms: i64,
) -> PgResult<bool> {
    let c = tx.c();
    // A former member comes back with a fresh membership; an active one is left alone.
    let sql = "INSERT INTO members (conversation_id, account_id, role, joined_seq, read_seq, delivered_seq, \
               joined_at_ms) VALUES ($1, $2, $3, $4, $4, $4, $5) \
               ON CONFLICT (conversation_id, account_id) DO UPDATE SET role = excluded.role, \
               joined_seq = excluded.joined_seq, left_seq = NULL, read_seq = excluded.read_seq, \
               delivered_seq = excluded.delivered_seq, joined_at_ms = excluded.joined_at_ms \
               WHERE members.left_seq IS NOT NULL";
    let changed =
        c.execute(&c.prepare_cached(sql).await?, &[&id.0, &account.0, &role.as_str(), &seq.0, &at_ms]).await?;
    if changed > 0 {
        let sql = "INSERT INTO member_spans (conversation_id, account_id, joined_seq) VALUES ($1, $2, $3)";
        c.execute(&c.prepare_cached(sql).await?, &[&id.0, &account.0, &seq.0]).await?;
    }
    Ok(changed > 0)
}

async fn create_conversation(tx: &mut Tx<'_>, new: &NewConversation) -> PgResult<(Conversation, bool)> {
    if let Some(key) = &new.direct_key
        && let Some(existing) = direct_conversation(tx.c(), key).await?
    {
        return Ok((existing, false));
    }
    tx.lock_accounts(new.members.iter().map(|(a, _)| *a)).await?;
    let id: i64 = tx
        .c()
        .query_one(
            &format!(
                "INSERT INTO conversations (domain_id, kind, direct_key, name, description, avatar, announcement, \
                 owner_id, last_activity_ms, created_at_ms, activity) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, ({XID} + $10) * {ACTIVITY_SLOTS}) RETURNING id"
            ),
            &[
                &new.domain_id.0,
                &new.kind.as_str(),
                &new.direct_key,
                &new.info.name,
                &new.info.description,
                &new.info.avatar,
                &new.info.announcement,
                &new.owner.map(|o| o.0),
                &new.at_ms,
                &tx.activity_base,
            ],
        )
        .await?
        .try_get(0)?;
    let id = ConversationId(id);
    let start = if new.opening.is_some() { Seq(1) } else { Seq(0) };
    let mut count: i64 = 0;
    for (account, role) in &new.members {
        if insert_member(tx, id, *account, *role, start, new.at_ms).await? {
            count += 1;
        }
    }
    tx.c().execute("UPDATE conversations SET member_count = $2 WHERE id = $1", &[&id.0, &count]).await?;
    let events: Vec<_> =
        new.members.iter().map(|(a, _)| (*a, AccountEvent::ConversationJoined { conversation: id })).collect();
    log_events(tx, &events, new.at_ms).await?;
    if let Some(opening) = &new.opening {
        let mut opening = opening.clone();
        opening.conversation = id;
        let created = conversation(tx.c(), id).await?.ok_or_else(|| corrupt("new conversation"))?;
        let (seq, _) = insert_entry(tx, &created, &opening, false).await?;
        let entry = Arc::new(entry(tx.c(), id, seq).await?.ok_or_else(|| corrupt("new entry"))?);
        tx.publish(Committed::Entry { entry, membership_changed: true });
    }
    let created = conversation(tx.c(), id).await?.ok_or_else(|| corrupt("new conversation"))?;
    Ok((created, true))
}

async fn append(tx: &mut Tx<'_>, append: &Append) -> PgResult<Result<Appended, Error>> {
    let Append { entry, effects, events, subjects, peer, check } = append;
    // One round trip: the stream's lock, then what the check needs. The statements are sent
    // together but run one after the other, each on a snapshot taken when it starts, so every
    // read sees what committed before the lock was granted: a replay of the same message waits
    // for the first to commit and then finds it. (Their statements are prepared first, so that
    // nothing can overtake the lock.)
    let reads = Reads::prepare(tx.c()).await?;
    tx.lock_conversation_with(entry.conversation);
    let c = tx.c();
    let replay = async {
        match (entry.session, entry.client_msg_id.as_deref()) {
            (Some(session), Some(id)) => c.query_opt(&reads.by_client_id, &[&session.0, &id]).await,
            _ => Ok(None),
        }
    };
    let direct = async {
        if *peer { c.query_opt(&reads.direct_peer, &[&entry.conversation.0, &entry.sender.0]).await } else { Ok(None) }
    };
    let (id, sender) = (entry.conversation.0, entry.sender.0);
    let by_id: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
    let by_member: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&id, &sender];
    let (_, conv, replay, author, direct) = tokio::try_join!(
        c.query(&reads.lock, &by_id),
        c.query_opt(&reads.conversation, &by_id),
        replay,
        c.query_opt(&reads.member, &by_member),
        direct,
    )?;
    if let Some(existing) = replay {
        return Ok(Ok(Appended::Duplicate(Arc::new(entry_from_row(&existing, 0)?))));
    }
    let Some(conv) = conv.map(|r| conversation_from_row(&r, 0)).transpose()? else {
        return Ok(Err(Error::NotFound("conversation")));
    };
    let author = author.map(|r| member_from_row(&r, 0)).transpose()?;
    let mut new = entry.clone();
    new.fit_to(&conv);
    let target = match new.target {
        Some(t) => match entry_at(tx.c(), conv.id, t).await? {
            Some(mut e) => {
                reactions_of(tx.c(), &mut e).await?;
                Some(e)
            }
            None => None,
        },
        None => None,
    };
    let mut members = Vec::with_capacity(subjects.len());
    for subject in subjects {
        if let Some(m) = member(tx.c(), conv.id, *subject).await? {
            members.push(m);
        }
    }
    let peer = match direct {
        Some(row) if conv.kind == ConversationKind::Direct => Some(direct_peer_from_row(&row)?),
        _ => None,
    };
    let pins = if append.reads_pins() { Some(pin_state(tx.c(), conv.id, new.target).await?) } else { None };
    let root = match new.thread {
        Some(place) => entry_at(tx.c(), conv.id, place.root).await?,
        None => None,
    };
    let pre = Precondition {
        conversation: &conv,
        author: author.as_ref(),
        target: target.as_ref(),
        root: root.as_ref(),
        subjects: &members,
        peer,
        pins,
        now_ms: new.at_ms,
    };
    if let Err(refusal) = check(&pre) {
        return Ok(Err(refusal));
    }
    // Every account this append logs an event for, locked before the first write: those the
    // caller names, every member if it dissolves the conversation, and whoever saved the
    // target if it erases saved copies (a save holds this conversation's lock too, so no copy
    // comes in meanwhile).
    let mut accounts: Vec<AccountId> = accounts_of(events).collect();
    if effects.iter().any(|e| matches!(e, Effect::Dissolve)) {
        accounts.extend(active_members(tx.c(), conv.id).await?);
    }
    if effects.iter().any(|e| matches!(e, Effect::EraseSaved)) {
        accounts.extend(savers(tx.c(), conv.id, new.target).await?);
    }
    for effect in effects.iter() {
        if let Effect::Prune(through) = effect {
            accounts.extend(crate::retention::pruned_accounts(tx.c(), conv.id, conv.pruned_through, *through).await?);
        }
    }
    tx.lock_accounts(accounts).await?;
    let message = effects.iter().any(|e| matches!(e, Effect::Message));
    let membership_changed = effects.iter().any(Effect::changes_membership);
    let (seq, entry_id) = insert_entry(tx, &conv, &new, message).await?;
    // The author's row names the sender; an append by a non-member (the server's notices)
    // reads the entry back instead.
    let published = match &author {
        Some(author) => Arc::new(inserted_entry(&new, seq, entry_id, author.addr.clone())),
        None => Arc::new(entry_at(tx.c(), conv.id, seq).await?.ok_or_else(|| corrupt("new entry"))?),
    };
    tx.publish(Committed::Entry { entry: published.clone(), membership_changed });
    let left = apply_effects(tx, &conv, &new, root.as_ref(), seq, effects).await?;
    let mut all_events = left;
    all_events.extend(events.iter().cloned());
    log_events(tx, &all_events, new.at_ms).await?;
    Ok(Ok(Appended::New(published)))
}

/// The accounts of a conversation's active members.
async fn active_members(c: &impl GenericClient, id: ConversationId) -> PgResult<Vec<AccountId>> {
    let sql = "SELECT account_id FROM members WHERE conversation_id = $1 AND left_seq IS NULL";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&id.0]).await?;
    Ok(rows.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<_, _>>()?)
}

/// [`entry`], under a name that does not clash with the append's `entry` field.
async fn entry_at(c: &impl GenericClient, id: ConversationId, seq: Seq) -> PgResult<Option<Entry>> {
    entry(c, id, seq).await
}

/// Applies an append's effects; returns the events they cause (a dissolve's `conversation_left`
/// for every member), for the caller to log with its own.
async fn apply_effects(
    tx: &mut Tx<'_>,
    conv: &Conversation,
    new: &NewEntry,
    root: Option<&Entry>,
    seq: Seq,
    effects: &[Effect],
) -> PgResult<Vec<(AccountId, AccountEvent)>> {
    let id = conv.id.0;
    let at = new.at_ms;
    let target = new.target.map(|t| t.0);
    let mut caused = vec![];
    let c = tx.c();
    for effect in effects {
        match effect {
            // The sender's marks moved with the insert (`insert_entry`).
            Effect::Message => {
                if new.mention_all {
                    let sql = "INSERT INTO mentions (conversation_id, seq, account_id) VALUES ($1, $2, NULL)";
                    c.execute(&c.prepare_cached(sql).await?, &[&id, &seq.0]).await?;
                }
            }
            Effect::ThreadReply(followers) => {
                let root = root.ok_or_else(|| corrupt("thread root"))?;
                crate::threads::count_reply(c, conv.id, root, new.sender, followers, seq, at).await?;
            }
            Effect::FileRefs(files) => {
                let refs = c
                    .prepare_cached(
                        "INSERT INTO file_refs (file_id, conversation_id, seq) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .await?;
                let shared = c.prepare_cached("UPDATE files SET shared = TRUE WHERE id = $1 AND NOT shared").await?;
                for file in files {
                    c.execute(&refs, &[&file.as_str(), &id, &seq.0]).await?;
                    c.execute(&shared, &[&file.as_str()]).await?;
                }
            }
            Effect::Mention(accounts) => {
                let stmt = c
                    .prepare_cached("INSERT INTO mentions (conversation_id, seq, account_id) VALUES ($1, $2, $3)")
                    .await?;
                for account in accounts {
                    c.execute(&stmt, &[&id, &seq.0, &account.0]).await?;
                }
            }
            Effect::EditTarget(body) => {
                let sql = "UPDATE entries SET body = $3, edited_at_ms = $4 \
                           WHERE conversation_id = $1 AND seq = $2 AND recalled_at_ms IS NULL";
                c.execute(sql, &[&id, &target, &to_json(body)?, &at]).await?;
            }
            Effect::RecallTarget => {
                let sql = "UPDATE entries SET body = NULL, recalled_at_ms = $3 WHERE conversation_id = $1 AND seq = $2";
                c.execute(sql, &[&id, &target, &at]).await?;
            }
            Effect::EraseEdits => {
                c.execute(
                    "UPDATE entries SET edited_at_ms = NULL WHERE conversation_id = $1 AND seq = $2",
                    &[&id, &target],
                )
                .await?;
                c.execute(
                    "UPDATE entries SET body = NULL WHERE conversation_id = $1 AND target_seq = $2 AND kind = $3",
                    &[&id, &target, &op::EDIT],
                )
                .await?;
            }
            Effect::ClearMentions => {
                c.execute(
                    "UPDATE entries SET mentions = NULL, mention_all = FALSE WHERE conversation_id = $1 AND seq = $2",
                    &[&id, &target],
                )
                .await?;
                c.execute("DELETE FROM mentions WHERE conversation_id = $1 AND seq = $2", &[&id, &target]).await?;
            }
            Effect::ClearReactions => {
                c.execute("DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2", &[&id, &target]).await?;
            }
            Effect::ReleaseFiles => {
                c.execute("DELETE FROM file_refs WHERE conversation_id = $1 AND seq = $2", &[&id, &target]).await?;
            }
            Effect::Pin(on) => {
                if *on {
                    c.execute(
                        "INSERT INTO pins (conversation_id, seq, pinned_by, pinned_at_ms, notice_seq) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        &[&id, &target, &new.sender.0, &at, &seq.0],
                    )
                    .await?;
                } else {
                    c.execute("DELETE FROM pins WHERE conversation_id = $1 AND seq = $2", &[&id, &target]).await?;
                }
            }
            Effect::Prune(through) => {
                caused.extend(crate::retention::prune(tx, conv.id, conv.pruned_through, *through, at).await?);
            }
            Effect::EraseSaved => {
                let rows = c
                    .query(
                        "UPDATE saved SET body = NULL, recalled_at_ms = $3 \
                         WHERE conversation_id = $1 AND seq = $2 AND recalled_at_ms IS NULL \
                         RETURNING account_id, id",
                        &[&id, &target, &at],
                    )
                    .await?;
                let mut erased = rows
                    .iter()
                    .map(|r| Ok((AccountId(r.try_get(0)?), SavedId(r.try_get(1)?))))
                    .collect::<PgResult<Vec<_>>>()?;
                erased.sort();
                caused.extend(erased.into_iter().map(|(account, id)| (account, AccountEvent::SavedChanged { id })));
            }
            Effect::Share(kind) => {
                let sql = "INSERT INTO shared_entries (conversation_id, kind, seq) VALUES ($1, $2, $3) \
                           ON CONFLICT DO NOTHING";
                c.execute(&c.prepare_cached(sql).await?, &[&id, &kind.as_str(), &seq.0]).await?;
            }
            Effect::ReshareTarget(kind) => {
                c.execute("DELETE FROM shared_entries WHERE conversation_id = $1 AND seq = $2", &[&id, &target])
                    .await?;
                if let Some(kind) = kind {
                    let sql = "INSERT INTO shared_entries (conversation_id, kind, seq) VALUES ($1, $2, $3) \
                               ON CONFLICT DO NOTHING";
                    c.execute(sql, &[&id, &kind.as_str(), &target]).await?;
                }
            }
            Effect::React { account, emoji, on } => {
                if *on {
                    c.execute(
                        "INSERT INTO reactions (conversation_id, seq, emoji, account_id, at_ms) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        &[&id, &target, emoji, &account.0, &at],
                    )
                    .await?;
                } else {
                    c.execute(
                        "DELETE FROM reactions WHERE conversation_id = $1 AND seq = $2 AND emoji = $3 \
                         AND account_id = $4",
                        &[&id, &target, emoji, &account.0],
                    )
                    .await?;
                }
            }
            Effect::AddMembers(accounts) => {
                let mut added: i64 = 0;
                for (account, role) in accounts {
                    if insert_member(tx, conv.id, *account, *role, seq, at).await? {
                        added += 1;
                    }
                }
                c.execute("UPDATE conversations SET member_count = member_count + $2 WHERE id = $1", &[&id, &added])
                    .await?;
            }
            Effect::RemoveMembers(accounts) => {
                let mut removed: i64 = 0;
                let member = c
                    .prepare_cached(
                        "UPDATE members SET left_seq = $3 \
                         WHERE conversation_id = $1 AND account_id = $2 AND left_seq IS NULL",
                    )
                    .await?;
                let span = c
                    .prepare_cached(
                        "UPDATE member_spans SET left_seq = $3 \
                         WHERE conversation_id = $1 AND account_id = $2 AND left_seq IS NULL",
                    )
                    .await?;
                for account in accounts {
                    removed += i64::try_from(c.execute(&member, &[&id, &account.0, &seq.0]).await?).unwrap_or(0);
                    c.execute(&span, &[&id, &account.0, &seq.0]).await?;
                }
                c.execute("UPDATE conversations SET member_count = member_count - $2 WHERE id = $1", &[&id, &removed])
                    .await?;
            }
            Effect::SetRole(account, role) => {
                c.execute(
                    "UPDATE members SET role = $3 WHERE conversation_id = $1 AND account_id = $2",
                    &[&id, &account.0, &role.as_str()],
                )
                .await?;
            }
            Effect::SetOwner(account) => {
                c.execute("UPDATE conversations SET owner_id = $2 WHERE id = $1", &[&id, &account.0]).await?;
            }
            Effect::MuteMember(account, until) => {
                c.execute(
                    "UPDATE members SET muted_until_ms = $3 WHERE conversation_id = $1 AND account_id = $2",
                    &[&id, &account.0, until],
                )
                .await?;
            }
            Effect::MuteAll(on) => {
                c.execute("UPDATE conversations SET mute_all = $2 WHERE id = $1", &[&id, on]).await?;
            }
            Effect::SetInfo(patch) => {
                if let Some(name) = &patch.name {
                    c.execute("UPDATE conversations SET name = $2 WHERE id = $1", &[&id, name]).await?;
                }
                if let Some(d) = &patch.description {
                    c.execute("UPDATE conversations SET description = $2 WHERE id = $1", &[&id, d]).await?;
                }
                if let Some(a) = &patch.avatar {
                    c.execute("UPDATE conversations SET avatar = $2 WHERE id = $1", &[&id, a]).await?;
                }
                if let Some(a) = &patch.announcement {
                    c.execute("UPDATE conversations SET announcement = $2 WHERE id = $1", &[&id, a]).await?;
                }
            }
            Effect::Dissolve => {
                c.execute("UPDATE conversations SET dissolved_at_ms = $2, member_count = 0 WHERE id = $1", &[&id, &at])
                    .await?;
                let ended = c
                    .query(
                        "UPDATE members SET left_seq = $2 WHERE conversation_id = $1 AND left_seq IS NULL \
                         RETURNING account_id",
                        &[&id, &seq.0],
                    )
                    .await?;
                c.execute(
                    "UPDATE member_spans SET left_seq = $2 WHERE conversation_id = $1 AND left_seq IS NULL",
                    &[&id, &seq.0],
                )
                .await?;
                let mut ended = ended.iter().map(|r| r.try_get(0).map(AccountId)).collect::<Result<Vec<_>, _>>()?;
                ended.sort();
                caused.extend(ended.into_iter().map(|account| {
                    (account, AccountEvent::ConversationLeft { conversation: conv.id, reason: LeaveReason::Dissolved })
                }));
            }
        }
    }
    Ok(caused)
}

async fn mark(
    tx: &mut Tx<'_>,
    id: ConversationId,
    account: AccountId,
    read: Option<Seq>,
    delivered: Option<Seq>,
    events: &[(AccountId, AccountEvent)],
    at_ms: i64,
) -> PgResult<Option<Member>> {
    tx.lock_accounts(accounts_of(events)).await?;
    let Some(before) = lock_member(tx, id, account).await?.filter(Member::is_active) else { return Ok(None) };
    let c = tx.c();
    let last: i64 = c
        .query_one(&c.prepare_cached("SELECT last_seq FROM conversations WHERE id = $1").await?, &[&id.0])
        .await?
        .try_get(0)?;
    let read_seq = read.map_or(before.read_seq.0, |r| r.0.min(last).max(before.read_seq.0));
    let delivered_seq =
        delivered.map_or(before.delivered_seq.0, |d| d.0.min(last)).max(before.delivered_seq.0).max(read_seq);
    if read_seq == before.read_seq.0 && delivered_seq == before.delivered_seq.0 {
        return Ok(Some(before));
    }
    let sql = "UPDATE members SET read_seq = $3, delivered_seq = $4 WHERE conversation_id = $1 AND account_id = $2";
    c.execute(&c.prepare_cached(sql).await?, &[&id.0, &account.0, &read_seq, &delivered_seq]).await?;
    let moved = read.is_some() && read_seq != before.read_seq.0
        || delivered.is_some() && delivered_seq != before.delivered_seq.0;
    if moved {
        log_events(tx, events, at_ms).await?;
    }
    member(tx.c(), id, account).await
}

async fn update_member_settings(
    tx: &mut Tx<'_>,
    id: ConversationId,
    account: AccountId,
    patch: &MemberSettingsPatch,
    events: &[(AccountId, AccountEvent)],
    at_ms: i64,
) -> PgResult<Option<Member>> {
    tx.lock_accounts(accounts_of(events)).await?;
    if lock_member(tx, id, account).await?.filter(Member::is_active).is_none() {
        return Ok(None);
    }
    let c = tx.c();
    let key: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&id.0, &account.0];
    if let Some(pinned) = patch.pinned {
        c.execute(
            "UPDATE members SET pinned = $3 WHERE conversation_id = $1 AND account_id = $2",
            &[key[0], key[1], &pinned],
        )
        .await?;
    }
    if let Some(muted) = patch.muted {
        let unmute_at_ms = patch.unmute_at_ms.filter(|_| muted);
        c.execute(
            "UPDATE members SET muted = $3, unmute_at_ms = $4 WHERE conversation_id = $1 AND account_id = $2",
            &[key[0], key[1], &muted, &unmute_at_ms],
        )
        .await?;
    }
    if let Some(choice) = patch.notify_level {
        c.execute(
            "UPDATE members SET notify_level = $3 WHERE conversation_id = $1 AND account_id = $2",
            &[key[0], key[1], &choice.level().map(Level::as_str)],
        )
        .await?;
    }
    if let Some(marked) = patch.marked_unread {
        c.execute(
            "UPDATE members SET marked_unread = $3 WHERE conversation_id = $1 AND account_id = $2",
            &[key[0], key[1], &marked],
        )
        .await?;
    }
    if let Some(draft) = &patch.draft {
        let draft = Some(draft).filter(|d| !d.is_empty());
        c.execute(
            "UPDATE members SET draft = $3 WHERE conversation_id = $1 AND account_id = $2",
            &[key[0], key[1], &draft],
        )
        .await?;
    }
    log_events(tx, events, at_ms).await?;
    member(tx.c(), id, account).await
}

/// Which summaries to read: one conversation's, or an account's page by activity.
enum Summaries {
    One(ConversationId, AccountId),
    /// Activity above `after`, below the commit line, ascending (the `sync` cursor).
    After(AccountId, Activity),
    /// Activity below `before`, descending (the conversation list).
    Before(AccountId, Activity),
}

/// Summaries in two statements, whatever their number: the conversations with their member
/// row, peer and counts, then the previews. Runs in a read transaction (one moment).
async fn summaries(
    c: &impl GenericClient,
    which: Summaries,
    limit: usize,
    base: i64,
    known_foreign: Vec<i64>,
) -> PgResult<Vec<Summary>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (filter, params): (String, Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>>) = match which {
        Summaries::One(id, account) => {
            ("m.conversation_id = $2 AND m.account_id = $3".into(), vec![Box::new(id.0), Box::new(account.0)])
        }
        Summaries::After(account, after) => (
            format!(
                "m.account_id = $2 AND m.left_seq IS NULL AND c.activity > $3 \
                 AND c.activity < ((SELECT line FROM ({}) AS l) + $4) * {ACTIVITY_SLOTS} \
                 ORDER BY c.activity ASC LIMIT $5",
                line_query(6)
            ),
            vec![Box::new(account.0), Box::new(after.0), Box::new(base), Box::new(limit), Box::new(known_foreign)],
        ),
        Summaries::Before(account, before) => (
            "m.account_id = $2 AND m.left_seq IS NULL AND c.activity < $3 ORDER BY c.activity DESC LIMIT $4".into(),
            vec![Box::new(account.0), Box::new(before.0), Box::new(limit)],
        ),
    };
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, {MEMBER_COLUMNS}, peer.name, peer.domain, \
           (SELECT e.seq FROM entries e WHERE e.conversation_id = c.id AND e.seq <= c.last_message_seq \
              AND e.seq >= GREATEST(m.joined_seq, 1) AND e.kind <> ALL($1) \
              AND (e.thread_root IS NULL OR e.thread_broadcast) \
              AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                              WHERE h.account_id = m.account_id AND h.conversation_id = c.id AND h.seq = e.seq) \
            ORDER BY e.seq DESC LIMIT 1), \
           coalesce((SELECT e.message_number FROM entries e WHERE e.conversation_id = c.id AND e.seq <= m.read_seq \
                     ORDER BY e.seq DESC LIMIT 1), c.pruned_messages), \
           (SELECT count(*) FROM entries e WHERE e.conversation_id = c.id AND e.seq > m.read_seq \
              AND e.recalled_at_ms IS NOT NULL AND (e.thread_root IS NULL OR e.thread_broadcast)), \
           (SELECT count(*) FROM hidden_entries h JOIN entries e ON e.conversation_id = h.conversation_id \
              AND e.seq = h.seq WHERE h.account_id = m.account_id AND h.conversation_id = c.id \
              AND h.seq > m.read_seq AND e.recalled_at_ms IS NULL AND e.kind <> ALL($1) \
              AND (e.thread_root IS NULL OR e.thread_broadcast)), \
           (SELECT count(DISTINCT x.seq) FROM mentions x WHERE x.conversation_id = c.id AND x.seq > m.read_seq \
              AND (x.account_id = m.account_id OR x.account_id IS NULL) \
              AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                              WHERE h.account_id = m.account_id AND h.conversation_id = c.id AND h.seq = x.seq)), \
           c.message_count \
         FROM members m JOIN conversations c ON c.id = m.conversation_id {MEMBER_JOINS} \
         LEFT JOIN LATERAL (SELECT pa.name, pd.name FROM members pm JOIN accounts pa ON pa.id = pm.account_id \
                            JOIN domains pd ON pd.id = pa.domain_id \
                            WHERE pm.conversation_id = c.id AND pm.account_id != m.account_id LIMIT 1) \
              AS peer(name, domain) ON c.kind = 'direct' \
         WHERE {filter}"
    );
    let ops: &[&str] = &OPS;
    let mut args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&ops];
    args.extend(params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)));
    let rows = c.query(&c.prepare_cached(&sql).await?, &args).await?;
    let at = CONVERSATION_COLUMN_COUNT + MEMBER_COLUMN_COUNT;
    let mut list = Vec::with_capacity(rows.len());
    let mut previews: Vec<(i64, i64)> = vec![];
    for r in &rows {
        let conversation = conversation_from_row(r, 0)?;
        let me = member_from_row(r, CONVERSATION_COLUMN_COUNT)?;
        let peer = if conversation.kind == ConversationKind::Direct {
            let peer_name: Option<String> = r.try_get(at)?;
            Some(match peer_name {
                Some(_) => addr(r, at)?,
                None => me.addr.clone(),
            })
        } else {
            None
        };
        let preview: Option<i64> = r.try_get(at + 2)?;
        let read_number: i64 = r.try_get(at + 3)?;
        let recalled: i64 = r.try_get(at + 4)?;
        let hidden: i64 = r.try_get(at + 5)?;
        let mentions: i64 = r.try_get(at + 6)?;
        let count: i64 = r.try_get(at + 7)?;
        if let Some(seq) = preview {
            previews.push((conversation.id.0, seq));
        }
        list.push(Summary {
            conversation,
            me,
            peer,
            last_message: None,
            unread: u32::try_from(count - read_number - recalled - hidden).unwrap_or(0),
            mentions: u32::try_from(mentions).unwrap_or(0),
        });
    }
    if !previews.is_empty() {
        let (ids, seqs): (Vec<i64>, Vec<i64>) = previews.into_iter().unzip();
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} \
             WHERE (e.conversation_id, e.seq) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))"
        );
        for r in c.query(&c.prepare_cached(&sql).await?, &[&ids, &seqs]).await? {
            let entry = entry_from_row(&r, 0)?;
            if let Some(summary) = list.iter_mut().find(|s| s.conversation.id == entry.conversation) {
                summary.last_message = Some(entry);
            }
        }
    }
    Ok(list)
}

/// Typed NULLs in place of [`ENTRY_COLUMNS`], for the account events' rows of [`tail`].
const NO_ENTRY: &str = "NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, \
     NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::boolean, NULL::bigint, \
     NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::boolean";

/// The log's tail after `after`, in one statement (one snapshot, one round trip): the commit
/// line of its snapshot ([`line_query`], with the transactions `known_foreign`), then the entries
/// and account events after `after` below the line in (xid, position) order, at most `limit`;
/// a short page's cursor is the line itself. Also answers the line and the transactions found to
/// be someone else's.
async fn tail(
    c: &impl GenericClient,
    after: LogCursor,
    limit: usize,
    known_foreign: &[i64],
) -> PgResult<(LogPage, i64, Vec<i64>)> {
    let (xid, position) = uncursor(after);
    let len = i64::try_from(limit).unwrap_or(i64::MAX);
    // Each row: the line and what it found, then an entry's place and columns, or an event's
    // (the other NULL); a tail with nothing below the line is one row of the line alone.
    let sql = format!(
        "WITH l AS MATERIALIZED ({line}), \
         e AS (SELECT e.xid, e.position, {ENTRY_COLUMNS}, \
                 NULL::bigint AS account_id, NULL::bigint AS event_seq, NULL::bigint AS event_at_ms, NULL::text AS event \
               {ENTRY_FROM} WHERE (e.xid, e.position) > ($1, $2) AND e.xid < (SELECT line FROM l) \
               ORDER BY e.xid, e.position LIMIT $3), \
         v AS (SELECT v.xid, v.position, {NO_ENTRY}, v.account_id, v.seq, v.at_ms, v.event FROM account_events v \
               WHERE (v.xid, v.position) > ($1, $2) AND v.xid < (SELECT line FROM l) \
               ORDER BY v.xid, v.position LIMIT $3) \
         SELECT l.line, l.foreign, t.* FROM l LEFT JOIN (SELECT * FROM e UNION ALL SELECT * FROM v) AS t ON TRUE",
        line = line_query(4)
    );
    let rows = c.query(&c.prepare_cached(&sql).await?, &[&xid, &position, &len, &known_foreign]).await?;
    let first = rows.first().ok_or_else(|| corrupt("tail"))?;
    let (line, foreign): (i64, Vec<i64>) = (first.try_get(0)?, first.try_get(1)?);
    let mut items: Vec<((i64, i64), Committed)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(at) = r.try_get::<_, Option<i64>>(2)?.zip(r.try_get::<_, Option<i64>>(3)?) else {
            continue;
        };
        // The event's columns follow the entry's.
        let ev = 4 + ENTRY_COLUMN_COUNT;
        let item = match r.try_get::<_, Option<i64>>(ev)? {
            None => {
                let entry = entry_from_row(r, 4)?;
                let membership_changed = entry.changes_membership();
                Committed::Entry { entry: Arc::new(entry), membership_changed }
            }
            Some(account) => {
                let event: String = r.try_get(ev + 3)?;
                Committed::Event(Arc::new(LoggedEvent {
                    account: AccountId(account),
                    seq: EventSeq(r.try_get(ev + 1)?),
                    at_ms: r.try_get(ev + 2)?,
                    event: serde_json::from_str(&event).map_err(json_error)?,
                }))
            }
        };
        items.push((at, item));
    }
    items.sort_by_key(|(at, _)| *at);
    items.truncate(limit);
    let next = if items.len() < limit {
        // Everything below the line was read: the next read starts there.
        cursor(line, 0).max(after)
    } else {
        items.last().map_or(after, |((x, p), _)| cursor(*x, *p))
    };
    let page = LogPage { items: items.into_iter().map(|(_, item)| item).collect(), next };
    Ok((page, line, foreign))
}

#[async_trait]
impl ConversationLog for PgStore {
    async fn tail(&self, after: LogCursor, limit: usize) -> StoreResult<LogPage> {
        let known = self.known_foreign();
        let outcome: PgResult<_> = async { tail(&self.follower_client().await?, after, limit, &known).await }.await;
        let (page, line, foreign) = outcome.map_err(PgError::into_store)?;
        self.learn_foreign(line, foreign);
        Ok(page)
    }

    async fn log_head(&self) -> StoreResult<LogCursor> {
        let known = self.known_foreign();
        let outcome: PgResult<(i64, Vec<i64>)> = async {
            let c = self.follower_client().await?;
            let row = c.query_one(&c.prepare_cached(&line_query(1)).await?, &[&known]).await?;
            Ok((row.try_get(0)?, row.try_get(1)?))
        }
        .await;
        let (line, foreign) = outcome.map_err(PgError::into_store)?;
        self.learn_foreign(line, foreign);
        Ok(cursor(line, 0))
    }

    async fn create_conversation(&self, new: NewConversation) -> StoreResult<(Conversation, bool)> {
        write_tx!(self, |tx| create_conversation(tx, &new).await?)
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        read!(self, |c| conversation(c, id).await?)
    }

    async fn direct_conversation(&self, key: &str) -> StoreResult<Option<Conversation>> {
        read!(self, |c| direct_conversation(c, key).await?)
    }

    async fn member(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Member>> {
        read!(self, |c| member(c, conversation, account).await?)
    }

    async fn members(
        &self,
        conversation: ConversationId,
        after: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} \
             WHERE m.conversation_id = $1 AND m.left_seq IS NULL AND m.account_id > $2 ORDER BY m.account_id LIMIT $3"
        );
        let after = after.map_or(i64::MIN, |a| a.0);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&conversation.0, &after, &limit]).await?;
            rows.iter().map(|r| member_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn recipients(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Vec<Member>> {
        let columns = MEMBER_COLUMNS.replace("m.joined_seq, m.left_seq", "s.joined_seq, s.left_seq");
        let sql = format!(
            "SELECT {columns} FROM member_spans s \
             JOIN members m ON m.conversation_id = s.conversation_id AND m.account_id = s.account_id {MEMBER_JOINS} \
             WHERE s.conversation_id = $1 AND (s.left_seq IS NULL OR s.left_seq > $2)"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&conversation.0, &seq.0]).await?;
            rows.iter().map(|r| member_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn member_spans(&self, account: AccountId, limit: usize) -> StoreResult<Vec<ReadableSpan>> {
        read!(self, |c| {
            let sql = "SELECT conversation_id, joined_seq, left_seq FROM member_spans WHERE account_id = $1 \
                       ORDER BY conversation_id DESC, joined_seq DESC LIMIT $2";
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &limit]).await?;
            rows.iter()
                .map(|r| {
                    Ok(ReadableSpan {
                        conversation: ConversationId(r.try_get(0)?),
                        from: Seq(r.try_get(1)?),
                        until: r.try_get::<_, Option<i64>>(2)?.map(Seq),
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn group_count(&self, account: AccountId) -> StoreResult<usize> {
        read!(self, |c| {
            let sql = "SELECT count(*) FROM members m JOIN conversations c ON c.id = m.conversation_id \
                       WHERE m.account_id = $1 AND m.left_seq IS NULL AND c.kind != 'direct'";
            let n: i64 = c.query_one(&c.prepare_cached(sql).await?, &[&account.0]).await?.try_get(0)?;
            usize::try_from(n).unwrap_or(0)
        })
    }

    async fn append(&self, append: Append) -> StoreResult<Result<Appended, Error>> {
        // Plain messages commit in batches (see `batch`); a batch that failed hands each back to
        // run alone, like every other append.
        let append = if batch::batchable(&append) {
            match self.batcher().append(append).await {
                Ok(outcome) => return outcome,
                Err(append) => *append,
            }
        } else {
            append
        };
        write_tx!(self, |tx| crate::chat::append(tx, &append).await?)
    }

    async fn entries(
        &self,
        conversation: ConversationId,
        page: Page,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>> {
        read_tx!(self, |c| entries(c, conversation, page, floor, ceiling, limit, viewer).await?)
    }

    async fn shared(
        &self,
        conversation: ConversationId,
        kind: SharedKind,
        before: Option<Seq>,
        floor: Seq,
        ceiling: Option<Seq>,
        limit: usize,
        viewer: AccountId,
    ) -> StoreResult<Vec<Entry>> {
        read_tx!(self, |c| shared(c, conversation, kind, before, floor, ceiling, limit, viewer).await?)
    }

    async fn entry(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Entry>> {
        read!(self, |c| entry(c, conversation, seq).await?)
    }

    async fn entry_by_client_id(&self, session: SessionId, client_msg_id: &str) -> StoreResult<Option<Entry>> {
        read!(self, |c| entry_by_client_id(c, session, client_msg_id).await?)
    }

    async fn pins(
        &self,
        conversation: ConversationId,
        floor: Seq,
        ceiling: Option<Seq>,
        viewer: AccountId,
    ) -> StoreResult<Vec<Pin>> {
        read_tx!(self, |c| pins(c, conversation, floor, ceiling, viewer).await?)
    }

    async fn mark(
        &self,
        conversation: ConversationId,
        account: AccountId,
        read: Option<Seq>,
        delivered: Option<Seq>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<Member>> {
        write_tx!(self, |tx| mark(tx, conversation, account, read, delivered, &events, at_ms).await?)
    }

    async fn update_member_settings(
        &self,
        conversation: ConversationId,
        account: AccountId,
        patch: MemberSettingsPatch,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<Member>> {
        write_tx!(self, |tx| update_member_settings(tx, conversation, account, &patch, &events, at_ms).await?)
    }

    async fn hide_entries(
        &self,
        conversation: ConversationId,
        account: AccountId,
        seqs: Vec<Seq>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<()> {
        let seqs: Vec<i64> = seqs.iter().map(|s| s.0).collect();
        write_tx!(self, |tx| {
            tx.lock_accounts(accounts_of(&events)).await?;
            tx.c()
                .execute(
                    "INSERT INTO hidden_entries (account_id, conversation_id, seq) \
                     SELECT $1, $2, unnest($3::bigint[]) ON CONFLICT DO NOTHING",
                    &[&account.0, &conversation.0, &seqs],
                )
                .await?;
            log_events(tx, &events, at_ms).await?;
        })
    }

    async fn hidden_entries(&self, account: AccountId, limit: usize) -> StoreResult<Vec<(ConversationId, Seq)>> {
        read!(self, |c| {
            let sql = "SELECT conversation_id, seq FROM hidden_entries WHERE account_id = $1 \
                       ORDER BY conversation_id DESC, seq DESC LIMIT $2";
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &limit]).await?;
            rows.iter()
                .map(|r| Ok((ConversationId(r.try_get(0)?), Seq(r.try_get(1)?))))
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn domain_groups(
        &self,
        domain: DomainId,
        name: Option<&str>,
        dissolved: bool,
        before: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        let pattern = name.map(crate::audit::contains_pattern);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let before = before.map(|b| b.0);
        read!(self, |c| {
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.domain_id = $1 AND c.kind <> 'direct' \
                 AND ($2 OR c.dissolved_at_ms IS NULL) AND ($3::bigint IS NULL OR c.id < $3) \
                 AND ($4::text IS NULL OR c.name ILIKE $4 ESCAPE '\\') ORDER BY c.id DESC LIMIT $5"
            );
            let rows =
                c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &dissolved, &before, &pattern, &limit]).await?;
            rows.iter().map(|r| conversation_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn named_conversations(
        &self,
        account: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<(ConversationId, ConversationKind, String)>> {
        read!(self, |c| {
            let sql = "SELECT c.id, c.kind, c.name FROM members m JOIN conversations c ON c.id = m.conversation_id \
                       WHERE m.account_id = $1 AND m.left_seq IS NULL AND c.kind <> 'direct' \
                         AND c.dissolved_at_ms IS NULL AND c.name IS NOT NULL \
                       ORDER BY c.activity DESC LIMIT $2";
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0, &limit]).await?;
            rows.iter()
                .map(|r| {
                    let kind: String = r.try_get(1)?;
                    Ok((
                        ConversationId(r.try_get(0)?),
                        ConversationKind::parse(&kind).ok_or_else(|| corrupt("conversation kind"))?,
                        r.try_get::<_, String>(2)?,
                    ))
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn summaries(
        &self,
        account: AccountId,
        after: Activity,
        ascending: bool,
        limit: usize,
    ) -> StoreResult<Vec<Summary>> {
        let which = if ascending { Summaries::After(account, after) } else { Summaries::Before(account, after) };
        let base = self.activity_base();
        let outcome: PgResult<Vec<Summary>> = async {
            let mut client = self.client().await?;
            // `sync` reads its own writes at once: someone else's transactions running before
            // the snapshot are read first (those that end just after it would otherwise hold
            // the line back, see `line_query`); the statement finds those that start in between.
            let mut known = self.known_foreign();
            if ascending {
                known.extend(foreign_xids(&client).await?);
            }
            let tx = crate::read_only(&mut client).await?;
            let value = summaries(&tx, which, limit, base, known).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        outcome.map_err(PgError::into_store)
    }

    async fn summary(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Summary>> {
        let base = self.activity_base();
        read_tx!(self, |c| summaries(c, Summaries::One(conversation, account), 1, base, vec![]).await?.pop())
    }

    async fn account_events(&self, account: AccountId, after: EventSeq, limit: usize) -> StoreResult<Vec<LoggedEvent>> {
        read!(self, |c| account_events(c, account, after, limit).await?)
    }

    async fn account_events_head(&self, account: AccountId) -> StoreResult<EventSeq> {
        read!(self, |c| {
            let sql = "SELECT coalesce(max(seq), 0) FROM account_events WHERE account_id = $1";
            EventSeq(c.query_one(&c.prepare_cached(sql).await?, &[&account.0]).await?.try_get(0)?)
        })
    }
}

#[async_trait]
impl CursorStore for PgStore {
    async fn load_cursor(&self, consumer: &str) -> StoreResult<Option<LogCursor>> {
        read!(self, |c| {
            let row = c.query_opt("SELECT cursor FROM log_cursors WHERE consumer = $1", &[&consumer]).await?;
            match row {
                None => None,
                Some(r) => {
                    let text: String = r.try_get(0)?;
                    Some(text.parse::<LogCursor>().map_err(|_| corrupt("log cursor"))?)
                }
            }
        })
    }

    async fn save_cursor(&self, consumer: &str, cursor: LogCursor) -> StoreResult<()> {
        let text = cursor.to_string();
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "INSERT INTO log_cursors (consumer, cursor, updated_at_ms) \
                     VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) \
                     ON CONFLICT (consumer) DO UPDATE SET cursor = excluded.cursor, \
                     updated_at_ms = excluded.updated_at_ms",
                    &[&consumer, &text],
                )
                .await?;
        })
    }
}
