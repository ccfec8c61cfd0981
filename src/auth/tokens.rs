//! Access tokens: EdDSA-signed JWTs with a pinned algorithm, strict claims and a short lifetime.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::Keys;

/// The value of the `typ` claim of every access token; refresh tokens are opaque and never JWTs, so a
/// token of any other type (or a JWT from another system) is refused.
pub const ACCESS: &str = "access";

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// Account id, or the API client's `client_id`.
    pub sub: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    /// Token type: always `access`.
    pub typ: String,
    /// `resident`, `officer`, `supervisor`, `admin` or `client`.
    pub role: String,
    /// Organisation of staff and API clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Login session (residents and staff), so that ending the session ends its tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Space-separated scopes of an API client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

pub struct TokenService {
    keys: Keys,
    validation: Validation,
    issuer: String,
    audience: String,
    pub ttl: Duration,
}

/// Why a token was refused; all of them answer 401, the reason is only logged.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token header")]
    Header,
    #[error("unknown or missing key id")]
    UnknownKid,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("not an access token")]
    WrongType,
}

impl TokenService {
    pub fn new(keys: Keys, issuer: String, audience: String, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.leeway = 5;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self { keys, validation, issuer, audience, ttl }
    }

    pub fn jwks(&self) -> &super::keys::Jwks {
        &self.keys.jwks
    }

    /// Signs a new access token for `sub`.
    pub fn issue(
        &self,
        sub: &str,
        role: &str,
        org: Option<&str>,
        sid: Option<&str>,
        scope: Option<&str>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: sub.to_owned(),
            exp: now + self.ttl.as_secs() as i64,
            nbf: now,
            iat: now,
            typ: ACCESS.into(),
            role: role.to_owned(),
            org: org.map(str::to_owned),
            sid: sid.map(str::to_owned),
            scope: scope.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.keys.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.keys.encoding)
    }

    /// Verifies signature, algorithm, key id, time claims, issuer, audience and token type.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Header)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm);
        }
        let key =
            header.kid.as_deref().and_then(|k| self.keys.decoding_key(k)).ok_or(TokenError::UnknownKid)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)?;
        if data.claims.typ != ACCESS {
            return Err(TokenError::WrongType);
        }
        Ok(data.claims)
    }
}

/// Sessions and clients whose tokens must no longer be accepted. Each instance keeps its own copy:
/// updated at once for what it revoked itself, and from the database every two seconds for the rest.
#[derive(Default)]
pub struct Revocations {
    inner: RwLock<HashMap<String, Instant>>,
}

impl Revocations {
    pub fn is_revoked(&self, id: &str) -> bool {
        self.inner.read().map(|m| m.contains_key(id)).unwrap_or(false)
    }

    /// Adds ids; they are forgotten after `keep` (by then every token they issued has expired).
    pub fn add<I: IntoIterator<Item = String>>(&self, ids: I, keep: Duration) {
        if let Ok(mut m) = self.inner.write() {
            let until = Instant::now() + keep;
            for id in ids {
                m.insert(id, until);
            }
            let now = Instant::now();
            m.retain(|_, until| *until > now);
        }
    }
}
