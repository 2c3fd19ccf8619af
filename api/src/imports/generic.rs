//! The kinds a bank has in thousands (units, RMs, users, relations, complaints, metrics) go
//! through the API's own commands, one row at a time under a savepoint: the same validation, the
//! same rules, the same audit events as `POST /org-units`, `POST /rms` and the others. Business
//! keys are resolved to ids first; a row already on record is unchanged, one that differs from
//! the record is refused (an import adds the book, it does not rewrite it).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::Validate;

use super::read::Record;
use super::{parse_bool, parse_date, Input, Job, Kind, Phase, RowError};
use crate::commands::{conduct, customers, org_units, performance, rms, users};
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

pub fn run(conn: &mut DbConn, job: &mut Job<'_>, input: &Input) -> AppResult<()> {
    let mut records = Vec::new();
    job.each_record(input, |_, r| {
        records.push(r);
        Ok(())
    })?;
    let progress = job.progress;
    progress.phase(Phase::Writing);
    if input.kind == Kind::OrgUnits {
        records = parents_first(conn, records)?;
    }
    for record in records {
        let line = record.line;
        // A savepoint per row: a refused row leaves no trace and the import goes on to report
        // the next one.
        let done =
            diesel::Connection::transaction(conn, |conn| one_row(conn, job, input.kind, &record));
        match done {
            Ok(Written::Inserted) => job.counts.inserted += 1,
            Ok(Written::Updated) => job.counts.updated += 1,
            Ok(Written::Unchanged) => job.counts.unchanged += 1,
            Err(e) => job.errors.extend(RowError::of_app(line, e)),
        }
    }
    Ok(())
}

enum Written {
    Inserted,
    Updated,
    Unchanged,
}

