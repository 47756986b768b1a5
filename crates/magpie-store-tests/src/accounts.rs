//! [`AccountStore`](magpie_core::ports::AccountStore) and
//! [`SessionStore`](magpie_core::ports::SessionStore): domains, accounts, sessions and the
//! revocation log.

use magpie_core::model::{
    AccountId, NewAccount, ProfilePatch, RegistrationMode, RevokeReason, Role, SessionId, SessionSelector,
};
use magpie_core::names::{DomainName, LoginName};

use crate::StoreFactory;
use crate::fixtures::{DAY_MS, T0, World};

/// A domain name is taken once; the store finds domains by name and lists them by name.
pub async fn domains_are_unique_by_name<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    let beta = DomainName::parse("beta.example").unwrap();
    let created = accounts.create_domain(&beta, T0 + 5).await.unwrap().expect("a new domain");
    assert_eq!(created.name, beta);
    assert_eq!(created.created_at_ms, T0 + 5);
    assert_eq!(created.registration, RegistrationMode::Closed, "new domains are closed to self-registration");
    assert!(!created.direct_requires_friendship, "the enterprise default: any member messages any other");
    assert_ne!(created.id, w.domain.id);
    assert_eq!(accounts.create_domain(&beta, T0).await.unwrap(), None, "a taken name is refused");
    assert_eq!(accounts.domain_by_name(&beta).await.unwrap(), Some(created.clone()));
    let unknown = DomainName::parse("nowhere.example").unwrap();
    assert_eq!(accounts.domain_by_name(&unknown).await.unwrap(), None);
    let names: Vec<String> = accounts.domains().await.unwrap().iter().map(|d| d.name.to_string()).collect();
    assert_eq!(names, ["acme.example", "beta.example"], "domains are listed by name");
}

/// Registration mode and the friendship rule of direct chats are stored per domain.
pub async fn domain_settings_persist<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    let other = accounts.create_domain(&DomainName::parse("other.example").unwrap(), T0).await.unwrap().unwrap();
    accounts.set_registration(w.domain.id, RegistrationMode::Open).await.unwrap();
    accounts.set_direct_requires_friendship(w.domain.id, true).await.unwrap();
    let read = accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap();
    assert_eq!(read.registration, RegistrationMode::Open);
    assert!(read.direct_requires_friendship);
    let untouched = accounts.domain_by_name(&other.name).await.unwrap().unwrap();
    assert_eq!(untouched, other, "settings of one domain leave the others alone");
    accounts.set_registration(w.domain.id, RegistrationMode::Closed).await.unwrap();
    accounts.set_direct_requires_friendship(w.domain.id, false).await.unwrap();
    let read = accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap();
    assert_eq!(read.registration, RegistrationMode::Closed);
    assert!(!read.direct_requires_friendship);
}

/// A batch of accounts is made whole, in order, or not at all: one name taken leaves none of
/// the batch made, not even those before it. A role changes alone.
pub async fn a_batch_of_accounts_is_made_whole_or_not_at_all<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    w.account("taken").await;
    let new = |name: &str, role: Role| NewAccount {
        domain_id: w.domain.id,
        domain: w.domain.name.clone(),
        name: LoginName::parse(name).unwrap(),
        role,
        password_hash: Some(format!("$argon2id$hash-of-{name}")),
        display_name: format!("{name} 显示"),
        name_keys: None,
        pending_approval: false,
        bot: None,
        created_at_ms: T0 + 1,
    };
    let refused = accounts.create_accounts(vec![new("first", Role::Member), new("taken", Role::Member)]).await.unwrap();
    assert_eq!(refused, None);
    let first = LoginName::parse("first").unwrap();
    assert_eq!(accounts.account_by_name(w.domain.id, &first).await.unwrap(), None, "nothing of a refused batch");

    let made = accounts
        .create_accounts(vec![new("first", Role::Member), new("second", Role::DomainAdmin), new("third", Role::Member)])
        .await
        .unwrap()
        .expect("names all free");
    let names: Vec<String> = made.iter().map(|a| a.addr.to_string()).collect();
    assert_eq!(names, ["first@acme.example", "second@acme.example", "third@acme.example"]);
    for account in &made {
        assert_eq!(accounts.account_by_id(account.id).await.unwrap().as_ref(), Some(account), "reads back as made");
    }
    assert_eq!(made[1].role, Role::DomainAdmin);

    assert!(accounts.set_role(made[0].id, Role::DomainAdmin).await.unwrap());
    let promoted = accounts.account_by_id(made[0].id).await.unwrap().unwrap();
    assert_eq!(promoted, magpie_core::model::Account { role: Role::DomainAdmin, ..made[0].clone() });
    assert!(!accounts.set_role(AccountId(i64::MAX), Role::Member).await.unwrap(), "no such account");
}

