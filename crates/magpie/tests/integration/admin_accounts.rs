//! Administrators manage accounts (issue 22's console, over REST and the CLI): many made at once
//! from a list, all or none; display names and roles changed within the administrator's own
//! role; passwords reset with the account signed out everywhere.

use magpie_client::wire::{self, ErrorCode, Role};

use crate::harness::{PASSWORD, TestServer};

fn row(account: &str) -> wire::ImportAccountRow {
    wire::ImportAccountRow { account: account.into(), ..Default::default() }
}

fn import(rows: Vec<wire::ImportAccountRow>, dry_run: bool) -> wire::ImportAccountsRequest {
    wire::ImportAccountsRequest { domain: None, rows, dry_run }
}

#[tokio::test]
async fn an_import_with_a_bad_row_makes_nothing_and_a_good_one_makes_every_account() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    server.create("taken", &[]).await;
    let missing = |account: &'static str| {
        let client = admin.client.clone();
        async move { client.admin_account(account).await.unwrap_err().code() == Some(ErrorCode::NotFound) }
    };

    // 200 rows, five of them bad in five ways: every bad row is named, nothing is made.
    let mut rows: Vec<wire::ImportAccountRow> = (0..200)
        .map(|i| wire::ImportAccountRow { display_name: Some(format!("员工 {i}")), ..row(&format!("staff{i:03}")) })
        .collect();
    rows[10] = row("no spaces allowed");
    rows[20] = row("staff005");
    rows[30] = row("taken@localhost");
    rows[40] = wire::ImportAccountRow { role: Some(Role::ServerAdmin), ..row("chief") };
    rows[50] = wire::ImportAccountRow { password: Some("short".into()), ..row("weak") };
    let report = admin.client.admin_import_accounts(&import(rows.clone(), false)).await.unwrap();
    let bad: Vec<(u32, &str)> = report.errors.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(bad, [(10, "account"), (20, "account"), (30, "account"), (40, "role"), (50, "password")]);
    assert!(report.errors[1].message.contains("row 6"), "{:?}", report.errors[1]);
    assert!(report.created.is_empty());
    assert!(missing("staff000@localhost").await && missing("staff199@localhost").await, "nothing half-made");

    // Fixed, a dry run checks and makes nothing; then the import makes all 200.
    rows[10] = row("staff010");
    rows[20] = row("staff020");
    rows[30] = row("staff030@localhost");
    rows[40] = wire::ImportAccountRow { role: Some(Role::DomainAdmin), ..row("staff040") };
    rows[50] = wire::ImportAccountRow { password: Some("a long enough passphrase 7".into()), ..row("staff050") };
    let dry = admin.client.admin_import_accounts(&import(rows.clone(), true)).await.unwrap();
    assert!(dry.dry_run && dry.errors.is_empty() && dry.created.is_empty());
    assert!(missing("staff000@localhost").await);
    let done = admin.client.admin_import_accounts(&import(rows, false)).await.unwrap();
    assert!(done.errors.is_empty(), "{:?}", done.errors);
    assert_eq!(done.created.len(), 200);
    assert_eq!(done.created[0].account.profile.display_name, "员工 0");
    assert_eq!(done.created[40].account.role, Role::DomainAdmin);
    assert_eq!(done.created[50].password, None, "a given password is not echoed");
    let made = done.created[7].password.clone().unwrap();
    assert_eq!(made.chars().count(), 16);
    server.anonymous().login("staff007@localhost", &made).await.unwrap();
    server.anonymous().login("staff050@localhost", "a long enough passphrase 7").await.unwrap();
    assert_eq!(admin.client.admin_account("staff199@localhost").await.unwrap().profile.display_name, "员工 199");

    // Found by name, display name or part of either, a page at a time.
    let found = admin.client.admin_search_accounts(None, "员工 19", None, Some(5)).await.unwrap();
    let names: Vec<&str> = found.iter().map(|a| a.profile.account.as_str()).collect();
    assert_eq!(
        names,
        ["staff019@localhost", "staff190@localhost", "staff191@localhost", "staff192@localhost", "staff193@localhost"]
    );
    let next = admin.client.admin_search_accounts(None, "STAFF19", Some("staff193"), Some(50)).await.unwrap();
    assert_eq!(next.len(), 6, "staff194 to staff199");

    // Again: every name is taken now, and nothing more is made.
    let again = admin.client.admin_import_accounts(&import(vec![row("staff001"), row("newcomer")], false)).await;
    let again = again.unwrap();
    assert_eq!(again.errors.iter().map(|e| e.row).collect::<Vec<_>>(), [0]);
    assert!(again.created.is_empty());
    assert!(missing("newcomer@localhost").await);

    // Each account made is one audit record.
    let q = wire::AuditQuery {
        action: Some("account.create".into()),
        actor: Some("boss@".into()),
        limit: Some(200),
        ..Default::default()
    };
    let records = admin.client.admin_audit(&q).await.unwrap().records;
    assert_eq!(records.len(), 200);
    assert_eq!(records[0].after.as_ref().unwrap()["import"], true);

    // A member imports nothing; an empty or oversized list is refused.
    let member = server.user("alice").await;
    let refused = member.client.admin_import_accounts(&import(vec![row("x1")], false)).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::NotFound));
    let empty = admin.client.admin_import_accounts(&import(vec![], false)).await.unwrap_err();
    assert_eq!(empty.code(), Some(ErrorCode::InvalidField));
    let many = (0..1001).map(|i| row(&format!("m{i}"))).collect();
    assert_eq!(
        admin.client.admin_import_accounts(&import(many, true)).await.unwrap_err().code(),
        Some(ErrorCode::InvalidField)
    );
}

