//! Magpie's HTTP transports: REST under `/v1/`, the WebSocket at `/v1/ws`, `/healthz`,
//! `/readyz`, `/metrics` and the OpenAPI document at `/v1/openapi.json`.
//!
//! Handlers are thin: extract, call a core service, map the result to a wire type. The
//! translation between core and wire types lives in [`convert`]; the error table mapping in
//! [`error`].

mod convert;
mod dashboard;
mod error;
mod extract;
mod files;
mod limit;
pub mod logs;
mod metrics;
mod openapi;
mod ops;
pub mod parse;
mod registry;
mod rest;
mod rest_apps;
mod rest_audit;
mod rest_backups;
mod rest_bots;
mod rest_chat;
mod rest_commands;
mod rest_exports;
mod rest_groups;
pub mod rest_ldap;
mod rest_moderation;
mod rest_org;
mod rest_push;
mod rest_retention;
mod rest_search;
mod rest_subscriptions;
mod rest_wallets;
mod server;
pub mod tls;
mod web;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use magpie_core::Core;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use dashboard::SizesProbe;
pub use error::ApiError;
pub use metrics::Metrics;
pub use openapi::openapi_json;
pub use registry::{ConnLimit, ConnLimits, Registry};
pub use rest_audit::record_info as audit_record_info;
pub use rest_subscriptions::webhook_body;
pub use server::ConnSettings;

/// Limits and timings of the HTTP and WebSocket transports.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest REST request body accepted.
    pub request_body_bytes_max: usize,
    /// Largest WebSocket text frame answered normally; larger ones get a `too_large` error.
    pub ws_frame_bytes_max: usize,
    /// Frames queued for one connection before it is closed as a slow consumer.
    pub ws_send_queue_len_max: usize,
    /// How often the server pings an idle connection.
    pub ws_heartbeat_interval_secs: u64,
    /// A connection from which nothing arrives for this long is closed.
    pub ws_idle_timeout_secs: u64,
    /// Frames per second a connection may send on average (bursts of twice that pass).
    pub ws_frames_per_sec_max: u32,
    /// Take the client IP from the last `X-Forwarded-For` entry (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Live WebSocket connections of one session (one device's tabs and windows).
    pub ws_connections_per_session_max: usize,
    /// Live WebSocket connections of the whole server (mind the process's open-file limit).
    pub ws_connections_max: usize,
    /// Live WebSocket connections of one account, over all its sessions.
    pub ws_connections_per_account_max: usize,
    /// Live WebSocket connections from one client IP; 0 turns the bound off.
    pub ws_connections_per_ip_max: usize,
    /// Open TCP connections of the whole server, WebSockets included.
    pub connections_max: usize,
    /// Open connections of one client IP that are not WebSockets; 0 turns the bound off.
    pub http_connections_per_ip_max: usize,
    /// Time a client has to send a whole request head.
    pub header_read_timeout_secs: u64,
    /// A request body that delivers nothing for this long fails.
    pub body_idle_timeout_secs: u64,
    /// A response write that makes no progress for this long ends the connection.
    pub write_stall_timeout_secs: u64,
    /// Authenticated REST requests per second of one session.
    pub requests_per_session_per_sec_max: u32,
    /// HTTP requests (REST calls and WebSocket upgrades) per second from one client IP;
    /// 0 turns the limit off.
    pub requests_per_ip_per_sec_max: u32,
    /// `Strict-Transport-Security` on every answer, as this many seconds of `max-age`, when the
    /// server terminates TLS itself; 0 sends no such header.
    pub hsts_max_age_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            request_body_bytes_max: 64 * 1024,
            ws_frame_bytes_max: 64 * 1024,
            ws_send_queue_len_max: 256,
            ws_heartbeat_interval_secs: 25,
            ws_idle_timeout_secs: 60,
            ws_frames_per_sec_max: 50,
            trust_forwarded_for: false,
            requests_per_ip_per_sec_max: 200,
            requests_per_session_per_sec_max: 50,
            ws_connections_per_session_max: 16,
            ws_connections_max: 19_500,
            ws_connections_per_account_max: 32,
            ws_connections_per_ip_max: 1_000,
            connections_max: 20_000,
            http_connections_per_ip_max: 256,
            header_read_timeout_secs: 15,
            body_idle_timeout_secs: 30,
            write_stall_timeout_secs: 30,
            hsts_max_age_secs: 0,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Behind an `Arc`: `Core` is about a kilobyte of service handles, and every WebSocket
    /// holds its `AppState` by value for its whole life (the upgrade's callback and the
    /// connection's future), as every request's handler future does. By value it cost each
    /// idle connection some 3.7 KB (measured with `magpie bench connect`).
    pub core: Arc<Core>,
    pub live: Arc<Registry>,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<HttpSettings>,
    ready: Arc<AtomicBool>,
    /// The console dashboard's samples.
    dashboard: Arc<std::sync::Mutex<dashboard::Dashboard>>,
    /// The process's recent log lines, where the binary keeps them.
    logs: Option<Arc<logs::LogRing>>,
    /// What `/readyz` asks about besides the server itself.
    dependencies: Arc<[Dependency]>,
    /// The listener's certificates, when the server terminates TLS.
    tls: Option<Arc<tls::Certificates>>,
}

