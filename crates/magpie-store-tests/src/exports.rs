//! The compliance exports' store ([`ExportStore`](magpie_core::ports::ExportStore)): an export
//! reads back as recorded, field for field and across a restart; lists go by domain (or over
//! every domain), newest first; progress and outcome are written only while the export runs;
//! the sweep fails only the running exports it has not heard from; and expired finished
//! exports are taken at most so many at a time, with the digests of their archives, never a
//! running one.

use std::collections::BTreeSet;
use std::sync::Arc;

use magpie_core::export::{ExportJob, ExportScope, ExportState, NewExport};
use magpie_core::model::{Domain, DomainId};
use magpie_core::names::DomainName;
use magpie_core::ports::ExportStore;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

/// More than any check here records: a list with it holds every export.
const LIST_ALL: usize = 1_000;

/// A digest as the blob store names an archive.
fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

fn new_export(domain: &Domain, scope: ExportScope, at_ms: i64) -> NewExport {
    NewExport {
        domain: domain.id,
        requested_by: format!("admin@{}", domain.name),
        scope,
        target: format!("what export {at_ms} covers"),
        from_ms: None,
        until_ms: None,
        at_ms,
    }
}

/// The export as the store must keep it right after `create_export`.
fn as_created(id: i64, domain: &Domain, new: &NewExport) -> ExportJob {
    ExportJob {
        id,
        domain: new.domain,
        domain_name: domain.name.to_string(),
        requested_by: new.requested_by.clone(),
        scope: new.scope,
        target: new.target.clone(),
        from_ms: new.from_ms,
        until_ms: new.until_ms,
        state: ExportState::Running,
        conversations_total: 0,
        conversations_done: 0,
        messages: 0,
        files: 0,
        bytes: 0,
        sha256: None,
        error: None,
        created_at_ms: new.at_ms,
        updated_at_ms: new.at_ms,
        finished_at_ms: None,
        expires_at_ms: None,
    }
}

async fn create(store: &Arc<dyn ExportStore>, new: &NewExport) -> ExportJob {
    store.create_export(new).await.expect("the store records the export")
}

async fn read(store: &Arc<dyn ExportStore>, id: i64) -> ExportJob {
    store.export(id).await.unwrap().unwrap_or_else(|| panic!("export {id} is there"))
}

async fn ids(store: &Arc<dyn ExportStore>, domain: Option<DomainId>, limit: usize) -> Vec<i64> {
    store.exports(domain, limit).await.unwrap().iter().map(|e| e.id).collect()
}

async fn second_domain<F: StoreFactory>(w: &World<'_, F>) -> Domain {
    let name = DomainName::parse("beta.example").unwrap();
    w.stores.accounts.create_domain(&name, T0).await.unwrap().expect("a new domain")
}

/// `job` done at `at_ms` with an archive of `bytes` bytes (if `sha256`), expiring at
/// `expires_at_ms`.
fn done(job: &ExportJob, sha256: Option<String>, at_ms: i64, expires_at_ms: i64) -> ExportJob {
    ExportJob {
        state: ExportState::Done,
        bytes: if sha256.is_some() { 4_096 } else { 0 },
        sha256,
        updated_at_ms: at_ms,
        finished_at_ms: Some(at_ms),
        expires_at_ms: Some(expires_at_ms),
        ..job.clone()
    }
}

