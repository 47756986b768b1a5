//! REST handlers. Each is thin: extract, call the core, convert.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use magpie_core::accounts::ProfileUpdate;
use magpie_core::auth::LoginOutcome;
use magpie_core::mail::Lang;
use magpie_core::model::{Actor, Role, SessionId};
use magpie_wire as wire;
use magpie_wire::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, ClientIp};
use crate::{ApiError, AppState, convert, ops};

type ApiResult<T> = Result<Json<T>, ApiError>;

fn login_response(outcome: LoginOutcome) -> wire::LoginResponse {
    wire::LoginResponse {
        session: convert::session(&outcome.session, outcome.session.id),
        me: convert::me(&outcome.account),
        token: outcome.token,
        device_key: outcome.device_key,
    }
}

/// `POST /v1/auth/login`: exchanges an account and password for a session token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = wire::LoginRequest,
    responses((status = 200, body = wire::LoginResponse),
              (status = 401, description = "invalid_credentials", body = wire::ErrorBody),
              (status = 403, description = "account_disabled", body = wire::ErrorBody),
              (status = 429, description = "rate_limited", body = wire::ErrorBody),
              (status = 503, description = "unavailable", body = wire::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<wire::LoginRequest>,
) -> ApiResult<wire::LoginResponse> {
    let request = magpie_core::auth::LoginRequest {
        account: &req.account,
        password: &req.password,
        device: req.device.as_deref(),
        device_key: req.device_key.as_deref(),
        ip: ip.as_deref(),
    };
    let outcome = state.core.auth.login(request).await?;
    Ok(Json(login_response(outcome)))
}

/// `POST /v1/auth/register`: creates an account where the domain's registration is open.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = wire::RegisterRequest,
    responses((status = 200, body = wire::LoginResponse),
              (status = 202, description = "applied: the account waits for approval", body = wire::ApplicationPending),
              (status = 403, description = "registration_closed", body = wire::ErrorBody),
              (status = 409, description = "already_exists", body = wire::ErrorBody),
              (status = 422, description = "invalid_field", body = wire::ErrorBody),
              (status = 429, description = "rate_limited", body = wire::ErrorBody),
              (status = 503, description = "unavailable", body = wire::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<wire::RegisterRequest>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let request = magpie_core::auth::RegisterRequest {
        account: &req.account,
        password: &req.password,
        display_name: req.display_name.as_deref(),
        device: req.device.as_deref(),
        ip: ip.as_deref(),
        invitation: req.invitation.as_deref(),
        email: req.email.as_deref(),
        email_code: req.email_code.as_deref(),
        lang: req.lang.as_deref().map(Lang::parse),
    };
    Ok(match state.core.auth.register(request).await? {
        magpie_core::auth::Registered::Session(outcome) => Json(login_response(outcome)).into_response(),
        magpie_core::auth::Registered::Pending(account) => {
            let body = wire::ApplicationPending { account: account.addr.to_string() };
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
    })
}

/// `GET /v1/auth/domains/{domain}`: what a domain asks of people who register.
#[utoipa::path(get, path = "/v1/auth/domains/{domain}", tag = "auth", params(("domain" = String, Path)),
    responses((status = 200, body = wire::SignupInfo), (status = 422, description = "invalid_field", body = wire::ErrorBody)))]
pub async fn signup_info(
    State(state): State<AppState>,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::SignupInfo> {
    let info = state.core.auth.signup_info(&domain).await?;
    Ok(Json(wire::SignupInfo {
        domain: info.domain,
        registration: convert::registration(info.registration),
        email_verification: info.email_verification,
        email_domains: info.email_domains,
        password_reset: info.password_reset,
        members_invite: info.members_invite,
        members_make_bots: info.members_make_bots,
    }))
}

/// `POST /v1/auth/email-code`: mails a registration code to an address.
#[utoipa::path(post, path = "/v1/auth/email-code", tag = "auth", request_body = wire::EmailCodeRequest,
    responses((status = 202, body = wire::CodeSent),
              (status = 403, description = "registration_closed; forbidden: this server sends no mail", body = wire::ErrorBody),
              (status = 422, description = "invalid_field", body = wire::ErrorBody),
              (status = 429, description = "rate_limited", body = wire::ErrorBody),
              (status = 503, description = "unavailable", body = wire::ErrorBody)))]
