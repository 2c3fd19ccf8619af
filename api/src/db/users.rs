//! Users and their roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub roles: String,
    pub org_unit_id: String,
    pub org_path: String,
    pub rm_id: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &UserRow) -> AppResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table.find(id).first(conn).optional()?)
}

/// Ids of deactivated users: their tokens stop working at once (see `auth::Caller`).
pub fn inactive_ids(conn: &mut DbConn) -> AppResult<Vec<String>> {
    Ok(users::table
        .filter(users::active.eq(false))
        .select(users::id)
        .load(conn)?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .first(conn)
        .optional()?)
}

/// Writes `row` if the stored version is still `expected_version` (optimistic concurrency).
pub fn update(conn: &mut DbConn, row: &UserRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(&row.id))
            .filter(users::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "user {} was changed by someone else; reload it",
            row.id
        )));
    }
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub role: Option<String>,
    pub rm_id: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    filter: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<UserRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = users::table
        .filter(users::org_path.ge(low))
        .filter(users::org_path.lt(high))
        .into_boxed();
    if let Some(role) = &filter.role {
        // roles are stored comma-separated; match a whole name
        query = query.filter(
            users::roles
                .eq(role.clone())
                .or(users::roles.like(format!("{role},%")))
                .or(users::roles.like(format!("%,{role}")))
                .or(users::roles.like(format!("%,{role},%"))),
        );
    }
    if let Some(v) = &filter.rm_id {
        query = query.filter(users::rm_id.eq(v.clone()));
    }
    if let Some(c) = cursor {
        query = query.filter(users::id.gt(c.to_string()));
    }
    Ok(query.order(users::id.asc()).limit(limit + 1).load(conn)?)
}
