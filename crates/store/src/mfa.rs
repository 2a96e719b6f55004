//! Second-factor storage. Tenant-owned: every method takes the `TenantId`.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// A user's TOTP enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// Base32 secret.
    pub secret: String,
    /// Set once the user proved their app works.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last step accepted; codes for it or earlier are refused.
    pub last_used_step: Option<i64>,
}

/// Stores TOTP secrets and recovery codes.
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// Starts (or restarts) an unconfirmed enrolment with `secret`.
    async fn put_totp(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        secret: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The user's enrolment, if any.
    async fn totp(&self, tenant: TenantId, user: UserId) -> Result<Option<TotpRecord>, StoreError>;
    /// Marks the enrolment confirmed.
    async fn confirm_totp(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Records `step` as used if it is later than the last used step; false means the
    /// code was already used (atomic, so two concurrent uses cannot both succeed).
    async fn use_totp_step(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        step: i64,
    ) -> Result<bool, StoreError>;
    /// Replaces the user's recovery codes with these hashes.
    async fn replace_recovery_codes(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        hashes: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends an unused recovery code; false if there is no such unused code.
    async fn use_recovery_code(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        hash: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Unused recovery codes left.
    async fn recovery_codes_left(&self, tenant: TenantId, user: UserId) -> Result<u32, StoreError>;
}