pub async fn email_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<wire::EmailCodeRequest>,
) -> Result<(StatusCode, Json<wire::CodeSent>), ApiError> {
    let lang = Lang::parse(req.lang.as_deref().unwrap_or_default());
    let sent = state.core.auth.request_signup_code(&req.domain, &req.email, lang, ip.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(code_sent(sent))))
}

/// `POST /v1/auth/password-reset/code`: mails a password-reset code to the account's email.
#[utoipa::path(post, path = "/v1/auth/password-reset/code", tag = "auth", request_body = wire::PasswordResetCodeRequest,
    responses((status = 202, body = wire::CodeSent),
              (status = 403, description = "forbidden: this server sends no mail", body = wire::ErrorBody),
              (status = 422, description = "invalid_field", body = wire::ErrorBody),
              (status = 429, description = "rate_limited", body = wire::ErrorBody),
              (status = 503, description = "unavailable", body = wire::ErrorBody)))]
pub async fn password_reset_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<wire::PasswordResetCodeRequest>,
) -> Result<(StatusCode, Json<wire::CodeSent>), ApiError> {
    let lang = Lang::parse(req.lang.as_deref().unwrap_or_default());
    let sent = state.core.auth.request_reset_code(&req.account, lang, ip.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(code_sent(sent))))
}

/// `POST /v1/auth/password-reset`: sets a new password with a mailed code and revokes every
/// session of the account.
#[utoipa::path(post, path = "/v1/auth/password-reset", tag = "auth", request_body = wire::PasswordResetRequest,
    responses((status = 204),
              (status = 413, description = "too_large", body = wire::ErrorBody),
              (status = 422, description = "invalid_field", body = wire::ErrorBody),
              (status = 503, description = "unavailable", body = wire::ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<wire::PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    state.core.auth.reset_password(&req.account, &req.code, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn code_sent(sent: magpie_core::auth::CodeSent) -> wire::CodeSent {
    wire::CodeSent { expires_in_secs: sent.expires_in_secs, resend_after_secs: sent.resend_after_secs }
}

/// `POST /v1/auth/logout`: ends the current session and closes its live connections.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = wire::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, Authed(caller): Authed) -> Result<StatusCode, ApiError> {
    state.core.auth.logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me`: the caller's own profile.
#[utoipa::path(get, path = "/v1/me", tag = "profile", security(("bearer" = [])),
    responses((status = 200, body = wire::Me), (status = 401, body = wire::ErrorBody)))]
pub async fn get_me(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::Me> {
    Ok(Json(convert::me(&state.core.accounts.me(&caller).await?)))
}

/// `PATCH /v1/me`: changes the caller's profile; the caller's other devices get a
/// `profile_updated` event.
#[utoipa::path(patch, path = "/v1/me", tag = "profile", security(("bearer" = [])),
    request_body = wire::UpdateProfileRequest,
    responses((status = 200, body = wire::Me), (status = 422, body = wire::ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::UpdateProfileRequest>,
) -> ApiResult<wire::Me> {
    let update = ProfileUpdate {
        display_name: req.display_name,
        avatar: req.avatar,
        signature: req.signature,
        email: req.email,
        phone: req.phone,
    };
    Ok(Json(convert::me(&state.core.accounts.update_profile(&caller, update).await?)))
}

/// `GET /v1/me/notifications`: the caller's notification preferences.
#[utoipa::path(get, path = "/v1/me/notifications", tag = "profile", security(("bearer" = [])),
    responses((status = 200, body = wire::NotificationPrefs), (status = 401, body = wire::ErrorBody)))]
pub async fn get_notification_prefs(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<wire::NotificationPrefs> {
    Ok(Json(convert::notify_prefs(&state.core.notifications.prefs(&caller).await?)))
}

/// `PUT /v1/me/notifications`: sets the caller's notification preferences whole; its devices
/// hear `notify_prefs_changed`.
#[utoipa::path(put, path = "/v1/me/notifications", tag = "profile", security(("bearer" = [])),
    request_body = wire::NotificationPrefs,
    responses((status = 200, body = wire::NotificationPrefs), (status = 422, body = wire::ErrorBody)))]
pub async fn put_notification_prefs(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::NotificationPrefs>,
) -> ApiResult<wire::NotificationPrefs> {
    let prefs = state.core.notifications.set_prefs(&caller, convert::notify_prefs_from_wire(req)).await?;
    Ok(Json(convert::notify_prefs(&prefs)))
}

/// `POST /v1/me/password`: changes the password and revokes every other session.
#[utoipa::path(post, path = "/v1/me/password", tag = "profile", security(("bearer" = [])),
    request_body = wire::ChangePasswordRequest,
    responses((status = 204), (status = 401, description = "invalid_credentials", body = wire::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state.core.auth.change_password(&caller, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/sessions`: the caller's live sessions, newest first.
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = wire::SessionList)))]
pub async fn list_sessions(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::SessionList> {
    let sessions = state.core.auth.sessions(&caller).await?;
    let sessions = sessions.iter().map(|s| convert::session(s, caller.session.id)).collect();
    Ok(Json(wire::SessionList { sessions }))
}

/// `DELETE /v1/sessions/{id}`: revokes one of the caller's sessions; its live connections
/// close at once.
#[utoipa::path(delete, path = "/v1/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.auth.revoke_session(&caller, SessionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Part of a login or display name; empty lists everyone.
    #[serde(default)]
    q: String,
    /// Continue after this login name (the last one of the previous page).
    after: Option<String>,
    /// Page size, at most the server's `directory_page_len_max`.
    limit: Option<i64>,
}

