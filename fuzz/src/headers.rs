//! The request headers Magpie reads itself (`magpie_http::parse`): tus's `Upload-Length`,
//! `Upload-Offset`, `Upload-Metadata` and `Upload-Checksum`, `Range`, the session token of
//! `Authorization` or of a WebSocket upgrade's `Sec-WebSocket-Protocol`, and the client IP of
//! `X-Forwarded-For`.

use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use magpie_core::files::ChunkChecksum;
use magpie_http::parse;

static UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
static UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
static UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
static UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");

/// Lines of `name: value`, as a client's request headers (a value that HTTP would not carry
/// is left out, as hyper would refuse the request).
pub fn headers(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(trim(&line[colon + 1..])))
        else {
            continue;
        };
        headers.append(name, value);
    }
    for name in [&UPLOAD_LENGTH, &UPLOAD_OFFSET] {
        if let Ok(Some(n)) = parse::number(&headers, name) {
            let again = parse::number(&one(name, &n.to_string()), name);
            assert_eq!(again, Ok(Some(n)), "{name}: {n} does not read back");
        }
    }
    if let Ok(pairs) = parse::metadata(&headers) {
        // Written out as a client writes it, the metadata reads back the same.
        let written: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} {}", STANDARD.encode(v))).collect();
        let written = written.join(",");
        if !written.is_empty() {
            let again = parse::metadata(&one(&UPLOAD_METADATA, &written));
            assert_eq!(again.as_ref(), Ok(&pairs), "Upload-Metadata {written:?} does not read back");
        }
    }
    if let Ok(Some(checksum)) = parse::checksum(&headers) {
        let written = match checksum {
            ChunkChecksum::Sha1(d) => format!("sha1 {}", STANDARD.encode(d)),
            ChunkChecksum::Sha256(d) => format!("sha256 {}", STANDARD.encode(d)),
        };
        let again = parse::checksum(&one(&UPLOAD_CHECKSUM, &written));
        assert_eq!(again, Ok(Some(checksum)), "Upload-Checksum {written:?} does not read back");
    }
    // A range is always inside the file, whatever its size.
    let sizes = [0, 1, 2, 100, 4096, u64::MAX - 1, u64::MAX];
    let offset = parse::number(&headers, &UPLOAD_OFFSET).ok().flatten();
    for size in sizes.into_iter().chain(offset) {
        if let Ok(Some(r)) = parse::range(&headers, size) {
            assert!(r.first <= r.last && r.last < size, "range {r:?} of a file of {size} bytes");
        }
    }
    // A token is a trimmed, non-empty part of a header the client sent.
    let sent = |token: &str| headers.values().any(|v| v.as_bytes().windows(token.len()).any(|w| w == token.as_bytes()));
    if let Some(token) = parse::bearer(&headers).filter(|t| !t.is_empty()) {
        assert!(token.trim() == token && sent(token), "bearer token {token:?}");
    }
    if let Some(token) = parse::token_from_headers(&headers).filter(|t| !t.is_empty()) {
        assert!(sent(&token), "WebSocket token {token:?}");
    }
    // Behind a proxy, the client IP is an IP address or nothing.
    if let Some(ip) = parse::client_ip(&headers, &Extensions::new(), true) {
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "client IP {ip:?}");
    }
}

fn one(name: &HeaderName, value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name.clone(), value);
    }
    headers
}

/// Leading and trailing spaces and tabs, which hyper strips from a header value.
fn trim(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |e| e + 1);
    &value[start..end]
}
