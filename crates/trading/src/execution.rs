//! Pricing one fill: where in the quote it executes, what it costs beyond the mid, and
//! the plain-English explanation the learner sees.
//!
//! Invariant: every execution price lies inside the snapshot's `[low, high]` (the
//! range that actually traded). The quote can sit outside that range (the bid/ask
//! move after the last trade, and the mid of a wide quote may never have traded), so
//! the price is clamped into the range and the explanation says so.

use rust_decimal::Decimal;

use crate::engine::{Fill, MarketSnapshot};
use crate::order::Side;
use crate::realism::{Realism, cents, money, price_round, price_text, qty_text, sqrt};

/// The price an order crossing the spread starts from: the mid when frictionless,
/// otherwise the ask for buys and the bid for sells.
pub(crate) fn base_price(side: Side, m: &MarketSnapshot, realism: &Realism) -> Decimal {
    match (realism, side) {
        (Realism::Frictionless, _) => m.mid(),
        (_, Side::Buy) => m.ask,
        (_, Side::Sell) => m.bid,
    }
}

/// Clamps a price into the traded range.
pub(crate) fn clamp(p: Decimal, m: &MarketSnapshot) -> Decimal {
    p.max(m.low).min(m.high)
}

/// Whether an order taking liquidity now would execute within its limit.
pub(crate) fn marketable(
    side: Side,
    limit: Option<Decimal>,
    m: &MarketSnapshot,
    r: &Realism,
) -> bool {
    let Some(limit) = limit else { return true };
    let p = clamp(base_price(side, m, r), m);
    match side {
        Side::Buy => p <= limit,
        Side::Sell => p >= limit,
    }
}

/// Square-root impact per share for `qty` against this interval's volume (zero unless
/// realistic).
pub(crate) fn impact_per_share(qty: Decimal, m: &MarketSnapshot, r: &Realism) -> Decimal {
    match r.impact() {
        Some(i) if qty > Decimal::ZERO => {
            let volume = Decimal::from(m.volume.max(1));
            price_round(i.coefficient * m.mid() * sqrt(qty / volume))
        }
        _ => Decimal::ZERO,
    }
}

/// The execution price of a taking order of `qty`, and the price before clamping into
/// the traded range.
pub(crate) fn taking_price(
    side: Side,
    qty: Decimal,
    limit: Option<Decimal>,
    m: &MarketSnapshot,
    r: &Realism,
) -> (Decimal, Decimal) {
    let base = base_price(side, m, r);
    let mut raw = price_round(base + side.sign() * impact_per_share(qty, m, r));
    if let Some(limit) = limit {
        // A limit order never pays more (or receives less) than its limit, even after
        // impact: the part of the impact beyond the limit is simply not modelled.
        raw = if side == Side::Buy {
            raw.min(limit)
        } else {
            raw.max(limit)
        };
    }
    (clamp(raw, m), raw)
}

/// A fill that crosses the spread (market orders, triggered stops, marketable limits).
pub(crate) fn taking_fill(
    side: Side,
    qty: Decimal,
    limit: Option<Decimal>,
    m: &MarketSnapshot,
    r: &Realism,
) -> Fill {
    let s = side.sign();
    let base = base_price(side, m, r);
    let (price, raw) = taking_price(side, qty, limit, m, r);
    let mid = m.mid();
    // Split the cost beyond the mid into spread and slippage, both never negative.
    let adverse = s * (price - mid);
    let spread_per = (s * (base - mid)).min(adverse).max(Decimal::ZERO);
    let slip_per = (adverse - spread_per).max(Decimal::ZERO);
    let note = (price != raw).then(|| {
        format!(
            " The price was kept within the interval's traded range ({} to {}).",
            price_text(m.low),
            price_text(m.high)
        )
    });
    build(
        side,
        qty,
        price,
        mid,
        spread_per * qty,
        slip_per * qty,
        r,
        note,
    )
}

/// A resting limit order filled by the market trading through its price: it executes
/// at its own limit (or better, if the whole interval traded beyond it), paying no
/// spread.
pub(crate) fn resting_fill(
    side: Side,
    qty: Decimal,
    limit: Decimal,
    m: &MarketSnapshot,
    r: &Realism,
) -> Fill {
    let price = clamp(limit, m);
    let note = Some(format!(
        " Your resting limit order at {} was reached as the price moved between {} and {}, so it filled at your price or better without paying the spread.",
        price_text(limit),
        price_text(m.low),
        price_text(m.high)
    ));
    build(
        side,
        qty,
        price,
        m.mid(),
        Decimal::ZERO,
        Decimal::ZERO,
        r,
        note,
    )
}

#[allow(clippy::too_many_arguments)] // one private constructor; a struct would only rename them
fn build(
    side: Side,
    qty: Decimal,
    price: Decimal,
    mid: Decimal,
    spread: Decimal,
    slip: Decimal,
    r: &Realism,
    note: Option<String>,
) -> Fill {
    let gross = cents(qty * price);
    let fee = r.fee(qty, gross);
    let spread_cost = cents(spread);
    let slippage = cents(slip);
    let (verb, total_label, total) = match side {
        Side::Buy => ("Bought", "Total cost", gross + fee),
        Side::Sell => ("Sold", "Net proceeds", gross - fee),
    };
    let costs = if spread_cost.is_zero() && slippage.is_zero() {
        format!(" The mid price was {}.", price_text(mid))
    } else {
        format!(
            " The mid price was {}, so crossing the spread cost {}; slippage from the order's size added {}.",
            price_text(mid),
            money(spread_cost),
            money(slippage)
        )
    };
    let explanation = format!(
        "{verb} {} at {}.{costs}{} Commission {}. {total_label} {}.",
        qty_text(qty),
        price_text(price),
        note.unwrap_or_default(),
        money(fee),
        money(total)
    );
    Fill {
        qty,
        price,
        gross,
        fee,
        spread_cost,
        slippage,
        explanation,
    }
}
