//! Assignments with their history: the bank's years of who held whom, loaded as
//! history. Each customer's rows, with what rmdesk already records for it, must hold A-1 on every
//! day (primaries never overlap; an assistant or team member only while a primary holds the
//! customer; an RM holds a customer once at a time); rows still in force must hold today's rules
//! (A-4 eligibility and line, A-5 grade) and, on the state the import produces, A-3 caps. Tenure
//! counts from the first day of an unbroken holding, so the rotation queue sees the years
//! before go-live. A row on record is unchanged; a row that contradicts the record is refused.
//!
//! `valid_to` is the day the assignment ended, as in the API: the row covers `valid_from` up to,
//! not including, `valid_to`, so a successor starting that day follows without a gap.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use super::read::Record;
use super::{parse_date, Input, Job, Phase, RowError};
use crate::commands::assignments::facts_without_load;
use crate::db::assignments::{bp_of, AssignmentRow};
use crate::db::rms::RmRow;
use crate::db::schema::assignments;
use crate::db::{self, DbConn};
use crate::domain::assignment::{self as rules, AssignmentRole, CustomerFacts, RmFacts};
use crate::domain::customer::{split_categories, CustomerKind};
use crate::domain::org::in_scope;
use crate::error::AppResult;

/// What the rules read of a customer the file names.
struct Held {
    id: String,
    kind: CustomerKind,
    categories: Vec<crate::domain::customer::Category>,
    is_key_account: bool,
    is_vip: bool,
    org_path: Arc<str>,
}

/// One row of the file, parsed.
struct Parsed {
    line: usize,
    customer_no: Box<str>,
    /// The RM, by position in the scope's RMs.
    rm: u32,
    role: AssignmentRole,
    share: Option<Decimal>,
    from: NaiveDate,
    to: Option<NaiveDate>,
    /// `None`: "import".
    reason: Option<Box<str>>,
}

/// A row of a customer's history, from the file (`line > 0`) or on record (`line == 0`).
#[derive(Clone)]
struct Span {
    line: usize,
    rm_id: String,
    role: AssignmentRole,
    from: NaiveDateTime,
    to: Option<NaiveDateTime>,
    held_since: NaiveDateTime,
}

impl Span {
    fn overlaps(&self, other: &Span) -> bool {
        let a_before_b_ends = other.to.is_none_or(|end| self.from < end);
        let b_before_a_ends = self.to.is_none_or(|end| other.from < end);
        a_before_b_ends && b_before_a_ends
    }
}

