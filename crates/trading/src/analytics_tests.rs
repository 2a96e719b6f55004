//! Hand-computed examples for each measure, and properties: no NaN or infinity, a
//! drawdown in [0, 1], and a time-weighted return that deposits cannot move.

use super::*;
use proptest::prelude::*;

fn d(units: i64) -> Decimal {
    Decimal::from(units)
}

/// A history of days 0, 1, 2… with these equities and nothing else.
fn plain(equities: &[i64]) -> History {
    History::new(
        (0_i64..)
            .zip(equities)
            .map(|(day, e)| DayPoint::at(day, d(*e)))
            .collect(),
    )
    .unwrap()
}

/// A history whose daily returns are exactly `returns` (in basis points), from 10,000.
fn from_returns_bp(returns: &[i64]) -> History {
    let mut equity = d(10_000);
    let mut points = vec![DayPoint::at(0, equity)];
    for (day, bp) in (1_i64..).zip(returns) {
        equity *= Decimal::ONE + Decimal::new(*bp, 4);
        points.push(DayPoint::at(day, equity));
    }
    History::new(points).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn three_day_series_by_hand() {
    // 100 → 110 → 104.5: returns +10% and −5%.
    let h = History::new(vec![
        DayPoint::at(0, d(100)),
        DayPoint::at(1, d(110)),
        DayPoint::at(2, Decimal::new(1045, 1)),
    ])
    .unwrap();
    // TWR: 1.1 × 0.95 − 1.
    assert!(close(time_weighted_return(&h).unwrap(), 0.045));
    // Mean 0.025; deviations ±0.075; sample variance 2 × 0.075² / 1 = 0.01125.
    let vol = annualised_volatility(&h).unwrap();
    assert!(close(vol, 0.01125_f64.sqrt() * 252_f64.sqrt()));
    // Sharpe at 0%: 0.025 / √0.01125 × √252 = √14.
    assert!(close(sharpe_ratio(&h, 0.0).unwrap(), 14_f64.sqrt()));
    // Sortino at 0%: downside √(0.05² / 2); 0.025 / that × √252 = √126.
    assert!(close(sortino_ratio(&h, 0.0).unwrap(), 126_f64.sqrt()));
    // A 2.52% risk-free rate is 0.01% a day, taken off the mean.
    let s = sharpe_ratio(&h, 0.0252).unwrap();
    assert!(close(s, 0.0249 / 0.01125_f64.sqrt() * 252_f64.sqrt()));
    // Peak 110 on day 1, trough 104.5 on day 2: a 5% fall.
    let dd = max_drawdown(&h).unwrap();
    assert!(close(dd.fraction, 0.05));
    assert_eq!((dd.peak_day, dd.trough_day), (1, 2));
}

#[test]
fn drawdown_is_the_worst_fall_from_a_running_peak() {
    // 100 → 120 → 90 (−25% from 120) → 130 → 117 (−10%).
    let dd = max_drawdown(&plain(&[100, 120, 90, 130, 117])).unwrap();
    assert!(close(dd.fraction, 0.25));
    assert_eq!((dd.peak_day, dd.trough_day), (1, 2));
    let up = max_drawdown(&plain(&[100, 101, 102])).unwrap();
    assert!(close(up.fraction, 0.0));
    assert_eq!((up.peak_day, up.trough_day), (0, 0));
}

#[test]
fn flows_are_not_returns() {
    // Day 1: +10% on 100, then a 50 deposit at the close. Day 2: −10% on 160.
    let h = History::new(vec![
        DayPoint::at(0, d(100)),
        DayPoint {
            net_flow: d(50),
            ..DayPoint::at(1, d(160))
        },
        DayPoint::at(2, d(144)),
    ])
    .unwrap();
    assert!(close(time_weighted_return(&h).unwrap(), 1.1 * 0.9 - 1.0));
    assert!(close(
        time_weighted_return(&plain(&[100, 110, 99])).unwrap(),
        -0.01
    ));
    // A withdrawal after a gain is not a drawdown.
    let w = History::new(vec![
        DayPoint::at(0, d(100)),
        DayPoint {
            net_flow: d(-60),
            ..DayPoint::at(1, d(50))
        },
    ])
    .unwrap();
    assert!(close(time_weighted_return(&w).unwrap(), 0.1));
    assert!(close(max_drawdown(&w).unwrap().fraction, 0.0));
}

#[test]
fn days_without_equity_have_no_return() {
    // Opened empty; the first deposit lands on day 1.
    let h = History::new(vec![
        DayPoint::at(0, d(0)),
        DayPoint {
            net_flow: d(100),
            ..DayPoint::at(1, d(100))
        },
        DayPoint::at(2, d(110)),
    ])
    .unwrap();
    assert_eq!(analyse(&h, None, Assumptions::default()).returns, 1);
    assert!(close(time_weighted_return(&h).unwrap(), 0.1));
}

#[test]
fn too_few_points_are_undefined_not_nan() {
    let one = plain(&[100]);
    let r = analyse(&one, Some(&[]), Assumptions::default());
    assert_eq!(r, Report::default());
    let two = plain(&[100, 101]);
    assert!(time_weighted_return(&two).is_some());
    assert!(max_drawdown(&two).is_some());
    assert!(annualised_volatility(&two).is_none());
    assert!(sharpe_ratio(&two, 0.02).is_none());
    // Flat: zero volatility, so no Sharpe; never below the target, so no Sortino.
    let flat = plain(&[100, 100, 100]);
    assert!(close(annualised_volatility(&flat).unwrap(), 0.0));
    assert!(sharpe_ratio(&flat, 0.02).is_none());
    assert!(sortino_ratio(&plain(&[100, 110, 121]), 0.0).is_none());
    assert!(sharpe_ratio(&plain(&[100, 110, 99]), f64::NAN).is_none());
}

#[test]
fn beta_of_the_index_itself_is_one() {
    let levels = [100, 102, 99, 103, 101, 104];
    let index: Vec<IndexClose> = (0_i64..)
        .zip(levels)
        .map(|(day, c)| IndexClose { day, close: d(c) })
        .collect();
    assert!(close(beta(&plain(&levels), &index).unwrap(), 1.0));
}

#[test]
fn beta_of_a_doubled_series_is_two_and_of_cash_zero() {
    let index_bp = [100, -200, 300, -150, 50];
    let index = from_returns_bp(&index_bp);
    let closes: Vec<IndexClose> = index
        .points()
        .iter()
        .map(|p| IndexClose {
            day: p.day,
            close: p.equity,
        })
        .collect();
    let doubled: Vec<i64> = index_bp.iter().map(|r| 2 * r).collect();
    assert!((beta(&from_returns_bp(&doubled), &closes).unwrap() - 2.0).abs() < 1e-9);
    let cash = plain(&[100; 6]);
    assert!(close(beta(&cash, &closes).unwrap(), 0.0));
}

#[test]
fn beta_needs_a_moving_aligned_index() {
    let h = plain(&[100, 102, 99, 103]);
    let flat: Vec<IndexClose> = (0..4).map(|day| IndexClose { day, close: d(50) }).collect();
    assert!(beta(&h, &flat).is_none());
    // Only days 0 and 1 are present: one aligned return is not enough.
    let sparse = [
        IndexClose {
            day: 0,
            close: d(50),
        },
        IndexClose {
            day: 1,
            close: d(51),
        },
        IndexClose {
            day: 3,
            close: d(52),
        },
    ];
    assert!(beta(&h, &sparse).is_none());
    assert!(analyse(&h, None, Assumptions::default()).beta.is_none());
}

#[test]
fn var_is_the_nearest_rank_fifth_percentile() {
    // 40 returns: ⌈0.05 × 40⌉ = 2, so the second-worst day (−3%) sets VaR.
    let mut bp = vec![100; 38];
    bp.insert(5, -500);
    bp.insert(20, -300);
    let h = from_returns_bp(&bp);
    let var = value_at_risk_95(&h).unwrap();
    assert!(close(var.loss_fraction, 0.03));
    let equity = h.latest().unwrap().equity;
    assert_eq!(var.loss, (equity * Decimal::new(3, 2)).round_dp(2));
    // 20 returns: rank 1, the worst day.
    let mut bp = vec![50; 19];
    bp.push(-400);
    assert!(close(
        value_at_risk_95(&from_returns_bp(&bp))
            .unwrap()
            .loss_fraction,
        0.04
    ));
    // 19 returns are too few; a history of only gains risks nothing at this level.
    assert!(value_at_risk_95(&from_returns_bp(&[50; 19])).is_none());
    let gains = value_at_risk_95(&from_returns_bp(&[50; 20])).unwrap();
    assert_eq!((gains.loss_fraction, gains.loss), (0.0, Decimal::ZERO));
}

#[test]
fn fee_drag_adds_fees_back() {
    // Day 1 made 1% before a 10 fee; day 2 was flat.
    let h = History::new(vec![
        DayPoint::at(0, d(1000)),
        DayPoint {
            fees: d(10),
            ..DayPoint::at(1, d(1000))
        },
        DayPoint::at(2, d(1000)),
    ])
    .unwrap();
    let f = fee_drag(&h).unwrap();
    assert_eq!((f.fees, f.average_equity), (d(10), d(1000)));
    assert!(close(f.fraction, 0.01));
    assert!(close(f.return_with_fees, 0.0));
    assert!(close(f.return_without_fees, 0.01));
}

#[test]
fn turnover_is_one_way_and_annualised() {
    // 20 days each trading 100 (buys + sells) on 1,000: one-way 1,000 / 1,000 = 1
    // over 20 days, so 12.6 times a year.
    let points = (0..=20)
        .map(|day| DayPoint {
            traded: if day == 0 { d(0) } else { d(100) },
            ..DayPoint::at(day, d(1000))
        })
        .collect();
    let h = History::new(points).unwrap();
    assert!(close(annual_turnover(&h).unwrap(), 12.6));
    assert!(annual_turnover(&plain(&[1000; 20])).is_none());
}

#[test]
fn histories_are_checked() {
    let back = vec![DayPoint::at(1, d(1)), DayPoint::at(1, d(1))];
    assert_eq!(
        History::new(back),
        Err(HistoryError::NotIncreasing { day: 1 })
    );
    let negative = vec![DayPoint {
        fees: d(-1),
        ..DayPoint::at(4, d(1))
    }];
    assert_eq!(
        History::new(negative),
        Err(HistoryError::Negative { day: 4 })
    );
    assert!(!HistoryError::Negative { day: 4 }.to_string().is_empty());
}

fn all_finite(r: &Report) -> bool {
    let mut xs = vec![
        r.time_weighted_return,
        r.volatility,
        r.sharpe,
        r.sortino,
        r.beta,
        r.turnover,
    ];
    xs.extend([
        r.max_drawdown.map(|m| m.fraction),
        r.value_at_risk.map(|v| v.loss_fraction),
    ]);
    if let Some(f) = r.fee_drag {
        xs.extend([
            Some(f.fraction),
            Some(f.return_with_fees),
            Some(f.return_without_fees),
        ]);
    }
    xs.into_iter().flatten().all(f64::is_finite)
}

/// Equity in cents, from a cent to ten billion, with flows and fees of any size.
fn day_strategy() -> impl Strategy<Value = (i64, i64, i64, i64)> {
    (
        0_i64..1_000_000_000_000,
        -1_000_000_000_i64..1_000_000_000,
        0_i64..1_000_000,
        0_i64..10_000_000,
    )
}

fn build(days: &[(i64, i64, i64, i64)]) -> History {
    let points = (0_i64..)
        .zip(days)
        .map(|(day, (e, flow, fee, traded))| DayPoint {
            net_flow: Decimal::new(*flow, 2),
            fees: Decimal::new(*fee, 2),
            traded: Decimal::new(*traded, 2),
            cash: Decimal::ZERO,
            ..DayPoint::at(day, Decimal::new(*e, 2))
        })
        .collect();
    History::new(points).unwrap()
}

proptest! {
    #[test]
    fn measures_are_never_nan_or_infinite(
        days in prop::collection::vec(day_strategy(), 0..60),
        index in prop::collection::vec(0_i64..1_000_000, 0..60),
        rf in -0.5_f64..0.5,
    ) {
        let h = build(&days);
        let closes: Vec<IndexClose> = (0_i64..)
            .zip(&index)
            .map(|(day, c)| IndexClose { day, close: Decimal::new(*c, 2) })
            .collect();
        let r = analyse(&h, Some(&closes), Assumptions { risk_free_rate: rf });
        prop_assert!(all_finite(&r), "{r:?}");
        if let Some(m) = r.max_drawdown {
            prop_assert!((0.0..=1.0).contains(&m.fraction));
        }
        if let Some(v) = r.value_at_risk {
            prop_assert!(v.loss_fraction >= 0.0 && v.loss >= Decimal::ZERO);
        }
    }

    #[test]
    fn positive_series_have_every_measure_defined_in_range(
        equities in prop::collection::vec(1_i64..1_000_000_000, 21..80),
    ) {
        let h = plain(&equities);
        let r = analyse(&h, None, Assumptions::default());
        prop_assert!(all_finite(&r));
        prop_assert!(r.time_weighted_return.is_some() && r.volatility.is_some());
        prop_assert!(r.value_at_risk.is_some() && r.fee_drag.is_some());
        let m = r.max_drawdown.unwrap();
        prop_assert!((0.0..=1.0).contains(&m.fraction) && m.peak_day <= m.trough_day);
    }

    #[test]
    fn a_deposit_does_not_change_the_time_weighted_return(
        equities in prop::collection::vec(100_i64..1_000_000, 2..30),
        at in 0_usize..30,
        deposit in 1_i64..10_000_000,
    ) {
        let at = at % equities.len();
        let base = plain(&equities);
        // Everything after the deposit grows by the same returns, from a larger base.
        let scale = (d(equities[at]) + d(deposit)) / d(equities[at]);
        let points = base.points().iter().enumerate().map(|(i, p)| match i.cmp(&at) {
            std::cmp::Ordering::Less => *p,
            std::cmp::Ordering::Equal => DayPoint {
                net_flow: d(deposit),
                ..DayPoint::at(p.day, p.equity + d(deposit))
            },
            std::cmp::Ordering::Greater => DayPoint::at(p.day, p.equity * scale),
        }).collect();
        let with = History::new(points).unwrap();
        let (a, b) = (time_weighted_return(&base).unwrap(), time_weighted_return(&with).unwrap());
        prop_assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
    }
}
