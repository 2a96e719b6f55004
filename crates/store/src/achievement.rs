//! Gamification and certificates: the XP ledger, badge awards, leaderboard preferences
//! and certificates of completion. Tenant-owned: every method takes the `TenantId`.
//! Awards run in the caller's transaction, so XP commits with the lesson completion or
//! graded attempt that earned it, or not at all.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::learning::certificate::{Certificate, CertificateId};
use nexus_domain::learning::gamification::XpEntry;
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// A learner's standing for leaderboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The learner.
    pub user: UserId,
    /// Their display name (shown only if they opted in).
    pub display_name: String,
    /// Total XP.
    pub xp: u64,
    /// Whether they chose to appear on leaderboards.
    pub opted_in: bool,
}

/// Stores XP, badges, preferences and certificates.
#[async_trait]
pub trait AchievementStore: Send + Sync {
    /// Records an award unless one exists for its (user, source, reference): true if
    /// this call recorded it. `NotFound` if the user is not this tenant's.
    async fn add_xp(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        entry: &XpEntry,
    ) -> Result<bool, StoreError>;
    /// A learner's ledger, oldest first, read inside the awarding transaction.
    async fn xp_entries(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<XpEntry>, StoreError>;
    /// Records a badge unless already earned: true if this call recorded it.
    async fn award_badge(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        badge: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// A learner's badges with when they were earned, oldest first.
    async fn badges(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError>;
    /// Sets whether a learner appears on leaderboards.
    async fn set_leaderboard_opt_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        opt_in: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Whether a learner opted in (false until they say so).
    async fn leaderboard_opt_in(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError>;
    /// Standings of the given learners, or of every learner with XP when `None`.
    async fn standings(
        &self,
        tenant: TenantId,
        users: Option<&[UserId]>,
    ) -> Result<Vec<Standing>, StoreError>;
    /// Issues a certificate unless the learner holds one for the course (revoked or
    /// not): true if this call issued it.
    async fn issue_certificate(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        certificate: &Certificate,
    ) -> Result<bool, StoreError>;
    /// One certificate, or `NotFound`.
    async fn certificate(
        &self,
        tenant: TenantId,
        id: CertificateId,
    ) -> Result<Certificate, StoreError>;
    /// The certificate with this verification code in this tenant, if any.
    async fn certificate_by_code(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<Option<Certificate>, StoreError>;
    /// A learner's certificates, newest first.
    async fn certificates(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Certificate>, StoreError>;
    /// Revokes a certificate; `NotFound` if gone,
    /// `Conflict { constraint: "certificate_revoked" }` if already revoked.
    async fn revoke_certificate(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CertificateId,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
