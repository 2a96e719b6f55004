#![allow(clippy::unwrap_used)]

use super::*;
use rust_decimal::Decimal;
use time::macros::datetime;

fn market() -> Market {
    Market::new(2026, Catalogue::standard())
}

#[test]
fn quotes_follow_completed_sub_steps() {
    let mut m = market();
    // Tuesday 2026-01-06 (day 1): opens 14:30 UTC.
    let before = m.quote_at("QBYT", datetime!(2026-01-06 14:00 UTC)).unwrap();
    assert!(!before.open);
    assert_eq!(before.day, 0);
    assert_eq!(before.as_of, datetime!(2026-01-05 21:00 UTC));
    let day0 = m.daily_bars("QBYT", 0, 0, datetime!(2026-01-06 14:00 UTC));
    assert_eq!(before.last, day0[0].bar.close);
    let at_open = m.quote_at("QBYT", datetime!(2026-01-06 14:32 UTC)).unwrap();
    assert!(at_open.open);
    assert_eq!(at_open.last, before.last, "no step completed yet");
    let later = m
        .quote_at("QBYT", datetime!(2026-01-06 15:04:59 UTC))
        .unwrap();
    assert_eq!(later.as_of, datetime!(2026-01-06 15:00 UTC));
    let bars = m.intraday_bars("QBYT", 1, datetime!(2026-01-06 15:04:59 UTC));
    assert_eq!(bars.len(), 6);
    assert_eq!(bars[5].bar.close, later.last);
    assert_eq!(bars[5].start, datetime!(2026-01-06 14:55 UTC));
    assert!(later.bid < later.last && later.last < later.ask);
    assert!(
        m.quote_at("NOPE", datetime!(2026-01-06 15:00 UTC))
            .is_none()
    );
    assert!(
        m.quote_at("QBYT", datetime!(2026-01-05 14:00 UTC))
            .is_none()
    );
}

#[test]
fn nothing_after_as_of_is_visible() {
    let mut m = market();
    let noon = datetime!(2026-02-03 17:00 UTC); // 12:00 market time
    let q = m.quote_at("NXTM", noon).unwrap();
    let bars = m.daily_bars("NXTM", 0, 1000, noon);
    let today = bars.last().unwrap();
    assert_eq!(q.day as usize + 1, bars.len());
    assert_eq!(today.bar.close, q.last);
    assert_eq!(m.intraday_bars("NXTM", q.day, noon).len(), 30);
    assert!(m.intraday_bars("NXTM", q.day + 1, noon).is_empty());
    // At the close, the partial bar is the full daily bar.
    let close = datetime!(2026-02-03 21:00 UTC);
    let full = m.daily_bars("NXTM", q.day, q.day, close);
    assert_eq!(full[0].bar.close, m.quote_at("NXTM", close).unwrap().last);
    assert_eq!(full[0].bar.open, today.bar.open);
}

#[test]
fn crypto_trades_at_the_weekend_and_stocks_do_not() {
    let mut m = market();
    let sat = datetime!(2026-01-10 12:00 UTC);
    let fri = datetime!(2026-01-09 20:00 UTC);
    assert!(m.quote_at("DRFC", sat).unwrap().open);
    assert_ne!(
        m.quote_at("DRFC", sat).unwrap().last,
        m.quote_at("DRFC", fri).unwrap().last
    );
    let stock = m.quote_at("QBYT", sat).unwrap();
    assert!(!stock.open);
    assert_eq!(m.bar_between("QBYT", fri + Duration::hours(2), sat), None);
    assert!(m.bar_between("DRFC", fri, sat).is_some());
}

#[test]
fn bar_between_sweeps_the_steps_in_the_window() {
    let mut m = market();
    let t0 = datetime!(2026-01-07 15:02 UTC);
    let t1 = datetime!(2026-01-07 15:31 UTC);
    let b = m.bar_between("ZPRC", t0, t1).unwrap();
    assert_eq!(b.open, m.quote_at("ZPRC", t0).unwrap().last);
    assert_eq!(b.close, m.quote_at("ZPRC", t1).unwrap().last);
    // Steps ending 15:05 .. 15:30: six of them.
    let intraday = m.intraday_bars("ZPRC", 2, t1);
    let window = &intraday[6..12];
    assert_eq!(b.volume, window.iter().map(|x| x.bar.volume).sum::<u64>());
    assert_eq!(
        b.high,
        window.iter().map(|x| x.bar.high).max().unwrap().max(b.open)
    );
    assert_eq!(
        b.low,
        window.iter().map(|x| x.bar.low).min().unwrap().min(b.open)
    );
    assert_eq!(m.bar_between("ZPRC", t1, t0), None);
    assert_eq!(m.bar_between("ZPRC", t0, t0 + Duration::minutes(1)), None);
    // Across the night: the previous afternoon's last steps and the morning's first.
    let overnight = m
        .bar_between(
            "ZPRC",
            datetime!(2026-01-06 20:50 UTC),
            datetime!(2026-01-07 14:40 UTC),
        )
        .unwrap();
    assert_eq!(
        overnight.close,
        m.quote_at("ZPRC", datetime!(2026-01-07 14:40 UTC))
            .unwrap()
            .last
    );
}

