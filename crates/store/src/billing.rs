//! Billing: plans (platform data), each tenant's plan, and its invoices and credit
//! notes. Documents are written once and never changed (the databases refuse updates
//! and deletes with a trigger); tenant-owned methods take the `TenantId`.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::billing::{BillingPlan, Invoice, InvoiceId, Plan};
use nexus_domain::paging::{Page, PageRequest};
use rust_decimal::Decimal;
use time::OffsetDateTime;

/// Stores billing data.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Every plan, in plan order.
    async fn plans(&self) -> Result<Vec<BillingPlan>, StoreError>;
    /// One plan.
    async fn plan(&self, code: Plan) -> Result<BillingPlan, StoreError>;
    /// Replaces a plan's prices (platform-level).
    async fn put_plan(
        &self,
        tx: &mut dyn Tx,
        plan: &BillingPlan,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Records a closed document. `Conflict { "invoice_period_key" }` when the tenant
    /// already has an invoice for that period.
    async fn insert_document(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        doc: &Invoice,
    ) -> Result<(), StoreError>;
    /// One document.
    async fn document(&self, tenant: TenantId, id: InvoiceId) -> Result<Invoice, StoreError>;
    /// The tenant's invoice for the period starting at `start`, if closed.
    async fn period_invoice(
        &self,
        tenant: TenantId,
        start: OffsetDateTime,
    ) -> Result<Option<Invoice>, StoreError>;
    /// The tenant's documents, newest first.
    async fn documents(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Invoice>, StoreError>;
    /// The credit notes against `invoice` (oldest first).
    async fn credits(
        &self,
        tenant: TenantId,
        invoice: InvoiceId,
    ) -> Result<Vec<Invoice>, StoreError>;
}

/// What has been credited against an invoice: the sum of its credit notes, positive.
pub fn credited(credits: &[Invoice]) -> Decimal {
    -credits.iter().map(|c| c.total).sum::<Decimal>()
}
