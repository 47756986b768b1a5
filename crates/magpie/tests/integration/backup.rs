//! Backups of an embedded deployment: `magpie admin backup` while the server takes messages,
//! and `magpie admin restore` into a new data directory.

use std::path::Path;
use std::sync::{Arc, Mutex};

use magpie_client::wire;

use crate::harness::{FAST, TestServer};
use crate::search::{query, until_found};

/// Runs `magpie admin …` on a data directory no server runs on.
async fn admin_in(data_dir: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_magpie"))
        .env("MAGPIE_LOG", "warn")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("admin")
        .args(args)
        .output()
        .await
        .unwrap()
}

/// Every message of a conversation, oldest first, paging back from the newest.
async fn all_messages(client: &magpie_client::Client, conversation: i64) -> Vec<wire::Entry> {
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let page = client
            .messages(conversation, wire::HistoryQuery { before, limit: Some(100), ..Default::default() })
            .await
            .unwrap();
        let Some(oldest) = page.entries.first().map(|e| e.seq) else { break };
        entries.splice(0..0, page.entries);
        before = Some(oldest);
    }
    entries
}

#[tokio::test]
async fn a_backup_taken_during_a_send_burst_restores_every_message_acked_before_it_began() {
    let server = TestServer::start_embedded(FAST).await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let file = alice.client.upload(&data, Some("plan.bin"), 1 << 20).await.unwrap();
    let message = wire::SendRequest {
        client_msg_id: "the-file".into(),
        kind: "file".into(),
        body: serde_json::json!({"file": file, "name": "plan.bin", "size": data.len()}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    alice.client.send_message(chat.id, &message).await.unwrap();
    let budget = alice.client.send_text(chat.id, "the-budget", "下季度的预算 plan").await.unwrap();

    // Alice sends one message after another, each after the last was acked, until told to stop.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let (count_tx, mut count) = tokio::sync::watch::channel(0usize);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let burst = tokio::spawn({
        let (client, acked) = (alice.client.clone(), acked.clone());
        async move {
            for n in 0.. {
                if *stop.borrow() {
                    break;
                }
                let id = format!("burst-{n}");
                client.send_text(chat.id, &id, &format!("message {n}")).await.unwrap();
                let len = {
                    let mut acked = acked.lock().unwrap();
                    acked.push(id);
                    acked.len()
                };
                count_tx.send_replace(len);
            }
        }
    });
    count.wait_for(|n| *n >= 20).await.unwrap();
    // What was acked before the backup began must all come back.
    let before: Vec<String> = acked.lock().unwrap().clone();
    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("monday");
    let out = server.admin(&["backup", dest.to_str().unwrap()], "").await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "backup failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("files\t1 contents") && stdout.ends_with("backed up\n"), "{stdout}");
    assert!(!stdout.contains("missing"), "{stdout}");
    // The burst went on while the backup ran, and goes on after it.
    let after_backup = *count.borrow();
    count.wait_for(|n| *n >= after_backup + 5).await.unwrap();
    stop_tx.send_replace(true);
    burst.await.unwrap();
    let acked = acked.lock().unwrap().clone();

    // Restored into a new data directory, and started there.
    let target = tempfile::tempdir().unwrap();
    let out = admin_in(target.path(), &["restore", dest.to_str().unwrap()]).await;
    assert!(out.status.success(), "restore failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("restored\n"));
    // Once there is a database, a second restore is refused.
    let again = admin_in(target.path(), &["restore", dest.to_str().unwrap()]).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a database"));
    let restored = TestServer::start_embedded_in(target, FAST).await;

    // Alice's session of before the backup works there, and reads every message acked before
    // the backup began, in order, and none that was never sent.
    let client = restored.anonymous().with_token(alice.client.token().unwrap());
    let entries = all_messages(&client, chat.id).await;
    let ids: Vec<&str> = entries.iter().filter_map(|e| e.client_msg_id.as_deref()).collect();
    assert_eq!(ids[..2], ["the-file", "the-budget"]);
    let burst_ids: Vec<&str> = ids[2..].to_vec();
    assert!(burst_ids.len() >= before.len(), "{} restored, {} acked before the backup", burst_ids.len(), before.len());
    assert_eq!(burst_ids, acked[..burst_ids.len()].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(client.download(&file).await.unwrap(), data);
    // Her password too; and the search index, not in the backup, is built again from the
    // restored log.
    let again = restored.login(&alice.account).await;
    until_found(&again, query("预算"), &[(chat.id, budget.seq)]).await;

    // New messages follow the restored ones.
    let last = entries.last().unwrap().seq;
    let ack = client.send_text(chat.id, "after-restore", "after the restore").await.unwrap();
    assert!(ack.seq > last, "{} after {last}", ack.seq);
}

#[tokio::test]
async fn backup_and_restore_refuse_what_they_cannot_do_and_change_nothing() {
    let server = TestServer::start_embedded(FAST).await;
    server.user("alice").await;
    let dirs = tempfile::tempdir().unwrap();

    // A backup goes into a new or empty directory only.
    let full = dirs.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "mine").unwrap();
    let out = server.admin(&["backup", full.to_str().unwrap()], "").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);

    // Cluster mode backs up with PostgreSQL's and the bucket's tools.
    let cluster = [("MAGPIE_DATABASE".to_owned(), "postgres://magpie@127.0.0.1:9/magpie".to_owned())];
    let out = server.admin_with(&["backup", dirs.path().join("pg").to_str().unwrap()], "", &cluster).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("docs/cluster.md"));
    assert!(!dirs.path().join("pg").exists());

    // Not a backup, or a damaged one: refused before anything is written.
    let good = dirs.path().join("good");
    assert!(server.admin(&["backup", good.to_str().unwrap()], "").await.status.success());
    let target = tempfile::tempdir().unwrap();
    let out = admin_in(target.path(), &["restore", full.to_str().unwrap()]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a finished Magpie backup"));
    let mut database = std::fs::OpenOptions::new().append(true).open(good.join("magpie.db")).unwrap();
    std::io::Write::write_all(&mut database, b"!").unwrap();
    let out = admin_in(target.path(), &["restore", good.to_str().unwrap()]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is damaged"));
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0, "a refused restore writes nothing");
}

