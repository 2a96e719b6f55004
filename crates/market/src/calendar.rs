//! The simulated exchange's trading calendar.
//!
//! - Market time is the fixed offset [`MARKET_OFFSET`] (UTC−05:00) all year: the
//!   simulated exchange has no daylight saving, so no time-zone database is needed and
//!   every machine agrees on every session.
//! - Exchange sessions (stocks, ETFs, funds) run 09:30–16:00 market time on weekdays
//!   that are not holidays. The holidays are New Year's Day (1 Jan), Independence Day
//!   (4 Jul) and Christmas (25 Dec); one falling on a Saturday is observed the Friday
//!   before (so 1 Jan on a Saturday closes 31 Dec), one on a Sunday the Monday after.
//! - Crypto trades around the clock: every calendar day is a 24-hour session from
//!   00:00 market time.
//! - Days are numbered from the calendar's epoch (by default Monday 2026-01-05, the
//!   day the simulated market opened): exchange day N is the Nth trading day, crypto
//!   day N the Nth calendar day. Nothing exists before the epoch.

use crate::instruments::AssetClass;
use time::macros::{date, offset, time};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// Market time: a fixed UTC−05:00, all year.
pub const MARKET_OFFSET: UtcOffset = offset!(-5);
/// The exchange session's opening time (market time).
pub const SESSION_OPEN: Time = time!(09:30);
/// The exchange session's closing time (market time).
pub const SESSION_CLOSE: Time = time!(16:00);
/// The length of a simulated sub-step, in minutes.
pub const STEP_MINUTES: i64 = 5;
/// The default epoch: the simulated market's first trading day.
pub const EPOCH: Date = date!(2026 - 01 - 05);

/// The trading calendar, counting days from an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    epoch: Date,
}

impl Default for Calendar {
    fn default() -> Self {
        Self::standard()
    }
}

/// A holiday's date in `year`, moved off the weekend to the day it is observed.
fn observed(year: i32, month: Month, day: u8) -> Option<Date> {
    let d = Date::from_calendar_date(year, month, day).ok()?;
    match d.weekday() {
        Weekday::Saturday => d.previous_day(),
        Weekday::Sunday => d.next_day(),
        _ => Some(d),
    }
}

