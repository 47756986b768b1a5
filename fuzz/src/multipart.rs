//! The one-shot upload's `multipart/form-data` body, read by axum's `Multipart` (multer) and
//! `magpie_http::parse::file_part`, as `POST /v1/files` reads it.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use magpie_http::parse;

/// The largest file part taken here: small, so that the bound is reached often.
const FUZZ_BYTES_MAX: usize = 1024;

/// A first line with the boundary, then the body.
pub fn multipart(data: &[u8]) {
    let Some((boundary, body)) = crate::first_line(data) else { return };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else { return };
    runtime.block_on(read(boundary, body.to_vec()));
}

async fn read(boundary: &str, body: Vec<u8>) {
    let request = Request::builder()
        .method("POST")
        .uri("/v1/files")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body));
    let Ok(request) = request else { return };
    let Ok(mut form) = Multipart::from_request(request, &()).await else { return };
    if let Ok(Some(part)) = parse::file_part(&mut form, FUZZ_BYTES_MAX).await {
        assert!(part.bytes.len() <= FUZZ_BYTES_MAX, "a part of {} bytes passed the bound", part.bytes.len());
        // The name goes on to `Files::create_upload`, which reads it as free text.
        if let Some(name) = part.name {
            let _ = magpie_core::names::free_text("name", &name, magpie_core::files::FILE_NAME_CHARS_MAX);
        }
    }
}
