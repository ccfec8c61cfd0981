//! Password hashing with argon2id on its own small pool of threads, so a login storm neither starves
//! database work nor takes hundreds of megabytes (each hash holds 19 MiB). The pool's threads run at a
//! lower scheduling priority: when the cores are busy, requests that do not hash go first, and hashing
//! takes whatever is left, which on an otherwise idle machine is everything.
//!
//! The queue in front of the threads is bounded: a hash that would wait behind `threads + queue` others
//! is refused at once with 503 and `Retry-After`, so a storm costs memory for a bounded number of
//! waiting requests and callers learn to back off instead of timing out.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// Jobs queued or running now, and the most there may be.
    pending: Arc<AtomicUsize>,
    capacity: usize,
    /// Jobs run since start.
    done: Arc<AtomicU64>,
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
    /// `threads` hash at once; at most `queue` more wait for one of them.
    pub fn new(threads: usize, queue: usize) -> Result<Self, argon2::password_hash::Error> {
        let dummy = hash_blocking(&uuid::Uuid::now_v7().to_string())?;
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = threads.max(1);
        for i in 0..threads {
            let rx = rx.clone();
            let _ = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || worker(rx));
        }
        Ok(Self {
            jobs: tx,
            pending: Arc::default(),
            capacity: threads + queue,
            done: Arc::default(),
            dummy_hash: Arc::new(dummy),
        })
    }

    /// Hashes and verifications run since start.
    pub fn jobs_run(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let taken = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.capacity).then_some(n + 1));
        if taken.is_err() {
            return Err(ApiError::unavailable("the password hashing queue is full"));
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let (pending, count) = (self.pending.clone(), self.done.clone());
        let job: Job = Box::new(move || {
            let out = span.in_scope(f);
            pending.fetch_sub(1, Ordering::AcqRel);
            count.fetch_add(1, Ordering::Relaxed);
            let _ = done.send(out);
        });
        if self.jobs.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::internal("hashing pool stopped"));
        }
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

    #[tokio::test]
    async fn a_full_queue_answers_503_at_once_and_frees_up_when_the_pool_does() {
        let hasher = Hasher::new(1, 1).unwrap();
        // Holds the only thread until told to go on.
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let busy = hasher.clone();
        let running = tokio::spawn(async move { busy.run(move || wait.recv().is_ok()).await });
        let queued = {
            let h = hasher.clone();
            tokio::spawn(async move { h.hash("queued password 1".into()).await })
        };
        while hasher.pending.load(Ordering::Acquire) < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let err = hasher.verify("refused".into(), None).await.unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::ServiceUnavailable);
        assert!(err.retry_after.is_some_and(|s| s >= 1));
        go.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert!(queued.await.unwrap().is_ok());
        assert!(!hasher.verify("free again".into(), None).await.unwrap());
        assert_eq!(hasher.jobs_run(), 3);
    }
}
