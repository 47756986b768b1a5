//! Email digests' part of [`NotifyStore`](magpie_core::ports::NotifyStore): who of a
//! conversation wants digests, the items waiting (bounded per account, noted once), claimed
//! once per due account, moved on, finished, and dropped when digests are turned off.

use magpie_core::chat::MemberSettingsPatch;
use magpie_core::digest::DigestItem;
use magpie_core::model::{Account, ConversationId, ProfilePatch, Seq};
use magpie_core::notify::{NotifyPrefs, Why};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

const MIN: i64 = 60_000;

async fn wants_digests<F: StoreFactory>(w: &World<'_, F>, account: &Account, email: Option<&str>, on: bool) {
    let patch = ProfilePatch { email: Some(email.map(str::to_owned)), ..ProfilePatch::default() };
    w.stores.accounts.update_profile(account.id, &patch).await.unwrap();
    let prefs = NotifyPrefs { email_digest: on, digest_after_mins: 30, ..NotifyPrefs::default() };
    w.stores.notify.put_notify_prefs(account.id, &prefs, vec![], T0).await.unwrap();
}

fn item(account: &Account, conversation: ConversationId, seq: i64, due_at_ms: i64) -> DigestItem {
    DigestItem { account: account.id, conversation, seq: Seq(seq), why: Why::Direct, at_ms: T0 + seq, due_at_ms }
}

/// The audience is the active members but the sender whose accounts have digests on and an
/// email address, with their settings; items are noted once and bounded; a due account is
/// claimed once, with all its items (a digest is the account's), moved on, finished; turning
/// digests off drops them.
pub async fn digests_wait_are_claimed_once_and_end<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.notify;
    let (a, b, c, d) = (w.account("ann").await, w.account("bob").await, w.account("cai").await, w.account("dan").await);
    wants_digests(&w, &b, Some("bob@mail.example"), true).await;
    wants_digests(&w, &c, None, true).await;
    wants_digests(&w, &d, Some("dan@mail.example"), false).await;
    wants_digests(&w, &a, Some("ann@mail.example"), true).await;
    let group = w.group(&a, &[&b, &c, &d]).await;
    let muted = MemberSettingsPatch { muted: Some(true), ..MemberSettingsPatch::default() };
    w.stores.log.update_member_settings(group.id, b.id, muted, vec![], T0).await.unwrap();
    let audience = store.digest_audience(group.id, a.id).await.unwrap();
    let who: Vec<_> = audience.iter().map(|m| m.account).collect();
    assert_eq!(who, [b.id], "not the sender, not without an email address, not with digests off");
    assert_eq!(audience[0].conversation.muted_until_ms, Some(i64::MAX), "with the member's own settings");
    assert_eq!((audience[0].prefs.digest_after_mins, audience[0].addr.clone()), (30, b.addr.clone()));

    let g = group.id;
    store.add_digest_items(&[item(&b, g, 1, T0), item(&b, g, 2, T0 + 10 * MIN), item(&a, g, 1, T0)], 3).await.unwrap();
    store.add_digest_items(&[item(&b, g, 1, T0 + MIN), item(&b, g, 3, T0), item(&b, g, 4, T0)], 3).await.unwrap();
    // Due at T0: bob's 1 (noted once, its first due time kept) and 3 (4 was past the bound),
    // and ann's 1; bob's digest takes his 2 as well, due later: one mail, not two.
    assert!(store.claim_digests(T0 - 1, 5 * MIN, 10).await.unwrap().is_empty(), "nothing due yet");
    let claimed = store.claim_digests(T0, 5 * MIN, 10).await.unwrap();
    let mut got: Vec<(i64, Vec<i64>)> =
        claimed.iter().map(|d| (d.account.0, d.items.iter().map(|i| i.seq.0).collect())).collect();
    got.sort();
    let mut want = vec![(a.id.0, vec![1]), (b.id.0, vec![1, 2, 3])];
    want.sort();
    assert_eq!(got, want);
    assert!(store.claim_digests(T0 + MIN, 5 * MIN, 10).await.unwrap().is_empty(), "held by the claim");
    // Bob was seen: his items wait, and so does one noted meanwhile, due before they are; ann's
    // digest went.
    store.postpone_digest(b.id, T0 + 20 * MIN).await.unwrap();
    store.finish_digest(a.id, &[(g, Seq(1))]).await.unwrap();
    store.add_digest_items(&[item(&b, g, 5, T0)], 4).await.unwrap();
    // The claim finds bob due by his 5, and finds him seen again: everything waits once more.
    let early = store.claim_digests(T0 + 2 * MIN, 5 * MIN, 10).await.unwrap();
    assert_eq!(early[0].items.iter().map(|i| i.seq.0).collect::<Vec<_>>(), [1, 2, 3, 5]);
    store.postpone_digest(b.id, T0 + 20 * MIN).await.unwrap();
    assert!(store.claim_digests(T0 + 19 * MIN, 5 * MIN, 10).await.unwrap().is_empty());
    let again = store.claim_digests(T0 + 20 * MIN, 5 * MIN, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].items.iter().map(|i| i.seq.0).collect::<Vec<_>>(), [1, 2, 3, 5]);
    assert_eq!(again[0].items[0].why, Why::Direct);
    // A claim that ran out (its node died) is taken again.
    assert!(store.claim_digests(T0 + 24 * MIN, 5 * MIN, 10).await.unwrap().is_empty(), "still held");
    assert_eq!(store.claim_digests(T0 + 25 * MIN, 5 * MIN, 10).await.unwrap().len(), 1);
    store.finish_digest(b.id, &[(g, Seq(1)), (g, Seq(2))]).await.unwrap();
    // Turning digests off drops what waits.
    wants_digests(&w, &b, Some("bob@mail.example"), false).await;
    assert!(store.claim_digests(T0 + 60 * MIN, 5 * MIN, 10).await.unwrap().is_empty());
    assert!(store.digest_audience(group.id, a.id).await.unwrap().is_empty());
}
