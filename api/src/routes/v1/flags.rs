//! Credit-risk flags: `GET/POST /flags`, `GET /flags/{id}`,
//! `POST /flags/{id}/acknowledge|resolve`, `GET /customers/{id}/flags`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::{RecordId, Text2000, Text5000};
use crate::commands::approvals::{self, Pending, Request};
use crate::commands::{assignments as engine, flags as engine_flags, Ctx};
use crate::db;
use crate::db::flags::{self as store, FlagEventRow, FlagRow};
use crate::domain::flag::{FlagKind, FlagStatus, Severity};
use crate::domain::org::in_scope;
use crate::domain::reason::Reason;
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::routes::v1::assignments::PendingApproval;
use crate::startup::AppState;

/// A flag on a customer or an RM, visible to everyone who sees its subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct Flag {
    pub id: String,
    pub customer_id: Option<String>,
    pub rm_id: Option<String>,
    pub kind: FlagKind,
    pub severity: Severity,
    /// `rule` (raised by the system) or `manual`.
    #[schema(example = "manual")]
    pub source: String,
    pub reason: String,
    /// For a reason the product wrote: its code, to show it in the reader's language (the
    /// dashboard's `reasons.ts`); `null` when a person typed `reason`.
    #[schema(example = "loan_npl")]
    pub reason_code: Option<String>,
    /// The parameters of `reason_code` (strings and numbers).
    #[schema(value_type = Option<Object>)]
    pub reason_params: Option<serde_json::Map<String, serde_json::Value>>,
    pub status: FlagStatus,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// In lists: the customer's name, so a front end need not look each one up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// In lists: the RM's name for flags on an RM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rm_name: Option<String>,
}

impl TryFrom<FlagRow> for Flag {
    type Error = AppError;

    fn try_from(r: FlagRow) -> AppResult<Self> {
        Ok(Flag {
            kind: FlagKind::stored(&r.kind)?,
            severity: Severity::stored(&r.severity)?,
            status: FlagStatus::stored(&r.status)?,
            raised_at: http::utc(r.raised_at),
            updated_at: http::utc(r.updated_at),
            id: r.id,
            customer_id: r.customer_id,
            rm_id: r.rm_id,
            source: r.source,
            reason: r.reason,
            reason_code: r.reason_code,
            reason_params: http::reason_params(r.reason_params)?,
            raised_by: r.raised_by,
            version: r.version,
            customer_name: None,
            rm_name: None,
        })
    }
}

/// One step of a flag's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagEvent {
    /// `raise`, `acknowledge` or `resolve`.
    pub action: String,
    /// The reason, note or evidence.
    pub note: String,
    pub by_user: String,
    pub at: DateTime<Utc>,
}

