//! Assign, reassign and end (A-1..A-7): load the facts under row locks, check the pure rules,
//! write the effective-dated rows and the audit event in the caller's transaction.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{customer_state, Ctx};
use crate::db::assignments::{self as store, bp_of, share_of, AssignmentRow};
use crate::db::audit::{self, Change};
use crate::db::customers::CustomerRow;
use crate::db::rms::RmRow;
use crate::db::{self, DbConn};
use crate::domain::assignment::{self as rules, AssignmentRole, CustomerFacts, Holder, RmFacts};
use crate::domain::customer::{split_categories, CustomerKind};
use crate::domain::org::in_scope;
use crate::domain::rm::{Grade, Line, RmStatus};
use crate::error::{AppError, AppResult};

/// A new assignment of an RM to a customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Assign {
    pub customer_id: String,
    pub rm_id: String,
    pub role: AssignmentRole,
    /// A-7 share; defaults to the policy's assistant share (team members split it).
    #[schema(value_type = Option<String>, example = "0.4")]
    pub share: Option<Decimal>,
    #[schema(example = "new")]
    pub reason: String,
}

/// Loads the customer inside the caller's scope (404 otherwise) with the facts the rules read.
pub fn customer_facts(
    conn: &mut DbConn,
    ctx: &Ctx,
    customer_id: &str,
) -> AppResult<(CustomerRow, CustomerFacts)> {
    let row = db::customers::find(conn, customer_id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or(AppError::NotFound("customer"))?;
    let mut facts = facts_of_customer(&row)?;
    // a customer with a loan outstanding counts as a key account, whatever its marker.
    facts.is_key_account = facts.is_key_account || store::has_loan_outstanding(conn, &row.id)?;
    Ok((row, facts))
}

/// Locks and loads the RM inside the caller's scope with its current load.
pub fn rm_facts(
    conn: &mut DbConn,
    ctx: &Ctx,
    rm_id: &str,
    field: &str,
) -> AppResult<(RmRow, RmFacts)> {
    store::lock_rm(conn, rm_id)?;
    let row = db::rms::find(conn, rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field(field, "no such RM in your scope"))?;
    let facts = facts_of_rm(conn, &row)?;
    Ok((row, facts))
}

/// The facts the A rules read about an RM but its load (the go-live import counts the loads of
/// a whole file itself).
pub(crate) fn facts_without_load(conn: &mut DbConn, row: &RmRow) -> AppResult<RmFacts> {
    Ok(RmFacts {
        id: row.id.clone(),
        line: Line::stored(&row.line)?,
        grade: Grade::stored(&row.grade)?,
        status: RmStatus::stored(&row.status)?,
        org_path: row.org_path.clone(),
        qualified_on: row.qualified_on,
        term_ends_on: row.term_ends_on,
        under_exit_review: !db::exit_cases::open_of_rm(conn, &row.id)?.is_empty(),
        banned: db::rms::is_banned(conn, &row.national_id)?,
        key_accounts: 0,
        vip_customers: 0,
    })
}

/// The facts the A rules read about an RM: line, grade, status, dates, ban and current load.
pub fn facts_of_rm(conn: &mut DbConn, row: &RmRow) -> AppResult<RmFacts> {
    let (key_accounts, vip_customers) = store::rm_load(conn, &row.id)?;
    Ok(RmFacts {
        key_accounts,
        vip_customers,
        ..facts_without_load(conn, row)?
    })
}

/// The facts about a customer row.
pub fn facts_of_customer(row: &CustomerRow) -> AppResult<CustomerFacts> {
    Ok(CustomerFacts {
        kind: CustomerKind::stored(&row.kind)?,
        categories: split_categories(&row.categories),
        is_key_account: row.is_key_account,
        is_vip: row.is_vip,
        org_path: row.org_path.clone(),
    })
}

fn new_row(
    ctx: &Ctx,
    at: NaiveDateTime,
    customer_id: &str,
    rm_id: &str,
    role: AssignmentRole,
    share: Decimal,
    reason: &str,
) -> AssignmentRow {
    AssignmentRow {
        id: crate::http::new_id(),
        customer_id: customer_id.into(),
        rm_id: rm_id.into(),
        role: role.as_str().into(),
        share_bp: bp_of(share),
        reason: reason.into(),
        valid_from: at,
        valid_to: None,
        held_since: at,
        created_by: ctx.actor.username.clone(),
    }
}

/// after a change of the other holders, the primary's share is what they leave of 1; a
/// changed share ends the primary's row and opens a new one (history is never rewritten).
fn rebalance_primary(
    conn: &mut DbConn,
    ctx: &Ctx,
    at: NaiveDateTime,
    active: &[AssignmentRow],
    reason: &str,
) -> AppResult<()> {
    let others: Vec<Decimal> = active
        .iter()
        .filter(|a| a.role != "primary")
        .map(|a| share_of(a.share_bp))
        .collect();
    let share = rules::primary_share(&others).map_err(AppError::Rule)?;
    if let Some(primary) = active.iter().find(|a| a.role == "primary") {
        if primary.share_bp != bp_of(share) {
            reopen_with_share(
                conn,
                ctx,
                at,
                primary,
                AssignmentRole::Primary,
                share,
                reason,
            )?;
        }
    }
    Ok(())
}

/// ends a holder's row and opens one with the new share (history is never rewritten). The
/// same RM keeps holding the customer: rotation counts from the first day.
fn reopen_with_share(
    conn: &mut DbConn,
    ctx: &Ctx,
    at: NaiveDateTime,
    holder: &AssignmentRow,
    role: AssignmentRole,
    share: Decimal,
    reason: &str,
) -> AppResult<AssignmentRow> {
    store::end(conn, &holder.id, at)?;
    let mut row = new_row(
        ctx,
        at,
        &holder.customer_id,
        &holder.rm_id,
        role,
        share,
        reason,
    );
    row.held_since = holder.held_since;
    store::insert(conn, &row)?;
    Ok(row)
}

/// a team member joining or leaving with the default share re-splits the assistant share
/// evenly: every team member's row whose share changes ends and a new one opens (history kept).
/// Returns the holders with their new shares.
fn resplit_team(
    conn: &mut DbConn,
    ctx: &Ctx,
    at: NaiveDateTime,
    active: &[AssignmentRow],
    share: Decimal,
    reason: &str,
) -> AppResult<Vec<AssignmentRow>> {
    let mut out = Vec::with_capacity(active.len());
    for holder in active {
        if holder.role != AssignmentRole::TeamMember.as_str() || holder.share_bp == bp_of(share) {
            out.push(holder.clone());
            continue;
        }
        out.push(reopen_with_share(
            conn,
            ctx,
            at,
            holder,
            AssignmentRole::TeamMember,
            share,
            reason,
        )?);
    }
    Ok(out)
}

/// The holders' view kept in audit events.
fn holders_view(conn: &mut DbConn, customer_id: &str) -> AppResult<Vec<AssignmentRow>> {
    Ok(store::active_for_customer(conn, customer_id)?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// `POST /assignments`: every A rule; `cap_override` skips A-3 only (after M-1 approval).
pub fn assign(
    conn: &mut DbConn,
    ctx: &Ctx,
    cmd: &Assign,
    cap_override: bool,
) -> AppResult<AssignmentRow> {
    let at = store::lock_customer(conn, &cmd.customer_id, &ctx.actor.clock)?;
    let (customer, facts) = customer_facts(conn, ctx, &cmd.customer_id)?;
    let active = store::active_for_customer(conn, &customer.id)?;
    let before: Vec<AssignmentRow> = active.iter().map(|(a, _)| a.clone()).collect();
    let state = customer_state::before(conn, &customer.id, &facts, &before)?;
    let holders: Vec<Holder> = store::holders(&active)?;
    let (rm, rm_facts) = rm_facts(conn, ctx, &cmd.rm_id, "rm_id")?;
    rules::check_eligible(&rm_facts, &facts, ctx.today, &ctx.policy).map_err(AppError::Rule)?;
    rules::check_slot(
        &holders,
        &rm.id,
        cmd.role,
        ctx.policy.assignment.max_marketers,
    )
    .map_err(AppError::Rule)?;
    rules::check_grade(&rm_facts, &facts, cmd.role).map_err(AppError::Rule)?;
    if !cap_override {
        rules::check_capacity(&rm_facts, &facts, &ctx.policy).map_err(AppError::Rule)?;
    }
    let share = match cmd.role {
        AssignmentRole::Primary => Decimal::ONE,
        _ => cmd
            .share
            .unwrap_or_else(|| rules::default_share(cmd.role, &holders, &ctx.policy)),
    };
    let row = new_row(ctx, at, &customer.id, &rm.id, cmd.role, share, &cmd.reason);
    if cmd.role != AssignmentRole::Primary {
        let mut after: Vec<AssignmentRow> = before.clone();
        if cmd.role == AssignmentRole::TeamMember && cmd.share.is_none() {
            after = resplit_team(conn, ctx, at, &after, share, "share_split")?;
        }
        after.push(row.clone());
        rebalance_primary(conn, ctx, at, &after, "share_split")?;
    }
    store::insert(conn, &row)?;
    customer_state::check(conn, ctx, &state, &facts)?;
    let after = holders_view(conn, &customer.id)?;
    let action = if cap_override {
        "assignment.create_over_cap"
    } else {
        "assignment.create"
    };
    audit::record(
        conn,
        &ctx.actor,
        Change::new(action, "customer", &customer.id, &customer.org_path)
            .before(&before)?
            .after(&after)?,
    )?;
    Ok(row)
}

/// `POST /customers/{id}/reassign`: a new primary, checked like a new assignment; the old
/// primary's row ends. When the new primary was the assistant, that row ends too.
pub fn reassign(
    conn: &mut DbConn,
    ctx: &Ctx,
    customer_id: &str,
    to_rm_id: &str,
    reason: &str,
) -> AppResult<AssignmentRow> {
    let at = store::lock_customer(conn, customer_id, &ctx.actor.clock)?;
    let (customer, facts) = customer_facts(conn, ctx, customer_id)?;
    let active = store::active_for_customer(conn, &customer.id)?;
    let before: Vec<AssignmentRow> = active.iter().map(|(a, _)| a.clone()).collect();
    let state = customer_state::before(conn, &customer.id, &facts, &before)?;
    let primary = before
        .iter()
        .find(|a| a.role == "primary")
        .cloned()
        .ok_or_else(|| {
            AppError::rule(
                "A-1",
                "no_primary",
                "the customer has no primary RM; assign one first",
            )
        })?;
    if primary.rm_id == to_rm_id {
        return Err(AppError::rule(
            "A-1",
            "same_rm",
            "this RM is the customer's primary already",
        ));
    }
    let (rm, rm_facts) = rm_facts(conn, ctx, to_rm_id, "to_rm_id")?;
    rules::check_eligible(&rm_facts, &facts, ctx.today, &ctx.policy).map_err(AppError::Rule)?;
    rules::check_grade(&rm_facts, &facts, AssignmentRole::Primary).map_err(AppError::Rule)?;
    let already_holding = before.iter().find(|a| a.rm_id == rm.id).cloned();
    if already_holding.is_none() {
        rules::check_capacity(&rm_facts, &facts, &ctx.policy).map_err(AppError::Rule)?;
    }
    store::end(conn, &primary.id, at)?;
    if let Some(row) = &already_holding {
        store::end(conn, &row.id, at)?;
    }
    let remaining: Vec<AssignmentRow> = before
        .iter()
        .filter(|a| a.id != primary.id && Some(&a.id) != already_holding.as_ref().map(|r| &r.id))
        .cloned()
        .collect();
    let others: Vec<Decimal> = remaining.iter().map(|a| share_of(a.share_bp)).collect();
    let share = rules::primary_share(&others).map_err(AppError::Rule)?;
    let row = new_row(
        ctx,
        at,
        &customer.id,
        &rm.id,
        AssignmentRole::Primary,
        share,
        reason,
    );
    store::insert(conn, &row)?;
    customer_state::check(conn, ctx, &state, &facts)?;
    let after = holders_view(conn, &customer.id)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            "assignment.reassign",
            "customer",
            &customer.id,
            &customer.org_path,
        )
        .before(&before)?
        .after(&after)?,
    )?;
    Ok(row)
}

/// `POST /assignments/{id}/end`: ends a row. A primary ends only when nobody else holds the
/// customer (A-1: otherwise reassign); an assistant's share returns to the primary.
pub fn end(
    conn: &mut DbConn,
    ctx: &Ctx,
    assignment_id: &str,
    reason: &str,
) -> AppResult<AssignmentRow> {
    let row = store::find(conn, assignment_id)?.ok_or(AppError::NotFound("assignment"))?;
    let at = store::lock_customer(conn, &row.customer_id, &ctx.actor.clock)?;
    let (customer, facts) = customer_facts(conn, ctx, &row.customer_id)
        .map_err(|_| AppError::NotFound("assignment"))?;
    let before = holders_view(conn, &customer.id)?;
    let state = customer_state::before(conn, &customer.id, &facts, &before)?;
    let current = before
        .iter()
        .find(|a| a.id == row.id)
        .cloned()
        .ok_or_else(|| {
            AppError::VersionConflict(format!("assignment {} has ended already", row.id))
        })?;
    if current.role == "primary" && before.len() > 1 {
        return Err(AppError::rule(
            "A-1",
            "primary_required",
            "the customer keeps other RMs and needs a primary; reassign the primary instead",
        ));
    }
    store::end(conn, &current.id, at)?;
    let mut remaining: Vec<AssignmentRow> = before
        .iter()
        .filter(|a| a.id != current.id)
        .cloned()
        .collect();
    if current.role == AssignmentRole::TeamMember.as_str() {
        let members = remaining
            .iter()
            .filter(|a| a.role == AssignmentRole::TeamMember.as_str())
            .count();
        if members > 0 {
            let share = rules::team_member_share(members, &ctx.policy);
            remaining = resplit_team(conn, ctx, at, &remaining, share, "share_returned")?;
        }
    }
    rebalance_primary(conn, ctx, at, &remaining, "share_returned")?;
    customer_state::check(conn, ctx, &state, &facts)?;
    let after = holders_view(conn, &customer.id)?;
    let after = serde_json::json!({"ended": current.id, "reason": reason, "holders": after});
    let change = Change::new(
        "assignment.end",
        "customer",
        &customer.id,
        &customer.org_path,
    )
    .before(&before)?
    .after(&after)?;
    audit::record(conn, &ctx.actor, change)?;
    let mut ended = current;
    ended.valid_to = Some(at);
    Ok(ended)
}

/// moves one active assignment to `to_rm_id` in the same role and share, checking every A
/// rule for the new RM as if it were a new assignment.
pub fn hand_over(
    conn: &mut DbConn,
    ctx: &Ctx,
    assignment_id: &str,
    to_rm_id: &str,
    reason: &str,
) -> AppResult<AssignmentRow> {
    let row = store::find(conn, assignment_id)?.ok_or(AppError::NotFound("assignment"))?;
    let at = store::lock_customer(conn, &row.customer_id, &ctx.actor.clock)?;
    let (customer, facts) = customer_facts(conn, ctx, &row.customer_id)?;
    let active = store::active_for_customer(conn, &customer.id)?;
    if !active.iter().any(|(a, _)| a.id == row.id) {
        return Err(AppError::VersionConflict(format!(
            "assignment {} has ended already",
            row.id
        )));
    }
    let before: Vec<AssignmentRow> = active.iter().map(|(a, _)| a.clone()).collect();
    let state = customer_state::before(conn, &customer.id, &facts, &before)?;
    let holders: Vec<Holder> = store::holders(&active)?
        .into_iter()
        .filter(|h| h.rm_id != row.rm_id)
        .collect();
    let role = AssignmentRole::stored(&row.role)?;
    let (rm, rm_facts) = rm_facts(conn, ctx, to_rm_id, "to_rm_id")?;
    rules::check_assignment(&rm_facts, &facts, &holders, role, ctx.today, &ctx.policy).map_err(
        |v| {
            AppError::rule(
                v.rule,
                v.code,
                format!("customer {} ({}): {}", customer.name, customer.id, v.detail),
            )
        },
    )?;
    store::end(conn, &row.id, at)?;
    let new = new_row(
        ctx,
        at,
        &customer.id,
        &rm.id,
        role,
        share_of(row.share_bp),
        reason,
    );
    store::insert(conn, &new)?;
    customer_state::check(conn, ctx, &state, &facts)?;
    let after = holders_view(conn, &customer.id)?;
    let change = Change::new(
        "assignment.handover",
        "customer",
        &customer.id,
        &customer.org_path,
    )
    .before(&before)?
    .after(&after)?;
    audit::record(conn, &ctx.actor, change)?;
    Ok(new)
}