#[tokio::test]
async fn administrators_rename_change_roles_within_their_own_and_reset_passwords() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;

    let renamed = wire::UpdateAccountRequest { display_name: Some("王小丽".into()), role: Some(Role::DomainAdmin) };
    let alice_now = admin.client.admin_update_account("alice@localhost", &renamed).await.unwrap();
    assert_eq!((alice_now.profile.display_name.as_str(), alice_now.role), ("王小丽", Role::DomainAdmin));
    assert_eq!(alice.client.me().await.unwrap().role, Role::DomainAdmin);

    // Not above one's own role, not one's own, not a higher account's.
    let up = wire::UpdateAccountRequest { role: Some(Role::ServerAdmin), ..Default::default() };
    assert_eq!(
        admin.client.admin_update_account("alice@localhost", &up).await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
    let down = wire::UpdateAccountRequest { role: Some(Role::Member), ..Default::default() };
    assert_eq!(
        admin.client.admin_update_account("boss@localhost", &down).await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        admin.client.admin_update_account("root@localhost", &down).await.unwrap_err().code(),
        Some(ErrorCode::Forbidden)
    );
    let bad = wire::UpdateAccountRequest { display_name: Some(" ".into()), ..Default::default() };
    assert_eq!(
        admin.client.admin_update_account("alice@localhost", &bad).await.unwrap_err().code(),
        Some(ErrorCode::InvalidField)
    );
    // A server administrator may make one.
    let alice_up = root.client.admin_update_account("alice@localhost", &up).await.unwrap();
    assert_eq!(alice_up.role, Role::ServerAdmin);
    root.client.admin_update_account("alice@localhost", &down).await.unwrap();

    // A reset signs the account out everywhere; a made password is answered once and works.
    let bob = server.user("bob").await;
    let made = admin.client.admin_reset_password("bob@localhost", None).await.unwrap().password.unwrap();
    assert_eq!(bob.client.me().await.unwrap_err().code(), Some(ErrorCode::Unauthenticated));
    server.anonymous().login("bob@localhost", &made).await.unwrap();
    assert!(server.anonymous().login("bob@localhost", PASSWORD).await.is_err());
    let given = admin.client.admin_reset_password("bob@localhost", Some("another fine passphrase 9")).await.unwrap();
    assert_eq!(given.password, None);
    server.anonymous().login("bob@localhost", "another fine passphrase 9").await.unwrap();
    let weak = admin.client.admin_reset_password("bob@localhost", Some("short")).await.unwrap_err();
    assert_eq!(weak.code(), Some(ErrorCode::InvalidField));
    let own = admin.client.admin_reset_password("boss@localhost", None).await.unwrap_err();
    assert_eq!(own.code(), Some(ErrorCode::Forbidden));

    // Each change is recorded, the password never.
    let q = wire::AuditQuery { target: Some("@localhost".into()), actor: Some("boss@".into()), ..Default::default() };
    let records = admin.client.admin_audit(&q).await.unwrap().records;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["account.password_reset", "account.password_reset", "account.update"]);
    assert_eq!(records[1].after.as_ref().unwrap()["generated"], true);
    assert!(!serde_json::to_string(&records).unwrap().contains("another fine passphrase"));
    let update = &records[2];
    assert_eq!(update.before.as_ref().unwrap()["role"], "member");
    assert_eq!(update.after.as_ref().unwrap()["display_name"], "王小丽");
}

#[tokio::test]
async fn the_cli_imports_a_csv_file_all_or_none() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "account,display_name,role,password\nann,安,member,\nbad name,,,\nben,,chief,\n").unwrap();
    let out = server.admin(&["user", "import", bad.to_str().unwrap()], "").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chief"), "{}", String::from_utf8_lossy(&out.stderr));
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "account,display_name,password\nann,安,\nbad name,,\nben,Ben,a long enough passphrase 7\n")
        .unwrap();
    let out = server.admin(&["user", "import", good.to_str().unwrap()], "").await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("line 3\taccount"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        server.anonymous().login("ann@localhost", "x").await.unwrap_err().code() == Some(ErrorCode::InvalidCredentials)
    );

    std::fs::write(&good, "account,display_name,password\nann,安,\nben,Ben,a long enough passphrase 7\n").unwrap();
    let out = server.admin(&["user", "import", good.to_str().unwrap()], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ann = stdout.lines().find(|l| l.starts_with("ann@localhost")).unwrap();
    let made = ann.split('\t').nth(2).unwrap();
    server.anonymous().login("ann@localhost", made).await.unwrap();
    server.anonymous().login("ben@localhost", "a long enough passphrase 7").await.unwrap();
}
