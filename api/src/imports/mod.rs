//! Go-live imports: a bank's book (units, RMs, users, customers, relations, assignments with their
//! history, loans, complaints, metrics) loaded from its own files, found by its own keys
//! (`customer_no`, `employee_no`, `org_unit_code`), in one transaction per file.
//!
//! A dry run does everything an apply does, rules included, and rolls back: what it reports is
//! what the apply would refuse. The kinds a bank has in thousands go through the same commands as
//! the API, row by row under a savepoint, so every rule and audit event of the API applies; the
//! kinds it has in millions (customers, assignments, loans) are checked in bulk with the same
//! pure rules, written set-based and audited as one event naming the file's digest. Re-applying a
//! file changes nothing: rows are matched by business key, and a row that differs from the record
//! is refused rather than silently rewriting it.

pub mod cli;
pub mod fields;
pub mod read;

mod customers;
mod generic;
mod history;
mod loans;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::commands::Ctx;
use crate::db::audit::{self, Change};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::national_ids::SearchKey;
pub use fields::Mapping;
pub use read::Format;

crate::domain::text_enum! {
    /// What a file holds.
    Kind {
        OrgUnits => "org_units",
        Rms => "rms",
        Users => "users",
        Customers => "customers",
        Relations => "relations",
        Assignments => "assignments",
        Loans => "loans",
        Complaints => "complaints",
        Metrics => "metrics",
    }
}

/// One problem of a file: its line (1 is the header of a CSV or sheet), the field, the rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RowError {
    #[schema(example = 17)]
    pub line: usize,
    #[schema(example = "valid_from")]
    pub field: Option<String>,
    #[schema(example = "A-1")]
    pub rule: Option<String>,
    #[schema(example = "overlaps the primary assignment of line 12 (2019-03-01 to 2022-06-30)")]
    pub message: String,
}

impl RowError {
    pub fn line(line: usize, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: None,
            rule: None,
            message: message.into(),
        }
    }

    pub fn field(line: usize, field: &str, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: Some(field.into()),
            rule: None,
            message: message.into(),
        }
    }

    pub fn rule(line: usize, field: Option<&str>, rule: &str, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: field.map(str::to_string),
            rule: Some(rule.into()),
            message: message.into(),
        }
    }

    /// A command's refusal, as a line of the report (one per invalid field).
    pub fn of_app(line: usize, err: AppError) -> Vec<Self> {
        match err {
            AppError::Validation(fields) => fields
                .into_iter()
                .map(|f| RowError::field(line, &f.field, f.message))
                .collect(),
            AppError::Rule(v) | AppError::Denied(v) => {
                vec![RowError::rule(line, None, v.rule, v.detail)]
            }
            AppError::Internal(_) | AppError::Unavailable(_) => {
                vec![RowError::line(
                    line,
                    "an unexpected error occurred on this row",
                )]
            }
            other => vec![RowError::line(line, other.to_string())],
        }
    }
}

crate::domain::text_enum! {
    /// Where an import is.
    Phase {
        Reading => "reading",
        Validating => "validating",
        Writing => "writing",
        Done => "done",
    }
}

/// Rows written, matched unchanged, or updated.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// An import's progress while it runs, shared with whoever watches (the API, the command line).
/// Rows are counted with an atomic: the import reads a million of them.
#[derive(Debug, Clone)]
pub struct Progress(Arc<Tracked>);

#[derive(Debug)]
struct Tracked {
    phase: Mutex<Phase>,
    rows_read: std::sync::atomic::AtomicU64,
    rows_total: std::sync::atomic::AtomicU64,
    started: Instant,
}

/// What a watcher sees of an import's progress.
#[derive(Debug, Clone)]
pub struct ProgressState {
    pub phase: Phase,
    pub rows_read: u64,
    /// Known once the file is measured (lines of a CSV or NDJSON).
    pub rows_total: Option<u64>,
    pub started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Progress(Arc::new(Tracked {
            phase: Mutex::new(Phase::Reading),
            rows_read: Default::default(),
            rows_total: Default::default(),
            started: Instant::now(),
        }))
    }
}

impl Progress {
    pub fn phase(&self, phase: Phase) {
        if let Ok(mut p) = self.0.phase.lock() {
            *p = phase;
        }
    }

