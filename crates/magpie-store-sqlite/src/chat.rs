//! Conversations, members, log entries and account events: SQL in, core types out.
//!
//! Every function here runs inside one read or one write of [`crate::SqliteStore`]; the
//! writes run on the writer thread inside their own savepoint.

use async_trait::async_trait;
use magpie_core::model::LogCursor;
use magpie_core::ports::{ConversationLog, CursorStore, LogPage};

use crate::{SqliteStore, StoreResult, position};
use std::sync::Arc;

use magpie_core::Error;
use magpie_core::chat::{
    AccountEvent, Append, Appended, Committed, Conversation, ConversationKind, DirectPeer, Effect, Entry,
    ForwardedFrom, GroupInfo, LeaveReason, LoggedEvent, Member, MemberRole, MemberSettingsPatch, NewConversation,
    NewEntry, Page, Pin, Pins, Precondition, Reaction, SharedKind, Summary, op,
};
use magpie_core::model::{AccountId, Activity, ConversationId, DomainId, EntryId, EventSeq, SavedId, Seq, SessionId};
use magpie_core::names::{AccountAddr, DomainName, LoginName};
use magpie_core::notify::Level;
use magpie_core::search::ReadableSpan;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Tx;

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
const MEMBER_JOINS: &str = "JOIN accounts a ON a.id = m.account_id JOIN domains d ON d.id = a.domain_id";
const ENTRY_COLUMNS: &str = "e.conversation_id, e.seq, e.id, e.sender_id, a.name, d.name, e.session_id, \
     e.client_msg_id, e.kind, e.body, e.target_seq, e.mentions, e.mention_all, e.reply_to, e.forwarded_from, e.at_ms, \
     e.edited_at_ms, e.recalled_at_ms, e.thread_root, e.thread_broadcast";
const ENTRY_COLUMN_COUNT: usize = 20;
const ENTRY_FROM: &str = "FROM entries e JOIN accounts a ON a.id = e.sender_id JOIN domains d ON d.id = a.domain_id";

pub(crate) fn corrupt(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, format!("invalid {what} in database").into())
}

pub(crate) fn json_error(col: usize, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

pub(crate) fn addr(row: &Row<'_>, name_col: usize) -> rusqlite::Result<AccountAddr> {
    let name: String = row.get(name_col)?;
    let domain: String = row.get(name_col + 1)?;
    Ok(AccountAddr {
        name: LoginName::parse(&name).map_err(|_| corrupt(name_col, "login name"))?,
        domain: DomainName::parse(&domain).map_err(|_| corrupt(name_col + 1, "domain name"))?,
    })
}

fn conversation_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Conversation> {
    let kind: String = row.get(at + 2)?;
    let dissolved: Option<i64> = row.get(at + 14)?;
    Ok(Conversation {
        id: ConversationId(row.get(at)?),
        domain_id: DomainId(row.get(at + 1)?),
        kind: ConversationKind::parse(&kind).ok_or_else(|| corrupt(at + 2, "conversation kind"))?,
        info: GroupInfo {
            name: row.get(at + 3)?,
            description: row.get(at + 4)?,
            avatar: row.get(at + 5)?,
            announcement: row.get(at + 6)?,
        },
        owner: row.get::<_, Option<i64>>(at + 7)?.map(AccountId),
        mute_all: row.get(at + 8)?,
        last_seq: Seq(row.get(at + 9)?),
        activity: Activity(row.get(at + 10)?),
        last_activity_ms: row.get(at + 11)?,
        member_count: row.get(at + 12)?,
        created_at_ms: row.get(at + 13)?,
        dissolved: dissolved.is_some(),
        pruned_through: Seq(row.get(at + 15)?),
    })
}

fn member_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Member> {
    let role: String = row.get(at + 4)?;
    Ok(Member {
        conversation: ConversationId(row.get(at)?),
        account: AccountId(row.get(at + 1)?),
        addr: addr(row, at + 2)?,
        role: MemberRole::parse(&role).ok_or_else(|| corrupt(at + 4, "member role"))?,
        joined_seq: Seq(row.get(at + 5)?),
        left_seq: row.get::<_, Option<i64>>(at + 6)?.map(Seq),
        muted_until_ms: row.get(at + 7)?,
        read_seq: Seq(row.get(at + 8)?),
        delivered_seq: Seq(row.get(at + 9)?),
        pinned: row.get(at + 10)?,
        muted: row.get(at + 11)?,
        draft: row.get(at + 12)?,
        marked_unread: row.get(at + 13)?,
        unmute_at_ms: row.get(at + 14)?,
        notify_level: row
            .get::<_, Option<String>>(at + 15)?
            .map(|l| Level::parse(&l).ok_or_else(|| corrupt(at + 15, "notify level")))
            .transpose()?,
    })
}

pub(crate) fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<Entry> {
    entry_from_row_at(row, 0)
}

/// An entry from [`ENTRY_COLUMNS`] starting at column `at`.
fn entry_from_row_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Entry> {
    let body: Option<String> = row.get(at + 9)?;
    let mentions: Option<String> = row.get(at + 11)?;
    let forwarded: Option<String> = row.get(at + 14)?;
    let mentions: Vec<String> = match mentions {
        Some(m) => serde_json::from_str(&m).map_err(|e| json_error(at + 11, e))?,
        None => vec![],
    };
    Ok(Entry {
        conversation: ConversationId(row.get(at)?),
        seq: Seq(row.get(at + 1)?),
        id: EntryId(row.get(at + 2)?),
        sender: AccountId(row.get(at + 3)?),
        sender_addr: addr(row, at + 4)?,
        session: row.get::<_, Option<i64>>(at + 6)?.map(SessionId),
        client_msg_id: row.get(at + 7)?,
        kind: row.get(at + 8)?,
        body: body.map(|b| serde_json::from_str(&b)).transpose().map_err(|e| json_error(at + 9, e))?,
        target: row.get::<_, Option<i64>>(at + 10)?.map(Seq),
        mentions: mentions
            .iter()
            .map(|m| AccountAddr::parse(m).map_err(|_| corrupt(at + 11, "mention")))
            .collect::<rusqlite::Result<_>>()?,
        mention_all: row.get(at + 12)?,
        reply_to: row.get::<_, Option<i64>>(at + 13)?.map(Seq),
        forwarded_from: forwarded
            .map(|f| serde_json::from_str::<ForwardedFrom>(&f))
            .transpose()
            .map_err(|e| json_error(at + 14, e))?,
        at_ms: row.get(at + 15)?,
        edited_at_ms: row.get(at + 16)?,
        recalled_at_ms: row.get(at + 17)?,
        thread: row.get::<_, Option<i64>>(at + 18)?.map(Seq),
        broadcast: row.get(at + 19)?,
        thread_summary: None,
        reactions: vec![],
        hidden: false,
    })
}

pub(crate) fn conversation(conn: &Connection, id: ConversationId) -> rusqlite::Result<Option<Conversation>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?1");
    conn.prepare_cached(&sql)?.query_row([id.0], |r| conversation_from_row(r, 0)).optional()
}

pub(crate) fn direct_conversation(conn: &Connection, key: &str) -> rusqlite::Result<Option<Conversation>> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.direct_key = ?1");
    conn.prepare_cached(&sql)?.query_row([key], |r| conversation_from_row(r, 0)).optional()
}

