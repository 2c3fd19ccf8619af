//! Relationship managers: `GET/POST /rms`, `GET/PATCH /rms/{id}`, `POST /rms/{id}/qualifications`,
//! `POST /rms/{id}/term-renewals`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::IdList;
use crate::commands::qualifications as grading;
use crate::commands::rms::{self as engine, NewRm, RmPatch};
use crate::commands::{approvals, Ctx};
use crate::db::{self, rms::QualificationRow, rms::RmRow, DbConn};
use crate::domain::org::in_scope;
use crate::domain::policy::Policy;
use crate::domain::rm::{self as rules, Grade, Line, RmStatus};
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::routes::v1::assignments::PendingApproval;
use crate::startup::AppState;

/// A relationship manager (客户经理).
#[derive(Debug, Serialize, ToSchema)]
pub struct Rm {
    pub id: String,
    #[schema(example = "E1001")]
    pub employee_no: String,
    /// Masked (`110***********1234`) unless the caller's role may see personal data.
    #[schema(example = "110101199001011234")]
    pub national_id: String,
    #[schema(example = "Li Na")]
    pub name: String,
    pub line: Line,
    pub grade: Grade,
    pub status: RmStatus,
    pub org_unit_id: String,
    /// Day the grade qualification exam was passed (O-4).
    pub qualified_on: NaiveDate,
    /// O-4: the exam result is valid until this day (exclusive).
    pub qualification_valid_until: NaiveDate,
    /// O-4: lapsed qualifications block new assignments and list the RM for re-certification.
    pub qualification_lapsed: bool,
    pub term_starts_on: NaiveDate,
    /// O-5: end of the appointment term; renewal is explicit.
    pub term_ends_on: NaiveDate,
    pub term_expired: bool,
    /// X-4 performance level (履职级别) 1, 2 or 3; new RMs start at 3.
    pub performance_level: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In lists: the load against the A-3 cap of the RM's line (one grouped read per page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapLoad>,
}

impl Rm {
    pub(crate) fn view(r: RmRow, caller: &Caller, policy: &Policy) -> AppResult<Self> {
        let today = caller.today();
        Ok(Rm {
            national_id: if caller.may(Permission::ReadPersonalData) {
                r.national_id
            } else {
                crate::domain::privacy::mask_field("national_id", &r.national_id)
            },
            line: Line::stored(&r.line)?,
            grade: Grade::stored(&r.grade)?,
            status: RmStatus::stored(&r.status)?,
            qualification_valid_until: rules::qualification_valid_until(r.qualified_on, policy),
            qualification_lapsed: rules::qualification_lapsed(r.qualified_on, today, policy),
            term_expired: today >= r.term_ends_on,
            id: r.id,
            employee_no: r.employee_no,
            name: r.name,
            org_unit_id: r.org_unit_id,
            qualified_on: r.qualified_on,
            term_starts_on: r.term_starts_on,
            term_ends_on: r.term_ends_on,
            performance_level: r.performance_level,
            version: r.version,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
            capacity: None,
        })
    }
}

