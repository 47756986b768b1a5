//! Registration by invitation and with approval (docs/protocol.md §3): invitation codes that
//! let a set number of people in until they expire or are revoked, and applicants who wait
//! for a domain administrator's decision and are told it when they log in.

use magpie_client::wire::{self, ErrorCode, RegistrationMode};

use crate::harness::{PASSWORD, TestServer};

fn request(account: &str, invitation: Option<&str>) -> wire::RegisterRequest {
    wire::RegisterRequest {
        account: account.into(),
        password: PASSWORD.into(),
        invitation: invitation.map(str::to_owned),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_invitation_lets_in_as_many_as_it_says_until_it_is_revoked() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    admin.client.admin_set_registration("localhost", RegistrationMode::Invitation).await.unwrap();
    let anon = server.anonymous();

    // Without a code, or with a wrong one: refused, and no account is made.
    let err = anon.register(&request("carol@localhost", None)).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let err = anon.register(&request("carol@localhost", Some("inv_nope"))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));

    let two = wire::CreateInvitationRequest { uses_max: Some(2), note: Some("new team".into()), ..Default::default() };
    let made = admin.client.admin_create_invitation("localhost", &two).await.unwrap();
    assert!(made.code.starts_with("inv_"));
    let (carol, _) = anon.register(&request("carol@localhost", Some(&made.code))).await.unwrap();
    assert_eq!(carol.me().await.unwrap().profile.account, "carol@localhost");
    // A name taken gives its use back.
    let err = anon.register(&request("carol@localhost", Some(&made.code))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AlreadyExists));
    anon.register(&request("dave@localhost", Some(&made.code))).await.unwrap();
    let err = anon.register(&request("erin@localhost", Some(&made.code))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "used up");
    let listed = admin.client.admin_invitations("localhost").await.unwrap().invitations;
    assert_eq!((listed[0].uses, listed[0].uses_max, listed[0].note.as_deref()), (2, 2, Some("new team")));

    // Revoked, it lets nobody in; a code is no good in another domain.
    let one = admin.client.admin_create_invitation("localhost", &Default::default()).await.unwrap();
    admin.client.admin_revoke_invitation("localhost", one.invitation.id).await.unwrap();
    let err = anon.register(&request("erin@localhost", Some(&one.code))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "revoked");
    let out = server.admin(&["domain", "set", "acme.example", "--registration", "invitation"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fresh = admin.client.admin_create_invitation("localhost", &Default::default()).await.unwrap();
    let err = anon.register(&request("erin@acme.example", Some(&fresh.code))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField), "another domain's code");

    // The CLI makes codes too; a member cannot.
    let out = server.admin(&["invite", "add", "--uses", "1"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    anon.register(&request("frank@localhost", Some(&code))).await.unwrap();
    let err = carol.admin_create_invitation("localhost", &Default::default()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn an_applicant_waits_for_its_domains_administrators() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Approval).await.unwrap();
    let anon = server.anonymous();

    let applied = anon.apply(&request("carol@localhost", None)).await.unwrap();
    assert_eq!(applied.account, "carol@localhost");
    anon.apply(&request("dave@localhost", None)).await.unwrap();
    // The domain's administrators find the applications in their notification centre.
    let told = admin.client.notifications(&Default::default()).await.unwrap().items;
    let told: Vec<_> = told.iter().map(|n| (n.kind, n.actor.as_deref())).collect();
    let application = magpie_client::wire::NotificationKind::Application;
    assert_eq!(told, [(application, Some("dave@localhost")), (application, Some("carol@localhost"))]);
    let elsewhere = chief.client.notifications(&Default::default()).await.unwrap();
    assert!(elsewhere.items.is_empty(), "another domain's administrator is not told");
    // Before a decision: no login, told why; not in the directory.
    let err = anon.login("carol@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ApprovalPending));
    let err = anon.login("carol@localhost", "a wrong password").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials), "the state is told only with the password");
    let found = admin.client.search_accounts("carol", None, None).await.unwrap();
    assert!(found.is_empty(), "an applicant is not in the directory");

    let pending = admin.client.admin_applications("localhost").await.unwrap().applications;
    let names: Vec<&str> = pending.iter().map(|a| a.account.profile.account.as_str()).collect();
    assert_eq!(names, ["carol@localhost", "dave@localhost"]);
    // Another domain's administrator neither sees nor decides them.
    assert!(chief.client.admin_applications("localhost").await.is_err());
    let err = chief.client.admin_decide("carol@localhost", true).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));

    admin.client.admin_decide("carol@localhost", true).await.unwrap();
    let (carol, _) = anon.login("carol@localhost", PASSWORD).await.unwrap();
    assert_eq!(carol.me().await.unwrap().profile.account, "carol@localhost");
    let out = server.admin(&["user", "reject", "dave"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = anon.login("dave@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RegistrationRejected));
    assert!(admin.client.admin_applications("localhost").await.unwrap().applications.is_empty());
    let err = admin.client.admin_decide("dave@localhost", true).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "decided already");
}

#[tokio::test]
async fn members_invite_where_their_domain_lets_them_within_their_bounds() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    admin.client.admin_set_registration("localhost", RegistrationMode::Invitation).await.unwrap();
    let bob = server.user("bob").await;
    let anon = server.anonymous();

    // Not allowed yet: members are refused, administrators may.
    let one = wire::CreateInvitationRequest { uses_max: Some(1), ..Default::default() };
    let err = bob.client.create_invitation(&one).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert!(!anon.signup_info("localhost").await.unwrap().members_invite);
    admin.client.create_invitation(&one).await.unwrap();

    let domain = admin.client.admin_set_members_invite("localhost", true).await.unwrap();
    assert!(domain.members_invite);
    assert!(anon.signup_info("localhost").await.unwrap().members_invite);
    let made = bob.client.create_invitation(&one).await.unwrap();
    assert_eq!(made.invitation.created_by.as_deref(), Some("bob@localhost"));
    anon.register(&request("carol@localhost", Some(&made.code))).await.unwrap();

    // A member's bounds: 10 uses, 30 days, 20 live invitations.
    let many = wire::CreateInvitationRequest { uses_max: Some(11), ..Default::default() };
    let err = bob.client.create_invitation(&many).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("uses_max")));
    let long = wire::CreateInvitationRequest { ttl_secs: Some(31 * 24 * 3600), ..Default::default() };
    let err = bob.client.create_invitation(&long).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("ttl_secs")));
    let mut last = None;
    for _ in 0..20 {
        last = Some(bob.client.create_invitation(&one).await.unwrap());
    }
    let err = bob.client.create_invitation(&one).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded), "the used one does not count; twenty live do");
    // Revoking one makes room; nobody revokes another's.
    let last = last.unwrap();
    let dave = server.user("dave").await;
    let err = dave.client.revoke_invitation(last.invitation.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    bob.client.revoke_invitation(last.invitation.id).await.unwrap();
    let err = anon.register(&request("erin@localhost", Some(&last.code))).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some("invitation")), "revoked");
    bob.client.create_invitation(&one).await.unwrap();
    let mine = bob.client.my_invitations().await.unwrap().invitations;
    assert_eq!(mine.len(), 21, "twenty live and the used one, newest first");
    assert!(mine.iter().all(|i| i.created_by.as_deref() == Some("bob@localhost")));
    assert!(dave.client.my_invitations().await.unwrap().invitations.is_empty());
    // The administrators see every invitation of the domain.
    assert_eq!(admin.client.admin_invitations("localhost").await.unwrap().invitations.len(), 22);

    // Another domain's administrator neither sees nor revokes them.
    assert!(server.admin(&["domain", "add", "acme.example"], "").await.status.success());
    server.create("chief@acme.example", &["--admin"]).await;
    let chief = server.login("chief@acme.example").await;
    let err = chief.client.admin_invitations("localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = chief.client.admin_revoke_invitation("localhost", mine[0].id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
}
