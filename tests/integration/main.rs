//! The integration suite: real server, real HTTP, a fresh database per test. Runs on SQLite by
//! default and on PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod assignments;
mod audit;
mod auth;
mod backup;
mod bulk;
mod bypass;
mod downloads;
mod duties;
mod errors;
mod events;
mod exits;
mod exports;
mod field_checks;
mod flags;
mod handovers;
mod imports;
mod jobs;
mod openapi;
mod ops;
mod overview;
mod partitions;
mod registry;
mod search;
mod security;
mod waiting;
mod walk;
