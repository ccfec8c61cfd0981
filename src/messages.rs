//! Messages to people (password reset codes) through a pluggable sender. The development sender writes
//! each message as one log line with the recipient and the text, like a console mail backend, and keeps a
//! copy in `messages.jsonl` in the data folder; it is never used in production.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

pub trait MessageSender: Send + Sync {
    /// Delivers `text` to `recipient` (an email address or an E.164 phone number).
    fn send(&self, recipient: &str, text: &str);
}

/// Development only: log line plus a JSON line per message in the data folder.
pub struct DevelopmentSender {
    file: Mutex<PathBuf>,
}

impl DevelopmentSender {
    pub fn new(data_dir: PathBuf) -> Self {
        Self { file: Mutex::new(data_dir.join("messages.jsonl")) }
    }
}

impl MessageSender for DevelopmentSender {
    fn send(&self, recipient: &str, text: &str) {
        tracing::info!(target: "qinaotong::messages", recipient, text, "message sent (development sender)");
        if let Ok(path) = self.file.lock() {
            let line =
                serde_json::json!({"recipient": recipient, "text": text, "sent_at": chrono::Utc::now()});
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&*path) {
                let _ = writeln!(f, "{line}");
            }
        }
    }
}

/// Production until a gateway is configured: nothing leaves, and no code is ever logged.
pub struct NoSender;

impl MessageSender for NoSender {
    fn send(&self, _recipient: &str, _text: &str) {
        tracing::warn!("a message could not be sent: no message gateway is configured");
    }
}
