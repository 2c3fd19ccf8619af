//! Issue 23: `rmdesk backup` taken while the server writes, `rmdesk restore` into an empty place.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use diesel::RunQueryDsl;
use rmdesk::db::{Backend, DbTarget};
use serde_json::json;

use crate::helpers::*;

const NATIONAL_ID: &str = "91330100MA2B3C4D5E";

/// Runs the rmdesk binary on `database`, straight to the PostgreSQL server when the suite runs
/// behind a transaction pooler (backups refuse the pooler).
fn rmdesk(database: &DbTarget, data_dir: &Path, args: &[&str]) -> (bool, String) {
    let url = match database.backend {
        Backend::Sqlite => format!("sqlite://{}", database.location),
        Backend::Postgres => direct_url(database),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rmdesk"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RMDESK_DATA_DIR", data_dir)
        .env("RMDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RMDESK_SECURITY_ADMIN_PASSWORD", SECURITY_ADMIN_PASSWORD)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let rows: Vec<Count> = diesel::sql_query(sql).load(&mut app.db()).unwrap();
    rows[0].n
}

#[test]
fn m2_m3_a_backup_taken_during_writes_restores_a_consistent_bank_whose_chain_verifies_and_ids_are_found(
) {
    let app = spawn_app();
    let root = app.root_id();
    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": "Hangzhou Steel", "kind": "corporate", "org_unit_id": root,
                "national_id": NATIONAL_ID}),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // Customers are written one after another while the backup is taken.
    let stop = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    let backup = tempdir().join("bank.rmdesk-backup");
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let r = app.post(
                    "/customers",
                    &app.admin_token,
                    &json!({"name": format!("Customer {}", written.load(Ordering::Relaxed)),
                            "kind": "corporate", "org_unit_id": root}),
                );
                assert_eq!(r.status, 201, "{}", r.body);
                written.fetch_add(1, Ordering::Relaxed);
            }
        });
        while written.load(Ordering::Relaxed) < 20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let (ok, out) = rmdesk(
            &app.database,
            &app.data_dir,
            &["backup", backup.to_str().unwrap()],
        );
        assert!(ok, "{out}");
        let after = written.load(Ordering::Relaxed);
        while written.load(Ordering::Relaxed) < after + 20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let total = count(&app, "SELECT count(*) AS n FROM customers");

    let data_dir = tempdir();
    let (database, cleanup) = empty_database(&data_dir);
    let (ok, out) = rmdesk(&database, &data_dir, &["restore", backup.to_str().unwrap()]);
    assert!(ok, "{out}");
    let restored = serve_on(database.clone(), data_dir.clone(), cleanup);

    // One state of the bank: some of the writes, each customer with its audit event.
    let customers = count(&restored, "SELECT count(*) AS n FROM customers");
    assert!(
        customers > 20 && customers < total,
        "{customers} of {total}"
    );
    assert_eq!(
        count(
            &restored,
            "SELECT count(*) AS n FROM audit_events WHERE action = 'customer.create'"
        ),
        customers
    );
    let r = restored.get("/audit/verify", &restored.admin_token);
    assert_eq!(r.body["status"], "ok", "{}", r.body);
    // The search key came with the backup (M-3): the national ID still finds its customer.
    let r = restored.get(
        &format!("/customers?national_id={NATIONAL_ID}"),
        &restored.admin_token,
    );
    assert_eq!(r.body["items"][0]["name"], "Hangzhou Steel", "{}", r.body);

    // A restore never writes over a bank.
    let (ok, out) = rmdesk(&database, &data_dir, &["restore", backup.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("empty"), "{out}");
}
