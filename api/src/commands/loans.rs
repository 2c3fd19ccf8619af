//! Loan facts and the customer flags they raise: `npl` for a loan substandard or worse
//! (spreading `related_party` to guarantors and group), `overdue_interest` for unpaid interest.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::flags::{raise, raise_many};
use super::Ctx;
use crate::bounded::{DaysPastDue, RecordId, Text64};
use crate::db::audit::{self, Change};
use crate::db::loan_import::{self as import, StagedRow};
use crate::db::loans::{self as store, SnapshotRow};
use crate::db::{self, DbConn};
use crate::domain::flag::FlagKind;
use crate::domain::loan::{has_overdue_interest, to_fen, Classification};
use crate::domain::org::in_scope;
use crate::domain::reason::Reason;
use crate::error::{AppError, AppResult, FieldError};

/// One loan as of one date (API.md `POST /loans/batch` row).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanFact {
    #[schema(example = "L1")]
    pub loan_no: Text64,
    pub customer_id: RecordId,
    /// The originating RM.
    pub rm_id: RecordId,
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
    pub days_past_due: DaysPastDue,
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

/// a report describes a day that has come.
fn check_not_future(as_of: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if as_of > today {
        return Err(AppError::field(
            "as_of",
            format!("must not be after today ({today})"),
        ));
    }
    Ok(())
}

/// A fact in fen, checked on its own (no registry lookups): 422 naming the field.
fn staged(line: usize, f: &LoanFact) -> AppResult<StagedRow> {
    let money = |field: &str, value: Decimal| to_fen(value).map_err(|m| AppError::field(field, m));
    if f.originated_on > f.as_of {
        return Err(AppError::field("originated_on", "must not be after as_of"));
    }
    Ok(StagedRow {
        line: line as i64,
        loan_no: f.loan_no.trim().to_string(),
        as_of: f.as_of,
        customer_id: f.customer_id.to_string(),
        rm_id: f.rm_id.to_string(),
        balance_fen: money("balance", f.balance)?,
        originated_on: f.originated_on,
        classification: f.classification.as_str().into(),
        interest_due_fen: money("interest_due", f.interest_due)?,
        interest_paid_fen: money("interest_paid", f.interest_paid)?,
        days_past_due: f.days_past_due.get() as i32,
        matures_on: f.matures_on,
    })
}

/// Records one fact and raises the borrower's flags.
pub fn record(conn: &mut DbConn, ctx: &Ctx, f: &LoanFact) -> AppResult<Recorded> {
    let row = staged(1, f)?;
    check_not_future(f.as_of, ctx.today)?;
    let customer = db::customers::find(conn, &f.customer_id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or_else(|| AppError::field("customer_id", "no such customer in your scope"))?;
    // O-1: loans are keyed bank-wide; a loan of a customer outside the caller's scope is not theirs
    // to report (404, as for anything out of scope).
    if store::borrower_outside(conn, &row.loan_no, &ctx.scope)? {
        return Err(AppError::NotFound("loan"));
    }
    db::rms::find(conn, &f.rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    let snapshot = SnapshotRow {
        loan_no: row.loan_no,
        as_of: row.as_of,
        customer_id: row.customer_id,
        rm_id: row.rm_id,
        balance_fen: row.balance_fen,
        originated_on: row.originated_on,
        classification: row.classification,
        interest_due_fen: row.interest_due_fen,
        interest_paid_fen: row.interest_paid_fen,
        days_past_due: row.days_past_due,
        matures_on: row.matures_on,
    };
    let created = store::upsert(conn, &snapshot)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("loan.record", "loan", &snapshot.loan_no, &customer.org_path)
            .after(&snapshot)?,
    )?;
    let mut flags_raised = Vec::new();
    if f.classification.is_npl() {
        let why = npl_reason(&snapshot.loan_no, f.as_of);
        if raise(conn, ctx, &customer, FlagKind::Npl, None, "rule", &why)?.1 {
            flags_raised.push(FlagKind::Npl);
        }
    }
    if has_overdue_interest(snapshot.interest_due_fen, snapshot.interest_paid_fen) {
        let why = overdue_reason(&snapshot.loan_no, f.as_of);
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

fn npl_reason(loan_no: &str, as_of: NaiveDate) -> Reason {
    Reason::loan_npl(loan_no, as_of)
}

fn overdue_reason(loan_no: &str, as_of: NaiveDate) -> Reason {
    Reason::loan_interest_unpaid(loan_no, as_of)
}

/// The most rows one batch request may carry.
pub const MAX_BATCH_ROWS: usize = 1_000_000;

/// A loan and date as a hash: the import remembers a million of them without copying the strings.
fn key_hash(loan_no: &str, as_of: NaiveDate) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one((loan_no, as_of))
}

/// Parses and checks one input row on its own; a refusal names the line and the field.
pub fn parse_row(line: usize, raw: &[u8]) -> Result<StagedRow, RefusedRow> {
    let refuse = |err: AppError| {
        let loan_no = serde_json::from_slice::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| v.get("loan_no")?.as_str().map(str::to_string));
        refusal(line, loan_no, err)
    };
    // Fast path; the slower parser only runs to name the field of a bad row.
    let fact: LoanFact = match serde_json::from_slice(raw) {
        Ok(fact) => fact,
        Err(_) => crate::http::parse_json(raw).map_err(refuse)?,
    };
    fact.validate()
        .map_err(|e| refuse(AppError::Validation(crate::http::field_errors(&e))))?;
    staged(line, &fact).map_err(refuse)
}

/// Part of a batch as the reader hands it over: rows to stage and rows refused on their own.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<StagedRow>,
    pub refused: Vec<RefusedRow>,
}

