//! Logins, registration and profiles.

use magpie_client::wire::{self, ErrorCode, RegistrationMode};

use crate::harness::{PASSWORD, PROMPTLY, TestServer};

#[tokio::test]
async fn an_account_made_by_the_cli_logs_in_and_sees_itself() {
    let server = TestServer::start().await;
    let alice = server.user("Alice").await;
    assert_eq!(alice.account, "Alice@localhost");
    // Login names fold case: the account is alice@localhost however it was typed.
    assert_eq!(alice.login.me.profile.account, "alice@localhost");
    assert!(alice.login.token.starts_with("mgp_"));
    let me = alice.client.me().await.unwrap();
    assert_eq!(me.profile.account, "alice@localhost");
    assert_eq!(me.profile.display_name, "alice");
    assert_eq!(me.role, wire::Role::Member);
    let again = server.anonymous().login("ALICE@LOCALHOST", PASSWORD).await;
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn a_wrong_password_or_unknown_account_is_refused_alike() {
    let server = TestServer::start().await;
    server.create("alice", &[]).await;
    let anon = server.anonymous();
    let wrong = anon.login("alice@localhost", "not the password").await.unwrap_err();
    let unknown = anon.login("nobody@localhost", PASSWORD).await.unwrap_err();
    let no_domain = anon.login("alice@nowhere.example", PASSWORD).await.unwrap_err();
    for err in [&wrong, &unknown, &no_domain] {
        assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials), "{err}");
        assert!(matches!(err, magpie_client::Error::Api { status: 401, .. }));
    }
    assert_eq!(wrong.detail(), unknown.detail(), "the two cases must be indistinguishable");
}

#[tokio::test]
async fn passwords_over_1024_bytes_are_refused_before_hashing_and_1024_is_accepted() {
    let server = TestServer::start().await;
    let anon = server.anonymous();
    let long = "x".repeat(1025);
    let err = anon.login("alice@localhost", &long).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    assert_eq!(err.detail().unwrap().field.as_deref(), Some("password"));

    let max = format!("{PASSWORD} {}", "y".repeat(1024 - PASSWORD.len() - 1));
    let out = server.admin(&["user", "add", "bob", "--password-stdin"], &format!("{max}\n")).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(anon.login("bob@localhost", &max).await.is_ok());
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account_and_address() {
    let server = TestServer::start_with(&[("MAGPIE_LOGIN_FAILURES_PER_ACCOUNT_PER_IP_PER_HOUR_MAX", "3")]).await;
    server.create("alice", &[]).await;
    server.create("bob", &[]).await;
    let anon = server.anonymous();
    for _ in 0..3 {
        let err = anon.login("alice@localhost", "wrong password").await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    }
    // Now even the right password is refused from this address, with a hint of when to retry.
    let err = anon.login("alice@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited), "{err}");
    assert!(matches!(err, magpie_client::Error::Api { status: 429, .. }));
    assert!(err.detail().unwrap().retry_after_secs.unwrap() > 0);
    // Another account from the same client is not affected.
    assert!(anon.login("bob@localhost", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_ip() {
    let server = TestServer::start_with(&[("MAGPIE_LOGIN_FAILURES_PER_IP_PER_HOUR_MAX", "4")]).await;
    server.create("alice", &[]).await;
    let anon = server.anonymous();
    for i in 0..4 {
        let err = anon.login(&format!("guess{i}@localhost"), "wrong password").await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    }
    let err = anon.login("alice@localhost", PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited), "{err}");
}

#[tokio::test]
async fn registration_is_closed_by_default_and_a_domain_admin_can_open_it() {
    let server = TestServer::start().await;
    let anon = server.anonymous();
    let req = wire::RegisterRequest {
        account: "carol@localhost".into(),
        password: PASSWORD.into(),
        display_name: Some("卡罗尔".into()),
        ..Default::default()
    };
    let err = anon.register(&req).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RegistrationClosed));

    let member = server.user("mallory").await;
    let err = member.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "a member cannot administer the domain");

    let admin = server.admin_user("root").await;
    let domain = admin.client.admin_set_registration("localhost", RegistrationMode::Open).await.unwrap();
    assert_eq!(domain.registration, RegistrationMode::Open);
    let (carol, login) = anon.register(&req).await.unwrap();
    assert_eq!(login.me.profile.display_name, "卡罗尔");
    assert_eq!(carol.me().await.unwrap().profile.account, "carol@localhost");
    let again = anon.register(&req).await.unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::AlreadyExists));
    let short = wire::RegisterRequest { account: "dave@localhost".into(), password: "short".into(), ..req.clone() };
    assert_eq!(anon.register(&short).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
}

