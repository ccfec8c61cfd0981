//! Configuration from environment variables, read once at start into one typed struct.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

mod channels;
mod permits;
mod secret;
pub use channels::*;
pub use permits::PermitConfig;
pub use secret::Secret;

/// Whether safety checks for production apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Everything the server needs to start. Built by [`Config::from_env`] or directly in tests.
#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub bind: String,
    pub data_dir: PathBuf,
    /// May hold the database password: never printed.
    pub database_url: Secret,
    /// Connections in the pool; near the core count (a much larger pool ruins tail latency).
    pub db_pool_size: u32,
    /// Connections reserved for the writes of logins and refreshes (QAT_DB_AUTH_POOL_SIZE; 0 shares the pool).
    pub db_auth_pool_size: u32,
    /// PostgreSQL connections of each HTTP worker for reads (QAT_DB_READ_POOL_SIZE; 0 reads through the pool).
    pub db_read_pool_size: u32,
    pub db_connect_timeout: Duration,
    pub demo_data: bool,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub log_format: LogFormat,
    /// PEM (PKCS#8) Ed25519 private key for access tokens; generated into the data folder in development.
    pub jwt_private_key: Option<Secret>,
    /// Extra PEM public keys still accepted for verification while keys rotate.
    pub jwt_previous_public_keys: Vec<String>,
    /// Base64 of the 32-byte key that seals secrets at rest; generated into the data folder in development.
    pub data_key: Option<Secret>,
    /// Keys that sealed earlier values, still accepted for opening them while keys rotate.
    pub data_keys_previous: Vec<Secret>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Requests for which a handler waited this long for a database connection get 503.
    pub db_queue_timeout: Duration,
    pub max_json_body: usize,
    pub max_upload_bytes: usize,
    pub max_documents_per_application: u32,
    /// Parts an upload may have: `kind` and `file`; more is refused before they are read.
    pub max_upload_parts: usize,
    /// Drafts a resident may have open at once.
    pub max_open_drafts_per_resident: u32,
    /// Bytes of documents a resident may have stored, over all their applications.
    pub max_stored_bytes_per_resident: u64,
    /// Webhook endpoints an API client may have registered.
    pub max_webhook_endpoints_per_client: u32,
    /// Redeliveries an API client may ask for per minute.
    pub max_redeliveries_per_minute: u32,
    pub hash_threads: usize,
    /// Hashes that may wait for a free hashing thread; beyond that a request gets 503 at once.
    pub hash_queue: usize,
    pub trusted_proxies: Vec<IpAddr>,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_window: Duration,
    /// Failed logins for one account from all addresses together after which each address gets only a
    /// fifth of `login_max_failures_per_account` (see `app::login_throttle`).
    pub login_max_failures_per_account_all_addresses: u32,
    /// Registrations one address may attempt per `register_window`.
    pub register_max_per_address: u32,
    pub register_window: Duration,
    pub webhook_allow_private: bool,
    /// Send `Strict-Transport-Security`: set when served behind TLS.
    pub hsts: bool,
    /// Requests per minute per authenticated caller on one instance; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Requests per minute per client address (IPv6 per /64) without a valid token; 0 turns it off.
    pub rate_limit_anonymous_per_minute: u32,
    /// Bearer token that `/metrics` requires; without one it is open (development only).
    pub metrics_token: Option<Secret>,
    /// First retry delay; it doubles per attempt (at most six hours), so 14 attempts span about a day.
    pub webhook_retry_base: Duration,
    pub webhook_max_attempts: u32,
    pub webhook_poll_interval: Duration,
    pub webhook_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub permits: PermitConfig,
    /// Email, SMS and push: which are on, their providers, and the outbox worker's retries.
    pub messaging: MessagingConfig,
}

/// A configuration that cannot be used, with a message for the operator.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub(crate) fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError(format!("{name} has an invalid value {raw:?}"))),
    }
}

fn parse_bool(name: &str, default: bool) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(ConfigError(format!("{name} must be true or false, not {v:?}"))),
    }
}

/// The development admin password; production refuses it.
pub const DEV_ADMIN_PASSWORD: &str = "Admin-Dev-Passw0rd!";

