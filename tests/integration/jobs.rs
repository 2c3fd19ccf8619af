//! P-2: the bank's calendar runs by itself, in the bank's time zone, once per job and date.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// Waits until `job` has a run for `date` with `status`, and returns the runs of that job.
fn wait_for(app: &TestApp, job: &str, date: &str, status: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let runs = app
            .get(&format!("/jobs/runs?job={job}&limit=500"), &app.admin_token)
            .body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if runs
            .iter()
            .any(|r| r["business_date"] == date && r["status"] == status)
        {
            return runs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no {status} run of {job} for {date} within a minute: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn runs_for<'a>(runs: &'a [Value], date: &str) -> Vec<&'a Value> {
    runs.iter().filter(|r| r["business_date"] == date).collect()
}

/// An RM with 40 loan customers, 9 of them behind on interest on the settlement day (22.5%).
fn settlement_day_book(app: &TestApp) -> String {
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "senior");
    let mut rows = Vec::new();
    for n in 0..40 {
        let c = app.customer_of(&team, "sme", false, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
        let paid = if n < 9 { "0.00" } else { "2100.00" };
        rows.push(json!({"loan_no": format!("S{n}"), "customer_id": c, "rm_id": rm, "balance": "500000.00",
            "originated_on": "2026-03-01", "classification": "normal", "interest_due": "2100.00",
            "interest_paid": paid, "as_of": "2026-11-20"}));
    }
    let r = app.post("/loans/batch", &app.admin_token, &json!(rows));
    assert_eq!(r.body["recorded"], 40, "{}", r.body);
    rm
}

#[test]
fn p2_r4_the_settlement_day_is_evaluated_by_itself_after_it_closes_and_once() {
    let mut app = spawn_app();
    // The day's loan file is in during the 20th (12:00 in Beijing).
    app.restart("2026-11-20T04:00:00Z", None);
    let rm = settlement_day_book(&app);
    // Before the day closes (21:30 in Beijing) nothing runs for it.
    app.restart("2026-11-20T13:30:00Z", Some(1));
    wait_for(&app, "expiry_sweep", "2026-11-20", "succeeded");
    let early = app.get("/jobs/runs?job=r4_evaluation&limit=500", &app.admin_token);
    assert!(
        runs_for(early.body["items"].as_array().unwrap(), "2026-11-20").is_empty(),
        "{}",
        early.body
    );
    // The next morning (07:30 in Beijing, 23:30 UTC the day before) the server evaluates the 20th.
    app.restart("2026-11-20T23:30:00Z", Some(1));
    let runs = wait_for(&app, "r4_evaluation", "2026-11-20", "succeeded");
    let run = runs_for(&runs, "2026-11-20")[0];
    assert_eq!(run["run_by"], "schedule");
    assert_eq!(run["counts"]["rms_evaluated"], 1, "{run}");
    let flags = app.get(&format!("/flags?rm_id={rm}&limit=500"), &app.admin_token);
    let kinds: Vec<&str> = flags.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"action_required"), "{kinds:?}");

    // A restart runs nothing again.
    app.restart("2026-11-21T00:00:00Z", Some(1));
    wait_for(&app, "expiry_sweep", "2026-11-21", "succeeded");
    let after = app.get("/jobs/runs?job=r4_evaluation&limit=500", &app.admin_token);
    assert_eq!(
        runs_for(after.body["items"].as_array().unwrap(), "2026-11-20").len(),
        1,
        "{}",
        after.body
    );
    // By hand, the same date is refused: a job runs once per date.
    let again = app.post(
        "/jobs/r4_evaluation/run",
        &app.admin_token,
        &json!({"as_of": "2026-11-20"}),
    );
    again.assert_problem(409, "version_conflict");
    let future = app.post(
        "/jobs/r4_evaluation/run",
        &app.admin_token,
        &json!({"as_of": "2026-11-26"}),
    );
    future.assert_problem(422, "validation_failed");
    let jobs = app.get("/jobs", &app.admin_token);
    let r4 = jobs
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "r4_evaluation")
        .unwrap();
    assert_eq!(r4["next_due_on"], "2026-11-26", "{r4}");
    assert_eq!(r4["next_starts_at"], "2026-11-26T14:00:00.000000Z", "{r4}");
}

#[test]
fn p2_after_downtime_the_missed_checkpoints_run_in_order() {
    let mut app = spawn_app();
    app.restart("2026-11-20T04:00:00Z", None);
    settlement_day_book(&app);
    // Down from the 20th to the morning of the 27th: the 20th and the 26th were never run.
    app.restart("2026-11-27T01:00:00Z", Some(1));
    let runs = wait_for(&app, "r4_evaluation", "2026-11-26", "succeeded");
    let first = runs_for(&runs, "2026-11-20");
    let second = runs_for(&runs, "2026-11-26");
    assert_eq!((first.len(), second.len()), (1, 1), "{runs:?}");
    assert_eq!(first[0]["status"], "succeeded");
    assert!(
        first[0]["id"].as_str() < second[0]["id"].as_str(),
        "the 20th ran before the 26th: {runs:?}"
    );
    // Every day's sweep ran too, each once.
    let sweeps = wait_for(&app, "expiry_sweep", "2026-11-27", "succeeded");
    assert_eq!(runs_for(&sweeps, "2026-11-21").len(), 1);
}

