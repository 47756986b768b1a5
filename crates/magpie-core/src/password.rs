//! Passwords: the policy for new ones, and hashing with Argon2id (OWASP parameters) in bounded
//! pools, with a length cap checked before any hashing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::{Error, Result, Settings, Unit};

/// Characters of a password that are scored: zxcvbn's work grows with the length, and what
/// follows cannot make a guessable start much harder to guess.
const SCORED_CHARS_MAX: usize = 64;

/// Which pool a hash runs in. Self-registration has its own, so that a flood of sign-ups
/// (which anyone can send where registration is open) never takes the hashes that logins need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashPool {
    /// Logins, password changes, accounts made by administrators.
    Login,
    /// Self-registration.
    Signup,
}

/// At most `permits` hashes at a time, and at most `queue_len_max` waiting for their turn:
/// past that a request is refused with `Unavailable` at once instead of queueing without end.
#[derive(Clone)]
struct Pool {
    permits: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    queue_len_max: usize,
}

impl Pool {
    fn new(concurrency_max: usize, queue_len_max: usize) -> Pool {
        Pool {
            permits: Arc::new(Semaphore::new(concurrency_max.max(1))),
            queued: Arc::new(AtomicUsize::new(0)),
            queue_len_max: queue_len_max.max(1),
        }
    }
}

/// Hashes and verifies passwords off the async threads, in bounded pools (each hash holds
/// `argon2_memory_kib` while it runs), and says whether a new password is good enough.
#[derive(Clone)]
pub struct Passwords {
    login: Pool,
    signup: Pool,
    params: Params,
    chars_min: usize,
    score_min: u8,
    bytes_max: usize,
    /// A hash of nothing in particular, verified against when the account does not exist so
    /// that a login for an unknown name takes as long as one for a known name.
    decoy: Arc<OnceCell<String>>,
}

impl Passwords {
    pub fn new(settings: &Settings) -> Passwords {
        let params = Params::new(settings.argon2_memory_kib, settings.argon2_iterations, 1, None).unwrap_or_default();
        Passwords {
            login: Pool::new(settings.password_hash_concurrency_max, settings.password_hash_queue_len_max),
            signup: Pool::new(settings.signup_hash_concurrency_max, settings.signup_hash_queue_len_max),
            params,
            chars_min: settings.password_chars_min,
            score_min: settings.password_score_min,
            bytes_max: settings.password_bytes_max,
            decoy: Arc::new(OnceCell::new()),
        }
    }

    /// Refuses a password that is too long before any work is done on it.
    pub fn check_len_max(&self, password: &str) -> Result<()> {
        if password.len() > self.bytes_max {
            return Err(Error::too_large("password", self.bytes_max, Unit::Bytes));
        }
        Ok(())
    }

    /// The rules for a new password, after NIST SP 800-63B: long enough (counted in
    /// characters, so a Chinese password is not held to a byte count), and not guessable: a
    /// zxcvbn estimate that knows common passwords, dictionary words, names, keyboard
    /// patterns, repeats and sequences, and `context` (the account's own name and domain, the
    /// product's name). No rules about which kinds of characters it must contain.
    pub fn check_new(&self, password: &str, context: &[&str]) -> Result<()> {
        self.check_len_max(password)?;
        let chars = password.chars().count();
        if chars < self.chars_min {
            return Err(Error::invalid("password", format!("must be at least {} characters", self.chars_min)));
        }
        if self.score_min > 0 {
            let mut inputs = vec!["magpie", "喜鹊"];
            inputs.extend_from_slice(context);
            let scored: String = password.chars().take(SCORED_CHARS_MAX).collect();
            let score = u8::from(zxcvbn::zxcvbn(&scored, &inputs).score());
            if score < self.score_min {
                return Err(Error::invalid(
                    "password",
                    "is too easy to guess (a common password, a word, a name or a pattern); \
                     a few unrelated words make a strong one",
                ));
            }
        }
        Ok(())
    }

    /// Hashes a new password (already checked with [`Passwords::check_new`]) in `pool`.
    pub async fn hash(&self, password: &str, pool: HashPool) -> Result<String> {
        let password = password.to_owned();
        let params = self.params.clone();
        let pool = match pool {
            HashPool::Login => &self.login,
            HashPool::Signup => &self.signup,
        };
        run(pool, move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2 hash: {e}")))
        })
        .await
    }

    /// True if `password` matches `hash`. With `hash` absent (unknown account, or one without
    /// a password) the same work is done against a decoy and the answer is false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool> {
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.decoy().await?, false),
        };
        let password = password.to_owned();
        let matched = run(&self.login, move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?;
        Ok(real && matched)
    }

    async fn decoy(&self) -> Result<String> {
        self.decoy.get_or_try_init(|| self.hash("magpie decoy password", HashPool::Login)).await.cloned()
    }
}

async fn run<T: Send + 'static>(pool: &Pool, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let ticket = Ticket::take(&pool.queued, pool.queue_len_max)?;
    let _permit = pool.permits.acquire().await.map_err(|_| Error::Internal("hash pool closed".into()))?;
    drop(ticket);
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Internal(format!("hash task: {e}")))?
}

/// A place in a hash queue, given back when dropped (also when the request is cancelled).
struct Ticket<'a>(&'a AtomicUsize);

impl<'a> Ticket<'a> {
    fn take(queued: &'a AtomicUsize, max: usize) -> Result<Ticket<'a>> {
        let before = queued.fetch_add(1, Ordering::SeqCst);
        let ticket = Ticket(queued);
        if before >= max {
            return Err(Error::Unavailable("too many logins at once; retry shortly"));
        }
        Ok(ticket)
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_long_enough_and_not_guessable() {
        let passwords = Passwords::new(&Settings::default());
        for weak in
            ["12345678", "123456789012", "passwordpassword", "qwertyuiopasdf", "aaaaaaaaaaaaaaaa", "alicealice2026"]
        {
            let context = ["alice", "localhost"];
            assert!(passwords.check_new(weak, &context).is_err(), "{weak:?} was accepted");
        }
        assert!(passwords.check_new("short one", &[]).is_err(), "9 characters");
        for strong in ["correct horse battery staple", "喜鹊登枝报春来早上好天气晴", "Tr0ub4dor&3-orange-kettle"]
        {
            assert!(passwords.check_new(strong, &["alice"]).is_ok(), "{strong:?} was refused");
        }
        assert!(passwords.check_new(&"a".repeat(500), &[]).is_err(), "length alone is not strength");
        let long = "the quick brown fox jumps over the lazy dog by the river bank at dawn ".repeat(5);
        assert!(passwords.check_new(&long, &[]).is_ok());
    }
}
