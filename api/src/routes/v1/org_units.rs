//! Org units (O-1): `GET/POST /org-units`, `GET /org-units/{id}`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commands::org_units::{self as engine, NewOrgUnit};
use crate::commands::Ctx;
use crate::db::{self, org_units::OrgUnitRow};
use crate::domain::org::OrgUnitKind;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// An org unit (机构).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnit {
    pub id: String,
    /// The bank's unit code (机构号), unique; the head office is `HO` unless the bank loads its own.
    #[schema(example = "310115")]
    pub code: Option<String>,
    #[schema(example = "Pudong Branch")]
    pub name: String,
    pub kind: OrgUnitKind,
    pub parent_id: Option<String>,
    /// 0 for the head office.
    pub depth: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<OrgUnitRow> for OrgUnit {
    type Error = AppError;

    fn try_from(r: OrgUnitRow) -> AppResult<Self> {
        Ok(OrgUnit {
            kind: OrgUnitKind::stored(&r.kind)?,
            id: r.id,
            code: r.code,
            name: r.name,
            parent_id: r.parent_id,
            depth: r.depth,
            version: r.version,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgUnitFilter {
    pub parent_id: Option<String>,
    pub kind: Option<OrgUnitKind>,
    /// The unit with this code (机构号).
    pub code: Option<String>,
}

/// Org units in the caller's subtree.
#[utoipa::path(tag = "org-units", params(OrgUnitFilter, PageParams), responses((status = 200, body = Page<OrgUnit>)))]
#[get("/org-units")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<OrgUnitFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<OrgUnit>>> {
    let q = q.0;
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let filter = db::org_units::Filter {
        parent_id: q.parent_id,
        kind: q.kind.map(|k| k.as_str().to_string()),
        code: q.code,
    };
    let rows = state
        .db
        .read(move |conn| {
            db::org_units::list(conn, &caller.org_path, &filter, after.as_deref(), limit)
        })
        .await?;
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        OrgUnit::try_from,
    )?))
}

/// One org unit.
#[utoipa::path(tag = "org-units", responses((status = 200, body = OrgUnit), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/org-units/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<OrgUnit>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| db::org_units::get(conn, &id, "org unit"))
        .await?;
    caller.check_scope(&row.path, "org unit")?;
    Ok(web::Json(row.try_into()?))
}

/// Create an org unit under a parent in the caller's subtree (admin). The kind must sit below the
/// parent's kind (O-1).
#[utoipa::path(
    tag = "org-units",
    request_body = NewOrgUnit,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses(
        (status = 201, body = OrgUnit),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/org-units")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewOrgUnit>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageOrgUnits)?;
    let new = body.value;
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        OrgUnit::try_from(engine::create(conn, &ctx, new)?)
    })
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get_one);
}
