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

/// `GET /metrics`: the Prometheus text format, for the scraper holding `RMDESK_METRICS_TOKEN`
/// (a 404 when none is set: not public by default).
async fn metrics(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = &state.metrics_token else {
        return Err(AppError::NotFound("resource"));
    };
    let sent = crate::auth::bearer_token(&req)?;
    // Compared as digests: the time taken says nothing about how much of the token matched.
    use sha2::{Digest, Sha256};
    if Sha256::digest(sent.as_bytes()) != Sha256::digest(token.as_bytes()) {
        return Err(AppError::Unauthorized(
            "the metrics token is missing or wrong",
        ));
    }
    let now = state.clock.now();
    let bank = state
        .db
        .read(move |conn| crate::metrics::bank(conn, now))
        .await?;
    let text = state
        .metrics
        .render(&state.db.pool_states(), state.db.replica(), &bank)?;
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(text))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/metrics", web::get().to(metrics))
        .route("/ready", web::get().to(ready))
        .route("/problems", web::get().to(problem_index))
        .route("/problems/{code}", web::get().to(problem_page));
}