/// O-3: a grade qualification approved by the caller's unit.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQualification {
    pub grade: Grade,
    #[schema(example = "2026-06-30")]
    pub exam_passed_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Qualification {
    pub id: String,
    pub rm_id: String,
    pub grade: Grade,
    pub exam_passed_on: NaiveDate,
    pub approved_by_unit_id: String,
    pub approved_by_user_id: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<QualificationRow> for Qualification {
    type Error = AppError;

    fn try_from(r: QualificationRow) -> AppResult<Self> {
        Ok(Qualification {
            grade: Grade::stored(&r.grade)?,
            id: r.id,
            rm_id: r.rm_id,
            exam_passed_on: r.exam_passed_on,
            approved_by_unit_id: r.approved_by_unit_id,
            approved_by_user_id: r.approved_by_user_id,
            created_at: http::utc(r.created_at),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RmFilter {
    pub line: Option<Line>,
    pub grade: Option<Grade>,
    pub status: Option<RmStatus>,
    /// O-4: `true` lists only RMs whose qualification has lapsed (re-certification list).
    pub recertification_due: Option<bool>,
    /// Only these RMs: up to 100 ids, comma-separated (names for a page in one read).
    pub ids: Option<IdList>,
    /// Only this unit's subtree (inside the caller's scope).
    pub org_unit_id: Option<String>,
    /// The RM with this employee number (工号).
    pub employee_no: Option<String>,
}

fn scoped_rm(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<RmRow> {
    db::rms::find(conn, id)?
        .filter(|r| in_scope(&caller.org_path, &r.org_path))
        .ok_or(AppError::NotFound("RM"))
}

/// RMs in the caller's subtree.
#[utoipa::path(tag = "rms", params(RmFilter, PageParams), responses((status = 200, body = Page<Rm>)))]
#[get("/rms")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<RmFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Rm>>> {
    Ok(web::Json(rms_page(&state, caller, q.0, page.0).await?))
}

/// What `GET /rms` answers, for the handler and for downloads.
pub async fn rms_page(
    state: &AppState,
    caller: Caller,
    q: RmFilter,
    page: PageParams,
) -> AppResult<Page<Rm>> {
    let limit = page.limit()?;
    let after = page.after()?;
    let scope = caller.org_path.clone();
    let today = caller.today();
    let (rows, policy) = state
        .db
        .read(move |conn| {
            let (_, policy) = db::policy::current(conn)?;
            // O-4: lapsed means qualified on or before today minus the validity period.
            let qualified_before = match q.recertification_due {
                Some(true) => {
                    let cutoff = today.checked_sub_months(chrono::Months::new(
                        policy.qualification.validity_years * 12,
                    ));
                    Some(cutoff.unwrap_or(NaiveDate::MIN))
                }
                _ => None,
            };
            let filter = db::rms::Filter {
                line: q.line.map(|v| v.as_str().into()),
                grade: q.grade.map(|v| v.as_str().into()),
                status: q.status.map(|v| v.as_str().into()),
                qualified_before,
                ids: q.ids.map(|l| l.ids()),
                employee_no: q.employee_no,
            };
            let scope = db::org_units::list_scope(conn, &scope, q.org_unit_id.as_deref())?;
            let rows = db::rms::list(conn, &scope, &filter, after.as_deref(), limit)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let loads = db::assignments::rm_loads(conn, &ids)?;
            Ok(((rows, loads), policy))
        })
        .await?;
    let (rows, loads) = rows;
    Ok(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let load = loads.get(&r.id).copied().unwrap_or((0, 0));
            let mut rm = Rm::view(r, &caller, &policy)?;
            rm.capacity = Some(cap_load(rm.line, load, &policy));
            Ok(rm)
        },
    )?)
}

/// One RM.
#[utoipa::path(tag = "rms", responses((status = 200, body = Rm), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/rms/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Rm>> {
    let id = id.into_inner();
    let scope_caller = caller.clone();
    let (row, policy) = state
        .db
        .read(move |conn| {
            let row = scoped_rm(conn, &scope_caller, &id)?;
            Ok((row, db::policy::current(conn)?.1))
        })
        .await?;
    Ok(web::Json(Rm::view(row, &caller, &policy)?))
}

/// Appoint an RM (admin, manager). Refused with O-6 when the national ID carries a permanent ban
/// (whichever unit recorded it), O-4 when the entry requirements are not met, and O-3 when the
/// caller's unit may not approve the grade.
#[utoipa::path(
    tag = "rms",
    request_body = NewRm,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses((status = 201, body = Rm), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/rms")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewRm>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageRms)?;
    let new = body.value;
    let view_caller = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &view_caller)?;
        let row = engine::appoint(conn, &ctx, &view_caller.org_unit_id, new)?;
        Rm::view(row, &view_caller, &ctx.policy)
    })
    .await
}