/// How long `/readyz` waits for one dependency to answer before it counts as down.
const DEPENDENCY_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// A service the server depends on (a cluster's database or bus), as `/readyz` reports it.
#[derive(Clone)]
pub struct Dependency {
    pub name: &'static str,
    /// Whether the server cannot serve without it (the database): `/readyz` then answers 503.
    /// Without one that is not essential (the bus) it serves, `degraded`.
    pub essential: bool,
    probe: Arc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync>,
}

impl Dependency {
    /// `probe` answers whether the dependency answers now.
    pub fn new(
        name: &'static str,
        essential: bool,
        probe: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync + 'static,
    ) -> Dependency {
        Dependency { name, essential, probe: Arc::new(probe) }
    }

    /// Whether it answers, within [`DEPENDENCY_PROBE_TIMEOUT`].
    pub async fn probe(&self) -> bool {
        tokio::time::timeout(DEPENDENCY_PROBE_TIMEOUT, (self.probe)()).await.unwrap_or(false)
    }
}

impl AppState {
    pub fn new(core: Core, live: Arc<Registry>, settings: HttpSettings) -> AppState {
        let metrics = Arc::new(Metrics::new());
        live.attach_metrics(metrics.clone());
        AppState {
            core: Arc::new(core),
            live,
            metrics,
            settings: Arc::new(settings),
            ready: Arc::new(AtomicBool::new(false)),
            dashboard: Arc::default(),
            logs: None,
            dependencies: Arc::new([]),
            tls: None,
        }
    }

    /// Starts sampling this node for the console's dashboard, with the stored sizes from
    /// `sizes` where the binary can measure them.
    pub fn start_dashboard(&self, sizes: Option<dashboard::SizesProbe>) {
        self.dashboard.lock().unwrap_or_else(|e| e.into_inner()).set_probe(sizes.clone());
        dashboard::spawn_sampler(self.clone(), sizes);
    }

    /// The certificates of a server that terminates TLS: the dashboard and `/metrics` show
    /// the one in service.
    pub fn with_tls(mut self, certificates: Arc<tls::Certificates>) -> AppState {
        self.tls = Some(certificates);
        self
    }

    /// The log lines `GET /v1/admin/logs` reads.
    pub fn with_log_ring(mut self, ring: Arc<logs::LogRing>) -> AppState {
        self.logs = Some(ring);
        self
    }

    /// The dependencies `/readyz` reports on.
    pub fn with_dependencies(mut self, dependencies: Vec<Dependency>) -> AppState {
        self.dependencies = dependencies.into();
        self
    }