impl Config {
    /// Development defaults with the database and data under `data_dir`.
    pub fn development(data_dir: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self {
            env: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            database_url: Secret(format!("sqlite://{}", data_dir.join("qinaotong.sqlite3").display())),
            data_dir,
            db_pool_size: (cores as u32 * 2).clamp(2, 8),
            db_auth_pool_size: 2,
            db_read_pool_size: 2,
            db_connect_timeout: Duration::from_secs(2),
            demo_data: true,
            admin_email: Some("admin@qinaotong.example".into()),
            admin_password: Some(Secret::new(DEV_ADMIN_PASSWORD)),
            log_format: LogFormat::Pretty,
            jwt_private_key: None,
            jwt_previous_public_keys: Vec::new(),
            data_key: None,
            data_keys_previous: Vec::new(),
            jwt_issuer: "https://api.qinaotong.example".into(),
            jwt_audience: "qinaotong-api".into(),
            access_token_ttl: Duration::from_secs(600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            db_queue_timeout: Duration::from_secs(3),
            max_json_body: 256 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            max_documents_per_application: 20,
            max_upload_parts: 2,
            max_open_drafts_per_resident: 20,
            max_stored_bytes_per_resident: 200 * 1024 * 1024,
            max_webhook_endpoints_per_client: 10,
            max_redeliveries_per_minute: 30,
            hash_threads: cores.clamp(1, 4),
            hash_queue: 64,
            trusted_proxies: Vec::new(),
            login_max_failures_per_account: 10,
            login_max_failures_per_address: 50,
            login_window: Duration::from_secs(15 * 60),
            login_max_failures_per_account_all_addresses: 100,
            register_max_per_address: 20,
            register_window: Duration::from_secs(3600),
            webhook_allow_private: false,
            hsts: false,
            rate_limit_per_minute: 1200,
            rate_limit_anonymous_per_minute: 300,
            metrics_token: None,
            webhook_retry_base: Duration::from_secs(30),
            webhook_max_attempts: 14,
            webhook_poll_interval: Duration::from_secs(1),
            webhook_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(20),
            permits: PermitConfig::default(),
            messaging: MessagingConfig::default(),
        }
    }

    /// Reads the documented environment variables over the development defaults and validates the result.
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(var("QAT_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let mut c = Self::development(data_dir);
        c.env = match var("QAT_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError(format!("QAT_ENV must be development or production, not {other:?}")));
            }
        };
        let production = c.env == Environment::Production;
        if let Some(url) = var("DATABASE_URL") {
            c.database_url = Secret(url);
        } else if production {
            return Err(ConfigError("DATABASE_URL is required in production".into()));
        }
        if let Some(bind) = var("QAT_BIND") {
            c.bind = bind;
        }
        c.bind
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError(format!("QAT_BIND must be host:port, not {:?}", c.bind)))?;
        c.demo_data = parse_bool("QAT_DEMO_DATA", !production)?;
        c.admin_email = var("QAT_ADMIN_EMAIL").or(if production { None } else { c.admin_email });
        c.admin_password =
            var("QAT_ADMIN_PASSWORD").map(Secret::new).or(if production { None } else { c.admin_password });
        c.log_format = match var("QAT_LOG_FORMAT").as_deref() {
            None => {
                if production {
                    LogFormat::Json
                } else {
                    LogFormat::Pretty
                }
            }
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(ConfigError(format!("QAT_LOG_FORMAT must be json or pretty, not {other:?}")));
            }
        };
        c.jwt_private_key = match (var("QAT_JWT_PRIVATE_KEY"), var("QAT_JWT_PRIVATE_KEY_FILE")) {
            (Some(pem), _) => Some(Secret::new(pem.replace("\\n", "\n"))),
            (None, Some(path)) => Some(Secret::new(
                std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError(format!("QAT_JWT_PRIVATE_KEY_FILE {path:?}: {e}")))?,
            )),
            (None, None) => None,
        };
        if let Some(keys) = var("QAT_JWT_PREVIOUS_PUBLIC_KEYS") {
            c.jwt_previous_public_keys = keys
                .split("-----END PUBLIC KEY-----")
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| format!("{}\n-----END PUBLIC KEY-----\n", k.replace("\\n", "\n")))
                .collect();
        }
        c.data_key = var("QAT_DATA_KEY").map(Secret);
        let previous = var("QAT_DATA_KEYS_PREVIOUS").unwrap_or_default();
        c.data_keys_previous =
            previous.split(',').filter(|k| !k.trim().is_empty()).map(Secret::new).collect();
        if let Some(iss) = var("QAT_JWT_ISSUER") {
            c.jwt_issuer = iss;
        }
        if let Some(aud) = var("QAT_JWT_AUDIENCE") {
            c.jwt_audience = aud;
        }
        let ttl = parse_var("QAT_ACCESS_TOKEN_TTL_SECS", c.access_token_ttl.as_secs())?;
        if !(300..=900).contains(&ttl) {
            return Err(ConfigError("QAT_ACCESS_TOKEN_TTL_SECS must be between 300 and 900".into()));
        }
        c.access_token_ttl = Duration::from_secs(ttl);
        c.refresh_token_ttl =
            Duration::from_secs(parse_var("QAT_REFRESH_TOKEN_TTL_SECS", c.refresh_token_ttl.as_secs())?);
        c.db_pool_size = parse_var("QAT_DB_POOL_SIZE", c.db_pool_size)?.max(1);
        c.db_auth_pool_size = parse_var("QAT_DB_AUTH_POOL_SIZE", c.db_auth_pool_size)?;
        c.db_read_pool_size = parse_var("QAT_DB_READ_POOL_SIZE", c.db_read_pool_size)?;
        c.max_upload_bytes = parse_var("QAT_MAX_UPLOAD_BYTES", c.max_upload_bytes)?;
        c.max_documents_per_application =
            parse_var("QAT_MAX_DOCUMENTS_PER_APPLICATION", c.max_documents_per_application)?;
        c.max_upload_parts = parse_var("QAT_MAX_UPLOAD_PARTS", c.max_upload_parts)?.max(2);
        c.max_open_drafts_per_resident =
            parse_var("QAT_MAX_OPEN_DRAFTS_PER_RESIDENT", c.max_open_drafts_per_resident)?;
        c.max_stored_bytes_per_resident =
            parse_var("QAT_MAX_STORED_BYTES_PER_RESIDENT", c.max_stored_bytes_per_resident)?;
        c.max_webhook_endpoints_per_client =
            parse_var("QAT_MAX_WEBHOOK_ENDPOINTS_PER_CLIENT", c.max_webhook_endpoints_per_client)?;
        c.max_redeliveries_per_minute =
            parse_var("QAT_MAX_REDELIVERIES_PER_MINUTE", c.max_redeliveries_per_minute)?.max(1);
        c.hash_threads = parse_var("QAT_HASH_THREADS", c.hash_threads)?.max(1);
        c.hash_queue = parse_var("QAT_HASH_QUEUE", c.hash_queue)?;
        c.login_max_failures_per_account =
            parse_var("QAT_LOGIN_MAX_FAILURES_PER_ACCOUNT", c.login_max_failures_per_account)?;
        c.login_max_failures_per_address =
            parse_var("QAT_LOGIN_MAX_FAILURES_PER_ADDRESS", c.login_max_failures_per_address)?;
        c.login_window = Duration::from_secs(parse_var("QAT_LOGIN_WINDOW_SECS", c.login_window.as_secs())?);
        c.login_max_failures_per_account_all_addresses = parse_var(
            "QAT_LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL_ADDRESSES",
            c.login_max_failures_per_account_all_addresses,
        )?;
        c.register_max_per_address = parse_var("QAT_REGISTER_MAX_PER_ADDRESS", c.register_max_per_address)?;
        c.register_window =
            Duration::from_secs(parse_var("QAT_REGISTER_WINDOW_SECS", c.register_window.as_secs())?);
        if let Some(list) = var("QAT_TRUSTED_PROXIES") {
            c.trusted_proxies = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .map_err(|_| ConfigError(format!("QAT_TRUSTED_PROXIES: {s:?} is not an IP address")))
                })
                .collect::<Result<_, _>>()?;
        }
        c.webhook_allow_private = parse_bool("QAT_WEBHOOK_ALLOW_PRIVATE", false)?;
        c.hsts = parse_bool("QAT_HSTS", false)?;
        c.rate_limit_per_minute = parse_var("QAT_RATE_LIMIT_PER_MINUTE", c.rate_limit_per_minute)?;
        c.rate_limit_anonymous_per_minute =
            parse_var("QAT_RATE_LIMIT_ANONYMOUS_PER_MINUTE", c.rate_limit_anonymous_per_minute)?;
        c.metrics_token = var("QAT_METRICS_TOKEN").map(Secret);
        c.webhook_max_attempts = parse_var("QAT_WEBHOOK_MAX_ATTEMPTS", c.webhook_max_attempts)?.max(1);
        c.webhook_retry_base = Duration::from_millis(parse_var(
            "QAT_WEBHOOK_RETRY_BASE_MS",
            c.webhook_retry_base.as_millis() as u64,
        )?);
        c.permits = PermitConfig::from_env()?;
        c.messaging = MessagingConfig::from_env()?;
        c.validate()?;
        Ok(c)
    }

    /// Refuses production settings that are missing or still the development defaults.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.permits.validate()?;
        if self.env != Environment::Production {
            return Ok(());
        }
        if self.jwt_private_key.is_none() {
            return Err(ConfigError(
                "QAT_JWT_PRIVATE_KEY or QAT_JWT_PRIVATE_KEY_FILE is required in production".into(),
            ));
        }
        if self.data_key.is_none() {
            return Err(ConfigError(
                "QAT_DATA_KEY (base64 of 32 random bytes: openssl rand -base64 32) is required in production: \
                 webhook secrets and stored replies are sealed with it"
                    .into(),
            ));
        }
        if self.admin_password.as_ref().is_some_and(|p| p.expose() == DEV_ADMIN_PASSWORD) {
            return Err(ConfigError(
                "QAT_ADMIN_PASSWORD must not be the development default in production".into(),
            ));
        }
        if self.admin_email.is_some() != self.admin_password.is_some() {
            return Err(ConfigError("QAT_ADMIN_EMAIL and QAT_ADMIN_PASSWORD go together".into()));
        }
        if self.demo_data {
            return Err(ConfigError("QAT_DEMO_DATA cannot be enabled in production".into()));
        }
        if !self.database_url.expose().starts_with("postgres") {
            return Err(ConfigError("production needs a PostgreSQL DATABASE_URL".into()));
        }
        if self.metrics_token.as_ref().is_none_or(|t| t.expose().len() < 16) {
            return Err(ConfigError(
                "QAT_METRICS_TOKEN (at least 16 characters) is required in production: /metrics is not public"
                    .into(),
            ));
        }
        if self.webhook_allow_private {
            return Err(ConfigError(
                "QAT_WEBHOOK_ALLOW_PRIVATE cannot be enabled in production: webhooks reach only public hosts"
                    .into(),
            ));
        }
        self.messaging.validate_production()
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> Config {
        let mut c = Config::development(PathBuf::from("/tmp/qat"));
        c.env = Environment::Production;
        c.demo_data = false;
        c.admin_email = None;
        c.admin_password = None;
        c.jwt_private_key = Some(Secret("-----BEGIN PRIVATE KEY-----".into()));
        c.data_key = Some(Secret("b64-data-key".into()));
        c.database_url = Secret::new("postgres://db/qat");
        c.metrics_token = Some(Secret("a-long-scrape-token".into()));
        c.permits.signing_key = Some(Secret("-----BEGIN PRIVATE KEY-----".into()));
        c.permits.root_key = Some(Secret("-----BEGIN PRIVATE KEY-----".into()));
        c.permits.public_url = "https://qat.gov.mo".into();
        c.messaging = MessagingConfig {
            sms: false,
            push: false,
            smtp: Some(SmtpSettings::parse("smtps://mail.example").unwrap()),
            mail_from: Some("no-reply@qinaotong.example".into()),
            ..Default::default()
        };
        c
    }

    #[test]
    fn permit_settings_must_fit_the_qr() {
        let mut c = production();
        c.permits.public_url = "https://permits.qinaotong.example".into();
        assert!(c.validate().unwrap_err().0.contains("QAT_PUBLIC_URL"), "too long for the QR");
        let dev = Config::development(PathBuf::from("/tmp/qat"));
        assert!(dev.validate().is_ok(), "development generates permit keys");
    }

    #[test]
    fn production_refuses_webhooks_to_private_addresses() {
        assert!(production().validate().is_ok());
        let printed = format!(
            "{:?}",
            Config { database_url: Secret::new("postgres://u:hunter2@db/q"), ..production() }
        );
        assert!(!printed.contains("hunter2"), "the database password is never printed");
        let mut c = production();
        c.webhook_allow_private = true;
        let e = c.validate().unwrap_err();
        assert!(e.0.contains("QAT_WEBHOOK_ALLOW_PRIVATE"), "{}", e.0);
        let mut dev = Config::development(PathBuf::from("/tmp/qat"));
        dev.webhook_allow_private = true;
        assert!(dev.validate().is_ok(), "development may reach loopback for tests");
    }

    #[test]
    fn production_needs_a_data_key() {
        let mut c = production();
        c.data_key = None;
        assert!(c.validate().unwrap_err().0.contains("QAT_DATA_KEY"));
    }

    #[test]
    fn production_keeps_metrics_behind_a_token() {
        let mut c = production();
        c.metrics_token = None;
        assert!(c.validate().unwrap_err().0.contains("QAT_METRICS_TOKEN"));
    }
}
