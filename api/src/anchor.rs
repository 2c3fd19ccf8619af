//! The audit chain's anchor (M-2): an Ed25519 key, made on first start beside the JWT secret
//! (`audit-signing-key`, 0600), signs checkpoints of the chain head and every export's manifest.
//! Someone who can write the database can recompute the chain's hashes, but cannot sign: a rewrite
//! of events a checkpoint covers shows at `/audit/verify`, and an edited export fails
//! `rmdesk verify-export --public-key`. Someone who also holds the key file can forge both.

use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// The key in `data_dir/audit-signing-key` (64 hex digits), made when missing.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let path = data_dir.join("audit-signing-key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let seed: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("{} is not a 32-byte hex key", path.display()))?;
            return Ok(Signer {
                key: SigningKey::from_bytes(&seed),
            });
        }
        let seed: [u8; 32] = rand::random();
        crate::startup::write_private(&path, &hex::encode(seed))?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// A short name of the key: the first 16 hex digits of its SHA-256.
    pub fn key_id(&self) -> String {
        key_id(&self.public_hex())
    }

    /// Hex signature of `message`.
    pub fn sign(&self, message: &str) -> String {
        hex::encode(self.key.sign(message.as_bytes()).to_bytes())
    }
}

pub fn key_id(public_hex: &str) -> String {
    hex::encode(Sha256::digest(public_hex.as_bytes()))[..16].to_string()
}

/// Whether `signature` (hex) is the signature of `message` by the key `public_hex`.
pub fn verify(public_hex: &str, message: &str, signature: &str) -> bool {
    let key = hex::decode(public_hex.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match (key, signature) {
        (Some(key), Some(signature)) => key.verify(message.as_bytes(), &signature).is_ok(),
        _ => false,
    }
}

/// What a checkpoint signs: the chain's head at a sequence number, and when.
pub fn checkpoint_message(seq: i64, hash: &str, signed_at: &str) -> String {
    format!("rmdesk-checkpoint-v1\n{seq}\n{hash}\n{signed_at}")
}

/// What an export's manifest signature covers.
pub fn manifest_message(
    row_count: u64,
    items_sha256: &str,
    chain_from: Option<&str>,
    chain_to: Option<&str>,
) -> String {
    format!(
        "rmdesk-export-v1\n{row_count}\n{items_sha256}\n{}\n{}",
        chain_from.unwrap_or("-"),
        chain_to.unwrap_or("-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m2_signatures_verify_only_for_the_signed_message_and_key() {
        let dir = std::env::temp_dir().join(format!("rmdesk-anchor-{}", uuid::Uuid::new_v4()));
        let signer = Signer::load_or_create(&dir).unwrap_or_else(|e| panic!("{e}"));
        let again = Signer::load_or_create(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(signer.public_hex(), again.public_hex(), "the key persists");
        let message = checkpoint_message(7, "abc", "2026-11-30T04:00:00.000000Z");
        let signature = signer.sign(&message);
        assert!(verify(&signer.public_hex(), &message, &signature));
        assert!(!verify(
            &signer.public_hex(),
            &checkpoint_message(7, "abd", "2026-11-30T04:00:00.000000Z"),
            &signature
        ));
        let other = Signer::load_or_create(&dir.join("other")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!verify(&other.public_hex(), &message, &signature));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
