use serde_json::json;

use crate::helpers::{spawn_app, today_minus_days, TestApp};

#[test]
fn o1_branch_manager_cannot_read_another_branchs_customer() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let ours = app.customer(&app.admin_token, "Ours Ltd", &pudong).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = app.customer(&app.admin_token, "Theirs Ltd", &minhang).body["id"]
        .as_str()
        .unwrap()
        .to_string();

    let manager = app.user_token("pudong.mgr", &["manager"], &pudong);
    assert_eq!(app.get(&format!("/customers/{ours}"), &manager).status, 200);
    app.get(&format!("/customers/{theirs}"), &manager)
        .assert_problem(404, "not_found");
    app.get(&format!("/org-units/{minhang}"), &manager)
        .assert_problem(404, "not_found");

    let list = app.get("/customers", &manager);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![ours.as_str()]);
    // Filtering by a unit outside the scope is 404 too; writes outside the scope are refused.
    app.get(&format!("/customers?org_unit_id={minhang}"), &manager)
        .assert_problem(404, "not_found");
    let r = app.customer(&manager, "Sneaky Ltd", &minhang);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "org_unit_id");
    // Head office sees both.
    assert_eq!(
        app.get("/customers", &app.admin_token).body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn o1_units_must_sit_below_their_parent() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Team 1", "team", &root);
    let r = app.post(
        "/org-units",
        &app.admin_token,
        &json!({"name": "Bad", "kind": "branch", "parent_id": team}),
    );
    r.assert_rule("O-1", "invalid_org_placement");
    let r = app.post(
        "/org-units",
        &app.admin_token,
        &json!({"name": "HO2", "kind": "head_office", "parent_id": root}),
    );
    r.assert_rule("O-1", "invalid_org_placement");
    let r = app.get(&format!("/org-units?parent_id={root}"), &app.admin_token);
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        1,
        "nothing half-created"
    );
}

fn create_rm(
    app: &TestApp,
    token: &str,
    employee_no: &str,
    national_id: &str,
    unit: &str,
) -> crate::helpers::Resp {
    app.post(
        "/rms",
        token,
        &TestApp::rm_body(employee_no, national_id, unit),
    )
}

#[test]
fn o6_force_exited_person_is_never_appointed_again_in_any_unit() {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let r = create_rm(
        &app,
        &app.admin_token,
        "E1001",
        "110101199001011234",
        &pudong,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(
        r.body["performance_level"], 3,
        "X-4: new RMs start at level 3"
    );
    let id = r.body["id"].as_str().unwrap().to_string();

    // X-5: an edit does not exit anyone, with or without a kind.
    for body in [
        json!({"status": "exited", "version": 1}),
        json!({"status": "exited", "exit_kind": "forced", "version": 1}),
    ] {
        app.patch(&format!("/rms/{id}"), &app.admin_token, &body)
            .assert_rule("X-5", "exit_case_required");
    }
    assert_eq!(
        app.get(&format!("/rms/{id}"), &app.admin_token).body["status"],
        "active"
    );
    let r = app.exit_by_case(&id, "forced");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "closed", "{}", r.body);
    let rm = app.get(&format!("/rms/{id}"), &app.admin_token);
    assert_eq!(rm.body["status"], "exited");

    // Same national ID, new employee number, another unit, another manager: refused.
    let minhang_mgr = app.user_token("minhang.mgr", &["manager"], &minhang);
    let r = create_rm(&app, &minhang_mgr, "E2002", "110101199001011234", &minhang);
    r.assert_rule("O-6", "permanently_banned");
    // An exited RM stays exited.
    let r = app.patch(
        &format!("/rms/{id}"),
        &app.admin_token,
        &json!({"status": "active", "version": rm.body["version"]}),
    );
    r.assert_rule("X-5", "rm_exited");
    // A voluntary exit does not ban.
    let r = create_rm(
        &app,
        &app.admin_token,
        "E3003",
        "110101199202021234",
        &pudong,
    );
    let other = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.exit_by_case(&other, "voluntary").body["status"],
        "closed"
    );
    assert_eq!(
        create_rm(
            &app,
            &app.admin_token,
            "E3004",
            "110101199202021234",
            &minhang
        )
        .status,
        201
    );
}

#[test]
fn o4_lapsed_qualification_and_missing_counter_experience_are_refused() {
    let app = spawn_app();
    let root = app.root_id();
    let mut body = TestApp::rm_body("E1", "110101199001011234", &root);
    body["qualified_on"] = json!(today_minus_days(800));
    app.post("/rms", &app.admin_token, &body)
        .assert_rule("O-4", "qualification_lapsed");
    body["qualified_on"] = json!(today_minus_days(10));
    body["counter_experience_years"] = json!(1);
    app.post("/rms", &app.admin_token, &body)
        .assert_rule("O-4", "entry_requirements_not_met");
    body["counter_experience_years"] = json!(3);
    let r = app.post("/rms", &app.admin_token, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["qualification_lapsed"], false);
    // One person, one serving appointment.
    body["employee_no"] = json!("E2");
    app.post("/rms", &app.admin_token, &body)
        .assert_problem(409, "duplicate");
}

