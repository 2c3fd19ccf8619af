//! Relationship managers (客户经理): lines, the grade ladder and the appointment rules O-2..O-6.

use chrono::{Months, NaiveDate};

use super::org::OrgUnitKind;
use super::policy::Policy;
use super::text_enum;
use crate::RuleViolation;

text_enum! {
    /// O-2 business line.
    Line {
        /// 公司
        Corporate => "corporate",
        /// 小微
        Sme => "sme",
        /// 个人
        Retail => "retail",
    }
}

text_enum! {
    /// O-2 grade ladder, lowest to highest (002's names; 003's 见习/三级/二级/一级/高级 map onto
    /// assistant/rm/senior/principal/general_manager).
    Grade {
        /// 见习 / 助理
        Assistant => "assistant",
        /// 客户经理
        Rm => "rm",
        /// 高级客户经理
        Senior => "senior",
        /// 资深客户经理
        Principal => "principal",
        /// 总经理
        GeneralManager => "general_manager",
        /// 总监
        Director => "director",
    }
}

impl Grade {
    pub fn rank(self) -> u8 {
        match self {
            Grade::Assistant => 0,
            Grade::Rm => 1,
            Grade::Senior => 2,
            Grade::Principal => 3,
            Grade::GeneralManager => 4,
            Grade::Director => 5,
        }
    }

    pub fn is_senior_or_higher(self) -> bool {
        self.rank() >= Grade::Senior.rank()
    }
}

text_enum! {
    RmStatus {
        Active => "active",
        Suspended => "suspended",
        Exited => "exited",
    }
}

text_enum! {
    /// How an RM left the role.
    ExitKind {
        /// 强行退出: permanent ban (O-6).
        Forced => "forced",
        /// 取消资格 for X-2 items 1-4 (loss by negligence, not acting, complaints, falsification):
        /// permanent ban (O-6).
        DisqualifiedForMisconduct => "disqualified_for_misconduct",
        /// 取消资格 for X-2 items 5-6 (NPL trend, bottom scores).
        Disqualified => "disqualified",
        Voluntary => "voluntary",
        Natural => "natural",
    }
}

impl ExitKind {
    /// O-6: a forced exit bars the person from ever being appointed RM again (003 第五篇第十八条,
    /// pointing to 第十六条第三点); a disqualification for misconduct (X-2 items 1 and 4) does too
    /// only when the policy extends the ban (off by default).
    pub fn bans_permanently(self, ban_after_misconduct: bool) -> bool {
        match self {
            ExitKind::Forced => true,
            ExitKind::DisqualifiedForMisconduct => ban_after_misconduct,
            _ => false,
        }
    }
}

/// O-3: the highest (smallest) unit level allowed to approve each grade; a unit at this level or
/// above may approve. RM and assistant grades are approved by the RM's own unit or any unit above it.
pub fn required_approval_level(grade: Grade, rm_unit: OrgUnitKind) -> u8 {
    match grade {
        Grade::Director | Grade::GeneralManager => OrgUnitKind::HeadOffice.level(),
        Grade::Principal => OrgUnitKind::Region.level(),
        Grade::Senior => OrgUnitKind::Branch.level(),
        Grade::Rm | Grade::Assistant => rm_unit.level(),
    }
}

/// O-3: a grade approved by a unit lower than required is rejected.
pub fn check_grade_approval(
    grade: Grade,
    approving_unit: OrgUnitKind,
    rm_unit: OrgUnitKind,
) -> Result<(), RuleViolation> {
    let required = required_approval_level(grade, rm_unit);
    if approving_unit.level() > required {
        return Err(RuleViolation::new(
            "O-3",
            "approval_level_too_low",
            format!(
                "grade {grade} must be approved by a unit at level {} or above; a {approving_unit} may not",
                OrgUnitKind::ALL.get(required as usize).map(|k| k.as_str()).unwrap_or("head_office")
            ),
        ));
    }
    Ok(())
}

