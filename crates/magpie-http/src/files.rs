//! Files over HTTP: resumable uploads by the tus 1.0.0 protocol (core, creation, termination,
//! checksum and expiration extensions) at `/v1/uploads`, and downloads at `/v1/files/{id}`.
//!
//! tus speaks in headers; this module turns them into core calls and back. Errors keep
//! Magpie's JSON body, with the status codes tus clients act on (404, 409, 412, 413, 415, 460).

use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use magpie_core::files::{Appended, ChunkChecksum, FileId, StoredFile, Upload};
use magpie_core::model::{ConversationId, Seq};
use magpie_wire::{self as wire, ErrorCode};

use crate::extract::{ApiMultipart, ApiPath, ApiQuery, Authed};
use crate::{ApiError, AppState, parse};

const TUS_VERSION: &str = "1.0.0";
const TUS_EXTENSIONS: &str = "creation,termination,checksum,expiration";
const TUS_CHECKSUMS: &str = "sha1,sha256";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Image types shown inline; everything else downloads as an attachment.
const INLINE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Types a browser would run as a page or script on Magpie's origin: served as plain bytes.
const ACTIVE_TYPES: [&str; 7] = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "application/javascript",
    "text/javascript",
];

static TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
static UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
static UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
static UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");

/// A tus request refused before it reached the core (boxed: responses are large).
type Refusal = Box<Response>;

/// A response with the headers every tus answer carries.
fn tus(status: StatusCode) -> Response {
    let mut response = status.into_response();
    response.headers_mut().insert(TUS_RESUMABLE.clone(), HeaderValue::from_static(TUS_VERSION));
    response
}

fn tus_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let mut response = (status, axum::Json(wire::ErrorBody::new(code, message))).into_response();
    response.headers_mut().insert(TUS_RESUMABLE.clone(), HeaderValue::from_static(TUS_VERSION));
    response.extensions_mut().insert(code);
    response
}

fn with_tus(err: impl Into<ApiError>) -> Response {
    let mut response = err.into().into_response();
    response.headers_mut().insert(TUS_RESUMABLE.clone(), HeaderValue::from_static(TUS_VERSION));
    response
}

/// Every tus request but OPTIONS names the protocol version it speaks.
fn check_version(headers: &HeaderMap) -> Result<(), Refusal> {
    match headers.get(&TUS_RESUMABLE).and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => {
            let mut response =
                tus_error(StatusCode::PRECONDITION_FAILED, ErrorCode::MalformedRequest, "send Tus-Resumable: 1.0.0");
            response.headers_mut().insert("tus-version", HeaderValue::from_static(TUS_VERSION));
            Err(Box::new(response))
        }
    }
}

/// A header refused by [`parse`]: a tus `400` with its message.
fn refused(m: parse::Malformed) -> Refusal {
    Box::new(tus_error(StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest, &m.0))
}

