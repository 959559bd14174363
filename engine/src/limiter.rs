//! Limits on failed sign-ins, per account and per client address, kept in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per account and per address within a window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Counts failed sign-ins; refuses further tries once a limit is reached, until the oldest
/// counted failure leaves the window.
#[derive(Clone)]
pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            failures: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, usize); 2] {
        [
            (format!("account:{}", account.trim().to_lowercase()), 0),
            (format!("address:{address}"), 1),
        ]
    }

    fn limit(&self, which: usize) -> usize {
        if which == 0 {
            self.limits.per_account
        } else {
            self.limits.per_address
        }
    }

    /// `Err(wait)` when this account or address must wait before trying again.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        for (key, which) in Self::keys(account, address) {
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.limits.window)
                {
                    times.pop_front();
                }
                let limit = self.limit(which);
                if limit > 0 && times.len() >= limit {
                    let oldest_counted = times[times.len() - limit];
                    wait = wait.max(
                        self.limits
                            .window
                            .saturating_sub(now.duration_since(oldest_counted)),
                    );
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts one failed sign-in.
    pub fn record_failure(&self, account: &str, address: &str) {
        self.record_failure_at(account, address, Instant::now());
    }

    fn record_failure_at(&self, account: &str, address: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > 100_000 {
            // Bound memory under a spray of distinct names: forget entries that have aged out.
            let window = self.limits.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for (key, _) in Self::keys(account, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// Forgets the account's failures after a successful sign-in.
    pub fn clear_account(&self, account: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&Self::keys(account, "")[0].0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn an_account_is_locked_after_its_limit_until_the_window_passes() {
        let l = limiter();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check_at("ada@x.org", "10.0.0.1", t0).is_ok(), "try {i}");
            l.record_failure_at("ada@x.org", "10.0.0.1", t0);
        }
        let wait = l
            .check_at("ADA@x.org", "10.0.0.2", t0 + Duration::from_secs(10))
            .expect_err("locked");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            l.check_at("ada@x.org", "10.0.0.2", t0 + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn an_address_is_locked_across_accounts() {
        let l = limiter();
        let t0 = Instant::now();
        for i in 0..5 {
            l.record_failure_at(&format!("user{i}@x.org"), "10.0.0.9", t0);
        }
        assert!(l.check_at("someone@x.org", "10.0.0.9", t0).is_err());
        assert!(l.check_at("someone@x.org", "10.0.0.10", t0).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let l = limiter();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.record_failure_at("ada@x.org", "10.0.0.1", t0);
        }
        l.clear_account("ada@x.org");
        assert!(l.check_at("ada@x.org", "10.0.0.3", t0).is_ok());
    }
}
