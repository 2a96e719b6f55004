//! Usage metering and monthly quotas.
//!
//! [`Meter::record`] counts a request in memory (one short mutex hold, no I/O), and
//! [`Meter::flush`] writes the counts to the store, one batch per tenant. The server
//! flushes on an interval and once more after the HTTP server has drained at shutdown,
//! so a graceful stop loses nothing and no request waits on a database write. A batch
//! whose write fails goes back into memory and is retried with the next flush.
//!
//! The monthly quota counts a tenant's units this month: what the store holds (read at
//! most every [`PERSISTED_FRESH`] per tenant, never while a flush runs), plus what this
//! node is flushing, plus what it still holds, plus what requests admitted but not yet
//! finished have reserved. Other replicas' unflushed counts are not seen, so with `n`
//! replicas a tenant can overrun its quota by up to `n` flush intervals' worth of
//! traffic (plus [`PERSISTED_FRESH`]): a soft limit, documented as such.

use crate::AppError;
use nexus_domain::Clock;
use nexus_domain::TenantId;
use nexus_domain::tenancy::Plan;
use nexus_domain::usage::{
    Caller, LatencyBucket, UsageCount, UsageGroup, UsageKey, UsageRow, UsageTotal, hour_of,
    month_of, next_month, status_class,
};
use nexus_store::UsageStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use time::OffsetDateTime;

/// How long a tenant's stored monthly units are trusted before they are read again.
pub const PERSISTED_FRESH: time::Duration = time::Duration::seconds(30);

/// The widest range a summary or export may cover.
pub const MAX_RANGE_DAYS: i64 = 93;

/// Rows an export returns at most; a range holding more is refused, not cut short.
pub const MAX_EXPORT_ROWS: u32 = 100_000;

/// How long the quota waits for the stored monthly units.
const RELOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Monthly unit quotas by plan (`None`: unlimited).
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotaSettings {
    /// In [`Plan::ALL`] order: free, basic, advanced, professional.
    pub monthly_units: [Option<u64>; 4],
}

impl QuotaSettings {
    /// The quota of `plan`.
    pub fn for_plan(&self, plan: Plan) -> Option<u64> {
        self.monthly_units[plan.index()]
    }
}

/// A request refused because the month's quota is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExhausted {
    /// The plan's monthly units.
    pub limit: u64,
    /// Units counted this month.
    pub used: u64,
    /// When the quota starts over (the next month, UTC).
    pub resets_at: OffsetDateTime,
}

/// One tenant's units this month, as this node knows them.
#[derive(Debug, Default)]
struct Tally {
    month: Option<OffsetDateTime>,
    /// From the store, and when it was read (`None`: never).
    persisted: u64,
    loaded_at: Option<OffsetDateTime>,
    /// Taken by a flush that has not finished.
    in_flight: u64,
    /// Still only in memory.
    pending: u64,
}

impl Tally {
    fn total(&self) -> u64 {
        self.persisted
            .saturating_add(self.in_flight)
            .saturating_add(self.pending)
    }

    /// Starts over when the month turned.
    fn roll(&mut self, month: OffsetDateTime) {
        if self.month != Some(month) {
            *self = Self {
                month: Some(month),
                ..Self::default()
            };
        }
    }
}

/// Counts by tenant, hashed with foldhash: the keys are server-made (tenant IDs, route
/// templates, key IDs), and SipHash's flooding defence was a measurable share of each
/// metered request.
type Counts = foldhash::HashMap<UsageKey, UsageCount>;

#[derive(Debug, Default)]
struct Pending {
    counts: foldhash::HashMap<TenantId, Counts>,
    tallies: foldhash::HashMap<TenantId, Tally>,
}

/// What one flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Rows written.
    pub rows: usize,
    /// Tenants whose batch failed (kept for the next flush).
    pub failed: usize,
    /// Requests in the failed batches.
    pub failed_requests: u64,
}

