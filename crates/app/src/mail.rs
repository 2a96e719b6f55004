//! Outgoing e-mail: what a mail is, and the port that delivers it.
//!
//! Mail is always sent from a job, never on the request path, so a slow or failing relay
//! cannot hold a request and a transient failure is retried with backoff. The job hands
//! the mail to the configured [`Mailer`]: SMTP when `mail.smtp_url` is set (the
//! `nexus-mail` adapter), otherwise the tenant's development outbox ([`OutboxMailer`]),
//! which admins read at `/v1/outbox` so the demo works without a mail server.

use async_trait::async_trait;
use nexus_domain::{Clock, TenantId};
use nexus_store::{Database, OutboxMail};
use std::sync::Arc;

/// One plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Why a mail was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: relay down, timeout, 4xx reply.
    #[error("mail delivery failed, will retry: {0}")]
    Transient(String),
    /// Retrying cannot help: bad address, 5xx reply.
    #[error("mail delivery refused: {0}")]
    Permanent(String),
}

/// Delivers mail on behalf of a tenant.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Short name for logs and readiness: `smtp` or `outbox`.
    fn kind(&self) -> &'static str;
    /// Delivers one mail.
    async fn send(&self, tenant: TenantId, mail: &Mail) -> Result<(), MailError>;
}

/// Development delivery: appends to the tenant's outbox table.
///
/// The outbox holds live links (password reset, invitations) in clear text, which any
/// tenant admin can read; that is acceptable for a demo, not for production, so start-up
/// warns when no SMTP relay is configured.
pub struct OutboxMailer {
    db: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
}

impl OutboxMailer {
    /// An outbox over `db`.
    pub fn new(db: Arc<dyn Database>, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    fn kind(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, tenant: TenantId, mail: &Mail) -> Result<(), MailError> {
        let m = OutboxMail {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
            created_at: self.clock.now(),
        };
        let id = nexus_domain::id::uuid_v7(self.clock.as_ref());
        self.db
            .recovery()
            .append_mail(tenant, id, &m)
            .await
            .map_err(|e| MailError::Transient(e.to_string()))
    }
}
