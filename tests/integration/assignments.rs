use serde_json::json;

use crate::helpers::{bank, test_today, Bank, TestApp};

fn active(history: &serde_json::Value) -> Vec<&serde_json::Value> {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["valid_to"].is_null())
        .collect()
}

#[test]
fn a3_capacity_cap_rejects_16th_key_account_and_override_needs_a_second_person() {
    let Bank { app, team, branch } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    for _ in 0..15 {
        let c = app.customer_of(&team, "corporate", true, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    }
    let plain = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &plain, &rm, "primary").status,
        201,
        "non-key customers do not count"
    );
    let sixteenth = app.customer_of(&team, "corporate", true, &[]);
    app.assign(&app.admin_token, &sixteenth, &rm, "primary")
        .assert_rule("A-3", "capacity_exceeded");
    assert_eq!(
        app.get(
            &format!("/customers/{sixteenth}/assignments"),
            &app.admin_token
        )
        .body,
        json!([])
    );

    let portfolio = app.get(&format!("/rms/{rm}/portfolio"), &app.admin_token);
    assert_eq!(
        portfolio.body["capacity"],
        json!({"held": 15, "cap": 15, "utilisation": "1"})
    );
    assert_eq!(portfolio.body["customers"], 16);

    // Override: 202, then a second manager approves.
    let maker = app.user_token("maker.mgr", &["manager"], &branch);
    let r = app.post("/assignments", &maker, &json!({"customer_id": sixteenth, "rm_id": rm, "role": "primary", "override_reason": "strategic client"}));
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["rule"], "A-3");
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    app.post(
        &format!("/approvals/{approval}/approve"),
        &maker,
        &json!({}),
    )
    .assert_rule("M-1", "same_person");
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &app.admin_token,
        &json!({"note": "ok"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(
        active(
            &app.get(
                &format!("/customers/{sixteenth}/assignments"),
                &app.admin_token
            )
            .body
        )
        .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
            .body["capacity"]["held"],
        16
    );
}

#[test]
fn a4_retail_customer_to_corporate_rm_refused() {
    let Bank { app, team, .. } = bank();
    let corporate_rm = app.rm(&team, "corporate", "rm");
    let retail = app.customer_of(&team, "retail", false, &[]);
    app.assign(&app.admin_token, &retail, &corporate_rm, "primary")
        .assert_rule("A-4", "line_mismatch");
    let retail_rm = app.rm(&team, "retail", "rm");
    assert_eq!(
        app.assign(&app.admin_token, &retail, &retail_rm, "primary")
            .status,
        201
    );
    // A suspended RM gets nothing new.
    let corporate = app.customer_of(&team, "corporate", false, &[]);
    let r = app.patch(
        &format!("/rms/{corporate_rm}"),
        &app.admin_token,
        &json!({"status": "suspended", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.assign(&app.admin_token, &corporate, &corporate_rm, "primary")
        .assert_rule("A-4", "rm_not_eligible");
}

#[test]
fn a5_core_customer_to_plain_rm_refused_and_to_senior_accepted() {
    let Bank { app, team, .. } = bank();
    let plain = app.rm(&team, "corporate", "rm");
    let senior = app.rm(&team, "corporate", "senior");
    let core = app.customer_of(&team, "corporate", false, &["core"]);
    app.assign(&app.admin_token, &core, &plain, "primary")
        .assert_rule("A-5", "grade_too_low");
    let r = app.assign(&app.admin_token, &core, &senior, "primary");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], "primary");
    assert_eq!(r.body["share"], "1");
    // A plain RM may assist.
    assert_eq!(
        app.assign(&app.admin_token, &core, &plain, "assistant")
            .status,
        201
    );
}

#[test]
fn a5_only_seniors_are_assigned_across_units() {
    let Bank { app, team, .. } = bank();
    let root = app.root_id();
    let other_branch = app.unit("Minhang Branch", "branch", &root);
    let far_customer = app.customer_of(&other_branch, "corporate", false, &[]);
    let plain = app.rm(&team, "corporate", "rm");
    app.assign(&app.admin_token, &far_customer, &plain, "primary")
        .assert_rule("A-5", "cross_unit_not_allowed");
    let senior = app.rm(&team, "corporate", "senior");
    assert_eq!(
        app.assign(&app.admin_token, &far_customer, &senior, "primary")
            .status,
        201
    );
}

#[test]
fn a2_third_marketer_refused_and_a7_shares_split() {
    let Bank { app, team, .. } = bank();
    let (p, a, third) = (
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "sme", "rm"),
    );
    let c = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &c, &a, "assistant")
        .assert_rule("A-1", "no_primary");
    assert_eq!(app.assign(&app.admin_token, &c, &p, "primary").status, 201);
    app.assign(&app.admin_token, &c, &a, "primary")
        .assert_rule("A-1", "primary_exists");
    let r = app.assign(&app.admin_token, &c, &a, "assistant");
    assert_eq!(r.body["share"], "0.4");
    app.assign(&app.admin_token, &c, &third, "assistant")
        .assert_rule("A-2", "too_many_marketers");
    app.assign(&app.admin_token, &c, &third, "team_member")
        .assert_rule("A-2", "team_needs_senior_lead");
    let now = active(
        &app.get(&format!("/customers/{c}/assignments"), &app.admin_token)
            .body,
    )
    .iter()
    .map(|x| {
        (
            x["role"].as_str().unwrap().to_string(),
            x["share"].as_str().unwrap().to_string(),
        )
    })
    .collect::<Vec<_>>();
    assert!(
        now.contains(&("primary".into(), "0.6".into()))
            && now.contains(&("assistant".into(), "0.4".into())),
        "{now:?}"
    );

    // A share that leaves the primary nothing is refused.
    let c2 = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &c2, &p, "primary");
    let r = app.post(
        "/assignments",
        &app.admin_token,
        &json!({"customer_id": c2, "rm_id": a, "role": "assistant", "share": "1.0"}),
    );
    r.assert_rule("A-7", "invalid_share");
}