/// The in-memory meter.
pub struct Meter {
    pending: Mutex<Pending>,
    store: Arc<dyn UsageStore>,
    clock: Arc<dyn Clock>,
    quotas: QuotaSettings,
    /// Serialises flushes, so an interval flush and the shutdown flush never interleave.
    flushing: tokio::sync::Mutex<()>,
    /// `nexus_api_calls_total` by plan, registered at the first call (the recorder is
    /// installed by then) rather than looked up by name and label on each.
    api_calls: std::sync::OnceLock<[metrics::Counter; 4]>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("quotas", &self.quotas)
            .finish_non_exhaustive()
    }
}

/// One request, as the gateway saw it.
#[derive(Debug, Clone)]
pub struct Metered {
    /// The tenant it named.
    pub tenant: TenantId,
    /// Who called.
    pub caller: Caller,
    /// `METHOD /v1/template`.
    pub route: String,
    /// The response status.
    pub status: u16,
    /// Time to the response, in microseconds.
    pub micros: u64,
    /// Units charged (0 unless an API key made it and it did not fail on our side).
    pub units: u64,
    /// Units [`Meter::check_quota`] reserved for it at admission (released here).
    pub reserved: u64,
}

impl Meter {
    /// A meter writing to `store`.
    pub fn new(store: Arc<dyn UsageStore>, clock: Arc<dyn Clock>, quotas: QuotaSettings) -> Self {
        Self {
            pending: Mutex::new(Pending::default()),
            store,
            clock,
            quotas,
            flushing: tokio::sync::Mutex::new(()),
            api_calls: std::sync::OnceLock::new(),
        }
    }

    /// Counts one API-key call in `nexus_api_calls_total{plan}`.
    pub fn count_api_call(&self, plan: Plan) {
        let calls = self.api_calls.get_or_init(|| {
            Plan::ALL.map(|p| metrics::counter!("nexus_api_calls_total", "plan" => p.as_str()))
        });
        calls[plan.index()].increment(1);
    }