pub(crate) fn member(conn: &Connection, id: ConversationId, account: AccountId) -> rusqlite::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} WHERE m.conversation_id = ?1 AND m.account_id = ?2"
    );
    conn.prepare_cached(&sql)?.query_row([id.0, account.0], |r| member_from_row(r, 0)).optional()
}

pub(crate) fn members(
    conn: &Connection,
    id: ConversationId,
    after: Option<AccountId>,
    limit: usize,
) -> rusqlite::Result<Vec<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} \
         WHERE m.conversation_id = ?1 AND m.left_seq IS NULL AND m.account_id > ?2 ORDER BY m.account_id LIMIT ?3"
    );
    let after = after.map_or(i64::MIN, |a| a.0);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(&sql)?.query_map(params![id.0, after, limit], |r| member_from_row(r, 0))?.collect()
}

/// The memberships that cover `seq` or later, one per span: an account that left and came back
/// is listed once per time it was a member, each with that span's join and end (the rest of the
/// row is its current state).
pub(crate) fn recipients(conn: &Connection, id: ConversationId, seq: Seq) -> rusqlite::Result<Vec<Member>> {
    let columns = MEMBER_COLUMNS.replace("m.joined_seq, m.left_seq", "s.joined_seq, s.left_seq");
    let sql = format!(
        "SELECT {columns} FROM member_spans s \
         JOIN members m ON m.conversation_id = s.conversation_id AND m.account_id = s.account_id {MEMBER_JOINS} \
         WHERE s.conversation_id = ?1 AND (s.left_seq IS NULL OR s.left_seq > ?2)"
    );
    conn.prepare_cached(&sql)?.query_map(params![id.0, seq.0], |r| member_from_row(r, 0))?.collect()
}

pub(crate) fn member_spans(conn: &Connection, account: AccountId, limit: usize) -> rusqlite::Result<Vec<ReadableSpan>> {
    conn.prepare_cached(
        "SELECT conversation_id, joined_seq, left_seq FROM member_spans WHERE account_id = ?1 \
         ORDER BY conversation_id DESC, joined_seq DESC LIMIT ?2",
    )?
    .query_map(params![account.0, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok(ReadableSpan {
            conversation: ConversationId(r.get(0)?),
            from: Seq(r.get(1)?),
            until: r.get::<_, Option<i64>>(2)?.map(Seq),
        })
    })?
    .collect()
}

pub(crate) fn group_count(conn: &Connection, account: AccountId) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "SELECT count(*) FROM members m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.account_id = ?1 AND m.left_seq IS NULL AND c.kind != 'direct'",
    )?
    .query_row([account.0], |r| r.get::<_, i64>(0))
    .map(|n| usize::try_from(n).unwrap_or(0))
}

pub(crate) fn entry(conn: &Connection, id: ConversationId, seq: Seq) -> rusqlite::Result<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = ?1 AND e.seq = ?2");
    conn.prepare_cached(&sql)?.query_row([id.0, seq.0], entry_from_row).optional()
}

pub(crate) fn entry_by_client_id(
    conn: &Connection,
    session: SessionId,
    client_msg_id: &str,
) -> rusqlite::Result<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.session_id = ?1 AND e.client_msg_id = ?2");
    conn.prepare_cached(&sql)?.query_row(params![session.0, client_msg_id], entry_from_row).optional()
}

/// A page of the log, oldest first, with reactions and the viewer's hidden marks.
pub(crate) fn entries(
    conn: &Connection,
    id: ConversationId,
    page: Page,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> rusqlite::Result<Vec<Entry>> {
    entries_of(conn, id, None, page, floor, ceiling, limit, viewer)
}

/// A page of the log, or with `thread` of that thread's replies only, oldest first, with
/// reactions, the viewer's hidden marks and the roots' thread summaries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn entries_of(
    conn: &Connection,
    id: ConversationId,
    thread: Option<Seq>,
    page: Page,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> rusqlite::Result<Vec<Entry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ceiling = ceiling.map_or(i64::MAX, |c| c.0);
    // Two statements, not one with an optional filter, so that each is planned on its index.
    let only = if thread.is_some() { "AND e.thread_root = ?5" } else { "AND ?5 IS NULL" };
    let root = thread.map(|t| t.0);
    let mut list: Vec<Entry> = match page {
        Page::After(after) => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = ?1 AND e.seq > ?2 AND e.seq < ?4 \
                 {only} ORDER BY e.seq LIMIT ?3"
            );
            let after = after.0.max(floor.0 - 1);
            conn.prepare_cached(&sql)?
                .query_map(params![id.0, after, limit, ceiling, root], entry_from_row)?
                .collect::<Result<_, _>>()?
        }
        Page::Before(before) => {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.conversation_id = ?1 AND e.seq < ?2 AND e.seq >= ?3 \
                 {only} ORDER BY e.seq DESC LIMIT ?4"
            );
            let mut list = conn
                .prepare_cached(&sql)?
                .query_map(params![id.0, before.0.min(ceiling), floor.0, limit, root], entry_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            list.reverse();
            list
        }
    };
    let (Some(first), Some(last)) = (list.first().map(|e| e.seq), list.last().map(|e| e.seq)) else {
        return Ok(list);
    };
    let mut reactions = conn.prepare_cached(
        "SELECT r.seq, r.emoji, a.name, d.name FROM reactions r JOIN accounts a ON a.id = r.account_id \
         JOIN domains d ON d.id = a.domain_id WHERE r.conversation_id = ?1 AND r.seq BETWEEN ?2 AND ?3 \
         ORDER BY r.seq, r.emoji, r.at_ms",
    )?;
    let rows = reactions
        .query_map(params![id.0, first.0, last.0], |r| Ok((Seq(r.get(0)?), r.get::<_, String>(1)?, addr(r, 2)?)))?;
    for row in rows {
        let (seq, emoji, who) = row?;
        if let Some(entry) = list.iter_mut().find(|e| e.seq == seq) {
            add_reaction(&mut entry.reactions, emoji, who);
        }
    }
    let mut hidden = conn.prepare_cached(
        "SELECT seq FROM hidden_entries WHERE account_id = ?1 AND conversation_id = ?2 AND seq BETWEEN ?3 AND ?4",
    )?;
    for seq in hidden.query_map(params![viewer.0, id.0, first.0, last.0], |r| r.get::<_, i64>(0))? {
        let seq = Seq(seq?);
        if let Some(entry) = list.iter_mut().find(|e| e.seq == seq) {
            entry.hidden = true;
            entry.body = None;
        }
    }
    crate::threads::summarise(conn, id, &mut list, first, last)?;
    Ok(list)
}

