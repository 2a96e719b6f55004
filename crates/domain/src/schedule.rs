//! Recurring schedules: when is a run due?
//!
//! A schedule fires at well-defined instants (every N seconds since the Unix epoch, or
//! daily at a wall-clock time in a time zone). The scheduler enqueues the *latest* due
//! instant with an idempotency key naming it, so any number of replicas enqueue each run
//! exactly once, and a scheduler that was down catches up with one run, not a burst.

use std::time::Duration;
use time::OffsetDateTime;

/// How often a schedule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// At every multiple of this period since the Unix epoch (whole seconds, ≥ 1 s).
    Every(Duration),
    /// Once a day at `hour:minute` local time in the schedule's zone. A time inside a DST
    /// gap is shifted forward by the gap's length, and in an overlap the earlier instant
    /// wins (the RFC 5545 / Temporal "compatible" rule).
    DailyAt {
        /// 0–23.
        hour: i8,
        /// 0–59.
        minute: i8,
    },
}

/// Why a due time cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The zone name is not in the bundled time-zone database.
    #[error("unknown time zone {0}")]
    UnknownZone(String),
    /// The cadence itself is malformed.
    #[error("invalid cadence: {0}")]
    Invalid(&'static str),
}

impl Cadence {
    /// The latest instant `<= now` at which this cadence fires in `zone` (IANA name).
    pub fn latest_due(
        self,
        now: OffsetDateTime,
        zone: &str,
    ) -> Result<OffsetDateTime, ScheduleError> {
        match self {
            Self::Every(period) => {
                let secs = i64::try_from(period.as_secs())
                    .map_err(|_| ScheduleError::Invalid("period too long"))?;
                if secs < 1 {
                    return Err(ScheduleError::Invalid("period under one second"));
                }
                let t = now.unix_timestamp();
                OffsetDateTime::from_unix_timestamp(t - t.rem_euclid(secs))
                    .map_err(|_| ScheduleError::Invalid("out of range"))
            }
            Self::DailyAt { hour, minute } => {
                let tz = jiff::tz::TimeZone::get(zone)
                    .map_err(|_| ScheduleError::UnknownZone(zone.to_owned()))?;
                let ts = jiff::Timestamp::from_second(now.unix_timestamp())
                    .map_err(|_| ScheduleError::Invalid("out of range"))?;
                let today = ts.to_zoned_datetime(tz.clone()).date();
                let at = |d: jiff::civil::Date| -> Result<i64, ScheduleError> {
                    let time = jiff::civil::Time::new(hour, minute, 0, 0)
                        .map_err(|_| ScheduleError::Invalid("hour or minute out of range"))?;
                    d.to_datetime(time)
                        .to_zoned_datetime(tz.clone())
                        .map(|z| z.timestamp().as_second())
                        .map_err(|_| ScheduleError::Invalid("out of range"))
                };
                let mut due = at(today)?;
                if due > now.unix_timestamp() {
                    let yesterday = today
                        .yesterday()
                        .map_err(|_| ScheduleError::Invalid("out of range"))?;
                    due = at(yesterday)?;
                }
                OffsetDateTime::from_unix_timestamp(due)
                    .map_err(|_| ScheduleError::Invalid("out of range"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_period_aligns_to_the_epoch() {
        let c = Cadence::Every(Duration::from_mins(1));
        let now = datetime!(2026-11-26 10:15:42 UTC);
        assert_eq!(
            c.latest_due(now, "UTC").unwrap(),
            datetime!(2026-11-26 10:15:00 UTC)
        );
        assert_eq!(
            c.latest_due(datetime!(2026-11-26 10:15:00 UTC), "UTC")
                .unwrap(),
            datetime!(2026-11-26 10:15:00 UTC)
        );
        assert!(
            Cadence::Every(Duration::from_millis(10))
                .latest_due(now, "UTC")
                .is_err()
        );
    }

    #[test]
    fn daily_at_uses_the_zone() {
        let c = Cadence::DailyAt { hour: 2, minute: 0 };
        // 01:30 UTC is 02:30 in London (BST ends late October; in June it is UTC+1).
        let june = datetime!(2026-06-10 01:30 UTC);
        assert_eq!(
            c.latest_due(june, "Europe/London").unwrap(),
            datetime!(2026-06-10 01:00 UTC)
        );
        assert_eq!(
            c.latest_due(june, "UTC").unwrap(),
            datetime!(2026-06-09 02:00 UTC),
            "not yet 02:00 UTC today"
        );
        // Tokyo is UTC+9: 02:00 local is 17:00 UTC the previous day.
        assert_eq!(
            c.latest_due(june, "Asia/Tokyo").unwrap(),
            datetime!(2026-06-09 17:00 UTC)
        );
        assert!(matches!(
            c.latest_due(june, "Mars/Olympus"),
            Err(ScheduleError::UnknownZone(_))
        ));
    }

    #[test]
    fn daily_at_survives_a_dst_gap() {
        // 2026-03-29 01:00→02:00 GMT→BST in London: 01:30 local does not exist that day.
        let c = Cadence::DailyAt {
            hour: 1,
            minute: 30,
        };
        let after = datetime!(2026-03-29 06:00 UTC);
        let due = c.latest_due(after, "Europe/London").unwrap();
        assert_eq!(
            due,
            datetime!(2026-03-29 01:30 UTC),
            "shifted forward by the one-hour gap (02:30 BST)"
        );
    }
}
