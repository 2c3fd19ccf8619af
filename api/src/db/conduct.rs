//! Complaints and incident records about RMs.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{complaints, incidents};
use super::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = complaints)]
pub struct ComplaintRow {
    pub id: String,
    pub customer_id: String,
    pub rm_id: String,
    pub received_on: NaiveDate,
    pub verified: bool,
    pub summary: String,
    pub org_path: String,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = incidents)]
pub struct IncidentRow {
    pub id: String,
    pub rm_id: String,
    /// `X-2.1`, `X-2.2`, `X-2.4` or `X-3`.
    pub item: String,
    pub occurred_on: NaiveDate,
    pub description: String,
    pub evidence: String,
    pub org_path: String,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_complaint(conn: &mut DbConn, row: &ComplaintRow) -> AppResult<()> {
    diesel::insert_into(complaints::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_incident(conn: &mut DbConn, row: &IncidentRow) -> AppResult<()> {
    diesel::insert_into(incidents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// X-2 item 3: verified complaints about the RM received in `[from, to]`.
pub fn verified_complaints(
    conn: &mut DbConn,
    rm_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<ComplaintRow>> {
    Ok(complaints::table
        .filter(complaints::rm_id.eq(rm_id))
        .filter(complaints::verified.eq(true))
        .filter(complaints::received_on.ge(from))
        .filter(complaints::received_on.le(to))
        .order(complaints::received_on.asc())
        .load(conn)?)
}

pub fn incidents_of(conn: &mut DbConn, rm_id: &str) -> AppResult<Vec<IncidentRow>> {
    Ok(incidents::table
        .filter(incidents::rm_id.eq(rm_id))
        .order(incidents::occurred_on.asc())
        .load(conn)?)
}

/// X-2 item 3: verified complaints per RM in a subtree received in `[from, to]`: (rm_id, count).
pub fn verified_complaint_counts(
    conn: &mut DbConn,
    scope: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(String, i64)>> {
    let (low, high) = super::subtree_range(scope);
    Ok(complaints::table
        .filter(complaints::org_path.ge(low))
        .filter(complaints::org_path.lt(high))
        .filter(complaints::verified.eq(true))
        .filter(complaints::received_on.ge(from))
        .filter(complaints::received_on.le(to))
        .group_by(complaints::rm_id)
        .select((complaints::rm_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Whether this complaint is recorded (an import matches complaints by all they say).
pub fn has_complaint(
    conn: &mut DbConn,
    customer_id: &str,
    rm_id: &str,
    received_on: NaiveDate,
    summary: &str,
) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        complaints::table
            .filter(complaints::customer_id.eq(customer_id))
            .filter(complaints::rm_id.eq(rm_id))
            .filter(complaints::received_on.eq(received_on))
            .filter(complaints::summary.eq(summary)),
    ))
    .get_result(conn)?)
}