/// A new export, of an account or of a conversation, with or without a period, is recorded
/// running with no progress, no archive, no error and no end, and reads back field for field
/// (its domain with its name) as `create_export` returned it, under an id of its own; it is
/// still so after a restart. An id never given reads as none.
pub async fn exports_read_back_as_created<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.exports;
    let alice = w.account("alice").await;
    let group = w.group(&alice, &[]).await;

    let of_account = NewExport {
        requested_by: "root".to_owned(),
        target: "alice@acme.example (Ünal \"A\" 爱丽丝)".to_owned(),
        from_ms: Some(T0 - 86_400_000),
        until_ms: Some(T0 + 1),
        ..new_export(&w.domain, ExportScope::Account(alice.id), T0)
    };
    let of_conversation =
        NewExport { from_ms: Some(T0 - 1_000), ..new_export(&w.domain, ExportScope::Conversation(group.id), T0 + 5) };
    let unbounded = new_export(&w.domain, ExportScope::Conversation(group.id), T0 + 7);

    let mut created = vec![];
    for new in [&of_account, &of_conversation, &unbounded] {
        let job = create(store, new).await;
        assert_eq!(job, as_created(job.id, &w.domain, new), "create_export returns the export as recorded");
        assert_eq!(read(store, job.id).await, job, "the export reads back as created");
        created.push(job);
    }
    let distinct: BTreeSet<i64> = created.iter().map(|j| j.id).collect();
    assert_eq!(distinct.len(), created.len(), "each export has an id of its own");
    let unknown = created.iter().map(|j| j.id).max().unwrap() + 1_000;
    assert_eq!(store.export(unknown).await.unwrap(), None, "an id never given is no export");

    let w = w.restart().await;
    for job in &created {
        assert_eq!(w.stores.exports.export(job.id).await.unwrap().as_ref(), Some(job), "kept across a restart");
    }
}

/// A domain's list holds its exports only, newest first, at most the limit; `None` lists the
/// exports of every domain, newest first; a domain with none lists none, and a limit of 0
/// lists none.
pub async fn exports_list_by_domain_newest_first<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.exports;
    let beta = second_domain(&w).await;
    let gamma = w.stores.accounts.create_domain(&DomainName::parse("gamma.example").unwrap(), T0).await.unwrap();
    let gamma = gamma.expect("a new domain");
    let alice = w.account("alice").await;
    let bob = w.account_in(&beta, "bob").await;

    let (mut acme, mut every) = (vec![], vec![]);
    let mut in_beta = vec![];
    for n in 0..7 {
        let (domain, scope) = if n % 3 == 1 {
            (&beta, ExportScope::Account(bob.id))
        } else {
            (&w.domain, ExportScope::Account(alice.id))
        };
        let job = create(store, &new_export(domain, scope, T0 + n)).await;
        every.push(job.id);
        if domain.id == beta.id { in_beta.push(job.clone()) } else { acme.push(job.id) }
    }
    let newest_first = |ids: &[i64]| ids.iter().rev().copied().collect::<Vec<_>>();

    assert_eq!(ids(store, Some(w.domain.id), LIST_ALL).await, newest_first(&acme), "one domain's, newest first");
    let beta_list = store.exports(Some(beta.id), LIST_ALL).await.unwrap();
    in_beta.reverse();
    assert_eq!(beta_list, in_beta, "the other domain's, whole, with its name");
    assert!(beta_list.iter().all(|j| j.domain_name == "beta.example"));
    assert_eq!(ids(store, None, LIST_ALL).await, newest_first(&every), "every domain's, newest first");

    assert_eq!(ids(store, Some(w.domain.id), 2).await, newest_first(&acme)[..2], "at most the limit, the newest");
    assert_eq!(ids(store, None, 3).await, newest_first(&every)[..3], "at most the limit, the newest");
    assert!(ids(store, Some(gamma.id), LIST_ALL).await.is_empty(), "a domain without exports lists none");
    assert!(ids(store, None, 0).await.is_empty(), "a limit of 0 lists none");
    assert!(ids(store, Some(w.domain.id), 0).await.is_empty(), "a limit of 0 lists none");
}