    /// `/readyz` answers 200 from now on.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
        if !ready && let Some(logs) = &self.logs {
            logs.wake_all();
        }
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    fn conn_limits(&self) -> ConnLimits {
        ConnLimits {
            per_session_max: self.settings.ws_connections_per_session_max,
            per_account_max: self.settings.ws_connections_per_account_max,
            per_ip_max: self.settings.ws_connections_per_ip_max,
            total_max: self.settings.ws_connections_max,
        }
    }
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/auth/login", post(rest::login))
        .route("/auth/register", post(rest::register))
        .route("/auth/domains/{domain}", get(rest::signup_info))
        .route("/auth/email-code", post(rest::email_code))
        .route("/auth/password-reset/code", post(rest::password_reset_code))
        .route("/auth/password-reset", post(rest::password_reset))
        .route("/invitations", get(rest::list_my_invitations).post(rest::create_my_invitation))
        .route("/invitations/{id}", delete(rest::revoke_my_invitation))
        .route("/auth/logout", post(rest::logout))
        .route("/me", get(rest::get_me).patch(rest::update_me))
        .route("/me/password", post(rest::change_password))
        .route("/me/notifications", get(rest::get_notification_prefs).put(rest::put_notification_prefs))
        .route("/sessions", get(rest::list_sessions))
        .route("/sessions/{id}", delete(rest::revoke_session))
        .route("/accounts", get(rest::search_accounts))
        .route("/accounts/{account}", get(rest::get_account))
        .route("/admin/domains", get(rest::admin_list_domains).post(rest::admin_create_domain))
        .route("/admin/domains/{domain}", get(rest::admin_get_domain).patch(rest::admin_update_domain))
        .route(
            "/admin/domains/{domain}/invitations",
            get(rest::admin_list_invitations).post(rest::admin_create_invitation),
        )
        .route("/admin/domains/{domain}/invitations/{id}", delete(rest::admin_revoke_invitation))
        .route("/admin/domains/{domain}/applications", get(rest::admin_list_applications))
        .route("/admin/domains/{domain}/push-failures", get(rest_push::admin_push_failures))
        .route("/admin/announcements", post(rest_chat::announce))
        .route("/admin/audit", get(rest_audit::admin_audit))
        .route(
            "/admin/domains/{domain}/moderation",
            get(rest_moderation::admin_moderation).put(rest_moderation::admin_set_moderation),
        )
        .route(
            "/admin/domains/{domain}/retention",
            get(rest_retention::admin_retention).put(rest_retention::admin_set_retention),
        )
        .route("/admin/domains/{domain}/retention/runs", post(rest_retention::admin_start_retention_run))
        .route("/admin/retention/runs/{id}", get(rest_retention::admin_retention_run))
        .route("/admin/conversations/{id}/retention", put(rest_retention::admin_set_conversation_retention))
        .route("/admin/dashboard", get(dashboard::admin_dashboard))
        .route("/admin/logs", get(logs::admin_logs))
        .route("/admin/connections", get(dashboard::admin_connections))
        .route("/admin/backups", get(rest_backups::admin_backups).post(rest_backups::admin_make_backup))
        .route("/admin/exports", get(rest_exports::admin_exports).post(rest_exports::admin_start_export))
        .route("/admin/exports/{id}", get(rest_exports::admin_export))
        .route("/admin/exports/{id}/archive", get(rest_exports::admin_export_archive))
        .route("/admin/domains/{domain}/groups", get(rest_groups::admin_groups))
        .route("/admin/groups/{id}/members", get(rest_groups::admin_group_members))
        .route("/admin/groups/{id}/owner", post(rest_groups::admin_transfer_group))
        .route("/admin/groups/{id}/dissolve", post(rest_groups::admin_dissolve_group))
        .route("/admin/audit/export", get(rest_audit::admin_audit_export))
        .route("/push/config", get(rest_push::push_config))
        .route("/me/push-targets", get(rest_push::list_push_targets).post(rest_push::add_push_target))
        .route("/me/push-targets/{id}", delete(rest_push::remove_push_target))
        .route("/admin/accounts/{account}/approve", post(rest::admin_approve_account))
        .route("/admin/accounts/{account}/reject", post(rest::admin_reject_account))
        .route("/admin/accounts", get(rest::admin_list_accounts).post(rest::admin_create_account))
        .route(
            "/admin/accounts/import",
            post(rest::admin_import_accounts).layer(DefaultBodyLimit::max(rest::IMPORT_BODY_BYTES_MAX)),
        )
        .route("/admin/accounts/{account}", get(rest::admin_get_account).patch(rest::admin_update_account))
        .route("/admin/accounts/{account}/password", post(rest::admin_reset_password))
        .route("/admin/accounts/{account}/wallet/credits", post(rest_wallets::admin_credit))
        .route("/admin/domains/{domain}/ledger", get(rest_wallets::admin_ledger))
        .route("/wallet", get(rest_wallets::wallet))
        .route("/admin/accounts/{account}/disable", post(rest::admin_disable_account))
        .route("/admin/accounts/{account}/enable", post(rest::admin_enable_account))
        .route("/admin/accounts/{account}/sessions", get(rest::admin_list_sessions).delete(rest::admin_revoke_sessions))
        .route("/admin/accounts/{account}/sessions/{id}", delete(rest::admin_revoke_session))
        .route("/conversations", get(rest_chat::list_conversations).post(rest_chat::create_conversation))
        .route(
            "/conversations/{id}",
            get(rest_chat::get_conversation).patch(rest_chat::update_group).delete(rest_chat::dissolve),
        )
        .route("/conversations/{id}/members", get(rest_chat::list_members).post(rest_chat::add_members))
        .route("/conversations/{id}/members/{account}", delete(rest_chat::remove_member))
        .route("/conversations/{id}/members/{account}/role", put(rest_chat::set_role))
        .route("/conversations/{id}/members/{account}/mute", put(rest_chat::mute_member))
        .route("/conversations/{id}/owner", post(rest_chat::transfer_ownership))
        .route("/conversations/{id}/leave", post(rest_chat::leave))
        .route("/conversations/{id}/settings", patch(rest_chat::update_settings))
        .route("/conversations/{id}/messages", get(rest_chat::get_messages).post(rest_chat::send))
        .route("/conversations/{id}/shared", get(rest_chat::get_shared))
        .route("/conversations/{id}/threads/{root}", get(rest_chat::get_thread).patch(rest_chat::update_thread))
        .route("/threads", get(rest_chat::list_threads))
        .route("/link-preview", get(rest_chat::link_preview))
        .route("/link-preview/image", get(files::link_preview_image))
        .route("/conversations/{id}/messages/{seq}", patch(rest_chat::edit).delete(rest_chat::recall))
        .route("/conversations/{id}/messages/{seq}/reactions", post(rest_chat::react))
        .route("/conversations/{id}/messages/{seq}/actions", post(rest_chat::card_action))
        .route("/conversations/{id}/messages/{seq}/card-images/{block}", get(files::card_image))
        .route("/conversations/{id}/commands", get(rest_commands::offered_commands).post(rest_commands::invoke_command))
        .route("/conversations/{id}/messages/{seq}/receipts", get(rest_chat::get_receipts))
        .route("/conversations/{id}/forward", post(rest_chat::forward))
        .route("/conversations/{id}/hide", post(rest_chat::hide))
        .route("/conversations/{id}/pins", get(rest_chat::list_pins))
        .route("/conversations/{id}/pins/{seq}", put(rest_chat::pin).delete(rest_chat::unpin))
        .route("/saved", get(rest_chat::list_saved).post(rest_chat::save_message))
        .route("/notifications", get(rest_chat::list_notifications))
        .route("/notifications/read", post(rest_chat::read_notifications))
        .route("/saved/{id}", get(rest_chat::get_saved).patch(rest_chat::update_saved).delete(rest_chat::remove_saved))
        .route(
            "/conversations/{id}/scheduled",
            get(rest_chat::list_conversation_scheduled).post(rest_chat::schedule_message),
        )
        .route("/scheduled", get(rest_chat::list_scheduled))
        .route(
            "/scheduled/{id}",
            get(rest_chat::get_scheduled).patch(rest_chat::update_scheduled).delete(rest_chat::cancel_scheduled),
        )
        .route("/scheduled/{id}/send", post(rest_chat::send_scheduled))
        .route("/search/messages", get(rest_search::search_messages))
        .route("/search/files", get(rest_search::search_files))
        .route("/search/people", get(rest_search::search_people))
        .route("/search/groups", get(rest_search::search_groups))
        .route("/search/departments", get(rest_org::search_departments))
        .route("/org/departments", get(rest_org::department_tree))
        .route("/org/departments/{id}/members", get(rest_org::department_members))
        .route("/org/people/{account}", get(rest_org::placements))
        .route(
            "/admin/domains/{domain}/departments",
            get(rest_org::admin_department_tree).post(rest_org::admin_create_department),
        )
        .route(
            "/admin/departments/{id}",
            patch(rest_org::admin_update_department).delete(rest_org::admin_delete_department),
        )
        .route(
            "/admin/departments/{id}/members/{account}",
            put(rest_org::admin_set_department_member).delete(rest_org::admin_remove_department_member),
        )
        .route(
            "/admin/domains/{domain}/ldap",
            get(rest_ldap::admin_get_ldap_source)
                .put(rest_ldap::admin_set_ldap_source)
                .delete(rest_ldap::admin_delete_ldap_source),
        )
        .route("/admin/people/{account}/manager", put(rest_org::admin_set_manager))
        .route("/admin/domains/{domain}/ldap/test", post(rest_ldap::admin_test_ldap_source))
        .route("/admin/domains/{domain}/ldap/sync", post(rest_ldap::admin_sync_ldap))
        .route("/conversations/{id}/read", post(rest_chat::mark_read))
        .route("/conversations/{id}/delivered", post(rest_chat::mark_delivered))
        .route("/sync", get(rest_chat::sync))
        .route("/contacts", get(rest_chat::list_contacts))
        .route("/contacts/requests", get(rest_chat::list_friend_requests).post(rest_chat::send_friend_request))
        .route("/contacts/requests/{account}", delete(rest_chat::reject_friend_request))
        .route("/contacts/requests/{account}/accept", post(rest_chat::accept_friend_request))
        .route("/contacts/{account}", delete(rest_chat::remove_contact))
        .route("/blocks", get(rest_chat::list_blocked))
        .route("/blocks/{account}", put(rest_chat::block).delete(rest_chat::unblock))
        .route("/conversations/{id}/typing", post(rest_chat::typing))
        .route("/me/presence", put(rest_chat::set_presence))
        .route("/presence", get(rest_chat::get_presence))
        .route("/stickers", get(rest_chat::list_stickers))
        .route("/admin/stickers", post(rest_chat::create_sticker_pack))
        .route("/admin/stickers/{pack}/stickers", post(rest_chat::add_sticker))
        .route("/uploads", post(files::create).options(files::options))
        .route(
            "/uploads/{id}",
            axum::routing::head(files::head).patch(files::patch).delete(files::terminate).options(files::options),
        )
        .route("/files", post(files::upload_once).layer(DefaultBodyLimit::max(files::ONE_SHOT_BYTES_MAX + 64 * 1024)))
        .route("/files/{id}", get(files::download))
        .route("/files/{id}/info", get(files::info))
        .route("/files/{id}/link", post(files::link))
        .route("/files/{id}/thumbnail", get(files::thumbnail))
        .route("/bots", get(rest_bots::list_bots).post(rest_bots::create_bot))
        .route("/bots/{account}", get(rest_bots::get_bot).patch(rest_bots::update_bot))
        .route("/bots/{account}/tokens", get(rest_bots::list_tokens).post(rest_bots::create_token))
        .route("/bots/{account}/tokens/{id}", delete(rest_bots::revoke_token))
        .route("/bots/{account}/tokens/{id}/rotate", post(rest_bots::rotate_token))
        .route("/bots/{account}/webhooks", get(rest_bots::list_webhooks).post(rest_bots::create_webhook))
        .route("/bots/{account}/webhooks/{id}", delete(rest_bots::delete_webhook))
        .route("/bots/{account}/webhooks/{id}/rotate", post(rest_bots::rotate_webhook))
        .route(
            "/bots/{account}/subscriptions",
            get(rest_subscriptions::list_subscriptions).post(rest_subscriptions::create_subscription),
        )
        .route(
            "/bots/{account}/subscriptions/{id}",
            patch(rest_subscriptions::update_subscription).delete(rest_subscriptions::delete_subscription),
        )
        .route("/bots/{account}/subscriptions/{id}/rotate", post(rest_subscriptions::rotate_subscription))
        .route("/bots/{account}/commands", get(rest_commands::list_commands).put(rest_commands::set_commands))
        .route("/apps", get(rest_apps::workbench))
        .route("/apps/grants", get(rest_apps::grants))
        .route("/apps/{id}/grant", delete(rest_apps::revoke_grant))
        .route("/apps/bridge.js", get(rest_apps::bridge))
        .route("/apps/{id}/icon", get(files::app_icon))
        .route("/admin/domains/{domain}/apps", get(rest_apps::admin_list).post(rest_apps::admin_create))
        .route("/admin/domains/{domain}/apps/order", put(rest_apps::admin_order))
        .route("/admin/apps/{id}", patch(rest_apps::admin_update).delete(rest_apps::admin_delete))
        .route("/admin/apps/{id}/secret", post(rest_apps::admin_rotate_secret))
        .route("/oauth/authorize", get(rest_apps::authorize_info).post(rest_apps::authorize))
        .route(
            "/hooks/{token}",
            post(rest_bots::post_hook).layer(DefaultBodyLimit::max(rest_bots::HOOK_BODY_BYTES_MAX)),
        )
        .route("/openapi.json", get(rest::openapi))
        .route("/ws", get(ws::upgrade));
    let router = Router::new()
        .nest("/v1", v1)
        .route("/oauth/token", post(rest_apps::token))
        .route("/oauth/revoke", post(rest_apps::revoke))
        .route("/healthz", get(rest::healthz))
        .route("/readyz", get(rest::readyz))
        .route("/metrics", get(rest::metrics))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .fallback(web::fallback)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .layer(axum::middleware::map_response(api_headers))
        .layer(DefaultBodyLimit::max(state.settings.request_body_bytes_max))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limit::per_ip))
        .layer(CatchPanicLayer::custom(limit::panic_response));
    // Outside the limits and the panic catcher, so that their answers carry it too; no layer at
    // all without it.
    let router = match hsts(state.settings.hsts_max_age_secs) {
        Some(value) => router.layer(axum::middleware::map_response_with_state(value, with_hsts)),
        None => router,
    };
    let trace = TraceLayer::new_for_http().make_span_with(request_span).on_failure(
        |class: tower_http::classify::ServerErrorsFailureClass, latency: std::time::Duration, _: &tracing::Span| {
            use tower_http::classify::ServerErrorsFailureClass as Class;
            match class {
                // An app that a card's action or a command went to failed: its failure, not the
                // server's (the member who acted is told why in the answer).
                Class::StatusCode(status) if status == axum::http::StatusCode::BAD_GATEWAY => {
                    tracing::info!(%status, ?latency, "an app failed");
                }
                other => tracing::error!(classification = %other, ?latency, "response failed"),
            }
        },
    );
    router.layer(trace).with_state(state)
}

