//! Background work end to end, on the configured backend (PostgreSQL in CI): workers,
//! retries and dead-lettering, the outbox, schedules with two workers, lease takeover,
//! crash recovery, graceful shutdown, roles, metrics, and the operator API and CLI.

use crate::harness::{TestApp, TestDb, eventually, problem};
use nexus_app::jobs::scheduler::{Schedule, Scheduler};
use nexus_app::jobs::singleton::Singleton;
use nexus_app::jobs::worker::{Worker, WorkerSettings};
use nexus_app::jobs::{EnqueueOptions, JobFailure, JobPayload, JobService, KindOptions, Registry};
use nexus_domain::jobs::{Backoff, JobQuery, JobState};
use nexus_domain::schedule::Cadence;
use nexus_domain::{Clock, ManualClock, SystemClock};
use nexus_store::Database;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    n: u32,
}
impl JobPayload for Record {
    const KIND: &'static str = "test.record";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Flaky {
    permanent: bool,
}
impl JobPayload for Flaky {
    const KIND: &'static str = "test.flaky";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slow {
    millis: u64,
}
impl JobPayload for Slow {
    const KIND: &'static str = "test.slow";
}

type Log = Arc<Mutex<Vec<(u32, Instant)>>>;

/// Registers `test.record` (logs `n`), `test.flaky` (always fails) and `test.slow`.
fn register_test_jobs(r: &mut Registry, log: &Log, started: &Arc<tokio::sync::Notify>) {
    let l = log.clone();
    r.register::<Record, _, _>(KindOptions::default(), move |_ctx, p| {
        let l = l.clone();
        async move {
            l.lock().unwrap().push((p.n, Instant::now()));
            Ok(())
        }
    });
    let l = log.clone();
    let flaky = KindOptions {
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        },
        ..KindOptions::default()
    };
    r.register::<Flaky, _, _>(flaky, move |ctx, p| {
        let l = l.clone();
        async move {
            l.lock().unwrap().push((ctx.attempt, Instant::now()));
            if p.permanent {
                Err(JobFailure::Permanent("bad payload".into()))
            } else {
                Err(JobFailure::Retry(format!(
                    "upstream said no (attempt {})",
                    ctx.attempt
                )))
            }
        }
    });
    let s = started.clone();
    let slow = KindOptions {
        timeout: Duration::from_millis(800),
        ..KindOptions::default()
    };
    r.register::<Slow, _, _>(slow, move |ctx, p| {
        let s = s.clone();
        async move {
            s.notify_one();
            // The first attempt is slow; a retry after a crash completes at once.
            if ctx.attempt == 1 {
                tokio::time::sleep(Duration::from_millis(p.millis)).await;
            }
            Ok(())
        }
    });
}

/// Jobs of the test kinds in `state` (the built-in schedules add jobs of their own).
async fn jobs_in(db: &Arc<dyn Database>, state: JobState) -> Vec<nexus_domain::jobs::Job> {
    let query = JobQuery {
        state: Some(state),
        ..JobQuery::default()
    };
    let all = db.jobs().list(&query).await.unwrap().items;
    all.into_iter()
        .filter(|j| j.kind.starts_with("test."))
        .collect::<Vec<_>>()
}

struct Kit {
    log: Log,
    started: Arc<tokio::sync::Notify>,
}

fn kit() -> Kit {
    Kit {
        log: Arc::default(),
        started: Arc::new(tokio::sync::Notify::new()),
    }
}

fn app_with_jobs(k: &Kit) -> crate::harness::TestAppBuilder {
    let (log, started) = (k.log.clone(), k.started.clone());
    TestApp::builder().jobs(move |r, _| register_test_jobs(r, &log, &started))
}

#[tokio::test]
async fn worker_runs_each_job_once() {
    let k = kit();
    let app = app_with_jobs(&k).spawn().await;
    for n in 0..25 {
        app.wired
            .services
            .jobs
            .enqueue(&Record { n }, EnqueueOptions::default())
            .await
            .unwrap();
    }
    let db = app.wired.db.clone();

    eventually("25 jobs succeed", || async {
        jobs_in(&db, JobState::Succeeded).await.len() == 25
    })
    .await;
    let mut seen: Vec<u32> = k.log.lock().unwrap().iter().map(|(n, _)| *n).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..25).collect::<Vec<_>>(),
        "every job ran exactly once"
    );
}

