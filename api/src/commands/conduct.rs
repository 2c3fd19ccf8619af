//! Complaints and incidents about RMs (R-1 inputs for X-2): recorded against an RM in the caller's
//! scope, never dated in the future, and audited (M-2) in the caller's transaction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::Ctx;
use crate::bounded::{RecordId, Text5000};
use crate::db::audit::{self, Change};
use crate::db::conduct::{self as store, ComplaintRow, IncidentRow};
use crate::db::rms::RmRow;
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    pub customer_id: RecordId,
    pub rm_id: RecordId,
    #[schema(example = "2026-05-01")]
    pub received_on: NaiveDate,
    /// Only verified complaints count towards X-2 item 3.
    pub verified: bool,
    pub summary: Text5000,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq)]
pub enum IncidentItem {
    /// Negligence or untrue investigation information causing a loan loss.
    #[serde(rename = "X-2.1")]
    LoanLoss,
    /// Not acting or reporting in time, causing asset loss or loss of major business.
    #[serde(rename = "X-2.2")]
    NotActing,
    /// Falsification or other violations.
    #[serde(rename = "X-2.4")]
    Falsification,
    /// Unauthorised business, off-book operations, misuse of funds (forced exit).
    #[serde(rename = "X-3")]
    ForcedExitViolation,
}

impl IncidentItem {
    fn as_str(self) -> &'static str {
        match self {
            IncidentItem::LoanLoss => "X-2.1",
            IncidentItem::NotActing => "X-2.2",
            IncidentItem::Falsification => "X-2.4",
            IncidentItem::ForcedExitViolation => "X-3",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub rm_id: RecordId,
    pub item: IncidentItem,
    pub occurred_on: NaiveDate,
    pub description: Text5000,
    /// Incidents are entered with evidence.
    pub evidence: Text5000,
}

fn scoped_rm(conn: &mut DbConn, scope: &str, rm_id: &str) -> AppResult<RmRow> {
    db::rms::find(conn, rm_id)?
        .filter(|r| in_scope(scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))
}

/// A customer complaint about an RM; only verified ones count towards X-2 item 3.
pub fn complain(conn: &mut DbConn, ctx: &Ctx, new: NewComplaint) -> AppResult<ComplaintRow> {
    if new.received_on > ctx.today {
        return Err(AppError::field("received_on", "must not be in the future"));
    }
    let rm = scoped_rm(conn, &ctx.scope, &new.rm_id)?;
    db::customers::find(conn, &new.customer_id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or_else(|| AppError::field("customer_id", "no such customer in your scope"))?;
    let row = ComplaintRow {
        id: crate::http::new_id(),
        customer_id: new.customer_id.into_string(),
        rm_id: rm.id,
        received_on: new.received_on,
        verified: new.verified,
        summary: new.summary.into_string(),
        org_path: rm.org_path,
        recorded_by: ctx.actor.username.clone(),
        created_at: ctx.now,
    };
    store::insert_complaint(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("complaint.record", "rm", &row.rm_id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}

/// An incident about an RM with evidence: X-2 items 1, 2, 4 and X-3 violations, the inputs of exit
/// reviews.
pub fn incident(conn: &mut DbConn, ctx: &Ctx, new: NewIncident) -> AppResult<IncidentRow> {
    if new.occurred_on > ctx.today {
        return Err(AppError::field("occurred_on", "must not be in the future"));
    }
    let rm = scoped_rm(conn, &ctx.scope, &new.rm_id)?;
    let row = IncidentRow {
        id: crate::http::new_id(),
        rm_id: rm.id,
        item: new.item.as_str().into(),
        occurred_on: new.occurred_on,
        description: new.description.into_string(),
        evidence: new.evidence.into_string(),
        org_path: rm.org_path,
        recorded_by: ctx.actor.username.clone(),
        created_at: ctx.now,
    };
    store::insert_incident(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("incident.record", "rm", &row.rm_id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}
