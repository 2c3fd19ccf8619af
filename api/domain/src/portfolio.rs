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

/// Where an overdue-interest ratio stands against the R-4 bands, for the heat map of RMs: at or
/// under the settlement-day normal ratio (5%), above it, at the action trigger (10%), at the
/// out-of-control trigger (20%). The bands are the policy's (P-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    Normal,
    AboveNormal,
    ActionRequired,
    OutOfControl,
}

pub fn band(ratio: Decimal, policy: &Policy) -> RiskBand {
    let r = &policy.risk;
    if ratio >= r.out_of_control_ratio {
        RiskBand::OutOfControl
    } else if ratio >= r.action_required_ratio {
        RiskBand::ActionRequired
    } else if ratio > r.settlement_day_normal_ratio {
        RiskBand::AboveNormal
    } else {
        RiskBand::Normal
    }
}

/// The ratio in basis points, as the books store it (`rm_indicators.overdue_ratio_bp`): the
/// ratio [`indicator`] rounds to four places, times 10,000.
pub fn ratio_bp(ratio: Decimal) -> i64 {
    (ratio * Decimal::from(10_000))
        .trunc()
        .try_into()
        .unwrap_or(i64::MAX)
}

/// The lowest ratio, in basis points, of each band above [`RiskBand::Normal`]: a ratio of four
/// places is above normal from `above_normal`, action-required from `action_required` and out of
/// control from `out_of_control` (R-4, the policy's bands). The overview counts RMs per band in
/// the database with these, so that [`band`] stays the one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandFloors {
    pub above_normal: i64,
    pub action_required: i64,
    pub out_of_control: i64,
}

pub fn band_floors(policy: &Policy) -> BandFloors {
    let bp = |ratio: Decimal| ratio * Decimal::from(10_000);
    // A four-place ratio r is above t when r·10⁴ > floor(t·10⁴), at or above t from ceil(t·10⁴).
    let whole = |d: Decimal| -> i64 { d.try_into().unwrap_or(i64::MAX) };
    let r = &policy.risk;
    BandFloors {
        above_normal: whole(bp(r.settlement_day_normal_ratio).floor()) + 1,
        action_required: whole(bp(r.action_required_ratio).ceil()),
        out_of_control: whole(bp(r.out_of_control_ratio).ceil()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn r4_bands_of_the_heat_map_at_5_10_and_20_percent() {
        let p = Policy::default();
        let at = |s: &str| band(s.parse().unwrap_or(Decimal::MAX), &p);
        assert_eq!(at("0.05"), RiskBand::Normal);
        assert_eq!(at("0.0501"), RiskBand::AboveNormal);
        assert_eq!(at("0.10"), RiskBand::ActionRequired);
        assert_eq!(at("0.1999"), RiskBand::ActionRequired);
        assert_eq!(at("0.20"), RiskBand::OutOfControl);
    }

    #[test]
    fn r4_band_floors_agree_with_band_at_every_four_place_ratio() {
        let mut p = Policy::default();
        for (normal, action, out) in [("0.05", "0.10", "0.20"), ("0.033", "0.12345", "0.2")] {
            p.risk.settlement_day_normal_ratio = normal.parse().unwrap_or_default();
            p.risk.action_required_ratio = action.parse().unwrap_or_default();
            p.risk.out_of_control_ratio = out.parse().unwrap_or_default();
            let floors = band_floors(&p);
            for bp in 0..=10_000 {
                let ratio = Decimal::new(bp, 4);
                let by_floors = if bp >= floors.out_of_control {
                    RiskBand::OutOfControl
                } else if bp >= floors.action_required {
                    RiskBand::ActionRequired
                } else if bp >= floors.above_normal {
                    RiskBand::AboveNormal
                } else {
                    RiskBand::Normal
                };
                assert_eq!(
                    by_floors,
                    band(ratio, &p),
                    "{ratio} with {normal}/{action}/{out}"
                );
                assert_eq!(ratio_bp(ratio), bp);
            }
        }
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

/// NPL balance over the balance of the loans an RM originated (0 when there are none).
pub fn npl_ratio(npl_balance_fen: i64, total_balance_fen: i64) -> Decimal {
    if total_balance_fen <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(npl_balance_fen) / Decimal::from(total_balance_fen))
        .round_dp(6)
        .normalize()
}

/// the points of the NPL item from the policy's bands (`scoring.npl_bands`, data not
/// code): `ratio_below_or_equal`, `ratio_below`, then `otherwise`, first match wins.
pub fn npl_points(ratio: Decimal, scoring: &serde_json::Value) -> Option<u32> {
    let bands = scoring.get("npl_bands")?.as_array()?;
    for band in bands {
        let points = band.get("points")?.as_u64()? as u32;
        let limit = |key: &str| {
            band.get(key)
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Decimal>().ok())
        };
        if let Some(limit) = limit("ratio_below_or_equal") {
            if ratio <= limit {
                return Some(points);
            }
        } else if let Some(limit) = limit("ratio_below") {
            if ratio < limit {
                return Some(points);
            }
        } else if band.get("otherwise").and_then(|v| v.as_bool()) == Some(true) {
            return Some(points);
        }
    }
    None
}

/// X-2 item 5: whether the last `months` values of the monthly new-NPL series are all at or above
/// the trigger.
pub fn new_npl_trigger(series: &[Decimal], trigger: Decimal, months: u32) -> bool {
    let months = months as usize;
    months > 0
        && series.len() >= months
        && series[series.len() - months..]
            .iter()
            .all(|r| *r >= trigger)
}

#[cfg(test)]
mod npl_tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn r5_npl_bands_come_from_the_policy_tables() {
        let scoring = Policy::default().scoring;
        assert_eq!(npl_points(Decimal::ZERO, &scoring), Some(6));
        assert_eq!(npl_points(d("0.004"), &scoring), Some(3));
        assert_eq!(npl_points(d("0.005"), &scoring), Some(1));
        assert_eq!(npl_points(d("0.0099"), &scoring), Some(1));
        assert_eq!(npl_points(d("0.01"), &scoring), Some(0));
        assert_eq!(npl_ratio(50, 10_000), d("0.005"));
        assert_eq!(npl_ratio(1, 0), Decimal::ZERO);
    }

    #[test]
    fn r5_three_consecutive_months_at_one_percent_trigger_x2_item_5() {
        let t = d("0.01");
        assert!(new_npl_trigger(
            &[d("0"), d("0.01"), d("0.02"), d("0.011")],
            t,
            3
        ));
        assert!(!new_npl_trigger(
            &[d("0.02"), d("0.009"), d("0.02"), d("0.02")],
            t,
            3
        ));
        assert!(!new_npl_trigger(&[d("0.02"), d("0.02")], t, 3));
    }
}

/// One loan snapshot as R-5 needs it.
#[derive(Debug, Clone)]
pub struct LoanState {
    pub loan_no: String,
    pub as_of: NaiveDate,
    pub balance_fen: i64,
    pub npl: bool,
    /// the RM's part of the responsibility for the loan, in basis points (10,000 = whole):
    /// its share of the borrower it holds with others ("利益共分享,责任共分担").
    pub share_bp: i64,
}

impl LoanState {
    /// The balance the RM answers for: its share of it, to the fen.
    fn weighted_fen(&self) -> i64 {
        (i128::from(self.balance_fen) * i128::from(self.share_bp) / 10_000) as i64
    }
}

/// the new-NPL ratio of each month ending on `month_ends` (ascending): the balance of loans
/// that are NPL at that month end but were not at the previous one, over the balance of all the
/// loans then. `states` holds every snapshot of the RM's originated loans.
pub fn monthly_new_npl(states: &[LoanState], month_ends: &[NaiveDate]) -> Vec<Decimal> {
    fn at<'a>(list: &[&'a LoanState], day: NaiveDate) -> Option<&'a LoanState> {
        list.iter().rev().find(|s| s.as_of <= day).copied()
    }
    use std::collections::BTreeMap;
    let mut by_loan: BTreeMap<&str, Vec<&LoanState>> = BTreeMap::new();
    for s in states {
        by_loan.entry(s.loan_no.as_str()).or_default().push(s);
    }
    for list in by_loan.values_mut() {
        list.sort_by_key(|s| s.as_of);
    }
    month_ends
        .iter()
        .map(|&end| {
            let previous = end.with_day(1).and_then(|d| d.pred_opt());
            let (mut total, mut new_npl) = (0i64, 0i64);
            for list in by_loan.values() {
                let Some(now) = at(list, end) else { continue };
                total += now.weighted_fen();
                let was_npl = previous.and_then(|p| at(list, p)).is_some_and(|s| s.npl);
                if now.npl && !was_npl {
                    new_npl += now.weighted_fen();
                }
            }
            npl_ratio(new_npl, total)
        })
        .collect()
}