#[test]
fn p2_a_run_whose_server_died_is_marked_interrupted_and_run_again() {
    let mut app = spawn_app();
    app.restart("2026-11-20T04:00:00Z", None);
    settlement_day_book(&app);
    // A server died during the evaluation of the 20th: its run is left `running`, its work (one
    // transaction) never committed.
    let mut conn = app.db();
    rmdesk::db::jobs::insert_run(
        &mut conn,
        &rmdesk::db::jobs::JobRunRow {
            id: "00000000-0000-7000-8000-000000000001".into(),
            job: "r4_evaluation".into(),
            business_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            attempt: 1,
            status: "running".into(),
            run_by: "schedule".into(),
            server: "a-server-that-died".into(),
            started_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
                .unwrap()
                .and_hms_opt(14, 0, 1)
                .unwrap(),
            finished_at: None,
            counts: None,
            error: None,
            policy_version: None,
        },
    )
    .unwrap();
    drop(conn);
    app.restart("2026-11-21T01:00:00Z", Some(1));
    let runs = wait_for(&app, "r4_evaluation", "2026-11-20", "succeeded");
    let mut attempts: Vec<(i64, &str)> = runs_for(&runs, "2026-11-20")
        .iter()
        .map(|r| {
            (
                r["attempt"].as_i64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    attempts.sort();
    assert_eq!(attempts, vec![(1, "interrupted"), (2, "succeeded")]);
    // The evaluation counted once: one action_required flag for the RM.
    let flags = app.get("/flags?kind=action_required&limit=500", &app.admin_token);
    assert_eq!(
        flags.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        flags.body
    );
}

#[test]
fn a9_an_rm_whose_qualification_lapses_loses_eligibility_that_day_and_a_handover_opens() {
    let mut app = spawn_app();
    app.restart("2026-11-28T04:00:00Z", None);
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let mut body = TestApp::rm_body("E7001", "110101199001017001", &team);
    // Passed two years before the 29th: valid until the 29th (O-4).
    body["qualified_on"] = json!("2024-11-29");
    let rm = app.post("/rms", &app.admin_token, &body);
    assert_eq!(rm.status, 201, "{}", rm.body);
    let rm = rm.body["id"].as_str().unwrap().to_string();
    let colleague = app.rm(&team, "corporate", "rm");
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);

    // 00:30 on the 29th in Beijing (16:30 UTC on the 28th): the 29th has begun.
    app.restart("2026-11-28T16:30:00Z", Some(1));
    let runs = wait_for(&app, "expiry_sweep", "2026-11-29", "succeeded");
    let run = runs_for(&runs, "2026-11-29")[0];
    assert_eq!(
        run["counts"]["eligibility_ended"][0]["rm_id"],
        rm.as_str(),
        "{run}"
    );
    let handover = run["counts"]["handovers_proposed"][0]["handover_id"]
        .as_str()
        .expect("a handover was proposed")
        .to_string();
    let plan = app.get(&format!("/handovers/{handover}"), &app.admin_token);
    assert_eq!(plan.body["from_rm_id"], rm.as_str(), "{}", plan.body);
    assert_eq!(plan.body["status"], "proposed");
    assert_eq!(
        plan.body["moves"][0]["to_rm_id"],
        colleague.as_str(),
        "{}",
        plan.body
    );
    // from that day the RM receives nothing.
    let other = app.customer_of(&team, "corporate", false, &[]);
    let refused = app.assign(&app.admin_token, &other, &rm, "primary");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["rule"], "A-4");
    // The next day's sweep proposes no second plan.
    app.restart("2026-11-29T16:30:00Z", Some(1));
    let runs = wait_for(&app, "expiry_sweep", "2026-11-30", "succeeded");
    let next = runs_for(&runs, "2026-11-30")[0];
    assert_eq!(next["counts"]["handovers_proposed"], json!([]), "{next}");
}

#[test]
fn d5_a_required_check_left_open_past_its_due_date_is_x2_item_2_evidence_once() {
    let mut app = spawn_app();
    app.restart("2026-11-10T04:00:00Z", None);
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "senior");
    let c = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
    let flag = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": c, "kind": "anomaly", "reason": "unusual transfers"}),
    );
    assert_eq!(flag.status, 201, "{}", flag.body);
    let checks = app.get("/required-checks?status=open&limit=500", &app.admin_token);
    let check = checks.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["customer_id"] == c.as_str())
        .cloned()
        .expect("the flag requires a check (A-6, D-5)");
    let due = check["due_on"].as_str().unwrap().to_string();
    assert_eq!(due, "2026-11-20");

    // The morning after the due date.
    app.restart("2026-11-21T01:00:00Z", Some(1));
    let runs = wait_for(&app, "required_checks", "2026-11-21", "succeeded");
    let reminder = runs_for(&runs, "2026-11-18")[0];
    assert_eq!(reminder["counts"]["reminded"], 1, "{reminder}");
    let overdue = runs_for(&runs, "2026-11-21")[0];
    assert_eq!(
        overdue["counts"]["overdue_evidence"][0]["rm_id"],
        rm.as_str(),
        "{overdue}"
    );
    let conduct = |app: &TestApp| {
        app.get(&format!("/rms/{rm}/conduct"), &app.admin_token)
            .body["incidents"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i["item"] == "X-2.2")
            .count()
    };
    assert_eq!(conduct(&app), 1);
    // Later days add nothing for the same check.
    app.restart("2026-11-23T01:00:00Z", Some(1));
    wait_for(&app, "required_checks", "2026-11-23", "succeeded");
    assert_eq!(conduct(&app), 1);
}

