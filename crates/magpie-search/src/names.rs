//! People, groups and departments by name: what the "new chat" dialog, mentions and the
//! directory look up as someone types.
//!
//! A name is found by the keys [`name_keys`] makes of it, all folded like message text
//! (NFKC, lower case, traditional → simplified) and with spaces removed:
//!
//! - its display name (`张三`), and each word of a name of several words (`smith`);
//! - for names with Chinese characters, the full pinyin (`zhangsan`) and its initials (`zs`),
//!   one key per reading for characters with several (`单` is `dan` and `shan`), at most
//!   [`PINYIN_SPELLINGS_MAX`] spellings per name;
//! - the login name, the email address and its local part, and (only for a query that may see
//!   them) the phone number's digits.
//!
//! A query matches a key exactly, as its prefix, or inside it; results are ranked by that
//! (exact, then prefix, then contains), then by which key matched (display name first), then
//! shorter names first. So `zhangsan`, `zs`, `zhang` and `张` all find 张三, and `zs` ranks a
//! person whose initials are exactly `zs` above `zsun`.
//!
//! The index is in memory: a directory of even a few hundred thousand names takes tens of
//! megabytes, an exact or prefix lookup is a range of a sorted map, and the linear scan for
//! "contains" runs only when exact and prefix matches do not fill the page.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use pinyin::ToPinyinMulti;

use crate::analysis::{is_cjk, normalize};
use crate::{Error, Result};

/// Most names an index holds.
pub const NAMES_LEN_MAX: usize = 2_000_000;
/// Longest name query, in characters.
pub const NAME_QUERY_CHARS_MAX: usize = 64;
/// Most hits a name query returns.
pub const NAME_HITS_MAX: usize = 100;
/// Most full-pinyin spellings kept per name (names of characters with several readings).
pub const PINYIN_SPELLINGS_MAX: usize = 8;
/// Longest key kept, in bytes: longer display names are found by their first part.
const KEY_BYTES_MAX: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    Person,
    Group,
    Department,
}

/// What a name belongs to: an account, a conversation or a department, by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameId {
    pub kind: NameKind,
    pub id: i64,
}

/// A named thing as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameEntry {
    pub domain: i64,
    pub display_name: String,
    /// An account's name (the part before `@domain`).
    pub login: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Which key matched, in the order that breaks ties (best first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Name,
    Login,
    Pinyin,
    Initials,
    Email,
    Phone,
}

/// How a query matched a key, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Match {
    Exact,
    Prefix,
    Contains,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey {
    pub text: String,
    pub source: Source,
}

