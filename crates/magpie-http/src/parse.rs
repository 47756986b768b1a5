//! What the file endpoints read from a request themselves, before the core sees it: tus's
//! headers (`Upload-Length`, `Upload-Offset`, `Upload-Metadata`, `Upload-Checksum`), a
//! download's `Range`, and the one-shot upload's `multipart/form-data` part; and, re-exported
//! from where they are used, the session token of a request or a WebSocket upgrade and the
//! client IP.
//!
//! Pure functions over headers and forms, public so that the fuzzers in `fuzz/` run the code
//! the handlers run; `files.rs` turns a [`Malformed`] into a tus `400` answer.

use axum::extract::Multipart;
use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine;
use magpie_core::files::{ByteRange, ChunkChecksum};

use crate::ApiError;
pub use crate::extract::{bearer, client_ip};
pub use crate::ws::token_from_headers;

/// A header that could not be read: what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

fn malformed(message: &str) -> Malformed {
    Malformed(message.to_owned())
}

/// A header holding a decimal byte count (`Upload-Length`, `Upload-Offset`), if present.
pub fn number(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, Malformed> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| Malformed(format!("{name} must be a number"))),
    }
}

/// Reads `Upload-Metadata`: comma-separated `key base64value` pairs.
pub fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, Malformed> {
    let Some(raw) = headers.get("upload-metadata") else { return Ok(vec![]) };
    let bad = || malformed("Upload-Metadata is malformed");
    let raw = raw.to_str().map_err(|_| bad())?;
    let mut pairs = vec![];
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let value = base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| bad())?;
        pairs.push((key.to_owned(), String::from_utf8(value).map_err(|_| bad())?));
    }
    Ok(pairs)
}

/// Reads `Upload-Checksum`: `sha1 <base64>` or `sha256 <base64>`, if present.
pub fn checksum(headers: &HeaderMap) -> Result<Option<ChunkChecksum>, Malformed> {
    let Some(raw) = headers.get("upload-checksum") else { return Ok(None) };
    let raw = raw.to_str().map_err(|_| malformed("Upload-Checksum is malformed"))?;
    let (algorithm, value) = raw.split_once(' ').ok_or_else(|| malformed("Upload-Checksum is malformed"))?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| malformed("Upload-Checksum is malformed"))?;
    match algorithm {
        "sha1" => digest.try_into().map(|d| Some(ChunkChecksum::Sha1(d))).map_err(|_| malformed("not a SHA-1 digest")),
        "sha256" => {
            digest.try_into().map(|d| Some(ChunkChecksum::Sha256(d))).map_err(|_| malformed("not a SHA-256 digest"))
        }
        _ => Err(malformed("checksum algorithms: sha1, sha256")),
    }
}

/// A `Range` that lies outside the file (answered with `416`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Reads `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `size` bytes.
/// `Ok(None)`: the whole file.
pub fn range(headers: &HeaderMap, size: u64) -> Result<Option<ByteRange>, Unsatisfiable> {
    let Some(raw) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some(spec) = raw.strip_prefix("bytes=") else { return Ok(None) };
    // Several ranges at once are answered with the whole file, as RFC 9110 allows.
    if spec.contains(',') || size == 0 {
        return if size == 0 { Err(Unsatisfiable) } else { Ok(None) };
    }
    let (first, last) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let parse = |s: &str| s.trim().parse::<u64>().map_err(|_| Unsatisfiable);
    let (first, last) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => {
            let n = parse(last)?.min(size);
            if n == 0 {
                return Err(Unsatisfiable);
            }
            (size - n, size - 1)
        }
        (false, true) => (parse(first)?, size - 1),
        (false, false) => (parse(first)?, parse(last)?.min(size - 1)),
        (true, true) => return Err(Unsatisfiable),
    };
    if first > last || first >= size {
        return Err(Unsatisfiable);
    }
    Ok(Some(ByteRange { first, last }))
}

/// The part of a one-shot upload that carries the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The part's filename, kept as the file's name.
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads a one-shot upload's form up to its first part named `file`, whose bytes may be at
/// most `bytes_max`; other parts are skipped. `Ok(None)`: the form has no such part.
pub async fn file_part(form: &mut Multipart, bytes_max: usize) -> Result<Option<FilePart>, ApiError> {
    while let Some(mut field) = form.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await? {
            if bytes.len() + chunk.len() > bytes_max {
                return Err(magpie_core::Error::too_large("file", bytes_max, magpie_core::Unit::Bytes).into());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some(FilePart { name, bytes }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_range(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        h
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        let r = |v: &str| range(&with_range(v), 100).map(|r| r.map(|r| (r.first, r.last)));
        assert_eq!(r("bytes=0-9"), Ok(Some((0, 9))));
        assert_eq!(r("bytes=90-"), Ok(Some((90, 99))));
        assert_eq!(r("bytes=-10"), Ok(Some((90, 99))));
        assert_eq!(r("bytes=50-500"), Ok(Some((50, 99))));
        assert_eq!(r("bytes=100-"), Err(Unsatisfiable));
        assert_eq!(r("bytes=9-0"), Err(Unsatisfiable));
        assert_eq!(r("bytes=0-1,5-6"), Ok(None));
        assert_eq!(r("items=0-1"), Ok(None));
        assert_eq!(range(&HeaderMap::new(), 100), Ok(None));
    }
}
