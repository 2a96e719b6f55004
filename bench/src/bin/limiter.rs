//! The shared rate limiter (issue 6): decisions per second from one instance on Redis,
//! beside a plain Redis round trip (`PING` through the same client) and the in-process
//! limiter, all in the same run; a request's three buckets decided by three calls and
//! by one batch (`acquire_all`, one script call); then the budget under concurrency: four instances (four
//! separate clients, as four app replicas) race for one key and must admit exactly the
//! budget.
//!
//!   cargo run --release -p nexus-bench --bin limiter -- [seconds=5] [concurrency=32]
//!
//! Redis: `NEXUS_BENCH_REDIS_URL`, default `redis://127.0.0.1:6379`; keys go under a
//! fresh random prefix. Bounded by duration and count; targets 127.0.0.1 only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use nexus_domain::ratelimit::Quota;
use nexus_store::{CacheStore, MemoryRateLimits, RateLimitStore};
use nexus_store_redis::{RedisCache, RedisRateLimits};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs `op` from `concurrency` tasks for `secs`; returns operations per second.
async fn rate<F, Fut>(secs: u64, concurrency: usize, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let (op, done) = (op.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < until {
                    op(t as u64 * 1_000_000 + i).await;
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Four instances, 8 tasks each, 20,000 attempts at one key with a budget of 1,000 per
/// hour (nothing drains during the race); returns how many were admitted.
async fn race(url: &str, prefix: &str, timeout: Duration) -> u64 {
    // Correctness: four instances, 8 tasks each, 20,000 attempts at one key, budget 1,000
    // per hour (nothing drains during the race).
    let budget = Quota::per(1_000, Duration::from_hours(1));
    let instances: Vec<Arc<dyn RateLimitStore>> = (0..4)
        .map(|_| {
            Arc::new(RedisRateLimits::new(url, prefix, timeout).unwrap()) as Arc<dyn RateLimitStore>
        })
        .collect();
    let admitted = Arc::new(AtomicU64::new(0));
    let attempts = 20_000u64;
    let per_task = attempts / 32;
    let mut tasks = Vec::new();
    for inst in &instances {
        for _ in 0..8 {
            let (inst, admitted) = (inst.clone(), admitted.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    if inst.acquire("race", budget, 1).await.unwrap().allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    admitted.load(Ordering::Relaxed)
}

/// A request's three buckets (key, tenant, IP) decided by three calls, then by one
/// batch: requests per second of each.
async fn three_buckets(
    redis: &Arc<dyn RateLimitStore>,
    secs: u64,
    concurrency: usize,
    quota: Quota,
) -> (f64, f64) {
    let r = redis.clone();
    let calls = rate(secs, concurrency, move |i| {
        let r = r.clone();
        async move {
            for b in ["key", "tenant", "ip"] {
                let key = format!("{b}{}", i % 10_000);
                assert!(r.acquire(&key, quota, 1).await.unwrap().allowed);
            }
        }
    })
    .await;
    let r = redis.clone();
    let batch = rate(secs, concurrency, move |i| {
        let r = r.clone();
        async move {
            let keys = ["key", "tenant", "ip"].map(|b| format!("{b}{}", i % 10_000));
            let buckets = keys.each_ref().map(|k| (k.as_str(), quota));
            let d = r.acquire_all(&buckets, 1).await.unwrap();
            assert!(d.len() == 3 && d.iter().all(|d| d.allowed));
        }
    })
    .await;
    (calls, batch)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);
    let url =
        std::env::var("NEXUS_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let timeout = Duration::from_secs(2);
    let huge = Quota::per(1_000_000_000, Duration::from_mins(1));
    println!(
        "limiter: cores={} seconds={secs} concurrency={concurrency}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let cache = Arc::new(RedisCache::new(&url, &prefix, timeout).unwrap());
    let redis: Arc<dyn RateLimitStore> =
        Arc::new(RedisRateLimits::new(&url, &prefix, timeout).unwrap());
    let local: Arc<dyn RateLimitStore> = Arc::new(MemoryRateLimits::new(1_000_000));
    cache.ping().await.unwrap();
    redis.acquire("warm", huge, 1).await.unwrap();

    // Alternate rounds so drift hits every variant alike.
    let rounds = 3;
    let (mut ping, mut shared, mut memory) = (0.0, 0.0, 0.0);
    // A request's three buckets (key, tenant, IP): three calls, or one batch.
    let (mut three_calls, mut one_batch) = (0.0, 0.0);
    for _ in 0..rounds {
        let c = cache.clone();
        ping += rate(secs, concurrency, move |_| {
            let c = c.clone();
            async move { c.ping().await.unwrap() }
        })
        .await;
        let r = redis.clone();
        shared += rate(secs, concurrency, move |i| {
            let r = r.clone();
            // 10,000 keys, as many clients would spread them.
            async move {
                assert!(
                    r.acquire(&format!("k{}", i % 10_000), huge, 1)
                        .await
                        .unwrap()
                        .allowed
                );
            }
        })
        .await;
        let (calls, batch) = three_buckets(&redis, secs, concurrency, huge).await;
        three_calls += calls;
        one_batch += batch;
        let l = local.clone();
        memory += rate(secs, concurrency, move |i| {
            let l = l.clone();
            async move {
                assert!(
                    l.acquire(&format!("k{}", i % 10_000), huge, 1)
                        .await
                        .unwrap()
                        .allowed
                );
            }
        })
        .await;
    }
    let [ping, shared, memory, three_calls, one_batch] =
        [ping, shared, memory, three_calls, one_batch].map(|total| total / f64::from(rounds));
    println!("redis PING (baseline)           {ping:>10.0} /s");
    println!(
        "redis limiter decisions         {shared:>10.0} /s   {:.3} of PING",
        shared / ping
    );
    println!("in-process limiter decisions    {memory:>10.0} /s");
    println!("redis, 3 buckets: 3 calls       {three_calls:>10.0} requests/s (baseline)");
    println!(
        "redis, 3 buckets: 1 batch       {one_batch:>10.0} requests/s   {:.2}x",
        one_batch / three_calls
    );

    let admitted = race(&url, &prefix, timeout).await;
    println!(
        "4 instances x 8 tasks, 20000 attempts, budget 1000: admitted {admitted} ({})",
        if admitted == 1_000 { "exact" } else { "WRONG" }
    );
    assert_eq!(
        admitted, 1_000,
        "the shared limiter admitted more or less than its budget"
    );
}
