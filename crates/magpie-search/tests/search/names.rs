//! People, groups and departments by name, pinyin, initials, login and email.

use magpie_search::names::{Match, NameEntry, NameHit, NameId, NameIndex, NameKind, NameQuery, PhoneMatching, Source};

const DOMAIN: i64 = 1;

fn person(id: i64) -> NameId {
    NameId { kind: NameKind::Person, id }
}

fn directory() -> NameIndex {
    let mut names = NameIndex::new();
    let people = [
        (1, "张三", "zhangsan", "san.zhang@acme.example", "+86 138 0013 8000"),
        (2, "周森", "zsen", "sen@acme.example", ""),
        (3, "张三丰", "sanfeng", "sf@acme.example", ""),
        (4, "Alice Smith", "alice", "alice@acme.example", ""),
        (5, "李张", "lizhang", "li@acme.example", ""),
    ];
    for (id, name, login, email, phone) in people {
        let entry = NameEntry {
            domain: DOMAIN,
            display_name: name.into(),
            login: Some(login.into()),
            email: Some(email.into()),
            phone: (!phone.is_empty()).then(|| phone.into()),
        };
        names.put(person(id), &entry).unwrap();
    }
    names
        .put(
            NameId { kind: NameKind::Group, id: 10 },
            &NameEntry { domain: DOMAIN, display_name: "张三的群".into(), ..NameEntry::default() },
        )
        .unwrap();
    names
        .put(
            NameId { kind: NameKind::Department, id: 20 },
            &NameEntry { domain: DOMAIN, display_name: "研发部".into(), ..NameEntry::default() },
        )
        .unwrap();
    names.put(person(99), &NameEntry { domain: 2, display_name: "张三".into(), ..NameEntry::default() }).unwrap();
    names
}

fn query(text: &str) -> NameQuery {
    NameQuery { domain: DOMAIN, text: text.into(), kinds: vec![], phones: PhoneMatching::Hidden, limit: 20 }
}

fn search(names: &NameIndex, q: NameQuery) -> Vec<NameHit> {
    names.search(&q).unwrap()
}

fn ids(hits: &[NameHit]) -> Vec<(NameKind, i64)> {
    hits.iter().map(|h| (h.name.kind, h.name.id)).collect()
}

#[test]
fn full_pinyin_initials_a_pinyin_prefix_and_a_character_all_find_zhang_san() {
    let names = directory();
    for text in ["zhangsan", "zs", "zhang", "张", "张三", "Zhang San", "張三"] {
        let hits = search(&names, query(text));
        assert_eq!(hits.first().map(|h| h.name), Some(person(1)), "{text}: {hits:?}");
    }
}

#[test]
fn exact_ranks_above_prefix_above_contains() {
    let names = directory();
    let hits = search(&names, query("张三"));
    assert_eq!(ids(&hits)[..3], [(NameKind::Person, 1), (NameKind::Person, 3), (NameKind::Group, 10)]);
    assert_eq!(hits[0].matched, Match::Exact);
    assert_eq!(hits[1].matched, Match::Prefix);
    let hits = search(&names, query("zhang"));
    let lizhang = hits.iter().find(|h| h.name == person(5)).expect("李张 contains zhang");
    assert_eq!(lizhang.matched, Match::Contains);
    assert_eq!(hits.last().map(|h| h.name), Some(person(5)));
}

#[test]
fn initials_that_match_exactly_rank_above_a_login_they_begin() {
    let names = directory();
    let hits = search(&names, query("zs"));
    assert_eq!(hits[0].name, person(1));
    assert_eq!((hits[0].matched, hits[0].source), (Match::Exact, Source::Initials));
    assert!(hits.iter().any(|h| h.name == person(2)), "周森's initials are zs too: {hits:?}");
}

#[test]
fn logins_emails_and_latin_names() {
    let names = directory();
    assert_eq!(search(&names, query("sanfeng"))[0].name, person(3));
    assert_eq!(search(&names, query("san.zhang"))[0].name, person(1));
    assert_eq!(search(&names, query("smith"))[0].name, person(4));
    assert_eq!(search(&names, query("ALI"))[0].name, person(4));
}

#[test]
fn phones_are_matched_only_for_those_who_may_see_them() {
    let names = directory();
    assert!(search(&names, query("13800138000")).is_empty());
    let hits = search(&names, NameQuery { phones: PhoneMatching::Visible, ..query("1380013") });
    assert_eq!(ids(&hits), [(NameKind::Person, 1)]);
}

#[test]
fn kinds_and_domains_narrow() {
    let names = directory();
    let hits = search(&names, NameQuery { kinds: vec![NameKind::Group], ..query("zs") });
    assert_eq!(ids(&hits), [(NameKind::Group, 10)]);
    assert_eq!(ids(&search(&names, query("yanfa"))), [(NameKind::Department, 20)]);
    assert!(!search(&names, query("张三")).iter().any(|h| h.name.id == 99), "another domain's 张三");
    let other = search(&names, NameQuery { domain: 2, ..query("zs") });
    assert_eq!(ids(&other), [(NameKind::Person, 99)]);
}

#[test]
fn a_rename_replaces_and_a_removal_forgets() {
    let mut names = directory();
    names.put(person(1), &NameEntry { domain: DOMAIN, display_name: "王五".into(), ..NameEntry::default() }).unwrap();
    assert!(!search(&names, query("zhangsan")).iter().any(|h| h.name == person(1)));
    assert_eq!(search(&names, query("ww"))[0].name, person(1));
    names.remove(person(1));
    assert!(search(&names, query("ww")).is_empty());
    assert_eq!(names.len(), 7);
}

#[test]
fn bad_name_queries_are_refused() {
    let names = directory();
    assert!(names.search(&query("   ")).is_err());
    assert!(names.search(&query(&"z".repeat(65))).is_err());
    assert!(names.search(&NameQuery { limit: 0, ..query("z") }).is_err());
}
