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

/// Issue 17: every `$ref` in the document names a schema it defines.
#[test]
fn every_reference_resolves() {
    let app = spawn_app();
    let doc = app
        .request("GET", "/api/v1/openapi.json", None, &[], None)
        .body;
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"").skip(1) {
        let target = part.split('"').next().unwrap_or_default();
        let mut node = &doc;
        for step in target.trim_start_matches("#/").split('/') {
            node = &node[step];
        }
        assert!(node.is_object(), "{target} is referenced but not defined");
    }
}

/// Issue 17: the limits the document states are the ones the server applies, at both ends: the
/// longest name it allows is accepted and one character more is refused naming the field, counted
/// in characters (a Chinese name of 200 characters is 600 bytes).
#[test]
fn stated_limits_are_the_applied_limits() {
    let app = spawn_app();
    let doc = app
        .request("GET", "/api/v1/openapi.json", None, &[], None)
        .body;
    let name_ref = doc["components"]["schemas"]["NewCustomer"]["properties"]["name"]["$ref"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let limit = &doc["components"]["schemas"][&name_ref];
    let max = limit["maxLength"].as_u64().unwrap() as usize;
    assert_eq!(limit["minLength"], 1);
    let root = app.root_id();
    let unit = app.unit("Pudong Branch", "branch", &root);
    let body =
        |name: String| serde_json::json!({"name": name, "kind": "corporate", "org_unit_id": unit});
    let at_limit = app.post("/customers", &app.admin_token, &body("行".repeat(max)));
    assert_eq!(at_limit.status, 201, "{}", at_limit.body);
    let over = app.post("/customers", &app.admin_token, &body("行".repeat(max + 1)));
    assert_eq!(over.status, 422);
    assert_eq!(over.body["errors"][0]["field"], "name", "{}", over.body);
    let empty = app.post("/customers", &app.admin_token, &body(String::new()));
    assert_eq!(empty.status, 422);

    let page = &doc["components"]["schemas"]["PageSize"];
    let most = page["maximum"].as_i64().unwrap();
    let ok = app.get(&format!("/customers?limit={most}"), &app.admin_token);
    assert_eq!(ok.status, 200);
    let refused = app.get(&format!("/customers?limit={}", most + 1), &app.admin_token);
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["errors"][0]["field"], "limit");

    let pattern = doc["components"]["schemas"]["Username"]["pattern"]
        .as_str()
        .unwrap();
    assert_eq!(pattern, "^[A-Za-z0-9._-]+$");
    let user = app.post(
        "/users",
        &app.admin_token,
        &serde_json::json!({"username": "li na", "password": "long enough password",
            "display_name": "Li Na", "roles": ["rm"], "org_unit_id": unit}),
    );
    assert_eq!(user.status, 422);
    assert_eq!(user.body["errors"][0]["field"], "username", "{}", user.body);
}
