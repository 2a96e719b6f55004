//! API keys. Tenant-owned: every method takes the `TenantId`. Keys are found by the
//! SHA-256 of the presented secret; the secret itself is never stored.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::apikey::{ApiKey, ApiKeyId};
use nexus_domain::paging::{Page, PageRequest};
use time::OffsetDateTime;

/// Stores API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Records a new key. `Conflict { "api_key_hash_key" }` if the hash exists.
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        key: &ApiKey,
    ) -> Result<(), StoreError>;
    /// One key.
    async fn get(&self, tenant: TenantId, id: ApiKeyId) -> Result<ApiKey, StoreError>;
    /// The key with this hash, if any.
    async fn find_by_hash(
        &self,
        tenant: TenantId,
        hash: &str,
    ) -> Result<Option<ApiKey>, StoreError>;
    /// The tenant's keys, newest first, with the tenant's total.
    async fn list(&self, tenant: TenantId, page: PageRequest) -> Result<Page<ApiKey>, StoreError>;
    /// Sets when a live (unrevoked) key stops working (`None`: never). `NotFound` if
    /// the key is missing or revoked, so a rotation cannot revive a key revoked
    /// meanwhile.
    async fn set_expiry(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: ApiKeyId,
        at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError>;
    /// Revokes a key; revoking it again keeps the first time.
    async fn revoke(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Records a use.
    async fn touch(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: OffsetDateTime,
        ip: Option<&str>,
    ) -> Result<(), StoreError>;
}
