//! Assignment of customers to RMs (管户): the A rules as pure functions over the facts a
//! decision needs. The database layer loads the facts under row locks; these functions decide.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::customer::{Category, CustomerKind};
use super::org::in_scope;
use super::policy::Policy;
use super::rm::{qualification_lapsed, Grade, Line, RmStatus};
use super::text_enum;
use crate::RuleViolation;

text_enum! {
    AssignmentRole {
        /// 责任人 / 主办
        Primary => "primary",
        /// 协助人 / 协办
        Assistant => "assistant",
        /// Member of a team led by a senior-or-higher primary.
        TeamMember => "team_member",
    }
}

/// What the rules need to know about an RM.
#[derive(Debug, Clone)]
pub struct RmFacts {
    pub id: String,
    pub line: Line,
    pub grade: Grade,
    pub status: RmStatus,
    pub org_path: String,
    pub qualified_on: NaiveDate,
    pub term_ends_on: NaiveDate,
    /// an open exit or disqualification case.
    pub under_exit_review: bool,
    /// O-6: a permanent ban on the person.
    pub banned: bool,
    /// key-account customers the RM holds now (any active role).
    pub key_accounts: u32,
    /// VIP customers the RM holds now (any active role).
    pub vip_customers: u32,
}

/// What the rules need to know about a customer.
#[derive(Debug, Clone)]
pub struct CustomerFacts {
    pub kind: CustomerKind,
    pub categories: Vec<Category>,
    pub is_key_account: bool,
    pub is_vip: bool,
    pub org_path: String,
}

/// An active assignment of the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    pub rm_id: String,
    pub role: AssignmentRole,
    pub grade: Grade,
    pub share: Decimal,
}

fn refuse(rule: &'static str, code: &'static str, detail: impl Into<String>) -> RuleViolation {
    RuleViolation::new(rule, code, detail)
}

/// may this RM receive a new assignment for this customer today?
pub fn check_eligible(
    rm: &RmFacts,
    customer: &CustomerFacts,
    today: NaiveDate,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    if rm.banned {
        return Err(refuse(
            "A-4",
            "rm_not_eligible",
            "the RM is permanently banned (O-6)",
        ));
    }
    if rm.status != RmStatus::Active {
        return Err(refuse(
            "A-4",
            "rm_not_eligible",
            format!("the RM is {}, not active", rm.status),
        ));
    }
    if rm.under_exit_review {
        return Err(refuse(
            "A-4",
            "rm_not_eligible",
            "the RM is under exit review (X-5)",
        ));
    }
    if qualification_lapsed(rm.qualified_on, today, policy) {
        return Err(refuse(
            "A-4",
            "rm_not_eligible",
            "the RM's qualification has lapsed (O-4); re-certify first",
        ));
    }
    if today >= rm.term_ends_on {
        return Err(refuse(
            "A-4",
            "rm_not_eligible",
            "the RM's appointment term has ended (O-5); renew it first",
        ));
    }
    if !customer.kind.fits_line(rm.line) {
        return Err(refuse(
            "A-4",
            "line_mismatch",
            format!("a {} RM cannot serve a {} customer", rm.line, customer.kind),
        ));
    }
    Ok(())
}

/// customers with an A-5 marker need a senior-or-higher primary; only senior-or-higher RMs
/// may be assigned across units (outside the subtree of their own unit).
pub fn check_grade(
    rm: &RmFacts,
    customer: &CustomerFacts,
    role: AssignmentRole,
) -> Result<(), RuleViolation> {
    if role == AssignmentRole::Primary && !rm.grade.is_senior_or_higher() {
        if let Some(marker) = customer
            .categories
            .iter()
            .find(|c| c.needs_senior_primary())
        {
            return Err(refuse(
                "A-5",
                "grade_too_low",
                format!(
                    "a {marker} customer needs a senior-or-higher primary RM; this RM is {}",
                    rm.grade
                ),
            ));
        }
    }
    if !rm.grade.is_senior_or_higher() && !in_scope(&rm.org_path, &customer.org_path) {
        return Err(refuse(
            "A-5",
            "cross_unit_not_allowed",
            "only senior-or-higher RMs may be assigned to customers outside their own unit",
        ));
    }
    Ok(())
}

