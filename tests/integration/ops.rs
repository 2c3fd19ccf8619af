use crate::helpers::{spawn_app, ALLOWED_ORIGIN};

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