#[test]
fn p2_at_0730_in_beijing_on_the_first_today_is_the_first() {
    let mut app = spawn_app();
    app.restart("2026-11-30T23:30:00Z", None);
    let overview = app.get("/overview", &app.admin_token);
    assert_eq!(
        overview.body["as_of"], "2026-12-01",
        "{}",
        overview.body["as_of"]
    );
}

/// Two servers on one PostgreSQL database: each job and date runs exactly once. (SQLite is one
/// server's database; this test needs `TEST_DATABASE_URL`.)
#[test]
fn p2_two_servers_on_one_postgresql_run_each_job_and_date_once() {
    let mut app = spawn_app();
    if app.database.backend != rmdesk::db::Backend::Postgres {
        eprintln!("p2_two_servers...: PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    app.restart("2026-11-20T04:00:00Z", None);
    settlement_day_book(&app);
    app.restart("2026-11-27T01:00:00Z", Some(1));
    let second = app.second_server("2026-11-27T01:00:00Z", Some(1));
    wait_for(&app, "r4_evaluation", "2026-11-26", "succeeded");
    wait_for(&app, "expiry_sweep", "2026-11-27", "succeeded");
    std::thread::sleep(Duration::from_secs(3));
    let runs = app.get("/jobs/runs?limit=500", &app.admin_token).body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let servers: std::collections::HashSet<&str> =
        runs.iter().filter_map(|r| r["server"].as_str()).collect();
    let mut seen = std::collections::HashSet::new();
    for run in &runs {
        assert_ne!(run["status"], "failed", "{run}");
        if run["status"] == "succeeded" {
            assert!(
                seen.insert((run["job"].to_string(), run["business_date"].to_string())),
                "ran twice: {run}"
            );
        }
    }
    assert!(seen.len() > 30, "{} runs", seen.len());
    eprintln!("runs shared by {} servers", servers.len());
    let ready = ureq::get(&format!("{}/ready", second.base)).call();
    assert!(ready.is_ok(), "the second server serves");
    drop(second);
}

#[test]
fn a8_a_primary_reaching_the_rotation_period_enters_the_rematch_queue_on_its_day() {
    use diesel::RunQueryDsl;
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "senior");
    let c = app.customer_of(&team, "corporate", false, &[]);
    let a = app.assign(&app.admin_token, &c, &rm, "primary");
    assert_eq!(a.status, 201);
    let id = a.body["id"].as_str().unwrap().to_string();
    // Held since 01:00 in Beijing on 2023-11-21 (17:00 UTC the day before).
    let mut conn = app.db();
    diesel::sql_query(format!(
        "UPDATE assignments SET held_since = '2023-11-20 17:00:00' WHERE id = '{id}'"
    ))
    .execute(&mut conn)
    .unwrap();
    let before = app.post(
        "/jobs/rotation_queue/run",
        &app.admin_token,
        &json!({"as_of": "2026-11-20"}),
    );
    assert_eq!(before.status, 201, "{}", before.body);
    assert_eq!(before.body["counts"]["entered_count"], 0, "{}", before.body);
    let on_the_day = app.post(
        "/jobs/rotation_queue/run",
        &app.admin_token,
        &json!({"as_of": "2026-11-21"}),
    );
    assert_eq!(on_the_day.status, 201, "{}", on_the_day.body);
    assert_eq!(on_the_day.body["run_by"], "admin");
    assert_eq!(
        on_the_day.body["counts"]["entered"][0]["assignment_id"],
        id.as_str()
    );
    let queue = app.get("/queues/rematch?kind=rotation&limit=500", &app.admin_token);
    assert!(queue.body.to_string().contains(&id), "{}", queue.body);
    let events = app.get(
        "/audit/events?action=assignment.rematch_due",
        &app.admin_token,
    );
    assert_eq!(
        events.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        events.body
    );
    // Not an admin: refused.
    let officer = app.user_token("ro.jobs", &["risk_officer"], &root);
    let refused = app.post(
        "/jobs/rotation_queue/run",
        &officer,
        &json!({"as_of": "2026-11-22"}),
    );
    refused.assert_problem(403, "forbidden");
    assert_eq!(app.get("/jobs/runs", &officer).status, 200);
}
