//! M-1: `GET /approvals`, `GET /approvals/{id}`, `POST /approvals/{id}/approve|reject`.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::{Text1000, Text64};
use crate::commands::{approvals, Ctx};
use crate::db::{self, approvals::ApprovalRow};
use crate::domain::org::in_scope;
use crate::domain::role::{split_roles, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A sensitive action waiting for, or decided by, a second person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    pub id: String,
    /// `reassign` or `assign_over_cap`.
    #[schema(example = "reassign")]
    pub command: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub reason: String,
    #[schema(example = "A-10")]
    pub rule: String,
    /// Any of these roles may decide, within scope, but never the maker.
    pub approver_roles: Vec<Role>,
    /// `pending`, `approved` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    pub maker_user_id: String,
    pub maker_username: String,
    pub decided_by_user_id: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// What approving produced (e.g. the new assignment).
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<ApprovalRow> for Approval {
    fn from(r: ApprovalRow) -> Self {
        Approval {
            payload: serde_json::from_str(&r.payload).unwrap_or_default(),
            approver_roles: split_roles(&r.required_roles),
            result: r
                .result
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            decided_at: r.decided_at.map(http::utc),
            created_at: http::utc(r.created_at),
            id: r.id,
            command: r.command,
            reason: r.reason,
            rule: r.rule,
            status: r.status,
            maker_user_id: r.maker_user_id,
            maker_username: r.maker_username,
            decided_by_user_id: r.decided_by_user_id,
            decision_note: r.decision_note,
            version: r.version,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalFilter {
    /// `pending`, `approved` or `rejected`.
    #[param(example = "pending")]
    pub status: Option<ApprovalStatus>,
    /// Only requests of this command (`reassign`, `assign_over_cap`, `blacklist`, `change_policy`,
    /// `confirm_handover` ...).
    #[param(example = "confirm_handover")]
    pub command: Option<Text64>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalDecision)]
pub struct Decision {
    pub note: Option<Text1000>,
}

/// Approvals in the caller's subtree.
#[utoipa::path(tag = "approvals", params(ApprovalFilter, PageParams), responses((status = 200, body = Page<Approval>)))]
#[get("/approvals")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ApprovalFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Approval>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let command = q.0.command.map(|c| c.to_string());
    let status = q.0.status.map(|s| match s {
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Rejected => "rejected",
    });
    let rows = state
        .db
        .read(move |conn| {
            db::approvals::list(
                conn,
                &caller.org_path,
                status,
                command.as_deref(),
                after.as_deref(),
                limit,
            )
        })
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |r| &r.id,
        Approval::from,
    )))
}

/// One approval.
#[utoipa::path(tag = "approvals", responses((status = 200, body = Approval), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/approvals/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Approval>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| db::approvals::find(conn, &id))
        .await?;
    let row = row
        .filter(|a| in_scope(&caller.org_path, &a.org_path))
        .ok_or(AppError::NotFound("approval"))?;
    Ok(web::Json(row.into()))
}

/// Approve: a different user with one of the approver roles, in scope. The stored command is
/// re-checked against the state now and applied in one transaction; a rule that no longer holds
/// refuses the approval (422) and leaves it pending.
#[utoipa::path(
    tag = "approvals",
    request_body = Decision,
    responses((status = 200, body = Approval), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/approvals/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Decision>,
) -> AppResult<web::Json<Approval>> {
    let sessions = state.clone();
    let answer = decide(
        state,
        caller,
        id.into_inner(),
        body.value.note.map(String::from),
        Outcome::Approve,
    )
    .await;
    // An approved grant changes an account's roles: its sessions end (M-4).
    sessions.sessions.forget_all();
    answer
}

/// Reject: the record is kept with the decision.
#[utoipa::path(
    tag = "approvals",
    request_body = Decision,
    responses((status = 200, body = Approval), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/approvals/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<Decision>,
) -> AppResult<web::Json<Approval>> {
    decide(
        state,
        caller,
        id.into_inner(),
        body.value.note.map(String::from),
        Outcome::Reject,
    )
    .await
}

enum Outcome {
    Approve,
    Reject,
}

async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    id: String,
    note: Option<String>,
    outcome: Outcome,
) -> AppResult<web::Json<Approval>> {
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            match outcome {
                Outcome::Approve => approvals::approve(conn, &ctx, &caller, &id, note),
                Outcome::Reject => approvals::reject(conn, &ctx, &caller, &id, note),
            }
        })
        .await?;
    Ok(web::Json(row.into()))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(get_one)
        .service(approve)
        .service(reject);
}
