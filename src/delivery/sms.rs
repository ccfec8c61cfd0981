//! SMS through an HTTP gateway: one POST per message, its body made from the configured template.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::channel::{Channel, Failure, Outgoing, by_status, network};
use crate::config::SmsSettings;

pub struct SmsGateway {
    http: reqwest::Client,
    settings: SmsSettings,
}

impl SmsGateway {
    pub fn new(settings: &SmsSettings, timeout: Duration) -> Result<Self, String> {
        reqwest::Url::parse(&settings.url).map_err(|_| "QAT_SMS_URL is not a URL".to_owned())?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("QinAoTong-Messages/1")
            .build()
            .map_err(|e| format!("SMS client: {e}"))?;
        Ok(Self { http, settings: settings.clone() })
    }

    /// The request body: the template with `{to}` and `{text}` escaped for its media type.
    pub fn body(&self, to: &str, text: &str) -> String {
        let escape = |v: &str| -> String {
            if self.settings.content_type.contains("json") {
                let quoted = serde_json::Value::from(v).to_string();
                quoted[1..quoted.len() - 1].to_owned()
            } else if self.settings.content_type.contains("x-www-form-urlencoded") {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
            } else {
                v.to_owned()
            }
        };
        self.settings.template.replace("{to}", &escape(to)).replace("{text}", &escape(text))
    }
}

impl Channel for SmsGateway {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            let s = &self.settings;
            let mut req = self
                .http
                .post(&s.url)
                .header("content-type", &s.content_type)
                .header("idempotency-key", &m.id)
                .body(self.body(&m.to, &m.body));
            if let Some(user) = &s.username {
                req = req.basic_auth(user, s.password.as_ref().map(|p| p.expose()));
            } else if let Some(token) = &s.token {
                req = req.bearer_auth(token.expose());
            }
            let res = req.send().await.map_err(|e| network("the SMS gateway", e))?;
            by_status(res.status().as_u16(), "the SMS gateway")
        })
    }
}
