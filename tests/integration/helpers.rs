//! Starts the real server on port 0 against a fresh database per test: a new SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use diesel::{Connection, RunQueryDsl};
use rmdesk::config::Config;
use rmdesk::db::{Backend, DbTarget};
use rmdesk::startup::Application;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const SECURITY_ADMIN_PASSWORD: &str = "security-admin-password-for-tests";
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";
pub const ALLOWED_ORIGIN: &str = "https://frontend.example";
/// The instant every test server starts at (`RMDESK_NOW`): tests never depend on the day they run.
/// Noon in Shanghai on a month end, so that settlement-day and month-end dates of the same month
/// are in the past or today.
pub const TEST_NOW: &str = "2026-11-30T04:00:00Z";

/// The test servers' business clock as set at start (it advances from there).
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(TEST_NOW)
        .expect("TEST_NOW is RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// Today on the test servers' clock.
pub fn test_today() -> chrono::NaiveDate {
    test_now().date_naive()
}

pub struct TestApp {
    pub base: String,
    pub admin_token: String,
    pub data_dir: PathBuf,
    pub database: DbTarget,
    server: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    pg_cleanup: Option<(String, String)>,
}

pub struct SecondServer {
    pub base: String,
    server: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(
            self.body["request_id"].is_string(),
            "problem responses carry the request id"
        );
    }

    #[track_caller]
    pub fn assert_rule(&self, rule: &str, code: &str) {
        self.assert_problem(422, code);
        assert_eq!(self.body["rule"], rule, "body: {}", self.body);
    }
}

/// A server with a branch and a team under it, for the assignment tests.
pub struct Bank {
    pub app: TestApp,
    pub branch: String,
    pub team: String,
}

pub fn bank() -> Bank {
    let app = spawn_app();
    let root = app.root_id();
    let branch = app.unit("Pudong Branch", "branch", &root);
    let team = app.unit("Corporate Team 1", "team", &branch);
    Bank { app, branch, team }
}

pub fn spawn_app() -> TestApp {
    spawn_app_with_dashboard(&[])
}

type Started = (u16, actix_web::dev::ServerHandle, JoinHandle<()>);

/// Starts a server on `database` whose business clock starts at `now`, with the scheduler looking
/// at the calendar every `job_tick_seconds` (none when `None`).
fn start(
    database: &DbTarget,
    data_dir: &std::path::Path,
    now: chrono::DateTime<chrono::Utc>,
    job_tick_seconds: Option<u64>,
) -> Started {
    let config = Config {
        database: database.clone(),
        read_replica: None,
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        security_admin_password: Some(SECURITY_ADMIN_PASSWORD.into()),
        hsts: false,
        checkpoint_seconds: 300,
        jwt_secret: None,
        search_key: None,
        metrics_token: Some(METRICS_TOKEN.into()),
        token_ttl_seconds: 3600,
        cors_origins: vec![ALLOWED_ORIGIN.into()],
        db_pool_size: 4,
        workers: 1,
        frontend_dir: data_dir.join("dashboard"),
        clock: rmdesk::clock::Clock::starting_at(now),
        job_tick_seconds,
        webhook_guard: rmdesk::webhooks::Guard::parse(Some("127.0.0.1")).expect("allowed hosts"),
    };
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            match Application::build(&config) {
                Ok(app) => {
                    let port = app.port;
                    let server = app.server();
                    let _ = tx.send(Ok((port, server.handle())));
                    let _ = server.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    let (port, server) = rx.recv().expect("server thread").expect("server starts");
    (port, server, thread)
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 instant")
        .with_timezone(&chrono::Utc)
}

/// A server whose dashboard build holds these files (path under the build, content).
pub fn spawn_app_with_dashboard(files: &[(&str, &str)]) -> TestApp {
    let data_dir =
        std::env::temp_dir().join(format!("rmdesk-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    for (path, content) in files {
        let path = data_dir.join("dashboard").join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dashboard dir");
        std::fs::write(path, content).expect("dashboard file");
    }
    let (database, pg_cleanup) = empty_database(&data_dir);
    serve_on(database, data_dir, pg_cleanup)
}

/// A database with nothing in it for a test: a new PostgreSQL database when TEST_DATABASE_URL
/// names a server (dropped with the app), else a SQLite file in `data_dir` not made yet.
pub fn empty_database(data_dir: &std::path::Path) -> (DbTarget, Option<(String, String)>) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("rmdesk_t_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                diesel::PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL reachable");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let base = admin_url.split('?').next().unwrap_or(&admin_url);
            let url = format!(
                "{}/{name}",
                &base[..base.rfind('/').expect("database url has a path")]
            );
            (
                DbTarget {
                    backend: Backend::Postgres,
                    location: url,
                    // TEST_DATABASE_POOLER=transaction: TEST_DATABASE_URL is a PgBouncer in
                    // transaction mode (CI runs the suite through one once).
                    behind_pooler: std::env::var("TEST_DATABASE_POOLER")
                        .is_ok_and(|v| v == "transaction"),
                },
                Some((admin_url, name)),
            )
        }
        None => (
            DbTarget {
                backend: Backend::Sqlite,
                location: data_dir.join("rmdesk.sqlite3").display().to_string(),
                behind_pooler: false,
            },
            None,
        ),
    }
}