/// The conversation's pins at seqs in `[floor, ceiling)`, the latest pin first, with the
/// viewer's hidden marks.
pub(crate) fn pins(
    conn: &Connection,
    id: ConversationId,
    floor: Seq,
    ceiling: Option<Seq>,
    viewer: AccountId,
) -> rusqlite::Result<Vec<Pin>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, pa.name, pd.name, p.pinned_at_ms, p.notice_seq {ENTRY_FROM} \
         JOIN pins p ON p.conversation_id = e.conversation_id AND p.seq = e.seq \
         JOIN accounts pa ON pa.id = p.pinned_by JOIN domains pd ON pd.id = pa.domain_id \
         WHERE e.conversation_id = ?1 AND e.seq >= ?2 AND e.seq < ?3 ORDER BY p.notice_seq DESC"
    );
    let ceiling = ceiling.map_or(i64::MAX, |c| c.0);
    let mut pins: Vec<Pin> = conn
        .prepare_cached(&sql)?
        .query_map(params![id.0, floor.0, ceiling], |r| {
            Ok(Pin {
                entry: entry_from_row(r)?,
                by: addr(r, ENTRY_COLUMN_COUNT)?,
                at_ms: r.get(ENTRY_COLUMN_COUNT + 2)?,
                notice_seq: Seq(r.get(ENTRY_COLUMN_COUNT + 3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut hidden = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM hidden_entries WHERE account_id = ?1 AND conversation_id = ?2 AND seq = ?3)",
    )?;
    for pin in &mut pins {
        if hidden.query_row(params![viewer.0, id.0, pin.entry.seq.0], |r| r.get::<_, bool>(0))? {
            pin.entry.hidden = true;
            pin.entry.body = None;
        }
    }
    Ok(pins)
}

/// The pins of a conversation as the check of a pin or unpin of `target` sees them.
fn pin_state(conn: &Connection, id: ConversationId, target: Option<Seq>) -> rusqlite::Result<Pins> {
    let (count, target_pinned): (i64, bool) = conn
        .prepare_cached("SELECT count(*), coalesce(sum(seq = ?2), 0) > 0 FROM pins WHERE conversation_id = ?1")?
        .query_row(params![id.0, target.map_or(0, |t| t.0)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Pins { count: usize::try_from(count).unwrap_or(0), target_pinned })
}

/// What a conversation shares of one kind, as `viewer` may see it, newest first.
#[allow(clippy::too_many_arguments)]
pub(crate) fn shared(
    conn: &Connection,
    id: ConversationId,
    kind: SharedKind,
    before: Option<Seq>,
    floor: Seq,
    ceiling: Option<Seq>,
    limit: usize,
    viewer: AccountId,
) -> rusqlite::Result<Vec<Entry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let below = before.map_or(i64::MAX, |b| b.0).min(ceiling.map_or(i64::MAX, |c| c.0));
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM shared_entries s \
         JOIN entries e ON e.conversation_id = s.conversation_id AND e.seq = s.seq \
         JOIN accounts a ON a.id = e.sender_id JOIN domains d ON d.id = a.domain_id \
         WHERE s.conversation_id = ?1 AND s.kind = ?2 AND s.seq < ?3 AND s.seq >= ?4 \
           AND e.recalled_at_ms IS NULL AND e.body IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                           WHERE h.account_id = ?5 AND h.conversation_id = s.conversation_id AND h.seq = s.seq) \
         ORDER BY s.seq DESC LIMIT ?6"
    );
    let mut list = conn
        .prepare_cached(&sql)?
        .query_map(params![id.0, kind.as_str(), below, floor.0, viewer.0, limit], entry_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    for entry in &mut list {
        reactions_of(conn, entry)?;
    }
    Ok(list)
}

/// Loads one entry's reactions.
fn reactions_of(conn: &Connection, entry: &mut Entry) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.emoji, a.name, d.name FROM reactions r JOIN accounts a ON a.id = r.account_id \
         JOIN domains d ON d.id = a.domain_id WHERE r.conversation_id = ?1 AND r.seq = ?2 ORDER BY r.emoji, r.at_ms",
    )?;
    let rows =
        stmt.query_map(params![entry.conversation.0, entry.seq.0], |r| Ok((r.get::<_, String>(0)?, addr(r, 1)?)))?;
    for row in rows {
        let (emoji, who) = row?;
        add_reaction(&mut entry.reactions, emoji, who);
    }
    Ok(())
}

fn add_reaction(reactions: &mut Vec<Reaction>, emoji: String, who: AccountAddr) {
    match reactions.iter_mut().find(|r| r.emoji == emoji) {
        Some(r) => r.accounts.push(who),
        None => reactions.push(Reaction { emoji, accounts: vec![who] }),
    }
}

/// Appends to an account's event log and publishes the event.
fn log_event(tx: &Tx<'_>, account: AccountId, event: AccountEvent, at_ms: i64) -> rusqlite::Result<()> {
    let seq: i64 = tx
        .prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM account_events WHERE account_id = ?1")?
        .query_row([account.0], |r| r.get(0))?;
    let position = tx.tick_activity()?;
    tx.prepare_cached(
        "INSERT INTO account_events (account_id, seq, at_ms, event, position) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![account.0, seq, at_ms, to_json(&event)?, position])?;
    tx.publish(Committed::Event(Arc::new(LoggedEvent { account, seq: EventSeq(seq), at_ms, event })));
    Ok(())
}

pub(crate) fn log_events(tx: &Tx<'_>, events: Vec<(AccountId, AccountEvent)>, at_ms: i64) -> rusqlite::Result<()> {
    for (account, event) in events {
        log_event(tx, account, event, at_ms)?;
    }
    Ok(())
}

pub(crate) fn account_events(
    conn: &Connection,
    account: AccountId,
    after: EventSeq,
    limit: usize,
) -> rusqlite::Result<Vec<LoggedEvent>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at_ms, event FROM account_events WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![account.0, after.0, limit], |r| {
        let event: String = r.get(2)?;
        Ok(LoggedEvent {
            account,
            seq: EventSeq(r.get(0)?),
            at_ms: r.get(1)?,
            event: serde_json::from_str(&event).map_err(|e| json_error(2, e))?,
        })
    })?;
    rows.collect()
}

pub(crate) fn account_events_head(conn: &Connection, account: AccountId) -> rusqlite::Result<EventSeq> {
    conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM account_events WHERE account_id = ?1")?
        .query_row([account.0], |r| r.get(0).map(EventSeq))
}

/// Inserts an entry at the conversation's next seq and moves the conversation's counters.
fn insert_entry(
    tx: &Tx<'_>,
    conversation: &Conversation,
    entry: &NewEntry,
    message: bool,
) -> rusqlite::Result<(Seq, EntryId)> {
    let seq = conversation.last_seq.0 + 1;
    let activity = tx.tick_activity()?;
    // The seq rises by one, from the last one as it is in this transaction: a conversation read
    // before another append of this transaction changed it finds no row, and the append fails
    // whole rather than write a seq twice or leave a hole.
    let number: i64 = tx
        .prepare_cached(
            "UPDATE conversations SET last_seq = ?2, activity = ?3, last_activity_ms = ?4, \
             message_count = message_count + ?5, last_message_seq = CASE WHEN ?5 THEN ?2 ELSE last_message_seq END \
             WHERE id = ?1 AND last_seq = ?2 - 1 RETURNING message_count",
        )?
        .query_row(params![conversation.id.0, seq, activity, entry.at_ms, message], |r| r.get(0))?;
    let mentions = if entry.mentions.is_empty() {
        None
    } else {
        Some(to_json(&entry.mentions.iter().map(ToString::to_string).collect::<Vec<_>>())?)
    };
    let forwarded = entry.forwarded_from.as_ref().map(to_json).transpose()?;
    tx.prepare_cached(
        "INSERT INTO entries (conversation_id, seq, sender_id, session_id, client_msg_id, kind, body, target_seq, \
         mentions, mention_all, reply_to, forwarded_from, message_number, at_ms, position, thread_root, \
         thread_broadcast) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        conversation.id.0,
        seq,
        entry.sender.0,
        entry.session.map(|s| s.0),
        entry.client_msg_id,
        entry.kind,
        to_json(&entry.body)?,
        entry.target.map(|t| t.0),
        mentions,
        entry.mention_all,
        entry.reply_to.map(|r| r.0),
        forwarded,
        number,
        entry.at_ms,
        activity,
        entry.thread.map(|t| t.root.0),
        entry.thread.is_some_and(|t| t.broadcast),
    ])?;
    Ok((Seq(seq), EntryId(tx.last_insert_rowid())))
}

