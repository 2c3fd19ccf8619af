//! Bulk reads for pages that show many records: names by id in one read, the RM list with each
//! RM's load against the cap, an RM's score trend in one read. No page needs a request per row.

use crate::helpers::spawn_app;

#[test]
fn a3_bulk_reads_give_names_by_id_and_the_rm_list_carries_each_load_against_the_cap() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let busy = app.rm(&team, "corporate", "rm");
    let idle = app.rm(&team, "corporate", "rm");
    let key = app.customer_of(&team, "corporate", true, &[]);
    let plain = app.customer_of(&team, "corporate", false, &[]);
    assert_eq!(
        app.assign(&app.admin_token, &key, &busy, "primary").status,
        201
    );
    assert_eq!(
        app.assign(&app.admin_token, &plain, &busy, "primary")
            .status,
        201
    );

    let r = app.get(
        &format!("/customers?ids={key},{plain},no-such-id"),
        &app.admin_token,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut got: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![key.as_str(), plain.as_str()];
    want.sort();
    assert_eq!(got, want, "unknown ids are absent");

    let r = app.get(&format!("/rms?ids={busy},{idle}"), &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    let load = |id: &str| {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["capacity"]
            .clone()
    };
    assert_eq!(
        load(&busy)["held"],
        1,
        "only the key account counts toward A-3"
    );
    assert_eq!(load(&idle)["held"], 0);
    assert!(load(&busy)["cap"].as_u64().unwrap() > 0);
    let one = app
        .get(&format!("/rms/{busy}/portfolio"), &app.admin_token)
        .body;
    assert_eq!(
        one["capacity"],
        load(&busy),
        "the list and the portfolio agree"
    );

    // One unit's RMs, for a picker of a unit.
    let other_team = app.unit("Corporate Team 2", "team", &root);
    let elsewhere = app.rm(&other_team, "corporate", "rm");
    let r = app.get(&format!("/rms?org_unit_id={other_team}"), &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![elsewhere.as_str()]);

    // The limits of a bulk read are stated and applied.
    let many: Vec<String> = (0..101).map(|i| format!("id{i}")).collect();
    let r = app.get(
        &format!("/customers?ids={}", many.join(",")),
        &app.admin_token,
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "ids");
    let r = app.get(
        "/performance/scores?month=2026-11&to=2026-01",
        &app.admin_token,
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "to");
    // The range itself is read in `exits::x1_an_rms_score_trend_is_one_read_over_a_range_of_months_oldest_first`.
}
