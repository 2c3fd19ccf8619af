//! Issue 23: on PostgreSQL, audit events and loan snapshots are partitioned by month, the months
//! ahead made before their rows arrive, and the earlier issues' reads still use their indexes.

use chrono::Datelike;
use diesel::RunQueryDsl;
use rmdesk::db::Backend;
use serde_json::json;

use crate::helpers::*;

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let rows: Vec<Text> = diesel::sql_query(sql).load(&mut app.db()).unwrap();
    rows.into_iter().map(|r| r.t).collect()
}

#[test]
fn m2_audit_events_and_loan_snapshots_live_in_monthly_partitions_made_ahead() {
    let Bank { app, team, .. } = bank();
    if app.database.backend != Backend::Postgres {
        // SQLite has no partitions; the rest of the suite covers both tables there.
        return;
    }
    // Every date here is derived from the test servers' business clock (test_today()).
    let today = test_today();
    let month_of = |d: chrono::NaiveDate| d.format("%Y_%m").to_string();
    let this_month = month_of(today);
    let ahead = |n: u32| month_of(today.checked_add_months(chrono::Months::new(n)).unwrap());
    // A month five back, which no start made: its last day is the snapshot's as-of date.
    let past_first = today
        .with_day(1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(5))
        .unwrap();
    let as_of = past_first
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        - chrono::Days::new(1);
    let originated = past_first
        .checked_sub_months(chrono::Months::new(3))
        .unwrap();
    let past = month_of(past_first);
    // Made at start: this business month and the next two, for both tables.
    let made = texts(
        &app,
        "SELECT c.relname AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent \
         WHERE p.relname IN ('audit_events', 'loan_snapshots') ORDER BY 1",
    );
    for month in [this_month.clone(), ahead(1), ahead(2)] {
        for table in ["audit_events", "loan_snapshots"] {
            let name = format!("{table}_{month}");
            assert!(made.contains(&name), "{name} in {made:?}");
        }
    }

    // This month's events go to this month's partition, not the default one.
    let rm = app.rm(&team, "corporate", "rm");
    let customer = app.customer_of(&team, "corporate", false, &[]);
    let r = app.assign(&app.admin_token, &customer, &rm, "primary");
    assert_eq!(r.status, 201, "{}", r.body);
    let homes = texts(
        &app,
        &format!(
            "SELECT DISTINCT tableoid::regclass::text AS t FROM audit_events \
             WHERE entity_id = '{customer}'"
        ),
    );
    assert_eq!(homes, vec![format!("audit_events_{this_month}")]);

    // A snapshot of a month without a partition is kept (default partition); making that month's
    // partition later moves it there, and the loan's kept state is unchanged.
    let loan = json!({"loan_no": "P-1", "customer_id": customer, "rm_id": rm,
                      "balance": "500000.00", "originated_on": originated.to_string(),
                      "classification": "normal", "interest_due": "10.00",
                      "interest_paid": "10.00", "as_of": as_of.to_string()});
    let r = app.post("/loans", &app.admin_token, &loan);
    assert_eq!(r.status, 201, "{}", r.body);
    let home = "SELECT tableoid::regclass::text AS t FROM loan_snapshots WHERE loan_no = 'P-1'";
    assert_eq!(
        texts(&app, home),
        vec!["loan_snapshots_default".to_string()]
    );
    let made = texts(
        &app,
        &format!("SELECT rmdesk_month_partition('loan_snapshots', '{as_of}')::text AS t"),
    );
    assert_eq!(made, vec!["true".to_string()]);
    assert_eq!(texts(&app, home), vec![format!("loan_snapshots_{past}")]);
    let again = texts(
        &app,
        &format!("SELECT rmdesk_month_partition('loan_snapshots', '{past_first}')::text AS t"),
    );
    assert_eq!(again, vec!["false".to_string()]);
    let borrowers = texts(
        &app,
        &format!("SELECT customer_id AS t FROM borrowers WHERE customer_id = '{customer}'"),
    );
    assert_eq!(borrowers.len(), 1, "the customer still borrows");

    // The reads of the earlier issues can use their indexes (on tables this small the planner
    // would rather scan, so scans are priced out), and a key lookup reads one partition.
    let mut conn = app.db();
    diesel::sql_query("SET enable_seqscan = off")
        .execute(&mut conn)
        .unwrap();
    let mut plan = |sql: &str| {
        let lines: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN {sql}"))
            .load(&mut conn)
            .unwrap();
        lines
            .into_iter()
            .map(|l| l.line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let chain = plan("SELECT seq FROM audit_events WHERE seq > 3 ORDER BY seq LIMIT 100");
    assert!(chain.contains("Index"), "{chain}");
    assert!(!chain.contains("Seq Scan"), "{chain}");
    let scoped = plan(
        "SELECT seq FROM audit_events WHERE org_path >= '/a/' AND org_path < '/a0' \
         ORDER BY org_path, seq LIMIT 50",
    );
    assert!(
        scoped.contains("Index") && !scoped.contains("Seq Scan"),
        "{scoped}"
    );
    let one = plan(&format!(
        "SELECT * FROM loan_snapshots WHERE loan_no = 'P-1' AND as_of = '{as_of}'"
    ));
    assert!(one.contains(&format!("loan_snapshots_{past}")), "{one}");
    assert!(
        !one.contains(&format!("loan_snapshots_{this_month}")),
        "pruned: {one}"
    );
    let by_customer = plan(&format!(
        "SELECT * FROM loan_snapshots WHERE customer_id = '{customer}'"
    ));
    assert!(by_customer.contains("Index"), "{by_customer}");
    assert!(!by_customer.contains("Seq Scan"), "{by_customer}");

    let r = app.get("/audit/verify", &app.admin_token);
    assert_eq!(r.body["status"], "ok", "{}", r.body);
}
