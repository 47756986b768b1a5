//! People and groups by name (docs/protocol.md §7.15) through the real server: a Chinese name
//! by its characters, pinyin and initials, traditional or simplified; a login, email or phone;
//! best match first; only the caller's domain, only enabled accounts, only the caller's own
//! groups; a rename found at once.

use magpie_client::wire::{self, ErrorCode, NameMatch, SearchNamesQuery};

use crate::harness::{TestServer, User, group};

fn q(text: &str) -> SearchNamesQuery {
    SearchNamesQuery { q: text.to_owned(), limit: None }
}

/// The accounts `user` finds for `text`, best first, with what matched.
async fn people(user: &User, text: &str) -> Vec<(String, NameMatch)> {
    let found = user.client.search_people(&q(text)).await.unwrap();
    found.results.into_iter().map(|r| (r.profile.account, r.matched)).collect()
}

async fn accounts(user: &User, text: &str) -> Vec<String> {
    people(user, text).await.into_iter().map(|(a, _)| a).collect()
}

async fn groups(user: &User, text: &str) -> Vec<i64> {
    let found = user.client.search_groups(&q(text)).await.unwrap();
    found.results.into_iter().map(|r| r.conversation).collect()
}

#[tokio::test]
async fn a_chinese_name_is_found_by_characters_pinyin_and_initials() {
    let server = TestServer::start().await;
    let zs = server.create("zhang3", &["--display-name", "张三"]).await;
    let zsun = server.create("sun", &["--display-name", "张孙"]).await;
    let li = server.create("li", &["--display-name", "李四"]).await;
    let alice = server.user("alice").await;

    assert_eq!(people(&alice, "zhangsan").await, [(zs.clone(), NameMatch::Pinyin)]);
    // Initials: 张三's are exactly `zs`, 张孙's `zs` too; the shorter login breaks no tie
    // here (same length), so both, and nobody else.
    let mut by_initials = accounts(&alice, "zs").await;
    by_initials.sort();
    let mut expected = vec![zs.clone(), zsun.clone()];
    expected.sort();
    assert_eq!(by_initials, expected);
    // One character finds every name that has it; a traditional one finds the simplified.
    let mut by_char = accounts(&alice, "张").await;
    by_char.sort();
    assert_eq!(by_char, expected);
    assert_eq!(accounts(&alice, "張三").await, [zs.as_str()]);
    assert_eq!(accounts(&alice, "ZHANG SAN").await, [zs.as_str()], "case and spaces fold");
    // The exact name ranks above names that start with it.
    assert_eq!(accounts(&alice, "李四").await, [li.as_str()]);
    assert_eq!(accounts(&alice, "zhangsun").await, [zsun]);
    assert!(accounts(&alice, "wangwu").await.is_empty());
}

#[tokio::test]
async fn logins_emails_and_phones_are_found_and_renames_at_once() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    let alice = server.user("alice").await;
    let update = wire::UpdateProfileRequest {
        display_name: Some("王小明".into()),
        email: Some("ming.wang@corp.example".into()),
        phone: Some("+86 138-0013-8000".into()),
        ..Default::default()
    };
    bob.client.update_me(&update).await.unwrap();

    assert_eq!(people(&alice, "bob").await, [(bob.account.clone(), NameMatch::Login)]);
    assert_eq!(people(&alice, "ming.wang").await, [(bob.account.clone(), NameMatch::Email)]);
    assert_eq!(people(&alice, "13800138000").await, [(bob.account.clone(), NameMatch::Phone)]);
    assert_eq!(people(&alice, "wangxiaoming").await, [(bob.account.clone(), NameMatch::Pinyin)]);
    assert_eq!(people(&alice, "wxm").await, [(bob.account.clone(), NameMatch::Initials)]);

    // A rename: found by the new name at once, no longer by the old.
    let rename = wire::UpdateProfileRequest { display_name: Some("赵六".into()), ..Default::default() };
    bob.client.update_me(&rename).await.unwrap();
    assert_eq!(people(&alice, "zhaoliu").await, [(bob.account.clone(), NameMatch::Pinyin)]);
    assert!(accounts(&alice, "wangxiaoming").await.is_empty());
    // The email is still his.
    assert_eq!(accounts(&alice, "ming.wang").await, [bob.account.as_str()]);
}

#[tokio::test]
async fn only_enabled_people_of_the_callers_domain_are_found() {
    let server = TestServer::start().await;
    let out = server.admin(&["domain", "add", "acme.example"], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alice = server.user("alice").await;
    let here = server.create("zhang3", &["--display-name", "张三"]).await;
    server.create("zhang3@acme.example", &["--display-name", "张三"]).await;
    let gone = server.create("zhangsan", &["--display-name", "张三丰"]).await;
    assert_eq!(accounts(&alice, "张三").await, [here.clone(), gone.clone()], "the exact name first");
    let out = server.admin(&["user", "disable", &gone], "").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(accounts(&alice, "张三").await, [here]);
    // Over the WebSocket, the same.
    let ws = alice.client.connect().await.unwrap();
    let found = ws.search_people(q("zs")).await.unwrap();
    assert_eq!(found.results.len(), 1);
}

#[tokio::test]
async fn groups_are_found_by_their_members_only() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let team = group(&alice, "项目组", &["bob@localhost"]).await;
    let other = group(&carol, "项目二组", &[]).await;
    let launch = group(&alice, "Launch Team", &[]).await;

    assert_eq!(groups(&alice, "xiangmu").await, [team.id]);
    assert_eq!(groups(&alice, "xmz").await, [team.id]);
    assert_eq!(groups(&alice, "launch").await, [launch.id]);
    assert_eq!(groups(&carol, "项目").await, [other.id], "carol is not in alice's group");
    let found = alice.client.search_groups(&q("项目")).await.unwrap();
    assert_eq!(found.results[0].title, "项目组");
    assert_eq!(found.results[0].kind, wire::ConversationKind::Group);
    // A member who left no longer finds it.
    assert_eq!(groups(&bob, "项目").await, [team.id]);
    bob.client.leave(team.id).await.unwrap();
    assert!(groups(&bob, "项目").await.is_empty());
}

#[tokio::test]
async fn a_name_search_is_bounded_and_checked() {
    let server = TestServer::start_with(&[("MAGPIE_SEARCH_NAME_QUERIES_PER_ACCOUNT_PER_MIN_MAX", "4")]).await;
    let alice = server.user("alice").await;
    let err = alice.client.search_people(&q(&"张".repeat(65))).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    let err = alice.client.search_people(&q(" ")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    let err = alice.client.search_groups(&SearchNamesQuery { q: "a".into(), limit: Some(101) }).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));
    // Four name searches a minute (people and groups together): the fifth waits.
    for _ in 0..2 {
        alice.client.search_people(&q("a")).await.unwrap();
        alice.client.search_groups(&q("a")).await.unwrap();
    }
    let err = alice.client.search_people(&q("a")).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::RateLimited));
}
