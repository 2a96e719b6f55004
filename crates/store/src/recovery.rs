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

/// What an e-mailed token proves when it is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Lets the holder choose a new password.
    ResetPassword,
    /// Proves the holder reads the account's mailbox.
    VerifyEmail,
}

impl TokenPurpose {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset_password",
            Self::VerifyEmail => "verify_email",
        }
    }
}

/// Stores recovery tokens, invitations and outbox mail, and changes passwords.
#[async_trait]
pub trait RecoveryStore: Send + Sync {
    /// Stores an e-mailed token (its hash) for a user.
    async fn create_email_token(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: TokenPurpose,
        token_hash: &str,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends an unexpired, unused token of `purpose`; returns its user, or `None`.
    async fn consume_email_token(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        purpose: TokenPurpose,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;
    /// Replaces a user's password hash, or `NotFound`.
    async fn set_password(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Marks a user's current address as verified (first time only), or `NotFound`.
    async fn set_email_verified(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Stores an invitation (token hash).
    async fn create_invitation(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        token_hash: &str,
        inv: &Invitation,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends an unexpired, unaccepted invitation; returns it, or `None`.
    async fn accept_invitation(
        &self,
        tx: &mut dyn crate::Tx,
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