/// `GET /v1/accounts`: the caller's domain directory.
#[utoipa::path(get, path = "/v1/accounts", tag = "directory", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = wire::AccountList)))]
pub async fn search_accounts(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<wire::AccountList> {
    let limit = ops::page_len(params.limit);
    let found = state.core.accounts.search(&caller, &params.q, params.after.as_deref(), limit).await?;
    Ok(Json(wire::AccountList { accounts: found.iter().map(convert::profile).collect() }))
}

/// `GET /v1/accounts/{account}`: a profile in the caller's domain (404 for any other).
#[utoipa::path(get, path = "/v1/accounts/{account}", tag = "directory", security(("bearer" = [])),
    params(("account" = String, Path, description = "name@domain")),
    responses((status = 200, body = wire::Profile), (status = 404, body = wire::ErrorBody)))]
pub async fn get_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::Profile> {
    Ok(Json(convert::profile(&state.core.accounts.profile(&caller, &account).await?)))
}

/// `GET /v1/admin/domains`: every domain (server admins).
#[utoipa::path(get, path = "/v1/admin/domains", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = wire::DomainList), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_list_domains(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::DomainList> {
    let domains = state.core.accounts.domains(Actor::Account(&caller)).await?;
    Ok(Json(wire::DomainList { domains: domains.iter().map(convert::domain).collect() }))
}

/// `POST /v1/admin/domains`: adds a domain (server admins).
#[utoipa::path(post, path = "/v1/admin/domains", tag = "admin", security(("bearer" = [])),
    request_body = wire::CreateDomainRequest,
    responses((status = 201, body = wire::DomainInfo), (status = 409, body = wire::ErrorBody)))]
pub async fn admin_create_domain(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateDomainRequest>,
) -> Result<(StatusCode, Json<wire::DomainInfo>), ApiError> {
    let domain = state.core.accounts.create_domain(Actor::Account(&caller), &req.name).await?;
    Ok((StatusCode::CREATED, Json(convert::domain(&domain))))
}

/// `GET /v1/admin/domains/{domain}`: a domain's settings, for its administrators.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::DomainInfo), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_get_domain(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::DomainInfo> {
    Ok(Json(convert::domain(&state.core.accounts.admin_domain(Actor::Account(&caller), &domain).await?)))
}

