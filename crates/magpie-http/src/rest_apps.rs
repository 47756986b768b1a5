//! The workbench (docs/protocol.md, "Workbench apps"): the apps a member sees and the grants
//! they gave; the domain's apps for its administrators; OAuth 2.0's consent
//! (`/v1/oauth/authorize`, for the web client's consent page) and the app's endpoints
//! (`/oauth/token`, `/oauth/revoke`), which answer as RFC 6749 says rather than as the rest of
//! the API does; and the bridge script an app's page loads.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use magpie_core::apps::{self, App, AppId, AppRequest, AppUpdate, AuthorizeRequest, ClientAuth, Refusal, TokenRequest};
use magpie_core::model::Actor;
use magpie_core::org::DepartmentId;
use magpie_wire as wire;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState};

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The bridge an app's page loads from `/v1/apps/bridge.js`.
const BRIDGE_JS: &str = include_str!("bridge.js");

fn workbench_app(app: &App) -> wire::WorkbenchApp {
    wire::WorkbenchApp {
        id: app.id.0,
        name: app.name.clone(),
        description: app.description.clone(),
        icon: app.icon.clone(),
        url: app.url.clone(),
    }
}

fn admin_app(app: App) -> wire::App {
    wire::App {
        id: app.id.0,
        name: app.name,
        description: app.description,
        icon: app.icon,
        url: app.url,
        client_id: app.client_id,
        redirect_uris: app.redirect_uris,
        scopes: app.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        departments: app.departments.map(|l| l.into_iter().map(|d| d.0).collect()),
        position: app.position,
        created_at_ms: app.created_at_ms,
    }
}

fn app_list(apps: Vec<App>) -> wire::AppList {
    wire::AppList { apps: apps.into_iter().map(admin_app).collect() }
}

fn scope_names(scopes: &[apps::AppScope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}

fn departments(list: Vec<i64>) -> Vec<DepartmentId> {
    list.into_iter().map(DepartmentId).collect()
}

/// `GET /v1/apps`: the workbench: the apps of the caller's domain that the caller sees.
#[utoipa::path(get, path = "/v1/apps", tag = "apps", security(("bearer" = [])),
    responses((status = 200, body = wire::WorkbenchAppList)))]
pub async fn workbench(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::WorkbenchAppList> {
    let apps = state.core.apps.workbench(&caller).await?;
    Ok(Json(wire::WorkbenchAppList { apps: apps.iter().map(workbench_app).collect() }))
}

/// `GET /v1/apps/grants`: the apps the caller granted, with what.
#[utoipa::path(get, path = "/v1/apps/grants", tag = "apps", security(("bearer" = [])),
    responses((status = 200, body = wire::AppGrantList)))]
pub async fn grants(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<wire::AppGrantList> {
    let grants = state.core.apps.grants(&caller).await?;
    let grants = grants
        .into_iter()
        .map(|g| wire::AppGrant {
            app: workbench_app(&g.app),
            scopes: scope_names(&g.scopes),
            granted_at_ms: g.granted_at_ms,
        })
        .collect();
    Ok(Json(wire::AppGrantList { grants }))
}

/// `DELETE /v1/apps/{id}/grant`: withdraws the caller's grant to an app; its tokens for the
/// caller stop at once.
#[utoipa::path(delete, path = "/v1/apps/{id}/grant", tag = "apps", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, description = "not_found: grant", body = wire::ErrorBody)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.apps.revoke_grant(&caller, AppId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/apps/bridge.js`: the script an app's page loads to talk to the web client around
/// it (`window.magpie`).
#[utoipa::path(get, path = "/v1/apps/bridge.js", tag = "apps",
    responses((status = 200, content_type = "text/javascript", body = String)))]
pub async fn bridge() -> Response {
    let mut response = BRIDGE_JS.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    // Pages of other origins load it with a script tag (no CORS needed for that).
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin"));
    response
}

