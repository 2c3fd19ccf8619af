//! Credit-risk flags and the related-party propagation through guarantee and group
//! links.

use std::collections::{HashSet, VecDeque};

use super::text_enum;

text_enum! {
    FlagKind {
        /// Interest unpaid after the settlement day.
        OverdueInterest => "overdue_interest",
        /// Any loan substandard or worse.
        Npl => "npl",
        /// 污点客户: the red line. Raised and removed only with a second person (M-1).
        Blacklisted => "blacklisted",
        Anomaly => "anomaly",
        /// Guarantor of, or same group as, a customer flagged `npl` or `blacklisted`.
        RelatedParty => "related_party",
        /// R-4 on an RM: overdue-interest ratio at or above the action threshold.
        ActionRequired => "action_required",
        /// R-4 on an RM: ratio at or above the out-of-control threshold.
        ManagementOutOfControl => "management_out_of_control",
    }
}

text_enum! {
    Severity {
        Info => "info",
        Warning => "warning",
        Critical => "critical",
    }
}

text_enum! {
    FlagStatus {
        Open => "open",
        Acknowledged => "acknowledged",
        Resolved => "resolved",
    }
}

impl FlagKind {
    pub fn default_severity(self) -> Severity {
        match self {
            FlagKind::Blacklisted | FlagKind::Npl | FlagKind::ManagementOutOfControl => {
                Severity::Critical
            }
            FlagKind::OverdueInterest | FlagKind::ActionRequired | FlagKind::RelatedParty => {
                Severity::Warning
            }
            FlagKind::Anomaly => Severity::Warning,
        }
    }

    /// Whether the flag is about a customer rather than an RM.
    pub fn on_customer(self) -> bool {
        !matches!(
            self,
            FlagKind::ActionRequired | FlagKind::ManagementOutOfControl
        )
    }

    /// A flag of this kind marks the customer's related parties (R-2 `related_party`).
    pub fn spreads_to_related(self) -> bool {
        matches!(self, FlagKind::Npl | FlagKind::Blacklisted)
    }
}

/// the customers reached from `start` through relation links within `depth` steps, without
/// `start` itself; cycles are safe. `links(c)` lists the customers linked to `c` (guarantors of
/// `c` and members of its group).
pub fn related_parties(
    start: &str,
    depth: u32,
    mut links: impl FnMut(&str) -> Vec<String>,
) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::from([start.to_string()]);
    let mut found = Vec::new();
    let mut queue = VecDeque::from([(start.to_string(), 0u32)]);
    while let Some((customer, d)) = queue.pop_front() {
        if d == depth {
            continue;
        }
        for next in links(&customer) {
            if seen.insert(next.clone()) {
                found.push(next.clone());
                queue.push_back((next, d + 1));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(c: &str) -> Vec<String> {
        match c {
            "a" => vec!["b".into(), "c".into()],
            "b" => vec!["a".into(), "d".into()],
            "c" => vec!["a".into()],
            "d" => vec!["b".into(), "e".into()],
            _ => vec![],
        }
    }

    #[test]
    fn r2_related_parties_follow_links_to_the_policy_depth_and_survive_cycles() {
        assert_eq!(related_parties("a", 1, graph), vec!["b", "c"]);
        assert_eq!(related_parties("a", 2, graph), vec!["b", "c", "d"]);
        assert_eq!(related_parties("a", 10, graph), vec!["b", "c", "d", "e"]);
        assert!(related_parties("a", 0, graph).is_empty());
    }

    #[test]
    fn r2_only_npl_and_blacklisted_spread() {
        assert!(FlagKind::Npl.spreads_to_related());
        assert!(FlagKind::Blacklisted.spreads_to_related());
        assert!(!FlagKind::Anomaly.spreads_to_related());
        assert!(!FlagKind::ActionRequired.on_customer());
    }
}
