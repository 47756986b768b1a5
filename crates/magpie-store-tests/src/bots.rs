//! [`BotStore`](magpie_core::ports::BotStore) and the bot parts of accounts and sessions: a
//! bot's account is written with its row, marked as a bot; bots list per domain and owner; a
//! token's scope is kept with its session.

use magpie_core::model::TokenScope;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

/// A bot is made with its account in one write (marked, passwordless), listed by domain and
/// owner, found by its account, described anew; a person's account is no bot; a domain's
/// members may be let make bots.
pub async fn bots_are_written_with_their_accounts<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ann = w.account("ann").await;
    let new = |name: &str, owner| w.new_bot(name, owner);
    let approvals = w.stores.accounts.create_account(new("approvals", Some(ann.id))).await.unwrap().unwrap();
    assert!(approvals.bot && approvals.password_hash.is_none());
    let ops = w.stores.accounts.create_account(new("ops", None)).await.unwrap().unwrap();
    assert!(w.stores.accounts.create_account(new("ops", None)).await.unwrap().is_none(), "the name is taken");

    let read = w.stores.accounts.account_by_id(approvals.id).await.unwrap().unwrap();
    assert!(read.bot, "read back as a bot");
    assert!(!w.stores.accounts.account_by_id(ann.id).await.unwrap().unwrap().bot);
    let bot = w.stores.bots.bot(approvals.id).await.unwrap().unwrap();
    assert_eq!(
        (bot.owner, bot.owner_addr.clone(), bot.description.as_str()),
        (Some(ann.id), Some(ann.addr.clone()), "what approvals does")
    );
    assert_eq!(bot.account, read);
    assert!(w.stores.bots.bot(ann.id).await.unwrap().is_none(), "a person is no bot");

    let all: Vec<_> =
        w.stores.bots.bots(w.domain.id, None, 10).await.unwrap().into_iter().map(|b| b.account.id).collect();
    assert_eq!(all, [approvals.id, ops.id], "by name");
    let anns: Vec<_> =
        w.stores.bots.bots(w.domain.id, Some(ann.id), 10).await.unwrap().into_iter().map(|b| b.account.id).collect();
    assert_eq!(anns, [approvals.id]);
    assert_eq!(w.stores.bots.bots(w.domain.id, None, 1).await.unwrap().len(), 1, "bounded");
    let other_name = magpie_core::names::DomainName::parse(&format!("bots{}.example", w.unique())).unwrap();
    let other = w.stores.accounts.create_domain(&other_name, T0).await.unwrap().unwrap();
    assert!(w.stores.bots.bots(other.id, None, 10).await.unwrap().is_empty(), "per domain");
    assert_eq!(w.stores.bots.bot(ops.id).await.unwrap().unwrap().owner_addr, None, "the operator's");

    w.stores.bots.set_bot_description(approvals.id, "leave requests").await.unwrap();
    assert_eq!(w.stores.bots.bot(approvals.id).await.unwrap().unwrap().description, "leave requests");

    assert!(!w.stores.accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap().members_make_bots);
    w.stores.accounts.set_members_make_bots(w.domain.id, true).await.unwrap();
    assert!(w.stores.accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap().members_make_bots);
}

/// A token's scope is kept with its session and read back with it, by token and in the list;
/// a login's session has none.
pub async fn a_tokens_scope_is_kept_with_its_session<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ann = w.account("ann").await;
    let group = w.group(&ann, &[]).await;
    let scope = TokenScope { conversations: Some(vec![group.id]), read: false, send: true, hook: true, app: None };
    let mut new = w.new_session(&ann, T0, 10);
    new.scope = Some(scope.clone());
    let hash = new.token_hash;
    let (session, _) = w.stores.sessions.create_session(new).await.unwrap();
    assert_eq!(session.scope.as_ref(), Some(&scope));
    let (found, _) = w.stores.sessions.session_by_token_hash(&hash).await.unwrap().unwrap();
    assert_eq!(found.scope, Some(scope.clone()));
    let login = w.session(&ann).await;
    assert_eq!(login.scope, None);
    let listed = w.stores.sessions.sessions(ann.id, T0).await.unwrap();
    let scopes: Vec<_> = listed.iter().map(|s| (s.id, s.scope.clone())).collect();
    assert!(scopes.contains(&(session.id, Some(scope))) && scopes.contains(&(login.id, None)), "{scopes:?}");
}
