//! The workbench's apps (issue 18) through the real server: administrators install, order and
//! restrict apps to departments; members see theirs; an app learns who its user is with
//! OAuth 2.0's code grant and PKCE, and its tokens stay within the scopes granted, rotate on
//! refresh and end at once when revoked, withdrawn or uninstalled.

use magpie_client::workbench::OAuthError;
use magpie_client::{OAuthClient, Pkce};
use magpie_wire::{self as wire, ErrorCode};

use crate::harness::{TestServer, User};

const REDIRECT: &str = "https://oa.example.com/callback";

fn new_app(name: &str, scopes: &[&str]) -> wire::CreateAppRequest {
    wire::CreateAppRequest {
        name: name.into(),
        description: Some(format!("{name}, for the office")),
        url: format!("https://oa.example.com/{}", name.to_lowercase()),
        redirect_uris: vec![REDIRECT.into()],
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

fn ask(app: &wire::App, scope: &str, pkce: &Pkce) -> wire::AuthorizeRequest {
    wire::AuthorizeRequest {
        response_type: "code".into(),
        client_id: app.client_id.clone(),
        redirect_uri: REDIRECT.into(),
        scope: Some(scope.into()),
        state: Some("s-42".into()),
        code_challenge: pkce.challenge.clone(),
        code_challenge_method: "S256".into(),
    }
}

/// The `code` of a redirect, after checking that it goes back to the app with its state.
fn code_of(redirect: &str) -> String {
    let url = reqwest::Url::parse(redirect).unwrap();
    assert_eq!(&redirect[..REDIRECT.len()], REDIRECT, "back to the app's redirect URI");
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs.get("state").map(String::as_str), Some("s-42"), "the state comes back unchanged");
    pairs["code"].clone()
}

/// The user allows `scope`; the app exchanges the code for tokens.
async fn grant(server: &TestServer, user: &User, app: &wire::CreatedApp, scope: &str) -> wire::OAuthToken {
    let pkce = Pkce::new();
    let redirect = user.client.authorize(&ask(&app.app, scope, &pkce)).await.unwrap().redirect;
    let oauth = OAuthClient::new(&server.url, &app.app.client_id, &app.client_secret);
    oauth.exchange_code(&code_of(&redirect), REDIRECT, &pkce.verifier).await.unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, OAuthError>) -> String {
    match result {
        Err(OAuthError::Refused(r)) => r.error,
        other => panic!("expected an OAuth refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_app_learns_who_its_user_is_with_a_code_and_pkce() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let app = admin.client.admin_create_app("localhost", &new_app("Leave", &["profile"])).await.unwrap();
    assert!(app.app.client_id.starts_with("mpa_") && app.client_secret.starts_with("mps_"));
    let oauth = OAuthClient::new(&server.url, &app.app.client_id, &app.client_secret);

    // The consent page's view: the app, what it asks for, and that nothing was granted yet.
    let pkce = Pkce::new();
    let info = alice.client.authorize_info(&ask(&app.app, "profile", &pkce)).await.unwrap();
    assert_eq!(
        (info.app.name.as_str(), info.scopes.as_slice(), info.granted),
        ("Leave", &["profile".to_owned()][..], false)
    );
    assert!(info.deny_redirect.starts_with(REDIRECT) && info.deny_redirect.contains("error=access_denied"));

    // A code whose verifier is wrong is refused, and spent: PKCE holds a stolen code back.
    let redirect = alice.client.authorize(&ask(&app.app, "profile", &pkce)).await.unwrap().redirect;
    let code = code_of(&redirect);
    assert_eq!(refused(oauth.exchange_code(&code, REDIRECT, &Pkce::new().verifier).await), "invalid_grant");
    assert_eq!(refused(oauth.exchange_code(&code, REDIRECT, &pkce.verifier).await), "invalid_grant");

    // The right verifier: a token of alice's, once.
    let redirect = alice.client.authorize(&ask(&app.app, "profile", &pkce)).await.unwrap().redirect;
    let code = code_of(&redirect);
    let wrong_secret = OAuthClient::new(&server.url, &app.app.client_id, "mps_not-it");
    assert_eq!(refused(wrong_secret.exchange_code(&code, REDIRECT, &pkce.verifier).await), "invalid_client");
    let tokens = oauth.exchange_code(&code, REDIRECT, &pkce.verifier).await.unwrap();
    assert_eq!((tokens.token_type.as_str(), tokens.scope.as_str()), ("Bearer", "profile"));
    assert_eq!(tokens.account, "alice@localhost");
    assert!(tokens.expires_in > 0);
    let as_alice = server.anonymous().with_token(tokens.access_token.clone());
    assert_eq!(as_alice.me().await.unwrap().profile.account, "alice@localhost");

    // Alice granted it: the consent page may go on without asking again.
    assert!(alice.client.authorize_info(&ask(&app.app, "profile", &pkce)).await.unwrap().granted);
    let grants = alice.client.app_grants().await.unwrap().grants;
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].app.id, grants[0].scopes.as_slice()), (app.app.id, &["profile".to_owned()][..]));
    // The session list shows the app's token as a session of alice's.
    let sessions = alice.client.sessions().await.unwrap();
    assert!(sessions.iter().any(|s| s.device.as_deref() == Some("app: Leave")), "{sessions:?}");

    // A code is good once. Shown again, it is refused and the tokens it gave end: one of the
    // two who showed it is not the app (RFC 6749 §4.1.2).
    assert_eq!(
        refused(oauth.exchange_code(&code, REDIRECT, &pkce.verifier).await),
        "invalid_grant",
        "a code is good once"
    );
    let err = as_alice.me().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    assert_eq!(refused(oauth.refresh(&tokens.refresh_token).await), "invalid_grant");
}

