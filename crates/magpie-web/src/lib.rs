//! The web client's built files, compiled into the binary so that a fresh clone runs the chat
//! in a browser with nothing but cargo.
//!
//! `dist/` is the output of `scripts/web-build` (Vite, from `web/app`). It is committed: the
//! binary never needs Node.js to build, and `scripts/web-build --check` (run by the test
//! script) fails when the committed bundle differs from what the sources build.

use std::borrow::Cow;

#[derive(rust_embed::RustEmbed)]
#[folder = "dist/"]
struct Dist;

/// One built file.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    /// The `Content-Type` to serve it with.
    pub content_type: &'static str,
    /// The SHA-256 of the bytes, hex: a strong ETag.
    pub sha256: String,
    /// True for Vite's content-hashed files under `assets/`, which never change under their
    /// name and may be cached for good.
    pub immutable: bool,
}

/// The page every client-side route loads.
pub const INDEX: &str = "index.html";

/// The built file at `path` (relative, without the leading `/`), if there is one.
pub fn asset(path: &str) -> Option<Asset> {
    let file = Dist::get(path)?;
    let sha256 = file.metadata.sha256_hash().iter().map(|b| format!("{b:02x}")).collect();
    Some(Asset { content_type: content_type(path), bytes: file.data, sha256, immutable: path.starts_with("assets/") })
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_app_is_embedded() {
        let index = asset(INDEX).map(|a| String::from_utf8_lossy(&a.bytes).into_owned()).unwrap_or_default();
        assert!(index.contains("<div id=\"app\">"), "dist/index.html is not the app's page: {index}");
        let script = index.split("src=\"/").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
        let script = asset(script).map(|a| (a.content_type, a.immutable));
        assert_eq!(script, Some(("text/javascript; charset=utf-8", true)), "the page's script is not embedded");
    }

    #[test]
    fn unknown_paths_are_absent() {
        assert!(asset("../Cargo.toml").is_none());
        assert!(asset("nope.js").is_none());
    }
}