/// O-4: the day a qualification exam result stops being valid.
pub fn qualification_valid_until(qualified_on: NaiveDate, policy: &Policy) -> NaiveDate {
    add_years(qualified_on, policy.qualification.validity_years)
}

/// O-4: whether the qualification has lapsed on `today` (listed for re-certification).
pub fn qualification_lapsed(qualified_on: NaiveDate, today: NaiveDate, policy: &Policy) -> bool {
    today >= qualification_valid_until(qualified_on, policy)
}

/// What an appointment needs to be checked against O-4 and O-6.
#[derive(Debug, Clone)]
pub struct Appointment {
    pub qualified_on: NaiveDate,
    pub counter_experience_years: Option<u32>,
    pub bad_business_record: bool,
    /// A permanent ban recorded for the same national ID (O-6), whichever unit it came from.
    pub banned: bool,
}

/// O-4 and O-6: may this person be appointed RM today?
pub fn check_appointment(
    a: &Appointment,
    today: NaiveDate,
    policy: &Policy,
) -> Result<(), RuleViolation> {
    if a.banned {
        return Err(RuleViolation::new(
            "O-6",
            "permanently_banned",
            "this person was force-exited or disqualified for misconduct and may never be appointed RM again",
        ));
    }
    if a.bad_business_record {
        return Err(RuleViolation::new(
            "O-4",
            "entry_requirements_not_met",
            "a person with a bad business record may not be appointed RM",
        ));
    }
    if a.qualified_on > today {
        return Err(RuleViolation::new(
            "O-4",
            "entry_requirements_not_met",
            "qualified_on is in the future",
        ));
    }
    if qualification_lapsed(a.qualified_on, today, policy) {
        return Err(RuleViolation::new(
            "O-4",
            "qualification_lapsed",
            format!(
                "the qualification exam result is valid for {} years; re-certify first",
                policy.qualification.validity_years
            ),
        ));
    }
    if let Some(years) = a.counter_experience_years {
        if years < policy.qualification.min_counter_experience_years {
            return Err(RuleViolation::new(
                "O-4",
                "entry_requirements_not_met",
                format!(
                    "at least {} years of counter experience are required",
                    policy.qualification.min_counter_experience_years
                ),
            ));
        }
    }
    Ok(())
}

/// O-5: the end of a term that starts on `start`.
pub fn term_end(start: NaiveDate, policy: &Policy) -> NaiveDate {
    add_years(start, policy.qualification.term_years)
}

/// O-5: an explicit renewal extends the term by one policy term from its end (or from today when
/// it has already run out).
pub fn renewed_term_end(current_end: NaiveDate, today: NaiveDate, policy: &Policy) -> NaiveDate {
    term_end(current_end.max(today), policy)
}

/// RM status changes: exited is final.
pub fn check_status_change(from: RmStatus, to: RmStatus) -> Result<(), RuleViolation> {
    if from == RmStatus::Exited && to != RmStatus::Exited {
        return Err(RuleViolation::new(
            "X-5",
            "rm_exited",
            "an exited RM cannot be reinstated; appoint a new RM record instead",
        ));
    }
    Ok(())
}

fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years * 12))
        .unwrap_or(NaiveDate::MAX)
}

