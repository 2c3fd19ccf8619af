//! Password hashing with argon2id (PHC string format).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::error::AppError;

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Constant-work verification; a malformed stored hash verifies as false.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Bounds the argon2 work running at once, so that a flood of sign-ins cannot starve the rest of
/// the API of threads (each hash costs ~19 MiB and tens of milliseconds of a core).
pub struct Hashing {
    permits: tokio::sync::Semaphore,
}

impl Default for Hashing {
    /// Half the cores, at least one.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hashing {
            permits: tokio::sync::Semaphore::new((cores / 2).max(1)),
        }
    }
}

impl Hashing {
    /// Runs `work` on the blocking pool once a permit is free; 503 after 10 s of waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit =
            tokio::time::timeout(std::time::Duration::from_secs(10), self.permits.acquire())
                .await
                .map_err(|_| AppError::Unavailable("password hashing is saturated".into()))?
                .map_err(|_| AppError::Internal("hashing semaphore closed".into()))?;
        actix_web::web::block(work)
            .await
            .map_err(|e| AppError::Internal(format!("blocking pool: {e}")))
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash(&password)).await?
    }

    pub async fn verify(&self, password: String, stored: String) -> Result<bool, AppError> {
        self.run(move || verify(&password, &stored)).await
    }
}

/// Hashes a new password under the server's bound on argon2 work.
pub async fn hash_bounded(hashing: &Hashing, password: String) -> Result<String, AppError> {
    hashing.hash(password).await
}

/// A hash to verify against when the user does not exist, so that timing does not reveal it.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xrl6Jr9l4zdXSzSgPT8CQ9FpN1mtdlWS2Rh6YDaKlRk"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_only_the_same_password() {
        let stored = hash("correct horse").unwrap_or_default();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("wrong horse", &stored));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
    }
}
