//! Access-token signing keys (Ed25519): the current private key, every accepted public key by `kid`,
//! and the JWKS that publishes them.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;

/// One public key as published at `getJwks` (RFC 8037 OKP key).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: String,
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// Base64url of the 32-byte public key.
    pub x: String,
    pub kid: String,
    #[schema(example = "EdDSA")]
    pub alg: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: String,
}

/// The key set document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

pub struct Keys {
    pub kid: String,
    pub encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    pub jwks: Jwks,
}

/// A stable key id: the first 12 bytes of the SHA-256 of the public key, base64url.
fn kid_of(public: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public.as_bytes())[..12])
}

fn jwk(public: &VerifyingKey) -> Jwk {
    Jwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        kid: kid_of(public),
        alg: "EdDSA".into(),
        use_: "sig".into(),
    }
}

pub(crate) type KeyError = Box<dyn std::error::Error + Send + Sync>;

impl Keys {
    /// Loads the configured key, or in development generates one into the data folder and keeps it there,
    /// so a restart does not invalidate every token.
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        let signing = match &config.jwt_private_key {
            Some(pem) => SigningKey::from_pkcs8_pem(pem.expose())
                .map_err(|e| format!("QAT_JWT_PRIVATE_KEY is not a PKCS#8 Ed25519 key: {e}"))?,
            None if config.is_production() => return Err("a signing key is required in production".into()),
            None => dev_key(&config.data_dir.join("jwt-ed25519.pem"))?,
        };
        let mut publics = vec![signing.verifying_key()];
        for pem in &config.jwt_previous_public_keys {
            publics.push(
                VerifyingKey::from_public_key_pem(pem)
                    .map_err(|e| format!("QAT_JWT_PREVIOUS_PUBLIC_KEYS has an invalid key: {e}"))?,
            );
        }
        let mut decoding = HashMap::new();
        for public in &publics {
            let key =
                DecodingKey::from_ed_components(&jwk(public).x).map_err(|e| format!("public key: {e}"))?;
            decoding.insert(kid_of(public), key);
        }
        let pem = signing.to_pkcs8_pem(Default::default()).map_err(|e| format!("private key: {e}"))?;
        Ok(Self {
            kid: kid_of(&signing.verifying_key()),
            encoding: EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| format!("private key: {e}"))?,
            decoding,
            jwks: Jwks { keys: publics.iter().map(jwk).collect() },
        })
    }

    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.decoding.get(kid)
    }
}

pub(crate) fn dev_key(path: &Path) -> Result<SigningKey, KeyError> {
    if let Ok(pem) = std::fs::read_to_string(path) {
        return SigningKey::from_pkcs8_pem(&pem).map_err(|e| format!("{}: {e}", path.display()).into());
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(Default::default()).map_err(|e| format!("encode key: {e}"))?;
    std::fs::write(path, pem.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}
