//! Secrets at rest: webhook signing secrets and stored idempotent replies are sealed with
//! XChaCha20-Poly1305 under a data key from configuration. Each sealed value is stored with the id of
//! the key that sealed it, so keys rotate: the current key seals, previous keys still open. Each value
//! is bound to its row (the associated data names table, column and key), so a sealed value copied
//! into another row does not open there.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::{Config, Secret};

const NONCE_LEN: usize = 24;

/// A value as stored: the base64 of nonce and ciphertext, and the id of the key that sealed it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub text: String,
}

/// Why a stored value does not open. Either way nothing is returned: reads fail closed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error(
        "a stored value is sealed under data key {0:?}, which is neither QAT_DATA_KEY nor in QAT_DATA_KEYS_PREVIOUS"
    )]
    UnknownKey(String),
    #[error(
        "a stored value sealed under data key {0:?} failed authentication: it was altered or moved to another row"
    )]
    Tampered(String),
}

struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl DataKey {
    fn new(bytes: &[u8; 32]) -> Self {
        // The id names the key without revealing it: a hash with its own label, cut to 72 bits.
        let digest = Sha256::new().chain_update(b"qinaotong data key id\0").chain_update(bytes).finalize();
        Self { id: URL_SAFE_NO_PAD.encode(&digest[..9]), cipher: XChaCha20Poly1305::new(&Key::from(*bytes)) }
    }
}

/// The data keys: the one that seals, and every one that opens.
pub struct DataKeys {
    current: DataKey,
    previous: Vec<DataKey>,
}

type KeyError = Box<dyn std::error::Error + Send + Sync>;

/// A 32-byte key from base64 (standard or URL-safe, padded or not), as `openssl rand -base64 32` writes.
pub fn parse_key(name: &str, text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| format!("{name} must be base64 (openssl rand -base64 32)"))?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("{name} must be 32 bytes, not {}", b.len()))
}

impl DataKeys {
    /// A key ring of raw keys, the first sealing.
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        Self { current: DataKey::new(current), previous: previous.iter().map(DataKey::new).collect() }
    }

    /// The configured keys; in development without `QAT_DATA_KEY`, a key generated once into the data
    /// folder and kept there, so a restart still opens what the last run sealed. Production has no
    /// default (the configuration check refuses to start without a key).
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        let current = match &config.data_key {
            Some(key) => parse_key("QAT_DATA_KEY", key.expose())?,
            None if config.is_production() => return Err("QAT_DATA_KEY is required in production".into()),
            None => dev_key(&config.data_dir.join("data-key"))?,
        };
        let previous = config
            .data_keys_previous
            .iter()
            .map(|k| parse_key("QAT_DATA_KEYS_PREVIOUS", k.expose()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(&current, &previous))
    }

    /// The id stored beside values sealed from now on.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plain` for the row named by `context`, under a fresh random nonce.
    pub fn seal(&self, plain: &[u8], context: &str) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plain, aad: context.as_bytes() };
        // Encryption fails only for messages beyond 256 GiB.
        let sealed = self.current.cipher.encrypt(&XNonce::from(nonce), payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Sealed { key_id: self.current.id.clone(), text: STANDARD_NO_PAD.encode(out) }
    }

    /// Opens a value sealed for the row named by `context` under the key `key_id`.
    pub fn open(&self, text: &str, key_id: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let tampered = || SealError::Tampered(key_id.to_owned());
        let raw = STANDARD_NO_PAD.decode(text).map_err(|_| tampered())?;
        let (nonce, sealed) = raw.split_at_checked(NONCE_LEN).ok_or_else(tampered)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| tampered())?;
        key.cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| tampered())
    }

    /// Opens a stored text column: sealed when it has a key id, in clear when written before sealing
    /// (such rows are sealed by the pass at start; until then they are read as they are).
    pub fn open_text(&self, text: &str, key_id: Option<&str>, context: &str) -> Result<String, SealError> {
        match key_id {
            None => Ok(text.to_owned()),
            Some(id) => {
                let plain = self.open(text, id, context)?;
                String::from_utf8(plain).map_err(|_| SealError::Tampered(id.to_owned()))
            }
        }
    }
}

/// What binds a webhook endpoint's sealed secret to its row.
pub fn webhook_secret_context(endpoint_id: &str) -> String {
    format!("webhook_endpoints.secret\u{1f}{endpoint_id}")
}

/// What binds a stored reply's headers or body (`part`) to its key.
pub fn replay_context(part: &str, owner: &str, operation: &str, key: &str) -> String {
    format!("idempotency_keys.{part}\u{1f}{owner}\u{1f}{operation}\u{1f}{key}")
}

/// Opens a webhook endpoint's stored secret.
pub fn open_secret(
    keys: &DataKeys,
    endpoint_id: &str,
    stored: &Secret,
    key_id: Option<&str>,
) -> Result<Secret, SealError> {
    keys.open_text(stored.expose(), key_id, &webhook_secret_context(endpoint_id)).map(Secret::new)
}

fn dev_key(path: &Path) -> Result<[u8; 32], KeyError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return Ok(parse_key(&path.display().to_string(), &text)?);
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    std::fs::write(path, STANDARD.encode(key)).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: [u8; 32] = [7; 32];
    const NEW: [u8; 32] = [9; 32];

    #[test]
    fn a_sealed_value_opens_only_under_its_key_and_row() {
        let keys = DataKeys::new(&OLD, &[]);
        let sealed = keys.seal(b"whsec_abc", "row-1");
        assert!(!sealed.text.contains("whsec"));
        assert_eq!(keys.open(&sealed.text, &sealed.key_id, "row-1").unwrap(), b"whsec_abc");
        assert_ne!(keys.seal(b"whsec_abc", "row-1").text, sealed.text, "a fresh nonce every time");
        assert_eq!(
            keys.open(&sealed.text, &sealed.key_id, "row-2"),
            Err(SealError::Tampered(sealed.key_id.clone()))
        );
    }

    #[test]
    fn previous_keys_open_and_the_current_key_seals() {
        let old = DataKeys::new(&OLD, &[]);
        let sealed = old.seal(b"reply", "k");
        let rotated = DataKeys::new(&NEW, &[OLD]);
        assert_ne!(rotated.current_id(), old.current_id());
        assert_eq!(rotated.open(&sealed.text, &sealed.key_id, "k").unwrap(), b"reply");
        let forgotten = DataKeys::new(&NEW, &[]);
        let e = forgotten.open(&sealed.text, &sealed.key_id, "k").unwrap_err();
        assert!(e.to_string().contains("QAT_DATA_KEYS_PREVIOUS"), "{e}");
    }

    #[test]
    fn altered_values_fail_closed_without_panicking() {
        let keys = DataKeys::new(&OLD, &[]);
        let sealed = keys.seal(b"secret", "k");
        let mut raw = STANDARD_NO_PAD.decode(&sealed.text).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        for text in [STANDARD_NO_PAD.encode(&raw), String::new(), "not base64!".into(), "AAAA".into()] {
            assert_eq!(
                keys.open(&text, &sealed.key_id, "k"),
                Err(SealError::Tampered(sealed.key_id.clone()))
            );
        }
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert_eq!(parse_key("K", &STANDARD.encode(NEW)).unwrap(), NEW);
        assert_eq!(parse_key("K", &URL_SAFE_NO_PAD.encode(NEW)).unwrap(), NEW);
        assert!(parse_key("K", &STANDARD.encode([1u8; 16])).unwrap_err().contains("32 bytes"));
        assert!(parse_key("K", "%%%").unwrap_err().contains("base64"));
    }
}
