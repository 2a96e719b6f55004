use super::*;
use crate::order::RawOrder;
use crate::realism::{Commission, Impact};
use crate::rules::Rules;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A quote of `bid`/`ask` whose interval traded between `low` and `high`.
fn mkt(bid: &str, ask: &str, low: &str, high: &str, volume: u64) -> MarketSnapshot {
    let (bid, ask) = (d(bid), d(ask));
    MarketSnapshot {
        bid,
        ask,
        last: (bid + ask) / Decimal::TWO,
        high: d(high),
        low: d(low),
        volume,
        open: true,
    }
}

fn quote() -> MarketSnapshot {
    mkt("101.15", "101.25", "100", "102", 100_000)
}

fn order(
    side: &str,
    t: &str,
    tif: &str,
    qty: &str,
    limit: Option<&str>,
    stop: Option<&str>,
) -> OrderSpec {
    OrderSpec::parse(&RawOrder {
        side: side.into(),
        order_type: t.into(),
        tif: tif.into(),
        qty: Some(d(qty)),
        notional: None,
        limit: limit.map(d),
        stop: stop.map(d),
    })
    .unwrap()
}

fn cash(c: &str) -> Holdings {
    Holdings {
        cash: d(c),
        ..Holdings::default()
    }
}

fn long(c: &str, pos: &str) -> Holdings {
    Holdings {
        position: d(pos),
        ..cash(c)
    }
}

const STD: Realism = Realism::Standard(Commission {
    per_share: Decimal::from_parts(5, 0, 0, false, 3),
    minimum: Decimal::ONE,
    max_fraction: Decimal::from_parts(1, 0, 0, false, 2),
});

fn realistic() -> Realism {
    Realism::Realistic {
        commission: Commission::default(),
        impact: Impact::default(),
    }
}

fn no_rules() -> Rules {
    Rules::default()
}

fn rejected(o: &Outcome) -> Option<Reason> {
    assert!(o.fills.is_empty());
    (o.state.status == Status::Rejected)
        .then_some(o.state.reason)
        .flatten()
}

#[test]
fn standard_market_buy_pays_the_ask_and_explains_it() {
    let o = submit(
        &order("buy", "market", "day", "10", None, None),
        &cash("10000"),
        &quote(),
        &no_rules(),
        &STD,
    );
    assert_eq!(o.state.status, Status::Filled);
    assert_eq!(o.state.reason, None);
    let f = &o.fills[0];
    assert_eq!(
        (f.qty, f.price, f.gross, f.fee),
        (d("10"), d("101.25"), d("1012.50"), d("1.00"))
    );
    assert_eq!((f.spread_cost, f.slippage), (d("0.50"), d("0.00")));
    assert_eq!(
        f.explanation,
        "Bought 10 at $101.25. The mid price was $101.20, so crossing the spread cost $0.50; \
         slippage from the order's size added $0.00. Commission $1.00. Total cost $1,013.50."
    );
    assert_eq!(o.state.filled_value, d("1012.50"));
    assert_eq!(o.state.fees, d("1.00"));
    assert_eq!(o.state.average_price(), Some(d("101.25")));
}

#[test]
fn frictionless_fills_at_mid_without_fees() {
    let o = submit(
        &order("sell", "market", "gtc", "5", None, None),
        &long("0", "5"),
        &quote(),
        &no_rules(),
        &Realism::Frictionless,
    );
    let f = &o.fills[0];
    assert_eq!(
        (f.price, f.fee, f.spread_cost, f.slippage),
        (d("101.2"), d("0"), d("0"), d("0"))
    );
    assert!(
        f.explanation
            .starts_with("Sold 5 at $101.20. The mid price was $101.20.")
    );
    assert!(f.explanation.ends_with("Net proceeds $506.00."));
}

#[test]
fn quotes_outside_the_traded_range_are_clamped_and_explained() {
    // The ask moved above everything that traded in the interval.
    let m = mkt("101.90", "102.40", "100", "102", 1000);
    let o = submit(
        &order("buy", "market", "day", "1", None, None),
        &cash("1000"),
        &m,
        &no_rules(),
        &STD,
    );
    let f = &o.fills[0];
    assert_eq!(f.price, d("102"));
    assert!(
        f.explanation
            .contains("kept within the interval's traded range ($100.00 to $102.00)")
    );
}

