//! Password hashing: Argon2id with OWASP parameters, a bound on hashes computed at once, and
//! a length cap checked before any hashing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::{Error, Result, Settings, Unit};

/// Hashes and verifies passwords off the async threads, at most
/// `password_hash_concurrency_max` at a time so that a login storm cannot exhaust memory
/// (each hash holds `argon2_memory_kib`).
///
/// Hashes waiting for a permit are bounded too (`password_hash_queue_len_max`): past that,
/// a request is refused with `Unavailable` at once instead of queueing without end.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    queue_len_max: usize,
    params: Params,
    bytes_min: usize,
    bytes_max: usize,
    /// A hash of nothing in particular, verified against when the account does not exist so
    /// that a login for an unknown name takes as long as one for a known name.
    decoy: Arc<OnceCell<String>>,
}

impl Passwords {
    pub fn new(settings: &Settings) -> Passwords {
        let params = Params::new(settings.argon2_memory_kib, settings.argon2_iterations, 1, None).unwrap_or_default();
        Passwords {
            permits: Arc::new(Semaphore::new(settings.password_hash_concurrency_max.max(1))),
            queued: Arc::new(AtomicUsize::new(0)),
            queue_len_max: settings.password_hash_queue_len_max.max(1),
            params,
            bytes_min: settings.password_bytes_min,
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

    /// The rules for a new password: within the length bounds.
    pub fn check_new(&self, password: &str) -> Result<()> {
        self.check_len_max(password)?;
        if password.len() < self.bytes_min {
            return Err(Error::invalid("password", format!("must be at least {} bytes", self.bytes_min)));
        }
        Ok(())
    }

    /// Hashes a new password (already checked with [`Passwords::check_new`]).
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        let params = self.params.clone();
        self.run(move || {
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
        let matched = self
            .run(move || {
                let parsed = PasswordHash::new(&hash).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
                Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?;
        Ok(real && matched)
    }

    async fn decoy(&self) -> Result<String> {
        self.decoy.get_or_try_init(|| self.hash("magpie decoy password")).await.cloned()
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
        let ticket = Ticket::take(&self.queued, self.queue_len_max)?;
        let _permit = self.permits.acquire().await.map_err(|_| Error::Internal("hash pool closed".into()))?;
        drop(ticket);
        tokio::task::spawn_blocking(work).await.map_err(|e| Error::Internal(format!("hash task: {e}")))?
    }
}

/// A place in the hash queue, given back when dropped (also when the request is cancelled).
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
