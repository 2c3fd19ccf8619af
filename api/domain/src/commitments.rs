//! M-2 / M-3: snapshot digests that reveal nothing of a masked field.
//!
//! An event carries a random secret, its *salt*. Each top-level field `f` of a snapshot (`side` is
//! `before` or `after`) gets a field salt `SHA-256("rmdesk-field-salt\n" salt "\n" side "\n" f)` and
//! a commitment `SHA-256(field salt "\n" canonical JSON of the value)`. The snapshot's digest, which
//! the chain hashes, is `SHA-256` over `JSON(f) ":" commitment "\n"` for the fields in name order.
//! A reader who may see a field gets its field salt and recomputes the commitment; a masked field
//! is given only as its commitment, which, without its 256-bit field salt, cannot be matched
//! against guesses of the hidden value. A snapshot that is not an object is one field named `""`.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The top-level fields of a snapshot, by name (a non-object is the one field `""`).
pub fn fields(snapshot: &Value) -> BTreeMap<String, Value> {
    match snapshot {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        other => BTreeMap::from([(String::new(), other.clone())]),
    }
}

/// The salt of one field of one side of an event.
pub fn field_salt(event_salt: &str, side: &str, field: &str) -> String {
    hex::encode(Sha256::digest(
        format!("rmdesk-field-salt\n{event_salt}\n{side}\n{field}").as_bytes(),
    ))
}

/// The commitment to one field's value.
pub fn commitment(field_salt: &str, value: &Value) -> String {
    // serde_json's maps are ordered by key: this text is canonical.
    let canonical = serde_json::to_string(value).unwrap_or_default();
    hex::encode(Sha256::digest(
        format!("{field_salt}\n{canonical}").as_bytes(),
    ))
}

/// A snapshot's digest from its fields' commitments.
pub fn digest(commitments: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (field, c) in commitments {
        hasher.update(serde_json::to_string(field).unwrap_or_default().as_bytes());
        hasher.update(b":");
        hasher.update(c.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Every field's commitment, from the full snapshot and the event salt.
pub fn commit_all(event_salt: &str, side: &str, snapshot: &Value) -> BTreeMap<String, String> {
    fields(snapshot)
        .into_iter()
        .map(|(f, v)| {
            let c = commitment(&field_salt(event_salt, side, &f), &v);
            (f, c)
        })
        .collect()
}

/// The digest of a stored snapshot's text under `event_salt`; `None` when the text is not JSON.
pub fn snapshot_digest(event_salt: &str, side: &str, text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    Some(digest(&commit_all(event_salt, side, &value)))
}

/// What a reader is given to check a snapshot it sees partly masked: the field salts of the fields
/// it sees as stored, the commitments of the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proof {
    pub salts: BTreeMap<String, String>,
    pub commitments: BTreeMap<String, String>,
}

/// The proof for a snapshot whose visible form is `shown` (the full one is `stored`).
pub fn proof(event_salt: &str, side: &str, stored: &Value, shown: &Value) -> Proof {
    let shown = fields(shown);
    let mut proof = Proof::default();
    for (f, v) in fields(stored) {
        let salt = field_salt(event_salt, side, &f);
        if shown.get(&f) == Some(&v) {
            proof.salts.insert(f, salt);
        } else {
            proof.commitments.insert(f.clone(), commitment(&salt, &v));
        }
    }
    proof
}

/// The digest recomputed from what a reader sees: each visible field with its salt, each hidden
/// one by its commitment. `Err(field)` when a field has neither.
pub fn check(shown: &Value, proof: &Proof) -> Result<String, String> {
    let mut all = BTreeMap::new();
    for (f, v) in fields(shown) {
        let c = match (proof.salts.get(&f), proof.commitments.get(&f)) {
            (Some(salt), _) => commitment(salt, &v),
            (None, Some(c)) => c.clone(),
            (None, None) => return Err(f),
        };
        all.insert(f, c);
    }
    for (f, c) in &proof.commitments {
        all.entry(f.clone()).or_insert_with(|| c.clone());
    }
    Ok(digest(&all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn m3_a_masked_field_verifies_without_revealing_its_value() {
        let stored = json!({"name": "Li Na", "national_id": "110101199001014518", "grade": 2});
        let shown = json!({"name": "Li Na", "national_id": "110101********4518", "grade": 2});
        let salt = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
        let digest_stored = snapshot_digest(salt, "after", &stored.to_string());
        let p = proof(salt, "after", &stored, &shown);
        assert_eq!(p.salts.len(), 2);
        assert!(p.commitments.contains_key("national_id"));
        assert_eq!(check(&shown, &p).ok(), digest_stored);
        // A guess of the hidden value cannot be tested without the field salt, which is not given;
        // and a visible field edited breaks the digest.
        let edited = json!({"name": "Wang Wu", "national_id": "110101********4518", "grade": 2});
        assert_ne!(check(&edited, &p).ok(), digest_stored);
    }

    #[test]
    fn field_order_in_the_stored_text_does_not_matter() {
        let salt = "00";
        assert_eq!(
            snapshot_digest(salt, "before", r#"{"b":{"y":1,"x":2},"a":1}"#),
            snapshot_digest(salt, "before", r#"{"a":1,"b":{"x":2,"y":1}}"#)
        );
        assert_ne!(
            snapshot_digest(salt, "before", r#"{"a":1}"#),
            snapshot_digest(salt, "after", r#"{"a":1}"#)
        );
        assert!(snapshot_digest(salt, "after", "[1,2]").is_some());
    }
}
