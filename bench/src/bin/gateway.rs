//! Gateway overhead (issue 6): what API-key authentication, rate limiting and usage
//! metering cost per request, measured over real HTTP against the real router on
//! 127.0.0.1.
//!
//! Two servers share one set of services and one database: one with rate limits and
//! metering off, one with both on (in-process limiter, limits out of reach so nothing
//! is refused; the meter counts in memory and is not flushed during the run, as it
//! flushes off the request path).
//! Four variants run in alternating one-second rounds, so drift on a noisy machine hits
//! them alike:
//!
//! - **A** `GET /v1/tenant`, no credential, limits off: the baseline route;
//! - **B** the same route with an API key presented, limits and metering on. The
//!   limiter authenticates the key (to charge the key's and the tenant's buckets;
//!   cached by key hash), takes three GCRA decisions (key, tenant, IP), checks the
//!   monthly quota and counts the request: the whole gateway on the very same route;
//! - **C** `GET /v1/courses?limit=1` with an API key, limits and metering on;
//! - **D** the same route with a session token, limits off: the cached-session path.
//!
//! B/A is the gateway overhead on one route (Kong's comparison: key-auth plus rate
//! limiting against the bare route; we add metering). C/A adds an authenticated
//! handler (the extractor's key check, a cache hit, and the course list). D is
//! reported beside C: it was expected to be the cheaper path and is not.
//!
//!   cargo run --release -p nexus-bench --bin gateway -- [postgres|sqlite] [seconds=10] [concurrency=16]
//!
//! `NEXUS_BENCH_ONLY=<A|B|C|D>` runs that variant alone (for a profiler), without ratios.
//! PostgreSQL: `NEXUS_BENCH_DATABASE_URL`, default the local `test` database (a scratch
//! database is created and dropped). Bounded by duration; targets 127.0.0.1 only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_app::Caller;
use nexus_app::accounts::CreateAccount;
use nexus_bench::{Scratch, get_round, quantile};
use nexus_domain::access::Actor;
use nexus_domain::apikey::NewApiKey;
use nexus_domain::ratelimit::Quota;
use nexus_domain::tenancy::Plan;
use nexus_domain::user::{Email, Password, Role};
use nexus_http::ratelimit::{Limiter, OnOutage, RateLimitSettings};
use nexus_http::{HttpSettings, router};
use nexus_store::{Database, MemoryRateLimits};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const VARIANTS: [&str; 4] = [
    "A  /v1/tenant, anonymous, limits + metering off",
    "B  /v1/tenant, API key, limits + metering on",
    "C  /v1/courses, API key, limits + metering on",
    "D  /v1/courses, session, limits + metering off",
];

