//! Relationship managers, their qualifications and the permanent bans of O-6.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{banned_persons, rm_qualifications, rms};
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = rms, treat_none_as_null = true)]
pub struct RmRow {
    pub id: String,
    pub employee_no: String,
    pub national_id: String,
    pub name: String,
    pub line: String,
    pub grade: String,
    pub status: String,
    pub org_unit_id: String,
    pub org_path: String,
    pub qualified_on: NaiveDate,
    pub term_starts_on: NaiveDate,
    pub term_ends_on: NaiveDate,
    pub performance_level: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &RmRow) -> AppResult<()> {
    diesel::insert_into(rms::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<RmRow>> {
    Ok(rms::table.find(id).first(conn).optional()?)
}

pub fn update(conn: &mut DbConn, row: &RmRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        rms::table
            .filter(rms::id.eq(&row.id))
            .filter(rms::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "RM {} was changed by someone else; reload it",
            row.id
        )));
    }
    Ok(())
}

/// O-6: whether this national ID carries a permanent ban, whichever unit recorded it.
pub fn is_banned(conn: &mut DbConn, national_id: &str) -> AppResult<bool> {
    let n: i64 = banned_persons::table
        .filter(banned_persons::national_id.eq(national_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

impl RmRow {
    /// The RM as audit events keep it.
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id, "employee_no": self.employee_no, "national_id": self.national_id,
            "name": self.name, "line": self.line, "grade": self.grade, "status": self.status,
            "org_unit_id": self.org_unit_id, "qualified_on": self.qualified_on,
            "term_starts_on": self.term_starts_on, "term_ends_on": self.term_ends_on,
            "performance_level": self.performance_level, "version": self.version})
    }
}