    pub fn row_read(&self) {
        self.0
            .rows_read
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn total(&self, rows: u64) {
        self.0
            .rows_total
            .store(rows, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ProgressState {
        let phase = match self.0.phase.lock() {
            Ok(p) => *p,
            Err(poisoned) => *poisoned.into_inner(),
        };
        let total = self.0.rows_total.load(std::sync::atomic::Ordering::Relaxed);
        ProgressState {
            phase,
            rows_read: self.0.rows_read.load(std::sync::atomic::Ordering::Relaxed),
            rows_total: (total > 0).then_some(total),
            started: self.0.started,
        }
    }

    /// Rows read per second so far.
    pub fn rate(state: &ProgressState) -> f64 {
        let secs = state.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            state.rows_read as f64 / secs
        } else {
            0.0
        }
    }
}

/// The file and how to read it.
pub struct Input {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    pub format: Format,
    pub mapping: Mapping,
    pub dry_run: bool,
    /// The import's id (the audit event's entity).
    pub id: String,
    pub sha256: String,
    pub file_name: Option<String>,
}

/// The running import's state, handed to the kind that reads it.
pub struct Job<'a> {
    pub ctx: &'a Ctx,
    pub caller: &'a Caller,
    /// Keys the national-ID hash of each customer written (M-3), so that an imported customer
    /// is found by its number at once and is never written twice.
    pub search_key: &'a SearchKey,
    pub errors: Vec<RowError>,
    pub counts: Counts,
    pub progress: &'a Progress,
}

impl Job<'_> {
    /// Reads the file, counting rows for the progress, and hands over each record that has its
    /// kind's required fields (the others, and what cannot be read, are in the report).
    pub fn each_record(
        &mut self,
        input: &Input,
        mut f: impl FnMut(&mut Self, read::Record) -> AppResult<()>,
    ) -> AppResult<()> {
        let mut unreadable = Vec::new();
        read::records(
            &input.bytes,
            input.format,
            &input.mapping,
            &mut unreadable,
            |record| {
                self.progress.row_read();
                if self.has_required(input.kind, &record) {
                    f(self, record)
                } else {
                    Ok(())
                }
            },
        )?;
        self.errors.extend(unreadable);
        Ok(())
    }

    /// Reports the required fields a record lacks; `false` when any is missing.
    fn has_required(&mut self, kind: Kind, record: &read::Record) -> bool {
        let mut ok = true;
        for f in fields::of(kind).iter().filter(|f| f.required) {
            if record.get(f.name).is_none() {
                self.errors
                    .push(RowError::field(record.line, f.name, "required"));
                ok = false;
            }
        }
        ok
    }
}

crate::domain::text_enum! {
    /// How an import ended.
    Status {
        Running => "running",
        /// Applied (or, for a dry run, would apply) without an error.
        Succeeded => "succeeded",
        /// The file has errors: nothing was written.
        Refused => "refused",
        /// The import could not run to its end (nothing was written).
        Failed => "failed",
    }
}

/// The report of a finished import.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub counts: Counts,
    pub errors: Vec<RowError>,
}

/// The most errors a report keeps (the total is counted).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// Why the import's transaction ended without committing.
enum Abort {
    /// A dry run, or a file with errors: the report stands, the writes do not.
    Report(Outcome),
    Error(AppError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Error(e.into())
    }
}

impl From<AppError> for Abort {
    fn from(e: AppError) -> Self {
        Abort::Error(e)
    }
}

/// Runs one import in one transaction: all of the file or nothing.
pub fn run(
    conn: &mut DbConn,
    caller: &Caller,
    search_key: &SearchKey,
    input: &Input,
    progress: &Progress,
) -> AppResult<Outcome> {
    progress.total(count_rows(input));
    let result = diesel::Connection::transaction(conn, |conn| -> Result<Outcome, Abort> {
        let ctx = Ctx::load(conn, caller)?;
        let mut job = Job {
            ctx: &ctx,
            caller,
            search_key,
            errors: Vec::new(),
            counts: Counts::default(),
            progress,
        };
        match input.kind {
            Kind::Customers => customers::run(conn, &mut job, input)?,
            Kind::Assignments => history::run(conn, &mut job, input)?,
            Kind::Loans => loans::run(conn, &mut job, input)?,
            _ => generic::run(conn, &mut job, input)?,
        }
        job.errors.sort_by_key(|e| e.line);
        let status = if job.errors.is_empty() {
            Status::Succeeded
        } else {
            Status::Refused
        };
        let outcome = Outcome {
            status,
            counts: job.counts,
            errors: job.errors,
        };
        if outcome.status != Status::Succeeded || input.dry_run {
            return Err(Abort::Report(outcome));
        }
        audit::record(
            conn,
            &ctx.actor,
            Change::new("import.apply", "import", &input.id, &ctx.scope).after(&serde_json::json!({
                "kind": input.kind.as_str(),
                "file_name": input.file_name,
                "sha256": input.sha256,
                "counts": outcome.counts,
                "note": "rows written by a go-live import, history included (A-1 checked on every day)",
            }))?,
        )?;
        Ok(outcome)
    });
    progress.phase(Phase::Done);
    match result {
        Ok(outcome) | Err(Abort::Report(outcome)) => Ok(outcome),
        Err(Abort::Error(e)) => Err(e),
    }
}

