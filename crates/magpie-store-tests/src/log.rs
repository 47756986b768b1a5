//! [`ConversationLog`](magpie_core::ports::ConversationLog): conversations, the append that
//! assigns seqs and applies effects at commit, history, marks, settings, summaries, account
//! events, and the tail that followers read.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use magpie_core::Error;
use magpie_core::chat::{
    AccountEvent, Append, Appended, Committed, ConversationKind, DirectPeer, Effect, Entry, ForwardedFrom,
    GroupInfoPatch, LeaveReason, Member, MemberRole, MemberSettingsPatch, Page, SharedKind,
};
use magpie_core::model::{AccountId, Activity, ConversationId, EventSeq, LogCursor, Seq};
use magpie_core::notify::{Level, LevelChoice};
use magpie_core::ports::{Bus, Received, Wake};
use serde_json::json;

use crate::StoreFactory;
use crate::fixtures::{Item, T0, World, direct, file, message, new_entry, notice, op};

/// A group starts with its members, its opening notice at seq 1 (which every first member
/// reads), and `conversation_joined` on each member's event log.
pub async fn group_creation_opens_the_log<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    assert_eq!(group.kind, ConversationKind::Group);
    assert_eq!(group.owner, Some(a.id));
    assert_eq!(group.info.name.as_deref(), Some("the group"));
    assert_eq!(group.last_seq, Seq(1), "the opening notice is seq 1");
    assert_eq!(group.member_count, 3);
    assert_eq!(group.created_at_ms, T0);
    assert!(!group.dissolved && !group.mute_all);
    assert_eq!(group.domain_id, w.domain.id);
    assert_eq!(log.conversation(group.id).await.unwrap(), Some(group.clone()), "it reads back as created");
    assert_eq!(log.conversation(ConversationId(group.id.0 + 1000)).await.unwrap(), None);

    let opening = log.entry(group.id, Seq(1)).await.unwrap().expect("the opening notice");
    assert_eq!((opening.kind.as_str(), opening.sender, opening.session), ("system", a.id, None));
    assert_eq!(opening.body.as_ref().and_then(|b| b.get("event")), Some(&json!("created")));
    assert!(opening.changes_membership());

    let members = log.members(group.id, None, 10).await.unwrap();
    let roles: Vec<(AccountId, MemberRole)> = members.iter().map(|m| (m.account, m.role)).collect();
    assert_eq!(roles, [(a.id, MemberRole::Owner), (b.id, MemberRole::Member), (c.id, MemberRole::Member)]);
    for m in &members {
        assert_eq!((m.joined_seq, m.left_seq), (Seq(1), None), "first members read from the opening notice");
        assert_eq!(m.conversation, group.id);
        assert!(m.read_seq <= Seq(1) && m.delivered_seq >= m.read_seq);
        assert_eq!(log.member(group.id, m.account).await.unwrap().as_ref(), Some(m));
    }
    assert_eq!(members[1].addr, b.addr);
    for account in [&a, &b, &c] {
        assert_eq!(w.events(account).await, [AccountEvent::ConversationJoined { conversation: group.id }]);
        assert_eq!(log.group_count(account.id).await.unwrap(), 1);
    }
    // Direct chats are not groups.
    w.direct(&a, &b).await;
    assert_eq!(log.group_count(a.id).await.unwrap(), 1);
    let d = w.account("dave").await;
    assert_eq!(log.member(group.id, d.id).await.unwrap(), None);
    assert_eq!(log.group_count(d.id).await.unwrap(), 0);
}

/// A pair has one direct chat: creating it again returns it unchanged. Its members read
/// everything (joined at 0), and it has no opening entry. One account alone has notes to self.
pub async fn direct_chat_is_one_per_key<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let (chat, created) = w.direct(&a, &b).await;
    assert!(created);
    assert_eq!((chat.kind, chat.last_seq, chat.member_count, chat.owner), (ConversationKind::Direct, Seq(0), 2, None));
    let (again, created) = w.direct(&b, &a).await;
    assert!(!created, "the pair's chat exists");
    assert_eq!(again, chat);
    let key = direct(&a, &b).direct_key.unwrap();
    assert_eq!(log.direct_conversation(&key).await.unwrap(), Some(chat.clone()));
    assert_eq!(log.direct_conversation("0:0").await.unwrap(), None);
    for m in log.members(chat.id, None, 10).await.unwrap() {
        assert_eq!((m.joined_seq, m.left_seq, m.role), (Seq(0), None, MemberRole::Member));
    }
    for account in [&a, &b] {
        assert_eq!(w.events(account).await, [AccountEvent::ConversationJoined { conversation: chat.id }], "once");
    }
    let (notes, created) = w.direct(&a, &a).await;
    assert!(created);
    assert_ne!(notes.id, chat.id);
    assert_eq!(notes.member_count, 1);
    let session = w.session(&a).await;
    let first = w.send(chat.id, &a, &session).await;
    assert_eq!(first.seq, Seq(1), "a direct chat's first entry is seq 1");
}

/// Each append takes the conversation's next seq (dense, +1); the entry it answers is the
/// entry stored, field for field, found by seq and by `(session, client_msg_id)`.
pub async fn seqs_are_dense_and_entries_round_trip<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let session = w.session(&a).await;
    let mut appended = vec![];
    for i in 0..5 {
        let mut append = message(group.id, &a, &session, &format!("c{i}"), &format!("text {i}"));
        append.entry.at_ms = T0 + i;
        if i == 1 {
            append.entry.mentions = vec![b.addr.clone()];
            append.effects.push(Effect::Mention(vec![b.id]));
        }
        if i == 2 {
            append.entry.reply_to = Some(Seq(2));
            append.entry.kind = "markdown".into();
        }
        if i == 3 {
            append.entry.forwarded_from =
                Some(ForwardedFrom { conversation: group.id, seq: Seq(2), sender: a.addr.to_string(), at_ms: T0 });
        }
        if i == 4 {
            append.entry.kind = "newer_kind_from_a_newer_client".into();
            append.entry.body = json!({"anything": [1, 2, {"x": null}]});
        }
        appended.push(new_entry(log.append(append).await));
    }
    let seqs: Vec<Seq> = appended.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [Seq(2), Seq(3), Seq(4), Seq(5), Seq(6)], "dense, after the opening notice");
    let ids: HashSet<_> = appended.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 5, "entry ids are unique");
    assert_eq!(log.conversation(group.id).await.unwrap().unwrap().last_seq, Seq(6));
    let page = w.entries(group.id, &b).await;
    for e in &appended {
        let stored = log.entry(group.id, e.seq).await.unwrap().expect("the stored entry");
        assert_eq!(&stored, e.as_ref(), "the answer is what is stored");
        assert_eq!(page.iter().find(|p| p.seq == e.seq), Some(&stored));
        let cmid = e.client_msg_id.clone().unwrap();
        assert_eq!(log.entry_by_client_id(session.id, &cmid).await.unwrap().as_ref(), Some(&stored));
        assert_eq!((stored.sender, stored.session), (a.id, Some(session.id)));
        assert_eq!(stored.sender_addr, a.addr);
    }
    assert_eq!(appended[0].body, Some(json!({"text": "text 0"})));
    assert_eq!(appended[1].mentions, std::slice::from_ref(&b.addr));
    assert_eq!(appended[2].reply_to, Some(Seq(2)));
    assert_eq!(appended[3].forwarded_from.as_ref().map(|f| f.seq), Some(Seq(2)));
    assert_eq!(appended[4].kind, "newer_kind_from_a_newer_client", "unknown kinds are stored as they are");
    assert_eq!(appended[4].at_ms, T0 + 4);
    assert_eq!(log.entry(group.id, Seq(7)).await.unwrap(), None);
    assert_eq!(log.entry_by_client_id(session.id, "never-sent").await.unwrap(), None);

    // An entry by an account that is no member (a notice the server makes) names its sender.
    let server = w.account("server").await;
    let mut note = notice(group.id, &server, json!({"event": "info_changed"}), vec![]);
    note.check = Box::new(|_| Ok(()));
    let e = new_entry(log.append(note).await);
    assert_eq!((e.seq, e.sender_addr.clone()), (Seq(7), server.addr.clone()));
    assert_eq!(log.entry(group.id, Seq(7)).await.unwrap().as_ref(), Some(e.as_ref()));

    // An append to a conversation that does not exist is refused as not found, never stored.
    let missing = message(ConversationId(group.id.0 + 1000), &a, &session, "lost", "x");
    assert!(matches!(log.append(missing).await.unwrap(), Err(Error::NotFound(_))));
    assert_eq!(log.entry_by_client_id(session.id, "lost").await.unwrap(), None);
}