pub fn ban(
    conn: &mut DbConn,
    national_id: &str,
    rm_id: &str,
    reason: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    if is_banned(conn, national_id)? {
        return Ok(());
    }
    diesel::insert_into(banned_persons::table)
        .values((
            banned_persons::national_id.eq(national_id),
            banned_persons::rm_id.eq(rm_id),
            banned_persons::reason.eq(reason),
            banned_persons::banned_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// An RM record for the same person that has not exited (one person, one active appointment).
pub fn find_serving_by_national_id(
    conn: &mut DbConn,
    national_id: &str,
) -> AppResult<Option<RmRow>> {
    Ok(rms::table
        .filter(rms::national_id.eq(national_id))
        .filter(rms::status.ne("exited"))
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = rm_qualifications)]
pub struct QualificationRow {
    pub id: String,
    pub rm_id: String,
    pub grade: String,
    pub exam_passed_on: NaiveDate,
    pub approved_by_unit_id: String,
    pub approved_by_user_id: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_qualification(conn: &mut DbConn, row: &QualificationRow) -> AppResult<()> {
    diesel::insert_into(rm_qualifications::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn qualifications(conn: &mut DbConn, rm_id: &str) -> AppResult<Vec<QualificationRow>> {
    Ok(rm_qualifications::table
        .filter(rm_qualifications::rm_id.eq(rm_id))
        .order(rm_qualifications::created_at.asc())
        .load(conn)?)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub line: Option<String>,
    pub grade: Option<String>,
    pub status: Option<String>,
    /// O-4: only RMs whose qualification lapsed on or before this day (re-certification list).
    pub qualified_before: Option<NaiveDate>,
    /// Only these RMs (a bulk read by id).
    pub ids: Option<Vec<String>>,
    /// The bank's employee number (工号).
    pub employee_no: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    scope: &str,
    filter: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<RmRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = rms::table
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .into_boxed();
    if let Some(v) = &filter.line {
        query = query.filter(rms::line.eq(v.clone()));
    }
    if let Some(v) = &filter.grade {
        query = query.filter(rms::grade.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(rms::status.eq(v.clone()));
    }
    if let Some(v) = filter.qualified_before {
        query = query.filter(rms::qualified_on.le(v));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(rms::id.eq_any(ids.clone()));
    }
    if let Some(no) = &filter.employee_no {
        query = query.filter(rms::employee_no.eq(no.clone()));
    }
    if let Some(c) = cursor {
        query = query.filter(rms::id.gt(c.to_string()));
    }
    Ok(query.order(rms::id.asc()).limit(limit + 1).load(conn)?)
}

/// the RM's assignments still in force.
pub fn active_assignment_count(conn: &mut DbConn, rm_id: &str) -> AppResult<i64> {
    use super::schema::assignments;
    Ok(assignments::table
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::valid_to.is_null())
        .count()
        .get_result(conn)?)
}

/// Active RMs of one org unit (not its subtree): the colleagues who can take customers over.
pub fn active_in_unit(conn: &mut DbConn, org_unit_id: &str) -> AppResult<Vec<RmRow>> {
    Ok(rms::table
        .filter(rms::org_unit_id.eq(org_unit_id))
        .filter(rms::status.eq("active"))
        .order(rms::id.asc())
        .load(conn)?)
}

/// Active RMs anywhere in a subtree.
pub fn active_in_subtree(conn: &mut DbConn, scope: &str) -> AppResult<Vec<RmRow>> {
    let (low, high) = subtree_range(scope);
    Ok(rms::table
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .filter(rms::status.eq("active"))
        .order(rms::id.asc())
        .load(conn)?)
}

/// The ids of every RM (of any status) in a subtree.
pub fn ids_in_subtree(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let (low, high) = super::subtree_range(scope);
    Ok(rms::table
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .select(rms::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Every RM not exited in a subtree.
pub fn serving_in_subtree(conn: &mut DbConn, scope: &str) -> AppResult<Vec<RmRow>> {
    let (low, high) = subtree_range(scope);
    Ok(rms::table
        .filter(rms::org_path.ge(low))
        .filter(rms::org_path.lt(high))
        .filter(rms::status.ne("exited"))
        .order(rms::id.asc())
        .load(conn)?)
}

/// sets performance levels (rm id, level) in one statement per level.
pub fn set_levels(conn: &mut DbConn, levels: &[(String, i32)]) -> AppResult<()> {
    for level in 1..=3 {
        let ids: Vec<&str> = levels
            .iter()
            .filter(|(_, l)| *l == level)
            .map(|(id, _)| id.as_str())
            .collect();
        for chunk in ids.chunks(1000) {
            diesel::update(rms::table.filter(rms::id.eq_any(chunk)))
                .set((
                    rms::performance_level.eq(level),
                    rms::version.eq(rms::version + 1),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// item 5: RMs in a subtree that originated a loan now non-performing, or hold its
/// borrower (A-7: they answer for their share of it).
pub fn with_npl_originations(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<std::collections::HashSet<String>> {
    use super::schema::{assignments, loans};
    let (low, high) = subtree_range(scope);
    let npl = ["substandard", "doubtful", "loss"];
    let mut out: std::collections::HashSet<String> = loans::table
        .inner_join(rms::table.on(rms::id.eq(loans::rm_id)))
        .filter(rms::org_path.ge(&low))
        .filter(rms::org_path.lt(&high))
        .filter(loans::classification.eq_any(npl))
        .select(loans::rm_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    // the RMs who share a non-performing borrower answer for their part of it too. The few
    // non-performing borrowers first, then their holders (an index read each).
    let borrowers: Vec<String> = loans::table
        .filter(loans::classification.eq_any(npl))
        .select(loans::customer_id)
        .distinct()
        .load(conn)?;
    for chunk in borrowers.chunks(500) {
        out.extend(
            assignments::table
                .inner_join(rms::table.on(rms::id.eq(assignments::rm_id)))
                .filter(assignments::customer_id.eq_any(chunk))
                .filter(assignments::valid_to.is_null())
                .filter(rms::org_path.ge(&low))
                .filter(rms::org_path.lt(&high))
                .select(assignments::rm_id)
                .distinct()
                .load::<String>(conn)?,
        );
    }
    Ok(out)
}

/// The given RMs (those that exist), in no particular order.
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<RmRow>> {
    super::in_chunks(ids, |chunk| {
        Ok(rms::table
            .filter(rms::id.eq_any(chunk))
            .load::<RmRow>(conn)?)
    })
}

/// [`names`] of only those inside the subtree `scope` (O-1: a name outside the reader's part of
/// the bank is not shown).
pub fn names_within(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = String>,
    scope: &str,
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<String> = ids.into_iter().collect();
    let (low, high) = super::subtree_range(scope);
    super::in_chunks(&ids, |chunk| {
        Ok(rms::table
            .filter(rms::id.eq_any(chunk))
            .filter(rms::org_path.ge(low.clone()))
            .filter(rms::org_path.lt(high.clone()))
            .select((rms::id, rms::name))
            .load::<(String, String)>(conn)?)
    })
}

/// The names of the given RMs by id (for lists that show whom a row is about).
pub fn names(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = String>,
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<String> = ids.into_iter().collect();
    super::in_chunks(&ids, |chunk| {
        Ok(rms::table
            .filter(rms::id.eq_any(chunk))
            .select((rms::id, rms::name))
            .load::<(String, String)>(conn)?)
    })
}

/// The RM with the bank's employee number (工号).
pub fn by_employee_no(conn: &mut DbConn, employee_no: &str) -> AppResult<Option<RmRow>> {
    Ok(rms::table
        .filter(rms::employee_no.eq(employee_no))
        .first(conn)
        .optional()?)
}
