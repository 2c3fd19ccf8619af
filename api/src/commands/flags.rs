//! Customer flags: raise, acknowledge, resolve; open flags put the customer in the A-6
//! queue; `npl` and `blacklisted` mark related parties.

use super::field_checks::{on_entering_a6, on_entering_a6_many};
use super::Ctx;
use crate::db::audit::{self, Change};
use crate::db::customers::CustomerRow;
use crate::db::flags::{self as store, FlagEventRow, FlagRow};
use crate::db::{self, DbConn};
use crate::domain::flag::{related_parties, FlagKind, FlagStatus, Severity};
use crate::domain::org::in_scope;
use crate::domain::reason::Reason;
use crate::error::{AppError, AppResult};

fn event(conn: &mut DbConn, ctx: &Ctx, flag: &FlagRow, action: &str, note: &str) -> AppResult<()> {
    store::insert_event(
        conn,
        &FlagEventRow {
            id: crate::http::new_id(),
            flag_id: flag.id.clone(),
            action: action.into(),
            note: note.into(),
            by_user: ctx.actor.username.clone(),
            at: ctx.now,
        },
    )
}

/// Raises a flag on a customer unless one of the kind is still unresolved (then that one is
/// returned, with `false`). Rule-raised flags pass `source = "rule"`.
pub fn raise(
    conn: &mut DbConn,
    ctx: &Ctx,
    customer: &CustomerRow,
    kind: FlagKind,
    severity: Option<Severity>,
    source: &str,
    reason: &Reason,
) -> AppResult<(FlagRow, bool)> {
    if let Some(existing) = store::unresolved_of_customer(conn, &customer.id, Some(kind.as_str()))?
        .into_iter()
        .next()
    {
        return Ok((existing, false));
    }
    let row = new_flag(ctx, customer, kind, severity, source, reason);
    store::insert(conn, &row)?;
    event(conn, ctx, &row, "raise", &reason.text)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("flag.raise", "flag", &row.id, &row.org_path).after(&row)?,
    )?;
    enter_a6(conn, ctx, customer)?;
    if kind.spreads_to_related() {
        spread_to_related(conn, ctx, &[customer], kind)?;
    }
    Ok((row, true))
}

fn new_flag(
    ctx: &Ctx,
    customer: &CustomerRow,
    kind: FlagKind,
    severity: Option<Severity>,
    source: &str,
    reason: &Reason,
) -> FlagRow {
    let (reason_code, reason_params) = reason.stored();
    FlagRow {
        id: crate::http::new_id(),
        customer_id: Some(customer.id.clone()),
        rm_id: None,
        kind: kind.as_str().into(),
        severity: severity.unwrap_or(kind.default_severity()).as_str().into(),
        source: source.into(),
        reason: reason.text.clone(),
        status: FlagStatus::Open.as_str().into(),
        org_path: customer.org_path.clone(),
        raised_by: ctx.actor.username.clone(),
        raised_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
        reason_code,
        reason_params,
    }
}

/// `related_party` on every customer linked to these (guarantee, group) within the policy's
/// depth (cycles safe), once each, the reason naming the first flagged customer that reaches it.
fn spread_to_related(
    conn: &mut DbConn,
    ctx: &Ctx,
    customers: &[&CustomerRow],
    kind: FlagKind,
) -> AppResult<()> {
    let depth = ctx.policy.risk.related_party_depth;
    let mut reasons = std::collections::BTreeMap::new();
    for customer in customers {
        let mut lookup_error = None;
        let related = related_parties(&customer.id, depth, |c| {
            store::related_customers(conn, c).unwrap_or_else(|e| {
                lookup_error.get_or_insert(e);
                Vec::new()
            })
        });
        if let Some(e) = lookup_error {
            return Err(e);
        }
        for other in related {
            reasons.entry(other).or_insert_with(|| {
                Reason::related_party(&customer.name, &customer.id, kind.as_str())
            });
        }
    }
    let ids: Vec<String> = reasons.keys().cloned().collect();
    let mut parties = db::customers::find_many(conn, &ids)?;
    parties.sort_by(|a, b| a.id.cmp(&b.id));
    let items = parties
        .into_iter()
        .filter_map(|party| {
            let why = reasons.remove(&party.id)?;
            Some((party, why))
        })
        .collect();
    raise_many(conn, ctx, FlagKind::RelatedParty, items)?;
    Ok(())
}

