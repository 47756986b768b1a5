//! Workbench apps' part of [`BotStore`](magpie_core::ports::BotStore): apps are bounded per
//! domain, ordered and changed; a code and a refresh token are taken once, and a pair is kept
//! only in exchange for one still there while the user grants the app; a grant adds scopes; a
//! user's token pairs per app are bounded, and withdrawing the grant or uninstalling the app
//! takes them all, answering the sessions to end, also when it races an exchange.

use magpie_core::apps::{AppId, AppPatch, AppScope, AppToken, Kept, NewApp, OAuthCode, Spends};
use magpie_core::model::SessionId;
use magpie_core::org::DepartmentId;
use magpie_core::ports::BotStore;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn new_app<F: StoreFactory>(w: &World<'_, F>, name: &str) -> NewApp {
    NewApp {
        domain_id: w.domain.id,
        name: name.into(),
        description: format!("{name} app"),
        icon: None,
        url: format!("https://oa.example.com/{name}"),
        client_id: format!("mpa_{name}"),
        secret_hash: [7; 32],
        redirect_uris: vec!["https://oa.example.com/cb".into()],
        scopes: vec![AppScope::Profile, AppScope::MessagesRead],
        departments: None,
        created_at_ms: T0,
    }
}

fn pair(app: AppId, account: magpie_core::model::AccountId, n: u8, at_ms: i64) -> AppToken {
    AppToken {
        refresh_hash: [n; 32],
        family: [n; 16],
        app,
        account,
        session: SessionId(1000 + i64::from(n)),
        scopes: vec![AppScope::Profile],
        created_at_ms: at_ms,
        expires_at_ms: at_ms + 1000,
    }
}

fn code_of(app: AppId, account: magpie_core::model::AccountId, n: u8) -> OAuthCode {
    OAuthCode {
        app,
        account,
        scopes: vec![AppScope::Profile],
        challenge: "c".repeat(43),
        redirect_uri: "https://oa.example.com/cb".into(),
        expires_at_ms: T0 + 60_000,
        family: [n; 16],
    }
}

/// Keeps pair `n` in exchange for a code `n` made for it.
async fn exchange(store: &dyn BotStore, token: &AppToken, n: u8) -> Kept {
    store.put_oauth_code(&[n; 32], &code_of(token.app, token.account, n), 100).await.unwrap();
    store.put_app_token(token, Spends::Code([n; 32]), 3).await.unwrap()
}

pub async fn apps_are_bounded_ordered_and_changed<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.bots;
    let leave = store.create_app(&new_app(&w, "leave"), 2).await.unwrap().expect("an app");
    let news = store.create_app(&new_app(&w, "news"), 2).await.unwrap().expect("an app");
    assert!(store.create_app(&new_app(&w, "third"), 2).await.unwrap().is_none(), "past the bound, nothing");
    assert_eq!(store.apps(w.domain.id).await.unwrap(), vec![leave.clone(), news.clone()], "in the order installed");
    assert_eq!(leave.scopes, vec![AppScope::Profile, AppScope::MessagesRead]);
    let (found, hash) = store.app_by_client_id("mpa_leave").await.unwrap().expect("by client id");
    assert_eq!((found, hash), (leave.clone(), [7; 32]));
    assert!(store.app_by_client_id("mpa_nobody").await.unwrap().is_none());

    assert!(store.order_apps(w.domain.id, &[news.id, leave.id]).await.unwrap());
    let ids: Vec<AppId> = store.apps(w.domain.id).await.unwrap().iter().map(|a| a.id).collect();
    assert_eq!(ids, [news.id, leave.id]);
    assert!(!store.order_apps(w.domain.id, &[news.id]).await.unwrap(), "not every app: nothing written");

    let patch = AppPatch {
        name: Some("Leave 2".into()),
        icon: Some(Some("https://oa.example.com/i.png".into())),
        departments: Some(Some(vec![DepartmentId(3)])),
        ..AppPatch::default()
    };
    let changed = store.update_app(leave.id, &patch).await.unwrap().expect("changed");
    assert_eq!(changed.name, "Leave 2");
    assert_eq!(changed.icon.as_deref(), Some("https://oa.example.com/i.png"));
    assert_eq!(changed.departments, Some(vec![DepartmentId(3)]));
    assert_eq!(
        (changed.url, changed.redirect_uris),
        (leave.url.clone(), leave.redirect_uris.clone()),
        "the rest stays"
    );
    let cleared = AppPatch { icon: Some(None), departments: Some(None), ..AppPatch::default() };
    let changed = store.update_app(leave.id, &cleared).await.unwrap().expect("changed");
    assert_eq!((changed.icon, changed.departments), (None, None));
    assert!(store.set_app_secret(leave.id, [9; 32]).await.unwrap());
    assert_eq!(store.app_by_client_id("mpa_leave").await.unwrap().map(|(_, h)| h), Some([9; 32]));
    assert!(store.update_app(AppId(999_999), &cleared).await.unwrap().is_none());
}

