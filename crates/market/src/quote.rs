//! Bid/ask quotes around the simulated price.
//!
//! The half-spread is the instrument's base half-spread (set by its liquidity: the
//! lower the average daily volume, the wider) times a stress multiplier: ×2 when its
//! sector is in the turbulent regime, and up to ×3 more after a large move (the last
//! sub-step's move measured in calm-market standard deviations). The total multiplier
//! is capped at [`MAX_STRESS`].
//!
//! Invariants: prices are rounded to the instrument's tick (cents; 0.0001 for
//! money-market funds, see [`crate::AssetClass::price_dp`]); `bid` is rounded down and
//! `ask` up, so the spread is never narrower than quoted, and `tick ≤ bid ≤ last < ask`
//! with `bid < last` too unless the price is a single tick: `bid < ask` always.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use time::OffsetDateTime;

/// The largest stress multiplier of the base spread.
pub const MAX_STRESS: f64 = 6.0;

/// A quote for one instrument at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Highest price a simulated buyer pays: what a market sell fills at.
    pub bid: Decimal,
    /// Lowest price a simulated seller takes: what a market buy fills at.
    pub ask: Decimal,
    /// The last simulated price (the mid of the spread, before rounding of the sides).
    pub last: Decimal,
    /// The half-spread applied, in basis points of `last`.
    pub half_spread_bps: Decimal,
    /// Whether the instrument's market was open at the instant asked about.
    pub open: bool,
    /// When `last` was set: the end of the sub-step it comes from, or the session's
    /// open for the opening price.
    pub as_of: OffsetDateTime,
    /// The day number (see [`crate::Calendar::day_index`]) the price belongs to.
    pub day: u32,
}

impl Quote {
    /// The mid price (the same as `last`).
    pub fn mid(&self) -> Decimal {
        self.last
    }

    /// The full spread `ask − bid`.
    pub fn spread(&self) -> Decimal {
        self.ask - self.bid
    }
}

/// What a quote is built from.
#[derive(Debug, Clone, Copy)]
pub struct QuoteInput {
    /// The current simulated price.
    pub price: f64,
    /// The price one sub-step earlier.
    pub previous: f64,
    /// A calm sub-step's standard deviation of log return.
    pub step_sigma: f64,
    /// Whether the sector is in its turbulent regime.
    pub turbulent: bool,
    /// The instrument's base half-spread in basis points.
    pub base_bps: Decimal,
    /// Decimal places of the price.
    pub dp: u32,
}

/// The stress multiplier of the base spread for `input`.
pub fn stress(input: &QuoteInput) -> f64 {
    let regime = if input.turbulent { 2.0 } else { 1.0 };
    let moved = if input.previous > 0.0 && input.price > 0.0 && input.step_sigma > 0.0 {
        libm::fabs(libm::log(input.price / input.previous)) / input.step_sigma
    } else {
        0.0
    };
    // A move within two sigmas is ordinary; beyond, widen by up to 3×.
    let move_factor = 1.0 + ((moved - 2.0).max(0.0) * 0.5).min(2.0);
    (regime * move_factor).min(MAX_STRESS)
}

/// Bid, ask, last and the half-spread for `input`.
pub fn sides(input: &QuoteInput) -> (Decimal, Decimal, Decimal, Decimal) {
    let tick = Decimal::new(1, input.dp);
    let last = crate::model::price_decimal(input.price, input.dp);
    let multiplier = Decimal::from_f64(stress(input)).unwrap_or(Decimal::ONE);
    let bps = (input.base_bps * multiplier).round_dp(2);
    let half = last * bps / Decimal::from(10_000);
    let bid = (last - half)
        .round_dp_with_strategy(input.dp, rust_decimal::RoundingStrategy::ToNegativeInfinity)
        .min(last - tick)
        .max(tick);
    let ask = (last + half)
        .round_dp_with_strategy(input.dp, rust_decimal::RoundingStrategy::ToPositiveInfinity)
        .max(last + tick)
        .max(bid + tick);
    (bid, ask, last, bps)
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;
