//! Sign-in and sign-out bookkeeping: attempts counted before any password is checked (shared by
//! every server), and every sign-in, failure and sign-out recorded in the audit log (M-2). The
//! password check itself runs between `admit` and `conclude`, outside any transaction.

use chrono::NaiveDateTime;

use crate::db::audit::{self, Actor, Change};
use crate::db::users::UserRow;
use crate::db::{self, DbConn};
use crate::error::AppResult;

/// Throttle keys with their free attempts (see `routes::v1::auth`).
pub type Keys = Vec<(String, i32)>;

/// Counts the attempt on every key: `Err(seconds to wait)` when one is blocked; else the account
/// of that name, if any.
pub fn admit(
    conn: &mut DbConn,
    keys: &Keys,
    username: &str,
    now: NaiveDateTime,
) -> AppResult<Result<Option<UserRow>, u64>> {
    match db::sessions::admit(conn, keys, now)? {
        Ok(()) => Ok(Ok(db::users::find_by_username(conn, username)?)),
        Err(wait) => Ok(Err(wait)),
    }
}

/// Records the outcome: a sign-in takes its attempt off the keys; a failure stays counted. Either
/// is an audit event, a failure for an unknown name under the head office.
pub fn conclude(
    conn: &mut DbConn,
    actor: &Actor,
    keys: &Keys,
    signed_in: Option<&UserRow>,
    username: &str,
) -> AppResult<()> {
    let now = actor.clock.now();
    let (action, id, scope) = match signed_in {
        Some(u) => {
            db::sessions::succeeded(conn, keys, now)?;
            ("auth.sign_in", u.id.clone(), u.org_path.clone())
        }
        None => {
            let root = db::org_units::root(conn)?
                .map(|r| r.path)
                .unwrap_or_default();
            ("auth.sign_in_failed", username.to_string(), root)
        }
    };
    audit::record(conn, actor, Change::new(action, "user", &id, &scope))?;
    Ok(())
}

/// Signs a token out until it would have expired.
pub fn sign_out(conn: &mut DbConn, caller: &crate::auth::Caller) -> AppResult<()> {
    let expires_at = chrono::DateTime::from_timestamp(caller.token_expires_at, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_else(|| caller.now());
    db::sessions::revoke(
        conn,
        &caller.token_id,
        &caller.user_id,
        expires_at,
        caller.now(),
    )?;
    audit::record(
        conn,
        &caller.actor(),
        Change::new("auth.sign_out", "user", &caller.user_id, &caller.org_path),
    )?;
    Ok(())
}
