//! The message worker: leases due rows of the outbox, sends each through its channel outside any
//! transaction, and records the outcome: sent, retried later with backoff, or dead. Leases expire on
//! their own, so a stopped instance's messages are picked up by another; a provider outage only delays.

mod apns;
mod channel;
mod fcm;
mod sms;
mod smtp;

use std::sync::Arc;

use actix_web::web;
use chrono::Duration;

pub use channel::{Channel, DevelopmentSender, Failure, Outgoing};

use crate::config::Config;
use crate::db::types::now;
use crate::domain::locale::Locale;
use crate::domain::webhook::backoff;
use crate::state::AppState;
use crate::store::devices;
use crate::store::messages::{self as outbox, Message, Outcome};

const BATCH: i64 = 16;

/// The channels this instance sends through, chosen by configuration. A channel that is off is `None`;
/// one that is on without a provider uses the development sender (never in production, where the
/// configuration check refuses to start instead).
pub struct Channels {
    email: Slot,
    sms: Slot,
    android: Slot,
    web: Slot,
    ios: Slot,
}

/// A channel, or none when it is off.
type Slot = Option<Box<dyn Channel>>;

fn development(config: &Config, channel: &'static str) -> Result<Slot, String> {
    if config.is_production() {
        return Err(format!("the {channel} channel has no provider configured"));
    }
    Ok(Some(Box::new(DevelopmentSender { channel })))
}

impl Channels {
    pub fn from_config(config: &Config) -> Result<Self, crate::config::ConfigError> {
        Self::build(config).map_err(crate::config::ConfigError)
    }

    fn build(config: &Config) -> Result<Self, String> {
        let m = &config.messaging;
        let email: Slot = match (&m.smtp, &m.mail_from) {
            _ if !m.email => None,
            (Some(s), Some(from)) => Some(Box::new(smtp::Smtp::new(s, from, m.timeout)?)),
            (Some(_), None) => return Err("QAT_SMTP_URL is set but QAT_MAIL_FROM is not".into()),
            (None, _) => development(config, "email")?,
        };
        let sms: Slot = match &m.sms_gateway {
            _ if !m.sms => None,
            Some(s) => Some(Box::new(sms::SmsGateway::new(s, m.timeout)?)),
            None => development(config, "sms")?,
        };
        let (android, web): (Slot, Slot) = match &m.fcm {
            _ if !m.push => (None, None),
            Some(s) => {
                let fcm = Arc::new(fcm::Fcm::new(s, m.timeout)?);
                (Some(Box::new(fcm::FcmAndroid(fcm.clone()))), Some(Box::new(fcm::FcmWeb(fcm))))
            }
            None => (development(config, "push")?, development(config, "push")?),
        };
        let ios: Slot = match &m.apns {
            _ if !m.push => None,
            Some(s) => Some(Box::new(apns::Apns::new(s, m.timeout)?)),
            None => development(config, "push")?,
        };
        Ok(Self { email, sms, android, web, ios })
    }

    fn pick(&self, channel: &str, platform: Option<&str>) -> Option<&dyn Channel> {
        let c = match (channel, platform) {
            ("email", _) => &self.email,
            ("sms", _) => &self.sms,
            ("push", Some("android")) => &self.android,
            ("push", Some("web")) => &self.web,
            ("push", Some("ios")) => &self.ios,
            _ => &None,
        };
        c.as_deref()
    }
}