/// An append whose `(session, client_msg_id)` was appended before returns that entry, without
/// running its check or changing anything, whatever the new append says (another text,
/// another conversation: the core tells a retry from a misuse by comparing). Other sessions
/// and appends without a client id are never duplicates.
pub async fn replayed_client_id_returns_the_first_entry<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let other = w.group(&b, &[&a]).await;
    let (s1, s2) = (w.session(&b).await, w.session(&b).await);
    let first = new_entry(log.append(message(group.id, &b, &s1, "x", "first")).await);
    let head = log.log_head().await.unwrap();

    let mut retry = message(group.id, &b, &s1, "x", "second");
    retry.check = Box::new(|_| panic!("a replay runs no check"));
    let replay = log.append(retry).await.unwrap().expect("a replay is not refused");
    let Appended::Duplicate(dup) = replay else { panic!("a replay came back as new") };
    assert_eq!(dup.as_ref(), first.as_ref(), "the first entry, as it was stored");

    let elsewhere = log.append(message(other.id, &b, &s1, "x", "third")).await.unwrap().unwrap();
    assert!(matches!(&elsewhere, Appended::Duplicate(e) if e.conversation == group.id && e.seq == first.seq));

    // The sender is removed: a retry still gets its answer.
    w.remove(group.id, &a, &[&b]).await;
    let after_removal = log.append(message(group.id, &b, &s1, "x", "first")).await.unwrap().unwrap();
    assert!(matches!(&after_removal, Appended::Duplicate(e) if e.seq == first.seq));

    let (group_now, other_now) =
        (log.conversation(group.id).await.unwrap().unwrap(), log.conversation(other.id).await.unwrap().unwrap());
    assert_eq!(group_now.last_seq, Seq(3), "the replays appended nothing (the removal did)");
    assert_eq!(other_now.last_seq, Seq(1));
    let (items, _) = w.tail_holding(head, Item::Entry(group.id, Seq(3))).await;
    let entries: Vec<Item> = items.iter().map(Item::of).filter(|i| matches!(i, Item::Entry(..))).collect();
    assert_eq!(entries, [Item::Entry(group.id, Seq(3))], "only the removal reached the tail");

    let from_another_device = new_entry(log.append(message(other.id, &b, &s2, "x", "mine")).await);
    assert_eq!(from_another_device.seq, Seq(2), "another session's client ids are its own");
    let c = w.account("carol").await;
    let notes = w.group(&c, &[]).await;
    let n1 = w.add(notes.id, &c, &[&a]).await;
    let n2 = w.remove(notes.id, &c, &[&a]).await;
    assert_eq!((n1.seq, n2.seq), (Seq(2), Seq(3)), "appends without a client id are all new");
}

/// A check that refuses aborts the append: its refusal is the answer, and nothing of it is
/// stored (entry, client id, effects, events, tail).
pub async fn refused_append_changes_nothing<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, d) = (w.account("alice").await, w.account("bob").await, w.account("dave").await);
    let group = w.group(&a, &[&b]).await;
    let session = w.session(&a).await;
    let before = log.conversation(group.id).await.unwrap().unwrap();
    let members_before = log.members(group.id, None, 10).await.unwrap();
    let (_, head) = w.tail_holding(LogCursor::START, Item::Entry(group.id, Seq(1))).await;

    let mut refused = message(group.id, &a, &session, "r1", "refused");
    refused.effects = vec![
        Effect::Message,
        Effect::AddMembers(vec![(d.id, MemberRole::Member)]),
        Effect::RemoveMembers(vec![b.id]),
        Effect::MuteAll(true),
        Effect::SetInfo(GroupInfoPatch { name: Some("renamed".into()), ..GroupInfoPatch::default() }),
    ];
    refused.events = vec![(d.id, AccountEvent::ConversationJoined { conversation: group.id })];
    refused.check = Box::new(|_| Err(Error::Forbidden));
    let answer = log.append(refused).await.unwrap();
    assert!(matches!(answer, Err(Error::Forbidden)), "the check's refusal is the answer");

    assert_eq!(log.conversation(group.id).await.unwrap().unwrap(), before, "the conversation is unchanged");
    assert_eq!(log.members(group.id, None, 10).await.unwrap(), members_before);
    assert_eq!(log.member(group.id, d.id).await.unwrap(), None);
    assert!(w.events(&d).await.is_empty());
    assert_eq!(log.entry_by_client_id(session.id, "r1").await.unwrap(), None);
    let (items, _) = w.tail_from(head, 100).await;
    assert!(items.is_empty(), "nothing reached the tail");

    // The client id stayed free: the same send passes once its rule does.
    let later = new_entry(log.append(message(group.id, &a, &session, "r1", "accepted")).await);
    assert_eq!(later.seq, Seq(2));
}

/// What one check saw, copied out of its [`magpie_core::chat::Precondition`].
#[derive(Debug, Default, Clone)]
struct Seen {
    last_seq: Seq,
    author: Option<(AccountId, MemberRole, bool)>,
    target: Option<(Seq, Vec<(String, usize)>)>,
    subjects: Vec<(AccountId, bool)>,
    peer: Option<DirectPeer>,
    now_ms: i64,
}

fn observing(append: &mut Append, seen: &Arc<Mutex<Option<Seen>>>) {
    let seen = seen.clone();
    append.check = Box::new(move |p| {
        let mut subjects: Vec<(AccountId, bool)> = p.subjects.iter().map(|m| (m.account, m.is_active())).collect();
        subjects.sort();
        *seen.lock().unwrap() = Some(Seen {
            last_seq: p.conversation.last_seq,
            author: p.author.map(|m| (m.account, m.role, m.is_active())),
            target: p
                .target
                .map(|t| (t.seq, t.reactions.iter().map(|r| (r.emoji.clone(), r.accounts.len())).collect())),
            subjects,
            peer: p.peer,
            now_ms: p.now_ms,
        });
        Ok(())
    });
}

/// The check sees the state its append commits on: the conversation, the author's row, the
/// target with its reactions, the subjects' rows (ended ones too), and in a direct chat, when
/// asked, how the peer stands towards the author.
pub async fn check_sees_the_state_at_commit<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c, d) =
        (w.account("alice").await, w.account("bob").await, w.account("carol").await, w.account("dave").await);
    let group = w.group(&a, &[&b, &c]).await;
    let session = w.session(&a).await;
    let target = w.send(group.id, &a, &session).await;
    let react = op(
        group.id,
        &c,
        "reaction",
        json!({"emoji": "+1", "on": true}),
        target.seq,
        vec![Effect::React { account: c.id, emoji: "+1".into(), on: true }],
    );
    new_entry(log.append(react).await);
    w.remove(group.id, &a, &[&b]).await;
    let last = log.conversation(group.id).await.unwrap().unwrap().last_seq;

    let seen = Arc::new(Mutex::new(None));
    let mut probe = op(group.id, &a, "edit", json!({"text": "edited"}), target.seq, vec![]);
    probe.subjects = vec![b.id, c.id, d.id];
    probe.peer = true;
    probe.entry.at_ms = T0 + 42;
    observing(&mut probe, &seen);
    new_entry(log.append(probe).await);
    let got = seen.lock().unwrap().clone().expect("the check ran");
    assert_eq!(got.last_seq, last, "the conversation as of the commit");
    assert_eq!(got.author, Some((a.id, MemberRole::Owner, true)));
    assert_eq!(got.target, Some((target.seq, vec![("+1".to_owned(), 1)])), "the target, with its reactions");
    let mut expected_subjects = vec![(b.id, false), (c.id, true)];
    expected_subjects.sort();
    assert_eq!(got.subjects, expected_subjects, "rows that exist, ended ones too; none for a non-member");
    assert_eq!(got.peer, None, "a group has no peer");
    assert_eq!(got.now_ms, T0 + 42, "now is the entry's time");

    // A target that does not exist is absent; an author that is no member has no row.
    let seen = Arc::new(Mutex::new(None));
    let mut probe = op(group.id, &d, "edit", json!({}), Seq(999), vec![]);
    observing(&mut probe, &seen);
    new_entry(log.append(probe).await);
    let got = seen.lock().unwrap().clone().unwrap();
    assert_eq!((got.author, got.target), (None, None));

    // In a direct chat the peer is read when asked for, as of the commit.
    let (chat, _) = w.direct(&a, &b).await;
    let peer = |asked: bool| {
        let seen = Arc::new(Mutex::new(None));
        let mut probe = message(chat.id, &a, &session, &format!("p{}", w.unique()), "x");
        probe.peer = asked;
        observing(&mut probe, &seen);
        (probe, seen)
    };
    let (probe, seen) = peer(false);
    new_entry(log.append(probe).await);
    assert_eq!(seen.lock().unwrap().clone().unwrap().peer, None, "not read unless asked for");
    let (probe, seen) = peer(true);
    new_entry(log.append(probe).await);
    let fresh = DirectPeer { blocks_author: false, contacts: false, friendship_required: false };
    assert_eq!(seen.lock().unwrap().clone().unwrap().peer, Some(fresh));

    w.stores.accounts.set_direct_requires_friendship(w.domain.id, true).await.unwrap();
    w.stores.contacts.set_block(b.id, a.id, true, T0, vec![]).await.unwrap();
    let (probe, seen) = peer(true);
    new_entry(log.append(probe).await);
    let got = seen.lock().unwrap().clone().unwrap().peer.unwrap();
    assert!(got.blocks_author && got.friendship_required && !got.contacts);

    w.stores.contacts.set_block(b.id, a.id, false, T0, vec![]).await.unwrap();
    w.stores.contacts.put_friend_request(a.id, b.id, None, T0, vec![]).await.unwrap();
    assert!(w.stores.contacts.accept_friend_request(a.id, b.id, T0, vec![]).await.unwrap());
    let (probe, seen) = peer(true);
    new_entry(log.append(probe).await);
    let got = seen.lock().unwrap().clone().unwrap().peer.unwrap();
    assert!(!got.blocks_author && got.contacts, "contacts: {got:?}");
    assert!(got.accepts());
}