#[test]
fn realistic_market_orders_slip_and_fill_at_most_the_participation_rate() {
    let m = mkt("99.99", "100.01", "99", "101", 1000);
    let spec = order("buy", "market", "day", "250", None, None);
    let o = submit(&spec, &cash("100000"), &m, &no_rules(), &realistic());
    // 10% of 1,000 shares this interval.
    assert_eq!(o.state.status, Status::PartiallyFilled);
    let f = &o.fills[0];
    assert_eq!(f.qty, d("100"));
    // Impact: 0.01 × $100 × √(100/1000) ≈ $0.3162 a share.
    assert_eq!(f.price, d("100.3262"));
    assert_eq!(f.slippage, d("31.62"));
    assert_eq!(f.spread_cost, d("1.00"));
    // The rest keeps working on later ticks.
    let o2 = on_tick(
        &spec,
        &o.state,
        &cash("89000"),
        &m,
        &no_rules(),
        &realistic(),
    );
    assert_eq!(o2.state.filled_qty, d("200"));
    let o3 = on_tick(
        &spec,
        &o2.state,
        &cash("79000"),
        &m,
        &no_rules(),
        &realistic(),
    );
    assert_eq!(o3.state.status, Status::Filled);
    assert_eq!(o3.fills[0].qty, d("50"));
    // A silent interval fills nothing and the order waits.
    let quiet = MarketSnapshot { volume: 0, ..m };
    let o4 = on_tick(
        &spec,
        &o.state,
        &cash("89000"),
        &quiet,
        &no_rules(),
        &realistic(),
    );
    assert_eq!(o4.state, o.state);
}

#[test]
fn fok_fills_everything_or_nothing() {
    let m = mkt("99.99", "100.01", "99", "101", 1000);
    let fok = order("buy", "market", "fok", "250", None, None);
    let o = submit(&fok, &cash("100000"), &m, &no_rules(), &realistic());
    assert_eq!(
        (o.state.status, o.state.reason),
        (Status::Canceled, Some(Reason::FokNotFillable))
    );
    assert!(o.fills.is_empty());
    let o = submit(&fok, &cash("100000"), &m, &no_rules(), &STD);
    assert_eq!(o.state.status, Status::Filled);
    // Not marketable: the ask is above the limit.
    let fok_limit = order("buy", "limit", "fok", "10", Some("100"), None);
    let o = submit(&fok_limit, &cash("100000"), &m, &no_rules(), &STD);
    assert_eq!(o.state.reason, Some(Reason::FokNotFillable));
    // Can't afford all of it: nothing fills.
    let o = submit(&fok, &cash("20000"), &m, &no_rules(), &STD);
    assert_eq!(rejected(&o), Some(Reason::InsufficientBuyingPower));
}

#[test]
fn ioc_cancels_the_unfilled_remainder() {
    let m = mkt("99.99", "100.01", "99", "101", 1000);
    let ioc = order("buy", "market", "ioc", "250", None, None);
    let o = submit(&ioc, &cash("100000"), &m, &no_rules(), &realistic());
    assert_eq!(
        (o.state.status, o.state.reason),
        (Status::Canceled, Some(Reason::IocUnfilledRemainder))
    );
    assert_eq!(o.fills.len(), 1);
    assert_eq!(o.state.filled_qty, d("100"));
    let ioc_limit = order("sell", "limit", "ioc", "10", Some("100.5"), None);
    let o = submit(&ioc_limit, &long("0", "10"), &m, &no_rules(), &STD);
    assert_eq!(
        (o.state.status, o.state.reason),
        (Status::Canceled, Some(Reason::IocUnfilledRemainder))
    );
    assert!(o.fills.is_empty());
    let o = submit(
        &order("sell", "limit", "ioc", "10", Some("99.5"), None),
        &long("0", "10"),
        &m,
        &no_rules(),
        &STD,
    );
    assert_eq!(o.state.status, Status::Filled);
    assert_eq!(o.fills[0].price, d("99.99"));
}

