//! `rmdesk verify-export <file>`: checks an `audit_events` export (JSON or NDJSON) offline, without
//! the database or trusting the server. The algorithm (also in the README):
//!
//! 1. The items' digest: SHA-256 over each item's JSON text as it appears in the file, each followed
//!    by `\n`, must equal the manifest's `items_sha256`, and their number its `row_count`.
//! 2. Each event's hash: SHA-256 over the compact JSON of
//!    `{seq, occurred_at, actor_user_id, actor_username, actor_roles (comma-joined), actor_org_unit_id,
//!    action, entity, entity_id, org_path, before_sha256, after_sha256, request_id, policy_version,
//!    prev_hash}` in that order must equal its `hash` (an edited event fails here).
//! 3. Links: the first event's `prev_hash` is the manifest's `chain_from`; each next event's
//!    `prev_hash` is the previous event's `hash` when its `seq` follows on; in a `contiguous` export a
//!    missing `seq` is a break too (an event removed or inserted).
//! 4. Snapshots: every `before`/`after` shown must give its digest back: committed under
//!    `snapshot_salt`, or, when masked, with the commitments of `before_redactions` /
//!    `after_redactions` in place of the masked values (`domain::commitments`); events written
//!    before commitments digest the snapshot's text itself.
//! 5. With `--public-key`, the manifest's Ed25519 `signature` over `row_count`, `items_sha256`,
//!    `chain_from` and `chain_to` (so the file cannot vouch for itself).

use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::domain::audit_chain::{event_hash, state_digest, ChainedContent};
use crate::domain::commitments::{self, Redactions};

#[derive(Debug, Deserialize)]
struct Event {
    seq: i64,
    occurred_at: String,
    actor_user_id: Option<String>,
    actor_username: String,
    actor_roles: Vec<String>,
    actor_org_unit_id: Option<String>,
    action: String,
    entity: String,
    entity_id: String,
    org_path: String,
    before_sha256: Option<String>,
    after_sha256: Option<String>,
    #[serde(default)]
    before: Option<serde_json::Value>,
    #[serde(default)]
    after: Option<serde_json::Value>,
    #[serde(default)]
    snapshot_salt: Option<String>,
    #[serde(default)]
    before_redactions: Option<Redactions>,
    #[serde(default)]
    after_redactions: Option<Redactions>,
    request_id: String,
    policy_version: i64,
    prev_hash: String,
    hash: String,
}

/// The snapshots' text exactly as in the file (events written before commitments digest it).
#[derive(Deserialize)]
struct RawSnapshots<'a> {
    #[serde(borrow, default)]
    before: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    dataset: String,
    row_count: u64,
    items_sha256: String,
    chain_from: Option<String>,
    #[serde(default)]
    chain_to: Option<String>,
    #[serde(default)]
    contiguous: bool,
    #[serde(default)]
    signature: Option<String>,
}

/// The first event that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    pub seq: i64,
    /// `hash_mismatch` (edited), `broken_link` (the event before it was changed, removed or
    /// inserted), `gap` (a sequence number is missing), `snapshot_mismatch` (a `before`/`after`
    /// does not give its digest back).
    pub reason: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub events: u64,
    pub digest_ok: bool,
    pub count_ok: bool,
    /// The manifest's signature checked with the given public key; `None` when no key was given
    /// (then the file vouches for itself).
    pub signature_ok: Option<bool>,
    pub first_break: Option<Break>,
}

