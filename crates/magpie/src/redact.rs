//! The log's last line of defence against secrets: every line, whichever crate wrote it and at
//! whatever level, has session tokens, device keys and link signatures masked before it is
//! written. The request spans already leave them out (see `magpie_http`'s request log); this
//! catches what a dependency might print at `trace`.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// What replaces a secret.
const MASK: &[u8] = b"[redacted]";

/// Prefixes after which a secret runs to the end of its token: session tokens (also inside the
/// `magpie.bearer.` subprotocol), device keys, and the signature of a signed file link.
const SECRET_STARTS: [&[u8]; 3] = [b"mgp_", b"mgd_", b"sig="];

/// Masks every secret in `line`, in place of its characters after the prefix.
pub fn redact(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut at = 0;
    while at < line.len() {
        let found = SECRET_STARTS.iter().find(|p| line[at..].starts_with(p));
        match found {
            Some(prefix) => {
                out.extend_from_slice(prefix);
                at += prefix.len();
                let secret = line[at..].iter().take_while(|b| b.is_ascii_alphanumeric() || b"-_.%".contains(b)).count();
                if secret > 0 {
                    out.extend_from_slice(MASK);
                }
                at += secret;
            }
            None => {
                out.push(line[at]);
                at += 1;
            }
        }
    }
    out
}

/// Standard error, written through [`redact`].
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = Redacting;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting { buffer: Vec::new() }
    }
}

/// One log event's text, masked and written whole when it is dropped (the formatter writes an
/// event in several pieces, and a secret may straddle two of them).
pub struct Redacting {
    buffer: Vec<u8>,
}

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Redacting {
    fn drop(&mut self) {
        let _ = io::stderr().lock().write_all(&redact(&self.buffer));
    }
}

/// The console's log lines ([`magpie_http::logs::LogRing`]), written through [`redact`].
pub struct RedactingInto(pub std::sync::Arc<magpie_http::logs::LogRing>);

impl<'a> MakeWriter<'a> for RedactingInto {
    type Writer = RedactingLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine { ring: &self.0, buffer: Vec::new() }
    }
}

/// One log event's line, masked and kept whole when it is dropped.
pub struct RedactingLine<'a> {
    ring: &'a magpie_http::logs::LogRing,
    buffer: Vec<u8>,
}

impl Write for RedactingLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine<'_> {
    fn drop(&mut self) {
        self.ring.push(&redact(&self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    fn masked(s: &str) -> String {
        String::from_utf8_lossy(&redact(s.as_bytes())).into_owned()
    }

    #[test]
    fn tokens_keys_and_signatures_are_masked_and_the_rest_stays() {
        assert_eq!(
            masked("GET /v1/files/fAb?expires=17&sig=Zm9v-YmFy_ok HTTP/1.1"),
            "GET /v1/files/fAb?expires=17&sig=[redacted] HTTP/1.1"
        );
        assert_eq!(
            masked("protocol magpie.bearer.mgp_abc-DEF_123, magpie.v1"),
            "protocol magpie.bearer.mgp_[redacted], magpie.v1"
        );
        assert_eq!(masked("key=\"mgd_x.y\" done"), "key=\"mgd_[redacted]\" done");
        assert_eq!(masked("nothing secret: 张三 mgp"), "nothing secret: 张三 mgp");
    }
}