#[test]
fn o3_team_cannot_approve_senior_grade_but_branch_can() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let sub = app.unit("Lujiazui Sub-branch", "sub_branch", &branch);
    let team = app.unit("Corporate Team 1", "team", &sub);
    let rm = create_rm(&app, &app.admin_token, "E1", "110101199001011234", &team);
    let rm_id = rm.body["id"].as_str().unwrap().to_string();

    let team_mgr = app.user_token("team.mgr", &["manager"], &team);
    let team_checker = app.user_token("team.checker", &["manager"], &team);
    let exam = json!({"grade": "senior", "exam_passed_on": today_minus_days(5)});
    app.post(&format!("/rms/{rm_id}/qualifications"), &team_mgr, &exam)
        .assert_rule("O-3", "approval_level_too_low");
    // The team may approve the RM grade, as a maker-checker action (M-1).
    let pending = app.post(
        &format!("/rms/{rm_id}/qualifications"),
        &team_mgr,
        &json!({"grade": "rm", "exam_passed_on": today_minus_days(5)}),
    );
    assert_eq!(pending.status, 202, "{}", pending.body);
    let approval = pending.body["approval_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/rms/{rm_id}/qualifications"), &app.admin_token)
            .body,
        json!([]),
        "nothing before the second person"
    );
    app.post(
        &format!("/approvals/{approval}/approve"),
        &team_mgr,
        &json!({}),
    )
    .assert_rule("M-1", "same_person");
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &team_checker,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Appointing a senior directly from a team is refused too.
    let mut senior = TestApp::rm_body("E2", "110101199202021234", &team);
    senior["grade"] = json!("senior");
    app.post("/rms", &team_mgr, &senior)
        .assert_rule("O-3", "approval_level_too_low");

    // A senior grade proposed by the branch waits for a second person at the branch level: the
    // team's manager cannot be that person.
    let branch_mgr = app.user_token("branch.mgr", &["manager"], &branch);
    let branch_checker = app.user_token("branch.checker", &["manager"], &branch);
    let r = app.post(&format!("/rms/{rm_id}/qualifications"), &branch_mgr, &exam);
    assert_eq!(r.status, 202, "{}", r.body);
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    app.post(
        &format!("/approvals/{approval}/approve"),
        &team_checker,
        &json!({}),
    )
    .assert_rule("O-3", "approval_level_too_low");
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &branch_checker,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rm = app.get(&format!("/rms/{rm_id}"), &app.admin_token);
    assert_eq!(rm.body["grade"], "senior");
    assert_eq!(
        rm.body["qualified_on"],
        today_minus_days(5),
        "O-4 validity restarts at the exam date"
    );
    let history = app.get(&format!("/rms/{rm_id}/qualifications"), &app.admin_token);
    assert_eq!(history.body.as_array().unwrap().len(), 2);
    assert_eq!(history.body[1]["approved_by_unit_id"], branch.as_str());
    // A principal needs a region or above: the branch is refused.
    let r = app.post(
        &format!("/rms/{rm_id}/qualifications"),
        &branch_mgr,
        &json!({"grade": "principal", "exam_passed_on": today_minus_days(1)}),
    );
    r.assert_rule("O-3", "approval_level_too_low");
}

#[test]
fn o5_term_is_one_year_and_renewal_is_explicit() {
    let app = spawn_app();
    let root = app.root_id();
    let mut body = TestApp::rm_body("E1", "110101199001011234", &root);
    body["term_starts_on"] = json!("2026-01-15");
    let r = app.post("/rms", &app.admin_token, &body);
    assert_eq!(r.body["term_ends_on"], "2027-01-15");
    let id = r.body["id"].as_str().unwrap();
    let r = app.post(
        &format!("/rms/{id}/term-renewals"),
        &app.admin_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["term_ends_on"], "2028-01-15");
    assert_eq!(r.body["version"], 2);
}

#[test]
fn stale_version_is_409_and_current_version_applies() {
    let app = spawn_app();
    let root = app.root_id();
    let c = app.customer(&app.admin_token, "Acme", &root);
    let id = c.body["id"].as_str().unwrap().to_string();
    assert_eq!(c.body["version"], 1);
    let r = app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"tier": "gold", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["tier"], "gold");
    let r = app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"tier": "silver", "version": 1}),
    );
    r.assert_problem(409, "version_conflict");
    let r = app.request(
        "PATCH",
        &format!("/customers/{id}"),
        Some(&app.admin_token),
        &[("If-Match", "\"1\"")],
        Some(r#"{"tier":"silver"}"#),
    );
    r.assert_problem(409, "version_conflict");
    let r = app.request(
        "PATCH",
        &format!("/customers/{id}"),
        Some(&app.admin_token),
        &[("If-Match", "\"2\"")],
        Some(r#"{"tier":null}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tier"], serde_json::Value::Null);
    app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"tier": "x"}),
    )
    .assert_problem(422, "validation_failed");
    assert_eq!(
        app.get(&format!("/customers/{id}"), &app.admin_token).body["version"],
        3
    );
}

