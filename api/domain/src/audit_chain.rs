//! M-2: the audit log is a hash chain. Each event's hash covers its own content and the hash of
//! the event before it, so editing, inserting or deleting a stored event breaks the chain there.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one event that the hash covers, in a fixed order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainedContent<'a> {
    pub seq: i64,
    /// RFC 3339 with microseconds: both databases keep microseconds exactly.
    pub occurred_at: &'a str,
    pub actor_user_id: Option<&'a str>,
    pub actor_username: &'a str,
    pub actor_roles: &'a str,
    pub actor_org_unit_id: Option<&'a str>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    /// The org path of the unit the entity belongs to.
    pub org_path: &'a str,
    /// The snapshots enter the hash as their SHA-256 (hex), so that an export with personal data
    /// masked (M-3) can still be verified offline.
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    pub request_id: &'a str,
    pub policy_version: i64,
    pub prev_hash: &'a str,
}

/// SHA-256 (hex) of a stored snapshot's text.
pub fn state_digest(state: &str) -> String {
    let mut text = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(Sha256::digest(state.as_bytes()), &mut text);
    std::str::from_utf8(&text).unwrap_or_default().to_owned()
}

/// SHA-256 (hex) over the canonical JSON of the content.
pub fn event_hash(content: &ChainedContent<'_>) -> String {
    let canonical = serde_json::to_vec(content).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

/// Why a stored event does not fit the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The event's content no longer matches its stored hash (it was edited).
    HashMismatch,
    /// The event does not point at the hash of the event before it (one was removed or inserted).
    BrokenLink,
    /// A sequence number is missing.
    Gap,
    /// The chain no longer holds the head a signed checkpoint recorded at this event: events up
    /// to it were rewritten (hashes recomputed) or removed since.
    Rewritten,
    /// A checkpoint's signature does not verify with the server's key.
    ForgedCheckpoint,
}

impl Break {
    pub fn as_str(&self) -> &'static str {
        match self {
            Break::HashMismatch => "hash_mismatch",
            Break::BrokenLink => "broken_link",
            Break::Gap => "gap",
            Break::Rewritten => "rewritten",
            Break::ForgedCheckpoint => "forged_checkpoint",
        }
    }
}

/// Checks one stored event against its predecessor's hash and sequence number.
pub fn check_link(
    content: &ChainedContent<'_>,
    stored_hash: &str,
    expected_prev: &str,
    expected_seq: i64,
) -> Result<(), Break> {
    if content.seq != expected_seq {
        return Err(Break::Gap);
    }
    if content.prev_hash != expected_prev {
        return Err(Break::BrokenLink);
    }
    if event_hash(content) != stored_hash {
        return Err(Break::HashMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content<'a>(seq: i64, prev: &'a str, after: Option<&'a str>) -> ChainedContent<'a> {
        ChainedContent {
            seq,
            occurred_at: "2026-11-23T10:00:00.000001Z",
            actor_user_id: Some("u1"),
            actor_username: "admin",
            actor_roles: "admin",
            actor_org_unit_id: Some("ho"),
            action: "customer.create",
            entity: "customer",
            entity_id: "c1",
            org_path: "/ho/",
            before_sha256: None,
            after_sha256: after.map(state_digest),
            request_id: "r1",
            policy_version: 1,
            prev_hash: prev,
        }
    }

    #[test]
    fn m2_chain_links_and_detects_edits() {
        let first = content(1, GENESIS_HASH, Some(r#"{"name":"Acme"}"#));
        let h1 = event_hash(&first);
        assert_eq!(check_link(&first, &h1, GENESIS_HASH, 1), Ok(()));

        let edited = content(1, GENESIS_HASH, Some(r#"{"name":"Acme Ltd"}"#));
        assert_eq!(
            check_link(&edited, &h1, GENESIS_HASH, 1),
            Err(Break::HashMismatch)
        );

        let second = content(2, &h1, None);
        let h2 = event_hash(&second);
        assert_eq!(check_link(&second, &h2, &h1, 2), Ok(()));
        assert_eq!(
            check_link(&second, &h2, GENESIS_HASH, 2),
            Err(Break::BrokenLink)
        );
        assert_eq!(check_link(&second, &h2, &h1, 3), Err(Break::Gap));
    }
}
