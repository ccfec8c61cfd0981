//! Password hashing with argon2id on its own small pool of threads, so a login storm neither starves
//! database work nor takes hundreds of megabytes (each hash holds 19 MiB). The pool's threads run at a
//! lower scheduling priority: when the cores are busy, requests that do not hash go first, and hashing
//! takes whatever is left, which on an otherwise idle machine is everything.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct Hasher {
    jobs: Sender<Job>,
    /// Verified against when the account does not exist, so unknown accounts cost the same time.
    dummy_hash: Arc<String>,
}

/// Lowers the calling thread's priority (Linux: a thread is its own scheduling entity).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `who = 0` names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    lower_priority();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Hasher {
    pub fn new(threads: usize) -> Result<Self, argon2::password_hash::Error> {
        let dummy = hash_blocking(&uuid::Uuid::now_v7().to_string())?;
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let _ = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || worker(rx));
        }
        Ok(Self { jobs: tx, dummy_hash: Arc::new(dummy) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move || {
            let _ = done.send(span.in_scope(f));
        });
        self.jobs.send(job).map_err(|_| ApiError::internal("hashing pool stopped"))?;
        result.await.map_err(|_| ApiError::internal("hashing job dropped"))
    }

    /// A PHC string for a new password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash_blocking(&password)).await?.map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash, verifies against the dummy and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && ok)
    }
}

pub fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(argon2().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_minimum_cost_and_verify_only_the_right_password() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("correct horse battery!", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }
}
