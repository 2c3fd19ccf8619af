//! Users: `GET/POST /users`, `GET/PATCH /users/{id}`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assignments::PendingApproval;
use crate::auth::{password, Caller};
use crate::commands::users::{self as engine, Outcome};
pub use crate::commands::users::{NewUser, UserPatch};
use crate::commands::Ctx;
use crate::db::{self, users::UserRow};
use crate::domain::role::{split_roles, Permission, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A user account. Password hashes never leave the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    #[schema(example = "li.na")]
    pub username: String,
    #[schema(example = "Li Na")]
    pub display_name: String,
    pub roles: Vec<Role>,
    pub org_unit_id: String,
    pub rm_id: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            roles: split_roles(&r.roles),
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            org_unit_id: r.org_unit_id,
            rm_id: r.rm_id,
            active: r.active,
            version: r.version,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub rm_id: Option<String>,
}

/// Users in the caller's subtree.
#[utoipa::path(tag = "users", params(UserFilter, PageParams), responses((status = 200, body = Page<User>)))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<UserFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<User>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let filter = db::users::Filter {
        role: q.0.role.map(|r| r.as_str().to_string()),
        rm_id: q.0.rm_id,
    };
    let rows = state
        .db
        .read(move |conn| db::users::list(conn, &caller.org_path, &filter, after.as_deref(), limit))
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |r| &r.id,
        User::from,
    )))
}

/// The signed-in user: who the token belongs to, with roles and org unit (for front ends).
#[utoipa::path(tag = "users", responses((status = 200, body = User), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<User>> {
    let row = state
        .db
        .read(move |conn| db::users::find(conn, &caller.user_id))
        .await?
        .ok_or(AppError::Unauthorized(
            "the user of this token no longer exists",
        ))?;
    Ok(web::Json(row.into()))
}

/// One user.
#[utoipa::path(tag = "users", responses((status = 200, body = User), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<User>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| db::users::find(conn, &id))
        .await?
        .ok_or(AppError::NotFound("user"))?;
    caller.check_scope(&row.org_path, "user")?;
    Ok(web::Json(row.into()))
}

/// Create a user in the caller's subtree (admin, manager). Passwords are stored as argon2id hashes.
/// Roles follow the policy's grant table (M-4); admin, committee, risk_officer and auditor wait for a
/// second admin (202, the account is created with the other roles meanwhile).
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses(
        (status = 201, body = User),
        (status = 202, description = "created; its privileged roles wait for a second admin (M-4)", body = PendingApproval),
        (status = 403, description = "M-4: the caller may not grant these roles", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewUser>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageUsers)?;
    let new = body.value;
    let password = new.password.as_str().to_string();
    let password_hash = password::hash_bounded(&state.hashing, password).await?;
    let inner_caller = caller.clone();
    let answer = http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let caller = inner_caller;
        let ctx = Ctx::load(conn, &caller)?;
        Ok(
            match engine::create_or_request(conn, &ctx, &caller, new, password_hash)? {
                Outcome::Done(row) => (201, serde_json::to_value(User::from(*row))?),
                Outcome::Waiting(approval) => {
                    (202, serde_json::to_value(PendingApproval::of(*approval))?)
                }
            },
        )
    })
    .await;
    state.sessions.forget_all();
    answer
}

/// Change a user (admin, manager). Nobody changes their own roles, unit, active flag or RM link
/// (M-4); a change of password, roles, unit or active flag ends the account's open sessions.
#[utoipa::path(
    tag = "users",
    request_body = UserPatch,
    params(("If-Match" = Option<String>, Header, description = "the version you read")),
    responses(
        (status = 200, body = User),
        (status = 202, description = "the privileged roles wait for a second admin (M-4)", body = PendingApproval),
        (status = 403, description = "M-4: one's own account, or a role the caller may not grant", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<UserPatch>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageUsers)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    let password_hash = match patch.password.as_ref().map(|p| p.as_str().to_string()) {
        Some(p) => Some(password::hash_bounded(&state.hashing, p).await?),
        None => None,
    };
    let id = id.into_inner();
    let outcome = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::update_or_request(conn, &ctx, &caller, &id, patch, password_hash, expected)
        })
        .await?;
    state.sessions.forget_all();
    Ok(match outcome {
        Outcome::Done(row) => HttpResponse::Ok().json(User::from(*row)),
        Outcome::Waiting(approval) => HttpResponse::Accepted().json(PendingApproval::of(*approval)),
    })
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(me)
        .service(list)
        .service(create)
        .service(get_one)
        .service(update);
}
