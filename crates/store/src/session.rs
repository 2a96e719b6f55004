//! Sessions and login throttles. Tenant-owned: every method takes the `TenantId`.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::session::{NewSession, Session, SessionId, ThrottleRule, ThrottleState};
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// Stores sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn create(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        new: &NewSession,
    ) -> Result<Session, StoreError>;
    /// Finds a session by its token's hash (live or not; the caller decides).
    async fn find_by_token_hash(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError>;
    /// Sets the session's second-factor state.
    async fn set_mfa_state(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        id: SessionId,
        state: nexus_domain::mfa::MfaState,
    ) -> Result<(), StoreError>;
    /// Records use at `at`.
    async fn touch(
        &self,
        tenant: TenantId,
        id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Revokes one session; returns its token hash, or `NotFound` if there is no such
    /// unrevoked session of `user` (when given).
    async fn revoke(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        id: SessionId,
        user: Option<UserId>,
        at: OffsetDateTime,
    ) -> Result<String, StoreError>;
    /// Revokes all of a user's sessions; returns their token hashes.
    async fn revoke_all(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError>;
    /// A user's unrevoked, unexpired sessions, newest first.
    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError>;
    /// Token hashes of a user's unrevoked sessions (to drop them from the validation
    /// cache when the user's permissions change).
    async fn token_hashes(&self, tenant: TenantId, user: UserId)
    -> Result<Vec<String>, StoreError>;
    /// Deletes sessions that ended (expired or revoked) before `before`; retention.
    async fn purge_ended(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// Counts failures per key (e.g. per account, per account and IP) with a lock.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The lock on `key`, if it is locked at `now`.
    async fn locked_until(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
    /// Counts one failure under `rule` (atomically) and returns the new state.
    async fn record_failure(
        &self,
        tenant: TenantId,
        key: &str,
        rule: ThrottleRule,
        now: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError>;
    /// Clears `key` (after a success); true if it carried a lock, active or over, so the
    /// caller can record the unlock.
    async fn reset(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        key: &str,
    ) -> Result<bool, StoreError>;
    /// Clears every key starting with `prefix` (an administrator's unlock); returns how
    /// many carried a lock.
    async fn reset_prefix(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        prefix: &str,
    ) -> Result<u64, StoreError>;
    /// Deletes counters whose window started before `before` and that are not locked at
    /// `before`; retention.
    async fn purge_stale(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}