#[test]
fn every_type_and_tif_has_a_defined_submission_outcome() {
    let m = quote();
    for t in ["market", "limit", "stop", "stop_limit"] {
        for tif in ["day", "gtc", "ioc", "fok"] {
            for side in ["buy", "sell"] {
                let raw = RawOrder {
                    side: side.into(),
                    order_type: t.into(),
                    tif: tif.into(),
                    qty: Some(d("10")),
                    notional: None,
                    limit: t.contains("limit").then(|| d("101")),
                    stop: t.starts_with("stop").then(|| d("101.2")),
                };
                let Ok(spec) = OrderSpec::parse(&raw) else {
                    assert!(t.starts_with("stop") && (tif == "ioc" || tif == "fok"));
                    continue;
                };
                let o = submit(&spec, &long("100000", "10"), &m, &no_rules(), &STD);
                let st = &o.state;
                assert!(
                    Status::New.can_become(st.status) || Status::Accepted.can_become(st.status),
                    "{t} {tif} {side}"
                );
                assert_eq!(st.status.needs_reason(), st.reason.is_some());
                let filled: Decimal = o.fills.iter().map(|f| f.qty).sum();
                assert_eq!(filled, st.filled_qty);
                // Buy limit 101 < ask 101.25 rests; sell limit 101 < bid 101.15 fills.
                // Stops: last is 101.2, so both the buy and the sell stop at 101.2 are
                // reached; a stop-limit then behaves like the limit.
                let expect_fill = t == "market" || t == "stop" || side == "sell";
                assert_eq!(st.status == Status::Filled, expect_fill, "{t} {tif} {side}");
                if !expect_fill {
                    let want = if tif == "ioc" || tif == "fok" {
                        Status::Canceled
                    } else {
                        Status::Accepted
                    };
                    assert_eq!(st.status, want, "{t} {tif} {side}");
                }
            }
        }
    }
}

#[test]
fn market_hours() {
    let closed = MarketSnapshot {
        open: false,
        ..quote()
    };
    let h = cash("100000");
    let mk = order("buy", "market", "day", "10", None, None);
    assert_eq!(
        rejected(&submit(&mk, &h, &closed, &no_rules(), &STD)),
        Some(Reason::MarketClosed)
    );
    let ioc = order("buy", "limit", "ioc", "10", Some("102"), None);
    assert_eq!(
        rejected(&submit(&ioc, &h, &closed, &no_rules(), &STD)),
        Some(Reason::MarketClosed)
    );
    // A marketable limit waits for the open...
    let lim = order("buy", "limit", "day", "10", Some("102"), None);
    let o = submit(&lim, &h, &closed, &no_rules(), &STD);
    assert_eq!(o.state.status, Status::Accepted);
    assert!(o.fills.is_empty());
    assert_eq!(
        on_tick(&lim, &o.state, &h, &closed, &no_rules(), &STD).state,
        o.state
    );
    let filled = on_tick(&lim, &o.state, &h, &quote(), &no_rules(), &STD);
    assert_eq!(filled.state.status, Status::Filled);
    // ...unless extended hours are on, which serve limit orders only.
    let ext = Rules {
        allow_extended_hours: true,
        ..Rules::default()
    };
    assert_eq!(
        submit(&lim, &h, &closed, &ext, &STD).state.status,
        Status::Filled
    );
    assert_eq!(
        rejected(&submit(&mk, &h, &closed, &ext, &STD)),
        Some(Reason::MarketClosed)
    );
    let stop = order("buy", "stop", "gtc", "10", None, Some("50"));
    let o = submit(&stop, &h, &closed, &ext, &STD);
    assert_eq!(
        (o.state.status, o.state.triggered),
        (Status::Accepted, false)
    );
}

