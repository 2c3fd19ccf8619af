//! X-5 exit cases: proposed (by a person or by the monthly rules) → decided by a committee member
//! other than the proposer (M-1) → handover of every customer → closed with the RM `exited`.
//! A forced exit suspends the RM at once; forced exits and disqualifications for X-2 items 1-4
//! ban the person for good (O-6). Demotions lower the grade one rank. While a case is open
//! the RM receives no assignment.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Ctx;
use crate::bounded::{RecordId, Text10000, Text2000};
use crate::db::audit::{self, Change};
use crate::db::exit_cases::{self as store, ExitCaseEventRow, ExitCaseRow};
use crate::db::rms::RmRow;
use crate::db::{self, DbConn};
use crate::domain::org::in_scope;
use crate::domain::reason::Reason;
use crate::domain::rm::{ExitKind, Grade, RmStatus};
use crate::domain::text_enum;
use crate::error::{AppError, AppResult};

text_enum! {
    /// What a case may end in.
    CaseKind {
        /// X-3 强行退出.
        Forced => "forced",
        /// X-2 取消资格.
        Disqualification => "disqualification",
        /// X-4 voluntary exit.
        Voluntary => "voluntary",
        /// X-4 natural exit (age, health, skills, poor results).
        Natural => "natural",
        /// X-4 demotion one rank down the O-2 ladder.
        Demotion => "demotion",
    }
}

text_enum! {
    CaseStatus {
        Proposed => "proposed",
        /// Approved; the RM's customers are being handed over.
        Handover => "handover",
        Closed => "closed",
        Rejected => "rejected",
    }
}

/// The triggers a case may name (X-2 items, X-3, X-4).
pub const TRIGGERS: [&str; 8] = [
    "X-2.1", "X-2.2", "X-2.3", "X-2.4", "X-2.5", "X-2.6", "X-3", "X-4",
];

/// A case to open (API.md `POST /exit-cases`).
#[derive(Debug, Clone, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub rm_id: RecordId,
    pub kind: CaseKind,
    /// `X-2.1` .. `X-2.6` for disqualifications, `X-3` for forced exits (the default), `X-4` for
    /// voluntary and natural exits and demotions (the default).
    #[schema(example = "X-2.3")]
    pub trigger: Option<String>,
    pub reason: Text2000,
    #[serde(default)]
    pub evidence: Text10000,
}

/// The exit kind recorded on the RM when the case ends in an exit.
fn exit_kind(kind: CaseKind, trigger: &str) -> Option<ExitKind> {
    Some(match kind {
        CaseKind::Forced => ExitKind::Forced,
        CaseKind::Disqualification if matches!(trigger, "X-2.1" | "X-2.4") => {
            ExitKind::DisqualifiedForMisconduct
        }
        CaseKind::Disqualification => ExitKind::Disqualified,
        CaseKind::Voluntary => ExitKind::Voluntary,
        CaseKind::Natural => ExitKind::Natural,
        CaseKind::Demotion => return None,
    })
}

/// The trigger a kind accepts (the first is the default).
fn check_trigger(kind: CaseKind, trigger: Option<&str>) -> AppResult<String> {
    let allowed: &[&str] = match kind {
        CaseKind::Forced => &["X-3"],
        CaseKind::Disqualification => &TRIGGERS[..6],
        CaseKind::Voluntary | CaseKind::Natural | CaseKind::Demotion => &["X-4"],
    };
    match trigger {
        None if kind != CaseKind::Disqualification => Ok(allowed[0].into()),
        None => Err(AppError::field(
            "trigger",
            "a disqualification names its X-2 item (X-2.1 .. X-2.6)",
        )),
        Some(t) if allowed.contains(&t) => Ok(t.into()),
        Some(t) => Err(AppError::field(
            "trigger",
            format!(
                "{t} does not fit a {kind} case: one of {}",
                allowed.join(", ")
            ),
        )),
    }
}

fn event(
    conn: &mut DbConn,
    ctx: &Ctx,
    case: &ExitCaseRow,
    action: &str,
    note: &str,
) -> AppResult<()> {
    store::insert_event(
        conn,
        &ExitCaseEventRow {
            id: crate::http::new_id(),
            case_id: case.id.clone(),
            action: action.into(),
            note: note.into(),
            by_user: ctx.actor.username.clone(),
            at: ctx.now,
        },
    )
}

fn save(
    conn: &mut DbConn,
    ctx: &Ctx,
    before: &ExitCaseRow,
    mut after: ExitCaseRow,
    action: &str,
    note: &str,
) -> AppResult<ExitCaseRow> {
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    store::update(conn, &after, before.version)?;
    event(conn, ctx, &after, action, note)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new(
            &format!("exit_case.{action}"),
            "exit_case",
            &after.id,
            &after.org_path,
        )
        .before(before)?
        .after(&after)?,
    )?;
    Ok(after)
}

