//! The durable job queue and singleton leases.
//!
//! Jobs and leases are platform-level (workers serve every tenant), so these tables are
//! not under row-level security; a job's `tenant` is data, and admin listings filter on
//! it. Claiming is atomic per backend: PostgreSQL uses `FOR UPDATE SKIP LOCKED`, SQLite a
//! single `UPDATE … RETURNING` under its database-wide write lock.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::jobs::{Enqueued, Job, JobId, JobQuery, KindStats, LockToken, NewJob};
use nexus_domain::paging::Page;
use std::time::Duration;
use time::OffsetDateTime;

/// A claim request.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    /// Identifies this claim; required to finish the claimed jobs.
    pub lock: LockToken,
    /// At most this many jobs.
    pub limit: u32,
    /// The current time: jobs with `run_at <= now` are due.
    pub now: OffsetDateTime,
    /// How long the claim holds before another worker may take the job.
    pub visibility: Duration,
}

/// Stores jobs.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueues a job; with an idempotency key already used for this kind, returns the
    /// existing job (`created: false`) instead.
    async fn enqueue(
        &self,
        id: JobId,
        job: &NewJob,
        now: OffsetDateTime,
    ) -> Result<Enqueued, StoreError>;
    /// As [`JobStore::enqueue`], inside the caller's transaction.
    async fn enqueue_in(
        &self,
        tx: &mut dyn Tx,
        id: JobId,
        job: &NewJob,
        now: OffsetDateTime,
    ) -> Result<Enqueued, StoreError>;
    /// Claims due queued jobs, highest priority then oldest `run_at` first: each becomes
    /// `running` under `claim.lock` until `now + visibility`, with `attempts` incremented.
    async fn claim(&self, claim: Claim) -> Result<Vec<Job>, StoreError>;
    /// Marks claimed jobs succeeded; a job whose claim was lost is left alone. Returns
    /// how many were finished.
    async fn complete(
        &self,
        done: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Records a failure: requeues at `retry_at`, or marks dead when `retry_at` is `None`.
    /// Returns false when the claim was lost.
    async fn fail(
        &self,
        id: JobId,
        lock: LockToken,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Extends the claims of jobs still running under their lock (the worker's heartbeat),
    /// so a long handler is not mistaken for a dead worker. Returns how many were extended.
    async fn extend(
        &self,
        held: &[(JobId, LockToken)],
        until: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Gives claimed jobs back without counting the attempt (graceful shutdown).
    async fn release(
        &self,
        held: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Returns running jobs whose claim expired (their worker died) to the queue, or
    /// marks them dead when their attempts are spent. Returns `(requeued, dead)`.
    async fn reap_expired(&self, now: OffsetDateTime) -> Result<(u64, u64), StoreError>;
    /// Loads a job.
    async fn get(&self, id: JobId) -> Result<Job, StoreError>;
    /// Lists jobs, newest first.
    async fn list(&self, query: &JobQuery) -> Result<Page<Job>, StoreError>;
    /// Requeues a dead or cancelled job now with a fresh attempt budget. `NotFound` if
    /// there is no such job in those states.
    async fn retry(
        &self,
        tx: &mut dyn crate::Tx,
        id: JobId,
        now: OffsetDateTime,
    ) -> Result<Job, StoreError>;
    /// Cancels a queued job. `NotFound` if there is no queued job with this id.
    async fn cancel(
        &self,
        tx: &mut dyn crate::Tx,
        id: JobId,
        now: OffsetDateTime,
    ) -> Result<Job, StoreError>;
    /// Deletes dead jobs; returns how many.
    async fn purge_dead(&self, tx: &mut dyn crate::Tx) -> Result<u64, StoreError>;
    /// Deletes succeeded and cancelled jobs finished before `before` (retention).
    async fn purge_finished(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
    /// Per-kind counts and the oldest due job, for metrics.
    async fn stats(&self, now: OffsetDateTime) -> Result<Vec<KindStats>, StoreError>;
}

/// Time-limited exclusive leases, for loops that must run on exactly one node.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews `name` for `holder` until `now + ttl`. Succeeds when the lease is
    /// free, expired, or already held by `holder`; returns false when someone else holds
    /// it.
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Gives the lease up if `holder` has it.
    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError>;
    /// The current holder, if the lease is held and unexpired.
    async fn holder(&self, name: &str, now: OffsetDateTime) -> Result<Option<String>, StoreError>;
}
