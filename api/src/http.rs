//! Request parsing and response helpers shared by every v1 handler.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::auth::Caller;
use crate::db::idempotency::{self, StoredResponse};
use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult, FieldError};

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body parsed into `T` and checked with `validator`: malformed JSON is 400; a wrong type,
/// an unknown enum value or a failed check is 422 naming the field.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let declared_too_large = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > MAX_BODY_BYTES);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct == "application/json" || ct.ends_with("+json")
            })
            .unwrap_or(true);
        let payload = Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            if declared_too_large {
                return Err(AppError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            if !content_type_ok {
                return Err(AppError::Malformed(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            let payload = payload
                .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
            let raw = payload
                .to_bytes_limited(MAX_BODY_BYTES)
                .await
                .map_err(|_| AppError::PayloadTooLarge(MAX_BODY_BYTES))?
                .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
            let value = parse_json::<T>(&raw)?;
            value
                .validate()
                .map_err(|e| AppError::Validation(field_errors(&e)))?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Parses JSON with the path of the offending field in the error.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> AppResult<T> {
    // Syntax first, so that broken JSON is always 400 whatever its first fields say.
    serde_json::from_slice::<serde::de::IgnoredAny>(raw)
        .map_err(|e| AppError::Malformed(format!("the body is not valid JSON: {e}")))?;
    refuse_nul(raw)?;
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if field == "." {
                    missing_field(&inner.to_string()).unwrap_or_else(|| "body".into())
                } else {
                    field
                };
                AppError::Validation(vec![FieldError::new(
                    field,
                    strip_position(&inner.to_string()),
                )])
            }
            _ => AppError::Malformed(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| AppError::Malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// No text holds U+0000 (PostgreSQL cannot store it, and no name or reason needs it): 422 naming
/// the first field whose text or key has one, on every body and query string.
const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

fn refuse_nul(raw: &[u8]) -> AppResult<()> {
    let escaped = raw.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"));
    if !escaped {
        return Ok(());
    }
    fn find(value: &serde_json::Value, path: String) -> Option<String> {
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(path),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find(v, format!("{path}[{i}]"))),
            serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.contains('\0') {
                    Some(here)
                } else {
                    find(v, here)
                }
            }),
            _ => None,
        }
    }
    let value: serde_json::Value = serde_json::from_slice(raw)
        .map_err(|e| AppError::Malformed(format!("the body is not valid JSON: {e}")))?;
    match find(&value, String::new()) {
        Some(field) => Err(AppError::Validation(vec![FieldError::new(
            if field.is_empty() {
                "body".to_string()
            } else {
                field
            },
            NUL_MESSAGE,
        )])),
        None => Ok(()),
    }
}

/// serde reports a missing field at the parent's path; name the field itself.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Flattens validator's nested errors into `{field, message}` pairs.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    let min = e.params.get("min").map(|v| v.to_string());
    let max = e.params.get("max").map(|v| v.to_string());
    match (e.code.as_ref(), min, max) {
        ("length", Some(min), Some(max)) => format!("length must be between {min} and {max}"),
        ("length", Some(min), None) => format!("length must be at least {min}"),
        ("length", None, Some(max)) => format!("length must be at most {max}"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        (code, _, _) => format!("invalid ({code})"),
    }
}

/// Query parameters parsed into `T`; a wrong type or unknown value is 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// A query string parsed into `T`; a wrong type or unknown value is 422 naming the parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    if let Some((name, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(AppError::Validation(vec![FieldError::new(
            name,
            NUL_MESSAGE,
        )]));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let field = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = if field == "." {
            missing_field(&message).unwrap_or_else(|| "query".into())
        } else {
            field
        };
        AppError::Validation(vec![FieldError::new(field, message)])
    })
}

/// `?limit=&cursor=` of every list (API.md: default 50, max 500).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub limit: Option<crate::bounded::PageSize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> AppResult<i64> {
        Ok(self.limit.map_or(50, crate::bounded::PageSize::get))
    }

    /// The id after which the page starts.
    pub fn after(&self) -> AppResult<Option<String>> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(Some)
            .ok_or_else(|| AppError::field("cursor", "not a cursor returned by this API"))
    }
}

