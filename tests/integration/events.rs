//! Events out (issue 21): webhooks delivered to a real HTTP receiver on a local port, signed,
//! retried, scoped (O-1), in order across a receiver outage and a server kill; the live stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{bank, test_now, TestApp};

const SECRET: &str = "integration-test-secret-0001";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn event(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on a local port: answers with the scripted statuses in turn (then 200),
/// keeps every request, and can go down and come back on the same port.
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<u16>>>,
    up: Arc<Mutex<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut r = Receiver {
            port,
            got: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().rev().copied().collect())),
            up: Arc::new(Mutex::new(true)),
            thread: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let (got, script, up) = (self.got.clone(), self.script.clone(), self.up.clone());
        self.thread = Some(std::thread::spawn(move || loop {
            if !*up.lock().unwrap() {
                return; // the listener closes with the thread
            }
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    handle(stream, &got, &script);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }));
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn down(&mut self) {
        *self.up.lock().unwrap() = false;
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    fn up_again(&mut self) {
        *self.up.lock().unwrap() = true;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.serve(listener);
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds of what was received (at most `seconds`).
    fn wait_for(
        &self,
        seconds: u64,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(seconds),
                "waited {seconds} s for {what}; got {:?}",
                got.iter()
                    .map(|r| (r.answered, r.event()["type"].clone()))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

fn handle(mut stream: TcpStream, got: &Mutex<Vec<Received>>, script: &Mutex<Vec<u16>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = script.lock().unwrap().pop().unwrap_or(200);
    got.lock().unwrap().push(Received {
        headers,
        body,
        answered: status,
    });
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
}

fn subscribe(app: &TestApp, body: Value) -> Value {
    let r = app.post("/webhooks", &app.admin_token, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Raises an `anomaly` flag on a new customer of `unit` as a risk officer; returns the customer.
pub(crate) fn raise_flag(app: &TestApp, risk: &str, unit: &str) -> String {
    let customer = app.customer_of(unit, "corporate", false, &[]);
    let r = app.post(
        "/flags",
        risk,
        &json!({"customer_id": customer, "kind": "anomaly", "reason": "unusual cash movements"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    customer
}

#[test]
fn webhook_a_raised_flag_arrives_signed_and_a_receiver_failing_twice_gets_it_on_the_third_attempt_once(
) {
    let b = bank();
    let app = &b.app;
    let root = app.root_id();
    let risk = app.user_token("risk.hooks", &["risk_officer"], &root);
    let receiver = Receiver::start(&[500, 500]);
    let hook = subscribe(
        app,
        json!({"url": receiver.url(), "event_types": ["flag.raised"], "secret": SECRET,
               "description": "the CRM"}),
    );
    assert_eq!(hook["secret"], SECRET, "shown once, when created");
    let id = hook["id"].as_str().unwrap().to_string();
    assert!(app.get(&format!("/webhooks/{id}"), &app.admin_token).body["secret"].is_null());

    let customer = raise_flag(app, &risk, &b.team);
    let got = receiver.wait_for(30, "three attempts", |got| got.len() >= 3);
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    let event_id = got[0].header("X-Rmdesk-Event-Id").unwrap().to_string();
    for r in &got {
        assert_eq!(
            r.header("X-Rmdesk-Event-Id"),
            Some(event_id.as_str()),
            "the same event"
        );
        let signature = r.header("X-Rmdesk-Signature").unwrap();
        assert!(signature.starts_with("t="), "{signature}");
        assert!(rmdesk::webhooks::signature::verify(
            SECRET, signature, &r.body
        ));
        assert!(!rmdesk::webhooks::signature::verify(
            "another-secret-000000",
            signature,
            &r.body
        ));
    }
    let event = got[2].event();
    assert_eq!(event["id"], event_id.as_str());
    assert_eq!(event["type"], "flag.raised");
    assert_eq!(event["data"]["customer_id"], customer.as_str());
    assert_eq!(event["data"]["kind"], "anomaly");
    assert!(event["occurred_at"].as_str().unwrap().ends_with('Z'));

    // Delivered once: nothing more comes for it.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(receiver.received().len(), 3);

    let log = app.get(&format!("/webhooks/{id}/deliveries"), &app.admin_token);
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", log.body);
    assert_eq!(items[0]["attempt"], 3, "newest first");
    assert_eq!(items[0]["succeeded"], true);
    assert_eq!(items[2]["status_code"], 500);
    assert_eq!(items[2]["error"], "the receiver answered 500");

    // Redelivered at an admin's request: once more, marked so.
    let delivery = items[0]["id"].as_str().unwrap();
    let r = app.post(
        &format!("/webhooks/{id}/deliveries/{delivery}/redeliver"),
        &app.admin_token,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["redelivery"], true);
    assert_eq!(r.body["attempt"], 4);
    assert_eq!(receiver.received().len(), 4);
    assert_eq!(
        receiver.received()[3].header("X-Rmdesk-Event-Id"),
        Some(event_id.as_str())
    );
}

#[test]
fn o1_a_subscription_limited_to_one_branch_receives_nothing_about_another() {
    let b = bank();
    let app = &b.app;
    let root = app.root_id();
    let other = app.unit("Minhang Branch", "branch", &root);
    let risk = app.user_token("risk.scope", &["risk_officer"], &root);
    let receiver = Receiver::start(&[]);
    subscribe(
        app,
        json!({"url": receiver.url(), "org_unit_id": b.branch, "secret": SECRET}),
    );

    let elsewhere = raise_flag(app, &risk, &other);
    let here = raise_flag(app, &risk, &b.team);
    receiver.wait_for(20, "the branch's flag", |got| {
        got.iter().any(|r| r.event()["type"] == "flag.raised")
    });
    std::thread::sleep(Duration::from_secs(1));
    let customers: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| r.event()["data"]["customer_id"].clone())
        .collect();
    assert!(customers.contains(&json!(here)), "{customers:?}");
    assert!(!customers.contains(&json!(elsewhere)), "{customers:?}");
}

#[test]
fn webhook_urls_that_reach_into_the_bank_are_refused_and_only_admins_subscribe() {
    let b = bank();
    let app = &b.app;
    let root = app.root_id();
    for url in [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.10:8080/",
        "http://[::1]/",
        "http://localhost:9000/",
        "ftp://example.com/",
        "https://user:pw@example.com/",
    ] {
        let r = app.post("/webhooks", &app.admin_token, &json!({"url": url}));
        assert_eq!(r.status, 422, "{url}: {}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "url", "{url}: {}", r.body);
    }
    let r = app.post(
        "/webhooks",
        &app.admin_token,
        &json!({"url": "https://hooks.example.com/rmdesk", "event_types": ["no.such"]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let risk = app.user_token("risk.nohooks", &["risk_officer"], &root);
    let r = app.post(
        "/webhooks",
        &risk,
        &json!({"url": "https://hooks.example.com/rmdesk"}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // A public address is accepted; an admin can disable and delete it.
    let hook = subscribe(app, json!({"url": "https://hooks.example.com/rmdesk"}));
    let id = hook["id"].as_str().unwrap();
    assert_eq!(hook["event_types"], json!([]));
    let r = app.patch(
        &format!("/webhooks/{id}"),
        &app.admin_token,
        &json!({"status": "disabled", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "disabled");
    let r = app.request(
        "DELETE",
        &format!("/webhooks/{id}"),
        Some(&app.admin_token),
        &[],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        app.get(&format!("/webhooks/{id}"), &app.admin_token).status,
        404
    );
}

/// Makes webhook retries quick (P-1: a policy change a second person approves).
fn quick_retries(app: &TestApp) {
    let root = app.root_id();
    let mut policy = app.get("/policy", &app.admin_token).body["policy"].clone();
    policy["webhooks"] = json!({"max_failures": 100, "retry_base_seconds": 1, "retry_max_seconds": 2, "timeout_seconds": 5});
    let r = app.request(
        "PUT",
        "/policy",
        Some(&app.admin_token),
        &[],
        Some(&policy.to_string()),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let checker = app.user_token("risk.policy", &["risk_officer"], &root);
    let approval = r.body["approval_id"].as_str().unwrap();
    let r = app.post(
        &format!("/approvals/{approval}/approve"),
        &checker,
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn webhook_receiver_down_for_a_minute_and_the_server_killed_between_every_event_arrives_after_restart_in_order(
) {
    let mut b = bank();
    quick_retries(&b.app);
    let root = b.app.root_id();
    let risk = b.app.user_token("risk.outage", &["risk_officer"], &root);
    let mut receiver = Receiver::start(&[]);
    subscribe(
        &b.app,
        json!({"url": receiver.url(), "event_types": ["flag.raised", "assignment.started"], "secret": SECRET}),
    );

    let mut customers = vec![raise_flag(&b.app, &risk, &b.team)];
    receiver.wait_for(20, "the first event", |got| got.len() == 1);

    receiver.down();
    let down_at = Instant::now();
    customers.push(raise_flag(&b.app, &risk, &b.team));
    let rm = b.app.rm(&b.team, "corporate", "rm");
    assert_eq!(
        b.app
            .assign(&b.app.admin_token, &customers[0], &rm, "primary")
            .status,
        201
    );
    customers.push(raise_flag(&b.app, &risk, &b.team));
    std::thread::sleep(Duration::from_secs(20));

    // The server dies while the receiver is down, with events still to deliver.
    let later = (test_now() + chrono::Duration::minutes(2)).to_rfc3339();
    b.app.restart(&later, None);
    let risk = b.app.user_token("risk.after", &["risk_officer"], &root);
    customers.push(raise_flag(&b.app, &risk, &b.team));

    std::thread::sleep(Duration::from_secs(60).saturating_sub(down_at.elapsed()));
    receiver.up_again();
    let got = receiver.wait_for(60, "every event", |got| {
        got.iter().filter(|r| r.answered == 200).count() >= 5
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.received().len(), got.len(), "nothing more");
    let events: Vec<Value> = got.iter().map(Received::event).collect();
    let sequences: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    let mut ordered = sequences.clone();
    ordered.sort_unstable();
    ordered.dedup();
    assert_eq!(sequences, ordered, "in order, none twice: {events:?}");
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "flag.raised",
            "flag.raised",
            "assignment.started",
            "flag.raised",
            "flag.raised"
        ]
    );
    assert_eq!(events[2]["data"]["rm_id"], rm.as_str());
    let flagged: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "flag.raised")
        .map(|e| e["data"]["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        flagged,
        customers.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn webhook_two_servers_on_one_database_deliver_each_event_once_per_subscription() {
    let b = bank();
    let app = &b.app;
    // Several servers share a PostgreSQL; SQLite is one server with one writer (two processes
    // writing one SQLite file refuse each other's transactions instead of queueing them).
    if app.database.backend != rmdesk::db::Backend::Postgres {
        eprintln!("webhook_two_servers...: PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    let _second = app.second_server(&test_now().to_rfc3339(), None);
    let root = app.root_id();
    let risk = app.user_token("risk.two", &["risk_officer"], &root);
    let receiver = Receiver::start(&[]);
    subscribe(
        app,
        json!({"url": receiver.url(), "event_types": ["flag.raised"], "secret": SECRET}),
    );
    for _ in 0..6 {
        raise_flag(app, &risk, &b.team);
    }
    receiver.wait_for(30, "six events", |got| got.len() >= 6);
    std::thread::sleep(Duration::from_secs(2));
    let got = receiver.received();
    let mut ids: Vec<&str> = got
        .iter()
        .map(|r| r.header("X-Rmdesk-Event-Id").unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "each once");
    ids.dedup();
    assert_eq!(ids.len(), 6, "six different events");
    let sequences: Vec<i64> = got
        .iter()
        .map(|r| r.event()["sequence"].as_i64().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "in order: {sequences:?}"
    );
}

/// One server-sent event: its id, type and JSON.
struct Frame {
    id: i64,
    event: String,
    data: Value,
}

/// Opens the live stream at `base` and returns a reader of its frames.
fn open_stream(base: &str, token: &str, last_event_id: Option<i64>) -> impl Iterator<Item = Frame> {
    let agent = ureq::AgentBuilder::new()
        .timeout_read(Duration::from_secs(20))
        .build();
    let mut request = agent
        .get(&format!("{base}/api/v1/events/stream"))
        .set("Authorization", &format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        request = request.set("Last-Event-ID", &id.to_string());
    }
    let response = request.call().unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.content_type().starts_with("text/event-stream"));
    let mut lines = BufReader::new(response.into_reader()).lines();
    std::iter::from_fn(move || {
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        loop {
            let line = lines.next()?.ok()?;
            if line.is_empty() {
                if let Some(id) = id.take() {
                    return Some(Frame {
                        id,
                        event: std::mem::take(&mut event),
                        data: serde_json::from_str(&data).unwrap(),
                    });
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("id: ") {
                id = v.parse().ok();
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_string();
            }
        }
    })
}

#[test]
fn sse_any_server_streams_what_the_user_may_see_and_resumes_after_last_event_id() {
    let b = bank();
    let app = &b.app;
    let root = app.root_id();
    let other = app.unit("Xuhui Branch", "branch", &root);
    let risk = app.user_token("risk.stream", &["risk_officer"], &root);
    let viewer = app.user_token("branch.viewer", &["manager"], &b.branch);
    // The listener is on a second server; the change is made through the first.
    let second = app.second_server(&test_now().to_rfc3339(), None);
    let mut frames = open_stream(&second.base, &viewer, None);
    let elsewhere = raise_flag(app, &risk, &other);
    let here = raise_flag(app, &risk, &b.team);
    let flag = frames
        .find(|f| f.event == "flag.raised")
        .expect("a flag.raised event");
    assert_eq!(
        flag.data["data"]["customer_id"],
        here.as_str(),
        "not {elsewhere}"
    );
    assert_eq!(flag.data["sequence"], flag.id);
    assert_eq!(flag.data["type"], "flag.raised");

    // Resumed after the event before it: it comes again, first of its kind.
    let mut again = open_stream(&app.base, &viewer, Some(flag.id - 1));
    let first = again.next().expect("the replayed event");
    assert_eq!(first.id, flag.id);
    assert_eq!(first.data["data"]["customer_id"], here.as_str());

    let r = app.request(
        "GET",
        "/events/stream",
        Some(&viewer),
        &[("Last-Event-ID", "yesterday")],
        None,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.request("GET", "/events/stream", None, &[], None);
    assert_eq!(r.status, 401);
}

#[test]
fn openapi_documents_every_event_type_as_a_webhook_with_its_payload() {
    let app = crate::helpers::spawn_app();
    let doc = app.get("/api/v1/openapi.json", &app.admin_token).body;
    assert_eq!(doc["openapi"], "3.1.0");
    let hooks = doc["webhooks"].as_object().expect("a webhooks section");
    for name in [
        "flag.raised",
        "flag.acknowledged",
        "flag.resolved",
        "approval.requested",
        "approval.decided",
        "assignment.started",
        "assignment.ended",
        "handover.proposed",
        "handover.confirmed",
        "field_check.submitted",
        "field_check.confirmed",
        "required_check.due",
        "required_check.overdue",
        "evaluation.completed",
        "rm.status_changed",
        "exit_case.proposed",
        "exit_case.decided",
        "exit_case.closed",
        "job.failed",
    ] {
        let post = &hooks[name]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]
                ["type"]["const"],
            name
        );
    }
    let event = &doc["components"]["schemas"]["BusinessEvent"]["properties"];
    for field in [
        "id",
        "type",
        "occurred_at",
        "data",
        "sequence",
        "policy_version",
        "request_id",
    ] {
        assert!(event.get(field).is_some(), "{field}");
    }
}
