//! Tick processing of the portfolio simulator (issue 5), the pure in-process path: one
//! snapshot per instrument per tick from `MarketHub::snapshot`, the `may_trade`
//! pre-check on every resting order, and `engine::on_tick` on the candidates — the
//! loop of `SimService::tick_tenant` without its database reads and writes (each order
//! that does trade costs one transaction, measured by `sim_orders`).
//!
//! The orders are `OrderRecord`s as `open_orders` returns them: limit, stop and
//! stop-limit, buy and sell, day and gtc, spread 0.1–5 % around each instrument's
//! price on its non-marketable side, over the 30 instruments of the standard
//! catalogue. An order the engine fills or cancels is replaced (outside the timing) by
//! a fresh one around the current price, so every tick sees the same number of orders.
//!
//! Baseline in the same run, per tick: iterating the same orders doing nothing but
//! summing one field (the memory-bound floor of touching every order once).
//!
//!   cargo run --release -p nexus-bench --bin sim_tick -- [orders=100000] [ticks=50]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

use nexus_app::sim::hub::{DEFAULT_SEED, MarketHub};
use nexus_app::sim::tick::may_trade;
use nexus_bench::quantile;
use nexus_domain::ManualClock;
use nexus_domain::sim::{OrderId, OrderRecord, PortfolioId, Symbol};
use nexus_market::{AssetClass, Rng};
use nexus_trading::engine::{self, Holdings, MarketSnapshot, OrderState};
use nexus_trading::order::{OrderSpec, RawOrder, Status, TimeInForce};
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;
use time::{Duration, OffsetDateTime, macros::datetime};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A price on the tick grid of its level (2 dp from $1, 4 dp below).
fn tick_price(p: f64) -> Decimal {
    let d = Decimal::from_f64(p).unwrap_or(Decimal::ONE);
    if d >= Decimal::ONE {
        d.round_dp(2)
    } else {
        d.round_dp(4).max(Decimal::new(1, 4))
    }
}

/// A resting order around `last`, not marketable now.
fn draw(rng: &mut Rng, last: Decimal) -> RawOrder {
    let last = last.to_f64().unwrap_or(1.0);
    let away = 0.001 + 0.049 * rng.uniform();
    let buy = rng.uniform() < 0.5;
    let kind = rng.uniform();
    let tif = if rng.uniform() < 0.5 { "day" } else { "gtc" };
    let (order_type, limit, stop) = if kind < 0.5 {
        // Limit: buy below, sell above.
        let l = if buy {
            last * (1.0 - away)
        } else {
            last * (1.0 + away)
        };
        ("limit", Some(tick_price(l)), None)
    } else {
        // Stop (or stop-limit): buy above, sell below; the limit 0.5 % beyond the stop.
        let s = if buy {
            last * (1.0 + away)
        } else {
            last * (1.0 - away)
        };
        if kind < 0.75 {
            ("stop", None, Some(tick_price(s)))
        } else {
            let l = if buy { s * 1.005 } else { s * 0.995 };
            ("stop_limit", Some(tick_price(l)), Some(tick_price(s)))
        }
    };
    RawOrder {
        side: if buy { "buy" } else { "sell" }.into(),
        order_type: order_type.into(),
        tif: tif.into(),
        qty: Some(Decimal::from(1 + rng.next_u64() % 10)),
        notional: None,
        limit,
        stop,
    }
}

