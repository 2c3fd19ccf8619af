//! Issue 7: auditor exports (M-3) with manifests, masking and the offline-verifiable chain (M-2).

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::helpers::{spawn_app, tempdir, TestApp};

const DATASETS: [&str; 8] = [
    "assignments",
    "flags",
    "field_checks",
    "exit_cases",
    "scores",
    "audit_events",
    "rms",
    "customers",
];

/// The export's raw text, as an auditor's tool receives it.
pub(crate) fn fetch(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let response = ureq::get(&app.url(path))
        .set("Authorization", &format!("Bearer {token}"))
        .call();
    match response {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// The items' texts and the manifest of an export, whatever its format.
pub(crate) fn split(text: &str, format: &str) -> (Vec<String>, Value) {
    if format == "ndjson" {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let manifest: Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
        for line in &lines {
            serde_json::from_str::<Value>(line).expect("every NDJSON line parses");
        }
        return (lines, manifest);
    }
    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(borrow)]
        items: Vec<&'a serde_json::value::RawValue>,
        manifest: Value,
    }
    let doc: Doc = serde_json::from_str(text).expect("one JSON document");
    (
        doc.items.iter().map(|i| i.get().to_string()).collect(),
        doc.manifest,
    )
}

pub(crate) fn digest(items: &[String]) -> String {
    let mut h = Sha256::new();
    for i in items {
        h.update(i.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// A small bank with something in every dataset.
fn bank(app: &TestApp) -> (String, String) {
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let mut body = TestApp::rm_body("E900", "110101199001011234", &team);
    body["name"] = json!("Wang Wei");
    let r = app.post("/rms", &app.admin_token, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let rm = r.body["id"].as_str().unwrap().to_string();
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": c, "kind": "anomaly", "reason": "cash pattern"}),
    );
    app.post(
        "/performance/metrics",
        &app.admin_token,
        &json!({"rm_id": rm, "month": "2026-10", "new_loan_accounts": 1}),
    );
    app.post(
        "/performance/runs",
        &app.admin_token,
        &json!({"month": "2026-10"}),
    );
    app.post(
        "/exit-cases",
        &app.admin_token,
        &json!({"rm_id": rm, "kind": "voluntary", "reason": "moving abroad"}),
    );
    (root, rm)
}

#[test]
fn m3_manifest_counts_and_digests_match_the_items_in_both_formats() {
    let app = spawn_app();
    let (root, _) = bank(&app);
    let auditor = app.user_token("auditor", &["auditor"], &root);
    for dataset in DATASETS {
        for format in ["json", "ndjson"] {
            let (status, text) = fetch(
                &app,
                &auditor,
                &format!("/exports/{dataset}?format={format}"),
            );
            assert_eq!(status, 200, "{dataset} {format}: {text}");
            let (items, manifest) = split(&text, format);
            assert_eq!(manifest["dataset"], dataset);
            assert_eq!(manifest["complete"], true);
            assert_eq!(manifest["row_count"], items.len() as u64, "{dataset}");
            assert_eq!(
                manifest["items_sha256"],
                digest(&items),
                "{dataset} {format}"
            );
            if dataset != "field_checks" {
                assert!(!items.is_empty(), "{dataset} has rows");
            }
        }
    }
    let rm_token = app.user_token("manager", &["manager"], &root);
    let (status, _) = fetch(&app, &rm_token, "/exports/flags");
    assert_eq!(status, 403);
    let (status, _) = fetch(&app, &auditor, "/exports/salaries");
    assert_eq!(status, 422);
}

#[test]
fn m3_an_rms_national_id_never_appears_unmasked_to_an_auditor_and_exports_are_audited() {
    let app = spawn_app();
    let (root, _) = bank(&app);
    let auditor = app.user_token("auditor", &["auditor"], &root);
    for dataset in ["rms", "audit_events"] {
        for format in ["json", "ndjson"] {
            let (_, text) = fetch(
                &app,
                &auditor,
                &format!("/exports/{dataset}?format={format}"),
            );
            assert!(!text.contains("110101199001011234"), "{dataset} {format}");
            assert!(text.contains("110101********1234"), "{dataset} {format}");
        }
    }
    let r = app.get("/audit/events?action=rm.create", &auditor);
    assert!(!r.body.to_string().contains("110101199001011234"));
    // Those who may see personal data do.
    let (_, text) = fetch(&app, &app.admin_token, "/exports/rms?format=ndjson");
    assert!(text.contains("110101199001011234"));

    let r = app.get("/audit/events?action=export.create", &app.admin_token);
    let events = r.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 5, "every export is an audit event");
    let last = &events[4]["after"];
    assert_eq!(last["dataset"], "rms");
    assert_eq!(events[0]["actor_username"], "auditor");
    assert!(last["row_count"].as_u64().unwrap() >= 1);
    assert_eq!(last["items_sha256"].as_str().unwrap().len(), 64);
}

pub(crate) fn verify_export(file: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rmdesk"))
        .arg("verify-export")
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn m2_an_edited_event_is_named_by_audit_verify_and_by_verify_export_offline() {
    let app = spawn_app();
    let (root, _) = bank(&app);
    let auditor = app.user_token("auditor", &["auditor"], &root);
    let dir = tempdir();
    for format in ["json", "ndjson"] {
        let (_, text) = fetch(
            &app,
            &auditor,
            &format!("/exports/audit_events?format={format}"),
        );
        let file = dir.join(format!("clean.{format}"));
        std::fs::write(&file, &text).unwrap();
        let (ok, report) = verify_export(&file);
        assert!(ok, "{format}: {report}");
        let (_, manifest) = split(&text, format);
        assert_eq!(manifest["contiguous"], true);
        assert_eq!(manifest["chain_from"], "0".repeat(64));
    }
    // A period's export chains from the hash before it.
    let (_, text) = fetch(&app, &auditor, "/exports/audit_events?format=ndjson");
    let (items, _) = split(&text, "ndjson");
    let target: Value = serde_json::from_str(&items[3]).unwrap();
    let seq = target["seq"].as_i64().unwrap();

    let mut conn = app.db();
    diesel::sql_query(format!(
        "UPDATE audit_events SET after_state = '{{\"name\":\"Forged\"}}' WHERE seq = {seq}"
    ))
    .execute(&mut conn)
    .unwrap();
    let r = app.get("/audit/verify", &auditor);
    assert_eq!(r.body["status"], "broken");
    assert_eq!(r.body["first_broken"]["seq"], seq);
    for format in ["json", "ndjson"] {
        let (_, text) = fetch(
            &app,
            &auditor,
            &format!("/exports/audit_events?format={format}"),
        );
        let file = dir.join(format!("edited.{format}"));
        std::fs::write(&file, &text).unwrap();
        let (ok, report) = verify_export(&file);
        assert!(!ok, "{format}: {report}");
        // The export carries the digest written with the event, which the edited text no longer
        // gives back.
        assert!(
            report.contains(&format!("\"seq\": {seq}")) && report.contains("snapshot_mismatch"),
            "{format}: {report}"
        );
    }
}
