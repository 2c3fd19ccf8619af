//! `GET /metrics` in the Prometheus text format (issue 23), for the bank's monitoring only: it
//! answers when `RMDESK_METRICS_TOKEN` is set and the scraper sends it as a bearer token, and is a
//! 404 otherwise.
//!
//! Two kinds of figures. This server's own: requests by route pattern, method and status, their
//! latency, and its connection pools. The bank's, read from the shared database at each scrape so
//! that every server of a cluster tells the same: job runs by job and outcome with their durations,
//! each webhook's lag behind the outbox (events and seconds) and its consecutive failures.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::{schema, DbConn};
use crate::error::{AppError, AppResult};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// This server's request figures.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, String> {
        let made = |e: prometheus::Error| format!("metrics: {e}");
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "rmdesk_http_requests_total",
                "HTTP requests answered, by route pattern, method and status.",
            ),
            &["route", "method", "status"],
        )
        .map_err(made)?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "rmdesk_http_request_seconds",
                "Time to answer an HTTP request, by route pattern and method.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )
        .map_err(made)?;
        registry
            .register(Box::new(requests.clone()))
            .map_err(made)?;
        registry.register(Box::new(latency.clone())).map_err(made)?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    /// Counts one answered request. `route` is the pattern that matched (`/api/v1/customers/{id}`),
    /// never the path, so that ids do not become label values.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        // A client may send any method name; only the standard ones become label values.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// The text of a scrape: this server's figures, its pools, then the bank's.
    pub fn render(
        &self,
        pools: &[(&str, u32, u32, u32)],
        replica: Option<&crate::db::reads::Replica>,
        bank: &Bank,
    ) -> AppResult<String> {
        let scrape = Registry::new();
        let gauge = |name: &str, help: &str, labels: &[&str]| -> AppResult<IntGaugeVec> {
            let g = IntGaugeVec::new(Opts::new(name, help), labels).map_err(internal)?;
            scrape.register(Box::new(g.clone())).map_err(internal)?;
            Ok(g)
        };
        let connections = gauge(
            "rmdesk_db_pool_connections",
            "Database connections of this server's pool, by pool and state.",
            &["pool", "state"],
        )?;
        let max = gauge(
            "rmdesk_db_pool_max_connections",
            "The most connections a pool opens.",
            &["pool"],
        )?;
        for (pool, open, idle, most) in pools {
            connections
                .with_label_values(&[pool, "idle"])
                .set(i64::from(*idle));
            connections
                .with_label_values(&[pool, "in_use"])
                .set(i64::from(open - idle));
            max.with_label_values(&[pool]).set(i64::from(*most));
        }
        if let Some(replica) = replica {
            let reads = IntCounterVec::new(
                Opts::new(
                    "rmdesk_db_reads_total",
                    "Reads of this server sent to the primary and to the replica.",
                ),
                &["target"],
            )
            .map_err(internal)?;
            scrape.register(Box::new(reads.clone())).map_err(internal)?;
            for (target, n) in replica.read_counts() {
                reads.with_label_values(&[target.as_str()]).inc_by(n);
            }
            let state = replica.state();
            let up = gauge(
                "rmdesk_db_replica_up",
                "1 while the replica answers as a replica and its lag is known.",
                &[],
            )?;
            up.with_label_values::<&str>(&[])
                .set(i64::from(state.is_some()));
            if let Some(state) = state {
                let lag = GaugeVec::new(
                    Opts::new(
                        "rmdesk_db_replica_lag_seconds",
                        "How far the replica is behind the primary, at most.",
                    ),
                    &[],
                )
                .map_err(internal)?;
                scrape.register(Box::new(lag.clone())).map_err(internal)?;
                lag.with_label_values::<&str>(&[])
                    .set(state.lag.as_secs_f64());
            }
        }
        let runs = gauge(
            "rmdesk_job_runs",
            "Runs of the calendar's jobs on record, by job and outcome (all servers).",
            &["job", "status"],
        )?;
        for (job, status, n) in &bank.job_runs {
            runs.with_label_values(&[job, status]).set(*n);
        }
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "rmdesk_job_run_seconds",
                "How long the finished runs of each job took (all servers).",
            )
            .buckets(vec![0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0]),
            &["job"],
        )
        .map_err(internal)?;
        scrape
            .register(Box::new(durations.clone()))
            .map_err(internal)?;
        for (job, seconds) in &bank.job_durations {
            durations.with_label_values(&[job]).observe(*seconds);
        }
        let lag = gauge(
            "rmdesk_outbox_lag_events",
            "Outbox events past an active webhook's cursor.",
            &["webhook"],
        )?;
        let lag_seconds = gauge(
            "rmdesk_outbox_lag_seconds",
            "Age of the oldest outbox event an active webhook waits for (0 when none).",
            &["webhook"],
        )?;
        let failures = gauge(
            "rmdesk_webhook_consecutive_failures",
            "Failed deliveries in a row of each webhook.",
            &["webhook", "status"],
        )?;
        for w in &bank.webhooks {
            if w.status == "active" {
                lag.with_label_values(&[&w.id]).set(w.lag_events);
                lag_seconds.with_label_values(&[&w.id]).set(w.lag_seconds);
            }
            failures
                .with_label_values(&[&w.id, &w.status])
                .set(w.consecutive_failures);
        }
        let mut families = self.registry.gather();
        families.extend(scrape.gather());
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&families, &mut text)
            .map_err(internal)?;
        String::from_utf8(text).map_err(internal)
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("metrics: {e}"))
}

