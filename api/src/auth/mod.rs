//! Authentication: argon2id passwords, HS256 JWTs with a pinned algorithm, and the caller extractor.

pub mod password;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::sessions::Session;
use crate::domain::org::in_scope;
use crate::domain::role::{allows, Permission, Role};
use crate::error::AppError;
use crate::startup::{AppState, RequestId};

/// What a token says about its holder (API.md: subject, roles, org unit, exp, iat, jti).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub org_unit_id: String,
    /// The materialised path of the org unit: the caller's data scope (O-1).
    pub org_path: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The account's security stamp when the token was issued: a change of password, roles, unit
    /// or active flag changes it and ends the token.
    pub stamp: String,
}

/// Signing and verification keys; the algorithm is pinned to HS256.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat", "sub", "jti"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    pub fn issue(
        &self,
        user_id: &str,
        username: &str,
        roles: Vec<Role>,
        org_unit_id: &str,
        org_path: &str,
        stamp: &str,
    ) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.into(),
            username: username.into(),
            roles,
            org_unit_id: org_unit_id.into(),
            org_path: org_path.into(),
            exp: now + self.ttl_seconds,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            stamp: stamp.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("jwt encode: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AppError::Unauthorized("the bearer token is invalid or expired"))
    }
}

/// The authenticated caller of a request, with its data scope and the request id for audit.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub org_unit_id: String,
    pub org_path: String,
    pub request_id: String,
    /// The server's business clock (P-2).
    pub clock: crate::clock::Clock,
    /// The token's id and expiry (sign-out revokes it until then).
    pub token_id: String,
    pub token_expires_at: i64,
    /// The account's security stamp the token was issued under (a change ends its sessions).
    pub security_stamp: String,
}

impl Caller {
    /// 403 unless one of the caller's roles grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if allows(&self.roles, permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "your roles do not allow this ({permission:?})"
            )))
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        allows(&self.roles, permission)
    }

    /// O-1: 404 (not 403) for anything outside the caller's subtree, so that its existence is not leaked.
    pub fn check_scope(&self, org_path: &str, what: &'static str) -> Result<(), AppError> {
        if in_scope(&self.org_path, org_path) {
            Ok(())
        } else {
            Err(AppError::NotFound(what))
        }
    }

    /// The actor recorded in audit events.
    pub fn actor(&self) -> crate::db::audit::Actor {
        crate::db::audit::Actor {
            user_id: Some(self.user_id.clone()),
            username: self.username.clone(),
            roles: crate::domain::role::join_roles(&self.roles),
            org_unit_id: Some(self.org_unit_id.clone()),
            request_id: self.request_id.clone(),
            clock: self.clock,
        }
    }

    /// Today on the server's business clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Now on the server's business clock.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;

    /// Verifies the token, then asks the database whether its session still stands (active
    /// account, current security stamp, not signed out), so that a change takes effect at once on
    /// every server.
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let parsed = claims_of(req);
        Box::pin(async move {
            let (state, claims, request_id) = parsed?;
            let key = format!("{}|{}|{}", claims.sub, claims.stamp, claims.jti);
            let session = if state.sessions.fresh(&key) {
                Session::Valid
            } else {
                let (user_id, stamp, jti) =
                    (claims.sub.clone(), claims.stamp.clone(), claims.jti.clone());
                let session = state
                    .db
                    .read_primary(move |conn| {
                        crate::db::sessions::check(conn, &user_id, &stamp, &jti)
                    })
                    .await?;
                if let Session::Valid = session {
                    state.sessions.remember(key);
                }
                session
            };
            match session {
                Session::Valid => crate::db::reads::serving(&claims.sub),
                Session::Deactivated => {
                    return Err(AppError::Unauthorized("this user has been deactivated"))
                }
                Session::Ended => return Err(AppError::Unauthorized(
                    "this session has ended (signed out, or the account changed); sign in again",
                )),
            }
            Ok(Caller {
                user_id: claims.sub,
                username: claims.username,
                roles: claims.roles,
                org_unit_id: claims.org_unit_id,
                org_path: claims.org_path,
                request_id,
                clock: state.clock,
                token_id: claims.jti,
                token_expires_at: claims.exp,
                security_stamp: claims.stamp,
            })
        })
    }
}

/// Sessions found valid in the database within the last [`SessionCache::TTL`]: a token used again
/// soon after is not looked up again. A change of account or a sign-out on this server forgets
/// them all at once; another server sees it within the TTL.
#[derive(Default)]
pub struct SessionCache {
    verified: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl SessionCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(2);
    const MAX_ENTRIES: usize = 100_000;

    fn fresh(&self, key: &str) -> bool {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified.get(key).is_some_and(|at| at.elapsed() < Self::TTL)
    }

    fn remember(&self, key: String) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= Self::MAX_ENTRIES {
            verified.retain(|_, at| at.elapsed() < Self::TTL);
            if verified.len() >= Self::MAX_ENTRIES {
                verified.clear();
            }
        }
        verified.insert(key, std::time::Instant::now());
    }

    /// Forgets every verified session (an account changed, or someone signed out).
    pub fn forget_all(&self) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// The token of the request's `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(AppError::Unauthorized(
            "an Authorization: Bearer token is required",
        ))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or(AppError::Unauthorized(
            "the Authorization header must be 'Bearer <token>'",
        ))?;
    Ok(token.trim())
}

fn claims_of(req: &HttpRequest) -> Result<(web::Data<AppState>, Claims, String), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    let claims = state.jwt.verify(bearer_token(req)?)?;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok((state, claims, request_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_the_same_key_and_algorithm() {
        let keys = JwtKeys::new(b"secret-one-secret-one-secret-one", 3600);
        let token = keys
            .issue("u1", "admin", vec![Role::Admin], "ho", "/ho/", "s1")
            .unwrap_or_default();
        let claims = keys.verify(&token).map_err(|e| e.to_string());
        assert_eq!(claims.map(|c| c.username), Ok("admin".to_string()));

        let other = JwtKeys::new(b"secret-two-secret-two-secret-two", 3600);
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn expired_and_unsigned_tokens_are_refused() {
        let keys = JwtKeys::new(b"secret-one-secret-one-secret-one", -10);
        let token = keys
            .issue("u1", "admin", vec![Role::Admin], "ho", "/ho/", "s1")
            .unwrap_or_default();
        assert!(keys.verify(&token).is_err());

        // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = Utc::now().timestamp();
        let body = format!(
            r#"{{"sub":"u1","username":"admin","roles":["admin"],"org_unit_id":"ho","org_path":"/ho/","exp":{},"iat":{now},"jti":"x","stamp":"s1"}}"#,
            now + 600
        );
        let forged = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(body)
        );
        let keys = JwtKeys::new(b"secret-one-secret-one-secret-one", 3600);
        assert!(keys.verify(&forged).is_err());
    }
}