/// The observed holidays of `year`'s three fixed holidays (each lands on a weekday).
/// New Year's Day of `year + 1` may be observed on 31 Dec of `year`, so callers check
/// both years.
fn holidays(year: i32) -> [Option<Date>; 3] {
    [
        observed(year, Month::January, 1),
        observed(year, Month::July, 4),
        observed(year, Month::December, 25),
    ]
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Weekdays in `[from, to)`.
fn weekdays_between(from: Date, to: Date) -> i64 {
    let days = (to - from).whole_days();
    if days <= 0 {
        return 0;
    }
    let mut count = days / 7 * 5;
    let mut d = from + Duration::days(days / 7 * 7);
    while d < to {
        if !is_weekend(d) {
            count += 1;
        }
        d += Duration::DAY;
    }
    count
}

impl Calendar {
    /// The calendar from [`EPOCH`].
    pub const fn standard() -> Self {
        Self { epoch: EPOCH }
    }

    /// A calendar from `epoch`, which must be a trading day.
    pub fn new(epoch: Date) -> Option<Self> {
        Self::is_trading_day(epoch).then_some(Self { epoch })
    }

    /// Day 0.
    pub fn epoch(self) -> Date {
        self.epoch
    }

    /// Whether the exchange is closed for a holiday on `date` (weekends aside).
    pub fn is_holiday(date: Date) -> bool {
        let y = date.year();
        holidays(y)
            .into_iter()
            .chain(holidays(y + 1))
            .any(|h| h == Some(date))
    }

    /// Whether the exchange has a session on `date`.
    pub fn is_trading_day(date: Date) -> bool {
        !is_weekend(date) && !Self::is_holiday(date)
    }

    /// Whether `class` trades on `date` at all.
    pub fn trades_on(class: AssetClass, date: Date) -> bool {
        class.around_the_clock() || Self::is_trading_day(date)
    }

    /// The exchange session on `date` (open, close), or `None` on a closed day.
    pub fn session(self, date: Date) -> Option<(OffsetDateTime, OffsetDateTime)> {
        Self::is_trading_day(date).then(|| {
            (
                PrimitiveDateTime::new(date, SESSION_OPEN).assume_offset(MARKET_OFFSET),
                PrimitiveDateTime::new(date, SESSION_CLOSE).assume_offset(MARKET_OFFSET),
            )
        })
    }

    /// `class`'s session on `date`: the exchange session, or 24 hours from midnight
    /// market time for round-the-clock instruments.
    pub fn session_for(
        &self,
        class: AssetClass,
        date: Date,
    ) -> Option<(OffsetDateTime, OffsetDateTime)> {
        if class.around_the_clock() {
            let start = PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(MARKET_OFFSET);
            Some((start, start + Duration::DAY))
        } else {
            self.session(date)
        }
    }

    /// The market-time date of an instant.
    pub fn market_date(at: OffsetDateTime) -> Date {
        at.to_offset(MARKET_OFFSET).date()
    }

    /// Whether `class` can trade at `at` (sessions are half-open: open at the opening
    /// time, closed at the closing time).
    pub fn is_open(self, class: AssetClass, at: OffsetDateTime) -> bool {
        self.session_for(class, Self::market_date(at))
            .is_some_and(|(open, close)| open <= at && at < close)
    }

    /// `at` if `class` is open then, else the start of its next session.
    pub fn next_open(self, class: AssetClass, at: OffsetDateTime) -> OffsetDateTime {
        if self.is_open(class, at) {
            return at;
        }
        let mut date = Self::market_date(at);
        // A closed stretch is at most a long weekend plus a holiday; the bound only
        // guards against a calendar bug looping forever.
        for _ in 0..14 {
            if let Some((open, _)) = self.session_for(class, date)
                && open > at
            {
                return open;
            }
            date = date.saturating_add(Duration::DAY);
        }
        at
    }

    /// Trading days in `[epoch, date)`.
    fn trading_days_before(self, date: Date) -> i64 {
        let weekdays = weekdays_between(self.epoch, date);
        let holidays = (self.epoch.year() - 1..=date.year())
            .flat_map(holidays)
            .flatten()
            .filter(|h| *h >= self.epoch && *h < date)
            .count();
        weekdays - i64::try_from(holidays).unwrap_or(0)
    }

    /// `date`'s day number for `class`, or `None` if `class` does not trade that day or
    /// it is before the epoch.
    pub fn day_index(self, class: AssetClass, date: Date) -> Option<u32> {
        if date < self.epoch || !Self::trades_on(class, date) {
            return None;
        }
        let n = if class.around_the_clock() {
            (date - self.epoch).whole_days()
        } else {
            self.trading_days_before(date)
        };
        u32::try_from(n).ok()
    }

    /// The date of `class`'s day number `index` (the inverse of [`Self::day_index`]).
    pub fn day_date(self, class: AssetClass, index: u32) -> Option<Date> {
        if class.around_the_clock() {
            return self.epoch.checked_add(Duration::days(i64::from(index)));
        }
        // Binary search for the first date with more than `index` trading days up to
        // and including it: at least 5 of every 7 days trade, less three holidays a year, so 3/2 calendar days per trading day is an upper bound.
        let (mut lo, mut hi) = (0i64, i64::from(index) * 3 / 2 + 14);
        let target = i64::from(index);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let d = self.epoch.checked_add(Duration::days(mid))?;
            if self.trading_days_before(d.next_day()?) > target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.epoch.checked_add(Duration::days(lo))
    }

    /// `class`'s session for day number `index`.
    pub fn day_session(
        &self,
        class: AssetClass,
        index: u32,
    ) -> Option<(OffsetDateTime, OffsetDateTime)> {
        self.session_for(class, self.day_date(class, index)?)
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
