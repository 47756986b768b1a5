//! The audit log's store ([`AuditStore`](magpie_core::ports::AuditStore)): records kept as
//! appended, field for field and across a restart, under ids that increase in commit order;
//! read through a filter whose every field narrows (its text matched literally); paged newest
//! first or, for an export, oldest first, each record once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use magpie_core::audit::{AuditActor, AuditFilter, AuditRecord, NewAuditRecord};
use magpie_core::model::{Domain, DomainId};
use magpie_core::names::DomainName;
use magpie_core::ports::AuditStore;
use serde_json::json;
use tokio::sync::Barrier;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

/// More than any check here appends: a read with it returns everything that matches.
const READ_ALL: usize = 1_000;

/// A record by the operator (no account, no session) of `action` on `target` at `at_ms`.
fn record(domain: Option<DomainId>, actor: &str, action: &str, target: &str, at_ms: i64) -> NewAuditRecord {
    NewAuditRecord {
        at_ms,
        domain,
        actor: AuditActor { account: None, name: actor.to_owned(), role: "operator".to_owned(), session: None },
        ip: None,
        action: action.to_owned(),
        target: target.to_owned(),
        before: None,
        after: Some(json!({ "target": target })),
    }
}

async fn append(store: &Arc<dyn AuditStore>, record: &NewAuditRecord) -> i64 {
    store.append_audit(record).await.expect("the store takes the record")
}

/// The ids of the records `filter` selects, in the order the store gives them.
async fn ids(store: &Arc<dyn AuditStore>, filter: AuditFilter) -> Vec<i64> {
    let records = store.audit_records(&filter, READ_ALL).await.unwrap();
    records.iter().map(|r| r.id).collect()
}

async fn second_domain<F: StoreFactory>(w: &World<'_, F>) -> Domain {
    let name = DomainName::parse("beta.example").unwrap();
    w.stores.accounts.create_domain(&name, T0).await.unwrap().expect("a new domain")
}

/// Every record `filter` selects, read a page of `page_len` at a time, newest first (with
/// `before_id`) or, with `oldest_first`, oldest first (with `after_id`).
async fn walk(store: &Arc<dyn AuditStore>, filter: &AuditFilter, page_len: usize, oldest_first: bool) -> Vec<i64> {
    let mut seen = vec![];
    let mut from = if oldest_first { Some(0) } else { None };
    loop {
        let page_filter = if oldest_first {
            AuditFilter { after_id: from, before_id: None, ..filter.clone() }
        } else {
            AuditFilter { before_id: from, after_id: None, ..filter.clone() }
        };
        let page = store.audit_records(&page_filter, page_len).await.unwrap();
        assert!(page.len() <= page_len, "a page longer than asked for");
        let Some(last) = page.last() else { return seen };
        from = Some(last.id);
        seen.extend(page.iter().map(|r| r.id));
    }
}

/// A record reads back as it was appended, field for field: the actor's account, name, role
/// and session, the address, the action, the target, and the fields before and after as the
/// JSON they were (nested objects and arrays, strings with quotes and non-ASCII, numbers of
/// each kind), or none; an operator's record has no account or session; the domain comes back
/// with its name, a deployment-wide record with none. Ids increase with each append, and a
/// read holds at most its limit, the newest first.
pub async fn audit_records_read_back_as_appended<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.audit;
    let alice = w.account("alice").await;
    let session = w.session(&alice).await;

    let disable = NewAuditRecord {
        at_ms: T0,
        domain: Some(w.domain.id),
        actor: AuditActor {
            account: Some(alice.id),
            name: alice.addr.to_string(),
            role: "domain_admin".to_owned(),
            session: Some(session.id),
        },
        ip: Some("2001:db8::7".to_owned()),
        action: "account.disable".to_owned(),
        target: "bob@acme.example".to_owned(),
        before: Some(json!({
            "disabled": false,
            "quota": { "bytes": 1_073_741_824_i64, "files": [1, 2.5, null, true, -3] },
            "display_name": "Bob \"the builder\" Ünal 鲍勃",
        })),
        after: Some(json!({ "disabled": true, "quota": { "bytes": 1_073_741_824_i64, "files": [] } })),
    };
    let new_domain = NewAuditRecord {
        at_ms: T0 + 1,
        domain: None,
        actor: AuditActor { account: None, name: "root".to_owned(), role: "operator".to_owned(), session: None },
        ip: None,
        action: "domain.create".to_owned(),
        target: "beta.example".to_owned(),
        before: None,
        after: Some(json!({ "name": "beta.example", "registration": "closed" })),
    };
    let removed = NewAuditRecord {
        at_ms: T0 + 2,
        action: "department.delete".to_owned(),
        target: "department 7 (Sales)".to_owned(),
        before: Some(json!({ "name": "Sales", "parent": null })),
        after: None,
        ..disable.clone()
    };

    let mut appended = vec![];
    for record in [&disable, &new_domain, &removed] {
        appended.push(append(store, record).await);
    }
    assert!(appended.windows(2).all(|p| p[0] < p[1]), "ids increase with each append: {appended:?}");

    let read = store.audit_records(&AuditFilter::default(), READ_ALL).await.unwrap();
    let acme = Some(w.domain.name.to_string());
    let expected = vec![
        AuditRecord { id: appended[2], domain_name: acme.clone(), record: removed.clone() },
        AuditRecord { id: appended[1], domain_name: None, record: new_domain.clone() },
        AuditRecord { id: appended[0], domain_name: acme, record: disable.clone() },
    ];
    assert_eq!(read, expected, "every record, newest first, as appended");

    let limited = store.audit_records(&AuditFilter::default(), 2).await.unwrap();
    assert_eq!(limited, expected[..2], "a read holds at most its limit, the newest");
    assert!(store.audit_records(&AuditFilter::default(), 0).await.unwrap().is_empty(), "a limit of 0 reads none");
}

