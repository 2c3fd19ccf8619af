//! Sessions and sign-in throttling, kept in the database so that every server sees the same:
//! a token is good while its account is active, its security stamp current and its id not
//! revoked; sign-in attempts are counted per key before any password is checked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_throttle, revoked_tokens, users};
use super::DbConn;
use crate::domain::throttle::{Throttle, RESET_AFTER_MINUTES};
use crate::error::AppResult;

/// What the database says of a token's session.
pub enum Session {
    Valid,
    /// Signed out, or the account changed since the token was issued, or it is gone.
    Ended,
    Deactivated,
}

pub fn check(conn: &mut DbConn, user_id: &str, stamp: &str, jti: &str) -> AppResult<Session> {
    let account: Option<(String, bool)> = users::table
        .find(user_id)
        .select((users::security_stamp, users::active))
        .first(conn)
        .optional()?;
    let Some((current, active)) = account else {
        return Ok(Session::Ended);
    };
    if !active {
        return Ok(Session::Deactivated);
    }
    if current != stamp {
        return Ok(Session::Ended);
    }
    let revoked = revoked_tokens::table
        .find(jti)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok(if revoked {
        Session::Ended
    } else {
        Session::Valid
    })
}

/// Revokes one token (sign-out) until it would have expired; forgets revocations past expiry.
pub fn revoke(
    conn: &mut DbConn,
    jti: &str,
    user_id: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now)))
        .execute(conn)?;
    // Two sign-outs of one token at once (two servers) both stand.
    on_inner!(conn, c => diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::user_id.eq(user_id),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// The state of `key`, locked for this transaction (PostgreSQL takes the row lock with the
/// first update; SQLite has one writer).
fn lock(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> AppResult<Throttle> {
    // Sign-ins of one user at once on several servers: the first makes the row, the others find
    // it (a plain insert would refuse them with a duplicate key).
    let fresh = Throttle::new(now);
    on_inner!(conn, c => diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::throttle_key.eq(key),
            login_throttle::failures.eq(fresh.failures),
            login_throttle::last_at.eq(fresh.last_at),
            login_throttle::blocked_until.eq(fresh.blocked_until),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(login_throttle::table.find(key))
        .set(login_throttle::throttle_key.eq(key))
        .execute(conn)?;
    let (failures, last_at, blocked_until) = login_throttle::table
        .find(key)
        .select((
            login_throttle::failures,
            login_throttle::last_at,
            login_throttle::blocked_until,
        ))
        .first(conn)?;
    Ok(Throttle {
        failures,
        last_at,
        blocked_until,
    })
}

fn store(conn: &mut DbConn, key: &str, t: &Throttle) -> AppResult<()> {
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(t.failures),
            login_throttle::last_at.eq(t.last_at),
            login_throttle::blocked_until.eq(t.blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts one attempt against every key (`(key, free attempts)`): `Err(seconds)` when any is
/// blocked, and then nothing is counted.
pub fn admit(
    conn: &mut DbConn,
    keys: &[(String, i32)],
    now: NaiveDateTime,
) -> AppResult<Result<(), u64>> {
    // Keys quiet for longer than the reset and not blocked are forgotten now and then, so that a
    // spray of made-up usernames does not grow the table without bound.
    if rand::random::<u8>() < 4 {
        let quiet = now - chrono::Duration::minutes(RESET_AFTER_MINUTES);
        diesel::delete(
            login_throttle::table
                .filter(login_throttle::last_at.lt(quiet))
                .filter(
                    login_throttle::blocked_until
                        .is_null()
                        .or(login_throttle::blocked_until.lt(now)),
                ),
        )
        .execute(conn)?;
    }
    let mut next = Vec::with_capacity(keys.len());
    for (key, free) in keys {
        match lock(conn, key, now)?.attempt(now, *free) {
            Ok(t) => next.push((key, t)),
            Err(wait) => return Ok(Err(wait)),
        }
    }
    for (key, t) in next {
        store(conn, key, &t)?;
    }
    Ok(Ok(()))
}

/// The counted attempt succeeded: it is taken off every key.
pub fn succeeded(conn: &mut DbConn, keys: &[(String, i32)], now: NaiveDateTime) -> AppResult<()> {
    for (key, free) in keys {
        let t = lock(conn, key, now)?.succeeded(*free);
        store(conn, key, &t)?;
    }
    Ok(())
}
