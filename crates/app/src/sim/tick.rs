//! The tick loop: every tick, each open order that the price path since the last tick
//! could have touched is worked by the fill engine; day orders past their session's
//! close expire. In a multi-replica deployment exactly one node runs it, under the
//! `sim.tick` lease (see the server's background tasks).
//!
//! Most resting orders do not trade on a given tick, so a cheap pure pre-check
//! ([`may_trade`]) decides which ones are worth a transaction.

use super::SimService;
use crate::AppError;
use nexus_domain::TenantId;
use nexus_domain::paging::{MAX_LIMIT, PageRequest};
use nexus_domain::sim::Symbol;
use nexus_domain::tenancy::{TenantQuery, TenantStatus};
use nexus_store::TickFilter;
use nexus_trading::engine::{self, MarketSnapshot, OrderState};
use nexus_trading::order::{OrderSpec, OrderType, Side, TimeInForce};
use nexus_trading::rules::Rules;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Name of the lease that elects the tick runner.
pub const TICK_LEASE: &str = "sim.tick";

/// One tick's view of the market, shared by every tenant.
struct Window {
    snapshots: BTreeMap<String, MarketSnapshot>,
    filter: TickFilter,
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Open orders the store returned as possibly touched by the window.
    pub open: usize,
    /// Of those, orders the price path could have touched (or due to expire).
    pub candidates: usize,
    /// Orders that changed (filled, partly filled, triggered, expired, canceled).
    pub changed: usize,
    /// Orders whose working failed (logged; retried next tick).
    pub failed: usize,
}

/// Whether `snapshot` could make the resting order trade or trigger: the session lets
/// it trade, and the swept range crossed its limit or stop, or it is already a triggered
/// stop or a market order.
///
/// The session check matters as much as the price: orders placed while the market is
/// closed rest until it opens, and each one the price reached used to cost a write
/// transaction per tick that the engine then rolled back (on SQLite's one writer, the
/// cause of the load benchmark's write-latency tail). Known consequence: a resting order
/// of a competition that has ended is canceled (`competition_ended`, decided in `work`)
/// at the first tick the session allows it to trade, no longer possibly before; it
/// cannot trade in between.
pub fn may_trade(
    spec: &OrderSpec,
    state: &OrderState,
    snapshot: &MarketSnapshot,
    rules: &Rules,
) -> bool {
    if !snapshot.is_usable() || !engine::session_allows(spec, snapshot, rules) {
        return false;
    }
    let side = spec.side();
    let reaches = |price| match side {
        Side::Buy => snapshot.low <= price,
        Side::Sell => snapshot.high >= price,
    };
    let stops = |stop| match side {
        Side::Buy => snapshot.high >= stop,
        Side::Sell => snapshot.low <= stop,
    };
    match spec.order_type() {
        OrderType::Market => true,
        OrderType::Limit { limit } => reaches(limit),
        OrderType::Stop { stop } => state.triggered || stops(stop),
        OrderType::StopLimit { stop, limit } => {
            (state.triggered || stops(stop)) && (reaches(limit) || !state.triggered)
        }
    }
}