/// A login name is unique within its domain, not across domains; an account reads back as it
/// was created, by id, by name and by address.
pub async fn account_names_are_unique_per_domain<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    let alice = w.account("alice").await;
    assert_eq!(alice.addr.to_string(), "alice@acme.example");
    assert_eq!(alice.role, Role::Member);
    assert!(!alice.disabled);
    assert_eq!(alice.profile.display_name, "alice display");
    assert_eq!(alice.password_hash.as_deref(), Some("$argon2id$hash-of-alice"));
    assert_eq!(alice.created_at_ms, T0);
    assert_eq!(alice.profile.avatar, None);

    let mut again = new_account(&w, "alice");
    again.display_name = "another alice".into();
    assert_eq!(accounts.create_account(again).await.unwrap(), None, "a taken name is refused");

    let beta = accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    let other_alice = w.account_in(&beta, "alice").await;
    assert_ne!(other_alice.id, alice.id, "the same name in another domain is another account");

    let name = LoginName::parse("alice").unwrap();
    assert_eq!(accounts.account_by_id(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(accounts.account_by_name(w.domain.id, &name).await.unwrap(), Some(alice.clone()));
    assert_eq!(accounts.account_by_name(beta.id, &name).await.unwrap(), Some(other_alice.clone()));
    assert_eq!(accounts.account_by_addr(&beta.name, &name).await.unwrap(), Some(other_alice));
    let nobody = LoginName::parse("nobody").unwrap();
    assert_eq!(accounts.account_by_name(w.domain.id, &nobody).await.unwrap(), None);
    assert_eq!(accounts.account_by_id(AccountId(alice.id.0 + 1000)).await.unwrap(), None);
    let unknown = DomainName::parse("nowhere.example").unwrap();
    assert_eq!(accounts.account_by_addr(&unknown, &name).await.unwrap(), None);

    let mut admin = new_account(&w, "root");
    admin.role = Role::ServerAdmin;
    admin.password_hash = None;
    let admin = accounts.create_account(admin).await.unwrap().unwrap();
    let read = accounts.account_by_id(admin.id).await.unwrap().unwrap();
    assert_eq!(read.role, Role::ServerAdmin);
    assert_eq!(read.password_hash, None, "an account may have no password (a bot)");
}

/// Search matches login or display name, case-insensitively and literally (`_` and `%` are
/// no wildcards), in one domain, by login name, a page at a time; disabled accounts only when
/// asked for.
pub async fn search_pages_by_login_name<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    for name in ["carol", "bob_b", "bobby", "alice", "dave"] {
        w.account(name).await;
    }
    let beta = accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    w.account_in(&beta, "bob2").await;
    let dave = accounts.account_by_name(w.domain.id, &LoginName::parse("dave").unwrap()).await.unwrap().unwrap();
    let patch = ProfilePatch { display_name: Some("Dave BOBSON".into()), ..ProfilePatch::default() };
    accounts.update_profile(dave.id, &patch).await.unwrap();
    let names =
        |list: Vec<magpie_core::model::Account>| list.into_iter().map(|a| a.addr.name.to_string()).collect::<Vec<_>>();
    let d = w.domain.id;

    assert_eq!(names(accounts.search_accounts(d, "BOB", None, 10, false).await.unwrap()), ["bob_b", "bobby", "dave"]);
    assert_eq!(
        names(accounts.search_accounts(d, "", None, 10, false).await.unwrap()),
        ["alice", "bob_b", "bobby", "carol", "dave"]
    );
    assert_eq!(names(accounts.search_accounts(d, "b_b", None, 10, false).await.unwrap()), ["bob_b"], "_ is literal");
    assert!(accounts.search_accounts(d, "%", None, 10, false).await.unwrap().is_empty(), "% is literal");

    let first = names(accounts.search_accounts(d, "", None, 2, false).await.unwrap());
    assert_eq!(first, ["alice", "bob_b"]);
    let after = LoginName::parse("bob_b").unwrap();
    assert_eq!(names(accounts.search_accounts(d, "", Some(&after), 2, false).await.unwrap()), ["bobby", "carol"]);
    let last = LoginName::parse("dave").unwrap();
    assert!(accounts.search_accounts(d, "", Some(&last), 2, false).await.unwrap().is_empty());

    let bobby = accounts.account_by_name(d, &LoginName::parse("bobby").unwrap()).await.unwrap().unwrap();
    accounts.set_disabled(bobby.id, true, T0).await.unwrap();
    assert_eq!(names(accounts.search_accounts(d, "bob", None, 10, false).await.unwrap()), ["bob_b", "dave"]);
    assert_eq!(names(accounts.search_accounts(d, "bob", None, 10, true).await.unwrap()), ["bob_b", "bobby", "dave"]);
}

