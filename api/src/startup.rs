//! Start-up: configuration to a running server (database, bootstrap, keys, routes, middleware).

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use rand::RngCore;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{password, JwtKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::audit::Actor;
use crate::db::audit::Change;
use crate::db::{self, Db};
use crate::domain::org::{child_path, OrgUnitKind};
use crate::domain::policy::Policy;
use crate::domain::role::{join_roles, Role};
use crate::error::{AppError, AppResult, REQUEST_ID};
use crate::routes;

/// Shared by every worker.
pub struct AppState {
    pub db: Db,
    /// The one source of "now" (P-2).
    pub clock: Clock,
    pub jwt: JwtKeys,
    /// The bound on argon2 work running at once.
    pub hashing: password::Hashing,
    /// Send `Strict-Transport-Security` (served over TLS).
    pub hsts: bool,
    /// Signs checkpoints of the audit chain and export manifests (M-2's anchor).
    pub signer: std::sync::Arc<crate::anchor::Signer>,
    /// Sessions verified in the last two seconds.
    pub sessions: crate::auth::SessionCache,
    /// The jobs of the bank's calendar (P-2), also run by hand through it.
    pub scheduler: crate::jobs::Scheduler,
    /// The go-live imports this server runs now, with their progress.
    pub imports: crate::imports::Running,
    /// Webhook deliveries from the outbox (also used for an admin's redelivery).
    pub deliveries: crate::webhooks::Deliveries,
    /// New events for the live streams of this server's listeners.
    pub stream: crate::stream::Stream,
    /// The key of the national-ID search hashes (M-3).
    pub search_key: crate::national_ids::SearchKey,
    /// This server's request figures for `GET /metrics`, and the token that opens it.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    pub metrics_token: Option<String>,
}

/// The id of the request, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub struct Application {
    pub port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates, bootstraps and binds; `RMDESK_BIND` may use port 0 (tests).
    pub fn build(config: &Config) -> Result<Self, String> {
        private_dir(&config.data_dir)?;
        let mut db = Db::connect(&config.database, config.db_pool_size)?;
        if let Some((replica, max_lag)) = &config.read_replica {
            db = db.with_replica(&config.database, replica, config.db_pool_size, *max_lag)?;
        }
        if config.database.backend == db::Backend::Sqlite {
            for suffix in ["", "-wal", "-shm"] {
                private_file(Path::new(&format!("{}{suffix}", config.database.location)))?;
            }
        }
        bootstrap(&db, config).map_err(|e| format!("bootstrap failed: {e}"))?;
        if config.clock.is_shifted() {
            tracing::warn!(
                now = %config.clock.now(),
                "RMDESK_NOW: the business clock starts away from the system clock"
            );
        }
        let secret = jwt_secret(config)?;
        let search_key =
            crate::national_ids::SearchKey::load(config.search_key.as_deref(), &config.data_dir)?;
        crate::national_ids::spawn_filler(db.clone(), search_key.clone());
        crate::db::kept::spawn_folder(db.clone());
        let signer = std::sync::Arc::new(crate::anchor::Signer::load_or_create(&config.data_dir)?);
        spawn_checkpoints(
            db.clone(),
            signer.clone(),
            config.clock,
            config.checkpoint_seconds,
        );
        let scheduler = crate::jobs::Scheduler::new(db.clone(), config.clock, signer.clone());
        if let Some(seconds) = config.job_tick_seconds {
            scheduler
                .clone()
                .spawn(std::time::Duration::from_secs(seconds));
        }
        let deliveries = crate::webhooks::Deliveries::new(
            db.clone(),
            config.clock,
            config.webhook_guard.clone(),
        );
        deliveries.clone().spawn();
        let stream = crate::stream::Stream::default();
        stream.spawn(db.clone());
        let state = web::Data::new(AppState {
            db,
            clock: config.clock,
            jwt: JwtKeys::new(&secret, config.token_ttl_seconds),
            hashing: password::Hashing::default(),
            hsts: config.hsts,
            signer: signer.clone(),
            sessions: crate::auth::SessionCache::default(),
            scheduler,
            imports: crate::imports::Running::default(),
            deliveries,
            stream,
            search_key,
            metrics: std::sync::Arc::new(crate::metrics::Metrics::new()?),
            metrics_token: config.metrics_token.clone(),
        });
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot bind {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let api = openapi();
        let known_params = web::Data::new(crate::known_params::KnownParams::from_openapi(&api));
        let dashboard = routes::frontend::Dashboard::load(&config.frontend_dir)?;
        let cors_origins = config.cors_origins.clone();
        let server = HttpServer::new(move || {
            // Docs first: the /api/v1 scope would otherwise answer /api/v1/openapi.json with 404.
            let docs = SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", api.clone());
            App::new()
                .into_utoipa_app()
                .map(|app| {
                    app.app_data(state.clone())
                        .app_data(known_params.clone())
                        .app_data(
                            web::PathConfig::default()
                                .error_handler(|_, _| AppError::NotFound("resource").into()),
                        )
                        .service(docs)
                        .service(web::redirect("/docs", "/docs/"))
                        .configure(routes::ops::configure)
                })
                .service(
                    utoipa_actix_web::scope("/api/v1")
                        .configure(routes::v1::configure)
                        .default_service(web::to(routes::ops::not_found))
                        .wrap(from_fn(crate::known_params::refuse_unknown)),
                )
                .map(|app| {
                    app.configure(|cfg| routes::frontend::configure(cfg, dashboard.clone()))
                        .default_service(web::to(routes::ops::not_found))
                        .wrap(from_fn(request_context))
                        .wrap(cors(&cors_origins))
                })
                .into_app()
        })
        .workers(config.workers)
        .shutdown_timeout(30)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        Ok(Application { port, server })
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests finish first (graceful shutdown).
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn server(self) -> Server {
        self.server
    }
}

/// The OpenAPI document, generated from the same route table the server uses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(routes::ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::v1::configure))
        .split_for_parts();
    event_webhooks(standard_problems(unique_operation_ids(api)))
}

/// OpenAPI 3.1's `webhooks`: one entry per event type, the POST a subscriber receives (utoipa has
/// no field for it; it is written at the top level of the document all the same).
fn event_webhooks(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use crate::db::outbox::BusinessEvent;
    use crate::domain::events::{EventData, EventType};
    use utoipa::{PartialSchema, ToSchema};
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (BusinessEvent::name(), BusinessEvent::schema()),
        (EventData::name(), EventData::schema()),
        (EventType::name(), EventType::schema()),
    ] {
        components.schemas.insert(name.into(), schema);
    }
    let header = |name: &str, description: &str| {
        serde_json::json!({"name": name, "in": "header", "required": true,
                           "description": description, "schema": {"type": "string"}})
    };
    let mut hooks = serde_json::Map::new();
    for event_type in EventType::ALL {
        let name = event_type.as_str();
        hooks.insert(name.into(), serde_json::json!({
            "post": {
                "operationId": format!("webhook_{}", name.replace('.', "_")),
                "tags": ["webhooks"],
                "summary": name,
                "description": event_type.describe(),
                "parameters": [
                    header("X-Rmdesk-Signature", "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">` with the subscription's secret"),
                    header("X-Rmdesk-Event-Id", "the event's id (deduplicate on it: deliveries are at least once)"),
                    header("X-Rmdesk-Event-Type", "the event's type"),
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/BusinessEvent"},
                        {"type": "object", "properties": {"type": {"const": name}}}
                    ]
                }}}},
                "responses": {
                    "2XX": {"description": "received; any other answer (or none within the policy's timeout) is retried with growing delays"}
                }
            }
        }));
    }
    api.extensions
        .get_or_insert_with(Default::default)
        .insert("webhooks".into(), serde_json::Value::Object(hooks));
    api
}

/// The problem answers every operation can give, declared once under `components/responses` and
/// referenced by each operation they apply to (an operation's own, more specific description of a
/// status is kept): 401, 403 and 404 (O-1: an id out of scope) when it needs a token, 400, 413 and
/// 422 with a body, 422 with query parameters, 409 for writes, 429 for sign-in, 503 for all (the
/// database unavailable or busy).
fn standard_problems(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{HttpMethod, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEMS: [(&str, &str, &str); 9] = [
        (
            "400",
            "BadRequest",
            "malformed request: the body is not JSON, or of another media type",
        ),
        (
            "401",
            "Unauthorized",
            "no valid bearer token, or its session has ended",
        ),
        (
            "403",
            "Forbidden",
            "the caller's roles do not allow this, or separation of duties (M-4) refuses it",
        ),
        (
            "404",
            "NotFound",
            "no such resource in the caller's scope (O-1)",
        ),
        (
            "409",
            "Conflict",
            "a stale version, a duplicate, or a state that no longer allows this",
        ),
        (
            "413",
            "PayloadTooLarge",
            "the body is larger than the limit",
        ),
        (
            "422",
            "Unprocessable",
            "a field is invalid or a business rule refuses (the `rule` names it)",
        ),
        (
            "429",
            "TooManyRequests",
            "too many attempts; wait `Retry-After` seconds",
        ),
        (
            "503",
            "Unavailable",
            "the database is unavailable or busy; try again",
        ),
    ];
    let components = api.components.get_or_insert_with(Default::default);
    // Parameters refer to their types by name; utoipa collects only the schemas of bodies.
    fn define<T: utoipa::ToSchema>(components: &mut utoipa::openapi::Components) {
        components
            .schemas
            .insert(T::name().into(), <T as utoipa::PartialSchema>::schema());
    }
    define::<crate::bounded::PageSize>(components);
    define::<crate::bounded::IdList>(components);
    define::<crate::routes::v1::exports::Dataset>(components);
    define::<crate::routes::v1::downloads::ListName>(components);
    define::<crate::routes::v1::downloads::FileFormat>(components);
    define::<crate::routes::v1::downloads::Lang>(components);
    define::<crate::imports::Kind>(components);
    define::<crate::domain::calendar::Job>(components);
    define::<crate::routes::v1::handovers::HandoverStatus>(components);
    for (_, name, description) in PROBLEMS {
        components.responses.insert(
            name.to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    let public = |op: &utoipa::openapi::path::Operation| {
        op.security.as_ref().is_some_and(|reqs| {
            reqs.iter()
                .all(|r| *r == utoipa::openapi::security::SecurityRequirement::default())
        })
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let methods = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, op) in methods {
            let Some(op) = op.as_mut() else { continue };
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            let has_body = op.request_body.is_some();
            let mut applies: Vec<&str> = vec!["503"];
            if !public(op) {
                // O-1: any id the caller gives (in the path, the query or the body) that is not in
                // its scope is answered 404.
                applies.extend(["401", "403", "404"]);
            }
            if has_body {
                applies.extend(["400", "413", "422"]);
            }
            if has_query {
                applies.push("422");
            }
            if method != HttpMethod::Get && !path.contains("/auth/") {
                applies.push("409");
            }
            if path.ends_with("/auth/token") {
                applies.push("429");
            }
            for status in applies {
                let Some((_, name, _)) = PROBLEMS.iter().find(|(s, _, _)| *s == status) else {
                    continue;
                };
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
    }
    api
}

/// Handlers of several resources share a function name (`list`, `get_one` ...), which utoipa uses
/// as the operation id; client generators key operations by it, so a shared one gets the resource
/// added: `list` on `/api/v1/customers` becomes `list_customers`.
fn unique_operation_ids(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for item in api.paths.paths.values() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let resource: String = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|part| !part.starts_with('{'))
            .collect::<Vec<_>>()
            .join("_")
            .replace('-', "_");
        for op in operations_mut(item) {
            if let Some(id) = op.operation_id.as_mut() {
                if seen.get(id.as_str()).copied().unwrap_or(0) > 1 {
                    *id = format!("{id}_{resource}");
                }
            }
        }
    }
    api
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [&item.get, &item.post, &item.put, &item.patch, &item.delete]
        .into_iter()
        .flatten()
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(vec!["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(vec![
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
            // The live stream resumes after the last event a browser saw.
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers(vec![
            HeaderName::from_static("x-request-id"),
            header::ETAG,
            header::RETRY_AFTER,
        ])
        .max_age(3600)
        // Same-origin requests (the dashboard) carry an Origin header too: never refuse them here;
        // browsers enforce the allow-list from the absence of CORS headers.
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Gives every request an id (or keeps a sane `X-Request-Id` from the client), makes it
/// available to problem responses and audit events, echoes it, and logs the request.
/// The dashboard's policy: scripts, styles and data from rmdesk only, no inline script, never in
/// a frame. Swagger UI (`/docs`) starts itself with an inline script, so its pages allow that.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CSP_DOCS: &str =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Headers on every answer: the CSP, no framing, no MIME sniffing, no referrer, and HSTS when
/// rmdesk is served over TLS (`RMDESK_HSTS=1`).
fn security_headers(headers: &mut header::HeaderMap, path: &str, hsts: bool) {
    let csp = if path.starts_with("/docs") {
        CSP_DOCS
    } else {
        CSP
    };
    let pairs = [
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ];
    for (name, value) in pairs {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let hsts = state.as_ref().is_some_and(|s| s.hsts);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_string();
    let serving = crate::db::reads::READS_OF.scope(Default::default(), next.call(req));
    let mut res = REQUEST_ID.scope(id.clone(), serving).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    security_headers(res.headers_mut(), &path, hsts);
    let status = res.status().as_u16();
    if let Some(state) = &state {
        let route = res.request().match_pattern();
        state.metrics.observe(
            route.as_deref().unwrap_or("unmatched"),
            &method,
            status,
            started.elapsed().as_secs_f64(),
        );
    }
    tracing::info!(request_id = %id, %method, %path, status, micros = started.elapsed().as_micros() as u64, "request");
    Ok(res)
}

/// First start on an empty database: the head office, policy version 1 and, when
/// `RMDESK_ADMIN_PASSWORD` / `RMDESK_SECURITY_ADMIN_PASSWORD` are set, the `admin` and
/// `security.admin` users. Each step is audited.
/// The head office's unit code until the bank loads its own (org unit imports refer to it).
pub const HEAD_OFFICE_CODE: &str = "HO";

pub fn bootstrap(db: &Db, config: &Config) -> AppResult<()> {
    let mut conn = db.writer()?;
    let actor = Actor::system("bootstrap", config.clock);
    diesel::Connection::transaction(&mut *conn, |conn| -> AppResult<()> {
        db::partitions::create_ahead(conn, config.clock.today())?;
        let root = match db::org_units::root(conn)? {
            Some(root) => root,
            None => {
                let id = crate::http::new_id();
                let now = config.clock.now();
                let row = db::org_units::OrgUnitRow {
                    path: child_path("/", &id),
                    id,
                    name: "Head Office".into(),
                    kind: OrgUnitKind::HeadOffice.as_str().into(),
                    parent_id: None,
                    depth: 0,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    code: Some(HEAD_OFFICE_CODE.into()),
                };
                db::org_units::insert(conn, &row)?;
                db::audit::record(
                    conn,
                    &actor,
                    Change::new("org_unit.create", "org_unit", &row.id, &row.path).after(&row)?,
                )?;
                row
            }
        };
        if db::policy::current_version(conn)? == 0 {
            let policy = Policy::default();
            let version = db::policy::insert_next(conn, &policy, None, config.clock.now())?;
            db::audit::record(
                conn,
                &actor,
                Change::new("policy.create", "policy", &version.to_string(), &root.path)
                    .after(&policy)?,
            )?;
        }
        // M-4: two admins from the start, so that the first privileged grant has a second person.
        for (username, display, password) in [
            ("admin", "Administrator", &config.admin_password),
            (
                "security.admin",
                "Security Administrator",
                &config.security_admin_password,
            ),
        ] {
            let Some(password) = password else { continue };
            if db::users::find_by_username(conn, username)?.is_some() {
                continue;
            }
            let now = config.clock.now();
            let user = db::users::UserRow {
                id: crate::http::new_id(),
                username: username.into(),
                password_hash: password::hash(password)?,
                display_name: display.into(),
                roles: join_roles(&[Role::Admin]),
                org_unit_id: root.id.clone(),
                org_path: root.path.clone(),
                rm_id: None,
                active: true,
                version: 1,
                created_at: now,
                updated_at: now,
                security_stamp: db::users::new_stamp(),
            };
            db::users::insert(conn, &user)?;
            db::users::record_grants(conn, &user.id, &["admin".into()], &[], None, None, now)?;
            let after =
                serde_json::json!({"id": user.id, "username": user.username, "roles": user.roles});
            db::audit::record(
                conn,
                &actor,
                Change::new("user.create", "user", &user.id, &user.org_path).after(&after)?,
            )?;
        }
        Ok(())
    })
}

/// `RMDESK_JWT_SECRET`, or a random secret generated on first start and kept (0600) in the data
/// directory.
fn jwt_secret(config: &Config) -> Result<Vec<u8>, String> {
    if let Some(secret) = &config.jwt_secret {
        if secret.len() < 32 {
            return Err("RMDESK_JWT_SECRET must be at least 32 characters".into());
        }
        return Ok(secret.as_bytes().to_vec());
    }
    kept_secret(&config.data_dir, "jwt-secret")
}

/// A random secret kept (0600) in the data directory under `name`, generated on first use.
pub fn kept_secret(data_dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    let path = data_dir.join(name);
    if let Ok(existing) = fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 64 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)?;
    Ok(secret.into_bytes())
}

/// Signs the audit chain's head every `seconds` (M-2's anchor), on the server's runtime.
fn spawn_checkpoints(
    db: Db,
    signer: std::sync::Arc<crate::anchor::Signer>,
    clock: Clock,
    seconds: u64,
) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(seconds.max(1)));
        tick.tick().await;
        loop {
            tick.tick().await;
            let signer = signer.clone();
            let signed = db
                .write(move |conn| db::audit::checkpoint(conn, &signer, clock.now()))
                .await;
            if let Err(e) = signed {
                tracing::warn!(error = %e, "could not sign an audit checkpoint");
            }
        }
    });
}

/// The data directory, readable by rmdesk's user only (0700).
fn private_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// A database or key file, readable by rmdesk's user only (0600), when it exists.
fn private_file(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    }
    Ok(())
}

pub fn write_private(path: &Path, content: &str) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(content.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        AppError::Internal(err.to_string())
    }
}
