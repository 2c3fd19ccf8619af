//! M-2: `GET /audit/events`, `GET /audit/verify`.

use std::borrow::Cow;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{self, audit::AuditEventRow, audit::Side, audit::Verification};
use crate::domain::privacy;
use crate::domain::role::Permission;
use crate::error::{AppError, AppResult};
use crate::http::{Page, PageParams, Query};
use crate::startup::AppState;
use serde_json::value::RawValue;

/// One audit event: who (user, roles, unit), what (action, entity, before and after), when,
/// request id, policy version, and its place in the hash chain. Personal data in the snapshots is
/// masked for callers without the right to see it (M-3); the hash covers the snapshots' SHA-256,
/// given here, so the chain stays verifiable either way.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the chain, from 1; also the event's identifier.
    pub seq: i64,
    /// As hashed: RFC 3339 UTC with microseconds.
    #[schema(example = "2026-11-23T10:00:00.000001Z")]
    pub occurred_at: String,
    pub actor_user_id: Option<String>,
    pub actor_username: String,
    pub actor_roles: Vec<String>,
    pub actor_org_unit_id: Option<String>,
    #[schema(example = "customer.create")]
    pub action: String,
    #[schema(example = "customer")]
    pub entity: String,
    pub entity_id: String,
    /// The org path of the unit the entity belongs to (`/head-office-id/.../unit-id/`).
    pub org_path: String,
    /// The entity as it was (any JSON value: an object, or a list for some bulk events).
    #[schema(value_type = Option<serde_json::Value>)]
    pub before: Option<Box<RawValue>>,
    /// The entity as it became (any JSON value).
    #[schema(value_type = Option<serde_json::Value>)]
    pub after: Option<Box<RawValue>>,
    /// The snapshots' digests as the chain hashes them: of the snapshot with each personal value
    /// replaced by a salted commitment, so a digest reveals nothing of a masked value.
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    /// The event's secret salt, given when nothing of the event is masked for the reader: every
    /// commitment follows from it (README, "Exports").
    pub snapshot_salt: Option<String>,
    /// Given instead of `snapshot_salt` when personal values are masked: their commitments by JSON
    /// pointer, enough to recompute the digest from the masked snapshot.
    #[schema(value_type = Option<std::collections::HashMap<String, String>>)]
    pub before_redactions: Option<Box<RawValue>>,
    #[schema(value_type = Option<std::collections::HashMap<String, String>>)]
    pub after_redactions: Option<Box<RawValue>>,
    pub request_id: String,
    pub policy_version: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// A stored snapshot as a reader may see it, with its digest and, when masked, the commitments
/// of what the mask hides.
struct Shown<'a> {
    value: Option<Cow<'a, RawValue>>,
    digest: Option<String>,
    redactions: Option<&'a RawValue>,
}

/// The stored text itself, borrowed.
fn whole(text: &str) -> Option<Cow<'_, RawValue>> {
    serde_json::from_str::<&RawValue>(text)
        .ok()
        .map(Cow::Borrowed)
}

fn show(row: &AuditEventRow, side: Side, unmasked: bool) -> Shown<'_> {
    let digest = row.written_digest(side);
    let Some(text) = row.snapshot(side) else {
        return Shown {
            value: None,
            digest,
            redactions: None,
        };
    };
    if unmasked || !privacy::may_hold_personal_data(text) {
        return Shown {
            value: whole(text),
            digest,
            redactions: None,
        };
    }
    let masked = privacy::mask_json_text(text).or_else(|| {
        let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
        privacy::mask_json(&mut value);
        serde_json::to_string(&value).ok()
    });
    match masked {
        Some(masked) if masked != text => Shown {
            value: RawValue::from_string(masked).ok().map(Cow::Owned),
            digest,
            redactions: row
                .redactions(side)
                .and_then(|r| serde_json::from_str::<&RawValue>(r).ok()),
        },
        _ => Shown {
            value: whole(text),
            digest,
            redactions: None,
        },
    }
}

/// The event's salt when nothing of it is masked for this reader.
fn salt_shown(row: &AuditEventRow, before: &Shown<'_>, after: &Shown<'_>) -> Option<String> {
    (before.redactions.is_none() && after.redactions.is_none())
        .then(|| row.snapshot_salt.clone())
        .flatten()
}

/// [`AuditEvent`] borrowing the stored row, for exports of many events: written by hand with the
/// same fields in the same order and serde_json's escaping, so an exported event is byte for byte
/// what `GET /audit/events` shows (a unit test holds it to that).
pub struct AuditEventRef<'a> {
    row: &'a AuditEventRow,
    occurred_at: String,
    before: Shown<'a>,
    after: Shown<'a>,
    snapshot_salt: Option<String>,
}

impl<'a> AuditEventRef<'a> {
    pub fn view(r: &'a AuditEventRow, unmasked: bool) -> Self {
        let before = show(r, Side::Before, unmasked);
        let after = show(r, Side::After, unmasked);
        AuditEventRef {
            row: r,
            occurred_at: db::audit::format_instant(&r.occurred_at),
            snapshot_salt: salt_shown(r, &before, &after),
            before,
            after,
        }
    }