/// `PATCH /v1/admin/domains/{domain}`: changes a domain's settings (its admins).
#[utoipa::path(patch, path = "/v1/admin/domains/{domain}", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::UpdateDomainRequest,
    responses((status = 200, body = wire::DomainInfo), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_update_domain(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::UpdateDomainRequest>,
) -> ApiResult<wire::DomainInfo> {
    let actor = Actor::Account(&caller);
    let mut updated = state.core.accounts.admin_domain(actor, &domain).await?;
    // The email rules first: they are the only ones that can be refused, and a refused
    // request changes nothing.
    if req.email_verification.is_some() || req.email_domains.is_some() {
        let domains = req.email_domains.as_deref();
        updated = state.core.accounts.set_signup_email(actor, &domain, req.email_verification, domains).await?;
    }
    if let Some(mode) = req.registration {
        updated = state.core.accounts.set_registration(actor, &domain, convert::registration_from_wire(mode)).await?;
    }
    if let Some(on) = req.direct_requires_friendship {
        updated = state.core.accounts.set_direct_requires_friendship(actor, &domain, on).await?;
    }
    if let Some(on) = req.members_invite {
        updated = state.core.accounts.set_members_invite(actor, &domain, on).await?;
    }
    if let Some(on) = req.members_make_bots {
        updated = state.core.accounts.set_members_make_bots(actor, &domain, on).await?;
    }
    Ok(Json(convert::domain(&updated)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListParams {
    /// The domain to list; defaults to the caller's own.
    domain: Option<String>,
    /// Only accounts whose login or display name contains this, ignoring case (at most 64
    /// characters).
    q: Option<String>,
    /// Continue after this login name (the last of the previous page).
    after: Option<String>,
    limit: Option<i64>,
}

/// `GET /v1/admin/accounts`: a domain's accounts, disabled ones included (its admins).
#[utoipa::path(get, path = "/v1/admin/accounts", tag = "admin", security(("bearer" = [])), params(AdminListParams),
    responses((status = 200, body = wire::AdminAccountList)))]
pub async fn admin_list_accounts(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(params): ApiQuery<AdminListParams>,
) -> ApiResult<wire::AdminAccountList> {
    let domain = params.domain.unwrap_or_else(|| caller.account.addr.domain.to_string());
    let limit = ops::page_len(params.limit);
    let q = params.q.as_deref().unwrap_or_default();
    let accounts =
        state.core.accounts.list(Actor::Account(&caller), &domain, q, params.after.as_deref(), limit).await?;
    Ok(Json(wire::AdminAccountList { accounts: accounts.iter().map(convert::admin_account).collect() }))
}

/// `POST /v1/admin/accounts`: creates an account (admins of its domain).
#[utoipa::path(post, path = "/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    request_body = wire::CreateAccountRequest,
    responses((status = 201, body = wire::AdminAccount), (status = 409, body = wire::ErrorBody)))]
pub async fn admin_create_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateAccountRequest>,
) -> Result<(StatusCode, Json<wire::AdminAccount>), ApiError> {
    let role = req.role.map_or(Role::Member, convert::role_from_wire);
    let account = state
        .core
        .accounts
        .create_account(Actor::Account(&caller), &req.account, &req.password, req.display_name.as_deref(), role)
        .await?;
    Ok((StatusCode::CREATED, Json(convert::admin_account(&account))))
}

/// `PATCH /v1/admin/accounts/{account}`: changes an account's display name or role.
#[utoipa::path(patch, path = "/v1/admin/accounts/{account}", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::UpdateAccountRequest,
    responses((status = 200, body = wire::AdminAccount), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_update_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::UpdateAccountRequest>,
) -> ApiResult<wire::AdminAccount> {
    let role = req.role.map(convert::role_from_wire);
    let account =
        state.core.accounts.admin_update(Actor::Account(&caller), &account, req.display_name.as_deref(), role).await?;
    Ok(Json(convert::admin_account(&account)))
}

