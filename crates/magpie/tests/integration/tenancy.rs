//! Domains are isolated: nothing of another domain can be seen, found or touched.

use magpie_client::wire::{self, ErrorCode};

use crate::harness::TestServer;

#[tokio::test]
async fn accounts_of_another_domain_cannot_be_seen_or_found() {
    let server = TestServer::start().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server.create("carol@acme.example", &["--admin"]).await;
    let carol = server.login("carol@acme.example").await;

    // Same domain: visible and searchable.
    assert_eq!(alice.client.account("bob@localhost").await.unwrap().account, "bob@localhost");
    let found: Vec<_> =
        alice.client.search_accounts("", None, None).await.unwrap().into_iter().map(|p| p.account).collect();
    assert_eq!(found, vec!["alice@localhost", "bob@localhost"]);

    // Another domain: exactly the answer for an account that does not exist.
    let across = alice.client.account("carol@acme.example").await.unwrap_err();
    let missing = alice.client.account("nobody@localhost").await.unwrap_err();
    assert_eq!(across.code(), Some(ErrorCode::NotFound));
    assert_eq!(across.detail(), missing.detail());
    for query in ["carol", "acme", ""] {
        let found = alice.client.search_accounts(query, None, None).await.unwrap();
        assert!(found.iter().all(|p| p.account.ends_with("@localhost")), "{query:?} leaked {found:?}");
    }
    let theirs: Vec<_> =
        carol.client.search_accounts("", None, None).await.unwrap().into_iter().map(|p| p.account).collect();
    assert_eq!(theirs, vec!["carol@acme.example"]);

    // A domain admin administers only their own domain.
    let err = carol.client.admin_disable("bob@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = carol.client.admin_accounts(Some("localhost")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let req = wire::CreateAccountRequest {
        account: "intruder@localhost".into(),
        password: "a long enough password".into(),
        display_name: None,
        role: None,
    };
    assert_eq!(carol.client.admin_create_account(&req).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert!(bob.client.me().await.is_ok());
}

#[tokio::test]
async fn the_directory_pages_and_matches_display_names() {
    let server = TestServer::start().await;
    let admin = server.admin_user("admin").await;
    for name in ["ann", "ben", "cai", "dan"] {
        let req = wire::CreateAccountRequest {
            account: format!("{name}@localhost"),
            password: "a long enough password".into(),
            display_name: Some(format!("员工 {name}")),
            role: None,
        };
        admin.client.admin_create_account(&req).await.unwrap();
    }
    let page1 = admin.client.search_accounts("员工", None, Some(2)).await.unwrap();
    let names: Vec<_> = page1.iter().map(|p| p.account.as_str()).collect();
    assert_eq!(names, ["ann@localhost", "ben@localhost"]);
    let page2 = admin.client.search_accounts("员工", Some("ben"), Some(2)).await.unwrap();
    let names: Vec<_> = page2.iter().map(|p| p.account.as_str()).collect();
    assert_eq!(names, ["cai@localhost", "dan@localhost"]);
}

#[tokio::test]
async fn only_server_admins_manage_domains() {
    let server = TestServer::start().await;
    let domain_admin = server.admin_user("root").await;
    assert_eq!(domain_admin.client.admin_domains().await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    assert_eq!(
        domain_admin.client.admin_create_domain("other.example").await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
    let account = server.create("ops", &["--server-admin"]).await;
    let ops = server.login(&account).await;
    let created = ops.client.admin_create_domain("Other.Example").await.unwrap();
    assert_eq!(created.name, "other.example");
    let names: Vec<_> = ops.client.admin_domains().await.unwrap().into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["localhost", "other.example"]);
    let dup = ops.client.admin_create_domain("other.example").await.unwrap_err();
    assert_eq!(dup.code(), Some(ErrorCode::AlreadyExists));
    let bad = ops.client.admin_create_domain("bad_domain!").await.unwrap_err();
    assert_eq!(bad.code(), Some(ErrorCode::InvalidField));
}