fn one_row(conn: &mut DbConn, job: &Job<'_>, kind: Kind, r: &Record) -> AppResult<Written> {
    let ctx = job.ctx;
    match kind {
        Kind::OrgUnits => {
            let code = text(r, "code");
            let parent = unit(conn, job, r, "parent_code")?;
            if let Some(found) = db::org_units::by_code(conn, &code)? {
                let same = found.name == text(r, "name")
                    && found.kind == text(r, "kind")
                    && found.parent_id.as_deref() == Some(parent.as_str());
                return unchanged_or_differs(same, "code", "org unit", &code);
            }
            let mut body = object(r, &["name", "kind", "code"])?;
            body.insert("parent_id".into(), Value::String(parent));
            org_units::create(conn, ctx, parse(body)?)?;
            Ok(Written::Inserted)
        }
        Kind::Rms => {
            let employee_no = text(r, "employee_no");
            let unit_id = unit(conn, job, r, "org_unit_code")?;
            if let Some(found) = db::rms::by_employee_no(conn, &employee_no)? {
                let same = found.name == text(r, "name")
                    && found.national_id == text(r, "national_id")
                    && found.line == text(r, "line")
                    && found.grade == text(r, "grade")
                    && found.org_unit_id == unit_id;
                return unchanged_or_differs(same, "employee_no", "RM", &employee_no);
            }
            let mut body = object(
                r,
                &[
                    "employee_no",
                    "national_id",
                    "name",
                    "line",
                    "grade",
                    "qualified_on",
                    "counter_experience_years",
                    "bad_business_record",
                    "term_starts_on",
                ],
            )?;
            body.insert("org_unit_id".into(), Value::String(unit_id));
            rms::appoint(conn, ctx, &job.caller.org_unit_id, parse(body)?)?;
            Ok(Written::Inserted)
        }
        Kind::Users => {
            let username = text(r, "username");
            let unit_id = unit(conn, job, r, "org_unit_code")?;
            let rm_id = match r.get("employee_no") {
                Some(_) => Some(rm(conn, job, r, "employee_no")?),
                None => None,
            };
            let mut body = object(r, &["username", "display_name", "roles"])?;
            let roles = body.get("roles").cloned().unwrap_or(Value::Null);
            if let Some(found) = db::users::find_by_username(conn, &username)? {
                let listed: Vec<String> = serde_json::from_value(roles).unwrap_or_default();
                let mut on_record: Vec<&str> =
                    found.roles.split(',').filter(|s| !s.is_empty()).collect();
                let mut wanted: Vec<&str> = listed.iter().map(String::as_str).collect();
                on_record.sort_unstable();
                wanted.sort_unstable();
                let same = found.display_name == text(r, "display_name")
                    && found.org_unit_id == unit_id
                    && found.rm_id == rm_id
                    && on_record == wanted;
                return unchanged_or_differs(same, "username", "user", &username);
            }
            // A user without an initial password gets an unguessable one: an admin sets theirs.
            let password = r
                .get("password")
                .map(str::to_string)
                .unwrap_or_else(|| crate::http::new_id() + &crate::http::new_id());
            body.insert("password".into(), Value::String(password.clone()));
            body.insert("org_unit_id".into(), Value::String(unit_id));
            if let Some(rm_id) = rm_id {
                body.insert("rm_id".into(), Value::String(rm_id));
            }
            let new: users::NewUser = parse(body)?;
            let hash = crate::auth::password::hash(&password)?;
            users::create_or_request(conn, ctx, job.caller, new, hash)?;
            Ok(Written::Inserted)
        }
        Kind::Relations => {
            let customer_id = customer(conn, job, r, "customer_no")?;
            let related = customer(conn, job, r, "related_customer_no")?;
            let kind = text(r, "kind");
            if db::customers::has_relation(conn, &customer_id, &related, &kind)? {
                return Ok(Written::Unchanged);
            }
            let mut body = object(r, &["kind"])?;
            body.insert("related_customer_id".into(), Value::String(related));
            customers::relate(conn, ctx, &customer_id, parse(body)?)?;
            Ok(Written::Inserted)
        }
        Kind::Complaints => {
            let mut body = object(r, &["received_on", "verified", "summary"])?;
            let customer_id = customer(conn, job, r, "customer_no")?;
            let rm_id = rm(conn, job, r, "employee_no")?;
            body.insert("customer_id".into(), Value::String(customer_id.clone()));
            body.insert("rm_id".into(), Value::String(rm_id.clone()));
            let new: conduct::NewComplaint = parse(body)?;
            if db::conduct::has_complaint(
                conn,
                &customer_id,
                &rm_id,
                new.received_on,
                &new.summary,
            )? {
                return Ok(Written::Unchanged);
            }
            conduct::complain(conn, ctx, new)?;
            Ok(Written::Inserted)
        }
        Kind::Metrics => {
            let figures: Vec<&str> = super::fields::of(Kind::Metrics)
                .iter()
                .map(|f| f.name)
                .filter(|n| *n != "employee_no")
                .collect();
            let mut body = object(r, &figures)?;
            body.insert(
                "rm_id".into(),
                Value::String(rm(conn, job, r, "employee_no")?),
            );
            let new: performance::MonthMetrics = parse(body)?;
            let mut wanted = performance::to_row(ctx, &new)?;
            match db::performance::metrics_of(conn, &wanted.rm_id, &wanted.month)? {
                Some(found) => {
                    wanted.recorded_by = found.recorded_by.clone();
                    wanted.recorded_at = found.recorded_at;
                    if serde_json::to_value(&found)? == serde_json::to_value(&wanted)? {
                        return Ok(Written::Unchanged);
                    }
                    performance::record_metrics(conn, ctx, &[new])?;
                    Ok(Written::Updated)
                }
                None => {
                    performance::record_metrics(conn, ctx, &[new])?;
                    Ok(Written::Inserted)
                }
            }
        }
        Kind::Customers | Kind::Assignments | Kind::Loans => Err(AppError::Internal(format!(
            "{} are imported in bulk",
            kind.as_str()
        ))),
    }
}

fn unchanged_or_differs(same: bool, field: &str, what: &str, key: &str) -> AppResult<Written> {
    if same {
        Ok(Written::Unchanged)
    } else {
        Err(AppError::field(
            field,
            format!(
                "the {what} `{key}` is on record with other values; an import adds to the book \
                 and never rewrites it: change it through the API"
            ),
        ))
    }
}

/// A unit of the caller's scope by its code.
fn unit(conn: &mut DbConn, job: &Job<'_>, r: &Record, field: &str) -> AppResult<String> {
    let code = text(r, field);
    db::org_units::by_code(conn, &code)?
        .filter(|u| in_scope(&job.ctx.scope, &u.path))
        .map(|u| u.id)
        .ok_or_else(|| {
            AppError::field(
                field,
                format!("no org unit with code `{code}` in your scope"),
            )
        })
}

