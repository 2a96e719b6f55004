//! Webhook endpoints, their messages and the delivery log. Tenant-owned: every method
//! takes the `TenantId`.
//!
//! Messages are written in the transaction of the change that raised the event (the
//! transactional outbox), next to the job that delivers them, so an event is sent if
//! and only if its change commits.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::webhook::{
    Attempt, Endpoint, EventType, Message, MessageId, MessageQuery, WebhookId,
};
use time::OffsetDateTime;

/// Stores webhook endpoints and messages.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers an endpoint.
    async fn create_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        endpoint: &Endpoint,
    ) -> Result<(), StoreError>;
    /// One endpoint.
    async fn endpoint(&self, tenant: TenantId, id: WebhookId) -> Result<Endpoint, StoreError>;
    /// One endpoint, locked for the rest of the caller's transaction, so a
    /// read-modify-write of its failure count or settings cannot lose a concurrent one
    /// (the lock does not block writers of its messages). Take it before touching the
    /// endpoint's messages: deletion locks in that order too. `NotFound` if absent.
    async fn lock_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Endpoint, StoreError>;
    /// The tenant's endpoints, newest first, with the tenant's total.
    async fn endpoints(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Endpoint>, StoreError>;
    /// Replaces an endpoint's mutable fields (URL, events, description, secret,
    /// disabled state, failure count, `updated_at`). `NotFound` if it is gone.
    async fn update_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        endpoint: &Endpoint,
    ) -> Result<(), StoreError>;
    /// Deletes an endpoint with its messages and their attempts. `NotFound` if absent.
    async fn delete_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<(), StoreError>;
    /// The enabled endpoints subscribed to `event`, read in the caller's transaction and
    /// kept from being deleted until it ends.
    async fn subscribers_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        event: EventType,
    ) -> Result<Vec<Endpoint>, StoreError>;
    /// Records a new message.
    async fn insert_message(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        message: &Message,
    ) -> Result<(), StoreError>;
    /// One message.
    async fn message(&self, tenant: TenantId, id: MessageId) -> Result<Message, StoreError>;
    /// Messages matching `query`, newest first, with the matching total.
    async fn messages(
        &self,
        tenant: TenantId,
        query: &MessageQuery,
    ) -> Result<Page<Message>, StoreError>;
    /// Saves a message's new state, only if its `total_attempts` is still
    /// `expected_total` (so two runs of one delivery job cannot both record). Returns
    /// false, changing nothing, when it moved on.
    async fn save_message(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        message: &Message,
        expected_total: u32,
    ) -> Result<bool, StoreError>;
    /// Appends to the delivery log.
    async fn insert_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;
    /// A message's attempts, oldest first.
    async fn attempts(&self, tenant: TenantId, id: MessageId) -> Result<Vec<Attempt>, StoreError>;
    /// Deletes messages (and their attempts) created before `before`; returns how many.
    async fn purge_messages(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// Stored form of an event set: `,user.created,order.filled,` (the commas let a
/// subscription test be a plain `like '%,event,%'`).
pub fn events_text(events: &std::collections::BTreeSet<EventType>) -> String {
    let mut out = String::from(",");
    for e in events {
        out.push_str(e.as_str());
        out.push(',');
    }
    out
}

/// Reads [`events_text`] back.
pub fn events_from(
    text: &str,
) -> Result<std::collections::BTreeSet<EventType>, Box<dyn std::error::Error + Send + Sync>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| EventType::parse(s).ok_or_else(|| format!("unknown event {s}").into()))
        .collect()
}
