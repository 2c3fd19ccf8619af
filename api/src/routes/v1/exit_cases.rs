//! `GET/POST /exit-cases`, `GET /exit-cases/{id}`, `POST /exit-cases/{id}/decide`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::Note2000;
use crate::commands::exit_cases::{self as engine, CaseKind, CaseStatus, NewCase, Timeline};
use crate::commands::Ctx;
use crate::db;
use crate::db::exit_cases::{self as store, ExitCaseRow};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// An exit, disqualification or demotion case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExitCase {
    pub id: String,
    pub rm_id: String,
    #[schema(value_type = String, example = "forced")]
    pub kind: String,
    #[schema(example = "X-3")]
    pub trigger: Option<String>,
    /// proposed → handover → closed, or rejected.
    #[schema(value_type = String, example = "proposed")]
    pub status: String,
    pub reason: String,
    /// For a reason the product wrote: its code, to show it in the reader's language (the
    /// dashboard's `reasons.ts`); `null` when a person typed `reason`.
    #[schema(example = "loan_npl")]
    pub reason_code: Option<String>,
    /// The parameters of `reason_code` (strings and numbers).
    #[schema(value_type = Option<Object>)]
    pub reason_params: Option<serde_json::Map<String, serde_json::Value>>,
    pub evidence: String,
    pub proposed_by: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// The handover of the RM's customers once approved.
    pub handover_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// In lists: the RM's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rm_name: Option<String>,
}

impl TryFrom<ExitCaseRow> for ExitCase {
    type Error = AppError;

    fn try_from(r: ExitCaseRow) -> AppResult<Self> {
        Ok(ExitCase {
            id: r.id,
            rm_id: r.rm_id,
            kind: r.kind,
            trigger: r.trigger_item,
            status: r.status,
            reason: r.reason,
            reason_code: r.reason_code,
            reason_params: http::reason_params(r.reason_params)?,
            evidence: r.evidence,
            proposed_by: r.proposed_by,
            decided_by: r.decided_by,
            decision_note: r.decision_note,
            handover_id: r.handover_id,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
            version: r.version,
            rm_name: None,
        })
    }
}

/// A case with every step so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExitCaseDetail {
    #[serde(flatten)]
    pub case: ExitCase,
    pub timeline: Vec<Timeline>,
}

/// Open a case (admin, manager, risk officer, committee). A forced exit suspends the RM at
/// once; any open case stops new assignments. A committee member other than the proposer
/// decides it (M-1).
#[utoipa::path(
    tag = "exit cases",
    request_body = NewCase,
    responses((status = 201, body = ExitCase), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/exit-cases")]
pub async fn propose(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewCase>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ProposeExit)?;
    let raw = body.raw.clone();
    let new = body.value;
    let who = caller.clone();
    http::create(&state.db, &who, &req, &raw, move |conn| {
        let ctx = Ctx::load(conn, &caller)?;
        ExitCase::try_from(engine::propose(conn, &ctx, &new)?)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    pub rm_id: Option<String>,
    pub status: Option<CaseStatus>,
    #[param(example = "X-2.3")]
    pub trigger: Option<String>,
    pub kind: Option<CaseKind>,
    pub org_unit_id: Option<String>,
}

/// Cases in the caller's scope.
#[utoipa::path(tag = "exit cases", params(CaseFilter, PageParams), responses((status = 200, body = Page<ExitCase>)))]
#[get("/exit-cases")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<CaseFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<ExitCase>>> {
    Ok(web::Json(cases_page(&state, caller, q.0, page.0).await?))
}

/// What `GET /exit-cases` answers, for the handler and for downloads.
pub async fn cases_page(
    state: &AppState,
    caller: Caller,
    q: CaseFilter,
    page: PageParams,
) -> AppResult<Page<ExitCase>> {
    let limit = page.limit()?;
    let after = page.after()?;
    let kind = q.kind;
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            let filter = store::Filter {
                rm_id: q.rm_id,
                status: q.status.map(|s| s.as_str().into()),
                trigger: q.trigger,
            };
            let rows = store::list(conn, &scope, &filter, after.as_deref(), limit)?;
            let names = db::rms::names(conn, rows.iter().map(|r| r.rm_id.clone()))?;
            Ok((rows, names))
        })
        .await?;
    let (rows, names) = rows;
    let mut page = Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let mut case = ExitCase::try_from(r)?;
            case.rm_name = names.get(&case.rm_id).cloned();
            Ok(case)
        },
    )?;
    if let Some(kind) = kind {
        page.items.retain(|c| c.kind == kind.as_str());
    }
    Ok(page)
}

/// One case with its timeline (every step, who and when).
#[utoipa::path(tag = "exit cases", responses((status = 200, body = ExitCaseDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/exit-cases/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<ExitCaseDetail>> {
    let id = id.into_inner();
    let detail = state
        .db
        .read(move |conn| {
            let case = store::find(conn, &id)?
                .filter(|c| in_scope(&caller.org_path, &c.org_path))
                .ok_or(AppError::NotFound("exit case"))?;
            let timeline = engine::timeline(conn, &case.id)?;
            Ok(ExitCaseDetail {
                case: case.try_into()?,
                timeline,
            })
        })
        .await?;
    Ok(web::Json(detail))
}

crate::domain::text_enum! {
    Decision {
        Approve => "approve",
        Reject => "reject",
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    #[serde(default)]
    pub note: Note2000,
}

/// The committee's decision (committee role, not the proposer: M-1). Approving an exit bans the
/// person when the kind calls for it (O-6) and hands the customers over: the case closes and
/// the RM exits when no assignment is left, at once or when the handover is confirmed.
#[utoipa::path(
    tag = "exit cases",
    request_body = DecisionRequest,
    responses((status = 200, body = ExitCase), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/exit-cases/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<DecisionRequest>,
) -> AppResult<web::Json<ExitCase>> {
    caller.require(Permission::DecideExit)?;
    let id = id.into_inner();
    let body = body.value;
    let case = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::decide(
                conn,
                &ctx,
                &id,
                body.decision == Decision::Approve,
                &body.note,
            )
        })
        .await?;
    Ok(web::Json(case.try_into()?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(propose)
        .service(list)
        .service(get_one)
        .service(decide);
}
