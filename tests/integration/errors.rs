use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn malformed_json_is_400_problem() {
    let app = spawn_app();
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &[],
        Some("{\"name\": "),
    );
    r.assert_problem(400, "malformed_request");
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &[],
        Some("{} trailing"),
    );
    r.assert_problem(400, "malformed_request");
}

#[test]
fn wrong_types_unknown_enums_and_missing_fields_name_the_field() {
    let app = spawn_app();
    let root = app.root_id();
    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": 5, "kind": "corporate", "org_unit_id": root}),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name");

    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": "Acme", "kind": "bank", "org_unit_id": root}),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "kind");

    let r = app.post("/customers", &app.admin_token, &json!({"name": "Acme", "kind": "corporate", "org_unit_id": root, "categories": ["core", "vip"]}));
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "categories[1]");

    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"kind": "corporate", "org_unit_id": root}),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name");

    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": "", "kind": "corporate", "org_unit_id": root}),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name");

    let r = app.post("/rms", &app.admin_token, &json!({"employee_no": "E1", "national_id": "110101199001011234", "name": "Li", "line": "corporate", "grade": "rm", "org_unit_id": root, "qualified_on": "2026-13-01"}));
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "qualified_on");

    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": "Acme", "kind": "corporate", "org_unit_id": root, "surprise": 1}),
    );
    r.assert_problem(422, "validation_failed");
    // Nothing was half-created.
    assert_eq!(
        app.get("/customers", &app.admin_token).body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn oversized_body_is_413() {
    let app = spawn_app();
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &[],
        Some(&big),
    );
    r.assert_problem(413, "payload_too_large");
}

#[test]
fn bad_query_parameters_and_unknown_routes_are_problems() {
    let app = spawn_app();
    let r = app.get("/customers?limit=abc", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "limit");
    app.get("/customers?limit=501", &app.admin_token)
        .assert_problem(422, "validation_failed");
    app.get("/customers?kind=bank", &app.admin_token)
        .assert_problem(422, "validation_failed");
    app.get("/customers?cursor=%%%", &app.admin_token)
        .assert_problem(422, "validation_failed");
    app.get("/no-such-thing", &app.admin_token)
        .assert_problem(404, "not_found");
    app.get("/customers/not-an-id", &app.admin_token)
        .assert_problem(404, "not_found");
}

#[test]
fn non_json_content_type_is_refused() {
    let app = spawn_app();
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &[("Content-Type", "text/plain")],
        None,
    );
    r.assert_problem(400, "malformed_request");
}

#[test]
fn problem_types_resolve_to_rmdesks_own_page_of_the_code() {
    let app = crate::helpers::spawn_app();
    let r = app.get("/customers/no-such-customer", &app.admin_token);
    r.assert_problem(404, "not_found");
    let page_path = r.body["type"].as_str().unwrap().to_string();
    assert_eq!(page_path, "/problems/not_found");
    let page = app.request("GET", &page_path, None, &[], None);
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let text = page.body.as_str().unwrap_or_default();
    assert!(
        text.contains("not_found") && text.contains("What to do"),
        "{text}"
    );
    let rule_page = app.request("GET", "/problems/capacity_exceeded", None, &[], None);
    assert!(rule_page.body.as_str().unwrap_or_default().contains("A-3"));
    let index = app.request("GET", "/problems", None, &[], None);
    assert!(index
        .body
        .as_str()
        .unwrap_or_default()
        .contains("checker_made_by_maker"));
    app.request("GET", "/problems/no_such_code", None, &[], None)
        .assert_problem(404, "not_found");
}

#[test]
fn a_nul_character_in_any_text_is_422_naming_the_field_on_both_databases() {
    let app = crate::helpers::spawn_app();
    let root = app.root_id();
    let r = app.post(
        "/org-units",
        &app.admin_token,
        &serde_json::json!({"name": "East\u{0}Region", "kind": "region", "parent_id": root}),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name", "{}", r.body);
    let r = app.get("/customers?name=a%00b", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name", "{}", r.body);
}
