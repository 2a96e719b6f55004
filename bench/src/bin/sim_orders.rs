//! Order placement of the portfolio simulator (issue 5) through the real service,
//! `SimService::place`: N learners, each trading their own practice portfolio, place
//! orders in a loop — three market orders (buy and sell 1 LMCX in turn: filled at once,
//! books updated, the heavy path) for every resting limit buy far below the price (half
//! the last price of one of six stocks: stored, nothing filled). LMCX is simulated
//! crypto, which trades 24/7, so the market orders fill at any hour on the system clock.
//!
//! Baseline in the same run (PostgreSQL): `pgbench -N` (the built-in simple-update
//! script) on a scratch pgbench database, with as many clients as the service's pool
//! has connections, before and after the orders.
//!
//! After the timed run, one fresh learner places orders one at a time with every SQL
//! statement counted (sqlx's statement log, counted by a tracing layer): statements
//! per market and per resting order, and the market-order latency with 0 and then with
//! 200 of their own orders resting.
//!
//!   cargo run --release -p nexus-bench --bin sim_orders -- [postgres|sqlite] [seconds=10] [workers=16] [pool=10] [max_orders=1000000] [learners_per_worker=1]
//!
//! Each worker places one order at a time, so `workers` is the concurrency. With
//! `learners_per_worker = 1` every worker is one learner trading as fast as it can: a
//! few hundred orders a second pile up in one portfolio, and each order's cost grows
//! with that portfolio's open orders (read for reservations). With more, a worker takes
//! its learners in turn, which is closer to a class: many portfolios, each with a
//! learner-sized history.
//!
//! PostgreSQL: `NEXUS_BENCH_DATABASE_URL`, default the local `test` database; scratch
//! databases are created and dropped. Bounded by duration and by count.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

use nexus_app::sim::PlaceOrder;
use nexus_app::{Caller, RequestMeta};
use nexus_bench::{Scratch, pgbench, quantile};
use nexus_domain::access::{Actor, BuiltinRole};
use nexus_domain::tenancy::Plan;
use nexus_domain::user::{Email, Password, Role};
use nexus_domain::{SystemClock, TenantId, UserId};
use nexus_store::Database;
use nexus_trading::order::RawOrder;
use rust_decimal::Decimal;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, SubscriberExt};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The crypto instrument the market orders trade (24/7).
const CRYPTO: &str = "LMCX";
/// Stocks the resting limit orders rest on.
const RESTING: [&str; 6] = ["QBYT", "NMBS", "PTLN", "TDRP", "CRWH", "DRWM"];

// ---- statement counting -------------------------------------------------------------

static COUNTING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: AtomicU64 = AtomicU64::new(0);
static KINDS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// Counts sqlx's per-statement log events while `COUNTING` is set, by the statement's
/// first words. Interest is "sometimes", so with counting off the check is one atomic
/// load and sqlx formats nothing.
struct StatementCounter;

struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.0);
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" && self.0.is_empty() {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn register_callsite(&self, m: &'static tracing::Metadata<'static>) -> Interest {
        if m.target() == "sqlx::query" {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, m: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        m.target() == "sqlx::query" && COUNTING.load(Ordering::Relaxed)
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
        let mut s = Summary(String::new());
        event.record(&mut s);
        let key: String = s.0.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        *KINDS.lock().unwrap().entry(key).or_default() += 1;
    }
}

fn count_start() {
    STATEMENTS.store(0, Ordering::Relaxed);
    KINDS.lock().unwrap().clear();
    COUNTING.store(true, Ordering::Relaxed);
}

fn count_stop() -> (u64, BTreeMap<String, u64>) {
    COUNTING.store(false, Ordering::Relaxed);
    (
        STATEMENTS.load(Ordering::Relaxed),
        std::mem::take(&mut *KINDS.lock().unwrap()),
    )
}

// ---- orders ---------------------------------------------------------------------------

fn as_learner(tenant: TenantId, user: UserId) -> Caller {
    Caller {
        actor: Actor::User {
            tenant,
            user,
            permissions: BuiltinRole::Learner.permissions(),
        },
        meta: RequestMeta::default(),
    }
}

