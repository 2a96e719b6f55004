//! The simulated market shared by every tenant: one seeded [`Market`] behind a mutex.
//!
//! The market extends its price series lazily as time passes and keeps what it has
//! generated, so quotes and bars are computed once and then served from memory (the
//! issue's "generated lazily and cached"). Critical sections are short lookups; the
//! tick loop takes the lock once per instrument per tick.

use nexus_market::Bar;
use nexus_market::instruments::{AssetClass, Instrument};
use nexus_market::scenario::Scenario;
use nexus_market::{Calendar, Catalogue, Market, Quote, TimedBar};
use nexus_trading::engine::MarketSnapshot;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use time::OffsetDateTime;

/// Scenario series by (scenario, symbol).
type ScenarioCache = HashMap<(Scenario, String), Arc<Vec<Bar>>>;

/// The market seed when none is configured: every install shows the same prices.
pub const DEFAULT_SEED: u64 = 2026;

/// The simulated market.
#[derive(Debug)]
pub struct MarketHub {
    market: Mutex<Market>,
    seed: u64,
    /// Scenario series by (scenario, symbol): deterministic, so computed once.
    scenarios: Mutex<ScenarioCache>,
    instruments: Vec<Instrument>,
    index: String,
    calendar: Calendar,
}

impl MarketHub {
    /// The standard catalogue under `seed`.
    pub fn new(seed: u64) -> Self {
        let market = Market::new(seed, Catalogue::standard());
        Self {
            instruments: market.catalogue().instruments().to_vec(),
            index: market.catalogue().index_symbol().to_owned(),
            calendar: *market.calendar(),
            market: Mutex::new(market),
            seed,
            scenarios: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Market> {
        // A panic mid-generation leaves at worst a shorter cached series, which the
        // next call extends again: the data is still consistent, so keep serving.
        self.market.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every instrument, in catalogue order.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// One instrument.
    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.symbol == symbol)
    }

    /// The broad-market fund that serves as the index for beta.
    pub fn index_symbol(&self) -> &str {
        &self.index
    }

    /// The trading calendar.
    pub fn calendar(&self) -> Calendar {
        self.calendar
    }

    /// The quote at `at`; `None` for an unknown symbol or before the first session.
    pub fn quote(&self, symbol: &str, at: OffsetDateTime) -> Option<Quote> {
        self.lock().quote_at(symbol, at)
    }

    /// What the fill engine sees for `symbol` at `now`: the current quote, and the range
    /// traded since `since` (just the current price when nothing traded in between, so
    /// a fill can never land outside what actually traded).
    pub fn snapshot(
        &self,
        symbol: &str,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Option<MarketSnapshot> {
        let mut market = self.lock();
        let quote = market.quote_at(symbol, now)?;
        let swept = market.bar_between(symbol, since, now);
        drop(market);
        let (high, low, volume) = swept.map_or((quote.last, quote.last, 0), |b| {
            (b.high.max(quote.last), b.low.min(quote.last), b.volume)
        });
        Some(MarketSnapshot {
            bid: quote.bid,
            ask: quote.ask,
            last: quote.last,
            high,
            low,
            volume,
            open: quote.open,
        })
    }

    /// Daily bars for day numbers `from..=to` as known at `as_of`.
    pub fn daily_bars(
        &self,
        symbol: &str,
        from: u32,
        to: u32,
        as_of: OffsetDateTime,
    ) -> Vec<TimedBar> {
        self.lock().daily_bars(symbol, from, to, as_of)
    }

    /// The 5-minute bars of day `day` completed by `as_of`.
    pub fn intraday_bars(&self, symbol: &str, day: u32, as_of: OffsetDateTime) -> Vec<TimedBar> {
        self.lock().intraday_bars(symbol, day, as_of)
    }

    /// The exchange session an order placed at `at` belongs to: today's if the exchange
    /// is open or has yet to open today, otherwise the next one. Day orders expire at
    /// its close.
    pub fn session_day(&self, at: OffsetDateTime) -> u32 {
        let open = self.calendar.next_open(AssetClass::Stock, at);
        self.calendar
            .day_index(AssetClass::Stock, Calendar::market_date(open))
            .unwrap_or(0)
    }

    /// The close of exchange day `day`, if it is a real session.
    pub fn session_close(&self, day: u32) -> Option<OffsetDateTime> {
        self.calendar
            .day_session(AssetClass::Stock, day)
            .map(|(_, close)| close)
    }

    /// The exchange day number of the last session that started at or before `at`.
    pub fn current_day(&self, at: OffsetDateTime) -> u32 {
        let next = self.session_day(at);
        match self.calendar.day_session(AssetClass::Stock, next) {
            Some((open, _)) if open > at => next.saturating_sub(1),
            _ => next,
        }
    }

    /// The daily series of `scenario` for `symbol`, computed once per process.
    pub fn scenario(&self, scenario: Scenario, symbol: &str) -> Option<Arc<Vec<Bar>>> {
        let key = (scenario, symbol.to_owned());
        let cached = self
            .scenarios
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(bars) = cached {
            return Some(bars);
        }
        let catalogue = self.lock().catalogue().clone();
        let bars = Arc::new(scenario.daily_series(self.seed, &catalogue, symbol)?);
        self.scenarios
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, bars.clone());
        Some(bars)
    }
}
