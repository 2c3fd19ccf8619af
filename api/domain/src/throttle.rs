//! Sign-in throttling: every attempt is counted before the password is checked, and past a free
//! allowance each further attempt waits a growing delay (doubling from a minute, at most a
//! quarter of an hour) rather than meeting a lock-out an attacker could hold forever.

use chrono::{Duration, NaiveDateTime};

/// A throttled key's state: failures counted in the current run, the last attempt, and the
/// instant before which attempts are refused without being counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i32,
    pub last_at: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

/// A quiet spell this long forgets earlier failures.
pub const RESET_AFTER_MINUTES: i64 = 15;
const FIRST_DELAY_SECONDS: i64 = 60;
const MAX_DELAY_SECONDS: i64 = 15 * 60;

impl Throttle {
    pub fn new(now: NaiveDateTime) -> Self {
        Throttle {
            failures: 0,
            last_at: now,
            blocked_until: None,
        }
    }

    /// Counts an attempt: `Err(seconds to wait)` without counting while blocked, else the state
    /// with the attempt counted (as a failure until it proves otherwise). The attempt that uses
    /// up `free` blocks the next ones.
    pub fn attempt(&self, now: NaiveDateTime, free: i32) -> Result<Throttle, u64> {
        if let Some(until) = self.blocked_until.filter(|u| *u > now) {
            return Err((until - now).num_seconds().max(1) as u64);
        }
        let quiet = now - self.last_at > Duration::minutes(RESET_AFTER_MINUTES);
        let failures = if quiet { 1 } else { self.failures + 1 };
        let blocked_until = (failures >= free).then(|| {
            let doublings = (failures - free).clamp(0, 10) as u32;
            let delay = (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS);
            now + Duration::seconds(delay)
        });
        Ok(Throttle {
            failures,
            last_at: now,
            blocked_until,
        })
    }

    /// The counted attempt succeeded: it was no failure.
    pub fn succeeded(&self, free: i32) -> Throttle {
        let failures = (self.failures - 1).max(0);
        Throttle {
            failures,
            last_at: self.last_at,
            blocked_until: self.blocked_until.filter(|_| failures >= free),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn fifth_attempt_blocks_the_next_and_delays_grow() {
        let mut t = Throttle::new(at(0));
        for i in 0..5 {
            t = t
                .attempt(at(i), 5)
                .unwrap_or_else(|_| panic!("attempt {i} refused"));
        }
        assert_eq!(t.attempt(at(10), 5), Err(54));
        // Blocked attempts are not counted: the block is not extended by them.
        assert_eq!(t.failures, 5);
        let t = t
            .attempt(at(65), 5)
            .unwrap_or_else(|_| panic!("refused after the delay"));
        assert_eq!(t.blocked_until, Some(at(65 + 120)));
        let t = t.attempt(at(200), 5).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(t.blocked_until, Some(at(200 + 240)));
    }

    #[test]
    fn a_quiet_spell_forgets_and_success_uncounts() {
        let t = Throttle::new(at(0))
            .attempt(at(0), 5)
            .unwrap_or_else(|_| panic!());
        assert_eq!(t.succeeded(5).failures, 0);
        let mut t = t;
        for i in 1..5 {
            t = t.attempt(at(i), 5).unwrap_or_else(|_| panic!());
        }
        let later = at(5 + RESET_AFTER_MINUTES * 60 + 1);
        let t = t
            .attempt(later, 5)
            .unwrap_or_else(|_| panic!("refused after a quiet spell"));
        assert_eq!(t.failures, 1);
    }

    #[test]
    fn the_delay_is_capped() {
        let t = Throttle {
            failures: 40,
            last_at: at(0),
            blocked_until: None,
        };
        let t = t.attempt(at(1), 5).unwrap_or_else(|_| panic!());
        assert_eq!(t.blocked_until, Some(at(1 + MAX_DELAY_SECONDS)));
    }
}