fn number(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, Refusal> {
    parse::number(headers, name).map_err(refused)
}

fn expires(ms: i64) -> HeaderValue {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap_or(HeaderValue::from_static(""))
}

fn upload_headers(response: &mut Response, offset: u64, length: u64, expires_at_ms: Option<i64>) {
    let h = response.headers_mut();
    h.insert(UPLOAD_OFFSET.clone(), HeaderValue::from(offset));
    h.insert(UPLOAD_LENGTH.clone(), HeaderValue::from(length));
    if let Some(ms) = expires_at_ms {
        h.insert(UPLOAD_EXPIRES.clone(), expires(ms));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `OPTIONS /v1/uploads`: what this tus server supports.
pub async fn options(State(state): State<AppState>) -> Response {
    let mut response = tus(StatusCode::NO_CONTENT);
    let h = response.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-extension", HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert("tus-checksum-algorithm", HeaderValue::from_static(TUS_CHECKSUMS));
    h.insert("tus-max-size", HeaderValue::from(state.core.settings.upload_bytes_max));
    response
}

/// Reads `Upload-Metadata`: comma-separated `key base64value` pairs.
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, Refusal> {
    parse::metadata(headers).map_err(refused)
}

/// `POST /v1/uploads`: creates an upload of `Upload-Length` bytes (tus creation).
pub async fn create(State(state): State<AppState>, Authed(caller): Authed, headers: HeaderMap) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let length = match number(&headers, &UPLOAD_LENGTH) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return tus_error(StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest, "send Upload-Length");
        }
        Err(r) => return *r,
    };
    let meta = match metadata(&headers) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let find = |key: &str| meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let name = find("filename").or_else(|| find("name"));
    let declared = find("filetype").or_else(|| find("type"));
    match state.core.files.create_upload(&caller, length, name, declared).await {
        Ok(upload) => {
            let mut response = tus(StatusCode::CREATED);
            let location = format!("/v1/uploads/{}", upload.id);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            upload_headers(&mut response, upload.offset, upload.length, Some(upload.expires_at_ms));
            response.headers_mut().remove(header::CACHE_CONTROL);
            response
        }
        Err(e) => with_tus(e),
    }
}

/// `HEAD /v1/uploads/{id}`: how far the upload got. A finished upload answers with its
/// offset equal to its length, so that a client that missed the last answer learns it is done.
pub async fn head(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let Ok(id) = FileId::parse(&id) else { return tus(StatusCode::NOT_FOUND) };
    match state.core.files.upload(&caller, &id).await {
        Ok(upload) => {
            let mut response = tus(StatusCode::OK);
            upload_headers(&mut response, upload.offset, upload.length, Some(upload.expires_at_ms));
            response
        }
        Err(_) => match state.core.files.file(&caller, &id).await {
            Ok(file) => {
                let mut response = tus(StatusCode::OK);
                upload_headers(&mut response, file.size, file.size, None);
                response
            }
            // HEAD answers carry no body.
            Err(_) => tus(StatusCode::NOT_FOUND),
        },
    }
}

fn checksum(headers: &HeaderMap) -> Result<Option<ChunkChecksum>, Refusal> {
    parse::checksum(headers).map_err(refused)
}

/// `PATCH /v1/uploads/{id}`: appends the body at `Upload-Offset`.
pub async fn patch(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if content_type != Some(OFFSET_OCTET_STREAM) {
        let message = "send the bytes as Content-Type: application/offset+octet-stream";
        return tus_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::MalformedRequest, message);
    }
    let offset = match number(&headers, &UPLOAD_OFFSET) {
        Ok(Some(n)) => n,
        Ok(None) => return tus_error(StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest, "send Upload-Offset"),
        Err(r) => return *r,
    };
    let checksum = match checksum(&headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let Ok(id) = FileId::parse(&id) else { return with_tus(magpie_core::Error::NotFound("upload")) };
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = Box::new(tokio_util::io::StreamReader::new(stream));
    // A client whose connection breaks mid-chunk makes the server drop this handler; the
    // append runs on its own task so that what arrived is still recorded and the client
    // resumes after it, not from the chunk's start.
    let files = state.core.files.clone();
    let append = tokio::spawn(async move { files.append(&caller, &id, offset, checksum, reader).await });
    let appended = match append.await {
        Ok(result) => result,
        Err(e) => Err(magpie_core::Error::Internal(format!("append task: {e}"))),
    };
    match appended {
        Ok(Appended::Partial(upload)) => patched(&upload),
        Ok(Appended::Complete(file)) => {
            let mut response = tus(StatusCode::NO_CONTENT);
            upload_headers(&mut response, file.size, file.size, None);
            response
        }
        Err(e) => with_tus(e),
    }
}

fn patched(upload: &Upload) -> Response {
    let mut response = tus(StatusCode::NO_CONTENT);
    upload_headers(&mut response, upload.offset, upload.length, Some(upload.expires_at_ms));
    response
}