impl Chunk {
    pub fn len(&self) -> usize {
        self.rows.len() + self.refused.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, parsed: Result<StagedRow, RefusedRow>) {
        match parsed {
            Ok(row) => self.rows.push(row),
            Err(refused) => self.refused.push(refused),
        }
    }
}

/// Rows merged at a time: large enough that the per-statement costs vanish, small enough that the
/// database merges one part while the reader parses the next.
const PART_ROWS: usize = 100_000;

/// R-1 bulk import in the caller's transaction: stages the chunks as they arrive and merges them
/// part by part, refusing rows whose customer or RM is unknown or out of scope, then raises the
/// borrowers' `npl` and `overdue_interest` flags (R-2, with `related_party` spreading) for customers
/// that do not have them open. With `all_or_nothing`, any refusal fails the whole batch (422).
pub fn import(
    conn: &mut DbConn,
    ctx: &Ctx,
    chunks: impl Iterator<Item = AppResult<Chunk>>,
    all_or_nothing: bool,
) -> AppResult<BatchReport> {
    let mut report = BatchReport::default();
    let watch = crate::stopwatch::Stopwatch::start("loan import");
    import::begin(conn)?;
    let npl = npl_condition();
    let flagged = format!("{npl} OR {OVERDUE_CONDITION}");
    // A (loan, date) given twice: its last line wins. Seen keys are kept as hashes (a collision
    // only costs a needless de-duplication of a part).
    let mut seen = std::collections::HashSet::new();
    let rms = db::rms::ids_in_subtree(conn, &ctx.scope)?;
    let mut part: Vec<StagedRow> = Vec::with_capacity(PART_ROWS);
    let mut part_repeats = false;
    for chunk in chunks {
        let chunk = chunk?;
        report.received += chunk.len();
        if report.received > MAX_BATCH_ROWS {
            return Err(AppError::field(
                "body",
                format!("at most {MAX_BATCH_ROWS} rows per request"),
            ));
        }
        report.refused.extend(chunk.refused);
        for row in chunk.rows {
            if let Err(e) = check_not_future(row.as_of, ctx.today) {
                report
                    .refused
                    .push(refusal(row.line as usize, Some(row.loan_no), e));
                continue;
            }
            if !rms.contains(&row.rm_id) {
                report.refused.push(refusal(
                    row.line as usize,
                    Some(row.loan_no),
                    AppError::field("rm_id", "no such RM in your scope"),
                ));
                continue;
            }
            part_repeats |= !seen.insert(key_hash(&row.loan_no, row.as_of));
            part.push(row);
        }
        if part.len() >= PART_ROWS {
            merge_part(conn, ctx, &mut part, part_repeats, &flagged, &mut report)?;
            part_repeats = false;
        }
    }
    merge_part(conn, ctx, &mut part, part_repeats, &flagged, &mut report)?;
    drop(seen);
    report.refused.sort_by_key(|r| r.line);
    if all_or_nothing && !report.refused.is_empty() {
        return Err(as_problem(&report));
    }
    report.recorded = report.received - report.refused.len();
    watch.lap("merged");
    for (kind, condition) in [
        (FlagKind::Npl, npl),
        (FlagKind::OverdueInterest, OVERDUE_CONDITION.to_string()),
    ] {
        let candidates = import::flag_candidates(conn, &condition, kind.as_str())?;
        let ids: Vec<String> = candidates.iter().map(|c| c.customer_id.clone()).collect();
        let mut customers: std::collections::HashMap<String, db::customers::CustomerRow> =
            db::customers::find_many(conn, &ids)?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect();
        let items = candidates
            .into_iter()
            .filter_map(|candidate| {
                let why = match kind {
                    FlagKind::Npl => npl_reason(&candidate.loan_no, candidate.as_of),
                    _ => overdue_reason(&candidate.loan_no, candidate.as_of),
                };
                Some((customers.remove(&candidate.customer_id)?, why))
            })
            .collect();
        report.flags_raised += raise_many(conn, ctx, kind, items)?.len();
        watch.lap(kind.as_str());
    }
    import::finish(conn)?;
    let change = crate::db::audit::Change::new("loan.import", "loan_batch", "", &ctx.scope).after(
        &serde_json::json!({
            "received": report.received,
            "recorded": report.recorded,
            "created": report.created,
            "refused": report.refused.len(),
            "flags_raised": report.flags_raised,
        }),
    )?;
    crate::db::audit::record(conn, &ctx.actor, change)?;
    Ok(report)
}