#[test]
fn a1_history_is_effective_dated_and_ending_keeps_one_primary() {
    let Bank { app, team, .. } = bank();
    let (first, second, helper) = (
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
    );
    let c = app.customer_of(&team, "corporate", false, &[]);
    let original = app.assign(&app.admin_token, &c, &first, "primary");
    let assistant = app.assign(&app.admin_token, &c, &helper, "assistant");
    let assistant_id = assistant.body["id"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = app.post(
        &format!("/customers/{c}/reassign"),
        &app.admin_token,
        &json!({"to_rm_id": second, "reason": "rotation"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["rm_id"], second.as_str());
    assert_eq!(r.body["share"], "0.6", "the assistant keeps 0.4");
    let history = app
        .get(&format!("/customers/{c}/assignments"), &app.admin_token)
        .body;
    assert_eq!(
        active(&history)
            .iter()
            .filter(|a| a["role"] == "primary")
            .count(),
        1
    );

    // Who was primary just after the first assignment?
    let then = original.body["valid_from"].as_str().unwrap();
    let at = app
        .get(
            &format!("/customers/{c}/assignments?as_of={then}"),
            &app.admin_token,
        )
        .body;
    assert_eq!(at.as_array().unwrap().len(), 1);
    assert_eq!(at[0]["rm_id"], first.as_str());
    app.get(
        &format!("/customers/{c}/assignments?as_of=yesterday"),
        &app.admin_token,
    )
    .assert_problem(422, "validation_failed");

    // The primary cannot simply end while the assistant stays; the assistant can, and its share returns.
    let primary_id = r.body["id"].as_str().unwrap();
    app.post(
        &format!("/assignments/{primary_id}/end"),
        &app.admin_token,
        &json!({}),
    )
    .assert_rule("A-1", "primary_required");
    let ended = app.post(
        &format!("/assignments/{assistant_id}/end"),
        &app.admin_token,
        &json!({"reason": "project done"}),
    );
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert!(ended.body["valid_to"].is_string());
    app.post(
        &format!("/assignments/{assistant_id}/end"),
        &app.admin_token,
        &json!({}),
    )
    .assert_problem(409, "version_conflict");
    let now = app
        .get(&format!("/customers/{c}/assignments"), &app.admin_token)
        .body;
    let current = active(&now);
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["share"], "1");
    // Every row is kept.
    assert!(now.as_array().unwrap().len() >= 5);
}

#[test]
fn a10_reassigning_high_value_customer_needs_a_second_persons_approval() {
    let Bank { app, team, branch } = bank();
    let (from, to) = (
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
    );
    let c = app.customer_of(&team, "corporate", false, &["high_value"]);
    app.assign(&app.admin_token, &c, &from, "primary");
    let maker = app.user_token("maker.mgr", &["manager"], &branch);
    let checker = app.user_token("checker.mgr", &["manager"], &branch);
    let auditor = app.user_token("branch.auditor", &["auditor"], &branch);

    let r = app.post(
        &format!("/customers/{c}/reassign"),
        &maker,
        &json!({"to_rm_id": to, "reason": "rotation"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["rule"], "A-10");
    let id = r.body["approval_id"].as_str().unwrap().to_string();
    // Nothing moved yet.
    let primary = |app: &TestApp| {
        let h = app
            .get(&format!("/customers/{c}/assignments"), &app.admin_token)
            .body;
        active(&h)
            .iter()
            .find(|a| a["role"] == "primary")
            .map(|a| a["rm_id"].as_str().unwrap().to_string())
    };
    assert_eq!(primary(&app), Some(from.clone()));
    let pending = app.get("/approvals?status=pending", &checker);
    assert_eq!(pending.body["items"][0]["id"], id.as_str());
    assert_eq!(pending.body["items"][0]["payload"]["to_rm_id"], to.as_str());

    app.post(&format!("/approvals/{id}/approve"), &maker, &json!({}))
        .assert_rule("M-1", "same_person");
    app.post(&format!("/approvals/{id}/approve"), &auditor, &json!({}))
        .assert_problem(403, "forbidden");
    let r = app.post(
        &format!("/approvals/{id}/approve"),
        &checker,
        &json!({"note": "agreed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["result"]["rm_id"], to.as_str());
    assert_eq!(primary(&app), Some(to.clone()));
    app.post(&format!("/approvals/{id}/approve"), &checker, &json!({}))
        .assert_problem(409, "version_conflict");
    assert!(app.get("/approvals?status=pending", &checker).body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // Rejection keeps the record; both decisions are audited.
    let r = app.post(
        &format!("/customers/{c}/reassign"),
        &maker,
        &json!({"to_rm_id": from, "reason": "back"}),
    );
    let id2 = r.body["approval_id"].as_str().unwrap().to_string();
    let r = app.post(
        &format!("/approvals/{id2}/reject"),
        &checker,
        &json!({"note": "no"}),
    );
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(primary(&app), Some(to.clone()));
    let events = app
        .get("/audit/events?entity=approval", &app.admin_token)
        .body;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"approval.approve") && actions.contains(&"approval.reject"),
        "{actions:?}"
    );
}

#[test]
fn a1_concurrent_reassignments_leave_exactly_one_primary_and_consistent_history() {
    let Bank { app, team, .. } = bank();
    let rms: Vec<String> = (0..4).map(|_| app.rm(&team, "corporate", "rm")).collect();
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &c, &rms[0], "primary").status,
        201
    );
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (app, rms, c) = (&app, &rms, &c);
                s.spawn(move || {
                    let to = &rms[1 + i % 3];
                    app.post(
                        &format!("/customers/{c}/reassign"),
                        &app.admin_token,
                        &json!({"to_rm_id": to, "reason": "race"}),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|s| [200, 409, 422, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
    let history = app
        .get(&format!("/customers/{c}/assignments"), &app.admin_token)
        .body;
    let rows = history.as_array().unwrap();
    assert_eq!(active(&history).len(), 1, "exactly one primary in force");
    assert_eq!(
        rows.len(),
        1 + statuses.iter().filter(|s| **s == 200).count(),
        "one row per applied reassignment"
    );
    // Each primary ends exactly when the next begins: no overlap, no gap.
    for pair in rows.windows(2) {
        assert_eq!(pair[0]["valid_to"], pair[1]["valid_from"], "{history}");
    }
}

#[test]
fn a6_customers_needing_a_second_rm_are_queued_with_a_due_date() {
    let Bank { app, team, .. } = bank();
    let (p, a) = (
        app.rm(&team, "corporate", "rm"),
        app.rm(&team, "corporate", "rm"),
    );
    let risky = app.customer_of(&team, "corporate", false, &["risk_business"]);
    let plain = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &plain, &p, "primary");
    app.assign(&app.admin_token, &risky, &p, "primary");
    let queue = app.get(
        &format!("/queues/second-rm?org_unit_id={team}"),
        &app.admin_token,
    );
    let items = queue.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", queue.body);
    assert_eq!(items[0]["customer_id"], risky.as_str());
    assert_eq!(items[0]["rms"], 1);
    assert_eq!(items[0]["categories"], json!(["risk_business"]));
    let due = (test_today() + chrono::Days::new(30))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(items[0]["due_on"], due);
    assert_eq!(items[0]["overdue"], false);
    app.assign(&app.admin_token, &risky, &a, "assistant");
    let queue = app.get("/queues/second-rm", &app.admin_token);
    assert!(
        queue.body["items"].as_array().unwrap().is_empty(),
        "{}",
        queue.body
    );
}

#[test]
fn a8_tier_changes_and_long_tenures_propose_rematching() {
    let Bank { app, team, .. } = bank();
    let p = app.rm(&team, "corporate", "rm");
    let (changed, old, fresh) = (
        app.customer_of(&team, "corporate", false, &[]),
        app.customer_of(&team, "corporate", false, &[]),
        app.customer_of(&team, "corporate", false, &[]),
    );
    for c in [&changed, &old, &fresh] {
        app.assign(&app.admin_token, c, &p, "primary");
    }
    app.patch(
        &format!("/customers/{changed}"),
        &app.admin_token,
        &json!({"tier": "platinum", "version": 1}),
    );
    let r = app.get("/queues/rematch?kind=tier_change", &app.admin_token);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.body);
    assert_eq!(items[0]["customer_id"], changed.as_str());
    assert!(items[0]["tier_changed_at"].is_string());

    let mut conn = app.db();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE assignments SET held_since = '2022-01-01 00:00:00' WHERE customer_id = '{old}'"
        )),
        &mut conn,
    )
    .unwrap();
    let r = app.get("/queues/rematch?kind=rotation", &app.admin_token);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.body);
    assert_eq!(items[0]["customer_id"], old.as_str());
    assert_eq!(items[0]["kind"], "rotation");
    app.get("/queues/rematch", &app.admin_token)
        .assert_problem(422, "validation_failed");
}

#[test]
fn a3_concurrent_assignments_never_exceed_the_cap() {
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    for _ in 0..10 {
        let c = app.customer_of(&team, "corporate", true, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    }
    let fresh: Vec<String> = (0..20)
        .map(|_| app.customer_of(&team, "corporate", true, &[]))
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = fresh
            .iter()
            .map(|c| {
                let (app, rm) = (&app, &rm);
                s.spawn(move || app.assign(&app.admin_token, c, rm, "primary").status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 422].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
            .body["capacity"]["held"],
        15
    );
}

#[test]
fn a7_team_members_split_the_assistant_share_evenly_and_a_seventh_joins() {
    let Bank { app, team, .. } = bank();
    let lead = app.rm(&team, "corporate", "senior");
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &c, &lead, "primary").status,
        201
    );
    let mut members = Vec::new();
    for _ in 0..7 {
        let m = app.rm(&team, "corporate", "rm");
        let r = app.assign(&app.admin_token, &c, &m, "team_member");
        assert_eq!(r.status, 201, "{}", r.body);
        members.push(m);
    }
    let shares = |app: &TestApp| -> Vec<(String, String)> {
        let history = app.get(&format!("/customers/{c}/assignments"), &app.admin_token);
        active(&history.body)
            .into_iter()
            .map(|a| {
                (
                    a["role"].as_str().unwrap().to_string(),
                    a["share"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let now = shares(&app);
    assert_eq!(now.len(), 8);
    for (role, share) in &now {
        match role.as_str() {
            "primary" => assert_eq!(share, "0.6003", "{now:?}"),
            _ => assert_eq!(share, "0.0571", "{now:?}"),
        }
    }
    // One leaves: the other six split the assistant share again.
    let history = app.get(&format!("/customers/{c}/assignments"), &app.admin_token);
    let leaving = active(&history.body)
        .into_iter()
        .find(|a| a["role"] == "team_member")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.post(
        &format!("/assignments/{leaving}/end"),
        &app.admin_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let now = shares(&app);
    assert_eq!(now.len(), 7);
    for (role, share) in &now {
        match role.as_str() {
            "primary" => assert_eq!(share, "0.6004", "{now:?}"),
            _ => assert_eq!(share, "0.0666", "{now:?}"),
        }
    }
}

#[test]
fn a7_r5_npl_responsibility_is_shared_with_the_same_coefficients() {
    let Bank { app, team, .. } = bank();
    let primary = app.rm(&team, "corporate", "rm");
    let assistant = app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &c, &primary, "primary").status,
        201
    );
    assert_eq!(
        app.assign(&app.admin_token, &c, &assistant, "assistant")
            .status,
        201
    );
    let loan = json!({"loan_no": "S1", "customer_id": c, "rm_id": primary, "balance": "100000.00",
                      "originated_on": crate::helpers::today_minus_days(0), "classification": "substandard",
                      "interest_due": "0.00", "interest_paid": "0.00", "as_of": crate::helpers::today_minus_days(0)});
    let r = app.post("/loans", &app.admin_token, &loan);
    assert_eq!(r.status, 201, "{}", r.body);
    let npl = |rm: &str| {
        app.get(&format!("/rms/{rm}/portfolio"), &app.admin_token)
            .body["npl"]
            .clone()
    };
    let p = npl(&primary);
    assert_eq!(p["npl_balance"], "60000.00", "{p}");
    assert_eq!(p["npl_ratio"], "1", "{p}");
    let a = npl(&assistant);
    assert_eq!(a["npl_balance"], "40000.00", "{a}");
}

/// the load the RM list shows is kept by the database with each change that moves it: a loan
/// outstanding, its repayment, the key-account marker, a reassignment, an end.
#[test]
fn a3_the_kept_load_follows_loans_markers_reassignments_and_ends() {
    let Bank { app, team, .. } = bank();
    let rm = app.rm(&team, "corporate", "rm");
    let other = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    let r = app.assign(&app.admin_token, &customer, &rm, "primary");
    assert_eq!(r.status, 201, "{}", r.body);
    let assignment = r.body["id"].as_str().unwrap().to_string();
    let held = |id: &str| {
        let list = app.get(&format!("/rms?ids={rm},{other}"), &app.admin_token);
        let from_list = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["capacity"]["held"]
            .clone();
        let portfolio = app.get(&format!("/rms/{id}/portfolio"), &app.admin_token);
        assert_eq!(
            portfolio.body["capacity"]["held"], from_list,
            "the list and the portfolio agree"
        );
        from_list
    };
    assert_eq!(
        held(&rm),
        0,
        "a customer without loans or marker does not count"
    );

    let loan = |balance: &str, as_of: String| {
        json!({"loan_no": "K1", "customer_id": customer, "rm_id": rm, "balance": balance,
               "originated_on": crate::helpers::today_minus_days(20), "classification": "normal",
               "interest_due": "0.00", "interest_paid": "0.00", "as_of": as_of})
    };
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("80000.00", crate::helpers::today_minus_days(10)),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(held(&rm), 1, "a loan outstanding counts as a key account");
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("0.00", crate::helpers::today_minus_days(5)),
    );
    assert_eq!(r.status, 200, "a later snapshot of the same loan");
    assert_eq!(r.body["created"], false, "{}", r.body);
    assert_eq!(held(&rm), 0, "repaid, it no longer counts");
    // An older snapshot with a balance does not revive a loan its newest snapshot says is repaid.
    let r = app.post(
        "/loans",
        &app.admin_token,
        &loan("50000.00", crate::helpers::today_minus_days(8)),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(held(&rm), 0);
    // A correction of the newest snapshot (same loan and date) replaces it, both ways.
    for (balance, expected) in [("30000.00", 1), ("0.00", 0)] {
        let r = app.post(
            "/loans",
            &app.admin_token,
            &loan(balance, crate::helpers::today_minus_days(5)),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            held(&rm),
            expected,
            "the newest snapshot corrected to {balance}"
        );
    }

    let version = app
        .get(&format!("/customers/{customer}"), &app.admin_token)
        .body["version"]
        .clone();
    let r = app.patch(
        &format!("/customers/{customer}"),
        &app.admin_token,
        &json!({"is_key_account": true, "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(held(&rm), 1, "the key-account marker counts");

    let r = app.post(
        &format!("/customers/{customer}/reassign"),
        &app.admin_token,
        &json!({"to_rm_id": other, "reason": "customer_request"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (held(&rm), held(&other)),
        (json!(0), json!(1)),
        "the load moves with the customer"
    );
    let moved = r.body["id"].as_str().unwrap().to_string();
    assert_ne!(moved, assignment);
    let r = app.post(
        &format!("/assignments/{moved}/end"),
        &app.admin_token,
        &json!({"reason": "closed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(held(&other), 0, "an ended assignment leaves the load");
}
