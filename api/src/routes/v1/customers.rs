//! Customers: `GET/POST /customers`, `GET/PATCH /customers/{id}`, relations and assignment history.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::commands::customer_state;
use crate::db::audit::Change;
use crate::db::{self, customers::CustomerRow, customers::RelationRow, DbConn};
use crate::domain::customer::{
    join_categories, split_categories, Category, CustomerKind, CustomerSize, RelationKind,
};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A customer (客户).
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: String,
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Acme Steel Ltd")]
    pub name: String,
    pub kind: CustomerKind,
    #[validate(length(min = 1, max = 64))]
    pub org_unit_id: String,
    pub size: Option<CustomerSize>,
    #[validate(length(min = 1, max = 32))]
    pub tier: Option<String>,
    #[serde(default)]
    pub is_key_account: bool,
    #[serde(default)]
    pub is_vip: bool,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[validate(length(min = 1, max = 32))]
    pub national_id: Option<String>,
    #[validate(length(min = 1, max = 32))]
    pub phone: Option<String>,
}

/// Changes to a customer; send `version` (or `If-Match`). `null` clears an optional field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    pub org_unit_id: Option<String>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<CustomerSize>)]
    pub size: Option<Option<CustomerSize>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub tier: Option<Option<String>>,
    pub is_key_account: Option<bool>,
    pub is_vip: Option<bool>,
    pub categories: Option<Vec<Category>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub version: Option<i64>,
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
    /// Name starts with this text.
    pub name: Option<String>,
    /// Only the customers this RM holds now, in any role (the RM's portfolio).
    pub rm_id: Option<String>,
}