/// A message counts as unread for every member but its sender, who has read up to it;
/// operations and notices are no messages.
pub async fn message_effect_counts_unread_for_others<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let (sa, sb) = (w.session(&a).await, w.session(&b).await);
    let b_before = log.member(group.id, b.id).await.unwrap().unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = Some(w.send(group.id, &a, &sa).await);
    }
    let last = last.unwrap();
    let me = log.member(group.id, a.id).await.unwrap().unwrap();
    assert_eq!(me.read_seq, last.seq, "the sender has read its own message");
    assert!(me.delivered_seq >= last.seq);
    assert_eq!(log.member(group.id, b.id).await.unwrap().unwrap(), b_before, "others' marks stay");
    let unread = |account: AccountId| async move { log.summary(group.id, account).await.unwrap().unwrap().unread };
    assert_eq!(unread(a.id).await, 0);
    assert_eq!(unread(b.id).await, 3);

    let react = op(
        group.id,
        &b,
        "reaction",
        json!({"emoji": "+1", "on": true}),
        last.seq,
        vec![Effect::React { account: b.id, emoji: "+1".into(), on: true }],
    );
    new_entry(log.append(react).await);
    new_entry(log.append(notice(group.id, &a, json!({"event": "info_changed"}), vec![])).await);
    assert_eq!(unread(b.id).await, 3, "operations and notices are not unread messages");
    assert_eq!(unread(a.id).await, 0);
    let summary = log.summary(group.id, b.id).await.unwrap().unwrap();
    assert_eq!(summary.last_message.map(|m| m.seq), Some(last.seq), "the preview is the newest message");

    let reply = w.send(group.id, &b, &sb).await;
    assert_eq!(unread(b.id).await, 0, "sending reads everything before");
    assert_eq!(unread(a.id).await, 1);
    assert_eq!(log.summary(group.id, a.id).await.unwrap().unwrap().last_message.map(|m| m.seq), Some(reply.seq));
}

/// Adding starts a membership at the adding entry (an active member is left alone); removing
/// ends it there (the row stays, ended); adding a former member starts a new one.
pub async fn members_join_leave_and_come_back<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c, d) =
        (w.account("alice").await, w.account("bob").await, w.account("carol").await, w.account("dave").await);
    let group = w.group(&a, &[&b]).await;
    let count = |id| async move { log.conversation(id).await.unwrap().unwrap().member_count };

    let added = w.add(group.id, &a, &[&c]).await;
    assert!(added.changes_membership());
    let carol = log.member(group.id, c.id).await.unwrap().unwrap();
    assert_eq!((carol.joined_seq, carol.left_seq, carol.role), (added.seq, None, MemberRole::Member));
    assert!(carol.read_seq <= added.seq, "a new member has not read what it joins with");
    assert_eq!(count(group.id).await, 3);
    assert_eq!(w.events(&c).await, [AccountEvent::ConversationJoined { conversation: group.id }]);

    let again = w.add(group.id, &a, &[&c, &d]).await;
    assert_eq!(log.member(group.id, c.id).await.unwrap().unwrap().joined_seq, added.seq, "an active member stays");
    assert_eq!(log.member(group.id, d.id).await.unwrap().unwrap().joined_seq, again.seq);
    assert_eq!(count(group.id).await, 4);

    let removed = w.remove(group.id, &a, &[&c]).await;
    let ended = log.member(group.id, c.id).await.unwrap().expect("an ended membership stays readable");
    assert_eq!((ended.joined_seq, ended.left_seq), (added.seq, Some(removed.seq)));
    assert!(!ended.is_active());
    assert_eq!(count(group.id).await, 3);
    let active: Vec<AccountId> = log.members(group.id, None, 10).await.unwrap().iter().map(|m| m.account).collect();
    assert_eq!(active, [a.id, b.id, d.id]);
    assert_eq!(log.group_count(c.id).await.unwrap(), 0);
    assert_eq!(
        w.events(&c).await.last(),
        Some(&AccountEvent::ConversationLeft { conversation: group.id, reason: LeaveReason::Removed })
    );

    let back = w.add(group.id, &a, &[&c]).await;
    let carol = log.member(group.id, c.id).await.unwrap().unwrap();
    assert_eq!((carol.joined_seq, carol.left_seq), (back.seq, None), "a new membership from the new join");
    assert_eq!(count(group.id).await, 4);
    assert_eq!(log.group_count(c.id).await.unwrap(), 1);

    // A member leaving is the same end, by its own notice.
    let mut leave = notice(
        group.id,
        &d,
        json!({"event": "member_left", "member": d.addr.to_string()}),
        vec![Effect::RemoveMembers(vec![d.id])],
    );
    leave.events = vec![(d.id, AccountEvent::ConversationLeft { conversation: group.id, reason: LeaveReason::Left })];
    let left = new_entry(log.append(leave).await);
    assert_eq!(log.member(group.id, d.id).await.unwrap().unwrap().left_seq, Some(left.seq));
    assert_eq!(count(group.id).await, 3);
}

/// The accounts whose memberships, as `recipients(conversation, from)` returns them, cover
/// `seq`: what the fan-out delivers the entry at `seq` to.
async fn covered<F: StoreFactory>(
    w: &World<'_, F>,
    conversation: ConversationId,
    from: Seq,
    seq: Seq,
) -> BTreeSet<AccountId> {
    let list = w.stores.log.recipients(conversation, from).await.unwrap();
    list.iter().filter(|m| m.joined_seq <= seq && m.left_seq.is_none_or(|left| seq < left)).map(|m| m.account).collect()
}

/// `recipients(c, from)` returns memberships covering every seq from `from` on, each with its
/// span, so that the fan-out, reading it at any time later, delivers the entry at `seq` to
/// exactly those who were members at `seq` (joined ≤ seq < left), even if they left and came
/// back since.
pub async fn recipients_cover_every_span_from_a_seq<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b]).await; // 1: a, b
    let sa = w.session(&a).await;
    w.send(group.id, &a, &sa).await; // 2
    let c_in = w.add(group.id, &a, &[&c]).await.seq; // 3
    w.send(group.id, &a, &sa).await; // 4
    let b_out = w.remove(group.id, &a, &[&b]).await.seq; // 5
    w.send(group.id, &a, &sa).await; // 6
    let b_back = w.add(group.id, &a, &[&b]).await.seq; // 7
    w.send(group.id, &a, &sa).await; // 8
    let c_out = w.remove(group.id, &a, &[&c]).await.seq; // 9
    w.send(group.id, &a, &sa).await; // 10
    assert_eq!((c_in, b_out, b_back, c_out), (Seq(3), Seq(5), Seq(7), Seq(9)));

    let members_at = |seq: i64| -> BTreeSet<AccountId> {
        let mut set = BTreeSet::from([a.id]);
        if !(5..7).contains(&seq) {
            set.insert(b.id);
        }
        if (3..9).contains(&seq) {
            set.insert(c.id);
        }
        set
    };
    // Read now, after every change: for each entry, from its own seq and from any before it.
    for seq in 1..=10 {
        for from in 1..=seq {
            let got = covered(&w, group.id, Seq(from), Seq(seq)).await;
            assert_eq!(got, members_at(seq), "recipients from seq {from}, covering seq {seq}");
        }
    }
}

