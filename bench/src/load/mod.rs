//! The load harness (issue 7): simulated learners against the release server, with the
//! machine's ceiling and the database's measured beside them in the same run.
//!
//! One run, per backend: seed a tenant with N learners, start `target/release/nexus` on
//! it, then let N learners run sessions with think time over a ramp-up and a hold, and
//! report p50/p95/p99/max per request type, error rate, throughput, and the server's
//! RSS and CPU. Baselines: the same learners against a bare hyper hello-world
//! (`bench/src/bin/hello.rs`) and `pgbench -N` on the same PostgreSQL. Everything
//! targets 127.0.0.1, every run ends on its own (duration and a request budget), and the
//! file-descriptor limit is raised for the learners' connections first.

mod client;
mod procstat;
mod report;
mod scenario;
mod seed;

pub use report::Report;
pub use scenario::Course;

use crate::{Scratch, Server, free_port, spawn_server};
use scenario::{Plan, learner};
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Which store the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: SQLite, in-process cache and limiter.
    Sqlite,
    /// PostgreSQL, with Redis for cache and limiter when a Redis URL is given.
    Postgres,
}

/// The harness's controls.
#[derive(Debug, Clone)]
pub struct Options {
    /// Backends to run, in order.
    pub backends: Vec<Backend>,
    /// Learner counts to run in turn (the first is also the hello-world baseline's).
    pub users: Vec<usize>,
    /// Time over which learners arrive.
    pub ramp: Duration,
    /// Time all learners stay after the ramp-up.
    pub hold: Duration,
    /// Think time range in seconds.
    pub think: (f64, f64),
    /// Lesson-and-trade rounds per session.
    pub loops: u32,
    /// The bounded total of requests per run.
    pub max_requests: u64,
    /// PostgreSQL admin URL (scratch databases are made next to it).
    pub pg_admin: String,
    /// Redis for the PostgreSQL runs.
    pub redis: Option<String>,
    /// Build the binaries first.
    pub build: bool,
    /// Run the hello-world and pgbench baselines (off only to compare settings quickly).
    pub baselines: bool,
    /// Extra server settings, `NEXUS_*=value` (e.g. a pool size to compare).
    pub server_env: Vec<(String, String)>,
    /// Most connections the learners open (each process may hold only so many files).
    pub max_connections: usize,
}

/// Raises this process's open-file limit (children inherit it) to `want` with
/// util-linux `prlimit` (the workspace forbids `unsafe`, so no direct `setrlimit`);
/// answers the soft limit now in force.
pub fn raise_fd_limit(want: u64) -> u64 {
    let pid = std::process::id().to_string();
    let set = |spec: String| {
        Command::new("prlimit")
            .args(["--pid", &pid, &format!("--nofile={spec}")])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    // Raising the hard limit needs privilege; without it, take the soft one up to it.
    if !set(format!("{want}:{want}")) {
        set(format!("{want}:"));
    }
    let out = Command::new("prlimit")
        .args(["--pid", &pid, "--nofile", "--noheadings", "--output=SOFT"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    out.parse().unwrap_or(0)
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()) + "/release"
}

/// Builds the server and the hello-world baseline in release mode.
fn build() {
    eprintln!("building target/release/nexus and target/release/hello …");
    let ok = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "nexus-server", "--bin", "nexus"])
        .args(["-p", "nexus-bench", "--bin", "hello"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cargo build failed");
}

/// A database for the server: a SQLite file in `dir`, or a scratch PostgreSQL database.
enum Store {
    Sqlite(String),
    Postgres(Scratch),
}

impl Store {
    fn url(&self) -> &str {
        match self {
            Self::Sqlite(u) => u,
            Self::Postgres(s) => &s.url,
        }
    }
}

async fn open_store(
    backend: Backend,
    dir: &std::path::Path,
    opts: &Options,
) -> (Store, Arc<dyn nexus_store::Database>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}/nexus.db", dir.display());
            let db = nexus_store_sqlite::SqliteDatabase::connect_lazy(
                &nexus_store_sqlite::SqliteSettings {
                    url: url.clone(),
                    max_connections: 4,
                    acquire_timeout: Duration::from_secs(30),
                },
            )
            .unwrap();
            nexus_store::Database::migrate(&db).await.unwrap();
            (Store::Sqlite(url), Arc::new(db))
        }
        Backend::Postgres => {
            let scratch = Scratch::create(&opts.pg_admin).await;
            let db = scratch.database(8).await;
            (Store::Postgres(scratch), db)
        }
    }
}

