//! The audit trail port: append-only, hash-chained per tenant.
//!
//! A backend may chain an event when it is recorded (SQLite, whose single writer
//! serialises appends anyway) or later (PostgreSQL: recording is an insert that takes no
//! lock, and [`AuditStore::seal`] chains what was recorded, in batches, under the chain
//! head's lock). Chaining on record made every audited request of a tenant (each login
//! and logout) queue for that one lock while holding a pooled connection, which the load
//! harness showed as the first bottleneck at 10,000 learners. Readers see only chained
//! events: [`AuditStore::list`] seals its chain first.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::audit::{AuditEvent, AuditEventId, AuditQuery, NewAuditEvent};
use time::OffsetDateTime;

/// Stores audit events. There is no update or delete.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event in its own transaction (scoped to its tenant). Like
    /// [`AuditStore::append_in`], it may be chained only shortly after.
    async fn append(
        &self,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// As [`AuditStore::append`], inside the caller's transaction, so the record and the
    /// change it describes commit or roll back together. The transaction must have been
    /// begun for the event's tenant (or none, for platform events). The event may be
    /// chained only after the transaction commits (see the module docs).
    async fn append_in(
        &self,
        tx: &mut dyn Tx,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Chains the committed events of one chain that are recorded but not yet chained,
    /// in the order they were recorded (inserted, not committed); returns how many. Safe to run concurrently (on
    /// any number of nodes): the chain head's lock orders sealers. Backends that chain
    /// on record have nothing to seal and return 0.
    async fn seal(&self, tenant: Option<TenantId>) -> Result<u64, StoreError>;
    /// Seals every chain with events waiting; returns how many were chained.
    async fn seal_all(&self) -> Result<u64, StoreError>;
    /// Reads a chain's chained events matching the query (cursor over `seq`), after
    /// sealing it.
    async fn list(
        &self,
        tenant: Option<TenantId>,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// The recorded head `(seq, hash)` of a chain.
    async fn head(&self, tenant: Option<TenantId>) -> Result<Option<(i64, String)>, StoreError>;
    /// Every chain that has events, chained or waiting: `None` is the platform chain.
    async fn chains(&self) -> Result<Vec<Option<TenantId>>, StoreError>;
}