/// An RM of the caller's scope by employee number.
pub fn rm(conn: &mut DbConn, job: &Job<'_>, r: &Record, field: &str) -> AppResult<String> {
    let no = text(r, field);
    db::rms::by_employee_no(conn, &no)?
        .filter(|x| in_scope(&job.ctx.scope, &x.org_path))
        .map(|x| x.id)
        .ok_or_else(|| {
            AppError::field(
                field,
                format!("no RM with employee number `{no}` in your scope"),
            )
        })
}

/// A customer of the caller's scope by customer number.
pub fn customer(conn: &mut DbConn, job: &Job<'_>, r: &Record, field: &str) -> AppResult<String> {
    let no = text(r, field);
    db::customers::by_customer_no(conn, &no)?
        .filter(|c| in_scope(&job.ctx.scope, &c.org_path))
        .map(|c| c.id)
        .ok_or_else(|| {
            AppError::field(
                field,
                format!("no customer with number `{no}` in your scope"),
            )
        })
}

fn text(r: &Record, field: &str) -> String {
    r.get(field).unwrap_or_default().to_string()
}

/// The record's fields as the JSON the API's request bodies take.
pub fn object(r: &Record, names: &[&str]) -> AppResult<Map<String, Value>> {
    let mut body = Map::new();
    for name in names {
        if let Some(text) = r.get(name) {
            body.insert((*name).to_string(), json_of(name, text)?);
        }
    }
    Ok(body)
}

/// A cell as the JSON value its field takes: yes/no, whole numbers, lists, dates; else text.
fn json_of(field: &str, text: &str) -> AppResult<Value> {
    let bad = |what: &str| AppError::field(field, format!("`{text}` is not {what}"));
    Ok(match field {
        "bad_business_record" | "is_key_account" | "is_vip" | "verified" => {
            Value::Bool(parse_bool(text).ok_or_else(|| bad("yes or no"))?)
        }
        "counter_experience_years"
        | "new_loan_accounts"
        | "managed_accounts_increase"
        | "new_bank_cards"
        | "payroll_customers_under_50"
        | "payroll_customers_50_or_more"
        | "personal_ebank"
        | "corporate_ebank"
        | "pos_merchants"
        | "days_past_due" => Value::from(text.parse::<i64>().map_err(|_| bad("a whole number"))?),
        "roles" | "categories" => Value::Array(
            text.split([',', ';', '|', '、', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        f if f.ends_with("_on") || f == "as_of" => Value::String(
            parse_date(text)
                .ok_or_else(|| bad("a date (YYYY-MM-DD)"))?
                .to_string(),
        ),
        _ => Value::String(text.to_string()),
    })
}

/// A request body of the API, validated as the API validates it (a wrong value names its field).
pub fn parse<T: DeserializeOwned + Validate>(body: Map<String, Value>) -> AppResult<T> {
    let value: T = serde_path_to_error::deserialize(Value::Object(body)).map_err(|err| {
        let field = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = match message.strip_prefix("missing field `") {
            Some(rest) if field == "." => rest.split('`').next().unwrap_or("body").to_string(),
            _ => field,
        };
        AppError::Validation(vec![crate::error::FieldError::new(field, message)])
    })?;
    value
        .validate()
        .map_err(|e| AppError::Validation(crate::http::field_errors(&e)))?;
    Ok(value)
}

/// Units whose parent is in the same file come after it.
fn parents_first(conn: &mut DbConn, records: Vec<Record>) -> AppResult<Vec<Record>> {
    let mut known: std::collections::HashSet<String> = db::org_units::all(conn)?
        .into_iter()
        .filter_map(|u| u.code)
        .collect();
    let mut pending = records;
    let mut ordered = Vec::with_capacity(pending.len());
    loop {
        let before = pending.len();
        let (ready, rest): (Vec<Record>, Vec<Record>) = pending
            .into_iter()
            .partition(|r| r.get("parent_code").is_none_or(|p| known.contains(p)));
        for r in &ready {
            if let Some(code) = r.get("code") {
                known.insert(code.to_string());
            }
        }
        ordered.extend(ready);
        pending = rest;
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    // What is left names a parent nowhere to be found: reported by its row.
    ordered.extend(pending);
    Ok(ordered)
}
