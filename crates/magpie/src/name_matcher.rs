//! The core's `NameMatcher` on `magpie-search`'s names: keys of display names, pinyin and its
//! initials, logins, emails and phones, folded like message text, and the ranking of
//! candidates (exact, then prefix, then contains; display name first; shorter names first).

use magpie_core::directory::{NameFields, NameMatcher, NameSource};
use magpie_search::names::{self, NameEntry, NameId, NameIndex, NameKind, NameQuery, PhoneMatching, Source};

/// Names of the people and groups a searcher sees: phones are matched, as profiles show them
/// to every member of the domain (docs/protocol.md §7.15).
pub struct PinyinMatcher;

fn entry(name: &NameFields<'_>) -> NameEntry {
    NameEntry {
        domain: 0,
        display_name: name.display_name.to_owned(),
        login: name.login.map(str::to_owned),
        email: name.email.map(str::to_owned),
        phone: name.phone.map(str::to_owned),
    }
}

fn source(s: Source) -> NameSource {
    match s {
        Source::Name => NameSource::Name,
        Source::Login => NameSource::Login,
        Source::Pinyin => NameSource::Pinyin,
        Source::Initials => NameSource::Initials,
        Source::Email => NameSource::Email,
        Source::Phone => NameSource::Phone,
    }
}

impl NameMatcher for PinyinMatcher {
    fn keys(&self, name: &NameFields<'_>) -> String {
        let mut texts: Vec<String> = names::name_keys(&entry(name)).into_iter().map(|k| k.text).collect();
        texts.sort();
        texts.dedup();
        let mut keys = String::from("\n");
        for text in texts {
            keys.push_str(&text);
            keys.push('\n');
        }
        keys
    }

    fn fold(&self, query: &str) -> String {
        names::fold_name(query)
    }

    fn rank(&self, query: &str, candidates: &[NameFields<'_>], limit: usize) -> Vec<(usize, NameSource)> {
        let mut index = NameIndex::new();
        for (i, name) in candidates.iter().enumerate() {
            // Candidates are bounded far below the index's capacity.
            let _ = index.put(NameId { kind: NameKind::Person, id: i as i64 }, &entry(name));
        }
        let query = NameQuery {
            domain: 0,
            text: query.to_owned(),
            kinds: vec![],
            phones: PhoneMatching::Visible,
            limit: limit.clamp(1, names::NAME_HITS_MAX),
        };
        match index.search(&query) {
            Ok(hits) => hits.into_iter().map(|h| (h.name.id as usize, source(h.source))).collect(),
            // The core checked the query's length and that it has something to look for.
            Err(_) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lines_that_a_store_finds_by_equality_and_prefix() {
        let keys =
            PinyinMatcher.keys(&NameFields { display_name: "张三", login: Some("zhang3"), ..Default::default() });
        for key in ["\n张三\n", "\nzhangsan\n", "\nzs\n", "\nzhang3\n"] {
            assert!(keys.contains(key), "{key:?} not in {keys:?}");
        }
        assert!(keys.starts_with('\n') && keys.ends_with('\n'));
        assert_eq!(PinyinMatcher.fold(" Zhang San "), "zhangsan");
    }

    #[test]
    fn ranking_puts_exact_before_prefix_before_contains() {
        let names = [
            NameFields { display_name: "李张三", ..Default::default() },
            NameFields { display_name: "张三", ..Default::default() },
            NameFields { display_name: "张三丰", ..Default::default() },
        ];
        let ranked = PinyinMatcher.rank("张三", &names, 10);
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 0]);
        assert_eq!(PinyinMatcher.rank("zs", &names, 1), [(1, NameSource::Initials)]);
    }
}
