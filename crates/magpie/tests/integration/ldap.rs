//! LDAP directory sync and login (docs/protocol.md §11.4) against a real OpenLDAP (the slapd
//! that scripts/services starts): each test seeds its own OU under the shared suffix with
//! `ldapmodify`, points a domain's source at it, and checks what the sync and logins do.

use std::process::Stdio;

use magpie_client::wire::{self, ErrorCode, RevokeReason, close_code};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::harness::{PROMPTLY, TestServer, User};

/// The slapd of this test run, and an OU of this test's own under its suffix.
struct Directory {
    url: String,
    bind_dn: String,
    password: String,
    /// `ou=t<random>,dc=acme,dc=example`.
    base: String,
}

impl Directory {
    async fn new() -> Directory {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests under scripts/services"))
        };
        let suffix = var("MAGPIE_TEST_LDAP_BASE");
        let ou = format!("t{:016x}", rand::random::<u64>());
        let dir = Directory {
            url: var("MAGPIE_TEST_LDAP_URL"),
            bind_dn: var("MAGPIE_TEST_LDAP_BIND_DN"),
            password: var("MAGPIE_TEST_LDAP_PASSWORD"),
            base: format!("ou={ou},{suffix}"),
        };
        dir.modify(&format!("dn: {}\nchangetype: add\nobjectClass: organizationalUnit\nou: {ou}\n", dir.base)).await;
        dir
    }

    /// Applies an LDIF of changes with `ldapmodify`.
    async fn modify(&self, ldif: &str) {
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &self.url, "-D", &self.bind_dn, "-w", &self.password])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapmodify (ldap-utils) is installed by scripts/test");
        let mut input = child.stdin.take().unwrap();
        input.write_all(ldif.as_bytes()).await.unwrap();
        drop(input);
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success(), "ldapmodify: {}", String::from_utf8_lossy(&out.stderr));
    }

    async fn add_ou(&self, path: &[&str]) {
        let mut dn = self.base.clone();
        for name in path {
            dn = format!("ou={name},{dn}");
        }
        let name = path.last().unwrap();
        self.modify(&format!("dn: {dn}\nchangetype: add\nobjectClass: organizationalUnit\nou: {name}\n")).await;
    }

    /// The DN of an entry with RDN `rdn` under the OUs `path` (from the top).
    fn dn(&self, rdn: &str, path: &[&str]) -> String {
        let mut dn = self.base.clone();
        for name in path {
            dn = format!("ou={name},{dn}");
        }
        format!("{rdn},{dn}")
    }

    fn person_ldif(&self, uid: &str, path: &[&str], cn: &str, title: &str) -> String {
        format!(
            "dn: {}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {uid}\n\
             mail: {uid}@acme.example\ntelephoneNumber: +1 555 {}\ntitle: {title}\nuserPassword: pw-{uid}\n\n",
            self.dn(&format!("uid={uid}"), path),
            &uid[1..],
        )
    }

    /// A group entry under the OU `ou=Groups`: `groupOfNames` listing `members` by DN, or
    /// (with `posix`) a `posixGroup` listing them by login.
    fn group_ldif(&self, cn: &str, members: &[(String, String)], posix: bool) -> String {
        let dn = self.dn(&format!("cn={cn}"), &["Groups"]);
        let mut ldif = if posix {
            format!("dn: {dn}\nchangetype: add\nobjectClass: posixGroup\ncn: {cn}\ngidNumber: 1000\n")
        } else {
            format!("dn: {dn}\nchangetype: add\nobjectClass: groupOfNames\ncn: {cn}\n")
        };
        for (uid, member_dn) in members {
            if posix {
                ldif.push_str(&format!("memberUid: {uid}\n"));
            } else {
                ldif.push_str(&format!("member: {member_dn}\n"));
            }
        }
        ldif.push('\n');
        ldif
    }

    /// The source settings that point at this test's OU.
    fn source(&self) -> Value {
        json!({
            "url": self.url,
            "bind_dn": self.bind_dn,
            "bind_password": self.password,
            "base_dns": [self.base],
            "disabled_filter": "(employeeType=disabled)",
            "login_enabled": true,
        })
    }

    /// As [`Directory::source`], following the groups under `ou=Groups`.
    fn source_with_groups(&self) -> Value {
        let mut source = self.source();
        source["groups"] = json!({"base_dns": [self.dn("ou=Groups", &[])]});
        source
    }
}

