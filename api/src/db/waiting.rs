//! The counts behind "waiting for me": what the signed-in person, by their roles and their RM
//! record, has to decide, confirm or work today. Each is one indexed count.

use chrono::NaiveDate;
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;

use super::schema::{
    approvals, assignments, exit_cases, field_checks, flags, handovers, required_checks,
};
use super::{subtree_range, DbConn};
use crate::error::AppResult;

/// Pending approvals in the subtree not made by `maker`, with the roles each may be decided by.
pub fn pending_approvals_of_others(
    conn: &mut DbConn,
    scope: &str,
    user_id: &str,
) -> AppResult<Vec<String>> {
    let (low, high) = subtree_range(scope);
    Ok(approvals::table
        .filter(approvals::org_path.ge(low))
        .filter(approvals::org_path.lt(high))
        .filter(approvals::status.eq("pending"))
        .filter(approvals::maker_user_id.ne(user_id))
        .select(approvals::required_roles)
        .load(conn)?)
}

/// Dual checks submitted by a lead and waiting for this RM's own confirmation (D-3).
pub fn checks_to_confirm(conn: &mut DbConn, rm_id: &str) -> AppResult<i64> {
    Ok(field_checks::table
        .filter(field_checks::second_rm_id.eq(rm_id))
        .filter(field_checks::status.eq("awaiting_confirmation"))
        .select(count_star())
        .first(conn)?)
}

/// Open required checks (D-5) of the customers this RM holds as primary today, as the RM's list
/// shows them: (due, overdue).
pub fn my_required_checks(
    conn: &mut DbConn,
    rm_id: &str,
    today: NaiveDate,
) -> AppResult<(i64, i64)> {
    let held = || {
        exists(
            assignments::table
                .filter(assignments::customer_id.eq(required_checks::customer_id))
                .filter(assignments::rm_id.eq(rm_id.to_string()))
                .filter(assignments::role.eq("primary"))
                .filter(assignments::valid_to.is_null()),
        )
    };
    let open = || {
        required_checks::table
            .filter(required_checks::closed_at.is_null())
            .filter(held())
    };
    let due: i64 = open()
        .filter(required_checks::due_on.ge(today))
        .select(count_star())
        .first(conn)?;
    let overdue: i64 = open()
        .filter(required_checks::due_on.lt(today))
        .select(count_star())
        .first(conn)?;
    Ok((due, overdue))
}

/// Exit cases in the subtree waiting for the committee's decision, not proposed by `username`
/// (X-5; M-1: nobody decides their own proposal).
pub fn cases_to_decide(conn: &mut DbConn, scope: &str, username: &str) -> AppResult<i64> {
    let (low, high) = subtree_range(scope);
    Ok(exit_cases::table
        .filter(exit_cases::org_path.ge(low))
        .filter(exit_cases::org_path.lt(high))
        .filter(exit_cases::status.eq("proposed"))
        .filter(exit_cases::proposed_by.ne(username))
        .select(count_star())
        .first(conn)?)
}

/// Handover plans in the subtree waiting to be reviewed and confirmed.
pub fn handovers_to_confirm(conn: &mut DbConn, scope: &str) -> AppResult<i64> {
    let (low, high) = subtree_range(scope);
    Ok(handovers::table
        .filter(handovers::org_path.ge(low))
        .filter(handovers::org_path.lt(high))
        .filter(handovers::status.eq("proposed"))
        .select(count_star())
        .first(conn)?)
}

/// Flags in the subtree raised and not yet acknowledged.
pub fn flags_to_acknowledge(conn: &mut DbConn, scope: &str) -> AppResult<i64> {
    let (low, high) = subtree_range(scope);
    Ok(flags::table
        .filter(flags::org_path.ge(low))
        .filter(flags::org_path.lt(high))
        .filter(flags::status.eq("open"))
        .select(count_star())
        .first(conn)?)
}