/// Name search's store part: accounts are found by their keys (equal, then starting with,
/// then containing the query), disabled ones and other domains' never; an account without
/// keys by its login and display name; keys are set only over the name they were made of,
/// and a patch of the name clears them.
pub async fn accounts_are_found_by_name_keys<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    let names =
        |list: Vec<magpie_core::model::Account>| list.into_iter().map(|a| a.addr.name.to_string()).collect::<Vec<_>>();
    let d = w.domain.id;
    let keyed = |name: &str, keys: &str| {
        let mut new = new_account(&w, name);
        new.name_keys = Some(keys.to_owned());
        new
    };
    accounts.create_account(keyed("zs", "\n张三\nzhangsan\nzs\n")).await.unwrap().unwrap();
    accounts.create_account(keyed("zsun", "\n孙张\nsunzhang\nzsun\n")).await.unwrap().unwrap();
    accounts.create_account(keyed("lizs", "\n李\nli\nlizs\n")).await.unwrap().unwrap();
    let off = accounts.create_account(keyed("zs_off", "\nzs\n")).await.unwrap().unwrap();
    accounts.set_disabled(off.id, true, T0).await.unwrap();
    let beta = accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    let mut other = new_account(&w, "zs");
    (other.domain_id, other.domain, other.name_keys) = (beta.id, beta.name.clone(), Some("\nzs\n".into()));
    accounts.create_account(other).await.unwrap().unwrap();
    let legacy = w.account("zed").await;

    // Equal key first, then a key starting with the query, then one containing it.
    assert_eq!(names(accounts.find_accounts(d, "zs", "zs", 10).await.unwrap()), ["zs", "zsun", "lizs"]);
    assert_eq!(names(accounts.find_accounts(d, "张", "张", 10).await.unwrap()), ["zs", "zsun"]);
    assert_eq!(names(accounts.find_accounts(d, "zs", "zs", 1).await.unwrap()), ["zs"], "the limit keeps the best");
    // No keys yet: found by login or display name, in lower case.
    assert_eq!(
        accounts.accounts_without_name_keys(10).await.unwrap().iter().map(|a| a.id).collect::<Vec<_>>(),
        [legacy.id]
    );
    assert_eq!(names(accounts.find_accounts(d, "ze", "ze", 10).await.unwrap()), ["zed"]);

    // Keys are set only over the name they were made of.
    let mut stale = legacy.clone();
    stale.profile.display_name = "someone else".into();
    assert!(!accounts.set_name_keys(&stale, "\nwrong\n").await.unwrap());
    assert!(accounts.set_name_keys(&legacy, "\nzed\nzhede\n").await.unwrap());
    assert!(accounts.accounts_without_name_keys(10).await.unwrap().is_empty());
    assert_eq!(names(accounts.find_accounts(d, "zhede", "zhede", 10).await.unwrap()), ["zed"]);

    // A patch of what keys are made of clears them; one of the signature does not.
    let signed = ProfilePatch { signature: Some(Some("hi".into())), ..ProfilePatch::default() };
    accounts.update_profile(legacy.id, &signed).await.unwrap();
    assert!(accounts.accounts_without_name_keys(10).await.unwrap().is_empty());
    let renamed = ProfilePatch { email: Some(Some("zed@example.com".into())), ..ProfilePatch::default() };
    let after = accounts.update_profile(legacy.id, &renamed).await.unwrap().unwrap();
    assert_eq!(
        accounts.accounts_without_name_keys(10).await.unwrap().iter().map(|a| a.id).collect::<Vec<_>>(),
        [legacy.id]
    );
    assert!(names(accounts.find_accounts(d, "zhede", "zhede", 10).await.unwrap()).is_empty(), "the old keys are gone");
    assert!(!accounts.set_name_keys(&legacy, "\nzed\n").await.unwrap(), "made of the old email");
    assert!(accounts.set_name_keys(&after, "\nzed\nzed@example.com\n").await.unwrap());
}

