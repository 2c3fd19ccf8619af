//! Dual-person checks (D-1..D-6): `GET/POST /field-checks`, `GET /field-checks/{id}`,
//! `POST /field-checks/{id}/confirm|reject|cancel`, `POST /field-checks/{id}/evidence`,
//! `GET /required-checks`, `GET /rms/{id}/activity`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::{RecordId, Text2000, Text20000, Text500};
use crate::commands::activities::{self, ActivityKind, NewActivity};
use crate::commands::field_checks::{self as engine, Submission, Upload};
use crate::commands::Ctx;
use crate::db;
use crate::db::field_checks::{self as store, FieldCheckRow, RequiredCheckRow};
use crate::domain::field_check::{CheckKind, CheckStatus};
use crate::domain::org::in_scope;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A field check (D-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldCheck {
    pub id: String,
    pub customer_id: String,
    pub kind: CheckKind,
    pub lead_rm_id: String,
    pub second_rm_id: Option<String>,
    pub performed_at: DateTime<Utc>,
    pub place: Option<String>,
    pub findings: String,
    pub outcome: Option<String>,
    pub status: CheckStatus,
    pub submitted_by: String,
    /// The second RM's user who confirmed or rejected.
    pub confirmed_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    /// In lists: the customer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// In lists: the lead RM's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_rm_name: Option<String>,
    /// In lists: the second RM's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_rm_name: Option<String>,
}

impl TryFrom<FieldCheckRow> for FieldCheck {
    type Error = AppError;

    fn try_from(r: FieldCheckRow) -> AppResult<Self> {
        Ok(FieldCheck {
            kind: CheckKind::stored(&r.kind)?,
            status: CheckStatus::stored(&r.status)?,
            performed_at: http::utc(r.performed_at),
            decided_at: r.decided_at.map(http::utc),
            created_at: http::utc(r.created_at),
            id: r.id,
            customer_id: r.customer_id,
            lead_rm_id: r.lead_rm_id,
            second_rm_id: r.second_rm_id,
            place: r.place,
            findings: r.findings,
            outcome: r.outcome,
            submitted_by: r.submitted_by,
            confirmed_by: r.confirmed_by,
            version: r.version,
            customer_name: None,
            lead_rm_name: None,
            second_rm_name: None,
        })
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFieldCheck {
    pub customer_id: RecordId,
    pub kind: CheckKind,
    pub lead_rm_id: RecordId,
    /// Required for pre-loan investigations and post-loan inspections of A-6 customers (D-2).
    pub second_rm_id: Option<RecordId>,
    #[schema(example = "2026-11-02T09:30:00Z")]
    pub performed_at: DateTime<Utc>,
    pub place: Option<Text500>,
    pub findings: Text20000,
    pub outcome: Option<Text2000>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckNote {
    pub note: Option<Text2000>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldCheckFilter {
    pub org_unit_id: Option<String>,
    pub customer_id: Option<String>,
    /// As lead or as second: the RM's visit log (D-6).
    pub rm_id: Option<String>,
    pub kind: Option<CheckKind>,
    pub status: Option<CheckStatus>,
    /// Performed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Performed before.
    pub to: Option<DateTime<Utc>>,
}

/// Field checks in the caller's subtree, with filters.
#[utoipa::path(tag = "field-checks", params(FieldCheckFilter, PageParams), responses((status = 200, body = Page<FieldCheck>)))]
#[get("/field-checks")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<FieldCheckFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<FieldCheck>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let q = q.0;
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            let filter = store::Filter {
                customer_id: q.customer_id,
                rm_id: q.rm_id,
                kind: q.kind.map(|k| k.as_str().into()),
                status: q.status.map(|s| s.as_str().into()),
                from: q.from.map(|t| t.naive_utc()),
                to: q.to.map(|t| t.naive_utc()),
            };
            let rows = store::list(conn, &scope, &filter, after.as_deref(), limit)?;
            let names = db::customers::names(conn, rows.iter().map(|r| r.customer_id.clone()))?;
            let rms = db::rms::names_within(
                conn,
                rows.iter()
                    .flat_map(|r| [Some(r.lead_rm_id.clone()), r.second_rm_id.clone()])
                    .flatten(),
                &caller.org_path,
            )?;
            Ok((rows, names, rms))
        })
        .await?;
    let (rows, names, rms) = rows;
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let mut check = FieldCheck::try_from(r)?;
            check.customer_name = names.get(&check.customer_id).cloned();
            check.lead_rm_name = rms.get(&check.lead_rm_id).cloned();
            check.second_rm_name = check
                .second_rm_id
                .as_ref()
                .and_then(|id| rms.get(id))
                .cloned();
            Ok(check)
        },
    )?))
}

