//! The audit trail port: append-only, hash-chained per tenant.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::audit::{AuditEvent, AuditEventId, AuditQuery, NewAuditEvent};
use time::OffsetDateTime;

/// Stores audit events. There is no update or delete.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Chains and stores an event in its own transaction (scoped to its tenant).
    async fn append(
        &self,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<AuditEvent, StoreError>;
    /// As [`AuditStore::append`], inside the caller's transaction, so the record and the
    /// change it describes commit or roll back together. The transaction must have been
    /// begun for the event's tenant (or none, for platform events).
    async fn append_in(
        &self,
        tx: &mut dyn Tx,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<AuditEvent, StoreError>;
    /// Reads a chain's events matching the query (cursor over `seq`).
    async fn list(
        &self,
        tenant: Option<TenantId>,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// The recorded head `(seq, hash)` of a chain.
    async fn head(&self, tenant: Option<TenantId>) -> Result<Option<(i64, String)>, StoreError>;
    /// Every chain that has a head: `None` is the platform chain.
    async fn chains(&self) -> Result<Vec<Option<TenantId>>, StoreError>;
}
