//! Each rule triggered by a crafted input, the lesson links checked against the real
//! curriculum, number formatting, and wording that never advises a trade.

use super::*;
use crate::analytics::{Drawdown, FeeDrag, ValueAtRisk};
use crate::composition::{AssetClass, Holdings, Position, compose};

fn d(units: i64) -> Decimal {
    Decimal::from(units)
}

fn codes(insights: &[Insight]) -> Vec<&'static str> {
    insights.iter().map(|i| i.code).collect()
}

fn find<'a>(insights: &'a [Insight], code: &str) -> &'a Insight {
    insights.iter().find(|i| i.code == code).unwrap()
}

/// A report with every measure defined and unremarkable.
fn full_report() -> Report {
    Report {
        returns: 60,
        time_weighted_return: Some(0.0523),
        volatility: Some(0.184),
        sharpe: Some(0.8123),
        sortino: Some(1.2),
        max_drawdown: Some(Drawdown {
            fraction: 0.08,
            peak_day: 12,
            trough_day: 20,
        }),
        beta: Some(1.05),
        value_at_risk: Some(ValueAtRisk {
            loss_fraction: 0.0213,
            loss: Decimal::new(21_345_678, 2),
        }),
        fee_drag: Some(FeeDrag {
            fees: Decimal::new(123_456, 2),
            average_equity: d(1_000_000),
            fraction: 0.0012,
            return_with_fees: 0.0523,
            return_without_fees: 0.0536,
        }),
        turnover: Some(0.5),
    }
}

fn all_warnings() -> Vec<Warning> {
    vec![
        Warning::ConcentratedPosition {
            symbol: "ACME".into(),
            weight: 0.4,
        },
        Warning::ConcentratedSector {
            sector: "Tech".into(),
            weight: 0.55,
        },
        Warning::Undiversified { stocks: 1 },
        Warning::HighCash {
            weight: 0.7,
            days: 30,
        },
        Warning::HighCrypto { weight: 0.15 },
        Warning::FeeDrag { fraction: 0.02 },
        Warning::DeepDrawdown { fraction: 0.5 },
        Warning::HighTurnover { annual: 4.0 },
    ]
}

#[test]
fn formats_numbers_readably() {
    assert_eq!(percent(0.1234), "12.3%");
    assert_eq!(percent(-0.0456), "-4.6%");
    assert_eq!(percent(-0.00001), "0.0%");
    assert_eq!(percent(1.0), "100.0%");
    assert_eq!(money(Decimal::new(1_234_567_891, 3)), "$1,234,567.89");
    assert_eq!(money(Decimal::new(-12_345, 1)), "-$1,234.50");
    assert_eq!(money(d(999)), "$999.00");
    assert_eq!(money(d(1000)), "$1,000.00");
    assert_eq!(money(Decimal::ZERO), "$0.00");
}

#[test]
fn every_warning_becomes_an_insight_most_severe_first() {
    let out = explain(&full_report(), None, &all_warnings());
    let warnings: Vec<(&str, Severity)> =
        out.iter().take(8).map(|i| (i.code, i.severity)).collect();
    assert_eq!(
        warnings,
        [
            ("concentrated_position", Severity::Warning),
            ("high_crypto", Severity::Warning),
            ("deep_drawdown", Severity::Warning),
            ("concentrated_sector", Severity::Caution),
            ("undiversified", Severity::Caution),
            ("fee_drag", Severity::Caution),
            ("high_turnover", Severity::Caution),
            ("high_cash", Severity::Info),
        ]
    );
    assert!(out.iter().take(8).all(|i| i.lesson.is_some()));
    assert_eq!(find(&out, "high_cash").lesson, Some(INFLATION));
    assert_eq!(find(&out, "fee_drag").lesson, Some(INVESTING_BASICS));
    assert!(
        find(&out, "concentrated_position")
            .message
            .contains("ACME makes up 40.0%")
    );
    assert!(
        find(&out, "undiversified")
            .message
            .contains("1 individual stock and")
    );
    // A 50% fall needs a 100% gain to recover.
    assert!(
        find(&out, "deep_drawdown")
            .message
            .contains("a gain of 100.0% is needed")
    );
    assert!(
        find(&out, "fee_drag")
            .message
            .contains("5.4% instead of 5.2%")
    );
    // The warnings replace the matching explanations rather than repeat them.
    for replaced in ["drawdown", "fees", "diversification"] {
        assert!(!codes(&out).contains(&replaced), "{replaced}");
    }
}

#[test]
fn every_defined_measure_is_explained() {
    let c = compose(&Holdings {
        cash: d(100),
        positions: vec![
            Position {
                symbol: "WORLD".into(),
                class: AssetClass::Etf,
                sector: None,
                market_value: d(700),
            },
            Position {
                symbol: "BONDS".into(),
                class: AssetClass::BondFund,
                sector: None,
                market_value: d(200),
            },
        ],
    })
    .unwrap();
    let out = explain(&full_report(), Some(&c), &[]);
    assert_eq!(
        codes(&out),
        [
            "return",
            "risk",
            "market_sensitivity",
            "value_at_risk",
            "drawdown",
            "fees",
            "diversification",
            "disclaimer"
        ]
    );
    assert_eq!(find(&out, "return").title, "Time-weighted return: 5.2%");
    assert!(find(&out, "risk").message.contains("Sharpe ratio of 0.81"));
    assert!(
        find(&out, "market_sensitivity")
            .message
            .contains("roughly with the market")
    );
    assert!(
        find(&out, "value_at_risk")
            .message
            .contains("2.1% or more, about $213,456.78")
    );
    assert!(
        find(&out, "drawdown")
            .message
            .contains("(day 12 to day 20) was 8.0%")
    );
    assert_eq!(find(&out, "fees").title, "Fees paid: $1,234.56");
    assert!(
        find(&out, "diversification")
            .message
            .contains("WORLD, is 70.0%")
    );
    assert_eq!(find(&out, "return").lesson, Some(COMPOUND_INTEREST));
}