/// What was appended is there after a restart, and what is appended next gets a larger id.
pub async fn audit_records_survive_a_restart<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let mut before_restart = vec![];
    for n in 0..3 {
        let r = record(Some(w.domain.id), "root", "account.create", &format!("user{n}@acme.example"), T0 + n);
        let id = append(&w.stores.audit, &r).await;
        before_restart.push(AuditRecord { id, domain_name: Some(w.domain.name.to_string()), record: r });
    }
    before_restart.reverse();

    let w = w.restart().await;
    let read = w.stores.audit.audit_records(&AuditFilter::default(), READ_ALL).await.unwrap();
    assert_eq!(read, before_restart, "the records as they were before the restart");
    let next = append(&w.stores.audit, &record(None, "root", "domain.create", "new.example", T0 + 10)).await;
    assert!(next > before_restart[0].id, "an id after the restart is larger than every one before it");
}

/// Every field of a filter narrows, and they combine: the domain (or only the deployment-wide
/// records, whatever domain is named too), the actor's name and the target containing a text
/// (whatever its case, its `%`, `_` and `\` taken as themselves), the action itself or one
/// below it (`account` is `account` and `account.…`, not `accounts.…` nor `accountX.…`), and
/// a time range from `since` (included) to `until` (left out).
pub async fn audit_filters_narrow_the_records<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.audit;
    let (acme, beta) = (Some(w.domain.id), Some(second_domain(&w).await.id));
    let r1 = append(store, &record(acme, "alice@acme.example", "account.disable", "bob@acme.example", T0)).await;
    let r2 = append(store, &record(acme, "Bob@acme.example", "account", "department 7 (Sales)", T0 + 1_000)).await;
    let r3 = append(store, &record(beta, "carol@beta.example", "accounts.create", "50% off_sale", T0 + 2_000)).await;
    let r4 = append(store, &record(None, "root", "domain.create", "beta.example", T0 + 3_000)).await;
    let r5 = append(store, &record(acme, "ALICE@acme.example", "domain.settings", "path\\to", T0 + 4_000)).await;
    let r6 = append(store, &record(beta, "dan@beta.example", "accountX.y", "under_score", T0 + 5_000)).await;
    let read = |filter: AuditFilter| ids(store, filter);

    assert_eq!(read(AuditFilter::default()).await, [r6, r5, r4, r3, r2, r1], "no filter reads every record");

    assert_eq!(read(AuditFilter { domain: acme, ..Default::default() }).await, [r5, r2, r1], "one domain's");
    assert_eq!(read(AuditFilter { domain: beta, ..Default::default() }).await, [r6, r3]);
    let deployment = AuditFilter { deployment_only: true, ..Default::default() };
    assert_eq!(read(deployment.clone()).await, [r4], "only the deployment-wide records");
    assert_eq!(read(AuditFilter { domain: beta, ..deployment }).await, [r4], "deployment_only wins over domain");

    let actor = |text: &str| AuditFilter { actor: Some(text.to_owned()), ..Default::default() };
    assert_eq!(read(actor("alice")).await, [r5, r1], "an actor's name containing the text, whatever its case");
    assert_eq!(read(actor("BOB@")).await, [r2]);
    assert_eq!(read(actor("beta.example")).await, [r6, r3]);
    assert_eq!(read(actor("a_ice")).await, [] as [i64; 0], "`_` is itself, not any one character");
    assert_eq!(read(actor("%")).await, [] as [i64; 0], "`%` is itself, not any text");

    let action = |text: &str| AuditFilter { action: Some(text.to_owned()), ..Default::default() };
    assert_eq!(read(action("account")).await, [r2, r1], "the action itself or one below it, not `accounts.…`");
    assert_eq!(read(action("account.disable")).await, [r1], "one action exactly");
    assert_eq!(read(action("account.dis")).await, [] as [i64; 0], "no bare prefix of an action");
    assert_eq!(read(action("accountX")).await, [r6]);
    assert_eq!(read(action("domain")).await, [r5, r4]);

    let target = |text: &str| AuditFilter { target: Some(text.to_owned()), ..Default::default() };
    assert_eq!(read(target("SALES")).await, [r2], "a target containing the text, whatever its case");
    assert_eq!(read(target("%")).await, [r3], "`%` matches only a target containing `%`");
    assert_eq!(read(target("%off")).await, [] as [i64; 0], "`%` is not any text");
    assert_eq!(read(target("_")).await, [r6, r3], "`_` matches only targets containing `_`");
    assert_eq!(read(target("\\")).await, [r5], "`\\` matches only a target containing `\\`");
    assert_eq!(read(target("h\\t")).await, [r5], "`\\` escapes nothing");

    let since = |ms: i64| AuditFilter { since_ms: Some(ms), ..Default::default() };
    let until = |ms: i64| AuditFilter { until_ms: Some(ms), ..Default::default() };
    assert_eq!(read(since(T0 + 4_000)).await, [r6, r5], "since includes its moment");
    assert_eq!(read(until(T0 + 1_000)).await, [r1], "until leaves its moment out");
    let range = AuditFilter { since_ms: Some(T0 + 1_000), until_ms: Some(T0 + 3_000), ..Default::default() };
    assert_eq!(read(range).await, [r3, r2]);

    let all = AuditFilter {
        domain: acme,
        actor: Some("ALICE".to_owned()),
        action: Some("account".to_owned()),
        since_ms: Some(T0),
        ..Default::default()
    };
    assert_eq!(read(all).await, [r1], "the fields combine");
    let none = AuditFilter { domain: beta, target: Some("bob".to_owned()), ..Default::default() };
    assert_eq!(read(none).await, [] as [i64; 0], "each field narrows what the others select");
}