#[tokio::test]
async fn failures_retry_with_backoff_then_dead_letter() {
    let k = kit();
    let app = app_with_jobs(&k).spawn().await;
    let jobs = &app.wired.services.jobs;
    let id = jobs
        .enqueue(&Flaky { permanent: false }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    let db = app.wired.db.clone();
    eventually("the flaky job is dead", || async {
        jobs_in(&db, JobState::Dead).await.len() == 1
    })
    .await;
    let dead = jobs.get(id).await.unwrap();
    assert_eq!((dead.attempts, dead.max_attempts), (3, 3));
    assert_eq!(
        dead.last_error.as_deref(),
        Some("upstream said no (attempt 3)")
    );
    let runs = k.log.lock().unwrap().clone();
    assert_eq!(runs.iter().map(|(a, _)| *a).collect::<Vec<_>>(), [1, 2, 3]);
    // Backoff with full jitter lies in [cap/2, cap]: ≥ 50 ms, then ≥ 100 ms.
    assert!(
        runs[1].1 - runs[0].1 >= Duration::from_millis(50),
        "{:?}",
        runs[1].1 - runs[0].1
    );
    assert!(
        runs[2].1 - runs[1].1 >= Duration::from_millis(100),
        "{:?}",
        runs[2].1 - runs[1].1
    );

    let permanent = jobs
        .enqueue(&Flaky { permanent: true }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    eventually("a permanent failure is dead at once", || async {
        jobs.get(permanent).await.unwrap().state == JobState::Dead
    })
    .await;
    assert_eq!(jobs.get(permanent).await.unwrap().attempts, 1);
}

#[tokio::test]
async fn outbox_enqueue_follows_the_transaction_and_keys_deduplicate() {
    let k = kit();
    let app = app_with_jobs(&k).spawn().await;
    let jobs = &app.wired.services.jobs;
    let db = app.wired.db.clone();

    let mut tx = db.begin(None).await.unwrap();
    jobs.enqueue_in(tx.as_mut(), &Record { n: 1 }, EnqueueOptions::default())
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = db.begin(None).await.unwrap();
    let key = EnqueueOptions {
        idempotency_key: Some("report:2026-11".into()),
        ..EnqueueOptions::default()
    };
    let kept = jobs
        .enqueue_in(tx.as_mut(), &Record { n: 2 }, key.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let again = jobs.enqueue(&Record { n: 3 }, key).await.unwrap();
    assert_eq!((again.id, again.created), (kept.id, false));

    eventually("the committed job ran", || async {
        jobs.get(kept.id).await.unwrap().state == JobState::Succeeded
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen: Vec<u32> = k.log.lock().unwrap().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        seen,
        [2],
        "the rolled-back job never existed and the duplicate never ran"
    );
    let of_kind = JobQuery {
        kind: Some(Record::KIND.into()),
        ..JobQuery::default()
    };
    assert_eq!(db.jobs().list(&of_kind).await.unwrap().total, 1);
}

fn service(db: &Arc<dyn Database>, k: &Kit, clock: Arc<dyn Clock>) -> JobService {
    let mut r = Registry::new();
    register_test_jobs(&mut r, &k.log, &k.started);
    let audit = nexus_app::audit::AuditService::new(db.audit(), clock.clone());
    JobService::new(db.clone(), Arc::new(r), clock, audit)
}

/// Two schedulers tick the same instants concurrently: each run is enqueued once; two
/// workers then run each exactly once. Per-tenant runs follow each tenant's zone.
#[tokio::test]
async fn schedules_enqueue_each_run_exactly_once_across_two_workers() {
    let db_handle = TestDb::fresh().await;
    let db = db_handle.database().await;
    let k = kit();
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2026-06-10 00:00:30 UTC),
    ));
    for (slug, zone) in [("london", "Europe/London"), ("tokyo", "Asia/Tokyo")] {
        let t = nexus_app::tenancy::TenantService::new(
            db.clone(),
            Arc::new(nexus_store::MemoryCache::new(10)),
            clock.clone(),
            nexus_app::tenancy::TenancySettings {
                base_domain: "x".into(),
                allow_tenant_header: true,
                cache_ttl: Duration::from_secs(1),
            },
            nexus_app::audit::AuditService::new(db.audit(), clock.clone()),
        );
        let created = t
            .create(
                &nexus_app::Caller::system(),
                nexus_domain::tenancy::NewTenant {
                    slug: nexus_domain::tenancy::TenantSlug::parse(slug).unwrap(),
                    name: slug.into(),
                    plan: nexus_domain::tenancy::Plan::Free,
                    branding: nexus_domain::tenancy::Branding {
                        display_name: slug.into(),
                        logo_url: None,
                        primary_colour: nexus_domain::tenancy::HexColour::default(),
                    },
                    settings: nexus_domain::tenancy::TenantSettings {
                        time_zone: zone.into(),
                        ..nexus_domain::tenancy::TenantSettings::default()
                    },
                },
            )
            .await
            .unwrap();
        assert_eq!(created.settings.time_zone, zone);
    }
    let schedules = vec![
        Schedule {
            name: "every-minute",
            kind: Record::KIND,
            cadence: Cadence::Every(Duration::from_mins(1)),
            per_tenant: false,
            payload: serde_json::json!({ "n": 7 }),
        },
        Schedule {
            name: "nightly",
            kind: Record::KIND,
            cadence: Cadence::DailyAt { hour: 2, minute: 0 },
            per_tenant: true,
            payload: serde_json::json!({ "n": 2 }),
        },
    ];
    let mut a = Scheduler::new(
        schedules.clone(),
        service(&db, &k, clock.clone()),
        db.tenants(),
        clock.clone(),
    );
    let mut b = Scheduler::new(
        schedules,
        service(&db, &k, clock.clone()),
        db.tenants(),
        clock.clone(),
    );

    let mut created = 0;
    for minute in 0..5 {
        let (ra, rb) = tokio::join!(a.tick(), b.tick());
        let n = ra.unwrap() + rb.unwrap();
        // First tick: this minute's run plus each tenant's latest nightly run.
        assert_eq!(n, if minute == 0 { 3 } else { 1 }, "minute {minute}");
        created += n;
        clock.advance(time::Duration::seconds(60));
    }
    let all = db.jobs().list(&JobQuery::default()).await.unwrap();
    assert_eq!(all.total, created);
    let mut keys: Vec<String> = all
        .items
        .iter()
        .filter_map(|j| j.idempotency_key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len() as u64, created, "one job per run");
    // Nightly runs land on each tenant's local 02:00: 01:00 UTC London (BST), 17:00 UTC Tokyo.
    let mut nightly: Vec<String> = all
        .items
        .iter()
        .filter(|j| j.payload["n"] == 2)
        .map(|j| j.run_at.time().to_string())
        .collect();
    nightly.sort();
    assert_eq!(nightly, ["17:00:00.0", "1:00:00.0"]);

    // Two workers drain the queue; each run executes once.
    let token = CancellationToken::new();
    let registry = service(&db, &k, clock.clone()).registry().clone();
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let w = Worker::new(
                db.jobs(),
                registry.clone(),
                clock.clone(),
                WorkerSettings {
                    instance: format!("w{i}"),
                    poll_interval: Duration::from_millis(10),
                    ..WorkerSettings::default()
                },
            );
            tokio::spawn(w.run(token.clone(), Duration::from_secs(5)))
        })
        .collect();
    eventually("all scheduled runs succeed", || async {
        jobs_in(&db, JobState::Succeeded).await.len() as u64 == created
    })
    .await;
    token.cancel();
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(
        k.log.lock().unwrap().len() as u64,
        created,
        "no run executed twice"
    );
}

