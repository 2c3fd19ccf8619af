//! What each job of the calendar does for one business date, inside the run's transaction. Each
//! calls the same commands the API calls, so every rule and audit event holds as it does there.

use chrono::{Datelike, Months, NaiveDate};
use serde_json::{json, Value};

use crate::bounded::{RecordId, Text5000};
use crate::commands::conduct::{self, IncidentItem, NewIncident};
use crate::commands::{evaluations, handovers, performance, Ctx};
use crate::db::audit::{self, Change};
use crate::db::jobs as store;
use crate::db::{self, DbConn};
use crate::domain::calendar::Job;
use crate::domain::rm::{qualification_lapsed, qualification_valid_until};
use crate::error::AppResult;

pub fn run(
    conn: &mut DbConn,
    ctx: &Ctx,
    signer: &crate::anchor::Signer,
    job: Job,
    date: NaiveDate,
) -> AppResult<Value> {
    match job {
        Job::ExpirySweep => expiry_sweep(conn, ctx, date),
        Job::RequiredChecks => required_checks(conn, ctx, date),
        Job::RotationQueue => rotation_queue(conn, ctx, date),
        Job::R4Evaluation => {
            let (evaluation, fresh) = evaluations::evaluate(conn, ctx, date)?;
            Ok(json!({
                "as_of": date,
                "rms_evaluated": evaluation.rms.len(),
                "evaluated_before": !fresh,
            }))
        }
        Job::AuditCheckpoint => {
            let signed = db::audit::checkpoint(conn, signer, ctx.now)?;
            Ok(json!({ "signed_at_seq": signed.map(|c| c.seq) }))
        }
        Job::MonthlyRun => {
            let first = date
                .with_day(1)
                .and_then(|d| d.checked_sub_months(Months::new(1)))
                .unwrap_or(date);
            let run = performance::run_month(conn, ctx, first)?;
            Ok(json!({
                "month": run.month,
                "scored": run.scored,
                "cases_opened": run.cases_opened.len(),
            }))
        }
        Job::YearlyRating => {
            let year = date.year() - 1;
            let ratings = performance::rate_year(conn, ctx, year)?;
            Ok(json!({ "year": year, "rated": ratings.len() }))
        }
    }
}

/// A run's record lists at most this many of the things it did (the audit log has them all).
const LISTED: usize = 50;

fn capped(mut items: Vec<Value>) -> Vec<Value> {
    items.truncate(LISTED);
    items
}

/// O-4, O-5, A-4, A-9: an RM whose qualification has lapsed or whose term has ended by `date` may
/// receive nothing (A-4 reads the same dates); on the day it happens the RM is listed in the audit
/// log, and while the RM still holds customers and no plan is open, a handover plan is proposed
/// for the unit's manager to adjust and confirm.
fn expiry_sweep(conn: &mut DbConn, ctx: &Ctx, date: NaiveDate) -> AppResult<Value> {
    let mut listed = Vec::new();
    let mut proposed = Vec::new();
    for rm in db::rms::active_in_subtree(conn, &ctx.scope)? {
        let lapsed = qualification_lapsed(rm.qualified_on, date, &ctx.policy);
        let ended = date >= rm.term_ends_on;
        if !lapsed && !ended {
            continue;
        }
        let valid_until = qualification_valid_until(rm.qualified_on, &ctx.policy);
        let reason = if lapsed {
            format!("O-4: qualification lapsed on {valid_until}")
        } else {
            format!("O-5: term ended on {}", rm.term_ends_on)
        };
        if valid_until == date || rm.term_ends_on == date {
            audit::record(
                conn,
                &ctx.actor,
                Change::new("rm.eligibility_ended", "rm", &rm.id, &rm.org_path).after(&json!({
                    "rm_id": rm.id,
                    "employee_no": rm.employee_no,
                    "reason": reason,
                    "rule": "A-4",
                }))?,
            )?;
            listed.push(json!({ "rm_id": rm.id, "employee_no": rm.employee_no, "reason": reason }));
        }
        if db::rms::active_assignment_count(conn, &rm.id)? == 0
            || db::handovers::proposed_of_rm(conn, &rm.id)?.is_some()
        {
            continue;
        }
        let (plan, moves) = handovers::propose(conn, ctx, &rm.id, &format!("A-9: {reason}"))?;
        proposed.push(json!({ "handover_id": plan.id, "rm_id": rm.id, "moves": moves.len() }));
    }
    Ok(json!({
        "eligibility_ended_count": listed.len(),
        "eligibility_ended": capped(listed),
        "handovers_proposed_count": proposed.len(),
        "handovers_proposed": capped(proposed),
    }))
}

