use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{spawn_app, test_now, test_today, TestApp};

struct Setup {
    app: TestApp,
    team: String,
    customer: String,
    lead: String,
    second: String,
    lead_token: String,
    second_token: String,
}

/// A high-value customer held by `lead`, and a colleague `second`, each with a login.
fn setup() -> Setup {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let lead = app.rm(&team, "corporate", "rm");
    let second = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &["high_value"]);
    assert_eq!(
        app.assign(&app.admin_token, &customer, &lead, "primary")
            .status,
        201
    );
    let lead_token = app.rm_login("lead.rm", &lead, &team);
    let second_token = app.rm_login("second.rm", &second, &team);
    Setup {
        app,
        team,
        customer,
        lead,
        second,
        lead_token,
        second_token,
    }
}

fn inspection(s: &Setup, second: Option<&str>) -> serde_json::Value {
    let mut body = json!({"customer_id": s.customer, "kind": "post_loan_inspection", "lead_rm_id": s.lead,
                          "performed_at": "2026-11-02T09:30:00Z", "place": "plant", "findings": "stock as reported"});
    if let Some(second) = second {
        body["second_rm_id"] = json!(second);
    }
    body
}

#[test]
fn d2_single_person_inspection_of_high_value_customer_refused() {
    let s = setup();
    s.app
        .post("/field-checks", &s.lead_token, &inspection(&s, None))
        .assert_rule("D-2", "second_rm_required");
    s.app
        .post(
            "/field-checks",
            &s.lead_token,
            &inspection(&s, Some(&s.lead)),
        )
        .assert_rule("D-3", "same_person");
    // A site visit alone is fine (D-2 covers investigations and inspections).
    let mut visit = inspection(&s, None);
    visit["kind"] = json!("site_visit");
    let r = s.app.post("/field-checks", &s.lead_token, &visit);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "completed");
    // Someone else's login cannot submit as the lead.
    s.app
        .post(
            "/field-checks",
            &s.second_token,
            &inspection(&s, Some(&s.second)),
        )
        .assert_rule("D-3", "lead_must_submit");
}

#[test]
fn d3_second_confirms_from_own_login_and_the_lead_cannot() {
    let s = setup();
    let r = s.app.post(
        "/field-checks",
        &s.lead_token,
        &inspection(&s, Some(&s.second)),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "awaiting_confirmation");
    let id = r.body["id"].as_str().unwrap().to_string();
    s.app
        .post(
            &format!("/field-checks/{id}/confirm"),
            &s.lead_token,
            &json!({}),
        )
        .assert_rule("D-3", "lead_cannot_confirm");
    s.app
        .post(
            &format!("/field-checks/{id}/confirm"),
            &s.app.admin_token,
            &json!({}),
        )
        .assert_rule("D-3", "second_must_confirm");
    let r = s.app.post(
        &format!("/field-checks/{id}/confirm"),
        &s.second_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "confirmed");
    assert_eq!(r.body["confirmed_by"], "second.rm");
    s.app
        .post(
            &format!("/field-checks/{id}/confirm"),
            &s.second_token,
            &json!({}),
        )
        .assert_problem(409, "version_conflict");
    let events = s
        .app
        .get(
            &format!("/audit/events?entity=field_check&entity_id={id}"),
            &s.app.admin_token,
        )
        .body;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["field_check.submit", "field_check.confirm"]);
    // The visit log of either RM lists it.
    let log = s.app.get(
        &format!("/field-checks?rm_id={}&kind=post_loan_inspection", s.second),
        &s.app.admin_token,
    );
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
    // The list names both RMs, so a page needs no read per row.
    let item = &log.body["items"][0];
    assert!(
        item["lead_rm_name"].is_string() && item["second_rm_name"].is_string(),
        "{item}"
    );
}