/// A profile patch sets what it names, clears what it names as `Some(None)` and leaves the
/// rest; patching an unknown account answers `None`.
pub async fn profile_patch_sets_clears_and_keeps<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    let alice = w.account("alice").await;
    let set = ProfilePatch {
        display_name: Some("Alice A.".into()),
        avatar: Some(Some("avatar-1".into())),
        signature: Some(Some("hi".into())),
        email: Some(Some("alice@example.com".into())),
        phone: Some(Some("+1 555".into())),
    };
    let after = accounts.update_profile(alice.id, &set).await.unwrap().expect("the account");
    assert_eq!(after.profile.display_name, "Alice A.");
    assert_eq!(after.profile.avatar.as_deref(), Some("avatar-1"));
    assert_eq!(after.profile.signature.as_deref(), Some("hi"));
    assert_eq!(after.profile.email.as_deref(), Some("alice@example.com"));
    assert_eq!(after.profile.phone.as_deref(), Some("+1 555"));

    let partial = ProfilePatch { avatar: Some(None), phone: Some(Some("+1 777".into())), ..ProfilePatch::default() };
    let after = accounts.update_profile(alice.id, &partial).await.unwrap().unwrap();
    assert_eq!(after.profile.display_name, "Alice A.", "left alone");
    assert_eq!(after.profile.avatar, None, "cleared");
    assert_eq!(after.profile.signature.as_deref(), Some("hi"), "left alone");
    assert_eq!(after.profile.email.as_deref(), Some("alice@example.com"), "left alone");
    assert_eq!(after.profile.phone.as_deref(), Some("+1 777"), "set");
    assert_eq!(accounts.account_by_id(alice.id).await.unwrap(), Some(after.clone()), "what it answers is stored");
    assert_eq!(after.password_hash, alice.password_hash, "a profile patch leaves the password alone");

    let nobody = AccountId(alice.id.0 + 1000);
    assert_eq!(accounts.update_profile(nobody, &partial).await.unwrap(), None);
}

/// A new password hash revokes every other session of the account in the same write, logs
/// each revocation, and keeps the session named.
pub async fn password_change_revokes_other_sessions_atomically<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let sessions = [w.session(&alice).await, w.session(&alice).await, w.session(&alice).await];
    let bobs = w.session(&bob).await;
    let head = w.stores.sessions.revocations_head().await.unwrap();

    let mut revoked =
        w.stores.accounts.set_password_hash(alice.id, "$argon2id$new", Some(sessions[0].id), T0 + 10).await.unwrap();
    revoked.sort();
    assert_eq!(revoked, [sessions[1].id, sessions[2].id]);
    let read = w.stores.accounts.account_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(read.password_hash.as_deref(), Some("$argon2id$new"));
    let live: Vec<SessionId> = w.stores.sessions.sessions(alice.id, T0).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(live, [sessions[0].id], "only the kept session lives");
    assert_eq!(w.stores.sessions.sessions(bob.id, T0).await.unwrap(), [bobs], "other accounts keep theirs");

    let log = w.stores.sessions.revocations_after(head, 100).await.unwrap();
    let mut logged: Vec<(SessionId, RevokeReason)> = log.iter().map(|r| (r.session_id, r.reason)).collect();
    logged.sort_by_key(|(id, _)| *id);
    assert_eq!(
        logged,
        [(sessions[1].id, RevokeReason::PasswordChanged), (sessions[2].id, RevokeReason::PasswordChanged)]
    );

    let all = w.stores.accounts.set_password_hash(alice.id, "$argon2id$newer", None, T0 + 20).await.unwrap();
    assert_eq!(all, [sessions[0].id], "without a session to keep, every live one goes");
    assert!(w.stores.sessions.sessions(alice.id, T0).await.unwrap().is_empty());
}

