//! Loans: the bank's loan facts by business key, handed to the bulk loan engine of
//! `POST /loans/batch` (R-1 registry checks, R-2 flags, R-6 maturity) with ids resolved.

use std::collections::HashMap;

use super::generic::object;
use super::{Input, Job, Phase, RowError};
use crate::commands::loans::{self as engine, Chunk};
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

const FACT_FIELDS: &[&str] = &[
    "loan_no",
    "balance",
    "originated_on",
    "classification",
    "interest_due",
    "interest_paid",
    "as_of",
    "days_past_due",
    "matures_on",
];

pub fn run(conn: &mut DbConn, job: &mut Job<'_>, input: &Input) -> AppResult<()> {
    let ctx = job.ctx;
    let rms: HashMap<String, String> = {
        let ids: Vec<String> = db::rms::ids_in_subtree(conn, &ctx.scope)?
            .into_iter()
            .collect();
        let mut found = HashMap::new();
        for part in ids.chunks(1000) {
            for r in db::rms::find_many(conn, part)? {
                found.insert(r.employee_no, r.id);
            }
        }
        found
    };
    let mut records = Vec::new();
    job.each_record(input, |_, r| {
        records.push(r);
        Ok(())
    })?;
    let progress = job.progress;
    let mut nos: Vec<String> = records
        .iter()
        .filter_map(|r| r.get("customer_no").map(str::to_string))
        .collect();
    nos.sort_unstable();
    nos.dedup();
    let customers: HashMap<String, String> = db::customers::by_customer_nos(conn, &nos)?
        .into_iter()
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .map(|c| (c.customer_no, c.id))
        .collect();
    let mut chunk = Chunk::default();
    for r in &records {
        let line = r.line;
        let customer_no = r.get("customer_no").unwrap_or_default();
        let employee_no = r.get("employee_no").unwrap_or_default();
        let Some(customer_id) = customers.get(customer_no) else {
            job.errors.push(RowError::field(
                line,
                "customer_no",
                format!("no customer with number `{customer_no}` in your scope"),
            ));
            continue;
        };
        let Some(rm_id) = rms.get(employee_no) else {
            job.errors.push(RowError::field(
                line,
                "employee_no",
                format!("no RM with employee number `{employee_no}` in your scope"),
            ));
            continue;
        };
        let mut body = match object(r, FACT_FIELDS) {
            Ok(b) => b,
            Err(e) => {
                job.errors.extend(RowError::of_app(line, e));
                continue;
            }
        };
        body.insert("customer_id".into(), customer_id.clone().into());
        body.insert("rm_id".into(), rm_id.clone().into());
        let raw = serde_json::to_vec(&serde_json::Value::Object(body))?;
        chunk.push(engine::parse_row(line, &raw));
    }
    drop(records);
    progress.phase(Phase::Writing);
    let report = engine::import(conn, ctx, std::iter::once(Ok::<_, AppError>(chunk)), false)?;
    for refused in report.refused {
        if refused.errors.is_empty() {
            job.errors.push(RowError {
                line: refused.line,
                field: None,
                rule: refused.rule.clone(),
                message: "refused".into(),
            });
        }
        for e in refused.errors {
            job.errors.push(RowError {
                line: refused.line,
                field: Some(e.field),
                rule: refused.rule.clone(),
                message: e.message,
            });
        }
    }
    job.counts.inserted += report.created as u64;
    job.counts.updated += (report.recorded - report.created) as u64;
    Ok(())
}
