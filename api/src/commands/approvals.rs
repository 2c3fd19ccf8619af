//! M-1 maker-checker: a sensitive command is stored as a pending approval and runs only when a
//! second user with the right role and scope approves; approval re-checks every rule against the
//! state at that moment. Rejection keeps the record. Every step is audited.

use serde::{Deserialize, Serialize};

use super::assignments::{self, Assign};
use super::{flags, Ctx};
use crate::auth::Caller;
use crate::db::approvals::{self as store, ApprovalRow};
use crate::db::audit::{self, Change};
use crate::db::{self, DbConn};
use crate::domain::flag::FlagKind;
use crate::domain::org::in_scope;
use crate::domain::policy::Policy;
use crate::domain::reason::Reason;
use crate::domain::role::{join_roles, split_roles, Role};
use crate::error::{AppError, AppResult};

/// A command waiting for a second person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", content = "payload", rename_all = "snake_case")]
pub enum Pending {
    /// reassigning a high-value, blacklisted or flagged customer.
    Reassign {
        customer_id: String,
        to_rm_id: String,
        reason: String,
    },
    /// an assignment over the RM's cap, with the maker's reason for the override.
    AssignOverCap {
        assign: Assign,
        override_reason: String,
    },
    /// blacklisting a customer (污点客户).
    Blacklist { customer_id: String, reason: String },
    /// resolving a `blacklisted` flag, with evidence.
    Unblacklist { flag_id: String, evidence: String },
    /// a new assignment for a blacklisted customer, approved by a risk officer.
    AssignBlacklisted { assign: Assign },
    /// confirming a handover that moves flagged, blacklisted or high-value customers,
    /// as the plan stood at this version.
    ConfirmHandover { handover_id: String, version: i64 },
    /// O-3 / M-1: a grade qualification, applied when a manager of a high enough unit approves.
    Qualify(super::qualifications::Grading),
    /// M-4: privileged roles for an account, decided by an admin other than the maker.
    GrantRoles(super::users::RoleGrant),
    /// P-1: a new policy version, based on the version the maker read.
    ChangePolicy {
        policy: Box<Policy>,
        based_on_version: i64,
    },
}

impl Pending {
    /// The rules a second person answers for by approving this command.
    fn approves(&self) -> &'static [&'static str] {
        match self {
            Pending::Reassign { .. } => &["A-10"],
            Pending::AssignOverCap { .. } => &["A-3"],
            Pending::AssignBlacklisted { .. } => &["R-3", "A-10"],
            Pending::Blacklist { .. } | Pending::Unblacklist { .. } => &["R-2"],
            Pending::ChangePolicy { .. } => &["P-1"],
            Pending::ConfirmHandover { .. } => &["A-10"],
            Pending::Qualify(_) => &["O-3"],
            Pending::GrantRoles(_) => &["M-4"],
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Pending::Reassign { .. } => "reassign",
            Pending::AssignOverCap { .. } => "assign_over_cap",
            Pending::ChangePolicy { .. } => "change_policy",
            Pending::Blacklist { .. } => "blacklist",
            Pending::Unblacklist { .. } => "unblacklist",
            Pending::AssignBlacklisted { .. } => "assign_blacklisted",
            Pending::ConfirmHandover { .. } => "confirm_handover",
            Pending::Qualify(_) => "qualify",
            Pending::GrantRoles(_) => "grant_roles",
        }
    }
}

/// What a request for approval needs beside the command.
pub struct Request<'a> {
    pub reason: String,
    pub rule: &'static str,
    pub approver_roles: &'a [Role],
    /// The org path of the entity: approvers must have it in scope.
    pub org_path: String,
}

pub fn request(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    pending: &Pending,
    req: Request<'_>,
) -> AppResult<ApprovalRow> {
    let payload = serde_json::to_value(pending)?;
    let row = ApprovalRow {
        id: crate::http::new_id(),
        command: pending.name().into(),
        payload: serde_json::to_string(&payload["payload"])?,
        reason: req.reason,
        rule: req.rule.into(),
        required_roles: join_roles(req.approver_roles),
        org_path: req.org_path,
        status: "pending".into(),
        maker_user_id: caller.user_id.clone(),
        maker_username: caller.username.clone(),
        decided_by_user_id: None,
        decided_at: None,
        decision_note: None,
        result: None,
        version: 1,
        created_at: ctx.now,
    };
    store::insert(conn, &row)?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("approval.request", "approval", &row.id, &row.org_path).after(&row)?,
    )?;
    Ok(row)
}

fn pending_of(row: &ApprovalRow) -> AppResult<Pending> {
    let value = serde_json::json!({"command": row.command, "payload": serde_json::from_str::<serde_json::Value>(&row.payload)?});
    Ok(serde_json::from_value(value)?)
}

