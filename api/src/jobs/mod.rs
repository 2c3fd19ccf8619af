//! The scheduler of the bank's calendar (P-2): it runs each job of [`Job`] on its due business
//! dates in the bank's time zone, once per job and date, oldest first after downtime.
//!
//! A run is three transactions on one writer connection: the first marks it `running` (and marks
//! `interrupted` any earlier run of the same job and date whose server died), the second does the
//! job's work and marks it `succeeded` together, so a run killed midway leaves nothing but its
//! `running` row and is retried; the third marks a failure. With several servers on one
//! PostgreSQL a lease per job and date (`job_leases`, renewed while the run lasts, lapsing
//! [`LEASE_SECONDS`] after a dead server's last renewal) lets one of them run it, behind a
//! transaction pooler too, and a unique index admits one success per job and date whatever
//! happens.

mod work;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use diesel::Connection;

use crate::clock::Clock;
use crate::commands::Ctx;
use crate::db::audit::Actor;
use crate::db::jobs::{self as store, JobRunRow};
use crate::db::{self, Db, DbConn};
use crate::domain::calendar::Job;
use crate::error::{AppError, AppResult};

/// How long a job's lease holds without renewal: a dead server's job is taken over after this.
pub const LEASE_SECONDS: i32 = 30;

/// How far back a scheduler looks for missed dates, at most.
const LOOKBACK_DAYS: u64 = 400;

/// What asking for a run gave.
#[derive(Debug)]
pub enum Outcome {
    /// The run made now, succeeded or failed.
    Ran(JobRunRow),
    /// The job already succeeded for that date; nothing was run.
    AlreadyDone(JobRunRow),
    /// Another server is running this job and date right now.
    Busy,
}

#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    clock: Clock,
    signer: Arc<crate::anchor::Signer>,
    /// Which server made a run (host, process and instance), for the run's record.
    server: String,
    /// One run at a time in this process (SQLite has one writer; PostgreSQL runs are locked).
    one_at_a_time: Arc<Mutex<()>>,
}

