//! Settings of digital permits: their keys, issuer name, the public base URL their status lists are
//! named by, and how long keys sign and lists may be relied on.

use std::time::Duration;

use super::{ConfigError, Secret, parse_var, var};

/// Longest `QAT_PUBLIC_URL`: it is printed in every permit's QR code (the status list URI).
pub const MAX_PUBLIC_URL: usize = 24;
/// Longest `QAT_PERMIT_ISSUER`, printed in every permit.
pub const MAX_ISSUER: usize = crate::domain::permit::claims::MAX_ISSUER;

#[derive(Debug, Clone)]
pub struct PermitConfig {
    /// PKCS#8 PEM Ed25519 key that signs permits and status lists; generated in development.
    pub signing_key: Option<Secret>,
    /// PKCS#8 PEM Ed25519 key that signs only the trust list; generated in development.
    pub root_key: Option<Secret>,
    pub issuer: String,
    pub public_url: String,
    pub key_window: Duration,
    pub trust_list_ttl: Duration,
    pub status_list_ttl: Duration,
    /// Longest life of one credential; permits that run longer are re-signed before it ends.
    pub credential_lifetime: Duration,
}

impl Default for PermitConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            root_key: None,
            issuer: "QAT".into(),
            public_url: "http://127.0.0.1:8080".into(),
            key_window: Duration::from_secs(90 * 86_400),
            trust_list_ttl: Duration::from_secs(7 * 86_400),
            status_list_ttl: Duration::from_secs(300),
            credential_lifetime: Duration::from_secs(30 * 86_400),
        }
    }
}

fn pem(name: &str) -> Result<Option<Secret>, ConfigError> {
    Ok(match (var(name), var(&format!("{name}_FILE"))) {
        (Some(pem), _) => Some(Secret::new(pem.replace("\\n", "\n"))),
        (None, Some(path)) => Some(Secret::new(
            std::fs::read_to_string(&path).map_err(|e| ConfigError(format!("{name}_FILE {path:?}: {e}")))?,
        )),
        (None, None) => None,
    })
}

impl PermitConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut c = Self {
            signing_key: pem("QAT_PERMIT_SIGNING_KEY")?,
            root_key: pem("QAT_PERMIT_ROOT_KEY")?,
            ..Self::default()
        };
        if let Some(i) = var("QAT_PERMIT_ISSUER") {
            c.issuer = i;
        }
        if let Some(u) = var("QAT_PUBLIC_URL") {
            c.public_url = u.trim_end_matches('/').to_owned();
        }
        let days = |d: Duration| d.as_secs() / 86_400;
        c.key_window =
            Duration::from_secs(parse_var("QAT_PERMIT_KEY_WINDOW_DAYS", days(c.key_window))?.max(1) * 86_400);
        c.trust_list_ttl = Duration::from_secs(
            parse_var("QAT_PERMIT_TRUST_LIST_DAYS", days(c.trust_list_ttl))?.clamp(1, 30) * 86_400,
        );
        c.status_list_ttl = Duration::from_secs(
            parse_var("QAT_PERMIT_STATUS_LIST_TTL_SECS", c.status_list_ttl.as_secs())?.clamp(30, 3600),
        );
        c.credential_lifetime = Duration::from_secs(
            parse_var("QAT_PERMIT_CREDENTIAL_DAYS", days(c.credential_lifetime))?.clamp(1, 366) * 86_400,
        );
        Ok(c)
    }

    /// Shape checks in every environment. Whether production has its keys is decided when they are
    /// loaded (`PermitKeys::load`), after the settings every start needs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.issuer.is_empty() || self.issuer.len() > MAX_ISSUER || !self.issuer.is_ascii() {
            return Err(ConfigError(format!("QAT_PERMIT_ISSUER must be 1 to {MAX_ISSUER} ASCII characters")));
        }
        let scheme = self.public_url.starts_with("https://") || self.public_url.starts_with("http://");
        if !scheme || self.public_url.len() > MAX_PUBLIC_URL {
            return Err(ConfigError(format!(
                "QAT_PUBLIC_URL must be an http(s) URL of at most {MAX_PUBLIC_URL} characters: it is printed in every permit"
            )));
        }
        Ok(())
    }
}