/// An administrator's REST calls to the LDAP endpoints (the SDK has no calls for them).
async fn call(server: &TestServer, user: &User, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}/v1/admin/domains/{path}", server.url);
    let req = match method {
        "GET" => http.get(url),
        "PUT" => http.put(url),
        "DELETE" => http.delete(url),
        _ => http.post(url),
    };
    let req = req.bearer_auth(&user.login.token);
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn sync(server: &TestServer, admin: &User, dry_run: bool) -> wire::LdapSyncReport {
    let path = format!("localhost/ldap/sync?dry_run={dry_run}");
    let (status, body) = call(server, admin, "POST", &path, None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// A report's counts of managers and groups: managers set, groups created, renamed, dissolved,
/// members added and removed.
fn group_counts(r: &wire::LdapSyncReport) -> [u64; 6] {
    [
        r.managers_set,
        r.groups_created,
        r.groups_renamed,
        r.groups_dissolved,
        r.group_members_added,
        r.group_members_removed,
    ]
}

/// A directory person logged in with their directory password.
async fn person(server: &TestServer, uid: &str) -> User {
    let account = format!("{uid}@localhost");
    let (client, login) = server.anonymous().login(&account, &format!("pw-{uid}")).await.unwrap();
    User { account, client, login }
}

/// The group named `name` that `user` is in, and its members' addresses (its owner aside).
async fn group_named(user: &User, name: &str) -> Option<(wire::Conversation, Vec<String>)> {
    let list = user.client.conversations(None, Some(200)).await.unwrap();
    let group = list.into_iter().find(|c| c.name.as_deref() == Some(name))?;
    let members = user.client.members(group.id).await.unwrap();
    let mut members: Vec<String> =
        members.into_iter().filter(|m| m.role != wire::MemberRole::Owner).map(|m| m.account).collect();
    members.sort();
    Some((group, members))
}

fn counts(r: &wire::LdapSyncReport) -> [u64; 7] {
    [
        r.accounts_created,
        r.accounts_updated,
        r.accounts_disabled,
        r.accounts_enabled,
        r.departments_created,
        r.memberships_set,
        r.memberships_removed,
    ]
}

const OUS: &[&[&str]] = &[
    &["Eng"],
    &["Eng", "Web"],
    &["Eng", "Backend"],
    &["Eng", "Backend", "Storage"],
    &["Sales"],
    &["Sales", "North"],
    &["HR"],
];

/// How many groups the seeded directory has; person `i` is in group `i % GROUPS`, and the
/// last group is a `posixGroup` that lists its members by login.
const GROUPS: usize = 20;

#[tokio::test]
async fn a_sync_follows_the_directory_and_a_second_one_changes_nothing() {
    let dir = Directory::new().await;
    for ou in OUS {
        dir.add_ou(ou).await;
    }
    dir.add_ou(&["Groups"]).await;
    let people = 1000;
    let mut ldif = String::new();
    let mut groups: Vec<Vec<(String, String)>> = vec![vec![]; GROUPS];
    for i in 0..people {
        let uid = format!("p{i:04}");
        let mut entry = dir.person_ldif(&uid, OUS[i % OUS.len()], &format!("Person {i}"), "Engineer");
        // Everyone but each tenth person reports to the tenth person before them.
        if i % 10 != 0 {
            let boss = i / 10 * 10;
            let boss_dn = dir.dn(&format!("uid=p{boss:04}"), OUS[boss % OUS.len()]);
            entry.insert_str(entry.len() - 1, &format!("manager: {boss_dn}\n"));
        }
        ldif.push_str(&entry);
        groups[i % GROUPS].push((uid.clone(), dir.dn(&format!("uid={uid}"), OUS[i % OUS.len()])));
    }
    for (g, members) in groups.iter().enumerate() {
        ldif.push_str(&dir.group_ldif(&format!("g{g:02}"), members, g == GROUPS - 1));
    }
    dir.modify(&ldif).await;

    let server = TestServer::start_with(crate::harness::FAST).await;
    let admin = server.admin_user("boss").await;
    let (status, body) = call(&server, &admin, "PUT", "localhost/ldap", Some(&dir.source_with_groups())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bind_password_set"], json!(true));
    assert!(!body.to_string().contains(&dir.password), "the bind password is never shown: {body}");
    let (status, body) = call(&server, &admin, "POST", "localhost/ldap/test", None).await;
    assert_eq!((status, body["people"].as_u64()), (200, Some(people as u64)), "{body}");

    // A dry run reports the plan and changes nothing.
    let plan = sync(&server, &admin, true).await;
    assert!(plan.dry_run);
    assert_eq!(counts(&plan), [1000, 0, 0, 0, 7, 1000, 0], "{plan:?}");
    assert_eq!(group_counts(&plan), [900, GROUPS as u64, 0, 0, 1000, 0], "{plan:?}");
    assert_eq!(plan.groups_seen, GROUPS as u64);
    assert!(admin.client.departments().await.unwrap().departments.is_empty());
    let err = server.anonymous().login("p0000@localhost", "pw-p0000").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));

    // The sync makes what the plan said.
    let report = sync(&server, &admin, false).await;
    assert_eq!(counts(&report), counts(&plan));
    assert_eq!(group_counts(&report), group_counts(&plan));
    let tree = admin.client.departments().await.unwrap().departments;
    assert_eq!(tree.len(), 7);
    let named = |name: &str| tree.iter().find(|d| d.name == name).unwrap().clone();
    let per_ou = (people / OUS.len()) as u64;
    assert_eq!(named("Storage").member_count, per_ou + 1, "{tree:?}");
    assert_eq!(
        named("Eng").total_count,
        named("Eng").member_count + named("Web").member_count + named("Backend").total_count
    );
    assert_eq!(tree.iter().map(|d| d.member_count).sum::<u64>(), people as u64);
    let placements = admin.client.placements("p0003@localhost").await.unwrap().departments;
    let path: Vec<&str> = placements[0].path.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(path, ["Eng", "Backend", "Storage"]);
    assert_eq!(placements[0].title.as_deref(), Some("Engineer"));
    // The card shows the person's own manager.
    let card = admin.client.placements("p0013@localhost").await.unwrap();
    assert_eq!(card.manager.as_deref(), Some("p0010@localhost"));
    assert_eq!(admin.client.placements("p0010@localhost").await.unwrap().manager, None);

    // Each directory group is a group of the people it lists (by DN, and by login for the
    // posixGroup), owned by the organisation's account rather than by a person.
    for g in [3, GROUPS - 1] {
        let member = person(&server, &format!("p{g:04}")).await;
        let (group, members) = group_named(&member, &format!("g{g:02}")).await.expect("in the group");
        let want: Vec<String> = groups[g].iter().map(|(uid, _)| format!("{uid}@localhost")).collect();
        assert_eq!(members, want);
        let owner = member.client.members(group.id).await.unwrap();
        let owner = owner.iter().find(|m| m.role == wire::MemberRole::Owner).unwrap();
        assert_eq!(owner.account, "org-chats@localhost");
    }
    assert!(admin.client.conversations(None, Some(200)).await.unwrap().is_empty(), "the admin owns none of them");
    // That account is no person: nobody finds it, and nobody logs in as it.
    for q in ["org-chats", "Organisation", "组织"] {
        let found = admin.client.search_people(&wire::SearchNamesQuery { q: q.into(), limit: None }).await.unwrap();
        assert!(found.results.is_empty(), "{q}: {:?}", found.results);
    }
    assert!(admin.client.search_accounts("org-chats", None, None).await.unwrap().is_empty());

    // A second sync changes nothing.
    let again = sync(&server, &admin, false).await;
    assert_eq!(counts(&again), [0; 7], "{again:?}");
    assert_eq!(group_counts(&again), [0; 6], "{again:?}");
    // Nor does an incremental one.
    let (status, body) = call(&server, &admin, "POST", "localhost/ldap/sync?incremental=true", None).await;
    assert_eq!(status, 200, "{body}");
    let incremental: wire::LdapSyncReport = serde_json::from_value(body).unwrap();
    assert!(incremental.incremental);
    assert_eq!((counts(&incremental), group_counts(&incremental)), ([0; 7], [0; 6]), "{incremental:?}");

    // Someone logged in from the directory, with a socket open.
    let (client, login) = server.anonymous().login("p0002@localhost", "pw-p0002").await.unwrap();
    let p2 = User { account: "p0002@localhost".into(), client, login };
    let mut live = p2.connect().await;

    // Someone in group g08, whose socket will hear that g08 gains a member.
    let p8 = person(&server, "p0008").await;
    let (g08, _) = group_named(&p8, "g08").await.unwrap();

    // Moved, renamed, disabled and deleted in the directory; a group renamed, one deleted, one
    // gains a member (the directory does not rewrite a moved person's DN in groups: without
    // OpenLDAP's refint overlay, the moved person's group lists a DN that is gone).
    let moved = dir.dn("uid=p0001", OUS[1]);
    dir.modify(&format!(
        "dn: {moved}\nchangetype: modrdn\nnewrdn: uid=p0001\ndeleteoldrdn: 1\nnewsuperior: {}\n\n\
         dn: {}\nchangetype: modify\nreplace: cn\ncn: Renamed Person\n\n\
         dn: {}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n\n\
         dn: {}\nchangetype: delete\n\n\
         dn: {}\nchangetype: modrdn\nnewrdn: cn=Renamed05\ndeleteoldrdn: 1\n\n\
         dn: {}\nchangetype: delete\n\n\
         dn: {}\nchangetype: modify\nadd: member\nmember: {}\n",
        dir.dn("ou=HR", &[]),
        dir.dn("uid=p0000", OUS[0]),
        dir.dn("uid=p0002", OUS[2]),
        dir.dn("uid=p0004", OUS[4]),
        dir.dn("cn=g05", &["Groups"]),
        dir.dn("cn=g06", &["Groups"]),
        dir.dn("cn=g08", &["Groups"]),
        dir.dn("uid=p0009", OUS[9 % OUS.len()]),
    ))
    .await;
    let mut admin_live = admin.connect().await;
    let mut p8_live = p8.connect().await;
    let changed = sync(&server, &admin, false).await;
    assert_eq!(counts(&changed), [0, 1, 2, 0, 0, 1, 1], "{changed:?}");
    // p0001, p0002 and p0004 leave g01, g02 and g04; p0009 joins g08. The people p0000
    // manages keep it (renamed, not moved).
    assert_eq!(group_counts(&changed), [0, 0, 1, 1, 1, 3], "{changed:?}");
    let ops: Vec<(&str, Option<&str>, Option<&str>)> = changed
        .changes
        .iter()
        .filter(|c| c.op.ends_with("_group"))
        .map(|c| (c.op.as_str(), c.account.as_deref(), c.group.as_deref()))
        .collect();
    assert!(ops.contains(&("join_group", Some("p0009@localhost"), Some("g08"))), "{ops:?}");
    assert!(ops.contains(&("leave_group", Some("p0002@localhost"), Some("g02"))), "{ops:?}");
    assert!(ops.contains(&("rename_group", None, Some("Renamed05"))), "{ops:?}");
    assert!(ops.contains(&("dissolve_group", None, Some("g06"))), "{ops:?}");
    // g08's members hear of the joiner as of any group change.
    loop {
        let entry = crate::harness::next_entry(&mut p8_live).await;
        if entry.conversation == g08.id && entry.kind == "system" {
            assert!(format!("{:?}", entry.body).contains("p0009@localhost"), "{entry:?}");
            break;
        }
    }
    // The sync also tells the domain's open clients that its organisation changed; that
    // nudge may come before the revocation.
    loop {
        match live.next_incoming(PROMPTLY).await {
            Some(magpie_client::Incoming::Event(wire::Event::DirectoryChanged {})) => {}
            Some(magpie_client::Incoming::Event(wire::Event::SessionRevoked { reason })) => {
                assert_eq!(reason, RevokeReason::AccountDisabled);
                break;
            }
            other => panic!("expected session_revoked, got {other:?}"),
        }
    }
    // The administrator's open client hears of the change once.
    loop {
        match admin_live.next_incoming(crate::harness::EVENTUALLY).await {
            Some(magpie_client::Incoming::Event(wire::Event::DirectoryChanged {})) => break,
            Some(_) => {}
            None => panic!("the administrator's client was not told that the organisation changed"),
        }
    }
    let closed = live.closed(PROMPTLY).await.expect("the disabled person's socket closes within a second");
    assert_eq!(closed.code, close_code::ACCOUNT_DISABLED);

    let placements = admin.client.placements("p0001@localhost").await.unwrap().departments;
    assert_eq!(placements.iter().map(|p| p.path.last().unwrap().name.as_str()).collect::<Vec<_>>(), ["HR"]);
    assert_eq!(admin.client.account("p0000@localhost").await.unwrap().display_name, "Renamed Person");
    assert!(admin.client.admin_account("p0004@localhost").await.unwrap().disabled, "deleted from the directory");
    assert!(admin.client.admin_account("p0002@localhost").await.unwrap().disabled);
    // Its entry gone, nobody logs in as it (the directory refuses the bind).
    let err = server.anonymous().login("p0004@localhost", "pw-p0004").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    let last = sync(&server, &admin, false).await;
    assert_eq!((counts(&last), group_counts(&last)), ([0; 7], [0; 6]), "{last:?}");
    let (_, g08_members) = group_named(&p8, "g08").await.unwrap();
    assert!(g08_members.contains(&"p0009@localhost".to_owned()));

    // The last sync's report is kept, and shown with the source.
    let shown = admin.client.admin_ldap_source("localhost").await.unwrap();
    let kept = shown.last_sync.expect("the last sync is kept");
    assert_eq!((kept.incremental, kept.error), (false, None));
    assert_eq!(kept.report.as_ref().map(counts), Some([0; 7]));
}

#[tokio::test]
async fn directory_accounts_log_in_with_their_directory_password() {
    let dir = Directory::new().await;
    dir.add_ou(&["Ops"]).await;
    dir.modify(&dir.person_ldif("p0042", &["Ops"], "Ada", "SRE")).await;
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    assert_eq!(call(&server, &admin, "PUT", "localhost/ldap", Some(&dir.source())).await.0, 200);
    sync(&server, &admin, false).await;

    let anon = server.anonymous();
    let (client, login) = anon.login("p0042@localhost", "pw-p0042").await.unwrap();
    assert_eq!(login.me.profile.account, "p0042@localhost");
    assert_eq!(client.me().await.unwrap().profile.display_name, "Ada");
    let err = anon.login("p0042@localhost", "wrong").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));

    // The directory down (a closed port): a clear `unavailable`, and no failure counted, so
    // that however many there are, the owner is not locked out.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut down = dir.source();
    down["url"] = json!(format!("ldap://127.0.0.1:{port}"));
    assert_eq!(call(&server, &admin, "PUT", "localhost/ldap", Some(&down)).await.0, 200);
    for _ in 0..30 {
        let err = anon.login("p0042@localhost", "pw-p0042").await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::Unavailable));
    }
    let (status, body) = call(&server, &admin, "POST", "localhost/ldap/sync?dry_run=true", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("unavailable")), "{body}");
    assert_eq!(call(&server, &admin, "PUT", "localhost/ldap", Some(&dir.source())).await.0, 200);
    assert!(anon.login("p0042@localhost", "pw-p0042").await.is_ok());
}