/// National ID (居民身份证号): 18 characters, 17 digits and a digit or X.
pub fn is_valid_national_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn appointment(qualified_on: &str) -> Appointment {
        Appointment {
            qualified_on: day(qualified_on),
            counter_experience_years: None,
            bad_business_record: false,
            banned: false,
        }
    }

    #[test]
    fn o2_grades_are_ordered() {
        assert!(Grade::Director.rank() > Grade::GeneralManager.rank());
        assert!(Grade::Senior.is_senior_or_higher());
        assert!(!Grade::Rm.is_senior_or_higher());
    }

    #[test]
    fn o3_director_needs_head_office() {
        assert!(
            check_grade_approval(Grade::Director, OrgUnitKind::HeadOffice, OrgUnitKind::Team)
                .is_ok()
        );
        let err = check_grade_approval(Grade::Director, OrgUnitKind::Region, OrgUnitKind::Team);
        assert_eq!(err.map_err(|e| e.rule), Err("O-3"));
    }

    #[test]
    fn o3_senior_by_branch_not_by_sub_branch() {
        assert!(
            check_grade_approval(Grade::Senior, OrgUnitKind::Branch, OrgUnitKind::Team).is_ok()
        );
        assert!(
            check_grade_approval(Grade::Senior, OrgUnitKind::SubBranch, OrgUnitKind::Team).is_err()
        );
        assert!(
            check_grade_approval(Grade::Principal, OrgUnitKind::Region, OrgUnitKind::Team).is_ok()
        );
        assert!(
            check_grade_approval(Grade::Principal, OrgUnitKind::Branch, OrgUnitKind::Team).is_err()
        );
    }

    #[test]
    fn o3_rm_grade_by_the_team_itself() {
        assert!(check_grade_approval(Grade::Rm, OrgUnitKind::Team, OrgUnitKind::Team).is_ok());
        assert!(check_grade_approval(
            Grade::Assistant,
            OrgUnitKind::SubBranch,
            OrgUnitKind::SubBranch
        )
        .is_ok());
    }

    #[test]
    fn o4_qualification_valid_two_years() {
        let policy = Policy::default();
        assert!(check_appointment(&appointment("2025-01-15"), day("2026-11-23"), &policy).is_ok());
        let lapsed = check_appointment(&appointment("2024-11-22"), day("2026-11-23"), &policy);
        assert_eq!(lapsed.map_err(|e| e.code), Err("qualification_lapsed"));
        assert!(qualification_lapsed(
            day("2024-11-23"),
            day("2026-11-23"),
            &policy
        ));
        assert!(!qualification_lapsed(
            day("2024-11-24"),
            day("2026-11-23"),
            &policy
        ));
    }

    #[test]
    fn o4_counter_experience_and_bad_record() {
        let policy = Policy::default();
        let mut a = appointment("2026-01-15");
        a.counter_experience_years = Some(1);
        assert_eq!(
            check_appointment(&a, day("2026-11-23"), &policy).map_err(|e| e.rule),
            Err("O-4")
        );
        a.counter_experience_years = Some(2);
        assert!(check_appointment(&a, day("2026-11-23"), &policy).is_ok());
        a.bad_business_record = true;
        assert_eq!(
            check_appointment(&a, day("2026-11-23"), &policy).map_err(|e| e.rule),
            Err("O-4")
        );
    }

    #[test]
    fn o5_term_is_one_year_and_renewal_is_explicit() {
        let policy = Policy::default();
        assert_eq!(term_end(day("2026-01-15"), &policy), day("2027-01-15"));
        assert_eq!(
            renewed_term_end(day("2027-01-15"), day("2026-12-01"), &policy),
            day("2028-01-15")
        );
        assert_eq!(
            renewed_term_end(day("2026-01-15"), day("2026-11-23"), &policy),
            day("2027-11-23")
        );
    }

    #[test]
    fn o6_banned_person_is_never_appointed() {
        let mut a = appointment("2026-01-15");
        a.banned = true;
        assert_eq!(
            check_appointment(&a, day("2026-11-23"), &Policy::default()).map_err(|e| e.rule),
            Err("O-6")
        );
        assert!(ExitKind::Forced.bans_permanently(false));
        assert!(!ExitKind::DisqualifiedForMisconduct.bans_permanently(false));
        assert!(ExitKind::DisqualifiedForMisconduct.bans_permanently(true));
        assert!(!ExitKind::Voluntary.bans_permanently(true));
    }

    #[test]
    fn exited_is_final() {
        assert!(check_status_change(RmStatus::Exited, RmStatus::Active).is_err());
        assert!(check_status_change(RmStatus::Suspended, RmStatus::Active).is_ok());
    }

    #[test]
    fn national_id_shape() {
        assert!(is_valid_national_id("110101199001011234"));
        assert!(is_valid_national_id("11010119900101123X"));
        assert!(!is_valid_national_id("1101011990010112"));
        assert!(!is_valid_national_id("11010119900101123x"));
    }
}
