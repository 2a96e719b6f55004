//! Weights by hand, each warning triggered (and not) by a crafted portfolio, and the
//! property that weights with cash sum to 1.

use super::*;
use crate::analytics::{DayPoint, Drawdown, FeeDrag};
use proptest::prelude::*;

fn d(units: i64) -> Decimal {
    Decimal::from(units)
}

fn pos(symbol: &str, class: AssetClass, sector: Option<&str>, value: i64) -> Position {
    Position {
        symbol: symbol.to_owned(),
        class,
        sector: sector.map(str::to_owned),
        market_value: d(value),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A history whose last `days` days were all cash (equity 1,000).
fn cash_days(days: i64) -> History {
    History::new(
        (0..days)
            .map(|day| DayPoint {
                cash: d(1000),
                ..DayPoint::at(day, d(1000))
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn weights_by_hand() {
    let h = Holdings {
        cash: d(200),
        positions: vec![
            pos("AAA", AssetClass::Stock, Some("Tech"), 300),
            pos("BBB", AssetClass::Stock, Some("Tech"), 100),
            pos("ETF", AssetClass::Etf, None, 300),
            pos("BTC", AssetClass::Crypto, None, 100),
            pos("OLD", AssetClass::Stock, Some("Energy"), 0),
        ],
    };
    let c = compose(&h).unwrap();
    assert_eq!(c.equity, d(1000));
    let w: Vec<(&str, f64)> = c
        .weights
        .iter()
        .map(|w| (w.symbol.as_str(), w.weight))
        .collect();
    // Largest first, ties by symbol; the sold-out position is gone.
    assert_eq!(w, [("AAA", 0.3), ("ETF", 0.3), ("BBB", 0.1), ("BTC", 0.1)]);
    assert_eq!((c.positions, c.stocks, c.has_etf), (4, 2, true));
    assert!(close(c.cash_weight, 0.2) && close(c.crypto_weight, 0.1));
    assert_eq!(
        c.sector_weights,
        [Weight {
            name: "Tech".into(),
            weight: 0.4
        }]
    );
    // Shares of the 800 invested: 3/8, 3/8, 1/8, 1/8 → (9 + 9 + 1 + 1) / 64.
    assert!(close(c.hhi.unwrap(), 20.0 / 64.0));
    assert_eq!(c.largest.unwrap().symbol, "AAA");
}

#[test]
fn empty_or_invalid_holdings_have_no_composition() {
    assert!(compose(&Holdings::default()).is_none());
    let all_cash = compose(&Holdings {
        cash: d(5),
        positions: vec![],
    })
    .unwrap();
    assert_eq!(
        (all_cash.cash_weight, all_cash.hhi, all_cash.largest),
        (1.0, None, None)
    );
    let short = Holdings {
        cash: d(5),
        positions: vec![pos("X", AssetClass::Stock, None, -1)],
    };
    assert!(compose(&short).is_none());
}

#[test]
fn asset_classes_round_trip() {
    for c in [
        AssetClass::Stock,
        AssetClass::Etf,
        AssetClass::BondFund,
        AssetClass::MoneyMarket,
        AssetClass::Crypto,
    ] {
        assert_eq!(AssetClass::parse(c.as_str()), Some(c));
    }
    assert_eq!(AssetClass::parse("gold"), None);
}

fn codes(w: &[Warning]) -> Vec<&'static str> {
    w.iter().map(Warning::code).collect()
}

#[test]
fn a_diversified_portfolio_has_no_warnings() {
    let mut positions: Vec<Position> = ["A", "B", "C", "D", "E"]
        .iter()
        .zip(["Tech", "Health", "Energy", "Retail", "Banks"])
        .map(|(s, sector)| pos(s, AssetClass::Stock, Some(sector), 100))
        .collect();
    positions.push(pos("BOND", AssetClass::BondFund, None, 300));
    let c = compose(&Holdings {
        cash: d(200),
        positions,
    })
    .unwrap();
    let w = warnings(
        &c,
        &cash_days(30),
        &Report::default(),
        &Thresholds::default(),
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn each_composition_warning_fires() {
    let c = compose(&Holdings {
        cash: d(0),
        positions: vec![
            pos("BIG", AssetClass::Stock, Some("Tech"), 500),
            pos("ETF", AssetClass::Etf, None, 300),
            pos("COIN", AssetClass::Crypto, None, 200),
        ],
    })
    .unwrap();
    let w = warnings(
        &c,
        &cash_days(0),
        &Report::default(),
        &Thresholds::default(),
    );
    assert_eq!(
        codes(&w),
        [
            "concentrated_position",
            "concentrated_sector",
            "high_crypto"
        ]
    );
    assert_eq!(w[0].message(), "BIG is 50.0% of the portfolio.");
    // A fund may be large without counting as a concentrated position.
    let fund = compose(&Holdings {
        cash: d(0),
        positions: vec![pos("ETF", AssetClass::Etf, None, 1)],
    })
    .unwrap();
    assert!(
        warnings(
            &fund,
            &cash_days(0),
            &Report::default(),
            &Thresholds::default()
        )
        .is_empty()
    );
}

#[test]
fn few_stocks_without_a_fund_is_undiversified() {
    let positions: Vec<Position> = ["A", "B", "C", "D"]
        .iter()
        .zip(["S1", "S2", "S3", "S4"])
        .map(|(s, sector)| pos(s, AssetClass::Stock, Some(sector), 100))
        .collect();
    let mut h = Holdings {
        cash: d(600),
        positions,
    };
    let t = Thresholds::default();
    let c = compose(&h).unwrap();
    assert_eq!(
        codes(&warnings(&c, &cash_days(0), &Report::default(), &t)),
        ["undiversified"]
    );
    h.positions.push(pos("ETF", AssetClass::Etf, None, 100));
    let c = compose(&h).unwrap();
    assert!(warnings(&c, &cash_days(0), &Report::default(), &t).is_empty());
}

#[test]
fn high_cash_needs_a_streak() {
    let c = compose(&Holdings {
        cash: d(900),
        positions: vec![pos("ETF", AssetClass::Etf, None, 100)],
    })
    .unwrap();
    let t = Thresholds::default();
    assert!(warnings(&c, &cash_days(19), &Report::default(), &t).is_empty());
    let w = warnings(&c, &cash_days(20), &Report::default(), &t);
    assert_eq!(
        w,
        [Warning::HighCash {
            weight: 0.9,
            days: 20
        }]
    );
    // The streak counts back from the latest day and stops at the first invested day.
    let mut points = cash_days(25).points().to_vec();
    points[10].cash = d(100);
    assert_eq!(cash_streak(&History::new(points).unwrap(), 0.5), 14);
}

#[test]
fn history_warnings_use_the_report() {
    let c = compose(&Holdings {
        cash: d(100),
        positions: vec![pos("ETF", AssetClass::Etf, None, 900)],
    })
    .unwrap();
    let report = Report {
        fee_drag: Some(FeeDrag {
            fees: d(20),
            average_equity: d(1000),
            fraction: 0.02,
            return_with_fees: 0.0,
            return_without_fees: 0.02,
        }),
        max_drawdown: Some(Drawdown {
            fraction: 0.3,
            peak_day: 1,
            trough_day: 9,
        }),
        turnover: Some(5.0),
        ..Report::default()
    };
    let w = warnings(&c, &cash_days(0), &report, &Thresholds::default());
    assert_eq!(codes(&w), ["fee_drag", "deep_drawdown", "high_turnover"]);
    assert_eq!(w[1].message(), "The portfolio fell 30.0% from its peak.");
    let lax = Thresholds {
        fees: 0.05,
        drawdown: 0.5,
        turnover: 10.0,
        ..Thresholds::default()
    };
    assert!(warnings(&c, &cash_days(0), &report, &lax).is_empty());
}

fn class() -> impl Strategy<Value = AssetClass> {
    prop::sample::select(vec![
        AssetClass::Stock,
        AssetClass::Etf,
        AssetClass::BondFund,
        AssetClass::MoneyMarket,
        AssetClass::Crypto,
    ])
}

proptest! {
    #[test]
    fn weights_and_cash_sum_to_one(
        cash in 0_i64..1_000_000_000,
        values in prop::collection::vec((class(), 0_u8..4, 0_i64..1_000_000_000), 0..30),
    ) {
        let positions = values
            .iter()
            .enumerate()
            .map(|(i, (c, sector, v))| Position {
                symbol: format!("S{i}"),
                class: *c,
                sector: (*sector > 0).then(|| format!("sector-{sector}")),
                market_value: Decimal::new(*v, 2),
            })
            .collect();
        let h = Holdings { cash: Decimal::new(cash, 2), positions };
        let Some(c) = compose(&h) else {
            prop_assert!(cash == 0 && values.iter().all(|v| v.2 == 0));
            return Ok(());
        };
        let total: f64 = c.weights.iter().map(|w| w.weight).sum::<f64>() + c.cash_weight;
        prop_assert!((total - 1.0).abs() < 1e-9, "{total}");
        let sectors: f64 = c.sector_weights.iter().map(|w| w.weight).sum();
        prop_assert!(sectors <= 1.0 + 1e-9);
        prop_assert!((0.0..=1.0).contains(&c.crypto_weight));
        if let Some(hhi) = c.hhi {
            prop_assert!(hhi <= 1.0 + 1e-9 && hhi * f64::from(u32::try_from(c.positions).unwrap()) >= 1.0 - 1e-9);
        }
        let w = warnings(&c, &History::default(), &Report::default(), &Thresholds::default());
        prop_assert!(w.iter().all(|w| !w.message().contains("NaN")));
    }
}