pub async fn codes_grants_and_tokens_are_taken_once_and_go_with_their_app<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.bots;
    let (alice, bob) = (w.account("alice").await, w.account("bob").await);
    let app = store.create_app(&new_app(&w, "leave"), 10).await.unwrap().expect("an app");

    // A code is taken once.
    let code = OAuthCode {
        app: app.id,
        account: alice.id,
        scopes: vec![AppScope::Profile],
        challenge: "c".repeat(43),
        redirect_uri: "https://oa.example.com/cb".into(),
        expires_at_ms: T0 + 60_000,
        family: [1; 16],
    };
    store.put_oauth_code(&[1; 32], &code, 3).await.unwrap();
    assert_eq!(store.take_oauth_code(&[1; 32]).await.unwrap(), Some(code.clone()));
    assert_eq!(store.take_oauth_code(&[1; 32]).await.unwrap(), None);
    // Past the bound of codes waiting for one user and app, the oldest go.
    for n in 20..24u8 {
        let waiting = OAuthCode { expires_at_ms: T0 + i64::from(n), ..code.clone() };
        store.put_oauth_code(&[n; 32], &waiting, 3).await.unwrap();
    }
    assert_eq!(store.take_oauth_code(&[20; 32]).await.unwrap(), None, "the oldest went");
    for n in 21..24u8 {
        assert!(store.take_oauth_code(&[n; 32]).await.unwrap().is_some(), "code {n} stays");
    }

    // A grant adds the scopes allowed later to those allowed before.
    store.put_app_grant(app.id, alice.id, &[AppScope::MessagesRead], T0).await.unwrap();
    store.put_app_grant(app.id, alice.id, &[AppScope::Profile], T0 + 5).await.unwrap();
    assert_eq!(
        store.app_grant(app.id, alice.id).await.unwrap(),
        Some((vec![AppScope::Profile, AppScope::MessagesRead], T0)),
        "granted first at T0"
    );
    assert_eq!(store.app_grants(alice.id).await.unwrap().len(), 1);
    assert_eq!(store.app_grant(app.id, bob.id).await.unwrap(), None);

    // Past the bound of pairs, the oldest go, answered to be ended.
    for n in 1..=3u8 {
        assert_eq!(
            exchange(store.as_ref(), &pair(app.id, alice.id, n, T0 + i64::from(n)), n).await,
            Kept::Kept(vec![])
        );
    }
    let evicted = exchange(store.as_ref(), &pair(app.id, alice.id, 4, T0 + 4), 4).await;
    assert_eq!(evicted, Kept::Kept(vec![SessionId(1001)]));
    assert!(store.app_token(&[1; 32]).await.unwrap().is_none());
    assert!(store.oauth_code(&[4; 32]).await.unwrap().is_none(), "the code went with the exchange");
    assert_eq!(store.app_token(&[2; 32]).await.unwrap(), Some(pair(app.id, alice.id, 2, T0 + 2)));
    // A refresh token is taken once.
    assert_eq!(store.take_app_token(&[2; 32]).await.unwrap(), Some(pair(app.id, alice.id, 2, T0 + 2)));
    assert_eq!(store.take_app_token(&[2; 32]).await.unwrap(), None);
    assert_eq!(store.take_app_token(&[3; 32]).await.unwrap(), Some(pair(app.id, alice.id, 3, T0 + 3)));
    // A pair is kept only in exchange for a code or refresh token still there, which goes.
    let spent = store.put_app_token(&pair(app.id, alice.id, 10, T0), Spends::Code([99; 32]), 3).await.unwrap();
    assert_eq!(spent, Kept::Spent);
    assert!(store.app_token(&[10; 32]).await.unwrap().is_none(), "nothing kept");
    let follows = AppToken { family: [4; 16], ..pair(app.id, alice.id, 11, T0 + 11) };
    assert_eq!(store.put_app_token(&follows, Spends::Refresh([4; 32]), 3).await.unwrap(), Kept::Kept(vec![]));
    assert!(store.app_token(&[4; 32]).await.unwrap().is_none(), "the refresh token it follows went");
    let again = AppToken { family: [4; 16], ..pair(app.id, alice.id, 12, T0 + 12) };
    assert_eq!(store.put_app_token(&again, Spends::Refresh([4; 32]), 3).await.unwrap(), Kept::Spent);
    assert_eq!(store.take_app_token(&[11; 32]).await.unwrap(), Some(follows.clone()));
    store.put_oauth_code(&[4; 32], &code_of(app.id, alice.id, 4), 100).await.unwrap();
    assert_eq!(store.put_app_token(&follows, Spends::Code([4; 32]), 3).await.unwrap(), Kept::Kept(vec![]));
    // Only while the user grants the app: Bob never did.
    let bobs = pair(app.id, bob.id, 13, T0);
    assert_eq!(exchange(store.as_ref(), &bobs, 13).await, Kept::Withdrawn);
    assert!(store.app_token(&[13; 32]).await.unwrap().is_none(), "nothing kept");
    // A family's pair goes by the family's id, once; the other families stay.
    exchange(store.as_ref(), &pair(app.id, alice.id, 5, T0 + 5), 5).await;
    assert_eq!(store.take_app_family(&[5; 16]).await.unwrap(), vec![(alice.id, SessionId(1005))]);
    assert!(store.take_app_family(&[5; 16]).await.unwrap().is_empty());
    assert!(store.app_token(&[5; 32]).await.unwrap().is_none());
    assert_eq!(store.app_token(&[11; 32]).await.unwrap().map(|p| p.family), Some([4; 16]));

    // Withdrawing the grant takes its pairs (the sessions to end) and its codes.
    store.put_oauth_code(&[5; 32], &code, 3).await.unwrap();
    let ended = store.delete_app_grant(app.id, alice.id).await.unwrap().expect("there was a grant");
    assert_eq!(ended, vec![(alice.id, SessionId(1011))]);
    assert_eq!(store.take_oauth_code(&[5; 32]).await.unwrap(), None);
    assert_eq!(store.delete_app_grant(app.id, alice.id).await.unwrap(), None);

    // Uninstalling takes everything of the app.
    store.put_app_grant(app.id, bob.id, &[AppScope::Profile], T0).await.unwrap();
    exchange(store.as_ref(), &pair(app.id, bob.id, 6, T0), 6).await;
    store.put_oauth_code(&[7; 32], &OAuthCode { account: bob.id, ..code }, 3).await.unwrap();
    assert_eq!(store.delete_app(app.id).await.unwrap(), Some(vec![(bob.id, SessionId(1006))]));
    assert!(store.app(app.id).await.unwrap().is_none());
    assert!(store.app_grants(bob.id).await.unwrap().is_empty());
    assert!(store.app_token(&[6; 32]).await.unwrap().is_none());
    assert_eq!(store.take_oauth_code(&[7; 32]).await.unwrap(), None);
    assert_eq!(store.delete_app(app.id).await.unwrap(), None);

    // Pruning takes what expired.
    let app = store.create_app(&new_app(&w, "news"), 10).await.unwrap().expect("an app");
    store.put_app_grant(app.id, bob.id, &[AppScope::Profile], T0).await.unwrap();
    exchange(store.as_ref(), &pair(app.id, bob.id, 8, T0), 8).await;
    store.put_oauth_code(&[9; 32], &code_of(app.id, bob.id, 9), 3).await.unwrap();
    assert_eq!(store.prune_oauth(T0 + 999).await.unwrap(), 0);
    assert_eq!(store.prune_oauth(T0 + 60_000).await.unwrap(), 2);
    assert!(store.app_token(&[8; 32]).await.unwrap().is_none());
}

