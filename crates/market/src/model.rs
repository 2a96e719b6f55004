//! The price model: geometric Brownian motion with a market factor, a sector factor (so
//! instruments of a sector move together, and every sector with the market), jumps,
//! calm/turbulent volatility regimes per sector, and simulated volume.
//!
//! A day is simulated in sub-steps ([`DayClock`]); a day's open is the previous day's
//! close (no overnight gap), and its high and low are the extremes of the sub-step path,
//! so a bar always contains its open and close. Prices are `f64` only while simulating
//! and are handed out as decimals rounded to the instrument's tick: money is never a
//! float outside the simulation maths.
//!
//! Determinism: the market factor comes from one stream per seed, a sector's shocks and
//! regime from one stream per (seed, sector), an instrument's own shocks and jumps from
//! one stream per (seed, instrument), and its volume from another, so adding an
//! instrument never changes another's prices and volume never changes prices. Every
//! draw a day makes depends only on the [`PathState`] at its start, which is what lets
//! a series replay any day from a checkpoint.

use crate::rng::Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// Sub-steps per exchange session: 5-minute steps over 09:30–16:00.
pub const STEPS_PER_DAY: u32 = 78;
/// Trading days per year, for annualised parameters of exchange-traded instruments.
pub const TRADING_DAYS: f64 = 252.0;
/// Streams at and above this are sectors; below, instruments.
const SECTOR_STREAMS: u64 = 1 << 40;
/// The market factor's stream.
const MARKET_STREAM: u64 = 1 << 42;
/// Volume streams: one per instrument, apart from its price stream.
const VOLUME_STREAMS: u64 = 1 << 41;

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
    /// Loading of the sector factor on the market factor, 0–1 (0: the sector moves on
    /// its own; 1: the sector factor *is* the market factor, as for a broad index).
    pub market: f64,
}

/// An instrument's parameters (annualised where it applies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Drift μ: the expected annual log-return rate of the price before the volatility
    /// drag, jumps included (the diffusion is compensated for the jumps' mean).
    pub mu: f64,
    /// Volatility σ.
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

/// Prices over a period (a day, a sub-step, or an arbitrary window) and the volume
/// traded in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// First price of the period.
    pub open: Decimal,
    /// Highest.
    pub high: Decimal,
    /// Lowest.
    pub low: Decimal,
    /// Last.
    pub close: Decimal,
    /// Units traded (simulated).
    pub volume: u64,
}

/// How a day is cut into sub-steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayClock {
    /// Sub-steps per day.
    pub steps: u32,
    /// Days per year the parameters are annualised over (252 for exchange sessions,
    /// 365 for round-the-clock trading).
    pub days_per_year: f64,
}

impl DayClock {
    /// Exchange sessions: 78 five-minute steps, 252 days a year.
    pub const EXCHANGE: Self = Self {
        steps: STEPS_PER_DAY,
        days_per_year: TRADING_DAYS,
    };
    /// Round-the-clock trading: 288 five-minute steps, 365 days a year.
    pub const AROUND_THE_CLOCK: Self = Self {
        steps: 288,
        days_per_year: 365.0,
    };

    /// A sub-step's length in years.
    pub fn dt(&self) -> f64 {
        1.0 / (self.days_per_year * f64::from(self.steps.max(1)))
    }
}

/// The state of an instrument's path at the start of a day: replaying a day from it
/// gives exactly the same steps.
#[derive(Debug, Clone)]
pub struct PathState {
    market: Rng,
    common: Rng,
    own: Rng,
    flow: Rng,
    price: f64,
    turbulent: bool,
}

impl PathState {
    /// The start of instrument `instrument`'s path, in sector `sector`, for market
    /// `seed`, at price `start`.
    pub fn new(seed: u64, instrument: u64, sector: u32, start: f64) -> Self {
        Self {
            market: Rng::stream(seed, MARKET_STREAM),
            common: Rng::stream(seed, SECTOR_STREAMS + u64::from(sector)),
            own: Rng::stream(seed, instrument % SECTOR_STREAMS),
            flow: Rng::stream(seed, VOLUME_STREAMS + instrument % SECTOR_STREAMS),
            price: start.max(0.01),
            turbulent: false,
        }
    }

    /// The current price (the last close).
    pub fn price(&self) -> f64 {
        self.price
    }

    /// Whether the last simulated day was in the turbulent regime.
    pub fn turbulent(&self) -> bool {
        self.turbulent
    }
}

/// One sub-step: the price at its end and the volume traded during it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Price at the end of the step.
    pub price: f64,
    /// Units traded during the step.
    pub volume: u64,
}

/// A simulated day, before rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    /// The previous close.
    pub open: f64,
    /// Highest price of the path (open included).
    pub high: f64,
    /// Lowest price of the path (open included).
    pub low: f64,
    /// Last step's price.
    pub close: f64,
    /// Total volume of the steps.
    pub volume: u64,
    /// Whether the sector was in its turbulent regime.
    pub turbulent: bool,
}

impl Day {
    /// The day as a bar with prices rounded to `dp` decimals.
    pub fn bar(&self, dp: u32) -> Bar {
        Bar {
            open: price_decimal(self.open, dp),
            high: price_decimal(self.high, dp),
            low: price_decimal(self.low, dp),
            close: price_decimal(self.close, dp),
            volume: self.volume,
        }
    }
}

/// A simulated price as a decimal rounded to `dp` places, never below one tick.
pub fn price_decimal(x: f64, dp: u32) -> Decimal {
    // Prices are positive and far below Decimal's range; a failure would be a bug in
    // the model, and the smallest price keeps the series usable.
    let tick = Decimal::new(1, dp);
    Decimal::from_f64(x).unwrap_or(tick).round_dp(dp).max(tick)
}

