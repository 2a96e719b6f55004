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