    /// Appends the event's JSON (compact, as serde_json writes [`AuditEvent`]).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let r = self.row;
        let fields = [
            ("seq", Json::Int(r.seq)),
            ("occurred_at", Json::Str(Some(&self.occurred_at))),
            ("actor_user_id", Json::Str(r.actor_user_id.as_deref())),
            ("actor_username", Json::Str(Some(&r.actor_username))),
            ("actor_roles", Json::List(&r.actor_roles)),
            (
                "actor_org_unit_id",
                Json::Str(r.actor_org_unit_id.as_deref()),
            ),
            ("action", Json::Str(Some(&r.action))),
            ("entity", Json::Str(Some(&r.entity))),
            ("entity_id", Json::Str(Some(&r.entity_id))),
            ("org_path", Json::Str(Some(&r.org_path))),
            ("before", Json::Raw(self.before.value.as_deref())),
            ("after", Json::Raw(self.after.value.as_deref())),
            ("before_sha256", Json::Str(self.before.digest.as_deref())),
            ("after_sha256", Json::Str(self.after.digest.as_deref())),
            ("snapshot_salt", Json::Str(self.snapshot_salt.as_deref())),
            ("before_redactions", Json::Raw(self.before.redactions)),
            ("after_redactions", Json::Raw(self.after.redactions)),
            ("request_id", Json::Str(Some(&r.request_id))),
            ("policy_version", Json::Int(r.policy_version)),
            ("prev_hash", Json::Str(Some(&r.prev_hash))),
            ("hash", Json::Str(Some(&r.hash))),
        ];
        for (i, (name, value)) in fields.into_iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"{\"" } else { b",\"" });
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            value.write(out);
        }
        out.push(b'}');
    }
}

/// A value of an exported event's field.
enum Json<'a> {
    Int(i64),
    /// A string, or null.
    Str(Option<&'a str>),
    /// A stored comma-separated list, as an array of strings.
    List(&'a str),
    /// JSON text, or null.
    Raw(Option<&'a RawValue>),
}

impl Json<'_> {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Json::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Json::Str(Some(s)) => json_str(out, s),
            Json::Raw(Some(v)) => out.extend_from_slice(v.get().as_bytes()),
            Json::Str(None) | Json::Raw(None) => out.extend_from_slice(b"null"),
            Json::List(items) => {
                out.push(b'[');
                for (i, item) in items.split(',').filter(|s| !s.is_empty()).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, item);
                }
                out.push(b']');
            }
        }
    }
}

/// A JSON string as serde_json writes it; most stored text needs no escape and is copied as is.
fn json_str(out: &mut Vec<u8>, s: &str) {
    // No early exit: the whole-string test compiles to vector code.
    let needs_escape = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing to a Vec cannot fail; keep the line valid JSON all the same.
        out.extend_from_slice(b"null");
    }
}

impl AuditEvent {
    /// The event as a reader sees it: personal data masked unless `unmasked`.
    pub fn view(r: AuditEventRow, unmasked: bool) -> Self {
        let before = show(&r, Side::Before, unmasked);
        let after = show(&r, Side::After, unmasked);
        let snapshot_salt = salt_shown(&r, &before, &after);
        let owned = |r: Option<&RawValue>| r.map(|r| r.to_owned());
        let (before_sha256, before_redactions, before) = (
            before.digest,
            owned(before.redactions),
            before.value.map(Cow::into_owned),
        );
        let (after_sha256, after_redactions, after) = (
            after.digest,
            owned(after.redactions),
            after.value.map(Cow::into_owned),
        );
        AuditEvent {
            seq: r.seq,
            occurred_at: db::audit::format_instant(&r.occurred_at),
            actor_roles: r
                .actor_roles
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            before_sha256,
            after_sha256,
            snapshot_salt,
            before_redactions,
            after_redactions,
            before,
            after,
            actor_user_id: r.actor_user_id,
            actor_username: r.actor_username,
            actor_org_unit_id: r.actor_org_unit_id,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            org_path: r.org_path,
            request_id: r.request_id,
            policy_version: r.policy_version,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    #[param(example = "customer")]
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[param(example = "customer.create")]
    pub action: Option<String>,
    /// The acting user's username.
    pub actor: Option<String>,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Audit events about entities in the caller's subtree, oldest first (admin, auditor, risk officer).
#[utoipa::path(tag = "audit", params(AuditFilter, PageParams), responses((status = 200, body = Page<AuditEvent>)))]
#[get("/audit/events")]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<AuditFilter>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<AuditEvent>>> {
    caller.require(Permission::ReadAudit)?;
    let limit = page.0.limit()?;
    let after_seq = match page.0.after()? {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::field("cursor", "not a cursor returned by this API"))?,
        ),
    };
    let q = q.0;
    let filter = db::audit::EventFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        action: q.action,
        actor_username: q.actor,
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        after_seq,
    };
    let unmasked = caller.may(Permission::ReadPersonalData);
    let rows = state
        .db
        .read(move |conn| db::audit::list(conn, &caller.org_path, &filter, limit + 1))
        .await?;
    let seqs: Vec<String> = rows.iter().map(|r| r.seq.to_string()).collect();
    let page = Page::from_rows(
        rows.into_iter().zip(seqs).collect(),
        limit,
        |(_, s)| s,
        |(r, _)| AuditEvent::view(r, unmasked),
    );
    Ok(web::Json(page))
}