#[tokio::test]
async fn bad_authorization_requests_are_refused_to_the_user_never_redirected() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let app = admin.client.admin_create_app("localhost", &new_app("Leave", &["profile"])).await.unwrap().app;
    let pkce = Pkce::new();
    let cases: Vec<(&str, wire::AuthorizeRequest)> = vec![
        (
            "redirect_uri",
            wire::AuthorizeRequest { redirect_uri: "https://evil.example/cb".into(), ..ask(&app, "profile", &pkce) },
        ),
        ("client_id", wire::AuthorizeRequest { client_id: "mpa_nobody".into(), ..ask(&app, "profile", &pkce) }),
        ("scope", ask(&app, "profile messages:write", &pkce)),
        ("scope", ask(&app, "admin", &pkce)),
        (
            "code_challenge_method",
            wire::AuthorizeRequest { code_challenge_method: "plain".into(), ..ask(&app, "profile", &pkce) },
        ),
        ("code_challenge", wire::AuthorizeRequest { code_challenge: "short".into(), ..ask(&app, "profile", &pkce) }),
        ("response_type", wire::AuthorizeRequest { response_type: "token".into(), ..ask(&app, "profile", &pkce) }),
    ];
    for (field, req) in cases {
        let err = alice.client.authorize(&req).await.unwrap_err();
        assert_eq!((err.code(), err.field()), (Some(ErrorCode::InvalidField), Some(field)), "{err}");
        let err = alice.client.authorize_info(&req).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(alice.client.app_grants().await.unwrap().grants.is_empty(), "nothing was granted");

    // Another domain's people do not reach the app at all.
    let out = server.admin(&["domain", "add", "other.test"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.create("zed@other.test", &[]).await;
    let zed = server.login("zed@other.test").await;
    let err = zed.client.authorize(&ask(&app, "profile", &pkce)).await.unwrap_err();
    assert_eq!(err.field(), Some("client_id"), "{err}");
}

#[tokio::test]
async fn an_app_token_stays_within_its_granted_scopes() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let app = admin
        .client
        .admin_create_app("localhost", &new_app("Reports", &["profile", "messages:read", "messages:write"]))
        .await
        .unwrap();

    let profile = grant(&server, &alice, &app, "profile").await;
    let as_app = server.anonymous().with_token(profile.access_token);
    assert_eq!(as_app.me().await.unwrap().profile.account, "alice@localhost");
    assert_eq!(as_app.account("bob@localhost").await.unwrap().account, "bob@localhost");
    let err = as_app.conversations(None, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "messages:read was not granted: {err}");
    let err = as_app.send_text(chat.id, "app-1", "hi").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let err = as_app.change_password("x", "y").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "no scope opens the account's settings: {err}");
    assert!(as_app.connect().await.is_err(), "an app's token opens no WebSocket");

    // Reading, granted later: the conversations, not the sending.
    let reader = grant(&server, &alice, &app, "messages:read").await;
    let as_reader = server.anonymous().with_token(reader.access_token);
    assert!(as_reader.conversations(None, None).await.unwrap().iter().any(|c| c.id == chat.id));
    let err = as_reader.send_text(chat.id, "app-2", "hi").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
    let writer = grant(&server, &alice, &app, "messages:write").await;
    let as_writer = server.anonymous().with_token(writer.access_token);
    let sent = as_writer.send_text(chat.id, "app-3", "from the app").await.unwrap();
    assert!(sent.seq > 0);
    // The grant holds everything alice allowed so far.
    let grants = alice.client.app_grants().await.unwrap().grants;
    assert_eq!(grants[0].scopes, vec!["profile", "messages:read", "messages:write"]);
}

