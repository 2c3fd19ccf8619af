//! The one source of "now" (P-2). A server normally runs on the system clock; `RMDESK_NOW` starts
//! it at a given instant from which it advances normally, so that tests and demos can stand on any
//! day. Every command, audit event and business date reads this clock, never the system time.
//! Instants are UTC; business dates are dates in the bank's time zone (`RMDESK_TIMEZONE`, default
//! Asia/Shanghai), so a bank's day starts at its own midnight, not at 08:00.

use chrono::{
    DateTime, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

/// The bank's time zone when `RMDESK_TIMEZONE` is not set.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// How far the business clock is ahead of the system clock.
    offset: TimeDelta,
    /// The bank's time zone: where its business dates change.
    zone: Tz,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset: TimeDelta::zero(),
            zone: DEFAULT_ZONE,
        }
    }
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
            ..Clock::default()
        }
    }

    /// This clock in another time zone.
    pub fn in_zone(self, zone: Tz) -> Self {
        Clock { zone, ..self }
    }

    /// `RMDESK_TIMEZONE`: an IANA zone name (`Asia/Shanghai`, `Asia/Hong_Kong` ...).
    pub fn parse_zone(value: Option<&str>) -> Result<Tz, String> {
        match value {
            None => Ok(DEFAULT_ZONE),
            Some(v) => v.trim().parse::<Tz>().map_err(|_| {
                format!(
                    "RMDESK_TIMEZONE must be an IANA time zone such as Asia/Shanghai (got {v:?})"
                )
            }),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
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

    /// Today, the business date the rules count days in: the date in the bank's time zone.
    pub fn today(&self) -> NaiveDate {
        self.business_date(self.now())
    }

    /// The business date of a stored (UTC) instant.
    pub fn business_date(&self, instant: NaiveDateTime) -> NaiveDate {
        self.zone.from_utc_datetime(&instant).date_naive()
    }

    /// The UTC instant of a local time on a business date (the earlier one when clocks go back,
    /// the first valid one when they skip ahead).
    pub fn instant_of(&self, date: NaiveDate, time: NaiveTime) -> NaiveDateTime {
        let local = date.and_time(time);
        match self.zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => {
                at.naive_utc()
            }
            chrono::LocalResult::None => self
                .zone
                .from_local_datetime(&(local + TimeDelta::hours(1)))
                .earliest()
                .map_or(local, |at| at.naive_utc()),
        }
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
    fn p2_business_dates_are_in_the_banks_time_zone() {
        // 07:30 in Beijing on the 1st is 23:30 UTC on the day before.
        let clock = Clock::parse(Some("2026-11-30T23:30:00Z")).unwrap();
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let utc = clock.in_zone(chrono_tz::UTC);
        assert_eq!(utc.today(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        let close = clock.instant_of(
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        );
        assert_eq!(close.to_string(), "2026-11-20 14:00:00");
        assert!(Clock::parse_zone(Some("Mars/Olympus")).is_err());
    }

    #[test]
    fn p2_rmdesk_now_that_is_not_an_instant_is_refused() {
        let err = Clock::parse(Some("2026-11-30")).unwrap_err();
        assert!(err.contains("RMDESK_NOW"), "{err}");
        assert!(!Clock::parse(None).unwrap().is_shifted());
    }
}