/// `member_spans(account)` lists every span the account had, ended ones with their end, the
/// newest conversations first, at most `limit`: what search lets it read.
pub async fn member_spans_list_every_span_of_an_account<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b]).await; // 1: a, b
    let b_out = w.remove(group.id, &a, &[&b]).await.seq; // 2
    let b_back = w.add(group.id, &a, &[&b]).await.seq; // 3
    let other = w.group(&a, &[&c]).await; // c, not b
    let spans = w.stores.log.member_spans(b.id, 10).await.unwrap();
    let got: Vec<(ConversationId, Seq, Option<Seq>)> =
        spans.iter().map(|s| (s.conversation, s.from, s.until)).collect();
    assert_eq!(got, vec![(group.id, b_back, None), (group.id, Seq(1), Some(b_out))]);
    assert!(spans.iter().all(|s| s.conversation != other.id), "only the account's own memberships");
    let covered: Vec<i64> = (1..=4).filter(|seq| spans.iter().any(|s| s.covers(Seq(*seq)))).collect();
    assert_eq!(covered, vec![1, 3, 4], "nothing from its removal to its return");
    assert_eq!(w.stores.log.member_spans(b.id, 1).await.unwrap().len(), 1, "at most limit");
    assert!(w.stores.log.member_spans(AccountId(i64::MAX), 10).await.unwrap().is_empty());
}

/// Role, owner, an admin's mute of a member and mute-all are applied by their entries.
pub async fn roles_owner_and_mutes<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let apply = |effects: Vec<Effect>| notice(group.id, &a, json!({"event": "role_changed"}), effects);
    new_entry(log.append(apply(vec![Effect::SetRole(b.id, MemberRole::Admin)])).await);
    assert_eq!(log.member(group.id, b.id).await.unwrap().unwrap().role, MemberRole::Admin);

    new_entry(log.append(apply(vec![Effect::MuteMember(c.id, Some(T0 + 60_000))])).await);
    assert_eq!(log.member(group.id, c.id).await.unwrap().unwrap().muted_until_ms, Some(T0 + 60_000));
    new_entry(log.append(apply(vec![Effect::MuteMember(c.id, None)])).await);
    assert_eq!(log.member(group.id, c.id).await.unwrap().unwrap().muted_until_ms, None);

    new_entry(log.append(apply(vec![Effect::MuteAll(true)])).await);
    assert!(log.conversation(group.id).await.unwrap().unwrap().mute_all);
    new_entry(log.append(apply(vec![Effect::MuteAll(false)])).await);
    assert!(!log.conversation(group.id).await.unwrap().unwrap().mute_all);

    let transfer = vec![
        Effect::SetRole(b.id, MemberRole::Owner),
        Effect::SetRole(a.id, MemberRole::Admin),
        Effect::SetOwner(b.id),
    ];
    new_entry(log.append(apply(transfer)).await);
    assert_eq!(log.conversation(group.id).await.unwrap().unwrap().owner, Some(b.id));
    assert_eq!(log.member(group.id, b.id).await.unwrap().unwrap().role, MemberRole::Owner);
    assert_eq!(log.member(group.id, a.id).await.unwrap().unwrap().role, MemberRole::Admin);
    assert_eq!(log.member(group.id, c.id).await.unwrap().unwrap().role, MemberRole::Member);
}

/// A group info patch sets, clears and keeps fields as `GroupInfoPatch` says.
pub async fn group_info_patch<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let a = w.account("alice").await;
    let group = w.group(&a, &[]).await;
    let set = GroupInfoPatch {
        name: Some("renamed".into()),
        description: Some(Some("about".into())),
        avatar: Some(Some("avatar".into())),
        announcement: Some(Some("news".into())),
    };
    new_entry(log.append(notice(group.id, &a, json!({"event": "info_changed"}), vec![Effect::SetInfo(set)])).await);
    let info = log.conversation(group.id).await.unwrap().unwrap().info;
    assert_eq!(info.name.as_deref(), Some("renamed"));
    assert_eq!(info.description.as_deref(), Some("about"));
    assert_eq!(info.avatar.as_deref(), Some("avatar"));
    assert_eq!(info.announcement.as_deref(), Some("news"));
    let clear = GroupInfoPatch { description: Some(None), announcement: Some(None), ..GroupInfoPatch::default() };
    new_entry(log.append(notice(group.id, &a, json!({"event": "info_changed"}), vec![Effect::SetInfo(clear)])).await);
    let info = log.conversation(group.id).await.unwrap().unwrap().info;
    assert_eq!((info.name.as_deref(), info.avatar.as_deref()), (Some("renamed"), Some("avatar")), "kept");
    assert_eq!((info.description, info.announcement), (None, None), "cleared");
}

/// An edit replaces its target's body and stamps it; it never brings back a recalled one.
pub async fn edit_replaces_the_body<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let a = w.account("alice").await;
    let group = w.group(&a, &[]).await;
    let sa = w.session(&a).await;
    let target = w.send(group.id, &a, &sa).await;
    let body = json!({"text": "edited"});
    let mut edit = op(group.id, &a, "edit", body.clone(), target.seq, vec![Effect::EditTarget(body.clone())]);
    edit.entry.at_ms = T0 + 500;
    let edit = new_entry(log.append(edit).await);
    assert_eq!((edit.kind.as_str(), edit.target), ("edit", Some(target.seq)));
    let read = log.entry(group.id, target.seq).await.unwrap().unwrap();
    assert_eq!((read.body, read.edited_at_ms), (Some(body), Some(T0 + 500)));
    assert_eq!(
        log.entry(group.id, edit.seq).await.unwrap().unwrap().body,
        Some(json!({"text": "edited"})),
        "the edit keeps its body"
    );

    let other = w.send(group.id, &a, &sa).await;
    new_entry(log.append(op(group.id, &a, "recall", json!({}), other.seq, Effect::recall())).await);
    let body = json!({"text": "too late"});
    new_entry(log.append(op(group.id, &a, "edit", body.clone(), other.seq, vec![Effect::EditTarget(body)])).await);
    assert_eq!(log.entry(group.id, other.seq).await.unwrap().unwrap().body, None, "a recalled body stays erased");
}

/// A recall erases its target's body and the bodies of its edits, and takes with it the
/// target's reactions, mentions and what its file references lend.
pub async fn recall_erases_content_edits_reactions_mentions_and_file_refs<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let photo = file(&w, &a, &"a".repeat(64), 5000, T0).await;
    let mut send = message(group.id, &a, &sa, "m", "look @bob");
    send.entry.mentions = vec![b.addr.clone()];
    send.effects.extend([Effect::Mention(vec![b.id]), Effect::FileRefs(vec![photo.id.clone()])]);
    let target = new_entry(log.append(send).await);
    let body = json!({"text": "look again @bob"});
    let edit =
        new_entry(log.append(op(group.id, &a, "edit", body.clone(), target.seq, vec![Effect::EditTarget(body)])).await);
    new_entry(
        log.append(op(
            group.id,
            &b,
            "reaction",
            json!({"emoji": "+1", "on": true}),
            target.seq,
            vec![Effect::React { account: b.id, emoji: "+1".into(), on: true }],
        ))
        .await,
    );
    assert_eq!(log.summary(group.id, b.id).await.unwrap().unwrap().mentions, 1);
    assert!(w.stores.files.file_shared_with(&photo.id, b.id).await.unwrap());

    let mut recall = op(group.id, &a, "recall", json!({}), target.seq, Effect::recall());
    recall.entry.at_ms = T0 + 900;
    new_entry(log.append(recall).await);
    let read = log.entry(group.id, target.seq).await.unwrap().unwrap();
    assert_eq!(
        (read.body, read.recalled_at_ms, read.edited_at_ms, read.mentions),
        (None, Some(T0 + 900), None, vec![]),
        "a tombstone remains, without the time of its edit or whom it mentioned"
    );
    assert_eq!(log.entry(group.id, edit.seq).await.unwrap().unwrap().body, None, "its edits are erased too");
    let page = w.entries(group.id, &b).await;
    let shown = page.iter().find(|e| e.seq == target.seq).unwrap();
    assert!(shown.reactions.is_empty(), "its reactions went");
    let summary = log.summary(group.id, b.id).await.unwrap().unwrap();
    assert_eq!(summary.mentions, 0, "its mentions went");
    assert_eq!(summary.unread, 0, "a recalled message is not unread");
    assert!(!w.stores.files.file_shared_with(&photo.id, b.id).await.unwrap(), "its files are no longer lent");
}

/// Reactions are added once per account and emoji, removed by their own entry, and shown on
/// the entry in history.
pub async fn reactions_add_and_remove<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let sa = w.session(&a).await;
    let target = w.send(group.id, &a, &sa).await;
    let react = |who: &magpie_core::model::Account, emoji: &str, on: bool| {
        let effects = vec![Effect::React { account: who.id, emoji: emoji.into(), on }];
        op(group.id, who, "reaction", json!({"emoji": emoji, "on": on}), target.seq, effects)
    };
    for (who, emoji) in [(&b, "+1"), (&c, "+1"), (&b, "party"), (&b, "+1")] {
        new_entry(log.append(react(who, emoji, true)).await);
    }
    let shown = |page: Vec<Entry>| -> BTreeMap<String, BTreeSet<String>> {
        let entry = page.into_iter().find(|e| e.seq == target.seq).unwrap();
        entry.reactions.into_iter().map(|r| (r.emoji, r.accounts.iter().map(ToString::to_string).collect())).collect()
    };
    let expected = BTreeMap::from([
        ("+1".to_owned(), BTreeSet::from([b.addr.to_string(), c.addr.to_string()])),
        ("party".to_owned(), BTreeSet::from([b.addr.to_string()])),
    ]);
    assert_eq!(shown(w.entries(group.id, &a).await), expected, "one reaction per account and emoji");
    for r in w.entries(group.id, &a).await.into_iter().find(|e| e.seq == target.seq).unwrap().reactions {
        assert_eq!(r.accounts.len(), r.accounts.iter().collect::<HashSet<_>>().len(), "no account twice");
    }
    new_entry(log.append(react(&b, "+1", false)).await);
    new_entry(log.append(react(&c, "party", false)).await); // never there: nothing to remove
    let expected = BTreeMap::from([
        ("+1".to_owned(), BTreeSet::from([c.addr.to_string()])),
        ("party".to_owned(), BTreeSet::from([b.addr.to_string()])),
    ]);
    assert_eq!(shown(w.entries(group.id, &b).await), expected);
}

