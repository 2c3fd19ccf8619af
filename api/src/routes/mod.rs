//! HTTP: the v1 API, operations endpoints and the dashboard. Handlers parse, call the db and
//! domain layers, and answer; no SQL and no rules here.

pub mod frontend;
pub mod ops;
pub mod v1;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rmdesk API",
        version = "1.0.0",
        description = "Relationship-manager program (客户经理制): who manages whom, dual-person checks, \
credit-risk flags and the exit rules. Rule IDs (A-3, D-2, R-4, X-2 ...) refer to RULES.md. Errors are \
application/problem+json with `code`, `rule` and `errors`."
    ),
    modifiers(&BearerAuth),
    // Enums used only in query parameters are not collected from the routes: listed here so
    // every `$ref` of the document resolves.
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        v1::approvals::ApprovalStatus,
        v1::field_checks::RequiredStatus,
        v1::exports::Format,
        crate::commands::exit_cases::CaseStatus,
    )),
    tags(
        (name = "auth", description = "Tokens"),
        (name = "org-units", description = "The org tree (O-1)"),
        (name = "users", description = "Users and roles"),
        (name = "rms", description = "Relationship managers (O-2..O-6)"),
        (name = "customers", description = "Customers and their relations"),
        (name = "assignments", description = "Who manages whom (A-1..A-10), with history"),
        (name = "approvals", description = "Maker-checker (M-1)"),
        (name = "field-checks", description = "Dual-person checks (D-1..D-6)"),
        (name = "flags", description = "Credit-risk flags (R-2, R-3)"),
        (name = "handovers", description = "Handing an RM's customers over (A-9)"),
        (name = "policy", description = "The versioned policy record (P-1)"),
        (name = "audit", description = "The tamper-evident audit log (M-2)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}
