//! Loan facts: `POST /loans`, `POST /loans/batch`.

use actix_web::{get, post, web, HttpResponse};
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::auth::Caller;
use crate::commands::loans::{self as engine, BatchReport, LoanFact, Recorded};
use crate::commands::Ctx;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::http::{self, JsonBody, Query};
use crate::startup::AppState;

/// Record one loan as of a date (upsert by `loan_no`; a snapshot per `as_of`). Raises the
/// borrower's `npl` and `overdue_interest` flags; `npl` marks guarantors and group members
/// `related_party`. 201 for a new loan, 200 for a known one.
#[utoipa::path(
    tag = "flags",
    request_body = LoanFact,
    responses((status = 201, body = Recorded), (status = 200, body = Recorded), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/loans")]
pub async fn record(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<LoanFact>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageFlags)?;
    let fact = body.value;
    let recorded = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::record(conn, &ctx, &fact)
        })
        .await?;
    Ok(if recorded.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(recorded))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// Record nothing when any row is refused (422 naming each row's field as `[line].field`).
    #[serde(default)]
    pub all_or_nothing: bool,
}

/// Record a JSON array of loan facts in one transaction, with a report of the rows refused (their
/// 1-based line and reason). With `all_or_nothing=true` one refusal records nothing.
#[utoipa::path(
    tag = "flags",
    params(BatchParams),
    request_body = Vec<LoanFact>,
    responses((status = 200, body = BatchReport), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/loans/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<BatchParams>,
    body: JsonBody<Rows>,
) -> AppResult<web::Json<BatchReport>> {
    caller.require(Permission::ManageFlags)?;
    let rows = body.value.0;
    let all_or_nothing = q.0.all_or_nothing;
    let report = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let mut report = BatchReport {
                received: rows.len(),
                recorded: 0,
                created: 0,
                refused: Vec::new(),
                rolled_back: false,
            };
            let mut facts = Vec::with_capacity(rows.len());
            for (i, value) in rows.into_iter().enumerate() {
                let line = i + 1;
                let loan_no = value
                    .get("loan_no")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                let parsed =
                    http::parse_json::<LoanFact>(value.to_string().as_bytes()).and_then(|f| {
                        f.validate()
                            .map(|_| f)
                            .map_err(|e| AppError::Validation(http::field_errors(&e)))
                    });
                match parsed {
                    Ok(f) => facts.push((line, f)),
                    Err(e) => report.refused.push(engine::refusal(line, loan_no, e)?),
                }
            }
            if all_or_nothing {
                for (line, fact) in &facts {
                    if let Err(e) = engine::check(conn, &ctx, fact) {
                        report
                            .refused
                            .push(engine::refusal(*line, Some(fact.loan_no.clone()), e)?);
                    }
                }
                if !report.refused.is_empty() {
                    report.refused.sort_by_key(|r| r.line);
                    return Err(as_problem(&report));
                }
            }
            for (line, fact) in facts {
                match engine::record(conn, &ctx, &fact) {
                    Ok(r) => {
                        report.recorded += 1;
                        report.created += usize::from(r.created);
                    }
                    Err(e) => {
                        report
                            .refused
                            .push(engine::refusal(line, Some(fact.loan_no.clone()), e)?)
                    }
                }
            }
            if all_or_nothing && !report.refused.is_empty() {
                return Err(as_problem(&report));
            }
            report.refused.sort_by_key(|r| r.line);
            Ok(report)
        })
        .await?;
    Ok(web::Json(report))
}

/// The rows of a batch, parsed one by one so that a bad row is reported, not fatal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Vec<Object>)]
pub struct Rows(Vec<serde_json::Value>);

impl Validate for Rows {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn as_problem(report: &BatchReport) -> AppError {
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

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record).service(batch).service(due_list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueListParams {
    /// The month, `YYYY-MM` (default: this month).
    #[param(example = "2026-11")]
    pub month: Option<String>,
}

/// A loan falling due in the month, to collect by the policy's day (the 3rd).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DueLoan {
    pub loan_no: String,
    pub customer_id: String,
    pub customer_name: String,
    #[schema(value_type = String, example = "500000.00")]
    pub balance: rust_decimal::Decimal,
    pub matures_on: chrono::NaiveDate,
    pub collect_by: chrono::NaiveDate,
}

/// A loan with unpaid interest, to chase from the settlement day with borrower and guarantors.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OverdueInterest {
    pub loan_no: String,
    pub customer_id: String,
    pub customer_name: String,
    #[schema(value_type = String, example = "2100.00")]
    pub unpaid_interest: rust_decimal::Decimal,
    pub chase_from: chrono::NaiveDate,
    /// The borrower's guarantors (id, name), to chase too.
    pub guarantors: Vec<Guarantor>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Guarantor {
    pub customer_id: String,
    pub name: String,
}

/// an RM's monthly due list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub rm_id: String,
    #[schema(example = "2026-11")]
    pub month: String,
    pub due: Vec<DueLoan>,
    pub overdue_interest: Vec<OverdueInterest>,
}

/// the RM's due list for a month: loans of the RM's customers falling due (collect by the
/// 3rd) and every unpaid interest (chase from the 20th, borrower and guarantors).
#[utoipa::path(tag = "flags", params(DueListParams), responses((status = 200, body = DueList), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/rms/{id}/due-list")]
pub async fn due_list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<DueListParams>,
) -> AppResult<web::Json<DueList>> {
    let first = match q.0.month.as_deref() {
        None => {
            let today = http::today();
            chrono::NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&today),
                chrono::Datelike::month(&today),
                1,
            )
            .unwrap_or(today)
        }
        Some(m) => chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| AppError::field("month", "must be YYYY-MM"))?,
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let id = id.into_inner();
    let list = state
        .db
        .read(move |conn| {
            let rm = crate::db::rms::find(conn, &id)?
                .filter(|r| crate::domain::org::in_scope(&caller.org_path, &r.org_path))
                .ok_or(AppError::NotFound("RM"))?;
            let (_, policy) = crate::db::policy::current(conn)?;
            let day = |d: u32| first.with_day(d).unwrap_or(first);
            let mut due = Vec::new();
            let mut overdue = Vec::new();
            for (
                loan_no,
                customer_id,
                customer_name,
                balance,
                matures_on,
                interest_due,
                interest_paid,
            ) in crate::db::loans::of_rm_book(conn, &rm.id)?
            {
                if let Some(m) = matures_on.filter(|m| *m >= first && *m < next) {
                    due.push(DueLoan {
                        loan_no: loan_no.clone(),
                        customer_id: customer_id.clone(),
                        customer_name: customer_name.clone(),
                        balance: crate::domain::loan::from_fen(balance),
                        matures_on: m,
                        collect_by: day(policy.risk.due_collection_day),
                    });
                }
                if crate::domain::loan::has_overdue_interest(interest_due, interest_paid) {
                    let guarantors = crate::db::loans::guarantors(conn, &customer_id)?
                        .into_iter()
                        .map(|(customer_id, name)| Guarantor { customer_id, name })
                        .collect();
                    overdue.push(OverdueInterest {
                        loan_no,
                        customer_id,
                        customer_name,
                        unpaid_interest: crate::domain::loan::from_fen(
                            interest_due - interest_paid,
                        ),
                        chase_from: day(policy.risk.settlement_day),
                        guarantors,
                    });
                }
            }
            Ok(DueList {
                rm_id: rm.id,
                month: first.format("%Y-%m").to_string(),
                due,
                overdue_interest: overdue,
            })
        })
        .await?;
    Ok(web::Json(list))
}
