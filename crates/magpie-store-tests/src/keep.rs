//! What a conversation and a person keep: pinned messages (written by the log's
//! [`Effect::Pin`], read with [`ConversationLog::pins`](magpie_core::ports::ConversationLog::pins))
//! and saved messages ([`SavedStore`](magpie_core::ports::SavedStore)), with what a recall does
//! to both.

use std::sync::{Arc, Mutex};

use magpie_core::Error;
use magpie_core::chat::{AccountEvent, ConversationKind, Effect, Pins, SharedKind};
use magpie_core::model::{Account, AccountId, ConversationId, SavedId, Seq};
use magpie_core::saved::{NewSaved, SaveCheck, SavedItem, may_save};
use serde_json::json;
use tokio::sync::Barrier;

use crate::StoreFactory;
use crate::fixtures::{T0, World, member_check, message, new_entry, op};

/// A pin or unpin notice by `by` naming `target`, whose check records the pins it was shown and
/// refuses what the core refuses (a second pin, an unpin of what is not pinned).
fn pin(
    conversation: ConversationId,
    by: &Account,
    target: Seq,
    on: bool,
    seen: &Arc<Mutex<Vec<Option<Pins>>>>,
) -> magpie_core::chat::Append {
    let event = if on { "message_pinned" } else { "message_unpinned" };
    let body = json!({"event": event, "by": by.addr.to_string(), "seq": target.0});
    let mut append = op(conversation, by, "system", body, target, vec![Effect::Pin(on)]);
    let seen = seen.clone();
    let member = member_check();
    append.check = Box::new(move |p| {
        member(p)?;
        seen.lock().unwrap().push(p.pins);
        match p.pins {
            Some(pins) if on && pins.target_pinned => Err(Error::AlreadyExists("pin")),
            Some(pins) if !on && !pins.target_pinned => Err(Error::NotFound("pin")),
            Some(_) => Ok(()),
            None => Err(Error::Internal("the check was not shown the pins".into())),
        }
    });
    append
}

/// A save by `account` of the entry at `seq`, checked by the core's own rule.
fn save(
    account: &Account,
    conversation: ConversationId,
    seq: Seq,
    note: Option<&str>,
    peer: Option<AccountId>,
) -> NewSaved {
    let domain = account.domain_id;
    NewSaved {
        account: account.id,
        conversation,
        seq,
        peer,
        note: note.map(str::to_owned),
        at_ms: T0 + 5,
        check: Box::new(move |p| may_save(p, domain)),
    }
}

/// A save checked by the core's rule, recording the count of items it was shown and refusing
/// from `max` on (a bound the check can reach without filling the core's).
fn refused_save(
    account: &Account,
    conversation: ConversationId,
    seq: Seq,
    seen: &Arc<Mutex<Vec<usize>>>,
    max: usize,
) -> NewSaved {
    let (seen, domain) = (seen.clone(), account.domain_id);
    let check: SaveCheck = Box::new(move |p| {
        seen.lock().unwrap().push(p.saved);
        may_save(p, domain)?;
        if p.saved >= max { Err(Error::LimitExceeded("saved")) } else { Ok(()) }
    });
    NewSaved { check, ..save(account, conversation, seq, None, None) }
}