fn settings(limits: bool) -> HttpSettings {
    let huge = Quota::per(1_000_000_000, Duration::from_mins(1));
    HttpSettings {
        body_limit_bytes: 1 << 20,
        request_timeout: Duration::from_secs(30),
        trusted_proxies: Vec::new(),
        external_tls: false,
        link_port: None,
        platform_token: None,
        version: "bench",
        limiter: Some(Arc::new(Limiter::new(
            RateLimitSettings {
                enabled: limits,
                per_ip: huge,
                per_credential: [huge; 4],
                tenant_factor: 1,
                on_outage: OnOutage::Local,
            },
            Arc::new(MemoryRateLimits::new(100_000)),
        ))),
        // Metering goes with the limits: the gateway's whole cost is measured together.
        metering: limits,
        active: Arc::default(),
        trace_sampler: None,
    }
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "postgres".into());
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(16);
    let admin = std::env::var("NEXUS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());

    let mut scratch = None;
    let mut sqlite_dir = None;
    let db: Arc<dyn Database> = if backend == "sqlite" {
        let dir = std::env::temp_dir().join(format!(
            "nexus-gateway-bench-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let db =
            nexus_store_sqlite::SqliteDatabase::connect_lazy(&nexus_store_sqlite::SqliteSettings {
                url: format!("sqlite://{}", dir.join("bench.db").display()),
                max_connections: 10,
                acquire_timeout: Duration::from_secs(10),
            })
            .unwrap();
        db.migrate().await.unwrap();
        sqlite_dir = Some(dir);
        Arc::new(db)
    } else {
        let s = Scratch::create(&admin).await;
        let pg = s.database(10).await;
        scratch = Some(s);
        pg
    };
    // Quotas set (out of reach), so the meter's quota check runs as in production.
    let services = nexus_bench::services(db.clone()).with_quotas(
        nexus_app::usage::QuotaSettings {
            monthly_units: [Some(u64::MAX / 2); 4],
        },
        &db,
    );
    let tenant = nexus_bench::bench_tenant(&services, Plan::Basic).await;
    let user = services
        .accounts
        .create(
            &Caller::system(),
            tenant.id,
            CreateAccount {
                email: Email::parse("admin@bench.example").unwrap(),
                display_name: "Admin".into(),
                role: Role::Admin,
                password: Password::parse("benchmark password 2026").unwrap(),
            },
        )
        .await
        .unwrap();
    let login = services
        .auth
        .login(
            &tenant,
            "admin@bench.example",
            "benchmark password 2026",
            nexus_app::RequestMeta::default(),
        )
        .await
        .unwrap();
    let admin_caller = Caller {
        actor: Actor::User {
            tenant: tenant.id,
            user: user.id,
            permissions: nexus_app::auth::builtin_role(Role::Admin).permissions(),
        },
        meta: nexus_app::RequestMeta::default(),
    };
    let now = services.clock.now();
    let key = services
        .api_keys
        .create(
            &admin_caller,
            tenant.id,
            NewApiKey::parse("bench", &["course:read".into()], None, now).unwrap(),
        )
        .await
        .unwrap()
        .secret
        .expose()
        .to_owned();

    // Start-up (connect, migrate, seed) is done above: open the readiness gate.
    services.health.mark_started();
    let off = serve(router(services.clone(), settings(false), true)).await;
    let on = serve(router(services.clone(), settings(true), true)).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let requests: [(String, Option<String>); 4] = [
        (format!("{off}/v1/tenant"), None),
        (format!("{on}/v1/tenant"), Some(key.clone())),
        (format!("{on}/v1/courses?limit=1"), Some(key.clone())),
        (
            format!("{off}/v1/courses?limit=1"),
            Some(login.token.clone()),
        ),
    ];
    // Warm-up: every variant answers 200.
    for (url, token) in &requests {
        let mut r = client.get(url).header("host", "bench.localhost");
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}: {}", resp.text().await.unwrap());
    }

    // `NEXUS_BENCH_ONLY=B` runs one variant alone, to profile it (`perf record`).
    let only = std::env::var("NEXUS_BENCH_ONLY")
        .ok()
        .and_then(|o| VARIANTS.iter().position(|v| v.starts_with(o.trim())));
    let mut counts = [0u64; 4];
    let mut errors = [0u64; 4];
    let mut latencies: [Vec<f64>; 4] = Default::default();
    let mut elapsed = [0f64; 4];
    for round in 0..secs {
        for v in 0..4 {
            // Alternate the order each round.
            let v = if round % 2 == 0 { v } else { 3 - v };
            if only.is_some_and(|o| o != v) {
                continue;
            }
            let (url, token) = requests[v].clone();
            let until = Instant::now() + Duration::from_secs(1);
            let began = Instant::now();
            let host = [("host", "bench.localhost".to_owned())];
            let r = get_round(&client, &url, &host, token.as_deref(), concurrency, until).await;
            counts[v] += r.ok;
            errors[v] += r.failed;
            latencies[v].extend(r.latencies_ms);
            elapsed[v] += began.elapsed().as_secs_f64();
        }
    }
    println!(
        "backend={backend} cores={} rounds={secs} x 1 s per variant, concurrency={concurrency}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let mut rps = [0f64; 4];
    for v in (0..4).filter(|v| only.is_none_or(|o| o == *v)) {
        rps[v] = counts[v] as f64 / elapsed[v];
        println!(
            "{:<40} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}",
            VARIANTS[v],
            rps[v],
            quantile(&mut latencies[v], 0.5),
            quantile(&mut latencies[v], 0.99),
            errors[v]
        );
    }
    let loss = |with: f64, without: f64| (1.0 - with / without) * 100.0;
    if only.is_none() {
        // The bar is on the same route (issue 6: "against the same route unauthenticated").
        let verdict = if loss(rps[1], rps[0]) <= 10.0 {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "key auth + limits + metering, same route (B vs A):  throughput {:+.1} % ({:.3} of baseline)   bar: loss <= 10 %: {verdict}",
            -loss(rps[1], rps[0]),
            rps[1] / rps[0]
        );
        println!(
            "plus an authenticated handler (C vs A):             throughput {:+.1} % ({:.3} of the anonymous route)",
            -loss(rps[2], rps[0]),
            rps[2] / rps[0],
        );
        println!(
            "the session path (D vs C):               throughput {:+.1} % ({:.3} of the API-key path)",
            -loss(rps[3], rps[2]),
            rps[3] / rps[2]
        );
    }
    if let Some(s) = scratch {
        s.drop_db().await;
    }
    if let Some(d) = sqlite_dir {
        let _ = std::fs::remove_dir_all(d);
    }
}
