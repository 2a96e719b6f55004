//! An instrument's price series, generated lazily day by day.
//!
//! A [`Series`] holds the generator state at the end of the last generated day and
//! extends on demand, so the app keeps one per (seed, instrument) instead of
//! recomputing from the epoch on every call. Extending in pieces gives exactly the
//! bars and steps that generating in one go does (a day's draws depend only on the
//! state at its start).
//!
//! Memory: every daily bar is kept (252 a year is small), with a checkpoint of the
//! generator state at the start of each day (about 200 bytes). Intraday sub-steps are
//! kept only for the [`RECENT_DAYS`] most recent days, where quotes are asked for; an
//! older day's steps are recomputed from its checkpoint when asked for (78 or 288
//! steps: microseconds) and the last such day is cached.
//!
//! Day numbering follows the instrument's calendar: exchange trading days, or calendar
//! days for round-the-clock instruments, which therefore get a full 24-hour path for
//! every weekend day too (see [`crate::calendar`]).

use crate::instruments::{AssetClass, Instrument};
use crate::model::{Bar, DayClock, Params, PathState, Sector, Step, simulate_day};
use std::collections::VecDeque;

/// Days whose intraday steps stay in memory.
pub const RECENT_DAYS: usize = 3;

/// Per-day bookkeeping.
#[derive(Debug, Clone)]
struct DayMeta {
    /// The generator state at the start of the day, to replay its steps.
    checkpoint: PathState,
    turbulent: bool,
}

/// A lazily extended price series for one instrument in one market.
#[derive(Debug, Clone)]
pub struct Series {
    sector: Sector,
    params: Params,
    clock: DayClock,
    dp: u32,
    adv: f64,
    start: f64,
    /// The state at the end of the last generated day.
    state: PathState,
    bars: Vec<Bar>,
    meta: Vec<DayMeta>,
    /// The steps of the most recent days, oldest first.
    recent: VecDeque<(u32, Vec<Step>)>,
    /// The last older day replayed from its checkpoint.
    replayed: Option<(u32, Vec<Step>)>,
}

impl Series {
    /// An empty series of `instrument` for market `seed`.
    pub fn new(seed: u64, instrument: &Instrument) -> Self {
        let sector = instrument.industry.sector();
        Self::from_parts(
            PathState::new(
                seed,
                u64::from(instrument.id),
                sector.id,
                instrument.start(),
            ),
            sector,
            instrument.params,
            instrument.class,
            instrument.adv(),
        )
    }

    /// An empty series from explicit model inputs.
    pub fn from_parts(
        state: PathState,
        sector: Sector,
        params: Params,
        class: AssetClass,
        adv: f64,
    ) -> Self {
        Self {
            sector,
            params,
            clock: class.clock(),
            dp: class.price_dp(),
            adv,
            start: state.price(),
            state,
            bars: Vec::new(),
            meta: Vec::new(),
            recent: VecDeque::with_capacity(RECENT_DAYS + 1),
            replayed: None,
        }
    }

    /// Days generated so far.
    pub fn len(&self) -> u32 {
        u32::try_from(self.bars.len()).unwrap_or(u32::MAX)
    }

    /// Whether no day has been generated.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// Sub-steps per day.
    pub fn steps_per_day(&self) -> u32 {
        self.clock.steps
    }

    /// Decimal places of prices.
    pub fn dp(&self) -> u32 {
        self.dp
    }

    /// The standard deviation of one sub-step's log return in calm markets, against
    /// which a move is judged big (for spreads).
    pub fn step_sigma(&self) -> f64 {
        self.params.sigma * libm::sqrt(self.clock.dt())
    }

    /// Generates days until `day` exists.
    pub fn extend_to(&mut self, day: u32) {
        while self.len() <= day {
            let index = self.len();
            let checkpoint = self.state.clone();
            // Reuse the oldest recent buffer rather than allocating each day.
            let mut steps = if self.recent.len() >= RECENT_DAYS {
                self.recent.pop_front().map(|(_, s)| s).unwrap_or_default()
            } else {
                Vec::with_capacity(self.clock.steps as usize)
            };
            steps.clear();
            let d = simulate_day(
                &mut self.state,
                &self.sector,
                &self.params,
                &self.clock,
                self.adv,
                |s| steps.push(s),
            );
            self.bars.push(d.bar(self.dp));
            self.meta.push(DayMeta {
                checkpoint,
                turbulent: d.turbulent,
            });
            self.recent.push_back((index, steps));
        }
    }

    /// The daily bar of `day`, if generated.
    pub fn bar(&self, day: u32) -> Option<Bar> {
        self.bars.get(day as usize).copied()
    }

    /// The generated daily bars of days `from..=to` (fewer if not all are generated).
    pub fn bars(&self, from: u32, to: u32) -> &[Bar] {
        let end = (to as usize).saturating_add(1).min(self.bars.len());
        self.bars.get(from as usize..end).unwrap_or(&[])
    }

    /// Whether `day` was turbulent, if generated.
    pub fn turbulent(&self, day: u32) -> Option<bool> {
        self.meta.get(day as usize).map(|m| m.turbulent)
    }

    /// The price before `day`'s first step: the previous close (or the start price).
    pub fn open_price(&self, day: u32) -> Option<f64> {
        self.meta.get(day as usize).map(|m| m.checkpoint.price())
    }

    /// The starting price of the series.
    pub fn start_price(&self) -> f64 {
        self.start
    }

    /// `day`'s sub-steps, generating or replaying as needed.
    pub fn steps(&mut self, day: u32) -> &[Step] {
        self.extend_to(day);
        if let Some(i) = self.recent.iter().position(|(d, _)| *d == day) {
            return &self.recent[i].1;
        }
        if self.replayed.as_ref().is_none_or(|(d, _)| *d != day) {
            let mut steps = Vec::with_capacity(self.clock.steps as usize);
            if let Some(meta) = self.meta.get(day as usize) {
                let mut state = meta.checkpoint.clone();
                simulate_day(
                    &mut state,
                    &self.sector,
                    &self.params,
                    &self.clock,
                    self.adv,
                    |s| steps.push(s),
                );
            }
            self.replayed = Some((day, steps));
        }
        self.replayed.as_ref().map_or(&[], |(_, s)| s.as_slice())
    }
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
