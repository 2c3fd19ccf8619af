//! Users: `GET/POST /users`, `GET/PATCH /users/{id}`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{password, Caller};
use crate::db::audit::Change;
use crate::db::{self, users::UserRow, DbConn};
use crate::domain::org::in_scope;
use crate::domain::role::{join_roles, split_roles, Permission, Role};
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

/// What the audit log keeps of a user (no password hash).
fn audit_view(r: &UserRow) -> serde_json::Value {
    serde_json::json!({"id": r.id, "username": r.username, "display_name": r.display_name, "roles": r.roles,
        "org_unit_id": r.org_unit_id, "rm_id": r.rm_id, "active": r.active, "version": r.version})
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(length(min = 3, max = 64), custom(function = "username_chars"))]
    #[schema(example = "li.na")]
    pub username: String,
    #[validate(length(min = 8, max = 200, message = "must be 8 to 200 characters"))]
    pub password: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Li Na")]
    pub display_name: String,
    #[validate(length(min = 1, max = 6, message = "give 1 to 6 roles"))]
    pub roles: Vec<Role>,
    #[validate(length(min = 1, max = 64))]
    pub org_unit_id: String,
    pub rm_id: Option<String>,
}

fn username_chars(name: &str) -> Result<(), validator::ValidationError> {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("username")
            .with_message("letters, digits, '.', '_' and '-' only".into()))
    }
}

/// Changes to a user; send `version` (or `If-Match`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[validate(length(min = 1, max = 200))]
    pub display_name: Option<String>,
    #[validate(length(min = 1, max = 6, message = "give 1 to 6 roles"))]
    pub roles: Option<Vec<Role>>,
    pub org_unit_id: Option<String>,
    /// `null` unlinks the RM record.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub rm_id: Option<Option<String>>,
    pub active: Option<bool>,
    #[validate(length(min = 8, max = 200, message = "must be 8 to 200 characters"))]
    pub password: Option<String>,
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub rm_id: Option<String>,
}

/// Only an admin may grant the admin role.
fn check_grantable(caller: &Caller, roles: &[Role]) -> AppResult<()> {
    if roles.contains(&Role::Admin) && !caller.roles.contains(&Role::Admin) {
        return Err(AppError::Forbidden(
            "only an admin may grant the admin role".into(),
        ));
    }
    Ok(())
}

/// The unit (in scope) and, when given, the RM record (in scope) a user is linked to.
fn resolve_links(
    conn: &mut DbConn,
    scope: &str,
    org_unit_id: &str,
    rm_id: Option<&str>,
) -> AppResult<db::org_units::OrgUnitRow> {
    let unit = db::org_units::referenced(conn, scope, org_unit_id, "org_unit_id")?;
    if let Some(rm_id) = rm_id {
        db::rms::find(conn, rm_id)?
            .filter(|r| in_scope(scope, &r.org_path))
            .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    }
    Ok(unit)
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
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses((status = 201, body = User), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
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
    check_grantable(&caller, &new.roles)?;
    let password = new.password.clone();
    let password_hash = web::block(move || password::hash(&password)).await??;
    let actor = caller.actor();
    let scope = caller.org_path.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let unit = resolve_links(conn, &scope, &new.org_unit_id, new.rm_id.as_deref())?;
        if db::users::find_by_username(conn, &new.username)?.is_some() {
            return Err(AppError::Duplicate(format!(
                "username {} is taken",
                new.username
            )));
        }
        let now = actor.clock.now();
        let row = UserRow {
            id: http::new_id(),
            username: new.username,
            password_hash,
            display_name: new.display_name.trim().to_string(),
            roles: join_roles(&new.roles),
            org_unit_id: unit.id,
            org_path: unit.path,
            rm_id: new.rm_id,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        db::users::insert(conn, &row)?;
        db::audit::record(
            conn,
            &actor,
            Change::new("user.create", "user", &row.id, &row.org_path).after(&audit_view(&row))?,
        )?;
        Ok(User::from(row))
    })
    .await
}

/// Change a user (admin, manager). Roles and unit changes apply to tokens issued afterwards.
#[utoipa::path(
    tag = "users",
    request_body = UserPatch,
    params(("If-Match" = Option<String>, Header, description = "the version you read")),
    responses((status = 200, body = User), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<UserPatch>,
) -> AppResult<web::Json<User>> {
    caller.require(Permission::ManageUsers)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    if let Some(roles) = &patch.roles {
        check_grantable(&caller, roles)?;
    }
    let password_hash = match patch.password.clone() {
        Some(p) => Some(web::block(move || password::hash(&p)).await??),
        None => None,
    };
    let id = id.into_inner();
    let row = state
        .db
        .write(move |conn| {
            let before = db::users::find(conn, &id)?
                .filter(|u| in_scope(&caller.org_path, &u.org_path))
                .ok_or(AppError::NotFound("user"))?;
            http::check_version(before.version, expected, "the user")?;
            if split_roles(&before.roles).contains(&Role::Admin)
                && !caller.roles.contains(&Role::Admin)
            {
                return Err(AppError::Forbidden(
                    "only an admin may change an admin".into(),
                ));
            }
            let mut after = before.clone();
            if let Some(v) = patch.display_name {
                after.display_name = v.trim().to_string();
            }
            if let Some(roles) = &patch.roles {
                after.roles = join_roles(roles);
            }
            if let Some(v) = patch.active {
                after.active = v;
            }
            if let Some(hash) = password_hash {
                after.password_hash = hash;
            }
            let rm_link = patch.rm_id.clone().unwrap_or(before.rm_id.clone());
            let unit_id = patch
                .org_unit_id
                .clone()
                .unwrap_or(before.org_unit_id.clone());
            let unit = resolve_links(
                conn,
                &caller.org_path,
                &unit_id,
                if patch.rm_id.is_some() {
                    rm_link.as_deref()
                } else {
                    None
                },
            )?;
            after.org_unit_id = unit.id;
            after.org_path = unit.path;
            after.rm_id = rm_link;
            after.version = before.version + 1;
            after.updated_at = caller.now();
            db::users::update(conn, &after, expected)?;
            db::audit::record(
                conn,
                &caller.actor(),
                Change::new("user.update", "user", &after.id, &after.org_path)
                    .before(&audit_view(&before))?
                    .after(&audit_view(&after))?,
            )?;
            Ok(after)
        })
        .await?;
    if let Ok(mut inactive) = state.inactive_users.write() {
        if row.active {
            inactive.remove(&row.id);
        } else {
            inactive.insert(row.id.clone());
        }
    }
    Ok(web::Json(row.into()))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(me)
        .service(list)
        .service(create)
        .service(get_one)
        .service(update);
}
