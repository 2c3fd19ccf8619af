//! The counts behind the dashboard's overview, each over one org subtree.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{approvals, exit_cases, performance_scores};
use super::{subtree_range, DbConn};
use crate::domain::portfolio;
use crate::error::AppResult;

/// Open and acknowledged flags per (kind, severity), from the counts the database keeps per unit
/// (migration `overview_counts`, `super::kept`).
pub fn unresolved_flags(conn: &mut DbConn, scope: &str) -> AppResult<Vec<(String, String, i64)>> {
    use super::schema::{open_flag_count_changes as changes, open_flag_counts as c};
    let (low, high) = subtree_range(scope);
    let kept: Vec<(String, String, i32)> = c::table
        .filter(c::org_path.ge(&low))
        .filter(c::org_path.lt(&high))
        .select((c::kind, c::severity, c::open))
        .load(conn)?;
    let changed: Vec<(String, String, i32)> = changes::table
        .filter(changes::org_path.ge(&low))
        .filter(changes::org_path.lt(&high))
        .select((changes::kind, changes::severity, changes::open))
        .load(conn)?;
    let mut counts: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (kind, severity, open) in kept.into_iter().chain(changed) {
        *counts.entry((kind, severity)).or_default() += i64::from(open);
    }
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((k, s), n)| (k, s, n))
        .collect())
}

/// Open required checks (D-5): (due on or after `today`, overdue), from the counts the database
/// keeps per unit and due date.
pub fn open_required_checks(
    conn: &mut DbConn,
    scope: &str,
    today: NaiveDate,
) -> AppResult<(i64, i64)> {
    use super::schema::{open_check_count_changes as changes, open_check_counts as c};
    let (low, high) = subtree_range(scope);
    let kept: Vec<(NaiveDate, i32)> = c::table
        .filter(c::org_path.ge(&low))
        .filter(c::org_path.lt(&high))
        .select((c::due_on, c::open))
        .load(conn)?;
    let changed: Vec<(NaiveDate, i32)> = changes::table
        .filter(changes::org_path.ge(&low))
        .filter(changes::org_path.lt(&high))
        .select((changes::due_on, changes::open))
        .load(conn)?;
    Ok(kept
        .into_iter()
        .chain(changed)
        .fold((0, 0), |(due, overdue), (on, open)| {
            if on >= today {
                (due + i64::from(open), overdue)
            } else {
                (due, overdue + i64::from(open))
            }
        }))
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

/// How many flags were raised, checks required and exit cases opened in the subtree since `from`,
/// per minute (one read per table, counted by the database; the trend buckets the minutes into the
/// bank's months, whose bounds fall on whole minutes in every time zone).
pub fn opened_since(
    conn: &mut DbConn,
    scope: &str,
    from: NaiveDateTime,
) -> AppResult<[Vec<(NaiveDateTime, i64)>; 3]> {
    Ok([
        opened_per_minute(conn, "flags", "raised_at", scope, from)?,
        opened_per_minute(conn, "required_checks", "created_at", scope, from)?,
        opened_per_minute(conn, "exit_cases", "created_at", scope, from)?,
    ])
}

#[derive(QueryableByName)]
struct MinuteCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    minute: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    opened: i64,
}

fn opened_per_minute(
    conn: &mut DbConn,
    table: &str,
    column: &str,
    scope: &str,
    from: NaiveDateTime,
) -> AppResult<Vec<(NaiveDateTime, i64)>> {
    use diesel::sql_types::{Text, Timestamp};
    // (select, group by): PostgreSQL truncates each row to its minute and formats only the groups.
    let (minute, group) = match conn {
        DbConn::Sqlite(_) => (format!("substr({column}, 1, 16)"), "1".to_string()),
        DbConn::Pg(_) => (
            format!("CAST(date_trunc('minute', {column}) AS TEXT)"),
            format!("date_trunc('minute', {column})"),
        ),
    };
    let sql = super::dialect(
        conn,
        &format!(
            "SELECT {minute} AS minute, count(*) AS opened FROM {table} \
             WHERE org_path >= $1 AND org_path < $2 AND {column} >= $3 GROUP BY {group}"
        ),
    );
    let (low, high) = subtree_range(scope);
    diesel::sql_query(sql)
        .bind::<Text, _>(low)
        .bind::<Text, _>(high)
        .bind::<Timestamp, _>(from)
        .load::<MinuteCount>(conn)?
        .into_iter()
        .map(|m| {
            let text = m
                .minute
                .get(..16)
                .unwrap_or(&m.minute)
                .replacen('T', " ", 1);
            let at = NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M").map_err(|_| {
                crate::error::AppError::Internal(format!(
                    "{table}.{column} holds a corrupt instant {:?}",
                    m.minute
                ))
            })?;
            Ok((at, m.opened))
        })
        .collect()
}