/// Pins are written by their notices, seen by the next pin's check, listed latest first with who
/// pinned them, and go with their unpin; a refused pin changes nothing.
pub async fn pins_follow_their_notices<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let (m1, m2, m3) =
        (w.send(group.id, &a, &sa).await, w.send(group.id, &a, &sa).await, w.send(group.id, &a, &sa).await);
    let seen = Arc::new(Mutex::new(vec![]));

    let first = new_entry(log.append(pin(group.id, &a, m1.seq, true, &seen)).await);
    assert_eq!((first.kind.as_str(), first.target), ("system", Some(m1.seq)), "a pin is a notice naming its message");
    let mut second = pin(group.id, &b, m2.seq, true, &seen);
    second.entry.at_ms = T0 + 7;
    let second = new_entry(log.append(second).await);
    let again = log.append(pin(group.id, &a, m1.seq, true, &seen)).await.unwrap();
    assert!(matches!(again, Err(Error::AlreadyExists(_))), "{again:?}");
    let not_pinned = log.append(pin(group.id, &a, m3.seq, false, &seen)).await.unwrap();
    assert!(matches!(not_pinned, Err(Error::NotFound(_))), "{not_pinned:?}");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Some(Pins { count: 0, target_pinned: false }),
            Some(Pins { count: 1, target_pinned: false }),
            Some(Pins { count: 2, target_pinned: true }),
            Some(Pins { count: 2, target_pinned: false }),
        ],
        "each check sees the pins as they stand"
    );
    assert_eq!(log.conversation(group.id).await.unwrap().unwrap().last_seq, second.seq, "refusals appended nothing");

    let pins = log.pins(group.id, Seq(1), None, b.id).await.unwrap();
    let listed: Vec<(Seq, String, i64, Seq)> =
        pins.iter().map(|p| (p.entry.seq, p.by.to_string(), p.at_ms, p.notice_seq)).collect();
    assert_eq!(
        listed,
        [(m2.seq, b.addr.to_string(), T0 + 7, second.seq), (m1.seq, a.addr.to_string(), T0, first.seq)],
        "the latest pin first, with who pinned it and when"
    );
    assert_eq!(pins[0].entry.body, Some(json!({"text": "hello"})), "with the message as it is");
    assert!(log.pins(group.id, Seq(m2.seq.0 + 1), None, b.id).await.unwrap().is_empty(), "nothing below the floor");
    let below = log.pins(group.id, Seq(1), Some(m2.seq), b.id).await.unwrap();
    assert_eq!(below.iter().map(|p| p.entry.seq).collect::<Vec<_>>(), [m1.seq], "nothing at or past the ceiling");

    log.hide_entries(group.id, b.id, vec![m2.seq], vec![], T0).await.unwrap();
    let for_b = log.pins(group.id, Seq(1), None, b.id).await.unwrap();
    assert!(for_b[0].entry.hidden && for_b[0].entry.body.is_none(), "hidden for the one who hid it");
    assert!(!log.pins(group.id, Seq(1), None, a.id).await.unwrap()[0].entry.hidden, "and for nobody else");

    new_entry(log.append(pin(group.id, &a, m1.seq, false, &seen)).await);
    let left: Vec<Seq> = log.pins(group.id, Seq(1), None, a.id).await.unwrap().iter().map(|p| p.entry.seq).collect();
    assert_eq!(left, [m2.seq], "an unpin takes its message off the list");
    let other = w.group(&a, &[&b]).await;
    assert!(log.pins(other.id, Seq(1), None, a.id).await.unwrap().is_empty(), "pins are per conversation");
}

/// A recall unpins its message and erases every saved copy of it, telling each saver's log (and
/// takes it out of the shared items, as every recall does).
pub async fn recall_unpins_and_erases_saved_copies<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b, &c]).await;
    let sa = w.session(&a).await;
    let mut link = message(group.id, &a, &sa, "link", "see https://x.example/menu");
    link.effects.push(Effect::Share(SharedKind::Link));
    let (target, other) = (new_entry(log.append(link).await), w.send(group.id, &a, &sa).await);
    let seen = Arc::new(Mutex::new(vec![]));
    new_entry(log.append(pin(group.id, &a, target.seq, true, &seen)).await);
    new_entry(log.append(pin(group.id, &a, other.seq, true, &seen)).await);
    let (b_item, _) = w.stores.saved.save(save(&b, group.id, target.seq, Some("keep"), None)).await.unwrap().unwrap();
    let (c_item, _) = w.stores.saved.save(save(&c, group.id, target.seq, None, None)).await.unwrap().unwrap();
    let (c_other, _) = w.stores.saved.save(save(&c, group.id, other.seq, None, None)).await.unwrap().unwrap();

    let mut recall = op(group.id, &a, "recall", json!({}), target.seq, Effect::recall());
    recall.entry.at_ms = T0 + 900;
    new_entry(log.append(recall).await);
    let pinned: Vec<Seq> = log.pins(group.id, Seq(1), None, b.id).await.unwrap().iter().map(|p| p.entry.seq).collect();
    assert_eq!(pinned, [other.seq], "the recalled message is no longer pinned");
    let links = log.shared(group.id, SharedKind::Link, None, Seq(1), None, 10, b.id).await.unwrap();
    assert!(links.is_empty(), "nor one of the shared items: {links:?}");
    for (who, item) in [(&b, &b_item), (&c, &c_item)] {
        let now = w.stores.saved.saved_item(who.id, item.id).await.unwrap().expect("the item stays");
        assert_eq!((now.body, now.recalled_at_ms), (None, Some(T0 + 900)), "its content is erased");
        assert_eq!((now.kind.as_str(), now.note.as_deref()), (item.kind.as_str(), item.note.as_deref()));
        assert_eq!(
            w.events(who).await.last(),
            Some(&AccountEvent::SavedChanged { id: item.id }),
            "its owner hears of it"
        );
    }
    let kept = w.stores.saved.saved_item(c.id, c_other.id).await.unwrap().unwrap();
    assert!(kept.body.is_some() && kept.recalled_at_ms.is_none(), "a copy of another message is untouched");
    assert!(!w.events(&a).await.iter().any(|e| matches!(e, AccountEvent::SavedChanged { .. })), "nor told anyone else");
}