#[test]
fn d3_suspended_or_unassigned_participants_are_refused() {
    let s = setup();
    let r = s.app.patch(
        &format!("/rms/{}", s.second),
        &s.app.admin_token,
        &json!({"status": "suspended", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    s.app
        .post(
            "/field-checks",
            &s.lead_token,
            &inspection(&s, Some(&s.second)),
        )
        .assert_rule("D-3", "participant_not_eligible");

    // Neither RM assigned to the customer.
    let other = s.app.rm(&s.team, "corporate", "rm");
    let other_token = s.app.rm_login("other.rm", &other, &s.team);
    let third = s.app.rm(&s.team, "corporate", "rm");
    let mut body = inspection(&s, Some(&third));
    body["lead_rm_id"] = json!(other);
    s.app
        .post("/field-checks", &other_token, &body)
        .assert_rule("D-3", "no_assigned_participant");
}

#[test]
fn d5_required_check_is_created_closed_by_the_confirmed_check_and_listed_overdue() {
    let s = setup();
    let r = s
        .app
        .get("/required-checks?status=open", &s.app.admin_token);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "entering A-6 requires a check: {}", r.body);
    assert_eq!(items[0]["source"], "A-6");
    assert_eq!(items[0]["kind"], "site_visit");
    let due = (test_today() + chrono::Days::new(10))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(items[0]["due_on"], due);
    assert_eq!(items[0]["overdue"], false);
    assert_eq!(
        s.app
            .get(
                &format!("/required-checks?rm_id={}", s.lead),
                &s.app.admin_token
            )
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(s
        .app
        .get("/required-checks?status=overdue", &s.app.admin_token)
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // Its date passes.
    let mut conn = s.app.db();
    diesel::sql_query("UPDATE required_checks SET due_on = '2026-01-01'")
        .execute(&mut conn)
        .unwrap();
    let overdue = s
        .app
        .get("/required-checks?status=overdue", &s.app.admin_token);
    assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(overdue.body["items"][0]["overdue"], true);

    // D-5: a visit performed before the requirement was made does not close it.
    let mut old = inspection(&s, Some(&s.second));
    old["kind"] = json!("site_visit");
    let old_id = s.app.post("/field-checks", &s.lead_token, &old).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.app.post(
        &format!("/field-checks/{old_id}/confirm"),
        &s.second_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        s.app
            .get("/required-checks?status=open", &s.app.admin_token)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "D-5: a check from before the requirement does not answer it"
    );

    // A confirmed two-person site visit made since closes it.
    let mut visit = inspection(&s, Some(&s.second));
    visit["kind"] = json!("site_visit");
    // (The servers' clock has advanced a little since it started at TEST_NOW.)
    visit["performed_at"] = json!((test_now() + chrono::Duration::minutes(2)).to_rfc3339());
    let id = s.app.post("/field-checks", &s.lead_token, &visit).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.app
            .get("/required-checks?status=open", &s.app.admin_token)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "not before confirmation"
    );
    s.app.post(
        &format!("/field-checks/{id}/confirm"),
        &s.second_token,
        &json!({}),
    );
    let closed = s
        .app
        .get("/required-checks?status=closed", &s.app.admin_token);
    assert_eq!(closed.body["items"][0]["closed_by_check_id"], id.as_str());
    assert!(s
        .app
        .get("/required-checks?status=overdue", &s.app.admin_token)
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn d1_evidence_is_stored_with_its_digest_and_checked() {
    let s = setup();
    let mut visit = inspection(&s, None);
    visit["kind"] = json!("site_visit");
    let id = s.app.post("/field-checks", &s.lead_token, &visit).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = s
        .app
        .url(&format!("/field-checks/{id}/evidence?file_name=photo.png"));
    let send = |content_type: &str, body: &[u8]| match ureq::post(&url)
        .set("Authorization", &format!("Bearer {}", s.lead_token))
        .set("Content-Type", content_type)
        .send_bytes(body)
    {
        Ok(r) => (r.status(), r.into_json::<serde_json::Value>().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json::<serde_json::Value>().unwrap()),
        Err(e) => panic!("{e}"),
    };
    let (status, body) = send("image/png", b"\x89PNG fake image bytes");
    assert_eq!(status, 201, "{body}");
    use sha2::Digest;
    assert_eq!(
        body["sha256"],
        hex::encode(sha2::Sha256::digest(b"\x89PNG fake image bytes"))
    );
    assert_eq!(body["size_bytes"], 21);
    let (status, body) = send("application/x-msdownload", b"MZ...");
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let big = vec![0u8; 10 * 1024 * 1024 + 1];
    let (status, _) = send("application/pdf", &big);
    assert_eq!(status, 413);
    let detail = s
        .app
        .get(&format!("/field-checks/{id}"), &s.app.admin_token);
    assert_eq!(detail.body["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(detail.body["evidence"][0]["file_name"], "photo.png");
}

#[test]
fn d6_weekly_activity_report_counts_visits_against_targets() {
    let s = setup();
    let mut visit = inspection(&s, None);
    visit["kind"] = json!("site_visit");
    visit["performed_at"] = json!(test_now().to_rfc3339());
    assert_eq!(
        s.app.post("/field-checks", &s.lead_token, &visit).status,
        201
    );
    let r = s
        .app
        .get(&format!("/rms/{}/activity", s.lead), &s.app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["by_kind"]["site_visit"], 1);
    assert_eq!(r.body["new_customer_visits"], 1);
    assert_eq!(r.body["target_new_customer_visits"], 10);
    assert_eq!(r.body["target_existing_customer_visits"], 15);
    assert_eq!(r.body["calls"], 0);
    assert_eq!(r.body["target_calls"], 20);

    let now = test_now().to_rfc3339();
    let call = json!({"rm_id": s.lead, "customer_id": s.customer, "kind": "call", "occurred_at": now, "summary": "renewal"});
    assert_eq!(s.app.post("/activities", &s.lead_token, &call).status, 201);
    s.app
        .post("/activities", &s.second_token, &call)
        .assert_problem(403, "forbidden");
    let event = json!({"rm_id": s.lead, "customer_id": s.customer, "kind": "important_event", "occurred_at": now, "summary": "CEO resigned"});
    assert_eq!(
        s.app.post("/activities", &s.app.admin_token, &event).status,
        201
    );
    let r = s
        .app
        .get(&format!("/rms/{}/activity", s.lead), &s.app.admin_token);
    assert_eq!(r.body["calls"], 1);
    assert_eq!(r.body["activities"].as_array().unwrap().len(), 2);
}
