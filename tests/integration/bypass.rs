//! M-1: a rule holds on every path that reaches the same state. Each test walks around a control
//! by a second path and asserts the refusal (or the 202) and the state afterwards.

use serde_json::json;

use crate::helpers::{bank, spawn_app, Bank, TestApp};

fn primaries(app: &TestApp, customer: &str) -> Vec<String> {
    let history = app.get(
        &format!("/customers/{customer}/assignments"),
        &app.admin_token,
    );
    history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["valid_to"].is_null() && a["role"] == "primary")
        .map(|a| a["rm_id"].as_str().unwrap().to_string())
        .collect()
}

fn loan(no: &str, customer: &str, rm: &str, as_of: &str) -> serde_json::Value {
    json!({"loan_no": no, "customer_id": customer, "rm_id": rm, "balance": "500000.00",
           "originated_on": "2026-03-01", "classification": "normal", "interest_due": "10.00",
           "interest_paid": "10.00", "as_of": as_of})
}

#[test]
fn a10_ending_a_flagged_customers_primary_to_assign_another_is_refused() {
    let Bank { app, team, .. } = bank();
    let first = app.rm(&team, "corporate", "rm");
    let second = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    let r = app.assign(&app.admin_token, &customer, &first, "primary");
    assert_eq!(r.status, 201, "{}", r.body);
    let assignment = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": customer, "kind": "anomaly", "reason": "stock missing"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    app.post(
        &format!("/assignments/{assignment}/end"),
        &app.admin_token,
        &json!({"reason": "moving it"}),
    )
    .assert_rule("A-10", "approval_required");
    assert_eq!(primaries(&app, &customer), vec![first.clone()]);
    // The way through is the reassignment, which waits for a second person.
    let r = app.post(
        &format!("/customers/{customer}/reassign"),
        &app.admin_token,
        &json!({"to_rm_id": second, "reason": "rotation"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(primaries(&app, &customer), vec![first]);
}

#[test]
fn a10_a_customer_left_without_primary_does_not_take_another_without_approval() {
    let Bank { app, team, .. } = bank();
    let first = app.rm(&team, "corporate", "rm");
    let second = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    let r = app.assign(&app.admin_token, &customer, &first, "primary");
    let assignment = r.body["id"].as_str().unwrap().to_string();
    // Ended while ordinary, then it becomes high-value.
    let r = app.post(
        &format!("/assignments/{assignment}/end"),
        &app.admin_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let version = app
        .get(&format!("/customers/{customer}"), &app.admin_token)
        .body["version"]
        .clone();
    let r = app.patch(
        &format!("/customers/{customer}"),
        &app.admin_token,
        &json!({"categories": ["high_value"], "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.assign(&app.admin_token, &customer, &second, "primary")
        .assert_rule("A-10", "approval_required");
    assert!(primaries(&app, &customer).is_empty());
    // Its last primary may take it back: nobody changes.
    assert_eq!(
        app.assign(&app.admin_token, &customer, &first, "primary")
            .status,
        201
    );
}

#[test]
fn a10_handover_of_a_high_value_customer_waits_for_a_second_person() {
    let Bank { app, team, branch } = bank();
    let leaving = app.rm(&team, "corporate", "rm");
    let successor = app.rm(&team, "corporate", "rm");
    let valuable = app.customer_of(&team, "corporate", false, &["high_value"]);
    let plain = app.customer_of(&team, "corporate", false, &[]);
    for c in [&valuable, &plain] {
        assert_eq!(
            app.assign(&app.admin_token, c, &leaving, "primary").status,
            201
        );
    }
    let maker = app.user_token("maker.mgr", &["manager"], &branch);
    let checker = app.user_token("checker.mgr", &["manager"], &branch);
    let r = app.post(
        "/handovers",
        &maker,
        &json!({"from_rm_id": leaving, "reason": "transfer"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let handover = r.body["id"].as_str().unwrap().to_string();

    // one plan per RM at a time.
    app.post(
        "/handovers",
        &maker,
        &json!({"from_rm_id": leaving, "reason": "again"}),
    )
    .assert_problem(409, "version_conflict");

    let r = app.post(
        &format!("/handovers/{handover}/confirm"),
        &maker,
        &json!({}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    assert_eq!(primaries(&app, &valuable), vec![leaving.clone()]);
    assert_eq!(
        primaries(&app, &plain),
        vec![leaving.clone()],
        "all or nothing"
    );

    app.post(
        &format!("/approvals/{approval}/approve"),
        &maker,
        &json!({}),
    )
    .assert_rule("M-1", "same_person");
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &checker,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(primaries(&app, &valuable), vec![successor.clone()]);
    assert_eq!(primaries(&app, &plain), vec![successor]);
    assert_eq!(
        app.get(&format!("/handovers/{handover}"), &app.admin_token)
            .body["status"],
        "confirmed"
    );
}

#[test]
fn a3_marking_a_key_account_or_a_first_loan_counts_toward_the_cap() {
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    for _ in 0..15 {
        let c = app.customer_of(&team, "corporate", true, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    }
    let plain = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &plain, &rm, "primary").status,
        201
    );
    // PATCH making it a key account would leave the RM at 16 of 15.
    let version = app
        .get(&format!("/customers/{plain}"), &app.admin_token)
        .body["version"]
        .clone();
    app.patch(
        &format!("/customers/{plain}"),
        &app.admin_token,
        &json!({"is_key_account": true, "version": version}),
    )
    .assert_rule("A-3", "capacity_exceeded");
    assert_eq!(
        app.get(&format!("/customers/{plain}"), &app.admin_token)
            .body["is_key_account"],
        false
    );

    // A customer with a loan outstanding counts as a key account whatever its marker.
    let other = app.rm(&team, "corporate", "rm");
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("B1", &borrower, &other, "2026-11-20"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    app.assign(&app.admin_token, &borrower, &rm, "primary")
        .assert_rule("A-3", "capacity_exceeded");
}

#[test]
fn a6_an_open_flag_keeps_the_customer_on_the_queue_and_d2_needs_two_rms() {
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &["new_product"]);
    assert_eq!(
        app.assign(&app.admin_token, &customer, &rm, "primary")
            .status,
        201
    );
    let r = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": customer, "kind": "anomaly", "reason": "stock missing"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let version = app
        .get(&format!("/customers/{customer}"), &app.admin_token)
        .body["version"]
        .clone();
    let r = app.patch(
        &format!("/customers/{customer}"),
        &app.admin_token,
        &json!({"categories": [], "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let queue = app.get("/queues/second-rm", &app.admin_token);
    let queued: Vec<&str> = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["customer_id"].as_str())
        .collect();
    assert!(queued.contains(&customer.as_str()), "{}", queue.body);

    let token = app.rm_login("rm.one", &rm, &team);
    let r = app.post(
        "/field-checks",
        &token,
        &json!({"customer_id": customer, "kind": "post_loan_inspection", "lead_rm_id": rm,
                "performed_at": "2026-11-02T09:30:00Z", "findings": "fine"}),
    );
    r.assert_rule("D-2", "second_rm_required");
}

#[test]
fn r1_a_loan_of_another_branch_is_not_overwritten_future_dates_refused_and_audited() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let rm_p = app.rm(&pudong, "corporate", "rm");
    let rm_m = app.rm(&minhang, "corporate", "rm");
    let borrower_p = app.customer_of(&pudong, "corporate", false, &[]);
    let borrower_m = app.customer_of(&minhang, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &borrower_p, &rm_p, "primary")
            .status,
        201
    );
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("L1", &borrower_p, &rm_p, "2026-11-20"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let events = app.get("/audit/events?action=loan.record", &app.admin_token);
    assert_eq!(
        events.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        events.body
    );

    let officer = app.user_token("minhang.risk", &["risk_officer"], &minhang);
    let r = app.post(
        "/loans",
        &officer,
        &loan("L1", &borrower_m, &rm_m, "2026-11-21"),
    );
    r.assert_problem(404, "not_found");
    let r = app.post(
        "/loans/batch",
        &officer,
        &json!([loan("L1", &borrower_m, &rm_m, "2026-11-21")]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["recorded"], 0, "{}", r.body);
    assert_eq!(
        r.body["refused"][0]["errors"][0]["field"], "loan_no",
        "{}",
        r.body
    );
    let portfolio = app.get(&format!("/rms/{rm_p}/portfolio"), &app.admin_token);
    assert_eq!(
        portfolio.body["risk"]["loan_customers"], 1,
        "{}",
        portfolio.body
    );

    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("L2", &borrower_p, &rm_p, "2026-12-01"),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "as_of", "{}", r.body);
}

#[test]
fn r4_evaluating_a_day_not_yet_come_is_refused() {
    let app = spawn_app();
    let r = app.post(
        "/evaluations",
        &app.admin_token,
        &json!({"as_of": "2026-12-20"}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "as_of", "{}", r.body);
    let r = app.post(
        "/evaluations",
        &app.admin_token,
        &json!({"as_of": "2026-11-30"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn x5_an_rm_under_an_open_case_is_not_reactivated_by_an_edit() {
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    let root = app.root_id();
    let proposer = app.user_token("committee.one", &["committee"], &root);
    let r = app.post(
        "/exit-cases",
        &proposer,
        &json!({"rm_id": rm, "kind": "forced", "trigger": "X-3", "reason": "off-book lending", "evidence": "report"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let current = app.get(&format!("/rms/{rm}"), &app.admin_token);
    assert_eq!(current.body["status"], "suspended");
    app.patch(
        &format!("/rms/{rm}"),
        &app.admin_token,
        &json!({"status": "active", "version": current.body["version"]}),
    )
    .assert_rule("X-5", "exit_case_open");
}

#[test]
fn p1_a_policy_that_does_not_validate_never_reaches_an_approval() {
    let app = spawn_app();
    let current = app.get("/policy", &app.admin_token).body["policy"].clone();
    let cases = [
        ("/scoring", json!({}), "scoring.tables.sub_branch_rm"),
        ("/risk/settlement_day", json!(0), "risk.settlement_day"),
        (
            "/qualification/term_years",
            json!(0),
            "qualification.term_years",
        ),
        (
            "/assignment/max_marketers",
            json!(0),
            "assignment.max_marketers",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut policy = current.clone();
        *policy.pointer_mut(pointer).unwrap() = value;
        let r = app.request(
            "PUT",
            "/policy",
            Some(&app.admin_token),
            &[],
            Some(&policy.to_string()),
        );
        assert_eq!(r.status, 422, "{pointer}: {}", r.body);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{field} in {}", r.body);
    }
    let pending = app.get("/approvals?status=pending", &app.admin_token);
    assert_eq!(pending.body["items"], json!([]), "{}", pending.body);
}

#[test]
fn o1_a_customers_flags_move_with_it_to_its_new_branch() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let customer = app.customer_of(&pudong, "corporate", false, &[]);
    let r = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": customer, "kind": "anomaly", "reason": "stock missing"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let flag = r.body["id"].as_str().unwrap().to_string();
    // A reassignment of the flagged customer waits for approval.
    let first = app.rm(&pudong, "corporate", "senior");
    let second = app.rm(&root, "corporate", "senior");
    assert_eq!(
        app.assign(&app.admin_token, &customer, &first, "primary")
            .status,
        201
    );
    let r = app.post(
        &format!("/customers/{customer}/reassign"),
        &app.admin_token,
        &json!({"to_rm_id": second, "reason": "rotation"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    let version = app
        .get(&format!("/customers/{customer}"), &app.admin_token)
        .body["version"]
        .clone();
    let r = app.patch(
        &format!("/customers/{customer}"),
        &app.admin_token,
        &json!({"org_unit_id": minhang, "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let old = app.user_token("pudong.risk", &["risk_officer"], &pudong);
    let new = app.user_token("minhang.risk", &["risk_officer"], &minhang);
    let listed = |token: &str| -> Vec<String> {
        app.get("/flags", token).body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["id"].as_str().map(String::from))
            .collect()
    };
    assert!(
        !listed(&old).contains(&flag),
        "the old branch no longer sees it"
    );
    assert!(listed(&new).contains(&flag), "the new branch does");
    app.post(&format!("/flags/{flag}/acknowledge"), &old, &json!({}))
        .assert_problem(404, "not_found");
    let pending = |token: &str| -> Vec<String> {
        app.get("/approvals?status=pending", token).body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["id"].as_str().map(String::from))
            .collect()
    };
    assert!(
        !pending(&old).contains(&approval),
        "the old branch no longer decides it"
    );
    assert!(pending(&new).contains(&approval), "the new branch does");
}

#[test]
fn stored_text_that_is_corrupt_fails_loudly_instead_of_passing_as_a_default() {
    use diesel::RunQueryDsl;
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    let mut conn = app.db();
    diesel::sql_query(format!(
        "UPDATE rms SET line = 'corprate' WHERE id = '{rm}'"
    ))
    .execute(&mut conn)
    .unwrap();
    app.get(&format!("/rms/{rm}"), &app.admin_token)
        .assert_problem(500, "internal_error");
    app.assign(&app.admin_token, &customer, &rm, "primary")
        .assert_problem(500, "internal_error");
    let history = app.get(
        &format!("/customers/{customer}/assignments"),
        &app.admin_token,
    );
    assert_eq!(history.body, json!([]), "nothing was assigned");
}

#[test]
fn a5_moving_a_customer_or_an_rm_does_not_leave_a_non_senior_rm_across_units() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let rm = app.rm(&pudong, "corporate", "rm");
    let customer = app.customer_of(&pudong, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &customer, &rm, "primary")
            .status,
        201
    );

    let version = app
        .get(&format!("/customers/{customer}"), &app.admin_token)
        .body["version"]
        .clone();
    app.patch(
        &format!("/customers/{customer}"),
        &app.admin_token,
        &json!({"org_unit_id": minhang, "version": version}),
    )
    .assert_rule("A-5", "cross_unit_not_allowed");
    assert_eq!(
        app.get(&format!("/customers/{customer}"), &app.admin_token)
            .body["org_unit_id"],
        pudong.as_str()
    );

    let version = app.get(&format!("/rms/{rm}"), &app.admin_token).body["version"].clone();
    app.patch(
        &format!("/rms/{rm}"),
        &app.admin_token,
        &json!({"org_unit_id": minhang, "version": version}),
    )
    .assert_rule("A-5", "cross_unit_not_allowed");
    assert_eq!(
        app.get(&format!("/rms/{rm}"), &app.admin_token).body["org_unit_id"],
        pudong.as_str()
    );
}
