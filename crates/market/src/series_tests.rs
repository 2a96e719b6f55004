#![allow(clippy::unwrap_used)]

use super::*;
use crate::instruments::Catalogue;

fn steps_of(s: &mut Series, days: u32) -> Vec<Vec<Step>> {
    (0..days).map(|d| s.steps(d).to_vec()).collect()
}

#[test]
fn extending_in_pieces_matches_generating_in_one_go() {
    let cat = Catalogue::standard();
    for symbol in ["QBYT", "NXMM", "DRFC"] {
        let inst = cat.get(symbol).unwrap();
        let mut whole = Series::new(77, inst);
        whole.extend_to(39);
        let mut pieces = Series::new(77, inst);
        for day in [0, 3, 4, 17, 18, 39] {
            pieces.extend_to(day);
            // Interleaved reads of old days (replays) must not disturb generation.
            let _ = pieces.steps(day / 2);
        }
        assert_eq!(whole.bars(0, 39), pieces.bars(0, 39), "{symbol}");
        assert_eq!(
            steps_of(&mut whole, 40),
            steps_of(&mut pieces, 40),
            "{symbol}"
        );
    }
}

#[test]
fn daily_bars_aggregate_their_steps() {
    let inst = Catalogue::standard().get("HLXD").unwrap().clone();
    let mut s = Series::new(5, &inst);
    s.extend_to(9);
    for day in 0..10 {
        let open = s.open_price(day).unwrap();
        let steps = s.steps(day).to_vec();
        assert_eq!(steps.len(), 78);
        let bar = s.bar(day).unwrap();
        let dp = s.dp();
        let f = |x| crate::model::price_decimal(x, dp);
        assert_eq!(bar.open, f(open));
        assert_eq!(bar.close, f(steps[77].price));
        assert_eq!(bar.volume, steps.iter().map(|x| x.volume).sum::<u64>());
        let high = steps.iter().map(|x| x.price).fold(open, f64::max);
        let low = steps.iter().map(|x| x.price).fold(open, f64::min);
        assert_eq!((bar.high, bar.low), (f(high), f(low)));
        if day > 0 {
            assert_eq!(bar.open, s.bar(day - 1).unwrap().close, "no overnight gap");
        }
    }
}

#[test]
fn crypto_days_have_round_the_clock_steps_and_only_recent_days_stay_in_memory() {
    let inst = Catalogue::standard().get("LMCX").unwrap().clone();
    let mut s = Series::new(1, &inst);
    assert_eq!(s.steps(0).len(), 288);
    s.extend_to(20);
    assert_eq!(s.recent.len(), RECENT_DAYS);
    assert_eq!(s.recent.back().unwrap().0, 20);
    let old = s.steps(2).to_vec();
    assert_eq!(s.replayed.as_ref().unwrap().0, 2);
    let mut fresh = Series::new(1, &inst);
    assert_eq!(fresh.steps(2), old.as_slice());
}

fn daily(symbol: &str, days: u32) -> Vec<Bar> {
    let inst = Catalogue::standard().get(symbol).unwrap().clone();
    let mut s = Series::new(11, &inst);
    s.extend_to(days - 1);
    s.bars(0, days - 1).to_vec()
}

fn returns(bars: &[Bar]) -> Vec<f64> {
    let f = |d: rust_decimal::Decimal| d.to_string().parse::<f64>().unwrap();
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
fn stocks_move_with_the_index_and_bonds_barely() {
    let index = returns(&daily("NXTM", 500));
    let stock = returns(&daily("IRVM", 500));
    let bonds = returns(&daily("NXBD", 500));
    let with_index = correlation(&stock, &index);
    assert!(with_index > 0.3, "stock vs index {with_index}");
    let bond_corr = correlation(&bonds, &index);
    assert!(bond_corr.abs() < 0.25, "bonds vs index {bond_corr}");
}

#[test]
fn volume_is_around_the_adv_and_higher_on_big_moves() {
    let bars = daily("TDRP", 500);
    #[allow(clippy::cast_precision_loss)]
    let mean = bars.iter().map(|b| b.volume as f64).sum::<f64>() / 500.0;
    assert!(
        (6_000_000.0..10_000_000.0).contains(&mean),
        "mean volume {mean}"
    );
    let moves: Vec<f64> = returns(&bars).iter().map(|r| r.abs()).collect();
    #[allow(clippy::cast_precision_loss)]
    let volumes: Vec<f64> = bars[1..].iter().map(|b| b.volume as f64).collect();
    let c = correlation(&moves, &volumes);
    assert!(c > 0.2, "volume vs |move| {c}");
}
