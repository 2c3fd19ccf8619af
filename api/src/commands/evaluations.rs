//! R-4 evaluation of a date: overdue-interest ratios per RM at the month's checkpoints, the flags
//! and required inspections they call for. Evaluating the same date twice changes nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_checks::require_checks_each;
use super::flags::{raise_many, raise_on_rm};
use super::Ctx;
use crate::db::{self, loans, DbConn};
use crate::domain::field_check::CheckKind;
use crate::domain::flag::FlagKind;
use crate::domain::portfolio::{indicator, Indicator};
use crate::domain::reason::Reason;
use crate::error::{AppError, AppResult};

/// One RM's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RmEvaluation {
    pub rm_id: String,
    #[schema(value_type = Object)]
    pub indicator: serde_json::Value,
    /// RM flags raised by this evaluation (`action_required`, `management_out_of_control`).
    pub rm_flags: Vec<String>,
    /// Customers flagged `overdue_interest` by this evaluation.
    pub overdue_interest_flags: u32,
    /// On-site inspections required by this evaluation (month end above the trigger).
    pub inspections_required: u32,
}

/// The result of evaluating one date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub rms: Vec<RmEvaluation>,
}

/// Evaluates `as_of` over the caller's scope; `Ok((result, false))` when it was evaluated before
/// (the stored result, nothing changed).
pub fn evaluate(conn: &mut DbConn, ctx: &Ctx, as_of: NaiveDate) -> AppResult<(Evaluation, bool)> {
    // a day not yet come has no facts; evaluating it would store an empty result that the
    // idempotent call would return once the day comes.
    if as_of > ctx.today {
        return Err(AppError::field(
            "as_of",
            format!("must not be after today ({})", ctx.today),
        ));
    }
    if let Some(stored) = loans::evaluation(conn, as_of, &ctx.scope)? {
        return Ok((serde_json::from_str(&stored)?, false));
    }
    let watch = crate::stopwatch::Stopwatch::start("evaluation");
    let books = loans::books_at(conn, &ctx.scope, as_of, &ctx.actor.clock)?;
    watch.lap("books");
    let flagged =
        db::flags::customers_with_open(conn, &ctx.scope, FlagKind::OverdueInterest.as_str())?;
    let inspected = db::field_checks::customers_with_open_required(
        conn,
        &ctx.scope,
        CheckKind::PostLoanInspection.as_str(),
    )?;
    let (policy_version, _) = db::policy::current(conn)?;
    // Each RM's indicator first; the customer flags and inspections of all RMs are then raised
    // together (a few statements per kind, not per RM).
    let mut results = Vec::new();
    let mut to_flag: Vec<String> = Vec::new();
    let mut to_inspect: Vec<(String, Reason)> = Vec::new();
    let mut rm_of: std::collections::HashMap<String, usize> = Default::default();
    for (rm_id, loan_customers) in &books.loan_customers {
        let Some(rm) = db::rms::find(conn, rm_id)? else {
            continue;
        };
        let first = books.overdue.partition_point(|(r, _)| r < rm_id);
        let overdue: Vec<&String> = books.overdue[first..]
            .iter()
            .take_while(|(r, _)| r == rm_id)
            .map(|(_, c)| c)
            .collect();
        let ind: Indicator = indicator(*loan_customers, overdue.len() as u32, as_of, &ctx.policy);
        let why = Reason::r4_overdue_ratio(
            ind.overdue_ratio,
            overdue.len() as u32,
            *loan_customers,
            as_of,
        );
        for customer in overdue {
            rm_of.insert(customer.clone(), results.len());
            if !flagged.contains(customer) {
                to_flag.push(customer.clone());
            }
            if ind.inspections_required && !inspected.contains(customer) {
                to_inspect.push((customer.clone(), why.clone()));
            }
        }
        let mut rm_flags = Vec::new();
        if ind.action_required && raise_on_rm(conn, ctx, &rm, FlagKind::ActionRequired, &why)?.1 {
            rm_flags.push(FlagKind::ActionRequired.as_str().into());
        }
        if ind.out_of_control
            && raise_on_rm(conn, ctx, &rm, FlagKind::ManagementOutOfControl, &why)?.1
        {
            rm_flags.push(FlagKind::ManagementOutOfControl.as_str().into());
        }
        results.push(RmEvaluation {
            rm_id: rm_id.clone(),
            indicator: serde_json::to_value(&ind)?,
            rm_flags,
            overdue_interest_flags: 0,
            inspections_required: 0,
        });
    }
    let items: Vec<_> = db::customers::find_many(conn, &to_flag)?
        .into_iter()
        .map(|c| (c, Reason::interest_unpaid(as_of)))
        .collect();
    for customer in raise_many(conn, ctx, FlagKind::OverdueInterest, items)? {
        if let Some(&i) = rm_of.get(&customer) {
            results[i].overdue_interest_flags += 1;
        }
    }
    // Raising the flags above may already have required some (A-6 entry, D-5).
    let ids: Vec<String> = to_inspect.iter().map(|(c, _)| c.clone()).collect();
    let customers: std::collections::HashMap<String, db::customers::CustomerRow> =
        db::customers::find_many(conn, &ids)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    let wanted: Vec<_> = to_inspect
        .iter()
        .filter_map(|(id, why)| Some((customers.get(id)?, CheckKind::PostLoanInspection, why)))
        .collect();
    for required in require_checks_each(conn, ctx, &wanted, "R-4")? {
        if let Some(&i) = rm_of.get(&required.customer_id) {
            results[i].inspections_required += 1;
        }
    }
    watch.lap("flags and checks");
    let evaluation = Evaluation {
        as_of,
        policy_version,
        rms: results,
    };
    let kept: Vec<(String, u32, u32)> = books
        .loan_customers
        .iter()
        .map(|(rm, loans)| {
            let first = books.overdue.partition_point(|(r, _)| r < rm);
            let overdue = books.overdue[first..]
                .iter()
                .take_while(|(r, _)| r == rm)
                .count();
            (rm.clone(), *loans, overdue as u32)
        })
        .collect();
    db::overview::keep_rm_indicators(conn, &ctx.scope, as_of, &kept)?;
    let summary = serde_json::to_string(&evaluation)?;
    loans::insert_evaluation(
        conn,
        as_of,
        &ctx.scope,
        policy_version,
        &summary,
        &ctx.actor.username,
        ctx.now,
    )?;
    let change = crate::db::audit::Change::new(
        "evaluation.run",
        "evaluation",
        &as_of.to_string(),
        &ctx.scope,
    )
    .after(&serde_json::json!({"as_of": as_of, "rms": evaluation.rms.len()}))?;
    crate::db::audit::record(conn, &ctx.actor, change)?;
    Ok((evaluation, true))
}
