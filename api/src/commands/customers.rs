//! Customers: create, change and relate. A change re-checks the customer's invariants on the state
//! it produces (A-3 caps, A-6, A-10), moves its flags and checks with it to a new unit (O-1) and is
//! audited (M-2), all in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{customer_state, field_checks, flags, Ctx};
use crate::bounded::{RecordId, Text200, Text32};
use crate::db::audit::{self, Change};
use crate::db::customers::{CustomerRow, RelationRow};
use crate::db::org_units::OrgUnitRow;
use crate::db::{self, DbConn};
use crate::domain::customer::{
    join_categories, Category, CustomerKind, CustomerSize, RelationKind,
};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// The bank's customer number (客户号); unique.
    #[schema(example = "C000123456")]
    pub customer_no: Option<Text32>,
    #[schema(example = "Acme Steel Ltd")]
    pub name: Text200,
    pub kind: CustomerKind,
    pub org_unit_id: RecordId,
    pub size: Option<CustomerSize>,
    pub tier: Option<Text32>,
    #[serde(default)]
    pub is_key_account: bool,
    #[serde(default)]
    pub is_vip: bool,
    #[serde(default)]
    pub categories: Vec<Category>,
    pub national_id: Option<Text32>,
    pub phone: Option<Text32>,
}

/// Changes to a customer; send `version` (or `If-Match`). `null` clears an optional field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<Text200>,
    pub org_unit_id: Option<RecordId>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<CustomerSize>)]
    pub size: Option<Option<CustomerSize>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<Text32>)]
    pub tier: Option<Option<Text32>>,
    pub is_key_account: Option<bool>,
    pub is_vip: Option<bool>,
    pub categories: Option<Vec<Category>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<Text32>)]
    pub phone: Option<Option<Text32>>,
    pub version: Option<i64>,
}

/// A guarantee or group link between two customers (R-2 `related_party`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    pub related_customer_id: RecordId,
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
            created_at: crate::http::utc(r.created_at),
        })
    }
}

/// whether these markers alone call for a second RM.
fn needs_second_rm(categories: &[Category]) -> bool {
    categories.iter().any(|c| c.needs_two_rms())
}

/// A new customer in the caller's subtree; entering A-6 requires a check (D-5).
pub fn create(conn: &mut DbConn, ctx: &Ctx, new: NewCustomer) -> AppResult<CustomerRow> {
    let unit = db::org_units::referenced(conn, &ctx.scope, &new.org_unit_id, "org_unit_id")?;
    let row = new_row(ctx, new, unit);
    db::customers::insert(conn, &row)?;
    field_checks::on_entering_a6(conn, ctx, &row, false)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("customer.create", "customer", &row.id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}

/// The row of a new customer in `unit` (A-6: one with a dual-assignment marker needs a second RM
/// from now).
pub fn new_row(ctx: &Ctx, new: NewCustomer, unit: OrgUnitRow) -> CustomerRow {
    CustomerRow {
        id: crate::http::new_id(),
        customer_no: new.customer_no.map(|n| n.trim().to_string()),
        name: new.name.trim().to_string(),
        kind: new.kind.as_str().into(),
        org_unit_id: unit.id,
        org_path: unit.path,
        size: new.size.map(|s| s.as_str().into()),
        tier: new.tier.map(String::from),
        categories: join_categories(&new.categories),
        is_key_account: new.is_key_account,
        is_vip: new.is_vip,
        national_id: new.national_id.map(String::from),
        phone: new.phone.map(String::from),
        needs_second_rm_since: needs_second_rm(&new.categories).then_some(ctx.now),
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        national_id_hash: None,
    }
}

/// A change to a customer, at the version the caller read.
pub fn update(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    patch: CustomerPatch,
    expected: i64,
) -> AppResult<CustomerRow> {
    db::assignments::lock_customer(conn, id, &ctx.actor.clock)?;
    let before = db::customers::find(conn, id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or(AppError::NotFound("customer"))?;
    crate::http::check_version(before.version, expected, "the customer")?;
    let (_, facts_before) = super::assignments::customer_facts(conn, ctx, id)?;
    let holders: Vec<_> = db::assignments::active_for_customer(conn, id)?
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let state = customer_state::before(conn, id, &facts_before, &holders)?;
    let mut after = before.clone();
    if let Some(v) = patch.name {
        after.name = v.trim().to_string();
    }
    if let Some(unit_id) = &patch.org_unit_id {
        let unit = db::org_units::referenced(conn, &ctx.scope, unit_id, "org_unit_id")?;
        after.org_unit_id = unit.id;
        after.org_path = unit.path;
    }
    if let Some(v) = patch.size {
        after.size = v.map(|s| s.as_str().into());
    }
    if let Some(v) = patch.tier {
        after.tier = v.map(String::from);
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
        let (_, flagged) = flags::risk_state(conn, &before.id)?;
        after.needs_second_rm_since = match (needed_before, needs_second_rm(v) || flagged) {
            (false, true) => Some(ctx.now),
            (true, true) => before.needs_second_rm_since,
            (_, false) => None,
        };
    }
    if let Some(v) = patch.phone {
        after.phone = v.map(String::from);
    }
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    db::customers::update(conn, &after, expected)?;
    if after.org_path != before.org_path {
        // O-1: the customer's flags, checks and pending approvals move with it.
        db::customers::rescope(conn, &after.id, &after.org_path)?;
    }
    let (_, facts_after) = super::assignments::customer_facts(conn, ctx, id)?;
    customer_state::check(conn, ctx, &state, &facts_after)?;
    field_checks::on_entering_a6(conn, ctx, &after, before.needs_second_rm_since.is_some())?;
    if after.tier != before.tier {
        db::customers::record_tier_change(
            conn,
            &after.id,
            before.tier.as_deref(),
            after.tier.as_deref(),
            after.updated_at,
        )?;
    }
    audit::record(
        conn,
        &ctx.actor,
        Change::new("customer.update", "customer", &after.id, &after.org_path)
            .before(&before)?
            .after(&after)?,
    )?;
    Ok(after)
}

/// Links two customers in the caller's scope: guarantor or same group; a link is
/// recorded once.
pub fn relate(conn: &mut DbConn, ctx: &Ctx, id: &str, new: NewRelation) -> AppResult<RelationRow> {
    let customer = db::customers::find(conn, id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or(AppError::NotFound("customer"))?;
    let customer_path = customer.org_path.clone();
    if *new.related_customer_id == customer.id {
        return Err(AppError::field(
            "related_customer_id",
            "a customer cannot be related to itself",
        ));
    }
    db::customers::find(conn, &new.related_customer_id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or_else(|| AppError::field("related_customer_id", "no such customer in your scope"))?;
    let row = RelationRow {
        id: crate::http::new_id(),
        customer_id: customer.id,
        related_customer_id: new.related_customer_id.into_string(),
        kind: new.kind.as_str().into(),
        created_at: ctx.now,
    };
    db::customers::insert_relation(conn, &row).map_err(|e| match e {
        AppError::Duplicate(_) => AppError::Duplicate("this relation is recorded already".into()),
        other => other,
    })?;
    let view = Relation::try_from(row.clone())?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "customer.relate",
            "customer",
            &view.customer_id,
            &customer_path,
        )
        .after(&view)?,
    )?;
    Ok(row)
}