    /// A meter without quotas.
    pub fn unlimited(store: Arc<dyn UsageStore>, clock: Arc<dyn Clock>) -> Self {
        Self::new(store, clock, QuotaSettings::default())
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves counts that are still counts.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one request in memory.
    pub fn record(&self, m: Metered) {
        let now = self.clock.now();
        let key = UsageKey {
            hour: hour_of(now),
            caller: m.caller,
            route: m.route,
            status_class: status_class(m.status),
            latency: LatencyBucket::of_micros(m.micros),
        };
        let count = UsageCount {
            requests: 1,
            units: m.units,
        };
        let mut p = self.lock();
        p.counts
            .entry(m.tenant)
            .or_default()
            .entry(key)
            .or_default()
            .add(count);
        if m.units > 0 || m.reserved > 0 {
            let t = p.tallies.entry(m.tenant).or_default();
            t.roll(month_of(now));
            t.pending = t.pending.saturating_add(m.units).saturating_sub(m.reserved);
        }
    }

    /// Requests held in memory, not yet flushed.
    pub fn pending_requests(&self) -> u64 {
        self.lock()
            .counts
            .values()
            .flat_map(HashMap::values)
            .map(|c| c.requests)
            .sum()
    }

    /// Writes every count held in memory. A tenant whose write fails keeps its counts
    /// for the next flush; the others are written regardless.
    pub async fn flush(&self) -> FlushReport {
        let _one_at_a_time = self.flushing.lock().await;
        let month = month_of(self.clock.now());
        let taken = {
            let mut p = self.lock();
            let taken = std::mem::take(&mut p.counts);
            for (tenant, counts) in &taken {
                let units = units_in(counts, month);
                let t = p.tallies.entry(*tenant).or_default();
                if t.month == Some(month) {
                    t.pending = t.pending.saturating_sub(units);
                    t.in_flight = t.in_flight.saturating_add(units);
                }
            }
            taken
        };
        let mut report = FlushReport::default();
        for (tenant, counts) in taken {
            let units = units_in(&counts, month);
            let rows: Vec<UsageRow> = counts
                .iter()
                .map(|(key, count)| UsageRow {
                    key: key.clone(),
                    count: *count,
                })
                .collect();
            let written = self.store.add(tenant, &rows).await;
            let mut p = self.lock();
            let t = p.tallies.entry(tenant).or_default();
            let same_month = t.month == Some(month);
            if same_month {
                t.in_flight = t.in_flight.saturating_sub(units);
            }
            match written {
                Ok(()) => {
                    report.rows += rows.len();
                    if same_month {
                        t.persisted = t.persisted.saturating_add(units);
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    report.failed_requests += counts.values().map(|c| c.requests).sum::<u64>();
                    if same_month {
                        t.pending = t.pending.saturating_add(units);
                    }
                    tracing::warn!(tenant = %tenant, error = %e, "usage flush failed; kept for the next one");
                    let mine = p.counts.entry(tenant).or_default();
                    for (key, count) in counts {
                        mine.entry(key).or_default().add(count);
                    }
                }
            }
        }
        metrics::counter!("nexus_usage_rows_flushed_total").increment(report.rows as u64);
        if report.failed > 0 {
            metrics::counter!("nexus_usage_flush_failures_total").increment(report.failed as u64);
        }
        report
    }

    /// Refuses a request of `cost` units when the tenant's plan has a monthly quota and
    /// it is spent; otherwise reserves `cost` until the request is recorded (pass it as
    /// [`Metered::reserved`]), so concurrent requests cannot all pass on one last unit.
    /// Reads the store at most every [`PERSISTED_FRESH`] per tenant, by one caller at a
    /// time and never while a flush runs (either could make a read that races a
    /// flush's commit count those units twice or not at all). When the read fails, the
    /// last figure stands and the next read waits [`PERSISTED_FRESH`]: a database
    /// outage does not stall every request on the quota.
    pub async fn check_quota(
        &self,
        tenant: TenantId,
        plan: Plan,
        cost: u64,
    ) -> Result<(), QuotaExhausted> {
        let Some(limit) = self.quotas.for_plan(plan) else {
            return Ok(());
        };
        let now = self.clock.now();
        let month = month_of(now);
        let stale = {
            let mut p = self.lock();
            let t = p.tallies.entry(tenant).or_default();
            t.roll(month);
            t.loaded_at.is_none_or(|at| now - at >= PERSISTED_FRESH)
        };
        if stale && let Ok(_no_flush) = self.flushing.try_lock() {
            // Claim the reload first, so concurrent requests do not all read.
            self.lock().tallies.entry(tenant).or_default().loaded_at = Some(now);
            let read = tokio::time::timeout(
                RELOAD_TIMEOUT,
                self.store.units(tenant, month, next_month(now)),
            )
            .await;
            match read {
                Ok(Ok(stored)) => {
                    let mut p = self.lock();
                    let t = p.tallies.entry(tenant).or_default();
                    t.roll(month);
                    // No flush ran since the read began (we hold its lock), so the
                    // store's figure replaces everything this node already flushed.
                    t.persisted = stored;
                }
                Ok(Err(e)) => {
                    tracing::warn!(tenant = %tenant, error = %e, "monthly units unreadable; keeping the last figure");
                }
                Err(_) => {
                    tracing::warn!(tenant = %tenant, "monthly units read timed out; keeping the last figure");
                }
            }
        }
        let mut p = self.lock();
        let t = p.tallies.entry(tenant).or_default();
        t.roll(month);
        let used = t.total();
        if used.saturating_add(cost) > limit {
            return Err(QuotaExhausted {
                limit,
                used,
                resets_at: next_month(now),
            });
        }
        t.pending = t.pending.saturating_add(cost);
        Ok(())
    }

    /// The tenant's usage in `[from, to)`, grouped; latency groups in bucket order.
    /// Counts not yet flushed are not included.
    pub async fn totals(
        &self,
        tenant: TenantId,
        range: UsageRange,
        group: UsageGroup,
    ) -> Result<Vec<UsageTotal>, AppError> {
        let mut totals = self
            .store
            .totals(tenant, range.from, range.to, group)
            .await
            .map_err(|e| AppError::from_store("usage", e))?;
        if group == UsageGroup::Latency {
            totals.sort_by_key(|t| LatencyBucket::parse(&t.group));
        }
        Ok(totals)
    }

    /// The hourly rows in `[from, to)`, for export (at most [`MAX_EXPORT_ROWS`]).
    pub async fn rows(
        &self,
        tenant: TenantId,
        range: UsageRange,
    ) -> Result<Vec<UsageRow>, AppError> {
        self.store
            .rows(tenant, range.from, range.to, MAX_EXPORT_ROWS)
            .await
            .map_err(|e| AppError::from_store("usage", e))
    }

    /// Units charged this month and already flushed, on every node (what the store
    /// holds; the quota also counts what nodes still hold in memory).
    pub async fn month_units(&self, tenant: TenantId) -> Result<u64, AppError> {
        let now = self.clock.now();
        self.store
            .units(tenant, month_of(now), next_month(now))
            .await
            .map_err(|e| AppError::from_store("usage", e))
    }

    /// The monthly quota of `plan`.
    pub fn quota(&self, plan: Plan) -> Option<u64> {
        self.quotas.for_plan(plan)
    }
}

fn ceil_hour(at: OffsetDateTime) -> OffsetDateTime {
    let down = hour_of(at);
    if down == at {
        down
    } else {
        down + time::Duration::hours(1)
    }
}

fn units_in(counts: &Counts, month: OffsetDateTime) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| month_of(k.hour) == month)
        .map(|(_, c)| c.units)
        .sum()
}

