//! Assignments (A-1..A-10): `POST /assignments`, `POST /assignments/{id}/end`,
//! `POST /customers/{id}/reassign`, `GET /customers/{id}/assignments?as_of=`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::{RecordId, Text500};
use crate::commands::approvals::{self, Pending, Request};
use crate::commands::assignments::{self as engine, Assign};
use crate::commands::Ctx;
use crate::db::assignments::{self as store, share_of, AssignmentRow};
use crate::domain::assignment::{reassignment_needs_approval, AssignmentRole};
use crate::domain::org::in_scope;
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Query};
use crate::startup::AppState;

/// One effective-dated assignment; `valid_to` is `null` while it is in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub customer_id: String,
    pub rm_id: String,
    pub role: AssignmentRole,
    /// A-7 performance and NPL-responsibility share.
    #[schema(value_type = String, example = "0.6")]
    pub share: Decimal,
    #[schema(example = "new")]
    pub reason: String,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Who made the change.
    pub created_by: String,
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = AppError;

    fn try_from(r: AssignmentRow) -> AppResult<Self> {
        Ok(Assignment {
            role: AssignmentRole::stored(&r.role)?,
            share: share_of(r.share_bp),
            id: r.id,
            customer_id: r.customer_id,
            rm_id: r.rm_id,
            reason: r.reason,
            valid_from: http::utc(r.valid_from),
            valid_to: r.valid_to.map(http::utc),
            created_by: r.created_by,
        })
    }
}

/// M-1: the action waits for a second person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingApproval {
    pub approval_id: String,
    #[schema(example = "pending")]
    pub status: &'static str,
    /// The rule that asks for the approval, e.g. `A-10`.
    #[schema(example = "A-10")]
    pub rule: String,
    pub reason: String,
}