/// `DELETE /v1/uploads/{id}`: abandons an upload (tus termination).
pub async fn terminate(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let Ok(id) = FileId::parse(&id) else { return with_tus(magpie_core::Error::NotFound("upload")) };
    match state.core.files.terminate(&caller, &id).await {
        Ok(()) => tus(StatusCode::NO_CONTENT),
        Err(e) => with_tus(e),
    }
}

fn file_info(file: &StoredFile) -> wire::FileInfo {
    wire::FileInfo {
        id: file.id.to_string(),
        size: file.size,
        media_type: file.media_type.clone(),
        name: file.name.clone(),
        sha256: file.sha256.clone(),
        created_at_ms: file.created_at_ms,
        width: file.width,
        height: file.height,
        blurhash: file.blurhash.clone(),
        thumbnails: file
            .thumbnails
            .iter()
            .map(|t| wire::ThumbnailInfo { side: t.side, width: t.width, height: t.height })
            .collect(),
        duration_ms: file.duration_ms,
    }
}

/// The query of a download: a signed link's `expires` and `sig`, and a thumbnail's `side`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LinkParams {
    expires: Option<i64>,
    sig: Option<String>,
    side: Option<u32>,
}

/// The thumbnail served when the request names no side.
const THUMBNAIL_DEFAULT_SIDE: u32 = 256;

/// `POST /v1/files/{id}/link`: a link to the file that works without a session for
/// `file_link_ttl_secs`.
#[utoipa::path(post, path = "/v1/files/{id}/link", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = wire::FileLink), (status = 404, body = wire::ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<wire::FileLink>, ApiError> {
    let id = FileId::parse(&id)?;
    let (expires_at_ms, sig) = state.core.files.link(&caller, &id).await?;
    let url = format!("/v1/files/{id}?expires={expires_at_ms}&sig={sig}");
    Ok(axum::Json(wire::FileLink { url, expires_at_ms }))
}

/// `GET /v1/files/{id}/info`: a file's size, type, name and digest.
#[utoipa::path(get, path = "/v1/files/{id}/info", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = wire::FileInfo), (status = 404, body = wire::ErrorBody)))]
pub async fn info(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<wire::FileInfo>, ApiError> {
    let id = FileId::parse(&id)?;
    Ok(axum::Json(file_info(&state.core.files.file(&caller, &id).await?)))
}

/// The file a download names: through a signed link, or for the logged-in caller.
async fn resolve(
    state: &AppState,
    caller: Result<Authed, ApiError>,
    id: &str,
    link: &LinkParams,
) -> Result<StoredFile, ApiError> {
    let id = FileId::parse(id)?;
    // A signed link stands in for a session; without one, the caller must be logged in.
    Ok(match (link.expires, &link.sig) {
        (Some(expires), Some(sig)) => state.core.files.file_by_link(&id, expires, sig).await?,
        _ => state.core.files.file(&caller?.0, &id).await?,
    })
}

/// `GET /v1/files/{id}`: the file's bytes, whole or one range, with its detected type.
#[utoipa::path(get, path = "/v1/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("expires" = Option<i64>, Query, description = "of a signed link"),
           ("sig" = Option<String>, Query, description = "of a signed link")),
    responses((status = 200, description = "the file's bytes"), (status = 206, description = "one range"),
              (status = 304), (status = 404, body = wire::ErrorBody), (status = 416, body = wire::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    caller: Result<Authed, ApiError>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = resolve(&state, caller, &id, &link).await?;
    let served =
        if ACTIVE_TYPES.contains(&file.media_type.as_str()) { "application/octet-stream" } else { &file.media_type };
    let cache = cache_control(&state, &link);
    send_blob(&state, &headers, &file.sha256, file.size, served, disposition(&file), cache).await
}

/// `GET /v1/files/{id}/thumbnail?side=256|1024`: an image's thumbnail, a JPEG upright and
/// without metadata, whose longest side is at most `side` (256 when not named).
#[utoipa::path(get, path = "/v1/files/{id}/thumbnail", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("side" = Option<u32>, Query, description = "256 (default) or 1024")),
    responses((status = 200, description = "a JPEG"), (status = 404, body = wire::ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    caller: Result<Authed, ApiError>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = resolve(&state, caller, &id, &link).await?;
    let side = link.side.unwrap_or(THUMBNAIL_DEFAULT_SIDE);
    let thumb = file.thumbnails.iter().find(|t| t.side == side).ok_or(magpie_core::Error::NotFound("thumbnail"))?;
    let cache = cache_control(&state, &link);
    send_blob(&state, &headers, &thumb.sha256, thumb.size, "image/jpeg", HeaderValue::from_static("inline"), cache)
        .await
}

/// `GET /v1/link-preview/image?url=…`: the image of a cached link preview, a JPEG thumbnail
/// the server made (so that clients never contact the page's site). Nothing is fetched here.
#[utoipa::path(get, path = "/v1/link-preview/image", tag = "messages", security(("bearer" = [])),
    params(magpie_wire::LinkPreviewQuery),
    responses((status = 200, description = "a JPEG"), (status = 304), (status = 404, body = wire::ErrorBody)))]
