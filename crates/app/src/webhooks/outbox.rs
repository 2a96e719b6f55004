//! Raising events: the transactional outbox.

use super::delivery::Deliver;
use crate::AppError;
use nexus_domain::jobs::{JobId, NewJob};
use nexus_domain::webhook::{EventType, Message, MessageId, MessageStatus, envelope};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, JobStore, Tx, WebhookStore};
use std::sync::Arc;

/// Claims a delivery job gets for database trouble; HTTP failures are retried by the
/// webhook schedule instead (each attempt is its own job).
pub(super) const JOB_ATTEMPTS: u32 = 3;

/// Raises domain events inside the transaction of the change they report.
///
/// For each enabled endpoint subscribed to the event it writes a message and the job
/// that delivers it, so both commit or roll back with the change: an event is never
/// sent for a change that did not happen, nor lost for one that did. With no
/// subscribers it costs one indexed read and writes nothing.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn WebhookStore>,
    jobs: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
}

impl Outbox {
    /// An outbox over `db`.
    pub fn new(db: &Arc<dyn Database>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store: db.webhooks(),
            jobs: db.jobs(),
            clock,
        }
    }

    /// Raises `event` about `subject` with `data`, in `tx` (begun for `tenant`).
    /// Returns how many messages it queued.
    pub async fn emit_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        event: EventType,
        subject: Option<UserId>,
        data: serde_json::Value,
    ) -> Result<usize, AppError> {
        let store_err = |e| AppError::from_store("webhook", e);
        let endpoints = self
            .store
            .subscribers_in(tx, tenant, event)
            .await
            .map_err(store_err)?;
        if endpoints.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        let body = envelope(event, now, &data);
        for endpoint in &endpoints {
            let message = Message {
                id: MessageId::generate(self.clock.as_ref()),
                endpoint: endpoint.id,
                event,
                body: body.clone(),
                subject,
                status: MessageStatus::Pending,
                attempts: 0,
                total_attempts: 0,
                created_at: now,
                next_attempt_at: Some(now),
                delivered_at: None,
            };
            self.store
                .insert_message(tx, tenant, &message)
                .await
                .map_err(store_err)?;
            enqueue_attempt(
                self.jobs.as_ref(),
                self.clock.as_ref(),
                tx,
                tenant,
                message.id,
                1,
                now,
                Queued::Scheduled,
            )
            .await?;
        }
        Ok(endpoints.len())
    }
}

/// How an attempt came to be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queued {
    /// By the schedule: the idempotency key names the attempt, so queueing the same
    /// attempt twice (a retried job) makes one job.
    Scheduled,
    /// By an admin's replay: a key of its own, since a job for this attempt number may
    /// exist already (one that died before recording, which is why the replay).
    Replay,
}

/// Queues attempt `seq` of a message at `run_at`, in `tx`.
#[allow(clippy::too_many_arguments)] // one call shape for the outbox, retries and replay
pub(super) async fn enqueue_attempt(
    jobs: &dyn JobStore,
    clock: &dyn Clock,
    tx: &mut dyn Tx,
    tenant: TenantId,
    message: MessageId,
    seq: u32,
    run_at: time::OffsetDateTime,
    how: Queued,
) -> Result<(), AppError> {
    let id = JobId::generate(clock);
    let key = match how {
        Queued::Scheduled => format!("{message}:{seq}"),
        Queued::Replay => format!("{message}:{seq}:replay:{id}"),
    };
    let payload = serde_json::to_value(Deliver { message, seq })
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let job = NewJob {
        kind: <Deliver as crate::jobs::JobPayload>::KIND.to_owned(),
        tenant: Some(tenant),
        payload,
        priority: 0,
        run_at,
        max_attempts: JOB_ATTEMPTS,
        idempotency_key: Some(key),
    };
    jobs.enqueue_in(tx, id, &job, clock.now())
        .await
        .map_err(|e| AppError::from_store("job", e))?;
    Ok(())
}
