//! Wallets (issue 21) through the real server: an administrator credits a member's wallet once
//! under a key, the member reads the balance and bill history, the credit is audited, the
//! domain reconciles, and no one else (a member, another domain's administrator) may credit or
//! read the ledger.

use magpie_client::wire::{self, ErrorCode};

use crate::harness::TestServer;

fn credit(amount_fen: i64, key: &str) -> wire::CreditRequest {
    wire::CreditRequest { amount_fen, key: key.into(), reason: Some("春节红包 bonus".into()) }
}

#[tokio::test]
async fn an_administrators_credit_reaches_the_wallet_once_and_the_ledger_reconciles() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    let empty = alice.client.wallet(&wire::WalletQuery::default()).await.unwrap();
    assert_eq!((empty.balance_fen, empty.lines.len(), empty.more), (0, 0, false));

    let first = admin.client.admin_credit("alice@localhost", &credit(88_800, "bonus-2026")).await.unwrap();
    assert_eq!(first, wire::Credited { moved: true, balance_fen: 88_800 });
    // The same request again (a retry after a lost answer) moves nothing more.
    let again = admin.client.admin_credit("alice@localhost", &credit(88_800, "bonus-2026")).await.unwrap();
    assert_eq!(again, wire::Credited { moved: false, balance_fen: 88_800 });
    // The key used for another amount is refused, and changes nothing.
    let reused = admin.client.admin_credit("alice@localhost", &credit(1, "bonus-2026")).await.unwrap_err();
    assert_eq!(reused.code(), Some(ErrorCode::AlreadyExists));
    admin.client.admin_credit("alice@localhost", &credit(1_200, "team-lunch")).await.unwrap();

    let wallet = alice.client.wallet(&wire::WalletQuery::default()).await.unwrap();
    assert_eq!(wallet.balance_fen, 90_000);
    let lines: Vec<(&str, i64, i64)> =
        wallet.lines.iter().map(|l| (l.kind.as_str(), l.amount_fen, l.balance_after_fen)).collect();
    assert_eq!(
        lines,
        [("credit", 1_200, 90_000), ("credit", 88_800, 88_800)],
        "newest first, with the running balance"
    );
    let page = alice.client.wallet(&wire::WalletQuery { before: None, limit: Some(1) }).await.unwrap();
    assert!(page.more);
    let older =
        alice.client.wallet(&wire::WalletQuery { before: Some(page.lines[0].movement), limit: Some(1) }).await.unwrap();
    assert_eq!((older.lines[0].amount_fen, older.more), (88_800, false));

    let ledger = admin.client.admin_ledger("localhost").await.unwrap();
    assert_eq!(
        ledger,
        wire::Reconciliation { domain: "localhost".into(), held_fen: 90_000, net_in_fen: 90_000, balanced: true }
    );
    let audit = wire::AuditQuery { action: Some("wallet.credit".into()), ..Default::default() };
    let records = admin.client.admin_audit(&audit).await.unwrap().records;
    assert_eq!(records.len(), 2, "each credit that moved money, once: {records:?}");
}

#[tokio::test]
async fn bad_credits_are_refused_by_field_and_only_the_domains_administrators_credit() {
    let server = TestServer::start().await;
    let admin = server.admin_user("boss").await;
    let alice = server.user("alice").await;
    for (request, field) in [
        (credit(0, "k"), "amount_fen"),
        (credit(10_000_001, "k"), "amount_fen"),
        (credit(100, ""), "key"),
        (credit(100, &"k".repeat(65)), "key"),
    ] {
        let err = admin.client.admin_credit("alice@localhost", &request).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{request:?}");
        assert_eq!(err.field(), Some(field), "{request:?}");
    }
    let long = wire::CreditRequest { reason: Some("原因".repeat(101)), ..credit(100, "k") };
    assert_eq!(
        admin.client.admin_credit("alice@localhost", &long).await.unwrap_err().code(),
        Some(ErrorCode::TooLarge)
    );
    let nobody = admin.client.admin_credit("nobody@localhost", &credit(100, "k")).await.unwrap_err();
    assert_eq!(nobody.code(), Some(ErrorCode::NotFound));
    let wallet = alice.client.wallet(&wire::WalletQuery { before: None, limit: Some(101) }).await.unwrap_err();
    assert_eq!(wallet.code(), Some(ErrorCode::InvalidField));

    // A member credits no one, and reads no ledger.
    let self_credit = alice.client.admin_credit("alice@localhost", &credit(100, "mine")).await.unwrap_err();
    assert_eq!(self_credit.code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.admin_ledger("localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    // Another domain's administrator neither.
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    let outsider = server.login(&server.create("eve@other.example", &["--admin"]).await).await;
    let across = outsider.client.admin_credit("alice@localhost", &credit(100, "x")).await.unwrap_err();
    assert_eq!(across.code(), Some(ErrorCode::NotFound));
    assert_eq!(outsider.client.admin_ledger("localhost").await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.wallet(&wire::WalletQuery::default()).await.unwrap().balance_fen, 0, "nothing moved");
}
