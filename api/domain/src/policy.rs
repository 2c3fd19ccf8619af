//! P-1: every threshold of RULES.md in one versioned record. The numbers here are the defaults a
//! bank starts with; the rules read them from the record, never from literals.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The policy document (P-1). Stored as JSON; each change makes a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub capacity: CapacityPolicy,
    pub assignment: AssignmentPolicy,
    pub qualification: QualificationPolicy,
    pub field_checks: FieldCheckPolicy,
    pub risk: RiskPolicy,
    pub exit: ExitPolicy,
    pub pay: PayPolicy,
    /// M-4: which role may grant which.
    #[serde(default)]
    pub duties: crate::duties::DutiesPolicy,
    /// P-2: working days, holidays and make-up days; the hours and days of the scheduled jobs.
    #[serde(default)]
    pub calendar: crate::calendar::CalendarPolicy,
    /// Webhook deliveries: their retries and when a failing subscription is disabled.
    #[serde(default)]
    pub webhooks: WebhookPolicy,
    /// X-1 monthly scoring tables (data, not code): `scoring-tables.json`.
    #[schema(value_type = Object)]
    pub scoring: serde_json::Value,
}

/// How webhook deliveries are retried: after the n-th failure in a row the next attempt waits
/// `retry_base_seconds * 2^(n-1)`, at most `retry_max_seconds`; after `max_failures` failures in a
/// row the subscription is disabled until an admin enables it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookPolicy {
    pub max_failures: u32,
    pub retry_base_seconds: u32,
    pub retry_max_seconds: u32,
    /// How long a receiver has to answer one delivery.
    pub timeout_seconds: u32,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        WebhookPolicy {
            max_failures: 15,
            retry_base_seconds: 2,
            retry_max_seconds: 600,
            timeout_seconds: 10,
        }
    }
}

impl WebhookPolicy {
    /// The wait before the next attempt after `failures` failures in a row.
    pub fn retry_after_seconds(&self, failures: u32) -> u64 {
        let base = u64::from(self.retry_base_seconds.max(1));
        let doubled = base.saturating_mul(1u64 << failures.saturating_sub(1).min(30));
        doubled.min(u64::from(self.retry_max_seconds.max(1)))
    }
}

/// A-3 capacity caps per RM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityPolicy {
    /// Corporate/SME RM: key accounts (loan customers and key deposit customers).
    #[schema(example = 15)]
    pub corporate_key_accounts: u32,
    /// Retail RM: VIP customers.
    #[schema(example = 400)]
    pub retail_vip_customers: u32,
}

///
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentPolicy {
    /// RMs per customer for ordinary marketing (primary + one assistant).
    pub max_marketers: u32,
    /// performance and NPL-responsibility share of the primary.
    #[schema(value_type = String, example = "0.6")]
    pub primary_share: Decimal,
    /// share of the assistant; the two sum to 1.
    #[schema(value_type = String, example = "0.4")]
    pub assistant_share: Decimal,
    /// propose rotation after the same primary held a customer this long.
    pub rotation_years: u32,
    /// days allowed to add the second RM once a customer enters an A-6 category.
    pub second_rm_due_days: u32,
}

/// O-4, O-5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationPolicy {
    /// O-4: years a qualification exam result stays valid.
    pub validity_years: u32,
    /// O-4: minimum years of counter experience.
    pub min_counter_experience_years: u32,
    /// O-5: appointment term in years.
    pub term_years: u32,
}

/// D-4, D-5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldCheckPolicy {
    /// D-4: the second RM of an R-4 check must not be assigned to the customer.
    pub independence_required: bool,
    /// D-5: days to complete a required post-loan inspection.
    pub required_inspection_due_days: u32,
    /// D-1: largest evidence file accepted, in bytes.
    #[serde(default = "default_evidence_max_bytes")]
    pub evidence_max_bytes: u64,
    /// D-6: daily activity targets per RM (004): new-customer visits, existing-customer visits.
    #[serde(default = "default_daily_targets")]
    pub daily_targets: DailyTargets,
}

/// D-6 daily activity targets of an RM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DailyTargets {
    pub new_customer_visits: u32,
    pub existing_customer_visits: u32,
    pub calls: u32,
}

