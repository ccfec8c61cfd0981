//! A fixed-window request budget per caller, kept in this instance's memory. Behind a load balancer
//! each instance counts its own share, so the effective budget is the configured one times the
//! number of instances; login and registration attempts have their own database-backed throttles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What one request's check decided, with what the `RateLimit` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The window's budget.
    pub limit: u32,
    /// Requests left in the current window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

pub struct RateLimiter {
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Above this many tracked callers, windows that have ended are dropped before adding one.
const PRUNE_ABOVE: usize = 100_000;

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        Self { window, windows: Mutex::default() }
    }

    /// Counts one request of `key` against `limit` per window.
    pub fn check(&self, key: &str, limit: u32, now: Instant) -> Decision {
        // A poisoned lock only means another request panicked while counting; the counts stay usable.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > PRUNE_ABOVE {
            let window = self.window;
            windows.retain(|_, (started, _)| now.duration_since(*started) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        let reset = self.window.saturating_sub(now.duration_since(entry.0));
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(entry.1),
            reset_secs: reset.as_secs().max(1),
        }
    }
}

impl Decision {
    /// `RateLimit-Policy` and `RateLimit` values (IETF structured fields, policy named `default`).
    pub fn headers(&self, window: Duration) -> (String, String) {
        (
            format!("\"default\";q={};w={}", self.limit, window.as_secs()),
            format!("\"default\";r={};t={}", self.remaining, self.reset_secs),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_per_key_and_window() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            let d = limiter.check("a", 3, t0);
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i);
        }
        let refused = limiter.check("a", 3, t0 + Duration::from_secs(10));
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.reset_secs), (0, 50));
        assert!(limiter.check("b", 3, t0).allowed, "another caller has its own budget");
        assert!(limiter.check("a", 3, t0 + Duration::from_secs(60)).allowed, "a new window");
        let (policy, state) = refused.headers(Duration::from_secs(60));
        assert_eq!(policy, "\"default\";q=3;w=60");
        assert_eq!(state, "\"default\";r=0;t=50");
    }
}
