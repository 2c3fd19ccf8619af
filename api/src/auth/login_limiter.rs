//! Five failed logins for a user within a minute are answered 429 until the minute has passed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Some(seconds to wait)` when the user has failed `MAX_FAILURES` times within the window.
    pub fn blocked_for(&self, username: &str, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.get_mut(username)?;
        while entry
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            entry.pop_front();
        }
        if entry.is_empty() {
            map.remove(username);
            return None;
        }
        if entry.len() >= MAX_FAILURES {
            let oldest = entry.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            return Some(wait.as_secs().max(1));
        }
        None
    }

    pub fn record_failure(&self, username: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of random usernames.
            map.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        map.entry(username.to_string()).or_default().push_back(now);
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_failure_within_a_minute_blocks() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for i in 0..4 {
            limiter.record_failure("li.na", start + Duration::from_secs(i));
            assert_eq!(
                limiter.blocked_for("li.na", start + Duration::from_secs(i)),
                None
            );
        }
        limiter.record_failure("li.na", start + Duration::from_secs(10));
        assert!(limiter
            .blocked_for("li.na", start + Duration::from_secs(11))
            .is_some());
        assert_eq!(limiter.blocked_for("someone.else", start), None);
        assert_eq!(
            limiter.blocked_for("li.na", start + Duration::from_secs(61)),
            None
        );
    }
}
