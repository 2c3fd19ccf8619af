//! Field checks (D-1..D-5): the lead submits, the second confirms from their own login, and
//! confirmed checks close the checks the rules required.

use chrono::{Days, NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::assignments::customer_facts;
use super::Ctx;
use crate::auth::Caller;
use crate::db::audit::{self, Change};
use crate::db::customers::CustomerRow;
use crate::db::field_checks::{self as store, EvidenceRow, FieldCheckRow, RequiredCheckRow};
use crate::db::{self, DbConn};
use crate::domain::field_check::{check_submission, is_a6, CheckKind, CheckStatus, Participant};
use crate::domain::org::in_scope;
use crate::domain::reason::Reason;
use crate::domain::rm::RmStatus;
use crate::error::{AppError, AppResult};

/// What the lead submits.
#[derive(Debug, Clone)]
pub struct Submission {
    pub customer_id: String,
    pub kind: CheckKind,
    pub lead_rm_id: String,
    pub second_rm_id: Option<String>,
    pub performed_at: NaiveDateTime,
    pub place: Option<String>,
    pub findings: String,
    pub outcome: Option<String>,
}

/// The RM record linked to the caller's user account, if any.
fn caller_rm(conn: &mut DbConn, caller: &Caller) -> AppResult<Option<String>> {
    Ok(db::users::find(conn, &caller.user_id)?.and_then(|u| u.rm_id))
}

fn participant(
    conn: &mut DbConn,
    ctx: &Ctx,
    rm_id: &str,
    customer_id: &str,
    field: &str,
) -> AppResult<Participant> {
    let rm = db::rms::find(conn, rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field(field, "no such RM in your scope"))?;
    Ok(Participant {
        status: RmStatus::stored(&rm.status)?,
        qualified_on: rm.qualified_on,
        assigned: store::is_assigned(conn, &rm.id, customer_id)?,
        rm_id: rm.id,
    })
}

fn scoped(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<FieldCheckRow> {
    store::find(conn, id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or(AppError::NotFound("field check"))
}

/// D-2, D-3, D-4: records a check submitted by the lead RM's own login.
pub fn submit(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    s: &Submission,
) -> AppResult<FieldCheckRow> {
    let (customer, facts) = customer_facts(conn, ctx, &s.customer_id)?;
    if caller_rm(conn, caller)?.as_deref() != Some(s.lead_rm_id.as_str()) {
        return Err(AppError::rule(
            "D-3",
            "lead_must_submit",
            "the lead RM submits the check from their own login",
        ));
    }
    if s.performed_at > ctx.now + chrono::Duration::minutes(5) {
        return Err(AppError::field("performed_at", "must not be in the future"));
    }
    let lead = participant(conn, ctx, &s.lead_rm_id, &customer.id, "lead_rm_id")?;
    let second = s
        .second_rm_id
        .as_deref()
        .map(|id| participant(conn, ctx, id, &customer.id, "second_rm_id"))
        .transpose()?;
    if let Some(second) = &second {
        // D-3 / M-4: two RM records of one person are one person.
        let person = |conn: &mut DbConn, id: &str| -> AppResult<Option<String>> {
            Ok(db::rms::find(conn, id)?.map(|r| r.national_id))
        };
        if person(conn, &lead.rm_id)? == person(conn, &second.rm_id)? {
            return Err(AppError::rule(
                "D-3",
                "same_person",
                "the lead and the second RM are one person (same national ID); two people are required",
            ));
        }
    }
    // an open flag makes the customer A-6 whatever its markers.
    let (_, flagged) = super::flags::risk_state(conn, &customer.id)?;
    let a6 = is_a6(&facts, flagged) || customer.needs_second_rm_since.is_some();
    let required_by_r4 = store::open_required(conn, &customer.id, s.kind.as_str())?
        .iter()
        .any(|r| r.source == "R-4");
    check_submission(
        s.kind,
        a6,
        &lead,
        second.as_ref(),
        required_by_r4,
        ctx.today,
        &ctx.policy,
    )
    .map_err(AppError::Rule)?;
    let status = if second.is_some() {
        CheckStatus::AwaitingConfirmation
    } else {
        CheckStatus::Completed
    };
    let row = FieldCheckRow {
        id: crate::http::new_id(),
        customer_id: customer.id.clone(),
        kind: s.kind.as_str().into(),
        lead_rm_id: lead.rm_id,
        second_rm_id: second.map(|p| p.rm_id),
        performed_at: s.performed_at,
        place: s.place.clone(),
        findings: s.findings.clone(),
        outcome: s.outcome.clone(),
        status: status.as_str().into(),
        org_path: customer.org_path.clone(),
        submitted_by: caller.username.clone(),
        confirmed_by: None,
        decided_at: None,
        version: 1,
        created_at: ctx.now,
    };
    store::insert(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("field_check.submit", "field_check", &row.id, &row.org_path).after(&row)?,
    )?;
    if status == CheckStatus::Completed {
        close_required(conn, ctx, &row)?;
    }
    Ok(row)
}

/// D-3: the second RM confirms independently, from their own login.
pub fn confirm(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
) -> AppResult<FieldCheckRow> {
    let before = scoped(conn, ctx, id)?;
    let mut after = decide(conn, ctx, caller, &before)?;
    let second = participant(
        conn,
        ctx,
        before.second_rm_id.as_deref().unwrap_or_default(),
        &before.customer_id,
        "second_rm_id",
    )?;
    if second.status != RmStatus::Active
        || crate::domain::rm::qualification_lapsed(second.qualified_on, ctx.today, &ctx.policy)
    {
        return Err(AppError::rule(
            "D-3",
            "participant_not_eligible",
            "the second RM must be active and qualified to confirm",
        ));
    }
    after.status = CheckStatus::Confirmed.as_str().into();
    store::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "field_check.confirm",
            "field_check",
            &after.id,
            &after.org_path,
        )
        .before(&before)?
        .after(&after)?,
    )?;
    close_required(conn, ctx, &after)?;
    Ok(after)
}

/// The second RM refuses to confirm (the findings are not theirs).
pub fn reject(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    note: &str,
) -> AppResult<FieldCheckRow> {
    let before = scoped(conn, ctx, id)?;
    let mut after = decide(conn, ctx, caller, &before)?;
    after.status = CheckStatus::Rejected.as_str().into();
    after.outcome = Some(note.to_string());
    store::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "field_check.reject",
            "field_check",
            &after.id,
            &after.org_path,
        )
        .before(&before)?
        .after(&after)?,
    )?;
    Ok(after)
}

