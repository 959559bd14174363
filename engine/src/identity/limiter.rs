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

/// Longest lockout, however often a key is locked.
const MAX_LOCKOUT: Duration = Duration::from_secs(24 * 3600);

/// Failures of one account or address.
#[derive(Default)]
struct Track {
    times: VecDeque<Instant>,
    /// Lockouts so far; each one lasts twice as long as the one before.
    level: u32,
    locked_until: Option<Instant>,
    last_failure: Option<Instant>,
}

/// Counts failed sign-ins. Reaching a limit within the window locks the account or address
/// for the window; every further lockout doubles (capped at a day) until a day passes without
/// failures.
#[derive(Clone)]
pub struct LoginLimiter {
    /// Changed from the settings page while Orbitr runs.
    limits: Arc<Mutex<LoginLimits>>,
    failures: Arc<Mutex<HashMap<String, Track>>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits: Arc::new(Mutex::new(limits)),
            failures: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> LoginLimits {
        self.limits.lock().map(|l| *l).unwrap_or_default()
    }

    /// Changes the limits from the next failure on (failures already counted stay counted).
    pub fn set_limits(&self, limits: LoginLimits) {
        if let Ok(mut current) = self.limits.lock() {
            *current = limits;
        }
    }

    fn keys(account: &str, address: &str) -> [(String, usize); 2] {
        [
            (format!("account:{}", account.trim().to_lowercase()), 0),
            (format!("address:{address}"), 1),
        ]
    }

    fn limit(limits: &LoginLimits, which: usize) -> usize {
        if which == 0 {
            limits.per_account
        } else {
            limits.per_address
        }
    }

    /// `Err(wait)` when this account or address must wait before trying again.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let Ok(failures) = self.failures.lock() else {
            return Ok(());
        };
        let wait = Self::keys(account, address)
            .iter()
            .filter_map(|(key, _)| failures.get(key)?.locked_until)
            .map(|until| until.saturating_duration_since(now))
            .max()
            .unwrap_or(Duration::ZERO);
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts one failed sign-in, locking the account or address when it reaches its limit.
    pub fn record_failure(&self, account: &str, address: &str) {
        self.record_failure_at(account, address, Instant::now());
    }

    fn record_failure_at(&self, account: &str, address: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > 100_000 {
            // Bound memory under a spray of distinct names: forget entries that have aged out.
            failures.retain(|_, t| {
                t.last_failure
                    .is_some_and(|last| now.duration_since(last) < MAX_LOCKOUT)
            });
        }
        let limits = self.limits();
        let window = limits.window;
        for (key, which) in Self::keys(account, address) {
            let limit = Self::limit(&limits, which);
            let track = failures.entry(key).or_default();
            if track
                .last_failure
                .is_some_and(|last| now.duration_since(last) >= MAX_LOCKOUT)
            {
                // A quiet day forgives earlier lockouts.
                track.level = 0;
            }
            while track
                .times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                track.times.pop_front();
            }
            track.times.push_back(now);
            track.last_failure = Some(now);
            if limit > 0 && track.times.len() >= limit {
                let lockout = window
                    .saturating_mul(2_u32.saturating_pow(track.level))
                    .min(MAX_LOCKOUT);
                track.level = track.level.saturating_add(1);
                track.locked_until = Some(now + lockout);
                track.times.clear();
            }
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
    fn each_further_lockout_lasts_twice_as_long_until_a_quiet_day() {
        let l = limiter();
        let mut now = Instant::now();
        let mut lockouts = Vec::new();
        for _ in 0..4 {
            for _ in 0..3 {
                l.record_failure_at("ada@x.org", "10.0.0.1", now);
            }
            let wait = l
                .check_at("ada@x.org", "10.0.0.7", now)
                .expect_err("locked");
            lockouts.push(wait.as_secs());
            now += wait;
            assert!(l.check_at("ada@x.org", "10.0.0.7", now).is_ok());
        }
        assert_eq!(lockouts, [60, 120, 240, 480]);
        // A day without failures starts again from the window.
        now += Duration::from_secs(24 * 3600);
        for _ in 0..3 {
            l.record_failure_at("ada@x.org", "10.0.0.1", now);
        }
        assert_eq!(
            l.check_at("ada@x.org", "10.0.0.7", now)
                .expect_err("locked"),
            Duration::from_secs(60)
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
