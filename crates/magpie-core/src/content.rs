//! Message kinds and the rules for their bodies.
//!
//! A body is a JSON object whose shape depends on the kind. Known kinds are checked against
//! their typed shape (unknown extra fields are kept, so that newer clients can add fields);
//! kinds this server does not know are stored and relayed if their name is well formed and
//! their body is an object, so that newer clients can introduce kinds without a server
//! upgrade. Files are referenced by id (the files service makes them).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::chat::{SharedKind, op};
use crate::{Error, Result, Unit};

/// Longest message kind name, in bytes.
pub const KIND_BYTES_MAX: usize = 32;
/// Longest file, sticker or call id, in bytes.
pub const REF_BYTES_MAX: usize = 128;
/// Longest text field of a body other than the main text (names, titles, notes), in characters.
pub const LABEL_CHARS_MAX: usize = 512;
/// Longest URL, in bytes.
pub const URL_BYTES_MAX: usize = 2048;

pub mod kind {
    pub const TEXT: &str = "text";
    pub const MARKDOWN: &str = "markdown";
    pub const IMAGE: &str = "image";
    pub const FILE: &str = "file";
    pub const VOICE: &str = "voice";
    pub const VIDEO: &str = "video";
    pub const LOCATION: &str = "location";
    pub const STICKER: &str = "sticker";
    pub const CODE: &str = "code";
    pub const CARD: &str = "card";
    pub const RED_PACKET: &str = "red_packet";
    pub const PAYMENT_REQUEST: &str = "payment_request";
    pub const CALL: &str = "call";
    pub const ENCRYPTED: &str = "encrypted";
    /// Several messages forwarded as one.
    pub const FORWARD: &str = "forward";
    /// Every kind this server knows the shape of.
    pub const KNOWN: [&str; 15] = [
        TEXT,
        MARKDOWN,
        IMAGE,
        FILE,
        VOICE,
        VIDEO,
        LOCATION,
        STICKER,
        CODE,
        CARD,
        RED_PACKET,
        PAYMENT_REQUEST,
        CALL,
        ENCRYPTED,
        FORWARD,
    ];
    /// Kinds whose body the sender may replace by an edit.
    pub const EDITABLE: [&str; 3] = [TEXT, MARKDOWN, CODE];
}

/// Limits on bodies, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// The body's JSON encoding, in bytes.
    pub body_bytes_max: usize,
    /// The main text of `text`, `markdown` and `code`, in characters.
    pub text_chars_max: usize,
}

