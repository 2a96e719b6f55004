//! Streaks across zones, DST transitions and the date line.

use super::super::streak::{Streak, extends_streak, local_day, streak};
use jiff::civil::date;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::datetime;

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn summary(s: Streak) -> (u32, u32, Option<jiff::civil::Date>) {
    (s.current, s.longest, s.last_active)
}

#[test]
fn the_same_instants_make_different_streaks_in_different_zones() {
    // An hour apart, but either side of midnight UTC.
    let late_and_early = [
        datetime!(2026-01-01 23:30 UTC),
        datetime!(2026-01-02 00:30 UTC),
    ];
    let now = datetime!(2026-01-03 12:00 UTC);
    assert_eq!(
        summary(streak(&late_and_early, &tz("UTC"), now)),
        (2, 2, Some(date(2026, 1, 2))),
        "1 and 2 January, and today is the 3rd"
    );
    assert_eq!(
        summary(streak(&late_and_early, &tz("America/Los_Angeles"), now)),
        (0, 1, Some(date(2026, 1, 1))),
        "both on the afternoon of 1 January; it is already the 3rd there"
    );
    assert_eq!(
        summary(streak(&late_and_early, &tz("Pacific/Auckland"), now)),
        (0, 1, Some(date(2026, 1, 2))),
        "both on 2 January (UTC+13); it is already the 4th there"
    );

    // 25 hours apart: two UTC days with one between, but adjacent days either side.
    let apart = [
        datetime!(2026-01-01 23:30 UTC),
        datetime!(2026-01-03 00:30 UTC),
    ];
    let longest = |zone| streak(&apart, &tz(zone), now).longest;
    assert_eq!(longest("UTC"), 1);
    assert_eq!(longest("America/Los_Angeles"), 2);
    assert_eq!(longest("Pacific/Auckland"), 2);
}

#[test]
fn a_streak_lives_until_the_end_of_the_next_local_day() {
    let utc = tz("UTC");
    let act = [datetime!(2026-01-01 10:00 UTC)];
    let at = |now| streak(&act, &utc, now).current;
    assert_eq!(at(datetime!(2026-01-01 23:59:59 UTC)), 1);
    assert_eq!(at(datetime!(2026-01-02 23:59:59 UTC)), 1);
    assert_eq!(at(datetime!(2026-01-03 00:00 UTC)), 0);
    let lapsed = streak(&act, &utc, datetime!(2026-02-01 00:00 UTC));
    assert_eq!((lapsed.current, lapsed.longest), (0, 1));
    assert_eq!(streak(&[], &utc, lapsed_now()), Streak::default());
}

fn lapsed_now() -> OffsetDateTime {
    datetime!(2026-02-01 00:00 UTC)
}

#[test]
fn runs_are_counted_and_the_longest_kept() {
    let utc = tz("UTC");
    let act = [
        datetime!(2026-01-05 09:00 UTC),
        datetime!(2026-01-01 09:00 UTC),
        datetime!(2026-01-02 09:00 UTC),
        datetime!(2026-01-02 18:00 UTC),
        datetime!(2026-01-03 09:00 UTC),
        datetime!(2026-01-06 09:00 UTC),
    ];
    let s = streak(&act, &utc, datetime!(2026-01-07 08:00 UTC));
    assert_eq!(summary(s), (2, 3, Some(date(2026, 1, 6))));
}

#[test]
fn activity_on_a_future_local_day_is_ignored_until_it_arrives() {
    let utc = tz("UTC");
    let act = [
        datetime!(2026-01-01 09:00 UTC),
        datetime!(2026-01-02 00:00:01 UTC),
    ];
    let before = streak(&act, &utc, datetime!(2026-01-01 23:59:59 UTC));
    assert_eq!(summary(before), (1, 1, Some(date(2026, 1, 1))));
    let after = streak(&act, &utc, datetime!(2026-01-02 00:00:02 UTC));
    assert_eq!(after.current, 2);
}

#[test]
fn london_spring_forward_does_not_break_a_streak() {
    // 29 March 2026: clocks go 01:00 GMT → 02:00 BST, so that day lasts 23 hours.
    let london = tz("Europe/London");
    let act = [
        datetime!(2026-03-28 00:30 UTC),
        datetime!(2026-03-29 00:30 UTC),
        // 23 hours later it is already 00:30 BST on the 30th: a new day.
        datetime!(2026-03-29 23:30 UTC),
    ];
    assert_eq!(local_day(act[2], &london), date(2026, 3, 30));
    let s = streak(&act, &london, datetime!(2026-03-31 22:59:59 UTC));
    assert_eq!(
        summary(s),
        (3, 3, Some(date(2026, 3, 30))),
        "23:59:59 BST on the 31st"
    );
    let s = streak(&act, &london, datetime!(2026-03-31 23:00 UTC));
    assert_eq!(s.current, 0, "midnight BST starting 1 April");
    assert_eq!(
        extends_streak(&act[..2], act[2], &london),
        Some(3),
        "the first activity of the 30th is a new day"
    );
}

#[test]
fn london_fall_back_counts_the_long_day_once() {
    // 25 October 2026: clocks go 02:00 BST → 01:00 GMT, so that day lasts 25 hours and
    // 01:30 happens twice.
    let london = tz("Europe/London");
    let act = [
        datetime!(2026-10-24 12:00 UTC),
        datetime!(2026-10-24 23:00 UTC), // 00:00 BST on the 25th
        datetime!(2026-10-25 00:30 UTC), // 01:30 BST
        datetime!(2026-10-25 01:30 UTC), // 01:30 GMT
        datetime!(2026-10-25 23:59 UTC), // 23:59 GMT, still the 25th
        datetime!(2026-10-26 12:00 UTC),
    ];
    let days: Vec<_> = act.iter().map(|&a| local_day(a, &london)).collect();
    assert_eq!(days[1..5], [date(2026, 10, 25); 4]);
    let s = streak(&act, &london, datetime!(2026-10-26 13:00 UTC));
    assert_eq!(summary(s), (3, 3, Some(date(2026, 10, 26))));
    assert_eq!(extends_streak(&act[..1], act[1], &london), Some(2));
    for later in &act[2..5] {
        assert_eq!(extends_streak(&act[..2], *later, &london), None, "same day");
    }
}

