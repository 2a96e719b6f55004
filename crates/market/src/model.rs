//! Daily bars from geometric Brownian motion with a sector factor (so instruments of a
//! sector move together), jumps, and calm/turbulent volatility regimes per sector.
//!
//! Each trading day is simulated in [`STEPS_PER_DAY`] sub-steps; the bar's open is the
//! previous close, and its high and low are the extremes of the sub-step path, so a bar
//! always contains its open and close. Prices are kept as `f64` while simulating and
//! handed out as decimals rounded to cents: money is never a float outside this module.
//!
//! Determinism: the sector's shocks and regime come from one stream per (seed, sector)
//! and an instrument's own shocks and jumps from one stream per (seed, instrument), so
//! adding an instrument never changes another's prices.

use crate::rng::Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// Sub-steps simulated per trading day.
pub const STEPS_PER_DAY: u32 = 8;
/// Trading days per year, for annualised parameters.
pub const TRADING_DAYS: f64 = 252.0;
/// Streams above this are sectors; below, instruments.
const SECTOR_STREAMS: u64 = 1 << 40;

/// A sector: the common factor its instruments load on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sector {
    /// Identity within a market (selects the sector's random stream).
    pub id: u32,
    /// Annualised volatility of the sector factor in the calm regime.
    pub sigma: f64,
    /// Daily probability of switching between the calm and turbulent regimes.
    pub regime_switch: f64,
    /// How much turbulence multiplies volatility (≥ 1).
    pub turbulence: f64,
}

/// An instrument's parameters (annualised where it applies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Drift μ.
    pub mu: f64,
    /// Idiosyncratic volatility σ.
    pub sigma: f64,
    /// Loading on the sector factor, 0–1: the share of variance that is the sector's.
    pub beta: f64,
    /// Expected jumps per year.
    pub jumps_per_year: f64,
    /// Mean jump in log price (negative: crashes are likelier than leaps).
    pub jump_mean: f64,
    /// Spread of jumps in log price.
    pub jump_sd: f64,
}

/// One day's prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// First price of the day.
    pub open: Decimal,
    /// Highest.
    pub high: Decimal,
    /// Lowest.
    pub low: Decimal,
    /// Last.
    pub close: Decimal,
}

fn cents(x: f64) -> Decimal {
    // Prices are positive and far below Decimal's range; a failure would be a bug in
    // the model, and the smallest price keeps the series usable.
    Decimal::from_f64(x)
        .unwrap_or(Decimal::ONE)
        .round_dp(2)
        .max(Decimal::new(1, 2))
}

/// `days` daily bars of instrument `instrument` (in `sector`) from `start` under `p`,
/// for market `seed`. Same inputs, same bars, on every machine.
pub fn daily_bars(
    seed: u64,
    instrument: u64,
    sector: &Sector,
    p: &Params,
    start: f64,
    days: u32,
) -> Vec<Bar> {
    let mut common = Rng::stream(seed, SECTOR_STREAMS + u64::from(sector.id));
    let mut own = Rng::stream(seed, instrument % SECTOR_STREAMS);
    let dt = 1.0 / (TRADING_DAYS * f64::from(STEPS_PER_DAY));
    let beta = p.beta.clamp(0.0, 1.0);
    let own_share = libm::sqrt(1.0 - beta * beta);
    let jump_chance = (p.jumps_per_year / TRADING_DAYS).clamp(0.0, 1.0);
    let mut turbulent = false;
    let mut price = start.max(0.01);
    let mut out = Vec::with_capacity(usize::try_from(days).unwrap_or(0));
    for _ in 0..days {
        if common.uniform() < sector.regime_switch {
            turbulent = !turbulent;
        }
        let scale = if turbulent {
            sector.turbulence.max(1.0)
        } else {
            1.0
        };
        let open = price;
        let (mut high, mut low) = (open, open);
        // A jump lands at a random sub-step of the day.
        let jump = (own.uniform() < jump_chance).then(|| {
            (
                own.next_u64() % u64::from(STEPS_PER_DAY),
                p.jump_mean + p.jump_sd * own.normal(),
            )
        });
        for step in 0..STEPS_PER_DAY {
            // Total volatility: the sector's and the instrument's, mixed by beta.
            let z = beta * common.normal() * sector.sigma / p.sigma.max(1e-9)
                + own_share * own.normal();
            let sigma = p.sigma * scale;
            let mut log_return = (p.mu - 0.5 * sigma * sigma) * dt + sigma * libm::sqrt(dt) * z;
            if let Some((at, size)) = jump
                && at == u64::from(step)
            {
                log_return += size;
            }
            price *= libm::exp(log_return);
            high = high.max(price);
            low = low.min(price);
        }
        out.push(Bar {
            open: cents(open),
            high: cents(high),
            low: cents(low),
            close: cents(price),
        });
    }
    out
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
