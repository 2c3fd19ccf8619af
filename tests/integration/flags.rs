use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn r2_blacklisting_waits_for_a_second_person_marks_guarantors_and_r3_gates_new_assignments() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let guarantor = app.customer_of(&team, "corporate", false, &[]);
    let group_peer = app.customer_of(&team, "sme", false, &[]);
    app.post(
        &format!("/customers/{guarantor}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": borrower, "kind": "guarantor_of"}),
    );
    app.post(
        &format!("/customers/{borrower}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": group_peer, "kind": "same_group"}),
    );
    let maker = app.user_token("risk.maker", &["risk_officer"], &root);
    let checker = app.user_token("risk.checker", &["risk_officer"], &root);

    let r = app.post(
        "/flags",
        &maker,
        &json!({"customer_id": borrower, "kind": "blacklisted", "reason": "fraudulent statements"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/customers/{borrower}/flags"), &app.admin_token)
            .body,
        json!([]),
        "nothing before approval"
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

    let flags = app
        .get(&format!("/customers/{borrower}/flags"), &app.admin_token)
        .body;
    assert_eq!(flags[0]["kind"], "blacklisted");
    assert_eq!(flags[0]["status"], "open");
    assert_eq!(flags[0]["severity"], "critical");
    for related in [&guarantor, &group_peer] {
        let f = app
            .get(&format!("/customers/{related}/flags"), &app.admin_token)
            .body;
        assert_eq!(f[0]["kind"], "related_party", "{f}");
        assert_eq!(f[0]["source"], "rule");
    }
    app.post(
        "/flags",
        &maker,
        &json!({"customer_id": borrower, "kind": "blacklisted", "reason": "again"}),
    )
    .assert_problem(409, "duplicate");

    // R-3: a new assignment is not applied directly.
    let rm = app.rm(&team, "corporate", "rm");
    let r = app.assign(&app.admin_token, &borrower, &rm, "primary");
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["rule"], "R-3");
    assert_eq!(
        app.get(
            &format!("/customers/{borrower}/assignments"),
            &app.admin_token
        )
        .body,
        json!([])
    );
    let manager = app.user_token("branch.mgr", &["manager"], &root);
    let id = r.body["approval_id"].as_str().unwrap();
    app.post(&format!("/approvals/{id}/approve"), &manager, &json!({}))
        .assert_problem(403, "forbidden");
    let r = app.post(&format!("/approvals/{id}/approve"), &checker, &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get(
            &format!("/customers/{borrower}/assignments"),
            &app.admin_token
        )
        .body
        .as_array()
        .unwrap()
        .len(),
        1
    );

    // Un-blacklisting also needs a second person.
    let flag = flags[0]["id"].as_str().unwrap();
    let r = app.post(
        &format!("/flags/{flag}/resolve"),
        &maker,
        &json!({"evidence": "court ruling 2026-11"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["approval_id"].as_str().unwrap();
    app.post(&format!("/approvals/{id}/approve"), &checker, &json!({}));
    assert_eq!(
        app.get(&format!("/flags/{flag}"), &app.admin_token).body["status"],
        "resolved"
    );
}

#[test]
fn r3_flags_are_shared_and_put_the_customer_in_the_a6_queue() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let team = app.unit("Corporate Team 1", "team", &branch);
    let c = app.customer_of(&team, "corporate", false, &[]);
    let risk = app.user_token("risk.one", &["risk_officer"], &root);
    let r = app.post(
        "/flags",
        &risk,
        &json!({"customer_id": c, "kind": "anomaly", "reason": "sudden cash withdrawals"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    app.post(
        "/flags",
        &risk,
        &json!({"customer_id": c, "kind": "npl", "reason": "x"}),
    )
    .assert_problem(422, "validation_failed");
    let rm = app.rm(&team, "corporate", "rm");
    let rm_token = app.rm_login("rm.one", &rm, &team);
    let seen = app.get(&format!("/customers/{c}/flags"), &rm_token);
    assert_eq!(
        seen.body[0]["kind"], "anomaly",
        "R-3: everyone who sees the customer sees its flags"
    );
    app.post(
        "/flags",
        &rm_token,
        &json!({"customer_id": c, "kind": "anomaly", "reason": "x"}),
    )
    .assert_problem(403, "forbidden");
    let queue = app.get(
        &format!("/queues/second-rm?org_unit_id={branch}"),
        &app.admin_token,
    );
    assert_eq!(queue.body["items"][0]["customer_id"], c.as_str());
    let required = app.get("/required-checks?status=open", &app.admin_token);
    assert_eq!(required.body["items"].as_array().unwrap().len(), 1);
    let listed = app.get(
        &format!("/flags?org_unit_id={branch}&kind=anomaly&status=open"),
        &app.admin_token,
    );
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn r2_acknowledge_and_resolve_with_evidence_keep_the_history() {
    let app = spawn_app();
    let root = app.root_id();
    let c = app.customer_of(&root, "corporate", false, &[]);
    let id = app
        .post(
            "/flags",
            &app.admin_token,
            &json!({"customer_id": c, "kind": "anomaly", "reason": "late filings"}),
        )
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.post(
        &format!("/flags/{id}/acknowledge"),
        &app.admin_token,
        &json!({"note": "calling the CFO"}),
    );
    assert_eq!(r.body["status"], "acknowledged");
    app.post(
        &format!("/flags/{id}/resolve"),
        &app.admin_token,
        &json!({}),
    )
    .assert_problem(422, "validation_failed");
    let r = app.post(
        &format!("/flags/{id}/resolve"),
        &app.admin_token,
        &json!({"evidence": "filings received 2026-11-20"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    app.post(
        &format!("/flags/{id}/resolve"),
        &app.admin_token,
        &json!({"evidence": "again"}),
    )
    .assert_problem(409, "version_conflict");
    let detail = app.get(&format!("/flags/{id}"), &app.admin_token).body;
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["raise", "acknowledge", "resolve"]);
    assert_eq!(detail["history"][2]["note"], "filings received 2026-11-20");
}

fn loan(
    no: &str,
    customer: &str,
    rm: &str,
    classification: &str,
    due: &str,
    paid: &str,
) -> serde_json::Value {
    json!({"loan_no": no, "customer_id": customer, "rm_id": rm, "balance": "500000.00", "originated_on": "2026-03-01",
           "classification": classification, "interest_due": due, "interest_paid": paid, "as_of": "2026-11-20"})
}

#[test]
fn r2_substandard_loan_flags_customer_npl_and_guarantor_related_party() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let borrower = app.customer_of(&team, "corporate", true, &[]);
    let guarantor = app.customer_of(&team, "corporate", false, &[]);
    app.post(
        &format!("/customers/{guarantor}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": borrower, "kind": "guarantor_of"}),
    );
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("L1", &borrower, &rm, "substandard", "2100.00", "2100.00"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["flags_raised"], json!(["npl"]));
    let kinds = |c: &str| -> Vec<String> {
        app.get(&format!("/customers/{c}/flags"), &app.admin_token)
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(&borrower), vec!["npl"]);
    assert_eq!(kinds(&guarantor), vec!["related_party"]);
    // A reason the product writes carries its code and parameters beside the English text, so
    // each reader sees it in their language; a person's reason has no code.
    let npl = &app
        .get(&format!("/customers/{borrower}/flags"), &app.admin_token)
        .body[0];
    assert_eq!(npl["reason_code"], "loan_npl", "{npl}");
    assert_eq!(npl["reason_params"]["loan_no"], "L1");
    assert!(npl["reason"].as_str().unwrap().contains("L1"));
    let related = &app
        .get(&format!("/customers/{guarantor}/flags"), &app.admin_token)
        .body[0];
    assert_eq!(related["reason_code"], "related_party");
    assert_eq!(related["reason_params"]["kind"], "npl");
    let r = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": guarantor, "kind": "anomaly", "reason": "typed by a person"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["reason_code"], serde_json::Value::Null);
    assert_eq!(r.body["reason_params"], serde_json::Value::Null);
    // The same fact again changes nothing; unpaid interest adds its own flag.
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("L1", &borrower, &rm, "substandard", "2100.00", "0.00"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["flags_raised"], json!(["overdue_interest"]));
    assert_eq!(kinds(&borrower).len(), 2);
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("L2", &borrower, &rm, "normal", "1.005", "0"),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "interest_due");
}

#[test]
fn r1_batch_reports_refused_rows_and_all_or_nothing_records_nothing() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    let rows = json!([
        loan("B1", &c, &rm, "normal", "10.00", "10.00"),
        loan("B2", "no-such-customer", &rm, "normal", "10.00", "10.00"),
        {"loan_no": "B3", "classification": "bogus"},
        loan("B4", &c, &rm, "special_mention", "10.00", "10.00"),
    ]);
    let r = app.request(
        "POST",
        "/loans/batch?all_or_nothing=true",
        Some(&app.admin_token),
        &[],
        Some(&rows.to_string()),
    );
    r.assert_problem(422, "validation_failed");
    assert!(
        r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "[2].customer_id"),
        "{}",
        r.body
    );
    let again = app.post(
        "/loans",
        &app.admin_token,
        &loan("B1", &c, &rm, "normal", "10.00", "10.00"),
    );
    assert_eq!(again.status, 201, "all-or-nothing recorded nothing before");

    let r = app.post("/loans/batch", &app.admin_token, &rows);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["received"], 4);
    assert_eq!(r.body["recorded"], 2);
    assert_eq!(r.body["created"], 1);
    let refused: Vec<u64> = r.body["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(refused, vec![2, 3]);
}

#[test]
fn r1_ndjson_batch_streams_rows_reports_lines_and_raises_flags() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let guarantor = app.customer_of(&team, "corporate", false, &[]);
    app.post(
        &format!("/customers/{guarantor}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": borrower, "kind": "guarantor_of"}),
    );
    let mut later = loan("N1", &borrower, &rm, "normal", "100.00", "0.00");
    later["as_of"] = json!("2026-11-30");
    let mut backdated = loan("N5", &borrower, &rm, "normal", "1.00", "1.00");
    backdated["originated_on"] = json!("2026-12-01");
    let lines = [
        loan("N1", &borrower, &rm, "normal", "100.00", "100.00").to_string(),
        String::new(),
        r#"{"loan_no": "N2", "customer_id": "#.to_string(),
        loan("N3", &borrower, &rm, "substandard", "100.00", "100.00").to_string(),
        loan("N4", &borrower, "no-such-rm", "normal", "1.00", "1.00").to_string(),
        later.to_string(),
        backdated.to_string(),
    ];
    let body = lines.join("\n") + "\n";
    let ndjson = [("Content-Type", "application/x-ndjson")];

    // All or nothing: every refused line named, nothing recorded.
    let r = app.request(
        "POST",
        "/loans/batch?all_or_nothing=true",
        Some(&app.admin_token),
        &ndjson,
        Some(&body),
    );
    r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["[3].row", "[5].rm_id", "[7].originated_on"],
        "{}",
        r.body
    );
    let flags = |c: &str| -> Vec<String> {
        let mut kinds: Vec<String> = app
            .get(&format!("/customers/{c}/flags"), &app.admin_token)
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect();
        kinds.sort();
        kinds
    };
    assert!(flags(&borrower).is_empty());

    let r = app.request(
        "POST",
        "/loans/batch",
        Some(&app.admin_token),
        &ndjson,
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["received"], 6, "blank lines are not rows");
    assert_eq!(r.body["recorded"], 3);
    assert_eq!(r.body["created"], 2, "N1 twice is one loan");
    assert_eq!(r.body["flags_raised"], 2);
    let refused: Vec<(u64, Option<&str>)> = r.body["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["loan_no"].as_str()))
        .collect();
    assert_eq!(refused, vec![(3, None), (5, Some("N4")), (7, Some("N5"))]);
    assert_eq!(flags(&borrower), vec!["npl", "overdue_interest"]);
    assert_eq!(flags(&guarantor), vec!["related_party"]);
    // The same file again: nothing new.
    let r = app.request(
        "POST",
        "/loans/batch",
        Some(&app.admin_token),
        &ndjson,
        Some(&body),
    );
    assert_eq!(r.body["created"], 0, "{}", r.body);
    assert_eq!(r.body["flags_raised"], 0);

    let r = app.request(
        "POST",
        "/loans/batch",
        Some(&app.admin_token),
        &[("Content-Type", "text/csv")],
        Some("loan_no,customer_id"),
    );
    r.assert_problem(400, "malformed_request");
}

#[test]
fn r1_a_loan_and_date_given_twice_keeps_the_last_recorded_line_and_r2_flags_only_what_it_shows() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let rows = json!([
        loan("R1", &borrower, &rm, "substandard", "10.00", "10.00"),
        // Replaces line 1: the loan is performing after all.
        loan("R1", &borrower, &rm, "normal", "10.00", "10.00"),
        loan("R2", &borrower, &rm, "normal", "10.00", "10.00"),
        // Refused (unknown customer), so line 3 stands.
        loan("R2", "no-such-customer", &rm, "normal", "10.00", "0.00"),
    ]);
    let r = app.post("/loans/batch", &app.admin_token, &rows);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["received"], &r.body["recorded"], &r.body["created"]),
        (&json!(4), &json!(3), &json!(2)),
        "{}",
        r.body
    );
    assert_eq!(r.body["refused"][0]["line"], 4, "{}", r.body);
    assert_eq!(r.body["flags_raised"], 0, "{}", r.body);
    let flags = app.get(&format!("/customers/{borrower}/flags"), &app.admin_token);
    assert_eq!(flags.body, json!([]));

    // Given the other way round, the substandard line is the last and flags the borrower.
    let rows = json!([
        loan("R1", &borrower, &rm, "normal", "10.00", "10.00"),
        loan("R1", &borrower, &rm, "substandard", "10.00", "10.00"),
    ]);
    let r = app.post("/loans/batch", &app.admin_token, &rows);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            &r.body["recorded"],
            &r.body["created"],
            &r.body["flags_raised"]
        ),
        (&json!(2), &json!(0), &json!(1)),
        "{}",
        r.body
    );
    let flags = app.get(&format!("/customers/{borrower}/flags"), &app.admin_token);
    let kinds: Vec<&str> = flags
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["npl"], "{}", flags.body);
}

