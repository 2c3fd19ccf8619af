//! "Waiting for me" (`GET /me/waiting`): each person sees what their roles and their RM record
//! let them act on, never their own requests (M-1), and the counts fall when the work is done.

use serde_json::json;

use crate::helpers::{spawn_app, test_now};

#[test]
fn m1_waiting_for_me_counts_what_each_person_may_act_on_and_not_their_own_requests() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let waiting = |token: &str| {
        let r = app.get("/me/waiting", token);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    };

    // An approval: the maker does not see it as theirs to decide; a second risk officer does; an
    // auditor (no approver role) does not.
    let borrower = app.customer_of(&team, "corporate", false, &[]);
    let maker = app.user_token("risk.maker", &["risk_officer"], &root);
    let checker = app.user_token("risk.checker", &["risk_officer"], &root);
    let auditor = app.user_token("audit.one", &["auditor"], &root);
    let r = app.post(
        "/flags",
        &maker,
        &json!({"customer_id": borrower, "kind": "blacklisted", "reason": "fraudulent statements"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(waiting(&maker)["approvals_to_decide"], 0);
    assert_eq!(waiting(&checker)["approvals_to_decide"], 1);
    assert_eq!(waiting(&auditor)["approvals_to_decide"], 0);
    // The approvals list reads one command's requests.
    let listed = |command: &str| {
        app.get(
            &format!("/approvals?status=pending&command={command}"),
            &checker,
        )
        .body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed("blacklist"), 1);
    assert_eq!(listed("change_policy"), 0);
    let approval = r.body["approval_id"].as_str().unwrap().to_string();
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &checker,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(waiting(&checker)["approvals_to_decide"], 0);

    // A dual check waits for the second RM's own confirmation (D-3), not the lead's.
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
    let performed_at = (test_now() - chrono::Days::new(28)).to_rfc3339();
    let r = app.post(
        "/field-checks",
        &lead_token,
        &json!({"customer_id": customer, "kind": "post_loan_inspection", "lead_rm_id": lead, "second_rm_id": second,
                "performed_at": performed_at, "place": "plant", "findings": "stock as reported"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let check = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(waiting(&second_token)["checks_to_confirm"], 1);
    assert_eq!(waiting(&lead_token)["checks_to_confirm"], 0);
    assert_eq!(
        waiting(&maker)["checks_to_confirm"],
        0,
        "no RM record, no checks to confirm"
    );
    let r = app.post(
        &format!("/field-checks/{check}/confirm"),
        &second_token,
        &json!({"note": "seen"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(waiting(&second_token)["checks_to_confirm"], 0);

    // An exit case waits for the committee, but not for the member who proposed it (X-5, M-1).
    let proposer = app.user_token("committee.one", &["committee"], &root);
    let decider = app.user_token("committee.two", &["committee"], &root);
    let r = app.post(
        "/exit-cases",
        &proposer,
        &json!({"rm_id": second, "kind": "demotion", "reason": "test", "evidence": "file 1"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(waiting(&proposer)["cases_to_decide"], 0);
    assert_eq!(waiting(&decider)["cases_to_decide"], 1);
    assert_eq!(
        waiting(&checker)["cases_to_decide"],
        0,
        "a risk officer does not decide cases"
    );
}
