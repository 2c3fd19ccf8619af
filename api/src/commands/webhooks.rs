//! Webhook subscriptions (admin): where the bank's events go, which types, about which subtree.
//! Each change is audited; the secret never is.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::Ctx;
use crate::bounded::{EventTypes, RecordId, Text2000, Text500, WebhookSecret};
use crate::db::audit::{self, Change};
use crate::db::webhooks::{self as store, WebhookRow};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use crate::webhooks::Guard;

crate::domain::text_enum! {
    /// Whether a subscription receives deliveries.
    WebhookStatus {
        Active => "active",
        Disabled => "disabled",
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: http or https; loopback and private addresses only if the
    /// operator allows them (`RMDESK_WEBHOOK_ALLOWED_HOSTS`).
    #[schema(example = "https://crm.example.com/rmdesk/events")]
    pub url: Text2000,
    /// The event types to receive; none or empty for every type.
    pub event_types: Option<EventTypes>,
    /// The unit whose subtree the subscription hears (O-1); the caller's own unit by default.
    pub org_unit_id: Option<RecordId>,
    /// The HMAC-SHA256 signing secret; generated (and shown once) when not given.
    pub secret: Option<WebhookSecret>,
    pub description: Option<Text500>,
}

/// Changes to a subscription; send `version` (or `If-Match`). Enabling a disabled one clears its
/// failures and tries its next event at once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<Text2000>,
    pub event_types: Option<EventTypes>,
    pub org_unit_id: Option<RecordId>,
    pub secret: Option<WebhookSecret>,
    pub description: Option<Text500>,
    pub status: Option<WebhookStatus>,
    pub version: Option<i64>,
}

fn check_url(guard: &Guard, url: &str) -> AppResult<()> {
    guard
        .check_url(url)
        .map(|_| ())
        .map_err(|e| AppError::field("url", e))
}

/// The unit a subscription hears, inside the caller's subtree (O-1).
fn unit_path(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<String> {
    let unit = db::org_units::find(conn, id)?
        .ok_or_else(|| AppError::field("org_unit_id", "no such org unit in your scope"))?;
    if !crate::domain::org::in_scope(&ctx.scope, &unit.path) {
        return Err(AppError::field(
            "org_unit_id",
            "no such org unit in your scope",
        ));
    }
    Ok(unit.path)
}

fn types_text(types: Option<EventTypes>) -> AppResult<String> {
    let mut names: Vec<&str> = types
        .map(EventTypes::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    Ok(serde_json::to_string(&names)?)
}

/// A secret of 32 random bytes, hex.
fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Creates a subscription that hears events from now on; returns it with its secret.
pub fn create(
    conn: &mut DbConn,
    ctx: &Ctx,
    guard: &Guard,
    caller_unit: &str,
    new: NewWebhook,
) -> AppResult<WebhookRow> {
    check_url(guard, &new.url)?;
    let org_unit_id = new
        .org_unit_id
        .map_or_else(|| caller_unit.to_string(), |id| id.to_string());
    let org_path = unit_path(conn, ctx, &org_unit_id)?;
    let row = WebhookRow {
        id: crate::http::new_id(),
        url: new.url.to_string(),
        event_types: types_text(new.event_types)?,
        org_unit_id,
        org_path,
        secret: new.secret.map_or_else(new_secret, |s| s.to_string()),
        description: new.description.map(|d| d.to_string()).unwrap_or_default(),
        status: WebhookStatus::Active.as_str().into(),
        disabled_reason: None,
        consecutive_failures: 0,
        cursor_seq: db::outbox::last_seq(conn)?,
        next_attempt_at: None,
        lease_owner: None,
        lease_until: None,
        created_by: ctx.actor.username.clone(),
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
    };
    store::insert(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("webhook.create", "webhook", &row.id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}

/// The subscription `id` in the caller's subtree (404 otherwise, O-1).
pub fn scoped(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<WebhookRow> {
    store::find(conn, id)?
        .filter(|w| crate::domain::org::in_scope(&ctx.scope, &w.org_path))
        .ok_or(AppError::NotFound("webhook"))
}

pub fn update(
    conn: &mut DbConn,
    ctx: &Ctx,
    guard: &Guard,
    id: &str,
    patch: WebhookPatch,
    expected: i64,
) -> AppResult<WebhookRow> {
    let before = scoped(conn, ctx, id)?;
    crate::http::check_version(i64::from(before.version), expected, "webhook")?;
    let mut after = before.clone();
    if let Some(url) = patch.url {
        check_url(guard, &url)?;
        after.url = url.to_string();
    }
    if patch.event_types.is_some() {
        after.event_types = types_text(patch.event_types)?;
    }
    if let Some(unit) = patch.org_unit_id {
        after.org_path = unit_path(conn, ctx, &unit)?;
        after.org_unit_id = unit.to_string();
    }
    if let Some(secret) = patch.secret {
        after.secret = secret.to_string();
    }
    if let Some(description) = patch.description {
        after.description = description.to_string();
    }
    let status_changed = patch.status.is_some_and(|s| s.as_str() != before.status);
    if let Some(status) = patch.status {
        if status == WebhookStatus::Active && before.status != status.as_str() {
            after.consecutive_failures = 0;
            after.next_attempt_at = None;
            after.disabled_reason = None;
        }
        if status == WebhookStatus::Disabled && before.status != status.as_str() {
            after.disabled_reason = Some(format!("disabled by {}", ctx.actor.username));
        }
        after.status = status.as_str().into();
    }
    after.updated_at = ctx.now;
    after.version += 1;
    // The dispatcher's own columns are kept as they are now, not as read above.
    store::update_settings(conn, &after, before.version, status_changed)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("webhook.update", "webhook", &after.id, &after.org_path)
            .before(&before)?
            .after(&after)?,
    )?;
    scoped(conn, ctx, id)
}

pub fn delete(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<()> {
    let before = scoped(conn, ctx, id)?;
    store::delete(conn, id)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("webhook.delete", "webhook", &before.id, &before.org_path).before(&before)?,
    )?;
    Ok(())
}

pub fn secret_hint(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}