/// Evidence attached to a check.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evidence {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

fn evidence_view(m: db::field_checks::EvidenceMeta) -> Evidence {
    let (id, file_name, content_type, size_bytes, sha256, uploaded_by, at) = m;
    Evidence {
        id,
        file_name,
        content_type,
        size_bytes,
        sha256,
        uploaded_by,
        created_at: http::utc(at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldCheckDetail {
    #[serde(flatten)]
    pub check: FieldCheck,
    pub evidence: Vec<Evidence>,
}

/// One field check with its evidence files.
#[utoipa::path(tag = "field-checks", responses((status = 200, body = FieldCheckDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/field-checks/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<FieldCheckDetail>> {
    let id = id.into_inner();
    let (row, evidence) = state
        .db
        .read(move |conn| {
            let row = store::find(conn, &id)?
                .filter(|c| in_scope(&caller.org_path, &c.org_path))
                .ok_or(AppError::NotFound("field check"))?;
            let evidence = store::evidence_of(conn, &row.id)?;
            Ok((row, evidence))
        })
        .await?;
    Ok(web::Json(FieldCheckDetail {
        check: row.try_into()?,
        evidence: evidence.into_iter().map(evidence_view).collect(),
    }))
}

/// Submit a check, from the lead RM's own login (D-3). Two distinct RMs for pre-loan
/// investigations and post-loan inspections of A-6 customers (D-2); both active and qualified, at
/// least one assigned to the customer (D-3); D-4 independence when the policy asks for it. With a
/// second RM the check waits for their confirmation.
#[utoipa::path(
    tag = "field-checks",
    request_body = NewFieldCheck,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses((status = 201, body = FieldCheck), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/field-checks")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewFieldCheck>,
) -> AppResult<HttpResponse> {
    let new = body.value;
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let submission = Submission {
            customer_id: new.customer_id.into_string(),
            kind: new.kind,
            lead_rm_id: new.lead_rm_id.into_string(),
            second_rm_id: new.second_rm_id.map(String::from),
            performed_at: crate::db::audit::truncate(new.performed_at.naive_utc()),
            place: new.place.map(String::from),
            findings: new.findings.into_string(),
            outcome: new.outcome.map(String::from),
        };
        Ok(FieldCheck::try_from(engine::submit(
            conn,
            &ctx,
            &inner,
            &submission,
        )?)?)
    })
    .await
}

enum Decision {
    Confirm,
    Reject,
    Cancel,
}

async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    id: String,
    note: Option<String>,
    decision: Decision,
) -> AppResult<web::Json<FieldCheck>> {
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let note = note.unwrap_or_default();
            match decision {
                Decision::Confirm => engine::confirm(conn, &ctx, &caller, &id),
                Decision::Reject => engine::reject(conn, &ctx, &caller, &id, &note),
                Decision::Cancel => engine::cancel(conn, &ctx, &caller, &id, &note),
            }
        })
        .await?;
    Ok(web::Json(row.try_into()?))
}

/// The second RM confirms, from their own login (D-3); closes the customer's open required checks
/// of the same kind (D-5).
#[utoipa::path(tag = "field-checks", request_body = CheckNote, responses((status = 200, body = FieldCheck), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/field-checks/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<CheckNote>,
) -> AppResult<web::Json<FieldCheck>> {
    decide(
        state,
        caller,
        id.into_inner(),
        body.value.note.map(String::from),
        Decision::Confirm,
    )
    .await
}