/// Dissolving ends every active membership at its entry, closes the conversation, and logs
/// `conversation_left` (dissolved) for each member it ended, not for former ones.
pub async fn dissolve_ends_every_membership<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let c_out = w.remove(group.id, &a, &[&c]).await.seq;
    let before_c = w.events(&c).await;
    let end = new_entry(log.append(notice(group.id, &a, json!({"event": "dissolved"}), vec![Effect::Dissolve])).await);
    assert!(end.changes_membership());
    let conversation = log.conversation(group.id).await.unwrap().unwrap();
    assert!(conversation.dissolved);
    assert_eq!(conversation.member_count, 0);
    assert!(log.members(group.id, None, 10).await.unwrap().is_empty());
    for who in [&a, &b] {
        assert_eq!(log.member(group.id, who.id).await.unwrap().unwrap().left_seq, Some(end.seq));
        assert_eq!(
            w.events(who).await.last(),
            Some(&AccountEvent::ConversationLeft { conversation: group.id, reason: LeaveReason::Dissolved })
        );
        assert_eq!(log.group_count(who.id).await.unwrap(), 0);
        assert!(log.summaries(who.id, Activity(0), true, 10).await.unwrap().is_empty());
    }
    assert_eq!(
        log.member(group.id, c.id).await.unwrap().unwrap().left_seq,
        Some(c_out),
        "a former member keeps its end"
    );
    assert_eq!(w.events(&c).await, before_c, "nothing new for a former member");
    let sa = w.session(&a).await;
    let after = log.append(message(group.id, &a, &sa, "late", "x")).await.unwrap();
    assert!(after.is_err(), "a dissolved conversation takes no more (by its check)");
}

/// Mentions of an account and `@all` count for it until it reads past them.
pub async fn mentions_count_until_read<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let sa = w.session(&a).await;
    let mut to_bob = message(group.id, &a, &sa, "to-bob", "@bob");
    to_bob.entry.mentions = vec![b.addr.clone()];
    to_bob.effects.push(Effect::Mention(vec![b.id]));
    new_entry(log.append(to_bob).await);
    let mut to_all = message(group.id, &a, &sa, "to-all", "@all");
    to_all.entry.mention_all = true;
    let all = new_entry(log.append(to_all).await);
    assert!(all.mention_all);
    w.send(group.id, &a, &sa).await;
    let summary = |who: AccountId| async move { log.summary(group.id, who).await.unwrap().unwrap() };
    assert_eq!((summary(b.id).await.unread, summary(b.id).await.mentions), (3, 2));
    assert_eq!((summary(c.id).await.unread, summary(c.id).await.mentions), (3, 1));
    assert_eq!(summary(a.id).await.mentions, 0, "the sender has read its own");
    log.mark(group.id, b.id, Some(all.seq), None, vec![], T0).await.unwrap();
    assert_eq!((summary(b.id).await.unread, summary(b.id).await.mentions), (1, 0));
}

/// `@all` means nothing in a direct chat: the store drops it there.
pub async fn mention_all_means_nothing_in_a_direct_chat<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let (chat, _) = w.direct(&a, &b).await;
    let sa = w.session(&a).await;
    let mut to_all = message(chat.id, &a, &sa, "m", "@all");
    to_all.entry.mention_all = true;
    let e = new_entry(log.append(to_all).await);
    assert!(!e.mention_all, "the answer says so");
    assert!(!log.entry(chat.id, e.seq).await.unwrap().unwrap().mention_all, "and so does the stored entry");
    let summary = log.summary(chat.id, b.id).await.unwrap().unwrap();
    assert_eq!((summary.unread, summary.mentions), (1, 0));
}

/// Read and delivered marks only rise, never past the last seq, delivered never below read;
/// events are logged only when a mark moved; a non-member (or former one) has no marks.
pub async fn marks_never_go_back_nor_past_the_end<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let sa = w.session(&a).await;
    for _ in 0..5 {
        w.send(group.id, &a, &sa).await;
    }
    let events_before = w.events(&b).await.len();
    let read = |seq: i64| vec![(b.id, AccountEvent::Read { conversation: group.id, seq: Seq(seq) })];
    let m = log.mark(group.id, b.id, Some(Seq(3)), None, read(3), T0).await.unwrap().unwrap();
    assert_eq!((m.read_seq, m.delivered_seq), (Seq(3), Seq(3)), "delivered is at least read");
    let m = log.mark(group.id, b.id, Some(Seq(2)), None, read(2), T0).await.unwrap().unwrap();
    assert_eq!(m.read_seq, Seq(3), "never back");
    assert_eq!(w.events(&b).await.len(), events_before + 1, "nothing moved, nothing logged");
    let m = log.mark(group.id, b.id, None, Some(Seq(5)), vec![], T0).await.unwrap().unwrap();
    assert_eq!((m.read_seq, m.delivered_seq), (Seq(3), Seq(5)));
    let m = log.mark(group.id, b.id, None, Some(Seq(4)), vec![], T0).await.unwrap().unwrap();
    assert_eq!(m.delivered_seq, Seq(5), "never back");
    let m = log.mark(group.id, b.id, Some(Seq(99)), None, read(99), T0).await.unwrap().unwrap();
    assert_eq!((m.read_seq, m.delivered_seq), (Seq(6), Seq(6)), "never past the last seq");
    assert_eq!(w.events(&b).await.len(), events_before + 2);
    assert_eq!(log.member(group.id, b.id).await.unwrap().unwrap(), m, "the answer is what is stored");
    assert_eq!(log.summary(group.id, b.id).await.unwrap().unwrap().unread, 0);

    let d = w.account("dave").await;
    assert_eq!(log.mark(group.id, d.id, Some(Seq(1)), None, vec![], T0).await.unwrap(), None);
    w.remove(group.id, &a, &[&c]).await;
    let events_c = w.events(&c).await.len();
    let for_c = vec![(c.id, AccountEvent::Read { conversation: group.id, seq: Seq(2) })];
    assert_eq!(log.mark(group.id, c.id, Some(Seq(2)), None, for_c, T0).await.unwrap(), None, "a former member");
    assert_eq!(w.events(&c).await.len(), events_c);
}

/// Pinned, muted (until a time), the notification level, draft and the unread mark are a
/// member's own; an empty draft clears it; the
/// change is logged.
pub async fn member_settings_change_and_log<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let patch = MemberSettingsPatch {
        pinned: Some(true),
        muted: Some(true),
        unmute_at_ms: Some(T0 + 3_600_000),
        notify_level: Some(LevelChoice::Mentions),
        draft: Some("half a thought".into()),
        marked_unread: Some(true),
    };
    let event = |p: &MemberSettingsPatch| {
        vec![(b.id, AccountEvent::SettingsChanged { conversation: group.id, settings: p.clone() })]
    };
    let m = log.update_member_settings(group.id, b.id, patch.clone(), event(&patch), T0).await.unwrap().unwrap();
    assert_eq!((m.pinned, m.muted, m.draft.as_deref(), m.marked_unread), (true, true, Some("half a thought"), true));
    assert_eq!((m.unmute_at_ms, m.notify_level), (Some(T0 + 3_600_000), Some(Level::Mentions)));
    let clear = MemberSettingsPatch { draft: Some(String::new()), ..MemberSettingsPatch::default() };
    let m = log.update_member_settings(group.id, b.id, clear.clone(), event(&clear), T0).await.unwrap().unwrap();
    assert_eq!((m.pinned, m.muted, m.draft), (true, true, None), "an empty draft clears it; the rest stays");
    assert_eq!((m.unmute_at_ms, m.notify_level), (Some(T0 + 3_600_000), Some(Level::Mentions)));
    let unpin =
        MemberSettingsPatch { pinned: Some(false), marked_unread: Some(false), ..MemberSettingsPatch::default() };
    let m = log.update_member_settings(group.id, b.id, unpin.clone(), event(&unpin), T0).await.unwrap().unwrap();
    assert!(!m.pinned && m.muted && !m.marked_unread);
    let other = log.member(group.id, a.id).await.unwrap().unwrap();
    assert!(!other.pinned && !other.muted && other.notify_level.is_none(), "another member's are its own");
    let unmute = MemberSettingsPatch {
        muted: Some(false),
        notify_level: Some(LevelChoice::Default),
        ..MemberSettingsPatch::default()
    };
    let m = log.update_member_settings(group.id, b.id, unmute.clone(), event(&unmute), T0).await.unwrap().unwrap();
    assert_eq!((m.muted, m.unmute_at_ms, m.notify_level), (false, None, None), "unmuting ends the timed mute too");
    let events: Vec<AccountEvent> = w.events(&b).await.into_iter().skip(1).collect();
    assert_eq!(events, [event(&patch), event(&clear), event(&unpin), event(&unmute)].map(|e| e[0].1.clone()));
    let d = w.account("dave").await;
    assert_eq!(log.update_member_settings(group.id, d.id, unpin, vec![], T0).await.unwrap(), None);
}

