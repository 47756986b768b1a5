//! [`MailStore`](magpie_core::ports::MailStore): the mail outbox (bounded, claimed once, retried)
//! and the mailed codes (used once, dead after their tries or time).

use magpie_core::mail::{CodeCheck, CodePurpose, EmailCodeKey, NewEmailCode, OutgoingMail};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn mail(to: &str) -> OutgoingMail {
    OutgoingMail { to: to.into(), subject: "你好 hello".into(), text: "text".into(), html: "<p>html</p>".into() }
}

/// The outbox holds at most its bound; a due mail is claimed by one claimer until its lease
/// runs out; a failed one is due again at its retry time; a sent one is gone.
pub async fn the_outbox_is_bounded_and_claimed_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.mail;
    assert!(store.enqueue_mail(&mail("a@acme.com"), T0, 2).await.unwrap());
    assert!(store.enqueue_mail(&mail("b@acme.com"), T0 + 1, 2).await.unwrap());
    assert!(!store.enqueue_mail(&mail("c@acme.com"), T0 + 2, 2).await.unwrap(), "full");
    assert_eq!(store.outbox_len().await.unwrap(), 2);

    let (x, y) = tokio::join!(store.claim_mail(T0 + 10, 1000, 10), store.claim_mail(T0 + 10, 1000, 10));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 2, "each mail claimed once");
    let claimed: Vec<_> = x.into_iter().chain(y).collect();
    let a = claimed.iter().find(|m| m.mail.to == "a@acme.com").unwrap();
    assert_eq!((a.mail.clone(), a.attempts, a.created_at_ms), (mail("a@acme.com"), 0, T0));
    assert!(store.claim_mail(T0 + 500, 1000, 10).await.unwrap().is_empty(), "held");

    store.mail_failed(a.id, T0 + 2000, "421 try later").await.unwrap();
    store.delete_mail(claimed.iter().find(|m| m.mail.to == "b@acme.com").unwrap().id).await.unwrap();
    assert!(store.claim_mail(T0 + 1500, 1000, 10).await.unwrap().is_empty(), "not due again yet");
    let again = store.claim_mail(T0 + 2000, 1000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].mail.to.as_str(), again[0].attempts), ("a@acme.com", 1));
    store.delete_mail(again[0].id).await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
}

/// A code is used once, however many try it at once; wrong tries count and kill it; it dies
/// at its time; a new one replaces the old; a restored one is good again.
pub async fn a_code_is_used_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.mail;
    let key = EmailCodeKey { domain: w.domain.id, purpose: CodePurpose::Register, subject: "g@acme.com".into() };
    let reset = EmailCodeKey { purpose: CodePurpose::Reset, ..key.clone() };
    let (right, wrong) = ([1u8; 32], [2u8; 32]);
    let put =
        |key: &EmailCodeKey, hash, expires_at_ms| NewEmailCode { key: key.clone(), code_hash: hash, expires_at_ms };
    assert_eq!(store.use_email_code(&key, right, T0, 5).await.unwrap(), CodeCheck::Missing);
    store.put_email_code(&put(&key, right, T0 + 1000)).await.unwrap();
    assert_eq!(store.use_email_code(&reset, right, T0, 5).await.unwrap(), CodeCheck::Missing, "another purpose");
    assert_eq!(store.use_email_code(&key, wrong, T0, 5).await.unwrap(), CodeCheck::Wrong);
    let (a, b) = tokio::join!(store.use_email_code(&key, right, T0, 5), store.use_email_code(&key, right, T0, 5));
    let mut got = [a.unwrap(), b.unwrap()];
    got.sort_by_key(|c| *c == CodeCheck::Used);
    assert_eq!(got, [CodeCheck::Missing, CodeCheck::Used], "used once");
    store.restore_email_code(&key, right).await.unwrap();
    assert_eq!(store.use_email_code(&key, right, T0, 5).await.unwrap(), CodeCheck::Used, "restored");

    // Two wrong tries of two allowed kill it; a new code starts afresh; time kills it too.
    store.put_email_code(&put(&key, right, T0 + 1000)).await.unwrap();
    for _ in 0..2 {
        assert_eq!(store.use_email_code(&key, wrong, T0, 2).await.unwrap(), CodeCheck::Wrong);
    }
    assert_eq!(store.use_email_code(&key, right, T0, 2).await.unwrap(), CodeCheck::Missing);
    store.put_email_code(&put(&key, right, T0 + 1000)).await.unwrap();
    assert_eq!(store.use_email_code(&key, right, T0 + 1000, 2).await.unwrap(), CodeCheck::Missing, "expired");
    assert_eq!(store.prune_email_codes(T0 + 1001).await.unwrap(), 1);
}

/// Accounts keep their mail language; domains their email rules.
pub async fn locales_and_email_rules_are_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.mail;
    let ann = w.account("ann").await;
    assert_eq!(store.locale(ann.id).await.unwrap(), None);
    store.set_locale(ann.id, "zh").await.unwrap();
    assert_eq!(store.locale(ann.id).await.unwrap().as_deref(), Some("zh"));
    store.set_signup_email(w.domain.id, true, &["acme.com".into(), "acme.cn".into()]).await.unwrap();
    let domain = w.stores.accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap();
    assert!(domain.email_verification);
    assert_eq!(domain.email_domains, ["acme.com", "acme.cn"]);
    store.set_signup_email(w.domain.id, false, &[]).await.unwrap();
    let domain = w.stores.accounts.domain_by_name(&w.domain.name).await.unwrap().unwrap();
    assert!(!domain.email_verification && domain.email_domains.is_empty());
}

/// Notification preferences are kept whole per account, with the event that tells its devices
/// in the same write.
pub async fn notification_prefs_are_kept_per_account<F: StoreFactory>(f: &F) {
    use magpie_core::chat::AccountEvent;
    use magpie_core::notify::{Level, NotifyPrefs, QuietHours};
    let w = World::new(f).await;
    let store = &w.stores.notify;
    let (ann, bob) = (w.account("ann").await, w.account("bob").await);
    assert_eq!(store.notify_prefs(ann.id).await.unwrap(), None);
    let prefs = NotifyPrefs {
        level: Level::Mentions,
        quiet: Some(QuietHours { from_min: 1320, to_min: 480 }),
        time_zone: "Asia/Shanghai".into(),
        keywords: vec!["发布".into()],
        ..NotifyPrefs::default()
    };
    store.put_notify_prefs(ann.id, &prefs, vec![(ann.id, AccountEvent::NotifyPrefsChanged)], T0).await.unwrap();
    assert_eq!(store.notify_prefs(ann.id).await.unwrap(), Some(prefs.clone()));
    assert_eq!(w.events(&ann).await, [AccountEvent::NotifyPrefsChanged]);
    let quieter = NotifyPrefs { level: Level::Nothing, ..prefs };
    store.put_notify_prefs(ann.id, &quieter, vec![], T0 + 1).await.unwrap();
    assert_eq!(store.notify_prefs(ann.id).await.unwrap(), Some(quieter));
    assert_eq!(store.notify_prefs(bob.id).await.unwrap(), None);
}