pub fn run(conn: &mut DbConn, job: &mut Job<'_>, input: &Input) -> AppResult<()> {
    let rms: Vec<RmRow> = all_rms_in_scope(conn, &job.ctx.scope)?;
    let rm_of: HashMap<&str, u32> = rms
        .iter()
        .enumerate()
        .map(|(i, r)| (r.employee_no.as_str(), i as u32))
        .collect();
    let mut parsed = Vec::new();
    job.each_record(input, |job, record| {
        match parse(&record, job.ctx.today, &rm_of) {
            Ok(p) => parsed.push(p),
            Err(e) => job.errors.extend(e),
        }
        Ok(())
    })?;
    let progress = job.progress;
    progress.phase(Phase::Validating);

    let ctx = job.ctx;
    let clock = ctx.actor.clock;
    let at = |d: NaiveDate| clock.instant_of(d, NaiveTime::MIN);
    let mut nos: Vec<String> = parsed.iter().map(|p| p.customer_no.to_string()).collect();
    nos.sort_unstable();
    nos.dedup();
    // Kept compact: a bank's million customers share a few hundred unit paths.
    let mut paths: HashMap<String, Arc<str>> = HashMap::new();
    let mut customers: HashMap<String, Held> = HashMap::with_capacity(nos.len());
    for part in nos.chunks(1000) {
        for c in db::customers::by_customer_nos(conn, part)? {
            if !in_scope(&ctx.scope, &c.org_path) {
                continue;
            }
            let path = paths
                .entry(c.org_path.clone())
                .or_insert_with(|| Arc::from(c.org_path.as_str()))
                .clone();
            let held = Held {
                id: c.id,
                kind: CustomerKind::stored(&c.kind)?,
                categories: split_categories(&c.categories),
                is_key_account: c.is_key_account,
                is_vip: c.is_vip,
                org_path: path,
            };
            customers.insert(c.customer_no, held);
        }
    }
    drop(nos);
    let ids: Vec<String> = customers.values().map(|c| c.id.clone()).collect();
    let mut on_record: HashMap<String, Vec<AssignmentRow>> = HashMap::new();
    for row in db::assignments::of_customers(conn, &ids)? {
        on_record
            .entry(row.customer_id.clone())
            .or_default()
            .push(row);
    }
    drop(ids);

    parsed.sort_by(|a, b| (&a.customer_no, a.from, a.line).cmp(&(&b.customer_no, b.from, b.line)));
    let mut facts_cache: HashMap<String, RmFacts> = HashMap::new();
    let mut batch: Vec<AssignmentRow> = Vec::with_capacity(BATCH);
    let mut inserted = 0usize;
    // For A-3 on the produced state: the file's rows in force, by RM.
    let mut current_by_rm: HashMap<String, Vec<usize>> = HashMap::new();
    let created_by = ctx
        .actor
        .user_id
        .clone()
        .unwrap_or_else(|| ctx.actor.username.clone());
    let mut start = 0;
    while start < parsed.len() {
        let no = parsed[start].customer_no.clone();
        let end = start
            + parsed[start..]
                .iter()
                .take_while(|p| p.customer_no == no)
                .count();
        let group = &parsed[start..end];
        start = end;
        let Some(customer) = customers.get(&*no) else {
            for p in group {
                job.errors.push(RowError::field(
                    p.line,
                    "customer_no",
                    format!("no customer with number `{no}` in your scope"),
                ));
            }
            continue;
        };
        let facts = CustomerFacts {
            kind: customer.kind,
            categories: customer.categories.clone(),
            is_key_account: customer.is_key_account,
            is_vip: customer.is_vip,
            org_path: customer.org_path.to_string(),
        };
        let recorded = on_record.remove(&customer.id).unwrap_or_default();
        let mut spans: Vec<Span> = recorded
            .iter()
            .map(|a| -> AppResult<Span> {
                Ok(Span {
                    line: 0,
                    rm_id: a.rm_id.clone(),
                    role: AssignmentRole::stored(&a.role)?,
                    from: a.valid_from,
                    to: a.valid_to,
                    held_since: a.held_since,
                })
            })
            .collect::<AppResult<_>>()?;
        let mut fresh: Vec<(usize, &Parsed, &RmRow)> = Vec::new();
        for p in group {
            let rm = &rms[p.rm as usize];
            let (from, to) = (at(p.from), p.to.map(at));
            match recorded
                .iter()
                .find(|a| a.rm_id == rm.id && a.role == p.role.as_str() && a.valid_from == from)
            {
                Some(a) if a.valid_to == to => {
                    job.counts.unchanged += 1;
                    continue;
                }
                Some(_) => {
                    job.errors.push(RowError::rule(
                        p.line,
                        Some("valid_to"),
                        "A-1",
                        "this assignment is on record with another end; history is never rewritten",
                    ));
                    continue;
                }
                None => {}
            }
            spans.push(Span {
                line: p.line,
                rm_id: rm.id.clone(),
                role: p.role,
                from,
                to,
                held_since: from,
            });
            fresh.push((spans.len() - 1, p, rm));
        }
        let before = job.errors.len();
        check_history(&spans, &clock, &mut job.errors);
        if job.errors.len() > before {
            continue;
        }
        // an RM who held the customer in the same role up to this row's first day has held
        // it since then.
        spans.sort_by_key(|s| s.from);
        for i in 0..spans.len() {
            if spans[i].line == 0 {
                continue;
            }
            let predecessor = spans[..i].iter().find(|s| {
                s.rm_id == spans[i].rm_id && s.role == spans[i].role && s.to == Some(spans[i].from)
            });
            if let Some(since) = predecessor.map(|s| s.held_since) {
                spans[i].held_since = since;
            }
        }
        for (_, p, rm) in fresh {
            let Some(span) = spans.iter().find(|s| s.line == p.line) else {
                continue;
            };
            if span.to.is_none() {
                let rm_facts = match facts_cache.get(&rm.id) {
                    Some(f) => f.clone(),
                    None => {
                        let f = facts_without_load(conn, rm)?;
                        facts_cache.insert(rm.id.clone(), f.clone());
                        f
                    }
                };
                if let Err(v) = rules::check_eligible(&rm_facts, &facts, ctx.today, &ctx.policy)
                    .and_then(|()| rules::check_grade(&rm_facts, &facts, p.role))
                {
                    job.errors.push(RowError::rule(
                        p.line,
                        Some("employee_no"),
                        v.rule,
                        v.detail,
                    ));
                    continue;
                }
                if facts.is_key_account || facts.is_vip {
                    current_by_rm.entry(rm.id.clone()).or_default().push(p.line);
                }
            }
            let share = p
                .share
                .unwrap_or_else(|| default_share(p.role, span, &spans, ctx));
            batch.push(AssignmentRow {
                id: crate::http::new_id(),
                customer_id: customer.id.clone(),
                rm_id: rm.id.clone(),
                role: p.role.as_str().into(),
                share_bp: bp_of(share),
                reason: p.reason.as_deref().unwrap_or("import").to_string(),
                valid_from: span.from,
                valid_to: span.to,
                held_since: span.held_since,
                created_by: created_by.clone(),
            });
            if batch.len() == BATCH {
                inserted += write(conn, &mut batch)?;
            }
        }
    }
    drop(parsed);
    progress.phase(Phase::Writing);
    inserted += write(conn, &mut batch)?;
    job.counts.inserted += inserted as u64;
    db::after_bulk_write(conn, "assignments", inserted)?;
    db::after_bulk_write(conn, "second_rm_queue", inserted)?;
    if !job.errors.is_empty() {
        // The transaction rolls back; the caps of a refused file are not worth counting.
        return Ok(());
    }

    // A-3 on the state the import produced: no RM it gave a key account or VIP is above a cap.
    let touched: Vec<String> = current_by_rm.keys().cloned().collect();
    let loads = db::assignments::rm_loads(conn, &touched)?;
    for (rm_id, lines) in current_by_rm {
        let Some(mut facts) = facts_cache.get(&rm_id).cloned() else {
            continue;
        };
        (facts.key_accounts, facts.vip_customers) = loads.get(&rm_id).copied().unwrap_or_default();
        let counted = CustomerFacts {
            kind: CustomerKind::Corporate,
            categories: vec![],
            is_key_account: true,
            is_vip: true,
            org_path: facts.org_path.clone(),
        };
        if let Err(v) = rules::check_within_cap(&facts, &counted, &ctx.policy) {
            let last = lines.iter().copied().max().unwrap_or(0);
            job.errors
                .push(RowError::rule(last, Some("employee_no"), v.rule, v.detail));
        }
    }
    Ok(())
}

