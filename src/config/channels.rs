//! Settings of the channels that carry messages out of the server: email over SMTP, SMS through an
//! HTTP gateway, push through FCM and APNs, and the outbox worker that drives them.

use std::time::Duration;

use super::{ConfigError, Secret, var};

/// How an SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `?tls=none`: no encryption (local relays and tests; refused in production).
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

impl SmtpSettings {
    /// `smtp://user:pass@host:port` (STARTTLS), `smtps://…` (implicit TLS), `?tls=none` for neither.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError(format!("QAT_SMTP_URL {why}"));
        let url = reqwest::Url::parse(raw).map_err(|_| bad("is not a URL"))?;
        let mut tls = match url.scheme() {
            "smtp" => SmtpTls::StartTls,
            "smtps" => SmtpTls::Implicit,
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "none") => tls = SmtpTls::None,
                ("tls", "starttls") if url.scheme() == "smtp" => {}
                _ => return Err(bad(&format!("has an unknown option {k}={v}"))),
            }
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("has no host"))?;
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let username = Some(decode(url.username())).filter(|u| !u.is_empty());
        Ok(Self {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: url.port().unwrap_or(if tls == SmtpTls::Implicit { 465 } else { 587 }),
            tls,
            password: url.password().map(|p| Secret::new(decode(p))),
            username,
        })
    }
}

/// An SMS gateway reached over HTTP: the body is `template` with `{to}` and `{text}` replaced by the
/// JSON-escaped number and text.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub template: String,
    pub content_type: String,
}

pub const DEFAULT_SMS_TEMPLATE: &str = r#"{"to":"{to}","text":"{text}"}"#;

/// Firebase Cloud Messaging HTTP v1, authorised by a service account's signed JWT.
#[derive(Debug, Clone)]
pub struct FcmSettings {
    pub project_id: String,
    pub client_email: String,
    /// RSA private key (PEM) of the service account.
    pub private_key: Secret,
    pub private_key_id: Option<String>,
    pub token_url: String,
    pub base_url: String,
}

impl FcmSettings {
    /// From the service account JSON file Google issues; `base_url` and `token_url` override its defaults.
    pub fn from_json(
        json: &str,
        base_url: Option<String>,
        token_url: Option<String>,
    ) -> Result<Self, ConfigError> {
        let v: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| ConfigError(format!("the FCM service account is not JSON: {e}")))?;
        let field = |k: &str| {
            v[k].as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| ConfigError(format!("the FCM service account has no {k}")))
        };
        Ok(Self {
            project_id: field("project_id")?,
            client_email: field("client_email")?,
            private_key: Secret::new(field("private_key")?),
            private_key_id: field("private_key_id").ok(),
            token_url: token_url.or_else(|| field("token_uri").ok()).unwrap_or(GOOGLE_TOKEN_URL.into()),
            base_url: base_url.unwrap_or_else(|| "https://fcm.googleapis.com".into()),
        })
    }
}

const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Apple Push Notification service over HTTP/2 with an ES256 provider token.
#[derive(Debug, Clone)]
pub struct ApnsSettings {
    pub key_id: String,
    pub team_id: String,
    /// The `.p8` signing key (PKCS#8 PEM, P-256).
    pub private_key: Secret,
    /// The app's bundle id, sent as `apns-topic`.
    pub topic: String,
    pub base_url: String,
}

/// Which channels are on, their providers, and how the outbox worker retries.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub smtp: Option<SmtpSettings>,
    pub mail_from: Option<String>,
    pub sms_gateway: Option<SmsSettings>,
    pub fcm: Option<FcmSettings>,
    pub apns: Option<ApnsSettings>,
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt up to six hours, with jitter.
    pub retry_base: Duration,
    pub poll_interval: Duration,
    /// Longest a provider may take to answer one message.
    pub timeout: Duration,
    pub max_devices_per_account: u32,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            email: true,
            sms: true,
            push: true,
            smtp: None,
            mail_from: None,
            sms_gateway: None,
            fcm: None,
            apns: None,
            max_attempts: 10,
            retry_base: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            max_devices_per_account: 5,
        }
    }
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError(format!("{name} has an invalid value {raw:?}"))),
    }
}

/// A value given inline or as `{name}_FILE`. Inline PEM keys may carry `\n` for their line breaks
/// (`pem`); JSON keeps its own escapes.
fn secret_or_file(name: &str, pem: bool) -> Result<Option<Secret>, ConfigError> {
    let file = format!("{name}_FILE");
    match (var(name), var(&file)) {
        (Some(v), _) if pem => Ok(Some(Secret::new(v.replace("\\n", "\n")))),
        (Some(v), _) => Ok(Some(Secret::new(v))),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(|s| Some(Secret::new(s)))
            .map_err(|e| ConfigError(format!("{file} {path:?}: {e}"))),
        (None, None) => Ok(None),
    }
}

