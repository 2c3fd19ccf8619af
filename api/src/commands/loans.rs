//! Loan facts and the customer flags they raise: `npl` for a loan substandard or worse
//! (spreading `related_party` to guarantors and group), `overdue_interest` for unpaid interest.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::flags::raise;
use super::Ctx;
use crate::db::loans::{self as store, SnapshotRow};
use crate::db::{self, DbConn};
use crate::domain::flag::FlagKind;
use crate::domain::loan::{has_overdue_interest, to_fen, Classification};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult, FieldError};

/// One loan as of one date (API.md `POST /loans/batch` row).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanFact {
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "L1")]
    pub loan_no: String,
    #[validate(length(min = 1, max = 64))]
    pub customer_id: String,
    /// The originating RM.
    #[validate(length(min = 1, max = 64))]
    pub rm_id: String,
    #[schema(value_type = String, example = "500000.00")]
    pub balance: Decimal,
    #[schema(example = "2026-03-01")]
    pub originated_on: NaiveDate,
    pub classification: Classification,
    #[schema(value_type = String, example = "2100.00")]
    pub interest_due: Decimal,
    #[schema(value_type = String, example = "0.00")]
    pub interest_paid: Decimal,
    #[schema(example = "2026-11-20")]
    pub as_of: NaiveDate,
    #[serde(default)]
    #[validate(range(max = 36500))]
    pub days_past_due: u32,
    /// the day the loan falls due, when known.
    #[schema(example = "2026-12-15")]
    pub matures_on: Option<NaiveDate>,
}

/// What recording one loan fact did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recorded {
    pub loan_no: String,
    pub as_of: NaiveDate,
    /// The loan was not known before.
    pub created: bool,
    /// Flags newly raised on the borrower (not counting `related_party` on others).
    pub flags_raised: Vec<FlagKind>,
}

/// Checks a fact against the registry without writing: 422 naming the field.
fn snapshot_of(
    conn: &mut DbConn,
    ctx: &Ctx,
    f: &LoanFact,
) -> AppResult<(SnapshotRow, db::customers::CustomerRow)> {
    let money = |field: &str, value: Decimal| to_fen(value).map_err(|m| AppError::field(field, m));
    let snapshot = SnapshotRow {
        loan_no: f.loan_no.trim().to_string(),
        as_of: f.as_of,
        customer_id: f.customer_id.clone(),
        rm_id: f.rm_id.clone(),
        balance_fen: money("balance", f.balance)?,
        classification: f.classification.as_str().into(),
        interest_due_fen: money("interest_due", f.interest_due)?,
        interest_paid_fen: money("interest_paid", f.interest_paid)?,
        days_past_due: f.days_past_due as i32,
        matures_on: f.matures_on,
    };
    if f.originated_on > f.as_of {
        return Err(AppError::field("originated_on", "must not be after as_of"));
    }
    let customer = db::customers::find(conn, &f.customer_id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or_else(|| AppError::field("customer_id", "no such customer in your scope"))?;
    db::rms::find(conn, &f.rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    Ok((snapshot, customer))
}

/// Checks one fact without writing anything (for all-or-nothing batches).
pub fn check(conn: &mut DbConn, ctx: &Ctx, f: &LoanFact) -> AppResult<()> {
    snapshot_of(conn, ctx, f).map(|_| ())
}

/// Records one fact and raises the borrower's flags.
pub fn record(conn: &mut DbConn, ctx: &Ctx, f: &LoanFact) -> AppResult<Recorded> {
    let (snapshot, customer) = snapshot_of(conn, ctx, f)?;
    let created = store::upsert(conn, &snapshot, f.originated_on)?;
    let mut flags_raised = Vec::new();
    if f.classification.is_npl() {
        let why = format!(
            "loan {} classified {} as of {}",
            snapshot.loan_no, f.classification, f.as_of
        );
        if raise(conn, ctx, &customer, FlagKind::Npl, None, "rule", &why)?.1 {
            flags_raised.push(FlagKind::Npl);
        }
    }
    if has_overdue_interest(snapshot.interest_due_fen, snapshot.interest_paid_fen) {
        let why = format!(
            "loan {}: interest {} due, {} paid as of {}",
            snapshot.loan_no, f.interest_due, f.interest_paid, f.as_of
        );
        if raise(
            conn,
            ctx,
            &customer,
            FlagKind::OverdueInterest,
            None,
            "rule",
            &why,
        )?
        .1
        {
            flags_raised.push(FlagKind::OverdueInterest);
        }
    }
    Ok(Recorded {
        loan_no: snapshot.loan_no,
        as_of: f.as_of,
        created,
        flags_raised,
    })
}

/// A row of a batch that was not recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefusedRow {
    /// 1-based position in the batch (the line for NDJSON).
    pub line: usize,
    pub loan_no: Option<String>,
    pub errors: Vec<FieldError>,
    /// The rule that refused it, if any.
    pub rule: Option<String>,
}

/// The report of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchReport {
    pub received: usize,
    pub recorded: usize,
    pub created: usize,
    pub refused: Vec<RefusedRow>,
    /// With `all_or_nothing`, true when a refusal stopped the whole batch.
    pub rolled_back: bool,
}

/// Why a row was refused, from its error.
pub fn refusal(
    line: usize,
    loan_no: Option<String>,
    err: AppError,
) -> Result<RefusedRow, AppError> {
    match err {
        AppError::Validation(errors) => Ok(RefusedRow {
            line,
            loan_no,
            errors,
            rule: None,
        }),
        AppError::Rule(v) => Ok(RefusedRow {
            line,
            loan_no,
            errors: vec![FieldError::new("row", v.detail)],
            rule: Some(v.rule.into()),
        }),
        other => Err(other),
    }
}
