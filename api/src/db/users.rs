//! Users and their roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{rms, role_grants, users};
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
    /// Changes with the password, roles, unit or active flag: tokens carrying an older one stop
    /// working at once, on every server.
    pub security_stamp: String,
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

/// A fresh security stamp.
pub fn new_stamp() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The user linked to an RM record, if any (M-4: at most one).
pub fn find_by_rm(conn: &mut DbConn, rm_id: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::rm_id.eq(rm_id))
        .first(conn)
        .optional()?)
}

/// M-4: records who granted (and, through M-1, who approved) each role `user_id` gained, and
/// forgets the roles it lost.
pub fn record_grants(
    conn: &mut DbConn,
    user_id: &str,
    added: &[String],
    removed: &[String],
    granted_by: Option<&str>,
    approved_by: Option<&str>,
    at: NaiveDateTime,
) -> AppResult<()> {
    if !removed.is_empty() {
        diesel::delete(
            role_grants::table
                .filter(role_grants::user_id.eq(user_id))
                .filter(role_grants::role.eq_any(removed)),
        )
        .execute(conn)?;
    }
    for role in added {
        diesel::insert_into(role_grants::table)
            .values((
                role_grants::user_id.eq(user_id),
                role_grants::role.eq(role),
                role_grants::granted_by.eq(granted_by),
                role_grants::approved_by.eq(approved_by),
                role_grants::granted_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// M-4: the roles of `user_id` that `maker_id` granted.
pub fn roles_granted_by(
    conn: &mut DbConn,
    user_id: &str,
    maker_id: &str,
) -> AppResult<Vec<crate::domain::role::Role>> {
    let names: Vec<String> = role_grants::table
        .filter(role_grants::user_id.eq(user_id))
        .filter(role_grants::granted_by.eq(maker_id))
        .select(role_grants::role)
        .load(conn)?;
    names
        .iter()
        .map(|n| crate::domain::role::Role::stored(n).map_err(AppError::from))
        .collect()
}

/// The national ID of the person behind an account: that of its RM record, if linked.
fn national_id_of(conn: &mut DbConn, user_id: &str) -> AppResult<Option<String>> {
    Ok(users::table
        .inner_join(rms::table.on(users::rm_id.eq(rms::id.nullable())))
        .filter(users::id.eq(user_id))
        .select(rms::national_id)
        .first(conn)
        .optional()?)
}

/// M-4: whether two accounts are one person: the same account, or linked to RM records of the
/// same national ID. "A second person" compares people, not accounts.
pub fn same_person(conn: &mut DbConn, a: &str, b: &str) -> AppResult<bool> {
    if a == b {
        return Ok(true);
    }
    Ok(match (national_id_of(conn, a)?, national_id_of(conn, b)?) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    })
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
