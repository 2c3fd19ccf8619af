//! Webhook subscriptions, their leases and their delivery log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{webhook_deliveries, webhooks};
use super::DbConn;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// JSON array of event types; empty hears every type.
    pub event_types: String,
    pub org_unit_id: String,
    pub org_path: String,
    #[serde(skip)]
    pub secret: String,
    pub description: String,
    /// `active` or `disabled`.
    pub status: String,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    /// The last outbox event this subscription is done with (delivered, or not for it).
    pub cursor_seq: i64,
    /// When the event after the cursor may be tried again after a failure.
    pub next_attempt_at: Option<NaiveDateTime>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub attempt: i32,
    pub redelivery: bool,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub succeeded: bool,
}

pub fn insert(conn: &mut DbConn, row: &WebhookRow) -> AppResult<()> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<WebhookRow>> {
    Ok(webhooks::table.find(id).first(conn).optional()?)
}

/// Subscriptions inside the subtree at `scope`, oldest first, after the cursor `after` (an id).
pub fn list(
    conn: &mut DbConn,
    scope: &str,
    after: Option<&str>,
    limit: i64,
) -> AppResult<Vec<WebhookRow>> {
    let (low, high) = super::subtree_range(scope);
    let mut query = webhooks::table
        .filter(webhooks::org_path.ge(low))
        .filter(webhooks::org_path.lt(high))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(webhooks::id.gt(after.to_string()));
    }
    Ok(query.order(webhooks::id.asc()).limit(limit).load(conn)?)
}

/// Saves an admin's change of a subscription read at `version` (409 if someone changed it since).
/// The delivery state (cursor, failures, lease) is the dispatcher's and is left as it is, unless
/// the admin changed the status (enabling clears the failures).
pub fn update_settings(
    conn: &mut DbConn,
    row: &WebhookRow,
    version: i32,
    status_changed: bool,
) -> AppResult<()> {
    let target = webhooks::table
        .filter(webhooks::id.eq(&row.id))
        .filter(webhooks::version.eq(version));
    let settings = (
        webhooks::url.eq(&row.url),
        webhooks::event_types.eq(&row.event_types),
        webhooks::org_unit_id.eq(&row.org_unit_id),
        webhooks::org_path.eq(&row.org_path),
        webhooks::secret.eq(&row.secret),
        webhooks::description.eq(&row.description),
        webhooks::updated_at.eq(row.updated_at),
        webhooks::version.eq(row.version),
    );
    let n = if status_changed {
        diesel::update(target)
            .set((
                settings,
                webhooks::status.eq(&row.status),
                webhooks::disabled_reason.eq(&row.disabled_reason),
                webhooks::consecutive_failures.eq(row.consecutive_failures),
                webhooks::next_attempt_at.eq(row.next_attempt_at),
            ))
            .execute(conn)?
    } else {
        diesel::update(target).set(settings).execute(conn)?
    };
    if n == 0 {
        return Err(AppError::VersionConflict(
            "the webhook was changed by someone else".into(),
        ));
    }
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: &str) -> AppResult<()> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

/// Active subscriptions behind the outbox's end (`last_seq`) whose next event may be tried now
/// and whose lease is free, expired or already this server's.
pub fn ready(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    last_seq: i64,
) -> AppResult<Vec<String>> {
    Ok(webhooks::table
        .filter(webhooks::status.eq("active"))
        .filter(webhooks::cursor_seq.lt(last_seq))
        .filter(
            webhooks::next_attempt_at
                .is_null()
                .or(webhooks::next_attempt_at.le(now)),
        )
        .filter(
            webhooks::lease_owner
                .is_null()
                .or(webhooks::lease_owner.eq(owner))
                .or(webhooks::lease_until.lt(now)),
        )
        .select(webhooks::id)
        .order(webhooks::id.asc())
        .load(conn)?)
}

/// Takes (or renews) the lease of a subscription until `until`: with several servers, one of them
/// delivers a subscription's events at a time, in order. `false` when another server holds it.
pub fn take_lease(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> AppResult<bool> {
    let n = diesel::update(
        webhooks::table.filter(webhooks::id.eq(id)).filter(
            webhooks::lease_owner
                .is_null()
                .or(webhooks::lease_owner.eq(owner))
                .or(webhooks::lease_until.lt(now)),
        ),
    )
    .set((
        webhooks::lease_owner.eq(owner),
        webhooks::lease_until.eq(until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Lets a lease go (the server is done for now or stopping).
pub fn release_lease(conn: &mut DbConn, id: &str, owner: &str) -> AppResult<()> {
    diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::lease_owner.eq(owner)),
    )
    .set((
        webhooks::lease_owner.eq(None::<String>),
        webhooks::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Moves the cursor of a subscription this server holds the lease of: after a delivery or past
/// events not for it. Clears the failures.
pub fn advance(conn: &mut DbConn, id: &str, owner: &str, seq: i64) -> AppResult<bool> {
    let n = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::lease_owner.eq(owner))
            .filter(webhooks::cursor_seq.lt(seq)),
    )
    .set((
        webhooks::cursor_seq.eq(seq),
        webhooks::consecutive_failures.eq(0),
        webhooks::next_attempt_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt: the next one waits until `retry_at`, or the subscription is disabled
/// with `disable` as its reason.
pub fn failed(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    failures: i32,
    retry_at: NaiveDateTime,
    disable: Option<String>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let status = if disable.is_some() {
        "disabled"
    } else {
        "active"
    };
    diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::lease_owner.eq(owner)),
    )
    .set((
        webhooks::consecutive_failures.eq(failures),
        webhooks::next_attempt_at.eq(retry_at),
        webhooks::status.eq(status),
        webhooks::disabled_reason.eq(disable),
        webhooks::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn record_delivery(conn: &mut DbConn, row: &DeliveryRow) -> AppResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The delivery log of a subscription, newest first, before the cursor `before` (an id).
pub fn deliveries(
    conn: &mut DbConn,
    webhook_id: &str,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before.to_string()));
    }
    Ok(query
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .load(conn)?)
}

pub fn find_delivery(conn: &mut DbConn, id: &str) -> AppResult<Option<DeliveryRow>> {
    Ok(webhook_deliveries::table.find(id).first(conn).optional()?)
}

/// How many attempts were made for one event on one subscription so far.
pub fn attempts_of(conn: &mut DbConn, webhook_id: &str, event_seq: i64) -> AppResult<i64> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::event_seq.eq(event_seq))
        .count()
        .get_result(conn)?)
}