/// While an export runs, `update_export` writes its progress, then its outcome, as given, and
/// says so; once it is no longer running, an update (even one that says it runs) writes
/// nothing and says `false`, and so does one of an export that is not there. An update
/// touches no other export.
pub async fn exports_update_only_while_running<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.exports;
    let alice = w.account("alice").await;
    let group = w.group(&alice, &[]).await;
    let job = create(store, &new_export(&w.domain, ExportScope::Account(alice.id), T0)).await;
    let other = create(store, &new_export(&w.domain, ExportScope::Conversation(group.id), T0)).await;

    let progress = ExportJob {
        conversations_total: 12,
        conversations_done: 5,
        messages: 3_000_000_000,
        files: 17,
        updated_at_ms: T0 + 1_000,
        ..job.clone()
    };
    assert!(store.update_export(&progress).await.unwrap(), "a running export takes its progress");
    assert_eq!(read(store, job.id).await, progress, "the progress as written");

    let more = ExportJob { conversations_done: 12, messages: 3_000_000_123, updated_at_ms: T0 + 2_000, ..progress };
    assert!(store.update_export(&more).await.unwrap());
    assert_eq!(read(store, job.id).await, more, "progress written again");

    let finished = done(&more, Some(sha('a')), T0 + 3_000, T0 + 7 * 86_400_000);
    assert!(store.update_export(&finished).await.unwrap(), "a running export takes its outcome");
    assert_eq!(read(store, job.id).await, finished, "the outcome as written: state, archive, end and expiry");

    let again = ExportJob {
        state: ExportState::Failed,
        error: Some("too late".to_owned()),
        messages: 1,
        sha256: None,
        updated_at_ms: T0 + 4_000,
        ..finished.clone()
    };
    assert!(!store.update_export(&again).await.unwrap(), "a finished export takes no outcome");
    let revived = ExportJob { state: ExportState::Running, finished_at_ms: None, ..again.clone() };
    assert!(!store.update_export(&revived).await.unwrap(), "a finished export does not run again");
    assert_eq!(read(store, job.id).await, finished, "nothing written once finished");

    assert_eq!(read(store, other.id).await, other, "an update touches no other export");
    let missing = ExportJob { id: job.id.max(other.id) + 1_000, ..more };
    assert!(!store.update_export(&missing).await.unwrap(), "no export, nothing updated");
    assert_eq!(store.export(missing.id).await.unwrap(), None, "an update makes no export");
}

/// `fail_stale_exports` fails exactly the running exports last updated before its moment
/// (one updated at that moment is not stale), with the error, ended and updated at the time
/// it is given, keeping their progress; it counts them; finished exports stay as they were,
/// and a failed export then takes no update.
pub async fn stale_exports_fail<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.exports;
    let alice = w.account("alice").await;
    let scope = ExportScope::Account(alice.id);
    let before_ms = T0 + 60_000;
    let at_ms = T0 + 90_000;

    let quiet = create(store, &new_export(&w.domain, scope, T0)).await;
    let half_done = ExportJob { conversations_total: 4, conversations_done: 2, messages: 99, files: 3, ..quiet };
    let half_done = ExportJob { updated_at_ms: before_ms - 1, ..half_done };
    assert!(store.update_export(&half_done).await.unwrap());
    let old = create(store, &new_export(&w.domain, scope, T0 + 1)).await;
    let heard_at_the_moment = create(store, &new_export(&w.domain, scope, T0 + 2)).await;
    let heard_at_the_moment = ExportJob { updated_at_ms: before_ms, ..heard_at_the_moment };
    assert!(store.update_export(&heard_at_the_moment).await.unwrap());
    let heard_since = create(store, &new_export(&w.domain, scope, before_ms + 5)).await;
    let finished = create(store, &new_export(&w.domain, scope, T0 + 3)).await;
    let finished = done(&finished, Some(sha('f')), T0 + 4, T0 + 86_400_000);
    assert!(store.update_export(&finished).await.unwrap());

    let failed = store
        .fail_stale_exports(before_ms, "the export stopped: its server went away", at_ms, at_ms + 1000)
        .await
        .unwrap();
    assert_eq!(failed, 2, "the two running exports not heard from since before the moment");

    let as_failed = |job: &ExportJob| ExportJob {
        state: ExportState::Failed,
        error: Some("the export stopped: its server went away".to_owned()),
        updated_at_ms: at_ms,
        finished_at_ms: Some(at_ms),
        expires_at_ms: Some(at_ms + 1000),
        ..job.clone()
    };
    assert_eq!(read(store, half_done.id).await, as_failed(&half_done), "failed with the error, its progress kept");
    assert_eq!(read(store, old.id).await, as_failed(&old));
    assert_eq!(read(store, heard_at_the_moment.id).await, heard_at_the_moment, "updated at the moment: running");
    assert_eq!(read(store, heard_since.id).await, heard_since, "heard from since: running");
    assert_eq!(read(store, finished.id).await, finished, "a finished export stays as it was");

    let late = ExportJob { messages: 100, updated_at_ms: at_ms + 1, ..half_done.clone() };
    assert!(!store.update_export(&late).await.unwrap(), "a failed export takes no more progress");
    assert_eq!(read(store, late.id).await, as_failed(&half_done), "nothing written after the sweep");
    assert_eq!(
        store.fail_stale_exports(before_ms, "again", at_ms + 1, at_ms + 1001).await.unwrap(),
        0,
        "nothing left to fail"
    );
    assert_eq!(read(store, old.id).await.error.as_deref(), Some("the export stopped: its server went away"));
}

