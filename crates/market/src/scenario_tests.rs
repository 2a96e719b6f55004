#![allow(clippy::unwrap_used)]

use super::*;
use rust_decimal::prelude::ToPrimitive;

const SEEDS: std::ops::Range<u64> = 0..12;

fn closes(s: Scenario, seed: u64, symbol: &str) -> Vec<f64> {
    let bars = s
        .daily_series(seed, &Catalogue::standard(), symbol)
        .unwrap();
    assert_eq!(bars.len(), s.days() as usize);
    bars.iter().map(|b| b.close.to_f64().unwrap()).collect()
}

fn total_return(xs: &[f64], start: f64) -> f64 {
    xs.last().unwrap() / start - 1.0
}

fn start(symbol: &str) -> f64 {
    Catalogue::standard().get(symbol).unwrap().start()
}

fn max_drawdown(xs: &[f64]) -> f64 {
    let mut peak = f64::MIN;
    let mut worst = 0.0f64;
    for &x in xs {
        peak = peak.max(x);
        worst = worst.max(1.0 - x / peak);
    }
    worst
}

fn annual_vol(xs: &[f64]) -> f64 {
    let r: Vec<f64> = xs.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    #[allow(clippy::cast_precision_loss)]
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n * TRADING_DAYS).sqrt()
}

#[test]
fn names_round_trip_and_series_are_deterministic() {
    for s in Scenario::ALL {
        assert_eq!(Scenario::parse(s.as_str()), Some(s));
        assert!(s.description().contains("simulated"));
        assert!(s.phases().iter().all(|p| p.days > 0));
    }
    assert_eq!(Scenario::parse("crash"), None);
    let cat = Catalogue::standard();
    let a = Scenario::Crash2008.daily_series(3, &cat, "QBYT").unwrap();
    assert_eq!(
        a,
        Scenario::Crash2008.daily_series(3, &cat, "QBYT").unwrap()
    );
    assert_ne!(
        a,
        Scenario::Crash2008.daily_series(4, &cat, "QBYT").unwrap()
    );
    assert_ne!(
        a[..100],
        Scenario::DotComBubble
            .daily_series(3, &cat, "QBYT")
            .unwrap()[..100]
    );
    assert!(Scenario::CalmBull.daily_series(3, &cat, "NOPE").is_none());
}

#[test]
fn a_calm_bull_rises_quietly() {
    for seed in SEEDS {
        let index = closes(Scenario::CalmBull, seed, "NXTM");
        assert!(total_return(&index, start("NXTM")) > 0.0, "seed {seed}");
        assert!(
            annual_vol(&index) < 0.15,
            "seed {seed}: {}",
            annual_vol(&index)
        );
        assert!(max_drawdown(&index) < 0.2, "seed {seed}");
    }
}

#[test]
fn the_crash_halves_stocks_and_spares_bonds() {
    for seed in SEEDS {
        let index = closes(Scenario::Crash2008, seed, "NXTM");
        let bonds = closes(Scenario::Crash2008, seed, "NXBD");
        let dd = max_drawdown(&index);
        assert!(dd > 0.35, "seed {seed}: index drawdown {dd}");
        let bond_dd = max_drawdown(&bonds);
        assert!(bond_dd < 0.2, "seed {seed}: bond drawdown {bond_dd}");
        assert!(dd > bond_dd + 0.2, "seed {seed}: {dd} vs {bond_dd}");
    }
}

#[test]
fn the_dot_com_bubble_inflates_and_bursts() {
    for seed in SEEDS {
        let tech = closes(Scenario::DotComBubble, seed, "NXTK");
        let (peak_day, peak) =
            tech.iter().enumerate().fold(
                (0, f64::MIN),
                |best, (i, &x)| if x > best.1 { (i, x) } else { best },
            );
        assert!(peak / start("NXTK") > 2.0, "seed {seed}: peak {peak}");
        let after = tech[peak_day..].iter().copied().fold(f64::MAX, f64::min);
        assert!(
            after / peak < 0.5,
            "seed {seed}: fell to {after} from {peak}"
        );
    }
}

#[test]
fn high_inflation_erodes_bonds_while_cash_keeps_pace() {
    let level = Scenario::HighInflationDecade.price_level();
    assert!(level > 2.0, "prices more than double: {level}");
    assert!((Scenario::CalmBull.price_level() - 1.0404).abs() < 1e-3);
    for seed in 0..4 {
        let cash = closes(Scenario::HighInflationDecade, seed, "NXMM");
        let bonds = closes(Scenario::HighInflationDecade, seed, "NXBD");
        let nominal_cash = total_return(&cash, start("NXMM"));
        assert!(nominal_cash > 0.5, "seed {seed}: {nominal_cash}");
        let real = |xs: &[f64], s: &str| (1.0 + total_return(xs, start(s))) / level - 1.0;
        assert!(real(&cash, "NXMM") > -0.1, "cash roughly keeps pace");
        assert!(
            real(&bonds, "NXBD") < -0.3,
            "seed {seed}: bonds lose in real terms"
        );
    }
}
