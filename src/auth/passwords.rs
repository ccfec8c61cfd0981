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

use std::cell::RefCell;

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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
    KEPT_BLOCKS.with_borrow_mut(|kept| *kept = Some(Vec::new()));
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

thread_local! {
    /// The argon2 working memory (19 MiB) of a hashing-pool thread, kept from one hash to the next. A
    /// fresh allocation per hash is a fresh mapping once the allocator maps large blocks on their own
    /// (`allocator.rs`): its page faults took a third of every hashing thread's time. Other threads
    /// (start-up seeding) allocate per hash, so that no thread outside the pool holds this memory.
    static KEPT_BLOCKS: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// The raw argon2 output for `password` and `salt` into `out`.
fn compute(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let needed = argon.params().block_count();
    KEPT_BLOCKS.with_borrow_mut(|kept| match kept {
        Some(blocks) => {
            if blocks.len() != needed {
                *blocks = vec![Block::default(); needed];
            }
            argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
        }
        None => argon.hash_password_into_with_memory(password, salt, out, vec![Block::default(); needed]),
    })
}

pub fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let argon = argon2();
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon, password.as_bytes(), raw_salt, &mut out)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon.params().try_into()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    };
    Ok(hash.to_string())
}

/// Checks `password` against a PHC string with the parameters that string carries. `Output` compares
/// in constant time.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed))
    else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::default()), Version::try_from);
    let Ok(version) = version else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut out = vec![0u8; expected.len()];
    compute(&Argon2::new(algorithm, version, params), password.as_bytes(), raw_salt, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|o| o == expected)
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

    #[test]
    fn hashes_made_by_the_library_verify_and_ours_verify_there() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = argon2().hash_password(b"Lotus-Bridge-2026", &salt).unwrap().to_string();
        assert!(verify_blocking("Lotus-Bridge-2026", &theirs));
        assert!(!verify_blocking("Lotus-Bridge-2027", &theirs));
        let ours = hash_blocking("Lotus-Bridge-2026").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"Lotus-Bridge-2026", &parsed).is_ok());
        // Other parameters, as a hash stored under an older policy: checked with its own.
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8_192, 3, 1, None).unwrap());
        let older = old.hash_password(b"Lotus-Bridge-2026", &salt).unwrap().to_string();
        assert!(verify_blocking("Lotus-Bridge-2026", &older) && !verify_blocking("x", &older));
        assert!(
            verify_blocking("Lotus-Bridge-2026", &ours),
            "after another size, the kept memory fits again"
        );
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