/// `take_expired_exports` deletes finished exports (done or failed) whose expiry is at or
/// before its moment, at most its limit a call, and returns the digests of the archives they
/// had (a failed export without an archive adds none); it never takes a running export,
/// whatever its row says of expiry, nor one without expiry or expiring later.
pub async fn expired_exports_are_taken<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.exports;
    let alice = w.account("alice").await;
    let scope = ExportScope::Account(alice.id);
    let now_ms = T0 + 100_000;
    let finish = async |at_ms: i64, sha256: Option<String>, state: ExportState, expires_at_ms: Option<i64>| {
        let job = create(store, &new_export(&w.domain, scope, at_ms)).await;
        let error = (state == ExportState::Failed).then(|| "it broke".to_owned());
        let bytes = if sha256.is_some() { 1_234 } else { 0 };
        let finished_at_ms = (state != ExportState::Running).then_some(at_ms + 1);
        let job =
            ExportJob { state, sha256, bytes, error, updated_at_ms: at_ms + 1, finished_at_ms, expires_at_ms, ..job };
        assert!(store.update_export(&job).await.unwrap());
        job.id
    };
    let done_a = finish(T0, Some(sha('a')), ExportState::Done, Some(now_ms - 50_000)).await;
    let done_b = finish(T0 + 1, Some(sha('b')), ExportState::Done, Some(now_ms)).await;
    let failed_bare = finish(T0 + 2, None, ExportState::Failed, Some(now_ms - 70_000)).await;
    let failed_with_archive = finish(T0 + 3, Some(sha('c')), ExportState::Failed, Some(now_ms - 1)).await;
    let later = finish(T0 + 4, Some(sha('d')), ExportState::Done, Some(now_ms + 1)).await;
    let running = finish(T0 + 5, Some(sha('e')), ExportState::Running, Some(now_ms - 90_000)).await;
    let never = finish(T0 + 6, None, ExportState::Failed, None).await;
    let fresh = create(store, &new_export(&w.domain, scope, T0 + 7)).await.id;
    let expired = BTreeSet::from([done_a, done_b, failed_bare, failed_with_archive]);
    let kept = BTreeSet::from([later, running, never, fresh]);
    let listed = async || ids(store, None, LIST_ALL).await.into_iter().collect::<BTreeSet<i64>>();

    assert!(store.take_expired_exports(now_ms, 0).await.unwrap().is_empty(), "a limit of 0 takes none");
    assert!(store.take_expired_exports(T0, 10).await.unwrap().is_empty(), "nothing expired yet");
    assert_eq!(listed().await, &expired | &kept, "nothing taken");

    let mut digests = store.take_expired_exports(now_ms, 3).await.unwrap();
    let left = listed().await;
    assert_eq!((&expired - &left).len(), 3, "at most the limit taken, and as many as that while more expired");
    assert!(kept.is_subset(&left), "none that is running, not expired or without expiry");
    digests.extend(store.take_expired_exports(now_ms, 10).await.unwrap());
    assert_eq!(listed().await, kept, "every expired finished export taken, nothing else");
    digests.sort();
    assert_eq!(digests, [sha('a'), sha('b'), sha('c')], "the digests of the archives taken, each once");
    assert!(store.take_expired_exports(now_ms, 10).await.unwrap().is_empty(), "nothing left to take");

    let digests = store.take_expired_exports(i64::MAX, 10).await.unwrap();
    assert_eq!(digests, [sha('d')], "later, the one that expired since; never a running one");
    assert_eq!(listed().await, BTreeSet::from([running, never, fresh]));
    assert_eq!(read(store, running).await.state, ExportState::Running);
}
