//! P-2: the bank's calendar (working days, with its holidays and make-up working days, 调休) and
//! the schedule of the jobs that run the rules' calendar: which business dates each job is due on
//! and at what local hour it may start. Pure: the server's scheduler asks, the database remembers.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::policy::Policy;
use crate::portfolio::{checkpoint, Checkpoint};

/// The bank's calendar and the hours of its jobs (P-1, P-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarPolicy {
    /// Weekdays that are not working days (public holidays).
    pub non_working_days: Vec<NaiveDate>,
    /// Weekend days that are working days (调休 make-up days).
    pub make_up_working_days: Vec<NaiveDate>,
    /// The local hour a business day closes: the R-4 evaluation of a checkpoint and the day's
    /// audit checkpoint run then, once the day's loan file from core banking is in (default 22).
    pub day_closes_at_hour: u32,
    /// Day of the next month on which the monthly run scores a month (X-1, X-2 items 3, 5, 6).
    pub monthly_run_day: u32,
    /// Day of January on which the year before is rated.
    pub yearly_rating_day: u32,
    /// Days before a required check's due date that its reminder is recorded (D-5).
    pub reminder_days_before_due: u32,
    /// D-5: count a required inspection's days in working days instead of calendar days.
    pub inspection_due_in_working_days: bool,
}

impl Default for CalendarPolicy {
    fn default() -> Self {
        CalendarPolicy {
            non_working_days: Vec::new(),
            make_up_working_days: Vec::new(),
            day_closes_at_hour: 22,
            monthly_run_day: 5,
            yearly_rating_day: 15,
            reminder_days_before_due: 2,
            inspection_due_in_working_days: false,
        }
    }
}

impl CalendarPolicy {
    /// Monday to Friday unless a holiday; a weekend day only when it is a make-up day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.make_up_working_days.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.non_working_days.contains(&day)
    }

    /// The day `n` working days after `day` (`n = 0` is `day` itself).
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut at = day;
        let mut left = n;
        while left > 0 {
            match at.succ_opt() {
                Some(next) => at = next,
                None => return at,
            }
            if self.is_working_day(at) {
                left -= 1;
            }
        }
        at
    }

    /// Working days from `from` to `to`, both included.
    pub fn working_days(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }

    /// Problems of a proposed calendar (P-1), as field paths and messages.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.day_closes_at_hour > 23 {
            out.push((
                "calendar.day_closes_at_hour".into(),
                "must be 0 to 23".into(),
            ));
        }
        if !(1..=28).contains(&self.monthly_run_day) {
            out.push(("calendar.monthly_run_day".into(), "must be 1 to 28".into()));
        }
        if !(1..=31).contains(&self.yearly_rating_day) {
            out.push((
                "calendar.yearly_rating_day".into(),
                "must be 1 to 31".into(),
            ));
        }
        if self.reminder_days_before_due > 60 {
            out.push((
                "calendar.reminder_days_before_due".into(),
                "must be 0 to 60".into(),
            ));
        }
        if let Some(d) = self
            .make_up_working_days
            .iter()
            .find(|d| self.non_working_days.contains(d))
        {
            out.push((
                "calendar.make_up_working_days".into(),
                format!("{d} is also listed as a non-working day"),
            ));
        }
        out
    }
}

crate::text_enum! {
    /// The jobs of the bank's calendar, run by the server's scheduler.
    Job {
        /// Start of day: RMs whose qualification lapsed (O-4) or whose term ended (O-5) lose
        /// eligibility; a handover is proposed for their customers.
        ExpirySweep => "expiry_sweep",
        /// Start of day: reminders of required checks falling due; checks left open past their
        /// due date recorded once as X-2 item 2 evidence on the RM (D-5).
        RequiredChecks => "required_checks",
        /// Start of day: primaries whose tenure reached the rotation period, and those whose
        /// customer's tier changed the day before, enter the A-8 re-match queue.
        RotationQueue => "rotation_queue",
        /// Close of a checkpoint day (the 20th, the 26th, month end): the R-4 evaluation.
        R4Evaluation => "r4_evaluation",
        /// Close of day: a signed checkpoint of the audit chain's head (M-2).
        AuditCheckpoint => "audit_checkpoint",
        /// The monthly run day: scores of the month before and X-2 items 3, 5, 6.
        MonthlyRun => "monthly_run",
        /// The yearly rating day in January: levels of the year before.
        YearlyRating => "yearly_rating",
    }
}

