//! `GET /overview`: what a risk officer, manager or auditor looks at first, over the caller's
//! subtree (or one unit of it): open flags by kind and severity, the R-4 bands of the unit's
//! direct sub-units (drill down with `org_unit_id`) and its riskiest RMs from their latest
//! evaluation, required checks (D-5), pending approvals (M-1), open exit cases and the last
//! twelve months. Its size does not grow with the bank: a head office sees its regions, a region
//! its branches, a branch its teams and RMs.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{self, overview as store};
use crate::domain::flag::{FlagKind, Severity};
use crate::domain::portfolio::{band, band_floors, indicator, RiskBand};
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

/// The most RMs `rm_risk` lists (the riskiest first, ties at the cut by RM id); the others are
/// counted in `units`.
pub const RM_RISK_LIMIT: usize = 50;

/// One RM's overdue-interest ratio over the customers held as primary at its latest R-4
/// evaluation (`as_of`).
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
    /// The date of the evaluation the figures come from.
    pub as_of: NaiveDate,
}

/// How many RMs of a unit's subtree stand in each R-4 band (RMs whose ratio applies).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BandCounts {
    pub normal: u32,
    pub above_normal: u32,
    pub action_required: u32,
    pub out_of_control: u32,
}

/// One direct sub-unit of the overview's unit: its RMs' latest R-4 figures, pooled.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRisk {
    pub org_unit_id: String,
    pub name: String,
    pub kind: String,
    /// RMs with an evaluated book.
    pub rms: u32,
    pub loan_customers: u64,
    pub overdue_customers: u64,
    /// Overdue customers over loan customers, the unit's RMs pooled.
    #[schema(value_type = String, example = "0.0412")]
    pub overdue_ratio: Decimal,
    pub rms_by_band: BandCounts,
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
    /// The riskiest RMs of the unit's subtree (up to 50), highest ratio first.
    pub rm_risk: Vec<RmRisk>,
    /// RMs of the subtree with an evaluated book (`rm_risk` lists up to 50 of them).
    pub rms_evaluated: u32,
    /// The unit's direct sub-units with their pooled R-4 figures, for drill-down.
    pub units: Vec<UnitRisk>,
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

            let (_, children) = db::org_units::with_children(conn, &scope)?;
            let mut units: Vec<UnitRisk> = children
                .iter()
                .map(|u| UnitRisk {
                    org_unit_id: u.id.clone(),
                    name: u.name.clone(),
                    kind: u.kind.clone(),
                    rms: 0,
                    loan_customers: 0,
                    overdue_customers: 0,
                    overdue_ratio: Decimal::ZERO,
                    rms_by_band: BandCounts::default(),
                })
                .collect();
            let floors = band_floors(&policy);
            let mut rms_evaluated = 0u32;
            for books in store::unit_books(conn, &scope, policy.risk.min_loans_for_ratios, floors)?
            {
                let count = |n: i64| u32::try_from(n).unwrap_or(0);
                rms_evaluated += count(books.rms);
                let Some(unit) = children
                    .iter()
                    .position(|u| books.org_path.starts_with(&u.path))
                    .map(|i| &mut units[i])
                else {
                    continue;
                };
                unit.rms += count(books.rms);
                unit.loan_customers += u64::try_from(books.loan_customers).unwrap_or(0);
                unit.overdue_customers += u64::try_from(books.overdue_customers).unwrap_or(0);
                let bands = &mut unit.rms_by_band;
                bands.normal += count(books.ratio_applies - books.from_above_normal);
                bands.above_normal += count(books.from_above_normal - books.from_action_required);
                bands.action_required += count(books.from_action_required - books.out_of_control);
                bands.out_of_control += count(books.out_of_control);
            }
            for unit in &mut units {
                if unit.loan_customers > 0 {
                    unit.overdue_ratio = (Decimal::from(unit.overdue_customers)
                        / Decimal::from(unit.loan_customers))
                    .round_dp(4);
                }
            }
            let riskiest = store::riskiest(conn, &scope, RM_RISK_LIMIT)?;
            let riskiest: Vec<&str> = riskiest.iter().map(String::as_str).collect();
            let mut rm_risk: Vec<RmRisk> = store::rm_indicators_of(conn, &riskiest)?
                .into_iter()
                .map(|row| {
                    let loans = u32::try_from(row.loan_customers).unwrap_or(0);
                    let overdue = u32::try_from(row.overdue_customers).unwrap_or(0);
                    let ind = indicator(loans, overdue, row.as_of, &policy);
                    RmRisk {
                        band: band(ind.overdue_ratio, &policy),
                        rm_id: row.rm_id,
                        name: row.name,
                        org_unit_id: row.org_unit_id,
                        loan_customers: loans,
                        overdue_customers: overdue,
                        overdue_ratio: ind.overdue_ratio,
                        ratio_applies: ind.ratio_applies,
                        as_of: row.as_of,
                    }
                })
                .collect();
            rm_risk.sort_by(|a, b| {
                b.overdue_ratio
                    .cmp(&a.overdue_ratio)
                    .then_with(|| a.name.cmp(&b.name))
                    .then_with(|| a.rm_id.cmp(&b.rm_id))
            });

            let (due, overdue) = store::open_required_checks(conn, &scope, today)?;
            let this_month = today.with_day(1).unwrap_or(today);
            let first = this_month
                .checked_sub_months(Months::new(11))
                .unwrap_or(this_month);
            let mut scores: BTreeMap<String, (Decimal, u32)> = BTreeMap::new();
            for (month, total, rms) in
                store::score_totals_since(conn, &scope, &first.format("%Y-%m").to_string())?
            {
                let total: Decimal = total.parse().map_err(|_| {
                    crate::error::AppError::Internal(format!("corrupt score total {total:?}"))
                })?;
                let entry = scores.entry(month).or_default();
                entry.0 += total * Decimal::from(rms);
                entry.1 += u32::try_from(rms).unwrap_or(0);
            }
            let opened = store::opened_since(
                conn,
                &scope,
                clock.instant_of(first, chrono::NaiveTime::MIN),
            )?;
            let mut trends = Vec::with_capacity(12);
            let mut month = first;
            while month <= this_month {
                let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
                let (from, to) = (
                    clock.instant_of(month, chrono::NaiveTime::MIN),
                    clock.instant_of(next, chrono::NaiveTime::MIN),
                );
                let count = |per_minute: &[(chrono::NaiveDateTime, i64)]| {
                    per_minute
                        .iter()
                        .filter(|(t, _)| *t >= from && *t < to)
                        .map(|(_, n)| n)
                        .sum::<i64>()
                };
                let (flags_raised, checks_required, exit_cases_opened) =
                    (count(&opened[0]), count(&opened[1]), count(&opened[2]));
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
                rms_evaluated,
                units,
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
