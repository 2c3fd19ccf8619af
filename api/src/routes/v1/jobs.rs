//! P-2: the jobs of the bank's calendar, seen and steered. `GET /jobs`, `GET /jobs/runs`,
//! `POST /jobs/{job}/run`.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::db;
use crate::db::audit::format_instant;
use crate::db::jobs::JobRunRow;
use crate::domain::calendar::Job;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{JsonBody, Page, PageParams, Query};
use crate::jobs::Outcome;
use crate::startup::AppState;

crate::domain::text_enum! {
    /// Where a run stands.
    RunStatus {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        /// The server stopped during the run; nothing of it was kept and it is run again.
        Interrupted => "interrupted",
    }
}

/// One attempt at a job for a business date.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRun {
    pub id: String,
    pub job: Job,
    /// The business date the run is for (in the bank's time zone).
    pub business_date: NaiveDate,
    pub attempt: i32,
    pub status: RunStatus,
    /// `schedule`, or the admin who ran it by hand.
    pub run_by: String,
    pub server: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// What the run did.
    #[schema(value_type = Option<Object>)]
    pub counts: Option<serde_json::Value>,
    pub error: Option<String>,
    pub policy_version: Option<i64>,
}

impl TryFrom<JobRunRow> for JobRun {
    type Error = AppError;

    fn try_from(r: JobRunRow) -> AppResult<Self> {
        Ok(JobRun {
            job: Job::stored(&r.job)?,
            status: RunStatus::stored(&r.status)?,
            counts: r.counts.as_deref().map(serde_json::from_str).transpose()?,
            started_at: format_instant(&r.started_at),
            finished_at: r.finished_at.as_ref().map(format_instant),
            id: r.id,
            business_date: r.business_date,
            attempt: r.attempt,
            run_by: r.run_by,
            server: r.server,
            error: r.error,
            policy_version: r.policy_version,
        })
    }
}

/// A job of the calendar, when it runs and how it last went.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobInfo {
    pub job: Job,
    pub description: String,
    pub schedule: String,
    /// The next business date it is due on that has not started yet.
    pub next_due_on: Option<NaiveDate>,
    /// When that run may start (UTC).
    pub next_starts_at: Option<String>,
    pub last_run: Option<JobRun>,
}

/// The calendar's jobs (admin, risk officer, auditor): each with its schedule, next due date and
/// last run. Business dates are in the bank's time zone (`RMDESK_TIMEZONE`).
#[utoipa::path(tag = "jobs", responses((status = 200, body = Vec<JobInfo>)))]
#[get("/jobs")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<Vec<JobInfo>>> {
    caller.require(Permission::ReadAudit)?;
    let scheduler = state.scheduler.clone();
    let jobs = state
        .db
        .read(move |conn| {
            let (_, policy) = db::policy::current(conn)?;
            Job::ALL
                .iter()
                .map(|job| {
                    let next = scheduler.next_due(*job, &policy);
                    Ok(JobInfo {
                        job: *job,
                        description: describe(*job).into(),
                        schedule: job.schedule(&policy),
                        next_due_on: next.map(|(d, _)| d),
                        next_starts_at: next.map(|(_, at)| format_instant(&at)),
                        last_run: db::jobs::latest_of(conn, job.as_str())?
                            .map(JobRun::try_from)
                            .transpose()?,
                    })
                })
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    Ok(web::Json(jobs))
}

fn describe(job: Job) -> &'static str {
    match job {
        Job::ExpirySweep => "O-4, O-5, A-4, A-9: RMs whose qualification lapsed or whose term ended lose eligibility; a handover is proposed for their customers",
        Job::RequiredChecks => "D-5: reminders of required checks falling due; checks left open past their due date recorded once as X-2 item 2 evidence on the primary RM",
        Job::RotationQueue => "A-8: primaries whose tenure reached the rotation period, or whose customer's tier changed, enter the re-match queue (recorded in the audit log on their day)",
        Job::R4Evaluation => "R-4: the evaluation of each checkpoint (the settlement day, the second check, month end) once the day has closed",
        Job::AuditCheckpoint => "M-2: a signed checkpoint of the audit chain's head at the close of each day",
        Job::MonthlyRun => "X-1, X-2 items 3, 5, 6: the month before scored and its triggers proposed",
        Job::YearlyRating => "X-4: the year before rated",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    pub job: Option<Job>,
    pub status: Option<RunStatus>,
}

/// The runs, newest first (admin, risk officer, auditor): started, finished, status, what each did
/// or why it failed.
#[utoipa::path(tag = "jobs", params(RunFilter, PageParams), responses((status = 200, body = Page<JobRun>)))]
#[get("/jobs/runs")]
pub async fn runs(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<RunFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<JobRun>>> {
    caller.require(Permission::ReadAudit)?;
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let filter = q.0;
    let rows = state
        .db
        .read(move |conn| {
            db::jobs::list(
                conn,
                filter.job.map(Job::as_str),
                filter.status.map(RunStatus::as_str),
                after.as_deref(),
                limit,
            )
        })
        .await?;
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        JobRun::try_from,
    )?))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The business date to run the job for; not after today.
    #[schema(example = "2026-11-20")]
    pub as_of: NaiveDate,
}

/// Run one job for one date now (admin), through the scheduler's own path: 201 with the run
/// (which may have failed: see `status`). A date the job already succeeded for is 409; a date in
/// the future, or one the job is not due on, is 422; another server running it now is 409.
#[utoipa::path(
    tag = "jobs",
    params(("job" = Job, Path, description = "the job")),
    request_body = RunRequest,
    responses((status = 201, body = JobRun), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/jobs/{job}/run")]
pub async fn run(
    state: web::Data<AppState>,
    caller: Caller,
    job: web::Path<String>,
    body: JsonBody<RunRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::RunJobs)?;
    let job = Job::parse(&job).ok_or(AppError::NotFound("job"))?;
    let date = body.value.as_of;
    let today = caller.today();
    if date > today {
        return Err(AppError::field(
            "as_of",
            format!("must not be after today ({today}): a day not yet come has no facts"),
        ));
    }
    let policy = state
        .db
        .read(|conn| Ok(db::policy::current(conn)?.1))
        .await?;
    if !job.is_due_on(date, &policy) {
        return Err(AppError::field(
            "as_of",
            format!("{job} is not due on {date} ({})", job.schedule(&policy)),
        ));
    }
    let scheduler = state.scheduler.clone();
    let by = caller.username.clone();
    let outcome = actix_web::web::block(move || scheduler.run(job, date, &by)).await??;
    match outcome {
        Outcome::Ran(row) => Ok(HttpResponse::Created().json(JobRun::try_from(row)?)),
        Outcome::AlreadyDone(row) => Err(AppError::VersionConflict(format!(
            "{job} already ran for {date} (run {}); a job runs once per date",
            row.id
        ))),
        Outcome::Busy => Err(AppError::VersionConflict(format!(
            "{job} for {date} is running on another server now"
        ))),
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(runs).service(run);
}
