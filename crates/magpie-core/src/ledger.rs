//! The rules of money (red packets, AA collections, transfers): amounts in integer fen, the
//! double-entry movements that every change of a balance is made of, and how a red packet's
//! total is split into its shares.
//!
//! Money sits in **pockets**: a member's wallet, a hold (a red packet, a transfer or an AA
//! collection that holds money in flight), or the outside world (what came in through a payment
//! provider, and went out, negated). A **movement** moves money between pockets: its legs sum to
//! zero, and its idempotency key makes it happen at most once. So at every moment the balances
//! of all pockets of a domain sum to zero, which is the reconciliation: wallets plus holds equal
//! the money that came in less the money that went out. Wallets and holds never go below zero;
//! only the outside does (by what came in, net).
//!
//! This module knows no store: [`check`] says what a movement may be before one is applied, and
//! [`Ledger`] applies movements in memory by the same rules, the model that a store's ledger
//! ([`crate::ports::LedgerStore`]) is held to. Nothing here is reachable by users yet (issue 21
//! builds on it).

use std::collections::HashMap;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::model::AccountId;

/// An amount of money in fen (0.01 yuan): whole numbers only, never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }
}

impl std::fmt::Display for Fen {
    /// As yuan with two decimals: `12.34`, `-0.05`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The largest amount one leg of a movement may carry: 100,000,000 yuan. Far above any limit an
/// administrator sets, and far enough below `i64::MAX` that no sum of a movement's legs overflows.
pub const LEG_FEN_MAX: i64 = 10_000_000_000;
/// The most legs one movement has (a red packet's refund and its grabs are movements of two).
pub const LEGS_MAX: usize = 16;
/// The longest idempotency key, in bytes.
pub const KEY_BYTES_MAX: usize = 128;
/// The most shares a red packet is split into.
pub const SHARES_MAX: u32 = 10_000;

/// Where money holds money in flight between people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hold {
    /// A red packet's ungrabbed shares, until the last is grabbed or the rest goes back.
    Packet(i64),
    /// A transfer in a direct chat, until it is accepted, declined or expires.
    Transfer(i64),
    /// An AA collection's payments, until it is closed (paid out) or refunded.
    Collection(i64),
}

/// A pocket of money in a domain's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pocket {
    Wallet(AccountId),
    Held(Hold),
    /// The world outside the domain, through one payment provider (by its name's index in the
    /// domain's configuration): money in makes it negative, money out positive again.
    Outside(u16),
}

impl Pocket {
    /// Whether the pocket's balance may go below zero: only the outside's.
    pub fn may_go_negative(self) -> bool {
        matches!(self, Pocket::Outside(_))
    }

    /// The pocket as stores keep it: a kind and an id.
    pub fn parts(self) -> (&'static str, i64) {
        match self {
            Pocket::Wallet(account) => ("wallet", account.0),
            Pocket::Held(Hold::Packet(id)) => ("packet", id),
            Pocket::Held(Hold::Transfer(id)) => ("transfer", id),
            Pocket::Held(Hold::Collection(id)) => ("collection", id),
            Pocket::Outside(provider) => ("outside", i64::from(provider)),
        }
    }

    /// The pocket of a kind and an id as [`Pocket::parts`] gives them.
    pub fn from_parts(kind: &str, id: i64) -> Option<Pocket> {
        Some(match kind {
            "wallet" => Pocket::Wallet(AccountId(id)),
            "packet" => Pocket::Held(Hold::Packet(id)),
            "transfer" => Pocket::Held(Hold::Transfer(id)),
            "collection" => Pocket::Held(Hold::Collection(id)),
            "outside" => Pocket::Outside(u16::try_from(id).ok()?),
            _ => return None,
        })
    }
}

/// One leg of a movement: `amount` into the pocket (positive) or out of it (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub pocket: Pocket,
    pub amount: i64,
}

/// A balanced change of balances, made at most once under its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub key: String,
    pub legs: Vec<Leg>,
}

impl Movement {
    /// `amount` from one pocket to another.
    pub fn transfer(key: impl Into<String>, from: Pocket, to: Pocket, amount: Fen) -> Movement {
        Movement {
            key: key.into(),
            legs: vec![Leg { pocket: from, amount: -amount.0 }, Leg { pocket: to, amount: amount.0 }],
        }
    }
}