/// Runs until the server stops.
pub async fn run(state: web::Data<AppState>, channels: Channels) {
    let channels = Arc::new(channels);
    let mut tick = tokio::time::interval(state.config.messaging.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Longer than any send can take, so no other instance takes a message while it is on its way.
        let lease = Duration::seconds(state.config.messaging.timeout.as_secs() as i64 * 3 + 30);
        let due = state
            .db
            .write(move |conn| {
                let t = now();
                Ok(outbox::lease_due(conn, t, t + lease, BATCH)?)
            })
            .await;
        match due {
            Ok(rows) if !rows.is_empty() => {
                futures_util::future::join_all(rows.into_iter().map(|m| deliver(&state, &channels, m))).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not lease messages"),
        }
    }
}

/// Where a message goes: the address, or the device's token and platform. `None` when its device was
/// removed since it was queued.
async fn address(state: &AppState, m: &Message) -> Result<Option<(String, Option<String>)>, String> {
    if m.channel != "push" {
        return Ok(Some((m.recipient.clone(), None)));
    }
    let id = m.recipient.clone();
    let device =
        state.db.run(move |conn| Ok(devices::find_any(conn, &id)?)).await.map_err(|e| e.to_string())?;
    Ok(device.map(|d| (d.push_token, Some(d.platform))))
}

async fn deliver(state: &AppState, channels: &Channels, m: Message) {
    let attempt = m.attempts + 1;
    let cfg = &state.config.messaging;
    let target = match address(state, &m).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, message = %m.id, "could not look up a device; the lease will expire");
            return;
        }
    };
    let outcome = match &target {
        None => Err(Failure::Permanent("the device was removed".into())),
        Some((to, platform)) => match channels.pick(&m.channel, platform.as_deref()) {
            None => Err(Failure::Permanent(format!("the {} channel is not enabled", m.channel))),
            Some(channel) => {
                let data = serde_json::from_str::<serde_json::Value>(&m.data).ok();
                let language = data
                    .as_ref()
                    .and_then(|d| d["lang"].as_str())
                    .and_then(Locale::parse_tag)
                    .unwrap_or(Locale::ZhHant);
                let mut data = data.and_then(|d| d.as_object().cloned()).unwrap_or_default();
                data.remove("lang");
                let out = Outgoing {
                    id: m.id.clone(),
                    kind: m.kind.clone(),
                    to: to.clone(),
                    subject: m.subject.clone(),
                    body: m.body.clone(),
                    language,
                    data,
                };
                match tokio::time::timeout(cfg.timeout, channel.send(&out)).await {
                    Ok(result) => result,
                    Err(_) => Err(Failure::Retry("the provider did not answer in time".into())),
                }
            }
        },
    };
    let t = now();
    let metrics = &state.deliveries;
    let (status, error) = match &outcome {
        Ok(()) => (outbox::SENT, None),
        Err(f @ Failure::Retry(_)) if (attempt as u32) < cfg.max_attempts => {
            (outbox::PENDING, Some(f.text()))
        }
        Err(f) if target.is_none() => (outbox::CANCELLED, Some(f.text())),
        Err(f) => (outbox::DEAD, Some(f.text())),
    };
    // A message whose device went away did not fail: there was nobody left to send it to.
    if outcome.is_err() && target.is_some() {
        metrics.count(&m.channel, "failed");
    }
    match status {
        outbox::SENT => metrics.count(&m.channel, "sent"),
        outbox::PENDING => metrics.count(&m.channel, "retried"),
        outbox::DEAD => metrics.count(&m.channel, "dead"),
        _ => {}
    }
    let next_attempt_at = if status == outbox::PENDING {
        let delay = backoff(attempt as u32, cfg.retry_base);
        t + Duration::milliseconds(delay.as_millis() as i64)
    } else {
        t
    };
    // The text may hold a code: only the outcome is logged.
    tracing::info!(message = %m.id, channel = %m.channel, kind = %m.kind, attempt, status, error, "message attempt");
    let record = Outcome {
        status,
        error: error.map(|e| e.chars().take(300).collect()),
        next_attempt_at,
        sent_at: (status == outbox::SENT).then_some(t),
    };
    let unregistered = matches!(outcome, Err(Failure::Unregistered(_))).then(|| m.recipient.clone());
    let result = state
        .db
        .write(move |conn| {
            outbox::record(conn, &m, attempt, &record)?;
            if let Some(device) = unregistered {
                devices::drop_unregistered(conn, &device)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a message attempt; the lease will expire and it will be retried");
    }
}
