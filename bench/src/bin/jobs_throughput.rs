//! Job throughput on PostgreSQL with no-op handlers and N workers, with the machine's
//! database round-trip rate measured in the same run as the baseline.
//!
//!   cargo run --release -p nexus-bench --bin jobs_throughput -- [jobs=20000] [workers=2]
//!
//! `NEXUS_BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test) names a
//! server where a scratch database is created and dropped. Loopback only; bounded by the
//! job count and a 120 s deadline.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_app::audit::AuditService;
use nexus_app::jobs::worker::{Worker, WorkerSettings};
use nexus_app::jobs::{EnqueueOptions, JobService, Registry, builtin};
use nexus_bench::Scratch;
use nexus_domain::{Clock, SystemClock};
use nexus_store::Database;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let workers: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2);
    let admin = std::env::var("NEXUS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();

    let scratch = Scratch::create(&admin).await;
    let db = scratch.database(10).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    eprintln!(
        "jobs_throughput: {n} no-op jobs, {workers} workers, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    // Baseline: `select 1` round trips per second over `workers` connections, 3 s.
    let deadline = Instant::now() + Duration::from_secs(3);
    let pings = (0..workers).map(|_| {
        let pool = db.pool().clone();
        tokio::spawn(async move {
            let mut k = 0u64;
            while Instant::now() < deadline {
                sqlx::query("select 1").execute(&pool).await.unwrap();
                k += 1;
            }
            k
        })
    });
    let mut trips = 0;
    for p in pings {
        trips += p.await.unwrap();
    }
    let trips_per_s = trips as f64 / 3.0;

    let mut registry = Registry::new();
    let dyn_db: Arc<dyn Database> = db.clone();
    builtin::register(
        &mut registry,
        &dyn_db,
        clock.clone(),
        Arc::new(nexus_app::mail::OutboxMailer::new(
            dyn_db.clone(),
            clock.clone(),
        )),
    );
    let registry = Arc::new(registry);
    let service = JobService::new(
        db.clone(),
        registry.clone(),
        clock.clone(),
        AuditService::new(db.audit(), clock.clone()),
    );

    // Enqueue in transactions of 500, as a busy API would in aggregate.
    let started = Instant::now();
    let mut left = n;
    while left > 0 {
        let mut tx = db.begin(None).await.unwrap();
        for _ in 0..left.min(500) {
            service
                .enqueue_in(tx.as_mut(), &builtin::Noop {}, EnqueueOptions::default())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        left = left.saturating_sub(500);
    }
    let enqueue_s = started.elapsed().as_secs_f64();

    let token = CancellationToken::new();
    let started = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let settings = WorkerSettings {
                instance: format!("bench-{i}"),
                poll_interval: Duration::from_millis(5),
                ..WorkerSettings::default()
            };
            let w = Worker::new(db.jobs(), registry.clone(), clock.clone(), settings);
            tokio::spawn(w.run(token.clone(), Duration::from_secs(10)))
        })
        .collect();
    loop {
        let stats = db.jobs().stats(clock.now()).await.unwrap();
        let open: u64 = stats.iter().map(|s| s.queued + s.running).sum();
        if open == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "did not drain within 120 s ({open} left)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let run_s = started.elapsed().as_secs_f64();
    token.cancel();
    for h in handles {
        h.await.unwrap();
    }
    let done = db
        .jobs()
        .list(&nexus_domain::jobs::JobQuery {
            state: Some(nexus_domain::jobs::JobState::Succeeded),
            ..Default::default()
        })
        .await
        .unwrap()
        .total;
    assert_eq!(done, u64::from(n), "every job succeeded");

    let rendered = metrics.render();
    let claim_p99 = rendered
        .lines()
        .find(|l| l.starts_with("nexus_job_claim_seconds{quantile=\"0.99\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    let jobs_per_s = f64::from(n) / run_s;
    println!("baseline: select-1 round trips     {trips_per_s:>10.0} /s  ({workers} connections)");
    println!(
        "enqueue (tx of 500):               {:>10.0} jobs/s",
        f64::from(n) / enqueue_s
    );
    println!(
        "run (no-op, {workers} workers):           {jobs_per_s:>10.0} jobs/s  ({n} jobs in {run_s:.2} s)"
    );
    println!(
        "claim latency p99:                 {:>10.2} ms",
        claim_p99 * 1000.0
    );
    println!(
        "ratio jobs/s : round trips/s       {:>10.2}",
        jobs_per_s / trips_per_s
    );
    db.close().await;
    scratch.drop_db().await;
}
