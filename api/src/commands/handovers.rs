//! A-9 handover: when an RM leaves the role, is suspended or loses qualification, every active
//! assignment moves to an eligible colleague. The system proposes (lowest load relative to the cap
//! in the same unit, grade-matched), a manager adjusts, and confirm applies every move in one
//! transaction or none. No customer is left without a primary.

use super::assignments::{self as engine, customer_facts, hand_over};
use super::Ctx;
use crate::db::assignments as store;
use crate::db::audit::{self, Change};
use crate::db::handovers::{self as handovers, HandoverRow, MoveRow};
use crate::db::{self, DbConn};
use crate::domain::assignment::{
    choose_successor, reassignment_needs_approval, AssignmentRole, Candidate,
};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult};

/// Proposes a move for every active assignment of `from_rm_id`.
pub fn propose(
    conn: &mut DbConn,
    ctx: &Ctx,
    from_rm_id: &str,
    reason: &str,
) -> AppResult<(HandoverRow, Vec<MoveRow>)> {
    let from = db::rms::find(conn, from_rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("from_rm_id", "no such RM in your scope"))?;
    // one plan per RM at a time, so that an exit case and its handover cannot be overtaken by
    // a second plan for the same customers.
    store::lock_rm(conn, &from.id)?;
    if let Some(open) = handovers::proposed_of_rm(conn, &from.id)? {
        return Err(AppError::VersionConflict(format!(
            "handover {} of this RM is still proposed; adjust and confirm it",
            open.id
        )));
    }
    let mut candidates = Vec::new();
    for colleague in db::rms::active_in_unit(conn, &from.org_unit_id)? {
        if colleague.id == from.id {
            continue;
        }
        let facts = engine::facts_of_rm(conn, &colleague)?;
        let customers = store::rm_customer_count(conn, &colleague.id)?;
        candidates.push(Candidate { facts, customers });
    }
    let id = crate::http::new_id();
    let mut moves = Vec::new();
    for (assignment, _) in store::active_for_rm(conn, &from.id)? {
        let (_, customer) = customer_facts(conn, ctx, &assignment.customer_id)?;
        let active = store::active_for_customer(conn, &assignment.customer_id)?;
        let holders: Vec<_> = store::holders(&active)?
            .into_iter()
            .filter(|h| h.rm_id != from.id)
            .collect();
        let role = AssignmentRole::stored(&assignment.role)?;
        let (to_rm_id, note) = match choose_successor(
            &customer,
            &holders,
            role,
            &candidates,
            ctx.today,
            &ctx.policy,
        ) {
            Ok(i) => {
                candidates[i].take(&customer);
                (
                    Some(candidates[i].facts.id.clone()),
                    "lowest load relative to the cap in the unit".to_string(),
                )
            }
            Err(why) => (None, why),
        };
        moves.push(MoveRow {
            id: crate::http::new_id(),
            handover_id: id.clone(),
            assignment_id: assignment.id,
            customer_id: assignment.customer_id,
            role: assignment.role,
            to_rm_id,
            note,
        });
    }
    let row = HandoverRow {
        id,
        from_rm_id: from.id,
        org_path: from.org_path,
        status: "proposed".into(),
        reason: reason.into(),
        created_by: ctx.actor.username.clone(),
        created_at: ctx.now,
        confirmed_by: None,
        confirmed_at: None,
        version: 1,
    };
    handovers::insert(conn, &row, &moves)?;
    let after = serde_json::json!({"handover": row, "moves": moves.len()});
    audit::record(
        conn,
        &ctx.actor,
        Change::new("handover.propose", "handover", &row.id, &row.org_path).after(&after)?,
    )?;
    Ok((row, moves))
}