pub async fn link_preview_image(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<magpie_wire::LinkPreviewQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (jpeg, sha256) = state.core.previews.image(&caller, &q.url).await?;
    Ok(jpeg_response(jpeg, &sha256, &headers))
}

/// `GET /v1/conversations/{id}/messages/{seq}/card-images/{block}`: the image of an interactive
/// card's `image` block, a JPEG the server made of its URL (so that clients never contact the
/// image's site), for a member who may read the card.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages/{seq}/card-images/{block}", tag = "messages",
    security(("bearer" = [])), params(("id" = i64, Path), ("seq" = i64, Path), ("block" = usize, Path)),
    responses((status = 200, description = "a JPEG"), (status = 304),
        (status = 403, description = "forbidden: this server fetches no link previews, nor card images", body = wire::ErrorBody),
        (status = 404, description = "not_found: no such card or image block for the caller, or the image could not be had", body = wire::ErrorBody)))]
pub async fn card_image(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((id, seq, block)): ApiPath<(i64, i64, usize)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let core = &state.core;
    let (jpeg, sha256) = core.cards.image(&core.previews, &caller, ConversationId(id), Seq(seq), block).await?;
    Ok(jpeg_response(jpeg, &sha256, &headers))
}

/// `GET /v1/apps/{id}/icon`: a workbench app's icon, fetched and made a JPEG by the server.
#[utoipa::path(get, path = "/v1/apps/{id}/icon", tag = "apps", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "a JPEG"), (status = 304),
        (status = 403, description = "forbidden: this server fetches no link previews, nor icons", body = wire::ErrorBody),
        (status = 404, description = "not_found: no such app for the caller, no icon, or the icon could not be had", body = wire::ErrorBody)))]
pub async fn app_icon(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let core = &state.core;
    let (jpeg, sha256) = core.apps.icon(&core.previews, &caller, magpie_core::apps::AppId(id)).await?;
    Ok(jpeg_response(jpeg, &sha256, &headers))
}

