//! API usage metering: what each request is counted under.
//!
//! Requests are counted per tenant and hour, by caller (an API key, a session, or
//! nobody), route template, status class and latency bucket, with their cost units.
//! The dimensions are small closed sets (route templates, not paths), so a busy
//! tenant's hour is a few hundred rows however many requests it made.
//!
//! Units are what a request costs against the tenant's plan: the route's cost weight
//! when it carried a valid credential, and zero otherwise. Anyone can send an
//! anonymous request naming a tenant, so anonymous requests are counted but never
//! billed or charged to the monthly quota.

use crate::apikey::ApiKeyId;
use time::OffsetDateTime;

/// Who made a request, as far as metering cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Caller {
    /// An API key.
    Key(ApiKeyId),
    /// A signed-in user's session (users are not metered individually).
    Session,
    /// No valid credential.
    Anonymous,
}

impl Caller {
    /// The stored form: `key:<uuid>`, `session` or `anonymous`.
    pub fn to_text(&self) -> String {
        match self {
            Self::Key(id) => format!("key:{id}"),
            Self::Session => "session".to_owned(),
            Self::Anonymous => "anonymous".to_owned(),
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "session" => Some(Self::Session),
            "anonymous" => Some(Self::Anonymous),
            _ => s
                .strip_prefix("key:")
                .and_then(|id| id.parse::<uuid::Uuid>().ok())
                .map(|u| Self::Key(ApiKeyId::from_uuid(u))),
        }
    }
}

/// Upper bounds of the latency buckets, in milliseconds; slower requests fall in the
/// last bucket. Fine enough around 100 ms to show a p99 target being missed.
pub const LATENCY_BOUNDS_MS: [u32; 8] = [5, 10, 25, 50, 100, 250, 500, 1000];

/// A latency bucket: its index into [`LATENCY_BOUNDS_MS`], or `8` for slower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LatencyBucket(u8);

impl LatencyBucket {
    /// The bucket of a request that took `micros`.
    pub fn of_micros(micros: u64) -> Self {
        let ms = micros / 1000;
        let i = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| ms < u64::from(*b))
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        Self(u8::try_from(i).unwrap_or(u8::MAX))
    }

    /// The stored and exported label: `lt_5ms` … `lt_1000ms`, then `ge_1000ms`.
    pub fn label(&self) -> String {
        match LATENCY_BOUNDS_MS.get(usize::from(self.0)) {
            Some(b) => format!("lt_{b}ms"),
            None => format!("ge_{}ms", LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1]),
        }
    }

    /// Parses a label.
    pub fn parse(s: &str) -> Option<Self> {
        (0..=LATENCY_BOUNDS_MS.len())
            .map(|i| Self(u8::try_from(i).unwrap_or(u8::MAX)))
            .find(|b| b.label() == s)
    }
}

/// The dimensions one count is kept under, within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// The hour (UTC, truncated).
    pub hour: OffsetDateTime,
    /// Who called.
    pub caller: Caller,
    /// `METHOD /v1/template`, e.g. `GET /v1/courses/{id}`.
    pub route: String,
    /// 2, 3, 4 or 5.
    pub status_class: u8,
    /// How long the response took.
    pub latency: LatencyBucket,
}

/// Counts under one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageCount {
    /// Requests.
    pub requests: u64,
    /// Cost units charged to the plan.
    pub units: u64,
}

impl UsageCount {
    /// Adds another count.
    pub fn add(&mut self, other: Self) {
        self.requests = self.requests.saturating_add(other.requests);
        self.units = self.units.saturating_add(other.units);
    }
}

/// One stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// The dimensions.
    pub key: UsageKey,
    /// The counts.
    pub count: UsageCount,
}

/// How a usage summary is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageGroup {
    /// By UTC day (`YYYY-MM-DD`).
    Day,
    /// By route template.
    Route,
    /// By caller.
    Caller,
    /// By status class (`2xx` …).
    Status,
    /// By latency bucket.
    Latency,
}

impl UsageGroup {
    /// Parses a `group_by` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "day" => Self::Day,
            "route" => Self::Route,
            "caller" => Self::Caller,
            "status" => Self::Status,
            "latency" => Self::Latency,
            _ => return None,
        })
    }
}

/// One line of a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageTotal {
    /// The group's value (a day, a route, a caller, `2xx`, a latency label).
    pub group: String,
    /// The counts.
    pub count: UsageCount,
}

/// The status class of an HTTP status code.
pub fn status_class(status: u16) -> u8 {
    u8::try_from((status / 100).clamp(1, 5)).unwrap_or(5)
}

/// The start of the hour holding `at` (UTC).
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(at)
}

/// The start of the UTC month holding `at`.
pub fn month_of(at: OffsetDateTime) -> OffsetDateTime {
    let hour = hour_of(at);
    hour.replace_day(1)
        .and_then(|t| t.replace_hour(0))
        .unwrap_or(hour)
}

/// The start of the month after the one holding `at`.
pub fn next_month(at: OffsetDateTime) -> OffsetDateTime {
    let m = month_of(at);
    let (y, mo) = if m.month() == time::Month::December {
        (m.year() + 1, time::Month::January)
    } else {
        (m.year(), m.month().next())
    };
    m.replace_year(y)
        .and_then(|t| t.replace_month(mo))
        .unwrap_or(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn latency_buckets_cover_every_duration_and_round_trip() {
        assert_eq!(LatencyBucket::of_micros(0).label(), "lt_5ms");
        assert_eq!(LatencyBucket::of_micros(4_999).label(), "lt_5ms");
        assert_eq!(LatencyBucket::of_micros(5_000).label(), "lt_10ms");
        assert_eq!(LatencyBucket::of_micros(99_999).label(), "lt_100ms");
        assert_eq!(LatencyBucket::of_micros(100_000).label(), "lt_250ms");
        assert_eq!(LatencyBucket::of_micros(60_000_000).label(), "ge_1000ms");
        for us in [0, 7_000, 30_000, 400_000, 2_000_000] {
            let b = LatencyBucket::of_micros(us);
            assert_eq!(LatencyBucket::parse(&b.label()), Some(b));
        }
        assert_eq!(LatencyBucket::parse("lt_7ms"), None);
    }

    #[test]
    fn callers_round_trip() {
        let id = ApiKeyId::from_uuid(uuid::Uuid::now_v7());
        for c in [Caller::Key(id), Caller::Session, Caller::Anonymous] {
            assert_eq!(Caller::parse(&c.to_text()), Some(c));
        }
        assert_eq!(Caller::parse("key:nope"), None);
        assert_eq!(Caller::parse("user"), None);
    }

    #[test]
    fn hours_and_months_truncate_in_utc() {
        let at = datetime!(2026-12-31 23:59:59.9 +01:00);
        assert_eq!(hour_of(at), datetime!(2026-12-31 22:00 UTC));
        assert_eq!(month_of(at), datetime!(2026-12-01 0:00 UTC));
        assert_eq!(next_month(at), datetime!(2027-01-01 0:00 UTC));
        assert_eq!(
            next_month(datetime!(2026-01-31 12:00 UTC)),
            datetime!(2026-02-01 0:00 UTC)
        );
        assert_eq!(status_class(204), 2);
        assert_eq!(status_class(429), 4);
        assert_eq!(status_class(503), 5);
    }
}