impl MessagingConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut c = Self::default();
        if let Some(list) = var("QAT_CHANNELS") {
            (c.email, c.sms, c.push) = (false, false, false);
            for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match name {
                    "email" => c.email = true,
                    "sms" => c.sms = true,
                    "push" => c.push = true,
                    other => {
                        return Err(ConfigError(format!(
                            "QAT_CHANNELS: unknown channel {other:?} (email, sms, push)"
                        )));
                    }
                }
            }
        }
        c.smtp = var("QAT_SMTP_URL").map(|u| SmtpSettings::parse(&u)).transpose()?;
        c.mail_from = var("QAT_MAIL_FROM");
        if let Some(url) = var("QAT_SMS_URL") {
            c.sms_gateway = Some(SmsSettings {
                url,
                username: var("QAT_SMS_USERNAME"),
                password: var("QAT_SMS_PASSWORD").map(Secret::new),
                token: var("QAT_SMS_TOKEN").map(Secret::new),
                template: var("QAT_SMS_TEMPLATE").unwrap_or_else(|| DEFAULT_SMS_TEMPLATE.into()),
                content_type: var("QAT_SMS_CONTENT_TYPE").unwrap_or_else(|| "application/json".into()),
            });
        }
        if let Some(account) = secret_or_file("QAT_FCM_SERVICE_ACCOUNT", false)? {
            c.fcm = Some(FcmSettings::from_json(
                account.expose(),
                var("QAT_FCM_BASE_URL"),
                var("QAT_FCM_TOKEN_URL"),
            )?);
        }
        let apns_key = secret_or_file("QAT_APNS_KEY", true)?;
        let apns = (var("QAT_APNS_KEY_ID"), var("QAT_APNS_TEAM_ID"), apns_key, var("QAT_APNS_TOPIC"));
        c.apns = match apns {
            (None, None, None, None) => None,
            (Some(key_id), Some(team_id), Some(private_key), Some(topic)) => Some(ApnsSettings {
                key_id,
                team_id,
                private_key,
                topic,
                base_url: var("QAT_APNS_BASE_URL").unwrap_or_else(|| "https://api.push.apple.com".into()),
            }),
            _ => {
                return Err(ConfigError(
                    "APNs needs QAT_APNS_KEY_ID, QAT_APNS_TEAM_ID, QAT_APNS_KEY (or QAT_APNS_KEY_FILE) and \
                     QAT_APNS_TOPIC together"
                        .into(),
                ));
            }
        };
        c.max_attempts = number("QAT_MESSAGE_MAX_ATTEMPTS", c.max_attempts)?.max(1);
        c.retry_base =
            Duration::from_millis(number("QAT_MESSAGE_RETRY_BASE_MS", c.retry_base.as_millis() as u64)?);
        c.max_devices_per_account = number("QAT_MAX_DEVICES_PER_ACCOUNT", c.max_devices_per_account)?.max(1);
        Ok(c)
    }

    /// Production checks: password reset codes and security alerts need email, and every enabled channel
    /// needs its provider, so a missing setting stops the start instead of losing messages later.
    pub fn validate_production(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_owned()));
        if !self.email {
            return err(
                "QAT_CHANNELS must include email in production: reset codes and security alerts go by email",
            );
        }
        match &self.smtp {
            None => return err("QAT_SMTP_URL is required in production while the email channel is enabled"),
            Some(s) if s.tls == SmtpTls::None => {
                return err(
                    "QAT_SMTP_URL with tls=none is refused in production: mail must travel encrypted",
                );
            }
            Some(_) => {}
        }
        if self.mail_from.is_none() {
            return err("QAT_MAIL_FROM is required in production while the email channel is enabled");
        }
        if self.sms && self.sms_gateway.is_none() {
            return err(
                "the sms channel is enabled but QAT_SMS_URL is not set (or leave sms out of QAT_CHANNELS)",
            );
        }
        if self.push && self.fcm.is_none() {
            return err(
                "the push channel is enabled but FCM is not configured: set QAT_FCM_SERVICE_ACCOUNT_FILE \
                 (or leave push out of QAT_CHANNELS)",
            );
        }
        if self.push && self.apns.is_none() {
            return err("the push channel is enabled but APNs is not configured: set QAT_APNS_KEY_ID, \
                 QAT_APNS_TEAM_ID, QAT_APNS_KEY_FILE and QAT_APNS_TOPIC (or leave push out of QAT_CHANNELS)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_choose_starttls_implicit_tls_or_none() {
        let s = SmtpSettings::parse("smtp://mailer:p%40ss@mail.example:2525").unwrap();
        assert_eq!((s.tls, s.port, s.host.as_str()), (SmtpTls::StartTls, 2525, "mail.example"));
        assert_eq!(s.username.as_deref(), Some("mailer"));
        assert_eq!(s.password.unwrap().expose(), "p@ss");
        let s = SmtpSettings::parse("smtps://mail.example").unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        let s = SmtpSettings::parse("smtp://127.0.0.1:25?tls=none").unwrap();
        assert_eq!((s.tls, s.username), (SmtpTls::None, None));
        assert!(SmtpSettings::parse("http://mail.example").is_err());
        assert!(SmtpSettings::parse("smtp://mail.example?tls=maybe").is_err());
    }

    #[test]
    fn production_names_the_missing_provider_setting() {
        let mut c = MessagingConfig { sms: false, push: false, ..Default::default() };
        assert!(c.validate_production().unwrap_err().0.contains("QAT_SMTP_URL"));
        c.smtp = Some(SmtpSettings::parse("smtp://127.0.0.1:25?tls=none").unwrap());
        assert!(c.validate_production().unwrap_err().0.contains("tls=none"));
        c.smtp = Some(SmtpSettings::parse("smtps://mail.example").unwrap());
        assert!(c.validate_production().unwrap_err().0.contains("QAT_MAIL_FROM"));
        c.mail_from = Some("Qin Ao Tong <no-reply@qinaotong.example>".into());
        assert!(c.validate_production().is_ok());
        c.push = true;
        assert!(c.validate_production().unwrap_err().0.contains("FCM"));
        c.email = false;
        assert!(c.validate_production().unwrap_err().0.contains("must include email"));
    }
}