/// The other member of a direct chat and how it stands towards `author`.
fn direct_peer(conn: &Connection, conv: &Conversation, author: AccountId) -> rusqlite::Result<Option<DirectPeer>> {
    let peer = conn
        .prepare_cached("SELECT account_id FROM members WHERE conversation_id = ?1 AND account_id != ?2 LIMIT 1")?
        .query_row(params![conv.id.0, author.0], |r| r.get(0).map(AccountId))
        .optional()?;
    let Some(peer) = peer else { return Ok(None) };
    let state = crate::contacts::contact_state(conn, author, peer)?;
    let friendship_required = !state.contacts
        && conn
            .prepare_cached("SELECT direct_requires_friendship FROM domains WHERE id = ?1")?
            .query_row([conv.domain_id.0], |r| r.get(0))
            .optional()?
            .unwrap_or(false);
    Ok(Some(DirectPeer { blocks_author: state.blocked_by, contacts: state.contacts, friendship_required }))
}

fn publish_entry(tx: &Tx<'_>, id: ConversationId, seq: Seq, membership_changed: bool) -> rusqlite::Result<Arc<Entry>> {
    let entry = Arc::new(entry(tx, id, seq)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?);
    tx.publish(Committed::Entry { entry: entry.clone(), membership_changed });
    Ok(entry)
}

/// The entry just inserted, as [`entry`] would read it back (a new entry has no reactions,
/// edit or recall yet), built from what was inserted instead of read again.
fn inserted_entry(new: NewEntry, seq: Seq, id: EntryId, sender_addr: AccountAddr) -> Entry {
    Entry {
        conversation: new.conversation,
        seq,
        id,
        sender: new.sender,
        sender_addr,
        session: new.session,
        client_msg_id: new.client_msg_id,
        kind: new.kind,
        body: Some(new.body),
        target: new.target,
        mentions: new.mentions,
        mention_all: new.mention_all,
        reply_to: new.reply_to,
        thread: new.thread.map(|t| t.root),
        broadcast: new.thread.is_some_and(|t| t.broadcast),
        thread_summary: None,
        forwarded_from: new.forwarded_from,
        at_ms: new.at_ms,
        edited_at_ms: None,
        recalled_at_ms: None,
        reactions: vec![],
        hidden: false,
    }
}

fn insert_member(
    tx: &Tx<'_>,
    id: ConversationId,
    account: AccountId,
    role: MemberRole,
    seq: Seq,
    at_ms: i64,
) -> rusqlite::Result<bool> {
    // A former member comes back with a fresh membership; an active one is left alone.
    let changed = tx
        .prepare_cached(
            "INSERT INTO members (conversation_id, account_id, role, joined_seq, read_seq, delivered_seq, joined_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?5) \
             ON CONFLICT (conversation_id, account_id) DO UPDATE SET role = excluded.role, \
             joined_seq = excluded.joined_seq, left_seq = NULL, read_seq = excluded.read_seq, \
             delivered_seq = excluded.delivered_seq, joined_at_ms = excluded.joined_at_ms \
             WHERE members.left_seq IS NOT NULL",
        )?
        .execute(params![id.0, account.0, role.as_str(), seq.0, at_ms])?;
    if changed > 0 {
        tx.prepare_cached("INSERT INTO member_spans (conversation_id, account_id, joined_seq) VALUES (?1, ?2, ?3)")?
            .execute(params![id.0, account.0, seq.0])?;
    }
    Ok(changed > 0)
}