/// Folds a name or a name query: like message text, without spaces.
pub fn fold_name(text: &str) -> String {
    normalize(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The keys a name is found by (see the module doc), without duplicates.
pub fn name_keys(entry: &NameEntry) -> Vec<NameKey> {
    let mut keys = BTreeSet::new();
    let mut add = |text: String, source: Source| {
        let mut text = text;
        if text.len() > KEY_BYTES_MAX {
            let cut = (0..=KEY_BYTES_MAX).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
            text.truncate(cut);
        }
        if !text.is_empty() {
            keys.insert(NameKey { text, source });
        }
    };
    let name = normalize(&entry.display_name);
    let words: Vec<&str> = name.split_whitespace().collect();
    add(words.concat(), Source::Name);
    if words.len() > 1 {
        for word in &words {
            add((*word).to_owned(), Source::Name);
        }
    }
    if name.chars().any(is_cjk) {
        let (full, initials) = pinyin_spellings(&words);
        for spelling in full {
            add(spelling, Source::Pinyin);
        }
        for spelling in initials {
            add(spelling, Source::Initials);
        }
    }
    if let Some(login) = &entry.login {
        add(fold_name(login), Source::Login);
    }
    if let Some(email) = &entry.email {
        let email = fold_name(email);
        if let Some((local, _)) = email.split_once('@') {
            add(local.to_owned(), Source::Email);
        }
        add(email, Source::Email);
    }
    if let Some(phone) = &entry.phone {
        add(phone.chars().filter(char::is_ascii_digit).collect(), Source::Phone);
    }
    keys.into_iter().collect()
}

/// The full-pinyin spellings and the initials of a name's words: each Chinese character by
/// its readings, any other word as it is (its first letter for the initials).
fn pinyin_spellings(words: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    // Each unit has its alternatives: (spelling, initial).
    let mut units: Vec<Vec<(String, String)>> = Vec::new();
    for word in words {
        let mut other = String::new();
        let flush = |other: &mut String, units: &mut Vec<Vec<(String, String)>>| {
            if let Some(first) = other.chars().next() {
                units.push(vec![(std::mem::take(other), first.to_string())]);
            }
        };
        for c in word.chars() {
            let readings: Vec<(String, String)> = match c.to_pinyin_multi() {
                Some(multi) => multi.into_iter().map(|p| (p.plain().to_owned(), p.first_letter().to_owned())).collect(),
                None => vec![],
            };
            if readings.is_empty() {
                other.push(c);
            } else {
                flush(&mut other, &mut units);
                let mut unique = readings;
                unique.dedup();
                units.push(unique);
            }
        }
        flush(&mut other, &mut units);
    }
    let mut full = vec![String::new()];
    let mut initials = vec![String::new()];
    for unit in &units {
        full = product(&full, unit.iter().map(|(s, _)| s.as_str()));
        initials = product(&initials, unit.iter().map(|(_, i)| i.as_str()));
    }
    (full.into_iter().collect(), initials.into_iter().collect())
}

/// Every prefix followed by every alternative, keeping at most [`PINYIN_SPELLINGS_MAX`]
/// (the first readings, which are the common ones, come first).
fn product<'a>(prefixes: &[String], alternatives: impl Iterator<Item = &'a str> + Clone) -> Vec<String> {
    let mut out = Vec::new();
    for alternative in alternatives {
        for prefix in prefixes {
            if out.len() < PINYIN_SPELLINGS_MAX {
                let spelling = format!("{prefix}{alternative}");
                if !out.contains(&spelling) {
                    out.push(spelling);
                }
            }
        }
    }
    out
}

/// A lookup by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    pub domain: i64,
    pub text: String,
    /// Only these kinds; all when empty.
    pub kinds: Vec<NameKind>,
    /// Whether phone numbers may be matched (the searcher may see them).
    pub phones: PhoneMatching,
    /// Most hits, 1 to [`NAME_HITS_MAX`].
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneMatching {
    #[default]
    Hidden,
    Visible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameHit {
    pub name: NameId,
    pub matched: Match,
    pub source: Source,
}

/// An in-memory index of names, per domain.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// Each name's domain, keys, and display name's length (the last tie-break).
    entries: HashMap<NameId, (i64, Vec<NameKey>, usize)>,
    /// `(domain, key)` → the names that have it, and as which source.
    keys: BTreeMap<(i64, String), Vec<(NameId, Source)>>,
}

impl NameIndex {
    pub fn new() -> NameIndex {
        NameIndex::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a name, or replaces what `name` had (a rename, a new email).
    pub fn put(&mut self, name: NameId, entry: &NameEntry) -> Result<()> {
        if !self.entries.contains_key(&name) && self.entries.len() >= NAMES_LEN_MAX {
            return Err(Error::NamesFull(NAMES_LEN_MAX));
        }
        self.remove(name);
        let keys = name_keys(entry);
        for key in &keys {
            self.keys.entry((entry.domain, key.text.clone())).or_default().push((name, key.source));
        }
        self.entries.insert(name, (entry.domain, keys, entry.display_name.chars().count()));
        Ok(())
    }

    /// Forgets a name (a deleted account, a dissolved group).
    pub fn remove(&mut self, name: NameId) {
        let Some((domain, keys, _)) = self.entries.remove(&name) else {
            return;
        };
        for key in keys {
            let k = (domain, key.text);
            if let Some(names) = self.keys.get_mut(&k) {
                names.retain(|(n, _)| *n != name);
                if names.is_empty() {
                    self.keys.remove(&k);
                }
            }
        }
    }

    /// The names that match, best first (see the module doc).
    pub fn search(&self, query: &NameQuery) -> Result<Vec<NameHit>> {
        if query.text.chars().count() > NAME_QUERY_CHARS_MAX {
            return Err(Error::QueryTooLong { chars_max: NAME_QUERY_CHARS_MAX });
        }
        if !(1..=NAME_HITS_MAX).contains(&query.limit) {
            return Err(Error::PageLen { len_max: NAME_HITS_MAX });
        }
        let text = fold_name(&query.text);
        if text.is_empty() {
            return Err(Error::EmptyQuery);
        }
        let wanted = |name: &NameId, source: Source| {
            (query.kinds.is_empty() || query.kinds.contains(&name.kind))
                && (source != Source::Phone || query.phones == PhoneMatching::Visible)
        };
        // The best match of each name.
        let mut best: HashMap<NameId, (Match, Source)> = HashMap::new();
        let note = |best: &mut HashMap<NameId, (Match, Source)>, name: NameId, matched: Match, source: Source| {
            let e = best.entry(name).or_insert((matched, source));
            *e = (*e).min((matched, source));
        };
        let from = (query.domain, text.clone());
        for ((domain, key), names) in self.keys.range((Bound::Included(from), Bound::Unbounded)) {
            if *domain != query.domain || !key.starts_with(&text) {
                break;
            }
            let matched = if *key == text { Match::Exact } else { Match::Prefix };
            for (name, source) in names.iter().filter(|(n, s)| wanted(n, *s)) {
                note(&mut best, *name, matched, *source);
            }
        }
        if best.len() < query.limit {
            let domain_keys = self
                .keys
                .range((Bound::Included((query.domain, String::new())), Bound::Unbounded))
                .take_while(|((domain, _), _)| *domain == query.domain);
            for ((_, key), names) in domain_keys {
                if key.len() > text.len() && !key.starts_with(&text) && key.contains(&text) {
                    for (name, source) in names.iter().filter(|(n, s)| wanted(n, *s)) {
                        note(&mut best, *name, Match::Contains, *source);
                    }
                }
            }
        }
        let name_len = |name: &NameId| self.entries.get(name).map_or(usize::MAX, |e| e.2);
        let mut hits: Vec<NameHit> =
            best.into_iter().map(|(name, (matched, source))| NameHit { name, matched, source }).collect();
        hits.sort_by_key(|h| (h.matched, h.source, name_len(&h.name), h.name));
        hits.truncate(query.limit);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(entry: &NameEntry) -> Vec<(Source, String)> {
        name_keys(entry).into_iter().map(|k| (k.source, k.text)).collect()
    }

    #[test]
    fn a_chinese_name_has_its_characters_pinyin_and_initials() {
        let keys = texts(&NameEntry {
            display_name: "張三".into(),
            login: Some("zhangsan3".into()),
            email: Some("San.Zhang@Acme.example".into()),
            ..NameEntry::default()
        });
        for expected in [
            (Source::Name, "张三"),
            (Source::Pinyin, "zhangsan"),
            (Source::Initials, "zs"),
            (Source::Login, "zhangsan3"),
            (Source::Email, "san.zhang"),
            (Source::Email, "san.zhang@acme.example"),
        ] {
            assert!(keys.contains(&(expected.0, expected.1.to_owned())), "{expected:?} not in {keys:?}");
        }
    }

    #[test]
    fn characters_with_several_readings_give_each_spelling() {
        let keys = texts(&NameEntry { display_name: "单田芳".into(), ..NameEntry::default() });
        assert!(keys.contains(&(Source::Pinyin, "shantianfang".into())), "{keys:?}");
        assert!(keys.contains(&(Source::Pinyin, "dantianfang".into())), "{keys:?}");
        assert!(keys.iter().filter(|(s, _)| *s == Source::Pinyin).count() <= PINYIN_SPELLINGS_MAX);
    }

    #[test]
    fn mixed_and_latin_names() {
        let keys = texts(&NameEntry { display_name: "Alice 王".into(), ..NameEntry::default() });
        for expected in [
            (Source::Name, "alice王"),
            (Source::Name, "alice"),
            (Source::Pinyin, "alicewang"),
            (Source::Initials, "aw"),
        ] {
            assert!(keys.contains(&(expected.0, expected.1.to_owned())), "{expected:?} not in {keys:?}");
        }
        let keys = texts(&NameEntry { display_name: "Bob Smith".into(), ..NameEntry::default() });
        assert!(!keys.iter().any(|(s, _)| *s == Source::Pinyin), "{keys:?}");
    }
}