fn market(side: &str) -> PlaceOrder {
    PlaceOrder {
        portfolio: None,
        symbol: CRYPTO.into(),
        order: RawOrder {
            side: side.into(),
            order_type: "market".into(),
            tif: "gtc".into(),
            qty: Some(Decimal::ONE),
            ..RawOrder::default()
        },
        client_order_id: None,
    }
}

fn resting(symbol: &str, limit: Decimal) -> PlaceOrder {
    PlaceOrder {
        portfolio: None,
        symbol: symbol.into(),
        order: RawOrder {
            side: "buy".into(),
            order_type: "limit".into(),
            tif: "gtc".into(),
            qty: Some(Decimal::ONE),
            limit: Some(limit),
            ..RawOrder::default()
        },
        client_order_id: None,
    }
}

/// The `k`-th order of a learner: three market orders (buy, sell, buy, sell …) for
/// every resting limit buy.
fn nth_order(k: u64, market_count: &mut u64, limits: &[(String, Decimal)]) -> (bool, PlaceOrder) {
    if k % 4 == 3 {
        let (s, l) = &limits[(k / 4) as usize % limits.len()];
        (false, resting(s, *l))
    } else {
        let side = if market_count.is_multiple_of(2) {
            "buy"
        } else {
            "sell"
        };
        *market_count += 1;
        (true, market(side))
    }
}

