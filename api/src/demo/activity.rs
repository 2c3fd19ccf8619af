//! The demo bank at work, through the same commands as the API, so the dashboard has something to
//! show: `npl` flags two weeks old with guarantors marked `related_party` and the D-5 checks
//! they required (some overdue now), today's R-4 evaluation, a year of scored months,
//! an X-2 case, reassignments waiting for a second person and dual field checks waiting
//! for the second RM (D-2, D-3).

use chrono::{Datelike, Days, NaiveDate};
use diesel::Connection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::Caller;
use crate::bounded::{RecordId, Text10000, Text2000};
use crate::commands::approvals::{self, Pending, Request};
use crate::commands::evaluations::{self, Evaluation, RmEvaluation};
use crate::commands::exit_cases::{self, CaseKind, NewCase};
use crate::commands::field_checks::{self, Submission};
use crate::commands::performance::{self, MonthMetrics};
use crate::commands::{assignments, flags, Ctx};
use crate::db::audit::Actor;
use crate::db::customers::RelationRow;
use crate::db::org_units::OrgUnitRow;
use crate::db::rms::RmRow;
use crate::db::users::UserRow;
use crate::db::{self, DbConn};
use crate::domain::field_check::CheckKind;
use crate::domain::flag::FlagKind;
use crate::domain::reason::Reason;
use crate::domain::role::{split_roles, Role};
use crate::error::{AppError, AppResult};

/// Borrowers whose flag also reaches a guarantor.
const WITH_GUARANTOR: usize = 20;
const REASSIGNMENTS: usize = 3;
const FIELD_CHECKS: usize = 2;

/// Runs every step; `npl_borrowers` pairs each non-performing borrower with the customer made
/// just before it (its guarantor to be). Answers a one-line summary.
pub(super) fn run(
    conn: &mut DbConn,
    clock: crate::clock::Clock,
    root: &OrgUnitRow,
    branch: &OrgUnitRow,
    rm_rows: &[RmRow],
    npl_borrowers: &[(String, Option<String>)],
) -> AppResult<String> {
    let (_, policy) = db::policy::current(conn)?;
    let today = clock.today();
    let system = Ctx {
        actor: Actor::system("demo", clock),
        scope: root.path.clone(),
        today,
        now: clock.now(),
        policy,
        approved_rules: Vec::new(),
    };
    let watch = crate::stopwatch::Stopwatch::start("demo activity");
    let npl_flags = flag_bad_loans(conn, &system, npl_borrowers)?;
    watch.lap("npl flags");
    let evaluation = evaluations::evaluate(conn, &system, today)?.0;
    let overdue_flags: u32 = evaluation
        .rms
        .iter()
        .map(|r| r.overdue_interest_flags)
        .sum();
    watch.lap("evaluation");
    score_the_year(conn, &system, rm_rows)?;
    watch.lap("scores");
    let worst = worst_of_branch(&evaluation, rm_rows, branch);
    if let Some(worst) = worst {
        open_exit_case(conn, &system, worst)?;
    }
    let pending = request_reassignments(conn, &system, branch, rm_rows, worst)?;
    watch.lap("reassignments");
    let checks = record_field_checks(conn, &system, rm_rows)?;
    watch.lap("field checks");
    Ok(format!(
        "{overdue_flags} overdue-interest and {npl_flags} npl flags, 12 scored months, \
         {} exit case, {pending} reassignments awaiting approval, {checks} field checks \
         awaiting the second RM",
        usize::from(worst.is_some())
    ))
}

/// The context of `user` acting at the moment of `base`.
fn acting_as(base: &Ctx, user: &Caller) -> Ctx {
    Ctx {
        actor: user.actor(),
        scope: user.org_path.clone(),
        today: base.today,
        now: base.now,
        policy: base.policy.clone(),
        approved_rules: Vec::new(),
    }
}

fn caller_of(user: &UserRow, clock: crate::clock::Clock) -> Caller {
    Caller {
        user_id: user.id.clone(),
        username: user.username.clone(),
        roles: split_roles(&user.roles),
        org_unit_id: user.org_unit_id.clone(),
        org_path: user.org_path.clone(),
        request_id: "demo".into(),
        clock,
        token_id: String::new(),
        token_expires_at: 0,
        security_stamp: user.security_stamp.clone(),
    }
}