/// A validated range of hours: `from < to`, at most [`MAX_RANGE_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRange {
    /// Inclusive.
    pub from: OffsetDateTime,
    /// Exclusive.
    pub to: OffsetDateTime,
}

impl UsageRange {
    /// Parses optional bounds; the default is the current month to date.
    pub fn parse(
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Self, AppError> {
        // Rows are whole hours: `from` rounds down and `to` up, so an hour is in a range
        // exactly when part of it is.
        let to = to.map_or_else(|| hour_of(now) + time::Duration::hours(1), ceil_hour);
        let from = from.map_or_else(|| month_of(now).min(to - time::Duration::hours(1)), hour_of);
        let mut errors = nexus_domain::FieldErrors::default();
        if from >= to {
            errors.push("from", "before_to", "from must be before to");
        } else if to - from > time::Duration::days(MAX_RANGE_DAYS) {
            errors.push(
                "to",
                "range_too_long",
                format!("a range covers at most {MAX_RANGE_DAYS} days"),
            );
        }
        Ok(errors.finish(|| Some(Self { from, to }))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ranges_default_to_the_month_to_date_and_are_bounded() {
        let now = datetime!(2026-11-27 10:30 UTC);
        let r = UsageRange::parse(None, None, now).unwrap();
        assert_eq!(r.from, datetime!(2026-11-01 0:00 UTC));
        assert_eq!(r.to, datetime!(2026-11-27 11:00 UTC));
        let early = datetime!(2026-11-01 0:10 UTC);
        let r = UsageRange::parse(None, None, early).unwrap();
        assert_eq!(
            (r.from, r.to),
            (
                datetime!(2026-11-01 0:00 UTC),
                datetime!(2026-11-01 1:00 UTC)
            )
        );
        let hour = datetime!(2026-11-27 10:00 UTC);
        assert!(UsageRange::parse(Some(hour), Some(hour), now).is_err());
        let r = UsageRange::parse(Some(now), Some(now + time::Duration::minutes(1)), now).unwrap();
        assert_eq!(
            (r.from, r.to),
            (
                datetime!(2026-11-27 10:00 UTC),
                datetime!(2026-11-27 11:00 UTC)
            )
        );
        assert!(UsageRange::parse(Some(datetime!(2026-01-01 0:00 UTC)), Some(now), now).is_err());
    }
}