/// Disabling an account revokes every session with it, logged; enabling revokes nothing.
pub async fn disabling_revokes_every_session<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let alice = w.account("alice").await;
    let sessions = [w.session(&alice).await, w.session(&alice).await];
    let head = w.stores.sessions.revocations_head().await.unwrap();
    let mut revoked = w.stores.accounts.set_disabled(alice.id, true, T0).await.unwrap();
    revoked.sort();
    assert_eq!(revoked, [sessions[0].id, sessions[1].id]);
    assert!(w.stores.accounts.account_by_id(alice.id).await.unwrap().unwrap().disabled);
    assert!(w.stores.sessions.sessions(alice.id, T0).await.unwrap().is_empty());
    let log = w.stores.sessions.revocations_after(head, 100).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.reason == RevokeReason::AccountDisabled));

    let again = w.stores.accounts.set_disabled(alice.id, false, T0).await.unwrap();
    assert!(again.is_empty(), "enabling revokes nothing");
    assert!(!w.stores.accounts.account_by_id(alice.id).await.unwrap().unwrap().disabled);
    assert_eq!(w.stores.sessions.revocations_head().await.unwrap(), log.last().unwrap().seq);
}

/// A live session is found by its token hash, with its account as it is now; a revoked one
/// is not. Touching a session moves its last-seen time.
pub async fn sessions_are_found_by_token_hash_while_live<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let sessions = &w.stores.sessions;
    let alice = w.account("alice").await;
    let new = w.new_session(&alice, T0, 100);
    let hash = new.token_hash;
    let (session, evicted) = sessions.create_session(new).await.unwrap();
    assert!(evicted.is_empty());
    assert_eq!(session.account_id, alice.id);
    assert_eq!(session.device.as_deref(), Some("test device"));
    assert_eq!(session.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!((session.created_at_ms, session.last_seen_at_ms, session.expires_at_ms), (T0, T0, T0 + DAY_MS));

    let (found, account) = sessions.session_by_token_hash(&hash).await.unwrap().expect("the session");
    assert_eq!(found, session);
    assert_eq!(account, alice);
    assert_eq!(sessions.session_by_token_hash(&w.token_hash()).await.unwrap(), None, "an unknown hash");

    // The account is read with the session: a change shows at the next lookup.
    w.stores
        .accounts
        .update_profile(alice.id, &ProfilePatch { display_name: Some("Al".into()), ..Default::default() })
        .await
        .unwrap();
    let (_, account) = sessions.session_by_token_hash(&hash).await.unwrap().unwrap();
    assert_eq!(account.profile.display_name, "Al");

    sessions.touch_session(session.id, T0 + 5_000).await.unwrap();
    let (found, _) = sessions.session_by_token_hash(&hash).await.unwrap().unwrap();
    assert_eq!(found.last_seen_at_ms, T0 + 5_000);
    assert_eq!(sessions.last_seen(alice.id).await.unwrap(), Some(T0 + 5_000));
    let other = w.session_at(&alice, T0 + 7_000).await;
    assert_eq!(sessions.last_seen(alice.id).await.unwrap(), Some(T0 + 7_000), "the newest of its sessions");
    let bob = w.account("bob").await;
    assert_eq!(sessions.last_seen(bob.id).await.unwrap(), None);

    let revoked = sessions
        .revoke_sessions(alice.id, SessionSelector::One(session.id), RevokeReason::Logout, T0 + 10_000)
        .await
        .unwrap();
    assert_eq!(revoked, [session.id]);
    assert_eq!(sessions.session_by_token_hash(&hash).await.unwrap(), None, "a revoked session is not found");
    let again = sessions
        .revoke_sessions(alice.id, SessionSelector::One(session.id), RevokeReason::Logout, T0 + 10_000)
        .await
        .unwrap();
    assert!(again.is_empty(), "a session is revoked once");
    assert_eq!(sessions.sessions(alice.id, T0 + 8_000).await.unwrap(), [other]);
}