#[tokio::test]
async fn only_the_domains_administrators_reach_its_source() {
    let dir = Directory::new().await;
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let member = server.user("alice").await;
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    server.create("root@other.example", &["--admin"]).await;
    let other = server.login("root@other.example").await;
    assert_eq!(call(&server, &admin, "PUT", "localhost/ldap", Some(&dir.source())).await.0, 200);

    for user in [&other, &member] {
        for (method, path) in [
            ("GET", "localhost/ldap"),
            ("POST", "localhost/ldap/test"),
            ("POST", "localhost/ldap/sync?dry_run=true"),
            ("DELETE", "localhost/ldap"),
        ] {
            let (status, body) = call(&server, user, method, path, None).await;
            assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{method} {path}");
        }
        let (status, _) = call(&server, user, "PUT", "localhost/ldap", Some(&dir.source())).await;
        assert_eq!(status, 404);
    }
    // Their own domain has none.
    assert_eq!(call(&server, &other, "GET", "other.example/ldap", None).await.0, 404);

    // The CLI: the dry run prints the plan.
    dir.modify(&dir.person_ldif("p0007", &[], "Bo", "Clerk")).await;
    let out = server.admin(&["ldap", "sync", "--dry-run"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: wire::LdapSyncReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report.dry_run, report.accounts_created), (true, 1));
    let out = server.admin(&["ldap", "show"], "").await;
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&dir.password));
    assert_eq!(call(&server, &admin, "DELETE", "localhost/ldap", None).await.0, 204);
}