impl Scheduler {
    pub fn new(db: Db, clock: Clock, signer: Arc<crate::anchor::Signer>) -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "rmdesk".into());
        let instance = uuid::Uuid::new_v4().simple().to_string();
        Scheduler {
            db,
            clock,
            signer,
            server: format!("{host}:{}:{}", std::process::id(), &instance[..8]),
            one_at_a_time: Arc::new(Mutex::new(())),
        }
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Looks at the calendar every `tick` on the server's runtime and runs what is due.
    pub fn spawn(self, tick: Duration) {
        actix_web::rt::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                let scheduler = self.clone();
                match actix_web::web::block(move || scheduler.catch_up("schedule")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "the scheduler could not look at the calendar")
                    }
                    Err(e) => tracing::error!(error = %e, "the scheduler's thread failed"),
                }
            }
        });
    }

    /// Runs every due job date not yet done, oldest first; returns the runs made. Blocking.
    /// `run_by` is `schedule` (or `demo` for the demo bank's year).
    pub fn catch_up(&self, run_by: &str) -> AppResult<Vec<JobRunRow>> {
        // A month's partition that cannot be made now is made at a later tick; its rows meanwhile
        // land in the default partition, so the calendar does not wait for it.
        if let Err(e) = self.partitions_ahead() {
            tracing::error!(error = %e, "could not make the monthly partitions ahead");
        }
        let mut made = Vec::new();
        for (job, date) in self.due()? {
            if let Outcome::Ran(run) = self.run(job, date, run_by)? {
                made.push(run);
            }
        }
        Ok(made)
    }

    /// The job dates due by now and not done, in the order they fell due (a failed one only once
    /// its back-off has passed).
    pub fn due(&self) -> AppResult<Vec<(Job, NaiveDate)>> {
        let today = self.clock.today();
        let now = self.clock.now();
        let mut reader = self.db.reader()?;
        let conn: &mut DbConn = &mut reader;
        let since = match store::stored_calendar_start(conn)? {
            Some(day) => day,
            None => {
                let mut writer = self.db.writer()?;
                let conn: &mut DbConn = &mut writer;
                conn.transaction(|conn| store::calendar_start(conn, first_of_month(today)))?
            }
        };
        let floor = today
            .checked_sub_days(chrono::Days::new(LOOKBACK_DAYS))
            .unwrap_or(today);
        let from = since.max(floor);
        let (_, policy) = db::policy::current(conn)?;
        let done = store::succeeded_since(conn, from)?;
        let mut due: Vec<(NaiveDateTime, usize, NaiveDate)> = Vec::new();
        for (order, job) in Job::ALL.iter().enumerate() {
            for date in job.due_dates(from, today, &policy) {
                let at = self.clock.instant_of(date, job.starts_at(&policy));
                if at <= now && !done.contains(&(job.as_str().to_string(), date)) {
                    due.push((at, order, date));
                }
            }
        }
        due.sort();
        let mut ready = Vec::with_capacity(due.len());
        for (_, order, date) in due {
            let job = Job::ALL[order];
            let runs = store::runs_of(conn, job.as_str(), date)?;
            if waiting_after_failure(&runs, now) {
                continue;
            }
            ready.push((job, date));
        }
        Ok(ready)
    }

    /// The next date each job is due on or after today, and when it may start (UTC).
    pub fn next_due(
        &self,
        job: Job,
        policy: &crate::domain::policy::Policy,
    ) -> Option<(NaiveDate, NaiveDateTime)> {
        let now = self.clock.now();
        let mut day = self.clock.today();
        for _ in 0..2 {
            let date = job.next_due(day, policy)?;
            let at = self.clock.instant_of(date, job.starts_at(policy));
            if at > now {
                return Some((date, at));
            }
            day = date.succ_opt()?;
        }
        None
    }

    /// Runs `job` for `date` now, unless it already succeeded or another server is running it.
    /// `run_by` is `schedule` or the admin's username. Blocking.
    pub fn run(&self, job: Job, date: NaiveDate, run_by: &str) -> AppResult<Outcome> {
        let _one = self
            .one_at_a_time
            .lock()
            .map_err(|_| AppError::Internal("the scheduler's lock was poisoned".into()))?;
        if self.db.backend == db::Backend::Sqlite {
            // One server, one writer: the process lock above is the job's lock, and the writer is
            // taken only for each transaction, so requests write between them.
            return self.run_locked(job, date, run_by);
        }
        // PostgreSQL: a lease, renewed on a thread of its own while the run lasts.
        let name = job.as_str();
        let taken = self
            .transaction(|conn| store::take_lease(conn, name, date, &self.server, LEASE_SECONDS))?;
        if !taken {
            return Ok(Outcome::Busy);
        }
        let renewal = Renewal::start(self.db.clone(), job, date, self.server.clone())?;
        let outcome = self.run_locked(job, date, run_by);
        drop(renewal);
        if let Err(e) =
            self.transaction(|conn| store::release_lease(conn, name, date, &self.server))
        {
            tracing::error!(error = %e, job = %job, %date, "could not release a job lease");
        }
        outcome
    }

    /// PostgreSQL: the monthly partitions of this business month and the next ones, made before
    /// their rows arrive.
    pub fn partitions_ahead(&self) -> AppResult<()> {
        if self.db.backend != db::Backend::Postgres {
            return Ok(());
        }
        let today = self.clock.today();
        for (table, month) in self.transaction(|conn| db::partitions::create_ahead(conn, today))? {
            tracing::info!(table, %month, "made a monthly partition");
        }
        Ok(())
    }

    /// Runs one transaction on a writer connection held only for it.
    fn transaction<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let mut writer = self.db.writer()?;
        let conn: &mut DbConn = &mut writer;
        conn.transaction(f)
    }

    fn run_locked(&self, job: Job, date: NaiveDate, run_by: &str) -> AppResult<Outcome> {
        let started = self.transaction(|conn| -> AppResult<Result<JobRunRow, JobRunRow>> {
            store::interrupt_running(conn, job.as_str(), date, self.clock.now())?;
            let runs = store::runs_of(conn, job.as_str(), date)?;
            if let Some(done) = runs.iter().find(|r| r.status == "succeeded") {
                return Ok(Err(done.clone()));
            }
            let row = JobRunRow {
                id: crate::http::new_id(),
                job: job.as_str().into(),
                business_date: date,
                attempt: runs.len() as i32 + 1,
                status: "running".into(),
                run_by: run_by.into(),
                server: self.server.clone(),
                started_at: self.clock.now(),
                finished_at: None,
                counts: None,
                error: None,
                policy_version: None,
            };
            store::insert_run(conn, &row)?;
            Ok(Ok(row))
        })?;
        let mut row = match started {
            Ok(row) => row,
            Err(done) => return Ok(Outcome::AlreadyDone(done)),
        };
        tracing::info!(job = %job, %date, attempt = row.attempt, "job started");
        let done = self.transaction(|conn| -> AppResult<(serde_json::Value, i64)> {
            let (version, policy) = db::policy::current(conn)?;
            let ctx = self.ctx(conn, &row.id, policy)?;
            let counts = work::run(conn, &ctx, &self.signer, job, date)?;
            store::finish_run(
                conn,
                &row.id,
                "succeeded",
                self.clock.now(),
                Some(counts.to_string()),
                None,
                Some(version),
            )?;
            Ok((counts, version))
        });
        row.finished_at = Some(self.clock.now());
        match done {
            Ok((counts, version)) => {
                tracing::info!(job = %job, %date, %counts, "job succeeded");
                row.status = "succeeded".into();
                row.counts = Some(counts.to_string());
                row.policy_version = Some(version);
            }
            Err(e) => {
                tracing::error!(job = %job, %date, error = %e, "job failed");
                let error = e.to_string();
                self.transaction(|conn| {
                    store::finish_run(
                        conn,
                        &row.id,
                        "failed",
                        self.clock.now(),
                        None,
                        Some(error.clone()),
                        None,
                    )?;
                    // Audited (and so published as `job.failed`) with the failure.
                    let root = db::org_units::root(conn)?
                        .ok_or_else(|| AppError::Internal("the bank has no head office".into()))?;
                    let actor = Actor::system(&format!("job:{}", row.id), self.clock);
                    db::audit::record(
                        conn,
                        &actor,
                        db::audit::Change::new("job.fail", "job_run", &row.id, &root.path).after(
                            &serde_json::json!({
                                "id": row.id,
                                "job": job.as_str(),
                                "business_date": date,
                                "attempt": row.attempt,
                                "status": "failed",
                                "error": error,
                            }),
                        )?,
                    )
                    .map(|_| ())
                })?;
                row.status = "failed".into();
                row.error = Some(error);
            }
        }
        Ok(Outcome::Ran(row))
    }

    /// The context a job runs in: the system, over the whole bank, on the business clock.
    fn ctx(
        &self,
        conn: &mut DbConn,
        run_id: &str,
        policy: crate::domain::policy::Policy,
    ) -> AppResult<Ctx> {
        let root = db::org_units::root(conn)?
            .ok_or_else(|| AppError::Internal("the bank has no head office".into()))?;
        Ok(Ctx {
            actor: Actor::system(&format!("job:{run_id}"), self.clock),
            scope: root.path,
            today: self.clock.today(),
            now: self.clock.now(),
            policy,
            approved_rules: Vec::new(),
        })
    }
}

