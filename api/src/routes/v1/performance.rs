//! `POST /performance/metrics`, `POST /performance/runs`, `GET /performance/scores`,
//! `POST /performance/levels`, `GET /performance/pay`.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::Year;
use crate::commands::performance::{
    self as engine, MonthMetrics, MonthRun, PayReport, Rating, Score,
};
use crate::commands::Ctx;
use crate::db;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{JsonBody, Query};
use crate::startup::AppState;

/// One month of one RM, or an array of them (recorded together or not at all).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MetricsBody {
    One(MonthMetrics),
    Many(Vec<MonthMetrics>),
}

impl Validate for MetricsBody {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        match self {
            MetricsBody::One(m) => m.validate(),
            MetricsBody::Many(list) => list.iter().try_for_each(Validate::validate),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsRecorded {
    pub recorded: usize,
    /// RM-months not recorded before (the others were replaced).
    pub created: usize,
}

/// Record RMs' monthly business for scoring (admin, manager): one object or an array, replacing
/// what was recorded for the same RM and month. 201 when all are new, 200 otherwise.
#[utoipa::path(
    tag = "performance",
    request_body = MetricsBody,
    responses((status = 201, body = MetricsRecorded), (status = 200, body = MetricsRecorded), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/performance/metrics")]
pub async fn record_metrics(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<MetricsBody>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::RecordPerformance)?;
    let all = match body.value {
        MetricsBody::One(m) => vec![m],
        MetricsBody::Many(list) => list,
    };
    if all.is_empty() {
        return Err(AppError::field("body", "no metrics"));
    }
    let recorded = all.len();
    let created = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::record_metrics(conn, &ctx, &all)
        })
        .await?;
    let body = MetricsRecorded { recorded, created };
    Ok(if created == recorded {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(body))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    #[schema(example = "2026-11")]
    pub month: String,
}

/// The monthly run over the caller's scope (admin, risk officer): scores every RM with metrics for
/// the month from the policy's tables, ranks them inside unit and line, and opens an exit
/// case for each RM newly meeting X-2 item 3 (verified complaints), 5 (new-NPL ratio three months
/// running) or 6 (bottom of the 12-month average), never a second while one is open. Running the
/// month again recomputes its scores and opens nothing twice.
#[utoipa::path(
    tag = "performance",
    request_body = RunRequest,
    responses((status = 200, body = MonthRun), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/performance/runs")]
pub async fn run(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<RunRequest>,
) -> AppResult<web::Json<MonthRun>> {
    caller.require(Permission::RunPerformance)?;
    let first = engine::month_start(&body.value.month, "month")?;
    let run = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::run_month(conn, &ctx, first)
        })
        .await?;
    Ok(web::Json(run))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresParams {
    /// `YYYY-MM`.
    #[param(example = "2026-11")]
    pub month: String,
    /// With `to` (`YYYY-MM`, at most 24 months after `month`): every month from `month` to `to`,
    /// month by month (an RM's trend in one read).
    #[param(example = "2026-11")]
    pub to: Option<String>,
    pub org_unit_id: Option<String>,
    pub rm_id: Option<String>,
}

/// A month's scores (or each month's of a range) in the caller's scope or a unit of it, best first within
/// a month, with each item's points
/// and the rank inside unit and line.
#[utoipa::path(tag = "performance", params(ScoresParams), responses((status = 200, body = Vec<Score>), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/performance/scores")]
pub async fn scores(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ScoresParams>,
) -> AppResult<web::Json<Vec<Score>>> {
    Ok(web::Json(scores_list(&state, caller, q.0).await?))
}

/// What `GET /performance/scores` answers, for the handler and for downloads.
pub async fn scores_list(
    state: &AppState,
    caller: Caller,
    q: ScoresParams,
) -> AppResult<Vec<Score>> {
    let first = engine::month_start(&q.month, "month")?;
    let last = match &q.to {
        Some(to) => engine::month_start(to, "to")?,
        None => first,
    };
    if last < first || last > first + chrono::Months::new(24) {
        return Err(AppError::field(
            "to",
            "must be from `month` to 24 months after it",
        ));
    }
    let (from, to) = (
        first.format("%Y-%m").to_string(),
        last.format("%Y-%m").to_string(),
    );
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            match q.rm_id.as_deref() {
                Some(rm) => db::performance::scores_of_rm_between(conn, &scope, rm, &from, &to),
                None => db::performance::scores_between(conn, &scope, &from, &to),
            }
        })
        .await?;
    let mut list = rows
        .into_iter()
        .map(Score::from_row)
        .collect::<AppResult<Vec<_>>>()?;
    list.sort_by(|a, b| {
        a.month
            .cmp(&b.month)
            .then(b.total.cmp(&a.total))
            .then(a.rm_id.cmp(&b.rm_id))
    });
    Ok(list)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelsRequest {
    #[schema(example = 2026)]
    pub year: Year,
}

/// The yearly performance levels (admin, risk officer; X-4): forced distribution 30/50/20 of the
/// year's average score inside each unit; RMs with fewer scored months than the first rating needs
/// keep their level (new RMs start at 3); an average below the rank standard opens a demotion case.
#[utoipa::path(
    tag = "performance",
    request_body = LevelsRequest,
    responses((status = 200, body = Vec<Rating>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/performance/levels")]
pub async fn levels(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<LevelsRequest>,
) -> AppResult<web::Json<Vec<Rating>>> {
    caller.require(Permission::RunPerformance)?;
    let year = body.value.year;
    let ratings = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::rate_year(conn, &ctx, year.get())
        })
        .await?;
    Ok(web::Json(ratings))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayParams {
    #[param(example = "2026-11")]
    pub month: String,
    pub org_unit_id: Option<String>,
}

/// X-6 pay effects of a month (reported, not paid): level allowance × score / 100 per RM, the
/// transition allowance before the first rating, and each unit manager's 10% link to the average
/// score of the unit's RMs.
#[utoipa::path(tag = "performance", params(PayParams), responses((status = 200, body = PayReport), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/performance/pay")]
pub async fn pay(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<PayParams>,
) -> AppResult<web::Json<PayReport>> {
    let q = q.0;
    let first = engine::month_start(&q.month, "month")?;
    let report = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            let (_, policy) = db::policy::current(conn)?;
            engine::pay_report(conn, &scope, first, &policy)
        })
        .await?;
    Ok(web::Json(report))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record_metrics)
        .service(run)
        .service(scores)
        .service(levels)
        .service(pay);
}