#[tokio::test]
async fn refresh_rotates_and_every_way_of_ending_a_token_ends_it_at_once() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let app = admin.client.admin_create_app("localhost", &new_app("Leave", &["profile"])).await.unwrap();
    let oauth = OAuthClient::new(&server.url, &app.app.client_id, &app.client_secret);

    // A refresh gives a new pair and ends the old one.
    let first = grant(&server, &alice, &app, "profile").await;
    let second = oauth.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.access_token, first.access_token);
    let err = server.anonymous().with_token(first.access_token.clone()).me().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    assert_eq!(
        server.anonymous().with_token(second.access_token.clone()).me().await.unwrap().profile.account,
        "alice@localhost"
    );
    let third = oauth.refresh(&second.refresh_token).await.unwrap();

    // A refresh token is good once. Shown again after it was replaced (stolen, say), it is
    // refused and the pair that followed from it ends: one of its two holders is not the app
    // (RFC 9700 §4.14.2). Other grants' pairs are not touched.
    let other = grant(&server, &alice, &app, "profile").await;
    assert_eq!(refused(oauth.refresh(&first.refresh_token).await), "invalid_grant", "a refresh token is good once");
    let err = server.anonymous().with_token(third.access_token.clone()).me().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated), "{err}");
    assert_eq!(refused(oauth.refresh(&third.refresh_token).await), "invalid_grant");
    let second = oauth.refresh(&other.refresh_token).await.expect("a pair of another code is its own");

    // The app revokes its access token: the pair ends.
    oauth.revoke(&second.access_token).await.unwrap();
    assert!(server.anonymous().with_token(second.access_token).me().await.is_err());
    assert_eq!(refused(oauth.refresh(&second.refresh_token).await), "invalid_grant");
    oauth.revoke("not-a-token").await.expect("an unknown token is no error (RFC 7009)");

    // Alice withdraws her grant: every token of the app for her ends; the app must ask again.
    let third = grant(&server, &alice, &app, "profile").await;
    alice.client.revoke_app_grant(app.app.id).await.unwrap();
    assert!(server.anonymous().with_token(third.access_token).me().await.is_err());
    assert_eq!(refused(oauth.refresh(&third.refresh_token).await), "invalid_grant");
    assert!(!alice.client.authorize_info(&ask(&app.app, "profile", &Pkce::new())).await.unwrap().granted);
    let err = alice.client.revoke_app_grant(app.app.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");

    // A new secret: the old one stops at once.
    let fourth = grant(&server, &alice, &app, "profile").await;
    let secret = admin.client.admin_rotate_app_secret(app.app.id).await.unwrap().client_secret;
    assert_eq!(refused(oauth.refresh(&fourth.refresh_token).await), "invalid_client");
    let rotated = OAuthClient::new(&server.url, &app.app.client_id, &secret);
    let fifth = rotated.refresh(&fourth.refresh_token).await.unwrap();

    // The app is uninstalled: its tokens end, its client is unknown.
    admin.client.admin_delete_app(app.app.id).await.unwrap();
    assert!(server.anonymous().with_token(fifth.access_token).me().await.is_err());
    assert_eq!(refused(rotated.refresh(&fifth.refresh_token).await), "invalid_client");
}