/// A save copies the message as it stands at commit (an edit included, later edits not), names
/// where it came from, logs `saved_changed`, and a second save of it returns the first, unchanged.
pub async fn a_save_copies_the_message_at_commit<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let saved = &w.stores.saved;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let target = w.send(group.id, &a, &sa).await;
    let body = json!({"text": "hello, edited"});
    new_entry(
        w.stores
            .log
            .append(op(group.id, &a, "edit", body.clone(), target.seq, vec![Effect::EditTarget(body.clone())]))
            .await,
    );

    let (item, new) = saved.save(save(&b, group.id, target.seq, Some("for Friday"), None)).await.unwrap().unwrap();
    assert!(new);
    let expected = SavedItem {
        id: item.id,
        account: b.id,
        conversation: group.id,
        conversation_kind: ConversationKind::Group,
        conversation_name: Some("the group".into()),
        peer: None,
        seq: target.seq,
        sender: a.addr.clone(),
        kind: "text".into(),
        body: Some(body),
        at_ms: target.at_ms,
        note: Some("for Friday".into()),
        saved_at_ms: T0 + 5,
        recalled_at_ms: None,
    };
    assert_eq!(item, expected);
    assert_eq!(w.events(&b).await.last(), Some(&AccountEvent::SavedChanged { id: item.id }));
    let events = w.events(&b).await.len();

    let later = json!({"text": "changed my mind"});
    new_entry(
        w.stores.log.append(op(group.id, &a, "edit", later.clone(), target.seq, vec![Effect::EditTarget(later)])).await,
    );
    assert_eq!(saved.saved_item(b.id, item.id).await.unwrap(), Some(expected.clone()), "a later edit leaves the copy");
    let (again, new) = saved.save(save(&b, group.id, target.seq, Some("other"), None)).await.unwrap().unwrap();
    assert!(!new);
    assert_eq!(again, expected, "saving again returns the item as it was");
    assert_eq!(w.events(&b).await.len(), events, "and logs nothing");
    assert_eq!(saved.saved_item(a.id, item.id).await.unwrap(), None, "an item is its owner's alone");

    let (direct, _) = w.direct(&a, &b).await;
    let note = w.send(direct.id, &b, &w.session(&b).await).await;
    let (in_direct, _) = saved.save(save(&b, direct.id, note.seq, None, Some(a.id))).await.unwrap().unwrap();
    assert_eq!(
        (
            in_direct.conversation_kind,
            in_direct.conversation_name,
            in_direct.peer.map(|p| p.to_string()),
            in_direct.note
        ),
        (ConversationKind::Direct, None, Some(a.addr.to_string()), None),
        "a direct chat's item names the peer"
    );
}

/// A save's check sees the membership, the entry and the count at commit; a refused save
/// changes nothing; a recalled message cannot be saved.
pub async fn a_refused_save_changes_nothing<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let saved = &w.stores.saved;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let (m1, m2) = (w.send(group.id, &a, &sa).await, w.send(group.id, &a, &sa).await);
    let seen = Arc::new(Mutex::new(vec![]));
    saved.save(refused_save(&b, group.id, m1.seq, &seen, 1)).await.unwrap().unwrap();
    let events = w.events(&b).await.len();
    let full = saved.save(refused_save(&b, group.id, m2.seq, &seen, 1)).await.unwrap();
    assert!(matches!(full, Err(Error::LimitExceeded(_))), "{full:?}");
    assert_eq!(*seen.lock().unwrap(), [0, 1], "the check sees how many items the account has");
    let outsider = saved.save(save(&c, group.id, m1.seq, None, None)).await.unwrap();
    assert!(matches!(outsider, Err(Error::NotFound(_))), "{outsider:?}");
    let missing = saved.save(save(&b, group.id, Seq(99), None, None)).await.unwrap();
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    new_entry(w.stores.log.append(op(group.id, &a, "recall", json!({}), m2.seq, Effect::recall())).await);
    let recalled = saved.save(save(&b, group.id, m2.seq, None, None)).await.unwrap();
    assert!(matches!(recalled, Err(Error::NotFound(_))), "{recalled:?}");
    assert_eq!(saved.saved_items(b.id, None, 10).await.unwrap().len(), 1);
    assert!(saved.saved_items(c.id, None, 10).await.unwrap().is_empty());
    assert_eq!(w.events(&b).await.len(), events, "nothing logged");
}

