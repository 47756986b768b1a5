//! `magpie admin`: works on the data directory with or without a running server.

use crate::harness::{PASSWORD, TestServer};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn users_are_added_listed_and_refused_when_invalid() {
    let server = TestServer::start().await;
    let out = server
        .admin(&["user", "add", "li.lei", "--display-name", "李雷", "--password-stdin"], "a long password\n")
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "created li.lei@localhost (member)");

    let dup = server.admin(&["user", "add", "LI.LEI", "--password-stdin"], "a long password\n").await;
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));

    let bad = server.admin(&["user", "add", "../etc", "--password-stdin"], "a long password\n").await;
    assert!(!bad.status.success());
    let empty = server.admin(&["user", "add", "nopass", "--password-stdin"], "").await;
    assert!(!empty.status.success());
    assert!(stderr(&empty).contains("no password"), "{}", stderr(&empty));
    let no_domain = server
        .admin(&["user", "add", "x", "--domain", "nowhere.example", "--password-stdin"], "a long password\n")
        .await;
    assert!(!no_domain.status.success());

    let list = server.admin(&["user", "list"], "").await;
    assert_eq!(stdout(&list).lines().collect::<Vec<_>>(), ["li.lei@localhost\tmember\tactive\t李雷"]);
    assert!(server.anonymous().login("li.lei@localhost", "a long password").await.is_ok());
}

#[tokio::test]
async fn the_cli_works_on_a_data_directory_without_a_server() {
    let mut server = TestServer::start().await;
    server.stop().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = server.admin(&["domain", "set", "acme.example", "--registration", "open"], "").await;
    assert_eq!(
        stdout(&out).trim(),
        "acme.example\tregistration=open\tdirect_requires_friendship=false\tmembers_invite=false\tmembers_make_bots=false\temail_verification=false\temail_domains="
    );
    let out = server.admin(&["domain", "set", "acme.example", "--direct-requires-friendship", "true"], "").await;
    assert_eq!(
        stdout(&out).trim(),
        "acme.example\tregistration=open\tdirect_requires_friendship=true\tmembers_invite=false\tmembers_make_bots=false\temail_verification=false\temail_domains="
    );
    server.create("boss@acme.example", &["--admin"]).await;
    server.restart_stopped().await;
    let boss = server.login("boss@acme.example").await;
    assert_eq!(boss.login.me.role, magpie_client::wire::Role::DomainAdmin);
    let (_, login) = server.anonymous().login("boss@acme.example", PASSWORD).await.unwrap();
    assert_eq!(login.me.profile.account, "boss@acme.example");
}