/// `GET /v1/admin/domains/{domain}/apps`: the domain's apps, in the workbench's order.
#[utoipa::path(get, path = "/v1/admin/domains/{domain}/apps", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)),
    responses((status = 200, body = wire::AppList), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_list(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<wire::AppList> {
    Ok(Json(app_list(state.core.apps.list(Actor::Account(&caller), &domain).await?)))
}

/// `POST /v1/admin/domains/{domain}/apps`: installs an app; its secret is in the answer only.
#[utoipa::path(post, path = "/v1/admin/domains/{domain}/apps", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::CreateAppRequest,
    responses((status = 201, body = wire::CreatedApp), (status = 404, body = wire::ErrorBody),
        (status = 413, description = "too_large: name, description", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: name, url, icon, redirect_uris[i], scopes, departments[i]; limit_exceeded: 100 apps", body = wire::ErrorBody)))]
pub async fn admin_create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::CreateAppRequest>,
) -> Result<(StatusCode, Json<wire::CreatedApp>), ApiError> {
    let request = AppRequest {
        name: req.name,
        description: req.description,
        icon: req.icon,
        url: req.url,
        redirect_uris: req.redirect_uris,
        scopes: req.scopes,
        departments: req.departments.map(departments),
    };
    let (app, secret) = state.core.apps.create(Actor::Account(&caller), &domain, request).await?;
    Ok((StatusCode::CREATED, Json(wire::CreatedApp { app: admin_app(app), client_secret: secret })))
}

/// `PATCH /v1/admin/apps/{id}`: changes an app.
#[utoipa::path(patch, path = "/v1/admin/apps/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = wire::UpdateAppRequest,
    responses((status = 200, body = wire::App), (status = 404, body = wire::ErrorBody),
        (status = 422, description = "invalid_field: as when installing", body = wire::ErrorBody)))]
pub async fn admin_update(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<wire::UpdateAppRequest>,
) -> ApiResult<wire::App> {
    let update = AppUpdate {
        name: req.name,
        description: req.description,
        icon: req.icon,
        url: req.url,
        redirect_uris: req.redirect_uris,
        scopes: req.scopes,
        departments: req.departments.map(|d| d.map(departments)),
    };
    Ok(Json(admin_app(state.core.apps.update(Actor::Account(&caller), AppId(id), update).await?)))
}

/// `DELETE /v1/admin/apps/{id}`: uninstalls an app; every token it holds stops at once.
#[utoipa::path(delete, path = "/v1/admin/apps/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_delete(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.apps.delete(Actor::Account(&caller), AppId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/domains/{domain}/apps/order`: puts the domain's apps in a new order.
#[utoipa::path(put, path = "/v1/admin/domains/{domain}/apps/order", tag = "admin", security(("bearer" = [])),
    params(("domain" = String, Path)), request_body = wire::AppOrderRequest,
    responses((status = 200, body = wire::AppList), (status = 404, body = wire::ErrorBody),
        (status = 409, description = "conflict: the apps changed meanwhile", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: apps (not every app of the domain once)", body = wire::ErrorBody)))]
pub async fn admin_order(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(domain): ApiPath<String>,
    ApiJson(req): ApiJson<wire::AppOrderRequest>,
) -> ApiResult<wire::AppList> {
    let order: Vec<AppId> = req.apps.into_iter().map(AppId).collect();
    Ok(Json(app_list(state.core.apps.order(Actor::Account(&caller), &domain, &order).await?)))
}

/// `POST /v1/admin/apps/{id}/secret`: a new secret for the app; the old one stops at once.
#[utoipa::path(post, path = "/v1/admin/apps/{id}/secret", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = wire::AppSecret), (status = 404, body = wire::ErrorBody)))]
pub async fn admin_rotate_secret(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<wire::AppSecret> {
    let client_secret = state.core.apps.rotate_secret(Actor::Account(&caller), AppId(id)).await?;
    Ok(Json(wire::AppSecret { client_secret }))
}

fn authorize_request(req: wire::AuthorizeRequest) -> AuthorizeRequest {
    AuthorizeRequest {
        response_type: req.response_type,
        client_id: req.client_id,
        redirect_uri: req.redirect_uri,
        scope: req.scope,
        state: req.state,
        code_challenge: req.code_challenge,
        code_challenge_method: req.code_challenge_method,
    }
}

/// `GET /v1/oauth/authorize`: checks an authorization request for the consent page.
#[utoipa::path(get, path = "/v1/oauth/authorize", tag = "apps", security(("bearer" = [])),
    params(wire::AuthorizeRequest),
    responses((status = 200, body = wire::AuthorizeInfo),
        (status = 403, description = "forbidden: the app is not for the caller's departments", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: client_id, redirect_uri, response_type, scope, state, code_challenge, code_challenge_method", body = wire::ErrorBody)))]
pub async fn authorize_info(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(req): ApiQuery<wire::AuthorizeRequest>,
) -> ApiResult<wire::AuthorizeInfo> {
    let found = state.core.apps.authorization(&caller, &authorize_request(req)).await?;
    Ok(Json(wire::AuthorizeInfo {
        app: workbench_app(&found.app),
        scopes: scope_names(&found.scopes),
        granted: found.granted,
        deny_redirect: found.deny_redirect,
    }))
}

/// `POST /v1/oauth/authorize`: the user allows the request; answers where to send the browser.
#[utoipa::path(post, path = "/v1/oauth/authorize", tag = "apps", security(("bearer" = [])),
    request_body = wire::AuthorizeRequest,
    responses((status = 200, body = wire::AuthorizeRedirect),
        (status = 403, description = "forbidden: the app is not for the caller's departments", body = wire::ErrorBody),
        (status = 422, description = "invalid_field: as for GET", body = wire::ErrorBody)))]
pub async fn authorize(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<wire::AuthorizeRequest>,
) -> ApiResult<wire::AuthorizeRedirect> {
    let redirect = state.core.apps.authorize(&caller, &authorize_request(req)).await?;
    Ok(Json(wire::AuthorizeRedirect { redirect }))
}

/// An OAuth endpoint's refusal (RFC 6749 §5.2): 401 with a `WWW-Authenticate` challenge for a
/// client that did not authenticate, 400 otherwise.
fn refusal(refusal: Refusal) -> Response {
    let status = if refusal.error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let body = wire::OAuthError { error: refusal.error.to_owned(), error_description: refusal.description };
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"magpie\""));
    }
    response
}

fn invalid_request(description: &str) -> Response {
    refusal(Refusal { error: "invalid_request", description: description.to_owned() })
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, each part form-encoded) or the body,
/// never both (§2.3: one method per request). `Err` says what is wrong with them.
fn client_auth(headers: &HeaderMap, id: Option<String>, secret: Option<String>) -> Result<ClientAuth, &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(ClientAuth { client_id: id.ok_or("send client_id and client_secret")?, client_secret: secret });
    };
    if secret.is_some() {
        return Err("send the client's credentials one way: HTTP Basic or the body, not both");
    }
    let basic = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or("Authorization is not HTTP Basic with client_id:client_secret")?;
    let (basic_id, basic_secret) =
        basic.split_once(':').ok_or("Authorization's credentials are client_id:client_secret")?;
    let decode = |s: &str| form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let client_id = decode(basic_id).ok_or("Authorization's client_id is not form-encoded")?;
    if id.as_ref().is_some_and(|body| *body != client_id) {
        return Err("client_id in the body is not the one in Authorization");
    }
    Ok(ClientAuth { client_id, client_secret: decode(basic_secret) })
}

