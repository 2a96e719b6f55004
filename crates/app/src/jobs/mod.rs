//! Background work: one durable mechanism for every context.
//!
//! - [`Registry`]: typed handlers per job kind, registered at start-up.
//! - [`JobService`]: enqueue (optionally inside the caller's transaction — the
//!   transactional outbox) and operator actions (list, retry, cancel, purge).
//! - [`worker::Worker`]: claims due jobs, runs handlers, retries with backoff and jitter,
//!   dead-letters after `max_attempts`, and releases in-flight work on shutdown.
//! - [`scheduler::Scheduler`]: enqueues each run of a recurring schedule exactly once
//!   across replicas (the run's instant is the idempotency key).
//! - [`singleton::Singleton`]: runs a loop on exactly one node under a renewed lease.
//!
//! Delivery is at least once: a worker that dies after a handler succeeded but before
//! recording it leads to a second run, so handlers must be idempotent.

pub mod builtin;
mod registry;
pub mod scheduler;
pub mod singleton;
pub mod worker;

pub use registry::{JobContext, JobFailure, JobPayload, KindOptions, Registry};

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::jobs::{Enqueued, Job, JobId, JobQuery, NewJob};
use nexus_domain::paging::Page;
use nexus_domain::{Clock, TenantId};
use nexus_store::{JobStore, Tx};
use std::sync::Arc;
use time::OffsetDateTime;

/// Options for one enqueue.
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// The tenant the job acts for.
    pub tenant: Option<TenantId>,
    /// Not before this instant (default: now).
    pub run_at: Option<OffsetDateTime>,
    /// Higher runs first.
    pub priority: i16,
    /// Deduplicates: a second enqueue with the same key returns the first job.
    pub idempotency_key: Option<String>,
}

/// Enqueueing and operating on jobs.
#[derive(Clone)]
pub struct JobService {
    db: Arc<dyn nexus_store::Database>,
    store: Arc<dyn JobStore>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    audit: AuditService,
}

impl JobService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn nexus_store::Database>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        audit: AuditService,
    ) -> Self {
        Self {
            store: db.jobs(),
            db,
            registry,
            clock,
            audit,
        }
    }

    /// Runs an operator's change to jobs and its audit record in one transaction (begun
    /// for the chain the record goes to).
    #[allow(clippy::too_many_arguments)] // one call shape for three operator actions
    async fn audited<T: Send>(
        &self,
        caller: &Caller,
        resource: &'static str,
        tenant: Option<TenantId>,
        action: &str,
        target: String,
        change: impl for<'t> FnOnce(
            &'t mut dyn Tx,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, nexus_store::StoreError>> + Send + 't>,
        > + Send,
        diff: impl FnOnce(&T) -> Option<serde_json::Value> + Send,
    ) -> Result<T, AppError> {
        let store_err = |e| AppError::from_store(resource, e);
        let mut tx = self.db.begin(tenant).await.map_err(store_err)?;
        let out = change(tx.as_mut()).await.map_err(store_err)?;
        let r = Record {
            tenant,
            action,
            target,
            diff: diff(&out),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(out)
    }

    /// The handler registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    fn new_job<J: JobPayload>(
        &self,
        payload: &J,
        opts: EnqueueOptions,
    ) -> Result<NewJob, AppError> {
        let kind = self.registry.options(J::KIND).ok_or_else(|| {
            AppError::Internal(format!("no handler registered for job kind {}", J::KIND).into())
        })?;
        Ok(NewJob {
            kind: J::KIND.to_owned(),
            tenant: opts.tenant,
            payload: serde_json::to_value(payload).map_err(|e| AppError::Internal(Box::new(e)))?,
            priority: opts.priority,
            run_at: opts.run_at.unwrap_or_else(|| self.clock.now()),
            max_attempts: kind.max_attempts,
            idempotency_key: opts.idempotency_key,
        })
    }

    /// Enqueues a typed job.
    pub async fn enqueue<J: JobPayload>(
        &self,
        payload: &J,
        opts: EnqueueOptions,
    ) -> Result<Enqueued, AppError> {
        let job = self.new_job(payload, opts)?;
        let id = JobId::generate(self.clock.as_ref());
        self.store
            .enqueue(id, &job, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("job", e))
    }

    /// Enqueues inside the caller's transaction: visible only if it commits.
    pub async fn enqueue_in<J: JobPayload>(
        &self,
        tx: &mut dyn Tx,
        payload: &J,
        opts: EnqueueOptions,
    ) -> Result<Enqueued, AppError> {
        let job = self.new_job(payload, opts)?;
        let id = JobId::generate(self.clock.as_ref());
        self.store
            .enqueue_in(tx, id, &job, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("job", e))
    }

    /// Enqueues an untyped job of a registered kind (schedules and operators use this).
    pub async fn enqueue_raw(&self, mut job: NewJob) -> Result<Enqueued, AppError> {
        let opts = self.registry.options(&job.kind).ok_or_else(|| {
            AppError::Internal(format!("no handler registered for job kind {}", job.kind).into())
        })?;
        job.max_attempts = opts.max_attempts;
        let id = JobId::generate(self.clock.as_ref());
        self.store
            .enqueue(id, &job, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("job", e))
    }

    /// Loads a job.
    pub async fn get(&self, id: JobId) -> Result<Job, AppError> {
        self.store
            .get(id)
            .await
            .map_err(|e| AppError::from_store("job", e))
    }

    /// Lists jobs, newest first.
    pub async fn list(&self, query: &JobQuery) -> Result<Page<Job>, AppError> {
        self.store
            .list(query)
            .await
            .map_err(|e| AppError::from_store("job", e))
    }

    /// Requeues a dead or cancelled job with a fresh attempt budget. Audited.
    pub async fn retry(&self, caller: &Caller, id: JobId) -> Result<Job, AppError> {
        caller.require_platform()?;
        // The record goes to the job's tenant chain, so learn the tenant first.
        let tenant = self.get(id).await?.tenant;
        let (store, now) = (self.store.clone(), self.clock.now());
        let job = self
            .audited(
                caller,
                "dead or cancelled job",
                tenant,
                "job.retry",
                format!("job:{id}"),
                move |tx| Box::pin(async move { store.retry(tx, id, now).await }),
                |_| None,
            )
            .await?;
        tracing::info!(job_id = %id, kind = %job.kind, "job retried by operator");
        Ok(job)
    }

    /// Cancels a queued job. Audited.
    pub async fn cancel(&self, caller: &Caller, id: JobId) -> Result<Job, AppError> {
        caller.require_platform()?;
        let tenant = self.get(id).await?.tenant;
        let (store, now) = (self.store.clone(), self.clock.now());
        let job = self
            .audited(
                caller,
                "queued job",
                tenant,
                "job.cancel",
                format!("job:{id}"),
                move |tx| Box::pin(async move { store.cancel(tx, id, now).await }),
                |_| None,
            )
            .await?;
        tracing::info!(job_id = %id, kind = %job.kind, "job cancelled by operator");
        Ok(job)
    }

    /// Deletes every dead job; returns how many. Audited.
    pub async fn purge_dead(&self, caller: &Caller) -> Result<u64, AppError> {
        caller.require_platform()?;
        let store = self.store.clone();
        let n = self
            .audited(
                caller,
                "job",
                None,
                "job.purge_dead",
                "jobs".into(),
                move |tx| Box::pin(async move { store.purge_dead(tx).await }),
                |n| Some(serde_json::json!({ "purged": n })),
            )
            .await?;
        tracing::info!(purged = n, "dead jobs purged by operator");
        Ok(n)
    }
}