/// The tick loop skips orders `session_allows` refuses without asking `on_tick`: that
/// is only sound if `on_tick` would have left every such order as it was.
#[test]
fn on_tick_changes_nothing_the_session_does_not_allow() {
    let closed = MarketSnapshot {
        open: false,
        ..quote()
    };
    let h = cash("100000");
    let ext = Rules {
        allow_extended_hours: true,
        ..Rules::default()
    };
    let orders = [
        order("buy", "limit", "day", "10", Some("102"), None),
        order("sell", "limit", "gtc", "10", Some("100"), None),
        order("buy", "stop", "gtc", "10", None, Some("101")),
        order("buy", "stop_limit", "gtc", "10", Some("102"), Some("101")),
    ];
    let mut skipped = 0;
    for spec in &orders {
        let resting = OrderState::new(d("10"));
        let resting = OrderState {
            status: Status::Accepted,
            ..resting
        };
        for (market, rules) in [
            (&closed, &no_rules()),
            (&closed, &ext),
            (&quote(), &no_rules()),
        ] {
            if session_allows(spec, market, rules) {
                continue;
            }
            skipped += 1;
            let o = on_tick(spec, &resting, &long("100000", "100"), market, rules, &STD);
            assert_eq!(
                o.state, resting,
                "{spec:?} changed while the session did not allow it"
            );
            assert!(o.fills.is_empty());
        }
    }
    // Closed without extended hours: all four; with them, the stops (not limits).
    assert_eq!(skipped, 6);
    // And where it allows, the price decides: the marketable limit fills.
    let lim = &orders[0];
    assert!(session_allows(lim, &closed, &ext));
    assert!(session_allows(lim, &quote(), &no_rules()));
    let accepted = submit(lim, &h, &closed, &no_rules(), &STD).state;
    assert_eq!(
        on_tick(lim, &accepted, &h, &quote(), &no_rules(), &STD)
            .state
            .status,
        Status::Filled
    );
}

#[test]
fn buying_power_counts_reservations_and_commission() {
    let spec = order("buy", "market", "day", "10", None, None);
    // 10 × $101.25 = $1,012.50 plus $1 commission.
    assert_eq!(
        submit(&spec, &cash("1013.50"), &quote(), &no_rules(), &STD)
            .state
            .status,
        Status::Filled
    );
    assert_eq!(
        rejected(&submit(
            &spec,
            &cash("1013.49"),
            &quote(),
            &no_rules(),
            &STD
        )),
        Some(Reason::InsufficientBuyingPower)
    );
    let reserved = Holdings {
        open_buy_commitment: d("500"),
        ..cash("1200")
    };
    assert_eq!(
        rejected(&submit(&spec, &reserved, &quote(), &no_rules(), &STD)),
        Some(Reason::InsufficientBuyingPower)
    );
    // A resting limit reserves its limit price.
    let lim = order("buy", "limit", "gtc", "10", Some("90"), None);
    assert_eq!(
        submit(&lim, &cash("901"), &quote(), &no_rules(), &STD)
            .state
            .status,
        Status::Accepted
    );
    assert_eq!(
        rejected(&submit(&lim, &cash("900.99"), &quote(), &no_rules(), &STD)),
        Some(Reason::InsufficientBuyingPower)
    );
    let st = submit(&lim, &cash("901"), &quote(), &no_rules(), &STD).state;
    assert_eq!(reserved_cash(&lim, &st, &quote(), &STD), d("901.00"));
    let sell = order("sell", "limit", "gtc", "10", Some("200"), None);
    assert_eq!(reserved_cash(&sell, &st, &quote(), &STD), Decimal::ZERO);
}

#[test]
fn margin_doubles_buying_power() {
    let spec = order("buy", "market", "day", "150", None, None);
    let h = cash("10000");
    assert_eq!(
        rejected(&submit(&spec, &h, &quote(), &no_rules(), &STD)),
        Some(Reason::InsufficientBuyingPower)
    );
    let margin = Rules {
        margin: true,
        ..Rules::default()
    };
    assert_eq!(
        submit(&spec, &h, &quote(), &margin, &STD).state.status,
        Status::Filled
    );
    let too_much = order("buy", "market", "day", "200", None, None);
    assert_eq!(
        rejected(&submit(&too_much, &h, &quote(), &margin, &STD)),
        Some(Reason::InsufficientBuyingPower)
    );
}

