//! User accounts: create and change, under separation of duties (M-4). Nobody changes their own
//! roles, unit, active flag or RM link; roles are granted only as the policy's grant table allows;
//! the privileged roles wait for a second admin (M-1); one RM record has at most one account.
//! Every change of password, roles, unit or active flag gives the account a new security stamp,
//! which ends the sessions opened before it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::Ctx;
use crate::bounded::{Password, RecordId, Roles, Text200, Username};
use crate::db::audit::{self, Change};
use crate::db::users::{self as store, UserRow};
use crate::db::{self, DbConn};
use crate::domain::duties::{self, GuardedChange};
use crate::domain::org::in_scope;
use crate::domain::role::{join_roles, split_roles, Role};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(example = "li.na")]
    pub username: Username,
    pub password: Password,
    #[schema(example = "Li Na")]
    pub display_name: Text200,
    pub roles: Roles,
    pub org_unit_id: RecordId,
    pub rm_id: Option<RecordId>,
}

/// Changes to a user; send `version` (or `If-Match`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<Text200>,
    pub roles: Option<Roles>,
    pub org_unit_id: Option<RecordId>,
    /// `null` unlinks the RM record.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<RecordId>)]
    pub rm_id: Option<Option<RecordId>>,
    pub active: Option<bool>,
    pub password: Option<Password>,
    pub version: Option<i64>,
}

/// M-4 / M-1: privileged roles for an account, granted when a second admin approves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleGrant {
    pub user_id: String,
    /// The account's roles once granted.
    pub roles: Vec<Role>,
    /// The account's version when the grant was asked for.
    pub version: i64,
    /// The maker: the admin who asked.
    pub granted_by: String,
}

/// What the audit log keeps of a user (no password hash, no stamp).
pub fn audit_view(r: &UserRow) -> serde_json::Value {
    serde_json::json!({"id": r.id, "username": r.username, "display_name": r.display_name, "roles": r.roles,
        "org_unit_id": r.org_unit_id, "rm_id": r.rm_id, "active": r.active, "version": r.version})
}

fn actor_roles(ctx: &Ctx) -> Vec<Role> {
    split_roles(&ctx.actor.roles)
}

fn actor_id(ctx: &Ctx) -> &str {
    ctx.actor.user_id.as_deref().unwrap_or_default()
}

/// M-4: a change of `target`'s roles from `before` to `after` by the actor: never one's own, and
/// only roles the actor's part of the grant table covers.
fn check_role_change(ctx: &Ctx, target: &str, before: &[Role], after: &[Role]) -> AppResult<()> {
    let roles_only = GuardedChange {
        roles: true,
        ..Default::default()
    };
    duties::check_not_self(actor_id(ctx), target, roles_only).map_err(AppError::Denied)?;
    duties::check_grant(&ctx.policy.duties, &actor_roles(ctx), before, after)
        .map_err(AppError::Denied)
}

/// Records in `role_grants` who granted (and approved) the roles gained from `before` to `after`,
/// and forgets those lost (M-4).
fn record_role_change(
    conn: &mut DbConn,
    user_id: &str,
    before: &[Role],
    after: &[Role],
    granted_by: Option<&str>,
    approved_by: Option<&str>,
    at: chrono::NaiveDateTime,
) -> AppResult<()> {
    let names = |roles: Vec<Role>| -> Vec<String> {
        roles.iter().map(|r| r.as_str().to_string()).collect()
    };
    store::record_grants(
        conn,
        user_id,
        &names(duties::added(before, after)),
        &names(duties::removed(before, after)),
        granted_by,
        approved_by,
        at,
    )
}

fn approval_required() -> AppError {
    AppError::rule(
        "M-4",
        "approval_required",
        "granting admin, committee, risk_officer or auditor waits for a second admin (M-1)",
    )
}

/// M-4: the RM record exists in scope and no other account is linked to it.
fn check_rm_link(conn: &mut DbConn, ctx: &Ctx, rm_id: &str, user_id: &str) -> AppResult<()> {
    db::rms::find(conn, rm_id)?
        .filter(|r| in_scope(&ctx.scope, &r.org_path))
        .ok_or_else(|| AppError::field("rm_id", "no such RM in your scope"))?;
    if let Some(other) = store::find_by_rm(conn, rm_id)? {
        if other.id != user_id {
            return Err(AppError::rule(
                "M-4",
                "rm_linked",
                format!(
                    "the RM record is linked to the account {} already: one person, one RM record",
                    other.username
                ),
            ));
        }
    }
    Ok(())
}

/// The roles of a new account the caller may grant (M-4); `Err(approval_required)` when some are
/// privileged and no second admin approved. Used by the route before it files the approval.
pub fn check_roles(ctx: &Ctx, before: &[Role], after: &[Role]) -> AppResult<()> {
    duties::check_grant(&ctx.policy.duties, &actor_roles(ctx), before, after)
        .map_err(AppError::Denied)?;
    if duties::needs_second_admin(before, after) && !ctx.approved("M-4") {
        return Err(approval_required());
    }
    Ok(())
}

