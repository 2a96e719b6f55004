#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;
use std::fmt::Write as _;

fn lines_of(errors: &[CsvError]) -> Vec<usize> {
    errors.iter().map(|e| e.line).collect()
}

#[test]
fn a_good_file_parses_with_bom_crlf_and_any_header_case() {
    let text = "\u{feff}Date,Open,High,Low,Close,Adj Close,Volume\r\n\
        2024-01-02,10.00,10.50,9.80,10.20,10.10,12000\r\n\
        \r\n\
        2024-01-03, 10.20 ,10.40,10.00,10.00,9.90,0\r\n";
    let bars = parse_ohlcv(text).unwrap();
    assert_eq!(bars.len(), 2);
    assert_eq!(
        bars[0].date,
        Date::from_calendar_date(2024, Month::January, 2).unwrap()
    );
    assert_eq!(bars[0].bar.high, Decimal::new(1050, 2));
    assert_eq!(bars[0].bar.volume, 12_000);
    assert_eq!(bars[1].bar.open, Decimal::new(1020, 2));
    // Columns may come in any order.
    let reordered = "volume,date,close,low,high,open\n5,2024-01-02,2,1,3,2\n";
    assert_eq!(
        parse_ohlcv(reordered).unwrap()[0].bar.close,
        Decimal::new(2, 0)
    );
}

#[test]
fn every_bad_line_is_reported_and_nothing_is_returned() {
    let text = "date,open,high,low,close,volume
2024-01-02,10,11,9,10,100
2024-13-01,10,11,9,10,100
2024-01-04,abc,11,9,10,100
2024-01-05,10,9.5,9,10,100
2024-01-06,10,11,10.5,10,100
2024-01-07,10,11,9,10,-5
2024-01-08,10,11,9,10,1.5
2024-01-08,10,11,9,10,100
2024-01-03,10,11,9,10,100
2024-01-09,10,11,9,10
\"2024-01-10\",10,11,9,10,100
2024-01-11,0,11,9,10,100
24-1-12,10,11,9,10,100
2024-01-13,-1,11,9,10,100
2024-01-14,10,11,9,10,100
";
    let errors = parse_ohlcv(text).unwrap_err();
    assert_eq!(
        lines_of(&errors),
        vec![3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    let message = |line: usize| {
        errors
            .iter()
            .filter(|e| e.line == line)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert!(message(3).contains("no month 13"), "{}", message(3));
    assert!(message(4).contains("not a decimal"));
    assert!(message(5).contains("high"));
    assert!(message(6).contains("low"));
    assert!(message(7).contains("negative"));
    assert!(message(8).contains("whole number"));
    assert!(message(9).contains("duplicate date 2024-01-08 (also on line 8)"));
    assert!(message(10).contains("dates must increase"));
    assert!(message(11).contains("expected 6 columns, found 5"));
    assert!(message(12).contains("quoted"));
    assert!(message(13).contains("positive"));
    assert!(message(14).contains("YYYY-MM-DD"));
    // The high/low checks run only once every price parses, so a bad price is one
    // error, not three.
    assert!(message(15).contains("positive"));
    assert_eq!(
        errors[0].to_string(),
        format!("line 3: {}", errors[0].message)
    );
}

#[test]
fn file_level_problems_are_reported() {
    assert_eq!(lines_of(&parse_ohlcv("").unwrap_err()), vec![1]);
    assert_eq!(
        lines_of(&parse_ohlcv("\u{feff}\r\n \n").unwrap_err()),
        vec![1]
    );
    let header_only = parse_ohlcv("date,open,high,low,close,volume\n").unwrap_err();
    assert!(header_only[0].message.contains("no rows"));
    let missing = parse_ohlcv("date,open,high,low,close\n2024-01-02,1,1,1,1\n").unwrap_err();
    assert!(missing[0].message.contains("missing column `volume`"));
    let unknown = parse_ohlcv("date,open,high,low,close,volume,note\n").unwrap_err();
    assert!(unknown[0].message.contains("unknown column `note`"));
    let twice = parse_ohlcv("date,open,high,low,close,volume,Open\n").unwrap_err();
    assert!(twice[0].message.contains("twice"));
    let mut big = String::from("date,open,high,low,close,volume\n");
    let mut d = Date::from_calendar_date(1950, Month::January, 1).unwrap();
    for _ in 0..=MAX_ROWS {
        writeln!(big, "{d},1,1,1,1,1").unwrap();
        d = d.next_day().unwrap();
    }
    let too_many = parse_ohlcv(&big).unwrap_err();
    assert_eq!(too_many.len(), 1);
    assert_eq!(too_many[0].line, MAX_ROWS + 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn valid_rows_round_trip(rows in prop::collection::vec((1u32..100_000, 0u32..500, 0u32..500, 0u32..500, any::<u32>()), 1..40)) {
        let mut text = String::from("date,open,high,low,close,volume\n");
        let mut d = Date::from_calendar_date(2020, Month::March, 1).unwrap();
        let mut expected = Vec::new();
        for (base, up, down, close_off, volume) in rows {
            let open = Decimal::new(i64::from(base) + 1000, 2);
            let close = Decimal::new(i64::from(base) + 1000 + i64::from(close_off) - 250, 2);
            let high = open.max(close) + Decimal::new(i64::from(up), 2);
            let low = (open.min(close) - Decimal::new(i64::from(down), 2)).max(Decimal::new(1, 2));
            writeln!(text, "{d},{open},{high},{low},{close},{volume}").unwrap();
            expected.push(DatedBar { date: d, bar: Bar { open, high, low, close, volume: u64::from(volume) } });
            d = d.next_day().unwrap();
        }
        prop_assert_eq!(parse_ohlcv(&text).unwrap(), expected);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse_ohlcv(&text);
    }
}
