//! Recurring schedules, enqueued exactly once per run however many workers tick.
//!
//! Every worker runs the scheduler. Each tick computes each schedule's latest due
//! instant and enqueues it with the idempotency key `schedule:<name>[:<tenant>]@<unix>`;
//! the database's uniqueness on `(kind, idempotency_key)` makes the second and later
//! enqueues of the same run no-ops. Per-tenant schedules compute the instant in the
//! tenant's time zone. A scheduler that was down catches up with the latest run only.

use super::JobService;
use crate::AppError;
use nexus_domain::jobs::NewJob;
use nexus_domain::paging::PageRequest;
use nexus_domain::schedule::Cadence;
use nexus_domain::tenancy::{TenantQuery, TenantStatus};
use nexus_domain::{Clock, TenantId};
use nexus_store::TenantStore;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// A declared recurring job.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Unique name; part of every run's idempotency key.
    pub name: &'static str,
    /// The job kind to enqueue (must be registered).
    pub kind: &'static str,
    /// When it fires.
    pub cadence: Cadence,
    /// Once per active tenant, in each tenant's time zone; otherwise once, in UTC.
    pub per_tenant: bool,
    /// Payload of every run.
    pub payload: serde_json::Value,
}

/// Enqueues due runs of the declared schedules.
pub struct Scheduler {
    schedules: Vec<Schedule>,
    jobs: JobService,
    tenants: Arc<dyn TenantStore>,
    clock: Arc<dyn Clock>,
    /// Last instant enqueued per (schedule, tenant), to skip redundant round trips.
    last: HashMap<(&'static str, Option<TenantId>), OffsetDateTime>,
}

impl Scheduler {
    /// Wires a scheduler.
    pub fn new(
        schedules: Vec<Schedule>,
        jobs: JobService,
        tenants: Arc<dyn TenantStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            schedules,
            jobs,
            tenants,
            clock,
            last: HashMap::new(),
        }
    }

    /// Ticks every `every` until cancelled.
    pub async fn run(mut self, every: Duration, token: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "scheduler tick failed; retrying next tick");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = token.cancelled() => return,
            }
        }
    }

    /// Enqueues every run that is due and not yet enqueued by this scheduler. Returns how
    /// many new jobs this call created (runs another replica enqueued first count 0).
    pub async fn tick(&mut self) -> Result<u64, AppError> {
        let now = self.clock.now();
        let mut created = 0;
        let schedules = self.schedules.clone();
        for s in &schedules {
            if s.per_tenant {
                for (tenant, zone) in self.active_tenants().await? {
                    created += self.fire(s, Some(tenant), &zone, now).await?;
                }
            } else {
                created += self.fire(s, None, "UTC", now).await?;
            }
        }
        Ok(created)
    }

    async fn fire(
        &mut self,
        s: &Schedule,
        tenant: Option<TenantId>,
        zone: &str,
        now: OffsetDateTime,
    ) -> Result<u64, AppError> {
        let due = match s.cadence.latest_due(now, zone) {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(schedule = s.name, zone, error = %e, "cannot compute the schedule's due time; skipping");
                return Ok(0);
            }
        };
        if self.last.get(&(s.name, tenant)) == Some(&due) {
            return Ok(0);
        }
        let key = match tenant {
            Some(t) => format!("schedule:{}:{t}@{}", s.name, due.unix_timestamp()),
            None => format!("schedule:{}@{}", s.name, due.unix_timestamp()),
        };
        let job = NewJob {
            kind: s.kind.to_owned(),
            tenant,
            payload: s.payload.clone(),
            priority: 0,
            run_at: due,
            max_attempts: 0, // set from the registry by enqueue_raw
            idempotency_key: Some(key),
        };
        let enq = self.jobs.enqueue_raw(job).await?;
        self.last.insert((s.name, tenant), due);
        if enq.created {
            tracing::info!(schedule = s.name, tenant = ?tenant, due = %due, job_id = %enq.id, "scheduled run enqueued");
        }
        Ok(u64::from(enq.created))
    }

    async fn active_tenants(&self) -> Result<Vec<(TenantId, String)>, AppError> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = PageRequest::new(Some(nexus_domain::paging::MAX_LIMIT), Some(offset))
                .map_err(|e| AppError::Internal(Box::new(e)))?;
            let q = TenantQuery {
                status: Some(TenantStatus::Active),
                page,
                ..TenantQuery::default()
            };
            let got = self
                .tenants
                .list(&q)
                .await
                .map_err(|e| AppError::from_store("tenant", e))?;
            let n = got.items.len() as u64;
            out.extend(got.items.into_iter().map(|t| (t.id, t.settings.time_zone)));
            if n < u64::from(nexus_domain::paging::MAX_LIMIT) {
                return Ok(out);
            }
            offset += n;
        }
    }
}
