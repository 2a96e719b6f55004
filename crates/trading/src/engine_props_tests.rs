//! Property tests over random sequences of orders and ticks, run through the engine and
//! booked in a `Portfolio`, as the app will do.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::account::{LedgerAccount, Portfolio, Posting};
use crate::order::RawOrder;
use crate::rules::Rules;

const SYM: &str = "ACME";

/// A snapshot around `mid_cents`, whose quote may sit outside the traded range.
fn snapshot() -> impl Strategy<Value = MarketSnapshot> {
    (
        5_000u32..20_000,
        1u32..50,
        0u32..300,
        0u32..300,
        -100i32..100,
        0u64..3_000,
        prop::bool::weighted(0.85),
    )
        .prop_map(|(mid, spread, down, up, offset, volume, open)| {
            let c = |x: i64| Decimal::new(x, 2);
            let mid = i64::from(mid);
            let bid = c(mid - i64::from(spread));
            let ask = c(mid + i64::from(spread));
            // The traded range is around a centre that may be off the quote.
            let centre = mid + i64::from(offset);
            let low = c((centre - i64::from(down)).max(1));
            let high = c(centre + i64::from(up)).max(low);
            MarketSnapshot {
                bid: bid.max(c(1)),
                ask,
                last: ((low + high) / Decimal::TWO).round_dp(2),
                high,
                low,
                volume,
                open,
            }
        })
}

#[derive(Debug, Clone)]
enum Op {
    Submit(RawOrder),
    Tick(MarketSnapshot),
    Close,
}

fn raw_order() -> impl Strategy<Value = RawOrder> {
    (
        prop::bool::ANY,
        0usize..4,
        0usize..4,
        1u32..200,
        prop::bool::weighted(0.2),
        -300i64..300,
        -300i64..300,
        prop::bool::weighted(0.1),
    )
        .prop_map(|(buy, t, tif, qty, fractional, lim, stp, notional)| {
            let types = ["market", "limit", "stop", "stop_limit"];
            let tifs = ["day", "gtc", "ioc", "fok"];
            let qty = if fractional {
                Decimal::new(i64::from(qty), 2)
            } else {
                Decimal::from(qty)
            };
            // Prices relative to $100 (snapshots wander, so some rest, some fill).
            let price = |off: i64| Decimal::new(10_000 + off * 10, 2);
            let t = types[t];
            RawOrder {
                side: if buy { "buy" } else { "sell" }.into(),
                order_type: t.into(),
                tif: tifs[tif].into(),
                qty: (!notional).then_some(qty),
                notional: notional.then(|| qty * Decimal::TEN),
                limit: t.contains("limit").then(|| price(lim)),
                stop: t.starts_with("stop").then(|| price(stp)),
            }
        })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            4 => raw_order().prop_map(Op::Submit),
            4 => snapshot().prop_map(Op::Tick),
            1 => Just(Op::Close),
        ],
        1..40,
    )
}

fn realism() -> impl Strategy<Value = Realism> {
    prop_oneof![
        Just(Realism::Frictionless),
        Just(Realism::parse("standard").unwrap()),
        Just(Realism::parse("realistic").unwrap()),
    ]
}

fn rules() -> impl Strategy<Value = Rules> {
    (prop::bool::ANY, prop::bool::ANY, prop::bool::ANY).prop_map(|(allow_short, margin, ext)| {
        Rules {
            allow_short,
            margin,
            pattern_day_trader: false,
            allow_extended_hours: ext,
        }
    })
}

/// Everything a run produced, for comparing runs and checking invariants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Run {
    portfolio: Portfolio,
    ledger: Vec<Vec<Posting>>,
    fills: Vec<(Fill, MarketSnapshot)>,
    states: Vec<OrderState>,
    /// Equity before and after each fill at the fill price, and its fee.
    conservation: Vec<(Decimal, Decimal, Decimal)>,
    min_cash: Decimal,
    /// Buying power right after each fill that grew the position, at the fill price.
    growth_bp: Vec<Decimal>,
}

fn holdings(
    pf: &Portfolio,
    m: &MarketSnapshot,
    realism: &Realism,
    open: &[(OrderSpec, OrderState)],
    skip: usize,
) -> Holdings {
    let prices = BTreeMap::from([(SYM.to_owned(), m.last)]);
    let mut h = pf.holdings(SYM, &prices);
    for (i, (spec, st)) in open.iter().enumerate() {
        if i == skip {
            continue;
        }
        h.open_buy_commitment += reserved_cash(spec, st, m, realism);
        if spec.side() == Side::Sell {
            h.open_sell_qty += st.remaining();
        }
    }
    h
}

fn book(run: &mut Run, side: Side, o: &Outcome, m: &MarketSnapshot, rules: Rules) {
    for f in &o.fills {
        let qty = |pf: &Portfolio| pf.positions.get(SYM).map_or(Decimal::ZERO, |p| p.qty);
        let grew_from = qty(&run.portfolio).abs();
        let value = |pf: &Portfolio| {
            let q = pf.positions.get(SYM).map_or(Decimal::ZERO, |p| p.qty);
            pf.cash + q * f.price
        };
        let before = value(&run.portfolio);
        run.ledger.push(run.portfolio.apply(SYM, side, f));
        run.conservation
            .push((before, value(&run.portfolio), f.fee));
        run.fills.push((f.clone(), *m));
        run.min_cash = run.min_cash.min(run.portfolio.cash);
        if qty(&run.portfolio).abs() > grew_from {
            let h = run.portfolio.holdings(SYM, &BTreeMap::new());
            run.growth_bp.push(h.buying_power(&rules, f.price));
        }
    }
}

