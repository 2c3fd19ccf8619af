//! Field checks (D-1), required checks (D-5) and evidence files.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    assignments, field_check_evidence, field_checks, required_checks, rm_activities,
};
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = field_checks, treat_none_as_null = true)]
pub struct FieldCheckRow {
    pub id: String,
    pub customer_id: String,
    pub kind: String,
    pub lead_rm_id: String,
    pub second_rm_id: Option<String>,
    pub performed_at: NaiveDateTime,
    pub place: Option<String>,
    pub findings: String,
    pub outcome: Option<String>,
    pub status: String,
    pub org_path: String,
    pub submitted_by: String,
    pub confirmed_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &FieldCheckRow) -> AppResult<()> {
    diesel::insert_into(field_checks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<FieldCheckRow>> {
    Ok(field_checks::table.find(id).first(conn).optional()?)
}

pub fn update(conn: &mut DbConn, row: &FieldCheckRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        field_checks::table
            .filter(field_checks::id.eq(&row.id))
            .filter(field_checks::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "field check {} changed meanwhile; reload it",
            row.id
        )));
    }
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub customer_id: Option<String>,
    /// As lead or as second.
    pub rm_id: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    f: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<FieldCheckRow>> {
    let (low, high) = subtree_range(scope);
    let mut q = field_checks::table
        .filter(field_checks::org_path.ge(low))
        .filter(field_checks::org_path.lt(high))
        .into_boxed();
    if let Some(v) = &f.customer_id {
        q = q.filter(field_checks::customer_id.eq(v.clone()));
    }
    if let Some(v) = &f.rm_id {
        q = q.filter(
            field_checks::lead_rm_id
                .eq(v.clone())
                .or(field_checks::second_rm_id.eq(v.clone())),
        );
    }
    if let Some(v) = &f.kind {
        q = q.filter(field_checks::kind.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(field_checks::status.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(field_checks::performed_at.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(field_checks::performed_at.lt(v));
    }
    if let Some(c) = cursor {
        q = q.filter(field_checks::id.gt(c.to_string()));
    }
    Ok(q.order(field_checks::id.asc())
        .limit(limit + 1)
        .load(conn)?)
}

/// D-6: an RM's checks (as lead or second) performed in `[from, to)`.
pub fn of_rm_between(
    conn: &mut DbConn,
    rm_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<FieldCheckRow>> {
    Ok(field_checks::table
        .filter(
            field_checks::lead_rm_id
                .eq(rm_id)
                .or(field_checks::second_rm_id.eq(rm_id)),
        )
        .filter(field_checks::performed_at.ge(from))
        .filter(field_checks::performed_at.lt(to))
        .order(field_checks::performed_at.asc())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = required_checks, treat_none_as_default_value = false)]
pub struct RequiredCheckRow {
    pub id: String,
    pub customer_id: String,
    pub kind: String,
    /// The rule that required it: `A-6` or `R-4`.
    pub source: String,
    pub reason: String,
    pub due_on: NaiveDate,
    pub org_path: String,
    pub closed_by_check_id: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The code and JSON parameters of a reason the product wrote (`None` for a person's text).
    pub reason_code: Option<String>,
    pub reason_params: Option<String>,
}

pub fn insert_required(conn: &mut DbConn, row: &RequiredCheckRow) -> AppResult<()> {
    diesel::insert_into(required_checks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Open required checks of a customer and kind.
pub fn open_required(
    conn: &mut DbConn,
    customer_id: &str,
    kind: &str,
) -> AppResult<Vec<RequiredCheckRow>> {
    Ok(required_checks::table
        .filter(required_checks::customer_id.eq(customer_id))
        .filter(required_checks::kind.eq(kind))
        .filter(required_checks::closed_at.is_null())
        .load(conn)?)
}

pub fn close_required(
    conn: &mut DbConn,
    id: &str,
    check_id: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(
        required_checks::table
            .filter(required_checks::id.eq(id))
            .filter(required_checks::closed_at.is_null()),
    )
    .set((
        required_checks::closed_by_check_id.eq(Some(check_id)),
        required_checks::closed_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct RequiredFilter {
    /// `open`, `overdue` (open and past due) or `closed`.
    pub status: Option<String>,
    /// The customer's primary RM now.
    pub rm_id: Option<String>,
    pub today: Option<NaiveDate>,
}

pub fn list_required(
    conn: &mut DbConn,
    scope: &str,
    f: &RequiredFilter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<RequiredCheckRow>> {
    let (low, high) = subtree_range(scope);
    let mut q = required_checks::table
        .filter(required_checks::org_path.ge(low))
        .filter(required_checks::org_path.lt(high))
        .into_boxed();
    match f.status.as_deref() {
        Some("open") => q = q.filter(required_checks::closed_at.is_null()),
        Some("closed") => q = q.filter(required_checks::closed_at.is_not_null()),
        Some("overdue") => {
            q = q.filter(required_checks::closed_at.is_null());
            if let Some(today) = f.today {
                q = q.filter(required_checks::due_on.lt(today));
            }
        }
        _ => {}
    }
    if let Some(rm) = &f.rm_id {
        let customers = assignments::table
            .filter(assignments::rm_id.eq(rm.clone()))
            .filter(assignments::role.eq("primary"))
            .filter(assignments::valid_to.is_null())
            .select(assignments::customer_id);
        q = q.filter(required_checks::customer_id.eq_any(customers));
    }
    if let Some(c) = cursor {
        q = q.filter(required_checks::id.gt(c.to_string()));
    }
    Ok(q.order(required_checks::id.asc())
        .limit(limit + 1)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = field_check_evidence)]
pub struct EvidenceRow {
    pub id: String,
    pub check_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub content: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_evidence(conn: &mut DbConn, row: &EvidenceRow) -> AppResult<()> {
    diesel::insert_into(field_check_evidence::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Evidence of a check without the contents: (id, file name, type, size, sha256, uploaded by, at).
pub type EvidenceMeta = (String, String, String, i64, String, String, NaiveDateTime);

pub fn evidence_of(conn: &mut DbConn, check_id: &str) -> AppResult<Vec<EvidenceMeta>> {
    use field_check_evidence as e;
    Ok(e::table
        .filter(e::check_id.eq(check_id))
        .select((
            e::id,
            e::file_name,
            e::content_type,
            e::size_bytes,
            e::sha256,
            e::uploaded_by,
            e::created_at,
        ))
        .order(e::created_at.asc())
        .load(conn)?)
}

/// Whether the RM holds the customer in any active role.
pub fn is_assigned(conn: &mut DbConn, rm_id: &str, customer_id: &str) -> AppResult<bool> {
    let n: i64 = assignments::table
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::customer_id.eq(customer_id))
        .filter(assignments::valid_to.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// D-6: a call or a report of a customer's important event.
#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = rm_activities)]
pub struct ActivityRow {
    pub id: String,
    pub rm_id: String,
    pub customer_id: Option<String>,
    pub kind: String,
    pub occurred_at: NaiveDateTime,
    pub summary: String,
    pub org_path: String,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_activity(conn: &mut DbConn, row: &ActivityRow) -> AppResult<()> {
    diesel::insert_into(rm_activities::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// D-6: an RM's logged activities in `[from, to)`.
pub fn activities_between(
    conn: &mut DbConn,
    rm_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<ActivityRow>> {
    Ok(rm_activities::table
        .filter(rm_activities::rm_id.eq(rm_id))
        .filter(rm_activities::occurred_at.ge(from))
        .filter(rm_activities::occurred_at.lt(to))
        .order(rm_activities::occurred_at.asc())
        .load(conn)?)
}

/// The customers in a subtree with an open required check of `kind`.
pub fn customers_with_open_required(
    conn: &mut DbConn,
    scope: &str,
    kind: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let (low, high) = super::subtree_range(scope);
    Ok(required_checks::table
        .filter(required_checks::org_path.ge(low))
        .filter(required_checks::org_path.lt(high))
        .filter(required_checks::kind.eq(kind))
        .filter(required_checks::closed_at.is_null())
        .select(required_checks::customer_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Of these customers, (customer, kind) of their open required checks.
pub fn open_required_of(
    conn: &mut DbConn,
    customer_ids: &[String],
) -> AppResult<std::collections::HashSet<(String, String)>> {
    super::in_chunks(customer_ids, |chunk| {
        Ok(required_checks::table
            .filter(required_checks::customer_id.eq_any(chunk))
            .filter(required_checks::closed_at.is_null())
            .select((required_checks::customer_id, required_checks::kind))
            .load::<(String, String)>(conn)?)
    })
}

pub fn insert_required_many(conn: &mut DbConn, rows: &[RequiredCheckRow]) -> AppResult<()> {
    super::insert_rows!(conn, required_checks::table, rows);
    super::after_bulk_write(conn, "required_checks", rows.len())
}