/// A new account in the caller's subtree. Privileged roles are not given here: the route creates
/// the account with the others and files them for approval.
fn create(
    conn: &mut DbConn,
    ctx: &Ctx,
    new: NewUser,
    roles: &[Role],
    password_hash: String,
) -> AppResult<UserRow> {
    check_roles(ctx, &[], roles)?;
    let unit = db::org_units::referenced(conn, &ctx.scope, &new.org_unit_id, "org_unit_id")?;
    if store::find_by_username(conn, &new.username)?.is_some() {
        return Err(AppError::Duplicate(format!(
            "username {} is taken",
            new.username
        )));
    }
    let id = crate::http::new_id();
    if let Some(rm_id) = &new.rm_id {
        check_rm_link(conn, ctx, rm_id, &id)?;
    }
    let row = UserRow {
        id,
        username: new.username.into_string(),
        password_hash,
        display_name: new.display_name.trim().to_string(),
        roles: join_roles(roles),
        org_unit_id: unit.id,
        org_path: unit.path,
        rm_id: new.rm_id.map(String::from),
        active: true,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
        security_stamp: store::new_stamp(),
    };
    store::insert(conn, &row)?;
    record_role_change(
        conn,
        &row.id,
        &[],
        roles,
        Some(actor_id(ctx)),
        None,
        ctx.now,
    )?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("user.create", "user", &row.id, &row.org_path).after(&audit_view(&row))?,
    )?;
    Ok(row)
}

/// The account in the caller's scope, if the caller may change it (M-4).
pub fn changeable(conn: &mut DbConn, ctx: &Ctx, id: &str) -> AppResult<UserRow> {
    let row = store::find(conn, id)?
        .filter(|u| in_scope(&ctx.scope, &u.org_path))
        .ok_or(AppError::NotFound("user"))?;
    // M-4: changing another's account (its password included) is holding its roles; only someone
    // who may grant every one of them may do it. One's own guards are refused by `check_not_self`.
    if actor_id(ctx) == row.id {
        return Ok(row);
    }
    duties::check_grant(
        &ctx.policy.duties,
        &actor_roles(ctx),
        &split_roles(&row.roles),
        &[],
    )
    .map_err(|_| {
        AppError::Denied(crate::domain::RuleViolation::new(
            "M-4",
            "account_not_yours_to_change",
            format!(
                "the account holds roles ({}) your roles may not grant; an admin must change it",
                row.roles
            ),
        ))
    })?;
    Ok(row)
}

/// What a request to create or change an account came to.
pub enum Outcome {
    Done(Box<UserRow>),
    /// The approval the account's privileged roles wait for (M-1).
    Waiting(Box<crate::db::approvals::ApprovalRow>),
}

/// Files the privileged part of a grant for a second admin (M-4 / M-1).
fn request_grant(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &crate::auth::Caller,
    user: &UserRow,
    roles: Vec<Role>,
) -> AppResult<crate::db::approvals::ApprovalRow> {
    let grant = RoleGrant {
        user_id: user.id.clone(),
        roles: roles.clone(),
        version: user.version,
        granted_by: caller.user_id.clone(),
    };
    super::approvals::request(
        conn,
        ctx,
        caller,
        &super::approvals::Pending::GrantRoles(grant),
        super::approvals::Request {
            reason: format!("roles {} for {}", join_roles(&roles), user.username),
            rule: "M-4",
            approver_roles: &[Role::Admin],
            org_path: user.org_path.clone(),
        },
    )
}

/// A new account; privileged roles wait for a second admin while the account is created with the
/// others (M-4).
pub fn create_or_request(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &crate::auth::Caller,
    new: NewUser,
    password_hash: String,
) -> AppResult<Outcome> {
    duties::check_grant(&ctx.policy.duties, &actor_roles(ctx), &[], &new.roles)
        .map_err(AppError::Denied)?;
    if !duties::needs_second_admin(&[], &new.roles) {
        let roles = new.roles.to_vec();
        let user = create(conn, ctx, new, &roles, password_hash)?;
        return Ok(Outcome::Done(Box::new(user)));
    }
    let wanted = new.roles.to_vec();
    let unprivileged: Vec<Role> = wanted
        .iter()
        .copied()
        .filter(|r| !duties::is_privileged(*r))
        .collect();
    let user = create(conn, ctx, new, &unprivileged, password_hash)?;
    let approval = request_grant(conn, ctx, caller, &user, wanted)?;
    Ok(Outcome::Waiting(Box::new(approval)))
}

