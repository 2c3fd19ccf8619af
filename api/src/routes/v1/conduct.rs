//! Complaints and incidents about RMs (R-1 inputs for X-2): `POST /complaints`, `POST /incidents`,
//! `GET /rms/{id}/conduct`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::commands::conduct::{self as engine, NewComplaint, NewIncident};
use crate::commands::Ctx;
use crate::db;
use crate::db::conduct::{self as store, ComplaintRow, IncidentRow};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Complaint {
    pub id: String,
    pub customer_id: String,
    pub rm_id: String,
    pub received_on: NaiveDate,
    pub verified: bool,
    pub summary: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ComplaintRow> for Complaint {
    fn from(r: ComplaintRow) -> Self {
        Complaint {
            created_at: http::utc(r.created_at),
            id: r.id,
            customer_id: r.customer_id,
            rm_id: r.rm_id,
            received_on: r.received_on,
            verified: r.verified,
            summary: r.summary,
            recorded_by: r.recorded_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Incident {
    pub id: String,
    pub rm_id: String,
    #[schema(example = "X-2.4")]
    pub item: String,
    pub occurred_on: NaiveDate,
    pub description: String,
    pub evidence: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<IncidentRow> for Incident {
    fn from(r: IncidentRow) -> Self {
        Incident {
            created_at: http::utc(r.created_at),
            id: r.id,
            rm_id: r.rm_id,
            item: r.item,
            occurred_on: r.occurred_on,
            description: r.description,
            evidence: r.evidence,
            recorded_by: r.recorded_by,
        }
    }
}

/// Record a customer complaint about an RM (admin, manager, risk officer).
#[utoipa::path(tag = "flags", request_body = NewComplaint, responses((status = 201, body = Complaint), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/complaints")]
pub async fn complain(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewComplaint>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::RecordConduct)?;
    let new = body.value;
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        Ok(Complaint::from(engine::complain(conn, &ctx, new)?))
    })
    .await
}

/// Record an incident about an RM with evidence (admin, manager, risk officer): X-2 items 1, 2, 4
/// and X-3 violations, the inputs of exit reviews.
#[utoipa::path(tag = "flags", request_body = NewIncident, responses((status = 201, body = Incident), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/incidents")]
pub async fn incident(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewIncident>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::RecordConduct)?;
    let new = body.value;
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        Ok(Incident::from(engine::incident(conn, &ctx, new)?))
    })
    .await
}

/// An RM's conduct record: verified complaints of the policy window (X-2 item 3) and incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct Conduct {
    pub rm_id: String,
    pub window_from: NaiveDate,
    /// The window's last day: the end of the current month (X-2 item 3: the same window as the
    /// monthly run's).
    pub window_to: NaiveDate,
    pub verified_complaints: Vec<Complaint>,
    /// At or above the policy threshold (default 3 within 12 months): X-2 item 3 applies.
    pub complaints_threshold_reached: bool,
    pub incidents: Vec<Incident>,
}

/// The RM's conduct record.
#[utoipa::path(tag = "flags", responses((status = 200, body = Conduct), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/rms/{id}/conduct")]
pub async fn conduct(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Conduct>> {
    let id = id.into_inner();
    let report = state
        .db
        .read(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let rm = db::rms::find(conn, &id)?
                .filter(|r| in_scope(&ctx.scope, &r.org_path))
                .ok_or(AppError::NotFound("RM"))?;
            let window = &ctx.policy.exit;
            let (from, to) = window.complaints_window(ctx.today);
            let complaints = store::verified_complaints(conn, &rm.id, from, to)?;
            Ok(Conduct {
                complaints_threshold_reached: complaints.len() as u32
                    >= window.complaints_threshold,
                rm_id: rm.id.clone(),
                window_from: from,
                window_to: to,
                verified_complaints: complaints.into_iter().map(Complaint::from).collect(),
                incidents: store::incidents_of(conn, &rm.id)?
                    .into_iter()
                    .map(Incident::from)
                    .collect(),
            })
        })
        .await?;
    Ok(web::Json(report))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(complain).service(incident).service(conduct);
}
