use serde_json::json;

use crate::helpers::{spawn_app, today_minus_days};

#[test]
fn r4_overview_counts_flags_bands_rms_and_keeps_twelve_months_of_trend() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "senior");
    let today = today_minus_days(0);
    let mut customers = Vec::new();
    for n in 0..4 {
        let c = app.customer_of(&team, "sme", false, &[]);
        assert_eq!(app.assign(&app.admin_token, &c, &rm, "primary").status, 201);
        let paid = if n == 0 { "0.00" } else { "2100.00" };
        let r = app.post(
            "/loans",
            &app.admin_token,
            &json!({"loan_no": format!("OV{n}"), "customer_id": c, "rm_id": rm, "balance": "500000.00",
                    "originated_on": "2026-03-01", "classification": "normal",
                    "interest_due": "2100.00", "interest_paid": paid, "as_of": today}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        customers.push(c);
    }
    // A blacklisting waits for a second person (M-1): one pending approval.
    let r = app.post(
        "/flags",
        &app.admin_token,
        &json!({"customer_id": customers[1], "kind": "blacklisted", "reason": "fraudulent statements"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);

    // The RMs' figures come from their latest R-4 evaluation, not from a recount on each call.
    let before = app.get("/overview", &app.admin_token);
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["rm_risk"], json!([]));
    assert_eq!(before.body["rms_evaluated"], 0);
    let r = app.post("/evaluations", &app.admin_token, &json!({"as_of": today}));
    assert_eq!(r.status, 201, "{}", r.body);

    let o = app.get("/overview", &app.admin_token);
    assert_eq!(o.status, 200, "{}", o.body);
    let b = &o.body;
    assert_eq!(b["as_of"], today);
    assert_eq!(
        b["flags"],
        json!([{"kind": "overdue_interest", "severity": "warning", "count": 1}])
    );
    assert_eq!(b["rm_risk"].as_array().map(Vec::len), Some(1));
    let mine = &b["rm_risk"][0];
    assert_eq!(mine["rm_id"], rm.as_str());
    assert_eq!(
        (&mine["loan_customers"], &mine["overdue_customers"]),
        (&json!(4), &json!(1))
    );
    assert_eq!(mine["overdue_ratio"], "0.25");
    assert_eq!(mine["band"], "out_of_control");
    assert_eq!(mine["ratio_applies"], false, "fewer than 30 loans (R-4)");
    assert_eq!(mine["as_of"], today);
    assert_eq!(b["rms_evaluated"], 1);
    // The head office sees its direct sub-units pooled; the team's own overview lists its RM.
    assert_eq!(
        b["units"],
        json!([{"org_unit_id": team, "name": "Corporate Team 1", "kind": "team", "rms": 1,
                "loan_customers": 4, "overdue_customers": 1, "overdue_ratio": "0.25",
                "rms_by_band": {"normal": 0, "above_normal": 0, "action_required": 0, "out_of_control": 0}}])
    );
    let drilled = app.get(&format!("/overview?org_unit_id={team}"), &app.admin_token);
    assert_eq!(drilled.status, 200, "{}", drilled.body);
    assert_eq!(drilled.body["units"], json!([]));
    assert_eq!(drilled.body["rm_risk"][0]["rm_id"], rm.as_str());
    assert_eq!(
        b["bands"],
        json!({"normal": "0.05", "action_required": "0.10", "out_of_control": "0.20"})
    );
    assert_eq!(b["approvals_pending"], 1);
    assert_eq!(b["required_checks"], json!({"due": 1, "overdue": 0}), "{b}");
    assert_eq!(b["exit_cases_open"], 0);
    let trends = b["trends"].as_array().expect("trends");
    assert_eq!(trends.len(), 12);
    let this_month = &today[..7];
    assert_eq!(trends[11]["month"], this_month);
    assert_eq!(trends[11]["flags_raised"], 1);
    assert!(trends[..11].iter().all(|m| m["flags_raised"] == 0));

    // The RM's portfolio: the customers it holds now.
    let held = app
        .get(&format!("/customers?rm_id={rm}"), &app.admin_token)
        .body;
    let mut ids: Vec<&str> = held["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = customers.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Flag lists name the customer, so a front end needs no lookup per row.
    let listed = app.get("/flags?status=open", &app.admin_token).body;
    assert_eq!(listed["items"][0]["customer_id"], customers[0].as_str());
    assert!(listed["items"][0]["customer_name"].is_string(), "{listed}");

    // The counts are kept with the changes: a resolution takes the flag off the overview.
    let open_checks = b["required_checks"].clone();
    let flag = listed["items"][0]["id"].as_str().unwrap();
    let r = app.post(
        &format!("/flags/{flag}/resolve"),
        &app.admin_token,
        &json!({"evidence": "interest paid in full"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = app.get("/overview", &app.admin_token).body;
    assert_eq!(after["flags"], json!([]), "{after}");
    assert_eq!(after["required_checks"], open_checks);
    assert_eq!(
        after["trends"][11]["flags_raised"], 1,
        "a resolved flag was still raised"
    );

    // A unit outside the caller's scope is not found; a manager sees only their unit.
    let other = app.unit("Retail Team 9", "team", &root);
    let manager = app.user_token("ov.manager", &["manager"], &other);
    let theirs = app.get("/overview", &manager).body;
    assert_eq!(theirs["rm_risk"], json!([]));
    assert_eq!(theirs["flags"], json!([]));
    app.get(&format!("/overview?org_unit_id={team}"), &manager)
        .assert_problem(404, "not_found");

    // The RM's books follow the RM to another unit (kept by the database, whatever the path).
    let moved_to = app.unit("Corporate Team 2", "team", &root);
    let version = app.get(&format!("/rms/{rm}"), &app.admin_token).body["version"].clone();
    let r = app.patch(
        &format!("/rms/{rm}"),
        &app.admin_token,
        &json!({"org_unit_id": moved_to, "version": version}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let units = app.get("/overview", &app.admin_token).body["units"].clone();
    let rms_of = |id: &str| {
        units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["org_unit_id"] == id)
            .map(|u| u["rms"].clone())
    };
    assert_eq!(rms_of(&team), Some(json!(0)), "{units}");
    assert_eq!(rms_of(&moved_to), Some(json!(1)), "{units}");
}

#[test]
fn me_tells_the_signed_in_user_and_needs_a_token() {
    let app = spawn_app();
    let me = app.get("/me", &app.admin_token);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["username"], "admin");
    assert_eq!(me.body["roles"], json!(["admin"]));
    app.request("GET", "/me", None, &[], None)
        .assert_problem(401, "unauthorized");
}

#[derive(diesel::QueryableByName)]
struct Bp {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    bp: i32,
}

/// The database keeps each RM's ratio in basis points for the overview's order and bands; it must
/// round as the domain's R-4 indicator does (four places, half to even), midpoints included
/// (1 of 32 is 0.03125: 312, not 313).
#[test]
fn r4_the_stored_ratio_rounds_as_the_indicator_does() {
    use diesel::RunQueryDsl;
    use rmdesk::domain::{policy::Policy, portfolio};
    let app = spawn_app();
    let root = app.root_id();
    let rm = app.rm(&root, "corporate", "senior");
    let mut conn = app.db();
    let sql = |s: &str| rmdesk::db::dialect(&conn, s);
    let insert = sql(
        "INSERT INTO rm_indicators(rm_id, as_of, loan_customers, overdue_customers) VALUES ($1, '2026-11-30', 0, 0)",
    );
    let (update, read) = (
        sql(
            "UPDATE rm_indicators SET loan_customers = $1, overdue_customers = $2 WHERE rm_id = $3",
        ),
        sql("SELECT overdue_ratio_bp AS bp FROM rm_indicators WHERE rm_id = $1"),
    );
    diesel::sql_query(insert)
        .bind::<diesel::sql_types::Text, _>(&rm)
        .execute(&mut conn)
        .expect("insert");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let books = (0..=40u32)
        .flat_map(|loans| (0..=loans).map(move |overdue| (loans, overdue)))
        .chain(
            [32, 64, 160, 320, 625, 1280, 3125]
                .into_iter()
                .flat_map(|loans| {
                    (0..=loans)
                        .step_by(((loans / 60) as usize).max(1))
                        .map(move |o| (loans, o))
                }),
        );
    let mut midpoints = 0;
    for (loans, overdue) in books {
        diesel::sql_query(&update)
            .bind::<diesel::sql_types::Integer, _>(loans as i32)
            .bind::<diesel::sql_types::Integer, _>(overdue as i32)
            .bind::<diesel::sql_types::Text, _>(&rm)
            .execute(&mut conn)
            .expect("update");
        let stored: Vec<Bp> = diesel::sql_query(&read)
            .bind::<diesel::sql_types::Text, _>(&rm)
            .load(&mut conn)
            .expect("read");
        let ratio = portfolio::indicator(loans, overdue, today, &Policy::default()).overdue_ratio;
        assert_eq!(
            i64::from(stored[0].bp),
            portfolio::ratio_bp(ratio),
            "{overdue} of {loans}"
        );
        if loans > 0
            && (u64::from(overdue) * 20_000) % u64::from(loans) == 0
            && (u64::from(overdue) * 10_000) % u64::from(loans) != 0
        {
            midpoints += 1;
        }
    }
    assert!(
        midpoints > 5,
        "the books tried include midpoints: {midpoints}"
    );
}

/// X-1 in the overview's trend: the month's average over every scored RM of the scope, two RMs
/// with the same total counted twice (the database groups equal totals).
#[test]
fn x1_overview_trend_averages_every_scored_rm_equal_totals_included() {
    use rust_decimal::Decimal;
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Trend Branch", "branch", &root);
    let sub = app.unit("Trend Sub-branch", "sub_branch", &branch);
    let team = app.unit("Trend Team", "team", &sub);
    let rms: Vec<String> = (0..3).map(|_| app.rm(&team, "retail", "rm")).collect();
    let today = crate::helpers::test_today();
    let month = (today - chrono::Months::new(1)).format("%Y-%m").to_string();
    let metrics: Vec<_> = rms
        .iter()
        .zip([3, 1, 1])
        .map(|(rm, accounts)| json!({"rm_id": rm, "month": month, "new_loan_accounts": accounts}))
        .collect();
    let r = app.post("/performance/metrics", &app.admin_token, &json!(metrics));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.post(
        "/performance/runs",
        &app.admin_token,
        &json!({"month": month}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get(
        &format!("/performance/scores?month={month}"),
        &app.admin_token,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let totals: Vec<Decimal> = r
        .body
        .as_array()
        .expect("scores")
        .iter()
        .map(|s| {
            s["total"]
                .as_str()
                .expect("total")
                .parse()
                .expect("decimal")
        })
        .collect();
    assert_eq!(totals.len(), 3, "{}", r.body);
    assert_eq!(totals[1], totals[2], "two RMs share a total: {}", r.body);
    let expected = (totals.iter().sum::<Decimal>() / Decimal::from(3)).round_dp(1);

    let overview = app.get("/overview", &app.admin_token);
    assert_eq!(overview.status, 200, "{}", overview.body);
    let trend = overview.body["trends"].as_array().expect("trends");
    let scored = trend
        .iter()
        .find(|m| m["month"] == month.as_str())
        .expect("the month");
    assert_eq!(
        scored["average_score"],
        expected.to_string(),
        "{}",
        overview.body
    );
    let this_month = today.format("%Y-%m").to_string();
    let current = trend
        .iter()
        .find(|m| m["month"] == this_month.as_str())
        .expect("this month");
    assert_eq!(current["average_score"], serde_json::Value::Null);
}
