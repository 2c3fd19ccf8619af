//! R-4 evaluation of a date: overdue-interest ratios per RM at the month's checkpoints, the flags
//! and required inspections they call for. Evaluating the same date twice changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_checks::require_check;
use super::flags::{raise, raise_on_rm};
use super::Ctx;
use crate::db::{self, assignments, loans, DbConn};
use crate::domain::field_check::CheckKind;
use crate::domain::flag::FlagKind;
use crate::domain::loan::has_overdue_interest;
use crate::domain::portfolio::{indicator, Indicator};
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
    if let Some(stored) = loans::evaluation(conn, as_of, &ctx.scope)? {
        return Ok((serde_json::from_str(&stored)?, false));
    }
    let end_of_day = as_of
        .and_hms_micro_opt(23, 59, 59, 999_999)
        .ok_or_else(|| AppError::field("as_of", "not a date"))?;
    let primaries = assignments::primaries_at(conn, &ctx.scope, end_of_day)?;
    // Per RM: its loan customers and those with unpaid interest (count ratio, R-4).
    let mut books: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for snapshot in loans::latest_until(conn, &ctx.scope, as_of)? {
        let Some(rm) = primaries.get(&snapshot.customer_id) else {
            continue;
        };
        let book = books.entry(rm.clone()).or_default();
        book.0.insert(snapshot.customer_id.clone());
        if has_overdue_interest(snapshot.interest_due_fen, snapshot.interest_paid_fen) {
            book.1.insert(snapshot.customer_id);
        }
    }
    let (policy_version, _) = db::policy::current(conn)?;
    let mut results = Vec::new();
    for (rm_id, (customers, overdue)) in books {
        let Some(rm) = db::rms::find(conn, &rm_id)? else {
            continue;
        };
        let ind: Indicator = indicator(
            customers.len() as u32,
            overdue.len() as u32,
            as_of,
            &ctx.policy,
        );
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
            customers.len()
        );
        for customer_id in &overdue {
            let Some(customer) = db::customers::find(conn, customer_id)? else {
                continue;
            };
            if raise(
                conn,
                ctx,
                &customer,
                FlagKind::OverdueInterest,
                None,
                "rule",
                &format!("interest unpaid as of {as_of}"),
            )?
            .1
            {
                result.overdue_interest_flags += 1;
            }
            if ind.inspections_required {
                let before = db::field_checks::open_required(
                    conn,
                    &customer.id,
                    CheckKind::PostLoanInspection.as_str(),
                )?
                .len();
                require_check(
                    conn,
                    ctx,
                    &customer,
                    CheckKind::PostLoanInspection,
                    "R-4",
                    &why,
                )?;
                if before == 0 {
                    result.inspections_required += 1;
                }
            }
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