/// The second RM refuses to confirm.
#[utoipa::path(tag = "field-checks", request_body = CheckNote, responses((status = 200, body = FieldCheck), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/field-checks/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<CheckNote>,
) -> AppResult<web::Json<FieldCheck>> {
    decide(
        state,
        caller,
        id.into_inner(),
        body.value.note.map(String::from),
        Decision::Reject,
    )
    .await
}

/// The lead withdraws a check still waiting for the second RM.
#[utoipa::path(tag = "field-checks", request_body = CheckNote, responses((status = 200, body = FieldCheck), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/field-checks/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<CheckNote>,
) -> AppResult<web::Json<FieldCheck>> {
    decide(
        state,
        caller,
        id.into_inner(),
        body.value.note.map(String::from),
        Decision::Cancel,
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceParams {
    #[param(example = "site-photo.jpg")]
    pub file_name: String,
}

const EVIDENCE_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// Attach an evidence file (the raw body; PDF, JPEG or PNG; at most the policy's
/// `field_checks.evidence_max_bytes`). Stored with its SHA-256.
#[utoipa::path(
    tag = "field-checks",
    params(EvidenceParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file; Content-Type application/pdf, image/jpeg or image/png"),
    responses((status = 201, body = Evidence), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/field-checks/{id}/evidence")]
pub async fn add_evidence(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query<EvidenceParams>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !EVIDENCE_TYPES.contains(&content_type.as_str()) {
        return Err(AppError::field(
            "Content-Type",
            format!("evidence must be one of {}", EVIDENCE_TYPES.join(", ")),
        ));
    }
    let file_name = q.0.file_name.trim().to_string();
    if file_name.is_empty() || file_name.len() > 200 || file_name.contains(['/', '\\']) {
        return Err(AppError::field(
            "file_name",
            "a plain file name of 1 to 200 characters",
        ));
    }
    let limit = state
        .db
        .read(|conn| Ok(db::policy::current(conn)?.1.field_checks.evidence_max_bytes))
        .await? as usize;
    let content = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge(limit))?
        .map_err(|e| AppError::Malformed(e.to_string()))?;
    if content.is_empty() {
        return Err(AppError::field("body", "the file is empty"));
    }
    let id = id.into_inner();
    let upload = Upload {
        file_name,
        content_type,
        content: content.to_vec(),
    };
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::add_evidence(conn, &ctx, &id, upload)
        })
        .await?;
    let meta = (
        row.id,
        row.file_name,
        row.content_type,
        row.size_bytes,
        row.sha256,
        row.uploaded_by,
        row.created_at,
    );
    Ok(HttpResponse::Created().json(evidence_view(meta)))
}

/// A check the rules require (D-5), with its due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequiredCheck {
    pub id: String,
    pub customer_id: String,
    pub kind: CheckKind,
    /// The rule that required it: `A-6` or `R-4`.
    #[schema(example = "A-6")]
    pub source: String,
    pub reason: String,
    /// For a reason the product wrote: its code, to show it in the reader's language (the
    /// dashboard's `reasons.ts`); `null` when a person typed `reason`.
    #[schema(example = "loan_npl")]
    pub reason_code: Option<String>,
    /// The parameters of `reason_code` (strings and numbers).
    #[schema(value_type = Option<Object>)]
    pub reason_params: Option<serde_json::Map<String, serde_json::Value>>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub closed_by_check_id: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// In lists: the customer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
}