const BATCH: usize = 5000;

/// Writes a batch of new rows (the import's transaction keeps them until it commits).
fn write(conn: &mut DbConn, batch: &mut Vec<AssignmentRow>) -> AppResult<usize> {
    use diesel::RunQueryDsl;
    let n = batch.len();
    crate::db::copy_rows!(conn, assignments::table, batch.as_slice());
    batch.clear();
    Ok(n)
}

/// Every RM of the scope, serving or not (history names RMs who have since left).
fn all_rms_in_scope(conn: &mut DbConn, scope: &str) -> AppResult<Vec<RmRow>> {
    let ids: Vec<String> = db::rms::ids_in_subtree(conn, scope)?.into_iter().collect();
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(1000) {
        found.extend(db::rms::find_many(conn, part)?);
    }
    Ok(found)
}

fn parse(
    r: &Record,
    today: NaiveDate,
    rm_of: &HashMap<&str, u32>,
) -> Result<Parsed, Vec<RowError>> {
    let line = r.line;
    let mut errors = Vec::new();
    let text = |f: &str| r.get(f).unwrap_or_default().to_string();
    let role =
        AssignmentRole::parse(&text("role").to_ascii_lowercase()).or(match text("role").as_str() {
            "主办" | "责任人" | "主管户" => Some(AssignmentRole::Primary),
            "协办" | "协助人" | "协管户" => Some(AssignmentRole::Assistant),
            "团队成员" => Some(AssignmentRole::TeamMember),
            _ => None,
        });
    if role.is_none() {
        errors.push(RowError::field(
            line,
            "role",
            format!(
                "`{}` is not a role: primary (主办), assistant (协办) or team_member (团队成员)",
                text("role")
            ),
        ));
    }
    let share = match r.get("share") {
        None => None,
        Some(s) => match s.trim_end_matches('%').parse::<Decimal>() {
            Ok(v) if s.ends_with('%') && v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED => {
                Some(v / Decimal::ONE_HUNDRED)
            }
            Ok(v) if !s.ends_with('%') && v > Decimal::ZERO && v <= Decimal::ONE => Some(v),
            _ => {
                errors.push(RowError::rule(
                    line,
                    Some("share"),
                    "A-7",
                    format!("`{s}` is not a share between 0 and 1 (or a percentage)"),
                ));
                None
            }
        },
    };
    let date = |field: &str, errors: &mut Vec<RowError>| -> Option<NaiveDate> {
        let t = r.get(field)?;
        match parse_date(t) {
            Some(d) if d > today => {
                errors.push(RowError::field(
                    line,
                    field,
                    format!("{d} is after today ({today}): an import loads what has happened"),
                ));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(RowError::field(
                    line,
                    field,
                    format!("`{t}` is not a date (YYYY-MM-DD)"),
                ));
                None
            }
        }
    };
    let from = date("valid_from", &mut errors);
    let to = date("valid_to", &mut errors);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errors.push(RowError::field(
                line,
                "valid_to",
                format!("ends ({t}) on or before it starts ({f})"),
            ));
        }
    }
    let employee_no = r.get("employee_no").unwrap_or_default();
    let rm = rm_of.get(employee_no).copied();
    if rm.is_none() {
        errors.push(RowError::field(
            line,
            "employee_no",
            format!("no RM with employee number `{employee_no}` in your scope"),
        ));
    }
    let (Some(role), Some(from), Some(rm), true) = (role, from, rm, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(Parsed {
        line,
        customer_no: r.get("customer_no").unwrap_or_default().into(),
        rm,
        role,
        share,
        from,
        to,
        reason: r.get("reason").map(|t| t.chars().take(500).collect()),
    })
}

