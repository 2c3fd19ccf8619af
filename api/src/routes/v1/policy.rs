//! P-1: `GET /policy`, the policy version in force.

use actix_web::{get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::commands::approvals::{self, Pending, Request};
use crate::commands::Ctx;
use crate::db;
use crate::domain::policy::Policy;
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::http;
use crate::startup::AppState;

/// A version of the policy record. Every decision stores the version it used.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyVersion {
    #[schema(example = 1)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// The user whose change (approved under M-1) made this version; `null` for the defaults.
    pub created_by: Option<String>,
    pub policy: Policy,
}

/// The policy in force.
#[utoipa::path(tag = "policy", responses((status = 200, body = PolicyVersion)))]
#[get("/policy")]
pub async fn current(
    state: web::Data<AppState>,
    _caller: Caller,
) -> AppResult<web::Json<PolicyVersion>> {
    let row = state.db.read(db::policy::current_row).await?;
    let policy: Policy = serde_json::from_str(&row.document)?;
    Ok(web::Json(PolicyVersion {
        version: row.version,
        created_at: http::utc(row.created_at),
        created_by: row.created_by,
        policy,
    }))
}

/// Propose a new policy version (admin). The whole document is checked now (shares sum to 1,
/// ratios in 0..1, days inside a month) and waits for a second person with the admin or
/// risk-officer role (P-1, M-1): 202 with the pending approval. Approval writes the next version,
/// unless another change was approved meanwhile (409).
#[utoipa::path(
    tag = "policy",
    request_body = Policy,
    responses(
        (status = 202, description = "waiting for approval (M-1)", body = crate::routes::v1::assignments::PendingApproval),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/policy")]
pub async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: actix_web::web::Bytes,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ProposePolicy)?;
    if body.len() > http::MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(http::MAX_BODY_BYTES));
    }
    let policy: Policy = http::parse_json(&body)?;
    let problems = policy.problems();
    if !problems.is_empty() {
        return Err(AppError::Validation(
            problems
                .into_iter()
                .map(|(f, m)| FieldError::new(f, m))
                .collect(),
        ));
    }
    let inner = caller.clone();
    http::command(&state.db, &caller, &req, &body, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let based_on_version = db::policy::current_version(conn)?;
        let root = db::org_units::root(conn)?.ok_or(AppError::NotFound("head office"))?;
        let request = Request {
            reason: format!("policy change from version {based_on_version}"),
            rule: "P-1",
            approver_roles: &[Role::Admin, Role::RiskOfficer],
            org_path: root.path,
        };
        let pending = Pending::ChangePolicy {
            policy: Box::new(policy),
            based_on_version,
        };
        let row = approvals::request(conn, &ctx, &inner, &pending, request)?;
        Ok((
            202,
            crate::routes::v1::assignments::PendingApproval::of(row),
        ))
    })
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(current).service(change);
}