#[test]
fn the_same_seed_gives_the_same_market_however_it_is_queried() {
    let t = datetime!(2026-03-02 18:17 UTC);
    let mut a = market();
    let mut b = market();
    // `a` jumps straight there; `b` walks there tick by tick over the morning.
    let qa = a.quote_at("CBLD", t).unwrap();
    let mut at = datetime!(2026-03-02 14:00 UTC);
    while at < t {
        b.quote_at("CBLD", at).unwrap();
        at += Duration::minutes(7);
    }
    assert_eq!(qa, b.quote_at("CBLD", t).unwrap());
    let other = Market::new(2027, Catalogue::standard())
        .quote_at("CBLD", t)
        .unwrap();
    assert_ne!(qa.last, other.last);
}

#[test]
fn money_market_stays_near_one_with_a_tiny_spread() {
    let mut m = market();
    let q = m.quote_at("NXMM", datetime!(2026-11-20 18:00 UTC)).unwrap();
    assert!(
        q.last > Decimal::new(1, 0) && q.last < Decimal::new(106, 2),
        "{}",
        q.last
    );
    assert!(q.spread() <= Decimal::new(4, 4), "{}", q.spread());
}

#[test]
fn quotes_are_fast_once_caught_up() {
    let mut m = market();
    let t = datetime!(2026-11-26 17:00 UTC);
    let symbols: Vec<String> = m
        .catalogue()
        .instruments()
        .iter()
        .map(|i| i.symbol.clone())
        .collect();
    for s in &symbols {
        m.quote_at(s, t).unwrap();
    }
    let started = std::time::Instant::now();
    let mut n = 0u32;
    for k in 0..100 {
        for s in &symbols {
            m.quote_at(s, t + Duration::seconds(k)).unwrap();
            n += 1;
        }
    }
    let per = started.elapsed() / n;
    println!("quote_at: {per:?} per quote");
    // Generous for debug builds on a loaded machine; release is far faster.
    assert!(
        per < std::time::Duration::from_micros(200),
        "{per:?} per quote"
    );
}

#[test]
fn pinned_quotes() {
    // Pinned like the model's closes: the whole pipeline (market factor, sectors,
    // sub-steps, spreads) for one seed. Update on purpose only.
    let mut m = market();
    let t = datetime!(2026-06-15 17:42 UTC);
    let got: Vec<String> = ["NXTM", "QBYT", "NXMM", "DRFC"]
        .iter()
        .map(|s| {
            let q = m.quote_at(s, t).unwrap();
            format!("{s} {} {} {}", q.bid, q.last, q.ask)
        })
        .collect();
    let pinned = [
        "NXTM 105.57 105.59 105.61",
        "QBYT 159.60 159.75 159.90",
        "NXMM 1.0176 1.0177 1.0178",
        "DRFC 22302.35 22324.68 22347.01",
    ];
    assert_eq!(got, pinned, "pipeline output changed: {got:?}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const SYMBOLS: [&str; 5] = ["NXTM", "ZPRC", "NXMM", "DRFC", "NXBD"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn windows_contain_their_ends_and_quotes_are_sane(
            seed in any::<u64>(),
            which in 0usize..5,
            start_minute in 0i64..(40 * 24 * 60),
            length in 1i64..(3 * 24 * 60),
        ) {
            let symbol = SYMBOLS[which];
            let mut m = Market::new(seed, Catalogue::standard());
            let t0 = datetime!(2026-01-05 00:00 UTC) + Duration::minutes(start_minute);
            let t1 = t0 + Duration::minutes(length);
            if let Some(b) = m.bar_between(symbol, t0, t1) {
                prop_assert!(b.low <= b.open.min(b.close));
                prop_assert!(b.high >= b.open.max(b.close));
                prop_assert_eq!(b.close, m.quote_at(symbol, t1).unwrap().last);
            }
            if let Some(q) = m.quote_at(symbol, t1) {
                prop_assert!(Decimal::new(1, 2) <= q.bid || symbol == "NXMM");
                prop_assert!(q.bid < q.ask);
                prop_assert!(q.as_of <= t1);
                prop_assert_eq!(q.open, m.calendar().is_open(m.catalogue().get(symbol).unwrap().class, t1));
            }
        }
    }
}