#[tokio::test]
async fn profiles_update_and_reach_the_other_devices() {
    let server = TestServer::start().await;
    let phone = server.user("alice").await;
    let laptop = server.login("alice@localhost").await;
    let mut live = laptop.connect().await;

    let update = wire::UpdateProfileRequest {
        display_name: Some("张三".into()),
        signature: Some("在开会 📅".into()),
        email: Some("alice@example.com".into()),
        phone: Some("+86 138 0000 0000".into()),
        avatar: Some("https://example.com/a.png".into()),
    };
    let me = phone.client.update_me(&update).await.unwrap();
    assert_eq!(me.profile.display_name, "张三");
    assert_eq!(me.profile.signature.as_deref(), Some("在开会 📅"));

    let pushed = live.next_incoming(PROMPTLY).await;
    match pushed {
        Some(magpie_client::Incoming::Event(wire::Event::ProfileUpdated(m))) => assert_eq!(m, me),
        other => panic!("expected profile_updated, got {other:?}"),
    }
    // An empty string clears an optional field; absent fields stay.
    let clear_email = wire::UpdateProfileRequest { email: Some(String::new()), ..Default::default() };
    let cleared = phone.client.update_me(&clear_email).await.unwrap();
    assert_eq!(cleared.profile.email, None);
    assert_eq!(cleared.profile.display_name, "张三");

    let bad_email = wire::UpdateProfileRequest { email: Some("not-an-email".into()), ..Default::default() };
    let err = phone.client.update_me(&bad_email).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    assert_eq!(err.detail().unwrap().field.as_deref(), Some("email"));
    assert_eq!(phone.client.me().await.unwrap().profile.email, None, "a refused update changes nothing");
}

#[tokio::test]
async fn guesses_sent_in_parallel_cannot_slip_under_the_limit() {
    let server = TestServer::start_with(&[("MAGPIE_LOGIN_FAILURES_PER_ACCOUNT_PER_IP_PER_HOUR_MAX", "3")]).await;
    server.create("alice", &[]).await;
    let anon = server.anonymous();
    let guesses = (0..10).map(|i| {
        let anon = anon.clone();
        async move { anon.login("alice@localhost", &format!("guess number {i}")).await }
    });
    let results = futures_util::future::join_all(guesses).await;
    let checked =
        results.iter().filter(|r| r.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::InvalidCredentials));
    let limited = results.iter().filter(|r| r.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::RateLimited));
    assert_eq!(checked.count(), 3, "{results:?}");
    assert_eq!(limited.count(), 7, "{results:?}");
}

#[tokio::test]
async fn one_session_sending_too_many_requests_is_rate_limited() {
    let server = TestServer::start_with(&[("MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX", "3")]).await;
    let alice = server.user("alice").await;
    let mut limited = None;
    for _ in 0..50 {
        if let Err(e) = alice.client.me().await {
            limited = Some(e);
            break;
        }
    }
    let err = limited.expect("50 requests against a limit of 3 a second all passed");
    assert_eq!(err.code(), Some(ErrorCode::RateLimited), "{err}");
    // Another session of the same account has its own budget.
    let other = server.login("alice@localhost").await;
    assert!(other.client.me().await.is_ok());
}