#[tokio::test]
async fn the_console_makes_backups_that_restore_keeps_the_newest_and_records_each() {
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    env.push(("MAGPIE_BACKUPS_KEEP", "2"));
    let server = TestServer::start_embedded(&env).await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    let admin = server.admin_user("boss").await;
    let bob = server.user("bob").await;
    let chat = root.client.open_direct("bob@localhost").await.unwrap();
    root.client.send_text(chat.id, "kept", "in every backup").await.unwrap();

    // Only server administrators.
    assert_eq!(admin.client.admin_make_backup().await.unwrap_err().code(), Some(wire::ErrorCode::Forbidden));
    assert_eq!(admin.client.admin_backups().await.unwrap_err().code(), Some(wire::ErrorCode::Forbidden));
    assert!(root.client.admin_backups().await.unwrap().backups.is_empty());

    let mut made = Vec::new();
    for _ in 0..3 {
        let backup = root.client.admin_make_backup().await.unwrap();
        assert!(backup.finished && backup.database_bytes > 0, "{backup:?}");
        made.push(backup);
    }
    // The newest two are kept; the oldest is gone from the directory.
    let listed = root.client.admin_backups().await.unwrap().backups;
    let names: Vec<&str> = listed.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, [made[2].name.as_str(), made[1].name.as_str()]);
    assert!(!server.path(&format!("backups/{}", made[0].name)).exists());
    let records = root
        .client
        .admin_audit(&wire::AuditQuery { action: Some("backup".into()), ..Default::default() })
        .await
        .unwrap()
        .records;
    let targets: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, made.iter().rev().map(|b| b.name.as_str()).collect::<Vec<_>>());
    assert!(records.iter().all(|r| r.actor.name == "root@localhost" && r.domain.is_none()));

    // The newest restores into a new data directory with the message in it.
    let target = tempfile::tempdir().unwrap();
    let src = server.path(&format!("backups/{}", made[2].name));
    let out = admin_in(target.path(), &["restore", src.to_str().unwrap()]).await;
    assert!(out.status.success(), "restore failed: {}", String::from_utf8_lossy(&out.stderr));
    let restored = TestServer::start_embedded_in(target, FAST).await;
    let bob_again = restored.anonymous().with_token(bob.client.token().unwrap());
    let texts: Vec<String> =
        all_messages(&bob_again, chat.id).await.iter().map(|e| crate::harness::text_of(e).to_owned()).collect();
    assert_eq!(texts, ["in every backup"]);
}