/// Loads a pending approval the caller may decide: in scope (404), not their own (M-1), with one
/// of the required roles (403).
fn decidable(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<ApprovalRow> {
    let row = store::find(conn, id)?
        .filter(|a| in_scope(&caller.org_path, &a.org_path))
        .ok_or(AppError::NotFound("approval"))?;
    if row.status != "pending" {
        return Err(AppError::VersionConflict(format!(
            "the approval is {} already",
            row.status
        )));
    }
    if db::users::same_person(conn, &row.maker_user_id, &caller.user_id)? {
        return Err(AppError::rule(
            "M-1",
            "same_person",
            "the maker of a request cannot approve or reject it; a second person must",
        ));
    }
    let allowed = split_roles(&row.required_roles);
    if !caller.roles.iter().any(|r| allowed.contains(r)) {
        return Err(AppError::Forbidden(format!(
            "deciding this needs one of the roles {}",
            row.required_roles
        )));
    }
    // M-4: a checker whose deciding role the maker granted is no second person.
    let granted_by_maker = db::users::roles_granted_by(conn, &caller.user_id, &row.maker_user_id)?;
    if crate::domain::duties::independent_roles(&caller.roles, &allowed, &granted_by_maker)
        .is_empty()
    {
        return Err(AppError::Denied(crate::domain::RuleViolation::new(
            "M-4",
            "checker_made_by_maker",
            "your role to decide this was granted by the maker of the request; another person must decide",
        )));
    }
    Ok(row)
}

/// Approves and applies the command in the caller's transaction; a rule that no longer holds
/// refuses the approval and leaves it pending.
pub fn approve(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    note: Option<String>,
) -> AppResult<ApprovalRow> {
    let before = decidable(conn, caller, id)?;
    let pending = pending_of(&before)?;
    // M-1: the command runs with the rules this approval answers for, and only those.
    let approved = Ctx {
        approved_rules: pending.approves().to_vec(),
        ..ctx.clone()
    };
    let ctx = &approved;
    let result = match pending {
        Pending::Reassign {
            customer_id,
            to_rm_id,
            reason,
        } => serde_json::to_string(&assignments::reassign(
            conn,
            ctx,
            &customer_id,
            &to_rm_id,
            &reason,
        )?)?,
        Pending::AssignOverCap { assign, .. } => {
            serde_json::to_string(&assignments::assign(conn, ctx, &assign, true)?)?
        }
        Pending::Blacklist {
            customer_id,
            reason,
        } => {
            let (customer, _) = assignments::customer_facts(conn, ctx, &customer_id)?;
            let (flag, _) = flags::raise(
                conn,
                ctx,
                &customer,
                FlagKind::Blacklisted,
                None,
                "manual",
                &Reason::typed(reason.as_str()),
            )?;
            serde_json::to_string(&flag)?
        }
        Pending::Unblacklist { flag_id, evidence } => {
            serde_json::to_string(&flags::resolve(conn, ctx, &flag_id, &evidence)?)?
        }
        Pending::ConfirmHandover {
            handover_id,
            version,
        } => {
            let (handover, _) = super::handovers::confirm(conn, ctx, &handover_id, Some(version))?;
            serde_json::to_string(&handover)?
        }
        Pending::Qualify(grading) => {
            serde_json::to_string(&super::qualifications::apply(conn, ctx, caller, &grading)?)?
        }
        Pending::GrantRoles(grant) => {
            let user = super::users::grant(conn, ctx, &grant)?;
            serde_json::to_string(&super::users::audit_view(&user))?
        }
        Pending::AssignBlacklisted { assign } => {
            serde_json::to_string(&assignments::assign(conn, ctx, &assign, false)?)?
        }
        Pending::ChangePolicy {
            policy,
            based_on_version,
        } => {
            // P-1: a stored request that no longer validates (filed before a rule was added) is
            // not applied.
            let problems = policy.problems();
            if !problems.is_empty() {
                return Err(AppError::Validation(
                    problems
                        .into_iter()
                        .map(|(field, message)| crate::error::FieldError::new(&field, message))
                        .collect(),
                ));
            }
            let current = db::policy::current_version(conn)?;
            if current != based_on_version {
                return Err(AppError::VersionConflict(format!(
                    "the policy is at version {current}, not {based_on_version} as when this change was made; propose it again"
                )));
            }
            let version = db::policy::insert_next(
                conn,
                &policy,
                Some(before.maker_username.clone()),
                ctx.now,
            )?;
            let root = db::org_units::root(conn)?.ok_or(AppError::NotFound("head office"))?;
            audit::record(
                conn,
                &ctx.actor,
                Change::new("policy.change", "policy", &version.to_string(), &root.path)
                    .after(&policy)?,
            )?;
            serde_json::to_string(&serde_json::json!({"version": version}))?
        }
    };
    decide(conn, ctx, caller, before, "approved", note, Some(result))
}

pub fn reject(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    note: Option<String>,
) -> AppResult<ApprovalRow> {
    let before = decidable(conn, caller, id)?;
    decide(conn, ctx, caller, before, "rejected", note, None)
}

fn decide(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &Caller,
    before: ApprovalRow,
    status: &str,
    note: Option<String>,
    result: Option<String>,
) -> AppResult<ApprovalRow> {
    let mut after = before.clone();
    after.status = status.into();
    after.decided_by_user_id = Some(caller.user_id.clone());
    after.decided_at = Some(ctx.now);
    after.decision_note = note;
    after.result = result;
    after.version = before.version + 1;
    store::decide(conn, &after, before.version)?;
    let action = format!(
        "approval.{}",
        if status == "approved" {
            "approve"
        } else {
            "reject"
        }
    );
    audit::record(
        conn,
        &ctx.actor,
        Change::new(&action, "approval", &after.id, &after.org_path)
            .before(&before)?
            .after(&after)?,
    )?;
    Ok(after)
}