/// The lead withdraws a check the second has not decided yet.
pub fn cancel(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    note: &str,
) -> AppResult<FieldCheckRow> {
    let before = scoped(conn, ctx, id)?;
    if before.status != CheckStatus::AwaitingConfirmation.as_str() {
        return Err(AppError::VersionConflict(format!(
            "the check is {} already",
            before.status
        )));
    }
    if caller_rm(conn, caller)?.as_deref() != Some(before.lead_rm_id.as_str()) {
        return Err(AppError::rule(
            "D-3",
            "lead_must_cancel",
            "only the lead RM withdraws a check",
        ));
    }
    let mut after = before.clone();
    after.status = CheckStatus::Cancelled.as_str().into();
    after.outcome = Some(note.to_string());
    after.decided_at = Some(ctx.now);
    after.version += 1;
    store::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "field_check.cancel",
            "field_check",
            &after.id,
            &after.org_path,
        )
        .before(&before)?
        .after(&after)?,
    )?;
    Ok(after)
}

/// An evidence file for a check in the caller's scope, as received: its type and name are checked
/// by the caller before the upload is read.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Attaches an evidence file to a check, stored with its SHA-256.
pub fn add_evidence(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    upload: Upload,
) -> AppResult<EvidenceRow> {
    let check = scoped(conn, ctx, id)?;
    let row = EvidenceRow {
        id: crate::http::new_id(),
        check_id: check.id.clone(),
        file_name: upload.file_name,
        content_type: upload.content_type,
        size_bytes: upload.content.len() as i64,
        sha256: hex::encode(Sha256::digest(&upload.content)),
        content: upload.content,
        uploaded_by: ctx.actor.username.clone(),
        created_at: ctx.now,
    };
    store::insert_evidence(conn, &row)?;
    let after = serde_json::json!({
        "evidence_id": row.id,
        "file_name": row.file_name,
        "sha256": row.sha256,
        "size_bytes": row.size_bytes,
    });
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "field_check.evidence",
            "field_check",
            &check.id,
            &check.org_path,
        )
        .after(&after)?,
    )?;
    Ok(row)
}

/// D-3: only the second RM's own login decides; the lead can never confirm for the second.
fn decide(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    before: &FieldCheckRow,
) -> AppResult<FieldCheckRow> {
    if before.status != CheckStatus::AwaitingConfirmation.as_str() {
        return Err(AppError::VersionConflict(format!(
            "the check is {} already",
            before.status
        )));
    }
    let mine = caller_rm(conn, caller)?;
    if mine.as_deref() == Some(before.lead_rm_id.as_str()) {
        return Err(AppError::rule(
            "D-3",
            "lead_cannot_confirm",
            "the lead cannot confirm on behalf of the second RM",
        ));
    }
    if mine.is_none() || mine != before.second_rm_id {
        return Err(AppError::rule(
            "D-3",
            "second_must_confirm",
            "only the second RM confirms, from their own login",
        ));
    }
    let mut after = before.clone();
    after.confirmed_by = Some(caller.username.clone());
    after.decided_at = Some(ctx.now);
    after.version += 1;
    Ok(after)
}