fn required_view(r: RequiredCheckRow, today: NaiveDate) -> AppResult<RequiredCheck> {
    Ok(RequiredCheck {
        kind: CheckKind::stored(&r.kind)?,
        overdue: r.closed_at.is_none() && today > r.due_on,
        closed_at: r.closed_at.map(http::utc),
        created_at: http::utc(r.created_at),
        id: r.id,
        customer_id: r.customer_id,
        source: r.source,
        reason: r.reason,
        reason_code: r.reason_code,
        reason_params: http::reason_params(r.reason_params)?,
        due_on: r.due_on,
        closed_by_check_id: r.closed_by_check_id,
        customer_name: None,
    })
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequiredStatus {
    Open,
    Overdue,
    Closed,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequiredFilter {
    pub status: Option<RequiredStatus>,
    /// Checks of customers whose primary RM this is (overdue ones are evidence for X-2 item 2).
    pub rm_id: Option<String>,
    pub org_unit_id: Option<String>,
}

/// Required checks in the caller's subtree: `?status=overdue` lists those past their due date.
#[utoipa::path(tag = "field-checks", params(RequiredFilter, PageParams), responses((status = 200, body = Page<RequiredCheck>)))]
#[get("/required-checks")]
pub async fn required(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<RequiredFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<RequiredCheck>>> {
    Ok(web::Json(required_page(&state, caller, q.0, page.0).await?))
}

/// What `GET /required-checks` answers, for the handler and for downloads.
pub async fn required_page(
    state: &AppState,
    caller: Caller,
    q: RequiredFilter,
    page: PageParams,
) -> AppResult<Page<RequiredCheck>> {
    let limit = page.limit()?;
    let after = page.after()?;
    let today = caller.today();
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            let filter = store::RequiredFilter {
                status: q.status.map(|s| match s {
                    RequiredStatus::Open => "open".into(),
                    RequiredStatus::Overdue => "overdue".into(),
                    RequiredStatus::Closed => "closed".into(),
                }),
                rm_id: q.rm_id,
                today: Some(today),
            };
            let rows = store::list_required(conn, &scope, &filter, after.as_deref(), limit)?;
            let names = db::customers::names(conn, rows.iter().map(|r| r.customer_id.clone()))?;
            Ok((rows, names))
        })
        .await?;
    let (rows, names) = rows;
    Ok(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let mut check = required_view(r, today)?;
            check.customer_name = names.get(&check.customer_id).cloned();
            Ok(check)
        },
    )?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// Any day of the ISO week (Monday to Sunday) to report; default today.
    pub week_of: Option<NaiveDate>,
}

/// A logged call or important-event report (D-6).
#[derive(Debug, Serialize, ToSchema)]
pub struct Activity {
    pub id: String,
    pub rm_id: String,
    pub customer_id: Option<String>,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub summary: String,
    pub recorded_by: String,
}

impl TryFrom<store::ActivityRow> for Activity {
    type Error = AppError;

    fn try_from(r: store::ActivityRow) -> AppResult<Self> {
        Ok(Activity {
            kind: ActivityKind::stored(&r.kind)?,
            occurred_at: http::utc(r.occurred_at),
            id: r.id,
            rm_id: r.rm_id,
            customer_id: r.customer_id,
            summary: r.summary,
            recorded_by: r.recorded_by,
        })
    }
}

/// Log a call or report a customer's important event (D-6): by the RM's own login, or by a
/// manager in scope.
#[utoipa::path(
    tag = "field-checks",
    request_body = NewActivity,
    responses((status = 201, body = Activity), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/activities")]
pub async fn log_activity(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewActivity>,
) -> AppResult<HttpResponse> {
    let new = body.value;
    let for_others = caller.may(Permission::ManageAssignments);
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        Activity::try_from(activities::log(conn, &ctx, new, for_others)?)
    })
    .await
}

/// D-6 weekly report of an RM: the visit log and the activity against the daily targets.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityReport {
    pub rm_id: String,
    pub week_starts_on: NaiveDate,
    /// Checks the RM took part in, as lead or second.
    pub checks: Vec<FieldCheck>,
    pub by_kind: std::collections::BTreeMap<String, u32>,
    /// Visits (site visits, inspections, investigations) to customers created in the last 90 days.
    pub new_customer_visits: u32,
    pub existing_customer_visits: u32,
    /// Working days of the week in the bank's calendar (P-2: holidays and make-up days count).
    pub working_days: u32,
    /// Targets for the week: policy `field_checks.daily_targets` × its working days.
    pub target_new_customer_visits: u32,
    pub target_existing_customer_visits: u32,
    pub calls: u32,
    pub target_calls: u32,
    /// Calls and reports of customers' important events.
    pub activities: Vec<Activity>,
}