/// Entries hidden by one account show to it as hidden, without body, and count neither as
/// unread nor as its preview; everyone else sees them as they are.
pub async fn hidden_entries_are_hidden_for_one_viewer<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let sa = w.session(&a).await;
    let first = w.send(group.id, &a, &sa).await;
    let second = w.send(group.id, &a, &sa).await;
    let event = vec![(b.id, AccountEvent::Hidden { conversation: group.id, seqs: vec![second.seq] })];
    log.hide_entries(group.id, b.id, vec![second.seq], event.clone(), T0).await.unwrap();
    log.hide_entries(group.id, b.id, vec![second.seq], vec![], T0).await.unwrap(); // again: no harm
    let for_b = w.entries(group.id, &b).await;
    let hidden = for_b.iter().find(|e| e.seq == second.seq).unwrap();
    assert!(hidden.hidden && hidden.body.is_none());
    assert!(!for_b.iter().find(|e| e.seq == first.seq).unwrap().hidden);
    let for_c = w.entries(group.id, &c).await;
    let shown = for_c.iter().find(|e| e.seq == second.seq).unwrap();
    assert!(!shown.hidden && shown.body.is_some(), "hidden for one viewer only");
    assert_eq!(w.events(&b).await.last(), Some(&event[0].1));
    let summary = log.summary(group.id, b.id).await.unwrap().unwrap();
    assert_eq!(summary.unread, 1, "a hidden message is not unread");
    assert_eq!(summary.last_message.map(|m| m.seq), Some(first.seq), "nor the preview");
    assert_eq!(log.summary(group.id, c.id).await.unwrap().unwrap().unread, 2);
}

/// What a conversation shares is listed by kind, newest first, as the viewer may read it:
/// within its floor and ceiling, without what it hid or what was recalled; an edit that adds
/// or takes away a link moves the message in or out of the links.
pub async fn shared_items_are_listed_by_kind_as_the_viewer_reads_them<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let send = |id: &str, kind: &str, body: serde_json::Value, shared: Option<SharedKind>| {
        let mut append = message(group.id, &a, &sa, id, "x");
        append.entry.kind = kind.into();
        append.entry.body = body;
        append.effects.extend(shared.map(Effect::Share));
        append
    };
    let link = |n: u32| {
        send(&format!("l{n}"), "text", json!({"text": format!("see https://x.example/{n}")}), Some(SharedKind::Link))
    };
    let l1 = new_entry(log.append(link(1)).await);
    let img = new_entry(log.append(send("i", "image", json!({"file": "f1"}), Some(SharedKind::Image))).await);
    let plain = new_entry(log.append(send("p", "text", json!({"text": "no link"}), None)).await);
    let doc =
        new_entry(log.append(send("f", "file", json!({"file": "f2", "name": "a.pdf"}), Some(SharedKind::File))).await);
    let l2 = new_entry(log.append(link(2)).await);
    let l3 = new_entry(log.append(link(3)).await);
    let seqs = |page: Vec<Entry>| page.iter().map(|e| e.seq).collect::<Vec<_>>();
    let list =
        |kind, before: Option<Seq>, floor: Seq, ceiling: Option<Seq>, limit, viewer: &magpie_core::model::Account| {
            log.shared(group.id, kind, before, floor, ceiling, limit, viewer.id)
        };
    let one = Seq(1);
    assert_eq!(seqs(list(SharedKind::Link, None, one, None, 10, &b).await.unwrap()), [l3.seq, l2.seq, l1.seq]);
    assert_eq!(seqs(list(SharedKind::Image, None, one, None, 10, &b).await.unwrap()), [img.seq]);
    assert_eq!(seqs(list(SharedKind::File, None, one, None, 10, &b).await.unwrap()), [doc.seq]);
    let page = list(SharedKind::Link, None, one, None, 2, &b).await.unwrap();
    assert_eq!(seqs(page.clone()), [l3.seq, l2.seq], "newest first, at most the limit");
    assert_eq!(page[0].body, Some(json!({"text": "see https://x.example/3"})), "whole entries");
    assert_eq!(seqs(list(SharedKind::Link, Some(l2.seq), one, None, 2, &b).await.unwrap()), [l1.seq], "before a seq");
    assert_eq!(
        seqs(list(SharedKind::Link, None, l2.seq, None, 10, &b).await.unwrap()),
        [l3.seq, l2.seq],
        "never before the floor"
    );
    assert_eq!(
        seqs(list(SharedKind::Link, None, one, Some(l3.seq), 10, &b).await.unwrap()),
        [l2.seq, l1.seq],
        "never at the ceiling"
    );

    log.hide_entries(group.id, b.id, vec![l2.seq], vec![], T0).await.unwrap();
    assert_eq!(
        seqs(list(SharedKind::Link, None, one, None, 10, &b).await.unwrap()),
        [l3.seq, l1.seq],
        "hidden for the viewer"
    );
    assert_eq!(
        seqs(list(SharedKind::Link, None, one, None, 10, &a).await.unwrap()),
        [l3.seq, l2.seq, l1.seq],
        "for the viewer only"
    );

    new_entry(log.append(op(group.id, &a, "recall", json!({}), l3.seq, Effect::recall())).await);
    assert_eq!(seqs(list(SharedKind::Link, None, one, None, 10, &a).await.unwrap()), [l2.seq, l1.seq], "recalled");
    let body = json!({"text": "no link any more"});
    let unlink = vec![Effect::EditTarget(body.clone()), Effect::ReshareTarget(None)];
    new_entry(log.append(op(group.id, &a, "edit", body, l1.seq, unlink)).await);
    let body = json!({"text": "now https://y.example"});
    let relink = vec![Effect::EditTarget(body.clone()), Effect::ReshareTarget(Some(SharedKind::Link))];
    new_entry(log.append(op(group.id, &a, "edit", body, plain.seq, relink)).await);
    assert_eq!(
        seqs(list(SharedKind::Link, None, one, None, 10, &a).await.unwrap()),
        [l2.seq, plain.seq],
        "edits move messages in and out"
    );
}

/// History pages forwards and backwards by seq, oldest first either way, never before the
/// floor nor at or after the ceiling, at most `limit`.
pub async fn entries_page_within_floor_and_ceiling<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let a = w.account("alice").await;
    let group = w.group(&a, &[]).await;
    let sa = w.session(&a).await;
    for _ in 0..9 {
        w.send(group.id, &a, &sa).await;
    } // seqs 1..=10
    let seqs = |page: Vec<Entry>| page.iter().map(|e| e.seq.0).collect::<Vec<_>>();
    let read = |page: Page, floor: i64, ceiling: Option<i64>, limit: usize| {
        log.entries(group.id, page, Seq(floor), ceiling.map(Seq), limit, a.id)
    };
    assert_eq!(seqs(read(Page::After(Seq(3)), 1, None, 4).await.unwrap()), [4, 5, 6, 7]);
    assert_eq!(
        seqs(read(Page::Before(Seq(8)), 1, None, 3).await.unwrap()),
        [5, 6, 7],
        "the newest before, oldest first"
    );
    assert_eq!(seqs(read(Page::After(Seq(0)), 5, None, 3).await.unwrap()), [5, 6, 7], "never before the floor");
    assert_eq!(seqs(read(Page::Before(Seq(8)), 6, None, 10).await.unwrap()), [6, 7]);
    assert_eq!(seqs(read(Page::After(Seq(4)), 1, Some(7), 10).await.unwrap()), [5, 6], "never at or after the ceiling");
    assert_eq!(seqs(read(Page::Before(Seq(11)), 1, Some(7), 2).await.unwrap()), [5, 6]);
    assert_eq!(seqs(read(Page::After(Seq(10)), 1, None, 10).await.unwrap()), Vec::<i64>::new());
    assert_eq!(seqs(read(Page::Before(Seq(1)), 1, None, 10).await.unwrap()), Vec::<i64>::new());
}