/// `POST /v1/admin/accounts/{account}/password`: sets an account's password (or makes one) and
/// signs it out everywhere.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/password", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), request_body = wire::ResetPasswordRequest,
    responses((status = 200, body = wire::PasswordReset), (status = 403, body = wire::ErrorBody)))]
pub async fn admin_reset_password(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
    ApiJson(req): ApiJson<wire::ResetPasswordRequest>,
) -> ApiResult<wire::PasswordReset> {
    let password =
        state.core.accounts.admin_reset_password(Actor::Account(&caller), &account, req.password.as_deref()).await?;
    Ok(Json(wire::PasswordReset { password }))
}

/// The body of an account import may be this large (a thousand rows with passwords), where
/// other requests are bounded by `request_body_bytes_max`.
pub const IMPORT_BODY_BYTES_MAX: usize = 1024 * 1024;

/// `POST /v1/admin/accounts/import`: many accounts at once, all or none: with any row's error,
/// nothing is made and the answer lists every row's errors.
#[utoipa::path(post, path = "/v1/admin/accounts/import", tag = "admin", security(("bearer" = [])),
    request_body = wire::ImportAccountsRequest,
    responses((status = 201, description = "Every account made", body = wire::ImportAccountsReport),
        (status = 200, description = "A dry run, or rows with errors: nothing made", body = wire::ImportAccountsReport),
        (status = 404, body = wire::ErrorBody)))]
pub async fn admin_import_accounts(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::ImportAccountsRequest>,
) -> Result<(StatusCode, Json<wire::ImportAccountsReport>), ApiError> {
    let domain = req.domain.unwrap_or_else(|| caller.account.addr.domain.to_string());
    let rows: Vec<magpie_core::accounts::ImportRow> = req
        .rows
        .into_iter()
        .map(|r| magpie_core::accounts::ImportRow {
            account: r.account,
            display_name: r.display_name,
            role: r.role.map(convert::role_from_wire),
            password: r.password,
        })
        .collect();
    let report = state.core.accounts.import(Actor::Account(&caller), &domain, &rows, req.dry_run).await?;
    let status = if report.created.is_empty() { StatusCode::OK } else { StatusCode::CREATED };
    let report = wire::ImportAccountsReport {
        dry_run: report.dry_run,
        errors: report
            .errors
            .into_iter()
            .map(|e| wire::ImportRowError {
                row: u32::try_from(e.row).unwrap_or(u32::MAX),
                field: e.field.to_owned(),
                message: e.message,
            })
            .collect(),
        created: report
            .created
            .iter()
            .map(|c| wire::ImportedAccount {
                account: convert::admin_account(&c.account),
                password: c.generated_password.clone(),
            })
            .collect(),
    };
    Ok((status, Json(report)))
}

/// `GET /v1/admin/accounts/{account}`: one account as its admins see it.
#[utoipa::path(get, path = "/v1/admin/accounts/{account}", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::AdminAccount)))]
pub async fn admin_get_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::AdminAccount> {
    Ok(Json(convert::admin_account(&state.core.accounts.admin_get(Actor::Account(&caller), &account).await?)))
}

/// `POST /v1/admin/accounts/{account}/disable`: disables an account and closes all its
/// sessions at once.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/disable", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::AdminAccount)))]
pub async fn admin_disable_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::AdminAccount> {
    let account = state.core.accounts.set_disabled(Actor::Account(&caller), &account, true).await?;
    state.core.org.account_changed(&account).await?;
    Ok(Json(convert::admin_account(&account)))
}

/// `POST /v1/admin/accounts/{account}/enable`: lets a disabled account log in again.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/enable", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::AdminAccount)))]
pub async fn admin_enable_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::AdminAccount> {
    let account = state.core.accounts.set_disabled(Actor::Account(&caller), &account, false).await?;
    state.core.org.account_changed(&account).await?;
    Ok(Json(convert::admin_account(&account)))
}

