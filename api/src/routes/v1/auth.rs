//! `POST /auth/token`: username and password for a bearer token.

use std::time::Instant;

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::password;
use crate::db;
use crate::domain::role::split_roles;
use crate::error::{AppError, AppResult, Problem};
use crate::http::JsonBody;
use crate::startup::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "admin")]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "change-me")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

/// Exchange a username and password for a JWT. Five failed attempts for a user within a minute
/// are answered 429 until the minute has passed.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed logins", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> AppResult<HttpResponse> {
    let TokenRequest { username, password } = body.value;
    if let Some(retry_after_secs) = state.login_limiter.blocked_for(&username, Instant::now()) {
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    let lookup = username.clone();
    let user = state
        .db
        .read(move |conn| db::users::find_by_username(conn, &lookup))
        .await?;
    let stored_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let verified = web::block(move || password::verify(&password, &stored_hash)).await?;
    let user = match user {
        Some(user) if verified && user.active => user,
        _ => {
            state
                .login_limiter
                .record_failure(&username, Instant::now());
            return Err(AppError::Unauthorized("wrong username or password"));
        }
    };
    state.login_limiter.record_success(&username);
    let token = state.jwt.issue(
        &user.id,
        &user.username,
        split_roles(&user.roles),
        &user.org_unit_id,
        &user.org_path,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: state.jwt.ttl_seconds,
        }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_token);
}