#[test]
fn r1_batch_re_report_moves_a_loan_to_its_new_borrower_and_rm_unless_older() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let (rm_a, rm_b) = (
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
    );
    let (first, second) = (
        app.customer_of(&team, "corporate", false, &[]),
        app.customer_of(&team, "corporate", false, &[]),
    );
    // R-4 counts an RM's primary customers that have loans.
    assert_eq!(
        app.assign(&app.admin_token, &first, &rm_a, "primary")
            .status,
        201
    );
    assert_eq!(
        app.assign(&app.admin_token, &second, &rm_b, "primary")
            .status,
        201
    );
    let loan_customers = |rm: &str| {
        app.get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
            .body["risk"]["loan_customers"]
            .as_i64()
    };
    let batch = |customer: &str, rm: &str, as_of: &str| {
        let mut row = loan("T1", customer, rm, "normal", "10.00", "10.00");
        row["as_of"] = json!(as_of);
        let r = app.post("/loans/batch", &app.admin_token, &json!([row]));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["recorded"], 1, "{}", r.body);
        assert_eq!(r.body["refused"], json!([]), "{}", r.body);
    };
    batch(&first, &rm_a, "2026-11-29");
    assert_eq!(
        (loan_customers(&rm_a), loan_customers(&rm_b)),
        (Some(1), Some(0))
    );
    // A newer report with another borrower and RM moves the loan.
    batch(&second, &rm_b, "2026-11-30");
    assert_eq!(
        (loan_customers(&rm_a), loan_customers(&rm_b)),
        (Some(0), Some(1))
    );
    // An older report is kept as its snapshot but does not move the loan back.
    batch(&first, &rm_a, "2026-11-29");
    assert_eq!(
        (loan_customers(&rm_a), loan_customers(&rm_b)),
        (Some(0), Some(1))
    );
}

