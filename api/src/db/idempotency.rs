//! `Idempotency-Key` on creates: the first response is stored with the change, in the same
//! transaction, and replayed for the same key.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::idempotency_keys;
use super::DbConn;
use crate::error::{AppError, AppResult};

/// A stored response: its status and JSON body.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What identifies "the same request": method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The stored response for this key, or `None` for a new key; 422 when the key was used for a
/// different request.
pub fn find(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    fingerprint: &str,
) -> AppResult<Option<StoredResponse>> {
    let row: Option<(String, i32, String)> = idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some((stored, status, body)) if stored == fingerprint => Ok(Some(StoredResponse {
            status: status as u16,
            body,
        })),
        Some(_) => Err(AppError::field(
            "Idempotency-Key",
            "this key was already used for a different request",
        )),
    }
}

pub fn store(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
    at: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::status.eq(response.status as i32),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