/// The request log's span: the method and the path, with the values of query parameters that
/// carry secrets (a signed link's `sig`) masked. The URI as a whole is never logged.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let uri = request.uri();
    let query: Vec<String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&key) => format!("{key}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect();
    // An incoming webhook's path is its secret.
    let path = match uri.path().strip_prefix("/v1/hooks/") {
        Some(_) => "/v1/hooks/[redacted]",
        None => uri.path(),
    };
    tracing::debug_span!("request", method = %request.method(), path, query = query.join("&"))
}

/// The `Strict-Transport-Security` value for `max_age_secs`, or none for 0.
fn hsts(max_age_secs: u64) -> Option<axum::http::HeaderValue> {
    // Digits and ASCII only: always a valid header value.
    (max_age_secs > 0).then(|| axum::http::HeaderValue::try_from(format!("max-age={max_age_secs}")).ok()).flatten()
}

/// Adds `Strict-Transport-Security` to every answer (the web client's files, the API, errors)
/// when the server terminates TLS and was asked to.
async fn with_hsts(
    axum::extract::State(value): axum::extract::State<axum::http::HeaderValue>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    response.headers_mut().insert(axum::http::header::STRICT_TRANSPORT_SECURITY, value);
    response
}

/// Query parameters whose values are secrets.
const SECRET_PARAMS: [&str; 3] = ["sig", "token", "access_token"];