/// the loans went bad two weeks ago, so their `npl` flags and the D-5 checks that came with
/// them are that old (some checks are overdue now); the first borrowers' guarantors become related
/// parties.
fn flag_bad_loans(
    conn: &mut DbConn,
    now: &Ctx,
    npl_borrowers: &[(String, Option<String>)],
) -> AppResult<usize> {
    let two_weeks = Days::new(14);
    let then = Ctx {
        actor: Actor::system("demo", now.actor.clock),
        scope: now.scope.clone(),
        today: now.today.checked_sub_days(two_weeks).unwrap_or(now.today),
        now: now.now.checked_sub_days(two_weeks).unwrap_or(now.now),
        policy: now.policy.clone(),
        approved_rules: Vec::new(),
    };
    for (borrower, guarantor) in npl_borrowers.iter().take(WITH_GUARANTOR) {
        if let Some(guarantor) = guarantor {
            db::customers::insert_relation(
                conn,
                &RelationRow {
                    id: crate::http::new_id(),
                    customer_id: guarantor.clone(),
                    related_customer_id: borrower.clone(),
                    kind: "guarantor_of".into(),
                    created_at: then.now,
                },
            )?;
        }
    }
    let ids: Vec<String> = npl_borrowers.iter().map(|(b, _)| b.clone()).collect();
    let mut borrowers = db::customers::find_many(conn, &ids)?;
    let flagged = borrowers.len();
    let reason = Reason::npl_borrower(then.today);
    let rest = borrowers.split_off(WITH_GUARANTOR.min(borrowers.len()));
    for customer in &borrowers {
        flags::raise(conn, &then, customer, FlagKind::Npl, None, "rule", &reason)?;
    }
    let rest = rest.into_iter().map(|c| (c, reason.clone())).collect();
    flags::raise_many(conn, &then, FlagKind::Npl, rest)?;
    Ok(flagged)
}

/// twelve months of business for every RM, each month run, the last one being last month.
fn score_the_year(conn: &mut DbConn, ctx: &Ctx, rm_rows: &[RmRow]) -> AppResult<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let this_month = ctx.today.with_day(1).unwrap_or(ctx.today);
    for back in (1..=12).rev() {
        let first: NaiveDate = this_month
            .checked_sub_months(chrono::Months::new(back))
            .unwrap_or(this_month);
        let metrics: Vec<MonthMetrics> = rm_rows
            .iter()
            .map(|rm| {
                let effort = rng.gen_range(20..120) as i64;
                serde_json::from_value(serde_json::json!({
                    "rm_id": rm.id,
                    "month": first.format("%Y-%m").to_string(),
                    "new_loan_accounts": effort / 20,
                    "new_loan_amount": format!("{}.00", effort * 10_000),
                    "managed_accounts_increase": effort / 10,
                    "savings_daily_avg_net_increase": format!("{}.00", effort * 2_000),
                    "corporate_daily_avg_net_increase": format!("{}.00", effort * 40_000),
                    "new_bank_cards": effort / 8,
                }))
            })
            .collect::<Result<_, _>>()?;
        performance::record_metrics(conn, ctx, &metrics)?;
        performance::run_month(conn, ctx, first)?;
    }
    Ok(())
}

/// The RM of the first branch with the most overdue-interest flags today.
fn worst_of_branch<'a>(
    evaluation: &'a Evaluation,
    rm_rows: &[RmRow],
    branch: &OrgUnitRow,
) -> Option<&'a RmEvaluation> {
    evaluation
        .rms
        .iter()
        .filter(|r| {
            rm_rows
                .iter()
                .any(|rm| rm.id == r.rm_id && rm.org_path.starts_with(&branch.path))
        })
        .max_by_key(|r| r.overdue_interest_flags)
}

/// X-2 item 2, entered for that RM with today's evaluation as evidence.
fn open_exit_case(conn: &mut DbConn, ctx: &Ctx, worst: &RmEvaluation) -> AppResult<()> {
    let why = Reason::overdue_interest_not_reported();
    exit_cases::propose_written(
        conn,
        ctx,
        &NewCase {
            rm_id: RecordId::composed(worst.rm_id.clone())?,
            kind: CaseKind::Disqualification,
            trigger: Some("X-2.2".into()),
            reason: Text2000::composed(why.text.clone())?,
            evidence: Text10000::composed(format!(
                "R-4 evaluation of {}: {}",
                ctx.today, worst.indicator
            ))?,
        },
        &why,
    )?;
    Ok(())
}