#[derive(Default)]
struct Tally {
    market_ms: Vec<f64>,
    resting_ms: Vec<f64>,
    filled: u64,
    errors: BTreeMap<String, u64>,
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat`.
fn own_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// Busy and total CPU seconds of the whole machine, from `/proc/stat`.
fn machine_cpu_secs() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: f64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    ((total - idle) / 100.0, total / 100.0)
}

fn profile_line(label: &str, v: &mut [f64], stmts: u64) {
    let n = v.len();
    println!(
        "profile {label:<36} mean {:>6.3} ms  p50 {:>6.3} ms  statements/order {:.2}",
        v.iter().sum::<f64>() / n as f64,
        quantile(v, 0.5),
        stmts as f64 / n as f64
    );
}

// ---- main -------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(StatementCounter))
        .unwrap();
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "postgres".into());
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let learners: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(16);
    let pool: u32 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
    let max_orders: u64 = args
        .get(5)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let per_worker: usize = args.get(6).and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let admin = std::env::var("NEXUS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());

    let mut scratch = None;
    let mut sqlite_dir = None;
    let db: Arc<dyn Database> = if backend == "sqlite" {
        let dir =
            std::env::temp_dir().join(format!("nexus-sim-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db =
            nexus_store_sqlite::SqliteDatabase::connect_lazy(&nexus_store_sqlite::SqliteSettings {
                url: format!("sqlite://{}", dir.join("bench.db").display()),
                max_connections: pool,
                acquire_timeout: Duration::from_secs(10),
            })
            .unwrap();
        db.migrate().await.unwrap();
        sqlite_dir = Some(dir);
        Arc::new(db)
    } else {
        let s = Scratch::create(&admin).await;
        let pg = s.database(pool).await;
        scratch = Some(s);
        pg
    };
    let services = nexus_bench::services(db.clone());
    let system = Caller::system();
    let t = nexus_bench::bench_tenant(&services, Plan::Professional)
        .await
        .id;
    // Learner 0 is the profile's; then `per_worker` for each worker. Created a few at
    // a time: each hashes a password at production cost.
    let mut users = Vec::new();
    let total = learners * per_worker + 1;
    for chunk in (0..total).collect::<Vec<_>>().chunks(8) {
        let made: Vec<_> = chunk
            .iter()
            .map(|i| {
                let (services, system) = (services.clone(), system.clone());
                let cmd = nexus_app::accounts::CreateAccount {
                    email: Email::parse(&format!("u{i}@bench.example")).unwrap(),
                    display_name: format!("Learner {i}"),
                    role: Role::Learner,
                    password: Password::parse("benchmark password 2026").unwrap(),
                };
                tokio::spawn(async move { services.accounts.create(&system, t, cmd).await })
            })
            .collect();
        for m in made {
            users.push(m.await.unwrap().unwrap().id);
        }
    }
    let now = nexus_domain::Clock::now(&SystemClock);
    let limits: Arc<Vec<(String, Decimal)>> = Arc::new(
        RESTING
            .iter()
            .map(|s| {
                let last = services.sim.hub().quote(s, now).unwrap().last;
                ((*s).to_owned(), (last / Decimal::TWO).round_dp(2))
            })
            .collect(),
    );
    // Warm-up, untimed: open each practice portfolio (first use) with one market buy.
    for u in &users {
        services
            .sim
            .place(&as_learner(t, *u), t, market("buy"))
            .await
            .unwrap();
    }
    if backend == "postgres" {
        // Statistics, as autovacuum keeps them on a live database: the scratch
        // database is minutes old, and without them the planner guesses one row per
        // table and picks the wrong index for some statements.
        let url = &scratch.as_ref().unwrap().url;
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query("analyze").execute(&mut c).await.unwrap();
    }

    let pg_before = if backend == "postgres" {
        pgbench(&admin, pool, secs).await
    } else {
        None
    };

    let placed = Arc::new(AtomicU64::new(0));
    let (cpu0, (busy0, total0)) = (own_cpu_secs(), machine_cpu_secs());
    let began = Instant::now();
    let deadline = began + Duration::from_secs(secs);
    let tasks: Vec<_> = users[1..]
        .chunks(per_worker)
        .map(|own| {
            // Per learner: the caller, their market-order count (the warm-up bought 1,
            // so each starts by selling it) and their order count.
            let mut mine: Vec<(Caller, u64, u64)> =
                own.iter().map(|u| (as_learner(t, *u), 1, 0)).collect();
            let services = services.clone();
            let (placed, limits) = (placed.clone(), limits.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut turn = 0usize;
                while Instant::now() < deadline
                    && placed.fetch_add(1, Ordering::Relaxed) < max_orders
                {
                    let (caller, market_count, k) = &mut mine[turn % per_worker];
                    turn += 1;
                    let (is_market, req) = nth_order(*k, market_count, &limits);
                    *k += 1;
                    let at = Instant::now();
                    match services.sim.place(caller, t, req).await {
                        Ok(p) => {
                            let ms = at.elapsed().as_secs_f64() * 1000.0;
                            if is_market {
                                tally.market_ms.push(ms);
                                tally.filled += u64::from(!p.fills.is_empty());
                            } else {
                                tally.resting_ms.push(ms);
                            }
                        }
                        Err(e) => {
                            let key: String = e.to_string().chars().take(90).collect();
                            *tally.errors.entry(key).or_default() += 1;
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap();
        all.market_ms.extend(tally.market_ms);
        all.resting_ms.extend(tally.resting_ms);
        all.filled += tally.filled;
        for (k, v) in tally.errors {
            *all.errors.entry(k).or_default() += v;
        }
    }
    let wall = began.elapsed().as_secs_f64();
    let (cpu1, (busy1, total1)) = (own_cpu_secs(), machine_cpu_secs());

    let pg_after = if backend == "postgres" {
        pgbench(&admin, pool, secs).await
    } else {
        None
    };

    let n_market = all.market_ms.len();
    let n_resting = all.resting_ms.len();
    let ok = n_market + n_resting;
    let failed: u64 = all.errors.values().sum();
    let per_s = ok as f64 / wall;
    let mut every: Vec<f64> = all
        .market_ms
        .iter()
        .chain(&all.resting_ms)
        .copied()
        .collect();
    println!(
        "backend={backend} cores={} seconds={secs} (wall {wall:.2}) workers={learners} learners={} pool={pool} max_orders={max_orders}",
        std::thread::available_parallelism().map_or(0, usize::from),
        learners * per_worker
    );
    println!(
        "orders placed        {per_s:>10.0} /s   ({ok} ok: {n_market} market, {} of them filled; {n_resting} resting; {failed} failed)",
        all.filled
    );
    println!(
        "latency all          p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        quantile(&mut every, 0.5),
        quantile(&mut every, 0.95),
        quantile(&mut every, 0.99)
    );
    println!(
        "latency market       p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        quantile(&mut all.market_ms, 0.5),
        quantile(&mut all.market_ms, 0.95),
        quantile(&mut all.market_ms, 0.99)
    );
    println!(
        "latency resting      p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        quantile(&mut all.resting_ms, 0.5),
        quantile(&mut all.resting_ms, 0.95),
        quantile(&mut all.resting_ms, 0.99)
    );
    println!(
        "cpu: this process {:.0} µs per order ({:.2} cores); machine busy {:.2} of {:.2} cores (everything: database, other work)",
        (cpu1 - cpu0) * 1e6 / ok.max(1) as f64,
        (cpu1 - cpu0) / wall,
        (busy1 - busy0) / wall,
        (total1 - total0) / wall
    );
    println!(
        "at the end each learner had about {:.0} fills and {:.0} resting orders (load_book reads them all on every order)",
        n_market as f64 / (learners * per_worker) as f64 + 1.0,
        n_resting as f64 / (learners * per_worker) as f64
    );
    for (e, n) in &all.errors {
        println!("  error x{n}: {e}");
    }
    if let (Some(b), Some(a)) = (pg_before, pg_after) {
        let mean = f64::midpoint(b, a);
        println!(
            "baseline pgbench -N  {b:>10.0} tps before, {a:.0} after, -c {pool} -j 2 -T {secs} (scale 10)"
        );
        println!(
            "ratio orders/s : pgbench tps (mean) {:>6.3}   bar >= 2000/s: {}   bar >= 0.5: {}",
            per_s / mean,
            if per_s >= 2000.0 { "met" } else { "NOT met" },
            if per_s / mean >= 0.5 {
                "met"
            } else {
                "NOT met"
            }
        );
    }

    // ---- profile: one learner, one order at a time, statements counted ------------
    // Market orders on a fresh portfolio, again after 400 more fills, and again with
    // 300 of the learner's own limit orders resting; then resting orders.
    let caller = as_learner(t, users[0]);
    let mut market_count = 1u64;
    let mut next_market = || {
        let side = if market_count.is_multiple_of(2) {
            "buy"
        } else {
            "sell"
        };
        market_count += 1;
        market(side)
    };
    let phases: [(&str, usize, usize); 3] = [
        ("market, 1-100 fills, 0 resting", 0, 0),
        ("market, 400-500 fills, 0 resting", 300, 0),
        ("market, 500-600 fills, 300 resting", 0, 300),
    ];
    for (i, (label, more_fills, more_resting)) in phases.into_iter().enumerate() {
        for _ in 0..more_fills {
            services.sim.place(&caller, t, next_market()).await.unwrap();
        }
        for j in 0..more_resting {
            let (s, l) = &limits[j % limits.len()];
            services
                .sim
                .place(&caller, t, resting(s, *l))
                .await
                .unwrap();
        }
        count_start();
        let mut v = Vec::new();
        for _ in 0..100 {
            let req = next_market();
            let at = Instant::now();
            services.sim.place(&caller, t, req).await.unwrap();
            v.push(at.elapsed().as_secs_f64() * 1000.0);
        }
        let (n, kinds) = count_stop();
        profile_line(label, &mut v, n);
        if i == 0 {
            for (k, c) in kinds {
                println!("    {:>6.2} x  {k}", c as f64 / 100.0);
            }
        }
    }
    count_start();
    let mut v = Vec::new();
    for j in 0..100 {
        let (s, l) = &limits[j % limits.len()];
        let at = Instant::now();
        services
            .sim
            .place(&caller, t, resting(s, *l))
            .await
            .unwrap();
        v.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    let (n, _) = count_stop();
    profile_line("resting, 600 fills, 300-400 resting", &mut v, n);
    db.close().await;
    if let Some(s) = scratch {
        s.drop_db().await;
    }
    if let Some(dir) = sqlite_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
