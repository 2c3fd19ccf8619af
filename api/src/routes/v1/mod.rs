//! The v1 API (API.md). Each module is one resource.

pub mod approvals;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod conduct;
pub mod customers;
pub mod downloads;
pub mod evaluations;
pub mod events;
pub mod exit_cases;
pub mod exports;
pub mod field_checks;
pub mod flags;
pub mod handovers;
pub mod imports;
pub mod jobs;
pub mod loans;
pub mod org_units;
pub mod overview;
pub mod performance;
pub mod policy;
pub mod queues;
pub mod rebalancing;
pub mod rms;
pub mod users;
pub mod waiting;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    org_units::configure(cfg);
    overview::configure(cfg);
    users::configure(cfg);
    waiting::configure(cfg);
    rms::configure(cfg);
    customers::configure(cfg);
    assignments::configure(cfg);
    approvals::configure(cfg);
    handovers::configure(cfg);
    rebalancing::configure(cfg);
    queues::configure(cfg);
    field_checks::configure(cfg);
    flags::configure(cfg);
    loans::configure(cfg);
    evaluations::configure(cfg);
    conduct::configure(cfg);
    performance::configure(cfg);
    exit_cases::configure(cfg);
    exports::configure(cfg);
    downloads::configure(cfg);
    policy::configure(cfg);
    audit::configure(cfg);
    jobs::configure(cfg);
    imports::configure(cfg);
    webhooks::configure(cfg);
    events::configure(cfg);
}
