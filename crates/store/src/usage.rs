//! Metered API usage. Tenant-owned: every method takes the `TenantId`. Rows are hourly
//! counts; writes add to them, so a retried flush of distinct batches never loses a
//! count (the meter only retries a batch that was not committed).

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::usage::{UsageGroup, UsageRow, UsageTotal};
use time::OffsetDateTime;

/// Stores metered usage.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Adds `rows` to the tenant's counts, all or none.
    async fn add(&self, tenant: TenantId, rows: &[UsageRow]) -> Result<(), StoreError>;
    /// Totals for hours in `[from, to)`, grouped, ordered by group.
    async fn totals(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        group: UsageGroup,
    ) -> Result<Vec<UsageTotal>, StoreError>;
    /// The hourly rows in `[from, to)`, ordered by hour then the other dimensions, at
    /// most `limit` of them (exports).
    async fn rows(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<UsageRow>, StoreError>;
    /// Units charged in `[from, to)` (the monthly quota's count).
    async fn units(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Deletes the tenant's hours before `before`; returns how many rows went.
    async fn purge_before(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// `rows` with repeated keys folded into one (a batch must not name a key twice in one
/// upsert).
pub fn merged(rows: &[UsageRow]) -> Vec<UsageRow> {
    let mut by_key: std::collections::BTreeMap<_, nexus_domain::usage::UsageCount> =
        std::collections::BTreeMap::new();
    for r in rows {
        by_key.entry(r.key.clone()).or_default().add(r.count);
    }
    by_key
        .into_iter()
        .map(|(key, count)| UsageRow { key, count })
        .collect()
}

/// The SQL expression a summary groups by, given the backend's day expression.
pub fn group_expr(group: UsageGroup, day: &'static str) -> &'static str {
    match group {
        UsageGroup::Day => day,
        UsageGroup::Route => "route",
        UsageGroup::Caller => "caller",
        UsageGroup::Status => "cast(status_class as text) || 'xx'",
        UsageGroup::Latency => "latency_bucket",
    }
}

/// Decodes a stored row's dimensions.
#[allow(clippy::too_many_arguments)]
pub fn decode_row(
    hour: OffsetDateTime,
    caller: &str,
    route: String,
    status_class: i64,
    latency: &str,
    requests: i64,
    units: i64,
) -> Result<UsageRow, StoreError> {
    use nexus_domain::usage::{Caller, LatencyBucket, UsageCount, UsageKey};
    let bad = |what: &str| StoreError::other("decoding usage", format!("bad {what}"));
    Ok(UsageRow {
        key: UsageKey {
            hour,
            caller: Caller::parse(caller).ok_or_else(|| bad("caller"))?,
            route,
            status_class: u8::try_from(status_class).map_err(|_| bad("status class"))?,
            latency: LatencyBucket::parse(latency).ok_or_else(|| bad("latency bucket"))?,
        },
        count: UsageCount {
            requests: u64::try_from(requests).map_err(|_| bad("request count"))?,
            units: u64::try_from(units).map_err(|_| bad("unit count"))?,
        },
    })
}
