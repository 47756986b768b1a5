//! [`LedgerStore`](magpie_core::ports::LedgerStore): a movement is applied whole or not at all,
//! once under its key; no wallet or hold goes below zero, also when many movements take from
//! one wallet at once; each pocket's history holds its running balance; a domain's ledger is
//! its own; and the balances reconcile, as [`magpie_core::ledger::Ledger`] (the model) says.

use magpie_core::ledger::{Applied, Fen, Hold, Ledger, Leg, Movement, MovementError, Pocket};
use magpie_core::model::AccountId;
use magpie_core::names::DomainName;

use crate::StoreFactory;
use crate::fixtures::{T0, World};

const ALIPAY: Pocket = Pocket::Outside(0);

pub async fn a_movement_is_made_once_whole_and_never_overdraws<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ledger = &w.stores.ledger;
    let domain = w.domain.id;
    let (alice, bob) = (w.account("alice").await, w.account("bob").await);
    let (alice, bob) = (Pocket::Wallet(alice.id), Pocket::Wallet(bob.id));
    let mut model = Ledger::new();
    let mut both = async |m: Movement, at: i64| {
        let stored = ledger.apply_movement(domain, &m, T0 + at).await.unwrap();
        assert_eq!(stored, model.apply(&m), "{m:?}: the store and the model agree");
        stored
    };

    let top_up = Movement::transfer("top-up-1", ALIPAY, alice, Fen(1000));
    assert_eq!(both(top_up.clone(), 1).await, Ok(Applied::Moved));
    assert_eq!(both(top_up, 2).await, Ok(Applied::Again), "a retry moves nothing");
    // The same key with other legs (given in another order: the same legs count as the same).
    let reordered = Movement {
        key: "top-up-1".into(),
        legs: vec![Leg { pocket: alice, amount: 1000 }, Leg { pocket: ALIPAY, amount: -1000 }],
    };
    assert_eq!(both(reordered, 3).await, Ok(Applied::Again));
    assert_eq!(both(Movement::transfer("top-up-1", ALIPAY, alice, Fen(999)), 4).await, Err(MovementError::KeyReused));
    assert_eq!(
        both(Movement::transfer("pay-1", alice, bob, Fen(1001)), 5).await,
        Err(MovementError::Insufficient(alice))
    );
    assert_eq!(both(Movement::transfer("pay-2", bob, alice, Fen(1)), 6).await, Err(MovementError::Insufficient(bob)));

    // A red packet of 600: held, then grabbed in two shares.
    let packet = Pocket::Held(Hold::Packet(7));
    assert_eq!(both(Movement::transfer("send-7", alice, packet, Fen(600)), 7).await, Ok(Applied::Moved));
    assert_eq!(both(Movement::transfer("grab-7-1", packet, bob, Fen(250)), 8).await, Ok(Applied::Moved));
    assert_eq!(
        both(Movement::transfer("grab-7-2", packet, alice, Fen(351)), 9).await,
        Err(MovementError::Insufficient(packet))
    );
    assert_eq!(both(Movement::transfer("grab-7-2", packet, alice, Fen(350)), 10).await, Ok(Applied::Moved));
    // A malformed movement is refused as the rules say, and moves nothing.
    let unbalanced =
        Movement { key: "bad".into(), legs: vec![Leg { pocket: alice, amount: -5 }, Leg { pocket: bob, amount: 6 }] };
    assert_eq!(both(unbalanced, 10).await, Err(MovementError::Unbalanced));
    // A refused key is free: it moved nothing.
    assert_eq!(both(Movement::transfer("pay-1", alice, bob, Fen(50)), 11).await, Ok(Applied::Moved));

    for pocket in [alice, bob, packet, ALIPAY] {
        assert_eq!(ledger.pocket_balance(domain, pocket).await.unwrap(), model.balance(pocket), "{pocket:?}");
    }
    assert_eq!(ledger.pocket_balance(domain, Pocket::Held(Hold::Transfer(1))).await.unwrap(), Fen::ZERO);
    assert_eq!(ledger.reconciliation(domain).await.unwrap(), (Fen(1000), Fen(1000)));
    assert_eq!(model.reconciliation(), (Fen(1000), Fen(1000)));

    // Alice's history, newest first, with her running balance; a page before a movement.
    let history = ledger.pocket_history(domain, alice, None, 10).await.unwrap();
    let lines: Vec<(&str, i64, i64)> = history.iter().map(|l| (l.key.as_str(), l.amount, l.balance_after)).collect();
    assert_eq!(lines, [("pay-1", -50, 700), ("grab-7-2", 350, 750), ("send-7", -600, 400), ("top-up-1", 1000, 1000)]);
    assert_eq!(history[0].at_ms, T0 + 11);
    let older = ledger.pocket_history(domain, alice, Some(history[1].movement), 1).await.unwrap();
    assert_eq!(older.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(), ["send-7"]);

    // Another domain's ledger is its own: the same key is free there, and its balances apart.
    let other =
        w.stores.accounts.create_domain(&DomainName::parse("other.example").unwrap(), T0).await.unwrap().unwrap();
    let carol = Pocket::Wallet(AccountId(999_001));
    let there = Movement::transfer("top-up-1", ALIPAY, carol, Fen(5));
    assert_eq!(ledger.apply_movement(other.id, &there, T0).await.unwrap(), Ok(Applied::Moved));
    assert_eq!(ledger.reconciliation(other.id).await.unwrap(), (Fen(5), Fen(5)));
    assert_eq!(ledger.reconciliation(domain).await.unwrap(), (Fen(1000), Fen(1000)));
    assert_eq!(ledger.pocket_balance(domain, ALIPAY).await.unwrap(), Fen(-1000));
}

