//! Sessions: listing, revoking, logout, password change, disabling. Revocation closes live
//! sockets at once.

use magpie_client::wire::{self, ErrorCode, RevokeReason, close_code};
use magpie_client::{Connection, Incoming};

use crate::harness::{PASSWORD, PROMPTLY, TestServer};

/// Waits for the `session_revoked` event and the close that follows it.
async fn expect_revoked(conn: &mut Connection, reason: RevokeReason, code: u16) {
    match conn.next_incoming(PROMPTLY).await {
        Some(Incoming::Event(wire::Event::SessionRevoked { reason: r })) => assert_eq!(r, reason),
        other => panic!("expected session_revoked, got {other:?}"),
    }
    let closed = conn.closed(PROMPTLY).await.expect("the socket was not closed within a second");
    assert_eq!(closed.code, code);
}

#[tokio::test]
async fn sessions_are_listed_with_the_current_one_marked() {
    let server = TestServer::start().await;
    let phone = server.user("alice").await;
    let laptop = server.login("alice@localhost").await;
    let sessions = laptop.client.sessions().await.unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions.iter().filter(|s| s.current).map(|s| s.id).collect();
    assert_eq!(current, vec![laptop.login.session.id]);
    assert!(sessions.iter().any(|s| s.id == phone.login.session.id));
    assert_eq!(sessions[0].id, laptop.login.session.id, "newest first");
}

#[tokio::test]
async fn revoking_a_session_closes_its_live_socket_within_a_second() {
    let server = TestServer::start().await;
    let phone = server.user("alice").await;
    let laptop = server.login("alice@localhost").await;
    let mut phone_live = phone.connect().await;
    let laptop_live = laptop.connect().await;

    laptop.client.revoke_session(phone.login.session.id).await.unwrap();
    expect_revoked(&mut phone_live, RevokeReason::Revoked, close_code::SESSION_REVOKED).await;

    // The revoked token is dead for REST and for new sockets; the other device is untouched.
    assert_eq!(phone.client.me().await.unwrap_err().code(), Some(ErrorCode::Unauthenticated));
    assert_eq!(phone.client.connect().await.err().and_then(|e| e.code()), Some(ErrorCode::Unauthenticated));
    laptop_live.ping().await.unwrap();
    let ids: Vec<_> = laptop.client.sessions().await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![laptop.login.session.id]);
}

#[tokio::test]
async fn one_cannot_revoke_another_accounts_session() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let err = bob.client.revoke_session(alice.login.session.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert!(alice.client.me().await.is_ok());
}

#[tokio::test]
async fn logout_ends_the_session_and_its_socket() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    alice.client.logout().await.unwrap();
    expect_revoked(&mut live, RevokeReason::Logout, close_code::SESSION_REVOKED).await;
    assert_eq!(alice.client.me().await.unwrap_err().code(), Some(ErrorCode::Unauthenticated));
}

#[tokio::test]
async fn a_password_change_revokes_the_other_sessions_only() {
    let server = TestServer::start().await;
    let phone = server.user("alice").await;
    let laptop = server.login("alice@localhost").await;
    let mut phone_live = phone.connect().await;
    let laptop_live = laptop.connect().await;

    let err = laptop.client.change_password("wrong current", "a brand new password").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    phone_live.ping().await.unwrap();

    laptop.client.change_password(PASSWORD, "a brand new password").await.unwrap();
    expect_revoked(&mut phone_live, RevokeReason::PasswordChanged, close_code::SESSION_REVOKED).await;
    laptop_live.ping().await.unwrap();
    assert!(laptop.client.me().await.is_ok());
    let anon = server.anonymous();
    assert_eq!(anon.login("alice@localhost", PASSWORD).await.unwrap_err().code(), Some(ErrorCode::InvalidCredentials));
    assert!(anon.login("alice@localhost", "a brand new password").await.is_ok());
}