/// Active members page by account id.
pub async fn members_page_by_account<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let mut people = vec![];
    for name in ["m0", "m1", "m2", "m3", "m4"] {
        people.push(w.account(name).await);
    }
    let others: Vec<&magpie_core::model::Account> = people[1..].iter().collect();
    let group = w.group(&people[0], &others).await;
    w.remove(group.id, &people[0], &[&people[2]]).await;
    let ids = |list: Vec<Member>| list.iter().map(|m| m.account).collect::<Vec<_>>();
    let first = ids(log.members(group.id, None, 2).await.unwrap());
    assert_eq!(first, [people[0].id, people[1].id]);
    let next = ids(log.members(group.id, Some(first[1]), 2).await.unwrap());
    assert_eq!(next, [people[3].id, people[4].id], "a former member is left out");
    assert!(log.members(group.id, Some(next[1]), 2).await.unwrap().is_empty());
}

/// Each append moves its conversation's activity past every earlier commit's; summaries list
/// an account's active conversations by activity, up or down from a cursor.
pub async fn summaries_follow_activity<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let g1 = w.group(&a, &[&b]).await;
    let g2 = w.group(&a, &[&b]).await;
    let (chat, _) = w.direct(&a, &b).await;
    let activities = [g1.activity, g2.activity, chat.activity];
    assert!(activities.windows(2).all(|p| p[0] < p[1]), "creation moves the activity on: {activities:?}");
    let sa = w.session(&a).await;
    for id in [g2.id, chat.id, g1.id] {
        w.send(id, &a, &sa).await;
    }
    let ids = |list: Vec<magpie_core::chat::Summary>| list.iter().map(|s| s.conversation.id).collect::<Vec<_>>();
    let up = log.summaries(a.id, Activity(0), true, 10).await.unwrap();
    assert_eq!(ids(up.clone()), [g2.id, chat.id, g1.id], "by the order of their last appends");
    assert!(up.windows(2).all(|p| p[0].conversation.activity < p[1].conversation.activity), "unique, rising");
    assert!(up[0].conversation.activity > chat.activity, "an append moves past every earlier commit");
    assert_eq!(ids(log.summaries(a.id, up[0].conversation.activity, true, 10).await.unwrap()), [chat.id, g1.id]);
    assert_eq!(
        ids(log.summaries(a.id, Activity(i64::MAX), false, 2).await.unwrap()),
        [g1.id, chat.id],
        "the list: newest first"
    );
    assert_eq!(
        ids(log.summaries(a.id, up[2].conversation.activity, false, 10).await.unwrap()),
        [g2.id, chat.id].into_iter().rev().collect::<Vec<_>>()
    );
    assert_eq!(ids(log.summaries(a.id, Activity(0), true, 1).await.unwrap()), [g2.id], "at most limit");
    for s in &up {
        assert_eq!(s.me.account, a.id);
        assert_eq!(Some(s), log.summary(s.conversation.id, a.id).await.unwrap().as_ref(), "one summary reads the same");
    }

    // A former member no longer lists the conversation, but its summary (ended) can be read.
    w.remove(g1.id, &a, &[&b]).await;
    assert_eq!(ids(log.summaries(b.id, Activity(0), true, 10).await.unwrap()), [g2.id, chat.id]);
    let ended = log.summary(g1.id, b.id).await.unwrap().expect("an ended membership's summary");
    assert!(!ended.me.is_active());
    let d = w.account("dave").await;
    assert_eq!(log.summary(g1.id, d.id).await.unwrap(), None, "no membership, no summary");
}

/// A direct chat's summary names the other party (oneself in notes to self).
pub async fn summary_of_a_direct_chat_names_the_peer<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let (chat, _) = w.direct(&a, &b).await;
    assert_eq!(log.summary(chat.id, a.id).await.unwrap().unwrap().peer, Some(b.addr.clone()));
    assert_eq!(log.summary(chat.id, b.id).await.unwrap().unwrap().peer, Some(a.addr.clone()));
    let (notes, _) = w.direct(&a, &a).await;
    assert_eq!(log.summary(notes.id, a.id).await.unwrap().unwrap().peer, Some(a.addr.clone()));
    let group = w.group(&a, &[&b]).await;
    assert_eq!(log.summary(group.id, a.id).await.unwrap().unwrap().peer, None);
}

/// Each account's event log is dense from 1, read in order from any point, a page at a time.
pub async fn account_events_are_dense_per_account<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    assert_eq!(log.account_events_head(a.id).await.unwrap(), EventSeq(0));
    let group = w.group(&a, &[&b]).await; // one event each
    for i in 0..4 {
        let patch = MemberSettingsPatch { pinned: Some(i % 2 == 0), ..MemberSettingsPatch::default() };
        let events = vec![(a.id, AccountEvent::SettingsChanged { conversation: group.id, settings: patch.clone() })];
        log.update_member_settings(group.id, a.id, patch, events, T0 + i).await.unwrap();
    }
    let all = log.account_events(a.id, EventSeq(0), 100).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|e| e.seq.0).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert!(all.iter().all(|e| e.account == a.id));
    assert_eq!(all[4].at_ms, T0 + 3);
    assert_eq!(log.account_events_head(a.id).await.unwrap(), EventSeq(5));
    assert_eq!(log.account_events(a.id, EventSeq(2), 2).await.unwrap(), all[2..4]);
    assert!(log.account_events(a.id, EventSeq(5), 2).await.unwrap().is_empty());
    let bobs = log.account_events(b.id, EventSeq(0), 100).await.unwrap();
    assert_eq!(bobs.iter().map(|e| e.seq.0).collect::<Vec<_>>(), [1], "dense per account");
    assert_eq!(log.account_events_head(b.id).await.unwrap(), EventSeq(1));
}

/// The tail holds every entry and account event in commit order (so, per conversation, in
/// seq order, and per account in event order) with what changes membership flagged; its last
/// page's cursor is the head, from which it is empty until the next commit.
pub async fn tail_is_the_commit_order<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let start = log.log_head().await.unwrap();
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    assert!(w.tail_from(start, 10).await.0.is_empty(), "accounts are not in the log");
    let sa = w.session(&a).await;
    let mut commits: Vec<Vec<Item>> = vec![];
    let mut flagged = HashSet::new();

    let group = w.group(&a, &[&b]).await;
    flagged.insert(Item::Entry(group.id, Seq(1)));
    commits.push(vec![Item::Entry(group.id, Seq(1)), Item::Event(a.id, EventSeq(1)), Item::Event(b.id, EventSeq(1))]);
    let head_after_group = log.log_head().await.unwrap();
    assert!(head_after_group > start, "the head moved on");
    let m = w.send(group.id, &a, &sa).await;
    commits.push(vec![Item::Entry(group.id, m.seq)]);
    let (chat, _) = w.direct(&a, &c).await;
    commits.push(vec![Item::Event(a.id, EventSeq(2)), Item::Event(c.id, EventSeq(1))]);
    let m = w.send(chat.id, &a, &sa).await;
    commits.push(vec![Item::Entry(chat.id, m.seq)]);
    let added = w.add(group.id, &a, &[&c]).await;
    flagged.insert(Item::Entry(group.id, added.seq));
    commits.push(vec![Item::Entry(group.id, added.seq), Item::Event(c.id, EventSeq(2))]);
    let info = new_entry(log.append(notice(group.id, &a, json!({"event": "info_changed"}), vec![])).await);
    commits.push(vec![Item::Entry(group.id, info.seq)]);
    let removed = w.remove(group.id, &a, &[&b]).await;
    flagged.insert(Item::Entry(group.id, removed.seq));
    commits.push(vec![Item::Entry(group.id, removed.seq), Item::Event(b.id, EventSeq(2))]);
    let m = w.send(group.id, &a, &sa).await;
    commits.push(vec![Item::Entry(group.id, m.seq)]);

    let head = log.log_head().await.unwrap();
    let (items, next) = w.tail_holding(start, Item::Entry(group.id, m.seq)).await;
    // The head is the adapter's: SQLite's moves with each commit to the log, PostgreSQL's with
    // every transaction. Either way the last page ends at (or past) the head read before it.
    assert!(next >= head, "the last page ends at the head");
    let got: Vec<Item> = items.iter().map(Item::of).collect();
    // Within one commit the adapter orders items as it likes; commits follow each other.
    let mut at = 0;
    for commit in &commits {
        let mut part: Vec<Item> = got[at..(at + commit.len()).min(got.len())].to_vec();
        let mut expected = commit.clone();
        part.sort();
        expected.sort();
        assert_eq!(part, expected, "commit after {at} items, in {got:?}");
        at += commit.len();
    }
    assert_eq!(got.len(), at, "nothing else: {got:?}");
    for item in &items {
        if let Committed::Entry { entry, membership_changed } = item {
            let key = Item::of(item);
            assert_eq!(*membership_changed, flagged.contains(&key), "{key:?} flagged as changing membership");
            assert_eq!(log.entry(entry.conversation, entry.seq).await.unwrap().as_ref(), Some(entry.as_ref()));
        }
    }
    // From the head read after the last commit, the tail holds at most the end of what was
    // committed, never anything else: PostgreSQL's head is a commit line, which a transaction
    // still open elsewhere on the database server (another test's) may hold back a moment.
    let page = log.tail(head, 10).await.unwrap();
    let rest: Vec<Item> = page.items.iter().map(Item::of).collect();
    assert!(got.ends_with(&rest), "{rest:?} is the end of {got:?}");
    assert!(page.next >= head, "at the head, the tail waits there");
    let later = log.tail(next, 10).await.unwrap();
    assert!(later.items.is_empty() && later.next >= next);
    let first = log.tail(start, 3).await.unwrap();
    assert_eq!(first.items.len(), 3);
    assert!(first.next > start && first.next < head, "a full page's cursor is its last item's");
}