pub async fn grants_made_at_once_keep_every_scope<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.bots;
    let app = store.create_app(&new_app(&w, "leave"), 10).await.unwrap().expect("an app");
    // A first consent given twice at once (two tabs, say): the grant holds both, whichever
    // wrote first.
    for n in 0..8 {
        let who = w.account(&format!("user{n}")).await;
        let (a, b) = tokio::join!(
            store.put_app_grant(app.id, who.id, &[AppScope::Profile], T0),
            store.put_app_grant(app.id, who.id, &[AppScope::MessagesRead], T0 + 1),
        );
        a.unwrap();
        b.unwrap();
        let (scopes, _) = store.app_grant(app.id, who.id).await.unwrap().expect("a grant");
        assert_eq!(scopes, vec![AppScope::Profile, AppScope::MessagesRead], "user{n}");
    }
}

pub async fn no_pair_outlives_a_grant_withdrawn_while_it_is_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.bots;
    let app = store.create_app(&new_app(&w, "leave"), 10).await.unwrap().expect("an app");
    for n in 1..=16u8 {
        let who = w.account(&format!("user{n}")).await;
        store.put_app_grant(app.id, who.id, &[AppScope::Profile], T0).await.unwrap();
        store.put_oauth_code(&[n; 32], &code_of(app.id, who.id, n), 100).await.unwrap();
        let token = pair(app.id, who.id, n, T0);
        let other = AppToken { refresh_hash: [n + 100; 32], ..token.clone() };
        // Two exchanges of the code and a withdrawal, all at once.
        let (a, b, withdrawn) = tokio::join!(
            store.put_app_token(&token, Spends::Code([n; 32]), 3),
            store.put_app_token(&other, Spends::Code([n; 32]), 3),
            store.delete_app_grant(app.id, who.id),
        );
        let (a, b, ended) = (a.unwrap(), b.unwrap(), withdrawn.unwrap().expect("there was a grant"));
        let kept = [&a, &b].iter().filter(|k| matches!(k, Kept::Kept(_))).count();
        assert!(kept <= 1, "user{n}: one code, at most one pair: {a:?} {b:?}");
        assert!(store.app_token(&[n; 32]).await.unwrap().is_none(), "user{n}: the pair went with the grant");
        assert!(store.app_token(&[n + 100; 32]).await.unwrap().is_none(), "user{n}: the pair went with the grant");
        if kept == 1 {
            assert_eq!(ended, vec![(who.id, token.session)], "user{n}: the kept pair's session is to be ended");
        }
    }
}