/// Items page newest first; a note is set and cleared, and an item removed, by its owner alone,
/// each logged on its log.
pub async fn saved_items_page_and_change<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let saved = &w.stores.saved;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let mut ids = vec![];
    for _ in 0..3 {
        let m = w.send(group.id, &a, &sa).await;
        ids.push(saved.save(save(&b, group.id, m.seq, None, None)).await.unwrap().unwrap().0.id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "a later save has a larger id");
    let page: Vec<SavedId> = saved.saved_items(b.id, None, 2).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(page, [ids[2], ids[1]], "newest first");
    let next: Vec<SavedId> = saved.saved_items(b.id, Some(ids[1]), 2).await.unwrap().iter().map(|i| i.id).collect();
    assert_eq!(next, [ids[0]]);

    let changed = |id| vec![(b.id, AccountEvent::SavedChanged { id })];
    let item = saved.set_saved_note(b.id, ids[0], Some("why".into()), changed(ids[0]), T0).await.unwrap().unwrap();
    assert_eq!(item.note.as_deref(), Some("why"));
    assert_eq!(w.events(&b).await.last(), Some(&changed(ids[0])[0].1));
    let item = saved.set_saved_note(b.id, ids[0], None, changed(ids[0]), T0).await.unwrap().unwrap();
    assert_eq!(item.note, None, "cleared");
    let events = w.events(&b).await.len();
    assert_eq!(saved.set_saved_note(a.id, ids[0], Some("mine".into()), vec![], T0).await.unwrap(), None);
    assert!(!saved.remove_saved(a.id, ids[0], vec![], T0).await.unwrap(), "nobody else's to remove");
    let removed = vec![(b.id, AccountEvent::SavedRemoved { id: ids[0] })];
    assert!(saved.remove_saved(b.id, ids[0], removed.clone(), T0).await.unwrap());
    assert_eq!(w.events(&b).await.last(), Some(&removed[0].1));
    assert!(!saved.remove_saved(b.id, ids[0], removed.clone(), T0).await.unwrap(), "gone");
    assert_eq!(saved.set_saved_note(b.id, ids[0], Some("late".into()), changed(ids[0]), T0).await.unwrap(), None);
    assert_eq!(w.events(&b).await.len(), events + 1, "a change of nothing logs nothing");
    assert_eq!(saved.saved_item(b.id, ids[0]).await.unwrap(), None);
    assert_eq!(saved.saved_items(b.id, None, 10).await.unwrap().len(), 2);
}

/// A save racing a recall of the same message never leaves a copy with content: either the
/// save is refused, or the recall erases what it copied.
pub async fn a_save_racing_a_recall_keeps_no_content<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    for round in 0..20 {
        let target = w.send(group.id, &a, &sa).await.seq;
        let start = Arc::new(Barrier::new(2));
        let (stores, s, b2) = (w.stores.clone(), start.clone(), b.clone());
        let saving = tokio::spawn(async move {
            s.wait().await;
            stores.saved.save(save(&b2, group.id, target, None, None)).await.unwrap()
        });
        let (log, s, a2) = (w.stores.log.clone(), start.clone(), a.clone());
        let recall = tokio::spawn(async move {
            s.wait().await;
            let mut recall = op(group.id, &a2, "recall", json!({}), target, Effect::recall());
            recall.entry.at_ms = T0 + round;
            new_entry(log.append(recall).await)
        });
        let (saved, _) = (saving.await.unwrap(), recall.await.unwrap());
        match saved {
            Ok((item, _)) => {
                let now = w.stores.saved.saved_item(b.id, item.id).await.unwrap().unwrap();
                assert_eq!((now.body, now.recalled_at_ms), (None, Some(T0 + round)), "a copy outlived the recall");
            }
            Err(e) => assert!(matches!(e, Error::NotFound(_)), "refused as recalled: {e:?}"),
        }
    }
}
