//! M-4: separation of duties. Nobody changes their own roles, unit, active flag or RM link; which
//! role may grant which is policy; the privileged roles are granted through M-1; and a checker
//! whose approving role was granted by the maker is not a second person.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::role::Role;
use crate::RuleViolation;

/// One line of the grant table: holders of `role` may grant and revoke `may_grant`, inside their
/// own subtree (O-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRule {
    pub role: Role,
    pub may_grant: Vec<Role>,
}

/// M-4's table (P-1). Roles absent from it grant nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutiesPolicy {
    pub grants: Vec<GrantRule>,
}

impl Default for DutiesPolicy {
    /// Admins grant every role (the privileged ones through M-1); managers appoint RMs' accounts.
    fn default() -> Self {
        DutiesPolicy {
            grants: vec![
                GrantRule {
                    role: Role::Admin,
                    may_grant: Role::ALL.to_vec(),
                },
                GrantRule {
                    role: Role::Manager,
                    may_grant: vec![Role::Rm],
                },
            ],
        }
    }
}

impl DutiesPolicy {
    /// Whether any of `holder`'s roles may grant or revoke `role`.
    pub fn may_grant(&self, holder: &[Role], role: Role) -> bool {
        self.grants
            .iter()
            .any(|g| holder.contains(&g.role) && g.may_grant.contains(&role))
    }
}

/// The roles whose grant is itself an M-1 action, decided by an admin other than the maker.
pub fn is_privileged(role: Role) -> bool {
    matches!(
        role,
        Role::Admin | Role::Committee | Role::RiskOfficer | Role::Auditor
    )
}

/// Roles in `after` that `before` lacks.
pub fn added(before: &[Role], after: &[Role]) -> Vec<Role> {
    after
        .iter()
        .copied()
        .filter(|r| !before.contains(r))
        .collect()
}

/// Roles in `before` that `after` lacks.
pub fn removed(before: &[Role], after: &[Role]) -> Vec<Role> {
    added(after, before)
}

/// M-4: every role granted or revoked must be in the granter's part of the table.
pub fn check_grant(
    policy: &DutiesPolicy,
    granter: &[Role],
    before: &[Role],
    after: &[Role],
) -> Result<(), RuleViolation> {
    let changed = added(before, after)
        .into_iter()
        .chain(removed(before, after));
    for role in changed {
        if !policy.may_grant(granter, role) {
            return Err(RuleViolation::new(
                "M-4",
                "grant_not_allowed",
                format!(
                    "your roles may not grant or revoke the role {role} (policy duties.grants)"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether a change of these roles must wait for a second admin (M-1 under M-4).
pub fn needs_second_admin(before: &[Role], after: &[Role]) -> bool {
    added(before, after).into_iter().any(is_privileged)
}

/// What a change to a user account touches that its holder must never change themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardedChange {
    pub roles: bool,
    pub unit: bool,
    pub active: bool,
    pub rm_link: bool,
}

impl GuardedChange {
    pub fn any(self) -> bool {
        self.roles || self.unit || self.active || self.rm_link
    }
}

/// M-4: nobody changes their own roles, unit, active flag or RM link.
pub fn check_not_self(
    actor_user_id: &str,
    target_user_id: &str,
    change: GuardedChange,
) -> Result<(), RuleViolation> {
    if actor_user_id == target_user_id && change.any() {
        return Err(RuleViolation::new(
            "M-4",
            "own_account",
            "nobody changes their own roles, unit, active flag or RM link; another administrator must",
        ));
    }
    Ok(())
}

/// M-4: the checker's roles that may decide a request, less those the maker granted. The checker
/// is a second person only if one remains.
pub fn independent_roles(
    checker_roles: &[Role],
    deciding_roles: &[Role],
    granted_by_maker: &[Role],
) -> Vec<Role> {
    checker_roles
        .iter()
        .copied()
        .filter(|r| deciding_roles.contains(r) && !granted_by_maker.contains(r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_managers_grant_rm_accounts_only_by_default() {
        let duties = DutiesPolicy::default();
        let manager = [Role::Manager];
        assert!(check_grant(&duties, &manager, &[], &[Role::Rm]).is_ok());
        for role in [
            Role::Manager,
            Role::Committee,
            Role::RiskOfficer,
            Role::Admin,
        ] {
            assert!(check_grant(&duties, &manager, &[], &[role]).is_err());
        }
        // Revoking is a grant too.
        assert!(check_grant(&duties, &manager, &[Role::Committee], &[]).is_err());
        assert!(check_grant(&duties, &[Role::Admin], &[], Role::ALL).is_ok());
    }

    #[test]
    fn m4_privileged_roles_wait_for_a_second_admin() {
        assert!(needs_second_admin(
            &[Role::Rm],
            &[Role::Rm, Role::Committee]
        ));
        assert!(needs_second_admin(&[], &[Role::Auditor]));
        assert!(!needs_second_admin(
            &[Role::Committee],
            &[Role::Committee, Role::Rm]
        ));
        assert!(!needs_second_admin(&[Role::Committee], &[]));
    }

    #[test]
    fn m4_nobody_changes_their_own_account_guards() {
        let roles = GuardedChange {
            roles: true,
            ..Default::default()
        };
        assert!(check_not_self("u1", "u1", roles).is_err());
        assert!(check_not_self("u1", "u2", roles).is_ok());
        assert!(check_not_self("u1", "u1", GuardedChange::default()).is_ok());
    }

    #[test]
    fn m4_a_checker_made_by_the_maker_is_no_second_person() {
        let deciding = [Role::Committee];
        assert!(independent_roles(&[Role::Committee], &deciding, &[Role::Committee]).is_empty());
        assert_eq!(
            independent_roles(&[Role::Committee, Role::Rm], &deciding, &[Role::Rm]),
            vec![Role::Committee]
        );
    }
}