/// reassignments of flagged customers in the first branch, made by `admin`, each to a
/// colleague of the customer's team the rules accept today (not the RM under review).
fn request_reassignments(
    conn: &mut DbConn,
    system: &Ctx,
    branch: &OrgUnitRow,
    rm_rows: &[RmRow],
    under_review: Option<&RmEvaluation>,
) -> AppResult<usize> {
    let Some(admin) = db::users::find_by_username(conn, "admin")? else {
        return Ok(0);
    };
    let maker = caller_of(&admin, system.actor.clock);
    let ctx = acting_as(system, &maker);
    let flagged =
        db::flags::customers_with_open(conn, &branch.path, FlagKind::OverdueInterest.as_str())?;
    let mut pending = 0;
    for customer in db::customers::find_many(conn, &flagged.into_iter().collect::<Vec<_>>())? {
        if pending == REASSIGNMENTS {
            break;
        }
        let Some(colleague) = rm_rows.iter().find(|rm| {
            Some(&rm.id) != under_review.map(|w| &w.rm_id)
                && rm.org_unit_id == customer.org_unit_id
                && reassignment_passes(conn, &ctx, &customer.id, &rm.id)
        }) else {
            continue;
        };
        let request = Request {
            reason: "flagged customer: a second person approves the move (A-10)".into(),
            rule: "A-10",
            approver_roles: &[Role::Manager, Role::Admin],
            org_path: customer.org_path.clone(),
        };
        let reassign = Pending::Reassign {
            customer_id: customer.id.clone(),
            to_rm_id: colleague.id.clone(),
            reason: "rotation".into(),
        };
        approvals::request(conn, &ctx, &maker, &reassign, request)?;
        pending += 1;
    }
    Ok(pending)
}

/// Whether moving the customer to the RM passes every rule now; tried inside a savepoint that is
/// rolled back, so nothing is kept.
fn reassignment_passes(conn: &mut DbConn, ctx: &Ctx, customer_id: &str, rm_id: &str) -> bool {
    // As the approver would run it: the A-10 approval this request waits for is what it lacks.
    let approved = Ctx {
        approved_rules: vec!["A-10"],
        ..ctx.clone()
    };
    let tried = conn.transaction(|conn| -> AppResult<()> {
        assignments::reassign(conn, &approved, customer_id, rm_id, "rotation")?;
        Err(AppError::NotFound("rolled back"))
    });
    matches!(tried, Err(AppError::NotFound("rolled back")))
}

/// D-2/D-3: the first RM (user `rm.demo`) visited customers it holds that need two RMs with
/// a colleague of the team, whose confirmation is still to come.
fn record_field_checks(conn: &mut DbConn, system: &Ctx, rm_rows: &[RmRow]) -> AppResult<usize> {
    let (Some(user), Some(first)) = (
        db::users::find_by_username(conn, "rm.demo")?,
        rm_rows.first(),
    ) else {
        return Ok(0);
    };
    let lead = caller_of(&user, system.actor.clock);
    let ctx = acting_as(system, &lead);
    let flagged =
        db::flags::customers_with_open(conn, &first.org_path, FlagKind::OverdueInterest.as_str())?;
    let colleague = rm_rows.iter().find(|rm| {
        rm.id != first.id && rm.org_unit_id == first.org_unit_id && rm.line == first.line
    });
    let mut checks = 0;
    for (_, customer) in db::assignments::active_for_rm(conn, &first.id)? {
        if checks == FIELD_CHECKS || customer.needs_second_rm_since.is_none() {
            continue;
        }
        let submission = Submission {
            kind: if flagged.contains(&customer.id) {
                CheckKind::PostLoanInspection
            } else {
                CheckKind::SiteVisit
            },
            customer_id: customer.id.clone(),
            lead_rm_id: first.id.clone(),
            second_rm_id: colleague.map(|c| c.id.clone()),
            performed_at: ctx.now - chrono::Duration::hours(20),
            place: Some("customer's premises".into()),
            findings: "premises, stock and receivables seen; management met".into(),
            outcome: Some("no change to the risk assessment".into()),
        };
        match field_checks::submit(conn, &ctx, &lead, &submission) {
            Ok(_) => checks += 1,
            Err(e) => tracing::warn!(error = %e, "demo field check refused"),
        }
    }
    Ok(checks)
}