fn set_rm_status(
    conn: &mut DbConn,
    ctx: &Ctx,
    rm: &RmRow,
    status: RmStatus,
    exit: Option<ExitKind>,
) -> AppResult<RmRow> {
    let mut after = rm.clone();
    after.status = status.as_str().into();
    after.version = rm.version + 1;
    after.updated_at = ctx.now;
    db::rms::update(conn, &after, rm.version)?;
    let action = match (status, exit) {
        (RmStatus::Exited, _) => "rm.exit",
        (RmStatus::Suspended, _) => "rm.suspend",
        _ => "rm.update",
    };
    let mut view = serde_json::json!({"status": after.status, "version": after.version});
    if let Some(kind) = exit {
        view["exit_kind"] = kind.as_str().into();
    }
    audit::record(
        conn,
        &ctx.actor,
        Change::new(action, "rm", &after.id, &after.org_path)
            .before(&serde_json::json!({"status": rm.status, "version": rm.version}))?
            .after(&view)?,
    )?;
    Ok(after)
}

/// The handover a case started that is still waiting for confirmation.
fn pending_handover(
    conn: &mut DbConn,
    case: &ExitCaseRow,
) -> AppResult<Option<(db::handovers::HandoverRow, Vec<db::handovers::MoveRow>)>> {
    let Some(open) = db::handovers::proposed_of_rm(conn, &case.rm_id)? else {
        return Ok(None);
    };
    db::handovers::find(conn, &open.id)
}

/// the RM's proposed handover, or a new one (one plan per RM at a time).
fn handover_for_case(
    conn: &mut DbConn,
    ctx: &Ctx,
    case: &ExitCaseRow,
    reason: &str,
) -> AppResult<db::handovers::HandoverRow> {
    match pending_handover(conn, case)? {
        Some((open, _)) => Ok(open),
        None => Ok(super::handovers::propose(conn, ctx, &case.rm_id, reason)?.0),
    }
}

fn rm_of(conn: &mut DbConn, case: &ExitCaseRow) -> AppResult<RmRow> {
    db::rms::find(conn, &case.rm_id)?.ok_or(AppError::NotFound("RM"))
}

/// Opens a case a person proposes, with their reason as typed. A forced exit suspends the RM at
/// once (A-4: no new assignments).
pub fn propose(conn: &mut DbConn, ctx: &Ctx, new: &NewCase) -> AppResult<ExitCaseRow> {
    open(conn, ctx, new, &Reason::typed(new.reason.trim()))
}

/// Opens a case the product proposes (the monthly and yearly runs), its reason written as a code
/// with parameters; `new.reason` is not read.
pub fn propose_written(
    conn: &mut DbConn,
    ctx: &Ctx,
    new: &NewCase,
    reason: &Reason,
) -> AppResult<ExitCaseRow> {
    open(conn, ctx, new, reason)
}

fn open(conn: &mut DbConn, ctx: &Ctx, new: &NewCase, reason: &Reason) -> AppResult<ExitCaseRow> {
    let rm = db::rms::find(conn, &new.rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    let trigger = check_trigger(new.kind, new.trigger.as_deref())?;
    if rm.status == RmStatus::Exited.as_str() {
        return Err(AppError::rule(
            "X-5",
            "rm_exited",
            "the RM has exited already",
        ));
    }
    if new.kind == CaseKind::Demotion && Grade::parse(&rm.grade) == Some(Grade::Assistant) {
        return Err(AppError::rule(
            "X-4",
            "lowest_grade",
            "the RM is at the lowest grade; there is no rank to demote to",
        ));
    }
    if let Some(open) = store::open_of_rm(conn, &rm.id)?
        .into_iter()
        .find(|c| c.trigger_item.as_deref() == Some(trigger.as_str()))
    {
        return Err(AppError::rule(
            "X-5",
            "case_open",
            format!("case {} for {trigger} is still open for this RM", open.id),
        ));
    }
    let case = ExitCaseRow {
        id: crate::http::new_id(),
        rm_id: rm.id.clone(),
        kind: new.kind.as_str().into(),
        trigger_item: Some(trigger),
        status: CaseStatus::Proposed.as_str().into(),
        reason: reason.text.clone(),
        evidence: new.evidence.to_string(),
        proposed_by: ctx.actor.username.clone(),
        decided_by: None,
        decision_note: None,
        handover_id: None,
        org_path: rm.org_path.clone(),
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
        reason_code: reason.stored().0,
        reason_params: reason.stored().1,
    };
    store::insert(conn, &case)?;
    event(conn, ctx, &case, "propose", &case.reason)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("exit_case.propose", "exit_case", &case.id, &case.org_path).after(&case)?,
    )?;
    if new.kind == CaseKind::Forced {
        // suspended at once and the handover starts; removal waits for the committee.
        if rm.status == RmStatus::Active.as_str() {
            set_rm_status(conn, ctx, &rm, RmStatus::Suspended, None)?;
            event(
                conn,
                ctx,
                &case,
                "suspend",
                "X-3: suspended at once; no new assignments",
            )?;
        }
        if db::rms::active_assignment_count(conn, &rm.id)? > 0 {
            let handover =
                handover_for_case(conn, ctx, &case, &format!("forced exit case {}", case.id))?;
            let mut after = case.clone();
            after.handover_id = Some(handover.id.clone());
            return save(
                conn,
                ctx,
                &case,
                after,
                "handover",
                &format!("A-9: handover {} proposed at once", handover.id),
            );
        }
    }
    Ok(case)
}

