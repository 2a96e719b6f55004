#![allow(clippy::unwrap_used)]

use super::*;
use time::macros::datetime;

#[test]
fn weekends_and_observed_holidays_are_closed() {
    assert!(Calendar::is_trading_day(date!(2026 - 01 - 05)));
    assert!(!Calendar::is_trading_day(date!(2026 - 01 - 03))); // Saturday
    assert!(!Calendar::is_trading_day(date!(2026 - 01 - 01))); // Thursday, New Year
    // 4 Jul 2026 is a Saturday: observed Friday 3 Jul.
    assert!(!Calendar::is_trading_day(date!(2026 - 07 - 03)));
    assert!(Calendar::is_trading_day(date!(2026 - 07 - 06)));
    // 25 Dec 2027 is a Saturday: observed Friday 24 Dec; 1 Jan 2028 likewise on 31 Dec.
    assert!(!Calendar::is_trading_day(date!(2027 - 12 - 24)));
    assert!(!Calendar::is_trading_day(date!(2027 - 12 - 31)));
    // 4 Jul 2027 is a Sunday: observed Monday 5 Jul.
    assert!(!Calendar::is_trading_day(date!(2027 - 07 - 05)));
    assert!(Calendar::is_trading_day(date!(2027 - 07 - 02)));
}

#[test]
fn sessions_are_half_open_in_market_time() {
    let cal = Calendar::standard();
    let (open, close) = cal.session(date!(2026 - 03 - 10)).unwrap();
    assert_eq!(open, datetime!(2026-03-10 14:30 UTC));
    assert_eq!(close, datetime!(2026-03-10 21:00 UTC));
    assert!(cal.is_open(AssetClass::Stock, open));
    assert!(!cal.is_open(AssetClass::Stock, close));
    assert!(!cal.is_open(AssetClass::Etf, datetime!(2026-03-10 14:29:59 UTC)));
    // Saturday: closed for stocks, open for crypto.
    let sat = datetime!(2026-03-14 12:00 UTC);
    assert!(!cal.is_open(AssetClass::Stock, sat));
    assert!(cal.is_open(AssetClass::Crypto, sat));
    assert_eq!(cal.session(date!(2026 - 03 - 14)), None);
}

#[test]
fn next_open_skips_nights_weekends_and_holidays() {
    let cal = Calendar::standard();
    let friday_evening = datetime!(2026-07-02 22:00 UTC); // Thursday; Friday is a holiday
    assert_eq!(
        cal.next_open(AssetClass::Stock, friday_evening),
        datetime!(2026-07-06 14:30 UTC)
    );
    let during = datetime!(2026-07-06 15:00 UTC);
    assert_eq!(cal.next_open(AssetClass::Stock, during), during);
    assert_eq!(
        cal.next_open(AssetClass::Crypto, friday_evening),
        friday_evening
    );
    let early = datetime!(2026-07-06 03:00 UTC); // Sunday 22:00 market time
    assert_eq!(
        cal.next_open(AssetClass::Stock, early),
        datetime!(2026-07-06 14:30 UTC)
    );
}

#[test]
fn day_numbers_round_trip() {
    let cal = Calendar::standard();
    assert_eq!(cal.day_index(AssetClass::Stock, EPOCH), Some(0));
    assert_eq!(
        cal.day_index(AssetClass::Stock, date!(2026 - 01 - 12)),
        Some(5)
    );
    assert_eq!(
        cal.day_index(AssetClass::Stock, date!(2026 - 01 - 10)),
        None
    );
    assert_eq!(
        cal.day_index(AssetClass::Stock, date!(2026 - 01 - 02)),
        None
    );
    assert_eq!(
        cal.day_index(AssetClass::Crypto, date!(2026 - 01 - 10)),
        Some(5)
    );
    let mut expected = 0;
    let mut d = EPOCH;
    while d < date!(2031 - 01 - 01) {
        if Calendar::is_trading_day(d) {
            assert_eq!(cal.day_index(AssetClass::Stock, d), Some(expected), "{d}");
            assert_eq!(cal.day_date(AssetClass::Stock, expected), Some(d));
            expected += 1;
        }
        d = d.next_day().unwrap();
    }
    // 1303 weekdays from the epoch to the end of 2030, less 15 observed holidays.
    assert_eq!(expected, 1288);
    assert_eq!(
        cal.day_date(AssetClass::Crypto, 5),
        Some(date!(2026 - 01 - 10))
    );
    assert_eq!(Calendar::new(date!(2026 - 01 - 03)), None);
}
