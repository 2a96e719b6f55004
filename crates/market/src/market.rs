//! The live simulated market: quotes and bars at injected instants.
//!
//! [`Market`] owns one lazily extended [`Series`] per instrument and, per calendar kind
//! (exchange sessions, round the clock), a timeline of session bounds, so a quote is a
//! binary search plus an array read once the series has caught up. It takes `&mut self`
//! to extend lazily and has no interior mutability: the app wraps it in a mutex.
//!
//! Time is always an argument; nothing reads the clock. A price is visible only once
//! its sub-step has completed: the quote at `at` uses the last sub-step ending at or
//! before `at`, and bars never include sub-steps ending after the `as_of` they are
//! asked for, so no caller can see a price before it happens.
//!
//! Nothing exists before the epoch's first session, and nothing is generated beyond
//! [`HORIZON_DAYS`] (about 30 years) so a wild timestamp cannot exhaust memory.

use crate::calendar::{Calendar, STEP_MINUTES};
use crate::instruments::{AssetClass, Catalogue, Instrument};
use crate::model::{Bar, Step, price_decimal};
use crate::quote::{Quote, QuoteInput, sides};
use crate::series::Series;
use time::{Date, Duration, OffsetDateTime};

/// The furthest day number generated.
pub const HORIZON_DAYS: u32 = 11_000;
const STEP_SECONDS: i64 = STEP_MINUTES * 60;

/// Session bounds per day number, in Unix seconds, for one calendar kind.
#[derive(Debug, Clone)]
struct Timeline {
    class: AssetClass,
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// The next date to consider.
    next: Date,
}

impl Timeline {
    fn new(class: AssetClass, epoch: Date) -> Self {
        Self {
            class,
            starts: Vec::new(),
            ends: Vec::new(),
            next: epoch,
        }
    }

    /// Extends until a session starts after `t` (or the horizon).
    fn cover(&mut self, calendar: Calendar, t: i64) {
        while self.starts.last().is_none_or(|&s| s <= t)
            && self.starts.len() < HORIZON_DAYS as usize
        {
            let date = self.next;
            let Some(next) = date.next_day() else {
                return;
            };
            self.next = next;
            if let Some((open, close)) = calendar.session_for(self.class, date) {
                self.starts.push(open.unix_timestamp());
                self.ends.push(close.unix_timestamp());
            }
        }
    }

    /// The last day whose session started at or before `t`, with its bounds.
    fn locate(&self, t: i64) -> Option<(u32, i64, i64)> {
        let i = self.starts.partition_point(|&s| s <= t).checked_sub(1)?;
        Some((u32::try_from(i).ok()?, self.starts[i], self.ends[i]))
    }
}

/// Where an instant falls in an instrument's day.
#[derive(Debug, Clone, Copy)]
struct Position {
    day: u32,
    /// Sub-steps of `day` completed by the instant.
    completed: u32,
    open: bool,
    session_start: i64,
}

/// The simulated market of one seed.
#[derive(Debug, Clone)]
pub struct Market {
    seed: u64,
    catalogue: Catalogue,
    calendar: Calendar,
    series: Vec<Series>,
    exchange: Timeline,
    around_the_clock: Timeline,
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The bar of `steps` after a start price `open`; `None` without steps.
fn aggregate(open: f64, steps: &[Step], dp: u32) -> Option<Bar> {
    let last = steps.last()?;
    let (mut high, mut low, mut volume) = (open, open, 0u64);
    for s in steps {
        high = high.max(s.price);
        low = low.min(s.price);
        volume = volume.saturating_add(s.volume);
    }
    Some(Bar {
        open: price_decimal(open, dp),
        high: price_decimal(high, dp),
        low: price_decimal(low, dp),
        close: price_decimal(last.price, dp),
        volume,
    })
}

/// A bar with its period's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedBar {
    /// When the period began.
    pub start: OffsetDateTime,
    /// Its prices and volume.
    pub bar: Bar,
}

impl Market {
    /// The market of `seed` over `catalogue`, on the standard calendar.
    pub fn new(seed: u64, catalogue: Catalogue) -> Self {
        Self::with_calendar(seed, catalogue, Calendar::standard())
    }