/// The committee's decision (M-1: not by the proposer). Approval of an exit suspends the RM, bans
/// the person when the kind calls for it (O-6) and hands the customers over: at once when the
/// RM holds none, otherwise through a handover proposal that closes the case when confirmed.
pub fn decide(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &str,
    approve: bool,
    note: &str,
) -> AppResult<ExitCaseRow> {
    let before = store::find(conn, id)?
        .filter(|c| in_scope(&ctx.scope, &c.org_path))
        .ok_or(AppError::NotFound("exit case"))?;
    if before.status != CaseStatus::Proposed.as_str() {
        return Err(AppError::VersionConflict(format!(
            "the case is {} already",
            before.status
        )));
    }
    let proposer = db::users::find_by_username(conn, &before.proposed_by)?.map(|u| u.id);
    let same_person = match (proposer, ctx.actor.user_id.as_deref()) {
        (Some(proposer), Some(decider)) => db::users::same_person(conn, &proposer, decider)?,
        _ => false,
    };
    if same_person || before.proposed_by == ctx.actor.username {
        return Err(AppError::rule(
            "M-1",
            "same_person",
            "the proposer of a case cannot decide it; another committee member must",
        ));
    }
    let kind = CaseKind::stored(&before.kind)?;
    let trigger = before.trigger_item.clone().unwrap_or_default();
    let rm = rm_of(conn, &before)?;
    let mut after = before.clone();
    after.decided_by = Some(ctx.actor.username.clone());
    after.decision_note = Some(note.to_string());
    if !approve {
        after.status = CaseStatus::Rejected.as_str().into();
        let after = save(conn, ctx, &before, after, "reject", note)?;
        if kind == CaseKind::Forced && rm.status == RmStatus::Suspended.as_str() {
            set_rm_status(conn, ctx, &rm, RmStatus::Active, None)?;
        }
        // The X-3 handover this case started at proposal is withdrawn with it; a plan another case
        // or a manager started stays.
        let started_here = |plan: &db::handovers::HandoverRow| {
            before.handover_id.as_deref() == Some(plan.id.as_str())
        };
        let shared = |conn: &mut DbConn, plan: &db::handovers::HandoverRow| -> AppResult<bool> {
            Ok(store::open_of_rm(conn, &before.rm_id)?
                .iter()
                .any(|c| c.id != before.id && c.handover_id.as_deref() == Some(plan.id.as_str())))
        };
        let withdraw = match pending_handover(conn, &before)? {
            Some((plan, moves)) if started_here(&plan) && !shared(conn, &plan)? => {
                Some((plan, moves))
            }
            _ => None,
        };
        if let Some((handover, _)) = withdraw {
            let mut withdrawn = handover.clone();
            withdrawn.status = "withdrawn".into();
            withdrawn.version += 1;
            db::handovers::update(conn, &withdrawn, handover.version)?;
            audit::record(
                conn,
                &ctx.actor,
                Change::new(
                    "handover.withdraw",
                    "handover",
                    &handover.id,
                    &handover.org_path,
                )
                .before(&handover)?
                .after(&withdrawn)?,
            )?;
        }
        return Ok(after);
    }
    if kind == CaseKind::Demotion {
        let grade = Grade::stored(&rm.grade)?;
        let lower = Grade::ALL
            .iter()
            .copied()
            .find(|g| g.rank() + 1 == grade.rank())
            .ok_or_else(|| AppError::rule("X-4", "lowest_grade", "no rank to demote to"))?;
        let mut demoted = rm.clone();
        demoted.grade = lower.as_str().into();
        demoted.version = rm.version + 1;
        demoted.updated_at = ctx.now;
        db::rms::update(conn, &demoted, rm.version)?;
        audit::record(
            conn,
            &ctx.actor,
            Change::new("rm.demote", "rm", &rm.id, &rm.org_path)
                .before(&serde_json::json!({"grade": rm.grade}))?
                .after(&serde_json::json!({"grade": demoted.grade}))?,
        )?;
        after.status = CaseStatus::Closed.as_str().into();
        return save(
            conn,
            ctx,
            &before,
            after,
            "approve",
            &format!("demoted to {lower}"),
        );
    }
    let exit = exit_kind(kind, &trigger);
    let extended = ctx.policy.exit.ban_after_misconduct;
    if exit.is_some_and(|e| e.bans_permanently(extended)) {
        db::rms::ban(
            conn,
            &rm.national_id,
            &rm.id,
            exit.map(|e| e.as_str()).unwrap_or_default(),
            ctx.now,
        )?;
    }
    let rm = if rm.status == RmStatus::Active.as_str() {
        set_rm_status(conn, ctx, &rm, RmStatus::Suspended, None)?
    } else {
        rm
    };
    after.status = CaseStatus::Handover.as_str().into();
    if db::rms::active_assignment_count(conn, &rm.id)? == 0 {
        let after = save(conn, ctx, &before, after, "approve", note)?;
        return finish(conn, ctx, after, &rm);
    }
    if let Some((pending, _)) = pending_handover(conn, &before)? {
        // The case follows the plan already proposed for the RM (one plan per RM, A-9).
        after.handover_id = Some(pending.id.clone());
        let note = format!(
            "{note} — the case closes when handover {} is confirmed",
            pending.id
        );
        return save(conn, ctx, &before, after, "approve", &note);
    }
    let handover = handover_for_case(
        conn,
        ctx,
        &before,
        &format!("exit case {} ({trigger})", before.id),
    )?;
    after.handover_id = Some(handover.id.clone());
    save(
        conn,
        ctx,
        &before,
        after,
        "approve",
        &format!(
            "{note} — handover {} proposed; the case closes when it is confirmed",
            handover.id
        ),
    )
}

