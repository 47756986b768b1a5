//! Writes that race: what the port's contract says of appends to one conversation, replays of
//! one send, a membership change against a send, direct chats opened from both ends, events
//! of one account, uploads against one quota, and marks.
//!
//! Each check starts its writers together (behind a barrier) on a runtime with two worker
//! threads, and checks an outcome that holds whichever order they commit in.

use std::collections::BTreeSet;
use std::sync::Arc;

use magpie_core::Error;
use magpie_core::chat::{AccountEvent, Appended, MemberSettingsPatch};
use magpie_core::files::{FILE_BYTES_MIN, FileId, Upload};
use magpie_core::model::{EventSeq, Seq};
use tokio::sync::Barrier;

use crate::StoreFactory;
use crate::fixtures::{DAY_MS, T0, World, add_members, direct, message, new_entry, remove_members};

/// Writers per race.
const WRITERS: usize = 8;

/// Appends racing on one conversation get consecutive seqs: every one of them, once, with no
/// gap, each writer's in the order it sent them.
pub async fn racing_appends_get_consecutive_seqs<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let start = Arc::new(Barrier::new(WRITERS));
    let per_writer = 10;
    let mut tasks = vec![];
    for i in 0..WRITERS {
        let sender = if i % 2 == 0 { a.clone() } else { b.clone() };
        let session = w.session(&sender).await;
        let (log, start) = (w.stores.log.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut seqs = vec![];
            for n in 0..per_writer {
                let append = message(group.id, &sender, &session, &format!("w{i}n{n}"), "race");
                seqs.push(new_entry(log.append(append).await).seq);
            }
            seqs
        }));
    }
    let mut all = BTreeSet::new();
    for task in tasks {
        let seqs = task.await.unwrap();
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "one writer's appends in its order: {seqs:?}");
        for seq in seqs {
            assert!(all.insert(seq), "seq {} given twice", seq.0);
        }
    }
    let n = i64::try_from(WRITERS * per_writer).unwrap();
    let expected: BTreeSet<Seq> = (2..=n + 1).map(Seq).collect();
    assert_eq!(all, expected, "dense after the opening notice");
    assert_eq!(w.stores.log.conversation(group.id).await.unwrap().unwrap().last_seq, Seq(n + 1));
}

/// The same send racing from several tasks is stored once: one task gets it as new, the
/// others as a duplicate of that very entry.
pub async fn racing_replays_store_one_entry<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let a = w.account("alice").await;
    let group = w.group(&a, &[]).await;
    let session = w.session(&a).await;
    for round in 0..5 {
        let start = Arc::new(Barrier::new(WRITERS));
        let mut tasks = vec![];
        for _ in 0..WRITERS {
            let (log, start, a, session) = (w.stores.log.clone(), start.clone(), a.clone(), session.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                log.append(message(group.id, &a, &session, &format!("same-{round}"), "once")).await.unwrap().unwrap()
            }));
        }
        let mut new = vec![];
        let mut entries = vec![];
        for task in tasks {
            let appended = task.await.unwrap();
            if let Appended::New(e) = &appended {
                new.push(e.seq);
            }
            entries.push(appended.entry().clone());
        }
        assert_eq!(new.len(), 1, "one of them is new");
        assert!(entries.iter().all(|e| e == &entries[0]), "all answer the same entry");
        assert_eq!(entries[0].seq, Seq(round + 2));
    }
    assert_eq!(
        w.stores.log.conversation(group.id).await.unwrap().unwrap().last_seq,
        Seq(6),
        "five sends, five entries"
    );
}

