//! Org units (机构): the tree every user, RM and customer belongs to (O-1).

use super::text_enum;

text_enum! {
    /// Level of an org unit, from the root down.
    OrgUnitKind {
        /// 总行
        HeadOffice => "head_office",
        /// 区域
        Region => "region",
        /// 分行
        Branch => "branch",
        /// 支行
        SubBranch => "sub_branch",
        /// 团队 / 营销部
        Team => "team",
    }
}

impl OrgUnitKind {
    /// 0 for the head office, 4 for a team.
    pub fn level(self) -> u8 {
        match self {
            OrgUnitKind::HeadOffice => 0,
            OrgUnitKind::Region => 1,
            OrgUnitKind::Branch => 2,
            OrgUnitKind::SubBranch => 3,
            OrgUnitKind::Team => 4,
        }
    }
}

/// O-1: a unit sits strictly below its parent's level (a branch may hang directly under the head
/// office, a team never above a branch). The head office is the one root, created on first start.
pub fn check_placement(kind: OrgUnitKind, parent: OrgUnitKind) -> Result<(), String> {
    if kind == OrgUnitKind::HeadOffice {
        return Err("the head office is the root of the tree and exists already".into());
    }
    if kind.level() <= parent.level() {
        return Err(format!("a {kind} cannot be placed under a {parent}"));
    }
    Ok(())
}

/// The materialised path of a child: the parent's path plus the child's id, `/root/…/child/`.
pub fn child_path(parent_path: &str, child_id: &str) -> String {
    format!("{parent_path}{child_id}/")
}

/// O-1 data scoping: whether something at `path` lies inside the subtree at `scope`.
pub fn in_scope(scope: &str, path: &str) -> bool {
    path.starts_with(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o1_units_sit_below_their_parent() {
        assert!(check_placement(OrgUnitKind::Branch, OrgUnitKind::HeadOffice).is_ok());
        assert!(check_placement(OrgUnitKind::Team, OrgUnitKind::SubBranch).is_ok());
        assert!(check_placement(OrgUnitKind::Region, OrgUnitKind::Branch).is_err());
        assert!(check_placement(OrgUnitKind::Branch, OrgUnitKind::Branch).is_err());
        assert!(check_placement(OrgUnitKind::HeadOffice, OrgUnitKind::HeadOffice).is_err());
    }

    #[test]
    fn o1_scope_is_the_subtree() {
        let branch = child_path("/root/", "b1");
        assert!(in_scope(&branch, &child_path(&branch, "team")));
        assert!(in_scope(&branch, &branch));
        assert!(!in_scope(&branch, "/root/b2/"));
        assert!(!in_scope(&branch, "/root/"));
    }
}