/// What the shared database says at a scrape.
pub struct Bank {
    pub job_runs: Vec<(String, String, i64)>,
    pub job_durations: Vec<(String, f64)>,
    pub webhooks: Vec<WebhookLag>,
}

pub struct WebhookLag {
    pub id: String,
    pub status: String,
    pub consecutive_failures: i64,
    pub lag_events: i64,
    pub lag_seconds: i64,
}

/// Reads the bank's figures: a few small reads (job runs are a few per business day, webhooks a
/// handful, and each lag is one probe of the outbox by sequence).
pub fn bank(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Bank> {
    use schema::{job_runs, outbox_events as outbox, webhooks};
    let runs: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = crate::db::on_inner!(conn, c => job_runs::table
        .select((job_runs::job, job_runs::status, job_runs::started_at, job_runs::finished_at))
        .load(c)?);
    let mut counted: std::collections::BTreeMap<(String, String), i64> = Default::default();
    let mut job_durations = Vec::new();
    for (job, status, started, finished) in runs {
        if let Some(finished) = finished {
            job_durations.push((
                job.clone(),
                (finished - started).num_milliseconds() as f64 / 1000.0,
            ));
        }
        *counted.entry((job, status)).or_default() += 1;
    }
    let head: Option<i64> = crate::db::on_inner!(conn, c => outbox::table
        .select(diesel::dsl::max(outbox::seq))
        .first(c)?);
    let hooks: Vec<(String, String, i32, i64)> = crate::db::on_inner!(conn, c => webhooks::table
        .select((webhooks::id, webhooks::status, webhooks::consecutive_failures, webhooks::cursor_seq))
        .order(webhooks::id)
        .load(c)?);
    let mut lags = Vec::new();
    for (id, status, consecutive_failures, cursor) in hooks {
        let oldest: Option<NaiveDateTime> = crate::db::on_inner!(conn, c => outbox::table
            .filter(outbox::seq.gt(cursor))
            .order(outbox::seq)
            .select(outbox::occurred_at)
            .first(c)
            .optional()?);
        lags.push(WebhookLag {
            id,
            status,
            consecutive_failures: i64::from(consecutive_failures),
            lag_events: (head.unwrap_or(0) - cursor).max(0),
            lag_seconds: oldest.map_or(0, |at| (now - at).num_seconds().max(0)),
        });
    }
    Ok(Bank {
        job_runs: counted.into_iter().map(|((j, s), n)| (j, s, n)).collect(),
        job_durations,
        webhooks: lags,
    })
}
