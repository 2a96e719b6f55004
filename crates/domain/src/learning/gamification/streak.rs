//! Daily streaks, counted in calendar days of the tenant's time zone.
//!
//! A learner is active on a *local day* when any activity instant falls on it in the
//! zone. Consecutive active days form a run; the run ending today or yesterday is the
//! current streak (it stays alive until the end of the next local day). Days are civil
//! dates, so DST days of 23 or 25 hours count once each, and a zone that skipped a date
//! (Samoa jumped the date line over 30 December 2011) does not break anyone's streak:
//! "the next day" is whatever date the zone shows when the previous one ends.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// A learner's streak as of some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Streak {
    /// Length of the run ending today or yesterday; 0 if it has lapsed.
    pub current: u32,
    /// Length of the longest run ever.
    pub longest: u32,
    /// The latest local day with activity, if any.
    pub last_active: Option<Date>,
}

/// The calendar date of `at` in `tz`.
///
/// Instants beyond jiff's range (years ±9999) are clamped to it; no real activity
/// comes near.
pub fn local_day(at: OffsetDateTime, tz: &TimeZone) -> Date {
    // Whole seconds suffice: a day boundary never falls inside a second.
    let secs = at.unix_timestamp();
    let ts = jiff::Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    tz.to_datetime(ts).date()
}

/// The streak shown at `now`, from every activity instant (any order, duplicates fine).
///
/// Activity on a local day after `now`'s is ignored, so a replica whose clock runs
/// ahead cannot grant a day early; it counts once that day arrives.
pub fn streak(activity: &[OffsetDateTime], tz: &TimeZone, now: OffsetDateTime) -> Streak {
    let today = local_day(now, tz);
    let days = active_days(activity, tz, today);
    let runs = runs(&days, tz);
    let longest = runs.iter().map(|&(_, len)| len).max().unwrap_or(0);
    let last = runs.last().copied();
    let current = match last {
        Some((day, len)) if day == today || next_day(day, tz) == Some(today) => len,
        _ => 0,
    };
    Streak {
        current,
        longest,
        last_active: last.map(|(day, _)| day),
    }
}

/// When `new_activity` is the first on its local day, the length of the streak that day
/// now ends (which is what [`super::xp::XpEvent::StreakExtended`] pays for); `None`
/// when `previous` already covers that day, so streak XP is awarded once per day.
///
/// Only days up to the new activity's count, so a late-arriving, back-dated activity
/// gets the streak as it stood on its own day.
pub fn extends_streak(
    previous: &[OffsetDateTime],
    new_activity: OffsetDateTime,
    tz: &TimeZone,
) -> Option<u32> {
    let day = local_day(new_activity, tz);
    let mut days = active_days(previous, tz, day);
    if !days.insert(day) {
        return None;
    }
    runs(&days, tz).last().map(|&(_, len)| len)
}

/// The distinct local days of `activity`, up to and including `until`.
fn active_days(activity: &[OffsetDateTime], tz: &TimeZone, until: Date) -> BTreeSet<Date> {
    activity
        .iter()
        .map(|&at| local_day(at, tz))
        .filter(|&d| d <= until)
        .collect()
}

/// Each day paired with the length of the run of consecutive days ending on it, in order.
fn runs(days: &BTreeSet<Date>, tz: &TimeZone) -> Vec<(Date, u32)> {
    let mut out: Vec<(Date, u32)> = Vec::with_capacity(days.len());
    for &day in days {
        let len = match out.last() {
            Some(&(prev, len)) if next_day(prev, tz) == Some(day) => len.saturating_add(1),
            _ => 1,
        };
        out.push((day, len));
    }
    out
}

/// The date `tz` shows when `day` ends: normally the civil tomorrow, but a date the zone
/// skipped is passed over, because its midnight lies in a gap and resolves past it.
fn next_day(day: Date, tz: &TimeZone) -> Option<Date> {
    let midnight = DateTime::from(day.tomorrow().ok()?);
    let ts = tz.to_ambiguous_timestamp(midnight).compatible().ok()?;
    Some(tz.to_datetime(ts).date())
}
