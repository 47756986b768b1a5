//! Retention (issue 22) through the real server: a run deletes a domain's entries older than
//! its cutoff with the files only they used, leaves a `history_pruned` notice that sync and
//! history carry to every device, is audited, and is for the domain's administrators only.

use std::time::Duration;

use magpie_client::wire::{self, ErrorCode};
use serde_json::json;

use crate::harness::{FAST, TestServer, User, file_message, group};

/// How long a run over a few messages may take on a loaded machine.
const EVENTUALLY: Duration = Duration::from_secs(60);

/// Waits for a run to end and answers it: each ask returns as soon as the run changes.
async fn finished(admin: &User, id: i64) -> wire::RetentionRunInfo {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let run = admin.client.admin_retention_run_wait(id, 5).await.unwrap();
        if run.state != "running" {
            return run;
        }
        assert!(tokio::time::Instant::now() < deadline, "run {id} still running: {run:?}");
    }
}

async fn every_entry(user: &User, conversation: i64) -> Vec<wire::Entry> {
    let q = wire::HistoryQuery { after: Some(0), before: None, limit: Some(500) };
    user.client.messages(conversation, q).await.unwrap().entries
}

#[tokio::test]
async fn a_run_deletes_older_entries_and_their_files_and_devices_hear_of_it() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;

    let old_file = alice.client.upload(b"old bytes", Some("old.txt"), 1 << 20).await.unwrap();
    alice.client.send_message(team.id, &file_message(&old_file, "old.txt", 9, "old-file")).await.unwrap();
    let old = alice.client.send_text(team.id, "old-text", "old news").await.unwrap();
    // The cutoff lies after the last old entry; a message sent from then on stays.
    let before_ms = old.at_ms + 1;
    let mut n = 0;
    let kept = loop {
        n += 1;
        let ack = alice.client.send_text(team.id, &format!("new-{n}"), "new").await.unwrap();
        if ack.at_ms >= before_ms {
            break ack;
        }
    };
    let older: Vec<i64> =
        every_entry(&bob, team.id).await.iter().filter(|e| e.at_ms < before_ms).map(|e| e.seq).collect();
    let through = *older.last().unwrap();
    assert!(through < kept.seq);

    let started = admin.client.admin_start_retention_run("localhost", Some(before_ms)).await.unwrap();
    assert_eq!((started.state.as_str(), started.before_ms), ("running", Some(before_ms)));
    let run = finished(&admin, started.id).await;
    assert_eq!(run.state, "done", "{run:?}");
    assert_eq!((run.conversations, run.entries, run.files), (1, older.len() as i64, 1), "{run:?}");

    // History starts after the pruned entries and ends with the notice.
    let left = every_entry(&bob, team.id).await;
    assert!(left.iter().all(|e| e.seq > through), "nothing pruned is readable: {left:?}");
    assert_eq!(left.first().map(|e| e.seq), Some(through + 1));
    let notice = left.last().unwrap();
    assert_eq!(notice.kind, "system");
    assert_eq!(
        notice.body.as_ref().unwrap(),
        &json!({"event": "history_pruned", "through_seq": through, "before_ms": before_ms})
    );
    let seen = bob.client.conversation(team.id).await.unwrap();
    assert_eq!(seen.pruned_through, Some(through));
    assert_eq!(seen.unread, left.iter().filter(|e| e.kind == "text").count() as u32, "what went is not unread");
    // A device catching up by sync learns the conversation moved, with its new floor.
    let synced = bob.client.sync(wire::SyncRequest::default()).await.unwrap();
    let in_sync = synced.conversations.iter().find(|c| c.id == team.id).unwrap();
    assert_eq!(in_sync.pruned_through, Some(through));
    // A deleted seq is not there to act on.
    let hidden = bob.client.hide(team.id, &[through]).await.unwrap_err();
    assert_eq!(hidden.code(), Some(ErrorCode::InvalidField));
    // The file only the old message used is gone.
    let gone = alice.client.download(&old_file).await.unwrap_err();
    assert_eq!(gone.code(), Some(ErrorCode::NotFound));

    // Again with the same cutoff: nothing more to do.
    let again = admin.client.admin_start_retention_run("localhost", Some(before_ms)).await.unwrap();
    let again = finished(&admin, again.id).await;
    assert_eq!((again.state.as_str(), again.entries, again.conversations), ("done", 0, 0));

    let overview = admin.client.admin_retention("localhost").await.unwrap();
    assert_eq!(overview.runs.iter().map(|r| r.id).collect::<Vec<_>>(), [again.id, run.id], "newest first");
    let q = wire::AuditQuery { action: Some("retention.run".into()), ..Default::default() };
    let audited = admin.client.admin_audit(&q).await.unwrap().records;
    assert_eq!(audited.len(), 2, "each run is audited");
    assert!(audited.iter().all(|r| r.actor.name == "boss@localhost"), "as the act of who started it: {audited:?}");
}

