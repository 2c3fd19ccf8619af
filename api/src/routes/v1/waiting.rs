//! `GET /me/waiting`: what waits for the signed-in person, counted by what their roles and their
//! RM record let them do: approvals to decide (M-1), dual checks to confirm as the second RM
//! (D-3), their customers' required checks (D-5), exit cases for the committee, handover
//! plans to confirm, flags to acknowledge and their unit's overdue checks. The
//! dashboard's first screen and its navigation badges read it.

use actix_web::{get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::{self, waiting as store};
use crate::domain::role::{split_roles, Permission, Role};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;

/// Counts of what waits for the caller; zero for what their roles cannot do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Waiting {
    /// The business date the counts are of (P-2).
    pub as_of: NaiveDate,
    /// The server's business clock now (P-2): what a page measures ages and months against,
    /// not the browser's clock.
    pub now: DateTime<Utc>,
    /// Pending approvals in scope that one of the caller's roles may decide and that the caller
    /// did not make (M-1). The API still refuses a checker the maker granted (M-4) or who is the
    /// maker's same person by national ID.
    pub approvals_to_decide: i64,
    /// Dual checks waiting for the caller's own confirmation as the second RM (D-3).
    pub checks_to_confirm: i64,
    /// Open required checks of the customers the caller holds as RM, not yet due (D-5).
    pub my_checks_due: i64,
    /// Open required checks of the caller's customers past their due date (D-5).
    pub my_checks_overdue: i64,
    /// Exit cases waiting for the committee, not proposed by the caller.
    pub cases_to_decide: i64,
    /// Handover plans waiting to be reviewed and confirmed.
    pub handovers_to_confirm: i64,
    /// Flags raised and not yet acknowledged in the caller's unit.
    pub flags_to_acknowledge: i64,
    /// Required checks past their due date anywhere in the caller's unit (D-5).
    pub unit_checks_overdue: i64,
}

/// What waits for the signed-in person (every role).
#[utoipa::path(tag = "users", responses((status = 200, body = Waiting)))]
#[get("/me/waiting")]
pub async fn waiting(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<Waiting>> {
    let today = caller.today();
    let now = crate::http::utc(caller.now());
    let waiting = state
        .db
        .read(move |conn| {
            let me = db::users::find(conn, &caller.user_id)?.ok_or(AppError::Unauthorized(
                "the user of this token no longer exists",
            ))?;
            let scope = caller.org_path.as_str();
            let approvals_to_decide =
                store::pending_approvals_of_others(conn, scope, &caller.user_id)?
                    .iter()
                    .filter(|roles| split_roles(roles).iter().any(|r| caller.roles.contains(r)))
                    .count() as i64;
            let (checks_to_confirm, (my_checks_due, my_checks_overdue)) = match &me.rm_id {
                Some(rm_id) => (
                    store::checks_to_confirm(conn, rm_id)?,
                    store::my_required_checks(conn, rm_id, today)?,
                ),
                None => (0, (0, 0)),
            };
            let oversees = caller
                .roles
                .iter()
                .any(|r| matches!(r, Role::Admin | Role::Manager | Role::RiskOfficer));
            Ok(Waiting {
                as_of: today,
                now,
                approvals_to_decide,
                checks_to_confirm,
                my_checks_due,
                my_checks_overdue,
                cases_to_decide: if caller.may(Permission::DecideExit) {
                    store::cases_to_decide(conn, scope, &caller.username)?
                } else {
                    0
                },
                handovers_to_confirm: if caller.may(Permission::ManageAssignments) {
                    store::handovers_to_confirm(conn, scope)?
                } else {
                    0
                },
                flags_to_acknowledge: if oversees {
                    store::flags_to_acknowledge(conn, scope)?
                } else {
                    0
                },
                unit_checks_overdue: if oversees {
                    db::overview::open_required_checks(conn, scope, today)?.1
                } else {
                    0
                },
            })
        })
        .await?;
    Ok(web::Json(waiting))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(waiting);
}
