//! The one source of "now" (P-2). A server normally runs on the system clock; `RMDESK_NOW` starts
//! it at a given instant from which it advances normally, so that tests and demos can stand on any
//! day. Every command, audit event and business date reads this clock, never the system time.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, TimeDelta, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// How far the business clock is ahead of the system clock.
    offset: TimeDelta,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// A clock that reads `start` now and advances normally from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Clock {
            offset: start - Utc::now(),
        }
    }

    /// `RMDESK_NOW`: an RFC 3339 instant, or unset for the system clock.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None => Ok(Clock::system()),
            Some(v) => DateTime::parse_from_rfc3339(v.trim())
                .map(|at| Clock::starting_at(at.with_timezone(&Utc)))
                .map_err(|e| format!("RMDESK_NOW must be an RFC 3339 instant (got {v:?}: {e})")),
        }
    }

    /// Whether this clock was set away from the system clock (logged at start).
    pub fn is_shifted(&self) -> bool {
        self.offset != TimeDelta::zero()
    }

    /// Now, truncated to microseconds so that SQLite and PostgreSQL store the same instant.
    pub fn now(&self) -> NaiveDateTime {
        (Utc::now() + self.offset).naive_utc().trunc_subsecs(6)
    }

    /// Today, the business date the rules count days in.
    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p2_a_clock_set_by_rmdesk_now_starts_there_and_advances() {
        let clock = Clock::parse(Some("2026-11-30T04:00:00Z")).unwrap();
        let now = clock.now();
        assert!(clock.is_shifted());
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        let start = DateTime::parse_from_rfc3339("2026-11-30T04:00:00Z")
            .unwrap()
            .naive_utc();
        assert!(now >= start && now - start < TimeDelta::seconds(60));
    }

    #[test]
    fn p2_rmdesk_now_that_is_not_an_instant_is_refused() {
        let err = Clock::parse(Some("2026-11-30")).unwrap_err();
        assert!(err.contains("RMDESK_NOW"), "{err}");
        assert!(!Clock::parse(None).unwrap().is_shifted());
    }
}