/// The session list holds live sessions that have not expired at the given time, newest first.
pub async fn sessions_list_live_unexpired_newest_first<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let alice = w.account("alice").await;
    let old = w.session_at(&alice, T0).await;
    let mid = w.session_at(&alice, T0 + 1_000).await;
    let new = w.session_at(&alice, T0 + 2_000).await;
    let ids = |list: Vec<magpie_core::model::Session>| list.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let sessions = &w.stores.sessions;
    assert_eq!(ids(sessions.sessions(alice.id, T0 + 3_000).await.unwrap()), [new.id, mid.id, old.id]);
    // `old` expires at T0 + DAY_MS: at that moment it is gone from the list.
    assert_eq!(ids(sessions.sessions(alice.id, T0 + DAY_MS).await.unwrap()), [new.id, mid.id]);
    assert!(sessions.sessions(alice.id, T0 + 2_000 + DAY_MS).await.unwrap().is_empty());
    let bob = w.account("bob").await;
    assert!(sessions.sessions(bob.id, T0).await.unwrap().is_empty());
}

/// Past the per-account cap, a new session revokes the oldest live ones (logged as revoked);
/// expired and revoked sessions take no room.
pub async fn session_cap_revokes_the_oldest<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let sessions = &w.stores.sessions;
    let alice = w.account("alice").await;
    let (first, _) = sessions.create_session(w.new_session(&alice, T0, 2)).await.unwrap();
    let (second, _) = sessions.create_session(w.new_session(&alice, T0 + 1, 2)).await.unwrap();
    let head = sessions.revocations_head().await.unwrap();
    let (third, evicted) = sessions.create_session(w.new_session(&alice, T0 + 2, 2)).await.unwrap();
    assert_eq!(evicted, [first.id], "the oldest makes room");
    let log = sessions.revocations_after(head, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].session_id, log[0].reason), (first.id, RevokeReason::Revoked));
    let live: Vec<SessionId> = sessions.sessions(alice.id, T0 + 3).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(live, [third.id, second.id]);

    // A revoked session takes no room.
    sessions.revoke_sessions(alice.id, SessionSelector::One(second.id), RevokeReason::Logout, T0 + 3).await.unwrap();
    let (_, evicted) = sessions.create_session(w.new_session(&alice, T0 + 4, 2)).await.unwrap();
    assert!(evicted.is_empty());
    // Expired sessions take no room: a day later both live ones have expired.
    let (_, evicted) = sessions.create_session(w.new_session(&alice, T0 + 5 + DAY_MS, 2)).await.unwrap();
    assert!(evicted.is_empty(), "expired sessions are not evicted, they are gone");

    // A cap of several evicts as many as needed, oldest first.
    let bob = w.account("bob").await;
    let mut made = vec![];
    for i in 0..4 {
        made.push(sessions.create_session(w.new_session(&bob, T0 + i, 10)).await.unwrap().0.id);
    }
    let (_, mut evicted) = sessions.create_session(w.new_session(&bob, T0 + 10, 2)).await.unwrap();
    evicted.sort();
    assert_eq!(evicted, made[..3], "four live, a cap of two: three make room for the new one");
}

/// Revoking names sessions of one account: another account's session id is left alone (the
/// core passes ids that clients chose).
pub async fn revoking_is_scoped_to_the_account<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let sessions = &w.stores.sessions;
    let alice = w.account("alice").await;
    let bob = w.account("bob").await;
    let a1 = w.session(&alice).await;
    let a2 = w.session(&alice).await;
    let a3 = w.session(&alice).await;
    let b1 = w.session(&bob).await;
    let none =
        sessions.revoke_sessions(alice.id, SessionSelector::One(b1.id), RevokeReason::Revoked, T0).await.unwrap();
    assert!(none.is_empty(), "alice cannot revoke bob's session");
    assert_eq!(sessions.sessions(bob.id, T0).await.unwrap(), std::slice::from_ref(&b1));

    let mut revoked = sessions
        .revoke_sessions(alice.id, SessionSelector::AllExcept(Some(a2.id)), RevokeReason::Revoked, T0)
        .await
        .unwrap();
    revoked.sort();
    assert_eq!(revoked, [a1.id, a3.id]);
    let all =
        sessions.revoke_sessions(alice.id, SessionSelector::AllExcept(None), RevokeReason::Revoked, T0).await.unwrap();
    assert_eq!(all, [a2.id]);
    assert_eq!(sessions.sessions(bob.id, T0).await.unwrap(), [b1]);
}

