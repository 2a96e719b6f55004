//! Background tasks of a `worker` or `all` process: the job worker, the scheduler, the
//! audit sealer and singleton loops. Each is started after the database is ready, cancelled through one
//! token on shutdown, and awaited by name.

use crate::config::Config;
use crate::wiring::Wired;
use nexus_app::jobs::singleton::Singleton;
use nexus_app::jobs::worker::{Worker, WorkerSettings, export_stats};
use nexus_app::jobs::{builtin, scheduler::Scheduler};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How often the queue gauges refresh, and the TTL of the lease that elects the node
/// publishing them (so gauges are not double-counted across replicas).
const STATS_EVERY: Duration = Duration::from_secs(5);
const STATS_LEASE_TTL: Duration = Duration::from_secs(15);
/// The lease electing the one node that runs the simulator's tick loop.
const SIM_LEASE_TTL: Duration = Duration::from_secs(15);
/// How often recorded audit events are chained. Every worker node seals (sealers of one
/// chain queue on its head, so no lease is needed); reading a chain seals it first, so
/// this only bounds how long an event waits unchained when nobody reads.
const AUDIT_SEAL_EVERY: Duration = Duration::from_secs(1);

/// Running background tasks.
pub(crate) struct Background {
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

/// A name for this process in leases and logs: host, pid and a random suffix, so two
/// processes (or two test apps in one process) never share it.
pub(crate) fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "nexus".to_owned());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &suffix[..8])
}

/// Starts the worker, the scheduler, the audit sealer and the singletons.
pub(crate) fn spawn(wired: &Wired, config: &Config, token: CancellationToken) -> Background {
    let instance = instance_name();
    let jobs = wired.services.jobs.clone();
    let worker = Worker::new(
        wired.db.jobs(),
        jobs.registry().clone(),
        wired.clock.clone(),
        WorkerSettings {
            instance: instance.clone(),
            concurrency: config.worker.concurrency,
            batch: config.worker.batch,
            poll_interval: config.worker.poll_interval,
            visibility: config.worker.visibility_timeout,
            ..WorkerSettings::default()
        },
    );
    let grace = config.http.shutdown_grace;
    let t = token.clone();
    let worker = tokio::spawn(async move { worker.run(t, grace).await });

    let scheduler = Scheduler::new(
        builtin::schedules(),
        jobs,
        wired.db.tenants(),
        wired.clock.clone(),
    );
    let (t, tick) = (token.clone(), config.worker.schedule_tick);
    let scheduler = tokio::spawn(async move { scheduler.run(tick, t).await });

    let ticker = Singleton::new(
        wired.db.leases(),
        wired.clock.clone(),
        nexus_app::sim::tick::TICK_LEASE,
        &instance,
        SIM_LEASE_TTL,
    );
    let (sim, every, t) = (wired.services.sim.clone(), config.sim.tick, token.clone());
    let ticker = tokio::spawn(async move {
        ticker
            .run(t, move |lead| {
                nexus_app::sim::tick::run(sim.clone(), every, lead)
            })
            .await;
    });
    let stats = Singleton::new(
        wired.db.leases(),
        wired.clock.clone(),
        "jobs.stats",
        &instance,
        STATS_LEASE_TTL,
    );
    let (audit, t) = (wired.services.audit.clone(), token.clone());
    let sealer = tokio::spawn(async move { audit.seal_every(AUDIT_SEAL_EVERY, t).await });
    let (store, clock) = (wired.db.jobs(), wired.clock.clone());
    let t = token.clone();
    let stats = tokio::spawn(async move {
        stats
            .run(t, move |lead| {
                export_stats(store.clone(), clock.clone(), STATS_EVERY, lead)
            })
            .await;
    });
    let users = Singleton::new(
        wired.db.leases(),
        wired.clock.clone(),
        "users.stats",
        &instance,
        STATS_LEASE_TTL,
    );
    let (store, every) = (wired.db.users(), config.metrics_kpi_interval);
    let users = tokio::spawn(async move {
        users
            .run(token, move |lead| {
                nexus_app::kpi::export_registered(store.clone(), every, lead)
            })
            .await;
    });
    Background {
        tasks: vec![
            ("registered users", users),
            ("simulator ticks", ticker),
            ("job worker", worker),
            ("scheduler", scheduler),
            ("job stats", stats),
            ("audit sealer", sealer),
        ],
    }
}

impl Background {
    /// Waits for every task to stop (they were cancelled through the shared token).
    pub(crate) async fn join(self) {
        for (name, task) in self.tasks {
            match task.await {
                Ok(()) => tracing::info!(task = name, "background task stopped"),
                Err(e) => tracing::error!(task = name, error = %e, "background task failed"),
            }
        }
    }
}