/// Checks a kind name and its body as a client sends them. `forward` bodies are built by the
/// server, not sent, so a client that names that kind is refused here.
pub fn validate(kind: &str, body: &Value, limits: BodyLimits) -> Result<()> {
    validate_sendable_kind(kind)?;
    if !body.is_object() {
        return Err(Error::invalid("body", "must be a JSON object"));
    }
    let bytes = serde_json::to_string(body).map(|s| s.len()).unwrap_or(usize::MAX);
    if bytes > limits.body_bytes_max {
        return Err(Error::too_large("body", limits.body_bytes_max, Unit::Bytes));
    }
    let text = |t: &str, empty_ok: bool| check_text("body.text", t, limits.text_chars_max, empty_ok);
    match kind {
        kind::TEXT | kind::MARKDOWN => text(&typed::<Text>(body)?.text, false),
        kind::CODE => {
            let code = typed::<Code>(body)?;
            check_text("body.code", &code.code, limits.text_chars_max, false)?;
            opt_label("body.language", code.language.as_deref(), 32)
        }
        kind::IMAGE => {
            let b = typed::<Image>(body)?;
            file_ref("body.file", &b.file)?;
            opt_label("body.name", b.name.as_deref(), LABEL_CHARS_MAX)?;
            opt_label("body.blurhash", b.blurhash.as_deref(), 128)
        }
        kind::FILE => {
            let b = typed::<File>(body)?;
            file_ref("body.file", &b.file)?;
            check_text("body.name", &b.name, LABEL_CHARS_MAX, false)
        }
        kind::VOICE => {
            let b = typed::<Voice>(body)?;
            file_ref("body.file", &b.file)?;
            duration(b.duration_ms)
        }
        kind::VIDEO => {
            let b = typed::<Video>(body)?;
            file_ref("body.file", &b.file)?;
            duration(b.duration_ms)
        }
        kind::LOCATION => {
            let b = typed::<Location>(body)?;
            if !(-90.0..=90.0).contains(&b.latitude) {
                return Err(Error::invalid("body.latitude", "must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&b.longitude) {
                return Err(Error::invalid("body.longitude", "must be between -180 and 180"));
            }
            opt_label("body.name", b.name.as_deref(), LABEL_CHARS_MAX)?;
            opt_label("body.address", b.address.as_deref(), LABEL_CHARS_MAX)
        }
        kind::STICKER => {
            let b = typed::<Sticker>(body)?;
            file_ref("body.pack", &b.pack)?;
            file_ref("body.sticker", &b.sticker)
        }
        kind::CARD if crate::cards::is_interactive(body) => crate::cards::validate(body).map(drop),
        kind::CARD => {
            let b = typed::<Card>(body)?;
            match b.card.as_str() {
                "link" => {
                    let url = b.url.as_deref().unwrap_or_default();
                    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > URL_BYTES_MAX {
                        return Err(Error::invalid("body.url", "a link card needs an http(s) URL"));
                    }
                }
                "contact" => {
                    crate::names::AccountAddr::parse(b.account.as_deref().unwrap_or_default())
                        .map_err(|_| Error::invalid("body.account", "a contact card needs name@domain"))?;
                }
                "group" => {
                    if b.conversation.is_none() {
                        return Err(Error::invalid("body.conversation", "a group card needs a conversation id"));
                    }
                }
                _ => return Err(Error::invalid("body.card", "must be link, contact, group or interactive")),
            }
            opt_label("body.title", b.title.as_deref(), LABEL_CHARS_MAX)?;
            opt_label("body.description", b.description.as_deref(), LABEL_CHARS_MAX)
        }
        kind::RED_PACKET => {
            let b = typed::<RedPacket>(body)?;
            if b.total_cents == 0 || b.count == 0 || b.total_cents < u64::from(b.count) {
                return Err(Error::invalid("body.total_cents", "must give every share at least one cent"));
            }
            if !matches!(b.split.as_str(), "random" | "equal") {
                return Err(Error::invalid("body.split", "must be random or equal"));
            }
            opt_label("body.greeting", b.greeting.as_deref(), LABEL_CHARS_MAX)
        }
        kind::PAYMENT_REQUEST => {
            let b = typed::<PaymentRequest>(body)?;
            if b.amount_cents == 0 {
                return Err(Error::invalid("body.amount_cents", "must be positive"));
            }
            currency(&b.currency)?;
            opt_label("body.note", b.note.as_deref(), LABEL_CHARS_MAX)
        }
        kind::CALL => {
            let b = typed::<Call>(body)?;
            file_ref("body.call", &b.call)?;
            if !matches!(b.media.as_str(), "audio" | "video") {
                return Err(Error::invalid("body.media", "must be audio or video"));
            }
            if !matches!(b.outcome.as_str(), "ended" | "missed" | "declined" | "cancelled") {
                return Err(Error::invalid("body.outcome", "must be ended, missed, declined or cancelled"));
            }
            Ok(())
        }
        kind::ENCRYPTED => {
            let b = typed::<Encrypted>(body)?;
            check_text("body.algorithm", &b.algorithm, 64, false)?;
            if b.ciphertext.is_empty() {
                return Err(Error::invalid("body.ciphertext", "must not be empty"));
            }
            Ok(())
        }
        // Unknown kinds: stored and relayed as they are.
        _ => Ok(()),
    }
}

/// Is `kind` a well-formed kind that a client may send (not an operation, not `forward`)?
pub fn validate_sendable_kind(kind: &str) -> Result<()> {
    validate_kind_name(kind)?;
    if op::ALL.contains(&kind) || kind == kind::FORWARD {
        return Err(Error::invalid("kind", format!("{kind:?} is made by the server, not sent")));
    }
    Ok(())
}

/// Is a message of `kind` with body `original` editable, and is `body` a valid new body for it?
/// Text, markdown and code are; so are interactive cards, by a new interactive card.
pub fn validate_edit(kind: &str, original: &Value, body: &Value, limits: BodyLimits) -> Result<()> {
    let card = kind == kind::CARD && crate::cards::is_interactive(original);
    if !kind::EDITABLE.contains(&kind) && !card {
        return Err(Error::invalid("kind", format!("{kind} messages cannot be edited")));
    }
    if card && !crate::cards::is_interactive(body) {
        return Err(Error::invalid("body.card", "an interactive card stays interactive"));
    }
    validate(kind, body, limits)
}

/// The kind and body of each message a merged forward's body carries.
fn forwarded(body: &Value) -> impl Iterator<Item = (&str, &Value)> {
    body.get("messages").and_then(Value::as_array).into_iter().flatten().filter_map(|m| {
        let kind = m.get("kind").and_then(Value::as_str)?;
        Some((kind, m.get("body")?))
    })
}

/// The file ids a message body refers to: the `file` of images, files, voice and video, and
/// those of the messages a merged forward carries. Readers of the message may read them.
pub fn file_refs(kind: &str, body: &Value) -> Vec<String> {
    let own = |body: &Value| body.get("file").and_then(Value::as_str).map(str::to_owned);
    match kind {
        kind::IMAGE | kind::FILE | kind::VOICE | kind::VIDEO => own(body).into_iter().collect(),
        kind::FORWARD => forwarded(body).flat_map(|(inner, b)| file_refs(inner, b)).collect(),
        _ => vec![],
    }
}

/// What a file is, for a search of files by type: from a message's kind (images, videos,
/// voice) or, for a `file`, its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Image,
    Video,
    Audio,
    Document,
    Spreadsheet,
    Presentation,
    Archive,
    Other,
}

impl FileType {
    pub const ALL: [FileType; 8] = [
        FileType::Image,
        FileType::Video,
        FileType::Audio,
        FileType::Document,
        FileType::Spreadsheet,
        FileType::Presentation,
        FileType::Archive,
        FileType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Image => "image",
            FileType::Video => "video",
            FileType::Audio => "audio",
            FileType::Document => "document",
            FileType::Spreadsheet => "spreadsheet",
            FileType::Presentation => "presentation",
            FileType::Archive => "archive",
            FileType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type of a file named `name`, by its extension (in any case).
    pub fn of_name(name: &str) -> FileType {
        let Some((_, ext)) = name.rsplit_once('.') else { return FileType::Other };
        match ext.to_ascii_lowercase().as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "svg" | "heic" | "heif" | "tif" | "tiff" | "ico"
            | "avif" => FileType::Image,
            "mp4" | "mov" | "avi" | "mkv" | "webm" | "m4v" | "wmv" | "flv" | "3gp" => FileType::Video,
            "mp3" | "wav" | "m4a" | "aac" | "flac" | "ogg" | "oga" | "opus" | "amr" | "wma" => FileType::Audio,
            "pdf" | "doc" | "docx" | "txt" | "md" | "rtf" | "odt" | "pages" | "wps" | "epub" | "tex" => {
                FileType::Document
            }
            "xls" | "xlsx" | "xlsm" | "csv" | "tsv" | "ods" | "numbers" | "et" => FileType::Spreadsheet,
            "ppt" | "pptx" | "odp" | "key" | "dps" => FileType::Presentation,
            "zip" | "rar" | "7z" | "tar" | "gz" | "tgz" | "bz2" | "xz" | "zst" => FileType::Archive,
            _ => FileType::Other,
        }
    }
}

/// The types of the files a message carries, one per file (as [`file_refs`] finds them): an
/// image, a video, a voice message (`audio`), a file by its name, and those of the messages a
/// merged forward carries.
pub fn file_types(kind: &str, body: &Value) -> Vec<FileType> {
    match kind {
        kind::IMAGE => vec![FileType::Image],
        kind::VIDEO => vec![FileType::Video],
        kind::VOICE => vec![FileType::Audio],
        kind::FILE => vec![FileType::of_name(body.get("name").and_then(Value::as_str).unwrap_or_default())],
        kind::FORWARD => forwarded(body).flat_map(|(inner, b)| file_types(inner, b)).collect(),
        _ => vec![],
    }
}

/// Which of a conversation's shared items a message is: `image` messages are images; `file`
/// and `video` messages files; `text` and `markdown` messages with a link in their text, and
/// link cards, links. Everything else (voice, stickers, merged forwards, …) is none.
pub fn shared_kind(kind: &str, body: &Value) -> Option<SharedKind> {
    match kind {
        kind::IMAGE => Some(SharedKind::Image),
        kind::FILE | kind::VIDEO => Some(SharedKind::File),
        kind::CARD if body.get("card").and_then(Value::as_str) == Some("link") => Some(SharedKind::Link),
        kind::TEXT | kind::MARKDOWN => {
            let text = body.get("text").and_then(Value::as_str).unwrap_or_default();
            links(text).next().map(|_| SharedKind::Link)
        }
        _ => None,
    }
}

/// The links in a message's text, in order: `http://` or `https://` (in any case) where no
/// letter or digit comes just before, up to the first space, non-ASCII character, `<`, `>`,
/// `"` or backquote, less trailing punctuation (`.,;:!?'` and closing brackets that were not
/// opened inside the link), with at least one character of host. Clients find links by the
/// same rule (docs/protocol.md §7.3).
pub fn links(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            let rest = &bytes[start..];
            let scheme = if starts_with_ignore_case(rest, b"https://") {
                8
            } else if starts_with_ignore_case(rest, b"http://") {
                7
            } else {
                at += 1;
                continue;
            };
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                at += scheme;
                continue;
            }
            let mut end = start + scheme;
            while end < bytes.len() && is_link_byte(bytes[end]) {
                end += 1;
            }
            end = trim_link_end(&bytes[start..end]) + start;
            at = end.max(start + scheme);
            let host = &bytes[start + scheme..end];
            if host.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'[') {
                return text.get(start..end);
            }
        }
        None
    })
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn is_link_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'`')
}