    /// The market of `seed` over `catalogue` on `calendar`.
    pub fn with_calendar(seed: u64, catalogue: Catalogue, calendar: Calendar) -> Self {
        let series = catalogue
            .instruments()
            .iter()
            .map(|i| Series::new(seed, i))
            .collect();
        Self {
            seed,
            catalogue,
            calendar,
            series,
            exchange: Timeline::new(AssetClass::Stock, calendar.epoch()),
            around_the_clock: Timeline::new(AssetClass::Crypto, calendar.epoch()),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The instruments.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    fn timeline(&mut self, class: AssetClass) -> &mut Timeline {
        if class.around_the_clock() {
            &mut self.around_the_clock
        } else {
            &mut self.exchange
        }
    }

    /// Where `at` falls for `class`; `None` before the first session.
    fn position(&mut self, class: AssetClass, at: OffsetDateTime) -> Option<Position> {
        let t = at.unix_timestamp();
        let calendar = self.calendar;
        let timeline = self.timeline(class);
        timeline.cover(calendar, t);
        let (day, start, end) = timeline.locate(t)?;
        let steps = i64::from(class.clock().steps);
        let (completed, open) = if t >= end {
            (steps, false)
        } else {
            ((t - start) / STEP_SECONDS, true)
        };
        Some(Position {
            day,
            completed: u32::try_from(completed.clamp(0, steps)).ok()?,
            open,
            session_start: start,
        })
    }

    fn instrument(&self, symbol: &str) -> Option<(usize, Instrument)> {
        let i = self.catalogue.position(symbol)?;
        Some((i, self.catalogue.instruments().get(i)?.clone()))
    }

    /// The quote for `symbol` at `at`: the price of the last sub-step completed at or
    /// before `at` (the day's open before the first completes; the last close while
    /// closed). `None` for an unknown symbol or before the market's first session.
    pub fn quote_at(&mut self, symbol: &str, at: OffsetDateTime) -> Option<Quote> {
        let i = self.catalogue.position(symbol)?;
        let inst = self.catalogue.instruments().get(i)?;
        let (class, base_bps) = (inst.class, inst.liquidity.half_spread_bps);
        let pos = self.position(class, at)?;
        let series = self.series.get_mut(i)?;
        let day_open = {
            series.extend_to(pos.day);
            series.open_price(pos.day)?
        };
        let turbulent = series.turbulent(pos.day)?;
        let (step_sigma, dp) = (series.step_sigma(), series.dp());
        let steps = series.steps(pos.day);
        let n = pos.completed as usize;
        let price = if n == 0 {
            day_open
        } else {
            steps.get(n - 1)?.price
        };
        let previous = match n {
            0 | 1 => day_open,
            _ => steps.get(n - 2)?.price,
        };
        let (bid, ask, last, half_spread_bps) = sides(&QuoteInput {
            price,
            previous,
            step_sigma,
            turbulent,
            base_bps,
            dp,
        });
        Some(Quote {
            bid,
            ask,
            last,
            half_spread_bps,
            open: pos.open,
            as_of: unix(pos.session_start + i64::from(pos.completed) * STEP_SECONDS),
            day: pos.day,
        })
    }

    /// Whether `symbol`'s market is open at `at`.
    pub fn is_open(&self, symbol: &str, at: OffsetDateTime) -> Option<bool> {
        let class = self.catalogue.get(symbol)?.class;
        Some(self.calendar.is_open(class, at))
    }

    /// Daily bars of days `from..=to` (day numbers, see [`Calendar::day_index`]) as
    /// known at `as_of`: completed days in full, the day in progress as a partial bar
    /// of its completed sub-steps, nothing later. Each bar carries its session's start.
    pub fn daily_bars(
        &mut self,
        symbol: &str,
        from: u32,
        to: u32,
        as_of: OffsetDateTime,
    ) -> Vec<TimedBar> {
        let Some((i, inst)) = self.instrument(symbol) else {
            return Vec::new();
        };
        let Some(pos) = self.position(inst.class, as_of) else {
            return Vec::new();
        };
        let to = to.min(pos.day);
        if from > to {
            return Vec::new();
        }
        let calendar = self.calendar;
        let Some(series) = self.series.get_mut(i) else {
            return Vec::new();
        };
        series.extend_to(to);
        let mut out: Vec<TimedBar> = Vec::new();
        for (day, bar) in (from..).zip(series.bars(from, to).to_vec()) {
            let Some((start, _)) = calendar.day_session(inst.class, day) else {
                continue;
            };
            let bar = if day == pos.day && pos.completed < series.steps_per_day() {
                let Some(open) = series.open_price(day) else {
                    continue;
                };
                let (n, dp) = (pos.completed as usize, series.dp());
                let steps = series.steps(day);
                match aggregate(open, steps.get(..n).unwrap_or(&[]), dp) {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                bar
            };
            out.push(TimedBar { start, bar });
        }
        out
    }

    /// The 5-minute bars of day `day` completed by `as_of`, each with its start. A
    /// sub-step's bar opens at the previous sub-step's price.
    pub fn intraday_bars(
        &mut self,
        symbol: &str,
        day: u32,
        as_of: OffsetDateTime,
    ) -> Vec<TimedBar> {
        let Some((i, inst)) = self.instrument(symbol) else {
            return Vec::new();
        };
        let Some(pos) = self.position(inst.class, as_of) else {
            return Vec::new();
        };
        let Some((start, _)) = self.calendar.day_session(inst.class, day) else {
            return Vec::new();
        };
        if day > pos.day {
            return Vec::new();
        }
        let Some(series) = self.series.get_mut(i) else {
            return Vec::new();
        };
        series.extend_to(day);
        let (Some(open), dp) = (series.open_price(day), series.dp()) else {
            return Vec::new();
        };
        let n = if day == pos.day {
            pos.completed as usize
        } else {
            usize::MAX
        };
        let mut previous = open;
        let mut out = Vec::new();
        for (k, s) in (0i64..).zip(series.steps(day).iter().take(n)) {
            if let Some(bar) = aggregate(previous, std::slice::from_ref(s), dp) {
                out.push(TimedBar {
                    start: start + Duration::seconds(k * STEP_SECONDS),
                    bar,
                });
            }
            previous = s.price;
        }
        out
    }

    /// The range swept by `symbol` over the sub-steps ending in `(t0, t1]`: open is the
    /// price at `t0`, high and low include it (a resting order could have triggered at
    /// it), close is the price at `t1`, volume is the sub-steps'. `None` if no sub-step
    /// ended in the window (e.g. the market was closed) or `t1 ≤ t0`. Windows spanning
    /// more than a few days cost a replay per day; the fill engine's are one tick long.
    pub fn bar_between(
        &mut self,
        symbol: &str,
        t0: OffsetDateTime,
        t1: OffsetDateTime,
    ) -> Option<Bar> {
        if t1 <= t0 {
            return None;
        }
        let i = self.catalogue.position(symbol)?;
        let class = self.catalogue.instruments().get(i)?.class;
        let p1 = self.position(class, t1)?;
        let open = self.quote_price(i, class, t0);
        let p0 = self.position(class, t0);
        let first_day = p0.map_or(0, |p| p.day);
        let series = self.series.get_mut(i)?;
        series.extend_to(p1.day);
        let dp = series.dp();
        let open = match open {
            Some(o) => o,
            None => series.open_price(first_day)?,
        };
        let (mut high, mut low, mut close, mut volume, mut any) = (open, open, open, 0u64, false);
        for day in first_day..=p1.day {
            // Steps of `day` already completed at t0 are outside the window.
            let skip = match p0 {
                Some(p) if p.day == day => p.completed as usize,
                Some(p) if p.day > day => continue,
                _ => 0,
            };
            let take = if day == p1.day {
                p1.completed as usize
            } else {
                usize::MAX
            };
            for s in series.steps(day).iter().take(take).skip(skip) {
                high = high.max(s.price);
                low = low.min(s.price);
                close = s.price;
                volume = volume.saturating_add(s.volume);
                any = true;
            }
        }
        any.then(|| Bar {
            open: price_decimal(open, dp),
            high: price_decimal(high, dp),
            low: price_decimal(low, dp),
            close: price_decimal(close, dp),
            volume,
        })
    }

    /// The simulated price (unrounded) of instrument `i` at `at`.
    fn quote_price(&mut self, i: usize, class: AssetClass, at: OffsetDateTime) -> Option<f64> {
        let pos = self.position(class, at)?;
        let series = self.series.get_mut(i)?;
        series.extend_to(pos.day);
        let open = series.open_price(pos.day)?;
        let n = pos.completed as usize;
        if n == 0 {
            return Some(open);
        }
        series.steps(pos.day).get(n - 1).map(|s| s.price)
    }
}

#[cfg(test)]
#[path = "market_tests.rs"]
mod tests;
