//! The tenant registry port.
//!
//! The registry is platform-level: resolving a tenant from a host happens before any
//! tenant is known, so these methods are the only ones not keyed by a `TenantId`.
//! Changes run in the caller's transaction (begun for the tenant concerned), so the
//! service commits each with its audit record.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::paging::Page;
use nexus_domain::tenancy::{DomainName, NewTenant, Tenant, TenantQuery, TenantSlug};
use time::OffsetDateTime;

/// Stores tenants and their custom domains.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Inserts a tenant. `Conflict { constraint: "tenant_slug_key" }` if the slug is taken.
    async fn create(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        new: &NewTenant,
        now: OffsetDateTime,
    ) -> Result<Tenant, StoreError>;
    /// Loads one tenant with its domains, or `NotFound`.
    async fn get(&self, id: TenantId) -> Result<Tenant, StoreError>;
    /// Finds a tenant by slug.
    async fn find_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError>;
    /// Finds the tenant owning a custom domain.
    async fn find_by_domain(&self, domain: &DomainName) -> Result<Option<Tenant>, StoreError>;
    /// Lists tenants by filter, sort and window.
    async fn list(&self, query: &TenantQuery) -> Result<Page<Tenant>, StoreError>;
    /// Counts all tenants; used to detect a fresh database for the demo seed.
    async fn count(&self) -> Result<u64, StoreError>;
    /// Saves the mutable fields (name, status, plan, settings, branding, updated_at).
    /// `NotFound` if the tenant is gone.
    async fn update(&self, tx: &mut dyn Tx, tenant: &Tenant) -> Result<(), StoreError>;
    /// Attaches a custom domain. `Conflict { constraint: "tenant_domain_domain_key" }` if
    /// any tenant already owns it; `NotFound` if the tenant does not exist.
    async fn add_domain(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        domain: &DomainName,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Detaches a custom domain, or `NotFound`.
    async fn remove_domain(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        domain: &DomainName,
    ) -> Result<(), StoreError>;
}
