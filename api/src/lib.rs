//! rmdesk: the relationship-manager program (客户经理制) of a bank.
//!
//! `domain` holds the rules of RULES.md as pure functions; `db` the storage over SQLite and
//! PostgreSQL; `routes` the HTTP API; `startup` wires them together.

pub mod anchor;
pub mod auth;
pub mod backup;
pub mod bounded;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub use rmdesk_domain as domain;
pub mod demo;
pub mod error;
pub mod http;
pub mod imports;
pub mod jobs;
pub mod known_params;
pub mod metrics;
pub mod national_ids;
pub mod problems;
pub mod routes;
pub mod startup;
pub mod stopwatch;
pub mod stream;
pub mod verify;
pub mod webhooks;
