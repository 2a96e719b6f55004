//! Account recovery tokens, the development mail outbox, and password changes.
//! Tenant-owned: every method takes the `TenantId`.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::user::PasswordHash;
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// A mail as stored in the development outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was "sent".
    pub created_at: OffsetDateTime,
}

/// A pending invitation, as returned when it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The invited address.
    pub email: String,
    /// The account role the invitee will get (`admin`, `instructor`, `learner`).
    pub role: String,
    /// Who invited them (audit actor name).
    pub invited_by: String,
}

/// Stores recovery tokens, invitations and outbox mail, and changes passwords.
#[async_trait]
pub trait RecoveryStore: Send + Sync {
    /// Stores a reset token (hash) for a user.
    async fn create_reset_token(
        &self,
        tenant: TenantId,
        user: UserId,
        token_hash: &str,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends an unexpired, unused reset token; returns its user, or `None`.
    async fn consume_reset_token(
        &self,
        tenant: TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;
    /// Replaces a user's password hash, or `NotFound`.
    async fn set_password(
        &self,
        tenant: TenantId,
        user: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Stores an invitation (token hash).
    async fn create_invitation(
        &self,
        tenant: TenantId,
        token_hash: &str,
        inv: &Invitation,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends an unexpired, unaccepted invitation; returns it, or `None`.
    async fn accept_invitation(
        &self,
        tenant: TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Invitation>, StoreError>;
    /// Appends a mail to the outbox.
    async fn append_mail(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        mail: &OutboxMail,
    ) -> Result<(), StoreError>;
    /// Retention: deletes tokens and invitations that expired before `tokens_before`, and outbox mail
    /// created before `mail_before`. Returns how many rows went.
    async fn purge(
        &self,
        tenant: TenantId,
        tokens_before: OffsetDateTime,
        mail_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// The newest mails, newest first.
    async fn outbox(&self, tenant: TenantId, limit: u32) -> Result<Vec<OutboxMail>, StoreError>;
}
