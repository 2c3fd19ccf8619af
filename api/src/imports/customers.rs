//! Customers in bulk: each row is validated as `POST /customers` validates its body (the same
//! request type), placed in a unit of the caller's scope by its code, and written in multi-row
//! inserts as it is read. A customer number already on record with the same name, kind and unit is
//! unchanged; with anything else it is refused. Customers entering A-6 get their required checks as
//! through the API.

use std::collections::HashMap;

use super::generic::{object, parse};
use super::read::Record;
use super::{Input, Job, Phase, RowError};
use crate::commands::customers::{new_row, NewCustomer};
use crate::commands::field_checks;
use crate::db::customers::CustomerRow;
use crate::db::org_units::OrgUnitRow;
use crate::db::schema::customers;
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

const BATCH: usize = 5000;

const BODY_FIELDS: &[&str] = &[
    "customer_no",
    "name",
    "kind",
    "size",
    "tier",
    "categories",
    "is_key_account",
    "is_vip",
    "national_id",
    "phone",
];

struct Known {
    name: String,
    kind: String,
    org_unit_id: String,
    in_scope: bool,
}

pub fn run(conn: &mut DbConn, job: &mut Job<'_>, input: &Input) -> AppResult<()> {
    let ctx = job.ctx;
    let units: HashMap<String, OrgUnitRow> = db::org_units::all(conn)?
        .into_iter()
        .filter(|u| in_scope(&ctx.scope, &u.path))
        .filter_map(|u| Some((u.code.clone()?, u)))
        .collect();
    let known: HashMap<String, Known> = db::customers::keyed(conn)?
        .into_iter()
        .map(|(no, name, kind, org_unit_id, path)| {
            let in_scope = in_scope(&ctx.scope, &path);
            (
                no,
                Known {
                    name,
                    kind,
                    org_unit_id,
                    in_scope,
                },
            )
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut batch: Vec<CustomerRow> = Vec::with_capacity(BATCH);
    let mut entering_a6: Vec<CustomerRow> = Vec::new();
    let mut inserted = 0usize;
    job.each_record(input, |job, record| {
        match one(&record, job, &units, &known, &mut seen) {
            Ok(Some(row)) => {
                if row.needs_second_rm_since.is_some() {
                    entering_a6.push(row.clone());
                }
                batch.push(row);
                if batch.len() == BATCH {
                    inserted += batch.len();
                    write(conn, &mut batch)?;
                }
            }
            Ok(None) => job.counts.unchanged += 1,
            Err(errors) => job.errors.extend(errors),
        }
        Ok(())
    })?;
    let progress = job.progress;
    progress.phase(Phase::Writing);
    inserted += batch.len();
    write(conn, &mut batch)?;
    job.counts.inserted += inserted as u64;
    db::after_bulk_write(conn, "customers", inserted)?;
    // Rows the database keeps from the customers (issue 22) grew with them.
    db::after_bulk_write(conn, "customer_categories", inserted)?;
    db::after_bulk_write(conn, "second_rm_queue", inserted)?;
    if job.errors.is_empty() {
        for part in entering_a6.chunks(BATCH) {
            field_checks::on_entering_a6_many(conn, ctx, part)?;
        }
    }
    Ok(())
}

/// A new customer's row, `None` for one already on record as the file has it.
fn one(
    record: &Record,
    job: &Job<'_>,
    units: &HashMap<String, OrgUnitRow>,
    known: &HashMap<String, Known>,
    seen: &mut HashMap<String, usize>,
) -> Result<Option<CustomerRow>, Vec<RowError>> {
    let line = record.line;
    let no = record.get("customer_no").unwrap_or_default().to_string();
    if let Some(first) = seen.insert(no.clone(), line) {
        return Err(vec![RowError::field(
            line,
            "customer_no",
            format!("customer `{no}` is also on line {first}"),
        )]);
    }
    let code = record.get("org_unit_code").unwrap_or_default();
    let Some(unit) = units.get(code) else {
        return Err(vec![RowError::field(
            line,
            "org_unit_code",
            format!("no org unit with code `{code}` in your scope"),
        )]);
    };
    let new: NewCustomer = object(record, BODY_FIELDS)
        .and_then(|mut body| {
            body.insert("org_unit_id".into(), unit.id.clone().into());
            parse(body)
        })
        .map_err(|e| RowError::of_app(line, e))?;
    if let Some(k) = known.get(&no) {
        let same = k.in_scope
            && k.name == new.name.trim()
            && k.kind == new.kind.as_str()
            && k.org_unit_id == unit.id;
        return if same {
            Ok(None)
        } else {
            Err(RowError::of_app(
                line,
                AppError::field(
                    "customer_no",
                    format!(
                        "customer `{no}` is on record with another name, kind or unit; an import \
                         adds to the book and never rewrites it: change it through the API"
                    ),
                ),
            ))
        };
    }
    let mut row = new_row(job.ctx, new, unit.clone());
    row.national_id_hash = row.national_id.as_deref().map(|n| job.search_key.digest(n));
    Ok(Some(row))
}

fn write(conn: &mut DbConn, batch: &mut Vec<CustomerRow>) -> AppResult<()> {
    use diesel::RunQueryDsl;
    crate::db::copy_rows!(conn, customers::table, batch.as_slice());
    batch.clear();
    Ok(())
}