#[tokio::test]
async fn a_disabled_account_is_disconnected_and_cannot_log_in() {
    let server = TestServer::start().await;
    let admin = server.admin_user("root").await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;

    let disabled = admin.client.admin_disable("alice@localhost").await.unwrap();
    assert!(disabled.disabled);
    expect_revoked(&mut live, RevokeReason::AccountDisabled, close_code::ACCOUNT_DISABLED).await;

    let err = server.anonymous().login("alice@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::AccountDisabled));
    // A wrong password does not reveal that the account is disabled.
    let err = server.anonymous().login("alice@localhost", "wrong password").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    // Disabled accounts drop out of the directory.
    let found = admin.client.search_accounts("alice", None, None).await.unwrap();
    assert!(found.is_empty(), "{found:?}");

    admin.client.admin_enable("alice@localhost").await.unwrap();
    assert!(server.anonymous().login("alice@localhost", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn members_cannot_disable_accounts_and_admins_cannot_disable_themselves() {
    let server = TestServer::start().await;
    let admin = server.admin_user("root").await;
    let alice = server.user("alice").await;
    let err = alice.client.admin_disable("root@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    let err = admin.client.admin_disable("root@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert!(admin.client.me().await.is_ok());
}

#[tokio::test]
async fn an_admin_can_sign_an_account_out_everywhere() {
    let server = TestServer::start().await;
    let admin = server.admin_user("root").await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    admin.client.admin_revoke_sessions("alice@localhost").await.unwrap();
    expect_revoked(&mut live, RevokeReason::Revoked, close_code::SESSION_REVOKED).await;
    assert!(server.anonymous().login("alice@localhost", PASSWORD).await.is_ok(), "the account itself still works");
}

#[tokio::test]
async fn sessions_past_the_per_account_limit_evict_the_oldest() {
    let server = TestServer::start_with(&[("MAGPIE_SESSIONS_PER_ACCOUNT_MAX", "2")]).await;
    let first = server.user("alice").await;
    let mut first_live = first.connect().await;
    let _second = server.login("alice@localhost").await;
    let third = server.login("alice@localhost").await;
    expect_revoked(&mut first_live, RevokeReason::Revoked, close_code::SESSION_REVOKED).await;
    assert_eq!(third.client.sessions().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_session_that_expires_loses_its_socket_and_its_token() {
    let server = TestServer::start_with(&[("MAGPIE_SESSION_TTL_SECS", "2")]).await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    match live.next_incoming(crate::harness::EVENTUALLY).await {
        Some(Incoming::Event(wire::Event::SessionRevoked { reason })) => assert_eq!(reason, RevokeReason::Expired),
        other => panic!("expected session_revoked(expired), got {other:?}"),
    }
    let closed = live.closed(PROMPTLY).await.expect("expired socket was not closed");
    assert_eq!(closed.code, close_code::SESSION_REVOKED);
    assert_eq!(alice.client.me().await.unwrap_err().code(), Some(ErrorCode::Unauthenticated));
}

#[tokio::test]
async fn a_session_may_hold_only_so_many_sockets() {
    let server = TestServer::start_with(&[("MAGPIE_WS_CONNECTIONS_PER_SESSION_MAX", "2")]).await;
    let alice = server.user("alice").await;
    let mut first = alice.connect().await;
    let _second = alice.connect().await;
    let err = alice.client.connect().await.err().unwrap();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded), "{err}");
    // Another session of the same account has its own allowance.
    let other = server.login("alice@localhost").await;
    other.connect().await.ping().await.unwrap();
    // Closing one makes room again, as soon as the server has let go of it: each attempt is a
    // round trip, by which time the server has finished with the closed socket.
    first.close().await.unwrap();
    first.closed(PROMPTLY).await.expect("the server did not answer the close");
    let mut third = None;
    for _ in 0..100 {
        if let Ok(conn) = alice.client.connect().await {
            third = Some(conn);
            break;
        }
    }
    third.expect("no room after closing a socket").ping().await.unwrap();
}

#[tokio::test]
async fn a_domain_admin_cannot_sign_out_a_server_admin() {
    let server = TestServer::start().await;
    let admin = server.admin_user("root").await;
    let account = server.create("ops", &["--server-admin"]).await;
    let ops = server.login(&account).await;
    let err = admin.client.admin_revoke_sessions("ops@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    assert!(ops.client.me().await.is_ok());
    // The other way round works.
    ops.client.admin_revoke_sessions("root@localhost").await.unwrap();
    assert_eq!(admin.client.me().await.unwrap_err().code(), Some(ErrorCode::Unauthenticated));
}

#[tokio::test]
async fn an_admin_lists_and_revokes_one_session_of_an_account() {
    let server = TestServer::start().await;
    let admin = server.admin_user("root").await;
    let phone = server.user("alice").await;
    let laptop = server.login("alice@localhost").await;
    let mut phone_live = phone.connect().await;

    let listed = admin.client.admin_sessions("alice@localhost").await.unwrap();
    let mut ids: Vec<_> = listed.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![phone.login.session.id, laptop.login.session.id]);
    assert!(listed.iter().all(|s| !s.current), "none of them is the admin's own");

    admin.client.admin_revoke_session("alice@localhost", phone.login.session.id).await.unwrap();
    expect_revoked(&mut phone_live, RevokeReason::Revoked, close_code::SESSION_REVOKED).await;
    assert!(laptop.client.me().await.is_ok());
    let err = admin.client.admin_revoke_session("alice@localhost", admin.login.session.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "a session of another account is not found under alice");

    let account = server.create("ops", &["--server-admin"]).await;
    server.login(&account).await;
    let err = admin.client.admin_sessions("ops@localhost").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}
