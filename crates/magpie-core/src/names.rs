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

/// Normalises free text to NFC, trims it, refuses control characters and bounds its length in
/// characters. Used for display names, signatures and device labels.
pub fn free_text(field: &'static str, input: &str, chars_max: usize) -> Result<String> {
    let text: String = input.trim().nfc().collect();
    if text.chars().count() > chars_max {
        return Err(Error::too_large(field, chars_max, Unit::Characters));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(text)
}

/// Like [`free_text`], but for text of several lines (descriptions, announcements, drafts):
/// newlines and tabs are allowed, other control characters are not.
pub fn paragraph(field: &'static str, input: &str, chars_max: usize) -> Result<String> {
    let text: String = input.trim().nfc().collect();
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
                proptest::prop_assert_eq!(free_text("field", &text, 64).ok(), Some(text.clone()));
            }
        }
    }
}