/// Paging newest first with `before_id` walks every record once, and so does paging oldest
/// first with `after_id` (an export), which wins over `before_id`; both within a filter too.
pub async fn audit_pages_walk_every_record_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.audit;
    let beta = second_domain(&w).await.id;
    let mut every = vec![];
    let mut acme = vec![];
    for n in 0..25 {
        let domain = match n % 3 {
            0 => Some(w.domain.id),
            1 => Some(beta),
            _ => None,
        };
        let id = append(store, &record(domain, "root", "account.update", &format!("n{n}"), T0 + n)).await;
        every.push(id);
        if n % 3 == 0 {
            acme.push(id);
        }
    }

    let all = AuditFilter::default();
    let newest_first: Vec<i64> = every.iter().rev().copied().collect();
    for page_len in [1, 7, 25, 100] {
        assert_eq!(walk(store, &all, page_len, false).await, newest_first, "newest first, {page_len} a page");
        assert_eq!(walk(store, &all, page_len, true).await, every, "oldest first, {page_len} a page");
    }
    let in_acme = AuditFilter { domain: Some(w.domain.id), ..Default::default() };
    let acme_newest_first: Vec<i64> = acme.iter().rev().copied().collect();
    assert_eq!(walk(store, &in_acme, 3, false).await, acme_newest_first, "one domain's, newest first");
    assert_eq!(walk(store, &in_acme, 3, true).await, acme, "one domain's, oldest first");

    let both = AuditFilter { after_id: Some(every[4]), before_id: Some(every[2]), ..Default::default() };
    assert_eq!(ids(store, both).await, every[5..], "after_id wins over before_id");
    let below = AuditFilter { before_id: Some(every[3]), ..Default::default() };
    assert_eq!(ids(store, below).await, [every[2], every[1], every[0]], "before_id leaves itself out");
}

