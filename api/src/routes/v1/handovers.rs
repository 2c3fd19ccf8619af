//! `POST /handovers`, `GET/PATCH /handovers/{id}`, `POST /handovers/{id}/confirm`.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::bounded::{RecordId, Text500};
use crate::commands::approvals::{self, Pending, Request};
use crate::commands::{handovers, Ctx};
use crate::db::handovers::{HandoverRow, MoveRow};
use crate::db::{self, DbConn};
use crate::domain::assignment::AssignmentRole;
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::http::{self, JsonBody};
use crate::http::{Page, PageParams};
use crate::routes::v1::assignments::PendingApproval;
use crate::startup::AppState;

/// A handover of every active assignment of one RM.
#[derive(Debug, Serialize, ToSchema)]
pub struct Handover {
    pub id: String,
    pub from_rm_id: String,
    /// The handing-over RM's name.
    pub from_rm_name: Option<String>,
    /// `proposed`, `confirmed`, or `withdrawn` (its exit case was rejected).
    #[schema(example = "proposed")]
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub moves: Vec<Move>,
}

/// One assignment to move.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HandoverMove)]
pub struct Move {
    pub assignment_id: String,
    pub customer_id: String,
    pub customer_name: Option<String>,
    pub role: AssignmentRole,
    /// The RM proposed or chosen; `null` when nobody in the unit fits (see `note`).
    pub to_rm_id: Option<String>,
    pub to_rm_name: Option<String>,
    pub note: String,
}

/// A handover plan in a list: who hands over, how many moves, where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverSummary {
    pub id: String,
    pub from_rm_id: String,
    pub from_rm_name: Option<String>,
    #[schema(example = "proposed")]
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub moves: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoverFilter {
    /// `proposed`, `confirmed` or `withdrawn`.
    #[param(example = "proposed")]
    pub status: Option<HandoverStatus>,
}

crate::domain::text_enum! {
    /// Where a handover plan stands.
    HandoverStatus {
        Proposed => "proposed",
        Confirmed => "confirmed",
        Withdrawn => "withdrawn",
    }
}

/// The plan with the names of the RMs and customers it moves (one read each, not one per move).
fn view(
    conn: &mut DbConn,
    scope: &str,
    (h, moves): (HandoverRow, Vec<MoveRow>),
) -> AppResult<Handover> {
    let rms = db::rms::names_within(
        conn,
        moves
            .iter()
            .filter_map(|m| m.to_rm_id.clone())
            .chain([h.from_rm_id.clone()]),
        scope,
    )?;
    let customers =
        db::customers::names_within(conn, moves.iter().map(|m| m.customer_id.clone()), scope)?;
    Ok(Handover {
        id: h.id,
        from_rm_name: rms.get(&h.from_rm_id).cloned(),
        from_rm_id: h.from_rm_id,
        status: h.status,
        reason: h.reason,
        created_by: h.created_by,
        created_at: http::utc(h.created_at),
        confirmed_by: h.confirmed_by,
        confirmed_at: h.confirmed_at.map(http::utc),
        version: h.version,
        moves: moves
            .into_iter()
            .map(|m| {
                Ok(Move {
                    role: AssignmentRole::stored(&m.role)?,
                    assignment_id: m.assignment_id,
                    customer_name: customers.get(&m.customer_id).cloned(),
                    customer_id: m.customer_id,
                    to_rm_name: m.to_rm_id.as_ref().and_then(|r| rms.get(r)).cloned(),
                    to_rm_id: m.to_rm_id,
                    note: m.note,
                })
            })
            .collect::<AppResult<_>>()?,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHandover {
    pub from_rm_id: RecordId,
    #[schema(example = "exit")]
    pub reason: Option<Text500>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverPatch {
    pub moves: Moves,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveChange {
    pub assignment_id: RecordId,
    pub to_rm_id: RecordId,
}

crate::bounded::bounded_list! {
    /// Changes to a handover plan: 1 to 10,000 moves.
    Moves(Vec<MoveChange>): 1..=10000
}

/// Propose a handover (admin, manager): one move per active assignment of the RM, each to the
/// eligible, grade-matched colleague of the same unit with the lowest load relative to the cap.
#[utoipa::path(
    tag = "handovers",
    request_body = NewHandover,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses((status = 201, body = Handover), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/handovers")]
pub async fn propose(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewHandover>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageAssignments)?;
    let new = body.value;
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let proposed = handovers::propose(
            conn,
            &ctx,
            &new.from_rm_id,
            new.reason.as_deref().unwrap_or("handover"),
        )?;
        view(conn, &ctx.scope, proposed)
    })
    .await
}

/// Handover plans in the caller's scope, oldest first: the managers' queue of plans to review and
/// confirm.
#[utoipa::path(tag = "handovers", params(HandoverFilter, PageParams), responses((status = 200, body = Page<HandoverSummary>)))]
#[get("/handovers")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<HandoverFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<HandoverSummary>>> {
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let status = q.0.status.map(|s| s.as_str());
    let (rows, names) = state
        .db
        .read(move |conn| {
            let rows =
                db::handovers::list(conn, &caller.org_path, status, after.as_deref(), limit)?;
            let names = db::rms::names_within(
                conn,
                rows.iter().map(|(h, _)| h.from_rm_id.clone()),
                &caller.org_path,
            )?;
            Ok((rows, names))
        })
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |(h, _)| &h.id,
        |(h, moves)| HandoverSummary {
            from_rm_name: names.get(&h.from_rm_id).cloned(),
            id: h.id,
            from_rm_id: h.from_rm_id,
            status: h.status,
            reason: h.reason,
            created_by: h.created_by,
            created_at: http::utc(h.created_at),
            moves,
        },
    )))
}