/// The RM's weekly activity report (D-6).
#[utoipa::path(tag = "field-checks", params(ActivityParams), responses((status = 200, body = ActivityReport)))]
#[get("/rms/{id}/activity")]
pub async fn activity(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<ActivityParams>,
) -> AppResult<web::Json<ActivityReport>> {
    let day = q.0.week_of.unwrap_or_else(|| caller.today());
    let monday = day
        .checked_sub_days(Days::new(day.weekday().num_days_from_monday().into()))
        .unwrap_or(day);
    // P-2: the week runs from Monday 00:00 to the next Monday 00:00 in the bank's time zone.
    let next_monday = monday.checked_add_days(Days::new(7)).unwrap_or(monday);
    let from: NaiveDateTime = caller.clock.instant_of(monday, chrono::NaiveTime::MIN);
    let to = caller.clock.instant_of(next_monday, chrono::NaiveTime::MIN);
    let id = id.into_inner();
    let (checks, created, policy) = state
        .db
        .read(move |conn| {
            let rm = db::rms::find(conn, &id)?
                .filter(|r| in_scope(&caller.org_path, &r.org_path))
                .ok_or(AppError::NotFound("RM"))?;
            // O-1: only the customers in the caller's scope (an RM may work for customers of
            // other units, A-5).
            let checks: Vec<_> = store::of_rm_between(conn, &rm.id, from, to)?
                .into_iter()
                .filter(|c| in_scope(&caller.org_path, &c.org_path))
                .collect();
            let mut activities = Vec::new();
            for a in store::activities_between(conn, &rm.id, from, to)? {
                let visible = match &a.customer_id {
                    None => true,
                    Some(id) => db::customers::find(conn, id)?
                        .is_some_and(|c| in_scope(&caller.org_path, &c.org_path)),
                };
                if visible {
                    activities.push(a);
                }
            }
            let mut created = std::collections::HashMap::new();
            for c in &checks {
                if let Some(customer) = db::customers::find(conn, &c.customer_id)? {
                    created.insert(c.customer_id.clone(), customer.created_at);
                }
            }
            Ok((
                (rm.id, checks, activities),
                created,
                db::policy::current(conn)?.1,
            ))
        })
        .await?;
    let (rm_id, checks, activities) = checks;
    let mut by_kind = std::collections::BTreeMap::new();
    let (mut new_visits, mut existing_visits) = (0, 0);
    for c in checks.iter().filter(|c| {
        c.status != CheckStatus::Cancelled.as_str() && c.status != CheckStatus::Rejected.as_str()
    }) {
        *by_kind.entry(c.kind.clone()).or_insert(0) += 1;
        if c.kind != CheckKind::AnomalyReview.as_str() {
            let is_new = created
                .get(&c.customer_id)
                .is_some_and(|at| c.performed_at - *at < chrono::Duration::days(90));
            if is_new {
                new_visits += 1;
            } else {
                existing_visits += 1;
            }
        }
    }
    let targets = &policy.field_checks.daily_targets;
    let sunday = next_monday.pred_opt().unwrap_or(monday);
    let working_days = policy.calendar.working_days(monday, sunday);
    Ok(web::Json(ActivityReport {
        rm_id,
        week_starts_on: monday,
        checks: checks
            .into_iter()
            .map(FieldCheck::try_from)
            .collect::<AppResult<Vec<_>>>()?,
        by_kind,
        new_customer_visits: new_visits,
        existing_customer_visits: existing_visits,
        working_days,
        target_new_customer_visits: targets.new_customer_visits * working_days,
        target_existing_customer_visits: targets.existing_customer_visits * working_days,
        calls: activities
            .iter()
            .filter(|a| a.kind == ActivityKind::Call.as_str())
            .count() as u32,
        target_calls: targets.calls * working_days,
        activities: activities
            .into_iter()
            .map(Activity::try_from)
            .collect::<AppResult<Vec<_>>>()?,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(confirm)
        .service(reject)
        .service(cancel)
        .service(add_evidence)
        .service(required)
        .service(log_activity)
        .service(activity);
}