/// Fifty payments of 30 at once from a wallet of 300, half of them sent twice: exactly ten move
/// money, each key at most once, and the wallet ends at zero.
pub async fn racing_movements_never_overdraw_or_move_a_key_twice<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ledger = w.stores.ledger.clone();
    let domain = w.domain.id;
    let payer = Pocket::Wallet(w.account("alice").await.id);
    let top_up = Movement::transfer("top-up", ALIPAY, payer, Fen(300));
    assert_eq!(ledger.apply_movement(domain, &top_up, T0).await.unwrap(), Ok(Applied::Moved));
    let mut tasks = Vec::new();
    for n in 0..75_i64 {
        // Keys 0 to 49; 0 to 24 twice.
        let key = format!("pay-{}", n % 50);
        let to = Pocket::Wallet(AccountId(1_000 + n % 50));
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let m = Movement::transfer(key, payer, to, Fen(30));
            (n % 50, ledger.apply_movement(domain, &m, T0 + 1).await.unwrap())
        }));
    }
    let mut moved = std::collections::HashMap::new();
    for task in tasks {
        let (key, outcome) = task.await.unwrap();
        match outcome {
            Ok(Applied::Moved) => *moved.entry(key).or_insert(0) += 1,
            Ok(Applied::Again) | Err(MovementError::Insufficient(_)) => {}
            other => panic!("pay-{key}: {other:?}"),
        }
    }
    assert_eq!(moved.values().sum::<i32>(), 10, "exactly what the wallet held: {moved:?}");
    assert!(moved.values().all(|&n| n == 1), "no key moved money twice: {moved:?}");
    assert_eq!(ledger.pocket_balance(domain, payer).await.unwrap(), Fen::ZERO);
    for key in moved.keys() {
        let to = Pocket::Wallet(AccountId(1_000 + key));
        assert_eq!(ledger.pocket_balance(domain, to).await.unwrap(), Fen(30));
    }
    assert_eq!(ledger.reconciliation(domain).await.unwrap(), (Fen(300), Fen(300)));
}