fn simulate(ops: &[Op], realism: &Realism, rules: Rules, start: &MarketSnapshot) -> Run {
    let mut run = Run::default();
    run.ledger.push(run.portfolio.fund(Decimal::from(20_000)));
    run.min_cash = run.portfolio.cash;
    let mut m = *start;
    let mut open: Vec<(OrderSpec, OrderState)> = Vec::new();
    for op in ops {
        match op {
            Op::Submit(raw) => {
                let Ok(spec) = OrderSpec::parse(raw) else {
                    continue;
                };
                let h = holdings(&run.portfolio, &m, realism, &open, usize::MAX);
                let o = submit(&spec, &h, &m, &rules, realism);
                book(&mut run, spec.side(), &o, &m, rules);
                run.states.push(o.state.clone());
                if !o.state.status.is_terminal() {
                    open.push((spec, o.state));
                }
            }
            Op::Tick(next) => {
                m = *next;
                for i in 0..open.len() {
                    let h = holdings(&run.portfolio, &m, realism, &open, i);
                    let (spec, st) = &open[i];
                    let o = on_tick(spec, st, &h, &m, &rules, realism);
                    book(&mut run, spec.side(), &o, &m, rules);
                    run.states.push(o.state.clone());
                    open[i].1 = o.state;
                }
            }
            Op::Close => {
                for (spec, st) in &mut open {
                    if let Some(o) = expire(spec, st) {
                        *st = o.state;
                    }
                }
            }
        }
        open.retain(|(_, st)| !st.status.is_terminal());
    }
    run
}

proptest! {
    #[test]
    fn fills_stay_within_the_bars_range(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        let run = simulate(&ops, &r, rules, &start);
        for (f, m) in &run.fills {
            prop_assert!(f.price >= m.low && f.price <= m.high, "{f:?} outside {m:?}");
            prop_assert!(f.qty > Decimal::ZERO);
            prop_assert!(f.fee >= Decimal::ZERO && f.spread_cost >= Decimal::ZERO && f.slippage >= Decimal::ZERO);
        }
    }

    #[test]
    fn equity_at_the_fill_price_is_conserved_net_of_fees(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        let run = simulate(&ops, &r, rules, &start);
        // Exact except for rounding gross to cents: at most half a cent per fill.
        for (before, after, fee) in &run.conservation {
            let gap = (*before - *fee - *after).abs();
            prop_assert!(gap <= Decimal::new(5, 3), "before {before} fee {fee} after {after}");
        }
    }

    #[test]
    fn cash_never_goes_negative_without_margin(ops in ops(), r in realism(), allow_short in prop::bool::ANY, start in snapshot()) {
        let rules = Rules { allow_short, ..Rules::default() };
        let run = simulate(&ops, &r, rules, &start);
        prop_assert!(run.min_cash >= Decimal::ZERO, "cash reached {}", run.min_cash);
    }

    #[test]
    fn growing_a_position_never_leaves_negative_buying_power(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        let run = simulate(&ops, &r, rules, &start);
        for bp in &run.growth_bp {
            prop_assert!(*bp >= Decimal::ZERO, "buying power {bp} after a fill ({rules:?})");
        }
    }

    #[test]
    fn positions_never_go_short_when_shorting_is_off(ops in ops(), r in realism(), start in snapshot()) {
        let run = simulate(&ops, &r, Rules::default(), &start);
        for p in run.portfolio.positions.values() {
            prop_assert!(p.qty > Decimal::ZERO);
        }
    }

    #[test]
    fn same_inputs_give_identical_outputs(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        prop_assert_eq!(simulate(&ops, &r, rules, &start), simulate(&ops, &r, rules, &start));
    }

    #[test]
    fn ledger_balances_and_matches_the_portfolio(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        let run = simulate(&ops, &r, rules, &start);
        let mut by_account: BTreeMap<String, Decimal> = BTreeMap::new();
        for tx in &run.ledger {
            prop_assert_eq!(tx.iter().map(|p| p.amount).sum::<Decimal>(), Decimal::ZERO, "{:?}", tx);
            for p in tx {
                *by_account.entry(p.account.as_str()).or_default() += p.amount;
            }
        }
        let get = |a: &LedgerAccount| by_account.get(&a.as_str()).copied().unwrap_or_default();
        let pf = &run.portfolio;
        prop_assert_eq!(get(&LedgerAccount::Cash), pf.cash);
        prop_assert_eq!(get(&LedgerAccount::Fees), pf.fees_paid);
        prop_assert_eq!(-get(&LedgerAccount::RealizedPnl), pf.realized_pnl);
        let basis = pf.positions.get(SYM).map_or(Decimal::ZERO, |p| p.cost_basis);
        prop_assert_eq!(get(&LedgerAccount::Securities(SYM.into())), basis);
        let fees: Decimal = run.fills.iter().map(|(f, _)| f.fee).sum();
        prop_assert_eq!(fees, pf.fees_paid);
    }

    #[test]
    fn states_follow_the_lifecycle(ops in ops(), r in realism(), rules in rules(), start in snapshot()) {
        let run = simulate(&ops, &r, rules, &start);
        for st in &run.states {
            prop_assert_eq!(st.status.needs_reason(), st.reason.is_some(), "{:?}", st);
            prop_assert!(st.filled_qty <= st.qty);
            prop_assert_eq!(st.status == Status::Filled, st.qty > Decimal::ZERO && st.filled_qty == st.qty);
        }
    }
}