#[test]
fn short_selling_forbidden_or_allowed() {
    let sell = order("sell", "market", "day", "10", None, None);
    let m = quote();
    assert_eq!(
        rejected(&submit(&sell, &cash("100000"), &m, &no_rules(), &STD)),
        Some(Reason::ShortSellingDisabled)
    );
    assert_eq!(
        rejected(&submit(&sell, &long("100000", "4"), &m, &no_rules(), &STD)),
        Some(Reason::InsufficientPosition)
    );
    // Shares already promised to another sell order don't count.
    let promised = Holdings {
        open_sell_qty: d("5"),
        ..long("0", "12")
    };
    assert_eq!(
        rejected(&submit(&sell, &promised, &m, &no_rules(), &STD)),
        Some(Reason::InsufficientPosition)
    );
    let shorting = Rules {
        allow_short: true,
        ..Rules::default()
    };
    let o = submit(&sell, &cash("2000"), &m, &shorting, &STD);
    assert_eq!(o.state.status, Status::Filled);
    assert_eq!(o.fills[0].price, d("101.15"));
    // A cash account holds the short's value again as collateral: $1,011.50 short
    // needs about that much free cash.
    assert_eq!(
        rejected(&submit(&sell, &cash("1000"), &m, &shorting, &STD)),
        Some(Reason::InsufficientBuyingPower)
    );
    // Covering a short is always allowed while cash lasts.
    let cover = order("buy", "market", "day", "10", None, None);
    let short = Holdings {
        position: d("-10"),
        ..cash("3000")
    };
    assert_eq!(
        submit(&cover, &short, &m, &shorting, &STD).state.status,
        Status::Filled
    );
}

#[test]
fn pattern_day_trader_rule() {
    let pdt = Rules {
        pattern_day_trader: true,
        ..Rules::default()
    };
    let sell = order("sell", "market", "day", "10", None, None);
    let h = Holdings {
        opened_today: d("10"),
        day_trades_last_5_days: 3,
        ..long("5000", "10")
    };
    assert_eq!(
        rejected(&submit(&sell, &h, &quote(), &pdt, &STD)),
        Some(Reason::PatternDayTrader)
    );
    // Off, under the count, over $25,000, or not a day trade: allowed.
    assert_eq!(
        submit(&sell, &h, &quote(), &no_rules(), &STD).state.status,
        Status::Filled
    );
    let fewer = Holdings {
        day_trades_last_5_days: 2,
        ..h.clone()
    };
    assert_eq!(
        submit(&sell, &fewer, &quote(), &pdt, &STD).state.status,
        Status::Filled
    );
    let rich = Holdings {
        cash: d("30000"),
        ..h.clone()
    };
    assert_eq!(
        submit(&sell, &rich, &quote(), &pdt, &STD).state.status,
        Status::Filled
    );
    let old = Holdings {
        opened_today: Decimal::ZERO,
        ..h.clone()
    };
    assert_eq!(
        submit(&sell, &old, &quote(), &pdt, &STD).state.status,
        Status::Filled
    );
    let buy_more = order("buy", "market", "day", "1", None, None);
    assert_eq!(
        submit(&buy_more, &h, &quote(), &pdt, &STD).state.status,
        Status::Filled
    );
}

#[test]
fn resting_limits_fill_at_their_price_or_better_within_the_range() {
    let buy = order("buy", "limit", "gtc", "10", Some("100"), None);
    let h = cash("5000");
    let st = submit(&buy, &h, &quote(), &no_rules(), &STD).state;
    assert_eq!(st.status, Status::Accepted);
    let miss = mkt("100.5", "100.6", "100.01", "101", 500);
    assert_eq!(on_tick(&buy, &st, &h, &miss, &no_rules(), &STD).state, st);
    let touch = mkt("100.2", "100.3", "99.5", "101", 500);
    let o = on_tick(&buy, &st, &h, &touch, &no_rules(), &STD);
    assert_eq!(
        (o.state.status, o.fills[0].price),
        (Status::Filled, d("100"))
    );
    assert_eq!(o.fills[0].spread_cost, Decimal::ZERO);
    assert!(
        o.fills[0]
            .explanation
            .contains("resting limit order at $100.00")
    );
    // The whole interval traded below the limit: filled at its high, better than 100.
    let gap = mkt("97", "97.1", "96.5", "98", 500);
    assert_eq!(
        on_tick(&buy, &st, &h, &gap, &no_rules(), &STD).fills[0].price,
        d("98")
    );
    let sell = order("sell", "limit", "gtc", "10", Some("103"), None);
    let st = submit(&sell, &long("0", "10"), &quote(), &no_rules(), &STD).state;
    let up = mkt("104", "104.1", "103.5", "105", 500);
    assert_eq!(
        on_tick(&sell, &st, &long("0", "10"), &up, &no_rules(), &STD).fills[0].price,
        d("103.5")
    );
}