pub(crate) fn create_conversation(tx: &Tx<'_>, new: NewConversation) -> rusqlite::Result<(Conversation, bool)> {
    if let Some(key) = &new.direct_key
        && let Some(existing) = direct_conversation(tx, key)?
    {
        return Ok((existing, false));
    }
    let activity = tx.tick_activity()?;
    tx.prepare_cached(
        "INSERT INTO conversations (domain_id, kind, direct_key, name, description, avatar, announcement, owner_id, \
         last_activity_ms, created_at_ms, activity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
    )?
    .execute(params![
        new.domain_id.0,
        new.kind.as_str(),
        new.direct_key,
        new.info.name,
        new.info.description,
        new.info.avatar,
        new.info.announcement,
        new.owner.map(|o| o.0),
        new.at_ms,
        activity,
    ])?;
    let id = ConversationId(tx.last_insert_rowid());
    let start = if new.opening.is_some() { Seq(1) } else { Seq(0) };
    let mut count = 0;
    for (account, role) in &new.members {
        if insert_member(tx, id, *account, *role, start, new.at_ms)? {
            count += 1;
        }
    }
    tx.prepare_cached("UPDATE conversations SET member_count = ?2 WHERE id = ?1")?.execute(params![id.0, count])?;
    let events = new.members.iter().map(|(a, _)| (*a, AccountEvent::ConversationJoined { conversation: id })).collect();
    log_events(tx, events, new.at_ms)?;
    if let Some(mut opening) = new.opening {
        opening.conversation = id;
        let created = conversation(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        let (seq, _) = insert_entry(tx, &created, &opening, false)?;
        publish_entry(tx, id, seq, true)?;
    }
    let created = conversation(tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok((created, true))
}

pub(crate) fn append(tx: &Tx<'_>, append: Append) -> rusqlite::Result<Result<Appended, Error>> {
    let reads_pins = append.reads_pins();
    let Append { entry: mut new, effects, events, subjects, peer, check } = append;
    if let (Some(session), Some(client_msg_id)) = (new.session, new.client_msg_id.as_deref())
        && let Some(existing) = entry_by_client_id(tx, session, client_msg_id)?
    {
        return Ok(Ok(Appended::Duplicate(Arc::new(existing))));
    }
    let Some(conv) = conversation(tx, new.conversation)? else {
        return Ok(Err(Error::NotFound("conversation")));
    };
    new.fit_to(&conv);
    let author = member(tx, conv.id, new.sender)?;
    let target = match new.target {
        Some(t) => entry(tx, conv.id, t)?.map(|mut e| reactions_of(tx, &mut e).map(|()| e)).transpose()?,
        None => None,
    };
    let subjects = subjects.iter().map(|s| member(tx, conv.id, *s)).collect::<rusqlite::Result<Vec<_>>>()?;
    let subjects: Vec<Member> = subjects.into_iter().flatten().collect();
    let peer = if peer && conv.kind == ConversationKind::Direct { direct_peer(tx, &conv, new.sender)? } else { None };
    let pins = if reads_pins { Some(pin_state(tx, conv.id, new.target)?) } else { None };
    let root = match new.thread {
        Some(place) => entry(tx, conv.id, place.root)?,
        None => None,
    };
    let pre = Precondition {
        conversation: &conv,
        author: author.as_ref(),
        target: target.as_ref(),
        root: root.as_ref(),
        subjects: &subjects,
        peer,
        pins,
        now_ms: new.at_ms,
    };
    if let Err(refusal) = check(&pre) {
        return Ok(Err(refusal));
    }
    let message = effects.iter().any(|e| matches!(e, Effect::Message));
    let membership_changed = effects.iter().any(Effect::changes_membership);
    let (seq, entry_id) = insert_entry(tx, &conv, &new, message)?;
    let id = conv.id.0;
    let at = new.at_ms;
    for effect in effects {
        match effect {
            Effect::Message => {
                tx.prepare_cached(
                    "UPDATE members SET read_seq = ?3, delivered_seq = max(delivered_seq, ?3) \
                     WHERE conversation_id = ?1 AND account_id = ?2",
                )?
                .execute(params![id, new.sender.0, seq.0])?;
                if new.mention_all {
                    tx.prepare_cached("INSERT INTO mentions (conversation_id, seq, account_id) VALUES (?1, ?2, NULL)")?
                        .execute(params![id, seq.0])?;
                }
            }
            Effect::ThreadReply(followers) => {
                let root = root.as_ref().ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                crate::threads::count_reply(tx, conv.id, root, new.sender, &followers, seq, at)?;
            }
            Effect::FileRefs(files) => {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO file_refs (file_id, conversation_id, seq) VALUES (?1, ?2, ?3)",
                )?;
                for file in &files {
                    stmt.execute(params![file.as_str(), id, seq.0])?;
                }
                let mut shared = tx.prepare_cached("UPDATE files SET shared = 1 WHERE id = ?1 AND shared = 0")?;
                for file in &files {
                    shared.execute([file.as_str()])?;
                }
            }
            Effect::Mention(accounts) => {
                let mut stmt =
                    tx.prepare_cached("INSERT INTO mentions (conversation_id, seq, account_id) VALUES (?1, ?2, ?3)")?;
                for account in accounts {
                    stmt.execute(params![id, seq.0, account.0])?;
                }
            }
            Effect::EditTarget(body) => {
                tx.prepare_cached(
                    "UPDATE entries SET body = ?3, edited_at_ms = ?4 \
                     WHERE conversation_id = ?1 AND seq = ?2 AND recalled_at_ms IS NULL",
                )?
                .execute(params![id, new.target.map(|t| t.0), to_json(&body)?, at])?;
            }
            Effect::RecallTarget => {
                tx.prepare_cached(
                    "UPDATE entries SET body = NULL, recalled_at_ms = ?3 WHERE conversation_id = ?1 AND seq = ?2",
                )?
                .execute(params![id, new.target.map(|t| t.0), at])?;
            }
            Effect::EraseEdits => {
                let target = new.target.map(|t| t.0);
                tx.prepare_cached("UPDATE entries SET edited_at_ms = NULL WHERE conversation_id = ?1 AND seq = ?2")?
                    .execute(params![id, target])?;
                tx.prepare_cached(
                    "UPDATE entries SET body = NULL WHERE conversation_id = ?1 AND target_seq = ?2 AND kind = ?3",
                )?
                .execute(params![id, target, op::EDIT])?;
            }
            Effect::ClearMentions => {
                let target = new.target.map(|t| t.0);
                tx.prepare_cached(
                    "UPDATE entries SET mentions = NULL, mention_all = 0 WHERE conversation_id = ?1 AND seq = ?2",
                )?
                .execute(params![id, target])?;
                tx.prepare_cached("DELETE FROM mentions WHERE conversation_id = ?1 AND seq = ?2")?
                    .execute(params![id, target])?;
            }
            Effect::ClearReactions => {
                tx.prepare_cached("DELETE FROM reactions WHERE conversation_id = ?1 AND seq = ?2")?
                    .execute(params![id, new.target.map(|t| t.0)])?;
            }
            Effect::ReleaseFiles => {
                tx.prepare_cached("DELETE FROM file_refs WHERE conversation_id = ?1 AND seq = ?2")?
                    .execute(params![id, new.target.map(|t| t.0)])?;
            }
            Effect::Prune(through) => {
                let saved = crate::retention::prune(tx, conv.id, conv.pruned_through, through, at)?;
                log_events(tx, saved, at)?;
            }
            Effect::Pin(on) => {
                let target = new.target.map(|t| t.0);
                if on {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO pins (conversation_id, seq, pinned_by, pinned_at_ms, notice_seq) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![id, target, new.sender.0, at, seq.0])?;
                } else {
                    tx.prepare_cached("DELETE FROM pins WHERE conversation_id = ?1 AND seq = ?2")?
                        .execute(params![id, target])?;
                }
            }
            Effect::EraseSaved => {
                let mut erased: Vec<(AccountId, SavedId)> = tx
                    .prepare_cached(
                        "UPDATE saved SET body = NULL, recalled_at_ms = ?3 \
                         WHERE conversation_id = ?1 AND seq = ?2 AND recalled_at_ms IS NULL \
                         RETURNING account_id, id",
                    )?
                    .query_map(params![id, new.target.map(|t| t.0), at], |r| {
                        Ok((AccountId(r.get(0)?), SavedId(r.get(1)?)))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                erased.sort();
                let told = erased.into_iter().map(|(account, id)| (account, AccountEvent::SavedChanged { id }));
                log_events(tx, told.collect(), at)?;
            }
            Effect::Share(kind) => {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO shared_entries (conversation_id, kind, seq) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, kind.as_str(), seq.0])?;
            }
            Effect::ReshareTarget(kind) => {
                let target = new.target.map(|t| t.0);
                tx.prepare_cached("DELETE FROM shared_entries WHERE conversation_id = ?1 AND seq = ?2")?
                    .execute(params![id, target])?;
                if let Some(kind) = kind {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO shared_entries (conversation_id, kind, seq) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, kind.as_str(), target])?;
                }
            }
            Effect::React { account, emoji, on } => {
                let target = new.target.map(|t| t.0);
                if on {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO reactions (conversation_id, seq, emoji, account_id, at_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![id, target, emoji, account.0, at])?;
                } else {
                    tx.prepare_cached(
                        "DELETE FROM reactions WHERE conversation_id = ?1 AND seq = ?2 AND emoji = ?3 AND account_id = ?4",
                    )?
                    .execute(params![id, target, emoji, account.0])?;
                }
            }
            Effect::AddMembers(accounts) => {
                let mut added = 0;
                for (account, role) in accounts {
                    if insert_member(tx, conv.id, account, role, seq, at)? {
                        added += 1;
                    }
                }
                tx.prepare_cached("UPDATE conversations SET member_count = member_count + ?2 WHERE id = ?1")?
                    .execute(params![id, added])?;
            }
            Effect::RemoveMembers(accounts) => {
                let mut removed = 0;
                let mut stmt = tx.prepare_cached(
                    "UPDATE members SET left_seq = ?3 WHERE conversation_id = ?1 AND account_id = ?2 AND left_seq IS NULL",
                )?;
                let mut span = tx.prepare_cached(
                    "UPDATE member_spans SET left_seq = ?3 \
                     WHERE conversation_id = ?1 AND account_id = ?2 AND left_seq IS NULL",
                )?;
                for account in accounts {
                    removed += stmt.execute(params![id, account.0, seq.0])?;
                    span.execute(params![id, account.0, seq.0])?;
                }
                tx.prepare_cached("UPDATE conversations SET member_count = member_count - ?2 WHERE id = ?1")?
                    .execute(params![id, removed])?;
            }
            Effect::SetRole(account, role) => {
                tx.prepare_cached("UPDATE members SET role = ?3 WHERE conversation_id = ?1 AND account_id = ?2")?
                    .execute(params![id, account.0, role.as_str()])?;
            }
            Effect::SetOwner(account) => {
                tx.prepare_cached("UPDATE conversations SET owner_id = ?2 WHERE id = ?1")?
                    .execute(params![id, account.0])?;
            }
            Effect::MuteMember(account, until) => {
                tx.prepare_cached(
                    "UPDATE members SET muted_until_ms = ?3 WHERE conversation_id = ?1 AND account_id = ?2",
                )?
                .execute(params![id, account.0, until])?;
            }
            Effect::MuteAll(on) => {
                tx.prepare_cached("UPDATE conversations SET mute_all = ?2 WHERE id = ?1")?.execute(params![id, on])?;
            }
            Effect::SetInfo(patch) => {
                if let Some(name) = patch.name {
                    tx.execute("UPDATE conversations SET name = ?2 WHERE id = ?1", params![id, name])?;
                }
                if let Some(d) = patch.description {
                    tx.execute("UPDATE conversations SET description = ?2 WHERE id = ?1", params![id, d])?;
                }
                if let Some(a) = patch.avatar {
                    tx.execute("UPDATE conversations SET avatar = ?2 WHERE id = ?1", params![id, a])?;
                }
                if let Some(a) = patch.announcement {
                    tx.execute("UPDATE conversations SET announcement = ?2 WHERE id = ?1", params![id, a])?;
                }
            }
            Effect::Dissolve => {
                tx.execute(
                    "UPDATE conversations SET dissolved_at_ms = ?2, member_count = 0 WHERE id = ?1",
                    params![id, at],
                )?;
                let ended: Vec<AccountId> = tx
                    .prepare_cached(
                        "UPDATE members SET left_seq = ?2 WHERE conversation_id = ?1 AND left_seq IS NULL \
                         RETURNING account_id",
                    )?
                    .query_map(params![id, seq.0], |r| r.get(0).map(AccountId))?
                    .collect::<rusqlite::Result<_>>()?;
                tx.prepare_cached(
                    "UPDATE member_spans SET left_seq = ?2 WHERE conversation_id = ?1 AND left_seq IS NULL",
                )?
                .execute(params![id, seq.0])?;
                let left = ended.into_iter().map(|account| {
                    (account, AccountEvent::ConversationLeft { conversation: conv.id, reason: LeaveReason::Dissolved })
                });
                log_events(tx, left.collect(), at)?;
            }
        }
    }
    log_events(tx, events, at)?;
    // The author's row names the sender; an append by a non-member (the server's notices)
    // reads the entry back instead.
    let entry = match author {
        Some(author) => Arc::new(inserted_entry(new, seq, entry_id, author.addr)),
        None => return Ok(Ok(Appended::New(publish_entry(tx, conv.id, seq, membership_changed)?))),
    };
    tx.publish(Committed::Entry { entry: entry.clone(), membership_changed });
    Ok(Ok(Appended::New(entry)))
}

