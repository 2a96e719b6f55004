//! The worker: claim, run, record — with bounded concurrency and a clean shutdown.
//!
//! Completions are sent to one flusher task that writes them in batches, which is what
//! lets a worker finish thousands of short jobs a second. Failures are written at once
//! with their retry time (exponential backoff with full jitter) or as dead. On shutdown
//! the worker stops claiming, lets running handlers finish within the grace period, then
//! aborts the rest and releases their claims so another worker picks them up at once.
//! Live workers extend their claims every third of the visibility timeout (a heartbeat),
//! so a long handler is never mistaken for a dead worker; a worker that dies stops
//! beating, and the reaper (any worker) requeues its jobs once their claim expires.

use super::registry::{JobContext, JobFailure, Registry};
use nexus_domain::Clock;
use nexus_domain::jobs::{Job, JobId, LockToken};
use nexus_store::{Claim, JobStore};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Longest `last_error` kept; handler messages can be large.
const MAX_ERROR_LEN: usize = 2000;

/// Worker tuning.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names this worker in logs.
    pub instance: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// Most jobs claimed per round trip.
    pub batch: u32,
    /// Sleep when the queue is empty.
    pub poll_interval: Duration,
    /// How often to requeue jobs whose claim expired.
    pub reap_interval: Duration,
    /// How long a claim lasts without a heartbeat: a crashed worker's jobs are rerun
    /// after at most this long. Live workers extend their claims every third of it.
    pub visibility: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            instance: "worker".to_owned(),
            concurrency: 16,
            batch: 64,
            poll_interval: Duration::from_millis(250),
            reap_interval: Duration::from_secs(5),
            visibility: Duration::from_secs(30),
        }
    }
}

/// Runs jobs from the queue.
pub struct Worker {
    store: Arc<dyn JobStore>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
}

