//! The counts behind the dashboard's overview, each over one org subtree.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{approvals, exit_cases, flags, performance_scores, required_checks};
use super::{subtree_range, DbConn};
use crate::error::AppResult;

/// Open and acknowledged flags per (kind, severity).
pub fn unresolved_flags(conn: &mut DbConn, scope: &str) -> AppResult<Vec<(String, String, i64)>> {
    let (low, high) = subtree_range(scope);
    Ok(flags::table
        .filter(flags::org_path.ge(low))
        .filter(flags::org_path.lt(high))
        .filter(flags::status.ne("resolved"))
        .group_by((flags::kind, flags::severity))
        .select((flags::kind, flags::severity, count_star()))
        .order((flags::kind, flags::severity))
        .load(conn)?)
}

/// Open required checks (D-5): (due on or after `today`, overdue).
pub fn open_required_checks(
    conn: &mut DbConn,
    scope: &str,
    today: NaiveDate,
) -> AppResult<(i64, i64)> {
    let (low, high) = subtree_range(scope);
    let open = || {
        required_checks::table
            .filter(required_checks::org_path.ge(low.clone()))
            .filter(required_checks::org_path.lt(high.clone()))
            .filter(required_checks::closed_at.is_null())
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

pub fn pending_approvals(conn: &mut DbConn, scope: &str) -> AppResult<i64> {
    let (low, high) = subtree_range(scope);
    Ok(approvals::table
        .filter(approvals::org_path.ge(low))
        .filter(approvals::org_path.lt(high))
        .filter(approvals::status.eq("pending"))
        .select(count_star())
        .first(conn)?)
}

/// Exit cases not yet closed or rejected.
pub fn open_exit_cases(conn: &mut DbConn, scope: &str) -> AppResult<i64> {
    let (low, high) = subtree_range(scope);
    Ok(exit_cases::table
        .filter(exit_cases::org_path.ge(low))
        .filter(exit_cases::org_path.lt(high))
        .filter(exit_cases::status.eq_any(["proposed", "handover"]))
        .select(count_star())
        .first(conn)?)
}

/// When each flag was raised, each check required and each exit case opened in the subtree since
/// `from` (one read per table; the trend buckets them by month).
pub fn opened_since(
    conn: &mut DbConn,
    scope: &str,
    from: NaiveDateTime,
) -> AppResult<[Vec<NaiveDateTime>; 3]> {
    let (low, high) = subtree_range(scope);
    let flags_raised = flags::table
        .filter(flags::org_path.ge(&low))
        .filter(flags::org_path.lt(&high))
        .filter(flags::raised_at.ge(from))
        .select(flags::raised_at)
        .load(conn)?;
    let checks_required = required_checks::table
        .filter(required_checks::org_path.ge(&low))
        .filter(required_checks::org_path.lt(&high))
        .filter(required_checks::created_at.ge(from))
        .select(required_checks::created_at)
        .load(conn)?;
    let cases_opened = exit_cases::table
        .filter(exit_cases::org_path.ge(&low))
        .filter(exit_cases::org_path.lt(&high))
        .filter(exit_cases::created_at.ge(from))
        .select(exit_cases::created_at)
        .load(conn)?;
    Ok([flags_raised, checks_required, cases_opened])
}

/// (month, total) of every score in the subtree from `first_month` (`YYYY-MM`) on.
pub fn score_totals_since(
    conn: &mut DbConn,
    scope: &str,
    first_month: &str,
) -> AppResult<Vec<(String, String)>> {
    let (low, high) = subtree_range(scope);
    Ok(performance_scores::table
        .filter(performance_scores::org_path.ge(low))
        .filter(performance_scores::org_path.lt(high))
        .filter(performance_scores::month.ge(first_month))
        .select((performance_scores::month, performance_scores::total))
        .load(conn)?)
}

/// One RM's books at its latest evaluation, with the RM's name and unit.
#[derive(Debug, Clone, Queryable)]
pub struct RmIndicatorRow {
    pub rm_id: String,
    pub name: String,
    pub org_unit_id: String,
    pub org_path: String,
    pub as_of: NaiveDate,
    pub loan_customers: i32,
    pub overdue_customers: i32,
}

/// The latest evaluated books of the subtree's RMs (one row per RM).
pub fn rm_indicators(conn: &mut DbConn, scope: &str) -> AppResult<Vec<RmIndicatorRow>> {
    use super::schema::{rm_indicators as i, rms};
    let (low, high) = subtree_range(scope);
    Ok(i::table
        .inner_join(rms::table)
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .select((
            i::rm_id,
            rms::name,
            rms::org_unit_id,
            rms::org_path,
            i::as_of,
            i::loan_customers,
            i::overdue_customers,
        ))
        .load(conn)?)
}

/// Keeps the books an evaluation of `as_of` over `scope` found (RM, loan customers, overdue
/// customers): they replace what an evaluation of the same or an earlier date left for the
/// subtree's RMs; an RM evaluated at a later date keeps that one.
pub fn keep_rm_indicators(
    conn: &mut DbConn,
    scope: &str,
    as_of: NaiveDate,
    books: &[(String, u32, u32)],
) -> AppResult<()> {
    use super::schema::{rm_indicators as i, rms};
    let (low, high) = subtree_range(scope);
    let in_scope = rms::table
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .select(rms::id);
    diesel::delete(
        i::table
            .filter(i::as_of.le(as_of))
            .filter(i::rm_id.eq_any(in_scope)),
    )
    .execute(conn)?;
    let later: std::collections::HashSet<String> = i::table
        .filter(i::as_of.gt(as_of))
        .select(i::rm_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<_> = books
        .iter()
        .filter(|(rm, _, _)| !later.contains(rm))
        .map(|(rm, loans, overdue)| {
            (
                i::rm_id.eq(rm.clone()),
                i::as_of.eq(as_of),
                i::loan_customers.eq(*loans as i32),
                i::overdue_customers.eq(*overdue as i32),
            )
        })
        .collect();
    super::insert_rows!(conn, i::table, rows);
    Ok(())
}