/// Change an RM (admin, manager): name, unit, status. Suspending needs every active assignment
/// handed over first; exits happen only through exit cases, and an RM under an open
/// case is not reactivated by an edit.
#[utoipa::path(
    tag = "rms",
    request_body = RmPatch,
    params(("If-Match" = Option<String>, Header, description = "the version you read")),
    responses((status = 200, body = Rm), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[patch("/rms/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<RmPatch>,
) -> AppResult<web::Json<Rm>> {
    caller.require(Permission::ManageRms)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    let id = id.into_inner();
    let view_caller = caller.clone();
    let (row, policy) = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let after = engine::update(conn, &ctx, &id, patch, expected)?;
            Ok((after, ctx.policy))
        })
        .await?;
    Ok(web::Json(Rm::view(row, &view_caller, &policy)?))
}

/// Propose a grade qualification (admin, manager). A grade approval is a maker-checker action
/// (M-1): 202 with the pending approval, applied when a second manager whose unit is high enough
/// for the grade (O-3) approves it; the maker's unit must be high enough too. On approval the RM
/// takes the grade and the exam date restarts the 2-year validity (O-4).
#[utoipa::path(
    tag = "rms",
    request_body = NewQualification,
    responses(
        (status = 202, description = "waiting for a second person at the O-3 level (M-1)", body = PendingApproval),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rms/{id}/qualifications")]
pub async fn qualify(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<NewQualification>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageRms)?;
    let new = body.value;
    let id = id.into_inner();
    let inner_caller = caller.clone();
    http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let caller = inner_caller;
        let ctx = crate::commands::Ctx::load(conn, &caller)?;
        let grading = grading::Grading {
            rm_id: id,
            grade: new.grade,
            exam_passed_on: new.exam_passed_on,
        };
        // The maker's unit must be high enough already (O-3); the checker's is checked again.
        let rm = grading::check(conn, &ctx, &caller, &grading)?;
        let request = approvals::Request {
            reason: format!(
                "grade {} for RM {} ({})",
                grading.grade, rm.name, rm.employee_no
            ),
            rule: "O-3",
            approver_roles: &[Role::Manager, Role::Admin],
            org_path: rm.org_path,
        };
        let row = approvals::request(
            conn,
            &ctx,
            &caller,
            &approvals::Pending::Qualify(grading),
            request,
        )?;
        Ok((202, serde_json::to_value(PendingApproval::of(row))?))
    })
    .await
}

/// The grade qualifications of an RM, oldest first.
#[utoipa::path(tag = "rms", responses((status = 200, body = Vec<Qualification>)))]
#[get("/rms/{id}/qualifications")]
pub async fn qualifications(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<Qualification>>> {
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            let rm = scoped_rm(conn, &caller, &id)?;
            db::rms::qualifications(conn, &rm.id)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(Qualification::try_from)
            .collect::<AppResult<Vec<_>>>()?,
    ))
}

/// O-5: renew the appointment term explicitly (admin, manager): one policy term from the current
/// end, or from today when the term has run out.
#[utoipa::path(tag = "rms", responses((status = 200, body = Rm), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/rms/{id}/term-renewals")]
pub async fn renew_term(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Rm>> {
    caller.require(Permission::ManageRms)?;
    let id = id.into_inner();
    let view_caller = caller.clone();
    let (row, policy) = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let after = engine::renew_term(conn, &ctx, &id)?;
            Ok((after, ctx.policy))
        })
        .await?;
    Ok(web::Json(Rm::view(row, &view_caller, &policy)?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(qualify)
        .service(qualifications)
        .service(renew_term)
        .service(portfolio);
}

/// Load against a cap.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapLoad {
    pub held: u32,
    pub cap: u32,
    /// `held / cap`, e.g. "0.8".
    #[schema(value_type = String, example = "0.8")]
    pub utilisation: rust_decimal::Decimal,
}

