//! The invariants of a customer (its assignments, markers and flags), checked on the state a change
//! produces, inside the change's transaction, before commit. Every command that touches who holds
//! a customer or whether it counts toward a cap takes a [`Before`] first and calls [`check`] last,
//! so a rule holds whatever the path (M-1): ending a primary and assigning another is a
//! reassignment, a handover move is a reassignment, a marker set by PATCH counts toward the cap.

use super::assignments::facts_of_rm;
use super::Ctx;
use crate::db::assignments::{self as store, AssignmentRow};
use crate::db::{self, DbConn};
use crate::domain::assignment::{self as rules, AssignmentRole, CustomerFacts, PrimaryChange};
use crate::error::{AppError, AppResult};

/// What the invariants compare against: the customer as it was before the change.
#[derive(Debug, Clone)]
pub struct Before {
    customer_id: String,
    primary: Option<String>,
    /// The RM who last held the customer as primary, ended or not.
    last_primary: Option<String>,
    holders: Vec<String>,
    counts_as_key_account: bool,
    is_vip: bool,
    org_path: String,
}

/// The customer's state before a change, from the facts and holders the command loaded under the
/// customer's lock (only an unheld customer costs a query: who last held it as primary).
pub fn before(
    conn: &mut DbConn,
    customer_id: &str,
    facts: &CustomerFacts,
    holders: &[AssignmentRow],
) -> AppResult<Before> {
    let primary = holders
        .iter()
        .find(|a| a.role == "primary")
        .map(|a| a.rm_id.clone());
    let last_primary = match &primary {
        Some(_) => None,
        None => store::last_primary(conn, customer_id)?,
    };
    Ok(Before {
        customer_id: customer_id.into(),
        primary,
        last_primary,
        holders: holders.iter().map(|a| a.rm_id.clone()).collect(),
        counts_as_key_account: facts.is_key_account,
        is_vip: facts.is_vip,
        org_path: facts.org_path.clone(),
    })
}

/// Re-derives what must hold after the change; any breach refuses it (the transaction rolls back).
///
/// - an assigned customer has exactly one primary.
/// - A-10 / R-3 (M-1): a flagged, blacklisted or high-value customer changes primary (or loses it)
///   only under an approval decided by a second person.
/// - no RM holding the customer is above its cap unless the change carries an approved
///   override; checked for RMs that took the customer and, when the customer came to count toward
///   a cap, for every holder.
/// - after a move to another unit, every non-senior holder is still inside its own unit.
///
/// `facts` are the customer's facts after the change (the same as before for a change of holders).
pub fn check(
    conn: &mut DbConn,
    ctx: &Ctx,
    before: &Before,
    facts: &CustomerFacts,
) -> AppResult<()> {
    let active = store::active_for_customer(conn, &before.customer_id)?;
    let primaries: Vec<&str> = active
        .iter()
        .filter(|(a, _)| a.role == "primary")
        .map(|(a, _)| a.rm_id.as_str())
        .collect();
    rules::check_one_primary(active.len(), primaries.len()).map_err(AppError::Rule)?;

    let after_primary = primaries.first().map(|p| p.to_string());
    let change = PrimaryChange {
        before: before.primary.clone(),
        after: after_primary,
        last_ended: before.last_primary.clone(),
    };
    if change.is_reassignment() && !ctx.approved("A-10") {
        let (blacklisted, flagged) = super::flags::risk_state(conn, &before.customer_id)?;
        if let Some(why) = rules::reassignment_needs_approval(facts, flagged, blacklisted) {
            return Err(AppError::rule(
                "A-10",
                "approval_required",
                format!(
                    "{why}: changing or removing its primary RM is a maker-checker action (M-1); \
                     use POST /customers/{{id}}/reassign"
                ),
            ));
        }
    }

    if facts.org_path != before.org_path {
        for (holder, _) in &active {
            let role = AssignmentRole::stored(&holder.role)?;
            check_holder(conn, &holder.rm_id, |rm| {
                rules::check_grade(rm, facts, role)
            })?;
        }
    }

    // A customer that counts toward no cap cannot put anyone above one (the hot path of ordinary
    // assignments and handovers skips counting the RMs' books).
    let counts = facts.is_key_account || facts.is_vip;
    if counts && !ctx.approved("A-3") {
        let became_key = facts.is_key_account && !before.counts_as_key_account;
        let became_vip = facts.is_vip && !before.is_vip;
        for (holder, _) in &active {
            let new_holder = !before.holders.contains(&holder.rm_id);
            if !(new_holder || became_key || became_vip) {
                continue;
            }
            check_holder(conn, &holder.rm_id, |rm| {
                rules::check_within_cap(rm, facts, &ctx.policy)
            })?;
        }
    }
    Ok(())
}

/// Runs a rule over a holder's facts; a refusal names the RM.
fn check_holder(
    conn: &mut DbConn,
    rm_id: &str,
    rule: impl FnOnce(&rules::RmFacts) -> Result<(), crate::error::RuleViolation>,
) -> AppResult<()> {
    let rm = db::rms::find(conn, rm_id)?.ok_or(AppError::NotFound("RM"))?;
    let facts = facts_of_rm(conn, &rm)?;
    rule(&facts).map_err(|v| {
        AppError::rule(
            v.rule,
            v.code,
            format!("RM {} ({}): {}", rm.name, rm.employee_no, v.detail),
        )
    })
}