impl PendingApproval {
    pub fn of(row: crate::db::approvals::ApprovalRow) -> Self {
        PendingApproval {
            approval_id: row.id,
            status: "pending",
            rule: row.rule,
            reason: row.reason,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub customer_id: RecordId,
    pub rm_id: RecordId,
    pub role: AssignmentRole,
    /// A-7 share of an assistant or team member (default 0.4, team members split it).
    #[schema(value_type = Option<String>, example = "0.4")]
    pub share: Option<Decimal>,
    #[schema(example = "new")]
    pub reason: Option<Text500>,
    /// when the RM is at the cap, asks for an override approved by a second person (M-1).
    pub override_reason: Option<Text500>,
}

/// Assign an RM to a customer (admin, manager). Each refusal names its rule: A-1 one primary,
/// A-2 at most two marketers or a senior-led team, A-3 caps, A-4 eligibility and line, A-5 grade
/// and cross-unit, A-7 shares. Over the cap with `override_reason`: 202 and a pending approval.
#[utoipa::path(
    tag = "assignments",
    request_body = NewAssignment,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses(
        (status = 201, body = Assignment),
        (status = 202, description = "cap override waiting for approval (M-1)", body = PendingApproval),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/assignments")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewAssignment>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageAssignments)?;
    let new = body.value;
    let inner = caller.clone();
    http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let cmd = Assign {
            customer_id: new.customer_id.into_string(),
            rm_id: new.rm_id.into_string(),
            role: new.role,
            share: new.share,
            reason: new.reason.map_or_else(|| "new".into(), String::from),
        };
        // new business with a blacklisted customer needs a risk officer's approval.
        let (blacklisted, _) = crate::commands::flags::risk_state(conn, &cmd.customer_id)?;
        if blacklisted {
            let (customer, _) = engine::customer_facts(conn, &ctx, &cmd.customer_id)?;
            let request = Request {
                reason: format!("new assignment for blacklisted customer {}", customer.name),
                rule: "R-3",
                approver_roles: &[Role::RiskOfficer],
                org_path: customer.org_path,
            };
            let row = approvals::request(
                conn,
                &ctx,
                &inner,
                &Pending::AssignBlacklisted { assign: cmd },
                request,
            )?;
            return Ok((202, serde_json::to_value(PendingApproval::of(row))?));
        }
        match engine::assign(conn, &ctx, &cmd, false) {
            Ok(row) => Ok((201, serde_json::to_value(Assignment::try_from(row)?)?)),
            Err(AppError::Rule(v)) if v.rule == "A-3" && new.override_reason.is_some() => {
                let (customer, _) = engine::customer_facts(conn, &ctx, &cmd.customer_id)?;
                let override_reason = new.override_reason.map(String::from).unwrap_or_default();
                let request = Request {
                    reason: format!("cap override: {}; {override_reason}", v.detail),
                    rule: "A-3",
                    approver_roles: &[Role::Manager, Role::Admin],
                    org_path: customer.org_path,
                };
                let row = approvals::request(
                    conn,
                    &ctx,
                    &inner,
                    &Pending::AssignOverCap {
                        assign: cmd,
                        override_reason,
                    },
                    request,
                )?;
                Ok((202, serde_json::to_value(PendingApproval::of(row))?))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndAssignment {
    #[schema(example = "customer left the bank")]
    pub reason: Option<Text500>,
}

/// End an assignment (admin, manager). A primary ends only when nobody else holds the customer
/// an assistant's share returns to the primary. The row is kept with its end time.
#[utoipa::path(
    tag = "assignments",
    request_body = EndAssignment,
    responses((status = 200, body = Assignment), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/assignments/{id}/end")]
pub async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<EndAssignment>,
) -> AppResult<web::Json<Assignment>> {
    caller.require(Permission::ManageAssignments)?;
    let id = id.into_inner();
    let reason = body.value.reason.map(String::from).unwrap_or_default();
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::end(conn, &ctx, &id, &reason)
        })
        .await?;
    Ok(web::Json(row.try_into()?))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassignment {
    pub to_rm_id: RecordId,
    /// e.g. `rotation`, `tier_change`, `customer_request`.
    #[schema(example = "rotation")]
    pub reason: Text500,
}

/// Move a customer to a new primary RM (admin, manager), checked like a new assignment. A
/// high-value, blacklisted or flagged customer needs a second person: 202 with the
/// pending approval.
#[utoipa::path(
    tag = "assignments",
    request_body = Reassignment,
    responses(
        (status = 200, description = "the new primary assignment", body = Assignment),
        (status = 202, description = "waiting for approval (A-10, M-1)", body = PendingApproval),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/customers/{id}/reassign")]
pub async fn reassign(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<Reassignment>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageAssignments)?;
    let customer_id = id.into_inner();
    let cmd = body.value;
    let inner = caller.clone();
    http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let (customer, facts) = engine::customer_facts(conn, &ctx, &customer_id)?;
        let (blacklisted, flagged) = crate::commands::flags::risk_state(conn, &customer.id)?;
        if let Some(why) = reassignment_needs_approval(&facts, flagged, blacklisted) {
            // a blacklisted customer's business is a risk officer's call.
            let approver_roles: &[Role] = if blacklisted {
                &[Role::RiskOfficer]
            } else {
                &[Role::Manager, Role::Admin]
            };
            let request = Request {
                reason: why.into(),
                rule: "A-10",
                approver_roles,
                org_path: customer.org_path,
            };
            let pending = Pending::Reassign {
                customer_id,
                to_rm_id: cmd.to_rm_id.into_string(),
                reason: cmd.reason.into_string(),
            };
            let row = approvals::request(conn, &ctx, &inner, &pending, request)?;
            return Ok((202, serde_json::to_value(PendingApproval::of(row))?));
        }
        let row = engine::reassign(conn, &ctx, &customer_id, &cmd.to_rm_id, &cmd.reason)?;
        Ok((200, serde_json::to_value(Assignment::try_from(row)?)?))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// Only the assignments in force at the end of this date (`YYYY-MM-DD`) or at this instant
    /// (RFC 3339): who was primary then.
    #[param(example = "2026-11-02")]
    pub as_of: Option<String>,
}

/// A date means the end of that business day in the bank's time zone (P-2).
fn parse_as_of(text: &str, clock: &crate::clock::Clock) -> AppResult<NaiveDateTime> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let next = clock.instant_of(day.succ_opt().unwrap_or(day), chrono::NaiveTime::MIN);
        return Ok(next - chrono::Duration::microseconds(1));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .map_err(|_| {
            AppError::field(
                "as_of",
                "must be a date (YYYY-MM-DD) or an RFC 3339 instant",
            )
        })
}

/// The customer's assignment history, oldest first (A-1: never rewritten); with `as_of`, the
/// assignments in force then.
#[utoipa::path(tag = "assignments", params(HistoryFilter), responses((status = 200, body = Vec<Assignment>)))]
#[get("/customers/{id}/assignments")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<HistoryFilter>,
) -> AppResult<web::Json<Vec<Assignment>>> {
    let id = id.into_inner();
    let as_of =
        q.0.as_of
            .as_deref()
            .map(|text| parse_as_of(text, &caller.clock))
            .transpose()?;
    let rows = state
        .db
        .read(move |conn| {
            crate::db::customers::find(conn, &id)?
                .filter(|c| in_scope(&caller.org_path, &c.org_path))
                .ok_or(AppError::NotFound("customer"))?;
            store::history(conn, &id, as_of)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(Assignment::try_from)
            .collect::<AppResult<Vec<_>>>()?,
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(end)
        .service(reassign)
        .service(history);
}
