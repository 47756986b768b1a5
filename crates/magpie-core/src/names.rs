//! Names and their rules: domains, login names, account addresses, display names.
//!
//! Login names and domain names are identifiers: ASCII, case-folded to lower case on input,
//! so `Alice@LOCALHOST` and `alice@localhost` are the same account. Display names are free
//! Unicode (`张三`), normalised to NFC. `docs/protocol.md` repeats these rules for clients.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result, Unit};

/// Longest login name, in bytes (all ASCII).
pub const LOGIN_NAME_BYTES_MAX: usize = 64;
/// Longest domain name, as in DNS.
pub const DOMAIN_NAME_BYTES_MAX: usize = 253;
/// Longest label of a domain name, as in DNS.
pub const DOMAIN_LABEL_BYTES_MAX: usize = 63;
/// Longest display name, in Unicode scalar values.
pub const DISPLAY_NAME_CHARS_MAX: usize = 64;

/// A tenant's name, like a DNS name: `acme.example`, `localhost`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Lower-cases and checks: labels of `a-z`, `0-9` and `-` (not at either end), separated
    /// by dots, each 1–63 bytes, 253 bytes in all. Internationalised names go in as punycode.
    pub fn parse(input: &str) -> Result<DomainName> {
        const FIELD: &str = "domain";
        let name = input.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        if name.len() > DOMAIN_NAME_BYTES_MAX {
            return Err(Error::too_large(FIELD, DOMAIN_NAME_BYTES_MAX, Unit::Bytes));
        }
        for label in name.split('.') {
            if label.is_empty() || label.len() > DOMAIN_LABEL_BYTES_MAX {
                return Err(Error::invalid(FIELD, "each dot-separated label must be 1 to 63 bytes"));
            }
            if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(Error::invalid(FIELD, "only a-z, 0-9, '-' and '.' are allowed"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(Error::invalid(FIELD, "a label must not start or end with '-'"));
            }
        }
        Ok(DomainName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part of an account address before the `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoginName(String);

impl LoginName {
    /// Lower-cases and checks: 1–64 bytes of `a-z`, `0-9`, `.`, `_`, `-`, starting and ending
    /// with a letter or digit.
    pub fn parse(input: &str) -> Result<LoginName> {
        const FIELD: &str = "name";
        let name = input.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        if name.len() > LOGIN_NAME_BYTES_MAX {
            return Err(Error::too_large(FIELD, LOGIN_NAME_BYTES_MAX, Unit::Bytes));
        }
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-');
        if !name.bytes().all(allowed) {
            return Err(Error::invalid(FIELD, "only a-z, 0-9, '.', '_' and '-' are allowed"));
        }
        let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
            return Err(Error::invalid(FIELD, "must start and end with a letter or digit"));
        }
        Ok(LoginName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LoginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `name@domain`: how people and the protocol name an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountAddr {
    pub name: LoginName,
    pub domain: DomainName,
}

impl AccountAddr {
    pub fn parse(input: &str) -> Result<AccountAddr> {
        let Some((name, domain)) = input.trim().split_once('@') else {
            return Err(Error::invalid("account", "must be name@domain"));
        };
        Ok(AccountAddr { name: LoginName::parse(name)?, domain: DomainName::parse(domain)? })
    }
}

impl fmt::Display for AccountAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.domain)
    }
}

/// Normalises free text to NFC, trims it, refuses control characters and characters that
/// change how a name reads without being seen (see [`hidden_at`]), and bounds its length in
/// characters. Used for every one-line name and label others see: display names, group and
/// pack names, signatures, device labels, status texts.
pub fn free_text(field: &'static str, input: &str, chars_max: usize) -> Result<String> {
    let text: String = input.trim().nfc().collect();
    if text.chars().count() > chars_max {
        return Err(Error::too_large(field, chars_max, Unit::Characters));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    if let Some(c) = hidden_at(&text) {
        return Err(Error::invalid(
            field,
            format!("must not contain invisible or direction-changing characters (U+{:04X})", u32::from(c)),
        ));
    }
    Ok(text)
}

/// A file's name: like [`free_text`], except that invisible and direction-changing characters
/// are taken out rather than refused, since names come from people's disks and an upload
/// should not fail for them (`invoice\u{202e}fdp.exe` is kept as `invoicefdp.exe`).
pub fn file_name(input: &str, chars_max: usize) -> Result<String> {
    // Four bytes a character at most: anything longer is too long whatever it holds.
    if input.len() > chars_max.saturating_mul(4) {
        return Err(Error::too_large("name", chars_max, Unit::Characters));
    }
    let chars: Vec<char> = input.trim().nfc().collect();
    let hidden = hidden_mask(&chars);
    let text: String = chars.iter().zip(hidden).filter(|(_, hidden)| !hidden).map(|(c, _)| c).collect();
    free_text("name", &text, chars_max)
}

/// The first character of `text` that changes how it reads without being seen: a bidi
/// embedding, override, isolate or mark (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`),
/// or an invisible character (zero-width space, word joiner, soft hyphen, Hangul fillers,
/// byte order mark). The zero-width joiner and non-joiner stay allowed between two visible
/// characters, where emoji sequences and Persian and Indic scripts need them, and tag
/// characters only in an emoji tag sequence (a subdivision flag).
pub fn hidden_at(text: &str) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().zip(hidden_mask(&chars)).find(|(_, hidden)| *hidden).map(|(c, _)| *c)
}

/// For each character, whether it is hidden in the sense of [`hidden_at`].
fn hidden_mask(chars: &[char]) -> Vec<bool> {
    const TAGS: std::ops::RangeInclusive<char> = '\u{E0020}'..='\u{E007F}';
    let visible = |at: Option<&char>| at.is_some_and(|c| !is_format(*c) && !c.is_whitespace());
    // Whether the characters so far end in a waving black flag followed only by tags.
    let mut in_flag_tags = false;
    let mut mask = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let allowed = match c {
            '\u{200C}' | '\u{200D}' => {
                visible(i.checked_sub(1).and_then(|p| chars.get(p))) && visible(chars.get(i + 1))
            }
            c if TAGS.contains(&c) => in_flag_tags,
            c => !is_format(c),
        };
        in_flag_tags = c == '\u{1F3F4}' || (in_flag_tags && TAGS.contains(&c));
        mask.push(!allowed);
    }
    mask
}

