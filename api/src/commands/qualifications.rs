//! O-3 / O-4 grade qualifications, a maker-checker action (M-1): the maker proposes, a second
//! manager whose unit is high enough for the grade approves, and only then the RM takes the grade.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::rms::unit_kind;
use super::Ctx;
use crate::auth::Caller;
use crate::db::audit::{self, Change};
use crate::db::rms::{QualificationRow, RmRow};
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::domain::rm::{check_grade_approval, Grade, RmStatus};
use crate::error::{AppError, AppResult};

/// A grade to give an RM, with the exam that earned it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grading {
    pub rm_id: String,
    pub grade: Grade,
    pub exam_passed_on: NaiveDate,
}

/// The RM in the caller's scope, if `by` (whose unit approves) may give it this grade now.
pub fn check(conn: &mut DbConn, ctx: &Ctx, by: &Caller, g: &Grading) -> AppResult<RmRow> {
    let rm = db::rms::find(conn, &g.rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or(AppError::NotFound("RM"))?;
    if rm.status == RmStatus::Exited.as_str() {
        return Err(AppError::rule(
            "X-5",
            "rm_exited",
            "an exited RM cannot be qualified",
        ));
    }
    if g.exam_passed_on > ctx.today {
        return Err(AppError::field(
            "exam_passed_on",
            "must not be in the future",
        ));
    }
    let approving = unit_kind(conn, &by.org_unit_id)?;
    check_grade_approval(g.grade, approving, unit_kind(conn, &rm.org_unit_id)?)
        .map_err(AppError::Rule)?;
    Ok(rm)
}

/// Applies an approved grading: the checker's unit is the approving unit (O-3).
pub fn apply(
    conn: &mut DbConn,
    ctx: &Ctx,
    checker: &Caller,
    g: &Grading,
) -> AppResult<QualificationRow> {
    let before = check(conn, ctx, checker, g)?;
    let row = QualificationRow {
        id: crate::http::new_id(),
        rm_id: before.id.clone(),
        grade: g.grade.as_str().into(),
        exam_passed_on: g.exam_passed_on,
        approved_by_unit_id: checker.org_unit_id.clone(),
        approved_by_user_id: checker.user_id.clone(),
        created_at: ctx.now,
    };
    db::rms::insert_qualification(conn, &row)?;
    let mut after = before.clone();
    after.grade = row.grade.clone();
    after.qualified_on = row.exam_passed_on;
    after.version = before.version + 1;
    after.updated_at = row.created_at;
    db::rms::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("rm.qualify", "rm", &after.id, &after.org_path)
            .before(&before.audit_view())?
            .after(&after.audit_view())?,
    )?;
    Ok(row)
}
