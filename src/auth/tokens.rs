//! Access tokens: EdDSA-signed JWTs with a pinned algorithm, strict claims and a short lifetime.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
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
    /// Generation of the API client's secret the token was issued under (see
    /// [`secret_generation`](super::secret_generation)), so rotating the secret ends the older tokens.
    #[serde(default, rename = "sgen", skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
}

pub struct TokenService {
    keys: Keys,
    validation: Validation,
    issuer: String,
    audience: String,
    pub ttl: Duration,
    verified: VerifiedTokens,
}

/// Tokens whose signature and claims were checked already, by SHA-256 of the token, until they expire.
/// A mobile app sends the same token for minutes; checking an Ed25519 signature costs far more than
/// hashing the token, so each token is verified once. Revocation is checked on every request by the
/// caller, after this cache, so a cached token of an ended session is still refused.
struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], Claims>>,
    capacity: usize,
}

impl VerifiedTokens {
    fn key(token: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, key: &[u8; 32], now: i64) -> Option<Claims> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|c| c.exp > now).cloned()
    }

    fn put(&self, key: [u8; 32], claims: &Claims, now: i64) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= self.capacity {
            entries.retain(|_, c| c.exp > now);
            // Still full of live tokens: start over rather than grow; misses only cost a verification.
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, claims.clone());
    }
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
        let verified = VerifiedTokens { entries: Mutex::default(), capacity: 50_000 };
        Self { keys, validation, issuer, audience, ttl, verified }
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
        self.issue_with_generation(sub, role, org, sid, scope, None)
    }

    /// Signs a new access token for `sub`, naming the secret generation of an API client.
    pub fn issue_with_generation(
        &self,
        sub: &str,
        role: &str,
        org: Option<&str>,
        sid: Option<&str>,
        scope: Option<&str>,
        generation: Option<&str>,
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
            generation: generation.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.keys.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.keys.encoding)
    }

    /// Verifies signature, algorithm, key id, time claims, issuer, audience and token type; a token
    /// verified before answers from the cache until its `exp`.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let key = VerifiedTokens::key(token);
        if let Some(claims) = self.verified.get(&key, now) {
            return Ok(claims);
        }
        let claims = self.verify_uncached(token)?;
        self.verified.put(key, &claims, now);
        Ok(claims)
    }

    fn verify_uncached(&self, token: &str) -> Result<Claims, TokenError> {
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
    /// The secret generation of API clients whose secret changed lately, by `client_id`: a token of
    /// such a client is accepted only if issued under that generation.
    generations: RwLock<HashMap<String, (String, Instant)>>,
}

impl Revocations {
    /// Whether a token of `client_id` issued under `generation` predates the client's current secret. Fails
    /// closed like [`is_revoked`](Self::is_revoked).
    pub fn is_superseded(&self, client_id: &str, generation: Option<&str>) -> bool {
        let Ok(m) = self.generations.read() else { return true };
        let now = Instant::now();
        m.get(client_id).is_some_and(|(current, until)| *until > now && Some(current.as_str()) != generation)
    }

    /// Records the current secret generation of clients, forgotten after `keep` (by then every token of
    /// an older secret has expired).
    pub fn set_generations<I: IntoIterator<Item = (String, String)>>(&self, current: I, keep: Duration) {
        if let Ok(mut m) = self.generations.write() {
            let now = Instant::now();
            m.retain(|_, (_, until)| *until > now);
            for (client_id, generation) in current {
                m.insert(client_id, (generation, now + keep));
            }
        }
    }

    /// Fails closed: if the set cannot be read, every session counts as ended.
    pub fn is_revoked(&self, id: &str) -> bool {
        self.inner.read().map(|m| m.contains_key(id)).unwrap_or(true)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        let dir = std::env::temp_dir().join(format!("qat-tokens-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = crate::config::Config::development(dir.clone());
        let keys = Keys::load(&config).unwrap();
        let _ = std::fs::remove_dir_all(dir);
        TokenService::new(keys, "iss".into(), "aud".into(), Duration::from_secs(600))
    }

    #[test]
    fn a_cached_token_still_fails_when_altered_and_expires_with_its_exp() {
        let tokens = service();
        let token = tokens.issue("acc", "resident", None, Some("sid"), None).unwrap();
        assert_eq!(tokens.verify(&token).unwrap().sub, "acc");
        assert_eq!(tokens.verify(&token).unwrap().sub, "acc", "served from the cache");
        // Any change to a cached token is a different token: verified from scratch and refused.
        let mut altered = token.clone();
        altered.pop();
        altered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(tokens.verify(&altered).is_err());
        // An entry past its exp is not served, however it got there.
        let key = VerifiedTokens::key(&token);
        let mut claims = tokens.verify(&token).unwrap();
        claims.exp = chrono::Utc::now().timestamp() - 1;
        tokens.verified.entries.lock().unwrap().insert(key, claims);
        assert!(tokens.verified.get(&key, chrono::Utc::now().timestamp()).is_none());
    }

    #[test]
    fn a_new_secret_generation_supersedes_the_older_tokens_only() {
        let r = Revocations::default();
        assert!(!r.is_superseded("qac_x", Some("g1")), "no rotation known: accepted");
        r.set_generations([("qac_x".to_owned(), "g2".to_owned())], Duration::from_secs(60));
        assert!(r.is_superseded("qac_x", Some("g1")));
        assert!(r.is_superseded("qac_x", None));
        assert!(!r.is_superseded("qac_x", Some("g2")));
        assert!(!r.is_superseded("qac_other", Some("g1")));
        r.set_generations([("qac_x".to_owned(), "g3".to_owned())], Duration::ZERO);
        assert!(!r.is_superseded("qac_x", Some("g1")), "forgotten once every older token has expired");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let tokens = service();
        let capacity = tokens.verified.capacity;
        let claims = tokens.verify(&tokens.issue("a", "resident", None, Some("s"), None).unwrap()).unwrap();
        let now = chrono::Utc::now().timestamp();
        for i in 0..capacity + 10 {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_be_bytes());
            tokens.verified.put(key, &claims, now);
        }
        assert!(tokens.verified.entries.lock().unwrap().len() <= capacity);
    }
}