#[test]
fn beta_is_described_by_its_size() {
    for (beta, words) in [
        (1.6, "more than"),
        (0.3, "less than"),
        (0.9, "roughly with"),
    ] {
        let r = Report {
            beta: Some(beta),
            ..full_report()
        };
        let out = explain(&r, None, &[]);
        assert!(find(&out, "market_sensitivity").message.contains(words));
    }
}

#[test]
fn short_histories_say_so_and_still_end_with_the_disclaimer() {
    let out = explain(&Report::default(), None, &[]);
    assert_eq!(codes(&out), ["early_days", "disclaimer"]);
    assert!(out[0].message.contains("There are 0 trading days"));
    let one = explain(
        &Report {
            returns: 1,
            ..Report::default()
        },
        None,
        &[],
    );
    assert!(one[0].message.contains("There is 1 trading day"));
    let last = out.last().unwrap();
    assert_eq!((last.message.as_str(), last.lesson), (DISCLAIMER, None));
    assert!(DISCLAIMER.contains("education only") && DISCLAIMER.contains("no investment advice"));
}

#[test]
fn a_total_loss_is_explained_without_nonsense() {
    let out = explain(
        &full_report(),
        None,
        &[Warning::DeepDrawdown { fraction: 1.0 }],
    );
    let m = &find(&out, "deep_drawdown").message;
    assert!(m.contains("no gain can bring it back") && !m.contains("inf"));
}

#[test]
fn wording_never_advises_a_trade() {
    let c = compose(&Holdings {
        cash: d(0),
        positions: vec![Position {
            symbol: "ACME".into(),
            class: AssetClass::Stock,
            sector: Some("Tech".into()),
            market_value: d(1),
        }],
    })
    .unwrap();
    let mut all = explain(&full_report(), Some(&c), &all_warnings());
    all.extend(explain(&full_report(), Some(&c), &[]));
    all.extend(explain(&Report::default(), None, &[]));
    for i in &all {
        let text = format!("{} {}", i.title, i.message).to_lowercase();
        for banned in ["buy", "sell", "you should", "you must", "recommend"] {
            assert!(!text.contains(banned), "{}: {banned:?} in {text}", i.code);
        }
        assert!(!text.contains("nan") && !text.is_empty(), "{text}");
    }
}

#[test]
fn every_lesson_link_names_a_real_lesson() {
    let course = include_str!("../../../curriculum/financial-literacy-101.json");
    assert!(course.contains(&format!("\"title\": \"{COURSE}\"")));
    // Segment k + 1 (after the k-th `"lessons":`) holds module k's lessons.
    let modules: Vec<&str> = course.split("\"lessons\": [").collect();
    for lesson in LESSONS {
        let module = modules[usize::try_from(lesson.module).unwrap() + 1];
        let title = format!("\"title\": \"{}\"", lesson.title);
        assert!(module.contains(&title), "{lesson:?}");
        assert_eq!(
            course.matches(&title).count(),
            1,
            "{lesson:?} is not unique"
        );
    }
    assert_eq!(Severity::Caution.as_str(), "caution");
}

#[test]
fn history_to_explanation_end_to_end() {
    use crate::analytics::{Assumptions, DayPoint, History, analyse};
    use crate::composition::{Thresholds, warnings};
    // 30 days falling 1% a day from 10,000: about a 26% drawdown.
    let mut equity = d(10_000);
    let mut points = vec![DayPoint::at(0, equity)];
    for day in 1..=30 {
        equity = (equity * Decimal::new(99, 2)).round_dp(2);
        points.push(DayPoint::at(day, equity));
    }
    let history = History::new(points).unwrap();
    let report = analyse(&history, None, Assumptions::default());
    let holdings = Holdings {
        cash: Decimal::ZERO,
        positions: vec![Position {
            symbol: "ACME".into(),
            class: AssetClass::Stock,
            sector: Some("Tech".into()),
            market_value: equity,
        }],
    };
    let c = compose(&holdings).unwrap();
    let w = warnings(&c, &history, &report, &Thresholds::default());
    let out = explain(&report, Some(&c), &w);
    assert_eq!(
        codes(&out),
        [
            "concentrated_position",
            "deep_drawdown",
            "concentrated_sector",
            "undiversified",
            "return",
            "risk",
            "value_at_risk",
            "disclaimer"
        ]
    );
    assert_eq!(find(&out, "return").title, "Time-weighted return: -26.0%");
    assert!(
        find(&out, "value_at_risk")
            .message
            .contains("1.0% or more, about $73.97")
    );
}
