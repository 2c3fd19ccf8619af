//! Operations endpoints outside v1: liveness and readiness.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::error::AppError;
use crate::startup::AppState;

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

/// `GET /health`: the process is up.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// `GET /ready`: the database answers and every migration is applied.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let ok = web::block(move || db.is_ready()).await.unwrap_or(false);
    if ok {
        HttpResponse::Ok().json(Status { status: "ready" })
    } else {
        HttpResponse::ServiceUnavailable().json(Status {
            status: "not_ready",
        })
    }
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("resource"))
}

/// `GET /problems`: every problem code, what it means and the rule behind it.
async fn problem_index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(crate::problems::index())
}

/// `GET /problems/{code}`: where a problem's `type` URI leads.
async fn problem_page(code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let doc = crate::problems::find(&code).ok_or(AppError::NotFound("problem code"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(crate::problems::page(doc)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready))
        .route("/problems", web::get().to(problem_index))
        .route("/problems/{code}", web::get().to(problem_page));
}
