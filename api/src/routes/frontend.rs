//! The dashboard at `/` (a placeholder page until the dashboard issue lands).

use actix_web::{web, HttpResponse};

const INDEX_HTML: &str = include_str!("../../../frontend/index.html");

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX_HTML)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
}