impl From<FlagEventRow> for FlagEvent {
    fn from(r: FlagEventRow) -> Self {
        FlagEvent {
            action: r.action,
            note: r.note,
            by_user: r.by_user,
            at: http::utc(r.at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagDetail {
    #[serde(flatten)]
    pub flag: Flag,
    pub history: Vec<FlagEvent>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFlag {
    pub customer_id: RecordId,
    /// `anomaly` (applied at once) or `blacklisted` (waits for a second person, M-1); the other
    /// kinds are raised by the rules from loan facts.
    pub kind: FlagKind,
    pub reason: Text2000,
    pub severity: Option<Severity>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagNote {
    pub note: Option<Text2000>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// What shows the risk is gone (required, R-2).
    pub evidence: Text5000,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagFilter {
    pub kind: Option<FlagKind>,
    pub severity: Option<Severity>,
    pub status: Option<FlagStatus>,
    /// Flags on this RM or on customers whose primary RM this is.
    pub rm_id: Option<String>,
    pub org_unit_id: Option<String>,
}

/// Flags in the caller's subtree.
#[utoipa::path(tag = "flags", params(FlagFilter, PageParams), responses((status = 200, body = Page<Flag>)))]
#[get("/flags")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<FlagFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Flag>>> {
    Ok(web::Json(flags_page(&state, caller, q.0, page.0).await?))
}

/// What `GET /flags` answers, for the handler and for downloads.
pub async fn flags_page(
    state: &AppState,
    caller: Caller,
    q: FlagFilter,
    page: PageParams,
) -> AppResult<Page<Flag>> {
    let limit = page.limit()?;
    let after = page.after()?;
    let rows = state
        .db
        .read(move |conn| {
            let scope =
                db::org_units::list_scope(conn, &caller.org_path, q.org_unit_id.as_deref())?;
            let filter = store::Filter {
                kind: q.kind.map(|v| v.as_str().into()),
                severity: q.severity.map(|v| v.as_str().into()),
                status: q.status.map(|v| v.as_str().into()),
                rm_id: q.rm_id,
            };
            let rows = store::list(conn, &scope, &filter, after.as_deref(), limit)?;
            let customers =
                db::customers::names(conn, rows.iter().filter_map(|r| r.customer_id.clone()))?;
            let rms = db::rms::names(conn, rows.iter().filter_map(|r| r.rm_id.clone()))?;
            Ok((rows, customers, rms))
        })
        .await?;
    let (rows, customers, rms) = rows;
    Ok(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| {
            let mut flag = Flag::try_from(r)?;
            flag.customer_name = flag
                .customer_id
                .as_ref()
                .and_then(|id| customers.get(id).cloned());
            flag.rm_name = flag.rm_id.as_ref().and_then(|id| rms.get(id).cloned());
            Ok(flag)
        },
    )?)
}

/// One flag with its history.
#[utoipa::path(tag = "flags", responses((status = 200, body = FlagDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/flags/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<FlagDetail>> {
    let id = id.into_inner();
    let (row, events) = state
        .db
        .read(move |conn| {
            let row = store::find(conn, &id)?
                .filter(|f| in_scope(&caller.org_path, &f.org_path))
                .ok_or(AppError::NotFound("flag"))?;
            let events = store::events(conn, &row.id)?;
            Ok((row, events))
        })
        .await?;
    Ok(web::Json(FlagDetail {
        flag: row.try_into()?,
        history: events.into_iter().map(FlagEvent::from).collect(),
    }))
}

/// The customer's flags, newest first (R-3: shared with everyone who sees the customer).
#[utoipa::path(tag = "flags", responses((status = 200, body = Vec<Flag>)))]
#[get("/customers/{id}/flags")]
pub async fn of_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Vec<Flag>>> {
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            db::customers::find(conn, &id)?
                .filter(|c| in_scope(&caller.org_path, &c.org_path))
                .ok_or(AppError::NotFound("customer"))?;
            store::of_customer(conn, &id)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(Flag::try_from)
            .collect::<AppResult<Vec<_>>>()?,
    ))
}

/// Raise a flag on a customer (admin, risk officer). `anomaly` applies at once (201);
/// `blacklisted` waits for a second person (202, M-1). An open flag puts the customer in the A-6
/// queue; `blacklisted` also marks its guarantors and group as `related_party`.
#[utoipa::path(
    tag = "flags",
    request_body = NewFlag,
    responses(
        (status = 201, body = Flag),
        (status = 202, description = "blacklisting waits for approval (M-1)", body = PendingApproval),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/flags")]
pub async fn raise(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewFlag>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageFlags)?;
    let new = body.value;
    if !matches!(new.kind, FlagKind::Anomaly | FlagKind::Blacklisted) {
        return Err(AppError::field("kind", "only anomaly and blacklisted are raised by hand; the others come from loan facts and evaluations"));
    }
    let inner = caller.clone();
    http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let (customer, _) = engine::customer_facts(conn, &ctx, &new.customer_id)?;
        if !store::unresolved_of_customer(conn, &customer.id, Some(new.kind.as_str()))?.is_empty() {
            return Err(AppError::Duplicate(format!(
                "the customer has an unresolved {} flag already",
                new.kind
            )));
        }
        if new.kind == FlagKind::Blacklisted {
            let request = Request {
                reason: format!("blacklist customer {}: {}", customer.name, new.reason),
                rule: "R-2",
                approver_roles: &[Role::RiskOfficer, Role::Admin],
                org_path: customer.org_path.clone(),
            };
            let pending = Pending::Blacklist {
                customer_id: customer.id,
                reason: new.reason.into_string(),
            };
            let row = approvals::request(conn, &ctx, &inner, &pending, request)?;
            return Ok((202, serde_json::to_value(PendingApproval::of(row))?));
        }
        let (flag, _) = engine_flags::raise(
            conn,
            &ctx,
            &customer,
            new.kind,
            new.severity,
            "manual",
            &Reason::typed(new.reason.as_str()),
        )?;
        Ok((201, serde_json::to_value(Flag::try_from(flag)?)?))
    })
    .await
}

/// Acknowledge a flag (every role but auditors): someone responsible has seen it.
#[utoipa::path(tag = "flags", request_body = FlagNote, responses((status = 200, body = Flag), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/flags/{id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<FlagNote>,
) -> AppResult<web::Json<Flag>> {
    caller.require(Permission::AcknowledgeFlags)?;
    let id = id.into_inner();
    let note = body.value.note.map(String::from).unwrap_or_default();
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine_flags::acknowledge(conn, &ctx, &id, &note)
        })
        .await?;
    Ok(web::Json(row.try_into()?))
}

/// Resolve a flag with evidence (admin, risk officer). Resolving `blacklisted` waits for a second
/// person (202, M-1).
#[utoipa::path(
    tag = "flags",
    request_body = Resolution,
    responses(
        (status = 200, body = Flag),
        (status = 202, description = "un-blacklisting waits for approval (M-1)", body = PendingApproval),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/flags/{id}/resolve")]
pub async fn resolve(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<Resolution>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageFlags)?;
    let id = id.into_inner();
    let evidence = body.value.evidence;
    let inner = caller.clone();
    http::command(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let flag = engine_flags::scoped(conn, &ctx, &id)?;
        if flag.kind == FlagKind::Blacklisted.as_str()
            && flag.status != FlagStatus::Resolved.as_str()
        {
            let request = Request {
                reason: format!("remove blacklisting: {evidence}"),
                rule: "R-2",
                approver_roles: &[Role::RiskOfficer, Role::Admin],
                org_path: flag.org_path.clone(),
            };
            let row = approvals::request(
                conn,
                &ctx,
                &inner,
                &Pending::Unblacklist {
                    flag_id: flag.id,
                    evidence: evidence.into_string(),
                },
                request,
            )?;
            return Ok((202, serde_json::to_value(PendingApproval::of(row))?));
        }
        Ok((
            200,
            serde_json::to_value(Flag::try_from(engine_flags::resolve(
                conn, &ctx, &id, &evidence,
            )?)?)?,
        ))
    })
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(raise)
        .service(get_one)
        .service(of_customer)
        .service(acknowledge)
        .service(resolve);
}