#[tokio::test]
async fn policies_are_set_by_domain_admins_and_checked() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;

    let set = admin.client.admin_set_retention("localhost", Some(30)).await.unwrap();
    assert_eq!(set.days, Some(30));
    admin.client.admin_set_conversation_retention(team.id, Some(0)).await.unwrap();
    let read = admin.client.admin_retention("localhost").await.unwrap();
    assert_eq!(read.days, Some(30));
    assert_eq!(read.conversations.iter().map(|c| (c.conversation, c.days)).collect::<Vec<_>>(), [(team.id, 0)]);

    for days in [Some(0), Some(36_501)] {
        let err = admin.client.admin_set_retention("localhost", days).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{days:?}");
    }
    assert_eq!(admin.client.admin_retention("localhost").await.unwrap().days, Some(30), "a refusal changes nothing");
    let future = admin.client.admin_start_retention_run("localhost", Some(i64::MAX)).await.unwrap_err();
    assert_eq!(future.code(), Some(ErrorCode::InvalidField));

    // Members see nothing of it and change nothing.
    assert_eq!(alice.client.admin_retention("localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let refused = alice.client.admin_set_conversation_retention(team.id, Some(1)).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::NotFound));
    let refused = alice.client.admin_start_retention_run("localhost", None).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::NotFound));
    let q = wire::AuditQuery { action: Some("retention.set".into()), ..Default::default() };
    assert_eq!(admin.client.admin_audit(&q).await.unwrap().records.len(), 2, "the two changes, no refusal");
}

#[tokio::test]
async fn the_command_line_sets_shows_and_runs_retention_beside_the_server() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let old = alice.client.send_text(team.id, "old", "old news").await.unwrap();
    let before_ms = old.at_ms + 1;
    let mut n = 0;
    loop {
        n += 1;
        if alice.client.send_text(team.id, &format!("new-{n}"), "new").await.unwrap().at_ms >= before_ms {
            break;
        }
    }
    let text = |out: &std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let set = server.admin(&["retention", "set", "--days", "30"], "").await;
    assert_eq!(text(&set).trim(), "localhost: messages are kept 30 days");
    let id = team.id.to_string();
    let own = server.admin(&["retention", "set-conversation", &id, "--days", "0"], "").await;
    assert_eq!(text(&own).trim(), format!("conversation {id}: messages are kept for ever"));
    let refused = server.admin(&["retention", "set", "--days", "0"], "").await;
    assert!(!refused.status.success(), "0 days is not a domain's policy");

    let cutoff = jiff::Timestamp::from_millisecond(before_ms).unwrap().to_string();
    let run = server.admin(&["retention", "run", "--before", &cutoff], "").await;
    let run = text(&run);
    assert!(run.starts_with("run ") && run.contains("\tdone\t") && run.contains("\t1 conversations\t"), "{run}");
    // The server serves what the command deleted as deleted: it reads the same log.
    let left = every_entry(&bob, team.id).await;
    assert!(left.iter().all(|e| e.at_ms >= before_ms || e.kind == "system"), "{left:?}");
    assert_eq!(left.last().unwrap().body.as_ref().unwrap()["event"], "history_pruned");

    let show = text(&server.admin(&["retention", "show"], "").await);
    let lines: Vec<&str> = show.lines().collect();
    assert_eq!(lines[0], "localhost: messages are kept 30 days");
    assert_eq!(lines[1], format!("conversation {id}\tgroup\tteam\tfor ever"));
    assert!(lines[2].starts_with("run ") && lines[2].contains("\tdone\tby "), "{show}");
}