/// The members of a chat other than its owner, as `user` (a member) reads them.
async fn chat_members(user: &User, chat: i64) -> Vec<String> {
    let members = user.client.members(chat).await.unwrap();
    let mut members: Vec<String> =
        members.into_iter().filter(|m| m.role != wire::MemberRole::Owner).map(|m| m.account).collect();
    members.sort();
    members
}

#[tokio::test]
async fn department_chats_follow_the_departments() {
    let dir = Directory::new().await;
    for ou in [&["Eng"][..], &["Eng", "Web"], &["HR"]] {
        dir.add_ou(ou).await;
    }
    let mut ldif = String::new();
    for (uid, path) in
        [("p0101", &["Eng"][..]), ("p0102", &["Eng", "Web"]), ("p0103", &["Eng", "Web"]), ("p0104", &["HR"])]
    {
        ldif.push_str(&dir.person_ldif(uid, path, uid, "Dev"));
    }
    dir.modify(&ldif).await;
    let server = TestServer::start_with(crate::harness::FAST).await;
    let admin = server.admin_user("boss").await;
    let source: wire::SetLdapSourceRequest = serde_json::from_value(dir.source()).unwrap();
    admin.client.admin_set_ldap_source("localhost", &source).await.unwrap();
    sync(&server, &admin, false).await;
    let tree = admin.client.departments().await.unwrap().departments;
    let id = |name: &str| tree.iter().find(|d| d.name == name).unwrap().id;
    let (eng, web) = (id("Eng"), id("Web"));

    // Turned on, the chat holds the department's people and those below it.
    let department = admin.client.admin_set_department_chat(eng, true).await.unwrap();
    let chat = department.chat.expect("the department has its chat");
    assert_eq!(
        admin.client.departments().await.unwrap().departments.iter().find(|d| d.id == eng).unwrap().chat,
        Some(chat)
    );
    let p101 = person(&server, "p0101").await;
    assert_eq!(chat_members(&p101, chat).await, ["p0101@localhost", "p0102@localhost", "p0103@localhost"]);
    let p104 = person(&server, "p0104").await;
    assert!(p104.client.members(chat).await.is_err(), "HR is not in Eng's chat");

    // A joiner from the directory is added, and hears of it on its open socket.
    let mut live = p104.connect().await;
    dir.modify(&format!(
        "dn: {}\nchangetype: modrdn\nnewrdn: uid=p0104\ndeleteoldrdn: 1\nnewsuperior: {}\n",
        dir.dn("uid=p0104", &["HR"]),
        dir.dn("ou=Web", &["Eng"]),
    ))
    .await;
    let moved = sync(&server, &admin, false).await;
    assert_eq!(counts(&moved), [0, 0, 0, 0, 0, 1, 1], "{moved:?}");
    loop {
        let event = crate::harness::next_account_event(&mut live).await;
        if event.event == (wire::AccountEvent::ConversationJoined { conversation: chat }) {
            break;
        }
    }
    assert_eq!(
        chat_members(&p101, chat).await,
        ["p0101@localhost", "p0102@localhost", "p0103@localhost", "p0104@localhost"]
    );

    // An administrator's changes: a leaver is removed, a joiner added, a rename follows.
    admin.client.admin_remove_department_member(web, "p0102@localhost").await.unwrap();
    let alice = server.user("alice").await;
    admin.client.admin_set_department_member(eng, "alice@localhost", Some("Lead")).await.unwrap();
    assert_eq!(
        chat_members(&p101, chat).await,
        ["alice@localhost", "p0101@localhost", "p0103@localhost", "p0104@localhost"]
    );
    let rename = wire::UpdateDepartmentRequest { name: Some("Engineering".into()), ..Default::default() };
    admin.client.admin_update_department(eng, &rename).await.unwrap();
    assert_eq!(alice.client.conversation(chat).await.unwrap().name.as_deref(), Some("Engineering"));
    // Disabled by an administrator (REST or the CLI), a person leaves it; enabled, comes back.
    admin.client.admin_disable("alice@localhost").await.unwrap();
    assert_eq!(chat_members(&p101, chat).await, ["p0101@localhost", "p0103@localhost", "p0104@localhost"]);
    let out = server.admin(&["user", "enable", "alice"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        chat_members(&p101, chat).await,
        ["alice@localhost", "p0101@localhost", "p0103@localhost", "p0104@localhost"]
    );

    // Another domain sees none of it.
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    server.create("root@other.example", &["--admin"]).await;
    let other = server.login("root@other.example").await;
    assert!(other.client.departments().await.unwrap().departments.is_empty());
    assert!(other.client.members(chat).await.is_err());
    assert!(other.client.placements("p0101@localhost").await.is_err());

    // Turned off, the chat is dissolved.
    let department = admin.client.admin_set_department_chat(eng, false).await.unwrap();
    assert_eq!(department.chat, None);
    assert!(p101.client.members(chat).await.is_err());
}

#[tokio::test]
async fn an_incremental_sync_reads_what_changed_and_a_full_one_sees_deletions() {
    let dir = Directory::new().await;
    dir.add_ou(&["Ops"]).await;
    dir.add_ou(&["Groups"]).await;
    let uids = ["p0201", "p0202", "p0203"];
    let mut ldif = String::new();
    for uid in uids {
        ldif.push_str(&dir.person_ldif(uid, &["Ops"], uid, "SRE"));
    }
    let members: Vec<(String, String)> =
        uids.iter().map(|u| ((*u).to_owned(), dir.dn(&format!("uid={u}"), &["Ops"]))).collect();
    ldif.push_str(&dir.group_ldif("oncall", &members, false));
    dir.modify(&ldif).await;
    let server = TestServer::start_with(crate::harness::FAST).await;
    let admin = server.admin_user("boss").await;
    let source: wire::SetLdapSourceRequest = serde_json::from_value(dir.source_with_groups()).unwrap();
    admin.client.admin_set_ldap_source("localhost", &source).await.unwrap();
    let full = wire::LdapSyncQuery::default();
    let incremental = wire::LdapSyncQuery { incremental: Some(true), ..Default::default() };
    let first = admin.client.admin_sync_ldap("localhost", &incremental).await.unwrap();
    assert!(!first.incremental, "with no sync before, an incremental sync reads everything");
    assert_eq!(group_counts(&first), [0, 1, 0, 0, 3, 0]);

    // One person renamed, one deleted (and still listed by the group, whose entry is unchanged).
    dir.modify(&format!(
        "dn: {}\nchangetype: modify\nreplace: cn\ncn: Changed\n\ndn: {}\nchangetype: delete\n",
        dir.dn("uid=p0201", &["Ops"]),
        dir.dn("uid=p0202", &["Ops"]),
    ))
    .await;
    let changed = admin.client.admin_sync_ldap("localhost", &incremental).await.unwrap();
    assert!(changed.incremental);
    assert_eq!(counts(&changed), [0, 1, 0, 0, 0, 0, 0], "the deletion is not seen: {changed:?}");
    assert_eq!(group_counts(&changed), [0; 6], "{changed:?}");
    assert!(!admin.client.admin_account("p0202@localhost").await.unwrap().disabled);
    let kept = admin.client.admin_ldap_source("localhost").await.unwrap().last_sync.unwrap();
    assert!(kept.incremental);
    assert_eq!(kept.report.as_ref().map(counts), Some(counts(&changed)));

    // A full sync sees it: the account is disabled and leaves the group.
    let swept = admin.client.admin_sync_ldap("localhost", &full).await.unwrap();
    assert!(!swept.incremental);
    assert_eq!(counts(&swept), [0, 0, 1, 0, 0, 0, 0], "{swept:?}");
    assert_eq!(group_counts(&swept), [0, 0, 0, 0, 0, 1], "{swept:?}");
    let p201 = person(&server, "p0201").await;
    let (_, members) = group_named(&p201, "oncall").await.unwrap();
    assert_eq!(members, ["p0201@localhost", "p0203@localhost"]);

    // A sync that fails is kept with its error, and the report before it is not.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut down = dir.source_with_groups();
    down["url"] = json!(format!("ldap://127.0.0.1:{port}"));
    assert_eq!(call(&server, &admin, "PUT", "localhost/ldap", Some(&down)).await.0, 200);
    let err = admin.client.admin_sync_ldap("localhost", &full).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unavailable));
    let kept = admin.client.admin_ldap_source("localhost").await.unwrap().last_sync.unwrap();
    assert_eq!((kept.report, kept.error.as_deref()), (None, Some("directory unavailable")));
    let out = server.admin(&["ldap", "show"], "").await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("directory unavailable"));
}
