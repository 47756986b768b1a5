//! A domain's groups from the console (issue 22): its administrators list, inspect, hand on and
//! dissolve them without being members; the members see each change in the log; another
//! domain's administrators and members reach none of it; each change is audited once.

use magpie_client::wire::{self, ErrorCode, MemberRole};

use crate::harness::{TestServer, group};

fn query() -> wire::AdminGroupQuery {
    wire::AdminGroupQuery::default()
}

#[tokio::test]
async fn a_domain_admin_manages_groups_it_is_not_in() {
    let server = TestServer::start().await;
    let root = server.login(&server.create("root", &["--server-admin"]).await).await;
    root.client.admin_create_domain("other.example").await.unwrap();
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let sales = group(&alice, "Sales 销售", &["bob@localhost"]).await;
    let support = group(&alice, "Support", &[]).await;
    let outsider = server.login(&server.create("eve@other.example", &["--admin"]).await).await;

    // Listed newest first, searched by name, paged.
    let list = admin.client.admin_groups("localhost", &query()).await.unwrap();
    assert_eq!(list.groups.iter().map(|g| g.id).collect::<Vec<_>>(), [support.id, sales.id]);
    assert_eq!(list.groups[1].owner.as_deref(), Some("alice@localhost"));
    assert_eq!(list.groups[1].member_count, 2);
    let by_name = wire::AdminGroupQuery { q: Some("销售".into()), ..query() };
    let found = admin.client.admin_groups("localhost", &by_name);
    assert_eq!(found.await.unwrap().groups.iter().map(|g| g.id).collect::<Vec<_>>(), [sales.id]);
    let one = wire::AdminGroupQuery { limit: Some(1), ..query() };
    let first = admin.client.admin_groups("localhost", &one).await.unwrap();
    assert_eq!(first.next_before, Some(support.id));
    let rest = wire::AdminGroupQuery { before: first.next_before, limit: Some(1), ..query() };
    assert_eq!(admin.client.admin_groups("localhost", &rest).await.unwrap().groups[0].id, sales.id);

    // Its members, though the admin is not one.
    let members = admin.client.admin_group_members(sales.id).await.unwrap();
    assert_eq!(
        members.iter().map(|m| (m.account.as_str(), m.role)).collect::<Vec<_>>(),
        [("alice@localhost", MemberRole::Owner), ("bob@localhost", MemberRole::Member)]
    );

    // Handing it on: bob owns it, alice is an admin, and the members read it in the log.
    let bad = admin.client.admin_transfer_group(sales.id, "alice@localhost").await.unwrap_err();
    assert_eq!(bad.code(), Some(ErrorCode::InvalidField));
    let stranger = admin.client.admin_transfer_group(sales.id, "root@localhost").await.unwrap_err();
    assert_eq!(stranger.code(), Some(ErrorCode::NotFound));
    let ack = admin.client.admin_transfer_group(sales.id, "bob@localhost").await.unwrap();
    let members = bob.client.members(sales.id).await.unwrap();
    assert_eq!(
        members.iter().map(|m| (m.account.as_str(), m.role)).collect::<Vec<_>>(),
        [("alice@localhost", MemberRole::Admin), ("bob@localhost", MemberRole::Owner)]
    );
    let q = wire::HistoryQuery { after: Some(ack.seq - 1), before: None, limit: Some(1) };
    let notice = &bob.client.messages(sales.id, q).await.unwrap().entries[0];
    assert_eq!(notice.sender, "boss@localhost");
    assert_eq!(notice.body.as_ref().unwrap()["event"], "owner_changed");
    // The new owner may now do what owners do.
    bob.client.set_role(sales.id, "alice@localhost", MemberRole::Member).await.unwrap();

    // Another domain's admin and a member reach none of it.
    let err = outsider.client.admin_groups("localhost", &query()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert_eq!(outsider.client.admin_group_members(sales.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let err = outsider.client.admin_transfer_group(sales.id, "alice@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert_eq!(outsider.client.admin_dissolve_group(sales.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert!(outsider.client.admin_groups("other.example", &query()).await.unwrap().groups.is_empty());
    let err = alice.client.admin_groups("localhost", &query()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert_eq!(alice.client.admin_dissolve_group(support.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Dissolving: gone from the list unless asked for, and from the members' lists.
    admin.client.admin_dissolve_group(sales.id).await.unwrap();
    assert_eq!(admin.client.admin_dissolve_group(sales.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let live = admin.client.admin_groups("localhost", &query()).await.unwrap();
    assert_eq!(live.groups.iter().map(|g| g.id).collect::<Vec<_>>(), [support.id]);
    let with_dissolved = wire::AdminGroupQuery { dissolved: true, ..query() };
    let all = admin.client.admin_groups("localhost", &with_dissolved).await.unwrap();
    let gone = all.groups.iter().find(|g| g.id == sales.id).unwrap();
    assert!(gone.dissolved && gone.owner.is_none());
    assert_eq!(bob.client.conversation(sales.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Each change once in the audit log, by the admin.
    let q = wire::AuditQuery { action: Some("group".into()), ..Default::default() };
    let records = admin.client.admin_audit(&q).await.unwrap().records;
    let seen: Vec<(&str, &str)> = records.iter().map(|r| (r.action.as_str(), r.actor.name.as_str())).collect();
    assert_eq!(seen, [("group.dissolve", "boss@localhost"), ("group.transfer", "boss@localhost")]);
    let transfer = &records[1];
    assert_eq!(transfer.before.as_ref().unwrap()["owner"], "alice@localhost");
    assert_eq!(transfer.after.as_ref().unwrap()["owner"], "bob@localhost");
    // The server's administrators manage any domain's groups.
    assert_eq!(root.client.admin_groups("localhost", &query()).await.unwrap().groups.len(), 1);
}