/// Why a movement is refused. Each changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MovementError {
    #[error("the idempotency key is empty or longer than {KEY_BYTES_MAX} bytes")]
    BadKey,
    #[error("a movement has 2 to {LEGS_MAX} legs")]
    LegCount,
    #[error("leg {0} moves nothing")]
    ZeroLeg(usize),
    #[error("leg {0} moves more than {LEG_FEN_MAX} fen")]
    LegTooLarge(usize),
    #[error("leg {0} names a pocket that another leg names")]
    PocketTwice(usize),
    #[error("the legs do not sum to zero")]
    Unbalanced,
    /// Applying it would take a wallet or hold below zero.
    #[error("{0:?} holds too little")]
    Insufficient(Pocket),
    /// The key moved money before, by another movement.
    #[error("the idempotency key was used for another movement")]
    KeyReused,
}

/// Checks a movement's shape: a key, 2 to [`LEGS_MAX`] legs of bounded, non-zero amounts on
/// distinct pockets, summing to zero.
pub fn check(movement: &Movement) -> Result<(), MovementError> {
    if movement.key.is_empty() || movement.key.len() > KEY_BYTES_MAX {
        return Err(MovementError::BadKey);
    }
    if !(2..=LEGS_MAX).contains(&movement.legs.len()) {
        return Err(MovementError::LegCount);
    }
    let mut sum: i64 = 0;
    for (i, leg) in movement.legs.iter().enumerate() {
        if leg.amount == 0 {
            return Err(MovementError::ZeroLeg(i));
        }
        if leg.amount.unsigned_abs() > LEG_FEN_MAX.unsigned_abs() {
            return Err(MovementError::LegTooLarge(i));
        }
        if movement.legs[..i].iter().any(|l| l.pocket == leg.pocket) {
            return Err(MovementError::PocketTwice(i));
        }
        // At most LEGS_MAX legs of at most LEG_FEN_MAX each: this cannot overflow.
        sum += leg.amount;
    }
    if sum != 0 {
        return Err(MovementError::Unbalanced);
    }
    Ok(())
}

/// Whether two movements' legs are the same, in any order: a retry of a movement is the same
/// movement however its legs are listed.
pub fn same_legs(a: &[Leg], b: &[Leg]) -> bool {
    let key = |l: &Leg| (l.pocket, l.amount);
    let mut a: Vec<_> = a.iter().map(key).collect();
    let mut b: Vec<_> = b.iter().map(key).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// What applying a movement did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// It moved the money.
    Moved,
    /// Its key moved the same money before: nothing moved now (a retry).
    Again,
}

/// A domain's ledger in memory: balances by pocket and the movements made, by key. The rules a
/// store's ledger keeps in its own writes, and the model its tests compare with.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    balances: HashMap<Pocket, i64>,
    made: HashMap<String, Vec<Leg>>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// A pocket's balance (zero for one that never held money).
    pub fn balance(&self, pocket: Pocket) -> Fen {
        Fen(self.balances.get(&pocket).copied().unwrap_or(0))
    }

    /// Applies a movement whole or not at all: a retry of one made before (same key, same legs)
    /// moves nothing again; another movement under a used key, a malformed one, or one that
    /// would take a wallet or hold below zero is refused.
    pub fn apply(&mut self, movement: &Movement) -> Result<Applied, MovementError> {
        check(movement)?;
        if let Some(before) = self.made.get(&movement.key) {
            return if same_legs(before, &movement.legs) { Ok(Applied::Again) } else { Err(MovementError::KeyReused) };
        }
        let mut after = Vec::with_capacity(movement.legs.len());
        for leg in &movement.legs {
            let now = self.balance(leg.pocket).0;
            // Balances stay within the sum of what came in, far below overflow; checked all the same.
            let next = now.checked_add(leg.amount).ok_or(MovementError::Insufficient(leg.pocket))?;
            if next < 0 && !leg.pocket.may_go_negative() {
                return Err(MovementError::Insufficient(leg.pocket));
            }
            after.push((leg.pocket, next));
        }
        for (pocket, balance) in after {
            self.balances.insert(pocket, balance);
        }
        self.made.insert(movement.key.clone(), movement.legs.clone());
        Ok(Applied::Moved)
    }

    /// The reconciliation: wallets plus holds, and the money that came in less the money that
    /// went out (the outside's balances, negated). They are equal in a ledger that lost nothing.
    pub fn reconciliation(&self) -> (Fen, Fen) {
        let mut held = 0_i64;
        let mut net_in = 0_i64;
        for (pocket, balance) in &self.balances {
            match pocket {
                Pocket::Outside(_) => net_in -= balance,
                _ => held += balance,
            }
        }
        (Fen(held), Fen(net_in))
    }
}

