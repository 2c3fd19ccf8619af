//! Webhooks (admin): `POST/GET /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`, the delivery log
//! `GET /webhooks/{id}/deliveries` and `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::commands::webhooks::{self as engine, secret_hint, WebhookStatus};
pub use crate::commands::webhooks::{NewWebhook, WebhookPatch};
use crate::commands::Ctx;
use crate::db::webhooks::{self as store, DeliveryRow, WebhookRow};
use crate::domain::events::EventType;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{self, JsonBody, Page, PageParams, Query};
use crate::startup::AppState;

/// A webhook subscription. Its secret is shown in full only in the answer that creates it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub org_unit_id: String,
    pub description: String,
    pub status: WebhookStatus,
    pub disabled_reason: Option<String>,
    /// Failed deliveries in a row of the event it is on.
    pub consecutive_failures: i32,
    /// When the failed event is tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last event (by `sequence`) it is done with.
    pub delivered_through: i64,
    /// The last four characters of the secret.
    #[schema(example = "…9f3a")]
    pub secret_hint: String,
    /// Only when just created: the signing secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Webhook {
    fn view(r: WebhookRow, with_secret: bool) -> AppResult<Self> {
        Ok(Webhook {
            event_types: crate::webhooks::stored_types(&r)?,
            status: WebhookStatus::stored(&r.status)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            secret_hint: secret_hint(&r.secret),
            secret: with_secret.then(|| r.secret.clone()),
            next_attempt_at: crate::webhooks::retry_at(&r).map(http::utc),
            delivered_through: r.cursor_seq,
            id: r.id,
            url: r.url,
            org_unit_id: r.org_unit_id,
            description: r.description,
            disabled_reason: r.disabled_reason,
            consecutive_failures: r.consecutive_failures,
            created_by: r.created_by,
            created_at: http::utc(r.created_at),
            updated_at: http::utc(r.updated_at),
            version: i64::from(r.version),
        })
    }
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    /// The event's `sequence` in the outbox.
    pub event_sequence: i64,
    pub event_id: String,
    pub event_type: String,
    /// 1 for the first attempt at this event.
    pub attempt: i32,
    /// Sent again at an admin's request, out of order.
    pub redelivery: bool,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; none when it could not be reached.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub succeeded: bool,
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Delivery {
            id: r.id,
            webhook_id: r.webhook_id,
            event_sequence: r.event_seq,
            event_id: r.event_id,
            event_type: r.event_type,
            attempt: r.attempt,
            redelivery: r.redelivery,
            attempted_at: http::utc(r.attempted_at),
            status_code: r.status_code,
            error: r.error,
            duration_ms: r.duration_ms,
            succeeded: r.succeeded,
        }
    }
}

/// Subscribe to events (admin). Deliveries are POSTs of the event as JSON, signed with
/// `X-Rmdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` and named by
/// `X-Rmdesk-Event-Id`; the subscription hears events committed from now on.
#[utoipa::path(
    tag = "webhooks",
    request_body = NewWebhook,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    responses(
        (status = 201, body = Webhook),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a URL that is not http(s), or whose address is loopback, private or reserved", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBody<NewWebhook>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageWebhooks)?;
    let new = body.value;
    let guard = state.deliveries.guard().clone();
    let inner = caller.clone();
    http::create(&state.db, &caller, &req, &body.raw, move |conn| {
        let ctx = Ctx::load(conn, &inner)?;
        let row = engine::create(conn, &ctx, &guard, &inner.org_unit_id, new)?;
        Webhook::view(row, true)
    })
    .await
}

/// Subscriptions in the caller's subtree (admin).
#[utoipa::path(tag = "webhooks", params(PageParams), responses((status = 200, body = Page<Webhook>)))]
#[get("/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Webhook>>> {
    caller.require(Permission::ManageWebhooks)?;
    let limit = page.0.limit()?;
    let after = page.0.after()?;
    let rows = state
        .db
        .read(move |conn| store::list(conn, &caller.org_path, after.as_deref(), limit + 1))
        .await?;
    Ok(web::Json(Page::try_from_rows(
        rows,
        limit,
        |r| &r.id,
        |r| Webhook::view(r, false),
    )?))
}

/// One subscription (admin).
#[utoipa::path(tag = "webhooks", responses((status = 200, body = Webhook), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/webhooks/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<web::Json<Webhook>> {
    caller.require(Permission::ManageWebhooks)?;
    let id = id.into_inner();
    let row = state
        .db
        .read(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::scoped(conn, &ctx, &id)
        })
        .await?;
    Ok(web::Json(Webhook::view(row, false)?))
}

/// Change a subscription (admin): its URL, types, unit, secret or status. Setting `status` to
/// `active` again after it was disabled clears its failures; it resumes where it stopped.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookPatch,
    params(("If-Match" = Option<String>, Header, description = "the version you read")),
    responses(
        (status = 200, body = Webhook),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<WebhookPatch>,
) -> AppResult<web::Json<Webhook>> {
    caller.require(Permission::ManageWebhooks)?;
    let patch = body.value;
    let expected = http::expected_version(&req, patch.version)?;
    let guard = state.deliveries.guard().clone();
    let id = id.into_inner();
    let row = state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::update(conn, &ctx, &guard, &id, patch, expected)
        })
        .await?;
    Ok(web::Json(Webhook::view(row, false)?))
}

/// Delete a subscription and its delivery log (admin).
#[utoipa::path(tag = "webhooks", responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ManageWebhooks)?;
    let id = id.into_inner();
    state
        .db
        .write(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::delete(conn, &ctx, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a subscription, newest first: every attempt with its answer (admin).
#[utoipa::path(tag = "webhooks", params(PageParams), responses((status = 200, body = Page<Delivery>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<Delivery>>> {
    caller.require(Permission::ManageWebhooks)?;
    let limit = page.0.limit()?;
    let before = page.0.after()?;
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            engine::scoped(conn, &ctx, &id)?;
            store::deliveries(conn, &id, before.as_deref(), limit + 1)
        })
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |r| &r.id,
        Delivery::from,
    )))
}

/// Send a delivered (or failed) event to the subscription once more, now, out of order; the
/// attempt is logged as a redelivery (admin).
#[utoipa::path(tag = "webhooks", responses((status = 200, body = Delivery), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<Delivery>> {
    caller.require(Permission::ManageWebhooks)?;
    let (id, delivery_id) = path.into_inner();
    let (row, event) = state
        .db
        .read(move |conn| {
            let ctx = Ctx::load(conn, &caller)?;
            let row = engine::scoped(conn, &ctx, &id)?;
            let delivery = store::find_delivery(conn, &delivery_id)?
                .filter(|d| d.webhook_id == row.id)
                .ok_or(AppError::NotFound("delivery"))?;
            let event = crate::db::outbox::find(conn, delivery.event_seq)?
                .ok_or(AppError::NotFound("event"))?;
            Ok((row, event))
        })
        .await?;
    let sender = state.deliveries.clone();
    let log = web::block(move || sender.redeliver(&row, &event)).await??;
    Ok(web::Json(log.into()))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(deliveries)
        .service(redeliver);
}