#[test]
fn queue_position_delays_resting_limits_in_realistic_mode() {
    let r = realistic();
    let buy = order("buy", "limit", "gtc", "100", Some("100"), None);
    let h = cash("20000");
    // 1,000 shares traded in the interval when it joined: 500 are queued ahead of it.
    let st = submit(
        &buy,
        &h,
        &mkt("100.4", "100.6", "100", "101", 1000),
        &no_rules(),
        &r,
    )
    .state;
    assert_eq!(st.queue_ahead, Some(d("500")));
    // 1,000 traded over 99–101: about half (500) at or below 100. Just clears the queue.
    let tick = mkt("99.9", "100.1", "99", "101", 1000);
    let o = on_tick(&buy, &st, &h, &tick, &no_rules(), &r);
    assert!(o.fills.is_empty());
    assert_eq!(o.state.queue_ahead, Some(Decimal::ZERO));
    // Next: 400 through our price, we are first now but want only 100.
    let tick = mkt("99.9", "100.1", "99", "101.5", 1000);
    let o2 = on_tick(&buy, &o.state, &h, &tick, &no_rules(), &r);
    assert_eq!(o2.state.status, Status::Filled);
    assert_eq!(o2.fills[0].qty, d("100"));
    assert_eq!(o2.state.queue_ahead, None);
    // With a smaller queue consumption the order fills partially.
    let st2 = OrderState {
        queue_ahead: Some(d("350")),
        ..st.clone()
    };
    let o3 = on_tick(
        &buy,
        &st2,
        &h,
        &mkt("99.9", "100.1", "99", "101", 800),
        &no_rules(),
        &r,
    );
    // 400 through, 350 ahead: 50 for us.
    assert_eq!(
        (o3.state.status, o3.state.filled_qty),
        (Status::PartiallyFilled, d("50"))
    );
}

#[test]
fn stops_trigger_on_the_swept_range_then_work_as_market_or_limit() {
    let h = long("0", "10");
    let stop = order("sell", "stop", "gtc", "10", None, Some("95"));
    let st = submit(&stop, &h, &quote(), &no_rules(), &STD).state;
    assert_eq!((st.status, st.triggered), (Status::Accepted, false));
    let above = mkt("96", "96.1", "95.01", "97", 500);
    assert_eq!(on_tick(&stop, &st, &h, &above, &no_rules(), &STD).state, st);
    let through = mkt("94.4", "94.6", "94", "96", 500);
    let o = on_tick(&stop, &st, &h, &through, &no_rules(), &STD);
    assert!(o.state.triggered);
    assert_eq!(
        (o.state.status, o.fills[0].price),
        (Status::Filled, d("94.4"))
    );
    // Stop-limit: triggered, but the limit was not reached yet, so it rests.
    let sl = order("sell", "stop_limit", "gtc", "10", Some("95.5"), Some("95"));
    let st = submit(&sl, &h, &quote(), &no_rules(), &STD).state;
    let dip = mkt("94", "94.1", "94", "95", 500);
    let o = on_tick(&sl, &st, &h, &dip, &no_rules(), &STD);
    assert_eq!(
        (o.state.status, o.state.triggered),
        (Status::Accepted, true)
    );
    let back = mkt("95.6", "95.7", "95", "96", 500);
    let o2 = on_tick(&sl, &o.state, &h, &back, &no_rules(), &STD);
    assert_eq!(
        (o2.state.status, o2.fills[0].price),
        (Status::Filled, d("95.5"))
    );
    // A buy stop triggers on the high.
    let bs = order("buy", "stop", "day", "1", None, Some("103"));
    let st = submit(&bs, &cash("1000"), &quote(), &no_rules(), &STD).state;
    let spike = mkt("103.1", "103.2", "101", "103.5", 500);
    assert_eq!(
        on_tick(&bs, &st, &cash("1000"), &spike, &no_rules(), &STD).fills[0].price,
        d("103.2")
    );
}

