use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn m2_every_write_is_audited_with_who_what_and_request_id() {
    let app = spawn_app();
    let root = app.root_id();
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &[("X-Request-Id", "req-abc-123")],
        Some(&json!({"name": "Acme", "kind": "corporate", "org_unit_id": root}).to_string()),
    );
    assert_eq!(r.header("x-request-id"), Some("req-abc-123"));
    let id = r.body["id"].as_str().unwrap().to_string();
    let events = app.get(
        &format!("/audit/events?entity=customer&entity_id={id}"),
        &app.admin_token,
    );
    let event = &events.body["items"][0];
    assert_eq!(event["action"], "customer.create");
    assert_eq!(event["actor_username"], "admin");
    assert_eq!(event["actor_roles"], json!(["admin"]));
    assert_eq!(event["actor_org_unit_id"], root.as_str());
    assert_eq!(event["request_id"], "req-abc-123");
    assert_eq!(event["policy_version"], 1);
    assert_eq!(event["after"]["name"], "Acme");
    assert!(event["before"].is_null());

    app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"name": "Acme Steel", "version": 1}),
    );
    let events = app.get(
        &format!("/audit/events?entity_id={id}&action=customer.update"),
        &app.admin_token,
    );
    assert_eq!(events.body["items"][0]["before"]["name"], "Acme");
    assert_eq!(events.body["items"][0]["after"]["name"], "Acme Steel");

    // Paging over the whole log.
    let page = app.get("/audit/events?limit=2", &app.admin_token);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let next = app.get(
        &format!(
            "/audit/events?limit=2&cursor={}",
            page.body["next_cursor"].as_str().unwrap()
        ),
        &app.admin_token,
    );
    assert_eq!(next.body["items"][0]["seq"], 3);
    // Auditors read it; RMs do not.
    let rm = app.user_token("rm.one", &["rm"], &root);
    app.get("/audit/events", &rm)
        .assert_problem(403, "forbidden");
}

#[test]
fn m2_verify_reports_ok_then_the_first_edited_event() {
    let app = spawn_app();
    let root = app.root_id();
    for name in ["A", "B", "C"] {
        app.customer(&app.admin_token, name, &root);
    }
    let auditor = app.user_token("auditor.one", &["auditor"], &root);
    let r = app.get("/audit/verify", &auditor);
    assert_eq!(r.body["status"], "ok", "{}", r.body);
    let total = r.body["events_checked"].as_i64().unwrap();
    assert!(total >= 6);

    let target = app
        .get("/audit/events?action=customer.create", &auditor)
        .body["items"][1]["seq"]
        .as_i64()
        .unwrap();
    let mut conn = app.db();
    diesel::sql_query(format!(
        "UPDATE audit_events SET after_state = '{{\"name\":\"Forged\"}}' WHERE seq = {target}"
    ))
    .execute(&mut conn)
    .unwrap();
    let r = app.get("/audit/verify", &auditor);
    assert_eq!(r.body["status"], "broken");
    assert_eq!(r.body["first_broken"]["seq"], target);
    assert_eq!(r.body["first_broken"]["problem"], "hash_mismatch");
    assert_eq!(r.body["events_checked"], target - 1);
}

#[test]
fn m2_deleting_an_event_breaks_the_chain() {
    let app = spawn_app();
    let root = app.root_id();
    app.customer(&app.admin_token, "A", &root);
    app.customer(&app.admin_token, "B", &root);
    let mut conn = app.db();
    diesel::sql_query("DELETE FROM audit_events WHERE seq = 2")
        .execute(&mut conn)
        .unwrap();
    let r = app.get("/audit/verify", &app.admin_token);
    assert_eq!(r.body["status"], "broken");
    assert_eq!(r.body["first_broken"]["seq"], 3);
    assert_eq!(r.body["first_broken"]["problem"], "gap");
}

#[test]
fn p1_policy_is_versioned_with_the_defaults_of_the_rules() {
    let app = spawn_app();
    let r = app.get("/policy", &app.admin_token);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["policy"]["capacity"]["corporate_key_accounts"], 15);
    assert_eq!(r.body["policy"]["capacity"]["retail_vip_customers"], 400);
    assert_eq!(r.body["policy"]["assignment"]["primary_share"], "0.6");
    assert_eq!(r.body["policy"]["risk"]["out_of_control_ratio"], "0.20");
    assert_eq!(r.body["policy"]["qualification"]["validity_years"], 2);
    assert!(r.body["policy"]["scoring"]["tables"]["sub_branch_rm"].is_object());
}

#[test]
fn o1_branch_auditor_reads_only_its_branchs_audit_events() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    app.customer(&app.admin_token, "Ours Ltd", &pudong);
    app.customer(&app.admin_token, "Theirs Ltd", &minhang);
    let auditor = app.user_token("pudong.auditor", &["auditor"], &pudong);
    let r = app.get("/audit/events?action=customer.create", &auditor);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["after"]["name"], "Ours Ltd");
    assert_eq!(
        app.get("/audit/events?action=customer.create", &app.admin_token)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn p1_policy_change_waits_for_a_second_person_and_makes_a_new_version() {
    let app = spawn_app();
    let root = app.root_id();
    let mut policy = app.get("/policy", &app.admin_token).body["policy"].clone();
    policy["capacity"]["corporate_key_accounts"] = json!(20);
    let r = app.request(
        "PUT",
        "/policy",
        Some(&app.admin_token),
        &[],
        Some(&policy.to_string()),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["rule"], "P-1");
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/policy", &app.admin_token).body["version"],
        1,
        "nothing applied yet"
    );
    app.post(
        &format!("/approvals/{id}/approve"),
        &app.admin_token,
        &json!({}),
    )
    .assert_rule("M-1", "same_person");
    let risk = app.user_token("risk.one", &["risk_officer"], &root);
    let r = app.post(&format!("/approvals/{id}/approve"), &risk, &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let now = app.get("/policy", &app.admin_token).body;
    assert_eq!(now["version"], 2);
    assert_eq!(now["created_by"], "admin");
    assert_eq!(now["policy"]["capacity"]["corporate_key_accounts"], 20);

    // Inconsistent documents are refused up front, naming the field.
    policy["assignment"]["assistant_share"] = json!("0.5");
    let r = app.request(
        "PUT",
        "/policy",
        Some(&app.admin_token),
        &[],
        Some(&policy.to_string()),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "assignment.assistant_share");
    app.request(
        "PUT",
        "/policy",
        Some(&risk),
        &[],
        Some(&policy.to_string()),
    )
    .assert_problem(403, "forbidden");
}
