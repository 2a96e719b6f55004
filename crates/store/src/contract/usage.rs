//! Usage cases: flushes add to existing counts (and fold repeated keys), summaries by
//! each dimension, exports in order, the unit count over a range, purging, and tenant
//! isolation.

use super::*;
use nexus_domain::apikey::ApiKeyId;
use nexus_domain::usage::{
    Caller, LatencyBucket, UsageCount, UsageGroup, UsageKey, UsageRow, UsageTotal,
};
use time::macros::datetime;

fn row(
    hour: time::OffsetDateTime,
    caller: Caller,
    route: &str,
    status: u8,
    ms: u64,
    n: u64,
    units: u64,
) -> UsageRow {
    UsageRow {
        key: UsageKey {
            hour,
            caller,
            route: route.to_owned(),
            status_class: status,
            latency: LatencyBucket::of_micros(ms * 1000),
        },
        count: UsageCount { requests: n, units },
    }
}

fn total(group: &str, requests: u64, units: u64) -> UsageTotal {
    UsageTotal {
        group: group.to_owned(),
        count: UsageCount { requests, units },
    }
}

pub(super) async fn usage_counts_add_and_summarise(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "usage", "Usage").await;
    let other = add_tenant(&db, &c, "usage-2", "Other").await;
    let usage = db.usage();
    let key = Caller::Key(ApiKeyId::from_uuid(uuid::Uuid::now_v7()));
    let h1 = datetime!(2026-11-30 23:00 UTC);
    let h2 = datetime!(2026-12-01 00:00 UTC);
    let h3 = datetime!(2026-12-01 01:00 UTC);

    usage
        .add(
            t,
            &[
                row(h1, key, "GET /v1/courses", 2, 3, 10, 10),
                // The same key twice in one batch folds into one row.
                row(h1, key, "GET /v1/courses", 2, 4, 5, 5),
                row(h2, Caller::Session, "POST /v1/sim/orders", 2, 40, 3, 6),
                row(h2, Caller::Anonymous, "POST /v1/auth/login", 4, 120, 7, 0),
            ],
        )
        .await
        .unwrap();
    // A second flush adds to the counts it meets.
    usage
        .add(
            t,
            &[
                row(h2, Caller::Session, "POST /v1/sim/orders", 2, 45, 2, 4),
                row(h3, key, "GET /v1/courses", 5, 2_000, 1, 1),
            ],
        )
        .await
        .unwrap();
    usage.add(t, &[]).await.unwrap();
    usage
        .add(
            other,
            &[row(h2, key, "GET /v1/courses", 2, 1, 1_000, 1_000)],
        )
        .await
        .unwrap();

    let all = |g| usage.totals(t, h1, h3 + time::Duration::hours(1), g);
    assert_eq!(
        all(UsageGroup::Day).await.unwrap(),
        vec![total("2026-11-30", 15, 15), total("2026-12-01", 13, 11)]
    );
    assert_eq!(
        all(UsageGroup::Route).await.unwrap(),
        vec![
            total("GET /v1/courses", 16, 16),
            total("POST /v1/auth/login", 7, 0),
            total("POST /v1/sim/orders", 5, 10),
        ]
    );
    let mut callers = vec![
        total(&key.to_text(), 16, 16),
        total("anonymous", 7, 0),
        total("session", 5, 10),
    ];
    callers.sort_by(|a, b| a.group.cmp(&b.group));
    assert_eq!(all(UsageGroup::Caller).await.unwrap(), callers);
    assert_eq!(
        all(UsageGroup::Status).await.unwrap(),
        vec![total("2xx", 20, 25), total("4xx", 7, 0), total("5xx", 1, 1)]
    );
    let latency = all(UsageGroup::Latency).await.unwrap();
    assert!(latency.contains(&total("lt_5ms", 15, 15)), "{latency:?}");
    assert!(latency.contains(&total("lt_50ms", 5, 10)), "{latency:?}");
    assert!(latency.contains(&total("lt_250ms", 7, 0)), "{latency:?}");
    assert!(latency.contains(&total("ge_1000ms", 1, 1)), "{latency:?}");

    // The range is half-open on hours.
    assert_eq!(
        usage.totals(t, h2, h3, UsageGroup::Day).await.unwrap(),
        vec![total("2026-12-01", 12, 10)]
    );
    assert_eq!(
        usage
            .units(t, h2, h3 + time::Duration::hours(1))
            .await
            .unwrap(),
        11
    );
    assert_eq!(usage.units(t, h1, h2).await.unwrap(), 15);
    assert_eq!(usage.units(other, h1, h3).await.unwrap(), 1_000);

    let rows = usage
        .rows(t, h1, h3 + time::Duration::hours(1), 100)
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], row(h1, key, "GET /v1/courses", 2, 3, 15, 15));
    assert_eq!(rows[3], row(h3, key, "GET /v1/courses", 5, 2_000, 1, 1));
    assert!(rows.windows(2).all(|w| w[0].key.hour <= w[1].key.hour));
    assert!(rows.contains(&row(
        h2,
        Caller::Session,
        "POST /v1/sim/orders",
        2,
        40,
        5,
        10
    )));
    assert_eq!(usage.rows(t, h1, h3, 1).await.unwrap().len(), 1);

    // Purging takes whole hours before the cut, and only this tenant's.
    assert_eq!(usage.purge_before(t, h2).await.unwrap(), 1);
    assert_eq!(usage.units(t, h1, h2).await.unwrap(), 0);
    assert_eq!(usage.units(other, h1, h3).await.unwrap(), 1_000);
    assert_eq!(
        usage
            .rows(t, h1, h3 + time::Duration::hours(1), 100)
            .await
            .unwrap()
            .len(),
        3
    );
}