/// R-2 `npl`: a snapshot `s` classified substandard or worse.
fn npl_condition() -> String {
    let npl: Vec<String> = Classification::ALL
        .iter()
        .filter(|c| c.is_npl())
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    format!("s.classification IN ({})", npl.join(", "))
}

/// R-2 `overdue_interest`: a snapshot `s` with interest of the period unpaid.
const OVERDUE_CONDITION: &str = "s.interest_paid_fen < s.interest_due_fen";

/// Stages and merges one part of the batch (emptying `part`); rows whose customer is unknown or out
/// of scope are refused. `repeats`: the part may hold a loan and date more than once.
fn merge_part(
    conn: &mut DbConn,
    ctx: &Ctx,
    part: &mut Vec<StagedRow>,
    repeats: bool,
    flagged: &str,
    report: &mut BatchReport,
) -> AppResult<()> {
    if part.is_empty() {
        return Ok(());
    }
    import::stage(conn, part)?;
    part.clear();
    for (line, loan_no) in import::refuse_customers_out_of_scope(conn, &ctx.scope)? {
        report.refused.push(refusal(
            line as usize,
            Some(loan_no),
            AppError::field("customer_id", "no such customer in your scope"),
        ));
    }
    for (line, loan_no) in import::refuse_loans_out_of_scope(conn, &ctx.scope)? {
        report.refused.push(refusal(
            line as usize,
            Some(loan_no),
            AppError::field("loan_no", "a loan of a customer outside your scope"),
        ));
    }
    if repeats {
        import::keep_last_of_repeats(conn)?;
    }
    report.created += import::merge(conn, flagged)? as usize;
    Ok(())
}

/// A refused batch as one 422, naming each row's field as `[line].field`.
pub fn as_problem(report: &BatchReport) -> AppError {
    AppError::Validation(
        report
            .refused
            .iter()
            .flat_map(|r| {
                r.errors.iter().map(move |e| {
                    FieldError::new(format!("[{}].{}", r.line, e.field), e.message.clone())
                })
            })
            .collect(),
    )
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
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BatchReport {
    /// Rows read (blank lines of NDJSON not counted).
    pub received: usize,
    /// Rows recorded (a later row of the same loan and date replaces an earlier one).
    pub recorded: usize,
    /// Loans not known before.
    pub created: usize,
    /// Customers newly flagged `npl` or `overdue_interest` by the batch.
    pub flags_raised: usize,
    /// The rows not recorded, by line.
    pub refused: Vec<RefusedRow>,
}

/// Why a row was refused, from its error.
pub fn refusal(line: usize, loan_no: Option<String>, err: AppError) -> RefusedRow {
    let (errors, rule) = match err {
        AppError::Validation(errors) => (errors, None),
        AppError::Rule(v) => (vec![FieldError::new("row", v.detail)], Some(v.rule.into())),
        AppError::Malformed(message) => (vec![FieldError::new("row", message)], None),
        other => (vec![FieldError::new("row", other.to_string())], None),
    };
    RefusedRow {
        line,
        loan_no,
        errors,
        rule,
    }
}
