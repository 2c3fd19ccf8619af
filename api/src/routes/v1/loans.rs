//! Loan facts: `POST /loans`, `POST /loans/batch`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Datelike;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::commands::loans::{
    self as engine, BatchReport, Chunk, LoanFact, Recorded, MAX_BATCH_ROWS,
};
use crate::commands::Ctx;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{JsonBody, Query};
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

/// Rows handed from the reader to the import at a time.
const CHUNK_ROWS: usize = 5_000;
/// The longest NDJSON line accepted.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// The largest JSON-array body accepted (NDJSON has no size limit, only the row limit).
const MAX_ARRAY_BYTES: usize = 64 * 1024 * 1024;

/// Record loan facts in bulk, in one transaction, with a report of the rows refused (their 1-based
/// line and reason). The body is a JSON array, or NDJSON (`Content-Type: application/x-ndjson`, one
/// fact per line) streamed through without being held in memory: up to 1,000,000 rows. Flags
/// follow as for `POST /loans`. With `all_or_nothing=true` one refusal records nothing (422).
#[utoipa::path(
    tag = "flags",
    params(BatchParams),
    request_body(content(
        (Vec<LoanFact> = "application/json"),
        (LoanFact = "application/x-ndjson")
    )),
    responses((status = 200, body = BatchReport), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/loans/batch")]
pub async fn batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<BatchParams>,
    mut payload: web::Payload,
) -> AppResult<web::Json<BatchReport>> {
    caller.require(Permission::ManageFlags)?;
    let all_or_nothing = q.0.all_or_nothing;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "application/json".into());
    if content_type == "application/x-ndjson" {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<AppResult<Chunk>>(2);
        let import = state.db.write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::import(
                conn,
                &ctx,
                std::iter::from_fn(move || rx.blocking_recv()),
                all_or_nothing,
            )
        });
        let read = async move {
            if let Err(e) = read_ndjson(&mut payload, &tx).await {
                // The import stops at this error and rolls back.
                let _ = tx.send(Err(e)).await;
            }
        };
        let (report, ()) = tokio::join!(import, read);
        return Ok(web::Json(report?));
    }
    if content_type != "application/json" {
        return Err(AppError::Malformed(
            "the body must be a JSON array (application/json) or NDJSON (application/x-ndjson)"
                .into(),
        ));
    }
    let raw = payload
        .to_bytes_limited(MAX_ARRAY_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_ARRAY_BYTES))?
        .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
    let values: Vec<serde_json::Value> = serde_json::from_slice(&raw).map_err(|e| {
        AppError::Malformed(format!("the body is not a JSON array of loan facts: {e}"))
    })?;
    drop(raw);
    let mut chunks = Vec::new();
    for (i, batch) in values.chunks(CHUNK_ROWS).enumerate() {
        let mut chunk = Chunk::default();
        for (j, value) in batch.iter().enumerate() {
            let line = i * CHUNK_ROWS + j + 1;
            chunk.push(engine::parse_row(line, value.to_string().as_bytes()));
        }
        chunks.push(Ok(chunk));
    }
    drop(values);
    let report = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::import(conn, &ctx, chunks.into_iter(), all_or_nothing)
        })
        .await?;
    Ok(web::Json(report))
}

/// Splits the body into lines as it arrives and hands parsed rows over in chunks; returns early
/// (quietly) when the import has stopped listening.
async fn read_ndjson(
    payload: &mut web::Payload,
    tx: &tokio::sync::mpsc::Sender<AppResult<Chunk>>,
) -> AppResult<()> {
    let mut pending: Vec<u8> = Vec::new();
    let mut line = 0usize;
    let mut rows = 0usize;
    let mut chunk = Chunk::default();
    let mut parse = |raw: &[u8], line: usize, chunk: &mut Chunk| -> AppResult<()> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        rows += 1;
        if rows > MAX_BATCH_ROWS {
            return Err(AppError::field(
                "body",
                format!("at most {MAX_BATCH_ROWS} rows per request"),
            ));
        }
        chunk.push(engine::parse_row(line, raw));
        Ok(())
    };
    while let Some(bytes) = payload.next().await {
        let bytes =
            bytes.map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
        pending.extend_from_slice(&bytes);
        let mut start = 0;
        while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
            line += 1;
            parse(&pending[start..start + end], line, &mut chunk)?;
            start += end + 1;
        }
        pending.drain(..start);
        if pending.len() > MAX_LINE_BYTES {
            return Err(AppError::field(
                "body",
                format!("line {} is longer than {MAX_LINE_BYTES} bytes", line + 1),
            ));
        }
        if chunk.len() >= CHUNK_ROWS && tx.send(Ok(std::mem::take(&mut chunk))).await.is_err() {
            return Ok(());
        }
    }
    if !pending.is_empty() {
        line += 1;
        parse(&pending, line, &mut chunk)?;
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(chunk)).await;
    }
    Ok(())
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
    Ok(web::Json(
        due_list_of(&state, caller, id.into_inner(), q.0).await?,
    ))
}

/// What `GET /rms/{id}/due-list` answers, for the handler and for downloads.
pub async fn due_list_of(
    state: &AppState,
    caller: Caller,
    id: String,
    q: DueListParams,
) -> AppResult<DueList> {
    let first = match q.month.as_deref() {
        None => {
            let today = caller.today();
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
    let id = id;
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
            ) in crate::db::loans::of_rm_book(conn, &rm.id, &caller.org_path)?
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
                    let guarantors =
                        crate::db::loans::guarantors(conn, &customer_id, &caller.org_path)?
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
    Ok(list)
}
