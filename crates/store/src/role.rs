//! Custom roles and role grants. Tenant-owned: every method takes the `TenantId`.
//!
//! Changes run inside the caller's transaction (begun for the tenant), so the service
//! commits each change together with its audit record, or neither.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::access::{CustomRole, CustomRoleId};
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// Stores a tenant's custom roles and who holds which role.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Adds a custom role; `Conflict { constraint: "tenant_role_name_key" }` on a taken name.
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        role: &CustomRole,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Replaces a custom role's name, description and permissions, or `NotFound`.
    async fn update(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        role: &CustomRole,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Deletes a custom role and every grant of it, or `NotFound`.
    async fn delete(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CustomRoleId,
    ) -> Result<(), StoreError>;
    /// One custom role, or `NotFound`.
    async fn get(&self, tenant: TenantId, id: CustomRoleId) -> Result<CustomRole, StoreError>;
    /// Every custom role, by name.
    async fn list(&self, tenant: TenantId) -> Result<Vec<CustomRole>, StoreError>;
    /// Replaces a user's granted roles (keys such as `auditor` or `custom:<id>`).
    async fn set_grants(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        roles: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// A user's granted role keys, sorted.
    async fn grants(&self, tenant: TenantId, user: UserId) -> Result<Vec<String>, StoreError>;
    /// Users holding the role `key` (e.g. `custom:<id>`), so their cached sessions can be
    /// dropped when the role changes.
    async fn holders(&self, tenant: TenantId, key: &str) -> Result<Vec<UserId>, StoreError>;
}