#[test]
fn idempotency_key_replays_the_first_response_and_creates_nothing_new() {
    let app = spawn_app();
    let root = app.root_id();
    let body = json!({"name": "Acme", "kind": "sme", "org_unit_id": root}).to_string();
    let headers = [("Idempotency-Key", "create-acme-1")];
    let first = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &headers,
        Some(&body),
    );
    assert_eq!(first.status, 201);
    let again = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &headers,
        Some(&body),
    );
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        app.get("/customers", &app.admin_token).body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = json!({"name": "Other", "kind": "sme", "org_unit_id": root}).to_string();
    let r = app.request(
        "POST",
        "/customers",
        Some(&app.admin_token),
        &headers,
        Some(&other),
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key");
}

#[test]
fn lists_page_with_cursors() {
    let app = spawn_app();
    let root = app.root_id();
    for i in 0..5 {
        app.customer(&app.admin_token, &format!("Customer {i}"), &root);
    }
    let first = app.get("/customers?limit=2", &app.admin_token);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = app.get(
        &format!("/customers?limit=2&cursor={cursor}"),
        &app.admin_token,
    );
    let third = app.get(
        &format!(
            "/customers?limit=2&cursor={}",
            second.body["next_cursor"].as_str().unwrap()
        ),
        &app.admin_token,
    );
    assert_eq!(third.body["items"].as_array().unwrap().len(), 1);
    assert!(third.body["next_cursor"].is_null());
    let names: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| {
            p.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        names,
        (0..5).map(|i| format!("Customer {i}")).collect::<Vec<_>>()
    );
    let r = app.get(
        "/customers?name=Customer%203&kind=corporate&is_key_account=true&category=core",
        &app.admin_token,
    );
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn personal_data_is_masked_for_auditors() {
    let app = spawn_app();
    let root = app.root_id();
    create_rm(&app, &app.admin_token, "E1", "110101199001011234", &root);
    let auditor = app.user_token("auditor.one", &["auditor"], &root);
    let r = app.get("/rms", &auditor);
    assert_eq!(r.body["items"][0]["national_id"], "110101********1234");
    let r = app.get("/rms", &app.admin_token);
    assert_eq!(r.body["items"][0]["national_id"], "110101199001011234");
}

#[test]
fn relations_link_customers_once() {
    let app = spawn_app();
    let root = app.root_id();
    let a = app.customer(&app.admin_token, "Guarantor Ltd", &root).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app.customer(&app.admin_token, "Borrower Ltd", &root).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.post(
        &format!("/customers/{a}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": b, "kind": "guarantor_of"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    app.post(
        &format!("/customers/{a}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": b, "kind": "guarantor_of"}),
    )
    .assert_problem(409, "duplicate");
    app.post(
        &format!("/customers/{a}/relations"),
        &app.admin_token,
        &json!({"related_customer_id": a, "kind": "same_group"}),
    )
    .assert_problem(422, "validation_failed");
    let r = app.get(&format!("/customers/{b}/relations"), &app.admin_token);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["customer_id"], a.as_str());
    assert_eq!(
        app.get(&format!("/customers/{b}/assignments"), &app.admin_token)
            .body,
        json!([])
    );
}

#[test]
fn users_are_created_scoped_and_patched() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let r = app.post("/users", &app.admin_token, &json!({"username": "li.na", "password": "short", "display_name": "Li Na", "roles": ["rm"], "org_unit_id": branch}));
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "password");
    let r = app.post("/users", &app.admin_token, &json!({"username": "li.na", "password": "long-enough-pass", "display_name": "Li Na", "roles": ["rm"], "org_unit_id": branch}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.get("password_hash").is_none());
    let id = r.body["id"].as_str().unwrap().to_string();
    app.post("/users", &app.admin_token, &json!({"username": "li.na", "password": "long-enough-pass", "display_name": "Li Na", "roles": ["rm"], "org_unit_id": branch}))
        .assert_problem(409, "duplicate");
    let r = app.patch(
        &format!("/users/{id}"),
        &app.admin_token,
        &json!({"roles": ["rm", "manager"], "version": 1}),
    );
    assert_eq!(r.body["roles"], json!(["rm", "manager"]));
    let token = app.login("li.na", "long-enough-pass");
    assert_eq!(app.get("/customers", &token).status, 200);
    let r = app.patch(
        &format!("/users/{id}"),
        &app.admin_token,
        &json!({"active": false, "version": 2}),
    );
    assert_eq!(r.body["active"], false);
    let r = app.request(
        "POST",
        "/auth/token",
        None,
        &[],
        Some(&json!({"username": "li.na", "password": "long-enough-pass"}).to_string()),
    );
    r.assert_problem(401, "unauthorized");
    // Tokens issued before the deactivation stop working at once.
    app.get("/customers", &token)
        .assert_problem(401, "unauthorized");
}
