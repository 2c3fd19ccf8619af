//! Work queues for managers: customers that need a second RM and re-matching proposals
//! rotation after a long tenure, tier changes).

use actix_web::{get, web};
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{self, assignments as store};
use crate::domain::customer::{split_categories, Category};
use crate::error::{AppError, AppResult};
use crate::http::{self, Page, PageParams, Query};
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// Only this unit's subtree (default: the caller's whole scope).
    pub org_unit_id: Option<String>,
}

/// A customer that needs a second RM and does not have one.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondRmNeeded {
    pub customer_id: String,
    pub name: String,
    pub org_unit_id: String,
    /// The A-6 markers.
    pub categories: Vec<Category>,
    /// RMs holding the customer now.
    pub rms: u32,
    pub since: DateTime<Utc>,
    /// The second RM is due by this day (policy `assignment.second_rm_due_days`).
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// Customers with an A-6 marker and fewer than two RMs, with the due date of the second RM.
#[utoipa::path(tag = "assignments", params(UnitFilter, PageParams), responses((status = 200, body = Page<SecondRmNeeded>)))]
#[get("/queues/second-rm")]
pub async fn second_rm(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<UnitFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<SecondRmNeeded>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let today = caller.today();
    let clock = caller.clock;
    let (rows, counts, policy) = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.0.org_unit_id.as_deref())?;
            let page = store::needing_second_rm(conn, &scope, after.as_deref(), limit)?;
            let ids: Vec<String> = page.0.iter().map(|r| r.id.clone()).collect();
            Ok((
                page,
                store::holder_counts(conn, &ids)?,
                db::policy::current(conn)?.1,
            ))
        })
        .await?;
    let (rows, next) = rows;
    let items = rows
        .into_iter()
        .filter_map(|r| {
            let rms = counts.get(&r.id).copied().unwrap_or(0);
            let since = r.needs_second_rm_since?;
            (rms < 2).then(|| {
                let due_on = clock
                    .business_date(since)
                    .checked_add_days(Days::new(policy.assignment.second_rm_due_days.into()))
                    .unwrap_or(NaiveDate::MAX);
                SecondRmNeeded {
                    categories: split_categories(&r.categories)
                        .into_iter()
                        .filter(|c| c.needs_two_rms())
                        .collect(),
                    customer_id: r.id,
                    name: r.name,
                    org_unit_id: r.org_unit_id,
                    rms,
                    since: http::utc(since),
                    due_on,
                    overdue: today > due_on,
                }
            })
        })
        .collect();
    Ok(web::Json(Page {
        items,
        next_cursor: next.as_deref().map(http::encode_cursor),
    }))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// The same primary has held the customer longer than the policy period (default 3 years).
    Rotation,
    /// The customer's tier changed after the primary took it over.
    TierChange,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalFilter {
    pub kind: ProposalKind,
    /// Only this unit's subtree (default: the caller's whole scope).
    pub org_unit_id: Option<String>,
}

/// A proposal to re-match a customer with an RM; carried out as a reassignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RematchProposal {
    pub kind: ProposalKind,
    pub customer_id: String,
    pub rm_id: String,
    pub assignment_id: String,
    /// Since when this RM has held the customer as primary.
    pub held_since: DateTime<Utc>,
    /// For tier changes: when the tier changed.
    pub tier_changed_at: Option<DateTime<Utc>>,
}

/// A-8 proposals: rotation after the policy tenure, or re-matching after a tier change.
#[utoipa::path(tag = "assignments", params(ProposalFilter, PageParams), responses((status = 200, body = Page<RematchProposal>)))]
#[get("/queues/rematch")]
pub async fn rematch(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ProposalFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<RematchProposal>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let kind = q.0.kind;
    let unit = q.0.org_unit_id;
    let proposals = state
        .db
        .read(move |conn| {
            let scope = db::org_units::list_scope(conn, &caller.org_path, unit.as_deref())?;
            match kind {
                ProposalKind::Rotation => {
                    let (_, policy) = db::policy::current(conn)?;
                    let cutoff = caller
                        .now()
                        .checked_sub_months(Months::new(policy.assignment.rotation_years * 12))
                        .ok_or_else(|| AppError::Internal("rotation period out of range".into()))?;
                    let (rows, next) = store::primaries_held_before(
                        conn,
                        &scope,
                        cutoff,
                        after.as_deref(),
                        limit,
                    )?;
                    Ok((
                        rows.into_iter().map(|a| (a, None)).collect::<Vec<_>>(),
                        next,
                    ))
                }
                ProposalKind::TierChange => {
                    let rows: Vec<_> = store::primaries_after_tier_change(conn, &scope)?
                        .into_iter()
                        .filter(|(a, _)| after.as_deref().is_none_or(|c| a.id.as_str() > c))
                        .take(limit as usize + 1)
                        .map(|(a, at)| (a, Some(at)))
                        .collect();
                    Ok(db::next_cursor(rows, limit, |(a, _)| &a.id))
                }
            }
        })
        .await?;
    let (proposals, next) = proposals;
    Ok(web::Json(Page {
        items: proposals
            .into_iter()
            .map(|(a, at)| RematchProposal {
                kind,
                held_since: http::utc(a.held_since),
                tier_changed_at: at.map(http::utc),
                customer_id: a.customer_id,
                rm_id: a.rm_id,
                assignment_id: a.id,
            })
            .collect(),
        next_cursor: next.as_deref().map(http::encode_cursor),
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(second_rm).service(rematch);
}