/// Why a red packet cannot be split so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("a red packet has 1 to {SHARES_MAX} shares")]
    Shares,
    #[error("every share is at least 0.01: the total is at least the number of shares in fen")]
    TooLittle,
    #[error("the total is more than one movement carries")]
    TooMuch,
}

/// Splits `total` into `shares` random shares (拼手气): each at least one fen, summing to the
/// total exactly, decided once (at send time) and kept, so no grab can change or foresee its
/// share. Each share is drawn uniformly between one fen and twice the mean of what is left (the
/// "double mean" rule people know from WeChat), the last takes the rest, and then the order is
/// shuffled, so every position has the same chances.
pub fn random_split<R: Rng + ?Sized>(total: Fen, shares: u32, rng: &mut R) -> Result<Vec<Fen>, SplitError> {
    if shares == 0 || shares > SHARES_MAX {
        return Err(SplitError::Shares);
    }
    if total.0 > LEG_FEN_MAX {
        return Err(SplitError::TooMuch);
    }
    if total.0 < i64::from(shares) {
        return Err(SplitError::TooLittle);
    }
    let mut out = Vec::with_capacity(shares as usize);
    let mut left = total.0;
    for drawn in 0..shares - 1 {
        let remaining = i64::from(shares - drawn);
        // At most twice the mean less one: it leaves at least a fen for each share after it
        // (2r/n - 1 <= r - (n - 1) whenever r >= n >= 2).
        let most = (2 * left / remaining - 1).max(1);
        let share = rng.random_range(1..=most);
        out.push(Fen(share));
        left -= share;
    }
    out.push(Fen(left));
    out.shuffle(rng);
    Ok(out)
}

/// Splits into `shares` equal shares of `each` (普通红包): the total is their sum.
pub fn equal_split(each: Fen, shares: u32) -> Result<Vec<Fen>, SplitError> {
    if shares == 0 || shares > SHARES_MAX {
        return Err(SplitError::Shares);
    }
    if each.0 < 1 {
        return Err(SplitError::TooLittle);
    }
    match each.0.checked_mul(i64::from(shares)) {
        Some(total) if total <= LEG_FEN_MAX => Ok(vec![each; shares as usize]),
        _ => Err(SplitError::TooMuch),
    }
}

