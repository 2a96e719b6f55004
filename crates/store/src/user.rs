//! The user-account port. Tenant-owned: every method takes the `TenantId`, except the
//! platform-wide count behind the registered-users gauge.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::paging::Page;
use nexus_domain::user::{Email, NewUser, PasswordHash, User, UserQuery};
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// Stores user accounts of one tenant at a time.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts an account. `Conflict { constraint: "app_user_email_key" }` if the e-mail
    /// is taken in this tenant; `Conflict { constraint: "tenant_fkey" }` if the
    /// tenant does not exist.
    async fn create(
        &self,
        tenant: TenantId,
        id: UserId,
        new: &NewUser,
        now: OffsetDateTime,
    ) -> Result<User, StoreError>;
    /// As [`UserStore::create`], inside the caller's transaction (begun for `tenant`).
    async fn create_in(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        id: UserId,
        new: &NewUser,
        now: OffsetDateTime,
    ) -> Result<User, StoreError>;
    /// Loads one account of this tenant, or `NotFound`.
    async fn get(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError>;
    /// As [`UserStore::get`], inside the caller's transaction (begun for `tenant`).
    async fn get_in(
        &self,
        tx: &mut dyn crate::Tx,
        tenant: TenantId,
        id: UserId,
    ) -> Result<User, StoreError>;
    /// Finds an account and its password hash by e-mail, for login.
    async fn find_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, StoreError>;
    /// Lists this tenant's accounts by filter and window, sorted by e-mail.
    async fn list(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>, StoreError>;
    /// How many accounts exist across every tenant: a count only, for the
    /// registered-users gauge (no row crosses the tenant boundary).
    async fn count_all(&self) -> Result<u64, StoreError>;
}