/// The handover in the caller's scope (404 otherwise).
pub fn load(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<(HandoverRow, Vec<MoveRow>)> {
    handovers::find(conn, id)?
        .filter(|(h, _)| in_scope(&ctx.scope, &h.org_path))
        .ok_or(AppError::NotFound("handover"))
}

/// A-10 (M-1: a handover move is a reassignment): why confirming this handover needs a second
/// person, and whether a blacklisted customer is among the moves (a risk officer's call, R-3).
pub fn confirmation_needs_approval(
    conn: &mut DbConn,
    ctx: &Ctx,
    moves: &[MoveRow],
) -> AppResult<Option<(String, bool)>> {
    let mut reasons = Vec::new();
    let mut any_blacklisted = false;
    for m in moves.iter().filter(|m| m.role == "primary") {
        let (customer, facts) = customer_facts(conn, ctx, &m.customer_id)?;
        let (blacklisted, flagged) = super::flags::risk_state(conn, &m.customer_id)?;
        if let Some(why) = reassignment_needs_approval(&facts, flagged, blacklisted) {
            any_blacklisted |= blacklisted;
            reasons.push(format!("{} ({why})", customer.name));
        }
    }
    if reasons.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        format!(
            "the handover moves the primary RM of {}",
            reasons.join(", ")
        ),
        any_blacklisted,
    )))
}

/// A manager's adjustment: another RM for some moves (checked now and again at confirm).
pub fn adjust(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    expected_version: i64,
    changes: &[(String, String)],
) -> AppResult<(HandoverRow, Vec<MoveRow>)> {
    let (before, moves) = load(conn, ctx, id)?;
    crate::http::check_version(before.version, expected_version, "the handover")?;
    for (assignment_id, to_rm_id) in changes {
        let m = moves
            .iter()
            .find(|m| &m.assignment_id == assignment_id)
            .ok_or_else(|| {
                AppError::field(
                    "moves",
                    format!("assignment {assignment_id} is not part of this handover"),
                )
            })?;
        if to_rm_id == &before.from_rm_id {
            return Err(AppError::field(
                "moves",
                "a move cannot go back to the RM handing over",
            ));
        }
        db::rms::find(conn, to_rm_id)?
            .filter(|r| in_scope(&ctx.scope, &r.org_path))
            .ok_or_else(|| AppError::field("moves", format!("no RM {to_rm_id} in your scope")))?;
        handovers::set_target(
            conn,
            &m.id,
            to_rm_id,
            &format!("chosen by {}", ctx.actor.username),
        )?;
    }
    let mut after = before.clone();
    after.version += 1;
    handovers::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("handover.adjust", "handover", &after.id, &after.org_path)
            .before(&moves)?
            .after(&changes)?,
    )?;
    load(conn, ctx, id)
}

/// Applies every move in the caller's transaction, re-checking each rule now; one refusal
/// refuses them all. Afterwards the RM holds nothing.
pub fn confirm(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    expected_version: Option<i64>,
) -> AppResult<(HandoverRow, Vec<MoveRow>)> {
    let (before, moves) = load(conn, ctx, id)?;
    if let Some(expected) = expected_version {
        crate::http::check_version(before.version, expected, "the handover")?;
    }
    if before.status != "proposed" {
        return Err(AppError::VersionConflict(format!(
            "the handover is {} already",
            before.status
        )));
    }
    if let Some(open) = moves.iter().find(|m| m.to_rm_id.is_none()) {
        return Err(AppError::rule(
            "A-9",
            "handover_incomplete",
            format!(
                "customer {} has no RM to take it over ({}); adjust the move first",
                open.customer_id, open.note
            ),
        ));
    }
    for m in &moves {
        let to = m.to_rm_id.as_deref().unwrap_or_default();
        hand_over(
            conn,
            ctx,
            &m.assignment_id,
            to,
            &format!("handover: {}", before.reason),
        )?;
    }
    let left = store::rm_customer_count(conn, &before.from_rm_id)?;
    if left > 0 {
        return Err(AppError::rule(
            "A-9",
            "handover_incomplete",
            format!(
                "the RM received {left} assignments after the proposal; propose the handover again"
            ),
        ));
    }
    let mut after = before.clone();
    after.status = "confirmed".into();
    after.confirmed_by = Some(ctx.actor.username.clone());
    after.confirmed_at = Some(ctx.now);
    after.version += 1;
    handovers::update(conn, &after, before.version)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("handover.confirm", "handover", &after.id, &after.org_path)
            .before(&before)?
            .after(&after)?,
    )?;
    super::exit_cases::on_handover_confirmed(conn, ctx, &after.from_rm_id)?;
    Ok((after, moves))
}
