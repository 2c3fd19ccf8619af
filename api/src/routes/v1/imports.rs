//! Go-live imports: `POST /imports?kind=&dry_run=` with the file as the body, then
//! `GET /imports/{id}` for progress and the report; `GET /imports` lists them.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{self, imports::ImportRow};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, Page, PageParams, Query};
use crate::imports::{self as engine, Format, Kind, Mapping, Phase, RowError, Status};
use crate::startup::AppState;

/// The largest file an import accepts over HTTP (larger books load with `rmdesk import`).
const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;

/// An import of one file: where it stands and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Import {
    pub id: String,
    pub kind: Kind,
    pub dry_run: bool,
    pub file_name: Option<String>,
    /// SHA-256 of the file, hex (the audit event of an applied import names it).
    pub sha256: String,
    pub status: Status,
    pub phase: Phase,
    pub rows_read: u64,
    /// Rows in the file, once known.
    pub rows_total: Option<u64>,
    pub rows_per_second: f64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The first 1,000 problems, by line.
    pub errors: Vec<RowError>,
    pub errors_total: u64,
    pub created_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Import {
    fn view(r: ImportRow, live: Option<engine::ProgressState>) -> AppResult<Self> {
        let status = Status::stored(&r.status)?;
        let kind = Kind::stored(&r.kind)?;
        let errors: Vec<RowError> = serde_json::from_str(&r.errors)
            .map_err(|e| AppError::Internal(format!("corrupt import report {}: {e}", r.id)))?;
        let elapsed = r
            .finished_at
            .map(|f| (f - r.started_at).num_milliseconds().max(1) as f64 / 1000.0);
        let (phase, rows_read, rows_total, rate) = match (&live, status) {
            (Some(p), Status::Running) => (
                p.phase,
                p.rows_read,
                p.rows_total.filter(|n| *n > 0),
                engine::Progress::rate(p),
            ),
            (_, Status::Running) => (Phase::Reading, 0, None, 0.0),
            _ => (
                Phase::Done,
                r.rows_read as u64,
                Some(r.rows_read as u64),
                elapsed.map_or(0.0, |s| r.rows_read as f64 / s),
            ),
        };
        Ok(Import {
            id: r.id,
            kind,
            dry_run: r.dry_run,
            file_name: r.file_name,
            sha256: r.sha256,
            status,
            phase,
            rows_read,
            rows_total,
            rows_per_second: (rate * 10.0).round() / 10.0,
            inserted: r.inserted as u64,
            updated: r.updated as u64,
            unchanged: r.unchanged as u64,
            errors,
            errors_total: r.errors_total as u64,
            created_by: r.created_by,
            started_at: http::utc(r.started_at),
            finished_at: r.finished_at.map(http::utc),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    pub kind: Kind,
    /// Validate everything and write nothing (the default).
    pub dry_run: Option<bool>,
    /// The file's name, for the report.
    pub file_name: Option<String>,
    /// Header → field overrides, a JSON object (`{"客户编号": "customer_no"}`).
    pub mapping: Option<String>,
}

/// Load a file of the bank's book (admin). The body is the file: `text/csv` (UTF-8 with or
/// without BOM, or GB18030/GBK; `charset` optional, detected otherwise), XLSX, or
/// `application/x-ndjson`. Headers are the API's field names or their Chinese names (README
/// "Imports"); rows refer to each other by `customer_no`, `employee_no` and `org_unit_code`.
/// Answers at once with the import; `GET /imports/{id}` follows it. Applied in one transaction:
/// all of the file or nothing; the same file again changes nothing.
#[utoipa::path(
    tag = "imports",
    params(ImportParams),
    request_body(content(
        (String = "text/csv"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "application/x-ndjson"),
    )),
    responses(
        (status = 202, body = Import),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports")]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ImportParams>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Import)?;
    let q = q.0;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::of_media_type(content_type)?;
    let mapping = Mapping::new(q.kind, q.mapping.as_deref())?;
    if q.file_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 255)
    {
        return Err(AppError::field("file_name", "at most 255 characters"));
    }
    let bytes = payload
        .to_bytes_limited(MAX_IMPORT_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_IMPORT_BYTES))?
        .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
    if bytes.is_empty() {
        return Err(AppError::field("body", "the file is empty"));
    }
    let input = std::sync::Arc::new(engine::Input {
        kind: q.kind,
        sha256: engine::digest(&bytes),
        bytes: Vec::from(bytes),
        format,
        mapping,
        dry_run: q.dry_run.unwrap_or(true),
        id: http::new_id(),
        file_name: q.file_name,
    });
    let begun = {
        let (caller, input) = (caller.clone(), input.clone());
        state
            .db
            .write(move |conn| engine::begin(conn, &caller, &input))
            .await?
    };
    let view = Import::view(begun.clone(), None)?;
    let (db, running, search_key) = (
        state.db.clone(),
        state.imports.clone(),
        state.search_key.clone(),
    );
    std::thread::Builder::new()
        .name(format!("import-{}", input.id))
        .spawn(move || {
            let progress = engine::Progress::default();
            if let Err(e) = engine::execute(&db, &running, &caller, &search_key, &input, &progress, begun) {
                tracing::error!(import = %input.id, error = %e, "could not record the import's end");
            }
        })
        .map_err(|e| AppError::Internal(format!("cannot start the import: {e}")))?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", view.id)))
        .json(view))
}

/// An import: progress while it runs, then its report.
#[utoipa::path(tag = "imports", responses((status = 200, body = Import), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/imports/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Import>> {
    caller.require(Permission::Import)?;
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| db::imports::find(conn, &id))
        .await?
        .filter(|r| in_scope(&caller.org_path, &r.org_path))
        .ok_or(AppError::NotFound("import"))?;
    let live = state.imports.progress(&row.id);
    Ok(web::Json(Import::view(row, live)?))
}

/// The imports started in the caller's scope, newest first.
#[utoipa::path(tag = "imports", params(PageParams), responses((status = 200, body = Page<Import>)))]
#[get("/imports")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Import>>> {
    caller.require(Permission::Import)?;
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let scope = caller.org_path.clone();
    let rows = state
        .db
        .read(move |conn| db::imports::list(conn, &scope, after.as_deref(), limit))
        .await?;
    let running = state.imports.clone();
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let live = running.progress(&r.id);
            Import::view(r, live)
        },
    )?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(start).service(get_one).service(list);
}
