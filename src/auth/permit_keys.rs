//! Permit keys, separate from the access-token keys: the signing key that signs permits and status lists
//! during its window, and the root key that signs only the trust list. Development generates both into
//! the data folder; production refuses to start without them.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey;

use crate::auth::keys::{KeyError, dev_key};
use crate::config::{Config, Secret};
use crate::domain::permit::Signer;

/// Everything that signs on behalf of the permit issuer.
pub struct PermitKeys {
    pub signer: Signer,
    pub root: Signer,
    /// The `iss` of every permit.
    pub issuer: String,
    /// Base of the status list URIs permits carry.
    pub public_url: String,
    /// How long a newly configured signing key signs.
    pub key_window: Duration,
    /// How long a verifier may rely on a trust list.
    pub trust_list_ttl: Duration,
    /// How long a verifier may keep a status list.
    pub status_list_ttl: Duration,
    /// Longest life of one credential.
    pub credential_lifetime: Duration,
}

fn load(
    pem: Option<&Secret>,
    variable: &str,
    dev_file: &str,
    config: &Config,
) -> Result<SigningKey, KeyError> {
    match pem {
        Some(pem) => SigningKey::from_pkcs8_pem(pem.expose())
            .map_err(|e| format!("{variable} is not a PKCS#8 Ed25519 key: {e}").into()),
        None if config.is_production() => Err(format!("{variable} is required in production").into()),
        None => dev_key(&config.data_dir.join(dev_file)),
    }
}

impl PermitKeys {
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        if config.is_production() && !config.permits.public_url.starts_with("https://") {
            return Err("QAT_PUBLIC_URL must be https in production".into());
        }
        let signing = load(
            config.permits.signing_key.as_ref(),
            "QAT_PERMIT_SIGNING_KEY",
            "permit-signing-ed25519.pem",
            config,
        )?;
        let root =
            load(config.permits.root_key.as_ref(), "QAT_PERMIT_ROOT_KEY", "permit-root-ed25519.pem", config)?;
        if signing.verifying_key() == root.verifying_key() {
            return Err("the permit root key must not also sign permits".into());
        }
        if config.jwt_private_key.as_ref().is_some_and(|k| Some(k) == config.permits.signing_key.as_ref()) {
            return Err("permits must not be signed with the access-token key".into());
        }
        Ok(Self {
            signer: Signer::new(signing),
            root: Signer::new(root),
            issuer: config.permits.issuer.clone(),
            public_url: config.permits.public_url.trim_end_matches('/').to_owned(),
            key_window: config.permits.key_window,
            trust_list_ttl: config.permits.trust_list_ttl,
            status_list_ttl: config.permits.status_list_ttl,
            credential_lifetime: config.permits.credential_lifetime,
        })
    }

    /// The URI permits on status list `list` carry, and that the list names itself by.
    pub fn status_uri(&self, list: i32) -> String {
        format!("{}/v1/sl/{list}", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    #[test]
    fn production_refuses_to_start_without_permit_keys() {
        let mut c = Config::development(std::path::PathBuf::from("/nonexistent/qat"));
        c.env = Environment::Production;
        c.permits.public_url = "https://qat.gov.mo".into();
        let e = PermitKeys::load(&c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("QAT_PERMIT_SIGNING_KEY is required in production"), "{e}");
        let pem = |k: &SigningKey| {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            Secret::new(k.to_pkcs8_pem(Default::default()).unwrap().to_string())
        };
        c.permits.signing_key = Some(pem(&SigningKey::from_bytes(&[1; 32])));
        let e = PermitKeys::load(&c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("QAT_PERMIT_ROOT_KEY is required in production"), "{e}");
        c.permits.root_key = c.permits.signing_key.clone();
        let e = PermitKeys::load(&c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("must not also sign permits"), "{e}");
        c.permits.root_key = Some(pem(&SigningKey::from_bytes(&[2; 32])));
        assert!(PermitKeys::load(&c).is_ok());
        c.permits.public_url = "http://qat.gov.mo".into();
        assert!(PermitKeys::load(&c).is_err(), "https in production");
    }
}
