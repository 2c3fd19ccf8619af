//! P-1: the versioned policy record.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::policies;
use super::DbConn;
use crate::domain::policy::Policy;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = policies)]
pub struct PolicyRow {
    pub version: i64,
    pub document: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

/// The version in force (0 before the first one is written).
pub fn current_version(conn: &mut DbConn) -> AppResult<i64> {
    let version: Option<i64> = policies::table
        .select(diesel::dsl::max(policies::version))
        .first(conn)?;
    Ok(version.unwrap_or(0))
}

pub fn current_row(conn: &mut DbConn) -> AppResult<PolicyRow> {
    policies::table
        .order(policies::version.desc())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("policy"))
}

/// The policy in force, parsed.
pub fn current(conn: &mut DbConn) -> AppResult<(i64, Policy)> {
    let row = current_row(conn)?;
    let policy: Policy = serde_json::from_str(&row.document)?;
    Ok((row.version, policy))
}

/// Writes the next version and returns its number.
pub fn insert_next(
    conn: &mut DbConn,
    policy: &Policy,
    created_by: Option<String>,
    at: NaiveDateTime,
) -> AppResult<i64> {
    let version = current_version(conn)? + 1;
    let row = PolicyRow {
        version,
        document: serde_json::to_string(policy)?,
        created_at: at,
        created_by,
    };
    diesel::insert_into(policies::table)
        .values(&row)
        .execute(conn)?;
    Ok(version)
}