/// The luckiest grab (手气最佳) of a packet whose shares were all taken, by grab order: the
/// largest share, the earliest of equals. `None` for no shares.
pub fn luckiest(grabbed: &[Fen]) -> Option<usize> {
    let mut best: Option<(usize, Fen)> = None;
    for (i, &share) in grabbed.iter().enumerate() {
        if best.is_none_or(|(_, b)| share > b) {
            best = Some((i, share));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const ALICE: Pocket = Pocket::Wallet(AccountId(1));
    const BOB: Pocket = Pocket::Wallet(AccountId(2));
    const ALIPAY: Pocket = Pocket::Outside(0);

    #[test]
    fn amounts_are_written_as_yuan() {
        assert_eq!(Fen(1234).to_string(), "12.34");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(0).to_string(), "0.00");
    }

    #[test]
    fn a_movement_balances_on_distinct_pockets_with_bounded_legs() {
        assert_eq!(check(&Movement::transfer("k", ALICE, BOB, Fen(100))), Ok(()));
        let bad = |legs: Vec<Leg>| check(&Movement { key: "k".into(), legs });
        assert_eq!(bad(vec![Leg { pocket: ALICE, amount: 1 }]), Err(MovementError::LegCount));
        assert_eq!(
            bad(vec![Leg { pocket: ALICE, amount: -1 }, Leg { pocket: BOB, amount: 2 }]),
            Err(MovementError::Unbalanced)
        );
        assert_eq!(
            bad(vec![Leg { pocket: ALICE, amount: 0 }, Leg { pocket: BOB, amount: 0 }]),
            Err(MovementError::ZeroLeg(0))
        );
        assert_eq!(
            bad(vec![Leg { pocket: ALICE, amount: -1 }, Leg { pocket: ALICE, amount: 1 }]),
            Err(MovementError::PocketTwice(1))
        );
        assert_eq!(
            bad(vec![Leg { pocket: ALICE, amount: -(LEG_FEN_MAX + 1) }, Leg { pocket: BOB, amount: LEG_FEN_MAX + 1 }]),
            Err(MovementError::LegTooLarge(0))
        );
        assert_eq!(check(&Movement::transfer("", ALICE, BOB, Fen(1))), Err(MovementError::BadKey));
        assert_eq!(check(&Movement::transfer("k".repeat(129), ALICE, BOB, Fen(1))), Err(MovementError::BadKey));
    }

    #[test]
    fn a_key_moves_money_once_and_a_wallet_never_goes_below_zero() {
        let mut ledger = Ledger::new();
        let top_up = Movement::transfer("top-up-1", ALIPAY, ALICE, Fen(500));
        assert_eq!(ledger.apply(&top_up), Ok(Applied::Moved));
        assert_eq!(ledger.apply(&top_up), Ok(Applied::Again), "a retry moves nothing");
        assert_eq!(ledger.balance(ALICE), Fen(500));
        assert_eq!(
            ledger.apply(&Movement::transfer("top-up-1", ALIPAY, ALICE, Fen(600))),
            Err(MovementError::KeyReused)
        );
        assert_eq!(
            ledger.apply(&Movement::transfer("pay", ALICE, BOB, Fen(501))),
            Err(MovementError::Insufficient(ALICE))
        );
        assert_eq!((ledger.balance(ALICE), ledger.balance(BOB)), (Fen(500), Fen(0)), "a refusal changes nothing");
        assert_eq!(ledger.apply(&Movement::transfer("pay", ALICE, BOB, Fen(500))), Ok(Applied::Moved));
        assert_eq!(ledger.reconciliation(), (Fen(500), Fen(500)));
    }

    #[test]
    fn random_shares_are_fair_for_every_grab_position() {
        // A seeded generator: the same draws every run, so this can only fail if the rule is
        // unfair, never by chance.
        let mut rng = StdRng::seed_from_u64(18);
        let (rounds, shares, total) = (20_000, 10_u32, 1000_i64);
        let mut sums = vec![0_i64; shares as usize];
        for _ in 0..rounds {
            for (i, share) in random_split(Fen(total), shares, &mut rng).unwrap().iter().enumerate() {
                sums[i] += share.0;
            }
        }
        let mean = total as f64 / f64::from(shares);
        for (i, sum) in sums.iter().enumerate() {
            let got = *sum as f64 / f64::from(rounds);
            assert!((got - mean).abs() < mean * 0.03, "position {i}: mean {got}, expected {mean}");
        }
    }

    #[test]
    fn a_split_refuses_what_cannot_be_shared() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(random_split(Fen(9), 10, &mut rng), Err(SplitError::TooLittle));
        assert_eq!(random_split(Fen(100), 0, &mut rng), Err(SplitError::Shares));
        assert_eq!(random_split(Fen(100_000), SHARES_MAX + 1, &mut rng), Err(SplitError::Shares));
        assert_eq!(random_split(Fen(LEG_FEN_MAX + 1), 2, &mut rng), Err(SplitError::TooMuch));
        assert_eq!(random_split(Fen(10), 10, &mut rng), Ok(vec![Fen(1); 10]), "a fen each");
        assert_eq!(equal_split(Fen(88), 3), Ok(vec![Fen(88); 3]));
        assert_eq!(equal_split(Fen(0), 3), Err(SplitError::TooLittle));
        assert_eq!(equal_split(Fen(LEG_FEN_MAX), 2), Err(SplitError::TooMuch));
    }

    #[test]
    fn a_pocket_is_kept_as_a_kind_and_an_id() {
        for pocket in [
            ALICE,
            ALIPAY,
            Pocket::Held(Hold::Packet(7)),
            Pocket::Held(Hold::Transfer(8)),
            Pocket::Held(Hold::Collection(9)),
        ] {
            let (kind, id) = pocket.parts();
            assert_eq!(Pocket::from_parts(kind, id), Some(pocket));
        }
        assert_eq!(Pocket::from_parts("outside", 70_000), None);
        assert_eq!(Pocket::from_parts("vault", 1), None);
    }

    #[test]
    fn the_luckiest_is_the_largest_share_first_grabbed() {
        assert_eq!(luckiest(&[Fen(3), Fen(9), Fen(9), Fen(1)]), Some(1));
        assert_eq!(luckiest(&[]), None);
    }

    proptest! {
        #[test]
        fn random_shares_are_at_least_a_fen_and_sum_to_the_total(
            shares in 1_u32..=500,
            extra in 0_i64..2_000_000,
            seed in any::<u64>(),
        ) {
            let total = i64::from(shares) + extra;
            let split = random_split(Fen(total), shares, &mut StdRng::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(split.len(), shares as usize);
            prop_assert!(split.iter().all(|s| s.0 >= 1));
            prop_assert_eq!(split.iter().map(|s| s.0).sum::<i64>(), total);
        }

        /// Random top-ups, withdrawals, packets sent, grabbed and refunded, and transfers, each
        /// tried once or twice: after every step the ledger reconciles, no wallet or hold is
        /// below zero, and a key retried moved nothing the second time.
        #[test]
        fn every_step_reconciles_and_no_key_moves_money_twice(
            steps in proptest::collection::vec((0_u8..5, 0_i64..4, 0_i64..4, 1_i64..5_000, any::<bool>()), 1..200),
        ) {
            let mut ledger = Ledger::new();
            let wallet = |n: i64| Pocket::Wallet(AccountId(n));
            for (i, (op, a, b, amount, retry)) in steps.into_iter().enumerate() {
                let key = format!("step-{i}");
                let packet = Pocket::Held(Hold::Packet(a));
                let movement = match op {
                    0 => Movement::transfer(key, ALIPAY, wallet(a), Fen(amount)),
                    1 => Movement::transfer(key, wallet(a), ALIPAY, Fen(amount)),
                    2 => Movement::transfer(key, wallet(a), packet, Fen(amount)),
                    3 => Movement::transfer(key, packet, wallet(b), Fen(amount)),
                    _ => Movement::transfer(key, wallet(a), wallet(b), Fen(amount)),
                };
                let same_pocket = movement.legs[0].pocket == movement.legs[1].pocket;
                let before = ledger.clone();
                let first = ledger.apply(&movement);
                if same_pocket {
                    prop_assert_eq!(first.clone(), Err(MovementError::PocketTwice(1)));
                }
                if retry {
                    let balances = ledger.clone();
                    let again = ledger.apply(&movement);
                    match &first {
                        Ok(_) => prop_assert_eq!(again, Ok(Applied::Again)),
                        Err(_) => prop_assert_eq!(again.is_ok(), false),
                    }
                    for pocket in [wallet(a), wallet(b), packet, ALIPAY] {
                        prop_assert_eq!(ledger.balance(pocket), balances.balance(pocket));
                    }
                }
                if first.is_err() {
                    for pocket in [wallet(a), wallet(b), packet, ALIPAY] {
                        prop_assert_eq!(ledger.balance(pocket), before.balance(pocket), "a refusal changes nothing");
                    }
                }
                let (held, net_in) = ledger.reconciliation();
                prop_assert_eq!(held, net_in);
                for n in 0..4 {
                    prop_assert!(ledger.balance(wallet(n)).0 >= 0);
                    prop_assert!(ledger.balance(Pocket::Held(Hold::Packet(n))).0 >= 0);
                }
            }
        }
    }
}
