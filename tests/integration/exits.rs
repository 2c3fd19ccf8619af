//! Issue 6: monthly scores, triggers, levels and pay, exit cases (X-5, O-6).

use serde_json::json;

use super::helpers::{spawn_app, today_minus_days, TestApp};

fn this_month() -> String {
    today_minus_days(0)[..7].to_string()
}

/// The worked example of `domain::scoring`'s unit test, as the API takes it.
fn worked_example(rm: &str, month: &str) -> serde_json::Value {
    json!({"rm_id": rm, "month": month,
           "new_loan_accounts": 9, "new_loan_amount": "300000.00", "managed_accounts_increase": 2,
           "savings_daily_avg_net_increase": "50000", "corporate_daily_avg_net_increase": "2000000",
           "new_bank_cards": 10, "payroll_customers_under_50": 1, "payroll_customers_50_or_more": 1,
           "personal_ebank": 10, "corporate_ebank": 1, "pos_merchants": 0, "npl_ratio": "0.004"})
}

fn sub_branch_team(app: &TestApp) -> String {
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let sub = app.unit("Lujiazui Sub-branch", "sub_branch", &branch);
    app.unit("Lujiazui Team", "team", &sub)
}

#[test]
fn x1_month_scored_exactly_by_the_default_table_with_capped_and_uncapped_items() {
    let app = spawn_app();
    let team = sub_branch_team(&app);
    let star = app.rm(&team, "retail", "rm");
    let quiet = app.rm(&team, "retail", "rm");
    let r = app.post(
        "/performance/metrics",
        &app.admin_token,
        &json!([worked_example(&star, "2026-10"),
                {"rm_id": quiet, "month": "2026-10", "new_loan_accounts": 1}]),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["created"], 2);

    for _ in 0..2 {
        let r = app.post(
            "/performance/runs",
            &app.admin_token,
            &json!({"month": "2026-10"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["scored"], 2);
    }
    let r = app.get("/performance/scores?month=2026-10", &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    let scores = r.body.as_array().unwrap();
    assert_eq!(scores.len(), 2, "a second run replaces, never adds");
    let top = &scores[0];
    assert_eq!(top["rm_id"], star.as_str());
    assert_eq!(top["scoring_table"], "sub_branch_rm");
    // 20 (9 × 2.5 = 22.5 capped) + 7 + 4 + 3 + 5 + 50 (100 capped) + 2 + 9 + 3 + 2 + 0
    assert_eq!(top["total"], "105");
    let item = |name: &str| {
        top["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(item("new_loan_accounts")["earned"], "22.5");
    assert_eq!(item("new_loan_accounts")["points"], "20");
    assert_eq!(item("new_loan_amount")["points"], "7");
    assert_eq!(item("corporate_daily_avg_net_increase")["points"], "50");
    assert_eq!(item("npl_ratio")["points"], "3");
    assert_eq!(
        (top["rank"].as_i64(), top["rank_of"].as_i64()),
        (Some(1), Some(2))
    );
    // The quiet RM: 2.5 for one account, 6 for no NPL (computed from loan facts: none).
    assert_eq!(scores[1]["total"], "8.5");
    assert_eq!(scores[1]["rank"], 2);

    let bad = app.post(
        "/performance/metrics",
        &app.admin_token,
        &json!({"rm_id": "nobody", "month": "2026-13"}),
    );
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["rm_id"]);
    app.post(
        "/performance/metrics",
        &app.admin_token,
        &json!({"rm_id": star, "month": "2026-13"}),
    )
    .assert_problem(422, "validation_failed");
}

#[test]
fn x2_3_three_verified_complaints_open_exactly_one_case_however_many_runs() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    for days in [10, 40, 300] {
        let r = app.post(
            "/complaints",
            &app.admin_token,
            &json!({"customer_id": c, "rm_id": rm, "received_on": today_minus_days(days),
                    "verified": true, "summary": "rude"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let risk = app.user_token("risk", &["risk_officer"], &root);
    let mut opened = 0;
    for _ in 0..3 {
        let r = app.post("/performance/runs", &risk, &json!({"month": this_month()}));
        assert_eq!(r.status, 200, "{}", r.body);
        opened += r.body["cases_opened"].as_array().unwrap().len();
    }
    assert_eq!(opened, 1);
    let r = app.get(
        &format!("/exit-cases?rm_id={rm}&trigger=X-2.3"),
        &app.admin_token,
    );
    let cases = r.body["items"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{}", r.body);
    assert_eq!(cases[0]["kind"], "disqualification");
    assert_eq!(cases[0]["status"], "proposed");
    // The run writes its reason as a code with parameters, for the reader's language.
    assert_eq!(cases[0]["reason_code"], "monthly_run_trigger");
    assert_eq!(cases[0]["reason_params"]["trigger"], "X-2.3");
    assert_eq!(cases[0]["reason_params"]["month"], this_month());
    assert!(cases[0]["evidence"]
        .as_str()
        .unwrap()
        .contains("3 verified complaints"));
    // no new assignment while the case is open.
    let other = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &other, &rm, "primary")
        .assert_rule("A-4", "rm_not_eligible");
}

#[test]
fn x3_forced_exit_suspends_at_once_m1_committee_decides_a9_handover_then_exited_and_o6_banned() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let team = app.unit("Corporate Team 1", "team", &branch);
    let leaving = app.rm(&team, "corporate", "rm");
    let colleague = app.rm(&team, "corporate", "rm");
    let customers: Vec<String> = (0..3)
        .map(|_| {
            let c = app.customer_of(&team, "corporate", false, &[]);
            assert_eq!(
                app.assign(&app.admin_token, &c, &leaving, "primary").status,
                201
            );
            c
        })
        .collect();
    let proposer = app.user_token("committee.one", &["committee"], &root);
    let decider = app.user_token("committee.two", &["committee"], &root);
    let manager = app.user_token("pudong.mgr", &["manager"], &branch);

    let r = app.post(
        "/exit-cases",
        &proposer,
        &json!({"rm_id": leaving, "kind": "forced", "trigger": "X-3",
                "reason": "off-book lending", "evidence": "audit report 2026-41"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let case = r.body["id"].as_str().unwrap().to_string();
    assert!(
        r.body["handover_id"].is_string(),
        "X-3: the handover starts at once"
    );
    assert_eq!(
        app.get(&format!("/rms/{leaving}"), &app.admin_token).body["status"],
        "suspended",
        "X-3: suspended at once"
    );
    let newcomer = app.customer_of(&team, "corporate", false, &[]);
    app.assign(&app.admin_token, &newcomer, &leaving, "primary")
        .assert_rule("A-4", "rm_not_eligible");

    let approve = json!({"decision": "approve", "note": "evidence is conclusive"});
    app.post(&format!("/exit-cases/{case}/decide"), &proposer, &approve)
        .assert_rule("M-1", "same_person");
    assert_eq!(
        app.post(&format!("/exit-cases/{case}/decide"), &manager, &approve)
            .status,
        403,
        "only the committee decides"
    );
    let r = app.post(&format!("/exit-cases/{case}/decide"), &decider, &approve);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "handover");
    let handover = r.body["handover_id"].as_str().unwrap().to_string();
    app.post(&format!("/exit-cases/{case}/decide"), &decider, &approve)
        .assert_problem(409, "version_conflict");

    let r = app.post(
        &format!("/handovers/{handover}/confirm"),
        &manager,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for c in &customers {
        let history = app.get(&format!("/customers/{c}/assignments"), &app.admin_token);
        let active: Vec<&serde_json::Value> = history.body["items"]
            .as_array()
            .or(history.body.as_array())
            .unwrap()
            .iter()
            .filter(|a| a["valid_to"].is_null())
            .collect();
        assert_eq!(active.len(), 1, "{}", history.body);
        assert_eq!(active[0]["rm_id"], colleague.as_str());
    }
    let detail = app.get(&format!("/exit-cases/{case}"), &app.admin_token);
    assert_eq!(detail.body["status"], "closed");
    let steps: Vec<&str> = detail.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        vec!["propose", "suspend", "handover", "approve", "close"]
    );
    let rm = app.get(&format!("/rms/{leaving}"), &app.admin_token);
    assert_eq!(rm.body["status"], "exited");

    // O-6: the same person, another unit, refused.
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let mut body = TestApp::rm_body(
        "E-NEW-1",
        rm.body["national_id"].as_str().unwrap(),
        &minhang,
    );
    body["name"] = json!("Same Person");
    app.post("/rms", &app.admin_token, &body)
        .assert_rule("O-6", "permanently_banned");
}

#[test]
fn x4_levels_by_forced_distribution_demotion_case_and_x6_pay() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rms: Vec<String> = (0..10)
        .map(|_| app.rm(&team, "corporate", "senior"))
        .collect();
    let months: Vec<String> = (1..=6).map(|m| format!("2026-{m:02}")).collect();
    let mut metrics = Vec::new();
    for (i, rm) in rms.iter().enumerate() {
        for month in &months {
            // corporate table: 10 points per new loan account (cap 20) + 6 for no NPL
            metrics.push(
                json!({"rm_id": rm, "month": month, "new_loan_accounts": i % 3,
                                "pos_merchants": i, "npl_ratio": "0"}),
            );
        }
    }
    let r = app.post("/performance/metrics", &app.admin_token, &json!(metrics));
    assert_eq!(r.status, 201, "{}", r.body);
    for month in &months {
        let r = app.post(
            "/performance/runs",
            &app.admin_token,
            &json!({"month": month}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.post(
        "/performance/levels",
        &app.admin_token,
        &json!({"year": 2026}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let ratings = r.body.as_array().unwrap();
    let count = |level: i64| ratings.iter().filter(|r| r["level"] == level).count();
    assert_eq!((count(1), count(2), count(3)), (3, 5, 2));
    // Every average is below 60: each RM is proposed for demotion once.
    let demotions = ratings
        .iter()
        .filter(|r| r["demotion_case_id"].is_string())
        .count();
    assert_eq!(demotions, 10);
    let again = app.post(
        "/performance/levels",
        &app.admin_token,
        &json!({"year": 2026}),
    );
    assert!(again
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["demotion_case_id"].is_null()));
    let case = ratings[0]["demotion_case_id"].as_str().unwrap();
    let committee = app.user_token("committee", &["committee"], &root);
    let r = app.post(
        &format!("/exit-cases/{case}/decide"),
        &committee,
        &json!({"decision": "approve"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    let demoted = ratings[0]["rm_id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/rms/{demoted}"), &app.admin_token).body["grade"],
        "rm"
    );

    let r = app.get("/performance/pay?month=2026-06", &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    for line in r.body["rms"].as_array().unwrap() {
        let level = line["level"].as_i64().unwrap();
        let allowance = ["1500", "1200", "900"][(level - 1) as usize];
        assert_eq!(line["allowance"], allowance);
        let score: f64 = line["score"].as_str().unwrap().parse().unwrap();
        let pay: f64 = line["pay"].as_str().unwrap().parse().unwrap();
        let expected = allowance.parse::<f64>().unwrap() * score / 100.0;
        assert!((pay - expected).abs() < 0.005, "{line}");
    }
    assert_eq!(r.body["managers"][0]["linked_share"], "0.10");
}

#[test]
fn x5_rejected_forced_exit_reactivates_the_rm_and_withdraws_its_handover() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    let r = app.post(
        "/exit-cases",
        &app.admin_token,
        &json!({"rm_id": rm, "kind": "forced", "reason": "suspected misuse of funds"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["trigger"], "X-3");
    let case = r.body["id"].as_str().unwrap().to_string();
    let handover = r.body["handover_id"].as_str().unwrap().to_string();
    let committee = app.user_token("committee", &["committee"], &root);
    let r = app.post(
        &format!("/exit-cases/{case}/decide"),
        &committee,
        &json!({"decision": "reject", "note": "not proven"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(
        app.get(&format!("/rms/{rm}"), &app.admin_token).body["status"],
        "active"
    );
    assert_eq!(
        app.get(&format!("/handovers/{handover}"), &app.admin_token)
            .body["status"],
        "withdrawn"
    );
    app.post(
        &format!("/handovers/{handover}/confirm"),
        &app.admin_token,
        &json!({}),
    )
    .assert_problem(409, "version_conflict");
    let other = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &other, &rm, "primary").status,
        201
    );
}

#[test]
fn x6_transition_allowance_only_for_rms_in_post_at_the_start_and_x1_risk_fund_paid_in_december() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let appoint = |employee_no: &str, national_id: &str, term_starts_on: &str| {
        let mut body = TestApp::rm_body(employee_no, national_id, &team);
        body["qualified_on"] = json!("2025-01-02");
        body["term_starts_on"] = json!(term_starts_on);
        let r = app.post("/rms", &app.admin_token, &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    };
    // In post before the scheme's first scored month (2025-10), and hired after it.
    let veteran = appoint("E1", "110101199001011234", "2025-01-15");
    let newcomer = appoint("E2", "110101199202021234", "2025-11-01");
    let mut metrics = Vec::new();
    for month in ["2025-10", "2025-11", "2025-12"] {
        metrics.push(
            json!({"rm_id": veteran, "month": month, "new_loan_accounts": 1, "npl_ratio": "0"}),
        );
    }
    for (month, npl) in [("2025-11", "0"), ("2025-12", "0.02")] {
        metrics.push(
            json!({"rm_id": newcomer, "month": month, "new_loan_accounts": 1, "npl_ratio": npl}),
        );
    }
    let r = app.post("/performance/metrics", &app.admin_token, &json!(metrics));
    assert_eq!(r.status, 201, "{}", r.body);
    for month in ["2025-10", "2025-11", "2025-12"] {
        let r = app.post(
            "/performance/runs",
            &app.admin_token,
            &json!({"month": month}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.get("/performance/pay?month=2025-12", &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    let line = |rm: &str| {
        r.body["rms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rm_id"] == rm)
            .cloned()
            .unwrap_or_else(|| panic!("{rm} in {}", r.body))
    };
    let v = line(&veteran);
    assert_eq!(v["transition"], true, "{v}");
    assert_eq!(v["allowance"], "1000");
    assert_eq!(
        v["risk_fund_points"], "18",
        "X-1: 6 points a month reserved"
    );
    assert_eq!(
        v["risk_fund_paid"], "180",
        "no NPL at year end: paid in full"
    );
    let n = line(&newcomer);
    assert_eq!(n["transition"], false, "X-6: new RMs start at level 3: {n}");
    assert_eq!(n["level"], 3);
    assert_eq!(n["allowance"], "900");
    assert_eq!(n["risk_fund_points"], "12");
    assert_eq!(
        n["risk_fund_paid"], "0",
        "an NPL at year end keeps the fund"
    );
}

#[test]
fn a7_r5_the_monthly_run_weighs_each_npl_by_the_rms_share_of_its_borrower() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let primary = app.rm(&team, "corporate", "rm");
    let assistant = app.rm(&team, "corporate", "rm");
    let shared = app.customer_of(&team, "corporate", false, &[]);
    let own = app.customer_of(&team, "corporate", false, &[]);
    for (c, rm, role) in [
        (&shared, &primary, "primary"),
        (&shared, &assistant, "assistant"),
        (&own, &primary, "primary"),
    ] {
        assert_eq!(app.assign(&app.admin_token, c, rm, role).status, 201);
    }
    let day = today_minus_days(0);
    for (no, c, class) in [("W1", &shared, "substandard"), ("W2", &own, "normal")] {
        let loan = json!({"loan_no": no, "customer_id": c, "rm_id": primary, "balance": "100000.00",
                          "originated_on": day, "classification": class,
                          "interest_due": "0.00", "interest_paid": "0.00", "as_of": day});
        let r = app.post("/loans", &app.admin_token, &loan);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let month = this_month();
    let metrics = json!([{"rm_id": primary, "month": month, "new_loan_accounts": 1},
                         {"rm_id": assistant, "month": month, "new_loan_accounts": 1}]);
    assert_eq!(
        app.post("/performance/metrics", &app.admin_token, &metrics)
            .status,
        201
    );
    let r = app.post(
        "/performance/runs",
        &app.admin_token,
        &json!({"month": month}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let scores = app.get(
        &format!("/performance/scores?month={month}"),
        &app.admin_token,
    );
    let npl_of = |rm: &str| {
        scores
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["rm_id"] == rm)
            .unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == "npl_ratio")
            .unwrap()["volume"]
            .clone()
    };
    // 0.6 × 100,000 bad over 0.6 × 100,000 + 100,000; the assistant answers for 0.4 of the bad one.
    assert_eq!(npl_of(&primary), "0.375", "{}", scores.body);
    assert_eq!(npl_of(&assistant), "1", "{}", scores.body);
}

#[test]
fn x5_rejecting_one_case_keeps_the_handover_another_approved_case_waits_on() {
    let app = crate::helpers::spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let leaving = app.rm(&team, "corporate", "rm");
    let _colleague = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &customer, &leaving, "primary")
            .status,
        201
    );
    let proposer = app.user_token("c.proposer", &["committee"], &root);
    let decider = app.user_token("c.decider", &["committee"], &root);
    let propose = |trigger: &str| {
        let r = app.post(
            "/exit-cases",
            &proposer,
            &serde_json::json!({"rm_id": leaving, "kind": "disqualification", "trigger": trigger, "reason": "test", "evidence": "file"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    };
    let first = propose("X-2.3");
    let second = propose("X-2.6");
    let r = app.post(
        &format!("/exit-cases/{first}/decide"),
        &decider,
        &serde_json::json!({"decision": "approve", "note": "agreed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let plan = r.body["handover_id"]
        .as_str()
        .expect("the approved case hands over")
        .to_string();
    let r = app.post(
        &format!("/exit-cases/{second}/decide"),
        &decider,
        &serde_json::json!({"decision": "reject", "note": "not proven"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let handover = app
        .get(&format!("/handovers/{plan}"), &app.admin_token)
        .body;
    assert_eq!(
        handover["status"], "proposed",
        "the other case's plan stays: {handover}"
    );
}

#[test]
fn x1_an_rms_score_trend_is_one_read_over_a_range_of_months_oldest_first() {
    let app = spawn_app();
    let team = sub_branch_team(&app);
    let star = app.rm(&team, "retail", "rm");
    let other = app.rm(&team, "retail", "rm");
    for month in ["2026-09", "2026-10"] {
        let r = app.post(
            "/performance/metrics",
            &app.admin_token,
            &json!([worked_example(&star, month), {"rm_id": other, "month": month, "new_loan_accounts": 1}]),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.post(
            "/performance/runs",
            &app.admin_token,
            &json!({"month": month}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.get(
        &format!("/performance/scores?month=2026-08&to=2026-11&rm_id={star}"),
        &app.admin_token,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let months: Vec<(&str, &str)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["month"].as_str().unwrap(), s["rm_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        months,
        vec![("2026-09", star.as_str()), ("2026-10", star.as_str())]
    );
    // Without `rm_id`, each month of the range holds both RMs, best first.
    let all = app
        .get(
            "/performance/scores?month=2026-09&to=2026-10",
            &app.admin_token,
        )
        .body;
    assert_eq!(all.as_array().unwrap().len(), 4);
    assert_eq!(all[0]["month"], "2026-09");
    assert_eq!(all[0]["rm_id"], star.as_str());
    // More than 24 months is refused, naming the field.
    app.get(
        "/performance/scores?month=2024-01&to=2026-02",
        &app.admin_token,
    )
    .assert_problem(422, "validation_failed");
}
