//! RMs: appointment and change. An appointment checks O-3, O-4 and O-6; a change re-checks
//! what the RM's new state could break: A-9 (no suspension while customers are held), X-5 (no exit
//! and no reactivation under an open case but through the case), A-5 (a move to another unit keeps
//! every customer a non-senior RM holds inside its unit).

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::assignments::{customer_facts, facts_of_rm};
use super::Ctx;
use crate::bounded::{NationalId, RecordId, Text100, Text32, Years};
use crate::db::audit::{self, Change};
use crate::db::rms::RmRow;
use crate::db::{self, DbConn};
use crate::domain::assignment::{check_grade, AssignmentRole};
use crate::domain::org::{in_scope, OrgUnitKind};
use crate::domain::rm::{self as rules, ExitKind, Grade, Line, RmStatus};
use crate::error::{AppError, AppResult};

/// Appoint an RM. O-4 entry requirements and the O-6 permanent ban are checked here.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRm {
    #[schema(example = "E1001")]
    pub employee_no: Text32,
    #[schema(example = "110101199001011234")]
    pub national_id: NationalId,
    #[schema(example = "Li Na")]
    pub name: Text100,
    pub line: Line,
    pub grade: Grade,
    pub org_unit_id: RecordId,
    /// Day the grade qualification exam was passed (valid 2 years by default, O-4).
    #[schema(example = "2026-01-15")]
    pub qualified_on: NaiveDate,
    /// O-4: years of counter experience, when known (default policy minimum 2).
    pub counter_experience_years: Option<Years>,
    /// O-4: a bad business record bars appointment.
    #[serde(default)]
    pub bad_business_record: bool,
    /// O-5: start of the appointment term (default today).
    pub term_starts_on: Option<NaiveDate>,
}

/// Changes to an RM; grades change through qualifications (O-3). Send `version` (or `If-Match`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RmPatch {
    pub name: Option<Text100>,
    /// Transfer to another unit in the caller's scope.
    pub org_unit_id: Option<RecordId>,
    pub status: Option<RmStatus>,
    /// Refused: an RM exits only through an exit case; kept so that clients get a clear refusal.
    pub exit_kind: Option<ExitKind>,
    pub version: Option<i64>,
}

/// O-3: the kind of a unit, as the grade approval rules read it.
pub(crate) fn unit_kind(conn: &mut DbConn, unit_id: &str) -> AppResult<OrgUnitKind> {
    let unit = db::org_units::get(conn, unit_id, "org unit")?;
    Ok(OrgUnitKind::stored(&unit.kind)?)
}

