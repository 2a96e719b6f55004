use super::*;
use proptest::prelude::*;

const TECH: Sector = Sector {
    id: 1,
    sigma: 0.25,
    regime_switch: 0.02,
    turbulence: 2.0,
    market: 0.0,
};
const UTILITIES: Sector = Sector {
    id: 2,
    sigma: 0.12,
    regime_switch: 0.01,
    turbulence: 1.5,
    market: 0.0,
};

fn params(beta: f64) -> Params {
    Params {
        mu: 0.07,
        sigma: 0.3,
        beta,
        jumps_per_year: 2.0,
        jump_mean: -0.03,
        jump_sd: 0.05,
    }
}

fn log_returns(bars: &[Bar]) -> Vec<f64> {
    let f = |d: Decimal| d.to_string().parse::<f64>().unwrap();
    bars.windows(2)
        .map(|w| (f(w[1].close) / f(w[0].close)).ln())
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va.sqrt() * vb.sqrt())
}

#[test]
fn the_same_seed_gives_the_same_bars_and_instruments_do_not_disturb_each_other() {
    let a = daily_bars(2026, 7, &TECH, &params(0.6), 100.0, 1_000_000, 250);
    let b = daily_bars(2026, 7, &TECH, &params(0.6), 100.0, 1_000_000, 250);
    assert_eq!(a, b);
    assert_ne!(
        a,
        daily_bars(2027, 7, &TECH, &params(0.6), 100.0, 1_000_000, 250)
    );
    // Asking for more days extends the series without changing what came before.
    assert_eq!(
        daily_bars(2026, 7, &TECH, &params(0.6), 100.0, 1_000_000, 100),
        a[..100]
    );
    // Pinned: the model's output for this seed. If a change to the generator or the
    // model moves it, every stored scenario and lesson moves with it — update on
    // purpose only.
    let closes: Vec<String> = a[..3]
        .iter()
        .map(|b| format!("{} {}", b.close, b.volume))
        .collect();
    assert_pinned(&closes);
}

/// The pinned closes (see above); printed on failure so a deliberate change can update
/// them.
fn assert_pinned(closes: &[String]) {
    let pinned = PINNED;
    assert_eq!(closes, pinned, "model output changed: {closes:?}");
}

const PINNED: [&str; 3] = ["100.43 399235", "101.34 486703", "100.98 980998"];

#[test]
fn instruments_of_a_sector_move_together() {
    let tech_a = log_returns(&daily_bars(9, 1, &TECH, &params(0.8), 50.0, 1_000_000, 750));
    let tech_b = log_returns(&daily_bars(9, 2, &TECH, &params(0.8), 80.0, 1_000_000, 750));
    let util = log_returns(&daily_bars(
        9,
        3,
        &UTILITIES,
        &params(0.8),
        30.0,
        1_000_000,
        750,
    ));
    let same = correlation(&tech_a, &tech_b);
    let across = correlation(&tech_a, &util);
    assert!(same > 0.3, "same sector: {same}");
    assert!(across.abs() < 0.15, "across sectors: {across}");
    let loose = log_returns(&daily_bars(9, 4, &TECH, &params(0.0), 50.0, 1_000_000, 750));
    assert!(
        correlation(&tech_a, &loose).abs() < 0.15,
        "beta 0 is on its own"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_bar_contains_its_open_and_close(
        seed in any::<u64>(),
        instrument in 0u64..1000,
        beta in 0.0f64..1.0,
        sigma in 0.05f64..1.5,
        start in 1.0f64..5000.0,
    ) {
        let p = Params { sigma, ..params(beta) };
        for bar in daily_bars(seed, instrument, &TECH, &p, start, 1_000_000, 60) {
            prop_assert!(bar.low <= bar.open.min(bar.close));
            prop_assert!(bar.high >= bar.open.max(bar.close));
            prop_assert!(bar.low > Decimal::ZERO);
            prop_assert!(bar.volume > 0);
        }
    }
}