pub(crate) fn mark(
    tx: &Tx<'_>,
    id: ConversationId,
    account: AccountId,
    read: Option<Seq>,
    delivered: Option<Seq>,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<Option<Member>> {
    let Some(before) = member(tx, id, account)?.filter(Member::is_active) else { return Ok(None) };
    let last: i64 =
        tx.prepare_cached("SELECT last_seq FROM conversations WHERE id = ?1")?.query_row([id.0], |r| r.get(0))?;
    let read_seq = read.map_or(before.read_seq.0, |r| r.0.min(last).max(before.read_seq.0));
    let delivered_seq =
        delivered.map_or(before.delivered_seq.0, |d| d.0.min(last)).max(before.delivered_seq.0).max(read_seq);
    if read_seq == before.read_seq.0 && delivered_seq == before.delivered_seq.0 {
        return Ok(Some(before));
    }
    tx.prepare_cached(
        "UPDATE members SET read_seq = ?3, delivered_seq = ?4 WHERE conversation_id = ?1 AND account_id = ?2",
    )?
    .execute(params![id.0, account.0, read_seq, delivered_seq])?;
    let moved = read.is_some() && read_seq != before.read_seq.0
        || delivered.is_some() && delivered_seq != before.delivered_seq.0;
    if moved {
        log_events(tx, events, at_ms)?;
    }
    member(tx, id, account)
}

pub(crate) fn update_member_settings(
    tx: &Tx<'_>,
    id: ConversationId,
    account: AccountId,
    patch: MemberSettingsPatch,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<Option<Member>> {
    if member(tx, id, account)?.filter(Member::is_active).is_none() {
        return Ok(None);
    }
    if let Some(pinned) = patch.pinned {
        tx.execute(
            "UPDATE members SET pinned = ?3 WHERE conversation_id = ?1 AND account_id = ?2",
            params![id.0, account.0, pinned],
        )?;
    }
    if let Some(muted) = patch.muted {
        let unmute_at_ms = patch.unmute_at_ms.filter(|_| muted);
        tx.execute(
            "UPDATE members SET muted = ?3, unmute_at_ms = ?4 WHERE conversation_id = ?1 AND account_id = ?2",
            params![id.0, account.0, muted, unmute_at_ms],
        )?;
    }
    if let Some(choice) = patch.notify_level {
        tx.execute(
            "UPDATE members SET notify_level = ?3 WHERE conversation_id = ?1 AND account_id = ?2",
            params![id.0, account.0, choice.level().map(Level::as_str)],
        )?;
    }
    if let Some(marked) = patch.marked_unread {
        tx.execute(
            "UPDATE members SET marked_unread = ?3 WHERE conversation_id = ?1 AND account_id = ?2",
            params![id.0, account.0, marked],
        )?;
    }
    if let Some(draft) = patch.draft {
        let draft = Some(draft).filter(|d| !d.is_empty());
        tx.execute(
            "UPDATE members SET draft = ?3 WHERE conversation_id = ?1 AND account_id = ?2",
            params![id.0, account.0, draft],
        )?;
    }
    log_events(tx, events, at_ms)?;
    member(tx, id, account)
}

pub(crate) fn hide_entries(
    tx: &Tx<'_>,
    id: ConversationId,
    account: AccountId,
    seqs: Vec<Seq>,
    events: Vec<(AccountId, AccountEvent)>,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO hidden_entries (account_id, conversation_id, seq) VALUES (?1, ?2, ?3)",
    )?;
    for seq in seqs {
        stmt.execute(params![account.0, id.0, seq.0])?;
    }
    log_events(tx, events, at_ms)
}

/// The summaries of an account's active conversations, by activity.
pub(crate) fn summaries(
    conn: &Connection,
    account: AccountId,
    after: Activity,
    ascending: bool,
    limit: usize,
) -> rusqlite::Result<Vec<Summary>> {
    let (cmp, order) = if ascending { (">", "ASC") } else { ("<", "DESC") };
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, {MEMBER_COLUMNS} FROM members m JOIN conversations c ON c.id = m.conversation_id \
         {MEMBER_JOINS} WHERE m.account_id = ?1 AND m.left_seq IS NULL AND c.activity {cmp} ?2 \
         ORDER BY c.activity {order} LIMIT ?3"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![account.0, after.0, limit], |r| {
            Ok((conversation_from_row(r, 0)?, member_from_row(r, CONVERSATION_COLUMN_COUNT)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|(c, m)| complete_summary(conn, c, m)).collect()
}

pub(crate) fn summary(conn: &Connection, id: ConversationId, account: AccountId) -> rusqlite::Result<Option<Summary>> {
    let Some(c) = conversation(conn, id)? else { return Ok(None) };
    let Some(m) = member(conn, id, account)? else { return Ok(None) };
    complete_summary(conn, c, m).map(Some)
}

fn complete_summary(conn: &Connection, conversation: Conversation, me: Member) -> rusqlite::Result<Summary> {
    let id = conversation.id.0;
    let peer = if conversation.kind == ConversationKind::Direct {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m {MEMBER_JOINS} \
             WHERE m.conversation_id = ?1 AND m.account_id != ?2 LIMIT 1"
        );
        let other = conn.prepare_cached(&sql)?.query_row([id, me.account.0], |r| member_from_row(r, 0)).optional()?;
        Some(other.map_or_else(|| me.addr.clone(), |o| o.addr))
    } else {
        None
    };
    let (count, last_message_seq): (i64, i64) = conn
        .prepare_cached("SELECT message_count, last_message_seq FROM conversations WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    // The preview is the newest message the member has not deleted for itself.
    let newest_shown: Option<i64> = conn
        .prepare_cached(
            "SELECT e.seq FROM entries e WHERE e.conversation_id = ?1 AND e.seq <= ?2 AND e.seq >= ?3 \
             AND e.kind NOT IN (?5, ?6, ?7, ?8) AND (e.thread_root IS NULL OR e.thread_broadcast) \
             AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                             WHERE h.account_id = ?4 AND h.conversation_id = ?1 AND h.seq = e.seq) \
             ORDER BY e.seq DESC LIMIT 1",
        )?
        .query_row(
            params![id, last_message_seq, me.joined_seq.0.max(1), me.account.0, OPS[0], OPS[1], OPS[2], OPS[3]],
            |r| r.get(0),
        )
        .optional()?;
    let last_message = match newest_shown {
        Some(seq) => entry(conn, conversation.id, Seq(seq))?,
        None => None,
    };
    let read_number: i64 = conn
        .prepare_cached(
            "SELECT coalesce((SELECT message_number FROM entries WHERE conversation_id = ?1 AND seq <= ?2 \
             ORDER BY seq DESC LIMIT 1), (SELECT pruned_messages FROM conversations WHERE id = ?1))",
        )?
        .query_row([id, me.read_seq.0], |r| r.get(0))?;
    // Unread messages that were recalled, or deleted by the member for itself, do not count.
    // Both are read through indexes that hold only such rows, never the whole backlog.
    let recalled: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM entries WHERE conversation_id = ?1 AND seq > ?2 AND recalled_at_ms IS NOT NULL \
             AND (thread_root IS NULL OR thread_broadcast)",
        )?
        .query_row([id, me.read_seq.0], |r| r.get(0))?;
    let hidden: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM hidden_entries h JOIN entries e ON e.conversation_id = h.conversation_id \
             AND e.seq = h.seq WHERE h.account_id = ?3 AND h.conversation_id = ?1 AND h.seq > ?2 \
             AND e.recalled_at_ms IS NULL AND e.kind NOT IN (?4, ?5, ?6, ?7) \
             AND (e.thread_root IS NULL OR e.thread_broadcast)",
        )?
        .query_row(params![id, me.read_seq.0, me.account.0, OPS[0], OPS[1], OPS[2], OPS[3]], |r| r.get(0))?;
    let gone = recalled + hidden;
    let mentions: i64 = conn
        .prepare_cached(
            "SELECT count(DISTINCT m.seq) FROM mentions m WHERE m.conversation_id = ?1 AND m.seq > ?2 \
             AND (m.account_id = ?3 OR m.account_id IS NULL) AND NOT EXISTS (SELECT 1 FROM hidden_entries h \
                 WHERE h.account_id = ?3 AND h.conversation_id = ?1 AND h.seq = m.seq)",
        )?
        .query_row([id, me.read_seq.0, me.account.0], |r| r.get(0))?;
    Ok(Summary {
        conversation,
        me,
        peer,
        last_message,
        unread: u32::try_from(count - read_number - gone).unwrap_or(0),
        mentions: u32::try_from(mentions).unwrap_or(0),
    })
}