/// Appoints an RM in the caller's subtree; `approving_unit_id` is the caller's unit (O-3).
pub fn appoint(
    conn: &mut DbConn,
    ctx: &Ctx,
    approving_unit_id: &str,
    new: NewRm,
) -> AppResult<RmRow> {
    let unit = db::org_units::referenced(conn, &ctx.scope, &new.org_unit_id, "org_unit_id")?;
    let appointment = rules::Appointment {
        qualified_on: new.qualified_on,
        counter_experience_years: new.counter_experience_years.map(Years::get),
        bad_business_record: new.bad_business_record,
        banned: db::rms::is_banned(conn, &new.national_id)?,
    };
    rules::check_appointment(&appointment, ctx.today, &ctx.policy).map_err(AppError::Rule)?;
    let rm_unit = OrgUnitKind::stored(&unit.kind)?;
    rules::check_grade_approval(new.grade, unit_kind(conn, approving_unit_id)?, rm_unit)
        .map_err(AppError::Rule)?;
    if let Some(serving) = db::rms::find_serving_by_national_id(conn, &new.national_id)? {
        return Err(AppError::Duplicate(format!(
            "this person already serves as RM {} ({})",
            serving.employee_no, serving.id
        )));
    }
    let term_start = new.term_starts_on.unwrap_or(ctx.today);
    let row = RmRow {
        id: crate::http::new_id(),
        employee_no: new.employee_no.trim().to_string(),
        national_id: new.national_id.into_string(),
        name: new.name.trim().to_string(),
        line: new.line.as_str().into(),
        grade: new.grade.as_str().into(),
        status: RmStatus::Active.as_str().into(),
        org_unit_id: unit.id,
        org_path: unit.path,
        qualified_on: new.qualified_on,
        term_starts_on: term_start,
        term_ends_on: rules::term_end(term_start, &ctx.policy),
        performance_level: 3,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    db::rms::insert(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("rm.create", "rm", &row.id, &row.org_path).after(&row.audit_view())?,
    )?;
    Ok(row)
}

/// A change to an RM, at the version the caller read.
pub fn update(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    patch: RmPatch,
    expected: i64,
) -> AppResult<RmRow> {
    // X-5 / O-6: an exit (and the ban a forced one brings) is decided by the committee on an exit
    // case, never set by an edit.
    if patch.status == Some(RmStatus::Exited) || patch.exit_kind.is_some() {
        return Err(AppError::rule(
            "X-5",
            "exit_case_required",
            "an RM exits only through an exit case decided by the committee (POST /exit-cases)",
        ));
    }
    crate::db::assignments::lock_rm(conn, id)?;
    let before = db::rms::find(conn, id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or(AppError::NotFound("RM"))?;
    crate::http::check_version(before.version, expected, "the RM")?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name.trim().to_string();
    }
    if let Some(unit_id) = &patch.org_unit_id {
        let unit = db::org_units::referenced(conn, &ctx.scope, unit_id, "org_unit_id")?;
        after.org_unit_id = unit.id;
        after.org_path = unit.path;
    }
    if let Some(status) = patch.status {
        let from = RmStatus::stored(&before.status)?;
        rules::check_status_change(from, status).map_err(AppError::Rule)?;
        if status == RmStatus::Active
            && from != RmStatus::Active
            && !db::exit_cases::open_of_rm(conn, &before.id)?.is_empty()
        {
            return Err(AppError::rule(
                "X-5",
                "exit_case_open",
                "the RM is under an open exit case; the committee's decision ends it",
            ));
        }
        if status != RmStatus::Active && from == RmStatus::Active {
            let open = db::rms::active_assignment_count(conn, &before.id)?;
            if open > 0 {
                return Err(AppError::rule(
                    "A-9",
                    "handover_required",
                    format!("the RM still holds {open} active assignments; hand them over (POST /handovers) first"),
                ));
            }
        }
        after.status = status.as_str().into();
    }
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    db::rms::update(conn, &after, expected)?;
    if after.org_path != before.org_path {
        check_customers_fit_unit(conn, ctx, &after)?;
    }
    audit::record(
        conn,
        &ctx.actor,
        Change::new("rm.update", "rm", &after.id, &after.org_path)
            .before(&before.audit_view())?
            .after(&after.audit_view())?,
    )?;
    Ok(after)
}

/// O-5: renews the appointment term explicitly: one policy term from the current end, or from
/// today when the term has run out. An exited RM's term is not renewed.
pub fn renew_term(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<RmRow> {
    let before = db::rms::find(conn, id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or(AppError::NotFound("RM"))?;
    if before.status == RmStatus::Exited.as_str() {
        return Err(AppError::rule(
            "X-5",
            "rm_exited",
            "an exited RM's term cannot be renewed",
        ));
    }
    let mut after = before.clone();
    after.term_ends_on = rules::renewed_term_end(before.term_ends_on, ctx.today, &ctx.policy);
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    db::rms::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("rm.renew_term", "rm", &after.id, &after.org_path)
            .before(&before.audit_view())?
            .after(&after.audit_view())?,
    )?;
    Ok(after)
}

/// A-5 on the RM's new state: after a move, a non-senior RM holds only customers inside its unit
/// (hand the others over first).
fn check_customers_fit_unit(conn: &mut DbConn, ctx: &Ctx, rm: &RmRow) -> AppResult<()> {
    let facts = facts_of_rm(conn, rm)?;
    for (assignment, customer) in db::assignments::active_for_rm(conn, &rm.id)? {
        let (_, customer_facts) = customer_facts(conn, ctx, &customer.id)?;
        let role = AssignmentRole::stored(&assignment.role)?;
        check_grade(&facts, &customer_facts, role).map_err(|v| {
            AppError::rule(
                v.rule,
                v.code,
                format!("customer {} ({}): {}", customer.name, customer.id, v.detail),
            )
        })?;
    }
    Ok(())
}