/// The revocation log is read in order from any point, a page at a time; its head is the
/// newest entry (0 while empty).
pub async fn revocation_log_pages_in_order<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let sessions = &w.stores.sessions;
    assert_eq!(sessions.revocations_head().await.unwrap(), 0);
    assert!(sessions.revocations_after(0, 10).await.unwrap().is_empty());
    let alice = w.account("alice").await;
    let mut made = vec![];
    for _ in 0..5 {
        made.push(w.session(&alice).await);
    }
    let reasons = [
        RevokeReason::Logout,
        RevokeReason::Revoked,
        RevokeReason::PasswordChanged,
        RevokeReason::Expired,
        RevokeReason::AccountDisabled,
    ];
    for (session, reason) in made.iter().zip(reasons) {
        sessions.revoke_sessions(alice.id, SessionSelector::One(session.id), reason, T0).await.unwrap();
    }
    let all = sessions.revocations_after(0, 100).await.unwrap();
    let read: Vec<(SessionId, RevokeReason)> = all.iter().map(|r| (r.session_id, r.reason)).collect();
    let expected: Vec<(SessionId, RevokeReason)> = made.iter().map(|s| s.id).zip(reasons).collect();
    assert_eq!(read, expected, "in the order they were revoked");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "seqs rise");
    assert_eq!(sessions.revocations_head().await.unwrap(), all[4].seq);

    let first = sessions.revocations_after(0, 2).await.unwrap();
    assert_eq!(first, all[..2]);
    let next = sessions.revocations_after(first[1].seq, 2).await.unwrap();
    assert_eq!(next, all[2..4]);
    let last = sessions.revocations_after(next[1].seq, 2).await.unwrap();
    assert_eq!(last, all[4..]);
    assert!(sessions.revocations_after(all[4].seq, 2).await.unwrap().is_empty());
}

/// Pruning forgets sessions revoked or expired before its cut and revocation log entries older
/// than its own; live sessions and newer entries stay.
pub async fn prune_forgets_old_sessions_and_revocations<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let sessions = &w.stores.sessions;
    let alice = w.account("alice").await;
    let revoked_early = w.session_at(&alice, T0).await;
    // Expires at T0 + DAY_MS, before the cut.
    w.session_at(&alice, T0).await;
    let live = w.session_at(&alice, T0 + 2 * DAY_MS).await;
    let revoked_late = w.session_at(&alice, T0 + 2 * DAY_MS).await;
    sessions
        .revoke_sessions(alice.id, SessionSelector::One(revoked_early.id), RevokeReason::Logout, T0 + 100)
        .await
        .unwrap();
    sessions
        .revoke_sessions(alice.id, SessionSelector::One(revoked_late.id), RevokeReason::Logout, T0 + 3 * DAY_MS)
        .await
        .unwrap();
    let before = sessions.revocations_after(0, 10).await.unwrap();
    assert_eq!(before.len(), 2);

    // Sessions that ended before T0 + 1.5 days, revocations logged before T0 + 1 day.
    let cut = T0 + DAY_MS + DAY_MS / 2;
    let gone = sessions.prune(cut, T0 + DAY_MS).await.unwrap();
    assert_eq!(gone, 3, "two sessions (one revoked, one expired) and one revocation");
    let after = sessions.revocations_after(0, 10).await.unwrap();
    assert_eq!(after, before[1..], "only the older revocation went");
    let listed: Vec<SessionId> =
        sessions.sessions(alice.id, T0 + 2 * DAY_MS).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, [live.id]);
    assert_eq!(sessions.prune(cut, T0 + DAY_MS).await.unwrap(), 0, "pruning again finds nothing");
}

fn new_account<F: StoreFactory>(w: &World<'_, F>, name: &str) -> magpie_core::model::NewAccount {
    magpie_core::model::NewAccount {
        domain_id: w.domain.id,
        domain: w.domain.name.clone(),
        name: LoginName::parse(name).unwrap(),
        role: Role::Member,
        password_hash: Some("$argon2id$x".into()),
        display_name: name.into(),
        name_keys: None,
        pending_approval: false,
        bot: None,
        created_at_ms: T0,
    }
}

