//! Messages to people (password reset codes) through a pluggable sender. The development sender writes
//! each message as one log line with the recipient and the text, like a console mail backend; it is the
//! only place a code is ever written, and it is never used in production.

pub trait MessageSender: Send + Sync {
    /// Delivers `text` to `recipient` (an email address or an E.164 phone number).
    fn send(&self, recipient: &str, text: &str);
}

/// Development only: one log line per message.
pub struct DevelopmentSender;

impl MessageSender for DevelopmentSender {
    fn send(&self, recipient: &str, text: &str) {
        tracing::info!(target: "qinaotong::messages", recipient, text, "message sent (development sender)");
    }
}

/// Production until a gateway is configured: nothing leaves, and no code is ever logged.
pub struct NoSender;

impl MessageSender for NoSender {
    fn send(&self, _recipient: &str, _text: &str) {
        tracing::warn!("a message could not be sent: no message gateway is configured");
    }
}
