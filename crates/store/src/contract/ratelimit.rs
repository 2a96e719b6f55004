//! Rate-limiter cases, run in process and on Redis. Each case gets a factory of
//! limiter handles on one shared backend state: for Redis each handle is its own
//! client (as separate app instances would be), in process they share the one map.

use crate::RateLimitStore;
use nexus_domain::ratelimit::Quota;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Makes limiter handles on one backend.
pub type LimiterFactory = Arc<dyn Fn() -> Arc<dyn RateLimitStore> + Send + Sync>;
/// A boxed async limiter case.
pub type LimiterCase = fn(LimiterFactory) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every limiter case, by name.
pub const LIMITER_CASES: &[(&str, LimiterCase)] = &[
    ("limiter_burst_cost_and_refusal", |f| {
        Box::pin(limiter_burst_cost_and_refusal(f))
    }),
    (
        "limiter_decides_buckets_in_order_and_stops_at_a_refusal",
        |f| Box::pin(limiter_decides_buckets_in_order_and_stops_at_a_refusal(f)),
    ),
    ("limiter_instances_never_admit_more_than_the_budget", |f| {
        Box::pin(limiter_instances_never_admit_more_than_the_budget(f))
    }),
];

fn fresh(name: &str) -> String {
    format!("{name}:{}", uuid::Uuid::new_v4().simple())
}

async fn limiter_burst_cost_and_refusal(make: LimiterFactory) {
    let limiter = make();
    let quota = Quota::per(5, Duration::from_mins(1));
    let key = fresh("burst");
    for left in (0..5).rev() {
        let d = limiter.acquire(&key, quota, 1).await.unwrap();
        assert!(d.allowed, "{d:?}");
        assert_eq!(d.remaining, left);
    }
    let d = limiter.acquire(&key, quota, 1).await.unwrap();
    assert!(!d.allowed);
    assert_eq!(d.remaining, 0);
    // One unit drains every 12 s; the refused request is not recorded.
    assert!((11..=12).contains(&d.retry_after_secs()), "{d:?}");
    assert!((59..=60).contains(&d.reset_secs()), "{d:?}");
    assert!(!limiter.acquire(&key, quota, 1).await.unwrap().allowed);

    // Keys are independent; a cost draws several units at once.
    let other = fresh("cost");
    let d = limiter.acquire(&other, quota, 3).await.unwrap();
    assert_eq!((d.allowed, d.remaining), (true, 2));
    let d = limiter.acquire(&other, quota, 3).await.unwrap();
    assert!(!d.allowed, "three more than the two left: {d:?}");
    let d = limiter.acquire(&other, quota, 2).await.unwrap();
    assert_eq!((d.allowed, d.remaining), (true, 0));

    // A short window refills.
    let quick = Quota::per(2, Duration::from_millis(200));
    let key = fresh("refill");
    assert!(limiter.acquire(&key, quick, 2).await.unwrap().allowed);
    assert!(!limiter.acquire(&key, quick, 1).await.unwrap().allowed);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(limiter.acquire(&key, quick, 2).await.unwrap().allowed);
}

async fn limiter_decides_buckets_in_order_and_stops_at_a_refusal(make: LimiterFactory) {
    let limiter = make();
    let minute = |n| Quota::per(n, Duration::from_mins(1));
    let (a, b, c) = (fresh("all-a"), fresh("all-b"), fresh("all-c"));
    let buckets = [
        (a.as_str(), minute(2)),
        (b.as_str(), minute(1)),
        (c.as_str(), minute(5)),
    ];
    let first = limiter.acquire_all(&buckets, 1).await.unwrap();
    let remaining: Vec<_> = first.iter().map(|d| (d.allowed, d.remaining)).collect();
    assert_eq!(remaining, [(true, 1), (true, 0), (true, 4)]);
    // `b` refuses: `a` before it is charged, `c` after it is not touched.
    let second = limiter.acquire_all(&buckets, 1).await.unwrap();
    let remaining: Vec<_> = second.iter().map(|d| (d.allowed, d.remaining)).collect();
    assert_eq!(remaining, [(true, 0), (false, 0)]);
    assert!(
        (59..=60).contains(&second[1].retry_after_secs()),
        "{second:?}"
    );
    let d = limiter.acquire(&c, minute(5), 1).await.unwrap();
    assert_eq!(
        (d.allowed, d.remaining),
        (true, 3),
        "c was charged once before"
    );
    // `a` is spent now: it refuses first, and nothing after it is decided.
    let third = limiter.acquire_all(&buckets, 1).await.unwrap();
    assert_eq!(third.len(), 1);
    assert!(!third[0].allowed);
    assert!(limiter.acquire_all(&[], 1).await.unwrap().is_empty());
}

async fn limiter_instances_never_admit_more_than_the_budget(make: LimiterFactory) {
    // Four instances, 400 concurrent requests for one key with a budget of 50 that
    // does not refill meaningfully during the test (one unit per 72 s).
    let quota = Quota::per(50, Duration::from_hours(1));
    let key = fresh("shared");
    let instances: Vec<Arc<dyn RateLimitStore>> = (0..4).map(|_| make()).collect();
    let mut tasks = Vec::new();
    for i in 0..400 {
        let limiter = instances[i % 4].clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire(&key, quota, 1).await.unwrap().allowed
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        admitted += usize::from(t.await.unwrap());
    }
    assert_eq!(admitted, 50, "admitted exactly the budget");
}