#[cfg(test)]
mod series_tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn state(no: &str, as_of: &str, balance: i64, npl: bool) -> LoanState {
        LoanState {
            loan_no: no.into(),
            as_of: day(as_of),
            balance_fen: balance,
            npl,
            share_bp: 10_000,
        }
    }

    #[test]
    fn a7_r5_an_npl_weighs_by_the_rms_share_of_it() {
        let mut shared = state("a", "2026-09-30", 1000, true);
        shared.share_bp = 4_000;
        let whole = state("b", "2026-09-30", 9000, false);
        let states = vec![shared, whole];
        assert_eq!(balances_at(&states, day("2026-09-30")), (9400, 400));
        assert_eq!(
            monthly_new_npl(&states, &[day("2026-09-30")]),
            vec![npl_ratio(400, 9400)]
        );
    }

    #[test]
    fn r5_new_npl_counts_a_loan_in_the_month_it_turns_bad_only() {
        let states = vec![
            state("a", "2026-08-31", 1000, false),
            state("a", "2026-09-30", 1000, true),
            state("a", "2026-10-31", 1000, true),
            state("b", "2026-08-31", 9000, false),
        ];
        let series = monthly_new_npl(
            &states,
            &[day("2026-08-31"), day("2026-09-30"), day("2026-10-31")],
        );
        assert_eq!(
            series,
            vec![
                Decimal::ZERO,
                "0.1".parse().unwrap_or_default(),
                Decimal::ZERO
            ]
        );
    }
}

/// the balance an RM answers for on `day` and the part of it non-performing, in fen (each
/// loan's latest state then, weighed by the RM's share of it, A-7).
pub fn balances_at(states: &[LoanState], day: NaiveDate) -> (i64, i64) {
    let mut latest: std::collections::BTreeMap<&str, &LoanState> = Default::default();
    for s in states.iter().filter(|s| s.as_of <= day) {
        latest
            .entry(s.loan_no.as_str())
            .and_modify(|l| {
                if s.as_of >= l.as_of {
                    *l = s
                }
            })
            .or_insert(s);
    }
    let total: i64 = latest.values().map(|s| s.weighted_fen()).sum();
    let bad: i64 = latest
        .values()
        .filter(|s| s.npl)
        .map(|s| s.weighted_fen())
        .sum();
    (total, bad)
}

/// the NPL ratio of an RM's originated loans on `day`.
pub fn npl_ratio_at(states: &[LoanState], day: NaiveDate) -> Decimal {
    let (total, bad) = balances_at(states, day);
    npl_ratio(bad, total)
}