/// One handover with its moves.
#[utoipa::path(tag = "handovers", responses((status = 200, body = Handover), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/handovers/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Handover>> {
    let id = id.into_inner();
    let found = state
        .db
        .read(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let found = handovers::load(conn, &ctx, &id)?;
            view(conn, &ctx.scope, found)
        })
        .await?;
    Ok(web::Json(found))
}

/// Choose other RMs for some moves (admin, manager); send `version` (or `If-Match`).
#[utoipa::path(
    tag = "handovers",
    request_body = HandoverPatch,
    responses((status = 200, body = Handover), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[patch("/handovers/{id}")]
pub async fn adjust(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<HandoverPatch>,
) -> AppResult<web::Json<Handover>> {
    caller.require(Permission::ManageAssignments)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    let id = id.into_inner();
    let changes: Vec<(String, String)> = patch
        .moves
        .into_vec()
        .into_iter()
        .map(|m| (m.assignment_id.into_string(), m.to_rm_id.into_string()))
        .collect();
    let found = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let adjusted = handovers::adjust(conn, &ctx, &id, expected, &changes)?;
            view(conn, &ctx.scope, adjusted)
        })
        .await?;
    Ok(web::Json(found))
}

/// Confirm (admin, manager): every move in one transaction, each re-checked against every rule
/// now; one refusal (422 naming the customer and rule) refuses them all. A handover that moves the
/// primary of a flagged, blacklisted or high-value customer is a reassignment (A-10, M-1): 202 and
/// a pending approval, confirmed when a second person approves it.
#[utoipa::path(
    tag = "handovers",
    responses(
        (status = 200, body = Handover),
        (status = 202, description = "waiting for approval (A-10, M-1)", body = PendingApproval),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/handovers/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageAssignments)?;
    let id = id.into_inner();
    let (status, body) = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            // Confirmed at once unless a move changes the primary of a customer only a second
            // person may move: then nothing is applied and the handover waits for approval.
            let tried =
                diesel::Connection::transaction(conn, |c| handovers::confirm(c, &ctx, &id, None));
            let refused = match tried {
                Ok(done) => return Ok((200, serde_json::to_value(view(conn, &ctx.scope, done)?)?)),
                Err(AppError::Rule(v)) if v.rule == "A-10" && v.code == "approval_required" => v,
                Err(e) => return Err(e),
            };
            let (handover, moves) = handovers::load(conn, &ctx, &id)?;
            let (why, blacklisted) = handovers::confirmation_needs_approval(conn, &ctx, &moves)?
                .unwrap_or((refused.detail, false));
            let approver_roles: &[Role] = if blacklisted {
                &[Role::RiskOfficer]
            } else {
                &[Role::Manager, Role::Admin]
            };
            let request = Request {
                reason: why,
                rule: "A-10",
                approver_roles,
                org_path: handover.org_path.clone(),
            };
            let pending = Pending::ConfirmHandover {
                handover_id: handover.id.clone(),
                version: handover.version,
            };
            let row = approvals::request(conn, &ctx, &caller, &pending, request)?;
            Ok((202, serde_json::to_value(PendingApproval::of(row))?))
        })
        .await?;
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    Ok(HttpResponse::build(status).json(body))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(propose)
        .service(list)
        .service(get_one)
        .service(adjust)
        .service(confirm);
}
