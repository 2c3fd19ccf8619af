//! Customers: `GET/POST /customers`, `GET/PATCH /customers/{id}`, relations and assignment history.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::bounded::IdList;
use crate::commands::customers::{
    self as engine, CustomerPatch, NewCustomer, NewRelation, Relation,
};
use crate::commands::Ctx;
use crate::db::{self, customers::CustomerRow, DbConn};
use crate::domain::customer::{split_categories, Category, CustomerKind, CustomerSize};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A customer (客户).
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: String,
    /// The bank's customer number (客户号), unique; `null` for customers created without one.
    #[schema(example = "C000123456")]
    pub customer_no: Option<String>,
    #[schema(example = "Acme Steel Ltd")]
    pub name: String,
    pub kind: CustomerKind,
    pub org_unit_id: String,
    pub size: Option<CustomerSize>,
    #[schema(example = "gold")]
    pub tier: Option<String>,
    /// markers.
    pub categories: Vec<Category>,
    /// counts against a corporate/SME RM's key-account cap.
    pub is_key_account: bool,
    /// counts against a retail RM's VIP cap.
    pub is_vip: bool,
    /// Masked unless the caller's role may see personal data (M-3).
    pub national_id: Option<String>,
    /// Masked unless the caller's role may see personal data (M-3).
    pub phone: Option<String>,
    /// since when the customer needs a second RM (an A-6 marker), or `null`.
    pub needs_second_rm_since: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    pub(crate) fn view(r: CustomerRow, caller: &Caller) -> AppResult<Self> {
        let unmasked = caller.may(Permission::ReadPersonalData);
        let personal = |field: &str, v: Option<String>| {
            if unmasked {
                v
            } else {
                v.map(|s| crate::domain::privacy::mask_field(field, &s))
            }
        };
        Ok(Customer {
            kind: CustomerKind::stored(&r.kind)?,
            size: r.size.as_deref().and_then(CustomerSize::parse),
            categories: split_categories(&r.categories),
            national_id: personal("national_id", r.national_id),
            phone: personal("phone", r.phone),
            id: r.id,
            customer_no: r.customer_no,
            name: r.name,
            org_unit_id: r.org_unit_id,
            tier: r.tier,
            is_key_account: r.is_key_account,
            is_vip: r.is_vip,
            needs_second_rm_since: r.needs_second_rm_since.map(http::utc),
            version: r.version,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerFilter {
    pub kind: Option<CustomerKind>,
    /// Only this unit's subtree (inside the caller's scope).
    pub org_unit_id: Option<String>,
    pub is_key_account: Option<bool>,
    pub is_vip: Option<bool>,
    pub category: Option<Category>,
    /// Name starts with this text (ASCII letters in any case); the list comes in name order.
    pub name: Option<String>,
    /// Name contains this text, at least 3 characters (Chinese included), any case.
    pub name_contains: Option<String>,
    /// Only the customers this RM holds now, in any role (the RM's portfolio).
    pub rm_id: Option<String>,
    /// Only these customers: up to 100 ids, comma-separated (names for a page in one read).
    pub ids: Option<IdList>,
    /// The customer with this customer number (客户号).
    pub customer_no: Option<String>,
    /// The customers with this national ID, found through its keyed hash (roles that may read
    /// personal data, M-3).
    pub national_id: Option<String>,
}

fn scoped_customer(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<CustomerRow> {
    db::customers::find(conn, id)?
        .filter(|c| in_scope(&caller.org_path, &c.org_path))
        .ok_or(AppError::NotFound("customer"))
}

/// Customers in the caller's subtree.
#[utoipa::path(tag = "customers", params(CustomerFilter, PageParams), responses((status = 200, body = Page<Customer>)))]
#[get("/customers")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<CustomerFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Customer>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let q = q.0;
    if q.national_id.is_some() {
        // M-3: looking a number up tells who holds it; only roles that may read it may ask.
        caller.require(Permission::ReadPersonalData)?;
    }
    let key = state.search_key.clone();
    let scope_caller = caller.clone();
    let (rows, next) = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &scope_caller.org_path, q.org_unit_id.as_deref())?;
            let holders = match &q.national_id {
                Some(n) => Some(crate::national_ids::find(conn, &key, n)?),
                None => None,
            };
            let ids = match (q.ids.map(|l| l.ids()), holders) {
                (Some(a), Some(b)) => Some(a.into_iter().filter(|i| b.contains(i)).collect()),
                (a, b) => a.or(b),
            };
            let filter = db::customers::Filter {
                kind: q.kind.map(|v| v.as_str().into()),
                is_key_account: q.is_key_account,
                is_vip: q.is_vip,
                category: q.category.map(|v| v.as_str().into()),
                name_prefix: q.name,
                name_contains: q.name_contains,
                rm_id: q.rm_id,
                ids,
                customer_no: q.customer_no,
            };
            db::customers::list(conn, &scope, &filter, after.as_deref(), limit)
        })
        .await?;
    Ok(web::Json(Page {
        items: rows
            .into_iter()
            .map(|r| Customer::view(r, &caller))
            .collect::<AppResult<_>>()?,
        next_cursor: next.as_deref().map(http::encode_cursor),
    }))
}

