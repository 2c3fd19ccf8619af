//! M-4 separation of duties and sessions that end when the account changes (issue 16).

use serde_json::json;

use crate::helpers::{spawn_app, SECURITY_ADMIN_PASSWORD};

fn user_id(app: &crate::helpers::TestApp, token: &str) -> (String, i64) {
    let me = app.get("/me", token);
    assert_eq!(me.status, 200, "{}", me.body);
    (
        me.body["id"].as_str().expect("id").to_string(),
        me.body["version"].as_i64().expect("version"),
    )
}

#[test]
fn m4_nobody_grants_themselves_roles_and_managers_grant_only_rm_accounts() {
    let app = spawn_app();
    let root = app.root_id();
    let manager = app.user_token("branch.mgr", &["manager"], &root);
    let (id, version) = user_id(&app, &manager);
    let r = app.patch(
        &format!("/users/{id}"),
        &manager,
        &json!({"roles": ["manager", "committee", "risk_officer"], "version": version}),
    );
    r.assert_problem(403, "own_account");
    assert_eq!(r.body["rule"], "M-4");
    // Not even a harmless-looking one, nor one's own unit or active flag.
    app.patch(
        &format!("/users/{id}"),
        &manager,
        &json!({"roles": ["manager", "rm"], "version": version}),
    )
    .assert_problem(403, "own_account");
    app.patch(
        &format!("/users/{id}"),
        &manager,
        &json!({"active": false, "version": version}),
    )
    .assert_problem(403, "own_account");
    // The admin is held to the same rule.
    let (admin_id, admin_version) = user_id(&app, &app.admin_token);
    app.patch(
        &format!("/users/{admin_id}"),
        &app.admin_token,
        &json!({"roles": ["admin", "committee"], "version": admin_version}),
    )
    .assert_problem(403, "own_account");
    // A manager creates RM accounts, not committee members.
    let r = app.post(
        "/users",
        &manager,
        &json!({"username": "sidekick", "password": "sidekick-password-1",
        "display_name": "S", "roles": ["committee"], "org_unit_id": root}),
    );
    r.assert_problem(403, "grant_not_allowed");
    let r = app.post(
        "/users",
        &manager,
        &json!({"username": "new.rm", "password": "new-rm-password-1",
        "display_name": "R", "roles": ["rm"], "org_unit_id": root}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        app.get(&format!("/users/{id}"), &app.admin_token).body["roles"],
        json!(["manager"])
    );
}

#[test]
fn m4_a_committee_grant_waits_for_another_admin_and_not_the_makers_own_checker() {
    let app = spawn_app();
    let root = app.root_id();
    let r = app.post(
        "/users",
        &app.admin_token,
        &json!({"username": "c.member", "password": "committee-password-1",
        "display_name": "C", "roles": ["committee"], "org_unit_id": root}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["rule"], "M-4");
    let approval = r.body["approval_id"]
        .as_str()
        .expect("approval")
        .to_string();
    let listed = app.get("/users?role=committee", &app.admin_token);
    assert!(
        listed.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["username"] != "c.member"),
        "no committee role before the approval: {}",
        listed.body
    );
    // The maker cannot approve their own grant.
    app.post(
        &format!("/approvals/{approval}/approve"),
        &app.admin_token,
        &json!({}),
    )
    .assert_problem(422, "same_person");
    let second = app.login("security.admin", SECURITY_ADMIN_PASSWORD);
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &second,
        &json!({"note": "ok"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = app.get("/users?role=committee", &app.admin_token);
    assert!(listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|u| u["username"] == "c.member"));

    // An admin the maker made is not a second person for the maker's requests.
    let r = app.post(
        "/users",
        &app.admin_token,
        &json!({"username": "crony", "password": "crony-password-1",
        "display_name": "C", "roles": ["admin"], "org_unit_id": root}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let grant = r.body["approval_id"]
        .as_str()
        .expect("approval")
        .to_string();
    let r = app.post(&format!("/approvals/{grant}/approve"), &second, &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let crony = app.login("crony", "crony-password-1");
    let r = app.post(
        "/users",
        &app.admin_token,
        &json!({"username": "auditor.two", "password": "auditor-password-1",
        "display_name": "A", "roles": ["auditor"], "org_unit_id": root}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let approval = r.body["approval_id"]
        .as_str()
        .expect("approval")
        .to_string();
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &crony,
        &json!({}),
    );
    r.assert_problem(403, "checker_made_by_maker");
    assert_eq!(r.body["rule"], "M-4");
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &second,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn m4_one_person_one_rm_record_and_the_second_rm_is_another_person() {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Branch", "branch", &root);
    let rm = app.rm(&branch, "corporate", "rm");
    app.rm_login("lead.one", &rm, &branch);
    // A second account for the same RM record is refused.
    let r = app.post(
        "/users",
        &app.admin_token,
        &json!({"username": "lead.two", "password": "user-password-123",
        "display_name": "L", "roles": ["rm"], "org_unit_id": branch, "rm_id": rm}),
    );
    r.assert_problem(422, "rm_linked");
    // Nobody links their own account to an RM record.
    let manager = app.user_token("mgr.link", &["manager", "rm"], &branch);
    let other_rm = app.rm(&branch, "corporate", "rm");
    let (id, version) = user_id(&app, &manager);
    app.patch(
        &format!("/users/{id}"),
        &manager,
        &json!({"rm_id": other_rm, "version": version}),
    )
    .assert_problem(403, "own_account");

    // D-3 compares people: one person cannot hold a second serving RM record to be their own
    // second RM (the check on national IDs in D-3 backs this up).
    let national_id = app.get(&format!("/rms/{rm}"), &app.admin_token).body["national_id"]
        .as_str()
        .expect("national id")
        .to_string();
    let body = crate::helpers::TestApp::rm_body("E-TWIN", &national_id, &branch);
    let r = app.post("/rms", &app.admin_token, &body);
    assert!(
        r.status == 409 || r.status == 422,
        "{} {}",
        r.status,
        r.body
    );
}

#[test]
fn m4_sessions_end_when_the_account_changes_or_signs_out() {
    let app = spawn_app();
    let root = app.root_id();
    let manager = app.user_token("mgr.session", &["manager"], &root);
    assert_eq!(app.get("/customers", &manager).status, 200);
    let (id, version) = user_id(&app, &manager);
    let r = app.patch(
        &format!("/users/{id}"),
        &app.admin_token,
        &json!({"roles": ["rm"], "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.get("/customers", &manager)
        .assert_problem(401, "unauthorized");
    // Signing in again gives the new roles.
    let fresh = app.login("mgr.session", "user-password-123");
    assert_eq!(app.get("/me", &fresh).body["roles"], json!(["rm"]));
    // A password reset ends the sessions too.
    let r = app.patch(
        &format!("/users/{id}"),
        &app.admin_token,
        &json!({"password": "another-password-9", "version": version + 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.get("/me", &fresh).assert_problem(401, "unauthorized");
    // Sign-out revokes that token only.
    let one = app.login("mgr.session", "another-password-9");
    let two = app.login("mgr.session", "another-password-9");
    let r = app.request("POST", "/auth/logout", Some(&one), &[], None);
    assert_eq!(r.status, 204, "{}", r.body);
    app.get("/me", &one).assert_problem(401, "unauthorized");
    assert_eq!(app.get("/me", &two).status, 200);
    // Sign-ins, failures and sign-outs are audited.
    let bad = json!({"username": "mgr.session", "password": "wrong-password"}).to_string();
    app.request("POST", "/auth/token", None, &[], Some(&bad))
        .assert_problem(401, "unauthorized");
    for action in [
        "auth.sign_in",
        "auth.sign_in_failed",
        "auth.sign_out",
        "user.password_change",
    ] {
        let r = app.get(&format!("/audit/events?action={action}"), &app.admin_token);
        assert!(
            !r.body["items"].as_array().expect("items").is_empty(),
            "{action} is audited: {}",
            r.body
        );
    }
}

#[test]
fn m4_forty_parallel_wrong_passwords_reach_the_hash_at_most_five_times() {
    let app = spawn_app();
    let app = std::sync::Arc::new(app);
    let body = json!({"username": "admin", "password": "wrong-password"}).to_string();
    let handles: Vec<_> = (0..40)
        .map(|_| {
            let (app, body) = (app.clone(), body.clone());
            std::thread::spawn(move || {
                app.request("POST", "/auth/token", None, &[], Some(&body))
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= 5,
        "{checked} attempts reached the password hash: {statuses:?}"
    );
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    // Unknown usernames are throttled the same way.
    let ghost = json!({"username": "nobody.here", "password": "wrong-password"}).to_string();
    let statuses: Vec<u16> = (0..7)
        .map(|_| {
            app.request("POST", "/auth/token", None, &[], Some(&ghost))
                .status
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses[6], 429);
}

#[test]
fn m4_a_manager_cannot_reset_the_password_of_an_account_it_could_not_grant() {
    let app = spawn_app();
    let root = app.root_id();
    let manager = app.user_token("mgr.reset", &["manager"], &root);
    app.user_token("committee.one", &["committee"], &root);
    let listed = app.get("/users?role=committee", &app.admin_token);
    let member = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["username"] == "committee.one")
        .expect("the member")
        .clone();
    let r = app.patch(
        &format!("/users/{}", member["id"].as_str().expect("id")),
        &manager,
        &json!({"password": "taken-over-password", "version": member["version"]}),
    );
    r.assert_problem(403, "account_not_yours_to_change");
    assert_eq!(r.body["rule"], "M-4");
    app.login("committee.one", "user-password-123");
}

#[test]
fn m4_parallel_sign_ins_of_one_user_on_a_new_throttle_row_all_succeed() {
    // Several servers sign one user in at once: the throttle row is made once, never refused as a
    // duplicate. `security.admin` has never signed in here, so its row does not exist yet. Four at
    // once: a fifth attempt in flight would be held back by the throttle itself (see above).
    let app = std::sync::Arc::new(spawn_app());
    let body =
        json!({"username": "security.admin", "password": SECURITY_ADMIN_PASSWORD}).to_string();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (app, body, barrier) = (app.clone(), body.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = app.request("POST", "/auth/token", None, &[], Some(&body));
                (r.status, r.body.to_string())
            })
        })
        .collect();
    for h in handles {
        let (status, body) = h.join().expect("thread");
        assert_eq!(status, 200, "{body}");
    }
}
