//! R-4 portfolio indicators: the overdue-interest ratio of an RM's loan customers at the
//! checkpoints of the month, against the policy's targets and triggers.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::policy::Policy;

/// Which checkpoint of the month a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    /// 结息日, the 20th by default.
    SettlementDay,
    /// The 26th by default.
    SecondCheck,
    MonthEnd,
    /// Any other day: only the out-of-control trigger applies.
    Other,
}

pub fn checkpoint(date: NaiveDate, policy: &Policy) -> Checkpoint {
    let last_day = date
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .map(|d| d.day());
    if Some(date.day()) == last_day {
        Checkpoint::MonthEnd
    } else if date.day() == policy.risk.settlement_day {
        Checkpoint::SettlementDay
    } else if date.day() == policy.risk.second_check_day {
        Checkpoint::SecondCheck
    } else {
        Checkpoint::Other
    }
}

/// What the ratio of one RM on one date calls for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Indicator {
    pub loan_customers: u32,
    pub overdue_customers: u32,
    #[schema(value_type = String, example = "0.225")]
    pub overdue_ratio: Decimal,
    pub checkpoint: Checkpoint,
    /// The policy target for this checkpoint (5% / 3% / 1%), if any.
    #[schema(value_type = Option<String>, example = "0.01")]
    pub target: Option<Decimal>,
    pub within_target: bool,
    /// Below the policy minimum of loans the ratio raises no alert.
    pub ratio_applies: bool,
    pub action_required: bool,
    pub out_of_control: bool,
    /// Month end above the inspection trigger: on-site inspections of the overdue customers.
    pub inspections_required: bool,
}

pub fn indicator(
    loan_customers: u32,
    overdue_customers: u32,
    date: NaiveDate,
    policy: &Policy,
) -> Indicator {
    let r = &policy.risk;
    let ratio = if loan_customers == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(overdue_customers) / Decimal::from(loan_customers)).round_dp(4)
    };
    let cp = checkpoint(date, policy);
    let target = match cp {
        Checkpoint::SettlementDay => Some(r.settlement_day_normal_ratio),
        Checkpoint::SecondCheck => Some(r.second_check_target_ratio),
        Checkpoint::MonthEnd => Some(r.month_end_target_ratio),
        Checkpoint::Other => None,
    };
    let applies = loan_customers >= r.min_loans_for_ratios;
    Indicator {
        loan_customers,
        overdue_customers,
        overdue_ratio: ratio,
        checkpoint: cp,
        target,
        within_target: target.is_none_or(|t| ratio <= t),
        ratio_applies: applies,
        action_required: applies
            && cp == Checkpoint::SettlementDay
            && ratio >= r.action_required_ratio,
        out_of_control: applies && ratio >= r.out_of_control_ratio,
        inspections_required: applies
            && cp == Checkpoint::MonthEnd
            && ratio > r.month_end_inspection_ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn r4_checkpoints_of_the_month() {
        let p = Policy::default();
        assert_eq!(checkpoint(day("2026-11-20"), &p), Checkpoint::SettlementDay);
        assert_eq!(checkpoint(day("2026-11-26"), &p), Checkpoint::SecondCheck);
        assert_eq!(checkpoint(day("2026-11-30"), &p), Checkpoint::MonthEnd);
        assert_eq!(checkpoint(day("2026-02-28"), &p), Checkpoint::MonthEnd);
        assert_eq!(checkpoint(day("2026-11-21"), &p), Checkpoint::Other);
    }

    #[test]
    fn r4_month_end_9_of_40_is_out_of_control_with_inspections() {
        let i = indicator(40, 9, day("2026-11-30"), &Policy::default());
        assert_eq!(i.overdue_ratio.to_string(), "0.225");
        assert!(
            i.out_of_control && i.inspections_required && !i.within_target && !i.action_required
        );
    }

    #[test]
    fn r4_settlement_day_action_at_10_percent_and_minimum_loans() {
        let p = Policy::default();
        let i = indicator(40, 4, day("2026-11-20"), &p);
        assert!(i.action_required && !i.out_of_control);
        assert!(!indicator(40, 2, day("2026-11-20"), &p).action_required);
        let few = indicator(20, 10, day("2026-11-30"), &p);
        assert!(!few.ratio_applies && !few.out_of_control && !few.inspections_required);
        assert!(
            !indicator(40, 1, day("2026-11-30"), &p).inspections_required,
            "1/40 = 2.5% is not above 3%"
        );
    }
}
