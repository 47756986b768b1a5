//! The bodies of Magpie's fuzz targets: each `fuzz_targets/<name>.rs` calls the function of
//! that name with the fuzzer's bytes. They call the parsers the server runs on client bytes
//! (never copies of them) and check what must hold of their results: a parser never panics,
//! never loops or allocates without bound (libFuzzer's `-timeout` and `-malloc_limit_mb`
//! catch those), and what it accepts is normal: parsed again, or written out and read back,
//! it is the same value.
//!
//! A broken property panics, which the fuzzer reports as a crash with the input that caused it.

mod content;
mod headers;
mod images;
mod multipart;
mod names;
mod wire;

pub use content::content;
pub use headers::headers;
pub use images::{image_decode, image_headers};
pub use multipart::multipart;
pub use names::names;
pub use wire::{rest_body, ws_frame};

/// Splits an input into a first line (a type or kind name, say) and the rest, so that one
/// target can reach several parsers and its corpus files stay readable.
fn first_line(data: &[u8]) -> Option<(&str, &[u8])> {
    let end = data.iter().position(|&b| b == b'\n')?;
    let name = std::str::from_utf8(&data[..end]).ok()?;
    Some((name.trim_end_matches('\r'), &data[end + 1..]))
}