/// Where a link found by [`links`] ends once trailing punctuation is left out.
fn trim_link_end(link: &[u8]) -> usize {
    let mut end = link.len();
    while end > 0 {
        let last = link[end - 1];
        let closing = match last {
            b')' => Some(b'('),
            b']' => Some(b'['),
            b'}' => Some(b'{'),
            _ => None,
        };
        let trim = match closing {
            Some(open) => {
                let inside = &link[..end];
                inside.iter().filter(|&&b| b == open).count() < inside.iter().filter(|&&b| b == last).count()
            }
            None => matches!(last, b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\''),
        };
        if !trim {
            break;
        }
        end -= 1;
    }
    end
}

fn validate_kind_name(kind: &str) -> Result<()> {
    let ok = !kind.is_empty()
        && kind.len() <= KIND_BYTES_MAX
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        && kind.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("kind", "must be 1-32 bytes of a-z, 0-9, _ and ., starting with a letter"))
    }
}

fn typed<T: DeserializeOwned>(body: &Value) -> Result<T> {
    T::deserialize(body).map_err(|e| Error::invalid("body", e.to_string()))
}

fn check_text(field: &'static str, text: &str, chars_max: usize, empty_ok: bool) -> Result<()> {
    if !empty_ok && text.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if text.chars().count() > chars_max {
        return Err(Error::too_large(field, chars_max, Unit::Characters));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Error::invalid(field, "must not contain control characters other than newlines and tabs"));
    }
    Ok(())
}