pub fn encode_cursor(id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows, mapping each row to its view.
    pub fn from_rows<R>(
        rows: Vec<R>,
        limit: i64,
        id_of: impl Fn(&R) -> &str,
        view: impl FnMut(R) -> T,
    ) -> Self {
        let (rows, next) = crate::db::next_cursor(rows, limit, id_of);
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor: next.as_deref().map(encode_cursor),
        }
    }

    /// As `from_rows`, for views that read stored text that may be corrupt (an error, never a
    /// default).
    pub fn try_from_rows<R>(
        rows: Vec<R>,
        limit: i64,
        id_of: impl Fn(&R) -> &str,
        view: impl FnMut(R) -> AppResult<T>,
    ) -> AppResult<Self> {
        let (rows, next) = crate::db::next_cursor(rows, limit, id_of);
        Ok(Page {
            items: rows.into_iter().map(view).collect::<AppResult<_>>()?,
            next_cursor: next.as_deref().map(encode_cursor),
        })
    }
}

/// The version an update expects: the `If-Match` header or the body's `version` field (409 when
/// stale, 422 when neither is sent).
pub fn expected_version(req: &HttpRequest, body_version: Option<i64>) -> AppResult<i64> {
    if let Some(value) = req.headers().get(header::IF_MATCH) {
        let text = value
            .to_str()
            .unwrap_or("")
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        return text
            .parse()
            .map_err(|_| AppError::field("If-Match", "must be the resource's integer version"));
    }
    body_version.ok_or_else(|| {
        AppError::field(
            "version",
            "send the version you read, in the body or in If-Match",
        )
    })
}

/// 409 unless the stored version is the expected one.
pub fn check_version(stored: i64, expected: i64, what: &str) -> AppResult<()> {
    if stored != expected {
        return Err(AppError::VersionConflict(format!(
            "{what} is at version {stored}, not {expected}; reload it"
        )));
    }
    Ok(())
}

/// Runs a create in one transaction, honouring `Idempotency-Key`: a replay returns the first
/// response (marked `Idempotent-Replayed: true`) and creates nothing new.
pub async fn create<T, F>(
    db: &Db,
    caller: &Caller,
    req: &HttpRequest,
    raw: &[u8],
    f: F,
) -> AppResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    command(db, caller, req, raw, move |conn| Ok((201, f(conn)?))).await
}

/// Like [`create`], for commands whose status depends on the outcome (200/201 applied, 202 pending).
pub async fn command<T, F>(
    db: &Db,
    caller: &Caller,
    req: &HttpRequest,
    raw: &[u8],
    f: F,
) -> AppResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce(&mut DbConn) -> AppResult<(u16, T)> + Send + 'static,
{
    let key = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => {
            let key = v.to_str().unwrap_or("").trim().to_string();
            if key.is_empty() || key.len() > 200 {
                return Err(AppError::field(
                    "Idempotency-Key",
                    "must be 1 to 200 visible characters",
                ));
            }
            Some(key)
        }
    };
    let fingerprint = idempotency::fingerprint(req.method().as_str(), req.path(), raw);
    let user_id = caller.user_id.clone();
    let clock = caller.clock;
    let (stored, replayed) = db
        .write(move |conn| {
            if let Some(key) = &key {
                if let Some(previous) = idempotency::find(conn, &user_id, key, &fingerprint)? {
                    return Ok((previous, true));
                }
            }
            let (status, created) = f(conn)?;
            let response = StoredResponse {
                status,
                body: serde_json::to_string(&created)?,
            };
            if let Some(key) = &key {
                idempotency::store(conn, &user_id, key, &fingerprint, &response, clock.now())?;
            }
            Ok((response, false))
        })
        .await?;
    let status = actix_web::http::StatusCode::from_u16(stored.status)
        .unwrap_or(actix_web::http::StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.body(stored.body))
}

/// A new time-ordered id (UUID v7), so that id order is creation order for cursors.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Stored UTC timestamps as RFC 3339 `...Z` in responses.
pub fn utc(at: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    at.and_utc()
}

/// The parameters of a reason the product wrote, as answered: a JSON object, or a 500 naming the
/// corrupt stored text (never a silently empty reason).
pub fn reason_params(
    stored: Option<String>,
) -> crate::error::AppResult<Option<serde_json::Map<String, serde_json::Value>>> {
    stored
        .map(|text| {
            crate::domain::reason::read_params(&text).map_err(crate::error::AppError::Internal)
        })
        .transpose()
}

/// For PATCH fields where `null` means "clear": absent → `None`, `null` → `Some(None)`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
