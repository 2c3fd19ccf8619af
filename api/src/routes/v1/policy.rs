//! P-1: `GET /policy`, the policy version in force.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db;
use crate::domain::policy::Policy;
use crate::error::AppResult;
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

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(current);
}
