//! The audit log (issue 22) through the real server: every administrative action, by REST or
//! by the command line, leaves exactly one record with who, from where, what and the changed
//! fields before and after; server administrators read all of it, a domain's administrators
//! their domain's, members nothing; the export holds the same records, oldest first.

use magpie_client::wire::{self, ErrorCode, RegistrationMode};
use serde_json::json;

use crate::harness::{PASSWORD, TestServer, User};

fn query() -> wire::AuditQuery {
    wire::AuditQuery::default()
}

/// Every record `reader` may read, newest first, a page of `page` at a time.
async fn all(reader: &User, q: &wire::AuditQuery, page: i64) -> Vec<wire::AuditRecordInfo> {
    let mut records = Vec::new();
    let mut before = None;
    loop {
        let got =
            reader.client.admin_audit(&wire::AuditQuery { before, limit: Some(page), ..q.clone() }).await.unwrap();
        records.extend(got.records);
        match got.next_before {
            Some(next) => before = Some(next),
            None => return records,
        }
    }
}

fn actions(records: &[wire::AuditRecordInfo]) -> Vec<&str> {
    records.iter().map(|r| r.action.as_str()).collect()
}

#[tokio::test]
async fn every_admin_action_is_recorded_once_with_who_what_and_before_after() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    let admin = server.admin_user("boss").await;
    server.user("alice").await;

    // A domain admin's actions over REST, in this order.
    admin.client.admin_set_registration("localhost", RegistrationMode::Approval).await.unwrap();
    admin.client.admin_set_members_invite("localhost", true).await.unwrap();
    admin.client.admin_set_direct_requires_friendship("localhost", true).await.unwrap();
    let created = wire::CreateAccountRequest {
        account: "bob@localhost".into(),
        password: PASSWORD.into(),
        display_name: Some("Bob 鲍勃".into()),
        role: None,
    };
    admin.client.admin_create_account(&created).await.unwrap();
    admin.client.admin_disable("alice@localhost").await.unwrap();
    admin.client.admin_enable("alice@localhost").await.unwrap();
    let bob = server.login("bob@localhost").await;
    admin.client.admin_revoke_session("bob@localhost", bob.login.session.id).await.unwrap();
    admin.client.admin_revoke_sessions("alice@localhost").await.unwrap();
    let invitation =
        wire::CreateInvitationRequest { uses_max: Some(3), ttl_secs: Some(3600), note: Some("新人".into()) };
    let invitation = admin.client.admin_create_invitation("localhost", &invitation).await.unwrap();
    admin.client.admin_revoke_invitation("localhost", invitation.invitation.id).await.unwrap();
    server
        .anonymous()
        .apply(&wire::RegisterRequest {
            account: "carol@localhost".into(),
            password: PASSWORD.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    admin.client.admin_decide("carol@localhost", true).await.unwrap();
    let sales = admin
        .client
        .admin_create_department(
            "localhost",
            &wire::CreateDepartmentRequest { name: "销售部".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let rename = wire::UpdateDepartmentRequest { name: Some("销售中心".into()), ..Default::default() };
    admin.client.admin_update_department(sales.id, &rename).await.unwrap();
    admin.client.admin_set_department_member(sales.id, "bob@localhost", Some("经理")).await.unwrap();
    admin.client.admin_remove_department_member(sales.id, "bob@localhost").await.unwrap();
    admin.client.admin_set_manager("bob@localhost", Some("carol@localhost")).await.unwrap();
    admin.client.admin_delete_department(sales.id).await.unwrap();
    admin.client.announce("周五下午停电", None).await.unwrap();
    // Reads, and refused actions, leave nothing.
    admin.client.admin_accounts(None).await.unwrap();
    admin.client.admin_departments("localhost").await.unwrap();
    let refused = admin.client.admin_disable("boss@localhost").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
    // A server administrator's, and the command line's.
    root.client.admin_create_domain("example.com").await.unwrap();
    let env = [("SUDO_USER".into(), String::new()), ("USER".into(), "ops-root".into())];
    let out = server.admin_with(&["user", "disable", "bob"], "", &env).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let records = all(&root, &query(), 7).await;
    let mut expected = vec![
        "domain.registration",
        "domain.members_invite",
        "domain.direct_requires_friendship",
        "account.create",
        "account.disable",
        "account.enable",
        "account.session_revoke",
        "account.sessions_revoke",
        "invitation.create",
        "invitation.revoke",
        "application.approve",
        "department.create",
        "department.update",
        "department.member_set",
        "department.member_remove",
        "person.manager",
        "department.delete",
        "announcement.send",
        "domain.create",
        "account.disable",
    ];
    // Newest first; before them, the accounts the harness made with the command line.
    expected.reverse();
    assert_eq!(actions(&records[..expected.len()]), expected);
    let made_by_cli = &records[expected.len()..];
    assert_eq!(actions(made_by_cli), ["account.create"; 3]);
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, each once: {ids:?}");

    let find = |action: &str, target: &str| {
        records
            .iter()
            .find(|r| r.action == action && r.target == target)
            .unwrap_or_else(|| panic!("no {action} of {target}"))
            .clone()
    };
    // Who, from where, and the fields before and after.
    let registration = find("domain.registration", "localhost");
    assert_eq!(
        (registration.actor.name.as_str(), registration.actor.role.as_str(), registration.actor.session),
        ("boss@localhost", "domain_admin", Some(admin.login.session.id))
    );
    assert_eq!(registration.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(registration.domain.as_deref(), Some("localhost"));
    assert_eq!(registration.before, Some(json!({ "registration": "closed" })));
    assert_eq!(registration.after, Some(json!({ "registration": "approval" })));
    let bob_made = find("account.create", "bob@localhost");
    assert_eq!(bob_made.before, None);
    assert_eq!(bob_made.after, Some(json!({ "display_name": "Bob 鲍勃", "role": "member" })));
    let renamed = find("department.update", &format!("department {} (销售中心)", sales.id));
    assert_eq!(renamed.before.as_ref().unwrap()["name"], "销售部");
    assert_eq!(renamed.after.as_ref().unwrap()["name"], "销售中心");
    let manager = find("person.manager", "bob@localhost");
    assert_eq!(
        (manager.before, manager.after),
        (Some(json!({ "manager": null })), Some(json!({ "manager": "carol@localhost" })))
    );
    let domain = find("domain.create", "example.com");
    assert_eq!((domain.domain.as_deref(), domain.actor.role.as_str()), (None, "server_admin"));
    // The command line's record names the operating-system user, with no session or address.
    let cli = &records[0];
    assert_eq!((cli.action.as_str(), cli.target.as_str()), ("account.disable", "bob@localhost"));
    assert_eq!((cli.actor.name.as_str(), cli.actor.role.as_str()), ("ops-root", "operator"));
    assert_eq!((cli.actor.session, cli.ip.as_deref()), (None, None));
    assert_eq!(cli.before, Some(json!({ "disabled": false })));

    // The export: the same records, oldest first.
    let exported = root.client.admin_audit_export(&query()).await.unwrap();
    let mut oldest_first = records.clone();
    oldest_first.reverse();
    assert_eq!(exported, oldest_first);
}

#[tokio::test]
async fn filters_narrow_and_readers_see_only_what_they_administer() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    root.client.admin_create_domain("example.com").await.unwrap();
    let admin = server.admin_user("boss").await;
    server.create("alice", &[]).await;
    let member = server.user("dave").await;
    let other = server.login(&server.create("chief@example.com", &["--admin"]).await).await;
    admin.client.admin_disable("alice@localhost").await.unwrap();
    admin.client.admin_enable("alice@localhost").await.unwrap();
    admin.client.admin_set_members_invite("localhost", true).await.unwrap();
    // Saved again unchanged: no record.
    admin.client.admin_set_members_invite("localhost", true).await.unwrap();
    other.client.admin_set_members_invite("example.com", true).await.unwrap();

    // A member reads nothing.
    let refused = member.client.admin_audit(&query()).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
    assert_eq!(member.client.admin_audit_export(&query()).await.unwrap_err().code(), Some(ErrorCode::Forbidden));

    // A domain's administrator reads their domain's records only: not the other domain's, not
    // the deployment-wide ones, whatever they ask for.
    let theirs = all(&other, &query(), 50).await;
    assert!(theirs.iter().all(|r| r.domain.as_deref() == Some("example.com")), "{theirs:?}");
    assert_eq!(actions(&theirs), ["domain.members_invite", "account.create"]);
    let asked = other.client.admin_audit(&wire::AuditQuery { domain: Some("localhost".into()), ..query() }).await;
    assert_eq!(asked.unwrap_err().code(), Some(ErrorCode::NotFound));
    let wide = all(&other, &wire::AuditQuery { deployment_only: true, ..query() }, 50).await;
    assert_eq!(actions(&wide), actions(&theirs));
    let exported = other.client.admin_audit_export(&query()).await.unwrap();
    assert!(exported.iter().all(|r| r.domain.as_deref() == Some("example.com")), "{exported:?}");

    // Filters: an area, an action, an actor, a target, a time range, deployment-wide only.
    let localhost = wire::AuditQuery { domain: Some("localhost".into()), ..query() };
    let area = all(&root, &wire::AuditQuery { action: Some("account".into()), ..localhost.clone() }, 50).await;
    assert!(area.iter().all(|r| r.action.starts_with("account.")), "{area:?}");
    assert!(actions(&area).contains(&"account.disable"));
    let one = all(&root, &wire::AuditQuery { action: Some("account.enable".into()), ..query() }, 50).await;
    assert_eq!((actions(&one), one[0].target.as_str()), (vec!["account.enable"], "alice@localhost"));
    assert!(all(&root, &wire::AuditQuery { action: Some("account.en".into()), ..query() }, 50).await.is_empty());
    let by_boss = all(&root, &wire::AuditQuery { actor: Some("BOSS@".into()), ..query() }, 50).await;
    assert_eq!(actions(&by_boss), ["domain.members_invite", "account.enable", "account.disable"]);
    let on_alice = all(&root, &wire::AuditQuery { target: Some("ALICE".into()), ..query() }, 50).await;
    assert_eq!(actions(&on_alice), ["account.enable", "account.disable", "account.create"]);
    assert_eq!(on_alice[2].actor.role, "operator");
    let deployment = all(&root, &wire::AuditQuery { deployment_only: true, ..query() }, 50).await;
    assert_eq!((actions(&deployment), deployment[0].target.as_str()), (vec!["domain.create"], "example.com"));
    let disabled_at = on_alice[1].at_ms;
    let since = wire::AuditQuery { since: Some(disabled_at), target: Some("alice".into()), ..query() };
    assert!(actions(&all(&root, &since, 50).await).contains(&"account.disable"));
    let until = wire::AuditQuery { until: Some(disabled_at), target: Some("alice".into()), ..query() };
    assert!(!actions(&all(&root, &until, 50).await).contains(&"account.disable"));
    let backwards = wire::AuditQuery { since: Some(10), until: Some(5), ..query() };
    assert_eq!(root.client.admin_audit(&backwards).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
}
