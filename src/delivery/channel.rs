//! The one interface every channel implements, and the development sender that stands in for any of
//! them on a developer's machine.

use futures_util::future::BoxFuture;

use crate::domain::locale::Locale;

/// One message, addressed: `to` is an email address, an E.164 number or a push token.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row's id (a UUID), also used as the provider's message id where it takes one.
    pub id: String,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub language: Locale,
    /// String values for the app (application id, reference, status).
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// Why an attempt failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The provider or the network failed for now: try again later.
    Retry(String),
    /// The provider refused this message for good: trying again cannot help.
    Permanent(String),
    /// The push provider says the token no longer reaches an app: forget the device.
    Unregistered(String),
}

impl Failure {
    pub fn text(&self) -> &str {
        match self {
            Failure::Retry(t) | Failure::Permanent(t) | Failure::Unregistered(t) => t,
        }
    }
}

/// A way out of the server: SMTP, an SMS gateway, FCM, APNs, or the development log.
pub trait Channel: Send + Sync {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>>;
}

/// Development only: each message becomes one log line with the recipient and the text, like a console
/// mail backend. It is the only place a one-time code is ever written, and production never has it.
pub struct DevelopmentSender {
    pub channel: &'static str,
}

impl Channel for DevelopmentSender {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        let channel = self.channel;
        Box::pin(async move {
            tracing::info!(
                target: "qinaotong::messages",
                channel,
                recipient = %m.to,
                text = %m.body,
                "message sent (development sender)"
            );
            Ok(())
        })
    }
}

/// How a provider's HTTP answer status is treated when its body says nothing more specific.
pub fn by_status(status: u16, what: &str) -> Result<(), Failure> {
    match status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(Failure::Retry(format!("{what} answered {status}"))),
        _ => Err(Failure::Permanent(format!("{what} answered {status}"))),
    }
}

/// A transport error of an HTTP provider: always worth another try.
pub fn network(what: &str, e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure::Retry(format!("{what} timed out"))
    } else {
        Failure::Retry(format!("{what} unreachable: {e}"))
    }
}