fn default_evidence_max_bytes() -> u64 {
    10 * 1024 * 1024
}

fn default_daily_targets() -> DailyTargets {
    DailyTargets {
        new_customer_visits: 2,
        existing_customer_visits: 3,
        calls: 4,
    }
}

///
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskPolicy {
    /// 结息日: interest settlement day of the month.
    pub settlement_day: u32,
    #[schema(value_type = String, example = "0.05")]
    pub settlement_day_normal_ratio: Decimal,
    /// at or above this ratio on settlement day the RM gets `action_required`.
    #[schema(value_type = String, example = "0.10")]
    pub action_required_ratio: Decimal,
    /// the day of the month of the second check, and its target.
    pub second_check_day: u32,
    #[schema(value_type = String, example = "0.03")]
    pub second_check_target_ratio: Decimal,
    #[schema(value_type = String, example = "0.01")]
    pub month_end_target_ratio: Decimal,
    /// above this month-end ratio on-site inspections become required.
    #[schema(value_type = String, example = "0.03")]
    pub month_end_inspection_ratio: Decimal,
    /// at or above this ratio at any point, `management_out_of_control`.
    #[schema(value_type = String, example = "0.20")]
    pub out_of_control_ratio: Decimal,
    /// below this many loans an RM gets customer flags only, not ratio alerts.
    pub min_loans_for_ratios: u32,
    /// monthly new-NPL ratio that counts towards X-2 item 5.
    #[schema(value_type = String, example = "0.01")]
    pub new_npl_ratio_trigger: Decimal,
    pub new_npl_consecutive_months: u32,
    /// loans falling due are collected by this day of the month.
    pub due_collection_day: u32,
    /// how many guarantee/group links a `related_party` flag follows.
    #[serde(default = "default_related_party_depth")]
    pub related_party_depth: u32,
}

fn default_related_party_depth() -> u32 {
    2
}

///
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitPolicy {
    /// X-2 item 3: verified complaints within the window that start an exit review.
    pub complaints_threshold: u32,
    pub complaints_window_months: u32,
    /// X-2 item 6: share of RMs (same unit and line) at the bottom of the 12-month average score.
    #[schema(value_type = String, example = "0.20")]
    pub bottom_score_share: Decimal,
    /// X-4 forced distribution of performance levels 1/2/3.
    #[schema(value_type = Vec<String>, example = json!(["0.30", "0.50", "0.20"]))]
    pub level_shares: [Decimal; 3],
    /// months averaged for an RM's first rating.
    pub first_rating_months: u32,
    /// a yearly average score below this is below the standard of any rank: the RM is
    /// proposed for demotion one rank.
    #[serde(default = "default_rank_standard")]
    #[schema(value_type = String, example = "60")]
    pub rank_standard_min_score: Decimal,
    /// O-6: also ban for life after a disqualification for misconduct (X-2 items 1 and 4); off by
    /// default, where only a forced exit bans.
    #[serde(default)]
    pub ban_after_misconduct: bool,
}

fn default_rank_standard() -> Decimal {
    dec("60")
}

