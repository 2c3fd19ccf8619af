//! `POST /evaluations` with `{"as_of": date}`.

use actix_web::{post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::commands::evaluations::{self as engine, Evaluation};
use crate::commands::Ctx;
use crate::domain::role::Permission;
use crate::error::{AppResult, Problem};
use crate::http::JsonBody;
use crate::startup::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    #[schema(example = "2026-11-30")]
    pub as_of: NaiveDate,
}

/// Evaluate the RMs' portfolios of the caller's scope on a date (admin, risk officer): the
/// overdue-interest ratio against the checkpoint's target, `action_required` on the settlement day,
/// `management_out_of_control` at the trigger, `overdue_interest` customer flags, and on-site
/// inspections required at month end above the trigger. 201 the first time; the same date
/// again answers 200 with the stored result and changes nothing.
#[utoipa::path(
    tag = "flags",
    request_body = EvaluationRequest,
    responses((status = 201, body = Evaluation), (status = 200, body = Evaluation), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/evaluations")]
pub async fn evaluate(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<EvaluationRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageFlags)?;
    let as_of = body.value.as_of;
    let (evaluation, fresh) = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::evaluate(conn, &ctx, as_of)
        })
        .await?;
    Ok(if fresh {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(evaluation))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(evaluate);
}
