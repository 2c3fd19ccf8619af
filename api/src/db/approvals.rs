//! M-1: pending approvals.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::approvals;
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = approvals, treat_none_as_null = true)]
pub struct ApprovalRow {
    pub id: String,
    /// What to do when approved, e.g. `reassign`; `payload` holds its arguments as JSON.
    pub command: String,
    pub payload: String,
    /// Why a second person is needed.
    pub reason: String,
    pub rule: String,
    /// Comma-separated roles any of which may approve.
    pub required_roles: String,
    /// The approver's scope must cover this org path.
    pub org_path: String,
    pub status: String,
    pub maker_user_id: String,
    pub maker_username: String,
    pub decided_by_user_id: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    /// The JSON of what approving produced.
    pub result: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &ApprovalRow) -> AppResult<()> {
    diesel::insert_into(approvals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<ApprovalRow>> {
    Ok(approvals::table.find(id).first(conn).optional()?)
}

/// Records the decision if the approval is still pending at `expected_version` (one decision only).
pub fn decide(conn: &mut DbConn, row: &ApprovalRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        approvals::table
            .filter(approvals::id.eq(&row.id))
            .filter(approvals::version.eq(expected_version))
            .filter(approvals::status.eq("pending")),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "approval {} was decided already",
            row.id
        )));
    }
    Ok(())
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    status: Option<&str>,
    command: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ApprovalRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = approvals::table
        .filter(approvals::org_path.ge(low))
        .filter(approvals::org_path.lt(high))
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(approvals::status.eq(s.to_string()));
    }
    if let Some(c) = command {
        query = query.filter(approvals::command.eq(c.to_string()));
    }
    if let Some(c) = cursor {
        query = query.filter(approvals::id.gt(c.to_string()));
    }
    Ok(query
        .order(approvals::id.asc())
        .limit(limit + 1)
        .load(conn)?)
}