/// D-5: a finished check of the right kind closes the customer's open required checks.
/// D-5: a check answers a requirement only when it was performed on or after the requirement was
/// made; an older one cannot show the state that raised it.
fn close_required(conn: &mut DbConn, ctx: &Ctx, check: &FieldCheckRow) -> AppResult<()> {
    let answered = store::open_required(conn, &check.customer_id, &check.kind)?
        .into_iter()
        .filter(|required| check.performed_at >= required.created_at);
    for required in answered {
        store::close_required(conn, &required.id, &check.id, ctx.now)?;
        let after = serde_json::json!({"closed_by_check_id": check.id});
        audit::record(
            conn,
            &ctx.actor,
            Change::new(
                "required_check.close",
                "required_check",
                &required.id,
                &required.org_path,
            )
            .before(&required)?
            .after(&after)?,
        )?;
    }
    Ok(())
}

/// D-5: requires a check of `kind` for the customer, due `due_days` from today; an open one of the
/// same kind is kept instead of adding another. Called when a customer enters an A-6 category and
/// by the R-4 evaluation (source `R-4`).
pub fn require_check(
    conn: &mut DbConn,
    ctx: &Ctx,
    customer: &CustomerRow,
    kind: CheckKind,
    source: &str,
    reason: &Reason,
) -> AppResult<RequiredCheckRow> {
    if let Some(added) = require_checks(conn, ctx, &[(customer, kind)], source, reason)?.pop() {
        return Ok(added);
    }
    store::open_required(conn, &customer.id, kind.as_str())?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal("an open required check vanished".into()))
}

/// [`require_check`] for many customers at once (one customer once); returns the checks added.
pub fn require_checks(
    conn: &mut DbConn,
    ctx: &Ctx,
    wanted: &[(&CustomerRow, CheckKind)],
    source: &str,
    reason: &Reason,
) -> AppResult<Vec<RequiredCheckRow>> {
    let wanted: Vec<_> = wanted.iter().map(|(c, k)| (*c, *k, reason)).collect();
    require_checks_each(conn, ctx, &wanted, source)
}

/// [`require_checks`] with a reason per customer.
pub fn require_checks_each(
    conn: &mut DbConn,
    ctx: &Ctx,
    wanted: &[(&CustomerRow, CheckKind, &Reason)],
    source: &str,
) -> AppResult<Vec<RequiredCheckRow>> {
    let ids: Vec<String> = wanted.iter().map(|(c, _, _)| c.id.clone()).collect();
    let open = store::open_required_of(conn, &ids)?;
    let days = ctx.policy.field_checks.required_inspection_due_days;
    let due_on: NaiveDate = if ctx.policy.calendar.inspection_due_in_working_days {
        ctx.policy.calendar.add_working_days(ctx.today, days)
    } else {
        ctx.today
            .checked_add_days(Days::new(days.into()))
            .unwrap_or(NaiveDate::MAX)
    };
    let rows: Vec<RequiredCheckRow> = wanted
        .iter()
        .filter(|(c, kind, _)| !open.contains(&(c.id.clone(), kind.as_str().to_string())))
        .map(|(customer, kind, reason)| {
            let (reason_code, reason_params) = reason.stored();
            RequiredCheckRow {
                id: crate::http::new_id(),
                customer_id: customer.id.clone(),
                kind: kind.as_str().into(),
                source: source.into(),
                reason: reason.text.clone(),
                due_on,
                org_path: customer.org_path.clone(),
                closed_by_check_id: None,
                closed_at: None,
                created_at: ctx.now,
                reason_code,
                reason_params,
            }
        })
        .collect();
    store::insert_required_many(conn, &rows)?;
    let changes = rows
        .iter()
        .map(|row| {
            Change::new(
                "required_check.create",
                "required_check",
                &row.id,
                &row.org_path,
            )
            .after(row)
        })
        .collect::<AppResult<Vec<_>>>()?;
    audit::record_many(conn, &ctx.actor, changes)?;
    Ok(rows)
}

/// D-5: a customer entering an A-6 category (a marker, or an open flag) gets a required check due
/// in the policy's days: a post-loan inspection when it has loans, a site visit otherwise.
pub fn on_entering_a6(
    conn: &mut DbConn,
    ctx: &Ctx,
    customer: &CustomerRow,
    was_a6: bool,
) -> AppResult<()> {
    if was_a6 || customer.needs_second_rm_since.is_none() {
        return Ok(());
    }
    on_entering_a6_many(conn, ctx, std::slice::from_ref(customer))
}

/// [`on_entering_a6`] for customers that have just entered.
pub fn on_entering_a6_many(
    conn: &mut DbConn,
    ctx: &Ctx,
    customers: &[CustomerRow],
) -> AppResult<()> {
    let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    let with_loans = db::customers::with_loans(conn, &ids)?;
    let wanted: Vec<(&CustomerRow, CheckKind)> = customers
        .iter()
        .map(|c| {
            let kind = if with_loans.contains(&c.id) {
                CheckKind::PostLoanInspection
            } else {
                CheckKind::SiteVisit
            };
            (c, kind)
        })
        .collect();
    require_checks(conn, ctx, &wanted, "A-6", &Reason::a6_entered())?;
    Ok(())
}
