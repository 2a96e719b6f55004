//! How real the simulated market feels: who pays the spread, commissions, market impact,
//! liquidity caps and queue position. Also the arithmetic helpers the engine shares
//! (rounding, square root, money formatting), kept here so `engine` reads as rules.
//!
//! Rounding (deterministic, half away from zero unless stated):
//! - execution prices to [`PRICE_DP`] (4) decimal places;
//! - every money amount (gross, fee, spread cost, slippage) to cents;
//! - quantities are truncated (never rounded up) to the order's lot: one share for
//!   whole-share orders, 10⁻⁶ for fractional and notional ones.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::order::QTY_DP;

/// Decimal places of an execution price.
pub const PRICE_DP: u32 = 4;

/// A per-share commission with a minimum and a cap, like Interactive Brokers' fixed
/// plan. The cap (a share of the trade value) wins over the minimum, so a tiny
/// fractional trade never pays more in commission than a small fraction of its value,
/// and a sale's proceeds always cover its commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commission {
    /// Dollars per share (default $0.005).
    pub per_share: Decimal,
    /// Minimum per fill (default $1.00).
    pub minimum: Decimal,
    /// Cap as a fraction of the fill's gross value (default 0.01 = 1%).
    pub max_fraction: Decimal,
}

impl Default for Commission {
    fn default() -> Self {
        Commission {
            per_share: Decimal::new(5, 3),
            minimum: Decimal::ONE,
            max_fraction: Decimal::new(1, 2),
        }
    }
}

impl Commission {
    /// The commission on one fill of `qty` shares worth `gross`, in cents.
    pub fn fee(&self, qty: Decimal, gross: Decimal) -> Decimal {
        if qty <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let fee = (self.per_share * qty).max(self.minimum);
        cents(fee.min(self.max_fraction * gross).max(Decimal::ZERO))
    }
}

/// Market-impact and liquidity parameters for [`Realism::Realistic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Impact {
    /// Square-root impact: the price moves against the order by
    /// `coefficient × mid × √(qty / interval volume)` (default 0.01: trading 10% of
    /// the interval's volume costs about 0.32% of the price).
    pub coefficient: Decimal,
    /// The most an order may take from one interval, as a fraction of its volume
    /// (default 0.10). The rest waits for later ticks (or is canceled for IOC).
    pub participation: Decimal,
    /// Shares queued ahead of a newly resting limit order, as a fraction of the
    /// interval's volume (default 0.5): we have no order book, so this stands in for
    /// the displayed size at the price.
    pub queue_depth: Decimal,
}

impl Default for Impact {
    fn default() -> Self {
        Impact {
            coefficient: Decimal::new(1, 2),
            participation: Decimal::new(1, 1),
            queue_depth: Decimal::new(5, 1),
        }
    }
}

/// How much market friction the simulation models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realism {
    /// Every trade at the mid price, no commission, unlimited liquidity: for learning
    /// the mechanics without the costs.
    Frictionless,
    /// Buys at the ask, sells at the bid, a commission; unlimited liquidity.
    Standard(Commission),
    /// Standard plus size-dependent slippage, partial fills capped at a participation
    /// rate, and a queue ahead of resting limit orders.
    Realistic {
        commission: Commission,
        impact: Impact,
    },
}

impl Realism {
    pub fn as_str(self) -> &'static str {
        match self {
            Realism::Frictionless => "frictionless",
            Realism::Standard(_) => "standard",
            Realism::Realistic { .. } => "realistic",
        }
    }
    /// The preset with default parameters.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "frictionless" => Some(Realism::Frictionless),
            "standard" => Some(Realism::Standard(Commission::default())),
            "realistic" => Some(Realism::Realistic {
                commission: Commission::default(),
                impact: Impact::default(),
            }),
            _ => None,
        }
    }
    /// The commission on a fill (zero when frictionless).
    pub fn fee(&self, qty: Decimal, gross: Decimal) -> Decimal {
        match self {
            Realism::Frictionless => Decimal::ZERO,
            Realism::Standard(c) | Realism::Realistic { commission: c, .. } => c.fee(qty, gross),
        }
    }
    pub fn impact(&self) -> Option<&Impact> {
        match self {
            Realism::Realistic { impact, .. } => Some(impact),
            _ => None,
        }
    }
}

/// Rounds money to cents.
pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds an execution price to [`PRICE_DP`].
pub fn price_round(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(PRICE_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// Truncates a non-negative quantity to whole multiples of `lot`.
pub fn floor_to_lot(q: Decimal, lot: Decimal) -> Decimal {
    if q <= Decimal::ZERO || lot <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    ((q / lot).trunc() * lot).round_dp_with_strategy(QTY_DP, RoundingStrategy::ToZero)
}

/// Square root by Newton's method in decimal arithmetic: exact, deterministic and
/// platform-independent (rust_decimal's `maths` feature is not enabled here).
pub fn sqrt(x: Decimal) -> Decimal {
    if x <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let mut g = if x > Decimal::ONE {
        x / Decimal::TWO
    } else {
        Decimal::ONE
    };
    for _ in 0..60 {
        let next = (g + x / g) / Decimal::TWO;
        if next == g {
            break;
        }
        g = next;
    }
    g
}

/// Formats money for learners: `$1,013.50`, `-$3.20`.
pub fn money(d: Decimal) -> String {
    let c = cents(d);
    let sign = if c < Decimal::ZERO { "-" } else { "" };
    let s = format!("{:.2}", c.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, "00"));
    format!("{sign}${}.{frac}", group_thousands(whole))
}

/// Formats a price: cents, or up to four places when it has sub-penny digits.
pub fn price_text(d: Decimal) -> String {
    let n = d.normalize();
    if n.scale() <= 2 {
        money(d)
    } else {
        let s = format!("{n}");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        format!("${}.{frac}", group_thousands(whole))
    }
}

/// Formats a quantity without trailing zeros.
pub fn qty_text(q: Decimal) -> String {
    q.normalize().to_string()
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
#[path = "realism_tests.rs"]
mod tests;