/// A-9 → X-5: any confirmed handover that leaves an RM with a case waiting for its handover and
/// no assignment closes the case and the RM exits.
pub fn on_handover_confirmed(conn: &mut DbConn, ctx: &Ctx, rm_id: &str) -> AppResult<()> {
    let Some(case) = store::waiting_for_handover(conn, rm_id)? else {
        return Ok(());
    };
    let rm = rm_of(conn, &case)?;
    finish(conn, ctx, case, &rm).map(|_| ())
}

fn finish(conn: &mut DbConn, ctx: &Ctx, case: ExitCaseRow, rm: &RmRow) -> AppResult<ExitCaseRow> {
    let left = db::rms::active_assignment_count(conn, &rm.id)?;
    if left > 0 {
        return Err(AppError::rule(
            "A-9",
            "handover_incomplete",
            format!("the RM still holds {left} active assignments"),
        ));
    }
    let kind = CaseKind::stored(&case.kind)?;
    let exit = exit_kind(kind, case.trigger_item.as_deref().unwrap_or_default());
    set_rm_status(conn, ctx, rm, RmStatus::Exited, exit)?;
    let mut after = case.clone();
    after.status = CaseStatus::Closed.as_str().into();
    save(
        conn,
        ctx,
        &case,
        after,
        "close",
        "every customer handed over; the RM has exited",
    )
}

/// A case with its timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    pub action: String,
    pub note: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub fn timeline(conn: &mut DbConn, case_id: &str) -> AppResult<Vec<Timeline>> {
    Ok(store::events(conn, case_id)?
        .into_iter()
        .map(|e| Timeline {
            action: e.action,
            note: e.note,
            by: e.by_user,
            at: crate::http::utc(e.at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5_triggers_fit_their_kind_and_o6_bans_follow_the_item() {
        assert_eq!(
            check_trigger(CaseKind::Forced, None).ok().as_deref(),
            Some("X-3")
        );
        assert!(check_trigger(CaseKind::Forced, Some("X-2.3")).is_err());
        assert!(check_trigger(CaseKind::Disqualification, None).is_err());
        assert!(check_trigger(CaseKind::Disqualification, Some("X-2.6")).is_ok());
        assert_eq!(
            exit_kind(CaseKind::Disqualification, "X-2.4"),
            Some(ExitKind::DisqualifiedForMisconduct)
        );
        assert_eq!(
            exit_kind(CaseKind::Disqualification, "X-2.3"),
            Some(ExitKind::Disqualified)
        );
        assert_eq!(
            exit_kind(CaseKind::Disqualification, "X-2.5"),
            Some(ExitKind::Disqualified)
        );
        assert!(exit_kind(CaseKind::Forced, "X-3").is_some_and(|e| e.bans_permanently(false)));
        assert!(!exit_kind(CaseKind::Voluntary, "X-4").is_some_and(|e| e.bans_permanently(true)));
        assert_eq!(exit_kind(CaseKind::Demotion, "X-4"), None);
    }
}
