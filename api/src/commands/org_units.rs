//! Org units (O-1): a new unit sits below its parent's kind, inside the caller's subtree, and is
//! audited (M-2) in the caller's transaction.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::Ctx;
use crate::bounded::{RecordId, Text200, Text32};
use crate::db::audit::{self, Change};
use crate::db::org_units::OrgUnitRow;
use crate::db::{self, DbConn};
use crate::domain::org::{check_placement, child_path, OrgUnitKind};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgUnit {
    #[schema(example = "Pudong Branch")]
    pub name: Text200,
    pub kind: OrgUnitKind,
    pub parent_id: RecordId,
    /// The bank's unit code (机构号); unique.
    #[schema(example = "310115")]
    pub code: Option<Text32>,
}

/// O-1: a new unit under a parent in the caller's subtree; its kind must sit below the parent's.
pub fn create(conn: &mut DbConn, ctx: &Ctx, new: NewOrgUnit) -> AppResult<OrgUnitRow> {
    let parent = db::org_units::referenced(conn, &ctx.scope, &new.parent_id, "parent_id")?;
    let parent_kind = OrgUnitKind::stored(&parent.kind)?;
    check_placement(new.kind, parent_kind)
        .map_err(|msg| AppError::rule("O-1", "invalid_org_placement", msg))?;
    let id = crate::http::new_id();
    let row = OrgUnitRow {
        path: child_path(&parent.path, &id),
        id,
        name: new.name.trim().to_string(),
        kind: new.kind.as_str().into(),
        parent_id: Some(parent.id),
        depth: parent.depth + 1,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        code: new.code.map(|c| c.trim().to_string()),
    };
    db::org_units::insert(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("org_unit.create", "org_unit", &row.id, &row.path).after(&row)?,
    )?;
    Ok(row)
}