/// The log's tail after `after`: entries and account events by position, at most `limit`, read
/// in one read transaction with the clock, so that a short page's cursor is the head it saw.
pub(crate) fn tail(conn: &Connection, after: LogCursor, limit: usize) -> rusqlite::Result<LogPage> {
    let after = i64::try_from(after.0).unwrap_or(i64::MAX);
    let len = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql =
        format!("SELECT e.position, {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.position > ?1 ORDER BY e.position LIMIT ?2");
    let mut items: Vec<(i64, Committed)> = Vec::with_capacity(limit.min(64));
    for row in conn.prepare_cached(&sql)?.query_map(params![after, len], |r| {
        let position: i64 = r.get(0)?;
        let entry = entry_from_row_at(r, 1)?;
        let membership_changed = entry.changes_membership();
        Ok((position, Committed::Entry { entry: Arc::new(entry), membership_changed }))
    })? {
        items.push(row?);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT position, account_id, seq, at_ms, event FROM account_events WHERE position > ?1 \
         ORDER BY position LIMIT ?2",
    )?;
    for row in stmt.query_map(params![after, len], |r| {
        let event: String = r.get(4)?;
        let logged = LoggedEvent {
            account: AccountId(r.get(1)?),
            seq: EventSeq(r.get(2)?),
            at_ms: r.get(3)?,
            event: serde_json::from_str(&event).map_err(|e| json_error(4, e))?,
        };
        Ok((r.get::<_, i64>(0)?, Committed::Event(Arc::new(logged))))
    })? {
        items.push(row?);
    }
    items.sort_by_key(|(position, _)| *position);
    items.truncate(limit);
    let next = if items.len() < limit {
        // Everything committed up to the head was read: the next read starts there.
        let head: i64 =
            conn.prepare_cached("SELECT value FROM activity_clock WHERE id = 1")?.query_row([], |r| r.get(0))?;
        position(head.max(after))
    } else {
        position(items.last().map_or(after, |(p, _)| *p))
    };
    Ok(LogPage { items: items.into_iter().map(|(_, item)| item).collect(), next })
}

