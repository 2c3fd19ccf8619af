use crate::helpers::spawn_app;

#[test]
fn served_openapi_matches_the_committed_document() {
    let app = spawn_app();
    let served = app.request("GET", "/api/v1/openapi.json", None, &[], None);
    assert_eq!(served.status, 200);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path).expect("openapi/openapi.json is committed"),
    )
    .unwrap();
    assert!(
        served.body == committed,
        "openapi/openapi.json is stale: run `cargo run -p rmdesk -- openapi openapi/openapi.json` and commit it"
    );
    // Every v1 operation is documented.
    for p in [
        "/api/v1/auth/token",
        "/api/v1/customers/{id}",
        "/api/v1/rms/{id}/qualifications",
        "/api/v1/audit/verify",
        "/api/v1/policy",
    ] {
        assert!(served.body["paths"][p].is_object(), "{p} documented");
    }
}

#[test]
fn docs_render_without_internet() {
    let app = spawn_app();
    let r = app.request("GET", "/docs/", None, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    let page = r.body.as_str().unwrap();
    assert!(
        !page.contains("cdn") && !page.contains("unpkg"),
        "no external assets"
    );
    let js = app.request("GET", "/docs/swagger-ui-bundle.js", None, &[], None);
    assert_eq!(js.status, 200, "Swagger UI is served from the binary");
}

/// Two Rust types with one schema name once made the document describe the wrong body; each body
/// must resolve to its own schema.
#[test]
fn each_body_resolves_to_its_own_schema() {
    let app = spawn_app();
    let doc = app
        .request("GET", "/api/v1/openapi.json", None, &[], None)
        .body;
    let schema = |reference: &serde_json::Value| {
        let name = reference["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        doc["components"]["schemas"][&name].clone()
    };
    let approve = &doc["paths"]["/api/v1/approvals/{id}/approve"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    assert!(
        schema(approve)["properties"]["note"].is_object(),
        "{approve}"
    );
    let handover = schema(&serde_json::json!({"$ref": "#/components/schemas/Handover"}));
    let handover_move = schema(&handover["properties"]["moves"]["items"]);
    assert!(handover_move["properties"]["assignment_id"].is_object());
    let proposal_move =
        schema(&serde_json::json!({"$ref": "#/components/schemas/RebalancingMove"}));
    assert!(proposal_move["properties"]["from_rm_id"].is_object());
}
