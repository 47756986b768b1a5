//! First start, health, metrics, OpenAPI, restart and shutdown.

use magpie_client::Incoming;
use magpie_client::wire::{self, RevokeReason, close_code};

use crate::harness::{Backend, PASSWORD, PROMPTLY, TestServer};

#[tokio::test]
async fn first_start_creates_the_data_directory_and_the_default_domain() {
    let server = TestServer::start().await;
    // The embedded default keeps its database in the data directory; a cluster node keeps
    // none there (its data is in PostgreSQL).
    assert_eq!(server.path("magpie.db").exists(), !Backend::cluster());
    let anon = server.anonymous();
    assert_eq!(anon.healthz().await.unwrap().status, "ok");
    assert_eq!(anon.readyz().await.unwrap().status, "ok");
    let out = server.admin(&["domain", "list"], "").await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("localhost\tregistration=closed"));
}

#[tokio::test]
async fn the_default_domain_is_configurable() {
    let server = TestServer::start_with(&[("MAGPIE_DOMAIN", "Chat.Acme.Example")]).await;
    let out = server.admin(&["domain", "list"], "").await;
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listed.contains("chat.acme.example"), "{listed}");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_the_api() {
    let server = TestServer::start().await;
    let doc = server.anonymous().openapi().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/auth/login",
        "/v1/me",
        "/v1/sessions/{id}",
        "/v1/accounts",
        "/v1/admin/accounts/{account}/disable",
        "/v1/conversations",
        "/v1/conversations/{id}/messages",
        "/v1/conversations/{id}/messages/{seq}/receipts",
        "/v1/sync",
        "/v1/contacts/requests",
        "/v1/presence",
        "/v1/files",
        "/v1/files/{id}",
        "/v1/files/{id}/thumbnail",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["ErrorCode"].is_object());
    assert!(doc["components"]["schemas"]["SendRequest"].is_object());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            // Any operation may answer an error body (protocol section 2).
            let default = &operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(default, "#/components/schemas/ErrorBody", "{method} {path} lacks the default error response");
            // A parameter documented in the path is one of the path's own; the rest are queries.
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                // The one header an operation names for itself: an incoming webhook's retry key.
                if parameter["in"] == "header" {
                    assert_eq!(
                        (method.as_str(), path.as_str(), name),
                        ("post", "/v1/hooks/{token}", "Idempotency-Key")
                    );
                    continue;
                }
                let in_path = path.contains(&format!("{{{name}}}"));
                let expected = if in_path { "path" } else { "query" };
                assert_eq!(parameter["in"], expected, "{method} {path}: parameter {name}");
                if !in_path && parameter["required"] == true {
                    // What these name has no default: whom to ask about, which kind of item,
                    // which link, what to look for.
                    let required = [
                        ("get", "/v1/presence", "accounts"),
                        ("get", "/v1/conversations/{id}/shared", "kind"),
                        ("get", "/v1/link-preview", "url"),
                        ("get", "/v1/link-preview/image", "url"),
                        ("get", "/v1/search/messages", "q"),
                        ("get", "/v1/search/people", "q"),
                        ("get", "/v1/search/groups", "q"),
                        ("get", "/v1/search/departments", "q"),
                        // An OAuth authorization request is these, as RFC 6749 and 7636 say.
                        ("get", "/v1/oauth/authorize", "response_type"),
                        ("get", "/v1/oauth/authorize", "client_id"),
                        ("get", "/v1/oauth/authorize", "redirect_uri"),
                        ("get", "/v1/oauth/authorize", "code_challenge"),
                        ("get", "/v1/oauth/authorize", "code_challenge_method"),
                    ];
                    assert!(
                        required.contains(&(method.as_str(), path.as_str(), name)),
                        "{method} {path}: query parameter {name} is required"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn metrics_count_connections_requests_and_errors() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let _ = server.anonymous().login("alice@localhost", "wrong password").await;
    let live = alice.connect().await;
    live.ping().await.unwrap();
    let text = server.anonymous().metrics().await.unwrap();
    assert!(text.contains("magpie_ws_connections 1"), "{text}");
    assert!(
        text.contains(r#"magpie_http_requests_total{method="POST",route="/v1/auth/login",status="401"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"magpie_errors_total{code="invalid_credentials"} 1"#), "{text}");
    assert!(text.contains("magpie_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("magpie_ws_frames_received_total"), "{text}");
}

#[tokio::test]
async fn a_restart_keeps_domains_accounts_profiles_and_sessions() {
    let mut server = TestServer::start().await;
    server.admin(&["domain", "add", "acme.example"], "").await;
    let alice = server.user("alice").await;
    let revoked = server.login("alice@localhost").await;
    alice.client.revoke_session(revoked.login.session.id).await.unwrap();
    let update = wire::UpdateProfileRequest { display_name: Some("王小明".into()), ..Default::default() };
    alice.client.update_me(&update).await.unwrap();

    server.restart().await;

    // The same token still works against the restarted server; the revoked one does not.
    let alice_again = server.anonymous().with_token(alice.login.token.clone());
    assert_eq!(alice_again.me().await.unwrap().profile.display_name, "王小明");
    let dead = server.anonymous().with_token(revoked.login.token.clone());
    assert!(dead.me().await.is_err());
    assert_eq!(alice_again.sessions().await.unwrap().len(), 1);
    let live = alice_again.connect().await.unwrap();
    live.ping().await.unwrap();
    let out = server.admin(&["domain", "list"], "").await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme.example"));
    assert!(server.anonymous().login("alice@localhost", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn sigterm_closes_sockets_with_going_away_and_exits_cleanly() {
    let mut server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    let status = server.stop().await;
    assert!(status.success(), "{status}");
    let closed = live.closed(PROMPTLY).await.expect("socket not closed on shutdown");
    assert_eq!(closed.code, close_code::GOING_AWAY);
}

#[tokio::test]
async fn the_offline_cli_disabling_an_account_closes_its_socket_on_the_running_server() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let mut live = alice.connect().await;
    let out = server.admin(&["user", "disable", "alice"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    match live.next_incoming(PROMPTLY).await {
        Some(Incoming::Event(wire::Event::SessionRevoked { reason })) => {
            assert_eq!(reason, RevokeReason::AccountDisabled)
        }
        other => panic!("expected session_revoked, got {other:?}"),
    }
    let closed = live.closed(PROMPTLY).await.expect("socket not closed within a second");
    assert_eq!(closed.code, close_code::ACCOUNT_DISABLED);
    assert!(alice.client.me().await.is_err());
}