impl Job {
    /// Whether the job is due on `day`.
    pub fn is_due_on(self, day: NaiveDate, policy: &Policy) -> bool {
        let cal = &policy.calendar;
        match self {
            Job::ExpirySweep | Job::RequiredChecks | Job::RotationQueue | Job::AuditCheckpoint => {
                true
            }
            Job::R4Evaluation => checkpoint(day, policy) != Checkpoint::Other,
            Job::MonthlyRun => day.day() == cal.monthly_run_day,
            Job::YearlyRating => day.month() == 1 && day.day() == cal.yearly_rating_day,
        }
    }

    /// The local time on a due date from which the job may run.
    pub fn starts_at(self, policy: &Policy) -> NaiveTime {
        let close = NaiveTime::from_hms_opt(policy.calendar.day_closes_at_hour.min(23), 0, 0)
            .unwrap_or(NaiveTime::MIN);
        match self {
            Job::R4Evaluation | Job::AuditCheckpoint => close,
            Job::ExpirySweep
            | Job::RequiredChecks
            | Job::RotationQueue
            | Job::MonthlyRun
            | Job::YearlyRating => NaiveTime::MIN,
        }
    }

    /// What the schedule says, for people.
    pub fn schedule(self, policy: &Policy) -> String {
        let cal = &policy.calendar;
        let close = format!("{:02}:00", cal.day_closes_at_hour);
        match self {
            Job::ExpirySweep | Job::RequiredChecks | Job::RotationQueue => {
                "every day at 00:00".into()
            }
            Job::AuditCheckpoint => format!("every day at {close}"),
            Job::R4Evaluation => format!(
                "the {}th, the {}th and month end at {close}",
                policy.risk.settlement_day, policy.risk.second_check_day
            ),
            Job::MonthlyRun => format!(
                "day {} of each month at 00:00, for the month before",
                cal.monthly_run_day
            ),
            Job::YearlyRating => format!(
                "January {} at 00:00, for the year before",
                cal.yearly_rating_day
            ),
        }
    }

    /// The dates from `from` to `to` (both included) the job is due on, oldest first.
    pub fn due_dates(self, from: NaiveDate, to: NaiveDate, policy: &Policy) -> Vec<NaiveDate> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_due_on(*d, policy))
            .collect()
    }

    /// The next due date on or after `day`, within a year and a day.
    pub fn next_due(self, day: NaiveDate, policy: &Policy) -> Option<NaiveDate> {
        day.iter_days()
            .take(367)
            .find(|d| self.is_due_on(*d, policy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn p2_working_days_follow_holidays_and_make_up_days() {
        let cal = CalendarPolicy {
            // National Day week 2026: Oct 1-7 off, Sunday Sep 27 and Saturday Oct 10 worked.
            non_working_days: (1..=7).map(|d| day(&format!("2026-10-0{d}"))).collect(),
            make_up_working_days: vec![day("2026-09-27"), day("2026-10-10")],
            ..CalendarPolicy::default()
        };
        assert!(cal.is_working_day(day("2026-09-27")));
        assert!(!cal.is_working_day(day("2026-10-05")));
        assert!(cal.is_working_day(day("2026-10-10")));
        assert!(!cal.is_working_day(day("2026-10-11")));
        // Sep 30 (Wed) + 2 working days: Oct 8 (Thu), Oct 9 (Fri).
        assert_eq!(
            cal.add_working_days(day("2026-09-30"), 2),
            day("2026-10-09")
        );
        assert_eq!(cal.working_days(day("2026-09-28"), day("2026-10-11")), 6);
    }

    #[test]
    fn r4_evaluation_is_due_on_the_checkpoints_only() {
        let policy = Policy::default();
        let dates = Job::R4Evaluation.due_dates(day("2026-11-01"), day("2026-12-01"), &policy);
        assert_eq!(
            dates,
            vec![day("2026-11-20"), day("2026-11-26"), day("2026-11-30")]
        );
        assert_eq!(
            Job::MonthlyRun.next_due(day("2026-11-06"), &policy),
            Some(day("2026-12-05"))
        );
        assert_eq!(
            Job::YearlyRating.next_due(day("2026-11-06"), &policy),
            Some(day("2027-01-15"))
        );
        assert_eq!(Job::R4Evaluation.starts_at(&policy).to_string(), "22:00:00");
        assert!(CalendarPolicy {
            monthly_run_day: 30,
            ..CalendarPolicy::default()
        }
        .problems()
        .iter()
        .any(|(f, _)| f == "calendar.monthly_run_day"));
    }
}