#[tokio::test]
async fn the_workbench_shows_each_member_the_apps_of_their_departments_in_order() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let rd = admin
        .client
        .admin_create_department(
            "localhost",
            &wire::CreateDepartmentRequest { name: "研发部".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let web = admin
        .client
        .admin_create_department(
            "localhost",
            &wire::CreateDepartmentRequest { name: "前端组".into(), parent: Some(rd.id), ..Default::default() },
        )
        .await
        .unwrap();
    admin.client.admin_set_department_member(web.id, "bob@localhost", None).await.unwrap();

    let leave = admin.client.admin_create_app("localhost", &new_app("Leave", &["profile"])).await.unwrap().app;
    let builds = admin
        .client
        .admin_create_app(
            "localhost",
            &wire::CreateAppRequest { departments: Some(vec![rd.id]), ..new_app("Builds", &["profile"]) },
        )
        .await
        .unwrap()
        .app;
    let news = admin.client.admin_create_app("localhost", &new_app("News", &["profile"])).await.unwrap().app;
    let names = |apps: &[wire::WorkbenchApp]| apps.iter().map(|a| a.name.clone()).collect::<Vec<_>>();

    // Bob sits below 研发部, so he sees its app; carol sits nowhere.
    assert_eq!(names(&bob.client.workbench().await.unwrap().apps), ["Leave", "Builds", "News"]);
    assert_eq!(names(&carol.client.workbench().await.unwrap().apps), ["Leave", "News"]);
    let err = carol.client.authorize(&ask(&builds, "profile", &Pkce::new())).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");

    // The administrators' order is everyone's.
    let ordered = admin.client.admin_order_apps("localhost", &[news.id, leave.id, builds.id]).await.unwrap().apps;
    assert_eq!(ordered.iter().map(|a| a.id).collect::<Vec<_>>(), [news.id, leave.id, builds.id]);
    assert_eq!(names(&bob.client.workbench().await.unwrap().apps), ["News", "Leave", "Builds"]);
    let err = admin.client.admin_order_apps("localhost", &[news.id, leave.id]).await.unwrap_err();
    assert_eq!(err.field(), Some("apps"), "every app, once: {err}");

    // Open to everyone again, renamed, with its icon cleared.
    let changed = admin
        .client
        .admin_update_app(
            builds.id,
            &wire::UpdateAppRequest {
                name: Some("CI".into()),
                departments: Some(None),
                icon: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((changed.name.as_str(), changed.departments.as_ref()), ("CI", None));
    assert_eq!(names(&carol.client.workbench().await.unwrap().apps), ["News", "Leave", "CI"]);

    // Bad installs are refused naming the field; members install nothing.
    for (field, req) in [
        ("url", wire::CreateAppRequest { url: "javascript:alert(1)".into(), ..new_app("X", &["profile"]) }),
        ("redirect_uris", wire::CreateAppRequest { redirect_uris: vec![], ..new_app("X", &["profile"]) }),
        ("scopes", new_app("X", &["everything"])),
        ("departments[0]", wire::CreateAppRequest { departments: Some(vec![9999]), ..new_app("X", &["profile"]) }),
    ] {
        let err = admin.client.admin_create_app("localhost", &req).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    let err = bob.client.admin_create_app("localhost", &new_app("Mine", &["profile"])).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    let err = bob.client.admin_delete_app(news.id).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    assert_eq!(admin.client.admin_apps("localhost").await.unwrap().apps.len(), 3);
}

#[tokio::test]
async fn the_bridge_script_is_served_to_pages_of_any_origin() {
    let server = TestServer::start().await;
    let res = reqwest::get(format!("{}/v1/apps/bridge.js", server.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(header("content-type").starts_with("text/javascript"));
    assert_eq!(header("cross-origin-resource-policy"), "cross-origin");
    let body = res.text().await.unwrap();
    assert!(body.contains("window.magpie") && body.contains("postMessage"), "{body}");
}

#[tokio::test]
async fn an_apps_access_ends_with_the_users_sessions_and_narrows_on_refresh() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let app =
        admin.client.admin_create_app("localhost", &new_app("Leave", &["profile", "messages:read"])).await.unwrap();
    let oauth = OAuthClient::new(&server.url, &app.app.client_id, &app.client_secret);
    let app_session = |sessions: Vec<wire::SessionInfo>| {
        sessions.into_iter().find(|s| s.device.as_deref() == Some("app: Leave")).expect("the app's session").id
    };

    // Alice ends the app's session in her session list: its refresh token ends with it.
    let first = grant(&server, &alice, &app, "profile").await;
    alice.client.revoke_session(app_session(alice.client.sessions().await.unwrap())).await.unwrap();
    assert_eq!(refused(oauth.refresh(&first.refresh_token).await), "invalid_grant");

    // A password change signs every other device out, the app included.
    let second = grant(&server, &alice, &app, "profile").await;
    alice.client.change_password(crate::harness::PASSWORD, "plum-kettle-orbit-47-sunrise").await.unwrap();
    assert!(server.anonymous().with_token(second.access_token).me().await.is_err());
    assert_eq!(refused(oauth.refresh(&second.refresh_token).await), "invalid_grant");

    // An administrator narrows the app: the next refresh holds only what the app may still have.
    let third = grant(&server, &alice, &app, "profile messages:read").await;
    assert_eq!(third.scope, "profile messages:read");
    let narrowed = wire::UpdateAppRequest { scopes: Some(vec!["profile".into()]), ..Default::default() };
    admin.client.admin_update_app(app.app.id, &narrowed).await.unwrap();
    let fourth = oauth.refresh(&third.refresh_token).await.unwrap();
    assert_eq!(fourth.scope, "profile");
    let err = server.anonymous().with_token(fourth.access_token).conversations(None, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{err}");
}