#[test]
fn r4_month_end_ratio_over_20_percent_is_out_of_control_with_inspections_and_evaluating_twice_adds_nothing(
) {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "senior");
    let mut rows = Vec::new();
    for n in 0..40 {
        let c = app.customer_of(&team, "sme", false, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
        let paid = if n < 9 { "0.00" } else { "2100.00" };
        let mut l = loan(&format!("M{n}"), &c, &rm, "normal", "2100.00", paid);
        l["as_of"] = json!("2026-11-30");
        rows.push(l);
    }
    let r = app.post("/loans/batch", &app.admin_token, &json!(rows));
    assert_eq!(r.body["recorded"], 40, "{}", r.body);

    let portfolio = app
        .get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
        .body;
    assert_eq!(portfolio["risk"]["loan_customers"], 40);
    assert_eq!(portfolio["risk"]["overdue_customers"], 9);
    assert_eq!(portfolio["risk"]["overdue_ratio"], "0.225");
    assert_eq!(portfolio["risk"]["out_of_control"], true);
    assert_eq!(portfolio["thresholds"]["out_of_control"], "0.20");
    assert_eq!(portfolio["thresholds"]["min_loans"], 30);

    let r = app.post(
        "/evaluations",
        &app.admin_token,
        &json!({"as_of": "2026-11-30"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let mine = &r.body["rms"][0];
    assert_eq!(mine["rm_id"], rm.as_str());
    assert_eq!(mine["indicator"]["overdue_ratio"], "0.225");
    assert_eq!(mine["indicator"]["checkpoint"], "month_end");
    assert_eq!(mine["indicator"]["out_of_control"], true);
    assert_eq!(mine["rm_flags"], json!(["management_out_of_control"]));

    let rm_flags = app.get(
        &format!("/flags?rm_id={rm}&kind=management_out_of_control"),
        &app.admin_token,
    );
    assert_eq!(rm_flags.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rm_flags.body["items"][0]["severity"], "critical");
    let overdue = app.get("/flags?kind=overdue_interest&limit=500", &app.admin_token);
    assert_eq!(overdue.body["items"].as_array().unwrap().len(), 9);
    let inspections = app.get("/required-checks?status=open&limit=500", &app.admin_token);
    let post_loan: Vec<_> = inspections.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "post_loan_inspection")
        .collect();
    assert_eq!(post_loan.len(), 9);

    let count = |path: &str| {
        app.get(path, &app.admin_token).body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let (flags_before, checks_before, events_before) = (
        count("/flags?limit=500"),
        count("/required-checks?limit=500"),
        count("/audit/events?limit=500"),
    );
    let again = app.post(
        "/evaluations",
        &app.admin_token,
        &json!({"as_of": "2026-11-30"}),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, r.body);
    assert_eq!(
        (
            count("/flags?limit=500"),
            count("/required-checks?limit=500"),
            count("/audit/events?limit=500")
        ),
        (flags_before, checks_before, events_before)
    );
}

#[test]
fn x2_complaints_and_incidents_build_the_rms_conduct_record() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    let complaint = |day: &str, verified: bool| json!({"customer_id": c, "rm_id": rm, "received_on": day, "verified": verified, "summary": "rude"});
    for (day, verified) in [
        (super::helpers::today_minus_days(10), true),
        (super::helpers::today_minus_days(40), true),
        (super::helpers::today_minus_days(50), false),
    ] {
        assert_eq!(
            app.post("/complaints", &app.admin_token, &complaint(&day, verified))
                .status,
            201
        );
    }
    let r = app.get(&format!("/rms/{rm}/conduct"), &app.admin_token);
    assert_eq!(r.body["verified_complaints"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["complaints_threshold_reached"], false);
    app.post(
        "/complaints",
        &app.admin_token,
        &complaint(&super::helpers::today_minus_days(300), true),
    );
    assert_eq!(
        app.get(&format!("/rms/{rm}/conduct"), &app.admin_token)
            .body["complaints_threshold_reached"],
        true
    );

    let incident = json!({"rm_id": rm, "item": "X-2.4", "occurred_on": super::helpers::today_minus_days(3), "description": "altered a report", "evidence": "audit memo 17"});
    assert_eq!(
        app.post("/incidents", &app.admin_token, &incident).status,
        201
    );
    let mut bad = incident.clone();
    bad["item"] = json!("X-2.9");
    app.post("/incidents", &app.admin_token, &bad)
        .assert_problem(422, "validation_failed");
    assert_eq!(
        app.get(&format!("/rms/{rm}/conduct"), &app.admin_token)
            .body["incidents"][0]["item"],
        "X-2.4"
    );
}

#[test]
fn r6_due_list_shows_loans_falling_due_and_unpaid_interest_with_guarantors() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let guarantor = app.customer_of(&team, "corporate", false, &[]);
    app.post(
        &format!("/customers/{guarantor}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": borrower, "kind": "guarantor_of"}),
    );
    app.assign(&app.admin_token, &borrower, &rm, "primary");
    let mut due = loan("D1", &borrower, &rm, "normal", "2100.00", "100.00");
    due["matures_on"] = json!("2026-11-15");
    assert_eq!(app.post("/loans", &app.admin_token, &due).status, 201);
    let mut later = loan("D2", &borrower, &rm, "normal", "10.00", "10.00");
    later["matures_on"] = json!("2027-03-01");
    app.post("/loans", &app.admin_token, &later);

    let r = app.get(
        &format!("/rms/{rm}/due-list?month=2026-11"),
        &app.admin_token,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["due"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["due"][0]["loan_no"], "D1");
    assert_eq!(r.body["due"][0]["collect_by"], "2026-11-03");
    assert_eq!(r.body["overdue_interest"][0]["unpaid_interest"], "2000.00");
    assert_eq!(r.body["overdue_interest"][0]["chase_from"], "2026-11-20");
    assert_eq!(
        r.body["overdue_interest"][0]["guarantors"][0]["customer_id"],
        guarantor.as_str()
    );
    app.get(
        &format!("/rms/{rm}/due-list?month=November"),
        &app.admin_token,
    )
    .assert_problem(422, "validation_failed");
}

#[test]
fn r5_npl_ratio_of_originated_loans_and_its_score_band() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let mut body = crate::helpers::TestApp::rm_body("E777", "110101198001011234", &team);
    body["term_starts_on"] = json!("2026-01-15");
    let rm = app.post("/rms", &app.admin_token, &body).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = app.customer_of(&team, "corporate", false, &[]);
    let mut good = loan("N1", &c, &rm, "normal", "10.00", "10.00");
    good["balance"] = json!("995000.00");
    app.post("/loans", &app.admin_token, &good);
    let mut bad = loan("N2", &c, &rm, "doubtful", "10.00", "10.00");
    bad["balance"] = json!("5000.00");
    app.post("/loans", &app.admin_token, &bad);
    let mut old = loan("N3", &c, &rm, "loss", "10.00", "10.00");
    old["originated_on"] = json!("2025-12-01");
    app.post("/loans", &app.admin_token, &old);

    let npl = app
        .get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
        .body["npl"]
        .clone();
    assert_eq!(npl["since"], "2026-01-15");
    assert_eq!(
        npl["originated_balance"], "1000000.00",
        "loans before the term start are not the RM's"
    );
    assert_eq!(npl["npl_balance"], "5000.00");
    assert_eq!(npl["npl_ratio"], "0.005");
    assert_eq!(npl["npl_points"], 1, "0.5% is in the 'below 1%' band");
    assert_eq!(npl["new_npl_series"].as_array().unwrap().len(), 12);
    assert_eq!(npl["exit_trigger_reached"], false);
}