/// (month, total, how many RMs scored it) of the scores in the subtree from `first_month`
/// (`YYYY-MM`) on: the database groups equal totals, so the trend reads distinct totals, not one
/// row per RM and month, and the average stays exact.
pub fn score_totals_since(
    conn: &mut DbConn,
    scope: &str,
    first_month: &str,
) -> AppResult<Vec<(String, String, i64)>> {
    let (low, high) = subtree_range(scope);
    Ok(performance_scores::table
        .filter(performance_scores::org_path.ge(low))
        .filter(performance_scores::org_path.lt(high))
        .filter(performance_scores::month.ge(first_month))
        .group_by((performance_scores::month, performance_scores::total))
        .select((
            performance_scores::month,
            performance_scores::total,
            count_star(),
        ))
        .load(conn)?)
}

/// The latest evaluated books of the RMs of one unit, pooled by the database: how many RMs,
/// their loan and overdue customers, how many have enough loans for the ratio to apply, and how
/// many of those stand at or above each band's floor.
#[derive(Debug, Clone, QueryableByName)]
pub struct UnitBooks {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub org_path: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub rms: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub loan_customers: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue_customers: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub ratio_applies: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub from_above_normal: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub from_action_required: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub out_of_control: i64,
}

/// The subtree's latest evaluated books, one row per unit that has evaluated RMs: the database
/// reads its covering index and returns the units, not the RMs. `min_loans` is the policy's
/// minimum for the ratio to apply; `floors` come from [`portfolio::band_floors`], so that the
/// bands stay the domain's.
pub fn unit_books(
    conn: &mut DbConn,
    scope: &str,
    min_loans: u32,
    floors: portfolio::BandFloors,
) -> AppResult<Vec<UnitBooks>> {
    use diesel::sql_types::{BigInt, Text};
    let sql = super::dialect(
        conn,
        "SELECT org_path, count(*) AS rms, \
                coalesce(sum(loan_customers), 0) AS loan_customers, \
                coalesce(sum(overdue_customers), 0) AS overdue_customers, \
                sum(CASE WHEN loan_customers >= $3 THEN 1 ELSE 0 END) AS ratio_applies, \
                sum(CASE WHEN loan_customers >= $3 AND overdue_ratio_bp >= $4 THEN 1 ELSE 0 END) \
                    AS from_above_normal, \
                sum(CASE WHEN loan_customers >= $3 AND overdue_ratio_bp >= $5 THEN 1 ELSE 0 END) \
                    AS from_action_required, \
                sum(CASE WHEN loan_customers >= $3 AND overdue_ratio_bp >= $6 THEN 1 ELSE 0 END) \
                    AS out_of_control \
         FROM rm_indicators WHERE org_path >= $1 AND org_path < $2 GROUP BY org_path",
    );
    let (low, high) = subtree_range(scope);
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(low)
        .bind::<Text, _>(high)
        .bind::<BigInt, _>(i64::from(min_loans))
        .bind::<BigInt, _>(floors.above_normal)
        .bind::<BigInt, _>(floors.action_required)
        .bind::<BigInt, _>(floors.out_of_control)
        .load(conn)?)
}

/// The `limit` riskiest RMs of the subtree at their latest evaluation: highest overdue ratio
/// first, ties by RM id (an index in that order).
pub fn riskiest(conn: &mut DbConn, scope: &str, limit: usize) -> AppResult<Vec<String>> {
    use super::schema::rm_indicators as i;
    let (low, high) = subtree_range(scope);
    Ok(i::table
        .filter(i::org_path.ge(low))
        .filter(i::org_path.lt(high))
        .order((i::overdue_ratio_bp.desc(), i::rm_id))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(i::rm_id)
        .load(conn)?)
}

/// One RM's books at its latest evaluation, with the RM's name, unit and the date.
#[derive(Debug, Clone, Queryable)]
pub struct RmIndicatorRow {
    pub rm_id: String,
    pub name: String,
    pub org_unit_id: String,
    pub as_of: NaiveDate,
    pub loan_customers: i32,
    pub overdue_customers: i32,
}

/// The latest evaluated books of the given RMs, named.
pub fn rm_indicators_of(conn: &mut DbConn, rm_ids: &[&str]) -> AppResult<Vec<RmIndicatorRow>> {
    use super::schema::{rm_indicators as i, rms};
    super::in_chunks(rm_ids, |chunk| {
        Ok(i::table
            .inner_join(rms::table)
            .filter(i::rm_id.eq_any(chunk))
            .select((
                i::rm_id,
                rms::name,
                rms::org_unit_id,
                i::as_of,
                i::loan_customers,
                i::overdue_customers,
            ))
            .load::<RmIndicatorRow>(conn)?)
    })
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
