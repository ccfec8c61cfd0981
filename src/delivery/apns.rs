//! Push to iOS through the Apple Push Notification service: HTTP/2, a provider token (ES256 JWT signed
//! with the team's key) renewed every 40 minutes, as Apple asks (at most once per 20, at least once per 60).

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::channel::{Channel, Failure, Outgoing, by_status, network};
use crate::config::ApnsSettings;

const TOKEN_LIFETIME: Duration = Duration::from_secs(40 * 60);

pub struct Apns {
    http: reqwest::Client,
    settings: ApnsSettings,
    key: EncodingKey,
    token: Mutex<Option<(String, Instant)>>,
}

impl Apns {
    pub fn new(settings: &ApnsSettings, timeout: Duration) -> Result<Self, String> {
        let key = EncodingKey::from_ec_pem(settings.private_key.expose().as_bytes())
            .map_err(|e| format!("QAT_APNS_KEY is not a PKCS#8 P-256 key (.p8): {e}"))?;
        let mut builder =
            reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none());
        // Apple speaks only HTTP/2. Over TLS it is agreed by ALPN; a plain http base URL (a local stand-in)
        // gets HTTP/2 from the first byte.
        if settings.base_url.starts_with("http://") {
            builder = builder.http2_prior_knowledge();
        }
        let http = builder.build().map_err(|e| format!("APNs client: {e}"))?;
        Ok(Self { http, settings: settings.clone(), key, token: Mutex::new(None) })
    }

    async fn provider_token(&self) -> Result<String, Failure> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.settings.key_id.clone());
        let claims = json!({"iss": self.settings.team_id, "iat": chrono::Utc::now().timestamp()});
        let token = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| Failure::Retry(format!("cannot sign the APNs provider token: {e}")))?;
        *cached = Some((token.clone(), Instant::now() + TOKEN_LIFETIME));
        Ok(token)
    }

    /// The notification: an alert with title and body, and the ids the app needs beside `aps`.
    pub fn payload(m: &Outgoing) -> Value {
        let mut body = json!({"aps": {"alert": {"title": m.subject, "body": m.body}, "sound": "default"}});
        for (k, v) in &m.data {
            body[k] = v.clone();
        }
        body
    }
}

impl Channel for Apns {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            let token = self.provider_token().await?;
            let url = format!("{}/3/device/{}", self.settings.base_url.trim_end_matches('/'), m.to);
            let expires = chrono::Utc::now().timestamp() + 24 * 3600;
            let res = self
                .http
                .post(url)
                .header("authorization", format!("bearer {token}"))
                .header("apns-topic", &self.settings.topic)
                .header("apns-push-type", "alert")
                .header("apns-priority", "10")
                .header("apns-expiration", expires.to_string())
                .header("apns-id", &m.id)
                .json(&Self::payload(m))
                .send()
                .await
                .map_err(|e| network("APNs", e))?;
            let status = res.status().as_u16();
            if status < 300 {
                return Ok(());
            }
            let body: Value = res.json().await.unwrap_or(Value::Null);
            let reason = body["reason"].as_str().unwrap_or("").to_owned();
            match (status, reason.as_str()) {
                (410, _) | (400, "BadDeviceToken") | (400, "DeviceTokenNotForTopic") => {
                    Err(Failure::Unregistered(format!("APNs: {reason}")))
                }
                (403, "ExpiredProviderToken") | (403, "InvalidProviderToken") => {
                    *self.token.lock().await = None;
                    Err(Failure::Retry(format!("APNs refused the provider token: {reason}")))
                }
                _ => by_status(status, &format!("APNs ({reason})")),
            }
        })
    }
}
