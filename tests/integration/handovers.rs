use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn a9_handover_moves_every_customer_in_one_transaction_or_none() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let leaving = app.rm(&team, "corporate", "senior");
    let plain = app.rm(&team, "corporate", "rm");
    let senior = app.rm(&team, "corporate", "senior");
    let retail = app.rm(&team, "retail", "rm");
    let core = app.customer_of(&team, "corporate", true, &["core"]);
    let mut customers = vec![core.clone()];
    for _ in 0..3 {
        customers.push(app.customer_of(&team, "corporate", true, &[]));
    }
    for c in &customers {
        assert_eq!(
            app.assign(&app.admin_token, c, &leaving, "primary").status,
            201
        );
    }
    // One customer where the leaving RM assists.
    let assisted = app.customer_of(&team, "sme", false, &[]);
    app.assign(&app.admin_token, &assisted, &plain, "primary");
    app.assign(&app.admin_token, &assisted, &leaving, "assistant");

    // Suspension is blocked while customers are held.
    app.patch(
        &format!("/rms/{leaving}"),
        &app.admin_token,
        &json!({"status": "suspended", "version": 1}),
    )
    .assert_rule("A-9", "handover_required");

    let r = app.post(
        "/handovers",
        &app.admin_token,
        &json!({"from_rm_id": leaving, "reason": "exit"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let moves = r.body["moves"].as_array().unwrap().clone();
    assert_eq!(moves.len(), 5);
    // The plan reads with names (one read each, not one per move) and is listed for review.
    assert!(r.body["from_rm_name"].is_string(), "{}", r.body);
    assert!(moves
        .iter()
        .all(|m| m["customer_name"].is_string() && m["to_rm_name"].is_string()));
    let listed = app.get("/handovers?status=proposed", &app.admin_token).body;
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(listed["items"][0]["moves"], 5);
    assert_eq!(
        app.get("/handovers?status=confirmed", &app.admin_token)
            .body["items"],
        json!([])
    );
    for m in &moves {
        let to = m["to_rm_id"]
            .as_str()
            .unwrap_or_else(|| panic!("every move has an RM: {m}"));
        assert!(to != leaving && to != retail, "{m}");
        if m["customer_id"] == core.as_str() {
            assert_eq!(
                to, senior,
                "A-5: the core customer goes to the senior colleague"
            );
        }
        if m["customer_id"] == assisted.as_str() {
            assert_eq!(to, senior, "the primary cannot also be the assistant");
            assert_eq!(m["role"], "assistant");
        }
    }
    // A manager sends one move to the retail RM: confirm then refuses everything.
    let plain_move = moves
        .iter()
        .find(|m| m["to_rm_id"] == plain.as_str())
        .unwrap();
    let assignment = plain_move["assignment_id"].as_str().unwrap();
    let r = app.patch(
        &format!("/handovers/{id}"),
        &app.admin_token,
        &json!({"moves": [{"assignment_id": assignment, "to_rm_id": retail}], "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.post(
        &format!("/handovers/{id}/confirm"),
        &app.admin_token,
        &json!({}),
    )
    .assert_rule("A-4", "line_mismatch");
    assert_eq!(
        app.get(&format!("/rms/{leaving}/portfolio"), &app.admin_token)
            .body["customers"],
        5,
        "nothing moved"
    );

    let r = app.patch(
        &format!("/handovers/{id}"),
        &app.admin_token,
        &json!({"moves": [{"assignment_id": assignment, "to_rm_id": plain}], "version": 1}),
    );
    r.assert_problem(409, "version_conflict");
    app.patch(
        &format!("/handovers/{id}"),
        &app.admin_token,
        &json!({"moves": [{"assignment_id": assignment, "to_rm_id": plain}], "version": 2}),
    );
    let r = app.post(
        &format!("/handovers/{id}/confirm"),
        &app.admin_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "confirmed");
    assert_eq!(
        app.get(&format!("/rms/{leaving}/portfolio"), &app.admin_token)
            .body["customers"],
        0
    );
    for c in customers.iter().chain([&assisted]) {
        let h = app
            .get(&format!("/customers/{c}/assignments"), &app.admin_token)
            .body;
        let primaries = h
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["valid_to"].is_null() && a["role"] == "primary")
            .count();
        assert_eq!(primaries, 1, "no customer is left without a primary: {h}");
    }
    app.post(
        &format!("/handovers/{id}/confirm"),
        &app.admin_token,
        &json!({}),
    )
    .assert_problem(409, "version_conflict");
    let r = app.patch(
        &format!("/rms/{leaving}"),
        &app.admin_token,
        &json!({"status": "suspended", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn a9_handover_without_a_fitting_colleague_cannot_be_confirmed() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Retail Team 1", "team", &root);
    let leaving = app.rm(&team, "retail", "rm");
    app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "retail", true, &[]);
    app.assign(&app.admin_token, &c, &leaving, "primary");
    let r = app.post(
        "/handovers",
        &app.admin_token,
        &json!({"from_rm_id": leaving}),
    );
    assert!(r.body["moves"][0]["to_rm_id"].is_null());
    assert!(r.body["moves"][0]["note"].as_str().unwrap().contains("A-4"));
    let id = r.body["id"].as_str().unwrap();
    app.post(
        &format!("/handovers/{id}/confirm"),
        &app.admin_token,
        &json!({}),
    )
    .assert_rule("A-9", "handover_incomplete");
}

#[test]
fn a11_rebalancing_proposal_reduces_the_spread_and_applies_nothing() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let team = app.unit("Corporate Team 1", "team", &branch);
    let busy = app.rm(&team, "corporate", "rm");
    let idle = [app.rm(&team, "corporate", "rm"), app.rm(&team, "sme", "rm")];
    app.rm(&team, "retail", "rm");
    for _ in 0..6 {
        let c = app.customer_of(&team, "corporate", false, &[]);
        app.assign(&app.admin_token, &c, &busy, "primary");
    }
    let sensitive = app.customer_of(&team, "corporate", false, &["high_value"]);
    app.assign(&app.admin_token, &sensitive, &busy, "primary");
    let flagged = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &flagged, &busy, "primary");
    let r = app.post(
        "/flags",
        &app.admin_token,
        &serde_json::json!({"customer_id": flagged, "kind": "anomaly", "reason": "x"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let r = app.get(
        &format!("/rebalancing/proposals?org_unit_id={branch}"),
        &app.admin_token,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let moves = r.body["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 5, "{}", r.body);
    assert!(moves.iter().all(|m| m["from_rm_id"] == busy.as_str()
        && idle.contains(&m["to_rm_id"].as_str().unwrap().to_string())));
    assert!(
        moves.iter().all(|m| m["customer_id"] != sensitive.as_str() && m["customer_id"] != flagged.as_str()),
        "A-10 customers (high-value, flagged) stay"
    );
    assert_eq!(r.body["before"]["max_customers"], 8);
    assert_eq!(r.body["after"]["max_customers"], 3);
    assert!(
        r.body["after"]["customers_stddev"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            < r.body["before"]["customers_stddev"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
    );
    assert_eq!(
        app.get(&format!("/rms/{busy}/portfolio"), &app.admin_token)
            .body["customers"],
        8,
        "a proposal applies nothing"
    );

    let other = app.unit("Minhang Branch", "branch", &root);
    let manager = app.user_token("minhang.mgr", &["manager"], &other);
    app.get(
        &format!("/rebalancing/proposals?org_unit_id={branch}"),
        &manager,
    )
    .assert_problem(404, "not_found");
    app.get("/rebalancing/proposals", &manager)
        .assert_problem(422, "validation_failed");
}
