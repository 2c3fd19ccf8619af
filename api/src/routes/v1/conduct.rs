//! Complaints and incidents about RMs (R-1 inputs for X-2): `POST /complaints`, `POST /incidents`,
//! `GET /rms/{id}/conduct`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::commands::Ctx;
use crate::db::conduct::{self as store, ComplaintRow, IncidentRow};
use crate::db::{self, audit};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody};
use crate::startup::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    #[validate(length(min = 1, max = 64))]
    pub customer_id: String,
    #[validate(length(min = 1, max = 64))]
    pub rm_id: String,
    #[schema(example = "2026-05-01")]
    pub received_on: NaiveDate,
    /// Only verified complaints count towards X-2 item 3.
    pub verified: bool,
    #[validate(length(min = 1, max = 5000))]
    pub summary: String,
}

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

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq)]
pub enum IncidentItem {
    /// Negligence or untrue investigation information causing a loan loss.
    #[serde(rename = "X-2.1")]
    LoanLoss,
    /// Not acting or reporting in time, causing asset loss or loss of major business.
    #[serde(rename = "X-2.2")]
    NotActing,
    /// Falsification or other violations.
    #[serde(rename = "X-2.4")]
    Falsification,
    /// Unauthorised business, off-book operations, misuse of funds (forced exit).
    #[serde(rename = "X-3")]
    ForcedExitViolation,
}

impl IncidentItem {
    fn as_str(self) -> &'static str {
        match self {
            IncidentItem::LoanLoss => "X-2.1",
            IncidentItem::NotActing => "X-2.2",
            IncidentItem::Falsification => "X-2.4",
            IncidentItem::ForcedExitViolation => "X-3",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    #[validate(length(min = 1, max = 64))]
    pub rm_id: String,
    pub item: IncidentItem,
    pub occurred_on: NaiveDate,
    #[validate(length(min = 1, max = 5000))]
    pub description: String,
    /// Incidents are entered with evidence.
    #[validate(length(min = 1, max = 5000))]
    pub evidence: String,
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

fn scoped_rm(
    conn: &mut crate::db::DbConn,
    scope: &str,
    rm_id: &str,
) -> AppResult<crate::db::rms::RmRow> {
    db::rms::find(conn, rm_id)?
        .filter(|r| in_scope(scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))
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
        if new.received_on > ctx.today {
            return Err(AppError::field("received_on", "must not be in the future"));
        }
        let rm = scoped_rm(conn, &ctx.scope, &new.rm_id)?;
        db::customers::find(conn, &new.customer_id)?
            .filter(|c| in_scope(&ctx.scope, &c.org_path))
            .ok_or_else(|| AppError::field("customer_id", "no such customer in your scope"))?;
        let row = ComplaintRow {
            id: http::new_id(),
            customer_id: new.customer_id,
            rm_id: rm.id,
            received_on: new.received_on,
            verified: new.verified,
            summary: new.summary,
            org_path: rm.org_path,
            recorded_by: inner.username.clone(),
            created_at: ctx.now,
        };
        store::insert_complaint(conn, &row)?;
        audit::record(
            conn,
            &ctx.actor,
            audit::Change::new("complaint.record", "rm", &row.rm_id, &row.org_path).after(&row)?,
        )?;
        Ok(Complaint::from(row))
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
        if new.occurred_on > ctx.today {
            return Err(AppError::field("occurred_on", "must not be in the future"));
        }
        let rm = scoped_rm(conn, &ctx.scope, &new.rm_id)?;
        let row = IncidentRow {
            id: http::new_id(),
            rm_id: rm.id,
            item: new.item.as_str().into(),
            occurred_on: new.occurred_on,
            description: new.description,
            evidence: new.evidence,
            org_path: rm.org_path,
            recorded_by: inner.username.clone(),
            created_at: ctx.now,
        };
        store::insert_incident(conn, &row)?;
        audit::record(
            conn,
            &ctx.actor,
            audit::Change::new("incident.record", "rm", &row.rm_id, &row.org_path).after(&row)?,
        )?;
        Ok(Incident::from(row))
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