/// A change to an account; one that adds a privileged role waits for a second admin, and then
/// may change nothing else.
pub fn update_or_request(
    conn: &mut DbConn,
    ctx: &Ctx,
    caller: &crate::auth::Caller,
    id: &str,
    patch: UserPatch,
    password_hash: Option<String>,
    expected: i64,
) -> AppResult<Outcome> {
    let before = changeable(conn, ctx, id)?;
    let roles_before = split_roles(&before.roles);
    let wanted = match &patch.roles {
        Some(roles) if duties::needs_second_admin(&roles_before, roles) => roles.to_vec(),
        _ => {
            let after = update(conn, ctx, before, patch, password_hash, expected)?;
            return Ok(Outcome::Done(Box::new(after)));
        }
    };
    crate::http::check_version(before.version, expected, "the user")?;
    check_role_change(ctx, &before.id, &roles_before, &wanted)?;
    let alone = patch.display_name.is_none()
        && patch.org_unit_id.is_none()
        && patch.rm_id.is_none()
        && patch.active.is_none()
        && password_hash.is_none();
    if !alone {
        return Err(AppError::field(
            "roles",
            "a grant of admin, committee, risk_officer or auditor waits for a second admin; send it on its own",
        ));
    }
    let approval = request_grant(conn, ctx, caller, &before, wanted)?;
    Ok(Outcome::Waiting(Box::new(approval)))
}

/// Changes an account loaded by [`changeable`]. `password_hash` is the new password's hash when
/// the patch sets one.
fn update(
    conn: &mut DbConn,
    ctx: &Ctx,
    before: UserRow,
    patch: UserPatch,
    password_hash: Option<String>,
    expected: i64,
) -> AppResult<UserRow> {
    crate::http::check_version(before.version, expected, "the user")?;
    let roles_before = split_roles(&before.roles);
    let roles_after = patch
        .roles
        .as_ref()
        .map_or_else(|| roles_before.clone(), |r| r.to_vec());
    let unit_id = patch
        .org_unit_id
        .map_or_else(|| before.org_unit_id.clone(), String::from);
    let rm_link = patch
        .rm_id
        .clone()
        .map_or_else(|| before.rm_id.clone(), |link| link.map(String::from));
    let active = patch.active.unwrap_or(before.active);
    let guarded = GuardedChange {
        roles: join_roles(&roles_after) != before.roles,
        unit: unit_id != before.org_unit_id,
        active: active != before.active,
        rm_link: rm_link != before.rm_id,
    };
    duties::check_not_self(actor_id(ctx), &before.id, guarded).map_err(AppError::Denied)?;
    check_roles(ctx, &roles_before, &roles_after)?;
    let unit = db::org_units::referenced(conn, &ctx.scope, &unit_id, "org_unit_id")?;
    if guarded.rm_link {
        if let Some(rm_id) = &rm_link {
            check_rm_link(conn, ctx, rm_id, &before.id)?;
        }
    }
    let mut after = before.clone();
    if let Some(v) = patch.display_name {
        after.display_name = v.trim().to_string();
    }
    after.roles = join_roles(&roles_after);
    after.active = active;
    after.org_unit_id = unit.id;
    after.org_path = unit.path;
    after.rm_id = rm_link;
    let password_changed = password_hash.is_some();
    if let Some(hash) = password_hash {
        after.password_hash = hash;
    }
    if password_changed || guarded.roles || guarded.unit || guarded.active {
        after.security_stamp = store::new_stamp();
    }
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    store::update(conn, &after, expected)?;
    if guarded.roles {
        record_role_change(
            conn,
            &after.id,
            &roles_before,
            &roles_after,
            Some(actor_id(ctx)),
            None,
            ctx.now,
        )?;
    }
    audit::record(
        conn,
        &ctx.actor,
        Change::new("user.update", "user", &after.id, &after.org_path)
            .before(&audit_view(&before))?
            .after(&audit_view(&after))?,
    )?;
    if password_changed {
        audit::record(
            conn,
            &ctx.actor,
            Change::new("user.password_change", "user", &after.id, &after.org_path),
        )?;
    }
    Ok(after)
}

/// Applies an approved grant of privileged roles (M-1): the maker granted them, the checker (the
/// approving admin, `ctx.actor`) approved them.
pub fn grant(conn: &mut DbConn, ctx: &Ctx, g: &RoleGrant) -> AppResult<UserRow> {
    let before = changeable(conn, ctx, &g.user_id)?;
    crate::http::check_version(before.version, g.version, "the user")?;
    let roles_before = split_roles(&before.roles);
    check_role_change(ctx, &before.id, &roles_before, &g.roles)?;
    let mut after = before.clone();
    after.roles = join_roles(&g.roles);
    after.security_stamp = store::new_stamp();
    after.version = before.version + 1;
    after.updated_at = ctx.now;
    store::update(conn, &after, before.version)?;
    record_role_change(
        conn,
        &after.id,
        &roles_before,
        &g.roles,
        Some(&g.granted_by),
        Some(actor_id(ctx)),
        ctx.now,
    )?;
    audit::record(
        conn,
        &ctx.actor,
        Change::new("user.grant", "user", &after.id, &after.org_path)
            .before(&audit_view(&before))?
            .after(&audit_view(&after))?,
    )?;
    Ok(after)
}