/// An RM's book of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Portfolio {
    pub rm_id: String,
    pub line: Line,
    pub grade: Grade,
    /// Customers the RM holds in any role now.
    pub customers: u32,
    /// the cap that applies to the RM's line.
    pub capacity: CapLoad,
    #[schema(value_type = Object, example = json!({"primary": 12, "assistant": 3}))]
    pub by_role: std::collections::BTreeMap<String, u32>,
    /// Customers per category marker.
    #[schema(value_type = Object, example = json!({"core": 2, "high_value": 4}))]
    pub by_category: std::collections::BTreeMap<String, u32>,
    /// the sum of the RM's shares, the performance the RM is credited with in customers.
    #[schema(value_type = String, example = "11.2")]
    pub share_total: rust_decimal::Decimal,
    /// R-4 today, over the customers the RM holds as primary, with the policy's thresholds.
    pub risk: crate::domain::portfolio::Indicator,
    pub thresholds: RiskThresholds,
    pub npl: NplIndicators,
}

/// R-5 over the loans the RM originated since the start of the RM's term in the team.
#[derive(Debug, Serialize, ToSchema)]
pub struct NplIndicators {
    pub since: NaiveDate,
    /// The balance the RM answers for (A-7, "责任共分担"): loans originated since `since` of the
    /// borrowers it holds, weighed by its share of each, and those it originated for borrowers it
    /// no longer holds, whole.
    #[schema(value_type = String, example = "12500000.00")]
    pub originated_balance: rust_decimal::Decimal,
    /// The non-performing part of it, weighed the same way.
    #[schema(value_type = String, example = "50000.00")]
    pub npl_balance: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.004")]
    pub npl_ratio: rust_decimal::Decimal,
    /// Points of the NPL item from the policy's bands.
    pub npl_points: Option<u32>,
    /// New-NPL ratio of each of the last 12 month ends, oldest first.
    pub new_npl_series: Vec<MonthlyRatio>,
    /// X-2 item 5: the ratio reached the trigger (1%) in each of the last 3 months.
    pub exit_trigger_reached: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyRatio {
    #[schema(example = "2026-10")]
    pub month: String,
    #[schema(value_type = String, example = "0.012")]
    pub ratio: rust_decimal::Decimal,
}

/// The R-4 thresholds of the policy in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskThresholds {
    #[schema(value_type = String, example = "0.05")]
    pub settlement_day_target: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.03")]
    pub second_check_target: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.01")]
    pub month_end_target: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.10")]
    pub action_required: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.03")]
    pub month_end_inspections: rust_decimal::Decimal,
    #[schema(value_type = String, example = "0.20")]
    pub out_of_control: rust_decimal::Decimal,
    pub min_loans: u32,
}

fn npl_indicators(
    rm: &RmRow,
    states: &[db::loans::ResponsibleState],
    policy: &Policy,
    today: NaiveDate,
) -> AppResult<NplIndicators> {
    use crate::domain::loan::{from_fen, Classification};
    use crate::domain::portfolio::{
        balances_at, monthly_new_npl, new_npl_trigger, npl_points, npl_ratio, LoanState,
    };
    let states: Vec<LoanState> = states
        .iter()
        .map(|(loan_no, as_of, balance_fen, class, share_bp)| {
            Ok(LoanState {
                loan_no: loan_no.clone(),
                as_of: *as_of,
                balance_fen: *balance_fen,
                npl: Classification::stored(class)?.is_npl(),
                share_bp: *share_bp,
            })
        })
        .collect::<AppResult<_>>()?;
    // Current state: the latest snapshot of each loan.
    let (total, bad) = balances_at(&states, NaiveDate::MAX);
    let ratio = npl_ratio(bad, total);
    // The last 12 month ends, oldest first.
    let this_month = today.with_day(1).unwrap_or(today);
    let month_ends: Vec<NaiveDate> = (1..=12)
        .rev()
        .filter_map(|back| {
            this_month
                .checked_sub_months(chrono::Months::new(back - 1))
                .and_then(|m| m.pred_opt())
        })
        .collect();
    let series = monthly_new_npl(&states, &month_ends);
    Ok(NplIndicators {
        since: rm.term_starts_on,
        originated_balance: from_fen(total),
        npl_balance: from_fen(bad),
        npl_ratio: ratio,
        npl_points: npl_points(ratio, &policy.scoring),
        exit_trigger_reached: new_npl_trigger(
            &series,
            policy.risk.new_npl_ratio_trigger,
            policy.risk.new_npl_consecutive_months,
        ),
        new_npl_series: month_ends
            .iter()
            .zip(series)
            .map(|(end, ratio)| MonthlyRatio {
                month: end.format("%Y-%m").to_string(),
                ratio,
            })
            .collect(),
    })
}

