//! Names and identifiers a client sends: `magpie_core::names` (domains, login names,
//! addresses, free text and paragraphs, display names), file ids, sticker pack ids and the
//! media type a client declares for an upload.

use magpie_core::files::{self, FileId};
use magpie_core::names::{self, AccountAddr, DomainName, LoginName};

/// One name per line; each line is tried with every parser.
pub fn names(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The whole input too, so that text of several lines reaches `paragraph`.
    for input in std::iter::once(text).chain(text.lines()) {
        one(input);
    }
}

fn one(input: &str) {
    if let Ok(d) = DomainName::parse(input) {
        assert_eq!(DomainName::parse(d.as_str()).as_ref().ok(), Some(&d), "domain {input:?}");
    }
    if let Ok(n) = LoginName::parse(input) {
        assert_eq!(LoginName::parse(n.as_str()).as_ref().ok(), Some(&n), "login name {input:?}");
    }
    if let Ok(a) = AccountAddr::parse(input) {
        let written = a.to_string();
        assert_eq!(AccountAddr::parse(&written).as_ref().ok(), Some(&a), "address {input:?} written {written:?}");
    }
    for chars_max in [1, 64, 255] {
        if let Ok(t) = names::free_text("field", input, chars_max) {
            assert!(t.chars().count() <= chars_max && !t.chars().any(char::is_control), "free text {input:?}");
            assert_eq!(names::free_text("field", &t, chars_max).as_ref().ok(), Some(&t), "free text {input:?}");
        }
        if let Ok(t) = names::paragraph("field", input, chars_max) {
            assert!(t.chars().count() <= chars_max, "paragraph {input:?}");
            assert_eq!(names::paragraph("field", &t, chars_max).as_ref().ok(), Some(&t), "paragraph {input:?}");
        }
    }
    if let Ok(n) = names::display_name(input) {
        assert!(!n.is_empty(), "display name {input:?}");
        assert_eq!(names::display_name(&n).as_ref().ok(), Some(&n), "display name {input:?}");
    }
    if let Ok(id) = FileId::parse(input) {
        assert_eq!(id.as_str(), input, "file id {input:?}");
    }
    if let Some(pack) = magpie_core::stickers::parse_pack_id(input) {
        assert_eq!(magpie_core::stickers::parse_pack_id(&format!("p{pack}")), Some(pack), "pack id {input:?}");
    }
    if let Ok(t) = files::media_type(input) {
        assert_eq!(files::media_type(&t).as_ref().ok(), Some(&t), "media type {input:?}");
    }
}