/// A guarantee or group link between two customers (R-2 `related_party`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    #[validate(length(min = 1, max = 64))]
    pub related_customer_id: String,
    pub kind: RelationKind,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Relation {
    pub id: String,
    pub customer_id: String,
    pub related_customer_id: String,
    /// `guarantor_of`: `customer_id` guarantees `related_customer_id`.
    pub kind: RelationKind,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<RelationRow> for Relation {
    type Error = AppError;

    fn try_from(r: RelationRow) -> AppResult<Self> {
        Ok(Relation {
            kind: RelationKind::stored(&r.kind)?,
            id: r.id,
            customer_id: r.customer_id,
            related_customer_id: r.related_customer_id,
            created_at: http::utc(r.created_at),
        })
    }
}

/// any marker that calls for two RMs.
fn needs_second_rm(categories: &[Category]) -> bool {
    categories.iter().any(|c| c.needs_two_rms())
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
    let scope_caller = caller.clone();
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &scope_caller.org_path, q.org_unit_id.as_deref())?;
            let filter = db::customers::Filter {
                kind: q.kind.map(|v| v.as_str().into()),
                is_key_account: q.is_key_account,
                is_vip: q.is_vip,
                category: q.category.map(|v| v.as_str().into()),
                name_prefix: q.name,
                rm_id: q.rm_id,
            };
            db::customers::list(conn, &scope, &filter, after.as_deref(), limit)
        })
        .await?;
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| Customer::view(r, &caller),
    )?))
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
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let caller = inner_caller;
        let unit =
            db::org_units::referenced(conn, &caller.org_path, &new.org_unit_id, "org_unit_id")?;
        let now = caller.now();
        let row = CustomerRow {
            id: http::new_id(),
            name: new.name.trim().to_string(),
            kind: new.kind.as_str().into(),
            org_unit_id: unit.id,
            org_path: unit.path,
            size: new.size.map(|s| s.as_str().into()),
            tier: new.tier,
            categories: join_categories(&new.categories),
            is_key_account: new.is_key_account,
            is_vip: new.is_vip,
            national_id: new.national_id,
            phone: new.phone,
            needs_second_rm_since: needs_second_rm(&new.categories).then_some(now),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        db::customers::insert(conn, &row)?;
        {
            let ctx = crate::commands::Ctx::load(conn, &caller)?;
            crate::commands::field_checks::on_entering_a6(conn, &ctx, &row, false)?;
        }
        db::audit::record(
            conn,
            &caller.actor(),
            Change::new("customer.create", "customer", &row.id, &row.org_path).after(&row)?,
        )?;
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
    let row = state
        .db
        .write(move |conn| {
            let ctx = crate::commands::Ctx::load(conn, &caller)?;
            db::assignments::lock_customer(conn, &id, &caller.clock)?;
            let before = scoped_customer(conn, &caller, &id)?;
            http::check_version(before.version, expected, "the customer")?;
            let state = customer_state::before(conn, &ctx, &id)?;
            let mut after = before.clone();
            if let Some(v) = patch.name {
                after.name = v.trim().to_string();
            }
            if let Some(unit_id) = &patch.org_unit_id {
                let unit =
                    db::org_units::referenced(conn, &caller.org_path, unit_id, "org_unit_id")?;
                after.org_unit_id = unit.id;
                after.org_path = unit.path;
            }
            if let Some(v) = patch.size {
                after.size = v.map(|s| s.as_str().into());
            }
            if let Some(v) = patch.tier {
                if v.as_ref().is_some_and(|t| t.is_empty() || t.len() > 32) {
                    return Err(AppError::field("tier", "length must be between 1 and 32"));
                }
                after.tier = v;
            }
            if let Some(v) = patch.is_key_account {
                after.is_key_account = v;
            }
            if let Some(v) = patch.is_vip {
                after.is_vip = v;
            }
            if let Some(v) = &patch.categories {
                after.categories = join_categories(v);
                let needed_before = before.needs_second_rm_since.is_some();
                // an open flag keeps the customer on the queue whatever its markers.
                let (_, flagged) = crate::commands::flags::risk_state(conn, &before.id)?;
                after.needs_second_rm_since = match (needed_before, needs_second_rm(v) || flagged) {
                    (false, true) => Some(caller.now()),
                    (true, true) => before.needs_second_rm_since,
                    (_, false) => None,
                };
            }
            if let Some(v) = patch.phone {
                after.phone = v;
            }
            after.version = before.version + 1;
            after.updated_at = caller.now();
            db::customers::update(conn, &after, expected)?;
            if after.org_path != before.org_path {
                // O-1: the customer's flags and checks move with it; its scope is its unit's.
                db::customers::rescope(conn, &after.id, &after.org_path)?;
            }
            customer_state::check(conn, &ctx, &state)?;
            crate::commands::field_checks::on_entering_a6(
                conn,
                &ctx,
                &after,
                before.needs_second_rm_since.is_some(),
            )?;
            if after.tier != before.tier {
                db::customers::record_tier_change(
                    conn,
                    &after.id,
                    before.tier.as_deref(),
                    after.tier.as_deref(),
                    after.updated_at,
                )?;
            }
            db::audit::record(
                conn,
                &caller.actor(),
                Change::new("customer.update", "customer", &after.id, &after.org_path)
                    .before(&before)?
                    .after(&after)?,
            )?;
            Ok(after)
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
    let inner_caller = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let caller = inner_caller;
        let customer = scoped_customer(conn, &caller, &id)?;
        let customer_path = customer.org_path.clone();
        if new.related_customer_id == customer.id {
            return Err(AppError::field(
                "related_customer_id",
                "a customer cannot be related to itself",
            ));
        }
        db::customers::find(conn, &new.related_customer_id)?
            .filter(|c| in_scope(&caller.org_path, &c.org_path))
            .ok_or_else(|| {
                AppError::field("related_customer_id", "no such customer in your scope")
            })?;
        let row = RelationRow {
            id: http::new_id(),
            customer_id: customer.id,
            related_customer_id: new.related_customer_id,
            kind: new.kind.as_str().into(),
            created_at: caller.now(),
        };
        db::customers::insert_relation(conn, &row).map_err(|e| match e {
            AppError::Duplicate(_) => {
                AppError::Duplicate("this relation is recorded already".into())
            }
            other => other,
        })?;
        let view = Relation::try_from(row)?;
        db::audit::record(
            conn,
            &caller.actor(),
            Change::new(
                "customer.relate",
                "customer",
                &view.customer_id,
                &customer_path,
            )
            .after(&view)?,
        )?;
        Ok(view)
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