/// X-6 pay effects (reported, not paid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayPolicy {
    /// Monthly allowance for performance levels 1, 2 and 3, in CNY.
    #[schema(value_type = Vec<String>, example = json!(["1500", "1200", "900"]))]
    pub level_allowances: [Decimal; 3],
    /// the level-recognition transition allowance, for RMs in post when the scheme started
    /// (new RMs start at level 3, 003 第二篇第六条).
    #[schema(value_type = String, example = "1000")]
    pub transition_allowance: Decimal,
    /// the day the scheme started; unset means the bank's first scored month.
    #[serde(default)]
    pub scheme_started_on: Option<NaiveDate>,
    /// Share of a manager's pay linked to the average score of their RMs.
    #[schema(value_type = String, example = "0.10")]
    pub manager_linked_share: Decimal,
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            capacity: CapacityPolicy {
                corporate_key_accounts: 15,
                retail_vip_customers: 400,
            },
            assignment: AssignmentPolicy {
                max_marketers: 2,
                primary_share: dec("0.6"),
                assistant_share: dec("0.4"),
                rotation_years: 3,
                second_rm_due_days: 30,
            },
            qualification: QualificationPolicy {
                validity_years: 2,
                min_counter_experience_years: 2,
                term_years: 1,
            },
            field_checks: FieldCheckPolicy {
                independence_required: false,
                required_inspection_due_days: 10,
                evidence_max_bytes: default_evidence_max_bytes(),
                daily_targets: default_daily_targets(),
            },
            risk: RiskPolicy {
                settlement_day: 20,
                settlement_day_normal_ratio: dec("0.05"),
                action_required_ratio: dec("0.10"),
                second_check_day: 26,
                second_check_target_ratio: dec("0.03"),
                month_end_target_ratio: dec("0.01"),
                month_end_inspection_ratio: dec("0.03"),
                out_of_control_ratio: dec("0.20"),
                min_loans_for_ratios: 30,
                new_npl_ratio_trigger: dec("0.01"),
                new_npl_consecutive_months: 3,
                due_collection_day: 3,
                related_party_depth: default_related_party_depth(),
            },
            exit: ExitPolicy {
                complaints_threshold: 3,
                complaints_window_months: 12,
                bottom_score_share: dec("0.20"),
                level_shares: [dec("0.30"), dec("0.50"), dec("0.20")],
                first_rating_months: 6,
                rank_standard_min_score: default_rank_standard(),
                ban_after_misconduct: false,
            },
            pay: PayPolicy {
                level_allowances: [dec("1500"), dec("1200"), dec("900")],
                transition_allowance: dec("1000"),
                scheme_started_on: None,
                manager_linked_share: dec("0.10"),
            },
            duties: crate::duties::DutiesPolicy::default(),
            calendar: crate::calendar::CalendarPolicy::default(),
            webhooks: WebhookPolicy::default(),
            scoring: serde_json::from_str(include_str!("scoring-tables.json"))
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

impl ExitPolicy {
    /// X-2 item 3: the `complaints_window_months` calendar months ending on the last day of the
    /// month of `day`, both ends included: the same window for the monthly run and wherever the
    /// count is shown.
    pub fn complaints_window(&self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let first = day.with_day(1).unwrap_or(day);
        let last = first
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(day);
        let from = first
            .checked_sub_months(Months::new(self.complaints_window_months.saturating_sub(1)))
            .unwrap_or(first);
        (from, last)
    }
}

impl Policy {
    /// Consistency checks a new policy version must pass (P-1): shares sum to 1, ratios in 0..=1,
    /// days inside a month. Returns the offending field paths.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let one = Decimal::ONE;
        let a = &self.assignment;
        if a.primary_share + a.assistant_share != one {
            out.push((
                "assignment.assistant_share".into(),
                "primary_share and assistant_share must sum to 1".into(),
            ));
        }
        let r = &self.risk;
        let ratios = [
            (
                "risk.settlement_day_normal_ratio",
                r.settlement_day_normal_ratio,
            ),
            ("risk.action_required_ratio", r.action_required_ratio),
            (
                "risk.second_check_target_ratio",
                r.second_check_target_ratio,
            ),
            ("risk.month_end_target_ratio", r.month_end_target_ratio),
            (
                "risk.month_end_inspection_ratio",
                r.month_end_inspection_ratio,
            ),
            ("risk.out_of_control_ratio", r.out_of_control_ratio),
            ("risk.new_npl_ratio_trigger", r.new_npl_ratio_trigger),
            ("exit.bottom_score_share", self.exit.bottom_score_share),
        ];
        for (field, value) in ratios {
            if value < Decimal::ZERO || value > one {
                out.push((field.into(), "must be between 0 and 1".into()));
            }
        }
        if self.exit.level_shares.iter().sum::<Decimal>() != one {
            out.push((
                "exit.level_shares".into(),
                "the three shares must sum to 1".into(),
            ));
        }
        for (field, day) in [
            ("risk.settlement_day", r.settlement_day),
            ("risk.second_check_day", r.second_check_day),
            ("risk.due_collection_day", r.due_collection_day),
        ] {
            if !(1..=28).contains(&day) {
                out.push((field.into(), "must be a day between 1 and 28".into()));
            }
        }
        for (field, value) in [
            (
                "qualification.validity_years",
                self.qualification.validity_years,
            ),
            ("qualification.term_years", self.qualification.term_years),
            (
                "capacity.corporate_key_accounts",
                self.capacity.corporate_key_accounts,
            ),
            (
                "capacity.retail_vip_customers",
                self.capacity.retail_vip_customers,
            ),
            ("assignment.rotation_years", a.rotation_years),
            ("assignment.second_rm_due_days", a.second_rm_due_days),
            (
                "field_checks.required_inspection_due_days",
                self.field_checks.required_inspection_due_days,
            ),
            ("exit.complaints_threshold", self.exit.complaints_threshold),
            (
                "exit.complaints_window_months",
                self.exit.complaints_window_months,
            ),
            ("exit.first_rating_months", self.exit.first_rating_months),
            (
                "risk.new_npl_consecutive_months",
                r.new_npl_consecutive_months,
            ),
        ] {
            if value == 0 {
                out.push((field.into(), "must be at least 1".into()));
            }
        }
        // the primary and at least one assistant.
        if a.max_marketers < 2 {
            out.push((
                "assignment.max_marketers".into(),
                "must be at least 2 (the primary and an assistant)".into(),
            ));
        }
        out.extend(scoring_problems(&self.scoring));
        out.extend(self.calendar.problems());
        out
    }
}

