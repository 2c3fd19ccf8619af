//! X-5 exit cases and their timeline.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{exit_case_events as ev, exit_cases as ec};
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = ec, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ExitCaseRow {
    pub id: String,
    pub rm_id: String,
    pub kind: String,
    pub trigger_item: Option<String>,
    pub status: String,
    pub reason: String,
    pub evidence: String,
    pub proposed_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub handover_id: Option<String>,
    pub org_path: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// The code and JSON parameters of a reason the product wrote (`None` for a person's text).
    pub reason_code: Option<String>,
    pub reason_params: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = ev)]
pub struct ExitCaseEventRow {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub note: String,
    pub by_user: String,
    pub at: NaiveDateTime,
}

/// Statuses of a case still open (X-5: the RM receives no assignments meanwhile).
pub const OPEN: [&str; 3] = ["proposed", "approved", "handover"];

pub fn insert(conn: &mut DbConn, row: &ExitCaseRow) -> AppResult<()> {
    diesel::insert_into(ec::table).values(row).execute(conn)?;
    Ok(())
}

pub fn insert_event(conn: &mut DbConn, row: &ExitCaseEventRow) -> AppResult<()> {
    diesel::insert_into(ev::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<ExitCaseRow>> {
    Ok(ec::table.find(id).first(conn).optional()?)
}

pub fn update(conn: &mut DbConn, row: &ExitCaseRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        ec::table
            .filter(ec::id.eq(&row.id))
            .filter(ec::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(
            "the exit case changed meanwhile".into(),
        ));
    }
    Ok(())
}

pub fn events(conn: &mut DbConn, case_id: &str) -> AppResult<Vec<ExitCaseEventRow>> {
    Ok(ev::table
        .filter(ev::case_id.eq(case_id))
        .order((ev::at.asc(), ev::id.asc()))
        .load(conn)?)
}

/// The RM's open cases.
pub fn open_of_rm(conn: &mut DbConn, rm_id: &str) -> AppResult<Vec<ExitCaseRow>> {
    Ok(ec::table
        .filter(ec::rm_id.eq(rm_id))
        .filter(ec::status.eq_any(OPEN))
        .load(conn)?)
}

/// (rm_id, trigger) of every open case in a subtree: triggers never open a duplicate.
pub fn open_triggers(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<std::collections::HashSet<(String, String)>> {
    let (low, high) = subtree_range(scope);
    let rows: Vec<(String, Option<String>)> = ec::table
        .filter(ec::org_path.ge(low))
        .filter(ec::org_path.lt(high))
        .filter(ec::status.eq_any(OPEN))
        .select((ec::rm_id, ec::trigger_item))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(rm, t)| Some((rm, t?)))
        .collect())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub rm_id: Option<String>,
    pub status: Option<String>,
    pub trigger: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    f: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ExitCaseRow>> {
    let (low, high) = subtree_range(scope);
    let mut q = ec::table
        .filter(ec::org_path.ge(low))
        .filter(ec::org_path.lt(high))
        .into_boxed();
    if let Some(v) = &f.rm_id {
        q = q.filter(ec::rm_id.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(ec::status.eq(v.clone()));
    }
    if let Some(v) = &f.trigger {
        q = q.filter(ec::trigger_item.eq(v.clone()));
    }
    if let Some(c) = cursor {
        q = q.filter(ec::id.gt(c.to_string()));
    }
    Ok(q.order(ec::id.asc()).limit(limit + 1).load(conn)?)
}

/// The RM's case waiting for its customers to be handed over, if any.
pub fn waiting_for_handover(conn: &mut DbConn, rm_id: &str) -> AppResult<Option<ExitCaseRow>> {
    Ok(ec::table
        .filter(ec::rm_id.eq(rm_id))
        .filter(ec::status.eq("handover"))
        .first(conn)
        .optional()?)
}
