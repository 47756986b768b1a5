//! Magpie's [`MailSender`] on SMTP, through lettre: one pooled transport to the mail server the
//! configuration names, as `smtp://host:25` (plain, for a relay on the same network),
//! `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465` (TLS from the
//! first byte). A mail goes out as `multipart/alternative`, plain text and HTML.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use magpie_core::mail::{MailError, MailSender, OutgoingMail};

/// Sends mail through one SMTP server.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// A sender to the server at `url`, with `from` (`Magpie <noreply@example.com>`) as the
    /// sender of every mail; each exchange with the server gives up after `timeout`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<SmtpSender, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("mail.from {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("mail.smtp_url: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(SmtpSender { transport, from })
    }
}

fn permanent(message: String) -> MailError {
    MailError { permanent: true, message }
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let to: Mailbox = mail.to.parse().map_err(|e| permanent(format!("recipient {:?}: {e}", mail.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| permanent(format!("building the mail: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(MailError { permanent: e.is_permanent(), message: e.to_string() }),
        }
    }
}