/// `DELETE /v1/admin/accounts/{account}/sessions`: signs an account out everywhere.
#[utoipa::path(delete, path = "/v1/admin/accounts/{account}/sessions", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 204)))]
pub async fn admin_revoke_sessions(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.core.accounts.revoke_all_sessions(Actor::Account(&caller), &account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/admin/accounts/{account}/sessions`: an account's live sessions.
#[utoipa::path(get, path = "/v1/admin/accounts/{account}/sessions", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)), responses((status = 200, body = wire::SessionList)))]
pub async fn admin_list_sessions(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::SessionList> {
    let sessions = state.core.accounts.sessions_of(Actor::Account(&caller), &account).await?;
    let sessions = sessions.iter().map(|s| convert::session(s, caller.session.id)).collect();
    Ok(Json(wire::SessionList { sessions }))
}

/// `DELETE /v1/admin/accounts/{account}/sessions/{id}`: revokes one session of an account.
#[utoipa::path(delete, path = "/v1/admin/accounts/{account}/sessions/{id}", tag = "admin",
    security(("bearer" = [])), params(("account" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_revoke_session(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((account, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state.core.accounts.revoke_session_of(Actor::Account(&caller), &account, SessionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn health(status: &str) -> wire::HealthResponse {
    wire::HealthResponse {
        status: status.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        dependencies: std::collections::BTreeMap::new(),
    }
}

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = wire::HealthResponse)))]
pub async fn healthz() -> Json<wire::HealthResponse> {
    Json(health("ok"))
}

/// `GET /readyz`: the server accepts traffic (503 while starting or stopping, or while it
/// cannot reach its database); in cluster mode, each dependency's state.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = wire::HealthResponse), (status = 503, body = wire::HealthResponse)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(health("unavailable"))).into_response();
    }
    let mut answer = health("ok");
    let mut essential_down = false;
    for dependency in state.dependencies.iter() {
        let up = dependency.probe().await;
        answer.dependencies.insert(dependency.name.to_owned(), if up { "ok" } else { "down" }.to_owned());
        if !up {
            essential_down |= dependency.essential;
            answer.status = "degraded".to_owned();
        }
    }
    if essential_down {
        answer.status = "unavailable".to_owned();
        return (StatusCode::SERVICE_UNAVAILABLE, Json(answer)).into_response();
    }
    Json(answer).into_response()
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    for follower in &state.core.followers {
        state.metrics.follower_lag(follower.name, follower.lag());
    }
    if state.core.mail.enabled() {
        let outbox = state.core.mail.outbox_len().await.ok();
        state.metrics.mail(outbox, &state.core.mail.status);
    }
    if !state.core.push.config().0.is_empty() {
        let outbox = state.core.push.outbox_len().await.ok();
        state.metrics.push(outbox, &state.core.push.status);
    }
    if let Some(status) = state.tls.as_ref().and_then(|t| t.status()) {
        state.metrics.tls_expiry(status.not_after);
    }
    let body = state.metrics.render();
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

/// `GET /v1/openapi.json`: this API's OpenAPI 3.1 document.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi_json()).into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this endpoint does not accept that method")
}

/// `GET /v1/admin/domains/{domain}/invitations`: a domain's live invitations.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/invitations", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::InvitationList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_list_invitations(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::InvitationList> {
    let invitations = state.core.accounts.invitations(Actor::Account(&caller), &domain).await?;
    let mut out = Vec::with_capacity(invitations.len());
    for i in &invitations {
        out.push(convert::invitation(i, ops::addr_of(&state.core, i.created_by).await?));
    }
    Ok(Json(wire::InvitationList { invitations: out }))
}

/// `POST /v1/admin/domains/{domain}/invitations`: makes an invitation; its code is in this
/// answer only.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/invitations", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::CreateInvitationRequest,
    responses((status = 201, body = wire::CreatedInvitation), (status = 404, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)))]
pub async fn admin_create_invitation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateInvitationRequest>,
) -> Result<(StatusCode, Json<wire::CreatedInvitation>), ApiError> {
    let (invitation, code) = state
        .core
        .accounts
        .create_invitation(
            Actor::Account(&caller),
            &domain,
            req.uses_max.unwrap_or(1),
            req.ttl_secs.unwrap_or(INVITATION_TTL_SECS_DEFAULT),
            req.note.as_deref(),
        )
        .await?;
    let invitation = convert::invitation(&invitation, Some(caller.account.addr.to_string()));
    Ok((StatusCode::CREATED, Json(wire::CreatedInvitation { invitation, code })))
}

/// `GET /v1/invitations`: the caller's own invitations to its domain.
#[utoipa::path(get, path = "/v1/invitations", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = wire::InvitationList)))]
pub async fn list_my_invitations(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<wire::InvitationList> {
    let me = Some(caller.account.addr.to_string());
    let invitations = state.core.accounts.my_invitations(&caller).await?;
    Ok(Json(wire::InvitationList {
        invitations: invitations.iter().map(|i| convert::invitation(i, me.clone())).collect(),
    }))
}

/// `POST /v1/invitations`: an invitation to the caller's domain, where members may invite.
#[utoipa::path(post, path = "/v1/invitations", tag = "auth", security(("bearer" = [])),
    request_body = wire::CreateInvitationRequest,
    responses((status = 201, body = wire::CreatedInvitation), (status = 403, body = wire::ErrorBody),
        (status = 422, description = "invalid_field, limit_exceeded", body = wire::ErrorBody)))]
pub async fn create_my_invitation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::CreateInvitationRequest>,
) -> Result<(StatusCode, Json<wire::CreatedInvitation>), ApiError> {
    let ttl = req.ttl_secs.unwrap_or(INVITATION_TTL_SECS_DEFAULT);
    let (invitation, code) = state
        .core
        .accounts
        .create_member_invitation(&caller, req.uses_max.unwrap_or(1), ttl, req.note.as_deref())
        .await?;
    let invitation = convert::invitation(&invitation, Some(caller.account.addr.to_string()));
    Ok((StatusCode::CREATED, Json(wire::CreatedInvitation { invitation, code })))
}

/// `DELETE /v1/invitations/{id}`: revokes one of the caller's own invitations.
#[utoipa::path(delete, path = "/v1/invitations/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn revoke_my_invitation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.accounts.revoke_my_invitation(&caller, magpie_core::model::InvitationId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long an invitation lives when its request does not say: a week.
const INVITATION_TTL_SECS_DEFAULT: u64 = 7 * 24 * 3600;

/// `DELETE /v1/admin/domains/{domain}/invitations/{id}`: revokes an invitation.
#[utoipa::path(delete, path = "/v1/admin/domains/{domain}/invitations/{id}", tag = "admin",
    security(("bearer" = [])), params(("domain" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_revoke_invitation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((domain, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let id = magpie_core::model::InvitationId(id);
    state.core.accounts.revoke_invitation(Actor::Account(&caller), &domain, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/admin/domains/{domain}/applications`: accounts waiting for approval.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/applications", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::ApplicationList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_list_applications(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::ApplicationList> {
    let applications = state.core.accounts.applications(Actor::Account(&caller), &domain).await?;
    let applications = applications
        .iter()
        .map(|a| wire::ApplicationInfo { account: convert::admin_account(&a.account), applied_at_ms: a.applied_at_ms })
        .collect();
    Ok(Json(wire::ApplicationList { applications }))
}

/// `POST /v1/admin/accounts/{account}/approve`: opens an applicant's account.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/approve", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)),
    responses((status = 200, body = wire::AdminAccount), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_approve_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::AdminAccount> {
    let account = state.core.accounts.decide_application(Actor::Account(&caller), &account, true).await?;
    Ok(Json(convert::admin_account(&account)))
}

/// `POST /v1/admin/accounts/{account}/reject`: declines an applicant.
#[utoipa::path(post, path = "/v1/admin/accounts/{account}/reject", tag = "admin", security(("bearer" = [])),
    params(("account" = String, Path)),
    responses((status = 200, body = wire::AdminAccount), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_reject_account(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(account): ApiPath<String>,
) -> ApiResult<wire::AdminAccount> {
    let account = state.core.accounts.decide_application(Actor::Account(&caller), &account, false).await?;
    Ok(Json(convert::admin_account(&account)))
}
