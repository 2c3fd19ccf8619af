//! Org units (O-1): a tree kept as materialised paths.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::org_units;
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, Serialize)]
#[diesel(table_name = org_units)]
pub struct OrgUnitRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub depth: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The bank's unit code (机构号), unique where given.
    pub code: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &OrgUnitRow) -> AppResult<()> {
    diesel::insert_into(org_units::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<OrgUnitRow>> {
    Ok(org_units::table.find(id).first(conn).optional()?)
}

/// The unit, or 404 naming `what`.
pub fn get(conn: &mut DbConn, id: &str, what: &'static str) -> AppResult<OrgUnitRow> {
    find(conn, id)?.ok_or(AppError::NotFound(what))
}

/// A unit named in a request body: it must lie in the caller's subtree (`scope`), or the request
/// is invalid at `field` (422; O-1).
pub fn referenced(conn: &mut DbConn, scope: &str, id: &str, field: &str) -> AppResult<OrgUnitRow> {
    find(conn, id)?
        .filter(|u| crate::domain::org::in_scope(scope, &u.path))
        .ok_or_else(|| AppError::field(field, "no such org unit in your scope"))
}

/// The scope of a list: the subtree of `unit` when given (404 unless inside `caller_scope`, O-1),
/// else the caller's own.
pub fn list_scope(conn: &mut DbConn, caller_scope: &str, unit: Option<&str>) -> AppResult<String> {
    match unit {
        None => Ok(caller_scope.to_string()),
        Some(id) => {
            let unit = get(conn, id, "org unit")?;
            if !crate::domain::org::in_scope(caller_scope, &unit.path) {
                return Err(AppError::NotFound("org unit"));
            }
            Ok(unit.path)
        }
    }
}

pub fn root(conn: &mut DbConn) -> AppResult<Option<OrgUnitRow>> {
    Ok(org_units::table
        .filter(org_units::parent_id.is_null())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub parent_id: Option<String>,
    pub kind: Option<String>,
    pub code: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    filter: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<OrgUnitRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = org_units::table
        .filter(org_units::path.ge(low))
        .filter(org_units::path.lt(high))
        .into_boxed();
    if let Some(v) = &filter.code {
        query = query.filter(org_units::code.eq(v.clone()));
    }
    if let Some(v) = &filter.parent_id {
        query = query.filter(org_units::parent_id.eq(v.clone()));
    }
    if let Some(v) = &filter.kind {
        query = query.filter(org_units::kind.eq(v.clone()));
    }
    if let Some(c) = cursor {
        query = query.filter(org_units::id.gt(c.to_string()));
    }
    Ok(query
        .order(org_units::id.asc())
        .limit(limit + 1)
        .load(conn)?)
}

/// Whether a scope is the whole bank (the root unit's subtree): set-based queries then skip the
/// per-row scope test.
pub fn is_whole_bank(conn: &mut DbConn, scope: &str) -> AppResult<bool> {
    Ok(root(conn)?.is_some_and(|r| r.path == scope))
}

/// Every org unit (the tree is small: hundreds of units).
pub fn all(conn: &mut DbConn) -> AppResult<Vec<OrgUnitRow>> {
    Ok(org_units::table.order(org_units::path.asc()).load(conn)?)
}

/// The unit with the bank's code (机构号).
pub fn by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<OrgUnitRow>> {
    Ok(org_units::table
        .filter(org_units::code.eq(code))
        .first(conn)
        .optional()?)
}

/// The unit at `path` and its direct children (the overview's drill-down).
pub fn with_children(conn: &mut DbConn, path: &str) -> AppResult<(OrgUnitRow, Vec<OrgUnitRow>)> {
    let unit: OrgUnitRow = org_units::table
        .filter(org_units::path.eq(path))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound("org unit"))?;
    let children = org_units::table
        .filter(org_units::parent_id.eq(&unit.id))
        .order(org_units::name.asc())
        .load(conn)?;
    Ok((unit, children))
}
