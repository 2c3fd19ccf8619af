//! Flags and their history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{assignments, customer_relations, flag_events, flags};
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = flags, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct FlagRow {
    pub id: String,
    pub customer_id: Option<String>,
    pub rm_id: Option<String>,
    pub kind: String,
    pub severity: String,
    /// `rule` when the system raised it, `manual` when a person did.
    pub source: String,
    pub reason: String,
    pub status: String,
    pub org_path: String,
    pub raised_by: String,
    pub raised_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// The code and JSON parameters of a reason the product wrote (`None` for a person's text).
    pub reason_code: Option<String>,
    pub reason_params: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = flag_events, treat_none_as_default_value = false)]
pub struct FlagEventRow {
    pub id: String,
    pub flag_id: String,
    /// `raise`, `acknowledge` or `resolve`.
    pub action: String,
    /// The reason, note or evidence.
    pub note: String,
    pub by_user: String,
    pub at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &FlagRow) -> AppResult<()> {
    diesel::insert_into(flags::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_event(conn: &mut DbConn, row: &FlagEventRow) -> AppResult<()> {
    diesel::insert_into(flag_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<FlagRow>> {
    Ok(flags::table.find(id).first(conn).optional()?)
}

pub fn update(conn: &mut DbConn, row: &FlagRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        flags::table
            .filter(flags::id.eq(&row.id))
            .filter(flags::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "flag {} changed meanwhile; reload it",
            row.id
        )));
    }
    Ok(())
}

pub fn events(conn: &mut DbConn, flag_id: &str) -> AppResult<Vec<FlagEventRow>> {
    Ok(flag_events::table
        .filter(flag_events::flag_id.eq(flag_id))
        .order(flag_events::at.asc())
        .load(conn)?)
}

/// The customer's flags not yet resolved, optionally of one kind.
pub fn unresolved_of_customer(
    conn: &mut DbConn,
    customer_id: &str,
    kind: Option<&str>,
) -> AppResult<Vec<FlagRow>> {
    let mut q = flags::table
        .filter(flags::customer_id.eq(customer_id))
        .filter(flags::status.ne("resolved"))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(flags::kind.eq(k.to_string()));
    }
    Ok(q.load(conn)?)
}

/// Every flag of a customer, newest first (R-3: shared with everyone who sees the customer).
pub fn of_customer(conn: &mut DbConn, customer_id: &str) -> AppResult<Vec<FlagRow>> {
    Ok(flags::table
        .filter(flags::customer_id.eq(customer_id))
        .order(flags::raised_at.desc())
        .load(conn)?)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    /// Flags on this RM, or on customers whose primary RM this is.
    pub rm_id: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    f: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<FlagRow>> {
    let (low, high) = subtree_range(scope);
    let mut q = flags::table
        .filter(flags::org_path.ge(low))
        .filter(flags::org_path.lt(high))
        .into_boxed();
    if let Some(v) = &f.kind {
        q = q.filter(flags::kind.eq(v.clone()));
    }
    if let Some(v) = &f.severity {
        q = q.filter(flags::severity.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(flags::status.eq(v.clone()));
    }
    if let Some(rm) = &f.rm_id {
        let customers = assignments::table
            .filter(assignments::rm_id.eq(rm.clone()))
            .filter(assignments::role.eq("primary"))
            .filter(assignments::valid_to.is_null())
            .select(assignments::customer_id.nullable());
        q = q.filter(
            flags::rm_id
                .eq(rm.clone())
                .or(flags::customer_id.eq_any(customers)),
        );
    }
    if let Some(c) = cursor {
        q = q.filter(flags::id.gt(c.to_string()));
    }
    Ok(q.order(flags::id.asc()).limit(limit + 1).load(conn)?)
}

/// customers linked to `customer_id`: its guarantors and the members of its groups.
pub fn related_customers(conn: &mut DbConn, customer_id: &str) -> AppResult<Vec<String>> {
    use customer_relations as r;
    let guarantors: Vec<String> = r::table
        .filter(r::related_customer_id.eq(customer_id))
        .filter(r::kind.eq("guarantor_of"))
        .select(r::customer_id)
        .load(conn)?;
    let group_out: Vec<String> = r::table
        .filter(r::customer_id.eq(customer_id))
        .filter(r::kind.eq("same_group"))
        .select(r::related_customer_id)
        .load(conn)?;
    let group_in: Vec<String> = r::table
        .filter(r::related_customer_id.eq(customer_id))
        .filter(r::kind.eq("same_group"))
        .select(r::customer_id)
        .load(conn)?;
    Ok(guarantors
        .into_iter()
        .chain(group_out)
        .chain(group_in)
        .collect())
}

pub fn unresolved_of_rm(conn: &mut DbConn, rm_id: &str, kind: &str) -> AppResult<Vec<FlagRow>> {
    Ok(flags::table
        .filter(flags::rm_id.eq(rm_id))
        .filter(flags::kind.eq(kind))
        .filter(flags::status.ne("resolved"))
        .load(conn)?)
}

/// Customers of a subtree with an unresolved flag (A-10 for rebalancing).
pub fn flagged_customers(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let (low, high) = subtree_range(scope);
    let ids: Vec<Option<String>> = flags::table
        .filter(flags::org_path.ge(low))
        .filter(flags::org_path.lt(high))
        .filter(flags::status.ne("resolved"))
        .filter(flags::customer_id.is_not_null())
        .select(flags::customer_id)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// The customers in a subtree with an unresolved flag of `kind`.
pub fn customers_with_open(
    conn: &mut DbConn,
    scope: &str,
    kind: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let (low, high) = super::subtree_range(scope);
    let ids: Vec<Option<String>> = flags::table
        .filter(flags::org_path.ge(low))
        .filter(flags::org_path.lt(high))
        .filter(flags::kind.eq(kind))
        .filter(flags::status.ne("resolved"))
        .select(flags::customer_id)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// Bulk raise (loan imports): the flags and their first events.
pub fn insert_many(conn: &mut DbConn, rows: &[FlagRow], events: &[FlagEventRow]) -> AppResult<()> {
    super::insert_rows!(conn, flags::table, rows);
    super::after_bulk_write(conn, "flags", rows.len())?;
    super::insert_rows!(conn, flag_events::table, events);
    Ok(())
}

/// Of these customers, those with an unresolved flag of `kind`.
pub fn with_unresolved(
    conn: &mut DbConn,
    customer_ids: &[String],
    kind: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let ids: Vec<Option<String>> = super::in_chunks(customer_ids, |chunk| {
        Ok(flags::table
            .filter(flags::customer_id.eq_any(chunk))
            .filter(flags::kind.eq(kind))
            .filter(flags::status.ne("resolved"))
            .select(flags::customer_id)
            .load(conn)?)
    })?;
    Ok(ids.into_iter().flatten().collect())
}

/// Of these customers, those with any guarantee or group link (either side).
pub fn with_relations(
    conn: &mut DbConn,
    customer_ids: &[String],
) -> AppResult<std::collections::HashSet<String>> {
    use customer_relations as r;
    let mut out = std::collections::HashSet::new();
    for chunk in customer_ids.chunks(1000) {
        let from: Vec<String> = r::table
            .filter(r::customer_id.eq_any(chunk))
            .select(r::customer_id)
            .load(conn)?;
        let to: Vec<String> = r::table
            .filter(r::related_customer_id.eq_any(chunk))
            .select(r::related_customer_id)
            .load(conn)?;
        out.extend(from);
        out.extend(to);
    }
    Ok(out)
}
