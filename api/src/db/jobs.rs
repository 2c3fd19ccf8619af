//! The jobs of the bank's calendar: their runs, the first date the scheduler answers for, the
//! PostgreSQL lock that lets one server of several run a job and date, and the notices the
//! required-checks job leaves on checks.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Date, Integer, Text};

use super::schema::{job_calendar, job_runs, required_check_notices, required_checks};
use super::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = job_runs, treat_none_as_null = true)]
pub struct JobRunRow {
    pub id: String,
    pub job: String,
    pub business_date: NaiveDate,
    /// 1 for the first attempt at this job and date.
    pub attempt: i32,
    /// `running`, `succeeded`, `failed` or `interrupted` (the server stopped during the run).
    pub status: String,
    /// `schedule`, or the username of the admin who ran it.
    pub run_by: String,
    pub server: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// What the run did, as JSON.
    pub counts: Option<String>,
    pub error: Option<String>,
    pub policy_version: Option<i64>,
}

pub fn insert_run(conn: &mut DbConn, row: &JobRunRow) -> AppResult<()> {
    diesel::insert_into(job_runs::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Ends a run: `succeeded` with what it did, or `failed` with the error.
pub fn finish_run(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    at: NaiveDateTime,
    counts: Option<String>,
    error: Option<String>,
    policy_version: Option<i64>,
) -> AppResult<()> {
    diesel::update(job_runs::table.find(id))
        .set((
            job_runs::status.eq(status),
            job_runs::finished_at.eq(Some(at)),
            job_runs::counts.eq(counts),
            job_runs::error.eq(error),
            job_runs::policy_version.eq(policy_version),
        ))
        .execute(conn)?;
    Ok(())
}

/// Runs of this job and date still marked `running` whose server is gone: the caller holds the
/// job's lock, so nobody is running them. Marked `interrupted`; returns how many.
pub fn interrupt_running(
    conn: &mut DbConn,
    job: &str,
    date: NaiveDate,
    at: NaiveDateTime,
) -> AppResult<usize> {
    Ok(diesel::update(
        job_runs::table
            .filter(job_runs::job.eq(job))
            .filter(job_runs::business_date.eq(date))
            .filter(job_runs::status.eq("running")),
    )
    .set((
        job_runs::status.eq("interrupted"),
        job_runs::finished_at.eq(Some(at)),
        job_runs::error.eq(Some(
            "the server stopped during the run; nothing of it was kept".to_string(),
        )),
    ))
    .execute(conn)?)
}

/// The runs of a job and date, oldest first.
pub fn runs_of(conn: &mut DbConn, job: &str, date: NaiveDate) -> AppResult<Vec<JobRunRow>> {
    Ok(job_runs::table
        .filter(job_runs::job.eq(job))
        .filter(job_runs::business_date.eq(date))
        .order(job_runs::attempt.asc())
        .load(conn)?)
}

/// `(job, date)` of every successful run on or after `since`.
pub fn succeeded_since(
    conn: &mut DbConn,
    since: NaiveDate,
) -> AppResult<HashSet<(String, NaiveDate)>> {
    Ok(job_runs::table
        .filter(job_runs::status.eq("succeeded"))
        .filter(job_runs::business_date.ge(since))
        .select((job_runs::job, job_runs::business_date))
        .load::<(String, NaiveDate)>(conn)?
        .into_iter()
        .collect())
}

/// Runs newest first, optionally of one job or status; `before` is the `started_at|id` of the
/// last row of the page before.
pub fn list(
    conn: &mut DbConn,
    job: Option<&str>,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> AppResult<Vec<JobRunRow>> {
    let mut q = job_runs::table.into_boxed();
    if let Some(job) = job {
        q = q.filter(job_runs::job.eq(job.to_string()));
    }
    if let Some(status) = status {
        q = q.filter(job_runs::status.eq(status.to_string()));
    }
    if let Some(after) = after {
        q = q.filter(job_runs::id.lt(after.to_string()));
    }
    Ok(q.order(job_runs::id.desc()).limit(limit + 1).load(conn)?)
}

/// The latest run of each job.
pub fn latest_of(conn: &mut DbConn, job: &str) -> AppResult<Option<JobRunRow>> {
    Ok(job_runs::table
        .filter(job_runs::job.eq(job))
        .order(job_runs::id.desc())
        .first(conn)
        .optional()?)
}

/// Job dates whose latest attempt failed or was interrupted and that have not succeeded since:
/// what a risk officer must see on the first screen.
pub fn unresolved_failures(conn: &mut DbConn) -> AppResult<Vec<JobRunRow>> {
    let failed: Vec<JobRunRow> = job_runs::table
        .filter(job_runs::status.eq_any(["failed", "interrupted"]))
        .order(job_runs::id.desc())
        .limit(200)
        .load(conn)?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for run in failed {
        if !seen.insert((run.job.clone(), run.business_date)) {
            continue;
        }
        let done = job_runs::table
            .filter(job_runs::job.eq(&run.job))
            .filter(job_runs::business_date.eq(run.business_date))
            .filter(job_runs::status.eq("succeeded"))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !done {
            out.push(run);
        }
    }
    Ok(out)
}

/// The first business date the scheduler answers for, once set.
pub fn stored_calendar_start(conn: &mut DbConn) -> AppResult<Option<NaiveDate>> {
    Ok(job_calendar::table
        .find(1)
        .select(job_calendar::starts_on)
        .first(conn)
        .optional()?)
}

/// The first business date the scheduler answers for, set to `first_start` the first time.
pub fn calendar_start(conn: &mut DbConn, first_start: NaiveDate) -> AppResult<NaiveDate> {
    if let Some(day) = stored_calendar_start(conn)? {
        return Ok(day);
    }
    diesel::insert_into(job_calendar::table)
        .values((
            job_calendar::id.eq(1),
            job_calendar::starts_on.eq(first_start),
        ))
        .execute(conn)?;
    Ok(first_start)
}

/// Makes the scheduler answer for the dates from `day` (the demo bank's year).
pub fn set_calendar_start(conn: &mut DbConn, day: NaiveDate) -> AppResult<()> {
    diesel::delete(job_calendar::table).execute(conn)?;
    diesel::insert_into(job_calendar::table)
        .values((job_calendar::id.eq(1), job_calendar::starts_on.eq(day)))
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Text)]
    holder: String,
}

/// PostgreSQL: takes the lease of a job and date for `seconds` unless another server holds it and
/// it has not lapsed; true when `holder` has it now. A lease, not a session lock, so that it holds
/// behind a transaction pooler and lapses with a dead server. SQLite has one server and always
/// answers true.
pub fn take_lease(
    conn: &mut DbConn,
    job: &str,
    date: NaiveDate,
    holder: &str,
    seconds: i32,
) -> AppResult<bool> {
    match conn {
        DbConn::Sqlite(_) => Ok(true),
        DbConn::Pg(c) => Ok(diesel::sql_query(
            "INSERT INTO job_leases (job, business_date, holder, until) \
             VALUES ($1, $2, $3, now() + make_interval(secs => $4)) \
             ON CONFLICT (job, business_date) DO UPDATE \
             SET holder = EXCLUDED.holder, until = EXCLUDED.until \
             WHERE job_leases.until < now() OR job_leases.holder = EXCLUDED.holder \
             RETURNING holder",
        )
        .bind::<Text, _>(job)
        .bind::<Date, _>(date)
        .bind::<Text, _>(holder)
        .bind::<Integer, _>(seconds)
        .get_result::<Holder>(c)
        .optional()?
        .is_some_and(|h| h.holder == holder)),
    }
}

/// Extends `holder`'s lease by `seconds` from now; false when it has lost it.
pub fn renew_lease(
    conn: &mut DbConn,
    job: &str,
    date: NaiveDate,
    holder: &str,
    seconds: i32,
) -> AppResult<bool> {
    match conn {
        DbConn::Sqlite(_) => Ok(true),
        DbConn::Pg(c) => Ok(diesel::sql_query(
            "UPDATE job_leases SET until = now() + make_interval(secs => $4) \
             WHERE job = $1 AND business_date = $2 AND holder = $3",
        )
        .bind::<Text, _>(job)
        .bind::<Date, _>(date)
        .bind::<Text, _>(holder)
        .bind::<Integer, _>(seconds)
        .execute(c)?
            == 1),
    }
}

pub fn release_lease(conn: &mut DbConn, job: &str, date: NaiveDate, holder: &str) -> AppResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(
            "DELETE FROM job_leases WHERE job = $1 AND business_date = $2 AND holder = $3",
        )
        .bind::<Text, _>(job)
        .bind::<Date, _>(date)
        .bind::<Text, _>(holder)
        .execute(c)?;
    }
    Ok(())
}

/// D-5: open required checks due on or before `until`, with no `notice` recorded yet.
pub fn open_checks_without(
    conn: &mut DbConn,
    notice: &str,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> AppResult<Vec<super::field_checks::RequiredCheckRow>> {
    let noticed = required_check_notices::table
        .filter(required_check_notices::notice.eq(notice.to_string()))
        .select(required_check_notices::required_check_id);
    let mut q = required_checks::table
        .filter(required_checks::closed_at.is_null())
        .filter(required_checks::due_on.le(until))
        .filter(required_checks::id.ne_all(noticed))
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(required_checks::due_on.ge(from));
    }
    Ok(q.order(required_checks::due_on.asc()).load(conn)?)
}

pub fn record_notice(
    conn: &mut DbConn,
    check_id: &str,
    notice: &str,
    on: NaiveDate,
    incident_id: Option<&str>,
) -> AppResult<()> {
    diesel::insert_into(required_check_notices::table)
        .values((
            required_check_notices::required_check_id.eq(check_id),
            required_check_notices::notice.eq(notice),
            required_check_notices::recorded_on.eq(on),
            required_check_notices::incident_id.eq(incident_id),
        ))
        .execute(conn)?;
    Ok(())
}