/// After a failure, the next attempt waits 1, 2, 4 ... minutes, at most an hour.
fn waiting_after_failure(runs: &[JobRunRow], now: NaiveDateTime) -> bool {
    let Some(last) = runs.last() else {
        return false;
    };
    if last.status != "failed" {
        return false;
    }
    let minutes = 1i64 << (runs.len().min(7) - 1);
    let ended = last.finished_at.unwrap_or(last.started_at);
    now < ended + TimeDelta::minutes(minutes.min(60))
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Renews a job's lease every third of [`LEASE_SECONDS`] until dropped.
struct Renewal {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Renewal {
    fn start(db: Db, job: Job, date: NaiveDate, holder: String) -> AppResult<Self> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let every = Duration::from_secs(LEASE_SECONDS as u64 / 3);
        let thread = std::thread::Builder::new()
            .name("job-lease".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(every)
                {
                    let renewed = db.writer().map_err(AppError::from).and_then(|mut conn| {
                        store::renew_lease(&mut conn, job.as_str(), date, &holder, LEASE_SECONDS)
                    });
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::error!(job = %job, %date, "this server lost its job lease")
                        }
                        Err(e) => {
                            tracing::error!(error = %e, job = %job, %date, "could not renew a job lease")
                        }
                    }
                }
            })
            .map_err(|e| AppError::Internal(format!("cannot start the lease thread: {e}")))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
