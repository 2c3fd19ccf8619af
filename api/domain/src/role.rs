//! Roles of API.md and what each may do.

use super::text_enum;

text_enum! {
    /// A user may hold several roles.
    Role {
        Admin => "admin",
        Manager => "manager",
        RiskOfficer => "risk_officer",
        Committee => "committee",
        Auditor => "auditor",
        Rm => "rm",
    }
}

/// Roles as stored: comma-separated names.
pub fn join_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn split_roles(text: &str) -> Vec<Role> {
    text.split(',').filter_map(Role::parse).collect()
}

/// What a caller wants to do; each handler names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read registry data inside one's scope (every role).
    ReadRegistry,
    ManageOrgUnits,
    ManageUsers,
    ManageRms,
    ManageCustomers,
    /// Assign, reassign and end assignments; request handovers.
    ManageAssignments,
    ReadAudit,
    /// Raise and resolve customer flags.
    ManageFlags,
    /// Acknowledge a flag seen (every role that works with customers).
    AcknowledgeFlags,
    /// Record complaints and incidents about RMs (X-2 inputs).
    RecordConduct,
    /// Propose a new policy version (P-1; applied after a second person approves).
    ProposePolicy,
    /// See national IDs and phone numbers unmasked (M-3).
    ReadPersonalData,
    /// Record RMs' monthly business (X-1 inputs).
    RecordPerformance,
    /// Run the monthly scores and triggers and the yearly levels.
    RunPerformance,
    /// Open an exit, disqualification or demotion case.
    ProposeExit,
    /// Decide a case (X-5, M-1: not one's own).
    DecideExit,
    /// Pull evidence exports (M-3): auditors and admins.
    Export,
    /// Run a job of the bank's calendar for a date now (P-2): admins.
    RunJobs,
    /// Load the bank's book from its files (go-live imports; the only path that writes the past).
    Import,
    /// Subscribe third parties to the bank's events (webhooks): admins.
    ManageWebhooks,
}

pub fn allows(roles: &[Role], permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    roles.iter().any(|role| match permission {
        ReadRegistry => true,
        ManageOrgUnits => *role == Admin,
        ManageUsers => matches!(role, Admin | Manager),
        ManageRms => matches!(role, Admin | Manager),
        ManageCustomers => matches!(role, Admin | Manager | Rm),
        ManageAssignments => matches!(role, Admin | Manager),
        ReadAudit => matches!(role, Admin | Auditor | RiskOfficer),
        ProposePolicy => *role == Admin,
        RecordConduct => matches!(role, Admin | Manager | RiskOfficer),
        ManageFlags => matches!(role, Admin | RiskOfficer),
        AcknowledgeFlags => !matches!(role, Auditor),
        ReadPersonalData => matches!(role, Admin | Manager | RiskOfficer | Committee),
        RecordPerformance => matches!(role, Admin | Manager),
        RunPerformance => matches!(role, Admin | RiskOfficer),
        ProposeExit => matches!(role, Admin | Manager | RiskOfficer | Committee),
        DecideExit => *role == Committee,
        Export => matches!(role, Admin | Auditor),
        RunJobs => *role == Admin,
        Import => *role == Admin,
        ManageWebhooks => *role == Admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        let roles = vec![Role::Manager, Role::RiskOfficer];
        assert_eq!(split_roles(&join_roles(&roles)), roles);
    }

    #[test]
    fn m3_personal_data_is_masked_for_auditors_and_rms() {
        assert!(!allows(&[Role::Auditor], Permission::ReadPersonalData));
        assert!(!allows(&[Role::Rm], Permission::ReadPersonalData));
        assert!(allows(
            &[Role::Rm, Role::Manager],
            Permission::ReadPersonalData
        ));
    }

    #[test]
    fn only_admins_shape_the_org_tree() {
        assert!(allows(&[Role::Admin], Permission::ManageOrgUnits));
        assert!(!allows(&[Role::Manager], Permission::ManageOrgUnits));
        assert!(!allows(&[Role::Auditor], Permission::ManageCustomers));
    }
}