#[tokio::test]
async fn a_run_cut_off_by_kill_9_leaves_nothing_half_deleted_and_the_next_one_finishes() {
    // One entry per batch, so that the run is caught in the middle. Embedded: the only server
    // on its database fails the cut-off run when it starts (a cluster's nodes wait a minute).
    let env = [FAST, &[("MAGPIE_RETENTION_BATCH_ENTRIES", "1")]].concat();
    let mut server = TestServer::start_embedded(&env).await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let team = group(&alice, "team", &["bob@localhost"]).await;
    let old_file = alice.client.upload(b"old bytes", Some("old.txt"), 1 << 20).await.unwrap();
    alice.client.send_message(team.id, &file_message(&old_file, "old.txt", 9, "old-file")).await.unwrap();
    let mut last_old = None;
    for i in 0..300 {
        last_old = Some(alice.client.send_text(team.id, &format!("old-{i}"), "old news").await.unwrap());
    }
    let before_ms = last_old.unwrap().at_ms + 1;
    let mut n = 0;
    let kept = loop {
        n += 1;
        let ack = alice.client.send_text(team.id, &format!("new-{n}"), "new").await.unwrap();
        if ack.at_ms >= before_ms {
            break ack;
        }
    };

    let started = admin.client.admin_start_retention_run("localhost", Some(before_ms)).await.unwrap();
    // Wait for the first batch, then kill the server without a chance to finish anything.
    let seen = loop {
        let run = admin.client.admin_retention_run_wait(started.id, 5).await.unwrap();
        if run.entries > 0 || run.state != "running" {
            break run;
        }
    };
    assert_eq!(seen.state, "running", "the run was caught in the middle: {seen:?}");
    server.kill().await;
    server.restart_stopped().await;

    let admin = server.login("boss@localhost").await;
    let bob = server.login("bob@localhost").await;
    let cut = admin.client.admin_retention_run_wait(started.id, 0).await.unwrap();
    assert_eq!(cut.state, "failed", "the run the kill cut off is failed at start: {cut:?}");
    let halfway = bob.client.conversation(team.id).await.unwrap().pruned_through.unwrap_or(0);
    assert!(halfway > 0, "some batches were committed before the kill");
    // What the kill left is whole: history starts right after the pruned entries.
    let left = every_entry(&bob, team.id).await;
    assert_eq!(left.first().map(|e| e.seq), Some(halfway + 1), "no gap, no half-deleted entry");

    let again = admin.client.admin_start_retention_run("localhost", Some(before_ms)).await.unwrap();
    let again = finished(&admin, again.id).await;
    assert_eq!(again.state, "done", "{again:?}");
    let left = every_entry(&bob, team.id).await;
    let messages: Vec<&wire::Entry> = left.iter().filter(|e| e.kind != "system").collect();
    assert_eq!(messages.first().map(|e| e.seq), Some(kept.seq), "exactly what is older than the cutoff went");
    assert!(messages.iter().all(|e| e.at_ms >= before_ms));
    let seen = bob.client.conversation(team.id).await.unwrap();
    assert_eq!(seen.unread, messages.len() as u32, "bob's unread count is what is left");
    let gone = alice.client.download(&old_file).await;
    assert_eq!(gone.unwrap_err().code(), Some(ErrorCode::NotFound), "the file only old messages used is gone");
}