/// The URL of a test database on the PostgreSQL server itself: behind the pooler, the same
/// database through TEST_DATABASE_DIRECT_URL's server.
pub fn direct_url(database: &DbTarget) -> String {
    match std::env::var("TEST_DATABASE_DIRECT_URL") {
        Ok(direct) if database.behind_pooler => {
            let name = &database.location[database.location.rfind('/').expect("a path") + 1..];
            let base = direct.split('?').next().unwrap_or(&direct);
            format!("{}/{name}", &base[..base.rfind('/').expect("a path")])
        }
        _ => database.location.clone(),
    }
}

/// A server on `database` (made by the server when empty, or filled elsewhere: a restored backup),
/// signed in as the admin.
pub fn serve_on(
    database: DbTarget,
    data_dir: PathBuf,
    pg_cleanup: Option<(String, String)>,
) -> TestApp {
    let (port, server, thread) = start(&database, &data_dir, test_now(), None);
    let mut app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        admin_token: String::new(),
        data_dir,
        database,
        server,
        thread: Some(thread),
        pg_cleanup,
    };
    app.admin_token = app.login("admin", ADMIN_PASSWORD);
    app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the server thread ends when its workers have stopped.
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((admin_url, name)) = self.pg_cleanup.take() {
            if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api")
            && !path.starts_with("/health")
            && !path.starts_with("/metrics")
            && !path.starts_with("/problems")
            && !path.starts_with("/ready")
            && !path.starts_with("/docs")
            && path != "/"
        {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let mut req =
            ureq::request(method, &self.url(path)).timeout(std::time::Duration::from_secs(30));
        if let Some(token) = token {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        for (name, value) in headers {
            req = req.set(name, value);
        }
        let own_type = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        let result = match body {
            Some(body) if own_type => req.send_string(body),
            Some(body) => req
                .set("Content-Type", "application/json")
                .send_string(body),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("content-type").unwrap_or("").to_string();
        let headers = response
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = response.header(&n).unwrap_or("").to_string();
                (n, v)
            })
            .collect();
        let text = response.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            content_type,
            headers,
        }
    }

    /// Sends `body` as it is (a file: CSV in any encoding, XLSX) with its media type.
    pub fn post_bytes(&self, path: &str, token: &str, content_type: &str, body: &[u8]) -> Resp {
        let result = ureq::post(&self.url(path))
            .timeout(std::time::Duration::from_secs(60))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type)
            .send_bytes(body);
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("content-type").unwrap_or("").to_string();
        let text = response.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            content_type,
            headers: Default::default(),
        }
    }

    /// Downloads raw bytes (an XLSX or CSV file) and the response's content type.
    pub fn get_bytes(&self, path: &str, token: &str) -> (u16, String, Vec<u8>) {
        let result = ureq::get(&self.url(path))
            .timeout(std::time::Duration::from_secs(60))
            .set("Authorization", &format!("Bearer {token}"))
            .call();
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("content-type").unwrap_or("").to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).expect("body");
        (status, content_type, bytes)
    }

    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.request("GET", path, Some(token), &[], None)
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.request("POST", path, Some(token), &[], Some(&body.to_string()))
    }

    pub fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.request("PATCH", path, Some(token), &[], Some(&body.to_string()))
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let r = self.request(
            "POST",
            "/auth/token",
            None,
            &[],
            Some(&json!({"username": username, "password": password}).to_string()),
        );
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        r.body["access_token"].as_str().expect("token").to_string()
    }

    /// The head office id.
    pub fn root_id(&self) -> String {
        let r = self.get("/org-units?kind=head_office", &self.admin_token);
        r.body["items"][0]["id"]
            .as_str()
            .expect("head office")
            .to_string()
    }

    /// Creates an org unit as admin and returns its id.
    pub fn unit(&self, name: &str, kind: &str, parent_id: &str) -> String {
        let r = self.post(
            "/org-units",
            &self.admin_token,
            &json!({"name": name, "kind": kind, "parent_id": parent_id}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    /// Creates a user and returns a token for it: `security.admin` grants, `admin` approves the
    /// privileged roles (M-4), so that `admin` may make requests these users decide.
    pub fn user_token(&self, username: &str, roles: &[&str], org_unit_id: &str) -> String {
        let password = "user-password-123";
        let granter = self.login("security.admin", SECURITY_ADMIN_PASSWORD);
        let r = self.post(
            "/users",
            &granter,
            &json!({"username": username, "password": password, "display_name": username, "roles": roles, "org_unit_id": org_unit_id}),
        );
        match r.status {
            201 => {}
            202 => {
                let approval = r.body["approval_id"].as_str().expect("approval id");
                let r = self.post(
                    &format!("/approvals/{approval}/approve"),
                    &self.admin_token,
                    &json!({"note": "granted"}),
                );
                assert_eq!(r.status, 200, "{}", r.body);
            }
            _ => panic!("user {username}: {} {}", r.status, r.body),
        }
        self.login(username, password)
    }

    pub fn customer(&self, token: &str, name: &str, org_unit_id: &str) -> Resp {
        self.post("/customers", token, &json!({"name": name, "kind": "corporate", "org_unit_id": org_unit_id, "is_key_account": true, "is_vip": false, "categories": ["core"]}))
    }

    pub fn rm_body(employee_no: &str, national_id: &str, org_unit_id: &str) -> Value {
        json!({"employee_no": employee_no, "national_id": national_id, "name": "Li Na", "line": "corporate",
               "grade": "rm", "org_unit_id": org_unit_id, "qualified_on": today_minus_days(30)})
    }

    /// Stops the server and starts it again on the same database and data directory, its clock
    /// at `now` (RFC 3339), with the scheduler on when `job_tick_seconds` is given.
    pub fn restart(&mut self, now: &str, job_tick_seconds: Option<u64>) {
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let (port, server, thread) = start(
            &self.database,
            &self.data_dir,
            instant(now),
            job_tick_seconds,
        );
        self.base = format!("http://127.0.0.1:{port}");
        self.server = server;
        self.thread = Some(thread);
        self.admin_token = self.login("admin", ADMIN_PASSWORD);
    }

    /// A second server on the same database (its own data directory would hold another signing
    /// key, so it shares this one), stopped when dropped.
    pub fn second_server(&self, now: &str, job_tick_seconds: Option<u64>) -> SecondServer {
        let (port, server, thread) = start(
            &self.database,
            &self.data_dir,
            instant(now),
            job_tick_seconds,
        );
        SecondServer {
            base: format!("http://127.0.0.1:{port}"),
            server,
            thread: Some(thread),
        }
    }

    /// A direct connection to the test database (for tamper tests).
    pub fn db(&self) -> rmdesk::db::DbConn {
        rmdesk::db::establish(&self.database).expect("connect")
    }
}

pub fn today_minus_days(days: u64) -> String {
    let day = test_today() - chrono::Days::new(days);
    day.format("%Y-%m-%d").to_string()
}

impl TestApp {
    /// Appoints an RM of this line and grade in `unit` (as admin) and returns its id.
    pub fn rm(&self, unit: &str, line: &str, grade: &str) -> String {
        let n = uuid::Uuid::new_v4().as_u128();
        let national_id = format!("{:017}", n % 100_000_000_000_000_000) + "1";
        let mut body = Self::rm_body(&format!("E{}", n % 1_000_000_000), &national_id, unit);
        body["line"] = json!(line);
        body["grade"] = json!(grade);
        let r = self.post("/rms", &self.admin_token, &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    /// proposes an exit case of this kind for the RM (one committee member) and has a second
    /// committee member approve it; returns the decision's answer.
    pub fn exit_by_case(&self, rm_id: &str, kind: &str) -> Resp {
        let root = self.root_id();
        let proposer = self.user_token(
            &format!("c1.{}", &rm_id[rm_id.len() - 8..]),
            &["committee"],
            &root,
        );
        let decider = self.user_token(
            &format!("c2.{}", &rm_id[rm_id.len() - 8..]),
            &["committee"],
            &root,
        );
        let r = self.post(
            "/exit-cases",
            &proposer,
            &json!({"rm_id": rm_id, "kind": kind, "reason": "test", "evidence": "file 1"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let case = r.body["id"].as_str().expect("case id").to_string();
        self.post(
            &format!("/exit-cases/{case}/decide"),
            &decider,
            &json!({"decision": "approve", "note": "agreed"}),
        )
    }

    /// Creates a customer (as admin) and returns its id.
    pub fn customer_of(
        &self,
        unit: &str,
        kind: &str,
        key_account: bool,
        categories: &[&str],
    ) -> String {
        let r = self.post(
            "/customers",
            &self.admin_token,
            &json!({"name": format!("Customer {}", uuid::Uuid::new_v4().simple()), "kind": kind, "org_unit_id": unit,
                    "is_key_account": key_account, "is_vip": kind == "retail" && key_account, "categories": categories}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    pub fn assign(&self, token: &str, customer: &str, rm: &str, role: &str) -> Resp {
        self.post(
            "/assignments",
            token,
            &json!({"customer_id": customer, "rm_id": rm, "role": role, "reason": "new"}),
        )
    }
}

impl TestApp {
    /// A user with role `rm` linked to the RM record, and a token for it.
    pub fn rm_login(&self, username: &str, rm_id: &str, unit: &str) -> String {
        let password = "user-password-123";
        let r = self.post(
            "/users",
            &self.admin_token,
            &json!({"username": username, "password": password, "display_name": username, "roles": ["rm"], "org_unit_id": unit, "rm_id": rm_id}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        self.login(username, password)
    }
}

/// A new directory under the system's temporary one.
pub fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rmdesk-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