/// Appends that race all get ids of their own, and every one of them reads back as its
/// appender wrote it.
pub async fn racing_audit_appends_get_distinct_ids<F: StoreFactory>(f: &F) {
    const WRITERS: usize = 50;
    let w = World::new(f).await;
    let start = Arc::new(Barrier::new(WRITERS));
    let mut tasks = vec![];
    for n in 0..WRITERS {
        let (store, start, domain) = (w.stores.audit.clone(), start.clone(), w.domain.id);
        tasks.push(tokio::spawn(async move {
            let r = record(Some(domain), "root", "account.create", &format!("user{n}@acme.example"), T0);
            start.wait().await;
            (append(&store, &r).await, r)
        }));
    }
    let mut appended = std::collections::BTreeMap::new();
    for task in tasks {
        let (id, r) = task.await.unwrap();
        assert!(appended.insert(id, r).is_none(), "id {id} given twice");
    }

    let read = w.stores.audit.audit_records(&AuditFilter::default(), READ_ALL).await.unwrap();
    assert_eq!(read.len(), WRITERS, "every append is there");
    for r in &read {
        assert_eq!(Some(&r.record), appended.get(&r.id), "record {} as its appender wrote it", r.id);
    }
    let read_ids: Vec<i64> = read.iter().map(|r| r.id).collect();
    assert_eq!(read_ids, appended.keys().rev().copied().collect::<Vec<_>>(), "newest first");
}

/// An export that pages oldest first while appends race misses none of them: a record never
/// appears below one the export has already passed (ids increase in commit order).
pub async fn an_audit_export_during_appends_misses_nothing<F: StoreFactory>(f: &F) {
    const WRITERS: usize = 8;
    const PER_WRITER: i64 = 20;
    const PAGE_LEN: usize = 5;
    let w = World::new(f).await;
    let start = Arc::new(Barrier::new(WRITERS + 1));
    let writing_done = Arc::new(AtomicBool::new(false));

    let exporter = {
        let (store, start, writing_done) = (w.stores.audit.clone(), start.clone(), writing_done.clone());
        tokio::spawn(async move {
            start.wait().await;
            let mut exported = vec![];
            let mut after = 0;
            loop {
                // Read once the writers are done, the next empty page is the end of the log.
                let last_round = writing_done.load(Ordering::SeqCst);
                let filter = AuditFilter { after_id: Some(after), ..Default::default() };
                let page = store.audit_records(&filter, PAGE_LEN).await.unwrap();
                match page.last() {
                    Some(last) => {
                        after = last.id;
                        exported.extend(page.iter().map(|r| r.id));
                    }
                    None if last_round => return exported,
                    None => tokio::task::yield_now().await,
                }
            }
        })
    };
    let mut writers = vec![];
    for n in 0..WRITERS {
        let (store, start, domain) = (w.stores.audit.clone(), start.clone(), w.domain.id);
        writers.push(tokio::spawn(async move {
            start.wait().await;
            let mut ids = vec![];
            for i in 0..PER_WRITER {
                let r = record(Some(domain), "root", "account.update", &format!("w{n}i{i}"), T0 + i);
                ids.push(append(&store, &r).await);
            }
            ids
        }));
    }
    let mut appended = BTreeSet::new();
    for writer in writers {
        appended.extend(writer.await.unwrap());
    }
    writing_done.store(true, Ordering::SeqCst);

    let exported = exporter.await.unwrap();
    assert!(exported.windows(2).all(|p| p[0] < p[1]), "an export pages oldest first");
    assert_eq!(exported.into_iter().collect::<BTreeSet<_>>(), appended, "the export holds every record once");
}

/// A domain's forbidden words read back as set, replaced whole by the next set, and survive a
/// restart; other domains have none.
pub async fn moderation_rules_are_kept_per_domain<F: StoreFactory>(f: &F) {
    use magpie_core::moderation::{ModerationAction, ModerationRules};
    let w = World::new(f).await;
    let other =
        w.stores.accounts.create_domain(&DomainName::parse("other.example").unwrap(), T0).await.unwrap().unwrap();
    let store = &w.stores.moderation;
    assert_eq!(store.moderation_rules(w.domain.id).await.unwrap(), None);
    let first = ModerationRules { action: ModerationAction::Mask, words: vec!["赌博".into(), "Spam".into()] };
    store.set_moderation_rules(w.domain.id, &first).await.unwrap();
    assert_eq!(store.moderation_rules(w.domain.id).await.unwrap(), Some(first));
    let second = ModerationRules { action: ModerationAction::Block, words: vec!["代开发票".into()] };
    store.set_moderation_rules(w.domain.id, &second).await.unwrap();
    assert_eq!(store.moderation_rules(other.id).await.unwrap(), None, "per domain");
    let domain = w.domain.id;
    let w = w.restart().await;
    assert_eq!(w.stores.moderation.moderation_rules(domain).await.unwrap(), Some(second));
}
