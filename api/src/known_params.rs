//! Unknown query parameters answer 422 on every route, from the OpenAPI document the routes are
//! built with: a misspelt or unsupported filter (`?q=`, `?nmae=`) never silently widens a list to
//! the caller's whole scope. One place for every endpoint, so a new one cannot forget it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::{AppError, FieldError};

/// Routes that pass the rest of their query on to a list: they check it against that list's
/// parameters themselves ([`KnownParams::check`]).
const FORWARDING: &[&str] = &["/api/v1/downloads/{list}"];

/// The query parameters each documented operation accepts, by method and path template.
#[derive(Debug, Default, Clone)]
pub struct KnownParams(Arc<HashMap<(String, String), HashSet<String>>>);

impl KnownParams {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let mut known = HashMap::new();
        for (path, item) in &api.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .chain(item.parameters.iter().flatten())
                    .filter(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                    .map(|p| p.name.clone())
                    .collect();
                known.insert((method.to_string(), path.clone()), names);
            }
        }
        Self(Arc::new(known))
    }

    /// 422 naming each parameter of `query` that `GET path` (a documented list) does not accept.
    pub fn check(&self, path: &str, query: &str) -> Result<(), AppError> {
        match self.refusals("GET", path, query) {
            Some(errors) => Err(AppError::Validation(errors)),
            None => Ok(()),
        }
    }

    /// One error per parameter of `query` the operation does not accept; `None` for an
    /// undocumented route (the dashboard's files, `/health`).
    fn refusals(&self, method: &str, template: &str, query: &str) -> Option<Vec<FieldError>> {
        let accepted = self.0.get(&(method.to_string(), template.to_string()))?;
        let mut names: Vec<&str> = accepted.iter().map(String::as_str).collect();
        names.sort_unstable();
        let message = if names.is_empty() {
            "this endpoint takes no query parameters".to_string()
        } else {
            format!(
                "not a parameter of this endpoint; it takes: {}",
                names.join(", ")
            )
        };
        let mut errors: Vec<FieldError> = Vec::new();
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !accepted.contains(name.as_ref()) && !errors.iter().any(|e| e.field == name) {
                errors.push(FieldError::new(name, message.clone()));
            }
        }
        (!errors.is_empty()).then_some(errors)
    }
}

/// Middleware: 422 naming each unknown parameter before the handler runs.
pub async fn refuse_unknown(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let known = req.app_data::<web::Data<KnownParams>>().cloned();
    let refusal = match (known, req.match_pattern()) {
        (Some(known), Some(template))
            if !req.query_string().is_empty() && !FORWARDING.contains(&template.as_str()) =>
        {
            known.refusals(req.method().as_str(), &template, req.query_string())
        }
        _ => None,
    };
    match refusal {
        Some(errors) => {
            let error: actix_web::Error = AppError::Validation(errors).into();
            Ok(req.error_response(error))
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}