struct Checker {
    digest: Sha256,
    events: u64,
    previous: Option<(i64, String)>,
    first_prev: Option<(i64, String)>,
    first_break: Option<Break>,
    contiguous_gaps: Vec<i64>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            digest: Sha256::new(),
            events: 0,
            previous: None,
            first_prev: None,
            first_break: None,
            contiguous_gaps: Vec::new(),
        }
    }

    fn item(&mut self, text: &str) -> Result<(), String> {
        self.digest.update(text.as_bytes());
        self.digest.update(b"\n");
        self.events += 1;
        let e: Event = serde_json::from_str(text)
            .map_err(|err| format!("item {}: not an audit event: {err}", self.events))?;
        let raw: RawSnapshots = serde_json::from_str(text)
            .map_err(|err| format!("item {}: not an audit event: {err}", self.events))?;
        let roles = e.actor_roles.join(",");
        let content = ChainedContent {
            seq: e.seq,
            occurred_at: &e.occurred_at,
            actor_user_id: e.actor_user_id.as_deref(),
            actor_username: &e.actor_username,
            actor_roles: &roles,
            actor_org_unit_id: e.actor_org_unit_id.as_deref(),
            action: &e.action,
            entity: &e.entity,
            entity_id: &e.entity_id,
            org_path: &e.org_path,
            before_sha256: e.before_sha256.clone(),
            after_sha256: e.after_sha256.clone(),
            request_id: &e.request_id,
            policy_version: e.policy_version,
            prev_hash: &e.prev_hash,
        };
        let mut found = None;
        match &self.previous {
            None => self.first_prev = Some((e.seq, e.prev_hash.clone())),
            Some((seq, hash)) => {
                if e.seq == seq + 1 && &e.prev_hash != hash {
                    found = Some("broken_link");
                } else if e.seq != seq + 1 {
                    self.contiguous_gaps.push(e.seq);
                }
            }
        }
        if event_hash(&content) != e.hash {
            found = Some("hash_mismatch");
        }
        let shown = [
            (
                "before",
                &e.before,
                &e.before_sha256,
                &e.before_redactions,
                &raw.before,
            ),
            (
                "after",
                &e.after,
                &e.after_sha256,
                &e.after_redactions,
                &raw.after,
            ),
        ];
        for (side, value, digest, redactions, raw) in shown {
            let Some(value) = value else { continue };
            let recomputed = match (&e.snapshot_salt, redactions) {
                (Some(salt), _) => Some(commitments::commit(salt, side, value).0),
                (None, Some(redactions)) => commitments::check(value, redactions),
                (None, None) => raw.map(|r| state_digest(r.get())),
            };
            if recomputed.is_none() || recomputed.as_ref() != digest.as_ref() {
                found = found.or(Some("snapshot_mismatch"));
            }
        }
        if let (Some(reason), None) = (found, &self.first_break) {
            self.first_break = Some(Break { seq: e.seq, reason });
        }
        self.previous = Some((e.seq, e.hash));
        Ok(())
    }

    fn finish(mut self, manifest: Manifest, public_key: Option<&str>) -> Result<Report, String> {
        if manifest.dataset != "audit_events" {
            return Err(format!(
                "the export holds {}, not audit_events",
                manifest.dataset
            ));
        }
        if let Some((seq, prev)) = &self.first_prev {
            if Some(prev) != manifest.chain_from.as_ref() {
                self.first_break = Some(Break {
                    seq: *seq,
                    reason: "broken_link",
                });
            }
        }
        if let (Some((seq, last)), Some(to)) = (&self.previous, &manifest.chain_to) {
            if last != to && self.first_break.is_none() {
                self.first_break = Some(Break {
                    seq: *seq,
                    reason: "broken_link",
                });
            }
        }
        if manifest.contiguous {
            if let Some(seq) = self.contiguous_gaps.first() {
                let gap = Break {
                    seq: *seq,
                    reason: "gap",
                };
                if self.first_break.as_ref().is_none_or(|b| b.seq > gap.seq) {
                    self.first_break = Some(gap);
                }
            }
        }
        let digest_ok = hex::encode(self.digest.finalize()) == manifest.items_sha256;
        let count_ok = self.events == manifest.row_count;
        let signature_ok = public_key.map(|key| {
            let message = crate::anchor::manifest_message(
                manifest.row_count,
                &manifest.items_sha256,
                manifest.chain_from.as_deref(),
                manifest.chain_to.as_deref(),
            );
            manifest
                .signature
                .as_deref()
                .is_some_and(|s| crate::anchor::verify(key, &message, s))
        });
        Ok(Report {
            ok: digest_ok && count_ok && signature_ok != Some(false) && self.first_break.is_none(),
            events: self.events,
            digest_ok,
            count_ok,
            signature_ok,
            first_break: self.first_break,
        })
    }
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    manifest: Manifest,
}

/// The public key in a file: the hex key, or the JSON of `GET /audit/public-key`.
pub fn read_public_key(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => v["public_key"].as_str().unwrap_or_default().to_string(),
        Err(_) => text.trim().to_string(),
    };
    if key.len() != 64 || hex::decode(&key).is_err() {
        return Err(format!(
            "{}: not an Ed25519 public key (64 hex digits)",
            path.display()
        ));
    }
    Ok(key)
}

/// Checks an export file (JSON document or NDJSON); with `public_key`, its signature too.
pub fn verify_export(path: &std::path::Path, public_key: Option<&str>) -> Result<Report, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let starts_json_document = {
        let head = reader.fill_buf().map_err(|e| e.to_string())?;
        head.starts_with(b"{\"items\":")
    };
    let mut checker = Checker::new();
    if starts_json_document {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).map_err(|e| e.to_string())?;
        let doc: Document =
            serde_json::from_str(&text).map_err(|e| format!("not an export: {e}"))?;
        for item in doc.items {
            checker.item(item.get())?;
        }
        return checker.finish(doc.manifest, public_key);
    }
    let mut last: Option<String> = None;
    for line in reader.lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(previous) = last.replace(line) {
            checker.item(&previous)?;
        }
    }
    let manifest = last.ok_or("the file is empty")?;
    let manifest: Manifest = serde_json::from_str(&manifest)
        .map_err(|e| format!("the last line is not a manifest: {e}"))?;
    checker.finish(manifest, public_key)
}
