//! D-6 activities besides field checks: calls and reports of customers' important events, logged
//! by the RM's own login or by a manager in scope, and audited (M-2) in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::Ctx;
use crate::bounded::{RecordId, Text5000};
use crate::db::audit::{self, Change};
use crate::db::field_checks::{self as store, ActivityRow};
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

crate::domain::text_enum! {
    /// D-6 activities besides field checks.
    ActivityKind {
        Call => "call",
        /// A customer's important event, which must be reported (003 第五篇第六条).
        ImportantEvent => "important_event",
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    pub rm_id: RecordId,
    pub customer_id: Option<RecordId>,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub summary: Text5000,
}

/// D-6: logs a call or a customer's important event for an RM in the caller's scope. An RM logs
/// their own activity; `for_others` (a manager's permission, checked by the caller) allows logging
/// for the RMs in scope.
pub fn log(
    conn: &mut DbConn,
    ctx: &Ctx,
    new: NewActivity,
    for_others: bool,
) -> AppResult<ActivityRow> {
    let rm = db::rms::find(conn, &new.rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    let own = match &ctx.actor.user_id {
        Some(user_id) => {
            db::users::find(conn, user_id)?
                .and_then(|u| u.rm_id)
                .as_deref()
                == Some(rm.id.as_str())
        }
        None => false,
    };
    if !own && !for_others {
        return Err(AppError::Forbidden(
            "an RM logs their own activity; managers may log for their RMs".into(),
        ));
    }
    if let Some(customer) = &new.customer_id {
        db::customers::find(conn, customer)?
            .filter(|c| in_scope(&ctx.scope, &c.org_path))
            .ok_or_else(|| AppError::field("customer_id", "no such customer in your scope"))?;
    }
    let row = ActivityRow {
        id: crate::http::new_id(),
        rm_id: rm.id,
        customer_id: new.customer_id.map(String::from),
        kind: new.kind.as_str().into(),
        occurred_at: audit::truncate(new.occurred_at.naive_utc()),
        summary: new.summary.into_string(),
        org_path: rm.org_path,
        recorded_by: ctx.actor.username.clone(),
        created_at: ctx.now,
    };
    store::insert_activity(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("activity.log", "rm", &row.rm_id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}
