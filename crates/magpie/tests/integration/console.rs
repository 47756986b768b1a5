//! The console's live view (issue 22) through the real server: the dashboard counts the
//! connections open now, and administrators list who is connected, each their own domain's.

use magpie_client::wire::{self, ErrorCode};

use crate::harness::TestServer;

#[tokio::test]
async fn the_dashboard_and_the_connection_list_show_who_is_connected_to_whom_they_may_see() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    root.client.admin_create_domain("example.com").await.unwrap();
    let admin = server.admin_user("boss").await;
    let chief = server.login(&server.create("chief@example.com", &["--admin"]).await).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;

    let before = root.client.admin_dashboard().await.unwrap();
    assert_eq!((before.now.connections, before.now.accounts_online), (0, 0));
    assert!(before.now.memory_bytes > 0);
    assert_eq!(before.sample_secs, 10);

    // Alice on two devices, bob on one, chief on one.
    let alice_phone = server.login(&alice.account).await;
    let _sockets = (alice.connect().await, alice_phone.connect().await, bob.connect().await, chief.connect().await);
    let now = root.client.admin_dashboard().await.unwrap().now;
    assert_eq!((now.connections, now.accounts_online), (4, 3));
    if crate::harness::Backend::cluster() {
        assert_eq!((now.database_bytes, now.files_bytes), (None, None), "PostgreSQL and the bucket: not measured here");
    } else {
        assert!(now.database_bytes.unwrap() > 0, "the embedded database's size: {now:?}");
    }

    // A server administrator sees every connection; a domain's administrators their domain's.
    let all = root.client.admin_connections(&wire::ConnectionsQuery::default()).await.unwrap();
    assert_eq!(all.total, 4);
    let mut who: Vec<&str> = all.connections.iter().map(|c| c.account.as_str()).collect();
    who.sort_unstable();
    assert_eq!(who, ["alice@localhost", "alice@localhost", "bob@localhost", "chief@example.com"]);
    assert!(all.connections.iter().all(|c| c.ip.as_deref() == Some("127.0.0.1")));
    let sessions: Vec<i64> =
        all.connections.iter().filter(|c| c.account == "alice@localhost").map(|c| c.session).collect();
    assert!(sessions.contains(&alice.login.session.id) && sessions.contains(&alice_phone.login.session.id));
    let newest_first = all.connections.windows(2).all(|w| w[0].connected_at_ms >= w[1].connected_at_ms);
    assert!(newest_first, "{:?}", all.connections);

    let mine = admin.client.admin_connections(&wire::ConnectionsQuery::default()).await.unwrap();
    assert_eq!(mine.total, 3);
    assert!(mine.connections.iter().all(|c| c.account.ends_with("@localhost")));
    let theirs = chief.client.admin_connections(&wire::ConnectionsQuery::default()).await.unwrap();
    assert_eq!(theirs.connections.iter().map(|c| c.account.as_str()).collect::<Vec<_>>(), ["chief@example.com"]);
    let other = wire::ConnectionsQuery { domain: Some("localhost".into()), ..Default::default() };
    assert_eq!(chief.client.admin_connections(&other).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let one = root
        .client
        .admin_connections(&wire::ConnectionsQuery { domain: Some("example.com".into()), limit: Some(1) })
        .await
        .unwrap();
    assert_eq!((one.total, one.connections.len()), (1, 1));

    // The dashboard is the server administrators'; members see no connections.
    assert_eq!(admin.client.admin_dashboard().await.unwrap_err().code(), Some(ErrorCode::Forbidden));
    let refused = bob.client.admin_connections(&wire::ConnectionsQuery::default()).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn server_administrators_read_the_log_filtered_and_wait_for_new_lines() {
    // Standard error at `warn`, as every test server: the console keeps `info` and above all
    // the same.
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    let admin = server.admin_user("boss").await;
    assert_eq!(
        admin.client.admin_logs(&wire::LogQuery::default()).await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );

    let security = |after: Option<i64>| wire::LogQuery {
        target: Some("magpie::security".into()),
        q: Some("mallory".into()),
        after,
        ..Default::default()
    };
    let before = root.client.admin_logs(&security(None)).await.unwrap();
    assert!(before.lines.is_empty(), "{:?}", before.lines);

    // A wait for the next line ends with the line a failed login writes.
    let waiting = {
        let client = root.client.clone();
        let q = wire::LogQuery { wait_secs: Some(20), ..security(Some(i64::try_from(before.last).unwrap())) };
        tokio::spawn(async move { client.admin_logs(&q).await })
    };
    assert!(server.anonymous().login("mallory@localhost", "not the password").await.is_err());
    let got = waiting.await.unwrap().unwrap();
    assert_eq!(got.lines.len(), 1, "{:?}", got.lines);
    let line = &got.lines[0];
    assert_eq!((line.level.as_str(), line.target.as_str()), ("INFO", "magpie::security"));
    assert!(line.fields.to_string().contains("mallory@localhost"), "{line:?}");
    assert!(!line.at.is_empty());

    // Filters: a level above it, another target, a text it lacks.
    let warn = wire::LogQuery { level: Some("warn".into()), ..security(None) };
    assert!(root.client.admin_logs(&warn).await.unwrap().lines.is_empty());
    let other = wire::LogQuery { target: Some("magpie_http".into()), q: Some("mallory".into()), ..Default::default() };
    assert!(root.client.admin_logs(&other).await.unwrap().lines.is_empty());
    let after = root.client.admin_logs(&security(Some(i64::try_from(got.last).unwrap()))).await.unwrap();
    assert!(after.lines.is_empty(), "nothing after the last line read");
}