/// Messages to many conversations at once (a store may commit them together) stand alone:
/// each is stored or refused on its own merits. A send by a non-member is refused without
/// taking the others down, and one client message id sent to two conversations at once is
/// stored once, the other send answering that very entry as a duplicate.
pub async fn concurrent_messages_stand_alone<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let mut groups = vec![];
    for _ in 0..WRITERS {
        groups.push(w.group(&a, &[]).await.id);
    }
    let not_hers = w.group(&b, &[]).await.id;
    let session = w.session(&a).await;
    let rounds = 5;
    for round in 0..rounds {
        let mut sends = vec![];
        for (i, group) in groups.iter().enumerate() {
            sends.push(message(*group, &a, &session, &format!("r{round}g{i}"), "hello"));
        }
        sends.push(message(not_hers, &a, &session, &format!("r{round}out"), "not a member"));
        sends.push(message(groups[0], &a, &session, &format!("r{round}twin"), "twin"));
        sends.push(message(groups[1], &a, &session, &format!("r{round}twin"), "twin"));
        let start = Arc::new(Barrier::new(sends.len()));
        let mut tasks = vec![];
        for append in sends {
            let (log, start) = (w.stores.log.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                log.append(append).await.expect("the store failed")
            }));
        }
        let mut outcomes = vec![];
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let twins = outcomes.split_off(WRITERS + 1);
        let refused = outcomes.pop().unwrap();
        assert!(matches!(refused, Err(Error::NotFound("conversation"))), "a non-member's send: {refused:?}");
        for (i, outcome) in outcomes.iter().enumerate() {
            let Ok(Appended::New(entry)) = outcome else { panic!("send {i} of round {round}: {outcome:?}") };
            assert_eq!(entry.conversation, groups[i]);
            assert_eq!(entry.client_msg_id.as_deref(), Some(format!("r{round}g{i}").as_str()));
        }
        let (new, duplicate): (Vec<_>, Vec<_>) =
            twins.iter().map(|t| t.as_ref().expect("a twin refused")).partition(|t| matches!(t, Appended::New(_)));
        assert_eq!((new.len(), duplicate.len()), (1, 1), "one twin stored, one duplicate: {twins:?}");
        assert_eq!(new[0].entry(), duplicate[0].entry(), "the duplicate answers the stored entry");
    }
    let mut entries = 0;
    for group in &groups {
        let conversation = w.stores.log.conversation(*group).await.unwrap().unwrap();
        entries += conversation.last_seq.0 - 1;
    }
    let expected = i64::try_from(WRITERS).unwrap() * rounds + rounds;
    assert_eq!(entries, expected, "every send once, each twin once, after the opening notices");
    let theirs = w.stores.log.conversation(not_hers).await.unwrap().unwrap();
    assert_eq!(theirs.last_seq, Seq(1), "nothing reached the conversation of the refused send");
}

/// A member's send racing its removal either is refused or lands before the removal, never
/// after it; a send racing the sender's addition either is refused or lands after it.
pub async fn removal_racing_a_send<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sb = w.session(&b).await;
    for round in 0..20 {
        let start = Arc::new(Barrier::new(2));
        let (log, s, b2, sb2) = (w.stores.log.clone(), start.clone(), b.clone(), sb.clone());
        let send = tokio::spawn(async move {
            s.wait().await;
            log.append(message(group.id, &b2, &sb2, &format!("out{round}"), "quick")).await.unwrap()
        });
        let (log, s, a2, b2) = (w.stores.log.clone(), start.clone(), a.clone(), b.clone());
        let removal = tokio::spawn(async move {
            s.wait().await;
            new_entry(log.append(remove_members(group.id, &a2, &[&b2])).await)
        });
        let (sent, removed) = (send.await.unwrap(), removal.await.unwrap());
        match sent {
            Ok(appended) => assert!(appended.entry().seq < removed.seq, "a send landed after its sender's removal"),
            Err(e) => assert!(matches!(e, Error::NotFound(_)), "refused as no member: {e:?}"),
        }
        assert_eq!(w.stores.log.member(group.id, b.id).await.unwrap().unwrap().left_seq, Some(removed.seq));

        let start = Arc::new(Barrier::new(2));
        let (log, s, b2, sb2) = (w.stores.log.clone(), start.clone(), b.clone(), sb.clone());
        let send = tokio::spawn(async move {
            s.wait().await;
            log.append(message(group.id, &b2, &sb2, &format!("in{round}"), "eager")).await.unwrap()
        });
        let (log, s, a2, b2) = (w.stores.log.clone(), start.clone(), a.clone(), b.clone());
        let addition = tokio::spawn(async move {
            s.wait().await;
            new_entry(log.append(add_members(group.id, &a2, &[&b2])).await)
        });
        let (sent, added) = (send.await.unwrap(), addition.await.unwrap());
        match sent {
            Ok(appended) => assert!(appended.entry().seq > added.seq, "a send landed before its sender joined"),
            Err(e) => assert!(matches!(e, Error::NotFound(_)), "refused as no member: {e:?}"),
        }
    }
}