/// Read a page at a time of any length, the tail gives the same items as read at once: none
/// skipped, none twice.
pub async fn tail_pages_never_skip<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let sa = w.session(&a).await;
    let start = w.stores.log.log_head().await.unwrap();
    let group = w.group(&a, &[&b]).await;
    for i in 0..12 {
        w.send(group.id, &a, &sa).await;
        if i % 4 == 0 {
            let patch = MemberSettingsPatch { muted: Some(true), ..MemberSettingsPatch::default() };
            let events =
                vec![(b.id, AccountEvent::SettingsChanged { conversation: group.id, settings: patch.clone() })];
            w.stores.log.update_member_settings(group.id, b.id, patch, events, T0).await.unwrap();
        }
    }
    let (whole, _) = w.tail_of_len(start, 1 + 2 + 12 + 3).await;
    let whole: Vec<Item> = whole.iter().map(Item::of).collect();
    assert_eq!(whole.len(), 1 + 2 + 12 + 3);
    for len in [1, 2, 3, 7] {
        let (paged, paged_end) = w.tail_pages_of_len(start, len, whole.len()).await;
        assert_eq!(paged.iter().map(Item::of).collect::<Vec<_>>(), whole, "pages of {len}");
        assert!(w.tail_from(paged_end, len).await.0.is_empty(), "and nothing lies past their end");
    }
    // From the middle, the rest.
    let (head, mid) = w.tail_pages_of_len(start, 5, 5).await;
    assert_eq!(head.len(), 5);
    let (rest, _) = w.tail_pages_of_len(mid, 4, whole.len() - 5).await;
    assert_eq!(rest.iter().map(Item::of).collect::<Vec<_>>(), whole[5..]);
}

/// After each commit that reaches the tail, a `Wake::Log` carries what it committed, in the
/// tail's order, between cursors that chain from one wake to the next (one writer here).
pub async fn wake_carries_what_the_tail_holds<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let sa = w.session(&a).await;
    let start = w.stores.log.log_head().await.unwrap();
    let mut wakes = w.bus.subscribe();
    let group = w.group(&a, &[&b]).await;
    for _ in 0..3 {
        w.send(group.id, &a, &sa).await;
    }
    w.stores
        .log
        .mark(
            group.id,
            b.id,
            Some(Seq(2)),
            None,
            vec![(b.id, AccountEvent::Read { conversation: group.id, seq: Seq(2) })],
            T0,
        )
        .await
        .unwrap();
    let head = w.stores.log.log_head().await.unwrap();
    let (tail, _) = w.tail_holding(start, Item::Event(b.id, EventSeq(2))).await;
    let tail: Vec<Item> = tail.iter().map(Item::of).collect();

    let mut carried = vec![];
    let mut previous: Option<LogCursor> = None;
    let mut reached = start;
    // Until the wakes have carried every item of the tail (SQLite's last wake ends at the head;
    // PostgreSQL's head lies past its last write).
    while carried.len() < tail.len() {
        let wake = match wakes.recv().await {
            Received::Wake(wake) => wake,
            other => panic!("the bus said {other:?}"),
        };
        let Wake::Log { from, to, items } = wake.as_ref() else { continue };
        assert!(*to > reached, "each wake moves on");
        if let Some(from) = from {
            assert_eq!(Some(*from), previous.or(Some(start)), "wakes chain: each starts where the last ended");
            let page = w.stores.log.tail(*from, 1000).await.unwrap();
            let next: Vec<Item> = page.items.iter().take(items.len()).map(Item::of).collect();
            assert_eq!(next, items.iter().map(Item::of).collect::<Vec<_>>(), "the tail after `from` starts with them");
        }
        carried.extend(items.iter().map(Item::of));
        previous = Some(*to);
        reached = *to;
    }
    assert!(reached <= head, "no wake ends past the head");
    assert_eq!(carried, tail, "the wakes carry the tail, in order");
}

/// What an append acknowledged is there after a restart: the entry, its client id (a retry is
/// a duplicate), its place in the tail, and the next seq follows it.
pub async fn committed_appends_survive_a_restart<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let sent = w.send(group.id, &a, &sa).await;
    let cmid = sent.client_msg_id.clone().unwrap();
    let head = w.stores.log.log_head().await.unwrap();
    let (before, end) = w.tail_holding(LogCursor::START, Item::Entry(group.id, sent.seq)).await;

    let w = w.restart().await;
    let log = &w.stores.log;
    assert_eq!(log.entry(group.id, sent.seq).await.unwrap().as_ref(), Some(sent.as_ref()));
    let retry = log.append(message(group.id, &a, &sa, &cmid, "hello")).await.unwrap().unwrap();
    assert!(matches!(retry, Appended::Duplicate(e) if e.seq == sent.seq), "idempotent across a restart");
    assert!(w.tail_from(end, 1000).await.0.is_empty(), "the replay added nothing to the log");
    let (after, _) = w.tail_holding(LogCursor::START, Item::Entry(group.id, sent.seq)).await;
    assert_eq!(after.iter().map(Item::of).collect::<Vec<_>>(), before.iter().map(Item::of).collect::<Vec<_>>());
    let next = w.send(group.id, &b, &w.session(&b).await).await;
    assert_eq!(next.seq, Seq(sent.seq.0 + 1));
    assert!(log.log_head().await.unwrap() > head);
}

/// A domain's groups for its administrators: newest first, paged by id, filtered by a name
/// fragment taken literally and ignoring case, dissolved ones only when asked, never another
/// domain's groups nor direct chats.
pub async fn domain_groups_list_a_domains_groups<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let sales = w.group_named(&a, &[&b], "Sales 销售").await;
    let support = w.group_named(&a, &[], "Support_100%").await;
    let gone = w.group_named(&a, &[&b], "Sales archive").await;
    w.direct(&a, &b).await;
    let other_name = magpie_core::names::DomainName::parse("other.example").unwrap();
    let other = w.stores.accounts.create_domain(&other_name, T0).await.unwrap().expect("a new domain");
    let outsider = w.account_in(&other, "eve").await;
    w.group_named(&outsider, &[], "Sales elsewhere").await;
    log.append(notice(gone.id, &a, json!({"event": "dissolved"}), vec![Effect::Dissolve])).await.unwrap().unwrap();

    let ids = |groups: Vec<magpie_core::chat::Conversation>| groups.iter().map(|g| g.id).collect::<Vec<_>>();
    let domain = a.domain_id;
    assert_eq!(ids(log.domain_groups(domain, None, false, None, 10).await.unwrap()), [support.id, sales.id]);
    assert_eq!(ids(log.domain_groups(domain, None, true, None, 10).await.unwrap()), [gone.id, support.id, sales.id]);
    assert_eq!(ids(log.domain_groups(domain, Some("sales"), true, None, 10).await.unwrap()), [gone.id, sales.id]);
    assert_eq!(ids(log.domain_groups(domain, Some("销售"), false, None, 10).await.unwrap()), [sales.id]);
    // Wildcards are only characters.
    assert_eq!(ids(log.domain_groups(domain, Some("_100%"), false, None, 10).await.unwrap()), [support.id]);
    assert!(log.domain_groups(domain, Some("%"), false, None, 10).await.unwrap().iter().all(|g| g.id == support.id));
    // Pages.
    assert_eq!(ids(log.domain_groups(domain, None, true, None, 2).await.unwrap()), [gone.id, support.id]);
    assert_eq!(ids(log.domain_groups(domain, None, true, Some(support.id), 2).await.unwrap()), [sales.id]);
    // The listed group is whole.
    let listed = log.domain_groups(domain, Some("Support"), false, None, 1).await.unwrap();
    assert_eq!(listed, vec![log.conversation(support.id).await.unwrap().unwrap()]);
    let elsewhere = log.domain_groups(other.id, None, true, None, 10).await.unwrap();
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[0].domain_id, other.id);
}