/// A worker killed mid-job (its task dropped: no release, no completion) loses nothing:
/// after the claim's visibility timeout another worker reruns and completes the job.
#[tokio::test]
async fn a_job_interrupted_by_a_crash_is_retried_after_its_visibility_timeout() {
    let db_handle = TestDb::fresh().await;
    let db = db_handle.database().await;
    let k = kit();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let jobs = service(&db, &k, clock.clone());
    let id = jobs
        .enqueue(&Slow { millis: 60_000 }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    let settings = |name: &str| WorkerSettings {
        instance: name.into(),
        poll_interval: Duration::from_millis(20),
        reap_interval: Duration::from_millis(100),
        visibility: Duration::from_millis(600),
        ..WorkerSettings::default()
    };
    let crashing = Worker::new(
        db.jobs(),
        jobs.registry().clone(),
        clock.clone(),
        settings("doomed"),
    );
    let doomed = tokio::spawn(crashing.run(CancellationToken::new(), Duration::from_secs(5)));
    k.started.notified().await;
    doomed.abort(); // the crash: no shutdown path runs
    let _ = doomed.await;
    assert_eq!(
        db.jobs().get(id).await.unwrap().state,
        JobState::Running,
        "the claim outlives the crash"
    );

    let token = CancellationToken::new();
    let rescuer = Worker::new(
        db.jobs(),
        jobs.registry().clone(),
        clock.clone(),
        settings("rescuer"),
    );
    let rescuer = tokio::spawn(rescuer.run(token.clone(), Duration::from_secs(5)));
    let started = Instant::now();
    eventually("the job completes on the second worker", || async {
        db.jobs().get(id).await.unwrap().state == JobState::Succeeded
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let job = db.jobs().get(id).await.unwrap();
    assert_eq!(job.attempts, 2, "the crashed run counted as an attempt");
    token.cancel();
    rescuer.await.unwrap();
}

/// On shutdown a worker lets a short job finish, and releases a long one (uncounted) for
/// another worker instead of holding it until the visibility timeout.
#[tokio::test]
async fn shutdown_finishes_short_jobs_and_releases_long_ones() {
    let db_handle = TestDb::fresh().await;
    let db = db_handle.database().await;
    let k = kit();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let jobs = service(&db, &k, clock.clone());
    let settings = WorkerSettings {
        poll_interval: Duration::from_millis(20),
        ..WorkerSettings::default()
    };

    let short = jobs
        .enqueue(&Slow { millis: 300 }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    let token = CancellationToken::new();
    let w = tokio::spawn(
        Worker::new(
            db.jobs(),
            jobs.registry().clone(),
            clock.clone(),
            settings.clone(),
        )
        .run(token.clone(), Duration::from_secs(3)),
    );
    k.started.notified().await;
    token.cancel();
    w.await.unwrap();
    assert_eq!(
        db.jobs().get(short).await.unwrap().state,
        JobState::Succeeded,
        "finished within the grace period"
    );

    let long = jobs
        .enqueue(&Slow { millis: 60_000 }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    let token = CancellationToken::new();
    let w = tokio::spawn(
        Worker::new(db.jobs(), jobs.registry().clone(), clock.clone(), settings)
            .run(token.clone(), Duration::from_millis(200)),
    );
    k.started.notified().await;
    let stopping = Instant::now();
    token.cancel();
    w.await.unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "the grace period bounds the drain"
    );
    let released = db.jobs().get(long).await.unwrap();
    assert_eq!(
        (released.state, released.attempts),
        (JobState::Queued, 0),
        "released without counting an attempt"
    );
}

/// Only the lease holder runs the loop; when it dies without releasing, another node
/// takes over within the TTL.
#[tokio::test]
async fn singleton_lease_is_taken_over_when_the_holder_dies() {
    let db_handle = TestDb::fresh().await;
    let db = db_handle.database().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ttl = Duration::from_millis(900);
    let runs: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let start = |name: &'static str, token: CancellationToken| {
        let runs = runs.clone();
        let s = Singleton::new(db.leases(), clock.clone(), "market.tick", name, ttl);
        tokio::spawn(s.run(token, move |lead| {
            let runs = runs.clone();
            async move {
                runs.lock().unwrap().push(name);
                lead.cancelled().await;
            }
        }))
    };
    let a = start("node-a", CancellationToken::new());
    eventually("node-a leads", || async {
        runs.lock().unwrap().as_slice() == ["node-a"]
    })
    .await;
    let b_token = CancellationToken::new();
    let b = start("node-b", b_token.clone());
    tokio::time::sleep(ttl * 2).await;
    assert_eq!(
        runs.lock().unwrap().as_slice(),
        ["node-a"],
        "node-b waits while node-a renews"
    );

    a.abort(); // node-a dies: no release
    let died = Instant::now();
    eventually("node-b takes over", || async {
        runs.lock().unwrap().as_slice() == ["node-a", "node-b"]
    })
    .await;
    assert!(
        died.elapsed() <= ttl + ttl / 3 + Duration::from_millis(1500),
        "took {:?}",
        died.elapsed()
    );
    assert_eq!(
        db.leases()
            .holder("market.tick", clock.now())
            .await
            .unwrap()
            .as_deref(),
        Some("node-b")
    );
    b_token.cancel();
    b.await.unwrap();
    assert_eq!(
        db.leases()
            .holder("market.tick", clock.now())
            .await
            .unwrap(),
        None,
        "released on shutdown"
    );
}

/// An api process never runs jobs; a worker process serves only probes (and metrics).
#[tokio::test]
async fn api_and_worker_roles_are_separate() {
    let k = kit();
    let api = app_with_jobs(&k)
        .env("NEXUS_SERVER_ROLE", "api")
        .spawn()
        .await;
    let id = api
        .wired
        .services
        .jobs
        .enqueue(&Record { n: 1 }, EnqueueOptions::default())
        .await
        .unwrap()
        .id;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        api.wired.services.jobs.get(id).await.unwrap().state,
        JobState::Queued,
        "the api role ran a job"
    );
    assert_eq!(
        api.platform(Method::GET, "/jobs")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let url = api.db.as_ref().unwrap().url().to_owned();
    let worker = app_with_jobs(&k)
        .env("NEXUS_DATABASE_URL", &url)
        .env("NEXUS_SERVER_ROLE", "worker")
        .env("NEXUS_METRICS_ADDR", "127.0.0.1:0")
        .spawn()
        .await;
    eventually("the worker ran the job", || async {
        api.wired.services.jobs.get(id).await.unwrap().state == JobState::Succeeded
    })
    .await;
    assert_eq!(
        worker
            .client
            .get(worker.url("/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        worker
            .client
            .get(worker.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    problem(
        worker
            .tenant_get("demo", "/v1/tenant")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        worker.platform(Method::GET, "/jobs").send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    let metrics = reqwest::get(format!("http://{}/metrics", worker.metrics_addr.unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("nexus_jobs_succeeded_total{kind=\"test.record\"}"),
        "{metrics}"
    );
}

/// A job of a kind nobody handles fails visibly (logs, metrics, last_error), never
/// silently, and ends dead when its attempts run out.
#[tokio::test]
async fn unknown_kinds_fail_visibly() {
    let app = TestApp::builder()
        .env("NEXUS_METRICS_ADDR", "127.0.0.1:0")
        .spawn()
        .await;
    let db = app.wired.db.clone();
    let ghost = nexus_domain::jobs::NewJob {
        kind: "ghost.kind".into(),
        tenant: None,
        payload: serde_json::json!({}),
        priority: 0,
        run_at: SystemClock.now(),
        max_attempts: 1,
        idempotency_key: None,
    };
    // Written straight to the store, as an older or newer release might have.
    let id = db
        .jobs()
        .enqueue(
            nexus_domain::jobs::JobId::generate(&SystemClock),
            &ghost,
            SystemClock.now(),
        )
        .await
        .unwrap()
        .id;
    eventually("the ghost job is dead", || async {
        db.jobs().get(id).await.unwrap().state == JobState::Dead
    })
    .await;
    assert_eq!(
        db.jobs().get(id).await.unwrap().last_error.as_deref(),
        Some("no handler registered for kind ghost.kind")
    );
    let metrics = reqwest::get(format!("http://{}/metrics", app.metrics_addr.unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("nexus_jobs_unknown_kind_total{kind=\"ghost.kind\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("nexus_jobs_dead_total{kind=\"ghost.kind\"}"),
        "{metrics}"
    );
    // The queue gauges, published by the lease holder every few seconds.
    let url = format!("http://{}/metrics", app.metrics_addr.unwrap());
    eventually("the dead-job gauge shows the ghost job", || async {
        let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
        text.contains("nexus_jobs_dead{kind=\"ghost.kind\"} 1")
            && text.contains("nexus_jobs_queued{kind=\"ghost.kind\"} 0")
    })
    .await;
}

/// Operators list, retry, cancel and purge through `/v1/platform/jobs`.
#[tokio::test]
async fn operators_manage_jobs_over_http() {
    let k = kit();
    let app = app_with_jobs(&k)
        .env("NEXUS_SERVER_ROLE", "api")
        .spawn()
        .await;
    let jobs = &app.wired.services.jobs;
    let later = EnqueueOptions {
        run_at: Some(SystemClock.now() + time::Duration::hours(1)),
        ..EnqueueOptions::default()
    };
    let a = jobs.enqueue(&Record { n: 1 }, later).await.unwrap().id;

    let list: Value = app
        .platform(Method::GET, "/jobs?state=queued&kind=test.record")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], a.to_string());
    assert_eq!(list["items"][0]["state"], "queued");
    assert!(
        list["items"][0]["run_at"].as_str().unwrap().contains('T'),
        "RFC 3339 times"
    );

    let cancelled: Value = app
        .platform(Method::POST, &format!("/jobs/{a}/cancel"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    problem(
        app.platform(Method::POST, &format!("/jobs/{a}/cancel"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let retried: Value = app
        .platform(Method::POST, &format!("/jobs/{a}/retry"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (retried["state"].as_str(), retried["attempts"].as_u64()),
        (Some("queued"), Some(0))
    );
    problem(
        app.platform(Method::GET, "/jobs/not-an-id")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        app.platform(Method::GET, "/jobs?state=exploded")
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let purged: Value = app
        .platform(Method::POST, "/jobs/purge-dead")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(purged["purged"], 0);
    problem(
        app.client
            .get(app.url("/v1/platform/jobs"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

/// The same operations from the command line.
#[tokio::test]
async fn operators_manage_jobs_from_the_cli() {
    let db = TestDb::fresh().await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_nexus"))
            .env_clear()
            .env("NEXUS_DATABASE_URL", db.url())
            .args(args)
            .output()
            .unwrap()
    };
    let store = db.database().await;
    let mut dead = nexus_domain::jobs::NewJob {
        kind: "system.noop".into(),
        tenant: None,
        payload: serde_json::json!({}),
        priority: 0,
        run_at: SystemClock.now(),
        max_attempts: 1,
        idempotency_key: None,
    };
    let id = store
        .jobs()
        .enqueue(
            nexus_domain::jobs::JobId::generate(&SystemClock),
            &dead,
            SystemClock.now(),
        )
        .await
        .unwrap()
        .id;
    let lock = nexus_domain::jobs::LockToken::generate(&SystemClock);
    store
        .jobs()
        .claim(nexus_store::Claim {
            lock,
            limit: 1,
            now: SystemClock.now(),
            visibility: Duration::from_secs(30),
        })
        .await
        .unwrap();
    store
        .jobs()
        .fail(id, lock, "broke", None, SystemClock.now())
        .await
        .unwrap();
    dead.idempotency_key = Some("second".into());

    let out = run(&["jobs", "list", "--state", "dead"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&id.to_string()) && stdout.contains("broke"),
        "{stdout}"
    );
    let out = run(&["jobs", "retry", &id.to_string()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("is queued again"));
    let out = run(&["jobs", "cancel", &id.to_string()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("is cancelled"));
    let out = run(&["jobs", "cancel", &id.to_string()]);
    assert_eq!(out.status.code(), Some(1), "cannot cancel twice");
    let out = run(&["jobs", "purge-dead"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 dead jobs deleted"));
    let out = run(&["jobs", "retry", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope is not a job id"));
    store.close().await;
}