impl Worker {
    /// Wires a worker.
    pub fn new(
        store: Arc<dyn JobStore>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            store,
            registry,
            clock,
            settings,
        }
    }

    /// Runs until `shutdown`, then drains for at most `grace`.
    pub async fn run(self, shutdown: CancellationToken, grace: Duration) {
        let s = &self.settings;
        let visibility = s.visibility;
        let beat_every = visibility / 3;
        let mut last_beat = Instant::now();
        let permits = Arc::new(Semaphore::new(s.concurrency.max(1)));
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let flusher = tokio::spawn(flush_completions(
            self.store.clone(),
            self.clock.clone(),
            done_rx,
        ));
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut held: HashMap<tokio::task::Id, (JobId, LockToken)> = HashMap::new();
        let mut last_reap: Option<Instant> = None;
        tracing::info!(instance = %s.instance, kinds = ?self.registry.kinds(), "worker started");

        while !shutdown.is_cancelled() {
            while let Some(r) = tasks.try_join_next_with_id() {
                held.remove(&r.map_or_else(|e| e.id(), |(id, ())| id));
            }
            if last_beat.elapsed() >= beat_every {
                self.heartbeat(&held).await;
                last_beat = Instant::now();
            }
            if last_reap.is_none_or(|t| t.elapsed() >= s.reap_interval) {
                self.reap().await;
                last_reap = Some(Instant::now());
            }
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    r = tasks.join_next_with_id() => if let Some(r) = r { held.remove(&r.map_or_else(|e| e.id(), |(id, ())| id)); },
                    () = tokio::time::sleep(beat_every) => {}
                    () = shutdown.cancelled() => {}
                }
                continue;
            }
            let claim = Claim {
                lock: LockToken::generate(self.clock.as_ref()),
                limit: u32::try_from(free).unwrap_or(u32::MAX).min(s.batch),
                now: self.clock.now(),
                visibility,
            };
            let started = Instant::now();
            let jobs = match self.store.claim(claim).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming jobs failed; retrying");
                    Vec::new()
                }
            };
            metrics::histogram!("nexus_job_claim_seconds").record(started.elapsed().as_secs_f64());
            if jobs.is_empty() {
                tokio::select! {
                    () = tokio::time::sleep(s.poll_interval.min(beat_every)) => {}
                    () = shutdown.cancelled() => {}
                }
                continue;
            }
            for job in jobs {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let id = job.id;
                let run = self.run_one(job, claim.lock, done_tx.clone(), shutdown.clone());
                let handle = tasks.spawn(async move {
                    run.await;
                    drop(permit);
                });
                held.insert(handle.id(), (id, claim.lock));
            }
        }

        self.drain(&mut tasks, &mut held, grace, beat_every).await;
        drop(done_tx);
        if flusher.await.is_err() {
            tracing::error!(
                "completion flusher panicked; unflushed jobs rerun after their claim expires"
            );
        }
        tracing::info!(instance = %s.instance, "worker stopped");
    }

    /// Lets running jobs finish within `grace`, then aborts and releases the rest.
    async fn drain(
        &self,
        tasks: &mut JoinSet<()>,
        held: &mut HashMap<tokio::task::Id, (JobId, LockToken)>,
        grace: Duration,
        beat_every: Duration,
    ) {
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                r = tasks.join_next_with_id() => match r {
                    Some(r) => { held.remove(&r.map_or_else(|e| e.id(), |(id, ())| id)); }
                    None => break,
                },
                () = tokio::time::sleep(beat_every) => self.heartbeat(held).await,
                () = &mut deadline => break,
            }
        }
        tasks.abort_all();
        while let Some(r) = tasks.join_next_with_id().await {
            // A task that completed during the abort is not held any more.
            if let Ok((id, ())) = r {
                held.remove(&id);
            }
        }
        let unfinished: Vec<(JobId, LockToken)> = held.drain().map(|(_, v)| v).collect();
        if !unfinished.is_empty() {
            match self.store.release(&unfinished, self.clock.now()).await {
                Ok(n) => tracing::warn!(
                    released = n,
                    "grace period over; released unfinished jobs for another worker"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "releasing unfinished jobs failed; they rerun after their claim expires");
                }
            }
        }
    }

    /// Extends the claims of every job still running here.
    async fn heartbeat(&self, held: &HashMap<tokio::task::Id, (JobId, LockToken)>) {
        if held.is_empty() {
            return;
        }
        let jobs: Vec<(JobId, LockToken)> = held.values().copied().collect();
        let until = self.clock.now()
            + time::Duration::try_from(self.settings.visibility).unwrap_or(time::Duration::MINUTE);
        if let Err(e) = self.store.extend(&jobs, until).await {
            tracing::warn!(error = %e, jobs = jobs.len(), "extending job claims failed; they may be rerun elsewhere");
        }
    }

    async fn reap(&self) {
        match self.store.reap_expired(self.clock.now()).await {
            Ok((0, 0)) => {}
            Ok((requeued, dead)) => {
                tracing::warn!(requeued, dead, "reaped jobs whose worker stopped mid-run");
                metrics::counter!("nexus_jobs_reaped_total").increment(requeued + dead);
            }
            Err(e) => tracing::warn!(error = %e, "reaping expired claims failed"),
        }
    }

    /// Runs one claimed job and records the outcome.
    fn run_one(
        &self,
        job: Job,
        lock: LockToken,
        done: mpsc::UnboundedSender<(JobId, LockToken)>,
        shutdown: CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (store, registry, clock) = (
            self.store.clone(),
            self.registry.clone(),
            self.clock.clone(),
        );
        let span = tracing::info_span!(
            "job",
            otel.name = %format!("job {}", job.kind),
            job_id = %job.id,
            kind = %job.kind,
            tenant_id = job.tenant.map(|t| t.to_string()).unwrap_or_default(),
            attempt = job.attempts,
        );
        tracing::Instrument::instrument(
            async move {
                let ctx = JobContext {
                    job_id: job.id,
                    tenant: job.tenant,
                    attempt: job.attempts,
                    clock: clock.clone(),
                    shutdown,
                };
                let started = Instant::now();
                let kind = job.kind.clone();
                let outcome = match registry.dispatch(&kind, ctx, job.payload.clone()) {
                    None => {
                        tracing::error!(job_id = %job.id, kind = %kind, "no handler registered for this job kind");
                        metrics::counter!("nexus_jobs_unknown_kind_total", "kind" => kind.clone())
                            .increment(1);
                        Err(JobFailure::Retry(format!(
                            "no handler registered for kind {kind}"
                        )))
                    }
                    Some((fut, opts)) => match tokio::time::timeout(opts.timeout, fut).await {
                        Ok(r) => r,
                        Err(_) => Err(JobFailure::Retry(format!(
                            "timed out after {:?}",
                            opts.timeout
                        ))),
                    },
                };
                metrics::histogram!("nexus_job_run_seconds", "kind" => kind.clone())
                    .record(started.elapsed().as_secs_f64());
                match outcome {
                    Ok(()) => {
                        metrics::counter!("nexus_jobs_succeeded_total", "kind" => kind)
                            .increment(1);
                        // The flusher outlives every task; a send can only fail after a panic.
                        let _ = done.send((job.id, lock));
                    }
                    Err(failure) => {
                        record_failure(
                            store.as_ref(),
                            &registry,
                            clock.as_ref(),
                            &job,
                            lock,
                            &failure,
                        )
                        .await;
                    }
                }
            },
            span,
        )
    }
}

