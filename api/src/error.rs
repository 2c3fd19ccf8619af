//! The one error type of rmdesk, rendered as `application/problem+json` (RFC 9457, API.md).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served, so that every problem response can name it.
    pub static REQUEST_ID: String;
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path into the request (`categories[1]`, `version`).
    #[schema(example = "grade")]
    pub field: String,
    #[schema(example = "unknown variant `chief`")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub use crate::domain::{CorruptValue, RuleViolation};

impl From<CorruptValue> for AppError {
    fn from(corrupt: CorruptValue) -> Self {
        AppError::Internal(corrupt.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{}: {}", .0.rule, .0.detail)]
    Rule(RuleViolation),
    #[error("authentication required: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 403 by a rule of duties (M-4): who may do it, not what may be done.
    #[error("{}: {}", .0.rule, .0.detail)]
    Denied(RuleViolation),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("version conflict: {0}")]
    VersionConflict(String),
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("too many failed logins")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn rule(rule: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Rule(RuleViolation::new(rule, code, detail))
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::Malformed(_) => "malformed_request",
            AppError::Validation(_) => "validation_failed",
            AppError::Rule(v) | AppError::Denied(v) => v.code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::VersionConflict(_) => "version_conflict",
            AppError::Duplicate(_) => "duplicate",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Malformed(_) => "Malformed request",
            AppError::Validation(_) => "Invalid request",
            AppError::Rule(_) => "Refused by a business rule",
            AppError::Unauthorized(_) => "Authentication required",
            AppError::Forbidden(_) => "Forbidden",
            AppError::Denied(_) => "Refused by separation of duties",
            AppError::NotFound(_) => "Not found",
            AppError::VersionConflict(_) => "Version conflict",
            AppError::Duplicate(_) => "Duplicate",
            AppError::PayloadTooLarge(_) => "Payload too large",
            AppError::TooManyAttempts { .. } => "Too many attempts",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// The sentence shown to clients: never internals for 5xx.
    fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", errors.len()),
            },
            AppError::Rule(v) | AppError::Denied(v) => v.detail.clone(),
            AppError::Internal(_) => {
                "an unexpected error occurred; the request id identifies it in the logs".into()
            }
            AppError::Unavailable(_) => "the database is unavailable or busy; try again".into(),
            other => other.to_string(),
        }
    }
}

/// The problem+json body (RFC 9457) with rmdesk's extensions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    /// rmdesk's page of the code: `GET /problems/{code}` says what it means, the rule and what to do.
    #[schema(example = "/problems/capacity_exceeded")]
    pub type_: String,
    #[schema(example = "Refused by a business rule")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    pub detail: String,
    /// Stable machine code, e.g. `capacity_exceeded`, `validation_failed`.
    #[schema(example = "capacity_exceeded")]
    pub code: String,
    /// The RULES.md ID when a business rule refused the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "A-3")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, also in the `X-Request-Id` response header and the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Denied(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::VersionConflict(_) | AppError::Duplicate(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let request_id = REQUEST_ID.try_with(|id| id.clone()).ok();
        if status.is_server_error() {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = %self, "request failed");
        }
        let code = self.code();
        let problem = Problem {
            // A reference to rmdesk's own page of the code (RFC 9457: relative to the request).
            type_: format!("/problems/{code}"),
            title: self.title().into(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.into(),
            rule: match self {
                AppError::Rule(v) | AppError::Denied(v) => Some(v.rule.into()),
                _ => None,
            },
            errors: match self {
                AppError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            request_id,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let AppError::TooManyAttempts { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => AppError::Duplicate(
                format!("a record with the same key exists ({})", info.message()),
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Unavailable("serialization failure".into())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::Unavailable("connection closed".into())
            }
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                AppError::Unavailable("database is locked".into())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(err.to_string())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {err}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