/// Mean of |z| for a standard normal, to make the volume's activity term average 1.
const MEAN_ABS_NORMAL: f64 = 0.797_884_560_802_865_4;
/// How much volume grows per daily standard deviation the price has moved since the
/// open.
const MOVE_VOLUME: f64 = 0.8;

/// Simulates one day from `state` (advancing it to the day's end), calling `on_step`
/// for each sub-step. `adv` is the instrument's average daily volume.
pub fn simulate_day(
    state: &mut PathState,
    sector: &Sector,
    p: &Params,
    clock: &DayClock,
    adv: f64,
    mut on_step: impl FnMut(Step),
) -> Day {
    let steps = clock.steps.max(1);
    let dt = clock.dt();
    let beta = p.beta.clamp(0.0, 1.0);
    let own_share = libm::sqrt(1.0 - beta * beta);
    let market = sector.market.clamp(0.0, 1.0);
    let sector_share = libm::sqrt(1.0 - market * market);
    let jump_chance = (p.jumps_per_year / clock.days_per_year).clamp(0.0, 1.0);
    if state.common.uniform() < sector.regime_switch {
        state.turbulent = !state.turbulent;
    }
    let scale = if state.turbulent {
        sector.turbulence.max(1.0)
    } else {
        1.0
    };
    // Volume: a day-level log-normal factor (mean 1), busier when turbulent. Regimes
    // are symmetric (half the days are turbulent in the long run), so 0.8 and 1.2 keep
    // the mean at 1.
    let day_flow =
        libm::exp(0.3 * state.flow.normal() - 0.045) * if state.turbulent { 1.2 } else { 0.8 };
    let per_step = adv.max(0.0) / f64::from(steps);
    let open = state.price;
    let (mut high, mut low, mut volume) = (open, open, 0u64);
    // A jump lands at a random sub-step of the day.
    let jump = (state.own.uniform() < jump_chance).then(|| {
        (
            state.own.next_u64() % u64::from(steps),
            p.jump_mean + p.jump_sd * state.own.normal(),
        )
    });
    let sigma = p.sigma * scale;
    // Compensate for the jumps' expected effect, so that μ is the expected return
    // including jumps (otherwise frequent negative jumps would quietly lower it).
    let jump_drift =
        p.jumps_per_year * (libm::exp(p.jump_mean + 0.5 * p.jump_sd * p.jump_sd) - 1.0);
    let drift = (p.mu - jump_drift - 0.5 * sigma * sigma) * dt;
    let root_dt = libm::sqrt(dt);
    // z's standard deviation: the sector and own parts need not add to one.
    let loading = beta * sector.sigma / p.sigma.max(1e-9);
    let z_sd = libm::sqrt(loading * loading + own_share * own_share).max(1e-9);
    let day_sigma = (p.sigma * z_sd * libm::sqrt(1.0 / clock.days_per_year)).max(1e-9);
    for step in 0..steps {
        let factor = market * state.market.normal() + sector_share * state.common.normal();
        // Total volatility: the sector's and the instrument's, mixed by beta.
        let z = loading * factor + own_share * state.own.normal();
        let mut log_return = drift + sigma * root_dt * z;
        let mut activity = 0.5 + 0.5 * z.abs() / (z_sd * MEAN_ABS_NORMAL);
        if let Some((at, size)) = jump
            && at == u64::from(step)
        {
            log_return += size;
            activity *= 5.0;
        }
        state.price *= libm::exp(log_return);
        high = high.max(state.price);
        low = low.min(state.price);
        // Trading also grows with how far the price has come since the open, so days
        // with big moves have big volume. The divisor is the term's typical size
        // (0.53 daily sigmas for pure diffusion; 0.7 measured with regimes and jumps),
        // so the long-run mean stays near the ADV.
        let moved = libm::fabs(libm::log(state.price / open)) / day_sigma;
        activity *= (1.0 + MOVE_VOLUME * moved) / (1.0 + MOVE_VOLUME * 0.7);
        // Trading is busier near the open and the close (a U shape with mean 1).
        let x = (f64::from(step) + 0.5) / f64::from(steps);
        let shape = 1.0 + 0.9 * ((2.0 * x - 1.0) * (2.0 * x - 1.0) - 1.0 / 3.0);
        let units = libm::round(per_step * day_flow * shape * activity).max(0.0);
        // Non-negative and far below 2^64: ADVs are at most billions.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let units = units as u64;
        volume = volume.saturating_add(units);
        on_step(Step {
            price: state.price,
            volume: units,
        });
    }
    Day {
        open,
        high,
        low,
        close: state.price,
        volume,
        turbulent: state.turbulent,
    }
}

/// `days` daily bars (rounded to cents) of instrument `instrument` (in `sector`) from
/// `start` under `p`, trading `adv` units a day on average, for market `seed`, on the
/// exchange clock. Same inputs, same bars, on every machine.
pub fn daily_bars(
    seed: u64,
    instrument: u64,
    sector: &Sector,
    p: &Params,
    start: f64,
    adv: u64,
    days: u32,
) -> Vec<Bar> {
    let mut state = PathState::new(seed, instrument, sector.id, start);
    #[allow(clippy::cast_precision_loss)] // ADVs are far below 2^53
    let adv = adv as f64;
    (0..days)
        .map(|_| simulate_day(&mut state, sector, p, &DayClock::EXCHANGE, adv, |_| {}).bar(2))
        .collect()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
