//! Configuration from the environment (README lists every variable).

use std::path::PathBuf;

use crate::clock::Clock;
use crate::db::DbTarget;

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DbTarget,
    /// `DATABASE_READ_URL`: a streaming replica of `database` that serves reads, skipped when it
    /// lags by more than `RMDESK_READ_MAX_LAG_MS` (default 1000).
    pub read_replica: Option<(DbTarget, std::time::Duration)>,
    pub bind: String,
    pub data_dir: PathBuf,
    pub admin_password: Option<String>,
    /// The second admin's password (M-4: privileged grants need an admin other than the maker).
    pub security_admin_password: Option<String>,
    /// `RMDESK_HSTS=1`: served over TLS, so answers carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// Seconds between signed checkpoints of the audit chain (`RMDESK_CHECKPOINT_SECONDS`).
    pub checkpoint_seconds: u64,
    /// From `RMDESK_JWT_SECRET`; `None` means the secret kept in the data directory.
    pub jwt_secret: Option<String>,
    /// From `RMDESK_SEARCH_KEY`: the key of the national-ID search hashes; `None` means the key
    /// kept in the data directory.
    pub search_key: Option<String>,
    /// From `RMDESK_METRICS_TOKEN`: the bearer token of `GET /metrics`; `None` keeps it closed.
    pub metrics_token: Option<String>,
    pub token_ttl_seconds: i64,
    pub cors_origins: Vec<String>,
    pub db_pool_size: u32,
    pub workers: usize,
    /// The built dashboard (`frontend/dist`), from `RMDESK_FRONTEND_DIR`.
    pub frontend_dir: PathBuf,
    /// The business clock (`RMDESK_NOW`, `RMDESK_TIMEZONE`, P-2).
    pub clock: Clock,
    /// Seconds between the scheduler's looks at the calendar (`RMDESK_JOB_TICK_SECONDS`, default
    /// 15); `None` runs no scheduler (`RMDESK_JOBS=off`).
    pub job_tick_seconds: Option<u64>,
    /// Where webhooks may deliver besides public addresses (`RMDESK_WEBHOOK_ALLOWED_HOSTS`:
    /// comma-separated host names or CIDRs).
    pub webhook_guard: crate::webhooks::Guard,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("RMDESK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let number = |name: &str, default: i64| -> Result<i64, String> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("{name} must be a whole number (got {v:?})")),
            }
        };
        let behind_pooler = match var("DATABASE_POOLER").as_deref() {
            None | Some("none") => false,
            Some("transaction") => true,
            Some(other) => {
                return Err(format!(
                    "DATABASE_POOLER must be transaction or none (got {other:?})"
                ))
            }
        };
        let database = DbTarget {
            behind_pooler,
            ..match var("DATABASE_URL") {
                Some(url) => DbTarget::parse(&url)?,
                None => DbTarget::parse(&format!(
                    "sqlite://{}",
                    data_dir.join("rmdesk.sqlite3").display()
                ))?,
            }
        };
        let read_replica = match var("DATABASE_READ_URL") {
            None => None,
            Some(url) => Some((
                DbTarget {
                    behind_pooler,
                    ..DbTarget::parse(&url)?
                },
                std::time::Duration::from_millis(
                    number("RMDESK_READ_MAX_LAG_MS", 1000)?.clamp(0, 3_600_000) as u64,
                ),
            )),
        };
        let workers = number(
            "RMDESK_WORKERS",
            std::thread::available_parallelism()
                .map(|n| n.get() as i64)
                .unwrap_or(2),
        )?;
        Ok(Config {
            database,
            read_replica,
            bind: var("RMDESK_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir,
            admin_password: var("RMDESK_ADMIN_PASSWORD"),
            security_admin_password: var("RMDESK_SECURITY_ADMIN_PASSWORD"),
            hsts: var("RMDESK_HSTS").is_some_and(|v| v == "1" || v == "true"),
            checkpoint_seconds: number("RMDESK_CHECKPOINT_SECONDS", 300)?.clamp(1, 86_400) as u64,
            jwt_secret: var("RMDESK_JWT_SECRET"),
            search_key: var("RMDESK_SEARCH_KEY"),
            metrics_token: var("RMDESK_METRICS_TOKEN"),
            frontend_dir: var("RMDESK_FRONTEND_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_frontend_dir),
            token_ttl_seconds: token_ttl(number("RMDESK_TOKEN_TTL_SECONDS", 3600)?)?,
            cors_origins: var("RMDESK_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            db_pool_size: number("RMDESK_DB_POOL_SIZE", 8)?.clamp(1, 256) as u32,
            workers: workers.clamp(1, 64) as usize,
            clock: Clock::parse(var("RMDESK_NOW").as_deref())?
                .in_zone(Clock::parse_zone(var("RMDESK_TIMEZONE").as_deref())?),
            job_tick_seconds: match var("RMDESK_JOBS").as_deref() {
                Some("off") | Some("0") | Some("false") => None,
                _ => Some(number("RMDESK_JOB_TICK_SECONDS", 15)?.clamp(1, 3600) as u64),
            },
            webhook_guard: crate::webhooks::Guard::parse(
                var("RMDESK_WEBHOOK_ALLOWED_HOSTS").as_deref(),
            )?,
        })
    }
}

/// `frontend/dist` under the working directory, else the one of the source tree rmdesk was built
/// from (so `cargo run` works from any directory of the checkout).
fn default_frontend_dir() -> PathBuf {
    let here = PathBuf::from("frontend/dist");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/dist"))
}

/// The ceiling on a token's lifetime: a stolen token is good for at most this long, even if its
/// session is never ended.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 12 * 3600;

fn token_ttl(seconds: i64) -> Result<i64, String> {
    if (60..=MAX_TOKEN_TTL_SECONDS).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "RMDESK_TOKEN_TTL_SECONDS must be 60 to {MAX_TOKEN_TTL_SECONDS} (got {seconds})"
        ))
    }
}
