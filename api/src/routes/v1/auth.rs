//! `POST /auth/token`: username and password for a bearer token.

use actix_web::{post, web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{password, Caller};
use crate::bounded::{Text100, Text200};
use crate::commands::sessions;
use crate::db;
use crate::db::audit::Actor;
use crate::domain::role::split_roles;
use crate::error::{AppError, AppResult, Problem};
use crate::http::JsonBody;
use crate::startup::{AppState, RequestId};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "admin")]
    pub username: Text100,
    #[schema(example = "change-me")]
    pub password: Text200,
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

/// Free attempts per window: for one username from one address, for one username from anywhere,
/// and for one address whatever the username.
const FREE_PER_USER_AND_ADDRESS: i32 = 5;
const FREE_PER_USER: i32 = 20;
const FREE_PER_ADDRESS: i32 = 30;

/// The throttle keys of an attempt; unknown usernames are keyed the same way as real ones.
fn throttle_keys(username: &str, address: &str) -> Vec<(String, i32)> {
    let user = username.to_lowercase();
    vec![
        (
            format!("user+addr:{user}|{address}"),
            FREE_PER_USER_AND_ADDRESS,
        ),
        (format!("user:{user}"), FREE_PER_USER),
        (format!("addr:{address}"), FREE_PER_ADDRESS),
    ]
}

/// The audit actor of a sign-in attempt: the account once signed in; `anonymous` for a failure
/// (the name tried is the event's entity id, never its actor).
fn login_actor(
    user: Option<&db::users::UserRow>,
    request_id: String,
    clock: crate::clock::Clock,
) -> Actor {
    Actor {
        user_id: user.map(|u| u.id.clone()),
        username: user.map_or_else(|| "anonymous".to_string(), |u| u.username.clone()),
        roles: user.map(|u| u.roles.clone()).unwrap_or_default(),
        org_unit_id: user.map(|u| u.org_unit_id.clone()),
        request_id,
        clock,
    }
}

/// Exchange a username and password for a JWT. Every attempt is counted before the password is
/// checked, in the database (shared by every server): five for one username from one address,
/// twenty for one username, thirty for one address; past them each attempt waits a growing delay
/// (429 with `Retry-After`). Unknown usernames are throttled alike. Sign-ins and failures are
/// audited.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many attempts; wait Retry-After seconds", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "sign-in is saturated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<TokenRequest>,
) -> AppResult<HttpResponse> {
    let TokenRequest { username, password } = body.value;
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let keys = throttle_keys(&username, &address);
    let clock = state.clock;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let (lookup, counted) = (username.clone(), keys.clone());
    let admitted = state
        .db
        .write(move |conn| sessions::admit(conn, &counted, &lookup, clock.now()))
        .await?;
    let user =
        admitted.map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })?;
    let stored_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let verified = state
        .hashing
        .verify(password.into_string(), stored_hash)
        .await?;
    let signed_in = user.filter(|u| verified && u.active);
    let actor = login_actor(signed_in.as_ref(), request_id, clock);
    let (outcome, account) = (signed_in.clone(), username.clone());
    state
        .db
        .write(move |conn| sessions::conclude(conn, &actor, &keys, outcome.as_ref(), &account))
        .await?;
    let Some(user) = signed_in else {
        return Err(AppError::Unauthorized("wrong username or password"));
    };
    let token = state.jwt.issue(
        &user.id,
        &user.username,
        split_roles(&user.roles),
        &user.org_unit_id,
        &user.org_path,
        &user.security_stamp,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: state.jwt.ttl_seconds,
        }))
}

/// Sign out: the token is refused from now on, on every server.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "signed out"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    state
        .db
        .write(move |conn| sessions::sign_out(conn, &caller))
        .await?;
    state.sessions.forget_all();
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_token).service(logout);
}
