//! M-2 / M-3: snapshot digests that reveal nothing of a masked value.
//!
//! Each event carries a random secret, its *salt*. Every personal value of a snapshot (a string
//! under a key of [`PERSONAL_FIELDS`], at any depth, as [`crate::privacy::mask_json`] masks) at JSON
//! pointer `p` of side `side` (`before` or `after`) is committed to as
//! `SHA-256(SHA-256("rmdesk-field-salt\n" salt "\n" side "\n" p) "\n" JSON(value))`, and the
//! snapshot's digest, which the chain hashes, is the SHA-256 of the canonical JSON (keys sorted,
//! compact) of the snapshot with each personal value replaced by the string `"c:" commitment`.
//! A reader who may see personal data gets the salt and recomputes everything; a masked reader gets
//! only the commitments of the values hidden from it ("redactions"), which, without the salt,
//! cannot be tested against guesses of the hidden values.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::privacy::PERSONAL_FIELDS;

/// Commitments of a snapshot's personal values, by JSON pointer.
pub type Redactions = BTreeMap<String, String>;

fn field_salt(event_salt: &str, side: &str, pointer: &str) -> String {
    hex::encode(Sha256::digest(
        format!("rmdesk-field-salt\n{event_salt}\n{side}\n{pointer}").as_bytes(),
    ))
}

fn commitment(event_salt: &str, side: &str, pointer: &str, value: &str) -> String {
    let salt = field_salt(event_salt, side, pointer);
    let value = serde_json::to_string(value).unwrap_or_default();
    hex::encode(Sha256::digest(format!("{salt}\n{value}").as_bytes()))
}

/// A JSON pointer's reference token for `key` (RFC 6901).
fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Replaces every personal value by its commitment, collecting the commitments.
fn commit_in(value: &mut Value, salt: &str, side: &str, at: &str, out: &mut Redactions) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let pointer = format!("{at}/{}", token(key));
                match v {
                    Value::String(s) if PERSONAL_FIELDS.contains(&key.as_str()) => {
                        let c = commitment(salt, side, &pointer, s);
                        *v = Value::String(format!("c:{c}"));
                        out.insert(pointer, c);
                    }
                    _ => commit_in(v, salt, side, &pointer, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                commit_in(v, salt, side, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn digest_of(committed: &Value) -> String {
    // serde_json's maps are ordered by key: this text is canonical.
    hex::encode(Sha256::digest(
        serde_json::to_string(committed)
            .unwrap_or_default()
            .as_bytes(),
    ))
}

/// The digest of a full snapshot under `salt`, and the commitments a masked reader is given.
pub fn commit(salt: &str, side: &str, snapshot: &Value) -> (String, Redactions) {
    let mut committed = snapshot.clone();
    let mut redactions = Redactions::new();
    commit_in(&mut committed, salt, side, "", &mut redactions);
    (digest_of(&committed), redactions)
}

/// [`commit`] on stored text; `None` when it is not JSON.
pub fn commit_text(salt: &str, side: &str, text: &str) -> Option<(String, Redactions)> {
    let value: Value = serde_json::from_str(text).ok()?;
    Some(commit(salt, side, &value))
}

/// The digest recomputed from a masked snapshot and the commitments of what it hides; `None`
/// when a redaction names no value of the snapshot.
pub fn check(shown: &Value, redactions: &Redactions) -> Option<String> {
    let mut committed = shown.clone();
    for (pointer, c) in redactions {
        *committed.pointer_mut(pointer)? = Value::String(format!("c:{c}"));
    }
    Some(digest_of(&committed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::mask_json;
    use serde_json::json;

    #[test]
    fn m3_a_masked_value_verifies_without_revealing_it() {
        let stored = json!({"name": "Li Na", "national_id": "110101199001014518",
            "guarantors": [{"name": "Wang", "phone": "13812345678"}], "grade": 2});
        let salt = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
        let (digest, redactions) = commit(salt, "after", &stored);
        assert_eq!(
            redactions.keys().collect::<Vec<_>>(),
            vec!["/guarantors/0/phone", "/national_id"]
        );
        let mut shown = stored.clone();
        mask_json(&mut shown);
        assert_eq!(check(&shown, &redactions).as_deref(), Some(digest.as_str()));
        // A visible field edited breaks the digest; so does a redaction of something absent.
        let mut edited = shown.clone();
        edited["name"] = json!("Someone Else");
        assert_ne!(
            check(&edited, &redactions).as_deref(),
            Some(digest.as_str())
        );
        let mut wrong = redactions.clone();
        wrong.insert("/nowhere/0".into(), "00".into());
        assert_eq!(check(&shown, &wrong), None);
        // Without the salt a guess cannot be tested: the commitment depends on it.
        assert_ne!(
            commit("another salt", "after", &stored).1["/national_id"],
            redactions["/national_id"]
        );
    }

    #[test]
    fn field_order_in_the_stored_text_does_not_matter_and_sides_differ() {
        let salt = "00";
        let digest = |side: &str, text: &str| commit_text(salt, side, text).map(|d| d.0);
        assert_eq!(
            digest("before", r#"{"b":{"y":1,"x":2},"a":1}"#),
            digest("before", r#"{"a":1,"b":{"x":2,"y":1}}"#)
        );
        assert_ne!(
            commit_text(salt, "before", r#"{"phone":"1"}"#).map(|d| d.1),
            commit_text(salt, "after", r#"{"phone":"1"}"#).map(|d| d.1)
        );
        assert!(digest("after", "[1,2]").is_some());
    }
}