async fn record_failure(
    store: &dyn JobStore,
    registry: &Registry,
    clock: &dyn Clock,
    job: &Job,
    lock: LockToken,
    failure: &JobFailure,
) {
    let backoff = registry.options(&job.kind).unwrap_or_default().backoff;
    let retry_at = match failure {
        JobFailure::Permanent(_) => None,
        JobFailure::Retry(_) if job.attempts >= job.max_attempts => None,
        JobFailure::Retry(_) => {
            let delay = backoff.delay(job.attempts, jitter());
            Some(clock.now() + time::Duration::try_from(delay).unwrap_or(time::Duration::HOUR))
        }
    };
    let mut message = failure.to_string();
    if message.len() > MAX_ERROR_LEN {
        let cut = (0..=MAX_ERROR_LEN)
            .rev()
            .find(|i| message.is_char_boundary(*i))
            .unwrap_or(0);
        message.truncate(cut);
    }
    let kind = job.kind.clone();
    if let Some(at) = retry_at {
        tracing::warn!(job_id = %job.id, kind = %kind, attempt = job.attempts, retry_at = %at, error = %message, "job failed; will retry");
        metrics::counter!("nexus_jobs_failed_total", "kind" => kind).increment(1);
    } else {
        tracing::error!(job_id = %job.id, kind = %kind, attempt = job.attempts, error = %message, "job is dead");
        metrics::counter!("nexus_jobs_dead_total", "kind" => kind).increment(1);
    }
    match store
        .fail(job.id, lock, &message, retry_at, clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job_id = %job.id, "claim was lost before the failure was recorded");
        }
        Err(e) => {
            tracing::error!(job_id = %job.id, error = %e, "recording a job failure failed; it reruns after its claim expires");
        }
    }
}

/// A uniform draw in `[0, 1)` for backoff jitter.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// Writes completions in batches as they arrive.
async fn flush_completions(
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::UnboundedReceiver<(JobId, LockToken)>,
) {
    let mut batch = Vec::with_capacity(256);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if let Err(e) = store.complete(&batch, clock.now()).await {
            tracing::error!(error = %e, jobs = batch.len(), "recording completions failed; those jobs rerun after their claim expires");
        }
        batch.clear();
    }
}

/// Publishes queue depth, running and dead counts, and the oldest due job's age per
/// kind. Run it under a [`super::singleton::Singleton`] so one node reports.
pub async fn export_stats(
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    every: Duration,
    token: CancellationToken,
) {
    loop {
        let now = clock.now();
        match store.stats(now).await {
            Ok(stats) => {
                for s in stats {
                    let k = s.kind.clone();
                    #[allow(clippy::cast_precision_loss)] // gauges; counts far below 2^52
                    {
                        metrics::gauge!("nexus_jobs_queued", "kind" => k.clone())
                            .set(s.queued as f64);
                        metrics::gauge!("nexus_jobs_running", "kind" => k.clone())
                            .set(s.running as f64);
                        metrics::gauge!("nexus_jobs_dead", "kind" => k.clone()).set(s.dead as f64);
                    }
                    let age = s
                        .oldest_due
                        .map_or(0.0, |t| (now - t).as_seconds_f64().max(0.0));
                    metrics::gauge!("nexus_jobs_oldest_due_age_seconds", "kind" => k).set(age);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading job stats failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = token.cancelled() => return,
        }
    }
}
