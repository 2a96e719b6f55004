//! SMTP delivery: the production [`Mailer`].
//!
//! The relay is given as a URL, as lettre understands it:
//! - `smtp://host:25` — plain, for a local relay or a test server;
//! - `smtp://user:pass@host:587?tls=required` — STARTTLS, refusing a relay without it;
//! - `smtps://user:pass@host:465` — TLS from the first byte.
//!
//! Connections are pooled. Replies in the 5xx class are permanent (the job is dead at
//! once); everything else (4xx, timeouts, refused connections) is retried by the job queue.

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nexus_app::mail::{Mail, MailError, Mailer};
use nexus_domain::TenantId;
use std::time::Duration;

/// Checks a `From` address such as `FinAI Nexus <no-reply@example.com>`.
pub fn check_from(from: &str) -> Result<(), String> {
    from.parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("not a mailbox like \"Name <addr@example.com>\": {e}"))
}

/// Checks a relay URL without connecting.
pub fn check_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err("must start with smtp:// or smtps://".to_owned());
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|e| format!("not a usable SMTP URL: {e}"))
}

/// Sends through an SMTP relay.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for `url`, sending as `from`; nothing connects until the first mail.
    /// Must be called inside a Tokio runtime (the connection pool runs as a task).
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, String> {
        check_url(url)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not a usable SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("not a mailbox like \"Name <addr@example.com>\": {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn kind(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, tenant: TenantId, mail: &Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError::Permanent(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Permanent(format!("building the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(reply) => {
                tracing::debug!(tenant_id = %tenant, code = %reply.code(), "mail relayed");
                Ok(())
            }
            Err(e) if e.is_permanent() => Err(MailError::Permanent(describe(&e))),
            Err(e) => Err(MailError::Transient(describe(&e))),
        }
    }
}

/// A relay failure without the relay's own words: replies often quote the recipient
/// (`550 <kim@example.com> unknown`), and this text is logged and kept on the job.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("the relay answered {code}"),
        None if e.is_timeout() => "the relay timed out".to_owned(),
        None if e.is_tls() => "TLS with the relay failed".to_owned(),
        None => "the relay could not be reached or the connection failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The pooled transport spawns its pool task on the runtime, hence tokio::test.
    #[tokio::test]
    async fn urls_and_senders_are_checked_without_connecting() {
        assert!(check_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_url("smtps://u:p@mail.example.com:465").is_ok());
        assert!(check_url("smtp://mail.example.com:587?tls=required").is_ok());
        assert!(check_url("http://mail.example.com").is_err());
        assert!(check_from("FinAI Nexus <no-reply@example.com>").is_ok());
        assert!(check_from("not an address").is_err());
        assert!(
            SmtpMailer::new("smtp://127.0.0.1:2525", "a@b.test", Duration::from_secs(1)).is_ok()
        );
    }
}