fn opt_label(field: &'static str, text: Option<&str>, chars_max: usize) -> Result<()> {
    text.map_or(Ok(()), |t| check_text(field, t, chars_max, true))
}

/// An opaque id made by another service (a file, a sticker, a call).
fn file_ref(field: &'static str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= REF_BYTES_MAX
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok { Ok(()) } else { Err(Error::invalid(field, "must be an id of 1-128 bytes of A-Z, a-z, 0-9, _, - and .")) }
}

fn duration(ms: u64) -> Result<()> {
    // A day: longer recordings are not voice or video messages.
    if ms == 0 || ms > 24 * 3600 * 1000 {
        return Err(Error::invalid("body.duration_ms", "must be between 1 ms and 24 h"));
    }
    Ok(())
}

fn currency(code: &str) -> Result<()> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::invalid("body.currency", "must be an ISO 4217 code such as CNY"))
    }
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

#[derive(Deserialize)]
struct Code {
    code: String,
    language: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    file: String,
    name: Option<String>,
    blurhash: Option<String>,
    #[serde(rename = "width")]
    _width: Option<u32>,
    #[serde(rename = "height")]
    _height: Option<u32>,
}

#[derive(Deserialize)]
struct File {
    file: String,
    name: String,
    #[serde(rename = "size")]
    _size: Option<u64>,
}

