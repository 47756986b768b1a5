//! The organisation (docs/protocol.md §11) through the real server: a domain's administrators
//! build its tree of departments and put people in them; every member browses it, sees where
//! anyone sits and finds departments by name; nothing crosses domains; the CLI does the same
//! by paths of names.

use magpie_client::wire::{self, ErrorCode};

use crate::harness::{TestServer, User};

fn create(name: &str, parent: Option<i64>) -> wire::CreateDepartmentRequest {
    wire::CreateDepartmentRequest { name: name.into(), parent, ..Default::default() }
}

async fn department(admin: &User, name: &str, parent: Option<i64>) -> wire::Department {
    admin.client.admin_create_department("localhost", &create(name, parent)).await.unwrap()
}

#[tokio::test]
async fn members_browse_the_tree_that_admins_build() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;

    let hq = department(&admin, "总部", None).await;
    let rd = admin
        .client
        .admin_create_department(
            "localhost",
            &wire::CreateDepartmentRequest {
                manager: Some("alice@localhost".into()), ..create("研发部", Some(hq.id))
            },
        )
        .await
        .unwrap();
    let web = department(&admin, "前端组", Some(rd.id)).await;
    let sales = department(&admin, "销售部", Some(hq.id)).await;
    admin.client.admin_set_department_member(rd.id, "alice@localhost", Some("总监")).await.unwrap();
    admin.client.admin_set_department_member(web.id, "bob@localhost", Some("工程师")).await.unwrap();
    admin.client.admin_set_department_member(web.id, "carol@localhost", None).await.unwrap();
    admin.client.admin_set_department_member(sales.id, "bob@localhost", None).await.unwrap();

    // The tree, parents first, with people in each and in all below it.
    let tree = carol.client.departments().await.unwrap().departments;
    let row = |id: i64| tree.iter().find(|d| d.id == id).unwrap().clone();
    assert_eq!(tree[0].id, hq.id);
    assert_eq!((row(hq.id).member_count, row(hq.id).total_count), (0, 4));
    assert_eq!((row(rd.id).member_count, row(rd.id).total_count), (1, 3));
    assert_eq!((row(web.id).member_count, row(web.id).total_count), (2, 2));
    assert_eq!(row(rd.id).manager.as_deref(), Some("alice@localhost"));
    assert_eq!(row(web.id).parent, Some(rd.id));

    // A department's people, by login name, a page at a time.
    let first = carol
        .client
        .department_members(web.id, &wire::DepartmentMembersQuery { after: None, limit: Some(1) })
        .await
        .unwrap();
    assert_eq!(first.members.len(), 1);
    assert_eq!(
        (first.members[0].profile.account.as_str(), first.members[0].title.as_deref()),
        ("bob@localhost", Some("工程师"))
    );
    let next = carol
        .client
        .department_members(web.id, &wire::DepartmentMembersQuery { after: Some("bob".into()), limit: Some(1) })
        .await
        .unwrap();
    assert_eq!(next.members[0].profile.account, "carol@localhost");

    // A person card: where bob sits, with paths, titles and managers.
    let bob_sits = alice.client.placements("bob@localhost").await.unwrap().departments;
    let paths: Vec<Vec<&str>> = bob_sits.iter().map(|p| p.path.iter().map(|s| s.name.as_str()).collect()).collect();
    assert!(paths.contains(&vec!["总部", "研发部", "前端组"]), "{paths:?}");
    assert!(paths.contains(&vec!["总部", "销售部"]), "{paths:?}");
    let in_web = bob_sits.iter().find(|p| p.department == web.id).unwrap();
    assert_eq!(in_web.title.as_deref(), Some("工程师"));

    // Departments by name, pinyin or initials, with their paths; over the WebSocket too.
    let found =
        bob.client.search_departments(&wire::SearchNamesQuery { q: "yanfa".into(), limit: None }).await.unwrap();
    assert_eq!(found.results.iter().map(|r| r.department).collect::<Vec<_>>(), [rd.id]);
    assert_eq!(found.results[0].matched, wire::NameMatch::Pinyin);
    let ws = bob.client.connect().await.unwrap();
    assert_eq!(
        ws.search_departments(wire::SearchNamesQuery { q: "qdz".into(), limit: None }).await.unwrap().results[0]
            .department,
        web.id
    );
    assert_eq!(ws.departments().await.unwrap().departments.len(), 4);
    let members = ws
        .department_members(wire::DepartmentMembersRequest { department: rd.id, after: None, limit: None })
        .await
        .unwrap();
    assert_eq!(members.members.len(), 1);
    assert_eq!(ws.placements("alice@localhost").await.unwrap().departments[0].department, rd.id);

    // A disabled person leaves the counts and the lists.
    let out = server.admin(&["user", "disable", "carol"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = alice.client.departments().await.unwrap().departments;
    assert_eq!(tree.iter().find(|d| d.id == hq.id).unwrap().total_count, 3);
}

#[tokio::test]
async fn the_tree_keeps_its_rules_and_only_admins_change_it() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let hq = department(&admin, "hq", None).await;
    let rd = department(&admin, "rd", Some(hq.id)).await;

    let err = admin.client.admin_create_department("localhost", &create("rd", Some(hq.id))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AlreadyExists));
    let err = admin.client.admin_create_department("localhost", &create("a/b", None)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let under_rd = wire::UpdateDepartmentRequest { parent: Some(Some(rd.id)), ..Default::default() };
    let err = admin.client.admin_update_department(hq.id, &under_rd).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "a department is not moved below itself");
    let err = admin.client.admin_delete_department(hq.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Conflict), "departments are under it");
    // Moved to the top, renamed, with a manager set and cleared.
    let top = wire::UpdateDepartmentRequest {
        parent: Some(None),
        name: Some("研发中心".into()),
        manager: Some(Some("alice@localhost".into())),
        ..Default::default()
    };
    let moved = admin.client.admin_update_department(rd.id, &top).await.unwrap();
    assert_eq!(
        (moved.parent, moved.name.as_str(), moved.manager.as_deref()),
        (None, "研发中心", Some("alice@localhost"))
    );
    let cleared = admin
        .client
        .admin_update_department(rd.id, &wire::UpdateDepartmentRequest { manager: Some(None), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(cleared.manager, None);
    admin.client.admin_delete_department(hq.id).await.unwrap();

    // A member changes nothing: to it, the administration of its domain does not exist.
    let err = alice.client.admin_create_department("localhost", &create("mine", None)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = alice.client.admin_set_department_member(rd.id, "alice@localhost", Some("boss")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = admin.client.admin_remove_department_member(rd.id, "alice@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "she was never in it");
}

#[tokio::test]
async fn another_domains_organisation_is_invisible() {
    let server = TestServer::start().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = server.admin_user("boss").await;
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;
    server.create("eve@acme.example", &[]).await;
    let eve = server.login("eve@acme.example").await;
    let ours = department(&admin, "研发部", None).await;
    admin.client.admin_set_department_member(ours.id, "boss@localhost", None).await.unwrap();
    let theirs = chief.client.admin_create_department("acme.example", &create("研发部", None)).await.unwrap();

    assert_eq!(
        eve.client.departments().await.unwrap().departments.iter().map(|d| d.id).collect::<Vec<_>>(),
        [theirs.id]
    );
    let err = eve.client.department_members(ours.id, &Default::default()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = eve.client.placements("boss@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let found = eve.client.search_departments(&wire::SearchNamesQuery { q: "研发".into(), limit: None }).await.unwrap();
    assert_eq!(found.results.iter().map(|r| r.department).collect::<Vec<_>>(), [theirs.id]);
    // Their administrator cannot touch ours, nor put our people in theirs.
    let err = chief.client.admin_delete_department(ours.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = chief.client.admin_set_department_member(theirs.id, "boss@localhost", None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = chief.client.admin_create_department("localhost", &create("x", None)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = chief.client.department_members(ours.id, &Default::default()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "a domain administrator reads only its own");
    let err = chief.client.admin_domain("localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert_eq!(chief.client.admin_domain("acme.example").await.unwrap().name, "acme.example");

    // A server administrator manages every domain: it reads their departments' people.
    server.create("root", &["--server-admin"]).await;
    let root = server.login("root@localhost").await;
    chief.client.admin_set_department_member(theirs.id, "eve@acme.example", Some("工程师")).await.unwrap();
    let people = root.client.department_members(theirs.id, &Default::default()).await.unwrap().members;
    assert_eq!(people.iter().map(|m| m.profile.account.as_str()).collect::<Vec<_>>(), ["eve@acme.example"]);
    assert_eq!(root.client.admin_domain("acme.example").await.unwrap().name, "acme.example");
}

#[tokio::test]
async fn the_cli_builds_the_tree_by_paths_of_names() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let run = |args: &'static [&'static str]| {
        let server = &server;
        async move {
            let out = server.admin(&[&["dept"], args].concat(), "").await;
            assert!(out.status.success(), "dept {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    run(&["add", "总部"]).await;
    run(&["add", "研发部", "--parent", "总部", "--manager", "alice"]).await;
    run(&["join", "总部/研发部", "alice", "--title", "总监"]).await;
    let listed = run(&["list"]).await;
    assert!(listed.lines().any(|l| l.contains("总部/研发部\t1/1\talice@localhost")), "{listed}");
    let members = run(&["members", "总部/研发部"]).await;
    assert!(members.contains("alice@localhost\talice\t总监"), "{members}");

    let sits = alice.client.placements("alice@localhost").await.unwrap().departments;
    assert_eq!(sits[0].path.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["总部", "研发部"]);
    assert_eq!(sits[0].manager.as_deref(), Some("alice@localhost"));

    // A person's own manager, set and cleared.
    server.create("bob", &[]).await;
    assert_eq!(run(&["manager", "bob", "alice"]).await.trim(), "bob@localhost reports to alice@localhost");
    assert_eq!(alice.client.placements("bob@localhost").await.unwrap().manager.as_deref(), Some("alice@localhost"));
    run(&["manager", "bob", "-"]).await;
    assert_eq!(alice.client.placements("bob@localhost").await.unwrap().manager, None);

    run(&["set", "总部/研发部", "--parent", "/", "--manager", "-"]).await;
    run(&["leave", "研发部", "alice"]).await;
    run(&["rm", "总部"]).await;
    assert!(alice.client.placements("alice@localhost").await.unwrap().departments.is_empty());
    let out = server.admin(&["dept", "rm", "nowhere"], "").await;
    assert!(!out.status.success());
}

#[tokio::test]
async fn open_clients_of_the_domain_hear_that_the_organisation_changed() {
    use magpie_client::Incoming;
    let server = TestServer::start().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.create("eve@acme.example", &[]).await;
    let eve = server.login("eve@acme.example").await;
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;
    let mut alice_live = alice.connect().await;
    let mut eve_live = eve.connect().await;

    // Two changes in alice's domain, then one in eve's, then a message to eve as a marker:
    // what is pushed to eve comes in that order.
    let hq = department(&admin, "总部", None).await;
    admin.client.admin_set_department_member(hq.id, "alice@localhost", Some("总监")).await.unwrap();
    chief.client.admin_create_department("acme.example", &create("theirs", None)).await.unwrap();
    let chat = chief.client.open_direct("eve@acme.example").await.unwrap();
    chief.client.send_text(chat.id, "marker", "marker").await.unwrap();

    /// `directory_changed` events on `live` until an entry arrives (or, without `until_entry`,
    /// until `count` of them did).
    async fn changes(live: &mut magpie_client::Connection, until_entry: bool, count: usize) -> usize {
        let deadline = tokio::time::Instant::now() + crate::harness::EVENTUALLY;
        let mut heard = 0;
        loop {
            if !until_entry && heard == count {
                return heard;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match live.next_incoming(left).await {
                Some(Incoming::Event(wire::Event::DirectoryChanged {})) => heard += 1,
                Some(Incoming::Event(wire::Event::Entry(e))) if until_entry && e.kind == "text" => return heard,
                Some(_) => {}
                None => panic!("heard {heard} changes, then nothing"),
            }
        }
    }
    assert_eq!(changes(&mut alice_live, false, 2).await, 2);
    assert_eq!(changes(&mut eve_live, true, 0).await, 1, "eve hears of her own domain's change only");
}

#[tokio::test]
async fn administrators_set_a_persons_own_manager_shown_on_their_card() {
    let server = TestServer::start().await;
    assert!(server.admin(&["domain", "add", "acme.example"], "").await.status.success());
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;

    admin.client.admin_set_manager("alice@localhost", Some("bob@localhost")).await.unwrap();
    assert_eq!(alice.client.placements("alice@localhost").await.unwrap().manager.as_deref(), Some("bob@localhost"));
    let ws = alice.connect().await;
    assert_eq!(ws.placements("alice@localhost").await.unwrap().manager.as_deref(), Some("bob@localhost"));

    // Bad input changes nothing: oneself, someone of another domain, a member's request.
    let err = admin.client.admin_set_manager("alice@localhost", Some("alice@localhost")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let err = admin.client.admin_set_manager("alice@localhost", Some("chief@acme.example")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = alice.client.admin_set_manager("alice@localhost", None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = chief.client.admin_set_manager("alice@localhost", None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.placements("alice@localhost").await.unwrap().manager.as_deref(), Some("bob@localhost"));

    admin.client.admin_set_manager("alice@localhost", None).await.unwrap();
    assert_eq!(alice.client.placements("alice@localhost").await.unwrap().manager, None);
}