/// The RM's portfolio: load against the cap, customers by role and category, and shares.
#[utoipa::path(tag = "rms", responses((status = 200, body = Portfolio), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/rms/{id}/portfolio")]
pub async fn portfolio(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Portfolio>> {
    let id = id.into_inner();
    let today = caller.today();
    let (rm, book, policy, overdue) = state
        .db
        .read(move |conn| {
            let rm = scoped_rm(conn, &caller, &id)?;
            let book = db::assignments::active_for_rm(conn, &rm.id)?;
            let primaries: Vec<String> = book
                .iter()
                .filter(|(a, _)| a.role == "primary")
                .map(|(a, _)| a.customer_id.clone())
                .collect();
            let overdue = db::loans::overdue_by_customer(conn, &primaries)?;
            let states = db::loans::responsible_states(conn, &rm.id, rm.term_starts_on)?;
            // the load the cap is enforced on (loan customers count as key accounts).
            let load = db::assignments::rm_load(conn, &rm.id)?;
            Ok((
                rm,
                book,
                db::policy::current(conn)?.1,
                (overdue, states, load),
            ))
        })
        .await?;
    let (overdue, states, (key_accounts, vip_customers)) = overdue;
    let npl = npl_indicators(&rm, &states, &policy, today)?;
    let loan_customers = overdue.len() as u32;
    let overdue_customers = overdue.values().filter(|o| **o).count() as u32;
    let risk =
        crate::domain::portfolio::indicator(loan_customers, overdue_customers, today, &policy);
    let r = &policy.risk;
    let thresholds = RiskThresholds {
        settlement_day_target: r.settlement_day_normal_ratio,
        second_check_target: r.second_check_target_ratio,
        month_end_target: r.month_end_target_ratio,
        action_required: r.action_required_ratio,
        month_end_inspections: r.month_end_inspection_ratio,
        out_of_control: r.out_of_control_ratio,
        min_loans: r.min_loans_for_ratios,
    };
    let line = Line::stored(&rm.line)?;
    let capacity = cap_load(line, (key_accounts, vip_customers), &policy);
    let mut by_role = std::collections::BTreeMap::new();
    let mut by_category = std::collections::BTreeMap::new();
    let mut share_total = rust_decimal::Decimal::ZERO;
    for (assignment, customer) in &book {
        *by_role.entry(assignment.role.clone()).or_insert(0) += 1;
        for category in crate::domain::customer::split_categories(&customer.categories) {
            *by_category
                .entry(category.as_str().to_string())
                .or_insert(0) += 1;
        }
        share_total += db::assignments::share_of(assignment.share_bp);
    }
    Ok(web::Json(Portfolio {
        rm_id: rm.id,
        line,
        grade: Grade::stored(&rm.grade)?,
        customers: book.len() as u32,
        capacity,
        by_role,
        by_category,
        share_total: share_total.normalize(),
        risk,
        thresholds,
        npl,
    }))
}

/// the load the cap applies to for the RM's line (VIP customers for retail, key accounts
/// otherwise) against that cap.
fn cap_load(line: Line, (key_accounts, vip_customers): (u32, u32), policy: &Policy) -> CapLoad {
    let (held, cap) = if line == Line::Retail {
        (vip_customers, policy.capacity.retail_vip_customers)
    } else {
        (key_accounts, policy.capacity.corporate_key_accounts)
    };
    let utilisation = if cap == 0 {
        rust_decimal::Decimal::ZERO
    } else {
        (rust_decimal::Decimal::from(held) / rust_decimal::Decimal::from(cap))
            .round_dp(4)
            .normalize()
    };
    CapLoad {
        held,
        cap,
        utilisation,
    }
}