#[test]
fn fill_time_shortfall_fills_what_cash_covers_and_cancels_the_rest() {
    let buy = order("buy", "limit", "gtc", "10", Some("100"), None);
    let st = submit(&buy, &cash("2000"), &quote(), &no_rules(), &STD).state;
    // By the time it fills, only $505 is left: 5 shares at $100 + $1 commission.
    let touch = mkt("99.9", "100", "99.5", "101", 500);
    let o = on_tick(&buy, &st, &cash("505"), &touch, &no_rules(), &STD);
    assert_eq!(o.fills[0].qty, d("5"));
    assert_eq!(
        (o.state.status, o.state.reason),
        (Status::Canceled, Some(Reason::InsufficientBuyingPower))
    );
    let broke = on_tick(&buy, &st, &cash("50"), &touch, &no_rules(), &STD);
    assert!(broke.fills.is_empty());
    assert_eq!(broke.state.reason, Some(Reason::InsufficientBuyingPower));
    // A sell whose shares were sold elsewhere meanwhile.
    let sell = order("sell", "limit", "gtc", "10", Some("103"), None);
    let st = submit(&sell, &long("0", "10"), &quote(), &no_rules(), &STD).state;
    assert_eq!(st.status, Status::Accepted);
    let up = mkt("103", "103.1", "102", "104", 500);
    let o = on_tick(&sell, &st, &long("0", "3"), &up, &no_rules(), &STD);
    assert_eq!(o.fills[0].qty, d("3"));
    assert_eq!(o.state.reason, Some(Reason::InsufficientPosition));
}

#[test]
fn notional_orders_convert_at_the_starting_price() {
    let spec = OrderSpec::parse(&RawOrder {
        side: "buy".into(),
        order_type: "market".into(),
        tif: "day".into(),
        notional: Some(d("1000")),
        ..RawOrder::default()
    })
    .unwrap();
    let o = submit(&spec, &cash("2000"), &quote(), &no_rules(), &STD);
    // $1,000 ÷ $101.25 = 9.876543…, truncated to 6 places.
    assert_eq!(o.state.qty, d("9.876543"));
    assert_eq!(o.fills[0].gross, d("1000.00"));
    assert!(o.fills[0].gross <= d("1000"));
    assert_eq!(o.state.status, Status::Filled);
    let sell = OrderSpec::parse(&RawOrder {
        side: "sell".into(),
        order_type: "market".into(),
        tif: "day".into(),
        notional: Some(d("500")),
        ..RawOrder::default()
    })
    .unwrap();
    let o = submit(&sell, &long("0", "10"), &quote(), &no_rules(), &STD);
    assert_eq!(o.state.qty, d("4.943153"));
    let p = d("5000000");
    let dear = MarketSnapshot {
        bid: p,
        ask: p,
        high: p,
        low: p,
        last: p,
        ..quote()
    };
    let tiny = OrderSpec::parse(&RawOrder {
        side: "buy".into(),
        order_type: "market".into(),
        tif: "day".into(),
        notional: Some(Decimal::ONE),
        ..RawOrder::default()
    })
    .unwrap();
    assert_eq!(
        rejected(&submit(&tiny, &cash("10"), &dear, &no_rules(), &STD)),
        Some(Reason::NotionalTooSmall)
    );
}

