//! `GET /overview`: what a risk officer, manager or auditor looks at first, over the caller's
//! subtree (or one unit of it): open flags by kind and severity, every RM's overdue-interest
//! ratio in the R-4 bands, required checks (D-5), pending approvals (M-1), open exit cases
//! and the last twelve months.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{self, overview as store};
use crate::domain::flag::{FlagKind, Severity};
use crate::domain::portfolio::{band, indicator, RiskBand};
use crate::error::AppResult;
use crate::http::Query;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewFilter {
    /// A unit inside the caller's scope; the caller's whole scope when absent.
    pub org_unit_id: Option<String>,
}

/// Unresolved (open or acknowledged) flags of one kind and severity.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagCount {
    pub kind: FlagKind,
    pub severity: Severity,
    pub count: i64,
}

/// One RM's overdue-interest ratio today over the customers held as primary.
#[derive(Debug, Serialize, ToSchema)]
pub struct RmRisk {
    pub rm_id: String,
    pub name: String,
    pub org_unit_id: String,
    pub loan_customers: u32,
    pub overdue_customers: u32,
    #[schema(value_type = String, example = "0.0625")]
    pub overdue_ratio: Decimal,
    pub band: RiskBand,
    /// Below the policy minimum of loans the ratio raises no alert.
    pub ratio_applies: bool,
}

/// The R-4 bands the heat map is drawn against (policy P-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct Bands {
    #[schema(value_type = String, example = "0.05")]
    pub normal: Decimal,
    #[schema(value_type = String, example = "0.10")]
    pub action_required: Decimal,
    #[schema(value_type = String, example = "0.20")]
    pub out_of_control: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequiredChecks {
    /// Open and not yet due.
    pub due: i64,
    /// Open past their due date (D-5).
    pub overdue: i64,
}

/// One calendar month of the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthTrend {
    #[schema(example = "2026-11")]
    pub month: String,
    pub flags_raised: i64,
    pub checks_required: i64,
    pub exit_cases_opened: i64,
    /// The average X-1 score of the month's scored RMs, when the month was run.
    #[schema(value_type = Option<String>, example = "87.5")]
    pub average_score: Option<Decimal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub as_of: NaiveDate,
    pub flags: Vec<FlagCount>,
    pub rm_risk: Vec<RmRisk>,
    pub bands: Bands,
    pub required_checks: RequiredChecks,
    pub approvals_pending: i64,
    pub exit_cases_open: i64,
    /// Jobs of the calendar whose last attempt for a date failed or was interrupted and that have
    /// not succeeded since (P-2): a missed control stands out. Shown to the roles that read the
    /// audit log; empty for the others.
    pub job_failures: Vec<super::jobs::JobRun>,
    /// The last twelve months, oldest first, the current month last.
    pub trends: Vec<MonthTrend>,
}

/// The overview of the caller's scope (every role): counts only, no personal data.
#[utoipa::path(tag = "flags", params(OverviewFilter), responses((status = 200, body = Overview)))]
#[get("/overview")]
pub async fn overview(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<OverviewFilter>,
) -> AppResult<web::Json<Overview>> {
    let unit = q.0.org_unit_id;
    let today = caller.today();
    let clock = caller.clock;
    let sees_jobs = caller.may(crate::domain::role::Permission::ReadAudit);
    let overview = state
        .db
        .read(move |conn| {
            let scope = db::org_units::list_scope(conn, &caller.org_path, unit.as_deref())?;
            let (_, policy) = db::policy::current(conn)?;
            let flags = store::unresolved_flags(conn, &scope)?
                .into_iter()
                .filter_map(|(kind, severity, count)| {
                    Some(FlagCount {
                        kind: FlagKind::parse(&kind)?,
                        severity: Severity::parse(&severity)?,
                        count,
                    })
                })
                .collect();

            let books = db::loans::books_at(conn, &scope, today, &clock)?;
            let ids: Vec<String> = books.loan_customers.keys().cloned().collect();
            let mut rm_risk: Vec<RmRisk> = db::rms::find_many(conn, &ids)?
                .into_iter()
                .map(|rm| {
                    let (rm_id, name, org_unit_id) = (rm.id, rm.name, rm.org_unit_id);
                    let loans = books.loan_customers.get(&rm_id).copied().unwrap_or(0);
                    let first = books.overdue.partition_point(|(r, _)| *r < rm_id);
                    let overdue = books.overdue[first..]
                        .iter()
                        .take_while(|(r, _)| *r == rm_id)
                        .count() as u32;
                    let ind = indicator(loans, overdue, today, &policy);
                    RmRisk {
                        band: band(ind.overdue_ratio, &policy),
                        rm_id,
                        name,
                        org_unit_id,
                        loan_customers: loans,
                        overdue_customers: overdue,
                        overdue_ratio: ind.overdue_ratio,
                        ratio_applies: ind.ratio_applies,
                    }
                })
                .collect();
            rm_risk.sort_by(|a, b| {
                b.overdue_ratio
                    .cmp(&a.overdue_ratio)
                    .then_with(|| a.name.cmp(&b.name))
            });

            let (due, overdue) = store::open_required_checks(conn, &scope, today)?;
            let this_month = today.with_day(1).unwrap_or(today);
            let first = this_month
                .checked_sub_months(Months::new(11))
                .unwrap_or(this_month);
            let mut scores: BTreeMap<String, (Decimal, u32)> = BTreeMap::new();
            for (month, total) in
                store::score_totals_since(conn, &scope, &first.format("%Y-%m").to_string())?
            {
                let entry = scores.entry(month).or_default();
                entry.0 += total.parse::<Decimal>().unwrap_or_default();
                entry.1 += 1;
            }
            let mut trends = Vec::with_capacity(12);
            let mut month = first;
            while month <= this_month {
                let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
                let (flags_raised, checks_required, exit_cases_opened) = store::opened_between(
                    conn,
                    &scope,
                    clock.instant_of(month, chrono::NaiveTime::MIN),
                    clock.instant_of(next, chrono::NaiveTime::MIN),
                )?;
                let label = month.format("%Y-%m").to_string();
                let average_score = scores
                    .get(&label)
                    .map(|(sum, n)| (sum / Decimal::from(*n)).round_dp(1));
                trends.push(MonthTrend {
                    month: label,
                    flags_raised,
                    checks_required,
                    exit_cases_opened,
                    average_score,
                });
                if next == month {
                    break;
                }
                month = next;
            }
            Ok(Overview {
                as_of: today,
                flags,
                rm_risk,
                bands: Bands {
                    normal: policy.risk.settlement_day_normal_ratio,
                    action_required: policy.risk.action_required_ratio,
                    out_of_control: policy.risk.out_of_control_ratio,
                },
                required_checks: RequiredChecks { due, overdue },
                approvals_pending: store::pending_approvals(conn, &scope)?,
                exit_cases_open: store::open_exit_cases(conn, &scope)?,
                job_failures: if sees_jobs {
                    db::jobs::unresolved_failures(conn)?
                        .into_iter()
                        .map(super::jobs::JobRun::try_from)
                        .collect::<AppResult<_>>()?
                } else {
                    Vec::new()
                },
                trends,
            })
        })
        .await?;
    Ok(web::Json(overview))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(overview);
}
