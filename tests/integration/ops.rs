use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_dashboard, ALLOWED_ORIGIN, METRICS_TOKEN};

#[test]
fn health_ready_and_dashboard_answer() {
    let app = spawn_app();
    let r = app.request("GET", "/health", None, &[], None);
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    assert!(r.header("x-request-id").is_some());
    let r = app.request("GET", "/ready", None, &[], None);
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")));
    let r = app.request("GET", "/", None, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
}

#[test]
fn dashboard_files_cached_by_kind_gzipped_and_index_answers_client_routes() {
    let script = format!("console.log('rmdesk');{}", " ".repeat(2000));
    let app = spawn_app_with_dashboard(&[
        (
            "index.html",
            "<!doctype html><title>rmdesk dashboard</title>",
        ),
        ("assets/index-abc123.js", &script),
    ]);
    let get = |path: &str, gzip: bool| {
        let mut req = ureq::get(&format!("{}{path}", app.base));
        if gzip {
            req = req.set("Accept-Encoding", "gzip");
        }
        match req.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        }
    };
    let index = get("/", false);
    assert_eq!(index.status(), 200);
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert!(index
        .into_string()
        .unwrap_or_default()
        .contains("rmdesk dashboard"));

    // Client-side routes fall back to index.html.
    let route = get("/customers/0190-abc", false);
    assert_eq!(route.status(), 200);
    assert!(route
        .into_string()
        .unwrap_or_default()
        .contains("rmdesk dashboard"));

    let asset = get("/assets/index-abc123.js", true);
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(asset.header("content-encoding"), Some("gzip"));
    assert!(asset.content_type().contains("javascript"));

    // A missing file and an unknown API path are 404s, not the app.
    assert_eq!(get("/assets/missing-1.js", false).status(), 404);
    let api = get("/api/v2/customers", false);
    assert_eq!(api.status(), 404);
    assert_eq!(api.content_type(), "application/problem+json");
}

#[test]
fn cors_allows_only_listed_origins() {
    let app = spawn_app();
    let preflight = |origin: &str| {
        app.request(
            "OPTIONS",
            "/api/v1/customers",
            None,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
            None,
        )
    };
    let ok = preflight(ALLOWED_ORIGIN);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    let other = preflight("https://evil.example");
    assert_eq!(other.header("access-control-allow-origin"), None);
    let r = app.request("GET", "/health", None, &[("Origin", ALLOWED_ORIGIN)], None);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
}

/// Issue 23: `GET /metrics` answers the scraper holding the token, in the Prometheus text format:
/// requests by route pattern (never by id), latency, pools and each webhook's lag behind the outbox.
#[test]
fn metrics_answer_the_token_holder_with_routes_pools_and_webhook_lag() {
    let app = spawn_app();
    let root = app.root_id();
    for (token, status) in [(None, 401), (Some("wrong"), 401)] {
        let headers: Vec<(&str, String)> = token
            .map(|t| vec![("Authorization", format!("Bearer {t}"))])
            .unwrap_or_default();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = app.request("GET", "/metrics", None, &headers, None);
        assert_eq!(r.status, status, "{}", r.body);
    }
    // A receiver that is not listening: the event waits in the outbox.
    let hook = app.post(
        "/webhooks",
        &app.admin_token,
        &json!({"url": "http://127.0.0.1:9/closed"}),
    );
    assert_eq!(hook.status, 201, "{}", hook.body);
    let risk = app.user_token("risk.metered", &["risk_officer"], &root);
    let customer = crate::events::raise_flag(&app, &risk, &root);
    let r = app.get(&format!("/customers/{customer}"), &app.admin_token);
    assert_eq!(r.status, 200);

    let bearer = format!("Bearer {METRICS_TOKEN}");
    let r = app.request("GET", "/metrics", None, &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.content_type.starts_with("text/plain; version=0.0.4"));
    let text = r.body.as_str().expect("text");
    assert!(
        text.contains(
            r#"rmdesk_http_requests_total{method="GET",route="/api/v1/customers/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(!text.contains(&customer), "ids never become label values");
    assert!(
        text.contains(
            r#"rmdesk_http_request_seconds_bucket{method="POST",route="/api/v1/customers""#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"rmdesk_db_pool_connections{pool="read",state="idle"}"#),
        "{text}"
    );
    let id = hook.body["id"].as_str().unwrap();
    let lag = text
        .lines()
        .find(|l| l.starts_with(&format!(r#"rmdesk_outbox_lag_events{{webhook="{id}"}}"#)))
        .unwrap_or_else(|| panic!("the webhook's lag: {text}"));
    let events: i64 = lag.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(events >= 1, "{lag}");
}