/// would holding one more of this customer exceed the RM's cap?
pub fn check_capacity(
    rm: &RmFacts,
    customer: &CustomerFacts,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    let cap = &policy.capacity;
    if rm.line == Line::Retail {
        if customer.is_vip && rm.vip_customers >= cap.retail_vip_customers {
            return Err(refuse(
                "A-3",
                "capacity_exceeded",
                format!(
                    "the RM holds {} VIP customers; the cap is {}",
                    rm.vip_customers, cap.retail_vip_customers
                ),
            ));
        }
    } else if customer.is_key_account && rm.key_accounts >= cap.corporate_key_accounts {
        return Err(refuse(
            "A-3",
            "capacity_exceeded",
            format!(
                "the RM holds {} key accounts; the cap is {}",
                rm.key_accounts, cap.corporate_key_accounts
            ),
        ));
    }
    Ok(())
}

/// A-3 on the state a change produced: the RM's load, counted after the change, is within the cap
/// of its line for the kind of customer this one counts as.
pub fn check_within_cap(
    rm: &RmFacts,
    customer: &CustomerFacts,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    let cap = &policy.capacity;
    let (counts, held, limit, what) = if rm.line == Line::Retail {
        (
            customer.is_vip,
            rm.vip_customers,
            cap.retail_vip_customers,
            "VIP customers",
        )
    } else {
        (
            customer.is_key_account,
            rm.key_accounts,
            cap.corporate_key_accounts,
            "key accounts (customers with a loan and key deposit customers)",
        )
    };
    if counts && held > limit {
        return Err(refuse(
            "A-3",
            "capacity_exceeded",
            format!("this change leaves the RM holding {held} {what}; the cap is {limit}"),
        ));
    }
    Ok(())
}

/// an assigned customer has exactly one primary RM at any moment.
pub fn check_one_primary(holders: usize, primaries: usize) -> Result<(), RuleViolation> {
    if holders > 0 && primaries != 1 {
        return Err(refuse(
            "A-1",
            "primary_required",
            format!(
                "an assigned customer has exactly one primary RM; this change leaves {primaries}"
            ),
        ));
    }
    Ok(())
}

/// Who was the customer's primary before and after a change (M-1: the rule holds on every path).
#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryChange {
    pub before: Option<String>,
    pub after: Option<String>,
    /// When the customer had no primary before: the RM who last held it as primary.
    pub last_ended: Option<String>,
}

impl PrimaryChange {
    /// A change of primary RM, or its removal: ending a primary and assigning another later is a
    /// reassignment too (A-10 counts it as one).
    pub fn is_reassignment(&self) -> bool {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) => a != b,
            (Some(_), None) => true,
            (None, Some(a)) => self.last_ended.as_ref().is_some_and(|last| last != a),
            (None, None) => false,
        }
    }
}

/// can the customer take one more RM in this role?
pub fn check_slot(
    holders: &[Holder],
    rm_id: &str,
    role: AssignmentRole,
    max_marketers: u32,
) -> Result<(), RuleViolation> {
    if holders.iter().any(|h| h.rm_id == rm_id) {
        return Err(refuse(
            "A-2",
            "already_assigned",
            "this RM is already assigned to the customer",
        ));
    }
    let primary = holders.iter().find(|h| h.role == AssignmentRole::Primary);
    match role {
        AssignmentRole::Primary if primary.is_some() => Err(refuse(
            "A-1",
            "primary_exists",
            "the customer has a primary RM already; reassign instead",
        )),
        AssignmentRole::Primary => Ok(()),
        _ if primary.is_none() => Err(refuse("A-1", "no_primary", "assign the primary RM first")),
        AssignmentRole::Assistant => {
            let marketers = holders
                .iter()
                .filter(|h| h.role != AssignmentRole::TeamMember)
                .count();
            if marketers as u64 >= u64::from(max_marketers) {
                return Err(refuse(
                    "A-2",
                    "too_many_marketers",
                    format!("ordinary marketing allows {max_marketers} RMs (the primary and assistants); serve the customer as a team led by a senior RM instead"),
                ));
            }
            Ok(())
        }
        AssignmentRole::TeamMember => match primary {
            Some(p) if p.grade.is_senior_or_higher() => Ok(()),
            _ => Err(refuse(
                "A-2",
                "team_needs_senior_lead",
                "a team must be led by a senior-or-higher primary RM",
            )),
        },
    }
}