/// the primaries that enter the re-match queue (`GET /queues/rematch`) on `date`: tenure of
/// the policy's rotation period reached that day, or the customer's tier changed the day before.
/// Each is recorded in the audit log on its day, so the queue's entries are dated and notified.
fn rotation_queue(conn: &mut DbConn, ctx: &Ctx, date: NaiveDate) -> AppResult<Value> {
    let clock = ctx.actor.clock;
    let midnight = |d: NaiveDate| clock.instant_of(d, chrono::NaiveTime::MIN);
    let years = ctx.policy.assignment.rotation_years;
    let tenure_start = date
        .checked_sub_months(Months::new(years * 12))
        .unwrap_or(date);
    let next = tenure_start.succ_opt().unwrap_or(tenure_start);
    let mut entered = Vec::new();
    for a in db::assignments::primaries_held_from(
        conn,
        &ctx.scope,
        midnight(tenure_start),
        midnight(next),
    )? {
        entered.push(json!({ "assignment_id": a.id, "customer_id": a.customer_id, "rm_id": a.rm_id, "kind": "rotation" }));
    }
    let yesterday = date.pred_opt().unwrap_or(date);
    let (from, to) = (midnight(yesterday), midnight(date));
    for (a, at) in db::assignments::primaries_after_tier_change(conn, &ctx.scope)? {
        if at >= from && at < to {
            entered.push(json!({ "assignment_id": a.id, "customer_id": a.customer_id, "rm_id": a.rm_id, "kind": "tier_change" }));
        }
    }
    for entry in &entered {
        let customer = entry["customer_id"].as_str().unwrap_or_default();
        let path = db::customers::find(conn, customer)?
            .map(|c| c.org_path)
            .unwrap_or_else(|| ctx.scope.clone());
        let id = entry["assignment_id"].as_str().unwrap_or_default();
        audit::record(
            conn,
            &ctx.actor,
            Change::new("assignment.rematch_due", "assignment", id, &path).after(&json!({
                "entry": entry,
                "rule": "A-8",
                "rotation_years": years,
            }))?,
        )?;
    }
    Ok(json!({ "entered_count": entered.len(), "entered": capped(entered) }))
}

/// D-5: a reminder for each open required check falling due within the policy's days, and for
/// each one left open past its due date, once, X-2 item 2 evidence on the customer's primary RM.
fn required_checks(conn: &mut DbConn, ctx: &Ctx, date: NaiveDate) -> AppResult<Value> {
    let horizon = date
        .checked_add_days(chrono::Days::new(
            ctx.policy.calendar.reminder_days_before_due.into(),
        ))
        .unwrap_or(date);
    let mut reminded = 0;
    for check in store::open_checks_without(conn, "reminder", Some(date), horizon)? {
        audit::record(
            conn,
            &ctx.actor,
            Change::new(
                "required_check.reminder",
                "required_check",
                &check.id,
                &check.org_path,
            )
            .after(&json!({
                "customer_id": check.customer_id,
                "kind": check.kind,
                "due_on": check.due_on,
                "rule": "D-5",
            }))?,
        )?;
        store::record_notice(conn, &check.id, "reminder", date, None)?;
        reminded += 1;
    }
    let mut evidence = Vec::new();
    let mut unassigned = 0;
    let Some(yesterday) = date.pred_opt() else {
        return Ok(json!({ "reminded": reminded }));
    };
    for check in store::open_checks_without(conn, "overdue", None, yesterday)? {
        let primary = db::assignments::active_for_customer(conn, &check.customer_id)?
            .into_iter()
            .find(|(a, _)| a.role == "primary")
            .map(|(a, _)| a.rm_id);
        let incident_id = match primary {
            Some(rm_id) => {
                let became_overdue = check.due_on.succ_opt().unwrap_or(check.due_on);
                let incident = conduct::incident(
                    conn,
                    ctx,
                    NewIncident {
                        rm_id: RecordId::composed(rm_id.clone())?,
                        item: IncidentItem::NotActing,
                        occurred_on: became_overdue.min(date),
                        description: Text5000::composed(format!(
                            "D-5: the required {} of customer {} was due on {} and is not done",
                            check.kind, check.customer_id, check.due_on
                        ))?,
                        evidence: Text5000::composed(format!(
                            "required check {} ({}: {})",
                            check.id, check.source, check.reason
                        ))?,
                    },
                )?;
                evidence.push(json!({ "required_check_id": check.id, "rm_id": rm_id, "incident_id": incident.id }));
                Some(incident.id)
            }
            None => {
                unassigned += 1;
                None
            }
        };
        audit::record(
            conn,
            &ctx.actor,
            Change::new(
                "required_check.overdue",
                "required_check",
                &check.id,
                &check.org_path,
            )
            .after(&json!({
                "customer_id": check.customer_id,
                "kind": check.kind,
                "due_on": check.due_on,
                "rule": "D-5",
                "incident_id": incident_id,
            }))?,
        )?;
        store::record_notice(conn, &check.id, "overdue", date, incident_id.as_deref())?;
    }
    Ok(json!({
        "reminded": reminded,
        "overdue_evidence_count": evidence.len(),
        "overdue_evidence": capped(evidence),
        "overdue_without_primary": unassigned,
    }))
}
