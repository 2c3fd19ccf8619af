//! Masking that cannot be undone (M-3), the audit chain's signed anchor (M-2), headers and files
//! (issue 16).

use diesel::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::exports::{digest, fetch, split};
use crate::helpers::{spawn_app, tempdir, TestApp};

const NATIONAL_ID: &str = "110101199001014518";

fn public_key_file(app: &TestApp, token: &str) -> std::path::PathBuf {
    let r = app.get("/audit/public-key", token);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["algorithm"], "Ed25519");
    let file = tempdir().join("audit-public-key.json");
    std::fs::write(&file, r.body.to_string()).unwrap();
    file
}

fn verify_with_key(file: &std::path::Path, key: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rmdesk"))
        .arg("verify-export")
        .arg(file)
        .arg("--public-key")
        .arg(key)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn hex_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn m3_the_auditors_view_of_an_rm_event_cannot_be_matched_against_any_candidate_national_id() {
    let app = spawn_app();
    let root = app.root_id();
    let r = app.post(
        "/rms",
        &app.admin_token,
        &TestApp::rm_body("E-MASK", NATIONAL_ID, &root),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let auditor = app.user_token("auditor.mask", &["auditor"], &root);
    let r = app.get("/audit/events?action=rm.create", &auditor);
    let event = r.body["items"][0].clone();
    let after = &event["after"];
    assert_eq!(after["national_id"], "110101********4518", "{event}");
    assert!(
        event["snapshot_salt"].is_null(),
        "no event salt for a masked reader: {event}"
    );
    let hidden = event["after_redactions"]["/national_id"]
        .as_str()
        .expect("a commitment")
        .to_string();

    // The attack of the issue, with the true value among the candidates: no digest the reader
    // holds is a digest of the unmasked snapshot, and the commitment is no hash of the value with
    // anything the reader was given.
    let mut unmasked = after.clone();
    unmasked["national_id"] = json!(NATIONAL_ID);
    let text = event.to_string();
    for candidate in [
        unmasked.to_string(),
        serde_json::to_string(&unmasked).unwrap(),
    ] {
        assert!(
            !text.contains(&hex_sha256(&candidate)),
            "a digest of the unmasked snapshot is shown"
        );
    }
    let value = serde_json::to_string(NATIONAL_ID).unwrap();
    for given in ["hash", "prev_hash", "after_sha256"] {
        let given = event[given].as_str().unwrap_or_default();
        assert_ne!(hex_sha256(&format!("{given}\n{value}")), hidden);
    }
    assert_ne!(hex_sha256(&value), hidden);
    assert!(!text.contains(NATIONAL_ID));

    // The admin, who may see it, gets the event salt and the whole snapshot.
    let r = app.get("/audit/events?action=rm.create", &app.admin_token);
    assert_eq!(r.body["items"][0]["after"]["national_id"], NATIONAL_ID);
    assert!(r.body["items"][0]["snapshot_salt"].is_string());

    // The masked export still verifies, snapshots included, with the signature.
    let (_, export) = fetch(&app, &auditor, "/exports/audit_events?format=ndjson");
    assert!(!export.contains(NATIONAL_ID));
    let dir = tempdir();
    let file = dir.join("masked.ndjson");
    std::fs::write(&file, &export).unwrap();
    let key = public_key_file(&app, &auditor);
    let (ok, report) = verify_with_key(&file, &key);
    assert!(ok, "{report}");
    assert!(report.contains("\"signature_ok\": true"), "{report}");
}

#[test]
fn m2_verify_export_refuses_an_edited_item_and_a_self_consistent_forgery() {
    let app = spawn_app();
    let root = app.root_id();
    app.post(
        "/rms",
        &app.admin_token,
        &TestApp::rm_body("E-EDIT", NATIONAL_ID, &root),
    );
    let auditor = app.user_token("auditor.edit", &["auditor"], &root);
    let (_, export) = fetch(&app, &auditor, "/exports/audit_events?format=ndjson");
    let (items, manifest) = split(&export, "ndjson");
    let key = public_key_file(&app, &auditor);
    let dir = tempdir();
    let write = |name: &str, items: &[String], manifest: &Value| {
        let file = dir.join(name);
        let mut text = items.join("\n");
        text.push('\n');
        text.push_str(&manifest.to_string());
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        file
    };

    // An item's visible snapshot edited and the file's digest recomputed: the snapshot no longer
    // gives its digest back.
    let target = items
        .iter()
        .position(|i| i.contains("\"action\":\"rm.create\""))
        .expect("the RM's event");
    let mut edited: Vec<String> = items.clone();
    let mut event: Value = serde_json::from_str(&edited[target]).unwrap();
    event["after"]["name"] = json!("Someone Else");
    edited[target] = event.to_string();
    let mut forged_manifest = manifest.clone();
    forged_manifest["items_sha256"] = json!(digest(&edited));
    let (ok, report) = verify_with_key(&write("edited.ndjson", &edited, &forged_manifest), &key);
    assert!(!ok, "{report}");
    assert!(report.contains("snapshot_mismatch"), "{report}");

    // The last events dropped and the manifest made consistent again: the file vouches for
    // itself, the signature does not.
    let shorter: Vec<String> = items[..items.len() - 1].to_vec();
    let last: Value = serde_json::from_str(shorter.last().unwrap()).unwrap();
    let mut forged_manifest = manifest.clone();
    forged_manifest["row_count"] = json!(shorter.len());
    forged_manifest["items_sha256"] = json!(digest(&shorter));
    forged_manifest["chain_to"] = last["hash"].clone();
    let file = write("shorter.ndjson", &shorter, &forged_manifest);
    let (ok, report) = crate::exports::verify_export(&file);
    assert!(ok, "without a key the file vouches for itself: {report}");
    let (ok, report) = verify_with_key(&file, &key);
    assert!(!ok, "{report}");
    assert!(report.contains("\"signature_ok\": false"), "{report}");
}

#[test]
fn m2_a_rewritten_tail_with_recomputed_hashes_is_reported_once_a_checkpoint_signed_it() {
    use rmdesk::db::audit::AuditEventRow;
    use rmdesk::db::schema::{audit_events, audit_head};

    let app = spawn_app();
    let root = app.root_id();
    let auditor = app.user_token("auditor.tail", &["auditor"], &root);
    for i in 0..3 {
        app.unit(&format!("Branch {i}"), "branch", &root);
    }
    // Every export signs a checkpoint of the chain's head.
    let (status, _) = fetch(&app, &auditor, "/exports/rms?format=ndjson");
    assert_eq!(status, 200);
    assert_eq!(app.get("/audit/verify", &auditor).body["status"], "ok");

    // Someone with write access edits the last org-unit event and recomputes every hash after it
    // and the head, by the README's algorithm.
    let mut conn = app.db();
    let mut rows: Vec<AuditEventRow> = audit_events::table
        .order(audit_events::seq.asc())
        .load(&mut conn)
        .unwrap();
    let target = rows
        .iter()
        .rposition(|r| r.action == "org_unit.create")
        .unwrap();
    rows[target].after_state = Some(r#"{"name":"Rewritten"}"#.into());
    let mut prev = rows[target].prev_hash.clone();
    for row in rows.iter_mut().skip(target) {
        row.prev_hash = prev.clone();
        row.hash = row.chain_hash();
        prev = row.hash.clone();
        diesel::update(audit_events::table.find(row.seq))
            .set((
                audit_events::after_state.eq(&row.after_state),
                audit_events::prev_hash.eq(&row.prev_hash),
                audit_events::hash.eq(&row.hash),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    diesel::update(audit_head::table.find(1))
        .set(audit_head::last_hash.eq(&prev))
        .execute(&mut conn)
        .unwrap();

    let r = app.get("/audit/verify", &auditor);
    assert_eq!(r.body["status"], "broken", "{}", r.body);
    assert_eq!(r.body["first_broken"]["problem"], "rewritten", "{}", r.body);
}

#[test]
fn security_headers_and_private_files() {
    let app = spawn_app();
    for path in ["/", "/health", "/customers"] {
        let r = app.request("GET", path, None, &[], None);
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: std::path::PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(app.data_dir.clone()), 0o700);
        assert_eq!(mode(app.data_dir.join("audit-signing-key")), 0o600);
        assert_eq!(mode(app.data_dir.join("jwt-secret")), 0o600);
        let sqlite = app.data_dir.join("rmdesk.sqlite3");
        if sqlite.exists() {
            assert_eq!(mode(sqlite), 0o600);
        }
    }
}
