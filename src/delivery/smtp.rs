//! Email over SMTP: STARTTLS, implicit TLS or (outside production) none, with authentication when the
//! URL carries credentials; every message is multipart text and HTML.

use std::time::Duration;

use futures_util::future::BoxFuture;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::channel::{Channel, Failure, Outgoing};
use crate::config::{SmtpSettings, SmtpTls};
use crate::domain::templates;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(s: &SmtpSettings, from: &str, timeout: Duration) -> Result<Self, String> {
        let params = || TlsParameters::new(s.host.clone()).map_err(|e| format!("SMTP TLS settings: {e}"));
        let tls = match s.tls {
            SmtpTls::StartTls => Tls::Required(params()?),
            SmtpTls::Implicit => Tls::Wrapper(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
            .port(s.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(user) = &s.username {
            let password = s.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let from = from.parse().map_err(|e| format!("QAT_MAIL_FROM is not a mail address: {e}"))?;
        Ok(Self { transport: builder.build(), from })
    }

    fn message(&self, m: &Outgoing) -> Result<lettre::Message, Failure> {
        let to: Mailbox =
            m.to.parse().map_err(|e| Failure::Permanent(format!("not a deliverable address: {e}")))?;
        let subject = templates::email_subject(m.language, &m.subject);
        let html = templates::email_html(
            m.language.as_str(),
            &m.subject,
            &m.body,
            templates::service_name(m.language),
        );
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@qinaotong>", m.id)))
            .multipart(MultiPart::alternative_plain_html(m.body.clone(), html))
            .map_err(|e| Failure::Permanent(format!("the message cannot be built: {e}")))
    }
}

impl Channel for Smtp {
    fn send<'a>(&'a self, m: &'a Outgoing) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            let message = self.message(m)?;
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                // A 5xx reply (unknown mailbox, refused sender) will not change on its own.
                Err(e) if e.is_permanent() => Err(Failure::Permanent(format!("SMTP refused: {e}"))),
                Err(e) => Err(Failure::Retry(format!("SMTP failed: {e}"))),
            }
        })
    }
}