#[test]
fn a_date_skipped_at_the_date_line_breaks_no_streak() {
    // Samoa moved west of the date line after 29 December 2011: the 30th never happened.
    let apia = tz("Pacific/Apia");
    let act = [
        datetime!(2011-12-29 22:00 UTC), // noon on the 29th at UTC−10
        datetime!(2011-12-30 22:00 UTC), // noon on the 31st at UTC+14
    ];
    assert_eq!(local_day(act[0], &apia), date(2011, 12, 29));
    assert_eq!(local_day(act[1], &apia), date(2011, 12, 31));
    let s = streak(&act, &apia, datetime!(2012-01-01 09:00 UTC));
    assert_eq!(summary(s), (2, 2, Some(date(2011, 12, 31))));
    assert_eq!(extends_streak(&act[..1], act[1], &apia), Some(2));

    // Either side of the line today, one instant is two different dates.
    let at = datetime!(2026-06-01 12:00 UTC);
    assert_eq!(local_day(at, &tz("Pacific/Kiritimati")), date(2026, 6, 2));
    assert_eq!(local_day(at, &tz("Pacific/Pago_Pago")), date(2026, 6, 1));
}

#[test]
fn extends_streak_pays_once_per_local_day() {
    let utc = tz("UTC");
    let jan = |d: u8, h: u8| {
        time::Date::from_calendar_date(2026, time::Month::January, d)
            .unwrap()
            .with_hms(h, 0, 0)
            .unwrap()
            .assume_utc()
    };
    assert_eq!(extends_streak(&[], jan(1, 9), &utc), Some(1));
    assert_eq!(extends_streak(&[jan(1, 9)], jan(1, 20), &utc), None);
    assert_eq!(
        extends_streak(&[jan(1, 9), jan(2, 9)], jan(3, 9), &utc),
        Some(3)
    );
    assert_eq!(
        extends_streak(&[jan(1, 9)], jan(3, 9), &utc),
        Some(1),
        "gap"
    );
    // A back-dated activity gets the streak as of its own day.
    assert_eq!(
        extends_streak(&[jan(1, 9), jan(5, 9)], jan(2, 9), &utc),
        Some(2)
    );
}

#[test]
fn instants_beyond_jiffs_range_are_clamped() {
    let min = time::PrimitiveDateTime::MIN.assume_utc();
    let max = time::PrimitiveDateTime::MAX.assume_utc();
    assert!(local_day(min, &tz("UTC")) <= date(-9999, 1, 2));
    assert!(local_day(max, &tz("UTC")) >= date(9999, 12, 30));
}

const ZONES: [&str; 7] = [
    "UTC",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Europe/London",
    "Pacific/Apia",
    "Asia/Kolkata",
    "Pacific/Chatham",
];

/// Unix seconds at which each scenario starts: Samoa's skip, London's spring and autumn.
const BASES: [i64; 3] = [1_322_697_600, 1_772_323_200, 1_790_812_800];

const WINDOW: i64 = 40 * 86_400;

fn at(base: i64, offset: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(base + offset).unwrap()
}

prop_compose! {
    fn scenario()(
        zone in 0..ZONES.len(),
        base in 0..BASES.len(),
        offsets in prop::collection::vec(0..WINDOW, 0..30),
        now in 0..WINDOW + 3 * 86_400,
    ) -> (TimeZone, Vec<OffsetDateTime>, OffsetDateTime) {
        let base = BASES[base];
        let activity = offsets.iter().map(|&o| at(base, o)).collect();
        (tz(ZONES[zone]), activity, at(base, now))
    }
}

proptest! {
    #[test]
    fn longest_is_at_least_current((zone, act, now) in scenario()) {
        let s = streak(&act, &zone, now);
        prop_assert!(s.longest >= s.current);
        prop_assert_eq!(s.last_active.is_some(), s.longest > 0);
    }

    #[test]
    fn order_does_not_matter(
        ((zone, act, now), shuffled) in scenario()
            .prop_flat_map(|(z, a, n)| (Just((z, a.clone(), n)), Just(a).prop_shuffle()))
    ) {
        prop_assert_eq!(streak(&act, &zone, now), streak(&shuffled, &zone, now));
    }

    #[test]
    fn more_activity_never_shortens_the_longest(
        (zone, act, now) in scenario(),
        extra in 0..WINDOW,
    ) {
        let before = streak(&act, &zone, now);
        let mut more = act.clone();
        more.push(at(BASES[1], extra));
        more.push(now);
        prop_assert!(streak(&more, &zone, now).longest >= before.longest);
    }

    #[test]
    fn extends_streak_agrees_with_streak((zone, act, _) in scenario(), new in 0..WINDOW) {
        let Some(first) = act.first() else { return Ok(()) };
        let new = *first + time::Duration::seconds(new - WINDOW / 2);
        let day = local_day(new, &zone);
        let seen = act.iter().any(|&a| local_day(a, &zone) == day);
        let mut all = act.clone();
        all.push(new);
        match extends_streak(&act, new, &zone) {
            None => prop_assert!(seen),
            Some(len) => {
                prop_assert!(!seen);
                prop_assert_eq!(streak(&all, &zone, new).current, len);
            }
        }
    }
}