/// the primary's share is what the others leave of 1; refused when they leave nothing.
pub fn primary_share(others: &[Decimal]) -> Result<Decimal, RuleViolation> {
    let taken: Decimal = others.iter().sum();
    if others
        .iter()
        .any(|s| *s <= Decimal::ZERO || *s >= Decimal::ONE)
        || taken >= Decimal::ONE
    {
        return Err(refuse(
            "A-7",
            "invalid_share",
            format!("shares must be between 0 and 1 and leave the primary a part; the others would take {taken}"),
        ));
    }
    Ok(Decimal::ONE - taken)
}

/// the default share of a new non-primary RM.
pub fn default_share(role: AssignmentRole, holders: &[Holder], policy: &Policy) -> Decimal {
    match role {
        AssignmentRole::Primary => Decimal::ONE,
        AssignmentRole::Assistant => policy.assignment.assistant_share,
        // Team members split the assistant share of the team evenly with those already there.
        AssignmentRole::TeamMember => {
            let members = holders
                .iter()
                .filter(|h| h.role == AssignmentRole::TeamMember)
                .count()
                + 1;
            team_member_share(members, policy)
        }
    }
}

/// each of `members` team members' share when they split the assistant share evenly (the
/// primary keeps its own share, and the rounding to basis points).
pub fn team_member_share(members: usize, policy: &Policy) -> Decimal {
    let members = Decimal::from(members.max(1) as u64);
    (policy.assignment.assistant_share / members)
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero)
}

/// Every check for giving `rm` the customer in `role` (A-1..A-5).
pub fn check_assignment(
    rm: &RmFacts,
    customer: &CustomerFacts,
    holders: &[Holder],
    role: AssignmentRole,
    today: NaiveDate,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    check_eligible(rm, customer, today, policy)?;
    check_slot(holders, &rm.id, role, policy.assignment.max_marketers)?;
    check_grade(rm, customer, role)?;
    check_capacity(rm, customer, policy)
}

/// reassigning these customers needs a second person's approval (M-1).
pub fn reassignment_needs_approval(
    customer: &CustomerFacts,
    open_risk_flags: bool,
    blacklisted: bool,
) -> Option<&'static str> {
    if blacklisted {
        Some("the customer is blacklisted")
    } else if open_risk_flags {
        Some("the customer has an open risk flag")
    } else if customer.categories.contains(&Category::HighValue) {
        Some("the customer is high-value")
    } else {
        None
    }
}

/// how full an RM is relative to the cap of its line (key accounts for corporate and
/// SME RMs, VIP customers for retail RMs).
pub fn relative_load(rm: &RmFacts, policy: &Policy) -> Decimal {
    let (held, cap) = match rm.line {
        Line::Retail => (rm.vip_customers, policy.capacity.retail_vip_customers),
        _ => (rm.key_accounts, policy.capacity.corporate_key_accounts),
    };
    if cap == 0 {
        return Decimal::MAX;
    }
    Decimal::from(held) / Decimal::from(cap)
}

/// An RM who could take customers over, with the number of customers held in any role.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub facts: RmFacts,
    pub customers: u32,
}

impl Candidate {
    /// Counts one more customer against the candidate's load (planning several moves at once).
    pub fn take(&mut self, customer: &CustomerFacts) {
        self.customers += 1;
        if customer.is_key_account {
            self.facts.key_accounts += 1;
        }
        if customer.is_vip {
            self.facts.vip_customers += 1;
        }
    }
}