/// [`raise`] for many customers at once (bulk loan imports): the same flags, events, audit events,
/// A-6 entry and spreading, written with multi-row statements. Customers with an unresolved flag of
/// the kind are skipped; returns the customers flagged.
pub fn raise_many(
    conn: &mut DbConn,
    ctx: &Ctx,
    kind: FlagKind,
    items: Vec<(CustomerRow, Reason)>,
) -> AppResult<Vec<String>> {
    let ids: Vec<String> = items.iter().map(|(c, _)| c.id.clone()).collect();
    let open = store::with_unresolved(conn, &ids, kind.as_str())?;
    let items: Vec<(CustomerRow, Reason)> = items
        .into_iter()
        .filter(|(c, _)| !open.contains(&c.id))
        .collect();
    let flags: Vec<FlagRow> = items
        .iter()
        .map(|(c, why)| new_flag(ctx, c, kind, None, "rule", why))
        .collect();
    let events: Vec<FlagEventRow> = flags
        .iter()
        .map(|f| FlagEventRow {
            id: crate::http::new_id(),
            flag_id: f.id.clone(),
            action: "raise".into(),
            note: f.reason.clone(),
            by_user: ctx.actor.username.clone(),
            at: ctx.now,
        })
        .collect();
    store::insert_many(conn, &flags, &events)?;
    let changes = flags
        .iter()
        .map(|f| Change::new("flag.raise", "flag", &f.id, &f.org_path).after(f))
        .collect::<AppResult<Vec<_>>>()?;
    audit::record_many(conn, &ctx.actor, changes)?;
    // an open flag puts the customer in the second-RM queue with a required check.
    let ids: Vec<String> = items.iter().map(|(c, _)| c.id.clone()).collect();
    let marked: std::collections::HashSet<String> =
        db::customers::mark_needing_second_rm(conn, &ids, ctx.now)?
            .into_iter()
            .collect();
    let entered: Vec<CustomerRow> = items
        .iter()
        .filter(|(c, _)| marked.contains(&c.id))
        .map(|(c, _)| CustomerRow {
            needs_second_rm_since: Some(ctx.now),
            ..c.clone()
        })
        .collect();
    on_entering_a6_many(conn, ctx, &entered)?;
    if kind.spreads_to_related() {
        let linked = store::with_relations(conn, &ids)?;
        let customers: Vec<&CustomerRow> = items
            .iter()
            .map(|(c, _)| c)
            .filter(|c| linked.contains(&c.id))
            .collect();
        spread_to_related(conn, ctx, &customers, kind)?;
    }
    Ok(ids)
}

/// a customer with an open flag needs a second RM (queue and required check).
fn enter_a6(conn: &mut DbConn, ctx: &Ctx, customer: &CustomerRow) -> AppResult<()> {
    if customer.needs_second_rm_since.is_some() {
        return Ok(());
    }
    let mut after =
        db::customers::find(conn, &customer.id)?.ok_or(AppError::NotFound("customer"))?;
    if after.needs_second_rm_since.is_some() {
        return Ok(());
    }
    let version = after.version;
    after.needs_second_rm_since = Some(ctx.now);
    after.version += 1;
    after.updated_at = ctx.now;
    db::customers::update(conn, &after, version)?;
    on_entering_a6(conn, ctx, &after, false)
}

/// The flag, in the caller's scope (404 otherwise).
pub fn scoped(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<FlagRow> {
    store::find(conn, id)?
        .filter(|f| in_scope(&ctx.scope, &f.org_path))
        .ok_or(AppError::NotFound("flag"))
}

fn change_status(
    conn: &mut DbConn,
    ctx: &Ctx,
    before: FlagRow,
    status: FlagStatus,
    action: &str,
    note: &str,
) -> AppResult<FlagRow> {
    if before.status == FlagStatus::Resolved.as_str() {
        return Err(AppError::VersionConflict(
            "the flag is resolved already".into(),
        ));
    }
    let mut after = before.clone();
    after.status = status.as_str().into();
    after.updated_at = ctx.now;
    after.version += 1;
    store::update(conn, &after, before.version)?;
    event(conn, ctx, &after, action, note)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            &format!("flag.{action}"),
            "flag",
            &after.id,
            &after.org_path,
        )
        .before(&before)?
        .after(&after)?,
    )?;
    Ok(after)
}

pub fn acknowledge(conn: &mut DbConn, ctx: &Ctx, id: &str, note: &str) -> AppResult<FlagRow> {
    let before = scoped(conn, ctx, id)?;
    if before.status != FlagStatus::Open.as_str() {
        return Err(AppError::VersionConflict(format!(
            "the flag is {} already",
            before.status
        )));
    }
    change_status(
        conn,
        ctx,
        before,
        FlagStatus::Acknowledged,
        "acknowledge",
        note,
    )
}

/// Resolves with evidence. Un-blacklisting comes here only through an approval (M-1).
pub fn resolve(conn: &mut DbConn, ctx: &Ctx, id: &str, evidence: &str) -> AppResult<FlagRow> {
    let before = scoped(conn, ctx, id)?;
    change_status(conn, ctx, before, FlagStatus::Resolved, "resolve", evidence)
}

/// whether the customer is blacklisted now, and whether it has any unresolved flag.
pub fn risk_state(conn: &mut DbConn, customer_id: &str) -> AppResult<(bool, bool)> {
    let open = store::unresolved_of_customer(conn, customer_id, None)?;
    let blacklisted = open
        .iter()
        .any(|f| f.kind == FlagKind::Blacklisted.as_str());
    Ok((blacklisted, !open.is_empty()))
}

/// raises a flag on an RM (to the RM's manager and risk officers, who see the RM's unit)
/// unless one of the kind is unresolved.
pub fn raise_on_rm(
    conn: &mut DbConn,
    ctx: &Ctx,
    rm: &db::rms::RmRow,
    kind: FlagKind,
    reason: &Reason,
) -> AppResult<(FlagRow, bool)> {
    let existing = store::unresolved_of_rm(conn, &rm.id, kind.as_str())?;
    if let Some(flag) = existing.into_iter().next() {
        return Ok((flag, false));
    }
    let row = FlagRow {
        id: crate::http::new_id(),
        customer_id: None,
        rm_id: Some(rm.id.clone()),
        kind: kind.as_str().into(),
        severity: kind.default_severity().as_str().into(),
        source: "rule".into(),
        reason: reason.text.clone(),
        status: FlagStatus::Open.as_str().into(),
        org_path: rm.org_path.clone(),
        raised_by: ctx.actor.username.clone(),
        raised_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
        reason_code: reason.stored().0,
        reason_params: reason.stored().1,
    };
    store::insert(conn, &row)?;
    event(conn, ctx, &row, "raise", &reason.text)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("flag.raise", "flag", &row.id, &row.org_path).after(&row)?,
    )?;
    Ok((row, true))
}