#[test]
fn unusable_quotes_mean_no_liquidity() {
    let bad = MarketSnapshot {
        bid: d("0"),
        ..quote()
    };
    let spec = order("buy", "market", "day", "1", None, None);
    assert_eq!(
        rejected(&submit(&spec, &cash("1000"), &bad, &no_rules(), &STD)),
        Some(Reason::NoLiquidity)
    );
    let crossed = MarketSnapshot {
        low: d("103"),
        ..quote()
    };
    assert!(!crossed.is_usable());
    let lim = order("buy", "limit", "gtc", "1", Some("100"), None);
    let st = submit(&lim, &cash("1000"), &quote(), &no_rules(), &STD).state;
    assert_eq!(
        on_tick(&lim, &st, &cash("1000"), &crossed, &no_rules(), &STD).state,
        st
    );
}

#[test]
fn day_orders_expire_and_cancel_follows_the_lifecycle() {
    let day = order("buy", "limit", "day", "1", Some("90"), None);
    let gtc = order("buy", "limit", "gtc", "1", Some("90"), None);
    let st = submit(&day, &cash("1000"), &quote(), &no_rules(), &STD).state;
    let e = expire(&day, &st).unwrap();
    assert_eq!(
        (e.state.status, e.state.reason),
        (Status::Expired, Some(Reason::DayOrderExpired))
    );
    assert!(expire(&gtc, &st).is_none());
    assert!(expire(&day, &e.state).is_none());
    let r = cancel(&st, Reason::Replaced).unwrap();
    assert_eq!(
        (r.status, r.reason),
        (Status::Canceled, Some(Reason::Replaced))
    );
    let c = cancel(&st, Reason::CanceledByUser).unwrap();
    assert_eq!(
        (c.status, c.reason),
        (Status::Canceled, Some(Reason::CanceledByUser))
    );
    let err = cancel(&c, Reason::CompetitionEnded).unwrap_err();
    assert_eq!(err.from, Status::Canceled);
    assert!(err.to_string().contains("canceled"));
    // Terminal orders never trade again.
    assert_eq!(
        on_tick(
            &day,
            &c,
            &cash("1000"),
            &mkt("80", "80.1", "79", "81", 9),
            &no_rules(),
            &STD
        )
        .state,
        c
    );
}

#[test]
fn resting_orders_wait_out_a_missing_quote() {
    let bad = MarketSnapshot {
        bid: d("0"),
        ..quote()
    };
    let sell = order("sell", "limit", "gtc", "1", Some("0.5"), None);
    let o = submit(&sell, &long("0", "1"), &bad, &no_rules(), &STD);
    assert_eq!((o.state.status, o.fills.len()), (Status::Accepted, 0));
}

#[test]
fn app_side_rejections() {
    let spec = order("buy", "market", "day", "3", None, None);
    for reason in [Reason::InstrumentNotAllowed, Reason::CompetitionEnded] {
        let o = reject(&spec, reason);
        assert_eq!(
            (o.state.status, o.state.reason, o.state.qty),
            (Status::Rejected, Some(reason), d("3"))
        );
    }
}

#[test]
fn only_limit_orders_queue() {
    let r = realistic();
    let stop = order("buy", "stop", "gtc", "1", None, Some("150"));
    assert_eq!(
        submit(&stop, &cash("1000"), &quote(), &no_rules(), &r)
            .state
            .queue_ahead,
        None
    );
    let sl = order("buy", "stop_limit", "gtc", "1", Some("151"), Some("150"));
    let st = submit(&sl, &cash("1000"), &quote(), &no_rules(), &r).state;
    assert_eq!(st.queue_ahead, None);
    // Triggered but not reached: now it queues at its limit.
    let spike = mkt("152", "152.1", "150", "152.5", 1000);
    let o = on_tick(&sl, &st, &cash("1000"), &spike, &no_rules(), &r);
    assert!(o.state.triggered);
    assert_eq!(o.state.queue_ahead, Some(d("500")));
    let closed = MarketSnapshot {
        open: false,
        ..quote()
    };
    let lim = order("buy", "limit", "gtc", "1", Some("100"), None);
    assert_eq!(
        submit(&lim, &cash("1000"), &closed, &no_rules(), &r)
            .state
            .queue_ahead,
        Some(d("50000"))
    );
}