/// Headers of every answer: nothing is cached anywhere unless the handler says otherwise (a
/// login answer carries a token; downloads and the web client's files set their own rule),
/// and no answer is sniffed into another type.
async fn api_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = response.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    // JSON is data: opened directly in a browser it runs nothing and is framed by nobody, and
    // it is never taken for a download of another name (reflected file download).
    let is_json = h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
        if !h.contains_key(header::CONTENT_DISPOSITION) {
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"api.json\""));
        }
    }
    response
}

/// Serves the whole HTTP surface on `listener` until `shutdown` resolves; see [`server`] for
/// the connection bounds. Returns once plain HTTP connections have finished (WebSockets are
/// closed through the registry) or `grace` has passed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
    tls: Option<Arc<rustls::ServerConfig>>,
    grace: Duration,
) -> std::io::Result<()> {
    let s = &state.settings;
    let settings = ConnSettings {
        connections_max: s.connections_max,
        // Behind a trusted proxy every connection comes from the proxy: no bound per IP.
        http_connections_per_ip_max: if s.trust_forwarded_for { 0 } else { s.http_connections_per_ip_max },
        header_read_timeout_secs: s.header_read_timeout_secs,
        body_idle_timeout_secs: s.body_idle_timeout_secs,
        write_stall_timeout_secs: s.write_stall_timeout_secs,
    };
    let metrics = state.metrics.clone();
    server::serve(listener, app(state), settings, metrics, tls, shutdown, grace).await
}