impl SimService {
    /// Runs one tick over every active tenant for the window `(since, now]`.
    pub async fn tick(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<TickReport, AppError> {
        let mut report = TickReport::default();
        let window = self.window(since, now);
        let mut offset = 0u64;
        loop {
            let page = self
                .db
                .tenants()
                .list(&TenantQuery {
                    status: Some(TenantStatus::Active),
                    page: PageRequest::new(Some(MAX_LIMIT), Some(offset)).unwrap_or_default(),
                    ..TenantQuery::default()
                })
                .await
                .map_err(|e| AppError::from_store("tenant", e))?;
            // One tenant's failure must not stop the others, nor make the next tick
            // repeat the tenants already done (their volume would count twice).
            for t in &page.items {
                if let Err(e) = self
                    .tick_tenant(t.id, &window, since, now, &mut report)
                    .await
                {
                    report.failed += 1;
                    tracing::warn!(tenant = %t.id, error = %e, "simulator tick failed for a tenant");
                }
            }
            offset += u64::from(MAX_LIMIT);
            if offset >= page.total {
                return Ok(report);
            }
        }
    }

    /// Every instrument's snapshot over `(since, now]` and the filter the store picks
    /// candidate orders with: computed once per tick, shared by all tenants.
    fn window(&self, since: OffsetDateTime, now: OffsetDateTime) -> Window {
        let snapshots: BTreeMap<String, MarketSnapshot> = self
            .hub
            .instruments()
            .iter()
            .filter_map(|i| Some((i.symbol.clone(), self.hub.snapshot(&i.symbol, since, now)?)))
            .collect();
        let current = self.hub.current_day(now);
        let due = if self.hub.session_close(current).is_some_and(|c| c <= now) {
            Some(current)
        } else {
            current.checked_sub(1)
        };
        let filter = TickFilter {
            ranges: snapshots
                .iter()
                .map(|(s, m)| (Symbol::from_stored(s.clone()), m.low, m.high))
                .collect(),
            due_day: due.and_then(|d| i32::try_from(d).ok()),
            placed_after: since,
        };
        Window { snapshots, filter }
    }

    async fn tick_tenant(
        &self,
        tenant: TenantId,
        window: &Window,
        since: OffsetDateTime,
        now: OffsetDateTime,
        report: &mut TickReport,
    ) -> Result<(), AppError> {
        // Only the orders this window could touch: reading every open order each tick
        // would grow with the number resting far from the price.
        let open = self
            .store
            .tick_candidates(tenant, &window.filter)
            .await
            .map_err(|e| AppError::from_store("order", e))?;
        if open.is_empty() {
            return Ok(());
        }
        report.open += open.len();
        let settings = self.settings_of(tenant).await?;
        // One session close per trading day: looking the close up per order was 80 % of
        // a tick (found by the tick benchmark).
        let mut closes: BTreeMap<i32, Option<OffsetDateTime>> = BTreeMap::new();
        for order in &open {
            let close = *closes.entry(order.trading_day).or_insert_with(|| {
                u32::try_from(order.trading_day)
                    .ok()
                    .and_then(|d| self.hub.session_close(d))
            });
            let expire = order.spec.tif() == TimeInForce::Day && close.is_some_and(|c| now >= c);
            // An order placed during the window is judged only on the prices after it
            // arrived, never on the part of the path from before it existed.
            let snapshot = if order.created_at > since {
                self.hub
                    .snapshot(order.symbol.as_str(), order.created_at, now)
            } else {
                window.snapshots.get(order.symbol.as_str()).copied()
            };
            let Some(snapshot) = snapshot else { continue };
            if !expire && !may_trade(&order.spec, &order.state, &snapshot, &settings.rules) {
                continue;
            }
            report.candidates += 1;
            match self
                .work(tenant, order.id, &snapshot, expire, &settings, now)
                .await
            {
                Ok(true) => report.changed += 1,
                Ok(false) => {}
                Err(e) => {
                    report.failed += 1;
                    // Known gap: the next tick looks only at the next window, so a
                    // price reached only in this one is not retried for this order.
                    tracing::warn!(tenant = %tenant, order = %order.id, error = %e, "working an order failed");
                }
            }
        }
        Ok(())
    }
}

/// Runs ticks every `every` until `token` is cancelled: the body of the `sim.tick`
/// singleton. Each tick covers the time since the previous one, so a slow tick never
/// skips part of the price path (at most one hour is caught up). Known gap: a new
/// leader starts one interval back, so after a crashed leader the path between its last
/// tick and the handover (up to the lease TTL) is not worked.
pub async fn run(
    sim: SimService,
    every: std::time::Duration,
    token: tokio_util::sync::CancellationToken,
) {
    let step = time::Duration::try_from(every).unwrap_or(time::Duration::SECOND);
    let mut since = crate::learning::stored_now(sim.clock.as_ref()) - step;
    loop {
        let now = crate::learning::stored_now(sim.clock.as_ref());
        let from = since.max(now - time::Duration::HOUR);
        match sim.tick(from, now).await {
            Ok(report) => {
                since = now;
                if report.changed > 0 || report.failed > 0 {
                    tracing::debug!(
                        open = report.open,
                        candidates = report.candidates,
                        changed = report.changed,
                        failed = report.failed,
                        "simulator tick"
                    );
                }
                metrics::counter!("nexus_sim_orders_worked_total").increment(report.changed as u64);
            }
            Err(e) => tracing::warn!(error = %e, "simulator tick failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = token.cancelled() => return,
        }
    }
}