/// The rows of the file, for the progress bar: lines less the header (CSV), lines (NDJSON).
fn count_rows(input: &Input) -> u64 {
    let lines = memchr::memchr_iter(b'\n', &input.bytes).count() as u64
        + u64::from(!input.bytes.ends_with(b"\n") && !input.bytes.is_empty());
    match input.format {
        Format::Csv(_) => lines.saturating_sub(1),
        Format::Ndjson => lines,
        // A sheet is measured when it is opened; the zipped bytes say nothing.
        Format::Xlsx => 0,
    }
}

/// The business date a file gives (`2021-03-01`, `2021/03/01`, `20210301`).
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let t = text.trim();
    let t = t
        .get(..10)
        .filter(|_| t.len() > 10 && t.as_bytes()[10] == b' ')
        .unwrap_or(t);
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(t, f).ok())
}

/// The yes/no of a file (`true`, `1`, `Y`, `是`).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "y" | "yes" | "是" | "t" => Some(true),
        "false" | "0" | "n" | "no" | "否" | "f" => Some(false),
        _ => None,
    }
}

/// The imports this server runs now, with their progress (the rows say how they ended).
#[derive(Debug, Clone, Default)]
pub struct Running(Arc<Mutex<std::collections::HashMap<String, Progress>>>);

impl Running {
    pub fn progress(&self, id: &str) -> Option<ProgressState> {
        let running = self.0.lock().ok()?;
        running.get(id).map(Progress::snapshot)
    }

    fn add(&self, id: &str, progress: &Progress) {
        if let Ok(mut running) = self.0.lock() {
            running.insert(id.to_string(), progress.clone());
        }
    }

    fn remove(&self, id: &str) {
        if let Ok(mut running) = self.0.lock() {
            running.remove(id);
        }
    }
}

/// The file's SHA-256, hex: what the audit event and the report name it by.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Records that an import starts (visible at once to `GET /imports/{id}`), once the body has the
/// shape of a file of its kind ([`read::check_shape`]).
pub fn begin(
    conn: &mut DbConn,
    caller: &Caller,
    input: &Input,
) -> AppResult<crate::db::imports::ImportRow> {
    read::check_shape(&input.bytes, input.format, &input.mapping)?;
    let row = crate::db::imports::ImportRow {
        id: input.id.clone(),
        kind: input.kind.as_str().into(),
        dry_run: input.dry_run,
        file_name: input.file_name.clone(),
        sha256: input.sha256.clone(),
        status: Status::Running.as_str().into(),
        phase: Phase::Reading.as_str().into(),
        rows_read: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        errors: "[]".into(),
        errors_total: 0,
        created_by: caller.username.clone(),
        org_path: caller.org_path.clone(),
        started_at: caller.now(),
        finished_at: None,
    };
    crate::db::imports::insert(conn, &row)?;
    Ok(row)
}

/// Runs an import begun with [`begin`] on a writer connection and records how it ended. Blocking:
/// the server calls it off its async workers, the command line directly.
pub fn execute(
    db: &crate::db::Db,
    running: &Running,
    caller: &Caller,
    search_key: &SearchKey,
    input: &Input,
    progress: &Progress,
    mut row: crate::db::imports::ImportRow,
) -> AppResult<crate::db::imports::ImportRow> {
    running.add(&input.id, progress);
    let outcome = db
        .writer()
        .and_then(|mut conn| run(&mut conn, caller, search_key, input, progress));
    running.remove(&input.id);
    let outcome = outcome.unwrap_or_else(|e| match e {
        // The file itself is refused (not a workbook, not text in its encoding): line 0.
        AppError::Validation(_) | AppError::Malformed(_) | AppError::Rule(_) => Outcome {
            status: Status::Refused,
            counts: Counts::default(),
            errors: RowError::of_app(0, e),
        },
        e => {
            tracing::error!(import = %input.id, error = %e, "import failed");
            Outcome {
                status: Status::Failed,
                counts: Counts::default(),
                errors: vec![RowError::line(
                    0,
                    "the import stopped on an unexpected error; nothing was written",
                )],
            }
        }
    });
    row.status = outcome.status.as_str().into();
    row.phase = Phase::Done.as_str().into();
    row.rows_read = progress.snapshot().rows_read as i64;
    row.inserted = outcome.counts.inserted as i64;
    row.updated = outcome.counts.updated as i64;
    row.unchanged = outcome.counts.unchanged as i64;
    row.errors_total = outcome.errors.len() as i64;
    let shown: Vec<&RowError> = outcome.errors.iter().take(MAX_REPORTED_ERRORS).collect();
    row.errors = serde_json::to_string(&shown)?;
    row.finished_at = Some(caller.now());
    let mut conn = db.writer()?;
    diesel::Connection::transaction(&mut *conn, |conn| crate::db::imports::finish(conn, &row))?;
    db.written_by(&mut conn, &caller.user_id);
    Ok(row)
}