#[derive(Deserialize)]
struct Voice {
    file: String,
    duration_ms: u64,
}

#[derive(Deserialize)]
struct Video {
    file: String,
    duration_ms: u64,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct Sticker {
    pack: String,
    sticker: String,
}

#[derive(Deserialize)]
struct Card {
    card: String,
    url: Option<String>,
    account: Option<String>,
    conversation: Option<i64>,
    title: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct RedPacket {
    total_cents: u64,
    count: u32,
    split: String,
    greeting: Option<String>,
}

#[derive(Deserialize)]
struct PaymentRequest {
    amount_cents: u64,
    currency: String,
    note: Option<String>,
}

#[derive(Deserialize)]
struct Call {
    call: String,
    media: String,
    outcome: String,
    #[serde(rename = "duration_secs")]
    _duration_secs: Option<u64>,
}

#[derive(Deserialize)]
struct Encrypted {
    algorithm: String,
    ciphertext: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const LIMITS: BodyLimits = BodyLimits { body_bytes_max: 1024, text_chars_max: 100 };

    #[test]
    fn a_files_type_comes_from_its_kind_or_its_name() {
        let of = |kind: &str, body: Value| file_types(kind, &body);
        assert_eq!(of("image", json!({"file": "f_1"})), [FileType::Image]);
        assert_eq!(of("voice", json!({"file": "f_1", "duration_ms": 1})), [FileType::Audio]);
        assert_eq!(of("file", json!({"file": "f_1", "name": "季度报告.PDF"})), [FileType::Document]);
        assert_eq!(of("file", json!({"file": "f_1", "name": "budget.xlsx"})), [FileType::Spreadsheet]);
        assert_eq!(of("file", json!({"file": "f_1", "name": "deck.pptx"})), [FileType::Presentation]);
        assert_eq!(of("file", json!({"file": "f_1", "name": "logs.tar.gz"})), [FileType::Archive]);
        assert_eq!(of("file", json!({"file": "f_1", "name": "README"})), [FileType::Other]);
        assert!(of("text", json!({"text": "report.pdf"})).is_empty());
        let forward = json!({"messages": [
            {"kind": "file", "body": {"file": "f_1", "name": "a.zip"}},
            {"kind": "text", "body": {"text": "hi"}},
            {"kind": "image", "body": {"file": "f_2"}}
        ]});
        assert_eq!(of("forward", forward), [FileType::Archive, FileType::Image]);
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn known_kinds_are_checked_against_their_shape() {
        let ok = [
            ("text", json!({"text": "你好"})),
            ("markdown", json!({"text": "**hi**"})),
            ("code", json!({"code": "fn main() {}", "language": "rust"})),
            ("image", json!({"file": "f_abc", "width": 10, "height": 20})),
            ("file", json!({"file": "f_abc", "name": "report.pdf", "size": 10})),
            ("voice", json!({"file": "f_abc", "duration_ms": 1500})),
            ("video", json!({"file": "f_abc", "duration_ms": 1500})),
            ("location", json!({"latitude": 39.9, "longitude": 116.4, "name": "Beijing"})),
            ("sticker", json!({"pack": "p1", "sticker": "s1"})),
            ("card", json!({"card": "link", "url": "https://example.com", "title": "x"})),
            ("card", json!({"card": "contact", "account": "bob@localhost"})),
            ("red_packet", json!({"total_cents": 1000, "count": 5, "split": "random"})),
            ("payment_request", json!({"amount_cents": 2500, "currency": "CNY", "note": "lunch"})),
            ("call", json!({"call": "c1", "media": "video", "outcome": "missed"})),
            ("encrypted", json!({"algorithm": "megolm", "ciphertext": "AAAA"})),
            ("x.poll", json!({"question": "lunch?"})),
        ];
        for (kind, body) in ok {
            assert!(validate(kind, &body, LIMITS).is_ok(), "{kind} {body} was refused");
        }
        let bad = [
            ("text", json!({"text": "  "})),
            ("text", json!({"txt": "hi"})),
            ("text", json!("hi")),
            ("image", json!({"file": "../etc/passwd"})),
            ("location", json!({"latitude": 91.0, "longitude": 0.0})),
            ("card", json!({"card": "link", "url": "javascript:alert(1)"})),
            ("red_packet", json!({"total_cents": 3, "count": 5, "split": "random"})),
            ("payment_request", json!({"amount_cents": 1, "currency": "yuan"})),
            ("edit", json!({})),
            ("system", json!({})),
            ("forward", json!({"messages": []})),
            ("Bad Kind", json!({})),
            ("", json!({})),
        ];
        for (kind, body) in bad {
            assert!(validate(kind, &body, LIMITS).is_err(), "{kind} {body} was accepted");
        }
    }

    #[test]
    fn bodies_are_bounded() {
        let long = "x".repeat(101);
        assert!(matches!(validate("text", &json!({ "text": long }), LIMITS), Err(Error::TooLarge { .. })));
        let huge = "x".repeat(2000);
        assert!(matches!(validate("x.blob", &json!({ "data": huge }), LIMITS), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn links_are_found_as_clients_find_them() {
        fn found(t: &str) -> Vec<&str> {
            links(t).collect()
        }
        assert_eq!(found("see https://example.com/a?b=1."), ["https://example.com/a?b=1"]);
        assert_eq!(found("看看https://example.com/路径，好"), ["https://example.com/"]);
        assert_eq!(
            found("(http://a.example/x_(y)) and HTTPS://B.example"),
            ["http://a.example/x_(y)", "HTTPS://B.example"]
        );
        assert_eq!(found("[doc](https://docs.example/p)"), ["https://docs.example/p"]);
        assert_eq!(found("xhttps://no.example https:// http://"), Vec::<&str>::new());
        assert_eq!(found("<https://a.example>"), ["https://a.example"]);
        assert_eq!(found("http://[::1]:8080/"), ["http://[::1]:8080/"]);
    }

    #[test]
    fn messages_are_shared_items_by_kind_and_links() {
        assert_eq!(shared_kind("image", &json!({"file": "f"})), Some(SharedKind::Image));
        assert_eq!(shared_kind("video", &json!({"file": "f", "duration_ms": 5})), Some(SharedKind::File));
        assert_eq!(shared_kind("file", &json!({"file": "f", "name": "a"})), Some(SharedKind::File));
        assert_eq!(shared_kind("text", &json!({"text": "go to https://x.example"})), Some(SharedKind::Link));
        assert_eq!(shared_kind("markdown", &json!({"text": "no link here"})), None);
        assert_eq!(shared_kind("card", &json!({"card": "link", "url": "https://x.example"})), Some(SharedKind::Link));
        assert_eq!(shared_kind("card", &json!({"card": "contact", "account": "a@b"})), None);
        assert_eq!(shared_kind("voice", &json!({"file": "f", "duration_ms": 5})), None);
        assert_eq!(shared_kind("code", &json!({"code": "https://x.example"})), None);
    }

    #[test]
    fn only_text_like_kinds_are_editable() {
        assert!(validate_edit("text", &json!({"text": "x"}), &json!({"text": "fixed"}), LIMITS).is_ok());
        assert!(validate_edit("image", &json!({"file": "f"}), &json!({"file": "f"}), LIMITS).is_err());
        let card = json!({"card": "interactive", "blocks": [{"type": "divider"}]});
        assert!(validate_edit("card", &card, &card, LIMITS).is_ok());
        let link = json!({"card": "link", "url": "https://x.example"});
        assert!(validate_edit("card", &card, &link, LIMITS).is_err());
        assert!(validate_edit("card", &link, &link, LIMITS).is_err());
    }
}