/// A JPEG the server made, answered with its SHA-256 as its ETag (`304` when the client has it).
fn jpeg_response(jpeg: Vec<u8>, sha256: &str, headers: &HeaderMap) -> Response {
    let etag = format!("\"{sha256}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches { StatusCode::NOT_MODIFIED.into_response() } else { Response::new(Body::from(jpeg)) };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    response
}

/// How a private download may be cached. Through a session, never without asking again: the
/// browser revalidates with the ETag each time, so a revoked reader is not served from its
/// cache. Through a signed link, whose URL names the content and stops working at its expiry,
/// for as long as the link works.
fn cache_control(state: &AppState, link: &LinkParams) -> HeaderValue {
    match link.expires {
        Some(expires) if link.sig.is_some() => {
            let left_secs = (expires - state.core.clock.now_ms()).max(0) / 1000;
            HeaderValue::from_str(&format!("private, max-age={left_secs}, immutable"))
                .unwrap_or(HeaderValue::from_static("private, no-cache"))
        }
        _ => HeaderValue::from_static("private, no-cache"),
    }
}

/// Answers a blob: whole, one range, or 304, with the headers that keep it safe.
async fn send_blob(
    state: &AppState,
    headers: &HeaderMap,
    sha256: &str,
    size: u64,
    content_type: &str,
    disposition: HeaderValue,
    cache: HeaderValue,
) -> Result<Response, ApiError> {
    let etag = format!("\"{sha256}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match parse::range(headers, size) {
            Err(parse::Unsatisfiable) => {
                let mut r = ApiError::new(ErrorCode::InvalidField, "the range is outside the file").into_response();
                *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(r);
            }
            Ok(None) => {
                let reader = state.core.files.read(sha256, None).await?;
                let mut r = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(reader)));
                r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
                r
            }
            Ok(Some(range)) => {
                let reader = state.core.files.read(sha256, Some(range)).await?;
                let mut r = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(reader)));
                *r.status_mut() = StatusCode::PARTIAL_CONTENT;
                let h = r.headers_mut();
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(range.last - range.first + 1));
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", range.first, range.last)) {
                    h.insert(header::CONTENT_RANGE, v);
                }
                r
            }
        }
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, cache);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // Even if a browser were talked into rendering it, the content gets no powers.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

/// `inline` for images a browser shows safely, `attachment` for everything else; the name is
/// sent percent-encoded (RFC 6266 / 8187), so it can never break the header or name a path.
fn disposition(file: &StoredFile) -> HeaderValue {
    let kind = if INLINE_TYPES.contains(&file.media_type.as_str()) { "inline" } else { "attachment" };
    let value = match &file.name {
        Some(name) => {
            let encoded: String = name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{kind}; filename*=UTF-8''{encoded}")
        }
        None => kind.to_owned(),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

/// The largest file the one-shot upload takes; bigger ones go through tus.
pub const ONE_SHOT_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The form of a one-shot upload: one part named `file`.
// Only the OpenAPI document uses this: the handler reads the parts as they arrive.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Never built: it only describes the form.
struct OneShotForm {
    /// The file's bytes; the part's filename is kept as the file's name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /v1/files`: a one-shot `multipart/form-data` upload of a small file (a part named
/// `file`; its filename is kept as the file's name), for bots and scripts. Answers the file.
#[utoipa::path(post, path = "/v1/files", tag = "files", security(("bearer" = [])),
    request_body(content = OneShotForm, content_type = "multipart/form-data", description = "a part named `file`"),
    responses((status = 201, body = wire::FileInfo), (status = 413, body = wire::ErrorBody)))]
pub async fn upload_once(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiMultipart(mut form): ApiMultipart,
) -> Result<(StatusCode, axum::Json<wire::FileInfo>), ApiError> {
    let max = ONE_SHOT_BYTES_MAX.min(usize::try_from(state.core.settings.upload_bytes_max).unwrap_or(usize::MAX));
    let Some(parse::FilePart { name, bytes }) = parse::file_part(&mut form, max).await? else {
        return Err(ApiError::new(ErrorCode::MalformedRequest, "send the file as a multipart part named \"file\""));
    };
    let files = &state.core.files;
    let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let upload = files.create_upload(&caller, length, name.as_deref(), None).await?;
    if length > 0 {
        let reader = Box::new(std::io::Cursor::new(bytes));
        files.append(&caller, &upload.id, 0, None, reader).await?;
    }
    let file = files.file(&caller, &upload.id).await?;
    Ok((StatusCode::CREATED, axum::Json(file_info(&file))))
}
