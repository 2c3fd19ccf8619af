//! The transactional outbox: business events written with the change and its audit event, read in
//! order by the webhook deliveries and the live stream.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::{audit_head, outbox_events};
use super::DbConn;
use crate::domain::events::{Derived, EventData, EventType};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = outbox_events)]
pub struct OutboxRow {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub entity: String,
    pub entity_id: String,
    pub org_path: String,
    pub policy_version: i64,
    pub request_id: String,
    pub audit_seq: i64,
    pub occurred_at: NaiveDateTime,
    pub data: String,
}

impl OutboxRow {
    /// The stored type; anything else is corrupt data.
    pub fn kind(&self) -> AppResult<EventType> {
        EventType::stored(&self.event_type).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The event as subscribers receive it. Its payload is stored JSON text: corrupt text fails
    /// loudly.
    pub fn envelope(&self) -> AppResult<BusinessEvent> {
        let data: serde_json::Value = serde_json::from_str(&self.data).map_err(|e| {
            AppError::Internal(format!("corrupt payload of outbox event {}: {e}", self.seq))
        })?;
        Ok(BusinessEvent {
            id: self.id.clone(),
            sequence: self.seq,
            event_type: self.kind()?,
            occurred_at: super::audit::format_instant(&self.occurred_at),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            org_path: self.org_path.clone(),
            policy_version: self.policy_version,
            request_id: self.request_id.clone(),
            data,
        })
    }
}

/// A business event as a webhook receives it (the body of the POST) and as the live stream sends
/// it (the `data` of a server-sent event).
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessEvent {
    /// Unique: a receiver deduplicates on it (deliveries are at least once).
    pub id: String,
    /// The event's place in the bank's order of events (the stream's `id`).
    pub sequence: i64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// RFC 3339 UTC with microseconds, on the bank's business clock.
    pub occurred_at: String,
    /// What it is about: `flag`, `approval`, `assignment`, `rm`, `required_check` ...
    pub entity: String,
    pub entity_id: String,
    /// The org path of the unit the entity belongs to (O-1).
    pub org_path: String,
    /// The policy version in force when it happened (P-1).
    pub policy_version: i64,
    /// The request (or job run) that made the change.
    pub request_id: String,
    /// Identifiers, statuses and dates; never personal data.
    #[schema(value_type = EventData)]
    pub data: serde_json::Value,
}

/// What the audit writer knows of the change the events come from.
pub struct Source<'a> {
    pub audit_seq: i64,
    pub org_path: String,
    pub policy_version: i64,
    pub request_id: &'a str,
    pub occurred_at: NaiveDateTime,
}

/// Appends the events of audited changes, numbered from `first_seq`. Call only from the audit
/// writer, which numbers them under the chain head's lock: the numbers then follow the order in
/// which the transactions commit.
pub fn append(
    conn: &mut DbConn,
    first_seq: i64,
    events: Vec<(Source<'_>, Derived)>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for (i, (source, event)) in events.into_iter().enumerate() {
        rows.push(OutboxRow {
            seq: first_seq + i as i64,
            id: crate::http::new_id(),
            event_type: event.event_type.as_str().into(),
            entity: event.entity,
            entity_id: event.entity_id,
            org_path: source.org_path,
            policy_version: source.policy_version,
            request_id: source.request_id.into(),
            audit_seq: source.audit_seq,
            occurred_at: source.occurred_at,
            data: serde_json::to_string(&event.data)?,
        });
    }
    super::insert_rows!(conn, outbox_events::table, &rows);
    Ok(())
}

/// The newest event's number (0 when none was written).
pub fn last_seq(conn: &mut DbConn) -> AppResult<i64> {
    Ok(audit_head::table
        .find(1)
        .select(audit_head::last_event_seq)
        .first(conn)?)
}

/// Events after `seq`, oldest first, at most `limit`.
pub fn after(conn: &mut DbConn, seq: i64, limit: i64) -> AppResult<Vec<OutboxRow>> {
    Ok(outbox_events::table
        .filter(outbox_events::seq.gt(seq))
        .order(outbox_events::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// Events after `seq` about entities inside the subtree at `scope` (O-1), oldest first.
pub fn scoped_after(
    conn: &mut DbConn,
    scope: &str,
    seq: i64,
    limit: i64,
) -> AppResult<Vec<OutboxRow>> {
    let (low, high) = super::subtree_range(scope);
    Ok(outbox_events::table
        .filter(outbox_events::seq.gt(seq))
        .filter(outbox_events::org_path.ge(low))
        .filter(outbox_events::org_path.lt(high))
        .order(outbox_events::seq.asc())
        .limit(limit)
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, seq: i64) -> AppResult<Option<OutboxRow>> {
    Ok(outbox_events::table.find(seq).first(conn).optional()?)
}
