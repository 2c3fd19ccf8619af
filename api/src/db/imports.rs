//! Go-live imports (`imports`): one row per file, with its report.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::imports;
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: String,
    pub kind: String,
    pub dry_run: bool,
    pub file_name: Option<String>,
    pub sha256: String,
    pub status: String,
    pub phase: String,
    pub rows_read: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// The first errors of the report, as JSON (`[{line, field, rule, message}]`).
    pub errors: String,
    pub errors_total: i64,
    pub created_by: String,
    pub org_path: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ImportRow) -> AppResult<()> {
    diesel::insert_into(imports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records how the import ended.
pub fn finish(conn: &mut DbConn, row: &ImportRow) -> AppResult<()> {
    let n = diesel::update(imports::table.find(&row.id))
        .set((
            imports::status.eq(&row.status),
            imports::phase.eq(&row.phase),
            imports::rows_read.eq(row.rows_read),
            imports::inserted.eq(row.inserted),
            imports::updated.eq(row.updated),
            imports::unchanged.eq(row.unchanged),
            imports::errors.eq(&row.errors),
            imports::errors_total.eq(row.errors_total),
            imports::finished_at.eq(row.finished_at),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::Internal(format!("import {} vanished", row.id)));
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<ImportRow>> {
    Ok(imports::table.find(id).first(conn).optional()?)
}

/// The imports started inside `scope`, newest first.
pub fn list(
    conn: &mut DbConn,
    scope: &str,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ImportRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = imports::table
        .filter(imports::org_path.ge(low))
        .filter(imports::org_path.lt(high))
        .into_boxed();
    if let Some(after) = cursor {
        // Ids are UUIDv7: newest first is descending id.
        query = query.filter(imports::id.lt(after.to_string()));
    }
    Ok(query
        .order(imports::id.desc())
        .limit(limit + 1)
        .load(conn)?)
}
