//! Push to Android (and web) through Firebase Cloud Messaging HTTP v1. The service account signs a JWT
//! (RS256) that Google's token endpoint exchanges for an access token, cached until shortly before it
//! expires.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::channel::{Channel, Failure, Outgoing, by_status, network};
use crate::config::FcmSettings;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

pub struct Fcm {
    http: reqwest::Client,
    settings: FcmSettings,
    key: EncodingKey,
    token: Mutex<Option<(String, Instant)>>,
}

impl Fcm {
    pub fn new(settings: &FcmSettings, timeout: Duration) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(settings.private_key.expose().as_bytes())
            .map_err(|e| format!("the FCM service account's private_key is not an RSA PEM key: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("FCM client: {e}"))?;
        Ok(Self { http, settings: settings.clone(), key, token: Mutex::new(None) })
    }

    async fn access_token(&self) -> Result<String, Failure> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let s = &self.settings;
        let iat = chrono::Utc::now().timestamp();
        let claims =
            json!({"iss": s.client_email, "scope": SCOPE, "aud": s.token_url, "iat": iat, "exp": iat + 3600});
        let mut header = Header::new(Algorithm::RS256);
        header.kid = s.private_key_id.clone();
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| Failure::Retry(format!("cannot sign the FCM assertion: {e}")))?;
        let form = serde_urlencoded::to_string([
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ])
        .map_err(|e| Failure::Retry(format!("cannot encode the FCM token request: {e}")))?;
        let res = self
            .http
            .post(&s.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| network("the FCM token endpoint", e))?;
        by_status(res.status().as_u16(), "the FCM token endpoint").map_err(|f| match f {
            // A refused service account is an operator's problem: keep the messages until it is fixed.
            Failure::Permanent(t) => Failure::Retry(t),
            other => other,
        })?;
        let body: Value = res.json().await.map_err(|e| network("the FCM token endpoint", e))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| Failure::Retry("the FCM token endpoint sent no access_token".into()))?
            .to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(3600).saturating_sub(120).max(30);
        *cached = Some((token.clone(), Instant::now() + Duration::from_secs(lifetime)));
        Ok(token)
    }

    /// The FCM v1 request for a message to one token; `web` tokens get Web Push urgency instead of the
    /// Android priority.
    pub fn payload(m: &Outgoing, web: bool) -> Value {
        let data: serde_json::Map<String, Value> = m
            .data
            .iter()
            .map(|(k, v)| {
                (k.clone(), Value::String(v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            })
            .collect();
        let mut message = json!({
            "token": m.to,
            "notification": {"title": m.subject, "body": m.body},
            "data": data,
        });
        if web {
            message["webpush"] = json!({"headers": {"Urgency": "high"}});
        } else {
            message["android"] = json!({"priority": "HIGH", "notification": {"tag": m.kind}});
        }
        json!({"message": message})
    }

    pub async fn deliver(&self, m: &Outgoing, web: bool) -> Result<(), Failure> {
        let token = self.access_token().await?;
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.settings.base_url.trim_end_matches('/'),
            self.settings.project_id
        );
        let res = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(&Self::payload(m, web))
            .send()
            .await
            .map_err(|e| network("FCM", e))?;
        let status = res.status().as_u16();
        if status < 300 {
            return Ok(());
        }
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let codes: Vec<&str> = body["error"]["details"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["errorCode"].as_str())
            .collect();
        if codes.contains(&"UNREGISTERED") || (status == 404 && codes.is_empty()) {
            return Err(Failure::Unregistered("FCM: the token is unregistered".into()));
        }
        if status == 401 {
            // The access token was refused: fetch a new one on the next attempt.
            *self.token.lock().await = None;
            return Err(Failure::Retry("FCM refused the access token".into()));
        }
        let detail = codes.first().copied().or(body["error"]["status"].as_str()).unwrap_or("");
        by_status(status, &format!("FCM ({detail})"))
    }
}

/// Android devices.
pub struct FcmAndroid(pub std::sync::Arc<Fcm>);
/// Browsers, whose FCM tokens take Web Push options.
pub struct FcmWeb(pub std::sync::Arc<Fcm>);

impl Channel for FcmAndroid {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(self.0.deliver(m, false))
    }
}

impl Channel for FcmWeb {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(self.0.deliver(m, true))
    }
}