fn start_nexus(backend: Backend, store: &Store, dir: std::path::PathBuf, opts: &Options) -> Server {
    let mut cmd = Command::new(format!("{}/nexus", target_dir()));
    cmd.env_clear()
        .env("NEXUS_HTTP_ADDR", "127.0.0.1:0")
        .env("NEXUS_DATABASE_URL", store.url())
        .env("NEXUS_DEMO_SEED", "false")
        .env("NEXUS_LOG_LEVEL", "warn")
        // Learners' addresses come in X-Forwarded-For from loopback, as from an ingress,
        // so per-IP limits apply per learner.
        .env("NEXUS_HTTP_TRUSTED_PROXIES", "127.0.0.0/8")
        // One tenant holds every learner: its budget is sized for 10,000 of them.
        .env("NEXUS_RATELIMIT_TENANT_FACTOR", "10000")
        .env("NEXUS_METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
        .stderr(std::process::Stdio::inherit());
    if let (Backend::Postgres, Some(r)) = (backend, &opts.redis) {
        // A key namespace of this run's own: each run seeds a fresh database, and a
        // previous run's cached tenant (same slug, another ID) must not answer for it.
        let prefix = format!("load-{}", uuid::Uuid::new_v4().simple());
        cmd.env("NEXUS_REDIS_URL", r)
            .env("NEXUS_REDIS_PREFIX", prefix);
    }
    for (k, v) in &opts.server_env {
        cmd.env(k, v);
    }
    spawn_server(cmd, "FinAI Nexus listening on http://", dir)
}

/// Finds the course's lessons and quizzes and the instrument symbols, as the admin.
async fn discover(base: &str, tenant: &str, course: &str, admin: &str) -> Course {
    let client = reqwest::Client::new();
    crate::wait_ready(&client, base).await;
    let token = crate::login(&client, base, tenant, admin, seed::PASSWORD).await;
    let get = |path: String| {
        let req = client
            .get(format!("{base}{path}"))
            .header("x-tenant", tenant)
            .bearer_auth(&token);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let items = |v: &Value| {
        v["items"]
            .as_array()
            .or_else(|| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let outline = get(format!("/v1/courses/{course}/outline")).await;
    let lessons: Vec<String> = outline["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["lessons"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l["id"].as_str().map(str::to_owned))
        .collect();
    let quizzes: Vec<String> = items(&get(format!("/v1/courses/{course}/quizzes")).await)
        .iter()
        .filter_map(|q| q["id"].as_str().map(str::to_owned))
        .collect();
    let symbols: Vec<String> = items(&get("/v1/sim/instruments?limit=100".into()).await)
        .iter()
        .filter_map(|i| i["symbol"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !lessons.is_empty() && !quizzes.is_empty() && !symbols.is_empty(),
        "the course has lessons and quizzes, the market instruments: {} {} {}",
        lessons.len(),
        quizzes.len(),
        symbols.len()
    );
    Course {
        id: course.to_owned(),
        lessons,
        quizzes,
        symbols,
    }
}

/// Runs `users` learners against `port` and reports; `pid` is the server's.
async fn run_level(
    label: String,
    port: u16,
    pid: u32,
    tenant: &str,
    course: Course,
    users: usize,
    opts: &Options,
) -> Report {
    let started = tokio::time::Instant::now() + Duration::from_millis(100);
    let plan = Arc::new(Plan {
        tenant: tenant.to_owned(),
        password: seed::PASSWORD.to_owned(),
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        course,
        think: opts.think,
        loops: opts.loops,
        started,
        ramp: opts.ramp,
        users,
        until: started + opts.ramp + opts.hold,
        sent: AtomicU64::new(0),
        max_requests: opts.max_requests,
        conns: (0..users.min(opts.max_connections).max(1))
            .map(|i| Arc::new(tokio::sync::Mutex::new(client::Conn::new(port, i))))
            .collect(),
    });
    eprintln!(
        "{label}: {users} learners, ramp-up {:?}, hold {:?}, think {}–{} s, at most {} requests",
        opts.ramp, opts.hold, opts.think.0, opts.think.1, opts.max_requests
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = procstat::sample(pid, stop.clone());
    let progress = {
        let plan = plan.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                eprintln!(
                    "  {:>4.0} s: {} requests sent",
                    plan.started.elapsed().as_secs_f64(),
                    plan.sent.load(Ordering::Relaxed)
                );
            }
        })
    };
    let learners: Vec<_> = (0..users)
        .map(|n| tokio::spawn(learner(n, plan.clone())))
        .collect();
    let mut outcomes = Vec::with_capacity(users);
    for l in learners {
        outcomes.push(l.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    progress.abort();
    stop.store(true, Ordering::Relaxed);
    let usage = sampler.join().unwrap();
    let mut report = Report::new(label, users, outcomes, secs, usage);
    let mut opened = 0;
    for c in &plan.conns {
        opened += u64::from(c.lock().await.opened);
    }
    report.connections = (plan.conns.len(), opened);
    report.print();
    report
}

/// The whole harness: baselines, then every backend at every learner count.
pub async fn run(opts: Options) -> Vec<Report> {
    let max_users = opts.users.iter().copied().max().unwrap_or(0);
    let limit = raise_fd_limit(u64::try_from(max_users).unwrap_or(0) * 2 + 4_096);
    eprintln!("open-file limit {limit}");
    // Past the limit, learners share connections (see `Plan::conns`); the server needs
    // one file per connection too, and inherits the same limit.
    // An unknown limit (no prlimit) leaves the cap alone; a tiny one still keeps a
    // floor, since one connection for everyone would measure the generator's queue.
    let cap = match usize::try_from(limit).unwrap_or(usize::MAX) {
        0 => usize::MAX,
        l => l.saturating_sub(2_000).max(256),
    };
    let opts = Options {
        max_connections: opts.max_connections.min(cap),
        ..opts
    };
    if opts.max_connections < max_users {
        eprintln!(
            "learners share {} connections past that many (open-file limit {limit})",
            opts.max_connections
        );
    }
    if opts.build {
        build();
    }
    let mut reports = Vec::new();
    // The ceiling: the same learners, a server that does nothing.
    if opts.baselines {
        let dir = std::env::temp_dir().join(format!("nexus-load-hello-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let hello = spawn_server(
            Command::new(format!("{}/hello", target_dir())),
            "hello listening on ",
            dir,
        );
        let placeholder = Course {
            id: "c".into(),
            lessons: vec!["l".into()],
            quizzes: vec!["q".into()],
            symbols: vec!["S".into()],
        };
        let users = opts.users.first().copied().unwrap_or(0);
        reports.push(
            run_level(
                "hello-world (ceiling)".into(),
                hello.port(),
                hello.pid(),
                "t",
                placeholder,
                users,
                &opts,
            )
            .await,
        );
    }
    if opts.baselines && opts.backends.contains(&Backend::Postgres) {
        let tps = crate::pgbench(&opts.pg_admin, 10, 10).await;
        match tps {
            Some(t) => println!("\npgbench -N -c 10 -j 2 -T 10 on the same PostgreSQL: {t:.0} TPS"),
            None => println!("\npgbench: not run (is it installed?)"),
        }
    }
    for &backend in &opts.backends {
        let dir = std::env::temp_dir().join(format!("nexus-load-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (store, db) = open_store(backend, &dir, &opts).await;
        eprintln!("{backend:?}: seeding {max_users} learners …");
        let seeded = seed::seed(db, max_users).await;
        let server = start_nexus(backend, &store, dir, &opts);
        let course = discover(&server.base, &seeded.tenant, &seeded.course, &seeded.admin).await;
        for &users in &opts.users {
            let label = format!("FinAI Nexus on {backend:?}");
            reports.push(
                run_level(
                    label,
                    server.port(),
                    server.pid(),
                    &seeded.tenant,
                    course.clone(),
                    users,
                    &opts,
                )
                .await,
            );
        }
        drop(server);
        if let Store::Postgres(s) = store {
            s.drop_db().await;
        }
    }
    summary(&reports);
    reports
}

/// One line per run, for docs/PERFORMANCE.md.
fn summary(reports: &[Report]) {
    println!("\n## Summary");
    println!(
        "| target | learners | req/s | p99 all ms | worst type p99 ms | error rate | server RSS MiB | server CPU | postgres CPU | targets |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in reports {
        let worst = r.rows.iter().map(|(_, x)| x.p99).fold(0.0, f64::max);
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.4} % | {:.0} | {:.2} | {:.2} | {} |",
            r.label,
            r.users,
            r.throughput,
            r.total.p99,
            worst,
            r.error_rate() * 100.0,
            r.usage.peak_rss_mib,
            r.usage.cpu_cores,
            r.usage.postgres_cores,
            if r.meets_targets() { "met" } else { "NOT met" }
        );
    }
}
