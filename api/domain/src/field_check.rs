//! Dual-person checks (双人调查 / 双人贷后检查): D-1..D-5 as pure functions.

use chrono::NaiveDate;

use super::assignment::CustomerFacts;
use super::policy::Policy;
use super::rm::{qualification_lapsed, RmStatus};
use super::text_enum;
use crate::RuleViolation;

text_enum! {
    /// D-1 kinds of field check.
    CheckKind {
        /// 贷前调查
        PreLoanInvestigation => "pre_loan_investigation",
        /// 贷后检查
        PostLoanInspection => "post_loan_inspection",
        /// 上门走访
        SiteVisit => "site_visit",
        AnomalyReview => "anomaly_review",
    }
}

text_enum! {
    CheckStatus {
        /// Submitted by the lead; waiting for the second RM's own confirmation (D-3).
        AwaitingConfirmation => "awaiting_confirmation",
        /// A one-person check where no second RM is required.
        Completed => "completed",
        Confirmed => "confirmed",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
}

impl CheckKind {
    /// D-2: the kinds that need two RMs for A-6 customers.
    pub fn needs_two_for_a6(self) -> bool {
        matches!(
            self,
            CheckKind::PreLoanInvestigation | CheckKind::PostLoanInspection
        )
    }
}

/// What the rules know about a participant.
#[derive(Debug, Clone)]
pub struct Participant {
    pub rm_id: String,
    pub status: RmStatus,
    pub qualified_on: NaiveDate,
    /// Holds the customer in any active role.
    pub assigned: bool,
}

fn refuse(rule: &'static str, code: &'static str, detail: impl Into<String>) -> RuleViolation {
    RuleViolation::new(rule, code, detail)
}

/// the customer is in a category that needs two RMs.
pub fn is_a6(customer: &CustomerFacts, open_risk_flags: bool) -> bool {
    open_risk_flags || customer.categories.iter().any(|c| c.needs_two_rms())
}

fn check_participant(
    p: &Participant,
    who: &str,
    today: NaiveDate,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    if p.status != RmStatus::Active {
        return Err(refuse(
            "D-3",
            "participant_not_eligible",
            format!("the {who} RM is {}, not active", p.status),
        ));
    }
    if qualification_lapsed(p.qualified_on, today, policy) {
        return Err(refuse(
            "D-3",
            "participant_not_eligible",
            format!("the {who} RM's qualification has lapsed (O-4)"),
        ));
    }
    Ok(())
}

/// D-2, D-3, D-4 at submission: who may do this check on this customer.
pub fn check_submission(
    kind: CheckKind,
    a6: bool,
    lead: &Participant,
    second: Option<&Participant>,
    required_by_r4: bool,
    today: NaiveDate,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    if a6 && kind.needs_two_for_a6() && second.is_none() {
        return Err(refuse(
            "D-2",
            "second_rm_required",
            format!("a {kind} of this customer is valid only when two distinct RMs take part"),
        ));
    }
    check_participant(lead, "lead", today, policy)?;
    if let Some(second) = second {
        if second.rm_id == lead.rm_id {
            return Err(refuse(
                "D-3",
                "same_person",
                "the lead and the second RM must be two different people",
            ));
        }
        check_participant(second, "second", today, policy)?;
        if required_by_r4 && policy.field_checks.independence_required && second.assigned {
            return Err(refuse(
                "D-4",
                "second_not_independent",
                "for a check required by R-4 the second RM must not be assigned to the customer",
            ));
        }
    }
    if !lead.assigned && !second.is_some_and(|s| s.assigned) {
        return Err(refuse(
            "D-3",
            "no_assigned_participant",
            "at least one of the RMs must be assigned to the customer",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn rm(id: &str, assigned: bool) -> Participant {
        Participant {
            rm_id: id.into(),
            status: RmStatus::Active,
            qualified_on: day("2026-01-01"),
            assigned,
        }
    }

    const TODAY: &str = "2026-11-23";

    #[test]
    fn d2_a6_inspections_need_two_rms() {
        let policy = Policy::default();
        let today = day(TODAY);
        let lead = rm("l", true);
        let err = check_submission(
            CheckKind::PostLoanInspection,
            true,
            &lead,
            None,
            false,
            today,
            &policy,
        );
        assert_eq!(err.map_err(|e| e.rule), Err("D-2"));
        assert!(check_submission(
            CheckKind::SiteVisit,
            true,
            &lead,
            None,
            false,
            today,
            &policy
        )
        .is_ok());
        assert!(check_submission(
            CheckKind::PostLoanInspection,
            false,
            &lead,
            None,
            false,
            today,
            &policy
        )
        .is_ok());
        assert!(check_submission(
            CheckKind::PreLoanInvestigation,
            true,
            &lead,
            Some(&rm("s", false)),
            false,
            today,
            &policy
        )
        .is_ok());
    }

    #[test]
    fn d3_two_eligible_people_one_assigned() {
        let policy = Policy::default();
        let today = day(TODAY);
        let same = check_submission(
            CheckKind::SiteVisit,
            false,
            &rm("l", true),
            Some(&rm("l", true)),
            false,
            today,
            &policy,
        );
        assert_eq!(same.map_err(|e| e.code), Err("same_person"));
        let mut suspended = rm("s", false);
        suspended.status = RmStatus::Suspended;
        let r = check_submission(
            CheckKind::SiteVisit,
            false,
            &rm("l", true),
            Some(&suspended),
            false,
            today,
            &policy,
        );
        assert_eq!(r.map_err(|e| e.code), Err("participant_not_eligible"));
        let mut lapsed = rm("s", false);
        lapsed.qualified_on = day("2024-01-01");
        let r = check_submission(
            CheckKind::SiteVisit,
            false,
            &rm("l", true),
            Some(&lapsed),
            false,
            today,
            &policy,
        );
        assert_eq!(r.map_err(|e| e.rule), Err("D-3"));
        let r = check_submission(
            CheckKind::SiteVisit,
            false,
            &rm("l", false),
            Some(&rm("s", false)),
            false,
            today,
            &policy,
        );
        assert_eq!(r.map_err(|e| e.code), Err("no_assigned_participant"));
    }

    #[test]
    fn d4_independent_second_when_the_policy_asks() {
        let mut policy = Policy::default();
        let today = day(TODAY);
        let (lead, assigned_second) = (rm("l", true), rm("s", true));
        assert!(check_submission(
            CheckKind::PostLoanInspection,
            true,
            &lead,
            Some(&assigned_second),
            true,
            today,
            &policy
        )
        .is_ok());
        policy.field_checks.independence_required = true;
        let r = check_submission(
            CheckKind::PostLoanInspection,
            true,
            &lead,
            Some(&assigned_second),
            true,
            today,
            &policy,
        );
        assert_eq!(r.map_err(|e| e.rule), Err("D-4"));
        assert!(check_submission(
            CheckKind::PostLoanInspection,
            true,
            &lead,
            Some(&rm("s", false)),
            true,
            today,
            &policy
        )
        .is_ok());
    }
}