/// the eligible, grade-matched candidate with the lowest load relative to the cap (then the
/// fewest customers) to take the customer over in `role`; `Err` says why nobody fits.
pub fn choose_successor(
    customer: &CustomerFacts,
    holders: &[Holder],
    role: AssignmentRole,
    candidates: &[Candidate],
    today: NaiveDate,
    policy: &Policy,
) -> Result<usize, String> {
    let mut refusals = Vec::new();
    let best = candidates
        .iter()
        .enumerate()
        .filter(
            |(_, c)| match check_assignment(&c.facts, customer, holders, role, today, policy) {
                Ok(()) => true,
                Err(v) => {
                    refusals.push(v.rule);
                    false
                }
            },
        )
        .min_by(|(_, a), (_, b)| {
            (relative_load(&a.facts, policy), a.customers, &a.facts.id).cmp(&(
                relative_load(&b.facts, policy),
                b.customers,
                &b.facts.id,
            ))
        })
        .map(|(i, _)| i);
    best.ok_or_else(|| {
        refusals.sort_unstable();
        refusals.dedup();
        if candidates.is_empty() {
            "no other RM in the unit".to_string()
        } else {
            format!("no RM in the unit fits ({})", refusals.join(", "))
        }
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn a7_team_members_split_the_assistant_share_and_the_primary_keeps_its_own() {
        let policy = Policy::default();
        let dec = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(team_member_share(1, &policy), dec("0.4"));
        assert_eq!(team_member_share(2, &policy), dec("0.2"));
        assert_eq!(team_member_share(3, &policy), dec("0.1333"));
        for n in 1..=12 {
            let members = vec![team_member_share(n, &policy); n];
            let primary = primary_share(&members).map_err(|v| v.code);
            assert!(
                primary.is_ok_and(|p| p >= dec("0.6") && p < dec("0.601")),
                "{n} members leave the primary {primary:?}"
            );
        }
    }

    #[test]
    fn a10_ending_a_primary_and_assigning_another_is_a_reassignment() {
        let change =
            |before: Option<&str>, after: Option<&str>, last: Option<&str>| PrimaryChange {
                before: before.map(String::from),
                after: after.map(String::from),
                last_ended: last.map(String::from),
            };
        assert!(change(Some("a"), Some("b"), None).is_reassignment());
        assert!(change(Some("a"), None, None).is_reassignment());
        assert!(change(None, Some("b"), Some("a")).is_reassignment());
        assert!(!change(None, Some("a"), Some("a")).is_reassignment());
        assert!(!change(None, Some("a"), None).is_reassignment());
        assert!(!change(Some("a"), Some("a"), None).is_reassignment());
    }

    #[test]
    fn a1_an_assigned_customer_has_exactly_one_primary() {
        assert!(check_one_primary(0, 0).is_ok());
        assert!(check_one_primary(2, 1).is_ok());
        assert_eq!(check_one_primary(1, 0).unwrap_err().rule, "A-1");
        assert_eq!(check_one_primary(2, 2).unwrap_err().rule, "A-1");
    }
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn rm(line: Line, grade: Grade) -> RmFacts {
        RmFacts {
            id: "rm1".into(),
            line,
            grade,
            status: RmStatus::Active,
            org_path: "/ho/b1/".into(),
            qualified_on: day("2026-01-15"),
            term_ends_on: day("2027-01-15"),
            under_exit_review: false,
            banned: false,
            key_accounts: 0,
            vip_customers: 0,
        }
    }

    fn customer(kind: CustomerKind) -> CustomerFacts {
        CustomerFacts {
            kind,
            categories: vec![],
            is_key_account: true,
            is_vip: false,
            org_path: "/ho/b1/t1/".into(),
        }
    }

    fn holder(id: &str, role: AssignmentRole, grade: Grade) -> Holder {
        Holder {
            rm_id: id.into(),
            role,
            grade,
            share: Decimal::ONE,
        }
    }

    const TODAY: &str = "2026-11-23";

    #[test]
    fn a3_capacity_cap_rejects_16th_key_account() {
        let policy = Policy::default();
        let mut r = rm(Line::Corporate, Grade::Rm);
        r.key_accounts = 14;
        assert!(check_capacity(&r, &customer(CustomerKind::Corporate), &policy).is_ok());
        r.key_accounts = 15;
        let err = check_capacity(&r, &customer(CustomerKind::Corporate), &policy)
            .map_err(|e| (e.rule, e.code));
        assert_eq!(err, Err(("A-3", "capacity_exceeded")));
        let mut plain = customer(CustomerKind::Corporate);
        plain.is_key_account = false;
        assert!(
            check_capacity(&r, &plain, &policy).is_ok(),
            "only key accounts count"
        );
    }

    #[test]
    fn a3_retail_cap_is_400_vips() {
        let policy = Policy::default();
        let mut r = rm(Line::Retail, Grade::Rm);
        r.vip_customers = 400;
        let mut c = customer(CustomerKind::Retail);
        c.is_vip = true;
        assert_eq!(
            check_capacity(&r, &c, &policy).map_err(|e| e.rule),
            Err("A-3")
        );
    }

    #[test]
    fn a4_line_status_qualification_and_term() {
        let policy = Policy::default();
        let today = day(TODAY);
        let c = customer(CustomerKind::Retail);
        assert_eq!(
            check_eligible(&rm(Line::Corporate, Grade::Rm), &c, today, &policy).map_err(|e| e.code),
            Err("line_mismatch")
        );
        let mut r = rm(Line::Retail, Grade::Rm);
        assert!(check_eligible(&r, &c, today, &policy).is_ok());
        r.status = RmStatus::Suspended;
        assert_eq!(
            check_eligible(&r, &c, today, &policy).map_err(|e| e.rule),
            Err("A-4")
        );
        r.status = RmStatus::Active;
        r.qualified_on = day("2024-11-01");
        assert_eq!(
            check_eligible(&r, &c, today, &policy).map_err(|e| e.rule),
            Err("A-4")
        );
        r.qualified_on = day("2026-01-15");
        r.term_ends_on = day(TODAY);
        assert_eq!(
            check_eligible(&r, &c, today, &policy).map_err(|e| e.rule),
            Err("A-4")
        );
        r.term_ends_on = day("2027-01-15");
        r.under_exit_review = true;
        assert_eq!(
            check_eligible(&r, &c, today, &policy).map_err(|e| e.rule),
            Err("A-4")
        );
    }

    #[test]
    fn a5_core_customer_needs_senior_primary() {
        let mut c = customer(CustomerKind::Corporate);
        c.categories = vec![Category::Core];
        assert_eq!(
            check_grade(&rm(Line::Corporate, Grade::Rm), &c, AssignmentRole::Primary)
                .map_err(|e| e.code),
            Err("grade_too_low")
        );
        assert!(check_grade(
            &rm(Line::Corporate, Grade::Senior),
            &c,
            AssignmentRole::Primary
        )
        .is_ok());
        assert!(check_grade(
            &rm(Line::Corporate, Grade::Rm),
            &c,
            AssignmentRole::Assistant
        )
        .is_ok());
    }

    #[test]
    fn a5_only_seniors_cross_units() {
        let mut c = customer(CustomerKind::Corporate);
        c.org_path = "/ho/b2/t9/".into();
        assert_eq!(
            check_grade(
                &rm(Line::Corporate, Grade::Rm),
                &c,
                AssignmentRole::Assistant
            )
            .map_err(|e| e.code),
            Err("cross_unit_not_allowed")
        );
        assert!(check_grade(
            &rm(Line::Corporate, Grade::Principal),
            &c,
            AssignmentRole::Primary
        )
        .is_ok());
    }

    #[test]
    fn a1_one_primary_and_a2_two_marketers() {
        let primary = holder("p", AssignmentRole::Primary, Grade::Rm);
        assert_eq!(
            check_slot(
                std::slice::from_ref(&primary),
                "x",
                AssignmentRole::Primary,
                2
            )
            .map_err(|e| e.rule),
            Err("A-1")
        );
        assert_eq!(
            check_slot(&[], "x", AssignmentRole::Assistant, 2).map_err(|e| e.code),
            Err("no_primary")
        );
        assert!(check_slot(
            std::slice::from_ref(&primary),
            "x",
            AssignmentRole::Assistant,
            2
        )
        .is_ok());
        let assistant = holder("a", AssignmentRole::Assistant, Grade::Rm);
        assert_eq!(
            check_slot(
                &[primary.clone(), assistant.clone()],
                "x",
                AssignmentRole::Assistant,
                2
            )
            .map_err(|e| e.code),
            Err("too_many_marketers")
        );
        assert_eq!(
            check_slot(
                std::slice::from_ref(&primary),
                "x",
                AssignmentRole::TeamMember,
                2
            )
            .map_err(|e| e.code),
            Err("team_needs_senior_lead")
        );
        let senior = holder("s", AssignmentRole::Primary, Grade::Senior);
        assert!(check_slot(&[senior, assistant], "x", AssignmentRole::TeamMember, 2).is_ok());
        assert_eq!(
            check_slot(&[primary], "p", AssignmentRole::Assistant, 2).map_err(|e| e.code),
            Err("already_assigned")
        );
    }

    #[test]
    fn a7_shares_sum_to_one() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(primary_share(&[]).ok(), Some(Decimal::ONE));
        assert_eq!(primary_share(&[d("0.4")]).ok(), Some(d("0.6")));
        assert_eq!(
            primary_share(&[d("0.5"), d("0.5")]).map_err(|e| e.rule),
            Err("A-7")
        );
        assert_eq!(primary_share(&[d("0")]).map_err(|e| e.rule), Err("A-7"));
        let policy = Policy::default();
        assert_eq!(
            default_share(AssignmentRole::Assistant, &[], &policy),
            d("0.4")
        );
    }

    #[test]
    fn a9_successor_is_the_least_loaded_eligible_grade_matched_rm() {
        let policy = Policy::default();
        let today = day(TODAY);
        let mut core = customer(CustomerKind::Corporate);
        core.categories = vec![Category::Core];
        let mut busy_senior = rm(Line::Corporate, Grade::Senior);
        busy_senior.id = "busy".into();
        busy_senior.key_accounts = 10;
        let mut free_senior = rm(Line::Corporate, Grade::Principal);
        free_senior.id = "free".into();
        free_senior.key_accounts = 2;
        let mut plain = rm(Line::Corporate, Grade::Rm);
        plain.id = "plain".into();
        let candidates: Vec<Candidate> = [plain, busy_senior, free_senior]
            .into_iter()
            .map(|facts| Candidate {
                facts,
                customers: 0,
            })
            .collect();
        assert_eq!(
            choose_successor(
                &core,
                &[],
                AssignmentRole::Primary,
                &candidates,
                today,
                &policy
            ),
            Ok(2)
        );
        let mut full = candidates[2].clone();
        full.facts.key_accounts = 15;
        let only_full = vec![full];
        let err = choose_successor(
            &core,
            &[],
            AssignmentRole::Primary,
            &only_full,
            today,
            &policy,
        );
        assert_eq!(err, Err("no RM in the unit fits (A-3)".to_string()));
    }

    #[test]
    fn a10_high_value_blacklisted_and_flagged_customers_need_approval() {
        let mut c = customer(CustomerKind::Corporate);
        assert_eq!(reassignment_needs_approval(&c, false, false), None);
        assert!(reassignment_needs_approval(&c, true, false).is_some());
        assert!(reassignment_needs_approval(&c, false, true).is_some());
        c.categories = vec![Category::HighValue];
        assert!(reassignment_needs_approval(&c, false, false).is_some());
    }
}