/// Invitations: a code's hash is used at most `uses_max` times, never once expired or
/// revoked, never in another domain; a refund gives a use back. Registration modes survive as
/// set. Applications: an applicant is created disabled with a pending application; approving
/// enables it and forgets the application, declining keeps it disabled and says so.
pub async fn invitations_and_applications<F: StoreFactory>(f: &F) {
    use magpie_core::model::{ApplicationState, NewInvitation};
    let w = World::new(f).await;
    let accounts = &w.stores.accounts;
    for mode in
        [RegistrationMode::Invitation, RegistrationMode::Approval, RegistrationMode::Open, RegistrationMode::Closed]
    {
        accounts.set_registration(w.domain.id, mode).await.unwrap();
        let domain = accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap();
        assert_eq!(domain.registration, mode);
    }
    let invite = |hash: u8, uses_max: u32, expires_at_ms: i64| NewInvitation {
        domain_id: w.domain.id,
        code_hash: [hash; 32],
        created_by: None,
        note: Some("for the new team".into()),
        uses_max,
        expires_at_ms,
        created_at_ms: T0,
    };
    let two = accounts.create_invitation(invite(1, 2, T0 + 1000)).await.unwrap();
    let revoked = accounts.create_invitation(invite(2, 5, T0 + 1000)).await.unwrap();
    accounts.create_invitation(invite(3, 5, T0 + 10)).await.unwrap();
    assert!(accounts.revoke_invitation(w.domain.id, revoked.id).await.unwrap());
    assert!(!accounts.revoke_invitation(w.domain.id, revoked.id).await.unwrap(), "already revoked");
    let d = w.domain.id;
    assert!(accounts.use_invitation(d, [1; 32], T0).await.unwrap());
    assert!(accounts.use_invitation(d, [1; 32], T0).await.unwrap());
    assert!(!accounts.use_invitation(d, [1; 32], T0).await.unwrap(), "used up");
    accounts.refund_invitation(d, [1; 32]).await.unwrap();
    assert!(accounts.use_invitation(d, [1; 32], T0).await.unwrap(), "a refunded use is there again");
    assert!(!accounts.use_invitation(d, [2; 32], T0).await.unwrap(), "revoked");
    assert!(!accounts.use_invitation(d, [3; 32], T0 + 10).await.unwrap(), "expired");
    assert!(!accounts.use_invitation(d, [9; 32], T0).await.unwrap(), "unknown");
    let beta = accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    assert!(!accounts.use_invitation(beta.id, [3; 32], T0).await.unwrap(), "another domain's");
    let live = accounts.invitations(d, None, 10).await.unwrap();
    assert_eq!(live.len(), 2, "the revoked one is not listed");
    assert!(accounts.invitations(d, Some(magpie_core::model::AccountId(i64::MAX)), 10).await.unwrap().is_empty());
    assert_eq!((live[1].id, live[1].uses, live[1].uses_max), (two.id, 2, 2));
    assert_eq!(live[1].note.as_deref(), Some("for the new team"));

    let applicant = accounts
        .create_account(magpie_core::model::NewAccount { pending_approval: true, ..new_account(&w, "applicant") })
        .await
        .unwrap()
        .unwrap();
    let declined = accounts
        .create_account(magpie_core::model::NewAccount { pending_approval: true, ..new_account(&w, "declined") })
        .await
        .unwrap()
        .unwrap();
    assert!(applicant.disabled);
    assert_eq!(accounts.application_state(applicant.id).await.unwrap(), Some(ApplicationState::Pending));
    let pending = accounts.applications(d, 10).await.unwrap();
    assert_eq!(pending.iter().map(|a| a.account.id).collect::<Vec<_>>(), [applicant.id, declined.id]);
    assert!(accounts.applications(beta.id, 10).await.unwrap().is_empty());
    assert!(accounts.decide_application(applicant.id, true, T0).await.unwrap());
    assert!(!accounts.decide_application(applicant.id, true, T0).await.unwrap(), "decided already");
    assert_eq!(accounts.application_state(applicant.id).await.unwrap(), None);
    assert!(!accounts.account_by_id(applicant.id).await.unwrap().unwrap().disabled);
    assert!(accounts.decide_application(declined.id, false, T0).await.unwrap());
    assert_eq!(accounts.application_state(declined.id).await.unwrap(), Some(ApplicationState::Rejected));
    assert!(accounts.account_by_id(declined.id).await.unwrap().unwrap().disabled);
    assert!(accounts.applications(d, 10).await.unwrap().is_empty());
}