/// One customer.
#[utoipa::path(tag = "customers", responses((status = 200, body = Customer), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/customers/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Customer>> {
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| db::customers::find(conn, &id))
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    caller.check_scope(&row.org_path, "customer")?;
    Ok(web::Json(Customer::view(row, &caller)?))
}

/// Create a customer in the caller's subtree (admin, manager, rm).
#[utoipa::path(
    tag = "customers",
    request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses((status = 201, body = Customer), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/customers")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewCustomer>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageCustomers)?;
    let new = body.value;
    let inner_caller = caller.clone();
    let key = state.search_key.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let caller = inner_caller;
        let ctx = Ctx::load(conn, &caller)?;
        let row = engine::create(conn, &ctx, new)?;
        if let Some(national_id) = &row.national_id {
            crate::national_ids::store(conn, &key, &row.id, national_id)?;
        }
        Customer::view(row, &caller)
    })
    .await
}

/// Change a customer (admin, manager, rm).
#[utoipa::path(
    tag = "customers",
    request_body = CustomerPatch,
    params(("If-Match" = Option<String>, Header, description = "the version you read")),
    responses((status = 200, body = Customer), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[patch("/customers/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<CustomerPatch>,
) -> AppResult<web::Json<Customer>> {
    caller.require(Permission::ManageCustomers)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    let id = id.into_inner();
    let view_caller = caller.clone();
    let key = state.search_key.clone();
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let row = engine::update(conn, &ctx, &id, patch, expected)?;
            if let Some(national_id) = &row.national_id {
                crate::national_ids::store(conn, &key, &row.id, national_id)?;
            }
            Ok(row)
        })
        .await?;
    Ok(web::Json(Customer::view(row, &view_caller)?))
}

/// Link two customers in the caller's scope: guarantor or same group.
#[utoipa::path(
    tag = "customers",
    request_body = NewRelation,
    responses((status = 201, body = Relation), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/customers/{id}/relations")]
pub async fn add_relation(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<NewRelation>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageCustomers)?;
    let new = body.value;
    let id = id.into_inner();
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        Relation::try_from(engine::relate(conn, &ctx, &id, new)?)
    })
    .await
}

/// The customer's relations, both directions.
#[utoipa::path(tag = "customers", responses((status = 200, body = Vec<Relation>)))]
#[get("/customers/{id}/relations")]
pub async fn relations(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<Relation>>> {
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            let customer = scoped_customer(conn, &caller, &id)?;
            db::customers::relations(conn, &customer.id)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(Relation::try_from)
            .collect::<AppResult<Vec<_>>>()?,
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(add_relation)
        .service(relations);
}
