//! A small SMTP server for the tests: it speaks enough ESMTP for a real client (EHLO, AUTH PLAIN and
//! LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), checks the credentials, keeps every accepted message and
//! can answer the first few messages with a temporary failure, like a relay under load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const USER: &str = "qat-mailer";
pub const PASSWORD: &str = "sink-p@ss";

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as received, dot-unstuffed.
    pub data: String,
    pub authenticated: bool,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l[name.len() + 1..].trim().to_owned())
    }
}

async fn say(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) {
    let _ = w.write_all(format!("{text}\r\n").as_bytes()).await;
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    /// Messages still to be refused with `451` at the end of DATA.
    pub fail_next: Arc<AtomicUsize>,
    pub refused: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink { port: listener.local_addr().unwrap().port(), ..Default::default() };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(stream).await });
            }
        });
        sink
    }

    /// The URL the server is configured with: plain SMTP with authentication.
    pub fn url(&self) -> String {
        format!("smtp://{USER}:{}@127.0.0.1:{}?tls=none", PASSWORD.replace('@', "%40"), self.port)
    }

    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails.lock().unwrap().iter().filter(|m| m.to.iter().any(|t| t == address)).cloned().collect()
    }

    async fn session(&self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        say(&mut write, "220 sink.test ESMTP ready").await;
        let (mut from, mut to, mut authenticated) = (String::new(), Vec::new(), false);
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let cmd = line.trim_end().to_owned();
            let upper = cmd.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                say(&mut write, "250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8")
                    .await;
            } else if let Some(arg) = upper.strip_prefix("AUTH PLAIN").map(|_| cmd[10..].trim().to_owned()) {
                let decoded = base64::engine::general_purpose::STANDARD.decode(arg).unwrap_or_default();
                let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
                authenticated =
                    parts.len() == 3 && parts[1] == USER.as_bytes() && parts[2] == PASSWORD.as_bytes();
                say(
                    &mut write,
                    if authenticated { "235 2.7.0 accepted" } else { "535 5.7.8 bad credentials" },
                )
                .await;
            } else if upper.starts_with("AUTH LOGIN") {
                let mut answers = Vec::new();
                for prompt in ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"] {
                    say(&mut write, prompt).await;
                    line.clear();
                    lines.read_line(&mut line).await.unwrap_or(0);
                    answers.push(
                        base64::engine::general_purpose::STANDARD.decode(line.trim()).unwrap_or_default(),
                    );
                }
                authenticated = answers[0] == USER.as_bytes() && answers[1] == PASSWORD.as_bytes();
                say(
                    &mut write,
                    if authenticated { "235 2.7.0 accepted" } else { "535 5.7.8 bad credentials" },
                )
                .await;
            } else if upper.starts_with("MAIL FROM:") {
                from = cmd[10..].trim().trim_matches(['<', '>']).split('>').next().unwrap_or("").to_owned();
                to.clear();
                say(&mut write, "250 2.1.0 ok").await;
            } else if upper.starts_with("RCPT TO:") {
                to.push(cmd[8..].trim().trim_matches(['<', '>']).to_owned());
                say(&mut write, "250 2.1.5 ok").await;
            } else if upper == "DATA" {
                say(&mut write, "354 end with <CRLF>.<CRLF>").await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                }
                let failing = self
                    .fail_next
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if failing {
                    self.refused.fetch_add(1, Ordering::SeqCst);
                    say(&mut write, "451 4.3.0 try again later").await;
                } else {
                    let mail = Mail { from: from.clone(), to: to.clone(), data, authenticated };
                    self.mails.lock().unwrap().push(mail);
                    say(&mut write, "250 2.0.0 queued").await;
                }
            } else if upper == "QUIT" {
                say(&mut write, "221 2.0.0 bye").await;
                return;
            } else if upper == "RSET" || upper == "NOOP" {
                say(&mut write, "250 2.0.0 ok").await;
            } else {
                say(&mut write, "502 5.5.2 not implemented").await;
            }
        }
    }
}
