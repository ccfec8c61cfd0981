//! Who is calling: token verification, roles and scopes, sessions, password hashing and throttling.

pub mod keys;
pub mod passwords;
pub mod permit_keys;
pub mod principal;
pub mod tokens;

pub use crate::domain::role::Role;
pub use principal::Principal;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, base64url: refresh tokens, client secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How opaque secrets are stored: hex SHA-256 (they carry 256 bits, so a slow hash adds nothing).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The generation of an API client's secret, named in its access tokens: a prefix of the secret's
/// stored hash, which says nothing usable about the secret and changes whenever the secret does.
pub fn secret_generation(secret_hash: &str) -> String {
    secret_hash.get(..16).unwrap_or(secret_hash).to_owned()
}