/// A direct chat opened from both ends at once is one chat.
pub async fn racing_direct_chat_creation<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let start = Arc::new(Barrier::new(WRITERS));
    let mut tasks = vec![];
    for i in 0..WRITERS {
        let new = if i % 2 == 0 { direct(&a, &b) } else { direct(&b, &a) };
        let (log, start) = (w.stores.log.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            log.create_conversation(new).await.unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    let mut created = 0;
    for task in tasks {
        let (conversation, new) = task.await.unwrap();
        ids.insert(conversation.id);
        created += usize::from(new);
    }
    assert_eq!((ids.len(), created), (1, 1), "one chat, created once");
    let id = *ids.first().unwrap();
    assert_eq!(w.stores.log.members(id, None, 10).await.unwrap().len(), 2);
    assert_eq!(w.events(&a).await.len(), 1, "joined once");
}

/// Events logged for one account by racing writes get its next event seqs: dense, each once.
pub async fn racing_events_are_dense_per_account<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let (other, _) = w.direct(&a, &b).await;
    let start = Arc::new(Barrier::new(WRITERS));
    let per_writer = 5;
    let mut tasks = vec![];
    for i in 0..WRITERS {
        let (log, start) = (w.stores.log.clone(), start.clone());
        let (conversation, account) = (if i % 2 == 0 { group.id } else { other.id }, a.id);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            for n in 0..per_writer {
                let patch = MemberSettingsPatch { draft: Some(format!("{i}/{n}")), ..MemberSettingsPatch::default() };
                let events = vec![(account, AccountEvent::SettingsChanged { conversation, settings: patch.clone() })];
                log.update_member_settings(conversation, account, patch, events, T0).await.unwrap().unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let events = w.stores.log.account_events(a.id, EventSeq(0), 1000).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq.0).collect();
    let total = i64::try_from(2 + WRITERS * per_writer).unwrap();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "two joins, then every settings change, each once");
}

/// Uploads racing against one quota: the check and the insert are one write, so no more
/// are recorded than fit.
pub async fn racing_uploads_respect_the_quota<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let a = w.account("alice").await;
    let quota = 10 * FILE_BYTES_MIN;
    let start = Arc::new(Barrier::new(WRITERS));
    let mut tasks = vec![];
    for _ in 0..WRITERS {
        let (files, start) = (w.stores.files.clone(), start.clone());
        let upload = Upload {
            id: FileId::random(),
            account: a.id,
            length: 3 * FILE_BYTES_MIN,
            offset: 0,
            name: None,
            declared_type: None,
            created_at_ms: T0,
            expires_at_ms: T0 + DAY_MS,
        };
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            files.create_upload(&upload, quota).await.unwrap()
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        recorded += usize::from(task.await.unwrap());
    }
    assert_eq!(recorded, 3, "three of three-tenths fit in the quota, whoever wins");
    assert_eq!(w.stores.files.bytes_used(a.id).await.unwrap(), 9 * FILE_BYTES_MIN);
}

/// Marks racing from several devices end at the highest any of them set.
pub async fn racing_marks_keep_the_highest<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    for _ in 0..WRITERS {
        w.send(group.id, &a, &sa).await;
    }
    let start = Arc::new(Barrier::new(WRITERS));
    let mut tasks = vec![];
    for i in 0..WRITERS {
        let (log, start) = (w.stores.log.clone(), start.clone());
        let seq = Seq(i64::try_from(i).unwrap() + 2);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            log.mark(group.id, b.id, Some(seq), Some(seq), vec![], T0).await.unwrap().unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let m = w.stores.log.member(group.id, b.id).await.unwrap().unwrap();
    let top = Seq(i64::try_from(WRITERS).unwrap() + 1);
    assert_eq!((m.read_seq, m.delivered_seq), (top, top));
}