type Form<T> = Result<axum::Form<T>, axum::extract::rejection::FormRejection>;

/// `POST /oauth/token`: exchanges a code (with its PKCE verifier) or a refresh token for a new
/// token pair.
#[utoipa::path(post, path = "/oauth/token", tag = "apps",
    request_body(content = wire::OAuthTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = wire::OAuthToken),
        (status = 400, description = "invalid_request, invalid_grant, unsupported_grant_type", body = wire::OAuthError),
        (status = 401, description = "invalid_client", body = wire::OAuthError)))]
pub async fn token(State(state): State<AppState>, headers: HeaderMap, form: Form<wire::OAuthTokenRequest>) -> Response {
    let Ok(axum::Form(req)) = form else {
        return invalid_request("send application/x-www-form-urlencoded with grant_type");
    };
    let client = match client_auth(&headers, req.client_id, req.client_secret) {
        Ok(client) => client,
        Err(why) => return refusal(Refusal { error: "invalid_client", description: why.into() }),
    };
    let request = match req.grant_type.as_str() {
        "authorization_code" => match (req.code, req.redirect_uri, req.code_verifier) {
            (Some(code), Some(redirect_uri), Some(code_verifier)) => {
                TokenRequest::Code { code, redirect_uri, code_verifier }
            }
            _ => return invalid_request("authorization_code needs code, redirect_uri and code_verifier"),
        },
        "refresh_token" => match req.refresh_token {
            Some(refresh_token) => TokenRequest::Refresh { refresh_token },
            None => return invalid_request("refresh_token needs refresh_token"),
        },
        _ => {
            return refusal(Refusal {
                error: "unsupported_grant_type",
                description: "grant_type is authorization_code or refresh_token".into(),
            });
        }
    };
    match state.core.apps.token(&client, request).await {
        Ok(Ok(tokens)) => Json(wire::OAuthToken {
            access_token: tokens.access_token,
            token_type: "Bearer".into(),
            expires_in: tokens.expires_in_secs,
            refresh_token: tokens.refresh_token,
            scope: apps::AppScope::join(&tokens.scopes),
            account: tokens.account.to_string(),
        })
        .into_response(),
        Ok(Err(r)) => refusal(r),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /oauth/revoke`: ends the pair of an access or refresh token (RFC 7009); a token that
/// is unknown is no error.
#[utoipa::path(post, path = "/oauth/revoke", tag = "apps",
    request_body(content = wire::OAuthRevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200),
        (status = 400, description = "invalid_request", body = wire::OAuthError),
        (status = 401, description = "invalid_client", body = wire::OAuthError)))]
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form<wire::OAuthRevokeRequest>,
) -> Response {
    let Ok(axum::Form(req)) = form else {
        return invalid_request("send application/x-www-form-urlencoded with token");
    };
    let client = match client_auth(&headers, req.client_id, req.client_secret) {
        Ok(client) => client,
        Err(why) => return refusal(Refusal { error: "invalid_client", description: why.into() }),
    };
    match state.core.apps.revoke(&client, &req.token).await {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(r)) => refusal(r),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_credentials_come_from_basic_or_the_body() {
        let mut headers = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("mpa_1:mps%2Bx");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {basic}")).unwrap());
        let auth = client_auth(&headers, None, None).unwrap();
        assert_eq!((auth.client_id.as_str(), auth.client_secret.as_deref()), ("mpa_1", Some("mps+x")));
        assert!(client_auth(&headers, Some("mpa_1".into()), None).is_ok(), "the same client_id in the body");
        assert!(client_auth(&headers, Some("mpa_2".into()), None).is_err(), "another client_id in the body");
        assert!(client_auth(&headers, None, Some("s".into())).is_err(), "two ways at once");
        let auth = client_auth(&HeaderMap::new(), Some("mpa_2".into()), Some("s".into())).unwrap();
        assert_eq!((auth.client_id.as_str(), auth.client_secret.as_deref()), ("mpa_2", Some("s")));
        assert!(client_auth(&HeaderMap::new(), None, Some("s".into())).is_err());
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(client_auth(&bearer, Some("mpa_2".into()), None).is_err(), "not Basic");
    }
}