/// Result of walking the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainReport {
    /// `ok`, or `broken` with the first event that does not fit.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Events checked and found intact before the first break (all of them when `ok`).
    pub events_checked: i64,
    pub last_hash: Option<String>,
    pub first_broken: Option<BrokenEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenEvent {
    /// The first sequence number that does not fit (for a missing event, its number).
    pub seq: i64,
    /// `hash_mismatch` (edited), `broken_link` (an event before it was removed or inserted), `gap`
    /// (a sequence number is missing).
    #[schema(example = "hash_mismatch")]
    pub problem: &'static str,
}

/// Verify the whole audit chain (admin, auditor, risk officer). The chain is global; the report
/// names only sequence numbers.
#[utoipa::path(tag = "audit", responses((status = 200, body = ChainReport)))]
#[get("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<ChainReport>> {
    caller.require(Permission::ReadAudit)?;
    let key = state.signer.public_hex();
    let outcome = state
        .db
        .read(move |conn| db::audit::verify(conn, &key))
        .await?;
    Ok(web::Json(match outcome {
        Verification::Intact {
            events: count,
            last_hash,
        } => ChainReport {
            status: "ok",
            events_checked: count,
            last_hash: Some(last_hash),
            first_broken: None,
        },
        Verification::Broken {
            checked,
            seq,
            problem,
        } => ChainReport {
            status: "broken",
            events_checked: checked,
            last_hash: None,
            first_broken: Some(BrokenEvent {
                seq,
                problem: problem.as_str(),
            }),
        },
    }))
}

/// The key that signs the audit chain's checkpoints and export manifests.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKey {
    #[schema(example = "Ed25519")]
    pub algorithm: &'static str,
    /// The 32-byte public key, hex. Save it to a file for `rmdesk verify-export --public-key`.
    pub public_key: String,
    /// The first 16 hex digits of the key's SHA-256, as manifests name it.
    pub key_id: String,
}

/// The audit signing key's public half (admin, auditor, risk officer).
#[utoipa::path(tag = "audit", responses((status = 200, body = PublicKey)))]
#[get("/audit/public-key")]
pub async fn public_key(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<PublicKey>> {
    caller.require(Permission::ReadAudit)?;
    Ok(web::Json(PublicKey {
        algorithm: "Ed25519",
        public_key: state.signer.public_hex(),
        key_id: state.signer.key_id(),
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(events).service(verify).service(public_key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m2_exported_events_are_byte_for_byte_the_listed_ones() {
        let row = AuditEventRow {
            seq: 7,
            occurred_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .and_then(|d| d.and_hms_micro_opt(10, 0, 0, 1))
                .unwrap_or_default(),
            actor_user_id: Some("u1".into()),
            actor_username: "admin".into(),
            actor_roles: "admin,auditor".into(),
            actor_org_unit_id: None,
            action: "customer.update".into(),
            entity: "customer".into(),
            entity_id: "c1".into(),
            org_path: "/r/".into(),
            before_state: Some(r#"{"name":"Li","national_id":"110101199001011234"}"#.into()),
            after_state: Some(r#"{"name":"Li \"Jr\"","phone":"13812345678"}"#.into()),
            request_id: "req".into(),
            policy_version: 1,
            prev_hash: "p".into(),
            hash: "h".into(),
            snapshot_salt: Some("5a17".into()),
            before_sha256: Some("d1".into()),
            after_sha256: None,
            before_redactions: Some(r#"{"/national_id":"c0ffee"}"#.into()),
            after_redactions: None,
        };
        let exported = |row: &AuditEventRow, unmasked: bool| {
            let mut out = Vec::new();
            AuditEventRef::view(row, unmasked).write_json(&mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        let odd = AuditEventRow {
            actor_user_id: None,
            actor_username: "Zhāng \"Wěi\"\\\n\t\u{1}\u{7f}张伟".into(),
            actor_roles: String::new(),
            actor_org_unit_id: Some("unit".into()),
            before_state: None,
            after_state: Some("not json".into()),
            ..row.clone()
        };
        for r in [&row, &odd] {
            for unmasked in [false, true] {
                let listed = serde_json::to_string(&AuditEvent::view(r.clone(), unmasked))
                    .unwrap_or_default();
                assert_eq!(listed, exported(r, unmasked));
            }
        }
        let masked = exported(&row, false);
        assert!(masked.contains("110101********1234") && masked.contains("138****5678"));
    }
}