pub(crate) fn log_head(conn: &Connection) -> rusqlite::Result<LogCursor> {
    conn.prepare_cached("SELECT value FROM activity_clock WHERE id = 1")?.query_row([], |r| r.get(0).map(position))
}

#[async_trait]
impl ConversationLog for SqliteStore {
    async fn tail(&self, after: LogCursor, limit: usize) -> StoreResult<LogPage> {
        self.read(move |c| tail(c, after, limit)).await
    }

    async fn log_head(&self) -> StoreResult<LogCursor> {
        self.read(log_head).await
    }

    async fn create_conversation(&self, new: NewConversation) -> StoreResult<(Conversation, bool)> {
        self.write(move |tx| create_conversation(tx, new)).await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.read(move |c| conversation(c, id)).await
    }

    async fn direct_conversation(&self, key: &str) -> StoreResult<Option<Conversation>> {
        let key = key.to_owned();
        self.read(move |c| direct_conversation(c, &key)).await
    }

    async fn member(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Member>> {
        self.read(move |c| member(c, conversation, account)).await
    }

    async fn members(
        &self,
        conversation: ConversationId,
        after: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Member>> {
        self.read(move |c| members(c, conversation, after, limit)).await
    }

    async fn recipients(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Vec<Member>> {
        self.read(move |c| recipients(c, conversation, seq)).await
    }

    async fn member_spans(&self, account: AccountId, limit: usize) -> StoreResult<Vec<ReadableSpan>> {
        self.read(move |c| member_spans(c, account, limit)).await
    }

    async fn group_count(&self, account: AccountId) -> StoreResult<usize> {
        self.read(move |c| group_count(c, account)).await
    }

    async fn append(&self, append: Append) -> StoreResult<Result<Appended, magpie_core::Error>> {
        self.write(move |tx| crate::chat::append(tx, append)).await
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
        self.read(move |c| entries(c, conversation, page, floor, ceiling, limit, viewer)).await
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
        self.read(move |c| shared(c, conversation, kind, before, floor, ceiling, limit, viewer)).await
    }

    async fn entry(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Entry>> {
        self.read(move |c| entry(c, conversation, seq)).await
    }

    async fn entry_by_client_id(&self, session: SessionId, client_msg_id: &str) -> StoreResult<Option<Entry>> {
        let client_msg_id = client_msg_id.to_owned();
        self.read(move |c| entry_by_client_id(c, session, &client_msg_id)).await
    }

    async fn pins(
        &self,
        conversation: ConversationId,
        floor: Seq,
        ceiling: Option<Seq>,
        viewer: AccountId,
    ) -> StoreResult<Vec<Pin>> {
        self.read(move |c| pins(c, conversation, floor, ceiling, viewer)).await
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
        self.write(move |tx| mark(tx, conversation, account, read, delivered, events, at_ms)).await
    }

    async fn update_member_settings(
        &self,
        conversation: ConversationId,
        account: AccountId,
        patch: MemberSettingsPatch,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<Option<Member>> {
        self.write(move |tx| update_member_settings(tx, conversation, account, patch, events, at_ms)).await
    }

    async fn hide_entries(
        &self,
        conversation: ConversationId,
        account: AccountId,
        seqs: Vec<Seq>,
        events: Vec<(AccountId, AccountEvent)>,
        at_ms: i64,
    ) -> StoreResult<()> {
        self.write(move |tx| hide_entries(tx, conversation, account, seqs, events, at_ms)).await
    }

    async fn hidden_entries(&self, account: AccountId, limit: usize) -> StoreResult<Vec<(ConversationId, Seq)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT conversation_id, seq FROM hidden_entries WHERE account_id = ?1 \
                 ORDER BY conversation_id DESC, seq DESC LIMIT ?2",
            )?;
            stmt.query_map(params![account.0, limit], |row| Ok((ConversationId(row.get(0)?), Seq(row.get(1)?))))?
                .collect()
        })
        .await
    }

    async fn domain_groups(
        &self,
        domain: DomainId,
        name: Option<&str>,
        dissolved: bool,
        before: Option<ConversationId>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        let pattern = name.map(crate::audit::contains);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.domain_id = ?1 AND c.kind != 'direct' \
                 AND (?2 OR c.dissolved_at_ms IS NULL) AND (?3 IS NULL OR c.id < ?3) \
                 AND (?4 IS NULL OR lower(c.name) LIKE lower(?4) ESCAPE '\\') ORDER BY c.id DESC LIMIT ?5"
            );
            c.prepare_cached(&sql)?
                .query_map(params![domain.0, dissolved, before.map(|b| b.0), pattern, limit], |r| {
                    conversation_from_row(r, 0)
                })?
                .collect()
        })
        .await
    }

    async fn named_conversations(
        &self,
        account: AccountId,
        limit: usize,
    ) -> StoreResult<Vec<(ConversationId, ConversationKind, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT c.id, c.kind, c.name FROM members m JOIN conversations c ON c.id = m.conversation_id \
                 WHERE m.account_id = ?1 AND m.left_seq IS NULL AND c.kind != 'direct' \
                   AND c.dissolved_at_ms IS NULL AND c.name IS NOT NULL \
                 ORDER BY c.activity DESC LIMIT ?2",
            )?;
            stmt.query_map(params![account.0, limit], |row| {
                let kind: String = row.get(1)?;
                Ok((
                    ConversationId(row.get(0)?),
                    ConversationKind::parse(&kind).ok_or_else(|| corrupt(1, "conversation kind"))?,
                    row.get::<_, String>(2)?,
                ))
            })?
            .collect()
        })
        .await
    }

    async fn summaries(
        &self,
        account: AccountId,
        after: Activity,
        ascending: bool,
        limit: usize,
    ) -> StoreResult<Vec<Summary>> {
        self.read(move |c| summaries(c, account, after, ascending, limit)).await
    }

    async fn summary(&self, conversation: ConversationId, account: AccountId) -> StoreResult<Option<Summary>> {
        self.read(move |c| summary(c, conversation, account)).await
    }

    async fn account_events(&self, account: AccountId, after: EventSeq, limit: usize) -> StoreResult<Vec<LoggedEvent>> {
        self.read(move |c| account_events(c, account, after, limit)).await
    }

    async fn account_events_head(&self, account: AccountId) -> StoreResult<EventSeq> {
        self.read(move |c| account_events_head(c, account)).await
    }
}

#[async_trait]
impl CursorStore for SqliteStore {
    async fn load_cursor(&self, consumer: &str) -> StoreResult<Option<LogCursor>> {
        let consumer = consumer.to_owned();
        self.read(move |c| {
            let text: Option<String> = c
                .prepare_cached("SELECT cursor FROM log_cursors WHERE consumer = ?1")?
                .query_row([&consumer], |r| r.get(0))
                .optional()?;
            text.map(|t| t.parse::<LogCursor>().map_err(|_| corrupt(0, "log cursor"))).transpose()
        })
        .await
    }

    async fn save_cursor(&self, consumer: &str, cursor: LogCursor) -> StoreResult<()> {
        let consumer = consumer.to_owned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO log_cursors (consumer, cursor, updated_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (consumer) DO UPDATE SET cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![consumer, cursor.to_string(), now])
            .map(drop)
        })
        .await
    }
}