/// A reader paging the sync cursor (`summaries` by activity, ascending) while appends race on
/// several conversations ends having seen every conversation as it finally is: an append never
/// lands below a cursor a reader has already passed.
pub async fn sync_cursor_never_misses_a_conversation<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let mut groups = vec![];
    for _ in 0..WRITERS {
        groups.push(w.group(&a, &[&b]).await.id);
    }
    let start = Arc::new(Barrier::new(WRITERS + 1));
    let mut tasks = vec![];
    for (i, group) in groups.iter().copied().enumerate() {
        let (log, start, a) = (w.stores.log.clone(), start.clone(), a.clone());
        let session = w.session(&a).await;
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            for n in 0..10 {
                new_entry(log.append(message(group, &a, &session, &format!("g{i}n{n}"), "x")).await);
            }
        }));
    }
    let log = w.stores.log.clone();
    let reader = tokio::spawn({
        let start = start.clone();
        async move {
            start.wait().await;
            let mut seen = std::collections::BTreeMap::new();
            let mut cursor = magpie_core::model::Activity(0);
            for _ in 0..10_000 {
                let page = log.summaries(b.id, cursor, true, 3).await.unwrap();
                for s in &page {
                    assert!(s.conversation.activity > cursor, "a page goes forward");
                    seen.insert(s.conversation.id, s.conversation.last_seq);
                    cursor = s.conversation.activity;
                }
                if page.is_empty() {
                    tokio::task::yield_now().await;
                }
                if seen.len() == WRITERS && seen.values().all(|s| *s == Seq(11)) {
                    break;
                }
            }
            (seen, cursor)
        }
    });
    for task in tasks {
        task.await.unwrap();
    }
    let (mut seen, cursor) = reader.await.unwrap();
    // What the reader had not reached yet, it reads now, from where it stood.
    for s in w.stores.log.summaries(b.id, cursor, true, 100).await.unwrap() {
        seen.insert(s.conversation.id, s.conversation.last_seq);
    }
    for group in groups {
        assert_eq!(seen.get(&group), Some(&Seq(11)), "conversation {} as it finally is", group.0);
    }
}

/// A reader following the tail while writers race (as a follower does without wakes) reads
/// every item exactly once, in the order a reading of the whole tail gives afterwards.
pub async fn tail_read_while_writing_never_skips<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let start_cursor = w.stores.log.log_head().await.unwrap();
    let start = Arc::new(Barrier::new(WRITERS + 1));
    let mut tasks = vec![];
    for i in 0..WRITERS {
        let (log, start) = (w.stores.log.clone(), start.clone());
        let sender = if i % 2 == 0 { a.clone() } else { b.clone() };
        let session = w.session(&sender).await;
        let gid = group.id;
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            for n in 0..10 {
                new_entry(log.append(message(gid, &sender, &session, &format!("w{i}n{n}"), "x")).await);
                let patch = MemberSettingsPatch { draft: Some(format!("{i}/{n}")), ..MemberSettingsPatch::default() };
                let events =
                    vec![(sender.id, AccountEvent::SettingsChanged { conversation: gid, settings: patch.clone() })];
                log.update_member_settings(gid, sender.id, patch, events, T0).await.unwrap().unwrap();
            }
        }));
    }
    let log = w.stores.log.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let (start, done) = (start.clone(), done.clone());
        async move {
            start.wait().await;
            let mut read = vec![];
            let mut cursor = start_cursor;
            loop {
                // Seen done before the read: everything is committed. PostgreSQL's commit line
                // may still be held back a moment by a transaction open elsewhere on the
                // database server (another test's), so the reader reads on until it has it all.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) && read.len() >= WRITERS * 10 * 2;
                let page = log.tail(cursor, 7).await.unwrap();
                assert!(page.next >= cursor, "the cursor never goes back");
                read.extend(page.items.iter().map(crate::fixtures::Item::of));
                cursor = page.next;
                if page.items.is_empty() {
                    if finished {
                        return read;
                    }
                    tokio::task::yield_now().await;
                }
            }
        }
    });
    for task in tasks {
        task.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let read = reader.await.unwrap();
    let (whole, _) = w.tail_of_len(start_cursor, WRITERS * 10 * 2).await;
    let whole: Vec<crate::fixtures::Item> = whole.iter().map(crate::fixtures::Item::of).collect();
    assert_eq!(whole.len(), WRITERS * 10 * 2);
    assert_eq!(read, whole, "read while written: the same items, once each, in the same order");
}