/// Bidi controls and invisible characters: Unicode's format characters (category Cf) that
/// matter in names, and the invisible ones of other categories.
pub(crate) fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Like [`free_text`], but for text of several lines (descriptions, announcements, drafts):
/// newlines and tabs are allowed, other control characters are not. Windows and old Mac line
/// breaks (CR LF, a lone CR) become LF, so that text pasted from anywhere is kept.
pub fn paragraph(field: &'static str, input: &str, chars_max: usize) -> Result<String> {
    let text: String = input.trim().replace("\r\n", "\n").replace('\r', "\n").nfc().collect();
    if text.chars().count() > chars_max {
        return Err(Error::too_large(field, chars_max, Unit::Characters));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(field, "must not contain control characters other than newlines and tabs"));
    }
    Ok(text)
}

/// A display name: free Unicode, 1–64 characters after trimming.
pub fn display_name(input: &str) -> Result<String> {
    let name = free_text("display_name", input, DISPLAY_NAME_CHARS_MAX)?;
    if name.is_empty() {
        return Err(Error::invalid("display_name", "must not be empty"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_fold_case_and_refuse_bad_characters() {
        assert_eq!(LoginName::parse("Alice.Wang").map(|n| n.0).ok(), Some("alice.wang".into()));
        for bad in ["", "-alice", "alice-", "al ice", "张三", "a/b", "a@b", "../x", "a\0b"] {
            assert!(LoginName::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(LoginName::parse(&"a".repeat(64)).is_ok());
        assert!(matches!(LoginName::parse(&"a".repeat(65)), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn domain_names_follow_dns_rules() {
        assert_eq!(DomainName::parse("Acme.Example").map(|d| d.0).ok(), Some("acme.example".into()));
        assert!(DomainName::parse("localhost").is_ok());
        for bad in ["", ".", "a..b", "-a.b", "a-.b", "a_b.c", "例子.cn", &"a".repeat(64)] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn account_addresses_need_both_parts() {
        let addr = AccountAddr::parse(" Bob@LocalHost ");
        assert_eq!(addr.map(|a| a.to_string()).ok(), Some("bob@localhost".into()));
        assert!(AccountAddr::parse("bob").is_err());
        assert!(AccountAddr::parse("@localhost").is_err());
    }

    #[test]
    fn display_names_are_free_unicode_but_bounded() {
        assert_eq!(display_name(" 张三 ").ok(), Some("张三".into()));
        assert!(display_name("   ").is_err());
        assert!(display_name("a\u{7}b").is_err());
        assert!(display_name(&"喜".repeat(64)).is_ok());
        assert!(display_name(&"喜".repeat(65)).is_err());
    }

    #[test]
    fn names_that_read_differently_than_they_are_are_refused() {
        for spoof in
            ["invoice\u{202e}fdp.exe", "ad\u{200b}min", "\u{2067}Bob", "Alice\u{200f}", "\u{3164}", "a\u{feff}"]
        {
            assert!(display_name(spoof).is_err(), "{spoof:?} was accepted");
        }
        // Emoji sequences and scripts that need the joiners keep them.
        for fine in [
            "👨\u{200d}👩\u{200d}👧",
            "می\u{200c}خواهم",
            "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
            "张三 (Zhang)",
        ] {
            assert_eq!(display_name(fine).ok().as_deref(), Some(fine), "{fine:?} was refused");
        }
        for bad_joiner in ["\u{200d}a", "a\u{200d}", "a \u{200c}b", "a\u{e0067}"] {
            assert!(display_name(bad_joiner).is_err(), "{bad_joiner:?} was accepted");
        }
        assert_eq!(file_name("invoice\u{202e}fdp.exe", 255).ok().as_deref(), Some("invoicefdp.exe"));
        assert_eq!(file_name("\u{200b}", 255).ok().as_deref(), Some(""));
    }

    #[test]
    fn paragraphs_keep_line_breaks_of_every_system_as_newlines() {
        assert_eq!(
            paragraph("draft", "one\r\ntwo\rthree\nfour\tfive", 100).ok().as_deref(),
            Some("one\ntwo\nthree\nfour\tfive")
        );
        assert!(paragraph("draft", "a\u{7}b", 100).is_err());
        assert!(matches!(paragraph("draft", &"喜".repeat(101), 100), Err(Error::TooLarge { .. })));
    }

    proptest::proptest! {
        /// Any input either fails with a typed error or yields a canonical address, and the
        /// canonical form reads back as itself.
        #[test]
        fn account_addresses_parse_to_a_fixed_point(
            input in " ?[A-Za-z0-9._-]{0,70}@[A-Za-z0-9.-]{0,70} ?|\\PC{0,80}"
        ) {
            if let Ok(addr) = AccountAddr::parse(&input) {
                let text = addr.to_string();
                proptest::prop_assert!(text.is_ascii());
                proptest::prop_assert!(text.len() <= LOGIN_NAME_BYTES_MAX + 1 + DOMAIN_NAME_BYTES_MAX);
                proptest::prop_assert_eq!(AccountAddr::parse(&text).ok(), Some(addr));
            }
        }

        #[test]
        fn free_text_is_bounded_and_free_of_control_characters(input in "\\PC{0,100}|[\\x00-\\x1f]{0,5}") {
            if let Ok(text) = free_text("field", &input, 64) {
                proptest::prop_assert!(text.chars().count() <= 64);
                proptest::prop_assert!(!text.chars().any(char::is_control));
                proptest::prop_assert_eq!(hidden_at(&text), None);
                proptest::prop_assert_eq!(free_text("field", &text, 64).ok(), Some(text.clone()));
            }
        }
    }
}
