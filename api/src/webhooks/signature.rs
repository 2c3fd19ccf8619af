//! `X-Rmdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: a receiver
//! recomputes it with the subscription's secret, refuses a timestamp too far from its own clock
//! (replays) and deduplicates on `X-Rmdesk-Event-Id`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's value for `body` sent at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks a header against `body` in constant time (what a receiver does; used by the tests and
/// documented for integrators).
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let header = sign("s3cret-s3cret-s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify("s3cret-s3cret-s3cret", &header, b"{\"a\":1}"));
        assert!(!verify("another-secret-here", &header, b"{\"a\":1}"));
        assert!(!verify("s3cret-s3cret-s3cret", &header, b"{\"a\":2}"));
        let replayed = header.replace("t=1700000000", "t=1700000001");
        assert!(!verify("s3cret-s3cret-s3cret", &replayed, b"{\"a\":1}"));
    }
}
