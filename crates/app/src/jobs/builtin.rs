//! Jobs and schedules every deployment runs.

use super::registry::{JobFailure, JobPayload, KindOptions, Registry};
use super::scheduler::Schedule;
use nexus_domain::Clock;
use nexus_domain::schedule::Cadence;
use nexus_store::JobStore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How long succeeded and cancelled jobs are kept (the personal-data registry's
/// retention for `job`).
pub const FINISHED_JOB_RETENTION_DAYS: i64 = 7;

/// Deletes succeeded and cancelled jobs past their retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeFinishedJobs {}

impl JobPayload for PurgeFinishedJobs {
    const KIND: &'static str = "system.purge_finished_jobs";
}

/// Does nothing; for smoke tests, benchmarks and checking a worker end to end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Noop {}

impl JobPayload for Noop {
    const KIND: &'static str = "system.noop";
}

/// Registers the built-in handlers.
pub fn register(registry: &mut Registry, jobs: Arc<dyn JobStore>, clock: Arc<dyn Clock>) {
    registry.register::<PurgeFinishedJobs, _, _>(KindOptions::default(), move |_ctx, _p| {
        let (jobs, clock) = (jobs.clone(), clock.clone());
        async move {
            let before = clock.now() - time::Duration::days(FINISHED_JOB_RETENTION_DAYS);
            let n = jobs
                .purge_finished(before)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
            tracing::info!(purged = n, "finished jobs past retention purged");
            Ok(())
        }
    });
    registry.register::<Noop, _, _>(
        KindOptions {
            timeout: Duration::from_secs(5),
            ..KindOptions::default()
        },
        |_ctx, _p| async { Ok(()) },
    );
}

/// The built-in schedules.
pub fn schedules() -> Vec<Schedule> {
    vec![Schedule {
        name: "purge-finished-jobs",
        kind: PurgeFinishedJobs::KIND,
        cadence: Cadence::DailyAt { hour: 3, minute: 0 },
        per_tenant: false,
        payload: serde_json::json!({}),
    }]
}