/// A-1 on every day of a customer's history: primaries never overlap, an RM holds the customer
/// once at a time, and an assistant or team member serves only while a primary holds it. Each
/// clash is reported once, on the file's later row.
fn check_history(spans: &[Span], clock: &crate::clock::Clock, errors: &mut Vec<RowError>) {
    let day = |t: NaiveDateTime| clock.business_date(t).to_string();
    let fmt = |s: &Span| {
        let to = s.to.map_or("today".to_string(), day);
        match s.line {
            0 => format!("the assignment on record ({} to {to})", day(s.from)),
            n => format!("line {n} ({} to {to})", day(s.from)),
        }
    };
    for i in 0..spans.len() {
        for j in i + 1..spans.len() {
            let (a, b) = (&spans[i], &spans[j]);
            if (a.line == 0 && b.line == 0) || !a.overlaps(b) {
                continue;
            }
            let (row, other) =
                if b.line == 0 || (a.line != 0 && (a.from, a.line) > (b.from, b.line)) {
                    (a, b)
                } else {
                    (b, a)
                };
            let message = if a.role == AssignmentRole::Primary && b.role == AssignmentRole::Primary
            {
                format!("two primary RMs at once: overlaps {}", fmt(other))
            } else if a.rm_id == b.rm_id {
                format!(
                    "the RM holds the customer twice at once: overlaps {}",
                    fmt(other)
                )
            } else {
                continue;
            };
            errors.push(RowError::rule(row.line, Some("valid_from"), "A-1", message));
        }
    }
    for span in spans
        .iter()
        .filter(|s| s.line != 0 && s.role != AssignmentRole::Primary)
    {
        if let Some(gap) = uncovered(span, spans) {
            errors.push(RowError::rule(
                span.line,
                Some("role"),
                "A-1",
                format!(
                    "no primary RM holds the customer on {}: an assistant or team member serves \
                     beside a primary",
                    day(gap)
                ),
            ));
        }
    }
}

/// The first instant of `span` at which no primary holds the customer.
fn uncovered(span: &Span, spans: &[Span]) -> Option<NaiveDateTime> {
    let holding = |at: NaiveDateTime| {
        spans.iter().find(|p| {
            p.role == AssignmentRole::Primary && p.from <= at && p.to.is_none_or(|end| at < end)
        })
    };
    let mut cursor = span.from;
    loop {
        if span.to.is_some_and(|end| cursor >= end) {
            return None;
        }
        match holding(cursor) {
            None => return Some(cursor),
            Some(primary) => match primary.to {
                None => return None,
                Some(end) => cursor = end,
            },
        }
    }
}

/// A-7 when the file gives no share: an assistant the policy's share, team members an even part
/// of it, a primary the rest when anyone served beside it, else all of it.
fn default_share(
    role: AssignmentRole,
    span: &Span,
    spans: &[Span],
    ctx: &crate::commands::Ctx,
) -> Decimal {
    let beside: Vec<&Span> = spans
        .iter()
        .filter(|s| s.role != AssignmentRole::Primary && s.overlaps(span))
        .collect();
    match role {
        AssignmentRole::Primary if beside.is_empty() => Decimal::ONE,
        AssignmentRole::Primary => ctx.policy.assignment.primary_share,
        AssignmentRole::Assistant => ctx.policy.assignment.assistant_share,
        AssignmentRole::TeamMember => {
            let members = beside
                .iter()
                .filter(|s| s.role == AssignmentRole::TeamMember)
                .count();
            rules::team_member_share(members, &ctx.policy)
        }
    }
}
