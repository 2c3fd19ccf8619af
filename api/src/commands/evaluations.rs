//! R-4 evaluation of a date: overdue-interest ratios per RM at the month's checkpoints, the flags
//! and required inspections they call for. Evaluating the same date twice changes nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_checks::require_checks;
use super::flags::{raise_many, raise_on_rm};
use super::Ctx;
use crate::db::{self, loans, DbConn};
use crate::domain::field_check::CheckKind;
use crate::domain::flag::FlagKind;
use crate::domain::portfolio::{indicator, Indicator};
use crate::error::AppResult;

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
    if let Some(stored) = loans::evaluation(conn, as_of, &ctx.scope)? {
        return Ok((serde_json::from_str(&stored)?, false));
    }
    let watch = crate::stopwatch::Stopwatch::start("evaluation");
    let books = loans::books_at(conn, &ctx.scope, as_of)?;
    watch.lap("books");
    let flagged =
        db::flags::customers_with_open(conn, &ctx.scope, FlagKind::OverdueInterest.as_str())?;
    let inspected = db::field_checks::customers_with_open_required(
        conn,
        &ctx.scope,
        CheckKind::PostLoanInspection.as_str(),
    )?;
    let (policy_version, _) = db::policy::current(conn)?;
    let mut results = Vec::new();
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
        let mut result = RmEvaluation {
            rm_id: rm_id.clone(),
            indicator: serde_json::to_value(&ind)?,
            rm_flags: Vec::new(),
            overdue_interest_flags: 0,
            inspections_required: 0,
        };
        let why = format!(
            "overdue-interest ratio {} ({} of {} loan customers) on {as_of}",
            ind.overdue_ratio,
            overdue.len(),
            loan_customers
        );
        let to_flag: Vec<String> = overdue
            .iter()
            .filter(|c| !flagged.contains(**c))
            .map(|c| c.to_string())
            .collect();
        if !to_flag.is_empty() {
            let items = db::customers::find_many(conn, &to_flag)?
                .into_iter()
                .map(|c| (c, format!("interest unpaid as of {as_of}")))
                .collect();
            result.overdue_interest_flags =
                raise_many(conn, ctx, FlagKind::OverdueInterest, items)? as u32;
        }
        let to_inspect: Vec<String> = overdue
            .iter()
            .filter(|c| ind.inspections_required && !inspected.contains(**c))
            .map(|c| c.to_string())
            .collect();
        if !to_inspect.is_empty() {
            // Raising the flag above may already have required some (A-6 entry, D-5).
            let customers = db::customers::find_many(conn, &to_inspect)?;
            let wanted: Vec<_> = customers
                .iter()
                .map(|c| (c, CheckKind::PostLoanInspection))
                .collect();
            result.inspections_required =
                require_checks(conn, ctx, &wanted, "R-4", &why)?.len() as u32;
        }
        if ind.action_required && raise_on_rm(conn, ctx, &rm, FlagKind::ActionRequired, &why)?.1 {
            result
                .rm_flags
                .push(FlagKind::ActionRequired.as_str().into());
        }
        if ind.out_of_control
            && raise_on_rm(conn, ctx, &rm, FlagKind::ManagementOutOfControl, &why)?.1
        {
            result
                .rm_flags
                .push(FlagKind::ManagementOutOfControl.as_str().into());
        }
        results.push(result);
    }
    watch.lap("flags and checks");
    let evaluation = Evaluation {
        as_of,
        policy_version,
        rms: results,
    };
    let summary = serde_json::to_string(&evaluation)?;
    loans::insert_evaluation(
        conn,
        as_of,
        &ctx.scope,
        policy_version,
        &summary,
        &ctx.actor.username,
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
