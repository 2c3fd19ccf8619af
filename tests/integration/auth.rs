use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{spawn_app, ADMIN_PASSWORD};

fn secret(app: &crate::helpers::TestApp) -> Vec<u8> {
    std::fs::read_to_string(app.data_dir.join("jwt-secret"))
        .unwrap()
        .trim()
        .as_bytes()
        .to_vec()
}

/// Claims of the admin's session as a token would carry them: its id and security stamp, read
/// from the database.
fn admin_claims(app: &crate::helpers::TestApp, exp_offset: i64) -> serde_json::Value {
    use diesel::prelude::*;
    use rmdesk::db::schema::users;
    let (id, stamp): (String, String) = users::table
        .filter(users::username.eq("admin"))
        .select((users::id, users::security_stamp))
        .first(&mut app.db())
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    json!({"sub": id, "username": "admin", "roles": ["admin"], "org_unit_id": "x", "org_path": "/",
           "exp": now + exp_offset, "iat": now, "jti": "j", "stamp": stamp})
}

#[test]
fn admin_token_lists_rms_and_secret_file_is_private() {
    let app = spawn_app();
    let r = app.request(
        "POST",
        "/auth/token",
        None,
        &[],
        Some(&json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string()),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    let r = app.get("/rms", &app.admin_token);
    assert_eq!(r.status, 200);
    assert!(r.body["items"].is_array());
    assert!(r.body.get("next_cursor").is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir.join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn missing_malformed_expired_foreign_and_unsigned_tokens_get_401() {
    let app = spawn_app();
    app.request("GET", "/customers", None, &[], None)
        .assert_problem(401, "unauthorized");
    app.request(
        "GET",
        "/customers",
        None,
        &[("Authorization", "Basic abc")],
        None,
    )
    .assert_problem(401, "unauthorized");
    app.get("/customers", "not-a-jwt")
        .assert_problem(401, "unauthorized");

    let expired = encode(
        &Header::default(),
        &admin_claims(&app, -120),
        &EncodingKey::from_secret(&secret(&app)),
    )
    .unwrap();
    app.get("/customers", &expired)
        .assert_problem(401, "unauthorized");

    let foreign = encode(
        &Header::default(),
        &admin_claims(&app, 600),
        &EncodingKey::from_secret(b"another-key-another-key-another-key"),
    )
    .unwrap();
    app.get("/customers", &foreign)
        .assert_problem(401, "unauthorized");

    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(admin_claims(&app, 600).to_string())
    );
    app.get("/customers", &unsigned)
        .assert_problem(401, "unauthorized");

    // Algorithm switching: HS512 with the right secret is still refused (HS256 is pinned).
    let hs512 = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &admin_claims(&app, 600),
        &EncodingKey::from_secret(&secret(&app)),
    )
    .unwrap();
    app.get("/customers", &hs512)
        .assert_problem(401, "unauthorized");

    let valid = encode(
        &Header::default(),
        &admin_claims(&app, 600),
        &EncodingKey::from_secret(&secret(&app)),
    )
    .unwrap();
    assert_eq!(
        app.get("/customers", &valid).status,
        200,
        "a correctly signed HS256 token passes"
    );
}

#[test]
fn five_failed_logins_within_a_minute_get_429() {
    let app = spawn_app();
    let body = json!({"username": "admin", "password": "wrong-password"}).to_string();
    for _ in 0..5 {
        app.request("POST", "/auth/token", None, &[], Some(&body))
            .assert_problem(401, "unauthorized");
    }
    let r = app.request(
        "POST",
        "/auth/token",
        None,
        &[],
        Some(&json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string()),
    );
    r.assert_problem(429, "too_many_attempts");
    assert!(r.header("retry-after").is_some());
    // Another user is not affected.
    let r = app.request(
        "POST",
        "/auth/token",
        None,
        &[],
        Some(&json!({"username": "nobody", "password": "x"}).to_string()),
    );
    r.assert_problem(401, "unauthorized");
}

#[test]
fn roles_limit_writes_auditor_cannot_create_customers() {
    let app = spawn_app();
    let root = app.root_id();
    let auditor = app.user_token("audit.one", &["auditor"], &root);
    app.customer(&auditor, "Acme", &root)
        .assert_problem(403, "forbidden");
    let manager = app.user_token("mgr.one", &["manager"], &root);
    let r = app.post("/users", &manager, &json!({"username": "sneaky", "password": "sneaky-password-1", "display_name": "S", "roles": ["admin"], "org_unit_id": root}));
    r.assert_problem(403, "grant_not_allowed");
    app.post(
        "/org-units",
        &manager,
        &json!({"name": "X", "kind": "branch", "parent_id": root}),
    )
    .assert_problem(403, "forbidden");
}