/// each default table must score (every item well-formed) and its full marks total 100.
fn scoring_problems(scoring: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for table in super::scoring::TABLES {
        let field = format!("scoring.tables.{table}");
        match super::scoring::score(scoring, table, &super::scoring::Metrics::default(), &[]) {
            Ok(month) => {
                let full: Decimal = month.items.iter().map(|i| i.full).sum();
                if full != Decimal::from(100) {
                    out.push((field, format!("full marks total {full}, not 100")));
                }
            }
            Err(e) => out.push((field, format!("does not parse: {e}"))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p1_defaults_are_the_numbers_of_rules_md() {
        let p = Policy::default();
        assert_eq!(p.capacity.corporate_key_accounts, 15);
        assert_eq!(p.capacity.retail_vip_customers, 400);
        assert_eq!(p.assignment.primary_share, dec("0.6"));
        assert_eq!(p.qualification.validity_years, 2);
        assert_eq!(p.qualification.term_years, 1);
        assert_eq!(p.field_checks.required_inspection_due_days, 10);
        assert_eq!(p.risk.out_of_control_ratio, dec("0.20"));
        assert_eq!(p.risk.min_loans_for_ratios, 30);
        assert_eq!(p.exit.complaints_threshold, 3);
        assert!(
            p.scoring.get("tables").is_some(),
            "scoring tables are embedded"
        );
        assert!(p.problems().is_empty());
    }

    #[test]
    fn p1_policy_round_trips_as_json_with_decimal_strings() {
        let p = Policy::default();
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["risk"]["action_required_ratio"], "0.10");
        let back: Policy = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(back, p);
    }

    #[test]
    fn p1_empty_scoring_zero_counts_and_one_marketer_are_refused() {
        let mut p = Policy::default();
        p.scoring = serde_json::json!({});
        p.assignment.max_marketers = 1;
        p.qualification.term_years = 0;
        p.risk.settlement_day = 0;
        let fields: Vec<String> = p.problems().into_iter().map(|(f, _)| f).collect();
        for expected in [
            "scoring.tables.sub_branch_rm",
            "scoring.tables.retail_business_rm",
            "scoring.tables.corporate_business_rm",
            "assignment.max_marketers",
            "qualification.term_years",
            "risk.settlement_day",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
    }

    #[test]
    fn x2_3_the_complaints_window_is_the_twelve_months_ending_on_the_month_end() {
        let exit = Policy::default().exit;
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(
            exit.complaints_window(day("2026-11-17")),
            (day("2025-12-01"), day("2026-11-30"))
        );
        assert_eq!(
            exit.complaints_window(day("2026-11-30")),
            exit.complaints_window(day("2026-11-01"))
        );
        let six = ExitPolicy {
            complaints_window_months: 6,
            ..exit
        };
        assert_eq!(
            six.complaints_window(day("2026-09-30")),
            (day("2026-04-01"), day("2026-09-30"))
        );
    }

    #[test]
    fn p1_inconsistent_shares_are_named() {
        let mut p = Policy::default();
        p.assignment.assistant_share = dec("0.5");
        let problems = p.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "assignment.assistant_share");
    }
}