fn make_order(
    rng: &mut Rng,
    clock: &ManualClock,
    portfolio: PortfolioId,
    symbol: &str,
    last: Decimal,
    day: i32,
    now: OffsetDateTime,
) -> OrderRecord {
    loop {
        let raw = draw(rng, last);
        let Ok(spec) = OrderSpec::parse(&raw) else {
            continue;
        };
        let mut state = OrderState::new(raw.qty.unwrap_or(Decimal::ONE));
        state.status = Status::Accepted;
        return OrderRecord {
            id: OrderId::generate(clock),
            portfolio,
            client_order_id: None,
            symbol: Symbol::from_stored(symbol.to_owned()),
            spec,
            state,
            replaces: None,
            trading_day: day,
            created_at: now,
            updated_at: now,
        };
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let ticks: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let hub = MarketHub::new(DEFAULT_SEED);
    let calendar = hub.calendar();
    // Half an hour into a regular session (a fixed date, so every run sees the same
    // prices): every instrument trades.
    let open = calendar.next_open(AssetClass::Stock, datetime!(2026-11-24 00:00 UTC));
    let start = open + Duration::minutes(30);
    let clock = ManualClock::at_unix(start.unix_timestamp());
    let symbols: Vec<String> = hub.instruments().iter().map(|i| i.symbol.clone()).collect();
    let mut last: BTreeMap<String, Decimal> = symbols
        .iter()
        .map(|s| (s.clone(), hub.quote(s, start).unwrap().last))
        .collect();
    let day = i32::try_from(hub.session_day(start)).unwrap();
    let mut rng = Rng::new(7);
    let portfolios: Vec<PortfolioId> = (0..1000).map(|_| PortfolioId::generate(&clock)).collect();
    let built = Instant::now();
    let mut orders: Vec<OrderRecord> = (0..n)
        .map(|i| {
            let s = &symbols[i % symbols.len()];
            make_order(
                &mut rng,
                &clock,
                portfolios[i % portfolios.len()],
                s,
                last[s],
                day,
                start,
            )
        })
        .collect();
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let holdings = Holdings {
        cash: Decimal::new(100_000, 0),
        position: Decimal::new(1_000, 0),
        ..Holdings::default()
    };
    let rules = Rules::default();
    let realism = Realism::parse("standard").unwrap();

    let (mut tick_ms, mut snap_ms, mut scan_ms, mut floor_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut memo_ms, mut due_ms) = (Vec::new(), Vec::new());
    let (mut candidates, mut changed, mut fills, mut replaced) = (0usize, 0usize, 0usize, 0usize);
    let mut since = start;
    for k in 0..ticks {
        let now = since + Duration::minutes(1 + i64::try_from(k % 5).unwrap_or(0));

        // Baseline: touch every order once, summing one field.
        let t = Instant::now();
        let floor: i64 = orders.iter().map(|o| i64::from(o.trading_day)).sum();
        black_box(floor);
        floor_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // The same tick with the session close looked up once per trading day rather
        // than once per day order (the suggested fix for `tick::is_due`): results only
        // counted, for the comparison.
        let t = Instant::now();
        let mut closes: BTreeMap<i32, Option<OffsetDateTime>> = BTreeMap::new();
        let mut snaps: BTreeMap<String, Option<MarketSnapshot>> = BTreeMap::new();
        for s in &symbols {
            snaps.insert(s.clone(), hub.snapshot(s, since, now));
        }
        let mut memo_candidates = 0usize;
        for order in &orders {
            let expire = order.spec.tif() == TimeInForce::Day
                && closes
                    .entry(order.trading_day)
                    .or_insert_with(|| {
                        u32::try_from(order.trading_day)
                            .ok()
                            .and_then(|d| hub.session_close(d))
                    })
                    .is_some_and(|close| now >= close);
            let Some(snapshot) = snaps.get(order.symbol.as_str()).copied().flatten() else {
                continue;
            };
            if !expire && !may_trade(&order.spec, &order.state, &snapshot, &rules) {
                continue;
            }
            memo_candidates += 1;
            black_box(engine::on_tick(
                &order.spec,
                &order.state,
                &holdings,
                &snapshot,
                &rules,
                &realism,
            ));
        }
        memo_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // Expiry check alone, as the app does it (for the breakdown).
        let t = Instant::now();
        let due = orders
            .iter()
            .filter(|o| {
                o.spec.tif() == TimeInForce::Day
                    && u32::try_from(o.trading_day)
                        .ok()
                        .and_then(|d| hub.session_close(d))
                        .is_some_and(|close| now >= close)
            })
            .count();
        black_box(due);
        due_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // The tick, as `tick_tenant` does it in memory: one snapshot per symbol
        // (looked up by name per order), expiry check, pre-check, engine.
        let t = Instant::now();
        let mut snapshots: BTreeMap<String, Option<MarketSnapshot>> = BTreeMap::new();
        for s in &symbols {
            snapshots.insert(s.clone(), hub.snapshot(s, since, now));
        }
        let after_snap = Instant::now();
        let mut worked: Vec<(usize, engine::Outcome)> = Vec::new();
        let mut tick_candidates = 0usize;
        for (i, order) in orders.iter().enumerate() {
            let expire = order.spec.tif() == TimeInForce::Day
                && u32::try_from(order.trading_day)
                    .ok()
                    .and_then(|d| hub.session_close(d))
                    .is_some_and(|close| now >= close);
            let Some(snapshot) = snapshots.get(order.symbol.as_str()).copied().flatten() else {
                continue;
            };
            if !expire && !may_trade(&order.spec, &order.state, &snapshot, &rules) {
                continue;
            }
            tick_candidates += 1;
            let outcome = engine::on_tick(
                &order.spec,
                &order.state,
                &holdings,
                &snapshot,
                &rules,
                &realism,
            );
            if outcome.state != order.state {
                worked.push((i, outcome));
            }
        }
        let end = Instant::now();
        tick_ms.push((end - t).as_secs_f64() * 1000.0);
        snap_ms.push((after_snap - t).as_secs_f64() * 1000.0);
        scan_ms.push((end - after_snap).as_secs_f64() * 1000.0);
        candidates += tick_candidates;
        assert_eq!(memo_candidates, tick_candidates);

        // Outside the timing: store the outcomes as the app would, and replace orders
        // that ended with fresh ones around the current price.
        for s in &symbols {
            if let Some(Some(snap)) = snapshots.get(s) {
                last.insert(s.clone(), snap.last);
            }
        }
        changed += worked.len();
        for (i, outcome) in worked {
            fills += outcome.fills.len();
            let o = &mut orders[i];
            o.state = outcome.state;
            if !matches!(o.state.status, Status::Accepted | Status::PartiallyFilled) {
                let s = o.symbol.as_str().to_owned();
                *o = make_order(&mut rng, &clock, o.portfolio, &s, last[&s], day, now);
                replaced += 1;
            }
        }
        since = now;
    }
    let simulated = since - start;
    let med = |v: &mut Vec<f64>| quantile(v, 0.5);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (tick_max, floor_max, memo_max) = (max(&tick_ms), max(&floor_ms), max(&memo_ms));
    let (memo_med, due_med) = (med(&mut memo_ms), med(&mut due_ms));
    let (tick_med, snap_med, scan_med, floor_med) = (
        med(&mut tick_ms),
        med(&mut snap_ms),
        med(&mut scan_ms),
        med(&mut floor_ms),
    );
    println!(
        "cores={} orders={n} instruments={} ticks={ticks} (1-5 simulated minutes each, {} min in all, from {start})",
        std::thread::available_parallelism().map_or(0, usize::from),
        symbols.len(),
        simulated.whole_minutes()
    );
    println!("built {n} orders in {build_ms:.1} ms");
    println!(
        "baseline: iterate + sum one field   median {floor_med:>8.3} ms   max {floor_max:>8.3} ms"
    );
    println!(
        "tick (snapshots + pre-check + engine) median {tick_med:>6.3} ms   max {tick_max:>8.3} ms"
    );
    println!("  of which 30 snapshots            median {snap_med:>8.3} ms");
    println!("  of which scan + on_tick          median {scan_med:>8.3} ms");
    println!("  expiry check alone (session_close per day order) median {due_med:>8.3} ms");
    println!(
        "same tick, session close memoized per trading day: median {memo_med:>8.3} ms   max {memo_max:>8.3} ms   (ratio to baseline {:.1})",
        memo_med / floor_med
    );
    println!(
        "candidates per tick {:.1} ({:.3} % of orders); changed {changed}, fills {fills}, replaced {replaced}",
        candidates as f64 / ticks as f64,
        100.0 * candidates as f64 / (ticks * n) as f64
    );
    println!(
        "ratio tick median / baseline median {:>8.1}",
        tick_med / floor_med
    );
    println!(
        "bar < 100 ms per tick: {}",
        if tick_max < 100.0 {
            "met (max)"
        } else if tick_med < 100.0 {
            "met by the median, not the max"
        } else {
            "NOT met"
        }
    );
}
