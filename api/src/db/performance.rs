//! X-1 metrics and scores.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{performance_metrics as pm, performance_scores as ps, rms};
use super::{subtree_range, DbConn};
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = pm, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MetricsRow {
    pub rm_id: String,
    /// `YYYY-MM`.
    pub month: String,
    pub new_loan_accounts: i64,
    pub new_loan_amount_fen: i64,
    pub managed_accounts_increase: i64,
    pub savings_increase_fen: i64,
    pub corporate_increase_fen: i64,
    pub new_bank_cards: i64,
    pub payroll_small: i64,
    pub payroll_large: i64,
    pub personal_ebank: i64,
    pub corporate_ebank: i64,
    pub pos_merchants: i64,
    pub npl_ratio: Option<String>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = ps)]
pub struct ScoreRow {
    pub rm_id: String,
    pub month: String,
    pub scoring_table: String,
    pub total: String,
    /// JSON array of item scores.
    pub items: String,
    pub risk_fund: String,
    pub org_unit_id: String,
    pub org_path: String,
    pub line: String,
    pub rank: i32,
    pub rank_of: i32,
    pub policy_version: i64,
    pub computed_at: NaiveDateTime,
}

/// Records a month's metrics (replacing the same RM and month); true when new.
pub fn upsert_metrics(conn: &mut DbConn, row: &MetricsRow) -> AppResult<bool> {
    let updated = diesel::update(pm::table.find((&row.rm_id, &row.month)))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(pm::table).values(row).execute(conn)?;
    }
    Ok(updated == 0)
}

/// The metrics of RMs in a subtree for months in `[from, to]` (`YYYY-MM`), by RM then month.
pub fn metrics_between(
    conn: &mut DbConn,
    scope: &str,
    from: &str,
    to: &str,
) -> AppResult<Vec<MetricsRow>> {
    let (low, high) = subtree_range(scope);
    Ok(pm::table
        .inner_join(rms::table.on(rms::id.eq(pm::rm_id)))
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .filter(pm::month.ge(from))
        .filter(pm::month.le(to))
        .select(pm::all_columns)
        .order((pm::rm_id.asc(), pm::month.asc()))
        .load(conn)?)
}

/// Replaces the scores of these RMs for the month.
pub fn replace_scores(conn: &mut DbConn, month: &str, rows: &[ScoreRow]) -> AppResult<()> {
    let ids: Vec<&str> = rows.iter().map(|r| r.rm_id.as_str()).collect();
    for chunk in ids.chunks(1000) {
        diesel::delete(
            ps::table
                .filter(ps::month.eq(month))
                .filter(ps::rm_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    super::insert_rows!(conn, ps::table, rows);
    Ok(())
}

/// Scores of RMs in a subtree for months in `[from, to]`, by RM then month.
pub fn scores_between(
    conn: &mut DbConn,
    scope: &str,
    from: &str,
    to: &str,
) -> AppResult<Vec<ScoreRow>> {
    let (low, high) = subtree_range(scope);
    Ok(ps::table
        .filter(ps::org_path.ge(low))
        .filter(ps::org_path.lt(high))
        .filter(ps::month.ge(from))
        .filter(ps::month.le(to))
        .order((ps::rm_id.asc(), ps::month.asc()))
        .load(conn)?)
}

/// One RM's scores from `from` to `to` (months, `YYYY-MM`), in the subtree, oldest first.
pub fn scores_of_rm_between(
    conn: &mut DbConn,
    scope: &str,
    rm_id: &str,
    from: &str,
    to: &str,
) -> AppResult<Vec<ScoreRow>> {
    let (low, high) = subtree_range(scope);
    Ok(ps::table
        .filter(ps::org_path.ge(low))
        .filter(ps::org_path.lt(high))
        .filter(ps::rm_id.eq(rm_id))
        .filter(ps::month.ge(from))
        .filter(ps::month.le(to))
        .order(ps::month.asc())
        .load(conn)?)
}

/// A month's scores in a subtree.
/// the bank's first scored month (`YYYY-MM`), when the scheme started by default.
pub fn first_scored_month(conn: &mut DbConn) -> AppResult<Option<String>> {
    Ok(ps::table
        .select(diesel::dsl::min(ps::month))
        .first::<Option<String>>(conn)?)
}

pub fn scores_of_month(conn: &mut DbConn, scope: &str, month: &str) -> AppResult<Vec<ScoreRow>> {
    scores_between(conn, scope, month, month)
}

/// The figures recorded for an RM's month.
pub fn metrics_of(conn: &mut DbConn, rm_id: &str, month: &str) -> AppResult<Option<MetricsRow>> {
    Ok(pm::table
        .filter(pm::rm_id.eq(rm_id))
        .filter(pm::month.eq(month))
        .first(conn)
        .optional()?)
}
